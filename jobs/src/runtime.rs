//! The worker runtime: claims a job's lease, runs its handler under a heartbeat, decides retries,
//! and keeps the fleet honest (a reaper re-queues jobs whose worker died, and re-sends wake-ups the
//! queue lost).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use domain::JobId;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::error::{JobError, Retry, StoreError};
use crate::kind::JobKind;
use crate::metrics::Metrics;
use crate::queue::{Queue, WorkerSlot};
use crate::store::{Claimed, Finish, Lease, Store, now_ms};

/// One reason an input was refused, for one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The JSON path of the field (`input.expected_name.surname`).
    pub field: String,
    /// What is wrong and what to do, in French.
    pub message: String,
}

impl FieldError {
    /// A reason for one field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How a handler ended an attempt (errors go through [`JobError`]).
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Done, with its result.
    Done(Value),
    /// A person must act; the result so far and what is asked of them.
    NeedsHuman(Value, JobError),
}

/// What a handler gets besides its input.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The job.
    pub job_id: JobId,
    /// Attempt number, from 1.
    pub attempt: i64,
    /// The worker running it.
    pub worker_id: String,
    /// Cancelled when the job must stop at its next safe point (cancel asked, lease lost,
    /// shutdown). Handlers check it between steps.
    pub stop: CancellationToken,
}

/// The code for one job kind.
pub trait Handler: Send + Sync + 'static {
    /// Checks an input before the job is accepted; every problem is reported, not just the first.
    fn validate(&self, input: &Value) -> Result<(), Vec<FieldError>>;
    /// Runs one attempt.
    fn run(&self, ctx: JobContext, input: Value) -> BoxFuture<'static, Result<Outcome, JobError>>;
    /// The input to keep once the job has ended, when it holds data the job no longer needs
    /// (personal data above all). `None` keeps it whole.
    fn scrub_input(&self, _input: &Value) -> Option<Value> {
        None
    }
}

/// The handlers this process has. A kind without one is refused by the API.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<JobKind, Arc<dyn Handler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    /// Adds the handler of a kind.
    pub fn with(mut self, kind: JobKind, handler: impl Handler) -> Self {
        self.handlers.insert(kind, Arc::new(handler));
        self
    }

    /// The handler of a kind, if this process has one.
    pub fn get(&self, kind: JobKind) -> Option<&Arc<dyn Handler>> {
        self.handlers.get(&kind)
    }
}

/// Timing and retry policy of the workers.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// How often a running job renews its lease.
    pub heartbeat: Duration,
    /// How often the reaper looks for expired leases and lost wake-ups.
    pub reaper_interval: Duration,
    /// A job due this long and still not started gets a new wake-up.
    pub stale_wake: Duration,
    /// First retry delay.
    pub retry_min_delay: Duration,
    /// Longest retry delay.
    pub retry_max_delay: Duration,
    /// How long a shutdown waits for running jobs to reach a safe point.
    pub shutdown_timeout: Duration,
    /// Queue workers (jobs run at once) in this process.
    pub concurrency: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(5),
            reaper_interval: Duration::from_secs(5),
            stale_wake: Duration::from_secs(60),
            retry_min_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(600),
            shutdown_timeout: Duration::from_secs(30),
            concurrency: 2,
        }
    }
}

