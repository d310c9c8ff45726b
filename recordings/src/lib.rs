//! Run recordings: what a portal script saw and did, step by step, for staff and for debugging.
//!
//! Each job attempt gets a folder `<root>/<job_id>/attempt-<n>/` holding numbered steps (a PNG
//! screenshot and the page HTML), a JSON-lines step log (action, locator, value, duration,
//! outcome) and, under `final/`, the pre-submit screenshots that staff review before confirming.
//! The crate knows nothing of browsers: it takes bytes and strings. Every string it stores passes
//! through a [`Redactor`] given the attempt's secrets (passwords, 2FA codes), so a secret never
//! reaches the disk, even inside the HTML of a page. Reading goes through [`Store`], which refuses
//! any path that would leave the recordings root, including the paths that job results keep
//! ([`Store::read_recorded`]): path handling lives here and nowhere else.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// What replaces a secret in anything stored.
pub const MASK: &str = "•••";

const STEP_LOG: &str = "steps.jsonl";
const META: &str = "attempt.json";
const FINAL_DIR: &str = "final";

/// Why a recording could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("invalid job id {0:?}: only letters, digits, '-' and '_' are allowed")]
    InvalidJobId(String),
    #[error("invalid file name {0:?}")]
    InvalidPath(String),
    #[error("no recording {0}")]
    NotFound(String),
    #[error("cannot access {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the step log")]
    Json(#[from] serde_json::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordingError + '_ {
    move |source| RecordingError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Replaces known secret strings by [`MASK`] wherever they appear.
///
/// Besides the raw text it also masks the forms a secret takes inside HTML, JSON and
/// form-encoded bodies, since page HTML and request logs are stored too.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for these secrets (empty ones are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a SecretString>) -> Self {
        let mut r = Self::default();
        for s in secrets {
            r.add(s);
        }
        r
    }

    /// Adds a secret learnt during the run (a 2FA code typed by a human, say).
    pub fn add(&mut self, secret: &SecretString) {
        let raw = secret.expose_secret();
        if raw.is_empty() {
            return;
        }
        let variants = [
            raw.to_owned(),
            html_escape(raw),
            json_escape(raw),
            form_encode(raw),
        ];
        for v in variants {
            if !v.is_empty() && !self.needles.contains(&v) {
                self.needles.push(v);
            }
        }
        // Longest first, so that a secret containing another one is masked whole.
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The text with every secret masked.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.needles.iter().any(|n| text.contains(n.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), MASK);
            }
        }
        Cow::Owned(out)
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or("")
        .to_owned()
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "error", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed(String),
}

/// One step to record. Strings are redacted before they are stored.
#[derive(Clone, Debug, Default)]
pub struct Step<'a> {
    /// What was done: `goto`, `fill`, `click`, `upload`, `check`, `read`…
    pub action: &'a str,
    /// The locator as a person reads it (`field labelled «Nom»`).
    pub locator: Option<&'a str>,
    /// The value typed or read.
    pub value: Option<&'a str>,
    /// Masks the value whole (a password field), whatever the redactor knows.
    pub value_is_secret: bool,
    pub url: Option<&'a str>,
    pub duration: Duration,
    /// `None` means success.
    pub error: Option<&'a str>,
    pub screenshot_png: Option<&'a [u8]>,
    pub html: Option<&'a str>,
}

/// One line of `steps.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLine {
    pub n: u32,
    pub at: DateTime<Utc>,
    pub action: String,
    pub locator: Option<String>,
    pub value: Option<String>,
    pub url: Option<String>,
    pub duration_ms: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// File name of the screenshot inside the attempt folder.
    pub screenshot: Option<String>,
    /// File name of the page HTML inside the attempt folder.
    pub html: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Meta {
    job_id: String,
    attempt: u32,
    started_at: DateTime<Utc>,
}

/// Writes the recording of one job attempt.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    redactor: Redactor,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    next_step: u32,
    next_final: u32,
    log: File,
}

