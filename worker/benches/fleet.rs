//! Fleet bench (not a test): jobs per second end to end on Redis and PostgreSQL (API → queue →
//! worker → store), the time from a worker's SIGKILL to its job running again elsewhere, and the
//! Redis memory a job costs while queued and once handled.
//!
//! `cargo bench -p worker --bench fleet [-- --jobs N] [--kills K]` (needs redis-server and the
//! PostgreSQL of `TEST_POSTGRES_URL`).

#[path = "../../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::*;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn count(db: &str, state: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = $1")
        .bind(state)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    let jobs = arg("--jobs", 5000);
    let kills = arg("--kills", 5);
    let redis = TestRedis::start();
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.clone(),
        redis_url: redis.url.clone(),
        namespace: "bench".to_owned(),
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, "");
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let base_memory = used_memory(&mut conn).await;

    // 1. Throughput: N no-op probes submitted while three workers run.
    let mut workers: Vec<Process> = (0..3)
        .map(|_| Process::start(&config, &["work", "--workers", "8"]))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    futures::stream::iter(0..jobs)
        .map(|_| {
            let api = api.clone();
            async move { assert_eq!(api.create(Some(WRITE_TOKEN), None, &probe(0)).await.0, 201) }
        })
        .buffer_unordered(32)
        .count()
        .await;
    let submitted = started.elapsed();
    while usize::try_from(count(&db.url, "succeeded").await).unwrap() < jobs {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    println!(
        "throughput: {jobs} probes, submitted in {:.1} s, all ended in {:.1} s: {:.0} jobs/s end to end (3 workers x 8)",
        submitted.as_secs_f64(),
        took.as_secs_f64(),
        jobs as f64 / took.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_memory = used_memory(&mut conn).await;
    println!(
        "redis memory once handled: {} bytes for {jobs} jobs ({:.1} bytes per job)",
        after_memory - base_memory,
        (after_memory - base_memory) as f64 / jobs as f64
    );

    // 2. Redis memory per queued job: N probes with no worker running.
    for w in &mut workers {
        w.kill();
    }
    let before = used_memory(&mut conn).await;
    futures::stream::iter(0..jobs)
        .map(|_| {
            let api = api.clone();
            async move { assert_eq!(api.create(Some(WRITE_TOKEN), None, &probe(0)).await.0, 201) }
        })
        .buffer_unordered(32)
        .count()
        .await;
    let queued = used_memory(&mut conn).await;
    println!(
        "redis memory while queued: {:.1} bytes per job",
        (queued - before) as f64 / jobs as f64
    );
    workers = (0..3)
        .map(|_| Process::start(&config, &["work", "--workers", "8"]))
        .collect();
    while usize::try_from(count(&db.url, "succeeded").await).unwrap() < 2 * jobs {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 3. Kill → re-run: a long probe's worker is SIGKILLed; how long until it runs elsewhere.
    let mut times = Vec::new();
    for _ in 0..kills {
        let (_, created) = api.create(Some(WRITE_TOKEN), None, &probe(5000)).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let running = api
            .wait_state(&id, "running", Duration::from_secs(30))
            .await;
        let owner = running["lease_owner"].as_str().unwrap().to_owned();
        let victim = workers
            .iter()
            .position(|w| owner.contains(&format!("-{}-", w.pid())))
            .unwrap();
        let killed = Instant::now();
        workers[victim].kill();
        api.wait_for(&id, Duration::from_secs(60), |j| {
            j["attempts"] == 2 && j["state"] == "running"
        })
        .await;
        times.push(killed.elapsed().as_secs_f64());
        workers[victim] = Process::start(&config, &["work", "--workers", "8"]);
        api.wait_state(&id, "succeeded", Duration::from_secs(60))
            .await;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "kill -> re-run ({kills} kills, lease 2 s, reaper every 0.3 s): min {:.2} s, median {:.2} s, max {:.2} s",
        times.first().unwrap_or(&0.0),
        times.get(times.len() / 2).unwrap_or(&0.0),
        times.last().unwrap_or(&0.0)
    );
}
