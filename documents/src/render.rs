use std::path::PathBuf;

use browser::{Browser, PdfOptions};
use chrono::NaiveDate;
use domain::Euros;
use handlebars::Handlebars;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::action::ValidAction;
use crate::error::DocumentsError;
use crate::format::french_date;
use crate::pdf_meta::{self, Metadata};

/// Days the employee has to sign the convention; silence means refusal (R6313-8).
pub const SIGNING_PERIOD_DAYS: u64 = 10;

/// The documents this crate produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// The quote.
    Devis,
    /// The programme of the bilan.
    Programme,
    /// The tripartite convention.
    Convention,
    /// The certificat de réalisation.
    Certificat,
}

impl DocumentKind {
    /// Every kind, in the order of the pack.
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::Devis,
        DocumentKind::Programme,
        DocumentKind::Convention,
        DocumentKind::Certificat,
    ];

    /// The template name and file-name stem.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Devis => "devis",
            Self::Programme => "programme",
            Self::Convention => "convention",
            Self::Certificat => "certificat",
        }
    }

    /// A one-word French name, for footers.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::Devis => "Devis",
            Self::Programme => "Programme",
            Self::Convention => "Convention",
            Self::Certificat => "Certificat",
        }
    }

    /// The French title of the document.
    pub fn label(self) -> &'static str {
        match self {
            Self::Devis => "Devis",
            Self::Programme => "Programme du bilan de compétences",
            Self::Convention => "Convention tripartite de bilan de compétences",
            Self::Certificat => "Certificat de réalisation",
        }
    }
}

/// Options of the [`Renderer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RendererConfig {
    /// A directory whose `<name>.hbs` files replace the embedded templates (`layout`, `styles`,
    /// `devis`, `programme`, `convention`, `certificat`), for a provider's own branding.
    pub templates_dir: Option<PathBuf>,
    /// The provider is exempt from VAT for continuing vocational training (CGI art. 261-4-4° a).
    pub vat_exempt: bool,
    /// VAT rate in percent when not exempt; 20 when unset.
    pub vat_rate_percent: Option<u32>,
}

const EMBEDDED: [(&str, &str); 6] = [
    ("layout", include_str!("../templates/layout.hbs")),
    ("styles", include_str!("../templates/styles.hbs")),
    ("devis", include_str!("../templates/devis.hbs")),
    ("programme", include_str!("../templates/programme.hbs")),
    ("convention", include_str!("../templates/convention.hbs")),
    ("certificat", include_str!("../templates/certificat.hbs")),
];

const PARTIALS: [&str; 2] = ["layout", "styles"];

/// Turns a [`ValidAction`] into HTML and PDF documents.
#[derive(Debug)]
pub struct Renderer {
    hb: Handlebars<'static>,
    cfg: RendererConfig,
}

impl Renderer {
    /// Loads the embedded templates, then the overrides found in `templates_dir`.
    pub fn new(cfg: RendererConfig) -> Result<Self, DocumentsError> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        for (name, embedded) in EMBEDDED {
            let source = match &cfg.templates_dir {
                Some(dir) => {
                    let path = dir.join(format!("{name}.hbs"));
                    match std::fs::read_to_string(&path) {
                        Ok(s) => {
                            tracing::info!(template = name, path = %path.display(), "Template overridden");
                            s
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => embedded.to_string(),
                        Err(e) => {
                            return Err(DocumentsError::Template {
                                name: name.into(),
                                message: format!("cannot read {}: {e}", path.display()),
                            });
                        }
                    }
                }
                None => embedded.to_string(),
            };
            let registered = if PARTIALS.contains(&name) {
                hb.register_partial(name, source)
            } else {
                hb.register_template_string(name, source)
            };
            registered.map_err(|e| DocumentsError::Template {
                name: name.into(),
                message: e.to_string(),
            })?;
        }
        Ok(Self { hb, cfg })
    }

    /// The HTML of one document (what Chromium prints).
    pub fn html(&self, kind: DocumentKind, action: &ValidAction) -> Result<String, DocumentsError> {
        let data = self.view(kind, action)?;
        self.hb
            .render(kind.slug(), &data)
            .map_err(|e| DocumentsError::Template {
                name: kind.slug().into(),
                message: e.to_string(),
            })
    }

    /// Renders one document to PDF. With `fixed_date`, the PDF's dates and identifier are set
    /// from it, so the same input gives byte-identical output.
    pub async fn render(
        &self,
        browser: &Browser,
        kind: DocumentKind,
        action: &ValidAction,
        fixed_date: Option<NaiveDate>,
    ) -> Result<Vec<u8>, DocumentsError> {
        let html = self.html(kind, action)?;
        let meta = metadata(kind, action);
        let page = browser.new_page().await?;
        page.set_content(&html).await?;
        let pdf = page.pdf(&pdf_options(kind, action)).await?;
        if let Err(e) = page.close().await {
            tracing::debug!(error = %e, "Page not closed, its context will be disposed");
        }
        pdf_meta::finish(&pdf, &meta, fixed_date)
    }

