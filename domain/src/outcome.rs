//! What a filing's portal jobs bring back, typed once for the handlers that write it, the filing
//! projection that reads it and the staff decisions that queue the next job.
//!
//! A job stays generic: its error is a code and a French message, its result and input are JSON.
//! These types are what that JSON and that code mean for a filing, so no one compares them with
//! string literals: a handler builds a [`NeedsHuman`] and a result, the projection parses the
//! code back into a [`ReasonCode`] and the result into its type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::opco::OpcoId;

/// The code of a reason a filing's job waits for a person (the job's `error.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Prefilled, the draft saved: staff review it, then confirm.
    ReadyForReview,
    /// The portal did not keep what the prefill typed.
    ValuesNotKept,
    /// Before submitting, the portal does not show what staff confirmed.
    ValuesDiffer,
    /// The final submit was pressed and its acknowledgement could not be read.
    FiledUnknown,
    /// The portal sent a code a person must type.
    TwoFactorCodeNeeded,
    /// The portal shows a CAPTCHA.
    Captcha,
    /// The portal makes the account choose a new password.
    PasswordRenewal,
    /// The portal does not look as its script expects.
    PortalChanged,
    /// A value cannot fit the portal's field.
    ValueDoesNotFit,
    /// No login is registered for the client's account.
    CredentialsMissing,
    /// The company's OPCO could not be resolved from its SIRET.
    OpcoUnresolved,
    /// A followed dossier no longer appears on the portal.
    MissingOnPortal,
    /// The portal's site picker does not list the company's establishment exactly once.
    SiteNotFound,
    /// The employer's action after the agreement was validated on the portal, and the portal
    /// did not show it done.
    AgreementUnknown,
}

impl ReasonCode {
    /// Every code.
    pub const ALL: [ReasonCode; 14] = [
        Self::ReadyForReview,
        Self::ValuesNotKept,
        Self::ValuesDiffer,
        Self::FiledUnknown,
        Self::TwoFactorCodeNeeded,
        Self::Captcha,
        Self::PasswordRenewal,
        Self::PortalChanged,
        Self::ValueDoesNotFit,
        Self::CredentialsMissing,
        Self::OpcoUnresolved,
        Self::MissingOnPortal,
        Self::SiteNotFound,
        Self::AgreementUnknown,
    ];

    /// The wire name, as stored in a job's `error.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadyForReview => "ready_for_review",
            Self::ValuesNotKept => "values_not_kept",
            Self::ValuesDiffer => "values_differ",
            Self::FiledUnknown => "filed_unknown",
            Self::TwoFactorCodeNeeded => "two_factor_code_needed",
            Self::Captcha => "captcha",
            Self::PasswordRenewal => "password_renewal",
            Self::PortalChanged => "portal_changed",
            Self::ValueDoesNotFit => "value_does_not_fit",
            Self::CredentialsMissing => "credentials_missing",
            Self::OpcoUnresolved => "opco_unresolved",
            Self::MissingOnPortal => "missing_on_portal",
            Self::SiteNotFound => "site_not_found",
            Self::AgreementUnknown => "agreement_unknown",
        }
    }

    /// The code of a stored error, when it is one of these (other codes are not a filing's).
    pub fn of(code: Option<&str>) -> Option<Self> {
        code.and_then(|c| c.parse().ok())
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code that is not a [`ReasonCode`].
#[derive(Debug, thiserror::Error)]
#[error("unknown reason code `{0}`")]
pub struct UnknownReasonCode(pub String);

impl FromStr for ReasonCode {
    type Err = UnknownReasonCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownReasonCode(s.to_owned()))
    }
}

/// A value the portal holds otherwise than asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The field's label on the portal.
    pub label: String,
    /// What was asked (empty: a field the script does not know, filled by the portal).
    pub expected: String,
    /// What the portal holds.
    pub found: String,
}

