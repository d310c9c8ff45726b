use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date the French way: "25 novembre 2026", "1er mars 2027".
pub fn french_date(date: NaiveDate) -> String {
    let day = match date.day() {
        1 => "1er".to_string(),
        d => d.to_string(),
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// An ASCII file-name part: accents dropped, anything else than letters and digits turned
/// into single dashes, e.g. "Boulangerie Lefèvre & Fils" → "Boulangerie-Lefevre-Fils".
pub fn ascii_slug(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        let folded = fold(c);
        for f in folded.chars() {
            if f.is_ascii_alphanumeric() {
                out.push(f);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "sans-nom".into()
    } else {
        out
    }
}

fn fold(c: char) -> &'static str {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "O",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        c if c.is_ascii_alphanumeric() => ascii_char(c),
        _ => "-",
    }
}

fn ascii_char(c: char) -> &'static str {
    const TABLE: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let i = TABLE.find(c).expect("ASCII alphanumeric");
    &TABLE[i..i + 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_french_with_1er_for_the_first() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(french_date(d(2026, 11, 25)), "25 novembre 2026");
        assert_eq!(french_date(d(2027, 3, 1)), "1er mars 2027");
        assert_eq!(french_date(d(2027, 8, 15)), "15 août 2027");
        assert_eq!(french_date(d(2027, 2, 9)), "9 février 2027");
    }

    #[test]
    fn file_names_lose_accents_and_punctuation() {
        assert_eq!(
            ascii_slug("Boulangerie Lefèvre & Fils"),
            "Boulangerie-Lefevre-Fils"
        );
        assert_eq!(ascii_slug("Zoé L'Hôpital-Œuvre"), "Zoe-L-Hopital-OEuvre");
        assert_eq!(ascii_slug("  ../../etc  "), "etc");
        assert_eq!(ascii_slug("日本"), "sans-nom");
    }
}
