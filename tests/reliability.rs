//! Reliability drills: every accepted job ends, whatever Redis and the workers do, and a process
//! never runs more jobs at once than its `workers.concurrency`.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use support::*;

/// The drills that load the machine (several worker processes, thousands of jobs) and the one
/// that measures seconds run one at a time, so that one's load does not decide another's timing.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fleet_backend(redis_url: &str) -> (Backend, TestDatabase) {
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.clone(),
        redis_url: redis_url.to_owned(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    (backend, db)
}

/// Submits `n` probes.
async fn submit_probes(api: &Api, n: usize, sleep_ms: u64) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let (status, created) = api.create(Some(WRITE_TOKEN), None, &probe(sleep_ms)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Waits until every job has ended (bounded), and returns them.
async fn all_end(api: &Api, ids: &[String], timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    let mut jobs = Vec::with_capacity(ids.len());
    for id in ids {
        let left = deadline.saturating_duration_since(Instant::now());
        jobs.push(
            api.wait_for(id, left.max(Duration::from_millis(1)), |j| {
                matches!(j["state"].as_str(), Some("succeeded" | "failed"))
            })
            .await,
        );
    }
    jobs
}

#[tokio::test(flavor = "multi_thread")]
async fn every_job_ends_exactly_once_when_redis_restarts_empty_twice_under_load() {
    let _one_at_a_time = HEAVY.lock().await;
    let mut redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let mut workers = [
        Process::start(&config, &["work", "--workers", "3"]),
        Process::start(&config, &["work", "--workers", "3"]),
    ];

    let ids = submit_probes(&api, 60, 1500).await;
    // Jobs are running in both processes when Redis dies and comes back with nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    redis.restart_empty(Duration::from_millis(1500));
    tokio::time::sleep(Duration::from_millis(3000)).await;
    redis.restart_empty(Duration::from_millis(300));

    let jobs = all_end(&api, &ids, Duration::from_secs(90)).await;
    for job in &jobs {
        assert_eq!(job["state"], "succeeded", "{job:#}");
        assert_eq!(transitions_to(job, "succeeded"), 1, "{job:#}");
    }
    for w in &mut workers {
        assert!(w.is_running(), "a worker exited:\n{}", w.log_text());
    }
    // Nothing is left running or waiting afterwards.
    let (status, body) = api.get(READ_TOKEN, "/v1/jobs?state=running").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["jobs"].as_array().map(Vec::len), Some(0), "{body:#}");
}

/// 30 jobs on one process with `concurrency = 2`: from the store's history, never more than two
/// attempts of that process overlap, and two do (the limit is used, not just respected).
async fn concurrency_bounds_the_jobs_of_one_process(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let api_process = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let ids = submit_probes(&api, 30, 300).await;
    let jobs = all_end(&api, &ids, Duration::from_secs(60)).await;
    let spans: Vec<(i64, i64)> = jobs
        .iter()
        .flat_map(|j| {
            assert_eq!(j["state"], "succeeded", "{j:#}");
            running_spans(j)
        })
        .map(|(s, e, _)| (s, e))
        .collect();
    assert_eq!(spans.len(), 30, "one attempt each");
    assert_eq!(most_at_once(&spans), 2, "{spans:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_two_runs_at_most_two_of_thirty_jobs_at_once_on_the_embedded_default() {
    concurrency_bounds_the_jobs_of_one_process(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_two_runs_at_most_two_of_thirty_jobs_at_once_on_redis_and_postgres() {
    let redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    concurrency_bounds_the_jobs_of_one_process(backend).await;
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn prefill_with(attachments: Value) -> Value {
    serde_json::json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": {
        "company": { "siret": "73282932000074", "opco_account": "ADH-448812" },
        "trainee": {
            "last_name": "Martin", "first_names": "Marie Claire", "birth_date": "1985-04-12",
            "job_title": "Assistante de direction", "contract": "cdi"
        },
        "action": {
            "title": "Bilan de compétences", "start": "2027-03-02", "end": "2027-04-20",
            "hours": 24, "modality": "mixte", "cost_ht": 180000
        },
        "subrogation": true,
        "provider": { "name": "Haguenau Formation", "siret": "55208131766522", "nda": "42670000000", "qualiopi": true },
        "attachments": attachments
    } } })
}

