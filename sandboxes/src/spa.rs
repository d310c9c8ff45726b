//! The single-page-app front end: the app (one static script) and the JSON API it calls under
//! `/api/`, on the portals whose [`Stack`](crate::spec::Stack) is `Spa`.
//!
//! Everything the API does goes through the same state logic as the HTML pages (`app.rs`: a
//! step's validation, uploads, drafts, transmit, the failure, layout and read-back switches;
//! `html.rs`: the fields a step shows, the summary's lines, the list's rows), so that the two
//! front ends cannot drift apart. The login stays server-rendered; a 401 from the API sends the
//! app's whole page to it.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::agreement::{Agreed, NotDone};
use crate::app::{NoAccount, NotFiled, NotSaved, Saved, Shared, account_of, read_step_form};
use crate::html;
use crate::spec::{Markup, PortalSpec, Routing};

type Sh = AxState<Arc<Shared>>;

/// The app, served as a static asset.
const APP_JS: &str = include_str!("spa/portail.js");

/// The providers the sandboxes' "registry" knows, searched by the provider autocomplete.
/// Invented: no public list was copied. Several share a SIREN, so that typing a prefix offers
/// more than one and only the exact SIRET picks one.
const PROVIDERS: &[(&str, &str)] = &[
    ("Haguenau Formation", "55208131766522"),
    ("Haguenau Formation — antenne de Colmar", "55208131700034"),
    ("Haguenau Conseil et Bilans", "55208131700042"),
    ("Bilans et Parcours Rhin", "41812345600011"),
    ("Cap Compétences Alsace", "73282932000082"),
    ("Acme Formation", "73282932000074"),
];

/// The provider with this SIRET (spaces ignored), if the registry knows it.
pub(crate) fn provider(siret: &str) -> Option<(&'static str, &'static str)> {
    let digits: String = siret.chars().filter(|c| !c.is_whitespace()).collect();
    PROVIDERS.iter().copied().find(|(_, s)| *s == digits)
}

/// An API error the app shows in a toast.
pub(crate) fn api_error(code: StatusCode, title: &str) -> Response {
    (
        code,
        Json(json!({
            "error": title,
            "message": "Le service n'a pas pu traiter votre demande. Réessayez dans quelques instants.",
        })),
    )
        .into_response()
}

fn unauthorized(spec: &PortalSpec, e: NoAccount) -> Response {
    let login = match e {
        NoAccount::Expired => format!("{}?motif=expiree", spec.login_path),
        NoAccount::Unverified => format!("{}/verification", spec.login_path),
        NoAccount::NoSite => spec
            .site_picker
            .map_or_else(|| spec.login_path.to_owned(), |p| p.path.to_owned()),
    };
    (StatusCode::UNAUTHORIZED, Json(json!({ "login": login }))).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "Page introuvable", "message": "Cette demande n'existe pas." })),
    )
        .into_response()
}

/// The routes of the app and its API; none on a server-rendered portal.
pub(crate) fn routes(spec: &'static PortalSpec) -> Router<Arc<Shared>> {
    if spec.spa().is_none() {
        return Router::new();
    }
    Router::new()
        .route("/static/portail.js", get(app_js))
        .route("/api/demandes", get(api_list).post(api_new))
        .route(
            "/api/demandes/{id}/etapes/{n}",
            get(api_step).post(api_save_step),
        )
        .route("/api/demandes/{id}/recapitulatif", get(api_recap))
        .route("/api/demandes/{id}/brouillon", post(api_draft))
        .route("/api/demandes/{id}/transmettre", post(api_transmit))
        .route("/api/demandes/{id}/accord", post(api_agree))
        .route("/api/organismes", get(api_providers))
        .route("/api/session/prolonger", post(api_keep_alive))
        .route("/api/salaries", post(api_new_employee))
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

fn markup_name(m: Markup) -> &'static str {
    match m {
        Markup::ForLabel => "for",
        Markup::Wrapping => "wrap",
        Markup::LabelledBy => "labelledby",
    }
}

