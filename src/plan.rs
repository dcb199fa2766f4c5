//! Pure planners: what an action on a case changes, decided from the case as loaded,
//! the policy, the calendar and today's date, with no database. The store applies a
//! [`Plan`] in one transaction ([`crate::store::Store::apply_plan`]) and decides
//! nothing itself.

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::case::Case;
use crate::case::{self, Action, CloseReason, IllegalTransition, Kind, State};
use crate::config::Config;
use crate::deadline::{self, Due, Facts};
use crate::event::EventKind;
use crate::letter::kind::{self as letter, Content};
use crate::policy::{CouncilEntry, Policy};

pub mod approval;
pub mod behaviour;
pub mod director;
pub mod enclosure;
pub use approval::Learnt;
pub use enclosure::Enclosure;

/// Why an action was refused (or the store failed underneath it). The text is what the
/// officer reads.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}: {1}")]
    Illegal(String, IllegalTransition),
    /// The store failed (a `store::StoreError`, converted where the store is used:
    /// planners never touch it).
    #[error(transparent)]
    Store(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T> = std::result::Result<T, WorkflowError>;

pub fn refused(msg: impl Into<String>) -> WorkflowError {
    WorkflowError::Refused(msg.into())
}

/// The policy that governs `case` ([`crate::policy::Policies`]); a case under a preset
/// this build does not have is refused, naming the case.
pub fn policy_of<'a>(cfg: &'a Config, case: &Case) -> Result<&'a Policy> {
    cfg.policies()
        .get(&case.policy)
        .map_err(|e| refused(format!("{}: {e}", case.reference)))
}

/// Changes to the facts a case's deadlines count from, and to who handles it.
/// `None`: unchanged; `Some(None)`: cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactChanges {
    pub acknowledged_on: Option<Option<NaiveDate>>,
    pub investigation_started_on: Option<Option<NaiveDate>>,
    pub responded_on: Option<Option<NaiveDate>>,
    pub escalation_requested_on: Option<Option<NaiveDate>>,
    /// The stage the case moves to.
    pub stage: Option<String>,
    pub officer_cleared: bool,
    pub past_officers: Option<Vec<String>>,
    /// The furthest stage reached (1-based); kept at its maximum.
    pub reached_stage: Option<i64>,
    /// Closed with a reason (`Some(Some)`, closed now) or reopened (`Some(None)`).
    pub close: Option<Option<CloseReason>>,
}

/// What happens to a case's stored deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineOp {
    /// Met on `on`: open ones, and lapsed or extended ones (met late; reports compare
    /// met_on with due).
    MarkMet {
        stage: String,
        kinds: Vec<deadline::Kind>,
        on: NaiveDate,
    },
    /// The open deadlines of a stage are no longer owed.
    CancelStage { stage: String },
    /// Every open or lapsed deadline but the survey (owed after the case closes).
    CancelAllButSurvey,
    /// The cancelled respond deadline of a stage is owed again.
    ReopenRespond { stage: String },
    /// The policy's limit on the whole complaint counts again (a `responded` close
    /// cancelled it; the complaint goes on to the next stage or is reopened): the same
    /// date, from the first receipt (Buckinghamshire's 12 weeks, seed 000 l.127).
    RestoreOverallLimit,
    /// A reopened complaint: the stage's response is owed again, `period` counted from
    /// the reopening day `from` (whatever the respond deadline's status was).
    RenewRespond {
        stage: String,
        from: NaiveDate,
        period: String,
        due: NaiveDate,
    },
}

/// One lifecycle step of a case: state change, facts, deadlines and its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub facts: FactChanges,
    pub deadlines: Vec<DeadlineOp>,
    /// The event's detail.
    pub detail: Option<String>,
    /// The stage's deadlines recomputed from the new facts (inserted, or open ones redated).
    pub recomputed: Vec<Due>,
}

/// A letter to the case's customer (threaded on their latest message by the store).
/// Made from a [`Content`] ([`LetterOrder::new`]); it carries the kind's stored name and
/// the content's data, as the store keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterOrder {
    pub kind: letter::Kind,
    pub data: serde_json::Value,
    pub automatic: bool,
    /// Files the officer encloses, sent after the PDF letter (their names are in
    /// `data.enclosures`, which the letter lists).
    pub enclosures: Vec<Enclosure>,
}

impl LetterOrder {
    pub fn new(content: &Content, automatic: bool) -> LetterOrder {
        LetterOrder {
            kind: content.kind(),
            data: content.data(),
            automatic,
            enclosures: Vec::new(),
        }
    }

    /// The same letter with `files` enclosed: kept with it, and named in its data.
    pub fn enclosing(mut self, files: &[Enclosure]) -> LetterOrder {
        if files.is_empty() {
            return self;
        }
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        if let serde_json::Value::Object(m) = &mut self.data {
            m.insert("enclosures".into(), serde_json::json!(names));
        }
        self.enclosures = files.to_vec();
        self
    }
}

/// One write, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Transition(Transition),
    Letter(LetterOrder),
    /// An event that changes no state.
    Event {
        kind: EventKind,
        detail: Option<String>,
    },
    /// Outcome and category recorded with a response (each only if given).
    /// A response sent at `stage` on `on`: its outcome (and category) on the case, and
    /// a record of the response for reports, which counts outcomes per response.
    Outcome {
        stage: String,
        on: NaiveDate,
        outcome: Option<String>,
        category: Option<String>,
    },
    /// A new target for the stage's response; the respond deadline stays on record as
    /// extended (superseded, never overdue).
    Extension {
        stage: String,
        from: NaiveDate,
        period: String,
        due: NaiveDate,
    },
    /// Add a reason to the case's flag for an officer.
    Flag(String),
    /// Set the status of an open deadline (lapsed, or met on a date).
    SetDeadline {
        stage: String,
        kind: deadline::Kind,
        status: deadline::Status,
        met_on: Option<NaiveDate>,
    },
    /// Queue an email to staff (deduplicated on key:name).
    Notify {
        key: String,
        to: Vec<(String, String)>,
        subject: String,
        body: String,
    },
    /// The case's kind changes (an exclusion or a redirect accepted makes it out of scope).
    Kind(Kind),
    /// The case's triage suggestion is decided: accepted, or treated as a complaint.
    Triaged(&'static str),
    /// The case is about a director or senior manager: marked, or its investigator
    /// chosen ([`director`]).
    Director(director::Step),
    /// A response kept, unsent, until an approver approves it (the policy's
    /// `[approval]`): `response` as the officer wrote it ([`approval::Waiting`], JSON).
    AwaitApproval {
        stage: String,
        response: String,
        why: String,
    },
    /// The waiting response `id` approved or returned (with `reason`) by officer `by`,
    /// with an event in their name; refused if it no longer waits (approved once).
    ApprovalDecided {
        id: i64,
        by: String,
        approved: bool,
        reason: Option<String>,
    },
    /// What was learnt from the complaint and the action taken, with an event.
    Learning {
        stage: String,
        on: NaiveDate,
        learning: String,
        action: String,
    },
}

