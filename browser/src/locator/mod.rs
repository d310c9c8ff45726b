//! Locators by the text a person reads: a field by its label, a button or link by its role and name.
//!
//! Portal scripts must survive markup changes (ids, classes, nesting) and must stop when the
//! wording changes, so they find elements the way a person does. A field is found by its
//! `<label for>`, a wrapping `<label>`, `aria-label`, `aria-labelledby` (resolved in the field's
//! own document or shadow root), the label of the custom component it is the one control of (a
//! `<lightning-input label=…>`-style host whose shadow root holds a `<label>` and an `<input>`),
//! a `<legend>` for a radio group, or its placeholder; a button or link by its role and
//! accessible name. Labels are compared with whitespace collapsed, case ignored, and a trailing
//! " *" or ":" removed.
//!
//! A locator searches the whole page: the document, every open shadow root at any depth, and
//! every frame, same-origin or not (each frame in its own execution context). It **auto-waits**
//! until its element is visible and enabled (within its timeout) and is **strict** across all of
//! them: no match or several matches is an error that names the locator and says where it
//! looked.
//!
//! Widgets a person sets are read back: ARIA comboboxes ([`Locator::select`]), autocompletes
//! ([`Locator::autocomplete`]), dates ([`Locator::fill_date`]), radio groups, switches and
//! checkboxes ([`Locator::check`]); a value that does not stick is an error with what was asked
//! and what the page shows. Clicks a component would ignore from a script go through Chromium's
//! input pipeline ([`Locator::mouse_click`]) after checking nothing covers the element.

mod frames;
mod input;
mod settle;
mod widgets;

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::cdp::js_protocol::runtime::RemoteObjectId;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{BrowserError, with_timeout};
use crate::page::Page;
use frames::{Arg, FrameCtx, Group, Reply, call, call_json, eval, in_every_frame};

pub use frames::Scope;
pub(crate) use settle::NetworkTracker;
pub use settle::{Settle, wait_until_settled};
pub use widgets::dismiss_banner;

/// How long a locator waits for its element by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(100);

/// The ARIA roles a locator can look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `<button>`, `<input type=submit|button|reset>`, `[role=button]`.
    Button,
    /// `<a href>`, `[role=link]`.
    Link,
    /// `<input type=checkbox>`, `[role=checkbox]`.
    Checkbox,
    /// `<h1>`…`<h6>`, `[role=heading]`.
    Heading,
    /// `<input type=radio>`, `[role=radio]`.
    Radio,
    /// `[role=radiogroup]`, named by `aria-label` or `aria-labelledby`.
    RadioGroup,
    /// `[role=switch]` (an on/off toggle with `aria-checked`).
    Switch,
    /// `[role=combobox]` and single `<select>`s, named by their label.
    Combobox,
    /// `[role=option]`, named by its text.
    Option,
    /// `[role=tab]`, named by its text.
    Tab,
    /// `<dialog>`, `[role=dialog]`, `[role=alertdialog]`, named by `aria-label(ledby)`.
    Dialog,
    /// `[role=region]` and labelled `<section>`s: a landmark.
    Region,
    /// `<main>`, `[role=main]`: the main landmark, named by `aria-label(ledby)` (often empty).
    Main,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Button => "button",
            Role::Link => "link",
            Role::Checkbox => "checkbox",
            Role::Heading => "heading",
            Role::Radio => "radio",
            Role::RadioGroup => "radiogroup",
            Role::Switch => "switch",
            Role::Combobox => "combobox",
            Role::Option => "option",
            Role::Tab => "tab",
            Role::Dialog => "dialog",
            Role::Region => "region",
            Role::Main => "main",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Label(String),
    Role(Role, String),
}

/// Finds one element by what a person reads; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locator {
    target: Target,
    timeout: Duration,
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Label(l) => write!(f, "field labelled «{l}»"),
            Target::Role(r, n) => write!(f, "{} «{n}»", r.as_str()),
        }
    }
}

