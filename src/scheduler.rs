//! The scheduled jobs: the managers' digests and the performance reports on their cron
//! schedules, and the retention pass. The staff mail they queue (and the deadline
//! alerts the workflow queues) is sent by the outbox, [`crate::outbox::send_staff_mail`].
//!
//! A schedule fires at most once per pass however long the daemon was down: after a
//! week's outage managers get one digest of the present state, not seven stale ones
//! (see [`crate::schedule::firing`]). Each notification has a unique dedupe key, so a
//! restart never doubles one.

use crate::time::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

use crate::calendar::{london_date, show, Calendar};
use crate::config::{Config, DigestConfig};
use crate::schedule::{firing, previous_period, Firing};
use crate::store::digest::DigestLine;
use crate::store::notifications::{StaffMail, StaffMailKind};
use crate::store::{Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// The digest text: overdue cases and cases due within `within` working days, by
/// service and officer. None when there is nothing to report.
pub fn digest_body(
    store: &Store,
    cfg: &Config,
    today: NaiveDate,
    within: u32,
) -> Result<Option<(usize, usize, String)>> {
    let horizon = cfg.calendar.add_working_days(today, within);
    let lines = store.digest_lines(horizon)?;
    Ok(digest_text(&lines, &cfg.calendar, today, within))
}

/// The digest text for `lines` (as [`Store::digest_lines`] orders them), with the
/// counts of overdue and due-soon lines. None when there is nothing to report.
pub fn digest_text(
    lines: &[DigestLine],
    calendar: &Calendar,
    today: NaiveDate,
    within: u32,
) -> Option<(usize, usize, String)> {
    if lines.is_empty() {
        return None;
    }
    let due = |l: &DigestLine| l.due.unwrap_or(today);
    let mut groups: BTreeMap<(&str, &str), Vec<&DigestLine>> = BTreeMap::new();
    for l in lines {
        groups.entry((&l.service, &l.officer)).or_default().push(l);
    }
    let overdue = lines.iter().filter(|l| due(l) < today).count();
    let soon = lines.len() - overdue;
    let mut out = format!(
        "Complaints digest for {}\n{overdue} overdue, {soon} due within {within} working days.\n",
        show(today)
    );
    for ((service, officer), list) in groups {
        out.push_str(&format!("\n{service} / {officer}\n"));
        for l in list {
            let d = due(l);
            let status = if d < today {
                format!(
                    "OVERDUE by {} working days",
                    calendar.working_days_between(d, today)
                )
            } else {
                format!(
                    "due in {} working days",
                    calendar.working_days_between(today, d)
                )
            };
            out.push_str(&format!(
                "  {:<18} {:<22} {}  {}\n",
                l.reference,
                l.what,
                show(d),
                status
            ));
        }
    }
    out.push_str("\nRun `redress case REF --explain` for any case's deadlines.\n");
    Some((overdue, soon, out))
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
/// The first sight of a schedule starts its clock and fires nothing.
fn due_firing(
    store: &Store,
    key: &str,
    schedule: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    match firing(schedule, store.schedule_last_fired(key)?, now) {
        Firing::Start => {
            store.start_schedule(key, now)?;
            Ok(None)
        }
        Firing::Wait => Ok(None),
        Firing::Fire(at) => Ok(Some(at)),
    }
}

/// One email per address in `to`, each with its own dedupe key for this firing.
fn mails_to(
    to: &[String],
    kind: StaffMailKind,
    key: &str,
    fire: DateTime<Utc>,
    subject: &str,
    body: &str,
) -> Vec<StaffMail> {
    to.iter()
        .map(|to| StaffMail {
            kind,
            dedupe_key: format!("{key}:{}:{to}", stamp(fire)),
            to: to.clone(),
            subject: subject.to_string(),
            body: body.to_string(),
        })
        .collect()
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
    let mails = if subject.is_empty() {
        Vec::new()
    } else {
        mails_to(&d.to, StaffMailKind::Digest, &key, fire, &subject, &text)
    };
    let n = store.queue_fired_mail(&key, cfg.mail_domain(), &mails, now)?;
    tracing::info!(digest = %d.name, queued = n, "digest fired");
    Ok(n)
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
        let subject = format!("Complaints performance report: {}", period.describe());
        let mails = mails_to(&r.to, StaffMailKind::Report, &key, fire, &subject, &text);
        queued += store.queue_fired_mail(&key, cfg.mail_domain(), &mails, now)?;
        tracing::info!(report = %r.name, period = %label, "report queued");
    }
    if let Some(ret) = &cfg.retention {
        if due_firing(store, "retention", &ret.schedule, now)?.is_some() {
            let plan =
                crate::retention::plan(store, cfg, today).map_err(|e| refuse(e.to_string()))?;
            let erased =
                crate::retention::run(store, &plan, now, "system:retention", &mut |_, _| {})
                    .map_err(|e| refuse(e.to_string()))?;
            store.schedule_fired("retention", now)?;
            tracing::info!(cases = plan.due.len(), ?erased, "retention pass");
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: &str, reference: &str, due: &str) -> DigestLine {
        DigestLine {
            service: service.into(),
            officer: "ann".into(),
            reference: reference.into(),
            what: "stage1 respond".into(),
            due: crate::time::parse_iso(due),
        }
    }

    #[test]
    fn the_digest_groups_by_service_and_counts_working_days() {
        let cal = Calendar::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        assert_eq!(digest_text(&[], &cal, today, 5), None);
        let lines = [
            line("Waste", "BNES-2026-00001", "2026-12-18"),
            line("Housing", "BNES-2026-00002", "2026-12-23"),
        ];
        let (overdue, soon, text) = digest_text(&lines, &cal, today, 5).unwrap();
        assert_eq!((overdue, soon), (1, 1));
        assert!(text.starts_with("Complaints digest for "), "{text}");
        assert!(text.contains("1 overdue, 1 due within 5 working days.\n"));
        // Groups in order of service: Housing before Waste.
        let housing = text.find("\nHousing / ann\n").unwrap();
        let waste = text.find("\nWaste / ann\n").unwrap();
        assert!(housing < waste, "{text}");
        assert!(text.contains("  BNES-2026-00001    stage1 respond         "));
        assert!(text.contains("OVERDUE by 2 working days\n"), "{text}");
        assert!(text.contains("due in 1 working days\n"), "{text}");
        assert!(text.ends_with("for any case's deadlines.\n"));
    }
}
