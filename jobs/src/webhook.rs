//! Webhook delivery from the store's outbox: signed, retried with backoff and jitter, never in the
//! way of a job (jobs only write outbox rows; this loop sends them).
//!
//! Signature: header `Monopco-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

use std::collections::HashMap;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::store::Store;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Monopco-Signature";
/// The header carrying the event id (receivers de-duplicate on it).
pub const EVENT_ID_HEADER: &str = "Monopco-Event-Id";

/// Signs a body at a time: the value of the `Monopco-Signature` header.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &str, timestamp: i64, body: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac
}

/// Checks a `Monopco-Signature` header (constant time), refusing timestamps older than `tolerance`.
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance: Duration) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).unsigned_abs() > tolerance.as_secs() {
        return false;
    }
    mac(secret, t, body).verify_slice(&v1).is_ok()
}

/// One configured receiver.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Where events go.
    pub url: String,
    secret: SecretString,
}

impl Endpoint {
    /// A receiver and its signing secret.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret: SecretString::from(secret.into()),
        }
    }
}

/// Delivery policy.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// First retry delay.
    pub min_delay: Duration,
    /// Longest retry delay.
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often the outbox is read when idle.
    pub poll_interval: Duration,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
        }
    }
}

impl DispatchConfig {
    /// The delay before attempt `n + 1` after `n` failed ones: exponential, jittered, capped.
    pub fn delay_after(&self, failed_attempts: u32) -> Duration {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
            .nth(failed_attempts.saturating_sub(1) as usize)
            .unwrap_or(self.max_delay)
    }
}

/// Sends due deliveries until `stop` is cancelled.
pub async fn run_dispatcher(
    store: Store,
    endpoints: Vec<Endpoint>,
    config: DispatchConfig,
    dispatcher_id: String,
    metrics: Metrics,
    stop: CancellationToken,
) {
    let secrets: HashMap<String, SecretString> =
        endpoints.into_iter().map(|e| (e.url, e.secret)).collect();
    let client = match reqwest::Client::builder().timeout(config.timeout).build() {
        Ok(c) => c,
        Err(error) => {
            tracing::error!(%error, "Cannot build the webhook HTTP client; webhooks will not be sent");
            return;
        }
    };
    loop {
        let due = match store
            .claim_due_deliveries(&dispatcher_id, 20, config.timeout * 3)
            .await
        {
            Ok(d) => d,
            Err(error) => {
                tracing::warn!(%error, "Cannot read the webhook outbox; trying again");
                Vec::new()
            }
        };
        let idle = due.is_empty();
        for d in due {
            let outcome = match secrets.get(&d.url) {
                None => Err((None, "URL no longer configured".to_owned())),
                Some(secret) => {
                    send(
                        &client,
                        &d.url,
                        secret.expose_secret(),
                        &d.event_id,
                        &d.payload,
                    )
                    .await
                }
            };
            let failed_attempts = u32::try_from(d.attempts)
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            let result = match outcome {
                Ok(status) => {
                    metrics.webhook("delivered");
                    store
                        .delivery_attempted(&d.id, Some(status), None, None)
                        .await
                }
                Err((status, error)) => {
                    let retry_at = (failed_attempts < config.max_attempts
                        && secrets.contains_key(&d.url))
                    .then(|| {
                        chrono::Utc::now()
                            + chrono::Duration::from_std(config.delay_after(failed_attempts))
                                .unwrap_or_default()
                    });
                    metrics.webhook(if retry_at.is_some() {
                        "retry"
                    } else {
                        "failed"
                    });
                    if retry_at.is_none() {
                        tracing::error!(url = %d.url, event_id = %d.event_id, %error, "Webhook delivery given up");
                    } else {
                        tracing::warn!(url = %d.url, event_id = %d.event_id, %error, "Webhook delivery failed; will retry");
                    }
                    store
                        .delivery_attempted(&d.id, status, Some(&error), Some(retry_at))
                        .await
                }
            };
            if let Err(error) = result {
                tracing::warn!(%error, "Cannot record a webhook attempt; it will be retried after its claim expires");
            }
        }
        if idle {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(config.poll_interval) => {}
            }
        } else if stop.is_cancelled() {
            return;
        }
    }
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    event_id: &str,
    body: &str,
) -> Result<u16, (Option<u16>, String)> {
    let ts = chrono::Utc::now().timestamp();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, sign(secret, ts, body))
        .header(EVENT_ID_HEADER, event_id)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| (None, format!("request failed: {e}")))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("receiver answered HTTP {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let header = sign("s3cret", 1_700_000_000, r#"{"a":1}"#);
        assert!(verify(
            "s3cret",
            &header,
            r#"{"a":1}"#,
            1_700_000_010,
            Duration::from_secs(300)
        ));
        assert!(!verify(
            "s3cret",
            &header,
            r#"{"a":2}"#,
            1_700_000_010,
            Duration::from_secs(300)
        ));
        assert!(!verify(
            "other",
            &header,
            r#"{"a":1}"#,
            1_700_000_010,
            Duration::from_secs(300)
        ));
        assert!(
            !verify(
                "s3cret",
                &header,
                r#"{"a":1}"#,
                1_700_009_000,
                Duration::from_secs(300)
            ),
            "too old"
        );
    }

    #[test]
    fn retry_delays_grow_and_stay_capped() {
        let cfg = DispatchConfig {
            max_delay: Duration::from_secs(60),
            ..DispatchConfig::default()
        };
        let first = cfg.delay_after(1);
        assert!(
            first >= Duration::from_secs(1) && first <= Duration::from_secs(2),
            "{first:?}"
        );
        assert!(cfg.delay_after(5) >= Duration::from_secs(16));
        assert!(
            cfg.delay_after(30) <= Duration::from_secs(120),
            "jitter adds at most the delay itself"
        );
    }
}
