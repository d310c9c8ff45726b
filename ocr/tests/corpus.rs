//! Verdicts on generated photos: sharp valid documents are accepted, strong blur is flagged,
//! and an expired document is never accepted.

use std::sync::OnceLock;

use chrono::NaiveDate;
use ocr::corpus::{Condition, Sample, generate};
use ocr::{CheckRequest, Outcome, ReasonCode, Verdict, check_document};

const TODAY: (i32, u32, u32) = (2026, 11, 25);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

/// A small corpus shared by the tests (rendering and OCR dominate the suite's time).
fn corpus() -> &'static [(Sample, Verdict)] {
    static CORPUS: OnceLock<Vec<(Sample, Verdict)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        // Eight of each condition: every fourth document is expired, so two sharp ones are.
        let samples = generate(
            7,
            8,
            &[Condition::Sharp, Condition::StrongBlur, Condition::Rotated],
            1200,
            780,
            today(),
        )
        .expect("fonts-ocr-b and fonts-dejavu-core are installed");
        samples
            .into_iter()
            .map(|s| {
                let req = CheckRequest {
                    expected_name: Some(s.identity.expected.clone()),
                    valid_until: None,
                    today: today(),
                };
                let v = check_document(&s.jpeg, &req).expect("generated photos are usable");
                (s, v)
            })
            .collect()
    })
}

fn describe(s: &Sample, v: &Verdict) -> String {
    let read = v.document.as_ref().map(|d| (&d.surname, &d.given_names));
    format!(
        "{}: {:?} {:?} {} (read {read:?}, expected {:?})",
        s.name, v.verdict, v.reasons, v.message, s.identity.expected
    )
}

#[test]
fn sharp_valid_documents_are_accepted() {
    let sharp: Vec<_> = corpus()
        .iter()
        .filter(|(s, _)| s.condition == Condition::Sharp && !s.expired)
        .collect();
    assert!(sharp.len() >= 5);
    let accepted = sharp
        .iter()
        .filter(|(_, v)| v.verdict == Outcome::Accepted)
        .count();
    let misses: Vec<String> = sharp
        .iter()
        .filter(|(_, v)| v.verdict != Outcome::Accepted)
        .map(|(s, v)| describe(s, v))
        .collect();
    assert!(
        accepted as f64 / sharp.len() as f64 >= 0.97,
        "{accepted}/{} accepted; misses: {misses:#?}",
        sharp.len()
    );
}

#[test]
fn accepted_documents_carry_the_fields_of_their_zone() {
    let accepted: Vec<_> = corpus()
        .iter()
        .filter(|(_, v)| v.verdict == Outcome::Accepted)
        .collect();
    // A loop over nothing would prove nothing.
    assert!(accepted.len() >= 5, "{} accepted", accepted.len());
    for (s, v) in accepted {
        let d = v
            .document
            .as_ref()
            .expect("an accepted verdict has its document");
        assert_eq!(d.document_number, s.identity.document_number, "{}", s.name);
        assert_eq!(d.birth_date, Some(s.identity.birth), "{}", s.name);
        assert_eq!(
            v.expiry.as_ref().unwrap().date,
            s.identity.expiry,
            "{}",
            s.name
        );
    }
}

#[test]
fn strongly_blurred_photos_are_flagged_as_blurred() {
    let blurred: Vec<_> = corpus()
        .iter()
        .filter(|(s, _)| s.condition == Condition::StrongBlur)
        .collect();
    let flagged = blurred
        .iter()
        .filter(|(_, v)| v.reasons.contains(&ReasonCode::Blurred) && v.verdict != Outcome::Accepted)
        .count();
    let misses: Vec<String> = blurred
        .iter()
        .filter(|(_, v)| !v.reasons.contains(&ReasonCode::Blurred))
        .map(|(s, v)| describe(s, v))
        .collect();
    assert!(
        flagged as f64 / blurred.len() as f64 >= 0.95,
        "{flagged}/{} flagged; misses: {misses:#?}",
        blurred.len()
    );
    let blurred_message = blurred
        .iter()
        .find(|(_, v)| v.reasons.first() == Some(&ReasonCode::Blurred));
    if let Some((_, v)) = blurred_message {
        assert_eq!(
            v.message,
            "La photo est floue : reprenez-la à la lumière du jour, sans bouger."
        );
    }
}

