//! Files an officer encloses with a reply (`redress reply ... --attach FILE`), through
//! the real binary and a real SMTP server on loopback (aiosmtpd): the email carries the
//! PDF letter and then the files, byte for byte; the letter lists them under
//! Enclosures; a file of a type not allowed, or over the configured size, is refused
//! with nothing queued; a subject access export copies them; erasure removes them.

use crate::letters_support;

use letters_support::*;
use mail_parser::{MessageParser, MimeHeaders};
use std::path::Path;

const REF: &str = "BNES-2026-00001";
const DAY1: &str = "2026-11-02T09:00:00Z";
const DAY2: &str = "2026-11-03T09:00:00Z";

/// A PDF and a PNG as an officer would attach them (the bytes start as such files do).
fn files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut pdf = b"%PDF-1.4\n% site photos\n".to_vec();
    pdf.extend((0..3000u32).map(|i| (i * 7 % 251) as u8));
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..2000u32).map(|i| (i * 13 % 256) as u8));
    std::fs::write(dir.join("Site visit report.pdf"), &pdf).unwrap();
    std::fs::write(dir.join("photo.png"), &png).unwrap();
    (pdf, png)
}

fn cli(dir: &Path, now: &str, args: &[&str]) -> Run {
    let mut all = vec!["--config", "redress.toml", "--now", now];
    all.extend_from_slice(args);
    redress(dir, &all)
}

fn ok(dir: &Path, now: &str, args: &[&str]) -> String {
    let r = cli(dir, now, args);
    assert_eq!(r.code, 0, "redress {args:?}: {}{}", r.stderr, r.stdout);
    r.stdout
}

/// Refused: a non-zero exit and one line on stderr.
fn refused(dir: &Path, now: &str, args: &[&str]) -> String {
    let r = cli(dir, now, args);
    assert_ne!(
        r.code, 0,
        "redress {args:?} should be refused: {}",
        r.stdout
    );
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    r.stderr
}