/// Everything an action writes, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub writes: Vec<Write>,
}

impl Plan {
    pub fn push(&mut self, w: Write) {
        self.writes.push(w);
    }
    /// The lifecycle steps in the plan.
    pub fn transitions(&self) -> impl Iterator<Item = &Transition> {
        self.writes.iter().filter_map(|w| match w {
            Write::Transition(t) => Some(t),
            _ => None,
        })
    }
    pub fn letters(&self) -> impl Iterator<Item = &LetterOrder> {
        self.writes.iter().filter_map(|w| match w {
            Write::Letter(l) => Some(l),
            _ => None,
        })
    }
}

impl Transition {
    /// The case as it is once this step is written (for planning the next step of a
    /// composite action). `closed_at` is left as it was.
    pub fn applied_to(&self, case: &Case) -> Case {
        let mut c = case.clone();
        c.state = self.to;
        let f = &self.facts;
        if let Some(v) = f.acknowledged_on {
            c.facts.acknowledged_on = v;
        }
        if let Some(v) = f.investigation_started_on {
            c.facts.investigation_started_on = v;
        }
        if let Some(v) = f.responded_on {
            c.facts.responded_on = v;
        }
        if let Some(v) = f.escalation_requested_on {
            c.facts.escalation_requested_on = v;
        }
        if let Some(s) = &f.stage {
            c.stage = s.clone();
        }
        if f.officer_cleared {
            c.officer = None;
        }
        if let Some(p) = &f.past_officers {
            c.past_officers = p.clone();
        }
        if let Some(r) = f.close {
            c.close_reason = r;
        }
        c
    }
}

/// Take `action` on `case` today: check the lifecycle and the policy, decide which
/// facts change, which deadlines are met, cancelled or reopened, and recompute the
/// stage's deadlines.
pub fn transition(
    case: &Case,
    action: Action,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    detail: Option<&str>,
) -> Result<Transition> {
    transition_requested(case, action, policy, cal, today, None, detail)
}

/// [`transition`], with the day the customer asked for the next stage when it was not
/// today (an officer confirming a reply received earlier): the next stage's deadlines
/// count from it, and the reply window was met on it.
fn transition_requested(
    case: &Case,
    action: Action,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    requested_on: Option<NaiveDate>,
    detail: Option<&str>,
) -> Result<Transition> {
    use deadline::Kind as D;
    let from = case.state;
    let to = match (from, action) {
        // A case closed with our stage response (no time limit to ask for the next
        // stage) may be closed finally: withdrawn, resolved, out of scope (issue 24,
        // item 5). A reply after that is flagged for an officer, never an escalation.
        (State::Closed, Action::Close(r))
            if case.close_reason == Some(CloseReason::Responded)
                && !matches!(r, CloseReason::Responded | CloseReason::AutoClosed) =>
        {
            State::Closed
        }
        _ => case::transition(from, action)
            .map_err(|e| WorkflowError::Illegal(case.reference.clone(), e))?,
    };
    if case.policy != policy.name {
        return Err(refused(format!(
            "{} runs under policy {}, not {}",
            case.reference, case.policy, policy.name
        )));
    }
    let mut facts = FactChanges::default();
    let mut deadlines = Vec::new();
    let met = |kinds: &[D]| DeadlineOp::MarkMet {
        stage: case.stage.clone(),
        kinds: kinds.to_vec(),
        on: today,
    };
    match action {
        Action::Acknowledge => {
            facts.acknowledged_on = Some(Some(today));
            deadlines.push(met(&[D::Acknowledge]));
        }
        Action::StartInvestigation | Action::AcceptEscalation => {
            facts.investigation_started_on = Some(Some(today));
            deadlines.push(met(&[D::Decide]));
        }
        Action::Respond => {
            facts.responded_on = Some(Some(today));
            deadlines.push(met(&[D::Respond, D::Aim, D::Acknowledge, D::Extension]));
        }
        Action::OpenReplyWindow => {}
        Action::RequestEscalation | Action::Route => {
            if from == State::Closed && case.close_reason != Some(CloseReason::Responded) {
                return Err(WorkflowError::Illegal(
                    case.reference.clone(),
                    IllegalTransition {
                        from,
                        action: action.name(),
                    },
                ));
            }
            let Some(next) = policy.next_stage(&case.stage) else {
                return Err(refused(format!(
                    "{}: {} is the last stage of the {} policy; the customer can go to the Local Government and Social Care Ombudsman",
                    case.reference, case.stage, policy.name
                )));
            };
            // The day the next stage's "from escalation request" deadlines count from.
            let requested = if action == Action::Route {
                match next.council_entry {
                    None => {
                        return Err(refused(format!(
                            "{}: the {} policy does not let the council move a complaint from {} to {} itself; the customer asks for it after our response",
                            case.reference,
                            policy.name,
                            policy.stage(&case.stage).map_or(case.stage.as_str(), |s| s.name.as_str()),
                            next.name
                        )));
                    }
                    Some(CouncilEntry::Receipt) => case.facts.received_on.unwrap_or(today),
                    Some(CouncilEntry::Move) => today,
                }
            } else {
                requested_on.unwrap_or(today)
            };
            if action == Action::Route {
                // The current stage's deadlines are no longer owed: no response is due there.
                deadlines.push(DeadlineOp::CancelStage {
                    stage: case.stage.clone(),
                });
            } else {
                deadlines.push(DeadlineOp::MarkMet {
                    stage: case.stage.clone(),
                    kinds: vec![D::EscalationWindow],
                    on: requested,
                });
            }
            if from == State::Closed {
                facts.close = Some(None);
                if policy.preset.overall_limit.is_some() {
                    deadlines.push(DeadlineOp::RestoreOverallLimit);
                }
            }
            let mut past = case.past_officers.clone();
            if let Some(o) = &case.officer {
                if !past.contains(o) {
                    past.push(o.clone());
                }
            }
            let stage_no = policy
                .preset
                .stages
                .iter()
                .position(|s| s.id == next.id)
                .unwrap_or(0) as i64
                + 1;
            facts.stage = Some(next.id.clone());
            facts.officer_cleared = true;
            facts.past_officers = Some(past);
            facts.escalation_requested_on = Some(Some(requested));
            facts.acknowledged_on = Some(None);
            facts.investigation_started_on = Some(None);
            facts.responded_on = Some(None);
            facts.reached_stage = Some(stage_no);
        }
        Action::ReferBack => {
            let idx = policy
                .preset
                .stages
                .iter()
                .position(|s| s.id == case.stage)
                .unwrap_or(0);
            if idx == 0 {
                return Err(refused(format!(
                    "{}: there is no earlier stage to refer back to",
                    case.reference
                )));
            }
            deadlines.push(DeadlineOp::CancelStage {
                stage: case.stage.clone(),
            });
            facts.stage = Some(policy.preset.stages[idx - 1].id.clone());
            facts.responded_on = Some(None);
        }
        Action::Close(reason) => {
            deadlines.push(DeadlineOp::CancelAllButSurvey);
            facts.close = Some(Some(reason));
        }
        Action::Reopen => {
            facts.close = Some(None);
            facts.responded_on = Some(None);
            // A complaint's response is owed again: the stage's respond period counted
            // from the reopening day (README, "How the presets read ambiguous text").
            match policy.stage(&case.stage) {
                Some(st) if case.kind == Kind::Complaint => {
                    deadlines.push(DeadlineOp::RenewRespond {
                        stage: case.stage.clone(),
                        from: today,
                        period: st.respond.length(),
                        due: st.respond.due_from(cal, today),
                    })
                }
                _ => deadlines.push(DeadlineOp::ReopenRespond {
                    stage: case.stage.clone(),
                }),
            }
            if policy.preset.overall_limit.is_some() && case.kind == Kind::Complaint {
                deadlines.push(DeadlineOp::RestoreOverallLimit);
            }
        }
    }
    let mut t = Transition {
        action,
        from,
        to,
        facts,
        deadlines,
        detail: detail.map(String::from),
        recomputed: Vec::new(),
    };
    if to != State::Closed && case.kind == Kind::Complaint {
        let after = t.applied_to(case);
        t.recomputed = deadline::stage_deadlines(policy, &after.stage, &after.facts.facts(), cal);
        if action == Action::Reopen {
            // Its respond deadline counts from the reopening (DeadlineOp::RenewRespond).
            t.recomputed.retain(|d| d.kind != D::Respond);
        }
    }
    Ok(t)
}

