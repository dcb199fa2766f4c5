//! Staff mail (overdue alerts, digests, scheduled reports): queued once per dedupe key,
//! sent by the scheduler.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{Result, Store};
use crate::time::stamp;

/// What a piece of staff mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffMailKind {
    /// A deadline alert to an officer and their managers.
    Alert,
    /// A manager's digest.
    Digest,
    /// A scheduled performance report.
    Report,
}

impl StaffMailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffMailKind::Alert => "alert",
            StaffMailKind::Digest => "digest",
            StaffMailKind::Report => "report",
        }
    }

    /// The start of its Message-ID (`<notice.…@domain>`).
    fn id_prefix(self) -> &'static str {
        match self {
            StaffMailKind::Alert => "notice",
            StaffMailKind::Digest => "digest",
            StaffMailKind::Report => "report",
        }
    }
}

/// One email to a member of staff, before it is queued.
#[derive(Debug, Clone)]
pub struct StaffMail {
    pub kind: StaffMailKind,
    /// What makes it unique, so that a restart never doubles it.
    pub dedupe_key: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queue one piece of staff mail; 0 when its dedupe key was already queued.
pub(super) fn insert(
    conn: &Connection,
    mail: &StaffMail,
    domain: &str,
    at: DateTime<Utc>,
) -> Result<usize> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO notifications (kind, dedupe_key, message_id, to_addr, subject, body, created_at)
         VALUES (?1, ?2, '<' || ?3 || '.' || lower(hex(randomblob(12))) || '@' || ?4 || '>', ?5, ?6, ?7, ?8)",
        params![
            mail.kind.as_str(),
            mail.dedupe_key,
            mail.kind.id_prefix(),
            domain,
            mail.to,
            mail.subject,
            mail.body,
            stamp(at)
        ],
    )?)
}

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
    insert(
        conn,
        &StaffMail {
            kind: StaffMailKind::Alert,
            dedupe_key: dedupe.to_string(),
            to: to.to_string(),
            subject: subject.to_string(),
            body: body.to_string(),
        },
        domain,
        at,
    )
}

/// A queued piece of staff mail, as the sender sees it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub message_id: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
}

impl Store {
    /// Staff mail still to send, oldest first.
    pub fn queued_notifications(&self) -> Result<Vec<Notification>> {
        let mut st = self.conn.prepare(
            "SELECT id, message_id, to_addr, subject, body FROM notifications WHERE status = 'queued' AND attempts < 20 ORDER BY id LIMIT 500",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(Notification {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    to_addr: r.get(2)?,
                    subject: r.get(3)?,
                    body: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    pub fn notification_failed(&self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET status = 'failed', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    pub fn notification_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = ?2 WHERE id = ?1",
            params![id, stamp(at)],
        )?;
        Ok(())
    }

    /// Count an attempt before the first byte goes to the server.
    pub fn notification_attempt(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    pub fn notification_error(&self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}
