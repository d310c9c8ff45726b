//! Documents of a bilan de compétences: devis, programme, convention tripartite and certificat
//! de réalisation, rendered from one checked [`Action`] to PDF through the shared Chromium
//! engine, then zipped into the DPC pack and e-mailed.
//!
//! Every document reads the same formatted facts (dates, hours, amounts), so they cannot
//! disagree with each other, which is a common reason for an OPCO to refuse a request.

mod action;
mod error;
mod format;
mod mail;
mod pack;
mod pdf_meta;
mod render;

pub use action::{
    Action, Company, FieldError, Modality, Phases, Provider, Signatory, Trainee, ValidAction,
};
pub use error::DocumentsError;
pub use format::{ascii_slug, french_date};
pub use mail::{SmtpConfig, SmtpSecurity, send_pack};
pub use pack::{KeyFacts, Manifest, ManifestFile, Pack};
pub use render::{DocumentKind, Renderer, RendererConfig};