fn count(dir: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join("data/redress.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// A Bath & NES site sending by SMTP to a sink, with small limits for enclosures, and
/// case BNES-2026-00001 from Ivy recorded on day 1.
fn site(dir: &Path) -> Sink {
    let port = free_port();
    let sink = Sink::start(port, &dir.join("sink"), &[]);
    write_config(
        dir,
        &smtp_outbox(port),
        "[letters]\nmax_file_attachment_bytes = 8000\nmax_letter_attachment_bytes = 12000\n",
    );
    ok(
        dir,
        DAY1,
        &[
            "new",
            "--email",
            "ivy@example.org",
            "--name",
            "Ivy",
            "--by",
            "ann",
        ],
    );
    std::fs::write(dir.join("findings.txt"), "The bins were missed twice.").unwrap();
    sink
}

fn reply_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "reply",
        REF,
        "--outcome",
        "upheld",
        "--body-file",
        "findings.txt",
        "--by",
        "ann",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn a_reply_sends_the_pdf_then_the_enclosed_files_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sink = site(dir);
    let (pdf, png) = files(dir);
    let attach = ["--attach", "Site visit report.pdf", "--attach", "photo.png"];

    // The preview shows the letter as it will go, Enclosures and all; nothing queued.
    let letters = count(dir, "SELECT count(*) FROM letters");
    let mut args = reply_args(&attach);
    args.extend(["--preview", "preview.pdf"]);
    ok(dir, DAY2, &args);
    let preview = squash(&pdf_text(&dir.join("preview.pdf")));
    assert!(
        preview.contains("Enclosures: Site visit report.pdf, photo.png"),
        "{preview}"
    );
    assert_eq!(count(dir, "SELECT count(*) FROM letters"), letters);
    assert_eq!(count(dir, "SELECT count(*) FROM letter_attachments"), 0);

    ok(dir, DAY2, &reply_args(&attach));
    assert_eq!(count(dir, "SELECT count(*) FROM letter_attachments"), 2);
    // Who enclosed what is on the case's history.
    let history = ok(dir, DAY2, &["case", REF, "--history"]);
    let enclosed = history
        .lines()
        .find(|l| l.contains("enclosed"))
        .unwrap_or_else(|| panic!("no enclosed event in\n{history}"));
    assert!(
        enclosed.contains("officer:ann") || enclosed.contains("ann"),
        "{enclosed}"
    );
    assert!(
        enclosed.contains("Site visit report.pdf") && enclosed.contains("photo.png"),
        "{enclosed}"
    );

    ok(dir, DAY2, &["send"]);
    let msgs = sink.messages();
    let raw = msgs
        .iter()
        .find(|m| String::from_utf8_lossy(m).contains("stage-response"))
        .unwrap_or_else(|| panic!("no stage response among {} messages", msgs.len()));
    let m = MessageParser::default().parse(raw).unwrap();
    let parts: Vec<(String, String, Vec<u8>)> = m
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                a.content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                    .unwrap_or_default(),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        parts.len(),
        3,
        "{:?}",
        parts.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    assert_eq!(parts[0].0, format!("{REF}-stage-response.pdf"));
    assert_eq!(parts[0].1, "application/pdf");
    assert_eq!(
        (parts[1].0.as_str(), parts[1].1.as_str()),
        ("Site visit report.pdf", "application/pdf")
    );
    assert_eq!(parts[1].2, pdf, "the enclosed PDF arrives byte for byte");
    assert_eq!(
        (parts[2].0.as_str(), parts[2].1.as_str()),
        ("photo.png", "image/png")
    );
    assert_eq!(parts[2].2, png, "the enclosed PNG arrives byte for byte");
    // The letter itself lists them, in the PDF and in the email's text.
    std::fs::write(dir.join("sent.pdf"), &parts[0].2).unwrap();
    assert_valid_pdf(&dir.join("sent.pdf"));
    let letter = squash(&pdf_text(&dir.join("sent.pdf")));
    assert!(
        letter.contains("Enclosures: Site visit report.pdf, photo.png"),
        "{letter}"
    );
    let text = m.body_text(0).unwrap_or_default();
    assert!(
        text.contains("Enclosures: Site visit report.pdf, photo.png"),
        "{text}"
    );

    // A subject access export copies them beside the letter.
    ok(
        dir,
        DAY2,
        &["export", "--email", "ivy@example.org", "--out", "sar"],
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("sar/index.json")).unwrap()).unwrap();
    let reply = index["letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "stage-response")
        .unwrap();
    let enclosures = reply["enclosures"].as_array().unwrap();
    assert_eq!(enclosures.len(), 2, "{reply}");
    let copied = |i: usize| {
        std::fs::read(
            dir.join("sar")
                .join(enclosures[i]["file"].as_str().unwrap()),
        )
        .unwrap()
    };
    assert_eq!(copied(0), pdf);
    assert_eq!(copied(1), png);
    assert_eq!(enclosures[1]["name"], "photo.png");

    // Years after the case closed, erasure removes the files with the rest.
    ok(
        dir,
        DAY2,
        &["close", REF, "--reason", "resolved", "--by", "ann"],
    );
    let out = ok(dir, "2034-01-10T09:00:00Z", &["retention", "--by", "dpo"]);
    assert!(out.contains("erased 1 cases"), "{out}");
    assert!(
        out.contains("and 2 files enclosed with their letters"),
        "{out}"
    );
    assert_eq!(count(dir, "SELECT count(*) FROM letter_attachments"), 0);
    let db = std::fs::read(dir.join("data/redress.db")).unwrap();
    assert!(
        !db.windows(40).any(|w| w == &png[8..48]),
        "the PNG's bytes are gone from the database file"
    );
}

#[test]
fn a_file_not_allowed_or_too_large_is_refused_with_nothing_queued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let _sink = site(dir);
    files(dir);
    std::fs::write(dir.join("tool.exe"), b"MZ\x90\x00\x03\x00\x00\x00").unwrap();
    // A program renamed to look like a PDF.
    std::fs::write(dir.join("invoice.pdf"), b"MZ\x90\x00\x03\x00\x00\x00").unwrap();
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(9000, b'x');
    std::fs::write(dir.join("big.pdf"), &big).unwrap();
    let mut half = b"%PDF-1.4\n".to_vec();
    half.resize(7000, b'y');
    std::fs::write(dir.join("half1.pdf"), &half).unwrap();
    std::fs::write(dir.join("half2.pdf"), &half).unwrap();

    let letters = count(dir, "SELECT count(*) FROM letters");
    let events = count(dir, "SELECT count(*) FROM events");
    let state = ok(dir, DAY2, &["case", REF, "--json"]);

    let e = refused(
        dir,
        DAY2,
        &reply_args(&["--attach", "photo.png", "--attach", "tool.exe"]),
    );
    assert!(
        e.contains(
            "attachment tool.exe: this type of file cannot be sent (allowed: PDF, PNG, JPEG"
        ),
        "{e}"
    );
    let e = refused(dir, DAY2, &reply_args(&["--attach", "invoice.pdf"]));
    assert!(
        e.contains("attachment invoice.pdf is not a PDF file, whatever its name says"),
        "{e}"
    );
    let e = refused(dir, DAY2, &reply_args(&["--attach", "big.pdf"]));
    assert!(e.contains("is 9 KB: at most 8 KB per file"), "{e}");
    let e = refused(
        dir,
        DAY2,
        &reply_args(&["--attach", "half1.pdf", "--attach", "half2.pdf"]),
    );
    assert!(
        e.contains("the attachments come to 14 KB: at most 12 KB in one letter"),
        "{e}"
    );
    let e = refused(dir, DAY2, &reply_args(&["--attach", "missing.pdf"]));
    assert!(e.contains("--attach missing.pdf"), "{e}");
    // At most ten files on one letter, however small.
    let mut eleven = Vec::new();
    for n in 1..=11 {
        std::fs::write(dir.join(format!("note{n}.txt")), b"A note.").unwrap();
        eleven.push("--attach".to_string());
        eleven.push(format!("note{n}.txt"));
    }
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let e = refused(dir, DAY2, &reply_args(&eleven));
    assert!(
        e.contains("11 files are attached: a letter may enclose at most 10"),
        "{e}"
    );

    assert_eq!(count(dir, "SELECT count(*) FROM letters"), letters);
    assert_eq!(count(dir, "SELECT count(*) FROM letter_attachments"), 0);
    assert_eq!(count(dir, "SELECT count(*) FROM events"), events);
    assert_eq!(ok(dir, DAY2, &["case", REF, "--json"]), state);
}

