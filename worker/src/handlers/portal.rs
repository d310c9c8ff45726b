//! What the three portal jobs (prefill, submit, poll) share: the portals' addresses, the client
//! accounts, one recorded browser session per attempt, and the mapping of portal errors onto job
//! outcomes (retry, a person, or a failure).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use domain::OpcoId;
use jobs::{FieldError, JobContext, JobError, Outcome};
use portals::{
    Credentials, Difference, DossierStatus, ErrorClass, Filing, HumanInput, KeptValue,
    PermanentReason, PortalError, Prefilled, Session, Submitted,
};
use recordings::{Recorder, Redactor};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::SharedBrowser;
use crate::settings::Settings;

/// A client's login on a portal, decrypted for one run.
pub type Account = crate::vault::StoredAccount;

/// What a session does on the portal.
pub enum Work {
    /// Fill the request and stop before the final submit.
    Prefill(Box<Filing>),
    /// Check the draft against the confirmed filing and submit it.
    Submit(Box<Filing>),
    /// Read the status of every request of the account.
    Statuses,
}

/// What the session brought back.
pub enum Done {
    Prefilled(Prefilled),
    Submitted(Submitted),
    Statuses(Vec<DossierStatus>),
}

/// Runs recorded portal sessions for the portal jobs.
pub struct PortalRunner {
    browser: Arc<SharedBrowser>,
    base_urls: HashMap<OpcoId, String>,
    vault: crate::vault::Vault,
    politeness: crate::politeness::Politeness,
    recordings_root: PathBuf,
}

impl PortalRunner {
    /// From configuration: the portals' addresses; the client logins come from the vault.
    pub fn new(
        settings: &Settings,
        browser: Arc<SharedBrowser>,
        vault: crate::vault::Vault,
        politeness: crate::politeness::Politeness,
    ) -> Self {
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
            politeness,
            recordings_root: settings.data_dir.join("recordings"),
        }
    }

    /// Whether this portal has a script and a configured address; `Err` says what is missing.
    pub fn check_portal(&self, slug: &str) -> Result<OpcoId, String> {
        let opco = OpcoId::from_slug(slug).map_err(|e| e.to_string())?;
        if portals::script(opco).is_none() {
            return Err(format!(
                "le portail {} n'est pas encore automatisé",
                opco.name()
            ));
        }
        if !self.base_urls.contains_key(&opco) {
            return Err(
                "l'adresse de ce portail n'est pas configurée ([portals.<opco>] base_url)".into(),
            );
        }
        Ok(opco)
    }

    /// Checks a filing job's portal and filing together, every problem reported.
    pub fn check_filing(&self, opco: &str, filing: &Filing) -> Result<OpcoId, Vec<FieldError>> {
        let mut problems = Vec::new();
        let opco = self
            .check_portal(opco)
            .map_err(|e| problems.push(FieldError::new("input.opco", e)))
            .ok();
        if let Err(e) = filing.validate() {
            problems.push(FieldError::new("input.filing", e.to_string()));
        }
        match opco {
            Some(o) if problems.is_empty() => Ok(o),
            _ => Err(problems),
        }
    }

    /// The client's login, read from the vault and decrypted when the job runs. `Err` is the
    /// job's outcome: waiting for staff when no login is registered, a retry when the store is
    /// down, a failure when the row cannot be decrypted.
    pub async fn account(
        &self,
        opco: OpcoId,
        account: &str,
    ) -> Result<Account, Result<Outcome, JobError>> {
        match self.vault.get(opco, account).await {
            Ok(Some(login)) => Ok(login),
            Ok(None) => {
                tracing::warn!(portal = opco.slug(), %account, "No credentials registered for the account; waiting for staff");
                Err(Ok(Outcome::NeedsHuman(
                    json!({ "opco": opco, "account": account }),
                    JobError::permanent(
                        "credentials_missing",
                        format!(
                            "Aucun identifiant de connexion n'est enregistré pour le compte {account} sur le portail {} : enregistrez-le (PUT /v1/portal-accounts/{}/{account}), puis relancez.",
                            opco.name(),
                            opco.slug()
                        ),
                    ),
                )))
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(error = %error, "Credential store unavailable; the job will retry");
                Err(Err(JobError::retryable(
                    "credentials_unavailable",
                    "Le coffre des identifiants ne répond pas ; nouvel essai plus tard.",
                )))
            }
            Err(error) => {
                tracing::error!(
                    portal = opco.slug(),
                    %account,
                    error = %error,
                    "Credentials cannot be decrypted; an operator must fix the master keys or register them again"
                );
                Err(Err(JobError::permanent(
                    "credentials_unreadable",
                    format!(
                        "Les identifiants du compte {account} ne peuvent pas être déchiffrés : un administrateur doit vérifier les clés du coffre ou les enregistrer à nouveau."
                    ),
                )))
            }
        }
    }

    /// One recorded session on the portal, on a fresh page of the shared Chromium. The outer
    /// error is the worker's own trouble (no browser, no disk); the inner one is the portal's.
    pub async fn run(
        &self,
        ctx: &JobContext,
        opco: OpcoId,
        account: Account,
        two_factor_code: Option<SecretString>,
        work: Work,
    ) -> Result<(Result<Done, PortalError>, String), JobError> {
        let script = portals::script(opco)
            .ok_or_else(|| JobError::permanent("unsupported_portal", opco.name()))?;
        let base_url = self.base_urls.get(&opco).cloned().ok_or_else(|| {
            JobError::permanent(
                "portal_not_configured",
                format!("L'adresse du portail {} n'est pas configurée.", opco.name()),
            )
        })?;
        let attempt = u32::try_from(ctx.attempt).unwrap_or(u32::MAX);
        let mut redactor = Redactor::new([&account.password]);
        // The login is personal data too: masked in recordings like the password.
        redactor.add(&SecretString::from(account.username.clone()));
        if let Some(code) = &two_factor_code {
            redactor.add(code);
        }
        let recorder = Recorder::start(
            &self.recordings_root,
            &ctx.job_id.to_string(),
            attempt,
            redactor,
        )
        .map_err(|e| {
            JobError::retryable(
                "recording_failed",
                format!("Impossible d'enregistrer la session : {e}"),
            )
        })?;
        let recordings = format!("recordings/{}/attempt-{attempt}", ctx.job_id);
        // One of this portal's session slots, after its least delay; a portal that failed too
        // often in a row pauses the job (it waits without spending an attempt).
        let permit = self.politeness.enter(opco).await.map_err(JobError::from)?;
        let page = self.browser.get().await?.new_page().await.map_err(|e| {
            JobError::retryable(
                "browser_unavailable",
                format!("Chromium n'a pas ouvert de page : {e}"),
            )
        })?;
        let credentials = Credentials {
            username: account.username,
            password: account.password,
            two_factor_code,
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
                    match work {
                        Work::Prefill(filing) => script
                            .prefill(&mut session, &filing)
                            .await
                            .map(Done::Prefilled),
                        Work::Submit(filing) => script
                            .submit(&mut session, &filing)
                            .await
                            .map(Done::Submitted),
                        Work::Statuses => script.statuses(&mut session).await.map(Done::Statuses),
                    }
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
        match &result {
            Ok(_) => permit.succeeded(),
            Err(e) => permit.failed(e.class() == ErrorClass::Retryable),
        }
        Ok((result, recordings))
    }
}

