use std::time::{Duration, SystemTime};

use recordings::{AttemptFile, MASK, Outcome, Recorder, RecordingError, Redactor, Step, Store};
use secrecy::SecretString;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake";

fn secrets() -> Vec<SecretString> {
    vec![
        SecretString::from("p@ss<w>rd&1"),
        SecretString::from("482913"),
        SecretString::from(""),
    ]
}

fn all_bytes_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_bytes_under(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn steps_are_numbered_with_their_screenshot_html_and_log_line_and_listed_for_the_job() {
    let root = tempfile::tempdir().unwrap();
    let rec = Recorder::start(root.path(), "job-1", 1, Redactor::default()).unwrap();
    assert!(rec.dir().ends_with("job-1/attempt-1"));
    rec.record(&Step {
        action: "goto",
        url: Some("http://127.0.0.1/connexion"),
        duration: Duration::from_millis(120),
        screenshot_png: Some(PNG),
        html: Some("<html>connexion</html>"),
        ..Step::default()
    })
    .unwrap();
    rec.record(&Step {
        action: "fill",
        locator: Some("field labelled «Nom du salarié»"),
        value: Some("Dupont"),
        duration: Duration::from_millis(8),
        ..Step::default()
    })
    .unwrap();
    rec.record(&Step {
        action: "click",
        locator: Some("button «Étape suivante»"),
        error: Some("no button named «Étape suivante»"),
        ..Step::default()
    })
    .unwrap();
    let final_path = rec.final_screenshot("récapitulatif", PNG).unwrap();
    assert!(final_path.starts_with(rec.dir().join("final")));

    let store = Store::new(root.path());
    let attempts = store.attempts("job-1").unwrap();
    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(a.attempt, 1);
    assert!(a.started_at.is_some());
    assert_eq!(
        a.steps.iter().map(|s| s.n).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(a.steps[0].screenshot.as_deref(), Some("step-001-goto.png"));
    assert_eq!(a.steps[0].html.as_deref(), Some("step-001-goto.html"));
    assert_eq!(a.steps[0].duration_ms, 120);
    assert_eq!(a.steps[1].value.as_deref(), Some("Dupont"));
    assert_eq!(
        a.steps[2].outcome,
        Outcome::Failed("no button named «Étape suivante»".into())
    );
    assert!(a.failed);
    assert_eq!(a.final_screenshots, vec!["final/01-recapitulatif.png"]);
    assert!(a.files.iter().any(|f| f.name == "steps.jsonl"));
    assert_eq!(
        store
            .read("job-1", 1, "final/01-recapitulatif.png")
            .unwrap(),
        PNG
    );
    assert_eq!(
        store.read("job-1", 1, "step-001-goto.html").unwrap(),
        b"<html>connexion</html>"
    );
    assert!(store.attempts("other-job").unwrap().is_empty());
}

#[test]
fn secrets_never_reach_the_disk_in_values_html_urls_or_errors() {
    let root = tempfile::tempdir().unwrap();
    let mut rec = Recorder::start(root.path(), "job-2", 1, Redactor::new(&secrets())).unwrap();
    rec.record(&Step {
        action: "fill",
        locator: Some("field labelled «Mot de passe»"),
        value: Some("p@ss<w>rd&1"),
        html: Some("<input value=\"p@ss&lt;w&gt;rd&amp;1\"><script>var x=\"p@ss<w>rd&1\"</script>"),
        url: Some("http://x/login?password=p%40ss%3Cw%3Erd%261"),
        error: Some("login failed for p@ss<w>rd&1"),
        ..Step::default()
    })
    .unwrap();
    rec.record(&Step {
        action: "fill",
        locator: Some("field labelled «Identifiant»"),
        value: Some("anything typed in a password box"),
        value_is_secret: true,
        ..Step::default()
    })
    .unwrap();
    // A code learnt during the run is masked from then on.
    rec.add_secret(&SecretString::from("771204"));
    rec.record(&Step {
        action: "fill",
        value: Some("771204 and 482913"),
        html: Some("<p>code 771204</p>"),
        ..Step::default()
    })
    .unwrap();

    for (path, bytes) in all_bytes_under(root.path()) {
        for secret in [
            "p@ss<w>rd&1",
            "p@ss&lt;w&gt;rd&amp;1",
            "p%40ss%3Cw%3Erd%261",
            "482913",
            "771204",
        ] {
            assert!(!contains(&bytes, secret), "{secret} in {}", path.display());
        }
    }
    let steps = &Store::new(root.path()).attempts("job-2").unwrap()[0].steps;
    assert_eq!(steps[0].value.as_deref(), Some(MASK));
    assert_eq!(steps[1].value.as_deref(), Some(MASK));
    assert_eq!(steps[2].value.as_deref(), Some("••• and •••"));
    assert_eq!(
        steps[0].outcome,
        Outcome::Failed(format!("login failed for {MASK}"))
    );
}

#[test]
fn reading_refuses_paths_that_leave_the_attempt_folder() {
    let root = tempfile::tempdir().unwrap();
    let rec = Recorder::start(root.path(), "job-3", 1, Redactor::default()).unwrap();
    rec.final_screenshot("recap", PNG).unwrap();
    std::fs::write(root.path().join("job-3").join("outside.txt"), "x").unwrap();
    let store = Store::new(root.path());
    for bad in [
        "../outside.txt",
        "final/../../outside.txt",
        "/etc/passwd",
        "",
        "final\\..\\..\\outside.txt",
        ".",
    ] {
        assert!(
            matches!(
                store.read("job-3", 1, bad),
                Err(RecordingError::InvalidPath(_))
            ),
            "{bad:?}"
        );
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            root.path().join("job-3").join("outside.txt"),
            rec.dir().join("link.png"),
        )
        .unwrap();
        assert!(matches!(
            store.read("job-3", 1, "link.png"),
            Err(RecordingError::InvalidPath(_))
        ));
    }
    assert!(matches!(
        store.read("..", 1, "outside.txt"),
        Err(RecordingError::InvalidJobId(_))
    ));
    assert!(matches!(
        store.read("job-3", 1, "missing.png"),
        Err(RecordingError::NotFound(_))
    ));
    assert!(matches!(
        Recorder::start(root.path(), "a/b", 1, Redactor::default()),
        Err(RecordingError::InvalidJobId(_))
    ));
}

#[test]
fn a_path_kept_by_a_job_result_is_read_through_the_store_and_never_outside_it() {
    let root = tempfile::tempdir().unwrap();
    let rec = Recorder::start(root.path(), "job-4", 2, Redactor::default()).unwrap();
    let shot = rec.final_screenshot("récapitulatif", PNG).unwrap();
    std::fs::write(root.path().join("job-4").join("outside.png"), PNG).unwrap();
    let store = Store::new(root.path());
    let (file, bytes) = store.read_recorded(&shot).unwrap();
    assert_eq!(bytes, PNG);
    assert_eq!(
        file,
        AttemptFile {
            job_id: "job-4".into(),
            attempt: 2,
            file: "final/01-recapitulatif.png".into()
        }
    );
    assert_eq!(file.media_type(), "image/png");

    // The same root reached by another spelling of its path.
    let other = root.path().join("job-4").join("..").join("job-4");
    let spelled = other
        .join("attempt-2")
        .join("final")
        .join("01-recapitulatif.png");
    assert_eq!(store.read_recorded(&spelled).unwrap().1, PNG);

    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("x.png"), PNG).unwrap();
    for bad in [
        root.path().join("job-4").join("outside.png"),
        root.path().join("job-4").join("attempt-2"),
        root.path().join("job-4").join("attempt-x").join("a.png"),
        root.path()
            .join("job-4")
            .join("attempt-2")
            .join("..")
            .join("outside.png"),
        root.path().join("..").join("etc").join("passwd"),
        elsewhere.path().join("x.png"),
        "/etc/passwd".into(),
    ] {
        assert!(
            matches!(
                store.read_recorded(&bad),
                Err(RecordingError::InvalidPath(_) | RecordingError::NotFound(_))
            ),
            "{bad:?}"
        );
    }
    #[cfg(unix)]
    {
        let link = rec.dir().join("final").join("zz-link.png");
        std::os::unix::fs::symlink(elsewhere.path().join("x.png"), &link).unwrap();
        assert!(matches!(
            store.read_recorded(&link),
            Err(RecordingError::InvalidPath(_))
        ));
    }
}

