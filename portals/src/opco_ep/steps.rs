//! OPCO EP's request form: four pages, then the summary. No subrogation box (see facts.toml).

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on OPCO EP's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "stagiaire",
            fields: vec![
                text("SIRET de l'entreprise", f.company.siret.as_str()),
                text("Code adhérent", &f.company.opco_account),
                text("Nom", &f.trainee.last_name),
                text("Prénoms", &f.trainee.first_names),
                day(facts, "Date de naissance", f.trainee.birth_date),
                text("Poste occupé", &f.trainee.job_title),
                choice("Contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "formation",
            fields: vec![
                text("Intitulé", &f.action.title),
                day(facts, "Date de début", f.action.start),
                day(facts, "Date de fin", f.action.end),
                text("Durée en heures", f.action.hours.to_string()),
                choice("Modalité de réalisation", modality(facts, f)),
                text("Coût pédagogique HT", cost(f)),
            ],
        },
        PageFill {
            name: "organisme",
            fields: vec![
                text("Organisme de formation", &f.provider.name),
                provider_siret(facts, "SIRET organisme", f.provider.siret.as_str()),
                text("NDA", f.provider.nda.as_str()),
                check("Organisme certifié Qualiopi", f.provider.qualiopi),
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
