//! Realistic sample facts for every letter kind, used by `redress templates check` (and
//! the tests and benchmark) to render each template for each preset before a real
//! letter is due. The `data` here documents what each kind's template may rely on.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::{ContextInput, LetterContext};
use crate::calendar::Calendar;
use crate::config::Council;
use crate::policy::Policy;
use crate::store::outbox::CustomerRow;
use crate::store::{CaseRow, FactsRow};

/// The facts each letter kind is asked for with (the `data` of its letters row).
/// Keys not listed as optional must be present.
pub fn data_for(kind: &str) -> Vec<Value> {
    match kind {
        // reason (why the response is late), new_date (ISO)
        "holding" => vec![json!({
            "reason": "we are waiting for information from the highways contractor",
            "new_date": "2027-01-22"
        })],
        // reason, new_date; optional: extension (e.g. "10 working days")
        "extension" => vec![
            json!({"reason": "the complaint covers three services", "new_date": "2027-02-05", "extension": "10 working days"}),
            json!({"reason": "a key officer is away", "new_date": "2027-02-05"}),
        ],
        // outcome (one of the preset's outcomes), findings; optional: apology, remedy
        "stage-response" | "final-response" => vec![
            json!({
                "outcome": "upheld",
                "findings": "Your bin was missed on four collection days in November. The crew's round sheet did not show your address after the route change on 3 November.",
                "apology": "I am sorry for the inconvenience this caused you & your family.",
                "remedy": "Your address has been added back to the round and a supervisor will check collections for the next four weeks."
            }),
            json!({
                "outcome": "not upheld",
                "findings": "The parking charge notice was issued correctly: the vehicle was parked on a single yellow line during restricted hours."
            }),
            json!({
                "outcome": "partially upheld",
                "findings": "The repair was late, but the contractor's work met the required standard.",
                "apology": "I apologise for the delay."
            }),
        ],
        // decision: accept | refer-back | refer-to-ombudsman; reasons
        "review-decision" => vec![
            json!({"decision": "accept", "reasons": "You have raised points the stage 1 response did not answer."}),
            json!({"decision": "refer-back", "reasons": "The service has not yet had the chance to respond to your new points."}),
            json!({"decision": "refer-to-ombudsman", "reasons": "Your complaint has been fully considered and a further review would not change the outcome."}),
        ],
        // optional: responded_on (ISO, the date of our response)
        "auto-close" => vec![json!({"responded_on": "2026-11-02"}), json!({})],
        // optional: team (who the thanks are passed to)
        "compliment-thanks" => vec![json!({"team": "Waste and Recycling"}), json!({})],
        "comment-acknowledgement" => vec![json!({})],
        // service (what was asked for), where (how to ask); optional: url, phone
        "service-request-redirect" => vec![
            json!({"service": "report a missed bin collection", "where": "the missed bin form", "url": "https://www.example.gov.uk/missed-bin", "phone": "01234 567891"}),
            json!({"service": "apply for a parking permit", "where": "the parking permits page"}),
        ],
        // exclusion (why out of scope), where (who deals with it instead); optional: url, phone
        "out-of-scope-redirect" => vec![
            json!({"exclusion": "decisions about school admissions, which have their own independent appeal", "where": "the School Admission Appeals Panel", "url": "https://www.example.gov.uk/admission-appeals"}),
            json!({"exclusion": "matters that are before a court or tribunal", "where": "the court or tribunal dealing with your case"}),
        ],
        // url (the survey); optional: closes_on (ISO)
        "survey-invitation" => vec![
            json!({"url": "https://www.example.gov.uk/survey/abc123", "closes_on": "2027-01-31"}),
            json!({"url": "https://www.example.gov.uk/survey/abc123"}),
        ],
        // restriction: single-contact | letter-only | no-response; reasons; review_date (ISO);
        // optional: contact (the single point of contact)
        "restriction-notice" => vec![
            json!({"restriction": "single-contact", "reasons": "the volume of emails sent to many officers", "review_date": "2027-06-01", "contact": "Sam Patel, Customer Feedback Officer"}),
            json!({"restriction": "letter-only", "reasons": "abusive language in telephone calls", "review_date": "2027-06-01"}),
            json!({"restriction": "no-response", "reasons": "repeated correspondence on a matter already fully answered", "review_date": "2027-06-01"}),
        ],
        // Staff mail, not a letter: the digest as crate::scheduler::Digest serialises it.
        "manager-digest" => vec![
            json!({
                "today": "2027-01-08 Fri", "within": 5, "overdue": 1, "soon": 2,
                "groups": [
                    {"service": "Waste", "officer": "J. Smith", "lines": [
                        {"reference": "BNES-2026-00031", "what": "stage1 respond", "due": "2027-01-05 Tue", "overdue": true, "days": 3}
                    ]},
                    {"service": "Planning", "officer": "(unassigned)", "lines": [
                        {"reference": "BNES-2026-00040", "what": "stage2 respond", "due": "2027-01-12 Tue", "overdue": false, "days": 2},
                        {"reference": "BNES-2026-00042", "what": "stage1 acknowledge", "due": "2027-01-13 Wed", "overdue": false, "days": 3}
                    ]}
                ]
            }),
            json!({"today": "2027-01-15 Fri", "within": 5, "overdue": 0, "soon": 0, "groups": []}),
        ],
        _ => vec![json!({})],
    }
}

