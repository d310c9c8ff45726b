//! Black-box tests of the engine against Debian's real Chromium.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use browser::{Browser, BrowserConfig, BrowserError, PdfOptions};

fn config() -> BrowserConfig {
    BrowserConfig {
        call_timeout: Duration::from_secs(20),
        ..BrowserConfig::default()
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Processes whose command line mentions `needle` (the profile directory is unique per browser).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            found.push(pid);
        }
    }
    found
}

async fn wait_until_gone(needle: &str) -> Vec<u32> {
    for _ in 0..100 {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    processes_mentioning(needle)
}

#[tokio::test]
async fn a_french_page_prints_to_a_pdf_whose_text_keeps_its_accents_and_page_numbers() {
    let browser = Browser::launch(config()).await.unwrap();
    let page = browser.new_page().await.unwrap();
    page.set_content(
        "<!doctype html><html lang=fr><head><meta charset=utf-8><title>Essai</title></head>\
         <body style=\"font-family:'DejaVu Sans'\"><h1>Bilan de compétences</h1>\
         <p>Réalisé à Besançon, l'employé a donné son accord — coût : 1 800,00 €.</p></body></html>",
    )
    .await
    .unwrap();
    assert_eq!(page.title().await.unwrap().as_deref(), Some("Essai"));
    assert!(page.html().await.unwrap().contains("Besançon"));
    let pdf = page
        .pdf(&PdfOptions::a4_with_page_numbers("Organisme test"))
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    assert!(text.contains("Bilan de compétences"), "{text}");
    assert!(text.contains("Réalisé à Besançon"), "{text}");
    assert!(text.contains("1 800,00 €"), "{text}");
    assert!(text.contains("page 1/1"), "{text}");
    let png = page.screenshot_png().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_server_that_never_answers_makes_navigation_time_out_with_a_retryable_error() {
    // Accepts connections and never replies.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let browser = Browser::launch(BrowserConfig {
        call_timeout: Duration::from_millis(1500),
        ..BrowserConfig::default()
    })
    .await
    .unwrap();
    let page = browser.new_page().await.unwrap();
    let started = std::time::Instant::now();
    let err = page
        .goto(&format!("http://{addr}/slow"))
        .await
        .expect_err("the navigation cannot finish");
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            BrowserError::Timeout {
                operation: "navigate",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains("navigate"), "{err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_connection_is_a_navigation_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let browser = Browser::launch(config()).await.unwrap();
    let page = browser.new_page().await.unwrap();
    let err = page
        .goto(&format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, BrowserError::Navigation { .. }), "{err:?}");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn two_browsers_run_at_once_with_separate_profiles_and_leave_no_process_behind() {
    let (a, b) = tokio::join!(Browser::launch(config()), Browser::launch(config()));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (pa, pb) = (
        a.profile_dir().await.unwrap(),
        b.profile_dir().await.unwrap(),
    );
    assert_ne!(pa, pb);
    assert_ne!(a.pid().await, b.pid().await);
    let (ra, rb) = tokio::join!(
        async {
            let p = a.new_page().await?;
            p.set_content("<p>un</p>").await?;
            p.pdf(&PdfOptions::default()).await
        },
        async {
            let p = b.new_page().await?;
            p.set_content("<p>deux</p>").await?;
            p.pdf(&PdfOptions::default()).await
        }
    );
    assert!(pdftotext(&ra.unwrap()).contains("un"));
    assert!(pdftotext(&rb.unwrap()).contains("deux"));
    let (na, nb) = (pa.display().to_string(), pb.display().to_string());
    assert!(!processes_mentioning(&na).is_empty());
    a.close().await.unwrap();
    b.close().await.unwrap();
    assert_eq!(wait_until_gone(&na).await, Vec::<u32>::new());
    assert_eq!(wait_until_gone(&nb).await, Vec::<u32>::new());
    assert!(!Path::new(&pa).exists(), "profile {na} left behind");
    assert!(!Path::new(&pb).exists(), "profile {nb} left behind");
}

#[tokio::test]
async fn incognito_contexts_do_not_share_storage() {
    let browser = Browser::launch(config()).await.unwrap();
    let one = browser.new_context().await.unwrap();
    let two = browser.new_context().await.unwrap();
    // localStorage needs an origin: serve one locally.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = sock.read(&mut buf).await;
            let body = "<html><body>ok</body></html>";
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    let url = format!("http://{addr}/");
    let p1 = one.new_page().await.unwrap();
    p1.goto(&url).await.unwrap();
    p1.evaluate("localStorage.setItem('k', 'v'); 1")
        .await
        .unwrap();
    let p2 = two.new_page().await.unwrap();
    p2.goto(&url).await.unwrap();
    let seen = p2.evaluate("localStorage.getItem('k')").await.unwrap();
    assert_eq!(seen, serde_json::Value::Null);
    let again = one.new_page().await.unwrap();
    again.goto(&url).await.unwrap();
    assert_eq!(
        again.evaluate("localStorage.getItem('k')").await.unwrap(),
        "v"
    );
    one.close().await.unwrap();
    two.close().await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test]
async fn chromium_is_recycled_after_the_configured_number_of_pages() {
    let browser = Browser::launch(BrowserConfig {
        recycle_after_pages: Some(2),
        ..config()
    })
    .await
    .unwrap();
    let first_profile = browser.profile_dir().await.unwrap().display().to_string();
    for i in 0..5 {
        let page = browser.new_page().await.unwrap();
        page.set_content(&format!("<p>page {i}</p>")).await.unwrap();
        assert!(
            pdftotext(&page.pdf(&PdfOptions::default()).await.unwrap())
                .contains(&format!("page {i}"))
        );
    }
    assert_eq!(browser.launches(), 3, "5 pages at 2 per process");
    assert_eq!(wait_until_gone(&first_profile).await, Vec::<u32>::new());
    let last = browser.profile_dir().await.unwrap().display().to_string();
    browser.close().await.unwrap();
    assert_eq!(wait_until_gone(&last).await, Vec::<u32>::new());
}

#[tokio::test]
async fn a_killed_chromium_gives_a_retryable_error_and_the_next_job_gets_a_new_one() {
    let browser = Browser::launch(config()).await.unwrap();
    let page = browser.new_page().await.unwrap();
    let pid = browser.pid().await.unwrap();
    let profile = browser.profile_dir().await.unwrap().display().to_string();
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let err = page.set_content("<p>x</p>").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    // At once: the dead process is noticed without waiting for the connection's end.
    let fresh = browser.new_page().await.unwrap();
    fresh.set_content("<p>encore</p>").await.unwrap();
    assert_eq!(browser.launches(), 2);
    assert_ne!(browser.pid().await, Some(pid));
    browser.close().await.unwrap();
    assert_eq!(wait_until_gone(&profile).await, Vec::<u32>::new());
}

#[tokio::test]
async fn dropping_a_browser_without_closing_it_kills_chromium() {
    let browser = Browser::launch(config()).await.unwrap();
    let profile = browser.profile_dir().await.unwrap();
    let needle = profile.display().to_string();
    drop(browser);
    assert_eq!(wait_until_gone(&needle).await, Vec::<u32>::new());
    for _ in 0..100 {
        if !profile.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!profile.exists(), "profile {needle} left behind");
}

#[tokio::test]
async fn a_missing_executable_is_a_permanent_launch_error() {
    let err = Browser::launch(BrowserConfig {
        chromium_path: "/nonexistent/chromium".into(),
        ..BrowserConfig::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, BrowserError::Launch { .. }), "{err:?}");
    assert!(!err.is_retryable());
}
