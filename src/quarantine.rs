//! Quarantined mail and what a manager does with it (an engine, like `actions`): list
//! it, read it safely, attach it to a case, open it as a new case, or discard it with
//! a reason. The CLI (`redress quarantine`) and the web desk's Quarantine page call
//! these same functions.
//!
//! A release parses the bytes with ingestion's own parser and stores the message as
//! ingestion would (threading headers, attachments, the search index), in one
//! transaction with the case's event and the quarantine row's resolution (who, when,
//! where to); the row's bytes are then erased, so it leaves the list and cannot be
//! released twice. A discard has no case: who, when and why are kept on the
//! quarantine row itself (`quarantine_resolutions`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::admission;
use crate::case::Kind;
use crate::config::Config;
use crate::event::EventKind;
use crate::ingest::{self, Options, Outcome, Stored};
use crate::message::{parse_limited, Parsed};
use crate::plan::{refused, Result};
use crate::store::mail::Mail;
use crate::store::messages::NewMessage;
use crate::store::quarantine::Held;
use crate::store::{NewEvent, QuarantineRow, Store};
use crate::time::stamp;

/// How much of a quarantined message is shown for reading (`--show`, the desk's page).
pub const SHOW_LIMIT: usize = 64 * 1024;

/// A quarantined message in a listing: its row, and who sent it and its subject as its
/// headers say (one line each, control characters out).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub row: QuarantineRow,
    pub from: Option<String>,
    pub subject: Option<String>,
}

impl Entry {
    fn of(row: QuarantineRow) -> Entry {
        let head = &row.head[..crate::text::header_end(&row.head).unwrap_or(row.head.len())];
        let parsed = std::panic::catch_unwind(|| crate::message::parse(head))
            .ok()
            .flatten();
        let from = parsed.as_ref().and_then(|p| match (&p.from_name, &p.from) {
            (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
            (None, Some(a)) => Some(a.clone()),
            _ => None,
        });
        let subject = parsed
            .map(|p| crate::text::one_line(&p.subject, 200))
            .filter(|s| !s.is_empty());
        Entry { row, from, subject }
    }
}

/// Quarantined mail waiting for a manager (with `all`, the resolved too), oldest first.
pub fn list(store: &Store, all: bool) -> Result<Vec<Entry>> {
    Ok(store.quarantine(all)?.into_iter().map(Entry::of).collect())
}

/// One quarantined message, resolved or not.
pub fn entry(store: &Store, id: i64) -> Result<Entry> {
    Ok(Entry::of(store.quarantined(id)?))
}

/// A quarantined message for reading: its first [`SHOW_LIMIT`] bytes as text (only
/// those are read: a message may be hundreds of MB), line breaks and tabs kept and
/// every other control character or non-UTF-8 byte escaped (never markup: the desk
/// escapes it again as HTML), and how many bytes were left out.
pub fn readable(store: &Store, id: i64) -> Result<(String, usize)> {
    let (head, size) = store.quarantined_head(id, SHOW_LIMIT)?;
    Ok((
        crate::escape::escape_bytes(&head),
        size.saturating_sub(head.len()),
    ))
}

/// The bytes as received, for a manager to download (refused once resolved: erased).
pub fn raw(store: &Store, id: i64) -> Result<Vec<u8>> {
    Ok(store.quarantined_raw(id)?)
}

/// The message as ingestion would store it: parsed by ingestion's own parser (a parser
/// panic is a refusal, not a crash); for a message over `max_message_bytes`, its text
/// within that limit, its attachments recorded but not kept, and only its header
/// section kept as its bytes (as the mailbox sources keep oversized mail). Mail that
/// is not a message at all cannot go on a case.
struct Release {
    parsed: Parsed,
    /// The bytes the message row keeps.
    kept: Vec<u8>,
    /// The ingestion key it is stored under.
    key: String,
    /// Why a web-form relay's mail has no resident to answer, if so.
    relay_refused: Option<String>,
}

fn release(cfg: &Config, id: i64, h: &Held) -> Result<Release> {
    let limit = cfg.inbound.max_message_bytes;
    let oversize = h.raw.len() > limit;
    let attachment_limit = if oversize {
        0
    } else {
        cfg.inbound.max_attachment_bytes
    };
    let parsed = match std::panic::catch_unwind(|| parse_limited(&h.raw, attachment_limit)) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Err(refused(format!(
                "quarantined message {id} is not a mail message (no headers could be parsed): it cannot go on a case; discard it"
            )))
        }
        Err(_) => {
            return Err(refused(format!(
                "quarantined message {id} could not be parsed (the MIME parser failed): it cannot go on a case; discard it"
            )))
        }
    };
    let (mut parsed, relay_refused) = match admission::via_relay(&cfg.inbound, parsed.clone()) {
        Ok(p) => (p, None),
        Err(why) => (parsed, Some(why)),
    };
    if oversize {
        // Parsed with no room for attachments: each is recorded (name, type, size,
        // digest), none kept, and the note says why.
        for a in &mut parsed.attachments {
            a.left_out = Some(format!(
                "left out: {} bytes, in a message of {} bytes, over the {limit} byte limit",
                a.size,
                h.raw.len()
            ));
        }
    }
    if parsed.body.len() > limit {
        parsed.body = crate::text::cap(std::mem::take(&mut parsed.body), limit);
    }
    if parsed.body.trim().is_empty() && (oversize || h.reason.contains("only its headers")) {
        // Mail kept from its headers alone (too big to read): say so where the text goes.
        parsed.body = format!("[No text was kept: {}.]", h.reason);
    }
    let kept = if oversize {
        let end = crate::text::header_end(&h.raw).unwrap_or(h.raw.len().min(SHOW_LIMIT));
        h.raw[..end.min(h.raw.len())].to_vec()
    } else {
        h.raw.clone()
    };
    // The key ingestion gives a message it can read; else the one it was quarantined under.
    let key = match &parsed.message_id {
        Some(mid) => crate::ingest::message_key(mid, &parsed.content_digest),
        None => h.key.clone(),
    };
    Ok(Release {
        parsed,
        kept,
        key,
        relay_refused,
    })
}

