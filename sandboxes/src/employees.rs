//! The employees a portal keeps for each account, on the portals where the trainee is chosen
//! among them (a [`Kind::Employee`](crate::spec::Kind::Employee) field) or created first in a
//! dialog of the app.

use serde::{Deserialize, Serialize};

use crate::spec::{Employee, EmployeeChoice};

/// An employee an account created, as the sandbox remembers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Created {
    pub account: String,
    pub id: String,
    pub last_name: String,
    pub first_names: String,
    /// `jj/mm/aaaa`.
    pub birth_date: String,
    pub job: String,
    /// The contract's code among the choice's contracts.
    pub contract: String,
}

impl Created {
    fn of_seed(account: &str, n: usize, e: &Employee) -> Self {
        Self {
            account: account.to_owned(),
            id: seed_id(n),
            last_name: e.last_name.to_owned(),
            first_names: e.first_names.to_owned(),
            birth_date: e.birth_date.to_owned(),
            job: e.job.to_owned(),
            contract: e.contract.to_owned(),
        }
    }

    /// What its option in the combobox says.
    pub(crate) fn text(&self) -> String {
        EmployeeChoice::option_text(&self.last_name, &self.first_names, &self.birth_date)
    }

    /// The request's values it stands for.
    pub(crate) fn values(&self) -> [(&'static str, String); 5] {
        [
            ("trainee_last_name", self.last_name.clone()),
            ("trainee_first_names", self.first_names.clone()),
            ("trainee_birth_date", self.birth_date.clone()),
            ("trainee_job", self.job.clone()),
            ("trainee_contract", self.contract.clone()),
        ]
    }
}

fn seed_id(n: usize) -> String {
    format!("SAL-{:04}", n + 1)
}

/// The options of the employees every account starts with: (id, text).
pub(crate) fn seed_options(choice: &EmployeeChoice) -> Vec<(String, String)> {
    choice
        .seeds
        .iter()
        .enumerate()
        .map(|(n, e)| Created::of_seed("", n, e))
        .map(|e| (e.id.clone(), e.text()))
        .collect()
}

/// The employees of one account: the ones it started with, then the ones it created.
pub(crate) fn of_account(
    choice: &EmployeeChoice,
    created: &[Created],
    account: &str,
) -> Vec<Created> {
    let mut out: Vec<Created> = choice
        .seeds
        .iter()
        .enumerate()
        .map(|(n, e)| Created::of_seed(account, n, e))
        .collect();
    out.extend(created.iter().filter(|e| e.account == account).cloned());
    out
}

/// What the creation dialog sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewEmployee {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_names: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub job: String,
    #[serde(default)]
    pub contract: String,
}

/// Checks what the dialog sent and adds the employee to the account; the errors say what is
/// wrong, in the portal's words.
pub(crate) fn create(
    choice: &EmployeeChoice,
    created: &mut Vec<Created>,
    account: &str,
    new: NewEmployee,
) -> Result<Created, Vec<String>> {
    let [last, first, birth, job, contract] = choice.labels;
    let mut errors = Vec::new();
    for (label, v) in [
        (last, &new.last_name),
        (first, &new.first_names),
        (birth, &new.birth_date),
        (job, &new.job),
        (contract, &new.contract),
    ] {
        if v.trim().is_empty() {
            errors.push(format!("Le champ « {label} » est obligatoire."));
        }
    }
    if !new.birth_date.trim().is_empty()
        && chrono::NaiveDate::parse_from_str(new.birth_date.trim(), "%d/%m/%Y").is_err()
    {
        errors.push(format!("Le champ « {birth} » n'est pas valide."));
    }
    if !new.contract.is_empty() && !choice.contracts.iter().any(|(c, _)| *c == new.contract) {
        errors.push(format!("Le champ « {contract} » n'est pas valide."));
    }
    let existing = of_account(choice, created, account);
    let wanted = EmployeeChoice::option_text(&new.last_name, &new.first_names, &new.birth_date);
    if errors.is_empty() && existing.iter().any(|e| e.text() == wanted) {
        errors.push(choice.duplicate.to_owned());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let e = Created {
        account: account.to_owned(),
        id: seed_id(existing.len()),
        last_name: new.last_name.trim().to_owned(),
        first_names: new.first_names.trim().to_owned(),
        birth_date: new.birth_date.trim().to_owned(),
        job: new.job.trim().to_owned(),
        contract: new.contract,
    };
    created.push(e.clone());
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEEDS: &[Employee] = &[Employee {
        last_name: "Martin",
        first_names: "Sophie",
        birth_date: "02/05/1979",
        job: "Assistante",
        contract: "CDI",
    }];
    static CHOICE: EmployeeChoice = EmployeeChoice {
        seeds: SEEDS,
        create_button: "Créer un salarié",
        dialog_title: "Nouveau salarié",
        save_button: "Enregistrer",
        labels: ["Nom", "Prénom", "Date de naissance", "Emploi", "Contrat"],
        contracts: &[("CDI", "CDI")],
        duplicate: "Ce salarié existe déjà.",
    };

    fn paul() -> NewEmployee {
        NewEmployee {
            last_name: "Dupont".into(),
            first_names: "Paul".into(),
            birth_date: "12/03/1985".into(),
            job: "Comptable".into(),
            contract: "CDI".into(),
        }
    }

    #[test]
    fn an_account_creates_an_employee_once_and_other_accounts_do_not_see_it() {
        let mut created = Vec::new();
        let e = create(&CHOICE, &mut created, "a@x.fr", paul()).unwrap();
        assert_eq!(e.id, "SAL-0002");
        assert_eq!(e.text(), "DUPONT Paul — né(e) le 12/03/1985");
        let again = create(&CHOICE, &mut created, "a@x.fr", paul()).unwrap_err();
        assert_eq!(again, vec!["Ce salarié existe déjà.".to_owned()]);
        assert_eq!(of_account(&CHOICE, &created, "a@x.fr").len(), 2);
        assert_eq!(of_account(&CHOICE, &created, "b@x.fr").len(), 1);
    }

    #[test]
    fn a_bad_birth_date_or_a_missing_field_is_refused_in_the_portals_words() {
        let mut created = Vec::new();
        let bad = NewEmployee {
            birth_date: "1985-03-12".into(),
            job: String::new(),
            ..paul()
        };
        let errors = create(&CHOICE, &mut created, "a@x.fr", bad).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "Le champ « Emploi » est obligatoire.".to_owned(),
                "Le champ « Date de naissance » n'est pas valide.".to_owned()
            ]
        );
        assert!(created.is_empty());
    }
}
