//! OPCO Santé's request form (invented: nothing public was found): four pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on OPCO Santé's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "etablissement",
            fields: vec![
                text("SIRET de l'établissement employeur", f.company.siret.as_str()),
                text("Numéro d'adhérent", &f.company.opco_account),
            ],
        },
        PageFill {
            name: "salarie",
            fields: vec![
                text("Nom", &f.trainee.last_name),
                text("Prénom(s) du salarié", &f.trainee.first_names),
                day(facts, "Date de naissance du salarié", f.trainee.birth_date),
                text("Fonction exercée", &f.trainee.job_title),
                choice("Contrat de travail", contract(facts, f)),
            ],
        },
        PageFill {
            name: "action",
            fields: vec![
                text("Intitulé de l'action", &f.action.title),
                day(facts, "Début de l'action", f.action.start),
                day(facts, "Fin de l'action", f.action.end),
                text("Volume horaire", f.action.hours.to_string()),
                choice("Modalité de l'action", modality(facts, f)),
                text("Coût pédagogique hors taxes", cost(f)),
                text("Organisme prestataire", &f.provider.name),
                provider_siret(facts, "SIRET du prestataire", f.provider.siret.as_str()),
                text("Numéro de déclaration d'activité", f.provider.nda.as_str()),
                check("Prestataire certifié Qualiopi", f.provider.qualiopi),
                check("Règlement direct du prestataire (subrogation)", f.subrogation),
            ],
        },
        PageFill {
            name: "justificatifs",
            fields: vec![
                file("Devis du prestataire", &f.attachments.quote),
                file("Programme de l'action", &f.attachments.programme),
                file("Convention signée", &f.attachments.agreement),
            ],
        },
    ]
}
