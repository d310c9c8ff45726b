//! IDCC → OPCO with the two bundled public tables: the one derived from France Compétences'
//! SIRET-OPCO table (952 IDCC) first, the Ministry of Labour's table of 2019-07-19 (332 IDCC) as a
//! cross-check. A disagreement between them is kept and reported; an IDCC the first table gives
//! to several OPCOs is shared and goes to a person.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use domain::{Idcc, OpcoId};
use serde::{Deserialize, Serialize};

/// Name of the first table, as the answers cite it.
pub const PRIMARY_BUNDLED: &str =
    "idcc-opco-952 (dérivée de la table SIRET-OPCO de France Compétences)";
/// Name of the cross-check table, as the answers cite it.
pub const CROSS_CHECK: &str = "idcc-opco-ministere-2019 (ministère du Travail, 19/07/2019)";

/// The two tables, parsed.
#[derive(Clone, Debug)]
pub struct Tables {
    primary_name: String,
    primary: HashMap<u16, PrimaryEntry>,
    cross: HashMap<u16, OpcoId>,
}

#[derive(Clone, Debug)]
struct PrimaryEntry {
    opcos: BTreeSet<OpcoId>,
    branch: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawPrimary {
    opco_slug: OneOrMany,
    #[serde(default)]
    branche_name: Option<String>,
}

#[derive(Deserialize)]
struct RawMinistere {
    mapping: HashMap<String, String>,
}

/// What the tables say of one IDCC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdccRoute {
    /// The agreement, on 4 digits.
    pub idcc: Idcc,
    /// The OPCO (or OPCOs, when shared) of the first table; empty when it does not list the IDCC.
    pub primary: Vec<OpcoId>,
    /// The OPCO of the 2019 table, when it lists the IDCC.
    pub cross_check: Option<OpcoId>,
    /// The branch the first table names.
    pub branch: Option<String>,
    /// What follows for this IDCC.
    pub verdict: IdccVerdict,
    /// Which table the verdict comes from.
    pub source: Option<String>,
    /// Whether the two tables name different OPCOs.
    pub tables_disagree: bool,
}

/// What follows from one IDCC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdccVerdict {
    /// One OPCO.
    Opco { opco: OpcoId },
    /// 9998/9999: no collective agreement, so no OPCO follows.
    NoAgreement,
    /// The first table gives this IDCC to several OPCOs: a person chooses.
    Shared { opcos: Vec<OpcoId> },
    /// Neither table knows it.
    Unknown,
}

fn slug_set(value: OneOrMany) -> BTreeSet<OpcoId> {
    let slugs = match value {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    };
    slugs
        .iter()
        .filter_map(|s| OpcoId::from_slug(s).ok())
        .collect()
}

