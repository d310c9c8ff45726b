//! The public specimen zones of DOMAIN.md §5, and OCR-damaged copies of them.

use chrono::NaiveDate;
use ocr::mrz::check_digit;
use ocr::{ExpirySource, Mrz, MrzFormat, Sex, expiry_of};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn parse(lines: &[&str]) -> Mrz {
    Mrz::parse_lines(lines).expect("a zone")
}

fn cd(s: &str) -> char {
    char::from(b'0' + check_digit(s).unwrap())
}

#[test]
fn the_icao_passport_specimen_parses_to_its_fields() {
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]);
    assert_eq!(m.format, MrzFormat::Td3);
    assert_eq!(m.document_code, "P");
    assert_eq!(m.issuing_state, "UTO");
    assert_eq!(m.surname, "ERIKSSON");
    assert_eq!(m.given_names, ["ANNA", "MARIA"]);
    assert_eq!(m.document_number, "L898902C3");
    assert_eq!(m.nationality, "UTO");
    assert_eq!(m.birth_date, Some(date(1974, 8, 12)));
    assert_eq!(m.sex, Sex::Female);
    assert_eq!(m.expiry_date, Some(date(2012, 4, 15)));
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.checks.len(), 5);
    assert!(m.repairs.is_empty());
}

#[test]
fn the_icao_td1_specimen_parses_to_its_fields() {
    let m = parse(&[
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ]);
    assert_eq!(m.format, MrzFormat::Td1);
    assert_eq!(m.document_number, "D23145890");
    assert_eq!(m.birth_date, Some(date(1974, 8, 12)));
    assert_eq!(m.expiry_date, Some(date(2012, 4, 15)));
    assert_eq!(m.surname, "ERIKSSON");
    assert!(m.all_checks_valid(), "{:?}", m.checks);
}

#[test]
fn the_french_2021_card_specimen_expires_on_2030_02_11() {
    let m = parse(&[
        "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<",
        "9007138F3002119FRA<<<<<<<<<<<6",
        "MARTIN<<MAELYS<GAELLE<MARIE<<<",
    ]);
    assert_eq!(m.format, MrzFormat::Td1);
    assert_eq!(m.document_code, "ID");
    assert_eq!(m.document_number, "X4RTBPFW4");
    assert_eq!(m.surname, "MARTIN");
    assert_eq!(m.given_names, ["MAELYS", "GAELLE", "MARIE"]);
    assert_eq!(m.birth_date, Some(date(1990, 7, 13)));
    assert_eq!(m.sex, Sex::Female);
    assert_eq!(m.nationality, "FRA");
    assert_eq!(m.expiry_date, Some(date(2030, 2, 11)));
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    let (expiry, _, source, _) = expiry_of(&m).unwrap();
    assert_eq!((expiry, source), (date(2030, 2, 11), ExpirySource::Mrz));
}

#[test]
fn the_old_french_card_specimen_is_read_with_its_own_layout() {
    let m = parse(&[
        "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<",
        "8806923102858CORINNE<<<<<<<6512068F6",
    ]);
    assert_eq!(m.format, MrzFormat::FrenchIdCard1988);
    assert_eq!(m.surname, "BERTHIER");
    assert_eq!(m.given_names, ["CORINNE"]);
    assert_eq!(m.document_number, "880692310285");
    assert_eq!(m.birth_date, Some(date(1965, 12, 6)));
    assert_eq!(m.sex, Sex::Female);
    assert_eq!(m.expiry_date, None);
    let card = m.french_card.as_ref().unwrap();
    assert_eq!((card.issue_year, card.issue_month), (1988, 6));
    assert_eq!(card.department, "923");
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    // Issued before 2004: ten years.
    let (expiry, latest, source, years) = expiry_of(&m).unwrap();
    assert_eq!(source, ExpirySource::IssueDateRule);
    assert_eq!(years, Some(10));
    assert_eq!(expiry, date(1998, 6, 1));
    assert_eq!(latest, date(1998, 6, 30));
}

#[test]
fn the_old_french_card_with_an_office_code_validates_its_composite_over_line_one() {
    let m = parse(&[
        "IDFRABERTHIER<<<<<<<<<<<<<<<<<92C001",
        "8806923102858CORINNE<<<<<<<6512068F8",
    ]);
    assert_eq!(m.format, MrzFormat::FrenchIdCard1988);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.surname, "BERTHIER");
}

