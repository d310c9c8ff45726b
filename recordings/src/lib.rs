//! recordings (filled by its issue).
