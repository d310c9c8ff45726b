// The sandbox of OPCO Santé's portal: what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Kind, ListHeaders, Markup, NameOrder, PortalSpec, Routing, SpaOptions, Stack, StatusWords,
    Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{:02}-{seq:07}", year % 100)
}

const SANTE_CONTRACT: &[(&str, &str)] = &[("cdi", "CDI"), ("cdd", "CDD")];
const SANTE_MODALITY: &[(&str, &str)] = &[
    ("site", "Sur site"),
    ("distance", "En distanciel"),
    ("hybride", "Sur site et distanciel"),
];

/// OPCO Santé: nothing public was found about its company space (PORTALS.md), so all of this is
/// invented: a generic single-page app over a JSON API, with its own login form, history routes,
/// ARIA comboboxes in an overlay for its choices, four steps and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::OpcoSante,
    stack: Stack::Spa(SpaOptions {
        routing: Routing::History,
        web_components: false,
        custom_comboboxes: true,
        masked_dates: false,
        provider_autocomplete: false,
        session_warning: ("Votre session arrive à son terme", "Continuer ma session"),
        lightning: false,
        first_step_dialog: None,
    }),
    brand: "OPCO Santé",
    space: "Espace employeur OPCO Santé",
    css: "body{font-family:'Open Sans',Arial,sans-serif;background:#f2f7f7;margin:0;color:#123}.sante-nav{background:#00757f;color:#fff;padding:12px 24px}.sante-panel{background:#fff;margin:24px auto;max-width:760px;padding:24px;border-top:4px solid #e94e1b}.sante-row{margin:12px 0}.sante-row label{display:block;font-weight:600}.sante-btn{background:#00757f;color:#fff;border:0;border-radius:4px;padding:8px 20px;margin:4px}.sante-alert{color:#a40000;border:1px solid #a40000;padding:8px}table{width:100%;border-collapse:collapse}td,th{padding:6px;border-bottom:1px solid #cde}",
    markup: Markup::ForLabel,
    changed_markup: Markup::Wrapping,
    cookie: "sante_session",
    login_path: "/espace/connexion",
    home_path: "/espace/mes-demandes",
    login_user_label: "Courriel",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Accéder à mon espace",
    idp: None,
    cookie_banner: None,
    login_error: "Courriel ou mot de passe non reconnu.",
    session_expired: "Votre session a pris fin. Reconnectez-vous pour continuer.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de financement",
    new_button: "Déposer une nouvelle demande",
    resume_link: "Poursuivre la saisie",
    view_link: "Ouvrir",
    list_name: NameOrder::FirstLast,
    headers: ListHeaders {
        reference: "Numéro de demande",
        trainee: "Salarié concerné",
        action: "Action",
        start: "Commence le",
        status: "Situation",
        amount: "Montant financé",
        comment: "Précisions",
    },
    steps: &[
        Step {
            title: "Établissement",
            fields: &[
                f(
                    "company_siret",
                    "SIRET de l'établissement employeur",
                    Kind::Text,
                    true,
                ),
                f("account_id", "Numéro d'adhérent", Kind::Text, true),
            ],
        },
        Step {
            title: "Salarié",
            fields: &[
                f("trainee_last_name", "Nom", Kind::Text, true),
                f(
                    "trainee_first_names",
                    "Prénom(s) du salarié",
                    Kind::Text,
                    true,
                ),
                f(
                    "trainee_birth_date",
                    "Date de naissance du salarié",
                    Kind::Date,
                    true,
                ),
                f("trainee_job", "Fonction exercée", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Contrat de travail",
                    Kind::Select(SANTE_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Action et prestataire",
            fields: &[
                f("action_title", "Intitulé de l'action", Kind::Text, true),
                f("action_start", "Début de l'action", Kind::Date, true),
                f("action_end", "Fin de l'action", Kind::Date, true),
                f("action_hours", "Volume horaire", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité de l'action",
                    Kind::Select(SANTE_MODALITY),
                    true,
                ),
                f(
                    "action_cost",
                    "Coût pédagogique hors taxes",
                    Kind::Text,
                    true,
                ),
                f("provider_name", "Organisme prestataire", Kind::Text, true),
                f("provider_siret", "SIRET du prestataire", Kind::Text, true),
                f(
                    "provider_nda",
                    "Numéro de déclaration d'activité",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "Prestataire certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
                f(
                    "subrogation",
                    "Règlement direct du prestataire (subrogation)",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Justificatifs",
            fields: &[
                f("file_quote", "Devis du prestataire", Kind::File, true),
                f("file_programme", "Programme de l'action", Kind::File, true),
                f("file_agreement", "Convention signée", Kind::File, true),
            ],
        },
    ],
    next_button: "Valider et poursuivre",
    draft_button: "Garder en brouillon",
    recap_title: "Relisez votre demande",
    submit_button: "Déposer la demande",
    draft_saved: "Votre brouillon est enregistré.",
    submitted_message: "Votre demande est déposée sous le numéro",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Déposée",
        in_review: "En cours d'examen",
        documents_requested: "À compléter",
        granted: "Financement accordé",
        refused: "Financement refusé",
        cancelled: "Abandonnée",
    },
    max_upload_bytes: 8 * 1024 * 1024,
    upload_refused: "Ce justificatif ne peut pas être joint : PDF de 8 Mo au plus.",
    captcha_title: "Vérification anti-robot",
    maintenance_title: "Espace en cours de maintenance",
    error_title: "Un incident technique est survenu",
    renamed: (2, "action_cost", "Coût de l'action hors taxes"),
    new_mandatory: (
        1,
        f(
            "trainee_category",
            "Catégorie professionnelle",
            Kind::Select(&[("soin", "Soignant"), ("adm", "Administratif"), ("tech", "Technique")]),
            true,
        ),
    ),
    dossier_prefix: "SAN-",
    dossier_format,
    short_field: ("action_title", 14),
    preset_extra: (
        2,
        f(
            "action_in_house",
            "Action réalisée dans nos locaux",
            Kind::Checkbox,
            false,
        ),
        "oui",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
