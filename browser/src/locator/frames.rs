//! Scripts evaluated in every frame of a page, and handles on the elements they find.
//!
//! Each frame (same-origin or not) has its own execution context, reached through CDP; a frame
//! whose parent can read its document is searched from the parent instead (`SELF_ROOT` in
//! `dom.js`), so every document is searched exactly once. Element handles are remote objects in
//! an object group of their own, released when the action that took them ends.

use std::fmt;

use chromiumoxide::cdp::js_protocol::runtime::{
    CallArgument, CallFunctionOnParams, EvaluateParams, ExecutionContextId,
    ReleaseObjectGroupParams, RemoteObject, RemoteObjectId, RemoteObjectType,
};
use serde_json::Value;

use crate::error::{BrowserError, with_timeout};
use crate::page::Page;

/// The page-side library (see `dom.js`).
pub(crate) const DOM_JS: &str = include_str!("dom.js");

/// One search root among the page's frames: its main-world execution context.
#[derive(Clone, Debug)]
pub(crate) struct FrameCtx {
    /// `None` for the top document when Chromium has not told its context yet: CDP then
    /// evaluates in the top frame's default context.
    pub(crate) id: Option<ExecutionContextId>,
    pub(crate) top: bool,
}

/// The frames of a page that have an execution context, the top one first, and how many have
/// none yet (still loading).
pub(crate) async fn frame_contexts(page: &Page) -> Result<(Vec<FrameCtx>, usize), BrowserError> {
    let t = page.call_timeout();
    let cdp = page.cdp();
    let main = with_timeout("list the page's frames", t, cdp.mainframe()).await?;
    let frames = with_timeout("list the page's frames", t, cdp.frames()).await?;
    let top_ctx = with_timeout("find the page's context", t, cdp.execution_context()).await?;
    let mut out = vec![FrameCtx {
        id: top_ctx,
        top: true,
    }];
    let mut unready = 0;
    for f in frames {
        if Some(&f) == main.as_ref() {
            continue;
        }
        match with_timeout("find a frame's context", t, cdp.frame_execution_context(f)).await? {
            Some(id) => out.push(FrameCtx {
                id: Some(id),
                top: false,
            }),
            None => unready += 1,
        }
    }
    Ok((out, unready))
}

/// Where a locator looked: the documents, frames and shadow roots it searched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Frames searched besides the top document (same-origin and cross-origin).
    pub frames: usize,
    /// Of those, the frames of another origin, searched in their own execution context.
    pub cross_origin_frames: usize,
    /// Open shadow roots searched, at any depth.
    pub shadow_roots: usize,
    /// Frames that had no document to search yet (still loading).
    pub frames_not_ready: usize,
}

impl Scope {
    pub(crate) fn add(&mut self, frames: usize, shadows: usize, cross_origin: bool) {
        self.frames += frames + usize::from(cross_origin);
        self.cross_origin_frames += usize::from(cross_origin);
        self.shadow_roots += shadows;
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "searched the page")?;
        match self.frames {
            0 => {}
            1 => write!(f, ", 1 frame")?,
            n => write!(f, ", {n} frames")?,
        }
        if self.cross_origin_frames > 0 {
            write!(f, " ({} of another origin)", self.cross_origin_frames)?;
        }
        match self.shadow_roots {
            0 => write!(f, " and no shadow root")?,
            1 => write!(f, " and 1 shadow root")?,
            n => write!(f, " and {n} shadow roots")?,
        }
        if self.frames_not_ready > 0 {
            write!(f, "; {} frame(s) still loading", self.frames_not_ready)?;
        }
        Ok(())
    }
}

/// A name for the remote objects of one action, released together at its end.
pub(crate) struct Group(pub(crate) String);

impl Group {
    pub(crate) fn new() -> Self {
        Self(format!("fleet-{}", super::unique()))
    }

    /// Releases every handle of the group (best effort: the document may be gone already).
    pub(crate) async fn release(self, page: &Page) {
        let _ = tokio::time::timeout(
            page.call_timeout(),
            page.cdp().execute(ReleaseObjectGroupParams::new(self.0)),
        )
        .await;
    }
}

fn script_error(operation: &'static str, details: &impl fmt::Debug) -> BrowserError {
    BrowserError::Protocol {
        operation,
        message: format!("script error: {details:?}"),
    }
}

/// A script's answer: a JSON string parsed, or a handle on the object it returned.
pub(crate) enum Reply {
    Json(Value),
    Object(RemoteObjectId),
    Nothing,
}

