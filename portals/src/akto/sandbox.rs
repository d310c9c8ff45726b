// The sandbox of AKTO's portal: what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    IdpFlow, IdpSpec, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Routing, SpaOptions, Stack,
    StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them.
fn dossier_format(prefix: &str, seq: u32, _year: i32) -> String {
    format!("{prefix}{seq:08}")
}

const AKTO_CONTRACT: &[(&str, &str)] = &[
    ("1", "Contrat à durée indéterminée"),
    ("2", "Contrat à durée déterminée"),
];
const AKTO_MODALITY: &[(&str, &str)] = &[
    ("presentiel", "Présentiel"),
    ("fad", "À distance"),
    ("mixte", "Hybride (présentiel et à distance)"),
];

/// AKTO's login, in the manner of Microsoft Entra External ID. Modelled on public material: the
/// `/<tenant>/oauth2/v2.0/authorize` and `/token` paths, `response_type=code` returned in the URL
/// fragment (`response_mode=fragment`, as MSAL.js asks), the e-mail first then the password, a
/// one-time code sent by e-mail. Invented (no recording yet): the tenant and client ids, every
/// wording, the look, the three tries of a code, the forced password renewal.
static IDP: IdpSpec = IdpSpec {
    flow: IdpFlow::OidcFragment,
    title: "AKTO — Connexion à votre compte",
    css: "body{font-family:'Segoe UI',Arial,sans-serif;background:#efeff4;margin:0;color:#1b1b1b}.idp-card{background:#fff;max-width:440px;margin:60px auto;padding:36px 44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}.idp-brand{font-weight:600;color:#5a2d82}h1{font-size:24px;font-weight:600}.idp-field{display:flex;flex-direction:column;margin:16px 0}.idp-field input{border:0;border-bottom:1px solid #666;padding:6px 0;font-size:15px}.idp-primary{background:#0067b8;color:#fff;border:0;padding:8px 32px;min-width:108px}.idp-error{color:#e81123;margin:8px 0}.idp-who{font-size:14px}",
    authorize_path: "/monespaceakto.onmicrosoft.com/oauth2/v2.0/authorize",
    token_path: "/monespaceakto.onmicrosoft.com/oauth2/v2.0/token",
    client_id: "6c1f2b9e-3d47-4a8e-b5f0-2e9a7c4d1b83",
    callback_path: "/auth/callback",
    email_label: "Adresse e-mail",
    next_button: Some("Suivant"),
    password_label: "Mot de passe",
    sign_in_button: "Se connecter",
    login_error: "Votre mot de passe est incorrect, ou ce compte n'existe pas.",
    email_code: true,
    code_prompt: "Nous avons envoyé un code de vérification à",
    code_label: "Code de vérification",
    code_button: "Vérifier",
    code_tries: 3,
    code_wrong: "Code incorrect. Il vous reste {n} essai(s).",
    code_void: "Code incorrect. Vous n'avez plus d'essai : ce code n'est plus valable, demandez-en un nouveau.",
    resend_button: "Envoyer un nouveau code",
    renewal_title: "Mettez à jour votre mot de passe",
    new_password_label: "Nouveau mot de passe",
    confirm_password_label: "Confirmez le nouveau mot de passe",
    renewal_button: "Enregistrer le mot de passe",
    captcha_title: "Prouvez que vous n'êtes pas un robot",
    maintenance_title: "Le service de connexion est indisponible",
    error_title: "Une erreur s'est produite pendant la connexion",
};

