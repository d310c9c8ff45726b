//! The staff review page (`/review`), served by `monopco serve`, in French.
//!
//! Staff log in, see the filings waiting for a person (oldest first), open one to see each
//! filled portal page as the portal showed it, the values entered beside what was asked, the
//! attachments and the warnings, and decide: **Confirmer le dépôt** (a `submit_filing` job is
//! queued), **Refuser** with a reason, correct a value and ask for a new prefill, type the code
//! the portal sent, or run a blocked job again. Each decision is one store transaction that moves
//! the job and the filing together and writes the audit trail (who, what, when).

mod auth;
mod html;
mod opco;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Local, NaiveDate, Utc};
use domain::{FilingState, JobId, OpcoId};
use filings::{Filing, FilingActionError, FilingStore, StaffSession};
use jobs::{Runtime, Store};
use serde::Deserialize;
use serde_json::Value;

pub use auth::hash_password;
use html::{esc, form, input, page, table};

use crate::settings::ReviewSettings;

/// What the review page needs.
#[derive(Clone)]
pub struct ReviewState {
    runtime: Arc<Runtime>,
    settings: Arc<ReviewSettings>,
    data_dir: PathBuf,
}

impl ReviewState {
    /// The page on this runtime, with its staff and the data directory holding the recordings.
    pub fn new(runtime: Arc<Runtime>, settings: ReviewSettings, data_dir: PathBuf) -> Self {
        Self {
            runtime,
            settings: Arc::new(settings),
            data_dir,
        }
    }

    fn store(&self) -> &Store {
        &self.runtime.store
    }
}

/// The page's routes.
pub fn router(state: ReviewState) -> Router {
    Router::new()
        .route("/review", get(list))
        .route("/review/login", get(login_form).post(login))
        .route("/review/logout", post(logout))
        .route("/review/filings/{id}", get(detail))
        .route("/review/filings/{id}/images/{n}", get(image))
        .route("/review/filings/{id}/attachments/{name}", get(attachment))
        .route("/review/filings/{id}/confirm", post(confirm))
        .route("/review/filings/{id}/refuse", post(refuse))
        .route("/review/filings/{id}/correct", post(correct))
        .route("/review/filings/{id}/code", post(code))
        .route("/review/filings/{id}/retry", post(retry))
        .route("/review/jobs/{id}/code", post(job_code))
        .route("/review/filings/{id}/opco", post(opco::choose))
        .with_state(state)
}

/// A logged-in staff member.
struct Staff {
    session: StaffSession,
    name: String,
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
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
    let body = format!(
        "<h1>Action impossible</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/review\">Retour à la liste</a></p>",
        esc(message)
    );
    html_response(
        status,
        page(
            "Action impossible",
            who.map(|s| (s.name.as_str(), s.session.csrf.as_str())),
            &body,
        ),
    )
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
        Err(error) => {
            tracing::error!(error = %error, "Cannot read the staff session");
            Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "La base de données ne répond pas. Réessayez dans un instant.",
            ))
        }
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

