//! `poll_status`: one login on a client's account, one reading of the list of its requests, and
//! every followed dossier of that account takes its portal status. Changes are stored with their
//! history and sent as `filing.state_changed` webhooks by the store; a dossier unanswered past its
//! OPCO's usual delay is flagged. A status wording the script does not know stops the round for a
//! person (`portal_changed`): it is never guessed.

use std::sync::Arc;

use domain::OpcoId;
use domain::outcome::{PollResult, PolledChangeView};
use filings::{FilingStore, PolledStatus};
use futures::future::BoxFuture;
use jobs::{FieldError, Handler, JobContext, JobError, Outcome, Store};
use serde_json::Value;

use super::portal::{Done, PortalRunner, Work, done, outcome_of, two_factor_code, without_code};

/// The input of a `poll_status` job.
type PollInput = domain::outcome::PollInput;

/// The `poll_status` handler.
pub struct PollStatus {
    runner: Arc<PortalRunner>,
    store: Store,
}

impl PollStatus {
    /// On the shared portal runner; changes go to `store`.
    pub fn new(runner: Arc<PortalRunner>, store: Store) -> Self {
        Self { runner, store }
    }

    fn parse(&self, input: &Value) -> Result<(OpcoId, String), Vec<FieldError>> {
        let parsed: PollInput = super::parse_input(input)?;
        let opco = self
            .runner
            .check_portal(&parsed.opco)
            .map_err(|e| vec![FieldError::new("input.opco", e)])?;
        if parsed.account.trim().is_empty() {
            return Err(vec![FieldError::new(
                "input.account",
                "le compte client est vide",
            )]);
        }
        Ok((opco, parsed.account))
    }
}

impl Handler for PollStatus {
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>> {
        self.parse(input).map(|_| ())
    }

    fn scrub_input(&self, input: &Value) -> Option<Value> {
        without_code(input)
    }

    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>> {
        let parsed = self.parse(&input);
        let runner = Arc::clone(&self.runner);
        let store = self.store.clone();
        Box::pin(async move {
            let (opco, account_id) = parsed.map_err(|f| super::invalid_input(&f))?;
            let account = match runner.account(opco, &account_id).await {
                Ok(a) => a,
                Err(outcome) => return outcome,
            };
            let (result, recordings) = runner
                .run(&ctx, opco, account, two_factor_code(&input), Work::Statuses)
                .await?;
            let dossiers = match result {
                Ok(Done::Statuses(dossiers)) => dossiers,
                Ok(_) => {
                    return Err(JobError::permanent(
                        "internal",
                        "Réponse inattendue de la session.",
                    ));
                }
                Err(e) => return outcome_of(e, &recordings),
            };
            let polled: Vec<PolledStatus> = dossiers
                .iter()
                .filter_map(|d| {
                    Some(PolledStatus {
                        dossier: d.dossier.clone(),
                        state: d.status.filing_state()?,
                        status: serde_json::to_value(&d.status).unwrap_or(Value::Null),
                        label: d.label.clone(),
                    })
                })
                .collect();
            let usual_days = portals::script(opco).and_then(|s| s.facts().rules.usual_answer_days);
            let changes = store
                .apply_polled_statuses(opco.slug(), &account_id, &polled, usual_days)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "Cannot store the statuses read");
                    JobError::retryable(
                        "store_unavailable",
                        "Les statuts lus n'ont pas pu être enregistrés (base indisponible) ; nouvel essai plus tard.",
                    )
                })?;
            tracing::info!(
                portal = opco.slug(),
                dossiers = polled.len(),
                changes = changes.len(),
                "Statuses read"
            );
            Ok(done(PollResult::Read {
                dossiers_on_portal: polled.len(),
                changes: changes
                    .iter()
                    .map(|c| PolledChangeView {
                        filing_id: c.filing_id,
                        dossier: c.dossier.clone(),
                        from: c.from,
                        to: c.to,
                        what: c.action.as_str().to_owned(),
                    })
                    .collect(),
                recordings,
            }))
        })
    }
}
