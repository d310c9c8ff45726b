//! Per-OPCO facts as data: rules (deadline, caps, subrogation) and the portal's wording.
//!
//! Each portal folder holds a `facts.toml` read here. Rules and wording change every year;
//! changing them is an edit of that file, not of the steps.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::{Euros, OpcoId};
use serde::Deserialize;

use crate::filing::Filing;
use crate::status::StatusKind;

/// How early a request must be filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Deadline {
    /// N calendar days before the first day of the action.
    CalendarDaysBeforeStart { days: u32 },
    /// N working days (« jours ouvrés »: Monday to Friday, French public holidays excepted)
    /// before the start.
    WorkingDaysBeforeStart { days: u32 },
    /// N months before the first day of the action (the same day of that month, or its last
    /// day when it has no such day).
    MonthsBeforeStart { months: u32 },
    /// A window: from N months before the first day of the action up to that first day,
    /// included. A request filed earlier is not yet receivable.
    WindowBeforeStart { months: u32 },
}

impl Deadline {
    /// The last day on which filing is still on time.
    pub fn last_day(self, start: NaiveDate) -> NaiveDate {
        match self {
            Deadline::CalendarDaysBeforeStart { days } => {
                start - chrono::Duration::days(i64::from(days))
            }
            Deadline::WorkingDaysBeforeStart { days } => {
                let mut d = start;
                let mut left = days;
                while left > 0 {
                    d -= chrono::Duration::days(1);
                    if crate::calendar::is_working_day(d) {
                        left -= 1;
                    }
                }
                d
            }
            Deadline::MonthsBeforeStart { months } => start
                .checked_sub_months(chrono::Months::new(months))
                .unwrap_or(NaiveDate::MIN),
            Deadline::WindowBeforeStart { .. } => start,
        }
    }

    /// The first day on which a request is receivable, when the rule has one.
    pub fn first_day(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Deadline::WindowBeforeStart { months } => {
                // The same day N months before (the month's last day when it has no such day).
                Some(
                    start
                        .checked_sub_months(chrono::Months::new(months))
                        .unwrap_or(NaiveDate::MIN),
                )
            }
            Deadline::CalendarDaysBeforeStart { .. }
            | Deadline::WorkingDaysBeforeStart { .. }
            | Deadline::MonthsBeforeStart { .. } => None,
        }
    }
}

/// The OPCO's funding rules for a bilan de compétences, as far as they are public.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Rules {
    pub deadline: Option<Deadline>,
    /// Hourly cap, excluding VAT, in cents.
    pub hourly_cap_ht_cents: Option<i64>,
    /// Hourly cap, VAT included, in cents: checked on the cost excluding VAT plus 20 % (the
    /// rate that applies unless the provider is exempt, which the filing does not say), so that
    /// the warning errs on the side of showing.
    pub hourly_cap_ttc_cents: Option<i64>,
    /// Yearly cap per company, excluding VAT, in cents.
    pub yearly_cap_ht_cents: Option<i64>,
    /// Ceiling of one request, excluding VAT, in cents (Uniformation's per-DAF ceiling).
    pub request_cap_ht_cents: Option<i64>,
    /// Where the caps come from and when they apply.
    pub caps_note: Option<String>,
    /// The largest attachment the portal takes, in bytes: a larger one is refused before the
    /// portal is opened (nothing uploaded), with its size and the limit.
    pub max_attachment_bytes: Option<u64>,
    /// Whether the OPCO pays the provider directly when asked at filing.
    pub subrogation_offered: bool,
    /// Days after which a filing without answer is flagged.
    pub usual_answer_days: Option<u32>,
}

