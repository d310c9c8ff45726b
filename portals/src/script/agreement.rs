//! The employer's action after an agreement (Uniformation's start confirmation, Afdas's
//! « Accepter un financement »), made once: the dossier's status is read first (done already:
//! nothing is clicked), every control of the step is accounted for, and after the validating
//! click only the portal's own words say it is done.

use std::path::PathBuf;

use browser::locator::{Locator, Role, TableRow, normalize_label};

use super::{PortalScript, finish};
use crate::error::{HumanInput, PermanentReason, PortalError};
use crate::facts::AgreementAction;
use crate::session::{Flow, Session, Stop, Value};
use crate::status::{DossierStatus, PortalStatus};

/// The portal's answer to the employer's action after an agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementDone {
    /// The dossier.
    pub dossier: String,
    /// Its status as the portal's list shows it afterwards (or before, when it was done).
    pub status: PortalStatus,
    /// The portal's wording of that status.
    pub label: String,
    /// Found done before anything was clicked (an earlier attempt, or a person on the portal).
    pub already_done: bool,
    /// The portal's page once done.
    pub screenshot: Option<PathBuf>,
}

/// A dossier's row, with its status read.
struct Listed {
    status: DossierStatus,
    href: Option<String>,
}

impl PortalScript {
    /// Performs on the portal what the agreement of `dossier` (an establishment `siret`'s) asks
    /// of the employer, exactly once. A portal with no such action, or a dossier in another
    /// status, is [`PermanentReason::NoAgreementAction`]; validated and not shown done is
    /// [`HumanInput::AgreementUnknown`], never « not done ».
    pub async fn act_on_agreement(
        &self,
        session: &mut Session<'_>,
        dossier: &str,
        siret: &str,
    ) -> Result<AgreementDone, PortalError> {
        let Some(action) = &self.facts.agreement else {
            return Err(PortalError::Permanent {
                reason: PermanentReason::NoAgreementAction {
                    dossier: dossier.to_owned(),
                    status: String::new(),
                },
                screenshot: None,
            });
        };
        // A second login runs the flow again, which reads the status before anything else.
        with_relogin!(
            self,
            session,
            self.agreement_flow(session, action, dossier, siret)
        )
    }

    async fn listed(
        &self,
        s: &mut Session<'_>,
        dossier: &str,
        siret: &str,
    ) -> Flow<Option<Listed>> {
        let rows = self.list_rows(s, siret).await?;
        let row: Option<&TableRow> = rows.iter().find(|r| {
            r.cell(&self.facts.list.reference)
                .and_then(|c| self.dossier_re.find(c))
                .is_some_and(|m| m.as_str() == dossier)
        });
        let Some(row) = row else {
            return Ok(None);
        };
        match (self.read_status)(row, &self.facts, &self.dossier_re) {
            Ok(Some(status)) => Ok(Some(Listed {
                status,
                href: row.links.first().map(|a| a.href.clone()),
            })),
            Ok(None) => Ok(None),
            Err(what) => Err(s.changed(what).await),
        }
    }

