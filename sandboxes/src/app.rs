//! The HTTP side: routes, handlers, failure switches.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Request as HttpRequest, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use rand::Rng;
use serde::Deserialize;

use crate::agreement::{Agreed, NotDone};
use crate::html;
use crate::spec::{Kind, PortalSpec};
use crate::state::{
    Account, Acknowledgement, Faults, Layout, PendingCode, Request, RequestView, Session, State,
    Status, StatusChange, StoredFile,
};

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) spec: &'static PortalSpec,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) state_file: Option<PathBuf>,
    /// The path of every HTML document served, in order (a single-page app serves few).
    pub(crate) documents: Mutex<Vec<String>>,
    /// Where the portal answers (`http://127.0.0.1:<port>`).
    pub(crate) portal_url: String,
    /// Where its identity provider answers, when it logs in through one.
    pub(crate) idp_url: Option<String>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn layout(&self) -> Layout {
        self.faults().layout
    }

    /// Writes the state file, when there is one; the sandbox keeps serving if the disk fails.
    pub(crate) fn save(&self, state: &State) {
        if let Some(path) = &self.state_file {
            let tmp = path.with_extension("json.tmp");
            let written = serde_json::to_vec_pretty(state)
                .map_err(std::io::Error::other)
                .and_then(|bytes| std::fs::write(&tmp, bytes))
                .and_then(|()| std::fs::rename(&tmp, path));
            if let Err(e) = written {
                tracing::warn!(path = %path.display(), error = %e, "Could not save the sandbox state");
            }
        }
    }

    pub(crate) fn views(&self, filed_only: bool) -> Vec<RequestView> {
        self.state()
            .requests
            .iter()
            .filter(|r| !filed_only || r.dossier.is_some())
            .map(|r| r.view(self.spec))
            .collect()
    }

    pub(crate) fn change_status(&self, dossier: &str, change: StatusChange) -> Option<RequestView> {
        let mut st = self.state();
        let r = st
            .requests
            .iter_mut()
            .find(|r| r.dossier.as_deref() == Some(dossier))?;
        r.set_status(change.status(self.spec), self.spec);
        let view = r.view(self.spec);
        self.save(&st);
        Some(view)
    }

    pub(crate) fn code_for(&self, email: &str) -> Option<String> {
        let st = self.state();
        st.codes
            .get(email)
            .filter(|c| c.expires > Utc::now())
            .map(|c| c.code.clone())
    }

    /// Moves dossiers along by themselves, for the demo.
    pub(crate) fn advance(&self, after: Duration) {
        let now = Utc::now();
        let after = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX);
        let mut st = self.state();
        let mut changed = false;
        for r in st.requests.iter_mut() {
            if r.status_changed_at + after > now {
                continue;
            }
            let next = match r.status {
                Status::Filed => Some(Status::InReview),
                Status::InReview => {
                    let amount_cents = r
                        .values
                        .get("action_cost")
                        .and_then(|c| parse_cents(c))
                        .unwrap_or(0);
                    Some(if self.spec.start_confirmation.is_some() {
                        Status::start_to_confirm(self.spec, amount_cents)
                    } else {
                        Status::Granted { amount_cents }
                    })
                }
                _ => None,
            };
            if let Some(next) = next {
                r.set_status(next, self.spec);
                changed = true;
            }
        }
        if changed {
            self.save(&st);
        }
    }
}

/// An amount typed in the cost field ("1800,00", "1 800.5", "1800"), in cents, read like the
/// fleet reads it.
pub(crate) fn parse_cents(s: &str) -> Option<i64> {
    domain::Euros::parse(s).ok().map(domain::Euros::cents)
}

type Sh = AxState<Arc<Shared>>;

