//! The scheduler's part in intake: acknowledgements deferred by the hourly cap go out,
//! oldest first, as each hour has room; mail waiting "to triage" past
//! `[workflow] triage_alert_hours` office hours is brought to the duty manager.

use chrono::{DateTime, Utc};

use super::{write, Count, Rules, Step, TickReport};
use crate::calendar::{london_date, show};
use crate::case::{Action, Case, State};
use crate::config::Config;
use crate::event::EventKind;
use crate::plan::{self, policy_of, LetterOrder, Plan, Result, Write};
use crate::policy::Policy;
use crate::store::intake::DeferredAck;
use crate::store::Store;
use crate::time::{iso, stamp};

/// The step that sends a deferred acknowledgement: the case acknowledged today and its
/// drafted letter (automatic: it counts against the caps like any other), or, where the
/// per-address cap (a mail loop) is reached, held for an officer with the reason.
pub fn deferred_step(
    case: &Case,
    d: &DeferredAck,
    to_address_today: u32,
    policy: &Policy,
    cfg: &Rules,
    today: chrono::NaiveDate,
) -> Result<Step> {
    if to_address_today >= cfg.inbound.max_auto_replies_per_day {
        let why =
            format!("rate limit: {to_address_today} automatic letters to this address in 24 hours");
        return Ok(Step {
            key: Some("deferred-ack".into()),
            plan: Plan {
                writes: vec![
                    Write::Flag(why.clone()),
                    Write::Event {
                        kind: EventKind::NoAutomaticLetter,
                        detail: Some(why),
                    },
                ],
            },
            counts: Vec::new(),
            line: Some(format!(
                "{}: deferred acknowledgement held (per-address cap)",
                case.reference
            )),
            at: None,
        });
    }
    let mut p = plan::plan(
        case,
        Action::Acknowledge,
        policy,
        cfg.calendar,
        today,
        Some("deferred by the hourly cap of automatic letters"),
    )?;
    p.push(Write::Letter(LetterOrder {
        kind: d.letter_kind,
        data: d.letter_data.clone(),
        automatic: true,
        enclosures: Vec::new(),
    }));
    Ok(Step {
        key: Some("deferred-ack".into()),
        plan: p,
        counts: vec![Count::DeferredAcknowledged],
        line: None,
        at: None,
    })
}

/// Send what this hour has room for, oldest first; then, if acknowledgements still
/// waiting are due today or before, tell the duty manager how many (once a day).
pub(super) fn deferred(
    store: &mut Store,
    config: &Config,
    cfg: &Rules,
    now: DateTime<Utc>,
    rep: &mut TickReport,
) -> Result<()> {
    let today = london_date(now);
    let hour = crate::admission::hour_of(now);
    let used = store.automatic_letters_this_hour(&hour)?;
    let room = cfg.inbound.max_auto_letters_per_hour.saturating_sub(used) as usize;
    let mut sent = 0;
    if room > 0 {
        let waiting = store.deferred_acks(room)?;
        for group in waiting.chunks(super::TICK_GROUP) {
            store.batch(|store| -> Result<()> {
                for d in group {
                    let case = store.case_by_id(d.case_id)?;
                    if case.state == State::Received {
                        let since = stamp(now - chrono::Duration::hours(24));
                        let to_address = match case.customer_email.as_deref() {
                            Some(a) => store.automatic_letters_to(a, &since)?,
                            None => 0,
                        };
                        let policy = policy_of(config, &case)?;
                        let step = deferred_step(&case, d, to_address, policy, cfg, today)?;
                        if write(store, config, &case, &step, now)? {
                            rep.count(&step);
                            if step.counts.contains(&Count::DeferredAcknowledged) {
                                store.count_automatic_letter(&hour)?;
                                sent += 1;
                            }
                        }
                    }
                    store.undefer_ack(d.case_id)?;
                }
                Ok(())
            })?;
        }
    }
    let (left, due) = store.deferred_counts(&iso(today))?;
    rep.deferred_waiting = left as usize;
    if sent > 0 {
        rep.steps.push(format!(
            "{sent} deferred acknowledgements sent ({} this hour, cap {}); {left} still waiting",
            used as usize + sent,
            cfg.inbound.max_auto_letters_per_hour
        ));
    }
    if due > 0 {
        let to = cfg.directory.duty_recipients();
        let names: Vec<&str> = to.iter().map(|(n, _)| n.as_str()).collect();
        let mut queued = 0;
        for (name, email) in &to {
            queued += store.queue_staff_mail(
                &format!("surge:{}:{name}", iso(today)),
                config.mail_domain(),
                email,
                &format!("{due} acknowledgements will miss their deadline"),
                &format!(
                    "{left} new cases are waiting for their acknowledgement because more than {} automatic letters an hour arrived; {due} of them are due to be acknowledged by {}, which the hourly cap cannot meet.\n\
                     Raise [inbound] max_auto_letters_per_hour for the day, or acknowledge them by hand (redress acknowledge REF). They keep going out, oldest first, each hour.\n",
                    cfg.inbound.max_auto_letters_per_hour,
                    show(today)
                ),
                now,
            )?;
        }
        if queued > 0 {
            rep.steps.push(format!(
                "{due} deferred acknowledgements due by {} cannot all go this hour: told {}",
                iso(today),
                names.join(", ")
            ));
        }
    }
    Ok(())
}

/// Mail waiting to triage longer than the configured office hours: the duty manager
/// (else every manager, else the inbox) is told once per case.
pub(super) fn triage_waiting(
    store: &mut Store,
    config: &Config,
    cfg: &Rules,
    now: DateTime<Utc>,
    rep: &mut TickReport,
) -> Result<()> {
    let hours = cfg.workflow.triage_alert_hours;
    let to = cfg.directory.duty_recipients();
    let names: Vec<String> = to.iter().map(|(n, _)| n.clone()).collect();
    for (case_id, received) in store.triage_waiting_since()? {
        let Some(received) = crate::time::parse_stamp(&received) else {
            continue;
        };
        // Oldest first: once one is not yet due, none after it is.
        if cfg.calendar.add_office_hours(received, hours) > now {
            break;
        }
        store.batch(|store| -> Result<()> {
            let case = store.case_by_id(case_id)?;
            let reference = &case.reference;
            let step = Step {
                key: Some("triage-alert".into()),
                plan: Plan {
                    writes: vec![
                        Write::Event {
                            kind: EventKind::TriageOverdue,
                            detail: Some(format!(
                                "waiting to triage more than {hours} working hours; told {}",
                                names.join(", ")
                            )),
                        },
                        Write::Notify {
                            key: format!("triage:{reference}"),
                            to: to.clone(),
                            subject: format!("[Ref {reference}] waiting to triage"),
                            body: format!(
                                "{reference} has waited more than {hours} working hours for an officer to accept triage's suggestion or treat it as a complaint. Its acknowledgement deadline keeps counting.\n\
                                 List them with: redress cases --to-triage\n"
                            ),
                        },
                    ],
                },
                counts: vec![Count::TriageAlert],
                line: Some(format!(
                    "{reference}: waiting to triage over {hours} working hours, told {}",
                    names.join(", ")
                )),
                at: None,
            };
            if write(store, config, &case, &step, now)? {
                rep.count(&step);
            }
            Ok(())
        })?;
    }
    Ok(())
}
