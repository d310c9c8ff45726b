//! What happens to a filing, as its history, its webhooks and the review page name it, and the
//! staff decisions that can be refused.

use serde::Serialize;

macro_rules! actions {
    ($($variant:ident => $code:literal, $fr:literal;)*) => {
        /// One entry of a filing's history. Its code is stored and sent in webhooks; its label is
        /// what staff read.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in the order of a filing's life.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The code stored in the history and sent in webhooks.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $code,)*
                }
            }

            /// What staff read in the history.
            pub fn label_fr(self) -> &'static str {
                match self {
                    $(Action::$variant => $fr,)*
                }
            }

            /// The action of a stored code; `None` for a code this version does not know.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Created => "created", "Demande reçue";
    Working => "working", "Travail en cours";
    Prefilled => "prefilled", "Prérempli sur le portail";
    CodeRequested => "code_requested", "Code demandé par le portail";
    NeedsAttention => "needs_attention", "Arrêt : à examiner";
    ValuesDiffer => "values_differ", "Valeurs différentes sur le portail";
    FiledUnknown => "filed_unknown", "Déposé ou non : à vérifier";
    Confirmed => "confirmed", "Dépôt confirmé";
    Refused => "refused", "Dépôt refusé";
    Corrected => "corrected", "Valeurs corrigées";
    CodeEntered => "code_entered", "Code saisi";
    Retried => "retried", "Relancé";
    Submitted => "submitted", "Déposé sur le portail";
    StatusChanged => "status_changed", "Statut changé sur le portail";
    Overdue => "overdue", "Sans réponse dans le délai habituel";
    MissingOnPortal => "missing_on_portal", "Dossier introuvable sur le portail";
    Failed => "failed", "Échec";
    Cancelled => "cancelled", "Annulé";
    OpcoResolved => "opco_resolved", "OPCO déterminé d'après le SIRET";
    OpcoChosen => "opco_chosen", "OPCO choisi";
    AgreementConfirmed => "agreement_confirmed", "Action après l'accord confirmée par l'équipe";
    AgreementDone => "agreement_done", "Action après l'accord faite sur le portail";
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decision staff take on the review page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Refuse,
    Correct,
    EnterCode,
    Retry,
    ChooseOpco,
    ActOnAgreement,
}

impl Decision {
    /// Its name as the review page's button says it.
    pub fn label_fr(self) -> &'static str {
        match self {
            Decision::Confirm => "confirmer",
            Decision::Refuse => "refuser",
            Decision::Correct => "corriger",
            Decision::EnterCode => "saisir le code",
            Decision::Retry => "relancer",
            Decision::ChooseOpco => "choisir l'OPCO",
            Decision::ActOnAgreement => "faire l'action après l'accord",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label_fr())
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn every_action_reads_back_from_its_stored_code_and_has_a_french_label() {
        for &a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
            assert!(!a.label_fr().is_empty());
            assert_ne!(a.label_fr(), a.as_str(), "{a}: staff read French words");
        }
        assert_eq!(Action::parse("teleported"), None);
    }
}