/// A plan of one lifecycle step.
pub fn plan(
    case: &Case,
    action: Action,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    detail: Option<&str>,
) -> Result<Plan> {
    let t = transition(case, action, policy, cal, today, detail)?;
    Ok(Plan {
        writes: vec![Write::Transition(t)],
    })
}

/// Acknowledge a case that was opened without a letter (recorded by an officer from a
/// phone call, a letter or a visit, or held at ingestion): the case moves to
/// acknowledged today and the letter that answers a new case of its kind is asked for
/// (to be emailed, or printed and posted when the customer has no email). A service
/// request or out-of-scope case is refused: its letter must say where to go instead.
pub fn acknowledge(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    detail: Option<&str>,
) -> Result<Plan> {
    let content = match case.kind {
        Kind::Complaint => Content::Acknowledgement {},
        Kind::Compliment => Content::ComplimentThanks { team: None },
        Kind::Comment => Content::CommentAcknowledgement {},
        Kind::ServiceRequest | Kind::OutOfScope => {
            return Err(refused(format!(
            "{}: a {} is answered by a letter saying where to go instead, not an acknowledgement",
            case.reference, case.kind
        )))
        }
    };
    let mut p = plan(case, Action::Acknowledge, policy, cal, today, detail)?;
    p.push(Write::Letter(LetterOrder::new(&content, false)));
    Ok(p)
}

/// A case recorded after some of its response deadlines had passed (an officer
/// confirmed a received date long ago): each is lapsed at once and the case flagged for
/// an officer, so the sweep sends no holding letter and no overdue alert for a lapse
/// nobody could have prevented (issue 23, item 6). Nothing when none had passed.
pub fn passed_before_recording(dues: &[Due], today: NaiveDate) -> Plan {
    let mut writes = Vec::new();
    for d in dues {
        if !matches!(d.kind, deadline::Kind::Respond | deadline::Kind::Extension) || d.due >= today
        {
            continue;
        }
        writes.push(Write::SetDeadline {
            stage: d.stage.clone(),
            kind: d.kind,
            status: deadline::Status::Lapsed,
            met_on: None,
        });
        writes.push(Write::Event {
            kind: EventKind::DeadlineLapsed,
            detail: Some(format!(
                "{} response was due {} before the case was recorded; no holding letter or alert, flagged for an officer",
                d.stage,
                crate::time::iso(d.due)
            )),
        });
        writes.push(Write::Flag(format!(
            "{} response was due {} before the case was recorded",
            d.stage,
            crate::time::iso(d.due)
        )));
    }
    Plan { writes }
}

