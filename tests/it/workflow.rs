//! End-to-end scenarios, driven the way the daemon drives itself — `poll`, `tick`,
//! `send` — with `--now` moving forward through real dates. Mail in through a Maildir,
//! letters out through the file outbox; every date below was worked out by hand from
//! the Bath & North East Somerset policy and the 2026-27 bank holidays.

use crate::bin;
use crate::site;
use site::Site;

#[test]
fn bath_complaint_through_holding_letter_review_and_final_response() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let r = "BNES-2026-00001";
    // Mon 14 Dec 2026: the complaint arrives and is acknowledged at once.
    s.mail(
        "1",
        "Ann Resident <ann.resident@example.org>",
        "Missed bins",
        "I wish to complain: my bin has been missed three times.",
        "c1@example.org",
    );
    assert!(s
        .run("2026-12-14T09:30:00Z", &["poll"])
        .contains(&format!("new case {r} (complaint), letter queued")));
    s.run("2026-12-14T09:31:00Z", &["send"]);
    // Response due: 15 working days from Mon 14 Dec, skipping 25 and 28 Dec and 1 Jan: Thu 7 Jan 2027.
    assert_eq!(
        s.due("2026-12-14T09:31:00Z", r, "stage1", "respond"),
        "2027-01-07"
    );
    let (subject, text, pdf) = s.letter_with("[Ref BNES-2026-00001]");
    assert!(subject.contains(r) && pdf, "{subject}");
    assert!(
        text.contains("7 January 2027"),
        "the acknowledgement gives the response date:\n{text}"
    );
    s.run(
        "2026-12-14T10:00:00Z",
        &["assign", r, "ann", "--by", "lead"],
    );

    // Tue 5 Jan 2027: two working days before the deadline, officer and manager are alerted.
    let out = s.run("2027-01-05T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: stage1 response due 2027-01-07; mailed ann, bob"
        )),
        "{out}"
    );
    // Ticking again at the same moment does nothing.
    assert!(s
        .run("2027-01-05T07:00:00Z", &["tick"])
        .contains("nothing due"));
    // Wed 6 Jan is still in time.
    assert!(!s.run("2027-01-06T16:00:00Z", &["tick"]).contains("lapsed"));
    // The daemon was down on Thu 7 Jan, when the holding letter would have gone in time
    // (seed 002 l.155; tests/it/holding.rs), until Mon 11 Jan: the lapse is caught up once, with the
    // new date counted from the missed deadline: 10 working days after 7 Jan = Thu 21 Jan.
    let out = s.run("2027-01-11T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: stage1 response lapsed 2027-01-07, holding letter to 2027-01-21, escalated"
        )),
        "{out}"
    );
    assert!(s
        .run("2027-01-11T07:00:00Z", &["tick"])
        .contains("nothing due"));
    s.run("2027-01-11T07:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("later than promised");
    assert!(text.contains("21 January 2027"), "{text}");
    let v = s.case("2027-01-11T07:01:00Z", r);
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "deadline lapsed"
            && e["detail"].as_str().unwrap().contains("escalated to bob")));

    // Tue 12 Jan: the officer's stage 1 response; an outcome outside the policy is refused.
    std::fs::write(
        s.path().join("findings.txt"),
        "The crew missed your address after a route change.",
    )
    .unwrap();
    let err = s.fails(
        "2027-01-12T10:00:00Z",
        &[
            "reply",
            r,
            "--outcome",
            "sort of",
            "--body-file",
            "findings.txt",
            "--by",
            "ann",
        ],
    );
    assert!(
        err.contains("outcome 'sort of' is not one of upheld, partially upheld, not upheld"),
        "{err}"
    );
    let out = s.run(
        "2027-01-12T10:00:00Z",
        &[
            "reply",
            r,
            "--outcome",
            "upheld",
            "--reason",
            "policy or procedure not followed",
            "--body-file",
            "findings.txt",
            "--apology",
            "We are sorry.",
            "--by",
            "ann",
        ],
    );
    assert!(out.contains("awaiting-customer at stage1"), "{out}");
    // The customer's window: 20 working days from Tue 12 Jan = Tue 9 Feb 2027.
    assert_eq!(
        s.due("2027-01-12T10:00:00Z", r, "stage1", "escalation-window"),
        "2027-02-09"
    );

    // Wed 20 Jan: the customer replies asking for a review.
    s.mail(
        "2",
        "Ann Resident <ann.resident@example.org>",
        &format!("Re: [Ref {r}] Our response"),
        "I am not satisfied and ask for a review.",
        "c2@example.org",
    );
    assert!(s
        .run("2027-01-20T09:00:00Z", &["poll"])
        .contains(&format!("attached to {r} (matched by subject-ref)")));
    let out = s.run("2027-01-20T09:05:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: customer asked for a review, escalation request acknowledged"
        )),
        "{out}"
    );
    // Stage 2 Review: acknowledge in 5 WD (Wed 27 Jan), decide in 10 WD (Wed 3 Feb).
    assert_eq!(
        s.due("2027-01-20T09:05:00Z", r, "stage2", "acknowledge"),
        "2027-01-27"
    );
    assert_eq!(
        s.due("2027-01-20T09:05:00Z", r, "stage2", "decide"),
        "2027-02-03"
    );
    // Stage 2 must be handled by someone other than the stage 1 handler.
    let err = s.fails(
        "2027-01-21T09:00:00Z",
        &["assign", r, "ann", "--by", "lead"],
    );
    assert!(
        err.contains(
            "ann handled Stage 1 of this complaint and may not be assigned it at Stage 2 Review"
        ),
        "{err}"
    );
    s.run(
        "2027-01-21T09:00:00Z",
        &["assign", r, "bob", "--by", "lead"],
    );
    // Mon 25 Jan: the review is accepted; the investigation's 30 WD run to Mon 8 Mar 2027.
    s.run(
        "2027-01-25T09:00:00Z",
        &[
            "decide",
            r,
            "--decision",
            "accept",
            "--reason",
            "New points were raised.",
            "--by",
            "bob",
        ],
    );
    assert_eq!(
        s.due("2027-01-25T09:00:00Z", r, "stage2", "respond"),
        "2027-03-08"
    );
    // Mon 1 Mar: the final response closes the case and points to the Ombudsman.
    std::fs::write(
        s.path().join("final.txt"),
        "The review found the stage 1 response fair.",
    )
    .unwrap();
    let out = s.run(
        "2027-03-01T09:00:00Z",
        &[
            "reply",
            r,
            "--outcome",
            "not upheld",
            "--body-file",
            "final.txt",
            "--by",
            "bob",
        ],
    );
    assert!(out.contains("closed at stage2"), "{out}");
    s.run("2027-03-01T09:01:00Z", &["send"]);
    let subjects: Vec<String> = s.letters().into_iter().map(|l| l.0).collect();
    assert_eq!(subjects.len(), 6, "acknowledgement, holding, stage response, escalation acknowledgement, review decision, final response: {subjects:?}");
    assert!(
        subjects.iter().all(|s| s.contains(&format!("[Ref {r}]"))),
        "{subjects:?}"
    );
    // Staff mail: the alert and the lapse notice each to ann and bob, and two weekday digests.
    let staff: Vec<String> = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("notice.") || n.starts_with("digest."))
        .collect();
    assert_eq!(
        staff.iter().filter(|n| n.starts_with("notice.")).count(),
        4,
        "{staff:?}"
    );
    assert_eq!(
        staff.iter().filter(|n| n.starts_with("digest.")).count(),
        2,
        "{staff:?}"
    );
    let finals: Vec<_> = s
        .letters()
        .into_iter()
        .filter(|l| l.1.contains("Local Government and Social Care Ombudsman"))
        .collect();
    assert!(
        !finals.is_empty(),
        "the final response points to the Ombudsman"
    );
    let v = s.case("2027-03-01T09:01:00Z", r);
    assert_eq!(v["case"]["state"], "closed");
    assert_eq!(v["case"]["close_reason"], "resolved");
    assert_eq!(v["case"]["category"], "Policy or procedure not followed");
}

