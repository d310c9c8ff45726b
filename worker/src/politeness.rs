//! Politeness and faults per OPCO portal: how many browser sessions this process opens at once on
//! a portal, how far apart they start, and a circuit breaker that pauses a failing portal's jobs
//! instead of burning their attempts.
//!
//! One [`Gate`] per [`OpcoId`], configured from `[portals.<slug>]` (`max_sessions`,
//! `min_delay_ms`, `breaker_failures`, `breaker_cooldown_ms`; defaults for a portal not
//! configured). The limits are **per worker process**: a fleet of N workers opens up to
//! N × `max_sessions` sessions on one portal (a limit shared through Redis is left for later).
//!
//! A handler that drives a portal does:
//!
//! ```ignore
//! let permit = politeness.enter(opco).await?; // Paused → JobError::wait("portal_paused", …)
//! match script.prefill(&mut session, &filing).await {
//!     Ok(done) => permit.succeeded(),
//!     Err(e) => permit.failed(e.class() == ErrorClass::Retryable),
//! }
//! ```
//!
//! - [`Politeness::enter`] waits for a session slot and for the least delay since the portal's
//!   last session start, then returns a [`Permit`] held for the whole session. It is cancel-safe:
//!   dropping its future gives everything back.
//! - After `breaker_failures` consecutive **transient** failures the breaker opens: `enter` returns
//!   [`Paused`] at once, which converts into a [`JobError`] that makes the job wait (it spends no
//!   attempt and never fails for it) until the cooldown ends.
//! - After the cooldown the breaker is half-open: exactly one session (the probe) is let through;
//!   its success closes the breaker, its transient failure opens it for another cooldown. The
//!   others are paused for a short while ([`PROBE_RECHECK`]) meanwhile.
//! - Permanent failures (refused input, bad credentials, a changed portal) say nothing about the
//!   portal's health and do not count; nor does a permit dropped without a verdict (a cancelled
//!   job). While the breaker is not closed only the probe's verdict counts: sessions that started
//!   before it opened do not move it.
//!
//! [`Politeness::snapshot`] reports each portal's state for logs and the operator; with
//! [`Politeness::with_metrics`] the gauge `monopco_portal_breaker_open{portal}` follows the
//! breakers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use domain::OpcoId;
use jobs::{JobError, Metrics};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::settings::{PortalSettings, Settings};

/// The longest a job waits while the half-open breaker's probe session runs, before asking again.
pub const PROBE_RECHECK: Duration = Duration::from_secs(30);

/// The politeness and fault policy of one portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateConfig {
    /// Sessions at once (at least 1).
    pub max_sessions: usize,
    /// Least time between two session starts.
    pub min_delay: Duration,
    /// Consecutive transient failures that open the breaker (at least 1).
    pub breaker_failures: u32,
    /// How long the breaker stays open before a probe session.
    pub breaker_cooldown: Duration,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            max_sessions: PortalSettings::default_max_sessions(),
            min_delay: Duration::from_millis(PortalSettings::default_min_delay_ms()),
            breaker_failures: PortalSettings::default_breaker_failures(),
            breaker_cooldown: Duration::from_millis(PortalSettings::default_breaker_cooldown_ms()),
        }
    }
}

impl From<&PortalSettings> for GateConfig {
    fn from(p: &PortalSettings) -> Self {
        Self {
            max_sessions: p.max_sessions.max(1),
            min_delay: Duration::from_millis(p.min_delay_ms),
            breaker_failures: p.breaker_failures.max(1),
            breaker_cooldown: Duration::from_millis(p.breaker_cooldown_ms),
        }
    }
}

/// A portal paused by its circuit breaker: its jobs wait until `until`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("portal {} paused after {failures} consecutive failures", .opco.slug())]
pub struct Paused {
    /// The portal.
    pub opco: OpcoId,
    /// When a job may try again.
    pub until: Instant,
    /// Consecutive transient failures so far.
    pub failures: u32,
}

impl Paused {
    /// How long from now until a job may try again.
    pub fn retry_after(&self) -> Duration {
        self.until.saturating_duration_since(Instant::now())
    }
}

