// The sandbox of L'Opcommerce's portal (Forconet): what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    IdpFlow, IdpSpec, Kind, ListHeaders, Markup, NameOrder, PortalSpec, SitePicker, Stack,
    StatusWords, Step, field as f,
};

/// This portal's dossier numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}{year}-{seq:06}")
}

const COM_CONTRACT: &[(&str, &str)] = &[("1", "CDI"), ("2", "CDD")];
const COM_MODALITY: &[(&str, &str)] = &[
    ("1", "Présentiel"),
    ("2", "Distanciel"),
    ("3", "Mixte (présentiel et distanciel)"),
];

/// The central login. Modelled on public material (PORTALS.md): an ASP.NET MVC login on its own
/// origin (`auth.lopcommerce.com/Home/Login?ReturnUrl=…`) that sends the browser back to the
/// space it came from. Invented: the ticket handed back, every wording, the look.
static AUTH: IdpSpec = IdpSpec {
    flow: IdpFlow::ReturnUrl,
    title: "L'Opcommerce — Connexion",
    css: "body{font-family:'Segoe UI',Arial,sans-serif;background:#f2f2f2;margin:0;color:#222}.idp-card{background:#fff;max-width:440px;margin:60px auto;padding:28px;border-top:5px solid #e4007c}.idp-brand{color:#e4007c;font-weight:700}.idp-field{display:flex;flex-direction:column;margin:12px 0}.idp-field input{padding:7px;border:1px solid #bbb}.idp-primary{background:#e4007c;color:#fff;border:0;padding:9px 22px}.idp-error{color:#b00020;margin:8px 0}.idp-who{font-size:13px}",
    authorize_path: "/Home/Login",
    token_path: "/Home/Ticket",
    client_id: "forconet",
    callback_path: "/forconet/Account/SignIn",
    email_label: "Identifiant",
    next_button: None,
    password_label: "Mot de passe",
    sign_in_button: "Se connecter",
    login_error: "Identifiant ou mot de passe incorrect.",
    email_code: false,
    code_prompt: "",
    code_label: "",
    code_button: "",
    code_tries: 0,
    code_wrong: "",
    code_void: "",
    resend_button: "",
    renewal_title: "Changement de mot de passe obligatoire",
    new_password_label: "Nouveau mot de passe",
    confirm_password_label: "Confirmation du nouveau mot de passe",
    renewal_button: "Enregistrer le mot de passe",
    captcha_title: "Vérification anti-robot",
    maintenance_title: "Le service de connexion est momentanément indisponible",
    error_title: "Une erreur est survenue lors de la connexion",
};

/// The establishments of the login, as « listesites » shows them (invented; the first is the
/// tests' company).
static SITES: SitePicker = SitePicker {
    path: "/forconet/listesites",
    title: "Choix de l'établissement",
    headers: ("N° SIRET", "Raison sociale", "Ville"),
    open_link: "Accéder à l'espace",
    sites: &[
        ("73282932000074", "MARTIN DISTRIBUTION", "Lyon"),
        ("73282932000082", "MARTIN DISTRIBUTION — DÉPÔT", "Villeurbanne"),
    ],
    change_link: "Changer d'établissement",
    current_label: "Établissement :",
};