async fn login_form() -> Response {
    html_response(StatusCode::OK, html::login(None))
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    if !auth::same_origin(&headers) {
        return html_response(
            StatusCode::FORBIDDEN,
            html::login(Some(
                "Connexion refusée : le formulaire ne vient pas de cette page.",
            )),
        );
    }
    if state.settings.staff.is_empty() {
        return html_response(
            StatusCode::SERVICE_UNAVAILABLE,
            html::login(Some(
                "Aucun membre de l'équipe n'est configuré ([[review.staff]]) : la relecture est fermée.",
            )),
        );
    }
    let staff = Arc::clone(&state.settings);
    let login = form.login.trim().to_owned();
    let password = form.password;
    let address = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let login = match auth::check_login(staff, login.clone(), password, address).await {
        auth::LoginCheck::Accepted(login) => login,
        auth::LoginCheck::Refused => {
            tracing::info!(%login, "Review login refused");
            return html_response(
                StatusCode::UNAUTHORIZED,
                html::login(Some("Identifiant ou mot de passe incorrect.")),
            );
        }
        auth::LoginCheck::Throttled(wait) => {
            tracing::warn!(%login, ?address, wait_s = wait.as_secs_f64(), "Review login throttled after repeated failures");
            let mut response = html_response(
                StatusCode::TOO_MANY_REQUESTS,
                html::login(Some(&format!(
                    "Trop d'essais infructueux : réessayez dans {} s.",
                    wait.as_secs().max(1)
                ))),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
        auth::LoginCheck::Busy => {
            return html_response(
                StatusCode::SERVICE_UNAVAILABLE,
                html::login(Some(
                    "Trop de connexions en cours : réessayez dans quelques secondes.",
                )),
            );
        }
    };
    let token = auth::random_token();
    let ttl = std::time::Duration::from_secs(state.settings.session_hours.max(1) * 3600);
    if let Err(error) = state
        .store()
        .create_staff_session(
            &auth::token_hash(&token),
            &login,
            &auth::random_token(),
            ttl,
        )
        .await
    {
        tracing::error!(error = %error, "Cannot open a staff session");
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "La base de données ne répond pas. Réessayez dans un instant.",
        );
    }
    tracing::info!(%login, "Staff logged in to the review page");
    let secure = if state.settings.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={token}; Path=/review; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        auth::COOKIE,
        ttl.as_secs()
    );
    let mut response = Redirect::to("/review").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = staff_posting(&state, &headers, &form.csrf).await {
        return r;
    }
    if let Some(token) = auth::session_token(&headers)
        && let Err(error) = state
            .store()
            .end_staff_session(&auth::token_hash(&token))
            .await
    {
        tracing::warn!(error = %error, "Cannot end a staff session");
    }
    let mut response = Redirect::to("/review/login").into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{}=; Path=/review; HttpOnly; SameSite=Strict; Max-Age=0",
        auth::COOKIE
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn opco_name(slug: &str) -> String {
    OpcoId::from_slug(slug).map_or_else(|_| slug.to_owned(), |o| o.name().to_owned())
}

fn date_fr(iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map_or_else(|_| iso.to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

/// The last day to file on time, where the OPCO has a rule.
fn deadline(filing: &Filing) -> Option<NaiveDate> {
    let opco = OpcoId::from_slug(&filing.opco).ok()?;
    let rule = portals::script(opco)?.facts().rules.deadline?;
    let start = NaiveDate::parse_from_str(&filing.start_date, "%Y-%m-%d").ok()?;
    Some(rule.last_day(start))
}

fn age(since: chrono::DateTime<Utc>) -> String {
    let minutes = (Utc::now() - since).num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes} min"),
        60..1440 => format!("{} h", minutes / 60),
        _ => format!("{} j", minutes / 1440),
    }
}

fn state_badge(state: FilingState) -> String {
    format!(
        "<span class=\"state state-{}\">{}</span>",
        state.as_str(),
        esc(state.label_fr())
    )
}

async fn list(State(state): State<ReviewState>, headers: HeaderMap) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = state.store();
    let (waiting, recent) = match (
        store.filings_awaiting_staff(200).await,
        store.recent_filings(30).await,
    ) {
        (Ok(w), Ok(r)) => (w, r),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "Cannot list filings");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&who),
                "La base de données ne répond pas. Réessayez dans un instant.",
            );
        }
    };
    let today = Local::now().date_naive();
    let rows: Vec<Vec<String>> = waiting
        .iter()
        .map(|f| {
            let limit = deadline(f).map_or_else(
                || "—".to_owned(),
                |d| {
                    let late = if d < today { " (dépassée)" } else { "" };
                    format!("{}{late}", d.format("%d/%m/%Y"))
                },
            );
            vec![
                esc(&opco_name(&f.opco)),
                esc(&f.company_siret),
                esc(&f.trainee),
                esc(&date_fr(&f.start_date)),
                esc(&limit),
                esc(&age(f.created_at)),
                state_badge(f.state),
                format!(
                    "<a href=\"/review/filings/{}\">Ouvrir le dossier de {}</a>",
                    f.id,
                    esc(&f.trainee)
                ),
            ]
        })
        .collect();
    let waiting_html = if rows.is_empty() {
        "<p class=\"notice\">Aucun dossier n'attend de relecture.</p>".to_owned()
    } else {
        table(
            &[
                "OPCO",
                "Entreprise (SIRET)",
                "Stagiaire",
                "Début",
                "Date limite de dépôt",
                "En attente depuis",
                "État",
                "",
            ],
            &rows,
        )
    };
    let recent_rows: Vec<Vec<String>> = recent
        .iter()
        .map(|f| {
            vec![
                esc(&opco_name(&f.opco)),
                esc(&f.trainee),
                esc(&f.action_title),
                state_badge(f.state),
                esc(f.dossier.as_deref().unwrap_or("—")),
                esc(f.portal_label.as_deref().unwrap_or("—")),
                if f.overdue_since.is_some() {
                    "Sans réponse au-delà du délai habituel".to_owned()
                } else {
                    String::new()
                },
                format!("<a href=\"/review/filings/{}\">Voir</a>", f.id),
            ]
        })
        .collect();
    let rounds = store
        .list(&jobs::ListFilter {
            state: Some(jobs::JobState::NeedsHuman),
            kind: Some(jobs::JobKind::PollStatus),
            before: None,
            limit: 50,
        })
        .await
        .unwrap_or_default();
    let mut rounds_html = String::new();
    for job in rounds.iter().filter(|j| {
        j.error
            .as_ref()
            .is_some_and(|e| e.code == "two_factor_code_needed")
    }) {
        let opco = job
            .input
            .get("opco")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let account = job
            .input
            .get("account")
            .and_then(Value::as_str)
            .unwrap_or_default();
        rounds_html.push_str(&form(
            &format!("/review/jobs/{}/code", job.id),
            &who.session.csrf,
            &format!(
                "<p>Suivi des statuts {} — compte {} : {}</p>{}",
                esc(&opco_name(opco)),
                esc(account),
                esc(job
                    .error
                    .as_ref()
                    .map(|e| e.message.as_str())
                    .unwrap_or_default()),
                input(
                    &format!("code-{}", job.id),
                    &format!(
                        "Code de vérification pour le suivi {} {}",
                        opco_name(opco),
                        account
                    ),
                    "text",
                    "",
                    "autocomplete=\"one-time-code\" required",
                )
            ),
            "Envoyer le code au portail",
            "primary",
        ));
    }
    if !rounds_html.is_empty() {
        rounds_html = format!("<h2>Suivi des statuts en attente d'un code</h2>{rounds_html}");
    }
    let body = format!(
        "<h1>Dossiers à relire ({})</h1><p>Les plus anciens d'abord.</p>{waiting_html}{rounds_html}<h2>Derniers dossiers</h2>{}",
        waiting.len(),
        table(
            &[
                "OPCO",
                "Stagiaire",
                "Formation",
                "État",
                "N° de dossier",
                "Statut sur le portail",
                "Alerte",
                ""
            ],
            &recent_rows
        )
    );
    html_response(
        StatusCode::OK,
        page(
            "Dossiers à relire",
            Some((&who.name, &who.session.csrf)),
            &body,
        ),
    )
}