fn reply_of(obj: RemoteObject) -> Reply {
    match (obj.r#type, obj.value, obj.object_id) {
        (RemoteObjectType::String, Some(Value::String(s)), _) => {
            Reply::Json(serde_json::from_str(&s).unwrap_or(Value::Null))
        }
        (_, _, Some(id)) => Reply::Object(id),
        _ => Reply::Nothing,
    }
}

/// Evaluates `body` (statements ending in a `return`) with the library in one frame.
pub(crate) async fn eval(
    page: &Page,
    ctx: &FrameCtx,
    body: &str,
    group: &Group,
) -> Result<Reply, BrowserError> {
    let mut p = EvaluateParams::new(format!("(() => {{ {DOM_JS}\n{body} }})()"));
    p.context_id = ctx.id;
    p.return_by_value = Some(false);
    p.await_promise = Some(false);
    p.object_group = Some(group.0.clone());
    let res = with_timeout(
        "evaluate a script",
        page.call_timeout(),
        page.cdp().execute(p),
    )
    .await?
    .result;
    if let Some(e) = res.exception_details {
        return Err(script_error(
            "evaluate a script",
            &e.exception.and_then(|x| x.description).unwrap_or(e.text),
        ));
    }
    Ok(reply_of(res.result))
}

/// Evaluates `body` in one frame and parses the JSON string it returns.
pub(crate) async fn eval_json(
    page: &Page,
    ctx: &FrameCtx,
    body: &str,
    group: &Group,
) -> Result<Value, BrowserError> {
    match eval(page, ctx, body, group).await? {
        Reply::Json(v) => Ok(v),
        _ => Ok(Value::Null),
    }
}

/// An argument of [`call`]: a JSON value or another handle.
pub(crate) enum Arg<'a> {
    Json(Value),
    Object(&'a RemoteObjectId),
}

/// Calls `body` as a function on the element `this` (in its own frame), with the library.
/// The arguments are named `a`, `b`, `c`.
pub(crate) async fn call(
    page: &Page,
    this: &RemoteObjectId,
    body: &str,
    args: Vec<Arg<'_>>,
) -> Result<Reply, BrowserError> {
    let decl = format!("function(a, b, c) {{ {DOM_JS}\n{{ {body} }} }}");
    let arguments = args
        .into_iter()
        .map(|a| match a {
            Arg::Json(v) => CallArgument {
                value: Some(v),
                ..CallArgument::default()
            },
            Arg::Object(id) => CallArgument {
                object_id: Some(id.clone()),
                ..CallArgument::default()
            },
        })
        .collect::<Vec<_>>();
    let p = CallFunctionOnParams::builder()
        .function_declaration(decl)
        .object_id(this.clone())
        .arguments(arguments)
        .return_by_value(false)
        .await_promise(false)
        .build()
        .map_err(BrowserError::InvalidArgument)?;
    let res = with_timeout(
        "call a script on an element",
        page.call_timeout(),
        page.cdp().execute(p),
    )
    .await?
    .result;
    if let Some(e) = res.exception_details {
        return Err(script_error(
            "call a script on an element",
            &e.exception.and_then(|x| x.description).unwrap_or(e.text),
        ));
    }
    Ok(reply_of(res.result))
}

/// [`call`], expecting a JSON string back.
pub(crate) async fn call_json(
    page: &Page,
    this: &RemoteObjectId,
    body: &str,
    args: Vec<Arg<'_>>,
) -> Result<Value, BrowserError> {
    match call(page, this, body, args).await? {
        Reply::Json(v) => Ok(v),
        _ => Ok(Value::Null),
    }
}

/// Evaluates a per-frame script in every search root and returns the frames' answers (frames
/// searched from their parent answer `{skip: true}` and are left out).
pub(crate) async fn in_every_frame(
    page: &Page,
    body: &str,
    group: &Group,
) -> Result<(Vec<(FrameCtx, Value)>, usize), BrowserError> {
    let (frames, unready) = frame_contexts(page).await?;
    let mut out = Vec::with_capacity(frames.len());
    for f in frames {
        match eval_json(page, &f, body, group).await {
            Ok(v) if v.get("skip").and_then(Value::as_bool) == Some(true) => {}
            Ok(v) => out.push((f, v)),
            // A frame going away mid-search is like a frame not there.
            Err(e) if !f.top && super::is_transient(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((out, unready))
}
