//! Identity-document checks by OCR.
//!
//! Owns everything between the uploaded bytes and a verdict a person can act on: loading the
//! image safely, measuring its quality, finding and reading the machine-readable zone (MRZ) with
//! libtesseract, repairing OCR confusions by field type, telling a zero from an `O` (and `8`
//! from `B`, `5` from `S`…) in fields that may hold both by the printed glyph's height (OCR-B
//! digits stand taller than its letters, measured against the same zone's digits and letters),
//! keeping only what several readings agree on (never a guess that merely passes a check
//! digit), and deciding whether the
//! document is valid for the expected trainee. The image is personal data: it is never logged,
//! and the verdict keeps only the fields a decision needs (no image bytes, no zone text).
//!
//! Entry point: [`check_document`] (synchronous and CPU-bound: call it from `spawn_blocking`).
//! `Err(OcrError)` means the bytes are not a usable image (exit code 3 in the CLI); anything
//! about the document itself is a [`Verdict`]: accepted (0), rejected (1) or needs review (2).
//!
//! Runtime needs: libtesseract 5 with the `eng` data (Debian `tesseract-ocr`,
//! `tesseract-ocr-eng`); building needs `libtesseract-dev`, `libleptonica-dev`, `clang`,
//! `libclang-dev` and `pkg-config`. The `corpus` feature (synthetic photos for tests, the
//! benchmark and demos) also needs the fonts of `fonts-ocr-b` and `fonts-dejavu-core`.
//!
//! One tesseract engine is kept per OS thread and reused; OpenMP inside tesseract is held to a
//! single thread from the library itself (setting `OMP_THREAD_LIMIT=1` in the process
//! environment as well does no harm).

mod consensus;
#[cfg(feature = "corpus")]
pub mod corpus;
mod engine;
mod error;
mod glyph;
pub mod load;
pub mod mrz;
pub mod name;
#[doc(hidden)]
pub mod pipeline;
mod verdict;
mod vision;

use std::time::Instant;

pub use consensus::Candidate;
pub use error::OcrError;
pub use load::InputLimits;
pub use mrz::{CheckDigit, CheckedField, FrenchCardIssue, Mrz, MrzError, MrzFormat, Repair, Sex};
pub use name::{ExpectedName, NameMatch};
pub use verdict::{
    CheckRequest, Confidence, Document, DocumentKind, Expiry, ExpirySource, Outcome, ReasonCode,
    Verdict, expiry_of,
};

/// Checks an identity document photo; CPU-bound (run it in `spawn_blocking`).
///
/// `Err` means the bytes are not a usable image; everything about the document itself,
/// including "no document found", is a [`Verdict`].
pub fn check_document(bytes: &[u8], req: &CheckRequest) -> Result<Verdict, OcrError> {
    check_document_with(bytes, req, &InputLimits::default())
}

/// [`check_document`] with explicit input limits.
pub fn check_document_with(
    bytes: &[u8],
    req: &CheckRequest,
    limits: &InputLimits,
) -> Result<Verdict, OcrError> {
    let start = Instant::now();
    let gray = load::load_gray(bytes, limits)?;
    let names_ok = |m: &Mrz| {
        req.expected_name
            .as_ref()
            .is_none_or(|e| name::match_name(&m.surname, &m.given_names, e) == NameMatch::Match)
    };
    let analysis = pipeline::analyse(&gray, &names_ok)?;
    let mut verdict = verdict::decide(&analysis, req);
    verdict.elapsed_ms = start.elapsed().as_millis() as u64;
    tracing::debug!(
        outcome = ?verdict.verdict,
        reasons = ?verdict.reasons,
        elapsed_ms = verdict.elapsed_ms,
        "Identity document checked"
    );
    Ok(verdict)
}
