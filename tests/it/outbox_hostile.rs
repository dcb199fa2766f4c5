//! The outbox against hostile sender text, with the real binary and a real SMTP server
//! (aiosmtpd) on loopback: a control character in a stored name or subject, a letter
//! that cannot be built, a letter that keeps interrupting its sender, over-long
//! subjects and threading headers, and the exit status when nothing could be sent.

use crate::letters_support;

use letters_support::*;
use mail_parser::MessageParser;
use serde_json::json;

fn send(dir: &std::path::Path, now: &str) -> (Run, serde_json::Value) {
    let r = redress(
        dir,
        &["--config", "redress.toml", "--now", now, "send", "--json"],
    );
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", r.stdout, r.stderr));
    (r, v)
}

/// Every line of a raw message, without its line end, is at most 998 characters.
fn assert_lines_fit(raw: &[u8]) {
    for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(
            line.len() <= 998,
            "line {} is {} characters: {}...",
            i + 1,
            line.len(),
            String::from_utf8_lossy(&line[..80])
        );
    }
}

fn header_lines(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap().to_string();
    head.lines().map(str::to_string).collect()
}

#[test]
fn control_characters_in_a_stored_name_or_subject_are_stripped_and_the_letter_goes() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, mut w) = smtp_world(tmp.path(), &[]);
    // Legacy data, stored before names were cleaned on the way in: CR, LF, NUL, ESC.
    let hostile = w.complaint("jo@example.net", Some("Jo"), "2026-12-21T10:00:00Z");
    w.set_customer(
        "jo@example.net",
        "name",
        "Jo\r\nBcc: victim@example.org\0 \u{1b}[31mBloggs",
    );
    w.db()
        .execute(
            "UPDATE cases SET subject = ?2 WHERE id = ?1",
            rusqlite::params![hostile.id, "Bins\r\nX-Injected: yes\0 not collected"],
        )
        .unwrap();
    // Nothing printable at all: no display name.
    let blank = w.complaint("blank@example.net", Some("B"), "2026-12-21T10:00:00Z");
    w.set_customer("blank@example.net", "name", "\r\n\0\t");
    let a = w.acknowledge(&hostile, "2026-12-21T10:00:01Z");
    let b = w.acknowledge(&blank, "2026-12-21T10:00:02Z");

    let (r, v) = send(tmp.path(), "2026-12-21T10:01:00Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(v["send"]["sent"], 2, "{v}");
    assert_eq!(w.status(a), "sent");
    assert_eq!(w.status(b), "sent");

    let msgs = sink.messages();
    assert_eq!(msgs.len(), 2);
    let (to_jo, to_blank) = if String::from_utf8_lossy(&msgs[0]).contains("jo@example.net") {
        (&msgs[0], &msgs[1])
    } else {
        (&msgs[1], &msgs[0])
    };
    for m in [to_jo, to_blank] {
        assert!(!m.contains(&0u8), "no NUL in the message");
        assert!(!m.contains(&0x1bu8), "no ESC in the message");
        assert_lines_fit(m);
    }
    let heads = header_lines(to_jo);
    assert!(
        !heads
            .iter()
            .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:")),
        "no header injected: {heads:#?}"
    );
    let to: Vec<&String> = heads.iter().filter(|l| l.starts_with("To:")).collect();
    assert_eq!(to.len(), 1, "{heads:#?}");
    let parsed = MessageParser::default().parse(to_jo).unwrap();
    let to_addr = parsed.to().unwrap().first().unwrap();
    assert_eq!(to_addr.address(), Some("jo@example.net"));
    assert_eq!(
        to_addr.name(),
        Some("Jo Bcc: victim@example.org [31mBloggs"),
        "the name on one line, controls gone"
    );
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Dear Jo Bcc: victim@example.org [31mBloggs,"),
        "{text}"
    );
    assert!(
        text.contains("about \"Bins X-Injected: yes not collected\""),
        "{text}"
    );

    let parsed = MessageParser::default().parse(to_blank).unwrap();
    let to_addr = parsed.to().unwrap().first().unwrap();
    assert_eq!(to_addr.address(), Some("blank@example.net"));
    assert_eq!(to_addr.name(), None, "no display name is left");
    assert!(parsed.body_text(0).unwrap().contains("Dear Sir or Madam,"));
}

