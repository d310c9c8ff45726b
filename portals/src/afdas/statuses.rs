//! Afdas's status wording, mapped through the `[statuses]` table of its facts.toml.

use browser::locator::TableRow;
use regex::Regex;

use crate::facts::Facts;
use crate::script::read_row_with_facts;
use crate::status::DossierStatus;

/// One row of Afdas's list: the amount granted and the reason are in their own columns.
pub(crate) fn read_row(
    row: &TableRow,
    facts: &Facts,
    dossier_re: &Regex,
) -> Result<Option<DossierStatus>, String> {
    read_row_with_facts(row, facts, dossier_re)
}
