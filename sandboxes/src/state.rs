//! Server-side state of a sandbox: accounts, sessions, requests and dossiers, failure switches.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::spec::PortalSpec;

/// A login on the sandboxed portal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
    pub password: String,
    /// The identity provider makes this account choose a new password at its next login.
    #[serde(default)]
    pub must_renew_password: bool,
}

impl Account {
    /// The account every sandbox has unless told otherwise.
    pub fn demo() -> Self {
        Self {
            email: "demo@entreprise.fr".into(),
            password: "demo-mot-de-passe".into(),
            must_renew_password: false,
        }
    }

    /// An account with this login.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            must_renew_password: false,
        }
    }
}

/// How the form pages are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// The portal as it normally looks.
    #[default]
    Standard,
    /// Different HTML structure, ids and names; same labels: a script must still work.
    ChangedMarkup,
    /// One label reworded: a script must stop.
    RenamedLabel,
    /// A mandatory field the script does not know: a script must stop.
    NewMandatoryField,
}

/// Failure switches, settable at start and at run time through `/__sandbox/faults`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Delay added to every portal response, in milliseconds.
    pub slow_ms: u64,
    /// The next N portal responses are HTTP 500 error pages.
    pub http_500: u32,
    /// Posting this step (1-based) finds the session expired, once.
    pub expire_session_at_step: Option<usize>,
    /// Every upload is refused with the portal's message.
    pub refuse_uploads: bool,
    /// The login page is replaced by a CAPTCHA.
    pub captcha: bool,
    /// Every portal page is the maintenance page (HTTP 503).
    pub maintenance: bool,
    pub layout: Layout,
    /// The portal's `short_field` keeps only its first N characters.
    pub short_field: ShortField,
    /// A control the scripts do not know appears, pre-set to a value.
    pub extra_control: ExtraControl,
    /// The summary shows, and a submit files, a cost 100 € above the one the form pages hold.
    pub summary_differs: bool,
    /// How the page after the final submit reads.
    pub acknowledgement: Acknowledgement,
    /// Saving this step (1-based) answers HTTP 500 once, before anything of it is kept.
    pub fail_step_save: Option<usize>,
    /// On a single-page app: when this step (1-based) is shown, once, the "session about to
    /// expire" dialog opens over it; the next call to the API other than its button ends the
    /// session.
    pub session_warning_at_step: Option<usize>,
    /// On a portal with a site picker: what it lists of the establishment the filings are for.
    pub sites: SiteList,
    /// The employer's action after an agreement is applied and counted, but the page after it
    /// shows neither its message nor the new status, only that the request is being processed.
    pub agreement_ack_hidden: bool,
}

/// The `sites` switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteList {
    /// Every establishment of the spec once.
    #[default]
    Standard,
    /// The establishment of the filings is not among those the login may act for.
    Absent,
    /// It is listed twice (two memberships under one SIRET).
    Twice,
}

/// The `short_field` switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShortField {
    #[default]
    Off,
    /// The control says nothing; the portal cuts the value when the page is saved.
    Silent,
    /// The control carries `maxlength` and a `pattern`, and the portal cuts the value too.
    Announced,
}

/// The `extra_control` switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtraControl {
    #[default]
    Off,
    /// The portal's `preset_extra`: unknown to the scripts, holding a value.
    Unknown,
    /// [`crate::spec::HARMLESS_EXTRA`], ticked: listed as harmless in the scripts' facts.
    Harmless,
}

/// The `acknowledgement` switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acknowledgement {
    #[default]
    Standard,
    /// The dossier number comes in a format the scripts do not know (`D2026.00201`).
    OtherFormat,
    /// The request is filed, then the portal answers with its error page.
    Unreadable,
}

/// A session cookie's server side.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub email: String,
    /// False while a second-factor code is awaited.
    pub verified: bool,
    /// The establishment (SIRET) whose space is open, on a portal with a site picker.
    #[serde(default)]
    pub site: Option<String>,
}

/// A code "sent by e-mail".
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingCode {
    pub code: String,
    pub expires: DateTime<Utc>,
    /// Wrong answers it still takes before it is void (the identity provider counts them).
    #[serde(default)]
    pub tries_left: Option<u32>,
}

/// An uploaded attachment (the bytes are not kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub name: String,
    pub size: usize,
}

/// Where a request stands, in the sandbox's own terms (each portal words it differently).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Draft,
    Filed,
    InReview,
    DocumentsRequested {
        reason: String,
    },
    Granted {
        amount_cents: i64,
    },
    /// Granted, the start to be confirmed on the portal by `before` (`jj/mm/aaaa`), on a portal
    /// that asks it (`PortalSpec::start_confirmation`); elsewhere shown as granted.
    StartToConfirm {
        amount_cents: i64,
        before: String,
    },
    /// Granted, and the employer did what the portal awaited after it (confirmed the start,
    /// accepted the offer) on `on` (`jj/mm/aaaa`).
    StartConfirmed {
        amount_cents: i64,
        on: String,
    },
    Refused {
        reason: String,
    },
    Cancelled,
    /// A label the scripts have never seen (to test that unknown wording goes to a human).
    Custom {
        label: String,
    },
}

