//! Issue 22, items 7-9, through the real binary: a Maildir in, the file outbox out,
//! `--now` moving through real dates.
//!
//! - 7: a resident's reply after our response opens the next stage only when it asks
//!   for it; an uncertain one is flagged for an officer, who confirms it in one action
//!   with the reply's date as the request date; a request after the window is refused
//!   in the preset's terms.
//! - 8: a staff alert with nobody to name goes to the council's complaints address, and
//!   `tick` says so.
//! - 9: a deadline met by a letter held to print and post is "held to post" until the
//!   letter is posted, and then met on the day it was posted.
//!
//! Bath & North East Somerset (shared/seeds/002_fccd42a92619dcdc.txt): l.177 "If we
//! haven't heard from you again after 20 working days from the date of our reply, we
//! will assume the issue is resolved to your satisfaction and we will close your
//! complaint"; l.154 acknowledgement "within 5 working days of receipt".

use crate::site;

use site::Site;

const R: &str = "BNES-2026-00001";

/// Ivy's reply `n` on the answered Bath case, received at `now` and read by `tick`:
/// tick's output.
fn reply(s: &Site, n: &str, subject: &str, body: &str, now: &str) -> String {
    s.mail(
        n,
        "Ivy <ivy@example.org>",
        subject,
        body,
        &format!("t{n}@example.org"),
    );
    assert!(s.run(now, &["poll"]).contains(&format!("attached to {R}")));
    s.run(now, &["tick"])
}

fn stage_and_state(s: &Site, now: &str) -> (String, String) {
    let v = s.case(now, R);
    (
        v["case"]["stage"].as_str().unwrap().to_string(),
        v["case"]["state"].as_str().unwrap().to_string(),
    )
}

/// Staff mail in the file outbox: (To, Subject, body) of each notice.
fn notices(s: &Site) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(s.path().join("outbox")) else {
        return out;
    };
    let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("notice.") {
            continue;
        }
        let raw = std::fs::read(&f).unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_string();
        out.push((
            to,
            m.subject().unwrap_or("").to_string(),
            m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        ));
    }
    out
}

#[test]
fn thanks_and_negations_in_residents_words_open_no_stage() {
    let s = Site::bath_case_answered("");
    // Each reply after our response of Tue 3 Nov; the first under a subject that says
    // "complaint", as residents' replies often do.
    for (n, subject, body, now) in [
        (
            "2",
            "Re: [Ref BNES-2026-00001] My complaint about the graffiti",
            "I am no longer dissatisfied, please close it.",
            "2026-11-04T09:00:00Z",
        ),
        (
            "3",
            &format!("Re: [Ref {R}] Our response to your complaint: upheld") as &str,
            "Thank you so much for getting the wall cleaned. I'm happy for you to close my complaint now.",
            "2026-11-05T09:00:00Z",
        ),
        (
            "4",
            "[Ref BNES-2026-00001] Graffiti",
            "I don't want to take this further, the wall looks fine. Thanks again",
            "2026-11-06T09:00:00Z",
        ),
        (
            "5",
            "complaint - graffiti on the underpass [Ref BNES-2026-00001]",
            "Just to say there's no need to escalate, I'm not dissatisfied any more.",
            "2026-11-09T09:00:00Z",
        ),
    ] {
        let out = reply(&s, n, subject, body, now);
        assert!(
            out.contains(&format!("{R}: customer replied, flagged for the officer")),
            "{body}: {out}"
        );
        assert!(!out.contains("review"), "{body}: {out}");
        assert_eq!(
            stage_and_state(&s, now),
            ("stage1".into(), "awaiting-customer".into()),
            "{body}"
        );
    }
    // No escalation acknowledgement went.
    s.run("2026-11-09T09:05:00Z", &["send"]);
    assert!(s
        .letters()
        .iter()
        .all(|(subject, _, _)| !subject.contains("take your complaint further")));
}

#[test]
fn a_clear_request_opens_stage_two() {
    let s = Site::bath_case_answered("");
    let out = reply(
        &s,
        "2",
        "Still not right [Ref BNES-2026-00001]",
        "I remain dissatisfied with your response and I want a Stage 2 review please.",
        "2026-11-10T09:00:00Z",
    );
    assert!(
        out.contains(&format!(
            "{R}: customer asked for a review, escalation request acknowledged"
        )),
        "{out}"
    );
    assert_eq!(
        stage_and_state(&s, "2026-11-10T09:00:00Z").0,
        "stage2".to_string()
    );
    // Stage 2's acknowledgement counts from the reply: Tue 10 Nov.
    let v = s.case("2026-11-10T09:00:00Z", R);
    let ack = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == "stage2" && d["kind"] == "acknowledge")
        .unwrap()
        .clone();
    assert_eq!(ack["from_date"], "2026-11-10", "{ack}");
}

