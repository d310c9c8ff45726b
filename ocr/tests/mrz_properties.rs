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
}