/// The portal's words for its pages, buttons and messages.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Ui {
    pub login_path: String,
    pub home_path: String,
    pub user_label: String,
    pub password_label: String,
    pub login_button: String,
    pub login_error: String,
    pub two_factor_label: Option<String>,
    pub two_factor_button: Option<String>,
    pub two_factor_error: Option<String>,
    pub two_factor_prompt_marker: Option<String>,
    /// A regular expression reading the tries a refused code has left, its first group the
    /// number (« il vous reste 2 essai(s) »).
    #[serde(default)]
    pub two_factor_tries_pattern: Option<String>,
    /// What the page says when a refused code has no try left and is void.
    #[serde(default)]
    pub two_factor_void_marker: Option<String>,
    /// The button between the user name and the password, when they are asked on two pages.
    #[serde(default)]
    pub user_next_button: Option<String>,
    /// What the page says when it makes the account choose a new password.
    #[serde(default)]
    pub password_renewal_marker: Option<String>,
    /// The button that dismisses the portal's cookie banner, when it shows one at login.
    #[serde(default)]
    pub cookie_banner_button: Option<String>,
    pub session_expired: String,
    pub captcha_marker: String,
    pub maintenance_marker: String,
    pub error_marker: String,
    pub list_title: String,
    pub new_button: String,
    pub next_button: String,
    pub draft_button: String,
    pub recap_title: String,
    pub submit_button: String,
    /// Regular expression of a dossier number.
    pub dossier_pattern: String,
    /// `chrono` format of dates typed in the form.
    pub date_format: String,
    /// Whether the steps after the login load no new document (a single-page app): a click is
    /// done when the page has settled, not on a load.
    #[serde(default)]
    pub in_page_steps: bool,
    /// The frame of the window's frameset where the portal shows its pages (a legacy web app):
    /// the address of a draft is that frame's, not the window's.
    #[serde(default)]
    pub content_frame: Option<String>,
    /// A CSS selector of the portal's own busy indicator, beyond `aria-busy` and progress bars.
    #[serde(default)]
    pub busy_selector: Option<String>,
    /// How long the network must stay quiet before an in-page step counts as settled, in
    /// milliseconds (300 when not said).
    #[serde(default)]
    pub settle_quiet_ms: Option<u64>,
    /// The button of the portal's "session about to expire" dialog, answered whenever it shows.
    #[serde(default)]
    pub session_warning_button: Option<String>,
    /// Whether the provider is chosen among the suggestions the portal offers for its SIRET.
    #[serde(default)]
    pub provider_autocomplete: bool,
    /// Whether the company is chosen among the suggestions the portal offers for its SIRET.
    #[serde(default)]
    pub company_autocomplete: bool,
    /// Each step's own save button, where « Suivant » alone loses what the step holds: the
    /// script saves every step, waits for `step_saved_marker`, then goes on.
    #[serde(default)]
    pub save_step_button: Option<String>,
    /// The heading a saved step shows (the portal's acknowledgement of its save button).
    #[serde(default)]
    pub step_saved_marker: Option<String>,
    /// Hours in a day, where the form asks a duration as days + hours + minutes.
    #[serde(default)]
    pub hours_per_day: Option<u32>,
}

/// Headers of the "my requests" table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ListHeaders {
    pub reference: String,
    pub trainee: String,
    pub action: String,
    pub start: String,
    pub status: String,
    pub amount: String,
    pub comment: String,
}

/// Visible texts of the select options.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Options {
    pub contract_cdi: String,
    pub contract_cdd: String,
    pub modality_presentiel: String,
    pub modality_distanciel: String,
    pub modality_mixte: String,
    /// The option of a « finalité de l'action » select meaning a bilan de compétences.
    #[serde(default)]
    pub finality_bilan: Option<String>,
    /// The option of a « dispositif » select meaning the company's skills plan (plan de
    /// développement des compétences), under which a bilan is filed.
    #[serde(default)]
    pub scheme_pdc: Option<String>,
}

