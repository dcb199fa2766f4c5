//! What a resident said by phone, by letter or in person, written down by the officer
//! who took it: the case's first message, beside the mail that came by email. And how
//! each message on a case was matched to it, so the desk can mark a third party's.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Store};
use crate::store::events::{insert_event, NewEvent};

/// `matched_by` of a message an officer wrote down (never a mail, never answered by
/// an automatic letter).
pub const RECORDED: &str = "recorded by an officer";

impl Store {
    /// Keep `said` (what the resident said, as the officer wrote it) as a message on
    /// case `case_id`, received by `via` at `at`, with an event in `actor`'s name. A
    /// savepoint: it joins a caller's transaction when there is one.
    pub fn record_said(
        &mut self,
        case_id: i64,
        via: &str,
        subject: Option<&str>,
        said: &str,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<i64> {
        let tx = self.conn.savepoint()?;
        let n: i64 = tx.query_row(
            "SELECT count(*) FROM messages WHERE case_id = ?1",
            [case_id],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO messages (case_id, ingest_key, subject, received_at, status, body_text,
                                   matched_by, no_reply_reason, size)
             VALUES (?1, ?2, ?3, ?4, 'stored', ?5, ?6, ?7, ?8)",
            params![
                case_id,
                format!("recorded:{case_id}:{}", n + 1),
                subject,
                crate::time::stamp(at),
                said,
                RECORDED,
                format!("taken by {via}: written down by an officer"),
                said.len() as i64,
            ],
        )?;
        let id = tx.last_insert_rowid();
        let detail = format!("what the resident said by {via}, written down as message {id}");
        insert_event(
            &tx,
            &NewEvent {
                case_id,
                at,
                actor,
                kind: crate::event::EventKind::MessageRecorded,
                from_state: None,
                to_state: None,
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// How each message on case `case_id` was matched to it, where it says: (message
    /// id, how), e.g. "third-party (header)" or [`RECORDED`].
    pub fn message_matches(&self, case_id: i64) -> Result<Vec<(i64, String)>> {
        let mut st = self.conn.prepare(
            "SELECT id, matched_by FROM messages WHERE case_id = ?1 AND matched_by IS NOT NULL",
        )?;
        let rows = st
            .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
