//! The decision: validity, name match, quality, and what to tell the person.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::consensus::Candidate;
use crate::mrz::{Mrz, MrzFormat, Repair, Sex};
use crate::name::{ExpectedName, NameMatch, match_name};
use crate::pipeline::Analysis;

/// What the caller asks about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// The trainee's name, when the document must be theirs.
    #[serde(default)]
    pub expected_name: Option<ExpectedName>,
    /// The document must still be valid on this date (e.g. the end of the training).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// The date the check is made for ("today"), given so decisions are reproducible.
    pub today: NaiveDate,
}

/// Overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    NeedsReview,
    Rejected,
}

/// Why a document was not simply accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// No machine-readable zone was found on the photo.
    NoDocumentFound,
    Blurred,
    TooDark,
    Glare,
    ResolutionTooLow,
    DocumentCutOff,
    /// The zone was read but a check digit does not validate.
    MrzCheckDigitFailed,
    Expired,
    /// Valid today but not until the caller's date.
    ExpiresBeforeRequiredDate,
    /// The expiry cannot be fixed to the day (old French card issued in a borderline month).
    ExpiryUncertain,
    NameMismatch,
    NamePartialMatch,
    UnsupportedDocumentType,
    /// Several readings of the zone validate every check digit: the candidates are listed.
    MrzAmbiguous,
    /// The zone validates in one repaired reading that no other reading confirms, or its
    /// readings disagree: the readings are listed.
    MrzUnconfirmed,
    /// The photo is washed out or without contrast: the face and the card's features may not
    /// be seen.
    LowContrast,
}

impl ReasonCode {
    fn outcome(self) -> Outcome {
        match self {
            Self::NoDocumentFound
            | Self::MrzCheckDigitFailed
            | Self::ExpiryUncertain
            | Self::NamePartialMatch
            | Self::MrzAmbiguous
            | Self::MrzUnconfirmed => Outcome::NeedsReview,
            _ => Outcome::Rejected,
        }
    }
}

/// Kind of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Passport,
    IdentityCard,
    ResidencePermit,
    Visa,
}

impl DocumentKind {
    fn from_code(code: &str) -> Self {
        let mut chars = code.chars();
        match (chars.next(), chars.next()) {
            (Some('P'), _) => Self::Passport,
            (Some('V'), _) => Self::Visa,
            (Some('I'), Some('R')) | (Some('A'), Some('R')) => Self::ResidencePermit,
            _ => Self::IdentityCard,
        }
    }

    fn label_fr(self) -> &'static str {
        match self {
            Self::Passport => "passeport",
            Self::IdentityCard => "carte d'identité",
            Self::ResidencePermit => "titre de séjour",
            Self::Visa => "visa",
        }
    }
}

/// The fields read from the document (no image, no raw zone text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub kind: DocumentKind,
    pub format: MrzFormat,
    pub issuing_state: String,
    pub document_number: String,
    pub surname: String,
    pub given_names: Vec<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Sex,
    pub nationality: String,
}

/// Where the expiry date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpirySource {
    /// Printed in the machine-readable zone.
    Mrz,
    /// Old French card: issue month (from the card number) plus 10 or 15 years.
    IssueDateRule,
}

/// The document's expiry and validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Expiry {
    /// Expiry date (for the issue-date rule: the earliest possible one).
    pub date: NaiveDate,
    /// Latest possible expiry when only the issue month is known.
    pub latest: NaiveDate,
    pub source: ExpirySource,
    /// Years of validity applied by the issue-date rule.
    pub rule_years: Option<u32>,
    pub valid_today: bool,
    /// Still valid on the caller's `valid_until` date, when one was given.
    pub valid_until_date: Option<bool>,
}

/// Confidence figures, each 0–1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Confidence {
    /// Tesseract's mean word confidence on the zone.
    pub ocr: Option<f32>,
    /// Share of check digits that validate.
    pub check_digits: Option<f32>,
    /// Normalised sharpness of the zone (higher is sharper; below 1 is blurred).
    pub sharpness: Option<f32>,
    /// Overall confidence in the verdict.
    pub overall: f32,
}

