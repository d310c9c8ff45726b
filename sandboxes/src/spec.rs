//! What each sandboxed portal asks and how it words it: the data behind the pages.
//!
//! The three portals ask roughly the same things (DOMAIN.md §2) but group them in different steps,
//! word them differently and lay them out with different markup. Everything a script has to know
//! about a portal's look is here, so a fourth portal is a fourth value of [`PortalSpec`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The portals this crate can imitate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Portal {
    Atlas,
    Akto,
    OpcoEp,
}

impl Portal {
    /// All sandboxed portals.
    pub const ALL: [Portal; 3] = [Portal::Atlas, Portal::Akto, Portal::OpcoEp];

    /// The slug used on the command line and in `domain::OpcoId`.
    pub const fn slug(self) -> &'static str {
        match self {
            Portal::Atlas => "atlas",
            Portal::Akto => "akto",
            Portal::OpcoEp => "opco-ep",
        }
    }

    /// The data describing this portal.
    pub fn spec(self) -> &'static PortalSpec {
        match self {
            Portal::Atlas => &ATLAS,
            Portal::Akto => &AKTO,
            Portal::OpcoEp => &OPCO_EP,
        }
    }
}

impl fmt::Display for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A slug that names no sandboxed portal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("portail inconnu « {0} » : attendu atlas, akto ou opco-ep")]
pub struct UnknownPortal(pub String);

impl FromStr for Portal {
    type Err = UnknownPortal;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "atlas" => Ok(Portal::Atlas),
            "akto" => Ok(Portal::Akto),
            "opco-ep" | "opco_ep" | "opcoep" => Ok(Portal::OpcoEp),
            other => Err(UnknownPortal(other.to_owned())),
        }
    }
}

/// How a portal lays out a form field and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// `<label for=id>` beside the control (DSFR style).
    ForLabel,
    /// The control inside its `<label>`.
    Wrapping,
    /// A table whose header cell is referenced by `aria-labelledby`; checkboxes use `aria-label`.
    LabelledBy,
}

/// The kind of control a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// `<input type=date>`, ISO value.
    Date,
    /// A free-text date `jj/mm/aaaa`.
    DateFr,
    Number,
    /// Options as (submitted value, visible text).
    Select(&'static [(&'static str, &'static str)]),
    Checkbox,
    /// A PDF upload.
    File,
}

/// One field of a step.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Stable key of the value (the form's `name` in the standard layout).
    pub key: &'static str,
    /// What a person reads.
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// One page of the multi-step request form.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub title: &'static str,
    pub fields: &'static [Field],
}

/// How the portal words each status of a request.
#[derive(Clone, Copy, Debug)]
pub struct StatusWords {
    pub draft: &'static str,
    pub filed: &'static str,
    pub in_review: &'static str,
    pub documents_requested: &'static str,
    pub granted: &'static str,
    pub refused: &'static str,
    pub cancelled: &'static str,
}

/// The headers of the "my requests" table, in order.
#[derive(Clone, Copy, Debug)]
pub struct ListHeaders {
    pub reference: &'static str,
    pub trainee: &'static str,
    pub action: &'static str,
    pub start: &'static str,
    pub status: &'static str,
    pub amount: &'static str,
    pub comment: &'static str,
}

