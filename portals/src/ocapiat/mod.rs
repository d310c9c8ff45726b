//! OCAPIAT: facts (facts.toml), form pages (steps.rs), status wording (statuses.rs).

mod statuses;
mod steps;

use std::sync::OnceLock;

use crate::script::PortalScript;

/// The OCAPIAT portal script.
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
        assert_eq!(s.opco(), domain::OpcoId::Ocapiat);
        assert!(!s.facts().statuses.is_empty());
    }

    #[test]
    fn staff_are_warned_before_the_window_opens_after_it_closes_and_above_75_euros_an_hour() {
        use crate::facts::Warning;
        use chrono::NaiveDate;
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Starts 2027-03-02: the window runs from 2027-01-02 to 2027-03-02.
        let mut f = crate::filing::tests::sample(dir.path());
        let facts = super::script().facts();
        let codes = |f: &crate::Filing, today| -> Vec<&'static str> {
            facts.warnings(f, today).iter().map(Warning::code).collect()
        };
        assert_eq!(
            facts.warnings(&f, day(2027, 1, 1)),
            vec![Warning::FilingNotYetOpen {
                first_day: day(2027, 1, 2)
            }]
        );
        assert!(codes(&f, day(2027, 1, 2)).is_empty());
        assert!(codes(&f, day(2027, 2, 20)).is_empty());
        assert_eq!(codes(&f, day(2027, 2, 26)), ["deadline_close"]);
        assert!(codes(&f, day(2027, 3, 2)).contains(&"deadline_close"));
        assert_eq!(codes(&f, day(2027, 3, 3)), ["deadline_passed"]);
        // 1 800 € for 24 h is 75 € an hour: at the cap, not above it.
        assert!(codes(&f, day(2027, 2, 1)).is_empty());
        f.action.cost_ht = domain::Euros::from_cents(180_100);
        assert_eq!(codes(&f, day(2027, 2, 1)), ["hourly_cap_exceeded"]);
        let text = facts.warnings(&f, day(2027, 1, 1))[0].to_string();
        assert!(text.contains("à partir du 02/01/2027"), "{text}");
    }
}
