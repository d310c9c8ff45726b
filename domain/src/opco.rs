use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One of the 11 French "opérateurs de compétences".
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum OpcoId {
    Atlas,
    Akto,
    OpcoEp,
    Opco2i,
    Ocapiat,
    Constructys,
    OpcoMobilites,
    OpcoSante,
    Afdas,
    Opcommerce,
    Uniformation,
}

/// A slug that names no OPCO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OPCO inconnu « {0} » : attendu l'un de {list}", list = OpcoId::ALL.iter().map(|o| o.slug()).collect::<Vec<_>>().join(", "))]
pub struct UnknownOpco(pub String);

impl OpcoId {
    /// All eleven, in the order of DOMAIN.md.
    pub const ALL: [OpcoId; 11] = [
        Self::Atlas,
        Self::Akto,
        Self::OpcoEp,
        Self::Opco2i,
        Self::Ocapiat,
        Self::Constructys,
        Self::OpcoMobilites,
        Self::OpcoSante,
        Self::Afdas,
        Self::Opcommerce,
        Self::Uniformation,
    ];

    /// The slug used in the API, configuration and folder names.
    pub const fn slug(self) -> &'static str {
        match self {
            Self::Atlas => "atlas",
            Self::Akto => "akto",
            Self::OpcoEp => "opco-ep",
            Self::Opco2i => "opco2i",
            Self::Ocapiat => "ocapiat",
            Self::Constructys => "constructys",
            Self::OpcoMobilites => "opco-mobilites",
            Self::OpcoSante => "opco-sante",
            Self::Afdas => "afdas",
            Self::Opcommerce => "opcommerce",
            Self::Uniformation => "uniformation",
        }
    }

    /// The name people use.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Atlas => "Atlas",
            Self::Akto => "AKTO",
            Self::OpcoEp => "OPCO EP",
            Self::Opco2i => "OPCO 2i",
            Self::Ocapiat => "OCAPIAT",
            Self::Constructys => "Constructys",
            Self::OpcoMobilites => "OPCO Mobilités",
            Self::OpcoSante => "OPCO Santé",
            Self::Afdas => "Afdas",
            Self::Opcommerce => "L'Opcommerce",
            Self::Uniformation => "Uniformation",
        }
    }

    /// The OPCO's own SIREN (public data; only Atlas cross-checked).
    pub const fn siren(self) -> &'static str {
        match self {
            Self::Atlas => "851296632",
            Self::Akto => "853000982",
            Self::OpcoEp => "879036895",
            Self::Opco2i => "849813852",
            Self::Ocapiat => "844752006",
            Self::Constructys => "533846150",
            Self::OpcoMobilites => "851240499",
            Self::OpcoSante => "854033115",
            Self::Afdas => "784714008",
            Self::Opcommerce => "398522243",
            Self::Uniformation => "309065043",
        }
    }

    /// Parses our slug or one of the spellings found in public tables ("opcoep", "sante", …).
    pub fn from_slug(slug: &str) -> Result<Self, UnknownOpco> {
        let s = slug.trim().to_ascii_lowercase();
        let found = match s.as_str() {
            "atlas" => Self::Atlas,
            "akto" => Self::Akto,
            "opco-ep" | "opcoep" => Self::OpcoEp,
            "opco2i" | "opco-2i" => Self::Opco2i,
            "ocapiat" => Self::Ocapiat,
            "constructys" => Self::Constructys,
            "opco-mobilites" | "mobilites" => Self::OpcoMobilites,
            "opco-sante" | "sante" => Self::OpcoSante,
            "afdas" => Self::Afdas,
            "opcommerce" | "commerce" => Self::Opcommerce,
            "uniformation" | "cohesion-sociale" => Self::Uniformation,
            _ => return Err(UnknownOpco(slug.chars().take(40).collect())),
        };
        Ok(found)
    }
}

impl fmt::Display for OpcoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for OpcoId {
    type Err = UnknownOpco;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_slug(s)
    }
}

/// A collective agreement number (IDCC), 1 to 9999, written on 4 digits.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "1486")]
pub struct Idcc(u16);

/// A string that is not an IDCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IDCC invalide « {0} » : un nombre de 1 à 4 chiffres est attendu (ex. 1486)")]
pub struct IdccError(String);

