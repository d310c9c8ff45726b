//! Shared test support: one Chromium per test, always closed (even when an assertion panics),
//! sandboxes on port 0, a valid filing with real PDF attachments.

#![allow(dead_code)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Duration;

use browser::{Browser, BrowserConfig};
use chrono::NaiveDate;
use domain::OpcoId;
use domain::{Euros, Nda, Siret};
use futures::FutureExt;
use portals::{
    Action, Attachments, Company, Contract, Credentials, Filing, Modality, PortalScript, Provider,
    Session, Trainee,
};
use recordings::{Recorder, Redactor};
use sandboxes::{Account, Faults, PortalSpec, RunningSandbox, SandboxConfig};
use secrecy::SecretString;

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Runs `body` with a fresh Chromium and closes it afterwards, whatever happened.
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(&'static Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let cfg = BrowserConfig {
        call_timeout: Duration::from_secs(15),
        ..BrowserConfig::default()
    };
    // Leaked so the body's future can borrow it for as long as it runs; closed below.
    let browser: &'static Browser = Box::leak(Box::new(Browser::launch(cfg).await.unwrap()));
    let outcome = AssertUnwindSafe(body(browser)).catch_unwind().await;
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
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
