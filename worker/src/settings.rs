//! Configuration: defaults → optional TOML file → `MONOPCO_…` environment → command-line flags.
//!
//! Nested keys use `__` in the environment: `MONOPCO_QUEUE__BACKEND=redis`,
//! `MONOPCO_STORE__URL=postgres://…`. Secrets (API tokens, webhook secrets) are `SecretString`s:
//! they never print, not even in `monopco config`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::Deserialize;

/// Everything the binary can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the embedded default keeps its SQLite files and recordings.
    pub data_dir: PathBuf,
    /// HTTP server.
    pub server: ServerSettings,
    /// Durable state.
    pub store: StoreSettings,
    /// Queue.
    pub queue: QueueSettings,
    /// Workers of this process.
    pub workers: WorkerSettings,
    /// API access.
    pub api: ApiSettings,
    /// Webhook receivers.
    pub webhooks: Vec<WebhookSettings>,
    /// Webhook delivery policy.
    pub webhook_delivery: WebhookDeliverySettings,
    /// Logs.
    pub log: LogSettings,
    /// The headless Chromium of this process (documents, portals).
    pub browser: BrowserSettings,
    /// Document rendering.
    pub documents: DocumentSettings,
    /// Outgoing mail (`send_documents`); the kind is available only when this is set.
    pub smtp: Option<SmtpSettings>,
    /// The staff review page.
    pub review: ReviewSettings,
    /// Portal run recordings (screenshots, HTML, step logs) under `<data_dir>/recordings`.
    pub recordings: RecordingSettings,
    /// Status polling of the portals.
    pub polling: PollingSettings,
    /// Where each OPCO's portal answers, by OPCO slug (`[portals.atlas] base_url = "…"`).
    pub portals: std::collections::BTreeMap<String, PortalSettings>,
    /// The master key of the encrypted store of client portal logins.
    pub credentials: CredentialSettings,
    /// The "Recherche d'entreprises" API: from a SIRET to the company and its OPCO.
    pub company_lookup: CompanyLookupSettings,
}

/// The "Recherche d'entreprises" API, its cache and the fleet's shared pace.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyLookupSettings {
    /// Where the API answers (`MONOPCO_COMPANY_LOOKUP__BASE_URL`).
    pub base_url: String,
    /// An answer younger than this is reused from the store without a call.
    pub max_age_hours: u64,
    /// Calls per second over the whole fleet (the API allows about 7).
    pub max_per_second: u32,
    /// Limit of one call, answer included.
    pub timeout_ms: u64,
    /// Tries after the first one, on 429, 5xx, timeouts and lost connections.
    pub retries: u32,
    /// First backoff delay, doubled each retry with jitter.
    pub retry_min_delay_ms: u64,
    /// Longest backoff delay (also caps a 429's Retry-After).
    pub retry_max_delay_ms: u64,
    /// A JSON file replacing the bundled IDCC → OPCO table (same shape as
    /// `domain/data/idcc-opco-952.json`; `opco_slug` may be a list for a shared IDCC).
    pub idcc_table: Option<PathBuf>,
}

impl Default for CompanyLookupSettings {
    fn default() -> Self {
        Self {
            base_url: "https://recherche-entreprises.api.gouv.fr".into(),
            max_age_hours: 24,
            max_per_second: 6,
            timeout_ms: 10_000,
            retries: 4,
            retry_min_delay_ms: 500,
            retry_max_delay_ms: 10_000,
            idcc_table: None,
        }
    }
}

/// One OPCO portal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    /// The portal's address (a sandbox's, in tests and the demo).
    pub base_url: String,
    /// This portal's polling schedule, when not `polling.schedule`.
    #[serde(default)]
    pub poll_schedule: Option<String>,
    /// Browser sessions open at once on this portal, per worker process.
    #[serde(default = "PortalSettings::default_max_sessions")]
    pub max_sessions: usize,
    /// Least time between two session starts on this portal, per worker process, in milliseconds.
    #[serde(default = "PortalSettings::default_min_delay_ms")]
    pub min_delay_ms: u64,
    /// Consecutive transient failures that pause the portal (circuit breaker opens).
    #[serde(default = "PortalSettings::default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long an open breaker pauses the portal before one session tries it again, in ms.
    #[serde(default = "PortalSettings::default_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
}

