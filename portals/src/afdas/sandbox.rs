// The sandbox of Afdas's portal (MyA, the employer space): what it asks, how it words and lays
// it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    Employee, EmployeeChoice, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Routing,
    SpaOptions, Stack, StartConfirmation, StatusWords, Step, field as f,
};

/// This portal's request numbers, as its acknowledgement shows them (invented, in the manner of
/// a Salesforce auto-number).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}-{year}-{seq:06}")
}

const AFDAS_SCHEME: &[(&str, &str)] = &[
    ("PDC", "Plan de développement des compétences"),
    ("PROA", "Reconversion ou promotion par alternance (Pro-A)"),
    ("FNE", "FNE-Formation"),
];
const AFDAS_NATURE: &[(&str, &str)] = &[
    ("AF", "Action de formation"),
    ("BC", "Bilan de compétences"),
    ("VAE", "Validation des acquis de l'expérience"),
];
const AFDAS_MODALITY: &[(&str, &str)] = &[
    ("P", "Présentiel"),
    ("D", "Distanciel"),
    ("M", "Mixte"),
];
const AFDAS_CONTRACT: &[(&str, &str)] = &[
    ("CDI", "CDI"),
    ("CDD", "CDD"),
    ("CDDU", "CDD d'usage (intermittent)"),
];

/// The employees every sandbox account starts with (invented people).
const EMPLOYEES: &[Employee] = &[
    Employee {
        last_name: "Lefèvre",
        first_names: "Camille",
        birth_date: "14/09/1987",
        job: "Chargée de production",
        contract: "CDI",
    },
    Employee {
        last_name: "Moreau",
        first_names: "Julien",
        birth_date: "03/02/1979",
        job: "Régisseur général",
        contract: "CDDU",
    },
];

/// A module's trainees: chosen among the account's employees, or created first.
static TRAINEE: EmployeeChoice = EmployeeChoice {
    seeds: EMPLOYEES,
    create_button: "Créer un salarié",
    dialog_title: "Nouveau salarié",
    save_button: "Enregistrer le salarié",
    labels: [
        "Nom de naissance",
        "Prénom",
        "Date de naissance",
        "Emploi occupé",
        "Type de contrat",
    ],
    contracts: AFDAS_CONTRACT,
    duplicate: "Ce salarié existe déjà dans la liste de vos salariés.",
};

