//! What an event on a case's timeline records: its kind, the `events.kind` column.
//!
//! Every kind is stored as the words it has always been stored as ([`EventKind::as_str`]):
//! the log is append-only, SQL filters on the words (`kind = 'deadline lapsed'`), and
//! pages and exports print them. A row may still hold words this build never writes
//! (written by hand, or by another version): the store reads such a kind back as
//! [`crate::store::Stored::Unknown`], never as an `EventKind`.

use crate::case::Action;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The kind of an event on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A state change: the action taken ("acknowledge", "close (resolved)", ...).
    Transition(Action),
    /// The case was opened from mail, by hand or from the desk.
    Opened,
    OpenedFromQuarantine,
    MessageReceived,
    MessageAttachedFromQuarantine,
    Classified,
    ToTriage,
    TriageOverdue,
    NoAutomaticLetter,
    AcknowledgementDeferred,
    SafeguardingConcern,
    RepresentativeRecorded,
    Anonymous,
    /// An officer's note.
    Note,
    /// What a resident said by phone, by letter or in person, written down as a message.
    MessageRecorded,
    Flagged,
    /// An attribute an officer set ("set officer", ...).
    SetOfficer,
    SetService,
    SetCategory,
    SetOutcome,
    SetFlagged,
    SetKind,
    CustomerDetailsCorrected,
    ContactRestricted,
    DeadlinesPaused,
    DeadlinesResumed,
    DeadlineAlert,
    DeadlineLapsed,
    ExtensionLapsed,
    HoldingLetter,
    Extended,
    BeyondOverallLimit,
    ReviewRequest,
    AboutADirector,
    InvestigatorChosen,
    AwaitingApproval,
    ResponseApproved,
    ResponseReturned,
    LearningRecorded,
    /// The steps of the Monitoring Officer's unreasonable-behaviour procedure.
    ReferredToMonitoringOfficer,
    BehaviourInvestigationBegun,
    RestrictionConsidered,
    RestrictionDecided,
    NoRestrictionDecided,
    /// A letter's life: asked for, not written (no address), files enclosed, rendered
    /// and queued, held, sent, delayed, failed, bounced, retried or posted by an
    /// officer, resumed or possibly duplicated after an interrupted send.
    LetterRequested,
    NoLetter,
    Enclosed,
    LetterQueued,
    LetterHeld,
    LetterSent,
    LetterDelayed,
    LetterFailed,
    LetterBounced,
    LetterRetried,
    LetterPosted,
    LetterAttemptResumed,
    LetterPossibleDuplicate,
    /// The case's personal data erased under the retention schedule (written by SQL
    /// in `store::records`).
    Erased,
}

/// Every kind but the transitions (see [`EventKind::all`]).
const PLAIN: [EventKind; 57] = [
    EventKind::Opened,
    EventKind::OpenedFromQuarantine,
    EventKind::MessageReceived,
    EventKind::MessageAttachedFromQuarantine,
    EventKind::Classified,
    EventKind::ToTriage,
    EventKind::TriageOverdue,
    EventKind::NoAutomaticLetter,
    EventKind::AcknowledgementDeferred,
    EventKind::SafeguardingConcern,
    EventKind::RepresentativeRecorded,
    EventKind::Anonymous,
    EventKind::Note,
    EventKind::MessageRecorded,
    EventKind::Flagged,
    EventKind::SetOfficer,
    EventKind::SetService,
    EventKind::SetCategory,
    EventKind::SetOutcome,
    EventKind::SetFlagged,
    EventKind::SetKind,
    EventKind::CustomerDetailsCorrected,
    EventKind::ContactRestricted,
    EventKind::DeadlinesPaused,
    EventKind::DeadlinesResumed,
    EventKind::DeadlineAlert,
    EventKind::DeadlineLapsed,
    EventKind::ExtensionLapsed,
    EventKind::HoldingLetter,
    EventKind::Extended,
    EventKind::BeyondOverallLimit,
    EventKind::ReviewRequest,
    EventKind::AboutADirector,
    EventKind::InvestigatorChosen,
    EventKind::AwaitingApproval,
    EventKind::ResponseApproved,
    EventKind::ResponseReturned,
    EventKind::LearningRecorded,
    EventKind::ReferredToMonitoringOfficer,
    EventKind::BehaviourInvestigationBegun,
    EventKind::RestrictionConsidered,
    EventKind::RestrictionDecided,
    EventKind::NoRestrictionDecided,
    EventKind::LetterRequested,
    EventKind::NoLetter,
    EventKind::Enclosed,
    EventKind::LetterQueued,
    EventKind::LetterHeld,
    EventKind::LetterSent,
    EventKind::LetterDelayed,
    EventKind::LetterFailed,
    EventKind::LetterBounced,
    EventKind::LetterRetried,
    EventKind::LetterPosted,
    EventKind::LetterAttemptResumed,
    EventKind::LetterPossibleDuplicate,
    EventKind::Erased,
];

