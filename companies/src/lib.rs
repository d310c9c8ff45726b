//! From a SIRET to the company, its OPCO and what can be filed.
//!
//! A client of the public "Recherche d'entreprises" API (`GET {base_url}/search?q=<siret>`), the
//! routing of a company's collective agreements (IDCC) to its OPCO with the two bundled public
//! tables, and the answer a person or a job reads: who the company is, whether it is open, its
//! headcount band, whether it trains, and where each fact came from. Answers are cached in the
//! store with their fetch time, and every call to the API takes a slot of one pace shared by the
//! whole fleet through the store, so the fleet stays under the API's 7 requests per second.

mod answer;
mod api;
mod client;
mod error;
mod lookup;
mod routing;

pub use answer::{
    Candidate, Company, Headcount, IdccLine, Resolution, Sources, TrainingOrganisation, Warning,
    build_answer,
};
pub use api::{ApiEstablishment, ApiResult, Complements, SearchAnswer};
pub use client::{Client, ClientConfig};
pub use error::LookupError;
pub use lookup::{CompanyLookup, LookupConfig, Pace};
pub use routing::{IdccRoute, IdccVerdict, Tables};
