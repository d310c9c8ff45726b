//! Uniformation's DAF form (UniWeb): four pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on Uniformation's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "salarie",
            fields: vec![
                text("N° SIRET de l'établissement", f.company.siret.as_str()),
                text("N° d'adhérent Uniformation", &f.company.opco_account),
                text("Nom du salarié", &f.trainee.last_name),
                text("Prénom du salarié", &f.trainee.first_names),
                day(facts, "Date de naissance", f.trainee.birth_date),
                text("Emploi occupé", &f.trainee.job_title),
                choice("Nature du contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "stage",
            fields: vec![
                text("Intitulé du stage", &f.action.title),
                day(facts, "Date de début du stage", f.action.start),
                day(facts, "Date de fin du stage", f.action.end),
                text("Durée en heures", f.action.hours.to_string()),
                choice("Modalité de réalisation", modality(facts, f)),
                text("Coût pédagogique HT (€)", cost(f)),
                check("Paiement direct à l'organisme (subrogation)", f.subrogation),
            ],
        },
        PageFill {
            name: "organisme",
            fields: vec![
                text("Nom de l'organisme", &f.provider.name),
                provider_siret(facts, "N° SIRET de l'organisme", f.provider.siret.as_str()),
                text("N° de déclaration d'activité", f.provider.nda.as_str()),
                check("Organisme certifié Qualiopi", f.provider.qualiopi),
            ],
        },
        PageFill {
            name: "pieces",
            fields: vec![
                file("Devis", &f.attachments.quote),
                file("Programme du stage", &f.attachments.programme),
                file("Convention de formation", &f.attachments.agreement),
            ],
        },
    ]
}
