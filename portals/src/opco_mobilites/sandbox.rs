// The sandbox of OPCO Mobilités's portal (M-Gestion): what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    IdpFlow, IdpSpec, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Stack, StatusWords, Step,
    field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{year}{seq:05}")
}

const MOB_CONTRACT: &[(&str, &str)] = &[("CDI", "CDI"), ("CDD", "CDD")];
const MOB_MODALITY: &[(&str, &str)] = &[
    ("P", "Présentiel"),
    ("D", "Distanciel"),
    ("B", "Blended (présentiel + distanciel)"),
];

/// OPCO Mobilités's single sign-on. Modelled on public material: M-Gestion sits behind a single
/// sign-on origin (`sso.opcomobilites.fr`) that sends a code by e-mail with 3 tries (PORTALS.md).
/// Inferred: an OAuth server of a Symfony application (`/oauth/v2/auth`, `/oauth/v2/token`, the
/// paths of its usual bundle). Invented: the client id, every wording, the look.
static SSO: IdpSpec = IdpSpec {
    flow: IdpFlow::OidcFragment,
    title: "OPCO Mobilités — Authentification",
    css: "body{font-family:Roboto,Arial,sans-serif;background:#eaf1f8;margin:0;color:#0b2545}.idp-card{background:#fff;max-width:420px;margin:70px auto;padding:30px;border-radius:6px;border-top:6px solid #f18700}.idp-brand{color:#13315c;font-weight:700}.idp-field{display:flex;flex-direction:column;margin:14px 0}.idp-field input{padding:8px;border:1px solid #8da9c4}.idp-primary{background:#13315c;color:#fff;border:0;padding:10px 24px;border-radius:4px}.idp-error{color:#c1121f;margin:8px 0}.idp-who{font-size:13px}",
    authorize_path: "/oauth/v2/auth",
    token_path: "/oauth/v2/token",
    client_id: "mgestion_4f7c2a91d3e8",
    callback_path: "/connexion/retour",
    email_label: "Identifiant de connexion (e-mail)",
    next_button: Some("Continuer"),
    password_label: "Mot de passe",
    sign_in_button: "Me connecter",
    login_error: "Identifiants invalides : vérifiez votre e-mail et votre mot de passe.",
    email_code: true,
    code_prompt: "Un code de sécurité vient de vous être envoyé à",
    code_label: "Code reçu par e-mail",
    code_button: "Confirmer le code",
    code_tries: 3,
    code_wrong: "Le code est erroné. {n} tentative(s) restante(s).",
    code_void: "Le code est erroné. Plus aucune tentative : ce code est annulé, demandez-en un nouveau.",
    resend_button: "Recevoir un nouveau code",
    renewal_title: "Votre mot de passe doit être changé",
    new_password_label: "Nouveau mot de passe",
    confirm_password_label: "Répétez le nouveau mot de passe",
    renewal_button: "Changer mon mot de passe",
    captcha_title: "Merci de prouver que vous êtes humain",
    maintenance_title: "Le service d'authentification est indisponible",
    error_title: "Erreur d'authentification",
};

