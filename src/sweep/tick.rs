//! [`tick`]: one scheduler pass. It loads what is due from the store, asks the pure
//! decisions ([`super::decide`], [`super::answered`], [`super::reply`]) and has the
//! store write each step, in groups, each recorded once.

use super::*;

/// Deadline steps committed together by [`tick`].
pub(super) const TICK_GROUP: usize = 250;

/// Write `step` on `case` inside the current batch; false if it was done before.
pub(super) fn write(
    store: &mut Store,
    cfg: &Config,
    case: &Case,
    step: &Step,
    now: DateTime<Utc>,
) -> Result<bool> {
    let by = Author {
        actor: ACTOR,
        at: step.at.unwrap_or(now),
        domain: cfg.mail_domain(),
    };
    Ok(store.apply_step(case, step.key.as_deref(), &step.plan, now, &by)?)
}

/// One scheduler pass at `now`. Idempotent: a second pass at the same `now` does nothing.
pub fn tick(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<TickReport> {
    let today = london_date(now);
    let mut rep = TickReport::default();
    // What the rules read: the config's sections and the staff directory (the desk's
    // accounts with `[[staff]]`), read once for the pass.
    let rules = Rules::new(cfg, crate::accounts::directory(store, cfg)?);
    // First the acknowledgements the hourly cap deferred, as this hour has room: one
    // sent now meets its deadline before the deadlines below are looked at.
    intake::deferred(store, cfg, &rules, now, &mut rep)?;
    // Replies from the customer on cases awaiting them: a review request, or a flag.
    // Read before the deadlines: a request that came within the reply window is taken
    // even when this pass also finds the window lapsed (the daemon was down, or the
    // reply came late on its last day), rather than the case closing under it.
    // Mail that may not act (auto-replies, bounces, third parties, unverified senders:
    // ingestion gave it a no-reply reason) never triggers workflow.
    for r in store.customer_replies()? {
        store.batch(|store| -> Result<()> {
            let case = store.case_by_id(r.case_id)?;
            // The customer's own words only: a quoted copy of our letter ("you can ask
            // for a review") must not turn a thank-you into an escalation request.
            // The subject is a sentence of its own.
            let words = format!(
                "{}\n{}",
                crate::message::normalise_subject(&r.subject),
                crate::message::strip_quoted(&r.text)
            );
            let received = crate::time::parse_stamp(&r.received_at).unwrap_or(now);
            let policy = policy_of(cfg, &case)?;
            for step in reply(&case, r.message_id, &words, received, policy, &rules)? {
                if write(store, cfg, &case, &step, now)? {
                    rep.count(&step);
                    break;
                }
            }
            store.mark_reply_considered(r.message_id)?;
            Ok(())
        })?;
    }
    // Due by the alert horizon, or by the furthest a holding letter goes out in time.
    let ahead = cfg
        .policies()
        .all()
        .flat_map(|p| p.preset.stages.iter())
        .filter_map(|s| match s.holding_letter_sent {
            crate::policy::HoldingWhen::Before(n) => Some(n),
            crate::policy::HoldingWhen::AfterLapse => None,
        })
        .fold(cfg.workflow.alert_days_before, u32::max);
    let ahead = if cfg
        .policies()
        .all()
        .any(|p| p.preset.overall_limit.is_some())
    {
        ahead.max(OVERALL_LIMIT_ALERT_DAYS)
    } else {
        ahead
    };
    let horizon = cfg.calendar.add_working_days(today, ahead);
    // Open deadlines due by the alert horizon, oldest first: after downtime the
    // owed steps come out in the order they fell due.
    let due = store.open_deadlines_due_by(horizon)?;
    // Steps share a commit in groups (a commit rewrites every page a step touched, so
    // 10,000 lapsed deadlines one commit each would write gigabytes on a large database).
    // A step that fails rolls back its group and fails the tick: the next tick redoes it.
    for group in due.chunks(TICK_GROUP) {
        store.batch(|store| -> Result<()> {
            for (case_id, stage, kind, due) in group {
                let case = store.case_by_id(*case_id)?;
                let policy = policy_of(cfg, &case)?;
                let d = DueDeadline {
                    stage: stage.clone(),
                    kind: *kind,
                    due: *due,
                };
                for step in decide(&d, &case, policy, &rules, today)? {
                    if write(store, cfg, &case, &step, now)? {
                        rep.count(&step);
                    }
                }
            }
            Ok(())
        })?;
    }
    // Mail waiting to triage too long brought to the duty manager.
    intake::triage_waiting(store, cfg, &rules, now, &mut rep)?;
    // Compliments thanked and redirects sent: their cases are done.
    for id in store.answered_cases()? {
        store.batch(|store| -> Result<()> {
            let case = store.case_by_id(id)?;
            let policy = policy_of(cfg, &case)?;
            let step = answered(&case, policy, &rules, today)?;
            write(store, cfg, &case, &step, now)?;
            rep.count(&step);
            Ok(())
        })?;
    }
    Ok(rep)
}
