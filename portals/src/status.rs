//! Our model of a request's life on a portal; each portal's wording maps onto it.

use chrono::NaiveDate;
use domain::{Euros, FilingState};
use serde::{Deserialize, Serialize};

/// The kinds of status, as written in the facts files' wording maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    Draft,
    Filed,
    InReview,
    DocumentsRequested,
    Granted,
    /// Granted, and the employer must confirm the start on the portal before a date or the file
    /// closes (Uniformation).
    StartToConfirm,
    /// Granted, and the employer must accept the offer on the portal before a date (Afdas's
    /// « Accepter un financement »).
    OfferToAccept,
    Refused,
    StartConfirmed,
    /// The offer accepted on the portal (after [`StatusKind::OfferToAccept`]).
    OfferAccepted,
    Completed,
    Invoiced,
    Paid,
    Closed,
    Cancelled,
    Lapsed,
}

/// Where a request stands on the portal (DOMAIN.md §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PortalStatus {
    Draft,
    Filed,
    InReview,
    DocumentsRequested {
        what: Option<String>,
    },
    /// Possibly a partial amount.
    Granted {
        amount: Option<Euros>,
    },
    Refused {
        reason: Option<String>,
    },
    /// Granted, the start still to be confirmed on the portal by `deadline` (the first date the
    /// portal's comment gives) or the file closes; `note` is that comment.
    StartToConfirm {
        amount: Option<Euros>,
        deadline: Option<NaiveDate>,
        note: Option<String>,
    },
    /// Granted, the offer still to be accepted on the portal by `deadline` (the first date of
    /// the portal's comment); `note` is that comment.
    OfferToAccept {
        amount: Option<Euros>,
        deadline: Option<NaiveDate>,
        note: Option<String>,
    },
    StartConfirmed,
    OfferAccepted,
    Completed,
    Invoiced,
    Paid,
    Closed,
    Cancelled,
    Lapsed,
}

impl PortalStatus {
    /// The status of this kind with the details read beside it.
    pub fn from_kind(kind: StatusKind, amount: Option<Euros>, comment: Option<String>) -> Self {
        match kind {
            StatusKind::Draft => Self::Draft,
            StatusKind::Filed => Self::Filed,
            StatusKind::InReview => Self::InReview,
            StatusKind::DocumentsRequested => Self::DocumentsRequested { what: comment },
            StatusKind::Granted => Self::Granted { amount },
            StatusKind::Refused => Self::Refused { reason: comment },
            StatusKind::StartToConfirm => Self::StartToConfirm {
                amount,
                deadline: comment.as_deref().and_then(first_date_fr),
                note: comment,
            },
            StatusKind::OfferToAccept => Self::OfferToAccept {
                amount,
                deadline: comment.as_deref().and_then(first_date_fr),
                note: comment,
            },
            StatusKind::StartConfirmed => Self::StartConfirmed,
            StatusKind::OfferAccepted => Self::OfferAccepted,
            StatusKind::Completed => Self::Completed,
            StatusKind::Invoiced => Self::Invoiced,
            StatusKind::Paid => Self::Paid,
            StatusKind::Closed => Self::Closed,
            StatusKind::Cancelled => Self::Cancelled,
            StatusKind::Lapsed => Self::Lapsed,
        }
    }
}

impl PortalStatus {
    /// Our filing state for a dossier the portal shows this way; `None` for a draft, which is
    /// not a filed dossier yet.
    pub fn filing_state(&self) -> Option<FilingState> {
        Some(match self {
            Self::Draft => return None,
            Self::Filed | Self::InReview => FilingState::Submitted,
            Self::DocumentsRequested { .. } => FilingState::DocumentsRequested,
            Self::Granted { .. }
            | Self::StartToConfirm { .. }
            | Self::OfferToAccept { .. }
            | Self::StartConfirmed
            | Self::OfferAccepted
            | Self::Completed
            | Self::Invoiced
            | Self::Paid
            | Self::Closed => FilingState::Granted,
            Self::Refused { .. } => FilingState::Rejected,
            Self::Cancelled | Self::Lapsed => FilingState::Cancelled,
        })
    }
}

impl PortalStatus {
    /// Whether the employer must still act on the portal after the agreement (confirm the start,
    /// accept the offer) or it lapses.
    pub fn awaits_employer(&self) -> bool {
        matches!(
            self,
            Self::StartToConfirm { .. } | Self::OfferToAccept { .. }
        )
    }

    /// Whether that action after the agreement is done on the portal.
    pub fn employer_acted(&self) -> bool {
        matches!(self, Self::StartConfirmed | Self::OfferAccepted)
    }
}

/// The first `jj/mm/aaaa` date of a text, if any.
fn first_date_fr(text: &str) -> Option<NaiveDate> {
    let re = regex::Regex::new(r"\b(\d{2})/(\d{2})/(\d{4})\b").ok()?;
    let c = re.captures(text)?;
    NaiveDate::from_ymd_opt(c[3].parse().ok()?, c[2].parse().ok()?, c[1].parse().ok()?)
}

/// One dossier of the account as read on the portal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierStatus {
    pub dossier: String,
    pub trainee: String,
    pub action: String,
    /// The portal's own words.
    pub label: String,
    pub status: PortalStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_to_confirm_keeps_the_first_date_of_its_comment_as_its_deadline() {
        let note = "Démarrage à confirmer avant le 09/03/2027, sinon la DAF sera close".to_owned();
        let s = PortalStatus::from_kind(StatusKind::StartToConfirm, None, Some(note.clone()));
        assert_eq!(
            s,
            PortalStatus::StartToConfirm {
                amount: None,
                deadline: NaiveDate::from_ymd_opt(2027, 3, 9),
                note: Some(note),
            }
        );
        assert_eq!(s.filing_state(), Some(FilingState::Granted));
        let none =
            PortalStatus::from_kind(StatusKind::StartToConfirm, None, Some("31/02/2027".into()));
        assert!(
            matches!(none, PortalStatus::StartToConfirm { deadline: None, .. }),
            "{none:?}"
        );
    }

    #[test]
    fn an_offer_to_accept_is_granted_with_the_last_day_of_its_comment() {
        let note = "Acceptez le financement sur MyA avant le 15/01/2027".to_owned();
        let s = PortalStatus::from_kind(
            StatusKind::OfferToAccept,
            Euros::parse("1 800,00").ok(),
            Some(note),
        );
        assert!(
            matches!(&s, PortalStatus::OfferToAccept { deadline: Some(d), amount: Some(_), .. }
                if *d == NaiveDate::from_ymd_opt(2027, 1, 15).unwrap()),
            "{s:?}"
        );
        assert_eq!(s.filing_state(), Some(FilingState::Granted));
    }
}
