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
        tracing::warn!(error = %error, "Store or queue unavailable while answering a request");
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

/// Gives the JSON error shape to the client errors axum answers by itself in plain text (a body
/// over the size limit, a bad query string, a wrong content type), so callers parse one shape.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&body).trim().to_owned();
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "Le corps de la requête dépasse la taille permise : envoyez des pièces plus petites (10 Mo au plus chacune)."
                .to_owned(),
        ),
        StatusCode::NOT_FOUND => (
            "not_found",
            "Cette adresse n'existe pas dans l'API : voir /v1/openapi.json.".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Cette méthode HTTP n'est pas acceptée à cette adresse : voir /v1/openapi.json."
                .to_owned(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Envoyez le corps en JSON (Content-Type: application/json).".to_owned(),
        ),
        // axum's own wording is English: it goes to the log, the caller reads ours.
        _ => {
            tracing::debug!(%status, %detail, "Request refused by the router");
            (
                "invalid_request",
                "La requête est invalide (adresse, paramètres ou en-têtes) : voir /v1/openapi.json."
                    .to_owned(),
            )
        }
    };
    ApiError::new(status, code, message).into_response()
}
