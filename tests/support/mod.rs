//! Test support for black-box tests: start the real `monopco` binary on port 0 with its real
//! parts (SQLite files, a redis-server, PostgreSQL), and talk to it over HTTP like an upstream
//! system. Processes are killed when their handle drops, even when an assertion panics.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const WRITE_TOKEN: &str = "test-token-write-0123456789abcdef";
pub const READ_TOKEN: &str = "test-token-read-0123456789abcdef";
pub const OPS_TOKEN: &str = "test-token-ops-0123456789abcdef";
pub const ACCOUNTS_TOKEN: &str = "test-token-accounts-0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "whsec-test-0123456789";

/// Where the durable state and the queue live for a test.
#[derive(Clone, Debug)]
pub enum Backend {
    /// SQLite files in the data directory (the embedded default).
    Embedded,
    /// A fresh PostgreSQL database and a Redis namespace (the fleet).
    Fleet {
        postgres_url: String,
        redis_url: String,
        namespace: String,
    },
}

/// A fresh PostgreSQL database, dropped at the end of the test.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let admin = admin_url();
        let name = format!("monopco_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx_connect(&admin).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Best effort: a fresh runtime, since Drop cannot be async.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = sqlx_connect(&admin_url()).await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            });
            Some(())
        })
        .join();
    }
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

async fn sqlx_connect(url: &str) -> sqlx::postgres::PgConnection {
    use sqlx::Connection;
    sqlx::postgres::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL must run at {url} for fleet tests (trust auth): {e}")
        })
}

