//! Staff login for the review page: argon2 password hashes from configuration, a random session
//! token in an `HttpOnly`, `SameSite=Strict` cookie (only its SHA-256 is stored, so a copy of the
//! database opens no session), and a per-session CSRF token every form must carry.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::http::HeaderMap;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::StaffSettings;

/// The session cookie's name.
pub const COOKIE: &str = "monopco_review";

/// A fresh random token, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session token the browser sent, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the form's CSRF token is the session's.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Whether a POST comes from a page of this site: browsers say where a request comes from, and
/// a cross-site form post is refused before any password is checked.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site {
        return matches!(site, "same-origin" | "none");
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok());
    match (headers.get("origin").and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        _ => true,
    }
}

/// A hash of a random password, checked for unknown logins so they take as long as known ones.
static DECOY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token()).unwrap_or_default());

/// The staff member with this login and password, checked against their argon2 hash.
pub fn verify<'a>(
    staff: &'a [StaffSettings],
    login: &str,
    password: &str,
) -> Option<&'a StaffSettings> {
    let found = staff.iter().find(|s| s.login == login);
    let hash = found.map_or(DECOY_HASH.as_str(), |s| s.password_hash.as_str());
    let ok = PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    });
    found.filter(|_| ok)
}

/// An argon2id hash of `password` in PHC form, for `[[review.staff]] password_hash`.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = argon2::password_hash::SaltString::encode_b64(&bytes)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(hash: String) -> Vec<StaffSettings> {
        vec![StaffSettings {
            login: "claire".into(),
            name: "Claire Martin".into(),
            password_hash: hash,
        }]
    }

    #[test]
    fn the_right_password_opens_and_a_wrong_one_or_login_does_not() {
        let people = staff(hash_password("un mot de passe assez long").unwrap());
        assert_eq!(
            verify(&people, "claire", "un mot de passe assez long").map(|s| s.name.as_str()),
            Some("Claire Martin")
        );
        assert!(verify(&people, "claire", "un autre").is_none());
        assert!(verify(&people, "paul", "un mot de passe assez long").is_none());
    }

    #[test]
    fn the_session_cookie_is_read_among_others_and_garbage_is_ignored() {
        let token = random_token();
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            format!("theme=dark; {COOKIE}={token}; x=1")
                .parse()
                .unwrap(),
        );
        assert_eq!(session_token(&headers), Some(token.clone()));
        headers.insert("cookie", format!("{COOKIE}=../../etc").parse().unwrap());
        assert_eq!(session_token(&headers), None);
        assert_ne!(token_hash(&token), token);
    }

    #[test]
    fn csrf_tokens_must_match_exactly_and_cross_site_posts_are_refused() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", ""));
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&headers));
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&headers));
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:8080".parse().unwrap());
        headers.insert("origin", "http://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
        headers.insert("origin", "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers));
    }
}
