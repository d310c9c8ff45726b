// The sandbox of Uniformation's portal (UniWeb): what it asks, how it words and lays it out.
//
// Compiled by the `sandboxes` crate, not by `portals`: `sandboxes` includes this file from the
// registry (`portals/src/registry.rs`), so the portal's sandbox sits beside its facts and steps
// while `portals` never depends on `sandboxes` outside its tests.

use domain::OpcoId;

use crate::spec::{
    FramesetOptions, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Stack, StartConfirmation,
    StatusWords, Step, field as f,
};

/// This portal's DAF numbers, as its acknowledgement shows them (invented).
fn dossier_format(prefix: &str, seq: u32, year: i32) -> String {
    format!("{prefix}-{year}-{seq:05}")
}

const UNI_CONTRACT: &[(&str, &str)] = &[("01", "CDI"), ("02", "CDD")];
const UNI_MODALITY: &[(&str, &str)] = &[
    ("P", "En présentiel"),
    ("D", "À distance (FOAD)"),
    ("M", "Mixte"),
];

/// The frames of UniWeb: a banner, a menu, and the content frame where every page shows.
const FRAMES: FramesetOptions = FramesetOptions {
    content_frame: "principal",
    banner_path: "/UniWebLegacy/Bandeau.aspx",
    banner: "UniWeb — Espace adhérent",
    menu_path: "/UniWebLegacy/Menu.aspx",
    menu: &[("Mes demandes d'aide financière", "/UniWebLegacy/DAF")],
};

