//! Where a funding request stands, from the first prefill to the OPCO's answer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The life of a filing. Staff act on `ReadyForReview`, `NeedsInput` and `NeedsAttention`; the
/// OPCO's answer moves it from `Submitted` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingState {
    /// A worker is filling the request on the portal (or will again, after a fault).
    Prefilling,
    /// The portal asked for something only a person has (a code sent by e-mail).
    NeedsInput,
    /// The portal did not look as expected, asked for a CAPTCHA, or refused: a person looks.
    NeedsAttention,
    /// The draft is filled on the portal; staff check it and confirm or refuse.
    ReadyForReview,
    /// Staff refused it: nothing was submitted.
    RefusedByStaff,
    /// Staff confirmed; a worker is submitting it.
    Submitting,
    /// The final submit was pressed and the portal's acknowledgement could not be read: filed
    /// or not, a person checks the portal; a retry searches it before anything else.
    FiledUnknown,
    /// The portal gave a dossier number; waiting for the OPCO.
    Submitted,
    /// The OPCO asks for more documents.
    DocumentsRequested,
    /// The OPCO granted the funding.
    Granted,
    /// The OPCO refused the funding.
    Rejected,
    /// Cancelled or lapsed on the portal.
    Cancelled,
}

impl FilingState {
    /// Every state, in the order of a filing's life.
    pub const ALL: [FilingState; 12] = [
        Self::Prefilling,
        Self::NeedsInput,
        Self::NeedsAttention,
        Self::ReadyForReview,
        Self::RefusedByStaff,
        Self::Submitting,
        Self::FiledUnknown,
        Self::Submitted,
        Self::DocumentsRequested,
        Self::Granted,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Prefilling => "prefilling",
            Self::NeedsInput => "needs_input",
            Self::NeedsAttention => "needs_attention",
            Self::ReadyForReview => "ready_for_review",
            Self::RefusedByStaff => "refused_by_staff",
            Self::Submitting => "submitting",
            Self::FiledUnknown => "filed_unknown",
            Self::Submitted => "submitted",
            Self::DocumentsRequested => "documents_requested",
            Self::Granted => "granted",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    /// The words staff read on the review page.
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Prefilling => "Préremplissage en cours",
            Self::NeedsInput => "Code de vérification attendu",
            Self::NeedsAttention => "À examiner",
            Self::ReadyForReview => "Prêt pour relecture",
            Self::RefusedByStaff => "Refusé par l'équipe",
            Self::Submitting => "Dépôt en cours",
            Self::FiledUnknown => "Déposé ou non : à vérifier",
            Self::Submitted => "Déposé, en attente de l'OPCO",
            Self::DocumentsRequested => "Pièces demandées",
            Self::Granted => "Accordé",
            Self::Rejected => "Refusé par l'OPCO",
            Self::Cancelled => "Annulé",
        }
    }

    /// Whether a person must act before anything else happens.
    pub const fn awaits_staff(self) -> bool {
        matches!(
            self,
            Self::NeedsInput | Self::NeedsAttention | Self::ReadyForReview | Self::FiledUnknown
        )
    }

    /// Whether the dossier is on the portal and its status is worth reading again.
    pub const fn is_followed(self) -> bool {
        matches!(self, Self::Submitted | Self::DocumentsRequested)
    }
}

impl fmt::Display for FilingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown filing state `{0}`")]
pub struct UnknownFilingState(pub String);

impl FromStr for FilingState {
    type Err = UnknownFilingState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownFilingState(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_match_serde() {
        for state in FilingState::ALL {
            assert_eq!(state.as_str().parse::<FilingState>().unwrap(), state);
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state.as_str())
            );
        }
        assert!("accordé".parse::<FilingState>().is_err());
    }

    #[test]
    fn only_the_states_where_a_person_acts_await_staff() {
        let waiting: Vec<_> = FilingState::ALL
            .into_iter()
            .filter(|s| s.awaits_staff())
            .collect();
        assert_eq!(
            waiting,
            [
                FilingState::NeedsInput,
                FilingState::NeedsAttention,
                FilingState::ReadyForReview,
                FilingState::FiledUnknown
            ]
        );
    }
}
