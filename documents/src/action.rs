use chrono::NaiveDate;
use domain::{Euros, Nda, Siret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most hours a bilan de compétences may last (Code du travail, L6313-4).
pub const MAX_HOURS: u32 = 24;

/// A price above this (100 000 €) is a typing error (euros sent as cents, say), not a bilan.
pub const MAX_PRICE_CENTS: i64 = 10_000_000;

/// One bilan de compétences, as sent by the upstream system: the single source of every
/// date, hour and amount printed in the documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Quote and convention number, e.g. `DEV-2026-0142`.
    #[schema(example = "DEV-2026-0142")]
    pub reference: String,
    /// Title of the action.
    #[schema(example = "Bilan de compétences")]
    pub title: String,
    /// The training provider (organisme de formation).
    pub provider: Provider,
    /// The employer.
    pub company: Company,
    /// The employee who takes the bilan.
    pub trainee: Trainee,
    /// Name of the consultant who leads the bilan.
    pub consultant: String,
    /// Objectives, one per line.
    pub objectives: Vec<String>,
    /// Hours of each of the three phases (R6313-4).
    pub phases: Phases,
    /// Total hours, at most 24.
    #[schema(example = 24)]
    pub hours: u32,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day, after the first.
    pub end_date: NaiveDate,
    /// Présentiel, distanciel or mixte.
    pub modality: Modality,
    /// Where the sessions take place (address, or "à distance").
    pub place: String,
    /// Pedagogical price before VAT, in cents.
    pub price_ht: Euros,
    /// Whether the OPCO pays the provider directly.
    pub subrogation: bool,
    /// Name of the OPCO, printed in the subrogation mention.
    #[serde(default)]
    pub opco_name: Option<String>,
    /// Date of the quote and of the convention.
    pub issue_date: NaiveDate,
    /// How many days the quote stays valid.
    #[serde(default = "default_validity_days")]
    pub quote_validity_days: u32,
    /// Payment terms, e.g. "à 30 jours à réception de la facture".
    #[serde(default = "default_payment_terms")]
    pub payment_terms: String,
    /// Town where the documents are signed ("Fait à …").
    pub signature_place: String,
    /// Hours actually done, for the certificat de réalisation (defaults to `hours`).
    #[serde(default)]
    pub hours_completed: Option<u32>,
    /// Date of the certificat de réalisation (defaults to `end_date`).
    #[serde(default)]
    pub certificate_date: Option<NaiveDate>,
}

fn default_validity_days() -> u32 {
    30
}

fn default_payment_terms() -> String {
    "à 30 jours à réception de la facture, par virement".into()
}

/// The training provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Company name.
    pub name: String,
    /// SIRET, 14 digits (spaces allowed).
    #[schema(example = "73282932000074")]
    pub siret: String,
    /// Numéro de déclaration d'activité, 11 digits.
    #[schema(example = "84691234569")]
    pub nda: String,
    /// Qualiopi certificate number.
    pub qualiopi: String,
    /// Postal address on one line.
    pub address: String,
    /// Contact e-mail.
    pub email: String,
    /// Contact telephone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Who signs for the provider.
    pub signatory: Signatory,
}

/// The employer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// Company name.
    pub name: String,
    /// SIRET of the establishment.
    pub siret: String,
    /// Postal address on one line.
    pub address: String,
    /// Who signs for the employer.
    pub signatory: Signatory,
}

/// A person signing for an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Full name.
    pub name: String,
    /// Role, e.g. "Gérante".
    pub role: String,
}

/// The employee taking the bilan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trainee {
    /// "Madame", "Monsieur" or empty.
    #[serde(default)]
    pub civility: String,
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Job held at the company.
    pub job_title: String,
}

/// Hours of the three phases of a bilan (R6313-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// Phase préliminaire.
    pub preliminary: u32,
    /// Phase d'investigation.
    pub investigation: u32,
    /// Phase de conclusion.
    pub conclusion: u32,
}

/// How the sessions are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// In person.
    Presentiel,
    /// Remote.
    Distanciel,
    /// Both.
    Mixte,
}

impl Modality {
    /// The French label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Presentiel => "présentiel",
            Self::Distanciel => "distanciel",
            Self::Mixte => "mixte (présentiel et distanciel)",
        }
    }
}

/// One thing wrong with the input, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `action.hours`.
    pub field: String,
    /// What is wrong, in French, for the person who typed it.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} : {}", self.field, self.message)
    }
}

/// An [`Action`] whose every rule was checked; only this can be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAction {
    action: Action,
    provider_siret: Siret,
    provider_nda: Nda,
    company_siret: Siret,
    hours_completed: u32,
    certificate_date: NaiveDate,
}

impl ValidAction {
    /// The checked input.
    pub fn action(&self) -> &Action {
        &self.action
    }
    /// The provider's SIRET.
    pub fn provider_siret(&self) -> &Siret {
        &self.provider_siret
    }
    /// The provider's NDA.
    pub fn provider_nda(&self) -> &Nda {
        &self.provider_nda
    }
    /// The company's SIRET.
    pub fn company_siret(&self) -> &Siret {
        &self.company_siret
    }
    /// Hours done, for the certificat.
    pub fn hours_completed(&self) -> u32 {
        self.hours_completed
    }
    /// Date of the certificat.
    pub fn certificate_date(&self) -> NaiveDate {
        self.certificate_date
    }
    /// Last day the quote is valid.
    pub fn quote_valid_until(&self) -> NaiveDate {
        self.action.issue_date + chrono::Days::new(u64::from(self.action.quote_validity_days))
    }
    /// "Prénom NOM" of the trainee.
    pub fn trainee_name(&self) -> String {
        let t = &self.action.trainee;
        format!(
            "{} {}",
            t.first_names.trim(),
            t.last_name.trim().to_uppercase()
        )
    }
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
    fn required(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(field, "ce champ est obligatoire");
        }
    }
}

