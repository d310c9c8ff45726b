//! What the three portal jobs (prefill, submit, poll) share: the portals' addresses, the client
//! accounts, one recorded browser session per attempt, and the mapping of portal errors onto job
//! outcomes (retry, a person, or a failure).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use domain::NeedsHuman;
use domain::OpcoId;
use domain::outcome::{Kept, NoLogin, NotKept, Stopped};
use jobs::{FieldError, JobContext, JobError, Outcome};
use portals::{
    AgreementDone, Credentials, Difference, DossierStatus, ErrorClass, Filing, HumanInput,
    KeptValue, PermanentReason, PortalError, Prefilled, Session, Submitted,
};
use recordings::{Recorder, Redactor};
use secrecy::SecretString;
use serde_json::Value;

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
    /// Perform what the agreement of `dossier` (in the space of `siret`) asks of the employer.
    Agreement { dossier: String, siret: String },
}

/// What the session brought back.
pub enum Done {
    Prefilled(Prefilled),
    Submitted(Submitted),
    Statuses(Vec<DossierStatus>),
    Agreement(AgreementDone),
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
                Err(Ok(waiting(
                    NoLogin {
                        opco,
                        account: account.to_owned(),
                    },
                    NeedsHuman::CredentialsMissing {
                        opco,
                        account: account.to_owned(),
                    },
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
            tracing::warn!(error = %e, "Cannot record the portal session");
            JobError::retryable(
                "recording_failed",
                "Impossible d'enregistrer la session (disque plein ou non accessible).",
            )
        })?;
        let recordings = format!("recordings/{}/attempt-{attempt}", ctx.job_id);
        // One of this portal's session slots, after its least delay; a portal that failed too
        // often in a row pauses the job (it waits without spending an attempt).
        let permit = self.politeness.enter(opco).await.map_err(JobError::from)?;
        let page = self.browser.get().await?.new_page().await.map_err(|e| {
            tracing::warn!(error = %e, "Chromium did not open a page");
            JobError::retryable("browser_unavailable", "Chromium n'a pas ouvert de page.")
        })?;
        let credentials = Credentials {
            username: account.username,
            password: account.password,
            two_factor_code,
        };
        // An ordinary task of the job: the session reads the job's stop signal before each step
        // (a cancel, a shutdown, a lost lease), stops there and closes its page; the final
        // submit, once under way, runs to its end.
        let result = {
            // A prefill resumes the draft an earlier attempt of this job started.
            let resume = match &work {
                Work::Prefill(_) => portals::started_draft(
                    &recordings::Store::new(&self.recordings_root),
                    &ctx.job_id.to_string(),
                ),
                _ => None,
            };
            let mut session = Session::new(&page, &recorder, base_url, credentials)
                .with_stop(ctx.stop.clone())
                .resuming(resume);
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
                Work::Agreement { dossier, siret } => script
                    .act_on_agreement(&mut session, &dossier, &siret)
                    .await
                    .map(Done::Agreement),
            }
        };
        if let Err(error) = page.close().await {
            tracing::warn!(%error, "Cannot close the portal page");
        }
        match &result {
            Ok(_) => permit.succeeded(),
            Err(e) => permit.failed(e.class() == ErrorClass::Retryable),
        }
        Ok((result, recordings))
    }
}

fn screenshot(path: Option<&std::path::Path>) -> Option<String> {
    path.map(|p| p.display().to_string())
}

/// A job that waits for a person: its result so far and why.
pub fn waiting(result: impl serde::Serialize, reason: NeedsHuman) -> Outcome {
    Outcome::NeedsHuman(
        serde_json::to_value(result).unwrap_or(Value::Null),
        JobError::permanent(reason.code().as_str(), reason.message_fr()),
    )
}

/// A finished job's result as JSON.
pub fn done(result: impl serde::Serialize) -> Outcome {
    Outcome::Done(serde_json::to_value(result).unwrap_or(Value::Null))
}

/// Why a portal refused or failed, in the words staff read (the script's own account, in
/// English, stays in the logs and in the result's `error` field for operators).
pub fn portal_error_fr(e: &PortalError) -> String {
    match e {
        PortalError::Retryable { step, .. } => {
            format!("panne passagère à l'étape « {step} »")
        }
        PortalError::NeedsHuman { step, .. } => {
            format!("une personne doit intervenir à l'étape « {step} »")
        }
        PortalError::PortalChanged { step, .. } => {
            format!("le portail a changé à l'étape « {step} »")
        }
        PortalError::Permanent { reason, .. } => match reason {
            PermanentReason::BadCredentials => {
                "le portail refuse l'identifiant ou le mot de passe du client".into()
            }
            PermanentReason::InvalidFiling(why) => format!("le dossier n'est pas valide : {why}"),
            PermanentReason::UploadRefused { file, message } => {
                format!("le portail a refusé le fichier {file} : {message}")
            }
            PermanentReason::ValueRefused(message) => {
                format!("le portail a refusé une valeur : {message}")
            }
            PermanentReason::NoDraft => "aucun brouillon pour ce stagiaire et cette action sur le portail : préremplissez à nouveau".into(),
            PermanentReason::ValueDoesNotFit { field, limit, .. } => {
                format!("le champ « {field} » du portail accepte {limit}")
            }
            PermanentReason::NoAgreementAction { dossier, status } if status.is_empty() => {
                format!("le portail ne montre pas le dossier n° {dossier} : rien n'a été fait")
            }
            PermanentReason::NoAgreementAction { dossier, status } => format!(
                "le portail n'attend aucune action sur le dossier n° {dossier} (statut « {status} ») : rien n'a été fait"
            ),
        },
        PortalError::AlreadyFiled { dossier } => {
            format!("le portail tient déjà cette demande, dossier n° {dossier}")
        }
        PortalError::ValuesDiffer { differences, .. } => format!(
            "{} valeur(s) du portail diffèrent du dossier confirmé",
            differences.len()
        ),
        PortalError::FiledUnknown { .. } => {
            "le dépôt a été pressé mais son accusé n'a pas pu être lu".into()
        }
        PortalError::Recording(_) => "l'enregistrement de la session a échoué".into(),
        PortalError::Stopped { step } => format!(
            "la session a été arrêtée à la demande avant l'étape « {step} », sans rien déposer"
        ),
    }
}

