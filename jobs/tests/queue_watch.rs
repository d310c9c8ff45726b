//! The reaper replaces a queue worker that takes no wake-up while jobs are due and a slot is free
//! (apalis-sqlite 1.0 can stop fetching for good: apalis-dev/apalis-sqlite#58). Here no queue
//! worker runs at all, which is what a stuck one looks like from the reaper: the store and the
//! queue on SQLite, the reaper stepped by hand.

use std::time::Duration;

use futures::future::BoxFuture;
use jobs::{
    FieldError, Handler, Inserted, JobContext, JobError, JobKind, Metrics, NewJob, Outcome, Queue,
    QueueConfig, Registry, Runtime, RuntimeConfig, Store,
};
use serde_json::{Value, json};

struct Done;

impl Handler for Done {
    fn validate(&self, _input: &Value) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    fn run(
        &self,
        _ctx: JobContext,
        _input: Value,
    ) -> BoxFuture<'static, Result<Outcome, JobError>> {
        Box::pin(async { Ok(Outcome::Done(json!({}))) })
    }
}

fn replaced(runtime: &Runtime) -> u64 {
    runtime
        .metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix("monopco_queue_worker_replaced_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn a_queue_worker_that_takes_no_wake_up_while_a_job_is_due_is_replaced() {
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
    let runtime = Runtime::new(
        store,
        queue,
        Registry::default().with(JobKind::Probe, Done),
        RuntimeConfig {
            // Rounds every 100 ms; a wake-up is re-sent only once 600 ms old, so most rounds
            // re-send nothing while the job waits (as with the defaults: 5 s and 60 s).
            reaper_interval: Duration::from_millis(100),
            stale_wake: Duration::from_millis(600),
            ..RuntimeConfig::default()
        },
        Metrics::new(),
    );
    // Nothing due: rounds come and go, nobody is replaced.
    for _ in 0..5 {
        runtime.reap_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(replaced(&runtime), 0);

    let inserted = runtime
        .store
        .insert_job(NewJob {
            kind: JobKind::Probe,
            input: json!({}),
            max_attempts: 1,
            principal: "test".to_owned(),
            idempotency_key: None,
            request_hash: String::new(),
        })
        .await
        .unwrap();
    assert!(matches!(inserted, Inserted::Created(_)), "{inserted:?}");
    // The job is due and never taken: its first round sends a wake-up (none was pushed), later
    // ones re-send it every 600 ms. The worker is replaced once one stall period (600 ms here)
    // has passed since the first re-send, not before, rounds without a re-send included.
    runtime.reap_once().await.unwrap();
    let first = std::time::Instant::now();
    assert_eq!(replaced(&runtime), 0, "one round is no stall");
    while replaced(&runtime) == 0 {
        assert!(
            first.elapsed() < Duration::from_secs(5),
            "no replacement after {:?}",
            first.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        runtime.reap_once().await.unwrap();
    }
    let after = first.elapsed();
    assert!(
        after >= Duration::from_millis(600),
        "replaced after {after:?}, before the stall period"
    );
}