impl Difference {
    /// The difference in the words staff read.
    pub fn message_fr(&self) -> String {
        if self.expected.is_empty() {
            format!(
                "« {} » : champ que l'automate ne connaît pas, rempli par le portail à « {} »",
                self.label, self.found
            )
        } else {
            format!(
                "« {} » : demandé « {} », conservé par le portail « {} »",
                self.label, self.expected, self.found
            )
        }
    }
}

/// Why a filing's job waits for a person, with what that person needs to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeedsHuman {
    /// Prefilled and saved as a draft: staff review it.
    ReadyForReview,
    /// The prefill stopped: the portal did not keep these values.
    ValuesNotKept {
        /// Field by field.
        differences: Vec<Difference>,
    },
    /// Nothing submitted: the portal does not show the confirmed values.
    ValuesDiffer {
        /// Field by field.
        differences: Vec<Difference>,
    },
    /// Submit pressed, acknowledgement unread.
    FiledUnknown {
        /// The reference the portal's list shows for the request, if any.
        reference: Option<String>,
        /// Whether that reference has the portal's dossier format.
        reference_recognised: bool,
    },
    /// The portal sent a code to type.
    CodeNeeded {
        /// The portal's sentence saying where the code went.
        prompt: String,
        /// Whether the code typed last time was refused.
        previous_code_refused: bool,
        /// The tries the refused code has left, as the portal said them (`Some(0)`: void).
        tries_left: Option<u32>,
    },
    /// The portal makes the account choose a new password; the fleet never chooses one.
    PasswordRenewal {
        /// The login whose password is to change.
        username: String,
    },
    /// A CAPTCHA at this step.
    Captcha {
        /// The script's step.
        step: String,
    },
    /// The portal changed at this step.
    PortalChanged {
        /// The script's step.
        step: String,
        /// What was not as expected.
        what: String,
    },
    /// A value does not fit the portal's field.
    ValueDoesNotFit {
        /// The field's label.
        field: String,
        /// The value.
        value: String,
        /// What the field accepts.
        limit: String,
    },
    /// No login registered for the account.
    CredentialsMissing {
        /// The portal.
        opco: OpcoId,
        /// The client's account.
        account: String,
    },
    /// The company's OPCO is for staff to choose.
    OpcoUnresolved {
        /// Why, in French.
        reason: String,
    },
    /// The portal's site picker lists the company's establishment not at all, or several times.
    SiteNotFound {
        /// The filing's SIRET.
        siret: String,
        /// How many rows carry it.
        found: usize,
        /// The establishments listed, as the portal shows them.
        listed: Vec<String>,
    },
    /// The action after the agreement was validated on the portal, which did not show it done.
    AgreementUnknown {
        /// The dossier.
        dossier: String,
    },
}

impl NeedsHuman {
    /// Its code.
    pub fn code(&self) -> ReasonCode {
        match self {
            Self::ReadyForReview => ReasonCode::ReadyForReview,
            Self::ValuesNotKept { .. } => ReasonCode::ValuesNotKept,
            Self::ValuesDiffer { .. } => ReasonCode::ValuesDiffer,
            Self::FiledUnknown { .. } => ReasonCode::FiledUnknown,
            Self::CodeNeeded { .. } => ReasonCode::TwoFactorCodeNeeded,
            Self::Captcha { .. } => ReasonCode::Captcha,
            Self::PasswordRenewal { .. } => ReasonCode::PasswordRenewal,
            Self::PortalChanged { .. } => ReasonCode::PortalChanged,
            Self::ValueDoesNotFit { .. } => ReasonCode::ValueDoesNotFit,
            Self::CredentialsMissing { .. } => ReasonCode::CredentialsMissing,
            Self::OpcoUnresolved { .. } => ReasonCode::OpcoUnresolved,
            Self::SiteNotFound { .. } => ReasonCode::SiteNotFound,
            Self::AgreementUnknown { .. } => ReasonCode::AgreementUnknown,
        }
    }

