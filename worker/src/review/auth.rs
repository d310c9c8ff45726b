//! Staff login for the review page: argon2 password hashes from configuration, a random session
//! token in an `HttpOnly`, `SameSite=Strict` cookie (only its SHA-256 is stored, so a copy of the
//! database opens no session), and a per-session CSRF token every form must carry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Failed logins allowed for one login before each new try must wait.
const FREE_PER_LOGIN: u32 = 3;
/// Failed logins allowed from one address before each new try must wait.
const FREE_PER_ADDRESS: u32 = 10;
/// Longest wait imposed between two tries.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Password checks running at once in the process: argon2 is made to be slow, and guessers must
/// not take every core from the API.
const ARGON2_AT_ONCE: usize = 1;
/// How long a login waits for a free password check before it is told to come back.
const ARGON2_QUEUE_WAIT: Duration = Duration::from_secs(3);

/// Failed tries by login and by address, with a delay that doubles with each failure past the
/// free ones.
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// What a login attempt comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginCheck {
    /// The staff member's login.
    Accepted(String),
    /// Wrong login or password.
    Refused,
    /// Too many failures: try again after this long (no password was checked).
    Throttled(Duration),
    /// Every password check is busy: try again in a few seconds.
    Busy,
}

impl LoginGuard {
    fn keys(login: &str, address: Option<std::net::IpAddr>) -> Vec<(String, u32)> {
        let mut keys = vec![(format!("login:{login}"), FREE_PER_LOGIN)];
        if let Some(ip) = address {
            keys.push((format!("addr:{ip}"), FREE_PER_ADDRESS));
        }
        keys
    }

    /// How long the caller must still wait before a try is checked, if at all.
    pub fn wait_needed(
        &self,
        login: &str,
        address: Option<std::net::IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::keys(login, address)
            .into_iter()
            .filter_map(|(key, free)| {
                let (n, last) = *failures.get(&key)?;
                let over = n.checked_sub(free)?;
                let delay = Duration::from_secs(1u64 << over.min(20)).min(MAX_DELAY);
                (last + delay).checked_duration_since(now)
            })
            .filter(|d| !d.is_zero())
            .max()
    }

    /// Notes a failed try.
    pub fn failed(&self, login: &str, address: Option<std::net::IpAddr>, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() > 10_000 {
            failures.retain(|_, (_, last)| now.duration_since(*last) < MAX_DELAY);
        }
        for (key, _) in Self::keys(login, address) {
            let entry = failures.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) > MAX_DELAY {
                entry.0 = 0;
            }
            entry.0 = entry.0.saturating_add(1);
            entry.1 = now;
        }
    }

    /// Forgets the failures of a login that succeeded.
    pub fn succeeded(&self, login: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(&format!("login:{login}"));
    }
}

/// The process's login guard.
pub static GUARD: std::sync::LazyLock<LoginGuard> = std::sync::LazyLock::new(LoginGuard::default);

static ARGON2_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(ARGON2_AT_ONCE));

/// Checks a staff login: refused at once while its login or address must wait, otherwise the
/// password is checked on a blocking thread, one at a time in the process.
pub async fn check_login(
    staff: std::sync::Arc<crate::settings::ReviewSettings>,
    login: String,
    password: String,
    address: Option<std::net::IpAddr>,
) -> LoginCheck {
    if let Some(wait) = GUARD.wait_needed(&login, address, Instant::now()) {
        return LoginCheck::Throttled(wait);
    }
    let Ok(Ok(_slot)) = tokio::time::timeout(ARGON2_QUEUE_WAIT, ARGON2_SLOTS.acquire()).await
    else {
        return LoginCheck::Busy;
    };
    let checked = {
        let login = login.clone();
        tokio::task::spawn_blocking(move || {
            verify(&staff.staff, &login, &password).map(|s| s.login.clone())
        })
        .await
        .ok()
        .flatten()
    };
    match checked {
        Some(found) => {
            GUARD.succeeded(&login);
            LoginCheck::Accepted(found)
        }
        None => {
            GUARD.failed(&login, address, Instant::now());
            LoginCheck::Refused
        }
    }
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
    fn a_login_waits_longer_after_each_failure_past_three_and_another_login_does_not() {
        let guard = LoginGuard::default();
        let t0 = Instant::now();
        let ip = Some(std::net::IpAddr::from([10, 0, 0, 7]));
        for _ in 0..3 {
            assert_eq!(guard.wait_needed("claire", ip, t0), None);
            guard.failed("claire", ip, t0);
        }
        assert_eq!(
            guard.wait_needed("claire", ip, t0),
            Some(Duration::from_secs(1))
        );
        guard.failed("claire", ip, t0);
        assert_eq!(
            guard.wait_needed("claire", ip, t0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            guard.wait_needed("claire", ip, t0 + Duration::from_secs(2)),
            None
        );
        assert_eq!(
            guard.wait_needed("paul", ip, t0),
            None,
            "the address has tries left"
        );
        guard.succeeded("claire");
        assert_eq!(guard.wait_needed("claire", None, t0), None);
    }

    #[test]
    fn one_address_trying_many_logins_is_slowed_down_too() {
        let guard = LoginGuard::default();
        let t0 = Instant::now();
        let ip = Some(std::net::IpAddr::from([10, 0, 0, 8]));
        for i in 0..9 {
            guard.failed(&format!("user{i}"), ip, t0);
        }
        assert_eq!(guard.wait_needed("user99", ip, t0), None);
        guard.failed("user9", ip, t0);
        assert_eq!(
            guard.wait_needed("user99", ip, t0),
            Some(Duration::from_secs(1))
        );
        guard.failed("user10", ip, t0);
        assert_eq!(
            guard.wait_needed("user99", ip, t0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            guard.wait_needed("user99", None, t0),
            None,
            "another address is not slowed"
        );
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