#[test]
fn bath_silent_customer_auto_closes_on_exactly_the_right_day_across_easter() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let r = "BNES-2027-00001";
    s.mail(
        "1",
        "Cy Quiet <cy@example.org>",
        "Street lights",
        "I wish to complain: the street lights are out.",
        "q1@example.org",
    );
    s.run("2027-03-22T09:00:00Z", &["poll"]);
    s.run(
        "2027-03-22T09:10:00Z",
        &["assign", r, "ann", "--by", "lead"],
    );
    std::fs::write(
        s.path().join("f.txt"),
        "The lights were repaired on 22 March.",
    )
    .unwrap();
    s.run(
        "2027-03-23T10:00:00Z",
        &[
            "reply",
            r,
            "--outcome",
            "upheld",
            "--body-file",
            "f.txt",
            "--by",
            "ann",
        ],
    );
    // 20 working days from Tue 23 Mar 2027, skipping Good Friday 26 Mar and Easter
    // Monday 29 Mar: Thu 22 Apr 2027 is the last day to come back.
    assert_eq!(
        s.due("2027-03-23T10:00:00Z", r, "stage1", "escalation-window"),
        "2027-04-22"
    );
    s.run("2027-04-22T18:00:00Z", &["tick"]);
    assert_eq!(
        s.case("2027-04-22T18:00:00Z", r)["case"]["state"],
        "awaiting-customer",
        "still open on the last day"
    );
    let out = s.run("2027-04-23T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: reply window ended 2027-04-22, auto-closed with a closure notice"
        )),
        "{out}"
    );
    let v = s.case("2027-04-23T07:00:00Z", r);
    assert_eq!(v["case"]["close_reason"], "auto-closed");
    s.run("2027-04-23T07:01:00Z", &["send"]);
    assert_eq!(
        s.letters().len(),
        3,
        "acknowledgement, stage response, closure notice"
    );
    assert!(s
        .run("2027-04-23T07:00:00Z", &["tick"])
        .contains("nothing due"));
}

