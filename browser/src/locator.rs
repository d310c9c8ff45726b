//! Locators by the text a person reads: a field by its label, a button or link by its role and name.
//!
//! Portal scripts must survive markup changes (ids, classes, nesting) and must stop when the
//! wording changes, so they find elements the way a person does. A field is found by its
//! `<label for>`, a wrapping `<label>`, `aria-label`, `aria-labelledby` or its placeholder; a button
//! or link by its role and accessible name. Labels are compared with whitespace collapsed, case
//! ignored, and a trailing " *" or ":" removed. Every locator **auto-waits** until its element is
//! visible and enabled (within its timeout) and is **strict**: no match or several matches is an
//! error that names the locator. Each action resolves and acts in one script evaluation, so there
//! is no stale handle between finding and acting.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{BrowserError, with_timeout};
use crate::page::Page;

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
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Button => "button",
            Role::Link => "link",
            Role::Checkbox => "checkbox",
            Role::Heading => "heading",
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
    #[error("no {locator} on the page (waited {waited:?})")]
    NotFound { locator: String, waited: Duration },
    /// Several elements matched: strictness forbids guessing.
    #[error("{count} elements match {locator}: the locator is ambiguous")]
    Ambiguous { locator: String, count: usize },
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
    /// A select has no option with that text.
    #[error("{locator} has no option «{option}» (options: {available:?})")]
    NoSuchOption {
        locator: String,
        option: String,
        available: Vec<String>,
    },
    /// The control did not keep the value (a date in the wrong format, a maxlength).
    #[error("{locator} did not accept the value (it holds «{kept}»)")]
    Rejected { locator: String, kept: String },
    /// The control's own limits (`maxlength`, `pattern`) cannot hold the value: nothing was typed.
    #[error("{locator} cannot hold the value: it accepts {limit}")]
    DoesNotFit { locator: String, limit: String },
    /// The file to upload cannot be used.
    #[error("cannot upload {path}: {reason}")]
    File { path: String, reason: String },
    /// A page did not finish loading after a click.
    #[error("the page did not load after {action} (waited {waited:?})")]
    NavigationTimeout { action: String, waited: Duration },
    #[error(transparent)]
    Browser(#[from] BrowserError),
}

