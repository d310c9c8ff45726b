//! Widgets of modern portals that take more than one script call to set: ARIA comboboxes,
//! autocompletes, masked dates, upload components, banners to dismiss. Each is set the way a
//! person would (real clicks and key presses) and then read back.

use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::js_protocol::runtime::RemoteObjectId;
use serde_json::json;

use super::frames::{Arg, Group, Reply, call, call_json};
use super::input::{self, Key};
use super::{Found, Locator, LocatorError, POLL, normalize_label};
use crate::error::BrowserError;
use crate::page::Page;

/// The file input of the element `this`: itself, the one inside it (shadow roots included), or
/// the one of the nearest enclosing component (a drop zone's "Upload Files" button).
pub(crate) const FILE_INPUT: &str = r#"
if (this.tagName === 'INPUT' && this.type === 'file') return this;
let mine = allWithin(this, 'input[type=file]');
for (let n = this, depth = 0; !mine.length && depth < 6; depth++) {
  n = up(n);
  if (!n || n.nodeType !== 1 || n.tagName === 'BODY' || n.tagName === 'FORM' || n.tagName === 'HTML') break;
  mine = allWithin(n, 'input[type=file]');
}
if (mine.length === 1) return mine[0];
return JSON.stringify({ wrong: mine.length ? mine.length + ' file inputs' : kindOf(this) + ' without a file input' });
"#;

/// Whether the upload component of the file input `this` (located from `a`) shows `b`: in its
/// outermost shadow host, in what holds both it and its label, or in an open dialog.
const UPLOAD_STATE: &str = r#"
const want = norm(b);
const scopes = [];
let host = null; for (let r = this.getRootNode(); r.host; r = r.host.getRootNode()) host = r.host;
if (host) scopes.push(host);
const common = (x, y) => { const anc = new Set(); for (let n = x; n; n = up(n)) anc.add(n); for (let n = y; n; n = up(n)) if (anc.has(n)) return n; return null; };
for (const l of labelsFor(this).concat(a && a !== this ? [a] : [])) { const c = common(l, this); if (c && c.nodeType === 1 && c.tagName !== 'HTML') scopes.push(c); }
if (!scopes.length && this.parentElement) scopes.push(this.parentElement);
for (const d of deepAll(scan(), 'dialog[open], [role=dialog], [role=alertdialog]')) if (shown(d)) scopes.push(d);
const texts = [...new Set(scopes)].map(s => deepText(s)).filter(Boolean);
return JSON.stringify({ done: texts.some(t => norm(t).includes(want)), seen: texts.join(' | ').slice(0, 200) });
"#;

/// The options a combobox `this` shows now.
const OPTIONS: &str = r#"
return JSON.stringify({ options: optionsOf(this).map(optionText), expanded: this.getAttribute('aria-expanded') });
"#;

/// The option of combobox `this` whose text is `a` (compared like labels), or why not.
const OPTION: &str = r#"
const want = norm(a);
const opts = optionsOf(this);
const hits = opts.filter(o => norm(optionText(o)) === want);
if (hits.length === 1) { hits[0].scrollIntoView({ block: 'nearest' }); return hits[0]; }
return JSON.stringify(hits.length ? { several: hits.map(optionText) } : { nooption: opts.map(optionText) });
"#;

/// The suggestions of the text field `this` holding the token `a`.
const SUGGESTIONS: &str = r#"
const c = comboOf(this) || this;
const opts = optionsOf(c);
const hits = opts.filter(o => hasToken(optionText(o), a));
if (b && hits.length === 1) { hits[0].scrollIntoView({ block: 'nearest' }); return hits[0]; }
return JSON.stringify({ options: opts.map(optionText), matching: hits.map(optionText), busy: c.getAttribute('aria-busy') === 'true' });
"#;

/// The text field of the element `this`: itself or the one inside it.
const TEXT_FIELD: &str = r#"
const f = (this.tagName === 'INPUT' || this.tagName === 'TEXTAREA') ? this : allWithin(this, 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), textarea')[0];
return f || JSON.stringify({ wrong: kindOf(this) });
"#;

/// For a date: a native date input is set to the ISO value `a`; a text field answers the
/// order and separator of its format.
const DATE: &str = r#"
const f = (this.tagName === 'INPUT') ? this : allWithin(this, 'input:not([type=hidden])')[0];
if (!f) return JSON.stringify({ wrong: kindOf(this) });
if (f.type === 'date') { setValue(f, a); return JSON.stringify({ native: true, value: f.value }); }
if (!['text', 'tel', 'search', ''].includes(f.type)) return JSON.stringify({ wrong: f.type });
if (f.readOnly) return JSON.stringify({ wrong: 'read-only field' });
window[SLOT] = f;
const d = dateFormat(f);
return JSON.stringify({ order: d.order, sep: d.sep });
"#;

