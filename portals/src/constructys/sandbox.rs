// The sandbox of Constructys's portal (eGestion): what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Kind, ListHeaders, Markup, NameOrder, PortalSpec, Stack, StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{seq:06}-{:02}", year % 100)
}

const CONSTRUCTYS_CONTRACT: &[(&str, &str)] = &[
    ("10", "Contrat à durée indéterminée (CDI)"),
    ("20", "Contrat à durée déterminée (CDD)"),
];
const CONSTRUCTYS_MODALITY: &[(&str, &str)] = &[
    ("PR", "Présentielle"),
    ("AD", "À distance"),
    ("MX", "Mixte (présentielle et à distance)"),
];

/// Constructys: a classic server-rendered space, labels in the header cells of form tables,
/// dates typed `jj/mm/aaaa`, five pages and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Constructys,
    // Modelled on public material: eGestion is a classic space behind a login page at `/login`
    // (PORTALS.md). Invented: the pages after it, their layout, every wording.
    stack: Stack::ServerRendered,
    brand: "Constructys",
    space: "eGestion — Accédez à votre espace",
    css: "body{font-family:Tahoma,Arial,sans-serif;font-size:13px;margin:0;background:#fff}#entete{background:#e30613;color:#fff;padding:10px 18px;font-weight:bold}#page{padding:14px 18px;max-width:900px}table.saisie{border-collapse:collapse;width:100%}table.saisie th{background:#f0f0f0;text-align:left;padding:5px;width:40%}table.saisie td{padding:5px}.btn{background:#58595b;color:#fff;border:0;padding:5px 12px}.message-erreur{color:#e30613;font-weight:bold}",
    markup: Markup::LabelledBy,
    changed_markup: Markup::ForLabel,
    cookie: "EGESTIONSESSION",
    login_path: "/login",
    home_path: "/egestion/plan-de-developpement",
    login_user_label: "Adresse électronique",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Valider",
    idp: None,
    cookie_banner: None,
    login_error: "Les informations de connexion sont erronées.",
    session_expired: "Votre session est terminée, merci de vous identifier de nouveau.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de financement PDC",
    new_button: "Saisir une demande",
    resume_link: "Continuer la saisie",
    view_link: "Visualiser",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "N° dossier",
        trainee: "Salarié",
        action: "Stage",
        start: "Début du stage",
        status: "État du dossier",
        amount: "Engagement",
        comment: "Commentaire Constructys",
    },
    steps: &[
        Step {
            title: "Adhérent",
            fields: &[
                f("company_siret", "N° SIRET", Kind::Text, true),
                f("account_id", "N° d'adhérent Constructys", Kind::Text, true),
            ],
        },
        Step {
            title: "Stagiaire",
            fields: &[
                f("trainee_last_name", "Nom du stagiaire", Kind::Text, true),
                f("trainee_first_names", "Prénom du stagiaire", Kind::Text, true),
                f("trainee_birth_date", "Né le", Kind::DateFr, true),
                f("trainee_job", "Emploi", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Nature du contrat de travail",
                    Kind::Select(CONSTRUCTYS_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Stage",
            fields: &[
                f("action_title", "Intitulé du stage", Kind::Text, true),
                f("action_start", "Date de début du stage", Kind::DateFr, true),
                f("action_end", "Date de fin du stage", Kind::DateFr, true),
                f(
                    "action_hours",
                    "Nombre d'heures de formation",
                    Kind::Number,
                    true,
                ),
                f(
                    "action_modality",
                    "Modalité",
                    Kind::Select(CONSTRUCTYS_MODALITY),
                    true,
                ),
                f("action_cost", "Frais pédagogiques HT", Kind::Text, true),
                f(
                    "subrogation",
                    "Subrogation : Constructys règle l'organisme",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Organisme de formation",
            fields: &[
                f("provider_name", "Nom de l'organisme", Kind::Text, true),
                f(
                    "provider_siret",
                    "SIRET de l'organisme de formation",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_nda",
                    "N° de déclaration d'activité",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "Certification Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Documents",
            fields: &[
                f("file_quote", "Devis", Kind::File, true),
                f("file_programme", "Programme détaillé", Kind::File, true),
                f(
                    "file_agreement",
                    "Convention de formation signée",
                    Kind::File,
                    true,
                ),
            ],
        },
    ],
    next_button: "Page suivante",
    draft_button: "Enregistrer et quitter",
    recap_title: "Synthèse de la demande",
    submit_button: "Envoyer à Constructys",
    draft_saved: "La demande est enregistrée en saisie.",
    submitted_message: "Votre demande a été envoyée. Numéro de dossier :",
    statuses: StatusWords {
        draft: "En saisie",
        filed: "Reçu",
        in_review: "En cours d'étude",
        documents_requested: "Incomplet",
        granted: "Accord de prise en charge",
        refused: "Refus de prise en charge",
        cancelled: "Annulé",
    },
    max_upload_bytes: 2 * 1024 * 1024,
    upload_refused: "Fichier refusé : seuls les PDF de 2 Mo maximum sont acceptés.",
    captcha_title: "Contrôle de sécurité",
    maintenance_title: "eGestion est actuellement fermé pour maintenance",
    error_title: "Erreur interne",
    renamed: (2, "action_title", "Libellé du stage"),
    new_mandatory: (
        1,
        f(
            "trainee_ccn_level",
            "Niveau dans la convention collective",
            Kind::Select(&[("N1", "Niveau I"), ("N2", "Niveau II"), ("N3", "Niveau III")]),
            true,
        ),
    ),
    dossier_prefix: "PDC-",
    dossier_format,
    short_field: ("provider_name", 12),
    preset_extra: (
        2,
        f(
            "outside_work_time",
            "Stage hors temps de travail",
            Kind::Select(&[("N", "Non"), ("O", "Oui")]),
            false,
        ),
        "O",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
