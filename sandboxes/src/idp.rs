//! An OpenID Connect identity provider on its own origin, and the portal's side of logging in
//! through it.
//!
//! Modelled on what is public of Microsoft Entra External ID as AKTO uses it (the
//! `/<tenant>/oauth2/v2.0/authorize` shape, `response_type=code` with `response_mode=fragment`
//! as MSAL.js asks it, the e-mail then the password, a one-time code sent by e-mail) and of
//! Keycloak as OCAPIAT uses it (`/auth/realms/<realm>/protocol/openid-connect/auth`, the fragment
//! as keycloak-js asks it, the identifier and the password on one page, a password renewal
//! forced at the first login); each portal's wording and look, the three tries of a code are
//! invented. It is served on a second port of the same sandbox process and shares its state
//! (accounts, the codes "sent by e-mail", the faults).
//!
//! The portal sends the browser to the authorization endpoint with a fresh `state` and `nonce`
//! it keeps; the provider asks the e-mail and the password (on one page or two), then the code
//! when it sends one, and sends the browser back to the registered `redirect_uri` with
//! `#code=…&state=…`; the portal's callback page reads the fragment with JavaScript and posts it
//! to the portal, which checks `state` and redeems the code (single use, bound to the
//! `redirect_uri` and to the `nonce`). The provider keeps its own session: a second login from
//! the same browser comes straight back.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Form, Query, State as AxState};
use axum::http::{HeaderMap, Request as HttpRequest, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::app::{Shared, cookie_value, with_cookie};
use crate::html::esc;
use crate::spec::{IdpFlow, IdpSpec, PortalSpec};
use crate::state::{PendingCode, Session, State};

/// The provider's session cookie (its own origin's; distinct from every portal's).
const SSO_COOKIE: &str = "idp_sso";

/// How long a code handed back to the portal may wait to be redeemed.
const GRANT_TTL_SECS: i64 = 120;

/// What the provider and the portal remember of logins through it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IdpState {
    /// Logins under way on the provider, by transaction id.
    logins: BTreeMap<String, Login>,
    /// The provider's own sessions: its cookie → the account.
    sso: BTreeMap<String, String>,
    /// Codes handed back to the portal, until redeemed.
    grants: BTreeMap<String, Grant>,
    /// On the portal's side: the `state` of each authorization request it sent → its `nonce`.
    sent: BTreeMap<String, String>,
}

/// How far a login on the provider went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    Email,
    Password,
    Renewal,
    Code,
}

/// One authorization request being answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Login {
    redirect_uri: String,
    state: String,
    nonce: String,
    email: String,
    stage: Stage,
}

/// A code the provider handed back, and what it is bound to.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: String,
    email: String,
    expires: DateTime<Utc>,
}

/// Why a code was not redeemed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Unknown, already used or expired.
    UnknownCode,
    /// Issued to another client or another `redirect_uri`.
    NotBound,
}

fn random_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Percent-encodes a query or fragment value.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn idp_of(sh: &Shared) -> &'static IdpSpec {
    sh.spec
        .idp
        .expect("the identity provider's routes exist only for a portal that has one")
}

/// The `redirect_uri` the provider knows for the portal: its callback page.
fn registered_redirect(sh: &Shared) -> String {
    format!("{}{}", sh.portal_url, idp_of(sh).callback_path)
}

/// Takes a code off the provider, once: it must have been issued to this client for this
/// `redirect_uri`. Returns the account and the `nonce` it is bound to.
pub(crate) fn redeem(
    st: &mut State,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
) -> Result<(String, String), Refused> {
    let grant = st
        .idp
        .grants
        .remove(code)
        .filter(|g| g.expires > Utc::now())
        .ok_or(Refused::UnknownCode)?;
    if grant.client_id != client_id || grant.redirect_uri != redirect_uri {
        return Err(Refused::NotBound);
    }
    Ok((grant.email, grant.nonce))
}

type Sh = AxState<Arc<Shared>>;

