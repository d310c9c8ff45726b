//! documents (filled by its issue).