    /// What staff read.
    pub fn message_fr(&self) -> String {
        let listed = |lead: &str, differences: &[Difference]| {
            let listed: Vec<String> = differences.iter().map(Difference::message_fr).collect();
            format!(
                "{lead} : {}. Corrigez le dossier ou le portail, puis relancez.",
                listed.join(" ; ")
            )
        };
        match self {
            Self::ReadyForReview => {
                "Le dossier est prérempli sur le portail : vérifiez-le, puis confirmez le dépôt."
                    .into()
            }
            Self::ValuesNotKept { differences } => {
                listed("Préremplissage arrêté, rien n'a été déposé", differences)
            }
            Self::ValuesDiffer { differences } => listed(
                "Rien n'a été déposé : le portail ne montre pas les valeurs confirmées",
                differences,
            ),
            Self::FiledUnknown {
                reference,
                reference_recognised,
            } => {
                let reference = match (reference, reference_recognised) {
                    (Some(r), true) => {
                        format!(" La liste du portail montre pour cette demande le dossier n° {r}.")
                    }
                    (Some(r), false) => format!(
                        " La liste du portail montre pour cette demande la référence « {r} », d'un format que l'automate ne connaît pas."
                    ),
                    (None, _) => String::new(),
                };
                format!(
                    "Déposé ou non : à vérifier. Le bouton de dépôt a été pressé mais l'accusé de dépôt n'a pas pu être lu.{reference} Ne redéposez pas à la main : regardez la liste des demandes sur le portail (capture et liste jointes). « Relancer » recherche le dossier sur le portail et l'enregistre, sans redéposer."
                )
            }
            Self::CodeNeeded {
                previous_code_refused: true,
                tries_left: Some(0),
                ..
            } => "Code refusé : il ne reste aucun essai, ce code n'est plus valable. Demandez un nouveau code.".into(),
            Self::CodeNeeded {
                previous_code_refused: true,
                tries_left: Some(1),
                ..
            } => "Code refusé : il reste 1 essai. Vérifiez le code reçu par e-mail avant de le saisir.".into(),
            Self::CodeNeeded {
                previous_code_refused: true,
                tries_left: Some(n),
                ..
            } => format!("Code refusé : il reste {n} essais. Vérifiez le code reçu par e-mail avant de le saisir."),
            Self::CodeNeeded {
                prompt,
                previous_code_refused: true,
                tries_left: None,
            } => format!("Le code saisi a été refusé par le portail. {prompt}"),
            Self::CodeNeeded { prompt, .. } => format!("Le portail a envoyé un code : {prompt}"),
            Self::PasswordRenewal { username } => format!(
                "Le portail demande de changer le mot de passe du compte {username} : changez-le une fois à la main puis enregistrez le nouveau (PUT /v1/portal-accounts ou monopco credentials set), puis relancez. L'automate ne choisit jamais de mot de passe."
            ),
            Self::Captcha { step } => format!(
                "Le portail demande un CAPTCHA à l'étape « {step} » : connectez-vous une fois à la main, puis relancez."
            ),
            Self::PortalChanged { step, what } => format!(
                "Le portail ne ressemble plus à ce qui est attendu à l'étape « {step} » ({what}) : rien n'a été déposé, voyez la capture."
            ),
            Self::ValueDoesNotFit {
                field,
                value,
                limit,
            } => format!(
                "Le champ « {field} » du portail accepte {limit} : la valeur « {value} » ({} caractères) n'y tient pas. Rien n'a été tapé ni déposé : raccourcissez la valeur dans le dossier, puis relancez.",
                value.chars().count()
            ),
            Self::CredentialsMissing { opco, account } => format!(
                "Aucun identifiant de connexion n'est enregistré pour le compte {account} sur le portail {} : enregistrez-le (PUT /v1/portal-accounts/{}/{account}), puis relancez.",
                opco.name(),
                opco.slug()
            ),
            Self::OpcoUnresolved { reason } => reason.clone(),
            Self::AgreementUnknown { dossier } => format!(
                "Fait ou non : à vérifier. L'action demandée par le portail après l'accord du dossier n° {dossier} a été validée, mais le portail ne l'a pas montrée faite. Ne la refaites pas à la main avant d'avoir regardé le dossier sur le portail (capture jointe). « Relancer » relit d'abord le statut du dossier et ne refait l'action que si le portail l'attend encore."
            ),
            Self::SiteNotFound {
                siret,
                found,
                listed,
            } => {
                let listed = if listed.is_empty() {
                    "aucun".to_owned()
                } else {
                    listed.join(" ; ")
                };
                if *found == 0 {
                    format!(
                        "Le compte de connexion ne donne accès à aucun établissement de SIRET {siret} (établissements proposés : {listed}). Rien n'a été saisi : faites rattacher cet établissement au compte sur le portail, ou corrigez le SIRET du dossier, puis relancez."
                    )
                } else {
                    format!(
                        "Le portail propose {found} espaces pour le SIRET {siret} (établissements proposés : {listed}). L'automate ne choisit pas : rien n'a été saisi. Vérifiez sur le portail quel espace utiliser, faites retirer l'autre du compte, puis relancez."
                    )
                }
            }
        }
    }
}

