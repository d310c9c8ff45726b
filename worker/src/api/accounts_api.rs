//! `/v1/portal-accounts`: register, list and delete the client companies' logins on their OPCO
//! portals. Write-only: a login goes into the vault encrypted and never comes back out through the
//! API; the list shows which accounts exist and under which key, nothing more.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::OpcoId;
use jobs::FieldError;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::settings::Scope;
use crate::vault::{AccountSummary, VaultError};

/// The body of `PUT /v1/portal-accounts/{opco}/{account}`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // Documents the body, which is read field by field so nothing is echoed.
pub struct PortalLogin {
    /// The login on the OPCO's portal.
    #[schema(example = "rh@entreprise.fr")]
    username: String,
    /// The password; stored encrypted, never returned nor logged.
    #[schema(format = Password, write_only)]
    password: String,
}

/// The registered accounts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountList {
    /// By OPCO, then account; never with their logins.
    pub accounts: Vec<AccountSummary>,
}

const MAX_ACCOUNT_LEN: usize = 100;
const MAX_USERNAME_LEN: usize = 320;
const MAX_PASSWORD_LEN: usize = 1024;

fn vault_error(e: VaultError) -> ApiError {
    ApiError::unavailable(&e)
}

/// The OPCO and account of the path, or a reason per field.
fn parse_target(opco: &str, account: &str) -> Result<(OpcoId, String), Vec<FieldError>> {
    let mut problems = Vec::new();
    let opco = match OpcoId::from_slug(opco) {
        Ok(o) if portals::script(o).is_some() => Some(o),
        Ok(o) => {
            problems.push(FieldError::new(
                "opco",
                format!(
                    "le portail {} n'est pas encore automatisé (portails automatisés : {})",
                    o.name(),
                    portals::SUPPORTED
                        .iter()
                        .map(|p| p.slug())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            None
        }
        Err(e) => {
            problems.push(FieldError::new("opco", e.to_string()));
            None
        }
    };
    if account.is_empty()
        || account.chars().count() > MAX_ACCOUNT_LEN
        || account.trim() != account
        || account.chars().any(char::is_control)
    {
        problems.push(FieldError::new(
            "account",
            format!(
                "l'identifiant du compte client chez l'OPCO (le `company.opco_account` des dossiers) : 1 à {MAX_ACCOUNT_LEN} caractères, sans espace autour"
            ),
        ));
    }
    match opco {
        Some(o) if problems.is_empty() => Ok((o, account.to_owned())),
        _ => Err(problems),
    }
}

/// One string field of the body; never echoes what was sent.
fn text_field(
    body: &mut serde_json::Map<String, Value>,
    name: &str,
    max: usize,
    problems: &mut Vec<FieldError>,
) -> Option<String> {
    match body.remove(name) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Some(s),
        Some(Value::String(_)) => {
            problems.push(FieldError::new(name, format!("1 à {max} caractères")));
            None
        }
        None | Some(Value::Null) => {
            problems.push(FieldError::new(name, "champ obligatoire"));
            None
        }
        Some(_) => {
            problems.push(FieldError::new(
                name,
                "une chaîne de caractères est attendue",
            ));
            None
        }
    }
}

/// Register or replace a client company's login on its OPCO's portal (write-only).
#[utoipa::path(
    put, path = "/v1/portal-accounts/{opco}/{account}", tag = "portal-accounts",
    params(
        ("opco" = String, Path, description = "OPCO slug with an automated portal (a 400 lists them)"),
        ("account" = String, Path, description = "The company's account id at the OPCO (a filing's company.opco_account)"),
    ),
    request_body = PortalLogin,
    responses(
        (status = 204, description = "Stored, encrypted; the password is never returned"),
        (status = 400, description = "Invalid OPCO, account or body, with a reason per field", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Token without accounts:write", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_account(
    State(state): State<AppState>,
    caller: Caller,
    Path((opco, account)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::AccountsWrite)?;
    let mut problems = Vec::new();
    let target = parse_target(&opco, &account)
        .map_err(|f| problems.extend(f))
        .ok();
    // Read field by field: a parse error would quote what was sent, and that may be the password.
    let login = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut fields)) => {
            let username = text_field(&mut fields, "username", MAX_USERNAME_LEN, &mut problems);
            let password = text_field(&mut fields, "password", MAX_PASSWORD_LEN, &mut problems)
                .map(SecretString::from);
            for unknown in fields.keys() {
                problems.push(FieldError::new(
                    unknown,
                    "champ inconnu : seuls `username` et `password` sont attendus",
                ));
            }
            username.zip(password)
        }
        _ => {
            problems.push(FieldError::new(
                "body",
                "le corps doit être un objet JSON {\"username\": …, \"password\": …}",
            ));
            None
        }
    };
    let (Some((opco, account)), Some((username, password)), true) =
        (target, login, problems.is_empty())
    else {
        return Err(ApiError::invalid(problems));
    };
    state
        .vault
        .put(opco, &account, &username, &password)
        .await
        .map_err(vault_error)?;
    tracing::info!(
        portal = opco.slug(),
        %account,
        key_id = state.vault.current_key_id(),
        caller = %caller.name,
        "Portal credentials registered"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The registered accounts, without their logins (tokens with accounts:write or ops:read).
#[utoipa::path(
    get, path = "/v1/portal-accounts", tag = "portal-accounts",
    responses(
        (status = 200, body = AccountList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Token with neither accounts:write nor ops:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AccountList>, ApiError> {
    caller.require_any(&[Scope::AccountsWrite, Scope::OpsRead])?;
    let accounts = state.vault.list().await.map_err(vault_error)?;
    Ok(Json(AccountList { accounts }))
}

/// Forget a client company's login.
#[utoipa::path(
    delete, path = "/v1/portal-accounts/{opco}/{account}", tag = "portal-accounts",
    params(
        ("opco" = String, Path, description = "OPCO slug"),
        ("account" = String, Path, description = "The company's account id at the OPCO"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No login registered for this account", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_account(
    State(state): State<AppState>,
    caller: Caller,
    Path((opco, account)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::AccountsWrite)?;
    let (opco, account) = parse_target(&opco, &account).map_err(ApiError::invalid)?;
    if state
        .vault
        .delete(opco, &account)
        .await
        .map_err(vault_error)?
    {
        tracing::info!(portal = opco.slug(), %account, caller = %caller.name, "Portal credentials deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "account_not_found",
            "Aucun identifiant de connexion n'est enregistré pour ce compte client.",
        ))
    }
}