/// The answer to a document check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    pub verdict: Outcome,
    pub reasons: Vec<ReasonCode>,
    /// Message for the person, in French.
    pub message: String,
    pub document: Option<Document>,
    pub expiry: Option<Expiry>,
    pub name_match: Option<NameMatch>,
    pub confidence: Confidence,
    /// OCR characters corrected by field type and check digits.
    pub repairs: Vec<Repair>,
    /// When the zone's readings do not settle it (`mrz_ambiguous`, `mrz_unconfirmed`): the
    /// ways it may read, for a person to compare with the document. No number is reported in
    /// `document` then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    pub elapsed_ms: u64,
}

impl Verdict {
    /// CLI exit code: 0 accepted, 1 rejected, 2 needs review (3 is for unusable input).
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            Outcome::Accepted => 0,
            Outcome::Rejected => 1,
            Outcome::NeedsReview => 2,
        }
    }

    /// Multi-line French summary for the command line.
    pub fn human_summary(&self) -> String {
        let mut out = String::new();
        let outcome = match self.verdict {
            Outcome::Accepted => "accepté",
            Outcome::Rejected => "refusé",
            Outcome::NeedsReview => "à vérifier par un conseiller",
        };
        out.push_str(&format!("Résultat : {outcome}\n"));
        out.push_str(&format!("Message : {}\n", self.message));
        if let Some(d) = &self.document {
            let model = if d.format == MrzFormat::FrenchIdCard1988 {
                " (modèle 1988–2021)"
            } else {
                ""
            };
            out.push_str(&format!(
                "Document : {}{model}, émis par {}, n° {}\n",
                d.kind.label_fr(),
                d.issuing_state,
                d.document_number
            ));
            let birth = d.birth_date.map_or("inconnue".to_owned(), fr_date);
            let sex = match d.sex {
                Sex::Female => "F",
                Sex::Male => "M",
                Sex::Unspecified => "non précisé",
            };
            out.push_str(&format!(
                "Titulaire : {} {} — né(e) le {birth}, sexe {sex}, nationalité {}\n",
                d.surname,
                d.given_names.join(" "),
                d.nationality
            ));
        }
        if let Some(e) = &self.expiry {
            let source = match (e.source, e.rule_years) {
                (ExpirySource::Mrz, _) => "lue dans la bande MRZ".to_owned(),
                (ExpirySource::IssueDateRule, Some(y)) => {
                    format!("calculée : mois de délivrance + {y} ans")
                }
                (ExpirySource::IssueDateRule, None) => "calculée depuis la délivrance".to_owned(),
            };
            out.push_str(&format!("Expiration : {} ({source})\n", fr_date(e.date)));
        }
        if let Some(m) = self.name_match {
            let m = match m {
                NameMatch::Match => "concordant",
                NameMatch::Partial => "proche, à vérifier",
                NameMatch::Mismatch => "différent",
            };
            out.push_str(&format!("Nom attendu : {m}\n"));
        }
        if !self.reasons.is_empty() {
            let codes: Vec<String> = self
                .reasons
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .map_or(String::new(), |v| v.as_str().unwrap_or("").to_owned())
                })
                .collect();
            out.push_str(&format!("Motifs : {}\n", codes.join(", ")));
        }
        if !self.repairs.is_empty() {
            let confirmed = self
                .repairs
                .iter()
                .filter(|r| r.confirmed_by_check_digit)
                .count();
            out.push_str(&format!(
                "Corrections OCR : {} (dont {confirmed} confirmées par un chiffre de contrôle)\n",
                self.repairs.len()
            ));
        }
        let pct = |v: Option<f32>| v.map_or("—".to_owned(), |v| format!("{:.0} %", v * 100.0));
        out.push_str(&format!(
            "Confiance : {} (OCR {}, chiffres de contrôle {})\n",
            pct(Some(self.confidence.overall)),
            pct(self.confidence.ocr),
            pct(self.confidence.check_digits)
        ));
        out.push_str(&format!("Durée : {} ms\n", self.elapsed_ms));
        out
    }
}

fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Expiry of a parsed zone, from the zone itself or the old French card's issue-date rule.
pub fn expiry_of(mrz: &Mrz) -> Option<(NaiveDate, NaiveDate, ExpirySource, Option<u32>)> {
    if let Some(d) = mrz.expiry_date {
        return Some((d, d, ExpirySource::Mrz, None));
    }
    let card = mrz.french_card.as_ref()?;
    let first = NaiveDate::from_ymd_opt(card.issue_year, card.issue_month, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    // Adult at issue: 18 before the issue month starts; minor: still under 18 when it ends.
    let (adult_surely, minor_surely) = match mrz.birth_date {
        Some(b) => {
            let eighteen = b.checked_add_months(Months::new(18 * 12))?;
            (eighteen <= first, eighteen > last)
        }
        None => (false, false),
    };
    let cutoff = NaiveDate::from_ymd_opt(2004, 1, 2)?;
    let (min_years, max_years) = if minor_surely || last < cutoff {
        (10, 10)
    } else if adult_surely && first >= cutoff {
        (15, 15)
    } else {
        (10, 15)
    };
    let earliest = first.checked_add_months(Months::new(min_years * 12))?;
    let latest = last.checked_add_months(Months::new(max_years * 12))?;
    let years = (min_years == max_years).then_some(min_years);
    Some((earliest, latest, ExpirySource::IssueDateRule, years))
}

/// Thresholds on the normalised measures, calibrated on the generated corpus.
pub(crate) mod thresholds {
    /// Band sharpness below this is a blurred photo.
    pub const BAND_BLUR: f64 = 25.0;
    /// Whole-photo edge steepness below this is a blurred photo (when no band was read):
    /// 11–14 on strongly blurred corpus photos, 37 and more on all others.
    pub const GLOBAL_BLUR: f64 = 22.0;
    pub const DARK_PAPER: f32 = 80.0;
    pub const DARK_GLOBAL_P95: f32 = 100.0;
    pub const DARK_GLOBAL_MEAN: f32 = 35.0;
    /// Whole-photo spread between the 5th and 95th percentiles below this: no contrast.
    pub const LOW_CONTRAST: f32 = 60.0;
    /// Whole-photo 5th percentile above this: washed out (nothing dark left but the text).
    pub const WASHED_OUT_P05: f32 = 170.0;
    pub const GLARE_BAND: f32 = 0.03;
    pub const GLARE_GLOBAL: f32 = 0.01;
    pub const MIN_TEXT_HEIGHT: f32 = 9.0;
    pub const MIN_SIDE: u32 = 300;
}

pub(crate) fn decide(a: &Analysis, req: &CheckRequest) -> Verdict {
    use thresholds as t;
    let mut reasons: Vec<ReasonCode> = Vec::new();
    let mrz_valid = a.doubt.is_none() && a.mrz.as_ref().is_some_and(Mrz::all_checks_valid);

    let sharpness = a.band.map(|b| b.sharpness);
    let blurred = match a.band {
        Some(b) => b.sharpness < t::BAND_BLUR,
        None => a.global.sharpness < t::GLOBAL_BLUR,
    };
    // Measured on the whole photo whether or not the zone reads: a zone that reads on a dark
    // or washed-out photo does not show the face or the card's security features.
    let dark = a.band.is_some_and(|b| b.paper < t::DARK_PAPER)
        || a.global.p95 < t::DARK_GLOBAL_P95
        || a.global.mean < t::DARK_GLOBAL_MEAN;
    let low_contrast = !dark
        && (a.global.p95 - a.global.p05 < t::LOW_CONTRAST || a.global.p05 > t::WASHED_OUT_P05);
    let glare =
        a.band.is_some_and(|b| b.saturated > t::GLARE_BAND) || a.global.saturated > t::GLARE_GLOBAL;
    let small = a.global.width.min(a.global.height) < t::MIN_SIDE
        || a.band
            .is_some_and(|b| b.source_text_height < t::MIN_TEXT_HEIGHT);
    let cut_off = a.band.is_some_and(|b| b.cut_off) || a.zone_at_edge;

    if blurred {
        reasons.push(ReasonCode::Blurred);
    }
    if cut_off && !mrz_valid {
        reasons.push(ReasonCode::DocumentCutOff);
    }
    if dark {
        reasons.push(ReasonCode::TooDark);
    }
    if low_contrast {
        reasons.push(ReasonCode::LowContrast);
    }
    if !mrz_valid {
        if glare {
            reasons.push(ReasonCode::Glare);
        }
        if small {
            reasons.push(ReasonCode::ResolutionTooLow);
        }
        match (&a.mrz, &a.doubt) {
            (None, _) => reasons.push(ReasonCode::NoDocumentFound),
            (Some(_), Some(d)) if d.ambiguous => reasons.push(ReasonCode::MrzAmbiguous),
            (Some(_), Some(_)) => reasons.push(ReasonCode::MrzUnconfirmed),
            (Some(_), None) => reasons.push(ReasonCode::MrzCheckDigitFailed),
        }
    }

    let mut document = None;
    let mut expiry = None;
    let mut name_match = None;
    if let Some(m) = a.mrz.as_ref().filter(|_| mrz_valid) {
        let kind = DocumentKind::from_code(&m.document_code);
        if kind == DocumentKind::Visa {
            reasons.push(ReasonCode::UnsupportedDocumentType);
        }
        match expiry_of(m) {
            Some((date, latest, source, rule_years)) => {
                let valid_today = req.today <= date;
                let valid_until_date = req.valid_until.map(|u| u <= date);
                if req.today > latest {
                    reasons.push(ReasonCode::Expired);
                } else if !valid_today {
                    reasons.push(ReasonCode::ExpiryUncertain);
                } else if let Some(u) = req.valid_until {
                    if u > latest {
                        reasons.push(ReasonCode::ExpiresBeforeRequiredDate);
                    } else if u > date {
                        reasons.push(ReasonCode::ExpiryUncertain);
                    }
                }
                expiry = Some(Expiry {
                    date,
                    latest,
                    source,
                    rule_years,
                    valid_today,
                    valid_until_date,
                });
            }
            None => reasons.push(ReasonCode::ExpiryUncertain),
        }
        // Names carry no check digit: the best of the zone's readings counts.
        let mut names = (m.surname.clone(), m.given_names.clone());
        if let Some(expected) = &req.expected_name {
            let mut nm = match_name(&m.surname, &m.given_names, expected);
            for (surname, given) in &a.other_names {
                let other = match_name(surname, given, expected);
                if rank_match(other) > rank_match(nm) {
                    nm = other;
                    names = (surname.clone(), given.clone());
                }
            }
            match nm {
                NameMatch::Match => {}
                NameMatch::Partial => reasons.push(ReasonCode::NamePartialMatch),
                // A zone at the photo's edge may have lost its names line to the frame.
                NameMatch::Mismatch if cut_off => reasons.push(ReasonCode::DocumentCutOff),
                // Names carry no check digit: a garbled names line is for a human to compare.
                NameMatch::Mismatch if !m.names_clean => reasons.push(ReasonCode::NamePartialMatch),
                NameMatch::Mismatch => reasons.push(ReasonCode::NameMismatch),
            }
            name_match = Some(nm);
        }
        document = Some(Document {
            kind,
            format: m.format,
            issuing_state: m.issuing_state.clone(),
            document_number: m.document_number.clone(),
            surname: names.0,
            given_names: names.1,
            birth_date: m.birth_date,
            sex: m.sex,
            nationality: m.nationality.clone(),
        });
    }
    reasons.dedup();
    // A poor photo whose zone reads goes to a person (who may ask for a new one); one whose
    // zone does not read is asked again at once.
    let outcome_of = |r: ReasonCode| match r {
        ReasonCode::TooDark | ReasonCode::LowContrast if mrz_valid => Outcome::NeedsReview,
        r => r.outcome(),
    };
    let outcome = reasons
        .iter()
        .map(|&r| outcome_of(r))
        .max()
        .unwrap_or(Outcome::Accepted);
    let kind = document.as_ref().map(|d| d.kind);
    let first = reasons
        .iter()
        .copied()
        .find(|&r| outcome_of(r) == outcome)
        .or_else(|| reasons.first().copied());
    let message = message_fr(first, kind, expiry.as_ref(), req);

    let check_digits = a
        .mrz
        .as_ref()
        .map(|m| m.valid_check_count() as f32 / m.checks.len().max(1) as f32);
    let ocr = a.ocr_confidence.map(|c| (c.clamp(0, 100) as f32) / 100.0);
    let sharp_norm = Some(match sharpness {
        Some(s) => (s / t::BAND_BLUR) as f32,
        None => (a.global.sharpness / t::GLOBAL_BLUR) as f32,
    });
    let overall = match outcome {
        Outcome::Accepted | Outcome::Rejected if mrz_valid => {
            0.7 + 0.3 * ocr.unwrap_or(0.5) * sharp_norm.map_or(1.0, |s| s.min(1.0))
        }
        Outcome::Rejected => 0.8,
        _ => 0.5 * check_digits.unwrap_or(0.0),
    };
    Verdict {
        verdict: outcome,
        reasons,
        message,
        document,
        expiry,
        name_match,
        confidence: Confidence {
            ocr,
            check_digits,
            sharpness: sharp_norm,
            overall,
        },
        repairs: a
            .mrz
            .as_ref()
            .map(|m| m.repairs.clone())
            .unwrap_or_default(),
        candidates: a
            .doubt
            .as_ref()
            .map(|d| d.candidates.clone())
            .unwrap_or_default(),
        elapsed_ms: 0,
    }
}

fn rank_match(m: NameMatch) -> u8 {
    match m {
        NameMatch::Mismatch => 0,
        NameMatch::Partial => 1,
        NameMatch::Match => 2,
    }
}

/// The message for the reason that speaks first (the most actionable: a rejection before a
/// review), or for a document accepted.
fn message_fr(
    first: Option<ReasonCode>,
    kind: Option<DocumentKind>,
    expiry: Option<&Expiry>,
    req: &CheckRequest,
) -> String {
    let doc = kind.map_or("document", DocumentKind::label_fr);
    let votre = |s: &str| format!("Votre {s}");
    let Some(reason) = first else {
        return match expiry {
            Some(e) if e.source == ExpirySource::IssueDateRule => format!(
                "{} est valide jusqu'au {} (date calculée à partir de sa date de délivrance).",
                votre(doc),
                fr_date(e.date)
            ),
            Some(e) => format!("{} est valide jusqu'au {}.", votre(doc), fr_date(e.date)),
            None => format!("{} est valide.", votre(doc)),
        };
    };
    match reason {
        ReasonCode::Expired => match expiry {
            Some(e) => format!("{} a expiré le {}.", votre(doc), fr_date(e.latest)),
            None => format!("{} a expiré.", votre(doc)),
        },
        ReasonCode::ExpiresBeforeRequiredDate => {
            let end = req.valid_until.map(fr_date).unwrap_or_default();
            match expiry {
                Some(e) => format!(
                    "{} expire le {}, avant la fin de la formation ({end}) : envoyez un document valide jusqu'à cette date.",
                    votre(doc),
                    fr_date(e.latest)
                ),
                None => format!("{} expire avant la fin de la formation ({end}).", votre(doc)),
            }
        }
        ReasonCode::Blurred => {
            "La photo est floue : reprenez-la à la lumière du jour, sans bouger.".to_owned()
        }
        ReasonCode::TooDark => "La photo est trop sombre : reprenez-la à la lumière du jour.".to_owned(),
        ReasonCode::Glare => "Un reflet cache une partie du document : reprenez la photo sans flash, en inclinant légèrement le document.".to_owned(),
        ReasonCode::ResolutionTooLow => "La photo est trop petite : reprenez-la de plus près ou envoyez une image de meilleure qualité.".to_owned(),
        ReasonCode::DocumentCutOff => "Le document est coupé : reprenez la photo en le cadrant en entier, bande du bas comprise.".to_owned(),
        ReasonCode::NoDocumentFound => "Nous n'avons pas trouvé la bande de lecture automatique (les lignes de caractères avec des « < ») : un conseiller va vérifier votre document.".to_owned(),
        ReasonCode::MrzCheckDigitFailed => "La bande de lecture automatique n'a pas pu être lue avec certitude : un conseiller va vérifier votre document.".to_owned(),
        ReasonCode::ExpiryUncertain => "La date de fin de validité de votre document ne peut pas être établie avec certitude : un conseiller va la vérifier.".to_owned(),
        ReasonCode::NameMismatch => "Le nom figurant sur le document ne correspond pas à celui du stagiaire.".to_owned(),
        ReasonCode::NamePartialMatch => "Le nom figurant sur le document diffère légèrement de celui du stagiaire : un conseiller va vérifier.".to_owned(),
        ReasonCode::MrzAmbiguous | ReasonCode::MrzUnconfirmed => "La bande de lecture automatique peut se lire de plusieurs façons : un conseiller va vérifier le numéro de votre document.".to_owned(),
        ReasonCode::LowContrast => "La photo est délavée ou manque de contraste : reprenez-la à la lumière du jour, sans flash ni reflet.".to_owned(),
        ReasonCode::UnsupportedDocumentType => "Ce type de document n'est pas accepté : envoyez une carte d'identité, un passeport ou un titre de séjour.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::Reading;
    use crate::pipeline::{BandQuality, GlobalQuality};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const SHARP_BAND: BandQuality = BandQuality {
        sharpness: 60.0,
        source_text_height: 40.0,
        paper: 220.0,
        saturated: 0.0,
        cut_off: false,
    };

    const DAYLIGHT: GlobalQuality = GlobalQuality {
        width: 2000,
        height: 1300,
        mean: 140.0,
        p95: 225.0,
        p05: 40.0,
        sharpness: 50.0,
        saturated: 0.0,
    };

    fn analysis(lines: &[&str]) -> Analysis {
        Analysis {
            mrz: Some(Mrz::parse_lines(lines).unwrap()),
            ocr_confidence: Some(80),
            band: Some(SHARP_BAND),
            global: DAYLIGHT,
            other_names: Vec::new(),
            zone_at_edge: false,
            doubt: None,
        }
    }

    fn french_2021() -> Analysis {
        analysis(&[
            "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
            "9007138F3002119FRA<<<<<<<<<<<6",
            "MARTIN<<MAELYS<GAELLE<MARIE<<<",
        ])
    }

    fn request(today: NaiveDate) -> CheckRequest {
        CheckRequest {
            expected_name: Some(ExpectedName::new("Martin", "Maëlys")),
            valid_until: None,
            today,
        }
    }

    #[test]
    fn a_valid_card_of_the_expected_trainee_is_accepted() {
        let v = decide(&french_2021(), &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::Accepted, "{v:?}");
        assert_eq!(v.exit_code(), 0);
        assert_eq!(v.name_match, Some(NameMatch::Match));
        assert_eq!(
            v.message,
            "Votre carte d'identité est valide jusqu'au 11/02/2030."
        );
        let e = v.expiry.unwrap();
        assert_eq!(
            (e.date, e.source, e.valid_today),
            (date(2030, 2, 11), ExpirySource::Mrz, true)
        );
    }

    #[test]
    fn an_expired_identity_card_is_rejected_with_its_expiry_date() {
        let v = decide(&french_2021(), &request(date(2030, 3, 1)));
        assert_eq!(v.verdict, Outcome::Rejected);
        assert_eq!(v.exit_code(), 1);
        assert_eq!(v.reasons, [ReasonCode::Expired]);
        assert_eq!(v.message, "Votre carte d'identité a expiré le 11/02/2030.");
    }

    #[test]
    fn a_card_expiring_before_the_end_of_training_is_rejected() {
        let mut req = request(date(2029, 6, 1));
        req.valid_until = Some(date(2030, 6, 30));
        let v = decide(&french_2021(), &req);
        assert_eq!(v.reasons, [ReasonCode::ExpiresBeforeRequiredDate]);
        assert_eq!(v.expiry.as_ref().unwrap().valid_until_date, Some(false));
        assert!(
            v.message
                .contains("avant la fin de la formation (30/06/2030)"),
            "{}",
            v.message
        );
    }

    #[test]
    fn someone_elses_card_is_rejected_for_the_name() {
        let mut req = request(date(2026, 11, 25));
        req.expected_name = Some(ExpectedName::new("Durand", "Paul"));
        let v = decide(&french_2021(), &req);
        assert_eq!(v.verdict, Outcome::Rejected);
        assert_eq!(v.reasons, [ReasonCode::NameMismatch]);
    }

    #[test]
    fn a_name_misread_once_is_matched_through_another_reading_of_the_zone() {
        let mut a = analysis(&[
            "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
            "9007138F3002119FRA<<<<<<<<<<<6",
            "MARTIN<<MAEELYS<GAELLE<MARIE<<",
        ]);
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.reasons, [ReasonCode::NamePartialMatch]);
        a.other_names = vec![("MARTIN".into(), vec!["MAELYS".into(), "GAELLE".into()])];
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::Accepted);
        assert_eq!(v.document.unwrap().given_names, ["MAELYS", "GAELLE"]);
    }

    #[test]
    fn a_garbled_names_line_goes_to_a_human_rather_than_being_refused() {
        let a = analysis(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<KKGEKKRREKKKKK",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ]);
        let mut req = request(date(2010, 1, 1));
        req.expected_name = Some(ExpectedName::new("Eriksen", "Paul"));
        let v = decide(&a, &req);
        assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
        assert_eq!(v.reasons, [ReasonCode::NamePartialMatch]);
    }

    #[test]
    fn an_old_french_card_takes_its_expiry_from_the_issue_date_rule() {
        let a = analysis(&[
            "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<",
            "8806923102858CORINNE<<<<<<<6512068F6",
        ]);
        let mut req = request(date(2026, 11, 25));
        req.expected_name = Some(ExpectedName::new("Berthier", "Corinne"));
        let v = decide(&a, &req);
        assert_eq!(v.verdict, Outcome::Rejected);
        assert_eq!(v.reasons, [ReasonCode::Expired]);
        let e = v.expiry.unwrap();
        assert_eq!(
            (e.source, e.rule_years),
            (ExpirySource::IssueDateRule, Some(10))
        );
    }

    #[test]
    fn an_old_card_checked_in_its_last_month_goes_to_a_human() {
        let a = analysis(&[
            "IDFRADOUEL<<<<<<<<<<<<<<<<<<<<932013",
            "0506932020438CHRISTIANE<<NI2906209F3",
        ]);
        let mut req = request(date(2020, 6, 15));
        req.expected_name = None;
        let v = decide(&a, &req);
        assert_eq!(v.verdict, Outcome::NeedsReview);
        assert_eq!(v.reasons, [ReasonCode::ExpiryUncertain]);
        assert_eq!(v.exit_code(), 2);
    }

    #[test]
    fn a_blurred_photo_is_rejected_with_advice_to_retake_it() {
        let mut a = french_2021();
        a.mrz = None;
        a.band = Some(BandQuality {
            sharpness: 3.0,
            ..SHARP_BAND
        });
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::Rejected);
        assert_eq!(v.reasons[0], ReasonCode::Blurred);
        assert_eq!(
            v.message,
            "La photo est floue : reprenez-la à la lumière du jour, sans bouger."
        );
    }

    #[test]
    fn a_dark_photo_without_a_readable_zone_is_rejected_as_too_dark() {
        let a = Analysis {
            mrz: None,
            ocr_confidence: None,
            band: None,
            other_names: Vec::new(),
            zone_at_edge: false,
            doubt: None,
            global: GlobalQuality {
                mean: 25.0,
                p95: 50.0,
                ..DAYLIGHT
            },
        };
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::Rejected);
        assert!(v.reasons.contains(&ReasonCode::TooDark));
    }

    #[test]
    fn a_photo_without_any_zone_goes_to_a_human() {
        let a = Analysis {
            mrz: None,
            ocr_confidence: None,
            band: None,
            global: DAYLIGHT,
            other_names: Vec::new(),
            zone_at_edge: false,
            doubt: None,
        };
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::NeedsReview);
        assert_eq!(v.reasons, [ReasonCode::NoDocumentFound]);
    }

    #[test]
    fn a_zone_with_a_failed_check_digit_goes_to_a_human() {
        let a = analysis(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408123F1204159ZE184226B<<<<<10",
        ]);
        let v = decide(&a, &request(date(2010, 1, 1)));
        assert_eq!(v.verdict, Outcome::NeedsReview);
        assert_eq!(v.reasons, [ReasonCode::MrzCheckDigitFailed]);
        assert!(v.document.is_none(), "unconfirmed fields are not reported");
    }

    /// The analysis of a band read several times, as the pipeline settles it.
    fn analysis_of_readings(readings: &[&[&str]]) -> Analysis {
        let readings: Vec<Reading> = readings
            .iter()
            .enumerate()
            .map(|(i, lines)| Reading {
                number: i as u8 + 1,
                mrz: Mrz::parse_lines(lines).unwrap(),
            })
            .collect();
        let (mrz, doubt) = crate::pipeline::settle(&readings);
        Analysis {
            mrz: Some(mrz),
            doubt,
            ..french_2021()
        }
    }

    #[test]
    fn a_zone_two_repairs_validate_goes_to_a_person_with_both_candidates() {
        // The check digit of 000000000 is that of OO0000000 (O for 0 at weights 7 and 3 adds
        // 240), and the composite covers both alike. Reading 1 saw O0…, reading 2 0O….
        let cd = |s: &str| char::from(b'0' + crate::mrz::check_digit(s).unwrap());
        let mut truth = format!(
            "000000000{}UTO7408122F1204159{}<",
            cd("000000000"),
            "<".repeat(14)
        );
        let comp = format!("{}{}{}", &truth[0..10], &truth[13..20], &truth[21..43]);
        truth.push(cd(&comp));
        let names = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let first = truth.replacen("000000000", "O00000000", 1);
        let second = truth.replacen("000000000", "0O0000000", 1);
        let a = analysis_of_readings(&[&[names, &first], &[names, &second]]);
        let mut req = request(date(2010, 1, 1));
        req.expected_name = Some(ExpectedName::new("Eriksson", "Anna"));
        let v = decide(&a, &req);
        assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
        assert_eq!(v.reasons, [ReasonCode::MrzAmbiguous]);
        assert!(v.document.is_none(), "no number is reported: {v:?}");
        let mut numbers: Vec<&str> = v
            .candidates
            .iter()
            .map(|c| c.document_number.as_str())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["000000000", "OO0000000"]);
        assert!(v.message.contains("conseiller"), "{}", v.message);
    }

    #[test]
    fn a_zone_repaired_in_one_reading_only_goes_to_a_person_with_that_reading() {
        let names = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let repaired = "L898902C36UTO74O8122F1204159ZE184226B<<<<<10";
        let a = analysis_of_readings(&[&[names, repaired]]);
        let v = decide(&a, &request(date(2010, 1, 1)));
        assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
        assert_eq!(v.reasons, [ReasonCode::MrzUnconfirmed]);
        assert_eq!(v.candidates.len(), 1);
        assert_eq!(v.candidates[0].document_number, "L898902C3");
        assert_eq!(v.candidates[0].readings, [1]);
        // Read so twice, it is established.
        let a = analysis_of_readings(&[&[names, repaired], &[names, repaired]]);
        let mut req = request(date(2010, 1, 1));
        req.expected_name = Some(ExpectedName::new("Eriksson", "Anna"));
        let v = decide(&a, &req);
        assert_eq!(v.verdict, Outcome::Accepted, "{v:?}");
        let r = v.repairs.iter().find(|r| r.field == "birth_date").unwrap();
        assert_eq!(r.supported_by, [1, 2]);
    }

    #[test]
    fn a_dark_photo_whose_zone_reads_goes_to_a_person_and_asks_for_daylight() {
        let mut a = french_2021();
        a.global = GlobalQuality {
            mean: 30.0,
            p95: 70.0,
            p05: 5.0,
            ..DAYLIGHT
        };
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
        assert_eq!(v.reasons, [ReasonCode::TooDark]);
        assert_eq!(
            v.message,
            "La photo est trop sombre : reprenez-la à la lumière du jour."
        );
        // Expired as well: refused for that.
        let v = decide(&a, &request(date(2030, 3, 1)));
        assert_eq!(v.verdict, Outcome::Rejected);
        assert_eq!(v.reasons, [ReasonCode::TooDark, ReasonCode::Expired]);
    }

    #[test]
    fn a_washed_out_photo_whose_zone_reads_goes_to_a_person() {
        let mut a = french_2021();
        a.global = GlobalQuality {
            mean: 230.0,
            p95: 250.0,
            p05: 200.0,
            ..DAYLIGHT
        };
        let v = decide(&a, &request(date(2026, 11, 25)));
        assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
        assert_eq!(v.reasons, [ReasonCode::LowContrast]);
        assert!(v.message.contains("lumière du jour"), "{}", v.message);
    }

    #[test]
    fn the_verdict_json_keeps_its_shape() {
        let mut v = decide(&french_2021(), &request(date(2026, 11, 25)));
        v.elapsed_ms = 0;
        insta::assert_json_snapshot!(v);
    }

    #[test]
    fn the_summary_for_the_command_line_is_in_french() {
        let v = decide(&french_2021(), &request(date(2026, 11, 25)));
        insta::assert_snapshot!(v.human_summary());
    }
}
