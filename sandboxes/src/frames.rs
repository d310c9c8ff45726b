//! The frames of a legacy web app (`Stack::Frameset`): once logged in, a page of the space opened
//! as a document is answered with the frameset (banner, menu, content) showing that page in its
//! content frame; asked for as a frame, the page is itself. The browser says which by
//! `Sec-Fetch-Dest` (`document` for the window, `frame` or `iframe` for a frame).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, Request as HttpRequest};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::app::{Shared, session};
use crate::html::esc;
use crate::spec::{FramesetOptions, PortalSpec};

type Sh = AxState<Arc<Shared>>;

/// The banner's and the menu's pages; none on a portal without frames.
pub(crate) fn routes(spec: &'static PortalSpec) -> Router<Arc<Shared>> {
    let Some(o) = spec.frameset() else {
        return Router::new();
    };
    Router::new()
        .route(o.banner_path, get(banner))
        .route(o.menu_path, get(menu))
}

/// Answers a document request for a page of the space with the frameset around it.
pub(crate) async fn frames_layer(sh: Sh, req: HttpRequest<Body>, next: Next) -> Response {
    let Some(o) = sh.spec.frameset() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let framed = req.method() == Method::GET
        && path.starts_with(sh.spec.home_path)
        && is_window(req.headers())
        // Not logged in: the page's own answer (a redirect to the login) stands. Only read here:
        // the page's handler is the one that judges the session (and may end it).
        && verified_email(&sh, req.headers()).is_some();
    if !framed {
        return next.run(req).await;
    }
    let src = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.to_owned(), |p| p.as_str().to_owned());
    Html(frameset(sh.spec, o, &src)).into_response()
}

/// The logged-in account of a request, without touching its session.
fn verified_email(sh: &Shared, headers: &HeaderMap) -> Option<String> {
    session(sh, headers)
        .filter(|(_, s)| s.verified)
        .map(|(_, s)| s.email)
}

/// Whether the browser loads this document in the window (the address bar, a link to `_top`),
/// not in a frame. A client that does not say (no `Sec-Fetch-Dest`) is given the page itself.
fn is_window(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "document")
}

fn frameset(spec: &PortalSpec, o: &FramesetOptions, content: &str) -> String {
    format!(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Frameset//EN\"><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{brand} — {space}</title></head>\
<frameset rows=\"78,*\" frameborder=\"0\"><frame name=\"bandeau\" src=\"{banner}\" scrolling=\"no\" noresize>\
<frameset cols=\"210,*\"><frame name=\"menu\" src=\"{menu}\"><frame name=\"{name}\" src=\"{content}\"></frameset>\
<noframes><body><p>Votre navigateur doit accepter les cadres pour utiliser {space}.</p></body></noframes></frameset></html>",
        brand = esc(spec.brand),
        space = esc(spec.space),
        banner = esc(o.banner_path),
        menu = esc(o.menu_path),
        name = esc(o.content_frame),
        content = esc(content),
    )
}

async fn banner(sh: Sh, headers: HeaderMap) -> Response {
    let spec = sh.spec;
    let Some(o) = spec.frameset() else {
        return ().into_response();
    };
    let who = verified_email(&sh, &headers).unwrap_or_default();
    Html(format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><style>{css}</style></head><body class=\"bandeau\"><table width=\"100%\"><tr><td><b>{brand}</b> — {banner}</td><td align=\"right\">{who}</td></tr></table></body></html>",
        css = spec.css,
        brand = esc(spec.brand),
        banner = esc(o.banner),
        who = esc(&who),
    ))
    .into_response()
}

async fn menu(sh: Sh) -> Response {
    let spec = sh.spec;
    let Some(o) = spec.frameset() else {
        return ().into_response();
    };
    let links: String = o
        .menu
        .iter()
        .map(|(text, path)| {
            format!(
                "<li><a href=\"{}\" target=\"{}\">{}</a></li>",
                esc(path),
                esc(o.content_frame),
                esc(text)
            )
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><style>{css}</style></head><body class=\"menu\"><ul>{links}<li><a href=\"/deconnexion\" target=\"_top\">Se déconnecter</a></li></ul></body></html>",
        css = spec.css,
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_a_document_for_the_window_is_framed() {
        let mut h = HeaderMap::new();
        assert!(!is_window(&h), "a client that does not say gets the page");
        h.insert("sec-fetch-dest", HeaderValue::from_static("frame"));
        assert!(!is_window(&h));
        h.insert("sec-fetch-dest", HeaderValue::from_static("document"));
        assert!(is_window(&h));
    }
}
