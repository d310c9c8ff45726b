// The sandbox of OCAPIAT's portal (Mon Espace): what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    IdpFlow, IdpSpec, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Routing, SpaOptions, Stack,
    StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{year}-{seq:06}")
}

const OCA_CONTRACT: &[(&str, &str)] = &[("CDI", "CDI"), ("CDD", "CDD")];
const OCA_MODALITY: &[(&str, &str)] = &[
    ("PRES", "Présentiel"),
    ("FOAD", "Formation à distance"),
    ("MIXTE", "Mixte"),
];

/// OCAPIAT's Keycloak. Modelled on public material: its own origin, the realm's
/// `/auth/realms/<realm>/protocol/openid-connect/auth` and `/token`, the client
/// `PortailOldAngular`, the code returned in the URL fragment (keycloak-js's default), the
/// identifier or e-mail and the password on one page, a password renewal forced at the first
/// login. Invented: the realm's name, every wording, the look. No code is e-mailed.
static KEYCLOAK: IdpSpec = IdpSpec {
    flow: IdpFlow::OidcFragment,
    title: "OCAPIAT — Connexion",
    css: "body{font-family:'Open Sans',Arial,sans-serif;background:#f0f4ec;margin:0;color:#263238}.idp-card{background:#fff;max-width:440px;margin:60px auto;padding:28px 32px;box-shadow:0 2px 6px rgba(0,0,0,.2)}.idp-brand{color:#4b8b3b;font-weight:700;text-transform:uppercase}.idp-field{display:flex;flex-direction:column;margin:12px 0}.idp-field input{padding:8px;border:1px solid #b0bec5;border-radius:2px}.idp-primary{width:100%;background:#4b8b3b;color:#fff;border:0;padding:10px;font-size:15px}.idp-error{background:#fdecea;color:#b71c1c;padding:8px;margin:8px 0}.idp-who{font-size:13px}",
    authorize_path: "/auth/realms/ocapiat-entreprises/protocol/openid-connect/auth",
    token_path: "/auth/realms/ocapiat-entreprises/protocol/openid-connect/token",
    client_id: "PortailOldAngular",
    callback_path: "/connexion/retour",
    email_label: "Identifiant ou adresse e-mail",
    next_button: None,
    password_label: "Mot de passe",
    sign_in_button: "Se connecter",
    login_error: "Identifiant ou mot de passe invalide.",
    email_code: false,
    code_prompt: "",
    code_label: "",
    code_button: "",
    code_tries: 0,
    code_wrong: "",
    code_void: "",
    resend_button: "",
    renewal_title: "Vous devez changer votre mot de passe pour activer votre compte",
    new_password_label: "Nouveau mot de passe",
    confirm_password_label: "Confirmation du mot de passe",
    renewal_button: "Valider",
    captcha_title: "Vérification de sécurité requise",
    maintenance_title: "Le service d'authentification est en maintenance",
    error_title: "Erreur d'authentification",
};

