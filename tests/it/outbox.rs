//! The outbox against a real SMTP server on loopback (aiosmtpd): what arrives, that it
//! arrives once, that it waits while the server is down, that a 550 fails the letter
//! and flags the case, that restrictions hold letters, and that an interrupted send is
//! not blindly repeated.

use crate::letters_support;

use letters_support::*;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::json;

fn send(dir: &std::path::Path, now: &str) -> Run {
    let r = redress(
        dir,
        &["--config", "redress.toml", "--now", now, "send", "--json"],
    );
    assert_eq!(r.code, 0, "send failed: {}", r.stderr);
    r
}

/// `send` while the server is down: letters were due and none went, so exit 3.
fn send_down(dir: &std::path::Path, now: &str) -> Run {
    let r = redress(
        dir,
        &["--config", "redress.toml", "--now", now, "send", "--json"],
    );
    assert_eq!(r.code, 3, "send with the server down: {}", r.stderr);
    r
}

fn report(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[test]
fn acknowledgement_arrives_once_threaded_with_reference_auto_submitted_and_pdf() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, mut w) = smtp_world(tmp.path(), &[]);
    let case = w.complaint(
        "jo.bloggs@example.net",
        Some("Jo Bloggs"),
        "2026-12-21T10:30:00Z",
    );
    w.set_customer(
        "jo.bloggs@example.net",
        "address",
        "12 Acacia Avenue\nKeynsham\nBS31 1AA",
    );
    let id = w.request(
        &case,
        "acknowledgement",
        json!({}),
        true,
        Some("<cafe.1@example.net>"),
        Some("<start.0@example.net> <cafe.1@example.net>"),
        "2026-12-21T10:30:05Z",
    );

    let r = report(&send(tmp.path(), "2026-12-21T10:31:00Z"));
    assert_eq!(r["rendered"], 1, "{r}");
    assert_eq!(r["send"]["sent"], 1, "{r}");
    assert_eq!(w.status(id), "sent");

    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let raw = String::from_utf8_lossy(&msgs[0]).into_owned();
    let m = MessageParser::default().parse(&msgs[0]).unwrap();
    let letter = w.store.letter(id).unwrap();
    let reference = &case.reference;
    assert_eq!(format!("<{}>", m.message_id().unwrap()), letter.message_id);
    assert!(letter.message_id.contains(&reference.to_ascii_lowercase()));
    assert!(
        m.subject().unwrap().contains(&format!("[Ref {reference}]")),
        "{:?}",
        m.subject()
    );
    assert!(raw.contains("In-Reply-To: <cafe.1@example.net>"), "{raw}");
    assert!(
        raw.contains("References: <start.0@example.net> <cafe.1@example.net>"),
        "{raw}"
    );
    assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    assert!(
        raw.contains("complaints@bathnes.example.gov.uk"),
        "From: {raw}"
    );
    assert!(raw.contains("jo.bloggs@example.net"));
    assert!(raw.contains("multipart/alternative"));

    let text = m.body_text(0).unwrap();
    assert!(
        text.contains(&format!("Our reference: {reference}")),
        "{text}"
    );
    assert!(
        text.contains("Monday 21 December 2026"),
        "received date: {text}"
    );
    // Stage 1 at Bath & NES: 15 working days from receipt, counted over Christmas.
    let respond = w
        .store
        .deadlines(case.id)
        .unwrap()
        .into_iter()
        .find(|d| d.kind == redress::deadline::Kind::Respond)
        .unwrap();
    assert_eq!(respond.due, "2027-01-14");
    let due = "Thursday 14 January 2027";
    assert!(text.contains(due), "response date: {text}");
    let html = m.body_html(0).unwrap();
    assert!(html.contains("<p>"), "{html}");
    assert!(html.contains(&format!("Our reference: {reference}")));

    let pdf = m.attachments().next().expect("the PDF letter is attached");
    assert_eq!(
        pdf.attachment_name(),
        Some(format!("{reference}-acknowledgement.pdf").as_str())
    );
    let path = tmp.path().join("letter.pdf");
    std::fs::write(&path, pdf.contents()).unwrap();
    assert_valid_pdf(&path);
    let t = squash(&pdf_text(&path));
    for needle in [
        "Bath & North East Somerset Council",
        "Lewis House",
        "Jo Bloggs",
        "12 Acacia Avenue",
        &format!("Our ref: {reference}"),
        "We have received your complaint",
        due,
        "Customer Feedback Team",
        "Page 1 of 1",
    ] {
        assert!(
            t.contains(needle),
            "'{needle}' missing from the PDF text: {t}"
        );
    }

    // A second pass sends nothing more, and the case records it once.
    let r = report(&send(tmp.path(), "2026-12-21T12:00:00Z"));
    assert_eq!(r["send"]["sent"], 0, "{r}");
    assert_eq!(sink.messages().len(), 1);
    let sent_events = w
        .events(&case)
        .into_iter()
        .filter(|(k, _)| k == "letter sent")
        .count();
    assert_eq!(sent_events, 1);
}

