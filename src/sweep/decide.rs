//! The deadline sweep's one pure decision ([`decide`]): a due deadline, its case and
//! the policy in, the [`Step`]s owed out (alerts, holding letters, escalation, lapses
//! that close a case).

use super::*;
use crate::event::EventKind;

/// What the customer is told of a holding letter, in a staff notice: sent, or, where
/// their letters are printed and posted, waiting for an officer to do it (a held letter
/// is not a sent one, issue 22 item 9).
fn holding_letter_news(case: &Case) -> &'static str {
    if case.letters_by_post {
        "A holding letter to the customer is waiting to be printed and posted (they have no email address, or their letters go by post): please post it today"
    } else {
        "The customer has been sent a holding letter"
    }
}

fn mark(d: &DueDeadline, status: Status, met_on: Option<NaiveDate>) -> Plan {
    Plan {
        writes: vec![Write::SetDeadline {
            stage: d.stage.clone(),
            kind: d.kind,
            status,
            met_on,
        }],
    }
}

/// A response lapsed at a stage whose policy allows no extension (Stockton-on-Tees: an
/// "upto" timescale, seed 001 l.51): no new date and no holding letter; the case is
/// flagged and the officer and their manager are told, for an officer to answer it (or
/// take it to the next stage) at once.
fn lapsed_without_extension(
    steps: &mut Vec<Step>,
    cfg: &Rules,
    reference: &str,
    stage: &str,
    due: NaiveDate,
    officer_and_manager: &[&str],
    manager: Option<&str>,
) {
    let to = alert_to(&cfg.directory, officer_and_manager);
    let plan = Plan {
        writes: vec![
            Write::Event {
                kind: EventKind::DeadlineLapsed,
                detail: Some(format!(
                    "{stage} response was due {}; the policy allows no extension, so no new date; escalated to {}",
                    iso(due),
                    manager.unwrap_or("the manager (none configured)")
                )),
            },
            Write::Flag(format!(
                "{stage} response overdue since {} (no extension allowed)",
                iso(due)
            )),
            notify(
                format!("lapsed:{reference}:{stage}"),
                &to,
                format!("[Ref {reference}] response overdue: no extension allowed"),
                format!("The {stage} response on {reference} was due on {}. The policy allows no extension, so no new date has been given: answer the customer now, or take the complaint to the next stage.\n", show(due)),
            ),
        ],
    };
    steps.push(Step::once(
        format!("lapsed:{stage}:respond"),
        plan,
        vec![Count::EscalatedToManager],
        Some(format!(
            "{reference}: {stage} response lapsed {}, no extension under the policy, escalated; mailed {}",
            iso(due),
            mailed(&to)
        )),
    ));
}

/// A holding letter's two writes: the stage's response date moved on `days` working
/// days to `new_due`, and the letter that tells the resident so.
fn holding_writes(
    cfg: &Rules,
    stage: &str,
    due: NaiveDate,
    days: u32,
    new_due: NaiveDate,
) -> [Write; 2] {
    [
        Write::Extension {
            stage: stage.to_string(),
            from: due,
            period: format!("{days} working days"),
            due: new_due,
        },
        Write::Letter(LetterOrder::new(
            &Content::Holding {
                reason: cfg.workflow.holding_reason.clone(),
                new_date: new_due,
            },
            true,
        )),
    ]
}

