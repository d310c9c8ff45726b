//! Locators on plain pages (native controls of one document): what portal scripts relied on
//! before shadow roots and frames, kept as it was.

mod common;

use std::time::{Duration, Instant};

use browser::locator::{self, Locator, LocatorError, Role};
use common::with_browser;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

const PAGE: &str = r#"<!DOCTYPE html><html lang="fr"><body>
<h1>Demande</h1>
<label for="a1">Nom du salarié *</label><input id="a1" name="n">
<label>Prénom(s) : <input name="p"></label>
<span id="lb">SIRET de l'établissement</span><input aria-labelledby="lb" name="s" required>
<input aria-label="Code adhérent" name="c">
<input placeholder="Identifiant" name="i">
<label for="d">Date de début</label><input id="d" type="date">
<label for="m">Modalité</label><select id="m"><option value="">—</option><option value="P">Présentiel</option><option value="D">Distanciel</option></select>
<label><input type="checkbox" name="q"> Certifié Qualiopi</label>
<label for="f">Devis signé</label><input id="f" type="file">
<label for="h">Caché</label><input id="h" style="display:none">
<label for="x">Inactif</label><input id="x" disabled>
<label for="t1">Ville</label><input id="t1"><label for="t2">Ville</label><input id="t2">
<button type="button" onclick="document.getElementById('late').hidden=false">Afficher</button>
<div id="late" hidden><label for="l">Champ tardif</label><input id="l"></div>
<a href="/suite">Étape suivante</a>
<input type="submit" value="Transmettre la demande">
</body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_are_found_by_every_kind_of_label_strictly_and_after_waiting() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.set_content(PAGE).await.unwrap();
        let short = Duration::from_millis(400);

        for (label, value) in [
            ("Nom du salarié", "Dupont"),
            ("  nom   DU salarié  *", "Durand"),
            ("Prénom(s)", "Marie"),
            ("SIRET de l'établissement", "73282932000074"),
            ("Code adhérent", "ADH-1"),
            ("Identifiant", "demo@entreprise.fr"),
            ("Date de début", "2027-03-02"),
        ] {
            Locator::label(label).fill(&page, value).await.unwrap();
            assert_eq!(Locator::label(label).value(&page).await.unwrap(), value);
        }
        // A date control refuses a French date: the locator says so instead of going on.
        let e = Locator::label("Date de début")
            .fill(&page, "02/03/2027")
            .await
            .unwrap_err();
        assert!(matches!(e, LocatorError::Rejected { .. }), "{e:?}");

        Locator::label("Modalité")
            .select(&page, "distanciel")
            .await
            .unwrap();
        assert_eq!(
            Locator::label("Modalité").value(&page).await.unwrap(),
            "Distanciel"
        );
        let e = Locator::label("Modalité")
            .select(&page, "Mixte")
            .await
            .unwrap_err();
        assert!(matches!(e, LocatorError::NoSuchOption { .. }), "{e:?}");

        Locator::label("Certifié Qualiopi")
            .check(&page, true)
            .await
            .unwrap();
        assert!(
            Locator::label("Certifié Qualiopi")
                .is_checked(&page)
                .await
                .unwrap()
        );
        Locator::label("Certifié Qualiopi")
            .check(&page, false)
            .await
            .unwrap();
        assert!(
            !Locator::label("Certifié Qualiopi")
                .is_checked(&page)
                .await
                .unwrap()
        );

        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("devis.pdf");
        std::fs::write(&pdf, PDF).unwrap();
        Locator::label("Devis signé")
            .upload(&page, &pdf)
            .await
            .unwrap();
        let name = page
            .evaluate("document.getElementById('f').files[0].name")
            .await
            .unwrap();
        assert_eq!(name, "devis.pdf");

        // Strict: no match and several matches are errors naming the locator.
        let start = Instant::now();
        let e = Locator::label("Nom de naissance")
            .with_timeout(short)
            .fill(&page, "x")
            .await
            .unwrap_err();
        assert!(start.elapsed() >= short, "it waited");
        assert!(matches!(e, LocatorError::NotFound { .. }));
        assert!(e.to_string().contains("«Nom de naissance»"), "{e}");
        let e = Locator::label("Ville")
            .fill(&page, "Haguenau")
            .await
            .unwrap_err();
        assert!(
            matches!(e, LocatorError::Ambiguous { count: 2, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("«Ville»"));
        let e = Locator::label("Caché")
            .with_timeout(short)
            .fill(&page, "x")
            .await
            .unwrap_err();
        assert!(
            matches!(e, LocatorError::NotActionable { ref state, .. } if state == "hidden"),
            "{e:?}"
        );
        let e = Locator::label("Inactif")
            .with_timeout(short)
            .fill(&page, "x")
            .await
            .unwrap_err();
        assert!(
            matches!(e, LocatorError::NotActionable { ref state, .. } if state == "disabled"),
            "{e:?}"
        );
        let e = Locator::label("Modalité")
            .fill(&page, "x")
            .await
            .unwrap_err();
        assert!(matches!(e, LocatorError::WrongKind { .. }), "{e:?}");

        // Auto-wait: a field that appears later is found.
        let late = Locator::label("Champ tardif").with_timeout(Duration::from_secs(3));
        let waiter = async { late.fill(&page, "ok").await };
        let clicker = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Locator::button("Afficher").click(&page).await
        };
        let (filled, clicked) = tokio::join!(waiter, clicker);
        clicked.unwrap();
        filled.unwrap();

        // Buttons and links by role and name; the input's value is its name.
        assert_eq!(
            Locator::button("Transmettre la demande")
                .count(&page)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            Locator::link("Étape suivante").count(&page).await.unwrap(),
            1
        );
        assert_eq!(
            Locator::role(Role::Heading, "Demande")
                .count(&page)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            Locator::button("Étape suivante")
                .count(&page)
                .await
                .unwrap(),
            0
        );

        let required = locator::required_field_labels(&page).await.unwrap();
        assert_eq!(required, vec!["SIRET de l'établissement".to_owned()]);
        let _ = page.close().await;
    })
    .await;
}

