//! `check_identity_document`: reads an identity document's MRZ and decides whether it is
//! acceptable. The OCR is CPU-bound: it runs on the blocking pool, inside the job's span. The image
//! is personal data: it is never logged, and it is removed from the job once the job has ended.

use base64::Engine;
use chrono::NaiveDate;
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Largest document accepted in a job, before base64.
const MAX_DOCUMENT_BYTES: usize = 15 * 1024 * 1024;

/// The input of a `check_identity_document` job.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    /// The photo or scan.
    pub document: DocumentInput,
    /// The trainee the document must belong to.
    #[serde(default)]
    pub expected_name: Option<ocr::ExpectedName>,
    /// The document must still be valid on this date (the end of the training).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// The document's bytes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// JPEG, PNG, WebP or TIFF, base64-encoded (standard alphabet).
    pub base64: String,
}

fn parse(input: &Value) -> Result<(IdentityInput, Vec<u8>), Vec<FieldError>> {
    let parsed: IdentityInput = serde_json::from_value(input.clone()).map_err(|e| {
        vec![FieldError::new(
            "input",
            format!("{}. Attendu : {{\"document\": {{\"base64\": \"…\"}}, \"expected_name\"?: {{\"surname\": \"…\", \"given_names\": \"…\"}}, \"valid_until\"?: \"AAAA-MM-JJ\"}}", super::serde_error_fr(&e)),
        )]
    })?;
    let mut problems = Vec::new();
    let bytes =
        match base64::engine::general_purpose::STANDARD.decode(parsed.document.base64.trim()) {
            Ok(b) if b.is_empty() => {
                problems.push(FieldError::new(
                    "input.document.base64",
                    "le document est vide",
                ));
                b
            }
            Ok(b) if b.len() > MAX_DOCUMENT_BYTES => {
                problems.push(FieldError::new(
                    "input.document.base64",
                    format!(
                        "le document fait {} Mo, au plus {} Mo sont acceptés : réduisez la photo",
                        b.len() >> 20,
                        MAX_DOCUMENT_BYTES >> 20
                    ),
                ));
                b
            }
            Ok(b) => b,
            Err(e) => {
                problems.push(FieldError::new(
                    "input.document.base64",
                    format!("base64 invalide ({})", base64_error_fr(&e)),
                ));
                Vec::new()
            }
        };
    if let Some(name) = &parsed.expected_name
        && name.surname.trim().is_empty()
    {
        problems.push(FieldError::new(
            "input.expected_name.surname",
            "le nom de famille est vide",
        ));
    }
    if problems.is_empty() {
        Ok((parsed, bytes))
    } else {
        Err(problems)
    }
}

/// Maps an unusable input to the job's error.
pub fn job_error(e: &ocr::OcrError) -> JobError {
    if e.is_retryable() {
        JobError::retryable(e.code(), e.message_fr())
    } else {
        JobError::permanent(e.code(), e.message_fr())
    }
}

/// Today in France, where document validity is judged.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// The identity-check handler.
pub struct CheckIdentityDocument;

impl Handler for CheckIdentityDocument {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        parse(input).map(|_| ())
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        Box::pin(async move {
            let (input, bytes) = parse(&input).map_err(|f| super::invalid_input(&f))?;
            let request = ocr::CheckRequest {
                expected_name: input.expected_name,
                valid_until: input.valid_until,
                today: today(),
            };
            let span = tracing::Span::current();
            let verdict = tokio::task::spawn_blocking(move || {
                span.in_scope(|| ocr::check_document(&bytes, &request))
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "The identity check panicked");
                JobError::retryable("worker_panic", "La lecture du document a échoué.")
            })?
            .map_err(|e| job_error(&e))?;
            tracing::info!(job_id = %ctx.job_id, outcome = ?verdict.verdict, reasons = ?verdict.reasons, "Identity document checked");
            let result = serde_json::to_value(&verdict).map_err(|e| {
                tracing::error!(error = %e, "The verdict does not serialise");
                JobError::permanent("serialisation", "Le résultat n'a pas pu être écrit.")
            })?;
            Ok(Outcome::Done(result))
        })
    }

    fn scrub_input(&self, input: &Value) -> Option<Value> {
        let mut kept = input.clone();
        let document = kept.get_mut("document")?;
        let b64 = document.get("base64")?.as_str()?;
        let digest = hex::encode(Sha256::digest(b64.as_bytes()));
        *document = json!({ "removed": "le document a été effacé à la fin de la tâche", "base64_sha256": digest });
        Some(kept)
    }
}

/// A base64 decoding error in French.
fn base64_error_fr(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(at, _) => format!("caractère non permis en position {at}"),
        base64::DecodeError::InvalidLength(_) => "longueur incorrecte".to_owned(),
        base64::DecodeError::InvalidLastSymbol(at, _) => {
            format!("dernier caractère incorrect en position {at}")
        }
        base64::DecodeError::InvalidPadding => "remplissage « = » incorrect".to_owned(),
    }
}
