//! A filing follows its jobs and staff decisions in the store (SQLite), stepped by hand: prefill →
//! ready for review → confirmed once (a second confirmation is refused) → submitted with its
//! dossier → polled: the portal's wording kept, flagged once when overdue, granted, no longer
//! followed. A dossier the portal no longer lists goes to a person.

use std::sync::Arc;
use std::time::Duration;

use domain::{FilingState, JobId};
use filings::{FilingActionError, FilingStore, PolledStatus};
use futures::future::BoxFuture;
use jobs::{
    FieldError, Handler, Inserted, Job, JobContext, JobError, JobKind, JobState, Metrics, NewJob,
    Outcome, Queue, QueueConfig, Registry, Runtime, RuntimeConfig, Store,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Stands for the portal jobs: a prefill that stops for review, a submit that gets a dossier.
struct Portal;

impl Handler for Portal {
    fn validate(&self, _input: &Value) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    fn run(&self, _ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        Box::pin(async move {
            if let Some(dossier) = input.get("dossier") {
                // The action after the agreement, done on the portal.
                Ok(Outcome::Done(json!({
                    "dossier": dossier,
                    "portal_status": { "status": "offer_accepted" },
                    "portal_label": "Accordée – financement accepté",
                    "already_done": false,
                    "screenshot": null,
                    "recordings": "recordings/x/attempt-1",
                })))
            } else if input.get("filing_id").is_some() {
                Ok(Outcome::Done(json!({ "dossier": "ATL-2027-000042" })))
            } else {
                Ok(Outcome::NeedsHuman(
                    json!({ "final_screenshots": ["page-1.png"], "warnings": [] }),
                    JobError::permanent("ready_for_review", "Prêt pour relecture."),
                ))
            }
        })
    }
}

async fn runtime(dir: &std::path::Path) -> Arc<Runtime> {
    let store = filings::connect(
        &format!("sqlite://{}", dir.join("state.db").display()),
        vec!["http://127.0.0.1:9/hook".to_owned()],
        &[],
    )
    .await
    .unwrap();
    let queue = Queue::connect(&QueueConfig::Sqlite {
        path: dir.join("queue.db"),
        poll_interval: Duration::from_millis(200),
    })
    .await
    .unwrap();
    let registry = Registry::default()
        .with(JobKind::PrefillFiling, Portal)
        .with(JobKind::SubmitFiling, Portal)
        .with(JobKind::ActOnAgreement, Portal);
    Arc::new(Runtime::new(
        store,
        queue,
        registry,
        RuntimeConfig::default(),
        Metrics::new(),
    ))
}

/// Queues the prefill of one filing on `opco`'s portal; returns its id (the filing's).
async fn prefill(store: &Store, opco: &str) -> JobId {
    let Inserted::Created(job) = store
        .insert_job(NewJob {
            kind: JobKind::PrefillFiling,
            input: json!({ "opco": opco, "filing": {
                "company": { "siret": "73282932000074", "opco_account": "ADH-1" },
                "trainee": { "last_name": "Martin", "first_names": "Zoé" },
                "action": { "title": "Bilan de compétences", "start": "2027-03-02" } } }),
            max_attempts: 3,
            principal: "test".into(),
            idempotency_key: None,
            request_hash: String::new(),
        })
        .await
        .unwrap()
    else {
        panic!("not created");
    };
    job.id
}

async fn step(runtime: &Arc<Runtime>, id: JobId) -> Job {
    Arc::clone(runtime)
        .execute(id, "test-w0".to_owned(), CancellationToken::new())
        .await;
    runtime.store.get(id).await.unwrap().unwrap()
}

fn polled(state: FilingState, label: &str) -> PolledStatus {
    PolledStatus {
        dossier: "ATL-2027-000042".into(),
        state,
        status: json!({ "status": label }),
        label: label.into(),
    }
}

#[tokio::test]
async fn a_filing_follows_its_jobs_and_staff_from_prefill_to_granted() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let store = &rt.store;
    let id = prefill(store, "atlas").await;
    let filing = store.filing(id).await.unwrap().unwrap();
    assert_eq!(filing.state, FilingState::Prefilling);
    assert_eq!(filing.trainee, "MARTIN Zoé");

    step(&rt, id).await;
    let filing = store.filing(id).await.unwrap().unwrap();
    assert_eq!(filing.state, FilingState::ReadyForReview);
    assert_eq!(filing.state_code.as_deref(), Some("ready_for_review"));
    assert_eq!(filing.review.unwrap()["final_screenshots"][0], "page-1.png");
    assert_eq!(store.filings_awaiting_staff(10).await.unwrap().len(), 1);

    let submit = store.confirm_filing(id, "claire", 3).await.unwrap();
    // Two people clicking at once: the second confirmation changes nothing.
    assert!(matches!(
        store.confirm_filing(id, "paul", 3).await,
        Err(FilingActionError::WrongState {
            state: FilingState::Submitting,
            ..
        })
    ));
    assert!(store.refuse_filing(id, "paul", "trop tard").await.is_err());
    assert_eq!(
        store.get(id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    assert!(store.filings_awaiting_staff(10).await.unwrap().is_empty());

    let submit = step(&rt, submit).await;
    assert_eq!(submit.state, JobState::Succeeded);
    let filing = store.filing(id).await.unwrap().unwrap();
    assert_eq!(filing.state, FilingState::Submitted);
    assert_eq!(filing.dossier.as_deref(), Some("ATL-2027-000042"));
    assert!(filing.submitted_at.is_some());
    assert_eq!(
        store.followed_accounts().await.unwrap(),
        [("atlas".to_owned(), "ADH-1".to_owned())]
    );

    // The portal's wording is kept; no answer within the usual delay (0 days here) is flagged
    // once, not at every round.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let transmitted = [polled(FilingState::Submitted, "Transmise")];
    let first = store
        .apply_polled_statuses("atlas", "ADH-1", &transmitted, Some(0))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].action, filings::Action::StatusChanged);
    let second = store
        .apply_polled_statuses("atlas", "ADH-1", &transmitted, Some(0))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].action, filings::Action::Overdue);
    assert!(
        store
            .apply_polled_statuses("atlas", "ADH-1", &transmitted, Some(0))
            .await
            .unwrap()
            .is_empty()
    );
    let filing = store.filing(id).await.unwrap().unwrap();
    assert!(filing.overdue_since.is_some());
    assert_eq!(filing.portal_label.as_deref(), Some("Transmise"));

    let granted = store
        .apply_polled_statuses(
            "atlas",
            "ADH-1",
            &[polled(FilingState::Granted, "Accordée")],
            Some(30),
        )
        .await
        .unwrap();
    assert_eq!(granted[0].to, FilingState::Granted);
    assert!(store.followed_accounts().await.unwrap().is_empty());

    let events = store.filing_events(id).await.unwrap();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert!(
        actions.contains(&("staff:claire", "confirmed")),
        "{actions:?}"
    );
    assert!(actions.contains(&("poller", "overdue")), "{actions:?}");
    assert_eq!(events.last().unwrap().to_state, FilingState::Granted);
    assert!(!actions.iter().any(|(actor, _)| *actor == "staff:paul"));
}