impl PortalSettings {
    /// Default of `max_sessions`.
    pub const fn default_max_sessions() -> usize {
        2
    }
    /// Default of `min_delay_ms`.
    pub const fn default_min_delay_ms() -> u64 {
        1_000
    }
    /// Default of `breaker_failures`.
    pub const fn default_breaker_failures() -> u32 {
        5
    }
    /// Default of `breaker_cooldown_ms`.
    pub const fn default_breaker_cooldown_ms() -> u64 {
        300_000
    }
}

/// How long portal run recordings are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingSettings {
    /// Attempts older than this many days are deleted (checked hourly by processes with workers).
    pub keep_days: u32,
}

impl Default for RecordingSettings {
    fn default() -> Self {
        Self { keep_days: 90 }
    }
}

/// The staff review page (`/review`, served by `monopco serve`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewSettings {
    /// The people who may confirm filings; none means the page only says so.
    pub staff: Vec<StaffSettings>,
    /// How long a login lasts, in hours.
    pub session_hours: u64,
    /// Send the session cookie over HTTPS only (set it behind TLS).
    pub secure_cookie: bool,
    /// Attempts for the `submit_filing` jobs the page queues.
    pub submit_max_attempts: u32,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            staff: Vec::new(),
            session_hours: 12,
            secure_cookie: false,
            submit_max_attempts: 5,
        }
    }
}

/// One person of the staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// What they type to log in.
    pub login: String,
    /// Their name, as the audit trail shows it.
    pub name: String,
    /// An argon2 hash in PHC form (`monopco hash-password` makes one).
    pub password_hash: String,
}

/// When the fleet reads the portals' statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollingSettings {
    /// Whether this process schedules polling rounds (any number of processes may: a round is
    /// queued once per account and slot).
    pub enabled: bool,
    /// When, as a cron expression with seconds, in the machine's local time; a portal may have
    /// its own (`[portals.<slug>] poll_schedule`). The default: 8:00, 12:00 and 16:00 on working
    /// days.
    pub schedule: String,
    /// How often the scheduler looks at the clock, in milliseconds.
    pub tick_ms: u64,
}

impl Default for PollingSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 0 8,12,16 * * Mon-Fri".into(),
            tick_ms: 15_000,
        }
    }
}

/// Where the master key of the credential vault comes from. `MONOPCO_MASTER_KEY` (base64 of 32
/// bytes) wins over `key_file`; with neither, the embedded default generates `<data_dir>/master.key`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialSettings {
    /// A file holding the base64 master key that encrypts new rows.
    pub key_file: Option<PathBuf>,
    /// Files of earlier keys, still read while `monopco credentials rotate` moves rows off them.
    pub previous_key_files: Vec<PathBuf>,
    /// `MONOPCO_MASTER_KEY`, read by `load` (a variable, never a file setting).
    #[serde(skip)]
    pub master_key: Option<SecretString>,
}

/// The headless Chromium of this process.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrowserSettings {
    /// Chromium executable.
    pub chromium_path: PathBuf,
    /// Hard limit of any one browser call, in milliseconds.
    pub call_timeout_ms: u64,
    /// Restart Chromium after this many pages.
    pub recycle_after_pages: u32,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            chromium_path: PathBuf::from("/usr/bin/chromium"),
            call_timeout_ms: 30_000,
            recycle_after_pages: 200,
        }
    }
}

/// Document rendering.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentSettings {
    /// A directory whose `<name>.hbs` files replace the built-in templates (a provider's branding).
    pub templates_dir: Option<PathBuf>,
    /// The provider is exempt from VAT for continuing vocational training.
    pub vat_exempt: bool,
}

/// Outgoing mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS).
    pub port: u16,
    /// `starttls`, `tls` or `none` (local test servers only).
    pub security: String,
    /// Login.
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// Sender, e.g. `Cap Avenir <dossiers@cap-avenir.fr>`.
    pub from: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            server: ServerSettings::default(),
            store: StoreSettings::default(),
            queue: QueueSettings::default(),
            workers: WorkerSettings::default(),
            api: ApiSettings::default(),
            webhooks: Vec::new(),
            webhook_delivery: WebhookDeliverySettings::default(),
            log: LogSettings::default(),
            browser: BrowserSettings::default(),
            documents: DocumentSettings::default(),
            smtp: None,
            review: ReviewSettings::default(),
            recordings: RecordingSettings::default(),
            polling: PollingSettings::default(),
            portals: std::collections::BTreeMap::new(),
            credentials: CredentialSettings::default(),
            company_lookup: CompanyLookupSettings::default(),
        }
    }
}

/// HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    pub addr: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 20 * 1024 * 1024,
        }
    }
}

