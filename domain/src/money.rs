use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in euro cents. Never a float.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = i64, example = 180000)]
pub struct Euros(i64);

/// An amount that cannot be used, or text that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EurosError {
    #[error("le montant est vide")]
    Empty,
    #[error(
        "« {0} » n'est pas un montant en euros (par exemple 1 800,00 €, 1 800 €, 1800 ou 1800.50)"
    )]
    Invalid(String),
    #[error("« {0} » a plus de deux chiffres après la virgule : les montants sont au centime")]
    TooPrecise(String),
    #[error("le montant ne peut pas être négatif ({0})")]
    Negative(String),
    #[error("le montant dépasse la capacité de calcul")]
    Overflow,
}

/// The spaces that group thousands: plain, no-break (U+00A0), narrow no-break (U+202F), thin.
fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

impl Euros {
    /// An amount from cents.
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// A non-negative amount from cents, as read from user input.
    pub fn non_negative(cents: i64) -> Result<Self, EurosError> {
        if cents < 0 {
            Err(EurosError::Negative(Self(cents).to_string()))
        } else {
            Ok(Self(cents))
        }
    }

    /// Reads an amount written by a person or shown by a portal: `1 800,00 €`, `1 800 €`,
    /// `1800`, `1800.50`, thousands grouped by any kind of space, at most two decimals.
    pub fn parse(text: &str) -> Result<Self, EurosError> {
        let written = text.trim_matches(|c: char| c.is_whitespace() || is_group_space(c));
        if written.is_empty() {
            return Err(EurosError::Empty);
        }
        let invalid = || EurosError::Invalid(written.to_owned());
        let number = written
            .strip_suffix('€')
            .or_else(|| written.strip_suffix("EUR"))
            .unwrap_or(written)
            .trim_end_matches(|c: char| c.is_whitespace() || is_group_space(c));
        let (negative, number) = match number.strip_prefix(['-', '\u{2212}']) {
            Some(rest) => (true, rest.trim_start_matches(is_group_space)),
            None => (false, number),
        };
        let (units, decimals) = match number.find([',', '.']) {
            Some(at) => (&number[..at], Some(&number[at + 1..])),
            None => (number, None),
        };
        let decimals = match decimals {
            None => 0,
            Some(d) if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(invalid());
            }
            Some(d) if d.len() > 2 => return Err(EurosError::TooPrecise(written.to_owned())),
            Some(d) => format!("{d:0<2}").parse::<i64>().map_err(|_| invalid())?,
        };
        let groups: Vec<&str> = units.split(is_group_space).collect();
        let grouped_well = groups.iter().enumerate().all(|(i, g)| {
            let sized = match (groups.len(), i) {
                (1, _) => !g.is_empty(),
                (_, 0) => (1..=3).contains(&g.len()),
                _ => g.len() == 3,
            };
            sized && g.bytes().all(|b| b.is_ascii_digit())
        });
        if !grouped_well {
            return Err(invalid());
        }
        if negative {
            return Err(EurosError::Negative(written.to_owned()));
        }
        // Only digits are left, so a failed parse is a number too large.
        let units: i64 = groups.concat().parse().map_err(|_| EurosError::Overflow)?;
        units
            .checked_mul(100)
            .and_then(|c| c.checked_add(decimals))
            .map(Self)
            .ok_or(EurosError::Overflow)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The sum, refusing overflow.
    pub fn checked_add(self, other: Self) -> Result<Self, EurosError> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .ok_or(EurosError::Overflow)
    }

    /// The amount times a whole number (hours, units).
    pub fn checked_mul(self, factor: i64) -> Result<Self, EurosError> {
        self.0
            .checked_mul(factor)
            .map(Self)
            .ok_or(EurosError::Overflow)
    }
}

