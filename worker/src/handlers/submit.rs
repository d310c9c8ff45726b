//! `submit_filing`: queued when staff confirm a prefilled filing on the review page. Logs in,
//! looks for the request again (a retry after a crash finds it filed and records its dossier
//! instead of filing twice), checks every value on the portal against the filing as confirmed,
//! submits, and keeps the portal's dossier number and a screenshot of its acknowledgement. Any
//! difference sends the filing back to review; nothing is submitted then.

use std::sync::Arc;

use domain::NeedsHuman;
use domain::OpcoId;
use domain::outcome::{AfterSubmit, Filed, FiledUnknown, SubmitResult};
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use portals::{Filing, PortalError};
use serde_json::Value;

use super::portal::{
    Done, PortalRunner, Work, done, not_kept, outcome_of, two_factor_code, waiting, without_code,
};

/// The input of a `submit_filing` job (written by the staff decision on confirm).
type SubmitInput = domain::outcome::SubmitInput<Filing>;

/// The `submit_filing` handler.
pub struct SubmitFiling {
    runner: Arc<PortalRunner>,
}

impl SubmitFiling {
    /// On the shared portal runner.
    pub fn new(runner: Arc<PortalRunner>) -> Self {
        Self { runner }
    }

    fn parse(&self, input: &Value) -> Result<(OpcoId, Filing), Vec<FieldError>> {
        let parsed: SubmitInput = super::parse_input(input)?;
        let opco = self.runner.check_filing(&parsed.opco, &parsed.filing)?;
        Ok((opco, parsed.filing))
    }
}

impl Handler for SubmitFiling {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        self.parse(input).map(|_| ())
    }

    fn scrub_input(&self, input: &Value) -> Option<Value> {
        without_code(input)
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let parsed = self.parse(&input);
        let runner = Arc::clone(&self.runner);
        Box::pin(async move {
            let (opco, filing) = parsed.map_err(|f| super::invalid_input(&f))?;
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
                    Work::Submit(Box::new(filing)),
                )
                .await?;
            match result {
                Ok(Done::Submitted(submitted)) => {
                    // The portal has the dossier; we have not saved it yet.
                    crate::failpoint::hit("after_portal_submit");
                    tracing::info!(portal = opco.slug(), dossier = %submitted.dossier, "Filing submitted");
                    Ok(done(SubmitResult::Filed(Filed {
                        dossier: submitted.dossier,
                        receipt: Some(submitted.receipt_screenshot.display().to_string()),
                        already_filed: false,
                        recordings,
                    })))
                }
                Ok(_) => Err(JobError::permanent(
                    "internal",
                    "Réponse inattendue de la session.",
                )),
                // Found filed before submitting: an earlier attempt submitted and died before
                // saying so. Record that dossier; never file again.
                Err(PortalError::AlreadyFiled { dossier }) => {
                    tracing::info!(portal = opco.slug(), %dossier, "Filing found already submitted; recording its dossier");
                    Ok(done(SubmitResult::Filed(Filed {
                        dossier,
                        receipt: None,
                        already_filed: true,
                        recordings,
                    })))
                }
                Err(PortalError::ValuesDiffer {
                    differences,
                    screenshot,
                }) => Ok(not_kept(
                    |differences| NeedsHuman::ValuesDiffer { differences },
                    &differences,
                    screenshot.as_deref(),
                    &recordings,
                )),
                // The final submit was pressed and no acknowledgement was read: never say
                // nothing was filed. A person checks; a retry searches the portal first.
                Err(PortalError::FiledUnknown { after, screenshot }) => {
                    tracing::warn!(portal = opco.slug(), reason = %after.reason, "Submit pressed, outcome unknown; a person checks");
                    let reason = NeedsHuman::FiledUnknown {
                        reference: after.reference.clone(),
                        reference_recognised: after.reference_recognised,
                    };
                    Ok(waiting(
                        SubmitResult::FiledUnknown(FiledUnknown {
                            after_submit: AfterSubmit {
                                reason: after.reason,
                                reference: after.reference,
                                reference_recognised: after.reference_recognised,
                                list: after.list,
                            },
                            screenshot: screenshot.map(|p| p.display().to_string()),
                            recordings,
                        }),
                        reason,
                    ))
                }
                Err(e) => outcome_of(e, &recordings),
            }
        })
    }
}
