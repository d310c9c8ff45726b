//! Job handlers, one module per kind, and the registry of those this build has. The API refuses a
//! kind with no handler here, so no job is accepted that could not run.

pub mod identity;
mod probe;

use jobs::{JobKind, Registry};

/// The handlers of this build.
pub fn registry() -> Registry {
    Registry::default().with(JobKind::Probe, probe::Probe).with(
        JobKind::CheckIdentityDocument,
        identity::CheckIdentityDocument,
    )
}