/// Everything that makes one portal look like itself.
#[derive(Debug)]
pub struct PortalSpec {
    pub portal: Portal,
    pub brand: &'static str,
    pub space: &'static str,
    pub css: &'static str,
    pub markup: Markup,
    /// The markup of the `changed-markup` variant: same labels, different structure and ids.
    pub changed_markup: Markup,
    pub cookie: &'static str,
    pub login_path: &'static str,
    pub home_path: &'static str,
    /// Login field labels (placeholders only when `login_placeholders`).
    pub login_user_label: &'static str,
    pub login_password_label: &'static str,
    pub login_placeholders: bool,
    pub login_button: &'static str,
    pub login_error: &'static str,
    pub session_expired: &'static str,
    /// Whether a code "sent by e-mail" is asked after the password.
    pub two_factor: bool,
    pub two_factor_label: &'static str,
    pub two_factor_button: &'static str,
    pub two_factor_error: &'static str,
    pub list_title: &'static str,
    pub new_button: &'static str,
    pub resume_link: &'static str,
    pub view_link: &'static str,
    pub headers: ListHeaders,
    pub steps: &'static [Step],
    pub next_button: &'static str,
    pub draft_button: &'static str,
    pub recap_title: &'static str,
    pub submit_button: &'static str,
    pub draft_saved: &'static str,
    pub submitted_message: &'static str,
    pub statuses: StatusWords,
    pub max_upload_bytes: usize,
    pub upload_refused: &'static str,
    pub captcha_title: &'static str,
    pub maintenance_title: &'static str,
    pub error_title: &'static str,
    /// (step index, field key, new label) for the `renamed-label` variant.
    pub renamed: (usize, &'static str, &'static str),
    /// (step index, field) added by the `new-mandatory-field` variant.
    pub new_mandatory: (usize, Field),
    pub dossier_prefix: &'static str,
    /// (field key, N) for the `short_field` switch: that field keeps only its first N characters.
    pub short_field: (&'static str, usize),
    /// (step index, field, pre-set value) for the `extra_control = unknown` switch: an optional
    /// control the scripts do not know, holding a value nobody chose.
    pub preset_extra: (usize, Field, &'static str),
}

/// The control of the `extra_control = harmless` switch, on the first step of every portal: a
/// pre-ticked box the portals' facts list as known to be harmless.
pub const HARMLESS_EXTRA: Field = Field {
    key: "copy_by_email",
    label: "Recevoir une copie de la demande par e-mail",
    kind: Kind::Checkbox,
    required: false,
};

impl PortalSpec {
    /// The field with this key, wherever it is.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .find(|f| f.key == key)
    }

    /// Formats the n-th dossier number of this portal.
    pub fn dossier_number(&self, seq: u32, year: i32) -> String {
        match self.portal {
            Portal::Atlas => format!("{}{year}-{seq:06}", self.dossier_prefix),
            Portal::Akto => format!("{}{seq:08}", self.dossier_prefix),
            Portal::OpcoEp => format!("{}{:02}{seq:06}", self.dossier_prefix, year % 100),
        }
    }
}

const fn f(key: &'static str, label: &'static str, kind: Kind, required: bool) -> Field {
    Field {
        key,
        label,
        kind,
        required,
    }
}

const ATLAS_CONTRACT: &[(&str, &str)] = &[("CDI", "CDI"), ("CDD", "CDD")];
const ATLAS_MODALITY: &[(&str, &str)] = &[("P", "Présentiel"), ("D", "Distanciel"), ("M", "Mixte")];

/// Atlas: DSFR-like markup, six steps and a summary.
pub static ATLAS: PortalSpec = PortalSpec {
    portal: Portal::Atlas,
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
};

const AKTO_CONTRACT: &[(&str, &str)] = &[
    ("1", "Contrat à durée indéterminée"),
    ("2", "Contrat à durée déterminée"),
];
const AKTO_MODALITY: &[(&str, &str)] = &[
    ("presentiel", "Présentiel"),
    ("fad", "À distance"),
    ("mixte", "Hybride (présentiel et à distance)"),
];

/// AKTO: wrapping labels, a code sent by e-mail after the password, three steps.
pub static AKTO: PortalSpec = PortalSpec {
    portal: Portal::Akto,
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
    short_field: ("provider_name", 10),
    preset_extra: (
        1,
        f("extra_costs", "Frais prévisionnels (€)", Kind::Text, false),
        "150,00",
    ),
};

const EP_CONTRACT: &[(&str, &str)] = &[("I", "CDI"), ("D", "CDD")];
const EP_MODALITY: &[(&str, &str)] = &[
    ("PRES", "En présentiel"),
    ("FOAD", "Formation à distance (FOAD)"),
    ("MIX", "Mixte"),
];

/// OPCO EP: table layout labelled by header cells, placeholders at login, no subrogation.
pub static OPCO_EP: PortalSpec = PortalSpec {
    portal: Portal::OpcoEp,
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
};
