//! One logged-in visit of a portal: the page, the recorder, the credentials, and the primitives
//! every portal script uses (navigate, fill by label, click and wait, classify what the page says).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use browser::Page;
use browser::locator::{self, Locator, LocatorError, Role, Settle};
use recordings::{Recorder, Step};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use crate::error::{HumanInput, PermanentReason, PortalError};
use crate::facts::Facts;

/// The client's delegated login. The password and code never reach a log or a recording: give
/// them to the attempt's [`recordings::Redactor`] too.
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
    /// The code a person read in the client's mailbox, when the portal asked for one.
    pub two_factor_code: Option<SecretString>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"•••")
            .field(
                "two_factor_code",
                &self.two_factor_code.as_ref().map(|_| "•••"),
            )
            .finish()
    }
}

/// A value to put in a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Text(String),
    /// The visible text of a select option.
    Choice(String),
    Check(bool),
    File(PathBuf),
    /// A calendar date, and how the portal writes it (for read-back messages).
    Date(chrono::NaiveDate, String),
    /// Typed into an autocomplete; the one suggestion holding it exactly is chosen.
    Pick(String),
    /// A record of the portal chosen in a combobox (the account's employee), created first in
    /// the portal's dialog when no option is this one.
    ChooseOrCreate(Box<Creation>),
}

/// A record the portal keeps (an employee of the account) that a field chooses, and how to
/// create it when the portal does not have it yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Creation {
    /// The option naming the record, as the combobox shows it once chosen.
    pub option: String,
    /// The button beside the combobox opening the creation dialog.
    pub button: &'static str,
    /// The dialog's save button.
    pub save: &'static str,
    /// The dialog's fields.
    pub fields: Vec<FieldFill>,
}

/// One field of a form page and what goes in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldFill {
    pub label: &'static str,
    pub value: Value,
}

/// One page of a portal's request form.
#[derive(Clone, Debug)]
pub(crate) struct PageFill {
    pub name: &'static str,
    pub fields: Vec<FieldFill>,
}

/// Why a flow stopped: an error, or a lost session the flow may recover from once.
#[derive(Debug)]
pub(crate) enum Stop {
    Expired,
    Fail(PortalError),
}

impl From<PortalError> for Stop {
    fn from(e: PortalError) -> Self {
        Stop::Fail(e)
    }
}

impl From<recordings::RecordingError> for Stop {
    fn from(e: recordings::RecordingError) -> Self {
        Stop::Fail(e.into())
    }
}

pub(crate) type Flow<T> = Result<T, Stop>;

