//! Mail kept out of the cases, with the reason: unparseable, oversized, without a
//! sender, or refused by the database.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::messages::{fill_raw, RawValue};
use super::{Result, Store, StoreError};

/// Keep a message that cannot be a case's correspondence, with the reason (once per
/// ingestion key).
pub(super) fn quarantine(
    conn: &Connection,
    source: &str,
    key: &str,
    raw: &[u8],
    reason: &str,
    at: &str,
) -> rusqlite::Result<()> {
    let n = conn.prepare_cached("INSERT OR IGNORE INTO quarantine (source, ingest_key, raw, reason, received_at) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(
        params![source, key, RawValue(raw), reason, at],
    )?;
    if n == 1 {
        fill_raw(conn, "quarantine", conn.last_insert_rowid(), raw)?;
    }
    Ok(())
}

/// A quarantined message, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineRow {
    pub id: i64,
    pub source: String,
    pub reason: String,
    pub received_at: String,
    /// Its size as received (kept when its bytes are erased on resolution).
    pub size: i64,
    /// What a manager did with it; `None` while it waits in the quarantine.
    pub resolution: Option<Resolution>,
    /// The start of its bytes (at most [`HEAD_BYTES`]), for who sent it and its subject.
    #[serde(skip)]
    pub head: Vec<u8>,
}

/// What was done with a quarantined message, by whom and when (migration 19).
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    /// attached, opened or discarded.
    pub outcome: String,
    /// The case it was attached to or opened as.
    pub reference: Option<String>,
    /// Why it was discarded.
    pub reason: Option<String>,
    pub by: String,
    pub at: String,
}

/// How much of a quarantined message a listing reads for its sender and subject.
pub const HEAD_BYTES: i64 = 16 * 1024;

/// A quarantined message still waiting, with its bytes and ingestion key: what a
/// release needs, read inside the release's transaction.
pub(crate) struct Held {
    pub key: String,
    pub raw: Vec<u8>,
    pub reason: String,
    pub received_at: String,
}

// Not the bytes: SQLite reads a whole value even to take its start (a 300 MB message:
// 300 MB of memory), so the head is read through incremental blob I/O (`blob_head`).
const ROW_COLUMNS: &str = "q.id, q.source, q.reason, q.received_at,
     coalesce(r.size, length(q.raw)), r.outcome, r.reference, r.reason, r.actor, r.at";

fn row_from(r: &rusqlite::Row) -> rusqlite::Result<QuarantineRow> {
    let outcome: Option<String> = r.get(5)?;
    Ok(QuarantineRow {
        id: r.get(0)?,
        source: r.get(1)?,
        reason: r.get(2)?,
        received_at: r.get(3)?,
        size: r.get(4)?,
        resolution: match outcome {
            Some(outcome) => Some(Resolution {
                outcome,
                reference: r.get(6)?,
                reason: r.get(7)?,
                by: r.get(8)?,
                at: r.get(9)?,
            }),
            None => None,
        },
        head: Vec::new(),
    })
}

/// The first `limit` bytes of quarantined message `id`'s bytes, read without loading
/// the rest; empty when there are none (erased).
fn blob_head(conn: &Connection, id: i64, limit: usize) -> Result<Vec<u8>> {
    let blob = match conn.blob_open(rusqlite::MAIN_DB, "quarantine", "raw", id, true) {
        Ok(b) => b,
        // A NULL or text value has no blob to open: nothing to show.
        Err(rusqlite::Error::SqliteFailure(..)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut head = vec![0; blob.len().min(limit)];
    blob.read_at_exact(&mut head, 0)?;
    Ok(head)
}

/// Rows with their heads, for those still held.
fn with_heads(conn: &Connection, mut rows: Vec<QuarantineRow>) -> Result<Vec<QuarantineRow>> {
    for q in rows.iter_mut().filter(|q| q.resolution.is_none()) {
        q.head = blob_head(conn, q.id, HEAD_BYTES as usize)?;
    }
    Ok(rows)
}

/// Refuse a release of a message already resolved, saying what was done with it.
fn refuse_resolved(id: i64, r: &Resolution) -> StoreError {
    let what = match (r.outcome.as_str(), &r.reference, &r.reason) {
        ("attached", Some(c), _) => format!("was attached to {c}"),
        ("opened", Some(c), _) => format!("was opened as case {c}"),
        (_, _, Some(why)) => format!("was discarded ({why})"),
        (o, _, _) => format!("was {o}"),
    };
    StoreError::Refused(format!(
        "quarantined message {id} {what} by {} at {}: it is no longer in the quarantine",
        r.by, r.at
    ))
}

/// The quarantined message `id`, refused when there is none or it was resolved.
pub(super) fn held(conn: &Connection, id: i64) -> Result<Held> {
    let row = conn
        .query_row(
            &format!(
                "SELECT {ROW_COLUMNS}, q.ingest_key, q.raw FROM quarantine q
                 LEFT JOIN quarantine_resolutions r ON r.quarantine_id = q.id WHERE q.id = ?1"
            ),
            params![id],
            |r| {
                Ok((
                    row_from(r)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, Vec<u8>>(11)?,
                ))
            },
        )
        .optional()?;
    match row {
        None => Err(StoreError::Refused(format!(
            "no quarantined message with id {id}"
        ))),
        Some((q, _, _)) if q.resolution.is_some() => Err(refuse_resolved(
            id,
            q.resolution.as_ref().expect("resolved"),
        )),
        Some((q, key, raw)) => Ok(Held {
            key,
            raw,
            reason: q.reason,
            received_at: q.received_at,
        }),
    }
}

/// Record what was done with quarantined message `id` and erase its bytes (overwritten
/// on disk): they are on the case now, or were discarded. Refused if it was resolved.
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve(
    conn: &Connection,
    id: i64,
    outcome: &str,
    reference: Option<&str>,
    reason: Option<&str>,
    actor: &str,
    at: &str,
) -> Result<()> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO quarantine_resolutions (quarantine_id, outcome, reference, reason, actor, at, size)
         SELECT id, ?2, ?3, ?4, ?5, ?6, length(raw) FROM quarantine WHERE id = ?1",
        params![id, outcome, reference, reason, actor, at],
    )?;
    if n == 0 {
        // Gone, or resolved by someone else since it was read: say which.
        held(conn, id)?;
        return Err(StoreError::Refused(format!(
            "quarantined message {id} was resolved by someone else meanwhile"
        )));
    }
    conn.pragma_update(None, "secure_delete", "ON")?;
    let erased = conn.execute("UPDATE quarantine SET raw = x'' WHERE id = ?1", [id]);
    conn.pragma_update(None, "secure_delete", "OFF")?;
    erased?;
    Ok(())
}

