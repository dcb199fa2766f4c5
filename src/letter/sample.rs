//! Realistic sample facts for every letter kind, used by `redress templates check` (and
//! the tests and benchmark) to render each template for each preset before a real
//! letter is due. What each kind's template may rely on is [`super::Content`].

use chrono::{TimeZone, Utc};

use super::{
    Content, ContextInput, Digest, DigestEntry, DigestGroup, Kind, LetterContext, Response,
    Signpost,
};
use crate::calendar::Calendar;
use crate::case::{Case, Customer, FactsRow};
use crate::case::{Kind as CaseKind, State};
use crate::council::Council;
use crate::policy::Policy;
use chrono::NaiveDate;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn text(s: &str) -> String {
    s.to_string()
}

fn response(
    outcome: &str,
    findings: &str,
    apology: Option<&str>,
    remedy: Option<&str>,
) -> Response {
    Response {
        outcome: Some(text(outcome)),
        findings: text(findings),
        apology: apology.map(text),
        remedy: remedy.map(text),
    }
}

fn signpost(to: &str, url: Option<&str>, phone: Option<&str>) -> Signpost {
    Signpost {
        to: text(to),
        url: url.map(text),
        phone: phone.map(text),
    }
}

/// Realistic facts for each kind, with and without its optional facts.
pub fn data_for(kind: Kind) -> Vec<Content> {
    let responses = || {
        vec![
            response(
                "upheld",
                "Your bin was missed on four collection days in November. The crew's round sheet did not show your address after the route change on 3 November.",
                Some("I am sorry for the inconvenience this caused you & your family."),
                Some("Your address has been added back to the round and a supervisor will check collections for the next four weeks."),
            ),
            response(
                "not upheld",
                "The parking charge notice was issued correctly: the vehicle was parked on a single yellow line during restricted hours.",
                None,
                None,
            ),
            response(
                "partially upheld",
                "The repair was late, but the contractor's work met the required standard.",
                Some("I apologise for the delay."),
                None,
            ),
        ]
    };
    match kind {
        Kind::Acknowledgement => vec![Content::Acknowledgement {}],
        Kind::EscalationAcknowledgement => vec![
            Content::EscalationAcknowledgement {
                moved_by_council: false,
            },
            Content::EscalationAcknowledgement {
                moved_by_council: true,
            },
        ],
        Kind::Holding => vec![Content::Holding {
            reason: text("we are waiting for information from the highways contractor"),
            new_date: date(2027, 1, 22),
        }],
        Kind::Extension => vec![
            Content::Extension {
                reason: text("the complaint covers three services"),
                new_date: date(2027, 2, 5),
                extension: Some(text("10 working days")),
            },
            Content::Extension {
                reason: text("a key officer is away"),
                new_date: date(2027, 2, 5),
                extension: None,
            },
        ],
        Kind::StageResponse => responses().into_iter().map(Content::StageResponse).collect(),
        Kind::FinalResponse => responses().into_iter().map(Content::FinalResponse).collect(),
        Kind::ReviewDecision => [
            ("accept", "You have raised points the stage 1 response did not answer."),
            ("refer-back", "The service has not yet had the chance to respond to your new points."),
            ("refer-to-ombudsman", "Your complaint has been fully considered and a further review would not change the outcome."),
        ]
        .into_iter()
        .map(|(decision, reasons)| Content::ReviewDecision {
            decision: text(decision),
            reasons: text(reasons),
        })
        .collect(),
        Kind::AutoClose => vec![
            Content::AutoClose {
                responded_on: Some(date(2026, 11, 2)),
            },
            Content::AutoClose { responded_on: None },
        ],
        Kind::ComplimentThanks => vec![
            Content::ComplimentThanks {
                team: Some(text("Waste and Recycling")),
            },
            Content::ComplimentThanks { team: None },
        ],
        Kind::CommentAcknowledgement => vec![Content::CommentAcknowledgement {}],
        Kind::ServiceRequestRedirect => vec![
            Content::ServiceRequestRedirect {
                service: text("report a missed bin collection"),
                signpost: signpost(
                    "the missed bin form",
                    Some("https://www.example.gov.uk/missed-bin"),
                    Some("01234 567891"),
                ),
            },
            Content::ServiceRequestRedirect {
                service: text("apply for a parking permit"),
                signpost: signpost("the parking permits page", None, None),
            },
        ],
        Kind::OutOfScopeRedirect => vec![
            Content::OutOfScopeRedirect {
                exclusion: text("decisions about school admissions, which have their own independent appeal"),
                signpost: signpost(
                    "the School Admission Appeals Panel",
                    Some("https://www.example.gov.uk/admission-appeals"),
                    None,
                ),
            },
            Content::OutOfScopeRedirect {
                exclusion: text("matters that are before a court or tribunal"),
                signpost: signpost("the court or tribunal dealing with your case", None, None),
            },
        ],
        Kind::SurveyInvitation => vec![
            Content::SurveyInvitation {
                url: text("https://www.example.gov.uk/survey/abc123"),
                closes_on: Some(date(2027, 1, 31)),
            },
            Content::SurveyInvitation {
                url: text("https://www.example.gov.uk/survey/abc123"),
                closes_on: None,
            },
        ],
        Kind::RestrictionNotice => vec![
            Content::RestrictionNotice {
                restriction: text("single-contact"),
                reasons: text("the volume of emails sent to many officers"),
                review_date: date(2027, 6, 1),
                contact: Some(text("Sam Patel, Customer Feedback Officer")),
                after_procedure: false,
                representations_received: false,
            },
            Content::RestrictionNotice {
                restriction: text("letter-only"),
                reasons: text("abusive language in telephone calls"),
                review_date: date(2027, 6, 1),
                contact: None,
                after_procedure: true,
                representations_received: true,
            },
            Content::RestrictionNotice {
                restriction: text("no-response"),
                reasons: text("repeated correspondence on a matter already fully answered"),
                review_date: date(2027, 6, 1),
                contact: None,
                after_procedure: true,
                representations_received: false,
            },
        ],
        Kind::BehaviourProcedure => vec![
            Content::BehaviourProcedure {
                step: text("investigation"),
                concerns: None,
                restriction: None,
                contact: None,
                representations_by: None,
            },
            Content::BehaviourProcedure {
                step: text("warning"),
                concerns: Some(text("emails to twelve officers a day about one matter")),
                restriction: Some(text("single-contact")),
                contact: Some(text("Sam Patel, Customer Feedback Officer")),
                representations_by: Some(date(2027, 6, 1)),
            },
            Content::BehaviourProcedure {
                step: text("warning"),
                concerns: Some(text("abusive telephone calls")),
                restriction: Some(text("letter-only")),
                contact: None,
                representations_by: Some(date(2027, 6, 1)),
            },
            Content::BehaviourProcedure {
                step: text("no-restriction"),
                concerns: None,
                restriction: None,
                contact: None,
                representations_by: None,
            },
        ],
        // Staff mail, not a letter.
        Kind::ManagerDigest => {
            let entry = |reference: &str, what: &str, due: &str, overdue: bool, days: i64| DigestEntry {
                reference: text(reference),
                what: text(what),
                due: text(due),
                overdue,
                days,
            };
            vec![
                Content::ManagerDigest(Digest {
                    today: text("2027-01-08 Fri"),
                    within: 5,
                    overdue: 1,
                    soon: 2,
                    desk: Some("https://complaints.example.gov.uk/".to_string()),
                    groups: vec![
                        DigestGroup {
                            service: text("Waste"),
                            officer: text("J. Smith"),
                            lines: vec![entry("BNES-2026-00031", "stage1 respond", "2027-01-05 Tue", true, 3)],
                        },
                        DigestGroup {
                            service: text("Planning"),
                            officer: text("(unassigned)"),
                            lines: vec![
                                entry("BNES-2026-00040", "stage2 respond", "2027-01-12 Tue", false, 2),
                                entry("BNES-2026-00042", "stage1 acknowledge", "2027-01-13 Wed", false, 3),
                            ],
                        },
                    ],
                }),
                Content::ManagerDigest(Digest {
                    today: text("2027-01-15 Fri"),
                    within: 5,
                    overdue: 0,
                    soon: 0,
                    desk: None,
                    groups: vec![],
                }),
            ]
        }
    }
}

