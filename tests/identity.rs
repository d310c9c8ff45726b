//! Black-box tests of identity checks: the `monopco check-id` command and the
//! `check_identity_document` job, on a rendered photo of the French 2021 card specimen of
//! DOMAIN.md (valid until 2030-02-11).

mod support;

use std::process::Command;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use support::*;

fn specimen(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("specimen.jpg");
    std::fs::write(
        &path,
        ocr::corpus::specimen_photo().expect("render the specimen photo"),
    )
    .unwrap();
    path
}

fn check_id(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_monopco"))
        .arg("check-id")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

#[test]
fn check_id_accepts_the_specimen_card_for_its_holder_and_says_why_it_refuses_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let photo = specimen(dir.path());
    let photo = photo.to_str().unwrap();

    let (code, verdict) = check_id(&[photo, "--name", "Maëlys Gaëlle Marie MARTIN"]);
    assert_eq!(code, 0, "{verdict:#}");
    assert_eq!(verdict["verdict"], "accepted");
    assert_eq!(verdict["document"]["surname"], "MARTIN", "{verdict:#}");

    // The French order on forms, surname first.
    let (code, verdict) = check_id(&[photo, "--name", "MARTIN Maëlys"]);
    assert_eq!(code, 0, "{verdict:#}");
    assert_eq!(verdict["name_match"], "match", "{verdict:#}");

    // Valid today, but not until the end of a training in 2031.
    let (code, verdict) = check_id(&[
        photo,
        "--name",
        "Maëlys MARTIN",
        "--valid-until",
        "2031-01-01",
    ]);
    assert_eq!(code, 1, "{verdict:#}");
    assert!(
        verdict["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("expires_before_required_date")),
        "{verdict:#}"
    );
    assert!(
        verdict["message"].as_str().unwrap().contains("2030"),
        "the message gives the expiry date: {verdict:#}"
    );

    // Someone else's card.
    let (code, verdict) = check_id(&[photo, "--name", "Jean DUPONT"]);
    assert_eq!(code, 1, "{verdict:#}");
    assert!(
        verdict["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("name_mismatch")),
        "{verdict:#}"
    );
}

#[test]
fn check_id_refuses_a_file_that_is_not_an_image_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "ceci n'est pas une photo").unwrap();
    let (code, body) = check_id(&[path.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[test]
fn check_id_exits_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let photo = specimen(dir.path());
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_monopco"));
        cmd.arg("check-id")
            .arg(&photo)
            .args(["--name", "DUPONT Paul"]);
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // As `… | head -c0` does: the reader is gone long before the check (OCR) is done.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            out.status.code(),
            Some(1),
            "the verdict's exit code: {stderr}"
        );
        assert!(stderr.is_empty(), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_check_job_gives_its_verdict_and_then_forgets_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let photo = std::fs::read(specimen(dir.path())).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&photo);

    // Bad input is refused field by field before anything is stored.
    let (s, body) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "check_identity_document", "input": { "document": { "base64": "%%%" } } }))
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "input.document.base64");

    let (s, created) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({
                "kind": "check_identity_document",
                "input": {
                    "document": { "base64": b64 },
                    "expected_name": { "surname": "Martin", "given_names": "Maëlys Gaëlle Marie" },
                    "valid_until": "2027-06-30"
                }
            }),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let done = api
        .wait_state(&id, "succeeded", Duration::from_secs(60))
        .await;
    assert_eq!(
        done["result"]["verdict"], "accepted",
        "{:#}",
        done["result"]
    );
    assert!(
        done["input"]["document"].get("base64").is_none(),
        "the image must be gone: {:#}",
        done["input"]
    );
    assert!(
        !app.log_text().contains(&b64[..64]),
        "the image must never reach the log"
    );
}