#[test]
fn the_old_french_card_with_a_letter_in_its_departement_keeps_the_letter() {
    let m = parse(&[
        "IDFRALOISEAU<<<<<<<<<<<<<<<<<<<<<<<<",
        "970675K002774HERVE<<DJAMEL<7303216M4",
    ]);
    assert_eq!(m.format, MrzFormat::FrenchIdCard1988);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.document_number, "970675K00277");
    assert_eq!(m.french_card.as_ref().unwrap().department, "75K");
    assert_eq!(m.given_names, ["HERVE", "DJAMEL"]);
    assert_eq!(m.birth_date, Some(date(1973, 3, 21)));
    assert_eq!(m.sex, Sex::Male);
    assert_eq!(expiry_of(&m).unwrap().0, date(2007, 6, 1));
}

#[test]
fn an_old_card_issued_to_an_adult_in_2005_is_valid_fifteen_years() {
    let m = parse(&[
        "IDFRADOUEL<<<<<<<<<<<<<<<<<<<<932013",
        "0506932020438CHRISTIANE<<NI2906209F3",
    ]);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.surname, "DOUEL");
    assert_eq!(m.given_names, ["CHRISTIANE", "NI"]);
    assert_eq!(m.birth_date, Some(date(1929, 6, 20)));
    let (expiry, latest, _, years) = expiry_of(&m).unwrap();
    assert_eq!(years, Some(15));
    assert_eq!((expiry, latest), (date(2020, 6, 1), date(2020, 6, 30)));
}

/// An old French card zone with valid check digits for the given issue month and birth date.
fn old_card(issue_yymm: &str, birth: &str) -> [String; 2] {
    let l1 = format!("IDFRA{:<<25}750<<<", "PETIT");
    let number = format!("{issue_yymm}75012345");
    let given = format!("{:<<14}", "LEA");
    let mut l2 = format!("{number}{}{given}{birth}{}F", cd(&number), cd(birth));
    let composite = cd(&format!("{l1}{l2}"));
    l2.push(composite);
    [l1, l2]
}

#[test]
fn an_old_card_issued_to_a_minor_is_valid_ten_years_even_after_2004() {
    let [l1, l2] = old_card("1203", "000510");
    let m = parse(&[&l1, &l2]);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.birth_date, Some(date(2000, 5, 10)));
    let (expiry, _, _, years) = expiry_of(&m).unwrap();
    assert_eq!(years, Some(10));
    assert_eq!(expiry, date(2022, 3, 1));
}

#[test]
fn an_old_card_issued_to_an_adult_in_2012_is_valid_until_2027() {
    let [l1, l2] = old_card("1203", "800510");
    let m = parse(&[&l1, &l2]);
    let (expiry, _, _, years) = expiry_of(&m).unwrap();
    assert_eq!((expiry, years), (date(2027, 3, 1), Some(15)));
}

#[test]
fn an_old_card_issued_in_the_month_its_holder_turned_eighteen_has_an_uncertain_expiry() {
    let [l1, l2] = old_card("1203", "940315");
    let m = parse(&[&l1, &l2]);
    let (expiry, latest, _, years) = expiry_of(&m).unwrap();
    assert_eq!(years, None);
    assert_eq!((expiry, latest), (date(2022, 3, 1), date(2027, 3, 31)));
}

#[test]
fn an_old_card_issued_on_the_first_of_january_2004_is_ambiguous_between_ten_and_fifteen_years() {
    let [l1, l2] = old_card("0401", "700101");
    let m = parse(&[&l1, &l2]);
    let (_, _, _, years) = expiry_of(&m).unwrap();
    assert_eq!(years, None);
}

#[test]
fn a_td2_zone_is_read_with_its_composite() {
    let l1 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<";
    let mut l2 = "D23145890<UTO7408122F1204159<<<<<<<".to_owned();
    l2.replace_range(9..10, &cd("D23145890").to_string());
    let comp = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..35]);
    l2.push(cd(&comp));
    let m = parse(&[l1, &l2]);
    assert_eq!(m.format, MrzFormat::Td2);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.document_number, "D23145890");
    assert_eq!(m.expiry_date, Some(date(2012, 4, 15)));
}

#[test]
fn letters_read_in_dates_are_repaired_and_confirmed_by_the_check_digits() {
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO74O8I22F12O4I59ZE184226B<<<<<10",
    ]);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.birth_date, Some(date(1974, 8, 12)));
    assert_eq!(m.expiry_date, Some(date(2012, 4, 15)));
    assert!(m.repairs.iter().any(|r| r.field == "birth_date"
        && r.read == 'O'
        && r.corrected == '0'
        && r.confirmed_by_check_digit));
}

