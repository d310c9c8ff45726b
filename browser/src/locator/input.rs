//! Trusted input: mouse clicks at an element's centre and key presses, through CDP `Input`.
//!
//! Some components ignore events a script dispatches (`isTrusted` is false): Aura checkboxes,
//! comboboxes that open on a real mousedown, masked inputs that reformat on key events. These
//! go through Chromium's input pipeline as a person's would, after checking that the element is
//! really what sits under the pointer.

use chromiumoxide::cdp::browser_protocol::dom::GetContentQuadsParams;
use chromiumoxide::cdp::browser_protocol::emulation::SetFocusEmulationEnabledParams;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
    InsertTextParams, MouseButton,
};
use chromiumoxide::cdp::js_protocol::runtime::RemoteObjectId;
use serde_json::{Value, json};

use super::LocatorError;
use super::frames::{Arg, FrameCtx, Group, call_json, eval_json};
use crate::error::{BrowserError, with_timeout};
use crate::page::Page;

/// Scrolls `target` into view and checks that a click at its centre reaches it (through shadow
/// roots): it, something inside it, or one of its labels. Returns whether it sits in the top
/// document.
const PREPARE: &str = r#"
  if (!this.isConnected) return JSON.stringify({ stale: true });
  this.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
  const c = centre(this);
  if (c.w < 1 || c.h < 1) return JSON.stringify({ nobox: describe(this) });
  const hit = deepHit(this.ownerDocument, c.x, c.y);
  if (!reaches(this, hit)) return JSON.stringify({ covered: describe(hit) });
  let top = false; try { top = this.ownerDocument.defaultView === window.top; } catch (e) { top = false; }
  return JSON.stringify({ ok: true, top });
"#;

/// A real left click at the centre of `target`, refused when something else covers it.
pub(crate) async fn click(
    page: &Page,
    top: &FrameCtx,
    target: &RemoteObjectId,
    locator: &str,
    group: &Group,
) -> Result<(), LocatorError> {
    let t = page.call_timeout();
    let prep = call_json(page, target, PREPARE, vec![]).await?;
    if let Some(by) = prep.get("covered").and_then(Value::as_str) {
        return Err(LocatorError::Covered {
            locator: locator.to_owned(),
            by: by.to_owned(),
        });
    }
    if let Some(what) = prep.get("nobox").and_then(Value::as_str) {
        return Err(LocatorError::NotActionable {
            locator: locator.to_owned(),
            state: format!("without a size to click ({what})"),
            waited: std::time::Duration::ZERO,
        });
    }
    if prep.get("stale").is_some() {
        return Err(LocatorError::Browser(BrowserError::Protocol {
            operation: "click an element",
            message: "Cannot find the element: it left the document".into(),
        }));
    }
    let quads = with_timeout(
        "measure an element",
        t,
        page.cdp().execute(
            GetContentQuadsParams::builder()
                .object_id(target.clone())
                .build(),
        ),
    )
    .await?
    .result
    .quads;
    let Some((x, y)) = quads.iter().find_map(|q| {
        let p = q.inner();
        (p.len() == 8).then(|| {
            let x = (p[0] + p[2] + p[4] + p[6]) / 4.0;
            let y = (p[1] + p[3] + p[5] + p[7]) / 4.0;
            (x, y)
        })
    }) else {
        return Err(LocatorError::NotActionable {
            locator: locator.to_owned(),
            state: "not laid out".into(),
            waited: std::time::Duration::ZERO,
        });
    };
    // An element in a frame is reached only if its frame is what sits at that point of the
    // top document (a banner of the top page can cover a whole frame).
    if prep.get("top").and_then(Value::as_bool) != Some(true) {
        let body = format!(
            "const h = deepHit(document, {x}, {y}); return JSON.stringify(h && (h.tagName === 'IFRAME' || h.tagName === 'FRAME') ? {{ ok: true }} : {{ covered: describe(h) }});"
        );
        let v = eval_json(page, top, &body, group).await?;
        if let Some(by) = v.get("covered").and_then(Value::as_str) {
            return Err(LocatorError::Covered {
                locator: locator.to_owned(),
                by: by.to_owned(),
            });
        }
    }
    for (kind, buttons) in [
        (DispatchMouseEventType::MouseMoved, 0),
        (DispatchMouseEventType::MousePressed, 1),
        (DispatchMouseEventType::MouseReleased, 0),
    ] {
        let mut b = DispatchMouseEventParams::builder()
            .r#type(kind.clone())
            .x(x)
            .y(y)
            .buttons(buttons);
        if kind != DispatchMouseEventType::MouseMoved {
            b = b.button(MouseButton::Left).click_count(1);
        }
        let p = b.build().map_err(BrowserError::InvalidArgument)?;
        with_timeout("click with the mouse", t, page.cdp().execute(p)).await?;
    }
    Ok(())
}