#[test]
fn a_letter_that_cannot_be_built_fails_with_its_reason_and_the_next_is_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, mut w) = smtp_world(tmp.path(), &[]);
    let bad = w.complaint("bad@example.net", Some("B"), "2026-12-21T10:00:00Z");
    let good = w.complaint("good@example.net", Some("G"), "2026-12-21T10:00:00Z");
    // An address no mail can go to (legacy data from before addresses were checked).
    w.set_customer(
        "bad@example.net",
        "email",
        "bad@@example.net\r\nRCPT TO:<x@y>",
    );
    let bad_id = w.acknowledge(&bad, "2026-12-21T10:00:01Z");
    let good_id = w.acknowledge(&good, "2026-12-21T10:00:02Z");

    let (r, v) = send(tmp.path(), "2026-12-21T10:01:00Z");
    assert_eq!(r.code, 0, "one letter went: {}", r.stderr);
    assert_eq!(v["send"]["failed"], 1, "{v}");
    assert_eq!(v["send"]["sent"], 1, "{v}");
    let l = w.store.letter(bad_id).unwrap();
    assert_eq!(l.status, "failed");
    let why = l.last_error.unwrap();
    assert!(
        why.contains("recipient address") && why.contains("not valid"),
        "{why}"
    );
    assert!(w
        .events(&bad)
        .iter()
        .any(|(k, d)| k == "letter failed" && d.contains("not valid")));
    assert_eq!(w.status(good_id), "sent");
    assert_eq!(sink.messages().len(), 1);
    // It is not tried again.
    let (r, v) = send(tmp.path(), "2026-12-21T11:00:00Z");
    assert_eq!(r.code, 0, "nothing was due: {}", r.stderr);
    assert_eq!(v["send"]["failed"], 0, "{v}");
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn a_letter_that_keeps_interrupting_its_sender_is_failed_after_max_attempts_and_the_queue_goes_on()
{
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let sink = Sink::start(port, &tmp.path().join("sink"), &[]);
    let mut w = world(write_config(
        tmp.path(),
        &smtp_outbox(port),
        "[letters]\nmax_attempts = 3\n",
    ));
    let mut ids = Vec::new();
    for (i, who) in [
        "poison@example.net",
        "again@example.net",
        "next@example.net",
    ]
    .iter()
    .enumerate()
    {
        let case = w.complaint(who, None, "2026-12-21T10:00:00Z");
        ids.push((
            case.clone(),
            w.request(
                &case,
                "acknowledgement",
                json!({}),
                true,
                None,
                None,
                &format!("2026-12-21T10:00:0{i}Z"),
            ),
        ));
    }
    redress::outbox::render_pending(&mut w.store, &w.config, at("2026-12-21T10:00:30Z")).unwrap();
    // As a sender that stopped mid-attempt leaves a row: 'sending', its attempt
    // counted, no result. The first has used all three attempts this way, the second two.
    let interrupted = |id: i64, attempts: i64| {
        w.db()
            .execute(
                "UPDATE letters SET status = 'sending', attempts = ?2,
                        last_attempt_at = '2026-12-21T10:01:00Z' WHERE id = ?1",
                rusqlite::params![id, attempts],
            )
            .unwrap();
    };
    let (poison_case, poison) = ids[0].clone();
    let (_, again) = ids[1].clone();
    let (_, next) = ids[2].clone();
    interrupted(poison, 3);
    interrupted(again, 2);

    let (r, v) = send(tmp.path(), "2026-12-21T10:20:00Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["send"]["failed"], 1, "{v}");
    assert_eq!(v["send"]["sent"], 2, "{v}");
    let l = w.store.letter(poison).unwrap();
    assert_eq!(l.status, "failed");
    assert_eq!(l.attempts, 3, "not tried a fourth time");
    let why = l.last_error.unwrap();
    assert!(
        why.contains("after 3 attempts") && why.contains("interrupted while sending"),
        "{why}"
    );
    assert!(w
        .events(&poison_case)
        .iter()
        .any(|(k, d)| k == "letter failed" && d.contains("interrupted while sending")));
    let case = w.store.find_case(&poison_case.reference).unwrap();
    assert!(case
        .flagged
        .unwrap()
        .contains("acknowledgement letter failed"));
    // Under the limit it is resent (its third attempt), and the queue behind goes.
    let l = w.store.letter(again).unwrap();
    assert_eq!((l.status.as_str(), l.attempts), ("sent", 3));
    assert_eq!(w.status(next), "sent");
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 2);
    let poison_mid = w.store.letter(poison).unwrap().message_id;
    assert!(msgs
        .iter()
        .all(|m| !String::from_utf8_lossy(m).contains(&poison_mid)));

    // The same letter interrupted once more after it was resent: now at the limit too.
    interrupted(again, 3);
    let (r, v) = send(tmp.path(), "2026-12-21T11:00:00Z");
    assert_eq!(v["send"]["failed"], 1, "{v}");
    assert_eq!(w.status(again), "failed");
    assert_eq!(sink.messages().len(), 2, "not sent again");
    // Nothing was delivered and one failed: letters were due, none delivered.
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn send_exits_3_when_letters_were_due_and_none_could_be_delivered() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port(); // nothing listens here
    let mut w = world(write_config(tmp.path(), &smtp_outbox(port), ""));
    // Nothing due: nothing to report, whatever the server.
    let (r, v) = send(tmp.path(), "2026-12-21T09:00:00Z");
    assert_eq!(v["send"]["sent"], 0, "{v}");
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (i, who) in ["a@example.net", "b@example.net"].iter().enumerate() {
        let case = w.complaint(who, None, "2026-12-21T10:00:00Z");
        w.request(
            &case,
            "acknowledgement",
            json!({}),
            true,
            None,
            None,
            &format!("2026-12-21T10:00:0{i}Z"),
        );
    }
    let (r, v) = send(tmp.path(), "2026-12-21T10:01:00Z");
    assert_eq!(r.code, 3, "server down: {}", r.stderr);
    assert_eq!(v["send"]["sent"], 0, "{v}");
    assert_eq!(v["send"]["retried"], 1, "{v}");
    assert_eq!(v["send"]["deferred"], 1, "{v}");
    // One line says so (after the log's warnings about each letter).
    let said: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("none was delivered"))
        .collect();
    assert_eq!(said.len(), 1, "{}", r.stderr);
    assert!(
        said[0].contains("1 to retry later, 1 not tried"),
        "{}",
        r.stderr
    );
    // Without --json the same.
    let out = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T10:03:00Z",
            "send",
        ],
    );
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.contains("sent 0"), "{}", out.stdout);

    // The server is back: delivered, 0.
    let sink = Sink::start(port, &tmp.path().join("sink"), &[]);
    let (r, v) = send(tmp.path(), "2026-12-21T11:00:00Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["send"]["sent"], 2, "{v}");
    assert_eq!(sink.messages().len(), 2);

    // `send --help` documents the status.
    let help = redress(tmp.path(), &["send", "--help"]);
    assert!(
        help.stdout.contains("3 when letters were due"),
        "{}",
        help.stdout
    );
}

