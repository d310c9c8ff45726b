//! `render_documents` and `send_documents`: the action's documents as PDF (through the one
//! Chromium of this process, launched on first use), the DPC pack zipped, and the pack e-mailed.
//! Files are kept under `<data_dir>/jobs/<job id>/files/` and listed in the job's result; the API
//! serves them at `/v1/jobs/{id}/files/{name}`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use browser::Browser;
use chrono::NaiveDate;
use documents::{Action, DocumentKind, DocumentsError, Renderer, SmtpConfig};
use domain::JobId;
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SharedBrowser;

/// What both document jobs share: the renderer, the process's browser, where files go.
pub struct DocumentsService {
    renderer: Renderer,
    browser: Arc<SharedBrowser>,
    files_root: PathBuf,
}

impl DocumentsService {
    /// A service writing under `<data_dir>/jobs`.
    pub fn new(renderer: Renderer, browser: Arc<SharedBrowser>, data_dir: &Path) -> Self {
        Self {
            renderer,
            browser,
            files_root: data_dir.join("jobs"),
        }
    }

    async fn browser(&self) -> Result<&Browser, JobError> {
        self.browser.get().await
    }

    /// The folder of a job's files.
    pub fn files_dir(&self, job: JobId) -> PathBuf {
        files_dir(&self.files_root, job)
    }
}

/// The folder of a job's files under a root.
pub fn files_dir(files_root: &Path, job: JobId) -> PathBuf {
    files_root.join(job.to_string()).join("files")
}

/// One produced file, as listed in a job's result.
#[derive(Debug, Serialize, Deserialize)]
pub struct FileRef {
    /// File name (also its name in the download URL).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Where the API serves it.
    pub url: String,
}

