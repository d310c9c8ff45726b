//! A handler that asks to wait (a portal paused by its circuit breaker) spends no attempt and never
//! fails for it: the runtime and the store on SQLite, stepped by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use jobs::{
    FieldError, Handler, Inserted, Job, JobContext, JobError, JobKind, JobState, Metrics, NewJob,
    Outcome, Queue, QueueConfig, Registry, Runtime, RuntimeConfig, Store,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Waits its first `waits` runs, then succeeds; records the attempt number of every run.
struct PausedPortal {
    waits: usize,
    runs: Arc<AtomicUsize>,
    attempts_seen: Arc<std::sync::Mutex<Vec<i64>>>,
}

impl Handler for PausedPortal {
    fn validate(&self, _input: &Value) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    fn run(&self, ctx: JobContext, _input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        self.attempts_seen.lock().unwrap().push(ctx.attempt);
        let waits = self.waits;
        Box::pin(async move {
            if run < waits {
                Err(JobError::wait(
                    "portal_paused",
                    "Le portail est en pause.",
                    Duration::ZERO,
                ))
            } else {
                Ok(Outcome::Done(json!({ "runs": run + 1 })))
            }
        })
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    runtime: Arc<Runtime>,
    attempts_seen: Arc<std::sync::Mutex<Vec<i64>>>,
}

async fn fixture(waits: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(
        &format!("sqlite://{}", dir.path().join("state.db").display()),
        vec![],
    )
    .await
    .unwrap();
    let queue = Queue::connect(&QueueConfig::Sqlite {
        path: dir.path().join("queue.db"),
        poll_interval: Duration::from_millis(200),
    })
    .await
    .unwrap();
    let attempts_seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let registry = Registry::default().with(
        JobKind::Probe,
        PausedPortal {
            waits,
            runs: Arc::new(AtomicUsize::new(0)),
            attempts_seen: Arc::clone(&attempts_seen),
        },
    );
    let runtime = Arc::new(Runtime::new(
        store,
        queue,
        registry,
        RuntimeConfig {
            // A wake-up older than this counts as lost (the reaper test relies on it).
            stale_wake: Duration::from_millis(1),
            ..RuntimeConfig::default()
        },
        Metrics::new(),
    ));
    Fixture {
        _dir: dir,
        runtime,
        attempts_seen,
    }
}

async fn submit(runtime: &Runtime, max_attempts: u32) -> Job {
    let inserted = runtime
        .store
        .insert_job(NewJob {
            kind: JobKind::Probe,
            input: json!({}),
            max_attempts,
            principal: "test".to_owned(),
            idempotency_key: None,
            request_hash: String::new(),
        })
        .await
        .unwrap();
    match inserted {
        Inserted::Created(job) => job,
        other => panic!("{other:?}"),
    }
}

/// Runs the job once, as a queue worker does on a wake-up, and reads it back.
async fn step(runtime: &Arc<Runtime>, job: &Job) -> Job {
    Arc::clone(runtime)
        .execute(job.id, "test-w0".to_owned(), CancellationToken::new())
        .await;
    runtime.store.get(job.id).await.unwrap().unwrap()
}

fn pushed(runtime: &Runtime) -> u64 {
    runtime
        .metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix("monopco_queue_pushed_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn a_job_that_waits_three_times_then_succeeds_has_spent_one_attempt() {
    let f = fixture(3).await;
    let job = submit(&f.runtime, 1).await;

    for wait in 1..=3 {
        let after = step(&f.runtime, &job).await;
        assert_eq!(after.state, JobState::WaitingRetry, "wait {wait}");
        assert_eq!(after.attempts, 0, "a wait gives its attempt back");
        assert_eq!(after.error.as_ref().unwrap().code, "portal_paused");
        assert_eq!(pushed(&f.runtime), wait, "each wait schedules its wake-up");
    }
    let done = step(&f.runtime, &job).await;

    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.attempts, 1);
    assert_eq!(done.result, Some(json!({ "runs": 4 })));
    assert_eq!(*f.attempts_seen.lock().unwrap(), vec![1, 1, 1, 1]);
    let events = f.runtime.store.events(job.id).await.unwrap();
    let paused: Vec<_> = events
        .iter()
        .filter(|e| e.code.as_deref() == Some("portal_paused"))
        .collect();
    assert_eq!(paused.len(), 3, "{events:#?}");
    assert!(paused.iter().all(|e| e.to == "waiting_retry"));
}

#[tokio::test]
async fn waiting_never_sends_a_job_to_the_dead_letters() {
    let f = fixture(20).await;
    let job = submit(&f.runtime, 1).await;

    for _ in 0..20 {
        let after = step(&f.runtime, &job).await;
        assert_eq!(after.state, JobState::WaitingRetry);
        assert!(after.finished_at.is_none());
    }

    assert_eq!(step(&f.runtime, &job).await.state, JobState::Succeeded);
}

#[tokio::test]
async fn a_wait_whose_wake_up_was_lost_is_woken_again_by_the_reaper() {
    let f = fixture(1).await;
    let job = submit(&f.runtime, 1).await;
    let waiting = step(&f.runtime, &job).await;
    assert_eq!(waiting.state, JobState::WaitingRetry);

    // Its wake-up was pushed; once that push counts as stale, the reaper sends another.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let due = f.runtime.store.due_unpushed(Duration::ZERO).await.unwrap();
    assert_eq!(due, vec![job.id]);
    f.runtime.reap_once().await.unwrap();
    assert_eq!(pushed(&f.runtime), 2);

    assert_eq!(step(&f.runtime, &job).await.state, JobState::Succeeded);
}