impl From<Paused> for JobError {
    /// A wait (no attempt spent) with code `portal_paused` and a French message saying when the
    /// jobs resume, in the server's local time.
    fn from(p: Paused) -> Self {
        let after = p.retry_after();
        let resume = chrono::Local::now()
            + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::zero());
        JobError::wait(
            "portal_paused",
            format!(
                "Le portail {} a échoué {} fois de suite : ses tâches sont en pause et reprendront à {}.",
                p.opco.name(),
                p.failures,
                resume.format("%H:%M")
            ),
            after,
        )
    }
}

/// The circuit breaker of one portal. Transitions are its methods; the gate applies them under
/// its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Breaker {
    /// Sessions go through; `failures` consecutive transient failures so far.
    Closed { failures: u32 },
    /// Paused until `until`.
    Open { until: Instant, failures: u32 },
    /// Cooldown over: one probe session may go (`probing` while it runs).
    HalfOpen { probing: bool, failures: u32 },
}

/// How a session ended, as far as the breaker cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The portal served the session.
    Succeeded,
    /// A transient fault (timeout, 5xx, lost page).
    FailedTransiently,
    /// Nothing learnt about the portal's health (a permanent failure, a dropped permit).
    None,
}

/// What the breaker says to a session about to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    /// Go; `probe` when this session decides the half-open breaker.
    Go { probe: bool },
    /// Wait until `until`.
    Wait { until: Instant, failures: u32 },
}

impl Breaker {
    fn failures(self) -> u32 {
        match self {
            Self::Closed { failures }
            | Self::Open { failures, .. }
            | Self::HalfOpen { failures, .. } => failures,
        }
    }

    fn is_closed(self) -> bool {
        matches!(self, Self::Closed { .. })
    }

    /// The breaker as time has moved it: an open breaker whose cooldown is over is half-open.
    fn at(self, now: Instant) -> Self {
        match self {
            Self::Open { until, failures } if now >= until => Self::HalfOpen {
                probing: false,
                failures,
            },
            other => other,
        }
    }

    /// Whether a session may start now, and the breaker after it (`claim`: the caller takes the
    /// probe if there is one to take; a mere look does not).
    fn admit(self, now: Instant, claim: bool) -> (Self, Admit) {
        match self.at(now) {
            closed @ Self::Closed { .. } => (closed, Admit::Go { probe: false }),
            open @ Self::Open { until, failures } => (open, Admit::Wait { until, failures }),
            Self::HalfOpen {
                probing: false,
                failures,
            } => (
                Self::HalfOpen {
                    probing: claim,
                    failures,
                },
                Admit::Go { probe: claim },
            ),
            probing @ Self::HalfOpen { failures, .. } => (
                probing,
                Admit::Wait {
                    until: now + PROBE_RECHECK,
                    failures,
                },
            ),
        }
    }

    /// A session succeeded.
    fn succeeded(self, probe: bool) -> Self {
        match self {
            Self::Closed { .. } => Self::Closed { failures: 0 },
            _ if probe => Self::Closed { failures: 0 },
            other => other,
        }
    }

    /// A session failed transiently.
    fn failed(self, probe: bool, now: Instant, config: &GateConfig) -> Self {
        let failures = self.failures().saturating_add(1);
        let open = Self::Open {
            until: now + config.breaker_cooldown,
            failures,
        };
        match self {
            Self::Closed { .. } if failures >= config.breaker_failures => open,
            Self::Closed { .. } => Self::Closed { failures },
            _ if probe => open,
            other => other,
        }
    }

    /// A session ended without a verdict (permanent failure, or dropped): a probe is given back.
    fn no_verdict(self, probe: bool) -> Self {
        match self {
            Self::HalfOpen { failures, .. } if probe => Self::HalfOpen {
                probing: false,
                failures,
            },
            other => other,
        }
    }
}

/// Where a portal's breaker stands, for logs, metrics and the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Sessions go through.
    Closed,
    /// The portal is paused.
    Open,
    /// One probe session may try the portal.
    HalfOpen,
}

/// One portal's gate as seen at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateSnapshot {
    /// The breaker.
    pub breaker: BreakerState,
    /// Consecutive transient failures so far.
    pub consecutive_failures: u32,
    /// While open: how long until a probe may go, in milliseconds.
    pub reopens_in_ms: Option<u64>,
    /// Sessions open now.
    pub sessions: usize,
    /// Sessions allowed at once.
    pub max_sessions: usize,
}