/// A real message, as a web form or a careless mailer might send it: a 5,000-character
/// subject folded over many lines with newlines inside encoded words, a Message-ID of
/// 1,200 characters and a References header of 200 long ids.
fn monster_message() -> Vec<u8> {
    let mut subject = String::from("Subject: Complaint about the bins");
    let mut n = subject.len();
    let mut i = 0;
    while n < 5000 {
        // Alternate plain folded words and encoded words carrying CR LF.
        let piece = if i % 3 == 0 {
            format!("\r\n =?UTF-8?Q?line_{i}=0D=0Anext?=")
        } else {
            format!("\r\n and again the lorry missed number {i} on Acacia Avenue")
        };
        n += piece.len();
        subject.push_str(&piece);
        i += 1;
    }
    let long_id = format!("<{}@forms.example.org>", "m".repeat(1200));
    let mut refs = String::from("References:");
    for k in 0..200 {
        refs.push_str(&format!(
            "\r\n <thread-{k}-{}@mail.example.org>",
            "r".repeat(60)
        ));
    }
    format!(
        "From: Resident <resident@example.org>\r\nTo: complaints@bathnes.example.gov.uk\r\n{subject}\r\n\
         Message-ID: {long_id}\r\n{refs}\r\nDate: Mon, 21 Dec 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         I wish to complain: the bins on Acacia Avenue were not collected again this week.\r\n"
    )
    .into_bytes()
}