/// The provider's routes, served on its own port.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let idp = idp_of(&shared);
    let at = idp.authorize_path;
    Router::new()
        .route(at, get(authorize))
        .route(&format!("{at}/email"), post(email_submit))
        .route(&format!("{at}/password"), post(password_submit))
        .route(&format!("{at}/renewal"), post(renewal_submit))
        .route(&format!("{at}/code"), post(code_submit))
        .route(&format!("{at}/resend"), post(resend))
        .route(&format!("{at}/captcha"), post(captcha_submit))
        .route(idp.token_path, post(token))
        .layer(middleware::from_fn_with_state(shared.clone(), faults_layer))
        .with_state(shared)
}

/// The same switches as the portal's (slow, maintenance, HTTP 500), in the provider's look.
async fn faults_layer(sh: Sh, req: HttpRequest<Body>, next: Next) -> Response {
    let idp = idp_of(&sh);
    let (slow, maintenance) = {
        let f = sh.faults();
        (f.slow_ms, f.maintenance)
    };
    if slow > 0 {
        tokio::time::sleep(Duration::from_millis(slow)).await;
    }
    if maintenance {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(page(idp, idp.maintenance_title, "<p>Le service de connexion est en cours de maintenance. Merci de réessayer plus tard.</p>")),
        )
            .into_response();
    }
    let fail = {
        let mut f = sh.faults();
        let fail = f.http_500 > 0;
        f.http_500 = f.http_500.saturating_sub(1);
        fail
    };
    if fail {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html(page(
                idp,
                idp.error_title,
                "<p>Le service de connexion n'a pas pu traiter votre demande. Réessayez dans quelques instants.</p>",
            )),
        )
            .into_response();
    }
    next.run(req).await
}

/// The provider's page chrome: its own look, whatever the portal's.
fn page(idp: &IdpSpec, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{}</style></head><body><div class=\"idp-card\"><p class=\"idp-brand\">{}</p><h1>{}</h1>{body}</div></body></html>",
        esc(title),
        esc(idp.title),
        idp.css,
        esc(idp.title),
        esc(title)
    )
}

fn alert(msg: &str) -> String {
    format!("<div class=\"idp-error\" role=\"alert\">{}</div>", esc(msg))
}

fn field(id: &str, name: &str, label: &str, ty: &str, autocomplete: &str) -> String {
    format!(
        "<div class=\"idp-field\"><label for=\"{id}\">{}</label><input id=\"{id}\" type=\"{ty}\" name=\"{name}\" autocomplete=\"{autocomplete}\" required></div>",
        esc(label)
    )
}

fn form(idp: &IdpSpec, action: &str, tx: &str, inner: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}/{action}\"><input type=\"hidden\" name=\"tx\" value=\"{}\">{inner}<button type=\"submit\" class=\"idp-primary\">{}</button></form>",
        idp.authorize_path,
        esc(tx),
        esc(button)
    )
}

fn html(idp: &IdpSpec, title: &str, body: &str) -> Response {
    Html(page(idp, title, body)).into_response()
}

fn bad_request(idp: &IdpSpec, why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page(
            idp,
            "Demande de connexion invalide",
            &format!("<p>{}</p>", esc(why)),
        )),
    )
        .into_response()
}

fn captcha_page(idp: &IdpSpec) -> Response {
    html(
        idp,
        idp.captcha_title,
        &format!(
            "<p>Pour continuer, prouvez que vous êtes une personne.</p><div class=\"captcha\" role=\"img\" aria-label=\"Image de vérification\">4 + 9 = ?</div><form method=\"post\" action=\"{}/captcha\"><label>Réponse <input name=\"captcha\"></label><button type=\"submit\">Vérifier</button></form>",
            idp.authorize_path
        ),
    )
}

/// The first page of a login: the e-mail alone, or (with no `next_button`) the e-mail and the
/// password together.
fn email_page(idp: &IdpSpec, tx: &str) -> Response {
    let Some(next) = idp.next_button else {
        return login_page(idp, tx, false);
    };
    html(
        idp,
        "Connexion",
        &form(
            idp,
            "email",
            tx,
            &field("idp-email", "email", idp.email_label, "email", "username"),
            next,
        ),
    )
}

