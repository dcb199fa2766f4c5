//! Received mail: the message rows and their attachments, the ingestion keys that make
//! ingestion idempotent, and the lookups threading asks of the cases, letters and
//! messages on file.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{Result, Store, StoreError};
use crate::message::{Attachment, Parsed};
use crate::thread::{Candidate, Cases, Recent};

/// Whether a message was stored before: under its key (or erased, remembered by the
/// key's hash or, for mail erased before keys carried the content digest, the bare
/// Message-ID's), and whether something is stored under the old key, the bare
/// Message-ID `old_id` (empty: none).
pub(super) fn seen(
    conn: &Connection,
    key: &str,
    key_hash: &str,
    old_key_hash: &str,
    old_id: &str,
) -> Result<(bool, bool)> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE ingest_key = ?1)
                 OR EXISTS (SELECT 1 FROM quarantine WHERE ingest_key = ?1)
                 OR EXISTS (SELECT 1 FROM erased_mail WHERE key_hash IN (?2, ?3)),
                    EXISTS (SELECT 1 FROM messages WHERE ingest_key = ?4)
                 OR EXISTS (SELECT 1 FROM quarantine WHERE ingest_key = ?4)",
        )?
        .query_row(params![key, key_hash, old_key_hash, old_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?)
}

/// The raw bytes stored (as a message, or quarantined) under ingestion key `key`.
pub(super) fn raw_under_key(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached(
            "SELECT raw FROM messages WHERE ingest_key = ?1
             UNION ALL SELECT raw FROM quarantine WHERE ingest_key = ?1 LIMIT 1",
        )?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// The message (id, and its case's reference) already stored under ingestion key `key`.
pub(super) fn stored_under_key(
    conn: &Connection,
    key: &str,
) -> Result<Option<(i64, Option<String>)>> {
    Ok(conn
        .query_row(
            "SELECT m.id, c.reference FROM messages m LEFT JOIN cases c ON c.id = m.case_id WHERE m.ingest_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Whether one of our letters went out with this Message-ID (as written, brackets and all).
pub(super) fn is_our_letter(conn: &Connection, message_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM letters WHERE message_id = ?1)")?
        .query_row([message_id], |r| r.get(0))?)
}

/// The letter that went out with this Message-ID: (letter id, case id, case reference).
pub(super) fn letter_by_message_id(
    conn: &Connection,
    message_id: &str,
) -> Result<Option<(i64, i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT l.id, l.case_id, c.reference FROM letters l JOIN cases c ON c.id = l.case_id WHERE l.message_id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Threading's questions, answered from the database inside the caller's transaction.
pub(crate) struct CaseLookup<'a>(pub(super) &'a Connection);

impl Cases for CaseLookup<'_> {
    type Error = StoreError;

    fn by_reference(&mut self, reference: &str) -> Result<Option<Candidate>> {
        Ok(self.0.prepare_cached("SELECT c.id, cu.email, c.state, c.close_reason FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1")?.query_row(
            [reference],
            |r| Ok(Candidate { case_id: r.get(0)?, reference: reference.to_string(), customer: r.get(1)?, state: r.get(2)?, close_reason: r.get(3)? }),
        )
        .optional()?)
    }

    fn by_message_id(&mut self, bare: &str, sender: &str) -> Result<Option<String>> {
        let bracketed = format!("<{bare}>");
        // A received message's key is "<Message-ID> sha256:<digest>" (or, stored before
        // digests, the bare Message-ID): a range of the key's unique index.
        let (lo, hi) = (format!("{bare} "), format!("{bare}!"));
        // One Message-ID may now stand on several messages (a gateway reusing it, or
        // someone reusing a resident's): the sender's own case first, then the oldest.
        Ok(self
            .0
            .prepare_cached(
                "SELECT reference FROM (
                   SELECT c.reference, 0 AS rank, 0 AS mid FROM letters l JOIN cases c ON c.id = l.case_id
                   WHERE l.message_id = ?1
                   UNION ALL
                   SELECT c.reference, CASE WHEN cu.email = ?5 THEN 1 ELSE 2 END, m.id
                   FROM messages m JOIN cases c ON c.id = m.case_id
                   LEFT JOIN customers cu ON cu.id = c.customer_id
                   WHERE ((m.ingest_key >= ?3 AND m.ingest_key < ?4) OR m.ingest_key = ?2)
                   AND m.message_id IS NOT NULL)
                 ORDER BY rank, mid LIMIT 1",
            )?
            .query_row(params![bracketed, bare, lo, hi, sender], |r| r.get(0))
            .optional()?)
    }

    fn open_from(&mut self, sender: &str, since: DateTime<Utc>) -> Result<Vec<Recent>> {
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut stmt = self.0.prepare_cached(
            "SELECT c.id, c.reference, c.subject, c.state FROM cases c JOIN customers cu ON cu.id = c.customer_id
             WHERE cu.email = ?1 AND c.state != 'closed' AND c.received_at >= ?2 ORDER BY c.id DESC",
        )?;
        let rows = stmt.query_map(params![sender, since], |r| {
            Ok(Recent {
                case_id: r.get(0)?,
                reference: r.get(1)?,
                subject: r.get(2)?,
                state: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// One received message to store.
pub(crate) struct NewMessage<'a> {
    pub case_id: Option<i64>,
    pub key: &'a str,
    pub raw: &'a [u8],
    pub parsed: &'a Parsed,
    pub received_at: DateTime<Utc>,
    /// "new-case", "attached", "noise" or "bounce".
    pub status: &'a str,
    pub matched_by: Option<&'a str>,
    pub no_reply: Option<&'a str>,
    /// (kind, reason) for the message that opened a case.
    pub triage: Option<(&'a str, &'a str)>,
}

/// Store a message's row and its attachments.
pub(super) fn insert_message(conn: &Connection, m: &NewMessage) -> Result<()> {
    let p = m.parsed;
    conn.prepare_cached("INSERT INTO messages (case_id, ingest_key, raw, from_addr, subject, sent_at, received_at, status,
                               message_id, in_reply_to, refs, reply_to, body_text, matched_by, no_reply_reason, size,
                               triage, triage_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)")?.execute(
        params![
            m.case_id,
            m.key,
            RawValue(m.raw),
            p.from,
            p.subject,
            p.date.map(crate::time::stamp),
            crate::time::stamp(m.received_at),
            m.status,
            p.message_id,
            p.in_reply_to.first(),
            if p.references.is_empty() { None } else { Some(p.references.join(" ")) },
            p.reply_to,
            p.body,
            m.matched_by,
            m.no_reply,
            m.raw.len() as i64,
            m.triage.map(|t| t.0),
            m.triage.map(|t| t.1)
        ],
    )?;
    let id = conn.last_insert_rowid();
    fill_raw(conn, "messages", id, m.raw)?;
    insert_attachments(conn, id, &p.attachments)?;
    Ok(())
}

fn insert_attachments(
    conn: &Connection,
    message_id: i64,
    atts: &[Attachment],
) -> rusqlite::Result<()> {
    for a in atts {
        let note = a.left_out.clone().or_else(|| {
            a.over_limit
                .map(|limit| format!("left out: {} bytes, over the {limit} byte limit", a.size))
        });
        conn.prepare_cached("INSERT INTO attachments (message_id, name, mime_type, size, sha256, content, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(
            params![message_id, a.name, a.mime_type, a.size as i64, a.sha256, a.content, note],
        )?;
    }
    Ok(())
}

/// Raw mail at least this big is written in place after its row (see [`RawValue`]).
const BIG_RAW: usize = 1 << 20;

/// A message's raw bytes as a statement binds them: small ones as they are; a big one
/// as a zero-filled blob of its length, filled in by [`fill_raw`] once the row exists.
/// Binding the bytes would copy them twice (the bound value, then the row's record);
/// a zero blob at the end of a record (raw is the last column, migration 10) costs
/// SQLite no memory at all, and the blob is then written page by page.
pub(super) struct RawValue<'a>(pub &'a [u8]);

impl rusqlite::ToSql for RawValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        if self.0.len() >= BIG_RAW {
            Ok(rusqlite::types::ToSqlOutput::ZeroBlob(self.0.len() as i32))
        } else {
            self.0.to_sql()
        }
    }
}

/// Write a big message's bytes into the zero blob [`RawValue`] reserved in `table`'s
/// row `rowid`.
pub(super) fn fill_raw(
    conn: &Connection,
    table: &str,
    rowid: i64,
    raw: &[u8],
) -> rusqlite::Result<()> {
    if raw.len() < BIG_RAW {
        return Ok(());
    }
    let mut blob = conn.blob_open(rusqlite::MAIN_DB, table, "raw", rowid, false)?;
    blob.write_at(raw, 0)
}

/// A received message as an officer reads it: who sent it, when, its subject, the
/// readable body as stored, and its attachments (without their bytes).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageView {
    pub id: i64,
    /// The case it is on (none for noise and bounces).
    pub case_reference: Option<String>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    /// The sender's Date header.
    pub sent_at: Option<String>,
    pub received_at: String,
    pub status: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Bytes as received.
    pub size: Option<i64>,
    pub body: Option<String>,
    pub attachments: Vec<AttachmentView>,
}

