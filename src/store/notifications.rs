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
pub(super) fn queue(
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

/// A piece of staff mail, as the sender sees it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub message_id: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
}

fn notifications_where(
    conn: &Connection,
    cond: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Notification>> {
    let mut st = conn.prepare(&format!(
        "SELECT id, message_id, to_addr, subject, body, status, attempts, last_attempt_at
         FROM notifications WHERE {cond}"
    ))?;
    let v = st
        .query_map(args, |r| {
            Ok(Notification {
                id: r.get(0)?,
                message_id: r.get(1)?,
                to_addr: r.get(2)?,
                subject: r.get(3)?,
                body: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get(6)?,
                last_attempt_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The staff-mail side of the outbox's state machine (see [`crate::outbox`]): the
/// same moves as a letter's, without a case to record events on or flag.
impl Store {
    /// Queued staff mail whose next attempt is due at `now`, oldest first.
    pub fn due_notifications(&self, now: DateTime<Utc>) -> Result<Vec<Notification>> {
        notifications_where(
            &self.conn,
            "status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY id",
            &[&stamp(now)],
        )
    }

    /// Staff mail left in 'sending' by a sender that stopped mid-attempt: the attempt
    /// began at or before `cutoff`.
    pub fn interrupted_notifications(&self, cutoff: DateTime<Utc>) -> Result<Vec<Notification>> {
        notifications_where(
            &self.conn,
            "status = 'sending' AND (last_attempt_at IS NULL OR last_attempt_at <= ?1) ORDER BY id",
            &[&stamp(cutoff)],
        )
    }

    pub fn notification(&self, id: i64) -> Result<Notification> {
        notifications_where(&self.conn, "id = ?1", &[&id])?
            .pop()
            .ok_or_else(|| super::StoreError::Refused(format!("no staff mail with id {id}")))
    }

    /// Claim queued staff mail for one attempt: attempts + 1, status 'sending',
    /// committed before any byte goes to the server. False when another sender has it.
    pub fn claim_notification(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE notifications SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?2
             WHERE id = ?1 AND status = 'queued'",
            params![id, stamp(at)],
        )?;
        Ok(n == 1)
    }

    /// Re-claim staff mail found in 'sending' after an interruption. False when
    /// another sender got there first.
    pub fn reclaim_notification(&self, n: &Notification, at: DateTime<Utc>) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?3
             WHERE id = ?1 AND status = 'sending' AND COALESCE(last_attempt_at, '') = COALESCE(?2, '')",
            params![n.id, n.last_attempt_at, stamp(at)],
        )?;
        Ok(changed == 1)
    }

    pub fn notification_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = ?2, last_error = NULL, next_attempt_at = NULL
             WHERE id = ?1",
            params![id, stamp(at)],
        )?;
        Ok(())
    }

    pub fn notification_failed(&self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET status = 'failed', last_error = ?2, next_attempt_at = NULL WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    /// A temporary failure: back to 'queued' until `next`.
    pub fn notification_retry(&self, id: i64, error: &str, next: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET status = 'queued', last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![id, error, stamp(next)],
        )?;
        Ok(())
    }
}
