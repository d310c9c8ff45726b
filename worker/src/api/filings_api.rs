//! Filings for the upstream system: where a funding request stands, with its history.

use std::str::FromStr;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::JobId;
use filings::{Filing, FilingEvent, FilingStore};
use jobs::FieldError;
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::settings::Scope;

/// A filing and its history (which is also the staff audit trail).
#[derive(Serialize, utoipa::ToSchema)]
pub struct FilingView {
    /// The filing.
    #[serde(flatten)]
    pub filing: Filing,
    /// What happened to it, oldest first.
    pub events: Vec<FilingEvent>,
}

/// One filing (its id is the id of the `prefill_filing` job that created it).
#[utoipa::path(
    get, path = "/v1/filings/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The prefill_filing job's id")),
    responses(
        (status = 200, body = FilingView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_filing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FilingView>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let id = JobId::from_str(&id)
        .map_err(|e| ApiError::invalid(vec![FieldError::new("id", e.to_string())]))?;
    let store = &state.runtime.store;
    let filing = store.filing(id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "filing_not_found",
            "Aucun dossier ne porte cet identifiant (c'est celui de la tâche prefill_filing).",
        )
    })?;
    let events = store.filing_events(id).await?;
    Ok(Json(FilingView { filing, events }))
}
