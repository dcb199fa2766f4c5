//! Staff mail (overdue alerts, digests): queued once per dedupe key, sent by the scheduler.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::Result;
use crate::time::stamp;

/// Queue one alert to a member of staff; 0 when `dedupe` was already queued.
pub fn queue(
    conn: &Connection,
    dedupe: &str,
    domain: &str,
    to: &str,
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<usize> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO notifications (kind, dedupe_key, message_id, to_addr, subject, body, created_at)
         VALUES ('alert', ?1, '<notice.' || lower(hex(randomblob(12))) || '@' || ?2 || '>', ?3, ?4, ?5, ?6)",
        params![dedupe, domain, to, subject, body, stamp(at)],
    )?)
}