/// A staff warning on a prefilled request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable, snake_case.
    pub code: String,
    /// In French.
    pub message: String,
}

/// One field as asked and as the portal kept it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The field's label on the portal.
    pub label: String,
    /// What was typed.
    pub asked: String,
    /// What the portal holds.
    pub kept: String,
    /// Whether they are the same.
    pub same: bool,
}

impl From<&Difference> for Kept {
    fn from(d: &Difference) -> Self {
        Self {
            label: d.label.clone(),
            asked: d.expected.clone(),
            kept: d.found.clone(),
            same: false,
        }
    }
}

/// A request prefilled and saved as a draft, waiting for review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefilled {
    /// The portal.
    pub opco: OpcoId,
    /// The draft's address on the portal.
    pub draft_url: String,
    /// Whether an existing draft was taken up again.
    pub resumed_draft: bool,
    /// The screenshot of every filled page.
    pub final_screenshots: Vec<String>,
    /// For staff: deadline, hourly cap, subrogation, provider.
    pub warnings: Vec<Warning>,
    /// Field by field, as the portal kept it.
    pub kept: Vec<Kept>,
    /// Where the attempt's recordings are.
    pub recordings: String,
}

/// The portal holds a dossier for the request: submitted now, or found already filed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filed {
    /// The portal's dossier number.
    pub dossier: String,
    /// The screenshot of the portal's acknowledgement, when submitted now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// Found already filed (by an earlier attempt, or by hand): nothing was filed again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub already_filed: bool,
    /// Where the attempt's recordings are.
    #[serde(default)]
    pub recordings: String,
}

/// The values the portal does not hold as asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotKept {
    /// Field by field.
    pub differences: Vec<Difference>,
    /// The same, as rows of the review's "kept" table.
    pub kept: Vec<Kept>,
    /// The page at the stop.
    pub screenshot: Option<String>,
    /// Where the attempt's recordings are.
    pub recordings: String,
}

impl NotKept {
    /// From the differences read on the portal.
    pub fn new(
        differences: Vec<Difference>,
        screenshot: Option<String>,
        recordings: String,
    ) -> Self {
        Self {
            kept: differences.iter().map(Kept::from).collect(),
            differences,
            screenshot,
            recordings,
        }
    }
}

/// What the portal showed after a submit whose acknowledgement could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AfterSubmit {
    /// Why the acknowledgement was not read.
    pub reason: String,
    /// The reference the list shows for the request, if any.
    pub reference: Option<String>,
    /// Whether it has the portal's dossier format.
    pub reference_recognised: bool,
    /// The list of requests as seen.
    pub list: Vec<String>,
}

/// A submit pressed whose outcome is unknown: the evidence for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledUnknown {
    /// What the portal showed.
    pub after_submit: AfterSubmit,
    /// The page at the stop.
    pub screenshot: Option<String>,
    /// Where the attempt's recordings are.
    pub recordings: String,
}

