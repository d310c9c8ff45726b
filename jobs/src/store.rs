//! The durable state: jobs, their history, webhook deliveries and live workers.
//!
//! One set of portable SQL runs on SQLite (the embedded default) and PostgreSQL (a fleet) through
//! sqlx's `Any` driver: text ids, BIGINT unix-millisecond timestamps, JSON kept as text. Every
//! state change writes the job row, its history event and its webhook deliveries in one
//! transaction (a transactional outbox), so an accepted state change is never lost nor unreported.

use std::str::FromStr;
use std::time::Duration;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeZone, Utc};
use domain::JobId;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::error::{JobError, StoreError};
use crate::kind::JobKind;
use crate::state::JobState;

/// The jobs' own tables; the crates above add theirs to the same ordered set (`connect_with`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A transaction on the store, for the observers and the crates above that write in one.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Follows job changes inside the transaction that records them (a projection, such as the
/// filings': what it writes commits or rolls back with the job's change).
pub trait JobObserver: Send + Sync + 'static {
    /// `job` as changed (its row already written), `from` its state before (none: inserted).
    fn on_job_change<'a>(
        &'a self,
        store: &'a Store,
        tx: &'a mut Tx,
        job: &'a Job,
        from: Option<JobState>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The observers registered on a store, shared by its clones.
#[derive(Clone, Default)]
struct Observers(Arc<RwLock<Vec<Arc<dyn JobObserver>>>>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.read().map(|o| o.len()).unwrap_or_default();
        write!(f, "Observers({n})")
    }
}

impl Observers {
    fn all(&self) -> Vec<Arc<dyn JobObserver>> {
        self.0.read().map(|o| o.clone()).unwrap_or_default()
    }
}

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreBackend {
    /// A file under the data directory.
    Sqlite,
    /// A shared server for a fleet.
    Postgres,
}

/// The durable state of the fleet.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: StoreBackend,
    webhook_urls: Vec<String>,
    observers: Observers,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored timestamp (unix milliseconds) as a time.
pub fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A job as stored.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: JobId,
    /// What it does.
    #[schema(value_type = String, example = "check_identity_document")]
    pub kind: JobKind,
    /// Where it stands.
    #[schema(value_type = String, example = "queued")]
    pub state: JobState,
    /// The input as accepted.
    pub input: Value,
    /// The handler's result, once there is one.
    pub result: Option<Value>,
    /// Why it failed or waits for a human.
    pub error: Option<ErrorInfo>,
    /// Attempts started so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The caller's idempotency key, if any.
    pub idempotency_key: Option<String>,
    /// Whether a cancellation was asked while it ran.
    pub cancel_requested: bool,
    /// The worker holding it, while it runs.
    pub lease_owner: Option<String>,
    /// When it may run next (after a retry backoff).
    pub next_run_at: DateTime<Utc>,
    /// Accepted at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// First started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Ended at.
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    #[schema(ignore)]
    request_hash: Option<String>,
}

/// A machine code and a French message.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    /// Stable, snake_case.
    pub code: String,
    /// For people, in French.
    pub message: String,
}

/// One state change in a job's history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct JobEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// From (none for the creation).
    pub from: Option<String>,
    /// To.
    pub to: String,
    /// The attempt it belongs to.
    pub attempt: i64,
    /// The worker that made the change, if a worker did.
    pub worker_id: Option<String>,
    /// Why, as a code.
    pub code: Option<String>,
    /// Why, in words.
    pub message: Option<String>,
}

/// One webhook delivery and how it went.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// The event's id (also sent in the `Monopco-Event-Id` header).
    pub event_id: String,
    /// Where it goes.
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last HTTP status received.
    pub last_status: Option<i64>,
    /// The last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A job to insert.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// Its validated input.
    pub input: Value,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Who asked (the token's name); idempotency keys are per principal.
    pub principal: String,
    /// The caller's idempotency key.
    pub idempotency_key: Option<String>,
    /// A hash of the request body, to tell a replay from a conflicting reuse of the key.
    pub request_hash: String,
}

