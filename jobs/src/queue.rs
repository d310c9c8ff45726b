//! The queue: apalis storages that carry "wake up job X" messages to workers.
//!
//! The queue only carries wake-ups; the durable store decides who runs what (leases). So a
//! duplicate or stale message is harmless (the claim fails and the message is dropped), and a lost
//! one is re-sent by the reaper from the store, the source of truth.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, TaskBuilder, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use domain::JobId;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::StoreError;

/// The message on the queue: which job to try.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Wake {
    /// The job to claim and run.
    pub job_id: JobId,
}

/// What a queue worker does with a wake-up: claim the job and run it (the runtime's), given the
/// job, the queue worker's id and the shutdown token. The queue knows no more of the runtime.
pub type Executor = Arc<
    dyn Fn(JobId, String, CancellationToken) -> futures::future::BoxFuture<'static, ()>
        + Send
        + Sync,
>;

/// One queue worker's identity and what it hands wake-ups to.
#[derive(Clone)]
pub struct WorkerSlot {
    /// Claims and runs the woken job.
    pub execute: Executor,
    /// This queue worker's unique id.
    pub worker_id: String,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
}

impl std::fmt::Debug for WorkerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSlot")
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

/// Where the queue lives.
#[derive(Clone, Debug)]
pub enum QueueConfig {
    /// A SQLite file (the embedded default).
    Sqlite {
        /// The queue file.
        path: std::path::PathBuf,
        /// How often idle workers look for new messages.
        poll_interval: Duration,
    },
    /// A shared Redis (a fleet).
    Redis {
        /// `redis://host:port/db`.
        url: String,
        /// Prefix of every key, so several fleets or tests can share one server.
        namespace: String,
        /// How often idle workers look for new messages (apalis-redis polls on its heartbeat).
        poll_interval: Duration,
    },
}

/// The queue handle, cheap to clone.
#[derive(Clone)]
pub enum Queue {
    /// apalis-sqlite.
    Sqlite {
        /// The storage.
        storage: SqliteStorage<Wake>,
        /// Its pool, for pings.
        pool: SqlitePool,
        /// Its settings, for workers that fetch a bounded batch.
        config: apalis_sqlite::Config,
    },
    /// apalis-redis.
    Redis {
        /// The storage.
        storage: RedisStorage<Wake>,
        /// A connection for pings.
        conn: ConnectionManager,
        /// Its settings (key names; workers fetch a bounded batch).
        config: apalis_redis::Config,
    },
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite { .. } => "Queue::Sqlite",
            Self::Redis { .. } => "Queue::Redis",
        })
    }
}

/// Longest a push or ping may wait for the queue.
const QUEUE_CALL_BOUND: Duration = Duration::from_millis(1500);
/// Most wake-ups moved from the schedule to the ready list in one Lua call.
const PROMOTE_BATCH: usize = 500;
/// Most handled wake-ups deleted in one Lua call.
const SWEEP_BATCH: usize = 1000;
/// Most batches of handled wake-ups deleted in one reaper pass (100,000 wake-ups).
const SWEEP_BATCHES_PER_PASS: usize = 100;

static PROMOTE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r#"
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids > 0 then
    redis.call("rpush", KEYS[2], unpack(ids))
    redis.call("zrem", KEYS[1], unpack(ids))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids
"#,
    )
});

static SWEEP: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r#"
local ids = redis.call("spop", KEYS[1], tonumber(ARGV[1]))
for _, id in ipairs(ids) do
    redis.call("hdel", KEYS[2], id)
    redis.call("del", KEYS[3] .. ":" .. id)
end
return #ids
"#,
    )
});

fn queue_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Queue(e.to_string())
}

/// The apalis handler: the runtime decides everything, so the message is always acknowledged
/// (a failed attempt is retried through the store, not through apalis).
async fn deliver(wake: Wake, slot: Data<WorkerSlot>) -> Result<(), BoxDynError> {
    let slot = WorkerSlot::clone(&slot);
    (slot.execute)(wake.job_id, slot.worker_id, slot.shutdown).await;
    Ok(())
}