impl Tables {
    /// The two tables bundled with the fleet.
    pub fn bundled() -> &'static Tables {
        static TABLES: OnceLock<Tables> = OnceLock::new();
        TABLES.get_or_init(|| {
            Tables::from_json(
                PRIMARY_BUNDLED,
                include_str!("../../domain/data/idcc-opco-952.json"),
                include_str!("../../domain/data/idcc-opco-ministere-2019.json"),
            )
            .expect("the bundled IDCC tables are valid")
        })
    }

    /// Tables from their JSON text: the first in the shape of `idcc-opco-952.json`
    /// (`{"1486": {"opco_slug": "atlas", "branche_name": "…"}}`, where `opco_slug` may also be a
    /// list for an IDCC shared between OPCOs), the second in the shape of the 2019 table.
    pub fn from_json(primary_name: &str, primary: &str, cross: &str) -> Result<Tables, String> {
        let raw: HashMap<String, RawPrimary> = serde_json::from_str(primary)
            .map_err(|e| format!("table IDCC → OPCO illisible : {e}"))?;
        let ministere: RawMinistere = serde_json::from_str(cross)
            .map_err(|e| format!("table IDCC → OPCO de 2019 illisible : {e}"))?;
        let mut out = HashMap::new();
        for (key, entry) in raw {
            // Keys that are not an IDCC ("N.A.") and unknown slugs carry no mapping.
            let Ok(idcc) = Idcc::parse(&key) else {
                continue;
            };
            let opcos = slug_set(entry.opco_slug);
            if !opcos.is_empty() {
                out.insert(
                    idcc.number(),
                    PrimaryEntry {
                        opcos,
                        branch: entry.branche_name,
                    },
                );
            }
        }
        let cross = ministere
            .mapping
            .into_iter()
            .filter_map(|(k, v)| {
                Some((Idcc::parse(&k).ok()?.number(), OpcoId::from_slug(&v).ok()?))
            })
            .collect();
        Ok(Tables {
            primary_name: primary_name.to_owned(),
            primary: out,
            cross,
        })
    }

    /// The bundled tables with the first one replaced by a file of the same shape (a newer
    /// extract of France Compétences' table, without a rebuild).
    pub fn with_primary_file(path: &Path) -> Result<Tables, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("impossible de lire {} : {e}", path.display()))?;
        Tables::from_json(
            &format!("{} (fichier configuré)", path.display()),
            &text,
            include_str!("../../domain/data/idcc-opco-ministere-2019.json"),
        )
    }

    /// The name of the first table, as answers cite it.
    pub fn primary_name(&self) -> &str {
        &self.primary_name
    }

    /// What the tables say of one IDCC.
    pub fn route(&self, idcc: Idcc) -> IdccRoute {
        let entry = self.primary.get(&idcc.number());
        let primary: Vec<OpcoId> = entry
            .map(|e| e.opcos.iter().copied().collect())
            .unwrap_or_default();
        let cross_check = self.cross.get(&idcc.number()).copied();
        let branch = entry.and_then(|e| e.branch.clone());
        let tables_disagree = match (primary.as_slice(), cross_check) {
            ([], _) | (_, None) => false,
            (list, Some(c)) => !list.contains(&c) || list.len() > 1,
        };
        let (verdict, source) = if idcc.is_no_agreement() {
            // The first table lists 9998 under AKTO; "no agreement" decides no OPCO whatever a
            // table says.
            (IdccVerdict::NoAgreement, None)
        } else {
            match (primary.as_slice(), cross_check) {
                ([one], _) => (
                    IdccVerdict::Opco { opco: *one },
                    Some(self.primary_name.clone()),
                ),
                ([], Some(c)) => (IdccVerdict::Opco { opco: c }, Some(CROSS_CHECK.to_owned())),
                ([], None) => (IdccVerdict::Unknown, None),
                (many, _) => (
                    IdccVerdict::Shared {
                        opcos: many.to_vec(),
                    },
                    Some(self.primary_name.clone()),
                ),
            }
        };
        IdccRoute {
            idcc,
            primary,
            cross_check,
            branch,
            verdict,
            source,
            tables_disagree,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idcc(s: &str) -> Idcc {
        Idcc::parse(s).unwrap()
    }

    #[test]
    fn syntec_goes_to_atlas_by_both_tables() {
        let r = Tables::bundled().route(idcc("1486"));
        assert_eq!(
            r.verdict,
            IdccVerdict::Opco {
                opco: OpcoId::Atlas
            }
        );
        assert_eq!(r.cross_check, Some(OpcoId::Atlas));
        assert!(!r.tables_disagree);
    }

    #[test]
    fn camping_is_reported_as_a_disagreement_and_the_first_table_wins() {
        let r = Tables::bundled().route(idcc("1618"));
        assert_eq!(
            r.verdict,
            IdccVerdict::Opco {
                opco: OpcoId::Opcommerce
            }
        );
        assert_eq!(r.cross_check, Some(OpcoId::Afdas));
        assert!(r.tables_disagree);
    }

    #[test]
    fn no_agreement_maps_to_no_opco_even_where_a_table_lists_it() {
        let r = Tables::bundled().route(idcc("9998"));
        assert_eq!(r.verdict, IdccVerdict::NoAgreement);
        assert_eq!(r.primary, vec![OpcoId::Akto]);
        assert_eq!(
            Tables::bundled().route(idcc("9999")).verdict,
            IdccVerdict::NoAgreement
        );
    }

    #[test]
    fn an_idcc_only_the_2019_table_knows_is_routed_by_it_and_says_so() {
        let r = Tables::bundled().route(idcc("2622"));
        assert_eq!(
            r.verdict,
            IdccVerdict::Opco {
                opco: OpcoId::Atlas
            }
        );
        assert_eq!(r.source.as_deref(), Some(CROSS_CHECK));
    }

    #[test]
    fn an_idcc_listed_under_two_opcos_is_shared() {
        let tables = Tables::from_json(
            "extrait",
            r#"{"7024": {"opco_slug": ["akto", "ocapiat"], "branche_name": "Agriculture"}}"#,
            r#"{"mapping": {"7024": "ocapiat"}}"#,
        )
        .unwrap();
        let r = tables.route(idcc("7024"));
        assert_eq!(
            r.verdict,
            IdccVerdict::Shared {
                opcos: vec![OpcoId::Akto, OpcoId::Ocapiat]
            }
        );
    }

    #[test]
    fn an_idcc_neither_table_knows_is_unknown() {
        assert_eq!(
            Tables::bundled().route(idcc("4242")).verdict,
            IdccVerdict::Unknown
        );
    }
}