/// The deadlines a new case carries, by its kind, each with the day it was met: a
/// complaint those of the first stage (stored acknowledged, its acknowledgement is met
/// that day and the deadlines counting from it are there), a compliment or comment
/// those of its feedback rules, anything else none.
pub fn new_case_deadlines(
    kind: Kind,
    policy: &Policy,
    received: NaiveDate,
    acknowledged: Option<NaiveDate>,
    cal: &Calendar,
) -> Vec<(Due, Option<NaiveDate>)> {
    let met = |d: Due| {
        let on = acknowledged.filter(|_| d.kind == deadline::Kind::Acknowledge);
        (d, on)
    };
    let dues = match kind {
        Kind::Complaint => {
            let facts = Facts {
                acknowledged,
                ..Facts::received(received)
            };
            deadline::stage_deadlines(policy, &policy.first_stage().id, &facts, cal)
        }
        Kind::Compliment | Kind::Comment => {
            deadline::feedback_deadlines(policy, kind == Kind::Compliment, received, cal)
        }
        Kind::ServiceRequest | Kind::OutOfScope => Vec::new(),
    };
    dues.into_iter().map(met).collect()
}

/// What an officer's response says.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// stage-response or final-response.
    pub kind: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub findings: String,
    pub apology: Option<String>,
    pub remedy: Option<String>,
    /// Files enclosed with the letter, each checked ([`enclosure::enclosure`]).
    pub enclosures: Vec<Enclosure>,
    /// The officer marks the complaint serious (a policy may hold such responses for
    /// approval).
    pub serious: bool,
    /// What was learnt and the action taken, recorded with the response.
    pub learning: Option<Learnt>,
}

/// The policy's own wording for `given` among `list` (case, hyphens and underscores ignored).
fn pick(list: &[String], given: &str, label: &str) -> Result<String> {
    list.iter()
        .find(|x| normalise(x) == normalise(given))
        .cloned()
        .ok_or_else(|| {
            refused(format!(
                "{label} '{given}' is not one of {}",
                list.join(", ")
            ))
        })
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase().replace(['-', '_'], " ")
}

/// The letter a response goes out as: the one asked for (a stage or final response),
/// else the stage's.
pub fn reply_kind(r: &Reply, is_final: bool) -> Result<letter::Kind> {
    use letter::Kind as L;
    match r.kind.as_deref() {
        None if is_final => Ok(L::FinalResponse),
        None => Ok(L::StageResponse),
        Some(given) => match L::parse(given) {
            Some(k @ (L::StageResponse | L::FinalResponse)) => Ok(k),
            _ => Err(refused(format!(
                "reply --letter {given}: use stage-response or final-response"
            ))),
        },
    }
}

/// The response letter (a stage or final response, by `kind`): the findings, the
/// outcome (when there is one), the apology and the remedy.
pub fn reply_content(kind: letter::Kind, r: &Reply, outcome: Option<&str>) -> Content {
    Content::response(
        kind == letter::Kind::FinalResponse,
        letter::Response {
            outcome: outcome.map(str::to_string),
            findings: r.findings.trim().to_string(),
            apology: r.apology.clone(),
            remedy: r.remedy.clone(),
        },
    )
}

/// The letter a response is, and what it records: checked against the stage and the
/// policy's outcomes and categories.
pub struct Response {
    pub content: Content,
    pub is_final: bool,
    pub outcome: Option<String>,
    pub category: Option<String>,
}

/// Check a response (the reply preview and `reply` share it).
pub fn response(case: &Case, r: &Reply, policy: &Policy) -> Result<Response> {
    let is_final = policy.is_final_stage(&case.stage);
    let kind = reply_kind(r, is_final)?;
    match (kind, is_final) {
        (letter::Kind::FinalResponse, false) => {
            return Err(refused(format!(
                "{}: {} is not the final stage of the {} policy; send a stage-response",
                case.reference, case.stage, policy.name
            )))
        }
        (letter::Kind::StageResponse, true) => {
            return Err(refused(format!(
                "{}: {} is the final stage; send a final-response (it points to the Ombudsman)",
                case.reference, case.stage
            )))
        }
        _ => {}
    }
    if case.kind != Kind::Complaint && case.kind != Kind::Comment {
        return Err(refused(format!(
            "{} is a {}, not a complaint: close it instead",
            case.reference, case.kind
        )));
    }
    let outcome = match &r.outcome {
        Some(o) => Some(pick(&policy.preset.outcomes, o, "outcome")?),
        None if case.kind == Kind::Complaint => {
            return Err(refused(format!(
                "--outcome is required ({})",
                policy.preset.outcomes.join(", ")
            )))
        }
        None => None,
    };
    let category = match &r.category {
        Some(c) => Some(pick(
            &policy.preset.categories,
            c,
            &policy.preset.category_label,
        )?),
        None => None,
    };
    if r.findings.trim().is_empty() {
        return Err(refused("the findings (--body-file) are empty"));
    }
    let content = reply_content(kind, r, outcome.as_deref());
    Ok(Response {
        content,
        is_final,
        outcome,
        category,
    })
}

/// `reply`: the response recorded, its letter, and then the case closed at the final
/// stage (the letter points to the Ombudsman) or the customer's reply window opened.
pub fn reply(
    case: &Case,
    r: &Reply,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    let resp = response(case, r, policy)?;
    let t = transition(
        case,
        Action::Respond,
        policy,
        cal,
        today,
        Some(resp.content.kind().as_str()),
    )?;
    let after = t.applied_to(case);
    let mut p = Plan::default();
    p.push(Write::Transition(t));
    p.push(Write::Outcome {
        stage: case.stage.clone(),
        on: today,
        outcome: resp.outcome,
        category: resp.category,
    });
    p.push(Write::Letter(
        LetterOrder::new(&resp.content, false).enclosing(&r.enclosures),
    ));
    if let Some(l) = &r.learning {
        p.push(l.write(&case.stage, today)?);
    }
    let next = if resp.is_final {
        transition(
            &after,
            Action::Close(CloseReason::Resolved),
            policy,
            cal,
            today,
            Some("final response sent"),
        )?
    } else if case.kind == Kind::Complaint && !has_window(policy, &case.stage) {
        // No time limit for the customer to ask for the next stage: the stage is done
        // and the case closes as responded (retention counts from today); a later
        // request from the customer reopens it into the next stage.
        transition(
            &after,
            Action::Close(CloseReason::Responded),
            policy,
            cal,
            today,
            Some("stage response sent; the policy sets no time limit to ask for the next stage"),
        )?
    } else {
        transition(&after, Action::OpenReplyWindow, policy, cal, today, None)?
    };
    p.push(Write::Transition(next));
    Ok(p)
}

