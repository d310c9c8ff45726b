//! Steps of single-page apps: a click that loads no new document is done when the page has
//! settled, not on a `load` event.
//!
//! Settled means: the expected element is there (a heading, a landmark, a field), no busy
//! indicator is shown (`aria-busy="true"`, an unfinished `role=progressbar`, the caller's own
//! selectors), and the network has been quiet for a short while.
//!
//! Requests are counted from CDP `Network` events (`requestWillBeSent`, `loadingFinished`,
//! `loadingFailed`, and `responseReceived` for bodies the page never reads) by a task every [`Page`] runs from its creation, rather than by hooks on
//! `fetch`/`XMLHttpRequest` in the page: the events see every request of the tab (frames of
//! other origins, scripts, images, uploads) from before any wait starts, cannot be undone by the
//! page's own patching of `fetch` (zone.js, polyfills), and survive the documents they started in.
//! Event streams and server-sent events never finish: they are not counted, nor are requests
//! in flight for longer than [`Settle::ignoring_requests_older_than`] (long polling).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    ResourceType,
};
use futures::StreamExt;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::frames::{Group, in_every_frame};
use super::{Locator, LocatorError, POLL};
use crate::page::Page;

struct Request {
    started: Instant,
    /// When its response headers came. A body the page never reads gets no `loadingFinished`
    /// (an unawaited `fetch`), so an answered request stops counting a moment after its answer.
    answered: Option<Instant>,
    /// Scheme, host and path: the query string may hold tokens and never reaches an error.
    url: String,
}

/// How long a request whose answer came may still stream its body before it no longer counts.
const ANSWERED_GRACE: Duration = Duration::from_millis(500);

struct Net {
    in_flight: HashMap<String, Request>,
    /// Requests seen ending before their start was seen (the events come on separate streams).
    ended_early: HashMap<String, Instant>,
    last_activity: Instant,
}

/// The requests of one page in flight, from CDP `Network` events.
pub(crate) struct NetworkTracker {
    net: Mutex<Net>,
}

fn without_query(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let mut s = url[..cut].to_owned();
    if s.len() > 80 {
        s.truncate(s.char_indices().nth(80).map(|(i, _)| i).unwrap_or(s.len()));
        s.push('…');
    }
    s
}

impl NetworkTracker {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            net: Mutex::new(Net {
                in_flight: HashMap::new(),
                ended_early: HashMap::new(),
                last_activity: Instant::now(),
            }),
        })
    }

    fn started(&self, id: String, url: &str) {
        let mut n = self.net.lock().expect("network tracker");
        n.last_activity = Instant::now();
        if n.ended_early.remove(&id).is_some() {
            return;
        }
        n.in_flight.entry(id).or_insert(Request {
            started: Instant::now(),
            answered: None,
            url: without_query(url),
        });
    }

    fn ended(&self, id: &str) {
        let mut n = self.net.lock().expect("network tracker");
        let now = Instant::now();
        n.last_activity = now;
        if n.in_flight.remove(id).is_none() {
            n.ended_early
                .retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
            n.ended_early.insert(id.to_owned(), now);
        }
    }

    fn answered(&self, id: &str) {
        let mut n = self.net.lock().expect("network tracker");
        let now = Instant::now();
        n.last_activity = now;
        if let Some(r) = n.in_flight.get_mut(id) {
            r.answered.get_or_insert(now);
        }
    }

    /// The requests in flight younger than `max_age`, and when the network was last active.
    fn snapshot(&self, max_age: Duration) -> (Vec<String>, Instant) {
        let n = self.net.lock().expect("network tracker");
        let now = Instant::now();
        let mut urls: Vec<String> = n
            .in_flight
            .values()
            .filter(|r| now.duration_since(r.started) < max_age)
            .filter(|r| {
                r.answered
                    .is_none_or(|at| now.duration_since(at) < ANSWERED_GRACE)
            })
            .map(|r| r.url.clone())
            .collect();
        urls.sort();
        (urls, n.last_activity)
    }

    /// Follows the page's network events until the page goes away (the task is aborted with it).
    pub(crate) fn spawn(self: &Arc<Self>, cdp: chromiumoxide::Page) -> JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let (Ok(mut sent), Ok(mut answered), Ok(mut done), Ok(mut failed)) = (
                cdp.event_listener::<EventRequestWillBeSent>().await,
                cdp.event_listener::<EventResponseReceived>().await,
                cdp.event_listener::<EventLoadingFinished>().await,
                cdp.event_listener::<EventLoadingFailed>().await,
            ) else {
                return;
            };
            loop {
                // Biased: the handler fills the streams in protocol order, so a start already
                // queued is taken before the end that followed it.
                tokio::select! {
                    biased;
                    Some(ev) = sent.next() => {
                        let endless = matches!(ev.r#type, Some(ResourceType::EventSource | ResourceType::WebSocket));
                        if !endless && !ev.request.url.starts_with("data:") {
                            me.started(ev.request_id.inner().clone(), &ev.request.url);
                        }
                    }
                    Some(ev) = answered.next() => me.answered(ev.request_id.inner()),
                    Some(ev) = done.next() => me.ended(ev.request_id.inner()),
                    Some(ev) = failed.next() => me.ended(ev.request_id.inner()),
                    else => break,
                }
            }
        })
    }
}