/// Everything known about one OPCO and its portal.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Facts {
    pub opco: OpcoId,
    pub name: String,
    pub rules: Rules,
    pub ui: Ui,
    pub list: ListHeaders,
    pub options: Options,
    /// Portal wording → our status model. A label not here goes to a human.
    pub statuses: BTreeMap<String, StatusKind>,
    /// Labels of controls the script does not fill but knows to be harmless when the portal
    /// pre-sets them (a copy by e-mail): a warning for staff instead of a stop.
    #[serde(default)]
    pub known_harmless: Vec<String>,
    /// The identity provider the login goes through, on its own origin, when there is one.
    #[serde(default)]
    pub login_provider: Option<LoginProvider>,
    /// The page after the login choosing the establishment whose space opens, when there is one.
    #[serde(default)]
    pub site_picker: Option<SitePicker>,
    /// What the employer does on the portal after an agreement that asks it (its wording map
    /// has a status of kind `start_to_confirm` or `offer_to_accept`).
    #[serde(default)]
    pub agreement: Option<AgreementAction>,
}

/// The employer's action on the portal after an agreement, or the agreement lapses
/// (Uniformation's start confirmation, Afdas's « Accepter un financement »): the dossier's page
/// shows `button`, which opens a step titled `dialog_title` where `attestation` is ticked and
/// `validate` pressed; the portal then shows `done_marker`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AgreementAction {
    /// The button (or link) on the dossier's page while the action is awaited.
    pub button: String,
    /// The heading of the step it opens (a pop-up or a page).
    pub dialog_title: String,
    /// The box the employer must tick.
    pub attestation: String,
    /// The button that performs the action.
    pub validate: String,
    /// What the portal says once the action is done (the words before its date).
    pub done_marker: String,
}

/// A page listing the establishments a login acts for, each row's link opening its space.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SitePicker {
    /// Its address (the script goes back to it to change establishment).
    pub path: String,
    /// Its heading.
    pub title: String,
    /// The header of the column holding each establishment's SIRET.
    pub siret_header: String,
}

/// An identity provider on another origin that the portal's login sends the browser to: what
/// its own pages say when they are not the login's (its look and wording are not the portal's).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LoginProvider {
    /// What it is, and what of it is modelled on public material or invented.
    pub about: String,
    pub captcha_marker: String,
    pub maintenance_marker: String,
    pub error_marker: String,
}

/// Something staff should see before confirming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Filing today is already too late by the OPCO's rule.
    DeadlinePassed { last_day: NaiveDate },
    /// Less than a week left to file.
    DeadlineClose { last_day: NaiveDate, days_left: i64 },
    /// Too early: the OPCO receives requests only from `first_day` (its filing window).
    FilingNotYetOpen { first_day: NaiveDate },
    /// The hourly cost is above the OPCO's cap (the request may be cut or refused).
    HourlyCapExceeded { cap: Euros, asked: Euros },
    /// The hourly cost, VAT included at 20 %, is above the OPCO's cap stated VAT included.
    HourlyCapTtcExceeded { cap: Euros, asked: Euros },
    /// The cost is above the OPCO's yearly cap per company.
    YearlyCapExceeded { cap: Euros, asked: Euros },
    /// The cost is above the ceiling of one request.
    RequestCapExceeded { cap: Euros, asked: Euros },
    /// Subrogation was asked but this OPCO's portal does not offer it.
    SubrogationNotOffered,
    /// A control the script does not fill, listed as harmless in the facts, holds a value.
    HarmlessControl { label: String, value: String },
}

impl Warning {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DeadlinePassed { .. } => "deadline_passed",
            Self::DeadlineClose { .. } => "deadline_close",
            Self::FilingNotYetOpen { .. } => "filing_not_yet_open",
            Self::HourlyCapExceeded { .. } => "hourly_cap_exceeded",
            Self::HourlyCapTtcExceeded { .. } => "hourly_cap_ttc_exceeded",
            Self::YearlyCapExceeded { .. } => "yearly_cap_exceeded",
            Self::RequestCapExceeded { .. } => "request_cap_exceeded",
            Self::SubrogationNotOffered => "subrogation_not_offered",
            Self::HarmlessControl { .. } => "harmless_control",
        }
    }
}

