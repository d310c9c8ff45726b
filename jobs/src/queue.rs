//! The queue: apalis storages that carry "wake up job X" messages to workers.
//!
//! The queue only carries wake-ups; the durable store decides who runs what (leases). So a
//! duplicate or stale message is harmless (the claim fails and the message is dropped), and a lost
//! one is re-sent by the reaper from the store, the source of truth.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Runtime;

use apalis::prelude::{BoxDynError, Data, TaskBuilder, TaskSink, WorkerBuilder};
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

/// One queue worker's identity and the runtime it hands wake-ups to.
#[derive(Clone, Debug)]
pub struct WorkerSlot {
    /// The runtime that claims and runs jobs.
    pub runtime: Arc<Runtime>,
    /// This queue worker's unique id.
    pub worker_id: String,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
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
    },
    /// apalis-redis.
    Redis {
        /// The storage.
        storage: RedisStorage<Wake>,
        /// A connection for pings.
        conn: ConnectionManager,
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

fn queue_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Queue(e.to_string())
}

/// The apalis handler: the runtime decides everything, so the message is always acknowledged
/// (a failed attempt is retried through the store, not through apalis).
async fn deliver(wake: Wake, slot: Data<WorkerSlot>) -> Result<(), BoxDynError> {
    let slot = WorkerSlot::clone(&slot);
    slot.runtime
        .execute(wake.job_id, slot.worker_id, slot.shutdown)
        .await;
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
                    .persist_results(false);
                let storage = SqliteStorage::new(&pool).with_config(cfg);
                Ok(Self::Sqlite { storage, pool })
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
                    .persist_results(false);
                let storage = RedisStorage::new(conn.clone()).with_config(cfg);
                Ok(Self::Redis { storage, conn })
            }
        }
    }

    /// Sends a wake-up, now or after a delay.
    pub async fn push(&self, job_id: JobId, after: Option<Duration>) -> Result<(), StoreError> {
        let mut builder = TaskBuilder::new(Wake { job_id });
        if let Some(after) = after {
            builder = builder.run_after(after);
        }
        let task = builder.build();
        match self {
            Self::Sqlite { storage, .. } => {
                storage.clone().push_task(task).await.map_err(queue_err)
            }
            Self::Redis { storage, .. } => storage.clone().push_task(task).await.map_err(queue_err),
        }
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

    /// Whether the queue answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
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

    /// Runs one apalis worker until `stop` is cancelled or the worker fails.
    pub async fn run_worker(&self, slot: WorkerSlot) -> Result<(), StoreError> {
        let name = slot.worker_id.clone();
        let stop = slot.shutdown.clone();
        let signal = async move {
            stop.cancelled().await;
            Ok::<(), std::io::Error>(())
        };
        match self {
            Self::Sqlite { storage, .. } => WorkerBuilder::new(name)
                .backend(storage.clone())
                .data(slot.clone())
                .build(deliver)
                .run_until(signal)
                .await
                .map_err(queue_err),
            Self::Redis { storage, .. } => WorkerBuilder::new(name)
                .backend(storage.clone())
                .data(slot.clone())
                .build(deliver)
                .run_until(signal)
                .await
                .map_err(queue_err),
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
