use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, NavigateParams, PrintToPdfParams,
};
use chromiumoxide::error::CdpError;

use crate::context::ContextInner;
use crate::error::{BrowserError, with_timeout};
use crate::locator::NetworkTracker;

const MM_PER_INCH: f64 = 25.4;

/// How to print a page to PDF (Chromium's `Page.printToPDF`).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfOptions {
    /// Paper width in millimetres (A4: 210).
    pub paper_width_mm: f64,
    /// Paper height in millimetres (A4: 297).
    pub paper_height_mm: f64,
    /// Margins in millimetres: top, right, bottom, left.
    pub margins_mm: [f64; 4],
    /// Landscape orientation.
    pub landscape: bool,
    /// Print CSS backgrounds (table shading, coloured bands).
    pub print_background: bool,
    /// HTML of the header, with Chromium's `pageNumber`, `totalPages`, `title`, `date` classes.
    pub header_template: Option<String>,
    /// HTML of the footer, same classes as the header.
    pub footer_template: Option<String>,
    /// Let a CSS `@page { size: … }` rule win over the paper size above.
    pub prefer_css_page_size: bool,
    /// Emit a tagged (accessible) PDF.
    pub tagged: bool,
}

impl Default for PdfOptions {
    /// A4 portrait, 15 mm margins, backgrounds printed, no header or footer.
    fn default() -> Self {
        Self {
            paper_width_mm: 210.0,
            paper_height_mm: 297.0,
            margins_mm: [15.0; 4],
            landscape: false,
            print_background: true,
            header_template: None,
            footer_template: None,
            prefer_css_page_size: false,
            tagged: true,
        }
    }
}

impl PdfOptions {
    /// A4 with a small centred footer "page 1/3" (plus `left_text`, HTML-escaped, on the left).
    pub fn a4_with_page_numbers(left_text: &str) -> Self {
        let footer = format!(
            concat!(
                "<div style=\"font-family:'DejaVu Sans',sans-serif;font-size:8pt;color:#555;",
                "width:100%;margin:0 15mm;display:flex;justify-content:space-between;\">",
                "<span>{}</span>",
                "<span>page <span class=\"pageNumber\"></span>/<span class=\"totalPages\"></span></span>",
                "</div>"
            ),
            escape_html(left_text)
        );
        Self {
            margins_mm: [15.0, 15.0, 20.0, 15.0],
            header_template: Some("<span></span>".into()),
            footer_template: Some(footer),
            ..Self::default()
        }
    }

    fn to_params(&self) -> Result<PrintToPdfParams, BrowserError> {
        let sizes = [self.paper_width_mm, self.paper_height_mm];
        if sizes.iter().any(|v| !v.is_finite() || *v <= 0.0) {
            return Err(BrowserError::InvalidArgument(
                "the paper size must be positive".into(),
            ));
        }
        if self.margins_mm.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(BrowserError::InvalidArgument(
                "margins cannot be negative".into(),
            ));
        }
        let [top, right, bottom, left] = self.margins_mm.map(|mm| mm / MM_PER_INCH);
        let with_hf = self.header_template.is_some() || self.footer_template.is_some();
        let mut b = PrintToPdfParams::builder()
            .paper_width(self.paper_width_mm / MM_PER_INCH)
            .paper_height(self.paper_height_mm / MM_PER_INCH)
            .margin_top(top)
            .margin_right(right)
            .margin_bottom(bottom)
            .margin_left(left)
            .landscape(self.landscape)
            .print_background(self.print_background)
            .prefer_css_page_size(self.prefer_css_page_size)
            .generate_tagged_pdf(self.tagged)
            .display_header_footer(with_hf);
        if with_hf {
            // Chromium prints its own default (date, URL) when one of them is missing.
            b = b
                .header_template(
                    self.header_template
                        .clone()
                        .unwrap_or_else(|| "<span></span>".into()),
                )
                .footer_template(
                    self.footer_template
                        .clone()
                        .unwrap_or_else(|| "<span></span>".into()),
                );
        }
        Ok(b.build())
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One tab, every call under the browser's hard call timeout.
pub struct Page {
    cdp: chromiumoxide::Page,
    timeout: Duration,
    // Requests in flight, followed from the page's first moment (see `locator::Settle`).
    network: Arc<NetworkTracker>,
    network_task: tokio::task::JoinHandle<()>,
    // Keeps the context (and so the Chromium process) alive while the page is used.
    _context: Arc<ContextInner>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("target", self.cdp.target_id())
            .finish()
    }
}

impl Page {
    pub(crate) fn new(
        cdp: chromiumoxide::Page,
        context: Arc<ContextInner>,
        timeout: Duration,
    ) -> Self {
        let network = NetworkTracker::new();
        let network_task = network.spawn(cdp.clone());
        Self {
            cdp,
            timeout,
            network,
            network_task,
            _context: context,
        }
    }

    pub(crate) fn network(&self) -> &NetworkTracker {
        &self.network
    }

    /// The chromiumoxide page, for calls this crate does not wrap; wrap them in [`crate::with_timeout`].
    pub fn cdp(&self) -> &chromiumoxide::Page {
        &self.cdp
    }

    /// The hard limit applied to each call on this page.
    pub fn call_timeout(&self) -> Duration {
        self.timeout
    }