/// The warning in French, for the staff who review the filing.
impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DeadlinePassed { last_day } => write!(
                f,
                "Délai de dépôt dépassé : la demande devait être déposée au plus tard le {}.",
                last_day.format("%d/%m/%Y")
            ),
            Self::DeadlineClose {
                last_day,
                days_left,
            } => write!(
                f,
                "Délai de dépôt proche : plus que {days_left} jour(s), jusqu'au {}.",
                last_day.format("%d/%m/%Y")
            ),
            Self::FilingNotYetOpen { first_day } => write!(
                f,
                "Dépôt trop tôt : l'OPCO ne reçoit cette demande qu'à partir du {} (fenêtre de dépôt avant le début de l'action). Attendez cette date pour confirmer.",
                first_day.format("%d/%m/%Y")
            ),
            Self::HourlyCapExceeded { cap, asked } => write!(
                f,
                "Coût horaire de {asked} HT au-dessus du plafond de l'OPCO ({cap} HT) : la prise en charge peut être réduite ou refusée."
            ),
            Self::HourlyCapTtcExceeded { cap, asked } => write!(
                f,
                "Coût horaire de {asked} TTC (TVA de 20 % comptée) au-dessus du plafond de l'OPCO ({cap} TTC) : la prise en charge peut être réduite ou refusée. Si l'organisme est exonéré de TVA, vérifiez le coût HT."
            ),
            Self::YearlyCapExceeded { cap, asked } => write!(
                f,
                "Coût de {asked} HT au-dessus du plafond annuel de l'OPCO ({cap} HT)."
            ),
            Self::RequestCapExceeded { cap, asked } => write!(
                f,
                "Coût de {asked} HT au-dessus du plafond d'une demande auprès de l'OPCO ({cap} HT) : la prise en charge sera plafonnée."
            ),
            Self::SubrogationNotOffered => {
                f.write_str("La subrogation est demandée mais ce portail ne la propose pas.")
            }
            Self::HarmlessControl { label, value } => write!(
                f,
                "Le portail a prérempli « {label} » à « {value} » : ce champ, que l'automate ne remplit pas, est connu comme sans effet sur la demande et partira tel quel."
            ),
        }
    }
}

