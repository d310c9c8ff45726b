//! Agreement across OCR readings of one zone: what may be reported as read.
//!
//! A check digit catches one wrong character; it does not make a search for a reading that
//! validates safe (one wrong reading in ten passes it). So a zone's document number and dates
//! count as read when they come out the same in two readings (OCR variants of the same band),
//! or in the first reading made when it needed no repair in them; the names likewise. Characters on which the
//! readings disagree are settled only when exactly one way of resolving them validates every
//! check; when several do, the zone is ambiguous and a person chooses between the candidates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::mrz::{Mrz, MrzFormat, Repair};

/// One OCR reading of a zone: which reading it was (from 1, in order) and what it parsed to.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    pub number: u8,
    pub mrz: Mrz,
}

/// A way the zone may read, for a person to choose when the readings do not settle it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub document_number: String,
    pub birth_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub surname: String,
    pub given_names: Vec<String>,
    /// The OCR readings (numbered from 1) that gave this candidate or its characters.
    pub readings: Vec<u8>,
}

/// What the readings of a zone establish.
#[derive(Debug, Clone)]
pub(crate) enum Consensus {
    /// Number, dates and names are established; every repair says which readings support it.
    Agreed(Mrz),
    /// Several resolutions of the readings validate every check: never a guess.
    Ambiguous(Vec<Candidate>),
    /// Valid readings that no second reading confirms, or that disagree with each other.
    Unconfirmed(Vec<Candidate>),
    /// No reading validates.
    Unread,
}

/// At most this many candidates are listed for a person (more mean a zone too poorly read to
/// choose from: a new photo is the answer).
const MAX_CANDIDATES: usize = 4;

const NUMBER_FIELDS: [&str; 3] = ["document_number", "birth_date", "expiry_date"];

/// Repairs made in the document number or the dates (a realignment counts as one).
fn number_repairs(m: &Mrz) -> usize {
    usize::from(m.realigned)
        + m.repairs
            .iter()
            .filter(|r| NUMBER_FIELDS.contains(&r.field.as_str()))
            .count()
}

fn names_repaired(m: &Mrz) -> bool {
    m.repairs.iter().any(|r| r.field == "names")
}

type Key = (MrzFormat, String, Option<NaiveDate>, Option<NaiveDate>);

fn key(m: &Mrz) -> Key {
    (
        m.format,
        m.document_number.clone(),
        m.birth_date,
        m.expiry_date,
    )
}

type Names = (String, Vec<String>);

fn names(m: &Mrz) -> Names {
    (m.surname.clone(), m.given_names.clone())
}

fn candidate(m: &Mrz, readings: Vec<u8>) -> Candidate {
    Candidate {
        document_number: m.document_number.clone(),
        birth_date: m.birth_date,
        expiry_date: m.expiry_date,
        surname: m.surname.clone(),
        given_names: m.given_names.clone(),
        readings,
    }
}

/// Names read the same in two readings of this layout, or in one without repair in them;
/// those of `preferred` first, then the most often read.
fn established_names(preferred: &Mrz, readings: &[Reading]) -> Option<Names> {
    let same_layout: Vec<&Mrz> = readings
        .iter()
        .map(|r| &r.mrz)
        .filter(|m| m.format == preferred.format)
        .collect();
    let support = |n: &Names| {
        let seen: Vec<&&Mrz> = same_layout.iter().filter(|m| names(m) == *n).collect();
        (seen.len() >= 2 || seen.iter().any(|m| !names_repaired(m))).then_some(seen.len())
    };
    let own = names(preferred);
    if support(&own).is_some() {
        return Some(own);
    }
    same_layout
        .iter()
        .map(|m| names(m))
        .filter_map(|n| support(&n).map(|k| (k, n)))
        .max_by_key(|(k, _)| *k)
        .map(|(_, n)| n)
}

