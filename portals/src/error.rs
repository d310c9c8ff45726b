//! What can stop a portal script, classified by what the fleet should do next.

use std::fmt;
use std::path::PathBuf;

/// What a human must provide before the script can go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HumanInput {
    /// The portal shows a CAPTCHA: a person must log in once by hand.
    Captcha,
    /// The portal sent a code (by e-mail) that a person must read and type on the review page.
    TwoFactorCode {
        /// The portal's own sentence saying where the code was sent.
        prompt: String,
        /// Whether a code was given and refused.
        previous_code_refused: bool,
        /// What the portal said of the tries the code still has, when it said it (`Some(0)`: the
        /// code is void, only a new one helps). The script never types a code twice.
        tries_left: Option<u32>,
    },
    /// The portal makes the account choose a new password before going on. The fleet never
    /// chooses a password: a person changes it once by hand and registers the new one.
    PasswordRenewal {
        /// The login whose password is to change.
        username: String,
    },
    /// After the login, the portal lists the establishments the login acts for, and the
    /// filing's SIRET is not among them, or is there more than once: nothing is chosen.
    SiteChoice {
        /// The filing's SIRET.
        siret: String,
        /// How many rows carry it (0 or 2 and more).
        found: usize,
        /// Every establishment listed, as the portal shows it.
        listed: Vec<String>,
    },
    /// The employer's action after the agreement was validated on the portal and the portal
    /// did not show it done: done or not, a person checks the portal (the next attempt reads
    /// the dossier's status before anything else).
    AgreementUnknown {
        /// The dossier.
        dossier: String,
        /// What was not read.
        reason: String,
    },
}

/// Why the portal or the filing refuses for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermanentReason {
    /// The client's login or password is refused.
    BadCredentials,
    /// The filing cannot be sent as it is (our own validation).
    InvalidFiling(String),
    /// The portal refused an attachment.
    UploadRefused { file: String, message: String },
    /// The portal refused a value ("n'est pas valide").
    ValueRefused(String),
    /// Nothing to submit: no draft for this trainee and action on the portal.
    NoDraft,
    /// A value cannot fit the portal's control (`maxlength`, `pattern`): nothing was typed.
    ValueDoesNotFit {
        field: String,
        value: String,
        limit: String,
    },
    /// The portal awaits no action of the employer on this dossier after its agreement (not
    /// listed, or in another status): nothing was done.
    NoAgreementAction {
        dossier: String,
        /// The status the portal shows for it (empty when the dossier is not listed).
        status: String,
    },
}

impl fmt::Display for PermanentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadCredentials => f.write_str("the portal refuses the client's credentials"),
            Self::InvalidFiling(why) => write!(f, "invalid filing: {why}"),
            Self::UploadRefused { file, message } => {
                write!(f, "the portal refused the file {file}: {message}")
            }
            Self::ValueRefused(message) => write!(f, "the portal refused a value: {message}"),
            Self::NoDraft => {
                f.write_str("no draft for this trainee and action on the portal: prefill again")
            }
            Self::ValueDoesNotFit {
                field,
                value,
                limit,
            } => write!(
                f,
                "the value «{value}» cannot fit the portal's field «{field}», which accepts {limit}"
            ),
            Self::NoAgreementAction { dossier, status } if status.is_empty() => write!(
                f,
                "the portal does not list dossier {dossier}: no action after its agreement was made"
            ),
            Self::NoAgreementAction { dossier, status } => write!(
                f,
                "the portal awaits no action on dossier {dossier} after its agreement (status «{status}»): nothing was done"
            ),
        }
    }
}

/// A value on the portal that differs from what staff confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub label: String,
    pub expected: String,
    pub found: String,
}

