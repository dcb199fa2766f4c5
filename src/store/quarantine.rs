//! Mail kept out of the cases, with the reason: unparseable, oversized, without a
//! sender, or refused by the database.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::messages::{fill_raw, RawValue};
use super::{Result, Store, StoreError};

/// Keep a message that cannot be a case's correspondence, with the reason (once per
/// ingestion key).
pub(crate) fn quarantine(
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
    pub size: i64,
}

impl Store {
    pub fn quarantine(&self) -> Result<Vec<QuarantineRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, source, reason, received_at, length(raw) FROM quarantine ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QuarantineRow {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    reason: r.get(2)?,
                    received_at: r.get(3)?,
                    size: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
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

    pub fn quarantined_raw(&self, id: i64) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT raw FROM quarantine WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::Refused(format!("no quarantined message with id {id}")))
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