/// OCAPIAT: a Keycloak login on its own origin, then an Angular app whose choices are
/// Material-style selects (their options in an overlay at the end of `<body>`, behind a
/// backdrop), dates typed `JJ/MM/AAAA` in masked inputs, four steps and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Ocapiat,
    // Modelled on public material: an Angular front end (PORTALS.md; the login client is named
    // `PortailOldAngular`, so fragment routes are inferred). Invented: the routes, the API, the
    // toasts and the wording of the session dialog.
    stack: Stack::Spa(SpaOptions {
        routing: Routing::Hash,
        web_components: false,
        custom_comboboxes: true,
        masked_dates: true,
        provider_autocomplete: false,
        session_warning: ("Votre session va bientôt expirer", "Prolonger ma session"),
        lightning: false,
        first_step_dialog: None,
    }),
    brand: "OCAPIAT",
    space: "Mon Espace OCAPIAT",
    css: "body{font-family:Roboto,'Helvetica Neue',sans-serif;margin:0;background:#fafafa;color:rgba(0,0,0,.87)}header{background:#4b8b3b;color:#fff;padding:12px 24px;font-size:18px}main{max-width:900px;margin:20px auto;background:#fff;padding:20px 24px;box-shadow:0 1px 3px rgba(0,0,0,.2)}label{display:block;margin-top:12px;font-size:13px;color:rgba(0,0,0,.6)}input{border:0;border-bottom:1px solid rgba(0,0,0,.42);padding:6px 0;width:60%}button{background:#4b8b3b;color:#fff;border:0;padding:8px 18px;border-radius:4px;text-transform:uppercase}[role=alert]{background:#fdecea;padding:8px}table{width:100%;border-collapse:collapse}td,th{padding:8px;border-bottom:1px solid #e0e0e0;text-align:left}",
    markup: Markup::ForLabel,
    changed_markup: Markup::LabelledBy,
    cookie: "OCAPIAT_SESSION",
    login_path: "/connexion",
    home_path: "/mon-espace/demandes",
    login_user_label: "Identifiant ou adresse e-mail",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Se connecter",
    idp: Some(&KEYCLOAK),
    cookie_banner: None,
    login_error: "Identifiant ou mot de passe invalide.",
    session_expired: "Votre session a expiré après 30 minutes d'inactivité. Reconnectez-vous.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de prise en charge",
    new_button: "Nouvelle demande de prise en charge",
    resume_link: "Reprendre la saisie",
    view_link: "Consulter",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "N° de demande",
        trainee: "Salarié",
        action: "Intitulé",
        start: "Date de début",
        status: "Statut",
        amount: "Montant accordé",
        comment: "Commentaire OCAPIAT",
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
                f("account_id", "Numéro d'adhérent OCAPIAT", Kind::Text, true),
            ],
        },
        Step {
            title: "Salarié",
            fields: &[
                f(
                    "trainee_last_name",
                    "Nom de naissance du salarié",
                    Kind::Text,
                    true,
                ),
                f("trainee_first_names", "Prénom(s)", Kind::Text, true),
                f("trainee_birth_date", "Date de naissance", Kind::DateFr, true),
                f("trainee_job", "Emploi occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Type de contrat de travail",
                    Kind::Select(OCA_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Action de formation",
            fields: &[
                f("action_title", "Intitulé de l'action", Kind::Text, true),
                f("action_start", "Date de début", Kind::DateFr, true),
                f("action_end", "Date de fin", Kind::DateFr, true),
                f("action_hours", "Durée en heures", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité pédagogique",
                    Kind::Select(OCA_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique HT", Kind::Text, true),
                f(
                    "provider_name",
                    "Raison sociale de l'organisme",
                    Kind::Text,
                    true,
                ),
                f("provider_siret", "SIRET de l'organisme", Kind::Text, true),
                f(
                    "provider_nda",
                    "Numéro de déclaration d'activité",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "Organisme certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
                f(
                    "subrogation",
                    "Subrogation de paiement à l'organisme",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Pièces justificatives",
            fields: &[
                f("file_quote", "Devis de l'organisme", Kind::File, true),
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
    recap_title: "Synthèse de votre demande",
    submit_button: "Transmettre à OCAPIAT",
    draft_saved: "Brouillon enregistré.",
    submitted_message: "Votre demande a été transmise à OCAPIAT sous le numéro",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Transmise",
        in_review: "En cours d'instruction",
        documents_requested: "Pièces manquantes",
        granted: "Accord de prise en charge",
        refused: "Refus de prise en charge",
        cancelled: "Annulée",
    },
    max_upload_bytes: 10 * 1024 * 1024,
    upload_refused: "Fichier refusé : seuls les PDF de 10 Mo au plus sont acceptés.",
    captcha_title: "Vérification de sécurité",
    maintenance_title: "Mon Espace OCAPIAT est en maintenance",
    error_title: "Une erreur inattendue est survenue",
    renamed: (2, "action_hours", "Nombre d'heures de l'action"),
    new_mandatory: (
        1,
        f(
            "trainee_csp",
            "Catégorie socio-professionnelle",
            Kind::Select(&[
                ("OUV", "Ouvrier"),
                ("EMP", "Employé"),
                ("TAM", "Technicien, agent de maîtrise"),
                ("CAD", "Cadre"),
            ]),
            true,
        ),
    ),
    dossier_prefix: "PEC-",
    dossier_format,
    short_field: ("provider_name", 12),
    preset_extra: (
        2,
        f(
            "action_intra",
            "Action organisée en intra-entreprise",
            Kind::Checkbox,
            false,
        ),
        "oui",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
