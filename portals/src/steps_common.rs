//! Helpers the portals' `steps.rs` share: our filing's values in a portal's words.

use chrono::NaiveDate;

use crate::facts::Facts;
use crate::filing::{Contract, Filing, Modality, amount_fr};
use crate::session::{FieldFill, Value};

pub(crate) fn text(label: &'static str, v: impl Into<String>) -> FieldFill {
    FieldFill {
        label,
        value: Value::Text(v.into()),
    }
}

pub(crate) fn choice(label: &'static str, v: impl Into<String>) -> FieldFill {
    FieldFill {
        label,
        value: Value::Choice(v.into()),
    }
}

pub(crate) fn check(label: &'static str, v: bool) -> FieldFill {
    FieldFill {
        label,
        value: Value::Check(v),
    }
}

pub(crate) fn file(label: &'static str, p: &std::path::Path) -> FieldFill {
    FieldFill {
        label,
        value: Value::File(p.to_owned()),
    }
}

pub(crate) fn date(facts: &Facts, d: NaiveDate) -> String {
    d.format(&facts.ui.date_format).to_string()
}

/// A date field: set the way its control takes dates (native, masked or free text).
pub(crate) fn day(facts: &Facts, label: &'static str, d: NaiveDate) -> FieldFill {
    FieldFill {
        label,
        value: Value::Date(d, date(facts, d)),
    }
}

/// The provider's SIRET: chosen among the portal's suggestions where its facts say so.
pub(crate) fn provider_siret(facts: &Facts, label: &'static str, siret: &str) -> FieldFill {
    FieldFill {
        label,
        value: if facts.ui.provider_autocomplete {
            Value::Pick(siret.to_owned())
        } else {
            Value::Text(siret.to_owned())
        },
    }
}

/// The company's SIRET: chosen among the portal's suggestions where its facts say so.
pub(crate) fn company_siret(facts: &Facts, label: &'static str, siret: &str) -> FieldFill {
    FieldFill {
        label,
        value: if facts.ui.company_autocomplete {
            Value::Pick(siret.to_owned())
        } else {
            Value::Text(siret.to_owned())
        },
    }
}

pub(crate) fn contract(facts: &Facts, f: &Filing) -> String {
    match f.trainee.contract {
        Contract::Cdi => facts.options.contract_cdi.clone(),
        Contract::Cdd => facts.options.contract_cdd.clone(),
    }
}

pub(crate) fn modality(facts: &Facts, f: &Filing) -> String {
    match f.action.modality {
        Modality::Presentiel => facts.options.modality_presentiel.clone(),
        Modality::Distanciel => facts.options.modality_distanciel.clone(),
        Modality::Mixte => facts.options.modality_mixte.clone(),
    }
}

pub(crate) fn cost(f: &Filing) -> String {
    amount_fr(f.action.cost_ht)
}