impl Status {
    /// The portal's wording.
    pub fn label(&self, spec: &PortalSpec) -> String {
        let w = &spec.statuses;
        match self {
            Status::Draft => w.draft.into(),
            Status::Filed => w.filed.into(),
            Status::InReview => w.in_review.into(),
            Status::DocumentsRequested { .. } => w.documents_requested.into(),
            Status::Granted { .. } => w.granted.into(),
            Status::StartToConfirm { .. } => spec
                .start_confirmation
                .map_or(w.granted, |c| c.label)
                .into(),
            Status::StartConfirmed { .. } => spec
                .start_confirmation
                .map_or(w.granted, |c| c.done_label)
                .into(),
            Status::Refused { .. } => w.refused.into(),
            Status::Cancelled => w.cancelled.into(),
            Status::Custom { label } => label.clone(),
        }
    }
}

/// A request on the portal: a draft until submitted, then a dossier with a number.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    pub id: u32,
    pub account: String,
    pub values: BTreeMap<String, String>,
    pub files: BTreeMap<String, StoredFile>,
    pub dossier: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub filed_at: Option<DateTime<Utc>>,
    pub status_changed_at: DateTime<Utc>,
    /// (when, label) of every status the request went through.
    pub history: Vec<(DateTime<Utc>, String)>,
    /// The establishment (SIRET) whose space it was opened in, on a portal with a site picker.
    #[serde(default)]
    pub site: Option<String>,
    /// Every post of the employer's action after the agreement with its box ticked, whether it
    /// was applied or refused (done already, nothing awaited).
    #[serde(default)]
    pub agreement_actions: u32,
}

/// Everything the sandbox remembers; saved to the state file when there is one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub accounts: Vec<Account>,
    pub sessions: BTreeMap<String, Session>,
    pub codes: BTreeMap<String, PendingCode>,
    pub requests: Vec<Request>,
    pub next_request: u32,
    pub next_dossier: u32,
    /// Sessions shown the "session about to expire" dialog and not yet kept alive.
    #[serde(default)]
    pub warned: std::collections::BTreeSet<String>,
    /// The identity provider's side, when the portal logs in through one.
    #[serde(default)]
    pub idp: crate::idp::IdpState,
    /// Employees created by the accounts (beside the ones every account starts with).
    #[serde(default)]
    pub employees: Vec<crate::employees::Created>,
}

/// How a sandbox starts.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub portal: crate::Portal,
    pub faults: Faults,
    pub accounts: Vec<Account>,
    /// Where `state.json` is kept so a demo can restart; in memory only when `None`.
    pub state_dir: Option<PathBuf>,
    /// Moves filed dossiers along by themselves (filed → in review → granted) after this delay.
    pub auto_advance: Option<Duration>,
}

impl SandboxConfig {
    /// A sandbox of this portal with the demo account, no faults, in memory.
    pub fn new(portal: crate::Portal) -> Self {
        Self {
            portal,
            faults: Faults::default(),
            accounts: vec![Account::demo()],
            state_dir: None,
            auto_advance: None,
        }
    }
}

/// A status change ordered by a test through `/__sandbox/dossiers/{number}/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StatusChange {
    InReview,
    DocumentsRequested {
        reason: String,
    },
    Granted {
        amount_cents: i64,
    },
    /// Granted; the start is to be confirmed within the portal's delay from today.
    StartToConfirm {
        amount_cents: i64,
    },
    Refused {
        reason: String,
    },
    Cancelled,
    Custom {
        label: String,
    },
}

impl StatusChange {
    /// The status it sets on `spec`'s portal, today.
    pub(crate) fn status(self, spec: &PortalSpec) -> Status {
        match self {
            StatusChange::InReview => Status::InReview,
            StatusChange::DocumentsRequested { reason } => Status::DocumentsRequested { reason },
            StatusChange::Granted { amount_cents } => Status::Granted { amount_cents },
            StatusChange::StartToConfirm { amount_cents } => {
                Status::start_to_confirm(spec, amount_cents)
            }
            StatusChange::Refused { reason } => Status::Refused { reason },
            StatusChange::Cancelled => Status::Cancelled,
            StatusChange::Custom { label } => Status::Custom { label },
        }
    }
}

impl Status {
    /// Granted, the start to confirm within the portal's delay from today.
    pub(crate) fn start_to_confirm(spec: &PortalSpec, amount_cents: i64) -> Status {
        let days = spec.start_confirmation.map_or(0, |c| c.days);
        let before = (Utc::now() + chrono::Duration::days(days))
            .format("%d/%m/%Y")
            .to_string();
        Status::StartToConfirm {
            amount_cents,
            before,
        }
    }
}

/// A request as the test endpoints show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: u32,
    pub account: String,
    pub dossier: Option<String>,
    pub status: Status,
    pub status_label: String,
    pub values: BTreeMap<String, String>,
    pub files: BTreeMap<String, StoredFile>,
    pub history: Vec<String>,
    /// The establishment (SIRET) whose space it was opened in, behind a site picker.
    pub site: Option<String>,
    /// How many times the employer's action after the agreement was posted with its box ticked
    /// (applied or refused).
    pub agreement_actions: u32,
}

impl Request {
    pub(crate) fn view(&self, spec: &PortalSpec) -> RequestView {
        RequestView {
            id: self.id,
            account: self.account.clone(),
            dossier: self.dossier.clone(),
            status: self.status.clone(),
            status_label: self.status.label(spec),
            values: self.values.clone(),
            files: self.files.clone(),
            history: self.history.iter().map(|(_, l)| l.clone()).collect(),
            site: self.site.clone(),
            agreement_actions: self.agreement_actions,
        }
    }

    pub(crate) fn set_status(&mut self, status: Status, spec: &PortalSpec) {
        let now = Utc::now();
        self.history.push((now, status.label(spec)));
        self.status = status;
        self.status_changed_at = now;
    }
}
