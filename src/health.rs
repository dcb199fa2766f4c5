//! What this process knows about itself, for `/healthz` and `/metrics`: the daemon's
//! tasks (running, or waiting to restart after a failure; their last good pass), the
//! messages its mailbox passes ingested and quarantined, and how long the desk's
//! requests take. One registry per process, written by the daemon and the desk as they
//! work (a few atomic adds and a short lock per pass or request), read by
//! [`crate::web`]'s health routes. Figures from the database are the store's
//! ([`crate::store::health`]).

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// One daemon task as its supervisor and its passes report it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TaskState {
    /// Started and not (yet) failed; false while it waits to restart.
    pub running: bool,
    /// When it first started in this process.
    pub started_at: Option<DateTime<Utc>>,
    pub last_good_pass: Option<DateTime<Utc>>,
    pub restarts: u64,
    pub last_failure: Option<DateTime<Utc>>,
    /// The last failure's error, as logged.
    pub last_error: Option<String>,
}

/// The desk's request latency histogram's upper bounds, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Registry {
    tasks: Mutex<BTreeMap<&'static str, TaskState>>,
    ingested: AtomicU64,
    quarantined: AtomicU64,
    /// Requests whose duration was at most each bound (not cumulative here).
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    requests: AtomicU64,
    /// The sum of durations in microseconds.
    micros: AtomicU64,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::default)
}

fn with_task(name: &'static str, f: impl FnOnce(&mut TaskState)) {
    let mut tasks = registry().tasks.lock().unwrap_or_else(|p| p.into_inner());
    f(tasks.entry(name).or_default());
}

/// Task `name` (re)started.
pub fn task_started(name: &'static str) {
    let now = Utc::now();
    with_task(name, |t| {
        t.running = true;
        t.started_at.get_or_insert(now);
    });
}

/// Task `name` made a good pass.
pub fn task_passed(name: &'static str) {
    let now = Utc::now();
    with_task(name, |t| {
        t.running = true;
        t.last_good_pass = Some(now);
    });
}

/// Task `name` failed and waits to restart.
pub fn task_failed(name: &'static str, error: &str) {
    let now = Utc::now();
    with_task(name, |t| {
        t.running = false;
        t.restarts += 1;
        t.last_failure = Some(now);
        t.last_error = Some(error.chars().take(300).collect());
    });
}

/// Task `name` stopped at shutdown.
pub fn task_stopped(name: &'static str) {
    with_task(name, |t| t.running = false);
}

/// The daemon's tasks in this process (empty under `redress web`).
pub fn tasks() -> BTreeMap<&'static str, TaskState> {
    registry()
        .tasks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// A mailbox pass stored `ingested` messages and quarantined `quarantined`.
pub fn messages(ingested: usize, quarantined: usize) {
    let r = registry();
    r.ingested.fetch_add(ingested as u64, Ordering::Relaxed);
    r.quarantined
        .fetch_add(quarantined as u64, Ordering::Relaxed);
}

/// Messages ingested and quarantined by this process since it started.
pub fn message_totals() -> (u64, u64) {
    let r = registry();
    (
        r.ingested.load(Ordering::Relaxed),
        r.quarantined.load(Ordering::Relaxed),
    )
}

/// One desk request took `d`.
pub fn request_took(d: Duration) {
    let r = registry();
    let secs = d.as_secs_f64();
    if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
        r.buckets[i].fetch_add(1, Ordering::Relaxed);
    }
    r.requests.fetch_add(1, Ordering::Relaxed);
    r.micros.fetch_add(
        d.as_micros().min(u64::MAX as u128) as u64,
        Ordering::Relaxed,
    );
}

/// The latency histogram: cumulative counts per bound, the total count and the sum
/// of durations in seconds.
pub fn latency() -> (Vec<(f64, u64)>, u64, f64) {
    let r = registry();
    let mut running = 0;
    let cumulative = LATENCY_BUCKETS
        .iter()
        .zip(&r.buckets)
        .map(|(b, n)| {
            running += n.load(Ordering::Relaxed);
            (*b, running)
        })
        .collect();
    // Read while requests go on: the total is never below the last bucket's count.
    let total = r.requests.load(Ordering::Relaxed).max(running);
    (
        cumulative,
        total,
        r.micros.load(Ordering::Relaxed) as f64 / 1e6,
    )
}