/// A portal run that stopped for a person or for good: the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopped {
    /// Where the attempt's recordings are.
    pub recordings: String,
    /// The page at the stop.
    pub screenshot: Option<String>,
    /// The script's own account of the stop, for operators.
    pub error: String,
}

/// The account a job could not log into, for want of a registered login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoLogin {
    /// The portal.
    pub opco: OpcoId,
    /// The client's account.
    pub account: String,
}

/// A portal the fleet can file on, offered to staff choosing a company's OPCO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomatedPortal {
    /// Its slug.
    pub opco: OpcoId,
    /// Its name.
    pub name: String,
}

/// A company whose OPCO is for staff to choose: what is known of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unresolved {
    /// The company as the directory knows it.
    pub company: Value,
    /// The OPCOs it may belong to, with why.
    pub candidates: Value,
    /// The portals that can be chosen.
    pub automated_portals: Vec<AutomatedPortal>,
    /// Why it is not resolved, in French.
    pub reason: String,
}

/// The result of a `prefill_filing` job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PrefillResult {
    /// Waiting for review.
    Prefilled(Prefilled),
    /// Done: the portal already holds the request.
    Filed(Filed),
    /// Stopped: the portal did not keep the values.
    NotKept(NotKept),
    /// No login registered for the account.
    NoLogin(NoLogin),
    /// The OPCO is for staff to choose.
    Unresolved(Unresolved),
    /// Stopped on the portal for a person.
    Stopped(Stopped),
}

/// The result of a `submit_filing` job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubmitResult {
    /// Done: submitted now, or found already filed.
    Filed(Filed),
    /// Nothing submitted: the portal does not show the confirmed values.
    NotKept(NotKept),
    /// Pressed, unread.
    FiledUnknown(FiledUnknown),
    /// No login registered for the account.
    NoLogin(NoLogin),
    /// Stopped on the portal for a person.
    Stopped(Stopped),
}

/// What a polling round changed on one filing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolledChangeView {
    /// The filing.
    pub filing_id: crate::JobId,
    /// Its dossier.
    pub dossier: String,
    /// State before.
    pub from: crate::FilingState,
    /// State after.
    pub to: crate::FilingState,
    /// `status_changed`, `overdue` or `missing_on_portal`.
    pub what: String,
}

/// The result of a `poll_status` job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PollResult {
    /// The round was read and stored.
    Read {
        /// Dossiers listed on the portal with a known status.
        dossiers_on_portal: usize,
        /// What changed.
        changes: Vec<PolledChangeView>,
        /// Where the attempt's recordings are.
        recordings: String,
    },
    /// No login registered for the account.
    NoLogin(NoLogin),
    /// Stopped on the portal for a person.
    Stopped(Stopped),
}

/// The input of a `prefill_filing` job; `F` is the filing as the reader needs it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefillInput<F = Value> {
    /// The OPCO whose portal receives the request; without it, resolved from the company's SIRET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opco: Option<String>,
    /// What to file.
    pub filing: F,
    /// A code the portal sent, typed by staff on the review page (one run only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_code: Option<String>,
}

/// The input of a `submit_filing` job, queued when staff confirm.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput<F = Value> {
    /// The filing (its prefill job's id).
    pub filing_id: crate::JobId,
    /// The OPCO whose portal holds the draft.
    pub opco: String,
    /// The filing as staff confirmed it.
    pub filing: F,
    /// A code the portal sent, typed by staff (one run only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_code: Option<String>,
}

/// The input of an `act_on_agreement` job, queued when staff confirm on the review page the
/// action the portal asks of the employer after an agreement.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// The filing.
    pub filing_id: crate::JobId,
    /// The OPCO.
    pub opco: String,
    /// The client's account on its portal.
    pub account: String,
    /// The establishment whose space holds the dossier (on a portal with a site picker).
    pub siret: String,
    /// The portal's dossier number.
    pub dossier: String,
    /// A code the portal sent, typed by staff (one run only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_code: Option<String>,
}

