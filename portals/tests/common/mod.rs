//! Shared test support: one Chromium per test binary (each test in its own incognito context),
//! sandboxes on port 0, a valid filing with real PDF attachments.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use browser::{Browser, BrowserConfig};
use chrono::NaiveDate;
use domain::OpcoId;
use domain::{Euros, Nda, Siret};
use portals::{
    Action, Attachments, Company, Contract, Credentials, Filing, Modality, PortalScript, Provider,
    Session, Trainee,
};
use recordings::{Recorder, Redactor};
use sandboxes::{Account, Faults, PortalSpec, RunningSandbox, SandboxConfig};
use secrecy::SecretString;

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// The Chromium every test of this binary shares, as the worker shares one between its jobs:
/// each test opens its own incognito context (cookies, storage and cache of its own). It runs on
/// a runtime of its own, so it outlives the test that happened to start it, and it is killed when
/// the binary exits.
struct SharedChromium {
    browser: Browser,
    _runtime: tokio::runtime::Runtime,
}

static SHARED: OnceLock<SharedChromium> = OnceLock::new();
static SHARED_PID: AtomicU32 = AtomicU32::new(0);
static SHARED_PROFILE: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn kill_shared_chromium() {
    let pid = SHARED_PID.load(Ordering::SeqCst);
    if pid != 0 {
        // SIGKILL, as the engine does when a browser is dropped: its helpers see it go and end.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    if let Some(dir) = SHARED_PROFILE.get() {
        for _ in 0..20 {
            if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Statics are never dropped: without this, the shared Chromium would outlive the binary (and
/// keep the test run's output open).
#[allow(unsafe_code)]
fn kill_at_exit() {
    // SAFETY: registers a function taking and returning nothing, run once by exit(3); it only
    // reads two statics and runs `kill`.
    unsafe {
        libc::atexit(kill_shared_chromium);
    }
}

fn shared_browser() -> &'static Browser {
    &SHARED
        .get_or_init(|| {
            // Launched from a thread outside the calling test's runtime, on a runtime that lives
            // as long as the binary: the connection's task must not end with the first test.
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap();
                let cfg = BrowserConfig {
                    call_timeout: Duration::from_secs(15),
                    // Never recycled: a relaunch from a test would tie Chromium to its runtime.
                    recycle_after_pages: None,
                    ..BrowserConfig::default()
                };
                let browser = runtime.block_on(Browser::launch(cfg)).unwrap();
                let (pid, profile) =
                    runtime.block_on(async { (browser.pid().await, browser.profile_dir().await) });
                SHARED_PID.store(pid.unwrap_or(0), Ordering::SeqCst);
                if let Some(profile) = profile {
                    let _ = SHARED_PROFILE.set(profile);
                }
                kill_at_exit();
                SharedChromium {
                    browser,
                    _runtime: runtime,
                }
            })
            .join()
            .expect("Chromium starts for the tests")
        })
        .browser
}

/// Runs `body` with the binary's shared Chromium.
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(&'static Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    body(shared_browser()).await;
}

pub async fn sandbox(portal: OpcoId, faults: Faults) -> RunningSandbox {
    let mut config = SandboxConfig::new(portal);
    config.faults = faults;
    sandboxes::spawn(config).await.unwrap()
}

/// The registered script of a portal.
pub fn script_for(portal: OpcoId) -> &'static PortalScript {
    portals::script(portal).unwrap_or_else(|| panic!("{portal} has no script"))
}

/// The registered sandbox of a portal.
pub fn spec_of(portal: OpcoId) -> &'static PortalSpec {
    sandboxes::spec(portal).unwrap_or_else(|| panic!("{portal} has no sandbox"))
}

/// Writes the three attachments into `dir` and returns a valid filing.
pub fn filing(dir: &Path, last_name: &str) -> Filing {
    let mut paths = Vec::new();
    for name in [
        "devis-signe.pdf",
        "programme-bilan.pdf",
        "convention-tripartite.pdf",
    ] {
        let p = dir.join(name);
        std::fs::write(&p, PDF).unwrap();
        paths.push(p);
    }
    Filing {
        company: Company {
            siret: Siret::parse("73282932000074").unwrap(),
            opco_account: "ADH-448812".into(),
        },
        trainee: Trainee {
            last_name: last_name.into(),
            first_names: "Marie Claire".into(),
            birth_date: NaiveDate::from_ymd_opt(1985, 4, 12).unwrap(),
            job_title: "Assistante de direction".into(),
            contract: Contract::Cdi,
        },
        action: Action {
            title: "Bilan de compétences".into(),
            start: NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
            end: NaiveDate::from_ymd_opt(2027, 4, 20).unwrap(),
            hours: 24,
            modality: Modality::Mixte,
            cost_ht: Euros::from_cents(180_000),
        },
        subrogation: true,
        provider: Provider {
            name: "Haguenau Formation".into(),
            siret: Siret::parse("55208131766522").unwrap(),
            nda: Nda::parse("42670000000").unwrap(),
            qualiopi: true,
        },
        attachments: Attachments {
            quote: paths[0].clone(),
            programme: paths[1].clone(),
            agreement: paths[2].clone(),
        },
    }
}

