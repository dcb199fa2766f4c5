//! Issue 13, item 16: reports count the outcomes of the responses sent in the period
//! (every stage and final response, by stage), not only those of closed cases; the
//! figures are the same after the cases are erased.

mod bin;
mod site;

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
