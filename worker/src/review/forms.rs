//! What staff type, checked before anything is stored, and the decision forms they type it in.

use chrono::NaiveDate;
use domain::Euros;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Button, Field, post_form};
use super::view::{Asked, CodeRound, Correction};

/// A form that carries only its CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// **Refuser**, with the reason sent upstream.
#[derive(Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

impl RefuseForm {
    /// The reason, trimmed, or what staff must do.
    pub fn reason(&self) -> Result<&str, &'static str> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            Err("Donnez le motif du refus : il est transmis au système amont.")
        } else {
            Ok(reason)
        }
    }
}

/// The code a portal sent, typed by staff.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
}

/// A portal's code as typed: letters and digits only, as received.
pub fn portal_code(typed: &str) -> Result<&str, &'static str> {
    let code = typed.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        Err("Le code doit être recopié tel qu'il est reçu (chiffres ou lettres, sans espace).")
    } else {
        Ok(code)
    }
}

/// The corrected hours, cost and dates.
#[derive(Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    pub csrf: String,
    pub hours: String,
    pub cost: String,
    pub start: String,
    pub end: String,
}

impl CorrectForm {
    /// The request with the corrected values and what changed, or in French what is wrong.
    pub fn apply(&self, asked: &Asked) -> Result<(Value, String), String> {
        let before = asked.json();
        let mut filing = before.clone();
        let hours: u32 =
            self.hours.trim().parse().map_err(|_| {
                format!("La durée « {} » n'est pas un nombre d'heures.", self.hours)
            })?;
        let cost =
            Euros::parse(&self.cost).map_err(|e| format!("Le coût n'est pas valable : {e}."))?;
        for (value, what) in [(&self.start, "début"), (&self.end, "fin")] {
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| format!("La date de {what} « {value} » n'est pas une date."))?;
        }
        filing["action"]["hours"] = hours.into();
        filing["action"]["cost_ht"] = cost.cents().into();
        filing["action"]["start"] = self.start.trim().into();
        filing["action"]["end"] = self.end.trim().into();
        let parsed: portals::Filing = serde_json::from_value(filing.clone())
            .map_err(|e| format!("La demande corrigée n'est pas valable : {e}."))?;
        parsed
            .validate()
            .map_err(|e| format!("La demande corrigée n'est pas valable : {e}."))?;
        let shown = |path: &str, v: Option<&Value>| match (path, v) {
            ("/action/cost_ht", Some(c)) => c
                .as_i64()
                .map_or_else(|| c.to_string(), |c| Euros::from_cents(c).to_string()),
            (_, Some(Value::String(s))) => s.clone(),
            (_, v) => v.map(ToString::to_string).unwrap_or_default(),
        };
        let changes: Vec<String> = [
            ("/action/hours", "durée"),
            ("/action/cost_ht", "coût HT"),
            ("/action/start", "début"),
            ("/action/end", "fin"),
        ]
        .into_iter()
        .filter(|(path, _)| before.pointer(path) != filing.pointer(path))
        .map(|(path, label)| {
            format!(
                "{label} : {} → {}",
                shown(path, before.pointer(path)),
                shown(path, filing.pointer(path))
            )
        })
        .collect();
        if changes.is_empty() {
            return Err("Aucune valeur n'a changé : rien à préremplir à nouveau.".into());
        }
        Ok((filing, changes.join(" ; ")))
    }
}

/// **Confirmer le dépôt**.
pub fn confirm(base: &str, csrf: &str) -> Markup {
    post_form(
        &format!("{base}/confirm"),
        csrf,
        html! { p { "Les pages ci-dessous sont celles du portail, remplies et enregistrées en brouillon. En confirmant, la demande est transmise à l'OPCO." } },
        "Confirmer le dépôt",
        Button::Primary,
    )
}

/// The field for the code sent by e-mail, and asking for a new one; only the latter once the
/// portal said the code has no try left.
pub fn code(base: &str, csrf: &str, tries_left: Option<u32>) -> Markup {
    let field = Field {
        id: "code",
        label: "Code de vérification reçu par e-mail",
        kind: "text",
        required: true,
        autocomplete: Some("one-time-code"),
        inputmode: Some("numeric"),
        ..Field::default()
    };
    if tries_left == Some(0) {
        return post_form(
            &format!("{base}/retry"),
            csrf,
            html! { p { "Le portail n'accepte plus ce code. L'automate se reconnecte et le portail envoie un nouveau code." } },
            "Demander un nouveau code",
            Button::Primary,
        );
    }
    html! {
        @if let Some(n) = tries_left {
            p.warn { "Essais restants sur le portail pour ce code : " (n) ". Vérifiez le code avant de l'envoyer." }
        }
        (post_form(&format!("{base}/code"), csrf, field.render(), "Envoyer le code au portail", Button::Primary))
        (post_form(
            &format!("{base}/retry"),
            csrf,
            html! { p { "Code perdu ou expiré ? L'automate se reconnecte et le portail envoie un nouveau code." } },
            "Demander un nouveau code",
            Button::Plain,
        ))
    }
}

