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

/// An amount that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EurosError {
    #[error("le montant ne peut pas être négatif ({0} centimes)")]
    Negative(i64),
    #[error("le montant dépasse la capacité de calcul")]
    Overflow,
}

impl Euros {
    /// An amount from cents.
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// A non-negative amount from cents, as read from user input.
    pub fn non_negative(cents: i64) -> Result<Self, EurosError> {
        if cents < 0 {
            Err(EurosError::Negative(cents))
        } else {
            Ok(Self(cents))
        }
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
    fn negative_input_is_refused() {
        assert_eq!(Euros::non_negative(-1), Err(EurosError::Negative(-1)));
    }
}
