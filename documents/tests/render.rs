//! Renders every document from the realistic example with Debian's Chromium and reads the PDFs
//! back with poppler's pdftotext.

mod common;

use chrono::NaiveDate;
use common::{browser, example, pdfinfo, pdftotext, save_first_page_png};
use documents::{DocumentKind, DocumentsError, Renderer, RendererConfig};

fn renderer() -> Renderer {
    Renderer::new(RendererConfig::default()).unwrap()
}

#[tokio::test]
async fn every_document_states_the_same_parties_dates_hours_and_amounts_in_french() {
    let action = example().validate().unwrap();
    let browser = browser().await;
    let r = renderer();
    let mut texts = Vec::new();
    for kind in DocumentKind::ALL {
        let pdf = r.render(&browser, kind, &action, None).await.unwrap();
        save_first_page_png(&pdf, kind.slug());
        // The whole PDFs, for a reviewer who wants the other pages too.
        let all = std::env::temp_dir().join("monopco-documents-samples");
        std::fs::create_dir_all(&all).unwrap();
        std::fs::write(all.join(format!("{}.pdf", kind.slug())), &pdf).unwrap();
        texts.push((kind, pdftotext(&pdf)));
    }
    browser.close().await.unwrap();

    for (kind, text) in &texts {
        for expected in [
            // Header of every page.
            "Cap Avenir Conseil",
            "SIRET 88312045600016",
            "NDA 84691234569",
            "Qualiopi QUAL-2024-08813",
            // The same parties and dates everywhere.
            "Boulangerie Lefèvre & Fils",
            "51234789000026",
            "Zoé MARTIN-HÉBERT",
            "11 janvier 2027",
            "1er mars 2027",
            "page 1/",
        ] {
            assert!(
                text.contains(expected),
                "{kind:?} lacks {expected:?}:\n{text}"
            );
        }
        assert!(!text.contains("2027-01-11"), "{kind:?} prints an ISO date");
        let footer = format!("{} DEV-2026-0142 · page 1/", kind.short_label());
        assert!(
            text.contains(&footer),
            "{kind:?} lacks its footer {footer:?}:\n{text}"
        );
    }
    let text = |k: DocumentKind| &texts.iter().find(|(kind, _)| *kind == k).unwrap().1;
    // Price HT, VAT 20 % and TTC, French formatting, in each document that states a price.
    for kind in [
        DocumentKind::Devis,
        DocumentKind::Programme,
        DocumentKind::Convention,
    ] {
        let t = text(kind);
        assert!(
            t.contains("1 800,00 € HT") || t.contains("1 800,00 €"),
            "{kind:?}: {t}"
        );
        assert!(
            t.contains("2 160,00 €"),
            "{kind:?} lacks the TTC amount: {t}"
        );
        assert!(t.contains("24 h"), "{kind:?} lacks the hours");
    }
    let devis = text(DocumentKind::Devis);
    for expected in [
        "Devis n° DEV-2026-0142",
        "25 novembre 2026",
        "25 décembre 2026", // validity: 30 days
        "TVA 20 % 360,00 €",
        "Total TTC 2 160,00 €",
        "75,00 €", // hourly price HT
        "Subrogation de paiement",
        "OPCO EP",
        "Bon pour accord",
    ] {
        assert!(
            devis.contains(expected),
            "devis lacks {expected:?}:\n{devis}"
        );
    }
    let programme = text(DocumentKind::Programme);
    for expected in [
        "Phase préliminaire",
        "Phase d'investigation",
        "Phase de conclusion",
        "Durée totale",
        "situation de handicap",
        "propriété du bénéficiaire",
        "Étienne Roussel",
        "mixte",
    ] {
        assert!(
            programme.contains(expected),
            "programme lacks {expected:?}:\n{programme}"
        );
    }
    let certificat = text(DocumentKind::Certificat);
    for expected in [
        "Certificat de réalisation",
        "atteste que",
        "☒ bilan de compétences",
        "☐ action de formation",
        "24 heures",
        "2 mars 2027",
        "Fait à Lyon",
        "3 ans",
    ] {
        assert!(
            certificat.contains(expected),
            "certificat lacks {expected:?}:\n{certificat}"
        );
    }
}

