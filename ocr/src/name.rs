//! Comparing the names read in the zone with the trainee's expected name.
//!
//! The zone holds names transliterated to `A-Z` (ICAO 9303 §6), may truncate long names, and
//! French passports and cards carry the birth surname, not a usage (married) name.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

/// The trainee's name as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedName {
    pub surname: String,
    /// Given names in any form: "Anna Maria", "Jean-Pierre".
    #[serde(default)]
    pub given_names: String,
    /// Birth (maiden) surname when it differs from `surname`.
    #[serde(default)]
    pub birth_surname: Option<String>,
    /// Usage surname (e.g. a married name) when it differs from `surname`.
    #[serde(default)]
    pub usage_surname: Option<String>,
    /// The name as typed in one string, when the split into surname and given names was
    /// guessed: its words then match the document in either order.
    #[serde(skip)]
    typed: Option<String>,
}

impl ExpectedName {
    /// Reads a name typed in one string: "SURNAME, Given Names", or without a comma in any
    /// order ("DUPONT Paul", "Paul Dupont").
    ///
    /// Without a comma, the words in capitals are taken for the surname (else the last word),
    /// but matching also tries every other split of the words, in both orders.
    pub fn from_full_name(full: &str) -> Self {
        if let Some((surname, given)) = full.split_once(',') {
            return Self::new(surname.trim(), given.trim());
        }
        let mut split = Self::split_full_name(full);
        split.typed = Some(full.to_owned());
        split
    }

    fn split_full_name(full: &str) -> Self {
        let words: Vec<&str> = full.split_whitespace().collect();
        let is_upper =
            |w: &&str| w.chars().any(char::is_alphabetic) && w.chars().all(|c| !c.is_lowercase());
        let upper: Vec<&str> = words.iter().copied().filter(is_upper).collect();
        if !upper.is_empty() && upper.len() < words.len() {
            let given: Vec<&str> = words.iter().copied().filter(|w| !is_upper(w)).collect();
            return Self::new(&upper.join(" "), &given.join(" "));
        }
        match words.split_last() {
            Some((last, rest)) => Self::new(last, &rest.join(" ")),
            None => Self::new("", ""),
        }
    }

    pub fn new(surname: &str, given_names: &str) -> Self {
        Self {
            surname: surname.to_owned(),
            given_names: given_names.to_owned(),
            birth_surname: None,
            usage_surname: None,
            typed: None,
        }
    }

    /// The words of a name typed in one string (or of a surname given without given names),
    /// when their order is not known.
    fn unordered_words(&self) -> Option<Vec<String>> {
        let words = match &self.typed {
            Some(typed) => tokens(typed),
            None if self.given_names.trim().is_empty() => tokens(&self.surname),
            None => return None,
        };
        (words.len() >= 2).then_some(words)
    }
}

/// How well the zone's names match the expected name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// Surname and given names agree.
    Match,
    /// Close but not certain (one given name differs, a letter differs, a name is truncated).
    Partial,
    Mismatch,
}

