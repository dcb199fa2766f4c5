//! The Monitoring Officer's procedure for unreasonable or vexatious behaviour (Bath &
//! NES, seed 002 l.313-332), where the preset sets `behaviour_procedure`: referral, the
//! customer told their behaviour is investigated, the outcome letter (the concerns, the
//! restriction considered, written representations invited by a date), then the
//! decision: restrict, or not. Pure: the procedure as stored and the day in, the next
//! step (its event, its letter) or a refusal out.

use chrono::NaiveDate;

use super::{refused, LetterOrder, Plan, Result, Write};
use crate::event::EventKind;
use crate::letter::kind::Content;

/// Where a customer's procedure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Referred to the Monitoring Officer by the service manager and the feedback manager.
    Referred,
    /// The Monitoring Officer has written that the customer's behaviour is investigated.
    Investigating,
    /// The outcome letter has gone: representations invited by a date.
    Warned,
    /// Decided: restricted (closed).
    Restricted,
    /// Decided: not restricted (closed).
    NotRestricted,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Referred => "referred",
            Step::Investigating => "investigating",
            Step::Warned => "warned",
            Step::Restricted => "restricted",
            Step::NotRestricted => "not-restricted",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        [
            Step::Referred,
            Step::Investigating,
            Step::Warned,
            Step::Restricted,
            Step::NotRestricted,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// In words, for refusals and the case page.
    pub fn words(self) -> &'static str {
        match self {
            Step::Referred => "referred to the Monitoring Officer",
            Step::Investigating => "told their behaviour is being investigated",
            Step::Warned => "invited to make representations",
            Step::Restricted => "restricted",
            Step::NotRestricted => "not restricted",
        }
    }
}

/// A customer's open procedure, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub step: Step,
    pub level: Option<String>,
    pub contact: Option<String>,
    pub concerns: Option<String>,
    pub representations_by: Option<NaiveDate>,
}

/// Where a refusal is read: the command line (which may name its options) or the desk
/// (which names its forms, never an option or a config key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    Cli,
    Desk,
}

/// What an officer asks for.
#[derive(Debug, Clone)]
pub enum Request<'a> {
    Refer {
        grounds: &'a str,
    },
    Investigate,
    Warn {
        level: &'a str,
        /// With single-contact: the contact as stored and as letters name them.
        contact: Option<(&'a str, String)>,
        concerns: &'a str,
        by: NaiveDate,
    },
    /// The decision to restrict: the restriction itself is written as `restrict` writes
    /// it (its notice says representations were considered).
    Restrict,
    NoRestriction {
        reasons: Option<&'a str>,
    },
}

/// The step to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    pub step: Step,
    /// The event on each of the customer's cases, and its detail.
    pub event: EventKind,
    pub detail: String,
    pub letter: Option<Content>,
    /// Whether the procedure ends here.
    pub closes: bool,
    /// For a decision to restrict: whether representations were received.
    pub representations_received: bool,
}

