//! The company lookup against a local server answering in the API's documented shape (the real
//! API cannot be reached from our machines), with the cache and the pace in a real SQLite store.

use std::time::{Duration, Instant};

use companies::{
    Client, ClientConfig, Company, CompanyLookup, IdccVerdict, LookupConfig, LookupError, Pace,
    Resolution, Tables,
};
use domain::{Nda, OpcoId};
use sandboxes::directory::{CompanyFixture, Directory, Reply, siret_with_key};

struct Harness {
    directory: Directory,
    lookup: CompanyLookup,
    _store: jobs::Store,
    _dir: tempfile::TempDir,
}

async fn harness_with(tables: Tables, tune: impl FnOnce(&mut ClientConfig)) -> Harness {
    let directory = Directory::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = jobs::Store::connect(
        &format!("sqlite://{}", dir.path().join("state.db").display()),
        Vec::new(),
    )
    .await
    .unwrap();
    let mut config = ClientConfig {
        base_url: directory.url().to_owned(),
        timeout: Duration::from_millis(800),
        retries: 3,
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    };
    tune(&mut config);
    let lookup = CompanyLookup::new(
        Client::new(config).unwrap(),
        Pace::new(store.pool().clone(), 50),
        store.pool().clone(),
        tables,
        LookupConfig::default(),
    );
    Harness {
        directory,
        lookup,
        _store: store,
        _dir: dir,
    }
}

async fn harness() -> Harness {
    harness_with(Tables::bundled().clone(), |_| {}).await
}

fn siret(n: u32) -> String {
    siret_with_key(&format!("4{n:08}0001"))
}

fn codes(company: &Company) -> Vec<&str> {
    company.warnings.iter().map(|w| w.code.as_str()).collect()
}

#[tokio::test]
async fn a_syntec_company_is_routed_to_atlas_with_every_fact_and_its_source() {
    let h = harness().await;
    let s = siret(1);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "CONSEIL ALSACE", &["1486"]));
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::Resolved);
    assert_eq!(c.opco, Some(OpcoId::Atlas));
    assert_eq!(c.exit_code(), 0);
    assert_eq!(c.siren, &s[..9]);
    assert_eq!(c.name, "CONSEIL ALSACE");
    assert_eq!(c.naf.as_deref(), Some("62.02A"));
    assert!(c.open && c.head_office);
    assert_eq!(c.headcount.under_50, Some(true));
    assert_eq!(c.headcount.year.as_deref(), Some("2023"));
    assert_eq!(c.idcc.len(), 1);
    assert_eq!(c.idcc[0].route.idcc.to_string(), "1486");
    assert_eq!(
        c.sources.idcc.as_deref(),
        Some("results[0].matching_etablissements[0].liste_idcc")
    );
    assert!(c.sources.opco[0].starts_with("idcc-opco-952"));
    assert!(c.candidates.is_empty() && c.reason.is_none());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(!c.from_cache);
}

#[tokio::test]
async fn the_establishments_idcc_wins_over_the_head_offices_and_the_difference_is_reported() {
    let h = harness().await;
    let s = siret(2);
    let mut f = CompanyFixture::new(&s, "GROUPE HÔTELIER", &["1979"]);
    f.siege_siret = siret(3);
    f.siege_idcc = Some(vec!["1486".into()]);
    f.company_idcc = Some(vec!["1486".into(), "1979".into()]);
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.opco, Some(OpcoId::Akto));
    assert!(!c.head_office);
    assert!(codes(&c).contains(&"idcc_differs_from_head_office"));
}

#[tokio::test]
async fn the_head_offices_idcc_is_read_when_the_establishment_declares_none() {
    let h = harness().await;
    let s = siret(4);
    let mut f = CompanyFixture::new(&s, "AGENCE", &["1486"]);
    f.siege_siret = siret(5);
    f.establishment_idcc = None;
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.opco, Some(OpcoId::Atlas));
    assert_eq!(
        c.sources.idcc.as_deref(),
        Some("results[0].siege.liste_idcc")
    );
    assert!(codes(&c).contains(&"idcc_from_head_office"));
}

