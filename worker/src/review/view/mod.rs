//! What the review page reads, as typed rows: the one place that knows `filings::Filing`, its
//! `review` JSON, the prefill's input and the store calls that fetch them. Templates and
//! decisions take these rows and never walk JSON themselves.

mod asked;
mod history;

pub use asked::{Asked, Correction};
pub use history::{EventRow, events};

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{FilingState, JobId, OpcoId, ReasonCode};
use filings::{Filing, FilingStore};
use jobs::{Store, StoreError};
use serde_json::Value;

/// An OPCO's name from its slug (the slug itself when unknown).
pub fn opco_name(slug: &str) -> String {
    OpcoId::from_slug(slug).map_or_else(|_| slug.to_owned(), |o| o.name().to_owned())
}

/// A `YYYY-MM-DD` date the French way, or as written when it is not one.
pub fn date_fr(iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map_or_else(|_| iso.to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

fn age(since: DateTime<Utc>) -> String {
    let minutes = (Utc::now() - since).num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes} min"),
        60..1440 => format!("{} h", minutes / 60),
        _ => format!("{} j", minutes / 1440),
    }
}

/// The last day to file on time, where the OPCO has a rule.
fn deadline(filing: &Filing) -> Option<NaiveDate> {
    let opco = OpcoId::from_slug(&filing.opco).ok()?;
    let rule = portals::script(opco)?.facts().rules.deadline?;
    let start = NaiveDate::parse_from_str(&filing.start_date, "%Y-%m-%d").ok()?;
    Some(rule.last_day(start))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A filing waiting for a person, as listed.
pub struct WaitingRow {
    pub id: JobId,
    pub opco: String,
    pub siret: String,
    pub trainee: String,
    pub start: String,
    pub deadline: Option<NaiveDate>,
    pub waiting: String,
    pub state: FilingState,
    /// For a granted filing, what the portal awaits of the employer, with its last day.
    pub after_agreement: Option<String>,
}

/// One of the latest filings, as listed.
pub struct RecentRow {
    pub id: JobId,
    pub opco: String,
    pub trainee: String,
    pub action: String,
    pub state: FilingState,
    pub dossier: Option<String>,
    pub portal_label: Option<String>,
    pub overdue: bool,
}

/// A polling round stopped by a portal's code.
pub struct CodeRound {
    pub job: JobId,
    pub opco: String,
    pub account: String,
    pub message: String,
}

/// The list page: who waits, oldest first, the latest filings, and the rounds asking a code.
pub struct Lists {
    pub waiting: Vec<WaitingRow>,
    pub recent: Vec<RecentRow>,
    pub rounds: Vec<CodeRound>,
}

/// Reads the list page; any store error is returned, never an empty list.
pub async fn lists(store: &Store) -> Result<Lists, StoreError> {
    let waiting = store.filings_awaiting_staff(200).await?;
    let recent = store.recent_filings(30).await?;
    let rounds = store
        .list(&jobs::ListFilter {
            state: Some(jobs::JobState::NeedsHuman),
            kind: Some(jobs::JobKind::PollStatus),
            before: None,
            limit: 50,
        })
        .await?;
    Ok(Lists {
        waiting: waiting
            .iter()
            .map(|f| WaitingRow {
                id: f.id,
                opco: opco_name(&f.opco),
                siret: f.company_siret.clone(),
                trainee: f.trainee.clone(),
                start: date_fr(&f.start_date),
                deadline: deadline(f),
                waiting: age(f.created_at),
                state: f.state,
                after_agreement: agreement_ask(f).map(|ask| {
                    let what = if ask.start {
                        "Démarrage à confirmer sur le portail"
                    } else {
                        "Financement à accepter sur le portail"
                    };
                    match ask.deadline {
                        Some(d) => format!("{what} avant le {d}"),
                        None => what.to_owned(),
                    }
                }),
            })
            .collect(),
        recent: recent
            .into_iter()
            .map(|f| RecentRow {
                id: f.id,
                opco: opco_name(&f.opco),
                trainee: f.trainee,
                action: f.action_title,
                state: f.state,
                dossier: f.dossier,
                portal_label: f.portal_label,
                overdue: f.overdue_since.is_some(),
            })
            .collect(),
        rounds: rounds
            .into_iter()
            .filter_map(|job| {
                let error = job.error.filter(|e| {
                    ReasonCode::of(Some(&e.code)) == Some(ReasonCode::TwoFactorCodeNeeded)
                })?;
                let field = |k: &str| job.input.get(k).map(text).unwrap_or_default();
                Some(CodeRound {
                    job: job.id,
                    opco: opco_name(&field("opco")),
                    account: field("account"),
                    message: error.message,
                })
            })
            .collect(),
    })
}

/// One field as the portal kept it, beside what was asked.
pub struct KeptRow {
    pub label: String,
    pub asked: String,
    pub kept: String,
    pub same: bool,
}

/// A screenshot staff may see, and where the recording keeps it.
pub struct Image {
    pub label: String,
    pub path: PathBuf,
}

/// The OPCOs staff may choose from when the SIRET did not tell.
pub struct OpcoChoice {
    pub company: String,
    /// Candidates with why they are.
    pub candidates: Vec<(OpcoId, String)>,
    /// The portals the fleet files on.
    pub automated: Vec<OpcoId>,
}

/// A filing as its page shows it.
pub struct FilingView {
    pub id: JobId,
    pub trainee: String,
    pub action: String,
    pub opco: String,
    pub siret: String,
    pub start: String,
    pub state: FilingState,
    pub state_message: Option<String>,
    pub dossier: Option<String>,
    pub portal_label: Option<String>,
    pub warnings: Vec<String>,
    pub deadline: Option<NaiveDate>,
    pub kept: Vec<KeptRow>,
    /// The portal's list of requests as seen right after a submit of unknown outcome.
    pub list_after_submit: Option<Vec<String>>,
    pub images: Vec<Image>,
    /// Set when the filing waits for staff to choose its OPCO.
    pub opco_choice: Option<OpcoChoice>,
    /// The tries the portal said a refused code has left (`Some(0)`: only a new code helps).
    pub code_tries_left: Option<u32>,
    /// What the portal asks of the employer after the agreement, while it awaits it.
    pub agreement: Option<AgreementAsk>,
}

/// The employer's action a granted filing's portal awaits after the agreement.
pub struct AgreementAsk {
    /// `true`: confirm the start (Uniformation); `false`: accept the offer (Afdas).
    pub start: bool,
    /// The last day the portal gave, `jj/mm/aaaa`.
    pub deadline: Option<String>,
    /// Staff already asked the worker to do it (its job is the filing's current one).
    pub asked: bool,
}

impl FilingView {
    /// Whether the portal was read holding something else than what was asked.
    pub fn kept_mismatch(&self) -> bool {
        self.kept.iter().any(|k| !k.same)
    }
}

fn automated(review: &Value) -> Vec<OpcoId> {
    review
        .get("automated_portals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("opco").and_then(Value::as_str))
        .filter_map(|s| OpcoId::from_slug(s).ok())
        .collect()
}

fn opco_choice(filing: &Filing, review: &Value) -> Option<OpcoChoice> {
    (ReasonCode::of(filing.state_code.as_deref()) == Some(ReasonCode::OpcoUnresolved)).then(|| {
        OpcoChoice {
            company: review
                .pointer("/company/name")
                .map(text)
                .unwrap_or_default(),
            candidates: review
                .get("candidates")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    let opco = OpcoId::from_slug(c.get("opco")?.as_str()?).ok()?;
                    Some((
                        opco,
                        strings(c.get("because")).collect::<Vec<_>>().join(", "),
                    ))
                })
                .collect(),
            automated: automated(review),
        }
    })
}

