use std::fmt;

use serde::{Deserialize, Serialize};

/// SIREN of La Poste, whose establishments do not follow the Luhn rule.
const LA_POSTE_SIREN: &str = "356000000";

/// A French establishment identifier: 14 digits whose Luhn sum is valid (La Poste excepted).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "73282932000074")]
pub struct Siret(String);

/// Why a string is not a SIRET.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    #[error("un SIRET a 14 chiffres, celui-ci en a {0}")]
    WrongLength(usize),
    #[error("un SIRET ne contient que des chiffres (caractère « {0} » trouvé)")]
    NotDigits(char),
    #[error("la clé de contrôle du SIRET est fausse : vérifiez chaque chiffre")]
    Checksum,
}

impl Siret {
    /// Parses a SIRET, allowing the spaces people type between groups of digits.
    pub fn parse(input: &str) -> Result<Self, SiretError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(SiretError::NotDigits(bad));
        }
        if digits.len() != 14 {
            return Err(SiretError::WrongLength(digits.len()));
        }
        let valid = if digits.starts_with(LA_POSTE_SIREN) {
            digit_sum(&digits).is_multiple_of(5)
        } else {
            luhn_valid(&digits)
        };
        if valid {
            Ok(Self(digits))
        } else {
            Err(SiretError::Checksum)
        }
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company part (first 9 digits).
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

fn digit_sum(digits: &str) -> u32 {
    digits.bytes().map(|b| u32::from(b - b'0')).sum()
}

/// Luhn over a string of ASCII digits.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Siret({})", self.0)
    }
}

impl TryFrom<String> for Siret {
    type Error = SiretError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Siret> for String {
    fn from(value: Siret) -> Self {
        value.0
    }
}

/// A training provider's "numéro de déclaration d'activité": 11 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "42670000000")]
pub struct Nda(String);

/// Why a string is not an NDA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdaError {
    #[error("un numéro de déclaration d'activité a 11 chiffres, celui-ci a {0} caractères utiles")]
    WrongLength(usize),
    #[error("un numéro de déclaration d'activité ne contient que des chiffres (« {0} » trouvé)")]
    NotDigits(char),
}

impl Nda {
    /// Parses an NDA, allowing spaces between groups.
    pub fn parse(input: &str) -> Result<Self, NdaError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(NdaError::NotDigits(bad));
        }
        if digits.len() != 11 {
            return Err(NdaError::WrongLength(digits.len()));
        }
        Ok(Self(digits))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nda {
    type Error = NdaError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nda> for String {
    fn from(value: Nda) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_valid_siret_parses_with_or_without_spaces() {
        let siret = Siret::parse("732 829 320 00074").unwrap();
        assert_eq!(siret.as_str(), "73282932000074");
        assert_eq!(siret.siren(), "732829320");
    }

    #[test]
    fn a_siret_with_one_wrong_digit_is_refused_by_its_checksum() {
        assert_eq!(Siret::parse("73282932000075"), Err(SiretError::Checksum));
    }

    #[test]
    fn a_siret_of_the_wrong_length_says_how_many_digits_it_has() {
        assert_eq!(
            Siret::parse("7328293200007"),
            Err(SiretError::WrongLength(13))
        );
        assert_eq!(
            Siret::parse("7328293200007A"),
            Err(SiretError::NotDigits('A'))
        );
    }

    #[test]
    fn la_poste_establishments_use_the_sum_of_digits_rule() {
        // 356000000 + 00048: digit sum 3+5+6+4+8 = 26 → not a multiple of 5; 00049 → 27; 00044 → 22;
        // 00046 → 24; 00051 → 20 (valid), whereas Luhn rejects it.
        assert!(Siret::parse("35600000000051").is_ok());
        assert!(!luhn_valid("35600000000051"));
        assert_eq!(Siret::parse("35600000000048"), Err(SiretError::Checksum));
    }

    #[test]
    fn an_nda_has_eleven_digits() {
        assert!(Nda::parse("42 67 00000 00").is_ok());
        assert_eq!(Nda::parse("4267"), Err(NdaError::WrongLength(4)));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepted_sirets_round_trip(s in "\\PC{0,20}") {
            if let Ok(siret) = Siret::parse(&s) {
                prop_assert_eq!(Siret::parse(siret.as_str()).unwrap(), siret);
            }
        }

        #[test]
        fn changing_one_digit_of_a_luhn_siret_breaks_it(base in "[0-9]{13}", pos in 0usize..14, delta in 1u8..10) {
            // Complete 13 digits to a valid Luhn number, then change one digit.
            let check = (0..10).find(|d| luhn_valid(&format!("{base}{d}"))).unwrap();
            let valid = format!("{base}{check}");
            prop_assume!(!valid.starts_with(LA_POSTE_SIREN));
            let mut bytes = valid.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assume!(!changed.starts_with(LA_POSTE_SIREN));
            prop_assert!(Siret::parse(&valid).is_ok());
            prop_assert_eq!(Siret::parse(&changed), Err(SiretError::Checksum));
        }
    }
}
