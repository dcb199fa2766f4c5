//! The deadlines table: a case's deadlines inserted, redated, met, lapsed, cancelled.

use crate::deadline::Deadline;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::{Result, Store};
use crate::deadline::{self, Due, Status};
use crate::plan::DeadlineOp;
use crate::time::iso;

impl Store {
    pub fn deadlines(&self, case_id: i64) -> Result<Vec<Deadline>> {
        let mut stmt = self.conn.prepare(
            "SELECT stage, kind, from_event, from_date, period, due, status, met_on, held_letter_id
             FROM deadlines WHERE case_id = ?1 ORDER BY due, id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(Deadline {
                    stage: r.get(0)?,
                    kind: r.get(1)?,
                    from_event: r.get(2)?,
                    from_date: r.get(3)?,
                    period: r.get(4)?,
                    due: r.get(5)?,
                    status: r.get(6)?,
                    met_on: r.get(7)?,
                    held_letter: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// Insert a deadline (open, or met on `met_on`), or recompute an open one's date.
pub(crate) fn upsert_deadline(
    tx: &Connection,
    case_id: i64,
    due: &Due,
    met_on: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status, met_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?8 IS NULL THEN 'open' ELSE 'met' END, ?8)
         ON CONFLICT (case_id, stage, kind) DO UPDATE SET
            from_event = excluded.from_event, from_date = excluded.from_date,
            period = excluded.period, due = excluded.due
         WHERE deadlines.status = 'open'",
    )?
    .execute(params![
        case_id,
        due.stage,
        due.kind,
        due.from.describe(),
        iso(due.from_date),
        due.period,
        iso(due.due),
        met_on
    ])?;
    Ok(())
}

/// Apply one deadline operation; when it met a respond deadline, the id of the response
/// row it recorded (for the outcome the same plan gives it).
pub(crate) fn apply_deadline_op(
    tx: &Connection,
    case_id: i64,
    op: &DeadlineOp,
) -> Result<Option<i64>> {
    let mut response = None;
    match op {
        DeadlineOp::MarkMet { stage, kinds, on } => {
            for k in kinds {
                // A lapsed or extended deadline is still met (late) when the step finally
                // happens: reports compare met_on with due.
                let met = tx
                    .prepare_cached(
                        "UPDATE deadlines SET status = 'met', met_on = ?4 WHERE case_id = ?1 AND stage = ?2 AND kind = ?3 AND status IN ('open', 'lapsed', 'extended')",
                    )?
                    .execute(params![case_id, stage, k, iso(*on)])?;
                // A response deadline met is a response sent: recorded with the deadline
                // as it stands, which a reopening renews (its outcome is added after).
                if met > 0 && *k == deadline::Kind::Respond {
                    tx.prepare_cached(
                        "INSERT INTO responses (case_id, stage, sent_on, from_date, due)
                         SELECT case_id, stage, met_on, from_date, due FROM deadlines
                         WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond'",
                    )?
                    .execute(params![case_id, stage])?;
                    response = Some(tx.last_insert_rowid());
                }
            }
        }
        DeadlineOp::CancelStage { stage } => {
            tx.prepare_cached("UPDATE deadlines SET status = 'cancelled' WHERE case_id = ?1 AND stage = ?2 AND status = 'open'")?
                .execute(params![case_id, stage])?;
        }
        DeadlineOp::CancelAllButSurvey => {
            tx.prepare_cached(
                "UPDATE deadlines SET status = 'cancelled' WHERE case_id = ?1 AND status IN ('open', 'lapsed') AND kind != 'survey'",
            )?
            .execute(params![case_id])?;
        }
        DeadlineOp::RenewRespond {
            stage,
            from,
            period,
            due,
        } => {
            tx.prepare_cached(
                "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
                 VALUES (?1, ?2, 'respond', 'the reopening', ?3, ?4, ?5, 'open')
                 ON CONFLICT (case_id, stage, kind) DO UPDATE SET from_event = excluded.from_event,
                    from_date = excluded.from_date, period = excluded.period, due = excluded.due,
                    status = 'open', met_on = NULL",
            )?
            .execute(params![case_id, stage, iso(*from), period, iso(*due)])?;
        }
        DeadlineOp::RestoreOverallLimit => {
            tx.prepare_cached(
                "UPDATE deadlines SET status = 'open', met_on = NULL WHERE case_id = ?1 AND kind = 'overall-limit' AND status = 'cancelled'",
            )?
            .execute(params![case_id])?;
        }
        DeadlineOp::ReopenRespond { stage } => {
            tx.prepare_cached("UPDATE deadlines SET status = 'open' WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond' AND status = 'cancelled'")?
                .execute(params![case_id, stage])?;
        }
    }
    Ok(response)
}

/// Set the status of an open deadline (and the day it was met). Marked lapsed, a respond
/// deadline extended in the same step (the scheduler's holding letter after the lapse)
/// is lapsed too: its date passed without a response.
pub(crate) fn set_open_deadline(
    tx: &Connection,
    case_id: i64,
    stage: &str,
    kind: deadline::Kind,
    status: Status,
    met_on: Option<NaiveDate>,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE deadlines SET status = ?4, met_on = COALESCE(?5, met_on) WHERE case_id = ?1 AND stage = ?2 AND kind = ?3
         AND (status = 'open' OR (status = 'extended' AND ?4 = 'lapsed'))",
    )?
    .execute(params![case_id, stage, kind, status, met_on.map(iso)])?;
    Ok(())
}

/// A new response target: the extension deadline (re)opened, and an open respond
/// deadline left on record as extended (superseded before it passed: only the new date
/// counts). One that passed without a response stays lapsed.
pub(crate) fn set_extension(
    conn: &Connection,
    case_id: i64,
    stage: &str,
    from: NaiveDate,
    period: &str,
    due: NaiveDate,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
         VALUES (?1, ?2, 'extension', 'the previous target', ?3, ?4, ?5, 'open')
         ON CONFLICT (case_id, stage, kind) DO UPDATE SET from_date = excluded.from_date, period = excluded.period,
            due = excluded.due, status = 'open', met_on = NULL",
    )?
    .execute(params![case_id, stage, iso(from), period, iso(due)])?;
    conn.prepare_cached(
        "UPDATE deadlines SET status = 'extended' WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond' AND status = 'open'",
    )?
    .execute(params![case_id, stage])?;
    Ok(())
}

/// The deadlines a letter meets (an acknowledgement, a response, a review decision)
/// among `met`, for a customer whose letters are printed and posted: held for `letter`
/// until it is posted ([`letter_went`]). The customer's own steps (a review request
/// meeting the reply window) are not the letter's.
pub(super) fn hold_for_letter(
    tx: &Connection,
    case_id: i64,
    met: &[(&str, deadline::Kind)],
    letter: i64,
) -> Result<()> {
    use deadline::Kind as K;
    for (stage, kind) in met {
        if matches!(kind, K::EscalationWindow | K::Survey | K::OverallLimit) {
            continue;
        }
        tx.prepare_cached(
            "UPDATE deadlines SET held_letter_id = ?4
             WHERE case_id = ?1 AND stage = ?2 AND kind = ?3 AND status = 'met' AND held_letter_id IS NULL",
        )?
        .execute(params![case_id, stage, kind, letter])?;
    }
    Ok(())
}

/// Letter `letter` went on `on` (printed and posted, or emailed after all): the
/// deadlines it was held for are met that day, and a response it carried counts as
/// sent that day. Returns them as "KIND deadline (STAGE)", for the event.
pub(crate) fn letter_went(tx: &Connection, letter: i64, on: NaiveDate) -> Result<Vec<String>> {
    tx.prepare_cached(
        "UPDATE responses SET sent_on = ?2
         WHERE id IN (SELECT r.id FROM responses r JOIN deadlines d
                      ON d.case_id = r.case_id AND d.stage = r.stage AND d.kind = 'respond'
                         AND r.sent_on = d.met_on AND r.due IS d.due
                      WHERE d.held_letter_id = ?1)",
    )?
    .execute(params![letter, iso(on)])?;
    let mut st = tx.prepare_cached(
        "UPDATE deadlines SET met_on = ?2, held_letter_id = NULL WHERE held_letter_id = ?1
         RETURNING kind, stage",
    )?;
    let went = st
        .query_map(params![letter, iso(on)], |r| {
            Ok(format!(
                "{} deadline ({})",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(went)
}

impl Store {
    /// The current response target of a stage: the latest open extension, else the
    /// respond deadline (open, lapsed or extended).
    pub fn response_target(&self, case_id: i64, stage: &str) -> Result<Option<NaiveDate>> {
        let d: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT due FROM deadlines WHERE case_id = ?1 AND stage = ?2 AND kind IN ('extension', 'respond')
                 AND status IN ('open', 'lapsed', 'extended') ORDER BY CASE kind WHEN 'extension' THEN 0 ELSE 1 END LIMIT 1",
            )?
            .query_row(params![case_id, stage], |r| r.get(0))
            .optional()?;
        Ok(d.and_then(|d| crate::time::parse_iso(&d)))
    }

    /// The stage's original response date (its respond deadline, whatever its status):
    /// where the extensions at the stage are counted from.
    pub fn respond_due(&self, case_id: i64, stage: &str) -> Result<Option<NaiveDate>> {
        let d: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT due FROM deadlines WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond'",
            )?
            .query_row(params![case_id, stage], |r| r.get(0))
            .optional()?;
        Ok(d.and_then(|d| crate::time::parse_iso(&d)))
    }

    /// Open deadlines due on or before `by`, oldest first (then by case): the
    /// scheduler's work list.
    pub fn open_deadlines_due_by(
        &self,
        by: NaiveDate,
    ) -> Result<Vec<(i64, String, deadline::Kind, NaiveDate)>> {
        let mut st = self.conn.prepare_cached(OPEN_DUE_BY)?;
        let rows = st
            .query_map([iso(by)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(c, s, k, d)| crate::time::parse_iso(&d).map(|d| (c, s, k, d)))
            .collect())
    }
}

/// The scheduler's work list: open deadlines due by ?1 (an ISO date).
pub(super) const OPEN_DUE_BY: &str =
    "SELECT case_id, stage, kind, due FROM deadlines WHERE status = 'open' AND due <= ?1 ORDER BY due, case_id, id";