#[tokio::test]
async fn idcc_9999_maps_to_no_opco() {
    let h = harness().await;
    let s = siret(6);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "SANS CONVENTION", &["9999"]));
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::NoOpco);
    assert_eq!(c.opco, None);
    assert_eq!(c.exit_code(), 1);
    assert!(c.reason.unwrap().contains("9999"));
    assert_eq!(c.idcc[0].route.verdict, IdccVerdict::NoAgreement);
}

#[tokio::test]
async fn a_shared_agricultural_idcc_gives_akto_and_ocapiat_as_candidates_for_a_person() {
    // The bundled tables list no IDCC under two OPCOs; a newer extract may. This one is an
    // operator's table file in the bundled shape, with a list of OPCOs for one IDCC.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"{"7024": {"opco_slug": ["ocapiat", "akto"], "branche_name": "Production agricole"},
            "1486": {"opco_slug": "atlas", "branche_name": "Syntec"}}"#,
    )
    .unwrap();
    let tables = Tables::with_primary_file(file.path()).unwrap();
    let h = harness_with(tables, |_| {}).await;
    let s = siret(7);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "CUMA DU RIED", &["7024"]));
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::NeedsChoice);
    assert_eq!(c.opco, None);
    assert_eq!(c.exit_code(), 2);
    let candidates: Vec<OpcoId> = c.candidates.iter().map(|c| c.opco).collect();
    assert_eq!(candidates, vec![OpcoId::Akto, OpcoId::Ocapiat]);
    let reason = c.reason.unwrap();
    assert!(reason.contains("7024") && reason.contains("AKTO") && reason.contains("OCAPIAT"));
}

#[tokio::test]
async fn two_idcc_leading_to_two_opcos_are_left_to_a_person_with_both_candidates() {
    let h = harness().await;
    let s = siret(8);
    h.directory.add_fixture(&CompanyFixture::new(
        &s,
        "CONSEIL ET RESTAURATION",
        &["1486", "1979"],
    ));
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::NeedsChoice);
    let candidates: Vec<OpcoId> = c.candidates.iter().map(|c| c.opco).collect();
    assert_eq!(candidates, vec![OpcoId::Atlas, OpcoId::Akto]);
    let reason = c.reason.unwrap();
    assert!(
        reason.contains("1486 → Atlas") && reason.contains("1979 → AKTO"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_company_with_no_idcc_at_all_is_left_to_a_person_with_a_reason() {
    let h = harness().await;
    let s = siret(9);
    let mut f = CompanyFixture::new(&s, "SANS IDCC", &[]);
    f.establishment_idcc = None;
    f.siege_idcc = None;
    f.company_idcc = None;
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::NeedsChoice);
    assert_eq!(c.opco, None);
    assert!(c.idcc.is_empty());
    assert_eq!(c.sources.idcc, None);
    assert!(c.reason.unwrap().contains("Aucune convention collective"));
}

#[tokio::test]
async fn a_closed_establishment_is_refused_with_its_closing_date() {
    let h = harness().await;
    let s = siret(10);
    let mut f = CompanyFixture::new(&s, "FERMÉE", &["1486"]);
    f.closed_on = Some("2024-06-30".into());
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.resolution, Resolution::Closed);
    assert!(!c.open);
    assert_eq!(c.opco, None);
    assert_eq!(c.closed_on.as_deref(), Some("2024-06-30"));
    assert_eq!(c.exit_code(), 1);
    assert!(c.reason.unwrap().contains("2024-06-30"));
}

#[tokio::test]
async fn fifty_employees_or_more_is_a_warning_and_an_unknown_band_is_said_so() {
    let h = harness().await;
    let big = siret(11);
    let mut f = CompanyFixture::new(&big, "GRANDE ENTREPRISE", &["1486"]);
    f.band = Some("21".into());
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&big).await.unwrap();
    assert_eq!(c.opco, Some(OpcoId::Atlas));
    assert_eq!(c.headcount.under_50, Some(false));
    assert_eq!(c.headcount.label.as_deref(), Some("50 à 99 salariés"));
    let w = c
        .warnings
        .iter()
        .find(|w| w.code == "headcount_50_or_more")
        .unwrap();
    assert!(w.message.contains("moins de 50"));

    let unknown = siret(12);
    let mut f = CompanyFixture::new(&unknown, "EFFECTIF INCONNU", &["1486"]);
    f.band = None;
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&unknown).await.unwrap();
    assert_eq!(c.headcount.under_50, None);
    assert!(codes(&c).contains(&"headcount_unknown"));
}

