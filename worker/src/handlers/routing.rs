//! A `prefill_filing` without `opco`: the OPCO is resolved from the company's SIRET before the
//! portal is opened; one that cannot be resolved waits for staff (`needs_human`, code
//! `opco_unresolved`) with the candidates, and staff choose it on the review page. The provider's
//! SIRET is checked too: an open training organisation whose NDA list holds the filing's NDA.

use companies::{CompanyLookup, Resolution};
use domain::NeedsHuman;
use domain::OpcoId;
use domain::outcome::{AutomatedPortal, PrefillResult, Unresolved, Warning};
use filings::FilingStore;
use jobs::{JobContext, JobError, Outcome, Store};
use portals::Filing;
use serde_json::json;

use super::portal::waiting;

use super::company::job_error;
use super::portal::PortalRunner;

/// Resolves the OPCO of a filing that came without one. `Ok(Err(outcome))` is the job's outcome
/// when a person must choose.
pub async fn resolve_opco(
    ctx: &JobContext,
    store: &Store,
    lookup: &CompanyLookup,
    runner: &PortalRunner,
    filing: &Filing,
) -> Result<Result<OpcoId, Outcome>, JobError> {
    let company = lookup
        .resolve(&filing.company.siret)
        .await
        .map_err(|e| job_error(&e))?;
    if company.resolution == Resolution::Closed {
        return Err(JobError::permanent(
            "company_closed",
            company
                .reason
                .clone()
                .unwrap_or_else(|| "L'établissement de l'entreprise est fermé.".into()),
        ));
    }
    let automated: Vec<AutomatedPortal> = OpcoId::ALL
        .into_iter()
        .filter(|o| runner.check_portal(o.slug()).is_ok())
        .map(|o| AutomatedPortal {
            opco: o,
            name: o.name().to_owned(),
        })
        .collect();
    let for_staff = |reason: String| {
        tracing::info!(resolution = ?company.resolution, "The company's OPCO is not resolved; waiting for staff");
        Ok(Err(waiting(
            PrefillResult::Unresolved(Unresolved {
                company: json!({
                    "siret": company.siret, "name": company.name, "naf": company.naf,
                    "idcc": company.idcc, "warnings": company.warnings,
                }),
                candidates: json!(company.candidates),
                automated_portals: automated.clone(),
                reason: reason.clone(),
            }),
            NeedsHuman::OpcoUnresolved { reason },
        )))
    };
    let opco = match (company.resolution, company.opco) {
        (Resolution::Resolved, Some(opco)) => opco,
        _ => {
            let reason = company.reason.clone().unwrap_or_else(|| {
                "L'OPCO de l'entreprise n'a pas pu être déterminé : choisissez-le.".into()
            });
            return for_staff(format!("OPCO à choisir : {reason}"));
        }
    };
    if let Err(why) = runner.check_portal(opco.slug()) {
        return for_staff(format!(
            "L'entreprise relève de {} ({why}) : choisissez un autre portail ou déposez à la main.",
            opco.name()
        ));
    }
    let because = company
        .candidates
        .first()
        .map(|c| c.because.join(", "))
        .or_else(|| {
            company
                .idcc
                .iter()
                .map(|l| format!("IDCC {}", l.route.idcc))
                .reduce(|a, b| format!("{a}, {b}"))
        })
        .unwrap_or_default();
    let detail = format!("{} ({because})", opco.name());
    if !store
        .route_filing(ctx.job_id, &ctx.worker_id, opco.slug(), &detail)
        .await
        .map_err(|e| JobError::retryable("store_unavailable", e.to_string()))?
    {
        return Err(JobError::retryable(
            "lease_lost",
            "La tâche a été reprise par un autre automate.",
        ));
    }
    tracing::info!(
        portal = opco.slug(),
        "Filing routed from the company's SIRET"
    );
    Ok(Ok(opco))
}

/// Warnings on the filing's provider, from its SIRET: not a training organisation, NDA not
/// declared, not Qualiopi, closed. The check never stops a filing: a lookup that fails is a
/// warning too.
pub async fn provider_warnings(lookup: &CompanyLookup, filing: &Filing) -> Vec<Warning> {
    match lookup.resolve(&filing.provider.siret).await {
        Ok(provider) => provider
            .provider_warnings(&filing.provider.nda)
            .into_iter()
            .map(|w| Warning {
                code: w.code.to_string(),
                message: w.message.to_string(),
            })
            .collect(),
        Err(e) => vec![Warning {
            code: "provider_unchecked".into(),
            message: format!(
                "Le SIRET du prestataire n'a pas pu être vérifié : {}",
                e.message_fr()
            ),
        }],
    }
}

/// The provider check started beside the portal run, waited for a little once the portal is
/// done: a slow directory delays the review by at most a few seconds, never the filing itself.
pub async fn provider_check_result(check: tokio::task::JoinHandle<Vec<Warning>>) -> Vec<Warning> {
    let abort = check.abort_handle();
    match tokio::time::timeout(std::time::Duration::from_secs(3), check).await {
        Ok(Ok(warnings)) => warnings,
        Ok(Err(_)) | Err(_) => {
            abort.abort();
            vec![Warning {
                code: "provider_unchecked".into(),
                message: "Le SIRET du prestataire n'a pas pu être vérifié à temps (annuaire des entreprises lent ou injoignable) : vérifiez-le à la main.".into(),
            }]
        }
    }
}