/// The images staff may see for a filing: filled pages, the failing page, the receipt.
fn images(filing: &Filing) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(review) = &filing.review {
        if let Some(shots) = review.get("final_screenshots").and_then(Value::as_array) {
            for (i, s) in shots.iter().filter_map(Value::as_str).enumerate() {
                out.push((
                    format!("Page {} telle que le portail l'affiche", i + 1),
                    PathBuf::from(s),
                ));
            }
        }
        if let Some(s) = review.get("screenshot").and_then(Value::as_str) {
            out.push((
                "Page du portail au moment de l'arrêt".to_owned(),
                PathBuf::from(s),
            ));
        }
    }
    if let Some(receipt) = &filing.receipt {
        out.push((
            "Accusé de dépôt du portail".to_owned(),
            PathBuf::from(receipt),
        ));
    }
    out
}

/// What the portal kept, read from the portal after the pages were saved (its summary), one row
/// per field: (field, asked, kept, same).
fn kept_rows(filing: &Filing) -> Vec<(String, String, String, bool)> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    filing
        .review
        .as_ref()
        .and_then(|r| r.get("kept"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|k| {
            (
                text(k, "label"),
                text(k, "asked"),
                text(k, "kept"),
                k.get("same").and_then(Value::as_bool).unwrap_or(false),
            )
        })
        .collect()
}

/// Whether the portal was read holding something else than what was asked.
fn kept_mismatch(filing: &Filing) -> bool {
    kept_rows(filing).iter().any(|(_, _, _, same)| !same)
}