#[tokio::test]
async fn the_convention_states_every_clause_r6313_8_requires_and_three_signature_blocks() {
    let action = example().validate().unwrap();
    let browser = browser().await;
    let pdf = renderer()
        .render(&browser, DocumentKind::Convention, &action, None)
        .await
        .unwrap();
    browser.close().await.unwrap();
    let text = pdftotext(&pdf);
    // R6313-8: title, objective, content, means, duration and period, delivery and follow-up,
    // handing over of results, price and payment terms; 10 days to sign, silence is refusal.
    for expected in [
        "Convention tripartite de bilan de compétences",
        "Intitulé et objet",
        "« Bilan de compétences »",
        "Objectif",
        "Contenu",
        "phase préliminaire (4 h)",
        "phase d'investigation (14 h)",
        "phase de conclusion (6 h)",
        "Moyens et méthodes",
        "Durée et période de réalisation",
        "24 heures",
        "du 11 janvier 2027 au 1er mars 2027",
        "Modalités de déroulement et de suivi",
        "feuilles d'émargement",
        "Remise des résultats et document de synthèse",
        "seul salarié",
        "Prix et modalités de paiement",
        "1 800,00 € HT",
        "2 160,00 € TTC",
        "à 30 jours à réception de la facture",
        "subrogation à OPCO EP",
        "Consentement du salarié et délai de signature",
        "10 jours",
        "5 décembre 2026",
        "vaut refus",
        "ni une faute ni un motif de licenciement",
        // The three parties and their signature blocks.
        "L'employeur",
        "Le salarié bénéficiaire",
        "L'organisme prestataire",
        "Pour l'employeur",
        "Le salarié",
        "Pour l'organisme",
        "Lu et approuvé, bon pour consentement",
        "Fait à Lyon, le 25 novembre 2026, en trois exemplaires",
    ] {
        assert!(
            text.contains(expected),
            "convention lacks {expected:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_vat_exempt_provider_prints_the_exemption_mention_and_no_vat() {
    let action = example().validate().unwrap();
    let browser = browser().await;
    let r = Renderer::new(RendererConfig {
        vat_exempt: true,
        ..RendererConfig::default()
    })
    .unwrap();
    let devis = pdftotext(
        &r.render(&browser, DocumentKind::Devis, &action, None)
            .await
            .unwrap(),
    );
    browser.close().await.unwrap();
    assert!(
        devis.contains("article 261, 4, 4° a du Code général des impôts"),
        "{devis}"
    );
    assert!(devis.contains("TVA exonérée"), "{devis}");
    assert!(devis.contains("Total TTC 1 800,00 €"), "{devis}");
    assert!(!devis.contains("2 160,00"), "{devis}");
}

#[tokio::test]
async fn pdfs_carry_title_author_and_subject_and_a_fixed_date_makes_them_byte_identical() {
    let action = example().validate().unwrap();
    let browser = browser().await;
    let r = renderer();
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let first = r
        .render(&browser, DocumentKind::Convention, &action, Some(day))
        .await
        .unwrap();
    let second = r
        .render(&browser, DocumentKind::Convention, &action, Some(day))
        .await
        .unwrap();
    let unfixed = r
        .render(&browser, DocumentKind::Convention, &action, None)
        .await
        .unwrap();
    browser.close().await.unwrap();

    assert!(first == second, "two renders with a fixed date differ");
    let info = pdfinfo(&first);
    assert!(
        info.contains(
            "Title:           Convention tripartite de bilan de compétences DEV-2026-0142"
        ),
        "{info}"
    );
    assert!(
        info.contains("Author:          Cap Avenir Conseil"),
        "{info}"
    );
    assert!(
        info.contains("Subject:         Bilan de compétences de Zoé MARTIN-HÉBERT — Boulangerie Lefèvre & Fils"),
        "{info}"
    );
    assert!(
        info.contains("CreationDate:    Wed Nov 25 00:00:00 2026 UTC"),
        "{info}"
    );
    assert!(
        info.contains("ModDate:         Wed Nov 25 00:00:00 2026 UTC"),
        "{info}"
    );
    assert!(info.contains("Page size:       595"), "A4 expected: {info}");
    // Without a fixed date the PDF bears the time of rendering.
    assert!(!pdfinfo(&unfixed).contains("00:00:00 2026"));
    assert_eq!(pdftotext(&first), pdftotext(&unfixed));
}

#[test]
fn invalid_input_is_refused_with_every_reason_named_by_field() {
    let mut a = example();
    a.provider.siret = "88312045600017".into(); // Luhn broken
    a.provider.nda = "8469".into();
    a.company.siret = "5123478900002A".into();
    a.hours = 30;
    a.phases.conclusion = 0;
    a.end_date = a.start_date;
    a.price_ht = domain::Euros::from_cents(-100);
    a.trainee.last_name = "  ".into();
    a.subrogation = true;
    a.opco_name = None;
    let errors = a.validate().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for expected in [
        "action.provider.siret",
        "action.provider.nda",
        "action.company.siret",
        "action.hours",
        "action.phases.conclusion",
        "action.phases",
        "action.end_date",
        "action.price_ht",
        "action.trainee.last_name",
        "action.opco_name",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {errors:#?}"
        );
    }
    let hours = errors.iter().find(|e| e.field == "action.hours").unwrap();
    assert!(hours.message.contains("24"), "{}", hours.message);
    let phases = errors.iter().find(|e| e.field == "action.phases").unwrap();
    assert!(
        phases.message.contains("18 h") && phases.message.contains("30 h"),
        "{}",
        phases.message
    );
    let siret = errors
        .iter()
        .find(|e| e.field == "action.provider.siret")
        .unwrap();
    assert!(
        siret.message.contains("clé de contrôle"),
        "{}",
        siret.message
    );
    let err = DocumentsError::Invalid(errors);
    assert!(!err.is_retryable());
}

#[test]
fn a_price_sent_in_euros_times_a_hundred_twice_is_caught() {
    let mut a = example();
    a.price_ht = domain::Euros::from_cents(18_000_000_000);
    let errors = a.validate().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, "action.price_ht");
    assert!(errors[0].message.contains("centimes"));
}

#[test]
fn phase_hours_must_add_up_to_the_total_even_under_24_hours() {
    let mut a = example();
    a.hours = 20;
    a.hours_completed = None;
    let errors = a.validate().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, "action.phases");
    assert!(example().validate().is_ok());
}

