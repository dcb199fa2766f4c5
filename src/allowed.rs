//! One answer to "what may I do here": given a case as it stands, its policy and who
//! is asking, each officer action is allowed, or not with the reason in an officer's
//! words. Pure (no database, no clock): the desk's case page shows only what is
//! allowed, a desk action that is not is refused with the same reason, and the CLI's
//! refusal to pause where the policy stops no clock comes from here too (its other
//! refusals keep the texts scripts and tests rely on).

use crate::case::{Case, CloseReason, Kind, State};
use crate::policy::Policy;

/// An action an officer may take on a case (one form on the case page each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    Note,
    Assign,
    Reply,
    Extend,
    Escalate,
    Decide,
    Pause,
    Resume,
    Classify,
    Close,
    Reopen,
    Restrict,
    Triage,
    Behaviour,
    Director,
    Approve,
    Return,
    Learning,
    Exclude,
    Service,
    Customer,
    Acknowledge,
    Unflag,
    Representative,
}

impl Act {
    pub const ALL: [Act; 24] = [
        Act::Note,
        Act::Assign,
        Act::Reply,
        Act::Extend,
        Act::Escalate,
        Act::Decide,
        Act::Pause,
        Act::Resume,
        Act::Classify,
        Act::Close,
        Act::Reopen,
        Act::Restrict,
        Act::Triage,
        Act::Behaviour,
        Act::Director,
        Act::Approve,
        Act::Return,
        Act::Learning,
        Act::Exclude,
        Act::Service,
        Act::Customer,
        Act::Acknowledge,
        Act::Unflag,
        Act::Representative,
    ];

    /// The action's word (in the desk's URL, and the banner it leaves).
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Note => "note",
            Act::Assign => "assign",
            Act::Reply => "reply",
            Act::Extend => "extend",
            Act::Escalate => "escalate",
            Act::Decide => "decide",
            Act::Pause => "pause",
            Act::Resume => "resume",
            Act::Classify => "classify",
            Act::Close => "close",
            Act::Reopen => "reopen",
            Act::Restrict => "restrict",
            Act::Triage => "triage",
            Act::Behaviour => "behaviour",
            Act::Director => "director",
            Act::Approve => "approve",
            Act::Return => "return",
            Act::Learning => "learning",
            Act::Exclude => "exclude",
            Act::Service => "service",
            Act::Customer => "customer",
            Act::Acknowledge => "acknowledge",
            Act::Unflag => "unflag",
            Act::Representative => "representative",
        }
    }

    pub fn parse(word: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.as_str() == word)
    }

    /// What the action is called, for "not available" lists.
    pub fn title(self) -> &'static str {
        match self {
            Act::Note => "Add a note",
            Act::Assign => "Assign",
            Act::Reply => "Reply to the customer",
            Act::Extend => "Extend the deadline",
            Act::Escalate => "Move to the next stage",
            Act::Decide => "Decide on the request for the next stage",
            Act::Pause => "Pause the deadlines",
            Act::Resume => "Resume the deadlines",
            Act::Classify => "Correct the kind",
            Act::Close => "Close the case",
            Act::Reopen => "Reopen the case",
            Act::Restrict => "Restrict the customer's contact",
            Act::Triage => "Decide triage",
            Act::Behaviour => "Unreasonable behaviour procedure",
            Act::Director => "Complaint about a director",
            Act::Approve => "Approve the response",
            Act::Return => "Return the response",
            Act::Learning => "Record learning",
            Act::Exclude => "Close as not covered by the policy",
            Act::Service => "Set the service",
            Act::Customer => "Correct the customer's details",
            Act::Acknowledge => "Send the acknowledgement",
            Act::Unflag => "Clear the flag",
            Act::Representative => "Representative",
        }
    }

    /// Only a manager may take it.
    pub fn manager_only(self) -> bool {
        matches!(
            self,
            Act::Restrict | Act::Behaviour | Act::Approve | Act::Return
        )
    }
}

/// The case as the question needs it: what the store knows beyond the case row.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub case: &'a Case,
    pub policy: &'a Policy,
    /// The signed-in person may act as a manager.
    pub manager: bool,
    /// The case's deadlines are paused now.
    pub paused: bool,
    /// The case waits "to triage" (a suggestion nobody has decided).
    pub to_triage: bool,
    /// Marked as a complaint about a director, and whether the investigator is chosen.
    pub director_marked: bool,
}