#[tokio::test]
async fn a_429_is_retried_and_the_next_answer_is_used() {
    let h = harness().await;
    let s = siret(13);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "PATIENTE", &["1486"]));
    h.directory
        .script(&s, vec![Reply::TooManyRequests { retry_after_s: 0 }]);
    let c = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(c.opco, Some(OpcoId::Atlas));
    assert_eq!(h.directory.calls_for(&s), 2);
}

#[tokio::test]
async fn a_5xx_storm_past_the_retries_is_a_retryable_failure_after_every_try() {
    let h = harness().await;
    let s = siret(14);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "EN PANNE", &["1486"]));
    // Exactly as many 503 as tries: one try and three retries.
    h.directory.script(&s, vec![Reply::Status(503); 4]);
    let e = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(
        e,
        LookupError::Unavailable {
            status: 503,
            attempts: 4
        }
    );
    assert!(e.is_retryable());
    assert_eq!(e.code(), "company_lookup_unavailable");
    assert_eq!(h.directory.calls_for(&s), 4);
    // Nothing was cached: the next lookup calls again and gets the answer.
    assert_eq!(
        h.lookup.resolve_str(&s).await.unwrap().opco,
        Some(OpcoId::Atlas)
    );
    assert_eq!(h.directory.calls_for(&s), 5);
}

#[tokio::test]
async fn a_malformed_or_truncated_body_is_refused_with_its_reason_and_not_retried() {
    let h = harness().await;
    let s = siret(15);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "ILLISIBLE", &["1486"]));
    h.directory.script(
        &s,
        vec![
            Reply::Raw(r#"{"results": [{"siren": "4000000"#.into()),
            Reply::Raw(r#"{"results": [{"siren": 12}], "total_results": 1}"#.into()),
        ],
    );
    let truncated = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(truncated.code(), "company_lookup_malformed");
    assert!(!truncated.is_retryable());
    assert!(truncated.message_fr().starts_with("Réponse illisible"));
    let wrong_type = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(wrong_type.code(), "company_lookup_malformed");
    assert_eq!(h.directory.calls_for(&s), 2);
}

#[tokio::test]
async fn an_unreadable_idcc_in_the_answer_makes_it_malformed_rather_than_guessed() {
    let h = harness().await;
    let s = siret(16);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "IDCC BIZARRE", &["14 86"]));
    let e = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(e.code(), "company_lookup_malformed");
}

#[tokio::test]
async fn a_wrong_luhn_key_is_refused_without_a_call_and_la_poste_is_accepted() {
    let h = harness().await;
    let good = siret(17);
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '9' {
        '0'
    } else {
        char::from(last as u8 + 1)
    });
    let e = h.lookup.resolve_str(&bad).await.unwrap_err();
    assert_eq!(e.code(), "invalid_siret");
    assert!(e.is_bad_input() && !e.is_retryable());
    assert!(e.message_fr().contains("clé de contrôle"));
    assert!(h.directory.calls().is_empty());

    // La Poste: digit sum divisible by 5, not Luhn.
    let poste = "35600000000051";
    h.directory
        .add_fixture(&CompanyFixture::new(poste, "LA POSTE", &["5516"]));
    let c = h.lookup.resolve_str(poste).await.unwrap();
    assert_eq!(c.siren, "356000000");
}

#[tokio::test]
async fn an_unknown_siret_is_not_found() {
    let h = harness().await;
    let s = siret(18);
    let e = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(e.code(), "company_not_found");
    assert!(e.is_bad_input());
    assert_eq!(h.directory.calls_for(&s), 1);
}

#[tokio::test]
async fn a_timeout_on_every_try_is_a_retryable_timeout() {
    let h = harness_with(Tables::bundled().clone(), |c| {
        c.timeout = Duration::from_millis(150);
        c.retries = 1;
    })
    .await;
    let s = siret(19);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "LENTE", &["1486"]));
    h.directory
        .script(&s, vec![Reply::Slow(Duration::from_millis(600)); 2]);
    let e = h.lookup.resolve_str(&s).await.unwrap_err();
    assert_eq!(
        e,
        LookupError::Timeout {
            attempts: 2,
            timeout_ms: 150
        }
    );
    assert!(e.is_retryable());
}

