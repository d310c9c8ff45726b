//! The HTTP client of the "Recherche d'entreprises" API: one `GET {base_url}/search?q=<siret>`,
//! every try taking a slot of the fleet's shared pace, 429 and 5xx retried with backoff.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use domain::Siret;

use crate::api::SearchAnswer;
use crate::error::LookupError;
use crate::lookup::Pace;

/// The public API's address.
pub const PUBLIC_BASE_URL: &str = "https://recherche-entreprises.api.gouv.fr";

/// How the client talks to the API.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Where the API answers, without the trailing `/search`.
    pub base_url: String,
    /// Limit of one try, answer included.
    pub timeout: Duration,
    /// Tries after the first one, on 429, 5xx, timeouts and lost connections.
    pub retries: u32,
    /// First backoff delay (doubled each time, with jitter).
    pub min_delay: Duration,
    /// Longest backoff delay (also caps a 429's Retry-After).
    pub max_delay: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: PUBLIC_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// The API client.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

/// How one try failed.
#[derive(Debug)]
enum TryError {
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    Connect(String),
    Truncated(String),
    Final(LookupError),
}

impl TryError {
    fn retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout | Self::Connect(_) | Self::Truncated(_) => true,
            Self::Final(_) => false,
        }
    }
}

fn from_reqwest(e: &reqwest::Error) -> TryError {
    if e.is_timeout() {
        TryError::Timeout
    } else if e.is_body() || e.is_decode() {
        TryError::Truncated(e.to_string())
    } else {
        // The cause chain says what failed (DNS, refused, TLS); the top error alone does not.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail = format!("{detail}: {s}");
            source = s.source();
        }
        TryError::Connect(detail)
    }
}

impl Client {
    /// A client for this configuration.
    pub fn new(config: ClientConfig) -> Result<Self, LookupError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("monopco-fleet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LookupError::Unreachable {
                detail: e.to_string(),
                attempts: 0,
            })?;
        Ok(Self { http, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Searches the SIRET; returns the parsed answer and its raw body (for the cache). Each try
    /// waits for a slot of `pace` first.
    pub async fn search(
        &self,
        siret: &Siret,
        pace: &Pace,
    ) -> Result<(SearchAnswer, String), LookupError> {
        // A parsed SIRET is 14 ASCII digits: nothing to escape in the query.
        let url = format!(
            "{}/search?q={}",
            self.config.base_url.trim_end_matches('/'),
            siret.as_str()
        );
        let tries = AtomicU32::new(0);
        let attempt = || async {
            pace.acquire().await.map_err(TryError::Final)?;
            tries.fetch_add(1, Ordering::Relaxed);
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| from_reqwest(&e))?;
            let status = response.status().as_u16();
            if status != 200 {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(TryError::Status {
                    status,
                    retry_after,
                });
            }
            let body = response.text().await.map_err(|e| from_reqwest(&e))?;
            let answer: SearchAnswer = serde_json::from_str(&body).map_err(|e| {
                TryError::Final(LookupError::Malformed {
                    detail: format!("JSON inattendu : {e}"),
                })
            })?;
            Ok((answer, body))
        };
        let max_delay = self.config.max_delay;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.config.min_delay)
            .with_max_delay(max_delay)
            .with_max_times(self.config.retries as usize)
            .with_jitter();
        let outcome = attempt
            .retry(backoff)
            .when(TryError::retryable)
            .adjust(move |e, delay| match (e, delay) {
                (
                    TryError::Status {
                        retry_after: Some(after),
                        ..
                    },
                    Some(d),
                ) => Some(d.max(*after).min(max_delay)),
                (_, d) => d,
            })
            .notify(|e, delay| {
                tracing::info!(error = ?e, delay_ms = delay.as_millis() as u64, "Company lookup try failed, retrying");
            })
            .await;
        let attempts = tries.load(Ordering::Relaxed);
        outcome.map_err(|e| match e {
            TryError::Status { status: 429, .. } => LookupError::RateLimited { attempts },
            TryError::Status { status, .. } if status >= 500 => {
                LookupError::Unavailable { status, attempts }
            }
            TryError::Status { status, .. } => LookupError::Refused { status },
            TryError::Timeout => LookupError::Timeout {
                attempts,
                timeout_ms: u64::try_from(self.config.timeout.as_millis()).unwrap_or(u64::MAX),
            },
            TryError::Connect(detail) => LookupError::Unreachable { detail, attempts },
            TryError::Truncated(detail) => LookupError::Malformed {
                detail: format!("réponse tronquée : {detail}"),
            },
            TryError::Final(e) => e,
        })
    }
}
