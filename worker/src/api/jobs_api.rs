//! `/v1/jobs`: submit, follow, list and cancel jobs.

use std::str::FromStr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::JobId;
use jobs::{
    CancelOutcome, FieldError, Inserted, Job, JobEvent, JobKind, JobState, ListFilter, NewJob,
    WebhookDelivery,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::settings::Scope;

/// The body of `POST /v1/jobs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateJob {
    /// One of: prefill_filing, submit_filing, poll_status, check_identity_document, render_documents, probe.
    #[schema(example = "probe")]
    pub kind: String,
    /// The kind's input (see each kind in the README).
    #[schema(value_type = Object)]
    pub input: Value,
    /// Attempts allowed for retryable failures (default from configuration, 1 to 20).
    pub max_attempts: Option<u32>,
}

/// A job with its history and webhook deliveries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// The job.
    #[serde(flatten)]
    pub job: Job,
    /// Every state change, oldest first.
    pub history: Vec<JobEvent>,
    /// Webhook deliveries of its state changes.
    pub webhooks: Vec<WebhookDelivery>,
}

/// A page of jobs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobPage {
    /// Newest first.
    pub jobs: Vec<Job>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// Filters of `GET /v1/jobs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only jobs in this state.
    pub state: Option<String>,
    /// Only jobs of this kind.
    pub kind: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const MAX_KEY_LEN: usize = 200;

fn known_kinds() -> String {
    JobKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn view(state: &AppState, job: Job) -> Result<JobView, ApiError> {
    let history = state.runtime.store.events(job.id).await?;
    let webhooks = state.runtime.store.deliveries(job.id).await?;
    Ok(JobView {
        job,
        history,
        webhooks,
    })
}

fn parse_job_id(id: &str) -> Result<JobId, ApiError> {
    JobId::from_str(id).map_err(|e| ApiError::invalid(vec![FieldError::new("id", e.to_string())]))
}

/// Submit a job.
#[utoipa::path(
    post, path = "/v1/jobs", tag = "jobs",
    request_body = CreateJob,
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key and body: the same job again (200). Same key, other body: 409.")),
    responses(
        (status = 201, description = "Accepted", body = JobView),
        (status = 200, description = "Already accepted with this idempotency key", body = JobView),
        (status = 400, description = "Invalid input, with a reason per field", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Token without jobs:write", body = ErrorBody),
        (status = 409, description = "Idempotency key reused with another body", body = ErrorBody),
        (status = 422, description = "Kind not available yet", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')).ok_or_else(|| {
                ApiError::invalid(vec![FieldError::new(
                    "Idempotency-Key",
                    format!("la clé doit faire de 1 à {MAX_KEY_LEN} caractères ASCII imprimables (un UUID convient)"),
                )])
            })?;
            Some(key.to_owned())
        }
    };
    let mut request: CreateJob = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(vec![FieldError::new(
            "body",
            format!(
                "le corps doit être un objet JSON {{\"kind\": …, \"input\": {{…}}}} ({})",
                crate::handlers::serde_reason_fr(&e)
            ),
        )])
    })?;
    let kind = JobKind::from_str(&request.kind).map_err(|_| {
        ApiError::invalid(vec![FieldError::new(
            "kind",
            format!("type de tâche inconnu ; types connus : {}", known_kinds()),
        )])
    })?;
    let Some(handler) = state.runtime.registry.get(kind) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind_not_available",
            format!(
                "Les tâches « {kind} » ne sont pas encore disponibles sur ce service : rien n'a été enregistré."
            ),
        ));
    };
    let mut problems = Vec::new();
    if !request.input.is_object() {
        problems.push(FieldError::new("input", "un objet JSON est attendu"));
    } else {
        if kind == JobKind::PrefillFiling {
            let data_dir = state
                .files_root
                .parent()
                .unwrap_or(state.files_root.as_path());
            if let Err(fields) = super::attachments::resolve(
                &state.runtime.store,
                data_dir,
                &state.files_root,
                &mut request.input,
            )
            .await
            {
                problems.extend(fields);
            }
        }
        if problems.is_empty() {
            // Checks may read files (attachments): off the async runtime.
            let handler = std::sync::Arc::clone(handler);
            let input = request.input.clone();
            match tokio::task::spawn_blocking(move || handler.validate(&input)).await {
                Ok(Ok(())) => {}
                Ok(Err(fields)) => problems.extend(fields),
                Err(_) => problems.push(FieldError::new(
                    "input",
                    "la vérification de l'entrée a échoué : réessayez",
                )),
            }
        }
    }
    let max_attempts = request.max_attempts.unwrap_or(state.default_max_attempts);
    if !(1..=20).contains(&max_attempts) {
        problems.push(FieldError::new("max_attempts", "entre 1 et 20"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    // serde_json maps keep keys sorted, so the same body hashes the same whatever its key order.
    let canonical = serde_json::json!({ "kind": kind, "input": request.input, "max_attempts": request.max_attempts });
    let request_hash = hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
    let new = NewJob {
        kind,
        input: request.input,
        max_attempts,
        principal: caller.name.clone(),
        idempotency_key,
        request_hash,
    };
    match state.runtime.store.insert_job(new).await? {
        Inserted::Existing(job) => {
            Ok((StatusCode::OK, Json(view(&state, job).await?)).into_response())
        }
        Inserted::Created(job) => {
            state.runtime.metrics.job_enqueued(kind);
            tracing::info!(job_id = %job.id, %kind, caller = %caller.name, "Job accepted");
            if let Err(error) = state.runtime.wake(job.id, None).await {
                // Accepted all the same: the job is in the store and the reaper will wake it.
                tracing::warn!(job_id = %job.id, %error, "Cannot push the wake-up; the reaper will");
            }
            let id = job.id;
            let job = state
                .runtime
                .store
                .get(id)
                .await?
                .ok_or_else(ApiError::job_not_found)?;
            let mut response =
                (StatusCode::CREATED, Json(view(&state, job).await?)).into_response();
            if let Ok(location) = format!("/v1/jobs/{id}").parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::LOCATION, location);
            }
            Ok(response)
        }
    }
}

