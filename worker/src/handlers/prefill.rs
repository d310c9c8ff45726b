//! `prefill_filing`: logs into the client's account on its OPCO's portal, prefills the funding
//! request with its attachments, saves the draft and **stops before the final submit**. The job
//! then waits for a person (`needs_human`, code `ready_for_review`) with the screenshots of every
//! filled page in its recordings. A portal that does not look as expected stops the job with proof
//! (`needs_human`, code `portal_changed`, and the screenshot) instead of guessing.
//!
//! The client's login is read from the vault inside the run, and decrypted only there; an account
//! with no login registered waits for staff (`needs_human`, code `credentials_missing`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use domain::OpcoId;
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use portals::{Credentials, ErrorClass, Filing, HumanInput, PortalError, Session};
use recordings::{Recorder, Redactor};
use serde::Deserialize;
use serde_json::{Value, json};

use super::SharedBrowser;
use crate::settings::Settings;
use crate::vault::Vault;

/// The input of a `prefill_filing` job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefillInput {
    /// The OPCO whose portal receives the request.
    opco: String,
    /// What to file.
    filing: Filing,
}

/// The `prefill_filing` handler.
pub struct PrefillFiling {
    browser: Arc<SharedBrowser>,
    base_urls: HashMap<OpcoId, String>,
    vault: Vault,
    recordings_root: PathBuf,
}

impl PrefillFiling {
    /// From configuration: the portals' addresses; the client logins come from the vault.
    pub fn new(settings: &Settings, browser: Arc<SharedBrowser>, vault: Vault) -> Self {
        let base_urls = settings
            .portals
            .iter()
            .filter_map(|(slug, p)| {
                OpcoId::from_slug(slug)
                    .ok()
                    .map(|o| (o, p.base_url.trim_end_matches('/').to_owned()))
            })
            .collect();
        Self {
            browser,
            base_urls,
            vault,
            recordings_root: settings.data_dir.join("recordings"),
        }
    }

    fn parse(&self, input: &Value) -> Result<(OpcoId, Filing, String), Vec<FieldError>> {
        let parsed: PrefillInput = serde_json::from_value(input.clone())
            .map_err(|e| vec![FieldError::new("input", format!("entrée invalide : {e}"))])?;
        let mut problems = Vec::new();
        let opco = match OpcoId::from_slug(&parsed.opco) {
            Ok(o) if portals::script(o).is_some() => Some(o),
            Ok(o) => {
                problems.push(FieldError::new(
                    "input.opco",
                    format!("le portail {} n'est pas encore automatisé", o.name()),
                ));
                None
            }
            Err(e) => {
                problems.push(FieldError::new("input.opco", e.to_string()));
                None
            }
        };
        if let Err(e) = parsed.filing.validate() {
            problems.push(FieldError::new("input.filing", e.to_string()));
        }
        let base_url = opco.and_then(|o| self.base_urls.get(&o).cloned());
        if opco.is_some() && base_url.is_none() {
            problems.push(FieldError::new(
                "input.opco",
                "l'adresse de ce portail n'est pas configurée ([portals.<opco>] base_url)",
            ));
        }
        match (opco, base_url) {
            (Some(o), Some(url)) if problems.is_empty() => Ok((o, parsed.filing, url)),
            _ => Err(problems),
        }
    }
}

fn screenshot(path: Option<&std::path::Path>) -> Value {
    path.map(|p| json!(p.display().to_string()))
        .unwrap_or(Value::Null)
}

/// Maps a portal error to the job's outcome: retry, a person, or a failure.
fn outcome_of(e: PortalError, recordings: &str) -> Result<Outcome, JobError> {
    let shot = screenshot(e.screenshot());
    let detail = json!({ "recordings": recordings, "screenshot": shot, "error": e.to_string() });
    match (e.class(), &e) {
        (_, PortalError::AlreadyFiled { dossier }) => Ok(Outcome::Done(
            json!({ "already_filed": dossier, "recordings": recordings }),
        )),
        (
            _,
            PortalError::NeedsHuman {
                ask: HumanInput::Captcha,
                step,
                ..
            },
        ) => Ok(Outcome::NeedsHuman(
            detail,
            JobError::permanent(
                "captcha",
                format!(
                    "Le portail demande un CAPTCHA à l'étape « {step} » : connectez-vous une fois à la main."
                ),
            ),
        )),
        (
            _,
            PortalError::NeedsHuman {
                ask: HumanInput::TwoFactorCode { prompt, .. },
                ..
            },
        ) => Ok(Outcome::NeedsHuman(
            detail,
            JobError::permanent(
                "two_factor_code_needed",
                format!("Le portail a envoyé un code : {prompt}"),
            ),
        )),
        (_, PortalError::PortalChanged { step, what, .. }) => Ok(Outcome::NeedsHuman(
            detail,
            JobError::permanent(
                "portal_changed",
                format!(
                    "Le portail ne ressemble plus à ce qui est attendu à l'étape « {step} » ({what}) : rien n'a été déposé, voyez la capture."
                ),
            ),
        )),
        (ErrorClass::Retryable, _) => Err(JobError::retryable(
            "portal_unavailable",
            format!("Le portail ne répond pas comme il faut : {e}"),
        )),
        _ => Err(JobError::permanent(
            "portal_refused",
            format!("Le portail refuse la demande : {e}"),
        )),
    }
}

