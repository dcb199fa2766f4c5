//! Quarantined mail released by a manager through the real binary: hostile and odd mail
//! quarantined by a Maildir poll, then `redress quarantine --attach ID REF`, `--open ID`
//! and `--discard ID --reason TEXT`, each an event with who did it, each once only.

use crate::bin;
use crate::site;

use site::Site;

const DAY1: &str = "2026-12-14T10:00:00Z";
const DAY2: &str = "2026-12-15T10:00:00Z";

/// A complaint of about `size` bytes from `from`, with `extra` headers.
fn big(from: &str, subject: &str, id: &str, extra: &str, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: complaints@council.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n{extra}\r\n"
    )
    .into_bytes();
    while m.len() < size {
        m.extend_from_slice(b"I wish to complain about the missed bins, again and again.\r\n");
    }
    m
}

/// A site with a case (EX-2026-00001, from Ada) and four quarantined messages:
/// 1 has no sender (and a script in it), 2 is an oversized complaint, 3 is not mail
/// at all, 4 is an oversized automatic reply.
fn site() -> Site {
    let s = Site::with("lgsco-code", "EX", "[inbound]\nmax_message_bytes = 8192\n");
    s.mail(
        "0",
        "Ada <ada@example.org>",
        "Missed bins",
        "I wish to complain about my bins.",
        "ada1@example.org",
    );
    s.run(DAY1, &["poll"]);
    s.deliver(
        "1",
        b"To: complaints@council.example\r\nSubject: More about my bins <script>alert(1)</script>\r\n\
          Message-ID: <nosender@example.org>\r\n\r\nThe zebracrossing photo is attached <script>alert(1)</script>\r\n",
    );
    s.deliver(
        "2",
        &big(
            "Bea <bea@example.org>",
            "Huge complaint with scans",
            "bea1@example.org",
            "",
            20_000,
        ),
    );
    s.deliver("3", b"\x1b[2Jgarbage that is not mail at all\n");
    s.deliver(
        "4",
        &big(
            "Cy <cy@example.org>",
            "Automatic reply: away",
            "cy1@example.org",
            "Auto-Submitted: auto-replied\r\n",
            20_000,
        ),
    );
    let out = s.run(DAY1, &["poll"]);
    assert!(out.contains("4 quarantined"), "{out}");
    s
}