/// The policy in words: "the Complaint Handling Code", "the Buckinghamshire Council
/// policy".
pub fn policy_words(policy: &Policy) -> String {
    if policy.name == "lgsco-code" {
        "the Complaint Handling Code".to_string()
    } else {
        format!("the {} policy", policy.preset.council)
    }
}

fn kind_words(k: Kind) -> &'static str {
    match k {
        Kind::Complaint => "a complaint",
        Kind::Compliment => "a compliment",
        Kind::Comment => "a comment",
        Kind::ServiceRequest => "a service request",
        Kind::OutOfScope => "out of scope",
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What the policy itself rules out, whatever the case's state: pausing where the
/// policy stops no clock, a review decision where it has none. The CLI's refusal
/// to pause is this sentence too.
pub fn policy_refusal(policy: &Policy, act: Act) -> Option<String> {
    match act {
        Act::Pause if !policy.preset.pause_allowed => Some(format!(
            "{} does not allow pausing the deadlines: extend the deadline instead.",
            cap(&policy_words(policy))
        )),
        Act::Decide if policy.preset.stages.iter().all(|s| s.decide.is_none()) => Some(format!(
            "{} has no review decision: a request for the next stage is accepted as it comes.",
            cap(&policy_words(policy))
        )),
        Act::Behaviour if !policy.preset.behaviour_procedure => Some(format!(
            "{} has no unreasonable behaviour procedure.",
            cap(&policy_words(policy))
        )),
        Act::Director if policy.preset.director_investigator.is_none() => Some(format!(
            "{} has no separate procedure for complaints about directors.",
            cap(&policy_words(policy))
        )),
        Act::Exclude if policy.preset.exclusions.is_empty() => Some(format!(
            "{} lists nothing it does not cover: close the case as out of scope instead.",
            cap(&policy_words(policy))
        )),
        _ => None,
    }
}

/// Whether the person in `s` may take `act` on the case: `Err` with the reason, in an
/// officer's words, when not.
pub fn may(s: &Situation, act: Act) -> Result<(), String> {
    let case = s.case;
    let closed = case.state == State::Closed;
    let closed_responded = closed && case.close_reason == Some(CloseReason::Responded);
    let is_complaint = case.kind == Kind::Complaint;
    let kind = kind_words(case.kind);
    let why = |w: String| Err(w);
    if act.manager_only() && !s.manager {
        return why(format!(
            "Only a manager may do this ({}).",
            act.title().to_lowercase()
        ));
    }
    if let Some(w) = policy_refusal(s.policy, act) {
        return Err(w);
    }
    let waiting = "A response waits for approval: it must be approved or returned first.";
    match act {
        Act::Note | Act::Classify | Act::Service | Act::Customer | Act::Representative => Ok(()),
        Act::Assign if closed => why("The case is closed: reopen it first.".into()),
        Act::Assign => Ok(()),
        Act::Reply => {
            if closed {
                why("The case is closed: there is no response to send.".into())
            } else if !matches!(case.kind, Kind::Complaint | Kind::Comment) {
                why(format!(
                    "{} is not answered with a response letter.",
                    cap(&format!("{kind} case"))
                ))
            } else if case.awaiting_approval {
                why("A response is already written and waits for approval.".into())
            } else if s.to_triage || case.state == State::Received {
                why("The case is not acknowledged yet: acknowledge it first.".into())
            } else if matches!(case.state, State::Responded | State::AwaitingCustomer) {
                why(
                    "The response at this stage has gone: the customer may ask for the next stage."
                        .into(),
                )
            } else if case.state == State::EscalationRequested {
                why("The customer's request for the next stage waits for a decision.".into())
            } else {
                Ok(())
            }
        }
        Act::Extend => {
            if closed {
                why("The case is closed: no deadline runs.".into())
            } else if !is_complaint {
                why(format!("{} has no response deadline to extend.", cap(kind)))
            } else if s
                .policy
                .stage(&case.stage)
                .is_none_or(|st| st.extension.is_none())
            {
                let stage = s
                    .policy
                    .stage(&case.stage)
                    .map_or(case.stage.as_str(), |st| st.name.as_str());
                why(format!(
                    "{} allows no extension at {stage}.",
                    cap(&policy_words(s.policy))
                ))
            } else if !matches!(
                case.state,
                State::Received | State::Acknowledged | State::Investigating | State::Escalated
            ) {
                why("The response at this stage has gone: there is nothing to extend.".into())
            } else {
                Ok(())
            }
        }
        Act::Escalate => {
            if !is_complaint {
                why(format!("{} has no stages to move through.", cap(kind)))
            } else if s.policy.next_stage(&case.stage).is_none()
                && case.state != State::EscalationRequested
            {
                why("This is the policy's last stage: next is the Ombudsman.".into())
            } else if closed && !closed_responded {
                why("The case is closed: reopen it first.".into())
            } else if case.state == State::EscalationRequested {
                why("A request for the next stage already waits for a decision.".into())
            } else if case.awaiting_approval {
                why(waiting.into())
            } else {
                let (customer, council) = escalation_by(s);
                if customer || council {
                    Ok(())
                } else {
                    why("The customer may ask for the next stage once the response at this stage has gone.".into())
                }
            }
        }
        Act::Decide => {
            if case.state != State::EscalationRequested {
                why("There is no request for the next stage to decide on.".into())
            } else if s
                .policy
                .stage(&case.stage)
                .is_none_or(|st| st.decide.is_none())
            {
                why(
                    "This stage takes no review decision: the request is accepted as it comes."
                        .into(),
                )
            } else {
                Ok(())
            }
        }
        Act::Pause => {
            if closed {
                why("The case is closed: no deadline runs.".into())
            } else if s.paused {
                why("The deadlines are already paused.".into())
            } else {
                Ok(())
            }
        }
        Act::Resume if !s.paused => why("The deadlines are not paused.".into()),
        Act::Resume => Ok(()),
        Act::Close => {
            if closed && !closed_responded {
                why("The case is already closed.".into())
            } else if case.awaiting_approval {
                why(waiting.into())
            } else {
                Ok(())
            }
        }
        Act::Reopen if !closed => why("The case is open.".into()),
        Act::Reopen => Ok(()),
        Act::Restrict | Act::Behaviour => {
            if closed {
                why("The case is closed: act from one of the customer's open cases.".into())
            } else if case.customer_email.is_none() {
                why("The customer has no email address: their contact is by post already.".into())
            } else {
                Ok(())
            }
        }
        Act::Triage if !s.to_triage => why("The case does not wait to triage.".into()),
        Act::Triage => Ok(()),
        Act::Director => {
            if closed {
                why("The case is closed.".into())
            } else if !is_complaint {
                why(format!("{} is not a complaint.", cap(kind)))
            } else {
                Ok(())
            }
        }
        Act::Approve | Act::Return if !case.awaiting_approval => {
            why("There is nothing to approve: no response waits for approval.".into())
        }
        Act::Approve | Act::Return => Ok(()),
        Act::Learning if !matches!(case.kind, Kind::Complaint | Kind::Comment) => why(format!(
            "Learning is recorded from complaints and comments; this is {kind}."
        )),

        Act::Learning => Ok(()),
        Act::Exclude => {
            if closed {
                why("The case is closed.".into())
            } else if case.awaiting_approval {
                why(waiting.into())
            } else {
                Ok(())
            }
        }
        Act::Acknowledge => {
            if s.to_triage {
                why("The case waits to triage: decide triage instead.".into())
            } else if case.state != State::Received {
                why("The case is already acknowledged.".into())
            } else if matches!(case.kind, Kind::ServiceRequest | Kind::OutOfScope) {
                why(format!(
                    "{} is answered by a letter saying where to go instead, not an acknowledgement.",
                    cap(&format!("{kind} case"))
                ))
            } else {
                Ok(())
            }
        }
        Act::Unflag if case.flagged.is_none() => why("Nothing is flagged on the case.".into()),
        Act::Unflag => Ok(()),
    }
}

/// Who may move the case to the next stage now: (the customer, asking after our
/// response at this stage; the council itself, where the next stage takes cases from
/// the council before a response).
pub fn escalation_by(s: &Situation) -> (bool, bool) {
    let case = s.case;
    let customer = matches!(case.state, State::Responded | State::AwaitingCustomer)
        || (case.state == State::Closed && case.close_reason == Some(CloseReason::Responded));
    let council = matches!(
        case.state,
        State::Received | State::Acknowledged | State::Investigating
    ) && s
        .policy
        .next_stage(&case.stage)
        .is_some_and(|n| n.council_entry.is_some());
    (customer, council)
}

/// Every action with its answer: `None` allowed, `Some(why)` not.
pub fn all(s: &Situation) -> Vec<(Act, Option<String>)> {
    Act::ALL.into_iter().map(|a| (a, may(s, a).err())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::FactsRow;

    fn case(kind: Kind, state: State, stage: &str) -> Case {
        Case {
            id: 1,
            reference: "EX-2026-00001".into(),
            policy: "lgsco-code".into(),
            kind,
            state,
            stage: stage.into(),
            close_reason: (state == State::Closed).then_some(CloseReason::Resolved),
            customer_email: Some("ada@example.org".into()),
            customer_name: Some("Ada".into()),
            subject: None,
            service: None,
            officer: None,
            past_officers: Vec::new(),
            category: None,
            outcome: None,
            received_at: "2026-12-07T10:05:00Z".into(),
            closed_at: None,
            flagged: None,
            letters_by_post: false,
            next_due: None,
            awaiting_approval: false,
            facts: FactsRow::default(),
        }
    }

    fn policy(name: &str) -> Policy {
        Policy::load(name).unwrap()
    }

    fn sit<'a>(c: &'a Case, p: &'a Policy, manager: bool) -> Situation<'a> {
        Situation {
            case: c,
            policy: p,
            manager,
            paused: false,
            to_triage: false,
            director_marked: false,
        }
    }

    fn allowed(s: &Situation) -> Vec<Act> {
        all(s)
            .into_iter()
            .filter(|(_, w)| w.is_none())
            .map(|(a, _)| a)
            .collect()
    }

    #[test]
    fn the_code_allows_neither_pause_nor_decide() {
        let p = policy("lgsco-code");
        for state in [State::Acknowledged, State::EscalationRequested] {
            let c = case(Kind::Complaint, state, "stage1");
            let s = sit(&c, &p, true);
            let pause = may(&s, Act::Pause).unwrap_err();
            assert_eq!(
                pause,
                "The Complaint Handling Code does not allow pausing the deadlines: extend the deadline instead."
            );
            assert!(may(&s, Act::Decide)
                .unwrap_err()
                .contains("has no review decision"));
        }
        // An acknowledged complaint at stage 1: reply and extend; the customer may ask
        // for stage 2 only after the response (the Code's stage 2 takes no case from
        // the council itself).
        let c = case(Kind::Complaint, State::Acknowledged, "stage1");
        let s = sit(&c, &p, false);
        let a = allowed(&s);
        for x in [Act::Reply, Act::Extend, Act::Note, Act::Close] {
            assert!(a.contains(&x), "{x:?} in {a:?}");
        }
        assert!(may(&s, Act::Escalate)
            .unwrap_err()
            .contains("once the response at this stage has gone"));
        let c2 = case(Kind::Complaint, State::AwaitingCustomer, "stage1");
        assert_eq!(escalation_by(&sit(&c2, &p, false)), (true, false));
        for x in [
            Act::Reopen,
            Act::Resume,
            Act::Triage,
            Act::Approve,
            Act::Unflag,
        ] {
            assert!(!a.contains(&x), "{x:?} in {a:?}");
        }
    }

    #[test]
    fn a_closed_compliment_offers_no_reply_extend_escalate_decide_pause_or_restrict() {
        let p = policy("buckinghamshire");
        let c = case(Kind::Compliment, State::Closed, "stage1");
        let s = sit(&c, &p, true);
        for x in [
            Act::Reply,
            Act::Extend,
            Act::Escalate,
            Act::Decide,
            Act::Pause,
            Act::Restrict,
            Act::Close,
            Act::Assign,
        ] {
            assert!(may(&s, x).is_err(), "{x:?}");
        }
        assert!(may(&s, Act::Reopen).is_ok());
        assert!(may(&s, Act::Note).is_ok());
        assert_eq!(
            may(&s, Act::Escalate).unwrap_err(),
            "A compliment has no stages to move through."
        );
    }

    #[test]
    fn manager_only_actions_are_refused_to_officers_with_the_reason() {
        let p = policy("bath-and-north-east-somerset");
        let c = case(Kind::Complaint, State::Investigating, "stage1");
        let officer = sit(&c, &p, false);
        assert_eq!(
            may(&officer, Act::Restrict).unwrap_err(),
            "Only a manager may do this (restrict the customer's contact)."
        );
        assert!(may(&officer, Act::Behaviour).is_err());
        let manager = sit(&c, &p, true);
        assert!(may(&manager, Act::Restrict).is_ok());
        assert!(
            may(&manager, Act::Behaviour).is_ok(),
            "B&NES has the procedure"
        );
        // The Code has no behaviour procedure at all.
        let code = policy("lgsco-code");
        let s = sit(&c, &code, true);
        assert!(may(&s, Act::Behaviour)
            .unwrap_err()
            .contains("no unreasonable behaviour procedure"));
    }

    #[test]
    fn the_council_moves_a_case_on_only_where_the_next_stage_takes_it() {
        // North Norfolk: stage 2 takes complaints from the informal stage by the
        // council's move.
        let p = policy("north-norfolk");
        let c = case(Kind::Complaint, State::Investigating, "stage1");
        let s = sit(&c, &p, false);
        assert_eq!(escalation_by(&s), (false, true));
        assert!(may(&s, Act::Escalate).is_ok());
        // From stage 2 to its review only the customer asks, after the response.
        let c = case(Kind::Complaint, State::Investigating, "stage2");
        assert!(may(&sit(&c, &p, false), Act::Escalate).is_err());
        let c = case(Kind::Complaint, State::AwaitingCustomer, "stage2");
        assert_eq!(escalation_by(&sit(&c, &p, false)), (true, false));
    }

    #[test]
    fn a_review_decision_waits_for_a_request_at_a_stage_that_takes_one() {
        let p = policy("buckinghamshire");
        let c = case(Kind::Complaint, State::EscalationRequested, "stage2");
        let s = sit(&c, &p, false);
        assert!(may(&s, Act::Decide).is_ok());
        assert!(may(&s, Act::Reply).is_err());
        assert!(may(&s, Act::Escalate).is_err());
        let c = case(Kind::Complaint, State::Investigating, "stage1");
        let s = sit(&c, &p, false);
        assert_eq!(
            may(&s, Act::Decide).unwrap_err(),
            "There is no request for the next stage to decide on."
        );
        // The last stage: next is the Ombudsman.
        let c = case(Kind::Complaint, State::Investigating, "stage2");
        let s = sit(&c, &p, false);
        assert!(may(&s, Act::Escalate).unwrap_err().contains("Ombudsman"));
    }

    #[test]
    fn pauses_flags_triage_and_approvals_each_open_their_own_action() {
        let p = policy("lgsco-code");
        let mut c = case(Kind::Complaint, State::Received, "stage1");
        c.flagged = Some("letter 1 bounced".into());
        c.awaiting_approval = true;
        let mut s = sit(&c, &p, true);
        s.paused = true;
        s.to_triage = true;
        let a = allowed(&s);
        for x in [
            Act::Resume,
            Act::Unflag,
            Act::Triage,
            Act::Approve,
            Act::Return,
        ] {
            assert!(a.contains(&x), "{x:?} in {a:?}");
        }
        assert!(!a.contains(&Act::Acknowledge), "triage decides it");
        assert!(!a.contains(&Act::Close), "waits for approval");
        // Received, not to triage: acknowledge, but no reply yet.
        let c = case(Kind::Complaint, State::Received, "stage1");
        let s = sit(&c, &p, false);
        assert!(may(&s, Act::Acknowledge).is_ok());
        assert!(may(&s, Act::Reply)
            .unwrap_err()
            .contains("acknowledge it first"));
        // A closed-as-responded complaint may still be taken to the next stage.
        let mut c = case(Kind::Complaint, State::Closed, "stage1");
        c.close_reason = Some(CloseReason::Responded);
        let s = sit(&c, &p, false);
        assert!(may(&s, Act::Escalate).is_ok());
        assert!(may(&s, Act::Reply).is_err());
    }

    #[test]
    fn words_name_no_flag_and_no_id() {
        for name in [
            "lgsco-code",
            "buckinghamshire",
            "bath-and-north-east-somerset",
            "north-norfolk",
            "stockton-on-tees",
            "west-lindsey",
        ] {
            let p = policy(name);
            for kind in Kind::ALL {
                for state in State::ALL {
                    let c = case(kind, state, &p.preset.stages[0].id);
                    for manager in [false, true] {
                        for (a, w) in all(&sit(&c, &p, manager)) {
                            if let Some(w) = w {
                                assert!(!w.contains("--") && !w.contains("[["), "{a:?}: {w}");
                                assert!(!w.contains("stage1") && !w.contains(name), "{a:?}: {w}");
                                assert!(w.ends_with('.'), "{a:?}: {w}");
                            }
                        }
                    }
                }
            }
        }
    }
}