fn images(filing: &Filing, review: &Value) -> Vec<Image> {
    let mut out: Vec<Image> = strings(review.get("final_screenshots"))
        .enumerate()
        .map(|(i, s)| Image {
            label: format!("Page {} telle que le portail l'affiche", i + 1),
            path: s.into(),
        })
        .collect();
    if let Some(s) = review.get("screenshot").and_then(Value::as_str) {
        out.push(Image {
            label: "Page du portail au moment de l'arrêt".into(),
            path: s.into(),
        });
    }
    if let Some(receipt) = &filing.receipt {
        out.push(Image {
            label: "Accusé de dépôt du portail".into(),
            path: receipt.into(),
        });
    }
    out
}

/// What staff must do on the portal after an agreement that asks something more of the
/// employer, with the last day the portal gave: confirm the start (Uniformation) or accept the
/// offer (Afdas's « Accepter un financement »).
fn after_agreement(filing: &Filing) -> Option<String> {
    let ask = agreement_ask(filing)?;
    let by = ask
        .deadline
        .map_or_else(String::new, |d| format!(" avant le {d}"));
    Some(if ask.start {
        format!(
            "Accord reçu : le démarrage de l'action doit être confirmé sur le portail de l'OPCO{by}, sinon le dossier est clos."
        )
    } else {
        format!(
            "Accord reçu : l'employeur doit accepter le financement sur le portail de l'OPCO (« Accepter un financement »){by}, sinon l'accord est annulé."
        )
    })
}

