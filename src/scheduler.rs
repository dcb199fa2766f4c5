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

use crate::letter::Content;
pub use crate::letter::{Digest, DigestEntry, DigestGroup};

/// The digest of `lines` (as [`Store::digest_lines`] orders them): overdue cases and
/// cases due within `within` working days, by service and officer. Its counts are of
/// cases: a case with a lapsed deadline and another past due is one overdue case, and
/// a case is due soon only when it is not overdue (as the desk's dashboard counts).
pub fn digest(
    lines: &[DigestLine],
    calendar: &Calendar,
    today: NaiveDate,
    within: u32,
    desk: Option<String>,
) -> Digest {
    let mut groups: BTreeMap<(&str, &str), Vec<DigestEntry>> = BTreeMap::new();
    let mut overdue_cases = std::collections::BTreeSet::new();
    let mut cases = std::collections::BTreeSet::new();
    for l in lines {
        let due = l.due.unwrap_or(today);
        let overdue = l.lapsed || due < today;
        let days = if due < today {
            calendar.working_days_between(due, today)
        } else {
            calendar.working_days_between(today, due)
        };
        cases.insert(l.reference.as_str());
        if overdue {
            overdue_cases.insert(l.reference.as_str());
        }
        groups
            .entry((&l.service, &l.officer))
            .or_default()
            .push(DigestEntry {
                reference: l.reference.clone(),
                what: l.what.clone(),
                due: show(due),
                overdue,
                days,
            });
    }
    Digest {
        today: show(today),
        within,
        overdue: overdue_cases.len(),
        soon: cases.len() - overdue_cases.len(),
        desk,
        groups: groups
            .into_iter()
            .map(|((service, officer), lines)| DigestGroup {
                service: service.to_string(),
                officer: officer.to_string(),
                lines,
            })
            .collect(),
    }
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
    let horizon = cfg.calendar.add_working_days(today, d.due_within_days);
    let digest = digest(
        &store.digest_lines(horizon)?,
        &cfg.calendar,
        today,
        d.due_within_days,
        cfg.web.public_url.as_ref().map(|_| cfg.web.sign_in_url()),
    );
    let mails = if digest.groups.is_empty() && !d.send_when_empty {
        Vec::new()
    } else {
        let (subject, text) = crate::outbox::templates(cfg)
            .and_then(|t| Ok(t.staff_mail(&Content::ManagerDigest(digest.clone()))?))
            .map_err(|e| StoreError::Refused(e.to_string()))?;
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
    run_backups(store, cfg, now)?;
    Ok(queued)
}

/// The `[[backup]]` schedules that have come round: each takes one backup and keeps
/// its newest files. A backup that fails (a full disk) is logged as an error and
/// counted as fired, so it is not tried again every tick; the next firing tries again.
pub fn run_backups(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<usize> {
    let mut done = 0;
    for b in &cfg.backups {
        let key = format!("backup:{}", b.name);
        if due_firing(store, &key, &b.schedule, now)?.is_none() {
            continue;
        }
        match crate::backup::run_scheduled(cfg, b, now) {
            Ok((w, removed)) => {
                done += 1;
                tracing::info!(
                    backup = %b.name,
                    file = %w.file.display(),
                    bytes = w.bytes,
                    ms = w.millis as u64,
                    removed = removed.len(),
                    "backup written"
                );
            }
            Err(e) => {
                tracing::error!(backup = %b.name, error = %format!("{e:#}"), "backup failed");
            }
        }
        store.schedule_fired(&key, now)?;
    }
    Ok(done)
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
            lapsed: false,
        }
    }

    #[test]
    fn the_digest_groups_by_service_and_counts_working_days() {
        let cal = Calendar::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        let lines = [
            line("Waste", "BNES-2026-00001", "2026-12-18"),
            line("Housing", "BNES-2026-00002", "2026-12-23"),
        ];
        let d = digest(&lines, &cal, today, 5, None);
        assert_eq!((d.overdue, d.soon), (1, 1));
        // Groups in order of service: Housing before Waste.
        let services: Vec<_> = d.groups.iter().map(|g| g.service.as_str()).collect();
        assert_eq!(services, ["Housing", "Waste"]);
        let waste = &d.groups[1].lines[0];
        assert!(waste.overdue);
        assert_eq!(waste.days, 2);
        assert_eq!(d.groups[0].lines[0].days, 1);
        assert!(digest(&[], &cal, today, 5, None).groups.is_empty());
    }

    /// "13 overdue" for 7 cases was the bug: the counts are of cases. A case with a
    /// lapsed deadline and another past due is one overdue case; a case with one
    /// deadline overdue and one due soon is overdue, not due soon; a lapsed deadline
    /// is overdue whatever its date.
    #[test]
    fn the_digest_counts_cases_not_deadlines() {
        let cal = Calendar::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        let mut lapsed = line("Waste", "BNES-2026-00001", "2026-12-23");
        lapsed.lapsed = true;
        let lines = [
            line("Waste", "BNES-2026-00001", "2026-12-18"),
            lapsed,
            line("Waste", "BNES-2026-00002", "2026-12-17"),
            line("Waste", "BNES-2026-00002", "2026-12-23"),
            line("Housing", "BNES-2026-00003", "2026-12-23"),
            line("Housing", "BNES-2026-00003", "2026-12-24"),
        ];
        let d = digest(&lines, &cal, today, 5, None);
        assert_eq!((d.overdue, d.soon), (2, 1), "cases, not the 6 deadlines");
        let waste: Vec<bool> = d.groups[1].lines.iter().map(|l| l.overdue).collect();
        assert_eq!(waste, [true, true, true, false]);
        // With the desk's address, the digest links to the lists and each case.
        let t = crate::letter::Templates::builtin().unwrap();
        let with = digest(&lines, &cal, today, 5, Some("https://desk.example/".into()));
        let (subject, text) = t.staff_mail(&Content::ManagerDigest(with)).unwrap();
        assert_eq!(
            subject,
            "Complaints: 2 cases overdue, 1 due soon (2026-12-22 Tue)"
        );
        assert!(
            text.contains("Overdue cases: https://desk.example/cases?overdue=1\n"),
            "{text}"
        );
        assert!(
            text.contains("Due soon: https://desk.example/cases?soon=5\n"),
            "{text}"
        );
        assert!(
            text.contains("\n    https://desk.example/cases/BNES-2026-00003\n"),
            "{text}"
        );
        assert!(!text.contains("redress case"), "{text}");
    }

    #[test]
    fn the_digest_template_writes_the_digest_as_it_always_read() {
        let cal = Calendar::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 22).unwrap();
        let t = crate::letter::Templates::builtin().unwrap();
        let lines = [
            line("Waste", "BNES-2026-00001", "2026-12-18"),
            line("Waste", "BNES-2026-00003", "2026-12-22"),
            line("Housing", "BNES-2026-00002", "2026-12-23"),
        ];
        let (subject, text) = t
            .staff_mail(&Content::ManagerDigest(digest(
                &lines, &cal, today, 5, None,
            )))
            .unwrap();
        assert_eq!(
            subject,
            "Complaints: 1 case overdue, 2 due soon (2026-12-22 Tue)"
        );
        assert_eq!(
            text,
            "Complaints digest for 2026-12-22 Tue\n\
             1 case overdue, 2 due within 5 working days.\n\
             \n\
             Housing / ann\n  \
             BNES-2026-00002    stage1 respond         2026-12-23 Wed  due in 1 working days\n\
             \n\
             Waste / ann\n  \
             BNES-2026-00001    stage1 respond         2026-12-18 Fri  OVERDUE by 2 working days\n  \
             BNES-2026-00003    stage1 respond         2026-12-22 Tue  due in 0 working days\n\
             \n\
             Run `redress case REF --explain` for any case's deadlines.\n"
        );
        let (subject, text) = t
            .staff_mail(&Content::ManagerDigest(digest(&[], &cal, today, 5, None)))
            .unwrap();
        assert_eq!(subject, "Complaints: nothing overdue (2026-12-22 Tue)");
        assert_eq!(
            text,
            "Complaints digest for 2026-12-22 Tue\nNothing overdue or due within 5 working days.\n"
        );
    }
}