/// The page of the app: the portal's chrome, the app's mount point, its wording as JSON, and the
/// server-rendered `page` inside `<noscript>` for a browser without JavaScript.
pub(crate) fn shell(spec: &PortalSpec, page: &str) -> String {
    let Some(o) = spec.spa() else {
        return page.to_owned();
    };
    let h = &spec.headers;
    let config = json!({
        "opco": spec.opco.slug(),
        "brand": spec.brand,
        "space": spec.space,
        "home": spec.home_path,
        "login": spec.login_path,
        "routing": if o.routing == Routing::Hash { "hash" } else { "history" },
        "webComponents": o.web_components,
        "comboboxes": o.custom_comboboxes,
        "maskedDates": o.masked_dates,
        "providerAutocomplete": o.provider_autocomplete,
        "sessionWarning": [o.session_warning.0, o.session_warning.1],
        "lightning": o.lightning,
        "firstStepDialog": o.first_step_dialog,
        "markup": markup_name(spec.markup),
        "changedMarkup": markup_name(spec.changed_markup),
        "css": format!("{}{SPA_CSS}", spec.css),
        "texts": {
            "listTitle": spec.list_title,
            "newButton": spec.new_button,
            "headers": [h.reference, h.trainee, h.action, h.start, h.status, h.amount, h.comment],
            "nextButton": spec.next_button,
            "draftButton": spec.draft_button,
            "recapTitle": spec.recap_title,
            "submitButton": spec.submit_button,
            "submittedMessage": spec.submitted_message,
            "statusHeader": h.status,
            "errorTitle": spec.error_title,
        },
    });
    let config = config.to_string().replace("</", "<\\/");
    let body = page
        .split_once("<body>")
        .and_then(|(_, rest)| rest.rsplit_once("</body>"))
        .map(|(b, _)| b)
        .unwrap_or("");
    // The portal's own chrome, as its style sheet expects it.
    let (top, main) = match spec.markup {
        Markup::ForLabel => ("<header role=\"banner\">", "<div>"),
        Markup::Wrapping => ("<div class=\"akto-top\">", "<div class=\"akto-card\">"),
        Markup::LabelledBy => ("<div id=\"bandeau\">", "<div id=\"contenu\">"),
    };
    let top_end = if spec.markup == Markup::ForLabel {
        "</header>"
    } else {
        "</div>"
    };
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{space}</title><style>{css}{SPA_CSS}</style></head><body>{top}<strong>{brand}</strong> — {space} <form method=\"post\" action=\"/deconnexion\" style=\"display:inline\"><button type=\"submit\">Déconnexion</button></form>{top_end}{main}<main id=\"app\" aria-busy=\"true\"></main></div><div id=\"toasts\" class=\"toasts\"></div><noscript>{body}</noscript><script id=\"portal-config\" type=\"application/json\">{config}</script><script src=\"/static/portail.js\"></script></body></html>",
        space = html::esc(spec.space),
        brand = html::esc(spec.brand),
        css = spec.css,
    )
}

/// What the app adds to the portal's own style: toasts, the spinner, overlays, the dialog.
const SPA_CSS: &str = ".toasts{position:fixed;top:12px;right:12px;z-index:70;max-width:420px}.toast{background:#b00020;color:#fff;padding:10px 14px;margin:6px 0;border-radius:4px}.spinner{position:fixed;top:0;left:0;right:0;background:#333;color:#fff;padding:4px;text-align:center;z-index:40}.overlay-pane{position:absolute;z-index:30;background:#fff;border:1px solid #888;min-width:220px;list-style:none;margin:0;padding:0}.overlay-pane [role=option]{padding:4px 10px;cursor:pointer}.overlay-backdrop{position:fixed;inset:0;z-index:29;background:transparent}.combo{display:inline-block;min-width:220px;min-height:1.4em;border:1px solid #888;padding:3px 6px;cursor:pointer;background:#fff}.combo span:empty::before{content:attr(data-placeholder);color:#777}.modal-backdrop{position:fixed;inset:0;z-index:60;background:rgba(0,0,0,.5);overflow:auto}.modal{background:#fff;max-width:420px;margin:120px auto;padding:20px;border-radius:6px}.modal.wide{max-width:760px;margin:40px auto}.row{margin:8px 0;position:relative}.slds-dropdown{position:absolute;left:0;top:100%;z-index:35;background:#fff;border:1px solid #888;min-width:260px}.slds-dropdown [role=option]{padding:4px 10px;cursor:pointer}";

async fn api_list(sh: Sh, headers: HeaderMap) -> Response {
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(sh.spec, e),
    };
    let mine = sh.requests_of(&email);
    let mine: Vec<_> = mine.iter().collect();
    Json(json!({ "rows": html::list_rows(sh.spec, &mine, true) })).into_response()
}

async fn api_new(sh: Sh, headers: HeaderMap) -> Response {
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(sh.spec, e),
    };
    let id = sh.new_request(email, crate::app::site_of(&sh, &headers));
    (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
}

