//! What the client asked, read from the prefill job's input (`input.filing`).

use std::path::PathBuf;

use domain::Euros;
use serde_json::Value;

use super::{date_fr, text};

/// The attachments a filing carries: key in the request, French name.
pub const ATTACHMENTS: [(&str, &str); 3] = [
    ("quote", "Devis"),
    ("programme", "Programme"),
    ("agreement", "Convention"),
];

/// The filing as the upstream system asked for it.
pub struct Asked(Value);

/// The values staff may correct, as the form shows them.
pub struct Correction {
    pub hours: String,
    pub cost: String,
    pub start: String,
    pub end: String,
}

impl Asked {
    /// From the prefill job's input.
    pub fn from_prefill_input(input: &Value) -> Self {
        Self(input.get("filing").cloned().unwrap_or(Value::Null))
    }

    /// Whether the request is known at all (a filing created without one is not).
    pub fn is_known(&self) -> bool {
        !self.0.is_null()
    }

    /// The request itself, to be corrected and sent again.
    pub fn json(&self) -> &Value {
        &self.0
    }

    fn at(&self, pointer: &str) -> String {
        self.0.pointer(pointer).map(text).unwrap_or_default()
    }

    fn cost(&self) -> Option<Euros> {
        self.0
            .pointer("/action/cost_ht")
            .and_then(Value::as_i64)
            .map(Euros::from_cents)
    }

    fn yes_no(&self, pointer: &str) -> String {
        let yes = self.0.pointer(pointer).and_then(Value::as_bool) == Some(true);
        if yes { "Oui" } else { "Non" }.to_owned()
    }

    /// Each asked value with its French label.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SIRET de l'entreprise", self.at("/company/siret")),
            ("Compte client OPCO", self.at("/company/opco_account")),
            ("Nom du stagiaire", self.at("/trainee/last_name")),
            ("Prénoms", self.at("/trainee/first_names")),
            (
                "Date de naissance",
                date_fr(&self.at("/trainee/birth_date")),
            ),
            ("Emploi occupé", self.at("/trainee/job_title")),
            ("Contrat", self.at("/trainee/contract").to_uppercase()),
            ("Intitulé de l'action", self.at("/action/title")),
            ("Début", date_fr(&self.at("/action/start"))),
            ("Fin", date_fr(&self.at("/action/end"))),
            ("Durée (heures)", self.at("/action/hours")),
            ("Modalité", self.at("/action/modality")),
            (
                "Coût HT",
                self.cost().map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("Organisme prestataire", self.at("/provider/name")),
            ("SIRET du prestataire", self.at("/provider/siret")),
            ("N° de déclaration d'activité", self.at("/provider/nda")),
            ("Certifié Qualiopi", self.yes_no("/provider/qualiopi")),
            ("Subrogation demandée", self.yes_no("/subrogation")),
        ]
    }

    /// The values the correction form starts from.
    pub fn correction(&self) -> Correction {
        Correction {
            hours: self.at("/action/hours"),
            cost: self.cost().map(|c| c.to_string()).unwrap_or_default(),
            start: self.at("/action/start"),
            end: self.at("/action/end"),
        }
    }

    /// The attachments the request carries, of [`ATTACHMENTS`].
    pub fn attachments(&self) -> Vec<(&'static str, &'static str)> {
        ATTACHMENTS
            .into_iter()
            .filter(|(key, _)| self.attachment(key).is_some())
            .collect()
    }

    /// Where the request's attachment of that key was stored.
    pub fn attachment(&self, key: &str) -> Option<PathBuf> {
        ATTACHMENTS.iter().find(|(k, _)| *k == key)?;
        self.0
            .get("attachments")?
            .get(key)?
            .as_str()
            .map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asked_values_are_shown_the_french_way() {
        let asked = Asked::from_prefill_input(&serde_json::json!({ "filing": {
            "trainee": { "birth_date": "1985-04-12", "contract": "cdi" },
            "action": { "hours": 24, "cost_ht": 180_050, "start": "2027-03-02" },
            "provider": { "qualiopi": true },
            "attachments": { "quote": "/data/devis.pdf", "other": "/etc/passwd" }
        }}));
        let rows = asked.rows();
        let get = |k: &str| rows.iter().find(|(l, _)| *l == k).unwrap().1.clone();
        assert_eq!(get("Date de naissance"), "12/04/1985");
        assert_eq!(get("Contrat"), "CDI");
        assert_eq!(get("Durée (heures)"), "24");
        assert_eq!(get("Coût HT"), "1\u{202f}800,50\u{a0}€");
        assert_eq!(get("Certifié Qualiopi"), "Oui");
        assert_eq!(get("Subrogation demandée"), "Non");
        assert_eq!(asked.correction().cost, "1\u{202f}800,50\u{a0}€");
        assert_eq!(asked.attachments(), [("quote", "Devis")]);
        assert_eq!(asked.attachment("other"), None);
        assert!(!Asked::from_prefill_input(&Value::Null).is_known());
    }
}