/// Why a locator could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum LocatorError {
    /// Nothing matched within the timeout.
    #[error("no {locator} on the page (waited {waited:?}; {searched})")]
    NotFound {
        locator: String,
        waited: Duration,
        searched: Scope,
    },
    /// Several elements matched: strictness forbids guessing.
    #[error("{count} elements match {locator}: the locator is ambiguous ({searched})")]
    Ambiguous {
        locator: String,
        count: usize,
        searched: Scope,
    },
    /// The element exists but stayed hidden or disabled.
    #[error("{locator} is {state} (waited {waited:?})")]
    NotActionable {
        locator: String,
        state: String,
        waited: Duration,
    },
    /// The element is not of a kind this action applies to (filling a checkbox, say).
    #[error("cannot {action} {locator}: it is a {found}")]
    WrongKind {
        locator: String,
        action: &'static str,
        found: String,
    },
    /// A select, combobox, radio group or autocomplete has no option with that text.
    #[error("{locator} has no option «{option}» (options: {available:?})")]
    NoSuchOption {
        locator: String,
        option: String,
        available: Vec<String>,
    },
    /// Several suggestions of an autocomplete (or options of a combobox) fit what was asked.
    #[error("{} options of {locator} fit «{option}»: {matching:?}", matching.len())]
    AmbiguousOption {
        locator: String,
        option: String,
        matching: Vec<String>,
    },
    /// The control did not keep the value (a date in the wrong format, a maxlength).
    #[error("{locator} did not accept the value (it holds «{kept}»)")]
    Rejected { locator: String, kept: String },
    /// A widget was set but shows something else when read back.
    #[error("{locator} did not keep «{asked}»: the page shows «{shown}»")]
    DidNotStick {
        locator: String,
        asked: String,
        shown: String,
    },
    /// The control's own limits (`maxlength`, `pattern`) cannot hold the value: nothing was typed.
    #[error("{locator} cannot hold the value: it accepts {limit}")]
    DoesNotFit { locator: String, limit: String },
    /// Something else sits over the element's centre (a backdrop, a banner): a real click would
    /// land on it.
    #[error("{locator} is covered by {by}: a click would not reach it")]
    Covered { locator: String, by: String },
    /// A dismissed banner (or a clicked element) stayed on the page.
    #[error("{locator} is still shown after it was clicked (waited {waited:?})")]
    StillShown { locator: String, waited: Duration },
    /// The file to upload cannot be used.
    #[error("cannot upload {path}: {reason}")]
    File { path: String, reason: String },
    /// An upload component did not show its finished state in time.
    #[error("{locator} did not show «{awaited}» within {waited:?} (it shows «{seen}»)")]
    NotFinished {
        locator: String,
        awaited: String,
        seen: String,
        waited: Duration,
    },
    /// A page did not finish loading after a click.
    #[error("the page did not load after {action} (waited {waited:?})")]
    NavigationTimeout { action: String, waited: Duration },
    /// A single-page app did not settle: what was awaited, and what was still busy.
    #[error("the page did not settle within {waited:?}: waited for {awaited}; still {}", still.join("; "))]
    NotSettled {
        awaited: String,
        still: Vec<String>,
        waited: Duration,
    },
    #[error(transparent)]
    Browser(#[from] BrowserError),
}

impl LocatorError {
    /// Whether the page itself may be fine and trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LocatorError::Browser(e) => e.is_retryable(),
            LocatorError::NavigationTimeout { .. }
            | LocatorError::NotSettled { .. }
            | LocatorError::NotFinished { .. } => true,
            _ => false,
        }
    }
}

/// The same normalisation the page-side script applies: whitespace collapsed, trailing " *" and
/// ":" removed, lower case.
pub fn normalize_label(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let trimmed = s.trim_end();
        let cut = trimmed
            .strip_suffix('*')
            .or_else(|| trimmed.strip_suffix(':'));
        match cut {
            Some(rest) => s = rest.trim_end().to_owned(),
            None => {
                s = trimmed.to_owned();
                break;
            }
        }
    }
    s.to_lowercase()
}

/// The actions run page-side on the one element found (`this`), after `dom.js`.
const ACTIONS: &str = r#"
const act = (el, a) => {
  const k = kindOf(el);
  switch (a.op) {
    case 'probe': return { ok: true };
    case 'fill': {
      if (k === 'select' || k === 'checkbox' || k === 'radio' || k === 'file' || !('value' in el) || el.tagName === 'BUTTON' || el.tagName === 'FIELDSET') return { wrong: k };
      if (el.readOnly) return { state: 'read-only' };
      // A value the control cannot hold is refused before anything is typed.
      if (el.maxLength > 0 && a.value.length > el.maxLength) return { nofit: 'au plus ' + el.maxLength + ' caractères' };
      if (el.pattern) { let re = null; try { re = new RegExp('^(?:' + el.pattern + ')$', 'v'); } catch (e) { try { re = new RegExp('^(?:' + el.pattern + ')$', 'u'); } catch (e2) {} } if (re && !re.test(a.value)) return { nofit: 'le format ' + el.pattern }; }
      setValue(el, a.value);
      return el.value === a.value ? { ok: true } : { rejected: el.value };
    }
    case 'select': {
      if (k === 'select') {
        const want = norm(a.value);
        const opts = [...el.options];
        const i = opts.findIndex(o => norm(o.text) === want);
        if (i < 0) return { nooption: opts.map(o => o.text.trim()) };
        el.focus(); el.selectedIndex = i; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); el.blur();
        return { ok: true };
      }
      if (el.tagName === 'FIELDSET' || el.getAttribute('role') === 'radiogroup') {
        const want = norm(a.value);
        const radios = radiosOf(el);
        const hits = radios.filter(r => norm(accName(r, 'radio')) === want);
        if (!hits.length) return { nooption: radios.map(r => clean(accName(r, 'radio'))) };
        if (hits.length > 1) return { several: hits.map(r => clean(accName(r, 'radio'))) };
        const r = hits[0];
        if (isOn(r)) return { ok: true };
        if (r.tagName === 'INPUT') { r.click(); if (isOn(r)) return { ok: true }; }
        window[SLOT] = clickTarget(r);
        return { real: true };
      }
      const combo = comboOf(el);
      if (combo) { window[SLOT] = combo; return { combobox: true }; }
      return { wrong: k };
    }
    case 'check': {
      const role = el.getAttribute('role');
      const box = k === 'checkbox' || k === 'radio' || role === 'checkbox' || role === 'switch' || role === 'radio';
      if (!box || ((k === 'radio' || role === 'radio') && !a.value)) return { wrong: k };
      if (isOn(el) === a.value) return { ok: true };
      // A script's click first, as before; components that only take trusted events get a real one.
      el.click();
      if (isOn(el) === a.value) return { ok: true };
      window[SLOT] = clickTarget(el);
      return { real: true };
    }
    case 'click': {
      el.scrollIntoView({ block: 'center' });
      el.click();
      return { ok: true };
    }
    case 'read': return { ok: true, value: readValue(el) };
  }
  return { wrong: 'unknown action' };
};
"#;

