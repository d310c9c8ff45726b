//! What the fleet says of a company: who it is, whether it is open, its headcount band, whether it
//! trains, its collective agreements and its OPCO (or the candidates for a person to choose), with
//! where each fact came from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::{Idcc, Nda, OpcoId, Siret};
use serde::Serialize;

use crate::api::{ApiEstablishment, SearchAnswer};
use crate::error::LookupError;
use crate::routing::{CROSS_CHECK, IdccRoute, IdccVerdict, Tables};

/// Where the company's routing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// One OPCO.
    Resolved,
    /// No OPCO follows (only "no collective agreement", 9998/9999).
    NoOpco,
    /// A person must choose among the candidates (shared IDCC, several OPCOs, no or unknown IDCC).
    NeedsChoice,
    /// The establishment (or the company) is closed: nothing is filed for it.
    Closed,
}

/// A warning for staff, with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable, snake_case.
    pub code: String,
    /// In French.
    pub message: String,
}

impl Warning {
    fn new(code: &str, message: String) -> Self {
        Self {
            code: code.to_owned(),
            message,
        }
    }
}

/// An OPCO a person may choose, and why it is a candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Its slug.
    pub opco: OpcoId,
    /// Its name.
    pub name: String,
    /// The IDCC that lead to it, and from which table.
    pub because: Vec<String>,
}

/// The headcount band of the company.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Headcount {
    /// The INSEE band code ("12"), as the register gives it.
    pub band: Option<String>,
    /// The band in words.
    pub label: Option<String>,
    /// The year it was measured (the register lags by a year or more).
    pub year: Option<String>,
    /// Under 50 employees (the PDC pooled funds); `None` when the band is unknown.
    pub under_50: Option<bool>,
}

/// What the company declares as a training provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrainingOrganisation {
    /// It declared a training activity; `None` when the answer does not say.
    pub is_training_organisation: Option<bool>,
    /// It holds Qualiopi; `None` when the answer does not say.
    pub qualiopi: Option<bool>,
    /// Its NDA numbers.
    pub nda: Vec<String>,
}

/// One collective agreement of the establishment and what the tables say of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdccLine {
    /// The agreement on 4 digits, and what the tables say.
    #[serde(flatten)]
    pub route: IdccRoute,
}

/// Where each fact came from: a path in the API's answer or a table's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sources {
    pub api: String,
    pub name: String,
    pub address: String,
    pub naf: String,
    pub open: String,
    pub headcount: String,
    pub training_organisation: String,
    pub idcc: Option<String>,
    pub opco: Vec<String>,
}

/// The company behind a SIRET, and where a filing for it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Company {
    pub siret: Siret,
    pub siren: String,
    pub name: String,
    pub address: Option<String>,
    /// NAF code of the establishment (of the company when the establishment has none).
    pub naf: Option<String>,
    /// Whether the establishment and its company are open.
    pub open: bool,
    /// When it closed, if it did.
    pub closed_on: Option<String>,
    /// Whether the establishment is the head office.
    pub head_office: bool,
    pub headcount: Headcount,
    pub training_organisation: TrainingOrganisation,
    /// The collective agreements read, in the API's order.
    pub idcc: Vec<IdccLine>,
    pub resolution: Resolution,
    /// The OPCO, when exactly one follows.
    pub opco: Option<OpcoId>,
    /// The OPCOs a person may choose from, when none or several follow.
    pub candidates: Vec<Candidate>,
    /// Why there is no single OPCO, in French, for the person who decides.
    pub reason: Option<String>,
    pub warnings: Vec<Warning>,
    pub sources: Sources,
    /// When the API gave this answer.
    pub fetched_at: DateTime<Utc>,
    /// Whether the answer came from the store's cache.
    pub from_cache: bool,
}

fn band_label(code: &str) -> Option<(&'static str, bool)> {
    Some(match code {
        "NN" => ("unité non employeuse", true),
        "00" => ("0 salarié", true),
        "01" => ("1 ou 2 salariés", true),
        "02" => ("3 à 5 salariés", true),
        "03" => ("6 à 9 salariés", true),
        "11" => ("10 à 19 salariés", true),
        "12" => ("20 à 49 salariés", true),
        "21" => ("50 à 99 salariés", false),
        "22" => ("100 à 199 salariés", false),
        "31" => ("200 à 249 salariés", false),
        "32" => ("250 à 499 salariés", false),
        "41" => ("500 à 999 salariés", false),
        "42" => ("1 000 à 1 999 salariés", false),
        "51" => ("2 000 à 4 999 salariés", false),
        "52" => ("5 000 à 9 999 salariés", false),
        "53" => ("10 000 salariés et plus", false),
        _ => return None,
    })
}