impl RuntimeConfig {
    /// Backoff before attempt `n + 1` after `n` failed attempts: exponential, jittered, capped.
    pub fn retry_delay(&self, failed_attempts: i64) -> Duration {
        ExponentialBuilder::default()
            .with_min_delay(self.retry_min_delay)
            .with_max_delay(self.retry_max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
            .nth(usize::try_from(failed_attempts.saturating_sub(1)).unwrap_or(0))
            .unwrap_or(self.retry_max_delay)
    }
}

/// Shared by the API (to push) and the workers (to run).
#[derive(Clone, Debug)]
pub struct Runtime {
    /// The durable state.
    pub store: Store,
    /// The queue.
    pub queue: Queue,
    /// Handlers by kind.
    pub registry: Registry,
    /// Policy.
    pub config: RuntimeConfig,
    /// Metrics.
    pub metrics: Metrics,
    /// This process's unique id (`host-pid-random`).
    pub process_id: String,
    last_beat_ms: Arc<AtomicI64>,
    /// One permit per job this process may run at once (`concurrency`).
    slots: Arc<Semaphore>,
    /// The attempts running in this process: they belong to the runtime, not to the queue
    /// worker that delivered their wake-up, so a queue failure does not orphan them.
    running: TaskTracker,
    /// When the queue worker last handed this process a wake-up (unix ms).
    last_delivery_ms: Arc<AtomicI64>,
    /// Since when reaper rounds have had to re-send wake-ups for due jobs while a slot was free
    /// and nothing was delivered (unix ms; 0: not now).
    resend_streak_ms: Arc<AtomicI64>,
    /// Asks the supervisor for a new queue worker (the current one stopped taking wake-ups).
    restart_queue: Arc<Notify>,
}

/// Whether the queue worker looks stuck: reaper rounds have re-sent wake-ups for due jobs since
/// `streak_start_ms` while this process had a free slot, none was delivered since, and that has
/// lasted `stall_ms`. apalis-sqlite 1.0's worker can stop fetching for good while its heartbeat
/// goes on (apalis-dev/apalis-sqlite#58, seen here: a job woken every 3 s for 2 minutes, never
/// taken); only a new worker fetches again.
fn queue_stalled(streak_start_ms: i64, last_delivery_ms: i64, now_ms: i64, stall_ms: i64) -> bool {
    streak_start_ms > 0
        && last_delivery_ms < streak_start_ms
        && now_ms - streak_start_ms >= stall_ms
}

/// A task aborted when this guard drops: whatever ends or drops a job's future stops the tasks
/// that belong to it (its heartbeat above all) in the same step.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Makes the id of one process start: unique even when a pid is reused.
pub fn new_process_id() -> String {
    let host = hostname();
    let rand: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(6)
        .collect();
    format!("{host}-{}-{rand}", std::process::id())
}

/// The machine's name, for worker ids.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

impl Runtime {
    /// Puts the parts together.
    pub fn new(
        store: Store,
        queue: Queue,
        registry: Registry,
        config: RuntimeConfig,
        metrics: Metrics,
    ) -> Self {
        Self {
            store,
            queue,
            registry,
            metrics,
            process_id: new_process_id(),
            last_beat_ms: Arc::new(AtomicI64::new(0)),
            slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
            running: TaskTracker::new(),
            last_delivery_ms: Arc::new(AtomicI64::new(0)),
            resend_streak_ms: Arc::new(AtomicI64::new(0)),
            restart_queue: Arc::new(Notify::new()),
            config,
        }
    }

    /// Sends a job's wake-up and notes it in the store. A failure here loses nothing: the reaper
    /// re-sends wake-ups for due jobs the queue does not carry.
    pub async fn wake(&self, job_id: JobId, after: Option<Duration>) -> Result<(), StoreError> {
        self.queue.push(job_id, after).await?;
        self.metrics.queue_pushed();
        self.store.mark_pushed(job_id).await
    }

    /// When this process's workers last said they were alive (unix ms; 0 = never).
    pub fn last_worker_beat_ms(&self) -> i64 {
        self.last_beat_ms.load(Ordering::Relaxed)
    }

