//! A filing's history, in French: who did what, when.

use chrono::Local;
use domain::JobId;
use filings::FilingStore;
use jobs::{Store, StoreError};

use crate::settings::ReviewSettings;

/// One line of the history.
pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub state: String,
    pub detail: String,
}

/// The filing's history, oldest first; a store error is returned, never an empty history.
pub async fn events(
    store: &Store,
    settings: &ReviewSettings,
    id: JobId,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(store
        .filing_events(id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: e
                .at
                .with_timezone(&Local)
                .format("%d/%m/%Y %H:%M:%S")
                .to_string(),
            actor: actor_label(settings, &e.actor),
            action: action_label(&e.action).to_owned(),
            state: e.to_state.label_fr().to_owned(),
            detail: e.detail.unwrap_or_default(),
        })
        .collect())
}

fn actor_label(settings: &ReviewSettings, actor: &str) -> String {
    match actor.strip_prefix("staff:") {
        Some(login) => settings
            .staff
            .iter()
            .find(|s| s.login == login)
            .map_or_else(|| login.to_owned(), |s| format!("{} ({login})", s.name)),
        None => match actor {
            "worker" => "Automate".into(),
            "poller" => "Suivi des statuts".into(),
            "api" => "Système amont".into(),
            other => other.into(),
        },
    }
}

fn action_label(action: &str) -> &str {
    match action {
        "created" => "Demande reçue",
        "working" => "Travail en cours",
        "prefilled" => "Prérempli sur le portail",
        "code_requested" => "Code demandé par le portail",
        "needs_attention" => "Arrêt : à examiner",
        "values_differ" => "Valeurs différentes sur le portail",
        "filed_unknown" => "Déposé ou non : à vérifier",
        "confirmed" => "Dépôt confirmé",
        "refused" => "Dépôt refusé",
        "corrected" => "Valeurs corrigées",
        "code_entered" => "Code saisi",
        "retried" => "Relancé",
        "submitted" => "Déposé sur le portail",
        "status_changed" => "Statut changé sur le portail",
        "overdue" => "Sans réponse dans le délai habituel",
        "missing_on_portal" => "Dossier introuvable sur le portail",
        "failed" => "Échec",
        "cancelled" => "Annulé",
        "opco_resolved" => "OPCO déterminé d'après le SIRET",
        "opco_chosen" => "OPCO choisi",
        other => other,
    }
}
