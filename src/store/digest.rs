//! What a manager's digest lists: the open deadlines an officer must meet on open
//! cases due by a date, and the lapsed ones (the conditions of
//! [`super::dashboard`], so the digest's overdue cases are the dashboard's). The
//! text is made in [`crate::scheduler`].

use chrono::NaiveDate;

use super::dashboard::OFFICER_KINDS;
use super::{Result, Store};
use crate::time::{iso, parse_iso};

/// One line of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    /// "(no service)" when the case has none.
    pub service: String,
    /// "(unassigned)" when the case has no officer.
    pub officer: String,
    pub reference: String,
    /// The stage and the deadline's kind: "stage1 respond".
    pub what: String,
    /// None when the stored date does not parse.
    pub due: Option<NaiveDate>,
    /// Lapsed (overdue whatever its date says).
    pub lapsed: bool,
}

impl Store {
    /// The deadlines an officer must meet on open cases that are open and due by
    /// `horizon`, or lapsed; by service, officer, due date and reference.
    pub fn digest_lines(&self, horizon: NaiveDate) -> Result<Vec<DigestLine>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT COALESCE(c.service, '(no service)'), COALESCE(NULLIF(c.officer, ''), '(unassigned)'), c.reference, d.stage, d.kind, d.due, d.status = 'lapsed'
             FROM deadlines d INDEXED BY deadlines_officer_open JOIN cases c ON c.id = d.case_id
             WHERE c.state != 'closed' AND d.kind IN {OFFICER_KINDS} AND d.status IN ('open', 'lapsed')
               AND (d.status = 'lapsed' OR d.due <= ?1)
             ORDER BY 1, 2, d.due, c.reference"
        ))?;
        let rows = st
            .query_map([iso(horizon)], |r| {
                let due: String = r.get(5)?;
                Ok(DigestLine {
                    service: r.get(0)?,
                    officer: r.get(1)?,
                    reference: r.get(2)?,
                    what: format!("{} {}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                    due: parse_iso(&due),
                    lapsed: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
