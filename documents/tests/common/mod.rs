//! Helpers shared by the documents tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use browser::{Browser, BrowserConfig};
use documents::Action;

pub mod smtp;

/// The realistic example: a 24-hour bilan for a bakery's production manager.
pub fn example() -> Action {
    serde_json::from_str(include_str!("../fixtures/action.json")).expect("fixture parses")
}

pub async fn browser() -> Browser {
    Browser::launch(BrowserConfig {
        call_timeout: Duration::from_secs(30),
        ..BrowserConfig::default()
    })
    .await
    .expect("Debian's Chromium starts")
}

pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext failed");
    // Line breaks and the narrow no-break spaces of amounts vary with layout: compare words.
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(['\u{202f}', '\u{a0}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn pdfinfo(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils) is installed");
    assert!(out.status.success(), "pdfinfo failed");
    String::from_utf8(out.stdout).unwrap()
}

pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Saves the first page as `samples/<name>.png` for a person to look at.
pub fn save_first_page_png(pdf: &[u8], name: &str) -> PathBuf {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    std::fs::create_dir_all(samples_dir()).unwrap();
    let prefix = samples_dir().join(name);
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    prefix.with_extension("png")
}
