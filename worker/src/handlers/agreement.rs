//! `act_on_agreement`: queued when staff confirm on the review page the action a granted
//! filing's portal asks of the employer after the agreement (Uniformation's start confirmation,
//! Afdas's « Accepter un financement »). Logs in, reads the dossier's status first (done already,
//! by an earlier attempt or by hand: recorded, nothing clicked), performs the action once and
//! records the portal's new status; validated and not shown done goes to a person, never « not
//! done ».

use std::sync::Arc;

use domain::OpcoId;
use domain::outcome::{AgreementActed, AgreementInput};
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use serde_json::Value;

use super::portal::{Done, PortalRunner, Work, done, outcome_of, two_factor_code, without_code};

/// The `act_on_agreement` handler.
pub struct ActOnAgreement {
    runner: Arc<PortalRunner>,
}

impl ActOnAgreement {
    /// On the shared portal runner.
    pub fn new(runner: Arc<PortalRunner>) -> Self {
        Self { runner }
    }

    fn parse(&self, input: &Value) -> Result<(OpcoId, AgreementInput), Vec<FieldError>> {
        let parsed: AgreementInput = super::parse_input(input)?;
        let opco = self
            .runner
            .check_portal(&parsed.opco)
            .map_err(|e| vec![FieldError::new("input.opco", e)])?;
        if parsed.dossier.trim().is_empty() {
            return Err(vec![FieldError::new(
                "input.dossier",
                "le numéro de dossier du portail manque",
            )]);
        }
        Ok((opco, parsed))
    }
}

impl Handler for ActOnAgreement {
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
            let (opco, parsed) = parsed.map_err(|f| super::invalid_input(&f))?;
            let account = match runner.account(opco, &parsed.account).await {
                Ok(a) => a,
                Err(outcome) => return outcome,
            };
            let (result, recordings) = runner
                .run(
                    &ctx,
                    opco,
                    account,
                    two_factor_code(&input),
                    Work::Agreement {
                        dossier: parsed.dossier.clone(),
                        siret: parsed.siret.clone(),
                    },
                )
                .await?;
            match result {
                Ok(Done::Agreement(acted)) => {
                    // The portal has it done; we have not saved it yet.
                    crate::failpoint::hit("after_portal_agreement");
                    tracing::info!(portal = opco.slug(), dossier = %acted.dossier, already_done = acted.already_done, label = %acted.label, "Action after the agreement done");
                    Ok(done(AgreementActed {
                        dossier: acted.dossier,
                        portal_status: serde_json::to_value(&acted.status).unwrap_or(Value::Null),
                        portal_label: acted.label,
                        already_done: acted.already_done,
                        screenshot: acted.screenshot.map(|p| p.display().to_string()),
                        recordings,
                    }))
                }
                Ok(_) => Err(JobError::permanent(
                    "internal",
                    "Réponse inattendue de la session.",
                )),
                Err(e) => outcome_of(e, &recordings),
            }
        })
    }
}
