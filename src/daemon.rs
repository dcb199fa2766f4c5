//! `redress run`: one tokio process with three tasks — the mailbox watcher, the
//! outbox sender and the scheduler — that watch one shutdown signal; and, beside them,
//! the officers' web desk ([`crate::web::serve`]) on the same signal (a desk that
//! cannot start is logged; mail goes on being handled).
//!
//! - Each task finishes the batch in hand (it has committed) before it looks at the
//!   shutdown signal, so SIGTERM never leaves half a step.
//! - A task that fails or panics is logged and restarted after a pause that doubles
//!   from 1 s to 5 min; the daemon itself never dies silently. Each task counts its good
//!   passes ([`Progress`]); a task that made one since its last restart starts the
//!   doubling again, so an occasional failure never leaves a healthy task waiting 5 min.
//! - The IMAP watcher keeps one session: a pass, then IDLE until the server reports
//!   new mail (or 25 minutes pass, under the 29-minute limit of RFC 2177), then a pass
//!   again. A server without IDLE is polled every `poll_seconds`. A dropped connection
//!   is re-established with the same backoff, and the next pass picks up whatever
//!   arrived meanwhile.
//! - Each task opens its own SQLite connection (WAL lets them work side by side).

use chrono::Utc;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::config::Config;
use crate::mailbox;
use crate::store::Store;

/// The restart pause after `failures` consecutive failures: 1 s doubling to 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(9)).min(Duration::from_secs(300))
}

type Shutdown = watch::Receiver<bool>;

/// The good passes a task has made, shared with its supervisor: a task that has made
/// one since it was (re)started was healthy, and its restart backoff starts afresh.
/// Each good pass is also reported to [`crate::health`] under the task's name.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    passes: Arc<AtomicU64>,
    task: &'static str,
}

impl Progress {
    /// One good pass done.
    pub fn tick(&self) {
        self.passes.fetch_add(1, Ordering::Relaxed);
        if !self.task.is_empty() {
            crate::health::task_passed(self.task);
        }
    }

    fn count(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }
}

/// Consecutive failures after one more: counted from 1 again when the task made a good
/// pass since its last restart.
fn failures_after(failures: u32, progressed: bool) -> u32 {
    if progressed {
        1
    } else {
        failures.saturating_add(1)
    }
}

fn stopping(rx: &Shutdown) -> bool {
    *rx.borrow()
}

/// Sleep for `d` or until shutdown; true when shutting down.
async fn pause(rx: &mut Shutdown, d: Duration) -> bool {
    if stopping(rx) {
        return true;
    }
    tokio::select! {
        _ = rx.changed() => true,
        _ = tokio::time::sleep(d) => stopping(rx),
    }
}

fn log_pass(p: &mailbox::Pass) {
    let r = &p.report;
    if r.seen > 0 {
        tracing::info!(
            seen = r.seen,
            new_cases = r.new_cases,
            attached = r.attached,
            noise = r.noise,
            quarantined = r.quarantined,
            duplicates = r.duplicates,
            "mailbox pass"
        );
    }
}

/// The mailbox watcher: returns Ok on shutdown, Err when it needs restarting. The
/// source watches for mail its own way ([`mailbox::Source::watch`]: IMAP IDLE, or a
/// Maildir looked at every few seconds).
async fn mailbox_task(cfg: Config, mut rx: Shutdown, progress: Progress) -> anyhow::Result<()> {
    let mut store = Store::open(&cfg.database_path())?;
    let mut on_pass = |pass: &mailbox::Pass| {
        log_pass(pass);
        let r = &pass.report;
        crate::health::messages(
            r.seen.saturating_sub(r.duplicates + r.quarantined),
            r.quarantined,
        );
        progress.tick();
    };
    mailbox::Source::of(&cfg)
        .watch(&mut store, &cfg, &mut rx, &mut on_pass)
        .await?;
    Ok(())
}