    async fn agreement_flow(
        &self,
        s: &mut Session<'_>,
        action: &AgreementAction,
        dossier: &str,
        siret: &str,
    ) -> Flow<AgreementDone> {
        let facts = &self.facts;
        s.set_step("agreement/find dossier");
        let listed = self.listed(s, dossier, siret).await?;
        let Some(listed) = listed else {
            return Err(s
                .permanent(PermanentReason::NoAgreementAction {
                    dossier: dossier.to_owned(),
                    status: String::new(),
                })
                .await);
        };
        if listed.status.status.employer_acted() {
            let screenshot = s.snapshot("agreement already done", None).await;
            return Ok(AgreementDone {
                dossier: dossier.to_owned(),
                status: listed.status.status,
                label: listed.status.label,
                already_done: true,
                screenshot,
            });
        }
        if !listed.status.status.awaits_employer() {
            return Err(s
                .permanent(PermanentReason::NoAgreementAction {
                    dossier: dossier.to_owned(),
                    status: listed.status.label,
                })
                .await);
        }
        let Some(href) = listed.href else {
            return Err(s
                .changed(format!("the row of dossier {dossier} has no link"))
                .await);
        };
        s.set_step("agreement/open dossier");
        s.goto(facts, &href).await?;
        // A button on a single-page app, a link or a form's button on a server-rendered one.
        let role = if s
            .present(Locator::role(Role::Link, action.button.as_str()))
            .await
        {
            Role::Link
        } else {
            Role::Button
        };
        s.expect(facts, Locator::role(role, action.button.as_str()))
            .await?;
        s.click_step(facts, role, &action.button, None).await?;
        s.set_step("agreement/attest");
        s.expect_heading(facts, &action.dialog_title).await?;
        s.fill(facts, &action.attestation, &Value::Check(true), false)
            .await?;
        // Every control of the step: the ticked box, nothing else holding a value or asked.
        let attestation = normalize_label(&action.attestation);
        let controls = s.controls().await?;
        let ticked = controls
            .iter()
            .any(|c| normalize_label(&c.label) == attestation && c.filled);
        if !ticked {
            return Err(s
                .changed(format!("«{}» is not ticked", action.attestation))
                .await);
        }
        if let Some(other) = controls
            .iter()
            .find(|c| normalize_label(&c.label) != attestation && (c.filled || c.required))
        {
            return Err(s
                .changed(format!(
                    "the step «{}» has a control the script does not know: «{}»",
                    action.dialog_title, other.label
                ))
                .await);
        }
        s.final_screenshot("avant-action-accord").await?;
        s.commit_to_submit()?;
        // From this click on, the action may be done: only the portal's words say what came of it.
        let clicked = s
            .click_step(facts, Role::Button, &action.validate, None)
            .await;
        let shown = match clicked {
            Ok(()) => s.deep_text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if normalize_label(&shown).contains(&normalize_label(&action.done_marker)) {
            let screenshot = Some(s.final_screenshot("action-accord-faite").await?);
            // The list says the status it now holds; the page said done, which stands if the
            // list cannot be read.
            let status = match self.listed(s, dossier, siret).await {
                Ok(Some(l)) if l.status.status.employer_acted() => Some(l.status),
                _ => None,
            };
            return Ok(done(dossier, status, screenshot, facts));
        }
        // Not shown done: the dossier's status decides, or a person does.
        s.set_step("agreement/after validation");
        let screenshot = s.snapshot("agreement outcome unknown", None).await;
        if let Ok(Some(l)) = self.listed(s, dossier, siret).await
            && l.status.status.employer_acted()
        {
            return Ok(done(dossier, Some(l.status), screenshot, facts));
        }
        Err(Stop::Fail(PortalError::NeedsHuman {
            step: s.step().to_owned(),
            ask: HumanInput::AgreementUnknown {
                dossier: dossier.to_owned(),
                reason: match clicked {
                    Ok(()) => format!(
                        "«{}» was pressed and the portal did not say «{}»",
                        action.validate, action.done_marker
                    ),
                    Err(Stop::Fail(e)) => format!("«{}» was pressed: {e}", action.validate),
                    Err(Stop::Expired) => format!(
                        "the portal ended the session right after «{}»",
                        action.validate
                    ),
                },
            },
            screenshot,
        }))
    }
}

/// Done now, with the status the list shows, or the done status of the wording map.
fn done(
    dossier: &str,
    listed: Option<DossierStatus>,
    screenshot: Option<PathBuf>,
    facts: &crate::facts::Facts,
) -> AgreementDone {
    let (status, label) = match listed {
        Some(l) => (l.status, l.label),
        None => facts
            .statuses
            .iter()
            .find(|(_, k)| {
                matches!(
                    k,
                    crate::status::StatusKind::StartConfirmed
                        | crate::status::StatusKind::OfferAccepted
                )
            })
            .map(|(label, k)| (PortalStatus::from_kind(*k, None, None), label.clone()))
            .unwrap_or((PortalStatus::StartConfirmed, String::new())),
    };
    AgreementDone {
        dossier: dossier.to_owned(),
        status,
        label,
        already_done: false,
        screenshot,
    }
}
