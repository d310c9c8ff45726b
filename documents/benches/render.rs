//! Time to render the DPC pack with Chromium, cold (launch included) and warm, and the time
//! WeasyPrint takes on the same HTML when it is installed (`pip install weasyprint`).
//!
//! Run: `cargo bench -p documents --bench render` (release profile).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use browser::{Browser, BrowserConfig};
use documents::{Action, DocumentKind, Renderer, RendererConfig};

const WARM_RUNS: u32 = 5;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn weasyprint() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("WEASYPRINT").map(PathBuf::from),
        Some(PathBuf::from("weasyprint")),
        Some(PathBuf::from("/opt/weasy-venv/bin/weasyprint")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let action: Action =
        serde_json::from_str(include_str!("../tests/fixtures/action.json")).expect("fixture");
    let action = action.validate().expect("valid fixture");
    let renderer = Renderer::new(RendererConfig::default()).expect("templates");

    let t = Instant::now();
    let browser = Browser::launch(BrowserConfig::default())
        .await
        .expect("Chromium");
    let launch = t.elapsed();
    let pack = renderer
        .render_pack(&browser, &action, None)
        .await
        .expect("pack");
    let cold = t.elapsed();
    println!(
        "chromium pack cold (launch + 3 PDFs + zip): {:8.1} ms (launch {:.1} ms), zip {} bytes",
        ms(cold),
        ms(launch),
        pack.zip.len()
    );

    let mut warm = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        renderer
            .render_pack(&browser, &action, None)
            .await
            .expect("pack");
        warm.push(t.elapsed());
    }
    let warm_pack = median(warm);
    println!(
        "chromium pack warm (3 PDFs + zip), median of {WARM_RUNS}: {:8.1} ms",
        ms(warm_pack)
    );

    let kinds = [
        DocumentKind::Devis,
        DocumentKind::Programme,
        DocumentKind::Convention,
    ];
    let mut sequential = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        for kind in kinds {
            renderer
                .render(&browser, kind, &action, None)
                .await
                .expect("pdf");
        }
        sequential.push(t.elapsed());
    }
    let chromium_seq = median(sequential);
    println!(
        "chromium 3 PDFs one after the other, warm, median of {WARM_RUNS}: {:8.1} ms",
        ms(chromium_seq)
    );
    // Where the time of one warm document goes.
    let html = renderer
        .html(DocumentKind::Convention, &action)
        .expect("html");
    let (mut open, mut content, mut print, mut whole) = (vec![], vec![], vec![], vec![]);
    let (mut print_footer, mut close) = (vec![], vec![]);
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        let page = browser.new_page().await.expect("page");
        open.push(t.elapsed());
        let t = Instant::now();
        page.set_content(&html).await.expect("content");
        content.push(t.elapsed());
        let t = Instant::now();
        page.pdf(&browser::PdfOptions::default())
            .await
            .expect("pdf");
        print.push(t.elapsed());
        let t = Instant::now();
        page.pdf(&browser::PdfOptions::a4_with_page_numbers("pied de page"))
            .await
            .expect("pdf");
        print_footer.push(t.elapsed());
        let t = Instant::now();
        page.close().await.expect("close");
        close.push(t.elapsed());
        let t = Instant::now();
        renderer
            .render(&browser, DocumentKind::Convention, &action, None)
            .await
            .expect("pdf");
        whole.push(t.elapsed());
    }
    println!(
        "one warm convention, medians: new page {:.1} ms, set content {:.1} ms, print {:.1} ms, print with footer {:.1} ms, close page {:.1} ms; whole render (with metadata) {:.1} ms",
        ms(median(open)),
        ms(median(content)),
        ms(median(print)),
        ms(median(print_footer)),
        ms(median(close)),
        ms(median(whole)),
    );
    browser.close().await.expect("close");

    let Some(weasy) = weasyprint() else {
        println!("weasyprint: not installed, no comparison");
        return;
    };
    let version = Command::new(&weasy)
        .arg("--version")
        .output()
        .expect("version");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut inputs = Vec::new();
    for kind in kinds {
        let html = dir.path().join(format!("{}.html", kind.slug()));
        std::fs::write(&html, renderer.html(kind, &action).expect("html")).expect("write");
        inputs.push((html, dir.path().join(format!("{}.pdf", kind.slug()))));
    }
    let mut runs = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        for (html, pdf) in &inputs {
            let status = Command::new(&weasy)
                .arg(html)
                .arg(pdf)
                .status()
                .expect("run");
            assert!(status.success(), "weasyprint failed");
        }
        runs.push(t.elapsed());
    }
    let weasy_seq = median(runs);
    println!(
        "{} 3 PDFs as subprocesses, median of {WARM_RUNS}: {:8.1} ms",
        String::from_utf8_lossy(&version.stdout).trim(),
        ms(weasy_seq)
    );
    println!(
        "ratio weasyprint / chromium warm pack: {:.2}; / chromium warm sequential: {:.2}; / chromium cold pack: {:.2}",
        weasy_seq.as_secs_f64() / warm_pack.as_secs_f64(),
        weasy_seq.as_secs_f64() / chromium_seq.as_secs_f64(),
        weasy_seq.as_secs_f64() / cold.as_secs_f64(),
    );
}