/// The outbox sender: render what is pending (in a child process), send what is due,
/// every few seconds.
async fn outbox_task(cfg: Config, mut rx: Shutdown, progress: Progress) -> anyhow::Result<()> {
    let mut store = Store::open(&cfg.database_path())?;
    loop {
        // Letters another process (a `redress send`) is rendering are left to it.
        if store.has_claimable_letters(Utc::now())? {
            let rendered = match render_in_child(&cfg).await {
                Ok(n) => n,
                Err(ChildError::Spawn(e)) => {
                    // No program to start (replaced on disk by an upgrade, say): do it here.
                    tracing::warn!(error = %e, "cannot start the letter renderer: rendering in the daemon");
                    let (s, n) = tokio::task::spawn_blocking({
                        let cfg = cfg.clone();
                        move || {
                            let n = crate::outbox::render_pending(&mut store, &cfg, Utc::now());
                            (store, n)
                        }
                    })
                    .await?;
                    store = s;
                    n?
                }
                Err(ChildError::Failed(e)) => return Err(anyhow::anyhow!(e)),
            };
            if rendered > 0 {
                tracing::info!(rendered, "letters rendered");
            }
        }
        // SMTP is synchronous here: run it on a blocking-allowed thread.
        let (s, report) = tokio::task::spawn_blocking({
            let cfg = cfg.clone();
            move || {
                let sent = crate::outbox::send_due(&mut store, &cfg, Utc::now());
                (store, sent)
            }
        })
        .await?;
        store = s;
        tracing::debug!(report = ?report?, "outbox pass");
        progress.tick();
        if pause(&mut rx, Duration::from_secs(5)).await {
            return Ok(());
        }
    }
}

enum ChildError {
    Spawn(std::io::Error),
    Failed(String),
}

/// Render the pending letters with `redress render` in a child process, and wait for it
/// (at shutdown too: the letters in hand are finished). The template engine and the PDF
/// writer, and the memory a burst of 10,000 letters takes, never become part of the
/// long-running daemon (an idle daemon stays under 20 MB resident), and a crash in them
/// is the child's alone: its uncommitted batch is rolled back and rendered next time.
async fn render_in_child(cfg: &Config) -> Result<usize, ChildError> {
    let exe = std::env::current_exe().map_err(ChildError::Spawn)?;
    let mut cmd = tokio::process::Command::new(&exe);
    if let Some(file) = &cfg.file {
        cmd.arg("--config").arg(file);
    }
    cmd.args(["render", "--json"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let out = cmd.output().await.map_err(ChildError::Spawn)?;
    if !out.status.success() {
        return Err(ChildError::Failed(format!(
            "the letter renderer ({} render) exited with {}",
            exe.display(),
            out.status
        )));
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        ChildError::Failed(format!("the letter renderer's report is not JSON: {e}"))
    })?;
    Ok(report["rendered"].as_u64().unwrap_or(0) as usize)
}

/// The scheduler: deadline steps, digests, staff mail, every `tick_seconds`.
async fn scheduler_task(cfg: Config, mut rx: Shutdown, progress: Progress) -> anyhow::Result<()> {
    let mut store = Store::open(&cfg.database_path())?;
    loop {
        let (s, result) = tokio::task::spawn_blocking({
            let cfg = cfg.clone();
            move || {
                let now = Utc::now();
                let r = (|| -> anyhow::Result<(crate::sweep::TickReport, usize, usize)> {
                    let rep = crate::sweep::tick(&mut store, &cfg, now)?;
                    let digests = crate::scheduler::run_digests(&mut store, &cfg, now)?
                        + crate::scheduler::run_reports_and_retention(&mut store, &cfg, now)?;
                    let sent = crate::outbox::send_staff_mail(&mut store, &cfg, now)?;
                    Ok((rep, digests, sent))
                })();
                (store, r)
            }
        })
        .await?;
        store = s;
        let (rep, digests, sent) = result?;
        progress.tick();
        for step in &rep.steps {
            // Steps name case references and dates only: no personal data.
            tracing::info!(step = %step, "scheduled step");
        }
        if digests + sent > 0 {
            tracing::info!(digests, staff_mail_sent = sent, "staff mail");
        }
        if pause(
            &mut rx,
            Duration::from_secs(cfg.workflow.tick_seconds.max(1)),
        )
        .await
        {
            return Ok(());
        }
    }
}

/// Run `task` until it returns Ok (shutdown), restarting it with backoff when it fails or panics.
async fn supervise<F, Fut>(name: &'static str, rx: Shutdown, task: F)
where
    F: Fn(Shutdown, Progress) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    supervise_with(name, rx, task, backoff).await
}

/// [`supervise`] with the pause after `failures` consecutive failures given.
async fn supervise_with<F, Fut>(
    name: &'static str,
    rx: Shutdown,
    task: F,
    pause_for: impl Fn(u32) -> Duration,
) where
    F: Fn(Shutdown, Progress) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut failures = 0u32;
    let mut wait_rx = rx.clone();
    let progress = Progress {
        task: name,
        ..Progress::default()
    };
    loop {
        let before = progress.count();
        crate::health::task_started(name);
        let (what, error) = match tokio::spawn(task(rx.clone(), progress.clone())).await {
            Ok(Ok(())) => {
                crate::health::task_stopped(name);
                return;
            }
            Ok(Err(e)) => ("task failed; restarting", format!("{e:#}")),
            Err(e) => ("task crashed; restarting", e.to_string()),
        };
        crate::health::task_failed(name, &error);
        failures = failures_after(failures, progress.count() != before);
        let wait = pause_for(failures);
        tracing::error!(task = name, %error, retry_in_s = wait.as_secs(), "{what}");
        if pause(&mut wait_rx, wait).await {
            return;
        }
    }
}