    /// Claims and runs one job. Returns once the attempt has ended or been handed back.
    ///
    /// The attempt waits for one of the process's `concurrency` slots, then runs in a task of
    /// its own: if the queue worker that delivered the wake-up fails (a Redis restart), the
    /// attempt goes on to its end under its heartbeat instead of being dropped half-way.
    pub async fn execute(
        self: Arc<Self>,
        job_id: JobId,
        worker_id: String,
        shutdown: CancellationToken,
    ) {
        self.metrics.queue_taken();
        let permit = tokio::select! {
            permit = Arc::clone(&self.slots).acquire_owned() => permit,
            () = shutdown.cancelled() => {
                self.hand_back(job_id).await;
                return;
            }
        };
        let Ok(permit) = permit else { return };
        if shutdown.is_cancelled() {
            self.hand_back(job_id).await;
            return;
        }
        let rt = Arc::clone(&self);
        let attempt = self
            .running
            .spawn(async move { rt.claim_and_run(job_id, worker_id, shutdown, permit).await });
        if let Err(error) = attempt.await {
            tracing::error!(%job_id, %error, "Job attempt task panicked; its lease will expire and the job run again");
        }
    }

    /// A wake-up this process will not use (shutdown): sent back so another worker takes it now.
    async fn hand_back(&self, job_id: JobId) {
        if let Err(error) = self.wake(job_id, None).await {
            tracing::debug!(%job_id, %error, "Cannot hand a wake-up back; the reaper will re-send it");
        }
    }

    async fn claim_and_run(
        self: Arc<Self>,
        job_id: JobId,
        worker_id: String,
        shutdown: CancellationToken,
        _permit: OwnedSemaphorePermit,
    ) {
        let claimed = match self
            .store
            .claim(job_id, &worker_id, self.config.lease)
            .await
        {
            Ok(Some(c)) => c,
            Ok(None) => {
                self.early_or_stale(job_id).await;
                return;
            }
            Err(error) => {
                // The job stays claimable; it is woken again in seconds, not after the
                // stale-wake delay (the wake-up that brought us here is spent).
                tracing::warn!(%job_id, %error, "Cannot claim a job; it will be woken again");
                let again = Duration::from_secs(2).min(self.config.stale_wake);
                if let Err(error) = self.queue.push(job_id, Some(again)).await {
                    tracing::debug!(%job_id, %error, "Cannot re-send the wake-up; the reaper will");
                }
                return;
            }
        };
        let span = tracing::info_span!("job", job_id = %job_id, kind = %claimed.job.kind, attempt = claimed.job.attempts, worker = %worker_id);
        self.run_claimed(claimed, &shutdown).instrument(span).await;
    }

    /// A wake-up the claim refused: stale (the job ran or ended) and dropped, or early (a
    /// retry's backoff not over, clocks apart) and sent again for when the job is due.
    async fn early_or_stale(&self, job_id: JobId) {
        match self.store.get(job_id).await {
            Ok(Some(job)) if job.state.is_claimable() => {
                let wait_ms = job.next_run_at.timestamp_millis() - now_ms();
                if wait_ms > 0 {
                    let after = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
                    tracing::debug!(%job_id, wait_ms, "Wake-up came before the job is due; sent again for then");
                    if let Err(error) = self.queue.push(job_id, Some(after)).await {
                        tracing::debug!(%job_id, %error, "Cannot re-send the wake-up; the reaper will");
                    }
                }
            }
            _ => tracing::debug!(%job_id, "Wake-up for a job that is not claimable; dropped"),
        }
    }