/// Uppercase ASCII tokens, accents removed, ICAO transliterations applied.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = String::new();
    for c in s.nfd() {
        match c {
            'ß' => out.push_str("SS"),
            'æ' | 'Æ' => out.push_str("AE"),
            'œ' | 'Œ' => out.push_str("OE"),
            'ø' | 'Ø' => out.push('O'),
            'đ' | 'Đ' => out.push('D'),
            'ł' | 'Ł' => out.push('L'),
            'þ' | 'Þ' => out.push_str("TH"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            _ => out.push(' '),
        }
    }
    out.split_whitespace().map(str::to_owned).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `read` is `expected` with at most two fillers misread as K, L or X and glued to the names
/// (`SEANK`, `JEROMEXMARIE`): the zone's names carry no check digit to catch this.
fn equal_but_misread_fillers(read: &str, expected: &str) -> bool {
    let (r, e): (Vec<char>, Vec<char>) = (read.chars().collect(), expected.chars().collect());
    let (mut i, mut j, mut extra) = (0, 0, 0);
    while i < r.len() {
        if j < e.len() && r[i] == e[j] {
            i += 1;
            j += 1;
        } else if matches!(r[i], 'K' | 'L' | 'X') && extra < 2 {
            i += 1;
            extra += 1;
        } else {
            return false;
        }
    }
    j == e.len()
}

#[derive(PartialEq, PartialOrd, Clone, Copy)]
enum Closeness {
    None,
    Near,
    Exact,
}

/// Compares two names as joined letters, tolerating truncation of the zone's copy.
fn compare(read: &[String], expected: &[String]) -> Closeness {
    let r: String = read.concat();
    let e: String = expected.concat();
    if r.is_empty() || e.is_empty() {
        return Closeness::None;
    }
    if r == e || equal_but_misread_fillers(&r, &e) {
        return Closeness::Exact;
    }
    // A token subset (compound names, second surnames) or a truncated zone field.
    let subset =
        expected.iter().all(|t| read.contains(t)) || read.iter().all(|t| expected.contains(t));
    let truncated = r.len() >= 4 && e.starts_with(&r);
    if subset || truncated || (e.len() >= 5 && edit_distance(&r, &e) <= 1) {
        return Closeness::Near;
    }
    Closeness::None
}

/// Matches the zone's surname and given names against the expected name.
///
/// A name typed in one string is also tried split at every word, in both orders ("DUPONT
/// Paul" and "Paul DUPONT" both match the document of Paul DUPONT); the best match counts.
pub fn match_name(surname: &str, given_names: &[String], expected: &ExpectedName) -> NameMatch {
    let as_given = match_ordered(surname, given_names, expected);
    let Some(words) = expected.unordered_words() else {
        return as_given;
    };
    if as_given == NameMatch::Match {
        return as_given;
    }
    let mut best = as_given;
    for k in 1..words.len() {
        let (head, tail) = (words[..k].join(" "), words[k..].join(" "));
        for (s, g) in [(&head, &tail), (&tail, &head)] {
            let mut split = expected.clone();
            split.surname = s.clone();
            split.given_names = g.clone();
            split.typed = None;
            let m = match_ordered(surname, given_names, &split);
            if rank(m) > rank(best) {
                best = m;
            }
        }
    }
    best
}

fn rank(m: NameMatch) -> u8 {
    match m {
        NameMatch::Mismatch => 0,
        NameMatch::Partial => 1,
        NameMatch::Match => 2,
    }
}

fn match_ordered(surname: &str, given_names: &[String], expected: &ExpectedName) -> NameMatch {
    let read_surname = tokens(surname);
    let read_given: Vec<String> = given_names.iter().flat_map(|g| tokens(g)).collect();
    let surname_score = [
        Some(&expected.surname),
        expected.birth_surname.as_ref(),
        expected.usage_surname.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|s| compare(&read_surname, &tokens(s)))
    .fold(Closeness::None, |a, b| if b > a { b } else { a });
    let expected_given = tokens(&expected.given_names);
    let given_score = if expected_given.is_empty() {
        Closeness::Exact
    } else if read_given.is_empty() {
        Closeness::None
    } else {
        let whole = compare(&read_given, &expected_given);
        // The first given name alone is enough when the other list has more names.
        let first = compare(&read_given[..1], &expected_given[..1]);
        let first =
            if first == Closeness::Exact && (read_given.len() > 1 || expected_given.len() > 1) {
                Closeness::Exact
            } else {
                first
            };
        if whole > first { whole } else { first }
    };
    match (surname_score, given_score) {
        (Closeness::Exact, Closeness::Exact) => NameMatch::Match,
        (Closeness::None, _) => NameMatch::Mismatch,
        (_, Closeness::None) if surname_score == Closeness::Near => NameMatch::Mismatch,
        _ => NameMatch::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accents_case_and_hyphens_do_not_matter() {
        let e = ExpectedName::new("Martin", "Maëlys-Gaëlle Marie");
        assert_eq!(
            match_name("MARTIN", &given(&["MAELYS", "GAELLE", "MARIE"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn only_the_first_given_name_is_needed() {
        let e = ExpectedName::new("ERIKSSON", "Anna");
        assert_eq!(
            match_name("ERIKSSON", &given(&["ANNA", "MARIA"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn a_married_name_matches_through_the_birth_surname() {
        let mut e = ExpectedName::new("Dupont", "Corinne");
        e.birth_surname = Some("Berthier".into());
        assert_eq!(
            match_name("BERTHIER", &given(&["CORINNE"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn fillers_read_as_letters_and_glued_to_names_still_match() {
        let e = ExpectedName::new("Dubois", "Jérôme Marie");
        assert_eq!(
            match_name("DUBOIS", &given(&["JEROMEXMARIE"]), &e),
            NameMatch::Match
        );
        let e = ExpectedName::new("O'Connor", "Seán");
        assert_eq!(
            match_name("OCONNOR", &given(&["SEANK"]), &e),
            NameMatch::Match
        );
        let e = ExpectedName::new("Martin", "Paul");
        assert_ne!(
            match_name("MARTIN", &given(&["PAULINE"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn another_person_does_not_match() {
        let e = ExpectedName::new("Durand", "Paul");
        assert_eq!(
            match_name("MARTIN", &given(&["MAELYS"]), &e),
            NameMatch::Mismatch
        );
    }

    #[test]
    fn a_name_typed_surname_first_matches_in_either_order() {
        let doc = given(&["PAUL"]);
        for typed in [
            "DUPONT Paul",
            "Paul DUPONT",
            "Dupont Paul",
            "PAUL DUPONT",
            "dupont paul",
        ] {
            let e = ExpectedName::from_full_name(typed);
            assert_eq!(match_name("DUPONT", &doc, &e), NameMatch::Match, "{typed}");
        }
        let e = ExpectedName::from_full_name("DUPONT Paul");
        assert_eq!(
            match_name("DURAND", &doc, &e),
            NameMatch::Mismatch,
            "another surname"
        );
    }

    #[test]
    fn compound_names_typed_in_one_string_are_tried_at_every_split() {
        let e = ExpectedName::from_full_name("de la Fontaine Jean-Pierre Marie");
        assert_eq!(
            match_name("DE LA FONTAINE", &given(&["JEAN", "PIERRE", "MARIE"]), &e),
            NameMatch::Match
        );
        let e = ExpectedName::from_full_name("Élodie Marie LE GOFF");
        assert_eq!(
            match_name("LE GOFF", &given(&["ELODIE", "MARIE"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn a_structured_name_is_not_reordered() {
        // Surname and given names given apart are unambiguous: swapped, they are not the same.
        let e = ExpectedName::new("Paul", "Dupont");
        assert_ne!(
            match_name("DUPONT", &given(&["PAUL"]), &e),
            NameMatch::Match
        );
        // A surname field holding the whole name, with no given names, is free text.
        let e = ExpectedName::new("DUPONT Paul", "");
        assert_eq!(
            match_name("DUPONT", &given(&["PAUL"]), &e),
            NameMatch::Match
        );
    }

    #[test]
    fn a_full_name_typed_on_the_command_line_is_split() {
        let e = ExpectedName::from_full_name("Maëlys Gaëlle MARTIN");
        assert_eq!(e.surname, "MARTIN");
        assert_eq!(e.given_names, "Maëlys Gaëlle");
        let e = ExpectedName::from_full_name("Berthier, Corinne");
        assert_eq!(e.surname, "Berthier");
    }
}
