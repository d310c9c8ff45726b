//! Constructys's request form (eGestion): five pages, then the summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::PageFill;
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// Our filing on Constructys's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    vec![
        PageFill {
            name: "adherent",
            fields: vec![
                text("N° SIRET", f.company.siret.as_str()),
                text("N° d'adhérent Constructys", &f.company.opco_account),
            ],
        },
        PageFill {
            name: "stagiaire",
            fields: vec![
                text("Nom du stagiaire", &f.trainee.last_name),
                text("Prénom du stagiaire", &f.trainee.first_names),
                day(facts, "Né le", f.trainee.birth_date),
                text("Emploi", &f.trainee.job_title),
                choice("Nature du contrat de travail", contract(facts, f)),
            ],
        },
        PageFill {
            name: "stage",
            fields: vec![
                text("Intitulé du stage", &f.action.title),
                day(facts, "Date de début du stage", f.action.start),
                day(facts, "Date de fin du stage", f.action.end),
                text("Nombre d'heures de formation", f.action.hours.to_string()),
                choice("Modalité", modality(facts, f)),
                text("Frais pédagogiques HT", cost(f)),
                check("Subrogation : Constructys règle l'organisme", f.subrogation),
            ],
        },
        PageFill {
            name: "organisme",
            fields: vec![
                text("Nom de l'organisme", &f.provider.name),
                provider_siret(facts, "SIRET de l'organisme de formation", f.provider.siret.as_str()),
                text("N° de déclaration d'activité", f.provider.nda.as_str()),
                check("Certification Qualiopi", f.provider.qualiopi),
            ],
        },
        PageFill {
            name: "documents",
            fields: vec![
                file("Devis", &f.attachments.quote),
                file("Programme détaillé", &f.attachments.programme),
                file("Convention de formation signée", &f.attachments.agreement),
            ],
        },
    ]
}