/// OPCO Mobilités: a single sign-on with an e-mailed code, then a classic server-rendered space,
/// controls inside their labels, dates typed `jj/mm/aaaa`, three pages and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::OpcoMobilites,
    // Inferred from public material: a Symfony-style application (PORTALS.md), so server-rendered
    // pages. Invented: the pages, their layout and wording.
    stack: Stack::ServerRendered,
    brand: "OPCO Mobilités",
    space: "M-Gestion",
    css: "body{font-family:Roboto,Arial,sans-serif;margin:0;background:#f7f9fb}.navbar{background:#13315c;color:#fff;padding:10px 20px}.container{max-width:860px;margin:16px auto;background:#fff;padding:18px}.form-group{margin:10px 0}.form-group label{display:block}.btn-primary{background:#f18700;color:#fff;border:0;padding:7px 16px;border-radius:3px}.alert-danger{background:#f8d7da;color:#721c24;padding:8px}table{width:100%;border-collapse:collapse}td,th{padding:5px;border-bottom:1px solid #dde}",
    markup: Markup::Wrapping,
    changed_markup: Markup::LabelledBy,
    cookie: "MGESTSESSID",
    login_path: "/connexion",
    home_path: "/mgestion/demandes",
    login_user_label: "Identifiant de connexion (e-mail)",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Me connecter",
    idp: Some(&SSO),
    cookie_banner: None,
    login_error: "Identifiants invalides.",
    session_expired: "Vous avez été déconnecté de M-Gestion. Merci de vous reconnecter.",
    // The code is asked by the single sign-on (`SSO.email_code`); these are its words.
    two_factor: true,
    two_factor_label: "Code reçu par e-mail",
    two_factor_button: "Confirmer le code",
    two_factor_error: "Le code est erroné.",
    list_title: "Mes demandes de prise en charge",
    new_button: "Nouvelle demande",
    resume_link: "Compléter la demande",
    view_link: "Détail du dossier",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "Dossier n°",
        trainee: "Bénéficiaire",
        action: "Formation suivie",
        start: "Date de démarrage",
        status: "Avancement",
        amount: "Montant engagé",
        comment: "Observations",
    },
    steps: &[
        Step {
            title: "Entreprise et bénéficiaire",
            fields: &[
                f("company_siret", "SIRET de l'entreprise", Kind::Text, true),
                f("account_id", "Numéro de compte adhérent", Kind::Text, true),
                f("trainee_last_name", "Nom du bénéficiaire", Kind::Text, true),
                f(
                    "trainee_first_names",
                    "Prénom du bénéficiaire",
                    Kind::Text,
                    true,
                ),
                f("trainee_birth_date", "Date de naissance", Kind::DateFr, true),
                f("trainee_job", "Métier exercé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Type de contrat",
                    Kind::Select(MOB_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Formation",
            fields: &[
                f("action_title", "Intitulé de la formation", Kind::Text, true),
                f("action_start", "Date de démarrage", Kind::DateFr, true),
                f("action_end", "Date d'achèvement", Kind::DateFr, true),
                f("action_hours", "Durée totale (heures)", Kind::Number, true),
                f(
                    "action_modality",
                    "Mode de formation",
                    Kind::Select(MOB_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique (HT)", Kind::Text, true),
                f("provider_name", "Organisme dispensateur", Kind::Text, true),
                f(
                    "provider_siret",
                    "SIRET de l'organisme dispensateur",
                    Kind::Text,
                    true,
                ),
                f("provider_nda", "NDA de l'organisme", Kind::Text, true),
                f(
                    "provider_qualiopi",
                    "Organisme certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
                f(
                    "subrogation",
                    "Paiement direct à l'organisme (subrogation)",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Pièces à joindre",
            fields: &[
                f("file_quote", "Devis", Kind::File, true),
                f("file_programme", "Programme", Kind::File, true),
                f("file_agreement", "Convention", Kind::File, true),
            ],
        },
    ],
    next_button: "Suivant >",
    draft_button: "Sauvegarder",
    recap_title: "Récapitulatif avant transmission",
    submit_button: "Transmettre ma demande",
    draft_saved: "Demande sauvegardée (non transmise).",
    submitted_message: "Votre demande a été transmise sous le numéro",
    statuses: StatusWords {
        draft: "Non transmise",
        filed: "Transmise",
        in_review: "En instruction",
        documents_requested: "En attente de compléments",
        granted: "Accordée",
        refused: "Non accordée",
        cancelled: "Annulée",
    },
    max_upload_bytes: 6 * 1024 * 1024,
    upload_refused: "Pièce refusée : format PDF, 6 Mo au maximum.",
    captcha_title: "Merci de prouver que vous êtes humain",
    maintenance_title: "M-Gestion est indisponible",
    error_title: "Une anomalie est survenue",
    renamed: (1, "provider_name", "Nom de l'organisme de formation"),
    new_mandatory: (
        0,
        f(
            "trainee_licence",
            "Catégorie de permis détenue",
            Kind::Select(&[("B", "B"), ("C", "C"), ("D", "D")]),
            true,
        ),
    ),
    dossier_prefix: "MOB",
    dossier_format,
    short_field: ("trainee_job", 10),
    preset_extra: (
        1,
        f("extra_travel", "Frais de déplacement prévus (€)", Kind::Text, false),
        "80,00",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
