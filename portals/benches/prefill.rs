//! Time to prefill one filing on a portal sandbox, cold (Chromium launch included) and warm, then
//! filings per minute with 1, 4 and 8 concurrent sessions in one Chromium, with the peak memory
//! of Chromium (all its processes) and of this process, which stands for the worker.
//!
//! Run: `cargo bench -p portals --bench prefill` (release profile, Atlas); add
//! `-- --portal <slug>` for any other registered portal (or set `PREFILL_BENCH_PORTAL`), and
//! `--filings N` to change the number of filings per concurrency level (16 by default).
//!
//! Each filing runs as the worker runs a `prefill_filing` job: a fresh incognito page, a recorder
//! writing screenshots and HTML, the script on a blocking thread of the runtime. Every session
//! logs into an account of its own (concurrent jobs are for different client companies); on AKTO
//! a filing takes two attempts, the second with the e-mailed code, as staff would answer it. The
//! bench fails (non-zero exit) unless every filing created exactly one new draft and nothing was
//! submitted. The warm runs also report what reading back costs: the time the script spent
//! reading every page's controls and the summary (what the portal kept), as a share of the
//! prefill.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use browser::{Browser, BrowserConfig};
use domain::OpcoId;
use portals::{Credentials, Filing, HumanInput, PortalError, PortalScript, Prefilled, Session};
use recordings::{Recorder, Redactor};
use sandboxes::{Account, RunningSandbox, SandboxConfig};
use secrecy::SecretString;

const WARM_RUNS: usize = 10;
const LEVELS: [usize; 3] = [1, 4, 8];
const DEFAULT_FILINGS_PER_LEVEL: usize = 16;
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

struct Args {
    portal: OpcoId,
    filings_per_level: usize,
}

fn usage_and_exit(msg: &str) -> ! {
    eprintln!("{msg}");
    eprintln!(
        "usage: cargo bench -p portals --bench prefill -- [--portal {}] [--filings N]",
        sandboxes::slugs().join("|")
    );
    std::process::exit(2);
}

fn args() -> Args {
    let mut portal = std::env::var("PREFILL_BENCH_PORTAL").ok();
    let mut filings = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        match key.as_str() {
            // Cargo passes `--bench` to every bench binary.
            "--bench" => {}
            "--portal" => portal = inline.or_else(|| it.next()),
            "--filings" => filings = inline.or_else(|| it.next()),
            other => usage_and_exit(&format!("unknown argument {other}")),
        }
    }
    let portal = match portal.as_deref().map(sandboxes::parse_portal) {
        None => OpcoId::Atlas,
        Some(Ok(p)) => p,
        Some(Err(e)) => usage_and_exit(&e.to_string()),
    };
    let filings_per_level = match filings.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_FILINGS_PER_LEVEL,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => usage_and_exit("--filings takes a positive number"),
    };
    Args {
        portal,
        filings_per_level,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

/// Nearest-rank 95th percentile (the slowest run when there are fewer than 20).
fn p95(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    let rank = (v.len() * 95).div_ceil(100).max(1);
    v[rank - 1]
}

/// The account a session slot logs in with.
fn slot_account(slot: usize) -> Account {
    Account::new(
        format!("banc-{slot}@entreprise.fr"),
        format!("banc-mot-de-passe-{slot}"),
    )
}

fn script_for(portal: OpcoId) -> &'static PortalScript {
    common::script_for(portal)
}

/// A filing whose trainee no other filing of the run shares (fixed width, so that no name is a
/// part of another and the script's find-before-create never resumes someone else's draft).
fn filing_for(dir: &Path, run: &str, i: usize) -> Filing {
    common::filing(dir, &format!("Banc{run}x{i:04}"))
}

