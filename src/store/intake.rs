//! What waits for a person or a later hour at intake: triage suggestions "to triage",
//! representatives (who writes for whom), and acknowledgements deferred by the hourly
//! cap.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::NewEvent;
use super::{Result, Store};
use crate::event::EventKind;
use crate::time::stamp;
use crate::triage::Suggestion;

/// A case waiting "to triage", for the list an officer works from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToTriage {
    pub reference: String,
    pub received_at: String,
    /// The acknowledgement deadline, still counting from receipt (ISO date), if any.
    pub acknowledge_by: Option<String>,
    pub suggested: String,
    /// The suggested kind alone (service-request, out-of-scope).
    pub kind: String,
    /// Where the drafted letter sends them ("the Insurance team").
    pub route: Option<String>,
    pub reason: String,
    /// The customer's name, else their address.
    pub customer: Option<String>,
    pub subject: Option<String>,
}

/// Someone writing for the resident.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Representative {
    pub name: Option<String>,
    pub email: Option<String>,
    /// councillor, mp, advocate, relative or other.
    pub role: String,
    pub for_whom: Option<String>,
    pub consent: bool,
    /// The resident's own address, for a copy of each letter (with their consent).
    pub resident_email: Option<String>,
}

pub(super) fn insert_suggestion(
    conn: &Connection,
    case_id: i64,
    s: &Suggestion,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO triage_suggestions (case_id, kind, exclusion_id, letter_kind, letter_data, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        case_id,
        s.kind.as_str(),
        s.exclusion_id,
        s.letter_kind,
        s.letter_data.to_string(),
        s.reason,
        stamp(at)
    ])?;
    Ok(())
}

/// Record an officer's decision on a case's suggestion (or that it was overtaken).
pub(crate) fn resolve_suggestion(
    conn: &Connection,
    case_id: i64,
    resolution: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE triage_suggestions SET resolution = ?2, resolved_by = ?3, resolved_at = ?4
         WHERE case_id = ?1 AND resolution IS NULL",
    )?
    .execute(params![case_id, resolution, by, stamp(at)])?;
    Ok(())
}

pub(super) fn upsert_representative(
    conn: &Connection,
    case_id: i64,
    r: &Representative,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO representatives (case_id, name, email, role, for_whom, consent, resident_email, recorded_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (case_id) DO UPDATE SET name = ?2, email = ?3, role = ?4, for_whom = ?5,
             consent = ?6, resident_email = ?7, recorded_at = ?8, recorded_by = ?9",
    )?
    .execute(params![
        case_id,
        r.name,
        r.email,
        r.role,
        r.for_whom,
        r.consent as i64,
        r.resident_email,
        stamp(at),
        by
    ])?;
    Ok(())
}

pub(super) fn defer_ack(
    conn: &Connection,
    case_id: i64,
    received_at: DateTime<Utc>,
    letter: &crate::letter::kind::Content,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO deferred_acks (case_id, received_at, deferred_at, letter_kind, letter_data)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        case_id,
        stamp(received_at),
        stamp(at),
        letter.kind(),
        letter.data().to_string()
    ])?;
    Ok(())
}

/// An acknowledgement waiting for a later hour, with its drafted letter.
#[derive(Debug, Clone)]
pub struct DeferredAck {
    pub case_id: i64,
    pub letter_kind: crate::letter::kind::Kind,
    pub letter_data: serde_json::Value,
}

