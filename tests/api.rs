//! Black-box tests of the job API and the fleet, against the real `monopco` binary, on the
//! embedded default (SQLite) and on a fleet's parts (Redis + PostgreSQL).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::*;

/// What the webhook receiver got: the signature header, the event id header and the body.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A webhook receiver on port 0 that answers 500 to its first request (to exercise retries), then 200.
async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = {
        let received = received.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let received = received.clone();
                let calls = calls.clone();
                async move {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    received.lock().unwrap().push((
                        h("monopco-signature"),
                        h("monopco-event-id"),
                        body,
                    ));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Verifies a signature the way the README tells integrators to.
fn signature_is_valid(header: &str, body: &str) -> bool {
    let parts: std::collections::HashMap<&str, &str> = header
        .split(',')
        .filter_map(|p| p.split_once('='))
        .collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap_or_default())
        .is_ok()
}

/// A fresh PostgreSQL database, and Redis at `redis_url` under a key prefix of the test's own.
async fn fleet_backend(redis_url: &str) -> (Backend, TestDatabase) {
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.clone(),
        redis_url: redis_url.to_owned(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    (backend, db)
}

/// Submit, follow, idempotency, every error status, signed webhooks, restart: one process, the
/// checks in order (each a named step, so a failure says which part of the contract broke).
async fn the_api_contract_holds(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (hook_url, received) = webhook_receiver().await;
    let config = write_config(dir.path(), &backend, Some(&hook_url), "");
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());

    let id = a_job_is_accepted_at_once_runs_and_ends_with_its_history(&api).await;
    an_idempotency_key_returns_the_same_job_or_a_409(&api).await;
    a_missing_or_unknown_token_is_401_and_a_missing_scope_403(&api).await;
    bad_input_is_a_400_with_a_reason_per_field(&api).await;
    a_kind_this_process_cannot_run_is_a_422_and_nothing_is_stored(&api).await;
    only_healthz_is_public(&api).await;
    listing_filters_by_state_and_kind(&api, &id).await;
    every_state_change_arrives_as_a_signed_webhook_and_a_refused_delivery_is_retried(
        &api, &id, &received,
    )
    .await;
    a_job_running_at_a_graceful_stop_is_handed_back_and_finishes_after_a_restart(
        &api, app, &config, &id,
    )
    .await;
}

/// A job is accepted at once, runs, and ends with its result and its history.
async fn a_job_is_accepted_at_once_runs_and_ends_with_its_history(api: &Api) -> String {
    let (status, created) = api.create(Some(WRITE_TOKEN), None, &probe(300)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "queued");
    let id = created["id"].as_str().unwrap().to_owned();
    let done = api
        .wait_state(&id, "succeeded", Duration::from_secs(20))
        .await;
    assert_eq!(done["result"]["slept_ms"], 300);
    assert_eq!(done["attempts"], 1);
    let states: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["queued", "running", "succeeded"]);
    id
}

/// The same idempotency key and body: the same job, 200. Another body: 409.
async fn an_idempotency_key_returns_the_same_job_or_a_409(api: &Api) {
    let (s1, first) = api
        .create(Some(WRITE_TOKEN), Some("order-42"), &probe(10))
        .await;
    let (s2, again) = api
        .create(Some(WRITE_TOKEN), Some("order-42"), &probe(10))
        .await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["id"], again["id"]);
    let (s3, conflict) = api
        .create(Some(WRITE_TOKEN), Some("order-42"), &probe(11))
        .await;
    assert_eq!(s3, 409, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_key_reused");
}

/// 401 without a token or with an unknown one, 403 without the scope.
async fn a_missing_or_unknown_token_is_401_and_a_missing_scope_403(api: &Api) {
    let (s, body) = api.create(None, None, &probe(1)).await;
    assert_eq!(s, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization")
    );
    assert_eq!(
        api.create(Some("not-a-token-at-all-xxxxxxxx"), None, &probe(1))
            .await
            .0,
        401
    );
    let (s, body) = api.create(Some(READ_TOKEN), None, &probe(1)).await;
    assert_eq!(s, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("jobs:write")
    );
    assert_eq!(api.get(WRITE_TOKEN, "/readyz").await.0, 403);
}