fn check_job_id(job_id: &str) -> Result<(), RecordingError> {
    let ok = !job_id.is_empty()
        && job_id.len() <= 128
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(RecordingError::InvalidJobId(job_id.to_owned()))
    }
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => 'e',
            'à' | 'â' | 'À' => 'a',
            'ç' | 'Ç' => 'c',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' => 'u',
            c => c,
        })
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(40);
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "step".into() } else { out }
}

/// The folder of one attempt.
pub fn attempt_dir(root: &Path, job_id: &str, attempt: u32) -> PathBuf {
    root.join(job_id).join(format!("attempt-{attempt}"))
}

impl Recorder {
    /// Creates `<root>/<job_id>/attempt-<attempt>/`; an existing attempt folder is continued.
    pub fn start(
        root: impl AsRef<Path>,
        job_id: &str,
        attempt: u32,
        redactor: Redactor,
    ) -> Result<Self, RecordingError> {
        check_job_id(job_id)?;
        let dir = attempt_dir(root.as_ref(), job_id, attempt);
        fs::create_dir_all(dir.join(FINAL_DIR)).map_err(io(&dir))?;
        let meta_path = dir.join(META);
        if !meta_path.exists() {
            let meta = Meta {
                job_id: job_id.to_owned(),
                attempt,
                started_at: Utc::now(),
            };
            fs::write(&meta_path, serde_json::to_vec_pretty(&meta)?).map_err(io(&meta_path))?;
        }
        let log_path = dir.join(STEP_LOG);
        let existing = read_steps(&log_path).unwrap_or_default();
        let next_final = fs::read_dir(dir.join(FINAL_DIR))
            .map(|d| d.count() as u32)
            .unwrap_or(0)
            + 1;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io(&log_path))?;
        Ok(Self {
            dir,
            redactor,
            inner: Mutex::new(Inner {
                next_step: existing.last().map(|l| l.n + 1).unwrap_or(1),
                next_final,
                log,
            }),
        })
    }

    /// The attempt folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The redactor applied to everything stored.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Masks one more secret from now on (a code typed by a human during the run).
    pub fn add_secret(&mut self, secret: &SecretString) {
        self.redactor.add(secret);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a step: its screenshot, its HTML (redacted) and its log line (redacted).
    pub fn record(&self, step: &Step<'_>) -> Result<StepLine, RecordingError> {
        let mut inner = self.lock();
        let n = inner.next_step;
        inner.next_step += 1;
        let base = format!("step-{n:03}-{}", slug(step.action));
        let screenshot = match step.screenshot_png {
            Some(png) => {
                let name = format!("{base}.png");
                let path = self.dir.join(&name);
                fs::write(&path, png).map_err(io(&path))?;
                Some(name)
            }
            None => None,
        };
        let html = match step.html {
            Some(h) => {
                let name = format!("{base}.html");
                let path = self.dir.join(&name);
                fs::write(&path, self.redactor.redact(h).as_bytes()).map_err(io(&path))?;
                Some(name)
            }
            None => None,
        };
        let value = step.value.map(|v| {
            if step.value_is_secret {
                MASK.to_owned()
            } else {
                self.redactor.redact(v).into_owned()
            }
        });
        let line = StepLine {
            n,
            at: Utc::now(),
            action: step.action.to_owned(),
            locator: step.locator.map(|l| self.redactor.redact(l).into_owned()),
            value,
            url: step.url.map(|u| self.redactor.redact(u).into_owned()),
            duration_ms: u64::try_from(step.duration.as_millis()).unwrap_or(u64::MAX),
            outcome: match step.error {
                None => Outcome::Ok,
                Some(e) => Outcome::Failed(self.redactor.redact(e).into_owned()),
            },
            screenshot,
            html,
        };
        let mut json = serde_json::to_string(&line)?;
        json.push('\n');
        let log_path = self.dir.join(STEP_LOG);
        inner
            .log
            .write_all(json.as_bytes())
            .and_then(|()| inner.log.flush())
            .map_err(io(&log_path))?;
        Ok(line)
    }

    /// Stores one of the pre-submit screenshots staff review; returns its path.
    pub fn final_screenshot(&self, name: &str, png: &[u8]) -> Result<PathBuf, RecordingError> {
        let mut inner = self.lock();
        let n = inner.next_final;
        inner.next_final += 1;
        let path = self
            .dir
            .join(FINAL_DIR)
            .join(format!("{n:02}-{}.png", slug(name)));
        fs::write(&path, png).map_err(io(&path))?;
        Ok(path)
    }
}

