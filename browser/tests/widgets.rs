//! Widgets of modern portals, each set and read back in real Chromium: ARIA comboboxes (overlay
//! and shadow-root listboxes), autocompletes, dates (native and masked), radio groups, switches,
//! checkboxes that take only trusted clicks, covered elements, banners and upload components.

mod common;

use std::time::{Duration, Instant};

use browser::Page;
use browser::locator::{self, Locator, LocatorError};
use common::{Route, Server, with_browser};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const SHORT: Duration = Duration::from_millis(600);

async fn open(page: &Page, fixture: &'static str) -> Server {
    let server = Server::start(vec![("/", Route::html(fixture))]).await;
    page.goto(&server.url("/")).await.unwrap();
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comboboxes_are_opened_chosen_by_text_and_read_back() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        let _server = open(&page, include_str!("fixtures/widgets.html")).await;

        // Options in an overlay appended to <body>, over a transparent backdrop.
        let modality = Locator::label("Modalité");
        modality.select(&page, "distanciel").await.unwrap();
        assert_eq!(modality.value(&page).await.unwrap(), "Distanciel");
        assert_eq!(
            page.evaluate("document.querySelectorAll('.cdk-overlay-container').length")
                .await
                .unwrap(),
            0,
            "the overlay closed"
        );
        // Choosing what is already shown does nothing and succeeds.
        modality.select(&page, "Distanciel").await.unwrap();

        // A listbox in a component's shadow root, opened by a real click only, closing on blur.
        let contract = Locator::label("Type de contrat");
        contract.select(&page, "CDD").await.unwrap();
        assert_eq!(contract.value(&page).await.unwrap(), "CDD");
        let listed = locator::controls(&page).await.unwrap();
        let c = listed.iter().find(|c| c.label == "Type de contrat").unwrap();
        assert_eq!((c.kind.as_str(), c.value.as_str()), ("combobox", "CDD"));

        // A missing option: the error lists what the combobox offered.
        let e = modality.select(&page, "En alternance").await.unwrap_err();
        let LocatorError::NoSuchOption { available, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(available, &["Présentiel", "Distanciel", "Mixte"]);
        assert!(e.to_string().contains("«Modalité»"), "{e}");

        // A component that does not show the chosen option.
        let e = Locator::label("Niveau")
            .with_timeout(SHORT)
            .select(&page, "Bac+2")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::DidNotStick { asked, shown, .. } if asked == "Bac+2" && shown == "Sélectionner"),
            "{e:?}"
        );
        assert!(e.to_string().contains("«Niveau»"), "{e}");

        // An open overlay's transparent backdrop swallows clicks elsewhere: refused, not lost.
        Locator::label("Modalité").mouse_click(&page).await.unwrap();
        let e = contract.select(&page, "CDI").await.unwrap_err();
        assert!(
            matches!(&e, LocatorError::Covered { by, .. } if by.contains("cdk-overlay-backdrop")),
            "{e:?}"
        );
        assert_eq!(contract.value(&page).await.unwrap(), "CDD");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_autocomplete_takes_the_one_suggestion_holding_the_exact_siret() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        let _server = open(&page, include_str!("fixtures/widgets.html")).await;
        let company = Locator::label("Entreprise");

        let chosen = company
            .autocomplete(&page, "ACME", "73282932000074")
            .await
            .unwrap();
        assert_eq!(chosen, "ACME FORMATION — 732 829 320 00074");
        assert_eq!(company.value(&page).await.unwrap(), "ACME FORMATION");

        // No suggestion holds the SIRET (a longer number holding it does not count).
        let e = company
            .clone()
            .with_timeout(Duration::from_secs(2))
            .autocomplete(&page, "ACME", "3282932000074")
            .await
            .unwrap_err();
        let LocatorError::NoSuchOption { available, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(available.len(), 2, "{available:?}");
        assert!(e.to_string().contains("«Entreprise»"), "{e}");

        // Two suggestions hold it: stop rather than guess.
        let e = company
            .autocomplete(&page, "GAMMA", "418 123 456 00011")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::AmbiguousOption { matching, .. } if matching.len() == 2),
            "{e:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_radios_switches_and_trusted_only_checkboxes_are_set_and_read_back() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        let _server = open(&page, include_str!("fixtures/widgets.html")).await;

        // Native date: the ISO value.
        Locator::label("Date de début")
            .fill_date(&page, "2027-03-02")
            .await
            .unwrap();
        assert_eq!(
            Locator::label("Date de début").value(&page).await.unwrap(),
            "2027-03-02"
        );
        // A JJ/MM/AAAA mask that reformats as one types (and ignores a script's value).
        Locator::label("Date de naissance")
            .fill_date(&page, "1985-04-12")
            .await
            .unwrap();
        assert_eq!(
            Locator::label("Date de naissance").value(&page).await.unwrap(),
            "12/04/1985"
        );
        let e = Locator::label("Date de fin")
            .fill_date(&page, "2027-04-20")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::DidNotStick { asked, .. } if asked == "20/04/2027"),
            "{e:?}"
        );
        assert!(e.to_string().contains("«Date de fin»"), "{e}");
        let e = Locator::label("Date de début")
            .fill_date(&page, "2027-02-30")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("2027-02-30"), "{e}");

        // A radio group by its legend, and an ARIA radio group taking real clicks only.
        let funding = Locator::label("Modalité de financement");
        funding.select(&page, "Remboursement").await.unwrap();
        assert_eq!(funding.value(&page).await.unwrap(), "Remboursement");
        let e = funding.select(&page, "Prise en charge directe").await.unwrap_err();
        assert!(
            matches!(&e, LocatorError::NoSuchOption { available, .. } if available == &["Subrogation", "Remboursement"]),
            "{e:?}"
        );
        let size = Locator::label("Taille de l'entreprise");
        size.select(&page, "11 salariés et plus").await.unwrap();
        assert_eq!(size.value(&page).await.unwrap(), "11 salariés et plus");

        // A switch.
        let switch = Locator::label("Subrogation de paiement");
        switch.check(&page, true).await.unwrap();
        assert!(switch.is_checked(&page).await.unwrap());
        switch.check(&page, false).await.unwrap();
        assert!(!switch.is_checked(&page).await.unwrap());

        // An Aura checkbox that ignores a script's click: ticked by a real one on its label.
        let qualiopi = Locator::label("Certifié Qualiopi");
        qualiopi.check(&page, true).await.unwrap();
        assert!(qualiopi.is_checked(&page).await.unwrap());
        // A box that refuses every change.
        let e = Locator::label("Case verrouillée")
            .with_timeout(SHORT)
            .check(&page, true)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::DidNotStick { asked, shown, .. } if asked == "ticked" && shown == "unticked"),
            "{e:?}"
        );
        assert!(e.to_string().contains("«Case verrouillée»"), "{e}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_covered_button_is_refused_until_the_named_banner_is_dismissed() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        let _server = open(&page, include_str!("fixtures/overlay.html")).await;
        let send = Locator::button("Transmettre la demande");

        let e = send.mouse_click(&page).await.unwrap_err();
        let LocatorError::Covered { by, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(by.contains("role=\"dialog\""), "{by}");
        assert!(by.contains("Bandeau cookies"), "{by}");
        assert!(e.to_string().contains("«Transmettre la demande»"), "{e}");

        assert!(
            locator::dismiss_banner(&page, "Tout accepter", Duration::from_secs(2))
                .await
                .unwrap()
        );
        send.mouse_click(&page).await.unwrap();
        Locator::button("Demande transmise")
            .wait(&page)
            .await
            .unwrap();
        // No banner any more: nothing to dismiss, and no guessing at other buttons.
        let start = Instant::now();
        assert!(
            !locator::dismiss_banner(&page, "Tout accepter", Duration::from_millis(300))
                .await
                .unwrap()
        );
        assert!(start.elapsed() < Duration::from_secs(2));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_behind_components_wait_for_their_finished_state() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        let _server = open(&page, include_str!("fixtures/overlay.html")).await;
        locator::dismiss_banner(&page, "Tout accepter", Duration::from_secs(2))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, PDF).unwrap();
            p
        };

        // The hidden input inside the component's shadow root, then its own finished text.
        Locator::label("Devis signé")
            .upload_and_wait(
                &page,
                &file("devis.pdf"),
                Some("Téléversement terminé"),
                Duration::from_secs(3),
            )
            .await
            .unwrap();
        // A drop zone's button leads to its one file input; done when the name is listed.
        Locator::button("Ajouter la convention")
            .upload_and_wait(&page, &file("convention.pdf"), None, Duration::from_secs(3))
            .await
            .unwrap();
        let listed = locator::controls(&page).await.unwrap();
        assert!(
            listed
                .iter()
                .any(|c| c.kind == "file" && c.value == "devis.pdf" && c.place == "shadow"),
            "{listed:?}"
        );

        // An upload that never finishes: the error says what was awaited and what is shown.
        let e = Locator::label("Programme")
            .upload_and_wait(
                &page,
                &file("programme.pdf"),
                Some("Téléversement terminé"),
                Duration::from_millis(700),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::NotFinished { seen, .. } if seen.contains("Envoi en cours")),
            "{e:?}"
        );
        assert!(e.to_string().contains("«Programme»"), "{e}");
        assert!(e.is_retryable());
        // «Upload Files» is in both components: strict, so ambiguous.
        let e = Locator::button("Upload Files")
            .upload(&page, &file("autre.pdf"))
            .await
            .unwrap_err();
        assert!(
            matches!(e, LocatorError::Ambiguous { count: 2, .. }),
            "{e:?}"
        );
    })
    .await;
}
