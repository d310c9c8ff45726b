//! Shared test support: one Chromium per test file, always closed (even when an assertion
//! panics), and small HTTP servers on 127.0.0.1 port 0 serving the fixtures.

#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use browser::{Browser, BrowserConfig};
use futures::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One answer of a fixture server.
#[derive(Clone, Debug)]
pub struct Route {
    pub content_type: &'static str,
    pub body: String,
    /// Held back this long before answering (a slow API behind an SPA).
    pub delay: Duration,
}

impl Route {
    pub fn html(body: impl Into<String>) -> Self {
        Self {
            content_type: "text/html; charset=utf-8",
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(body: impl Into<String>) -> Self {
        Self {
            content_type: "application/json",
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A fixture server on 127.0.0.1, port 0; it stops with the test's runtime.
pub struct Server {
    pub addr: SocketAddr,
}

impl Server {
    pub async fn start(routes: Vec<(&str, Route)>) -> Self {
        let routes: Arc<HashMap<String, Route>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, routes.clone()));
            }
        });
        Self { addr }
    }

    /// The URL of `path` on this server as `127.0.0.1:port`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The URL of `path` as `localhost:port`: another site than `127.0.0.1`, so Chromium would
    /// put its frames in another process under site isolation.
    pub fn other_site_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }
}

async fn serve(mut sock: tokio::net::TcpStream, routes: Arc<HashMap<String, Route>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let Ok(n) = sock.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < header_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_owned();
    let (status, route) = match routes.get(&path) {
        Some(r) => ("200 OK", r.clone()),
        None => ("404 Not Found", Route::html("<h1>404</h1>")),
    };
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{}",
        route.content_type,
        route.body.len(),
        route.body
    );
    let _ = sock.write_all(reply.as_bytes()).await;
    let _ = sock.shutdown().await;
}

fn config() -> BrowserConfig {
    BrowserConfig {
        call_timeout: Duration::from_secs(15),
        ..BrowserConfig::default()
    }
}

/// Runs `body` with a fresh Chromium and closes it afterwards, whatever happened (the panic of
/// a failed assertion is resumed after the close).
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(&'static Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    // Leaked so the body's future can borrow it for as long as it runs; closed below.
    let browser: &'static Browser = Box::leak(Box::new(Browser::launch(config()).await.unwrap()));
    let outcome = AssertUnwindSafe(body(browser)).catch_unwind().await;
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
