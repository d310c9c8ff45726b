//! `resolve_company`: from a SIRET to the company, its OPCO (or the candidates for a person to
//! choose) and what can be filed, through the "Recherche d'entreprises" API with the store's
//! cache and the fleet's shared pace.

use std::time::Duration;

use anyhow::Context;
use companies::{Client, ClientConfig, CompanyLookup, LookupConfig, LookupError, Pace, Tables};
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome, Store};
use serde::Deserialize;
use serde_json::Value;

use crate::settings::Settings;

/// The company lookup of this process, as configured, over the store's cache and pace.
pub fn company_lookup(settings: &Settings, store: &Store) -> anyhow::Result<CompanyLookup> {
    let c = &settings.company_lookup;
    let tables = match &c.idcc_table {
        Some(path) => Tables::with_primary_file(path)
            .map_err(|e| anyhow::anyhow!("company_lookup.idcc_table: {e}"))?,
        None => Tables::bundled().clone(),
    };
    let client = Client::new(ClientConfig {
        base_url: c.base_url.clone(),
        timeout: Duration::from_millis(c.timeout_ms),
        retries: c.retries,
        min_delay: Duration::from_millis(c.retry_min_delay_ms),
        max_delay: Duration::from_millis(c.retry_max_delay_ms),
    })
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot build the company lookup's HTTP client")?;
    Ok(CompanyLookup::new(
        client,
        Pace::new(store.pool().clone(), c.max_per_second),
        store.pool().clone(),
        tables,
        LookupConfig {
            max_age: Duration::from_secs(c.max_age_hours.saturating_mul(3600)),
            ..LookupConfig::default()
        },
    ))
}

/// A lookup failure as a job error: the retry decision comes from the lookup's error.
pub fn job_error(e: &LookupError) -> JobError {
    if e.is_retryable() {
        JobError::retryable(e.code(), e.message_fr())
    } else {
        JobError::permanent(e.code(), e.message_fr())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveInput {
    siret: String,
}

fn parse(input: &Value) -> Result<domain::Siret, Vec<FieldError>> {
    let parsed: ResolveInput = serde_json::from_value(input.clone()).map_err(|e| {
        vec![FieldError::new(
            "input",
            format!(
                "{} (attendu {{\"siret\": \"14 chiffres\"}})",
                super::serde_error_fr(&e)
            ),
        )]
    })?;
    domain::Siret::parse(&parsed.siret).map_err(|e| {
        vec![FieldError::new(
            "input.siret",
            format!("SIRET invalide : {e}"),
        )]
    })
}

/// The `resolve_company` handler.
pub struct ResolveCompany {
    lookup: CompanyLookup,
}

impl ResolveCompany {
    /// On this process's lookup.
    pub fn new(lookup: CompanyLookup) -> Self {
        Self { lookup }
    }
}

impl Handler for ResolveCompany {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        parse(input).map(|_| ())
    }

    fn run(&self, _ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let lookup = self.lookup.clone();
        Box::pin(async move {
            let siret = parse(&input).map_err(|f| {
                JobError::permanent(
                    "invalid_input",
                    f.first().map(|f| f.message.clone()).unwrap_or_default(),
                )
            })?;
            let company = lookup.resolve(&siret).await.map_err(|e| job_error(&e))?;
            tracing::info!(
                resolution = ?company.resolution,
                opco = company.opco.map(|o| o.slug()),
                from_cache = company.from_cache,
                "Company resolved"
            );
            let value = serde_json::to_value(&company)
                .map_err(|e| JobError::permanent("internal", e.to_string()))?;
            Ok(Outcome::Done(value))
        })
    }
}
