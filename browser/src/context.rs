use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;

use crate::engine::Instance;
use crate::error::{BrowserError, with_timeout};
use crate::page::Page;

/// An incognito browser context: one job's cookies, storage and pages, isolated from the others.
///
/// Disposed by [`Context::close`], or in the background when it and all its pages are dropped.
pub struct Context {
    inner: Arc<ContextInner>,
}

pub(crate) struct ContextInner {
    pub(crate) instance: Arc<Instance>,
    id: BrowserContextId,
    disposed: AtomicBool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.inner.id)
            .finish()
    }
}

impl Context {
    pub(crate) fn new(instance: Arc<Instance>, id: BrowserContextId) -> Self {
        Self {
            inner: Arc::new(ContextInner {
                instance,
                id,
                disposed: AtomicBool::new(false),
            }),
        }
    }

    /// Opens a blank page in this context.
    pub async fn new_page(&self) -> Result<Page, BrowserError> {
        let instance = &self.inner.instance;
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(self.inner.id.clone())
            .build()
            .map_err(BrowserError::InvalidArgument)?;
        let page = {
            let cdp = instance.cdp.lock().await;
            with_timeout("open a page", instance.call_timeout, cdp.new_page(params)).await?
        };
        instance
            .pages_opened
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Page::new(page, self.inner.clone(), instance.call_timeout))
    }

    /// Disposes the context and every page in it.
    pub async fn close(self) -> Result<(), BrowserError> {
        self.inner.dispose().await
    }
}

impl ContextInner {
    async fn dispose(&self) -> Result<(), BrowserError> {
        if self.disposed.swap(true, Ordering::SeqCst) || !self.instance.is_alive() {
            return Ok(());
        }
        let cdp = self.instance.cdp.lock().await;
        with_timeout(
            "dispose an incognito context",
            self.instance.call_timeout,
            cdp.dispose_browser_context(self.id.clone()),
        )
        .await
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        if self.disposed.load(Ordering::SeqCst) || !self.instance.is_alive() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let instance = self.instance.clone();
            let id = self.id.clone();
            rt.spawn(async move {
                let cdp = instance.cdp.lock().await;
                let _ =
                    tokio::time::timeout(instance.call_timeout, cdp.dispose_browser_context(id))
                        .await;
            });
        }
    }
}