#[test]
fn unknown_json_fields_and_float_amounts_are_rejected_when_parsing() {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/action.json")).unwrap();
    v["price_ht"] = serde_json::json!(1800.5);
    assert!(serde_json::from_value::<documents::Action>(v.clone()).is_err());
    v["price_ht"] = serde_json::json!(180000);
    v["prix"] = serde_json::json!(1);
    assert!(serde_json::from_value::<documents::Action>(v).is_err());
}

#[test]
fn a_template_directory_overrides_the_embedded_templates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("devis.hbs"),
        "{{#> layout}}<h1>Devis maison {{action.reference}} — {{money.ht}}</h1>{{/layout}}",
    )
    .unwrap();
    let r = Renderer::new(RendererConfig {
        templates_dir: Some(dir.path().to_path_buf()),
        ..RendererConfig::default()
    })
    .unwrap();
    let action = example().validate().unwrap();
    let html = r.html(DocumentKind::Devis, &action).unwrap();
    assert!(
        html.contains("Devis maison DEV-2026-0142 — 1\u{202f}800,00\u{a0}€"),
        "{html}"
    );
    // Untouched templates stay the embedded ones.
    let programme = r.html(DocumentKind::Programme, &action).unwrap();
    assert!(
        programme.contains("Phase d&#x27;investigation")
            || programme.contains("Phase d'investigation")
    );
}

#[test]
fn a_broken_override_or_an_unknown_field_is_a_permanent_template_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("devis.hbs"), "{{#if}}").unwrap();
    let err = Renderer::new(RendererConfig {
        templates_dir: Some(dir.path().to_path_buf()),
        ..RendererConfig::default()
    })
    .unwrap_err();
    assert!(
        matches!(err, DocumentsError::Template { ref name, .. } if name == "devis"),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    std::fs::write(dir.path().join("devis.hbs"), "{{action.no_such_field}}").unwrap();
    let r = Renderer::new(RendererConfig {
        templates_dir: Some(dir.path().to_path_buf()),
        ..RendererConfig::default()
    })
    .unwrap();
    let err = r
        .html(DocumentKind::Devis, &example().validate().unwrap())
        .unwrap_err();
    assert!(matches!(err, DocumentsError::Template { .. }), "{err:?}");
}

#[test]
fn user_text_is_escaped_in_the_html() {
    let mut a = example();
    a.company.name = "<script>alert(1)</script> SARL".into();
    let html = renderer()
        .html(DocumentKind::Devis, &a.validate().unwrap())
        .unwrap();
    assert!(!html.contains("<script>alert"));
}