/// Whether the customer's time to ask for the next stage after our response at `stage`
/// is limited (a `[stages.escalation_window]`).
pub fn has_window(policy: &Policy, stage: &str) -> bool {
    policy
        .stage(stage)
        .is_some_and(|s| s.escalation_window.is_some())
}

/// An escalation request (the customer's, by phone, by an officer's reading of a reply,
/// or found in a reply by the scheduler): the next stage, its acknowledgement letter,
/// and at once the investigation where the policy has no review decision.
pub fn escalate(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    automatic: bool,
    why: &str,
) -> Result<Plan> {
    next_stage(
        case,
        Action::RequestEscalation,
        policy,
        cal,
        today,
        None,
        automatic,
        why,
    )
}

/// When a request for the next stage comes, as the case's stage's escalation window
/// (`[stages.escalation_window]`) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestTiming {
    /// The stage sets no time limit, or the request came within it.
    InTime,
    /// After the window ended on `ended`: what the policy does then (`on_lapse`), and
    /// the policy's terms in words for the officer.
    Late {
        ended: NaiveDate,
        on_lapse: crate::policy::OnLapse,
        wording: String,
    },
}

/// Whether a request for the next stage made on `requested` is within the time the
/// policy gives the customer after our response at the case's stage. The window's end
/// is the one the stored deadline has (the same reading of the policy).
pub fn request_timing(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    requested: NaiveDate,
) -> RequestTiming {
    let Some(stage) = policy.stage(&case.stage) else {
        return RequestTiming::InTime;
    };
    let Some(window) = &stage.escalation_window else {
        return request_limit(case, policy, stage, cal, requested);
    };
    let Some(ended) = deadline::stage_deadlines(policy, &case.stage, &case.facts.facts(), cal)
        .into_iter()
        .find(|d| d.kind == deadline::Kind::EscalationWindow)
        .map(|d| d.due)
    else {
        return RequestTiming::InTime;
    };
    if requested <= ended {
        return RequestTiming::InTime;
    }
    let next = policy
        .next_stage(&case.stage)
        .map_or("the next stage", |s| s.name.as_str());
    let then = match window.on_lapse {
        crate::policy::OnLapse::AutoClose => "after that the complaint is closed",
        crate::policy::OnLapse::CloseResolved => "after that the complaint ends at this stage",
        crate::policy::OnLapse::StayOpen => "after that an officer decides",
    };
    RequestTiming::Late {
        ended,
        on_lapse: window.on_lapse,
        wording: format!(
            "the {} policy gives the customer {} from our {} response to ask for {next}, which ended on {}; {then}, and this request came on {}",
            policy.preset.council,
            window.period.length(),
            stage.name,
            crate::calendar::show(ended),
            crate::calendar::show(requested),
        ),
    }
}

/// A stage with no escalation window but a `request_limit` (Buckinghamshire stage 1, seed
/// 000 l.249): a request for the next stage made on `requested` more than the limit after
/// our response is late; the complaint stays where it is (refused, or flagged when it
/// comes in a reply) unless an officer accepts the reason for the delay.
fn request_limit(
    case: &Case,
    policy: &Policy,
    stage: &crate::policy::Stage,
    cal: &Calendar,
    requested: NaiveDate,
) -> RequestTiming {
    let (Some(limit), Some(responded)) = (&stage.request_limit, case.facts.responded_on) else {
        return RequestTiming::InTime;
    };
    let ended = limit.due_from(cal, responded);
    if requested <= ended {
        return RequestTiming::InTime;
    }
    let next = policy
        .next_stage(&case.stage)
        .map_or("the next stage", |s| s.name.as_str());
    RequestTiming::Late {
        ended,
        on_lapse: crate::policy::OnLapse::CloseResolved,
        wording: format!(
            "the {} policy takes a request for {next} within {} of our {} response (sent on {}), which ended on {}, unless there is a good reason for the delay; this request came on {}",
            policy.preset.council,
            limit.length(),
            stage.name,
            crate::calendar::show(responded),
            crate::calendar::show(ended),
            crate::calendar::show(requested),
        ),
    }
}

/// An officer takes a customer's request for the next stage made on `requested`: refused
/// in the policy's terms when it came after the window the policy closes the complaint
/// at (or after a stage's `request_limit`), unless the officer gives `late`, the reason
/// the late request is accepted; where the policy leaves a late request to an officer,
/// or one is accepted so, `Some` words for the timeline saying it was late and accepted
/// (the officer's action is that decision).
pub fn request_in_time(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    requested: NaiveDate,
    late: Option<&str>,
) -> Result<Option<String>> {
    let late = late.map(str::trim).filter(|r| !r.is_empty());
    match request_timing(case, policy, cal, requested) {
        RequestTiming::InTime => Ok(None),
        RequestTiming::Late {
            on_lapse: crate::policy::OnLapse::StayOpen,
            wording,
            ..
        } => Ok(Some(format!("{wording}: accepted by an officer"))),
        RequestTiming::Late { wording, .. } => match late {
            Some(why) => Ok(Some(format!(
                "{wording}: accepted late by an officer: {why}"
            ))),
            None => Err(refused(format!(
                "{}: too late for a review: {wording}; to accept it, give the reason with --late REASON",
                case.reference
            ))),
        },
    }
}

/// The customer's reply received on `reply_on` asks for the next stage, as an officer
/// reads it (a reply flagged "possible review request"), confirmed `today`: the request
/// dates from the reply, so the next stage's deadlines count from it; the escalation
/// acknowledgement goes today. A reply after the window the policy closes the complaint
/// at is refused in the policy's terms; where the policy leaves a late request to an
/// officer, the officer's confirmation is that decision, and the timeline says so.
pub fn escalate_from_reply(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    reply_on: NaiveDate,
    today: NaiveDate,
    late: Option<&str>,
) -> Result<Plan> {
    if case.facts_responded_on().is_some_and(|r| reply_on < r) {
        return Err(refused(format!(
            "{}: that reply came on {}, before our response: it does not ask about it",
            case.reference,
            crate::calendar::show(reply_on)
        )));
    }
    let asked = format!(
        "the customer's reply of {} asks for a review",
        crate::time::iso(reply_on)
    );
    let why = match request_in_time(case, policy, cal, reply_on, late)? {
        None => format!("{asked} (confirmed by an officer)"),
        Some(late) => format!("{asked}; {late}"),
    };
    next_stage(
        case,
        Action::RequestEscalation,
        policy,
        cal,
        today,
        Some(reply_on),
        false,
        &why,
    )
}

