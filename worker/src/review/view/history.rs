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

/// What staff read for a history entry; a code this version does not know is shown as stored.
fn action_label(action: &str) -> &str {
    match filings::Action::parse(action) {
        Some(known) => known.label_fr(),
        None => action,
    }
}
