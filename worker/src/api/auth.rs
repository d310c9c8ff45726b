//! Bearer-token authentication with scopes. Tokens are compared in constant time over their
//! SHA-256, so neither their content nor their length leaks through timing.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;
use crate::settings::{Scope, TokenSettings};

/// A configured token, kept as its hash.
#[derive(Clone)]
pub struct KnownToken {
    name: String,
    digest: [u8; 32],
    scopes: Vec<Scope>,
}

impl std::fmt::Debug for KnownToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownToken")
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl KnownToken {
    /// From configuration.
    pub fn from_settings(t: &TokenSettings) -> Self {
        Self {
            name: t.name.clone(),
            digest: Sha256::digest(t.token.expose_secret().as_bytes()).into(),
            scopes: t.scopes.clone(),
        }
    }
}

/// Who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    scopes: Vec<Scope>,
}

impl Caller {
    /// 403 unless the caller's token has the scope.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "Ce jeton n'a pas le droit « {} » : demandez un jeton qui l'a.",
                    scope.as_str()
                ),
            ))
        }
    }

    /// 403 unless the caller's token has one of the scopes.
    pub fn require_any(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        match scopes.iter().find(|s| self.scopes.contains(s)) {
            Some(_) => Ok(()),
            None => {
                let names: Vec<String> = scopes
                    .iter()
                    .map(|s| format!("« {} »", s.as_str()))
                    .collect();
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "Ce jeton n'a aucun des droits {} : demandez un jeton qui en a un.",
                        names.join(", ")
                    ),
                ))
            }
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated =
            |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", m.to_owned());
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                unauthenticated(
                    "En-tête Authorization manquant : envoyez « Authorization: Bearer <jeton> ».",
                )
            })?;
        let value = header
            .to_str()
            .map_err(|_| unauthenticated("En-tête Authorization illisible."))?;
        let token = value.strip_prefix("Bearer ").ok_or_else(|| {
            unauthenticated("L'en-tête Authorization doit être de la forme « Bearer <jeton> ».")
        })?;
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        // Look at every token, whatever matches, so timing says nothing about which one did.
        let mut found: Option<&KnownToken> = None;
        for known in state.tokens.iter() {
            if bool::from(known.digest.ct_eq(&digest)) {
                found = Some(known);
            }
        }
        let known = found.ok_or_else(|| unauthenticated("Jeton inconnu ou révoqué."))?;
        Ok(Caller {
            name: known.name.clone(),
            scopes: known.scopes.clone(),
        })
    }
}