const CONTROLS: &str = r#"<!DOCTYPE html><html lang="fr"><body>
<h1>Étape</h1>
<label for="n">Nom</label><input id="n" value="Dupont">
<label for="v">Ville</label><input id="v">
<label for="o">Option</label><select id="o"><option value="">— Choisir —</option><option value="O" selected>Oui</option></select>
<label for="e">Vide</label><select id="e"><option value="">— Choisir —</option><option value="O">Oui</option></select>
<label><input type="checkbox" checked> Copie par e-mail</label>
<label><input type="checkbox"> Non coché</label>
<label for="c">Court</label><input id="c" maxlength="5">
<label for="p">Code postal</label><input id="p" pattern="[0-9]{5}">
<input type="hidden" name="jeton" value="secret">
<div id="host"></div>
<iframe srcdoc="<label for='f'>Dans le cadre</label><input id='f' value='cadre'>"></iframe>
<script>
  const root = document.getElementById('host').attachShadow({ mode: 'open' });
  root.innerHTML = "<span id='sl'>Frais annexes</span><input aria-labelledby='sl' value='150,00'><div role='combobox' aria-label='Niveau'>Bac+2</div>";
</script>
</body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_visible_control_is_listed_with_its_label_and_value_in_frames_and_shadow_roots() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.set_content(CONTROLS).await.unwrap();
        // The frame's document loads on its own.
        let start = Instant::now();
        let controls = loop {
            let c = locator::controls(&page).await.unwrap();
            if c.iter().any(|c| c.place == "frame") || start.elapsed() > Duration::from_secs(5) {
                break c;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let find = |label: &str| {
            controls
                .iter()
                .find(|c| locator::normalize_label(&c.label) == locator::normalize_label(label))
                .unwrap_or_else(|| panic!("no control «{label}» in {controls:?}"))
        };
        assert_eq!(
            (find("Nom").value.as_str(), find("Nom").filled),
            ("Dupont", true)
        );
        assert!(!find("Ville").filled);
        assert_eq!(
            (find("Option").value.as_str(), find("Option").filled),
            ("Oui", true)
        );
        assert!(!find("Vide").filled, "the placeholder option is no value");
        assert_eq!(find("Copie par e-mail").value, "true");
        assert!(!find("Non coché").filled);
        let shadow = find("Frais annexes");
        assert_eq!(
            (shadow.value.as_str(), shadow.place.as_str()),
            ("150,00", "shadow")
        );
        let combo = find("Niveau");
        assert_eq!(
            (combo.value.as_str(), combo.kind.as_str()),
            ("Bac+2", "combobox")
        );
        let framed = find("Dans le cadre");
        assert_eq!(
            (framed.value.as_str(), framed.place.as_str()),
            ("cadre", "frame")
        );
        assert!(
            controls.iter().all(|c| c.value != "secret"),
            "hidden inputs are not controls"
        );
        assert_eq!(controls.len(), 11, "{controls:?}");

        // A value longer than `maxlength`, or outside `pattern`, is refused before typing.
        let e = Locator::label("Court")
            .fill(&page, "Assistante")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, LocatorError::DoesNotFit { limit, .. } if limit.contains('5')),
            "{e:?}"
        );
        assert_eq!(Locator::label("Court").value(&page).await.unwrap(), "");
        let e = Locator::label("Code postal")
            .fill(&page, "67A00")
            .await
            .unwrap_err();
        assert!(matches!(e, LocatorError::DoesNotFit { .. }), "{e:?}");
        Locator::label("Code postal")
            .fill(&page, "67500")
            .await
            .unwrap();
        Locator::label("Court").fill(&page, "Assis").await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_is_read_as_label_value_pairs() {
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.set_content(
            "<h1>Récapitulatif</h1><dl><dt>Nom</dt><dd>Dupont</dd><dt>Coût HT</dt><dd>1 800,00 €</dd></dl>\
             <table><tr><th>Durée</th><td>24</td></tr><tr><th>Saisie</th><td><input value='x'></td></tr></table>",
        )
        .await
        .unwrap();
        let pairs = locator::stated_values(&page).await.unwrap();
        assert_eq!(
            pairs,
            vec![
                ("Nom".to_owned(), "Dupont".to_owned()),
                ("Coût HT".to_owned(), "1 800,00 €".to_owned()),
                ("Durée".to_owned(), "24".to_owned()),
            ]
        );
    })
    .await;
}