/// What inserting a job did.
#[derive(Debug)]
pub enum Inserted {
    /// A new job.
    Created(Job),
    /// The same idempotency key and body came before: here is that job.
    Existing(Job),
}

/// A job a worker holds the lease of.
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The job as claimed (state running, attempts counted).
    pub job: Job,
    /// The worker holding the lease.
    pub worker_id: String,
}

/// How a claimed job ended, as the runtime decided.
#[derive(Clone, Debug)]
pub enum Finish {
    /// Done with a result.
    Succeeded(Value),
    /// Waiting for a person, with a result so far and the reason.
    NeedsHuman(Value, JobError),
    /// Runs again at the given time.
    Retry(JobError, Duration),
    /// Runs again at the given time, and the attempt is given back: it was not a try.
    Wait(JobError, Duration),
    /// Failed for good.
    Failed(JobError),
    /// Cancelled at a safe point.
    Cancelled,
    /// Put back in line (graceful shutdown before the job's end).
    Released,
}

/// What a lease heartbeat found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// Still ours; `cancel_requested` says whether someone asked to cancel.
    Held { cancel_requested: bool },
    /// Another worker took it over, or the job ended: stop working on it.
    Lost,
}

/// Filters for listing jobs.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only this state.
    pub state: Option<JobState>,
    /// Only this kind.
    pub kind: Option<JobKind>,
    /// Jobs created before this one (the cursor of the previous page).
    pub before: Option<JobId>,
    /// Page size.
    pub limit: u32,
}

/// What a cancel request did.
#[derive(Clone, Debug)]
pub enum CancelOutcome {
    /// Cancelled at once (it was not running).
    Cancelled(Job),
    /// Running: it stops at its next safe point.
    Requested(Job),
    /// Already ended: nothing to cancel.
    AlreadyFinal(Job),
}

/// A webhook delivery due now, claimed by one dispatcher.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// Row id.
    pub id: String,
    /// Event id.
    pub event_id: String,
    /// Target.
    pub url: String,
    /// The JSON body to send.
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i64,
}

const JOB_COLUMNS: &str = "id, kind, state, input, result, error_code, error_message, attempts, max_attempts, \
     idempotency_key, request_hash, cancel_requested, lease_owner, next_run_at, created_at, updated_at, started_at, finished_at";

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn job_from_row(row: &AnyRow) -> Result<Job, StoreError> {
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let input: String = row.try_get("input")?;
    let result: Option<String> = row.try_get("result")?;
    let error_code: Option<String> = row.try_get("error_code")?;
    let error_message: Option<String> = row.try_get("error_message")?;
    Ok(Job {
        id: JobId::from_str(&id).map_err(corrupt)?,
        kind: JobKind::from_str(&kind).map_err(corrupt)?,
        state: JobState::from_str(&state).map_err(corrupt)?,
        input: serde_json::from_str(&input).map_err(corrupt)?,
        result: result
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(corrupt)?,
        error: error_code.map(|code| ErrorInfo {
            code,
            message: error_message.unwrap_or_default(),
        }),
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        lease_owner: row.try_get("lease_owner")?,
        next_run_at: to_time(row.try_get("next_run_at")?),
        created_at: to_time(row.try_get("created_at")?),
        updated_at: to_time(row.try_get("updated_at")?),
        started_at: row.try_get::<Option<i64>, _>("started_at")?.map(to_time),
        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(to_time),
    })
}

/// What a state change writes besides the job row.
struct Change<'a> {
    job: &'a Job,
    from: Option<JobState>,
    worker_id: Option<&'a str>,
    code: Option<&'a str>,
    message: Option<&'a str>,
}

impl Store {
    /// Connects, creates the SQLite file if needed, and applies the jobs' migrations.
    pub async fn connect(url: &str, webhook_urls: Vec<String>) -> Result<Self, StoreError> {
        Self::connect_with(url, webhook_urls, &[]).await
    }

