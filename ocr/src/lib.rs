//! ocr (filled by its issue).