/// AKTO: a login through its identity provider (with a code sent by e-mail), wrapping labels,
/// three steps.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Akto,
    // Modelled on public material: AKTO's Mon Espace is a single-page app calling an API behind
    // its login (PORTALS.md, inferred from its Entra External ID login). Invented: the routes,
    // the API, the toasts and the wording of the session dialog.
    stack: Stack::Spa(SpaOptions {
        routing: Routing::History,
        web_components: false,
        custom_comboboxes: false,
        masked_dates: false,
        provider_autocomplete: false,
        session_warning: ("Votre session va expirer", "Rester connecté"),
        lightning: false,
        first_step_dialog: None,
    }),
    brand: "AKTO",
    space: "Mon Espace AKTO",
    css: "body{font-family:Montserrat,Helvetica,sans-serif;background:#f4f1fb;margin:0}.akto-top{background:#5a2d82;color:#fff;padding:10px 20px}.akto-card{background:#fff;margin:20px auto;max-width:820px;padding:20px;border-radius:8px}.akto-field{display:flex;flex-direction:column;margin:10px 0}.akto-field span{font-size:14px}.akto-btn{background:#e6007e;color:#fff;border-radius:20px;padding:8px 18px;border:0;margin:4px}.akto-error{color:#b00020;font-weight:bold}table{width:100%}td,th{padding:4px;border-bottom:1px solid #ccc}",
    markup: Markup::Wrapping,
    changed_markup: Markup::ForLabel,
    cookie: "akto_sid",
    login_path: "/login",
    home_path: "/mon-espace/dossiers",
    login_user_label: "Adresse e-mail",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Connexion",
    idp: Some(&IDP),
    cookie_banner: None,
    login_error: "Adresse e-mail ou mot de passe invalide.",
    session_expired: "Vous avez été déconnecté après une période d'inactivité.",
    two_factor: true,
    two_factor_label: "Code de vérification",
    two_factor_button: "Valider le code",
    two_factor_error: "Le code saisi est incorrect ou a expiré.",
    list_title: "Mes dossiers de formation",
    new_button: "Créer une demande de financement",
    resume_link: "Compléter",
    view_link: "Voir le dossier",
    list_name: NameOrder::FirstLast,
    headers: ListHeaders {
        reference: "N° de dossier",
        trainee: "Bénéficiaire",
        action: "Formation",
        start: "Début",
        status: "État",
        amount: "Montant pris en charge",
        comment: "Motif",
    },
    steps: &[
        Step {
            title: "Entreprise et bénéficiaire",
            fields: &[
                f("company_siret", "SIRET", Kind::Text, true),
                f("account_id", "Numéro de compte AKTO", Kind::Text, true),
                f("trainee_last_name", "Nom de naissance", Kind::Text, true),
                f("trainee_first_names", "Prénom", Kind::Text, true),
                f("trainee_birth_date", "Né(e) le", Kind::Date, true),
                f("trainee_job", "Emploi occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Nature du contrat",
                    Kind::Select(AKTO_CONTRACT),
                    true,
                ),
            ],
        },
        Step {
            title: "Formation et prestataire",
            fields: &[
                f("action_title", "Intitulé de l'action", Kind::Text, true),
                f(
                    "action_start",
                    "Premier jour de formation",
                    Kind::Date,
                    true,
                ),
                f("action_end", "Dernier jour de formation", Kind::Date, true),
                f("action_hours", "Nombre d'heures", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité",
                    Kind::Select(AKTO_MODALITY),
                    true,
                ),
                f("action_cost", "Coût total HT", Kind::Text, true),
                f("provider_name", "Nom du prestataire", Kind::Text, true),
                f("provider_siret", "SIRET du prestataire", Kind::Text, true),
                f(
                    "provider_nda",
                    "N° de déclaration d'activité",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "Le prestataire est certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
                f(
                    "subrogation",
                    "Je demande la subrogation de paiement",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Documents",
            fields: &[
                f("file_quote", "Devis", Kind::File, true),
                f("file_programme", "Programme", Kind::File, true),
                f(
                    "file_agreement",
                    "Convention de formation",
                    Kind::File,
                    true,
                ),
            ],
        },
    ],
    next_button: "Continuer",
    draft_button: "Sauvegarder en brouillon",
    recap_title: "Vérifiez votre demande avant envoi",
    submit_button: "Envoyer ma demande",
    draft_saved: "Brouillon sauvegardé.",
    submitted_message: "Demande envoyée. Votre numéro de dossier est",
    statuses: StatusWords {
        draft: "En cours de saisie",
        filed: "Déposée",
        in_review: "En cours de traitement",
        documents_requested: "Dossier incomplet",
        granted: "Acceptée",
        refused: "Refusée",
        cancelled: "Annulée",
    },
    max_upload_bytes: 10 * 1024 * 1024,
    upload_refused: "Document refusé. Seuls les fichiers PDF de moins de 10 Mo sont acceptés.",
    captcha_title: "Merci de confirmer que vous n'êtes pas un robot",
    maintenance_title: "Mon Espace AKTO est momentanément indisponible",
    error_title: "Oups, une erreur est survenue",
    renamed: (1, "action_hours", "Durée totale en heures"),
    new_mandatory: (
        0,
        f(
            "trainee_level",
            "Niveau de qualification",
            Kind::Select(&[("3", "CAP/BEP"), ("4", "Bac"), ("5", "Bac+2")]),
            true,
        ),
    ),
    dossier_prefix: "DPC",
    dossier_format,
    short_field: ("provider_name", 10),
    preset_extra: (
        1,
        f("extra_costs", "Frais prévisionnels (€)", Kind::Text, false),
        "150,00",
    ),
    save_each_step: None,
    site_picker: None,
    start_confirmation: None,
};