/// When the mailbox delivered a quarantined message (the time it was quarantined).
fn delivered(h: &Held) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&h.received_at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Refuse a release whose message is on file already (the same mail delivered again).
fn not_stored_yet(sp: &Mail, id: i64, key: &str) -> Result<()> {
    match sp.stored_under_key(key)? {
        None => Ok(()),
        Some((m, Some(reference))) => Err(refused(format!(
            "quarantined message {id} is already on case {reference} (message {m}): discard it"
        ))),
        Some((m, None)) => Err(refused(format!(
            "quarantined message {id} is already stored (message {m}, on no case): discard it"
        ))),
    }
}

/// `quarantine --attach ID REF`: the message joins case `reference` as a message ingestion
/// threaded to it would, with the event "message attached from quarantine". No letter
/// goes, and the message never acts for the customer by itself (it is stored with a
/// no-reply reason, as automatic mail is): the officer reads it and acts.
pub fn attach(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    id: i64,
    reference: &str,
) -> Result<String> {
    let tx = store.quarantine_transaction()?;
    let sp = tx.mail();
    let h = sp.held(id)?;
    let case = sp.find_case(reference)?;
    let r = release(cfg, id, &h)?;
    not_stored_yet(&sp, id, &r.key)?;
    let p = &r.parsed;
    let received_at = admission::received_at(delivered(&h), p.date, now);
    let no_reply = p
        .noise
        .clone()
        .unwrap_or_else(|| format!("attached from quarantine by {actor}"));
    sp.insert_message(&NewMessage {
        case_id: Some(case.id),
        key: &r.key,
        raw: &r.kept,
        parsed: p,
        received_at,
        status: "attached",
        matched_by: Some("quarantine"),
        no_reply: Some(&no_reply),
        triage: None,
    })?;
    sp.insert_event(&NewEvent {
        case_id: case.id,
        at: now,
        actor,
        kind: EventKind::MessageAttachedFromQuarantine,
        from_state: None,
        to_state: None,
        detail: Some(&format!(
            "quarantined message {id} from {}: {}",
            p.from.as_deref().unwrap_or("no sender"),
            h.reason
        )),
    })?;
    sp.resolve_held(
        id,
        "attached",
        Some(&case.reference),
        None,
        actor,
        &stamp(now),
    )?;
    sp.index_for_search()?;
    tx.commit()?;
    tracing::info!(id, actor, reference = %case.reference, "quarantined message attached to a case");
    Ok(case.reference)
}