#[test]
fn west_lindsey_sends_the_survey_seven_days_after_the_response_and_compliments_close() {
    let s = Site::new("west-lindsey", "WLDC");
    s.mail(
        "1",
        "Di <di@example.org>",
        "Bins",
        "I wish to complain about the bins.",
        "w1@example.org",
    );
    s.mail(
        "2",
        "Ed <ed@example.org>",
        "Thank you",
        "Thank you, excellent service from the library team.",
        "w2@example.org",
    );
    s.run("2027-01-04T09:00:00Z", &["poll"]);
    // One stage, 21 calendar days: Mon 4 Jan + 21 = Mon 25 Jan 2027.
    assert_eq!(
        s.due(
            "2027-01-04T09:00:00Z",
            "WLDC-2027-00001",
            "stage1",
            "respond"
        ),
        "2027-01-25"
    );
    let out = s.run("2027-01-04T09:05:00Z", &["tick"]);
    assert!(
        out.contains("WLDC-2027-00002: compliment answered, closed"),
        "{out}"
    );
    std::fs::write(s.path().join("f.txt"), "We have spoken to the crew.").unwrap();
    s.run(
        "2027-01-11T10:00:00Z",
        &[
            "reply",
            "WLDC-2027-00001",
            "--outcome",
            "upheld",
            "--body-file",
            "f.txt",
            "--by",
            "ann",
        ],
    );
    // Upheld: it waits for the Quality Assurance Board (seed 003 l.119) until a manager
    // (no staff are marked as approvers here, so the managers approve) approves it the
    // same day.
    assert_eq!(
        s.case("2027-01-11T10:00:00Z", "WLDC-2027-00001")["case"]["awaiting_approval"],
        true
    );
    s.run(
        "2027-01-11T11:00:00Z",
        &["approve", "WLDC-2027-00001", "--by", "bob"],
    );
    // The only stage is final: the response closes the case; the survey is still owed
    // 7 days after it, on Mon 18 Jan.
    assert_eq!(
        s.case("2027-01-11T11:00:00Z", "WLDC-2027-00001")["case"]["state"],
        "closed"
    );
    assert!(!s.run("2027-01-17T10:00:00Z", &["tick"]).contains("survey"));
    let out = s.run("2027-01-18T10:00:00Z", &["tick"]);
    assert!(
        out.contains("WLDC-2027-00001: satisfaction survey sent"),
        "{out}"
    );
    assert!(s
        .run("2027-01-18T10:00:00Z", &["tick"])
        .contains("nothing due"));
}

#[test]
fn officers_are_refused_what_the_policy_forbids() {
    let s = Site::new("lgsco-code", "CHC");
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "l1@example.org",
    );
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    let r = "CHC-2026-00001";
    // Stage 1 extension: up to 10 working days under the Code.
    let err = s.fails(
        "2026-12-02T09:00:00Z",
        &[
            "extend", r, "--days", "15", "--reason", "complex", "--by", "ann",
        ],
    );
    assert!(err.contains("up to 10 working days"), "{err}");
    s.run(
        "2026-12-02T09:00:00Z",
        &[
            "extend",
            r,
            "--days",
            "10",
            "--reason",
            "the repairs contractor must be interviewed",
            "--by",
            "ann",
        ],
    );
    // Respond is 10 WD from the acknowledgement (Tue 1 Dec): Tue 15 Dec; extended by 10 WD: Thu 31 Dec 2026.
    assert_eq!(
        s.due("2026-12-02T09:00:00Z", r, "stage1", "extension"),
        "2026-12-31"
    );
    let err = s.fails(
        "2026-12-02T09:00:00Z",
        &["pause", r, "--reason", "waiting", "--by", "ann"],
    );
    assert!(err.contains("does not allow pausing"), "{err}");
    let err = s.fails(
        "2026-12-02T09:00:00Z",
        &["close", r, "--reason", "auto-closed", "--by", "ann"],
    );
    assert!(err.contains("unknown close reason 'auto-closed'"), "{err}");
    let err = s.fails(
        "2026-12-02T09:00:00Z",
        &[
            "decide",
            r,
            "--decision",
            "accept",
            "--reason",
            "x",
            "--by",
            "ann",
        ],
    );
    assert!(err.contains("cannot accept escalation"), "{err}");
    s.run(
        "2026-12-02T09:00:00Z",
        &["note", r, "Called the resident.", "--by", "ann"],
    );
    s.run(
        "2026-12-03T09:00:00Z",
        &["close", r, "--reason", "withdrawn", "--by", "ann"],
    );
    let err = s.fails(
        "2026-12-03T09:00:00Z",
        &["close", r, "--reason", "resolved", "--by", "ann"],
    );
    assert!(
        err.contains("cannot close (resolved): the case is closed"),
        "{err}"
    );
    s.run(
        "2026-12-04T09:00:00Z",
        &[
            "reopen",
            r,
            "--reason",
            "resident called back",
            "--by",
            "ann",
        ],
    );
    let v = s.case("2026-12-04T09:00:00Z", r);
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"extended") && kinds.contains(&"note") && kinds.contains(&"reopen"),
        "{kinds:?}"
    );
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "officer:ann" && e["kind"] == "note"));
}

#[test]
fn the_managers_digest_fires_on_its_schedule_once() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Gus <gus@example.org>",
        "Potholes",
        "I wish to complain about potholes.",
        "d1@example.org",
    );
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    s.run(
        "2026-12-01T09:00:00Z",
        &["assign", "BNES-2026-00001", "ann", "--by", "lead"],
    );
    // The first tick only starts the schedule's clock.
    s.run("2026-12-20T12:00:00Z", &["tick"]);
    // Respond due 15 WD from Tue 1 Dec = Tue 22 Dec; on Wed 23 Dec at 08:00 it is overdue.
    let out = s.run("2026-12-23T08:30:00Z", &["tick"]);
    assert!(out.contains("1 digest and report emails queued"), "{out}");
    assert!(
        !s.run("2026-12-23T08:45:00Z", &["tick"]).contains("digest"),
        "once per firing"
    );
    s.run("2026-12-23T08:46:00Z", &["send"]);
    let digests: Vec<_> = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("digest.")
        })
        .collect();
    assert_eq!(digests.len(), 1, "{digests:?}");
    let text = std::fs::read_to_string(&digests[0]).unwrap();
    assert!(
        text.contains("BNES-2026-00001") && text.contains("OVERDUE"),
        "{text}"
    );
    assert!(
        !text.contains("gus@example.org"),
        "no personal data in the digest"
    );
}

