//! The HTTP API (axum). `router(state)` is apart from serving so tests can call it directly; the
//! OpenAPI document is generated from the handlers' own annotations, so it cannot drift from them.

mod accounts_api;
mod attachments;
mod auth;
pub mod error;
mod filings_api;
mod jobs_api;
mod ops;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use auth::Caller;
pub use auth::KnownToken;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Store, queue, handlers, metrics.
    pub runtime: Arc<jobs::Runtime>,
    /// Configured tokens.
    pub tokens: Arc<Vec<KnownToken>>,
    /// Whether this process runs workers (readiness then checks its own).
    pub runs_workers: bool,
    /// Attempts for a job that does not say.
    pub default_max_attempts: u32,
    /// The generated OpenAPI document, serialised once.
    pub openapi: Arc<serde_json::Value>,
    /// Where jobs keep their files (`<data_dir>/jobs`).
    pub files_root: std::path::PathBuf,
    /// Client portal logins, encrypted.
    pub vault: crate::vault::Vault,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "MonOPCO Fleet API", description = "Jobs for OPCO funding requests, identity checks and documents."),
    modifiers(&BearerAuth),
    components(schemas(
        documents::Action,
        ocr::Verdict,
        ocr::ExpectedName,
        crate::handlers::identity::IdentityInput,
        crate::handlers::identity::DocumentInput,
    )),
    tags((name = "jobs", description = "Submit and follow jobs"), (name = "operations", description = "Health, readiness, metrics"), (name = "portal-accounts", description = "Client logins on OPCO portals (write-only)"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The routes and the OpenAPI document generated from them.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(jobs_api::create_job, jobs_api::list_jobs))
        .routes(routes!(jobs_api::get_job))
        .routes(routes!(jobs_api::cancel_job))
        .routes(routes!(jobs_api::job_file))
        .routes(routes!(jobs_api::dead_letters))
        .routes(routes!(filings_api::get_filing))
        .routes(routes!(
            accounts_api::put_account,
            accounts_api::delete_account
        ))
        .routes(routes!(accounts_api::list_accounts))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts()
}

/// The OpenAPI document alone (for `monopco openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The OpenAPI document. Any valid token may read it.
async fn openapi_json(State(state): State<AppState>, _caller: Caller) -> impl IntoResponse {
    Json(Arc::clone(&state.openapi))
}

/// The whole router, ready to serve.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let (api, _) = routes();
    api.route("/v1/openapi.json", axum::routing::get(openapi_json))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
