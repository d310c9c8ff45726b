//! portals (filled by its issue).