#[test]
fn an_uncertain_reply_is_flagged_and_confirmed_by_the_officer_with_the_replys_date() {
    let s = Site::bath_case_answered("");
    let window = s.due("2026-11-04T09:00:00Z", R, "stage1", "escalation-window");
    assert_eq!(window, "2026-12-01");
    // Wed 25 Nov, within the window: the resident is unsure.
    let out = reply(
        &s,
        "2",
        &format!("Re: [Ref {R}] Our response to your complaint: upheld"),
        "The graffiti is back already. I'm not sure whether to ask for a review or wait and see?",
        "2026-11-25T09:00:00Z",
    );
    assert!(
        out.contains(&format!(
            "{R}: customer's reply may ask for a review, flagged for the officer; mailed "
        )),
        "{out}"
    );
    let v = s.case("2026-11-25T09:00:00Z", R);
    assert_eq!(v["case"]["stage"], "stage1");
    assert!(
        v["case"]["flagged"]
            .as_str()
            .unwrap()
            .contains("possible review request in the customer's reply of 2026-11-25"),
        "{v}"
    );
    // The officer is told.
    s.run("2026-11-25T09:01:00Z", &["send"]);
    let n = notices(&s);
    assert!(
        n.iter().any(
            |(_, subject, body)| subject == &format!("[Ref {R}] possible review request")
                && body.contains(&format!("escalate {R} --from-reply"))
        ),
        "{n:?}"
    );
    // Wed 2 Dec: the window has ended, but the case is not closed under a reply that
    // may ask for a review.
    s.run("2026-12-02T07:00:00Z", &["tick"]);
    assert_eq!(
        stage_and_state(&s, "2026-12-02T07:00:00Z"),
        ("stage1".into(), "awaiting-customer".into())
    );
    // Thu 3 Dec: the officer reads it as a request and confirms it in one action.
    let out = s.run(
        "2026-12-03T10:00:00Z",
        &["escalate", R, "--from-reply", "--by", "ann"],
    );
    assert!(out.contains("stage2"), "{out}");
    let v = s.case("2026-12-03T10:00:00Z", R);
    assert_eq!(v["case"]["stage"], "stage2");
    // The request dates from the reply (Wed 25 Nov), not from today: stage 2's
    // acknowledgement counts from it (5 working days: Wed 2 Dec), and it was
    // acknowledged today.
    let d = |kind: &str| {
        v["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["stage"] == "stage2" && d["kind"] == kind)
            .unwrap()
            .clone()
    };
    assert_eq!(d("acknowledge")["from_date"], "2026-11-25");
    assert_eq!(d("acknowledge")["due"], "2026-12-02");
    assert_eq!(d("acknowledge")["met_on"], "2026-12-03");
    assert_eq!(d("decide")["from_date"], "2026-11-25");
    let window = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == "stage1" && d["kind"] == "escalation-window")
        .unwrap()
        .clone();
    assert_eq!(window["met_on"], "2026-11-25", "{window}");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["detail"].as_str().is_some_and(|d| d.contains(
            "the customer's reply of 2026-11-25 asks for a review (confirmed by an officer)"
        ))));
    s.run("2026-12-03T10:01:00Z", &["send"]);
    s.letter_with("Your request to take your complaint further");
}

#[test]
fn a_request_after_the_window_is_refused_in_the_presets_terms() {
    let s = Site::bath_case_answered("");
    // The window ended Tue 1 Dec; the daemon was down, and the reply came Wed 2 Dec.
    let out = reply(
        &s,
        "2",
        "Re: [Ref BNES-2026-00001] Review",
        "I want a review of my complaint.",
        "2026-12-02T09:00:00Z",
    );
    assert!(
        out.contains(&format!(
            "{R}: customer asked for a review after the window, refused as too late; mailed "
        )),
        "{out}"
    );
    assert!(!out.contains("escalation request acknowledged"), "{out}");
    let v = s.case("2026-12-02T09:00:00Z", R);
    assert_eq!(v["case"]["stage"], "stage1");
    assert!(
        v["case"]["flagged"].as_str().unwrap().contains(
            "review request refused as too late: the Bath & North East Somerset Council policy gives the customer 20 working days from our Stage 1 response to ask for Stage 2 Review, which ended on 2026-12-01 Tue"
        ),
        "{v}"
    );
    // An officer cannot open stage 2 on it either: one line, in the preset's terms.
    let err = s.fails(
        "2026-12-02T10:00:00Z",
        &["escalate", R, "--from-reply", "--by", "ann"],
    );
    assert!(err.contains("too late for a review"), "{err}");
}