/// Gives the page focus as if its window were in front, so that focus and key events reach
/// it while other tabs of the browser work too.
pub(crate) async fn emulate_focus(page: &Page) -> Result<(), BrowserError> {
    with_timeout(
        "emulate the page's focus",
        page.call_timeout(),
        page.cdp()
            .execute(SetFocusEmulationEnabledParams::new(true)),
    )
    .await?;
    Ok(())
}

/// A named key of the keyboard.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key {
    Backspace,
    Escape,
}

impl Key {
    fn parts(self) -> (&'static str, &'static str, i64) {
        match self {
            Key::Backspace => ("Backspace", "Backspace", 8),
            Key::Escape => ("Escape", "Escape", 27),
        }
    }
}

async fn key_event(page: &Page, p: DispatchKeyEventParams) -> Result<(), BrowserError> {
    with_timeout("press a key", page.call_timeout(), page.cdp().execute(p)).await?;
    Ok(())
}

/// Presses and releases a named key in the focused element.
pub(crate) async fn press(page: &Page, key: Key) -> Result<(), BrowserError> {
    let (name, code, vk) = key.parts();
    for kind in [
        DispatchKeyEventType::RawKeyDown,
        DispatchKeyEventType::KeyUp,
    ] {
        let p = DispatchKeyEventParams::builder()
            .r#type(kind)
            .key(name)
            .code(code)
            .windows_virtual_key_code(vk)
            .native_virtual_key_code(vk)
            .build()
            .map_err(BrowserError::InvalidArgument)?;
        key_event(page, p).await?;
    }
    Ok(())
}

/// The key code and DOM code of a character typed on a keyboard, when it has one.
fn key_of(c: char) -> Option<(String, i64)> {
    match c {
        'a'..='z' => Some((
            format!("Key{}", c.to_ascii_uppercase()),
            c.to_ascii_uppercase() as i64,
        )),
        'A'..='Z' => Some((format!("Key{c}"), c as i64)),
        '0'..='9' => Some((format!("Digit{c}"), c as i64)),
        ' ' => Some(("Space".into(), 32)),
        '/' => Some(("Slash".into(), 191)),
        '-' => Some(("Minus".into(), 189)),
        '.' => Some(("Period".into(), 190)),
        ',' => Some(("Comma".into(), 188)),
        '@' => Some(("Digit2".into(), 50)),
        _ => None,
    }
}

/// Types `text` into the focused element, one key press per character; characters without a
/// key of their own (accents, symbols) are inserted as text input.
pub(crate) async fn type_text(page: &Page, text: &str) -> Result<(), BrowserError> {
    for c in text.chars() {
        let s = c.to_string();
        match key_of(c) {
            Some((code, vk)) => {
                let down = DispatchKeyEventParams::builder()
                    .r#type(DispatchKeyEventType::KeyDown)
                    .key(s.clone())
                    .code(code.clone())
                    .text(s.clone())
                    .unmodified_text(s.clone())
                    .windows_virtual_key_code(vk)
                    .native_virtual_key_code(vk)
                    .build()
                    .map_err(BrowserError::InvalidArgument)?;
                key_event(page, down).await?;
                let up = DispatchKeyEventParams::builder()
                    .r#type(DispatchKeyEventType::KeyUp)
                    .key(s)
                    .code(code)
                    .windows_virtual_key_code(vk)
                    .native_virtual_key_code(vk)
                    .build()
                    .map_err(BrowserError::InvalidArgument)?;
                key_event(page, up).await?;
            }
            None => {
                with_timeout(
                    "type text",
                    page.call_timeout(),
                    page.cdp().execute(InsertTextParams::new(s)),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Clicks into a text field, selects what it holds and deletes it with a real key press, so a
/// masked input or an autocomplete sees a person's editing.
pub(crate) async fn focus_and_clear(
    page: &Page,
    top: &FrameCtx,
    field: &RemoteObjectId,
    locator: &str,
    group: &Group,
) -> Result<(), LocatorError> {
    emulate_focus(page).await?;
    click(page, top, field, locator, group).await?;
    let v = call_json(
        page,
        field,
        "this.focus(); if (typeof this.select === 'function') this.select(); return JSON.stringify({ empty: !this.value, focused: this.getRootNode().activeElement === this });",
        vec![],
    )
    .await?;
    if v.get("empty").and_then(Value::as_bool) == Some(false) {
        press(page, Key::Backspace).await?;
    }
    Ok(())
}

/// Reads what a text field shows now.
pub(crate) async fn field_value(
    page: &Page,
    field: &RemoteObjectId,
) -> Result<String, BrowserError> {
    let v = call_json(
        page,
        field,
        "return JSON.stringify({ value: readValue(this) });",
        vec![Arg::Json(json!(null))],
    )
    .await?;
    Ok(v.get("value")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned())
}
