//! The posts staff make on a filing's page. Each is one store transaction moving the job and
//! the filing together; a decision on a filing that changed meanwhile is refused, never applied
//! twice, and a store failure says that nothing was recorded.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::{Form, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::JobId;
use filings::{FilingActionError, FilingStore};

use super::detail::load;
use super::forms::{CodeForm, CorrectForm, CsrfForm, RefuseForm, portal_code};
use super::{ReviewState, Staff, not_found, posting, problem, staff_posting, unavailable, view};

/// After a decision: back to the filing, or a clear page when it could not be applied.
pub(super) async fn decided(
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
        Err(FilingActionError::NotFound(_)) => not_found(who),
        Err(FilingActionError::WrongState { state: s, .. }) => problem(
            StatusCode::CONFLICT,
            Some(who),
            &format!(
                "Le dossier a changé entre-temps (état : {}) : rien n'a été fait. Rouvrez-le.",
                s.label_fr()
            ),
        ),
        Err(FilingActionError::Store(error)) => {
            unavailable(Some(who), &error, "recording a staff decision")
        }
    }
}

/// **Confirmer le dépôt**: queues the submit, unless the portal does not keep what was asked.
pub(super) async fn confirm(
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
    match view::filing(state.store(), id).await {
        Ok(Some(filing)) if filing.kept_mismatch() => {
            tracing::info!(login = %who.session.login, filing = %id, "Confirmation refused: the portal does not keep the asked values");
            return problem(
                StatusCode::CONFLICT,
                Some(&who),
                "Le portail ne conserve pas ce qui était demandé : ce dossier ne peut pas être confirmé. Corrigez-le ou refusez-le.",
            );
        }
        Ok(_) => {}
        Err(error) => return unavailable(Some(&who), &error, "reading a filing to confirm"),
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

/// **Confirmer le démarrage / Accepter le financement sur le portail**: queues the worker's
/// action after the agreement, once per filing.
pub(super) async fn agreement(
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
        .confirm_agreement_action(
            id,
            &who.session.login,
            state.settings.submit_max_attempts.max(1),
        )
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff confirmed the action after an agreement");
    decided(&state, &who, id, result).await
}

/// **Refuser**, with the reason.
pub(super) async fn refuse(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<RefuseForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let reason = match form.reason() {
        Ok(reason) => reason,
        Err(message) => return problem(StatusCode::BAD_REQUEST, Some(&who), message),
    };
    let result = state
        .store()
        .refuse_filing(id, &who.session.login, reason)
        .await
        .map(|()| None);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff refused a filing");
    decided(&state, &who, id, result).await
}

/// Corrected values: the filing is prefilled again.
pub(super) async fn correct(
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
    let (filing, changes) = match form.apply(&asked) {
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

/// The code the portal sent for this filing's prefill or submit.
pub(super) async fn code(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let code = match portal_code(&form.code) {
        Ok(code) => code,
        Err(message) => return problem(StatusCode::BAD_REQUEST, Some(&who), message),
    };
    let result = state
        .store()
        .answer_code(id, &who.session.login, code)
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, ok = result.is_ok(), "Staff entered a portal code");
    decided(&state, &who, id, result).await
}

/// The code the portal sent for a polling round (`code-<job id>` in the list's form).
pub(super) async fn job_code(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<HashMap<String, String>>,
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
    let typed = form
        .get(&format!("code-{id}"))
        .map(String::as_str)
        .unwrap_or_default();
    let code = match portal_code(typed) {
        Ok(code) => code,
        Err(message) => return problem(StatusCode::BAD_REQUEST, Some(&who), message),
    };
    match state
        .store()
        .answer_job_code(job_id, &who.session.login, code)
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
        Err(error) => unavailable(Some(&who), &error, "recording a portal code"),
    }
}

/// Runs the filing's blocked job again.
pub(super) async fn retry(
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
