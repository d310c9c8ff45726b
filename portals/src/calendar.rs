//! French public holidays (jours fériés), for deadlines counted in working days.
//!
//! The eleven days of the Code du travail (art. L3133-1) as observed in mainland France: four
//! movable ones from Easter (Easter Monday, Ascension, Whit Monday) and the fixed ones. Alsace and
//! Moselle also keep Good Friday and 26 December; a company there is not told apart here, so a
//! deadline may come one day later for it than computed: the stricter reading.

use chrono::{Datelike, NaiveDate, Weekday};

/// Easter Sunday of a Gregorian year (the anonymous Gregorian computus, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The computus gives March or April and a day that month has.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// Whether the day is a public holiday in mainland France.
pub fn is_public_holiday(d: NaiveDate) -> bool {
    const FIXED: [(u32, u32); 8] = [
        (1, 1),   // Jour de l'an
        (5, 1),   // Fête du travail
        (5, 8),   // Victoire 1945
        (7, 14),  // Fête nationale
        (8, 15),  // Assomption
        (11, 1),  // Toussaint
        (11, 11), // Armistice
        (12, 25), // Noël
    ];
    if FIXED.contains(&(d.month(), d.day())) {
        return true;
    }
    let easter = easter_sunday(d.year());
    // Lundi de Pâques, Ascension, Lundi de Pentecôte.
    [1, 39, 50]
        .iter()
        .any(|offset| easter + chrono::Duration::days(*offset) == d)
}

/// Whether the day is a working day (« jour ouvré »): Monday to Friday, not a public holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_falls_on_the_published_sundays() {
        for (year, month, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(year), day(year, month, d), "{year}");
        }
    }

    #[test]
    fn the_eleven_public_holidays_of_2027_and_no_other_day() {
        let holidays: Vec<NaiveDate> = (0..365)
            .map(|n| day(2027, 1, 1) + chrono::Duration::days(n))
            .filter(|d| is_public_holiday(*d))
            .collect();
        assert_eq!(
            holidays,
            vec![
                day(2027, 1, 1),
                day(2027, 3, 29),
                day(2027, 5, 1),
                day(2027, 5, 6),
                day(2027, 5, 8),
                day(2027, 5, 17),
                day(2027, 7, 14),
                day(2027, 8, 15),
                day(2027, 11, 1),
                day(2027, 11, 11),
                day(2027, 12, 25),
            ]
        );
        assert!(!is_working_day(day(2027, 3, 29)), "Easter Monday");
        assert!(is_working_day(day(2027, 3, 30)));
        assert!(!is_working_day(day(2027, 3, 27)), "a Saturday");
    }
}