fn asked_values(filing: &Value) -> Vec<(&'static str, String)> {
    let t = |path: &[&str]| {
        path.iter()
            .try_fold(filing, |v, k| v.get(k))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let cost = filing
        .pointer("/action/cost_ht")
        .and_then(Value::as_i64)
        .map(|c| domain::Euros::from_cents(c).to_string())
        .unwrap_or_default();
    vec![
        ("SIRET de l'entreprise", t(&["company", "siret"])),
        ("Compte client OPCO", t(&["company", "opco_account"])),
        ("Nom du stagiaire", t(&["trainee", "last_name"])),
        ("Prénoms", t(&["trainee", "first_names"])),
        ("Date de naissance", date_fr(&t(&["trainee", "birth_date"]))),
        ("Emploi occupé", t(&["trainee", "job_title"])),
        ("Contrat", t(&["trainee", "contract"]).to_uppercase()),
        ("Intitulé de l'action", t(&["action", "title"])),
        ("Début", date_fr(&t(&["action", "start"]))),
        ("Fin", date_fr(&t(&["action", "end"]))),
        ("Durée (heures)", t(&["action", "hours"])),
        ("Modalité", t(&["action", "modality"])),
        ("Coût HT", cost),
        ("Organisme prestataire", t(&["provider", "name"])),
        ("SIRET du prestataire", t(&["provider", "siret"])),
        ("N° de déclaration d'activité", t(&["provider", "nda"])),
        (
            "Certifié Qualiopi",
            if t(&["provider", "qualiopi"]) == "true" {
                "Oui".into()
            } else {
                "Non".into()
            },
        ),
        (
            "Subrogation demandée",
            if t(&["subrogation"]) == "true" {
                "Oui".into()
            } else {
                "Non".into()
            },
        ),
    ]
}

async fn load(state: &ReviewState, who: &Staff, id: &str) -> Result<(Filing, Value), Response> {
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            Some(who),
            "Ce dossier n'existe pas (ou plus).",
        )
    };
    let id = JobId::from_str(id).map_err(|_| not_found())?;
    let unavailable = |e: jobs::StoreError| {
        tracing::error!(error = %e, "Cannot read a filing");
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(who),
            "La base de données ne répond pas. Réessayez dans un instant.",
        )
    };
    let filing = state
        .store()
        .filing(id)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let prefill = state
        .store()
        .get(id)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let asked = prefill.input.get("filing").cloned().unwrap_or(Value::Null);
    Ok((filing, asked))
}

async fn detail(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (filing, asked) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let events = state
        .store()
        .filing_events(filing.id)
        .await
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        page(
            &format!("Dossier de {}", filing.trainee),
            Some((&who.name, &who.session.csrf)),
            &detail_body(&state, &who, &filing, &asked, &events),
        ),
    )
}