fn read_steps(path: &Path) -> Result<Vec<StepLine>, RecordingError> {
    let file = File::open(path).map_err(io(path))?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        // A line cut by a crash is skipped rather than hiding the rest of the log.
        if let Ok(step) = serde_json::from_str::<StepLine>(&line) {
            out.push(step);
        }
    }
    Ok(out)
}

/// One stored file of an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the attempt folder (`step-001-goto.png`, `final/01-recap.png`).
    pub name: String,
    pub size: u64,
}

/// What the API and the review page show of one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptSummary {
    pub attempt: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepLine>,
    /// Pre-submit screenshots, relative paths, in order.
    pub final_screenshots: Vec<String>,
    pub files: Vec<FileEntry>,
    /// Whether a step failed.
    pub failed: bool,
}

/// One file of one attempt, named as inside the recordings root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptFile {
    pub job_id: String,
    pub attempt: u32,
    /// Relative to the attempt folder, with `/` (`final/01-recap.png`, `step-001-goto.html`).
    pub file: String,
}

impl AttemptFile {
    /// The media type to serve it with, from its extension.
    pub fn media_type(&self) -> &'static str {
        match self.file.rsplit_once('.').map(|(_, ext)| ext) {
            Some("png") => "image/png",
            Some("html") => "text/html; charset=utf-8",
            Some("json" | "jsonl") => "application/json",
            _ => "application/octet-stream",
        }
    }
}

/// What a purge removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub attempts_removed: usize,
    pub jobs_removed: usize,
}