/// A response not yet sent at a stage whose policy has the holding letter go out within
/// the timescale (`holding_letter_sent`, e.g. North Norfolk seed 004 l.430 "respond to
/// complaints or send a holding letter or email to the customer in line with the
/// timescales"): on its day (a working day, on or before the response date), the
/// holding letter with a new date, as the lapse would give, counted from the response
/// date. Once: the extension supersedes the respond deadline, so it is not due again.
///
/// The same for an extended date (`d.kind` extension, issue 24 item 3): the letters
/// promise "If anything changes, we will write to you again before then", so when the
/// new date comes with no response sent the customer gets another holding letter with
/// the reason and a further date, on the same day of the timescale. Where the policy's
/// limit on extensions is used up (the LGSCO Code's +10 and +20 working days) the
/// customer is still told, with a further date of `holding_days`, and the case is
/// flagged for a manager: the resident is never left in silence.
fn holding_in_time(
    steps: &mut Vec<Step>,
    d: &DueDeadline,
    case: &Case,
    policy: &Policy,
    cfg: &Rules,
    today: NaiveDate,
    officer_and_manager: &[&str],
) {
    let reference = &case.reference;
    let stage = &d.stage;
    let due = d.due;
    let extended = d.kind == deadline::Kind::Extension;
    let Some(send_on) = policy
        .stage(stage)
        .and_then(|s| s.holding_letter_sent.send_on(cfg.calendar, due))
    else {
        return;
    };
    if today < send_on || today > due || !cfg.calendar.is_working_day(today) {
        return;
    }
    let used = if extended {
        let respond_due =
            deadline::stage_deadlines(policy, stage, &case.facts.facts(), cfg.calendar)
                .into_iter()
                .find(|x| x.kind == deadline::Kind::Respond)
                .map(|x| x.due);
        plan::extension_used(cfg.calendar, respond_due, Some(due))
    } else {
        0
    };
    let room = plan::extension_room(policy, stage, used);
    if matches!(room, plan::ExtensionRoom::None) {
        return;
    }
    let left = room.left();
    if left == Some(0) && !extended {
        return;
    }
    let past_limit = left == Some(0);
    let days = match left {
        Some(left) if left > 0 => cfg.workflow.holding_days.min(left),
        _ => cfg.workflow.holding_days,
    };
    let new_due = cfg.calendar.add_working_days(due, days);
    // An extended date about to pass goes one further up the chain, as its lapse did.
    let names = chain(&cfg.directory, case.officer.as_deref());
    let up: Vec<&str> = names.iter().map(|s| s.as_str()).skip(1).take(2).collect();
    let to = alert_to(
        &cfg.directory,
        if extended { &up } else { officer_and_manager },
    );
    let what = if extended {
        "extended response date"
    } else {
        "response due"
    };
    let [extension, letter] = holding_writes(cfg, stage, due, days, new_due);
    let mut writes = vec![
        extension,
        letter,
        Write::Event {
            kind: EventKind::HoldingLetter,
            detail: Some(format!(
                "{stage} {what} {} not sent; holding letter in time with new date {}{}",
                iso(due),
                iso(new_due),
                if past_limit {
                    "; beyond the policy's limit on extensions"
                } else {
                    ""
                }
            )),
        },
        notify(
            format!(
                "holding:{reference}:{stage}{}",
                if extended {
                    format!(":{}", iso(due))
                } else {
                    String::new()
                }
            ),
            &to,
            format!(
                "[Ref {reference}] holding letter {}",
                if case.letters_by_post { "to post" } else { "sent" }
            ),
            format!(
                "The {stage} response on {reference} is due on {}{} and has not been sent. As the policy requires: {}, with a new date of {}.{}\n",
                show(due),
                if extended { " (an extended date)" } else { "" },
                holding_letter_news(case),
                show(new_due),
                if past_limit {
                    " The policy's limit on extensions is used up: a manager should see that the response goes now."
                } else {
                    ""
                }
            ),
        ),
    ];
    if past_limit {
        writes.push(Write::Flag(format!(
            "{stage} extended date {} missed; extension limit used up",
            iso(due)
        )));
    }
    steps.push(Step::once(
        if extended {
            format!("holding:{stage}:extension:{}", iso(due))
        } else {
            format!("holding:{stage}:respond")
        },
        Plan { writes },
        vec![Count::HoldingLetter],
        Some(format!(
            "{reference}: {stage} {what} {} not sent, holding letter in time to {}{}; mailed {}",
            iso(due),
            iso(new_due),
            if case.letters_by_post {
                " (to print and post)"
            } else {
                ""
            },
            mailed(&to)
        )),
    ));
}

