use chrono::{NaiveDate, Utc};
use lopdf::{Dictionary, Document, Object, text_string};

use crate::error::DocumentsError;

/// What the PDF says about itself (File > Properties in a viewer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub title: String,
    pub author: String,
    pub subject: String,
    pub keywords: String,
}

/// Writes title, author, subject and keywords into the PDF's Info dictionary (Chromium only
/// writes the title) and sets its dates: from `fixed_date` at midnight UTC when given, so two
/// renders of the same input are byte-identical, or now.
pub(crate) fn finish(
    pdf: &[u8],
    meta: &Metadata,
    fixed_date: Option<NaiveDate>,
) -> Result<Vec<u8>, DocumentsError> {
    let bad = |e: lopdf::Error| DocumentsError::Pdf(e.to_string());
    let mut doc = Document::load_mem(pdf).map_err(bad)?;
    let stamp = match fixed_date {
        Some(d) => d.format("D:%Y%m%d000000+00'00'").to_string(),
        None => Utc::now().format("D:%Y%m%d%H%M%S+00'00'").to_string(),
    };
    let mut info = match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => doc.get_dictionary(id).cloned().unwrap_or_default(),
        Err(_) => Dictionary::new(),
    };
    info.set("Title", text_string(&meta.title));
    info.set("Author", text_string(&meta.author));
    info.set("Subject", text_string(&meta.subject));
    info.set("Keywords", text_string(&meta.keywords));
    info.set("Creator", text_string("MonOPCO Fleet (Chromium)"));
    info.set("CreationDate", Object::string_literal(stamp.clone()));
    info.set("ModDate", Object::string_literal(stamp));
    match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => {
            doc.objects.insert(id, Object::Dictionary(info));
        }
        Err(_) => {
            let id = doc.add_object(Object::Dictionary(info));
            doc.trailer.set("Info", Object::Reference(id));
        }
    }
    let mut out = Vec::with_capacity(pdf.len() + 512);
    doc.save_to(&mut out)
        .map_err(|e| DocumentsError::Pdf(e.to_string()))?;
    Ok(out)
}
