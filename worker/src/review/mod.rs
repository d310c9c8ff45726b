//! The staff review page (`/review`), served by `monopco serve`, in French, with no script.
//!
//! Staff log in, see the filings waiting for a person (oldest first), open one to see each
//! filled portal page as the portal showed it, the values asked beside what the portal kept,
//! the attachments and the warnings, and decide: **Confirmer le dépôt** (a `submit_filing` job is
//! queued), **Refuser** with a reason, correct a value and ask for a new prefill, type the code
//! the portal sent, choose the OPCO, or run a blocked job again. Each decision is one store
//! transaction that moves the job and the filing together and writes the audit trail.
//!
//! The parts: [`session`] (log in and out), [`list`], [`detail`] (with the screenshots, read
//! through the `recordings` crate, and the attachments), [`decisions`] (the posts), [`forms`]
//! (what staff type, checked, and the decision forms), [`opco`] (choosing the OPCO), and
//! [`view`], the one place that reads filings from the store and turns them into typed rows.
//! When the store fails, every page says so with a 503 ([`unavailable`]), never an empty list.
//!
//! **Templates: maud.** Pages are `maud::html!` templates, checked when the crate compiles and
//! fed typed rows. Every `(value)` spliced into one is escaped; the only way to write raw HTML
//! is the `PreEscaped` type, which a test forbids outside [`layout`]'s stylesheet, so an
//! unescaped value cannot slip in by accident. Handlebars (used by `documents` for letters
//! that operators may replace) was not chosen: its templates are checked at run time, take
//! untyped JSON, and `{{{value}}}` — one brace more — prints raw HTML. Askama escapes by
//! default too, but its `|safe` filter lives in template files that neither the compiler nor
//! a lint looks at; with maud the escape hatch is a Rust type, visible to `grep` and review.

mod auth;
mod decisions;
mod detail;
mod forms;
mod layout;
mod list;
mod opco;
mod session;
mod view;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::JobId;
use filings::{FilingStore, StaffSession};
use jobs::{Runtime, Store};
use maud::Markup;

pub use auth::hash_password;
use layout::Who;

use crate::settings::ReviewSettings;

/// What the review page needs.
#[derive(Clone)]
pub struct ReviewState {
    runtime: Arc<Runtime>,
    settings: Arc<ReviewSettings>,
    recordings: recordings::Store,
}

impl ReviewState {
    /// The page on this runtime, with its staff and the data directory holding the recordings.
    pub fn new(runtime: Arc<Runtime>, settings: ReviewSettings, data_dir: PathBuf) -> Self {
        Self {
            runtime,
            settings: Arc::new(settings),
            recordings: recordings::Store::new(data_dir.join("recordings")),
        }
    }

    fn store(&self) -> &Store {
        &self.runtime.store
    }
}

/// The page's routes.
pub fn router(state: ReviewState) -> Router {
    Router::new()
        .route("/review", get(list::list))
        .route(
            "/review/login",
            get(session::login_form).post(session::login),
        )
        .route("/review/logout", post(session::logout))
        .route("/review/filings/{id}", get(detail::detail))
        .route("/review/filings/{id}/images/{n}", get(detail::image))
        .route(
            "/review/filings/{id}/attachments/{name}",
            get(detail::attachment),
        )
        .route("/review/filings/{id}/confirm", post(decisions::confirm))
        .route("/review/filings/{id}/refuse", post(decisions::refuse))
        .route("/review/filings/{id}/correct", post(decisions::correct))
        .route("/review/filings/{id}/code", post(decisions::code))
        .route("/review/filings/{id}/retry", post(decisions::retry))
        .route("/review/filings/{id}/agreement", post(decisions::agreement))
        .route("/review/jobs/{id}/code", post(decisions::job_code))
        .route("/review/filings/{id}/opco", post(opco::choose))
        .with_state(state)
}

/// A logged-in staff member.
struct Staff {
    session: StaffSession,
    name: String,
}

impl Staff {
    fn who(&self) -> Who<'_> {
        Who {
            name: &self.name,
            csrf: &self.session.csrf,
        }
    }
}

fn html_response(status: StatusCode, body: Markup) -> Response {
    let mut response = (status, Html(body.into_string())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; style-src 'unsafe-inline'; img-src 'self'"),
    );
    response
}

fn problem(status: StatusCode, who: Option<&Staff>, message: &str) -> Response {
    html_response(
        status,
        layout::problem("Action impossible", who.map(Staff::who), message),
    )
}

fn not_found(who: &Staff) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        Some(who),
        "Ce dossier n'existe pas (ou plus).",
    )
}

/// What staff read when the store fails, on every page.
const UNAVAILABLE: &str =
    "Le service de suivi est indisponible pour le moment : réessayez dans quelques instants.";

/// The store failed: a 503 page saying so (and that nothing was done, for a decision).
fn unavailable(who: Option<&Staff>, error: &dyn std::error::Error, reading: &str) -> Response {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "Review page: the store failed while {reading}");
    let mut response = html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        layout::problem("Service indisponible", who.map(Staff::who), UNAVAILABLE),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

fn to_login() -> Response {
    Redirect::to("/review/login").into_response()
}

async fn staff(state: &ReviewState, headers: &HeaderMap) -> Result<Staff, Response> {
    let Some(token) = auth::session_token(headers) else {
        return Err(to_login());
    };
    match state.store().staff_session(&auth::token_hash(&token)).await {
        Ok(Some(session)) => {
            let name = state
                .settings
                .staff
                .iter()
                .find(|s| s.login == session.login)
                .map(|s| s.name.clone());
            // A person removed from the configuration loses their open sessions too.
            match name {
                Some(name) => Ok(Staff { session, name }),
                None => Err(to_login()),
            }
        }
        Ok(None) => Err(to_login()),
        Err(error) => Err(unavailable(None, &error, "reading the staff session")),
    }
}

/// The staff member of a form post, checked for origin and CSRF token.
async fn staff_posting(
    state: &ReviewState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Staff, Response> {
    let who = staff(state, headers).await?;
    if !auth::same_origin(headers) || !auth::csrf_matches(&who.session.csrf, csrf) {
        tracing::warn!(login = %who.session.login, "Review form refused: bad origin or CSRF token");
        return Err(problem(
            StatusCode::FORBIDDEN,
            Some(&who),
            "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.",
        ));
    }
    Ok(who)
}

/// The staff member and the filing of a decision's post.
async fn posting(
    state: &ReviewState,
    headers: &HeaderMap,
    id: &str,
    csrf: &str,
) -> Result<(Staff, JobId), Response> {
    let who = staff_posting(state, headers, csrf).await?;
    let id = JobId::from_str(id).map_err(|_| not_found(&who))?;
    Ok((who, id))
}