/// The council moves a case from its stage into the next one itself, with no response
/// and no request from the customer (`escalate --council`), where the next stage's
/// `council_entry` allows it: Stockton's complaints outside the early-resolution
/// criteria (seed 001 l.11, l.49), North Norfolk's informal stage (seed 004 l.406). The
/// next stage is acknowledged and started as after an escalation request.
pub fn route(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    why: &str,
) -> Result<Plan> {
    if why.trim().is_empty() {
        return Err(refused(
            "--reason is required: why the complaint goes to the next stage (kept on the timeline)",
        ));
    }
    if case.kind != Kind::Complaint {
        return Err(refused(format!(
            "{} is a {}, not a complaint: it has no stages to move through",
            case.reference, case.kind
        )));
    }
    let detail = format!("moved on by the council: {}", why.trim());
    next_stage(
        case,
        Action::Route,
        policy,
        cal,
        today,
        None,
        false,
        &detail,
    )
}

#[allow(clippy::too_many_arguments)]
fn next_stage(
    case: &Case,
    action: Action,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    requested_on: Option<NaiveDate>,
    automatic: bool,
    why: &str,
) -> Result<Plan> {
    let t = transition_requested(case, action, policy, cal, today, requested_on, Some(why))?;
    let after = t.applied_to(case);
    let mut p = Plan::default();
    p.push(Write::Transition(t));
    p.push(Write::Letter(LetterOrder::new(
        &Content::EscalationAcknowledgement {
            moved_by_council: action == Action::Route,
        },
        automatic,
    )));
    let t = transition(
        &after,
        Action::Acknowledge,
        policy,
        cal,
        today,
        Some("escalation acknowledged"),
    )?;
    let after = t.applied_to(&after);
    p.push(Write::Transition(t));
    // Policies with no decision step start the next stage's investigation at once.
    if policy
        .stage(&after.stage)
        .is_some_and(|s| s.decide.is_none())
    {
        p.push(Write::Transition(transition(
            &after,
            Action::AcceptEscalation,
            policy,
            cal,
            today,
            Some("no review decision in this policy"),
        )?));
    }
    Ok(p)
}

/// The review decision on an escalation request (Bath & NES, Buckinghamshire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    ReferBack,
    ReferToOmbudsman,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "refer-back" => Some(Decision::ReferBack),
            "refer-to-ombudsman" | "ombudsman" => Some(Decision::ReferToOmbudsman),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::ReferBack => "refer-back",
            Decision::ReferToOmbudsman => "refer-to-ombudsman",
        }
    }
}

/// `decide`: the decision letter, then the case accepted into the stage, referred back
/// or closed for the Ombudsman.
pub fn decide(
    case: &Case,
    d: Decision,
    reasons: &str,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    if reasons.trim().is_empty() {
        return Err(refused("--reason is required: the customer is told why"));
    }
    let action = match d {
        Decision::Accept => Action::AcceptEscalation,
        Decision::ReferBack => Action::ReferBack,
        Decision::ReferToOmbudsman => Action::Close(CloseReason::ReferredToOmbudsman),
    };
    if d == Decision::ReferToOmbudsman && case.state != State::EscalationRequested {
        return Err(refused(format!(
            "{}: a review decision needs an escalation request; the case is {}",
            case.reference, case.state
        )));
    }
    let mut p = Plan::default();
    p.push(Write::Letter(LetterOrder::new(
        &Content::ReviewDecision {
            decision: d.as_str().to_string(),
            reasons: reasons.to_string(),
        },
        false,
    )));
    p.push(Write::Transition(transition(
        case,
        action,
        policy,
        cal,
        today,
        Some(&format!("review decision: {}", d.as_str())),
    )?));
    Ok(p)
}

/// How far a stage's response may still be extended, as its policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionRoom {
    /// The policy allows no extension at this stage.
    None,
    /// The policy allows extensions and sets no limit.
    Unlimited,
    /// The policy's limit on all extensions at the stage together, in working days,
    /// and how much of it is already used.
    Limited { max: u32, used: u32 },
}

impl ExtensionRoom {
    /// Working days still allowed (`None` when unlimited).
    pub fn left(self) -> Option<u32> {
        match self {
            ExtensionRoom::None => Some(0),
            ExtensionRoom::Unlimited => None,
            ExtensionRoom::Limited { max, used } => Some(max.saturating_sub(used)),
        }
    }
}

/// Working days of extension already granted at a stage: from the stage's original
/// response date (`respond_due`) to its current target (`target`). Every extension, the
/// officer's or the scheduler's, counts from the current target, so this is their total.
pub fn extension_used(
    cal: &Calendar,
    respond_due: Option<NaiveDate>,
    target: Option<NaiveDate>,
) -> u32 {
    match (respond_due, target) {
        (Some(from), Some(to)) if to > from => {
            u32::try_from(cal.working_days_between(from, to)).unwrap_or(u32::MAX)
        }
        _ => 0,
    }
}

/// The one reading of a stage's `[stages.extension]`, for the officer's `extend` and the
/// scheduler's holding letter alike: no table, no extension; a `max`, the limit on all
/// extensions at the stage together (LGSCO Code 6.4, POLICIES.md line 20).
pub fn extension_room(policy: &Policy, stage: &str, used: u32) -> ExtensionRoom {
    use crate::policy::Unit;
    let Some(ext) = policy.stage(stage).and_then(|s| s.extension.as_ref()) else {
        return ExtensionRoom::None;
    };
    match &ext.max {
        None => ExtensionRoom::Unlimited,
        Some(max) => ExtensionRoom::Limited {
            max: match max.unit {
                Unit::WorkingDays => max.amount,
                Unit::CalendarDays => max.amount * 5 / 7,
                Unit::Weeks => max.amount * 5,
            },
            used,
        },
    }
}

