use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::target::CreateBrowserContextParams;
use chromiumoxide::error::CdpError;
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::config::BrowserConfig;
use crate::context::Context;
use crate::error::{BrowserError, with_timeout};
use crate::page::Page;

/// Switches every Chromium gets. Without the background-networking ones Chromium keeps
/// calling Google services, which a closed network refuses.
const FLAGS: &[&str] = &[
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-default-apps",
    "disable-extensions",
    "disable-dev-shm-usage",
    "font-render-hinting=none",
    "lang=fr-FR",
    // Frames of another site stay in the page's renderer, so a locator reaches them through
    // their execution contexts like any frame (chromiumoxide gives no handle on out-of-process
    // frames). Each job still gets its own incognito context.
    "disable-site-isolation-trials",
];

/// How many Chromiums of this process may be starting at the same moment. A start reads the
/// browser's ~300 MB from disk and initialises a profile; a worker at concurrency 8 (or a test
/// binary running its tests in parallel) starting all of them at once on two cores makes each
/// start take several times longer, and the slowest ones hit the launch timeout. Starts wait
/// here in turn, and each one's timeout counts from its own turn.
static STARTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// One running Chromium process with its own profile directory.
pub(crate) struct Instance {
    pub(crate) cdp: tokio::sync::Mutex<chromiumoxide::Browser>,
    pub(crate) call_timeout: Duration,
    pub(crate) pages_opened: AtomicU32,
    alive: Arc<AtomicBool>,
    handler: JoinHandle<()>,
    pid: Option<u32>,
    // Declared last so it is removed after the process was told to die.
    profile: std::sync::Mutex<Option<tempfile::TempDir>>,
}

impl Instance {
    async fn launch(cfg: &BrowserConfig) -> Result<Self, BrowserError> {
        if !cfg.chromium_path.is_file() {
            return Err(BrowserError::Launch {
                path: cfg.chromium_path.clone(),
                reason: "no such executable".into(),
            });
        }
        let profile = tempfile::Builder::new()
            .prefix(crate::orphans::PROFILE_PREFIX)
            .tempdir()
            .map_err(|source| BrowserError::Io {
                operation: "create the Chromium profile directory",
                source,
            })?;
        let mut builder = chromiumoxide::BrowserConfig::builder()
            .chrome_executable(&cfg.chromium_path)
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(cfg.viewport.width, cfg.viewport.height)
            .viewport(chromiumoxide::handler::viewport::Viewport {
                width: cfg.viewport.width,
                height: cfg.viewport.height,
                device_scale_factor: Some(1.0),
                emulating_mobile: false,
                is_landscape: false,
                has_touch: false,
            })
            .launch_timeout(cfg.launch_timeout)
            .request_timeout(cfg.call_timeout)
            .args(FLAGS.iter().copied())
            .args(cfg.extra_args.iter().map(String::as_str));
        if !cfg.headless {
            builder = builder.with_head();
        }
        let ox_cfg = builder.build().map_err(|reason| BrowserError::Launch {
            path: cfg.chromium_path.clone(),
            reason,
        })?;

        // The semaphore is never closed; its permit is held until the DevTools socket answers.
        let _turn = STARTING.acquire().await.map_err(|_| BrowserError::Launch {
            path: cfg.chromium_path.clone(),
            reason: "the launch gate was closed".into(),
        })?;
        // chromiumoxide enforces launch_timeout itself; ours is a backstop a little later.
        let guard = cfg.launch_timeout + Duration::from_secs(5);
        let (mut cdp, mut handler) =
            match tokio::time::timeout(guard, chromiumoxide::Browser::launch(ox_cfg)).await {
                Err(_) | Ok(Err(CdpError::LaunchTimeout(_))) => {
                    return Err(BrowserError::LaunchTimeout {
                        after: cfg.launch_timeout,
                    });
                }
                Ok(Err(e)) => {
                    return Err(BrowserError::Launch {
                        path: cfg.chromium_path.clone(),
                        reason: e.to_string(),
                    });
                }
                Ok(Ok(pair)) => pair,
            };
        let pid = cdp.get_mut_child().and_then(|c| c.as_mut_inner().id());
        let alive = Arc::new(AtomicBool::new(true));
        let alive_in_task = alive.clone();
        let handler = tokio::spawn(async move {
            // Polled for the browser's whole life; an error other than protocol skew means the
            // connection is gone, and stopping here lets callers see the browser as lost.
            while let Some(event) = handler.next().await {
                if let Err(e) = event {
                    if matches!(e, CdpError::InvalidMessage(..)) {
                        continue;
                    }
                    tracing::debug!(error = %e, "Chromium connection ended");
                    break;
                }
            }
            alive_in_task.store(false, Ordering::SeqCst);
        });
        tracing::debug!(pid, profile = %profile.path().display(), "Chromium started");
        Ok(Self {
            cdp: tokio::sync::Mutex::new(cdp),
            call_timeout: cfg.call_timeout,
            pages_opened: AtomicU32::new(0),
            alive,
            handler,
            pid,
            profile: std::sync::Mutex::new(Some(profile)),
        })
    }

