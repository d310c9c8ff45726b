//! L'Opcommerce's request form (Forconet): four pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on L'Opcommerce's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "etablissement",
            fields: vec![
                text("SIRET de l'établissement", f.company.siret.as_str()),
                text("N° d'adhérent", &f.company.opco_account),
                text("Nom du stagiaire", &f.trainee.last_name),
                text("Prénom du stagiaire", &f.trainee.first_names),
                day(facts, "Date de naissance", f.trainee.birth_date),
                text("Emploi occupé", &f.trainee.job_title),
                choice("Type de contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "action",
            fields: vec![
                text("Intitulé de l'action", &f.action.title),
                day(facts, "Date de début", f.action.start),
                day(facts, "Date de fin", f.action.end),
                text("Nombre d'heures", f.action.hours.to_string()),
                choice("Modalité pédagogique", modality(facts, f)),
                text("Coût pédagogique HT", cost(f)),
                check("Subrogation de paiement à l'organisme", f.subrogation),
            ],
        },
        PageFill {
            name: "organisme",
            fields: vec![
                text("Raison sociale de l'organisme", &f.provider.name),
                provider_siret(facts, "SIRET de l'organisme", f.provider.siret.as_str()),
                text("N° de déclaration d'activité (NDA)", f.provider.nda.as_str()),
                check("Organisme certifié Qualiopi", f.provider.qualiopi),
            ],
        },
        PageFill {
            name: "pieces",
            fields: vec![
                file("Devis", &f.attachments.quote),
                file("Programme de formation", &f.attachments.programme),
                file("Convention de formation", &f.attachments.agreement),
            ],
        },
    ]
}
