//! Responses that wait for approval before they are sent (issue 24, item 11: West
//! Lindsey's Quality Assurance Board agrees responses where the council is at fault,
//! serious complaints and remedies, seed 003 l.114-121), and the learning from
//! complaints (item 13). Pure: the case, the policy and the day in, a [`Plan`] out.

use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{normalise, refused, Enclosure, Plan, Reply, Result, Write};
use crate::calendar::Calendar;
use crate::case::Case;
use crate::event::EventKind;
use crate::policy::Policy;

/// The longest learning or action text kept (characters).
pub const LEARNING_MAX: usize = 4000;

/// What was learnt from a complaint, and the action taken (seed 000 l.205: "We also
/// track the learning and changes made as a result of complaints").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learnt {
    pub learning: String,
    pub action: String,
}

impl Learnt {
    /// Both given, or neither (`None`); one without the other is refused.
    pub fn from_parts(learning: Option<&str>, action: Option<&str>) -> Result<Option<Learnt>> {
        fn clean(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        match (clean(learning), clean(action)) {
            (None, None) => Ok(None),
            (Some(l), Some(a)) => {
                if l.chars().count() > LEARNING_MAX || a.chars().count() > LEARNING_MAX {
                    return Err(refused(format!(
                        "the learning and the action are each at most {LEARNING_MAX} characters"
                    )));
                }
                Ok(Some(Learnt {
                    learning: l.to_string(),
                    action: a.to_string(),
                }))
            }
            (Some(_), None) => Err(refused(
                "the learning needs the action taken with it (write \"none\" if none was)",
            )),
            (None, Some(_)) => Err(refused("the action taken needs the learning with it")),
        }
    }

    /// Its write, at `stage` on `today`.
    pub fn write(&self, stage: &str, today: NaiveDate) -> Result<Write> {
        Ok(Write::Learning {
            stage: stage.to_string(),
            on: today,
            learning: self.learning.clone(),
            action: self.action.clone(),
        })
    }
}

/// `learning REF --learning TEXT --action TEXT`: the learning recorded afterwards.
pub fn learning(case: &Case, l: &Learnt, today: NaiveDate) -> Result<Plan> {
    if !matches!(
        case.kind,
        crate::case::Kind::Complaint | crate::case::Kind::Comment
    ) {
        return Err(refused(format!(
            "{} is a {}, not a complaint: there is no learning to record",
            case.reference, case.kind
        )));
    }
    Ok(Plan {
        writes: vec![l.write(&case.stage, today)?],
    })
}

/// A file kept with a waiting response.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WaitingFile {
    name: String,
    content_type: String,
    base64: String,
}

/// A response as the officer wrote it, kept while it waits for approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Waiting {
    kind: Option<String>,
    outcome: Option<String>,
    category: Option<String>,
    findings: String,
    apology: Option<String>,
    remedy: Option<String>,
    #[serde(default)]
    serious: bool,
    #[serde(default)]
    enclosures: Vec<WaitingFile>,
    #[serde(default)]
    learning: Option<Learnt>,
}