/// Durable state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://PATH` or `postgres://…`; default: `sqlite://<data_dir>/state.db`.
    pub url: Option<String>,
}

/// Which queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum QueueBackend {
    /// A SQLite file under the data directory (embedded default).
    #[default]
    Sqlite,
    /// A shared Redis (fleet).
    Redis,
}

/// Queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// `sqlite` or `redis`.
    pub backend: QueueBackend,
    /// Redis URL, for the `redis` backend.
    pub redis_url: String,
    /// Key prefix in Redis, so fleets (or tests) can share a server.
    pub namespace: String,
    /// How often idle workers look for new jobs, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            backend: QueueBackend::Sqlite,
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            namespace: "monopco".to_owned(),
            poll_interval_ms: 500,
        }
    }
}

/// Workers of this process.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Jobs run at once by this process (0 for an API-only `serve`).
    pub concurrency: usize,
    /// Attempts per job before it fails for good.
    pub max_attempts: u32,
    /// Lease length in milliseconds: a worker silent this long is taken for dead.
    pub lease_ms: u64,
    /// Lease renewal period in milliseconds.
    pub heartbeat_ms: u64,
    /// Reaper period in milliseconds.
    pub reaper_interval_ms: u64,
    /// A due job not started after this many milliseconds gets a new wake-up.
    pub stale_wake_ms: u64,
    /// First retry delay in milliseconds.
    pub retry_min_delay_ms: u64,
    /// Longest retry delay in milliseconds.
    pub retry_max_delay_ms: u64,
    /// How long a shutdown waits for running jobs, in milliseconds.
    pub shutdown_timeout_ms: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 2,
            max_attempts: 5,
            lease_ms: 30_000,
            heartbeat_ms: 5_000,
            reaper_interval_ms: 5_000,
            stale_wake_ms: 60_000,
            retry_min_delay_ms: 2_000,
            retry_max_delay_ms: 600_000,
            shutdown_timeout_ms: 30_000,
        }
    }
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Scope {
    /// Read jobs.
    #[serde(rename = "jobs:read")]
    JobsRead,
    /// Submit and cancel jobs.
    #[serde(rename = "jobs:write")]
    JobsWrite,
    /// Register and delete client portal logins (write-only), list them without secrets.
    #[serde(rename = "accounts:write")]
    AccountsWrite,
    /// Read readiness and metrics.
    #[serde(rename = "ops:read")]
    OpsRead,
}

impl Scope {
    /// As written in configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::JobsRead => "jobs:read",
            Self::JobsWrite => "jobs:write",
            Self::AccountsWrite => "accounts:write",
            Self::OpsRead => "ops:read",
        }
    }
}

/// One API token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Who holds it (logged, and the scope of idempotency keys).
    pub name: String,
    /// The bearer token itself.
    pub token: SecretString,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

/// API access.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// Bearer tokens. With none, every endpoint but `/healthz` answers 401.
    pub tokens: Vec<TokenSettings>,
}

/// One webhook receiver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Where state changes are POSTed.
    pub url: String,
    /// The HMAC-SHA256 signing secret.
    pub secret: SecretString,
}

/// Webhook delivery policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookDeliverySettings {
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// First retry delay in milliseconds.
    pub min_delay_ms: u64,
    /// Longest retry delay in milliseconds.
    pub max_delay_ms: u64,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u64,
}

impl Default for WebhookDeliverySettings {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            min_delay_ms: 1_000,
            max_delay_ms: 3_600_000,
            timeout_ms: 10_000,
        }
    }
}

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// Logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter (`info`, `monopco=debug,jobs=debug`).
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info,chromiumoxide::handler=error,sqlx=warn".to_owned(),
        }
    }
}

/// `MONOPCO_MASTER_KEY`, as figment sees it once the prefix is stripped.
const MASTER_KEY_VAR: &str = "master_key";

/// A configuration that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Inconsistent(String),
}