/// A case as a letter of `kind` would find it: at the first stage, and for letters
/// that come later in a complaint, at each later stage too.
fn sample_cases(policy: &Policy, kind: Kind) -> Vec<Case> {
    let received = Utc.with_ymd_and_hms(2026, 12, 21, 10, 30, 0).unwrap();
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
    let base = Case {
        id: 1,
        reference: format!("{}-2026-00042", policy.preset.reference_prefix),
        policy: policy.name.clone(),
        kind: CaseKind::Complaint,
        state: State::Acknowledged,
        stage: policy.first_stage().id.clone(),
        close_reason: None,
        customer_email: Some("jo.bloggs@example.net".into()),
        customer_name: Some("Jo Bloggs".into()),
        subject: Some("Bins not collected on Acacia Avenue".into()),
        service: Some("Waste and Recycling".into()),
        officer: Some("A. Khan".into()),
        past_officers: vec![],
        category: policy.preset.categories.first().cloned(),
        outcome: None,
        received_at: received.to_rfc3339(),
        closed_at: None,
        flagged: None,
        letters_by_post: false,
        next_due: None,
        awaiting_approval: false,
        facts: FactsRow {
            received_on: d(2026, 12, 21),
            acknowledged_on: d(2026, 12, 22),
            ..FactsRow::default()
        },
    };
    let kind_of_case = match kind {
        Kind::ComplimentThanks => CaseKind::Compliment,
        Kind::CommentAcknowledgement => CaseKind::Comment,
        Kind::ServiceRequestRedirect => CaseKind::ServiceRequest,
        Kind::OutOfScopeRedirect => CaseKind::OutOfScope,
        _ => CaseKind::Complaint,
    };
    let mut cases = vec![Case {
        kind: kind_of_case,
        ..base.clone()
    }];
    if kind.at_any_stage() {
        for s in policy.preset.stages.iter().skip(1) {
            cases.push(Case {
                stage: s.id.clone(),
                state: State::Escalated,
                officer: None,
                past_officers: vec!["A. Khan".into()],
                facts: FactsRow {
                    received_on: d(2026, 12, 21),
                    escalation_requested_on: d(2027, 1, 25),
                    ..FactsRow::default()
                },
                ..base.clone()
            });
        }
    }
    // A customer with no name on record must still get a proper letter.
    cases.push(Case {
        customer_name: None,
        officer: None,
        service: None,
        subject: None,
        kind: kind_of_case,
        ..base
    });
    cases
}