#[test]
fn a_request_within_the_window_is_taken_even_when_the_tick_comes_after_it_ended() {
    // The reply came on the window's last day (Tue 1 Dec, evening); the next tick runs
    // on Wed 2 Dec, when the window has lapsed. The request was in time.
    let s = Site::bath_case_answered("");
    s.mail(
        "2",
        "Ivy <ivy@example.org>",
        "[Ref BNES-2026-00001] Review please",
        "Please escalate my complaint, the graffiti is back.",
        "t2@example.org",
    );
    s.run("2026-12-01T21:00:00Z", &["poll"]);
    let out = s.run("2026-12-02T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{R}: customer asked for a review, escalation request acknowledged"
        )),
        "{out}"
    );
    assert!(!out.contains("auto-closed"), "{out}");
    assert_eq!(
        stage_and_state(&s, "2026-12-02T07:00:00Z").0,
        "stage2".to_string()
    );
}

#[test]
fn with_no_staff_configured_tick_mails_the_complaints_address_and_says_so() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    // The same site with no [[staff]] and no digest.
    let cfg = std::fs::read_to_string(s.path().join("redress.toml")).unwrap();
    let cut = cfg.find("[[staff]]").unwrap();
    std::fs::write(s.path().join("redress.toml"), &cfg[..cut]).unwrap();
    s.mail(
        "1",
        "Ann Resident <ann.resident@example.org>",
        "Missed bins",
        "I wish to complain: my bin has been missed three times.",
        "c1@example.org",
    );
    s.run("2026-12-14T09:30:00Z", &["poll"]);
    // Response due Thu 7 Jan 2027; two working days before, the alert.
    let out = s.run("2027-01-05T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{R}: stage1 response due 2027-01-07; mailed complaints@council.example"
        )),
        "{out}"
    );
    assert!(!out.contains("officer and manager alerted"), "{out}");
    s.run("2027-01-05T07:01:00Z", &["send"]);
    let n = notices(&s);
    assert!(
        n.iter()
            .any(|(to, subject, _)| to == "complaints@council.example"
                && subject == &format!("[Ref {R}] response due 2027-01-07 Thu")),
        "{n:?}"
    );
}

/// A complaint by letter from a resident with no email, recorded Wed 4 Nov 2026
/// (received Mon 2 Nov): its acknowledgement is held to print and post.
fn postal_case() -> Site {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let reference = s.run(
        "2026-11-04T10:00:00Z",
        &[
            "new",
            "--name",
            "Mrs Ivy Stone",
            "--address",
            "12 Acacia Avenue",
            "--address",
            "Keynsham BS31 1AA",
            "--via",
            "letter",
            "--subject",
            "Missed bin collections",
            "--received",
            "2026-11-02",
            "--by",
            "ann",
        ],
    );
    assert_eq!(reference.trim(), R);
    s
}

fn ack_status(s: &Site, now: &str) -> String {
    let out = s.run(now, &["case", R]);
    out.lines()
        .find(|l| l.trim_start().starts_with("stage1") && l.contains("acknowledge"))
        .unwrap_or_else(|| panic!("no acknowledge line in {out}"))
        .to_string()
}

#[test]
fn an_acknowledgement_held_to_post_is_not_met_until_it_is_posted() {
    let s = postal_case();
    // Asked for on Wed 4 Nov, but it waits for an officer to print and post it.
    let line = ack_status(&s, "2026-11-04T10:00:00Z");
    assert!(line.contains("held to post since 2026-11-04"), "{line}");
    assert!(!line.contains("met"), "{line}");
    s.run("2026-11-04T10:01:00Z", &["send"]);
    let line = ack_status(&s, "2026-11-05T10:00:00Z");
    assert!(line.contains("held to post since 2026-11-04"), "{line}");
    let id: i64 = s
        .db()
        .query_row(
            "SELECT id FROM letters WHERE kind = 'acknowledgement' AND status = 'held'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Fri 6 Nov: the officer posts it.
    s.run(
        "2026-11-06T11:00:00Z",
        &["outbox", "--posted", &id.to_string(), "--by", "ann"],
    );
    let line = ack_status(&s, "2026-11-06T11:01:00Z");
    assert!(line.contains("met 2026-11-06"), "{line}");
    assert!(!line.contains("held"), "{line}");
    let v = s.case("2026-11-06T11:01:00Z", R);
    let ack = v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "acknowledge")
        .unwrap()
        .clone();
    assert_eq!(ack["met_on"], "2026-11-06", "{ack}");
    assert!(ack["held_letter"].is_null(), "{ack}");
    let history = s.run("2026-11-06T11:01:00Z", &["case", R, "--history"]);
    assert!(
        history.contains("acknowledge deadline (stage1) met on 2026-11-06, the day it was posted"),
        "{history}"
    );
}