fn screenshot(path: Option<&std::path::Path>) -> Value {
    path.map(|p| json!(p.display().to_string()))
        .unwrap_or(Value::Null)
}

/// Maps a portal error to the job's outcome: retry, a person, or a failure. `AlreadyFiled` is
/// handled by each job, since it means different things before and after staff confirmed.
pub fn outcome_of(e: PortalError, recordings: &str) -> Result<Outcome, JobError> {
    let shot = screenshot(e.screenshot());
    let detail = json!({ "recordings": recordings, "screenshot": shot, "error": e.to_string() });
    match (e.class(), &e) {
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
                    "Le portail demande un CAPTCHA à l'étape « {step} » : connectez-vous une fois à la main, puis relancez."
                ),
            ),
        )),
        (
            _,
            PortalError::NeedsHuman {
                ask:
                    HumanInput::TwoFactorCode {
                        prompt,
                        previous_code_refused,
                    },
                ..
            },
        ) => Ok(Outcome::NeedsHuman(
            detail,
            JobError::permanent(
                "two_factor_code_needed",
                if *previous_code_refused {
                    format!("Le code saisi a été refusé par le portail. {prompt}")
                } else {
                    format!("Le portail a envoyé un code : {prompt}")
                },
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
        (
            _,
            PortalError::Permanent {
                reason:
                    PermanentReason::ValueDoesNotFit {
                        field,
                        value,
                        limit,
                    },
                ..
            },
        ) => Ok(Outcome::NeedsHuman(
            detail,
            JobError::permanent(
                "value_does_not_fit",
                format!(
                    "Le champ « {field} » du portail accepte {limit} : la valeur « {value} » ({} caractères) n'y tient pas. Rien n'a été tapé ni déposé : raccourcissez la valeur dans le dossier, puis relancez.",
                    value.chars().count()
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

/// What the portal kept, one row per field, for the review page.
pub fn kept_json(kept: &[KeptValue]) -> Value {
    Value::Array(
        kept.iter()
            .map(|k| json!({ "label": k.label, "asked": k.asked, "kept": k.kept, "same": k.same }))
            .collect(),
    )
}

/// One difference in the words staff read.
fn difference_fr(d: &Difference) -> String {
    if d.expected.is_empty() {
        format!(
            "« {} » : champ que l'automate ne connaît pas, rempli par le portail à « {} »",
            d.label, d.found
        )
    } else {
        format!(
            "« {} » : demandé « {} », conservé par le portail « {} »",
            d.label, d.expected, d.found
        )
    }
}

/// The portal does not hold what the filing asks: a person reads the differences (field,
/// asked, kept) and the screenshot; nothing goes further.
pub fn not_kept(
    code: &'static str,
    lead: &str,
    differences: &[Difference],
    screenshot: Option<&std::path::Path>,
    recordings: &str,
) -> Outcome {
    let listed: Vec<String> = differences.iter().map(difference_fr).collect();
    Outcome::NeedsHuman(
        json!({
            "differences": differences.iter().map(|d| json!({"label": d.label, "expected": d.expected, "found": d.found})).collect::<Vec<_>>(),
            "kept": differences.iter().map(|d| json!({"label": d.label, "asked": d.expected, "kept": d.found, "same": false})).collect::<Vec<_>>(),
            "screenshot": screenshot.map(|p| p.display().to_string()),
            "recordings": recordings,
        }),
        JobError::permanent(
            code,
            format!(
                "{lead} : {}. Corrigez le dossier ou le portail, puis relancez.",
                listed.join(" ; ")
            ),
        ),
    )
}

/// The one-time code staff typed for this run, if any.
pub fn two_factor_code(input: &Value) -> Option<SecretString> {
    input
        .get("two_factor_code")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .map(|c| SecretString::from(c.trim().to_owned()))
}

/// The input without the one-time code, kept once the job has ended.
pub fn without_code(input: &Value) -> Option<Value> {
    input.get("two_factor_code").map(|_| {
        let mut kept = input.clone();
        if let Some(map) = kept.as_object_mut() {
            map.remove("two_factor_code");
        }
        kept
    })
}