/// 400 with a reason per field.
async fn bad_input_is_a_400_with_a_reason_per_field(api: &Api) {
    let (s, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "probe", "input": { "sleep_ms": 9_999_999 } }),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["fields"][0]["field"], "input.sleep_ms");
    let (s, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "teleport", "input": {} }),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["fields"][0]["field"], "kind");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("check_identity_document")
    );
}

/// 422 for a kind this process cannot run (send_documents needs [smtp]): nothing is stored.
async fn a_kind_this_process_cannot_run_is_a_422_and_nothing_is_stored(api: &Api) {
    let before = api.get(READ_TOKEN, "/v1/jobs?limit=500").await.1["jobs"]
        .as_array()
        .unwrap()
        .len();
    let (s, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "send_documents", "input": {} }),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["error"]["code"], "kind_not_available");
    let after = api.get(READ_TOKEN, "/v1/jobs?limit=500").await.1["jobs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}

/// Only /healthz is public.
async fn only_healthz_is_public(api: &Api) {
    assert_eq!(api.anonymous_status("/healthz").await, 200);
    assert_eq!(api.anonymous_status("/v1/openapi.json").await, 401);
    assert_eq!(api.anonymous_status("/metrics").await, 401);
}

/// Listing filters by state and kind.
async fn listing_filters_by_state_and_kind(api: &Api, id: &str) {
    let (s, page) = api
        .get(READ_TOKEN, "/v1/jobs?state=succeeded&kind=probe")
        .await;
    assert_eq!(s, 200);
    assert!(
        page["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "succeeded")
    );
    assert!(
        page["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id)
    );
    assert_eq!(api.get(READ_TOKEN, "/v1/jobs?state=nowhere").await.0, 400);
}

/// Webhooks: every state change of the first job arrives, signed; the first delivery got a 500
/// and was retried.
async fn every_state_change_arrives_as_a_signed_webhook_and_a_refused_delivery_is_retried(
    api: &Api,
    id: &str,
    received: &Received,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let events_for = |id: &str| -> Vec<(String, String, String)> {
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, b)| b.contains(id))
            .cloned()
            .collect()
    };
    while events_for(id).len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "webhooks did not all arrive: {:?}",
            events_for(id)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (signature, event_id, body) in events_for(id) {
        assert!(
            signature_is_valid(&signature, &body),
            "bad signature {signature} for {body}"
        );
        let event: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(event["event_id"], event_id.as_str());
        assert_eq!(event["type"], "job.state_changed");
    }
    // Deliveries are retried independently, so they may arrive out of order: receivers order
    // events by the job's state, not by arrival.
    let events: Vec<Value> = events_for(id)
        .iter()
        .map(|(_, _, b)| serde_json::from_str(b).unwrap())
        .collect();
    let mut states: Vec<&str> = events
        .iter()
        .map(|e| e["job"]["state"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["queued", "running", "succeeded"]);
    let done_event = events
        .iter()
        .find(|e| e["job"]["state"] == "succeeded")
        .unwrap();
    assert_eq!(done_event["job"]["result"]["slept_ms"], 300);
    let job = api.job(id).await;
    let deliveries = job["webhooks"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert!(
        deliveries.iter().all(|d| d["state"] == "delivered"),
        "{deliveries:#?}"
    );
    // The receiver's first answer was a 500: that delivery took a second attempt.
    assert!(
        deliveries
            .iter()
            .any(|d| d["attempts"] == 2 && d["last_status"] == 204),
        "{deliveries:#?}"
    );
}

/// A long job is running when the process is stopped: it is handed back, and after a restart
/// it finishes; the finished job is still there.
async fn a_job_running_at_a_graceful_stop_is_handed_back_and_finishes_after_a_restart(
    api: &Api,
    mut app: Process,
    config: &std::path::Path,
    id: &str,
) {
    let (_, long) = api.create(Some(WRITE_TOKEN), None, &probe(4000)).await;
    let long_id = long["id"].as_str().unwrap().to_owned();
    api.wait_state(&long_id, "running", Duration::from_secs(10))
        .await;
    let status = app.terminate();
    assert!(
        status.success(),
        "graceful stop must exit 0; log:\n{}",
        app.log_text()
    );
    let mut app = Process::start(config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    assert_eq!(api.job(id).await["state"], "succeeded");
    let long_done = api
        .wait_state(&long_id, "succeeded", Duration::from_secs(30))
        .await;
    assert_eq!(transitions_to(&long_done, "succeeded"), 1);
    // The attempt handed back at the stop is not one of its attempts.
    assert_eq!(long_done["attempts"], 1, "{long_done:#}");
    assert!(
        long_done["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "released"),
        "the stop must show in the history: {long_done:#}"
    );
    app.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_contract_holds_on_the_embedded_default() {
    the_api_contract_holds(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_contract_holds_on_redis_and_postgres() {
    let (backend, _db) = fleet_backend("redis://127.0.0.1:6379").await;
    the_api_contract_holds(backend).await;
}

/// A worker is SIGKILLed in the middle of a job: another worker finishes it, exactly once.
async fn a_killed_workers_job_finishes_once_elsewhere(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    // The API alone, then one worker that will die.
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let mut doomed = Process::start(&config, &["work", "--workers", "1"]);

    let (status, created) = api.create(Some(WRITE_TOKEN), None, &probe(3000)).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    let running = api
        .wait_state(&id, "running", Duration::from_secs(20))
        .await;
    let doomed_owner = running["lease_owner"].as_str().unwrap().to_owned();
    assert!(
        doomed_owner.contains(&format!("-{}-", doomed.pid())),
        "{doomed_owner} must be the doomed worker"
    );
    doomed.kill();

    let survivor = Process::start(&config, &["work", "--workers", "1"]);
    let done = api
        .wait_state(&id, "succeeded", Duration::from_secs(30))
        .await;
    assert_eq!(transitions_to(&done, "succeeded"), 1, "{done:#}");
    assert_eq!(done["attempts"], 2);
    let finisher = done["result"]["worker_id"].as_str().unwrap();
    assert!(
        finisher.contains(&format!("-{}-", survivor.pid())),
        "finished by {finisher}"
    );
    assert!(
        done["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "lease_expired"),
        "the takeover must show in the history: {done:#}"
    );
    // The history tells the whole story, in order: the doomed worker's run, the takeover, the
    // survivor's run, the end. A succeeded job is never claimed again (the store's lease rules,
    // unit-tested in `jobs`), so no later run can hide after this check.
    let history = done["history"].as_array().unwrap();
    let tos: Vec<&str> = history.iter().filter_map(|e| e["to"].as_str()).collect();
    assert_eq!(tos.last(), Some(&"succeeded"), "{done:#}");
    assert_eq!(transitions_to(&done, "running"), 2, "{done:#}");
    let takeover = history
        .iter()
        .position(|e| e["code"] == "lease_expired")
        .unwrap();
    let runs: Vec<usize> = (0..history.len())
        .filter(|&i| history[i]["to"] == "running")
        .collect();
    assert!(
        runs[0] < takeover && takeover < runs[1],
        "the takeover comes between the two runs: {done:#}"
    );
    let spans = running_spans(&done);
    assert!(
        spans[0].2.contains(&format!("-{}-", doomed.pid())),
        "{spans:?}"
    );
    assert_eq!(spans[1].2, finisher, "{spans:?}");
    assert!(
        spans[0].1 <= spans[1].0,
        "the two runs never overlap: {spans:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_workers_job_finishes_once_elsewhere_on_the_embedded_default() {
    a_killed_workers_job_finishes_once_elsewhere(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_workers_job_finishes_once_elsewhere_on_redis_and_postgres() {
    // A redis-server of the test's own: nothing else touches its queue.
    let redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    a_killed_workers_job_finishes_once_elsewhere(backend).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retryable_failures_back_off_then_fail_into_the_dead_letters_and_permanent_ones_fail_at_once()
 {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());

    // Fails twice, succeeds on the third attempt.
    let (_, j) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "probe", "input": { "fail_attempts": 2 }, "max_attempts": 5 }),
        )
        .await;
    let recovered = api
        .wait_state(
            j["id"].as_str().unwrap(),
            "succeeded",
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(recovered["attempts"], 3);
    assert_eq!(transitions_to(&recovered, "waiting_retry"), 2);

    // Always fails: after max_attempts it is failed with its last reason, and in the dead letters.
    let (_, j) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "probe", "input": { "fail_attempts": 9 }, "max_attempts": 3 }),
        )
        .await;
    let exhausted_id = j["id"].as_str().unwrap().to_owned();
    let exhausted = api
        .wait_state(&exhausted_id, "failed", Duration::from_secs(20))
        .await;
    assert_eq!(exhausted["attempts"], 3);
    assert_eq!(exhausted["error"]["code"], "probe_failure");
    assert!(
        exhausted["error"]["message"]
            .as_str()
            .unwrap()
            .contains("après 3 tentatives")
    );

    // Permanent: fails at once.
    let (_, j) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "probe", "input": { "fail_attempts": 9, "failure": "permanent" }, "max_attempts": 5 }),
        )
        .await;
    let permanent = api
        .wait_state(j["id"].as_str().unwrap(), "failed", Duration::from_secs(20))
        .await;
    assert_eq!(permanent["attempts"], 1);

    let (_, dead) = api.get(READ_TOKEN, "/v1/dead-letters").await;
    let dead_ids: Vec<&str> = dead["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert!(dead_ids.contains(&exhausted_id.as_str()));
    assert!(!dead_ids.contains(&recovered["id"].as_str().unwrap()));

    // Cancelling: a running job stops at its next safe point; an ended one cannot be cancelled.
    let (_, j) = api.create(Some(WRITE_TOKEN), None, &probe(20_000)).await;
    let id = j["id"].as_str().unwrap().to_owned();
    api.wait_state(&id, "running", Duration::from_secs(10))
        .await;
    assert_eq!(
        api.post(WRITE_TOKEN, &format!("/v1/jobs/{id}/cancel"))
            .await
            .0,
        202
    );
    api.wait_state(&id, "cancelled", Duration::from_secs(10))
        .await;
    assert_eq!(
        api.post(WRITE_TOKEN, &format!("/v1/jobs/{id}/cancel"))
            .await
            .0,
        409
    );

    // Metrics count what happened, with bounded labels.
    let (s, metrics) = api.get(OPS_TOKEN, "/metrics").await;
    assert_eq!(s, 200);
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains("monopco_jobs_enqueued_total{kind=\"probe\"} 4"),
        "{text}"
    );
    assert!(
        text.contains("monopco_jobs_failed_total{kind=\"probe\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("monopco_job_duration_seconds_bucket"),
        "{text}"
    );
}

/// Polls `/readyz` until it answers `status` (bounded), and returns its body.
async fn readiness_becomes(api: &Api, status: u16, failure: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, body) = api.get(OPS_TOKEN, "/readyz").await;
        if s == status {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "{failure}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_goes_red_when_the_fleets_workers_die_while_the_api_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let (s, body) = api.get(OPS_TOKEN, "/readyz").await;
    assert_eq!(s, 503, "no worker yet: {body}");
    assert_eq!(body["workers"]["ok"], false);

    let mut worker = Process::start(&config, &["work"]);
    let body = readiness_becomes(&api, 200, "never ready").await;
    assert_eq!(body["ready"], true);
    worker.kill();
    let body = readiness_becomes(&api, 503, "still ready after the workers died").await;
    assert_eq!(body["workers"]["ok"], false);
    assert_eq!(body["store"]["ok"], true);
    assert_eq!(api.anonymous_status("/healthz").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_the_routes_it_is_generated_from() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let app = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(app.addr.as_deref().unwrap());
    let (s, doc) = api.get(READ_TOKEN, "/v1/openapi.json").await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/cancel",
        "/v1/dead-letters",
        "/v1/portal-accounts",
        "/v1/portal-accounts/{opco}/{account}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(
        paths["/v1/jobs"]["post"]["responses"]
            .as_object()
            .unwrap()
            .contains_key("409")
    );
    // The inputs and results of the jobs are described too.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["Action", "Verdict", "IdentityInput", "CreateJob", "JobView"] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    // Every documented path answers something other than 404 (it exists in the router).
    for p in paths.keys() {
        let url = format!(
            "{}{}",
            api.base,
            p.replace("{id}", &uuid::Uuid::now_v7().to_string())
        );
        let status = api
            .http
            .get(&url)
            .bearer_auth(READ_TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(status != 404 || p.contains("{id}"), "{p} answered 404");
    }
}