fn count(s: &Site, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The events of case `reference`: (actor, kind, detail).
fn events(s: &Site, reference: &str) -> Vec<(String, String, Option<String>)> {
    let db = s.db();
    let mut st = db
        .prepare("SELECT e.actor, e.kind, e.detail FROM events e JOIN cases c ON c.id = e.case_id WHERE c.reference = ?1 ORDER BY e.id")
        .unwrap();
    st.query_map([reference], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The id of the quarantined message whose reason contains `part` and whose bytes
/// contain `marker`.
fn quarantined(s: &Site, marker: &str) -> String {
    let list: serde_json::Value =
        serde_json::from_str(&s.run(DAY2, &["quarantine", "--json"])).unwrap();
    for e in list.as_array().unwrap() {
        let id = e["id"].to_string();
        let raw = s.run(DAY2, &["quarantine", "--show", &id]);
        if raw.contains(marker) {
            return id;
        }
    }
    panic!("no quarantined message with {marker} in {list}");
}

#[test]
fn a_message_without_a_sender_is_attached_to_a_case_once_with_no_letter() {
    let s = site();
    let id = quarantined(&s, "zebracrossing");
    let letters_before = count(&s, "SELECT count(*) FROM letters");
    // A case that does not exist: refused, nothing changed.
    let err = s.fails(
        DAY2,
        &["quarantine", "--attach", &id, "EX-2026-00099", "--by", "mo"],
    );
    assert!(
        err.contains("no case with reference EX-2026-00099"),
        "{err}"
    );
    assert_eq!(count(&s, "SELECT count(*) FROM quarantine_resolutions"), 0);
    // It cannot open a case: nobody to answer.
    let err = s.fails(DAY2, &["quarantine", "--open", &id, "--by", "mo"]);
    assert!(err.contains("no sender address"), "{err}");
    assert_eq!(count(&s, "SELECT count(*) FROM cases"), 1);

    let out = s.run(
        DAY2,
        &["quarantine", "--attach", &id, "ex-2026-00001", "--by", "mo"],
    );
    assert!(
        out.contains(&format!(
            "quarantined message {id} attached to EX-2026-00001"
        )),
        "{out}"
    );
    // On the case, as ingestion stores a message: its text, its Message-ID for threading.
    let (body, mid, status, key): (String, String, String, String) = s
        .db()
        .query_row(
            "SELECT body_text, message_id, status, ingest_key FROM messages m JOIN cases c ON c.id = m.case_id
             WHERE c.reference = 'EX-2026-00001' AND m.body_text LIKE '%zebracrossing%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(body.contains("<script>alert(1)</script>"), "{body}");
    assert_eq!(mid, "nosender@example.org");
    assert_eq!(status, "attached");
    assert!(key.starts_with("nosender@example.org sha256:"), "{key}");
    let shown = s.run(DAY2, &["case", "EX-2026-00001"]);
    assert!(shown.contains("zebracrossing"), "{shown}");
    let ev = events(&s, "EX-2026-00001");
    let last = ev.last().unwrap();
    assert_eq!(last.0, "officer:mo");
    assert_eq!(last.1, "message attached from quarantine");
    assert!(
        last.2.as_deref().unwrap().contains("no sender address"),
        "{last:?}"
    );
    // Found by the desk's search, through the index kept on ingestion.
    let found = s.run(DAY2, &["cases", "--search", "zebracrossing", "--json"]);
    assert!(found.contains("EX-2026-00001"), "{found}");
    // No letter: a message attached by hand is answered by an officer.
    assert_eq!(count(&s, "SELECT count(*) FROM letters"), letters_before);
    // Resolved: out of the list, its bytes gone, and not twice.
    let q = s.run(DAY2, &["quarantine", "--json"]);
    assert!(
        !q.contains("zebracrossing") && !q.contains(&format!("\"id\": {id},")),
        "{q}"
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT length(raw) FROM quarantine WHERE id = {id}")
        ),
        0
    );
    let err = s.fails(
        DAY2,
        &["quarantine", "--attach", &id, "EX-2026-00001", "--by", "mo"],
    );
    assert!(
        err.contains(&format!(
            "quarantined message {id} was attached to EX-2026-00001 by officer:mo"
        )),
        "{err}"
    );
    let err = s.fails(
        DAY2,
        &[
            "quarantine",
            "--discard",
            &id,
            "--reason",
            "x",
            "--by",
            "mo",
        ],
    );
    assert!(err.contains("no longer in the quarantine"), "{err}");
    let all = s.run(DAY2, &["quarantine", "--all"]);
    assert!(
        all.contains("attached EX-2026-00001 by officer:mo"),
        "{all}"
    );
}

#[test]
fn an_oversized_complaint_is_opened_as_a_case_and_acknowledged() {
    let s = site();
    let id = quarantined(&s, "Huge complaint with scans");
    let out = s.run(DAY2, &["quarantine", "--open", &id, "--by", "mo"]);
    assert!(
        out.contains(&format!(
            "quarantined message {id} opened as new case EX-2026-00002 (complaint), letter queued"
        )),
        "{out}"
    );
    let ev = events(&s, "EX-2026-00002");
    assert!(
        ev.iter().any(|e| e.0 == "officer:mo"
            && e.1 == "opened from quarantine"
            && e.2.as_deref().unwrap().contains("over the 8192 byte limit")),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.0 == "officer:mo" && e.1 == "acknowledge"),
        "{ev:?}"
    );
    // Only its headers were read: the message says so where its text would be.
    let (body, raw_len): (String, i64) = s
        .db()
        .query_row(
            "SELECT m.body_text, length(m.raw) FROM messages m JOIN cases c ON c.id = m.case_id WHERE c.reference = 'EX-2026-00002'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(body.starts_with("[No text was kept: message is"), "{body}");
    assert!(raw_len < 8192, "{raw_len}");
    // The acknowledgement goes to the sender, as for any new complaint by mail.
    s.run(DAY2, &["render"]);
    s.run(DAY2, &["send"]);
    let (subject, text, pdf) = s.letter_with("EX-2026-00002");
    assert!(pdf, "{subject}");
    assert!(text.contains("EX-2026-00002"), "{text}");
    let to: String = s
        .db()
        .query_row(
            "SELECT to_addr FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = 'EX-2026-00002' AND l.kind = 'acknowledgement'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(to, "bea@example.org");
    // Twice: refused. Delivered again: the same mail is not stored again.
    let err = s.fails(DAY2, &["quarantine", "--open", &id, "--by", "mo"]);
    assert!(err.contains("was opened as case EX-2026-00002"), "{err}");
    s.deliver(
        "2-again",
        &big(
            "Bea <bea@example.org>",
            "Huge complaint with scans",
            "bea1@example.org",
            "",
            20_000,
        ),
    );
    let out = s.run(DAY2, &["poll"]);
    assert!(out.contains("1 duplicates"), "{out}");
    assert_eq!(count(&s, "SELECT count(*) FROM cases"), 2);
}

#[test]
fn an_automatic_reply_opened_as_a_case_gets_no_automatic_letter() {
    let s = site();
    let id = quarantined(&s, "Automatic reply: away");
    let out = s.run(DAY2, &["quarantine", "--open", &id, "--by", "mo"]);
    assert!(out.contains("no automatic letter"), "{out}");
    let reference = out
        .split_whitespace()
        .find(|w| w.starts_with("EX-2026-"))
        .unwrap()
        .to_string();
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = '{reference}'")
        ),
        0
    );
    let ev = events(&s, &reference);
    assert!(
        ev.iter()
            .any(|e| e.1 == "no automatic letter" && e.2.as_deref().unwrap().contains("auto-reply")),
        "{ev:?}"
    );
}

#[test]
fn mail_that_is_not_a_message_is_discarded_with_a_reason_and_its_bytes_erased() {
    let s = site();
    let id = quarantined(&s, "garbage that is not mail");
    let err = s.fails(
        DAY2,
        &["quarantine", "--attach", &id, "EX-2026-00001", "--by", "mo"],
    );
    assert!(err.contains("is not a mail message"), "{err}");
    let err = s.fails(DAY2, &["quarantine", "--open", &id, "--by", "mo"]);
    assert!(err.contains("is not a mail message"), "{err}");
    let err = s.fails(DAY2, &["quarantine", "--discard", &id, "--by", "mo"]);
    assert!(err.contains("--reason"), "{err}");
    let err = s.fails(
        DAY2,
        &[
            "quarantine",
            "--discard",
            &id,
            "--reason",
            "  ",
            "--by",
            "mo",
        ],
    );
    assert!(err.contains("--reason"), "{err}");
    assert_eq!(count(&s, "SELECT count(*) FROM quarantine_resolutions"), 0);

    let out = s.run(
        DAY2,
        &[
            "quarantine",
            "--discard",
            &id,
            "--reason",
            "line noise, not a message",
            "--by",
            "mo",
        ],
    );
    assert!(out.contains("discarded"), "{out}");
    let (raw_len, outcome, reason, actor, at, size): (i64, String, String, String, String, i64) = s
        .db()
        .query_row(
            &format!(
                "SELECT length(q.raw), r.outcome, r.reason, r.actor, r.at, r.size FROM quarantine q
                 JOIN quarantine_resolutions r ON r.quarantine_id = q.id WHERE q.id = {id}"
            ),
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(raw_len, 0);
    assert_eq!(outcome, "discarded");
    assert_eq!(reason, "line noise, not a message");
    assert_eq!(actor, "officer:mo");
    assert_eq!(at, DAY2);
    assert_eq!(size, 36);
    let err = s.fails(DAY2, &["quarantine", "--show", &id]);
    assert!(
        err.contains("was discarded (line noise, not a message) by officer:mo"),
        "{err}"
    );
    let err = s.fails(
        DAY2,
        &[
            "quarantine",
            "--discard",
            &id,
            "--reason",
            "again",
            "--by",
            "mo",
        ],
    );
    assert!(err.contains("no longer in the quarantine"), "{err}");
    let list = s.run(DAY2, &["quarantine"]);
    assert!(!list.contains("not a mail message"), "{list}");
    let all = s.run(DAY2, &["quarantine", "--all"]);
    assert!(
        all.contains("discarded (line noise, not a message) by officer:mo"),
        "{all}"
    );
    // The same bytes delivered again stay out: the row keeps its ingestion key.
    s.deliver("3-again", b"\x1b[2Jgarbage that is not mail at all\n");
    let out = s.run(DAY2, &["poll"]);
    assert!(out.contains("1 duplicates"), "{out}");
    assert_eq!(count(&s, "SELECT count(*) FROM quarantine"), 4);
    // Retention, once the shortest retention has passed: the record goes with the row.
    let out = s.run("2040-12-20T10:00:00Z", &["retention"]);
    assert!(!out.is_empty());
    assert_eq!(count(&s, "SELECT count(*) FROM quarantine"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM quarantine_resolutions"), 0);
    // A bad id: one line, non-zero exit.
    let err = s.fails(DAY2, &["quarantine", "--attach", "x1", "EX-2026-00001"]);
    assert!(
        err.contains("'x1' is not a quarantined message id"),
        "{err}"
    );
}

#[test]
fn a_message_kept_whole_but_over_the_limit_keeps_its_text_and_only_notes_its_attachments() {
    // Quarantined whole (no sender) under a 64 KiB limit; the limit is then lowered, so
    // the message kept is over it when it is released.
    let s = Site::with("lgsco-code", "EX", "[inbound]\nmax_message_bytes = 65536\n");
    s.mail(
        "0",
        "Ada <ada@example.org>",
        "Missed bins",
        "I wish to complain about my bins.",
        "ada1@example.org",
    );
    s.run(DAY1, &["poll"]);
    let mut raw = b"To: complaints@council.example\r\nSubject: Scans of the bins\r\n\
Message-ID: <scans@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
Here are the scans, quokkaword.\r\n--b1\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    while raw.len() < 30_000 {
        raw.extend_from_slice(
            b"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n",
        );
    }
    raw.extend_from_slice(b"--b1--\r\n");
    s.deliver("1", &raw);
    let out = s.run(DAY1, &["poll"]);
    assert!(out.contains("quarantined: no sender address"), "{out}");
    let cfg = s.path().join("redress.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("max_message_bytes = 65536", "max_message_bytes = 8192");
    std::fs::write(&cfg, text).unwrap();
    let id = quarantined(&s, "quokkaword");
    s.run(
        DAY2,
        &["quarantine", "--attach", &id, "EX-2026-00001", "--by", "mo"],
    );
    let (body, raw_len, mid): (String, i64, i64) = s
        .db()
        .query_row(
            "SELECT body_text, length(raw), id FROM messages WHERE body_text LIKE '%quokkaword%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(body.contains("Here are the scans, quokkaword."), "{body}");
    // Only the header section is kept as its bytes.
    assert!(raw_len < 400, "{raw_len}");
    let (name, size, content, note): (String, i64, Option<Vec<u8>>, String) = s
        .db()
        .query_row(
            "SELECT name, size, content, note FROM attachments WHERE message_id = ?1",
            [mid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(name, "scan.pdf");
    assert!(size > 15_000, "{size}");
    assert_eq!(content, None);
    assert!(
        note.starts_with(&format!("left out: {size} bytes, in a message of "))
            && note.ends_with("bytes, over the 8192 byte limit"),
        "{note}"
    );
}

#[test]
fn a_long_quarantined_message_is_shown_from_its_first_64_kib() {
    let s = Site::new("lgsco-code", "EX");
    // No sender: quarantined whole (100,000 bytes, under the size limit).
    let mut m = b"To: complaints@council.example\r\nSubject: Long\r\nMessage-ID: <long@example.org>\r\n\r\n"
        .to_vec();
    while m.len() < 100_000 {
        m.extend_from_slice(b"A line of a long message with no sender at all.\r\n");
    }
    m.truncate(100_000);
    m.extend_from_slice(b"tailmarker\r\n");
    s.deliver("1", &m);
    let out = s.run(DAY1, &["poll"]);
    assert!(out.contains("1 quarantined"), "{out}");
    let id = "1";
    let shown = s.run(DAY2, &["quarantine", "--show", id]);
    assert!(
        shown.starts_with("To: complaints@council.example"),
        "{shown}"
    );
    assert!(!shown.contains("tailmarker"));
    let more = m.len() - 65_536;
    assert!(
        shown.contains(&format!("[... {more} more bytes not shown")),
        "{}",
        &shown[shown.len() - 200..]
    );
    // --raw writes every byte.
    let raw = bin::redress()
        .args([
            "--config",
            "redress.toml",
            "--now",
            DAY2,
            "quarantine",
            "--show",
            id,
            "--raw",
        ])
        .current_dir(s.path())
        .output()
        .unwrap();
    assert_eq!(raw.stdout, m);
}