/// Whether acknowledgements are waiting for a later hour (a new one queues behind them).
pub(super) fn acks_waiting(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM deferred_acks d JOIN cases c ON c.id = d.case_id
             WHERE c.state = 'received' LIMIT 1",
        )?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Store {
    /// A case's suggestion still waiting for an officer, if any.
    pub fn pending_suggestion(&self, case_id: i64) -> Result<Option<Suggestion>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT kind, exclusion_id, letter_kind, letter_data, reason FROM triage_suggestions
                 WHERE case_id = ?1 AND resolution IS NULL",
            )?
            .query_row([case_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, crate::letter::kind::Kind>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        Ok(row.map(
            |(kind, exclusion_id, letter_kind, data, reason)| Suggestion {
                kind: crate::case::Kind::parse(&kind).unwrap_or(crate::case::Kind::OutOfScope),
                exclusion_id,
                letter_kind,
                letter_data: serde_json::from_str(&data).unwrap_or_else(|_| serde_json::json!({})),
                reason,
            },
        ))
    }

    /// Cases waiting "to triage" (a suggestion no one has decided, on a case not yet
    /// acknowledged or closed), the soonest acknowledgement deadline first.
    pub fn to_triage(&self) -> Result<Vec<ToTriage>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.reference, c.received_at,
                    (SELECT MIN(d.due) FROM deadlines d WHERE d.case_id = c.id AND d.kind = 'acknowledge' AND d.status = 'open'),
                    t.kind, t.exclusion_id, json_extract(t.letter_data, '$.where'), t.reason, COALESCE(cu.name, cu.email), c.subject
             FROM triage_suggestions t JOIN cases c ON c.id = t.case_id
             LEFT JOIN customers cu ON cu.id = c.customer_id
             WHERE t.resolution IS NULL AND c.state = 'received'
             ORDER BY 3 IS NULL, 3, c.received_at, c.id",
        )?;
        let v = st
            .query_map([], |r| {
                let kind: String = r.get(3)?;
                let exclusion: Option<String> = r.get(4)?;
                Ok(ToTriage {
                    kind: kind.clone(),
                    reference: r.get(0)?,
                    received_at: r.get(1)?,
                    acknowledge_by: r.get(2)?,
                    suggested: match exclusion {
                        Some(x) => format!("{kind} (the policy's exclusion '{x}')"),
                        None => kind,
                    },
                    route: r.get(5)?,
                    reason: r.get(6)?,
                    customer: r.get(7)?,
                    subject: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// Cases waiting to triage whose duty manager has not yet been told, oldest first,
    /// with when they arrived (the tick looks at these every pass: the ones told are
    /// left out here rather than skipped one by one).
    pub fn triage_waiting_since(&self) -> Result<Vec<(i64, String)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.id, c.received_at FROM triage_suggestions t JOIN cases c ON c.id = t.case_id
             WHERE t.resolution IS NULL AND c.state = 'received'
               AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.case_id = c.id AND s.key = 'triage-alert')
             ORDER BY c.received_at",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// The case's representative, if one is recorded.
    pub fn representative(&self, case_id: i64) -> Result<Option<Representative>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT name, email, role, for_whom, consent, resident_email FROM representatives WHERE case_id = ?1",
            )?
            .query_row([case_id], |r| {
                Ok(Representative {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    role: r.get(2)?,
                    for_whom: r.get(3)?,
                    consent: r.get::<_, i64>(4)? != 0,
                    resident_email: r.get(5)?,
                })
            })
            .optional()?)
    }

    /// Record or correct who writes for the resident on a case, with its event.
    pub fn set_representative(
        &mut self,
        case_id: i64,
        r: &Representative,
        by: &str,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<()> {
        let tx = self.conn.savepoint()?;
        upsert_representative(&tx, case_id, r, by, at)?;
        super::insert_event(
            &tx,
            &NewEvent {
                case_id,
                at,
                actor: by,
                kind: EventKind::RepresentativeRecorded,
                from_state: None,
                to_state: None,
                detail: Some(detail),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Deferred acknowledgements, oldest received first. Rows of cases acknowledged or
    /// closed another way meanwhile are dropped first.
    pub fn deferred_acks(&mut self, limit: usize) -> Result<Vec<DeferredAck>> {
        self.conn.execute(
            "DELETE FROM deferred_acks WHERE case_id IN
                (SELECT d.case_id FROM deferred_acks d JOIN cases c ON c.id = d.case_id WHERE c.state != 'received')",
            [],
        )?;
        let mut st = self.conn.prepare_cached(
            "SELECT case_id, letter_kind, letter_data FROM deferred_acks ORDER BY received_at, case_id LIMIT ?1",
        )?;
        let v = st
            .query_map([limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<(i64, crate::letter::kind::Kind, String)>>>()?;
        Ok(v.into_iter()
            .map(|(case_id, letter_kind, data)| DeferredAck {
                case_id,
                letter_kind,
                letter_data: serde_json::from_str(&data).unwrap_or_else(|_| serde_json::json!({})),
            })
            .collect())
    }

    /// How many acknowledgements wait, and how many of those are due by `by` (ISO
    /// date): their acknowledgement deadline is on or before it.
    pub fn deferred_counts(&self, by: &str) -> Result<(u32, u32)> {
        Ok(self.conn.prepare_cached(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM deadlines d
                 WHERE d.case_id = a.case_id AND d.kind = 'acknowledge' AND d.status = 'open' AND d.due <= ?1))
             FROM deferred_acks a",
        )?
        .query_row([by], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    /// A deferred acknowledgement has gone (or will never go automatically).
    pub fn undefer_ack(&self, case_id: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM deferred_acks WHERE case_id = ?1")?
            .execute([case_id])?;
        Ok(())
    }

    /// This clock hour's automatic letters, and count one more.
    pub fn automatic_letters_this_hour(&self, hour: &str) -> Result<u32> {
        super::auto_letters::automatic_letters_in_hour(&self.conn, hour)
    }

    pub fn count_automatic_letter(&self, hour: &str) -> Result<()> {
        super::auto_letters::count_automatic_letter(&self.conn, hour)
    }

    /// Automatic letters to `addr` since `since`.
    pub fn automatic_letters_to(&self, addr: &str, since: &str) -> Result<u32> {
        super::auto_letters::automatic_letters_to(&self.conn, addr, since)
    }

    /// Queue one staff mail outside any case step (deduplicated on `dedupe`).
    pub fn queue_staff_mail(
        &self,
        dedupe: &str,
        domain: &str,
        to: &str,
        subject: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<usize> {
        super::notifications::queue(&self.conn, dedupe, domain, to, subject, body, at)
    }
}