impl Action {
    /// Checks every rule and returns either a renderable action or the full list of problems.
    pub fn validate(&self) -> Result<ValidAction, Vec<FieldError>> {
        let mut e = Errors(Vec::new());
        let a = self;
        e.required("action.reference", &a.reference);
        e.required("action.title", &a.title);
        e.required("action.consultant", &a.consultant);
        e.required("action.place", &a.place);
        e.required("action.signature_place", &a.signature_place);
        e.required("action.payment_terms", &a.payment_terms);
        e.required("action.provider.name", &a.provider.name);
        e.required("action.provider.qualiopi", &a.provider.qualiopi);
        e.required("action.provider.address", &a.provider.address);
        e.required("action.provider.email", &a.provider.email);
        e.required("action.provider.signatory.name", &a.provider.signatory.name);
        e.required("action.provider.signatory.role", &a.provider.signatory.role);
        e.required("action.company.name", &a.company.name);
        e.required("action.company.address", &a.company.address);
        e.required("action.company.signatory.name", &a.company.signatory.name);
        e.required("action.company.signatory.role", &a.company.signatory.role);
        e.required("action.trainee.first_names", &a.trainee.first_names);
        e.required("action.trainee.last_name", &a.trainee.last_name);
        e.required("action.trainee.job_title", &a.trainee.job_title);

        let provider_siret = Siret::parse(&a.provider.siret)
            .map_err(|err| e.push("action.provider.siret", err.to_string()))
            .ok();
        let provider_nda = Nda::parse(&a.provider.nda)
            .map_err(|err| e.push("action.provider.nda", err.to_string()))
            .ok();
        let company_siret = Siret::parse(&a.company.siret)
            .map_err(|err| e.push("action.company.siret", err.to_string()))
            .ok();

        if a.objectives.iter().all(|o| o.trim().is_empty()) {
            e.push("action.objectives", "indiquez au moins un objectif");
        }
        if a.hours == 0 {
            e.push("action.hours", "la durée doit être d'au moins une heure");
        } else if a.hours > MAX_HOURS {
            e.push(
                "action.hours",
                format!(
                    "un bilan de compétences dure au plus {MAX_HOURS} heures ({} demandées)",
                    a.hours
                ),
            );
        }
        let p = a.phases;
        for (name, hours) in [
            ("preliminary", p.preliminary),
            ("investigation", p.investigation),
            ("conclusion", p.conclusion),
        ] {
            if hours == 0 {
                e.push(
                    &format!("action.phases.{name}"),
                    "chacune des trois phases doit avoir au moins une heure",
                );
            }
        }
        let sum = p.preliminary + p.investigation + p.conclusion;
        if sum != a.hours {
            e.push(
                "action.phases",
                format!(
                    "les heures des phases font {sum} h, la durée totale est de {} h",
                    a.hours
                ),
            );
        }
        if a.end_date <= a.start_date {
            e.push(
                "action.end_date",
                "la date de fin doit être postérieure à la date de début",
            );
        }
        if a.issue_date > a.start_date {
            e.push(
                "action.issue_date",
                "le devis et la convention doivent être datés avant le début de l'action",
            );
        }
        if a.quote_validity_days == 0 {
            e.push(
                "action.quote_validity_days",
                "la durée de validité du devis doit être d'au moins un jour",
            );
        }
        if a.price_ht.cents() <= 0 {
            e.push(
                "action.price_ht",
                "le prix doit être un montant positif en centimes",
            );
        } else if a.price_ht.cents() > MAX_PRICE_CENTS {
            e.push(
                "action.price_ht",
                format!(
                    "le prix dépasse {} : vérifiez qu'il est bien en centimes",
                    Euros::from_cents(MAX_PRICE_CENTS)
                ),
            );
        }
        if a.subrogation && a.opco_name.as_deref().is_none_or(|s| s.trim().is_empty()) {
            e.push(
                "action.opco_name",
                "la subrogation demande le nom de l'OPCO qui paie",
            );
        }
        let hours_completed = a.hours_completed.unwrap_or(a.hours);
        if hours_completed > a.hours {
            e.push(
                "action.hours_completed",
                format!(
                    "les heures réalisées ({hours_completed} h) dépassent la durée prévue ({} h)",
                    a.hours
                ),
            );
        }
        let certificate_date = a.certificate_date.unwrap_or(a.end_date);
        if certificate_date < a.end_date {
            e.push(
                "action.certificate_date",
                "le certificat de réalisation ne peut pas précéder la fin de l'action",
            );
        }

        match (provider_siret, provider_nda, company_siret) {
            (Some(provider_siret), Some(provider_nda), Some(company_siret)) if e.0.is_empty() => {
                Ok(ValidAction {
                    action: a.clone(),
                    provider_siret,
                    provider_nda,
                    company_siret,
                    hours_completed,
                    certificate_date,
                })
            }
            _ => Err(e.0),
        }
    }
}