/// What opening a quarantined message as a case did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub reference: String,
    pub kind: Kind,
    /// Whether its automatic letter (the acknowledgement) was asked for.
    pub acknowledged: bool,
}

/// `quarantine --open ID`: a new case from the message, exactly as ingestion opens one
/// (triage, service, deadlines, and the automatic letter unless the same rules hold it:
/// caps, restriction, age, or mail no automatic reply may answer), opened by `actor`,
/// with the event "opened from quarantine".
pub fn open(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    id: i64,
) -> Result<Opened> {
    let tx = store.quarantine_transaction()?;
    let sp = tx.mail();
    let h = sp.held(id)?;
    let r = release(cfg, id, &h)?;
    if let Some(why) = &r.relay_refused {
        return Err(refused(format!(
            "quarantined message {id} cannot open a case ({why}): attach it to a case, or record the complaint with `redress new`"
        )));
    }
    let Some(from) = r.parsed.from.clone() else {
        return Err(refused(format!(
            "quarantined message {id} has no sender address to answer: attach it to a case, or record the complaint with `redress new`"
        )));
    };
    not_stored_yet(&sp, id, &r.key)?;
    let mut p = r.parsed;
    // The loop rules ingestion applies: mail from the inbox itself, or our own letter back.
    crate::ingest::mark_loop(&sp, cfg, &mut p, &from)?;
    let reading = ingest::Reading::classified(cfg, &p);
    let stored = Stored {
        key: &r.key,
        raw: &r.kept,
        parsed: &p,
        received_at: admission::received_at(delivered(&h), p.date, now),
    };
    let outcome = ingest::store_new_case(
        &sp,
        cfg,
        &stored,
        reading,
        &from,
        now,
        Options::default(),
        actor,
        p.noise.as_deref(),
    )?;
    let Outcome::NewCase {
        reference,
        kind,
        acknowledged,
        ..
    } = outcome
    else {
        return Err(refused(format!(
            "quarantined message {id} did not open a case"
        )));
    };
    let case = sp.find_case(&reference)?;
    sp.insert_event(&NewEvent {
        case_id: case.id,
        at: now,
        actor,
        kind: EventKind::OpenedFromQuarantine,
        from_state: None,
        to_state: None,
        detail: Some(&format!("quarantined message {id}: {}", h.reason)),
    })?;
    sp.resolve_held(id, "opened", Some(&reference), None, actor, &stamp(now))?;
    sp.index_for_search()?;
    tx.commit()?;
    tracing::info!(id, actor, %reference, "quarantined message opened as a new case");
    Ok(Opened {
        reference,
        kind,
        acknowledged,
    })
}

/// `quarantine --discard ID --reason TEXT`: the message's bytes are erased (overwritten
/// on disk); the row stays with its ingestion key (so the same mail is never stored
/// again) and who discarded it, when and why.
pub fn discard(
    store: &mut Store,
    now: DateTime<Utc>,
    actor: &str,
    id: i64,
    reason: &str,
) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(refused(format!(
            "say why quarantined message {id} is discarded (--reason)"
        )));
    }
    let reason = crate::text::one_line(reason, 500);
    let tx = store.quarantine_transaction()?;
    let sp = tx.mail();
    sp.held(id)?;
    sp.resolve_held(id, "discarded", None, Some(&reason), actor, &stamp(now))?;
    tx.commit()?;
    // Not the reason: it may quote the message.
    tracing::info!(id, actor, "quarantined message discarded, its bytes erased");
    Ok(())
}
