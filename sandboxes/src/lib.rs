//! Local imitations of the OPCO portals (Atlas, AKTO, OPCO EP) for tests and the demo.
//!
//! No OPCO offers a test environment, and scripts must never be tried on live sites. Each sandbox
//! reproduces its portal's flow in French with its own markup and wording: login (AKTO's through an
//! OpenID Connect identity provider on a port of its own, with a code "sent by e-mail"), a multi-step request form, PDF uploads with a size cap, drafts, a final
//! submit returning a dossier number in the portal's format, and the list of the account's
//! requests with statuses that tests move through `/__sandbox/…`. Failure switches (slow pages,
//! HTTP 500, expired session, refused upload, CAPTCHA, maintenance, changed layouts) are set at
//! start or at run time so that every failure path of a script can be tested deterministically.
//!
//! A portal's [`Stack`] says how its pages are made. Atlas is server-rendered. AKTO and OPCO EP
//! are single-page apps, as their real portals are or are believed to be (PORTALS.md): after the
//! server-rendered login, one script (`src/spa/portail.js`) renders the list, every step, the
//! summary and the acknowledgement from a JSON API under `/api/`, with a busy indicator while the
//! API answers, errors as toasts and a 401 sending the page back to the login. AKTO routes with
//! `pushState`; OPCO EP with the fragment, its fields in web components (open shadow roots),
//! custom comboboxes whose options open at the end of `<body>`, masked `JJ/MM/AAAA` dates that
//! keep only typed digits, and its provider chosen among the API's suggestions for a SIRET. Both
//! front ends share the state logic (`app.rs`: validation, uploads, drafts, transmit, switches),
//! so every switch means the same on either; a browser without JavaScript gets the HTML pages
//! inside `<noscript>`.

mod agreement;
mod app;
pub mod directory;
mod employees;
mod frames;
mod html;
mod idp;
mod spa;
mod spec;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use spec::{
    CookieBanner, Employee, EmployeeChoice, Field, FramesetOptions, HARMLESS_EXTRA, IdpFlow,
    IdpSpec, Kind, ListHeaders, Markup, NameOrder, PortalSpec, Routing, SANDBOXED, SitePicker,
    SpaOptions, Stack, StartConfirmation, StatusWords, Step, UnknownPortal, parse_portal, slugs,
    spec,
};

/// The portal a sandbox imitates: an OPCO with a line in the registry (`portals/src/registry.rs`).
pub type Portal = domain::OpcoId;
pub use state::{
    Account, Acknowledgement, ExtraControl, Faults, Layout, RequestView, SandboxConfig, ShortField,
    SiteList, Status, StatusChange, StoredFile,
};

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no sandbox for this OPCO")]
    Unknown(#[source] UnknownPortal),
    #[error("cannot read the state file {path}")]
    State {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A sandbox serving on a local port; stops when dropped or on [`RunningSandbox::shutdown`].
pub struct RunningSandbox {
    url: String,
    addr: SocketAddr,
    shared: Arc<app::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("portal", &self.shared.spec.opco)
            .field("url", &self.url)
            .finish()
    }
}

/// Starts a sandbox on `127.0.0.1` with a free port (tests).
pub async fn spawn(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    spawn_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a sandbox on the given address (port 0 picks a free one).
pub async fn spawn_on(
    config: SandboxConfig,
    addr: SocketAddr,
) -> Result<RunningSandbox, SandboxError> {
    let spec = spec::spec(config.portal)
        .ok_or_else(|| SandboxError::Unknown(UnknownPortal(config.portal.slug().to_owned())))?;
    let state_file = config
        .state_dir
        .as_ref()
        .map(|d| d.join(format!("{}.json", config.portal.slug())));
    let mut state = match &state_file {
        Some(path) if path.exists() => std::fs::read(path)
            .and_then(|b| serde_json::from_slice(&b).map_err(std::io::Error::other))
            .map_err(|source| SandboxError::State {
                path: path.clone(),
                source,
            })?,
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| SandboxError::State {
                    path: path.clone(),
                    source,
                })?;
            }
            state::State::default()
        }
        None => state::State::default(),
    };
    for a in config.accounts {
        state.accounts.retain(|x| x.email != a.email);
        state.accounts.push(a);
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { addr, source })?;
    // The identity provider is another origin: the same host, a port of its own.
    let idp_listener = match spec.idp {
        Some(_) => {
            let at = SocketAddr::new(addr.ip(), 0);
            Some(
                TcpListener::bind(at)
                    .await
                    .map_err(|source| SandboxError::Bind { addr: at, source })?,
            )
        }
        None => None,
    };
    let idp_url = match &idp_listener {
        Some(l) => Some(format!(
            "http://{}",
            l.local_addr()
                .map_err(|source| SandboxError::Bind { addr, source })?
        )),
        None => None,
    };
    let shared = Arc::new(app::Shared {
        spec,
        state: Mutex::new(state),
        faults: Mutex::new(config.faults),
        state_file,
        documents: Mutex::new(Vec::new()),
        portal_url: format!("http://{addr}"),
        idp_url,
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let (idp_stop, idp_stopped) = oneshot::channel::<()>();
    let router = app::router(shared.clone());
    let idp_task = idp_listener.map(|listener| {
        let router = idp::router(shared.clone());
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = idp_stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "Sandbox identity provider stopped");
            }
        })
    });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        let _ = idp_stop.send(());
        if let Some(t) = idp_task {
            let _ = t.await;
        }
        if let Err(e) = served {
            tracing::error!(error = %e, "Sandbox server stopped");
        }
    });
    let ticker = config.auto_advance.map(|after| {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                tick.tick().await;
                shared.advance(after);
            }
        })
    });
    Ok(RunningSandbox {
        url: format!("http://{addr}"),
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
        ticker,
    })
}

impl RunningSandbox {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Which portal this is.
    pub fn portal(&self) -> Portal {
        self.shared.spec.opco
    }

    /// What this sandbox imitates.
    pub fn spec(&self) -> &'static PortalSpec {
        self.shared.spec
    }

    /// Where its identity provider answers, when the portal logs in through one.
    pub fn idp_url(&self) -> Option<&str> {
        self.shared.idp_url.as_deref()
    }

    /// The URL of the login page.
    pub fn login_url(&self) -> String {
        format!("{}{}", self.url, self.shared.spec.login_path)
    }

    /// The failure switches now in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults().clone()
    }

    /// Replaces the failure switches (same as `PUT /__sandbox/faults`).
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults() = faults;
    }

    /// Every submitted dossier, of every account.
    pub fn dossiers(&self) -> Vec<RequestView> {
        self.shared.views(true)
    }

    /// Every request, drafts included.
    pub fn requests(&self) -> Vec<RequestView> {
        self.shared.views(false)
    }

    /// Moves a dossier to a new status; `None` when no dossier has that number.
    pub fn set_status(&self, dossier: &str, change: StatusChange) -> Option<RequestView> {
        self.shared.change_status(dossier, change)
    }

    /// The path of every HTML document the portal served, in order: on a single-page app, a
    /// step of the form loads none.
    pub fn documents(&self) -> Vec<String> {
        self.shared
            .documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The second-factor code "sent by e-mail" to this account, while valid.
    pub fn pending_code(&self, email: &str) -> Option<String> {
        self.shared.code_for(email)
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.stop_now();
    }
}
