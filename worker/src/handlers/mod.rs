//! Job handlers, one module per kind, and the registry of those this build has. The API refuses a
//! kind with no handler here, so no job is accepted that could not run.

pub mod agreement;
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
                tracing::error!(error = %e, "Chromium does not start");
                jobs::JobError::retryable("browser_unavailable", "Chromium n'a pas démarré.")
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
            JobKind::ActOnAgreement,
            agreement::ActOnAgreement::new(Arc::clone(&runner)),
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

/// Reads a job's input into its type; a refusal is told in French, field by field.
pub fn parse_input<T: serde::de::DeserializeOwned>(
    input: &serde_json::Value,
) -> Result<T, Vec<jobs::FieldError>> {
    serde_json::from_value(input.clone())
        .map_err(|e| vec![jobs::FieldError::new("input", serde_error_fr(&e))])
}

/// A serde error in the words a person reads (serde's own are English, with Rust type names).
pub fn serde_error_fr(e: &serde_json::Error) -> String {
    format!("entrée invalide : {}", serde_reason_fr(e))
}

/// What a serde error says, in French, without a lead.
pub fn serde_reason_fr(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Syntax => {
            return format!(
                "JSON mal formé (ligne {}, colonne {})",
                e.line(),
                e.column()
            );
        }
        serde_json::error::Category::Eof => return "JSON incomplet".to_owned(),
        serde_json::error::Category::Io => return "corps illisible".to_owned(),
        serde_json::error::Category::Data => {}
    }
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_owned();
    if text.starts_with("missing field") {
        format!("le champ « {} » manque", quoted(text))
    } else if text.starts_with("unknown field") {
        format!("le champ « {} » n'est pas attendu ici", quoted(text))
    } else if text.starts_with("unknown variant") {
        let allowed: Vec<&str> = text
            .split_once("expected")
            .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        format!(
            "la valeur « {} » n'est pas permise (valeurs permises : {})",
            quoted(text),
            allowed.join(", ")
        )
    } else if text.starts_with("invalid type") {
        "une valeur n'a pas le type attendu (texte, nombre, booléen, objet ou liste)".to_owned()
    } else if text.starts_with("invalid length") {
        "une liste n'a pas le nombre d'éléments attendu".to_owned()
    } else if text.starts_with("invalid value") {
        "une valeur n'est pas permise".to_owned()
    } else if text.contains("input") || text == "impossible" {
        // chrono's: a date that does not read as one.
        "une date n'est pas au format AAAA-MM-JJ ou n'existe pas".to_owned()
    } else {
        // A type's own parse error (SIRET, date…): its message is ours, in French.
        text.to_owned()
    }
}

/// A job's input refused when it runs: every field's reason, « champ : raison ; … ».
pub fn invalid_input(fields: &[jobs::FieldError]) -> jobs::JobError {
    let listed: Vec<String> = fields
        .iter()
        .map(|f| format!("{} : {}", f.field, f.message))
        .collect();
    jobs::JobError::permanent(
        "invalid_input",
        format!("Entrée invalide : {}.", listed.join(" ; ")),
    )
}
