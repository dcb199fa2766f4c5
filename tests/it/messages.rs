//! Officers read what residents wrote (issue 13, item 2): `redress case REF` shows
//! every message's text, escaped, with its attachments listed and its id; `redress
//! message ID` shows one, `--raw` gives its bytes back, `--attachment N --out F` one
//! attachment's bytes. All through the real binary, mail in through the Maildir.

use crate::bin;
use crate::site;
use site::Site;

const NOW: &str = "2026-11-02T09:00:00Z";
const REF: &str = "BNES-2026-00001";

/// Whether `s` holds a character that drives a terminal or breaks a line: any control
/// character but a line feed.
fn has_raw_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n')
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A complaint with a text part and one attachment `name` holding `content`.
fn with_attachment(body: &str, name: &str, content: &[u8]) -> Vec<u8> {
    format!(
        "From: Ivy <ivy@example.org>\r\nTo: complaints@council.example\r\nSubject: Graffiti\r\n\
         Message-ID: <a1@example.org>\r\nDate: Mon, 2 Nov 2026 08:30:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         {body}\r\n--XX\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--XX--\r\n",
        base64(content)
    )
    .into_bytes()
}

fn message_ids(s: &Site) -> Vec<String> {
    let v = s.case(NOW, REF);
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap().to_string())
        .collect()
}

#[test]
fn case_shows_every_message_escaped_whole_with_ids_and_attachments() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    // A title change, a screen clear, a CR that would overwrite the line, a bidi override.
    let body =
        "I wish to complain about graffiti.\x1b]0;pwned\x07 Fake\rline \x1b[2J\u{202e}gnp.exe";
    let photo: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    s.deliver("1", &with_attachment(body, "wall.bin", &photo));
    s.run(NOW, &["poll"]);
    // A long reply, quoting us: shown whole, as stored.
    let long = format!(
        "Still there.\n{}\nEND-OF-LONG-TEXT\n> On Mon you wrote:\n> We are looking into it.",
        "word ".repeat(2000)
    );
    s.mail(
        "2",
        "Ivy <ivy@example.org>",
        &format!("Re: Graffiti [{REF}]"),
        &long,
        "a2@example.org",
    );
    s.run("2026-11-03T09:00:00Z", &["poll"]);

    let ids = message_ids(&s);
    assert_eq!(ids.len(), 2);
    let out = s.run(NOW, &["case", REF]);
    assert!(
        !has_raw_control(&out),
        "raw control characters printed: {out:?}"
    );
    for id in &ids {
        assert!(out.contains(&format!("message {id}  received")), "{out}");
    }
    assert!(out.contains("from ivy@example.org"), "{out}");
    assert!(out.contains("subject  Graffiti"), "{out}");
    assert!(
        out.contains("I wish to complain about graffiti.\\x1b]0;pwned\\x07 Fake\\rline \\x1b[2J\\u{202e}gnp.exe"),
        "{out}"
    );
    assert!(
        out.contains("attached 1. wall.bin  application/octet-stream  3000 bytes"),
        "{out}"
    );
    assert!(
        out.contains("END-OF-LONG-TEXT") && out.contains("> We are looking into it."),
        "{out}"
    );
    assert!(out.matches("word ").count() >= 2000, "long text cut");

    // --json: the same, the text as stored (JSON escapes it itself).
    let v = s.case(NOW, REF);
    let m = &v["messages"][0];
    assert_eq!(m["body"], body);
    assert_eq!(m["from"], "ivy@example.org");
    assert_eq!(m["subject"], "Graffiti");
    assert_eq!(m["attachments"][0]["number"], 1);
    assert_eq!(m["attachments"][0]["name"], "wall.bin");
    assert_eq!(m["attachments"][0]["size"], 3000);
    assert!(v["messages"][1]["body"]
        .as_str()
        .unwrap()
        .contains("END-OF-LONG-TEXT"));

    // `message ID`: headers and the escaped text.
    let out = s.run(NOW, &["message", &ids[0]]);
    assert!(!has_raw_control(&out), "{out:?}");
    assert!(out.contains(&format!("Case: {REF}")), "{out}");
    assert!(
        out.contains("From: ivy@example.org") && out.contains("Subject: Graffiti"),
        "{out}"
    );
    assert!(
        out.contains("Message-ID: <a1@example.org>") || out.contains("Message-ID: a1@example.org"),
        "{out}"
    );
    assert!(out.contains("Attachment: 1. wall.bin"), "{out}");
    assert!(out.contains("\\x1b[2J\\u{202e}gnp.exe"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&s.run(NOW, &["message", &ids[0], "--json"])).unwrap();
    assert_eq!(v["body"], body);
}