#[test]
fn a_bad_limit_in_the_config_is_one_line_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (extra, key) in [
        (
            "[letters]\nmax_letter_attachment_bytes = 0\n",
            "max_letter_attachment_bytes 0 must be between 1 and",
        ),
        (
            "[letters]\nmax_file_attachment_bytes = 5000\nmax_letter_attachment_bytes = 4000\n",
            "max_file_attachment_bytes 5000 must be between 1 and max_letter_attachment_bytes (4000)",
        ),
        (
            "[letters]\nmax_letter_attachment_bytes = 999999999\n",
            "max_letter_attachment_bytes 999999999 must be between 1 and 20971520",
        ),
    ] {
        write_config(dir, &file_outbox(), extra);
        let r = cli(dir, DAY1, &["cases"]);
        assert_ne!(r.code, 0, "{extra}");
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(key), "{}", r.stderr);
        assert!(r.stderr.contains("[letters]"), "{}", r.stderr);
    }
}

#[test]
fn a_letter_held_to_post_gives_its_enclosures_with_its_pdf_to_print() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(dir, &file_outbox(), "");
    ok(
        dir,
        DAY1,
        &[
            "new",
            "--address",
            "1 Royal Crescent",
            "--address",
            "Bath",
            "--name",
            "Pat",
            "--via",
            "letter",
            "--by",
            "ann",
        ],
    );
    std::fs::write(dir.join("findings.txt"), "The bins were missed twice.").unwrap();
    let (_, png) = files(dir);
    ok(dir, DAY2, &reply_args(&["--attach", "photo.png"]));
    ok(dir, DAY2, &["send"]);
    let id: i64 = rusqlite::Connection::open(dir.join("data/redress.db"))
        .unwrap()
        .query_row(
            "SELECT id FROM letters WHERE kind = 'stage-response' AND status = 'held'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    std::fs::create_dir(dir.join("print")).unwrap();
    let out = ok(
        dir,
        DAY2,
        &[
            "outbox",
            "--pdf",
            &id.to_string(),
            "--out",
            "print/reply.pdf",
        ],
    );
    assert!(
        out.contains("print/reply-enclosure-1-photo.png (2008 bytes): enclosed with the letter"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(dir.join("print/reply-enclosure-1-photo.png")).unwrap(),
        png
    );
    let letter = squash(&pdf_text(&dir.join("print/reply.pdf")));
    assert!(letter.contains("Enclosures: photo.png"), "{letter}");
}
