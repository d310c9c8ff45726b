//! Logging in and out: the password check (in [`super::auth`]), the session cookie.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use filings::FilingStore;
use serde::Deserialize;

use super::forms::CsrfForm;
use super::{ReviewState, auth, html_response, layout, staff_posting, unavailable};

pub(super) async fn login_form() -> Response {
    html_response(StatusCode::OK, layout::login(None))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
}

pub(super) async fn login(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    if !auth::same_origin(&headers) {
        return html_response(
            StatusCode::FORBIDDEN,
            layout::login(Some(
                "Connexion refusée : le formulaire ne vient pas de cette page.",
            )),
        );
    }
    if state.settings.staff.is_empty() {
        return html_response(
            StatusCode::SERVICE_UNAVAILABLE,
            layout::login(Some(
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
                layout::login(Some("Identifiant ou mot de passe incorrect.")),
            );
        }
        auth::LoginCheck::Throttled(wait) => {
            tracing::warn!(%login, ?address, wait_s = wait.as_secs_f64(), "Review login throttled after repeated failures");
            let mut response = html_response(
                StatusCode::TOO_MANY_REQUESTS,
                layout::login(Some(&format!(
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
                layout::login(Some(
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
        return unavailable(None, &error, "opening a staff session");
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

pub(super) async fn logout(
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