/// The sandbox's routes: the portal's own paths plus `/__sandbox/…` for tests.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let spec = shared.spec;
    let home = spec.home_path;
    let test_routes = Router::new()
        .route("/faults", get(get_faults).put(put_faults).post(put_faults))
        .route("/dossiers", get(list_dossiers))
        .route("/requests", get(list_requests))
        .route("/dossiers/{number}/status", post(set_status))
        .route("/2fa-code", get(get_code))
        .route("/accounts", post(add_account))
        .route("/health", get(|| async { "ok" }));
    let routes = match spec.idp {
        Some(idp) => Router::new()
            .route(spec.login_path, get(crate::idp::portal_login))
            .route(
                idp.callback_path,
                get(crate::idp::callback_page).post(crate::idp::callback_submit),
            ),
        None => Router::new().route(spec.login_path, get(login_form).post(login_submit)),
    };
    routes
        .route("/", get(root))
        .route(
            &format!("{}/verification", spec.login_path),
            get(code_form).post(code_submit),
        )
        .route("/captcha", post(captcha_submit))
        .route("/deconnexion", post(logout).get(logout))
        .merge(site_routes(spec))
        .route(home, get(list))
        .route(&format!("{home}/nouvelle"), post(new_request))
        .route(&format!("{home}/suggestions"), get(suggestions))
        .route(
            &format!("{home}/{{id}}/etape/{{n}}"),
            get(step_form).post(step_submit),
        )
        .route(&format!("{home}/{{id}}/recapitulatif"), get(recap))
        .route(&format!("{home}/{{id}}/brouillon"), post(save_draft))
        .route(&format!("{home}/{{id}}/transmettre"), post(transmit))
        .route(
            &format!("{home}/{{id}}/accord"),
            get(agreement_form).post(agreement_submit),
        )
        .merge(crate::spa::routes(spec))
        .merge(crate::frames::routes(spec))
        .nest("/__sandbox", test_routes)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            crate::frames::frames_layer,
        ))
        .layer(middleware::from_fn_with_state(shared.clone(), faults_layer))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(shared)
}

fn html_status(code: StatusCode, body: String) -> Response {
    (code, Html(body)).into_response()
}

async fn faults_layer(sh: Sh, req: HttpRequest<Body>, next: Next) -> Response {
    if req.uri().path().starts_with("/__sandbox") {
        return next.run(req).await;
    }
    let (slow, maintenance) = {
        let f = sh.faults();
        (f.slow_ms, f.maintenance)
    };
    if slow > 0 {
        tokio::time::sleep(Duration::from_millis(slow)).await;
    }
    let api = req.uri().path().starts_with("/api/");
    if maintenance {
        if api {
            return crate::spa::api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                sh.spec.maintenance_title,
            );
        }
        return html_status(
            StatusCode::SERVICE_UNAVAILABLE,
            html::maintenance_page(sh.spec),
        );
    }
    let fail = {
        let mut f = sh.faults();
        if f.http_500 > 0 {
            f.http_500 -= 1;
            true
        } else {
            false
        }
    };
    if fail {
        if api {
            return crate::spa::api_error(StatusCode::INTERNAL_SERVER_ERROR, sh.spec.error_title);
        }
        return html_status(StatusCode::INTERNAL_SERVER_ERROR, html::error_page(sh.spec));
    }
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && resp.status() == StatusCode::OK {
        sh.documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path);
    }
    resp
}

pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn session(sh: &Shared, headers: &HeaderMap) -> Option<(String, Session)> {
    let sid = cookie_value(headers, sh.spec.cookie)?;
    let st = sh.state();
    st.sessions.get(sid).map(|s| (sid.to_owned(), s.clone()))
}

/// Why a request has no account behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoAccount {
    /// No session, or one the portal ended.
    Expired,
    /// Logged in, the second-factor code not given yet.
    Unverified,
    /// Logged in, no establishment chosen yet on a portal with a site picker.
    NoSite,
}

/// The logged-in and verified account. A session shown the "session about to expire" dialog
/// and not kept alive by its button ends here.
pub(crate) fn account_of(sh: &Shared, headers: &HeaderMap) -> Result<String, NoAccount> {
    let Some((sid, s)) = session(sh, headers) else {
        return Err(NoAccount::Expired);
    };
    let mut st = sh.state();
    if st.warned.remove(&sid) {
        st.sessions.remove(&sid);
        sh.save(&st);
        return Err(NoAccount::Expired);
    }
    if !s.verified {
        return Err(NoAccount::Unverified);
    }
    if sh.spec.site_picker.is_some() && s.site.is_none() {
        return Err(NoAccount::NoSite);
    }
    Ok(s.email)
}

/// The establishment whose space this session has open, on a portal with a site picker.
pub(crate) fn site_of(sh: &Shared, headers: &HeaderMap) -> Option<String> {
    session(sh, headers).and_then(|(_, s)| s.site)
}

/// The logged-in and verified account, or a redirect to the login page.
#[allow(clippy::result_large_err)]
fn account(sh: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    account_of(sh, headers).map_err(|e| to_login(sh.spec, e))
}

/// Where a request without an account is sent.
fn to_login(spec: &PortalSpec, e: NoAccount) -> Response {
    match e {
        NoAccount::Unverified => {
            Redirect::to(&format!("{}/verification", spec.login_path)).into_response()
        }
        NoAccount::Expired => {
            Redirect::to(&format!("{}?motif=expiree", spec.login_path)).into_response()
        }
        NoAccount::NoSite => match spec.site_picker {
            Some(picker) => Redirect::to(picker.path).into_response(),
            None => Redirect::to(spec.login_path).into_response(),
        },
    }
}

