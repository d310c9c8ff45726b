//! The answer of `GET /search?q=…`, as the API documents it. Only what the fleet reads is typed;
//! a field of the wrong type, or a missing required one, makes the whole answer malformed rather
//! than a half-read company.

use serde::{Deserialize, Serialize};

/// The body of a search answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SearchAnswer {
    /// The companies found (legal units), best match first.
    pub results: Vec<ApiResult>,
    /// How many companies match in all.
    pub total_results: u64,
    /// This page's number.
    #[serde(default)]
    pub page: Option<u64>,
    /// Results per page.
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Pages in all.
    #[serde(default)]
    pub total_pages: Option<u64>,
}

/// One company (unité légale).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApiResult {
    /// 9 digits.
    pub siren: String,
    /// The name as the register writes it in full.
    pub nom_complet: String,
    /// NAF code of the company's main activity.
    #[serde(default)]
    pub activite_principale: Option<String>,
    /// INSEE headcount band code of the company ("12" = 20 to 49 employees).
    #[serde(default)]
    pub tranche_effectif_salarie: Option<String>,
    /// The year the band was measured.
    #[serde(default)]
    pub annee_tranche_effectif_salarie: Option<String>,
    /// "A" active, "C" ceased.
    #[serde(default)]
    pub etat_administratif: Option<String>,
    /// When the company ceased, if it did.
    #[serde(default)]
    pub date_fermeture: Option<String>,
    /// The head office.
    pub siege: ApiEstablishment,
    /// The establishments that match the query (the one of the SIRET asked).
    #[serde(default)]
    pub matching_etablissements: Vec<ApiEstablishment>,
    /// Facts from other registers.
    #[serde(default)]
    pub complements: Complements,
}

/// One establishment (the head office or a matching one).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApiEstablishment {
    /// 14 digits.
    pub siret: String,
    /// The establishment's collective agreements, as declared in the DSN.
    #[serde(default)]
    pub liste_idcc: Option<Vec<String>>,
    /// NAF code of the establishment's activity.
    #[serde(default)]
    pub activite_principale: Option<String>,
    /// The postal address on one line.
    #[serde(default)]
    pub adresse: Option<String>,
    /// "A" open, "F" closed.
    #[serde(default)]
    pub etat_administratif: Option<String>,
    /// When it closed, if it did (YYYY-MM-DD).
    #[serde(default)]
    pub date_fermeture: Option<String>,
    /// Whether this is the head office.
    #[serde(default)]
    pub est_siege: Option<bool>,
    /// INSEE headcount band code of the establishment.
    #[serde(default)]
    pub tranche_effectif_salarie: Option<String>,
}

/// Facts the API gathers from other registers.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Complements {
    /// Whether the company declared a training activity (it has an NDA).
    #[serde(default)]
    pub est_organisme_formation: Option<bool>,
    /// Whether it holds the Qualiopi certification.
    #[serde(default)]
    pub est_qualiopi: Option<bool>,
    /// Its NDA numbers (numéros de déclaration d'activité).
    #[serde(default)]
    pub liste_id_organisme_formation: Option<Vec<String>>,
    /// Every collective agreement of the company's establishments.
    #[serde(default)]
    pub liste_idcc: Option<Vec<String>>,
}