#[test]
fn a_pause_moves_the_deadline_by_the_working_days_that_were_left() {
    // No shipped preset allows pausing; a council's own preset may.
    let s = Site::new("bath-pause.toml", "BNES");
    let bath = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/policies/bath-and-north-east-somerset.toml"
    ))
    .unwrap();
    std::fs::write(
        s.path().join("bath-pause.toml"),
        bath.replace("pause_allowed = false", "pause_allowed = true"),
    )
    .unwrap();
    s.mail(
        "1",
        "Hal <hal@example.org>",
        "Noise",
        "I wish to complain about noise.",
        "p1@example.org",
    );
    s.run("2027-02-01T09:00:00Z", &["poll"]);
    let r = "BNES-2027-00001";
    // 15 WD from Mon 1 Feb 2027: Mon 22 Feb.
    assert_eq!(
        s.due("2027-02-01T09:00:00Z", r, "stage1", "respond"),
        "2027-02-22"
    );
    s.run(
        "2027-02-03T09:00:00Z",
        &[
            "pause",
            r,
            "--reason",
            "waiting for photographs from the customer",
            "--by",
            "ann",
        ],
    );
    // 13 working days were left on Wed 3 Feb; resumed Wed 10 Feb, they run to Mon 1 Mar.
    s.run("2027-02-10T09:00:00Z", &["resume", r, "--by", "ann"]);
    assert_eq!(
        s.due("2027-02-10T09:00:00Z", r, "stage1", "respond"),
        "2027-03-01"
    );
    let out = s.run("2027-02-10T09:00:00Z", &["case", r, "--explain"]);
    assert!(out.contains("stage1 paused from 2027-02-03 to 2027-02-10: waiting for photographs from the customer"), "{out}");
    let err = s.fails("2027-02-10T09:00:00Z", &["resume", r, "--by", "ann"]);
    assert!(err.contains("not paused"), "{err}");
}

#[test]
fn a_thank_you_that_quotes_our_letter_is_not_a_review_request() {
    let s = Site::bath_case_answered("");
    let r = "BNES-2026-00001";
    s.mail(
        "2",
        "Ivy <ivy@example.org>",
        &format!("Re: [Ref {r}] Our response to your complaint: upheld"),
        "Thank you, that is all sorted.\r\n\r\nOn Tue, 3 Nov 2026, Complaints wrote:\r\n> If you are not satisfied you can ask for a Stage 2 review.",
        "t2@example.org",
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    let out = s.run("2026-11-04T09:01:00Z", &["tick"]);
    assert!(
        out.contains(&format!("{r}: customer replied, flagged for the officer")),
        "{out}"
    );
    let v = s.case("2026-11-04T09:01:00Z", r);
    assert_eq!(v["case"]["stage"], "stage1");
    assert_eq!(v["case"]["state"], "awaiting-customer");
}

#[test]
fn the_monthly_report_is_mailed_on_the_first_and_retention_runs_nightly() {
    let s = Site::new("west-lindsey", "WLDC");
    let cfg = std::fs::read_to_string(s.path().join("redress.toml")).unwrap();
    std::fs::write(
        s.path().join("redress.toml"),
        cfg + "[[report]]\nname = \"monthly\"\nschedule = \"0 0 7 1 * *\"\nperiod = \"previous-month\"\nto = [\"bob@council.example\"]\n\
               [retention]\nschedule = \"0 30 2 * * *\"\n",
    )
    .unwrap();
    s.mail(
        "1",
        "Jo <jo@example.org>",
        "Bins",
        "I wish to complain about the bins.",
        "m1@example.org",
    );
    s.run("2026-10-05T09:00:00Z", &["poll"]);
    std::fs::write(s.path().join("f.txt"), "Sorted.").unwrap();
    s.run(
        "2026-10-06T09:00:00Z",
        &[
            "reply",
            "WLDC-2026-00001",
            "--outcome",
            "upheld",
            "--body-file",
            "f.txt",
            "--by",
            "ann",
        ],
    );
    s.run("2026-10-20T09:00:00Z", &["tick"]); // starts the schedules' clocks
    let out = s.run("2026-11-01T08:00:00Z", &["tick"]);
    assert!(out.contains("digest and report emails queued"), "{out}");
    s.run("2026-11-01T08:01:00Z", &["send"]);
    let reports: Vec<String> = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("report.")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].contains("October 2026"), "{}", reports[0]);
    assert!(
        !reports[0].contains("jo@example.org") && !reports[0].contains("Jo "),
        "no personal data in a report"
    );
    // West Lindsey keeps data 3 years: nothing is due for erasure in 2026.
    let v = s.case("2026-11-01T08:01:00Z", "WLDC-2026-00001");
    assert!(!v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "erased"));
}

