//! Property tests for the zone parser: no panic on any text, and confusions in typed fields
//! are undone.

use ocr::Mrz;
use ocr::mrz::check_digit;
use proptest::prelude::*;

fn cd(s: &str) -> char {
    char::from(b'0' + check_digit(s).unwrap())
}

/// A valid TD3 second line for the given dates and document number.
fn td3_line2(number: &str, birth: &str, expiry: &str) -> String {
    let mut l2 = format!(
        "{number}{}UTO{birth}{}F{expiry}{}{}<",
        cd(number),
        cd(birth),
        cd(expiry),
        "<".repeat(14)
    );
    let comp = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
    l2.push(cd(&comp));
    l2
}

fn confuse(c: char) -> char {
    match c {
        '0' => 'O',
        '1' => 'I',
        '5' => 'S',
        '8' => 'B',
        '2' => 'Z',
        c => c,
    }
}

proptest! {
    #[test]
    fn the_parser_never_panics_on_any_text(text in "[A-Z0-9<KLX \\n]{0,200}") {
        let _ = Mrz::parse(&text);
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_unicode(text in "\\PC{0,300}") {
        let _ = Mrz::parse(&text);
    }

    #[test]
    fn generated_zones_validate_and_give_back_their_dates(
        number in "[A-Z0-9]{9}",
        by in 0u32..100, bm in 1u32..=12, bd in 1u32..=28,
        ey in 26u32..40, em in 1u32..=12, ed in 1u32..=28,
    ) {
        let birth = format!("{by:02}{bm:02}{bd:02}");
        let expiry = format!("{ey:02}{em:02}{ed:02}");
        let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let l2 = td3_line2(&number, &birth, &expiry);
        let m = Mrz::parse_lines(&[l1, &l2]).unwrap();
        prop_assert!(m.all_checks_valid());
        prop_assert_eq!(m.document_number, number);
        let e = m.expiry_date.unwrap();
        prop_assert_eq!(e.format("%y%m%d").to_string(), expiry);
    }

    #[test]
    fn letters_read_for_digits_in_dates_are_undone(
        by in 0u32..100, bm in 1u32..=12, bd in 1u32..=28,
        ey in 26u32..40, em in 1u32..=12, ed in 1u32..=28,
    ) {
        let birth = format!("{by:02}{bm:02}{bd:02}");
        let expiry = format!("{ey:02}{em:02}{ed:02}");
        let l2 = td3_line2("L898902C3", &birth, &expiry);
        let damaged: String = l2
            .char_indices()
            .map(|(i, c)| if (13..19).contains(&i) || (21..27).contains(&i) { confuse(c) } else { c })
            .collect();
        let m = Mrz::parse_lines(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", &damaged]).unwrap();
        prop_assert!(m.all_checks_valid(), "{:?}", m.checks);
        prop_assert_eq!(m.expiry_date.unwrap().format("%y%m%d").to_string(), expiry);
    }

    #[test]
    fn a_repair_only_replaces_a_character_its_field_forbids_by_its_usual_confusion(
        number in "[A-Z0-9]{9}",
        at in 0usize..44,
        c in "[A-Z0-9<]",
    ) {
        let l2 = td3_line2(&number, "740812", "301231");
        let mut damaged: Vec<char> = l2.chars().collect();
        damaged[at] = c.chars().next().unwrap();
        let damaged: String = damaged.into_iter().collect();
        let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let m = Mrz::parse_lines(&[l1, &damaged]).unwrap();
        // The number may hold letters and digits: it is reported as read.
        prop_assert_eq!(m.document_number.as_str(), damaged[0..9].trim_end_matches('<'));
        for r in &m.repairs {
            let known = match r.field.as_str() {
                "birth_date" | "expiry_date" | "document_number" | "personal_number"
                | "composite" => !r.read.is_ascii_digit() && to_digit(r.read) == Some(r.corrected),
                "names" | "nationality" | "document_code" => {
                    r.read.is_ascii_digit() && to_letter(r.read) == Some(r.corrected)
                }
                "filler" => matches!(r.read, 'K' | 'L' | 'X') && r.corrected == '<',
                _ => false,
            };
            prop_assert!(known, "{:?} in {}", r, damaged);
        }
    }
}

/// The digit a letter is commonly misread for (the parser's table, written out again here).
fn to_digit(c: char) -> Option<char> {
    Some(match c {
        'O' | 'D' | 'Q' | 'U' => '0',
        'I' | 'L' | 'T' | 'J' => '1',
        'Z' => '2',
        'S' => '5',
        'B' => '8',
        'G' => '6',
        'A' => '4',
        _ => return None,
    })
}

/// The letter a digit is commonly misread for.
fn to_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '5' => 'S',
        '8' => 'B',
        '6' => 'G',
        '4' => 'A',
        '7' => 'T',
        _ => return None,
    })
}