/// Runs one action of `ACTIONS` on `this`; a node gone from its document answers `stale`.
fn act_body() -> String {
    format!(
        "{ACTIONS}\nif (!this.isConnected) return JSON.stringify({{ stale: true }}); try {{ return JSON.stringify(act(this, a)); }} catch (e) {{ return JSON.stringify({{ wrong: 'script error: ' + e }}); }}"
    )
}

#[derive(Deserialize, Debug, Default)]
struct Answer {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    stale: bool,
    #[serde(default)]
    wrong: Option<String>,
    #[serde(default)]
    nooption: Option<Vec<String>>,
    #[serde(default)]
    several: Option<Vec<String>>,
    #[serde(default)]
    rejected: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    nofit: Option<String>,
    /// The component needs a real click on the element left in the frame's slot.
    #[serde(default)]
    real: bool,
    /// The control is an ARIA combobox, left in the frame's slot.
    #[serde(default)]
    combobox: bool,
}

/// What one frame found.
#[derive(Deserialize, Debug, Default)]
struct Probe {
    #[serde(default)]
    count: usize,
    #[serde(default)]
    visible: usize,
    #[serde(default)]
    frames: usize,
    #[serde(default)]
    shadows: usize,
    #[serde(default)]
    disabled: bool,
}

/// The one element a locator found, with the frames needed to act on it.
pub(crate) struct Found {
    pub(crate) el: RemoteObjectId,
    /// The execution context the element's handle lives in.
    pub(crate) frame: FrameCtx,
    /// The top document's context (to check what covers a frame).
    pub(crate) top: FrameCtx,
}

enum Look {
    One(Found, bool),
    Many(usize),
    Hidden,
    Nothing,
}

fn is_transient(e: &BrowserError) -> bool {
    // A script evaluated while the document is being replaced loses its execution context.
    matches!(e, BrowserError::Protocol { message, .. }
        if message.contains("context") || message.contains("Cannot find") || message.contains("navigat")
            || message.contains("No node") || message.contains("detached"))
}

/// Takes the element a script left in its frame's slot.
async fn take_slot(
    page: &Page,
    frame: &FrameCtx,
    group: &Group,
) -> Result<Option<RemoteObjectId>, BrowserError> {
    match eval(
        page,
        frame,
        "const e = window[SLOT]; window[SLOT] = null; return e;",
        group,
    )
    .await?
    {
        Reply::Object(id) => Ok(Some(id)),
        _ => Ok(None),
    }
}

impl Locator {
    /// A form control by its label (`<label for>`, wrapping label, `aria-label`,
    /// `aria-labelledby`, its component's label, a radio group's legend, placeholder).
    pub fn label(text: impl Into<String>) -> Self {
        Self {
            target: Target::Label(text.into()),
            timeout: DEFAULT_WAIT,
        }
    }

    /// An element by its role and accessible name.
    pub fn role(role: Role, name: impl Into<String>) -> Self {
        Self {
            target: Target::Role(role, name.into()),
            timeout: DEFAULT_WAIT,
        }
    }

    /// A button by its name.
    pub fn button(name: impl Into<String>) -> Self {
        Self::role(Role::Button, name)
    }

    /// A link by its text.
    pub fn link(name: impl Into<String>) -> Self {
        Self::role(Role::Link, name)
    }

