//! `prefill_filing`: logs into the client's account on its OPCO's portal, prefills the funding
//! request with its attachments, saves the draft and **stops before the final submit**. The job
//! then waits for a person (`needs_human`, code `ready_for_review`) with the screenshots of every
//! filled page in its recordings. A portal that does not look as expected stops the job with proof
//! (`needs_human`, code `portal_changed`, and the screenshot) instead of guessing.

use std::sync::Arc;

use domain::NeedsHuman;
use domain::OpcoId;
use domain::outcome::{Filed, PrefillResult, Prefilled, Warning};
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use portals::{Filing, PortalError};
use serde_json::Value;

use super::portal::{
    Done, PortalRunner, Work, done, kept_rows, not_kept, outcome_of, two_factor_code, waiting,
    without_code,
};
use super::routing;
use companies::CompanyLookup;
use jobs::Store;

/// The input of a `prefill_filing` job.
type PrefillInput = domain::outcome::PrefillInput<Filing>;

/// The `prefill_filing` handler.
pub struct PrefillFiling {
    runner: Arc<PortalRunner>,
    lookup: CompanyLookup,
    store: Store,
}

impl PrefillFiling {
    /// On the shared portal runner, routing filings without `opco` through the company lookup.
    pub fn new(runner: Arc<PortalRunner>, lookup: CompanyLookup, store: Store) -> Self {
        Self {
            runner,
            lookup,
            store,
        }
    }

    fn parse(&self, input: &Value) -> Result<(Option<OpcoId>, Filing), Vec<FieldError>> {
        parse(&self.runner, input)
    }
}

/// Reads the input and checks the filing (its attachments are read: call it off the runtime).
/// Without `opco`, only the filing is checked: the OPCO is resolved from the company's SIRET.
fn parse(
    runner: &PortalRunner,
    input: &Value,
) -> Result<(Option<OpcoId>, Filing), Vec<FieldError>> {
    let parsed: PrefillInput = super::parse_input(input)?;
    let opco = match &parsed.opco {
        Some(slug) => Some(runner.check_filing(slug, &parsed.filing)?),
        None => {
            parsed
                .filing
                .validate()
                .map_err(|e| vec![FieldError::new("input.filing", e.to_string())])?;
            None
        }
    };
    Ok((opco, parsed.filing))
}

impl Handler for PrefillFiling {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        self.parse(input).map(|_| ())
    }

    fn scrub_input(&self, input: &Value) -> Option<Value> {
        without_code(input)
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let runner = Arc::clone(&self.runner);
        let (lookup, store) = (self.lookup.clone(), self.store.clone());
        Box::pin(async move {
            let parsed = {
                let runner = Arc::clone(&runner);
                let input = input.clone();
                tokio::task::spawn_blocking(move || parse(&runner, &input))
                    .await
                    .map_err(|e| JobError::retryable("internal", e.to_string()))?
            };
            let (opco, filing) = parsed.map_err(|f| super::invalid_input(&f))?;
            let opco = match opco {
                Some(opco) => opco,
                None => match routing::resolve_opco(&ctx, &store, &lookup, &runner, &filing).await?
                {
                    Ok(opco) => opco,
                    Err(waiting) => return Ok(waiting),
                },
            };
            let provider_check = {
                let (lookup, filing) = (lookup.clone(), filing.clone());
                tokio::spawn(async move { routing::provider_warnings(&lookup, &filing).await })
            };
            let account = match runner.account(opco, &filing.company.opco_account).await {
                Ok(a) => a,
                Err(outcome) => return outcome,
            };
            let (result, recordings) = runner
                .run(
                    &ctx,
                    opco,
                    account,
                    two_factor_code(&input),
                    Work::Prefill(Box::new(filing)),
                )
                .await?;
            match result {
                Ok(Done::Prefilled(prefilled)) => {
                    let mut warnings: Vec<Warning> = prefilled
                        .warnings
                        .iter()
                        .map(|w| Warning {
                            code: w.code().to_owned(),
                            message: w.to_string(),
                        })
                        .collect();
                    warnings.extend(routing::provider_check_result(provider_check).await);
                    tracing::info!(
                        portal = opco.slug(),
                        pages = prefilled.final_screenshots.len(),
                        "Filing prefilled; waiting for review"
                    );
                    Ok(waiting(
                        PrefillResult::Prefilled(Prefilled {
                            opco,
                            draft_url: prefilled.draft_url,
                            resumed_draft: prefilled.resumed_draft,
                            final_screenshots: prefilled
                                .final_screenshots
                                .iter()
                                .map(|p| p.display().to_string())
                                .collect(),
                            warnings,
                            kept: kept_rows(&prefilled.kept),
                            recordings,
                        }),
                        NeedsHuman::ReadyForReview,
                    ))
                }
                Ok(_) => Err(JobError::permanent(
                    "internal",
                    "Réponse inattendue de la session.",
                )),
                // Already submitted for the same trainee and action (a retry after a crash, or
                // filed by hand): nothing more to fill; the filing follows that dossier.
                Err(PortalError::AlreadyFiled { dossier }) => {
                    Ok(done(PrefillResult::Filed(Filed {
                        dossier,
                        receipt: None,
                        already_filed: true,
                        recordings,
                    })))
                }
                // The portal did not keep what was typed, or holds a value nobody chose: the
                // prefill stops there and never reaches review.
                Err(PortalError::ValuesDiffer {
                    differences,
                    screenshot,
                }) => Ok(not_kept(
                    |differences| NeedsHuman::ValuesNotKept { differences },
                    &differences,
                    screenshot.as_deref(),
                    &recordings,
                )),
                Err(e) => outcome_of(e, &recordings),
            }
        })
    }
}