fn names(opcos: &[OpcoId]) -> String {
    opcos
        .iter()
        .map(|o| o.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn malformed(detail: impl Into<String>) -> LookupError {
    LookupError::Malformed {
        detail: detail.into(),
    }
}

fn parse_idccs(list: &[String], path: &str) -> Result<Vec<Idcc>, LookupError> {
    let mut out: Vec<Idcc> = Vec::new();
    for raw in list {
        let idcc = Idcc::parse(raw)
            .map_err(|_| malformed(format!("{path} contient « {raw} », qui n'est pas un IDCC")))?;
        if !out.contains(&idcc) {
            out.push(idcc);
        }
    }
    Ok(out)
}

fn is_open(state: Option<&str>, path: &str, open_code: &str) -> Result<bool, LookupError> {
    match state {
        Some(s) if s == open_code => Ok(true),
        Some("F" | "C") => Ok(false),
        Some(other) => Err(malformed(format!(
            "{path}.etat_administratif vaut « {other} »"
        ))),
        None => Err(malformed(format!("{path}.etat_administratif manque"))),
    }
}

fn non_empty(list: &Option<Vec<String>>) -> Option<&Vec<String>> {
    list.as_ref().filter(|l| !l.is_empty())
}

/// Reads the API's answer for `siret` and routes the company to its OPCO. Nothing is guessed: an
/// answer that does not name the establishment, or is not in the documented shape, is an error.
pub fn build_answer(
    siret: &Siret,
    answer: &SearchAnswer,
    tables: &Tables,
    fetched_at: DateTime<Utc>,
    from_cache: bool,
) -> Result<Company, LookupError> {
    let (index, result) = answer
        .results
        .iter()
        .enumerate()
        .find(|(_, r)| r.siren == siret.siren())
        .ok_or_else(|| LookupError::NotFound {
            siret: siret.to_string(),
        })?;
    let base = format!("results[{index}]");
    let (est_path, est): (String, &ApiEstablishment) = match result
        .matching_etablissements
        .iter()
        .position(|e| e.siret == siret.as_str())
    {
        Some(i) => (
            format!("{base}.matching_etablissements[{i}]"),
            &result.matching_etablissements[i],
        ),
        None if result.siege.siret == siret.as_str() => (format!("{base}.siege"), &result.siege),
        None => {
            return Err(LookupError::EstablishmentNotListed {
                siret: siret.to_string(),
                siren: result.siren.clone(),
            });
        }
    };
    let head_office = est.est_siege.unwrap_or(false) || result.siege.siret == siret.as_str();
    let mut warnings = Vec::new();

    // Open: the establishment and its company must both be.
    let est_open = is_open(est.etat_administratif.as_deref(), &est_path, "A")?;
    let company_open = match result.etat_administratif.as_deref() {
        None => true,
        Some(s) => is_open(Some(s), &base, "A")?,
    };
    let open = est_open && company_open;
    let closed_on = if !est_open {
        est.date_fermeture.clone()
    } else if !company_open {
        result.date_fermeture.clone()
    } else {
        None
    };

    // Headcount of the company (the PDC rule is on the company, not the establishment).
    let band = result.tranche_effectif_salarie.clone();
    let year = result.annee_tranche_effectif_salarie.clone();
    let known = band.as_deref().and_then(band_label);
    let headcount = Headcount {
        band: band.clone(),
        label: known.map(|(l, _)| l.to_owned()),
        year: year.clone(),
        under_50: known.map(|(_, under)| under),
    };
    let year_text = year
        .as_deref()
        .map(|y| format!(", mesurée en {y}"))
        .unwrap_or_default();
    match (known, band.as_deref()) {
        (Some((label, false)), Some(code)) => warnings.push(Warning::new(
            "headcount_50_or_more",
            format!(
                "L'entreprise déclare 50 salariés ou plus (tranche {code} : {label}{year_text}) : les fonds mutualisés du plan de développement des compétences sont réservés aux entreprises de moins de 50 salariés ; le registre a souvent un an de retard, vérifiez avec l'entreprise."
            ),
        )),
        (Some(_), _) => {}
        (None, Some(code)) => warnings.push(Warning::new(
            "headcount_unknown",
            format!(
                "La tranche d'effectif « {code} » n'est pas une tranche connue : on ne sait pas si l'entreprise a moins de 50 salariés, demandez-lui son effectif."
            ),
        )),
        (None, None) => warnings.push(Warning::new(
            "headcount_unknown",
            "L'effectif de l'entreprise n'est pas renseigné : on ne sait pas si elle a moins de 50 salariés, demandez-lui son effectif.".to_owned(),
        )),
    }

    // Collective agreements: the establishment's, then the head office's, then the company's.
    let siege_path = format!("{base}.siege");
    let (idcc_source, raw_idcc) = if let Some(list) = non_empty(&est.liste_idcc) {
        (Some(format!("{est_path}.liste_idcc")), list.clone())
    } else if let Some(list) = non_empty(&result.siege.liste_idcc) {
        if !head_office {
            warnings.push(Warning::new(
                "idcc_from_head_office",
                "L'établissement ne déclare aucune convention collective : celles du siège sont retenues.".to_owned(),
            ));
        }
        (Some(format!("{siege_path}.liste_idcc")), list.clone())
    } else if let Some(list) = non_empty(&result.complements.liste_idcc) {
        warnings.push(Warning::new(
            "idcc_from_company",
            "Ni l'établissement ni le siège ne déclarent de convention collective : celles de l'ensemble de l'entreprise sont retenues.".to_owned(),
        ));
        (Some(format!("{base}.complements.liste_idcc")), list.clone())
    } else {
        (None, Vec::new())
    };
    let idccs = parse_idccs(&raw_idcc, idcc_source.as_deref().unwrap_or("liste_idcc"))?;
    if !head_office
        && non_empty(&est.liste_idcc).is_some()
        && let Some(siege_list) = non_empty(&result.siege.liste_idcc)
    {
        let siege_idccs = parse_idccs(siege_list, &format!("{siege_path}.liste_idcc"))?;
        if siege_idccs != idccs {
            let show = |l: &[Idcc]| {
                l.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            warnings.push(Warning::new(
                "idcc_differs_from_head_office",
                format!(
                    "L'établissement applique l'IDCC {}, le siège l'IDCC {} : l'OPCO suit la convention de l'établissement.",
                    show(&idccs),
                    show(&siege_idccs)
                ),
            ));
        }
    }

    let routes: Vec<IdccRoute> = idccs.iter().map(|i| tables.route(*i)).collect();
    let mut found: BTreeMap<OpcoId, Vec<String>> = BTreeMap::new();
    let mut shared: Vec<&IdccRoute> = Vec::new();
    let mut unknown: Vec<Idcc> = Vec::new();
    let mut no_agreement: Vec<Idcc> = Vec::new();
    let mut opco_sources: Vec<String> = Vec::new();
    for r in &routes {
        if let Some(s) = &r.source
            && !opco_sources.contains(s)
        {
            opco_sources.push(s.clone());
        }
        if r.tables_disagree {
            if !opco_sources.iter().any(|s| s == CROSS_CHECK) {
                opco_sources.push(CROSS_CHECK.to_owned());
            }
            warnings.push(Warning::new(
                "idcc_tables_disagree",
                format!(
                    "Pour l'IDCC {}, la table de France Compétences indique {} et celle du ministère (2019) {} : la première est retenue, vérifiez si besoin.",
                    r.idcc,
                    names(&r.primary),
                    r.cross_check.map(|o| o.name()).unwrap_or("aucun OPCO")
                ),
            ));
        }
        match &r.verdict {
            IdccVerdict::Opco { opco } => {
                if r.primary.is_empty() {
                    warnings.push(Warning::new(
                        "idcc_only_in_2019_table",
                        format!(
                            "L'IDCC {} n'est connu que de la table du ministère de 2019 ({}) : vérifiez que l'OPCO n'a pas changé depuis.",
                            r.idcc,
                            opco.name()
                        ),
                    ));
                }
                found.entry(*opco).or_default().push(format!(
                    "IDCC {} ({})",
                    r.idcc,
                    r.source.clone().unwrap_or_default()
                ));
            }
            IdccVerdict::Shared { opcos } => {
                shared.push(r);
                for o in opcos {
                    found.entry(*o).or_default().push(format!(
                        "IDCC {} partagé ({})",
                        r.idcc,
                        tables.primary_name()
                    ));
                }
            }
            IdccVerdict::NoAgreement => no_agreement.push(r.idcc),
            IdccVerdict::Unknown => unknown.push(r.idcc),
        }
    }
    let candidates: Vec<Candidate> = found
        .iter()
        .map(|(opco, because)| Candidate {
            opco: *opco,
            name: opco.name().to_owned(),
            because: because.clone(),
        })
        .collect();
    let naf = est
        .activite_principale
        .clone()
        .or_else(|| result.activite_principale.clone());
    let naf_path = if est.activite_principale.is_some() {
        format!("{est_path}.activite_principale")
    } else {
        format!("{base}.activite_principale")
    };

    let (resolution, opco, reason) = if !open {
        let what = if est_open {
            "L'entreprise"
        } else {
            "L'établissement"
        };
        let reason = match &closed_on {
            Some(d) => format!(
                "{what} est fermé depuis le {d} : aucune demande ne peut être déposée pour ce SIRET."
            ),
            None => format!(
                "{what} est fermé (date de fermeture non renseignée) : aucune demande ne peut être déposée pour ce SIRET."
            ),
        };
        warnings.push(Warning::new("establishment_closed", reason.clone()));
        (Resolution::Closed, None, Some(reason))
    } else if idccs.is_empty() {
        (
            Resolution::NeedsChoice,
            None,
            Some(format!(
                "Aucune convention collective (IDCC) n'est déclarée pour l'établissement, son siège ni l'entreprise : choisissez l'OPCO d'après l'activité ({}) et l'adhésion de l'entreprise.",
                naf.as_deref()
                    .map(|n| format!("NAF {n}"))
                    .unwrap_or_else(|| "NAF non renseigné".to_owned())
            )),
        )
    } else if !shared.is_empty() {
        let parts: Vec<String> = shared
            .iter()
            .filter_map(|r| match &r.verdict {
                IdccVerdict::Shared { opcos } => {
                    Some(format!("IDCC {} : {}", r.idcc, names(opcos)))
                }
                _ => None,
            })
            .collect();
        (
            Resolution::NeedsChoice,
            None,
            Some(format!(
                "Une convention collective est rattachée à plusieurs OPCO selon l'activité ({}) : choisissez celui auquel l'entreprise verse ses contributions.",
                parts.join(" ; ")
            )),
        )
    } else if found.len() > 1 {
        let parts: Vec<String> = routes
            .iter()
            .filter_map(|r| match r.verdict {
                IdccVerdict::Opco { opco } => Some(format!("{} → {}", r.idcc, opco.name())),
                _ => None,
            })
            .collect();
        (
            Resolution::NeedsChoice,
            None,
            Some(format!(
                "Les conventions collectives de l'établissement mènent à des OPCO différents ({}) : choisissez celui de l'activité principale des salariés concernés.",
                parts.join(", ")
            )),
        )
    } else if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        (
            Resolution::NeedsChoice,
            None,
            Some(format!(
                "L'IDCC {list} ne figure dans aucune des deux tables IDCC → OPCO : rien n'est déduit, choisissez l'OPCO de cette convention."
            )),
        )
    } else if let Some((opco, _)) = found.iter().next() {
        (Resolution::Resolved, Some(*opco), None)
    } else {
        let list = no_agreement
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        (
            Resolution::NoOpco,
            None,
            Some(format!(
                "L'établissement déclare n'appliquer aucune convention collective (IDCC {list}) : aucun OPCO ne s'en déduit ; l'OPCO se choisit alors d'après l'activité, avec l'entreprise."
            )),
        )
    };

    let training_path = format!("{base}.complements");
    Ok(Company {
        siret: siret.clone(),
        siren: result.siren.clone(),
        name: result.nom_complet.clone(),
        address: est.adresse.clone(),
        naf,
        open,
        closed_on,
        head_office,
        headcount,
        training_organisation: TrainingOrganisation {
            is_training_organisation: result.complements.est_organisme_formation,
            qualiopi: result.complements.est_qualiopi,
            nda: result
                .complements
                .liste_id_organisme_formation
                .clone()
                .unwrap_or_default(),
        },
        idcc: routes.into_iter().map(|route| IdccLine { route }).collect(),
        resolution,
        opco,
        candidates: if resolution == Resolution::Resolved || resolution == Resolution::Closed {
            Vec::new()
        } else {
            candidates
        },
        reason,
        warnings,
        sources: Sources {
            api: "Recherche d'entreprises (GET /search?q=SIRET)".to_owned(),
            name: format!("{base}.nom_complet"),
            address: format!("{est_path}.adresse"),
            naf: naf_path,
            open: format!("{est_path}.etat_administratif"),
            headcount: format!(
                "{base}.tranche_effectif_salarie, {base}.annee_tranche_effectif_salarie"
            ),
            training_organisation: format!(
                "{training_path}.est_organisme_formation, {training_path}.est_qualiopi, {training_path}.liste_id_organisme_formation"
            ),
            idcc: idcc_source,
            opco: opco_sources,
        },
        fetched_at,
        from_cache,
    })
}

impl Company {
    /// The exit code of `monopco resolve-company`: 0 one OPCO, 1 no OPCO or closed, 2 a person
    /// must choose.
    pub fn exit_code(&self) -> u8 {
        match self.resolution {
            Resolution::Resolved => 0,
            Resolution::NoOpco | Resolution::Closed => 1,
            Resolution::NeedsChoice => 2,
        }
    }

    /// A few lines of French for a person at a terminal.
    pub fn human_summary(&self) -> String {
        let mut lines = vec![format!(
            "{} — SIRET {} (SIREN {})",
            self.name, self.siret, self.siren
        )];
        if let Some(a) = &self.address {
            lines.push(format!("Adresse : {a}"));
        }
        if let Some(n) = &self.naf {
            lines.push(format!("Activité (NAF) : {n}"));
        }
        lines.push(match (&self.headcount.label, &self.headcount.year) {
            (Some(l), Some(y)) => format!("Effectif : {l} ({y})"),
            (Some(l), None) => format!("Effectif : {l}"),
            _ => "Effectif : inconnu".to_owned(),
        });
        let idcc: Vec<String> = self.idcc.iter().map(|l| l.route.idcc.to_string()).collect();
        lines.push(format!(
            "Conventions collectives : {}",
            if idcc.is_empty() {
                "aucune".to_owned()
            } else {
                idcc.join(", ")
            }
        ));
        match (self.resolution, self.opco) {
            (Resolution::Resolved, Some(o)) => lines.push(format!("OPCO : {}", o.name())),
            _ => {
                if !self.candidates.is_empty() {
                    lines.push(format!(
                        "OPCO possibles : {}",
                        self.candidates
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if let Some(r) = &self.reason {
                    lines.push(r.clone());
                }
            }
        }
        for w in &self.warnings {
            if Some(&w.message) != self.reason.as_ref() {
                lines.push(format!("Attention : {}", w.message));
            }
        }
        lines.join("\n")
    }

    /// Warnings on this company as the provider of a filing with this NDA: it must be an open
    /// training organisation, Qualiopi-certified, whose NDA list holds the filing's.
    pub fn provider_warnings(&self, nda: &Nda) -> Vec<Warning> {
        let mut out = Vec::new();
        if !self.open {
            out.push(Warning::new(
                "provider_closed",
                format!(
                    "Le SIRET du prestataire ({}) est celui d'un établissement fermé.",
                    self.siret
                ),
            ));
        }
        match self.training_organisation.is_training_organisation {
            Some(true) => {}
            Some(false) => out.push(Warning::new(
                "provider_not_training_organisation",
                format!(
                    "Le SIRET du prestataire ({}, {}) n'est pas celui d'un organisme de formation déclaré.",
                    self.siret, self.name
                ),
            )),
            None => out.push(Warning::new(
                "provider_training_status_unknown",
                format!("L'annuaire ne dit pas si {} est un organisme de formation : vérifiez sa déclaration d'activité.", self.name),
            )),
        }
        if !self
            .training_organisation
            .nda
            .iter()
            .any(|n| n == nda.as_str())
        {
            let known = if self.training_organisation.nda.is_empty() {
                "aucun".to_owned()
            } else {
                self.training_organisation.nda.join(", ")
            };
            out.push(Warning::new(
                "provider_nda_mismatch",
                format!(
                    "Le numéro de déclaration d'activité {} de la demande n'est pas dans ceux de {} (connus : {known}).",
                    nda, self.name
                ),
            ));
        }
        if self.training_organisation.qualiopi == Some(false) {
            out.push(Warning::new(
                "provider_not_qualiopi",
                format!("{} n'est pas certifié Qualiopi selon l'annuaire : l'OPCO refusera de financer.", self.name),
            ));
        }
        out
    }
}
