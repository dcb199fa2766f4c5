//! The letter kinds and, for each, the facts its template may use beyond the case: the
//! template contract, in code. A letter is asked for with a [`Content`]; the store keeps
//! its kind's name and its facts as JSON (the `data` a template sees).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every letter kind, in the order a case may meet them. A template exists for each
/// (`templates/<kind>.tera`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Acknowledgement,
    Holding,
    Extension,
    StageResponse,
    EscalationAcknowledgement,
    ReviewDecision,
    FinalResponse,
    AutoClose,
    ComplimentThanks,
    CommentAcknowledgement,
    ServiceRequestRedirect,
    OutOfScopeRedirect,
    SurveyInvitation,
    RestrictionNotice,
    BehaviourProcedure,
    ManagerDigest,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Acknowledgement,
        Kind::Holding,
        Kind::Extension,
        Kind::StageResponse,
        Kind::EscalationAcknowledgement,
        Kind::ReviewDecision,
        Kind::FinalResponse,
        Kind::AutoClose,
        Kind::ComplimentThanks,
        Kind::CommentAcknowledgement,
        Kind::ServiceRequestRedirect,
        Kind::OutOfScopeRedirect,
        Kind::SurveyInvitation,
        Kind::RestrictionNotice,
        Kind::BehaviourProcedure,
        Kind::ManagerDigest,
    ];

    /// The name stored in `letters.kind` and used for the template file.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "acknowledgement",
            Kind::Holding => "holding",
            Kind::Extension => "extension",
            Kind::StageResponse => "stage-response",
            Kind::EscalationAcknowledgement => "escalation-acknowledgement",
            Kind::ReviewDecision => "review-decision",
            Kind::FinalResponse => "final-response",
            Kind::AutoClose => "auto-close",
            Kind::ComplimentThanks => "compliment-thanks",
            Kind::CommentAcknowledgement => "comment-acknowledgement",
            Kind::ServiceRequestRedirect => "service-request-redirect",
            Kind::OutOfScopeRedirect => "out-of-scope-redirect",
            Kind::SurveyInvitation => "survey-invitation",
            Kind::RestrictionNotice => "restriction-notice",
            Kind::BehaviourProcedure => "behaviour-procedure",
            Kind::ManagerDigest => "manager-digest",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The compiled-in template.
    pub fn builtin_template(self) -> &'static str {
        match self {
            Kind::Acknowledgement => include_str!("../../templates/acknowledgement.tera"),
            Kind::Holding => include_str!("../../templates/holding.tera"),
            Kind::Extension => include_str!("../../templates/extension.tera"),
            Kind::StageResponse => include_str!("../../templates/stage-response.tera"),
            Kind::EscalationAcknowledgement => {
                include_str!("../../templates/escalation-acknowledgement.tera")
            }
            Kind::ReviewDecision => include_str!("../../templates/review-decision.tera"),
            Kind::FinalResponse => include_str!("../../templates/final-response.tera"),
            Kind::AutoClose => include_str!("../../templates/auto-close.tera"),
            Kind::ComplimentThanks => include_str!("../../templates/compliment-thanks.tera"),
            Kind::CommentAcknowledgement => {
                include_str!("../../templates/comment-acknowledgement.tera")
            }
            Kind::ServiceRequestRedirect => {
                include_str!("../../templates/service-request-redirect.tera")
            }
            Kind::OutOfScopeRedirect => include_str!("../../templates/out-of-scope-redirect.tera"),
            Kind::SurveyInvitation => include_str!("../../templates/survey-invitation.tera"),
            Kind::RestrictionNotice => include_str!("../../templates/restriction-notice.tera"),
            Kind::BehaviourProcedure => include_str!("../../templates/behaviour-procedure.tera"),
            Kind::ManagerDigest => include_str!("../../templates/manager-digest.tera"),
        }
    }

    /// The kinds whose letters answer a complaint at a stage, and so may meet a case at
    /// any stage after the first.
    pub fn at_any_stage(self) -> bool {
        matches!(
            self,
            Kind::StageResponse
                | Kind::Holding
                | Kind::Extension
                | Kind::EscalationAcknowledgement
                | Kind::ReviewDecision
                | Kind::FinalResponse
                | Kind::AutoClose
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind compares with its stored name (`kind == "auto-close"`).
impl PartialEq<&str> for Kind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// The findings of a stage or final response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// One of the preset's outcomes ("upheld", "not upheld", ...); none for a comment
    /// answered without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    pub findings: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apology: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// Where a resident is sent instead (redirect letters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signpost {
    #[serde(rename = "where")]
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// What a manager's digest shows (staff mail, not a letter; written by
/// templates/manager-digest.tera): the counts, and the lines by service and officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// The day it is for ("2027-01-08 Fri").
    pub today: String,
    /// The window for "due soon", in working days.
    pub within: u32,
    /// Cases overdue (not deadlines: a case with two lapsed deadlines is one).
    pub overdue: usize,
    /// Cases due soon and not overdue.
    pub soon: usize,
    /// The desk's address ("https://complaints.example.gov.uk/"), when the config
    /// gives one (`[web] public_url`): the digest links into it.
    pub desk: Option<String>,
    /// Empty when nothing is overdue or due soon.
    pub groups: Vec<DigestGroup>,
}

/// The digest's lines for one service and officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestGroup {
    pub service: String,
    pub officer: String,
    pub lines: Vec<DigestEntry>,
}

