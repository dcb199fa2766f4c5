//! The case lifecycle as an explicit state machine: states, the actions that move a
//! case between them, and the close reasons. An action that the current state does
//! not allow is an error, never a silent no-op.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a message to the complaints inbox turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Complaint,
    Compliment,
    Comment,
    ServiceRequest,
    OutOfScope,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Complaint,
        Kind::Compliment,
        Kind::Comment,
        Kind::ServiceRequest,
        Kind::OutOfScope,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Complaint => "complaint",
            Kind::Compliment => "compliment",
            Kind::Comment => "comment",
            Kind::ServiceRequest => "service-request",
            Kind::OutOfScope => "out-of-scope",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Stored, not yet acknowledged.
    Received,
    /// Acknowledged at the current stage; the investigation has not formally started.
    Acknowledged,
    /// Being investigated at the current stage.
    Investigating,
    /// Our response at the current stage has gone out.
    Responded,
    /// The customer's window to ask for the next stage is open.
    AwaitingCustomer,
    /// The customer asked for the next stage; we are deciding whether to accept it.
    EscalationRequested,
    /// Accepted into the next stage (the stage column already names it).
    Escalated,
    Closed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Received,
        State::Acknowledged,
        State::Investigating,
        State::Responded,
        State::AwaitingCustomer,
        State::EscalationRequested,
        State::Escalated,
        State::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Acknowledged => "acknowledged",
            State::Investigating => "investigating",
            State::Responded => "responded",
            State::AwaitingCustomer => "awaiting-customer",
            State::EscalationRequested => "escalation-requested",
            State::Escalated => "escalated",
            State::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        self != State::Closed
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    Resolved,
    AutoClosed,
    Withdrawn,
    OutOfScope,
    ReferredToOmbudsman,
    /// Our response at a stage whose policy gives the customer no time limit to ask for
    /// the next one (no `escalation_window`): the stage is done and the case closed, and
    /// a later request from the customer reopens it into the next stage.
    Responded,
}

impl CloseReason {
    pub const ALL: [CloseReason; 6] = [
        CloseReason::Resolved,
        CloseReason::AutoClosed,
        CloseReason::Withdrawn,
        CloseReason::OutOfScope,
        CloseReason::ReferredToOmbudsman,
        CloseReason::Responded,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Resolved => "resolved",
            CloseReason::AutoClosed => "auto-closed",
            CloseReason::Withdrawn => "withdrawn",
            CloseReason::OutOfScope => "out-of-scope",
            CloseReason::ReferredToOmbudsman => "referred-to-ombudsman",
            CloseReason::Responded => "responded",
        }
    }
    pub fn parse(s: &str) -> Option<CloseReason> {
        CloseReason::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can happen to a case's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Acknowledge,
    StartInvestigation,
    Respond,
    OpenReplyWindow,
    RequestEscalation,
    /// The council moves a case from its current stage into the next one itself, with
    /// no response and no request from the customer (Stockton's complaints outside the
    /// early-resolution criteria, North Norfolk's informal stage, seed 004 l.406).
    Route,
    /// Accept the escalation request into the next stage.
    AcceptEscalation,
    /// Send the case back to the current stage for more work (Bath & NES "refer back").
    ReferBack,
    Close(CloseReason),
    Reopen,
}

impl Action {
    /// Every action, each close reason its own.
    pub fn all() -> impl Iterator<Item = Action> {
        [
            Action::Acknowledge,
            Action::StartInvestigation,
            Action::Respond,
            Action::OpenReplyWindow,
            Action::RequestEscalation,
            Action::Route,
            Action::AcceptEscalation,
            Action::ReferBack,
            Action::Reopen,
        ]
        .into_iter()
        .chain(CloseReason::ALL.into_iter().map(Action::Close))
    }

    /// The action in words: the kind of the event its transition writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::StartInvestigation => "start investigation",
            Action::Respond => "respond",
            Action::OpenReplyWindow => "open reply window",
            Action::RequestEscalation => "request escalation",
            Action::Route => "move to the next stage",
            Action::AcceptEscalation => "accept escalation",
            Action::ReferBack => "refer back",
            Action::Close(r) => match r {
                CloseReason::Resolved => "close (resolved)",
                CloseReason::AutoClosed => "close (auto-closed)",
                CloseReason::Withdrawn => "close (withdrawn)",
                CloseReason::OutOfScope => "close (out-of-scope)",
                CloseReason::ReferredToOmbudsman => "close (referred-to-ombudsman)",
                CloseReason::Responded => "close (responded)",
            },
            Action::Reopen => "reopen",
        }
    }

    pub fn name(self) -> String {
        self.as_str().to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action}: the case is {from}")]