/// The action the portal awaits after the agreement, read from the filing's portal status.
fn agreement_ask(filing: &Filing) -> Option<AgreementAsk> {
    if filing.state != FilingState::Granted {
        return None;
    }
    let status = filing.portal_status.as_ref()?;
    let start = match status.get("status").and_then(Value::as_str)? {
        "start_to_confirm" => true,
        "offer_to_accept" => false,
        _ => return None,
    };
    Some(AgreementAsk {
        start,
        deadline: status.get("deadline").and_then(Value::as_str).map(date_fr),
        asked: false,
    })
}

/// The filing's page as typed rows.
pub fn filing_view(filing: &Filing) -> FilingView {
    let review = filing.review.clone().unwrap_or(Value::Null);
    let field = |v: &Value, k: &str| v.get(k).map(text).unwrap_or_default();
    FilingView {
        id: filing.id,
        trainee: filing.trainee.clone(),
        action: filing.action_title.clone(),
        opco: opco_name(&filing.opco),
        siret: filing.company_siret.clone(),
        start: date_fr(&filing.start_date),
        state: filing.state,
        state_message: filing.state_message.clone(),
        dossier: filing.dossier.clone(),
        portal_label: filing.portal_label.clone(),
        warnings: review
            .get("warnings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|w| field(w, "message"))
            .chain(after_agreement(filing))
            .collect(),
        deadline: deadline(filing),
        kept: review
            .get("kept")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|k| KeptRow {
                label: field(k, "label"),
                asked: field(k, "asked"),
                kept: field(k, "kept"),
                same: k.get("same").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect(),
        list_after_submit: review
            .get("after_submit")
            .map(|a| strings(a.get("list")).map(str::to_owned).collect()),
        images: images(filing, &review),
        opco_choice: opco_choice(filing, &review),
        code_tries_left: review
            .get("code_tries_left")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        agreement: agreement_ask(filing),
    }
}

/// A filing's page by id: `None` when there is no such filing.
pub async fn filing(store: &Store, id: JobId) -> Result<Option<FilingView>, StoreError> {
    Ok(store.filing(id).await?.as_ref().map(filing_view))
}

/// A filing's page and what its prefill was asked: `None` when there is no such filing.
pub async fn filing_and_asked(
    store: &Store,
    id: JobId,
) -> Result<Option<(FilingView, Asked)>, StoreError> {
    let Some(filing) = store.filing(id).await? else {
        return Ok(None);
    };
    let Some(prefill) = store.get(id).await? else {
        return Ok(None);
    };
    let mut view = filing_view(&filing);
    if let Some(ask) = &mut view.agreement {
        ask.asked = store
            .get(filing.current_job_id)
            .await?
            .is_some_and(|job| job.kind == jobs::JobKind::ActOnAgreement);
    }
    Ok(Some((view, Asked::from_prefill_input(&prefill.input))))
}