#[test]
fn a_document_number_that_may_hold_letters_and_digits_is_not_changed_from_one_reading() {
    // 0 read as O in a number that may hold both: one reading cannot tell which is printed (a
    // change that makes the check digit pass is right only nine times in ten), so the zone
    // stays unread and other readings settle it.
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10",
    ]);
    assert!(!m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.document_number, "L8989O2C3");
    assert!(m.repairs.iter().all(|r| r.field != "document_number"));
}

#[test]
fn a_repair_changes_only_a_character_its_field_forbids() {
    // A letter in a date becomes its usual digit...
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO74081Z2F1204159ZE184226B<<<<<10",
    ]);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    let fixes: Vec<(&str, char, char)> = m
        .repairs
        .iter()
        .map(|r| (r.field.as_str(), r.read, r.corrected))
        .collect();
    assert_eq!(fixes, [("birth_date", 'Z', '2')]);
    // ...but a digit misread as another digit is a digit the field allows: nothing is
    // changed and the failed check is reported.
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408182F1204159ZE184226B<<<<<10",
    ]);
    assert!(!m.all_checks_valid());
    assert!(m.repairs.is_empty(), "{:?}", m.repairs);
}

#[test]
fn a_confusion_the_check_digit_cannot_settle_is_left_unrepaired() {
    // B for 8 at position 1 and 8 for B at position 3 shift the sum alike: no guess is made.
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "LB98902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]);
    assert!(!m.all_checks_valid());
}

#[test]
fn fillers_read_as_k_or_l_are_restored_and_reported() {
    let m = parse(&[
        "IDFRAX4RTBPFW46<<<<K<<<<K<<<<",
        "9007138F3002119FRA<<<<<<<<<<<6",
        "MARTIN<<MAELYS<GAELLE<MARIE<L<",
    ]);
    assert!(m.all_checks_valid(), "{:?}", m.checks);
    assert_eq!(m.given_names, ["MAELYS", "GAELLE", "MARIE"]);
    assert!(
        m.repairs
            .iter()
            .any(|r| r.field == "filler" && r.read == 'K')
    );
}

#[test]
fn digits_read_in_names_are_turned_back_into_letters() {
    let m = parse(&[
        "P<UTOER1KSS0N<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]);
    assert_eq!(m.surname, "ERIKSSON");
    assert_eq!(m.given_names, ["ANNA", "MARIA"]);
}

#[test]
fn a_wrong_check_digit_is_reported_not_hidden() {
    let m = parse(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408123F1204159ZE184226B<<<<<10",
    ]);
    assert!(!m.all_checks_valid());
}

#[test]
fn ocr_noise_around_the_zone_is_ignored() {
    let text = "REPUBLIQUE FRANCAISE\nNOM MARTIN\n\nIDFRAX4RTBPFW46<<<<<<<<<<<<<<<\n9007138F3002119FRA<<<<<<<<<<<6\nMARTIN<<MAELYS<GAELLE<MARIE<<<\n";
    let m = Mrz::parse(text).unwrap();
    assert!(m.all_checks_valid());
    assert_eq!(m.document_number, "X4RTBPFW4");
}

#[test]
fn text_without_a_zone_is_an_error() {
    assert!(Mrz::parse("HELLO\nWORLD").is_err());
}

#[test]
fn a_misaligned_reading_never_passes_with_dates_that_are_not_dates() {
    // Seen on a rotated photo: the composite digit lost, fillers read as K.
    let m = parse(&[
        "IDFRA51G92XA2H9K<K<<K<K<<KKKKKKK<K",
        "9203125M3510258FRA<<<<<<<<<<<",
        "DUBOIS<<JEROME<SOPHIE<<<<<<<<<",
    ]);
    if m.all_checks_valid() {
        assert_eq!(m.birth_date, Some(date(1992, 3, 12)));
        assert_eq!(m.expiry_date, Some(date(2035, 10, 25)));
        assert_eq!(m.nationality, "FRA");
    }
    // An expiry that is no date fails its check even when the digit happens to match.
    let l2 = format!("7408122F12O4I5{}UTO<<<<<<<<<<<6", cd("1204I5"));
    let m = parse(&[
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        &l2,
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ]);
    assert!(!m.all_checks_valid() || m.expiry_date.is_some());
}