#[derive(Debug)]
struct GateState {
    breaker: Breaker,
    /// The earliest time the next session may start.
    next_start: Option<Instant>,
}

/// The politeness and circuit breaker of one portal in this process.
#[derive(Debug)]
pub struct Gate {
    opco: OpcoId,
    config: GateConfig,
    sessions: Arc<Semaphore>,
    state: Mutex<GateState>,
    metrics: OnceLock<Metrics>,
}

impl Gate {
    fn new(opco: OpcoId, config: GateConfig) -> Self {
        Self {
            opco,
            config,
            sessions: Arc::new(Semaphore::new(config.max_sessions)),
            state: Mutex::new(GateState {
                breaker: Breaker::Closed { failures: 0 },
                next_start: None,
            }),
            metrics: OnceLock::new(),
        }
    }

    fn report_to(&self, metrics: &Metrics) {
        let open = !self.lock().breaker.is_closed();
        if self.metrics.set(metrics.clone()).is_ok() {
            metrics.portal_breaker(self.opco.slug(), open);
        }
    }

    /// The policy of this gate.
    pub fn config(&self) -> GateConfig {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The lock is never held across an await or a panicking call; a poisoned one still holds
        // a consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a breaker transition and says so when the breaker opened or closed.
    fn apply(&self, state: &mut GateState, next: Breaker) {
        let before = state.breaker;
        state.breaker = next;
        let portal = self.opco.slug();
        match (before, next) {
            (Breaker::Open { .. }, Breaker::Open { .. }) => {}
            (_, Breaker::Open { failures, .. }) => {
                tracing::warn!(
                    portal,
                    failures,
                    cooldown_s = self.config.breaker_cooldown.as_secs(),
                    "Portal circuit breaker opened; its jobs wait until the cooldown ends"
                );
            }
            (Breaker::Open { .. }, Breaker::HalfOpen { .. }) => {
                tracing::info!(
                    portal,
                    "Portal circuit breaker half-open; one session tries the portal"
                );
            }
            (b, Breaker::Closed { .. }) if !b.is_closed() => {
                tracing::info!(portal, "Portal circuit breaker closed; its jobs run again");
            }
            _ => {}
        }
        if before.is_closed() != next.is_closed()
            && let Some(m) = self.metrics.get()
        {
            m.portal_breaker(portal, !next.is_closed());
        }
    }

    fn paused(&self, until: Instant, failures: u32) -> Paused {
        Paused {
            opco: self.opco,
            until,
            failures,
        }
    }

    async fn enter(self: &Arc<Self>) -> Result<Permit, Paused> {
        // A paused portal answers at once, without queueing for a session slot.
        {
            let mut state = self.lock();
            let (next, admit) = state.breaker.admit(Instant::now(), false);
            self.apply(&mut state, next);
            if let Admit::Wait { until, failures } = admit {
                return Err(self.paused(until, failures));
            }
        }
        let session = Arc::clone(&self.sessions)
            .acquire_owned()
            .await
            .expect("a portal's session semaphore is never closed");
        let start = {
            let mut state = self.lock();
            let now = Instant::now();
            let start = state.next_start.map_or(now, |t| t.max(now));
            state.next_start = Some(start + self.config.min_delay);
            start
        };
        tokio::time::sleep_until(start).await;
        // The breaker may have opened while this session waited its turn.
        let mut state = self.lock();
        let (next, admit) = state.breaker.admit(Instant::now(), true);
        self.apply(&mut state, next);
        match admit {
            Admit::Go { probe } => Ok(Permit {
                gate: Arc::clone(self),
                probe,
                settled: false,
                _session: session,
            }),
            Admit::Wait { until, failures } => Err(self.paused(until, failures)),
        }
    }

    fn settle(&self, probe: bool, verdict: Verdict) {
        let mut state = self.lock();
        let now = Instant::now();
        let breaker = state.breaker.at(now);
        let next = match verdict {
            Verdict::Succeeded => breaker.succeeded(probe),
            Verdict::FailedTransiently => breaker.failed(probe, now, &self.config),
            Verdict::None => breaker.no_verdict(probe),
        };
        self.apply(&mut state, next);
    }

    fn snapshot(&self) -> GateSnapshot {
        let now = Instant::now();
        let breaker = self.lock().breaker.at(now);
        GateSnapshot {
            breaker: match breaker {
                Breaker::Closed { .. } => BreakerState::Closed,
                Breaker::Open { .. } => BreakerState::Open,
                Breaker::HalfOpen { .. } => BreakerState::HalfOpen,
            },
            consecutive_failures: breaker.failures(),
            reopens_in_ms: match breaker {
                Breaker::Open { until, .. } => Some(
                    u64::try_from(until.saturating_duration_since(now).as_millis())
                        .unwrap_or(u64::MAX),
                ),
                _ => None,
            },
            sessions: self.config.max_sessions - self.sessions.available_permits(),
            max_sessions: self.config.max_sessions,
        }
    }
}

/// The right to run one session on a portal. Give it a verdict when the session ends; dropping it
/// without one frees the slot and counts as neither success nor failure.
#[derive(Debug)]
#[must_use = "a permit dropped at once ends the session slot it holds"]
pub struct Permit {
    gate: Arc<Gate>,
    probe: bool,
    settled: bool,
    _session: OwnedSemaphorePermit,
}

impl Permit {
    /// The portal this permit is for.
    pub fn opco(&self) -> OpcoId {
        self.gate.opco
    }