/// Maps a portal error to the job's outcome: retry, a person, or a failure. `AlreadyFiled` is
/// handled by each job, since it means different things before and after staff confirmed.
pub fn outcome_of(e: PortalError, recordings: &str) -> Result<Outcome, JobError> {
    let stopped = Stopped {
        recordings: recordings.to_owned(),
        screenshot: screenshot(e.screenshot()),
        error: e.to_string(),
    };
    let reason = match &e {
        PortalError::NeedsHuman {
            ask: HumanInput::Captcha,
            step,
            ..
        } => NeedsHuman::Captcha { step: step.clone() },
        PortalError::NeedsHuman {
            ask:
                HumanInput::TwoFactorCode {
                    prompt,
                    previous_code_refused,
                    tries_left,
                },
            ..
        } => {
            // The page offers only a new code once none is left (read by the review page).
            let reason = NeedsHuman::CodeNeeded {
                prompt: prompt.clone(),
                previous_code_refused: *previous_code_refused,
                tries_left: *tries_left,
            };
            let mut result = serde_json::to_value(&stopped).unwrap_or(Value::Null);
            if let Some(map) = result.as_object_mut() {
                map.insert("code_tries_left".into(), serde_json::json!(tries_left));
            }
            return Ok(waiting(result, reason));
        }
        PortalError::NeedsHuman {
            ask: HumanInput::PasswordRenewal { username },
            ..
        } => NeedsHuman::PasswordRenewal {
            username: username.clone(),
        },
        PortalError::NeedsHuman {
            ask:
                HumanInput::SiteChoice {
                    siret,
                    found,
                    listed,
                },
            ..
        } => NeedsHuman::SiteNotFound {
            siret: siret.clone(),
            found: *found,
            listed: listed.clone(),
        },
        PortalError::NeedsHuman {
            ask: HumanInput::AgreementUnknown { dossier, .. },
            ..
        } => NeedsHuman::AgreementUnknown {
            dossier: dossier.clone(),
        },
        PortalError::PortalChanged { step, what, .. } => NeedsHuman::PortalChanged {
            step: step.clone(),
            what: what.clone(),
        },
        PortalError::Permanent {
            reason:
                PermanentReason::ValueDoesNotFit {
                    field,
                    value,
                    limit,
                },
            ..
        } => NeedsHuman::ValueDoesNotFit {
            field: field.clone(),
            value: value.clone(),
            limit: limit.clone(),
        },
        PortalError::Stopped { .. } => {
            // The runtime knows why (cancel, shutdown, lease lost) and ends the attempt so.
            return Err(JobError::retryable(
                "interrupted",
                format!("La tâche a été interrompue : {}.", portal_error_fr(&e)),
            ));
        }
        _ if e.class() == ErrorClass::Retryable => {
            return Err(JobError::retryable(
                "portal_unavailable",
                format!(
                    "Le portail ne répond pas comme il faut : {}.",
                    portal_error_fr(&e)
                ),
            ));
        }
        _ => {
            return Err(JobError::permanent(
                "portal_refused",
                format!("Le portail refuse la demande : {}.", portal_error_fr(&e)),
            ));
        }
    };
    Ok(waiting(stopped, reason))
}

/// What the portal kept, one row per field, for the review page.
pub fn kept_rows(kept: &[KeptValue]) -> Vec<Kept> {
    kept.iter()
        .map(|k| Kept {
            label: k.label.clone(),
            asked: k.asked.clone(),
            kept: k.kept.clone(),
            same: k.same,
        })
        .collect()
}

/// The differences read on the portal, in the shared vocabulary.
pub fn differences(differences: &[Difference]) -> Vec<domain::outcome::Difference> {
    differences
        .iter()
        .map(|d| domain::outcome::Difference {
            label: d.label.clone(),
            expected: d.expected.clone(),
            found: d.found.clone(),
        })
        .collect()
}

/// The portal does not hold what the filing asks: a person reads the differences (field,
/// asked, kept) and the screenshot; nothing goes further. `reason` builds the prefill's or the
/// submit's reason from them.
pub fn not_kept(
    reason: fn(Vec<domain::outcome::Difference>) -> NeedsHuman,
    found: &[Difference],
    shot: Option<&std::path::Path>,
    recordings: &str,
) -> Outcome {
    let listed = differences(found);
    waiting(
        NotKept::new(listed.clone(), screenshot(shot), recordings.to_owned()),
        reason(listed),
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