#[test]
fn letters_name_the_officer_by_display_name_and_title_never_by_login() {
    // Issue 13, item 4: staff have display names and job titles; the login used on the
    // command line (`assign REF NAME`) is not for residents.
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[[staff]]\nname = \"dl0gin7\"\nemail = \"dee@council.example\"\n\
         display_name = \"Dee Rao\"\njob_title = \"Complaints Officer\"\n\
         [[staff]]\nname = \"nodisp9\"\nemail = \"nod@council.example\"\n",
    );
    s.mail(
        "1",
        "Ann Resident <ann.resident@example.org>",
        "Missed bins",
        "I wish to complain: my bin has been missed three times.",
        "c1@example.org",
    );
    s.run("2026-12-14T09:30:00Z", &["poll"]);
    let r = "BNES-2026-00001";
    let preview = |who: &str| {
        s.run("2026-12-15T09:00:00Z", &["assign", r, who, "--by", "bob"]);
        let pre = ["--config", "redress.toml", "--now", "2026-12-15T09:00:00Z"];
        bin::preview_text(s.path(), &pre, r, "acknowledgement")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let named = preview("dl0gin7");
    assert!(
        named.contains("The officer handling it is Dee Rao, Complaints Officer."),
        "{named}"
    );
    assert!(!named.contains("dl0gin7"), "{named}");
    // Someone with no display name configured is not named at all.
    let unnamed = preview("nodisp9");
    assert!(!unnamed.contains("nodisp9"), "{unnamed}");
    assert!(!unnamed.contains("officer handling it"), "{unnamed}");
}