#[test]
fn no_expired_document_is_ever_accepted() {
    let expired: Vec<_> = corpus().iter().filter(|(s, _)| s.expired).collect();
    assert!(!expired.is_empty());
    for (s, v) in expired {
        assert_ne!(v.verdict, Outcome::Accepted, "{}", describe(s, v));
    }
}

#[test]
fn an_expired_document_read_clearly_is_rejected_with_its_expiry_date() {
    let (s, v) = corpus()
        .iter()
        .find(|(s, v)| {
            s.expired && s.condition == Condition::Sharp && v.reasons.contains(&ReasonCode::Expired)
        })
        .unwrap_or_else(|| {
            let sharp: Vec<String> = corpus()
                .iter()
                .filter(|(s, _)| s.expired && s.condition == Condition::Sharp)
                .map(|(s, v)| describe(s, v))
                .collect();
            panic!("no sharp expired document read as expired: {sharp:#?}")
        });
    assert_eq!(v.verdict, Outcome::Rejected);
    let expiry = v.expiry.as_ref().unwrap();
    assert!(!expiry.valid_today);
    assert!(
        v.message
            .contains(&expiry.latest.format("%d/%m/%Y").to_string()),
        "{}",
        describe(s, v)
    );
    assert!(v.message.contains("a expiré le"));
}

#[test]
fn rotated_documents_are_still_read() {
    let rotated: Vec<_> = corpus()
        .iter()
        .filter(|(s, _)| s.condition == Condition::Rotated)
        .collect();
    let read = rotated.iter().filter(|(_, v)| v.document.is_some()).count();
    assert!(
        read * 4 >= rotated.len() * 3,
        "{read}/{} read",
        rotated.len()
    );
}

#[test]
fn the_verdict_holds_no_zone_text_and_serialises_with_snake_case_codes() {
    let (_, v) = &corpus()[0];
    let json = serde_json::to_value(v).unwrap();
    assert!(json.get("verdict").unwrap().is_string());
    assert!(json.get("lines").is_none());
    let text = json.to_string();
    assert!(
        !text.contains("<<"),
        "no raw zone text in the verdict: {text}"
    );
    let back: Verdict = serde_json::from_value(json).unwrap();
    assert_eq!(&back, v);
}

#[test]
fn a_dark_photo_whose_zone_still_reads_goes_to_a_person_as_too_dark() {
    // The specimen card photographed in a dim room: mean brightness about 30 of 255.
    let photo = ocr::corpus::specimen_photo().expect("fonts installed");
    let mut img = image::load_from_memory(&photo).unwrap().to_luma8();
    let mean = img.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / img.pixels().len() as f64;
    let factor = 30.0 / mean;
    for p in img.pixels_mut() {
        p.0[0] = (f64::from(p.0[0]) * factor).round() as u8;
    }
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let req = CheckRequest {
        expected_name: Some(ocr::ExpectedName::new("Martin", "Maëlys")),
        valid_until: None,
        today: today(),
    };
    let v = check_document(&png, &req).unwrap();
    assert!(v.reasons.contains(&ReasonCode::TooDark), "{v:?}");
    assert_ne!(v.verdict, Outcome::Accepted, "{v:?}");
    assert_eq!(
        v.message,
        "La photo est trop sombre : reprenez-la à la lumière du jour."
    );
    // The zone did read: it is the darkness alone that holds the document back.
    assert_eq!(v.verdict, Outcome::NeedsReview, "{v:?}");
    assert_eq!(
        v.document.as_ref().map(|d| d.document_number.as_str()),
        Some("X4RTBPFW4"),
        "{v:?}"
    );
}
