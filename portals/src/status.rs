//! Our model of a request's life on a portal; each portal's wording maps onto it.

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
    Refused,
    StartConfirmed,
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
    StartConfirmed,
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
            StatusKind::StartConfirmed => Self::StartConfirmed,
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
            | Self::StartConfirmed
            | Self::Completed
            | Self::Invoiced
            | Self::Paid
            | Self::Closed => FilingState::Granted,
            Self::Refused { .. } => FilingState::Rejected,
            Self::Cancelled | Self::Lapsed => FilingState::Cancelled,
        })
    }
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