    async fn run_claimed(&self, claimed: Claimed, shutdown: &CancellationToken) {
        let job = &claimed.job;
        let kind = job.kind;
        self.metrics.job_started(kind);
        tracing::info!("Job attempt started");
        let started = Instant::now();

        let stop = CancellationToken::new();
        let lost = CancellationToken::new();
        let cancel_asked = CancellationToken::new();
        let beat = AbortOnDrop(tokio::spawn(heartbeat_loop(
            self.store.clone(),
            job.id,
            claimed.worker_id.clone(),
            self.config.clone(),
            stop.clone(),
            lost.clone(),
            cancel_asked.clone(),
        )));
        let relay = {
            let stop = stop.clone();
            let shutdown = shutdown.clone();
            AbortOnDrop(tokio::spawn(async move {
                shutdown.cancelled().await;
                stop.cancel();
            }))
        };

        let result = match self.registry.get(kind) {
            None => Err(JobError::permanent(
                "kind_not_available",
                format!(
                    "Ce worker ne sait pas exécuter les tâches « {kind} » : déployez une version qui les connaît."
                ),
            )),
            Some(handler) => {
                let ctx = JobContext {
                    job_id: job.id,
                    attempt: job.attempts,
                    worker_id: claimed.worker_id.clone(),
                    stop: stop.clone(),
                };
                let mut fut = handler.run(ctx, job.input.clone());
                tokio::select! {
                    r = &mut fut => Some(r),
                    () = stop.cancelled() => {
                        // Give the handler time to reach its safe point and return.
                        tokio::time::timeout(self.config.shutdown_timeout, fut).await.ok()
                    }
                }
                .unwrap_or_else(|| {
                    Err(JobError::retryable(
                        "interrupted",
                        "La tâche a été interrompue avant la fin.",
                    ))
                })
            }
        };
        drop(beat);
        drop(relay);

        if lost.is_cancelled() {
            tracing::warn!(
                "Lease lost during the attempt (another worker took the job over); result dropped"
            );
            self.metrics
                .job_finished(kind, "lease_lost", started.elapsed().as_secs_f64());
            return;
        }
        let (finish, outcome) = match result {
            Ok(Outcome::Done(v)) => (Finish::Succeeded(v), "succeeded"),
            Ok(Outcome::NeedsHuman(v, e)) => (Finish::NeedsHuman(v, e), "needs_human"),
            Err(_) if cancel_asked.is_cancelled() => (Finish::Cancelled, "cancelled"),
            Err(_) if shutdown.is_cancelled() => (Finish::Released, "released"),
            Err(
                e @ JobError {
                    retry: Retry::Wait(after),
                    ..
                },
            ) => (Finish::Wait(e, after), "waiting"),
            Err(e) if e.is_retryable() && job.attempts < job.max_attempts => {
                let delay = self.config.retry_delay(job.attempts);
                (Finish::Retry(e, delay), "retry")
            }
            Err(mut e) => {
                if e.is_retryable() {
                    e.message = format!("{} (après {} tentatives)", e.message, job.attempts);
                }
                (Finish::Failed(e), "failed")
            }
        };
        let elapsed = started.elapsed().as_secs_f64();
        let wake_after = match &finish {
            Finish::Retry(_, delay) | Finish::Wait(_, delay) => Some(Some(*delay)),
            Finish::Released => Some(None),
            _ => None,
        };
        let scrubbed = self
            .registry
            .get(kind)
            .and_then(|h| h.scrub_input(&job.input));
        match self.store.finish(&claimed, finish, scrubbed).await {
            Ok(Some(done)) => {
                self.metrics.job_finished(kind, outcome, elapsed);
                match &done.error {
                    Some(e) if outcome == "failed" => {
                        tracing::warn!(code = %e.code, message = %e.message, elapsed_s = elapsed, "Job failed")
                    }
                    Some(e) => {
                        tracing::info!(code = %e.code, outcome, elapsed_s = elapsed, "Job attempt ended")
                    }
                    None => tracing::info!(outcome, elapsed_s = elapsed, "Job attempt ended"),
                }
                if let Some(after) = wake_after
                    && let Err(error) = self.wake(done.id, after).await
                {
                    tracing::warn!(%error, "Cannot push the retry wake-up; the reaper will");
                }
            }
            Ok(None) => {
                self.metrics.job_finished(kind, "lease_lost", elapsed);
                tracing::warn!("Lease lost before the result was saved; result dropped");
            }
            Err(error) => {
                // The lease expires and the reaper runs the job again.
                tracing::error!(%error, "Cannot save the job's outcome; it will run again after its lease expires");
            }
        }
    }

