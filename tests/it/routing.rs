//! Issue 13 items 11 and 12 through the binary: the council moves a complaint into the
//! next stage itself where its policy allows (Stockton, North Norfolk), and a stage whose
//! policy sets no time limit to ask for the next one closes as "responded" until the
//! customer asks. Dates worked out by hand with the 2026-27 bank holidays of England and
//! Wales (Fri 25 Dec 2026, Mon 28 Dec 2026 for Boxing Day, Fri 1 Jan 2027) and the day-0
//! rule every preset uses.

use crate::site;
use site::Site;

fn route<'a>(r: &'a str, reason: &'a str) -> Vec<&'a str> {
    vec![
        "escalate",
        r,
        "--council",
        "--reason",
        reason,
        "--by",
        "ann",
    ]
}

#[test]
fn stockton_deadline_shows_early_resolution_and_stage1_from_receipt() {
    // Seed 001 l.11 "an early resolution stage, for complaints that meet some certain
    // criteria"; l.51 "Early Resolution within 3 working days ... Stage 1 will be responded
    // to within 25 working days". A complaint outside the criteria starts at stage 1: its
    // 25 WD count from receipt.
    let s = Site::new("stockton-on-tees", "STOCK");
    let out = s.run(
        "2026-12-14T09:00:00Z",
        &[
            "deadline",
            "--policy",
            "stockton-on-tees",
            "--from",
            "2026-12-14",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let find = |list: &str, stage: &str, kind: &str| {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["stage"] == stage && d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {stage} {kind} in {list}: {v}"))["due"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Early resolution: 3 WD from Mon 14 Dec 2026 is Thu 17 Dec.
    assert_eq!(find("deadlines", "early", "respond"), "2026-12-17");
    // Stage 1 from receipt: 25 WD from Mon 14 Dec 2026, over 25 and 28 Dec and 1 Jan:
    // Dec 15-18 (4), 21-24 (8), 29-31 (11), Jan 4-8 (16), 11-15 (21), 18-21 (25).
    assert_eq!(
        find("started_at_later_stage", "stage1", "respond"),
        "2027-01-21"
    );
    // l.51 "Acknowledgements are sent within one working day": Tue 15 Dec.
    assert_eq!(
        find("started_at_later_stage", "stage1", "acknowledge"),
        "2026-12-15"
    );
    // The table shows both paths.
    let out = s.run(
        "2026-12-14T09:00:00Z",
        &[
            "deadline",
            "--policy",
            "stockton-on-tees",
            "--from",
            "2026-12-14",
        ],
    );
    assert!(
        out.contains("early                   respond      2026-12-17 Thu"),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("stage1 (started there)") && l.contains("respond"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("2027-01-21 Thu") && line.contains("25 working days from receipt"),
        "{line}"
    );
}

#[test]
fn stockton_officer_routes_a_complaint_outside_the_early_criteria_to_stage1() {
    let s = Site::new("stockton-on-tees", "STOCK");
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain: my damp has not been repaired after six visits and three missed appointments.",
        "s1@example.org",
    );
    s.run("2026-12-14T09:00:00Z", &["poll"]);
    let r = "STOCK-2026-00001";
    assert_eq!(
        s.due("2026-12-14T09:00:00Z", r, "early", "respond"),
        "2026-12-17"
    );
    // Tue 15 Dec: not for early resolution (seed 001 l.11): stage 1 at once.
    let out = s.run(
        "2026-12-15T09:00:00Z",
        &route(r, "complex care assessment, outside the early criteria"),
    );
    assert!(out.contains("stage1"), "{out}");
    let c = s.case("2026-12-15T09:00:00Z", r);
    assert_eq!(c["case"]["stage"], "stage1");
    assert_eq!(c["case"]["state"], "escalated");
    // 25 WD from receipt (Mon 14 Dec 2026), not from the move: Thu 21 Jan 2027.
    assert_eq!(
        s.due("2026-12-15T09:00:00Z", r, "stage1", "respond"),
        "2027-01-21"
    );
    // The early response is no longer owed: its lapse on Thu 17 Dec flags nothing.
    let out = s.run("2026-12-18T09:00:00Z", &["tick"]);
    assert!(!out.contains("early response lapsed"), "{out}");
    assert!(s.case("2026-12-18T09:00:00Z", r)["case"]["flagged"].is_null());
    // The letter says the council moved it; it thanks nobody for an escalation request
    // and there is no response letter.
    s.run("2026-12-18T09:00:00Z", &["send"]);
    let (subject, text, _) = s.letter_with("now at Stage 1 investigation");
    assert!(
        text.contains("needs a full investigation"),
        "{subject}\n{text}"
    );
    assert!(!text.contains("not satisfied with our response"), "{text}");
    assert!(
        text.contains("Thursday 21 January 2027") || text.contains("21 January 2027"),
        "{text}"
    );
    assert!(s.letters().iter().all(|l| !l.0.contains("Our response")));
    // Routed once: a second move is refused (stage 1 is not the early stage), one line.
    let err = s.fails("2026-12-18T09:00:00Z", &route(r, "again"));
    assert!(err.contains(r), "{err}");
}

#[test]
fn north_norfolk_moves_an_informal_complaint_into_the_formal_procedure_without_a_response() {
    // Seed 004 l.406 "If it is not possible to resolve a customer's complaint informally,
    // the complaint will be investigated through the Council's formal procedure."
    // l.410 "We will acknowledge all formal customer complaints within 3 working days ...
    // a full response within 28 working days."
    let s = Site::new("north-norfolk", "NNDC");
    s.mail(
        "1",
        "Gus <gus@example.org>",
        "Planning enforcement",
        "I wish to complain that nothing was done about the breach next door.",
        "n1@example.org",
    );
    s.run("2026-12-14T09:00:00Z", &["poll"]);
    let r = "NNDC-2026-00001";
    // Wed 16 Dec: the service cannot resolve it informally.
    s.run(
        "2026-12-16T09:00:00Z",
        &route(r, "cannot be resolved informally"),
    );
    let c = s.case("2026-12-16T09:00:00Z", r);
    assert_eq!(c["case"]["stage"], "stage2");
    // 28 WD from Wed 16 Dec 2026: Dec 17-24 (6), 29-31 (9), Jan 4-8 (14), 11-15 (19),
    // 18-22 (24), 25-28 (28): Thu 28 Jan 2027.
    assert_eq!(
        s.due("2026-12-16T09:00:00Z", r, "stage2", "respond"),
        "2027-01-28"
    );
    // The acknowledgement (3 WD: Mon 21 Dec) is met by the letter sent now.
    let ack = c["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == "stage2" && d["kind"] == "acknowledge")
        .unwrap()
        .clone();
    assert_eq!(ack["due"], "2026-12-21");
    assert_eq!(ack["status"], "met", "{ack}");
    // No informal response was sent or recorded.
    let responded: Option<String> = s
        .db()
        .query_row("SELECT responded_on FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(responded, None);
    s.run("2026-12-16T09:00:00Z", &["send"]);
    assert!(s.letters().iter().all(|l| !l.0.contains("Our response")));
    s.letter_with("now at Stage 2 - Formal Resolution");
    // The timeline says who moved it and why.
    let h = s.run("2026-12-16T09:00:00Z", &["case", r, "--history"]);
    assert!(
        h.contains("moved on by the council: cannot be resolved informally"),
        "{h}"
    );
}

#[test]
fn routing_is_refused_where_the_policy_does_not_provide_it_and_nothing_changes() {
    let s = Site::bath_case_answered("");
    let r = "BNES-2026-00001";
    let before = s.case("2026-11-04T09:00:00Z", r);
    s.mail(
        "2",
        "Jo <jo@example.org>",
        "Potholes",
        "I wish to complain about potholes.",
        "t9@example.org",
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    let r2 = "BNES-2026-00002";
    let err = s.fails("2026-11-04T09:00:00Z", &route(r2, "serious"));
    assert!(
        err.contains("does not let the council move a complaint from Stage 1 to Stage 2 Review"),
        "{err}"
    );
    assert_eq!(
        s.case("2026-11-04T09:00:00Z", r2)["case"]["stage"],
        "stage1"
    );
    // --reason without --council, and --council without a reason: one line each.
    let err = s.fails(
        "2026-11-04T09:00:00Z",
        &["escalate", r, "--reason", "x", "--by", "ann"],
    );
    assert!(err.contains("--reason goes with --council"), "{err}");
    let s2 = Site::new("stockton-on-tees", "STOCK");
    s2.mail(
        "1",
        "Fi <fi@example.org>",
        "Rude staff",
        "I wish to complain about how I was spoken to at the council offices.",
        "q1@example.org",
    );
    s2.run("2026-12-14T09:00:00Z", &["poll"]);
    let err = s2.fails(
        "2026-12-14T10:00:00Z",
        &["escalate", "STOCK-2026-00001", "--council", "--by", "ann"],
    );
    assert!(err.contains("--reason is required"), "{err}");
    assert_eq!(
        s2.case("2026-12-14T10:00:00Z", "STOCK-2026-00001")["case"]["stage"],
        "early"
    );
    assert_eq!(s.case("2026-11-04T09:00:00Z", r)["case"], before["case"]);
}

#[test]
fn buckinghamshire_stage1_response_closes_as_responded_with_no_false_flag_until_asked() {
    // Seed 000 l.186: after stage 1 "they can ask for the Deputy Monitoring Officer to
    // oversee a review", with no time limit; l.127 "no longer than 12 weeks ... from
    // receipt to resolution".
    let s = Site::new("buckinghamshire", "BUCKS");
    s.mail(
        "1",
        "Hal <hal@example.org>",
        "Street lights",
        "I wish to complain that the street light has been out for a month.",
        "b1@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    let r = "BUCKS-2026-00001";
    let out = s.respond("2026-11-03T09:00:00Z", r, "upheld", "It is fixed.");
    assert!(out.contains("closed"), "{out}");
    let c = s.case("2026-11-03T09:00:00Z", r);
    assert_eq!(c["case"]["state"], "closed");
    assert_eq!(c["case"]["close_reason"], "responded");
    // "responded" is the stage response's close, not an officer's close reason.
    let err = s.fails(
        "2026-11-04T09:00:00Z",
        &["close", r, "--reason", "responded", "--by", "ann"],
    );
    assert!(err.contains("unknown close reason 'responded'"), "{err}");
    // Thirteen weeks after receipt (the 12 weeks ended Mon 25 Jan 2027): no flag, not
    // overdue.
    let out = s.run("2027-02-01T09:00:00Z", &["tick"]);
    assert!(!out.contains("whole-complaint"), "{out}");
    assert!(s.case("2027-02-01T09:00:00Z", r)["case"]["flagged"].is_null());
    let overdue = s.run("2027-02-01T09:00:00Z", &["cases", "--overdue", "--json"]);
    assert!(!overdue.contains(r), "{overdue}");
    // Retention counts from the close (6 years after Tue 3 Nov 2026).
    let dry = s.run("2032-11-02T09:00:00Z", &["retention", "--dry-run"]);
    assert!(dry.contains("0 cases due for erasure"), "{dry}");
    let dry = s.run("2032-11-03T09:00:00Z", &["retention", "--dry-run"]);
    assert!(dry.contains(r) && dry.contains("2032-11-03"), "{dry}");
    // Mon 1 Mar 2027, four months on: the customer asks for a review. The case reopens at
    // stage 2 and the decision is owed in 5 WD (l.191): Mon 8 Mar 2027.
    s.mail(
        "2",
        "Hal <hal@example.org>",
        &format!("Re: [Ref {r}] Our response"),
        "I am not satisfied. Please review my complaint.",
        "b2@example.org",
    );
    s.run("2027-03-01T09:00:00Z", &["poll"]);
    let out = s.run("2027-03-01T09:01:00Z", &["tick"]);
    assert!(out.contains("escalation request acknowledged"), "{out}");
    let c = s.case("2027-03-01T09:01:00Z", r);
    assert_eq!(c["case"]["stage"], "stage2");
    assert_eq!(c["case"]["state"], "escalation-requested");
    assert!(c["case"]["close_reason"].is_null(), "{c}");
    assert!(c["case"]["closed_at"].is_null(), "{c}");
    // The request was expected: no "correspondence on a closed case" flag. But the 12
    // weeks count from the first receipt across stages (issue 24, item 2): restored with
    // the complaint going on, they ended Mon 25 Jan 2027, so the case is flagged for that.
    let flag = c["case"]["flagged"].as_str().unwrap_or_default();
    assert!(!flag.contains("closed"), "{c}");
    assert!(
        flag.contains("whole-complaint time limit overdue since 2027-01-25"),
        "{c}"
    );
    assert_eq!(
        s.due("2027-03-01T09:01:00Z", r, "stage2", "decide"),
        "2027-03-08"
    );
}

/// Issue 24, item 15: Bath & NES keeps a complaint resolved at stage 1 for the "Current
/// year + 2 years" of shared/seeds/002_fccd42a92619dcdc.txt l.274 ("Enquiries resolved at
/// Stage 1 | Current year + 2 years"): closed Tue 10 March 2026, the current year is 2026,
/// so the record is kept to the end of 2028 (Sun 31 December 2028) and erased from Mon 1
/// January 2029.
#[test]
fn bath_keeps_a_stage1_case_to_the_end_of_the_second_year_after_its_close() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let r = "BNES-2026-00001";
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Graffiti",
        "I wish to complain about graffiti on the underpass.",
        "ret1@example.org",
    );
    // Received Mon 2 March 2026; closed (withdrawn) at stage 1 on Tue 10 March 2026.
    s.run("2026-03-02T09:00:00Z", &["poll"]);
    s.run(
        "2026-03-10T12:00:00Z",
        &["close", r, "--reason", "withdrawn", "--by", "ann"],
    );
    let policy = s.run(
        "2026-03-10T12:00:00Z",
        &["policy", "show", "bath-and-north-east-somerset"],
    );
    assert!(
        policy.contains("closed at the first stage: current year + 2 years"),
        "{policy}"
    );
    // Sun 31 December 2028: still kept.
    let dry = s.run("2028-12-31T12:00:00Z", &["retention", "--dry-run"]);
    assert!(dry.contains("0 cases due for erasure"), "{dry}");
    assert!(dry.contains("1 closed cases kept for now"), "{dry}");
    let out = s.run("2028-12-31T12:00:00Z", &["retention", "--by", "dpo"]);
    assert!(out.contains("erased 0 cases"), "{out}");
    let erased_at = |now: &str| -> serde_json::Value {
        let h = s.run(now, &["case", r, "--history", "--json"]);
        serde_json::from_str::<serde_json::Value>(&h).unwrap()["erased_at"].clone()
    };
    assert!(erased_at("2028-12-31T12:00:00Z").is_null());
    // Mon 1 January 2029: due, with its destruction date, and erased.
    let dry = s.run("2029-01-01T09:00:00Z", &["retention", "--dry-run"]);
    assert!(dry.contains(r) && dry.contains("2029-01-01"), "{dry}");
    assert!(dry.contains("1 cases due for erasure"), "{dry}");
    let out = s.run("2029-01-01T09:00:00Z", &["retention", "--by", "dpo"]);
    assert!(out.contains("erased 1 cases"), "{out}");
    assert!(!erased_at("2029-01-01T09:10:00Z").is_null());
}
