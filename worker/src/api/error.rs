//! API errors: a status, a stable code, a French message that says what to do, and, for bad
//! input, one reason per field. Internals never leak: a store error is logged whole and answered
//! with a generic 503.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jobs::FieldError;
use serde::Serialize;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case.
    pub code: &'static str,
    /// For people, in French: what is wrong and what to do.
    pub message: String,
    /// For invalid input: one entry per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// An error the API answers with.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
}

impl ApiError {
    /// Any status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// 400 with field reasons.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_input",
            message: "La requête contient des champs invalides : voir `fields`.".to_owned(),
            fields,
        }
    }

    /// 404 for a job.
    pub fn job_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "job_not_found",
            "Aucune tâche ne porte cet identifiant.",
        )
    }

    /// 503 for a store or queue failure; the cause goes to the log, not to the caller.
    pub fn unavailable(error: &dyn std::error::Error) -> Self {
        tracing::error!(error = %error, "Store or queue unavailable while answering a request");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "Le service est momentanément indisponible ; réessayez dans quelques secondes.",
        )
    }
}

impl From<jobs::StoreError> for ApiError {
    fn from(e: jobs::StoreError) -> Self {
        match e {
            jobs::StoreError::NotFound(_) => Self::job_not_found(),
            jobs::StoreError::IdempotencyConflict => Self::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Cette clé Idempotency-Key a déjà servi pour une requête différente : utilisez une nouvelle clé.",
            ),
            other => Self::unavailable(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