/// A visit of one portal with one client's credentials, recorded step by step.
pub struct Session<'a> {
    page: &'a Page,
    recorder: &'a Recorder,
    base_url: String,
    credentials: Credentials,
    field_wait: Duration,
    load_timeout: Duration,
    step: String,
    /// The draft this session created, to resume it after a re-login even before the portal's
    /// list can tell it apart (no trainee or action on it yet).
    pub(crate) own_draft: Option<String>,
    /// Cancelled when the job must stop: the session stops before its next step.
    stop: CancellationToken,
    /// Set right before the final submit's click: from then on the session runs to its end (a
    /// submit half-watched would be a filing nobody can account for).
    committed: bool,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl<'a> Session<'a> {
    /// A session on the portal served at `base_url` (the real site, or a sandbox in tests).
    pub fn new(
        page: &'a Page,
        recorder: &'a Recorder,
        base_url: impl Into<String>,
        credentials: Credentials,
    ) -> Self {
        Self {
            page,
            recorder,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            credentials,
            field_wait: Duration::from_secs(5),
            load_timeout: Duration::from_secs(20),
            step: "start".into(),
            own_draft: None,
            stop: CancellationToken::new(),
            committed: false,
        }
    }

    /// Stops the session before its next step once `stop` is cancelled (a cancel, a shutdown,
    /// a lost lease). The final submit, once its click is under way, is never interrupted.
    pub fn with_stop(mut self, stop: CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// Resumes the draft an earlier attempt started (see [`crate::started_draft`]) when the
    /// portal's list does not show it as this filing's.
    pub fn resuming(mut self, draft: Option<String>) -> Self {
        self.own_draft = draft;
        self
    }

    /// A safe point between two steps: stops here if asked to, unless the final submit is under
    /// way.
    pub(crate) fn checkpoint(&self) -> Flow<()> {
        if self.committed || !self.stop.is_cancelled() {
            return Ok(());
        }
        self.recorder.record(&Step {
            action: "stopped on request",
            error: Some("the job was asked to stop"),
            ..Step::default()
        })?;
        Err(Stop::Fail(PortalError::Stopped {
            step: self.step.clone(),
        }))
    }

    /// The last safe point before the final submit: stops here if asked to, and otherwise
    /// commits the session to run to its end, whatever is asked meanwhile.
    pub(crate) fn commit_to_submit(&mut self) -> Flow<()> {
        self.checkpoint()?;
        self.committed = true;
        Ok(())
    }

    /// How long to wait for a field to appear, and for a page to load.
    pub fn with_timeouts(mut self, field_wait: Duration, load_timeout: Duration) -> Self {
        self.field_wait = field_wait;
        self.load_timeout = load_timeout;
        self
    }

    /// The recorder of this attempt.
    pub fn recorder(&self) -> &Recorder {
        self.recorder
    }

    pub(crate) fn set_step(&mut self, step: impl Into<String>) {
        self.step = step.into();
    }

    pub(crate) fn step(&self) -> &str {
        &self.step
    }

    fn loc(&self, l: Locator) -> Locator {
        l.with_timeout(self.field_wait)
    }

    async fn url(&self) -> Option<String> {
        self.page
            .evaluate("location.href")
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// Screenshot and HTML of the page as a recorded step; returns the screenshot's path.
    pub(crate) async fn snapshot(&self, action: &str, error: Option<&str>) -> Option<PathBuf> {
        let png = self.page.screenshot_png().await.ok();
        // With what shadow roots and frames hold: a Lightning page's fields, a frameset's page.
        let html = match self.page.deep_html().await {
            Ok(h) => Some(h),
            Err(_) => self.page.html().await.ok(),
        };
        let url = self.url().await;
        let line = self
            .recorder
            .record(&Step {
                action,
                url: url.as_deref(),
                error,
                screenshot_png: png.as_deref(),
                html: html.as_deref(),
                ..Step::default()
            })
            .ok()?;
        line.screenshot.map(|s| self.recorder.dir().join(s))
    }

    /// A screenshot kept for staff review (under `final/`).
    pub(crate) async fn final_screenshot(&self, name: &str) -> Flow<PathBuf> {
        let png = self
            .page
            .screenshot_png()
            .await
            .map_err(|e| self.retryable_now(e.to_string()))?;
        Ok(self.recorder.final_screenshot(name, &png)?)
    }

    fn retryable_now(&self, reason: String) -> Stop {
        Stop::Fail(PortalError::Retryable {
            step: self.step.clone(),
            reason,
            screenshot: None,
        })
    }

    pub(crate) async fn changed(&self, what: impl Into<String>) -> Stop {
        let what = what.into();
        let screenshot = self.snapshot("stopped", Some(&what)).await;
        Stop::Fail(PortalError::PortalChanged {
            step: self.step.clone(),
            what,
            screenshot,
        })
    }

    pub(crate) async fn permanent(&self, reason: PermanentReason) -> Stop {
        let screenshot = self.snapshot("stopped", Some(&reason.to_string())).await;
        Stop::Fail(PortalError::Permanent { reason, screenshot })
    }

    async fn retryable(&self, reason: impl Into<String>) -> Stop {
        let reason = reason.into();
        let screenshot = self.snapshot("stopped", Some(&reason)).await;
        Stop::Fail(PortalError::Retryable {
            step: self.step.clone(),
            reason,
            screenshot,
        })
    }

    /// The visible text of the page (title included).
    pub(crate) async fn text(&self) -> Flow<String> {
        let title = self.page.title().await.ok().flatten().unwrap_or_default();
        match locator::page_text(self.page).await {
            Ok(t) => Ok(format!("{title}\n{t}")),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    /// The text of the page, inside web components too.
    pub(crate) async fn deep_text(&self) -> Flow<String> {
        match locator::deep_page_text(self.page).await {
            Ok(t) => Ok(t),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    /// Stops on pages that are not the portal's normal pages: maintenance, error, CAPTCHA,
    /// expired session.
    pub(crate) async fn check_page(&self, facts: &Facts) -> Flow<()> {
        let text = self.text().await?;
        self.check_page_text(facts, &text).await
    }

    /// [`Session::check_page`] on a text already read.
    async fn check_page_text(&self, facts: &Facts, text: &str) -> Flow<()> {
        let ui = &facts.ui;
        if text.contains(&ui.maintenance_marker) {
            return Err(self.retryable("the portal is in maintenance").await);
        }
        if text.contains(&ui.error_marker) {
            return Err(self
                .retryable("the portal answered with its error page")
                .await);
        }
        if text.contains(&ui.captcha_marker) {
            let screenshot = self.snapshot("captcha", Some("CAPTCHA")).await;
            return Err(Stop::Fail(PortalError::NeedsHuman {
                step: self.step.clone(),
                ask: HumanInput::Captcha,
                screenshot,
            }));
        }
        if text.contains(&ui.session_expired) {
            self.snapshot("session expired", Some("session expired"))
                .await;
            return Err(Stop::Expired);
        }
        Ok(())
    }

    /// Maps a locator failure: first what the page says (maintenance, CAPTCHA…), else a change.
    pub(crate) async fn locator_stop(&self, e: LocatorError) -> Stop {
        if e.is_retryable() {
            return self.retryable(e.to_string()).await;
        }
        self.changed(e.to_string()).await
    }

    async fn locator_failure(&self, facts: &Facts, e: LocatorError) -> Stop {
        if e.is_retryable() {
            return self.retryable(e.to_string()).await;
        }
        if let Err(stop) = self.check_page(facts).await {
            return stop;
        }
        self.changed(e.to_string()).await
    }

    /// Loads `url` (within the page-load limit) and records it as a `goto` step; returns why it
    /// did not load, if it did not.
    async fn open(&self, url: &str) -> Flow<Option<String>> {
        let start = Instant::now();
        let res = tokio::time::timeout(self.load_timeout, self.page.goto(url)).await;
        let error = match &res {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no page after {:?}", self.load_timeout)),
        };
        self.recorder.record(&Step {
            action: "goto",
            url: Some(url),
            duration: start.elapsed(),
            error: error.as_deref(),
            ..Step::default()
        })?;
        Ok(error)
    }

    /// Opens a path of the portal and checks the page.
    pub(crate) async fn goto(&self, facts: &Facts, path: &str) -> Flow<()> {
        self.checkpoint()?;
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        };
        let error = self.open(&url).await?;
        if let Some(e) = error {
            return Err(self.retryable(e).await);
        }
        if facts.ui.in_page_steps && path != facts.ui.login_path {
            // The app renders after the load, from its API: wait until it has (the login is
            // no part of the app).
            let _ = locator::wait_until_settled(self.page, &self.settle(facts)).await;
        }
        self.check_page(facts).await?;
        self.answer_session_warning(facts).await
    }

    fn settle(&self, facts: &Facts) -> Settle {
        let mut settle = Settle::quiet().within(self.load_timeout);
        if let Some(ms) = facts.ui.settle_quiet_ms {
            settle = settle.quiet_for(Duration::from_millis(ms));
        }
        if let Some(css) = &facts.ui.busy_selector {
            settle = settle.busy_while(css.clone());
        }
        settle
    }

    /// Keeps the session when the portal's "session about to expire" dialog shows: a dialog not
    /// answered ends the session at the next step.
    pub(crate) async fn answer_session_warning(&self, facts: &Facts) -> Flow<()> {
        let Some(button) = &facts.ui.session_warning_button else {
            return Ok(());
        };
        let l = self.loc(Locator::button(button.as_str()));
        if !self.present(l.clone()).await {
            return Ok(());
        }
        let start = Instant::now();
        let res = l.click_and_settle(self.page, &self.settle(facts)).await;
        let err = res.as_ref().err().map(ToString::to_string);
        let desc = l.to_string();
        self.recorder.record(&Step {
            action: "answer session warning",
            locator: Some(&desc),
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        if let Err(e) = res {
            return Err(self.locator_failure(facts, e).await);
        }
        if self.present(l).await {
            return Err(self
                .changed(format!("the dialog's button «{button}» did not close it"))
                .await);
        }
        self.check_page(facts).await
    }

    /// Clicks a button that moves to another step of the portal, and waits for the portal's
    /// answer. On a server-rendered portal, that is the next document's load; on a single-page
    /// app (the facts' `in_page_steps`), the page having settled: no busy indicator, the network
    /// quiet a short while. A step the portal acknowledged (`shown`, what the next step shows, is
    /// there) is no outage even if some request lingers. The caller then waits for what it
    /// expects, after reading the portal's messages.
    pub(crate) async fn click_step(
        &self,
        facts: &Facts,
        role: Role,
        name: &str,
        shown: Option<&Locator>,
    ) -> Flow<()> {
        if !facts.ui.in_page_steps {
            return self.click_and_load(facts, role, name).await;
        }
        self.checkpoint()?;
        let l = self.loc(Locator::role(role, name));
        let start = Instant::now();
        let res = l.click_and_settle(self.page, &self.settle(facts)).await;
        let err = res.as_ref().err().map(ToString::to_string);
        let desc = l.to_string();
        self.recorder.record(&Step {
            action: "click",
            locator: Some(&desc),
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        match res {
            Ok(()) => {}
            Err(e @ LocatorError::NotSettled { .. }) => {
                let acknowledged = match shown {
                    Some(x) => self.present(x.clone()).await,
                    None => false,
                };
                if !acknowledged {
                    return Err(self.locator_failure(facts, e).await);
                }
                tracing::info!(step = %self.step, error = %e, "The portal showed the next step while still busy");
            }
            Err(e) => return Err(self.locator_failure(facts, e).await),
        }
        self.check_page(facts).await?;
        self.answer_session_warning(facts).await
    }

    /// Fills one field by its label and logs it (secret values masked).
    pub(crate) async fn fill(
        &self,
        facts: &Facts,
        label: &str,
        value: &Value,
        secret: bool,
    ) -> Flow<()> {
        self.checkpoint()?;
        let l = self.loc(Locator::label(label));
        let start = Instant::now();
        let (action, shown, res) = match value {
            Value::Text(t) => ("fill", t.clone(), l.fill(self.page, t).await),
            Value::Choice(c) => ("select", c.clone(), l.select(self.page, c).await),
            Value::ChooseOrCreate(c) => (
                "select",
                c.option.clone(),
                l.select(self.page, &c.option).await,
            ),
            Value::Check(b) => ("check", b.to_string(), l.check(self.page, *b).await),
            Value::Date(d, shown) => {
                let iso = d.format("%Y-%m-%d").to_string();
                (
                    "fill date",
                    shown.clone(),
                    l.fill_date(self.page, &iso).await,
                )
            }
            Value::Pick(t) => (
                "autocomplete",
                t.clone(),
                l.autocomplete(self.page, t, t).await.map(|_| ()),
            ),
            Value::File(p) => (
                "upload",
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                l.upload(self.page, p).await,
            ),
        };
        // A refused secret must not travel inside the error (errors reach logs).
        let res = match res {
            Err(LocatorError::Rejected { locator, .. }) if secret => Err(LocatorError::Rejected {
                locator,
                kept: recordings::MASK.to_owned(),
            }),
            other => other,
        };
        let err = res.as_ref().err().map(ToString::to_string);
        let desc = l.to_string();
        self.recorder.record(&Step {
            action,
            locator: Some(&desc),
            value: Some(&shown),
            value_is_secret: secret,
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        match res {
            Ok(()) => Ok(()),
            Err(LocatorError::DoesNotFit { limit, .. }) => Err(self
                .permanent(PermanentReason::ValueDoesNotFit {
                    field: label.to_owned(),
                    value: if secret {
                        recordings::MASK.to_owned()
                    } else {
                        shown
                    },
                    limit,
                })
                .await),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Chooses `option` in the combobox labelled `label`; `false` when the combobox has no such
    /// option (nothing chosen), every other failure stops.
    pub(crate) async fn choose_existing(
        &self,
        facts: &Facts,
        label: &str,
        option: &str,
    ) -> Flow<bool> {
        self.checkpoint()?;
        let l = self.loc(Locator::label(label));
        let start = Instant::now();
        let res = l.select(self.page, option).await;
        let err = res.as_ref().err().map(ToString::to_string);
        let desc = l.to_string();
        self.recorder.record(&Step {
            action: "select",
            locator: Some(&desc),
            value: Some(option),
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        match res {
            Ok(()) => Ok(true),
            Err(LocatorError::NoSuchOption { .. }) => Ok(false),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Every visible control of the page, with its label and what it holds.
    pub(crate) async fn controls(&self) -> Flow<Vec<locator::Control>> {
        match locator::controls(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    /// The label/value pairs the page states (a summary).
    pub(crate) async fn stated_values(&self) -> Flow<Vec<(String, String)>> {
        match locator::stated_values(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    /// Reads what a field shows now.
    pub(crate) async fn read(&self, facts: &Facts, label: &str) -> Flow<String> {
        let l = self.loc(Locator::label(label));
        match l.value(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Clicks a button (or link) and waits for the next page, then checks it.
    pub(crate) async fn click_and_load(&self, facts: &Facts, role: Role, name: &str) -> Flow<()> {
        self.checkpoint()?;
        self.click_loaded(facts, role, name).await?;
        self.check_page(facts).await
    }

    /// Clicks a button (or link) and waits for the next document, recorded as a `click` step,
    /// without reading what loaded.
    async fn click_loaded(&self, facts: &Facts, role: Role, name: &str) -> Flow<()> {
        let l = self.loc(Locator::role(role, name));
        let start = Instant::now();
        let res = l
            .click_and_wait_for_load(self.page, self.load_timeout)
            .await;
        let err = res.as_ref().err().map(ToString::to_string);
        let desc = l.to_string();
        self.recorder.record(&Step {
            action: "click",
            locator: Some(&desc),
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        match res {
            Ok(()) => Ok(()),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Waits for what the page should show now, or stops as an unexpected page.
    pub(crate) async fn expect(&self, facts: &Facts, l: Locator) -> Flow<()> {
        match self.loc(l).wait(self.page).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Whether exactly one visible element matches now.
    pub(crate) async fn present(&self, l: Locator) -> bool {
        matches!(l.count(self.page).await, Ok(1))
    }

    /// Waits for a heading with this text, or stops as an unexpected page.
    pub(crate) async fn expect_heading(&self, facts: &Facts, title: &str) -> Flow<()> {
        let l = self.loc(Locator::role(Role::Heading, title));
        match l.wait(self.page).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    pub(crate) async fn required_labels(&self) -> Flow<Vec<String>> {
        match locator::required_field_labels(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    pub(crate) async fn alerts(&self) -> Flow<Vec<String>> {
        match locator::alerts(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    pub(crate) async fn tables(&self) -> Flow<Vec<locator::Table>> {
        match locator::tables(self.page).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.locator_stop(e).await),
        }
    }

    /// The address of the page the portal shows: the window's, or on a portal in frames that of
    /// its content frame (the window keeps the address it was opened at).
    pub(crate) async fn current_url(&self, facts: &Facts) -> Flow<String> {
        let Some(name) = &facts.ui.content_frame else {
            return Ok(self.url().await.unwrap_or_default());
        };
        let js = format!(
            "(() => {{ const f = Array.from(document.querySelectorAll('frame, iframe')).find(f => f.name === {}); try {{ return f ? f.contentWindow.location.href : null; }} catch (e) {{ return null; }} }})()",
            serde_json::Value::from(name.as_str())
        );
        match self.page.evaluate(&js).await {
            Ok(serde_json::Value::String(url)) => Ok(url),
            Ok(_) => Err(self
                .changed(format!(
                    "the page has no frame «{name}» to show the request in"
                ))
                .await),
            Err(e) => Err(self.retryable(e.to_string()).await),
        }
    }

    /// Dismisses a banner by its button, when it shows; a banner that stays stops the run.
    async fn dismiss_banner(&self, facts: &Facts, button: &str) -> Flow<()> {
        let start = Instant::now();
        let res = locator::dismiss_banner(self.page, button, self.field_wait).await;
        let desc = format!("banner button «{button}»");
        let err = res.as_ref().err().map(ToString::to_string);
        self.recorder.record(&Step {
            action: if matches!(res, Ok(false)) {
                "no banner"
            } else {
                "dismiss banner"
            },
            locator: Some(&desc),
            duration: start.elapsed(),
            error: err.as_deref(),
            ..Step::default()
        })?;
        match res {
            Ok(_) => Ok(()),
            Err(e) => Err(self.locator_failure(facts, e).await),
        }
    }

    /// Logs in, answering the second factor when a code was given. The login may be the
    /// portal's own pages or an identity provider's on another origin, which may also send the
    /// browser straight back when it still knows it; every page is waited for by what it shows.
    pub(crate) async fn login(&mut self, facts: &Facts) -> Flow<()> {
        self.set_step("login");
        let ui = &facts.ui;
        self.login_open(facts, &ui.login_path).await?;
        if let Some(button) = &ui.cookie_banner_button {
            self.dismiss_banner(facts, button).await?;
        }
        let user_field = Locator::label(ui.user_label.as_str());
        let mut probes = vec![(After::Form, Probe::Shown(user_field))];
        probes.extend(landing(facts));
        let first = self.first_of(facts, &probes).await?;
        if first == After::Home {
            self.snapshot("logged in (single sign-on)", None).await;
            return Ok(());
        }
        let user = Value::Text(self.credentials.username.clone());
        self.fill(facts, &ui.user_label, &user, false).await?;
        if let Some(next) = &ui.user_next_button {
            self.login_click(facts, next).await?;
            let password_field = Locator::label(ui.password_label.as_str());
            self.first_of(facts, &[(After::Form, Probe::Shown(password_field))])
                .await?;
        }
        let pass = Value::Text(self.credentials.password.expose_secret().to_owned());
        self.fill(facts, &ui.password_label, &pass, true).await?;
        self.login_click(facts, &ui.login_button).await?;
        let mut next = vec![(After::BadCredentials, Probe::Says(ui.login_error.as_str()))];
        next.extend(landing(facts));
        if let Some(m) = ui.password_renewal_marker.as_deref() {
            next.push((After::Renewal, Probe::Says(m)));
        }
        if let Some(label) = ui.two_factor_label.as_deref() {
            next.push((After::Code, Probe::Shown(Locator::label(label))));
        }
        match self.first_of(facts, &next).await? {
            After::BadCredentials => {
                return Err(self.permanent(PermanentReason::BadCredentials).await);
            }
            After::Renewal => {
                self.set_step("login/password renewal");
                let screenshot = self
                    .snapshot("password renewal asked", Some("password renewal"))
                    .await;
                return Err(Stop::Fail(PortalError::NeedsHuman {
                    step: self.step.clone(),
                    ask: HumanInput::PasswordRenewal {
                        username: self.credentials.username.clone(),
                    },
                    screenshot,
                }));
            }
            After::Code => self.second_factor(facts).await?,
            After::Home | After::Form | After::CodeRefused => {}
        }
        self.set_step("login");
        self.first_of(facts, &landing(facts)).await?;
        self.snapshot("logged in", None).await;
        Ok(())
    }

    /// The code sent by e-mail: typed once when a person gave it, else asked for. A refused code
    /// goes back to a person with the tries the page says are left; it is never typed again.
    async fn second_factor(&mut self, facts: &Facts) -> Flow<()> {
        let ui = &facts.ui;
        let code_label = ui.two_factor_label.clone().unwrap_or_default();
        self.set_step("login/second factor");
        let text = self.text().await?;
        let prompt = ui
            .two_factor_prompt_marker
            .as_deref()
            .and_then(|m| text.lines().find(|l| l.contains(m)))
            .unwrap_or("Code de vérification demandé par le portail")
            .trim()
            .to_owned();
        // A code is good for one login: a later re-login must ask a person again.
        let Some(code) = self.credentials.two_factor_code.take() else {
            let screenshot = self.snapshot("code requested", None).await;
            return Err(Stop::Fail(PortalError::NeedsHuman {
                step: self.step.clone(),
                ask: HumanInput::TwoFactorCode {
                    prompt,
                    previous_code_refused: false,
                    tries_left: None,
                },
                screenshot,
            }));
        };
        let code = Value::Text(code.expose_secret().to_owned());
        self.fill(facts, &code_label, &code, true).await?;
        let button = ui.two_factor_button.clone().unwrap_or_default();
        self.login_click(facts, &button).await?;
        let mut next = landing(facts);
        for marker in [&ui.two_factor_error, &ui.two_factor_void_marker] {
            if let Some(m) = marker.as_deref().filter(|m| !m.is_empty()) {
                next.push((After::CodeRefused, Probe::Says(m)));
            }
        }
        if self.first_of(facts, &next).await? == After::CodeRefused {
            let text = self.text().await?;
            let tries_left = tries_left(ui, &text);
            let screenshot = self.snapshot("code refused", None).await;
            return Err(Stop::Fail(PortalError::NeedsHuman {
                step: self.step.clone(),
                ask: HumanInput::TwoFactorCode {
                    prompt,
                    previous_code_refused: true,
                    tries_left,
                },
                screenshot,
            }));
        }
        Ok(())
    }

    /// Opens the login's address, recorded like [`Session::goto`], without reading the page: it
    /// may be on its way to another origin and back.
    async fn login_open(&self, facts: &Facts, path: &str) -> Flow<()> {
        let url = format!("{}{path}", self.base_url);
        let error = self.open(&url).await?;
        match error {
            // The page may say why (maintenance, an error page) before the browser gave up.
            Some(e) => match self.check_text_now(facts).await {
                Err(stop) => Err(stop),
                Ok(()) => Err(self.retryable(e).await),
            },
            None => Ok(()),
        }
    }

    /// Clicks a login button and waits for the next document, without reading it: the page
    /// that loads may hand over to another at once (the return from an identity provider).
    async fn login_click(&self, facts: &Facts, name: &str) -> Flow<()> {
        self.click_loaded(facts, Role::Button, name).await
    }

    /// Stops on what the page says when it is not a login page: the portal's markers and its
    /// identity provider's (maintenance, error page, CAPTCHA), or an expired session.
    async fn check_text(&self, facts: &Facts, text: &str) -> Flow<()> {
        if let Some(p) = &facts.login_provider {
            if text.contains(&p.maintenance_marker) {
                return Err(self
                    .retryable("the identity provider is in maintenance")
                    .await);
            }
            if text.contains(&p.error_marker) {
                return Err(self
                    .retryable("the identity provider answered with its error page")
                    .await);
            }
            if text.contains(&p.captcha_marker) {
                let screenshot = self.snapshot("captcha", Some("CAPTCHA")).await;
                return Err(Stop::Fail(PortalError::NeedsHuman {
                    step: self.step.clone(),
                    ask: HumanInput::Captcha,
                    screenshot,
                }));
            }
        }
        self.check_page_text(facts, text).await
    }

    async fn check_text_now(&self, facts: &Facts) -> Flow<()> {
        match self.page_text_now().await {
            Some(text) => self.check_text(facts, &text).await,
            None => Ok(()),
        }
    }

    /// The page's text with its title, or `None` while no document can answer (navigating).
    async fn page_text_now(&self) -> Option<String> {
        let text = locator::page_text(self.page).await.ok()?;
        let title = self.page.title().await.ok().flatten().unwrap_or_default();
        Some(format!("{title}\n{text}"))
    }

    /// Waits until one of `probes` holds on the page, whatever its origin, checking on the way
    /// what the page says (maintenance, CAPTCHA…); a page still loading or handing over to the
    /// next is waited for. None within the load limit: the login does not look as expected.
    async fn first_of(&self, facts: &Facts, probes: &[(After, Probe<'_>)]) -> Flow<After> {
        let deadline = Instant::now() + self.load_timeout;
        loop {
            if let Some(text) = self.page_text_now().await {
                self.check_text(facts, &text).await?;
                for (after, probe) in probes {
                    let seen = match probe {
                        Probe::Says(s) => text.contains(s),
                        Probe::Shown(l) => self.present(l.clone()).await,
                    };
                    if seen {
                        return Ok(*after);
                    }
                }
            }
            if Instant::now() >= deadline {
                let awaited: Vec<String> = probes.iter().map(|(_, p)| p.to_string()).collect();
                return Err(self
                    .changed(format!(
                        "the login shows none of {} (waited {:?})",
                        awaited.join(", "),
                        self.load_timeout
                    ))
                    .await);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

/// What shows that the login is over: the space's list of requests, or the site picker before
/// it on a portal that has one.
fn landing(facts: &Facts) -> Vec<(After, Probe<'static>)> {
    let mut probes = vec![(
        After::Home,
        Probe::Shown(Locator::role(Role::Heading, facts.ui.list_title.as_str())),
    )];
    if let Some(picker) = &facts.site_picker {
        probes.push((
            After::Home,
            Probe::Shown(Locator::role(Role::Heading, picker.title.as_str())),
        ));
    }
    probes
}

/// Where a login page leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// The next form of the login.
    Form,
    /// The portal's home: logged in.
    Home,
    BadCredentials,
    /// The account must choose a new password.
    Renewal,
    /// A code sent by e-mail is asked.
    Code,
    CodeRefused,
}

/// What shows that a login page is there.
enum Probe<'a> {
    /// Exactly one visible element.
    Shown(Locator),
    /// The page's text holds this.
    Says(&'a str),
}

impl std::fmt::Display for Probe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Probe::Shown(l) => write!(f, "{l}"),
            Probe::Says(s) => write!(f, "the text «{s}»"),
        }
    }
}

/// The tries a refused code has left, as the page says them: `Some(0)` when it says the code is
/// void, the pattern's first group otherwise, `None` when the page does not tell.
fn tries_left(ui: &crate::facts::Ui, text: &str) -> Option<u32> {
    if ui
        .two_factor_void_marker
        .as_deref()
        .is_some_and(|m| !m.is_empty() && text.contains(m))
    {
        return Some(0);
    }
    let re = regex::Regex::new(ui.two_factor_tries_pattern.as_deref()?).ok()?;
    re.captures(text)?.get(1)?.as_str().parse().ok()
}
