//! The polling schedule: at each slot of a portal's cron schedule, one `poll_status` job per
//! client account that has dossiers waiting for an answer on that portal. Every process may run
//! the scheduler: the job of an account and slot is keyed by both, so a fleet queues it once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local};
use filings::FilingStore;
use jobs::{Inserted, JobKind, NewJob, Runtime};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Attempts for a polling job: the next slot will try again anyway.
const POLL_ATTEMPTS: u32 = 3;

/// Queues the polling jobs of every slot that comes due, until `stop`.
pub async fn run_scheduler(
    runtime: Arc<Runtime>,
    schedules: Vec<(String, cron::Schedule)>,
    tick: Duration,
    stop: CancellationToken,
) {
    let mut next: Vec<(String, cron::Schedule, Option<DateTime<Local>>)> = schedules
        .into_iter()
        .map(|(slug, s)| {
            let due = s.upcoming(Local).next();
            (slug, s, due)
        })
        .collect();
    for (slug, _, due) in &next {
        tracing::info!(portal = %slug, next = ?due.map(|d| d.to_rfc3339()), "Status polling scheduled");
    }
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
        let now = Local::now();
        for (slug, schedule, due) in &mut next {
            let Some(slot) = *due else { continue };
            if slot > now {
                continue;
            }
            match queue_round(&runtime, slug, slot).await {
                Ok(queued) => {
                    tracing::info!(portal = %slug, slot = %slot.to_rfc3339(), queued, "Polling round queued");
                }
                Err(error) => {
                    // The slot is kept: the next tick tries again.
                    tracing::warn!(portal = %slug, error = format!("{error:#}"), "Cannot queue the polling round");
                    continue;
                }
            }
            *due = schedule.after(&now).next();
        }
    }
}

/// Queues one job per followed account of this portal for `slot`; returns how many were new.
pub async fn queue_round(
    runtime: &Runtime,
    slug: &str,
    slot: DateTime<Local>,
) -> anyhow::Result<usize> {
    let accounts = runtime.store.followed_accounts().await?;
    let mut queued = 0;
    for (_, account) in accounts.iter().filter(|(opco, _)| opco == slug) {
        let key = format!("poll:{slug}:{account}:{}", slot.timestamp());
        let inserted = runtime
            .store
            .insert_job(NewJob {
                kind: JobKind::PollStatus,
                input: json!({ "opco": slug, "account": account }),
                max_attempts: POLL_ATTEMPTS,
                principal: "scheduler".into(),
                request_hash: key.clone(),
                idempotency_key: Some(key),
            })
            .await?;
        if let Inserted::Created(job) = inserted {
            runtime.wake(job.id, None).await?;
            queued += 1;
        }
    }
    Ok(queued)
}