fn detail_body(
    state: &ReviewState,
    who: &Staff,
    filing: &Filing,
    asked: &Value,
    events: &[filings::FilingEvent],
) -> String {
    let csrf = &who.session.csrf;
    let base = format!("/review/filings/{}", filing.id);
    let mut body = format!(
        "<h1>{} — {}</h1><p>{} · {} · début le {}</p><p>État : {}</p>",
        esc(&filing.trainee),
        esc(&filing.action_title),
        esc(&opco_name(&filing.opco)),
        esc(&filing.company_siret),
        esc(&date_fr(&filing.start_date)),
        state_badge(filing.state)
    );
    if let Some(message) = &filing.state_message {
        let class = if filing.state == FilingState::ReadyForReview {
            "notice"
        } else {
            "error"
        };
        body.push_str(&format!(
            "<p class=\"{class}\" role=\"status\">{}</p>",
            esc(message)
        ));
    }
    if let Some(d) = &filing.dossier {
        body.push_str(&format!(
            "<p class=\"notice\">Déposé sur le portail sous le n° <strong>{}</strong>{}.</p>",
            esc(d),
            filing
                .portal_label
                .as_ref()
                .map(|l| format!(" — statut : {}", esc(l)))
                .unwrap_or_default()
        ));
    }
    if let Some(review) = &filing.review {
        for w in review
            .get("warnings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let message = w.get("message").and_then(Value::as_str).unwrap_or_default();
            body.push_str(&format!("<p class=\"warn\">⚠ {}</p>", esc(message)));
        }
    }
    if let Some(limit) = deadline(filing) {
        body.push_str(&format!(
            "<p>Date limite de dépôt : {}</p>",
            limit.format("%d/%m/%Y")
        ));
    }

    // Decisions, by state.
    match filing.state {
        FilingState::ReadyForReview if kept_mismatch(filing) => {
            body.push_str("<p class=\"error\" role=\"alert\">Le portail ne conserve pas ce qui était demandé (voir « Conservé sur le portail ») : ce dossier ne peut pas être confirmé. Corrigez-le ou refusez-le.</p>");
        }
        FilingState::ReadyForReview => {
            body.push_str(&form(
                &format!("{base}/confirm"),
                csrf,
                "<p>Les pages ci-dessous sont celles du portail, remplies et enregistrées en brouillon. En confirmant, la demande est transmise à l'OPCO.</p>",
                "Confirmer le dépôt",
                "primary",
            ));
        }
        FilingState::NeedsInput => {
            body.push_str(&form(
                &format!("{base}/code"),
                csrf,
                &input(
                    "code",
                    "Code de vérification reçu par e-mail",
                    "text",
                    "",
                    "autocomplete=\"one-time-code\" inputmode=\"numeric\" required",
                ),
                "Envoyer le code au portail",
                "primary",
            ));
            body.push_str(&form(
                &format!("{base}/retry"),
                csrf,
                "<p>Code perdu ou expiré ? L'automate se reconnecte et le portail envoie un nouveau code.</p>",
                "Demander un nouveau code",
                "",
            ));
        }
        FilingState::FiledUnknown => {
            if let Some(after) = filing.review.as_ref().and_then(|r| r.get("after_submit")) {
                let lines: Vec<Vec<String>> = after
                    .get("list")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|l| vec![esc(l)])
                    .collect();
                body.push_str(&format!(
                    "<h2>Liste des demandes du portail, vue juste après le dépôt</h2>{}",
                    if lines.is_empty() {
                        "<p>La liste n'a pas pu être lue.</p>".to_owned()
                    } else {
                        table(&["Demande"], &lines)
                    }
                ));
            }
            body.push_str(&form(
                &format!("{base}/retry"),
                csrf,
                "<p>Ne redéposez pas à la main. « Relancer » recherche d'abord ce dossier sur le portail : s'il y est, son numéro est enregistré sans nouveau dépôt.</p>",
                "Relancer (rechercher le dossier)",
                "primary",
            ));
        }
        FilingState::NeedsAttention if opco::waits_for_choice(filing) => {
            body.push_str(&opco::choice_form(filing, csrf, &base));
        }
        FilingState::NeedsAttention => {
            body.push_str(&form(
                &format!("{base}/retry"),
                csrf,
                "<p>Une fois le problème réglé (CAPTCHA passé à la main, portail revenu, identifiants enregistrés), relancez.</p>",
                "Relancer",
                "primary",
            ));
        }
        _ => {}
    }
    // A request that may be on the portal cannot be refused here: it is checked first.
    if filing.state.awaits_staff() && filing.state != FilingState::FiledUnknown {
        body.push_str(&form(
            &format!("{base}/refuse"),
            csrf,
            "<label for=\"reason\">Motif du refus</label><textarea id=\"reason\" name=\"reason\" rows=\"2\" cols=\"60\" required></textarea>",
            "Refuser",
            "danger",
        ));
    }
    if matches!(
        filing.state,
        FilingState::ReadyForReview | FilingState::NeedsAttention
    ) && !asked.is_null()
    {
        let v = |p: &str| {
            asked
                .pointer(p)
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default()
        };
        let cost = asked
            .pointer("/action/cost_ht")
            .and_then(Value::as_i64)
            .map(|c| format!("{}.{:02}", c / 100, c % 100))
            .unwrap_or_default();
        let fields = format!(
            "<p>Corrigez une valeur : le dossier est prérempli à nouveau, puis revient ici.</p>{}{}{}{}",
            input(
                "hours",
                "Durée (heures)",
                "number",
                &v("/action/hours"),
                "min=\"1\" max=\"24\""
            ),
            input("cost", "Coût HT (euros)", "text", &cost, ""),
            input("start", "Date de début", "date", &v("/action/start"), ""),
            input("end", "Date de fin", "date", &v("/action/end"), ""),
        );
        body.push_str(&form(
            &format!("{base}/correct"),
            csrf,
            &fields,
            "Corriger et préremplir à nouveau",
            "",
        ));
    }

    // Values: what was asked beside what the portal kept, read from the portal after saving.
    let asked_rows: Vec<Vec<String>> = asked_values(asked)
        .into_iter()
        .map(|(k, v)| vec![esc(k), esc(&v)])
        .collect();
    let kept_rows: Vec<Vec<String>> = kept_rows(filing)
        .into_iter()
        .map(|(label, asked, kept, same)| {
            let mark = if same {
                "<span class=\"same\" title=\"identique\">✓ identique</span>"
            } else {
                "<strong class=\"differs\" title=\"différent\">✗ différent</strong>"
            };
            vec![esc(&label), esc(&asked), esc(&kept), mark.to_owned()]
        })
        .collect();
    body.push_str(&format!(
        "<div class=\"cols\"><section><h2>Ce qui était demandé</h2>{}</section><section><h2>Conservé sur le portail</h2><p>Relu sur le portail après l'enregistrement de chaque page, dans son récapitulatif.</p>{}</section></div>",
        table(&["Champ", "Valeur"], &asked_rows),
        if kept_rows.is_empty() {
            "<p>Rien n'a encore été relu sur le portail.</p>".to_owned()
        } else {
            table(
                &["Champ du portail", "Demandé", "Conservé par le portail", "Accord"],
                &kept_rows,
            )
        }
    ));

    // Attachments.
    let attachments: Vec<Vec<String>> = [
        ("quote", "Devis"),
        ("programme", "Programme"),
        ("agreement", "Convention"),
    ]
    .iter()
    .filter(|(key, _)| asked.pointer(&format!("/attachments/{key}")).is_some())
    .map(|(key, label)| {
        vec![
            esc(label),
            format!(
                "<a href=\"{base}/attachments/{key}\">Ouvrir le PDF ({})</a>",
                esc(label)
            ),
        ]
    })
    .collect();
    body.push_str(&format!(
        "<h2>Pièces jointes</h2>{}",
        table(&["Pièce", ""], &attachments)
    ));

    // Screenshots.
    let shots = images(filing);
    if !shots.is_empty() {
        body.push_str("<h2>Pages du portail</h2><div class=\"shots\">");
        for (i, (label, _)) in shots.iter().enumerate() {
            body.push_str(&format!(
                "<figure><figcaption>{}</figcaption><img src=\"{base}/images/{i}\" alt=\"{}\"></figure>",
                esc(label),
                esc(label)
            ));
        }
        body.push_str("</div>");
    }

    // Audit trail.
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                esc(&e
                    .at
                    .with_timezone(&Local)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string()),
                esc(&actor_label(state, &e.actor)),
                esc(&action_label(&e.action)),
                esc(e.to_state.label_fr()),
                esc(e.detail.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    body.push_str(&format!(
        "<h2>Historique</h2>{}",
        table(&["Quand", "Qui", "Quoi", "État", "Détail"], &rows)
    ));
    body
}