/// A granted filing whose portal awaits the employer's offer acceptance waits for staff; staff
/// ask once (a second request, by anyone, is refused and queues nothing); the job done, the
/// filing keeps the portal's new status and waits for nobody.
#[tokio::test]
async fn the_action_after_an_agreement_is_asked_once_and_recorded_done() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let store = &rt.store;
    let id = prefill(store, "afdas").await;
    step(&rt, id).await;
    let submit = store.confirm_filing(id, "claire", 3).await.unwrap();
    step(&rt, submit).await;
    // Granted with nothing more to do: nothing to ask.
    store
        .apply_polled_statuses(
            "afdas",
            "ADH-1",
            &[PolledStatus {
                dossier: "ATL-2027-000042".into(),
                state: FilingState::Granted,
                status: json!({ "status": "offer_to_accept", "deadline": "2027-01-15" }),
                label: "Accordée – financement à accepter".into(),
            }],
            Some(30),
        )
        .await
        .unwrap();
    let waiting = store.filings_awaiting_staff(10).await.unwrap();
    assert_eq!(waiting.len(), 1, "the portal awaits the employer");
    assert_eq!(waiting[0].state, FilingState::Granted);

    let job = store
        .confirm_agreement_action(id, "claire", 3)
        .await
        .unwrap();
    assert!(matches!(
        store.confirm_agreement_action(id, "paul", 3).await,
        Err(FilingActionError::WrongState {
            state: FilingState::Granted,
            ..
        })
    ));
    let queued = store.get(job).await.unwrap().unwrap();
    assert_eq!(queued.kind, JobKind::ActOnAgreement);
    assert_eq!(queued.input["dossier"], "ATL-2027-000042");
    assert_eq!(queued.input["siret"], "73282932000074");
    assert_eq!(queued.input["account"], "ADH-1");
    let filing = store.filing(id).await.unwrap().unwrap();
    assert_eq!(filing.current_job_id, job);

    assert_eq!(step(&rt, job).await.state, JobState::Succeeded);
    let filing = store.filing(id).await.unwrap().unwrap();
    assert_eq!(filing.state, FilingState::Granted);
    assert_eq!(filing.portal_status.unwrap()["status"], "offer_accepted");
    assert_eq!(
        filing.portal_label.as_deref(),
        Some("Accordée – financement accepté")
    );
    assert!(store.filings_awaiting_staff(10).await.unwrap().is_empty());
    // Done: nothing more to ask.
    assert!(
        store
            .confirm_agreement_action(id, "claire", 3)
            .await
            .is_err()
    );
    let actions: Vec<(String, String)> = store
        .filing_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    assert!(actions.contains(&("staff:claire".into(), "agreement_confirmed".into())));
    assert!(actions.contains(&("worker".into(), "agreement_done".into())));
    assert!(!actions.iter().any(|(actor, _)| actor == "staff:paul"));
    let jobs = store
        .list(&jobs::ListFilter {
            state: None,
            kind: Some(JobKind::ActOnAgreement),
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "one job, whoever asked");
}

