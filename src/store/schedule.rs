//! The schedules table: when each cron schedule (a digest, a report, the retention
//! pass) last fired. Whether one is due is decided in [`crate::schedule`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::notifications::{self, StaffMail};
use super::{Result, Store};
use crate::time::{parse_stamp, stamp};

/// Record that schedule `name` fired at `at`.
fn moved_on(conn: &Connection, name: &str, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE schedules SET last_fired = ?2 WHERE name = ?1",
        params![name, stamp(at)],
    )?;
    Ok(())
}

impl Store {
    /// When schedule `name` last fired; None if it has never been seen.
    pub fn schedule_last_fired(&self, name: &str) -> Result<Option<DateTime<Utc>>> {
        let last: Option<String> = self
            .conn
            .query_row(
                "SELECT last_fired FROM schedules WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(last.and_then(|l| parse_stamp(&l)))
    }

    /// Start the clock of a schedule seen for the first time.
    pub fn start_schedule(&self, name: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO schedules (name, last_fired) VALUES (?1, ?2)",
            params![name, stamp(at)],
        )?;
        Ok(())
    }

    /// Record that schedule `name` fired at `at`.
    pub fn schedule_fired(&self, name: &str, at: DateTime<Utc>) -> Result<()> {
        moved_on(&self.conn, name, at)
    }

    /// Queue the staff mail a schedule's firing produced and record the firing, in one
    /// transaction. Returns how many were new (a dedupe key already queued counts 0).
    pub fn queue_fired_mail(
        &mut self,
        name: &str,
        domain: &str,
        mails: &[StaffMail],
        at: DateTime<Utc>,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for m in mails {
            n += notifications::insert(&tx, m, domain, at)?;
        }
        moved_on(&tx, name, at)?;
        tx.commit()?;
        Ok(n)
    }
}