pub(crate) fn with_cookie(mut resp: Response, name: &str, value: &str) -> Response {
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn root(sh: Sh) -> Redirect {
    Redirect::to(sh.spec.login_path)
}

#[derive(Deserialize)]
struct LoginQuery {
    motif: Option<String>,
}

async fn login_form(sh: Sh, Query(q): Query<LoginQuery>) -> Response {
    let (captcha, layout) = {
        let f = sh.faults();
        (f.captcha, f.layout)
    };
    if captcha {
        return Html(html::captcha_page(sh.spec)).into_response();
    }
    let msg = (q.motif.as_deref() == Some("expiree")).then_some(sh.spec.session_expired);
    Html(html::login_page(sh.spec, layout, msg)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(sh: Sh, Form(form): Form<LoginForm>) -> Response {
    let spec = sh.spec;
    if sh.faults().captcha {
        return Html(html::captcha_page(spec)).into_response();
    }
    let email = form.username.trim().to_owned();
    let mut st = sh.state();
    let known = st
        .accounts
        .iter()
        .any(|a| a.email == email && a.password == form.password);
    if !known {
        drop(st);
        return Html(html::login_page(spec, sh.layout(), Some(spec.login_error))).into_response();
    }
    let sid = uuid::Uuid::new_v4().simple().to_string();
    st.sessions.insert(
        sid.clone(),
        Session {
            email: email.clone(),
            verified: !spec.two_factor,
            site: None,
        },
    );
    let target = if spec.two_factor {
        // A code still valid is not sent again, so a human can answer the first e-mail.
        let now = Utc::now();
        let fresh = st.codes.get(&email).is_none_or(|c| c.expires <= now);
        if fresh {
            let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
            st.codes.insert(
                email,
                PendingCode {
                    code,
                    expires: now + chrono::Duration::minutes(10),
                    tries_left: None,
                },
            );
        }
        format!("{}/verification", spec.login_path)
    } else {
        spec.home_path.to_owned()
    };
    sh.save(&st);
    drop(st);
    with_cookie(Redirect::to(&target).into_response(), spec.cookie, &sid)
}

fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => {
            let first: String = user.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

async fn code_form(sh: Sh, headers: HeaderMap) -> Response {
    match session(&sh, &headers) {
        Some((_, s)) if !s.verified => {
            Html(html::code_page(sh.spec, &mask(&s.email), false)).into_response()
        }
        Some(_) => Redirect::to(sh.spec.home_path).into_response(),
        None => Redirect::to(sh.spec.login_path).into_response(),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn code_submit(sh: Sh, headers: HeaderMap, Form(form): Form<CodeForm>) -> Response {
    let Some((sid, s)) = session(&sh, &headers) else {
        return Redirect::to(sh.spec.login_path).into_response();
    };
    let mut st = sh.state();
    let ok = st
        .codes
        .get(&s.email)
        .is_some_and(|c| c.expires > Utc::now() && c.code == form.code.trim());
    if !ok {
        drop(st);
        return Html(html::code_page(sh.spec, &mask(&s.email), true)).into_response();
    }
    st.codes.remove(&s.email);
    if let Some(sess) = st.sessions.get_mut(&sid) {
        sess.verified = true;
    }
    sh.save(&st);
    Redirect::to(sh.spec.home_path).into_response()
}

async fn captcha_submit(sh: Sh) -> Response {
    // No answer is ever right: a CAPTCHA is for a human, not for the fleet.
    Html(html::captcha_page(sh.spec)).into_response()
}

async fn logout(sh: Sh, headers: HeaderMap) -> Response {
    if let Some((sid, _)) = session(&sh, &headers) {
        let mut st = sh.state();
        st.sessions.remove(&sid);
        sh.save(&st);
    }
    Redirect::to(sh.spec.login_path).into_response()
}

/// The site picker's routes, on a portal that has one.
fn site_routes(spec: &'static PortalSpec) -> Router<Arc<Shared>> {
    match spec.site_picker {
        Some(picker) => Router::new()
            .route(picker.path, get(site_list))
            .route(&format!("{}/{{n}}", picker.path), get(site_open)),
        None => Router::new(),
    }
}

/// The establishments the login may act for, as the `sites` switch lists them.
pub(crate) fn sites_listed(
    picker: &'static crate::spec::SitePicker,
    faults: &Faults,
) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut sites: Vec<_> = picker.sites.to_vec();
    match faults.sites {
        crate::state::SiteList::Standard => {}
        crate::state::SiteList::Absent => {
            sites.remove(0);
        }
        crate::state::SiteList::Twice => {
            let (siret, _, town) = picker.sites[0];
            sites.push((siret, "ANCIENNE ADHÉSION", town));
        }
    }
    sites
}

/// The logged-in session (verified), whatever site it has open.
#[allow(clippy::result_large_err)]
fn logged_in(sh: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    match session(sh, headers) {
        Some((_, s)) if s.verified => Ok(s.email),
        Some(_) => Err(to_login(sh.spec, NoAccount::Unverified)),
        None => Err(to_login(sh.spec, NoAccount::Expired)),
    }
}

async fn site_list(sh: Sh, headers: HeaderMap) -> Response {
    if let Err(r) = logged_in(&sh, &headers) {
        return r;
    }
    let Some(picker) = sh.spec.site_picker else {
        return not_found(sh.spec);
    };
    let sites = sites_listed(picker, &sh.faults());
    Html(html::site_picker_page(sh.spec, picker, &sites)).into_response()
}

async fn site_open(sh: Sh, headers: HeaderMap, Path(n): Path<usize>) -> Response {
    if let Err(r) = logged_in(&sh, &headers) {
        return r;
    }
    let Some(picker) = sh.spec.site_picker else {
        return not_found(sh.spec);
    };
    let sites = sites_listed(picker, &sh.faults());
    let (Some((siret, _, _)), Some((sid, _))) = (sites.get(n), session(&sh, &headers)) else {
        return not_found(sh.spec);
    };
    let mut st = sh.state();
    if let Some(s) = st.sessions.get_mut(&sid) {
        s.site = Some((*siret).to_owned());
    }
    sh.save(&st);
    Redirect::to(sh.spec.home_path).into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    msg: Option<String>,
}

/// A page after the login: the document itself on a server-rendered portal; on a single-page
/// app, the app, with the same page inside `<noscript>` for a browser without JavaScript.
fn page_response(sh: &Shared, html: String) -> Response {
    match sh.spec.spa() {
        Some(_) => Html(crate::spa::shell(sh.spec, &html)).into_response(),
        None => Html(html).into_response(),
    }
}

async fn list(sh: Sh, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let email = match account(&sh, &headers) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let site = site_of(&sh, &headers);
    let mine = sh.requests_of(&email);
    // A space shows only its establishment's requests.
    let mine: Vec<&Request> = mine.iter().filter(|r| r.site == site).collect();
    let flash = (q.msg.as_deref() == Some("brouillon")).then_some(sh.spec.draft_saved);
    let mut body = html::list_page(sh.spec, &mine, flash);
    if let (Some(picker), Some(site)) = (sh.spec.site_picker, site.as_deref()) {
        html::insert_site_banner(&mut body, picker, site);
    }
    page_response(&sh, body)
}

#[derive(Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// The autocomplete's suggestions: the choices whose value starts with what was typed (spaces
/// ignored), or whose name holds it; nothing under three characters.
async fn suggestions(sh: Sh, headers: HeaderMap, Query(q): Query<SuggestQuery>) -> Response {
    if let Err(r) = account(&sh, &headers) {
        return r;
    }
    let typed: String = q.q.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = q.q.trim().to_lowercase();
    let choices = sh.spec.suggest_field().map_or(&[][..], |(_, c)| c);
    let found: Vec<serde_json::Value> = choices
        .iter()
        .filter(|(value, name)| {
            typed.chars().count() >= 3
                && (value.starts_with(&typed) || name.to_lowercase().contains(&lower))
        })
        .map(|(value, name)| {
            let grouped = if value.len() == 14 {
                format!(
                    "{} {} {} {}",
                    &value[..3],
                    &value[3..6],
                    &value[6..9],
                    &value[9..]
                )
            } else {
                (*value).to_owned()
            };
            serde_json::json!({ "value": value, "name": name, "grouped": grouped })
        })
        .collect();
    axum::Json(serde_json::json!({ "suggestions": found })).into_response()
}

async fn new_request(sh: Sh, headers: HeaderMap) -> Response {
    let email = match account(&sh, &headers) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let id = sh.new_request(email, site_of(&sh, &headers));
    Redirect::to(&format!("{}/{id}/etape/1", sh.spec.home_path)).into_response()
}

fn not_found(spec: &PortalSpec) -> Response {
    html_status(
        StatusCode::NOT_FOUND,
        html::page(
            spec,
            "Page introuvable",
            "<p>Cette demande n'existe pas.</p>",
            true,
        ),
    )
}

async fn step_form(sh: Sh, headers: HeaderMap, Path((id, n)): Path<(u32, usize)>) -> Response {
    let email = match account(&sh, &headers) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let spec = sh.spec;
    let faults = sh.faults().clone();
    let Some(r) = sh.request_of(&email, id) else {
        return not_found(spec);
    };
    if r.dossier.is_some() {
        return Redirect::to(&format!("{}/{id}/recapitulatif", spec.home_path)).into_response();
    }
    if n == 0 || n > spec.steps.len() {
        return not_found(spec);
    }
    page_response(&sh, html::step_page(spec, &faults, &r, n - 1, &[], false))
}

/// A file sent with a step.
pub(crate) struct Upload {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// What a step's form sent, whichever front end sent it.
#[derive(Default)]
pub(crate) struct StepInput {
    pub(crate) texts: BTreeMap<String, String>,
    pub(crate) uploads: BTreeMap<String, Upload>,
    /// "Save as draft" rather than "next".
    pub(crate) draft: bool,
    /// The step's own save button (`save_each_step`): kept, and the same step shown again.
    pub(crate) save: bool,
}

/// Reads a step's multipart form (the HTML form's or the app's `FormData`).
pub(crate) async fn read_step_form(
    spec: &PortalSpec,
    mut multipart: Multipart,
) -> Result<StepInput, ()> {
    let mut input = StepInput::default();
    let mut action = String::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(()),
        };
        let name = field.name().unwrap_or("").to_owned();
        let key = name
            .strip_prefix(html::CHANGED_NAME_PREFIX)
            .unwrap_or(&name)
            .to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(bytes) = field.bytes().await else {
            return Err(());
        };
        if key == "action" {
            action = String::from_utf8_lossy(&bytes).into_owned();
        } else if let Some(file_name) = file_name {
            if !file_name.is_empty() {
                input.uploads.insert(
                    key,
                    Upload {
                        name: file_name,
                        bytes: bytes.to_vec(),
                    },
                );
            }
        } else {
            input
                .texts
                .insert(key, String::from_utf8_lossy(&bytes).trim().to_owned());
        }
    }
    input.draft = action == "draft" || action == spec.draft_button;
    input.save = spec
        .save_each_step
        .is_some_and(|(label, _)| action == "save" || action == label);
    Ok(input)
}

/// Where a saved step leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Saved as a draft: back to the list.
    Draft,
    /// The next step (1-based).
    Step(usize),
    Summary,
    /// Saved with the step's own button (`save_each_step`): this step (1-based) again.
    Kept(usize),
}

/// Why a step was not saved.
pub(crate) enum NotSaved {
    NoAccount(NoAccount),
    /// The `fail_step_save` switch.
    Failed,
    NotFound,
    /// The request is filed already.
    Filed,
    /// Refused with these messages; the request as it is now.
    Invalid {
        request: Box<Request>,
        errors: Vec<String>,
    },
}

/// Why a submit filed nothing.
pub(crate) enum NotFiled {
    NoAccount(NoAccount),
    NotFound,
    /// A mandatory field of this step (0-based) is empty.
    Missing {
        step: usize,
        request: Box<Request>,
        message: String,
    },
    /// Filed, then the portal answered with its error (the `unreadable` acknowledgement).
    Unreadable,
}

fn digits_ok(v: &str, n: usize) -> bool {
    let d: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    d.len() == n && d.chars().all(|c| c.is_ascii_digit())
}

fn date_fr_ok(v: &str) -> bool {
    chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y").is_ok()
}

impl Shared {
    /// The account's requests, in order.
    pub(crate) fn requests_of(&self, email: &str) -> Vec<Request> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.account == email)
            .cloned()
            .collect()
    }

    /// One request of the account.
    pub(crate) fn request_of(&self, email: &str, id: u32) -> Option<Request> {
        self.state()
            .requests
            .iter()
            .find(|r| r.id == id && r.account == email)
            .cloned()
    }

    /// Opens a new draft; returns its id.
    pub(crate) fn new_request(&self, email: String, site: Option<String>) -> u32 {
        let mut st = self.state();
        st.next_request += 1;
        let id = st.next_request;
        let now = Utc::now();
        st.requests.push(Request {
            id,
            account: email,
            values: BTreeMap::new(),
            files: BTreeMap::new(),
            dossier: None,
            status: Status::Draft,
            created_at: now,
            filed_at: None,
            status_changed_at: now,
            history: vec![(now, self.spec.statuses.draft.to_owned())],
            site,
            agreement_actions: 0,
        });
        self.save(&st);
        id
    }

    /// Saves step `n` (1-based) of a request: the session switches, the validation of every
    /// field, the uploads, the read-back switches; the same for both front ends.
    pub(crate) fn save_step(
        &self,
        headers: &HeaderMap,
        id: u32,
        n: usize,
        mut input: StepInput,
    ) -> Result<Saved, NotSaved> {
        let spec = self.spec;
        let Some((sid, _)) = session(self, headers) else {
            return Err(NotSaved::NoAccount(NoAccount::Expired));
        };
        let (expire, fail) = {
            let mut f = self.faults();
            let expire = f.expire_session_at_step == Some(n);
            if expire {
                f.expire_session_at_step = None;
            }
            let fail = f.fail_step_save == Some(n);
            if fail {
                f.fail_step_save = None;
            }
            (expire, fail)
        };
        if expire {
            let mut st = self.state();
            st.sessions.remove(&sid);
            self.save(&st);
            return Err(NotSaved::NoAccount(NoAccount::Expired));
        }
        let email = account_of(self, headers).map_err(NotSaved::NoAccount)?;
        if fail {
            return Err(NotSaved::Failed);
        }
        if n == 0 || n > spec.steps.len() {
            return Err(NotSaved::NotFound);
        }
        let draft = input.draft;
        let onward = if n < spec.steps.len() {
            Saved::Step(n + 1)
        } else {
            Saved::Summary
        };
        // Where each step has its own save, « Suivant » keeps nothing: what was not saved is lost.
        if spec.save_each_step.is_some() && !input.save && !draft {
            return Ok(onward);
        }
        let faults = self.faults().clone();
        let refuse = faults.refuse_uploads;
        let fields = html::step_fields(spec, &faults, n - 1);
        let mut errors = Vec::new();
        let mut st = self.state();
        // The account's employees, where the trainee is chosen among them.
        let staff = fields
            .iter()
            .find_map(|f| match f.kind {
                Kind::Employee(c) => Some(crate::employees::of_account(c, &st.employees, &email)),
                _ => None,
            })
            .unwrap_or_default();
        let Some(r) = st
            .requests
            .iter_mut()
            .find(|r| r.id == id && r.account == email)
        else {
            return Err(NotSaved::NotFound);
        };
        if r.dossier.is_some() {
            return Err(NotSaved::Filed);
        }
        for field in &fields {
            match field.kind {
                Kind::Employee(_) => {
                    let v = input.texts.remove(field.key).unwrap_or_default();
                    match staff.iter().find(|e| e.id == v) {
                        Some(e) => {
                            for (k, value) in e.values() {
                                r.values.insert(k.to_owned(), value);
                            }
                            r.values.insert(field.key.to_owned(), v);
                        }
                        None if v.is_empty() => {
                            if !draft && field.required {
                                errors
                                    .push(format!("Le champ « {} » est obligatoire.", field.label));
                            }
                        }
                        None => errors.push(format!(
                            "« {} » : choisissez un salarié de la liste.",
                            field.label
                        )),
                    }
                }
                Kind::File => {
                    if let Some(up) = input.uploads.remove(field.key) {
                        let pdf = up.name.to_lowercase().ends_with(".pdf")
                            && up.bytes.starts_with(b"%PDF-");
                        if refuse || !pdf || up.bytes.len() > spec.max_upload_bytes {
                            errors.push(format!("{} : {}", field.label, spec.upload_refused));
                        } else {
                            r.files.insert(
                                field.key.to_owned(),
                                StoredFile {
                                    name: up.name,
                                    size: up.bytes.len(),
                                },
                            );
                        }
                    }
                    if !draft && field.required && !r.files.contains_key(field.key) {
                        errors.push(format!("Le document « {} » est obligatoire.", field.label));
                    }
                }
                Kind::Checkbox => {
                    if input.texts.contains_key(field.key) {
                        r.values.insert(field.key.to_owned(), "oui".into());
                    } else {
                        r.values.remove(field.key);
                    }
                }
                _ => {
                    let v = input.texts.remove(field.key).unwrap_or_default();
                    if !draft && field.required && v.is_empty() {
                        errors.push(format!("Le champ « {} » est obligatoire.", field.label));
                    } else if !v.is_empty() {
                        let bad = match field.key {
                            "company_siret" => !digits_ok(&v, 14),
                            "provider_siret" => {
                                !digits_ok(&v, 14)
                                    || (spec.spa().is_some_and(|o| o.provider_autocomplete)
                                        && crate::spa::provider(&v).is_none())
                            }
                            "provider_nda" => !digits_ok(&v, 11),
                            "action_cost" => parse_cents(&v).is_none(),
                            _ => field.kind == Kind::DateFr && !date_fr_ok(&v),
                        };
                        // A space takes requests for its own establishment only.
                        let other_site = field.key == "company_siret"
                            && r.site.as_deref().is_some_and(|site| {
                                v.chars().filter(char::is_ascii_digit).collect::<String>() != site
                            });
                        let unlisted = matches!(field.kind, Kind::Suggest(choices)
                            if !choices.iter().any(|(value, _)| *value == v));
                        if bad {
                            errors.push(format!("Le champ « {} » n'est pas valide.", field.label));
                        } else if unlisted {
                            errors.push(format!(
                                "« {} » : choisissez une des propositions de la liste.",
                                field.label
                            ));
                        } else if other_site {
                            errors.push(format!(
                                "Le champ « {} » ne correspond pas à l'établissement de cet espace.",
                                field.label
                            ));
                        }
                    }
                    r.values.insert(
                        field.key.to_owned(),
                        html::kept(spec, &faults, field.key, v),
                    );
                }
            }
        }
        let r = r.clone();
        self.save(&st);
        drop(st);
        if !errors.is_empty() {
            return Err(NotSaved::Invalid {
                request: Box::new(r),
                errors,
            });
        }
        Ok(if draft {
            Saved::Draft
        } else if input.save {
            Saved::Kept(n)
        } else {
            onward
        })
    }

    /// Files a request: every mandatory field present, the summary-differs and acknowledgement
    /// switches; a request filed already keeps its number. Returns the dossier number.
    pub(crate) fn transmit(&self, headers: &HeaderMap, id: u32) -> Result<String, NotFiled> {
        let email = account_of(self, headers).map_err(NotFiled::NoAccount)?;
        let spec = self.spec;
        let faults = self.faults().clone();
        let mut st = self.state();
        let next = st.next_dossier + 1;
        let Some(r) = st
            .requests
            .iter_mut()
            .find(|r| r.id == id && r.account == email)
        else {
            return Err(NotFiled::NotFound);
        };
        if let Some(d) = &r.dossier {
            return Ok(d.clone());
        }
        for (i, _) in spec.steps.iter().enumerate() {
            let missing = html::step_fields(spec, &faults, i).into_iter().find(|f| {
                f.required
                    && if f.kind == Kind::File {
                        !r.files.contains_key(f.key)
                    } else {
                        r.values.get(f.key).is_none_or(|v| v.is_empty())
                    }
            });
            if let Some(f) = missing {
                return Err(NotFiled::Missing {
                    step: i,
                    request: Box::new(r.clone()),
                    message: format!("Le champ « {} » est obligatoire.", f.label),
                });
            }
        }
        // The portal files what its summary states.
        if faults.summary_differs
            && let Some(cost) = html::summary_cost(r)
        {
            r.values.insert("action_cost".into(), cost);
        }
        let year = Utc::now().year();
        let number = match faults.acknowledgement {
            Acknowledgement::OtherFormat => format!("D{year}.{:05}", 200 + next),
            _ => spec.dossier_number(200 + next, year),
        };
        r.dossier = Some(number.clone());
        r.filed_at = Some(Utc::now());
        r.set_status(Status::Filed, spec);
        st.next_dossier = next;
        self.save(&st);
        if faults.acknowledgement == Acknowledgement::Unreadable {
            return Err(NotFiled::Unreadable);
        }
        Ok(number)
    }
}

async fn step_submit(
    sh: Sh,
    headers: HeaderMap,
    Path((id, n)): Path<(u32, usize)>,
    multipart: Multipart,
) -> Response {
    let spec = sh.spec;
    let Ok(input) = read_step_form(spec, multipart).await else {
        return html_status(StatusCode::BAD_REQUEST, html::error_page(spec));
    };
    match sh.save_step(&headers, id, n, input) {
        Ok(Saved::Draft) => {
            Redirect::to(&format!("{}?msg=brouillon", spec.home_path)).into_response()
        }
        Ok(Saved::Step(next)) => {
            Redirect::to(&format!("{}/{id}/etape/{next}", spec.home_path)).into_response()
        }
        Ok(Saved::Summary) => {
            Redirect::to(&format!("{}/{id}/recapitulatif", spec.home_path)).into_response()
        }
        Ok(Saved::Kept(n)) => {
            let faults = sh.faults().clone();
            match account(&sh, &headers).map(|e| sh.request_of(&e, id)) {
                Ok(Some(r)) => {
                    page_response(&sh, html::step_page(spec, &faults, &r, n - 1, &[], true))
                }
                Ok(None) => not_found(spec),
                Err(r) => r,
            }
        }
        Err(NotSaved::NoAccount(e)) => to_login(spec, e),
        Err(NotSaved::Failed) => {
            html_status(StatusCode::INTERNAL_SERVER_ERROR, html::error_page(spec))
        }
        Err(NotSaved::NotFound) => not_found(spec),
        Err(NotSaved::Filed) => {
            Redirect::to(&format!("{}/{id}/recapitulatif", spec.home_path)).into_response()
        }
        Err(NotSaved::Invalid { request, errors }) => {
            let faults = sh.faults().clone();
            page_response(
                &sh,
                html::step_page(spec, &faults, &request, n - 1, &errors, false),
            )
        }
    }
}

async fn recap(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let email = match account(&sh, &headers) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let faults = sh.faults().clone();
    match sh.request_of(&email, id) {
        Some(r) => page_response(&sh, html::recap_page(sh.spec, &faults, &r)),
        None => not_found(sh.spec),
    }
}

async fn save_draft(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    if let Err(r) = account(&sh, &headers) {
        return r;
    }
    let _ = id;
    Redirect::to(&format!("{}?msg=brouillon", sh.spec.home_path)).into_response()
}

async fn transmit(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let spec = sh.spec;
    match sh.transmit(&headers, id) {
        Ok(_) => Redirect::to(&format!("{}/{id}/recapitulatif", spec.home_path)).into_response(),
        Err(NotFiled::NoAccount(e)) => to_login(spec, e),
        Err(NotFiled::NotFound) => not_found(spec),
        Err(NotFiled::Missing {
            step,
            request,
            message,
        }) => {
            let faults = sh.faults().clone();
            page_response(
                &sh,
                html::step_page(spec, &faults, &request, step, &[message], false),
            )
        }
        Err(NotFiled::Unreadable) => {
            html_status(StatusCode::INTERNAL_SERVER_ERROR, html::error_page(spec))
        }
    }
}

/// The step of the employer's action after the agreement.
async fn agreement_form(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let email = match account(&sh, &headers) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let faults = sh.faults().clone();
    match sh.request_of(&email, id) {
        Some(r) => page_response(&sh, html::agreement_page(sh.spec, &faults, &r, None)),
        None => not_found(sh.spec),
    }
}

/// The action itself: the summary showing its outcome, or the step again with why it was
/// refused.
async fn agreement_submit(
    sh: Sh,
    headers: HeaderMap,
    Path(id): Path<u32>,
    form: Result<Form<BTreeMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let spec = sh.spec;
    // The changed-markup variant prefixes the box's name, as it does every field's.
    let attested = form.is_ok_and(|Form(f)| {
        f.iter().any(|(k, v)| {
            k.strip_prefix(html::CHANGED_NAME_PREFIX).unwrap_or(k) == "attestation" && !v.is_empty()
        })
    });
    let faults = sh.faults().clone();
    match sh.agree(&headers, id, attested) {
        Ok(Agreed {
            request,
            shown: true,
        }) => page_response(&sh, html::recap_page(spec, &faults, &request)),
        Ok(Agreed { shown: false, .. }) => page_response(&sh, html::pending_page(spec)),
        Err(NotDone::NoAccount(e)) => to_login(spec, e),
        Err(NotDone::NotFound) => not_found(spec),
        Err(NotDone::Refused { request, refusal }) => page_response(
            &sh,
            html::agreement_page(spec, &faults, &request, Some(&refusal.message())),
        ),
    }
}

async fn get_faults(sh: Sh) -> Json<Faults> {
    Json(sh.faults().clone())
}

async fn put_faults(sh: Sh, Json(f): Json<Faults>) -> Json<Faults> {
    *sh.faults() = f.clone();
    Json(f)
}

async fn list_dossiers(sh: Sh) -> Json<Vec<RequestView>> {
    Json(sh.views(true))
}

async fn list_requests(sh: Sh) -> Json<Vec<RequestView>> {
    Json(sh.views(false))
}

async fn set_status(
    sh: Sh,
    Path(number): Path<String>,
    Json(change): Json<StatusChange>,
) -> Response {
    match sh.change_status(&number, change) {
        Some(v) => Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, "no such dossier").into_response(),
    }
}

#[derive(Deserialize)]
struct CodeQuery {
    email: String,
}

async fn get_code(sh: Sh, Query(q): Query<CodeQuery>) -> Response {
    match sh.code_for(&q.email) {
        Some(code) => Json(serde_json::json!({ "email": q.email, "code": code })).into_response(),
        None => (StatusCode::NOT_FOUND, "no code pending").into_response(),
    }
}

async fn add_account(sh: Sh, Json(a): Json<Account>) -> StatusCode {
    let mut st = sh.state();
    st.accounts.retain(|x| x.email != a.email);
    st.accounts.push(a);
    sh.save(&st);
    StatusCode::CREATED
}

#[cfg(test)]
mod tests {
    use super::parse_cents;

    #[test]
    fn amounts_typed_the_french_or_english_way_are_read_in_cents() {
        assert_eq!(parse_cents("1800,00"), Some(180_000));
        assert_eq!(parse_cents("1 800.5"), Some(180_050));
        assert_eq!(parse_cents("1800"), Some(180_000));
        assert_eq!(parse_cents("18,001"), None);
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents("1\u{202f}800,00\u{a0}€"), Some(180_000));
        assert_eq!(parse_cents("-5"), None);
    }
}