/// The identifier and the password on one page, as Keycloak asks them.
fn login_page(idp: &IdpSpec, tx: &str, error: bool) -> Response {
    let mut body = String::new();
    if error {
        body.push_str(&alert(idp.login_error));
    }
    let fields = field("username", "email", idp.email_label, "text", "username")
        + &field(
            "password",
            "password",
            idp.password_label,
            "password",
            "current-password",
        );
    body.push_str(&form(idp, "password", tx, &fields, idp.sign_in_button));
    html(idp, "Connexion", &body)
}

fn password_page(idp: &IdpSpec, tx: &str, email: &str, error: bool) -> Response {
    let mut body = String::new();
    if error {
        body.push_str(&alert(idp.login_error));
    }
    let _ = write!(body, "<p class=\"idp-who\">{}</p>", esc(email));
    body.push_str(&form(
        idp,
        "password",
        tx,
        &field(
            "idp-password",
            "password",
            idp.password_label,
            "password",
            "current-password",
        ),
        idp.sign_in_button,
    ));
    html(idp, "Entrez votre mot de passe", &body)
}

fn renewal_page(idp: &IdpSpec, tx: &str, error: Option<&str>) -> Response {
    let mut body = String::new();
    if let Some(e) = error {
        body.push_str(&alert(e));
    }
    body.push_str("<p>Vous devez choisir un nouveau mot de passe avant de continuer.</p>");
    body.push_str(&form(
        idp,
        "renewal",
        tx,
        &format!(
            "{}{}",
            field(
                "idp-new-password",
                "new_password",
                idp.new_password_label,
                "password",
                "new-password"
            ),
            field(
                "idp-confirm-password",
                "confirm_password",
                idp.confirm_password_label,
                "password",
                "new-password"
            )
        ),
        idp.renewal_button,
    ));
    html(idp, idp.renewal_title, &body)
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

/// What the code page says above its field.
enum CodeNote {
    None,
    Wrong(u32),
}

fn code_page(idp: &IdpSpec, tx: &str, email: &str, note: CodeNote) -> Response {
    let mut body = String::new();
    if let CodeNote::Wrong(n) = note {
        body.push_str(&alert(&idp.code_wrong.replace("{n}", &n.to_string())));
    }
    let _ = write!(
        body,
        "<p>{} {}. Il est valable 10 minutes.</p>",
        esc(idp.code_prompt),
        esc(&mask(email))
    );
    body.push_str(&form(
        idp,
        "code",
        tx,
        &field("idp-code", "code", idp.code_label, "text", "one-time-code"),
        idp.code_button,
    ));
    html(idp, "Vérifiez votre adresse e-mail", &body)
}

/// No try left: the code is void, only a new one can be asked for.
fn void_page(idp: &IdpSpec, tx: &str) -> Response {
    let body = format!(
        "{}<form method=\"post\" action=\"{}/resend\"><input type=\"hidden\" name=\"tx\" value=\"{}\"><button type=\"submit\" class=\"idp-primary\">{}</button></form>",
        alert(idp.code_void),
        idp.authorize_path,
        esc(tx),
        esc(idp.resend_button)
    );
    html(idp, "Vérifiez votre adresse e-mail", &body)
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    response_mode: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: String,
    /// The central login's (`IdpFlow::ReturnUrl`) only parameter: where to send the browser back.
    #[serde(default, rename = "ReturnUrl")]
    return_url: String,
}

async fn authorize(sh: Sh, headers: HeaderMap, Query(mut q): Query<AuthorizeQuery>) -> Response {
    let idp = idp_of(&sh);
    if idp.flow == IdpFlow::ReturnUrl {
        // An ASP.NET central login knows its sites' return addresses, nothing else.
        if q.return_url != registered_redirect(&sh) {
            return bad_request(
                idp,
                "L'adresse de retour ne correspond pas à celle de l'application.",
            );
        }
        q.client_id = idp.client_id.to_owned();
        q.redirect_uri = std::mem::take(&mut q.return_url);
        q.response_type = "code".into();
        q.response_mode = "fragment".into();
        q.scope = "openid".into();
        q.state = "-".into();
        q.nonce = "-".into();
    }
    // A request the provider cannot trust is never sent back anywhere.
    if q.client_id != idp.client_id {
        return bad_request(idp, "Application inconnue.");
    }
    if q.redirect_uri != registered_redirect(&sh) {
        return bad_request(
            idp,
            "L'adresse de retour ne correspond pas à celle de l'application.",
        );
    }
    if q.response_type != "code"
        || q.response_mode != "fragment"
        || !q.scope.split(' ').any(|s| s == "openid")
        || q.state.is_empty()
        || q.nonce.is_empty()
    {
        return bad_request(idp, "Paramètres de connexion incomplets.");
    }
    if sh.faults().captcha {
        return captcha_page(idp);
    }
    let mut st = sh.state();
    let known = cookie_value(&headers, SSO_COOKIE).and_then(|sid| st.idp.sso.get(sid).cloned());
    if let Some(email) = known {
        let login = Login {
            redirect_uri: q.redirect_uri,
            state: q.state,
            nonce: q.nonce,
            email,
            stage: Stage::Code,
        };
        let back = grant(&mut st, idp, login);
        sh.save(&st);
        return Redirect::to(&back).into_response();
    }
    let tx = random_id();
    st.idp.logins.insert(
        tx.clone(),
        Login {
            redirect_uri: q.redirect_uri,
            state: q.state,
            nonce: q.nonce,
            email: String::new(),
            // With no « next » button the password is asked with the identifier.
            stage: if idp.next_button.is_some() {
                Stage::Email
            } else {
                Stage::Password
            },
        },
    );
    sh.save(&st);
    email_page(idp, &tx)
}

/// Hands a code back to the portal: the address the browser goes to.
fn grant(st: &mut State, idp: &IdpSpec, login: Login) -> String {
    let code = random_id();
    st.idp.grants.insert(
        code.clone(),
        Grant {
            client_id: idp.client_id.to_owned(),
            redirect_uri: login.redirect_uri.clone(),
            nonce: login.nonce,
            email: login.email,
            expires: Utc::now() + chrono::Duration::seconds(GRANT_TTL_SECS),
        },
    );
    match idp.flow {
        IdpFlow::OidcFragment => format!(
            "{}#code={}&state={}",
            login.redirect_uri,
            enc(&code),
            enc(&login.state)
        ),
        IdpFlow::ReturnUrl => format!("{}?ticket={}", login.redirect_uri, enc(&code)),
    }
}

/// Ends a login: the provider's session, then back to the portal with a code.
fn signed_in(sh: &Shared, st: &mut State, tx: &str) -> Response {
    let idp = idp_of(sh);
    let Some(login) = st.idp.logins.remove(tx) else {
        return bad_request(
            idp,
            "Cette connexion a expiré : recommencez depuis le portail.",
        );
    };
    let sid = random_id();
    st.idp.sso.insert(sid.clone(), login.email.clone());
    let back = grant(st, idp, login);
    sh.save(st);
    with_cookie(Redirect::to(&back).into_response(), SSO_COOKIE, &sid)
}

/// Sends a code "by e-mail" unless one is still valid and has tries left (a person may be
/// reading the first one).
fn send_code(st: &mut State, idp: &IdpSpec, email: &str) {
    let now = Utc::now();
    let fresh = st
        .codes
        .get(email)
        .is_none_or(|c| c.expires <= now || c.tries_left == Some(0));
    if fresh {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        st.codes.insert(
            email.to_owned(),
            PendingCode {
                code,
                expires: now + chrono::Duration::minutes(10),
                tries_left: Some(idp.code_tries),
            },
        );
    }
}

/// After the password (or its renewal): the code, or straight back to the portal.
fn after_password(sh: &Shared, st: &mut State, tx: &str) -> Response {
    let idp = idp_of(sh);
    if !idp.email_code {
        return signed_in(sh, st, tx);
    }
    let Some(login) = st.idp.logins.get_mut(tx) else {
        return bad_request(
            idp,
            "Cette connexion a expiré : recommencez depuis le portail.",
        );
    };
    login.stage = Stage::Code;
    let email = login.email.clone();
    send_code(st, idp, &email);
    sh.save(st);
    code_page(idp, tx, &email, CodeNote::None)
}

#[derive(Deserialize)]
struct StepForm {
    #[serde(default)]
    tx: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    code: String,
}

/// The login of this transaction, when it is at `stage`.
fn at_stage(st: &State, tx: &str, stage: Stage) -> Option<Login> {
    st.idp.logins.get(tx).filter(|l| l.stage == stage).cloned()
}

fn expired(idp: &IdpSpec) -> Response {
    bad_request(
        idp,
        "Cette connexion a expiré : recommencez depuis le portail.",
    )
}

async fn email_submit(sh: Sh, Form(form): Form<StepForm>) -> Response {
    let idp = idp_of(&sh);
    if sh.faults().captcha {
        return captcha_page(idp);
    }
    let mut st = sh.state();
    if at_stage(&st, &form.tx, Stage::Email).is_none() {
        return expired(idp);
    }
    let email = form.email.trim().to_owned();
    if let Some(login) = st.idp.logins.get_mut(&form.tx) {
        login.email = email.clone();
        login.stage = Stage::Password;
    }
    sh.save(&st);
    password_page(idp, &form.tx, &email, false)
}

async fn password_submit(sh: Sh, Form(form): Form<StepForm>) -> Response {
    let idp = idp_of(&sh);
    if sh.faults().captcha {
        return captcha_page(idp);
    }
    let mut st = sh.state();
    let Some(mut login) = at_stage(&st, &form.tx, Stage::Password) else {
        return expired(idp);
    };
    if idp.next_button.is_none() {
        // One page: the identifier comes with the password, each time it is sent.
        login.email = form.email.trim().to_owned();
        if let Some(l) = st.idp.logins.get_mut(&form.tx) {
            l.email = login.email.clone();
        }
    }
    let Some(account) = st
        .accounts
        .iter()
        .find(|a| a.email == login.email && a.password == form.password)
        .cloned()
    else {
        sh.save(&st);
        return match idp.next_button {
            Some(_) => password_page(idp, &form.tx, &login.email, true),
            None => login_page(idp, &form.tx, true),
        };
    };
    if account.must_renew_password {
        if let Some(l) = st.idp.logins.get_mut(&form.tx) {
            l.stage = Stage::Renewal;
        }
        sh.save(&st);
        return renewal_page(idp, &form.tx, None);
    }
    after_password(&sh, &mut st, &form.tx)
}

async fn renewal_submit(sh: Sh, Form(form): Form<StepForm>) -> Response {
    let idp = idp_of(&sh);
    let mut st = sh.state();
    let Some(login) = at_stage(&st, &form.tx, Stage::Renewal) else {
        return expired(idp);
    };
    if form.new_password.chars().count() < 12 || form.new_password != form.confirm_password {
        return renewal_page(
            idp,
            &form.tx,
            Some(
                "Les deux mots de passe doivent être identiques et compter au moins 12 caractères.",
            ),
        );
    }
    if let Some(a) = st.accounts.iter_mut().find(|a| a.email == login.email) {
        a.password = form.new_password.clone();
        a.must_renew_password = false;
    }
    after_password(&sh, &mut st, &form.tx)
}

async fn code_submit(sh: Sh, Form(form): Form<StepForm>) -> Response {
    let idp = idp_of(&sh);
    let mut st = sh.state();
    let Some(login) = at_stage(&st, &form.tx, Stage::Code) else {
        return expired(idp);
    };
    let now = Utc::now();
    let Some(pending) = st.codes.get_mut(&login.email).filter(|c| c.expires > now) else {
        return void_page(idp, &form.tx);
    };
    if pending.code == form.code.trim() {
        st.codes.remove(&login.email);
        return signed_in(&sh, &mut st, &form.tx);
    }
    let left = pending
        .tries_left
        .unwrap_or(idp.code_tries)
        .saturating_sub(1);
    if left == 0 {
        st.codes.remove(&login.email);
        sh.save(&st);
        return void_page(idp, &form.tx);
    }
    pending.tries_left = Some(left);
    sh.save(&st);
    code_page(idp, &form.tx, &login.email, CodeNote::Wrong(left))
}

async fn resend(sh: Sh, Form(form): Form<StepForm>) -> Response {
    let idp = idp_of(&sh);
    let mut st = sh.state();
    let Some(login) = at_stage(&st, &form.tx, Stage::Code) else {
        return expired(idp);
    };
    st.codes.remove(&login.email);
    send_code(&mut st, idp, &login.email);
    sh.save(&st);
    code_page(idp, &form.tx, &login.email, CodeNote::None)
}

async fn captcha_submit(sh: Sh) -> Response {
    // No answer is ever right: a CAPTCHA is for a human, not for the fleet.
    captcha_page(idp_of(&sh))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
}

/// The token endpoint: the claims of the login a code stands for (an unsigned stand-in for an
/// ID token: the sandbox has nothing to sign for).
async fn token(sh: Sh, Form(form): Form<TokenForm>) -> Response {
    if form.grant_type != "authorization_code" {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    let mut st = sh.state();
    let res = redeem(&mut st, &form.code, &form.client_id, &form.redirect_uri);
    sh.save(&st);
    match res {
        Ok((email, nonce)) => Json(serde_json::json!({
            "token_type": "Bearer",
            "email": email,
            "nonce": nonce,
        }))
        .into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "invalid_grant" })),
        )
            .into_response(),
    }
}