#[test]
fn smtp_down_letters_wait_are_retried_and_each_arrives_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port(); // nothing listens here yet
    let mut w = world(write_config(tmp.path(), &smtp_outbox(port), ""));
    let mut ids = Vec::new();
    for (i, who) in ["a@example.net", "b@example.net", "c@example.net"]
        .iter()
        .enumerate()
    {
        let case = w.complaint(who, None, "2026-12-21T10:00:00Z");
        ids.push(w.request(
            &case,
            "acknowledgement",
            json!({}),
            true,
            None,
            None,
            &format!("2026-12-21T10:0{i}:00Z"),
        ));
    }

    // Down: the first letter is tried and put back with a backoff; the rest are not
    // tried at all this pass (no point knocking on a closed door three times).
    let r = report(&send_down(tmp.path(), "2026-12-21T10:05:00Z"));
    assert_eq!(r["send"]["sent"], 0, "{r}");
    assert_eq!(r["send"]["retried"], 1, "{r}");
    assert_eq!(r["send"]["deferred"], 2, "{r}");
    let first = w.store.letter(ids[0]).unwrap();
    assert_eq!(first.status, "queued");
    assert_eq!(first.attempts, 1);
    assert_eq!(
        first.next_attempt_at.as_deref(),
        Some("2026-12-21T10:06:00Z"),
        "1 minute after the first failure"
    );
    assert!(
        first.last_error.unwrap().contains("cannot reach"),
        "the reason is kept"
    );

    // Still down a little later: the backoff doubles.
    let r = report(&send_down(tmp.path(), "2026-12-21T10:06:30Z"));
    assert_eq!(r["send"]["retried"], 1, "{r}");
    let first = w.store.letter(ids[0]).unwrap();
    assert_eq!(first.attempts, 2);
    assert_eq!(
        first.next_attempt_at.as_deref(),
        Some("2026-12-21T10:08:30Z"),
        "2 minutes after the second failure"
    );

    let out = redress(
        tmp.path(),
        &["--config", "redress.toml", "outbox", "--json"],
    );
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "queued"),
        "{listed}"
    );

    // Back up: everything due goes, once.
    let sink = Sink::start(port, &tmp.path().join("sink"), &[]);
    let r = report(&send(tmp.path(), "2026-12-21T11:00:00Z"));
    assert_eq!(r["send"]["sent"], 3, "{r}");
    let r = report(&send(tmp.path(), "2026-12-21T12:00:00Z"));
    assert_eq!(r["send"]["sent"], 0, "{r}");
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 3, "each letter exactly once");
    let mut ids_seen: Vec<String> = msgs
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(m)
                .unwrap()
                .message_id()
                .unwrap()
                .to_string()
        })
        .collect();
    ids_seen.sort();
    ids_seen.dedup();
    assert_eq!(ids_seen.len(), 3, "three distinct Message-IDs");
    for id in ids {
        assert_eq!(w.status(id), "sent");
    }
}