impl Settings {
    /// Loads the layers. `overrides` are `(dotted.key, value)` pairs from command-line flags.
    pub fn load(
        file: Option<&Path>,
        overrides: Vec<(&str, figment::value::Value)>,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.exists() {
                return Err(SettingsError::MissingFile(file.to_owned()));
            }
            figment = figment.merge(Toml::file(file));
        }
        // MONOPCO_CONFIG names the file (a flag's environment form) and MONOPCO_FAILPOINTS arms crash
        // tests' failure points: neither is a setting. The master key is read apart so that it can
        // only come from the environment.
        figment = figment.merge(
            Env::prefixed("MONOPCO_")
                .ignore(&["config", "failpoints", MASTER_KEY_VAR])
                .split("__"),
        );
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        let mut settings: Settings = figment
            .extract()
            .map_err(|e| SettingsError::Invalid(Box::new(e)))?;
        settings.credentials.master_key = std::env::var("MONOPCO_MASTER_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .map(SecretString::from);
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        let w = &self.workers;
        if w.heartbeat_ms == 0 || w.lease_ms < 2 * w.heartbeat_ms {
            return Err(SettingsError::Inconsistent(format!(
                "workers.lease_ms ({}) must be at least twice workers.heartbeat_ms ({}), or a live worker loses its jobs",
                w.lease_ms, w.heartbeat_ms
            )));
        }
        if w.max_attempts == 0 {
            return Err(SettingsError::Inconsistent(
                "workers.max_attempts must be at least 1".to_owned(),
            ));
        }
        self.poll_schedules()?;
        for staff in &self.review.staff {
            argon2::PasswordHash::new(&staff.password_hash).map_err(|e| {
                SettingsError::Inconsistent(format!(
                    "review.staff `{}`: password_hash is not an argon2 PHC string ({e}); make one with `monopco hash-password`",
                    staff.login
                ))
            })?;
        }
        for (slug, p) in &self.portals {
            if p.max_sessions == 0 || p.breaker_failures == 0 {
                return Err(SettingsError::Inconsistent(format!(
                    "portals.{slug}.max_sessions and portals.{slug}.breaker_failures must be at least 1"
                )));
            }
        }
        for t in &self.api.tokens {
            use secrecy::ExposeSecret;
            if t.token.expose_secret().len() < 16 {
                return Err(SettingsError::Inconsistent(format!(
                    "api token `{}` is shorter than 16 characters: use a long random value (openssl rand -hex 32)",
                    t.name
                )));
            }
        }
        let c = &self.company_lookup;
        if !(1..=7).contains(&c.max_per_second) {
            return Err(SettingsError::Inconsistent(format!(
                "company_lookup.max_per_second is {}: it must be 1 to 7 (the API refuses more than about 7 calls per second)",
                c.max_per_second
            )));
        }
        if !(c.base_url.starts_with("http://") || c.base_url.starts_with("https://")) {
            return Err(SettingsError::Inconsistent(format!(
                "company_lookup.base_url `{}` is not an http(s) URL",
                c.base_url
            )));
        }
        Ok(())
    }

    /// Each configured portal's polling schedule, parsed.
    pub fn poll_schedules(&self) -> Result<Vec<(String, cron::Schedule)>, SettingsError> {
        use std::str::FromStr;
        self.portals
            .iter()
            .map(|(slug, p)| {
                let text = p.poll_schedule.as_deref().unwrap_or(&self.polling.schedule);
                cron::Schedule::from_str(text)
                    .map(|s| (slug.clone(), s))
                    .map_err(|e| {
                        SettingsError::Inconsistent(format!(
                            "polling schedule of portal `{slug}` (`{text}`) is not a cron expression with seconds ({e}), e.g. \"0 0 8,12,16 * * Mon-Fri\""
                        ))
                    })
            })
            .collect()
    }