impl LocatorError {
    /// Whether the page itself may be fine and trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LocatorError::Browser(e) => e.is_retryable(),
            LocatorError::NavigationTimeout { .. } => true,
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

/// The page-side helpers, prepended to every evaluation.
const LIB: &str = r#"
const norm = s => { let t = (s || '').replace(/\s+/g, ' ').trim(); for (;;) { const c = t.replace(/\s*[*:]$/, ''); if (c === t) break; t = c.trim(); } return t.toLowerCase(); };
const textOf = el => { const c = el.cloneNode(true); c.querySelectorAll('input,select,textarea,button').forEach(x => x.remove()); return c.textContent || ''; };
const byIds = ids => ids.split(/\s+/).map(id => { const n = document.getElementById(id); return n ? n.textContent : ''; }).join(' ');
const FIELDS = 'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea';
const namesOf = el => { const out = []; const lb = el.getAttribute('aria-labelledby'); if (lb) out.push(byIds(lb)); const al = el.getAttribute('aria-label'); if (al) out.push(al); if (el.labels) for (const l of el.labels) out.push(textOf(l)); const ph = el.getAttribute('placeholder'); if (ph && !out.length) out.push(ph); return out.map(norm).filter(Boolean); };
const ROLES = { button: 'button, input[type=submit], input[type=button], input[type=reset], [role=button]', link: 'a[href], [role=link]', checkbox: 'input[type=checkbox], [role=checkbox]', heading: 'h1, h2, h3, h4, h5, h6, [role=heading]' };
const accName = el => { const lb = el.getAttribute('aria-labelledby'); if (lb) return byIds(lb); const al = el.getAttribute('aria-label'); if (al) return al; if (el.tagName === 'INPUT') { if (el.type === 'checkbox') return (el.labels && el.labels.length) ? textOf(el.labels[0]) : ''; return el.value || el.getAttribute('title') || ''; } return el.textContent || el.getAttribute('title') || ''; };
const shown = el => { const t = (el.type === 'file' && el.parentElement) ? el.parentElement : el; if (!t.getClientRects().length) return false; const s = getComputedStyle(t); return s.visibility !== 'hidden' && s.display !== 'none'; };
const usable = el => !el.disabled && el.getAttribute('aria-disabled') !== 'true' && !el.closest('fieldset[disabled]');
const resolve = spec => { if (spec.kind === 'label') { const want = norm(spec.name); return [...document.querySelectorAll(FIELDS)].filter(el => namesOf(el).includes(want)); } const want = norm(spec.name); return [...document.querySelectorAll(ROLES[spec.role])].filter(el => { const r = el.getAttribute('role'); return (!r || r === spec.role) && norm(accName(el)) === want; }); };
const kindOf = el => el.tagName === 'SELECT' ? 'select' : el.tagName === 'TEXTAREA' ? 'textarea' : el.tagName === 'INPUT' ? (el.type || 'text') : el.tagName.toLowerCase();
const setValue = (el, v) => { const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype; const setter = Object.getOwnPropertyDescriptor(proto, 'value').set; el.focus(); setter.call(el, v); el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); el.blur(); };
const readValue = el => { if (el.tagName === 'SELECT') { const o = el.options[el.selectedIndex]; return o ? o.text.trim() : ''; } if (el.type === 'checkbox' || el.type === 'radio') return el.checked ? 'true' : 'false'; if ('value' in el && el.tagName !== 'BUTTON') return el.value; return (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim(); };
"#;

/// The action run page-side on the one element found.
const ACTIONS: &str = r#"
const act = (el, a) => {
  const k = kindOf(el);
  switch (a.op) {
    case 'probe': return { ok: true };
    case 'fill': {
      if (k === 'select' || k === 'checkbox' || k === 'radio' || k === 'file') return { wrong: k };
      if (el.readOnly) return { state: 'read-only' };
      // A value the control cannot hold is refused before anything is typed.
      if (el.maxLength > 0 && a.value.length > el.maxLength) return { nofit: 'au plus ' + el.maxLength + ' caractères' };
      if (el.pattern) { let re = null; try { re = new RegExp('^(?:' + el.pattern + ')$', 'v'); } catch (e) { try { re = new RegExp('^(?:' + el.pattern + ')$', 'u'); } catch (e2) {} } if (re && !re.test(a.value)) return { nofit: 'le format ' + el.pattern }; }
      setValue(el, a.value);
      return el.value === a.value ? { ok: true } : { rejected: el.value };
    }
    case 'select': {
      if (k !== 'select') return { wrong: k };
      const want = norm(a.value);
      const opts = [...el.options];
      const i = opts.findIndex(o => norm(o.text) === want);
      if (i < 0) return { nooption: opts.map(o => o.text.trim()) };
      el.focus(); el.selectedIndex = i; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); el.blur();
      return { ok: true };
    }
    case 'check': {
      if (k !== 'checkbox' && el.getAttribute('role') !== 'checkbox') return { wrong: k };
      const now = () => el.type === 'checkbox' ? el.checked : el.getAttribute('aria-checked') === 'true';
      if (now() !== a.value) el.click();
      return now() === a.value ? { ok: true } : { rejected: String(now()) };
    }
    case 'mark': {
      if (a.file && k !== 'file') return { wrong: k };
      el.setAttribute('data-fleet-loc', a.token);
      return { ok: true };
    }
    case 'click': {
      el.scrollIntoView({ block: 'center' });
      if (a.token) window.__fleetNav = a.token;
      el.click();
      return { ok: true };
    }
    case 'read': return { ok: true, value: readValue(el) };
  }
  return { wrong: 'unknown action' };
};
"#;

#[derive(Deserialize, Debug, Default)]
struct Answer {
    #[serde(default)]
    count: usize,
    #[serde(default)]
    visible: usize,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    wrong: Option<String>,
    #[serde(default)]
    nooption: Option<Vec<String>>,
    #[serde(default)]
    rejected: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    nofit: Option<String>,
}

