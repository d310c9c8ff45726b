//! Shared vocabulary of the fleet: the identifiers and values every other crate speaks of.
//!
//! Everything here is parsed once at the edge (`Siret::parse`, `Idcc::parse`, `OpcoId::from_slug`)
//! and then passed around as a type that cannot hold a wrong value. Crates that must not depend on
//! each other (`portals`, `ocr`, `recordings`, `documents`) all depend on this one instead.

mod filing;
mod ids;
mod money;
mod opco;
pub mod outcome;
mod siret;

pub use filing::{FilingState, UnknownFilingState};
pub use ids::{JobId, JobIdError};
pub use money::{Euros, EurosError};
pub use opco::{Idcc, IdccError, OpcoId, OpcoLookup, UnknownOpco, opco_for_idcc};
pub use outcome::{NeedsHuman, ReasonCode};
pub use siret::{Nda, NdaError, Siret, SiretError};
