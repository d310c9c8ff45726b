//! sandboxes (filled by its issue).
