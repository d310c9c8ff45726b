//! Afdas's request form (MyA): the pop-up « Nouvelle demande », then the request's one module
//! (a bilan is one module: the action, its provider, its trainee), the attachments and the
//! summary.

use crate::facts::Facts;
use crate::filing::Filing;
use crate::session::{Creation, FieldFill, PageFill, Value};
use crate::steps_common::{
    check, choice, contract, cost, day, file, modality, provider_siret, text,
};

/// The option naming an employee in the module's « Salarié » combobox:
/// `DUPONT Paul — né(e) le 12/03/1985`.
fn employee_option(f: &Filing, facts: &Facts) -> String {
    format!(
        "{} {} — né(e) le {}",
        f.trainee.last_name.trim().to_uppercase(),
        f.trainee.first_names.trim(),
        crate::steps_common::date(facts, f.trainee.birth_date)
    )
}

/// The module's trainee: the account's employee when the portal has them, else created first.
fn trainee(f: &Filing, facts: &Facts) -> FieldFill {
    FieldFill {
        label: "Salarié",
        value: Value::ChooseOrCreate(Box::new(Creation {
            option: employee_option(f, facts),
            button: "Créer un salarié",
            save: "Enregistrer le salarié",
            fields: vec![
                text("Nom de naissance", &f.trainee.last_name),
                text("Prénom", &f.trainee.first_names),
                day(facts, "Date de naissance", f.trainee.birth_date),
                text("Emploi occupé", &f.trainee.job_title),
                choice("Type de contrat", contract(facts, f)),
            ],
        })),
    }
}

/// Our filing on Afdas's pages, in the portal's order and words.
pub(crate) fn pages(f: &Filing, facts: &Facts) -> Vec<PageFill> {
    let scheme = facts.options.scheme_pdc.clone().unwrap_or_default();
    let nature = facts.options.finality_bilan.clone().unwrap_or_default();
    vec![
        PageFill {
            name: "nouvelle-demande",
            fields: vec![
                choice("Dispositif", scheme),
                text("Intitulé de la demande", &f.action.title),
                text("SIRET de l'établissement", f.company.siret.as_str()),
                text("N° d'adhérent Afdas", &f.company.opco_account),
            ],
        },
        PageFill {
            name: "module-action",
            fields: vec![
                choice("Nature de l'action", nature),
                day(facts, "Date de début du module", f.action.start),
                day(facts, "Date de fin du module", f.action.end),
                text("Durée du module (heures)", f.action.hours.to_string()),
                choice("Modalité pédagogique", modality(facts, f)),
                text("Coût pédagogique HT", cost(f)),
            ],
        },
        PageFill {
            name: "module-organisme",
            fields: vec![
                text("Raison sociale de l'organisme", &f.provider.name),
                provider_siret(facts, "SIRET de l'organisme", f.provider.siret.as_str()),
                text("Numéro de déclaration d'activité", f.provider.nda.as_str()),
                check("Organisme certifié Qualiopi", f.provider.qualiopi),
                check(
                    "Subrogation : l'Afdas règle directement l'organisme",
                    f.subrogation,
                ),
            ],
        },
        PageFill {
            name: "module-stagiaires",
            fields: vec![trainee(f, facts)],
        },
        PageFill {
            name: "pieces",
            fields: vec![
                file("Devis de l'organisme", &f.attachments.quote),
                file("Programme de formation", &f.attachments.programme),
                file("Convention de formation", &f.attachments.agreement),
            ],
        },
    ]
}