/// Uniformation: a legacy web app in frames (the page in a content frame, a menu beside it),
/// labels in the header cells of form tables, dates typed `jj/mm/aaaa`, four pages and a
/// summary. The request is a DAF (demande d'aide financière).
pub(crate) static SPEC: PortalSpec = PortalSpec {
    opco: OpcoId::Uniformation,
    // Public material (PORTALS.md): a legacy web app under `/UniWebLegacy/`; the request is a
    // DAF. Invented: the frames, the pages, their layout and every wording.
    stack: Stack::Frameset(FRAMES),
    brand: "Uniformation",
    space: "UniWeb",
    css: "body{font-family:Verdana,Arial,sans-serif;font-size:12px;margin:0;background:#fff}body.bandeau{background:#0069b4;color:#fff;padding:8px}body.menu{background:#e8f1f8}body.menu a{color:#0069b4}#bandeau{background:#0069b4;color:#fff;padding:6px 12px}#contenu{padding:10px 14px}table.saisie{border-collapse:collapse;width:100%}table.saisie th{background:#dde9f3;text-align:left;padding:4px;width:42%}table.saisie td{padding:4px}input[type=submit],button{background:#0069b4;color:#fff;border:1px solid #004a80;padding:3px 10px}.message-erreur{color:#c00;font-weight:bold}",
    markup: Markup::LabelledBy,
    changed_markup: Markup::ForLabel,
    cookie: "ASP.NET_SessionId",
    login_path: "/UniWebLegacy/Connexion.aspx",
    home_path: "/UniWebLegacy/DAF",
    login_user_label: "Identifiant",
    login_password_label: "Mot de passe",
    login_placeholders: false,
    login_button: "Connexion",
    idp: None,
    cookie_banner: None,
    login_error: "Identifiant ou mot de passe invalide.",
    session_expired: "Votre session a expiré. Veuillez vous identifier à nouveau.",
    two_factor: false,
    two_factor_label: "",
    two_factor_button: "",
    two_factor_error: "",
    list_title: "Mes demandes d'aide financière (DAF)",
    new_button: "Saisir une nouvelle DAF",
    resume_link: "Compléter",
    view_link: "Détail",
    list_name: NameOrder::LastUpperFirst,
    headers: ListHeaders {
        reference: "N° DAF",
        trainee: "Salarié",
        action: "Intitulé du stage",
        start: "Début",
        status: "État",
        amount: "Montant accordé",
        comment: "Observations",
    },
    steps: &[
        Step {
            title: "Établissement et salarié",
            fields: &[
                f("company_siret", "N° SIRET de l'établissement", Kind::Text, true),
                f("account_id", "N° d'adhérent Uniformation", Kind::Text, true),
                f("trainee_last_name", "Nom du salarié", Kind::Text, true),
                f("trainee_first_names", "Prénom du salarié", Kind::Text, true),
                f("trainee_birth_date", "Date de naissance", Kind::DateFr, true),
                f("trainee_job", "Emploi occupé", Kind::Text, true),
                f(
                    "trainee_contract",
                    "Nature du contrat",
                    Kind::Select(UNI_CONTRACT),
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
                f("action_hours", "Durée en heures", Kind::Number, true),
                f(
                    "action_modality",
                    "Modalité de réalisation",
                    Kind::Select(UNI_MODALITY),
                    true,
                ),
                f("action_cost", "Coût pédagogique HT (€)", Kind::Text, true),
                f(
                    "subrogation",
                    "Paiement direct à l'organisme (subrogation)",
                    Kind::Checkbox,
                    false,
                ),
            ],
        },
        Step {
            title: "Organisme de formation",
            fields: &[
                f("provider_name", "Nom de l'organisme", Kind::Text, true),
                f("provider_siret", "N° SIRET de l'organisme", Kind::Text, true),
                f("provider_nda", "N° de déclaration d'activité", Kind::Text, true),
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
                f("file_programme", "Programme du stage", Kind::File, true),
                f("file_agreement", "Convention de formation", Kind::File, true),
            ],
        },
    ],
    next_button: "Étape suivante",
    draft_button: "Enregistrer et revenir à la liste",
    recap_title: "Récapitulatif de la DAF",
    submit_button: "Transmettre la DAF à Uniformation",
    draft_saved: "La DAF est enregistrée : vous pourrez la compléter plus tard.",
    submitted_message: "Votre DAF a été transmise à Uniformation sous le numéro",
    statuses: StatusWords {
        draft: "En cours de saisie",
        filed: "Transmise",
        in_review: "En instruction",
        documents_requested: "En attente de pièces",
        granted: "Accord de prise en charge",
        refused: "Refus de prise en charge",
        cancelled: "Annulée",
    },
    max_upload_bytes: 4 * 1024 * 1024,
    upload_refused: "Pièce refusée : format PDF, 4 Mo au plus.",
    captcha_title: "Contrôle de sécurité",
    maintenance_title: "UniWeb est indisponible pour maintenance",
    error_title: "Erreur du serveur UniWeb",
    renamed: (1, "action_title", "Libellé de l'action"),
    new_mandatory: (
        0,
        f(
            "trainee_category",
            "Catégorie professionnelle",
            Kind::Select(&[("E", "Employé"), ("AM", "Agent de maîtrise"), ("C", "Cadre")]),
            true,
        ),
    ),
    dossier_prefix: "DAF",
    dossier_format,
    short_field: ("trainee_job", 15),
    preset_extra: (
        1,
        f(
            "extra_salary",
            "Frais de salaire à rembourser (€)",
            Kind::Text,
            false,
        ),
        "0,00",
    ),
    save_each_step: None,
    site_picker: None,
    // Public statement (DOMAIN.md): the file closes when the start is not confirmed after the
    // agreement. Invented: the wording, the delay, the confirmation page and its box.
    start_confirmation: Some(StartConfirmation {
        label: "Accord – démarrage à confirmer",
        comment: "Démarrage à confirmer sur UniWeb avant le {date}, sinon la DAF sera close",
        days: 30,
        button: "Confirmer le démarrage",
        dialog_title: "Confirmation du démarrage de l'action",
        attestation: "Je confirme que l'action a démarré ou démarrera à la date prévue",
        validate: "Valider la confirmation",
        done_label: "Accord – démarrage confirmé",
        done_message: "Démarrage confirmé le {date}.",
    }),
};