#[test]
fn a_purge_removes_attempts_older_than_the_retention_and_keeps_the_rest() {
    let root = tempfile::tempdir().unwrap();
    Recorder::start(root.path(), "old-job", 1, Redactor::default()).unwrap();
    let store = Store::new(root.path());
    let report = store
        .purge(Duration::from_secs(30 * 86_400), SystemTime::now())
        .unwrap();
    assert_eq!(report.attempts_removed, 0);
    assert_eq!(store.attempts("old-job").unwrap().len(), 1);

    let later = SystemTime::now() + Duration::from_secs(31 * 86_400);
    let report = store
        .purge(Duration::from_secs(30 * 86_400), later)
        .unwrap();
    assert_eq!(report.attempts_removed, 1);
    assert_eq!(report.jobs_removed, 1);
    assert!(!root.path().join("old-job").exists());
}

#[test]
fn a_restarted_recorder_continues_the_numbering_of_its_attempt() {
    let root = tempfile::tempdir().unwrap();
    {
        let rec = Recorder::start(root.path(), "job-4", 2, Redactor::default()).unwrap();
        rec.record(&Step {
            action: "goto",
            ..Step::default()
        })
        .unwrap();
        rec.final_screenshot("a", PNG).unwrap();
    }
    let rec = Recorder::start(root.path(), "job-4", 2, Redactor::default()).unwrap();
    let line = rec
        .record(&Step {
            action: "click",
            ..Step::default()
        })
        .unwrap();
    assert_eq!(line.n, 2);
    let second = rec.final_screenshot("b", PNG).unwrap();
    assert!(second.ends_with("final/02-b.png"));
}