fn actor_label(state: &ReviewState, actor: &str) -> String {
    match actor.strip_prefix("staff:") {
        Some(login) => state
            .settings
            .staff
            .iter()
            .find(|s| s.login == login)
            .map_or_else(|| login.to_owned(), |s| format!("{} ({login})", s.name)),
        None => match actor {
            "worker" => "Automate".into(),
            "poller" => "Suivi des statuts".into(),
            "api" => "Système amont".into(),
            other => other.into(),
        },
    }
}

fn action_label(action: &str) -> String {
    match action {
        "created" => "Demande reçue",
        "working" => "Travail en cours",
        "prefilled" => "Prérempli sur le portail",
        "code_requested" => "Code demandé par le portail",
        "needs_attention" => "Arrêt : à examiner",
        "values_differ" => "Valeurs différentes sur le portail",
        "filed_unknown" => "Déposé ou non : à vérifier",
        "confirmed" => "Dépôt confirmé",
        "refused" => "Dépôt refusé",
        "corrected" => "Valeurs corrigées",
        "code_entered" => "Code saisi",
        "retried" => "Relancé",
        "submitted" => "Déposé sur le portail",
        "status_changed" => "Statut changé sur le portail",
        "overdue" => "Sans réponse dans le délai habituel",
        "missing_on_portal" => "Dossier introuvable sur le portail",
        "failed" => "Échec",
        "cancelled" => "Annulé",
        "opco_resolved" => "OPCO déterminé d'après le SIRET",
        "opco_chosen" => "OPCO choisi",
        other => other,
    }
    .to_owned()
}

