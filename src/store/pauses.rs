//! Pauses of a case's deadlines: started, and ended with the deadlines redated.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::NewEvent;
use super::{insert_event, Result, Store, StoreError};
use crate::case::Case;
use crate::event::EventKind;
use crate::time::iso;

impl Store {
    /// Stop the clock on the case's current stage; false if it is already stopped.
    pub fn start_pause(
        &mut self,
        case: &Case,
        on: NaiveDate,
        reason: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.savepoint()?;
        let open: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM pauses WHERE case_id = ?1 AND ended_on IS NULL)",
            [case.id],
            |r| r.get(0),
        )?;
        if open {
            return Ok(false);
        }
        super::freeze_pending_letters(&tx, case.id)?;
        tx.execute(
            "INSERT INTO pauses (case_id, stage, started_on, reason) VALUES (?1, ?2, ?3, ?4)",
            params![case.id, case.stage, iso(on), reason],
        )?;
        insert_event(
            &tx,
            &NewEvent {
                case_id: case.id,
                at,
                actor,
                kind: EventKind::DeadlinesPaused,
                from_state: None,
                to_state: None,
                detail: Some(reason),
            },
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Restart the clock `today`: each open deadline of the stage gets the date
    /// `redate(started, due, period)` gives (if any), and the pause ends, with an event
    /// listing the moves. False if the case is not paused.
    pub fn end_pause(
        &mut self,
        case: &Case,
        today: NaiveDate,
        actor: &str,
        at: DateTime<Utc>,
        redate: impl Fn(NaiveDate, NaiveDate, &str) -> Option<NaiveDate>,
    ) -> Result<bool> {
        let tx = self.conn.savepoint()?;
        let p: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, started_on FROM pauses WHERE case_id = ?1 AND ended_on IS NULL",
                [case.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        super::freeze_pending_letters(&tx, case.id)?;
        let Some((pid, started)) = p else {
            return Ok(false);
        };
        let started = crate::time::parse_iso(&started)
            .ok_or_else(|| StoreError::Refused("bad pause date".into()))?;
        let rows: Vec<(i64, String, String)> = {
            let mut st = tx.prepare("SELECT id, due, period FROM deadlines WHERE case_id = ?1 AND stage = ?2 AND status = 'open'")?;
            let v = st
                .query_map(params![case.id, case.stage], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            v
        };
        let mut moved = Vec::new();
        for (id, due, period) in rows {
            let Some(due) = crate::time::parse_iso(&due) else {
                continue;
            };
            let Some(new_due) = redate(started, due, &period) else {
                continue;
            };
            tx.execute(
                "UPDATE deadlines SET due = ?2 WHERE id = ?1",
                params![id, iso(new_due)],
            )?;
            moved.push(format!("{} -> {}", iso(due), iso(new_due)));
        }
        tx.execute(
            "UPDATE pauses SET ended_on = ?2 WHERE id = ?1",
            params![pid, iso(today)],
        )?;
        insert_event(
            &tx,
            &NewEvent {
                case_id: case.id,
                at,
                actor,
                kind: EventKind::DeadlinesResumed,
                from_state: None,
                to_state: None,
                detail: Some(&format!(
                    "paused {} to {}; {}",
                    iso(started),
                    iso(today),
                    moved.join(", ")
                )),
            },
        )?;
        tx.commit()?;
        Ok(true)
    }
}

/// A pause of a case's deadlines.
#[derive(Debug, Clone, Serialize)]
pub struct PauseRow {
    pub stage: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub reason: String,
}

impl Store {
    pub fn pauses(&self, case_id: i64) -> Result<Vec<PauseRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT stage, started_on, ended_on, reason FROM pauses WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(PauseRow {
                    stage: r.get(0)?,
                    started_on: r.get(1)?,
                    ended_on: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