#[test]
fn a_single_contact_restriction_names_the_contact_and_is_noticed_once() {
    // Issue 13, item 6.
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Ann Resident <ann.resident@example.org>",
        "Missed bins",
        "I wish to complain: my bin has been missed three times.",
        "c1@example.org",
    );
    s.run("2026-12-14T09:30:00Z", &["poll"]);
    let restrict = |extra: &[&str]| {
        let mut args = vec![
            "restrict",
            "ann.resident@example.org",
            "--level",
            "single-contact",
            "--review",
            "2027-06-01",
            "--reason",
            "the volume of emails sent to many officers",
            "--immediate",
            "threats to staff",
            "--by",
            "bob",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = restrict(&[]);
    let err = s.fails(
        "2026-12-15T09:00:00Z",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(err.contains("needs --contact"), "{err}");
    let notices = || -> i64 {
        s.db()
            .query_row(
                "SELECT count(*) FROM letters WHERE kind = 'restriction-notice'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(notices(), 0, "a refused restriction sends nothing");
    let args = restrict(&["--contact", "Sam Patel, Customer Feedback Officer"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.run("2026-12-15T09:00:00Z", &args);
    assert_eq!(notices(), 1);
    // The same restriction again (e.g. to record it once more): no second notice.
    s.run("2026-12-16T09:00:00Z", &args);
    assert_eq!(notices(), 1);
    let case = s.case("2026-12-16T09:00:00Z", "BNES-2026-00001");
    let restricted = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "contact restricted")
        .count();
    assert_eq!(restricted, 2, "{case}");
}

#[test]
fn lgsco_stage1_extensions_count_together_five_then_six_is_refused_five_then_five_is_allowed() {
    // POLICIES.md l.20, LGSCO stage 1: "extension ≤ 10 WD with reasons" (Code 6.4 "Any
    // extension should be no more than 10 working days"): 10 working days in total.
    let s = Site::new("lgsco-code", "CHC");
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "l1@example.org",
    );
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    let r = "CHC-2026-00001";
    fn extend<'a>(r: &'a str, days: &'a str) -> [&'a str; 8] {
        [
            "extend",
            r,
            "--days",
            days,
            "--reason",
            "the contractor",
            "--by",
            "ann",
        ]
    }
    // Respond due Tue 15 Dec (10 WD from the acknowledgement on Tue 1 Dec); +5 WD: Tue 22 Dec.
    s.run("2026-12-02T09:00:00Z", &extend(r, "5"));
    assert_eq!(
        s.due("2026-12-02T09:00:00Z", r, "stage1", "extension"),
        "2026-12-22"
    );
    let events = |s: &Site| -> i64 {
        s.db()
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'extended'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    // +6 more would make 11: refused, in one line naming the limit and what was used.
    let err = s.fails("2026-12-03T09:00:00Z", &extend(r, "6"));
    assert!(
        err.contains(
            "up to 10 working days in total at Stage 1; 5 already used, so at most 5 more"
        ),
        "{err}"
    );
    // Nothing was touched.
    assert_eq!(
        s.due("2026-12-03T09:00:00Z", r, "stage1", "extension"),
        "2026-12-22"
    );
    assert_eq!(events(&s), 1);
    // +5 more makes 10: allowed. Wed 23, Thu 24, (25 and 28 Dec bank holidays), Tue 29,
    // Wed 30, Thu 31 Dec 2026.
    s.run("2026-12-03T09:00:00Z", &extend(r, "5"));
    assert_eq!(
        s.due("2026-12-03T09:00:00Z", r, "stage1", "extension"),
        "2026-12-31"
    );
    assert_eq!(events(&s), 2);
    // The limit is used up.
    let err = s.fails("2026-12-04T09:00:00Z", &extend(r, "1"));
    assert!(err.contains("10 already used, so no more"), "{err}");
}

#[test]
fn stockton_early_resolution_lapse_is_flagged_and_escalated_not_extended() {
    // Seed 001 l.51 "Early Resolution within 3 working days ... This is an “upto”
    // timescale": the policy allows no extension, so neither the officer nor the scheduler
    // gives a new date.
    let s = Site::new("stockton-on-tees", "STOCK");
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Missed bins",
        "I wish to complain: my bins keep being missed.",
        "s1@example.org",
    );
    s.run("2026-12-14T09:00:00Z", &["poll"]);
    let r = "STOCK-2026-00001";
    // Early resolution, 3 WD from Mon 14 Dec: Thu 17 Dec.
    assert_eq!(
        s.due("2026-12-14T09:00:00Z", r, "early", "respond"),
        "2026-12-17"
    );
    let err = s.fails(
        "2026-12-15T09:00:00Z",
        &[
            "extend", r, "--days", "2", "--reason", "busy", "--by", "ann",
        ],
    );
    assert!(
        err.contains("allows no extension at Early resolution"),
        "{err}"
    );
    let out = s.run("2026-12-18T09:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: early response lapsed 2026-12-17, no extension under the policy, escalated"
        )),
        "{out}"
    );
    assert!(!out.contains("holding letter"), "{out}");
    let c = s.case("2026-12-18T09:00:00Z", r);
    assert!(
        !c["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "extension"),
        "no new date: {c}"
    );
    assert!(
        c["case"]["flagged"]
            .as_str()
            .unwrap()
            .contains("early response overdue since 2026-12-17 (no extension allowed)"),
        "{c}"
    );
    assert!(
        s.letters()
            .iter()
            .all(|l| !l.0.contains("later than promised")),
        "no holding letter"
    );
}

/// Issue 24, item 7. Seed 002 l.113 "Customers must usually complete both Council
/// complaint stages 1 and 2 before the LGSCO will look at a complaint": Bath & NES's
/// stage 1 extension letter does not offer the Ombudsman. The LGSCO Code (6.5) does.
#[test]
fn the_extension_letter_offers_the_ombudsman_only_where_the_preset_allows() {
    for (policy, prefix, offered) in [
        ("bath-and-north-east-somerset", "BNES", false),
        ("lgsco-code", "CHC", true),
    ] {
        let s = Site::new(policy, prefix);
        let r = format!("{prefix}-2026-00001");
        s.mail(
            "1",
            "Ivy <ivy@example.org>",
            "Graffiti",
            "I wish to complain about graffiti.",
            "t1@example.org",
        );
        s.run("2026-11-02T09:00:00Z", &["poll"]);
        let extend = |preview: Option<&str>| {
            let mut a = vec![
                "extend",
                &r,
                "--days",
                "5",
                "--reason",
                "the contractor must be asked",
                "--by",
                "ann",
            ];
            if let Some(p) = preview {
                a.extend(["--preview", p]);
            }
            s.run("2026-11-03T09:00:00Z", &a)
        };
        extend(Some("ext.pdf"));
        let pdf = bin::pdf_text(&s.path().join("ext.pdf"));
        assert!(pdf.contains("We need more time"), "{pdf}");
        assert_eq!(
            pdf.contains("you do not have to wait"),
            offered,
            "{policy}: {pdf}"
        );
        extend(None);
        s.run("2026-11-03T09:01:00Z", &["send"]);
        let (_, text, _) = s.letter_with("more time");
        assert_eq!(
            text.contains("you do not have to wait"),
            offered,
            "{policy}: {text}"
        );
        assert_eq!(text.contains("Ombudsman"), offered, "{policy}: {text}");
    }
}

/// Issue 24, item 8. Seed 001 l.51 "This is an 'upto' timescale": Stockton's report
/// promises no letter when the date is missed, and its preset sends none (no extension,
/// no holding letter), so its acknowledgement makes no such promise; Buckinghamshire's
/// (l.182 "we can extend the timescale and we will let the customer know") does.
#[test]
fn only_a_preset_that_writes_when_a_date_is_missed_promises_it_in_the_acknowledgement() {
    for (policy, prefix, promised) in [
        ("stockton-on-tees", "STOCKTON", false),
        ("buckinghamshire", "BUCKS", true),
    ] {
        let s = Site::new(policy, prefix);
        s.mail(
            "1",
            "Ivy <ivy@example.org>",
            "Graffiti",
            "I wish to complain about graffiti.",
            "t1@example.org",
        );
        s.run("2026-11-02T09:00:00Z", &["poll"]);
        s.run("2026-11-02T09:01:00Z", &["send"]);
        let (_, text, _) = s.letter_with("We have received your complaint");
        assert!(
            text.contains("We will send you our full response by"),
            "{text}"
        );
        assert_eq!(
            text.contains("If we cannot meet that date, we will write to tell you why"),
            promised,
            "{policy}: {text}"
        );
    }
}

/// Buckinghamshire complaint BUCKS-2026-0000N from resident N, received Mon 2 Nov 2026
/// (one message each, polled at once).
fn bucks_cases(n: usize) -> Site {
    let s = Site::new("buckinghamshire", "BUCKS");
    for i in 1..=n {
        s.mail(
            &i.to_string(),
            &format!("Resident {i} <r{i}@example.org>"),
            &format!("Fly-tipping {i}"),
            "I wish to complain: the fly-tipping on my lane has been left for weeks.",
            &format!("b{i}@example.org"),
        );
    }
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    s
}

fn case_events(s: &Site, reference: &str) -> Vec<(String, String, Option<String>)> {
    let db = s.db();
    let mut st = db
        .prepare("SELECT e.actor, e.kind, e.detail FROM events e JOIN cases c ON c.id = e.case_id WHERE c.reference = ?1 ORDER BY e.id")
        .unwrap();
    st.query_map([reference], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Issue 24, item 5. A case closed as `responded` (Buckinghamshire stage 1, no time limit
/// to ask for stage 2, l.186) can be closed finally: withdrawn, or excluded (l.251
/// "matters that have already exhausted the complaints process"). After that a reply
/// asking for a review is flagged for an officer, not escalated.
#[test]
fn bucks_a_responded_case_is_closed_finally_and_a_later_reply_does_not_escalate_it() {
    let s = bucks_cases(2);
    let (r1, r2) = ("BUCKS-2026-00001", "BUCKS-2026-00002");
    s.respond(
        "2026-11-03T09:00:00Z",
        r1,
        "not upheld",
        "The lane is private land.",
    );
    s.respond(
        "2026-11-03T09:00:00Z",
        r2,
        "not upheld",
        "The lane is private land.",
    );
    assert_eq!(
        s.case("2026-11-03T09:00:00Z", r1)["case"]["close_reason"],
        "responded"
    );
    // Fri 6 Nov: the resident withdraws by phone.
    s.run(
        "2026-11-06T09:00:00Z",
        &[
            "close",
            r1,
            "--reason",
            "withdrawn",
            "--note",
            "rang to withdraw",
            "--by",
            "ann",
        ],
    );
    let c = s.case("2026-11-06T09:00:00Z", r1);
    assert_eq!(c["case"]["state"], "closed");
    assert_eq!(c["case"]["close_reason"], "withdrawn");
    assert!(case_events(&s, r1)
        .iter()
        .any(|(_, k, d)| k == "close (withdrawn)" && d.as_deref() == Some("rang to withdraw")));
    // A second final close is refused as before.
    let err = s.fails(
        "2026-11-06T09:00:00Z",
        &["close", r1, "--reason", "resolved", "--by", "ann"],
    );
    assert!(
        err.contains("cannot close (resolved): the case is closed"),
        "{err}"
    );
    s.run(
        "2026-11-06T09:00:00Z",
        &["exclude", r2, "exhausted", "--by", "ann"],
    );
    assert_eq!(
        s.case("2026-11-06T09:00:00Z", r2)["case"]["close_reason"],
        "out-of-scope"
    );
    // Mon 9 Nov: the resident writes asking for a review after all.
    s.mail(
        "9",
        "Resident 1 <r1@example.org>",
        &format!("Re: [Ref {r1}] Our response"),
        "I am not satisfied and ask for a review.",
        "b9@example.org",
    );
    s.run("2026-11-09T09:00:00Z", &["poll"]);
    let out = s.run("2026-11-09T09:05:00Z", &["tick"]);
    assert!(!out.contains("escalation request acknowledged"), "{out}");
    let c = s.case("2026-11-09T09:05:00Z", r1);
    assert_eq!(c["case"]["close_reason"], "withdrawn", "{c}");
    assert_eq!(c["case"]["stage"], "stage1");
    let err = s.fails("2026-11-09T09:10:00Z", &["escalate", r1, "--by", "ann"]);
    assert!(err.contains("cannot request escalation"), "{err}");
}

/// Issue 24, item 5. Seed 000 l.249 excludes "Complaints about an issue that was known
/// about for more than 12 months before the complaint was made to the Council, unless
/// there is a good reason for the delay": a request for stage 2 more than 365 days after
/// the stage 1 response (`request_limit`) is refused with the rule, or flagged when it
/// comes by reply, unless an officer accepts the reason with --late.
#[test]
fn bucks_a_review_asked_for_over_12_months_after_the_response_needs_a_reason() {
    let s = bucks_cases(2);
    let (r1, r2) = ("BUCKS-2026-00001", "BUCKS-2026-00002");
    // Tue 3 Nov 2026 + 365 days = Wed 3 Nov 2027 (no 29 February between).
    s.respond(
        "2026-11-03T09:00:00Z",
        r1,
        "not upheld",
        "The lane is private land.",
    );
    s.respond(
        "2026-11-03T09:00:00Z",
        r2,
        "not upheld",
        "The lane is private land.",
    );
    // On Wed 3 Nov 2027 it is still in time.
    s.run("2027-11-03T09:00:00Z", &["escalate", r2, "--by", "bob"]);
    assert_eq!(
        s.case("2027-11-03T09:00:00Z", r2)["case"]["stage"],
        "stage2"
    );
    // Thu 4 Nov 2027: too late, refused in one line naming the rule.
    let err = s.fails("2027-11-04T09:00:00Z", &["escalate", r1, "--by", "bob"]);
    assert!(
        err.contains(&format!("{r1}: too late for a review: the Buckinghamshire Council policy takes a request for Stage 2 review within 365 days of our Stage 1 response (sent on 2026-11-03 Tue), which ended on 2027-11-03 Wed, unless there is a good reason for the delay; this request came on 2027-11-04 Thu; to accept it, give the reason with --late REASON")),
        "{err}"
    );
    // The same request by reply is flagged for the officer, not escalated.
    s.mail(
        "9",
        "Resident 1 <r1@example.org>",
        &format!("Re: [Ref {r1}] Our response"),
        "I am not satisfied and ask for a review.",
        "b9@example.org",
    );
    s.run("2027-11-04T09:00:00Z", &["poll"]);
    let out = s.run("2027-11-04T09:05:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r1}: customer asked for a review after the window, refused as too late"
        )),
        "{out}"
    );
    assert_eq!(
        s.case("2027-11-04T09:05:00Z", r1)["case"]["stage"],
        "stage1"
    );
    // Confirming the reply without a reason is refused the same way.
    let err = s.fails(
        "2027-11-04T10:00:00Z",
        &["escalate", r1, "--from-reply", "--by", "bob"],
    );
    assert!(err.contains("too late for a review"), "{err}");
    // The officer confirms the reply and accepts the reason for the delay: an event says so.
    s.run(
        "2027-11-04T10:00:00Z",
        &[
            "escalate",
            r1,
            "--from-reply",
            "--late",
            "the resident was in hospital",
            "--by",
            "bob",
        ],
    );
    let c = s.case("2027-11-04T10:00:00Z", r1);
    assert_eq!(c["case"]["stage"], "stage2");
    assert!(case_events(&s, r1)
        .iter()
        .any(|(a, k, d)| a == "officer:bob"
            && k == "request escalation"
            && d.as_deref().is_some_and(
                |d| d.contains("accepted late by an officer: the resident was in hospital")
            )));
}

/// Issue 24, item 1. Seed 000 l.26 "Stage 2 complaints are reviewed independently i.e.
/// investigated by Stage 2 complaints officers, for a degree of separation from the
/// service and the complaints officer that handled the original Stage 1 complaint";
/// l.186 "a central team who will independently review the stage 1 response". Anyone
/// who handled stage 1 (assigned, extended, responded) may not be assigned, decide,
/// extend or respond at stage 2, previews included; the manager who only assigned
/// others may still assign.
#[test]
fn bucks_stage1_handlers_may_not_assign_decide_extend_or_respond_at_stage2() {
    let s = bucks_cases(1);
    let r = "BUCKS-2026-00001";
    s.run(
        "2026-11-02T10:00:00Z",
        &["assign", r, "ann", "--by", "lead"],
    );
    // Tue 3 Nov: cat extends stage 1. 20 WD from Mon 2 Nov 2026 (day 0) is Mon 30 Nov;
    // 5 WD more, Mon 7 Dec (no bank holiday between).
    s.run(
        "2026-11-03T09:00:00Z",
        &[
            "extend",
            r,
            "--days",
            "5",
            "--reason",
            "the contractor must be asked",
            "--by",
            "cat",
        ],
    );
    assert_eq!(
        s.due("2026-11-03T09:00:00Z", r, "stage1", "extension"),
        "2026-12-07"
    );
    // Wed 4 Nov: ann's stage 1 response closes the case as responded (no window, l.186).
    s.respond(
        "2026-11-04T09:00:00Z",
        r,
        "not upheld",
        "The lane is private land.",
    );
    // Wed 11 Nov: the resident rings to ask for a review; decide in 5 WD, Wed 18 Nov.
    s.run("2026-11-11T09:00:00Z", &["escalate", r, "--by", "lead"]);
    assert_eq!(
        s.due("2026-11-11T09:00:00Z", r, "stage2", "decide"),
        "2026-11-18"
    );
    let at = "2026-11-12T09:00:00Z";
    let decide = |by: &str| {
        vec![
            "decide",
            r,
            "--decision",
            "accept",
            "--reason",
            "the lane was not checked",
            "--by",
        ]
        .into_iter()
        .map(String::from)
        .chain([by.to_string()])
        .collect::<Vec<_>>()
    };
    let args = decide("ann");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = s.fails(at, &args);
    assert!(
        err.contains(&format!("{r}: ann handled Stage 1 of this complaint and may not decide at Stage 2 review: the Buckinghamshire Council policy requires it to be handled by someone not involved before")),
        "{err}"
    );
    // cat only extended stage 1: a handler too; the preview is refused the same way.
    let mut args = decide("cat");
    args.extend(["--preview".to_string(), "decision.pdf".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = s.fails(at, &args);
    assert!(
        err.contains("cat handled Stage 1 of this complaint and may not decide"),
        "{err}"
    );
    assert!(!s.path().join("decision.pdf").exists());
    for who in ["ann", "cat"] {
        let err = s.fails(at, &["assign", r, who, "--by", "lead"]);
        assert!(
            err.contains(&format!(
                "{who} handled Stage 1 of this complaint and may not be assigned it at Stage 2 review"
            )),
            "{err}"
        );
    }
    assert_eq!(s.case(at, r)["case"]["state"], "escalation-requested");
    // lead assigned ann at stage 1 but handled nothing: free to assign bob now.
    s.run(at, &["assign", r, "bob", "--by", "lead"]);
    let args = decide("bob");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.run(at, &args);
    let err = s.fails(
        "2026-11-13T09:00:00Z",
        &[
            "extend",
            r,
            "--days",
            "5",
            "--reason",
            "more time",
            "--by",
            "cat",
        ],
    );
    assert!(
        err.contains("cat handled Stage 1 of this complaint and may not extend it"),
        "{err}"
    );
    std::fs::write(s.path().join("review.txt"), "We reviewed it.").unwrap();
    let reply = |by: &'static str| {
        [
            "reply",
            r,
            "--outcome",
            "upheld",
            "--body-file",
            "review.txt",
            "--by",
            by,
        ]
    };
    let err = s.fails("2026-11-16T09:00:00Z", &reply("ann"));
    assert!(
        err.contains("ann handled Stage 1 of this complaint and may not respond"),
        "{err}"
    );
    s.run("2026-11-16T09:00:00Z", &reply("bob"));
    let case = s.case("2026-11-16T09:00:00Z", r);
    assert_eq!(case["case"]["close_reason"], "resolved", "{case}");
}
