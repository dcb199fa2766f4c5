//! Responses waiting for approval, and the learning from complaints (migration 32).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::NewEvent;
use super::{insert_event, Author, Result, Store, StoreError};
use crate::event::EventKind;
use crate::time::{iso, stamp};

/// A response waiting for approval, as kept.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingRow {
    pub id: i64,
    pub stage: String,
    /// The response as the officer wrote it (JSON; see `plan::approval::Waiting`).
    #[serde(skip)]
    pub response: String,
    pub why: String,
    /// The officer who wrote it (a login).
    pub written_by: String,
    pub written_at: String,
}

/// A case with a response waiting for approval, as the desk's queue lists it.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingCase {
    pub reference: String,
    pub stage: String,
    pub written_by: String,
    pub why: String,
    pub next_due: Option<String>,
}

/// One piece of learning from a complaint, for the report: no customer field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LearningRow {
    /// The case's service, else its category, else "Not recorded".
    pub service: String,
    pub recorded_on: String,
    pub learning: String,
    pub action: String,
}

/// The login in an actor ("officer:ann" -> "ann").
fn login(actor: &str) -> &str {
    actor.strip_prefix("officer:").unwrap_or(actor)
}

pub(crate) fn await_approval(
    tx: &Connection,
    case_id: i64,
    stage: &str,
    response: &str,
    why: &str,
    by: &Author,
) -> Result<()> {
    let waiting: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM approvals WHERE case_id = ?1 AND status = 'awaiting')",
        )?
        .query_row([case_id], |r| r.get(0))?;
    if waiting {
        return Err(StoreError::Refused(
            "a response on this case already waits for approval: approve or return it first".into(),
        ));
    }
    tx.prepare_cached(
        "INSERT INTO approvals (case_id, stage, response, why, written_by, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        case_id,
        stage,
        response,
        why,
        login(by.actor),
        stamp(by.at)
    ])?;
    Ok(())
}

pub(crate) fn decided(
    tx: &Connection,
    case_id: i64,
    id: i64,
    approver: &str,
    approved: bool,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    let status = if approved { "approved" } else { "returned" };
    // Only a response still waiting: a second approval (two approvers at once, a
    // repeated command) finds none and changes nothing.
    let row: Option<(String, String)> = tx
        .prepare_cached(
            "UPDATE approvals SET status = ?3, decided_by = ?4, decided_at = ?5, reason = ?6
             WHERE id = ?1 AND case_id = ?2 AND status = 'awaiting'
             RETURNING stage, written_by",
        )?
        .query_row(
            params![id, case_id, status, approver, stamp(at), reason],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((stage, written_by)) = row else {
        return Err(StoreError::Refused(
            "that response no longer waits for approval (approved or returned meanwhile)".into(),
        ));
    };
    let detail = match reason {
        None => format!("{stage} response written by {written_by} approved by {approver}: sent"),
        Some(why) => format!(
            "{stage} response written by {written_by} returned by {approver}, not sent: {why}"
        ),
    };
    insert_event(
        tx,
        &NewEvent {
            case_id,
            at,
            actor: &format!("officer:{approver}"),
            kind: if approved {
                EventKind::ResponseApproved
            } else {
                EventKind::ResponseReturned
            },
            from_state: None,
            to_state: None,
            detail: Some(&detail),
        },
    )
}

pub(crate) fn learnt(
    tx: &Connection,
    case_id: i64,
    stage: &str,
    on: NaiveDate,
    learning: &str,
    action: &str,
    by: &Author,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO learning (case_id, stage, recorded_on, learning, action, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        case_id,
        stage,
        iso(on),
        learning,
        action,
        login(by.actor)
    ])?;
    insert_event(
        tx,
        &NewEvent {
            case_id,
            at: by.at,
            actor: by.actor,
            kind: EventKind::LearningRecorded,
            from_state: None,
            to_state: None,
            detail: Some(&format!("learning: {learning}; action taken: {action}")),
        },
    )
}

impl Store {
    /// The response waiting for approval on a case, if any.
    pub fn waiting_response(&self, case_id: i64) -> Result<Option<WaitingRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, stage, response, why, written_by, written_at FROM approvals
                 WHERE case_id = ?1 AND status = 'awaiting'",
            )?
            .query_row([case_id], |r| {
                Ok(WaitingRow {
                    id: r.get(0)?,
                    stage: r.get(1)?,
                    response: r.get(2)?,
                    why: r.get(3)?,
                    written_by: r.get(4)?,
                    written_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    /// Every response waiting for approval, the oldest first.
    pub fn waiting_responses(&self) -> Result<Vec<WaitingCase>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.reference, a.stage, a.written_by, a.why,
                    (SELECT MIN(due) FROM deadlines d WHERE d.case_id = c.id AND +d.status = 'open')
             FROM approvals a JOIN cases c ON c.id = a.case_id
             WHERE a.status = 'awaiting' ORDER BY a.id",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(WaitingCase {
                    reference: r.get(0)?,
                    stage: r.get(1)?,
                    written_by: r.get(2)?,
                    why: r.get(3)?,
                    next_due: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many responses on a case have ever waited for approval.
    pub fn approvals_count(&self, case_id: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM approvals WHERE case_id = ?1",
            [case_id],
            |r| r.get(0),
        )?)
    }

    /// The learning recorded from `from` to `to` (London dates, inclusive), by service
    /// then date: service, date, learning and action only (no customer, no reference).
    pub fn learning_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<LearningRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT COALESCE(NULLIF(TRIM(c.service), ''), NULLIF(TRIM(c.category), ''), 'Not recorded') AS service,
                    l.recorded_on, l.learning, l.action
             FROM learning l JOIN cases c ON c.id = l.case_id
             WHERE l.recorded_on >= ?1 AND l.recorded_on <= ?2 AND l.learning != '[erased]'
             ORDER BY service COLLATE NOCASE, l.recorded_on, l.id",
        )?;
        let rows = st
            .query_map(params![iso(from), iso(to)], |r| {
                Ok(LearningRow {
                    service: r.get(0)?,
                    recorded_on: r.get(1)?,
                    learning: r.get(2)?,
                    action: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
