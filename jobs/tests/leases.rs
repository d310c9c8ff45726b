//! The store's lease rules, stepped by hand on SQLite: who may run a job, who may save its
//! outcome (fencing), and what the reaper does with a lease nobody renews.

use std::time::Duration;

use jobs::{Finish, Inserted, Job, JobKind, JobState, Lease, NewJob, Store};
use serde_json::json;

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(60);

async fn store(dir: &tempfile::TempDir) -> Store {
    Store::connect(
        &format!("sqlite://{}", dir.path().join("state.db").display()),
        vec![],
    )
    .await
    .unwrap()
}

async fn submit(store: &Store, max_attempts: u32) -> Job {
    let inserted = store
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

/// Lets a lease of `SHORT` run out.
async fn expire() {
    tokio::time::sleep(SHORT * 3).await;
}

#[tokio::test]
async fn a_held_lease_cannot_be_claimed_by_a_second_worker() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 3).await;

    let first = store.claim(job.id, "w1", LONG).await.unwrap();
    let second = store.claim(job.id, "w2", LONG).await.unwrap();

    let first = first.expect("a queued job is claimable");
    assert_eq!(first.job.state, JobState::Running);
    assert_eq!(first.job.attempts, 1);
    assert!(second.is_none(), "the job is w1's");
    assert_eq!(
        store.heartbeat(job.id, "w2", LONG).await.unwrap(),
        Lease::Lost,
        "a heartbeat from a worker that holds no lease renews nothing"
    );
}

#[tokio::test]
async fn a_stale_owner_cannot_finish_a_job_another_worker_took_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 3).await;
    let stale = store.claim(job.id, "w1", SHORT).await.unwrap().unwrap();
    expire().await;
    assert_eq!(
        store.reap_expired_leases("reaper").await.unwrap(),
        vec![job.id]
    );
    let current = store.claim(job.id, "w2", LONG).await.unwrap().unwrap();

    let late = store
        .finish(&stale, Finish::Succeeded(json!({ "by": "w1" })), None)
        .await
        .unwrap();
    let heartbeat = store.heartbeat(job.id, "w1", LONG).await.unwrap();
    let saved = store
        .finish(&current, Finish::Succeeded(json!({ "by": "w2" })), None)
        .await
        .unwrap();

    assert!(late.is_none(), "the stale owner's outcome is dropped");
    assert_eq!(heartbeat, Lease::Lost);
    let saved = saved.expect("the current owner saves its outcome");
    assert_eq!(saved.state, JobState::Succeeded);
    assert_eq!(saved.attempts, 2);
    assert_eq!(saved.result, Some(json!({ "by": "w2" })));
}

#[tokio::test]
async fn the_same_worker_name_on_an_older_attempt_cannot_finish_either() {
    // A worker restarted under the same id must not save an outcome of its previous life.
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 3).await;
    let old = store.claim(job.id, "w1", SHORT).await.unwrap().unwrap();
    expire().await;
    store.reap_expired_leases("reaper").await.unwrap();
    let new = store.claim(job.id, "w1", LONG).await.unwrap().unwrap();

    let late = store
        .finish(&old, Finish::Succeeded(json!({})), None)
        .await
        .unwrap();

    assert!(late.is_none(), "attempt 1's outcome is fenced off");
    assert_eq!(new.job.attempts, 2);
    assert_eq!(
        store.get(job.id).await.unwrap().unwrap().state,
        JobState::Running
    );
}

#[tokio::test]
async fn an_expired_lease_is_requeued_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 3).await;
    store.claim(job.id, "w1", SHORT).await.unwrap().unwrap();
    expire().await;

    let first = store.reap_expired_leases("reaper-a").await.unwrap();
    let second = store.reap_expired_leases("reaper-b").await.unwrap();

    assert_eq!(first, vec![job.id]);
    assert!(second.is_empty(), "a requeued job is not reaped again");
    let after = store.get(job.id).await.unwrap().unwrap();
    assert_eq!(after.state, JobState::Queued);
    assert_eq!(after.lease_owner, None);
    let events = store.events(job.id).await.unwrap();
    let reaped: Vec<_> = events
        .iter()
        .filter(|e| e.code.as_deref() == Some("lease_expired"))
        .collect();
    assert_eq!(reaped.len(), 1, "{events:#?}");
    assert_eq!(reaped[0].worker_id.as_deref(), Some("reaper-a"));
}

#[tokio::test]
async fn a_renewed_lease_is_not_reaped() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 3).await;
    store.claim(job.id, "w1", SHORT).await.unwrap().unwrap();

    let renewed = store.heartbeat(job.id, "w1", LONG).await.unwrap();
    expire().await;
    let reaped = store.reap_expired_leases("reaper").await.unwrap();

    assert_eq!(
        renewed,
        Lease::Held {
            cancel_requested: false
        }
    );
    assert!(reaped.is_empty());
    assert_eq!(
        store.get(job.id).await.unwrap().unwrap().state,
        JobState::Running
    );
}

#[tokio::test]
async fn a_lease_that_expires_on_the_last_attempt_fails_the_job_as_worker_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let job = submit(&store, 1).await;
    store.claim(job.id, "w1", SHORT).await.unwrap().unwrap();
    expire().await;

    let requeued = store.reap_expired_leases("reaper").await.unwrap();

    assert!(requeued.is_empty(), "nothing to wake: the job has ended");
    let after = store.get(job.id).await.unwrap().unwrap();
    assert_eq!(after.state, JobState::Failed);
    assert_eq!(after.error.as_ref().unwrap().code, "worker_lost");
    assert!(after.finished_at.is_some());
    assert!(store.claim(job.id, "w2", LONG).await.unwrap().is_none());
}