#[tokio::test]
async fn an_answer_is_reused_from_the_store_and_a_burst_for_one_company_makes_one_call() {
    let h = harness().await;
    let s = siret(20);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "DEMANDÉE", &["1486"]));
    h.directory
        .script(&s, vec![Reply::Slow(Duration::from_millis(300))]);
    let lookups: Vec<_> = (0..10)
        .map(|_| {
            let l = h.lookup.clone();
            let s = s.clone();
            tokio::spawn(async move { l.resolve_str(&s).await })
        })
        .collect();
    for l in lookups {
        assert_eq!(l.await.unwrap().unwrap().opco, Some(OpcoId::Atlas));
    }
    assert_eq!(h.directory.calls_for(&s), 1);
    let again = h.lookup.resolve_str(&s).await.unwrap();
    assert!(again.from_cache);
    assert_eq!(h.directory.calls_for(&s), 1);
}

#[tokio::test]
async fn a_lookup_given_up_mid_fetch_lets_the_next_one_fetch_at_once() {
    let h = harness().await;
    let s = siret(21);
    h.directory
        .add_fixture(&CompanyFixture::new(&s, "ABANDONNÉE", &["1486"]));
    h.directory
        .script(&s, vec![Reply::Slow(Duration::from_millis(700))]);
    // The caller stops waiting while the directory is still answering (the provider check's
    // own time limit does this): its future is dropped with the fetch claimed.
    let given_up = tokio::time::timeout(Duration::from_millis(200), h.lookup.resolve_str(&s)).await;
    assert!(given_up.is_err(), "the first lookup must still be fetching");
    let started = Instant::now();
    let company = h.lookup.resolve_str(&s).await.unwrap();
    assert_eq!(company.opco, Some(OpcoId::Atlas));
    assert!(!company.from_cache);
    // Without the release, the next lookup waits for the fetch lease (two minutes).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the abandoned claim held the next lookup for {:?}",
        started.elapsed()
    );
    assert_eq!(h.directory.calls_for(&s), 2);
}

#[tokio::test]
async fn the_pace_spaces_calls_so_no_second_holds_more_than_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = jobs::Store::connect(
        &format!("sqlite://{}", dir.path().join("state.db").display()),
        Vec::new(),
    )
    .await
    .unwrap();
    let pace = Pace::new(store.pool().clone(), 6);
    let start = Instant::now();
    let mut times = Vec::new();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let p = pace.clone();
            tokio::spawn(async move {
                p.acquire().await.unwrap();
                Instant::now()
            })
        })
        .collect();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    times.sort();
    let in_first_second = times
        .iter()
        .filter(|t| t.duration_since(start) < Duration::from_millis(999))
        .count();
    assert!(
        in_first_second <= 6,
        "{in_first_second} slots in the first second"
    );
    assert!(times.last().unwrap().duration_since(start) >= Duration::from_millis(1800));
}

#[tokio::test]
async fn a_providers_siret_is_checked_against_its_training_declaration() {
    let h = harness().await;
    let of = siret(21);
    let mut f = CompanyFixture::new(&of, "NETZ INFORMATIQUE", &["1516"]);
    f.training_organisation = true;
    f.qualiopi = true;
    f.nda = vec!["42670000000".into()];
    h.directory.add_fixture(&f);
    let c = h.lookup.resolve_str(&of).await.unwrap();
    assert!(
        c.provider_warnings(&Nda::parse("42670000000").unwrap())
            .is_empty()
    );
    let w = c.provider_warnings(&Nda::parse("11750000000").unwrap());
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, "provider_nda_mismatch");

    let not_of = siret(22);
    h.directory
        .add_fixture(&CompanyFixture::new(&not_of, "CLIENT", &["1486"]));
    let c = h.lookup.resolve_str(&not_of).await.unwrap();
    let w: Vec<String> = c
        .provider_warnings(&Nda::parse("42670000000").unwrap())
        .into_iter()
        .map(|w| w.code)
        .collect();
    assert_eq!(
        w,
        vec![
            "provider_not_training_organisation",
            "provider_nda_mismatch",
            "provider_not_qualiopi"
        ]
    );
}
