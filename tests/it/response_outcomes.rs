//! Issue 13, item 16: reports count the outcomes of the responses sent in the period
//! (every stage and final response, by stage), not only those of closed cases; the
//! figures are the same after the cases are erased.

use crate::site;

use site::Site;

fn csv(s: &Site, now: &str, period: &str) -> String {
    s.run(now, &["report", "--period", period, "--format", "csv"])
}

/// Every one of `lines` is a whole line of `report`.
fn has_lines(report: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            report.lines().any(|l| l == *line),
            "missing {line} in\n{report}"
        );
    }
}

#[test]
fn a_report_counts_each_response_sent_in_the_period_by_stage_and_outcome() {
    // BNES-2026-00001: Ivy's complaint, answered at stage 1 on Tue 3 Nov 2026, upheld.
    let s = Site::bath_case_answered("");
    // BNES-2026-00002: answered at stage 1 (not upheld), then escalated and answered
    // at stage 2 (partially upheld): two responses in November.
    s.mail(
        "2",
        "Tom <tom@example.org>",
        "Missed bins",
        "I wish to complain that my bins were missed.",
        "t2@example.org",
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    s.respond(
        "2026-11-05T09:00:00Z",
        "BNES-2026-00002",
        "not upheld",
        "The fine was correctly issued.",
    );
    s.run(
        "2026-11-06T09:00:00Z",
        &["escalate", "BNES-2026-00002", "--by", "ann"],
    );
    // Bath's stage 2 review is decided first (seed 002 l.163).
    let state = s.case("2026-11-06T09:00:00Z", "BNES-2026-00002")["case"]["state"].clone();
    assert_eq!(state, "escalation-requested");
    s.run(
        "2026-11-09T09:00:00Z",
        &[
            "decide",
            "BNES-2026-00002",
            "--decision",
            "accept",
            "--reason",
            "The customer raises new points.",
            "--by",
            "bob",
        ],
    );
    s.run(
        "2026-11-10T09:00:00Z",
        &["assign", "BNES-2026-00002", "bob", "--by", "bob"],
    );
    std::fs::write(s.path().join("r2.txt"), "The fine is reduced.").unwrap();
    s.run(
        "2026-11-20T09:00:00Z",
        &[
            "reply",
            "BNES-2026-00002",
            "--outcome",
            "partially upheld",
            "--body-file",
            "r2.txt",
            "--by",
            "bob",
        ],
    );
    let now = "2026-12-01T09:00:00Z";
    let report = csv(&s, now, "2026-11");
    has_lines(
        &report,
        &[
            "response-outcome,stage1: upheld,count,1",
            "response-outcome,stage1: not upheld,count,1",
            "response-outcome,stage1: partially upheld,count,0",
            "response-outcome,stage2: partially upheld,count,1",
            "response-outcome,stage2: upheld,count,0",
            // Only the final (stage 2) response closed its case: the closed-case outcomes
            // count it alone, and miss both stage 1 responses.
            "outcome,partially upheld,count,1",
            "outcome,upheld,count,0",
            "outcome,not upheld,count,0",
        ],
    );
    // October saw no response.
    let october = csv(&s, now, "2026-10");
    assert!(
        october
            .lines()
            .any(|l| l == "response-outcome,stage1: upheld,count,0"),
        "{october}"
    );
    // The text report shows them under their stage's name, without personal data.
    let text = s.run(now, &["report", "--period", "2026-11"]);
    assert!(
        text.contains("Outcomes of responses sent in the period"),
        "{text}"
    );
    assert!(
        !text.contains("example.org") && !text.contains("Ivy"),
        "{text}"
    );
    // Years later the closed case is erased under the retention schedule; November's
    // figures do not change.
    let later = "2034-01-10T09:00:00Z";
    let out = s.run(later, &["retention", "--by", "dpo"]);
    assert!(out.contains("erased 1 cases"), "{out}");
    assert_eq!(csv(&s, later, "2026-11"), report);
}

/// Issue 13's note: a reopened complaint's first response still counts, with its own
/// working days, after the response is owed again and sent again.
#[test]
fn a_response_before_a_reopening_keeps_its_place_in_the_figures() {
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "o1@example.org",
    );
    // Received Tue 1 Dec 2026; answered Tue 8 Dec: 5 working days (2-4, 7-8 Dec), on
    // time (due 10 working days on, Tue 15 Dec). The Code closes the case.
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    s.respond("2026-12-08T10:00:00Z", r, "upheld", "Repaired.");
    // Reopened Mon 4 Jan 2027 (owed again by Mon 18 Jan) and answered late, Wed 20 Jan:
    // 12 working days from the reopening (5-8, 11-15, 18-20 Jan).
    s.run(
        "2027-01-04T09:00:00Z",
        &["reopen", r, "--reason", "the repair failed", "--by", "ann"],
    );
    s.respond("2027-01-20T10:00:00Z", r, "upheld", "Repaired again.");
    let now = "2027-02-01T09:00:00Z";
    let december = csv(&s, now, "2026-12");
    has_lines(
        &december,
        &[
            "stage,stage1,responses,1",
            "stage,stage1,on_time,1",
            "stage,stage1,average_working_days,5.0000",
            // Closed on 8 December, so not open at its end (reopened only in January).
            "stage,stage1,open_at_end,0",
        ],
    );
    let january = csv(&s, now, "2027-01");
    has_lines(
        &january,
        &[
            "stage,stage1,responses,1",
            "stage,stage1,on_time,0",
            "stage,stage1,average_working_days,12.0000",
            "stage,stage1,open_at_end,0",
        ],
    );
}

