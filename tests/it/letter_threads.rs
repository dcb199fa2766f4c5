//! Issue 13, item 6: "Later letters reply to our thread, not to a resident's
//! out-of-office." A letter's In-Reply-To is the resident's latest message they wrote;
//! an automatic reply (Auto-Submitted, RFC 3834) to one of our letters never becomes it.

use crate::site;
use site::Site;

/// The raw text of the one letter in the outbox whose subject contains `subject`.
fn eml_with(s: &Site, subject: &str) -> String {
    let mut found: Vec<String> = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .filter(|raw| {
            raw.lines()
                .any(|l| l.starts_with("Subject:") && l.contains(subject))
        })
        .collect();
    assert_eq!(found.len(), 1, "one letter about '{subject}'");
    found.remove(0)
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

#[test]
fn a_letter_after_an_out_of_office_replies_to_the_residents_own_message() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let r = "BNES-2026-00001";
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Graffiti",
        "I wish to complain about graffiti.",
        "t1@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    s.run("2026-11-02T09:01:00Z", &["send"]);
    let ack = eml_with(&s, "[Ref BNES-2026-00001]");
    assert_eq!(header(&ack, "In-Reply-To"), Some("<t1@example.org>"));
    let ours = header(&ack, "Message-ID").unwrap().to_string();

    // Ivy's mail system answers our acknowledgement while she is away.
    s.deliver(
        "2",
        format!(
            "From: Ivy <ivy@example.org>\r\nTo: complaints@council.example\r\n\
             Subject: Automatic reply: Your complaint [Ref {r}]\r\n\
             Auto-Submitted: auto-replied\r\nMessage-ID: <ooo.1@example.org>\r\n\
             In-Reply-To: {ours}\r\nReferences: <t1@example.org> {ours}\r\n\r\n\
             I am out of the office until Monday.\r\n"
        )
        .as_bytes(),
    );
    s.run("2026-11-02T10:00:00Z", &["poll"]);
    // It joined her case (so it is a candidate parent), as mail from her.
    let on_case: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM messages WHERE message_id LIKE '%ooo.1@example.org%' AND case_id IS NOT NULL AND from_addr = 'ivy@example.org'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(on_case, 1);

    // The stage response replies to what Ivy wrote, not to her out-of-office.
    s.respond("2026-11-03T09:00:00Z", r, "upheld", "It has been cleaned.");
    s.run("2026-11-03T09:01:00Z", &["send"]);
    let response = eml_with(&s, "Our response");
    assert_eq!(
        header(&response, "In-Reply-To"),
        Some("<t1@example.org>"),
        "{response}"
    );
    assert!(!response.contains("ooo.1@example.org"), "{response}");
}