// ---- The portal's side ----

/// The portal's cookie holding the `state` of the login it started in this browser.
fn state_cookie(spec: &PortalSpec) -> String {
    format!("{}_oidc", spec.cookie)
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    motif: Option<String>,
}

/// `login_path` on a portal that logs in through the provider: to the provider with a fresh
/// `state` and `nonce`, or, after a lost session, a page saying so with a link to log in again.
pub(crate) async fn portal_login(sh: Sh, Query(q): Query<LoginQuery>) -> Response {
    let spec = sh.spec;
    if q.motif.as_deref() == Some("expiree") {
        let body = format!(
            "<div class=\"akto-error\" role=\"alert\">{}</div><p><a href=\"{}\">Se reconnecter</a></p>",
            esc(spec.session_expired),
            spec.login_path
        );
        return Html(crate::html::page(
            spec,
            &format!("Connexion à {}", spec.space),
            &body,
            false,
        ))
        .into_response();
    }
    let (Some(idp), Some(idp_url)) = (spec.idp, sh.idp_url.as_deref()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if idp.flow == IdpFlow::ReturnUrl {
        let to = format!(
            "{idp_url}{}?ReturnUrl={}",
            idp.authorize_path,
            enc(&registered_redirect(&sh))
        );
        return Redirect::to(&to).into_response();
    }
    let state = random_id();
    let nonce = random_id();
    {
        let mut st = sh.state();
        st.idp.sent.insert(state.clone(), nonce.clone());
        sh.save(&st);
    }
    let to = format!(
        "{idp_url}{}?client_id={}&redirect_uri={}&response_type=code&response_mode=fragment&scope=openid&state={}&nonce={}",
        idp.authorize_path,
        enc(idp.client_id),
        enc(&registered_redirect(&sh)),
        enc(&state),
        enc(&nonce)
    );
    with_cookie(
        Redirect::to(&to).into_response(),
        &state_cookie(spec),
        &state,
    )
}

#[derive(Deserialize)]
pub(crate) struct TicketQuery {
    #[serde(default)]
    ticket: String,
}

/// Where a browser goes once logged in: the site picker when the portal has one, else its space.
fn after_login(spec: &PortalSpec) -> &'static str {
    spec.site_picker.map_or(spec.home_path, |p| p.path)
}