impl Facts {
    /// Parses a `facts.toml`.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let facts: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        facts.check_agreement()?;
        Ok(facts)
    }

    /// A portal whose wording map has a status asking the employer to act after the agreement
    /// says how (`[agreement]`) and how the portal words it done; a portal without such a status
    /// has no `[agreement]`.
    fn check_agreement(&self) -> Result<(), String> {
        let has = |kinds: &[StatusKind]| self.statuses.values().any(|k| kinds.contains(k));
        let awaited = has(&[StatusKind::StartToConfirm, StatusKind::OfferToAccept]);
        match (&self.agreement, awaited) {
            (None, true) => Err(
                "a status awaits the employer's action after the agreement, and [agreement] does not say how to perform it"
                    .into(),
            ),
            (Some(_), false) => Err(
                "[agreement] is set, and no status of the wording map awaits it (start_to_confirm, offer_to_accept)"
                    .into(),
            ),
            (Some(_), true) if !has(&[StatusKind::StartConfirmed, StatusKind::OfferAccepted]) => {
                Err(
                    "[agreement] is set, and no status of the wording map says it done (start_confirmed, offer_accepted)"
                        .into(),
                )
            }
            _ => Ok(()),
        }
    }

    /// The warnings to show staff for this filing, filed on `today`.
    pub fn warnings(&self, filing: &Filing, today: NaiveDate) -> Vec<Warning> {
        let mut out = Vec::new();
        if let Some(deadline) = self.rules.deadline {
            let last_day = deadline.last_day(filing.action.start);
            let days_left = (last_day - today).num_days();
            let first_day = deadline
                .first_day(filing.action.start)
                .filter(|first| today < *first);
            if let Some(first_day) = first_day {
                out.push(Warning::FilingNotYetOpen { first_day });
            } else if days_left < 0 {
                out.push(Warning::DeadlinePassed { last_day });
            } else if days_left < 7 {
                out.push(Warning::DeadlineClose {
                    last_day,
                    days_left,
                });
            }
        }
        if let Some(cap) = self.rules.hourly_cap_ht_cents {
            let hours = i64::from(filing.action.hours.max(1));
            let per_hour = filing.action.cost_ht.cents() / hours;
            if per_hour > cap {
                out.push(Warning::HourlyCapExceeded {
                    cap: Euros::from_cents(cap),
                    asked: Euros::from_cents(per_hour),
                });
            }
        }
        if let Some(cap) = self.rules.hourly_cap_ttc_cents {
            let hours = i64::from(filing.action.hours.max(1));
            let per_hour_ttc = filing.action.cost_ht.cents() * 6 / 5 / hours;
            if per_hour_ttc > cap {
                out.push(Warning::HourlyCapTtcExceeded {
                    cap: Euros::from_cents(cap),
                    asked: Euros::from_cents(per_hour_ttc),
                });
            }
        }
        let asked = filing.action.cost_ht;
        if let Some(cap) = self.rules.yearly_cap_ht_cents
            && asked.cents() > cap
        {
            out.push(Warning::YearlyCapExceeded {
                cap: Euros::from_cents(cap),
                asked,
            });
        }
        if let Some(cap) = self.rules.request_cap_ht_cents
            && asked.cents() > cap
        {
            out.push(Warning::RequestCapExceeded {
                cap: Euros::from_cents(cap),
                asked,
            });
        }
        if filing.subrogation && !self.rules.subrogation_offered {
            out.push(Warning::SubrogationNotOffered);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_day_deadline_skips_public_holidays() {
        // Tuesday 11 May 2027: 15 working days back cross Ascension (6 May), 8 May (a
        // Saturday) and 1 May (a Saturday): Monday 19 April, where weekends alone give the 20th.
        let start = NaiveDate::from_ymd_opt(2027, 5, 11).unwrap();
        let d = Deadline::WorkingDaysBeforeStart { days: 15 };
        assert_eq!(
            d.last_day(start),
            NaiveDate::from_ymd_opt(2027, 4, 19).unwrap()
        );
        // Across Easter Monday (29 March 2027): Tuesday 30 March, 1 working day back, is
        // Friday 26 March.
        let d = Deadline::WorkingDaysBeforeStart { days: 1 };
        assert_eq!(
            d.last_day(NaiveDate::from_ymd_opt(2027, 3, 30).unwrap()),
            NaiveDate::from_ymd_opt(2027, 3, 26).unwrap()
        );
    }

    #[test]
    fn a_working_day_deadline_skips_weekends() {
        let monday = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let d = Deadline::WorkingDaysBeforeStart { days: 2 };
        assert_eq!(
            d.last_day(monday),
            NaiveDate::from_ymd_opt(2027, 2, 25).unwrap()
        );
        let c = Deadline::CalendarDaysBeforeStart { days: 30 };
        assert_eq!(
            c.last_day(monday),
            NaiveDate::from_ymd_opt(2027, 1, 30).unwrap()
        );
    }

    #[test]
    fn a_deadline_in_months_is_the_same_day_of_the_month_before_or_its_last_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let m = Deadline::MonthsBeforeStart { months: 1 };
        assert_eq!(m.last_day(day(2027, 3, 31)), day(2027, 2, 28));
        assert_eq!(m.last_day(day(2027, 5, 10)), day(2027, 4, 10));
        assert_eq!(m.first_day(day(2027, 5, 10)), None);
    }

    #[test]
    fn a_filing_window_opens_n_months_before_the_start_and_closes_on_the_first_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let w = Deadline::WindowBeforeStart { months: 2 };
        assert_eq!(w.first_day(day(2027, 5, 10)), Some(day(2027, 3, 10)));
        assert_eq!(w.last_day(day(2027, 5, 10)), day(2027, 5, 10));
        // There is no 30 February: the window opens on that month's last day.
        assert_eq!(w.first_day(day(2027, 4, 30)), Some(day(2027, 2, 28)));
        assert_eq!(
            Deadline::CalendarDaysBeforeStart { days: 30 }.first_day(day(2027, 5, 10)),
            None
        );
    }
}