/// Issue 24, item 14: a complaint reopened and answered again at the same stage within a
/// period counts once there, by its latest response (on time or late, and its outcome):
/// never on time *and* late, upheld *and* not upheld. Bank holidays: Fri 25 and Mon 28
/// December 2026.
#[test]
fn a_reopened_case_answered_twice_in_a_period_counts_once_by_its_latest_response() {
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "twice1@example.org",
    );
    // Received and acknowledged Tue 1 Dec 2026; answered on time Tue 8 Dec (upheld), 5
    // working days on (2-4, 7-8 Dec); the Code closes the case as responded.
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    s.respond("2026-12-08T10:00:00Z", r, "upheld", "Repaired.");
    // Reopened Wed 9 Dec: owed again 10 working days on (10-11, 14-18, 21-23 Dec), Wed
    // 23 Dec.
    s.run(
        "2026-12-09T09:00:00Z",
        &["reopen", r, "--reason", "the repair failed", "--by", "ann"],
    );
    assert_eq!(
        s.due("2026-12-09T09:00:00Z", r, "stage1", "respond"),
        "2026-12-23"
    );
    // Answered late, Tue 29 Dec (not upheld): 12 working days from the reopening (10-11,
    // 14-18, 21-24, 29 Dec).
    s.respond(
        "2026-12-29T10:00:00Z",
        r,
        "not upheld",
        "The second failure was not ours.",
    );
    let now = "2027-01-04T09:00:00Z";
    for period in ["2026-12", "2026-Q4"] {
        let report = csv(&s, now, period);
        has_lines(
            &report,
            &[
                "received,complaints,count,1",
                "stage,stage1,responses,1",
                "stage,stage1,on_time,0",
                "stage,stage1,on_time_share,0.0000",
                "stage,stage1,average_working_days,12.0000",
                "response-outcome,stage1: not upheld,count,1",
                "response-outcome,stage1: upheld,count,0",
                // The month's trend too: one response, late (not 100% on time).
                "trend,2026-12,responses,1",
                "trend,2026-12,on_time_share,0.0000",
            ],
        );
    }
}

/// Issue 24, item 14: a case closed out of scope (excluded under the preset, or closed
/// with the reason out-of-scope) is counted as out of scope, not as a complaint received.
#[test]
fn an_excluded_case_is_out_of_scope_in_the_report_not_a_complaint_received() {
    // BNES-2026-00001: Ivy's complaint, received Mon 2 Nov 2026, answered Tue 3 Nov.
    let s = Site::bath_case_answered("");
    // BNES-2026-00002: a complaint about a budget decision, excluded on Wed 4 Nov under
    // seed 002 l.389 ("Disagreements with properly made Council ... budget decisions").
    s.mail(
        "2",
        "Tom <tom@example.org>",
        "Library hours",
        "I wish to complain about the budget decision to cut library hours.",
        "ex2@example.org",
    );
    s.run("2026-11-03T09:00:00Z", &["poll"]);
    s.run(
        "2026-11-04T09:00:00Z",
        &[
            "exclude",
            "BNES-2026-00002",
            "council-decision",
            "--by",
            "ann",
        ],
    );
    // BNES-2026-00003: closed by an officer as out of scope on Thu 5 Nov.
    s.mail(
        "3",
        "Una <una@example.org>",
        "Bus timetable",
        "I wish to complain about the bus company's new timetable.",
        "ex3@example.org",
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    s.run(
        "2026-11-05T09:00:00Z",
        &[
            "close",
            "BNES-2026-00003",
            "--reason",
            "out-of-scope",
            "--by",
            "ann",
        ],
    );
    let report = csv(&s, "2026-12-01T09:00:00Z", "2026-11");
    has_lines(
        &report,
        &[
            "received,complaints,count,1",
            "received,out-of-scope,count,2",
            "stage,stage1,entered,1",
            "trend,2026-11,complaints,1",
            // No complaint was closed in November: Ivy's waits in its review window.
            "closed,complaints,count,0",
        ],
    );
}
