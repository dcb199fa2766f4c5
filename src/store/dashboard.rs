//! What the managers' dashboard counts (issue 26): open cases by officer and stage,
//! and of them the overdue and the due soon; cases waiting to triage, held letters and
//! quarantined mail. Every figure counts CASES (a case with three lapsed deadlines is
//! one overdue case), and "overdue" and "due soon" are defined here once: the
//! dashboard, the managers' digest ([`Store::digest_lines`]) and the Cases list's
//! filters ([`super::CaseFilter`]) all use these conditions, so the same day gives the
//! same figure everywhere.
//!
//! Aggregate SQL over two partial indexes (migration 34): the open cases' officer,
//! stage and policy, and the officers' deadlines still open or lapsed.

use chrono::NaiveDate;

use super::{Result, Store};
use crate::time::iso;

/// The deadline kinds an officer must meet (what "overdue" is about): not the
/// customer's escalation window, a survey or an internal aim.
pub(super) const OFFICER_KINDS: &str =
    "('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')";

/// The ids of cases with an officer's deadline passed on the date bound to `?{n}`:
/// lapsed, or open and due before that day. (Open cases only: the caller says
/// `c.state != 'closed'`.) Read from the partial index `deadlines_officer_open`.
pub(super) fn overdue_ids(n: usize) -> String {
    format!(
        "SELECT d.case_id FROM deadlines d INDEXED BY deadlines_officer_open
         WHERE d.kind IN {OFFICER_KINDS} AND d.status IN ('open', 'lapsed')
           AND (d.status = 'lapsed' OR d.due < ?{n})"
    )
}

/// The ids of cases with an officer's deadline open and due from the day bound to
/// `?{from}` to the one bound to `?{to}`, both included. "Due soon" is this and not
/// [`overdue_ids`].
pub(super) fn due_between_ids(from: usize, to: usize) -> String {
    format!(
        "SELECT d.case_id FROM deadlines d INDEXED BY deadlines_officer_open
         WHERE d.kind IN {OFFICER_KINDS} AND d.status IN ('open', 'lapsed')
           AND d.status = 'open' AND d.due >= ?{from} AND d.due <= ?{to}"
    )
}

/// Open cases of one officer at one stage of one policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Workload {
    pub policy: String,
    /// None: nobody's (unassigned).
    pub officer: Option<String>,
    pub stage: String,
    pub open: i64,
    pub overdue: i64,
    /// Not overdue, with a deadline due from today to the horizon.
    pub due_soon: i64,
}

/// Everything the dashboard shows, on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Dashboard {
    pub workload: Vec<Workload>,
    /// Cases waiting for a person to decide triage's suggestion.
    pub to_triage: i64,
    /// Letters held to print and post.
    pub held_letters: i64,
    /// Quarantined mail no one has dealt with.
    pub quarantined: i64,
}

impl Store {
    /// The dashboard's figures for `today` (a London date), "due soon" up to `horizon`.
    pub fn dashboard(&self, today: NaiveDate, horizon: NaiveDate) -> Result<Dashboard> {
        let sql = format!(
            "SELECT c.policy, NULLIF(c.officer, ''), c.stage, count(*),
                    count(*) FILTER (WHERE c.id IN ({late})),
                    count(*) FILTER (WHERE c.id NOT IN ({late}) AND c.id IN ({soon}))
             FROM cases c INDEXED BY cases_open_workload
             WHERE c.state != 'closed'
             GROUP BY 1, 2, 3 ORDER BY 2, 3, 1",
            late = overdue_ids(1),
            soon = due_between_ids(1, 2),
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([iso(today), iso(horizon)], |r| {
            Ok(Workload {
                policy: r.get(0)?,
                officer: r.get(1)?,
                stage: r.get(2)?,
                open: r.get(3)?,
                overdue: r.get(4)?,
                due_soon: r.get(5)?,
            })
        })?;
        let mut workload: Vec<Workload> = Vec::new();
        for w in rows {
            let w = w?;
            // NULL and '' are both "unassigned": one row.
            match workload.last_mut() {
                Some(l) if l.officer == w.officer && l.stage == w.stage && l.policy == w.policy => {
                    l.open += w.open;
                    l.overdue += w.overdue;
                    l.due_soon += w.due_soon;
                }
                _ => workload.push(w),
            }
        }
        let count = |sql: &str| -> Result<i64> {
            Ok(self.conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
        };
        Ok(Dashboard {
            workload,
            to_triage: count(&format!("SELECT count(*) FROM cases c WHERE {}", TO_TRIAGE))?,
            held_letters: count("SELECT count(*) FROM letters WHERE status = 'held'")?,
            quarantined: count(
                "SELECT count(*) FROM quarantine q WHERE NOT EXISTS
                   (SELECT 1 FROM quarantine_resolutions r WHERE r.quarantine_id = q.id)",
            )?,
        })
    }
}

impl Store {
    /// The newest event's id (0 with none): every change to a case records one, so a
    /// figure computed from the cases stays right while this is unchanged (the Reports
    /// page keeps a report it built until it moves).
    pub fn last_event_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT COALESCE(max(id), 0) FROM events")?
            .query_row([], |r| r.get(0))?)
    }
}

/// A case waiting to triage (as [`Store::to_triage`] lists them): a suggestion no one
/// has decided, on a case not yet acknowledged or closed.
pub(super) const TO_TRIAGE: &str = "c.state = 'received' AND c.id IN
    (SELECT t.case_id FROM triage_suggestions t WHERE t.resolution IS NULL)";