/// A redis-server of the test's own, on a free port, gone when dropped.
pub struct TestRedis {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestRedis {
    pub fn start() -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let child = Self::spawn(port, dir.path());
        Self {
            url: format!("redis://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Kills it (SIGKILL) and starts an empty one on the same port: every key is gone, as after
    /// a crash of a Redis that keeps nothing on disk.
    pub fn restart_empty(&mut self, down_for: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(down_for);
        self.child = Self::spawn(self.port(), self._dir.path());
    }

    /// Stops it (SIGKILL) until `start_again`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts an empty one on the same port after `kill`.
    pub fn start_again(&mut self) {
        self.child = Self::spawn(self.port(), self._dir.path());
    }

    fn spawn(port: u16, dir: &Path) -> Child {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes the configuration a test process runs with.
pub fn write_config(
    dir: &Path,
    backend: &Backend,
    webhook_url: Option<&str>,
    extra: &str,
) -> PathBuf {
    let (store, queue) = match backend {
        Backend::Embedded => (String::new(), String::new()),
        Backend::Fleet {
            postgres_url,
            redis_url,
            namespace,
        } => (
            format!("[store]\nurl = \"{postgres_url}\"\n"),
            format!(
                "backend = \"redis\"\nredis_url = \"{redis_url}\"\nnamespace = \"{namespace}\"\n"
            ),
        ),
    };
    let webhooks = webhook_url
        .map(|u| format!("[[webhooks]]\nurl = \"{u}\"\nsecret = \"{WEBHOOK_SECRET}\"\n"))
        .unwrap_or_default();
    let text = format!(
        r#"data_dir = "{data}"
{store}
[queue]
poll_interval_ms = 200
{queue}
[workers]
concurrency = 2
lease_ms = 2000
heartbeat_ms = 400
reaper_interval_ms = 300
stale_wake_ms = 3000
retry_min_delay_ms = 200
retry_max_delay_ms = 1000
shutdown_timeout_ms = 3000
{extra}

[webhook_delivery]
min_delay_ms = 200
max_delay_ms = 1000

[log]
filter = "info,jobs=debug,chromiumoxide::handler=error,sqlx=warn"

[[api.tokens]]
name = "upstream"
token = "{WRITE_TOKEN}"
scopes = ["jobs:write", "jobs:read"]

[[api.tokens]]
name = "reader"
token = "{READ_TOKEN}"
scopes = ["jobs:read"]

[[api.tokens]]
name = "ops"
token = "{OPS_TOKEN}"
scopes = ["ops:read"]

[[api.tokens]]
name = "accounts"
token = "{ACCOUNTS_TOKEN}"
scopes = ["accounts:write"]

{webhooks}"#,
        data = dir.join("data").display(),
    );
    let path = dir.join("monopco.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A running `monopco` process.
pub struct Process {
    child: Child,
    pub addr: Option<String>,
    pub log: PathBuf,
}

impl Process {
    /// Starts `monopco <args…> --config <config>`, and for `serve` waits for its address.
    pub fn start(config: &Path, args: &[&str]) -> Self {
        Self::start_with_env(config, args, &[])
    }

    /// The same, with extra environment variables (a failure point, say).
    pub fn start_with_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = config.with_file_name(format!(
            "monopco-{}-{}.log",
            args[0],
            uuid::Uuid::new_v4().simple()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_monopco"))
            .args(args)
            .arg("--config")
            .arg(config)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start monopco");
        let addr = if args[0] == "serve" {
            let stdout = child.stdout.take().unwrap();
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            let addr = line
                .trim()
                .strip_prefix("monopco listening on ")
                .map(str::to_owned);
            assert!(
                addr.is_some(),
                "monopco serve did not print its address; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            addr
        } else {
            None
        };
        Self { child, addr, log }
    }

    /// Whether it has not exited yet.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process dies at once, in the middle of whatever it does.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit (bounded).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "monopco did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// How much of a process's log a failing test prints.
const LOG_TAIL_LINES: usize = 400;

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A test that fails with the process running prints what the process said, so that a
        // failure seen only once (on CI) can be read rather than guessed.
        if std::thread::panicking() {
            let text = self.log_text();
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(LOG_TAIL_LINES);
            eprintln!(
                "--- last {} lines of {} (the test failed) ---\n{}\n--- end of log ---",
                lines.len() - from,
                self.log.display(),
                lines[from..].join("\n")
            );
        }
    }
}

/// An HTTP client for the API with a typed method per endpoint.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(addr: &str) -> Self {
        Self {
            base: addr.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    pub async fn create(
        &self,
        token: Option<&str>,
        idem: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/v1/jobs", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, token: &str, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `PUT /v1/portal-accounts/{opco}/{account}` with `{username, password}`.
    pub async fn put_account(
        &self,
        token: &str,
        opco: &str,
        account: &str,
        body: &Value,
    ) -> (u16, Value) {
        let resp = self
            .http
            .put(format!("{}/v1/portal-accounts/{opco}/{account}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `DELETE /v1/portal-accounts/{opco}/{account}`.
    pub async fn delete_account(&self, token: &str, opco: &str, account: &str) -> (u16, Value) {
        let resp = self
            .http
            .delete(format!("{}/v1/portal-accounts/{opco}/{account}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The status of a GET without any token.
    pub async fn anonymous_status(&self, path: &str) -> u16 {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub async fn job(&self, id: &str) -> Value {
        let (status, body) = self.get(READ_TOKEN, &format!("/v1/jobs/{id}")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls a job until `pred` holds (bounded).
    pub async fn wait_for(
        &self,
        id: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let job = self.job(id).await;
            if pred(&job) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} did not reach the expected state in {timeout:?}; last seen:\n{job:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_state(&self, id: &str, state: &str, timeout: Duration) -> Value {
        self.wait_for(id, timeout, |j| j["state"] == state).await
    }
}

/// A probe job body.
pub fn probe(sleep_ms: u64) -> Value {
    json!({ "kind": "probe", "input": { "sleep_ms": sleep_ms } })
}

/// The events of a job's history that reached a state.
pub fn transitions_to(job: &Value, state: &str) -> usize {
    job["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == state)
        .count()
}

/// Chromium processes (of our profiles) whose parent is `parent`.
pub fn chromiums_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(parent) && String::from_utf8_lossy(&cmdline).contains("monopco-chromium-") {
            found.push(pid);
        }
    }
    found
}

pub fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

/// Every stretch of time a job spent `running`, from its history: (start, end, worker).
pub fn running_spans(job: &Value) -> Vec<(i64, i64, String)> {
    let history = job["history"].as_array().unwrap();
    let at = |e: &Value| {
        chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap())
            .unwrap()
            .timestamp_micros()
    };
    let mut spans = Vec::new();
    for (i, e) in history.iter().enumerate() {
        if e["to"] == "running" {
            let end = history[i + 1..]
                .iter()
                .find(|n| n["from"] == "running")
                .map(at)
                .unwrap_or(i64::MAX);
            spans.push((
                at(e),
                end,
                e["worker_id"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    spans
}

/// The most spans open at one instant (a span ending exactly when another starts does not overlap).
pub fn most_at_once(spans: &[(i64, i64)]) -> usize {
    let mut edges: Vec<(i64, i32)> = spans.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    // Ends before starts at the same instant.
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    usize::try_from(most).unwrap_or(0)
}

/// A TCP proxy on a free port in front of a server (PostgreSQL, say), that a test can cut (every
/// connection dropped, new ones refused) and restore: the server goes away for the app only.
pub struct CutProxy {
    pub port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Connections being forwarded right now.
    live: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// Counts one forwarded connection for as long as it lives.
struct Live(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Live {
    fn new(count: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl CutProxy {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let generation = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let live = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = {
            let up = up.clone();
            let generation = generation.clone();
            let live = live.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        continue;
                    };
                    if !up.load(Ordering::SeqCst) {
                        continue;
                    }
                    let born = generation.load(Ordering::SeqCst);
                    let generation = generation.clone();
                    let alive = Live::new(&live);
                    tokio::spawn(async move {
                        let _alive = alive;
                        let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let cut = async {
                            while generation.load(Ordering::SeqCst) == born {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            () = cut => {}
                        }
                    });
                }
            })
        };
        Self {
            port,
            up,
            generation,
            live,
            task,
        }
    }

    /// Drops every connection and refuses new ones; returns once none is left open (a pooled
    /// connection still alive would let a request through after the cut).
    pub async fn cut(&self) {
        use std::sync::atomic::Ordering;
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.live.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "the proxy still forwards {} connection(s) 5 s after the cut",
                self.live.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `value` with what changes from run to run replaced by a placeholder, for snapshots: every
/// `(text, placeholder)` pair (a temporary directory, a sandbox's address), UUIDs, timestamps,
/// worker ids, the state of webhook deliveries and the provider check's wording (which depend
/// on timing).
pub fn redacted(value: &Value, replace: &[(&str, &str)]) -> Value {
    fn is_uuid(s: &[u8]) -> bool {
        s.len() == 36
            && s.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
    fn text(s: &str, replace: &[(&str, &str)]) -> String {
        let mut s = s.to_owned();
        for (from, to) in replace {
            s = s.replace(from, to);
        }
        let mut out = String::new();
        let mut i = 0;
        while i < s.len() {
            if s.is_char_boundary(i) && s.len() >= i + 36 && is_uuid(&s.as_bytes()[i..i + 36]) {
                out.push_str("[uuid]");
                i += 36;
            } else {
                let c = s[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
        // A recorded step's number counts every step before it (a banner dismissed, a draft
        // noted): the step's name says which it is.
        let mut numbered = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find("step-") {
            let (head, tail) = rest.split_at(at + 5);
            numbered.push_str(head);
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && tail[digits..].starts_with('-') {
                numbered.push_str("[n]");
                rest = &tail[digits..];
            } else {
                rest = tail;
            }
        }
        numbered.push_str(rest);
        numbered
    }
    fn walk(key: &str, v: &Value, replace: &[(&str, &str)]) -> Value {
        match v {
            Value::String(_) if key == "at" || key.ends_with("_at") => json!("[time]"),
            Value::String(_) if key == "worker_id" || key == "lease_owner" => json!("[worker]"),
            // A draft's number depends on which of two concurrent prefills the portal took first.
            Value::String(s) if key == "draft_url" => {
                let mut out = String::new();
                for c in text(s, replace).chars() {
                    match (c.is_ascii_digit(), out.ends_with("[n]")) {
                        (true, true) => {}
                        (true, false) => out.push_str("[n]"),
                        (false, _) => out.push(c),
                    }
                }
                json!(out)
            }
            Value::String(s) => json!(text(s, replace)),
            Value::Array(items) if key == "webhooks" => Value::Array(
                items
                    .iter()
                    .map(|d| match d {
                        Value::Object(m) => m.keys().map(|k| (k.clone(), json!("[…]"))).collect(),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| walk(key, i, replace)).collect())
            }
            // Whether the provider check answers in time, and how it fails, depends on the
            // network and the machine's load: its wording is not compared.
            Value::Object(m) if m.get("code") == Some(&json!("provider_unchecked")) => m
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "message" => (k.clone(), json!("[provider check]")),
                    _ => (k.clone(), walk(k, v, replace)),
                })
                .collect(),
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), walk(k, v, replace)))
                .collect(),
            other => other.clone(),
        }
    }
    walk("", value, replace)
}