impl Waiting {
    pub fn of(r: &Reply) -> Waiting {
        let b64 = base64::engine::general_purpose::STANDARD;
        Waiting {
            kind: r.kind.clone(),
            outcome: r.outcome.clone(),
            category: r.category.clone(),
            findings: r.findings.clone(),
            apology: r.apology.clone(),
            remedy: r.remedy.clone(),
            serious: r.serious,
            enclosures: r
                .enclosures
                .iter()
                .map(|f| WaitingFile {
                    name: f.name.clone(),
                    content_type: f.content_type.clone(),
                    base64: b64.encode(&f.bytes),
                })
                .collect(),
            learning: r.learning.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a waiting response serialises")
    }

    /// The response kept as JSON, as a [`Reply`] again.
    pub fn reply_from_json(json: &str) -> Result<Reply> {
        let w: Waiting = serde_json::from_str(json)
            .map_err(|e| refused(format!("the waiting response cannot be read: {e}")))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut enclosures = Vec::new();
        for f in w.enclosures {
            enclosures.push(Enclosure {
                name: f.name,
                content_type: f.content_type,
                bytes: b64
                    .decode(f.base64)
                    .map_err(|e| refused(format!("a waiting enclosure cannot be read: {e}")))?,
            });
        }
        Ok(Reply {
            kind: w.kind,
            outcome: w.outcome,
            category: w.category,
            findings: w.findings,
            apology: w.apology,
            remedy: w.remedy,
            enclosures,
            serious: w.serious,
            learning: w.learning,
        })
    }
}

/// Why the policy holds this response for approval (`None`: it goes at once).
pub fn needs_approval(policy: &Policy, r: &Reply) -> Option<String> {
    let a = policy.preset.approval.as_ref()?;
    let mut why = Vec::new();
    if let Some(o) = &r.outcome {
        if a.outcomes.iter().any(|x| normalise(x) == normalise(o)) {
            why.push(format!("the outcome is {}", o.trim()));
        }
    }
    if a.remedy && r.remedy.as_deref().is_some_and(|m| !m.trim().is_empty()) {
        why.push("it offers a remedy".to_string());
    }
    if a.serious && r.serious {
        why.push("the complaint is marked serious".to_string());
    }
    if why.is_empty() {
        None
    } else {
        Some(why.join("; "))
    }
}

/// A response the policy holds for approval: checked as `reply` would check it today
/// (so what waits can be sent as written), kept unsent, with an event and mail to the
/// approvers. `None` when the policy lets it go at once. `n` numbers the case's
/// waiting responses (the staff mail's key).
#[allow(clippy::too_many_arguments)]
pub fn hold(
    case: &Case,
    r: &Reply,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
    written_by: &str,
    approvers: &[(String, String)],
    n: i64,
) -> Result<Option<Plan>> {
    let Some(why) = needs_approval(policy, r) else {
        return Ok(None);
    };
    // Refused now for whatever would refuse it then.
    super::reply(case, r, policy, cal, today)?;
    let a = policy
        .preset
        .approval
        .as_ref()
        .expect("needs_approval saw it");
    let reference = &case.reference;
    let what = match &r.outcome {
        Some(o) => format!("{} response ({o})", case.stage),
        None => format!("{} response", case.stage),
    };
    let due = case.next_due.as_deref().unwrap_or("no date open");
    Ok(Some(Plan {
        writes: vec![
            Write::AwaitApproval {
                stage: case.stage.clone(),
                response: Waiting::of(r).to_json(),
                why: why.clone(),
            },
            Write::Event {
                kind: EventKind::AwaitingApproval,
                detail: Some(format!(
                    "{what} written by {written_by} waits for approval by {} ({why}); not sent until approved",
                    a.by
                )),
            },
            Write::Notify {
                key: format!("approval:{reference}:{n}"),
                to: approvers.to_vec(),
                subject: format!("[Ref {reference}] response awaiting your approval"),
                body: format!(
                    "{written_by} has written the {what} on {reference}. It waits for approval by {} because {why}, and is not sent until approved.\nNext date due: {due}.\nApprove it, or return it with a reason, on the case page.\n",
                    a.by
                ),
            },
        ],
    }))
}

/// The waiting response `id` approved by `by`: recorded, and then the response itself
/// as `reply` plans it today (its letter asked for, its deadline met today), to be
/// written in the name of the officer who wrote it.
#[allow(clippy::too_many_arguments)]
pub fn approve(
    case: &Case,
    id: i64,
    r: &Reply,
    by: &str,
    policy: &Policy,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan> {
    let mut p = Plan {
        writes: vec![Write::ApprovalDecided {
            id,
            by: by.to_string(),
            approved: true,
            reason: None,
        }],
    };
    p.writes
        .extend(super::reply(case, r, policy, cal, today)?.writes);
    Ok(p)
}

/// The waiting response `id` returned by `by` with `reason`: nothing is sent, and the
/// officer who wrote it (`to`) is told.
pub fn give_back(
    case: &Case,
    id: i64,
    by: &str,
    reason: &str,
    written_by: &str,
    to: &[(String, String)],
) -> Result<Plan> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(refused(
            "a returned response needs the reason: the officer who wrote it is told",
        ));
    }
    let reference = &case.reference;
    Ok(Plan {
        writes: vec![
            Write::ApprovalDecided {
                id,
                by: by.to_string(),
                approved: false,
                reason: Some(reason.to_string()),
            },
            Write::Notify {
                key: format!("returned:{reference}:{id}"),
                to: to.to_vec(),
                subject: format!("[Ref {reference}] response returned by {by}"),
                body: format!(
                    "Your response on {reference} was returned by {by} and has not been sent.\nReason: {reason}\nWrite the response again when it is ready.\nCase written by: {written_by}\n"
                ),
            },
        ],
    })
}
