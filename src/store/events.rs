//! The event log of a case: append-only (triggers refuse updates and deletes, but the
//! erasure of a detail).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

use super::{Result, Store, Stored};
use crate::event::EventKind;
use crate::time::stamp;

/// Who writes a plan, and when.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    /// Domain for our letters' Message-IDs.
    pub domain: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: String,
    pub actor: String,
    /// Lenient: the log is append-only, and may hold kinds this build does not write.
    pub kind: Stored<EventKind>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    pub fn events(&self, case_id: i64) -> Result<Vec<EventRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, kind, from_state, to_state, detail FROM events WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(EventRow {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    kind: r.get(2)?,
                    from_state: r.get(3)?,
                    to_state: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The version of a case a page was drawn from: its last event and how many
    /// messages it holds. An officer's action or a message changes it; the daemon's
    /// own steps do not.
    pub fn case_version(&self, case_id: i64) -> Result<String> {
        Ok(self.conn.query_row(
            "SELECT (SELECT coalesce(max(id), 0) FROM events WHERE case_id = ?1 AND actor LIKE 'officer:%') || '.' ||
                    (SELECT count(*) FROM messages WHERE case_id = ?1)",
            [case_id],
            |r| r.get(0),
        )?)
    }

    /// Record something that changes no state (a note, a letter queued, a flag).
    pub fn add_event(
        &mut self,
        reference: &str,
        at: DateTime<Utc>,
        actor: &str,
        kind: EventKind,
        detail: Option<&str>,
    ) -> Result<()> {
        let case = self.find_case(reference)?;
        insert_event(
            &self.conn,
            &NewEvent {
                case_id: case.id,
                at,
                actor,
                kind,
                from_state: None,
                to_state: None,
                detail,
            },
        )?;
        Ok(())
    }
}

/// An event on a case's timeline, as it is written: who did what to the case and
/// when, the state it moved between (if it did) and the detail in words.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub case_id: i64,
    pub at: DateTime<Utc>,
    /// "mail", "triage", "system:scheduler", "officer:NAME", ...
    pub actor: &'a str,
    pub kind: EventKind,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub(super) fn insert_event(conn: &Connection, e: &NewEvent) -> Result<()> {
    conn.prepare_cached("INSERT INTO events (case_id, at, actor, kind, from_state, to_state, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(
        params![e.case_id, stamp(e.at), e.actor, e.kind, e.from_state, e.to_state, e.detail],
    )?;
    Ok(())
}
