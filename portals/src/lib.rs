//! Portal scripts: file a funding request (DPC) on an OPCO's portal the way a person would.
//!
//! One folder per OPCO, listed once in `registry.rs`, with the same files: `facts.toml` (rules
//! and wording as data), `steps.rs` (our [`Filing`] on the portal's pages), `statuses.rs` (the
//! portal's status wording mapped onto [`PortalStatus`]). One flow drives them all
//! ([`PortalScript`]): log in, look for an existing request for the same trainee and action
//! (before creating and again before submitting, so nothing is filed twice), prefill and stop
//! before the final submit, verify every value against the confirmed filing, submit and read the
//! dossier number, read all statuses. Every step is recorded (screenshots, HTML, step log) with
//! secrets masked. Errors say what the worker should do ([`PortalError::class`]).

pub mod calendar;
mod error;
mod facts;
mod filing;
mod readback;
mod script;
mod session;
mod status;
mod steps_common;

pub use error::{AfterSubmit, Difference, ErrorClass, HumanInput, PermanentReason, PortalError};
pub use facts::{
    AgreementAction, Deadline, Facts, ListHeaders, LoginProvider, Options, Rules, Ui, Warning,
};
pub use filing::{
    Action, Attachments, Company, Contract, Filing, FilingError, MAX_BILAN_HOURS, Modality,
    Provider, Trainee,
};
pub use readback::{KeptValue, UnknownControl};
pub use script::{
    AgreementDone, DRAFT_OPENED, Existing, PortalScript, Prefilled, Submitted, started_draft,
};
pub use session::{Credentials, Session};
pub use status::{DossierStatus, PortalStatus, StatusKind};

use domain::OpcoId;

/// Expands the registry (`registry.rs`): a module per portal folder, [`SUPPORTED`], [`script`].
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        $(pub mod $folder;)*

        /// The OPCOs that have a script, in the registry's order.
        pub const SUPPORTED: &[OpcoId] = &[$(OpcoId::$opco),*];

        /// The script of an OPCO, if it has one.
        pub fn script(opco: OpcoId) -> Option<&'static PortalScript> {
            match opco {
                $(OpcoId::$opco => Some($folder::script()),)*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }
    };
}

include!("registry.rs");