    /// The store URL, defaulting to a SQLite file under the data directory.
    pub fn store_url(&self) -> String {
        self.store
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("state.db").display()))
    }

    /// The queue, as the jobs crate wants it.
    pub fn queue_config(&self) -> jobs::QueueConfig {
        let poll_interval = Duration::from_millis(self.queue.poll_interval_ms.max(100));
        match self.queue.backend {
            QueueBackend::Sqlite => jobs::QueueConfig::Sqlite {
                path: self.data_dir.join("queue.db"),
                poll_interval,
            },
            QueueBackend::Redis => jobs::QueueConfig::Redis {
                url: self.queue.redis_url.clone(),
                namespace: self.queue.namespace.clone(),
                poll_interval,
            },
        }
    }

    /// The runtime policy, as the jobs crate wants it.
    pub fn runtime_config(&self) -> jobs::RuntimeConfig {
        let w = &self.workers;
        jobs::RuntimeConfig {
            lease: Duration::from_millis(w.lease_ms),
            heartbeat: Duration::from_millis(w.heartbeat_ms),
            reaper_interval: Duration::from_millis(w.reaper_interval_ms.max(100)),
            stale_wake: Duration::from_millis(w.stale_wake_ms),
            retry_min_delay: Duration::from_millis(w.retry_min_delay_ms),
            retry_max_delay: Duration::from_millis(w.retry_max_delay_ms),
            shutdown_timeout: Duration::from_millis(w.shutdown_timeout_ms),
            concurrency: w.concurrency,
        }
    }

    /// What `monopco config` prints: the effective settings, secrets masked.
    pub fn redacted(&self) -> serde_json::Value {
        let w = &self.workers;
        serde_json::json!({
            "data_dir": self.data_dir,
            "server": { "addr": self.server.addr.to_string(), "max_body_bytes": self.server.max_body_bytes },
            "store": { "url": redact_url(&self.store_url()) },
            "queue": {
                "backend": format!("{:?}", self.queue.backend).to_lowercase(),
                "redis_url": redact_url(&self.queue.redis_url),
                "namespace": self.queue.namespace,
                "poll_interval_ms": self.queue.poll_interval_ms,
            },
            "workers": {
                "concurrency": w.concurrency, "max_attempts": w.max_attempts, "lease_ms": w.lease_ms,
                "heartbeat_ms": w.heartbeat_ms, "reaper_interval_ms": w.reaper_interval_ms,
                "stale_wake_ms": w.stale_wake_ms, "retry_min_delay_ms": w.retry_min_delay_ms,
                "retry_max_delay_ms": w.retry_max_delay_ms, "shutdown_timeout_ms": w.shutdown_timeout_ms,
            },
            "api": { "tokens": self.api.tokens.iter().map(|t| serde_json::json!({
                "name": t.name, "token": "•••", "scopes": t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>() },
            "webhooks": self.webhooks.iter().map(|h| serde_json::json!({ "url": h.url, "secret": "•••" })).collect::<Vec<_>>(),
            "webhook_delivery": {
                "max_attempts": self.webhook_delivery.max_attempts, "min_delay_ms": self.webhook_delivery.min_delay_ms,
                "max_delay_ms": self.webhook_delivery.max_delay_ms, "timeout_ms": self.webhook_delivery.timeout_ms,
            },
            "log": { "format": format!("{:?}", self.log.format).to_lowercase(), "filter": self.log.filter },
            "browser": {
                "chromium_path": self.browser.chromium_path, "call_timeout_ms": self.browser.call_timeout_ms,
                "recycle_after_pages": self.browser.recycle_after_pages,
            },
            "documents": { "templates_dir": self.documents.templates_dir, "vat_exempt": self.documents.vat_exempt },
            "portals": self.portals.iter().map(|(k, v)| (k.clone(), serde_json::json!({
                "base_url": v.base_url, "poll_schedule": v.poll_schedule, "max_sessions": v.max_sessions,
                "min_delay_ms": v.min_delay_ms, "breaker_failures": v.breaker_failures,
                "breaker_cooldown_ms": v.breaker_cooldown_ms,
            }))).collect::<serde_json::Map<_, _>>(),
            "credentials": {
                "master_key": self.credentials.master_key.as_ref().map(|_| "•••"),
                "key_file": self.credentials.key_file, "previous_key_files": self.credentials.previous_key_files,
            },
            "smtp": self.smtp.as_ref().map(|m| serde_json::json!({
                "host": m.host, "port": m.port, "security": m.security, "username": m.username,
                "password": m.password.as_ref().map(|_| "•••"), "from": m.from,
            })),
            "company_lookup": {
                "base_url": self.company_lookup.base_url, "max_age_hours": self.company_lookup.max_age_hours,
                "max_per_second": self.company_lookup.max_per_second, "timeout_ms": self.company_lookup.timeout_ms,
                "retries": self.company_lookup.retries, "retry_min_delay_ms": self.company_lookup.retry_min_delay_ms,
                "retry_max_delay_ms": self.company_lookup.retry_max_delay_ms, "idcc_table": self.company_lookup.idcc_table,
            },
        })
    }
}

/// Hides the password of a URL (`postgres://user:pw@host` → `postgres://user:•••@host`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:•••{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/x"),
            "postgres://app:•••@db:5432/x"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }

    #[test]
    fn a_lease_shorter_than_two_heartbeats_is_refused_with_the_reason() {
        let err = Settings::load(
            None,
            vec![
                ("workers.lease_ms", 1000.into()),
                ("workers.heartbeat_ms", 800.into()),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("at least twice"), "{err}");
    }

    #[test]
    fn the_embedded_default_needs_no_file_and_no_server() {
        let s = Settings::load(None, vec![]).unwrap();
        assert_eq!(s.queue.backend, QueueBackend::Sqlite);
        assert!(s.store_url().starts_with("sqlite://"));
    }
}