/// The next step of `email`'s procedure (`open`: as stored, if one is open), on `today`;
/// `representations`: messages the customer sent since the outcome letter.
pub fn next(
    email: &str,
    open: Option<&Procedure>,
    req: &Request,
    today: NaiveDate,
    representations: usize,
    wording: Wording,
) -> Result<Next> {
    let at = open.map(|p| p.step);
    match req {
        Request::Refer { grounds } => {
            if let Some(step) = at {
                return Err(refused(format!(
                    "{email}: already {} (a procedure is open)",
                    step.words()
                )));
            }
            if grounds.trim().is_empty() {
                return Err(refused(match wording {
                    Wording::Cli => "--refer needs --reason: the grounds for the referral",
                    Wording::Desk => "give the grounds for the referral",
                }));
            }
            Ok(Next {
                step: Step::Referred,
                event: EventKind::ReferredToMonitoringOfficer,
                detail: format!("unreasonable or vexatious behaviour: {}", grounds.trim()),
                letter: None,
                closes: false,
                representations_received: false,
            })
        }
        Request::Investigate => {
            if at != Some(Step::Referred) {
                return Err(refused(match at {
                    None => {
                        format!("{email}: not referred to the Monitoring Officer; refer them first")
                    }
                    Some(s) => format!("{email}: already {}", s.words()),
                }));
            }
            Ok(Next {
                step: Step::Investigating,
                event: EventKind::BehaviourInvestigationBegun,
                detail: "the Monitoring Officer found reasonable grounds and wrote to the customer that their behaviour is being investigated".into(),
                letter: Some(Content::BehaviourProcedure {
                    step: "investigation".into(),
                    concerns: None,
                    restriction: None,
                    contact: None,
                    representations_by: None,
                }),
                closes: false,
                representations_received: false,
            })
        }
        Request::Warn {
            level,
            contact,
            concerns,
            by,
        } => {
            if at != Some(Step::Investigating) {
                return Err(refused(match at {
                    None | Some(Step::Referred) => format!(
                        "{email}: the customer has not been told their behaviour is being investigated; write to them first"
                    ),
                    Some(s) => format!("{email}: already {}", s.words()),
                }));
            }
            if concerns.trim().is_empty() {
                return Err(refused(match wording {
                    Wording::Cli => "--warn needs --reason: the council's concerns, for the letter",
                    Wording::Desk => "give the council's concerns: the letter names them",
                }));
            }
            if *by <= today {
                return Err(refused(format!(
                    "the date for written representations ({}) must be after today",
                    crate::time::iso(*by)
                )));
            }
            Ok(Next {
                step: Step::Warned,
                event: EventKind::RestrictionConsidered,
                detail: format!(
                    "{level}{}; concerns: {}; written representations invited by {}",
                    contact
                        .as_ref()
                        .map(|(c, _)| format!(" (contact {c})"))
                        .unwrap_or_default(),
                    concerns.trim(),
                    crate::time::iso(*by)
                ),
                letter: Some(Content::BehaviourProcedure {
                    step: "warning".into(),
                    concerns: Some(concerns.trim().to_string()),
                    restriction: Some(level.to_string()),
                    contact: contact.as_ref().map(|(_, named)| named.clone()),
                    representations_by: Some(*by),
                }),
                closes: false,
                representations_received: false,
            })
        }
        Request::Restrict => {
            let Some(p) = open.filter(|p| p.step == Step::Warned) else {
                return Err(refused(format!(
                    "{email}: {}; the policy restricts only once the customer has had the outcome letter and the chance to make representations{}",
                    at.map_or("no procedure is open".to_string(), |s| format!("only {}", s.words())),
                    match wording {
                        Wording::Cli => " (in exceptional circumstances: restrict --immediate REASON)",
                        Wording::Desk => " (in exceptional circumstances, restrict at once with the reason)",
                    }
                )));
            };
            let by = p.representations_by.unwrap_or(today);
            if representations == 0 && today <= by {
                return Err(refused(format!(
                    "{email}: written representations may be sent until {} and none has arrived; decide after that day",
                    crate::time::iso(by)
                )));
            }
            Ok(Next {
                step: Step::Restricted,
                event: EventKind::RestrictionDecided,
                detail: if representations > 0 {
                    format!("after considering the representations received ({representations} message(s))")
                } else {
                    format!("no representations received by {}", crate::time::iso(by))
                },
                letter: None,
                closes: true,
                representations_received: representations > 0,
            })
        }
        Request::NoRestriction { reasons } => {
            let Some(step) = at else {
                return Err(refused(format!("{email}: no procedure is open")));
            };
            let reasons = reasons.map(str::trim).filter(|r| !r.is_empty());
            Ok(Next {
                step: Step::NotRestricted,
                event: EventKind::NoRestrictionDecided,
                detail: format!(
                    "the Monitoring Officer decided not to restrict contact{}{}",
                    reasons.map(|r| format!(": {r}")).unwrap_or_default(),
                    if representations > 0 {
                        format!(" ({representations} representation message(s) received)")
                    } else {
                        String::new()
                    }
                ),
                // Told only if they were written to: a referral the Monitoring Officer
                // finds without grounds was never news to them.
                letter: (step != Step::Referred).then(|| Content::BehaviourProcedure {
                    step: "no-restriction".into(),
                    concerns: None,
                    restriction: None,
                    contact: None,
                    representations_by: None,
                }),
                closes: true,
                representations_received: representations > 0,
            })
        }
    }
}