impl Idcc {
    /// Parses "1486", "0016" or "16".
    pub fn parse(input: &str) -> Result<Self, IdccError> {
        let t = input.trim();
        let err = || IdccError(t.chars().take(20).collect());
        if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        match t.parse::<u16>() {
            Ok(0) | Err(_) => Err(err()),
            Ok(n) => Ok(Self(n)),
        }
    }

    /// The number.
    pub const fn number(self) -> u16 {
        self.0
    }

    /// 9998 and 9999 mean "no collective agreement": no OPCO follows from them.
    pub const fn is_no_agreement(self) -> bool {
        matches!(self.0, 9998 | 9999)
    }
}

impl fmt::Display for Idcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl TryFrom<String> for Idcc {
    type Error = IdccError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Idcc> for String {
    fn from(value: Idcc) -> Self {
        value.to_string()
    }
}

/// What the public tables say of an IDCC's OPCO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpcoLookup {
    /// One OPCO, agreed by every table that knows the IDCC.
    Unique(OpcoId),
    /// Tables disagree: a human must choose.
    Ambiguous(Vec<OpcoId>),
    /// 9998/9999: the company has no collective agreement, so no OPCO follows.
    NoAgreement,
    /// No table knows this IDCC.
    Unknown,
}

#[derive(Deserialize)]
struct Entry952 {
    opco_slug: String,
}

#[derive(Deserialize)]
struct Ministere {
    mapping: HashMap<String, String>,
}

fn tables() -> &'static HashMap<u16, BTreeSet<OpcoId>> {
    static TABLES: OnceLock<HashMap<u16, BTreeSet<OpcoId>>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut out: HashMap<u16, BTreeSet<OpcoId>> = HashMap::new();
        let t952: HashMap<String, Entry952> =
            serde_json::from_str(include_str!("../data/idcc-opco-952.json"))
                .expect("bundled IDCC table is valid JSON");
        let ministere: Ministere =
            serde_json::from_str(include_str!("../data/idcc-opco-ministere-2019.json"))
                .expect("bundled IDCC table is valid JSON");
        let pairs = t952
            .into_iter()
            .map(|(k, v)| (k, v.opco_slug))
            .chain(ministere.mapping);
        // Junk keys ("N.A.", "na") and unknown slugs are skipped: they carry no mapping.
        for (key, slug) in pairs {
            if let (Ok(idcc), Ok(opco)) = (Idcc::parse(&key), OpcoId::from_slug(&slug)) {
                out.entry(idcc.number()).or_default().insert(opco);
            }
        }
        out
    })
}

/// The OPCO of a collective agreement, from the two public tables bundled with this crate.
pub fn opco_for_idcc(idcc: Idcc) -> OpcoLookup {
    if idcc.is_no_agreement() {
        return OpcoLookup::NoAgreement;
    }
    match tables().get(&idcc.number()) {
        None => OpcoLookup::Unknown,
        Some(set) if set.len() == 1 => OpcoLookup::Unique(*set.iter().next().expect("one element")),
        Some(set) => OpcoLookup::Ambiguous(set.iter().copied().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slug_round_trips() {
        for opco in OpcoId::ALL {
            assert_eq!(OpcoId::from_slug(opco.slug()).unwrap(), opco);
            let json = serde_json::to_string(&opco).unwrap();
            assert_eq!(json, format!("\"{}\"", opco.slug()));
        }
        assert!(OpcoId::from_slug("opca").is_err());
    }

    #[test]
    fn idcc_is_padded_to_four_digits() {
        assert_eq!(Idcc::parse("16").unwrap().to_string(), "0016");
        assert!(Idcc::parse("0").is_err());
        assert!(Idcc::parse("12345").is_err());
        assert!(Idcc::parse("N.A.").is_err());
    }

    #[test]
    fn syntec_belongs_to_atlas_and_hcr_to_akto() {
        assert_eq!(
            opco_for_idcc(Idcc::parse("1486").unwrap()),
            OpcoLookup::Unique(OpcoId::Atlas)
        );
        assert_eq!(
            opco_for_idcc(Idcc::parse("1979").unwrap()),
            OpcoLookup::Unique(OpcoId::Akto)
        );
    }

    #[test]
    fn no_agreement_maps_to_no_opco() {
        assert_eq!(
            opco_for_idcc(Idcc::parse("9999").unwrap()),
            OpcoLookup::NoAgreement
        );
        assert_eq!(
            opco_for_idcc(Idcc::parse("9998").unwrap()),
            OpcoLookup::NoAgreement
        );
    }
}
