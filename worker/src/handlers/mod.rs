//! Job handlers, one module per kind, and the registry of those this build has. The API refuses a
//! kind with no handler here, so no job is accepted that could not run.

pub mod company;
pub mod documents;
pub mod identity;
pub mod poll;
pub mod portal;
pub mod prefill;
mod probe;
pub mod routing;
pub mod submit;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use jobs::{JobKind, Registry, Store};

use crate::settings::Settings;

/// The one Chromium of this process, launched on first use and shared by the document and portal
/// jobs (each job works in a fresh incognito context of its own).
pub struct SharedBrowser {
    config: browser::BrowserConfig,
    browser: tokio::sync::OnceCell<browser::Browser>,
}

impl SharedBrowser {
    /// Not launched yet.
    pub fn new(config: browser::BrowserConfig) -> Self {
        Self {
            config,
            browser: tokio::sync::OnceCell::new(),
        }
    }

    /// Closes Chromium if it was launched, waiting for its processes (on shutdown).
    pub async fn close(&self) {
        if let Some(browser) = self.browser.get()
            && let Err(error) = browser.close().await
        {
            tracing::warn!(%error, "Chromium did not close cleanly");
        }
    }

    /// The browser, launching it if needed.
    pub async fn get(&self) -> Result<&browser::Browser, jobs::JobError> {
        self.browser
            .get_or_try_init(|| browser::Browser::launch(self.config.clone()))
            .await
            .map_err(|e| {
                jobs::JobError::retryable(
                    "browser_unavailable",
                    format!("Chromium n'a pas démarré : {e}"),
                )
            })
    }
}

/// The browser configuration of this process.
pub fn browser_config(settings: &Settings) -> browser::BrowserConfig {
    browser::BrowserConfig {
        chromium_path: settings.browser.chromium_path.clone(),
        call_timeout: Duration::from_millis(settings.browser.call_timeout_ms),
        recycle_after_pages: Some(settings.browser.recycle_after_pages.max(1)),
        ..browser::BrowserConfig::default()
    }
}

/// The document renderer of this process.
pub fn renderer(settings: &Settings) -> anyhow::Result<::documents::Renderer> {
    ::documents::Renderer::new(::documents::RendererConfig {
        templates_dir: settings.documents.templates_dir.clone(),
        vat_exempt: settings.documents.vat_exempt,
        ..Default::default()
    })
    .context("cannot load the document templates (documents.templates_dir)")
}

fn smtp_config(settings: &Settings) -> anyhow::Result<Option<::documents::SmtpConfig>> {
    let Some(m) = &settings.smtp else {
        return Ok(None);
    };
    let security = match m.security.as_str() {
        "starttls" => ::documents::SmtpSecurity::StartTls,
        "tls" => ::documents::SmtpSecurity::Tls,
        "none" => ::documents::SmtpSecurity::None,
        other => anyhow::bail!("smtp.security is `{other}`: use starttls, tls or none"),
    };
    Ok(Some(::documents::SmtpConfig {
        host: m.host.clone(),
        port: m.port,
        security,
        username: m.username.clone(),
        password: m.password.clone(),
        from: m.from.clone(),
        timeout: Duration::from_secs(60),
    }))
}

/// The handlers of this build, as configured.
pub fn registry(
    settings: &Settings,
    store: &Store,
    browser: &Arc<SharedBrowser>,
    vault: &crate::vault::Vault,
    politeness: &crate::politeness::Politeness,
) -> anyhow::Result<Registry> {
    let browser = Arc::clone(browser);
    let docs = Arc::new(documents::DocumentsService::new(
        renderer(settings)?,
        Arc::clone(&browser),
        &settings.data_dir,
    ));
    let runner = Arc::new(portal::PortalRunner::new(
        settings,
        Arc::clone(&browser),
        vault.clone(),
        politeness.clone(),
    ));
    let lookup = company::company_lookup(settings, store)?;
    let mut registry = Registry::default()
        .with(JobKind::Probe, probe::Probe)
        .with(
            JobKind::PrefillFiling,
            prefill::PrefillFiling::new(Arc::clone(&runner), lookup.clone(), store.clone()),
        )
        .with(
            JobKind::SubmitFiling,
            submit::SubmitFiling::new(Arc::clone(&runner)),
        )
        .with(
            JobKind::PollStatus,
            poll::PollStatus::new(runner, store.clone()),
        )
        .with(
            JobKind::CheckIdentityDocument,
            identity::CheckIdentityDocument,
        )
        .with(
            JobKind::RenderDocuments,
            documents::RenderDocuments(Arc::clone(&docs)),
        )
        .with(
            JobKind::ResolveCompany,
            company::ResolveCompany::new(lookup),
        );
    if let Some(smtp) = smtp_config(settings)? {
        registry = registry.with(
            JobKind::SendDocuments,
            documents::SendDocuments {
                service: docs,
                smtp,
                store: store.clone(),
            },
        );
    }
    Ok(registry)
}