fn upload(name: &str, bytes: &[u8]) -> Value {
    use base64::Engine;
    serde_json::json!({ "name": name, "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

fn field_messages(body: &Value, field: &str) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .filter(|f| f["field"] == field)
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attachment_given_as_a_server_path_is_refused_at_once_with_one_message_whatever_the_path()
 {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &Backend::Embedded,
        None,
        "\n[portals.atlas]\nbase_url = \"http://127.0.0.1:9\"\n",
    );
    let app = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(app.addr.as_deref().unwrap());
    let fifo = dir.path().join("fifo.pdf");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let real_pdf = dir.path().join("devis.pdf");
    std::fs::write(&real_pdf, PDF).unwrap();
    let mut messages = Vec::new();
    for path in [
        fifo.display().to_string(),
        "/etc/passwd".to_owned(),
        "/nowhere/devis.pdf".to_owned(),
        real_pdf.display().to_string(),
    ] {
        let body = prefill_with(serde_json::json!({
            "quote": path, "programme": upload("programme.pdf", PDF), "agreement": upload("convention.pdf", PDF)
        }));
        let started = Instant::now();
        let (status, answer) = api.create(Some(WRITE_TOKEN), None, &body).await;
        let took = started.elapsed();
        assert_eq!(status, 400, "{answer}");
        assert!(took < Duration::from_millis(100), "{path} took {took:?}");
        let m = field_messages(&answer, "input.filing.attachments.quote");
        assert_eq!(m.len(), 1, "{answer}");
        assert!(!m[0].contains(&path), "the message names no path: {}", m[0]);
        messages.push(m[0].clone());
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "one message for every path: {messages:?}"
    );

    // Uploaded, a file that is not a PDF is refused; PDFs are accepted and kept under the data dir.
    let (status, answer) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &prefill_with(serde_json::json!({
                "quote": upload("devis.pdf", b"root:x:0:0:root:/root:/bin/bash\n"),
                "programme": upload("programme.pdf", PDF), "agreement": upload("convention.pdf", PDF)
            })),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(field_messages(&answer, "input.filing.attachments.quote")[0].contains("PDF"));
    let (status, created) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &prefill_with(serde_json::json!({
                "quote": upload("devis-signe.pdf", PDF),
                "programme": upload("programme.pdf", PDF), "agreement": upload("convention.pdf", PDF)
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let stored = created["input"]["filing"]["attachments"]["quote"]
        .as_str()
        .unwrap();
    assert!(
        stored.starts_with(
            &dir.path()
                .join("data")
                .join("attachments")
                .display()
                .to_string()
        ) && stored.ends_with("/devis-signe.pdf"),
        "{stored}"
    );
    assert_eq!(std::fs::read(stored).unwrap(), PDF);

    // A reference must name a finished render_documents job that produced that file.
    let (_, probe_job) = api.create(Some(WRITE_TOKEN), None, &probe(0)).await;
    let (status, answer) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &prefill_with(serde_json::json!({
                "quote": { "from_job": probe_job["id"], "file": "devis.pdf" },
                "programme": upload("programme.pdf", PDF), "agreement": upload("convention.pdf", PDF)
            })),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        field_messages(&answer, "input.filing.attachments.quote")[0].contains("rendu de documents"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documents_of_a_render_job_are_attached_by_reference() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &Backend::Embedded,
        None,
        "\n[portals.atlas]\nbase_url = \"http://127.0.0.1:9\"\n",
    );
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let action: Value =
        serde_json::from_str(include_str!("../documents/tests/fixtures/action.json")).unwrap();
    let (status, render) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &serde_json::json!({ "kind": "render_documents", "input": { "action": action } }),
        )
        .await;
    assert_eq!(status, 201, "{render}");
    let render_id = render["id"].as_str().unwrap();
    api.wait_state(render_id, "succeeded", Duration::from_secs(60))
        .await;
    let reference = |file: &str| serde_json::json!({ "from_job": render_id, "file": file });
    let (status, created) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &prefill_with(serde_json::json!({
                "quote": reference("devis.pdf"), "programme": reference("programme.pdf"),
                "agreement": reference("convention.pdf")
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let quote = created["input"]["filing"]["attachments"]["quote"]
        .as_str()
        .unwrap();
    assert!(
        quote.ends_with(&format!("{render_id}/files/devis.pdf")),
        "{quote}"
    );
    assert!(std::fs::read(quote).unwrap().starts_with(b"%PDF-"));
}

/// A few hundred jobs on a fleet of three workers, with random SIGKILLs of workers and one Redis
/// restart that loses every key: every job ends, and ends once.
#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_under_random_kills_and_a_redis_restart_ends_every_job_once() {
    let _one_at_a_time = HEAVY.lock().await;
    let started = Instant::now();
    let mut redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let mut workers: Vec<Process> = (0..3)
        .map(|_| Process::start(&config, &["work", "--workers", "4"]))
        .collect();

    let mut ids = Vec::new();
    for i in 0..300u64 {
        let body = serde_json::json!({ "kind": "probe", "input": { "sleep_ms": 100 + (i * 37) % 400 }, "max_attempts": 20 });
        let (status, created) = api.create(Some(WRITE_TOKEN), None, &body).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // A cheap xorshift, seeded from the clock: a failing seed is printed.
    let mut seed = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % u128::from(u64::MAX),
    )
    .unwrap()
        | 1;
    println!("chaos seed {seed}");
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut kills = 0;
    for round in 0..8 {
        tokio::time::sleep(Duration::from_millis(800 + next() % 1200)).await;
        let victim = usize::try_from(next() % 3).unwrap();
        workers[victim].kill();
        kills += 1;
        if round == 3 {
            redis.restart_empty(Duration::from_millis(500));
        }
        workers[victim] = Process::start(&config, &["work", "--workers", "4"]);
    }

    let jobs = all_end(&api, &ids, Duration::from_secs(120)).await;
    let mut reruns = 0;
    for job in &jobs {
        assert_eq!(job["state"], "succeeded", "{job:#}");
        assert_eq!(transitions_to(job, "succeeded"), 1, "{job:#}");
        let ended: usize = ["succeeded", "failed", "cancelled"]
            .iter()
            .map(|s| transitions_to(job, s))
            .sum();
        assert_eq!(ended, 1, "{job:#}");
        reruns += usize::from(job["attempts"].as_i64().unwrap_or(0) > 1);
    }
    println!(
        "chaos: {} jobs, {kills} kills, 1 Redis restart, {reruns} jobs re-run, all ended once in {:?}",
        jobs.len(),
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(180));
}

/// Counts the store's jobs in a state, straight from PostgreSQL.
async fn count_in_state(db_url: &str, state: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(db_url).await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = $1")
        .bind(state)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// Wake-ups waiting in Redis (scheduled and ready) and the wake-up data apalis keeps.
async fn redis_backlog(conn: &mut redis::aio::MultiplexedConnection, ns: &str) -> (usize, usize) {
    let (scheduled, ready, data): (usize, usize, usize) = redis::pipe()
        .cmd("ZCARD")
        .arg(format!("{ns}:jobs:scheduled"))
        .cmd("LLEN")
        .arg(format!("{ns}:jobs:active"))
        .cmd("HLEN")
        .arg(format!("{ns}:jobs:data"))
        .query_async(conn)
        .await
        .unwrap_or_default();
    (scheduled + ready, data)
}

/// A backlog queued while no worker runs (a deploy, a crash loop), past apalis-redis' own limit
/// of about 8,000 due wake-ups at one fetch: three workers started afterwards drain it all, the
/// Redis queue never grows past the backlog (the reaper does not re-send queued wake-ups), and
/// the data of handled wake-ups is removed. `DRILL_BACKLOG` sets the size (10,000 by default; not
/// `MONOPCO_…`, which the processes would read as configuration).
#[tokio::test(flavor = "multi_thread")]
async fn a_backlog_queued_while_no_worker_runs_drains_without_growing_and_leaves_nothing_in_redis()
{
    let _one_at_a_time = HEAVY.lock().await;
    let n: usize = std::env::var("DRILL_BACKLOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let redis = TestRedis::start();
    let (backend, db) = fleet_backend(&redis.url).await;
    let Backend::Fleet { namespace, .. } = &backend else {
        unreachable!()
    };
    let ns = namespace.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());

    let submit_started = Instant::now();
    let submitted = futures::stream::iter(0..n)
        .map(|_| {
            let api = api.clone();
            async move {
                let (status, created) = api.create(Some(WRITE_TOKEN), None, &probe(0)).await;
                assert_eq!(status, 201, "{created}");
            }
        })
        .buffer_unordered(32)
        .count()
        .await;
    assert_eq!(submitted, n);
    let submit_took = submit_started.elapsed();
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (waiting, _) = redis_backlog(&mut conn, &ns).await;
    // One wake-up per job (a push that timed out under load is sent later by a reaper).
    assert!(waiting <= n, "{waiting} wake-ups for {n} jobs");
    println!("backlog {n}: {waiting} wake-ups queued before any worker runs");
    // The stale-wake delay passes while nothing runs: every wake-up looks lost to a reaper.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let drain_started = Instant::now();
    let _workers: Vec<Process> = (0..3)
        .map(|_| Process::start(&config, &["work", "--workers", "8"]))
        .collect();
    let mut most_waiting = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (waiting, _) = redis_backlog(&mut conn, &ns).await;
        most_waiting = most_waiting.max(waiting);
        let done = count_in_state(&db.url, "succeeded").await;
        if usize::try_from(done).unwrap() == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {n} jobs ended in 600 s; {waiting} wake-ups waiting"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drain_took = drain_started.elapsed();
    assert!(
        most_waiting <= n,
        "the queue grew to {most_waiting} for {n} jobs"
    );
    {
        use sqlx::Connection;
        let mut pg = sqlx::postgres::PgConnection::connect(&db.url)
            .await
            .unwrap();
        let reruns: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts <> 1")
            .fetch_one(&mut pg)
            .await
            .unwrap();
        assert_eq!(reruns, 0, "every job ran once");
    }
    // Handled wake-ups leave no data behind (swept by the reapers).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, data) = redis_backlog(&mut conn, &ns).await;
        if data == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{data} handled wake-ups still in Redis"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let keys: usize = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    println!(
        "backlog {n}: submitted in {submit_took:?}, drained by 3 workers in {drain_took:?} ({:.0} jobs/s), at most {most_waiting} wake-ups waiting, {keys} Redis keys left",
        n as f64 / drain_took.as_secs_f64()
    );
    assert!(keys < 50, "{keys} keys left in Redis");
}

/// Polls `/readyz` until it answers `status`; every answer must come within 2 s. Returns how long
/// it took.
async fn readiness_turns(api: &Api, status: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let asked = Instant::now();
        let resp = api
            .http
            .get(format!("{}/readyz", api.base))
            .bearer_auth(OPS_TOKEN)
            .send()
            .await
            .unwrap();
        let answered = asked.elapsed();
        let got = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert!(
            answered < Duration::from_secs(2),
            "/readyz took {answered:?}: {body}"
        );
        if got == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "/readyz still {got} after {within:?}, expected {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_goes_red_within_two_seconds_when_redis_or_postgres_goes_away_and_green_when_back()
 {
    let _one_at_a_time = HEAVY.lock().await;
    let mut redis = TestRedis::start();
    let proxy = CutProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let db = TestDatabase::create().await;
    let proxied = db.url.replacen(":5432/", &format!(":{}/", proxy.port), 1);
    assert_ne!(proxied, db.url, "the store goes through the proxy");
    let backend = Backend::Fleet {
        postgres_url: proxied,
        redis_url: redis.url.clone(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    readiness_turns(&api, 200, Duration::from_secs(15)).await;

    redis.kill();
    let red = readiness_turns(&api, 503, Duration::from_secs(2)).await;
    // Jobs are still accepted while the queue is away, and quickly.
    let asked = Instant::now();
    let (status, created) = api.create(Some(WRITE_TOKEN), None, &probe(0)).await;
    assert_eq!(status, 201, "{created}");
    let accept_took = asked.elapsed();
    assert!(accept_took < Duration::from_secs(2), "{accept_took:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.start_again();
    // Green again once the queue connection is re-established: usually well under 2 s, but the
    // Redis client's reconnection has been seen to take longer on a loaded machine, so the bound
    // here is 10 s (the README reports the measured time).
    let green = readiness_turns(&api, 200, Duration::from_secs(10)).await;
    let id = created["id"].as_str().unwrap();
    api.wait_state(id, "succeeded", Duration::from_secs(15))
        .await;

    proxy.cut().await;
    let pg_red = readiness_turns(&api, 503, Duration::from_secs(2)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    let pg_green = readiness_turns(&api, 200, Duration::from_secs(2)).await;
    println!(
        "readiness: red {red:?} after Redis died (a job accepted in {accept_took:?} meanwhile), green {green:?} after it came back; red {pg_red:?} after PostgreSQL went away, green {pg_green:?} after"
    );
    let log = app.log_text();
    assert!(
        !log.lines()
            .any(|l| l.contains("ERROR") && l.contains("answering a request")),
        "a 503 is logged at WARN, not ERROR:\n{log}"
    );
}

/// A retried job is woken when its backoff ends (200 ms to 1 s here), not by the stale-wake sweep
/// (3 s here, 60 s by default), on both queues.
async fn a_retry_runs_when_its_backoff_ends(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // A stale-wake sweep far away: only the retry's own wake-up can run it in time.
    let config = write_config(dir.path(), &backend, None, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("stale_wake_ms = 3000", "stale_wake_ms = 60000");
    std::fs::write(&config, text).unwrap();
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let body =
        serde_json::json!({ "kind": "probe", "input": { "fail_attempts": 2 }, "max_attempts": 3 });
    let (status, created) = api.create(Some(WRITE_TOKEN), None, &body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let done = api
        .wait_state(id, "succeeded", Duration::from_secs(20))
        .await;
    assert_eq!(done["attempts"], 3, "{done:#}");
    let spans = running_spans(&done);
    let gaps: Vec<i64> = spans.windows(2).map(|w| w[1].0 - w[0].1).collect();
    // Backoff ≤ 1 s, rounded up to apalis' whole seconds, plus a poll: well under 3 s.
    assert!(
        gaps.iter().all(|g| *g < 3_000_000),
        "retries waited {gaps:?} µs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_runs_when_its_backoff_ends_on_the_embedded_default() {
    a_retry_runs_when_its_backoff_ends(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_runs_when_its_backoff_ends_on_redis_and_postgres() {
    let redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    a_retry_runs_when_its_backoff_ends(backend).await;
}

/// Twenty clients send one `Idempotency-Key` at once: every one gets the same job.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_clients_racing_with_one_idempotency_key_all_get_the_same_job() {
    let redis = TestRedis::start();
    let (backend, _db) = fleet_backend(&redis.url).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let app = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(app.addr.as_deref().unwrap());
    let answers = futures::future::join_all((0..20).map(|_| {
        let api = api.clone();
        async move {
            api.create(Some(WRITE_TOKEN), Some("same-key-race"), &probe(0))
                .await
        }
    }))
    .await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, body)| {
            assert!(matches!(status, 200 | 201), "{status}: {body}");
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 1);
    // A tab is not a printable character: refused like any other bad key.
    let (status, body) = api.create(Some(WRITE_TOKEN), Some("a\tb"), &probe(0)).await;
    assert_eq!(status, 400, "{body}");
}

/// A body over the limit and a bad query string get the JSON error shape.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_too_large_and_a_bad_query_string_answer_in_the_json_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let text = std::fs::read_to_string(&config).unwrap() + "\n[server]\nmax_body_bytes = 1000\n";
    std::fs::write(&config, text).unwrap();
    let app = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(app.addr.as_deref().unwrap());
    let big = serde_json::json!({ "kind": "probe", "input": { "pad": "x".repeat(5000) } });
    let resp = api
        .http
        .post(format!("{}/v1/jobs", api.base))
        .bearer_auth(WRITE_TOKEN)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let (status, body) = api.get(READ_TOKEN, "/v1/jobs?limit=beaucoup").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("La requête est invalide")
    );
}
