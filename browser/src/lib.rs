//! browser (filled by the document and portal issues).