    /// Connects and applies the jobs' migrations and those of the crates above, as one set
    /// ordered by version (the versions are unique across crates). A database migrated by a
    /// larger set opens with a smaller one: the tables of the crates above are left alone.
    pub async fn connect_with(
        url: &str,
        webhook_urls: Vec<String>,
        schemas: &[&'static sqlx::migrate::Migrator],
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            StoreBackend::Postgres
        } else if url.starts_with("sqlite:") {
            StoreBackend::Sqlite
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported store URL scheme in `{}`: use sqlite://PATH or postgres://…",
                url.split(':').next().unwrap_or_default()
            )));
        };
        // A SQLite file is created on first use, as the embedded default needs no set-up.
        let url = if backend == StoreBackend::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == StoreBackend::Sqlite {
                4
            } else {
                10
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == StoreBackend::Sqlite {
                        // Several processes may share the file: WAL lets readers and one writer
                        // work together, and writers wait for each other instead of failing.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let mut migrations: Vec<sqlx::migrate::Migration> = MIGRATOR.iter().cloned().collect();
        for schema in schemas {
            migrations.extend(schema.iter().cloned());
        }
        let mut migrator = sqlx::migrate::Migrator::with_migrations(migrations);
        if let Some(w) = migrator
            .iter()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[0].version == w[1].version)
        {
            return Err(StoreError::Corrupt(format!(
                "two migrations have the version {}",
                w[0].version
            )));
        }
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self {
            pool,
            backend,
            webhook_urls,
            observers: Observers::default(),
        })
    }

    /// Registers an observer of job changes, for this store and all its clones.
    pub fn observe(&self, observer: Arc<dyn JobObserver>) {
        if let Ok(mut all) = self.observers.0.write() {
            all.push(observer);
        }
    }

    /// Whether state changes are sent to webhook receivers.
    pub fn has_webhooks(&self) -> bool {
        !self.webhook_urls.is_empty()
    }

    /// Which database is behind the store.
    pub fn backend(&self) -> StoreBackend {
        self.backend
    }

    /// The connection pool, for the worker's own tables (the credential vault).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Opens a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        // SQLite: take the write lock at once, so two processes never deadlock upgrading a read.
        let tx = match self.backend {
            StoreBackend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            StoreBackend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    async fn record(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        change: Change<'_>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let job = change.job;
        sqlx::query(
            "INSERT INTO job_events (id, job_id, at, from_state, to_state, attempt, worker_id, code, message) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(job.id.to_string())
        .bind(now)
        .bind(change.from.map(|s| s.as_str().to_owned()))
        .bind(job.state.as_str())
        .bind(job.attempts)
        .bind(change.worker_id.map(str::to_owned))
        .bind(change.code.map(str::to_owned))
        .bind(change.message.map(str::to_owned))
        .execute(&mut **tx)
        .await?;
        for observer in self.observers.all() {
            observer.on_job_change(self, tx, job, change.from).await?;
        }
        if self.webhook_urls.is_empty() {
            return Ok(());
        }
        let event_id = uuid::Uuid::now_v7().to_string();
        let payload = serde_json::json!({
            "event_id": event_id,
            "type": "job.state_changed",
            "occurred_at": to_time(now),
            "job": {
                "id": job.id,
                "kind": job.kind,
                "state": job.state,
                "previous_state": change.from,
                "attempts": job.attempts,
                "result": job.result,
                "error": job.error,
            },
        })
        .to_string();
        self.outbox(tx, job.id, &event_id, &payload, now).await
    }

    /// Queues one event for every webhook receiver, inside the caller's transaction.
    pub async fn outbox(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        job_id: JobId,
        event_id: &str,
        payload: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        for url in &self.webhook_urls {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, job_id, event_id, url, payload, state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(job_id.to_string())
            .bind(event_id.to_owned())
            .bind(url.clone())
            .bind(payload.to_owned())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Reads the changed job back, records its history event and webhook deliveries, and commits.
    async fn commit_change(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        id: JobId,
        from: Option<JobState>,
        worker_id: Option<&str>,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<Job, StoreError> {
        let job = self
            .change_in(&mut tx, id, from, worker_id, code, message)
            .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Reads the changed job back and records its history event and webhook deliveries, inside
    /// a transaction the caller commits.
    pub async fn change_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: JobId,
        from: Option<JobState>,
        worker_id: Option<&str>,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<Job, StoreError> {
        let job = self
            .fetch_in(tx, id)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        self.record(
            tx,
            Change {
                job: &job,
                from,
                worker_id,
                code,
                message,
            },
        )
        .await?;
        Ok(job)
    }

    /// One job, inside a transaction.
    pub async fn fetch_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: JobId,
    ) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Moves a job that waits for a person, on that person's decision: to `to`, with `error`
    /// (when it ends failed or cancelled) and the `input` its next run takes. Inside a
    /// transaction the caller commits; a job no longer waiting is left as it is.
    pub async fn decide_in(
        &self,
        tx: &mut Tx,
        job: &Job,
        to: JobState,
        error: Option<&JobError>,
        input: Option<&Value>,
        actor: &str,
    ) -> Result<(), StoreError> {
        if job.state != JobState::NeedsHuman {
            return Ok(());
        }
        let to = job.state.transition(to)?;
        let now = now_ms();
        sqlx::query(
            "UPDATE jobs SET state = $1, error_code = $2, error_message = $3, input = COALESCE($4, input), \
             next_run_at = $5, updated_at = $5, finished_at = $6, last_pushed_at = NULL WHERE id = $7",
        )
        .bind(to.as_str())
        .bind(error.map(|e| e.code.clone()))
        .bind(error.map(|e| e.message.clone()))
        .bind(input.map(Value::to_string))
        .bind(now)
        .bind(to.is_final().then_some(now))
        .bind(job.id.to_string())
        .execute(&mut **tx)
        .await?;
        let (code, message) = match (to, error) {
            (_, Some(e)) => (e.code.as_str(), e.message.as_str()),
            (JobState::Queued, None) => ("answered", "Une personne a répondu : la tâche repart."),
            _ => ("decided", "Une personne a tranché."),
        };
        self.change_in(
            tx,
            job.id,
            Some(JobState::NeedsHuman),
            Some(actor),
            Some(code),
            Some(message),
        )
        .await?;
        Ok(())
    }

    /// Replaces the input of a running job, fenced by its lease: `false` when `worker_id` no
    /// longer holds it. Inside a transaction the caller commits.
    pub async fn replace_input_in(
        &self,
        tx: &mut Tx,
        id: JobId,
        worker_id: &str,
        input: &Value,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE jobs SET input = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(input.to_string())
        .bind(now_ms())
        .bind(id.to_string())
        .bind(worker_id.to_owned())
        .execute(&mut **tx)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Inserts a job, or returns the one its idempotency key already made.
    pub async fn insert_job(&self, new: NewJob) -> Result<Inserted, StoreError> {
        match self.try_insert_job(&new).await {
            // Several requests with one key at once: all but one lose the insert on the unique
            // index, and their answer is the job the winner made.
            Err(StoreError::Database(sqlx::Error::Database(e)))
                if new.idempotency_key.is_some() && e.is_unique_violation() =>
            {
                self.try_insert_job(&new).await
            }
            other => other,
        }
    }

    async fn try_insert_job(&self, new: &NewJob) -> Result<Inserted, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(key) = &new.idempotency_key {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE principal = $1 AND idempotency_key = $2"
            )))
            .bind(new.principal.clone())
            .bind(key.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let existing = job_from_row(&row)?;
                tx.rollback().await?;
                return if existing.request_hash.as_deref() == Some(new.request_hash.as_str()) {
                    Ok(Inserted::Existing(existing))
                } else {
                    Err(StoreError::IdempotencyConflict)
                };
            }
        }
        let id = self.insert_in(&mut tx, new).await?;
        let job = self.commit_change(tx, id, None, None, None, None).await?;
        Ok(Inserted::Created(job))
    }

    /// Inserts a queued job inside a transaction the caller records and commits.
    pub async fn insert_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        new: &NewJob,
    ) -> Result<JobId, StoreError> {
        let id = JobId::new();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO jobs (id, kind, state, input, attempts, max_attempts, principal, idempotency_key, request_hash, \
             cancel_requested, next_run_at, created_at, updated_at) \
             VALUES ($1, $2, 'queued', $3, 0, $4, $5, $6, $7, 0, $8, $8, $8)",
        )
        .bind(id.to_string())
        .bind(new.kind.as_str())
        .bind(new.input.to_string())
        .bind(i64::from(new.max_attempts))
        .bind(new.principal.clone())
        .bind(new.idempotency_key.clone())
        .bind(new.request_hash.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// One job.
    pub async fn get(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// A page of jobs, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<Job>, StoreError> {
        let mut sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(state) = filter.state {
            binds.push(state.as_str().to_owned());
            sql.push_str(&format!(" AND state = ${}", binds.len()));
        }
        if let Some(kind) = filter.kind {
            binds.push(kind.as_str().to_owned());
            sql.push_str(&format!(" AND kind = ${}", binds.len()));
        }
        if let Some(before) = filter.before {
            binds.push(before.to_string());
            sql.push_str(&format!(" AND id < ${}", binds.len()));
        }
        sql.push_str(&format!(
            " ORDER BY id DESC LIMIT {}",
            filter.limit.clamp(1, 500)
        ));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(job_from_row).collect()
    }

    /// A job's history, oldest first.
    pub async fn events(&self, id: JobId) -> Result<Vec<JobEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, from_state, to_state, attempt, worker_id, code, message FROM job_events WHERE job_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JobEvent {
                    at: to_time(r.try_get("at")?),
                    from: r.try_get("from_state")?,
                    to: r.try_get("to_state")?,
                    attempt: r.try_get("attempt")?,
                    worker_id: r.try_get("worker_id")?,
                    code: r.try_get("code")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }

    /// A job's webhook deliveries, oldest first.
    pub async fn deliveries(&self, id: JobId) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, url, state, attempts, last_status, last_error, next_attempt_at, delivered_at \
             FROM webhook_deliveries WHERE job_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookDelivery {
                    event_id: r.try_get("event_id")?,
                    url: r.try_get("url")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    last_status: r.try_get("last_status")?,
                    last_error: r.try_get("last_error")?,
                    next_attempt_at: to_time(r.try_get("next_attempt_at")?),
                    delivered_at: r.try_get::<Option<i64>, _>("delivered_at")?.map(to_time),
                })
            })
            .collect()
    }

    /// Takes the job's lease if it is claimable and due. `None`: someone else has it, or it ended.
    pub async fn claim(
        &self,
        id: JobId,
        worker_id: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(before) = self.fetch_in(&mut tx, id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let now = now_ms();
        if !before.state.is_claimable() || before.next_run_at.timestamp_millis() > now {
            tx.rollback().await?;
            return Ok(None);
        }
        let to = before.state.transition(JobState::Running)?;
        let updated = sqlx::query(
            "UPDATE jobs SET state = $1, attempts = attempts + 1, lease_owner = $2, lease_expires_at = $3, \
             started_at = COALESCE(started_at, $4), updated_at = $4 WHERE id = $5 AND state = $6",
        )
        .bind(to.as_str())
        .bind(worker_id.to_owned())
        .bind(now + duration_ms(lease))
        .bind(now)
        .bind(id.to_string())
        .bind(before.state.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let job = self
            .commit_change(tx, id, Some(before.state), Some(worker_id), None, None)
            .await?;
        Ok(Some(Claimed {
            job,
            worker_id: worker_id.to_owned(),
        }))
    }

    /// Extends the lease; tells whether it is still ours and whether a cancel was asked.
    pub async fn heartbeat(
        &self,
        id: JobId,
        worker_id: &str,
        lease: Duration,
    ) -> Result<Lease, StoreError> {
        let now = now_ms();
        let updated = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now + duration_ms(lease))
        .bind(id.to_string())
        .bind(worker_id.to_owned())
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() != 1 {
            return Ok(Lease::Lost);
        }
        let cancel: i64 = sqlx::query_scalar("SELECT cancel_requested FROM jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(Lease::Held {
            cancel_requested: cancel != 0,
        })
    }

    /// Ends a claimed attempt. Returns `None` when the lease was lost meanwhile: the outcome is
    /// dropped, because another worker owns the job now (fencing).
    ///
    /// `scrubbed_input`, when given, replaces the stored input once the job has ended: handlers
    /// use it to drop personal data (an identity document's image) the job no longer needs.
    pub async fn finish(
        &self,
        claimed: &Claimed,
        finish: Finish,
        scrubbed_input: Option<Value>,
    ) -> Result<Option<Job>, StoreError> {
        let id = claimed.job.id;
        let mut tx = self.begin().await?;
        let Some(before) = self.fetch_in(&mut tx, id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let held = before.state == JobState::Running
            && before.lease_owner.as_deref() == Some(claimed.worker_id.as_str())
            && before.attempts == claimed.job.attempts;
        if !held {
            tx.rollback().await?;
            return Ok(None);
        }
        let now = now_ms();
        let (to, result, error, next_run_at, finished) = match &finish {
            Finish::Succeeded(v) => (JobState::Succeeded, Some(v.to_string()), None, now, true),
            Finish::NeedsHuman(v, e) => (
                JobState::NeedsHuman,
                Some(v.to_string()),
                Some(e.clone()),
                now,
                false,
            ),
            Finish::Retry(e, after) | Finish::Wait(e, after) => (
                JobState::WaitingRetry,
                None,
                Some(e.clone()),
                now + duration_ms(*after),
                false,
            ),
            Finish::Failed(e) => (JobState::Failed, None, Some(e.clone()), now, true),
            Finish::Cancelled => (
                JobState::Cancelled,
                None,
                Some(JobError::permanent(
                    "cancelled",
                    "La tâche a été annulée à la demande.",
                )),
                now,
                true,
            ),
            Finish::Released => (JobState::Queued, None, None, now, false),
        };
        let to = before.state.transition(to)?;
        sqlx::query(
            "UPDATE jobs SET state = $1, result = COALESCE($2, result), error_code = $3, error_message = $4, \
             lease_owner = NULL, lease_expires_at = NULL, next_run_at = $5, updated_at = $6, \
             finished_at = $7, last_pushed_at = NULL, input = COALESCE($9, input) WHERE id = $8",
        )
        .bind(to.as_str())
        .bind(result)
        .bind(error.as_ref().map(|e| e.code.clone()))
        .bind(error.as_ref().map(|e| e.message.clone()))
        .bind(next_run_at)
        .bind(now)
        .bind(finished.then_some(now))
        .bind(id.to_string())
        .bind(scrubbed_input.filter(|_| finished).map(|v| v.to_string()))
        .execute(&mut *tx)
        .await?;
        if matches!(finish, Finish::Wait(..) | Finish::Released) {
            // `claim` counted an attempt; a wait is not one, nor is an attempt handed back at
            // a graceful shutdown. Fencing still holds: every attempt
            // that did not end this way (a reaped one included) keeps its number, so a stale
            // holder's number is never handed out again.
            sqlx::query("UPDATE jobs SET attempts = attempts - 1 WHERE id = $1 AND attempts > 0")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let reason = match &finish {
            Finish::Released => {
                Some(("released", "Arrêt du worker : la tâche est remise en file."))
            }
            _ => error
                .as_ref()
                .map(|e| (e.code.as_str(), e.message.as_str())),
        };
        let job = self
            .commit_change(
                tx,
                id,
                Some(before.state),
                Some(&claimed.worker_id),
                reason.map(|r| r.0),
                reason.map(|r| r.1),
            )
            .await?;
        Ok(Some(job))
    }

    /// Cancels a job now if it is not running, or asks its worker to stop at a safe point.
    pub async fn request_cancel(&self, id: JobId) -> Result<CancelOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let before = self
            .fetch_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        if before.state.is_final() {
            tx.rollback().await?;
            return Ok(CancelOutcome::AlreadyFinal(before));
        }
        let now = now_ms();
        if before.state == JobState::Running {
            sqlx::query("UPDATE jobs SET cancel_requested = 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            let job = self
                .fetch_in(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound(id))?;
            tx.commit().await?;
            return Ok(CancelOutcome::Requested(job));
        }
        let to = before.state.transition(JobState::Cancelled)?;
        sqlx::query(
            "UPDATE jobs SET state = $1, error_code = 'cancelled', error_message = $2, updated_at = $3, finished_at = $3 \
             WHERE id = $4",
        )
        .bind(to.as_str())
        .bind("La tâche a été annulée à la demande.")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let job = self
            .commit_change(tx, id, Some(before.state), None, Some("cancelled"), None)
            .await?;
        Ok(CancelOutcome::Cancelled(job))
    }

    /// Puts back in line every running job whose lease expired (its worker died or hung), or fails
    /// it when it has used all its attempts. Returns the ids to wake.
    pub async fn reap_expired_leases(&self, reaper_id: &str) -> Result<Vec<JobId>, StoreError> {
        let now = now_ms();
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < $1 ORDER BY id LIMIT 500")
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
        let mut requeued = Vec::new();
        for id in ids {
            let id = JobId::from_str(&id).map_err(corrupt)?;
            let mut tx = self.begin().await?;
            let Some(before) = self.fetch_in(&mut tx, id).await? else {
                tx.rollback().await?;
                continue;
            };
            let expired: Option<i64> =
                sqlx::query_scalar("SELECT lease_expires_at FROM jobs WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            if before.state != JobState::Running || expired.is_none_or(|t| t >= now) {
                tx.rollback().await?;
                continue;
            }
            let lost_owner = before.lease_owner.clone().unwrap_or_default();
            let exhausted = before.attempts >= before.max_attempts;
            let (to, code, message) = if exhausted {
                (
                    JobState::Failed,
                    "worker_lost",
                    format!(
                        "Le worker {lost_owner} a cessé de répondre pendant la tâche, et les {} tentatives sont épuisées.",
                        before.max_attempts
                    ),
                )
            } else {
                (
                    JobState::Queued,
                    "lease_expired",
                    format!(
                        "Le worker {lost_owner} a cessé de répondre : la tâche est reprise par un autre worker."
                    ),
                )
            };
            let to = before.state.transition(to)?;
            sqlx::query(
                "UPDATE jobs SET state = $1, lease_owner = NULL, lease_expires_at = NULL, next_run_at = $2, updated_at = $2, \
                 last_pushed_at = NULL, error_code = $3, error_message = $4, finished_at = $5 WHERE id = $6",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(code)
            .bind(message.clone())
            .bind(exhausted.then_some(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            self.commit_change(
                tx,
                id,
                Some(before.state),
                Some(reaper_id),
                Some(code),
                Some(&message),
            )
            .await?;
            if !exhausted {
                requeued.push(id);
            }
        }
        Ok(requeued)
    }

    /// Jobs due to run that no queue message is known to carry: never pushed, or pushed longer
    /// ago than `stale` (the queue lost it, e.g. a Redis restart). The store is the source of truth.
    pub async fn due_unpushed(&self, stale: Duration) -> Result<Vec<JobId>, StoreError> {
        let now = now_ms();
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE state IN ('queued', 'waiting_retry') AND next_run_at <= $1 \
             AND (last_pushed_at IS NULL OR last_pushed_at < $2) ORDER BY id LIMIT 1000",
        )
        .bind(now)
        .bind(now - duration_ms(stale))
        .fetch_all(&self.pool)
        .await?;
        ids.iter()
            .map(|s| JobId::from_str(s).map_err(corrupt))
            .collect()
    }

    /// Notes that a queue message for this job was pushed.
    pub async fn mark_pushed(&self, id: JobId) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET last_pushed_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts jobs by state (for metrics and the operator).
    pub async fn count_by_state(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("state")?;
                Ok((
                    JobState::from_str(&s).map_err(corrupt)?,
                    r.try_get::<i64, _>("n")?,
                ))
            })
            .collect()
    }

    /// Registers a worker process (ids are unique per start).
    pub async fn register_worker(&self, id: &str, host: &str, pid: u32) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(id.to_owned())
            .bind(host.to_owned())
            .bind(i64::from(pid))
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A worker says it is alive.
    pub async fn worker_alive(&self, id: &str) -> Result<(), StoreError> {
        self.stamp_worker(id, "UPDATE workers SET last_seen_at = $1 WHERE id = $2")
            .await
    }

    /// A worker stopped cleanly.
    pub async fn worker_stopped(&self, id: &str) -> Result<(), StoreError> {
        self.stamp_worker(id, "UPDATE workers SET stopped_at = $1 WHERE id = $2")
            .await
    }

    async fn stamp_worker(&self, id: &str, sql: &'static str) -> Result<(), StoreError> {
        sqlx::query(sql)
            .bind(now_ms())
            .bind(id.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Workers seen within `within` and not stopped.
    pub async fn live_workers(&self, within: Duration) -> Result<Vec<String>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM workers WHERE stopped_at IS NULL AND last_seen_at >= $1 ORDER BY id",
        )
        .bind(now_ms() - duration_ms(within))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// Claims up to `limit` webhook deliveries that are due, for `claim` long.
    pub async fn claim_due_deliveries(
        &self,
        dispatcher: &str,
        limit: u32,
        claim: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = now_ms();
        let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (claim_expires_at IS NULL OR claim_expires_at < $1) ORDER BY id LIMIT {}",
            limit.clamp(1, 100)
        )))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for id in ids {
            let updated = sqlx::query(
                "UPDATE webhook_deliveries SET claimed_by = $1, claim_expires_at = $2 WHERE id = $3 AND state = 'pending' \
                 AND (claim_expires_at IS NULL OR claim_expires_at < $4)",
            )
            .bind(dispatcher.to_owned())
            .bind(now + duration_ms(claim))
            .bind(id.clone())
            .bind(now)
            .execute(&self.pool)
            .await?;
            if updated.rows_affected() == 1 {
                let row = sqlx::query("SELECT id, event_id, url, payload, attempts FROM webhook_deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                claimed.push(DueDelivery {
                    id: row.try_get("id")?,
                    event_id: row.try_get("event_id")?,
                    url: row.try_get("url")?,
                    payload: row.try_get("payload")?,
                    attempts: row.try_get("attempts")?,
                });
            }
        }
        Ok(claimed)
    }

    /// Records one delivery attempt: delivered, to be retried at `retry_at`, or given up.
    pub async fn delivery_attempted(
        &self,
        id: &str,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: Option<Option<DateTime<Utc>>>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let (state, next, delivered) = match retry_at {
            None => ("delivered", now, Some(now)),
            Some(Some(at)) => ("pending", at.timestamp_millis(), None),
            Some(None) => ("failed", now, None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, delivered_at = $3, \
             last_status = $4, last_error = $5, claimed_by = NULL, claim_expires_at = NULL WHERE id = $6",
        )
        .bind(state)
        .bind(next)
        .bind(delivered)
        .bind(status.map(i64::from))
        .bind(error.map(str::to_owned))
        .bind(id.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