    /// The same locator with another wait limit.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The wait limit.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn spec(&self) -> Value {
        match &self.target {
            Target::Label(l) => json!({ "kind": "label", "name": l }),
            Target::Role(r, n) => json!({ "kind": "role", "role": r.as_str(), "name": n }),
        }
    }

    /// Searches every frame once.
    async fn look(&self, page: &Page, group: &Group) -> Result<(Look, Scope), BrowserError> {
        let body = format!("return JSON.stringify(locateHere({}));", self.spec());
        let (answers, unready) = in_every_frame(page, &body, group).await?;
        let mut scope = Scope {
            frames_not_ready: unready,
            ..Scope::default()
        };
        let top = answers
            .iter()
            .find(|(f, _)| f.top)
            .map(|(f, _)| f.clone())
            .unwrap_or(FrameCtx {
                id: None,
                top: true,
            });
        let (mut count, mut visible, mut holder) = (0, 0, None);
        for (f, v) in &answers {
            let p: Probe = serde_json::from_value(v.clone()).unwrap_or_default();
            scope.add(p.frames, p.shadows, !f.top);
            count += p.count;
            visible += p.visible;
            if p.visible == 1 {
                holder = Some((f.clone(), p.disabled));
            }
        }
        let look = match (visible, holder) {
            (n, _) if n > 1 => Look::Many(n),
            (1, Some((frame, disabled))) => match take_slot(page, &frame, group).await? {
                Some(el) => Look::One(Found { el, frame, top }, disabled),
                None => Look::Nothing,
            },
            _ if count > 0 => Look::Hidden,
            _ => Look::Nothing,
        };
        Ok((look, scope))
    }

    /// Waits until exactly one visible (and, if `usable`, enabled) element matches.
    pub(crate) async fn find(
        &self,
        page: &Page,
        group: &Group,
        usable: bool,
    ) -> Result<Found, LocatorError> {
        let start = Instant::now();
        let name = self.to_string();
        loop {
            let looked = match self.look(page, group).await {
                Ok(l) => Some(l),
                Err(e) if is_transient(&e) => None,
                Err(e) => return Err(e.into()),
            };
            let waited = start.elapsed();
            let last = waited >= self.timeout;
            match looked {
                Some((Look::Many(count), searched)) => {
                    return Err(LocatorError::Ambiguous {
                        locator: name,
                        count,
                        searched,
                    });
                }
                Some((Look::One(found, disabled), _)) if !(usable && disabled) => return Ok(found),
                Some((look, searched)) if last => {
                    return Err(match look {
                        Look::Hidden => LocatorError::NotActionable {
                            locator: name,
                            state: "hidden".into(),
                            waited,
                        },
                        Look::One(..) => LocatorError::NotActionable {
                            locator: name,
                            state: "disabled".into(),
                            waited,
                        },
                        _ => LocatorError::NotFound {
                            locator: name,
                            waited,
                            searched,
                        },
                    });
                }
                None if last => {
                    return Err(LocatorError::NotFound {
                        locator: name,
                        waited,
                        searched: Scope::default(),
                    });
                }
                _ => {}
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Finds the element and runs one action of `ACTIONS` on it, waiting while it is not ready
    /// (read-only, replaced under our feet).
    async fn perform(
        &self,
        page: &Page,
        group: &Group,
        action: Value,
    ) -> Result<(Answer, Found), LocatorError> {
        let start = Instant::now();
        let name = self.to_string();
        let usable = !matches!(action["op"].as_str(), Some("read"));
        loop {
            let found = self.find(page, group, usable).await?;
            let v = match call_json(
                page,
                &found.el,
                &act_body(),
                vec![Arg::Json(action.clone())],
            )
            .await
            {
                Ok(v) => v,
                Err(e) if is_transient(&e) && start.elapsed() < self.timeout => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let a: Answer = serde_json::from_value(v).unwrap_or_default();
            if a.stale && start.elapsed() < self.timeout {
                // Re-rendered between finding and acting: find it again.
                tokio::time::sleep(POLL).await;
                continue;
            }
            if let Some(found_kind) = a.wrong {
                return Err(LocatorError::WrongKind {
                    locator: name,
                    action: action_name(&action),
                    found: found_kind,
                });
            }
            if let Some(available) = a.nooption {
                return Err(LocatorError::NoSuchOption {
                    locator: name,
                    option: action["value"].as_str().unwrap_or("").to_owned(),
                    available,
                });
            }
            if let Some(matching) = a.several {
                return Err(LocatorError::AmbiguousOption {
                    locator: name,
                    option: action["value"].as_str().unwrap_or("").to_owned(),
                    matching,
                });
            }
            if let Some(limit) = a.nofit {
                return Err(LocatorError::DoesNotFit {
                    locator: name,
                    limit,
                });
            }
            if let Some(kept) = a.rejected {
                return Err(LocatorError::Rejected {
                    locator: name,
                    kept,
                });
            }
            if a.ok || a.real || a.combobox {
                return Ok((a, found));
            }
            let waited = start.elapsed();
            if waited >= self.timeout {
                return Err(LocatorError::NotActionable {
                    locator: name,
                    state: a.state.unwrap_or_else(|| "not actionable".into()),
                    waited,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn run(&self, page: &Page, action: Value) -> Result<Answer, LocatorError> {
        let group = Group::new();
        let res = self.perform(page, &group, action).await.map(|(a, _)| a);
        group.release(page).await;
        res
    }

    /// How many visible elements match now across the page, its frames and shadow roots,
    /// without waiting.
    pub async fn count(&self, page: &Page) -> Result<usize, LocatorError> {
        Ok(self.count_where(page).await?.0)
    }

    /// How many visible elements match now, and where the locator looked.
    pub async fn count_where(&self, page: &Page) -> Result<(usize, Scope), LocatorError> {
        let group = Group::new();
        let body = format!("return JSON.stringify(locateHere({}));", self.spec());
        let res = in_every_frame(page, &body, &group).await;
        group.release(page).await;
        let (answers, unready) = res?;
        let mut scope = Scope {
            frames_not_ready: unready,
            ..Scope::default()
        };
        let mut visible = 0;
        for (f, v) in answers {
            let p: Probe = serde_json::from_value(v).unwrap_or_default();
            scope.add(p.frames, p.shadows, !f.top);
            visible += p.visible;
        }
        Ok((visible, scope))
    }

    /// Waits for the one element to be visible and enabled.
    pub async fn wait(&self, page: &Page) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "probe" })).await.map(|_| ())
    }

    /// Types a value into a text, date or number field (the value must stick).
    pub async fn fill(&self, page: &Page, value: &str) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "fill", "value": value }))
            .await
            .map(|_| ())
    }

    /// Chooses `option` by its visible text: in a native select, an ARIA combobox or listbox
    /// (opened with a real click, its options possibly in an overlay elsewhere in the page), or a
    /// radio group named by its legend; then reads the shown value back.
    pub async fn select(&self, page: &Page, option: &str) -> Result<(), LocatorError> {
        let group = Group::new();
        let res = self.select_in(page, &group, option).await;
        group.release(page).await;
        res
    }

    async fn select_in(
        &self,
        page: &Page,
        group: &Group,
        option: &str,
    ) -> Result<(), LocatorError> {
        let (a, found) = self
            .perform(page, group, json!({ "op": "select", "value": option }))
            .await?;
        if a.combobox {
            let combo = take_slot(page, &found.frame, group)
                .await?
                .ok_or_else(|| self.gone())?;
            return self
                .choose_in_combobox(page, group, &found, &combo, option)
                .await;
        }
        if a.real {
            let target = take_slot(page, &found.frame, group)
                .await?
                .ok_or_else(|| self.gone())?;
            input::click(page, &found.top, &target, &self.to_string(), group).await?;
            let shown = self
                .read_until(page, &found.el, |v| {
                    normalize_label(v) == normalize_label(option)
                })
                .await?;
            if normalize_label(&shown) != normalize_label(option) {
                return Err(LocatorError::DidNotStick {
                    locator: self.to_string(),
                    asked: option.to_owned(),
                    shown,
                });
            }
        }
        Ok(())
    }

    fn gone(&self) -> LocatorError {
        LocatorError::Browser(BrowserError::Protocol {
            operation: "act on an element",
            message: format!("Cannot find the element of {self}: it left the document"),
        })
    }

    /// Reads `el` until `done` holds or the locator's timeout passes; returns the last value.
    async fn read_until(
        &self,
        page: &Page,
        el: &RemoteObjectId,
        done: impl Fn(&str) -> bool,
    ) -> Result<String, LocatorError> {
        let start = Instant::now();
        loop {
            let v = input::field_value(page, el).await?;
            if done(&v) || start.elapsed() >= self.timeout {
                return Ok(v);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Ticks or unticks a checkbox, a switch (`role=switch`, `aria-checked`) or a radio (tick
    /// only). A component that ignores a script's click gets a real mouse click; the state is
    /// read back.
    pub async fn check(&self, page: &Page, checked: bool) -> Result<(), LocatorError> {
        let group = Group::new();
        let res = self.check_in(page, &group, checked).await;
        group.release(page).await;
        res
    }

    async fn check_in(
        &self,
        page: &Page,
        group: &Group,
        checked: bool,
    ) -> Result<(), LocatorError> {
        let (a, found) = self
            .perform(page, group, json!({ "op": "check", "value": checked }))
            .await?;
        if !a.real {
            return Ok(());
        }
        let target = take_slot(page, &found.frame, group)
            .await?
            .ok_or_else(|| self.gone())?;
        input::click(page, &found.top, &target, &self.to_string(), group).await?;
        let want = checked.to_string();
        let shown = self.read_until(page, &found.el, |v| v == want).await?;
        if shown != want {
            let word = |b: &str| if b == "true" { "ticked" } else { "unticked" };
            return Err(LocatorError::DidNotStick {
                locator: self.to_string(),
                asked: word(&want).into(),
                shown: word(&shown).into(),
            });
        }
        Ok(())
    }

    /// Gives a file to a file input (CDP `DOM.setFileInputFiles`): the labelled input itself, or
    /// the one file input of the labelled component (a drop zone, an "Upload Files" button),
    /// inside shadow roots too.
    pub async fn upload(&self, page: &Page, file: &Path) -> Result<(), LocatorError> {
        let group = Group::new();
        let res = self.upload_in(page, &group, file).await.map(|_| ());
        group.release(page).await;
        res
    }

    async fn upload_in(
        &self,
        page: &Page,
        group: &Group,
        file: &Path,
    ) -> Result<(Found, RemoteObjectId), LocatorError> {
        let abs = std::fs::canonicalize(file).map_err(|e| LocatorError::File {
            path: file.display().to_string(),
            reason: e.to_string(),
        })?;
        if !abs.is_file() {
            return Err(LocatorError::File {
                path: file.display().to_string(),
                reason: "not a file".into(),
            });
        }
        let found = self.find(page, group, false).await?;
        let input = match call(page, &found.el, widgets::FILE_INPUT, vec![]).await? {
            Reply::Object(id) => id,
            Reply::Json(v) => {
                return Err(LocatorError::WrongKind {
                    locator: self.to_string(),
                    action: "upload a file to",
                    found: v["wrong"].as_str().unwrap_or("element").to_owned(),
                });
            }
            Reply::Nothing => return Err(self.gone()),
        };
        let params = SetFileInputFilesParams::builder()
            .file(abs.display().to_string())
            .object_id(input.clone())
            .build()
            .map_err(BrowserError::InvalidArgument)?;
        with_timeout(
            "set the input's file",
            page.call_timeout(),
            page.cdp().execute(params),
        )
        .await?;
        Ok((found, input))
    }

    /// Clicks the element with a script's `click()` (no wait for a navigation).
    pub async fn click(&self, page: &Page) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "click" })).await.map(|_| ())
    }

    /// Clicks the element with the mouse, as a person would: scrolled into view, refused with
    /// [`LocatorError::Covered`] when something else sits over its centre.
    pub async fn mouse_click(&self, page: &Page) -> Result<(), LocatorError> {
        let group = Group::new();
        let res = async {
            let found = self.find(page, &group, true).await?;
            input::click(page, &found.top, &found.el, &self.to_string(), &group).await
        }
        .await;
        group.release(page).await;
        res
    }

    /// Clicks and waits until the next document has loaded (a form submit, a link).
    pub async fn click_and_wait_for_load(
        &self,
        page: &Page,
        load_timeout: Duration,
    ) -> Result<(), LocatorError> {
        let token = format!("n{}", unique());
        // The mark lives in the top document's window: a new document does not have it.
        page.evaluate(&format!("window.__fleetNav = '{token}'; true"))
            .await?;
        self.run(page, json!({ "op": "click" })).await?;
        wait_for_new_document(page, &token, load_timeout, &self.to_string()).await
    }

    /// Clicks with the mouse (see [`Locator::mouse_click`]) and waits until the page has settled
    /// (see [`wait_until_settled`]), for single-page apps where a step loads no new document.
    pub async fn click_and_settle(&self, page: &Page, settle: &Settle) -> Result<(), LocatorError> {
        self.mouse_click(page).await?;
        settle::settle_since(page, settle, Instant::now()).await
    }

    /// The value a person sees: text of a field, selected option's text, "true"/"false" for a
    /// checkbox or switch, the chosen radio of a group, text of any other element.
    pub async fn value(&self, page: &Page) -> Result<String, LocatorError> {
        Ok(self
            .run(page, json!({ "op": "read" }))
            .await?
            .value
            .unwrap_or_default())
    }

    /// Whether a checkbox is ticked.
    pub async fn is_checked(&self, page: &Page) -> Result<bool, LocatorError> {
        Ok(self.value(page).await? == "true")
    }
}