    fn view(&self, kind: DocumentKind, v: &ValidAction) -> Result<Value, DocumentsError> {
        let a = v.action();
        let money = self.amounts(a.price_ht, a.hours)?;
        let meta = metadata(kind, v);
        let sign_deadline = a.issue_date + chrono::Days::new(SIGNING_PERIOD_DAYS);
        let signatory = |s: &crate::action::Signatory| json!({ "name": s.name, "role": s.role });
        Ok(json!({
            "doc": {
                "kind": kind.slug(),
                "label": kind.label(),
                "title": meta.title,
                "subject": meta.subject,
                "author": meta.author,
                "keywords": meta.keywords,
            },
            "provider": {
                "name": a.provider.name,
                "siret": v.provider_siret().as_str(),
                "nda": v.provider_nda().as_str(),
                "qualiopi": a.provider.qualiopi,
                "address": a.provider.address,
                "email": a.provider.email,
                "phone": a.provider.phone,
                "signatory": signatory(&a.provider.signatory),
            },
            "company": {
                "name": a.company.name,
                "siret": v.company_siret().as_str(),
                "address": a.company.address,
                "signatory": signatory(&a.company.signatory),
            },
            "trainee": {
                "civility": a.trainee.civility,
                "name": v.trainee_name(),
                "job_title": a.trainee.job_title,
            },
            "action": {
                "reference": a.reference,
                "title": a.title,
                "consultant": a.consultant,
                "objectives": a.objectives.iter().filter(|o| !o.trim().is_empty()).collect::<Vec<_>>(),
                "hours": a.hours,
                "phases": {
                    "preliminary": a.phases.preliminary,
                    "investigation": a.phases.investigation,
                    "conclusion": a.phases.conclusion,
                },
                "start_date": french_date(a.start_date),
                "end_date": french_date(a.end_date),
                "modality": a.modality.label(),
                "remote": !matches!(a.modality, crate::action::Modality::Presentiel),
                "place": a.place,
                "issue_date": french_date(a.issue_date),
                "valid_until": french_date(v.quote_valid_until()),
                "validity_days": a.quote_validity_days,
                "sign_deadline": french_date(sign_deadline),
                "signing_days": SIGNING_PERIOD_DAYS,
                "signature_place": a.signature_place,
                "subrogation": a.subrogation,
                "opco_name": a.opco_name,
                "payment_terms": a.payment_terms,
                "hours_completed": v.hours_completed(),
                "certificate_date": french_date(v.certificate_date()),
            },
            "money": money,
        }))
    }

    fn amounts(&self, ht: Euros, hours: u32) -> Result<Value, DocumentsError> {
        let vat = Euros::from_cents(vat_cents(&self.cfg, ht));
        let ttc = Euros::from_cents(ht.cents() + vat.cents());
        // Rounded to the nearest cent; shown for information, the contract price is the total.
        let hourly =
            Euros::from_cents((ht.cents() + i64::from(hours) / 2) / i64::from(hours.max(1)));
        Ok(json!({
            "ht": ht.to_string(),
            "vat_exempt": self.cfg.vat_exempt,
            "vat_rate": vat_rate(&self.cfg),
            "vat": vat.to_string(),
            "ttc": ttc.to_string(),
            "hourly_ht": hourly.to_string(),
        }))
    }
}

fn vat_rate(cfg: &RendererConfig) -> i64 {
    i64::from(cfg.vat_rate_percent.unwrap_or(20))
}

/// VAT in cents, rounded half up, in integers; zero when exempt. Validation caps prices, so
/// this cannot overflow.
fn vat_cents(cfg: &RendererConfig, ht: Euros) -> i64 {
    if cfg.vat_exempt {
        0
    } else {
        (ht.cents() * vat_rate(cfg) + 50) / 100
    }
}

/// The amount with VAT, as printed on the quote (for the manifest).
pub(crate) fn total_ttc(cfg: &RendererConfig, ht: Euros) -> i64 {
    ht.cents() + vat_cents(cfg, ht)
}

/// A4, and on every page a footer naming the provider (SIRET, NDA, Qualiopi), the document
/// and "page 1/3".
fn pdf_options(kind: DocumentKind, v: &ValidAction) -> PdfOptions {
    let a = v.action();
    let esc = handlebars::html_escape;
    let footer = format!(
        concat!(
            "<div style=\"font-family:'DejaVu Sans',sans-serif;font-size:7pt;color:#555;",
            "width:100%;margin:0 15mm;display:flex;justify-content:space-between;\">",
            "<span>{} · SIRET {} · NDA {} · Qualiopi {}</span>",
            "<span>{} {} · page <span class=\"pageNumber\"></span>/<span class=\"totalPages\"></span></span>",
            "</div>"
        ),
        esc(&a.provider.name),
        v.provider_siret(),
        v.provider_nda(),
        esc(&a.provider.qualiopi),
        kind.short_label(),
        esc(&a.reference),
    );
    PdfOptions {
        margins_mm: [14.0, 15.0, 18.0, 15.0],
        header_template: Some("<span></span>".into()),
        footer_template: Some(footer),
        ..PdfOptions::default()
    }
}

/// The PDF metadata of one document.
pub(crate) fn metadata(kind: DocumentKind, v: &ValidAction) -> Metadata {
    let a = v.action();
    Metadata {
        title: format!("{} {}", kind.label(), a.reference),
        author: a.provider.name.clone(),
        subject: format!("{} de {} — {}", a.title, v.trainee_name(), a.company.name),
        keywords: format!("{}, {}, {}", kind.slug(), a.reference, a.company.name),
    }
}

impl Renderer {
    /// The configuration in use.
    pub fn config(&self) -> &RendererConfig {
        &self.cfg
    }
}
