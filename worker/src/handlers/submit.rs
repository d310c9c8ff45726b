//! `submit_filing`: queued when staff confirm a prefilled filing on the review page. Logs in,
//! looks for the request again (a retry after a crash finds it filed and records its dossier
//! instead of filing twice), checks every value on the portal against the filing as confirmed,
//! submits, and keeps the portal's dossier number and a screenshot of its acknowledgement. Any
//! difference sends the filing back to review; nothing is submitted then.

use std::sync::Arc;

use domain::OpcoId;
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome};
use portals::{Filing, PortalError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::portal::{Done, PortalRunner, Work, outcome_of, two_factor_code, without_code};

/// The input of a `submit_filing` job (written by the review page on confirm).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitInput {
    /// The filing (its prefill job's id).
    #[allow(dead_code)]
    filing_id: String,
    /// The OPCO whose portal holds the draft.
    opco: String,
    /// The filing as staff confirmed it.
    filing: Filing,
    /// A code the portal sent, typed by staff (one run only).
    #[serde(default)]
    #[allow(dead_code)]
    two_factor_code: Option<String>,
}

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
        let parsed: SubmitInput = serde_json::from_value(input.clone())
            .map_err(|e| vec![FieldError::new("input", format!("entrée invalide : {e}"))])?;
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
            let (opco, filing) = parsed.map_err(|f| {
                JobError::permanent("invalid_input", format!("entrée invalide : {f:?}"))
            })?;
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
                    Ok(Outcome::Done(json!({
                        "dossier": submitted.dossier,
                        "receipt": submitted.receipt_screenshot.display().to_string(),
                        "recordings": recordings,
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
                    Ok(Outcome::Done(json!({
                        "dossier": dossier,
                        "already_filed": true,
                        "recordings": recordings,
                    })))
                }
                Err(PortalError::ValuesDiffer {
                    differences,
                    screenshot,
                }) => Ok(super::portal::not_kept(
                    "values_differ",
                    "Rien n'a été déposé : le portail ne montre pas les valeurs confirmées",
                    &differences,
                    screenshot.as_deref(),
                    &recordings,
                )),
                // The final submit was pressed and no acknowledgement was read: never say
                // nothing was filed. A person checks; a retry searches the portal first.
                Err(PortalError::FiledUnknown { after, screenshot }) => {
                    tracing::warn!(portal = opco.slug(), reason = %after.reason, "Submit pressed, outcome unknown; a person checks");
                    let reference = match (&after.reference, after.reference_recognised) {
                        (Some(r), true) => format!(
                            " La liste du portail montre pour cette demande le dossier n° {r}."
                        ),
                        (Some(r), false) => format!(
                            " La liste du portail montre pour cette demande la référence « {r} », d'un format que l'automate ne connaît pas."
                        ),
                        (None, _) => String::new(),
                    };
                    Ok(Outcome::NeedsHuman(
                        json!({
                            "after_submit": {
                                "reason": after.reason,
                                "reference": after.reference,
                                "reference_recognised": after.reference_recognised,
                                "list": after.list,
                            },
                            "screenshot": screenshot.map(|p| p.display().to_string()),
                            "recordings": recordings,
                        }),
                        JobError::permanent(
                            "filed_unknown",
                            format!(
                                "Déposé ou non : à vérifier. Le bouton de dépôt a été pressé mais l'accusé de dépôt n'a pas pu être lu.{reference} Ne redéposez pas à la main : regardez la liste des demandes sur le portail (capture et liste jointes). « Relancer » recherche le dossier sur le portail et l'enregistre, sans redéposer."
                            ),
                        ),
                    ))
                }
                Err(e) => outcome_of(e, &recordings),
            }
        })
    }
}
