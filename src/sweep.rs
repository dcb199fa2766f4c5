//! What the scheduler does by itself (`tick`): alerts before a deadline, holding
//! letters and escalation when it lapses, reply windows that close cases, surveys,
//! redirects closed, review requests turned into escalations.
//!
//! The decisions are pure ([`decide`], [`answered`], [`reply`]): a due deadline, the
//! case and its policy in, the [`Step`]s owed out. [`tick`] loads, decides and has the
//! store write each step. Steps with a key are recorded in the `steps` table, so `tick`
//! run twice at the same moment does nothing the second time, and a daemon stopped
//! for a week does what is owed once, oldest first, when it comes back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::{london_date, show};
use crate::case::Case;
use crate::case::{Action, CloseReason, Kind, State};
use crate::config::Config;
use crate::deadline::{self, Status};
use crate::letter::kind::Content;
use crate::plan::policy_of;
use crate::plan::{self, LetterOrder, Plan, Result, Write};
use crate::policy::{OnLapse, Policy};
use crate::store::{Author, Store};
use crate::time::iso;

pub mod review;

const ACTOR: &str = "system:scheduler";

/// What one `tick` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    pub alerts: usize,
    pub holding_letters: usize,
    pub escalated_to_managers: usize,
    pub auto_closed: usize,
    pub closed_resolved: usize,
    pub surveys: usize,
    pub redirects_closed: usize,
    pub escalation_requests: usize,
    pub replies_flagged: usize,
    pub overdue_flags: usize,
    /// Acknowledgements deferred by the hourly cap that went this pass.
    pub deferred_acknowledged: usize,
    /// Acknowledgements still waiting for a later hour.
    pub deferred_waiting: usize,
    /// Cases waiting to triage brought to the duty manager.
    pub triage_alerts: usize,
    /// One line per step, oldest first, for the log and `tick`'s output.
    pub steps: Vec<String>,
}

/// What a step adds to the tick's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Alert,
    HoldingLetter,
    EscalatedToManager,
    AutoClosed,
    ClosedResolved,
    Survey,
    RedirectClosed,
    EscalationRequest,
    ReplyFlagged,
    OverdueFlag,
    DeferredAcknowledged,
    TriageAlert,
}

/// One automatic step on a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Done once: the key it is recorded under; skipped if it already was. `None`:
    /// done every time (idempotent bookkeeping, such as marking a deadline lapsed).
    pub key: Option<String>,
    pub plan: Plan,
    pub counts: Vec<Count>,
    /// The line for the log and `tick`'s output.
    pub line: Option<String>,
    /// When the step happened (a review request counts from the reply's arrival).
    pub at: Option<DateTime<Utc>>,
}

impl Step {
    fn once(key: String, plan: Plan, counts: Vec<Count>, line: Option<String>) -> Step {
        Step {
            key: Some(key),
            plan,
            counts,
            line,
            at: None,
        }
    }
    fn always(plan: Plan) -> Step {
        Step {
            key: None,
            plan,
            counts: Vec::new(),
            line: None,
            at: None,
        }
    }
}

impl TickReport {
    fn count(&mut self, step: &Step) {
        for c in &step.counts {
            *match c {
                Count::Alert => &mut self.alerts,
                Count::HoldingLetter => &mut self.holding_letters,
                Count::EscalatedToManager => &mut self.escalated_to_managers,
                Count::AutoClosed => &mut self.auto_closed,
                Count::ClosedResolved => &mut self.closed_resolved,
                Count::Survey => &mut self.surveys,
                Count::RedirectClosed => &mut self.redirects_closed,
                Count::EscalationRequest => &mut self.escalation_requests,
                Count::ReplyFlagged => &mut self.replies_flagged,
                Count::OverdueFlag => &mut self.overdue_flags,
                Count::DeferredAcknowledged => &mut self.deferred_acknowledged,
                Count::TriageAlert => &mut self.triage_alerts,
            } += 1;
        }
        if let Some(l) = &step.line {
            self.steps.push(l.clone());
        }
    }
}