fn action_name(action: &Value) -> &'static str {
    match action["op"].as_str() {
        Some("fill") => "fill",
        Some("select") => "select an option of",
        Some("check") => "tick",
        Some("click") => "click",
        _ => "read",
    }
}

pub(crate) fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ N.fetch_add(1, Ordering::Relaxed)
}

async fn wait_for_new_document(
    page: &Page,
    token: &str,
    limit: Duration,
    action: &str,
) -> Result<(), LocatorError> {
    let start = Instant::now();
    let probe =
        format!("(() => window.__fleetNav !== '{token}' && document.readyState === 'complete')()");
    loop {
        match page.evaluate(&probe).await {
            Ok(Value::Bool(true)) => return Ok(()),
            Ok(_) => {}
            Err(e) if is_transient(&e) || matches!(e, BrowserError::Timeout { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if start.elapsed() >= limit {
            return Err(LocatorError::NavigationTimeout {
                action: action.to_owned(),
                waited: start.elapsed(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Evaluates `body` in the top document with the library, returning its value.
async fn eval_lib<T: serde::de::DeserializeOwned + Default>(
    page: &Page,
    body: &str,
) -> Result<T, LocatorError> {
    let script = format!(
        "(() => {{ {} \nreturn (() => {{ {body} }})(); }})()",
        frames::DOM_JS
    );
    let v = page.evaluate(&script).await?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

/// Evaluates a per-frame `body` (returning a JSON string with a list under `key`) in every
/// frame and concatenates the lists, the top document's first.
async fn from_every_frame<T: serde::de::DeserializeOwned>(
    page: &Page,
    body: &str,
    key: &str,
) -> Result<Vec<T>, LocatorError> {
    let group = Group::new();
    let res = in_every_frame(page, body, &group).await;
    group.release(page).await;
    let mut out = Vec::new();
    for (_, v) in res?.0 {
        if let Some(list) = v.get(key) {
            out.extend(serde_json::from_value::<Vec<T>>(list.clone()).unwrap_or_default());
        }
    }
    Ok(out)
}

/// The documents a person reads on the page: the top one, then those of its frames of the same
/// origin (a legacy frameset shows nothing of its own; its frames hold the page). Frames of
/// another origin cannot be read from the top and are left out of the texts and tables below.
const DOCUMENTS_JS: &str = "const docs = scan().roots.filter(r => r.nodeType === 9);";

/// The visible text of the page and of its same-origin frames.
pub async fn page_text(page: &Page) -> Result<String, LocatorError> {
    eval_lib(
        page,
        &format!(
            "{DOCUMENTS_JS} return docs.map(d => d.body ? d.body.innerText : '').filter(Boolean).join('\\n');"
        ),
    )
    .await
}

/// The text of the page with that of its open shadow roots (what a person reads inside web
/// components too) and of its same-origin frames, without the page's title.
pub async fn deep_page_text(page: &Page) -> Result<String, LocatorError> {
    eval_lib(
        page,
        &format!(
            "{DOCUMENTS_JS} return docs.map(d => d.body ? deepText(d.body) : '').filter(Boolean).join('\\n');"
        ),
    )
    .await
}

/// The labels (as written) of every visible mandatory control (`required` or
/// `aria-required="true"`), in shadow roots and frames too, so a script can refuse a form asking
/// something it does not know.
pub async fn required_field_labels(page: &Page) -> Result<Vec<String>, LocatorError> {
    from_every_frame(
        page,
        "if (!SELF_ROOT) return JSON.stringify({ skip: true }); \
         const labels = deepAll(scan(), FIELD_SEL).filter(el => shown(el) && (el.required || el.getAttribute('aria-required') === 'true')) \
           .map(el => clean(fieldLabel(el)) || ('(sans libellé) ' + (el.name || el.id || el.tagName))); \
         return JSON.stringify({ labels });",
        "labels",
    )
    .await
}

/// Every form control of the page as a person sees it: its label, its kind, what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
pub struct Control {
    /// The label as written (`(sans libellé) name` when it has none).
    pub label: String,
    /// `text`, `date`, `select`, `checkbox`, `radio`, `file`, `combobox`, …
    pub kind: String,
    /// What it shows: the text, the selected option's text, `true`/`false` for a box, file names.
    pub value: String,
    /// Whether it holds something: text typed, an option chosen, a box ticked, a file given.
    pub filled: bool,
    pub required: bool,
    /// Where it sits: `page`, `shadow` (inside a shadow root) or `frame` (inside an iframe).
    pub place: String,
}

/// Every visible control of the page (inputs, selects, text areas, checkboxes, radios, ARIA
/// comboboxes, checkboxes, switches and text boxes), in the document, in its open shadow roots
/// and in its frames (same-origin or not), so that a script can account for each one.
pub async fn controls(page: &Page) -> Result<Vec<Control>, LocatorError> {
    from_every_frame(
        page,
        r#"if (!SELF_ROOT) return JSON.stringify({ skip: true });
        const SEL = 'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea, [role=combobox], [role=checkbox], [role=radio], [role=textbox], [role=switch]';
        const out = []; const seen = new Set();
        const labelIn = el => { const l = clean(fieldLabel(el)); return l || '(sans libellé) ' + (el.name || el.id || el.tagName.toLowerCase()); };
        const read = el => {
          const role = el.getAttribute('role');
          if (el.tagName === 'SELECT') { const o = el.options[el.selectedIndex]; return { kind: 'select', value: o ? o.text.trim() : '', filled: !!o && el.value !== '' }; }
          if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) return { kind: el.type, value: String(el.checked), filled: el.checked };
          if (el.tagName === 'INPUT' && el.type === 'file') { const names = [...(el.files || [])].map(f => f.name).join(', '); return { kind: 'file', value: names, filled: names !== '' }; }
          if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') return { kind: el.tagName === 'TEXTAREA' ? 'textarea' : (el.type || 'text'), value: el.value, filled: el.value.trim() !== '' };
          if (role === 'checkbox' || role === 'radio' || role === 'switch') { const on = el.getAttribute('aria-checked') === 'true'; return { kind: role, value: String(on), filled: on }; }
          const v = role === 'combobox' ? clean(comboShown(el)) : clean(el.getAttribute('aria-valuetext') || el.innerText || el.textContent);
          return { kind: role || el.tagName.toLowerCase(), value: v, filled: v !== '' };
        };
        const walk = (root, place) => {
          for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) walk(el.shadowRoot, 'shadow');
            if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') { let d = null; try { d = el.contentDocument; } catch (e) { d = null; } if (d) walk(d, 'frame'); }
            if (!el.matches(SEL) || seen.has(el) || !shown(el)) continue;
            seen.add(el);
            const r = read(el);
            out.push({ label: labelIn(el), kind: r.kind, value: r.value, filled: r.filled,
              required: !!el.required || el.getAttribute('aria-required') === 'true', place });
          }
        };
        walk(document, window.top === window ? 'page' : 'frame');
        return JSON.stringify({ controls: out });"#,
        "controls",
    )
    .await
}

/// The label/value pairs a page states (a summary): `<dt>`/`<dd>` of definition lists, and the
/// rows of tables that hold one header cell and one data cell; in same-origin frames too.
pub async fn stated_values(page: &Page) -> Result<Vec<(String, String)>, LocatorError> {
    eval_lib(
        page,
        &format!(
            "{DOCUMENTS_JS}{}",
            r#"const clean = s => (s || '').replace(/\s+/g, ' ').trim();
        const out = [];
        const all = sel => docs.flatMap(d => [...d.querySelectorAll(sel)]);
        for (const dl of all('dl')) {
          let label = null;
          for (const c of dl.querySelectorAll('dt, dd')) {
            if (c.tagName === 'DT') label = clean(c.innerText);
            else if (label !== null) { out.push([label, clean(c.innerText)]); label = null; }
          }
        }
        for (const tr of all('tr')) {
          const cells = [...tr.cells];
          if (cells.length === 2 && cells[0].tagName === 'TH' && cells[1].tagName === 'TD' && !cells[1].querySelector('input, select, textarea')) out.push([clean(cells[0].innerText), clean(cells[1].innerText)]);
        }
        return out;"#
        ),
    )
    .await
}

/// The texts of the page's alerts (`role="alert"`), errors shown by the portal, in shadow roots
/// and frames too.
pub async fn alerts(page: &Page) -> Result<Vec<String>, LocatorError> {
    from_every_frame(
        page,
        "if (!SELF_ROOT) return JSON.stringify({ skip: true }); \
         const alerts = deepAll(scan(), '[role=alert]').filter(shown).map(e => clean(e.innerText) || deepText(e)).filter(Boolean); \
         return JSON.stringify({ alerts });",
        "alerts",
    )
    .await
}

/// A link inside a table row.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
pub struct RowLink {
    pub text: String,
    /// Absolute URL.
    pub href: String,
}

/// One row of a table, its cells paired with their column headers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
pub struct TableRow {
    pub cells: Vec<(String, String)>,
    pub links: Vec<RowLink>,
}

impl TableRow {
    /// The text of the cell under this header (compared like labels).
    pub fn cell(&self, header: &str) -> Option<&str> {
        let want = normalize_label(header);
        self.cells
            .iter()
            .find(|(h, _)| normalize_label(h) == want)
            .map(|(_, v)| v.as_str())
    }
}

/// One data table of the page.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

/// Every table of the page and of its same-origin frames with a header row, read as a person
/// would (a link's `href` resolved against its own frame's address).
pub async fn tables(page: &Page) -> Result<Vec<Table>, LocatorError> {
    eval_lib(
        page,
        &format!(
            "{DOCUMENTS_JS}{}",
            r#"const clean = s => (s || '').replace(/\s+/g, ' ').trim();
        return docs.flatMap(d => [...d.querySelectorAll('table')]).map(t => {
          const headRow = t.tHead ? t.tHead.rows[0] : [...t.rows].find(r => [...r.cells].every(c => c.tagName === 'TH'));
          if (!headRow) return null;
          const headers = [...headRow.cells].map(c => clean(c.innerText));
          const body = [...t.rows].filter(r => r !== headRow && !(t.tHead && t.tHead.contains(r)));
          const rows = body.map(r => ({
            cells: [...r.cells].map((c, i) => [headers[i] || '', clean(c.innerText)]),
            links: [...r.querySelectorAll('a[href]')].map(a => ({ text: clean(a.innerText), href: a.href })),
          }));
          return { caption: t.caption ? clean(t.caption.innerText) : null, headers, rows };
        }).filter(Boolean);"#
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_compared_without_case_spacing_or_mandatory_marks() {
        assert_eq!(normalize_label("  Nom   du salarié *"), "nom du salarié");
        assert_eq!(normalize_label("NDA :"), "nda");
        assert_eq!(normalize_label("Prénom(s)\u{a0}*\u{a0}:"), "prénom(s)");
        assert_eq!(normalize_label("Durée (en heures)"), "durée (en heures)");
    }

    #[test]
    fn a_locator_names_itself_the_way_a_person_would() {
        assert_eq!(Locator::label("Nom").to_string(), "field labelled «Nom»");
        assert_eq!(
            Locator::button("Étape suivante").to_string(),
            "button «Étape suivante»"
        );
    }
}