async fn image(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath((id, n)): UrlPath<(String, usize)>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (filing, _) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((_, path)) = images(&filing).into_iter().nth(n) else {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette image n'existe pas.",
        );
    };
    // Only files inside the recordings directory are served.
    let root = std::fs::canonicalize(state.data_dir.join("recordings")).ok();
    let file = std::fs::canonicalize(&path).ok();
    match (root, file) {
        (Some(root), Some(file)) if file.starts_with(&root) => match tokio::fs::read(&file).await {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, "image/png"),
                    (header::CACHE_CONTROL, "private, max-age=300"),
                ],
                bytes,
            )
                .into_response(),
            Err(_) => problem(
                StatusCode::NOT_FOUND,
                Some(&who),
                "Cette image n'est plus disponible (enregistrement purgé).",
            ),
        },
        _ => problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette image n'est plus disponible (enregistrement purgé).",
        ),
    }
}

async fn attachment(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, asked) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !matches!(name.as_str(), "quote" | "programme" | "agreement") {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette pièce n'existe pas.",
        );
    }
    let Some(path) = asked
        .pointer(&format!("/attachments/{name}"))
        .and_then(Value::as_str)
    else {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette pièce n'existe pas.",
        );
    };
    match tokio::fs::read(path).await {
        Ok(bytes) if bytes.starts_with(b"%PDF") => {
            ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response()
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette pièce n'est plus lisible à l'endroit indiqué par la demande.",
        ),
    }
}

/// After a decision: back to the filing, or a clear page when it could not be applied.
async fn decided(
    state: &ReviewState,
    who: &Staff,
    id: JobId,
    result: Result<Option<JobId>, FilingActionError>,
) -> Response {
    match result {
        Ok(wake) => {
            if let Some(job) = wake
                && let Err(error) = state.runtime.wake(job, None).await
            {
                // The reaper re-sends wake-ups the queue did not take.
                tracing::warn!(%job, error = %error, "Cannot wake the job now; the reaper will");
            }
            Redirect::to(&format!("/review/filings/{id}")).into_response()
        }
        Err(FilingActionError::NotFound(_)) => problem(
            StatusCode::NOT_FOUND,
            Some(who),
            "Ce dossier n'existe pas (ou plus).",
        ),
        Err(FilingActionError::WrongState { state: s, .. }) => problem(
            StatusCode::CONFLICT,
            Some(who),
            &format!(
                "Le dossier a changé entre-temps (état : {}) : rien n'a été fait. Rouvrez-le.",
                s.label_fr()
            ),
        ),
        Err(FilingActionError::Store(error)) => {
            tracing::error!(error = %error, "Cannot record a staff decision");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(who),
                "La décision n'a pas pu être enregistrée. Réessayez dans un instant.",
            )
        }
    }
}

async fn posting(
    state: &ReviewState,
    headers: &HeaderMap,
    id: &str,
    csrf: &str,
) -> Result<(Staff, JobId), Response> {
    let who = staff_posting(state, headers, csrf).await?;
    let id = JobId::from_str(id).map_err(|_| {
        problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Ce dossier n'existe pas (ou plus).",
        )
    })?;
    Ok((who, id))
}

async fn confirm(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // What the portal kept decides, not what was typed: a mismatch is never confirmed.
    match state.store().filing(id).await {
        Ok(Some(filing)) if kept_mismatch(&filing) => {
            tracing::info!(login = %who.session.login, filing = %id, "Confirmation refused: the portal does not keep the asked values");
            return problem(
                StatusCode::CONFLICT,
                Some(&who),
                "Le portail ne conserve pas ce qui était demandé : ce dossier ne peut pas être confirmé. Corrigez-le ou refusez-le.",
            );
        }
        _ => {}
    }
    let result = state
        .store()
        .confirm_filing(
            id,
            &who.session.login,
            state.settings.submit_max_attempts.max(1),
        )
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff confirmed a filing");
    decided(&state, &who, id, result).await
}

#[derive(Deserialize)]
struct RefuseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn refuse(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<RefuseForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let reason = form.reason.trim();
    if reason.is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Donnez le motif du refus : il est transmis au système amont.",
        );
    }
    let result = state
        .store()
        .refuse_filing(id, &who.session.login, reason)
        .await
        .map(|()| None);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff refused a filing");
    decided(&state, &who, id, result).await
}

#[derive(Deserialize)]
struct CorrectForm {
    #[serde(default)]
    csrf: String,
    hours: String,
    cost: String,
    start: String,
    end: String,
}

/// Cents from an amount typed in French or English form (`1 800,50`, `1800.5`, `1800`).
fn euros_cents(text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac)
}

