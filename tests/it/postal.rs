//! Issue 13, item 1: complaints made by phone, by letter or in person are recorded with
//! `redress new`, acknowledged and answered like any other; a resident with only a postal
//! address gets their letters as PDFs to print and post (`outbox --pdf`, `--posted`).
//!
//! Bath & NES (shared/seeds/002_fccd42a92619dcdc.txt): l.154 "Each complaint will be
//! acknowledged in an appropriate format (email, phone or letter) within 5 working days of
//! receipt"; l.159 "A full response will be provided within 15 working days from receipt
//! of the complaint"; l.207 complaints may be made "in person at our One Stop Shops".

use crate::bin;
use crate::site;

use site::Site;

/// The letters on a case: (id, kind, status, held reason).
fn letters(s: &Site, reference: &str) -> Vec<(i64, String, String, Option<String>)> {
    let db = s.db();
    let mut st = db
        .prepare(
            "SELECT l.id, l.kind, l.status, l.held_reason FROM letters l JOIN cases c ON c.id = l.case_id
             WHERE c.reference = ?1 ORDER BY l.id",
        )
        .unwrap();
    let v = st
        .query_map([reference], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    v
}

fn events(s: &Site, now: &str, reference: &str) -> String {
    s.run(now, &["case", reference, "--history"])
}

#[test]
fn a_letter_complaint_with_only_a_postal_address_is_acknowledged_answered_and_posted() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    // The letter arrived on Monday 2 November 2026; it is recorded on Wednesday 4th.
    let now = "2026-11-04T10:00:00Z";
    let reference = s
        .run(
            now,
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
        )
        .trim()
        .to_string();
    assert_eq!(reference, "BNES-2026-00001");
    let case = s.case(now, &reference);
    // Acknowledged on the day it was recorded, inside the 5 working days (l.154).
    assert_eq!(case["case"]["state"], "acknowledged", "{case}");
    let ack = case["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "acknowledge")
        .unwrap()
        .clone();
    assert_eq!(ack["met_on"], "2026-11-04", "{ack}");
    // l.159: 15 working days from receipt, Monday 2 November being day 0: Monday 23rd.
    assert_eq!(s.due(now, &reference, "stage1", "respond"), "2026-11-23");
    let history = events(&s, now, &reference);
    assert!(history.contains("received by letter"), "{history}");
    assert!(history.contains("officer:ann"), "{history}");

    // `send` renders the acknowledgement and holds it: there is no email to send it to.
    s.run(now, &["send"]);
    let l = letters(&s, &reference);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(
        (l[0].1.as_str(), l[0].2.as_str(), l[0].3.as_deref()),
        (
            "acknowledgement",
            "held",
            Some("no email address: print and post")
        )
    );
    assert!(s.letters().is_empty(), "nothing is emailed");
    // The officer prints it: the PDF is addressed to the resident's postal address.
    let id = l[0].0.to_string();
    let pdf = s.path().join("ack.pdf");
    let out = s.run(
        now,
        &["outbox", "--pdf", &id, "--out", pdf.to_str().unwrap()],
    );
    assert!(
        out.contains("acknowledgement letter on BNES-2026-00001, held"),
        "{out}"
    );
    let text = bin::pdf_text(&pdf);
    for want in [
        "Mrs Ivy Stone",
        "12 Acacia Avenue",
        "Keynsham BS31 1AA",
        "BNES-2026-00001",
    ] {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
    assert!(!text.contains("By email"), "{text}");
    // A posted letter does not ask for a reply to an email: the site's council gives a
    // telephone number and no postal address.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("call us on 01225 000000, quoting the reference"),
        "{flat}"
    );
    assert!(!flat.contains("reply to this email"), "{flat}");
    // ... and records it as posted.
    s.run(now, &["outbox", "--posted", &id, "--by", "ann"]);
    assert_eq!(letters(&s, &reference)[0].2, "sent");

    // The officer answers it; the response is held to post as well.
    s.respond(
        "2026-11-20T10:00:00Z",
        &reference,
        "upheld",
        "Your bin is back on the round.",
    );
    let case = s.case("2026-11-20T10:00:00Z", &reference);
    assert_eq!(case["case"]["state"], "awaiting-customer", "{case}");
    s.run("2026-11-20T10:00:00Z", &["send"]);
    let l = letters(&s, &reference);
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(
        (l[1].2.as_str(), l[1].3.as_deref()),
        ("held", Some("no email address: print and post"))
    );
    let pdf = s.path().join("response.pdf");
    s.run(
        "2026-11-20T10:00:00Z",
        &[
            "outbox",
            "--pdf",
            &l[1].0.to_string(),
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    let text = bin::pdf_text(&pdf);
    assert!(text.contains("Your bin is back on the round."), "{text}");
    assert!(text.contains("12 Acacia Avenue"), "{text}");
}

#[test]
fn a_phone_complaint_with_an_email_is_acknowledged_by_email() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let now = "2026-11-04T10:00:00Z";
    let reference = s
        .run(
            now,
            &[
                "new",
                "--email",
                "Jo@Example.net",
                "--name",
                "Jo Bloggs",
                "--via",
                "phone",
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
    assert_eq!(s.case(now, &reference)["case"]["state"], "acknowledged");
    s.run(now, &["send"]);
    let (subject, body, pdf) = s.letter_with(&reference);
    assert!(pdf, "{subject}");
    assert!(body.contains("Jo Bloggs"), "{body}");
    assert!(
        body.contains("reply to this email and keep the reference"),
        "{body}"
    );
    assert!(events(&s, now, &reference).contains("received by phone"));
}

#[test]
fn new_refuses_a_customer_it_cannot_write_to_and_touches_nothing() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let now = "2026-11-04T10:00:00Z";
    let err = s.fails(now, &["new", "--address", " ", "--by", "ann"]);
    assert!(err.contains("needs a postal address"), "{err}");
    // clap's own usage error names what is missing.
    let r = bin::run(
        s.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            now,
            "new",
            "--name",
            "Jo",
            "--by",
            "ann",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--email"), "{}", r.stderr);
    let err = s.fails(now, &["new", "--email", "not-an-address", "--by", "ann"]);
    assert!(err.contains("not an email address"), "{err}");
    // No case was opened by any of them.
    let cases = s.run(now, &["cases", "--json"]);
    assert_eq!(cases.trim(), "[]", "{cases}");
}

#[test]
fn a_case_opened_without_an_acknowledgement_can_be_acknowledged_and_postal_details_corrected() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let now = "2026-11-04T10:00:00Z";
    // A service request recorded by hand gets no acknowledgement: its letter must say
    // where to go, so `acknowledge` refuses it with a reason, changing nothing.
    let reference = s
        .run(
            now,
            &[
                "new",
                "--kind",
                "service-request",
                "--address",
                "1 High St",
                "--via",
                "in-person",
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
    assert_eq!(s.case(now, &reference)["case"]["state"], "received");
    let err = s.fails(now, &["acknowledge", &reference, "--by", "ann"]);
    assert!(err.contains("not an acknowledgement"), "{err}");
    assert!(letters(&s, &reference).is_empty());
    // Reclassified as a complaint, it can be acknowledged, by post.
    s.run(
        now,
        &["classify", &reference, "--as", "complaint", "--by", "ann"],
    );
    let out = s.run(now, &["acknowledge", &reference, "--by", "ann"]);
    assert!(out.contains("acknowledged"), "{out}");
    assert_eq!(s.case(now, &reference)["case"]["state"], "acknowledged");
    // Acknowledging twice is refused.
    s.fails(now, &["acknowledge", &reference, "--by", "ann"]);
    assert_eq!(letters(&s, &reference).len(), 1);
    // The customer has no email: their details are found by the case reference.
    s.run(
        now,
        &[
            "customer",
            &reference,
            "--name",
            "Sam Lee",
            "--address",
            "2 High St",
            "--address",
            "Bath BA1 1AA",
            "--by",
            "ann",
        ],
    );
    s.run(now, &["send"]);
    let id = letters(&s, &reference)[0].0.to_string();
    let pdf = s.path().join("ack.pdf");
    s.run(
        now,
        &["outbox", "--pdf", &id, "--out", pdf.to_str().unwrap()],
    );
    let text = bin::pdf_text(&pdf);
    assert!(
        text.contains("Sam Lee") && text.contains("Bath BA1 1AA"),
        "{text}"
    );
    assert!(!text.contains("1 High St"), "{text}");
    let history = events(&s, now, &reference);
    assert!(history.contains("customer details corrected"), "{history}");
    // A letter not yet rendered has no PDF to print: said so, nothing written.
    let err = s.fails(now, &["outbox", "--pdf", "99", "--out", "x.pdf"]);
    assert!(err.contains("99"), "{err}");
    assert!(!s.path().join("x.pdf").exists());
}