/// Run until `shutdown` resolves; returns when every task has finished its work in hand.
pub async fn run(cfg: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    // Open once up front so that a bad data dir fails at start, not in a restart loop.
    drop(Store::open(&cfg.database_path())?);
    tracing::info!(policy = %cfg.policy.name, database = %cfg.database_path().display(), "redress running");
    let (tx, rx) = watch::channel(false);
    let mailbox = tokio::spawn(supervise("mailbox", rx.clone(), {
        let cfg = cfg.clone();
        move |rx, p| mailbox_task(cfg.clone(), rx, p)
    }));
    let outbox = tokio::spawn(supervise("outbox", rx.clone(), {
        let cfg = cfg.clone();
        move |rx, p| outbox_task(cfg.clone(), rx, p)
    }));
    let scheduler = tokio::spawn(supervise("scheduler", rx.clone(), {
        let cfg = cfg.clone();
        move |rx, p| scheduler_task(cfg.clone(), rx, p)
    }));
    // The web desk: a failure to start it (the port taken, say) is logged and the
    // daemon goes on handling mail; it stops with the others.
    let web = cfg.web.enabled.then(|| {
        let mut rx = rx.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            if let Err(e) = crate::web::serve(cfg, None, stop).await {
                tracing::error!(error = %format!("{e:#}"), "web desk not started");
            }
        })
    });
    crate::notify::ready();
    let watchdog = tokio::spawn(crate::notify::watchdog_loop(rx.clone()));
    shutdown.await;
    tracing::info!("shutdown requested: finishing the work in hand");
    crate::notify::stopping();
    let _ = tx.send(true);
    let _ = tokio::join!(mailbox, outbox, scheduler, watchdog);
    if let Some(web) = web {
        let _ = web.await;
    }
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(30), Duration::from_secs(300));
    }

    /// A task that fails after each start, having made a good pass on the starts marked
    /// true: the failures its supervisor counts (and so its pauses) start again from 1
    /// after each good pass, and only grow while the task makes none.
    #[tokio::test]
    async fn restart_backoff_starts_again_after_a_good_pass() {
        use std::sync::Mutex;
        let script = [false, false, false, true, false, true, true, false];
        let starts = Arc::new(AtomicU64::new(0));
        let counted = Arc::new(Mutex::new(Vec::new()));
        let (_tx, rx) = watch::channel(false);
        supervise_with(
            "test",
            rx,
            {
                let starts = starts.clone();
                move |_rx, progress: Progress| {
                    let n = starts.fetch_add(1, Ordering::SeqCst) as usize;
                    async move {
                        match script.get(n) {
                            None => Ok(()), // shut down
                            Some(&good) => {
                                if good {
                                    progress.tick();
                                }
                                if n.is_multiple_of(2) {
                                    anyhow::bail!("pass {n} failed")
                                }
                                panic!("pass {n} crashed")
                            }
                        }
                    }
                }
            },
            {
                let counted = counted.clone();
                move |failures| {
                    counted.lock().unwrap().push(failures);
                    Duration::ZERO
                }
            },
        )
        .await;
        assert_eq!(starts.load(Ordering::SeqCst), script.len() as u64 + 1);
        assert_eq!(*counted.lock().unwrap(), vec![1, 2, 3, 1, 2, 1, 1, 2]);
        assert_eq!(failures_after(u32::MAX, false), u32::MAX);
    }
}
