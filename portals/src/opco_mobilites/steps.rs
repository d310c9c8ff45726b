//! OPCO Mobilités's request form (M-Gestion): three pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on OPCO Mobilités's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "beneficiaire",
            fields: vec![
                text("SIRET de l'entreprise", f.company.siret.as_str()),
                text("Numéro de compte adhérent", &f.company.opco_account),
                text("Nom du bénéficiaire", &f.trainee.last_name),
                text("Prénom du bénéficiaire", &f.trainee.first_names),
                day(facts, "Date de naissance", f.trainee.birth_date),
                text("Métier exercé", &f.trainee.job_title),
                choice("Type de contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "formation",
            fields: vec![
                text("Intitulé de la formation", &f.action.title),
                day(facts, "Date de démarrage", f.action.start),
                day(facts, "Date d'achèvement", f.action.end),
                text("Durée totale (heures)", f.action.hours.to_string()),
                choice("Mode de formation", modality(facts, f)),
                text("Coût pédagogique (HT)", cost(f)),
                text("Organisme dispensateur", &f.provider.name),
                provider_siret(facts, "SIRET de l'organisme dispensateur", f.provider.siret.as_str()),
                text("NDA de l'organisme", f.provider.nda.as_str()),
                check("Organisme certifié Qualiopi", f.provider.qualiopi),
                check("Paiement direct à l'organisme (subrogation)", f.subrogation),
            ],
        },
        PageFill {
            name: "pieces",
            fields: vec![
                file("Devis", &f.attachments.quote),
                file("Programme", &f.attachments.programme),
                file("Convention", &f.attachments.agreement),
            ],
        },
    ]
}