/// Running the job again: `why` says when to.
pub fn retry(base: &str, csrf: &str, why: &str, button: &str) -> Markup {
    post_form(
        &format!("{base}/retry"),
        csrf,
        html! { p { (why) } },
        button,
        Button::Primary,
    )
}

/// The employer's action after the agreement, made by the worker on the portal once staff
/// confirm it; once asked, what happens to it.
pub fn agreement(base: &str, csrf: &str, ask: &super::view::AgreementAsk) -> Markup {
    if ask.asked {
        return html! {
            p.notice role="status" { "Action demandée : l'automate la fait sur le portail, une seule fois. L'historique ci-dessous dira quand elle est faite." }
        };
    }
    let (why, button) = if ask.start {
        (
            "L'automate se connecte au portail de l'OPCO et y confirme le démarrage de l'action, une seule fois. Vérifiez d'abord avec le client que l'action démarre à la date prévue.",
            "Confirmer le démarrage sur le portail",
        )
    } else {
        (
            "L'automate se connecte au portail de l'OPCO et y accepte le financement (« Accepter un financement »), une seule fois. Vérifiez d'abord le montant accordé avec le client.",
            "Accepter le financement sur le portail",
        )
    };
    post_form(
        &format!("{base}/agreement"),
        csrf,
        html! { p { (why) } },
        button,
        Button::Primary,
    )
}

/// **Refuser**, with its reason.
pub fn refuse(base: &str, csrf: &str) -> Markup {
    post_form(
        &format!("{base}/refuse"),
        csrf,
        html! {
            label for="reason" { "Motif du refus" }
            textarea #reason name="reason" rows="2" cols="60" required {}
        },
        "Refuser",
        Button::Danger,
    )
}

/// Correcting the hours, cost or dates.
pub fn correct(base: &str, csrf: &str, values: &Correction) -> Markup {
    let fields = html! {
        p { "Corrigez une valeur : le dossier est prérempli à nouveau, puis revient ici." }
        (Field { id: "hours", label: "Durée (heures)", kind: "number", value: &values.hours,
                 min: Some("1"), max: Some("24"), ..Field::default() }.render())
        (Field { id: "cost", label: "Coût HT (euros)", kind: "text", value: &values.cost,
                 ..Field::default() }.render())
        (Field { id: "start", label: "Date de début", kind: "date", value: &values.start,
                 ..Field::default() }.render())
        (Field { id: "end", label: "Date de fin", kind: "date", value: &values.end,
                 ..Field::default() }.render())
    };
    post_form(
        &format!("{base}/correct"),
        csrf,
        fields,
        "Corriger et préremplir à nouveau",
        Button::Plain,
    )
}

/// The code of a polling round stopped by its portal.
pub fn round_code(round: &CodeRound, csrf: &str) -> Markup {
    let id = format!("code-{}", round.job);
    let label = format!(
        "Code de vérification pour le suivi {} {}",
        round.opco, round.account
    );
    let fields = html! {
        p { "Suivi des statuts " (round.opco) " — compte " (round.account) " : " (round.message) }
        (Field { id: &id, label: &label, kind: "text", required: true,
                 autocomplete: Some("one-time-code"), ..Field::default() }.render())
    };
    post_form(
        &format!("/review/jobs/{}/code", round.job),
        csrf,
        fields,
        "Envoyer le code au portail",
        Button::Primary,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_taken_as_received_and_garbage_is_refused() {
        assert_eq!(portal_code(" 482913 "), Ok("482913"));
        assert!(portal_code("48 29").is_err());
        assert!(portal_code("").is_err());
        assert!(portal_code(&"1".repeat(33)).is_err());
    }

    #[test]
    fn a_cost_that_is_not_an_amount_is_refused_in_french() {
        let form = CorrectForm {
            csrf: String::new(),
            hours: "24".into(),
            cost: "-1 800,00 €".into(),
            start: "2027-03-02".into(),
            end: "2027-04-20".into(),
        };
        let asked = Asked::from_prefill_input(&serde_json::json!({ "filing": {} }));
        assert_eq!(
            form.apply(&asked).unwrap_err(),
            "Le coût n'est pas valable : le montant ne peut pas être négatif (-1 800,00 €)."
        );
    }
}