/// Read side of the recordings root: listing, safe file reads, retention.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The recordings under this root.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every attempt of a job, oldest first (empty when the job has none).
    pub fn attempts(&self, job_id: &str) -> Result<Vec<AttemptSummary>, RecordingError> {
        check_job_id(job_id)?;
        let job_dir = self.root.join(job_id);
        let Ok(entries) = fs::read_dir(&job_dir) else {
            return Ok(Vec::new());
        };
        let mut numbers: Vec<u32> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("attempt-"))
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        numbers.sort_unstable();
        numbers
            .into_iter()
            .map(|n| self.attempt(job_id, n))
            .collect()
    }

    /// One attempt of a job.
    pub fn attempt(&self, job_id: &str, attempt: u32) -> Result<AttemptSummary, RecordingError> {
        check_job_id(job_id)?;
        let dir = attempt_dir(&self.root, job_id, attempt);
        if !dir.is_dir() {
            return Err(RecordingError::NotFound(format!(
                "{job_id}/attempt-{attempt}"
            )));
        }
        let steps = read_steps(&dir.join(STEP_LOG)).unwrap_or_default();
        let started_at = fs::read(dir.join(META))
            .ok()
            .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
            .map(|m| m.started_at);
        let mut files = Vec::new();
        let mut final_screenshots = Vec::new();
        for sub in ["", FINAL_DIR] {
            let Ok(entries) = fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for e in entries.filter_map(Result::ok) {
                let Ok(meta) = e.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let Some(name) = e.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let rel = if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                };
                if !sub.is_empty() {
                    final_screenshots.push(rel.clone());
                }
                files.push(FileEntry {
                    name: rel,
                    size: meta.len(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        final_screenshots.sort();
        let failed = steps
            .iter()
            .any(|s| matches!(s.outcome, Outcome::Failed(_)));
        Ok(AttemptSummary {
            attempt,
            started_at,
            steps,
            final_screenshots,
            files,
            failed,
        })
    }

    /// Reads one file of an attempt, refusing anything outside it (`..`, absolute paths, links).
    pub fn read(&self, job_id: &str, attempt: u32, file: &str) -> Result<Vec<u8>, RecordingError> {
        check_job_id(job_id)?;
        let rel = Path::new(file);
        let plain = !file.is_empty()
            && !file.contains('\\')
            && !file.contains('\0')
            && rel.components().all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(RecordingError::InvalidPath(file.to_owned()));
        }
        let dir = attempt_dir(&self.root, job_id, attempt);
        let path = dir.join(rel);
        let real = path
            .canonicalize()
            .map_err(|_| RecordingError::NotFound(format!("{job_id}/attempt-{attempt}/{file}")))?;
        let real_dir = dir.canonicalize().map_err(io(&dir))?;
        if !real.starts_with(&real_dir) || !real.is_file() {
            return Err(RecordingError::InvalidPath(file.to_owned()));
        }
        fs::read(&real).map_err(io(&real))
    }

    /// Which attempt file a path handed out by a [`Recorder`] names (job results keep such paths),
    /// refusing any path that is not `<root>/<job>/attempt-<n>/<file>`.
    pub fn locate(&self, recorded: &Path) -> Result<AttemptFile, RecordingError> {
        let invalid = || RecordingError::InvalidPath(recorded.display().to_string());
        // Real paths on both sides: another spelling of the root, `..` and links are resolved
        // before anything is compared.
        let root = self.root.canonicalize().map_err(io(&self.root))?;
        let real = recorded
            .canonicalize()
            .map_err(|_| RecordingError::NotFound(recorded.display().to_string()))?;
        let inside = real.strip_prefix(&root).map_err(|_| invalid())?;
        let mut parts = Vec::new();
        for c in inside.components() {
            match c {
                Component::Normal(part) => parts.push(part.to_str().ok_or_else(invalid)?),
                _ => return Err(invalid()),
            }
        }
        let [job_id, attempt, file @ ..] = parts.as_slice() else {
            return Err(invalid());
        };
        check_job_id(job_id)?;
        let attempt = attempt
            .strip_prefix("attempt-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(invalid)?;
        if file.is_empty() {
            return Err(invalid());
        }
        Ok(AttemptFile {
            job_id: (*job_id).to_owned(),
            attempt,
            file: file.join("/"),
        })
    }

    /// Reads a file of an attempt from the path a [`Recorder`] handed out, with the checks of
    /// [`Store::read`].
    pub fn read_recorded(&self, recorded: &Path) -> Result<(AttemptFile, Vec<u8>), RecordingError> {
        let file = self.locate(recorded)?;
        let bytes = self.read(&file.job_id, file.attempt, &file.file)?;
        Ok((file, bytes))
    }

    /// Removes attempts started more than `max_age` before `now`, and jobs left empty.
    pub fn purge(&self, max_age: Duration, now: SystemTime) -> Result<PurgeReport, RecordingError> {
        let mut report = PurgeReport::default();
        let cutoff: DateTime<Utc> = DateTime::<Utc>::from(now)
            - chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
        let Ok(jobs) = fs::read_dir(&self.root) else {
            return Ok(report);
        };
        for job in jobs.filter_map(Result::ok) {
            let job_path = job.path();
            if !job_path.is_dir() {
                continue;
            }
            let Ok(attempts) = fs::read_dir(&job_path) else {
                continue;
            };
            for a in attempts.filter_map(Result::ok) {
                let path = a.path();
                let is_attempt = a
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with("attempt-"));
                if !is_attempt || !path.is_dir() {
                    continue;
                }
                let started = fs::read(path.join(META))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
                    .map(|m| m.started_at)
                    .or_else(|| {
                        a.metadata()
                            .and_then(|m| m.modified())
                            .ok()
                            .map(DateTime::<Utc>::from)
                    });
                if started.is_some_and(|s| s < cutoff) {
                    fs::remove_dir_all(&path).map_err(io(&path))?;
                    report.attempts_removed += 1;
                }
            }
            let empty = fs::read_dir(&job_path)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty {
                fs::remove_dir(&job_path).map_err(io(&job_path))?;
                report.jobs_removed += 1;
            }
        }
        if report.attempts_removed > 0 {
            tracing::info!(
                attempts = report.attempts_removed,
                jobs = report.jobs_removed,
                "Purged old recordings"
            );
        }
        Ok(report)
    }
}