#[test]
fn smtp_550_marks_the_letter_failed_and_flags_the_case_but_others_go() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let sink = Sink::start(port, &tmp.path().join("sink"), &["gone@example.net"]);
    let mut w = world(write_config(tmp.path(), &smtp_outbox(port), ""));
    let bad = w.complaint("gone@example.net", None, "2026-12-21T10:00:00Z");
    let good = w.complaint("here@example.net", None, "2026-12-21T10:00:00Z");
    let bad_id = w.acknowledge(&bad, "2026-12-21T10:00:01Z");
    let good_id = w.acknowledge(&good, "2026-12-21T10:00:02Z");

    let r = report(&send(tmp.path(), "2026-12-21T10:01:00Z"));
    assert_eq!(r["send"]["failed"], 1, "{r}");
    assert_eq!(r["send"]["sent"], 1, "{r}");
    let l = w.store.letter(bad_id).unwrap();
    assert_eq!(l.status, "failed");
    assert!(
        l.last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        l.last_error
    );
    assert_eq!(w.status(good_id), "sent");
    let case = w.store.find_case(&bad.reference).unwrap();
    assert!(
        case.flagged
            .as_deref()
            .unwrap_or("")
            .contains("acknowledgement letter failed"),
        "{:?}",
        case.flagged
    );
    assert!(w
        .events(&bad)
        .iter()
        .any(|(k, d)| k == "letter failed" && d.contains("550")));
    assert_eq!(sink.messages().len(), 1);

    // A failed letter is not retried.
    let r = report(&send(tmp.path(), "2026-12-22T10:00:00Z"));
    assert_eq!(r["send"]["sent"], 0, "{r}");
    assert_eq!(sink.messages().len(), 1);

    let out = redress(
        tmp.path(),
        &["--config", "redress.toml", "outbox", "--status", "failed"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&bad.reference) && out.stdout.contains("550"),
        "{}",
        out.stdout
    );

    // The cause is fixed (the mailbox exists again): an officer retries the letter.
    let first = sink.messages();
    drop(sink);
    let sink = Sink::start(port, &tmp.path().join("sink2"), &[]);
    let bad_s = bad_id.to_string();
    let cli = |args: &[&str]| {
        let mut all = vec!["--config", "redress.toml", "--now", "2026-12-22T11:00:00Z"];
        all.extend_from_slice(args);
        redress(tmp.path(), &all)
    };
    let out = cli(&["outbox", "--retry", &bad_s, "--officer", "jo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("now queued"), "{}", out.stdout);
    let r = report(&send(tmp.path(), "2026-12-22T11:01:00Z"));
    assert_eq!(r["send"]["sent"], 1, "{r}");
    assert_eq!(w.status(bad_id), "sent");
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let id_of = |m: &[u8]| {
        String::from_utf8_lossy(m)
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .map(str::to_string)
    };
    let good_msg = first.iter().map(|m| id_of(m)).collect::<Vec<_>>();
    assert!(
        !good_msg.contains(&id_of(&got[0])),
        "the retried letter, not the other"
    );
    assert!(
        String::from_utf8_lossy(&got[0]).contains("gone@example.net"),
        "the retried letter went to its customer"
    );
    assert!(w
        .events(&bad)
        .iter()
        .any(|(k, d)| k == "letter retried" && d.contains("550") && d.contains("jo")));
    // A sent letter cannot be retried: one line saying why, non-zero exit.
    let out = cli(&["outbox", "--retry", &bad_s]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("is sent: only a held or failed letter can be retried"),
        "{}",
        out.stderr
    );
    let out = cli(&["outbox", "--retry", "99999"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("no letter with id 99999"),
        "{}",
        out.stderr
    );
}

#[test]
fn interrupted_smtp_send_is_resent_with_the_same_message_id_after_recording_a_possible_duplicate() {
    let tmp = tempfile::tempdir().unwrap();
    let (sink, mut w) = smtp_world(tmp.path(), &[]);
    let case = w.complaint("jo@example.net", None, "2026-12-21T10:00:00Z");
    let id = w.acknowledge(&case, "2026-12-21T10:00:01Z");
    redress::outbox::render_pending(&mut w.store, &w.config, at("2026-12-21T10:00:30Z")).unwrap();
    // A sender claimed it and stopped before recording the result.
    assert!(w
        .store
        .claim_letter(id, at("2026-12-21T10:01:00Z"))
        .unwrap());
    let message_id = w.store.letter(id).unwrap().message_id;

    // Within the lease it is left alone (the sender may still be at work).
    let r = report(&send(tmp.path(), "2026-12-21T10:05:00Z"));
    assert_eq!(r["send"]["recovered"], 0, "{r}");
    assert_eq!(sink.messages().len(), 0);

    let r = report(&send(tmp.path(), "2026-12-21T10:20:00Z"));
    assert_eq!(r["send"]["recovered"], 1, "{r}");
    assert_eq!(r["send"]["sent"], 1, "{r}");
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let m = MessageParser::default().parse(&msgs[0]).unwrap();
    assert_eq!(
        format!("<{}>", m.message_id().unwrap()),
        message_id,
        "same Message-ID"
    );
    let events = w.events(&case);
    let dup = events
        .iter()
        .position(|(k, _)| k == "letter possible duplicate")
        .expect("recorded");
    let sent = events.iter().position(|(k, _)| k == "letter sent").unwrap();
    assert!(
        dup < sent,
        "the possible duplicate is recorded before the resend"
    );
    assert_eq!(w.store.letter(id).unwrap().attempts, 2);
}

#[test]
fn interrupted_file_send_finds_the_eml_and_does_not_write_it_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = world(write_config(tmp.path(), &file_outbox(), ""));
    let case = w.complaint("jo@example.net", Some("Jo Bloggs"), "2026-12-21T10:00:00Z");
    let id = w.acknowledge(&case, "2026-12-21T10:00:01Z");
    let r = report(&send(tmp.path(), "2026-12-21T10:01:00Z"));
    assert_eq!(r["send"]["sent"], 1, "{r}");
    let outbox = tmp.path().join("outbox");
    let files = || std::fs::read_dir(&outbox).unwrap().count();
    assert_eq!(files(), 1);
    let letter = w.store.letter(id).unwrap();
    let eml = outbox.join(redress::outbox::eml_file_name(&letter.message_id));
    let raw = std::fs::read_to_string(&eml).unwrap();
    assert!(
        raw.contains(&format!("Message-ID: {}", letter.message_id)),
        "{raw}"
    );

    // Simulate a crash after the file was written but before 'sent' was recorded.
    w.db()
        .execute(
            "UPDATE letters SET status = 'sending', sent_at = NULL WHERE id = ?1",
            [id],
        )
        .unwrap();
    let r = report(&send(tmp.path(), "2026-12-21T11:00:00Z"));
    assert_eq!(r["send"]["recovered"], 1, "{r}");
    assert_eq!(r["send"]["sent"], 0, "{r}");
    assert_eq!(w.status(id), "sent");
    assert_eq!(files(), 1, "not written twice");
    assert!(w
        .events(&case)
        .iter()
        .any(|(k, d)| k == "letter sent" && d.contains("after an interrupted send")));
}

#[test]
fn contact_restrictions_hold_letters_as_the_monitoring_officer_decided() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = world(write_config(tmp.path(), &file_outbox(), ""));
    let post = w.complaint("post@example.net", Some("P Post"), "2026-12-21T10:00:00Z");
    let quiet = w.complaint("quiet@example.net", None, "2026-12-21T10:00:00Z");
    let single = w.complaint("single@example.net", None, "2026-12-21T10:00:00Z");
    w.set_customer("post@example.net", "restriction", "letter-only");
    w.set_customer("quiet@example.net", "restriction", "no-response");
    w.set_customer("single@example.net", "restriction", "single-contact");
    let post_id = w.acknowledge(&post, "2026-12-21T10:00:01Z");
    let quiet_auto = w.acknowledge(&quiet, "2026-12-21T10:00:02Z");
    let quiet_officer = w.request(
        &quiet,
        "stage-response",
        json!({"outcome": "not upheld", "findings": "The collection was made on the scheduled day."}),
        false,
        None,
        None,
        "2026-12-21T10:00:03Z",
    );
    let single_id = w.acknowledge(&single, "2026-12-21T10:00:04Z");

    let r = report(&send(tmp.path(), "2026-12-21T10:01:00Z"));
    assert_eq!(r["send"]["sent"], 2, "{r}");

    let l = w.store.letter(post_id).unwrap();
    assert_eq!(l.status, "held");
    assert_eq!(
        l.held_reason.as_deref(),
        Some("letter-only: print and post")
    );
    assert!(
        w.store.letter_content(post_id).unwrap().pdf.is_some(),
        "the PDF is ready to print"
    );
    assert!(w
        .events(&post)
        .iter()
        .any(|(k, d)| k == "letter held" && d.contains("letter-only")));

    let l = w.store.letter(quiet_auto).unwrap();
    assert_eq!(l.status, "held");
    assert!(l.held_reason.unwrap().starts_with("no-response"));
    assert_eq!(
        w.status(quiet_officer),
        "sent",
        "an officer's letter still goes"
    );
    assert_eq!(w.status(single_id), "sent");
    assert_eq!(
        std::fs::read_dir(tmp.path().join("outbox"))
            .unwrap()
            .count(),
        2
    );

    // A restriction imposed after rendering still stops the letter before it is sent.
    let late = w.complaint("late@example.net", None, "2026-12-21T10:00:00Z");
    let late_id = w.acknowledge(&late, "2026-12-21T11:00:00Z");
    redress::outbox::render_pending(&mut w.store, &w.config, at("2026-12-21T11:00:10Z")).unwrap();
    w.set_customer("late@example.net", "restriction", "letter-only");
    let r = report(&send(tmp.path(), "2026-12-21T11:01:00Z"));
    assert_eq!(r["send"]["held"], 1, "{r}");
    assert_eq!(w.status(late_id), "held");

    // The officer prints and posts the letter-only customer's letter, and records it.
    let post_s = post_id.to_string();
    let out = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T12:00:00Z",
            "outbox",
            "--posted",
            &post_s,
            "--officer",
            "jo",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let l = w.store.letter(post_id).unwrap();
    assert_eq!(l.status, "sent");
    assert_eq!(l.sent_at.as_deref(), Some("2026-12-21T12:00:00Z"));
    assert!(w
        .events(&post)
        .iter()
        .any(|(k, d)| k == "letter posted" && d.contains("letter-only") && d.contains("jo")));
    // Nothing was emailed for it.
    assert_eq!(
        std::fs::read_dir(tmp.path().join("outbox"))
            .unwrap()
            .count(),
        2
    );
    // Retrying a letter whose restriction still applies holds it again at sending.
    let late_s = late_id.to_string();
    let out = redress(
        tmp.path(),
        &["--config", "redress.toml", "outbox", "--retry", &late_s],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = report(&send(tmp.path(), "2026-12-21T12:01:00Z"));
    assert_eq!(r["send"]["held"], 1, "{r}");
    assert_eq!(w.status(late_id), "held");
}

#[test]
fn a_letter_that_cannot_be_rendered_fails_alone_and_flags_its_case() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("my-templates");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(
        tpl.join("holding.tera"),
        "Delay [Ref {{ case.reference }}]\n---\n{{ customer.salutation }},\n\nNew date: {{ data.new_date | longdate }}.\nBecause {{ data.why_oh_why }}.\n",
    )
    .unwrap();
    let mut w = world(write_config(
        tmp.path(),
        &file_outbox(),
        "[letters]\ntemplates = \"my-templates\"\n",
    ));
    let case = w.complaint("jo@example.net", None, "2026-12-21T10:00:00Z");
    let bad = w.request(
        &case,
        "holding",
        json!({"new_date": "2027-01-22"}),
        false,
        None,
        None,
        "2026-12-21T10:00:01Z",
    );
    let unknown = w.request(
        &case,
        "no-such-letter",
        json!({}),
        false,
        None,
        None,
        "2026-12-21T10:00:02Z",
    );
    let good = w.acknowledge(&case, "2026-12-21T10:00:03Z");

    let r = report(&send(tmp.path(), "2026-12-21T10:01:00Z"));
    assert_eq!(r["rendered"], 1, "{r}");
    assert_eq!(r["send"]["sent"], 1, "{r}");
    assert_eq!(w.status(good), "sent");
    let l = w.store.letter(bad).unwrap();
    assert_eq!(l.status, "failed");
    let err = l.last_error.unwrap();
    assert!(err.contains("holding.tera: line 6"), "file and line: {err}");
    assert!(err.contains("why_oh_why"), "{err}");
    assert_eq!(w.status(unknown), "failed");
    let case = w.store.find_case(&case.reference).unwrap();
    assert!(case.flagged.unwrap().contains("holding letter failed"));
}