/// The repairs of `m`, each supported by the readings that made the same one.
fn supported_repairs(m: &Mrz, group: &[&Reading]) -> Vec<Repair> {
    m.repairs
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.supported_by = group
                .iter()
                .filter(|g| {
                    g.mrz.repairs.iter().any(|o| {
                        o.field == r.field && o.read == r.read && o.corrected == r.corrected
                    })
                })
                .map(|g| g.number)
                .collect();
            r
        })
        .collect()
}

/// `m` with established names, or `None` when no names are established.
fn with_names(mut m: Mrz, readings: &[Reading]) -> Option<Mrz> {
    let (surname, given) = established_names(&m, readings)?;
    m.surname = surname;
    m.given_names = given;
    Some(m)
}

/// What the readings of one zone establish (see the module's documentation).
pub(crate) fn consensus(readings: &[Reading]) -> Consensus {
    let mut groups: Vec<Vec<&Reading>> = Vec::new();
    for r in readings.iter().filter(|r| r.mrz.all_checks_valid()) {
        match groups.iter_mut().find(|g| key(&g[0].mrz) == key(&r.mrz)) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    let unconfirmed = |groups: &[Vec<&Reading>]| {
        Consensus::Unconfirmed(
            groups
                .iter()
                .take(MAX_CANDIDATES)
                .map(|g| candidate(&g[0].mrz, g.iter().map(|r| r.number).collect()))
                .collect(),
        )
    };
    // One reading without repair is enough only while no other reading contradicts it: with
    // other readings that fail, one that validates may be a misreading that passes by chance
    // (it does one time in ten).
    let established: Vec<&Vec<&Reading>> = groups
        .iter()
        .filter(|g| g.len() >= 2 || (readings.len() == 1 && number_repairs(&g[0].mrz) == 0))
        .collect();
    match established.as_slice() {
        // Another valid reading of another number or dates is a doubt for a person to settle.
        [g] if groups.len() == 1 => {
            let best = g
                .iter()
                .min_by_key(|r| (number_repairs(&r.mrz), r.mrz.repairs.len()))
                .expect("a group has a reading");
            let mut m = best.mrz.clone();
            m.repairs = supported_repairs(&m, g);
            return match with_names(m, readings) {
                Some(m) => Consensus::Agreed(m),
                None => unconfirmed(&groups),
            };
        }
        [] => {}
        _ => return unconfirmed(&groups),
    }
    // Nothing established: settle the characters the readings disagree on, if only one way
    // validates.
    let mut order: Vec<&Reading> = readings.iter().collect();
    order.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.mrz.valid_check_count()),
            r.mrz.repairs.len(),
        )
    });
    let Some(base) = order.first() else {
        return Consensus::Unread;
    };
    let mrzs: Vec<&Mrz> = order.iter().map(|r| &r.mrz).collect();
    let combos = Mrz::combinations(&mrzs).unwrap_or_default();
    let mut distinct: Vec<(Key, Mrz, Vec<u8>, Vec<Repair>)> = Vec::new();
    for c in combos.valid {
        let k = key(&c.mrz);
        if distinct.iter().any(|d| d.0 == k) {
            continue;
        }
        // The readings that read each changed character as it was changed to.
        let mut repairs = base.mrz.repairs.clone();
        for r in &mut repairs {
            r.supported_by = vec![base.number];
        }
        let mut numbers = vec![base.number];
        for ch in &c.changes {
            let by: Vec<u8> = order
                .iter()
                .filter(|r| {
                    r.mrz.format == base.mrz.format
                        && r.mrz.lines[ch.line].chars().nth(ch.at) == Some(ch.corrected)
                })
                .map(|r| r.number)
                .collect();
            numbers.extend(&by);
            repairs.push(Repair {
                field: ch.field.to_owned(),
                read: ch.read,
                corrected: ch.corrected,
                confirmed_by_check_digit: true,
                supported_by: by,
                by_shape: false,
            });
        }
        numbers.sort_unstable();
        numbers.dedup();
        distinct.push((k, c.mrz, numbers, repairs));
    }
    match distinct.len() {
        0 if groups.is_empty() => zero_confusion(readings),
        0 => unconfirmed(&groups),
        // One mix of readings that validates is what they read only where the check digits
        // can tell (see `Combinations::decidable`); otherwise it is a candidate for a person.
        1 if !combos.decidable => {
            let (_, mut m, numbers, _) = distinct.remove(0);
            m.surname = base.mrz.surname.clone();
            m.given_names = base.mrz.given_names.clone();
            let mut out = vec![candidate(&m, numbers)];
            for g in groups.iter().filter(|g| key(&g[0].mrz) != key(&m)) {
                out.push(candidate(&g[0].mrz, g.iter().map(|r| r.number).collect()));
            }
            out.truncate(MAX_CANDIDATES);
            Consensus::Unconfirmed(out)
        }
        1 if groups.iter().all(|g| key(&g[0].mrz) == distinct[0].0) => {
            let (_, mut m, numbers, repairs) = distinct.remove(0);
            m.repairs = repairs;
            // The combination keeps the names of the reading it started from.
            m.surname = base.mrz.surname.clone();
            m.given_names = base.mrz.given_names.clone();
            match with_names(m.clone(), readings) {
                Some(m) => Consensus::Agreed(m),
                None => Consensus::Unconfirmed(vec![candidate(&m, numbers)]),
            }
        }
        _ => {
            distinct.truncate(MAX_CANDIDATES);
            let mut out: Vec<Candidate> = distinct
                .iter()
                .map(|(_, m, numbers, _)| {
                    let mut c = candidate(m, numbers.clone());
                    c.surname = base.mrz.surname.clone();
                    c.given_names = base.mrz.given_names.clone();
                    c
                })
                .collect();
            for g in &groups {
                if !distinct.iter().any(|d| d.0 == key(&g[0].mrz)) {
                    out.push(candidate(&g[0].mrz, g.iter().map(|r| r.number).collect()));
                }
            }
            out.truncate(MAX_CANDIDATES);
            Consensus::Ambiguous(out)
        }
    }
}

