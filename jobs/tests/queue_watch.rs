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
            reaper_interval: Duration::from_millis(100),
            stale_wake: Duration::from_millis(1),
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
    // The job is due and its wake-ups are re-sent round after round; none is taken. Within a
    // few stall periods (3 reaper intervals here) the worker is replaced, once per stall.
    tokio::time::sleep(Duration::from_millis(5)).await;
    runtime.reap_once().await.unwrap();
    assert_eq!(replaced(&runtime), 0, "one round is no stall");
    let mut rounds = 1;
    while replaced(&runtime) == 0 {
        assert!(rounds < 20, "no replacement after {rounds} rounds");
        tokio::time::sleep(Duration::from_millis(100)).await;
        runtime.reap_once().await.unwrap();
        rounds += 1;
    }
    assert!(
        rounds >= 3,
        "replaced after {rounds} rounds, before the stall period"
    );
}
