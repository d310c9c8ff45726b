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
    let store = match rt.store.ping().await {
        Ok(()) => Check {
            ok: true,
            detail: "reachable".to_owned(),
        },
        Err(e) => Check {
            ok: false,
            detail: format!("unreachable: {e}"),
        },
    };
    let queue = match rt.queue.ping().await {
        Ok(()) => Check {
            ok: true,
            detail: "reachable".to_owned(),
        },
        Err(e) => Check {
            ok: false,
            detail: format!("unreachable: {e}"),
        },
    };
    let window = rt.config.heartbeat * 3;
    let workers = if state.runs_workers {
        let age_ms = jobs::now_ms() - rt.last_worker_beat_ms();
        if rt.last_worker_beat_ms() > 0
            && age_ms <= i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
        {
            Check {
                ok: true,
                detail: format!("this process's workers beat {age_ms} ms ago"),
            }
        } else {
            Check {
                ok: false,
                detail: "this process's workers are not running".to_owned(),
            }
        }
    } else {
        match rt.store.live_workers(window).await {
            Ok(ids) if !ids.is_empty() => Check {
                ok: true,
                detail: format!("{} live worker process(es)", ids.len()),
            },
            Ok(_) => Check {
                ok: false,
                detail: "no live worker in the fleet".to_owned(),
            },
            Err(e) => Check {
                ok: false,
                detail: format!("cannot read workers: {e}"),
            },
        }
    };
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
