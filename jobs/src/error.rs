use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Whether trying again can help: the retry decision lives here, not in the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// Timeout, lost browser, 5xx, a dead worker: run again after a backoff.
    Retryable,
    /// Invalid input, bad credentials, portal changed: fail now.
    Permanent,
    /// Not now (a portal paused by its circuit breaker): run again after this long. Waiting
    /// spends no attempt, so a job that waits never fails for it, however often it waits.
    Wait(Duration),
}

/// How a job handler failed: a stable machine code, a French message for people, and whether a
/// retry can help. Library errors (portal, OCR, documents) are mapped into it at the worker boundary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{code}: {message}")]
pub struct JobError {
    /// Stable, snake_case: what integrators match on.
    pub code: String,
    /// French, for the person reading the job.
    pub message: String,
    /// Whether another attempt may succeed.
    pub retry: Retry,
}

impl JobError {
    /// A failure another attempt may fix.
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retry: Retry::Retryable,
        }
    }

    /// A failure no retry will fix.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retry: Retry::Permanent,
        }
    }

    /// Not a failure: the job cannot run now and runs again after `after`, without spending an
    /// attempt.
    pub fn wait(code: impl Into<String>, message: impl Into<String>, after: Duration) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retry: Retry::Wait(after),
        }
    }

    /// Whether the worker should try again.
    pub fn is_retryable(&self) -> bool {
        self.retry == Retry::Retryable
    }

    /// How long the job waits before it runs again, when it asked to wait.
    pub fn wait_after(&self) -> Option<Duration> {
        match self.retry {
            Retry::Wait(after) => Some(after),
            Retry::Retryable | Retry::Permanent => None,
        }
    }
}

/// Failures of the durable store or the queue.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("queue error: {0}")]
    Queue(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the idempotency key was already used with a different request body")]
    IdempotencyConflict,
    #[error("no job with id {0}")]
    NotFound(domain::JobId),
    #[error(transparent)]
    IllegalTransition(#[from] crate::state::IllegalTransition),
}