/// One deadline in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestEntry {
    pub reference: String,
    /// "stage1 respond"
    pub what: String,
    /// The due date ("2027-01-05 Tue").
    pub due: String,
    pub overdue: bool,
    /// Working days overdue, or left.
    pub days: i64,
}

/// A letter to ask for: its kind and the facts its template uses beyond the case. Dates
/// reach templates as ISO text (`2026-12-24`), for `| longdate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Acknowledgement {},
    /// Why the response is late and when it will come.
    Holding {
        reason: String,
        new_date: NaiveDate,
    },
    Extension {
        reason: String,
        new_date: NaiveDate,
        /// e.g. "10 working days".
        #[serde(skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
    },
    StageResponse(Response),
    EscalationAcknowledgement {
        /// The council moved the complaint on itself (no response, no request from the
        /// customer): the letter says so instead of thanking them for asking.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        moved_by_council: bool,
    },
    /// decision: accept | refer-back | refer-to-ombudsman.
    ReviewDecision {
        decision: String,
        reasons: String,
    },
    FinalResponse(Response),
    AutoClose {
        /// The date of our response.
        #[serde(skip_serializing_if = "Option::is_none")]
        responded_on: Option<NaiveDate>,
    },
    ComplimentThanks {
        /// Who the thanks are passed to.
        #[serde(skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    CommentAcknowledgement {},
    ServiceRequestRedirect {
        /// What was asked for.
        service: String,
        #[serde(flatten)]
        signpost: Signpost,
    },
    OutOfScopeRedirect {
        /// Why the matter is not a complaint we handle.
        exclusion: String,
        #[serde(flatten)]
        signpost: Signpost,
    },
    SurveyInvitation {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        closes_on: Option<NaiveDate>,
    },
    /// restriction: single-contact | letter-only | no-response.
    RestrictionNotice {
        restriction: String,
        reasons: String,
        review_date: NaiveDate,
        /// The single point of contact.
        #[serde(skip_serializing_if = "Option::is_none")]
        contact: Option<String>,
        /// The Monitoring Officer's decision at the end of the unreasonable-behaviour
        /// procedure (seed 002 l.330-332): the letter says representations were
        /// considered and names the right to complain to the Ombudsman.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        after_procedure: bool,
        /// With `after_procedure`: whether the customer sent written representations.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        representations_received: bool,
    },
    /// A step of the Monitoring Officer's unreasonable-behaviour procedure (seed 002
    /// l.313-332). step: investigation (the customer told their behaviour is being
    /// investigated) | warning (the concerns, the restriction considered, representations
    /// invited by a date) | no-restriction (the decision not to restrict).
    BehaviourProcedure {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concerns: Option<String>,
        /// The restriction considered: single-contact | letter-only | no-response.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restriction: Option<String>,
        /// With single-contact: the contact, as letters name them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<String>,
        /// The last day for written representations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        representations_by: Option<NaiveDate>,
    },
    ManagerDigest(Digest),
}

impl Content {
    pub fn kind(&self) -> Kind {
        match self {
            Content::Acknowledgement {} => Kind::Acknowledgement,
            Content::Holding { .. } => Kind::Holding,
            Content::Extension { .. } => Kind::Extension,
            Content::StageResponse(_) => Kind::StageResponse,
            Content::EscalationAcknowledgement { .. } => Kind::EscalationAcknowledgement,
            Content::ReviewDecision { .. } => Kind::ReviewDecision,
            Content::FinalResponse(_) => Kind::FinalResponse,
            Content::AutoClose { .. } => Kind::AutoClose,
            Content::ComplimentThanks { .. } => Kind::ComplimentThanks,
            Content::CommentAcknowledgement {} => Kind::CommentAcknowledgement,
            Content::ServiceRequestRedirect { .. } => Kind::ServiceRequestRedirect,
            Content::OutOfScopeRedirect { .. } => Kind::OutOfScopeRedirect,
            Content::SurveyInvitation { .. } => Kind::SurveyInvitation,
            Content::RestrictionNotice { .. } => Kind::RestrictionNotice,
            Content::BehaviourProcedure { .. } => Kind::BehaviourProcedure,
            Content::ManagerDigest(_) => Kind::ManagerDigest,
        }
    }

    /// The facts as the template sees them (`data`), as stored with the letter.
    pub fn data(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({}))
    }

    /// A stage's response: the final one at the policy's last stage.
    pub fn response(last_stage: bool, r: Response) -> Content {
        if last_stage {
            Content::FinalResponse(r)
        } else {
            Content::StageResponse(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(Kind::parse("letter"), None);
    }

    #[test]
    fn content_is_stored_as_the_facts_templates_use() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 22).unwrap();
        let holding = Content::Holding {
            reason: "waiting for the contractor".into(),
            new_date: d,
        };
        assert_eq!(holding.kind(), Kind::Holding);
        assert_eq!(
            holding.data(),
            serde_json::json!({"reason": "waiting for the contractor", "new_date": "2027-01-22"})
        );
        let redirect = Content::ServiceRequestRedirect {
            service: "report a missed bin".into(),
            signpost: Signpost {
                to: "the missed bin form".into(),
                url: None,
                phone: Some("01234 567891".into()),
            },
        };
        assert_eq!(
            redirect.data(),
            serde_json::json!({"service": "report a missed bin", "where": "the missed bin form", "phone": "01234 567891"})
        );
        assert_eq!(Content::Acknowledgement {}.data(), serde_json::json!({}));
        assert_eq!(
            Content::AutoClose { responded_on: None }.data(),
            serde_json::json!({})
        );
    }
}
