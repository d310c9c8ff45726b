// The sandbox of OPCO 2i's portal: what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Kind, ListHeaders, Markup, NameOrder, PortalSpec, Stack, StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them.
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}-{:02}-{seq:07}", year % 100)
}

const O2I_FINALITY: &[(&str, &str)] = &[
    ("ADAPT", "Adaptation au poste de travail"),
    ("DEVCOMP", "Développement des compétences"),
    ("BILAN", "Bilan de compétences"),
    ("VAE", "Validation des acquis de l'expérience"),
];
/// The establishments attached to the sandbox's account, offered by the company autocomplete
/// (invented; they share a SIREN, so a prefix offers several and only the whole SIRET picks one).
const O2I_COMPANIES: &[(&str, &str)] = &[
    ("73282932000074", "MÉCANIQUE MARTIN — SIÈGE"),
    ("73282932000082", "MÉCANIQUE MARTIN — ATELIER DE VÉNISSIEUX"),
    ("73282932000090", "MÉCANIQUE MARTIN — DÉPÔT DE GIVORS"),
];
const O2I_CONTRACT: &[(&str, &str)] = &[
    ("01", "Contrat à durée indéterminée"),
    ("02", "Contrat à durée déterminée"),
];
const O2I_MODALITY: &[(&str, &str)] = &[
    ("PR", "Présentiel"),
    ("AD", "À distance"),
    ("PRAD", "Présentiel et distance"),
];

/// OPCO 2i: wrapping labels, five saved steps, « 6-TRANSMISSION » as the summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Opco2i,
    // Modelled on public material (PORTALS.md): OPCAIM's documented wizard, six steps
    // « 1-DEMANDE » … « 6-TRANSMISSION » (here five form steps and the summary as the sixth),
    // a save button per step whose absence loses the step's entry, dates typed JJ/MM/AAAA,
    // a duration in days + hours + minutes. Invented: the middle steps' names, every label,
    // button and message, the « finalité » options, the routes, the dossier-number format, the
    // server-rendered stack (nothing public says what the portal is built on). Modelled too: the
    // company chosen by an autocomplete by SIRET among the account's establishments (typed
    // text alone is not sent); invented: their names.
    stack: Stack::ServerRendered,
    brand: "OPCO 2i",
    space: "Espace entreprise OPCO 2i",
    css: "body{font-family:'Open Sans',Helvetica,sans-serif;margin:0;background:#f4f6f9}#entete{background:#e2001a;color:#fff;padding:10px 20px}main{padding:20px;max-width:820px}.steps{font-weight:bold;color:#e2001a}label{display:block;margin:10px 0}input,select{margin-left:6px}.enregistre{color:#2e7d32;font-size:14px}button{background:#253c78;color:#fff;border:0;padding:7px 14px;margin-right:6px}[role=alert]{background:#fde8e8;border:1px solid #e2001a;padding:6px}",
    markup: Markup::Wrapping,
    changed_markup: Markup::ForLabel,
    cookie: "O2I_SID",
    login_path: "/connexion-entreprise",
    home_path: "/entreprise/demandes",
    login_user_label: "Adresse e-mail",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Connexion",
    idp: None,
    cookie_banner: None,
    login_error: "Adresse e-mail ou mot de passe non reconnu.",
    session_expired: "Votre session n'est plus active : reconnectez-vous.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de financement",
    new_button: "Créer une demande",
    resume_link: "Compléter",
    view_link: "Voir",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "N° de demande",
        trainee: "Salarié",
        action: "Action",
        start: "Début",
        status: "État",
        amount: "Montant",
        comment: "Motif",
    },
    steps: &[
        Step {
            title: "1-DEMANDE",
            fields: &[
                f("action_title", "Intitulé de l'action", Kind::Text, true),
                f(
                    "action_finality",
                    "Finalité de l'action",
                    Kind::Select(O2I_FINALITY),
                    true,
                ),
            ],
        },
        Step {
            title: "2-ENTREPRISE",
            fields: &[
                f("company_siret", "SIRET de l'établissement", Kind::Suggest(O2I_COMPANIES), true),
                f("account_id", "N° d'adhérent", Kind::Text, true),
            ],
        },
        Step {
            title: "3-SALARIÉ",
            fields: &[
                f("trainee_last_name", "Nom de naissance", Kind::Text, true),
                f("trainee_first_names", "Prénom(s)", Kind::Text, true),
                f("trainee_birth_date", "Né(e) le", Kind::DateFr, true),
                f("trainee_job", "Emploi occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Nature du contrat",
                    Kind::Select(O2I_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "4-ACTION",
            fields: &[
                f("action_start", "Début de l'action", Kind::DateFr, true),
                f("action_end", "Fin de l'action", Kind::DateFr, true),
                f("action_days", "Durée (jours)", Kind::Number, true),
                f("action_hours_part", "Durée (heures)", Kind::Number, true),
                f("action_minutes", "Durée (minutes)", Kind::Number, true),
                f(
                    "action_modality",
                    "Mode de réalisation",
                    Kind::Select(O2I_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique (€ HT)", Kind::Text, true),
                f("provider_name", "Raison sociale de l'organisme", Kind::Text, true),
                f("provider_siret", "SIRET de l'organisme", Kind::Text, true),
                f("provider_nda", "N° de déclaration d'activité", Kind::Text, true),
            ],
        },
        Step {
            title: "5-PIÈCES",
            fields: &[
                f("file_quote", "Devis de l'organisme", Kind::File, true),
                f("file_programme", "Programme de l'action", Kind::File, true),
                f("file_agreement", "Convention de formation", Kind::File, true),
            ],
        },
    ],
    next_button: "Suivant >",
    draft_button: "Quitter et conserver le brouillon",
    recap_title: "6-TRANSMISSION",
    submit_button: "Transmettre à OPCO 2i",
    draft_saved: "Brouillon conservé : vous pourrez le compléter plus tard.",
    submitted_message: "Demande transmise sous le numéro",
    statuses: StatusWords {
        draft: "En cours de saisie",
        filed: "Transmise",
        in_review: "En cours d'étude",
        documents_requested: "Incomplète",
        granted: "Acceptée",
        refused: "Non acceptée",
        cancelled: "Abandonnée",
    },
    max_upload_bytes: 5 * 1024 * 1024,
    upload_refused: "Document refusé : format PDF exigé, 5 Mo au plus.",
    captcha_title: "Vérification anti-robot",
    maintenance_title: "Portail OPCO 2i en maintenance",
    error_title: "Une anomalie est survenue",
    renamed: (3, "provider_nda", "Numéro de déclaration d'activité (NDA)"),
    new_mandatory: (
        3,
        f("action_place", "Lieu de réalisation", Kind::Text, true),
    ),
    dossier_prefix: "DF",
    dossier_format,
    short_field: ("trainee_job", 15),
    preset_extra: (
        2,
        f(
            "outside_hours",
            "Action suivie en dehors du temps de travail",
            Kind::Checkbox,
            false,
        ),
        "oui",
    ),
    save_each_step: Some(("Enregistrer l'étape", "Étape enregistrée")),
    site_picker: None,
    start_confirmation: None,
};