fn is_transient(e: &BrowserError) -> bool {
    // A script evaluated while the document is being replaced loses its execution context.
    matches!(e, BrowserError::Protocol { message, .. }
        if message.contains("context") || message.contains("Cannot find") || message.contains("navigat"))
}

impl Locator {
    /// A form control by its label (`<label for>`, wrapping label, `aria-label`,
    /// `aria-labelledby`, placeholder).
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

    async fn eval_once(&self, page: &Page, action: &Value) -> Result<Answer, BrowserError> {
        let script = format!(
            "(() => {{ {LIB} {ACTIONS} try {{ const els = resolve({spec}); const vis = els.filter(shown); \
             const base = {{ count: els.length, visible: vis.length }}; \
             if (vis.length !== 1) return base; const el = vis[0]; const a = {action}; \
             if (a.op !== 'read' && a.op !== 'mark' && !usable(el)) return {{ ...base, state: 'disabled' }}; \
             return {{ ...base, ...act(el, a) }}; }} catch (e) {{ return {{ count: 0, visible: 0, wrong: 'script error: ' + e }}; }} }})()",
            spec = self.spec(),
        );
        let v = page.evaluate(&script).await?;
        Ok(serde_json::from_value(v).unwrap_or_default())
    }

    /// Resolves the locator, waiting until exactly one visible, enabled element can take the action.
    async fn run(&self, page: &Page, action: Value) -> Result<Answer, LocatorError> {
        let start = Instant::now();
        let name = self.to_string();
        loop {
            let answer = match self.eval_once(page, &action).await {
                Ok(a) => Some(a),
                Err(e) if is_transient(&e) => None,
                Err(e) => return Err(e.into()),
            };
            let waited = start.elapsed();
            let last = waited >= self.timeout;
            if let Some(a) = answer {
                if a.visible > 1 {
                    return Err(LocatorError::Ambiguous {
                        locator: name,
                        count: a.visible,
                    });
                }
                if let Some(found) = a.wrong {
                    return Err(LocatorError::WrongKind {
                        locator: name,
                        action: action_name(&action),
                        found,
                    });
                }
                if let Some(available) = a.nooption {
                    return Err(LocatorError::NoSuchOption {
                        locator: name,
                        option: action["value"].as_str().unwrap_or("").to_owned(),
                        available,
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
                if a.ok {
                    return Ok(a);
                }
                if last {
                    return Err(match (a.count, a.visible, a.state) {
                        (0, _, _) => LocatorError::NotFound {
                            locator: name,
                            waited,
                        },
                        (_, 0, _) => LocatorError::NotActionable {
                            locator: name,
                            state: "hidden".into(),
                            waited,
                        },
                        (_, _, state) => LocatorError::NotActionable {
                            locator: name,
                            state: state.unwrap_or_else(|| "not actionable".into()),
                            waited,
                        },
                    });
                }
            } else if last {
                return Err(LocatorError::NotFound {
                    locator: name,
                    waited,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// How many visible elements match now, without waiting.
    pub async fn count(&self, page: &Page) -> Result<usize, LocatorError> {
        Ok(self
            .eval_once(page, &json!({ "op": "probe" }))
            .await?
            .visible)
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

    /// Chooses the option of a select whose visible text is `option`.
    pub async fn select(&self, page: &Page, option: &str) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "select", "value": option }))
            .await
            .map(|_| ())
    }

    /// Ticks or unticks a checkbox.
    pub async fn check(&self, page: &Page, checked: bool) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "check", "value": checked }))
            .await
            .map(|_| ())
    }

    /// Gives a file to a file input (CDP `DOM.setFileInputFiles`).
    pub async fn upload(&self, page: &Page, file: &Path) -> Result<(), LocatorError> {
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
        let token = format!("u{}", unique());
        self.run(page, json!({ "op": "mark", "token": token, "file": true }))
            .await?;
        let selector = format!("[data-fleet-loc='{token}']");
        let timeout = page.call_timeout();
        let el = with_timeout(
            "find the file input",
            timeout,
            page.cdp().find_element(selector),
        )
        .await?;
        let params = SetFileInputFilesParams::builder()
            .file(abs.display().to_string())
            .backend_node_id(el.backend_node_id)
            .build()
            .map_err(BrowserError::InvalidArgument)?;
        with_timeout("set the input's file", timeout, page.cdp().execute(params)).await?;
        Ok(())
    }

    /// Clicks the element (no wait for a navigation).
    pub async fn click(&self, page: &Page) -> Result<(), LocatorError> {
        self.run(page, json!({ "op": "click" })).await.map(|_| ())
    }

    /// Clicks and waits until the next document has loaded (a form submit, a link).
    pub async fn click_and_wait_for_load(
        &self,
        page: &Page,
        load_timeout: Duration,
    ) -> Result<(), LocatorError> {
        let token = format!("n{}", unique());
        self.run(page, json!({ "op": "click", "token": token }))
            .await?;
        wait_for_new_document(page, &token, load_timeout, &self.to_string()).await
    }

    /// The value a person sees: text of a field, selected option's text, "true"/"false" for a
    /// checkbox, text of any other element.
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
        Some("mark") => "upload a file to",
        Some("click") => "click",
        _ => "read",
    }
}

