//! The shared headless-Chromium engine.
//!
//! One Chromium process per [`Browser`], a fresh incognito [`Context`] per job, every CDP call
//! under a hard timeout, PDF printing and screenshots. Documents print through it and portal
//! scripts drive pages with it, so both see the same lifecycle, recycling and error taxonomy.

mod config;
mod context;
mod engine;
mod error;
pub mod locator;
mod orphans;
mod page;

pub use config::{BrowserConfig, Viewport};
pub use context::Context;
pub use engine::Browser;
pub use error::{BrowserError, with_timeout};
pub use locator::{Locator, LocatorError, Role, Scope, Settle, wait_until_settled};
pub use orphans::reap_orphans;
pub use page::{Page, PdfOptions};