/// An open deadline due by the alert horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDeadline {
    pub stage: String,
    pub kind: deadline::Kind,
    pub due: NaiveDate,
}

/// The officer, their manager, and the manager's manager: the escalation chain.
pub fn chain(cfg: &Config, officer: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    // A case nobody is assigned to goes to the duty manager (`[workflow] duty_manager`).
    let mut cur = officer
        .or(cfg.workflow.duty_manager.as_deref())
        .map(String::from);
    while let Some(name) = cur {
        if out.contains(&name) {
            break;
        }
        out.push(name.clone());
        cur = cfg.staff(&name).and_then(|s| s.manager.clone());
    }
    out
}

pub use crate::config::COUNCIL_INBOX;

/// Who a staff alert goes to: those of `names` (from [`chain`]: the officer, else the
/// duty manager, and up) listed under [[staff]]; with none of them, as for what no
/// officer owns ([`Config::duty_recipients`]): every manager in the staff list, else the
/// council's complaints address. Nobody is left unalerted while `tick` says an alert
/// went (issue 22, item 8).
pub fn alert_to(cfg: &Config, names: &[&str]) -> Vec<(String, String)> {
    let named: Vec<(String, String)> = names
        .iter()
        .filter_map(|n| cfg.staff(n))
        .map(|s| (s.name.clone(), s.email.clone()))
        .collect();
    if named.is_empty() {
        cfg.duty_recipients()
    } else {
        named
    }
}