/// `extend`: a new target `days` working days after the current one (`target`, else
/// today), with the extension letter. All extensions at the stage together stay within
/// the policy's limit: what is already used runs from the stage's original response
/// date (`respond_due`) to `target`.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    case: &Case,
    days: u32,
    reason: &str,
    target: Option<NaiveDate>,
    respond_due: Option<NaiveDate>,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    let stage = policy
        .stage(&case.stage)
        .ok_or_else(|| refused(format!("{}: unknown stage {}", case.reference, case.stage)))?;
    let used = extension_used(cal, respond_due, target);
    match extension_room(policy, &case.stage, used) {
        ExtensionRoom::None => {
            return Err(refused(format!(
                "{}: the {} policy allows no extension at {}",
                case.reference, policy.name, stage.name
            )));
        }
        ExtensionRoom::Limited { max, used } if used.saturating_add(days) > max => {
            let left = max.saturating_sub(used);
            return Err(refused(format!(
                "{}: the {} policy allows extensions of up to {max} working days in total at {}; {used} already used, so {}",
                case.reference,
                policy.name,
                stage.name,
                if left == 0 {
                    "no more".to_string()
                } else {
                    format!("at most {left} more")
                }
            )));
        }
        _ => {}
    }
    if days == 0 {
        return Err(refused("--days must be at least 1"));
    }
    if reason.trim().is_empty() {
        return Err(refused("--reason is required: the customer is told why"));
    }
    if !matches!(
        case.state,
        State::Acknowledged | State::Investigating | State::Escalated | State::Received
    ) {
        return Err(refused(format!(
            "{}: cannot extend a case that is {}",
            case.reference, case.state
        )));
    }
    let from = target.unwrap_or(today);
    let due = cal.add_working_days(from, days);
    let mut p = Plan::default();
    p.push(Write::Extension {
        stage: case.stage.clone(),
        from,
        period: format!("{days} working days"),
        due,
    });
    p.push(Write::Event {
        kind: EventKind::Extended,
        detail: Some(format!(
            "to {} ({days} working days): {reason}",
            crate::time::iso(due)
        )),
    });
    p.push(Write::Letter(LetterOrder::new(
        &Content::Extension {
            reason: reason.to_string(),
            new_date: due,
            extension: Some(format!("{days} working days")),
        },
        false,
    )));
    Ok(p)
}

/// The end of the policy's limit on the whole complaint (Buckinghamshire: "no longer than
/// 12 weeks to resolve a complaint from receipt to resolution", seed 000 l.127), counted
/// from the first receipt whatever the stage; `None` where the policy sets none.
pub fn overall_limit_end(case: &Case, policy: &Policy, cal: &Calendar) -> Option<NaiveDate> {
    let received = case.facts.received_on?;
    policy
        .preset
        .overall_limit
        .as_ref()
        .map(|p| p.due_from(cal, received))
}

/// An extension to `new_due` past the policy's overall limit is refused, unless a
/// manager overrides it with a reason (`beyond`, checked to be a manager's by the
/// engine): then the override is on the timeline (issue 24, item 2).
pub fn overall_limit_check(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    new_due: NaiveDate,
    beyond: Option<&str>,
) -> Result<Option<Write>> {
    let Some(end) = overall_limit_end(case, policy, cal) else {
        return Ok(None);
    };
    if new_due <= end {
        return Ok(None);
    }
    let limit = policy
        .preset
        .overall_limit
        .as_ref()
        .map(|p| p.length())
        .unwrap_or_default();
    match beyond.map(str::trim).filter(|r| !r.is_empty()) {
        None => Err(refused(format!(
            "{}: {} is after the {} policy's limit of {limit} from receipt to resolution, which ends {}; only a manager may extend past it, giving the reason (--beyond-limit REASON)",
            case.reference,
            crate::time::iso(new_due),
            policy.name,
            crate::time::iso(end)
        ))),
        Some(reason) => Ok(Some(Write::Event {
            kind: EventKind::BeyondOverallLimit,
            detail: Some(format!(
                "new date {} is after the {limit} limit ending {}: {reason}",
                crate::time::iso(new_due),
                crate::time::iso(end)
            )),
        })),
    }
}

/// Where a policy requires a different handler at a stage, anyone who handled an
/// earlier stage is refused ([`independent`]; `handlers` from [`stage_handlers`]).
pub fn assign(
    case: &Case,
    officer: &str,
    policy: &Policy,
    handlers: &[(String, String)],
) -> Result<()> {
    if case.state == State::Closed {
        return Err(refused(format!(
            "{}: the case is closed; reopen it first",
            case.reference
        )));
    }
    independent(case, policy, officer, handlers, "be assigned it")
}

/// One event of a case as [`stage_handlers`] reads it: who acted, what, the detail.
#[derive(Debug, Clone, Copy)]
pub struct Handling<'a> {
    pub actor: &'a str,
    pub kind: EventKind,
    pub detail: Option<&'a str>,
}

/// Who handled the case at each stage, read from its events in order: (stage id,
/// officer). An officer handled a stage when it was assigned to them ("set officer"),
/// or they responded, extended, or took the review decision there. A manager who only
/// assigned others did not; nor did anyone recording the customer's request. The stage
/// moves on with an escalation request or the council's move, and back with a refer-back.
pub fn stage_handlers(policy: &Policy, events: &[Handling]) -> Vec<(String, String)> {
    let stages = &policy.preset.stages;
    let mut at = 0usize;
    let mut out: Vec<(String, String)> = Vec::new();
    for e in events {
        use EventKind::Transition as T;
        let officer = match e.kind {
            EventKind::SetOfficer => e
                .detail
                .and_then(|d| d.strip_prefix("officer: "))
                .filter(|n| *n != "(none)"),
            T(Action::Respond) | EventKind::Extended => e.actor.strip_prefix("officer:"),
            T(Action::AcceptEscalation)
            | T(Action::ReferBack)
            | T(Action::Close(CloseReason::ReferredToOmbudsman))
                if e.detail.is_some_and(|d| d.starts_with("review decision")) =>
            {
                e.actor.strip_prefix("officer:")
            }
            _ => None,
        };
        if let (Some(o), Some(st)) = (officer, stages.get(at)) {
            let row = (st.id.clone(), o.trim().to_string());
            if !o.trim().is_empty() && !out.contains(&row) {
                out.push(row);
            }
        }
        match e.kind {
            T(Action::RequestEscalation) | T(Action::Route) => at += 1,
            T(Action::ReferBack) => at = at.saturating_sub(1),
            _ => {}
        }
    }
    out
}