    /// Navigates and waits for the load; network failures are [`BrowserError::Navigation`].
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        if url.trim().is_empty() {
            return Err(BrowserError::InvalidArgument("empty URL".into()));
        }
        // Another fragment of the same document (a hash-routed app) loads nothing, and CDP's
        // navigation would wait for a load that never comes: the page moves itself there.
        let here = self.evaluate("location.href").await.ok();
        let doc = |u: &str| u.split('#').next().unwrap_or(u).to_owned();
        if url.contains('#')
            && let Some(here) = here.as_ref().and_then(|v| v.as_str())
            && doc(here) == doc(url)
        {
            let js = format!(
                "location.href = {}; true",
                serde_json::Value::String(url.to_owned())
            );
            self.evaluate(&js).await?;
            return Ok(());
        }
        let nav = async {
            let res = self.cdp.execute(NavigateParams::new(url)).await?;
            if let Some(err) = res.result.error_text.clone() {
                return Ok(Err(err));
            }
            self.cdp.wait_for_navigation().await?;
            Ok::<_, CdpError>(Ok(()))
        };
        match with_timeout("navigate", self.timeout, nav).await? {
            Ok(()) => Ok(()),
            Err(reason) => Err(BrowserError::Navigation {
                url: url.to_string(),
                reason,
            }),
        }
    }

    /// Replaces the document by `html` and waits for it and its fonts to be ready.
    pub async fn set_content(&self, html: &str) -> Result<(), BrowserError> {
        with_timeout("set the page content", self.timeout, async {
            self.cdp.set_content(html).await?;
            self.cdp
                .evaluate_expression("document.fonts.ready.then(() => true)")
                .await?;
            Ok(())
        })
        .await
    }

    /// The current document as HTML.
    pub async fn html(&self) -> Result<String, BrowserError> {
        with_timeout("read the page HTML", self.timeout, self.cdp.content()).await
    }

    /// The document as a person sees it, flattened into one HTML text: each open shadow root
    /// as a declarative `<template shadowrootmode="open">` inside its host, and each readable
    /// frame's document in a `<template data-frame-document>` inside its `<frame>`/`<iframe>`.
    /// Attributes only, as [`Page::html`] (what was typed into a control is not in it). For the
    /// recordings of portals built of web components or frames, whose [`Page::html`] shows
    /// empty hosts and empty frames.
    pub async fn deep_html(&self) -> Result<String, BrowserError> {
        match self.evaluate(DEEP_HTML).await? {
            serde_json::Value::String(s) => Ok(s),
            other => Err(BrowserError::Protocol {
                operation: "read the page HTML with its shadow roots and frames",
                message: format!("unexpected answer {other}"),
            }),
        }
    }

    /// The document title, if any.
    pub async fn title(&self) -> Result<Option<String>, BrowserError> {
        with_timeout("read the page title", self.timeout, self.cdp.get_title()).await
    }

    /// Evaluates a JavaScript expression (promises awaited) and returns its JSON value.
    pub async fn evaluate(&self, expression: &str) -> Result<serde_json::Value, BrowserError> {
        let res = with_timeout(
            "evaluate a script",
            self.timeout,
            self.cdp.evaluate_expression(expression),
        )
        .await?;
        Ok(res.value().cloned().unwrap_or(serde_json::Value::Null))
    }

    /// Prints the page to PDF.
    pub async fn pdf(&self, options: &PdfOptions) -> Result<Vec<u8>, BrowserError> {
        let params = options.to_params()?;
        with_timeout("print to PDF", self.timeout, self.cdp.pdf(params)).await
    }

    /// A PNG of the whole page, beyond the viewport. Encoded for speed, not size: a portal
    /// session takes one at every step, and the smallest encoding cost 135 ms a page here
    /// against 80 ms (for files a quarter larger).
    pub async fn screenshot_png(&self) -> Result<Vec<u8>, BrowserError> {
        let params = CaptureScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .capture_beyond_viewport(true)
            .optimize_for_speed(true)
            .build();
        with_timeout(
            "take a screenshot",
            self.timeout,
            self.cdp.screenshot(chromiumoxide::page::ScreenshotParams {
                cdp_params: params,
                full_page: Some(true),
                omit_background: None,
            }),
        )
        .await
    }

    /// Closes the tab (the context stays until it is closed or dropped).
    pub async fn close(self) -> Result<(), BrowserError> {
        with_timeout("close the page", self.timeout, self.cdp.clone().close()).await
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.network_task.abort();
    }
}

/// Serialises the document with its open shadow roots and readable frames (see
/// [`Page::deep_html`]).
const DEEP_HTML: &str = r#"(() => {
  const VOID = new Set(['area','base','br','col','embed','hr','img','input','link','meta','source','track','wbr']);
  const RAW = new Set(['script','style']);
  const text = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const attr = s => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const kids = (n, raw) => [...n.childNodes].map(c => ser(c, raw)).join('');
  const ser = (n, raw) => {
    if (n.nodeType === 3) return raw ? n.data : text(n.data);
    if (n.nodeType !== 1) return '';
    const tag = n.localName;
    const attrs = [...n.attributes].map(a => ` ${a.name}="${attr(a.value)}"`).join('');
    if (VOID.has(tag)) return `<${tag}${attrs}>`;
    let inner = '';
    if (n.shadowRoot) inner += `<template shadowrootmode="open">${kids(n.shadowRoot, false)}</template>`;
    if (tag === 'iframe' || tag === 'frame') {
      let d = null;
      try { d = n.contentDocument; } catch (e) { d = null; }
      if (d && d.documentElement) inner += `<template data-frame-document>${ser(d.documentElement, false)}</template>`;
    }
    if (tag === 'template' && n.content) inner += kids(n.content, false);
    inner += kids(n, RAW.has(tag));
    return `<${tag}${attrs}>${inner}</${tag}>`;
  };
  return '<!DOCTYPE html>' + ser(document.documentElement, false);
})()"#;
