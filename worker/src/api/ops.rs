//! Operations: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::settings::Scope;

/// Readiness, part by part.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Whether every part is ready.
    pub ready: bool,
    /// The durable store answers.
    pub store: Check,
    /// The queue answers.
    pub queue: Check,
    /// Live workers: this process's own when it runs workers, the fleet's otherwise.
    pub workers: Check,
}

/// One part's readiness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// Ready or not.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

/// The process is alive (no dependency is checked). Public.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready to work: store and queue reachable, workers alive. 503 otherwise, saying which part.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn readyz(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Scope::OpsRead)?;
    let rt = &state.runtime;
    // Each part answers within its bound, all at once: a dead dependency makes the answer red,
    // never slow.
    let (store, queue, workers) = tokio::join!(
        bounded(async {
            rt.store
                .ping()
                .await
                .map_err(|e| format!("unreachable: {e}"))?;
            Ok::<_, String>("reachable".to_owned())
        }),
        bounded(async {
            rt.queue
                .ping()
                .await
                .map_err(|e| format!("unreachable: {e}"))?;
            Ok::<_, String>("reachable".to_owned())
        }),
        bounded(workers_check(&state)),
    );
    let ready = store.ok && queue.ok && workers.ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((
        status,
        Json(Readiness {
            ready,
            store,
            queue,
            workers,
        }),
    )
        .into_response())
}

/// Longest a readiness check may take before it counts as failed.
const CHECK_BOUND: std::time::Duration = std::time::Duration::from_millis(1500);

async fn bounded(check: impl std::future::Future<Output = Result<String, String>>) -> Check {
    match tokio::time::timeout(CHECK_BOUND, check).await {
        Ok(Ok(detail)) => Check { ok: true, detail },
        Ok(Err(detail)) => Check { ok: false, detail },
        Err(_) => Check {
            ok: false,
            detail: format!("no answer within {} ms", CHECK_BOUND.as_millis()),
        },
    }
}

/// Live workers, from fresh beats only: a process that missed two beats counts as gone.
async fn workers_check(state: &AppState) -> Result<String, String> {
    let rt = &state.runtime;
    let window = rt.config.heartbeat.max(std::time::Duration::from_secs(1));
    if state.runs_workers {
        let age_ms = jobs::now_ms() - rt.last_worker_beat_ms();
        if rt.last_worker_beat_ms() > 0
            && age_ms <= i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
        {
            Ok(format!("this process's workers beat {age_ms} ms ago"))
        } else {
            Err("this process's workers are not running".to_owned())
        }
    } else {
        match rt.store.live_workers(window).await {
            Ok(ids) if !ids.is_empty() => Ok(format!("{} live worker process(es)", ids.len())),
            Ok(_) => Err("no live worker in the fleet".to_owned()),
            Err(e) => Err(format!("cannot read workers: {e}")),
        }
    }
}

/// Prometheus metrics of this process.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn metrics(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Scope::OpsRead)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.runtime.metrics.render(),
    )
        .into_response())
}