#[test]
fn an_enormous_subject_and_thread_headers_make_a_letter_with_no_line_over_998_and_a_capped_quote() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, mut w) = smtp_world(tmp.path(), &[]);
    // The real message through the real Maildir and the real binary.
    let md = tmp.path().join("maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("new").join("1.monster"), monster_message()).unwrap();
    let p = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T09:30:00Z",
            "poll",
        ],
    );
    assert_eq!(p.code, 0, "{}", p.stderr);
    let ack = w
        .store
        .list_letters(&Default::default())
        .unwrap()
        .into_iter()
        .find(|l| l.kind == "acknowledgement")
        .expect("the complaint is acknowledged");
    let stored = w.store.find_case(&ack.reference).unwrap().subject;
    let stored = stored.unwrap_or_default();
    // Ingestion caps a case's subject at 200 characters on one line...
    assert!(stored.chars().count() <= 200, "{stored}");
    assert!(!stored.contains('\n'), "{stored}");
    // ... but a case stored before that rule may hold the whole of it, with its line
    // breaks: the letter side caps what it quotes whatever the case holds.
    w.db()
        .execute(
            "UPDATE cases SET subject = ?1 WHERE reference = ?2",
            rusqlite::params![
                format!(
                    "Complaint about the bins\r\n{}",
                    "and the road ".repeat(400)
                ),
                ack.reference
            ],
        )
        .unwrap();
    let case = w.store.find_case(&ack.reference).unwrap();

    // And a letter threaded on 200 long ids, one of them over 900 characters, as an
    // officer's reply on a long thread would be.
    let mut ids: Vec<String> = (0..200)
        .map(|k| format!("<thread-{k}-{}@mail.example.org>", "r".repeat(60)))
        .collect();
    ids.insert(100, format!("<{}@huge.example.org>", "h".repeat(950)));
    let threaded = w.request(
        &case,
        "holding",
        json!({"new_date": "2027-01-22", "reason": "we are waiting for the contractor's records"}),
        false,
        Some(&ids[199]),
        Some(&ids.join("\r\n ")),
        "2026-12-21T09:31:00Z",
    );

    let (r, v) = send(tmp.path(), "2026-12-21T09:32:00Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["send"]["sent"], 2, "{v} {}", r.stderr);
    assert_eq!(w.status(ack.id), "sent");
    assert_eq!(w.status(threaded), "sent");
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 2);
    for raw in &msgs {
        assert_lines_fit(raw);
        let m = MessageParser::default().parse(raw).unwrap();
        let subject = m.subject().unwrap();
        assert!(subject.chars().count() <= 300, "{subject}");
        let text = m.body_text(0).unwrap();
        // The quoted subject: on one line, at most 200 characters, ending in an ellipsis.
        let quote = text
            .split("about \"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or_else(|| panic!("the subject is quoted: {text}"));
        let quote = quote.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(quote.starts_with("Complaint about the bins"), "{quote}");
        assert!(quote.chars().count() <= 200, "{}", quote.chars().count());
        assert!(quote.ends_with('\u{2026}'), "{quote}");
        assert!(!quote.contains("=?UTF-8"), "{quote}");
        let html = m.body_html(0).unwrap();
        let hquote = html
            .split("about &quot;")
            .nth(1)
            .or_else(|| html.split("about \"").nth(1))
            .and_then(|t| t.split(['"', '&']).next())
            .unwrap_or_else(|| panic!("the subject is quoted: {html}"));
        assert!(hquote.chars().count() <= 260, "{hquote}");
    }
    let heads = |raw: &[u8]| header_lines(raw).join("\n");
    let threaded_raw = msgs
        .iter()
        .find(|m| String::from_utf8_lossy(m).contains("thread-199-"))
        .expect("the threaded letter");
    let h = heads(threaded_raw);
    assert!(h.contains("thread-0-"), "the thread's start is kept: {h}");
    assert!(!h.contains("thread-150-"), "the middle is dropped: {h}");
    assert!(
        !h.contains("huge.example.org"),
        "the monster id is dropped: {h}"
    );
    // The acknowledgement answers the 1,200-character Message-ID: dropped, not sent.
    let ack_raw = msgs
        .iter()
        .find(|m| !std::ptr::eq(*m, threaded_raw))
        .unwrap();
    assert!(!heads(ack_raw).contains("mmmmmmmmmm"), "{}", heads(ack_raw));

    // The PDF quotes the capped subject too.
    let ack_msg = MessageParser::default().parse(ack_raw).unwrap();
    let pdf = mail_parser::MimeHeaders::attachment_name(ack_msg.attachments().next().unwrap());
    assert!(pdf.is_some());
    let path = tmp.path().join("ack.pdf");
    std::fs::write(&path, ack_msg.attachments().next().unwrap().contents()).unwrap();
    let t = squash(&pdf_text(&path));
    let start = t.find("about \"Complaint about the bins").expect(&t);
    let quoted = t[start + 7..].split('"').next().unwrap();
    assert!(quoted.chars().count() <= 200, "{quoted}");
}

