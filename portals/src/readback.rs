//! Reading back what the portal kept: the controls of a filled page and the summary's
//! label/value pairs, compared with the filing in the portal's own formats (dates, amounts,
//! boxes, option texts). The fleet never trusts its own writes: what counts is what the portal
//! shows after it saved them.

use browser::locator::{Control, normalize_label};
use chrono::NaiveDate;

use crate::error::Difference;
use crate::facts::Facts;
use crate::session::{PageFill, Value};

/// One field of the filing beside what the portal kept, read from the portal after saving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptValue {
    /// The portal's label.
    pub label: String,
    /// What the filing asks, in the portal's format.
    pub asked: String,
    /// What the portal shows it kept.
    pub kept: String,
    /// Whether both say the same thing once read in the portal's formats.
    pub same: bool,
}

/// A control the script does not fill that holds a value nobody chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownControl {
    pub label: String,
    pub value: String,
}

/// What a read-back found.
#[derive(Debug, Default)]
pub(crate) struct Readback {
    pub kept: Vec<KeptValue>,
    pub differences: Vec<Difference>,
    /// Unknown and holding a value: they stop the flow.
    pub unknown: Vec<UnknownControl>,
    /// Unknown, holding a value, and listed as harmless in the facts: a warning for staff.
    pub harmless: Vec<UnknownControl>,
}

impl Readback {
    /// Every difference, the unknown controls included (asked: nothing).
    pub(crate) fn all_differences(&self) -> Vec<Difference> {
        let mut out = self.differences.clone();
        out.extend(self.unknown.iter().map(|u| Difference {
            label: u.label.clone(),
            expected: String::new(),
            found: u.value.clone(),
        }));
        out
    }

    pub(crate) fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.unknown.is_empty()
    }

    fn push(&mut self, label: &str, value: &Value, shown: Option<&str>) {
        let asked = asked_text(value);
        let kept = shown.unwrap_or_default().to_owned();
        let same = shown.is_some_and(|s| same_value(value, s));
        if !same {
            self.differences.push(Difference {
                label: label.to_owned(),
                expected: asked.clone(),
                found: shown.map_or_else(|| "(absent)".to_owned(), str::to_owned),
            });
        }
        self.kept.push(KeptValue {
            label: label.to_owned(),
            asked,
            kept,
            same,
        });
    }

    fn unknown(&mut self, facts: &Facts, label: &str, value: &str) {
        let harmless = facts
            .known_harmless
            .iter()
            .any(|h| normalize_label(h) == normalize_label(label));
        let u = UnknownControl {
            label: label.to_owned(),
            value: value.to_owned(),
        };
        if harmless {
            self.harmless.push(u);
        } else {
            self.unknown.push(u);
        }
    }
}

fn asked_text(value: &Value) -> String {
    match value {
        Value::Text(t) | Value::Choice(t) | Value::Pick(t) => t.clone(),
        Value::ChooseOrCreate(c) => c.option.clone(),
        Value::Date(_, shown) => shown.clone(),
        Value::Check(b) => if *b { "Oui" } else { "Non" }.to_owned(),
        Value::File(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().collect::<Vec<_>>() == b.split_whitespace().collect::<Vec<_>>()
}

fn date_of(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// An amount or a number, written only with digits, separators and the euro sign; grouping
/// spaces are ignored so that a number shown in groups (a SIRET, say) equals the one typed.
fn number_of(s: &str) -> Option<domain::Euros> {
    let numeric = s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '€' | '\u{a0}' | '\u{202f}')
        });
    let ungrouped: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    numeric
        .then(|| domain::Euros::parse(&ungrouped).ok())
        .flatten()
}

fn truth_of(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "oui" | "yes" | "coché" | "cochée" => Some(true),
        "false" | "non" | "no" | "" => Some(false),
        _ => None,
    }
}

/// Whether the portal shows the value asked, read in the portal's formats.
pub(crate) fn same_value(value: &Value, shown: &str) -> bool {
    match value {
        Value::Text(t) => {
            same_text(t, shown)
                || matches!((date_of(t), date_of(shown)), (Some(a), Some(b)) if a == b)
                || matches!((number_of(t), number_of(shown)), (Some(a), Some(b)) if a == b)
        }
        Value::Choice(c) => normalize_label(c) == normalize_label(shown),
        Value::ChooseOrCreate(c) => normalize_label(&c.option) == normalize_label(shown),
        Value::Date(d, _) => date_of(shown) == Some(*d),
        Value::Pick(t) => same_value(&Value::Text(t.clone()), shown),
        Value::Check(b) => truth_of(shown) == Some(*b),
        Value::File(_) => {
            let name = asked_text(value);
            !name.is_empty() && shown.contains(&name)
        }
    }
}

/// A filled page read back from its controls: every field the script fills compared with what
/// its control holds now, every other control holding a value listed.
pub(crate) fn page(facts: &Facts, page: &PageFill, controls: &[Control]) -> Readback {
    let mut out = Readback::default();
    for f in &page.fields {
        if matches!(f.value, Value::File(_)) {
            // A file input holds nothing once its page is saved; the summary names the file.
            continue;
        }
        let want = normalize_label(f.label);
        let shown = controls
            .iter()
            .find(|c| normalize_label(&c.label) == want)
            .map(|c| c.value.as_str());
        out.push(f.label, &f.value, shown);
    }
    let known: Vec<String> = page
        .fields
        .iter()
        .map(|f| normalize_label(f.label))
        .collect();
    for c in controls {
        if c.filled && !known.contains(&normalize_label(&c.label)) {
            out.unknown(facts, &c.label, &c.value);
        }
    }
    out
}

/// The summary read back: every field of every page compared with the value the summary states
/// for its label, every other line of the summary holding a value listed.
pub(crate) fn summary(facts: &Facts, pages: &[PageFill], stated: &[(String, String)]) -> Readback {
    let mut out = Readback::default();
    let mut known = Vec::new();
    for f in pages.iter().flat_map(|p| p.fields.iter()) {
        let want = normalize_label(f.label);
        let shown = stated
            .iter()
            .find(|(l, _)| normalize_label(l) == want)
            .map(|(_, v)| v.as_str());
        out.push(f.label, &f.value, shown);
        known.push(want);
    }
    for (label, value) in stated {
        let empty = matches!(truth_of(value), Some(false)) || value.trim() == "—";
        if !empty && !known.contains(&normalize_label(label)) {
            out.unknown(facts, label, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_compared_in_the_portals_formats() {
        let t = |s: &str| Value::Text(s.to_owned());
        assert!(same_value(&t("2027-03-02"), "02/03/2027"));
        assert!(!same_value(&t("2027-03-02"), "03/02/2027"));
        assert!(same_value(&t("1800,00"), "1 800,00 €"));
        assert!(!same_value(&t("1800,00"), "1900,00"));
        assert!(same_value(&t("24"), "24"));
        assert!(!same_value(&t("Assistante de direction"), "Assistante d"));
        // Identifiers are text, not amounts: the digits alone do not make them equal.
        assert!(!same_value(&t("ADH-448812"), "XYZ-448812"));
        assert!(same_value(&Value::Choice("Mixte".into()), "mixte"));
        assert!(same_value(&Value::Check(true), "Oui"));
        assert!(same_value(&Value::Check(false), "false"));
        assert!(!same_value(&Value::Check(true), "Non"));
        assert!(same_value(
            &Value::File("/tmp/devis.pdf".into()),
            "devis.pdf (43 octets)"
        ));
    }
}
