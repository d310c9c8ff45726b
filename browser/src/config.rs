use std::path::PathBuf;
use std::time::Duration;

/// Size of the page area Chromium lays out, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    /// Width in CSS pixels.
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
}

impl Default for Viewport {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 1024,
        }
    }
}

/// How to start and run Chromium.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// Path of the Chromium executable (Debian's by default).
    pub chromium_path: PathBuf,
    /// Run without a window (always true on servers; false only to watch a script locally).
    pub headless: bool,
    /// Viewport of every page.
    pub viewport: Viewport,
    /// Hard limit for any single CDP call (navigation, print, screenshot, …).
    pub call_timeout: Duration,
    /// Hard limit for Chromium to start and expose its DevTools socket.
    pub launch_timeout: Duration,
    /// Restart Chromium after this many pages (bounds memory growth); `None` never recycles.
    pub recycle_after_pages: Option<u32>,
    /// Extra command-line switches, without the leading `--` (e.g. `lang=fr-FR`).
    pub extra_args: Vec<String>,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        Self {
            chromium_path: PathBuf::from("/usr/bin/chromium"),
            headless: true,
            viewport: Viewport::default(),
            call_timeout: Duration::from_secs(30),
            launch_timeout: Duration::from_secs(30),
            recycle_after_pages: Some(200),
            extra_args: Vec::new(),
        }
    }
}
