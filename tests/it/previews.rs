//! Issue 13, item 5: every letter an officer sends can be previewed first. `extend`,
//! `decide`, `restrict` (and `reply`, `exclude`) take `--preview F.pdf`: the PDF is
//! the letter the action would send, and nothing is written: the case's history and
//! deadlines, the customer and the outbox are as they were. `close` sends no letter, so
//! its preview is a one-line refusal.

use crate::bin;
use crate::site;
use site::Site;

const RECEIVED: &str = "2026-12-14T09:30:00Z";
const LATER: &str = "2026-12-16T10:00:00Z";
const ANN: &str = "ann.resident@example.org";

/// A site with one complaint from Ann Resident, received and acknowledged Mon 14 Dec 2026.
fn site_with_case(policy: &str, prefix: &str) -> (Site, String) {
    let s = Site::new(policy, prefix);
    s.mail(
        "1",
        "Ann Resident <ann.resident@example.org>",
        "Missed bins",
        "I wish to complain: my bin has been missed three times.",
        "c1@example.org",
    );
    s.run(RECEIVED, &["poll"]);
    s.run(RECEIVED, &["send"]);
    (s, format!("{prefix}-2026-00001"))
}

/// Everything a preview must leave alone: the case as `case --json` shows it (state,
/// deadlines, events), every letter row and the customer's restriction.
fn snapshot(s: &Site, r: &str, email: &str) -> String {
    let case = s.case(LATER, r);
    let db = s.db();
    let letters: Vec<String> = db
        .prepare("SELECT id || ' ' || kind || ' ' || status FROM letters ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let restriction: Option<String> = db
        .query_row(
            "SELECT restriction FROM customers WHERE email = ?1",
            [email],
            |row| row.get(0),
        )
        .unwrap();
    format!("{case}\n{letters:?}\n{restriction:?}")
}

/// `args` with `--preview out.pdf` at `LATER`: the PDF's text, words joined by single spaces.
fn preview(s: &Site, args: &[&str], out: &str) -> String {
    let mut all = args.to_vec();
    all.extend(["--preview", out]);
    let said = s.run(LATER, &all);
    assert!(said.contains("nothing sent or changed"), "{said}");
    words(&bin::pdf_text(&s.path().join(out)))
}

fn words(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plain text of the one letter sent whose subject contains `subject`, words joined.
fn sent(s: &Site, subject: &str) -> String {
    s.run(LATER, &["send"]);
    words(&s.letter_with(subject).1)
}

#[test]
fn extend_preview_is_the_extension_letter_and_changes_nothing() {
    // shared/seeds/000_874d316bb45d79e3.txt l.182: "If we are not able to do this, we can
    // extend the timescale and we will let the customer know."
    let (s, r) = site_with_case("buckinghamshire", "BUCKS");
    let before = snapshot(&s, &r, ANN);
    let args = [
        "extend",
        &r,
        "--days",
        "10",
        "--reason",
        "we are waiting for the crew's records",
        "--by",
        "ann",
    ];
    let text = preview(&s, &args, "extend.pdf");
    // The response was due Thu 14 Jan 2027; 10 working days on is Thu 28 Jan.
    assert!(
        text.contains("because we are waiting for the crew's records"),
        "{text}"
    );
    assert!(
        text.contains("by 10 working days, and we will now respond by Thursday 28 January 2027"),
        "{text}"
    );
    assert!(text.contains(&format!("[Ref {r}]")), "{text}");
    assert_eq!(snapshot(&s, &r, ANN), before, "a preview changes nothing");
    assert_eq!(s.due(LATER, &r, "stage1", "respond"), "2027-01-14");
    // The action itself sends what the preview showed.
    s.run(LATER, &args);
    let letter = sent(&s, "We need more time");
    assert!(
        letter.contains("because we are waiting for the crew's records")
            && letter.contains("we will now respond by Thursday 28 January 2027"),
        "{letter}"
    );
}

#[test]
fn decide_preview_is_the_review_decision_as_the_accepted_case_would_have_it() {
    // shared/seeds/002_fccd42a92619dcdc.txt l.163: "We will review and determine a
    // request for a Stage 2 Review within a period of 10 working days."
    let s = Site::bath_case_answered("");
    let r = "BNES-2026-00001";
    s.run("2026-11-04T09:00:00Z", &["escalate", r, "--by", "ann"]);
    s.run("2026-11-04T09:00:00Z", &["send"]);
    let before = snapshot(&s, r, "ivy@example.org");
    let args = [
        "decide",
        r,
        "--decision",
        "accept",
        "--reason",
        "Your concerns about the cleaning were not all answered.",
        "--by",
        "bob",
    ];
    let text = preview(&s, &args, "decide.pdf");
    assert!(
        text.contains(
            "We have accepted your request. Your concerns about the cleaning were not all answered."
        ),
        "{text}"
    );
    // Rendered on the case as the decision leaves it: at stage 2, with its response date.
    assert!(text.contains("We will send you our response by"), "{text}");
    assert_eq!(
        snapshot(&s, r, "ivy@example.org"),
        before,
        "a preview changes nothing"
    );
    assert_eq!(s.case(LATER, r)["case"]["state"], "escalation-requested");
    s.run(LATER, &args);
    let letter = sent(&s, "Our decision on your request for a review");
    let promised = text
        .split("We will send you our response by ")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap();
    assert!(
        letter.contains(&format!("We will send you our response by {promised}.")),
        "preview said {promised}; the letter: {letter}"
    );
}

#[test]
fn restrict_preview_is_the_notice_and_restricts_no_one() {
    // shared/seeds/002_fccd42a92619dcdc.txt l.328 ("Such contact shall be restricted to
    // letter only") and l.332 ("The Monitoring Officer will inform the person of when
    // this decision will be reviewed").
    let (s, r) = site_with_case("bath-and-north-east-somerset", "BNES");
    let before = snapshot(&s, &r, ANN);
    let args = [
        "restrict",
        "ann.resident@example.org",
        "--level",
        "letter-only",
        "--review",
        "2027-06-01",
        "--reason",
        "the number of emails sent to many officers",
        "--immediate",
        "threats to staff",
        "--by",
        "bob",
    ];
    let text = preview(&s, &args, "restrict.pdf");
    assert!(
        text.contains("because of the number of emails sent to many officers"),
        "{text}"
    );
    assert!(
        text.contains("we will communicate with you by letter only"),
        "{text}"
    );
    assert!(
        text.contains("We will review this decision on Tuesday 1 June 2027"),
        "{text}"
    );
    assert_eq!(snapshot(&s, &r, ANN), before, "a preview restricts no one");
    // Once restricted, the same restriction again sends no notice: nothing to preview.
    s.run(LATER, &args);
    let err = s.fails(LATER, &[&args[..], &["--preview", "again.pdf"]].concat());
    assert!(err.contains("restrict sends no letter"), "{err}");
    assert!(!s.path().join("again.pdf").exists());
}

#[test]
fn close_sends_no_letter_so_its_preview_is_refused() {
    let (s, r) = site_with_case("bath-and-north-east-somerset", "BNES");
    let before = snapshot(&s, &r, ANN);
    let err = s.fails(
        LATER,
        &[
            "close",
            &r,
            "--reason",
            "withdrawn",
            "--preview",
            "close.pdf",
            "--by",
            "ann",
        ],
    );
    assert!(
        err.contains("close sends no letter here: nothing to preview"),
        "{err}"
    );
    assert!(!s.path().join("close.pdf").exists());
    assert_eq!(snapshot(&s, &r, ANN), before);
    assert_eq!(s.case(LATER, &r)["case"]["state"], "acknowledged");
}

#[test]
fn a_refused_action_is_refused_in_its_preview_too() {
    // Buckinghamshire's stage 1: an extension needs a reason the customer is told
    // (shared/seeds/000_874d316bb45d79e3.txt l.182, "we will let the customer know").
    let (s, r) = site_with_case("buckinghamshire", "BUCKS");
    let before = snapshot(&s, &r, ANN);
    let err = s.fails(
        LATER,
        &[
            "extend",
            &r,
            "--days",
            "5",
            "--reason",
            " ",
            "--preview",
            "x.pdf",
        ],
    );
    assert!(err.contains("--reason is required"), "{err}");
    assert!(!s.path().join("x.pdf").exists());
    let err = s.fails(
        LATER,
        &[
            "decide",
            &r,
            "--decision",
            "refer-to-ombudsman",
            "--reason",
            "x",
            "--preview",
            "x.pdf",
        ],
    );
    assert!(err.contains("needs an escalation request"), "{err}");
    assert!(!s.path().join("x.pdf").exists());
    assert_eq!(snapshot(&s, &r, ANN), before);
}