/// The steps a due deadline of `case` owes today: an alert before a response is due; a
/// holding letter when it lapses; escalation further up when an extension lapses; the
/// policy's ending of a lapsed reply window; the survey; flags for other lapses.
pub fn decide(
    d: &DueDeadline,
    case: &Case,
    policy: &Policy,
    cfg: &Rules,
    today: NaiveDate,
) -> Result<Vec<Step>> {
    use deadline::Kind as K;
    let reference = &case.reference;
    let stage = &d.stage;
    let kind = d.kind.as_str();
    let due = d.due;
    let lapsed = due < today;
    let chain_names = chain(&cfg.directory, case.officer.as_deref());
    let officer_and_manager: Vec<&str> = chain_names.iter().map(|s| s.as_str()).take(2).collect();
    let to = alert_to(&cfg.directory, &officer_and_manager);
    let mut steps = Vec::new();
    match (d.kind, lapsed) {
        (K::Respond | K::Extension, false) => {
            let days = cfg.calendar.working_days_between(today, due);
            // A response written and waiting for approval: the approvers are told the
            // date is near too (seed 003 l.116-121; the date keeps counting).
            let waiting = policy
                .preset
                .approval
                .as_ref()
                .filter(|_| case.awaiting_approval);
            let mut to_alert = to.clone();
            if waiting.is_some() {
                for a in cfg.directory.approver_recipients() {
                    if !to_alert.contains(&a) {
                        to_alert.push(a);
                    }
                }
            }
            let to: &[(String, String)] = &to_alert;
            let waits = waiting
                .map(|a| {
                    format!(
                        "A response is written and waits for approval by {}: it is not sent until approved.\n",
                        a.by
                    )
                })
                .unwrap_or_default();
            let plan = Plan {
                writes: vec![
                    Write::Event {
                        kind: EventKind::DeadlineAlert,
                        detail: Some(format!(
                            "{stage} response due {} ({days} working days)",
                            iso(due)
                        )),
                    },
                    notify(
                        format!("alert:{reference}:{stage}:{kind}:{}", iso(due)),
                        to,
                        format!("[Ref {reference}] response due {}", show(due)),
                        format!("The {stage} response on {reference} is due on {} ({days} working days from today).\nOfficer: {}\n{waits}", show(due), case.officer.as_deref().unwrap_or("not assigned")),
                    ),
                ],
            };
            let alert_by = cfg
                .calendar
                .add_working_days(today, cfg.workflow.alert_days_before);
            if due <= alert_by {
                steps.push(Step::once(
                    format!("alert:{stage}:{kind}:{}", iso(due)),
                    plan,
                    vec![Count::Alert],
                    Some(format!(
                        "{reference}: {stage} response due {}; mailed {}",
                        iso(due),
                        mailed(to)
                    )),
                ));
            }
            {
                holding_in_time(
                    &mut steps,
                    d,
                    case,
                    policy,
                    cfg,
                    today,
                    &officer_and_manager,
                );
            }
        }
        (K::Respond, true) => {
            // Lapsed with no response: the manager takes it on. Where the policy allows
            // an extension, a holding letter with a new date within its limit (the same
            // reading as the officer's `extend`: plan::extension_room). An open respond
            // deadline means no extension yet at the stage (any extension lapses it).
            let left = plan::extension_room(policy, stage, 0).left();
            if left == Some(0) {
                lapsed_without_extension(
                    &mut steps,
                    cfg,
                    reference,
                    stage,
                    due,
                    &officer_and_manager,
                    chain_names.get(1).map(|s| s.as_str()),
                );
                steps.push(Step::always(mark(d, Status::Lapsed, None)));
                return Ok(steps);
            }
            let days = match left {
                Some(left) => cfg.workflow.holding_days.min(left),
                None => cfg.workflow.holding_days,
            };
            let new_due = cfg.calendar.add_working_days(due, days);
            let manager = chain_names.get(1).cloned();
            let [extension, letter] = holding_writes(cfg, stage, due, days, new_due);
            let plan = Plan {
                writes: vec![
                    extension,
                    letter,
                    Write::Event {
                        kind: EventKind::DeadlineLapsed,
                        detail: Some(format!(
                            "{stage} response was due {}; holding letter with new date {}; escalated to {}",
                            iso(due),
                            iso(new_due),
                            manager
                                .as_deref()
                                .unwrap_or("the manager (none configured)")
                        )),
                    },
                    Write::Flag(format!("{stage} response overdue since {}", iso(due))),
                    notify(
                        format!("lapsed:{reference}:{stage}"),
                        &to,
                        format!(
                            "[Ref {reference}] response overdue: holding letter {}",
                            if case.letters_by_post { "to post" } else { "sent" }
                        ),
                        format!("The {stage} response on {reference} was due on {}. {}, with a new date of {}.\n", show(due), holding_letter_news(case), show(new_due)),
                    ),
                ],
            };
            steps.push(Step::once(
                format!("lapsed:{stage}:respond"),
                plan,
                vec![Count::HoldingLetter, Count::EscalatedToManager],
                Some(format!(
                    "{reference}: {stage} response lapsed {}, holding letter to {}{}, escalated; mailed {}",
                    iso(due),
                    iso(new_due),
                    if case.letters_by_post { " (to print and post)" } else { "" },
                    mailed(&to)
                )),
            ));
            // Done already: the deadline is only marked (the holding letter's
            // extension marked it the first time).
            steps.push(Step::always(mark(d, Status::Lapsed, None)));
        }
        (K::Extension, true) => {
            // A lapsed extension goes one further up the chain each time.
            let up: Vec<&str> = chain_names
                .iter()
                .map(|s| s.as_str())
                .skip(1)
                .take(2)
                .collect();
            let to = alert_to(&cfg.directory, &up);
            let plan = Plan {
                writes: vec![
                    Write::Event {
                        kind: EventKind::ExtensionLapsed,
                        detail: Some(format!(
                            "new target {} missed; escalated to {}",
                            iso(due),
                            if up.is_empty() {
                                "management (none configured)".into()
                            } else {
                                up.join(", ")
                            }
                        )),
                    },
                    Write::Flag(format!("extended target {} missed", iso(due))),
                    notify(
                        format!("lapsed-ext:{reference}:{stage}:{}", iso(due)),
                        &to,
                        format!("[Ref {reference}] extended deadline missed"),
                        format!("The extended {stage} target on {reference} ({}) has passed without a response.\n", show(due)),
                    ),
                ],
            };
            steps.push(Step::once(
                format!("lapsed:{stage}:extension:{}", iso(due)),
                plan,
                vec![Count::EscalatedToManager],
                Some(format!(
                    "{reference}: extended target {} missed, escalated further; mailed {}",
                    iso(due),
                    mailed(&to)
                )),
            ));
            steps.push(Step::always(mark(d, Status::Lapsed, None)));
        }
        // Letters no deadline binds (closure notices, surveys) go out on working days
        // only: the deadline stays due and the next working day's pass takes it.
        (K::EscalationWindow, true) | (K::Survey, _) if !cfg.calendar.is_working_day(today) => {}
        (K::EscalationWindow, true) => {
            if matches!(case.state, State::Responded | State::AwaitingCustomer) {
                // A possible safeguarding concern is never closed by the daemon while
                // its flag stands: a person closes it (or clears the flag first).
                let safeguarding = case
                    .flagged
                    .as_deref()
                    .is_some_and(|f| f.contains(crate::triage::SAFEGUARDING_FLAG));
                // A reply that may ask for a review waits for an officer: the case is not
                // closed under it (the reply came within the window).
                let waiting = case
                    .flagged
                    .as_deref()
                    .is_some_and(|f| f.contains(POSSIBLE_REVIEW));
                let on_lapse = policy
                    .stage(stage)
                    .and_then(|s| s.escalation_window.as_ref())
                    .map(|w| w.on_lapse)
                    .filter(|_| !safeguarding && !waiting)
                    .unwrap_or(OnLapse::StayOpen);
                let no_reply = format!("no reply by {}", iso(due));
                let key = format!("window:{stage}");
                let step = match on_lapse {
                    OnLapse::AutoClose => {
                        let mut p = plan::plan(
                            case,
                            Action::Close(CloseReason::AutoClosed),
                            policy,
                            cfg.calendar,
                            today,
                            Some(&no_reply),
                        )?;
                        p.push(Write::Letter(LetterOrder::new(
                            &Content::AutoClose {
                                responded_on: case.facts_responded_on(),
                            },
                            true,
                        )));
                        Step::once(
                            key,
                            p,
                            vec![Count::AutoClosed],
                            Some(format!(
                            "{reference}: reply window ended {}, auto-closed with a closure notice",
                            iso(due)
                        )),
                        )
                    }
                    OnLapse::CloseResolved => Step::once(
                        key,
                        plan::plan(
                            case,
                            Action::Close(CloseReason::Resolved),
                            policy,
                            cfg.calendar,
                            today,
                            Some(&no_reply),
                        )?,
                        vec![Count::ClosedResolved],
                        Some(format!(
                            "{reference}: reply window ended {}, closed as resolved",
                            iso(due)
                        )),
                    ),
                    OnLapse::StayOpen => Step::once(
                        key,
                        Plan {
                            writes: vec![Write::Flag(
                                "reply window ended: decide whether to close".into(),
                            )],
                        },
                        vec![Count::OverdueFlag],
                        None,
                    ),
                };
                steps.push(step);
            }
            steps.push(Step::always(mark(d, Status::Lapsed, None)));
        }
        (K::Survey, _) if due <= today => {
            let url = cfg
                .workflow
                .survey_url
                .clone()
                .unwrap_or_else(|| cfg.council.web.clone());
            steps.push(Step::once(
                "survey".into(),
                Plan {
                    writes: vec![Write::Letter(LetterOrder::new(
                        &Content::SurveyInvitation {
                            url,
                            closes_on: None,
                        },
                        true,
                    ))],
                },
                vec![Count::Survey],
                Some(format!("{reference}: satisfaction survey sent")),
            ));
            steps.push(Step::always(mark(d, Status::Met, Some(today))));
        }
        (K::Acknowledge | K::Decide | K::OverallLimit, true) => {
            let what = match d.kind {
                K::Acknowledge => "acknowledgement",
                K::Decide => "review decision",
                _ => "whole-complaint time limit",
            };
            let plan = Plan {
                writes: vec![
                    Write::Flag(format!("{what} overdue since {}", iso(due))),
                    Write::Event {
                        kind: EventKind::DeadlineLapsed,
                        detail: Some(format!("{stage} {what} was due {}", iso(due))),
                    },
                    notify(
                        format!("lapsed:{reference}:{stage}:{kind}"),
                        &to,
                        format!("[Ref {reference}] {what} overdue"),
                        format!("The {what} on {reference} was due on {}.\n", show(due)),
                    ),
                ],
            };
            steps.push(Step::once(
                format!("lapsed:{stage}:{kind}"),
                plan,
                vec![Count::OverdueFlag],
                Some(format!(
                    "{reference}: {stage} {what} overdue since {}; mailed {}",
                    iso(due),
                    mailed(&to)
                )),
            ));
            steps.push(Step::always(mark(d, Status::Lapsed, None)));
        }
        (K::OverallLimit, false) => {
            // Staff are told a week of working days before the whole complaint's limit
            // passes (issue 24, item 2; the seed gives no notice period, chosen: 5 WD).
            let alert_by = cfg
                .calendar
                .add_working_days(today, OVERALL_LIMIT_ALERT_DAYS);
            if due <= alert_by {
                let days = cfg.calendar.working_days_between(today, due);
                let limit = policy
                    .preset
                    .overall_limit
                    .as_ref()
                    .map(|p| p.length())
                    .unwrap_or_default();
                let plan = Plan {
                    writes: vec![
                        Write::Event {
                            kind: EventKind::DeadlineAlert,
                            detail: Some(format!(
                                "the {limit} limit on the whole complaint ends {} ({days} working days)",
                                iso(due)
                            )),
                        },
                        notify(
                            format!("alert:{reference}:overall-limit:{}", iso(due)),
                            &to,
                            format!("[Ref {reference}] the {limit} limit ends {}", show(due)),
                            format!("The policy's limit of {limit} from receipt to resolution on {reference} ends on {} ({days} working days from today). The complaint is at {} ({}).\nOfficer: {}\n", show(due), case.stage, case.state, case.officer.as_deref().unwrap_or("not assigned")),
                        ),
                    ],
                };
                steps.push(Step::once(
                    format!("alert:overall-limit:{}", iso(due)),
                    plan,
                    vec![Count::Alert],
                    Some(format!(
                        "{reference}: the {limit} limit ends {}; mailed {}",
                        iso(due),
                        mailed(&to)
                    )),
                ));
            }
        }
        (K::Aim, true) => steps.push(Step::always(mark(d, Status::Lapsed, None))),
        _ => {}
    }
    Ok(steps)
}
