// The sandbox of OPCO EP's portal: what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Routing, SpaOptions, Stack,
    Kind, ListHeaders, Markup, NameOrder, PortalSpec, StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them.
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{:02}{seq:06}", year % 100)
}

const EP_CONTRACT: &[(&str, &str)] = &[("I", "CDI"), ("D", "CDD")];
const EP_MODALITY: &[(&str, &str)] = &[
    ("PRES", "En présentiel"),
    ("FOAD", "Formation à distance (FOAD)"),
    ("MIX", "Mixte"),
];

/// OPCO EP: table layout labelled by header cells, placeholders at login, no subrogation.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::OpcoEp,
    // Modelled on public material: OPCO EP's sister portal is a hash-routed single-page app
    // (`#/visitor/auth`, PORTALS.md). Invented: that the company space is one too, its web
    // components, custom comboboxes, masked dates, the provider autocomplete by SIRET (the
    // pattern OPCAIM documented for its company lookup), the routes, the API and the session
    // dialog's wording.
    stack: Stack::Spa(SpaOptions {
        routing: Routing::Hash,
        web_components: true,
        custom_comboboxes: true,
        masked_dates: true,
        provider_autocomplete: true,
        session_warning: ("Votre session va bientôt expirer", "Prolonger ma session"),
        lightning: false,
        first_step_dialog: None,
    }),
    brand: "OPCO EP",
    space: "Espace adhérent OPCO EP",
    css: "body{font-family:Verdana,sans-serif;font-size:13px;margin:0}#bandeau{background:#009c8e;color:#fff;padding:8px 16px}#contenu{padding:16px}table.form{border-collapse:collapse}table.form th{text-align:right;padding:6px;font-weight:normal}table.form td{padding:6px}.bouton{background:#f39200;color:#fff;border:1px solid #c77800;padding:6px 14px}.erreur{background:#fdd;border:1px solid #c00;padding:6px}",
    markup: Markup::LabelledBy,
    changed_markup: Markup::Wrapping,
    cookie: "EPSESSID",
    login_path: "/authentification",
    home_path: "/adherent/demandes",
    login_user_label: "Identifiant",
    login_password_label: "Mot de passe",
    login_placeholders: true,
    login_button: "Se connecter",
    idp: None,
    cookie_banner: None,
    login_error: "Authentification refusée : vérifiez vos identifiants.",
    session_expired: "Session expirée : merci de vous authentifier à nouveau.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Suivi de mes demandes de prise en charge",
    new_button: "Faire une demande de prise en charge",
    resume_link: "Modifier",
    view_link: "Détail",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "Dossier",
        trainee: "Stagiaire",
        action: "Action",
        start: "Du",
        status: "Statut de la demande",
        amount: "Montant",
        comment: "Observation",
    },
    steps: &[
        Step {
            title: "Stagiaire",
            fields: &[
                f("company_siret", "SIRET de l'entreprise", Kind::Text, true),
                f("account_id", "Code adhérent", Kind::Text, true),
                f("trainee_last_name", "Nom", Kind::Text, true),
                f("trainee_first_names", "Prénoms", Kind::Text, true),
                f(
                    "trainee_birth_date",
                    "Date de naissance",
                    Kind::DateFr,
                    true,
                ),
                f("trainee_job", "Poste occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Contrat",
                    Kind::Select(EP_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Formation",
            fields: &[
                f("action_title", "Intitulé", Kind::Text, true),
                f("action_start", "Date de début", Kind::DateFr, true),
                f("action_end", "Date de fin", Kind::DateFr, true),
                f("action_hours", "Durée en heures", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité de réalisation",
                    Kind::Select(EP_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique HT", Kind::Text, true),
            ],
        },
        Step {
            title: "Organisme",
            fields: &[
                f("provider_name", "Organisme de formation", Kind::Text, true),
                f("provider_siret", "SIRET organisme", Kind::Text, true),
                f("provider_nda", "NDA", Kind::Text, true),
                f(
                    "provider_qualiopi",
                    "Organisme certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Pièces jointes",
            fields: &[
                f("file_quote", "Devis", Kind::File, true),
                f("file_programme", "Programme", Kind::File, true),
                f("file_agreement", "Convention", Kind::File, true),
            ],
        },
    ],
    next_button: "Suivant",
    draft_button: "Enregistrer sans envoyer",
    recap_title: "Validation de la demande",
    submit_button: "Valider et envoyer",
    draft_saved: "Demande enregistrée (non envoyée).",
    submitted_message: "Votre demande est enregistrée sous le numéro",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Demande reçue",
        in_review: "En instruction",
        documents_requested: "En attente de pièces",
        granted: "Prise en charge accordée",
        refused: "Prise en charge refusée",
        cancelled: "Clôturée sans suite",
    },
    max_upload_bytes: 4 * 1024 * 1024,
    upload_refused: "Pièce jointe rejetée (PDF uniquement, 4 Mo maximum).",
    captcha_title: "Contrôle anti-robot",
    maintenance_title: "Site en maintenance",
    error_title: "Erreur serveur",
    renamed: (2, "provider_nda", "N° de déclaration d'activité"),
    new_mandatory: (
        1,
        f("action_place", "Lieu de la formation", Kind::Text, true),
    ),
    dossier_prefix: "EP",
    dossier_format,
    short_field: ("trainee_job", 15),
    preset_extra: (
        1,
        f(
            "outside_hours",
            "Formation suivie hors temps de travail",
            Kind::Checkbox,
            false,
        ),
        "oui",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