/// Every sample context for one kind under one preset.
pub fn contexts(policy: &Policy, council: &Council, kind: Kind) -> Vec<LetterContext> {
    let cal = Calendar::new();
    let now = Utc.with_ymd_and_hms(2026, 12, 23, 9, 0, 0).unwrap();
    let customer = Customer {
        email: Some("jo.bloggs@example.net".into()),
        name: None,
        address: vec![
            "12 Acacia Avenue".into(),
            "Keynsham".into(),
            "BS31 1AA".into(),
        ],
        restriction: None,
        restriction_contact: None,
        phone: None,
    };
    let mut out = Vec::new();
    for case in sample_cases(policy, kind) {
        for data in data_for(kind) {
            out.push(LetterContext::build(ContextInput {
                officer: case.officer.clone(),
                council,
                policy,
                calendar: &cal,
                case: &case,
                customer: &customer,
                deadlines: &[],
                kind,
                automatic: kind == Kind::Acknowledgement,
                data: data.data(),
                now,
            }));
        }
    }
    out
}

/// A council identity for samples when no config is at hand.
pub fn council() -> Council {
    Council {
        name: "Bath & North East Somerset Council".into(),
        address: vec![
            "Lewis House".into(),
            "Manvers Street".into(),
            "Bath".into(),
            "BA1 1JG".into(),
        ],
        phone: "01225 394041".into(),
        web: "https://www.bathnes.gov.uk/complaints".into(),
        email: "complaints@bathnes.example.gov.uk".into(),
        signatory: "Customer Feedback Team".into(),
        reference_prefix: Some("BNES".into()),
        logo: None,
        logo_image: None,
    }
}
