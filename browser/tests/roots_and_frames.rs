//! Locators through open shadow roots at any depth and inside frames of the same origin, of
//! another origin (another port) and of another site (`localhost` against `127.0.0.1`), strict
//! across all of them.

mod common;

use std::time::Duration;

use browser::Page;
use browser::locator::{self, Locator, LocatorError};
use common::{Route, Server, with_browser};

/// The top page on one server, its cross-origin frames on another.
async fn servers() -> (Server, Server) {
    let other = Server::start(vec![
        ("/cross", Route::html(include_str!("fixtures/cross.html"))),
        ("/site", Route::html(include_str!("fixtures/site.html"))),
    ])
    .await;
    let top = include_str!("fixtures/roots.html")
        .replace("CROSS_URL", &other.url("/cross"))
        .replace("SITE_URL", &other.other_site_url("/site"));
    let main = Server::start(vec![
        ("/", Route::html(top)),
        ("/same", Route::html(include_str!("fixtures/same.html"))),
    ])
    .await;
    (main, other)
}

async fn open(page: &Page, main: &Server) {
    page.goto(&main.url("/")).await.unwrap();
    // Frames load on their own: wait for the last one's field.
    Locator::label("Adresse e-mail").wait(page).await.unwrap();
    Locator::label("Montant HT").wait(page).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_and_buttons_are_found_in_nested_shadow_roots_and_in_every_kind_of_frame() {
    let (main, _other) = servers().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        open(&page, &main).await;

        // Two shadow roots deep, named by aria-labelledby inside its own root.
        let title = Locator::label("Intitulé de la formation");
        title.fill(&page, "Bilan de compétences").await.unwrap();
        assert_eq!(title.value(&page).await.unwrap(), "Bilan de compétences");
        // A component's own label names its one input.
        let born = Locator::label("Nom de naissance");
        born.fill(&page, "Durand").await.unwrap();
        assert_eq!(born.value(&page).await.unwrap(), "Durand");
        let save = Locator::button("Enregistrer l'étape");
        save.click(&page).await.unwrap();
        assert_eq!(
            Locator::button("Étape enregistrée")
                .count(&page)
                .await
                .unwrap(),
            1
        );

        // Same-origin frame, cross-origin frame (other port), other site (localhost).
        for (label, value) in [
            ("Numéro de SIRET", "73282932000074"),
            ("Montant HT", "1800,00"),
            ("Adresse e-mail", "rh@entreprise.fr"),
        ] {
            let l = Locator::label(label);
            l.fill(&page, value).await.unwrap();
            assert_eq!(l.value(&page).await.unwrap(), value, "{label}");
        }
        // The frame's own document holds the value (not a copy somewhere else).
        let in_frame = page
            .evaluate("document.getElementById('same').contentDocument.getElementById('s').value")
            .await
            .unwrap();
        assert_eq!(in_frame, "73282932000074");

        // A real click lands inside a cross-origin frame at the right place.
        Locator::button("Valider le montant")
            .mouse_click(&page)
            .await
            .unwrap();
        Locator::button("Montant validé").wait(&page).await.unwrap();

        // A script's click is not trusted: that button ignores it.
        let e = Locator::button("Montant validé")
            .with_timeout(Duration::from_millis(300))
            .click(&page)
            .await;
        assert!(e.is_ok(), "{e:?}");
        assert_eq!(
            Locator::button("Montant validé")
                .count(&page)
                .await
                .unwrap(),
            1
        );

        // Alerts and required fields come from every frame.
        let alerts = locator::alerts(&page).await.unwrap();
        assert_eq!(alerts, vec!["Session bientôt expirée".to_owned()]);
        assert_eq!(
            locator::required_field_labels(&page).await.unwrap(),
            vec!["Numéro de SIRET".to_owned()]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strictness_holds_across_roots_and_frames_and_errors_say_where_the_locator_looked() {
    let (main, _other) = servers().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        open(&page, &main).await;
        let short = Duration::from_millis(400);

        // «Ville» is in a shadow root of the page and in a shadow root of a cross-origin frame.
        let e = Locator::label("Ville")
            .fill(&page, "Haguenau")
            .await
            .unwrap_err();
        assert!(
            matches!(e, LocatorError::Ambiguous { count: 2, .. }),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains("«Ville»"), "{msg}");
        assert!(msg.contains("3 frames (2 of another origin)"), "{msg}");
        assert!(msg.contains("shadow roots"), "{msg}");

        let e = Locator::label("Nom d'usage")
            .with_timeout(short)
            .fill(&page, "x")
            .await
            .unwrap_err();
        let LocatorError::NotFound { searched, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((searched.frames, searched.cross_origin_frames), (3, 2));
        // c-form, c-section, three lightning-inputs (two in the page, one in a frame), x-apart.
        assert_eq!(searched.shadow_roots, 6, "{e}");
        assert!(e.to_string().contains("«Nom d'usage»"), "{e}");

        // aria-labelledby does not reach out of a shadow root: nothing is named «Code NAF».
        let e = Locator::label("Code NAF")
            .with_timeout(short)
            .value(&page)
            .await
            .unwrap_err();
        assert!(matches!(e, LocatorError::NotFound { .. }), "{e:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_of_controls_covers_shadow_roots_and_frames_of_other_origins() {
    let (main, _other) = servers().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        open(&page, &main).await;
        Locator::label("Montant HT")
            .fill(&page, "1800,00")
            .await
            .unwrap();
        let controls = locator::controls(&page).await.unwrap();
        let find = |label: &str| {
            controls
                .iter()
                .find(|c| c.label == label)
                .unwrap_or_else(|| panic!("no control «{label}» in {controls:?}"))
        };
        assert_eq!(find("Intitulé de la formation").place, "shadow");
        assert_eq!(find("Nom de naissance").place, "shadow");
        assert_eq!(find("Numéro de SIRET").place, "frame");
        let amount = find("Montant HT");
        assert_eq!(
            (amount.place.as_str(), amount.value.as_str(), amount.filled),
            ("frame", "1800,00", true)
        );
        assert_eq!(find("Adresse e-mail").kind, "email");
        // Page: 1 + 1 + 2 unnamed (x-apart); frames: same 1, cross 2, site 1.
        assert_eq!(controls.len(), 9, "{controls:?}");
        assert_eq!(
            controls.iter().filter(|c| c.label == "Ville").count(),
            2,
            "{controls:?}"
        );
    })
    .await;
}

/// A legacy frameset shows nothing of its own: what a person reads (text, tables, stated
/// values) is in its frames, and is read from there, links resolved against their frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_framesets_text_tables_and_stated_values_are_read_from_its_frames() {
    let main = Server::start(vec![
        ("/", Route::html(include_str!("fixtures/frameset.html"))),
        ("/menu", Route::html(include_str!("fixtures/menu.html"))),
        (
            "/contenu",
            Route::html(include_str!("fixtures/contenu.html")),
        ),
    ])
    .await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.goto(&main.url("/")).await.unwrap();
        Locator::link("Accord — démarrage à confirmer")
            .wait(&page)
            .await
            .unwrap();
        let text = locator::page_text(&page).await.unwrap();
        assert!(text.contains("Dernière connexion le 01/12/2026."), "{text}");
        assert!(text.contains("Mes demandes d'aide financière"), "{text}");
        let deep = locator::deep_page_text(&page).await.unwrap();
        assert!(deep.contains("DAF-2026-0042"), "{deep}");

        let tables = locator::tables(&page).await.unwrap();
        assert_eq!(tables.len(), 1, "{tables:?}");
        let row = &tables[0].rows[0];
        assert_eq!(row.cell("N° DAF"), Some("DAF-2026-0042"));
        assert_eq!(
            row.cell("Situation"),
            Some("Accord — démarrage à confirmer")
        );
        assert_eq!(row.links[0].href, main.url("/daf/42"));

        let stated = locator::stated_values(&page).await.unwrap();
        assert!(
            stated.contains(&("Intitulé".to_owned(), "Bilan de compétences".to_owned())),
            "{stated:?}"
        );
    })
    .await;
}

/// The HTML a recording keeps holds what shadow roots and readable frames show (a Lightning
/// page's fields, a frameset's page), which the document's own HTML does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deep_html_holds_shadow_roots_and_same_origin_frames_and_nothing_unreadable() {
    let (main, _other) = servers().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        open(&page, &main).await;
        let plain = page.html().await.unwrap();
        let deep = page.deep_html().await.unwrap();
        assert!(!plain.contains("Numéro de SIRET"), "{plain}");
        assert!(
            deep.contains("<template data-frame-document><html")
                && deep.contains(">Numéro de SIRET</label>"),
            "{deep}"
        );
        assert!(
            deep.contains(
                "<template shadowrootmode=\"open\"><span id=\"l\">Intitulé de la formation</span>"
            ),
            "{deep}"
        );
        // A frame of another origin cannot be read: it stays an empty frame.
        assert!(!deep.contains("Montant HT"), "{deep}");
        page.close().await.unwrap();
    })
    .await;
}