/// An attachment as listed: its number on the message (from 1), name, type, size, and
/// the note when its content was left out for size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentView {
    pub number: usize,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    pub size: i64,
    pub sha256: String,
    pub note: Option<String>,
}

const MESSAGE_COLUMNS: &str =
    "m.id, c.reference, m.from_addr, m.reply_to, m.subject, m.sent_at, m.received_at,
     m.status, m.message_id, m.in_reply_to, m.size, m.body_text
     FROM messages m LEFT JOIN cases c ON c.id = m.case_id";

fn message_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageView> {
    Ok(MessageView {
        id: r.get(0)?,
        case_reference: r.get(1)?,
        from: r.get(2)?,
        reply_to: r.get(3)?,
        subject: r.get(4)?,
        sent_at: r.get(5)?,
        received_at: r.get(6)?,
        status: r.get(7)?,
        message_id: r.get(8)?,
        in_reply_to: r.get(9)?,
        size: r.get(10)?,
        body: r.get(11)?,
        attachments: Vec::new(),
    })
}

/// One of a case's attachments as the desk lists them, a page at a time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseAttachment {
    pub message_id: i64,
    pub received_at: String,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    pub size: i64,
    pub note: Option<String>,
}

impl Store {
    /// The messages on case `case_id`, oldest first, without their attachments (see
    /// [`Store::case_attachments_page`]): each with how many it has.
    pub fn case_messages_counted(&self, case_id: i64) -> Result<Vec<(MessageView, i64)>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.case_id = ?1 ORDER BY m.received_at, m.id"
        ))?;
        let messages = stmt
            .query_map([case_id], message_view)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let counts: std::collections::HashMap<i64, i64> = self
            .conn
            .prepare(
                "SELECT a.message_id, COUNT(*) FROM attachments a
                 JOIN messages m ON m.id = a.message_id
                 WHERE m.case_id = ?1 GROUP BY a.message_id",
            )?
            .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(messages
            .into_iter()
            .map(|m| {
                let n = counts.get(&m.id).copied().unwrap_or(0);
                (m, n)
            })
            .collect())
    }

    /// How many attachments the messages on case `case_id` have.
    pub fn case_attachment_count(&self, case_id: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE m.case_id = ?1",
            [case_id],
            |r| r.get(0),
        )?)
    }

    /// One page of case `case_id`'s attachments, newest first: `limit` from `offset`.
    /// Only the page is read into memory, however many the case has.
    pub fn case_attachments_page(
        &self,
        case_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CaseAttachment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.message_id, m.received_at, a.name, a.mime_type, a.size, a.note
             FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE m.case_id = ?1 ORDER BY a.id DESC LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt
            .query_map(params![case_id, limit, offset], |r| {
                Ok(CaseAttachment {
                    message_id: r.get(0)?,
                    received_at: r.get(1)?,
                    name: r.get(2)?,
                    mime_type: r.get(3)?,
                    size: r.get(4)?,
                    note: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The messages on case `case_id`, oldest first, with their attachments listed.
    pub fn case_messages(&self, case_id: i64) -> Result<Vec<MessageView>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.case_id = ?1 ORDER BY m.received_at, m.id"
        ))?;
        let mut out = stmt
            .query_map([case_id], message_view)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for m in &mut out {
            m.attachments = self.attachments_of(m.id)?;
        }
        Ok(out)
    }

    /// Message `id` (any message stored, on a case or not), or refused when none.
    pub fn message_view(&self, id: i64) -> Result<MessageView> {
        let mut m = self
            .conn
            .query_row(
                &format!("SELECT {MESSAGE_COLUMNS} WHERE m.id = ?1"),
                [id],
                message_view,
            )
            .optional()?
            .ok_or_else(|| StoreError::Refused(format!("no message with id {id}")))?;
        m.attachments = self.attachments_of(id)?;
        Ok(m)
    }

    fn attachments_of(&self, message_id: i64) -> Result<Vec<AttachmentView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, mime_type, size, sha256, note FROM attachments WHERE message_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([message_id], |r| {
                Ok(AttachmentView {
                    number: 0,
                    name: r.get(0)?,
                    mime_type: r.get(1)?,
                    size: r.get(2)?,
                    sha256: r.get(3)?,
                    note: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, a)| AttachmentView { number: i + 1, ..a })
            .collect())
    }

    /// Message `id`'s bytes exactly as received.
    pub fn message_raw(&self, id: i64) -> Result<Vec<u8>> {
        let raw: Option<Option<Vec<u8>>> = self
            .conn
            .query_row("SELECT raw FROM messages WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        match raw {
            None => Err(StoreError::Refused(format!("no message with id {id}"))),
            Some(None) => Err(StoreError::Refused(format!(
                "message {id} has no stored bytes"
            ))),
            Some(Some(raw)) => Ok(raw),
        }
    }

    /// Attachment number `n` (from 1) of message `id`: its listing and its bytes, or
    /// refused when there is no such attachment or its content was left out for size.
    pub fn attachment_content(&self, id: i64, n: usize) -> Result<(AttachmentView, Vec<u8>)> {
        let listed = self.message_view(id)?.attachments;
        let Some(a) = n.checked_sub(1).and_then(|i| listed.get(i)).cloned() else {
            return Err(StoreError::Refused(format!(
                "message {id} has no attachment {n} ({} attached)",
                listed.len()
            )));
        };
        let content: Option<Vec<u8>> = self.conn.query_row(
            "SELECT content FROM attachments WHERE message_id = ?1 ORDER BY id LIMIT 1 OFFSET ?2",
            params![id, (n - 1) as i64],
            |r| r.get(0),
        )?;
        match content {
            Some(bytes) => Ok((a, bytes)),
            None => Err(StoreError::Refused(format!(
                "attachment {n} of message {id} was not kept: {}",
                a.note.as_deref().unwrap_or("its content was left out")
            ))),
        }
    }
}
