//! The funding request as the fleet knows it, before any portal's wording.

use std::path::PathBuf;

use chrono::NaiveDate;
use domain::{Euros, Nda, Siret};
use serde::{Deserialize, Serialize};

/// The legal maximum of a bilan de compétences (Code du travail L6313-4).
pub const MAX_BILAN_HOURS: u32 = 24;

/// The employee's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contract {
    Cdi,
    Cdd,
}

/// How the action is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Presentiel,
    Distanciel,
    Mixte,
}

/// The client company, on whose OPCO account the request is filed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub siret: Siret,
    /// The company's member number / account id at the OPCO.
    pub opco_account: String,
}

/// The beneficiary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trainee {
    pub last_name: String,
    pub first_names: String,
    pub birth_date: NaiveDate,
    pub job_title: String,
    pub contract: Contract,
}

/// The bilan de compétences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub title: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub hours: u32,
    pub modality: Modality,
    /// Pedagogical cost, excluding VAT.
    pub cost_ht: Euros,
}

/// The training organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub siret: Siret,
    pub nda: Nda,
    pub qualiopi: bool,
}

/// The signed documents to attach, as PDF files on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachments {
    pub quote: PathBuf,
    pub programme: PathBuf,
    pub agreement: PathBuf,
}

impl Attachments {
    /// The three files, with the name staff know them by.
    pub fn all(&self) -> [(&'static str, &PathBuf); 3] {
        [
            ("devis", &self.quote),
            ("programme", &self.programme),
            ("convention", &self.agreement),
        ]
    }
}

/// One funding request (DPC) to file on a portal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub company: Company,
    pub trainee: Trainee,
    pub action: Action,
    /// Whether the OPCO should pay the provider directly.
    pub subrogation: bool,
    pub provider: Provider,
    pub attachments: Attachments,
}

/// Why a filing cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilingError {
    #[error("le champ « {0} » est vide")]
    Empty(&'static str),
    #[error("un bilan de compétences dure au plus {MAX_BILAN_HOURS} heures ({0} demandées)")]
    TooManyHours(u32),
    #[error("la durée doit être d'au moins une heure")]
    NoHours,
    #[error("la fin ({end}) précède le début ({start})")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("le coût pédagogique doit être positif")]
    NoCost,
    #[error("la pièce « {name} » est illisible : {path}")]
    MissingAttachment { name: &'static str, path: String },
    #[error("la pièce « {name} » n'est pas un PDF : {path}")]
    NotPdf { name: &'static str, path: String },
}

impl Filing {
    /// Checks what types cannot: hours, dates, amounts, names, attachments present and PDF.
    pub fn validate(&self) -> Result<(), FilingError> {
        let texts = [
            ("compte OPCO", &self.company.opco_account),
            ("nom", &self.trainee.last_name),
            ("prénoms", &self.trainee.first_names),
            ("poste", &self.trainee.job_title),
            ("intitulé", &self.action.title),
            ("organisme", &self.provider.name),
        ];
        for (name, v) in texts {
            if v.trim().is_empty() {
                return Err(FilingError::Empty(name));
            }
        }
        if self.action.hours == 0 {
            return Err(FilingError::NoHours);
        }
        if self.action.hours > MAX_BILAN_HOURS {
            return Err(FilingError::TooManyHours(self.action.hours));
        }
        if self.action.end < self.action.start {
            return Err(FilingError::EndBeforeStart {
                start: self.action.start,
                end: self.action.end,
            });
        }
        if self.action.cost_ht.cents() <= 0 {
            return Err(FilingError::NoCost);
        }
        for (name, path) in self.attachments.all() {
            let mut head = [0u8; 5];
            let read = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head));
            if read.is_err() {
                return Err(FilingError::MissingAttachment {
                    name,
                    path: path.display().to_string(),
                });
            }
            if &head != b"%PDF-" {
                return Err(FilingError::NotPdf {
                    name,
                    path: path.display().to_string(),
                });
            }
        }
        Ok(())
    }
}

/// The amount typed in a portal's cost field: `1800,00`.
pub(crate) fn amount_fr(e: Euros) -> String {
    format!("{},{:02}", e.cents() / 100, e.cents() % 100)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid filing (24 h, 1 800 € HT, starting 2027-03-02) whose attachments are in `dir`.
    pub(crate) fn sample(dir: &std::path::Path) -> Filing {
        let pdf = dir.join("a.pdf");
        std::fs::write(&pdf, b"%PDF-1.4\n").unwrap();
        let json = serde_json::json!({
            "company": { "siret": "73282932000074", "opco_account": "ADH-1" },
            "trainee": { "last_name": "Dupont", "first_names": "Marie", "birth_date": "1985-04-12",
                         "job_title": "Comptable", "contract": "cdi" },
            "action": { "title": "Bilan de compétences", "start": "2027-03-02", "end": "2027-04-20",
                        "hours": 24, "modality": "mixte", "cost_ht": 180000 },
            "subrogation": true,
            "provider": { "name": "Haguenau Formation", "siret": "55208131766522",
                          "nda": "42670000000", "qualiopi": true },
            "attachments": { "quote": pdf, "programme": pdf, "agreement": pdf }
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_filing_is_read_from_json_and_checked_for_hours_dates_and_pdfs() {
        let dir = tempfile::tempdir().unwrap();
        let f = sample(dir.path());
        assert_eq!(f.validate(), Ok(()));
        let mut long = f.clone();
        long.action.hours = 25;
        assert_eq!(long.validate(), Err(FilingError::TooManyHours(25)));
        let mut backwards = f.clone();
        backwards.action.end = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert!(matches!(
            backwards.validate(),
            Err(FilingError::EndBeforeStart { .. })
        ));
        let mut not_pdf = f.clone();
        let txt = dir.path().join("devis.txt");
        std::fs::write(&txt, "devis").unwrap();
        not_pdf.attachments.quote = txt;
        assert!(matches!(
            not_pdf.validate(),
            Err(FilingError::NotPdf { name: "devis", .. })
        ));
        let bad_siret = serde_json::to_string(&f)
            .unwrap()
            .replace("73282932000074", "73282932000075");
        assert!(serde_json::from_str::<Filing>(&bad_siret).is_err());
    }

    #[test]
    fn amounts_are_typed_the_french_way_and_read_back_in_cents() {
        assert_eq!(amount_fr(Euros::from_cents(180_005)), "1800,05");
        assert_eq!(
            Euros::parse("1\u{202f}800,00\u{a0}€"),
            Ok(Euros::from_cents(180_000))
        );
        assert_eq!(Euros::parse("950,5 €"), Ok(Euros::from_cents(95_050)));
        assert!(Euros::parse("").is_err());
        let typed = Euros::from_cents(180_005);
        assert_eq!(Euros::parse(&amount_fr(typed)), Ok(typed));
    }
}