/// One `prefill_filing` job as the worker runs it; on a portal asking for an e-mailed code, a
/// second attempt with the code.
async fn prefill_job(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    account: &Account,
    filing: &Filing,
) -> Result<Prefilled, PortalError> {
    match attempt(browser, sb, root, job, 1, account, filing, None).await {
        Err(PortalError::NeedsHuman {
            ask: HumanInput::TwoFactorCode { .. },
            ..
        }) => {
            let code = sb.pending_code(&account.email);
            attempt(browser, sb, root, job, 2, account, filing, code).await
        }
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
async fn attempt(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    n: u32,
    account: &Account,
    filing: &Filing,
    code: Option<String>,
) -> Result<Prefilled, PortalError> {
    let password = SecretString::from(account.password.clone());
    let code = code.map(SecretString::from);
    let mut secrets = vec![&password];
    secrets.extend(code.as_ref());
    let recorder =
        Recorder::start(root, job, n, Redactor::new(secrets)).map_err(PortalError::from)?;
    let page = browser
        .new_page()
        .await
        .map_err(|e| PortalError::Retryable {
            step: "open a page".into(),
            reason: e.to_string(),
            screenshot: None,
        })?;
    let credentials = Credentials {
        username: account.email.clone(),
        password: password.clone(),
        two_factor_code: code,
    };
    let result = {
        let mut session = Session::new(&page, &recorder, sb.url(), credentials);
        script_for(sb.portal()).prefill(&mut session, filing).await
    };
    let _ = page.close().await;
    result
}

/// Peak memory seen while sampling, in KiB.
#[derive(Clone, Copy, Debug, Default)]
struct Peak {
    chromium_rss: u64,
    chromium_pss: u64,
    chromium_processes: usize,
    worker_rss: u64,
}

fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn pss_kib(pid: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Chromium's processes: the browser process, everything descending from it (zygotes,
/// renderers, GPU and network services), and anything else running with its profile directory.
fn chromium_processes(root_pid: u32, profile: Option<&Path>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needle = profile.map(|p| format!("--user-data-dir={}", p.display()));
    let mut parent = std::collections::HashMap::new();
    let mut by_profile = Vec::new();
    for e in entries.flatten() {
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Ok(pid) = name.parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // After the command name in parentheses: state, ppid, …
        let mut rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .unwrap_or("")
            .split_whitespace();
        let state = rest.next();
        let ppid: Option<u32> = rest.next().and_then(|p| p.parse().ok());
        if state == Some("Z") {
            continue;
        }
        if let Some(ppid) = ppid {
            parent.insert(pid, ppid);
        }
        if let Some(needle) = &needle {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            if cmdline
                .split(|b| *b == 0)
                .any(|arg| arg == needle.as_bytes())
            {
                by_profile.push(pid);
            }
        }
    }
    let descends = |mut pid: u32| {
        for _ in 0..64 {
            if pid == root_pid {
                return true;
            }
            match parent.get(&pid) {
                Some(&p) if p > 1 => pid = p,
                _ => return false,
            }
        }
        false
    };
    let mut pids: Vec<u32> = parent.keys().copied().filter(|&p| descends(p)).collect();
    pids.extend(by_profile);
    pids.sort_unstable();
    pids.dedup();
    pids.into_iter().map(|p| p.to_string()).collect()
}

/// Samples memory in the background until stopped; returns the peaks.
struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Peak>,
}

impl Sampler {
    fn start(browser: Arc<Browser>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = Peak::default();
            loop {
                let done = flag.load(Ordering::SeqCst);
                if let Some(pid) = browser.pid().await {
                    let profile = browser.profile_dir().await;
                    let pids = chromium_processes(pid, profile.as_deref());
                    let rss: u64 = pids.iter().filter_map(|p| status_kib(p, "VmRSS:")).sum();
                    let pss: u64 = pids.iter().filter_map(|p| pss_kib(p)).sum();
                    peak.chromium_rss = peak.chromium_rss.max(rss);
                    peak.chromium_pss = peak.chromium_pss.max(pss);
                    peak.chromium_processes = peak.chromium_processes.max(pids.len());
                }
                let me = status_kib("self", "VmRSS:").unwrap_or(0);
                peak.worker_rss = peak.worker_rss.max(me);
                if done {
                    return peak;
                }
                tokio::time::sleep(SAMPLE_EVERY).await;
            }
        });
        Self { stop, task }
    }

    async fn finish(self) -> Peak {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap_or_default()
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// What one concurrency level measured.
struct Level {
    sessions: usize,
    filings: usize,
    failures: Vec<String>,
    wall: Duration,
    latencies: Vec<Duration>,
    peak: Peak,
}

impl Level {
    fn per_minute(&self) -> f64 {
        (self.filings - self.failures.len()) as f64 / self.wall.as_secs_f64() * 60.0
    }
}

/// One filing of a level: how long it took, and why it does not count if it does not.
struct Done {
    took: Duration,
    error: Option<String>,
}

/// Runs `filings` prefills with `sessions` sessions at once, each on a blocking thread of its own
/// the way the worker runs a job, taking the next filing when it finishes one.
async fn run_level(
    browser: &Arc<Browser>,
    sb: &Arc<RunningSandbox>,
    root: &Path,
    work: &Path,
    sessions: usize,
    filings: usize,
) -> Level {
    let run = format!("{sessions:02}");
    let todo: Arc<Vec<Filing>> =
        Arc::new((0..filings).map(|i| filing_for(work, &run, i)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<Done>>> = Arc::default();
    let sampler = Sampler::start(browser.clone());
    let started = Instant::now();
    let mut slots = Vec::new();
    for slot in 0..sessions {
        let (browser, sb, todo, next, results) = (
            browser.clone(),
            sb.clone(),
            todo.clone(),
            next.clone(),
            results.clone(),
        );
        let root = root.to_path_buf();
        let run = run.clone();
        slots.push(tokio::spawn(async move {
            let account = slot_account(slot);
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(filing) = todo.get(i) else {
                    break;
                };
                let job = format!("level{run}-filing{i:04}");
                let t = Instant::now();
                let res = prefill_job(&browser, &sb, &root, &job, &account, filing).await;
                let took = t.elapsed();
                let error = check(res, &job).err();
                results.lock().expect("results").push(Done { took, error });
            }
        }));
    }
    for s in slots {
        s.await.expect("a session panicked");
    }
    let wall = started.elapsed();
    let peak = sampler.finish().await;
    let results = std::mem::take(&mut *results.lock().expect("results"));
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for done in results {
        match done.error {
            None => latencies.push(done.took),
            Some(e) => failures.push(e),
        }
    }
    Level {
        sessions,
        filings,
        failures,
        wall,
        latencies,
        peak,
    }
}

/// A prefill counts only when it created a new draft.
fn check(res: Result<Prefilled, PortalError>, job: &str) -> Result<Prefilled, String> {
    match res {
        Ok(p) if p.resumed_draft => Err(format!("{job}: resumed a draft instead of creating one")),
        Ok(p) => Ok(p),
        Err(e) => Err(format!("{job}: {e}")),
    }
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let chromium = std::process::Command::new("/usr/bin/chromium")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "chromium: version unknown".into());
    format!("{cores} cores ({cpu}), {chromium}")
}

#[tokio::main]
async fn main() {
    let args = args();
    let portal = args.portal;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("recordings");
    let work = dir.path().join("attachments");
    std::fs::create_dir_all(&work).expect("attachments dir");
    let expected = 1 + WARM_RUNS + LEVELS.len() * args.filings_per_level;

    let mut config = SandboxConfig::new(portal);
    config.accounts = (0..LEVELS.iter().copied().max().unwrap_or(1))
        .map(slot_account)
        .collect();
    let sb = Arc::new(sandboxes::spawn(config).await.expect("sandbox"));
    println!(
        "prefill benchmark on the {portal} sandbox ({}), {}",
        sb.url(),
        machine()
    );
    if sb.spec().two_factor {
        println!("{portal}: each filing is two attempts, the second with the e-mailed code");
    }

    let account = slot_account(0);
    let cold_filing = filing_for(&work, "00", 0);
    let t = Instant::now();
    let browser = Arc::new(
        Browser::launch(BrowserConfig::default())
            .await
            .expect("Chromium"),
    );
    let launch = t.elapsed();
    let mut failures = Vec::new();
    let cold_res = prefill_job(&browser, &sb, &root, "cold", &account, &cold_filing).await;
    let cold = t.elapsed();
    if let Err(e) = check(cold_res, "cold") {
        failures.push(e);
    }

    let mut warm = Vec::new();
    let mut readback = Vec::new();
    for i in 1..=WARM_RUNS {
        let f = filing_for(&work, "00", i);
        let job = format!("warm{i:02}");
        let t = Instant::now();
        let res = prefill_job(&browser, &sb, &root, &job, &account, &f).await;
        let took = t.elapsed();
        match check(res, &job) {
            Ok(p) => {
                warm.push(took);
                readback.push(p.readback_time);
            }
            Err(e) => failures.push(e),
        }
    }

    // The same warm prefills on Atlas (server-rendered), in this run and this Chromium, so the
    // other stacks are measured against it on an equally loaded machine.
    let mut atlas_warm = Vec::new();
    if portal != OpcoId::Atlas && !warm.is_empty() {
        let mut config = SandboxConfig::new(OpcoId::Atlas);
        config.accounts = vec![slot_account(0)];
        let atlas = Arc::new(sandboxes::spawn(config).await.expect("Atlas sandbox"));
        let atlas_root = dir.path().join("recordings-atlas");
        for i in 0..=WARM_RUNS {
            let f = filing_for(&work, "at", i);
            let job = format!("atlas{i:02}");
            let t = Instant::now();
            let res = prefill_job(&browser, &atlas, &atlas_root, &job, &account, &f).await;
            let took = t.elapsed();
            match check(res, &job) {
                // The first one warms Atlas's pages up and is not counted.
                Ok(_) if i > 0 => atlas_warm.push(took),
                Ok(_) => {}
                Err(e) => failures.push(e),
            }
        }
    }

    let mut levels = Vec::new();
    for sessions in LEVELS {
        eprintln!(
            "{} filings, {sessions} session(s) at once…",
            args.filings_per_level
        );
        let level = run_level(
            &browser,
            &sb,
            &root,
            &work,
            sessions,
            args.filings_per_level,
        )
        .await;
        failures.extend(level.failures.iter().cloned());
        levels.push(level);
    }
    let launches = browser.launches();
    let _ = browser.close().await;

    println!();
    println!(
        "one filing, cold (Chromium launch + login + every page + draft): {:8.0} ms (launch {:.0} ms)",
        ms(cold),
        ms(launch)
    );
    if !warm.is_empty() {
        println!(
            "one filing, warm, {} in a row: median {:6.0} ms, p95 {:6.0} ms",
            warm.len(),
            ms(median(&warm)),
            ms(p95(&warm))
        );
        if !atlas_warm.is_empty() {
            println!(
                "the same on Atlas in this run: median {:6.0} ms; {portal} / Atlas = {:.2} (goal: within 1.5)",
                ms(median(&atlas_warm)),
                ms(median(&warm)) / ms(median(&atlas_warm)).max(f64::EPSILON)
            );
        }
        let spent: Duration = readback.iter().sum();
        let total: Duration = warm.iter().sum();
        println!(
            "reading back what the portal kept (every page's controls, the summary): median {:6.1} ms a filing, {:.1} % of the warm prefills' time (goal: under 15 %)",
            ms(median(&readback)),
            100.0 * spent.as_secs_f64() / total.as_secs_f64().max(f64::EPSILON)
        );
    }
    println!();
    println!(
        "{:>8} {:>7} {:>8} {:>9} {:>7} {:>11} {:>11} {:>14} {:>14} {:>10} {:>10}",
        "sessions",
        "filings",
        "wall s",
        "per min",
        "vs 1",
        "median ms",
        "p95 ms",
        "chromium RSS",
        "chromium PSS",
        "processes",
        "worker RSS"
    );
    let base = levels.first().map(Level::per_minute).unwrap_or(0.0);
    for l in &levels {
        let (med, p) = if l.latencies.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (ms(median(&l.latencies)), ms(p95(&l.latencies)))
        };
        println!(
            "{:>8} {:>7} {:>8.1} {:>9.1} {:>7.2} {:>11.0} {:>11.0} {:>10.0} MiB {:>10.0} MiB {:>10} {:>6.0} MiB",
            l.sessions,
            l.filings - l.failures.len(),
            l.wall.as_secs_f64(),
            l.per_minute(),
            if base > 0.0 {
                l.per_minute() / base
            } else {
                f64::NAN
            },
            med,
            p,
            mib(l.peak.chromium_rss),
            mib(l.peak.chromium_pss),
            l.peak.chromium_processes,
            mib(l.peak.worker_rss),
        );
    }
    println!(
        "(peaks sampled every {} ms; RSS counts shared pages once per process, PSS shares them out; the worker is this process, sandbox included)",
        SAMPLE_EVERY.as_millis()
    );

    // The numbers count only if the portal holds exactly what the run should have left.
    let requests = sb.requests();
    let dossiers = sb.dossiers();
    let mut names: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.values.get("trainee_last_name").map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    let complete = requests.iter().filter(|r| r.files.len() == 3).count();
    if requests.len() != expected {
        failures.push(format!(
            "the sandbox holds {} requests, expected {expected}",
            requests.len()
        ));
    }
    if names.len() != expected || complete != expected {
        failures.push(format!(
            "{} distinct trainees and {complete} requests with their 3 attachments, expected {expected}",
            names.len()
        ));
    }
    if !dossiers.is_empty() {
        failures.push(format!(
            "{} dossiers were submitted; a prefill must submit none",
            dossiers.len()
        ));
    }
    if launches != 1 {
        println!("note: Chromium was recycled during the run ({launches} launches)");
    }
    drop(dir);
    if failures.is_empty() {
        println!(
            "checked: {expected} drafts on the sandbox, one per filing, with their attachments; no dossier submitted"
        );
    } else {
        eprintln!("the benchmark is not valid:");
        for f in &failures {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
}
