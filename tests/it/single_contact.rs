//! Issue 13, item 6: "`restrict --level single-contact` requires the contact and sends
//! letters in that officer's name". Bath & NES: "Their use of the Council's complaints
//! system will be limited to a single point of contact" (shared/seeds/
//! 002_fccd42a92619dcdc.txt l.327): once restricted, every letter to the resident names
//! and is signed by that contact, not the case officer or the complaints team.

use crate::bin;
use crate::site;
use site::Site;

const R: &str = "BNES-2026-00001";

fn words(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn site() -> Site {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[[staff]]\nname = \"dl0gin7\"\nemail = \"dee@council.example\"\n\
         display_name = \"Dee Rao\"\njob_title = \"Complaints Officer\"\n\
         [[staff]]\nname = \"sp4tel\"\nemail = \"sam@council.example\"\n\
         display_name = \"Sam Patel\"\njob_title = \"Customer Feedback Officer\"\n\
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
    s.run("2026-12-14T09:31:00Z", &["send"]);
    s.run(
        "2026-12-14T10:00:00Z",
        &["assign", R, "dl0gin7", "--by", "bob"],
    );
    s
}

fn ack_preview(s: &Site, now: &str) -> String {
    let pre = ["--config", "redress.toml", "--now", now];
    words(&bin::preview_text(s.path(), &pre, R, "acknowledgement"))
}

fn restrict(contact: &str) -> Vec<String> {
    [
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
        "--contact",
        contact,
        "--by",
        "bob",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn letters_after_a_single_contact_restriction_name_and_are_signed_by_the_contact() {
    let s = site();
    // Before: the case officer is named, the complaints team signs.
    let before = ack_preview(&s, "2026-12-15T09:00:00Z");
    assert!(
        before.contains("The officer handling it is Dee Rao, Complaints Officer."),
        "{before}"
    );
    assert!(
        before.contains("Yours sincerely, Complaints Team"),
        "{before}"
    );

    let args = restrict("sp4tel");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.run("2026-12-15T09:00:00Z", &args);
    s.run("2026-12-15T09:01:00Z", &["send"]);
    // The notice names the contact as residents should read it, not by login.
    let (_, notice, _) = s.letter_with("How we will communicate with you");
    let notice = words(&notice);
    assert!(
        notice.contains("through one person only: Sam Patel, Customer Feedback Officer."),
        "{notice}"
    );
    assert!(!notice.contains("sp4tel"), "{notice}");

    // After: letters name and are signed by the contact, not the case officer.
    let after = ack_preview(&s, "2026-12-16T09:00:00Z");
    assert!(
        after.contains("The officer handling it is Sam Patel, Customer Feedback Officer."),
        "{after}"
    );
    assert!(
        after.contains("Yours sincerely, Sam Patel, Customer Feedback Officer"),
        "{after}"
    );
    assert!(!after.contains("Dee Rao"), "{after}");
    // The stage response that goes out is signed by her too.
    s.respond(
        "2026-12-16T10:00:00Z",
        R,
        "upheld",
        "It has been collected.",
    );
    s.run("2026-12-16T10:01:00Z", &["send"]);
    let (_, response, _) = s.letter_with("Our response to your complaint");
    let response = words(&response);
    assert!(
        response.contains("Yours sincerely, Sam Patel, Customer Feedback Officer"),
        "{response}"
    );
    assert!(!response.contains("Complaints Team"), "{response}");
}

#[test]
fn a_contact_whose_login_letters_cannot_name_is_refused() {
    let s = site();
    let args = restrict("nodisp9");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = s.fails("2026-12-15T09:00:00Z", &args);
    assert!(
        err.contains("--contact nodisp9 has no display_name under [[staff]]"),
        "{err}"
    );
    let restricted: Option<String> = s
        .db()
        .query_row(
            "SELECT restriction FROM customers WHERE email = 'ann.resident@example.org'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(restricted, None, "nothing changed");
}

#[test]
fn a_new_contact_is_noticed_the_same_contact_again_is_not() {
    let s = site();
    let notices = || -> i64 {
        s.db()
            .query_row(
                "SELECT count(*) FROM letters WHERE kind = 'restriction-notice'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    for (contact, expected) in [("sp4tel", 1), ("sp4tel", 1), ("dl0gin7", 2)] {
        let args = restrict(contact);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s.run("2026-12-15T09:00:00Z", &args);
        assert_eq!(notices(), expected, "after --contact {contact}");
    }
}