/// Maps a documents error to the job's error, in French.
pub fn job_error(e: &DocumentsError) -> JobError {
    let (code, message) = match e {
        DocumentsError::Invalid(fields) => (
            "invalid_input",
            format!(
                "L'action est invalide : {}",
                fields
                    .iter()
                    .map(|f| format!("{} : {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
        ),
        DocumentsError::Template { name, message } => (
            "template_error",
            format!("Le modèle « {name} » ne peut pas être rendu : {message}"),
        ),
        DocumentsError::Browser(b) => (
            "pdf_rendering_failed",
            format!("Le rendu PDF par Chromium a échoué : {b}"),
        ),
        DocumentsError::Pdf(m) => (
            "pdf_postprocessing_failed",
            format!("Le PDF produit est illisible : {m}"),
        ),
        DocumentsError::Zip(m) => (
            "pack_failed",
            format!("Le dossier zip n'a pas pu être écrit : {m}"),
        ),
        DocumentsError::Address { address, message } => (
            "invalid_address",
            format!("Adresse e-mail invalide « {address} » : {message}"),
        ),
        DocumentsError::Email { message, .. } => (
            "email_not_delivered",
            format!("L'e-mail n'a pas été remis : {message}"),
        ),
    };
    if e.is_retryable() {
        JobError::retryable(code, message)
    } else {
        JobError::permanent(code, message)
    }
}

fn io_error(e: std::io::Error) -> JobError {
    tracing::warn!(error = %e, "Cannot write the job's files");
    JobError::retryable(
        "storage_error",
        "Impossible d'écrire les fichiers de la tâche (disque plein ou non accessible).",
    )
}

async fn save(dir: &Path, job: JobId, name: &str, bytes: &[u8]) -> Result<FileRef, JobError> {
    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    // Write then rename, so a reader never sees half a file.
    let tmp = dir.join(format!(".{name}.part"));
    tokio::fs::write(&tmp, bytes).await.map_err(io_error)?;
    tokio::fs::rename(&tmp, dir.join(name))
        .await
        .map_err(io_error)?;
    Ok(FileRef {
        name: name.to_owned(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        url: format!("/v1/jobs/{job}/files/{name}"),
    })
}

/// The input of a `render_documents` job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderInput {
    action: Action,
    /// Which documents; all four when absent.
    #[serde(default)]
    documents: Option<Vec<String>>,
    /// Also build the DPC pack (devis, programme, convention and manifest, zipped). Default true.
    #[serde(default = "yes")]
    pack: bool,
    /// Fix the documents' creation date so the same input gives the same bytes.
    #[serde(default)]
    fixed_date: Option<NaiveDate>,
}

fn yes() -> bool {
    true
}

fn parse_kinds(names: Option<&[String]>) -> Result<Vec<DocumentKind>, FieldError> {
    let Some(names) = names else {
        return Ok(DocumentKind::ALL.to_vec());
    };
    names
        .iter()
        .map(|n| {
            DocumentKind::ALL
                .into_iter()
                .find(|k| k.slug() == n)
                .ok_or_else(|| {
                    FieldError::new(
                        "input.documents",
                        format!(
                            "document inconnu « {n} » : devis, programme, convention ou certificat"
                        ),
                    )
                })
        })
        .collect()
}

fn parse_render(
    input: &Value,
) -> Result<(RenderInput, documents::ValidAction, Vec<DocumentKind>), Vec<FieldError>> {
    let parsed: RenderInput = serde_json::from_value(input.clone())
        .map_err(|e| vec![FieldError::new("input", super::serde_error_fr(&e))])?;
    let mut problems = Vec::new();
    let kinds = parse_kinds(parsed.documents.as_deref())
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    let valid = parsed.action.validate().map_err(|fields| {
        problems.extend(
            fields
                .into_iter()
                .map(|f| FieldError::new(format!("input.{}", f.field), f.message)),
        );
    });
    match valid {
        Ok(valid) if problems.is_empty() => Ok((parsed, valid, kinds)),
        _ => Err(problems),
    }
}

/// The `render_documents` handler.
pub struct RenderDocuments(pub Arc<DocumentsService>);

impl Handler for RenderDocuments {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        parse_render(input).map(|_| ())
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let service = Arc::clone(&self.0);
        Box::pin(async move {
            let (input, action, kinds) =
                parse_render(&input).map_err(|f| super::invalid_input(&f))?;
            let browser = service.browser().await?;
            let dir = service.files_dir(ctx.job_id);
            let mut files = Vec::new();
            for kind in kinds {
                if ctx.stop.is_cancelled() {
                    return Err(JobError::retryable(
                        "interrupted",
                        "Le rendu a été interrompu.",
                    ));
                }
                let pdf = service
                    .renderer
                    .render(browser, kind, &action, input.fixed_date)
                    .await
                    .map_err(|e| job_error(&e))?;
                files.push(save(&dir, ctx.job_id, &format!("{}.pdf", kind.slug()), &pdf).await?);
            }
            let pack = if input.pack {
                let pack = service
                    .renderer
                    .render_pack(browser, &action, input.fixed_date)
                    .await
                    .map_err(|e| job_error(&e))?;
                let file = save(&dir, ctx.job_id, &pack.file_name, &pack.zip).await?;
                Some(serde_json::json!({ "file": file, "manifest": pack.manifest }))
            } else {
                None
            };
            Ok(Outcome::Done(
                serde_json::json!({ "files": files, "pack": pack }),
            ))
        })
    }
}

/// The input of a `send_documents` job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendInput {
    /// The `render_documents` job whose pack is sent.
    pack_from_job: String,
    /// The recipient.
    to: String,
}

fn parse_send(input: &Value) -> Result<(JobId, String), Vec<FieldError>> {
    let parsed: SendInput = serde_json::from_value(input.clone()).map_err(|e| {
        vec![FieldError::new(
            "input",
            format!(
                "{} (attendu : {{\"pack_from_job\": \"<id>\", \"to\": \"adresse\"}})",
                super::serde_error_fr(&e)
            ),
        )]
    })?;
    let mut problems = Vec::new();
    let job = JobId::from_str(&parsed.pack_from_job)
        .map_err(|e| problems.push(FieldError::new("input.pack_from_job", e.to_string())));
    if !parsed.to.contains('@') || parsed.to.trim().len() < 3 {
        problems.push(FieldError::new("input.to", "adresse e-mail attendue"));
    }
    match job {
        Ok(job) if problems.is_empty() => Ok((job, parsed.to.trim().to_owned())),
        _ => Err(problems),
    }
}

/// The `send_documents` handler (registered only when SMTP is configured).
pub struct SendDocuments {
    /// Where packs were written.
    pub service: Arc<DocumentsService>,
    /// The mail server.
    pub smtp: SmtpConfig,
    /// To read the render job's result.
    pub store: jobs::Store,
}

impl Handler for SendDocuments {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        parse_send(input).map(|_| ())
    }

    fn run(&self, _ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let service = Arc::clone(&self.service);
        let smtp = self.smtp.clone();
        let store = self.store.clone();
        Box::pin(async move {
            let (source, to) = parse_send(&input).map_err(|f| super::invalid_input(&f))?;
            let job = store
                .get(source)
                .await
                .map_err(|e| JobError::retryable("store_unavailable", e.to_string()))?
                .filter(|j| {
                    j.kind == jobs::JobKind::RenderDocuments && j.state == jobs::JobState::Succeeded
                })
                .ok_or_else(|| {
                    JobError::permanent(
                        "pack_not_found",
                        format!("La tâche {source} n'est pas un rendu de documents terminé."),
                    )
                })?;
            let name = job
                .result
                .as_ref()
                .and_then(|r| r.pointer("/pack/file/name"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    JobError::permanent(
                        "pack_not_found",
                        format!("La tâche {source} n'a pas produit de dossier zip (pack: false)."),
                    )
                })?;
            let manifest = job
                .result
                .as_ref()
                .and_then(|r| r.pointer("/pack/manifest"))
                .cloned()
                .unwrap_or(Value::Null);
            let zip = tokio::fs::read(service.files_dir(source).join(name))
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, %name, "Cannot read the pack");
                    JobError::permanent(
                        "pack_not_found",
                        format!("Le fichier du dossier {name} est introuvable."),
                    )
                })?;
            let manifest = serde_json::from_value(manifest).map_err(|e| {
                tracing::warn!(error = %e, "Cannot read the pack's manifest");
                JobError::permanent("pack_not_found", "Le manifeste du dossier est illisible.")
            })?;
            let pack = documents::Pack {
                zip,
                file_name: name.to_owned(),
                manifest,
            };
            documents::send_pack(&smtp, &to, &pack)
                .await
                .map_err(|e| job_error(&e))?;
            Ok(Outcome::Done(
                serde_json::json!({ "sent_to": to, "file": name }),
            ))
        })
    }
}
