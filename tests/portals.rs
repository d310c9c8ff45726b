//! Black-box test of the `prefill_filing` job against a local sandbox of the Atlas portal: the
//! fleet logs in, prefills the request with its attachments, saves the draft, stops before the
//! final submit and waits for a person, with the screenshots of every page recorded. The
//! password reaches no log line, no database row and no recording.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn filing(dir: &std::path::Path) -> Value {
    let mut paths = Vec::new();
    for name in [
        "devis-signe.pdf",
        "programme-bilan.pdf",
        "convention-tripartite.pdf",
    ] {
        let p = dir.join(name);
        std::fs::write(&p, PDF).unwrap();
        paths.push(p.display().to_string());
    }
    json!({
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
        "attachments": { "quote": paths[0], "programme": paths[1], "agreement": paths[2] }
    })
}

/// Every file below `dir` that contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefill_job_stops_before_submitting_and_waits_for_review_without_leaking_the_password() {
    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(sandboxes::Portal::Atlas))
        .await
        .unwrap();
    let demo = sandboxes::Account::demo();
    let dir = tempfile::tempdir().unwrap();
    let attachments = dir.path().join("attachments");
    std::fs::create_dir_all(&attachments).unwrap();
    let extra = format!(
        "\n[portals.atlas]\nbase_url = \"{}\"\n\n[[portal_accounts]]\nopco = \"atlas\"\naccount = \"ADH-448812\"\nusername = \"{}\"\npassword = \"{}\"\n",
        sandbox.url(),
        demo.email,
        demo.password
    );
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + &extra).unwrap();
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());

    // A portal without an address, or an account without credentials, is refused at once.
    let mut unknown = filing(&attachments);
    unknown["company"]["opco_account"] = json!("ADH-000000");
    let (s, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": unknown } }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "input.filing.company.opco_account"
    );
    let (s, _) = api.create(Some(WRITE_TOKEN), None, &json!({ "kind": "prefill_filing", "input": { "opco": "akto", "filing": filing(&attachments) } })).await;
    assert_eq!(s, 400);

    let (s, created) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": filing(&attachments) } }))
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let job = api
        .wait_for(&id, Duration::from_secs(120), |j| {
            j["state"] != "queued" && j["state"] != "running"
        })
        .await;
    assert_eq!(job["state"], "needs_human", "{job:#}");
    assert_eq!(job["error"]["code"], "ready_for_review", "{job:#}");

    // 1 800 € for 24 h is 75 € an hour, above Atlas' 55 € cap: staff are warned, in French.
    let warnings = job["result"]["warnings"].as_array().unwrap();
    let cap = warnings
        .iter()
        .find(|w| w["code"] == "hourly_cap_exceeded")
        .expect("hourly cap warning");
    assert!(
        cap["message"].as_str().unwrap().contains("plafond"),
        "{cap}"
    );

    // Nothing filed: one draft with its three attachments, no dossier.
    assert!(sandbox.dossiers().is_empty(), "a prefill must never submit");
    let drafts = sandbox.requests();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].files.len(), 3);

    // The pages staff review were recorded.
    let shots = job["result"]["final_screenshots"].as_array().unwrap();
    assert!(!shots.is_empty());
    for shot in shots {
        let path = std::path::Path::new(shot.as_str().unwrap());
        assert!(
            std::fs::read(path).unwrap().starts_with(b"\x89PNG"),
            "{path:?}"
        );
    }

    // The password is nowhere but in the configuration file.
    let data = dir.path().join("data");
    assert!(
        files_containing(&data, demo.password.as_bytes()).is_empty(),
        "password found in {:?}",
        files_containing(&data, demo.password.as_bytes())
    );
    assert!(!app.log_text().contains(&demo.password));

    // A graceful stop closes Chromium with the process.
    let mut app = app;
    let browsers = chromiums_of(app.pid());
    assert!(
        !browsers.is_empty(),
        "the prefill ran in this process's Chromium"
    );
    assert!(app.terminate().success());
    assert!(
        browsers.iter().all(|p| !alive(*p)),
        "Chromium {browsers:?} outlived its worker"
    );
}
