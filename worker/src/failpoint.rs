//! Named failure points for crash tests: `MONOPCO_FAILPOINTS=after_portal_submit` makes the
//! process abort at that point, as a power cut or `kill -9` would, so a test can show what a
//! crash at the worst moment leaves behind. Unset (always, in production), a point costs one
//! environment lookup.

/// Aborts the process if `name` is listed in `MONOPCO_FAILPOINTS` (comma-separated).
pub fn hit(name: &str) {
    let armed = std::env::var("MONOPCO_FAILPOINTS")
        .is_ok_and(|list| list.split(',').any(|p| p.trim() == name));
    if armed {
        tracing::error!(
            failpoint = name,
            "Failure point reached; aborting the process"
        );
        std::process::abort();
    }
}
