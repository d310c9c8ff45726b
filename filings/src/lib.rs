//! Filings: a funding request followed from its first prefill to the OPCO's answer.
//!
//! A filing is created with its `prefill_filing` job (same id) and then *projected* from its jobs'
//! state changes inside the same transaction that records them, so the filing can never disagree
//! with its jobs. Staff decisions (confirm, refuse, correct, enter a code, retry) are transactions
//! too: each moves the job waiting for a person and the filing together and writes the audit
//! trail. Every change of a filing's state is kept in `filing_events` and sent as a
//! `filing.state_changed` webhook through the same outbox as the jobs'.
//!
//! This crate sits above the generic queue: `jobs` knows nothing of filings. The projection is a
//! [`JobObserver`] registered on the store ([`connect`]), which the store calls inside every
//! job-change transaction. What a filing's jobs bring back is typed in `domain::outcome`; the
//! projection matches on those types, never on strings. The filings' tables (and the staff
//! sessions') are this crate's migrations, run in one ordered set with the jobs' own.

mod events;

pub use events::{Action, Decision};

use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::migrate::Migrator;

use chrono::{DateTime, Utc};
use domain::{FilingState, JobId};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use domain::ReasonCode;
use domain::outcome::{
    AgreementActed, AgreementInput, Filed, PrefillInput, SubmitInput, with_code,
};
use jobs::{
    Job, JobError, JobKind, JobObserver, JobState, NewJob, Store, StoreError, Tx, now_ms, to_time,
};