/// The retry decision, in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later (with backoff): timeouts, 5xx, lost browser, maintenance.
    Retryable,
    /// Wait for a person (CAPTCHA, 2FA code).
    NeedsHuman,
    /// The portal is not what the script knows: needs attention, never a guess.
    PortalChanged,
    /// Will fail the same way again: bad credentials, invalid input.
    Permanent,
    /// The request is already on the portal: record its number, do not file again.
    AlreadyFiled,
    /// The portal holds other values than the confirmed ones: back to review.
    BackToReview,
    /// The final submit was pressed and no acknowledgement was read: filed or not, a person
    /// checks; the next attempt searches the portal before anything else.
    FiledUnknown,
    /// The job was asked to stop (cancel, shutdown, lease lost) and the session stopped before
    /// its next step, with nothing submitted: the job's runtime decides what comes next.
    Stopped,
}

/// What the portal showed when the outcome of a final submit could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AfterSubmit {
    /// Why the acknowledgement could not be read.
    pub reason: String,
    /// The reference the portal's list shows for the request, kept as text even in a format
    /// the script does not know.
    pub reference: Option<String>,
    /// Whether that reference has the portal's known dossier format.
    pub reference_recognised: bool,
    /// The portal's list of requests as last seen, one line per request.
    pub list: Vec<String>,
}

/// Everything that can stop a portal script.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("temporary failure at step {step}: {reason}")]
    Retryable {
        step: String,
        reason: String,
        screenshot: Option<PathBuf>,
    },
    #[error("a person must help at step {step}: {ask:?}")]
    NeedsHuman {
        step: String,
        ask: HumanInput,
        screenshot: Option<PathBuf>,
    },
    #[error("the portal changed at step {step}: {what}")]
    PortalChanged {
        step: String,
        what: String,
        screenshot: Option<PathBuf>,
    },
    #[error("{reason}")]
    Permanent {
        reason: PermanentReason,
        screenshot: Option<PathBuf>,
    },
    #[error("already filed on the portal as dossier {dossier}")]
    AlreadyFiled { dossier: String },
    #[error("{} value(s) on the portal differ from the confirmed filing", differences.len())]
    ValuesDiffer {
        differences: Vec<Difference>,
        screenshot: Option<PathBuf>,
    },
    #[error("the final submit was pressed but its outcome could not be read: {}", after.reason)]
    FiledUnknown {
        after: AfterSubmit,
        screenshot: Option<PathBuf>,
    },
    #[error("cannot write the recording")]
    Recording(#[from] recordings::RecordingError),
    /// Asked to stop; the session stopped before `step` and never reached the final submit.
    #[error("stopped on request before step {step}; nothing was submitted")]
    Stopped { step: String },
}

impl PortalError {
    /// What the worker should do with this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Retryable { .. } => ErrorClass::Retryable,
            Self::NeedsHuman { .. } => ErrorClass::NeedsHuman,
            Self::PortalChanged { .. } => ErrorClass::PortalChanged,
            Self::Permanent { .. } => ErrorClass::Permanent,
            Self::AlreadyFiled { .. } => ErrorClass::AlreadyFiled,
            Self::ValuesDiffer { .. } => ErrorClass::BackToReview,
            Self::FiledUnknown { .. } => ErrorClass::FiledUnknown,
            // The disk may come back; the portal has not been touched in a wrong way.
            Self::Recording(_) => ErrorClass::Retryable,
            Self::Stopped { .. } => ErrorClass::Stopped,
        }
    }

    /// Whether trying again later may succeed without anyone's help.
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Retryable
    }

    /// The screenshot of the page where the script stopped, if one was taken.
    pub fn screenshot(&self) -> Option<&std::path::Path> {
        match self {
            Self::Retryable { screenshot, .. }
            | Self::NeedsHuman { screenshot, .. }
            | Self::PortalChanged { screenshot, .. }
            | Self::Permanent { screenshot, .. }
            | Self::ValuesDiffer { screenshot, .. }
            | Self::FiledUnknown { screenshot, .. } => screenshot.as_deref(),
            Self::AlreadyFiled { .. } | Self::Recording(_) | Self::Stopped { .. } => None,
        }
    }
}