fn unique() -> u64 {
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

async fn eval_lib<T: serde::de::DeserializeOwned + Default>(
    page: &Page,
    body: &str,
) -> Result<T, LocatorError> {
    let script = format!("(() => {{ {LIB} {body} }})()");
    let v = page.evaluate(&script).await?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

/// The visible text of the page.
pub async fn page_text(page: &Page) -> Result<String, LocatorError> {
    eval_lib(page, "return document.body ? document.body.innerText : '';").await
}

/// The labels (as written) of every visible mandatory control (`required` or
/// `aria-required="true"`), so a script can refuse a form asking something it does not know.
pub async fn required_field_labels(page: &Page) -> Result<Vec<String>, LocatorError> {
    eval_lib(
        page,
        "return [...document.querySelectorAll(FIELDS)].filter(el => shown(el) && (el.required || el.getAttribute('aria-required') === 'true')).map(el => { \
           const lb = el.getAttribute('aria-labelledby'); if (lb) return byIds(lb); \
           const al = el.getAttribute('aria-label'); if (al) return al; \
           if (el.labels && el.labels.length) return textOf(el.labels[0]); \
           return el.getAttribute('placeholder') || ('(sans libellé) ' + (el.name || el.id || el.tagName)); \
         }).map(s => s.replace(/\\s+/g, ' ').trim());",
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
/// comboboxes, checkboxes and text boxes), in the document, in its open shadow roots and in its
/// same-origin frames, so that a script can account for each one.
pub async fn controls(page: &Page) -> Result<Vec<Control>, LocatorError> {
    eval_lib(
        page,
        r#"const SEL = FIELDS + ', [role=combobox], [role=checkbox], [role=radio], [role=textbox], [role=switch]';
        const out = []; const seen = new Set();
        const labelIn = (root, el) => {
          const ids = el.getAttribute('aria-labelledby');
          if (ids) { const t = ids.split(/\s+/).map(id => { const n = root.getElementById ? root.getElementById(id) : null; return n ? n.textContent : ''; }).join(' ').trim(); if (t) return t; }
          const al = el.getAttribute('aria-label'); if (al) return al;
          if (el.labels && el.labels.length) return textOf(el.labels[0]);
          const ph = el.getAttribute('placeholder'); if (ph) return ph;
          return '(sans libellé) ' + (el.name || el.id || el.tagName.toLowerCase());
        };
        const visible = el => { const t = (el.type === 'file' && el.parentElement) ? el.parentElement : el; if (!t.getClientRects().length) return false; const view = (el.ownerDocument && el.ownerDocument.defaultView) || window; const st = view.getComputedStyle(t); return st.visibility !== 'hidden' && st.display !== 'none'; };
        const read = el => {
          const role = el.getAttribute('role');
          if (el.tagName === 'SELECT') { const o = el.options[el.selectedIndex]; return { kind: 'select', value: o ? o.text.trim() : '', filled: !!o && el.value !== '' }; }
          if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) return { kind: el.type, value: String(el.checked), filled: el.checked };
          if (el.tagName === 'INPUT' && el.type === 'file') { const names = [...(el.files || [])].map(f => f.name).join(', '); return { kind: 'file', value: names, filled: names !== '' }; }
          if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') return { kind: el.tagName === 'TEXTAREA' ? 'textarea' : (el.type || 'text'), value: el.value, filled: el.value.trim() !== '' };
          if (role === 'checkbox' || role === 'radio' || role === 'switch') { const on = el.getAttribute('aria-checked') === 'true'; return { kind: role, value: String(on), filled: on }; }
          const v = (el.getAttribute('aria-valuetext') || el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
          return { kind: role || el.tagName.toLowerCase(), value: v, filled: v !== '' };
        };
        const walk = (root, place) => {
          for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) walk(el.shadowRoot, 'shadow');
            if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') { let d = null; try { d = el.contentDocument; } catch (e) { d = null; } if (d) walk(d, 'frame'); }
            if (!el.matches(SEL) || seen.has(el) || !visible(el)) continue;
            seen.add(el);
            const r = read(el);
            out.push({ label: labelIn(el.getRootNode(), el).replace(/\s+/g, ' ').trim(), kind: r.kind, value: r.value, filled: r.filled,
              required: !!el.required || el.getAttribute('aria-required') === 'true', place });
          }
        };
        walk(document, 'page');
        return out;"#,
    )
    .await
}

/// The label/value pairs a page states (a summary): `<dt>`/`<dd>` of definition lists, and the
/// rows of tables that hold one header cell and one data cell.
pub async fn stated_values(page: &Page) -> Result<Vec<(String, String)>, LocatorError> {
    eval_lib(
        page,
        r#"const clean = s => (s || '').replace(/\s+/g, ' ').trim();
        const out = [];
        for (const dl of document.querySelectorAll('dl')) {
          let label = null;
          for (const c of dl.querySelectorAll('dt, dd')) {
            if (c.tagName === 'DT') label = clean(c.innerText);
            else if (label !== null) { out.push([label, clean(c.innerText)]); label = null; }
          }
        }
        for (const tr of document.querySelectorAll('tr')) {
          const cells = [...tr.cells];
          if (cells.length === 2 && cells[0].tagName === 'TH' && cells[1].tagName === 'TD' && !cells[1].querySelector('input, select, textarea')) out.push([clean(cells[0].innerText), clean(cells[1].innerText)]);
        }
        return out;"#,
    )
    .await
}

/// The texts of the page's alerts (`role="alert"`), errors shown by the portal.
pub async fn alerts(page: &Page) -> Result<Vec<String>, LocatorError> {
    eval_lib(
        page,
        "return [...document.querySelectorAll('[role=alert]')].filter(shown).map(e => e.innerText.replace(/\\s+/g, ' ').trim()).filter(Boolean);",
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

/// Every table of the page with a header row, read as a person would.
pub async fn tables(page: &Page) -> Result<Vec<Table>, LocatorError> {
    eval_lib(
        page,
        r#"const clean = s => (s || '').replace(/\s+/g, ' ').trim();
        return [...document.querySelectorAll('table')].map(t => {
          const headRow = t.tHead ? t.tHead.rows[0] : [...t.rows].find(r => [...r.cells].every(c => c.tagName === 'TH'));
          if (!headRow) return null;
          const headers = [...headRow.cells].map(c => clean(c.innerText));
          const body = [...t.rows].filter(r => r !== headRow && !(t.tHead && t.tHead.contains(r)));
          const rows = body.map(r => ({
            cells: [...r.cells].map((c, i) => [headers[i] || '', clean(c.innerText)]),
            links: [...r.querySelectorAll('a[href]')].map(a => ({ text: clean(a.innerText), href: a.href })),
          }));
          return { caption: t.caption ? clean(t.caption.innerText) : null, headers, rows };
        }).filter(Boolean);"#,
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
