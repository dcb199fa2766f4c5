//! The figures `/healthz` and `/metrics` read: cases open, overdue and due soon by
//! stage, letters by status and the oldest one waiting to go. Reads only.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Result, Store};
use crate::time::{iso, parse_stamp};

/// One stage's open cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageFigures {
    pub stage: String,
    pub open: i64,
    /// Open cases with a deadline passed (lapsed, or open and due before today).
    pub overdue: i64,
    /// Open cases not overdue with a deadline due from today to the horizon.
    pub due_soon: i64,
}

/// The case and letter figures at one moment.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub stages: Vec<StageFigures>,
    /// Letters by status (pending, queued, sending, held, failed, sent, ...).
    pub letters: Vec<(String, i64)>,
    /// When the oldest letter still to go (pending, queued or sending) was asked for.
    pub oldest_unsent_letter: Option<DateTime<Utc>>,
    pub schema_version: i64,
}

/// The deadline kinds an officer must meet (as the managers' digest counts them).
const KINDS: &str = "('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')";

impl Store {
    /// The figures for `today` (a London date), "due soon" up to `horizon`.
    pub fn figures(&self, today: NaiveDate, horizon: NaiveDate) -> Result<Figures> {
        let mut st = self.conn.prepare(&format!(
            "SELECT c.stage, count(*),
                    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id
                        AND d.kind IN {KINDS}
                        AND (d.status = 'lapsed' OR (d.status = 'open' AND d.due < ?1)))),
                    count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id
                        AND d.kind IN {KINDS}
                        AND (d.status = 'lapsed' OR (d.status = 'open' AND d.due < ?1)))
                      AND EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id
                        AND d.kind IN {KINDS}
                        AND d.status = 'open' AND d.due >= ?1 AND d.due <= ?2))
             FROM cases c WHERE c.state != 'closed' GROUP BY c.stage ORDER BY c.stage"
        ))?;
        let stages = st
            .query_map([iso(today), iso(horizon)], |r| {
                Ok(StageFigures {
                    stage: r.get(0)?,
                    open: r.get(1)?,
                    overdue: r.get(2)?,
                    due_soon: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let oldest: Option<String> = self.conn.query_row(
            "SELECT min(created_at) FROM letters WHERE status IN ('pending', 'queued', 'sending')",
            [],
            |r| r.get(0),
        )?;
        Ok(Figures {
            stages,
            letters: self.letter_counts()?,
            oldest_unsent_letter: oldest.as_deref().and_then(parse_stamp),
            schema_version: self.schema_version()?,
        })
    }
}
