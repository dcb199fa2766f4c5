//! Complaints about the behaviour of a director or senior manager (North Norfolk, seed
//! 004 l.424), where the preset names who chooses the investigator
//! (`director_investigator`): an officer marks the case, it is flagged and the chooser is
//! alerted; the case cannot be assigned until the investigator is chosen, and then only
//! to them. Deadlines keep counting throughout. Pure: the case, its mark as stored and
//! the recipients in, a [`Plan`] or a refusal out.

use serde::Serialize;

use super::{refused, Plan, Result, Write};
use crate::case::{Case, State};
use crate::event::EventKind;
use crate::policy::Policy;

/// A case's mark, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Director {
    /// Whom the complaint is about, as the officer wrote it.
    pub about: String,
    pub marked_by: String,
    pub marked_at: String,
    /// The investigator chosen, who chose them, who recorded it, and when.
    pub investigator: Option<String>,
    pub chosen_by: Option<String>,
    pub recorded_by: Option<String>,
    pub chosen_at: Option<String>,
}

/// What a plan writes to the mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Marked {
        about: String,
    },
    Chosen {
        investigator: String,
        chosen_by: String,
    },
}

/// Who chooses, under `policy`; refused where the policy is silent.
fn chooser<'a>(case: &Case, policy: &'a Policy) -> Result<&'a str> {
    policy
        .preset
        .director_investigator
        .as_deref()
        .ok_or_else(|| {
            refused(format!(
                "{}: the {} policy has no separate route for complaints about a director or senior manager",
                case.reference, policy.name
            ))
        })
}

/// Mark `case` as about a director or senior manager (`about`), flag it and alert `to`
/// (the chooser's contact, or who hears of what no officer owns).
pub fn mark(
    case: &Case,
    policy: &Policy,
    existing: Option<&Director>,
    about: &str,
    to: &[(String, String)],
) -> Result<Plan> {
    let who = chooser(case, policy)?;
    if case.state == State::Closed {
        return Err(refused(format!(
            "{}: the case is closed; reopen it first",
            case.reference
        )));
    }
    let about = about.trim();
    if about.is_empty() {
        return Err(refused(
            "say whom the complaint is about (the director or senior manager)",
        ));
    }
    if let Some(d) = existing {
        return Err(refused(format!(
            "{}: already marked as a complaint about {}",
            case.reference, d.about
        )));
    }
    let flag = format!(
        "complaint about a director or senior manager ({about}): {who} chooses who investigates"
    );
    Ok(Plan {
        writes: vec![
            Write::Director(Step::Marked {
                about: about.to_string(),
            }),
            Write::Event {
                kind: EventKind::AboutADirector,
                detail: Some(format!(
                    "{about}; routed to {who} to choose the investigator ({})",
                    to.iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            Write::Flag(flag),
            Write::Notify {
                key: format!("director:{}", case.reference),
                to: to.to_vec(),
                subject: format!(
                    "[{}] A complaint about a director or senior manager: please choose who investigates",
                    case.reference
                ),
                body: format!(
                    "Case {} is a complaint about the behaviour of {about}.\n\n\
                     The {} policy asks {who} to advise on the most appropriate person to \
                     investigate it. The case cannot be assigned until the investigator is \
                     recorded. Its deadlines keep counting.\n",
                    case.reference, policy.name
                ),
            },
        ],
    })
}

/// Record the investigator `investigator` chosen by `chosen_by` (the chief executive,
/// say) for a marked case.
pub fn choose(
    case: &Case,
    policy: &Policy,
    existing: Option<&Director>,
    investigator: &str,
    chosen_by: &str,
) -> Result<Plan> {
    let who = chooser(case, policy)?;
    let Some(d) = existing else {
        return Err(refused(format!(
            "{}: not marked as a complaint about a director or senior manager",
            case.reference
        )));
    };
    let (investigator, chosen_by) = (investigator.trim(), chosen_by.trim());
    if investigator.is_empty() {
        return Err(refused("name the investigator chosen"));
    }
    if chosen_by.is_empty() {
        return Err(refused(format!("say who chose the investigator ({who})")));
    }
    Ok(Plan {
        writes: vec![
            Write::Director(Step::Chosen {
                investigator: investigator.to_string(),
                chosen_by: chosen_by.to_string(),
            }),
            Write::Event {
                kind: EventKind::InvestigatorChosen,
                detail: Some(format!(
                    "{investigator} chosen by {chosen_by} to investigate the complaint about {}{}",
                    d.about,
                    d.investigator
                        .as_deref()
                        .map(|p| format!(" (in place of {p})"))
                        .unwrap_or_default()
                )),
            },
        ],
    })
}

/// Whether `officer` may be assigned `case` given its mark: not before the
/// investigator is chosen, and then only the investigator.
pub fn may_assign(case: &Case, existing: Option<&Director>, officer: &str) -> Result<()> {
    let Some(d) = existing else { return Ok(()) };
    match &d.investigator {
        None => Err(refused(format!(
            "{}: a complaint about a director or senior manager ({}) is assigned only once the investigator is chosen",
            case.reference, d.about
        ))),
        Some(i) if i != officer => Err(refused(format!(
            "{}: {} was chosen by {} to investigate it",
            case.reference,
            i,
            d.chosen_by.as_deref().unwrap_or("the chooser")
        ))),
        Some(_) => Ok(()),
    }
}