impl Queue {
    /// Opens the queue (creating the SQLite file and tables if needed).
    pub async fn connect(config: &QueueConfig) -> Result<Self, StoreError> {
        match config {
            QueueConfig::Sqlite {
                path,
                poll_interval,
            } => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(queue_err)?;
                }
                let pool = open_sqlite(path).await?;
                SqliteStorage::<()>::setup(&pool).await.map_err(queue_err)?;
                let cfg = apalis_sqlite::Config::default()
                    .queue("monopco.jobs")
                    .heartbeat_interval(*poll_interval)
                    // A handled wake-up must be acknowledged: apalis-redis moves it out of the
                    // worker's in-flight set into the done set only then, where the reapers'
                    // sweep deletes its data. Without the acknowledgement every wake-up stays
                    // in Redis for good (the result kept is `null`, deleted with it).
                    .persist_results(true);
                let storage = SqliteStorage::new(&pool).with_config(cfg.clone());
                Ok(Self::Sqlite {
                    storage,
                    pool,
                    config: cfg,
                })
            }
            QueueConfig::Redis {
                url,
                namespace,
                poll_interval,
            } => {
                let conn = apalis_redis::connect(url.as_str())
                    .await
                    .map_err(queue_err)?;
                let cfg = apalis_redis::Config::default()
                    .queue(format!("{namespace}:jobs"))
                    .heartbeat_interval(*poll_interval)
                    // A handled wake-up must be acknowledged: apalis-redis moves it out of the
                    // worker's in-flight set into the done set only then, where the reapers'
                    // sweep deletes its data. Without the acknowledgement every wake-up stays
                    // in Redis for good (the result kept is `null`, deleted with it).
                    .persist_results(true);
                let storage = RedisStorage::new(conn.clone()).with_config(cfg.clone());
                Ok(Self::Redis {
                    storage,
                    conn,
                    config: cfg,
                })
            }
        }
    }

    /// Sends a wake-up, now or after a delay. Bounded: a queue that does not answer (Redis
    /// restarting) fails the push in seconds, and the reaper re-sends it later.
    pub async fn push(&self, job_id: JobId, after: Option<Duration>) -> Result<(), StoreError> {
        tokio::time::timeout(QUEUE_CALL_BOUND, self.push_now(job_id, after))
            .await
            .map_err(|_| queue_err("the queue did not answer in time"))?
    }

    async fn push_now(&self, job_id: JobId, after: Option<Duration>) -> Result<(), StoreError> {
        let mut builder = TaskBuilder::new(Wake { job_id });
        if let Some(after) = after {
            // apalis keeps whole seconds: rounded up, a wake-up never comes before the job is due
            // (rounded down it came early, the claim refused it, and the job waited for the
            // stale-wake sweep).
            let due_ms = u64::try_from(crate::store::now_ms()).unwrap_or(0)
                + u64::try_from(after.as_millis()).unwrap_or(u64::MAX / 2);
            builder = builder.run_at_timestamp(due_ms.div_ceil(1000));
        }
        let task = builder.build();
        match self {
            Self::Sqlite { storage, .. } => {
                storage.clone().push_task(task).await.map_err(queue_err)
            }
            Self::Redis { storage, conn, .. } => {
                storage.clone().push_task(task).await.map_err(queue_err)?;
                // Noted after the push: a pending mark always has a wake-up behind it, or had one
                // that Redis lost along with the mark.
                let mut conn = conn.clone();
                let _: i64 = redis::cmd("ZADD")
                    .arg(self.pending_key())
                    .arg(crate::store::now_ms())
                    .arg(job_id.to_string())
                    .query_async(&mut conn)
                    .await
                    .map_err(queue_err)?;
                Ok(())
            }
        }
    }

    fn pending_key(&self) -> String {
        match self {
            Self::Redis { config, .. } => format!("{}:pending", config.active_jobs_list()),
            Self::Sqlite { .. } => String::new(),
        }
    }

    /// Notes that a job's wake-up left the queue (a worker received it).
    pub(crate) async fn delivered(&self, job_id: JobId) {
        if let Self::Redis { conn, .. } = self {
            let mut conn = conn.clone();
            let removed: Result<i64, _> = redis::cmd("ZREM")
                .arg(self.pending_key())
                .arg(job_id.to_string())
                .query_async(&mut conn)
                .await;
            if let Err(error) = removed {
                tracing::debug!(%job_id, %error, "Cannot note a delivered wake-up; the reaper re-sends it later");
            }
        }
    }

    /// Of these jobs, those with no wake-up known to be waiting in the queue since `since_ms`:
    /// the reaper re-sends only those, so a long backlog is not pushed a second time. A mark older
    /// than `since_ms` is not trusted (its wake-up may have gone with a dead worker).
    pub async fn not_waiting(
        &self,
        ids: Vec<JobId>,
        since_ms: i64,
    ) -> Result<Vec<JobId>, StoreError> {
        let Self::Redis { conn, .. } = self else {
            return Ok(ids);
        };
        if ids.is_empty() {
            return Ok(ids);
        }
        let mut conn = conn.clone();
        let mut cmd = redis::cmd("ZMSCORE");
        cmd.arg(self.pending_key());
        for id in &ids {
            cmd.arg(id.to_string());
        }
        let scores: Vec<Option<f64>> = cmd.query_async(&mut conn).await.map_err(queue_err)?;
        let since = since_ms as f64;
        Ok(ids
            .into_iter()
            .zip(scores)
            .filter(|(_, score)| score.is_none_or(|s| s < since))
            .map(|(id, _)| id)
            .collect())
    }

    /// Moves due wake-ups from the schedule to the ready list, at most `PROMOTE_BATCH` per call,
    /// and returns how many moved. apalis-redis' own fetch moves every due one in one Lua call
    /// and fails past about 8,000 ("too many results to unpack"); kept short by this, it never
    /// gets there.
    pub async fn promote_due(&self) -> Result<usize, StoreError> {
        let Self::Redis { conn, config, .. } = self else {
            return Ok(0);
        };
        let mut conn = conn.clone();
        let moved: usize = PROMOTE
            .key(config.scheduled_jobs_set())
            .key(config.active_jobs_list())
            .key(config.signal_list())
            // Scores are unix seconds, as apalis-redis writes them.
            .arg(crate::store::now_ms() / 1000)
            .arg(PROMOTE_BATCH)
            .invoke_async(&mut conn)
            .await
            .map_err(queue_err)?;
        Ok(moved)
    }

    /// Promotes until fewer than a batch are due (a backlog left while no worker ran).
    pub async fn promote_all_due(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let moved = self.promote_due().await?;
            total += moved;
            if moved < PROMOTE_BATCH {
                return Ok(total);
            }
        }
    }

    /// Deletes the data apalis-redis keeps of wake-ups already handled (about 490 bytes each,
    /// forever otherwise), at most `SWEEP_BATCH` per call; returns how many went. The store
    /// holds the job's outcome; the wake-up has nothing more to say.
    pub async fn sweep_done(&self) -> Result<usize, StoreError> {
        let Self::Redis { conn, config, .. } = self else {
            return Ok(0);
        };
        let mut conn = conn.clone();
        let mut total = 0;
        for set in [config.done_jobs_set(), config.dead_jobs_set()] {
            // Batch after batch, so that a drained backlog is swept in one pass; each call is
            // short, so Redis stays responsive between them.
            for _ in 0..SWEEP_BATCHES_PER_PASS {
                let n: usize = SWEEP
                    .key(set.clone())
                    .key(config.job_data_hash())
                    .key(config.job_meta_hash())
                    .arg(SWEEP_BATCH)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(queue_err)?;
                total += n;
                if n < SWEEP_BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Wake-ups waiting in Redis (scheduled and ready), for backlog checks.
    pub async fn waiting(&self) -> Result<usize, StoreError> {
        let Self::Redis { conn, config, .. } = self else {
            return Ok(0);
        };
        let mut conn = conn.clone();
        let (scheduled, ready): (usize, usize) = redis::pipe()
            .cmd("ZCARD")
            .arg(config.scheduled_jobs_set())
            .cmd("LLEN")
            .arg(config.active_jobs_list())
            .query_async(&mut conn)
            .await
            .map_err(queue_err)?;
        Ok(scheduled + ready)
    }

    /// Deletes queue messages handled more than `older_than` ago. apalis-sqlite keeps every
    /// message it ever delivered and its ack query slows down as they pile up; Redis needs nothing.
    pub async fn vacuum(&self, older_than: Duration) -> Result<usize, StoreError> {
        use apalis_core::backend::Vacuum;
        match self {
            Self::Sqlite { storage, .. } => storage
                .clone()
                .vacuum_before(older_than)
                .await
                .map_err(queue_err),
            Self::Redis { .. } => Ok(0),
        }
    }

    /// Whether the queue answers (bounded).
    pub async fn ping(&self) -> Result<(), StoreError> {
        tokio::time::timeout(QUEUE_CALL_BOUND, self.ping_now())
            .await
            .map_err(|_| queue_err("the queue did not answer in time"))?
    }

    async fn ping_now(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite { pool, .. } => {
                sqlx::query("SELECT 1")
                    .execute(pool)
                    .await
                    .map_err(queue_err)?;
            }
            Self::Redis { conn, .. } => {
                let mut conn = conn.clone();
                let _: String = redis::cmd("PING")
                    .query_async(&mut conn)
                    .await
                    .map_err(queue_err)?;
            }
        }
        Ok(())
    }

    /// Runs one apalis worker until `stop` is cancelled or the worker fails. It holds at most
    /// `concurrency` wake-ups at once and fetches no more than that per poll. `stop` ends this
    /// worker only (it stops fetching; the attempts it delivered run on): the jobs it runs keep
    /// the slot's own shutdown token.
    pub async fn run_worker(
        &self,
        slot: WorkerSlot,
        concurrency: usize,
        stop: CancellationToken,
    ) -> Result<(), StoreError> {
        let name = slot.worker_id.clone();
        let signal = async move {
            stop.cancelled().await;
            Ok::<(), std::io::Error>(())
        };
        let limit = concurrency.max(1);
        match self {
            Self::Sqlite { pool, config, .. } => {
                let storage: SqliteStorage<Wake> = SqliteStorage::new(pool)
                    .with_config(config.clone().batch_size(concurrency.max(1)));
                WorkerBuilder::new(name)
                    .backend(storage)
                    .concurrency(limit)
                    .data(slot.clone())
                    .build(deliver)
                    .run_until(signal)
                    .await
                    .map_err(queue_err)
            }
            Self::Redis { conn, config, .. } => {
                let storage: RedisStorage<Wake> = RedisStorage::new(conn.clone())
                    .with_config(config.clone().batch_size(concurrency.max(1)));
                WorkerBuilder::new(name)
                    .backend(storage)
                    .concurrency(limit)
                    .data(slot.clone())
                    .build(deliver)
                    .run_until(signal)
                    .await
                    .map_err(queue_err)
            }
        }
    }
}

async fn open_sqlite(path: &Path) -> Result<SqlitePool, StoreError> {
    let opts = apalis_sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
    apalis_sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .map_err(queue_err)
}
