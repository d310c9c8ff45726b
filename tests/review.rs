//! The whole path of a funding request, for each portal sandbox, through the API and the staff
//! review page driven in real Chromium by the project's own browser engine: prefill → ready for
//! review (with recordings) → a person confirms on the page → submitted with the sandbox's dossier
//! number → polled to accordé and to refusé → webhooks received. On AKTO, whose portal sends a
//! code by e-mail at each login, staff type that code on the page whenever it is asked.
//! Also: a worker killed between the portal's confirmation and our state save leaves one dossier;
//! the "kept on the portal" column is read from the portal and a value it did not keep cannot be
//! confirmed; a submit whose acknowledgement cannot be read is "to be checked", never "nothing
//! filed", and a retry finds the dossier instead of filing again; when the store's database goes
//! away every page says the service is unavailable (503) instead of listing nothing.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use browser::locator::{self, Locator, Role};
use serde_json::{Value, json};
use support::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const STAFF_PASSWORD: &str = "relecture-des-depots-2026";
const ACCOUNT: &str = "ADH-448812";
const LOAD: Duration = Duration::from_secs(20);

fn filing(dir: &std::path::Path, last_name: &str, first_names: &str) -> Value {
    let mut paths = Vec::new();
    for name in ["devis.pdf", "programme.pdf", "convention.pdf"] {
        // Uploaded with the job: the API takes no path on its own disk.
        let _ = dir;
        paths.push(
            json!({ "name": format!("{last_name}-{name}"), "content_base64": BASE64.encode(PDF) }),
        );
    }
    json!({
        "company": { "siret": "73282932000074", "opco_account": ACCOUNT },
        "trainee": {
            "last_name": last_name, "first_names": first_names, "birth_date": "1985-04-12",
            "job_title": "Assistante de direction", "contract": "cdi"
        },
        "action": {
            "title": "Bilan de compétences", "start": "2027-03-02", "end": "2027-04-20",
            "hours": 24, "modality": "mixte", "cost_ht": 180000
        },
        "subrogation": true,
        "provider": { "name": "Haguenau Formation", "siret": "55208131766522", "nda": "42670000000", "qualiopi": true },
        "attachments": { "quote": paths[0], "programme": paths[1], "agreement": paths[2] }
    })
}

type Hooks = Arc<Mutex<Vec<Value>>>;