#[test]
fn attachment_and_raw_bytes_come_back_exactly_and_nothing_is_overwritten() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let photo: Vec<u8> = (0..=255u8).rev().cycle().take(70_001).collect();
    let raw = with_attachment("See the photo.", "wall.jpg", &photo);
    s.deliver("1", &raw);
    s.run(NOW, &["poll"]);
    let id = &message_ids(&s)[0];

    s.run(
        NOW,
        &["message", id, "--attachment", "1", "--out", "got.jpg"],
    );
    assert_eq!(std::fs::read(s.path().join("got.jpg")).unwrap(), photo);
    // An existing file is never overwritten.
    std::fs::write(s.path().join("keep.jpg"), b"mine").unwrap();
    let err = s.fails(
        NOW,
        &["message", id, "--attachment", "1", "--out", "keep.jpg"],
    );
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(s.path().join("keep.jpg")).unwrap(), b"mine");
    // No such attachment; no --out.
    let err = s.fails(
        NOW,
        &["message", id, "--attachment", "2", "--out", "two.jpg"],
    );
    assert!(err.contains("no attachment 2"), "{err}");
    assert!(!s.path().join("two.jpg").exists());
    s.fails(
        NOW,
        &["message", id, "--attachment", "0", "--out", "zero.jpg"],
    );
    assert!(!s.path().join("zero.jpg").exists());

    // --raw to a pipe, and to --out F: the bytes as delivered.
    let out = bin::redress()
        .args(["--config", "redress.toml", "message", id, "--raw"])
        .current_dir(s.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, raw);
    s.run(NOW, &["message", id, "--raw", "--out", "m.eml"]);
    assert_eq!(std::fs::read(s.path().join("m.eml")).unwrap(), raw);
    let err = s.fails(NOW, &["message", id, "--raw", "--out", "m.eml"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(s.path().join("m.eml")).unwrap(), raw);
}

#[test]
fn an_attachment_left_out_for_size_is_listed_with_its_note_and_refused() {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[inbound]\nmax_attachment_bytes = 1000\n",
    );
    s.deliver(
        "1",
        &with_attachment("Big scan attached.", "scan.pdf", &[7u8; 5000]),
    );
    s.run(NOW, &["poll"]);
    let id = &message_ids(&s)[0];
    let out = s.run(NOW, &["case", REF]);
    assert!(
        out.contains("attached 1. scan.pdf  application/octet-stream  5000 bytes  [left out: 5000 bytes, over the 1000 byte limit]"),
        "{out}"
    );
    let v = s.case(NOW, REF);
    assert_eq!(
        v["messages"][0]["attachments"][0]["note"],
        "left out: 5000 bytes, over the 1000 byte limit"
    );
    let err = s.fails(
        NOW,
        &["message", id, "--attachment", "1", "--out", "scan.pdf"],
    );
    assert!(
        err.contains("not kept") && err.contains("left out"),
        "{err}"
    );
    assert!(
        !s.path().join("scan.pdf").exists(),
        "no file for a refused attachment"
    );
}

#[test]
fn an_unknown_message_id_is_a_one_line_error() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Graffiti",
        "I wish to complain.",
        "a1@example.org",
    );
    s.run(NOW, &["poll"]);
    for args in [
        &["message", "999"][..],
        &["message", "999", "--raw", "--out", "x.eml"],
        &["message", "999", "--attachment", "1", "--out", "x.bin"],
    ] {
        let err = s.fails(NOW, args);
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("no message with id 999"), "{args:?}: {err}");
    }
    assert!(!s.path().join("x.eml").exists() && !s.path().join("x.bin").exists());
    // Not a number: clap's usage error, non-zero, no panic.
    let out = bin::redress()
        .args(["--config", "redress.toml", "message", "not-a-number"])
        .current_dir(s.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let err = s.fails(NOW, &["message", "1", "--out", "x.eml"]);
    assert!(err.contains("--out is for"), "{err}");
}

#[test]
fn raw_to_a_terminal_is_refused() {
    // A terminal for standard output, from util-linux `script`; skipped where it is missing.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script`: skipped");
        return;
    }
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.deliver(
        "1",
        b"From: ivy@example.org\r\nSubject: Graffiti\r\nMessage-ID: <a1@example.org>\r\n\r\nI wish to complain.\x1b]0;pwned\x07\r\n",
    );
    s.run(NOW, &["poll"]);
    let id = &message_ids(&s)[0];
    let cmd = format!(
        "{} --config redress.toml message {id} --raw",
        bin::path().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(s.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("may drive a terminal"), "{text}");
    assert!(!text.contains("pwned"), "{text}");
}