/// A new session of the portal for this account, and the browser sent on.
fn open_session(sh: &Shared, st: &mut State, email: String) -> Response {
    let sid = random_id();
    st.sessions.insert(
        sid.clone(),
        Session {
            email,
            verified: true,
            site: None,
        },
    );
    sh.save(st);
    with_cookie(
        Redirect::to(after_login(sh.spec)).into_response(),
        sh.spec.cookie,
        &sid,
    )
}

/// The callback page. OpenID Connect: the code is in the URL fragment, which only the page's
/// script reads. Central login: the ticket is in the query, redeemed here, server-side.
pub(crate) async fn callback_page(sh: Sh, Query(q): Query<TicketQuery>) -> Response {
    let spec = sh.spec;
    let idp = idp_of(&sh);
    if idp.flow == IdpFlow::ReturnUrl {
        let mut st = sh.state();
        let redeemed = redeem(&mut st, &q.ticket, idp.client_id, &registered_redirect(&sh));
        return match redeemed {
            Ok((email, _)) => open_session(&sh, &mut st, email),
            Err(_) => {
                sh.save(&st);
                refused(
                    spec,
                    "Le jeton de connexion est invalide ou a déjà servi : reconnectez-vous.",
                )
            }
        };
    }
    let path = idp.callback_path;
    let body = format!(
        "<p>Connexion en cours…</p><form id=\"oidc-return\" method=\"post\" action=\"{path}\"><input type=\"hidden\" name=\"code\"><input type=\"hidden\" name=\"state\"><input type=\"hidden\" name=\"error\"></form><script>(function(){{var p=new URLSearchParams(location.hash.slice(1));var f=document.getElementById('oidc-return');f.code.value=p.get('code')||'';f.state.value=p.get('state')||'';f.error.value=p.get('error')||'';history.replaceState(null,'',location.pathname);f.submit();}})();</script>"
    );
    Html(crate::html::page(spec, "Connexion en cours", &body, false)).into_response()
}