/// One fleet at a time. Two fleets, each with its Chromium and its portal sessions, on two cores
/// left filings in `submitting` for minutes (seen in a clean CI run and locally, never with one
/// fleet); the cause is not found yet, and these tests check the path, not that contention.
static ONE_FLEET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn webhook_receiver() -> (String, Hooks) {
    let received: Hooks = Arc::default();
    let app = {
        let received = received.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let received = received.clone();
                async move {
                    received
                        .lock()
                        .unwrap()
                        .push(serde_json::from_str(&body).unwrap_or(Value::Null));
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

struct Fleet {
    app: Process,
    api: Api,
    config: std::path::PathBuf,
    dir: tempfile::TempDir,
}

/// The configuration of a fleet serving the review page to one staff member.
fn review_config(
    dir: &std::path::Path,
    backend: &Backend,
    portal: (&str, &str),
    webhook: Option<&str>,
) -> std::path::PathBuf {
    let hash = worker::review::hash_password(STAFF_PASSWORD).unwrap();
    let (slug, url) = portal;
    let extra = format!(
        r#"
[portals.{slug}]
base_url = "{url}"

[polling]
enabled = false

[review]
submit_max_attempts = 3

[[review.staff]]
login = "claire"
name = "Claire Martin"
password_hash = "{hash}"
"#
    );
    let config = write_config(dir, backend, webhook, "");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + &extra).unwrap();
    config
}

async fn start_fleet(
    sandbox: &sandboxes::RunningSandbox,
    slug: &str,
    webhook: Option<&str>,
) -> Fleet {
    start_fleet_on(&Backend::Embedded, sandbox, slug, webhook).await
}

async fn start_fleet_on(
    backend: &Backend,
    sandbox: &sandboxes::RunningSandbox,
    slug: &str,
    webhook: Option<&str>,
) -> Fleet {
    let dir = tempfile::tempdir().unwrap();
    let config = review_config(dir.path(), backend, (slug, sandbox.url()), webhook);
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    // The client's login goes into the vault through the write-only API.
    let demo = sandboxes::Account::demo();
    let (status, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            slug,
            ACCOUNT,
            &json!({ "username": demo.email, "password": demo.password }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    Fleet {
        app,
        api,
        config,
        dir,
    }
}

/// Snapshots the API's JSON of `value`, with what changes from run to run redacted.
fn snapshot(name: &str, fleet: &Fleet, sandbox: &sandboxes::RunningSandbox, value: &Value) {
    let dir = fleet.dir.path().display().to_string();
    let value = redacted(value, &[(&dir, "[dir]"), (sandbox.url(), "[sandbox]")]);
    insta::assert_json_snapshot!(name, value);
}

async fn filing_view(api: &Api, id: &str) -> Value {
    let (status, body) = api.get(READ_TOKEN, &format!("/v1/filings/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A staff member on the review page.
struct Reviewer {
    page: browser::Page,
    base: String,
}

impl Reviewer {
    async fn login(browser: &browser::Browser, base: &str) -> Self {
        let page = browser.new_page().await.unwrap();
        page.goto(&format!("{base}/review")).await.unwrap();
        // Not logged in: the list sends to the login form.
        Locator::label("Identifiant")
            .fill(&page, "claire")
            .await
            .unwrap();
        Locator::label("Mot de passe")
            .fill(&page, "pas le bon mot de passe")
            .await
            .unwrap();
        Locator::button("Se connecter")
            .click_and_wait_for_load(&page, LOAD)
            .await
            .unwrap();
        assert!(
            self::text(&page)
                .await
                .contains("Identifiant ou mot de passe incorrect"),
            "a wrong password must be refused"
        );
        Locator::label("Identifiant")
            .fill(&page, "claire")
            .await
            .unwrap();
        Locator::label("Mot de passe")
            .fill(&page, STAFF_PASSWORD)
            .await
            .unwrap();
        Locator::button("Se connecter")
            .click_and_wait_for_load(&page, LOAD)
            .await
            .unwrap();
        assert!(self::text(&page).await.contains("Dossiers à relire"));
        Self {
            page,
            base: base.to_owned(),
        }
    }

    async fn open(&self, trainee: &str) {
        self.page
            .goto(&format!("{}/review", self.base))
            .await
            .unwrap();
        Locator::link(format!("Ouvrir le dossier de {trainee}"))
            .click_and_wait_for_load(&self.page, LOAD)
            .await
            .unwrap();
    }

    async fn click(&self, button: &str) {
        Locator::role(Role::Button, button)
            .click_and_wait_for_load(&self.page, LOAD)
            .await
            .unwrap();
    }
}

async fn text(page: &browser::Page) -> String {
    locator::page_text(page).await.unwrap()
}

/// Waits until the filing leaves the working states; types the portal's code whenever asked.
async fn settle(
    fleet: &Fleet,
    reviewer: &Reviewer,
    sandbox: &sandboxes::RunningSandbox,
    id: &str,
    trainee: &str,
    want: &str,
) -> Value {
    // Two prefills and their submits share two cores with a second fleet and two Chromiums:
    // one clean CI run took over 120 s here (twice the usual time). A filing that never moves
    // still fails, with the fleet's log.
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let view = filing_view(&fleet.api, id).await;
        let state = view["state"].as_str().unwrap().to_owned();
        if state == want {
            return view;
        }
        if state == "needs_input" {
            reviewer.open(trainee).await;
            // A code is good for one login: another job of the same account may have used it.
            match sandbox.pending_code(&sandboxes::Account::demo().email) {
                Some(code) => {
                    Locator::label("Code de vérification reçu par e-mail")
                        .fill(&reviewer.page, &code)
                        .await
                        .unwrap();
                    reviewer.click("Envoyer le code au portail").await;
                }
                None => reviewer.click("Demander un nouveau code").await,
            }
        } else {
            assert!(
                matches!(state.as_str(), "prefilling" | "submitting"),
                "filing {id} ended as {state} instead of {want}:\n{view:#}\n{}",
                fleet.app.log_text()
            );
        }
        if Instant::now() >= deadline {
            panic!("{}", stuck(fleet, id, &state, &view).await);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Why a filing did not move, most telling first (CI keeps only the head and the tail of a long
/// failure): its current job as the API shows it, that job's own log lines, the filing's history,
/// then the whole filing.
async fn stuck(fleet: &Fleet, id: &str, state: &str, view: &Value) -> String {
    let job_id = view["current_job_id"].as_str().unwrap_or_default();
    let mut job = fleet.api.job(job_id).await;
    if let Some(j) = job.as_object_mut() {
        j.remove("input");
    }
    let log = fleet.app.log_text();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(job_id)).collect();
    let from = lines.len().saturating_sub(40);
    format!(
        "filing {id} stuck in {state}; its job {job_id}:\n{job:#}\nthat job's last log lines:\n{}\nhistory: {:#}\nthe filing: {view:#}",
        lines[from..].join("\n"),
        view["events"]
    )
}

/// Queues a polling round and answers the portal's code on the review page if it asks.
async fn poll(fleet: &Fleet, reviewer: &Reviewer, sandbox: &sandboxes::RunningSandbox, slug: &str) {
    let (status, job) = fleet
        .api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "poll_status", "input": { "opco": slug, "account": ACCOUNT } }),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = fleet.api.job(&id).await;
        if matches!(
            job["state"].as_str(),
            Some("succeeded" | "needs_human" | "failed")
        ) {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "polling round stuck: {job:#}\n{}",
            fleet.app.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    if job["state"] == "needs_human" {
        assert_eq!(job["error"]["code"], "two_factor_code_needed", "{job:#}");
        let code = sandbox
            .pending_code(&sandboxes::Account::demo().email)
            .unwrap();
        reviewer
            .page
            .goto(&format!("{}/review", reviewer.base))
            .await
            .unwrap();
        Locator::label(format!(
            "Code de vérification pour le suivi {} {ACCOUNT}",
            job["input"]["opco"]
                .as_str()
                .and_then(|s| domain::OpcoId::from_slug(s).ok())
                .unwrap()
                .name()
        ))
        .fill(&reviewer.page, &code)
        .await
        .unwrap();
        reviewer.click("Envoyer le code au portail").await;
        fleet
            .api
            .wait_state(&id, "succeeded", Duration::from_secs(90))
            .await;
    } else {
        assert_eq!(job["state"], "succeeded", "{job:#}");
    }
}

/// Queues one `prefill_filing` job per trainee; returns each filing's id and trainee as listed.
async fn prefills(fleet: &Fleet, slug: &str, trainees: &[(&str, &str)]) -> Vec<(String, String)> {
    let attachments = fleet.dir.path().join("pdf");
    std::fs::create_dir_all(&attachments).unwrap();
    let mut ids = Vec::new();
    for (last, first) in trainees {
        let (status, job) = fleet
            .api
            .create(
                Some(WRITE_TOKEN),
                Some(&format!("prefill-{last}")),
                &json!({ "kind": "prefill_filing", "input": { "opco": slug, "filing": filing(&attachments, last, first) } }),
            )
            .await;
        assert_eq!(status, 201, "{job}");
        ids.push((
            job["id"].as_str().unwrap().to_owned(),
            format!("{} {first}", last.to_uppercase()),
        ));
    }
    ids
}

/// Step: a filing ready for review shows its recordings and values, and staff confirm it; returns
/// the portal's dossier number.
async fn staff_check_and_confirm(
    fleet: &Fleet,
    reviewer: &Reviewer,
    sandbox: &sandboxes::RunningSandbox,
    slug: &str,
    (id, trainee): (&str, &str),
    snapshots: bool,
) -> String {
    let filed_before = sandbox.dossiers().len();
    let view = settle(fleet, reviewer, sandbox, id, trainee, "ready_for_review").await;
    // The API's JSON of the job and of the filing, as an integrator reads them.
    if snapshots {
        snapshot(
            "atlas_prefill_job_ready_for_review",
            fleet,
            sandbox,
            &fleet.api.job(id).await,
        );
        snapshot("atlas_filing_ready_for_review", fleet, sandbox, &view);
    }
    // Recordings: every filled page's screenshot is on disk and is a PNG.
    let shots = view["review"]["final_screenshots"].as_array().unwrap();
    assert!(shots.len() >= 2, "{view:#}");
    for s in shots {
        let png = std::fs::read(s.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{s}");
    }
    assert_eq!(
        sandbox.dossiers().len(),
        filed_before,
        "nothing is submitted before staff confirm"
    );

    reviewer.open(trainee).await;
    let page_text = text(&reviewer.page).await;
    for expected in [
        trainee,
        "Prêt pour relecture",
        "Ce qui était demandé",
        "Conservé sur le portail",
        "Pages du portail",
        "Confirmer le dépôt",
        "Historique",
        "800,00",
    ] {
        assert!(
            page_text.contains(expected),
            "«{expected}» missing from:\n{page_text}"
        );
    }
    // What staff look at: a real screenshot of the page, with the portal's images loaded.
    let png = reviewer.page.screenshot_png().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    // Kept for a person to look at: target/tmp/review-<portal>.png.
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("review-{slug}.png")),
        &png,
    )
    .unwrap();
    let loaded = reviewer
        .page
        .evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 100).length",
        )
        .await
        .unwrap();
    assert!(
        loaded.as_u64().unwrap() >= 2,
        "screenshots not shown: {loaded}"
    );

    reviewer.click("Confirmer le dépôt").await;
    let view = settle(fleet, reviewer, sandbox, id, trainee, "submitted").await;
    let dossier = view["dossier"].as_str().unwrap().to_owned();
    if snapshots {
        let submit = view["current_job_id"].as_str().unwrap();
        snapshot(
            "atlas_submit_job_succeeded",
            fleet,
            sandbox,
            &fleet.api.job(submit).await,
        );
        snapshot("atlas_filing_submitted", fleet, sandbox, &view);
    }
    assert!(
        sandbox
            .dossiers()
            .iter()
            .any(|d| d.dossier.as_deref() == Some(dossier.as_str())),
        "{dossier} is not on the portal"
    );
    assert!(
        view["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "confirmed" && e["actor"] == "staff:claire"),
        "the audit trail names who confirmed: {view:#}"
    );
    dossier
}

/// Step: the portal grants the first dossier and refuses the second; a polling round reads both.
async fn the_portal_answers(
    fleet: &Fleet,
    reviewer: &Reviewer,
    sandbox: &sandboxes::RunningSandbox,
    slug: &str,
    ids: &[(String, String)],
    dossiers: &[String],
) {
    // A portal that asks the employer to confirm the start after its agreement says so then.
    let confirm = sandbox.spec().start_confirmation;
    let granted = if confirm.is_some() {
        sandboxes::StatusChange::StartToConfirm {
            amount_cents: 180_000,
        }
    } else {
        sandboxes::StatusChange::Granted {
            amount_cents: 180_000,
        }
    };
    sandbox.set_status(&dossiers[0], granted).unwrap();
    sandbox
        .set_status(
            &dossiers[1],
            sandboxes::StatusChange::Refused {
                reason: "Plafond annuel atteint".into(),
            },
        )
        .unwrap();
    poll(fleet, reviewer, sandbox, slug).await;
    let granted = filing_view(&fleet.api, &ids[0].0).await;
    assert_eq!(granted["state"], "granted", "{granted:#}");
    if let Some(confirm) = confirm {
        // Upstream reads the step and its last day; staff read it on the filing's page.
        let last_day = (chrono::Utc::now().date_naive() + chrono::Duration::days(confirm.days))
            .format("%Y-%m-%d")
            .to_string();
        let (status, told) = after_agreement(sandbox, confirm.label);
        assert_eq!(granted["portal_status"]["status"], status, "{granted:#}");
        assert_eq!(
            granted["portal_status"]["deadline"],
            last_day.as_str(),
            "{granted:#}"
        );
        reviewer
            .page
            .goto(&format!("{}/review/filings/{}", reviewer.base, ids[0].0))
            .await
            .unwrap();
        let page = text(&reviewer.page).await;
        let shown = chrono::NaiveDate::parse_from_str(&last_day, "%Y-%m-%d")
            .unwrap()
            .format("%d/%m/%Y")
            .to_string();
        assert!(
            page.contains(told) && page.contains(&format!("avant le {shown}")),
            "{page}"
        );
    }
    let rejected = filing_view(&fleet.api, &ids[1].0).await;
    assert_eq!(rejected["state"], "rejected", "{rejected:#}");
    assert!(
        rejected["portal_status"]
            .to_string()
            .contains("Plafond annuel atteint"),
        "{rejected:#}"
    );
}

/// Step: the upstream system heard of each change.
async fn the_upstream_heard_each_change(hooks: &Hooks, ids: &[(String, String)]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen: Vec<(String, String)> = hooks
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h["type"] == "filing.state_changed")
            .map(|h| {
                (
                    h["filing"]["id"].as_str().unwrap_or_default().to_owned(),
                    h["filing"]["state"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let has = |id: &str, state: &str| seen.iter().any(|(i, s)| i == id && s == state);
        if has(&ids[0].0, "ready_for_review")
            && has(&ids[0].0, "submitted")
            && has(&ids[0].0, "granted")
            && has(&ids[1].0, "submitted")
            && has(&ids[1].0, "rejected")
        {
            return;
        }
        assert!(Instant::now() < deadline, "webhooks missing; seen {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the employer must do after an agreement the portal words `label`, as its script's facts
/// read it: the portal status upstream receives, and what the review page tells staff.
fn after_agreement(sandbox: &sandboxes::RunningSandbox, label: &str) -> (String, &'static str) {
    let facts = portals::script(sandbox.portal()).unwrap().facts();
    let kind = facts.statuses[label];
    let status = serde_json::to_value(kind)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let told = match kind {
        portals::StatusKind::StartToConfirm => {
            "le démarrage de l'action doit être confirmé sur le portail"
        }
        portals::StatusKind::OfferToAccept => {
            "l'employeur doit accepter le financement sur le portail"
        }
        other => panic!("{label}: {other:?} asks nothing of the employer"),
    };
    (status, told)
}

/// The review page's button that has the worker make the action after the agreement.
fn agreement_button(sandbox: &sandboxes::RunningSandbox) -> &'static str {
    let confirm = sandbox.spec().start_confirmation.unwrap();
    let facts = portals::script(sandbox.portal()).unwrap().facts();
    match facts.statuses[confirm.label] {
        portals::StatusKind::StartToConfirm => "Confirmer le démarrage sur le portail",
        _ => "Accepter le financement sur le portail",
    }
}

/// Step: staff have the worker make on the portal what the agreement asks of the employer; a
/// second request (another tab, a double click) is refused; the portal counts one action, the
/// filing and upstream hear it done with the portal's new wording.
async fn staff_have_the_action_after_the_agreement_made(
    fleet: &Fleet,
    reviewer: &Reviewer,
    sandbox: &sandboxes::RunningSandbox,
    id: &str,
    dossier: &str,
    hooks: &Hooks,
) {
    let confirm = sandbox.spec().start_confirmation.unwrap();
    let button = agreement_button(sandbox);
    // Listed among what waits for staff, with what the portal awaits and its last day.
    reviewer
        .page
        .goto(&format!("{}/review", reviewer.base))
        .await
        .unwrap();
    let list = text(&reviewer.page).await;
    assert!(
        list.contains("à confirmer sur le portail avant le")
            || list.contains("à accepter sur le portail avant le"),
        "{list}"
    );
    reviewer
        .page
        .goto(&format!("{}/review/filings/{id}", reviewer.base))
        .await
        .unwrap();
    reviewer.click(button).await;
    let page = text(&reviewer.page).await;
    assert!(page.contains("Action demandée"), "{page}");
    // The same decision again, from another session: refused, nothing queued.
    let other = StaffHttp::login(&fleet.api.base).await;
    let (_, _, filing_page) = other.get(&format!("/review/filings/{id}")).await;
    assert!(
        !filing_page.contains(button),
        "asked once, the button is gone"
    );
    let (status, body) = other
        .post(
            &format!("/review/filings/{id}/agreement"),
            &[("csrf", &csrf_of(&filing_page))],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let view = loop {
        let view = filing_view(&fleet.api, id).await;
        let events = view["events"].as_array().unwrap();
        if events.iter().any(|e| e["action"] == "agreement_done") {
            break view;
        }
        assert!(
            view["state"] == "granted",
            "the action stopped:\n{view:#}\n{}",
            fleet.app.log_text()
        );
        if Instant::now() >= deadline {
            panic!("{}", stuck(fleet, id, "granted", &view).await);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(view["portal_label"], confirm.done_label, "{view:#}");
    let done = view["portal_status"]["status"].as_str().unwrap();
    assert!(
        matches!(done, "start_confirmed" | "offer_accepted"),
        "{view:#}"
    );
    assert!(
        view["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "agreement_confirmed" && e["actor"] == "staff:claire"),
        "{view:#}"
    );
    let on_portal = sandbox
        .dossiers()
        .into_iter()
        .find(|d| d.dossier.as_deref() == Some(dossier))
        .unwrap();
    assert_eq!(on_portal.agreement_actions, 1, "made once on the portal");
    assert_eq!(on_portal.status_label, confirm.done_label);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !hooks.lock().unwrap().iter().any(|h| {
        h["filing"]["id"] == id
            && h["filing"]["action"] == "agreement_done"
            && h["filing"]["portal_status"]["status"] == done
    }) {
        assert!(Instant::now() < deadline, "no webhook says the action done");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Done: the page offers nothing more.
    let (_, _, filing_page) = other.get(&format!("/review/filings/{id}")).await;
    assert!(!filing_page.contains(button) && !filing_page.contains("Action demandée"));
}

async fn the_whole_path(portal: sandboxes::Portal, slug: &str) {
    let _one_fleet = ONE_FLEET.lock().await;
    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(portal))
        .await
        .unwrap();
    let (hook, hooks) = webhook_receiver().await;
    let mut fleet = start_fleet(&sandbox, slug, Some(&hook)).await;
    let chromium = browser::Browser::launch(browser::BrowserConfig::default())
        .await
        .unwrap();

    let ids = prefills(
        &fleet,
        slug,
        &[("Martin", "Marie Claire"), ("Durand", "Paul")],
    )
    .await;
    let reviewer = Reviewer::login(&chromium, &fleet.api.base).await;
    let mut dossiers = Vec::new();
    for (id, trainee) in &ids {
        let snapshots = slug == "atlas" && dossiers.is_empty();
        dossiers.push(
            staff_check_and_confirm(&fleet, &reviewer, &sandbox, slug, (id, trainee), snapshots)
                .await,
        );
    }
    assert_eq!(
        sandbox.dossiers().len(),
        2,
        "exactly one dossier per filing"
    );
    the_portal_answers(&fleet, &reviewer, &sandbox, slug, &ids, &dossiers).await;
    the_upstream_heard_each_change(&hooks, &ids).await;
    if let Some(confirm) = sandbox.spec().start_confirmation {
        let (status, _) = after_agreement(&sandbox, confirm.label);
        let said = hooks.lock().unwrap().iter().any(|h| {
            h["filing"]["id"] == ids[0].0.as_str()
                && h["filing"]["state"] == "granted"
                && h["filing"]["portal_status"]["status"] == status
                && h["filing"]["portal_status"]["deadline"].is_string()
        });
        assert!(
            said,
            "the agreement's webhook names what the employer must do ({status}) and its last day"
        );
        staff_have_the_action_after_the_agreement_made(
            &fleet,
            &reviewer,
            &sandbox,
            &ids[0].0,
            &dossiers[0],
            &hooks,
        )
        .await;
    }

    reviewer.page.close().await.unwrap();
    chromium.close().await.unwrap();
    fleet.app.terminate();
    sandbox.shutdown().await;
}

// One whole path per registered portal (`portals/src/registry.rs`), each on its own stack: AKTO's
// through its identity provider, with the e-mailed code typed by staff on the review page.
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        mod a_filing_goes_from_prefill_through_review_to_granted_and_refused {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $folder() {
                    let opco = domain::OpcoId::$opco;
                    super::the_whole_path(opco, opco.slug()).await;
                }
            )*
        }
    };
}
include!("../portals/src/registry.rs");

/// Waits for a fleet armed with a failure point to die there (not elsewhere).
async fn died_at(armed: &mut Process, failpoint: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while armed.is_running() {
        assert!(
            Instant::now() < deadline,
            "the failure point {failpoint} was not reached:\n{}",
            armed.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        armed.log_text().contains(failpoint),
        "the worker died elsewhere than {failpoint}:\n{}",
        armed.log_text()
    );
}

/// A worker dies right after the portal gave its dossier number, before it saved it: the job
/// taken over finds the dossier and files nothing more.
async fn a_crash_after_the_portals_answer_leaves_one_dossier(portal: sandboxes::Portal) {
    let _one_fleet = ONE_FLEET.lock().await;
    let slug = portal.slug();
    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(portal))
        .await
        .unwrap();
    let mut fleet = start_fleet(&sandbox, slug, None).await;
    let id = prefills(&fleet, slug, &[("Martin", "Marie Claire")]).await[0]
        .0
        .clone();
    fleet
        .api
        .wait_for(&id, Duration::from_secs(90), |j| {
            j["state"] == "needs_human"
        })
        .await;
    fleet.app.terminate();

    // The same fleet again, armed to die right after the portal gives its dossier number.
    let armed = Process::start_with_env(
        &fleet.config,
        &["serve", "--addr", "127.0.0.1:0"],
        &[("MONOPCO_FAILPOINTS", "after_portal_submit")],
    );
    let armed_api = Api::new(armed.addr.as_deref().unwrap());
    let chromium = browser::Browser::launch(browser::BrowserConfig::default())
        .await
        .unwrap();
    let reviewer = Reviewer::login(&chromium, &armed_api.base).await;
    reviewer.open("MARTIN Marie Claire").await;
    reviewer.click("Confirmer le dépôt").await;
    let mut armed = armed;
    died_at(&mut armed, "after_portal_submit").await;
    assert_eq!(
        sandbox.dossiers().len(),
        1,
        "{slug}: the portal took the request"
    );

    // A healthy worker takes the job over when its lease expires: it finds the dossier filed,
    // records its number, and files nothing more.
    let mut healed = Process::start(&fleet.config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(healed.addr.as_deref().unwrap());
    let deadline = Instant::now() + Duration::from_secs(90);
    let view = loop {
        let view = filing_view(&api, &id).await;
        if view["state"] == "submitted" {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "not recovered: {view:#}\n{}",
            healed.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let on_portal = sandbox.dossiers();
    assert_eq!(on_portal.len(), 1, "{slug}: filed twice: {on_portal:?}");
    assert_eq!(view["dossier"].as_str(), on_portal[0].dossier.as_deref());
    let submit = api.job(view["current_job_id"].as_str().unwrap()).await;
    assert_eq!(submit["result"]["already_filed"], true, "{submit:#}");
    assert!(submit["attempts"].as_i64().unwrap() >= 2, "{submit:#}");
    reviewer.page.close().await.unwrap();

    if sandbox.spec().start_confirmation.is_some() {
        let dossier = view["dossier"].as_str().unwrap().to_owned();
        fleet.app = healed;
        fleet.api = api;
        a_crash_after_the_agreement_action_leaves_one_action(
            fleet, &chromium, &sandbox, &id, &dossier,
        )
        .await;
    } else {
        healed.terminate();
    }
    chromium.close().await.unwrap();
    sandbox.shutdown().await;
}

/// The same after the agreement: a worker dies right after the portal took the employer's
/// action, before saving it; the job taken over reads the dossier's status, records it done
/// and clicks nothing more.
async fn a_crash_after_the_agreement_action_leaves_one_action(
    mut fleet: Fleet,
    chromium: &browser::Browser,
    sandbox: &sandboxes::RunningSandbox,
    id: &str,
    dossier: &str,
) {
    let slug = sandbox.portal().slug();
    let actions = || {
        sandbox
            .dossiers()
            .into_iter()
            .find(|d| d.dossier.as_deref() == Some(dossier))
            .map(|d| d.agreement_actions)
    };
    sandbox
        .set_status(
            dossier,
            sandboxes::StatusChange::StartToConfirm {
                amount_cents: 180_000,
            },
        )
        .unwrap();
    let reviewer = Reviewer::login(chromium, &fleet.api.base).await;
    poll(&fleet, &reviewer, sandbox, slug).await;
    reviewer.page.close().await.unwrap();
    fleet.app.terminate();

    let mut armed = Process::start_with_env(
        &fleet.config,
        &["serve", "--addr", "127.0.0.1:0"],
        &[("MONOPCO_FAILPOINTS", "after_portal_agreement")],
    );
    let armed_api = Api::new(armed.addr.as_deref().unwrap());
    let reviewer = Reviewer::login(chromium, &armed_api.base).await;
    reviewer
        .page
        .goto(&format!("{}/review/filings/{id}", reviewer.base))
        .await
        .unwrap();
    reviewer.click(agreement_button(sandbox)).await;
    died_at(&mut armed, "after_portal_agreement").await;
    assert_eq!(actions(), Some(1), "{slug}: the portal took the action");
    reviewer.page.close().await.unwrap();

    let mut healed = Process::start(&fleet.config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(healed.addr.as_deref().unwrap());
    let deadline = Instant::now() + Duration::from_secs(90);
    let view = loop {
        let view = filing_view(&api, id).await;
        let done = view["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "agreement_done");
        if done {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "not recovered: {view:#}\n{}",
            healed.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(actions(), Some(1), "{slug}: acted twice");
    let job = api.job(view["current_job_id"].as_str().unwrap()).await;
    assert_eq!(job["kind"], "act_on_agreement", "{job:#}");
    assert_eq!(job["result"]["already_done"], true, "{job:#}");
    assert!(job["attempts"].as_i64().unwrap() >= 2, "{job:#}");
    healed.terminate();
}

// On Afdas (a single-page app whose submit loads no document; then, after its agreement, the
// offer accepted in its pop-up) and OPCO 2i (server-rendered, a save per step); the path after
// the answer is the same code on every portal.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_after_afdas_accepted_and_before_saving_leaves_one_dossier() {
    a_crash_after_the_portals_answer_leaves_one_dossier(sandboxes::Portal::Afdas).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_after_opco_2i_accepted_and_before_saving_leaves_one_dossier() {
    a_crash_after_the_portals_answer_leaves_one_dossier(sandboxes::Portal::Opco2i).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kept_column_is_read_from_the_portal_and_a_value_it_shortened_cannot_be_confirmed() {
    let _one_fleet = ONE_FLEET.lock().await;
    let mut config = sandboxes::SandboxConfig::new(sandboxes::Portal::Atlas);
    config.faults.short_field = sandboxes::ShortField::Silent;
    let sandbox = sandboxes::spawn(config).await.unwrap();
    let mut fleet = start_fleet(&sandbox, "atlas", None).await;
    let id = prefills(&fleet, "atlas", &[("Martin", "Marie Claire")]).await[0]
        .0
        .clone();
    let chromium = browser::Browser::launch(browser::BrowserConfig::default())
        .await
        .unwrap();
    let reviewer = Reviewer::login(&chromium, &fleet.api.base).await;
    let trainee = "MARTIN Marie Claire";

    // The sandbox kept 12 characters of the job title: the prefill stops, never ready for review.
    let view = settle(&fleet, &reviewer, &sandbox, &id, trainee, "needs_attention").await;
    assert_eq!(view["state_code"], "values_not_kept", "{view:#}");
    snapshot(
        "values_not_kept_job",
        &fleet,
        &sandbox,
        &fleet.api.job(&id).await,
    );
    snapshot("values_not_kept_filing", &fleet, &sandbox, &view);
    let message = view["state_message"].as_str().unwrap();
    assert!(
        message.contains("« Intitulé du poste » : demandé « Assistante de direction », conservé par le portail « Assistante d »"),
        "{message}"
    );

    reviewer.open(trainee).await;
    let page_text = text(&reviewer.page).await;
    for expected in [
        "Conservé sur le portail",
        "Conservé par le portail",
        "Intitulé du poste",
        "✗ différent",
    ] {
        assert!(
            page_text.contains(expected),
            "«{expected}» missing from:\n{page_text}"
        );
    }
    // The kept cell holds what the portal shows, not what was typed.
    let cells = reviewer
        .page
        .evaluate("[...document.querySelectorAll('td')].map(td => td.innerText.trim())")
        .await
        .unwrap();
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    let row = cells
        .iter()
        .position(|c| c == "Intitulé du poste")
        .expect("a row for the field");
    assert_eq!(
        &cells[row + 1..row + 3],
        ["Assistante de direction", "Assistante d"]
    );
    assert!(!page_text.contains("Confirmer le dépôt"), "{page_text}");

    // Confirming anyway, with a valid form token, is refused and files nothing.
    reviewer
        .page
        .evaluate(
            "(() => { const f = document.createElement('form'); f.method = 'post'; f.action = location.pathname + '/confirm'; \
             const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; i.value = document.querySelector('input[name=csrf]').value; f.appendChild(i); \
             const b = document.createElement('button'); b.type = 'submit'; b.textContent = 'Confirmer quand même'; f.appendChild(b); document.body.appendChild(f); return true; })()",
        )
        .await
        .unwrap();
    reviewer.click("Confirmer quand même").await;
    let refused = text(&reviewer.page).await;
    assert!(
        refused.contains("ce dossier ne peut pas être confirmé"),
        "{refused}"
    );
    let view = filing_view(&fleet.api, &id).await;
    assert_eq!(view["state"], "needs_attention", "{view:#}");
    assert!(sandbox.dossiers().is_empty(), "{:?}", sandbox.dossiers());

    reviewer.page.close().await.unwrap();
    chromium.close().await.unwrap();
    fleet.app.terminate();
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_submit_whose_acknowledgement_cannot_be_read_is_to_be_checked_and_a_retry_finds_the_dossier()
 {
    let _one_fleet = ONE_FLEET.lock().await;
    let mut config = sandboxes::SandboxConfig::new(sandboxes::Portal::OpcoEp);
    config.faults.acknowledgement = sandboxes::Acknowledgement::Unreadable;
    let sandbox = sandboxes::spawn(config).await.unwrap();
    let mut fleet = start_fleet(&sandbox, "opco-ep", None).await;
    let id = prefills(&fleet, "opco-ep", &[("Martin", "Marie Claire")]).await[0]
        .0
        .clone();
    let chromium = browser::Browser::launch(browser::BrowserConfig::default())
        .await
        .unwrap();
    let reviewer = Reviewer::login(&chromium, &fleet.api.base).await;
    let trainee = "MARTIN Marie Claire";
    settle(
        &fleet,
        &reviewer,
        &sandbox,
        &id,
        trainee,
        "ready_for_review",
    )
    .await;
    reviewer.open(trainee).await;
    reviewer.click("Confirmer le dépôt").await;

    // The portal filed and then answered with its error page.
    let view = settle(&fleet, &reviewer, &sandbox, &id, trainee, "filed_unknown").await;
    let submit = view["current_job_id"].as_str().unwrap();
    snapshot(
        "filed_unknown_submit_job",
        &fleet,
        &sandbox,
        &fleet.api.job(submit).await,
    );
    snapshot("filed_unknown_filing", &fleet, &sandbox, &view);
    let on_portal = sandbox.dossiers();
    assert_eq!(on_portal.len(), 1);
    let number = on_portal[0].dossier.clone().unwrap();
    let message = view["state_message"].as_str().unwrap();
    assert!(
        message.starts_with("Déposé ou non : à vérifier."),
        "{message}"
    );
    assert!(!message.contains("Rien n'a été déposé"), "{message}");
    reviewer.open(trainee).await;
    let page_text = text(&reviewer.page).await;
    for expected in [
        "Déposé ou non : à vérifier",
        "Liste des demandes du portail, vue juste après le dépôt",
        number.as_str(),
        "Page du portail au moment de l'arrêt",
    ] {
        assert!(
            page_text.contains(expected),
            "«{expected}» missing from:\n{page_text}"
        );
    }
    assert!(!page_text.contains("Motif du refus"), "{page_text}");

    // A retry searches the portal first: it finds the dossier and records it.
    reviewer.click("Relancer (rechercher le dossier)").await;
    let view = settle(&fleet, &reviewer, &sandbox, &id, trainee, "submitted").await;
    assert_eq!(view["dossier"].as_str(), Some(number.as_str()), "{view:#}");
    assert_eq!(sandbox.dossiers().len(), 1, "filed twice");

    reviewer.page.close().await.unwrap();
    chromium.close().await.unwrap();
    fleet.app.terminate();
    sandbox.shutdown().await;
}

/// A staff member's browser reduced to plain HTTP: the session cookie and the form token.
struct StaffHttp {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl StaffHttp {
    async fn login(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let response = client
            .post(format!("{base}/review/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("login", "claire"),
                ("password", STAFF_PASSWORD),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{:?}", response.text().await);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Self {
            client,
            base: base.to_owned(),
            cookie,
        }
    }

    /// Status, `Retry-After` and page of a GET.
    async fn get(&self, path: &str) -> (u16, Option<String>, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry, response.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(form))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// A form's fields, URL-encoded as a browser posts them.
fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_store_is_down_every_review_page_says_so_instead_of_an_empty_list() {
    let _one_fleet = ONE_FLEET.lock().await;
    let redis = TestRedis::start();
    let proxy = CutProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.replacen(":5432/", &format!(":{}/", proxy.port), 1),
        redis_url: redis.url.clone(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(sandboxes::Portal::Atlas))
        .await
        .unwrap();
    let mut fleet = start_fleet_on(&backend, &sandbox, "atlas", None).await;
    let (id, trainee) = prefills(&fleet, "atlas", &[("Martin", "Marie Claire")])
        .await
        .remove(0);
    fleet
        .api
        .wait_for(&id, Duration::from_secs(90), |j| {
            j["state"] == "needs_human"
        })
        .await;
    let staff = StaffHttp::login(&fleet.api.base).await;
    let detail = format!("/review/filings/{id}");

    // With the store up: the filing is listed, its page has its history.
    let (status, _, list) = staff.get("/review").await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains(&format!("Ouvrir le dossier de {trainee}")),
        "{list}"
    );
    let (status, _, page) = staff.get(&detail).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Demande reçue"), "{page}");
    let csrf = csrf_of(&page);

    // The store goes away: each page says the service is unavailable, none lists nothing.
    // Every pooled connection is closed when `cut` returns; the app still needs a moment to see it.
    proxy.cut().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while staff.get("/review").await.0 == 200 {
        assert!(Instant::now() < deadline, "the store is still answering");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in ["/review", detail.as_str()] {
        let (status, retry, page) = staff.get(path).await;
        assert_eq!(status, 503, "{path}: {page}");
        assert_eq!(retry.as_deref(), Some("5"), "{path}");
        assert!(
            page.contains("Le service de suivi est indisponible")
                && page.contains("réessayez dans quelques instants"),
            "{path}: {page}"
        );
        for empty in [
            "Aucun dossier n'attend",
            "Dossiers à relire (0)",
            "Historique",
        ] {
            assert!(!page.contains(empty), "{path} shows «{empty}»: {page}");
        }
    }
    let (status, page) = staff
        .post(
            &format!("{detail}/refuse"),
            &[("csrf", &csrf), ("reason", "Doublon")],
        )
        .await;
    assert_eq!(status, 503, "{page}");
    assert!(
        page.contains("Le service de suivi est indisponible"),
        "{page}"
    );

    // Back: the same pages again, and the refusal was never recorded.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, page) = staff.get(&detail).await;
        if status == 200 {
            assert!(page.contains("Prêt pour relecture"), "{page}");
            assert!(!page.contains("Dépôt refusé"), "{page}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} after the store came back: {page}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let log = fleet.app.log_text();
    assert!(
        log.contains("Review page: the store failed"),
        "the failure is logged for an operator:\n{log}"
    );

    fleet.app.terminate();
    sandbox.shutdown().await;
}