    /// Runs this process's workers, reaper and liveness beat until `shutdown`, then waits for
    /// running jobs to reach a safe point (each bounded by the shutdown timeout).
    pub async fn run_workers(
        self: Arc<Self>,
        shutdown: CancellationToken,
    ) -> Result<(), StoreError> {
        self.store
            .register_worker(&self.process_id, &hostname(), std::process::id())
            .await?;
        tracing::info!(process_id = %self.process_id, concurrency = self.config.concurrency, "Workers started");
        // A backlog left while no worker ran is made ready in bounded batches before the first
        // fetch, which would otherwise try to move it all at once.
        match self.queue.promote_all_due().await {
            Ok(n) if n > 0 => tracing::info!(wake_ups = n, "Backlog of wake-ups made ready"),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "Cannot make the backlog of wake-ups ready; the queue worker will retry")
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        let healthy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        {
            let rt = Arc::clone(&self);
            let shutdown = shutdown.clone();
            tasks.spawn(async move { rt.promoter_loop(shutdown).await });
        }
        {
            // One queue worker takes up to `concurrency` wake-ups at once; the slots bound the
            // attempts themselves, even those a failed queue worker left running.
            let rt = Arc::clone(&self);
            let shutdown = shutdown.clone();
            let healthy = Arc::clone(&healthy);
            tasks.spawn(async move { rt.supervise_queue_worker(0, shutdown, healthy).await });
        }
        {
            let rt = Arc::clone(&self);
            let shutdown = shutdown.clone();
            tasks.spawn(async move { rt.reaper_loop(shutdown).await });
        }
        {
            let rt = Arc::clone(&self);
            let shutdown = shutdown.clone();
            let healthy = Arc::clone(&healthy);
            tasks.spawn(async move { rt.liveness_loop(shutdown, healthy).await });
        }
        while tasks.join_next().await.is_some() {}
        self.running.close();
        self.running.wait().await;
        if let Err(error) = self.store.worker_stopped(&self.process_id).await {
            tracing::warn!(%error, "Cannot mark this worker stopped; it will look dead after its heartbeat expires");
        }
        tracing::info!("Workers stopped");
        Ok(())
    }