#[derive(Deserialize)]
pub(crate) struct CallbackForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

fn refused(spec: &PortalSpec, why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(crate::html::page(
            spec,
            "Connexion impossible",
            &format!(
                "<div role=\"alert\">{}</div><p><a href=\"{}\">Se reconnecter</a></p>",
                esc(why),
                spec.login_path
            ),
            false,
        )),
    )
        .into_response()
}

/// The fragment posted back: `state` must be the one this browser was sent with, the code must
/// redeem for this portal's `redirect_uri`, and its `nonce` must be the one kept for `state`.
pub(crate) async fn callback_submit(
    sh: Sh,
    headers: HeaderMap,
    Form(form): Form<CallbackForm>,
) -> Response {
    let spec = sh.spec;
    let idp = idp_of(&sh);
    let ours = cookie_value(&headers, &state_cookie(spec)).map(str::to_owned);
    let mut st = sh.state();
    if form.state.is_empty() || ours.as_deref() != Some(form.state.as_str()) {
        return refused(
            spec,
            "Réponse de connexion inattendue (state) : reconnectez-vous.",
        );
    }
    let Some(nonce) = st.idp.sent.remove(&form.state) else {
        sh.save(&st);
        return refused(
            spec,
            "Réponse de connexion inattendue (state) : reconnectez-vous.",
        );
    };
    let redeemed = redeem(
        &mut st,
        &form.code,
        idp.client_id,
        &registered_redirect(&sh),
    );
    let email = match redeemed {
        Ok((email, bound)) if bound == nonce => email,
        _ => {
            sh.save(&st);
            return refused(
                spec,
                "Le code de connexion est invalide ou a déjà servi : reconnectez-vous.",
            );
        }
    };
    open_session(&sh, &mut st, email)
}

#[cfg(test)]
mod tests {
    use super::enc;

    #[test]
    fn values_in_a_query_are_percent_encoded() {
        assert_eq!(
            enc("http://127.0.0.1:80/a b"),
            "http%3A%2F%2F127.0.0.1%3A80%2Fa%20b"
        );
        assert_eq!(enc("abc-_.~09"), "abc-_.~09");
    }
}