/// Stage independence (seed 000 l.26, l.186; 002 l.101; the LGSCO Code): at a stage
/// whose policy requires a different handler, anyone who handled the case at an earlier
/// stage ([`stage_handlers`], and the case's `past_officers`) may not be assigned it,
/// respond, extend or decide there. `doing` names the refused act for the one-line reason.
pub fn independent(
    case: &Case,
    policy: &Policy,
    officer: &str,
    handlers: &[(String, String)],
    doing: &str,
) -> Result<()> {
    let stages = &policy.preset.stages;
    let Some(now_at) = stages.iter().position(|s| s.id == case.stage) else {
        return Ok(());
    };
    let stage = &stages[now_at];
    if !stage.different_handler {
        return Ok(());
    }
    let officer = officer.trim();
    let earlier = handlers.iter().find(|(st, o)| {
        o == officer
            && stages
                .iter()
                .position(|s| &s.id == st)
                .is_some_and(|i| i < now_at)
    });
    let earlier_name = match earlier {
        Some((st, _)) => policy.stage(st).map_or(st.as_str(), |s| s.name.as_str()),
        None if case.past_officers.iter().any(|p| p == officer) => "an earlier stage",
        None => return Ok(()),
    };
    Err(refused(format!(
        "{}: {officer} handled {earlier_name} of this complaint and may not {doing} at {}: the {} policy requires it to be handled by someone not involved before ({})",
        case.reference, stage.name, policy.preset.council, stage.handler
    )))
}

/// A working-day deadline's new date when the clock restarts `today` after a pause
/// that began on `started`: the working days left then, counted from today. Other
/// deadlines do not move.
pub fn resumed_due(
    cal: &Calendar,
    started: NaiveDate,
    today: NaiveDate,
    due: NaiveDate,
    period: &str,
) -> Option<NaiveDate> {
    if !period.contains("working day") {
        return None;
    }
    let left = cal.working_days_between(started, due).max(0) as u32;
    Some(cal.add_working_days(today, left))
}

#[cfg(test)]
pub(crate) mod tests;

/// The redirect letter of one exclusion: what is not covered and where to go instead.
pub fn exclusion_letter(x: &crate::policy::Exclusion) -> Content {
    Content::OutOfScopeRedirect {
        exclusion: x.covers.clone(),
        signpost: letter::Signpost {
            to: x.where_.clone(),
            url: x.url.clone(),
            phone: x.phone.clone(),
        },
    }
}

/// `exclude REF ID`: the case falls under one of its preset's exclusions. The
/// exclusion's redirect letter goes to the customer (what is not covered and where to go
/// instead) and the case closes as out of scope. An id the preset does not list is
/// refused, naming the ones it does.
pub fn exclude(
    case: &Case,
    id: &str,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    let x = find_exclusion(case, id, policy)?;
    let letter = exclusion_letter(x);
    let detail = format!("excluded: {} ({})", x.id, x.covers);
    let t = transition(
        case,
        Action::Close(CloseReason::OutOfScope),
        policy,
        cal,
        today,
        Some(&detail),
    )?;
    Ok(Plan {
        writes: vec![
            Write::Transition(t),
            Write::Kind(Kind::OutOfScope),
            Write::Letter(LetterOrder::new(&letter, false)),
            Write::Triaged("closed"),
        ],
    })
}

/// An officer accepts triage's suggestion on a case waiting "to triage": the drafted
/// redirect letter goes (a preset exclusion's own, through [`exclude`]), the case takes
/// the suggested kind and closes as out of scope.
pub fn accept_suggestion(
    case: &Case,
    s: &crate::triage::Suggestion,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    let mut p = match &s.exclusion_id {
        Some(id) => exclude(case, id, policy, cal, today)?,
        None => {
            let t = transition(
                case,
                Action::Close(CloseReason::OutOfScope),
                policy,
                cal,
                today,
                Some(&format!("triage's suggestion accepted: {}", s.reason)),
            )?;
            Plan {
                writes: vec![
                    Write::Transition(t),
                    Write::Kind(s.kind),
                    Write::Letter(LetterOrder {
                        kind: s.letter_kind,
                        data: s.letter_data.clone(),
                        automatic: false,
                        enclosures: Vec::new(),
                    }),
                ],
            }
        }
    };
    p.writes.retain(|w| !matches!(w, Write::Triaged(_)));
    p.push(Write::Triaged("accepted"));
    Ok(p)
}

/// An officer turns triage's suggestion down: the case is the complaint it was opened
/// as, and is acknowledged today (its deadlines counted from receipt all along).
pub fn treat_as_complaint(
    case: &Case,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    if case.kind != Kind::Complaint {
        return Err(refused(format!(
            "{} is a {}, not waiting to triage as a complaint",
            case.reference, case.kind
        )));
    }
    let mut p = acknowledge(
        case,
        policy,
        cal,
        today,
        Some("triage's suggestion turned down: a complaint"),
    )?;
    p.push(Write::Triaged("complaint"));
    Ok(p)
}

/// The exclusion `id` of the case's policy; refused, naming the ids it has, when unknown.
pub fn find_exclusion<'a>(
    case: &Case,
    id: &str,
    policy: &'a Policy,
) -> Result<&'a crate::policy::Exclusion> {
    let Some(x) = policy.exclusion(id) else {
        let known: Vec<&str> = policy
            .preset
            .exclusions
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        return Err(refused(if known.is_empty() {
            format!(
                "{}: the {} policy lists no exclusions; close it with `close --reason out-of-scope`",
                case.reference, policy.name
            )
        } else {
            format!(
                "unknown exclusion '{id}' for the {} policy (known: {})",
                policy.name,
                known.join(", ")
            )
        }));
    };
    Ok(x)
}