/// What an `act_on_agreement` job leaves: the dossier's status on the portal afterwards.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgreementActed {
    /// The dossier.
    pub dossier: String,
    /// Its status, as the portal's script reads it.
    pub portal_status: Value,
    /// The portal's wording of it.
    pub portal_label: String,
    /// Found done before anything was clicked (an earlier attempt, or by hand on the portal).
    pub already_done: bool,
    /// The screenshot of the portal's page once done.
    pub screenshot: Option<String>,
    /// The session's recordings.
    pub recordings: String,
}

/// The input of a `poll_status` job.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    /// The OPCO.
    pub opco: String,
    /// The client's account on its portal.
    pub account: String,
    /// A code the portal sent, typed by staff (one run only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_code: Option<String>,
}

/// Any portal job's input with its one-time code set or removed, the rest kept as it is.
pub fn with_code(input: &Value, code: Option<&str>) -> Value {
    let mut map: Map<String, Value> = input.as_object().cloned().unwrap_or_default();
    match code {
        Some(code) => {
            map.insert("two_factor_code".into(), Value::String(code.to_owned()));
        }
        None => {
            map.remove("two_factor_code");
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_round_trip_and_match_serde() {
        for code in ReasonCode::ALL {
            assert_eq!(code.as_str().parse::<ReasonCode>().unwrap(), code);
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }

    #[test]
    fn a_submitted_and_an_already_filed_dossier_read_as_the_same_type() {
        let now: Filed = serde_json::from_value(serde_json::json!({
            "dossier": "DPC-1", "receipt": "r.png", "recordings": "recordings/x/attempt-1"
        }))
        .unwrap();
        assert!(!now.already_filed);
        let before: Filed = serde_json::from_value(serde_json::json!({
            "dossier": "DPC-1", "already_filed": true, "recordings": "recordings/x/attempt-2"
        }))
        .unwrap();
        assert!(before.already_filed && before.receipt.is_none());
    }

    #[test]
    fn a_refused_code_tells_staff_the_tries_left_and_a_renewal_names_the_account() {
        let refused = |tries_left| NeedsHuman::CodeNeeded {
            prompt: "Nous avons envoyé un code".into(),
            previous_code_refused: true,
            tries_left,
        };
        assert!(
            refused(Some(2))
                .message_fr()
                .starts_with("Code refusé : il reste 2 essais")
        );
        assert!(
            refused(Some(1))
                .message_fr()
                .starts_with("Code refusé : il reste 1 essai.")
        );
        assert!(
            refused(Some(0))
                .message_fr()
                .contains("Demandez un nouveau code")
        );
        assert!(refused(None).message_fr().contains("refusé par le portail"));
        let renewal = NeedsHuman::PasswordRenewal {
            username: "rh@client.fr".into(),
        };
        assert_eq!(renewal.code(), ReasonCode::PasswordRenewal);
        assert!(renewal.message_fr().starts_with(
            "Le portail demande de changer le mot de passe du compte rh@client.fr : changez-le une fois à la main puis enregistrez le nouveau"
        ));
    }

    #[test]
    fn an_establishment_absent_or_listed_twice_says_which_and_what_the_portal_listed() {
        let listed = vec!["732 829 320 00082 · MARTIN DISTRIBUTION — DÉPÔT · Villeurbanne".into()];
        let absent = NeedsHuman::SiteNotFound {
            siret: "73282932000074".into(),
            found: 0,
            listed: listed.clone(),
        };
        assert_eq!(absent.code(), ReasonCode::SiteNotFound);
        let text = absent.message_fr();
        assert!(
            text.contains("aucun établissement de SIRET 73282932000074"),
            "{text}"
        );
        assert!(text.contains("MARTIN DISTRIBUTION — DÉPÔT"), "{text}");
        let twice = NeedsHuman::SiteNotFound {
            siret: "73282932000074".into(),
            found: 2,
            listed,
        };
        let text = twice.message_fr();
        assert!(
            text.contains("2 espaces pour le SIRET 73282932000074"),
            "{text}"
        );
        assert!(text.contains("L'automate ne choisit pas"), "{text}");
    }
}
