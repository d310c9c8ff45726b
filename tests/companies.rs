//! Black-box tests of `resolve_company` and `monopco resolve-company` against a local server
//! answering in the "Recherche d'entreprises" API's shape (the real API cannot be reached from our
//! machines): a burst on three worker processes makes one call per company and keeps the fleet
//! under the API's rate, and the command's exit codes say what a script needs to know.

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sandboxes::directory::{CompanyFixture, Directory, siret_with_key};
use serde_json::{Value, json};
use support::*;

fn lookup_config(directory: &Directory) -> String {
    format!(
        "[company_lookup]\nbase_url = \"{}\"\nmax_per_second = 6\ntimeout_ms = 3000\nretries = 2\nretry_min_delay_ms = 100\nretry_max_delay_ms = 500\n",
        directory.url()
    )
}

fn siret(n: u32) -> String {
    siret_with_key(&format!("5{n:08}0001"))
}

/// 20 companies: the even ones under Syntec (Atlas), the odd ones under HCR (AKTO).
fn twenty_companies(directory: &Directory) -> Vec<(String, &'static str)> {
    (0..20)
        .map(|i| {
            let s = siret(i);
            let (idcc, opco) = if i % 2 == 0 {
                ("1486", "atlas")
            } else {
                ("1979", "akto")
            };
            directory.add_fixture(&CompanyFixture::new(
                &s,
                &format!("ENTREPRISE {i}"),
                &[idcc],
            ));
            (s, opco)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_jobs_for_twenty_companies_on_three_workers_make_twenty_calls_at_most_seven_a_second()
 {
    let redis = TestRedis::start();
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.clone(),
        redis_url: redis.url.clone(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    let directory = Directory::spawn().await.unwrap();
    let companies = twenty_companies(&directory);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None, &lookup_config(&directory));
    let api_process = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(api_process.addr.as_deref().unwrap());
    let _workers: Vec<Process> = (0..3)
        .map(|_| Process::start(&config, &["work", "--workers", "4"]))
        .collect();

    // 10 jobs per company, interleaved, submitted at once.
    let started = Instant::now();
    let submits = (0..200).map(|i| {
        let api = api.clone();
        let s = companies[i % 20].0.clone();
        async move {
            let (status, body) = api
                .create(
                    Some(WRITE_TOKEN),
                    None,
                    &json!({"kind": "resolve_company", "input": {"siret": s}}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_str().unwrap().to_owned()
        }
    });
    let ids: Vec<String> = futures::future::join_all(submits).await;
    let mut workers_seen = std::collections::BTreeSet::new();
    for (i, id) in ids.iter().enumerate() {
        let job = api
            .wait_for(id, Duration::from_secs(120), |j| {
                j["state"] == "succeeded" || j["state"] == "failed"
            })
            .await;
        assert_eq!(job["state"], "succeeded", "{job:#}");
        let (siret, opco) = &companies[i % 20];
        assert_eq!(job["result"]["siret"], siret.as_str());
        assert_eq!(job["result"]["opco"], *opco);
        assert_eq!(job["result"]["resolution"], "resolved");
        if let Some(w) = job["history"]
            .as_array()
            .and_then(|h| h.iter().find_map(|e| e["worker_id"].as_str()))
        {
            workers_seen.insert(w.to_owned());
        }
    }
    let elapsed = started.elapsed();
    let calls = directory.calls();
    let peak = directory.max_calls_in_any_second();
    println!(
        "200 jobs, 20 companies, 3 workers: {} calls, at most {peak} in any second, {:.1} s in all",
        calls.len(),
        elapsed.as_secs_f64()
    );
    assert_eq!(calls.len(), 20, "one call per company");
    for (s, _) in &companies {
        assert_eq!(directory.calls_for(s), 1, "{s}");
    }
    assert!(peak <= 7, "{peak} calls within one second");
    assert!(
        workers_seen.len() >= 2,
        "the jobs ran on several processes: {workers_seen:?}"
    );
}

fn run_command(config: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_monopco"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_company_exits_0_1_2_or_3_and_says_why() {
    let directory = Directory::spawn().await.unwrap();
    let atlas = siret(100);
    directory.add_fixture(&CompanyFixture::new(&atlas, "BUREAU D'ÉTUDES", &["1486"]));
    let none = siret(101);
    directory.add_fixture(&CompanyFixture::new(&none, "SANS CONVENTION", &["9999"]));
    let closed = siret(102);
    let mut f = CompanyFixture::new(&closed, "FERMÉE", &["1486"]);
    f.closed_on = Some("2023-12-31".into());
    directory.add_fixture(&f);
    let two = siret(103);
    directory.add_fixture(&CompanyFixture::new(
        &two,
        "DEUX BRANCHES",
        &["1486", "1979"],
    ));
    let broken = siret(104);
    directory.add_fixture(&CompanyFixture::new(&broken, "EN PANNE", &["1486"]));
    directory.script(&broken, vec![sandboxes::directory::Reply::Status(502); 3]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &Backend::Embedded,
        None,
        &lookup_config(&directory),
    );
    let cmd = |s: &str, json: bool| {
        let mut args = vec!["resolve-company", s];
        if json {
            args.push("--json");
        }
        run_command(&config, &args)
    };

    let (code, answer, _) = cmd(&atlas, true);
    assert_eq!(code, 0);
    assert_eq!(answer["opco"], "atlas");
    assert_eq!(
        answer["sources"]["idcc"],
        "results[0].matching_etablissements[0].liste_idcc"
    );
    let (code, _, text) = cmd(&atlas, false);
    assert_eq!(code, 0);
    assert!(text.contains("OPCO : Atlas"), "{text}");
    assert_eq!(
        directory.calls_for(&atlas),
        1,
        "the second run read the cache"
    );

    let (code, answer, _) = cmd(&none, true);
    assert_eq!(code, 1);
    assert_eq!(answer["resolution"], "no_opco");
    let (code, answer, _) = cmd(&closed, true);
    assert_eq!(code, 1);
    assert_eq!(answer["closed_on"], "2023-12-31");
    let (code, answer, _) = cmd(&two, true);
    assert_eq!(code, 2);
    assert_eq!(answer["candidates"].as_array().unwrap().len(), 2);

    let mut bad = atlas.clone();
    bad.replace_range(13..14, if atlas.ends_with('0') { "1" } else { "0" });
    let (code, answer, _) = cmd(&bad, true);
    assert_eq!(code, 3);
    assert_eq!(answer["error"]["code"], "invalid_siret");
    let (code, answer, _) = cmd(&siret(105), true);
    assert_eq!(code, 3);
    assert_eq!(answer["error"]["code"], "company_not_found");
    let (code, answer, _) = cmd(&broken, true);
    assert_eq!(code, 3);
    assert_eq!(answer["error"]["code"], "company_lookup_unavailable");
    assert_eq!(directory.calls_for(&broken), 3, "one try and two retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolve_company_job_with_a_bad_siret_is_refused_with_the_reason() {
    let directory = Directory::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &Backend::Embedded,
        None,
        &lookup_config(&directory),
    );
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let (status, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({"kind": "resolve_company", "input": {"siret": "73282932000075"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "input.siret");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("clé de contrôle")
    );
    assert!(directory.calls().is_empty());
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const STAFF_PASSWORD: &str = "relecture-des-depots-2026";
const LOAD: Duration = Duration::from_secs(20);
const PROVIDER: &str = "55208131766522";

/// A filing whose attachments travel in the request, as an upstream system sends them.
fn filing(company: &str, last_name: &str) -> Value {
    let attachment = |name: &str| json!({ "name": format!("{last_name}-{name}"), "content_base64": BASE64.encode(PDF) });
    json!({
        "company": { "siret": company, "opco_account": "ADH-448812" },
        "trainee": {
            "last_name": last_name, "first_names": "Marie", "birth_date": "1985-04-12",
            "job_title": "Assistante de direction", "contract": "cdi"
        },
        "action": {
            "title": "Bilan de compétences", "start": "2027-03-02", "end": "2027-04-20",
            "hours": 24, "modality": "mixte", "cost_ht": 180000
        },
        "subrogation": true,
        "provider": { "name": "Haguenau Formation", "siret": PROVIDER, "nda": "42670000000", "qualiopi": true },
        "attachments": {
            "quote": attachment("devis.pdf"),
            "programme": attachment("programme.pdf"),
            "agreement": attachment("convention.pdf")
        }
    })
}

async fn filing_state(api: &Api, id: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, view) = api.get(READ_TOKEN, &format!("/v1/filings/{id}")).await;
        assert_eq!(status, 200, "{view}");
        if view["state"] == want {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "filing {id} did not reach {want}:\n{view:#}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filing_without_opco_is_routed_from_its_siret_and_an_ambiguous_one_waits_for_staff_to_choose()
 {
    use browser::locator::{self, Locator, Role};

    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(sandboxes::Portal::Atlas))
        .await
        .unwrap();
    let directory = Directory::spawn().await.unwrap();
    let clear = siret(200);
    directory.add_fixture(&CompanyFixture::new(&clear, "BUREAU D'ÉTUDES", &["1486"]));
    let ambiguous = siret(201);
    directory.add_fixture(&CompanyFixture::new(
        &ambiguous,
        "DEUX BRANCHES",
        &["1486", "1979"],
    ));
    let mut provider = CompanyFixture::new(PROVIDER, "HAGUENAU FORMATION", &["1516"]);
    provider.training_organisation = true;
    provider.qualiopi = true;
    provider.nda = vec!["11670000000".into()];
    directory.add_fixture(&provider);

    let dir = tempfile::tempdir().unwrap();
    let hash = worker::review::hash_password(STAFF_PASSWORD).unwrap();
    let extra = format!(
        "{}\n[portals.atlas]\nbase_url = \"{}\"\n\n[polling]\nenabled = false\n\n[[review.staff]]\nlogin = \"claire\"\nname = \"Claire Martin\"\npassword_hash = \"{hash}\"\n",
        lookup_config(&directory),
        sandbox.url()
    );
    let config = write_config(dir.path(), &Backend::Embedded, None, &extra);
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let demo = sandboxes::Account::demo();
    let (status, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            "atlas",
            "ADH-448812",
            &json!({ "username": demo.email, "password": demo.password }),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    // Routed from the SIRET: Syntec → Atlas, prefilled on the Atlas sandbox.
    let (status, job) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({"kind": "prefill_filing", "input": {"filing": filing(&clear, "Martin")}}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let routed = job["id"].as_str().unwrap().to_owned();
    let view = filing_state(&api, &routed, "ready_for_review").await;
    assert_eq!(view["opco"], "atlas");
    let warnings: Vec<&str> = view["review"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(
        warnings.contains(&"provider_nda_mismatch"),
        "the provider declared another NDA: {warnings:?}"
    );
    assert_eq!(api.job(&routed).await["input"]["opco"], "atlas");

    // Ambiguous: waits for staff with the candidates, who choose on the review page.
    let (status, job) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({"kind": "prefill_filing", "input": {"filing": filing(&ambiguous, "Durand")}}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let waiting = job["id"].as_str().unwrap().to_owned();
    let view = filing_state(&api, &waiting, "needs_attention").await;
    assert_eq!(view["state_code"], "opco_unresolved", "{view:#}");
    let candidates: Vec<&str> = view["review"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["opco"].as_str())
        .collect();
    assert_eq!(candidates, vec!["atlas", "akto"]);

    let chromium = browser::Browser::launch(browser::BrowserConfig::default())
        .await
        .unwrap();
    async {
        let page = chromium.new_page().await.unwrap();
        page.goto(&format!("{}/review", api.base)).await.unwrap();
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
        page.goto(&format!("{}/review/filings/{waiting}", api.base))
            .await
            .unwrap();
        let text = locator::page_text(&page).await.unwrap();
        assert!(text.contains("Choisir l'OPCO"), "{text}");
        assert!(text.contains("1486 → Atlas"), "{text}");
        Locator::label("Atlas").click(&page).await.unwrap();
        Locator::role(Role::Button, "Préremplir chez cet OPCO")
            .click_and_wait_for_load(&page, LOAD)
            .await
            .unwrap();
    }
    .await;
    let _ = chromium.close().await;
    let view = filing_state(&api, &waiting, "ready_for_review").await;
    assert_eq!(view["opco"], "atlas");
    let actions: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"opco_chosen"), "{actions:?}");
    assert_eq!(
        sandbox.dossiers().len(),
        0,
        "nothing is submitted before staff confirm"
    );
}
