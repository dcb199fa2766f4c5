//! Mailbox sources: a local Maildir (the zero-setup default) and IMAP. Each pass
//! fetches what has not been processed, hands it to ingestion in batches, and marks a
//! message processed on the source only after its batch has committed.

use chrono::{DateTime, Utc};

use crate::config::{Config, MailboxConfig};
use crate::ingest::{self, Incoming, Options, Outcome, Report};
use crate::store::{Store, StoreError};

pub mod imap;
pub mod maildir;

/// Messages per transaction: big enough to amortise the commit (each one synced to
/// disk), small enough that a crash repeats little work (repeats are harmless:
/// ingestion is idempotent). 1,000 rather than 500 made a 10,000-message IMAP pass
/// about 10% faster for about 6 MB more memory (docs/benchmarks.md).
pub const BATCH: usize = 1000;

/// Message bytes per batch: a batch is also cut when its messages add up to this, so
/// that a run of large mail never sits in memory at once (a single message under
/// `inbound.max_message_bytes` but over this goes in a batch of its own).
pub const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// Of a message over `inbound.max_message_bytes`, only the header section is read,
/// and at most this much of it.
pub const HEADER_CAP: usize = 256 * 1024;

/// Cut a run of messages of these sizes (bytes to be read for each) into batches of at
/// most `first` messages for the first, then [`BATCH`], and at most [`BATCH_BYTES`]
/// each (a message larger than that alone). Returns the index ranges, in order.
pub(crate) fn plan_batches(sizes: &[u64], first: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, &size) in sizes.iter().enumerate() {
        let limit = if out.is_empty() { first.max(1) } else { BATCH };
        if i > start && (i - start >= limit || bytes + size > BATCH_BYTES) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("maildir {path}: {msg}")]
    Maildir { path: String, msg: String },
    #[error("imap {server}: {msg}")]
    Imap { server: String, msg: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Progress callback: (done, total) while a pass runs.
pub type Progress<'a> = &'a mut (dyn FnMut(usize, usize) + Send);

/// What one pass did, with the per-message outcomes for the log.
#[derive(Debug, Default)]
pub struct Pass {
    pub report: Report,
    pub outcomes: Vec<Outcome>,
    /// Message files that could not be read (Maildir): left where they are, logged
    /// with the error, and tried again on the next pass.
    pub unreadable: Vec<String>,
}

/// Ingest one batch and account for it; the caller marks the batch processed after.
pub(crate) fn ingest_and_count(
    store: &mut Store,
    cfg: &Config,
    source: &str,
    batch: &[Incoming],
    now: Option<DateTime<Utc>>,
    opts: Options,
    pass: &mut Pass,
) -> Result<(), MailboxError> {
    let at = now.unwrap_or_else(Utc::now);
    let batch = as_of(batch, now);
    let outcomes = ingest::ingest_batch(store, cfg, source, &batch, at, opts)?;
    count(pass, source, outcomes);
    Ok(())
}

/// Under a fixed clock (--now), mail counts as delivered at that moment (or at its
/// Date header if earlier): the real delivery time belongs to another timeline.
pub(crate) fn as_of<'a>(batch: &[Incoming<'a>], now: Option<DateTime<Utc>>) -> Vec<Incoming<'a>> {
    batch
        .iter()
        .map(|m| Incoming {
            raw: m.raw,
            delivered_at: if now.is_some() { None } else { m.delivered_at },
            full_size: m.full_size,
        })
        .collect()
}

/// Add a batch's outcomes to the pass, logging each (no personal data at info level).
pub(crate) fn count(pass: &mut Pass, source: &str, outcomes: Vec<Outcome>) {
    for o in &outcomes {
        pass.report.add(o);
        match o {
            Outcome::Quarantined { reason } => {
                tracing::warn!(source, %reason, "message quarantined")
            }
            Outcome::NewCase {
                reference,
                kind,
                acknowledged,
                deferred,
                to_triage,
            } => {
                tracing::info!(source, %reference, kind = kind.as_str(), acknowledged, deferred, to_triage, "new case")
            }
            Outcome::Attached {
                reference,
                matched_by,
            } => tracing::info!(source, %reference, %matched_by, "message attached"),
            Outcome::Noise { reason } => tracing::info!(source, %reason, "not answered"),
            Outcome::Duplicate => tracing::debug!(source, "duplicate skipped"),
        }
    }
    pass.outcomes.extend(outcomes);
}