impl std::str::FromStr for Euros {
    type Err = EurosError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// French formatting: `1 800,00 €` (a narrow no-break space groups thousands).
impl fmt::Display for Euros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push('\u{202f}');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped},{:02}\u{a0}€", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_the_french_way() {
        assert_eq!(
            Euros::from_cents(180_000).to_string(),
            "1\u{202f}800,00\u{a0}€"
        );
        assert_eq!(Euros::from_cents(5).to_string(), "0,05\u{a0}€");
        assert_eq!(
            Euros::from_cents(123_456_789).to_string(),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
    }

    #[test]
    fn negative_cents_are_refused() {
        assert_eq!(
            Euros::non_negative(-1),
            Err(EurosError::Negative("-0,01\u{a0}€".into()))
        );
    }

    fn parse(text: &str) -> Result<i64, EurosError> {
        Euros::parse(text).map(Euros::cents)
    }

    #[test]
    fn amounts_written_the_french_way_are_read_in_cents() {
        assert_eq!(parse("1 800,00 €"), Ok(180_000));
        assert_eq!(parse("1 800 €"), Ok(180_000));
        assert_eq!(parse("1\u{202f}800,00\u{a0}€"), Ok(180_000));
        assert_eq!(parse("1\u{a0}800,5"), Ok(180_050));
        assert_eq!(parse("950,5 €"), Ok(95_050));
        assert_eq!(parse("1 234 567,89 €"), Ok(123_456_789));
        assert_eq!(parse("  12 EUR "), Ok(1_200));
        assert_eq!(parse("0,05"), Ok(5));
    }

    #[test]
    fn amounts_written_with_a_point_or_without_decimals_are_read_too() {
        assert_eq!(parse("1800"), Ok(180_000));
        assert_eq!(parse("1800.50"), Ok(180_050));
        assert_eq!(parse("1800.5"), Ok(180_050));
        assert_eq!(parse("1 800.5"), Ok(180_050));
        assert_eq!(parse("1800,00"), Ok(180_000));
    }

    #[test]
    fn text_that_is_not_an_amount_is_refused_with_what_was_written() {
        assert_eq!(parse(""), Err(EurosError::Empty));
        assert_eq!(parse(" \u{a0}"), Err(EurosError::Empty));
        for bad in [
            "abc",
            "€",
            "1 8000",
            "18 00",
            "1,800.00",
            "1.800,00",
            "1800,",
            ",50",
            "12 €50",
            "1 800 ,00",
            "0x10",
        ] {
            assert_eq!(
                parse(bad),
                Err(EurosError::Invalid(bad.trim().into())),
                "{bad}"
            );
        }
        assert_eq!(
            parse("12,345"),
            Err(EurosError::TooPrecise("12,345".into()))
        );
        assert_eq!(
            Euros::parse("abc").unwrap_err().to_string(),
            "« abc » n'est pas un montant en euros (par exemple 1 800,00 €, 1 800 €, 1800 ou 1800.50)"
        );
    }

    #[test]
    fn negative_amounts_and_overflow_are_refused() {
        assert_eq!(parse("-3"), Err(EurosError::Negative("-3".into())));
        assert_eq!(
            parse("\u{2212}1 800,00 €"),
            Err(EurosError::Negative("\u{2212}1 800,00 €".into()))
        );
        assert_eq!(
            Euros::parse("-3").unwrap_err().to_string(),
            "le montant ne peut pas être négatif (-3)"
        );
        assert_eq!(parse("92233720368547759"), Err(EurosError::Overflow));
        assert_eq!(parse("99999999999999999999999"), Err(EurosError::Overflow));
        assert_eq!(parse("92233720368547758,07"), Ok(i64::MAX));
        assert_eq!(
            "1 800,00 €".parse::<Euros>(),
            Ok(Euros::from_cents(180_000))
        );
    }

    proptest::proptest! {
        #[test]
        fn what_is_printed_is_read_back(cents in 0..i64::MAX) {
            let amount = Euros::from_cents(cents);
            proptest::prop_assert_eq!(Euros::parse(&amount.to_string()), Ok(amount));
            let plain = format!("{}.{:02}", cents / 100, cents % 100);
            proptest::prop_assert_eq!(Euros::parse(&plain), Ok(amount));
        }

        #[test]
        fn no_text_makes_the_parser_panic(text in "\\PC{0,24}") {
            let _ = Euros::parse(&text);
        }
    }
}
