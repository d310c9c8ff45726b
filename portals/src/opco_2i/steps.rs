//! OPCO 2i's request form: five pages (« 1-DEMANDE » … « 5-PIÈCES »), then « 6-TRANSMISSION ».

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{choice, company_siret, contract, cost, day, file, modality, text};

/// A duration in whole hours as the form asks it: days, hours, minutes.
fn days_hours_minutes(hours: u32, hours_per_day: u32) -> (u32, u32, u32) {
    let per_day = hours_per_day.max(1);
    (hours / per_day, hours % per_day, 0)
}

/// Our filing on OPCO 2i's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    let (days, hours, minutes) =
        days_hours_minutes(f.action.hours, facts.ui.hours_per_day.unwrap_or(7));
    let finality = facts.options.finality_bilan.clone().unwrap_or_default();
    vec![
        PageFill {
            name: "demande",
            fields: vec![
                text("Intitulé de l'action", &f.action.title),
                choice("Finalité de l'action", finality),
            ],
        },
        PageFill {
            name: "entreprise",
            fields: vec![
                company_siret(facts, "SIRET de l'établissement", f.company.siret.as_str()),
                text("N° d'adhérent", &f.company.opco_account),
            ],
        },
        PageFill {
            name: "salarie",
            fields: vec![
                text("Nom de naissance", &f.trainee.last_name),
                text("Prénom(s)", &f.trainee.first_names),
                day(facts, "Né(e) le", f.trainee.birth_date),
                text("Emploi occupé", &f.trainee.job_title),
                choice("Nature du contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "action",
            fields: vec![
                day(facts, "Début de l'action", f.action.start),
                day(facts, "Fin de l'action", f.action.end),
                text("Durée (jours)", days.to_string()),
                text("Durée (heures)", hours.to_string()),
                text("Durée (minutes)", minutes.to_string()),
                choice("Mode de réalisation", modality(facts, f)),
                text("Coût pédagogique (€ HT)", cost(f)),
                text("Raison sociale de l'organisme", &f.provider.name),
                text("SIRET de l'organisme", f.provider.siret.as_str()),
                text("N° de déclaration d'activité", f.provider.nda.as_str()),
            ],
        },
        PageFill {
            name: "pieces",
            fields: vec![
                file("Devis de l'organisme", &f.attachments.quote),
                file("Programme de l'action", &f.attachments.programme),
                file("Convention de formation", &f.attachments.agreement),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::days_hours_minutes;

    #[test]
    fn twenty_four_hours_are_three_days_and_three_hours_at_seven_hours_a_day() {
        assert_eq!(days_hours_minutes(24, 7), (3, 3, 0));
        assert_eq!(days_hours_minutes(6, 7), (0, 6, 0));
        assert_eq!(days_hours_minutes(14, 7), (2, 0, 0));
    }
}
