//! Black-box tests of document automation through the binary: the `render_documents` job with its
//! files served by the API, the `send_documents` job against a local SMTP server, and
//! `monopco render`.

#[path = "../documents/tests/common/smtp.rs"]
mod smtp;
mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

fn action() -> Value {
    serde_json::from_str(include_str!("../documents/tests/fixtures/action.json")).unwrap()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_render_job_produces_the_documents_and_the_pack_and_a_send_job_mails_the_pack() {
    let smtp = smtp::start("250 OK").await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Cap Avenir <dossiers@cap-avenir.fr>\"\n",
        smtp.port
    );
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + &extra).unwrap();
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());

    // An action that breaks rules is refused with every reason, before anything is stored.
    let mut bad = action();
    bad["hours"] = json!(30);
    bad["company"]["siret"] = json!("12345678901234");
    let (s, body) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "render_documents", "input": { "action": bad } }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.iter().any(|f| f.contains("hours")), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.contains("company.siret")),
        "{fields:?}"
    );

    let (s, created) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "render_documents", "input": { "action": action(), "fixed_date": "2026-11-25" } }))
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let done = api
        .wait_state(&id, "succeeded", Duration::from_secs(120))
        .await;
    let files = done["result"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 4, "{done:#}");
    let mut texts = Vec::new();
    for f in files {
        let resp = api
            .http
            .get(format!("{}{}", api.base, f["url"].as_str().unwrap()))
            .bearer_auth(READ_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap());
        texts.push(pdftotext(&bytes));
    }
    // The same facts in every document, in French formatting.
    for text in &texts {
        assert!(
            text.contains("Martin-Hébert") || text.contains("MARTIN-HÉBERT"),
            "{text}"
        );
    }
    assert!(
        texts[0].contains("1 800,00") || texts[0].contains("1\u{202f}800,00"),
        "devis amount: {}",
        texts[0]
    );
    assert!(
        texts[2].contains("11 janvier 2027"),
        "convention dates: {}",
        texts[2]
    );
    let pack_name = done["result"]["pack"]["file"]["name"].as_str().unwrap();
    assert!(pack_name.ends_with(".zip"));
    assert_eq!(
        done["result"]["pack"]["manifest"]["files"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Path tricks are refused; unknown files are 404.
    assert_eq!(
        api.get(READ_TOKEN, &format!("/v1/jobs/{id}/files/..%2Fstate.db"))
            .await
            .0,
        400
    );
    assert_eq!(
        api.get(READ_TOKEN, &format!("/v1/jobs/{id}/files/absent.pdf"))
            .await
            .0,
        404
    );

    // The pack goes out by e-mail.
    let (s, sent) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "send_documents", "input": { "pack_from_job": id, "to": "dpc@opco.example" } }))
        .await;
    assert_eq!(s, 201, "{sent}");
    api.wait_state(
        sent["id"].as_str().unwrap(),
        "succeeded",
        Duration::from_secs(60),
    )
    .await;
    let received = smtp.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .rcpt_to
            .iter()
            .any(|r| r.contains("dpc@opco.example"))
    );
    assert!(
        received[0].mail_from.contains("dossiers@cap-avenir.fr"),
        "sent from the configured sender"
    );
    assert!(
        received[0].data.contains(pack_name),
        "the zip is attached under its name"
    );

    // A worker killed outright leaves its Chromium behind; the next start stops it.
    let mut app = app;
    let browsers = chromiums_of(app.pid());
    assert!(
        !browsers.is_empty(),
        "the render ran in this process's Chromium"
    );
    app.kill();
    let _next = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while browsers.iter().any(|p| alive(*p)) {
        assert!(
            std::time::Instant::now() < deadline,
            "orphaned Chromium {browsers:?} still running"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn monopco_render_writes_a_pdf_and_lists_what_is_wrong_with_a_bad_action() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("action.json");
    std::fs::write(&input, action().to_string()).unwrap();
    let out = dir.path().join("convention.pdf");
    let status = Command::new(env!("CARGO_BIN_EXE_monopco"))
        .args(["render", "convention", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .env("MONOPCO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = pdftotext(&std::fs::read(&out).unwrap());
    assert!(
        text.contains("10 jours") || text.contains("dix jours"),
        "the 10-day signing period: {text}"
    );

    let mut bad = action();
    bad["end_date"] = json!("2026-01-01");
    std::fs::write(&input, bad.to_string()).unwrap();
    let failed = Command::new(env!("CARGO_BIN_EXE_monopco"))
        .args(["render", "devis", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("devis.pdf"))
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("end_date"), "{stderr}");
    assert!(
        !dir.path().join("devis.pdf").exists(),
        "nothing is rendered half"
    );
}
