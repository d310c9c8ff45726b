//! Prometheus metrics of one process. Labels are bounded: job kind, outcome and portal (the 11
//! OPCOs), never an id.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::kind::JobKind;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PortalLabel {
    portal: &'static str,
}

/// The process's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    enqueued: Family<KindLabel, Counter>,
    started: Family<KindLabel, Counter>,
    finished: Family<OutcomeLabel, Counter>,
    failed: Family<KindLabel, Counter>,
    pushed: Counter,
    taken: Counter,
    replaced: Counter,
    duration: Family<KindLabel, Histogram>,
    webhooks: Family<WebhookLabel, Counter>,
    breaker_open: Family<PortalLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric declared.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("monopco");
        let enqueued = Family::<KindLabel, Counter>::default();
        let started = Family::<KindLabel, Counter>::default();
        let finished = Family::<OutcomeLabel, Counter>::default();
        let failed = Family::<KindLabel, Counter>::default();
        let pushed = Counter::default();
        let taken = Counter::default();
        let replaced = Counter::default();
        let duration = Family::<KindLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.01, 2.0, 16))
        });
        let webhooks = Family::<WebhookLabel, Counter>::default();
        let breaker_open = Family::<PortalLabel, Gauge>::default();
        registry.register("jobs_enqueued", "Jobs accepted, by kind", enqueued.clone());
        registry.register(
            "jobs_started",
            "Job attempts started, by kind",
            started.clone(),
        );
        registry.register(
            "jobs_finished",
            "Job attempts ended, by kind and outcome",
            finished.clone(),
        );
        registry.register(
            "jobs_failed",
            "Jobs failed for good, by kind",
            failed.clone(),
        );
        registry.register(
            "queue_pushed",
            "Wake-up messages pushed to the queue (queue depth = pushed - taken, summed over the fleet)",
            pushed.clone(),
        );
        registry.register(
            "queue_taken",
            "Wake-up messages taken from the queue",
            taken.clone(),
        );
        registry.register(
            "queue_worker_replaced",
            "Queue workers replaced because they took no wake-up while jobs were due",
            replaced.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Duration of job attempts, by kind",
            duration.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            webhooks.clone(),
        );
        registry.register(
            "portal_breaker_open",
            "1 while this process pauses a portal (circuit breaker open or half-open), by OPCO slug",
            breaker_open.clone(),
        );
        Self {
            registry: Arc::new(registry),
            enqueued,
            started,
            finished,
            failed,
            pushed,
            taken,
            replaced,
            duration,
            webhooks,
            breaker_open,
        }
    }

    /// A job was accepted.
    pub fn job_enqueued(&self, kind: JobKind) {
        self.enqueued
            .get_or_create(&KindLabel {
                kind: kind.as_str(),
            })
            .inc();
    }

    /// An attempt started.
    pub fn job_started(&self, kind: JobKind) {
        self.started
            .get_or_create(&KindLabel {
                kind: kind.as_str(),
            })
            .inc();
    }

    /// An attempt ended (`outcome` is a fixed word: succeeded, failed, retry, needs_human, …).
    pub fn job_finished(&self, kind: JobKind, outcome: &'static str, seconds: f64) {
        self.finished
            .get_or_create(&OutcomeLabel {
                kind: kind.as_str(),
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&KindLabel {
                kind: kind.as_str(),
            })
            .observe(seconds);
        if outcome == "failed" {
            self.failed
                .get_or_create(&KindLabel {
                    kind: kind.as_str(),
                })
                .inc();
        }
    }

    /// A wake-up was pushed.
    pub fn queue_pushed(&self) {
        self.pushed.inc();
    }

    /// A wake-up was taken.
    pub fn queue_taken(&self) {
        self.taken.inc();
    }

    /// A stuck queue worker was replaced.
    pub fn queue_worker_replaced(&self) {
        self.replaced.inc();
    }

    /// A webhook attempt ended (`delivered`, `retry`, `failed`).
    pub fn webhook(&self, outcome: &'static str) {
        self.webhooks.get_or_create(&WebhookLabel { outcome }).inc();
    }

    /// Whether this process pauses a portal (`portal` is an OPCO slug).
    pub fn portal_breaker(&self, portal: &'static str, open: bool) {
        self.breaker_open
            .get_or_create(&PortalLabel { portal })
            .set(i64::from(open));
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