/// The daemon's shutdown signal: true once it is stopping.
pub type Shutdown = tokio::sync::watch::Receiver<bool>;

/// Told of each pass a watch makes (the daemon logs it and counts it as progress).
pub type OnPass<'a> = &'a mut (dyn FnMut(&Pass) + Send);

/// The configured mailbox, as the daemon watches it.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Maildir(&'a std::path::Path),
    Imap(&'a crate::config::ImapConfig),
}

impl<'a> Source<'a> {
    pub fn of(cfg: &'a Config) -> Source<'a> {
        match &cfg.mailbox {
            MailboxConfig::Maildir { path } => Source::Maildir(path),
            MailboxConfig::Imap(icfg) => Source::Imap(icfg),
        }
    }

    /// Ingest what arrives until `shutdown`: a pass, then wait for more (IMAP IDLE
    /// where the server has it, else a poll on an interval), then a pass again; every
    /// pass is handed to `on_pass`. Ok on shutdown (the batch in hand is finished
    /// first); Err when the source needs starting again (a dropped connection...).
    pub async fn watch(
        self,
        store: &mut Store,
        cfg: &Config,
        shutdown: &mut Shutdown,
        on_pass: OnPass<'_>,
    ) -> Result<(), MailboxError> {
        match self {
            Source::Maildir(path) => maildir::watch(store, cfg, path, shutdown, on_pass).await,
            Source::Imap(icfg) => imap::watch(store, cfg, icfg, shutdown, on_pass).await,
        }
    }
}

fn stopping(rx: &Shutdown) -> bool {
    *rx.borrow()
}

/// Sleep for `d` or until shutdown; true when shutting down.
pub(crate) async fn pause(rx: &mut Shutdown, d: std::time::Duration) -> bool {
    if stopping(rx) {
        return true;
    }
    tokio::select! {
        _ = rx.changed() => true,
        _ = tokio::time::sleep(d) => stopping(rx),
    }
}

/// One pass over the configured mailbox.
pub async fn poll_once(
    store: &mut Store,
    cfg: &Config,
    now: Option<DateTime<Utc>>,
    opts: Options,
    progress: Progress<'_>,
) -> Result<Pass, MailboxError> {
    match &cfg.mailbox {
        MailboxConfig::Maildir { path } => maildir::poll(store, cfg, path, now, opts, progress),
        MailboxConfig::Imap(imap_cfg) => {
            imap::poll(store, cfg, imap_cfg, now, opts, progress).await
        }
    }
}

/// After a watched pass, while the daemon waits for more mail: the search index takes
/// the pass's new mail in one transaction of its own, outside the transactions that
/// stored it (a one-shot `poll` leaves it to the first search, which catches up
/// first). If it cannot now, the next pass or search does it.
pub(crate) fn index_when_idle(store: &mut Store) {
    if let Err(e) = store.index_for_search() {
        tracing::warn!(error = %e, "search index not brought up to date");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_by_count_and_by_bytes() {
        let mb = 1024 * 1024;
        // Small mail: by count, the first batch smaller.
        let small = vec![2000u64; 1201];
        let r = plan_batches(&small, 100);
        assert_eq!(r, vec![0..100, 100..1100, 1100..1201]);
        // Six 46 MB messages: one each. 5 MB ones: three to a batch.
        assert_eq!(plan_batches(&[46 * mb; 6], 100).len(), 6);
        assert_eq!(plan_batches(&[5 * mb; 7], 100), vec![0..3, 3..6, 6..7]);
        // A big one between small ones goes alone; nothing is lost or repeated.
        let r = plan_batches(&[mb, mb, 40 * mb, mb], 100);
        assert_eq!(r, vec![0..2, 2..3, 3..4]);
        assert!(plan_batches(&[], 100).is_empty());
    }
}
