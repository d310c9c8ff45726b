use std::io::{Cursor, Write};

use browser::Browser;
use chrono::{Datelike, NaiveDate, Utc};
use domain::Euros;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::action::{Modality, Phases, ValidAction};
use crate::error::DocumentsError;
use crate::format::ascii_slug;
use crate::render::{DocumentKind, Renderer, total_ttc};

/// The documents an OPCO asks with a funding request (DPC), in the pack's order.
pub const PACK_KINDS: [DocumentKind; 3] = [
    DocumentKind::Devis,
    DocumentKind::Programme,
    DocumentKind::Convention,
];

/// The zipped DPC pack and what it contains.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    /// The zip file's bytes.
    pub zip: Vec<u8>,
    /// ASCII file name, e.g. `DPC-Boulangerie-Lefevre-Zoe-MARTIN.zip`.
    pub file_name: String,
    /// The manifest also stored in the zip as `manifest.json`.
    pub manifest: Manifest,
}

/// `manifest.json`: what the pack holds and the facts every document states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    /// The PDFs, in order.
    pub files: Vec<ManifestFile>,
    /// The action's key facts.
    pub action: KeyFacts,
}

/// One file of the pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManifestFile {
    /// Name inside the zip.
    pub name: String,
    /// Which document it is.
    pub kind: DocumentKind,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The facts shared by every document of the pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyFacts {
    /// Quote and convention number.
    pub reference: String,
    /// Title of the action.
    pub title: String,
    /// Employer's name.
    pub company_name: String,
    /// Employer's SIRET.
    pub company_siret: String,
    /// "Prénom NOM" of the trainee.
    pub trainee: String,
    /// Provider's name.
    pub provider_name: String,
    /// Provider's SIRET.
    pub provider_siret: String,
    /// Provider's NDA.
    pub provider_nda: String,
    /// Provider's Qualiopi number.
    pub provider_qualiopi: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// Total hours.
    pub hours: u32,
    /// Hours per phase.
    pub phases: Phases,
    /// Modality.
    pub modality: Modality,
    /// Price before VAT, in cents.
    pub price_ht: Euros,
    /// Price with VAT (equal to `price_ht` when exempt), in cents.
    pub price_ttc: Euros,
    /// Whether the OPCO pays the provider directly.
    pub subrogation: bool,
    /// Date of the quote and convention.
    pub issue_date: NaiveDate,
}

impl Renderer {
    /// Renders devis, programme and convention and zips them with `manifest.json`.
    pub async fn render_pack(
        &self,
        browser: &Browser,
        action: &ValidAction,
        fixed_date: Option<NaiveDate>,
    ) -> Result<Pack, DocumentsError> {
        let (devis, programme, convention) = tokio::try_join!(
            self.render(browser, DocumentKind::Devis, action, fixed_date),
            self.render(browser, DocumentKind::Programme, action, fixed_date),
            self.render(browser, DocumentKind::Convention, action, fixed_date),
        )?;
        self.zip_pack(action, [devis, programme, convention], fixed_date)
    }

    fn zip_pack(
        &self,
        v: &ValidAction,
        pdfs: [Vec<u8>; 3],
        fixed_date: Option<NaiveDate>,
    ) -> Result<Pack, DocumentsError> {
        let a = v.action();
        let reference = ascii_slug(&a.reference);
        let mut files = Vec::new();
        for (i, (kind, pdf)) in PACK_KINDS.iter().zip(&pdfs).enumerate() {
            files.push(ManifestFile {
                name: format!("{:02}-{}-{reference}.pdf", i + 1, kind.slug()),
                kind: *kind,
                sha256: hex::encode(Sha256::digest(pdf)),
                bytes: pdf.len() as u64,
            });
        }
        let manifest = Manifest {
            files,
            action: KeyFacts {
                reference: a.reference.clone(),
                title: a.title.clone(),
                company_name: a.company.name.clone(),
                company_siret: v.company_siret().to_string(),
                trainee: v.trainee_name(),
                provider_name: a.provider.name.clone(),
                provider_siret: v.provider_siret().to_string(),
                provider_nda: v.provider_nda().to_string(),
                provider_qualiopi: a.provider.qualiopi.clone(),
                start_date: a.start_date,
                end_date: a.end_date,
                hours: a.hours,
                phases: a.phases,
                modality: a.modality,
                price_ht: a.price_ht,
                price_ttc: Euros::from_cents(total_ttc(self.config(), a.price_ht)),
                subrogation: a.subrogation,
                issue_date: a.issue_date,
            },
        };
        let manifest_json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| DocumentsError::Zip(e.to_string()))?;

        let day = fixed_date.unwrap_or_else(|| Utc::now().date_naive());
        let when = DateTime::from_date_and_time(
            u16::try_from(day.year()).unwrap_or(1980),
            day.month() as u8,
            day.day() as u8,
            0,
            0,
            0,
        )
        .unwrap_or_default();
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(when)
            .unix_permissions(0o644);
        let zip_err = |e: zip::result::ZipError| DocumentsError::Zip(e.to_string());
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (file, pdf) in manifest.files.iter().zip(&pdfs) {
            zip.start_file(file.name.as_str(), options)
                .map_err(zip_err)?;
            zip.write_all(pdf)
                .map_err(|e| DocumentsError::Zip(e.to_string()))?;
        }
        zip.start_file("manifest.json", options).map_err(zip_err)?;
        zip.write_all(&manifest_json)
            .map_err(|e| DocumentsError::Zip(e.to_string()))?;
        let zip = zip.finish().map_err(zip_err)?.into_inner();

        let file_name = format!(
            "DPC-{}-{}.zip",
            ascii_slug(&a.company.name),
            ascii_slug(&v.trainee_name())
        );
        Ok(Pack {
            zip,
            file_name,
            manifest,
        })
    }
}