pub struct IllegalTransition {
    pub from: State,
    pub action: String,
}

/// The state an action leads to, or why it may not be taken.
///
/// Escalation needs a next stage in the policy; the caller checks that (it knows the
/// policy), this function knows only the lifecycle.
pub fn transition(from: State, action: Action) -> Result<State, IllegalTransition> {
    use Action as A;
    use State as S;
    let to = match (from, action) {
        (S::Received, A::Acknowledge) => S::Acknowledged,
        (S::Escalated, A::Acknowledge) => S::Acknowledged,
        // Acknowledging an escalation request does not decide it.
        (S::EscalationRequested, A::Acknowledge) => S::EscalationRequested,
        (S::Acknowledged | S::Escalated, A::StartInvestigation) => S::Investigating,
        (S::Acknowledged | S::Investigating | S::Escalated, A::Respond) => S::Responded,
        (S::Responded, A::OpenReplyWindow) => S::AwaitingCustomer,
        (S::Responded | S::AwaitingCustomer, A::RequestEscalation) => S::EscalationRequested,
        // Only a case closed as responded (no time limit to ask): the planner checks.
        (S::Closed, A::RequestEscalation) => S::EscalationRequested,
        (S::Received | S::Acknowledged | S::Investigating, A::Route) => S::EscalationRequested,
        (S::EscalationRequested, A::AcceptEscalation) => S::Escalated,
        (S::EscalationRequested, A::ReferBack) => S::Investigating,
        (S::Closed, A::Close(_)) => return Err(illegal(from, action)),
        (_, A::Close(_)) => S::Closed,
        (S::Closed, A::Reopen) => S::Investigating,
        _ => return Err(illegal(from, action)),
    };
    Ok(to)
}

fn illegal(from: State, action: Action) -> IllegalTransition {
    IllegalTransition {
        from,
        action: action.name(),
    }
}

/// A case as listings and `case REF` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    #[serde(skip)]
    pub id: i64,
    pub reference: String,
    pub policy: String,
    pub kind: Kind,
    pub state: State,
    pub stage: String,
    pub close_reason: Option<CloseReason>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub subject: Option<String>,
    pub service: Option<String>,
    pub officer: Option<String>,
    pub past_officers: Vec<String>,
    pub category: Option<String>,
    pub outcome: Option<String>,
    pub received_at: String,
    pub closed_at: Option<String>,
    pub flagged: Option<String>,
    /// The customer's letters are printed and posted, not emailed (no email address, or
    /// restricted to letters): a letter asked for waits until an officer posts it.
    #[serde(skip)]
    pub letters_by_post: bool,
    /// The earliest open deadline, if any.
    pub next_due: Option<String>,
    /// A response is written and waits for approval before it is sent (the policy's
    /// `[approval]`).
    pub awaiting_approval: bool,
    #[serde(skip)]
    pub facts: FactsRow,
}

#[derive(Debug, Clone, Default)]
pub struct FactsRow {
    pub received_on: Option<NaiveDate>,
    pub acknowledged_on: Option<NaiveDate>,
    pub escalation_requested_on: Option<NaiveDate>,
    pub investigation_started_on: Option<NaiveDate>,
    pub responded_on: Option<NaiveDate>,
}

impl Case {
    /// The day our response at the current stage went out, if it has.
    pub fn facts_responded_on(&self) -> Option<NaiveDate> {
        self.facts.responded_on
    }
}

impl FactsRow {
    pub fn facts(&self) -> crate::deadline::Facts {
        crate::deadline::Facts {
            received: self.received_on,
            acknowledged: self.acknowledged_on,
            escalation_requested: self.escalation_requested_on,
            investigation_started: self.investigation_started_on,
            responded: self.responded_on,
        }
    }
}
/// The customer a case belongs to, with what letters need beyond `Case`.
#[derive(Debug, Clone, Default)]
pub struct Customer {
    pub email: Option<String>,
    pub name: Option<String>,
    /// Postal address, one line per line.
    pub address: Vec<String>,
    /// Telephone number, as an officer recorded it.
    pub phone: Option<String>,
    /// letter-only, single-contact, no-response (after a Monitoring Officer decision).
    pub restriction: Option<String>,
    /// Under a single-contact restriction: the contact (a `[[staff]]` login, or a name
    /// as letters give it).
    pub restriction_contact: Option<String>,
}