impl EventKind {
    /// Every kind, each transition (and each close reason) its own.
    pub fn all() -> impl Iterator<Item = EventKind> {
        PLAIN
            .into_iter()
            .chain(Action::all().map(EventKind::Transition))
    }

    /// The words stored in `events.kind`.
    pub fn as_str(self) -> &'static str {
        use EventKind as E;
        match self {
            E::Transition(a) => a.as_str(),
            E::Opened => "opened",
            E::OpenedFromQuarantine => "opened from quarantine",
            E::MessageReceived => "message received",
            E::MessageAttachedFromQuarantine => "message attached from quarantine",
            E::Classified => "classified",
            E::ToTriage => "to triage",
            E::TriageOverdue => "triage overdue",
            E::NoAutomaticLetter => "no automatic letter",
            E::AcknowledgementDeferred => "acknowledgement deferred",
            E::SafeguardingConcern => "safeguarding concern",
            E::RepresentativeRecorded => "representative recorded",
            E::Anonymous => "anonymous",
            E::Note => "note",
            E::MessageRecorded => "message recorded",
            E::Flagged => "flagged",
            E::SetOfficer => "set officer",
            E::SetService => "set service",
            E::SetCategory => "set category",
            E::SetOutcome => "set outcome",
            E::SetFlagged => "set flagged",
            E::SetKind => "set kind",
            E::CustomerDetailsCorrected => "customer details corrected",
            E::ContactRestricted => "contact restricted",
            E::DeadlinesPaused => "deadlines paused",
            E::DeadlinesResumed => "deadlines resumed",
            E::DeadlineAlert => "deadline alert",
            E::DeadlineLapsed => "deadline lapsed",
            E::ExtensionLapsed => "extension lapsed",
            E::HoldingLetter => "holding letter",
            E::Extended => "extended",
            E::BeyondOverallLimit => "beyond overall limit",
            E::ReviewRequest => "review request",
            E::AboutADirector => "about a director or senior manager",
            E::InvestigatorChosen => "investigator chosen",
            E::AwaitingApproval => "awaiting approval",
            E::ResponseApproved => "response approved",
            E::ResponseReturned => "response returned",
            E::LearningRecorded => "learning recorded",
            E::ReferredToMonitoringOfficer => "referred to the Monitoring Officer",
            E::BehaviourInvestigationBegun => "behaviour investigation begun",
            E::RestrictionConsidered => "restriction considered",
            E::RestrictionDecided => "restriction decided",
            E::NoRestrictionDecided => "no restriction decided",
            E::LetterRequested => "letter requested",
            E::NoLetter => "no letter",
            E::Enclosed => "enclosed",
            E::LetterQueued => "letter queued",
            E::LetterHeld => "letter held",
            E::LetterSent => "letter sent",
            E::LetterDelayed => "letter delayed",
            E::LetterFailed => "letter failed",
            E::LetterBounced => "letter bounced",
            E::LetterRetried => "letter retried",
            E::LetterPosted => "letter posted",
            E::LetterAttemptResumed => "letter attempt resumed",
            E::LetterPossibleDuplicate => "letter possible duplicate",
            E::Erased => "erased",
        }
    }

    /// The kind stored as `words`, if this build knows it.
    pub fn parse(words: &str) -> Option<EventKind> {
        EventKind::all().find(|k| k.as_str() == words)
    }
}

/// Words that name no event kind this build knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind '{0}'")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(words: &str) -> Result<EventKind, UnknownEventKind> {
        EventKind::parse(words).ok_or_else(|| UnknownEventKind(words.to_string()))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind compares with its words (`kind == "letter sent"`).
impl PartialEq<&str> for EventKind {
    fn eq(&self, words: &&str) -> bool {
        self.as_str() == *words
    }
}

/// Serialized as its words, as pages and exports have always shown it.
impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CloseReason;
    use std::collections::HashSet;

    #[test]
    fn every_kind_round_trips_through_its_distinct_stored_words() {
        let mut seen = HashSet::new();
        for k in EventKind::all() {
            assert!(seen.insert(k.as_str()), "{} twice", k.as_str());
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        // Every plain kind is listed once, and every action is a transition.
        assert_eq!(seen.len(), PLAIN.len() + Action::all().count());
        assert_eq!(
            "case opened".parse::<EventKind>(),
            Err(UnknownEventKind("case opened".into()))
        );
    }

    #[test]
    fn a_transition_is_stored_as_its_action_in_words() {
        for r in CloseReason::ALL {
            assert_eq!(
                EventKind::Transition(Action::Close(r)).as_str(),
                format!("close ({})", r.as_str())
            );
        }
        assert_eq!(
            EventKind::parse("acknowledge"),
            Some(EventKind::Transition(Action::Acknowledge))
        );
        assert_eq!(
            EventKind::Transition(Action::Route),
            "move to the next stage"
        );
    }
}
