//! Scheduled mail to staff: the managers' digests on their cron schedules, and the
//! sending of staff notifications (deadline alerts, digests) queued by the workflow.
//!
//! A schedule fires at most once per pass however long the daemon was down: after a
//! week's outage managers get one digest of the present state, not seven stale ones.
//! Each notification has a unique dedupe key, so a restart never doubles one.

use crate::time::{iso, stamp};
use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;
use std::str::FromStr;

use crate::calendar::{london_date, show};
use crate::config::{Config, DigestConfig};
use crate::outbox::{Failure, Transport};
use crate::store::{Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// The next time `schedule` fires after `after`, counted in London time.
pub fn next_fire(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = cron::Schedule::from_str(schedule).ok()?;
    let london = after.with_timezone(&chrono_tz::Europe::London);
    s.after(&london).next().map(|d| d.with_timezone(&Utc))
}

/// One line of a digest.
#[derive(Debug, Clone)]
struct Row {
    service: String,
    officer: String,
    reference: String,
    what: String,
    due: NaiveDate,
}

/// The digest text: overdue cases and cases due within `within` working days, by
/// service and officer. None when there is nothing to report.
pub fn digest_body(
    store: &Store,
    cfg: &Config,
    today: NaiveDate,
    within: u32,
) -> Result<Option<(usize, usize, String)>> {
    let horizon = cfg.calendar.add_working_days(today, within);
    let mut st = store.conn().prepare(
        "SELECT COALESCE(c.service, '(no service)'), COALESCE(c.officer, '(unassigned)'), c.reference, d.stage, d.kind, d.due
         FROM deadlines d JOIN cases c ON c.id = d.case_id
         WHERE c.state != 'closed' AND d.kind IN ('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')
           AND ((d.status = 'open' AND d.due <= ?1) OR d.status = 'lapsed')
         ORDER BY 1, 2, d.due, c.reference",
    )?;
    let rows: Vec<Row> = st
        .query_map([iso(horizon)], |r| {
            let due: String = r.get(5)?;
            Ok(Row {
                service: r.get(0)?,
                officer: r.get(1)?,
                reference: r.get(2)?,
                what: format!("{} {}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                due: crate::time::parse_iso(&due).unwrap_or(today),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut groups: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        groups
            .entry((r.service.clone(), r.officer.clone()))
            .or_default()
            .push(r);
    }
    let overdue = rows.iter().filter(|r| r.due < today).count();
    let soon = rows.len() - overdue;
    let mut out = format!(
        "Complaints digest for {}\n{overdue} overdue, {soon} due within {within} working days.\n",
        show(today)
    );
    for ((service, officer), list) in groups {
        out.push_str(&format!("\n{service} / {officer}\n"));
        for r in list {
            let status = if r.due < today {
                format!(
                    "OVERDUE by {} working days",
                    cfg.calendar.working_days_between(r.due, today)
                )
            } else {
                format!(
                    "due in {} working days",
                    cfg.calendar.working_days_between(today, r.due)
                )
            };
            out.push_str(&format!(
                "  {:<18} {:<22} {}  {}\n",
                r.reference,
                r.what,
                show(r.due),
                status
            ));
        }
    }
    out.push_str("\nRun `redress case REF --explain` for any case's deadlines.\n");
    Ok(Some((overdue, soon, out)))
}

/// Fire the digests whose schedule has come round since they last fired.
pub fn run_digests(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<usize> {
    let mut queued = 0;
    for d in &cfg.digests {
        queued += run_digest(store, cfg, d, now)?;
    }
    Ok(queued)
}

/// Whether the schedule `key` has come round since it last fired: the firing time.
/// At most one firing per pass, however long the daemon was down; the first sight of
/// a schedule starts its clock and fires nothing.
fn due_firing(
    store: &Store,
    key: &str,
    schedule: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let last: Option<String> = store
        .conn()
        .query_row(
            "SELECT last_fired FROM schedules WHERE name = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    let Some(last) = last.and_then(|l| crate::time::parse_stamp(&l)) else {
        store.conn().execute(
            "INSERT INTO schedules (name, last_fired) VALUES (?1, ?2)",
            params![key, stamp(now)],
        )?;
        return Ok(None);
    };
    Ok(next_fire(schedule, last).filter(|fire| *fire <= now))
}

/// Record that schedule `key` fired at `now`.
fn moved_on(conn: &rusqlite::Connection, key: &str, now: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE schedules SET last_fired = ?2 WHERE name = ?1",
        params![key, stamp(now)],
    )?;
    Ok(())
}

fn run_digest(
    store: &mut Store,
    cfg: &Config,
    d: &DigestConfig,
    now: DateTime<Utc>,
) -> Result<usize> {
    let key = format!("digest:{}", d.name);
    let Some(fire) = due_firing(store, &key, &d.schedule, now)? else {
        return Ok(0);
    };
    let today = london_date(now);
    let body = digest_body(store, cfg, today, d.due_within_days)?;
    let tx = store.conn_mut().transaction()?;
    let mut n = 0;
    let (subject, text) = match body {
        Some((overdue, soon, text)) => (
            format!(
                "Complaints: {overdue} overdue, {soon} due soon ({})",
                show(today)
            ),
            text,
        ),
        None if d.send_when_empty => (
            format!("Complaints: nothing overdue ({})", show(today)),
            format!(
                "Complaints digest for {}\nNothing overdue or due within {} working days.\n",
                show(today),
                d.due_within_days
            ),
        ),
        None => (String::new(), String::new()),
    };
    if !subject.is_empty() {
        for to in &d.to {
            n += tx.execute(
                "INSERT OR IGNORE INTO notifications (kind, dedupe_key, message_id, to_addr, subject, body, created_at)
                 VALUES ('digest', ?1, '<digest.' || lower(hex(randomblob(12))) || '@' || ?2 || '>', ?3, ?4, ?5, ?6)",
                params![format!("{key}:{}:{to}", stamp(fire)), cfg.mail_domain(), to, subject, text, stamp(now)],
            )?;
        }
    }
    moved_on(&tx, &key, now)?;
    tx.commit()?;
    tracing::info!(digest = %d.name, queued = n, "digest fired");
    Ok(n)
}

/// The report period a scheduled report covers, seen from `today`.
pub fn previous_period(kind: &str, today: NaiveDate) -> Option<String> {
    use chrono::Datelike;
    let (y, m) = (today.year(), today.month());
    match kind {
        "previous-month" => Some(if m == 1 {
            format!("{}-12", y - 1)
        } else {
            format!("{y}-{:02}", m - 1)
        }),
        "previous-quarter" => {
            let q = (m - 1) / 3 + 1;
            Some(if q == 1 {
                format!("{}-Q4", y - 1)
            } else {
                format!("{y}-Q{}", q - 1)
            })
        }
        "previous-financial-year" => {
            // April to March: the one before the year that today falls in.
            let start = if m >= 4 { y - 1 } else { y - 2 };
            Some(format!("{start}-{:02}", (start + 1) % 100))
        }
        _ => None,
    }
}

/// Scheduled performance reports (as text in the email; reports hold no personal
/// data) and the retention pass.
pub fn run_reports_and_retention(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<usize> {
    let refuse = |e: String| StoreError::Refused(e);
    let mut queued = 0;
    let today = london_date(now);
    for r in &cfg.reports {
        let key = format!("report:{}", r.name);
        let Some(fire) = due_firing(store, &key, &r.schedule, now)? else {
            continue;
        };
        let label = previous_period(&r.period, today).unwrap_or_default();
        let period: crate::report::Period = label
            .parse()
            .map_err(|e: crate::report::ReportError| refuse(e.to_string()))?;
        let report =
            crate::report::build(store, cfg, &period).map_err(|e| refuse(e.to_string()))?;
        let text = crate::report::to_text(&report);
        let tx = store.conn_mut().transaction()?;
        for to in &r.to {
            queued += tx.execute(
                "INSERT OR IGNORE INTO notifications (kind, dedupe_key, message_id, to_addr, subject, body, created_at)
                 VALUES ('report', ?1, '<report.' || lower(hex(randomblob(12))) || '@' || ?2 || '>', ?3, ?4, ?5, ?6)",
                params![
                    format!("{key}:{}:{to}", stamp(fire)),
                    cfg.mail_domain(),
                    to,
                    format!("Complaints performance report: {}", period.describe()),
                    text,
                    stamp(now)
                ],
            )?;
        }
        moved_on(&tx, &key, now)?;
        tx.commit()?;
        tracing::info!(report = %r.name, period = %label, "report queued");
    }
    if let Some(ret) = &cfg.retention {
        if due_firing(store, "retention", &ret.schedule, now)?.is_some() {
            let plan =
                crate::retention::plan(store, cfg, today).map_err(|e| refuse(e.to_string()))?;
            let erased =
                crate::retention::run(store, &plan, now, "system:retention", &mut |_, _| {})
                    .map_err(|e| refuse(e.to_string()))?;
            moved_on(store.conn(), "retention", now)?;
            tracing::info!(cases = plan.due.len(), ?erased, "retention pass");
        }
    }
    Ok(queued)
}

/// Send queued staff notifications, once each: the attempt is recorded before sending.
pub fn send_notifications(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<usize> {
    let rows: Vec<(i64, String, String, String, String)> = {
        let mut st = store.conn().prepare(
            "SELECT id, message_id, to_addr, subject, body FROM notifications WHERE status = 'queued' AND attempts < 20 ORDER BY id LIMIT 500",
        )?;
        let v = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    if rows.is_empty() {
        return Ok(0);
    }
    let transport = Transport::from_config(cfg).map_err(|e| StoreError::Refused(e.to_string()))?;
    let from: Mailbox = format!(
        "{} <{}>",
        cfg.council.name.replace(['<', '>', '"'], ""),
        cfg.council.email
    )
    .parse()
    .map_err(|e| StoreError::Refused(format!("council email {}: {e}", cfg.council.email)))?;
    let mut sent = 0;
    for (id, mid, to, subject, body) in rows {
        let to_box: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => {
                store.conn().execute(
                    "UPDATE notifications SET status = 'failed', last_error = ?2 WHERE id = ?1",
                    params![id, format!("bad address: {e}")],
                )?;
                continue;
            }
        };
        let msg = Message::builder()
            .from(from.clone())
            .to(to_box)
            .subject(subject)
            .message_id(Some(mid.clone()))
            .date(now.into())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ))
            .body(body);
        let Ok(msg) = msg else {
            store.conn().execute("UPDATE notifications SET status = 'failed', last_error = 'could not build the message' WHERE id = ?1", [id])?;
            continue;
        };
        if transport.delivered_file(&mid).is_some() {
            store.conn().execute(
                "UPDATE notifications SET status = 'sent', sent_at = ?2 WHERE id = ?1",
                params![id, stamp(now)],
            )?;
            continue;
        }
        store.conn().execute(
            "UPDATE notifications SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        match transport.send(&mid, &msg) {
            Ok(_) => {
                store.conn().execute(
                    "UPDATE notifications SET status = 'sent', sent_at = ?2 WHERE id = ?1",
                    params![id, stamp(now)],
                )?;
                sent += 1;
            }
            Err(Failure::Permanent(e)) => {
                store.conn().execute(
                    "UPDATE notifications SET status = 'failed', last_error = ?2 WHERE id = ?1",
                    params![id, e],
                )?;
            }
            Err(Failure::Temporary { msg, .. }) => {
                store.conn().execute(
                    "UPDATE notifications SET last_error = ?2 WHERE id = ?1",
                    params![id, msg],
                )?;
                break;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_reports_cover_the_period_just_ended() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            previous_period("previous-month", d("2027-01-01")).unwrap(),
            "2026-12"
        );
        assert_eq!(
            previous_period("previous-month", d("2026-11-01")).unwrap(),
            "2026-10"
        );
        assert_eq!(
            previous_period("previous-quarter", d("2026-10-01")).unwrap(),
            "2026-Q3"
        );
        assert_eq!(
            previous_period("previous-quarter", d("2027-02-01")).unwrap(),
            "2026-Q4"
        );
        assert_eq!(
            previous_period("previous-financial-year", d("2027-04-01")).unwrap(),
            "2026-27"
        );
        assert_eq!(
            previous_period("previous-financial-year", d("2027-03-31")).unwrap(),
            "2025-26"
        );
    }

    #[test]
    fn weekday_mornings_in_london_time() {
        // Fri 27 Nov 2026 10:00 UTC: next 08:00 London on a weekday is Mon 30 Nov 08:00 GMT.
        let after = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = next_fire("0 0 8 * * Mon-Fri", after).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-30T08:00:00+00:00");
        // In summer time 08:00 London is 07:00 UTC.
        let after = DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            next_fire("0 0 8 * * Mon-Fri", after).unwrap().to_rfc3339(),
            "2026-07-02T07:00:00+00:00"
        );
    }
}