/// A malformed Message-ID on a resident's complaint (two ids, a header's name inside
/// brackets, a space, a piece with no domain) leaves nothing of itself in the
/// acknowledgement's In-Reply-To and References; a well-formed one is answered.
#[test]
fn only_a_well_formed_message_id_is_answered_in_references() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, _w) = smtp_world(tmp.path(), &[]);
    let md = tmp.path().join("maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    let ids = [
        "<Bcc:> <q@evil.example>",
        "<Bcc: x@evil.example>",
        "<a b@evil.example>",
        "<q@evil.example> Bcc: <r@evil.example>",
        "<nodomain>",
        "<a@b@evil.example>",
        "<<q@evil.example>>",
        "Bcc: q@evil.example",
        "<good-1.x@mail.example.org>",
    ];
    for (n, id) in ids.iter().enumerate() {
        std::fs::write(
            md.join("new").join(format!("{n}.eml")),
            format!(
                "From: Resident {n} <resident{n}@example.org>\r\nTo: complaints@bathnes.example.gov.uk\r\n\
                 Subject: Missed bins {n}\r\nMessage-ID: {id}\r\nDate: Mon, 21 Dec 2026 09:00:00 +0000\r\n\r\n\
                 I wish to complain: the bins were not collected.\r\n"
            ),
        )
        .unwrap();
    }
    let p = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T09:30:00Z",
            "poll",
        ],
    );
    assert_eq!(p.code, 0, "{}", p.stderr);
    let (r, v) = send(tmp.path(), "2026-12-21T09:32:00Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["send"]["sent"], ids.len(), "{v} {}", r.stderr);
    let msgs = sink.messages();
    assert_eq!(msgs.len(), ids.len());
    let threading = |raw: &[u8]| -> Vec<String> {
        header_lines(raw)
            .into_iter()
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("in-reply-to:") || l.starts_with("references:")
            })
            .collect()
    };
    for raw in &msgs {
        let text = String::from_utf8_lossy(raw);
        let h = threading(raw);
        if text.contains("resident8@") {
            assert_eq!(
                h,
                [
                    "In-Reply-To: <good-1.x@mail.example.org>",
                    "References: <good-1.x@mail.example.org>"
                ],
                "{text}"
            );
        } else {
            assert!(h.is_empty(), "{h:?}\n{text}");
            assert!(
                !text.contains("evil.example") && !text.contains("Bcc"),
                "{text}"
            );
        }
    }
}
