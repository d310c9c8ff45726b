//! Jobs: their kinds and states, the durable store, the queue, and the worker runtime.
//!
//! The store (SQLite or PostgreSQL) is the source of truth: it holds every job, its history, its
//! lease and its webhook outbox. The queue (apalis on SQLite or Redis) only carries wake-ups. A
//! worker runs a job only while it holds the job's lease; a reaper gives the jobs of dead workers
//! to live ones. This is what makes "no job is lost when a worker dies" hold even where apalis'
//! own orphan recovery does not (apalis issue 504, apalis-redis issue 76).
//!
//! Jobs stay generic: what a kind of job means elsewhere (a filing) lives in the crates above,
//! which register a [`JobObserver`] on the store; the store calls it inside the transaction that
//! records each job change.

mod error;
mod kind;
mod metrics;
mod queue;
mod runtime;
mod state;
mod store;
pub mod webhook;

pub use error::{JobError, Retry, StoreError};
pub use kind::{JobKind, UnknownKind};
pub use metrics::Metrics;
pub use queue::{Queue, QueueConfig, Wake};
pub use runtime::{
    FieldError, Handler, JobContext, Outcome, Registry, Runtime, RuntimeConfig, hostname,
};
pub use state::{IllegalTransition, JobState, UnknownState};
pub use store::{
    CancelOutcome, Claimed, ErrorInfo, Finish, Inserted, Job, JobEvent, JobObserver, Lease,
    ListFilter, MIGRATOR, NewJob, Store, StoreBackend, Tx, WebhookDelivery, now_ms, to_time,
};
