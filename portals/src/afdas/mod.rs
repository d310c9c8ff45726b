//! Afdas: facts (facts.toml), form pages (steps.rs), status wording (statuses.rs).

mod statuses;
mod steps;

use std::sync::OnceLock;

use crate::script::PortalScript;

/// The Afdas portal script.
pub fn script() -> &'static PortalScript {
    static SCRIPT: OnceLock<PortalScript> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        PortalScript::new(include_str!("facts.toml"), steps::pages, statuses::read_row)
            .unwrap_or_else(|e| panic!("{}: facts.toml is invalid: {e}", module_path!()))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_facts_file_parses_and_names_this_opco() {
        let s = super::script();
        assert_eq!(s.opco(), domain::OpcoId::Afdas);
        assert!(!s.facts().statuses.is_empty());
    }
}