async fn api_step(sh: Sh, headers: HeaderMap, Path((id, n)): Path<(u32, usize)>) -> Response {
    let spec = sh.spec;
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(spec, e),
    };
    let Some(r) = sh.request_of(&email, id) else {
        return not_found();
    };
    if r.dossier.is_some() {
        return Json(json!({ "filed": true })).into_response();
    }
    if n == 0 || n > spec.steps.len() {
        return not_found();
    }
    let faults = {
        let mut f = sh.faults();
        let now = f.clone();
        if f.session_warning_at_step == Some(n) {
            f.session_warning_at_step = None;
        }
        now
    };
    let warning = faults.session_warning_at_step == Some(n);
    if warning && let Some((sid, _)) = crate::app::session(&sh, &headers) {
        let mut st = sh.state();
        st.warned.insert(sid);
        sh.save(&st);
    }
    let fields: Vec<_> = html::step_view(spec, &faults, &r, n - 1)
        .into_iter()
        .map(|(field, mut view)| {
            let mut extra = None;
            if let crate::spec::Kind::Employee(choice) = field.kind {
                let st = sh.state();
                view.options = crate::employees::of_account(choice, &st.employees, &email)
                    .into_iter()
                    .map(|e| (e.id.clone(), e.text()))
                    .collect();
                extra = Some(employee_dialog(choice));
            }
            let mut v = json!(view);
            if let Some(dialog) = extra {
                v["create"] = dialog;
            }
            v
        })
        .collect();
    Json(json!({
        "step": n,
        "steps": spec.steps.len(),
        "title": spec.steps[n - 1].title,
        "layout": faults.layout,
        "fields": fields,
        "warning": warning,
    }))
    .into_response()
}

async fn api_save_step(
    sh: Sh,
    headers: HeaderMap,
    Path((id, n)): Path<(u32, usize)>,
    multipart: Multipart,
) -> Response {
    let spec = sh.spec;
    let Ok(input) = read_step_form(spec, multipart).await else {
        return api_error(StatusCode::BAD_REQUEST, spec.error_title);
    };
    match sh.save_step(&headers, id, n, input) {
        Ok(Saved::Draft) => Json(json!({ "next": "liste", "flash": spec.draft_saved })),
        Ok(Saved::Step(k) | Saved::Kept(k)) => Json(json!({ "next": "etape", "step": k })),
        Ok(Saved::Summary) | Err(NotSaved::Filed) => Json(json!({ "next": "recapitulatif" })),
        Err(NotSaved::NoAccount(e)) => return unauthorized(spec, e),
        Err(NotSaved::Failed) => {
            return api_error(StatusCode::INTERNAL_SERVER_ERROR, spec.error_title);
        }
        Err(NotSaved::NotFound) => return not_found(),
        Err(NotSaved::Invalid { errors, .. }) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "errors": errors })),
            )
                .into_response();
        }
    }
    .into_response()
}

async fn api_recap(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(sh.spec, e),
    };
    let faults = sh.faults().clone();
    let Some(r) = sh.request_of(&email, id) else {
        return not_found();
    };
    let action = crate::agreement::awaited(sh.spec, &r).map(|(sc, comment)| {
        json!({
            "button": sc.button,
            "comment": comment,
            "dialogTitle": sc.dialog_title,
            "attestation": sc.attestation,
            "validate": sc.validate,
        })
    });
    Json(json!({
        "items": html::summary_items(sh.spec, &faults, &r),
        "dossier": r.dossier,
        "status": r.status.label(sh.spec),
        "action": action,
        "message": crate::agreement::done_message(sh.spec, &r),
    }))
    .into_response()
}

/// The employer's action after the agreement, from its dialog (`attestation` set when the box
/// is ticked): the outcome and the new status, or 422 with why it was refused. Under the
/// `agreement_ack_hidden` switch, only that the request is being processed (`status` null).
async fn api_agree(
    sh: Sh,
    headers: HeaderMap,
    Path(id): Path<u32>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let spec = sh.spec;
    let mut attested = false;
    if let Ok(mut multipart) = multipart {
        while let Ok(Some(part)) = multipart.next_field().await {
            let named = part.name() == Some("attestation");
            let Ok(value) = part.text().await else {
                return api_error(StatusCode::BAD_REQUEST, spec.error_title);
            };
            attested |= named && !value.is_empty();
        }
    }
    match sh.agree(&headers, id, attested) {
        Ok(Agreed {
            request,
            shown: true,
        }) => Json(json!({
            "message": crate::agreement::done_message(spec, &request),
            "status": request.status.label(spec),
        }))
        .into_response(),
        Ok(Agreed { shown: false, .. }) => Json(json!({
            "message": crate::agreement::PENDING,
            "status": null,
        }))
        .into_response(),
        Err(NotDone::NoAccount(e)) => unauthorized(spec, e),
        Err(NotDone::NotFound) => not_found(),
        Err(NotDone::Refused { refusal, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "errors": [refusal.message()] })),
        )
            .into_response(),
    }
}

