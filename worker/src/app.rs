//! The application: builds the store, queue and runtime from settings, then serves the API and/or
//! runs workers until a shutdown signal, and says which part stopped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use jobs::webhook::{DispatchConfig, Endpoint};
use jobs::{Metrics, Queue, Runtime, Store};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState, KnownToken};
use crate::handlers::SharedBrowser;
use crate::settings::Settings;
use crate::vault::{KeyRing, Vault};

/// What this process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// API and (unless concurrency is 0) workers.
    Serve,
    /// Workers only.
    Work,
}

/// A built application, not yet running.
pub struct Application {
    settings: Settings,
    role: Role,
    runtime: Arc<Runtime>,
    listener: Option<TcpListener>,
    browser: Arc<SharedBrowser>,
    vault: Vault,
}

impl Application {
    /// Connects the store and queue (applying migrations) and binds the API port if serving.
    pub async fn build(settings: Settings, role: Role) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
        let webhook_urls = settings.webhooks.iter().map(|w| w.url.clone()).collect();
        let store = connect_store(&settings.store_url(), webhook_urls)
            .await
            .with_context(|| {
                format!(
                    "cannot open the store at {}",
                    crate::settings::redact_url(&settings.store_url())
                )
            })?;
        let queue = Queue::connect(&settings.queue_config())
            .await
            .with_context(|| format!("cannot open the {:?} queue", settings.queue.backend))?;
        let orphans = browser::reap_orphans();
        if orphans > 0 {
            tracing::warn!(
                orphans,
                "Chromium processes of a killed worker were found and stopped"
            );
        }
        let keys = KeyRing::from_settings(&settings)?;
        tracing::info!(key_id = keys.current_id(), "Credential vault ready");
        let vault = Vault::new(&store, keys);
        let browser = Arc::new(SharedBrowser::new(crate::handlers::browser_config(
            &settings,
        )));
        let metrics = Metrics::new();
        let politeness =
            crate::politeness::Politeness::from_settings(&settings).with_metrics(&metrics);
        let registry = crate::handlers::registry(&settings, &store, &browser, &vault, &politeness)?;
        let runtime = Arc::new(Runtime::new(
            store,
            queue,
            registry,
            settings.runtime_config(),
            metrics,
        ));
        let listener = match role {
            Role::Serve => Some(
                TcpListener::bind(settings.server.addr)
                    .await
                    .with_context(|| format!("cannot listen on {}", settings.server.addr))?,
            ),
            Role::Work => None,
        };
        Ok(Self {
            settings,
            role,
            runtime,
            listener,
            browser,
            vault,
        })
    }

    /// The bound API address, when serving.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The runtime (store, queue, handlers).
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Runs until `shutdown` is cancelled or a part fails; then stops the rest gracefully.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Self {
            settings,
            role,
            runtime,
            listener,
            browser,
            vault,
        } = self;
        let runs_workers = settings.workers.concurrency > 0;
        let mut parts = tokio::task::JoinSet::new();

        if runs_workers {
            let rt = Arc::clone(&runtime);
            let stop = shutdown.clone();
            parts.spawn(async move {
                (
                    "workers",
                    rt.run_workers(stop).await.map_err(anyhow::Error::from),
                )
            });
        }
        {
            let endpoints = settings
                .webhooks
                .iter()
                .map(|w| Endpoint::new(w.url.clone(), w.secret.expose_secret().to_owned()))
                .collect();
            let d = &settings.webhook_delivery;
            let config = DispatchConfig {
                max_attempts: d.max_attempts.max(1),
                min_delay: Duration::from_millis(d.min_delay_ms),
                max_delay: Duration::from_millis(d.max_delay_ms),
                timeout: Duration::from_millis(d.timeout_ms),
                poll_interval: Duration::from_millis(300),
            };
            let store = runtime.store.clone();
            let metrics = runtime.metrics.clone();
            let id = format!("{}-webhooks", runtime.process_id);
            let stop = shutdown.clone();
            parts.spawn(async move {
                jobs::webhook::run_dispatcher(store, endpoints, config, id, metrics, stop).await;
                ("webhook dispatcher", Ok(()))
            });
        }
        if runs_workers && settings.recordings.keep_days > 0 {
            let store = recordings::Store::new(settings.data_dir.join("recordings"));
            let max_age = Duration::from_secs(u64::from(settings.recordings.keep_days) * 86_400);
            let stop = shutdown.clone();
            parts.spawn(async move {
                loop {
                    let store = store.clone();
                    let purged = tokio::task::spawn_blocking(move || {
                        store.purge(max_age, std::time::SystemTime::now())
                    })
                    .await;
                    match purged {
                        Ok(Ok(report)) => tracing::debug!(?report, "Old recordings purged"),
                        Ok(Err(error)) => tracing::warn!(%error, "Cannot purge old recordings"),
                        Err(error) => tracing::warn!(%error, "Recording purge panicked"),
                    }
                    tokio::select! {
                        () = stop.cancelled() => return ("recordings purge", Ok(())),
                        () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    }
                }
            });
        }
        if settings.polling.enabled && runs_workers {
            let schedules = settings.poll_schedules()?;
            let rt = Arc::clone(&runtime);
            let stop = shutdown.clone();
            let tick = Duration::from_millis(settings.polling.tick_ms.max(200));
            parts.spawn(async move {
                crate::polling::run_scheduler(rt, schedules, tick, stop).await;
                ("polling scheduler", Ok(()))
            });
        }
        if let (Role::Serve, Some(listener)) = (role, listener) {
            let state = AppState {
                runtime: Arc::clone(&runtime),
                tokens: Arc::new(
                    settings
                        .api
                        .tokens
                        .iter()
                        .map(KnownToken::from_settings)
                        .collect(),
                ),
                runs_workers,
                default_max_attempts: settings.workers.max_attempts,
                openapi: Arc::new(serde_json::to_value(api::openapi())?),
                files_root: settings.data_dir.join("jobs"),
                vault,
            };
            let review = crate::review::ReviewState::new(
                Arc::clone(&runtime),
                settings.review.clone(),
                settings.data_dir.clone(),
            );
            let router = api::router(state, settings.server.max_body_bytes)
                .merge(crate::review::router(review));
            let stop = shutdown.clone();
            parts.spawn(async move {
                // The peer's address, for the staff login's per-address limit.
                let service = router.into_make_service_with_connect_info::<SocketAddr>();
                let result = axum::serve(listener, service)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await
                    .map_err(anyhow::Error::from);
                ("API server", result)
            });
        }

        let mut first_error = None;
        while let Some(joined) = parts.join_next().await {
            let (part, result) =
                joined.unwrap_or_else(|e| ("a task", Err(anyhow::anyhow!("panicked: {e}"))));
            if !shutdown.is_cancelled() {
                match &result {
                    Ok(()) => tracing::error!(
                        part,
                        "Part stopped unexpectedly; shutting the process down"
                    ),
                    Err(error) => tracing::error!(
                        part,
                        error = format!("{error:#}"),
                        "Part failed; shutting the process down"
                    ),
                }
                shutdown.cancel();
            } else {
                tracing::info!(part, "Stopped");
            }
            if let (Err(e), None) = (result, &first_error) {
                first_error = Some(e.context(format!("the {part} failed")));
            }
        }
        // Jobs have stopped: Chromium goes too, with every process it started.
        browser.close().await;
        first_error.map_or(Ok(()), Err)
    }
}

/// A token cancelled on SIGTERM or Ctrl-C.
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(
                tokio::signal::unix::SignalKind::terminate(),
            ) {
                Ok(s) => s,
                Err(error) => {
                    tracing::error!(%error, "Cannot listen for SIGTERM; only Ctrl-C stops the process gracefully");
                    let _ = ctrl_c.await;
                    t.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("Shutdown asked: no new jobs; running jobs get time to reach a safe point");
        t.cancel();
    });
    token
}

/// Opens the store with every crate's tables in one ordered set of migrations (the jobs', the
/// filings', the vault's) and the filings' projection registered on it.
pub async fn connect_store(
    url: &str,
    webhook_urls: Vec<String>,
) -> Result<Store, jobs::StoreError> {
    filings::connect(url, webhook_urls, &[&crate::vault::MIGRATOR]).await
}
