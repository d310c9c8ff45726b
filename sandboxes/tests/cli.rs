//! The `portal-sandbox` binary prints its URL first and serves the portal there.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_url_on_the_first_line_and_applies_its_flags() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_portal-sandbox"))
            .args(["--opco", "opco-ep", "--addr", "127.0.0.1:0", "--captcha"])
            .args([
                "--layout",
                "changed-markup",
                "--account",
                "rh@client.fr:secret-1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim().to_owned()
    })
    .await
    .unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let faults: serde_json::Value = reqwest::get(format!("{url}/__sandbox/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["captcha"], true);
    assert_eq!(faults["layout"], "changed-markup");
    let login = reqwest::get(format!("{url}/authentification"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Contrôle anti-robot"));
    drop(child);
}