async fn api_draft(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(sh.spec, e),
    };
    if sh.request_of(&email, id).is_none() {
        return not_found();
    }
    Json(json!({ "flash": sh.spec.draft_saved })).into_response()
}

async fn api_transmit(sh: Sh, headers: HeaderMap, Path(id): Path<u32>) -> Response {
    let spec = sh.spec;
    match sh.transmit(&headers, id) {
        Ok(dossier) => Json(json!({ "dossier": dossier })).into_response(),
        Err(NotFiled::NoAccount(e)) => unauthorized(spec, e),
        Err(NotFiled::NotFound) => not_found(),
        Err(NotFiled::Missing { step, message, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "step": step + 1, "errors": [message] })),
        )
            .into_response(),
        Err(NotFiled::Unreadable) => api_error(StatusCode::INTERNAL_SERVER_ERROR, spec.error_title),
    }
}

#[derive(Deserialize)]
struct ProviderQuery {
    #[serde(default)]
    q: String,
}

/// Providers whose SIRET starts with the digits typed, or whose name holds the text typed.
async fn api_providers(sh: Sh, headers: HeaderMap, Query(q): Query<ProviderQuery>) -> Response {
    if let Err(e) = account_of(&sh, &headers) {
        return unauthorized(sh.spec, e);
    }
    let typed: String = q.q.chars().filter(|c| !c.is_whitespace()).collect();
    let found: Vec<_> = if typed.chars().count() < 3 {
        Vec::new()
    } else if typed.chars().all(|c| c.is_ascii_digit()) {
        PROVIDERS
            .iter()
            .filter(|(_, s)| s.starts_with(&typed))
            .collect()
    } else {
        let t = q.q.trim().to_lowercase();
        PROVIDERS
            .iter()
            .filter(|(n, _)| n.to_lowercase().contains(&t))
            .collect()
    };
    let suggestions: Vec<_> = found
        .into_iter()
        .map(|(name, siret)| json!({ "name": name, "siret": siret }))
        .collect();
    Json(json!({ "suggestions": suggestions })).into_response()
}

/// The button of the "session about to expire" dialog.
async fn api_keep_alive(sh: Sh, headers: HeaderMap) -> Response {
    let Some((sid, _)) = crate::app::session(&sh, &headers) else {
        return unauthorized(sh.spec, NoAccount::Expired);
    };
    let mut st = sh.state();
    st.warned.remove(&sid);
    sh.save(&st);
    Json(json!({ "kept": true })).into_response()
}

/// What the app needs to show the "create an employee" dialog of a field.
fn employee_dialog(c: &crate::spec::EmployeeChoice) -> serde_json::Value {
    let [last, first, birth, job, contract] = c.labels;
    let text = |key: &str, label: &str, kind: &str| json!({ "key": key, "label": label, "kind": kind, "required": true, "value": "", "options": [] });
    json!({
        "button": c.create_button,
        "title": c.dialog_title,
        "save": c.save_button,
        "fields": [
            text("last_name", last, "text"),
            text("first_names", first, "text"),
            text("birth_date", birth, "date_fr"),
            text("job", job, "text"),
            { "key": "contract", "label": contract, "kind": "select", "required": true, "value": "", "options": c.contracts },
        ],
    })
}

/// The "create an employee" dialog's save: the employee joins the account's list (422 with the
/// portal's messages when a field is wrong or the employee exists).
async fn api_new_employee(sh: Sh, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let spec = sh.spec;
    let email = match account_of(&sh, &headers) {
        Ok(e) => e,
        Err(e) => return unauthorized(spec, e),
    };
    let Some(choice) = spec
        .steps
        .iter()
        .flat_map(|s| s.fields.iter())
        .find_map(|f| match f.kind {
            crate::spec::Kind::Employee(c) => Some(c),
            _ => None,
        })
    else {
        return not_found();
    };
    let mut form = serde_json::Map::new();
    while let Ok(Some(part)) = multipart.next_field().await {
        let name = part.name().unwrap_or_default().to_owned();
        let Ok(value) = part.text().await else {
            return api_error(StatusCode::BAD_REQUEST, spec.error_title);
        };
        form.insert(name, serde_json::Value::String(value));
    }
    let new: crate::employees::NewEmployee =
        serde_json::from_value(serde_json::Value::Object(form)).unwrap_or_default();
    let mut st = sh.state();
    let res = crate::employees::create(choice, &mut st.employees, &email, new);
    if res.is_ok() {
        sh.save(&st);
    }
    drop(st);
    match res {
        Ok(e) => (
            StatusCode::CREATED,
            Json(json!({ "id": e.id, "text": e.text() })),
        )
            .into_response(),
        Err(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "errors": errors })),
        )
            .into_response(),
    }
}