#[tokio::test]
async fn a_dossier_the_portal_no_longer_lists_goes_to_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let store = &rt.store;
    let Inserted::Created(prefill) = store
        .insert_job(NewJob {
            kind: JobKind::PrefillFiling,
            input: json!({ "opco": "atlas", "filing": { "company": { "opco_account": "ADH-2" } } }),
            max_attempts: 3,
            principal: "test".into(),
            idempotency_key: None,
            request_hash: String::new(),
        })
        .await
        .unwrap()
    else {
        panic!("not created");
    };
    step(&rt, prefill.id).await;
    let submit = store.confirm_filing(prefill.id, "claire", 3).await.unwrap();
    step(&rt, submit).await;
    let changes = store
        .apply_polled_statuses("atlas", "ADH-2", &[], None)
        .await
        .unwrap();
    assert_eq!(changes[0].action, filings::Action::MissingOnPortal);
    let filing = store.filing(prefill.id).await.unwrap().unwrap();
    assert_eq!(filing.state, FilingState::NeedsAttention);
    assert_eq!(filing.state_code.as_deref(), Some("missing_on_portal"));
}

#[tokio::test]
async fn one_database_opens_with_the_jobs_tables_alone_then_with_the_filings_and_again_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("state.db").display());
    // The generic store first (its own migrations only), then the filings' added to the set,
    // then the generic store again on the database a larger set migrated.
    drop(Store::connect(&url, Vec::new()).await.unwrap());
    let store = filings::connect(&url, Vec::new(), &[]).await.unwrap();
    assert!(store.filing(JobId::new()).await.unwrap().is_none());
    drop(store);
    let again = Store::connect(&url, Vec::new()).await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(again.pool())
            .await
            .unwrap();
    assert_eq!(applied, vec![1, 2, 4]);
}