impl Handler for PrefillFiling {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        self.parse(input).map(|_| ())
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let parsed = self.parse(&input);
        let browser = Arc::clone(&self.browser);
        let root = self.recordings_root.clone();
        let vault = self.vault.clone();
        Box::pin(async move {
            let (opco, filing, base_url) = parsed.map_err(|f| {
                JobError::permanent("invalid_input", format!("entrée invalide : {f:?}"))
            })?;
            let script = portals::script(opco)
                .ok_or_else(|| JobError::permanent("unsupported_portal", opco.name()))?;
            let account_id = filing.company.opco_account.clone();
            let account = match vault.get(opco, &account_id).await {
                Ok(Some(account)) => account,
                Ok(None) => {
                    tracing::warn!(
                        portal = opco.slug(),
                        account = %account_id,
                        "No credentials registered for the account; waiting for staff"
                    );
                    return Ok(Outcome::NeedsHuman(
                        json!({ "opco": opco, "account": account_id }),
                        JobError::permanent(
                            "credentials_missing",
                            format!(
                                "Aucun identifiant de connexion n'est enregistré pour le compte {account_id} sur le portail {} : enregistrez-le (PUT /v1/portal-accounts/{}/{account_id}), puis soumettez la tâche à nouveau.",
                                opco.name(),
                                opco.slug()
                            ),
                        ),
                    ));
                }
                Err(error) if error.is_retryable() => {
                    tracing::warn!(error = %error, "Credential store unavailable; the job will retry");
                    return Err(JobError::retryable(
                        "credentials_unavailable",
                        "Le coffre des identifiants ne répond pas ; nouvel essai plus tard.",
                    ));
                }
                Err(error) => {
                    tracing::error!(
                        portal = opco.slug(),
                        account = %account_id,
                        error = %error,
                        "Credentials cannot be decrypted; an operator must fix the master keys or register them again"
                    );
                    return Err(JobError::permanent(
                        "credentials_unreadable",
                        format!(
                            "Les identifiants du compte {account_id} ne peuvent pas être déchiffrés : un administrateur doit vérifier les clés du coffre ou les enregistrer à nouveau."
                        ),
                    ));
                }
            };
            let attempt = u32::try_from(ctx.attempt).unwrap_or(u32::MAX);
            let recorder = Recorder::start(
                &root,
                &ctx.job_id.to_string(),
                attempt,
                Redactor::new([&account.password]),
            )
            .map_err(|e| {
                JobError::retryable(
                    "recording_failed",
                    format!("Impossible d'enregistrer la session : {e}"),
                )
            })?;
            let recordings = format!("recordings/{}/attempt-{attempt}", ctx.job_id);
            let page = browser.get().await?.new_page().await.map_err(|e| {
                JobError::retryable(
                    "browser_unavailable",
                    format!("Chromium n'a pas ouvert de page : {e}"),
                )
            })?;
            let credentials = Credentials {
                username: account.username,
                password: account.password,
                two_factor_code: None,
            };
            // The portal session's future borrows the page and recorder in a way the compiler
            // cannot prove `Send`; it runs to its end on a blocking thread of this runtime instead.
            let handle = tokio::runtime::Handle::current();
            let span = tracing::Span::current();
            let result = tokio::task::spawn_blocking(move || {
                let _entered = span.enter();
                handle.block_on(async move {
                    let result = {
                        let mut session = Session::new(&page, &recorder, base_url, credentials);
                        script.prefill(&mut session, &filing).await
                    };
                    if let Err(error) = page.close().await {
                        tracing::warn!(%error, "Cannot close the portal page");
                    }
                    result
                })
            })
            .await
            .map_err(|e| {
                JobError::retryable(
                    "worker_panic",
                    format!("La session sur le portail a échoué ({e})."),
                )
            })?;
            match result {
                Ok(prefilled) => {
                    let warnings: Vec<Value> = prefilled
                        .warnings
                        .iter()
                        .map(|w| json!({ "code": w.code(), "message": w.to_string() }))
                        .collect();
                    tracing::info!(
                        portal = opco.slug(),
                        pages = prefilled.final_screenshots.len(),
                        "Filing prefilled; waiting for review"
                    );
                    Ok(Outcome::NeedsHuman(
                        json!({
                            "opco": opco,
                            "draft_url": prefilled.draft_url,
                            "resumed_draft": prefilled.resumed_draft,
                            "final_screenshots": prefilled.final_screenshots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                            "warnings": warnings,
                            "recordings": recordings,
                        }),
                        JobError::permanent(
                            "ready_for_review",
                            "Le dossier est prérempli sur le portail : vérifiez-le, puis confirmez le dépôt.",
                        ),
                    ))
                }
                Err(e) => outcome_of(e, &recordings),
            }
        })
    }
}