pub fn demo_credentials(code: Option<String>) -> Credentials {
    let demo = Account::demo();
    Credentials {
        username: demo.email,
        password: SecretString::from(demo.password),
        two_factor_code: code.map(SecretString::from),
    }
}

/// A recorder for one attempt, masking the demo password and the code.
pub fn recorder(root: &Path, job: &str, attempt: u32, code: Option<&str>) -> Recorder {
    let mut secrets = vec![SecretString::from(Account::demo().password)];
    if let Some(c) = code {
        secrets.push(SecretString::from(c.to_owned()));
    }
    Recorder::start(root, job, attempt, Redactor::new(&secrets)).unwrap()
}

/// Logs the second factor in for AKTO ahead of time: asks once, reads the code "from the mailbox".
pub fn code_for(sb: &RunningSandbox) -> Option<String> {
    sb.pending_code(&Account::demo().email)
}

pub fn session<'a>(
    page: &'a browser::Page,
    rec: &'a Recorder,
    sb: &RunningSandbox,
    code: Option<String>,
    load: Duration,
) -> Session<'a> {
    Session::new(page, rec, sb.url(), demo_credentials(code))
        .with_timeouts(Duration::from_secs(3), load)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// One operation of a script, as the worker runs it: a fresh incognito context, a session, and
/// for AKTO the second factor answered the way a person would (read the code, resume).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Prefill,
    Submit,
    Statuses,
}

#[derive(Debug)]
pub enum Outcome {
    Prefilled(portals::Prefilled),
    Submitted(portals::Submitted),
    Statuses(Vec<portals::DossierStatus>),
}

#[allow(clippy::too_many_arguments)]
pub async fn run_once(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    attempt: u32,
    op: Op,
    filing: &Filing,
    code: Option<String>,
) -> Result<Outcome, portals::PortalError> {
    run_with(
        browser,
        sb,
        root,
        job,
        attempt,
        op,
        filing,
        code,
        Duration::from_secs(10),
    )
    .await
}

/// [`run_once`] with another page-load limit.
#[allow(clippy::too_many_arguments)]
pub async fn run_with(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    attempt: u32,
    op: Op,
    filing: &Filing,
    code: Option<String>,
    load: Duration,
) -> Result<Outcome, portals::PortalError> {
    let script = script_for(sb.portal());
    let ctx = browser.new_context().await.unwrap();
    let page = ctx.new_page().await.unwrap();
    let rec = recorder(root, job, attempt, code.as_deref());
    // As the worker does: a prefill resumes the draft an earlier attempt of this job started.
    let resume = match op {
        Op::Prefill => portals::started_draft(&recordings::Store::new(root), job),
        _ => None,
    };
    let mut s = session(&page, &rec, sb, code, load).resuming(resume);
    let res = match op {
        Op::Prefill => script.prefill(&mut s, filing).await.map(Outcome::Prefilled),
        Op::Submit => script.submit(&mut s, filing).await.map(Outcome::Submitted),
        Op::Statuses => script.statuses(&mut s).await.map(Outcome::Statuses),
    };
    let _ = ctx.close().await;
    res
}

/// Runs an operation; when the portal asks for a code, reads it and resumes (as staff would).
pub async fn run(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    op: Op,
    filing: &Filing,
) -> Result<Outcome, portals::PortalError> {
    match run_once(browser, sb, root, job, 1, op, filing, None).await {
        Err(portals::PortalError::NeedsHuman {
            ask: portals::HumanInput::TwoFactorCode { .. },
            ..
        }) => {
            let code = code_for(sb).expect("the sandbox sent a code");
            run_once(browser, sb, root, job, 2, op, filing, Some(code)).await
        }
        other => other,
    }
}