/// A telephone number as an officer types it: digits with spaces, '+', '(', ')' or
/// '-' between them, 7 to 15 digits; "" clears it. The trimmed number, or why not.
pub fn phone(s: &str) -> Result<&str, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(s);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let fits = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'));
    if !fits || !(7..=15).contains(&digits) || s.chars().count() > 30 {
        return Err(format!(
            "'{}' is not a telephone number: digits, with spaces, +, brackets or dashes between them",
            crate::escape::escaped(s)
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use State as S;

    const LEGAL: &[(State, Action, State)] = &[
        (S::Received, A::Acknowledge, S::Acknowledged),
        (S::Escalated, A::Acknowledge, S::Acknowledged),
        (
            S::EscalationRequested,
            A::Acknowledge,
            S::EscalationRequested,
        ),
        (S::Acknowledged, A::StartInvestigation, S::Investigating),
        (S::Escalated, A::StartInvestigation, S::Investigating),
        (S::Acknowledged, A::Respond, S::Responded),
        (S::Investigating, A::Respond, S::Responded),
        (S::Escalated, A::Respond, S::Responded),
        (S::Responded, A::OpenReplyWindow, S::AwaitingCustomer),
        (S::Responded, A::RequestEscalation, S::EscalationRequested),
        (
            S::AwaitingCustomer,
            A::RequestEscalation,
            S::EscalationRequested,
        ),
        (S::EscalationRequested, A::AcceptEscalation, S::Escalated),
        (S::EscalationRequested, A::ReferBack, S::Investigating),
        (S::Closed, A::Reopen, S::Investigating),
        (S::Closed, A::RequestEscalation, S::EscalationRequested),
        (S::Received, A::Route, S::EscalationRequested),
        (S::Acknowledged, A::Route, S::EscalationRequested),
        (S::Investigating, A::Route, S::EscalationRequested),
    ];

    fn all_actions() -> Vec<Action> {
        let mut v = vec![
            A::Acknowledge,
            A::StartInvestigation,
            A::Respond,
            A::OpenReplyWindow,
            A::RequestEscalation,
            A::Route,
            A::AcceptEscalation,
            A::ReferBack,
            A::Reopen,
        ];
        v.extend(CloseReason::ALL.map(A::Close));
        v
    }

    #[test]
    fn every_legal_transition_leads_where_the_lifecycle_says() {
        for (from, action, to) in LEGAL {
            assert_eq!(
                transition(*from, *action),
                Ok(*to),
                "{from} --{}-->",
                action.name()
            );
        }
    }

    #[test]
    fn every_open_state_can_close_with_every_reason_and_a_closed_case_cannot_close_again() {
        for s in State::ALL {
            for r in CloseReason::ALL {
                let got = transition(s, A::Close(r));
                if s == S::Closed {
                    assert!(got.is_err());
                } else {
                    assert_eq!(got, Ok(S::Closed));
                }
            }
        }
    }

    #[test]
    fn everything_not_listed_is_illegal() {
        for s in State::ALL {
            for a in all_actions() {
                let listed = LEGAL.iter().any(|(f, act, _)| *f == s && *act == a)
                    || (matches!(a, A::Close(_)) && s != S::Closed);
                assert_eq!(transition(s, a).is_ok(), listed, "{s} --{}-->", a.name());
            }
        }
    }

    #[test]
    fn illegal_transition_says_what_and_from_where() {
        let e = transition(S::Received, A::Respond).unwrap_err();
        assert_eq!(e.to_string(), "cannot respond: the case is received");
        let e = transition(S::Closed, A::Close(CloseReason::Resolved)).unwrap_err();
        assert_eq!(e.to_string(), "cannot close (resolved): the case is closed");
        let e = transition(S::Investigating, A::AcceptEscalation).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot accept escalation: the case is investigating"
        );
    }
}
