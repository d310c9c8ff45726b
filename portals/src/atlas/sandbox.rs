// The sandbox of Atlas's portal: what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Stack,
    CookieBanner, Kind, ListHeaders, Markup, NameOrder, PortalSpec, StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them.
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{year}-{seq:06}")
}

const ATLAS_CONTRACT: &[(&str, &str)] = &[("CDI", "CDI"), ("CDD", "CDD")];
const ATLAS_MODALITY: &[(&str, &str)] = &[("P", "Présentiel"), ("D", "Distanciel"), ("M", "Mixte")];

/// Atlas: DSFR-like markup, six steps and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Atlas,
    // Nothing public says what myAtlas is built on (PORTALS.md): server-rendered pages are the
    // sandbox's own choice.
    stack: Stack::ServerRendered,
    brand: "Atlas",
    space: "myAtlas Entreprise",
    css: "body{font-family:Marianne,Arial,sans-serif;margin:0;color:#161616}header{background:#000091;color:#fff;padding:12px 24px}main{padding:24px;max-width:880px}.fr-input-group{margin:12px 0}.fr-label{display:block;font-weight:600}.fr-input{width:100%;padding:6px}.fr-btn{background:#000091;color:#fff;border:0;padding:8px 16px;margin-right:8px}.fr-alert{border-left:4px solid #ce0500;padding:8px;background:#fee}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px}",
    markup: Markup::ForLabel,
    changed_markup: Markup::LabelledBy,
    cookie: "MYATLAS_SESSION",
    login_path: "/connexion",
    home_path: "/espace-entreprise/demandes",
    login_user_label: "Identifiant (adresse e-mail)",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Se connecter",
    // Invented wording (no recording of the real portal yet), the same as its facts.toml's.
    idp: None,
    cookie_banner: Some(CookieBanner {
        text: "myAtlas utilise des cookies pour mesurer son audience et améliorer votre navigation.",
        accept_button: "Tout accepter",
    }),
    login_error: "Identifiant ou mot de passe incorrect.",
    session_expired: "Votre session a expiré. Veuillez vous reconnecter.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de prise en charge",
    new_button: "Nouvelle demande de prise en charge",
    resume_link: "Reprendre",
    view_link: "Consulter",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "Référence",
        trainee: "Salarié",
        action: "Intitulé de la formation",
        start: "Date de début",
        status: "Statut",
        amount: "Montant accordé",
        comment: "Commentaire",
    },
    steps: &[
        Step {
            title: "Entreprise",
            fields: &[
                f(
                    "company_siret",
                    "SIRET de l'établissement",
                    Kind::Text,
                    true,
                ),
                f("account_id", "N° d'adhérent Atlas", Kind::Text, true),
            ],
        },
        Step {
            title: "Salarié",
            fields: &[
                f("trainee_last_name", "Nom du salarié", Kind::Text, true),
                f("trainee_first_names", "Prénom(s)", Kind::Text, true),
                f("trainee_birth_date", "Date de naissance", Kind::Date, true),
                f("trainee_job", "Intitulé du poste", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Type de contrat",
                    Kind::Select(ATLAS_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Action de formation",
            fields: &[
                f("action_title", "Intitulé de la formation", Kind::Text, true),
                f("action_start", "Date de début", Kind::Date, true),
                f("action_end", "Date de fin", Kind::Date, true),
                f("action_hours", "Durée (en heures)", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité pédagogique",
                    Kind::Select(ATLAS_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique HT (€)", Kind::Text, true),
            ],
        },
        Step {
            title: "Organisme de formation",
            fields: &[
                f(
                    "provider_name",
                    "Raison sociale de l'organisme",
                    Kind::Text,
                    true,
                ),
                f("provider_siret", "SIRET de l'organisme", Kind::Text, true),
                f(
                    "provider_nda",
                    "Numéro de déclaration d'activité (NDA)",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "L'organisme est certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Financement",
            fields: &[f(
                "subrogation",
                "Paiement direct de l'organisme par Atlas (subrogation)",
                Kind::Checkbox,
                false,
            )],
        },
        Step {
            title: "Pièces justificatives",
            fields: &[
                f("file_quote", "Devis signé", Kind::File, true),
                f("file_programme", "Programme de formation", Kind::File, true),
                f(
                    "file_agreement",
                    "Convention tripartite signée",
                    Kind::File,
                    true,
                ),
            ],
        },
    ],
    next_button: "Étape suivante",
    draft_button: "Enregistrer le brouillon",
    recap_title: "Récapitulatif de votre demande",
    submit_button: "Transmettre la demande",
    draft_saved: "Votre brouillon a été enregistré.",
    submitted_message: "Votre demande a bien été transmise à Atlas. Référence du dossier :",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Transmise",
        in_review: "En cours d'instruction",
        documents_requested: "Pièces complémentaires demandées",
        granted: "Accordée",
        refused: "Refusée",
        cancelled: "Annulée",
    },
    max_upload_bytes: 5 * 1024 * 1024,
    upload_refused: "Le fichier n'a pas pu être déposé : format PDF uniquement, 5 Mo maximum.",
    captcha_title: "Vérification de sécurité",
    maintenance_title: "myAtlas est en maintenance",
    error_title: "Une erreur technique est survenue",
    renamed: (1, "trainee_last_name", "Nom de naissance du salarié"),
    new_mandatory: (
        1,
        f(
            "trainee_csp",
            "Catégorie socio-professionnelle",
            Kind::Select(&[("OUV", "Ouvrier"), ("EMP", "Employé"), ("CAD", "Cadre")]),
            true,
        ),
    ),
    dossier_prefix: "ATL-",
    dossier_format,
    short_field: ("trainee_job", 12),
    preset_extra: (
        4,
        f(
            "extra_costs",
            "Prise en charge des frais annexes",
            Kind::Select(&[("N", "Non"), ("O", "Oui")]),
            false,
        ),
        "O",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