/// What "the page has settled" means for one step of a single-page app.
#[derive(Clone, Debug)]
pub struct Settle {
    expect: Option<Locator>,
    busy_selectors: Vec<String>,
    quiet: Duration,
    timeout: Duration,
    max_request_age: Duration,
}

impl Settle {
    /// Settled once `expect` is shown (exactly one match), nothing is busy and the network is quiet.
    pub fn until(expect: Locator) -> Self {
        Self {
            expect: Some(expect),
            ..Self::quiet()
        }
    }

    /// Settled once nothing is busy and the network is quiet, whatever the page shows.
    pub fn quiet() -> Self {
        Self {
            expect: None,
            busy_selectors: Vec::new(),
            quiet: Duration::from_millis(300),
            timeout: Duration::from_secs(15),
            max_request_age: Duration::from_secs(10),
        }
    }

    /// Also busy while an element matching this CSS selector is shown (a portal's own spinner).
    pub fn busy_while(mut self, css: impl Into<String>) -> Self {
        self.busy_selectors.push(css.into());
        self
    }

    /// How long the network must have been quiet (300 ms by default).
    pub fn quiet_for(mut self, quiet: Duration) -> Self {
        self.quiet = quiet;
        self
    }

    /// The limit of the whole wait (15 s by default).
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Requests in flight for longer than this are background traffic (long polling) and do not
    /// keep the page busy (10 s by default).
    pub fn ignoring_requests_older_than(mut self, age: Duration) -> Self {
        self.max_request_age = age;
        self
    }

    fn awaited(&self) -> String {
        let mut s = match &self.expect {
            Some(l) => format!("{l} to be shown"),
            None => "the page".to_owned(),
        };
        s.push_str(", no busy indicator and a quiet network");
        s
    }
}

/// Waits until the page has settled as `settle` says; the timeout error says what was awaited
/// and what was still busy (missing element, busy indicators, requests in flight).
pub async fn wait_until_settled(page: &Page, settle: &Settle) -> Result<(), LocatorError> {
    settle_since(page, settle, Instant::now()).await
}

/// [`wait_until_settled`], the quiet period counted from `since` at the earliest (a click whose
/// requests have not started yet is not quiet).
pub(crate) async fn settle_since(
    page: &Page,
    settle: &Settle,
    since: Instant,
) -> Result<(), LocatorError> {
    let start = Instant::now();
    let extra = serde_json::to_string(&settle.busy_selectors).unwrap_or_else(|_| "[]".into());
    let busy_body = format!("return JSON.stringify(busyHere({extra}));");
    loop {
        let mut still = Vec::new();
        if let Some(l) = &settle.expect {
            match l.count_where(page).await {
                Ok((1, _)) => {}
                Ok((0, scope)) => still.push(format!("{l} is not shown ({scope})")),
                Ok((n, _)) => still.push(format!("{l} is shown {n} times")),
                Err(LocatorError::Browser(e)) if super::is_transient(&e) => {
                    still.push("the document is being replaced".into())
                }
                Err(e) => return Err(e),
            }
        }
        let group = Group::new();
        let busy = in_every_frame(page, &busy_body, &group).await;
        group.release(page).await;
        match busy {
            Ok((answers, _)) => {
                for (_, v) in answers {
                    if let Some(list) = v.get("busy").and_then(Value::as_array) {
                        still.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                }
            }
            Err(e) if super::is_transient(&e) => {
                still.push("the document is being replaced".into())
            }
            Err(e) => return Err(e.into()),
        }
        let (requests, last) = page.network().snapshot(settle.max_request_age);
        if !requests.is_empty() {
            still.push(format!(
                "{} request(s) in flight: {}",
                requests.len(),
                requests.join(", ")
            ));
        } else {
            let quiet_since = last.max(since);
            let quiet = quiet_since.elapsed();
            if quiet < settle.quiet {
                still.push(format!("network active {} ms ago", quiet.as_millis()));
            }
        }
        if still.is_empty() {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= settle.timeout {
            return Err(LocatorError::NotSettled {
                awaited: settle.awaited(),
                still,
                waited,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_named_without_its_query_string() {
        assert_eq!(
            without_query("https://portail.example/api/dossiers?token=secret#x"),
            "https://portail.example/api/dossiers"
        );
    }

    #[test]
    fn requests_in_flight_too_long_are_background_traffic() {
        let t = NetworkTracker::new();
        t.started("1".into(), "http://x/poll?since=1");
        t.net
            .lock()
            .unwrap()
            .in_flight
            .get_mut("1")
            .unwrap()
            .started = Instant::now() - Duration::from_secs(20);
        t.started("2".into(), "http://x/api");
        let (urls, _) = t.snapshot(Duration::from_secs(10));
        assert_eq!(urls, vec!["http://x/api".to_owned()]);
        t.ended("2");
        assert!(t.snapshot(Duration::from_secs(10)).0.is_empty());
    }
}