    /// Keeps one queue worker running: apalis workers can die (a backend error); this restarts
    /// them with a pause, and says so.
    async fn supervise_queue_worker(
        self: Arc<Self>,
        index: usize,
        shutdown: CancellationToken,
        healthy: Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let mut pause = Duration::from_millis(500);
        let mut generation = 0u32;
        loop {
            // A new name on each start: apalis-redis refuses a name seen alive moments ago, and
            // the attempts the failed worker left running keep theirs.
            let worker_id = if generation == 0 {
                format!("{}-w{index}", self.process_id)
            } else {
                format!("{}-w{index}r{generation}", self.process_id)
            };
            generation += 1;
            let runtime = Arc::clone(&self);
            let slot = WorkerSlot {
                execute: Arc::new(move |job_id, worker_id, shutdown| {
                    let runtime = Arc::clone(&runtime);
                    Box::pin(async move {
                        runtime.last_delivery_ms.store(now_ms(), Ordering::SeqCst);
                        runtime.queue.delivered(job_id).await;
                        runtime.execute(job_id, worker_id, shutdown).await;
                    })
                }),
                worker_id,
                shutdown: shutdown.clone(),
            };
            healthy.fetch_add(1, Ordering::SeqCst);
            let started = Instant::now();
            // This worker's own stop: on shutdown, or when the reaper finds it stuck.
            let stop = shutdown.child_token();
            let mut worker = {
                let queue = self.queue.clone();
                let concurrency = self.config.concurrency.max(1);
                let stop = stop.clone();
                tokio::spawn(async move { queue.run_worker(slot, concurrency, stop).await })
            };
            let result = tokio::select! {
                joined = &mut worker => joined.unwrap_or_else(|e| {
                    Err(StoreError::Queue(format!("the queue worker panicked: {e}")))
                }),
                () = self.restart_queue.notified() => {
                    // It stops fetching and lets the attempts it delivered run to their end
                    // (detached); a new one takes the wake-ups from now on.
                    stop.cancel();
                    healthy.fetch_sub(1, Ordering::SeqCst);
                    tracing::warn!(index, "Queue worker replaced: it took no wake-up while jobs were due");
                    continue;
                }
            };
            healthy.fetch_sub(1, Ordering::SeqCst);
            if shutdown.is_cancelled() {
                return;
            }
            match result {
                Ok(()) => tracing::error!(index, "Queue worker stopped by itself; restarting it"),
                Err(error) => tracing::error!(index, %error, "Queue worker failed; restarting it"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
            // A queue back within seconds (a Redis restart) is used within seconds.
            pause = if started.elapsed() > Duration::from_secs(30) {
                Duration::from_millis(500)
            } else {
                (pause * 2).min(Duration::from_secs(1))
            };
        }
    }

    async fn reaper_loop(self: Arc<Self>, shutdown: CancellationToken) {
        let vacuum_every = (600_000 / self.config.reaper_interval.as_millis().max(1)).max(1);
        let mut round: u128 = 0;
        loop {
            if let Err(error) = self.reap_once().await {
                tracing::warn!(%error, "Reaper round failed; trying again");
            }
            round += 1;
            if round.is_multiple_of(vacuum_every) {
                match self.queue.vacuum(Duration::from_secs(3600)).await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "Old queue messages vacuumed"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "Queue vacuum failed; trying again later"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.config.reaper_interval) => {}
            }
        }
    }

    /// One reaper round: re-queue jobs whose lease expired and re-send lost wake-ups.
    pub async fn reap_once(&self) -> Result<(), StoreError> {
        for id in self.store.reap_expired_leases(&self.process_id).await? {
            tracing::warn!(job_id = %id, "Lease expired (worker gone); job re-queued");
            self.wake(id, None).await?;
        }
        let stale = self.store.due_unpushed(self.config.stale_wake).await?;
        // A wake-up still waiting in a long backlog is not lost: re-sending it would only grow
        // the backlog. A mark older than ten stale delays is not trusted.
        let trust_since =
            now_ms() - i64::try_from((self.config.stale_wake * 10).as_millis()).unwrap_or(i64::MAX);
        let resend = self.queue.not_waiting(stale, trust_since).await?;
        for id in &resend {
            tracing::info!(job_id = %id, "Due job without a wake-up in the queue; sending one");
            self.wake(*id, None).await?;
        }
        // Every due job, its wake-up fresh or not: while any waits, a stall is still under way.
        let due = if resend.is_empty() {
            self.store.due_unpushed(Duration::ZERO).await?.len()
        } else {
            resend.len()
        };
        self.watch_queue_worker(due, resend.len());
        match self.queue.sweep_done().await {
            Ok(n) if n > 0 => {
                tracing::debug!(deleted = n, "Handled wake-ups removed from the queue")
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "Cannot remove handled wake-ups; trying again"),
        }
        Ok(())
    }

    /// After a reaper round that found `due` jobs waiting and re-sent `resent` wake-ups: asks for
    /// a new queue worker when the current one has taken none for a while though jobs are due and
    /// a slot is free. A re-sent wake-up starts the watch (a healthy worker takes a wake-up within
    /// its poll interval, long before it goes stale); rounds in between, whose wake-ups are still
    /// fresh, keep it going while the jobs wait; a delivery, nothing due or no free slot ends it.
    fn watch_queue_worker(&self, due: usize, resent: usize) {
        let free_slot = self.slots.available_permits() > 0;
        if due == 0 || !free_slot {
            self.resend_streak_ms.store(0, Ordering::SeqCst);
            return;
        }
        let now = now_ms();
        let last_delivery = self.last_delivery_ms.load(Ordering::SeqCst);
        let mut streak = self.resend_streak_ms.load(Ordering::SeqCst);
        if streak > 0 && last_delivery >= streak {
            // The worker took something since the watch began: it is not stuck.
            streak = 0;
            self.resend_streak_ms.store(0, Ordering::SeqCst);
        }
        if streak == 0 {
            if resent == 0 {
                return;
            }
            streak = now;
            self.resend_streak_ms.store(now, Ordering::SeqCst);
        }
        let stall = (self.config.reaper_interval * 3).max(self.config.stale_wake);
        let stall_ms = i64::try_from(stall.as_millis()).unwrap_or(i64::MAX);
        if queue_stalled(streak, last_delivery, now, stall_ms) {
            tracing::warn!(
                due,
                waited_s = (now - streak) / 1000,
                "The queue worker has taken no wake-up while jobs are due and a slot is free; replacing it"
            );
            self.resend_streak_ms.store(0, Ordering::SeqCst);
            self.metrics.queue_worker_replaced();
            self.restart_queue.notify_one();
        }
    }

    async fn promoter_loop(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.queue.promote_all_due().await {
                tracing::debug!(%error, "Cannot promote due wake-ups; trying again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
    }

    async fn liveness_loop(
        self: Arc<Self>,
        shutdown: CancellationToken,
        healthy: Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let every = (self.config.heartbeat / 2).max(Duration::from_millis(200));
        loop {
            // Only a process whose queue worker runs says it is alive.
            if healthy.load(Ordering::SeqCst) >= 1 {
                match self.store.worker_alive(&self.process_id).await {
                    Ok(()) => self.last_beat_ms.store(now_ms(), Ordering::Relaxed),
                    Err(error) => tracing::warn!(%error, "Cannot record worker liveness"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

async fn heartbeat_loop(
    store: Store,
    id: JobId,
    worker_id: String,
    config: RuntimeConfig,
    stop: CancellationToken,
    lost: CancellationToken,
    cancel_asked: CancellationToken,
) {
    loop {
        tokio::time::sleep(config.heartbeat).await;
        match store.heartbeat(id, &worker_id, config.lease).await {
            Ok(Lease::Held {
                cancel_requested: false,
            }) => {}
            Ok(Lease::Held {
                cancel_requested: true,
            }) => {
                cancel_asked.cancel();
                stop.cancel();
            }
            Ok(Lease::Lost) => {
                lost.cancel();
                stop.cancel();
                return;
            }
            Err(error) => tracing::warn!(%error, "Cannot renew the job's lease; trying again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_exponentially_within_bounds() {
        let cfg = RuntimeConfig {
            retry_min_delay: Duration::from_secs(1),
            retry_max_delay: Duration::from_secs(30),
            ..RuntimeConfig::default()
        };
        let d1 = cfg.retry_delay(1);
        let d4 = cfg.retry_delay(4);
        assert!(
            d1 >= Duration::from_secs(1) && d1 <= Duration::from_secs(2),
            "{d1:?}"
        );
        assert!(
            d4 >= Duration::from_secs(8) && d4 <= Duration::from_secs(16),
            "{d4:?}"
        );
        assert!(cfg.retry_delay(40) <= Duration::from_secs(60));
    }

    #[test]
    fn a_queue_worker_is_stuck_only_when_nothing_came_since_the_resends_began_for_long_enough() {
        // Re-sends since t=1000, nothing delivered since t=500: stuck from t=1000+stall.
        assert!(!queue_stalled(1000, 500, 1500, 1000));
        assert!(queue_stalled(1000, 500, 2000, 1000));
        // A wake-up delivered after the re-sends began: not stuck.
        assert!(!queue_stalled(1000, 1200, 5000, 1000));
        // No re-sends under way.
        assert!(!queue_stalled(0, 0, 5000, 1000));
    }
}