/// The filings' and staff sessions' tables, run in one ordered set with the other crates'.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Connects to the store with the filings' tables (and `more` crates' migrations, all run in one
/// ordered set) and registers the projection, so that every job change moves its filing.
pub async fn connect(
    url: &str,
    webhook_urls: Vec<String>,
    more: &[&'static Migrator],
) -> Result<Store, StoreError> {
    let mut schemas: Vec<&'static Migrator> = vec![&MIGRATOR];
    schemas.extend_from_slice(more);
    let store = Store::connect_with(url, webhook_urls, &schemas).await?;
    store.observe(Arc::new(Projection));
    Ok(store)
}

/// Filings projected from their jobs: the observer [`connect`] registers on the store.
#[derive(Debug, Default)]
pub struct Projection;

impl JobObserver for Projection {
    fn on_job_change<'a>(
        &'a self,
        store: &'a Store,
        tx: &'a mut Tx,
        job: &'a Job,
        from: Option<JobState>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(project_filing(store, tx, job, from))
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A funding request as followed by the fleet.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Filing {
    /// The id of the `prefill_filing` job that created it.
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    /// OPCO slug.
    pub opco: String,
    /// The client's account on the portal.
    pub account: String,
    /// The client company.
    pub company_siret: String,
    /// The trainee, as « NOM Prénoms ».
    pub trainee: String,
    /// The action's title.
    pub action_title: String,
    /// The action's first day (YYYY-MM-DD).
    pub start_date: String,
    /// Where it stands.
    pub state: FilingState,
    /// Why it waits, for the states that wait for a person.
    pub state_code: Option<String>,
    /// The same, in French.
    pub state_message: Option<String>,
    /// What the prefill left for review: draft URL, screenshots, warnings, recordings.
    pub review: Option<Value>,
    /// The job working on it now (the prefill, then the submit).
    #[schema(value_type = String, format = Uuid)]
    pub current_job_id: JobId,
    /// The portal's dossier number, once submitted.
    pub dossier: Option<String>,
    /// Where the screenshot of the portal's acknowledgement is kept.
    pub receipt: Option<String>,
    /// The portal's status as mapped by its script.
    pub portal_status: Option<Value>,
    /// The portal's own wording of that status.
    pub portal_label: Option<String>,
    /// When the portal accepted it.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the portal status last changed.
    pub status_changed_at: Option<DateTime<Utc>>,
    /// When the status was last read.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Set when the OPCO has not answered within its usual delay.
    pub overdue_since: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One line of a filing's history: what happened, who did it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FilingEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// `worker`, `poller`, or `staff:<login>`.
    pub actor: String,
    /// What was done (`prefilled`, `confirmed`, `refused`, `status_changed`, …).
    pub action: String,
    /// State before.
    pub from_state: Option<FilingState>,
    /// State after.
    pub to_state: FilingState,
    /// Free text (a reason, the fields corrected, the portal's wording).
    pub detail: Option<String>,
}

/// Why a staff decision was not applied.
#[derive(Debug, thiserror::Error)]
pub enum FilingActionError {
    /// No such filing.
    #[error("no filing {0}")]
    NotFound(JobId),
    /// The filing is not in a state that allows this decision (someone else acted first).
    #[error("the filing is {state}, which does not allow « {action} »")]
    WrongState {
        /// Its state now.
        state: FilingState,
        /// The refused decision.
        action: Decision,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A dossier's status as read on the portal, mapped to our states.
#[derive(Clone, Debug)]
pub struct PolledStatus {
    /// The portal's dossier number.
    pub dossier: String,
    /// Our state for it.
    pub state: FilingState,
    /// The script's reading (amount, comment…), kept as is.
    pub status: Value,
    /// The portal's own wording.
    pub label: String,
}

/// What a polling round changed on one filing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolledChange {
    /// The filing.
    pub filing_id: JobId,
    /// Its dossier.
    pub dossier: String,
    /// State before.
    pub from: FilingState,
    /// State after (the same when only the overdue flag was raised).
    pub to: FilingState,
    /// What happened: status changed, overdue, missing on the portal.
    pub action: Action,
}

/// A staff session of the review page.
#[derive(Clone, Debug)]
pub struct StaffSession {
    /// Who.
    pub login: String,
    /// The token forms must carry.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

const FILING_COLUMNS: &str = "id, opco, account, company_siret, trainee, action_title, start_date, state, state_code, \
     state_message, review, current_job_id, dossier, receipt, portal_status, portal_label, submitted_at, \
     status_changed_at, last_polled_at, overdue_since, created_at, updated_at";

fn json_column(row: &AnyRow, name: &str) -> Result<Option<Value>, StoreError> {
    row.try_get::<Option<String>, _>(name)?
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(corrupt)
}

fn time_column(row: &AnyRow, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(name)?.map(to_time))
}

fn filing_from_row(row: &AnyRow) -> Result<Filing, StoreError> {
    let id: String = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let current: String = row.try_get("current_job_id")?;
    Ok(Filing {
        id: JobId::from_str(&id).map_err(corrupt)?,
        opco: row.try_get("opco")?,
        account: row.try_get("account")?,
        company_siret: row.try_get("company_siret")?,
        trainee: row.try_get("trainee")?,
        action_title: row.try_get("action_title")?,
        start_date: row.try_get("start_date")?,
        state: FilingState::from_str(&state).map_err(corrupt)?,
        state_code: row.try_get("state_code")?,
        state_message: row.try_get("state_message")?,
        review: json_column(row, "review")?,
        current_job_id: JobId::from_str(&current).map_err(corrupt)?,
        dossier: row.try_get("dossier")?,
        receipt: row.try_get("receipt")?,
        portal_status: json_column(row, "portal_status")?,
        portal_label: row.try_get("portal_label")?,
        submitted_at: time_column(row, "submitted_at")?,
        status_changed_at: time_column(row, "status_changed_at")?,
        last_polled_at: time_column(row, "last_polled_at")?,
        overdue_since: time_column(row, "overdue_since")?,
        created_at: to_time(row.try_get("created_at")?),
        updated_at: to_time(row.try_get("updated_at")?),
    })
}

/// The columns a move may set besides the state (`None` keeps the stored value).
#[derive(Default)]
struct Extra {
    review: Option<Value>,
    current_job_id: Option<JobId>,
    submit_job_id: Option<JobId>,
    dossier: Option<String>,
    receipt: Option<String>,
    portal_status: Option<Value>,
    portal_label: Option<String>,
    submitted: bool,
    status_changed: bool,
}

/// One move of a filing: who, what, to which state, why.
struct Move<'a> {
    actor: &'a str,
    action: Action,
    to: FilingState,
    code: Option<&'a str>,
    message: Option<&'a str>,
    detail: Option<&'a str>,
    extra: Extra,
}

fn text(v: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The filings' side of the store: their projection, the staff decisions, polling rounds and
/// staff sessions. Implemented for [`jobs::Store`] only, so its futures are `Send` wherever a
/// `Store` is (the reason `async fn` is fine in this trait).
#[allow(async_fn_in_trait)]
pub trait FilingStore {
    /// One filing.
    async fn filing(&self, id: JobId) -> Result<Option<Filing>, StoreError>;

    /// A filing's history, oldest first.
    async fn filing_events(&self, id: JobId) -> Result<Vec<FilingEvent>, StoreError>;

    /// The filings waiting for a person, oldest first: stopped ones, and granted ones whose portal
    /// awaits the employer's action after the agreement.
    async fn filings_awaiting_staff(&self, limit: u32) -> Result<Vec<Filing>, StoreError>;

    /// The latest filings in any state, newest first.
    async fn recent_filings(&self, limit: u32) -> Result<Vec<Filing>, StoreError>;

    /// Staff confirmed the prefilled filing: the prefill job ends and a `submit_filing` job is
    /// queued with the filing as confirmed. Returns the submit job's id (to wake it).
    async fn confirm_filing(
        &self,
        id: JobId,
        staff: &str,
        max_attempts: u32,
    ) -> Result<JobId, FilingActionError>;

    /// Staff confirmed that the worker performs on the portal what the agreement of a granted
    /// filing asks of the employer (its portal status awaits it): an `act_on_agreement` job is
    /// queued, once per filing whoever asks and however often. Returns the job's id.
    async fn confirm_agreement_action(
        &self,
        id: JobId,
        staff: &str,
        max_attempts: u32,
    ) -> Result<JobId, FilingActionError>;

    /// Staff refused the filing: nothing is submitted, the waiting job fails with the reason.
    async fn refuse_filing(
        &self,
        id: JobId,
        staff: &str,
        reason: &str,
    ) -> Result<(), FilingActionError>;

    /// Staff corrected values: the prefill job runs again with the corrected filing. Returns the
    /// job to wake.
    async fn correct_filing(
        &self,
        id: JobId,
        staff: &str,
        corrected_filing: Value,
        changes: &str,
    ) -> Result<JobId, FilingActionError>;

    /// Staff typed the code the portal sent: the waiting job runs again with it (once). Returns
    /// the job to wake.
    async fn answer_code(
        &self,
        id: JobId,
        staff: &str,
        code: &str,
    ) -> Result<JobId, FilingActionError>;

    /// Staff solved what blocked the job (a CAPTCHA by hand, a portal back up): it runs again.
    async fn retry_filing(&self, id: JobId, staff: &str) -> Result<JobId, FilingActionError>;

    /// Staff typed the code a portal sent to a job that is not a filing's (a polling round):
    /// it runs again with the code. Returns whether the job was waiting for one.
    async fn answer_job_code(&self, id: JobId, staff: &str, code: &str)
    -> Result<bool, StoreError>;

    /// The client accounts that have dossiers waiting for an answer, per OPCO.
    async fn followed_accounts(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Stores one polling round of an account: each followed dossier takes its portal status;
    /// a dossier still unanswered after `usual_answer_days` is flagged once; a followed dossier
    /// the portal no longer lists goes to a person.
    async fn apply_polled_statuses(
        &self,
        opco: &str,
        account: &str,
        statuses: &[PolledStatus],
        usual_answer_days: Option<u32>,
    ) -> Result<Vec<PolledChange>, StoreError>;

    /// Opens a staff session under the hash of its token.
    async fn create_staff_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf: &str,
        ttl: std::time::Duration,
    ) -> Result<(), StoreError>;

    /// The live session with this token hash.
    async fn staff_session(&self, token_hash: &str) -> Result<Option<StaffSession>, StoreError>;

    /// Ends a session (logout), and drops expired ones.
    async fn end_staff_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// The worker resolved the OPCO of a filing that came without one: the job's input and the
    /// filing take it, fenced by the job's lease, with a line in the filing's history. Returns
    /// whether the lease was still held.
    async fn route_filing(
        &self,
        job_id: JobId,
        worker_id: &str,
        opco: &str,
        detail: &str,
    ) -> Result<bool, StoreError>;

    /// Staff chose the OPCO of a filing whose company's OPCO could not be resolved: the prefill
    /// job runs again with it. Returns the job to wake.
    async fn choose_filing_opco(
        &self,
        id: JobId,
        staff: &str,
        opco: &str,
    ) -> Result<JobId, FilingActionError>;
}

impl FilingStore for Store {
    async fn filing(&self, id: JobId) -> Result<Option<Filing>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FILING_COLUMNS} FROM filings WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(filing_from_row).transpose()
    }

    async fn filing_events(&self, id: JobId) -> Result<Vec<FilingEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, from_state, to_state, detail FROM filing_events \
             WHERE filing_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = r.try_get("from_state")?;
                let to: String = r.try_get("to_state")?;
                Ok(FilingEvent {
                    at: to_time(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from_state: from
                        .map(|s| FilingState::from_str(&s))
                        .transpose()
                        .map_err(corrupt)?,
                    to_state: FilingState::from_str(&to).map_err(corrupt)?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn filings_awaiting_staff(&self, limit: u32) -> Result<Vec<Filing>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FILING_COLUMNS} FROM filings WHERE state IN ('ready_for_review', 'needs_input', 'needs_attention', 'filed_unknown') \
             OR (state = 'granted' AND (portal_status LIKE '%\"status\":\"start_to_confirm\"%' OR portal_status LIKE '%\"status\":\"offer_to_accept\"%')) \
             ORDER BY created_at, id LIMIT {limit}"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(filing_from_row).collect()
    }

    async fn recent_filings(&self, limit: u32) -> Result<Vec<Filing>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FILING_COLUMNS} FROM filings ORDER BY updated_at DESC, id DESC LIMIT {limit}"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(filing_from_row).collect()
    }

    async fn confirm_filing(
        &self,
        id: JobId,
        staff: &str,
        max_attempts: u32,
    ) -> Result<JobId, FilingActionError> {
        let mut tx = self.begin().await?;
        let (filing, job) = staff_filing(
            self,
            &mut tx,
            id,
            Decision::Confirm,
            &[FilingState::ReadyForReview],
        )
        .await?;
        let actor = format!("staff:{staff}");
        let prefill = if job.kind == JobKind::PrefillFiling {
            job.clone()
        } else {
            self.fetch_in(&mut tx, id)
                .await?
                .ok_or(FilingActionError::NotFound(id))?
        };
        let confirmation = uuid::Uuid::now_v7().to_string();
        let prefilled: PrefillInput =
            serde_json::from_value(prefill.input.clone()).map_err(corrupt)?;
        let input = serde_json::to_value(SubmitInput {
            filing_id: id,
            opco: prefilled.opco.unwrap_or_default(),
            filing: prefilled.filing,
            two_factor_code: None,
        })
        .map_err(corrupt)?;
        let submit = self
            .insert_in(
                &mut tx,
                &NewJob {
                    kind: JobKind::SubmitFiling,
                    request_hash: confirmation.clone(),
                    idempotency_key: Some(format!("confirm:{confirmation}")),
                    input,
                    max_attempts,
                    principal: actor.clone(),
                },
            )
            .await?;
        move_filing(
            self,
            &mut tx,
            &filing,
            Move {
                actor: &actor,
                action: Action::Confirmed,
                to: FilingState::Submitting,
                code: None,
                message: None,
                detail: None,
                extra: Extra {
                    current_job_id: Some(submit),
                    submit_job_id: Some(submit),
                    ..Extra::default()
                },
            },
        )
        .await?;
        // The filing moves first, so the projection of the job decided below leaves it be.
        let (closed, error) = if job.kind == JobKind::PrefillFiling {
            (JobState::Succeeded, None)
        } else {
            (
                JobState::Cancelled,
                Some(JobError::permanent(
                    "superseded",
                    "Dépôt confirmé à nouveau : une nouvelle tâche de dépôt le remplace.",
                )),
            )
        };
        self.decide_in(&mut tx, &job, closed, error.as_ref(), None, &actor)
            .await?;
        self.change_in(&mut tx, submit, None, Some(&actor), None, None)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(submit)
    }

    async fn confirm_agreement_action(
        &self,
        id: JobId,
        staff: &str,
        max_attempts: u32,
    ) -> Result<JobId, FilingActionError> {
        let mut tx = self.begin().await?;
        let (filing, current) = staff_filing(
            self,
            &mut tx,
            id,
            Decision::ActOnAgreement,
            &[FilingState::Granted],
        )
        .await?;
        let refused = || FilingActionError::WrongState {
            state: filing.state,
            action: Decision::ActOnAgreement,
        };
        let awaited = filing
            .portal_status
            .as_ref()
            .and_then(|s| s.get("status"))
            .and_then(Value::as_str)
            .is_some_and(|s| matches!(s, "start_to_confirm" | "offer_to_accept"));
        let (Some(dossier), true) = (filing.dossier.clone(), awaited) else {
            return Err(refused());
        };
        if current.kind == JobKind::ActOnAgreement {
            return Err(refused());
        }
        let actor = format!("staff:{staff}");
        let input = serde_json::to_value(AgreementInput {
            filing_id: id,
            opco: filing.opco.clone(),
            account: filing.account.clone(),
            siret: filing.company_siret.clone(),
            dossier,
            two_factor_code: None,
        })
        .map_err(corrupt)?;
        let job = self
            .insert_in(
                &mut tx,
                &NewJob {
                    kind: JobKind::ActOnAgreement,
                    request_hash: format!("agreement:{id}"),
                    idempotency_key: Some(format!("agreement:{id}")),
                    input,
                    max_attempts,
                    principal: actor.clone(),
                },
            )
            .await?;
        // Whoever else asked at the same moment finds the filing's job changed: one job only.
        let swapped = sqlx::query(
            "UPDATE filings SET current_job_id = $1 WHERE id = $2 AND current_job_id = $3",
        )
        .bind(job.to_string())
        .bind(id.to_string())
        .bind(current.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if swapped.rows_affected() != 1 {
            return Err(refused());
        }
        move_filing(
            self,
            &mut tx,
            &filing,
            Move {
                actor: &actor,
                action: Action::AgreementConfirmed,
                to: FilingState::Granted,
                code: None,
                message: None,
                detail: filing.portal_label.as_deref(),
                extra: Extra {
                    current_job_id: Some(job),
                    ..Extra::default()
                },
            },
        )
        .await?;
        self.change_in(&mut tx, job, None, Some(&actor), None, None)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(job)
    }

    async fn refuse_filing(
        &self,
        id: JobId,
        staff: &str,
        reason: &str,
    ) -> Result<(), FilingActionError> {
        let mut tx = self.begin().await?;
        let (filing, job) = staff_filing(
            self,
            &mut tx,
            id,
            Decision::Refuse,
            &[
                FilingState::ReadyForReview,
                FilingState::NeedsInput,
                FilingState::NeedsAttention,
            ],
        )
        .await?;
        // A granted filing whose action after the agreement stopped is no filing to refuse.
        if job.kind == JobKind::ActOnAgreement {
            return Err(FilingActionError::WrongState {
                state: filing.state,
                action: Decision::Refuse,
            });
        }
        let actor = format!("staff:{staff}");
        let error = JobError::permanent(
            "refused_by_staff",
            format!("Dépôt refusé par l'équipe : {reason}"),
        );
        move_filing(
            self,
            &mut tx,
            &filing,
            Move {
                actor: &actor,
                action: Action::Refused,
                to: FilingState::RefusedByStaff,
                code: None,
                message: None,
                detail: Some(reason),
                extra: Extra::default(),
            },
        )
        .await?;
        self.decide_in(&mut tx, &job, JobState::Failed, Some(&error), None, &actor)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn correct_filing(
        &self,
        id: JobId,
        staff: &str,
        corrected_filing: Value,
        changes: &str,
    ) -> Result<JobId, FilingActionError> {
        let mut tx = self.begin().await?;
        let (filing, job) = staff_filing(
            self,
            &mut tx,
            id,
            Decision::Correct,
            &[FilingState::ReadyForReview, FilingState::NeedsAttention],
        )
        .await?;
        if job.kind != JobKind::PrefillFiling || job.state != JobState::NeedsHuman {
            return Err(FilingActionError::WrongState {
                state: filing.state,
                action: Decision::Correct,
            });
        }
        let actor = format!("staff:{staff}");
        let mut corrected: PrefillInput =
            serde_json::from_value(job.input.clone()).map_err(corrupt)?;
        corrected.filing = corrected_filing;
        let input = serde_json::to_value(corrected).map_err(corrupt)?;
        sqlx::query("UPDATE filings SET action_title = $1, start_date = $2 WHERE id = $3")
            .bind(text(&input, &["filing", "action", "title"]))
            .bind(text(&input, &["filing", "action", "start"]))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        move_filing(
            self,
            &mut tx,
            &filing,
            Move {
                actor: &actor,
                action: Action::Corrected,
                to: FilingState::Prefilling,
                code: None,
                message: None,
                detail: Some(changes),
                extra: Extra::default(),
            },
        )
        .await?;
        self.decide_in(&mut tx, &job, JobState::Queued, None, Some(&input), &actor)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(job.id)
    }

    async fn answer_code(
        &self,
        id: JobId,
        staff: &str,
        code: &str,
    ) -> Result<JobId, FilingActionError> {
        rerun(
            self,
            id,
            staff,
            (Decision::EnterCode, Action::CodeEntered),
            Some(code),
            &[FilingState::NeedsInput],
        )
        .await
    }

    async fn retry_filing(&self, id: JobId, staff: &str) -> Result<JobId, FilingActionError> {
        rerun(
            self,
            id,
            staff,
            (Decision::Retry, Action::Retried),
            None,
            &[
                FilingState::NeedsAttention,
                FilingState::NeedsInput,
                FilingState::FiledUnknown,
            ],
        )
        .await
    }

    async fn answer_job_code(
        &self,
        id: JobId,
        staff: &str,
        code: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let Some(job) = self.fetch_in(&mut tx, id).await? else {
            return Ok(false);
        };
        let waiting = job.state == JobState::NeedsHuman
            && job.kind == JobKind::PollStatus
            && job.error.as_ref().is_some_and(|e| {
                ReasonCode::of(Some(&e.code)) == Some(ReasonCode::TwoFactorCodeNeeded)
            });
        if !waiting {
            return Ok(false);
        }
        let input = with_code(&job.input, Some(code));
        self.decide_in(
            &mut tx,
            &job,
            JobState::Queued,
            None,
            Some(&input),
            &format!("staff:{staff}"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn followed_accounts(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT opco, account FROM filings WHERE state IN ('submitted', 'documents_requested') \
             AND dossier IS NOT NULL ORDER BY opco, account",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("opco")?, r.try_get("account")?)))
            .collect()
    }

    async fn apply_polled_statuses(
        &self,
        opco: &str,
        account: &str,
        statuses: &[PolledStatus],
        usual_answer_days: Option<u32>,
    ) -> Result<Vec<PolledChange>, StoreError> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FILING_COLUMNS} FROM filings WHERE opco = $1 AND account = $2 \
             AND state IN ('submitted', 'documents_requested') AND dossier IS NOT NULL ORDER BY id"
        )))
        .bind(opco.to_owned())
        .bind(account.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        let now = now_ms();
        let mut changes = Vec::new();
        for row in &rows {
            let filing = filing_from_row(row)?;
            let dossier = filing.dossier.clone().unwrap_or_default();
            let polled = statuses.iter().find(|s| s.dossier == dossier);
            match polled {
                Some(p)
                    if p.state != filing.state
                        || filing.portal_label.as_deref() != Some(p.label.as_str()) =>
                {
                    move_filing(
                        self,
                        &mut tx,
                        &filing,
                        Move {
                            actor: "poller",
                            action: Action::StatusChanged,
                            to: p.state,
                            code: None,
                            message: None,
                            detail: Some(&p.label),
                            extra: Extra {
                                portal_status: Some(p.status.clone()),
                                portal_label: Some(p.label.clone()),
                                status_changed: true,
                                ..Extra::default()
                            },
                        },
                    )
                    .await?;
                    changes.push(PolledChange {
                        filing_id: filing.id,
                        dossier,
                        from: filing.state,
                        to: p.state,
                        action: Action::StatusChanged,
                    });
                }
                Some(_) => {
                    let overdue = usual_answer_days.is_some_and(|days| {
                        filing.state == FilingState::Submitted
                            && filing.overdue_since.is_none()
                            && filing.submitted_at.is_some_and(|at| {
                                at + chrono::Duration::days(i64::from(days)) < to_time(now)
                            })
                    });
                    if overdue {
                        sqlx::query(
                            "UPDATE filings SET overdue_since = $1, updated_at = $1 WHERE id = $2",
                        )
                        .bind(now)
                        .bind(filing.id.to_string())
                        .execute(&mut *tx)
                        .await?;
                        let detail = format!(
                            "Pas de réponse de l'OPCO après {} jours (délai habituel)",
                            usual_answer_days.unwrap_or_default()
                        );
                        filing_event(
                            self,
                            &mut tx,
                            &filing,
                            "poller",
                            Action::Overdue,
                            filing.state,
                            Some(&detail),
                            now,
                        )
                        .await?;
                        changes.push(PolledChange {
                            filing_id: filing.id,
                            dossier,
                            from: filing.state,
                            to: filing.state,
                            action: Action::Overdue,
                        });
                    }
                }
                None => {
                    let message = format!(
                        "Le dossier {dossier} n'apparaît plus dans la liste des demandes du portail : vérifiez-le à la main."
                    );
                    move_filing(
                        self,
                        &mut tx,
                        &filing,
                        Move {
                            actor: "poller",
                            action: Action::MissingOnPortal,
                            to: FilingState::NeedsAttention,
                            code: Some(ReasonCode::MissingOnPortal.as_str()),
                            message: Some(&message),
                            detail: Some(&message),
                            extra: Extra::default(),
                        },
                    )
                    .await?;
                    changes.push(PolledChange {
                        filing_id: filing.id,
                        dossier,
                        from: filing.state,
                        to: FilingState::NeedsAttention,
                        action: Action::MissingOnPortal,
                    });
                }
            }
        }
        sqlx::query("UPDATE filings SET last_polled_at = $1 WHERE opco = $2 AND account = $3 AND dossier IS NOT NULL")
            .bind(now)
            .bind(opco.to_owned())
            .bind(account.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn create_staff_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf: &str,
        ttl: std::time::Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, login, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_owned())
        .bind(login.to_owned())
        .bind(csrf.to_owned())
        .bind(now)
        .bind(now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn staff_session(&self, token_hash: &str) -> Result<Option<StaffSession>, StoreError> {
        let row = sqlx::query(
            "SELECT login, csrf, expires_at FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(StaffSession {
                login: r.try_get("login")?,
                csrf: r.try_get("csrf")?,
                expires_at: to_time(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    async fn end_staff_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash.to_owned())
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn route_filing(
        &self,
        job_id: JobId,
        worker_id: &str,
        opco: &str,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let Some(job) = self.fetch_in(&mut tx, job_id).await? else {
            return Ok(false);
        };
        if job.lease_owner.as_deref() != Some(worker_id) || job.state != JobState::Running {
            return Ok(false);
        }
        let mut routed: PrefillInput =
            serde_json::from_value(job.input.clone()).map_err(corrupt)?;
        routed.opco = Some(opco.to_owned());
        let input = serde_json::to_value(routed).map_err(corrupt)?;
        if !self
            .replace_input_in(&mut tx, job_id, worker_id, &input)
            .await?
        {
            return Ok(false);
        }
        sqlx::query("UPDATE filings SET opco = $1 WHERE id = $2")
            .bind(opco.to_owned())
            .bind(job_id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(filing) = filing_in(&mut tx, job_id).await? {
            move_filing(
                self,
                &mut tx,
                &filing,
                Move {
                    actor: "worker",
                    action: Action::OpcoResolved,
                    to: filing.state,
                    code: None,
                    message: None,
                    detail: Some(detail),
                    extra: Extra::default(),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn choose_filing_opco(
        &self,
        id: JobId,
        staff: &str,
        opco: &str,
    ) -> Result<JobId, FilingActionError> {
        let mut tx = self.begin().await?;
        let (filing, job) = staff_filing(
            self,
            &mut tx,
            id,
            Decision::ChooseOpco,
            &[FilingState::NeedsAttention],
        )
        .await?;
        let waiting = job.kind == JobKind::PrefillFiling
            && job.state == JobState::NeedsHuman
            && job
                .error
                .as_ref()
                .is_some_and(|e| ReasonCode::of(Some(&e.code)) == Some(ReasonCode::OpcoUnresolved));
        if !waiting {
            return Err(FilingActionError::WrongState {
                state: filing.state,
                action: Decision::ChooseOpco,
            });
        }
        let actor = format!("staff:{staff}");
        let mut chosen: PrefillInput =
            serde_json::from_value(job.input.clone()).map_err(corrupt)?;
        chosen.opco = Some(opco.to_owned());
        let input = serde_json::to_value(chosen).map_err(corrupt)?;
        sqlx::query("UPDATE filings SET opco = $1 WHERE id = $2")
            .bind(opco.to_owned())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        move_filing(
            self,
            &mut tx,
            &filing,
            Move {
                actor: &actor,
                action: Action::OpcoChosen,
                to: FilingState::Prefilling,
                code: None,
                message: None,
                detail: Some(opco),
                extra: Extra::default(),
            },
        )
        .await?;
        self.decide_in(&mut tx, &job, JobState::Queued, None, Some(&input), &actor)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(job.id)
    }
}

async fn filing_in(tx: &mut Tx, id: JobId) -> Result<Option<Filing>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {FILING_COLUMNS} FROM filings WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(filing_from_row).transpose()
}

/// Applies a move: the row, its history line, and its webhook deliveries.
async fn move_filing(
    store: &Store,
    tx: &mut Tx,
    before: &Filing,
    m: Move<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let e = &m.extra;
    sqlx::query(
        "UPDATE filings SET state = $1, state_code = $2, state_message = $3, review = COALESCE($4, review), \
         current_job_id = COALESCE($5, current_job_id), submit_job_id = COALESCE($6, submit_job_id), \
         dossier = COALESCE($7, dossier), receipt = COALESCE($8, receipt), \
         portal_status = COALESCE($9, portal_status), portal_label = COALESCE($10, portal_label), \
         submitted_at = COALESCE(submitted_at, $11), status_changed_at = COALESCE($12, status_changed_at), \
         updated_at = $13 WHERE id = $14",
    )
    .bind(m.to.as_str())
    .bind(m.code.map(str::to_owned))
    .bind(m.message.map(str::to_owned))
    .bind(e.review.as_ref().map(Value::to_string))
    .bind(e.current_job_id.map(|j| j.to_string()))
    .bind(e.submit_job_id.map(|j| j.to_string()))
    .bind(e.dossier.clone())
    .bind(e.receipt.clone())
    .bind(e.portal_status.as_ref().map(Value::to_string))
    .bind(e.portal_label.clone())
    .bind(e.submitted.then_some(now))
    .bind(e.status_changed.then_some(now))
    .bind(now)
    .bind(before.id.to_string())
    .execute(&mut **tx)
    .await?;
    filing_event(store, tx, before, m.actor, m.action, m.to, m.detail, now).await
}

#[allow(clippy::too_many_arguments)]
async fn filing_event(
    store: &Store,
    tx: &mut Tx,
    before: &Filing,
    actor: &str,
    action: Action,
    to: FilingState,
    detail: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO filing_events (id, filing_id, at, actor, action, from_state, to_state, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(before.id.to_string())
    .bind(now)
    .bind(actor.to_owned())
    .bind(action.as_str())
    .bind(before.state.as_str())
    .bind(to.as_str())
    .bind(detail.map(str::to_owned))
    .execute(&mut **tx)
    .await?;
    if !store.has_webhooks()
        || (before.state == to && !matches!(action, Action::Overdue | Action::AgreementDone))
    {
        return Ok(());
    }
    let after = filing_in(tx, before.id)
        .await?
        .ok_or_else(|| corrupt("a filing vanished inside its own transaction"))?;
    let event_id = uuid::Uuid::now_v7().to_string();
    let payload = json!({
        "event_id": event_id,
        "type": "filing.state_changed",
        "occurred_at": to_time(now),
        "filing": {
            "id": after.id,
            "opco": after.opco,
            "account": after.account,
            "state": after.state,
            "previous_state": before.state,
            "action": action,
            "detail": detail,
            "dossier": after.dossier,
            "portal_status": after.portal_status,
            "portal_label": after.portal_label,
            "overdue": after.overdue_since.is_some(),
        },
    })
    .to_string();
    store.outbox(tx, after.id, &event_id, &payload, now).await
}

async fn create_filing(tx: &mut Tx, job: &Job) -> Result<(), StoreError> {
    let input = &job.input;
    let trainee = format!(
        "{} {}",
        text(input, &["filing", "trainee", "last_name"]).to_uppercase(),
        text(input, &["filing", "trainee", "first_names"])
    );
    let now = now_ms();
    sqlx::query(
        "INSERT INTO filings (id, opco, account, company_siret, trainee, action_title, start_date, state, \
         current_job_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1, $9, $9)",
    )
    .bind(job.id.to_string())
    .bind(text(input, &["opco"]))
    .bind(text(input, &["filing", "company", "opco_account"]))
    .bind(text(input, &["filing", "company", "siret"]))
    .bind(trainee.trim().to_owned())
    .bind(text(input, &["filing", "action", "title"]))
    .bind(text(input, &["filing", "action", "start"]))
    .bind(FilingState::Prefilling.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO filing_events (id, filing_id, at, actor, action, from_state, to_state, detail) \
         VALUES ($1, $2, $3, 'api', $4, NULL, $5, NULL)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(job.id.to_string())
    .bind(now)
    .bind(Action::Created.as_str())
    .bind(FilingState::Prefilling.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A job of a filing changed: the filing follows, in the same transaction.
async fn project_filing(
    store: &Store,
    tx: &mut Tx,
    job: &Job,
    from: Option<JobState>,
) -> Result<(), StoreError> {
    let filing_id = match job.kind {
        JobKind::PrefillFiling if from.is_none() => return create_filing(tx, job).await,
        JobKind::PrefillFiling => job.id,
        JobKind::SubmitFiling => match serde_json::from_value::<SubmitInput>(job.input.clone()) {
            Ok(input) => input.filing_id,
            Err(_) => return Ok(()),
        },
        JobKind::ActOnAgreement => {
            return match serde_json::from_value::<AgreementInput>(job.input.clone()) {
                Ok(input) => project_agreement(store, tx, job, input.filing_id).await,
                Err(_) => Ok(()),
            };
        }
        _ => return Ok(()),
    };
    let Some(filing) = filing_in(tx, filing_id).await? else {
        return Ok(());
    };
    if filing.current_job_id != job.id {
        return Ok(());
    }
    let submitting = job.kind == JobKind::SubmitFiling;
    let working = if submitting {
        FilingState::Submitting
    } else {
        FilingState::Prefilling
    };
    // Only the phase this job belongs to follows it: a prefill job closed by a staff
    // decision does not pull a confirmed filing back.
    let in_phase = if submitting {
        matches!(
            filing.state,
            FilingState::Submitting
                | FilingState::NeedsInput
                | FilingState::NeedsAttention
                | FilingState::FiledUnknown
        )
    } else {
        matches!(
            filing.state,
            FilingState::Prefilling
                | FilingState::NeedsInput
                | FilingState::NeedsAttention
                | FilingState::ReadyForReview
        )
    };
    if !in_phase {
        return Ok(());
    }
    let code = job.error.as_ref().map(|e| e.code.as_str());
    let message = job.error.as_ref().map(|e| e.message.as_str());
    let result = job.result.clone().unwrap_or(Value::Null);
    let mut extra = Extra::default();
    let (to, action) = match job.state {
        JobState::Queued | JobState::Running | JobState::WaitingRetry => (working, Action::Working),
        JobState::NeedsHuman => match ReasonCode::of(code) {
            Some(ReasonCode::ReadyForReview) => {
                extra.review = Some(result.clone());
                (FilingState::ReadyForReview, Action::Prefilled)
            }
            Some(ReasonCode::ValuesDiffer) => (FilingState::ReadyForReview, Action::ValuesDiffer),
            // Pressed, unread: the screenshot and the list as last seen join what the
            // prefill left, so staff check the portal with the evidence in front of them.
            Some(ReasonCode::FiledUnknown) => {
                let mut review = filing.review.clone().unwrap_or_else(|| json!({}));
                if let (Some(map), Some(after)) = (review.as_object_mut(), result.as_object()) {
                    for (k, v) in after {
                        map.insert(k.clone(), v.clone());
                    }
                }
                extra.review = Some(review);
                (FilingState::FiledUnknown, Action::FiledUnknown)
            }
            Some(ReasonCode::TwoFactorCodeNeeded) => {
                // The tries a refused code has left join what the prefill left: with none, the
                // page offers only a new code.
                let mut review = filing.review.clone().unwrap_or_else(|| json!({}));
                if let Some(map) = review.as_object_mut() {
                    let tries = result.get("code_tries_left").cloned();
                    map.insert("code_tries_left".into(), tries.unwrap_or(Value::Null));
                }
                extra.review = Some(review);
                (FilingState::NeedsInput, Action::CodeRequested)
            }
            _ => {
                extra.review = (!submitting).then(|| result.clone());
                (FilingState::NeedsAttention, Action::NeedsAttention)
            }
        },
        JobState::Succeeded => {
            // Submitted now or found already filed, by the prefill or the submit: one type.
            let Ok(filed) = serde_json::from_value::<Filed>(result) else {
                return Ok(());
            };
            extra.dossier = Some(filed.dossier);
            extra.receipt = filed.receipt;
            extra.submitted = true;
            (FilingState::Submitted, Action::Submitted)
        }
        JobState::Failed => (FilingState::NeedsAttention, Action::Failed),
        JobState::Cancelled => (FilingState::Cancelled, Action::Cancelled),
    };
    if to == filing.state && action == Action::Working {
        return Ok(());
    }
    let waits = to.awaits_staff();
    let detail = match action {
        Action::Submitted => extra.dossier.clone(),
        _ => message.map(str::to_owned),
    };
    move_filing(
        store,
        tx,
        &filing,
        Move {
            actor: "worker",
            action,
            to,
            code: waits.then_some(code).flatten(),
            message: waits.then_some(message).flatten(),
            detail: detail.as_deref(),
            extra,
        },
    )
    .await
}

/// An `act_on_agreement` job moves its granted filing: to a person while it waits for one or
/// failed, back to granted when it runs again, and granted with the portal's new status once
/// done (a webhook tells).
async fn project_agreement(
    store: &Store,
    tx: &mut Tx,
    job: &Job,
    filing_id: JobId,
) -> Result<(), StoreError> {
    let Some(filing) = filing_in(tx, filing_id).await? else {
        return Ok(());
    };
    let in_phase = matches!(
        filing.state,
        FilingState::Granted | FilingState::NeedsInput | FilingState::NeedsAttention
    );
    if filing.current_job_id != job.id || !in_phase {
        return Ok(());
    }
    let code = job.error.as_ref().map(|e| e.code.as_str());
    let message = job.error.as_ref().map(|e| e.message.as_str());
    let mut extra = Extra::default();
    let mut detail = message.map(str::to_owned);
    let (to, action) = match job.state {
        JobState::Queued | JobState::Running | JobState::WaitingRetry => {
            (FilingState::Granted, Action::Working)
        }
        JobState::NeedsHuman if ReasonCode::of(code) == Some(ReasonCode::TwoFactorCodeNeeded) => {
            (FilingState::NeedsInput, Action::CodeRequested)
        }
        JobState::NeedsHuman => (FilingState::NeedsAttention, Action::NeedsAttention),
        JobState::Succeeded => {
            let Some(acted) = job
                .result
                .clone()
                .and_then(|r| serde_json::from_value::<AgreementActed>(r).ok())
            else {
                return Ok(());
            };
            detail = Some(acted.portal_label.clone());
            extra.portal_status = Some(acted.portal_status);
            extra.portal_label = Some(acted.portal_label);
            extra.status_changed = true;
            (FilingState::Granted, Action::AgreementDone)
        }
        JobState::Failed => (FilingState::NeedsAttention, Action::Failed),
        JobState::Cancelled => (FilingState::Granted, Action::Cancelled),
    };
    if to == filing.state && action == Action::Working {
        return Ok(());
    }
    let waits = to.awaits_staff();
    move_filing(
        store,
        tx,
        &filing,
        Move {
            actor: "worker",
            action,
            to,
            code: waits.then_some(code).flatten(),
            message: waits.then_some(message).flatten(),
            detail: detail.as_deref(),
            extra,
        },
    )
    .await
}

async fn staff_filing(
    store: &Store,
    tx: &mut Tx,
    id: JobId,
    action: Decision,
    allowed: &[FilingState],
) -> Result<(Filing, Job), FilingActionError> {
    let filing = filing_in(tx, id)
        .await?
        .ok_or(FilingActionError::NotFound(id))?;
    if !allowed.contains(&filing.state) {
        return Err(FilingActionError::WrongState {
            state: filing.state,
            action,
        });
    }
    let job = store
        .fetch_in(tx, filing.current_job_id)
        .await?
        .ok_or(FilingActionError::NotFound(id))?;
    Ok((filing, job))
}

async fn rerun(
    store: &Store,
    id: JobId,
    staff: &str,
    (decision, action): (Decision, Action),
    code: Option<&str>,
    allowed: &[FilingState],
) -> Result<JobId, FilingActionError> {
    let mut tx = store.begin().await?;
    let (filing, job) = staff_filing(store, &mut tx, id, decision, allowed).await?;
    if job.state != JobState::NeedsHuman {
        return Err(FilingActionError::WrongState {
            state: filing.state,
            action: decision,
        });
    }
    let actor = format!("staff:{staff}");
    let input = with_code(&job.input, code);
    let to = match job.kind {
        JobKind::SubmitFiling => FilingState::Submitting,
        JobKind::ActOnAgreement => FilingState::Granted,
        _ => FilingState::Prefilling,
    };
    move_filing(
        store,
        &mut tx,
        &filing,
        Move {
            actor: &actor,
            action,
            to,
            code: None,
            message: None,
            detail: None,
            extra: Extra::default(),
        },
    )
    .await?;
    store
        .decide_in(&mut tx, &job, JobState::Queued, None, Some(&input), &actor)
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(job.id)
}