impl Store {
    /// Quarantined mail waiting for a manager, oldest first; with `all`, the resolved
    /// too (with what was done).
    pub fn quarantine(&self, all: bool) -> Result<Vec<QuarantineRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM quarantine q
             LEFT JOIN quarantine_resolutions r ON r.quarantine_id = q.id
             WHERE ?1 OR r.quarantine_id IS NULL ORDER BY q.id"
        ))?;
        let rows = stmt
            .query_map(params![all], row_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        with_heads(&self.conn, rows)
    }

    /// One quarantined message (resolved or not), without its bytes.
    pub fn quarantined(&self, id: i64) -> Result<QuarantineRow> {
        let row = self.quarantined_row(id)?;
        Ok(with_heads(&self.conn, vec![row])?.remove(0))
    }

    /// The same without its head.
    fn quarantined_row(&self, id: i64) -> Result<QuarantineRow> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM quarantine q
                     LEFT JOIN quarantine_resolutions r ON r.quarantine_id = q.id WHERE q.id = ?1"
                ),
                params![id],
                row_from,
            )
            .optional()?
            .ok_or_else(|| StoreError::Refused(format!("no quarantined message with id {id}")))
    }

    /// The raw bytes of a quarantined message, for an officer to inspect.
    /// Quarantined messages whose bytes contain `email` as a whole address (ASCII
    /// case ignored): for a subject access export.
    pub fn quarantined_mentioning(&self, email: &str) -> Result<Vec<Quarantined>> {
        let needle = email.trim().to_ascii_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        // Every row is matched here on its bytes, one at a time, rather than with
        // SQL text functions: quarantined mail is often not valid text. The match is
        // on whole addresses only (not bob@x inside jimbob@x), so that nobody else's
        // message is exported.
        let mut stmt = self
            .conn
            .prepare("SELECT id, received_at, reason, raw FROM quarantine ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let raw = r.get_ref(3)?.as_bytes().unwrap_or_default();
            if contains_address(raw, needle.as_bytes()) {
                out.push(Quarantined {
                    id: r.get(0)?,
                    received_at: r.get(1)?,
                    reason: r.get(2)?,
                    raw: raw.to_vec(),
                });
            }
        }
        Ok(out)
    }

    /// Refused once it was resolved: its bytes were erased.
    pub fn quarantined_raw(&self, id: i64) -> Result<Vec<u8>> {
        Ok(held(&self.conn, id)?.raw)
    }

    /// The first `limit` bytes of a quarantined message still held, and its size.
    pub fn quarantined_head(&self, id: i64, limit: usize) -> Result<(Vec<u8>, usize)> {
        let q = self.quarantined_row(id)?;
        if q.resolution.is_some() {
            // Resolved: refused as for the whole message.
            held(&self.conn, id)?;
        }
        Ok((blob_head(&self.conn, id, limit)?, q.size.max(0) as usize))
    }
}

/// A quarantined message with its bytes.
pub struct Quarantined {
    pub id: i64,
    pub received_at: String,
    pub reason: String,
    pub raw: Vec<u8>,
}

/// Whether `haystack` holds the address `needle` (lower case) whole: not as the tail
/// of a longer local part or the head of a longer domain (ASCII case ignored).
pub(crate) fn contains_address(haystack: &[u8], needle: &[u8]) -> bool {
    if !needle.contains(&b'@') || haystack.len() < needle.len() {
        return false;
    }
    let lower = haystack.to_ascii_lowercase();
    // Anything RFC 5322 allows in a local part (and any UTF-8 byte): o'bob@x and
    // jos\u{e9}bob@x are not bob@x.
    let local =
        |b: u8| b.is_ascii_alphanumeric() || b >= 0x80 || b".!#$%&'*+-/=?^_`{|}~".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    lower.windows(needle.len()).enumerate().any(|(i, w)| {
        let after = &lower[i + needle.len()..];
        w == needle
            && (i == 0 || !local(lower[i - 1]))
            // The domain goes on if a letter, digit or hyphen follows, or a dot and then one.
            && !after.first().is_some_and(|&b| domain(b))
            && !(after.first() == Some(&b'.') && after.get(1).is_some_and(|&b| domain(b)))
    })
}