    /// The session worked: the portal's consecutive failures start again from zero, and a
    /// half-open breaker closes.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.gate.settle(self.probe, Verdict::Succeeded);
    }

    /// The session failed. Only a `transient` failure (timeout, 5xx, lost page) counts toward the
    /// breaker; a permanent one (bad input, bad credentials, a changed portal) counts as nothing.
    pub fn failed(mut self, transient: bool) {
        self.settled = true;
        let verdict = if transient {
            Verdict::FailedTransiently
        } else {
            Verdict::None
        };
        self.gate.settle(self.probe, verdict);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.settled {
            self.gate.settle(self.probe, Verdict::None);
        }
    }
}

/// One gate per OPCO portal, for this process. Cheap to clone (the gates are shared).
#[derive(Clone, Debug)]
pub struct Politeness {
    gates: BTreeMap<OpcoId, Arc<Gate>>,
}

impl Politeness {
    /// Every OPCO with the policy of its `[portals.<slug>]` section, or the defaults.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(|opco| {
            settings
                .portals
                .get(opco.slug())
                .map(GateConfig::from)
                .unwrap_or_default()
        })
    }

    /// Every OPCO with the policy `config` gives it.
    pub fn new(config: impl Fn(OpcoId) -> GateConfig) -> Self {
        let gates = OpcoId::ALL
            .into_iter()
            .map(|opco| (opco, Arc::new(Gate::new(opco, config(opco)))))
            .collect();
        Self { gates }
    }

    /// Makes the gauge `monopco_portal_breaker_open{portal}` of `metrics` follow the breakers
    /// (the first metrics given stay).
    pub fn with_metrics(self, metrics: &Metrics) -> Self {
        for gate in self.gates.values() {
            gate.report_to(metrics);
        }
        self
    }

    fn gate(&self, opco: OpcoId) -> &Arc<Gate> {
        // Built with every OpcoId.
        &self.gates[&opco]
    }

    /// Waits for a session slot on the portal and for its least delay between session starts;
    /// returns [`Paused`] at once while its breaker is open.
    pub async fn enter(&self, opco: OpcoId) -> Result<Permit, Paused> {
        self.gate(opco).enter().await
    }

    /// The policy of one portal.
    pub fn config(&self, opco: OpcoId) -> GateConfig {
        self.gate(opco).config
    }

    /// Every portal's state now, by OPCO.
    pub fn snapshot(&self) -> BTreeMap<OpcoId, GateSnapshot> {
        self.gates
            .iter()
            .map(|(opco, gate)| (*opco, gate.snapshot()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATLAS: OpcoId = OpcoId::Atlas;

    fn politeness(max_sessions: usize, min_delay_ms: u64, breaker_failures: u32) -> Politeness {
        Politeness::new(|_| GateConfig {
            max_sessions,
            min_delay: Duration::from_millis(min_delay_ms),
            breaker_failures,
            breaker_cooldown: Duration::from_secs(300),
        })
    }

    async fn fail_transiently(p: &Politeness, times: u32) {
        for _ in 0..times {
            p.enter(ATLAS).await.unwrap().failed(true);
        }
    }

    fn breaker(p: &Politeness) -> BreakerState {
        p.snapshot()[&ATLAS].breaker
    }

    #[tokio::test(start_paused = true)]
    async fn the_session_after_the_last_slot_waits_until_one_is_freed() {
        let p = politeness(2, 0, 5);
        let first = p.enter(ATLAS).await.unwrap();
        let _second = p.enter(ATLAS).await.unwrap();

        let third = tokio::spawn({
            let p = p.clone();
            async move { p.enter(ATLAS).await.map(|permit| permit.opco()) }
        });
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!third.is_finished(), "a third session must wait for a slot");
        assert_eq!(p.snapshot()[&ATLAS].sessions, 2);

        first.succeeded();
        assert_eq!(third.await.unwrap(), Ok(ATLAS));
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_on_one_portal_start_at_least_the_least_delay_apart() {
        let p = politeness(3, 1000, 5);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let permit = p.enter(ATLAS).await.unwrap();
            starts.push(Instant::now() - t0);
            drop(permit);
        }
        assert_eq!(
            starts,
            [0, 1000, 2000].map(Duration::from_millis).to_vec(),
            "each start waits 1 s after the previous one"
        );

        // Another portal is not slowed down by this one.
        let t1 = Instant::now();
        drop(p.enter(OpcoId::Akto).await.unwrap());
        assert_eq!(Instant::now(), t1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_sessions_are_spaced_by_the_least_delay_too() {
        let p = politeness(3, 500, 5);
        let t0 = Instant::now();
        let entries: Vec<_> = (0..3)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    let permit = p.enter(ATLAS).await.unwrap();
                    let at = Instant::now() - t0;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    permit.succeeded();
                    at
                })
            })
            .collect();
        let mut starts = Vec::new();
        for e in entries {
            starts.push(e.await.unwrap());
        }
        starts.sort();
        assert_eq!(starts, [0, 500, 1000].map(Duration::from_millis).to_vec());
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_after_the_configured_transient_failures_and_pauses_the_portal() {
        let p = politeness(2, 0, 3);
        fail_transiently(&p, 2).await;
        assert_eq!(breaker(&p), BreakerState::Closed);
        assert_eq!(p.snapshot()[&ATLAS].consecutive_failures, 2);

        fail_transiently(&p, 1).await;
        assert_eq!(breaker(&p), BreakerState::Open);

        tokio::time::sleep(Duration::from_secs(100)).await;
        let paused = p.enter(ATLAS).await.unwrap_err();
        assert_eq!(paused.failures, 3);
        assert_eq!(paused.retry_after(), Duration::from_secs(200));
        assert_eq!(breaker(&p), BreakerState::Open);
        assert_eq!(p.snapshot()[&OpcoId::Akto].breaker, BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_portal_makes_its_job_wait_with_a_french_reason_and_spend_no_attempt() {
        let p = politeness(2, 0, 2);
        fail_transiently(&p, 2).await;

        let error = JobError::from(p.enter(ATLAS).await.unwrap_err());

        assert_eq!(error.code, "portal_paused");
        assert_eq!(error.wait_after(), Some(Duration::from_secs(300)));
        assert!(
            error
                .message
                .starts_with("Le portail Atlas a échoué 2 fois de suite"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains(" reprendront à "),
            "{}",
            error.message
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_cooldown_exactly_one_session_probes_the_portal() {
        let p = politeness(3, 0, 2);
        fail_transiently(&p, 2).await;
        tokio::time::sleep(Duration::from_secs(300)).await;
        assert_eq!(breaker(&p), BreakerState::HalfOpen);

        let probe = p.enter(ATLAS).await.expect("the probe goes through");
        let other = p.enter(ATLAS).await.expect_err("only one probe at a time");
        assert_eq!(other.retry_after(), PROBE_RECHECK);

        probe.succeeded();
        assert_eq!(breaker(&p), BreakerState::Closed);
        assert_eq!(p.snapshot()[&ATLAS].consecutive_failures, 0);
        let _a = p.enter(ATLAS).await.unwrap();
        let _b = p.enter(ATLAS).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_the_breaker_for_another_cooldown() {
        let p = politeness(2, 0, 2);
        fail_transiently(&p, 2).await;
        tokio::time::sleep(Duration::from_secs(300)).await;

        p.enter(ATLAS).await.unwrap().failed(true);

        let paused = p.enter(ATLAS).await.unwrap_err();
        assert_eq!(paused.failures, 3);
        assert_eq!(paused.retry_after(), Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_without_a_verdict_lets_another_session_probe() {
        let p = politeness(2, 0, 2);
        fail_transiently(&p, 2).await;
        tokio::time::sleep(Duration::from_secs(300)).await;

        drop(p.enter(ATLAS).await.unwrap());
        p.enter(ATLAS).await.unwrap().failed(false);
        assert_eq!(breaker(&p), BreakerState::HalfOpen);

        p.enter(ATLAS).await.unwrap().succeeded();
        assert_eq!(breaker(&p), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_and_dropped_permits_do_not_count_toward_the_breaker() {
        let p = politeness(2, 0, 2);
        for _ in 0..10 {
            p.enter(ATLAS).await.unwrap().failed(false);
            drop(p.enter(ATLAS).await.unwrap());
        }
        assert_eq!(breaker(&p), BreakerState::Closed);
        assert_eq!(p.snapshot()[&ATLAS].consecutive_failures, 0);

        fail_transiently(&p, 1).await;
        p.enter(ATLAS).await.unwrap().succeeded();
        fail_transiently(&p, 1).await;
        assert_eq!(
            breaker(&p),
            BreakerState::Closed,
            "a success in between resets the count: the failures are not consecutive"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_started_before_the_breaker_opened_do_not_move_it() {
        let p = politeness(3, 0, 2);
        let straggler = p.enter(ATLAS).await.unwrap();
        fail_transiently(&p, 2).await;

        straggler.succeeded();

        assert_eq!(breaker(&p), BreakerState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_gauge_follows_the_breaker() {
        let metrics = Metrics::new();
        let p = politeness(2, 0, 1).with_metrics(&metrics);
        let gauge = |m: &Metrics| {
            m.render()
                .lines()
                .find(|l| l.starts_with("monopco_portal_breaker_open{portal=\"atlas\"}"))
                .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        };
        assert_eq!(gauge(&metrics).as_deref(), Some("0"));

        fail_transiently(&p, 1).await;
        assert_eq!(gauge(&metrics).as_deref(), Some("1"));

        tokio::time::sleep(Duration::from_secs(300)).await;
        p.enter(ATLAS).await.unwrap().succeeded();
        assert_eq!(gauge(&metrics).as_deref(), Some("0"));
    }

    #[test]
    fn unconfigured_portals_get_the_documented_defaults() {
        let settings = Settings::load(None, vec![]).unwrap();
        let p = Politeness::from_settings(&settings);
        assert_eq!(
            p.config(ATLAS),
            GateConfig {
                max_sessions: 2,
                min_delay: Duration::from_secs(1),
                breaker_failures: 5,
                breaker_cooldown: Duration::from_secs(300),
            }
        );
    }

    #[test]
    fn a_portals_section_sets_its_own_policy() {
        let settings = Settings::load(
            None,
            vec![
                ("portals.akto.base_url", "http://127.0.0.1:1".into()),
                ("portals.akto.max_sessions", 1.into()),
                ("portals.akto.breaker_cooldown_ms", 60_000.into()),
            ],
        )
        .unwrap();
        let p = Politeness::from_settings(&settings);
        let akto = p.config(OpcoId::Akto);
        assert_eq!(akto.max_sessions, 1);
        assert_eq!(akto.breaker_cooldown, Duration::from_secs(60));
        assert_eq!(akto.min_delay, Duration::from_secs(1));
        assert_eq!(p.config(ATLAS), GateConfig::default());
    }

    #[test]
    fn a_portal_with_no_session_allowed_is_refused() {
        let err = Settings::load(
            None,
            vec![
                ("portals.atlas.base_url", "http://127.0.0.1:1".into()),
                ("portals.atlas.max_sessions", 0.into()),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("portals.atlas.max_sessions"), "{err}");
    }
}