    /// Whether this Chromium can still serve: its connection is up and its process runs. The
    /// process is checked too because the connection's end is seen a moment after a crash, and a
    /// job retried in that moment must not be handed the dead browser again.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
            && !self.handler.is_finished()
            && self.pid.is_none_or(crate::orphans::is_running)
    }

    /// Asks Chromium to quit, waits for the process, kills it if it does not go, and removes
    /// the profile. Pages still held elsewhere get lost-browser errors from then on.
    async fn shutdown(&self) {
        let t = self.call_timeout;
        {
            let mut cdp = self.cdp.lock().await;
            if self.alive.load(Ordering::SeqCst) {
                let closed = tokio::time::timeout(t, cdp.close()).await;
                if !matches!(closed, Ok(Ok(_))) {
                    tracing::debug!(pid = self.pid, "Chromium did not accept close, killing it");
                }
            }
            match tokio::time::timeout(t, cdp.wait()).await {
                Ok(Ok(_)) => {}
                _ => {
                    if let Some(child) = cdp.get_mut_child() {
                        let _ = child.as_mut_inner().start_kill();
                        let _ = tokio::time::timeout(t, child.as_mut_inner().wait()).await;
                    }
                }
            }
        }
        self.handler.abort();
        let profile = self.profile.lock().expect("profile lock").take();
        if let Some(profile) = profile {
            let path = profile.path().to_path_buf();
            if let Err(e) = profile.close() {
                tracing::warn!(path = %path.display(), error = %e, "Chromium profile directory was not fully removed");
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.handler.abort();
        let mut killed = false;
        if let Some(child) = self.cdp.get_mut().get_mut_child() {
            let inner = child.as_mut_inner();
            if matches!(inner.try_wait(), Ok(None)) {
                killed = inner.start_kill().is_ok();
            }
        }
        let profile = self.profile.get_mut().ok().and_then(Option::take);
        if let (true, Some(profile), Ok(rt)) =
            (killed, profile, tokio::runtime::Handle::try_current())
        {
            // A dying Chromium and its helpers still write into the profile (and recreate it):
            // remove it once none of them runs any more, retrying while they finish.
            rt.spawn(async move {
                let path = profile.keep();
                for _ in 0..100 {
                    if crate::orphans::processes_using(&path) == 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                for _ in 0..50 {
                    if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }
    }
}

/// A headless Chromium shared by the jobs of one worker.
///
/// Cheap to share behind `&`; jobs take a fresh incognito [`Context`] each. The process is
/// relaunched when it died or after `recycle_after_pages` pages.
pub struct Browser {
    cfg: BrowserConfig,
    current: tokio::sync::Mutex<Option<Arc<Instance>>>,
    retiring: std::sync::Mutex<Vec<JoinHandle<()>>>,
    launches: AtomicU32,
    closed: AtomicBool,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("chromium_path", &self.cfg.chromium_path)
            .field("launches", &self.launches.load(Ordering::SeqCst))
            .finish()
    }
}

impl Browser {
    /// Starts one Chromium process with its own temporary profile.
    pub async fn launch(cfg: BrowserConfig) -> Result<Self, BrowserError> {
        if cfg.call_timeout.is_zero() || cfg.launch_timeout.is_zero() {
            return Err(BrowserError::InvalidArgument(
                "timeouts must be longer than zero".into(),
            ));
        }
        if cfg.viewport.width == 0 || cfg.viewport.height == 0 {
            return Err(BrowserError::InvalidArgument(
                "the viewport must have a size".into(),
            ));
        }
        if cfg.recycle_after_pages == Some(0) {
            return Err(BrowserError::InvalidArgument(
                "recycle_after_pages must be at least 1".into(),
            ));
        }
        let instance = Instance::launch(&cfg).await?;
        Ok(Self {
            cfg,
            current: tokio::sync::Mutex::new(Some(Arc::new(instance))),
            retiring: std::sync::Mutex::new(Vec::new()),
            launches: AtomicU32::new(1),
            closed: AtomicBool::new(false),
        })
    }

    /// The configuration this browser was launched with.
    pub fn config(&self) -> &BrowserConfig {
        &self.cfg
    }

    /// How many Chromium processes this browser has started (1 + restarts and recycles).
    pub fn launches(&self) -> u32 {
        self.launches.load(Ordering::SeqCst)
    }

    /// The process id of the current Chromium, if it is running.
    pub async fn pid(&self) -> Option<u32> {
        self.current.lock().await.as_ref().and_then(|i| i.pid)
    }

    /// The profile directory of the current Chromium (removed when it stops).
    pub async fn profile_dir(&self) -> Option<PathBuf> {
        self.current.lock().await.as_ref().and_then(|i| {
            i.profile
                .lock()
                .expect("profile lock")
                .as_ref()
                .map(|p| p.path().to_path_buf())
        })
    }

    /// A fresh incognito context: its own cookies, storage and cache, gone when it is closed.
    pub async fn new_context(&self) -> Result<Context, BrowserError> {
        let instance = self.instance().await?;
        let id = {
            let cdp = instance.cdp.lock().await;
            with_timeout(
                "create an incognito context",
                instance.call_timeout,
                cdp.create_browser_context(CreateBrowserContextParams::default()),
            )
            .await?
        };
        Ok(Context::new(instance, id))
    }

    /// A blank page in a context of its own, disposed with the page.
    pub async fn new_page(&self) -> Result<Page, BrowserError> {
        self.new_context().await?.new_page().await
    }

    /// Replaces the running Chromium by a new one now (after a lost-browser error, say).
    pub async fn restart(&self) -> Result<(), BrowserError> {
        let mut current = self.current.lock().await;
        self.ensure_open()?;
        let fresh = Arc::new(Instance::launch(&self.cfg).await?);
        self.launches.fetch_add(1, Ordering::SeqCst);
        if let Some(old) = current.replace(fresh) {
            self.retire(old);
        }
        Ok(())
    }

    /// Closes Chromium and waits for every process it started, old recycled ones included.
    pub async fn close(&self) -> Result<(), BrowserError> {
        self.closed.store(true, Ordering::SeqCst);
        let current = self.current.lock().await.take();
        if let Some(instance) = current {
            instance.shutdown().await;
        }
        let handles: Vec<_> = std::mem::take(&mut *self.retiring.lock().expect("retiring list"));
        for h in handles {
            let _ = h.await;
        }
        Ok(())
    }

    fn ensure_open(&self) -> Result<(), BrowserError> {
        if self.closed.load(Ordering::SeqCst) {
            Err(BrowserError::Lost {
                operation: "open a context",
                reason: "the browser was closed".into(),
            })
        } else {
            Ok(())
        }
    }

    /// The running instance, relaunched first if it died or served its quota of pages.
    async fn instance(&self) -> Result<Arc<Instance>, BrowserError> {
        let mut current = self.current.lock().await;
        self.ensure_open()?;
        let needs_new = match current.as_ref() {
            None => true,
            Some(i) if !i.is_alive() => {
                tracing::warn!(pid = i.pid, "Chromium was lost, starting a new one");
                true
            }
            Some(i) => self
                .cfg
                .recycle_after_pages
                .is_some_and(|n| i.pages_opened.load(Ordering::SeqCst) >= n),
        };
        if needs_new {
            let fresh = Arc::new(Instance::launch(&self.cfg).await?);
            self.launches.fetch_add(1, Ordering::SeqCst);
            if let Some(old) = current.replace(fresh) {
                self.retire(old);
            }
        }
        Ok(current.as_ref().expect("instance just ensured").clone())
    }

    fn retire(&self, old: Arc<Instance>) {
        let handle = tokio::spawn(retire_when_unused(old));
        let mut list = self.retiring.lock().expect("retiring list");
        list.retain(|h| !h.is_finished());
        list.push(handle);
    }
}

/// Lets the jobs still using a recycled Chromium finish (bounded by two call timeouts), then
/// shuts it down.
async fn retire_when_unused(instance: Arc<Instance>) {
    let deadline = tokio::time::Instant::now() + instance.call_timeout * 2;
    while Arc::strong_count(&instance) > 1
        && instance.is_alive()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    instance.shutdown().await;
}
