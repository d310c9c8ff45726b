// The registered portals: one line each, `folder => OpcoId variant`. Adding a portal is its
// folder `portals/src/<folder>/` (facts.toml, steps.rs, statuses.rs, mod.rs, sandbox.rs) and one
// line here; nothing else names it.
//
// This file is `include!`d, not a module: by `portals` (the scripts, `SUPPORTED`, `script()`), by
// `sandboxes` (each folder's `sandbox.rs`, the sandbox registry) and by the test suites (one test
// per portal). Each includer first defines `registered!` to expand the list as it needs it.
registered! {
    atlas => Atlas,
    akto => Akto,
    opco_ep => OpcoEp,
    opco_sante => OpcoSante,
    constructys => Constructys,
    opco_mobilites => OpcoMobilites,
    opco_2i => Opco2i,
    ocapiat => Ocapiat,
    opcommerce => Opcommerce,
    uniformation => Uniformation,
    afdas => Afdas,
}