/// Applies the corrected values to the filing, or says in French what is wrong.
fn corrected(asked: &Value, form: &CorrectForm) -> Result<(Value, String), String> {
    let mut filing = asked.clone();
    let hours: u32 = form
        .hours
        .trim()
        .parse()
        .map_err(|_| format!("La durée « {} » n'est pas un nombre d'heures.", form.hours))?;
    let cost = euros_cents(&form.cost).ok_or_else(|| {
        format!(
            "Le coût « {} » n'est pas un montant en euros (par exemple 1800 ou 1 800,50).",
            form.cost
        )
    })?;
    for (value, what) in [(&form.start, "début"), (&form.end, "fin")] {
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map_err(|_| format!("La date de {what} « {value} » n'est pas une date."))?;
    }
    filing["action"]["hours"] = hours.into();
    filing["action"]["cost_ht"] = cost.into();
    filing["action"]["start"] = form.start.trim().into();
    filing["action"]["end"] = form.end.trim().into();
    let parsed: portals::Filing = serde_json::from_value(filing.clone())
        .map_err(|e| format!("La demande corrigée n'est pas valable : {e}."))?;
    parsed
        .validate()
        .map_err(|e| format!("La demande corrigée n'est pas valable : {e}."))?;
    let mut changes = Vec::new();
    for (path, label) in [
        ("/action/hours", "durée"),
        ("/action/cost_ht", "coût HT (centimes)"),
        ("/action/start", "début"),
        ("/action/end", "fin"),
    ] {
        let (before, after) = (asked.pointer(path), filing.pointer(path));
        if before != after {
            changes.push(format!(
                "{label} : {} → {}",
                before.map(ToString::to_string).unwrap_or_default(),
                after.map(ToString::to_string).unwrap_or_default()
            ));
        }
    }
    if changes.is_empty() {
        return Err("Aucune valeur n'a changé : rien à préremplir à nouveau.".into());
    }
    Ok((filing, changes.join(" ; ")))
}

async fn correct(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CorrectForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (_, asked) = match load(&state, &who, &id.to_string()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (filing, changes) = match corrected(&asked, &form) {
        Ok(x) => x,
        Err(message) => return problem(StatusCode::BAD_REQUEST, Some(&who), &message),
    };
    let result = state
        .store()
        .correct_filing(id, &who.session.login, filing, &changes)
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff corrected a filing");
    decided(&state, &who, id, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_french_and_english_forms() {
        assert_eq!(euros_cents("1800"), Some(180_000));
        assert_eq!(euros_cents("1 800,50 €"), Some(180_050));
        assert_eq!(euros_cents("1800.5"), Some(180_050));
        assert_eq!(euros_cents("12,345"), None);
        assert_eq!(euros_cents("-3"), None);
        assert_eq!(euros_cents(""), None);
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn code(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let code = form.code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return problem(
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Le code doit être recopié tel qu'il est reçu (chiffres ou lettres, sans espace).",
        );
    }
    let result = state
        .store()
        .answer_code(id, &who.session.login, code)
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff entered a portal code");
    decided(&state, &who, id, result).await
}

async fn job_code(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
    let who = match staff_posting(&state, &headers, csrf).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Ok(job_id) = JobId::from_str(&id) else {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette tâche n'existe pas.",
        );
    };
    let code = form
        .get(&format!("code-{id}"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return problem(
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Le code doit être recopié tel qu'il est reçu (chiffres ou lettres, sans espace).",
        );
    }
    match state
        .store()
        .answer_job_code(job_id, &who.session.login, &code)
        .await
    {
        Ok(true) => {
            if let Err(error) = state.runtime.wake(job_id, None).await {
                tracing::warn!(job = %job_id, error = %error, "Cannot wake the job now; the reaper will");
            }
            Redirect::to("/review").into_response()
        }
        Ok(false) => problem(
            StatusCode::CONFLICT,
            Some(&who),
            "Cette tâche n'attend plus de code : rien n'a été fait.",
        ),
        Err(error) => {
            tracing::error!(error = %error, "Cannot record a portal code");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&who),
                "Le code n'a pas pu être enregistré. Réessayez dans un instant.",
            )
        }
    }
}

async fn retry(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = state
        .store()
        .retry_filing(id, &who.session.login)
        .await
        .map(Some);
    decided(&state, &who, id, result).await
}