#[test]
fn the_managers_notice_says_a_holding_letter_to_post_waits_to_be_posted() {
    let s = postal_case();
    s.run(
        "2026-11-04T10:05:00Z",
        &["assign", R, "ann", "--by", "lead"],
    );
    // Response due Mon 23 Nov, none sent; Tue 24 Nov the scheduler's holding letter,
    // with a new date 10 working days on: Mon 7 Dec.
    let out = s.run("2026-11-24T07:00:00Z", &["tick"]);
    assert!(
        out.contains(
            "holding letter to 2026-12-07 (to print and post), escalated; mailed ann, bob"
        ),
        "{out}"
    );
    s.run("2026-11-24T07:01:00Z", &["send"]);
    let n = notices(&s);
    let (_, subject, body) = n
        .iter()
        .find(|(to, subject, _)| to == "bob@council.example" && subject.contains("overdue"))
        .unwrap_or_else(|| panic!("{n:?}"));
    assert_eq!(
        subject,
        &format!("[Ref {R}] response overdue: holding letter to post")
    );
    assert!(
        body.contains("A holding letter to the customer is waiting to be printed and posted"),
        "{body}"
    );
    assert!(!body.contains("has been sent"), "{body}");
}

#[test]
fn a_request_by_phone_after_the_window_is_refused_in_the_presets_terms() {
    let s = Site::bath_case_answered("");
    // Within the window (ends Tue 1 Dec): taken.
    let s2 = Site::bath_case_answered("");
    s2.run("2026-12-01T15:00:00Z", &["escalate", R, "--by", "ann"]);
    assert_eq!(stage_and_state(&s2, "2026-12-01T15:00:00Z").0, "stage2");
    // Wed 2 Dec, before any tick closed it: refused, one line, nothing changed.
    let err = s.fails("2026-12-02T08:00:00Z", &["escalate", R, "--by", "ann"]);
    assert!(
        err.contains(&format!("{R}: too late for a review: the Bath & North East Somerset Council policy gives the customer 20 working days from our Stage 1 response to ask for Stage 2 Review, which ended on 2026-12-01 Tue; after that the complaint is closed")),
        "{err}"
    );
    assert_eq!(
        stage_and_state(&s, "2026-12-02T08:00:00Z"),
        ("stage1".into(), "awaiting-customer".into())
    );
}

#[test]
fn a_response_held_to_post_counts_as_sent_on_the_day_it_is_posted() {
    let s = postal_case();
    // Thu 12 Nov: the stage 1 response, held to print and post.
    s.respond(
        "2026-11-12T10:00:00Z",
        R,
        "upheld",
        "The crew will collect your bin on its usual day.",
    );
    s.run("2026-11-12T10:01:00Z", &["send"]);
    let out = s.run("2026-11-12T10:02:00Z", &["case", R]);
    let respond = out
        .lines()
        .find(|l| l.trim_start().starts_with("stage1") && l.contains("respond"))
        .unwrap();
    assert!(
        respond.contains("held to post since 2026-11-12"),
        "{respond}"
    );
    let id: i64 = s
        .db()
        .query_row(
            "SELECT id FROM letters WHERE kind = 'stage-response' AND status = 'held'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Mon 16 Nov: posted. The response was sent that day, in the case and the figures.
    s.run(
        "2026-11-16T09:00:00Z",
        &["outbox", "--posted", &id.to_string(), "--by", "ann"],
    );
    assert_eq!(
        s.case("2026-11-16T09:01:00Z", R)["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "respond")
            .unwrap()["met_on"],
        "2026-11-16"
    );
    let sent_on: String = s
        .db()
        .query_row("SELECT sent_on FROM responses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sent_on, "2026-11-16");
}