/// Afdas: MyA, a Salesforce Experience Cloud site on the Aura template (PORTALS.md): every field
/// a Lightning component in its own shadow root, comboboxes whose listbox closes on blur, boxes
/// that ignore a script's click, « Nouvelle demande » opening a pop-up, a request made of
/// modules (a bilan is one module, with one provider and its trainees, each chosen among the
/// account's employees or created), uploads up to 3.5 MB, a session-timeout alert, and after the
/// decision the employer's « Accepter un financement ».
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Afdas,
    // Public material (PORTALS.md): the `/s/` paths of an Experience Cloud site, synthetic shadow
    // DOM, lightning-combobox listboxes closing on blur, Aura checkboxes ignoring a JS click,
    // lightning-input type=file up to 3.5 MB, a session-timeout alert; the employer guide's
    // chapters (modules, employees, « Accepter un financement »). Invented: the routes, the API,
    // every label and wording, the request numbers.
    stack: Stack::Spa(SpaOptions {
        routing: Routing::History,
        web_components: false,
        custom_comboboxes: true,
        masked_dates: false,
        provider_autocomplete: false,
        session_warning: (
            "Votre session va expirer pour cause d'inactivité",
            "Continuer ma session",
        ),
        lightning: true,
        first_step_dialog: Some("Nouvelle demande de prise en charge"),
    }),
    brand: "Afdas",
    space: "MyA — Espace entreprise",
    css: "body{font-family:'Salesforce Sans',Arial,sans-serif;background:#f3f2f2;margin:0;color:#080707}header{background:#e6007e;color:#fff;padding:10px 20px}main{max-width:900px;margin:16px auto;background:#fff;padding:16px 20px;border-radius:4px;box-shadow:0 2px 2px rgba(0,0,0,.1)}label{display:block;font-size:12px;color:#3e3e3c;margin-top:10px}input{border:1px solid #dddbda;border-radius:4px;padding:6px 10px;width:60%}.btn{background:#0176d3;color:#fff;border:1px solid #0176d3;border-radius:4px;padding:6px 14px;margin:4px}table{width:100%;border-collapse:collapse}td,th{padding:6px;border-bottom:1px solid #dddbda;text-align:left}",
    markup: Markup::ForLabel,
    changed_markup: Markup::LabelledBy,
    cookie: "sid",
    login_path: "/s/login/",
    home_path: "/s/demandes-de-prise-en-charge",
    login_user_label: "Nom d'utilisateur",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Se connecter",
    idp: None,
    cookie_banner: None,
    login_error: "Vérifiez votre nom d'utilisateur et votre mot de passe.",
    session_expired: "Votre session a expiré. Connectez-vous à nouveau.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes Demandes de prise en charge",
    new_button: "Nouvelle demande",
    resume_link: "Compléter la demande",
    view_link: "Consulter",
    list_name: NameOrder::FirstLast,
    headers: ListHeaders {
        reference: "N° de demande",
        trainee: "Stagiaire(s)",
        action: "Intitulé",
        start: "Date de début",
        status: "Statut",
        amount: "Montant accordé",
        comment: "Commentaire Afdas",
    },
    steps: &[
        Step {
            title: "Informations générales",
            fields: &[
                f("scheme", "Dispositif", Kind::Select(AFDAS_SCHEME), true),
                f("action_title", "Intitulé de la demande", Kind::Text, true),
                f("company_siret", "SIRET de l'établissement", Kind::Text, true),
                f("account_id", "N° d'adhérent Afdas", Kind::Text, true),
            ],
        },
        Step {
            title: "Module 1 — Action",
            fields: &[
                f("action_nature", "Nature de l'action", Kind::Select(AFDAS_NATURE), true),
                f("action_start", "Date de début du module", Kind::DateFr, true),
                f("action_end", "Date de fin du module", Kind::DateFr, true),
                f("action_hours", "Durée du module (heures)", Kind::Number, true),
                f("action_modality", "Modalité pédagogique", Kind::Select(AFDAS_MODALITY), true),
                f("action_cost", "Coût pédagogique HT", Kind::Text, true),
            ],
        },
        Step {
            title: "Module 1 — Organisme de formation",
            fields: &[
                f("provider_name", "Raison sociale de l'organisme", Kind::Text, true),
                f("provider_siret", "SIRET de l'organisme", Kind::Text, true),
                f("provider_nda", "Numéro de déclaration d'activité", Kind::Text, true),
                f("provider_qualiopi", "Organisme certifié Qualiopi", Kind::Checkbox, false),
                f(
                    "subrogation",
                    "Subrogation : l'Afdas règle directement l'organisme",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Module 1 — Stagiaires",
            fields: &[f("trainee", "Salarié", Kind::Employee(&TRAINEE), true)],
        },
        Step {
            title: "Pièces justificatives",
            fields: &[
                f("file_quote", "Devis de l'organisme", Kind::File, true),
                f("file_programme", "Programme de formation", Kind::File, true),
                f("file_agreement", "Convention de formation", Kind::File, true),
            ],
        },
    ],
    next_button: "Suivant",
    draft_button: "Enregistrer le brouillon",
    recap_title: "Récapitulatif de la demande",
    submit_button: "Envoyer la demande à l'Afdas",
    draft_saved: "Votre demande est enregistrée en brouillon.",
    submitted_message: "Votre demande a bien été envoyée à l'Afdas sous le numéro",
    statuses: StatusWords {
        draft: "Brouillon",
        filed: "Envoyée",
        in_review: "En cours d'instruction",
        documents_requested: "En attente de compléments",
        granted: "Accordée",
        refused: "Refusée",
        cancelled: "Annulée",
    },
    // Public statement (PORTALS.md): a lightning-input of type file takes 3.5 MB at most.
    max_upload_bytes: 3_670_016,
    upload_refused: "Le fichier n'a pas pu être chargé : PDF de 3,5 Mo au maximum.",
    captcha_title: "Vérification de sécurité",
    maintenance_title: "MyA est en maintenance",
    error_title: "Une erreur inattendue s'est produite",
    renamed: (1, "action_cost", "Coût pédagogique du module (HT)"),
    new_mandatory: (
        2,
        f(
            "provider_type",
            "Type d'organisme",
            Kind::Select(&[("EXT", "Organisme externe"), ("INT", "Service interne")]),
            true,
        ),
    ),
    dossier_prefix: "DPC",
    dossier_format,
    short_field: ("provider_name", 12),
    preset_extra: (
        1,
        f(
            "extra_costs",
            "Frais annexes prévisionnels (€)",
            Kind::Text,
            false,
        ),
        "150,00",
    ),
    save_each_step: None,
    site_picker: None,
    // Public material (employer guide): after the decision the employer must « Accepter un
    // financement ». Invented: the wording, the delay, the dialog and its box.
    start_confirmation: Some(StartConfirmation {
        label: "Accordée – financement à accepter",
        comment: "Acceptez le financement sur MyA avant le {date}, faute de quoi l'accord sera annulé",
        days: 15,
        button: "Accepter le financement",
        dialog_title: "Accepter un financement",
        attestation: "J'accepte les conditions de prise en charge de l'Afdas",
        validate: "Valider l'acceptation",
        done_label: "Accordée – financement accepté",
        done_message: "Financement accepté le {date}.",
    }),
};