/// How `tick`'s line names who an alert was mailed to: staff by name, the council's
/// inbox by its address.
pub fn mailed(to: &[(String, String)]) -> String {
    to.iter()
        .map(|(name, email)| {
            if name == COUNCIL_INBOX {
                email.as_str()
            } else {
                name.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An email to staff, to the recipients [`alert_to`] gave.
fn notify(key: String, to: &[(String, String)], subject: String, body: String) -> Write {
    Write::Notify {
        key,
        to: to.to_vec(),
        subject,
        body,
    }
}

/// Working days before the policy's overall limit (Buckinghamshire's 12 weeks) passes
/// that the officer and their manager are told.
pub const OVERALL_LIMIT_ALERT_DAYS: u32 = 5;

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
    cfg: &Config,
    reference: &str,
    stage: &str,
    due: NaiveDate,
    officer_and_manager: &[&str],
    manager: Option<&str>,
) {
    let to = alert_to(cfg, officer_and_manager);
    let plan = Plan {
        writes: vec![
            Write::Event {
                kind: "deadline lapsed".into(),
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
    cfg: &Config,
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
    cfg: &Config,
    today: NaiveDate,
    officer_and_manager: &[&str],
) {
    let reference = &case.reference;
    let stage = &d.stage;
    let due = d.due;
    let extended = d.kind == deadline::Kind::Extension;
    let Some(send_on) = policy
        .stage(stage)
        .and_then(|s| s.holding_letter_sent.send_on(&cfg.calendar, due))
    else {
        return;
    };
    if today < send_on || today > due || !cfg.calendar.is_working_day(today) {
        return;
    }
    let used = if extended {
        let respond_due =
            deadline::stage_deadlines(policy, stage, &case.facts.facts(), &cfg.calendar)
                .into_iter()
                .find(|x| x.kind == deadline::Kind::Respond)
                .map(|x| x.due);
        plan::extension_used(&cfg.calendar, respond_due, Some(due))
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
    let names = chain(cfg, case.officer.as_deref());
    let up: Vec<&str> = names.iter().map(|s| s.as_str()).skip(1).take(2).collect();
    let to = alert_to(cfg, if extended { &up } else { officer_and_manager });
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
            kind: "holding letter".into(),
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
    cfg: &Config,
    today: NaiveDate,
) -> Result<Vec<Step>> {
    use deadline::Kind as K;
    let reference = &case.reference;
    let stage = &d.stage;
    let kind = d.kind.as_str();
    let due = d.due;
    let lapsed = due < today;
    let chain_names = chain(cfg, case.officer.as_deref());
    let officer_and_manager: Vec<&str> = chain_names.iter().map(|s| s.as_str()).take(2).collect();
    let to = alert_to(cfg, &officer_and_manager);
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
                for a in cfg.approver_recipients() {
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
                        kind: "deadline alert".into(),
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
                        kind: "deadline lapsed".into(),
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
            let to = alert_to(cfg, &up);
            let plan = Plan {
                writes: vec![
                    Write::Event {
                        kind: "extension lapsed".into(),
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
                            &cfg.calendar,
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
                            &cfg.calendar,
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
                        kind: "deadline lapsed".into(),
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
                            kind: "deadline alert".into(),
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

/// A compliment thanked or a redirect sent: the case is done (closed as resolved, or
/// as out of scope).
pub fn answered(case: &Case, policy: &Policy, cfg: &Config, today: NaiveDate) -> Result<Step> {
    let reason = if case.kind == Kind::Compliment {
        CloseReason::Resolved
    } else {
        CloseReason::OutOfScope
    };
    Ok(Step {
        key: None,
        plan: plan::plan(
            case,
            Action::Close(reason),
            policy,
            &cfg.calendar,
            today,
            Some("recorded and answered"),
        )?,
        counts: vec![Count::RedirectClosed],
        line: Some(format!(
            "{}: {} answered, closed",
            case.reference, case.kind
        )),
        at: None,
    })
}

/// The flag on a case whose customer's reply may ask for the next stage: while it is
/// there, a lapsing reply window leaves the case open for the officer to decide.
pub const POSSIBLE_REVIEW: &str = "possible review request";

/// A reply from the customer on a case awaiting them (`words`: their own, quoted text
/// left out), received at `received`. The steps are alternatives, in order: the first
/// not done before is done. After our response, where there is a next stage, the reply
/// is read ([`review::read`]): a clear request opens the next stage (or, past the
/// policy's window, is refused in its terms and flagged, or flagged for an officer to
/// decide where the policy leaves it to them); an uncertain one is flagged "possible
/// review request" for an officer to confirm (`escalate REF --from-reply`); anything
/// else, and every reply in the end, is flagged for the officer.
pub fn reply(
    case: &Case,
    message_id: i64,
    words: &str,
    received: DateTime<Utc>,
    policy: &Policy,
    cfg: &Config,
) -> Result<Vec<Step>> {
    // Only what the customer sent after our response counts as a reply to it.
    let on = london_date(received);
    let after = case.facts_responded_on().is_none_or(|r| on >= r);
    let has_next = policy.next_stage(&case.stage).is_some();
    let intent = if after && has_next {
        review::read(words, &cfg.workflow)
    } else {
        review::Intent::NotRequest
    };
    let reference = &case.reference;
    let mut steps = Vec::new();
    match (intent, plan::request_timing(case, policy, &cfg.calendar, on)) {
        (review::Intent::Request, plan::RequestTiming::InTime) => steps.push(Step {
            key: Some(format!("review-request:{message_id}")),
            plan: plan::escalate(
                case,
                policy,
                &cfg.calendar,
                on,
                true,
                "the customer's reply asks for a review",
            )?,
            counts: vec![Count::EscalationRequest],
            line: Some(format!(
                "{reference}: customer asked for a review, escalation request acknowledged"
            )),
            at: Some(received),
        }),
        (review::Intent::Request, plan::RequestTiming::Late { on_lapse, wording, .. }) => {
            let (flag, what) = if on_lapse == crate::policy::OnLapse::StayOpen {
                (
                    format!("late review request: {wording}; decide whether to accept it (escalate {reference} --from-reply)"),
                    "for an officer to decide",
                )
            } else {
                (
                    format!("review request refused as too late: {wording}"),
                    "refused as too late",
                )
            };
            steps.push(officer_step(
                case,
                cfg,
                "late-review",
                message_id,
                vec![
                    Write::Event {
                        kind: "review request".into(),
                        detail: Some(format!("the customer's reply of {} asks for a review, {what}: {wording}", iso(on))),
                    },
                    Write::Flag(flag),
                ],
                format!("[Ref {reference}] review request after the time allowed"),
                format!("The customer has replied on {reference} asking for a review. {}.\nThe complaint was not moved to the next stage {what}. Please read the reply and write to the customer.\n", upper_first(&wording)),
                format!("{reference}: customer asked for a review after the window, {what}"),
            ));
        }
        (review::Intent::Uncertain, _) => steps.push(officer_step(
            case,
            cfg,
            "possible-review",
            message_id,
            vec![Write::Flag(format!(
                "{POSSIBLE_REVIEW} in the customer's reply of {}: confirm with `escalate {reference} --from-reply`, or leave it",
                iso(on)
            ))],
            format!("[Ref {reference}] possible review request"),
            format!("The customer has replied on {reference} after our response, and the reply may ask for a review. Please read it: if it does, confirm it in one step (redress escalate {reference} --from-reply, or Escalate on the desk, \"in their latest reply\"); the request then dates from the reply, received on {}.\n", show(on)),
            format!("{reference}: customer's reply may ask for a review, flagged for the officer"),
        )),
        _ => {}
    }
    steps.push(flag_reply(case, message_id, cfg));
    Ok(steps)
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A step for the case's officer: `writes`, then a staff notice to the officer (or, with
/// none, as [`alert_to`] falls back); the line names who was mailed.
/// Keyed `{what}:{message_id}` (the notice `{what}:{reference}:{message_id}`).
#[allow(clippy::too_many_arguments)]
fn officer_step(
    case: &Case,
    cfg: &Config,
    what: &str,
    message_id: i64,
    mut writes: Vec<Write>,
    subject: String,
    body: String,
    line: String,
) -> Step {
    let names = chain(cfg, case.officer.as_deref());
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).take(1).collect();
    let to = alert_to(cfg, &names);
    writes.push(notify(
        format!("{what}:{}:{message_id}", case.reference),
        &to,
        subject,
        body,
    ));
    Step::once(
        format!("{what}:{message_id}"),
        Plan { writes },
        vec![Count::ReplyFlagged],
        Some(format!("{line}; mailed {}", mailed(&to))),
    )
}

/// The customer replied after our response: the case flagged and its officer told.
fn flag_reply(case: &Case, message_id: i64, cfg: &Config) -> Step {
    let reference = &case.reference;
    officer_step(
        case,
        cfg,
        "reply",
        message_id,
        vec![Write::Flag("the customer replied after our response".into())],
        format!("[Ref {reference}] the customer replied"),
        format!("The customer has replied on {reference} after our response. Please read the reply and decide what it needs.\n"),
        format!("{reference}: customer replied, flagged for the officer"),
    )
}

/// Deadline steps committed together by [`tick`].
const TICK_GROUP: usize = 250;

/// Write `step` on `case` inside the current batch; false if it was done before.
fn write(
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
    // First the acknowledgements the hourly cap deferred, as this hour has room: one
    // sent now meets its deadline before the deadlines below are looked at.
    intake::deferred(store, cfg, now, &mut rep)?;
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
            for step in reply(&case, r.message_id, &words, received, policy, cfg)? {
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
                for step in decide(&d, &case, policy, cfg, today)? {
                    if write(store, cfg, &case, &step, now)? {
                        rep.count(&step);
                    }
                }
            }
            Ok(())
        })?;
    }
    // Mail waiting to triage too long brought to the duty manager.
    intake::triage_waiting(store, cfg, now, &mut rep)?;
    // Compliments thanked and redirects sent: their cases are done.
    for id in store.answered_cases()? {
        store.batch(|store| -> Result<()> {
            let case = store.case_by_id(id)?;
            let policy = policy_of(cfg, &case)?;
            let step = answered(&case, policy, cfg, today)?;
            write(store, cfg, &case, &step, now)?;
            rep.count(&step);
            Ok(())
        })?;
    }
    Ok(rep)
}

pub mod intake;

#[cfg(test)]
mod tests;
