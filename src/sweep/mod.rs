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

use crate::calendar::Calendar;
use crate::calendar::{london_date, show};
use crate::case::Case;
use crate::case::{Action, CloseReason, Kind, State};
use crate::config::{Config, Council, Directory, InboundConfig, WorkflowConfig};
use crate::deadline::{self, Status};
use crate::event::EventKind;
use crate::letter::kind::Content;
use crate::plan::policy_of;
use crate::plan::{self, LetterOrder, Plan, Result, Write};
use crate::policy::{OnLapse, Policy};
use crate::store::{Author, Store};
use crate::time::iso;

mod decide;
pub mod review;
mod tick;
pub use decide::decide;
pub use tick::tick;
use tick::{write, TICK_GROUP};

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

/// What the automatic steps read of the configuration, and nothing more: the calendar,
/// `[workflow]`, `[inbound]`, the council (its address, web page and mail domain) and
/// the staff directory. [`tick`] builds it (the directory from the desk's accounts and
/// `[[staff]]`); the pure decisions ([`decide`], [`answered`], [`reply`],
/// [`intake::deferred_step`]) take it.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    pub calendar: &'a Calendar,
    pub workflow: &'a WorkflowConfig,
    pub inbound: &'a InboundConfig,
    pub council: &'a Council,
    pub directory: Directory,
}

impl<'a> Rules<'a> {
    /// The sections of `cfg` the rules read, with `directory`.
    pub fn new(cfg: &'a Config, directory: Directory) -> Rules<'a> {
        Rules {
            calendar: &cfg.calendar,
            workflow: &cfg.workflow,
            inbound: &cfg.inbound,
            council: &cfg.council,
            directory,
        }
    }

    /// As [`Rules::new`] with the directory of the config alone (no desk accounts).
    pub fn of_config(cfg: &'a Config) -> Rules<'a> {
        Rules::new(cfg, Directory::from_config(cfg))
    }
}

/// The officer, their manager, and the manager's manager: the escalation chain
/// ([`Directory::chain`]).
pub fn chain(dir: &Directory, officer: Option<&str>) -> Vec<String> {
    dir.chain(officer)
}

pub use crate::config::COUNCIL_INBOX;

/// Who a staff alert goes to: those of `names` (from [`chain`]: the officer, else the
/// duty manager, and up) in the staff directory; with none of them, as for what no
/// officer owns ([`Directory::duty_recipients`]): every manager, else the council's
/// complaints address. Nobody is left unalerted while `tick` says an alert went (issue
/// 22, item 8).
pub fn alert_to(dir: &Directory, names: &[&str]) -> Vec<(String, String)> {
    dir.alert_to(names)
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

/// A compliment thanked or a redirect sent: the case is done (closed as resolved, or
/// as out of scope).
pub fn answered(case: &Case, policy: &Policy, cfg: &Rules, today: NaiveDate) -> Result<Step> {
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
            cfg.calendar,
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
    cfg: &Rules,
) -> Result<Vec<Step>> {
    // Only what the customer sent after our response counts as a reply to it.
    let on = london_date(received);
    let after = case.facts_responded_on().is_none_or(|r| on >= r);
    let has_next = policy.next_stage(&case.stage).is_some();
    let intent = if after && has_next {
        review::read(words, cfg.workflow)
    } else {
        review::Intent::NotRequest
    };
    let reference = &case.reference;
    let mut steps = Vec::new();
    match (intent, plan::request_timing(case, policy, cfg.calendar, on)) {
        (review::Intent::Request, plan::RequestTiming::InTime) => steps.push(Step {
            key: Some(format!("review-request:{message_id}")),
            plan: plan::escalate(
                case,
                policy,
                cfg.calendar,
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
                        kind: EventKind::ReviewRequest,
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
    cfg: &Rules,
    what: &str,
    message_id: i64,
    mut writes: Vec<Write>,
    subject: String,
    body: String,
    line: String,
) -> Step {
    let names = chain(&cfg.directory, case.officer.as_deref());
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).take(1).collect();
    let to = alert_to(&cfg.directory, &names);
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
fn flag_reply(case: &Case, message_id: i64, cfg: &Rules) -> Step {
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

pub mod intake;

#[cfg(test)]
mod tests;
