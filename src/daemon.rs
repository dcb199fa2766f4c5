//! `redress run`: one process that watches the mailbox and flushes the outbox on a
//! loop until SIGTERM or SIGINT. Each step finishes the batch in hand (it has
//! committed) before the loop looks at the shutdown signal; a failing step is logged
//! and retried on the next round with a growing pause, never ending the daemon.

use chrono::Utc;
use std::future::Future;
use std::time::Duration;

use crate::config::{Config, MailboxConfig};
use crate::ingest::Options;
use crate::store::Store;

/// Pause between rounds after failures: doubles from the normal interval up to 15 minutes.
fn backoff(base: Duration, failures: u32) -> Duration {
    let max = Duration::from_secs(900);
    base.saturating_mul(2u32.saturating_pow(failures.min(10))).min(max)
}

/// One round: a mailbox pass, then render and send what is due. Returns whether all went well.
pub async fn round(store: &mut Store, cfg: &Config) -> bool {
    let mut ok = true;
    let mut quiet = |_: usize, _: usize| {};
    match crate::mailbox::poll_once(store, cfg, None, Options::default(), &mut quiet).await {
        Ok(pass) if pass.report.seen > 0 => {
            let r = &pass.report;
            tracing::info!(seen = r.seen, new_cases = r.new_cases, attached = r.attached, noise = r.noise, quarantined = r.quarantined, "mailbox pass");
        }
        Ok(_) => {}
        Err(e) => {
            ok = false;
            tracing::error!(error = %e, "mailbox pass failed; will retry");
        }
    }
    let now = Utc::now();
    match crate::outbox::render_pending(store, cfg, now) {
        Ok(n) if n > 0 => tracing::info!(rendered = n, "letters rendered"),
        Ok(_) => {}
        Err(e) => {
            ok = false;
            tracing::error!(error = %e, "rendering letters failed; will retry");
        }
    }
    match crate::outbox::send_due(store, cfg, now) {
        Ok(report) => tracing::debug!(?report, "outbox pass"),
        Err(e) => {
            ok = false;
            tracing::error!(error = %e, "sending letters failed; will retry");
        }
    }
    ok
}

/// Run until `shutdown` resolves.
pub async fn run(cfg: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let mut store = Store::open(&cfg.database_path())?;
    let interval = match &cfg.mailbox {
        MailboxConfig::Imap(i) => Duration::from_secs(i.poll_seconds.max(5)),
        MailboxConfig::Maildir { .. } => Duration::from_secs(10),
    };
    tracing::info!(policy = %cfg.policy.name, database = %cfg.database_path().display(), interval_s = interval.as_secs(), "redress running");
    tokio::pin!(shutdown);
    let mut failures = 0u32;
    loop {
        if round(&mut store, &cfg).await {
            failures = 0;
        } else {
            failures += 1;
        }
        let pause = if failures == 0 { interval } else { backoff(interval, failures) };
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("shutting down: work in hand is committed");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
        let b = Duration::from_secs(10);
        assert_eq!(backoff(b, 1), Duration::from_secs(20));
        assert_eq!(backoff(b, 3), Duration::from_secs(80));
        assert_eq!(backoff(b, 30), Duration::from_secs(900));
    }
}