/// Readings that agree on a number whose check digit fails, settled when exactly one `0`/`O`
/// confusion in it validates every check (see [`Mrz::zero_confusions`]).
fn zero_confusion(readings: &[Reading]) -> Consensus {
    let mut best: Option<Vec<&Reading>> = None;
    for r in readings {
        let alike: Vec<&Reading> = readings
            .iter()
            .filter(|o| key(&o.mrz) == key(&r.mrz))
            .collect();
        if alike.len() >= 2 && best.as_ref().is_none_or(|b| alike.len() > b.len()) {
            best = Some(alike);
        }
    }
    let Some(alike) = best else {
        return Consensus::Unread;
    };
    let base = alike
        .iter()
        .min_by_key(|r| r.mrz.repairs.len())
        .expect("two readings");
    let numbers: Vec<u8> = alike.iter().map(|r| r.number).collect();
    let mut found = base.mrz.zero_confusions();
    match found.len() {
        0 => Consensus::Unread,
        1 => {
            let (mut m, ch) = found.remove(0);
            m.repairs = base.mrz.repairs.clone();
            for r in &mut m.repairs {
                r.supported_by = numbers.clone();
            }
            m.repairs.push(Repair {
                field: ch.field.to_owned(),
                read: ch.read,
                corrected: ch.corrected,
                confirmed_by_check_digit: true,
                supported_by: numbers.clone(),
                by_shape: false,
            });
            match with_names(m.clone(), readings) {
                Some(m) => Consensus::Agreed(m),
                None => Consensus::Unconfirmed(vec![candidate(&m, numbers)]),
            }
        }
        _ => Consensus::Ambiguous(
            found
                .iter()
                .take(MAX_CANDIDATES)
                .map(|(m, _)| candidate(m, numbers.clone()))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrz::check_digit;

    fn reading(number: u8, lines: &[&str]) -> Reading {
        Reading {
            number,
            mrz: Mrz::parse_lines(lines).expect("a zone"),
        }
    }

    const NAMES: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";

    /// A TD3 second line with valid check digits, except that the document number's check
    /// digit is computed on `checked_as`.
    fn td3_line2(number: &str, checked_as: &str) -> String {
        let cd = |s: &str| char::from(b'0' + check_digit(s).unwrap());
        let mut l2 = format!(
            "{number}{}UTO7408122F1204159{}<",
            cd(checked_as),
            "<".repeat(14)
        );
        let comp = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
        l2.push(cd(&comp));
        l2
    }

    #[test]
    fn one_reading_without_repair_is_enough() {
        let r = reading(1, &[NAMES, "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
        let Consensus::Agreed(m) = consensus(&[r]) else {
            panic!("not agreed");
        };
        assert_eq!(m.document_number, "L898902C3");
    }

    #[test]
    fn a_reading_repaired_in_its_dates_needs_a_second_reading_that_agrees() {
        let repaired = [NAMES, "L898902C36UTO74O8122F1204159ZE184226B<<<<<10"];
        let one = [reading(1, &repaired)];
        assert!(matches!(consensus(&one), Consensus::Unconfirmed(_)));
        let two = [reading(1, &repaired), reading(3, &repaired)];
        let Consensus::Agreed(m) = consensus(&two) else {
            panic!("not agreed");
        };
        let r = m.repairs.iter().find(|r| r.field == "birth_date").unwrap();
        assert_eq!((r.read, r.corrected), ('O', '0'));
        assert_eq!(r.supported_by, [1, 3]);
    }

    #[test]
    fn two_valid_readings_of_different_numbers_go_to_a_person() {
        let a = reading(1, &[NAMES, "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
        let l2 = td3_line2("OO0000000", "OO0000000");
        let b = reading(2, &[NAMES, &l2]);
        let Consensus::Unconfirmed(c) = consensus(&[a, b]) else {
            panic!("not unconfirmed");
        };
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_disagreement_only_one_resolution_validates_is_settled_and_reported() {
        // Reading 1 took the 0 of the number for an O, reading 2 read it right but lost the
        // birth date's check digit.
        let truth = td3_line2("L898902C3", "L898902C3");
        let a = truth.replacen("L898902", "L8989O2", 1);
        let mut b: Vec<char> = truth.chars().collect();
        b[19] = if b[19] == '1' { '7' } else { '1' };
        let b: String = b.into_iter().collect();
        let Consensus::Agreed(m) = consensus(&[reading(1, &[NAMES, &a]), reading(2, &[NAMES, &b])])
        else {
            panic!("not agreed");
        };
        assert_eq!(m.document_number, "L898902C3");
        let r = m
            .repairs
            .iter()
            .find(|r| r.field == "document_number")
            .unwrap();
        assert_eq!(
            (r.read, r.corrected, r.supported_by.as_slice()),
            ('O', '0', &[2][..])
        );
    }

    #[test]
    fn a_mix_of_two_readings_that_neither_made_is_not_reported_though_it_validates() {
        // Printed KWJ07PDR7; every reading took its 0 for an O, and they disagree on the 7
        // (I in one, T in the other). KWJO7PDRT with the first reading's check digit
        // validates: O for 0 and T for 7 shift the sum by 7×24 + 1×22 = 190.
        assert_eq!(check_digit("KWJO7PDRT"), check_digit("KWJ07PDR7"));
        let l2 = "8009098F3509076FRA<<<<<<<<<<<2";
        let l3 = "BERNARD<<CHLOE<<<<<<<<<<<<<<<<";
        let a = reading(1, &["IDFRAKWJO7PDRI0<<<<<<<<<<<<<<<", l2, l3]);
        let b = reading(2, &["IDFRAKWJO7PDRT1<<<<<<<<<<<<<<<", l2, l3]);
        let Consensus::Unconfirmed(c) = consensus(&[a, b]) else {
            panic!("a mix of readings was reported");
        };
        assert_eq!(c[0].document_number, "KWJO7PDRT", "listed for a person");
    }

    #[test]
    fn two_confusions_in_one_number_are_not_settled_by_its_check_digit() {
        // Printed AA0000000; the readings took its zeros for O, Q and D, differently at two
        // places of the number. One mix of them validates by chance.
        assert_eq!(check_digit("AAQOOOOO0"), check_digit("AA0000000"));
        let names = "P<POLKOWALSKA<KWIATKOWSKA<<JOANNA<<<<<<<<<<<";
        let a = reading(1, &[names, "AAQOOOOOO0POL6002084F1412314<<<<<<<<<<<<<<<4"]);
        let b = reading(2, &[names, "AAQDOOOO00POL6002084F1412314<<<<<<<<<<<<<<<4"]);
        assert!(!a.mrz.all_checks_valid() && !b.mrz.all_checks_valid());
        let Consensus::Unconfirmed(c) = consensus(&[a, b]) else {
            panic!("a number settled across two disputed characters");
        };
        assert_eq!(c[0].document_number, "AAQOOOOO0");
    }

    #[test]
    fn a_zero_every_reading_takes_for_an_o_is_restored_when_only_that_change_validates() {
        let truth = td3_line2("L898902C3", "L898902C3");
        let misread = truth.replacen("L898902C3", "L8989O2C3", 1);
        let one = [reading(1, &[NAMES, &misread])];
        assert!(
            matches!(consensus(&one), Consensus::Unread),
            "one reading is not enough"
        );
        let two = [
            reading(1, &[NAMES, &misread]),
            reading(2, &[NAMES, &misread]),
        ];
        let Consensus::Agreed(m) = consensus(&two) else {
            panic!("not agreed");
        };
        assert_eq!(m.document_number, "L898902C3");
        let r = m
            .repairs
            .iter()
            .find(|r| r.field == "document_number")
            .unwrap();
        assert_eq!(
            (r.read, r.corrected, r.supported_by.as_slice()),
            ('O', '0', &[1, 2][..])
        );
    }

    #[test]
    fn a_number_with_several_zero_look_alikes_is_not_changed_though_one_change_validates() {
        // 000000000 read 0O0000000 twice: restoring the O (weight 3, +72) validates, and so
        // does an O for a 0 at a place of weight 7 (+168, since 72 + 168 = 240): with more
        // than one look-alike, the check digit cannot tell which.
        let truth = td3_line2("000000000", "000000000");
        let misread = truth.replacen("000000000", "0O0000000", 1);
        let two = [
            reading(1, &[NAMES, &misread]),
            reading(2, &[NAMES, &misread]),
        ];
        assert!(matches!(consensus(&two), Consensus::Unread));
    }

    #[test]
    fn a_disagreement_two_resolutions_validate_is_ambiguous_with_both_candidates() {
        // O for 0 at the first two places of a number shifts its check digit by 7×24 + 3×24 = 240:
        // 000000000 and OO0000000 share their check digit, and the composite covers it too.
        let l2 = td3_line2("000000000", "000000000");
        assert_eq!(
            check_digit("OO0000000"),
            check_digit("000000000"),
            "the crafted confusion"
        );
        let a = l2.replacen("000000000", "O00000000", 1);
        let b = l2.replacen("000000000", "0O0000000", 1);
        let Consensus::Ambiguous(c) =
            consensus(&[reading(1, &[NAMES, &a]), reading(2, &[NAMES, &b])])
        else {
            panic!("not ambiguous");
        };
        let mut numbers: Vec<&str> = c.iter().map(|c| c.document_number.as_str()).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["000000000", "OO0000000"]);
    }
}
