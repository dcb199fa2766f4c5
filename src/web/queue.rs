//! My queue: an officer's open cases by due date, and what waits to triage.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use serde::Serialize;

use super::{Shared, User};
use crate::calendar::Calendar;

/// Working days from `today` to `due`: 0 when due today, negative once overdue (the
/// council's calendar: weekends, bank holidays and its closures do not count).
pub fn working_days_left(cal: &Calendar, today: NaiveDate, due: NaiveDate) -> i64 {
    cal.working_days_between(today, due)
}

/// How a queue row is marked: overdue, or due within two working days.
pub fn due_tag(days_left: i64, due: NaiveDate, today: NaiveDate) -> Option<&'static str> {
    if due < today {
        Some("Overdue")
    } else if days_left <= 2 {
        Some("Due in 2 working days")
    } else {
        None
    }
}

#[derive(Serialize)]
struct QueueRow {
    reference: String,
    customer: String,
    subject: String,
    kind: String,
    stage: String,
    state: String,
    officer: String,
    due: String,
    days_left: Option<i64>,
    tag: Option<&'static str>,
}

/// A case waiting to triage, as the queue lists it.
#[derive(serde::Serialize)]
struct TriageRow {
    reference: String,
    customer: String,
    subject: String,
    suggested: String,
    route: String,
    due: String,
    /// The case's version, for the one-click decisions (the same check as its page's).
    version: String,
}

const QUEUE_LIMIT: usize = 500;

pub(crate) async fn queue(State(app): State<Shared>, who: User) -> Response {
    let name = who.0.name.clone();
    let now = app.now();
    let rows = app
        .db(move |store, cfg| {
            let today = crate::calendar::london_date(now);
            let cases = store.queue_cases(&name, QUEUE_LIMIT)?;
            // Responses written and waiting for approval (for those who approve).
            let waiting: Vec<serde_json::Value> = store
                .waiting_responses()?
                .into_iter()
                .map(|w| {
                    serde_json::json!({
                        "reference": w.reference,
                        "stage": cfg.policy.stage(&w.stage).map_or(w.stage.clone(), |s| s.name.clone()),
                        "written_by": w.written_by,
                        "why": w.why,
                        "due": w.next_due
                            .as_deref()
                            .and_then(crate::time::parse_iso)
                            .map(crate::time::day_in_words)
                            .unwrap_or_default(),
                    })
                })
                .collect();
            // Mail waiting for a person to decide triage's suggestion, soonest due first.
            let triage: Vec<TriageRow> = store
                .to_triage()?
                .into_iter()
                .map(|t| {
                    let version = store
                        .find_case(&t.reference)
                        .and_then(|c| store.case_version(c.id))?;
                    Ok::<_, crate::store::StoreError>(TriageRow {
                    version,
                    due: t
                        .acknowledge_by
                        .as_deref()
                        .and_then(crate::time::parse_iso)
                        .map(crate::time::day_in_words)
                        .unwrap_or_default(),
                    reference: t.reference,
                    customer: t.customer.unwrap_or_default(),
                    subject: t.subject.unwrap_or_default(),
                    suggested: t.kind.replace('-', " "),
                    route: t.route.unwrap_or_default(),
                })
                })
                .collect::<Result<_, _>>()?;
            Ok((
                (triage, waiting),
                cases
                    .into_iter()
                    .map(|c| {
                        let due = c.next_due.as_deref().and_then(crate::time::parse_iso);
                        let days_left = due.map(|d| working_days_left(&cfg.calendar, today, d));
                        QueueRow {
                            tag: due.zip(days_left).and_then(|(d, n)| due_tag(n, d, today)),
                            days_left,
                            due: due.map(crate::time::day_in_words).unwrap_or_default(),
                            reference: c.reference,
                            customer: c.customer_name.or(c.customer_email).unwrap_or_default(),
                            subject: c.subject.unwrap_or_default(),
                            kind: c.kind.to_string(),
                            stage: cfg
                                .policy
                                .stage(&c.stage)
                                .map_or(c.stage.clone(), |s| s.name.clone()),
                            state: if c.awaiting_approval {
                                format!("{}, awaiting approval", c.state)
                            } else {
                                c.state.to_string()
                            },
                            officer: c.officer.unwrap_or_default(),
                        }
                    })
                    .collect::<Vec<_>>(),
            ))
        })
        .await;
    let ((triage, waiting), rows) = match rows {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mine = rows.iter().filter(|r| r.officer == who.0.name).count();
    let mut c = app.context(Some(&who.0));
    c.insert("rows", &rows);
    c.insert("mine", &mine);
    c.insert("unassigned", &(rows.len() - mine));
    c.insert(
        "overdue",
        &rows.iter().filter(|r| r.tag == Some("Overdue")).count(),
    );
    c.insert(
        "due_soon",
        &rows
            .iter()
            .filter(|r| r.tag == Some("Due in 2 working days"))
            .count(),
    );
    c.insert("limited", &(rows.len() >= QUEUE_LIMIT));
    c.insert("triage", &triage);
    c.insert("waiting", &waiting);
    app.render("queue.html", &c, StatusCode::OK)
}

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/", get(queue))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn working_days_left_skip_weekends_and_bank_holidays() {
        let cal = Calendar::new();
        // Wednesday 2026-12-23 to Tuesday 2026-12-29: Christmas Day (Fri), Boxing Day
        // substitute (Mon 28th) and the weekend do not count: Thu 24th, Tue 29th.
        assert_eq!(working_days_left(&cal, d("2026-12-23"), d("2026-12-29")), 2);
        assert_eq!(working_days_left(&cal, d("2026-12-23"), d("2026-12-23")), 0);
        // Overdue: negative.
        assert_eq!(
            working_days_left(&cal, d("2026-12-29"), d("2026-12-24")),
            -1
        );
        // A council closure counts too.
        let closed = Calendar::with_closures([(d("2026-12-24"), "closure".to_string())]);
        assert_eq!(
            working_days_left(&closed, d("2026-12-23"), d("2026-12-29")),
            1
        );
    }

    #[test]
    fn tags_mark_overdue_and_due_soon() {
        let today = d("2026-12-02");
        assert_eq!(due_tag(-1, d("2026-12-01"), today), Some("Overdue"));
        assert_eq!(due_tag(0, today, today), Some("Due in 2 working days"));
        assert_eq!(
            due_tag(2, d("2026-12-04"), today),
            Some("Due in 2 working days")
        );
        assert_eq!(due_tag(3, d("2026-12-07"), today), None);
    }
}
