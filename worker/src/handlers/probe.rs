//! `probe`: a diagnostic job that waits, then succeeds, or fails as asked. Operators use it to
//! check a fleet end to end (API → queue → worker → store → webhook) without touching a portal.

use std::time::Duration;

use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest wait a probe may ask for.
const MAX_SLEEP_MS: u64 = 600_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeInput {
    /// How long to work, in milliseconds.
    #[serde(default)]
    sleep_ms: u64,
    /// Fail this many first attempts.
    #[serde(default)]
    fail_attempts: u32,
    /// How those attempts fail: `retryable` (default) or `permanent`.
    #[serde(default)]
    failure: Failure,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Failure {
    #[default]
    Retryable,
    Permanent,
}

/// The probe handler.
pub struct Probe;

impl Handler for Probe {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        let parsed: ProbeInput = serde_json::from_value(input.clone())
            .map_err(|e| vec![FieldError::new("input", super::serde_error_fr(&e))])?;
        if parsed.sleep_ms > MAX_SLEEP_MS {
            return Err(vec![FieldError::new(
                "input.sleep_ms",
                format!("au plus {MAX_SLEEP_MS} ms"),
            )]);
        }
        Ok(())
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        Box::pin(async move {
            let input: ProbeInput = serde_json::from_value(input)
                .map_err(|e| JobError::permanent("invalid_input", e.to_string()))?;
            if ctx.attempt <= i64::from(input.fail_attempts) {
                let message = format!("Échec demandé par la sonde (tentative {})", ctx.attempt);
                return Err(match input.failure {
                    Failure::Retryable => JobError::retryable("probe_failure", message),
                    Failure::Permanent => JobError::permanent("probe_failure", message),
                });
            }
            // Work in small steps; between them is a safe point where the job may stop.
            let mut slept = 0;
            while slept < input.sleep_ms {
                let step = (input.sleep_ms - slept).min(100);
                tokio::select! {
                    () = ctx.stop.cancelled() => {
                        return Err(JobError::retryable("interrupted", "La sonde a été interrompue."));
                    }
                    () = tokio::time::sleep(Duration::from_millis(step)) => slept += step,
                }
            }
            Ok(Outcome::Done(
                json!({ "worker_id": ctx.worker_id, "attempt": ctx.attempt, "slept_ms": slept }),
            ))
        })
    }
}