/// What a step writes on the customer's latest case: its letter, and for a referral the
/// Monitoring Officer's alert (to `to`: `[workflow] monitoring_officer`, else who hears
/// of what no officer owns).
/// `at`: when (the alert's key, so a later referral is told again).
pub fn writes(email: &str, next: &Next, to: &[(String, String)], at: &str) -> Plan {
    let mut plan = Plan::default();
    if let Some(c) = &next.letter {
        plan.push(Write::Letter(LetterOrder::new(c, false)));
    }
    if next.step == Step::Referred {
        plan.push(Write::Notify {
            key: format!("behaviour-referral:{email}:{at}"),
            to: to.to_vec(),
            subject: format!("{email} referred to the Monitoring Officer: unreasonable behaviour"),
            body: format!(
                "{email} has been referred to the Monitoring Officer under the policy on \
                 unreasonable or vexatious behaviour ({}).\n\n\
                 If there are reasonable grounds, the next step is to write to the customer \
                 that their behaviour is being investigated. No restriction applies until the \
                 procedure ends in a decision.\n",
                next.detail
            ),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn warned(by: NaiveDate) -> Procedure {
        Procedure {
            step: Step::Warned,
            level: Some("letter-only".into()),
            contact: None,
            concerns: Some("abuse".into()),
            representations_by: Some(by),
        }
    }

    #[test]
    fn steps_go_in_order() {
        let e = "a@example.org";
        let today = d(2026, 12, 7);
        assert!(next(e, None, &Request::Investigate, today, 0, Wording::Cli).is_err());
        let r = next(
            e,
            None,
            &Request::Refer { grounds: "calls" },
            today,
            0,
            Wording::Cli,
        )
        .unwrap();
        assert_eq!(r.step, Step::Referred);
        assert!(r.letter.is_none());
        let referred = Procedure {
            step: Step::Referred,
            level: None,
            contact: None,
            concerns: None,
            representations_by: None,
        };
        let warn = Request::Warn {
            level: "letter-only",
            contact: None,
            concerns: "abuse",
            by: d(2026, 12, 21),
        };
        assert!(next(e, Some(&referred), &warn, today, 0, Wording::Cli).is_err());
        assert!(next(
            e,
            Some(&referred),
            &Request::Restrict,
            today,
            0,
            Wording::Cli
        )
        .is_err());
        let i = next(
            e,
            Some(&referred),
            &Request::Investigate,
            today,
            0,
            Wording::Cli,
        )
        .unwrap();
        assert_eq!(i.step, Step::Investigating);
        assert!(i.letter.is_some());
    }

    #[test]
    fn a_decision_waits_for_representations_or_their_date() {
        let e = "a@example.org";
        let p = warned(d(2026, 12, 21));
        // On the last day, nothing received: too early.
        assert!(next(
            e,
            Some(&p),
            &Request::Restrict,
            d(2026, 12, 21),
            0,
            Wording::Cli
        )
        .is_err());
        // The day after: decided, none received.
        let n = next(
            e,
            Some(&p),
            &Request::Restrict,
            d(2026, 12, 22),
            0,
            Wording::Cli,
        )
        .unwrap();
        assert!(!n.representations_received && n.closes);
        // Representations in: decided early.
        let n = next(
            e,
            Some(&p),
            &Request::Restrict,
            d(2026, 12, 10),
            1,
            Wording::Cli,
        )
        .unwrap();
        assert!(n.representations_received);
    }

    #[test]
    fn desk_refusals_name_no_option() {
        let e = "a@example.org";
        for w in [
            next(
                e,
                None,
                &Request::Restrict,
                d(2026, 12, 7),
                0,
                Wording::Desk,
            ),
            next(
                e,
                None,
                &Request::Refer { grounds: " " },
                d(2026, 12, 7),
                0,
                Wording::Desk,
            ),
        ] {
            let msg = w.unwrap_err().to_string();
            assert!(!msg.contains("--"), "{msg}");
        }
    }
}