/// A calendar date, from `AAAA-MM-JJ`.
fn parse_iso(iso: &str) -> Option<(u32, u32, u32)> {
    let mut it = iso.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// The date written in a field's format: `order` of `d`, `m`, `y`, joined by `sep`.
fn format_date((y, m, d): (u32, u32, u32), order: &[String], sep: &str) -> String {
    order
        .iter()
        .map(|p| match p.as_str() {
            "d" => format!("{d:02}"),
            "m" => format!("{m:02}"),
            _ => format!("{y:04}"),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

impl Locator {
    /// Opens the combobox, clicks the option whose text is `option`, and reads the shown value
    /// back.
    pub(crate) async fn choose_in_combobox(
        &self,
        page: &Page,
        group: &Group,
        found: &Found,
        combo: &RemoteObjectId,
        option: &str,
    ) -> Result<(), LocatorError> {
        let name = self.to_string();
        let want = normalize_label(option);
        let shown = shown_value(page, combo).await?;
        if normalize_label(&shown) == want {
            return Ok(());
        }
        let start = Instant::now();
        let mut opened = false;
        let available = loop {
            let v = call_json(page, combo, OPTIONS, vec![]).await?;
            let options: Vec<String> =
                serde_json::from_value(v["options"].clone()).unwrap_or_default();
            if !options.is_empty() {
                break options;
            }
            if !opened && v["expanded"].as_str() != Some("true") {
                input::click(page, &found.top, &found.el, &name, group).await?;
                opened = true;
            }
            if start.elapsed() >= self.timeout {
                return Err(LocatorError::NotActionable {
                    locator: name,
                    state: "showing no options after a click".into(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(POLL).await;
        };
        let opt = match call(page, combo, OPTION, vec![Arg::Json(json!(option))]).await? {
            Reply::Object(id) => id,
            Reply::Json(v) => {
                let _ = input::press(page, Key::Escape).await;
                if let Ok(matching) = serde_json::from_value::<Vec<String>>(v["several"].clone()) {
                    return Err(LocatorError::AmbiguousOption {
                        locator: name,
                        option: option.into(),
                        matching,
                    });
                }
                return Err(LocatorError::NoSuchOption {
                    locator: name,
                    option: option.into(),
                    available,
                });
            }
            Reply::Nothing => return Err(self.gone()),
        };
        input::click(page, &found.top, &opt, &name, group).await?;
        let start = Instant::now();
        loop {
            let shown = shown_value(page, combo).await?;
            if normalize_label(&shown) == want {
                return Ok(());
            }
            if start.elapsed() >= self.timeout {
                return Err(LocatorError::DidNotStick {
                    locator: name,
                    asked: option.into(),
                    shown,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn text_field(
        &self,
        page: &Page,
        group: &Group,
    ) -> Result<(Found, RemoteObjectId), LocatorError> {
        let found = self.find(page, group, true).await?;
        match call(page, &found.el, TEXT_FIELD, vec![]).await? {
            Reply::Object(id) => Ok((found, id)),
            Reply::Json(v) => Err(LocatorError::WrongKind {
                locator: self.to_string(),
                action: "type into",
                found: v["wrong"].as_str().unwrap_or("element").to_owned(),
            }),
            Reply::Nothing => Err(self.gone()),
        }
    }

    /// Types `text` into the field with real key presses (clicking into it and clearing it
    /// first), for fields that react to typing (masks, autocompletes), and returns what it shows.
    pub async fn type_text(&self, page: &Page, text: &str) -> Result<String, LocatorError> {
        let group = Group::new();
        let res = async {
            let (found, field) = self.text_field(page, &group).await?;
            input::focus_and_clear(page, &found.top, &field, &self.to_string(), &group).await?;
            input::type_text(page, text).await?;
            Ok(input::field_value(page, &field).await?)
        }
        .await;
        group.release(page).await;
        res
    }

    /// Types `typed` into an autocomplete with real key presses, waits for its suggestions
    /// (`role=option`, wherever the page renders them) and clicks the one whose text holds
    /// `token` as a whole word (spaces between digits ignored, so a SIRET matches however it is
    /// grouped). No suggestion or several holding it is an error listing what was offered.
    /// Returns the chosen suggestion's text.
    pub async fn autocomplete(
        &self,
        page: &Page,
        typed: &str,
        token: &str,
    ) -> Result<String, LocatorError> {
        let group = Group::new();
        let res = self.autocomplete_in(page, &group, typed, token).await;
        group.release(page).await;
        res
    }

    async fn autocomplete_in(
        &self,
        page: &Page,
        group: &Group,
        typed: &str,
        token: &str,
    ) -> Result<String, LocatorError> {
        let name = self.to_string();
        let (found, field) = self.text_field(page, group).await?;
        input::focus_and_clear(page, &found.top, &field, &name, group).await?;
        input::type_text(page, typed).await?;
        // Suggestions refine while the portal answers: decide once the list has stayed the
        // same for a few polls (or at the timeout).
        let start = Instant::now();
        let (mut last, mut same) = (None::<(Vec<String>, Vec<String>)>, 0);
        let (options, matching) = loop {
            let v = call_json(
                page,
                &field,
                SUGGESTIONS,
                vec![Arg::Json(json!(token)), Arg::Json(json!(false))],
            )
            .await?;
            let now: (Vec<String>, Vec<String>) = (
                serde_json::from_value(v["options"].clone()).unwrap_or_default(),
                serde_json::from_value(v["matching"].clone()).unwrap_or_default(),
            );
            let busy = v["busy"].as_bool() == Some(true);
            same = if last.as_ref() == Some(&now) {
                same + 1
            } else {
                0
            };
            last = Some(now.clone());
            let timed_out = start.elapsed() >= self.timeout;
            if (!now.0.is_empty() && same >= 3 && !busy) || timed_out {
                break now;
            }
            tokio::time::sleep(POLL).await;
        };
        match matching.len() {
            1 => {}
            0 => {
                let _ = input::press(page, Key::Escape).await;
                return Err(LocatorError::NoSuchOption {
                    locator: name,
                    option: token.into(),
                    available: options,
                });
            }
            _ => {
                let _ = input::press(page, Key::Escape).await;
                return Err(LocatorError::AmbiguousOption {
                    locator: name,
                    option: token.into(),
                    matching,
                });
            }
        }
        let chosen = matching[0].clone();
        let opt = match call(
            page,
            &field,
            SUGGESTIONS,
            vec![Arg::Json(json!(token)), Arg::Json(json!(true))],
        )
        .await?
        {
            Reply::Object(id) => id,
            _ => return Err(self.gone()),
        };
        input::click(page, &found.top, &opt, &name, group).await?;
        // Read back: the field shows the choice (or the token), and the list has closed.
        let start = Instant::now();
        loop {
            let v = call_json(
                page,
                &field,
                SUGGESTIONS,
                vec![Arg::Json(json!(token)), Arg::Json(json!(false))],
            )
            .await?;
            let open = v["options"].as_array().is_some_and(|o| !o.is_empty());
            let shown = input::field_value(page, &field).await?;
            let n = normalize_label(&shown);
            let fits = !n.is_empty()
                && (normalize_label(&chosen).contains(&n) || n.contains(&normalize_label(token)));
            if fits && !(open && n == normalize_label(typed)) {
                return Ok(chosen);
            }
            if start.elapsed() >= self.timeout {
                return Err(LocatorError::DidNotStick {
                    locator: name,
                    asked: chosen,
                    shown,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sets a date given as `AAAA-MM-JJ`: a native `<input type=date>` gets the ISO value (with
    /// `input`/`change` events); a text field (a `JJ/MM/AAAA` mask) gets the date typed with
    /// real key presses in the format its placeholder shows (French day/month/year by
    /// default), separators typed or left to the mask. Read back and compared.
    pub async fn fill_date(&self, page: &Page, iso: &str) -> Result<(), LocatorError> {
        let Some(date) = parse_iso(iso) else {
            return Err(LocatorError::Browser(BrowserError::InvalidArgument(
                format!("«{iso}» is not a date written AAAA-MM-JJ"),
            )));
        };
        let group = Group::new();
        let res = self.fill_date_in(page, &group, iso, date).await;
        group.release(page).await;
        res
    }

    async fn fill_date_in(
        &self,
        page: &Page,
        group: &Group,
        iso: &str,
        date: (u32, u32, u32),
    ) -> Result<(), LocatorError> {
        let name = self.to_string();
        let found = self.find(page, group, true).await?;
        let v = call_json(page, &found.el, DATE, vec![Arg::Json(json!(iso))]).await?;
        if let Some(kind) = v["wrong"].as_str() {
            return Err(LocatorError::WrongKind {
                locator: name,
                action: "write a date into",
                found: kind.into(),
            });
        }
        if v["native"].as_bool() == Some(true) {
            let shown = v["value"].as_str().unwrap_or_default().to_owned();
            return if shown == iso {
                Ok(())
            } else {
                Err(LocatorError::DidNotStick {
                    locator: name,
                    asked: iso.into(),
                    shown,
                })
            };
        }
        let order: Vec<String> = serde_json::from_value(v["order"].clone()).unwrap_or_default();
        let sep = v["sep"].as_str().unwrap_or("/");
        let want = format_date(date, &order, sep);
        let digits: String = want.chars().filter(char::is_ascii_digit).collect();
        let field = super::take_slot(page, &found.frame, group)
            .await?
            .ok_or_else(|| self.gone())?;
        let mut shown = String::new();
        // Typed whole first; a mask that refuses typed separators gets the digits alone.
        for keys in [want.as_str(), digits.as_str()] {
            input::focus_and_clear(page, &found.top, &field, &name, group).await?;
            input::type_text(page, keys).await?;
            call_json(
                page,
                &field,
                "this.blur(); return JSON.stringify({});",
                vec![],
            )
            .await?;
            shown = input::field_value(page, &field).await?;
            if shown == want {
                return Ok(());
            }
        }
        Err(LocatorError::DidNotStick {
            locator: name,
            asked: want,
            shown,
        })
    }

    /// [`Locator::upload`], then waits (up to `within`) until the component shows it has
    /// finished: the text `finished` when given, else the file's name, in the component (its
    /// outermost shadow host, or what holds the input and its label) or in an open dialog.
    pub async fn upload_and_wait(
        &self,
        page: &Page,
        file: &Path,
        finished: Option<&str>,
        within: Duration,
    ) -> Result<(), LocatorError> {
        let group = Group::new();
        let res = async {
            let (found, input) = self.upload_in(page, &group, file).await?;
            let awaited = match finished {
                Some(t) => t.to_owned(),
                None => file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let start = Instant::now();
            loop {
                let v = call_json(
                    page,
                    &input,
                    UPLOAD_STATE,
                    vec![Arg::Object(&found.el), Arg::Json(json!(awaited))],
                )
                .await?;
                if v["done"].as_bool() == Some(true) {
                    return Ok(());
                }
                if start.elapsed() >= within {
                    return Err(LocatorError::NotFinished {
                        locator: self.to_string(),
                        awaited,
                        seen: v["seen"].as_str().unwrap_or_default().to_owned(),
                        waited: start.elapsed(),
                    });
                }
                tokio::time::sleep(POLL).await;
            }
        }
        .await;
        group.release(page).await;
        res
    }
}

async fn shown_value(page: &Page, combo: &RemoteObjectId) -> Result<String, BrowserError> {
    let v = call_json(
        page,
        combo,
        "return JSON.stringify({ value: clean(comboShown(this)) });",
        vec![],
    )
    .await?;
    Ok(v["value"].as_str().unwrap_or_default().to_owned())
}

/// Dismisses a banner (cookies, news) by clicking its button named `button`, as the caller
/// knows it: waits up to `wait` for the button, clicks it with the mouse and waits for it to go.
/// Returns whether there was a banner; a button that stays is [`LocatorError::StillShown`].
pub async fn dismiss_banner(
    page: &Page,
    button: &str,
    wait: Duration,
) -> Result<bool, LocatorError> {
    let l = Locator::button(button).with_timeout(wait);
    let group = Group::new();
    let res = async {
        let found = match l.find(page, &group, true).await {
            Ok(f) => f,
            Err(LocatorError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        input::click(page, &found.top, &found.el, &l.to_string(), &group).await?;
        let start = Instant::now();
        let limit = wait.max(Duration::from_secs(2));
        loop {
            if l.count(page).await? == 0 {
                return Ok(true);
            }
            if start.elapsed() >= limit {
                return Err(LocatorError::StillShown {
                    locator: l.to_string(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
    .await;
    group.release(page).await;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_and_written_in_the_fields_format() {
        assert_eq!(parse_iso("2027-03-02"), Some((2027, 3, 2)));
        assert_eq!(parse_iso("2028-02-29"), Some((2028, 2, 29)));
        assert_eq!(parse_iso("2027-02-29"), None);
        assert_eq!(parse_iso("02/03/2027"), None);
        let fr = ["d", "m", "y"].map(String::from);
        assert_eq!(format_date((2027, 3, 2), &fr, "/"), "02/03/2027");
        let iso = ["y", "m", "d"].map(String::from);
        assert_eq!(format_date((2027, 3, 2), &iso, "-"), "2027-03-02");
    }
}