/// A case as a letter of `kind` would find it: at the first stage, and for letters
/// that come later in a complaint, at each later stage too.
fn sample_cases(policy: &Policy, kind: &str) -> Vec<CaseRow> {
    let received = Utc.with_ymd_and_hms(2026, 12, 21, 10, 30, 0).unwrap();
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
    let base = CaseRow {
        id: 1,
        reference: format!("{}-2026-00042", policy.preset.reference_prefix),
        policy: policy.name.clone(),
        kind: "complaint".into(),
        state: "acknowledged".into(),
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
        next_due: None,
        facts: FactsRow {
            received_on: d(2026, 12, 21),
            acknowledged_on: d(2026, 12, 22),
            ..FactsRow::default()
        },
    };
    let kind_of_case = match kind {
        "compliment-thanks" => "compliment",
        "comment-acknowledgement" => "comment",
        "service-request-redirect" => "service-request",
        "out-of-scope-redirect" => "out-of-scope",
        _ => "complaint",
    };
    let mut cases = vec![CaseRow {
        kind: kind_of_case.into(),
        ..base.clone()
    }];
    let later_stages = matches!(
        kind,
        "stage-response"
            | "holding"
            | "extension"
            | "escalation-acknowledgement"
            | "review-decision"
            | "final-response"
            | "auto-close"
    );
    if later_stages {
        for s in policy.preset.stages.iter().skip(1) {
            cases.push(CaseRow {
                stage: s.id.clone(),
                state: "escalated".into(),
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
    cases.push(CaseRow {
        customer_name: None,
        officer: None,
        service: None,
        subject: None,
        kind: kind_of_case.into(),
        ..base
    });
    cases
}

/// Every sample context for one kind under one preset.
pub fn contexts(policy: &Policy, council: &Council, kind: &str) -> Vec<LetterContext> {
    let cal = Calendar::new();
    let now = Utc.with_ymd_and_hms(2026, 12, 23, 9, 0, 0).unwrap();
    let customer = CustomerRow {
        email: Some("jo.bloggs@example.net".into()),
        name: None,
        address: vec![
            "12 Acacia Avenue".into(),
            "Keynsham".into(),
            "BS31 1AA".into(),
        ],
        restriction: None,
    };
    let mut out = Vec::new();
    for case in sample_cases(policy, kind) {
        for data in data_for(kind) {
            out.push(LetterContext::build(ContextInput {
                council,
                policy,
                calendar: &cal,
                case: &case,
                customer: &customer,
                deadlines: &[],
                kind,
                automatic: kind == "acknowledgement",
                data,
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
    }
}