/// One job, with its history and webhook deliveries.
#[utoipa::path(
    get, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, body = JobView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let id = parse_job_id(&id)?;
    let job = state
        .runtime
        .store
        .get(id)
        .await?
        .ok_or_else(ApiError::job_not_found)?;
    Ok(Json(view(&state, job).await?))
}

fn parse_filter(q: &ListQuery) -> Result<ListFilter, ApiError> {
    let mut problems = Vec::new();
    let state = q
        .state
        .as_deref()
        .map(JobState::from_str)
        .transpose()
        .unwrap_or_else(|_| {
            let known: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            problems.push(FieldError::new(
                "state",
                format!("état inconnu ; états connus : {}", known.join(", ")),
            ));
            None
        });
    let kind = q
        .kind
        .as_deref()
        .map(JobKind::from_str)
        .transpose()
        .unwrap_or_else(|_| {
            problems.push(FieldError::new(
                "kind",
                format!("type inconnu ; types connus : {}", known_kinds()),
            ));
            None
        });
    let before = q
        .cursor
        .as_deref()
        .map(JobId::from_str)
        .transpose()
        .unwrap_or_else(|_| {
            problems.push(FieldError::new(
                "cursor",
                "curseur invalide : reprenez `next_cursor` de la page précédente",
            ));
            None
        });
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        problems.push(FieldError::new("limit", "entre 1 et 500"));
    }
    if problems.is_empty() {
        Ok(ListFilter {
            state,
            kind,
            before,
            limit,
        })
    } else {
        Err(ApiError::invalid(problems))
    }
}

async fn page(state: &AppState, filter: ListFilter) -> Result<JobPage, ApiError> {
    let jobs = state.runtime.store.list(&filter).await?;
    let next_cursor = (jobs.len() == filter.limit as usize)
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(JobPage { jobs, next_cursor })
}

/// Jobs, newest first, filtered by state and kind.
#[utoipa::path(
    get, path = "/v1/jobs", tag = "jobs",
    params(ListQuery),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobPage>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let filter = parse_filter(&q)?;
    Ok(Json(page(&state, filter).await?))
}

/// The dead-letter list: jobs that failed for good, newest first.
#[utoipa::path(
    get, path = "/v1/dead-letters", tag = "jobs",
    params(ListQuery),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<JobPage>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let filter = ListFilter {
        state: Some(JobState::Failed),
        ..parse_filter(&ListQuery { state: None, ..q })?
    };
    Ok(Json(page(&state, filter).await?))
}

/// Cancel a job: at once if it waits, at its next safe point if it runs.
#[utoipa::path(
    post, path = "/v1/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Cancelled", body = JobView),
        (status = 202, description = "Running: it stops at its next safe point", body = JobView),
        (status = 409, description = "Already ended", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let id = parse_job_id(&id)?;
    match state.runtime.store.request_cancel(id).await? {
        CancelOutcome::Cancelled(job) => {
            Ok((StatusCode::OK, Json(view(&state, job).await?)).into_response())
        }
        CancelOutcome::Requested(job) => {
            Ok((StatusCode::ACCEPTED, Json(view(&state, job).await?)).into_response())
        }
        CancelOutcome::AlreadyFinal(job) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_finished",
            format!(
                "La tâche est déjà terminée (état « {} ») : il n'y a rien à annuler.",
                job.state
            ),
        )),
    }
}

/// A file a job produced (a PDF, the DPC pack), as listed in its result.
#[utoipa::path(
    get, path = "/v1/jobs/{id}/files/{name}", tag = "jobs",
    params(("id" = String, Path, description = "Job id"), ("name" = String, Path, description = "File name from the job's result")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn job_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Scope::JobsRead)?;
    let id = parse_job_id(&id)?;
    let safe = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !safe {
        return Err(ApiError::invalid(vec![FieldError::new(
            "name",
            "nom de fichier invalide : reprenez-le du résultat de la tâche",
        )]));
    }
    let path = crate::handlers::documents::files_dir(&state.files_root, id).join(&name);
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "file_not_found",
            "Cette tâche n'a pas produit ce fichier.",
        )
    })?;
    let content_type = match name.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}
