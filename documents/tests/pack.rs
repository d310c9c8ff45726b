//! The DPC pack: zip, manifest, and e-mail to a local SMTP server.

mod common;

use std::io::{Cursor, Read};
use std::time::Duration;

use base64::Engine;
use chrono::NaiveDate;
use common::{browser, example, pdftotext, smtp};
use documents::{
    DocumentKind, Pack, Renderer, RendererConfig, SmtpConfig, SmtpSecurity, send_pack,
};
use sha2::{Digest, Sha256};

async fn pack(fixed: Option<NaiveDate>) -> Pack {
    let action = example().validate().unwrap();
    let browser = browser().await;
    let pack = Renderer::new(RendererConfig::default())
        .unwrap()
        .render_pack(&browser, &action, fixed)
        .await
        .unwrap();
    browser.close().await.unwrap();
    pack
}

fn unzip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Cap Avenir Conseil <dossiers@cap-avenir-conseil.fr>".into(),
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn the_pack_zips_devis_programme_convention_and_a_manifest_with_their_hashes() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let pack = pack(Some(day)).await;
    assert_eq!(
        pack.file_name,
        "DPC-Boulangerie-Lefevre-Fils-Zoe-MARTIN-HEBERT.zip"
    );
    assert!(pack.file_name.is_ascii());

    let files = unzip(&pack.zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "01-devis-DEV-2026-0142.pdf",
            "02-programme-DEV-2026-0142.pdf",
            "03-convention-DEV-2026-0142.pdf",
            "manifest.json"
        ]
    );
    let manifest: serde_json::Value = serde_json::from_slice(&files[3].1).unwrap();
    assert_eq!(manifest, serde_json::to_value(&pack.manifest).unwrap());
    for ((name, bytes), entry) in files.iter().zip(&pack.manifest.files) {
        assert_eq!(name, &entry.name);
        assert_eq!(hex::encode(Sha256::digest(bytes)), entry.sha256, "{name}");
        assert_eq!(bytes.len() as u64, entry.bytes);
        assert!(bytes.starts_with(b"%PDF-"));
    }
    assert_eq!(
        pack.manifest
            .files
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>(),
        [
            DocumentKind::Devis,
            DocumentKind::Programme,
            DocumentKind::Convention
        ]
    );
    assert!(pdftotext(&files[2].1).contains("Convention tripartite"));
    let facts = &manifest["action"];
    assert_eq!(facts["reference"], "DEV-2026-0142");
    assert_eq!(facts["company_siret"], "51234789000026");
    assert_eq!(facts["provider_nda"], "84691234569");
    assert_eq!(facts["trainee"], "Zoé MARTIN-HÉBERT");
    assert_eq!(facts["start_date"], "2027-01-11");
    assert_eq!(facts["end_date"], "2027-03-01");
    assert_eq!(facts["hours"], 24);
    assert_eq!(facts["price_ht"], 180000);
    assert_eq!(facts["price_ttc"], 216000);
    assert_eq!(facts["subrogation"], true);

    // Same input, same fixed date: the same zip, byte for byte.
    let again = pack_again(day).await;
    assert!(again.zip == pack.zip, "two packs with a fixed date differ");
}

async fn pack_again(day: NaiveDate) -> Pack {
    pack(Some(day)).await
}

#[tokio::test]
async fn the_pack_arrives_by_email_with_a_french_message_and_the_zip_attached() {
    let pack = pack(None).await;
    let server = smtp::start("250 OK").await;
    send_pack(&smtp_config(server.port), "depot@opco-ep.example", &pack)
        .await
        .unwrap();
    let received = server.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.mail_from, "<dossiers@cap-avenir-conseil.fr>");
    assert_eq!(mail.rcpt_to, ["<depot@opco-ep.example>"]);
    let data = &mail.data;
    assert!(data.contains("Subject: "), "{data}");
    assert!(data.contains("To: depot@opco-ep.example"), "{data}");
    assert!(data.contains("Content-Type: application/zip"), "{data}");
    assert!(
        data.contains("=\"DPC-Boulangerie-Lefevre-Fils-Zoe-MARTIN-HEBERT.zip\""),
        "{data}"
    );

    // The plain-text part, decoded, is French and states the facts.
    let text = decode_part(data, "text/plain");
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(
        text.contains("bilan de compétences de Zoé MARTIN-HÉBERT"),
        "{text}"
    );
    assert!(
        text.contains("du 11 janvier 2027 au 1er mars 2027"),
        "{text}"
    );
    assert!(text.contains("1\u{202f}800,00\u{a0}€ HT"), "{text}");
    assert!(text.contains("Subrogation de paiement : oui"), "{text}");

    // The attachment is the pack, byte for byte.
    let zip = decode_part(data, "application/zip");
    assert!(zip == pack.zip, "the attachment differs from the pack");
}

/// Body of the first MIME part of `content_type`, base64 or quoted-printable decoded.
fn decode_part(data: &str, content_type: &str) -> Vec<u8> {
    let start = data
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {data}"));
    let part = &data[start..];
    let headers_end = part.find("\r\n\r\n").unwrap();
    let headers = &part[..headers_end];
    let body_and_rest = &part[headers_end + 4..];
    let body = &body_and_rest[..body_and_rest.find("\r\n--").unwrap()];
    if headers.contains("Content-Transfer-Encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap()
    } else if headers.contains("Content-Transfer-Encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        body.as_bytes().to_vec()
    }
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\r') => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'\r' => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_a_busy_or_absent_server_is_retryable() {
    let pack = pack(None).await;

    let refusing = smtp::start("550 5.1.1 Destinataire inconnu").await;
    let err = send_pack(
        &smtp_config(refusing.port),
        "inconnu@opco-ep.example",
        &pack,
    )
    .await
    .unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        err.to_string().contains("Destinataire inconnu") || format!("{err:?}").contains("550"),
        "{err:?}"
    );

    let busy = smtp::start("451 4.3.0 Réessayez plus tard").await;
    let err = send_pack(&smtp_config(busy.port), "depot@opco-ep.example", &pack)
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");

    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = send_pack(&smtp_config(closed_port), "depot@opco-ep.example", &pack)
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");

    let err = send_pack(&smtp_config(busy.port), "pas une adresse", &pack)
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");

    // Implicit TLS asked of a server that only speaks plain SMTP: a configuration error.
    let plain = smtp::start("250 OK").await;
    let tls = SmtpConfig {
        security: SmtpSecurity::Tls,
        ..smtp_config(plain.port)
    };
    let err = send_pack(&tls, "depot@opco-ep.example", &pack)
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    assert!(plain.received.lock().unwrap().is_empty());
}