/// L'Opcommerce: a central login on another origin, a site picker, then a classic
/// server-rendered ASP.NET MVC space (labels `for` their controls, dates typed `jj/mm/aaaa`),
/// four pages and a summary.
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Opcommerce,
    // Public material (PORTALS.md): ASP.NET MVC, so server-rendered pages. Invented: the pages,
    // their layout and wording.
    stack: Stack::ServerRendered,
    brand: "L'Opcommerce",
    space: "Forconet",
    css: "body{font-family:'Segoe UI',Arial,sans-serif;margin:0;background:#fafafa}header{background:#e4007c;color:#fff;padding:10px 18px}main{max-width:880px;margin:14px auto;background:#fff;padding:18px}.fr-input-group{margin:10px 0}label{display:block;font-weight:600}button{background:#e4007c;color:#fff;border:0;padding:7px 16px}[role=alert]{background:#fde2ee;color:#8a0047;padding:8px}table{width:100%;border-collapse:collapse}td,th{padding:5px;border-bottom:1px solid #ddd}.etablissement{font-size:14px;color:#555}",
    markup: Markup::ForLabel,
    changed_markup: Markup::Wrapping,
    cookie: "ForconetAuth",
    login_path: "/forconet/Account/Login",
    home_path: "/forconet/demandes",
    login_user_label: "Identifiant",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Se connecter",
    idp: Some(&AUTH),
    cookie_banner: None,
    login_error: "Identifiant ou mot de passe incorrect.",
    session_expired: "Votre session Forconet a expiré, veuillez vous reconnecter.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes de financement",
    new_button: "Créer une demande de financement",
    resume_link: "Reprendre la saisie",
    view_link: "Consulter",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "N° de demande",
        trainee: "Stagiaire",
        action: "Action de formation",
        start: "Début",
        status: "Situation",
        amount: "Montant pris en charge",
        comment: "Motif",
    },
    steps: &[
        Step {
            title: "Établissement et stagiaire",
            fields: &[
                f("company_siret", "SIRET de l'établissement", Kind::Text, true),
                f("account_id", "N° d'adhérent", Kind::Text, true),
                f("trainee_last_name", "Nom du stagiaire", Kind::Text, true),
                f("trainee_first_names", "Prénom du stagiaire", Kind::Text, true),
                f("trainee_birth_date", "Date de naissance", Kind::DateFr, true),
                f("trainee_job", "Emploi occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Type de contrat",
                    Kind::Select(COM_CONTRACT),
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
                f("action_hours", "Nombre d'heures", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité pédagogique",
                    Kind::Select(COM_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique HT", Kind::Text, true),
                f(
                    "subrogation",
                    "Subrogation de paiement à l'organisme",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Organisme de formation",
            fields: &[
                f("provider_name", "Raison sociale de l'organisme", Kind::Text, true),
                f("provider_siret", "SIRET de l'organisme", Kind::Text, true),
                f(
                    "provider_nda",
                    "N° de déclaration d'activité (NDA)",
                    Kind::Text,
                    true,
                ),
                f(
                    "provider_qualiopi",
                    "Organisme certifié Qualiopi",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Pièces justificatives",
            fields: &[
                f("file_quote", "Devis", Kind::File, true),
                f("file_programme", "Programme de formation", Kind::File, true),
                f("file_agreement", "Convention de formation", Kind::File, true),
            ],
        },
    ],
    next_button: "Continuer",
    draft_button: "Enregistrer en brouillon",
    recap_title: "Récapitulatif de la demande",
    submit_button: "Valider et envoyer la demande",
    draft_saved: "Votre demande est enregistrée en brouillon.",
    submitted_message: "Votre demande a bien été envoyée. Numéro de demande :",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Envoyée",
        in_review: "En cours de traitement",
        documents_requested: "Dossier incomplet",
        granted: "Acceptée",
        refused: "Refusée",
        cancelled: "Annulée",
    },
    max_upload_bytes: 5 * 1024 * 1024,
    upload_refused: "Fichier refusé : seuls les PDF de 5 Mo au plus sont acceptés.",
    captcha_title: "Vérification anti-robot",
    maintenance_title: "Forconet est en cours de maintenance",
    error_title: "Une erreur technique est survenue",
    renamed: (1, "action_title", "Libellé de la formation"),
    new_mandatory: (
        0,
        f(
            "trainee_category",
            "Catégorie socioprofessionnelle",
            Kind::Select(&[("1", "Employé"), ("2", "Agent de maîtrise"), ("3", "Cadre")]),
            true,
        ),
    ),
    dossier_prefix: "DF",
    dossier_format,
    short_field: ("trainee_job", 12),
    preset_extra: (
        1,
        f(
            "extra_meals",
            "Frais annexes (repas, hébergement) en €",
            Kind::Text,
            false,
        ),
        "45,00",
    ),
    save_each_step: None,
    site_picker: Some(&SITES),
    start_confirmation: None,
};
