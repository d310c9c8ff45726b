//! AKTO's request form: three pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on AKTO's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "entreprise-beneficiaire",
            fields: vec![
                text("SIRET", f.company.siret.as_str()),
                text("Numéro de compte AKTO", &f.company.opco_account),
                text("Nom de naissance", &f.trainee.last_name),
                text("Prénom", &f.trainee.first_names),
                day(facts, "Né(e) le", f.trainee.birth_date),
                text("Emploi occupé", &f.trainee.job_title),
                choice("Nature du contrat", contract(facts, f)),
            ],
        },
        PageFill {
            name: "formation-prestataire",
            fields: vec![
                text("Intitulé de l'action", &f.action.title),
                day(facts, "Premier jour de formation", f.action.start),
                day(facts, "Dernier jour de formation", f.action.end),
                text("Nombre d'heures", f.action.hours.to_string()),
                choice("Modalité", modality(facts, f)),
                text("Coût total HT", cost(f)),
                text("Nom du prestataire", &f.provider.name),
                provider_siret(facts, "SIRET du prestataire", f.provider.siret.as_str()),
                text("N° de déclaration d'activité", f.provider.nda.as_str()),
                check("Le prestataire est certifié Qualiopi", f.provider.qualiopi),
                check("Je demande la subrogation de paiement", f.subrogation),
            ],
        },
        PageFill {
            name: "documents",
            fields: vec![
                file("Devis", &f.attachments.quote),
                file("Programme", &f.attachments.programme),
                file("Convention de formation", &f.attachments.agreement),
            ],
        },
    ]
}
