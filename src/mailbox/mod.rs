//! Mailbox sources: a local Maildir (the zero-setup default) and IMAP. Each pass
//! fetches what has not been processed, hands it to ingestion in batches, and marks a
//! message processed on the source only after its batch has committed.

use chrono::{DateTime, Utc};

use crate::config::{Config, MailboxConfig};
use crate::ingest::{self, Incoming, Options, Outcome, Report};
use crate::store::{Store, StoreError};

pub mod imap;
pub mod maildir;

/// Messages per transaction: big enough to amortise the commit, small enough that a
/// crash repeats little work (repeats are harmless: ingestion is idempotent).
pub const BATCH: usize = 500;

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
            } => {
                tracing::info!(source, %reference, kind = kind.as_str(), acknowledged, "new case")
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
