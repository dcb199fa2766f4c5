//! The Maildir source through the real binary: oversized mail is quarantined from its
//! headers alone, and a file that cannot be read does not stop the mailbox.

use crate::bin;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-14T10:00:00Z";
/// A small limit, so that the oversized test message is small too.
const LIMIT: usize = 64 * 1024;

fn complaint(i: usize) -> Vec<u8> {
    format!(
        "From: Resident {i} <resident{i}@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint {i} about missed bins\r\n\
         Message-ID: <maildir-test-{i}@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\nI wish to complain about bin {i}.\r\n"
    )
    .into_bytes()
}

/// A complaint of about `size` bytes: 300 bytes of headers, then lines of text.
fn big_complaint(size: usize) -> Vec<u8> {
    let mut m = b"From: Big Sender <big@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint with a huge scan\r\n\
Message-ID: <maildir-big@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n"
        .to_vec();
    while m.len() < size {
        m.extend_from_slice(b"BODY-LINE the scanned pages of my complaint, again and again.\r\n");
    }
    m
}

fn setup(dir: &Path) {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join("maildir").join(sub)).unwrap();
    }
    std::fs::write(
        dir.join("redress.toml"),
        format!(
            "policy = \"lgsco-code\"\n[council]\nname = \"Example Council\"\nemail = \"complaints@example.gov.uk\"\nreference_prefix = \"EX\"\n\
             [mailbox]\nkind = \"maildir\"\npath = \"maildir\"\n[outbox]\nkind = \"file\"\npath = \"outbox\"\n\
             [inbound]\nmax_message_bytes = {LIMIT}\n"
        ),
    )
    .unwrap();
}

fn deliver(dir: &Path, name: &str, raw: &[u8]) {
    std::fs::write(dir.join("maildir/new").join(name), raw).unwrap();
}

/// `redress <args>` in `dir`, optionally as another (unprivileged) user via setpriv.
fn redress(dir: &Path, as_uid: Option<u32>, args: &[&str]) -> Output {
    let bin = bin::path();
    let mut c = match as_uid {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={uid}"))
                .arg("--clear-groups")
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    c.args(["--config", "redress.toml", "--now", NOW])
        .args(args)
        .current_dir(dir)
        .env_remove("REDRESS_LOG")
        .output()
        .unwrap()
}

fn poll_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "poll failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn names(dir: &Path, sub: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("maildir").join(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_oversized_message_is_quarantined_from_its_headers_and_the_rest_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let big = big_complaint(200 * 1024);
    deliver(dir, "1.first", &complaint(1));
    deliver(dir, "2.big", &big);
    deliver(dir, "3.after", &complaint(3));

    let r = poll_json(&redress(dir, None, &["poll", "--json"]));
    assert_eq!(r["seen"], 3, "{r}");
    assert_eq!(
        r["new_cases"], 2,
        "the messages around it become cases: {r}"
    );
    assert_eq!(r["quarantined"], 1, "{r}");
    // All three processed (moved to cur/ with the Seen flag), the big one included.
    assert!(names(dir, "new").is_empty());
    assert_eq!(
        names(dir, "cur"),
        vec!["1.first:2,S", "2.big:2,S", "3.after:2,S"]
    );

    let q = redress(dir, None, &["quarantine", "--json"]);
    let q: serde_json::Value = serde_json::from_slice(&q.stdout).unwrap();
    let q = q.as_array().unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    let reason = q[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{} bytes", big.len())) && reason.contains(&LIMIT.to_string()),
        "the reason gives the size and the limit: {reason}"
    );
    // Only the header section was kept.
    let size = q[0]["size"].as_u64().unwrap();
    assert!(
        size > 0 && size < 1024,
        "stored {size} bytes of a {} byte message",
        big.len()
    );
    let id = q[0]["id"].to_string();
    let raw = redress(dir, None, &["quarantine", "--show", &id]).stdout;
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("Subject: Complaint with a huge scan"), "{raw}");
    assert!(!raw.contains("BODY-LINE"), "no body stored: {raw}");

    // A second pass finds nothing left to do.
    let r = poll_json(&redress(dir, None, &["poll", "--json"]));
    assert_eq!(r["seen"], 0, "{r}");
}

/// Three complaints in a Maildir owned by nobody (65534), the second at mode 000: as
/// nobody, that one cannot be read. Returns the site and the locked file.
fn mailbox_of_nobody_with_one_locked_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    deliver(dir, "1.first", &complaint(1));
    deliver(dir, "2.locked", &complaint(2));
    deliver(dir, "3.after", &complaint(3));
    let ok = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chown");
    let locked = dir.join("maildir/new/2.locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    (tmp, locked)
}

#[test]
fn an_unreadable_file_is_skipped_and_the_rest_of_the_mailbox_ingested() {
    // Root reads any file whatever its mode: run redress as nobody (65534), who owns
    // the mailbox and everything else, so that the one file at mode 000 is unreadable.
    let (tmp, locked) = mailbox_of_nobody_with_one_locked_file();
    let dir = tmp.path();

    let out = redress(dir, Some(65534), &["poll", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let r = poll_json(&out);
    assert_eq!(r["seen"], 2, "{r}");
    assert_eq!(r["new_cases"], 2, "{r}");
    // Said once, with the file and the error.
    let warned: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("cannot read a message file"))
        .collect();
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].contains("2.locked") && warned[0].contains("Permission denied"),
        "{stderr}"
    );
    // The unreadable one is left where it was; the others are processed.
    assert_eq!(names(dir, "new"), vec!["2.locked"]);
    assert_eq!(names(dir, "cur"), vec!["1.first:2,S", "3.after:2,S"]);

    // Once it can be read, the next pass ingests it: nothing was lost.
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let r = poll_json(&redress(dir, Some(65534), &["poll", "--json"]));
    assert_eq!(r["seen"], 1, "{r}");
    assert_eq!(r["new_cases"], 1, "{r}");
    assert!(names(dir, "new").is_empty());
}

#[test]
fn the_daemon_warns_once_about_an_unreadable_file_and_reads_it_once_fixed() {
    // As above, as nobody; `redress run` checks the Maildir every 5 s.
    let (tmp, locked) = mailbox_of_nobody_with_one_locked_file();
    let dir = tmp.path();
    let log = dir.join("run.log");
    let mut child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin::path())
        .args(["--config", "redress.toml", "run"])
        .current_dir(dir)
        .env_remove("REDRESS_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let wait_for = |n: usize, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while names(dir, "cur").len() < n {
            assert!(
                Instant::now() < deadline,
                "{what}: {}",
                std::fs::read_to_string(&log).unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for(2, "the readable two are ingested");
    // Three more passes over the unchanged file.
    std::thread::sleep(Duration::from_secs(16));
    let warnings = |log: &str| {
        log.lines()
            .filter(|l| l.contains("cannot read a message file"))
            .count()
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(warnings(&text), 1, "one warning, not one per pass: {text}");
    assert_eq!(names(dir, "new"), vec!["2.locked"]);
    // Fixed: read at the next pass.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();
    wait_for(3, "the fixed file is ingested");
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(warnings(&text), 1, "{text}");
    assert!(names(dir, "new").is_empty());
}

#[test]
fn a_symbolic_link_or_a_fifo_in_new_is_never_read_and_the_rest_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    // A link to a file the service can read but officers must never see.
    std::fs::write(
        dir.join("secret"),
        b"From: x@example.org\r\nSubject: SECRET-CREDENTIAL\r\n\r\nhunter2\r\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("secret"), dir.join("maildir/new/1.link")).unwrap();
    // A FIFO: opening it to read would wait for a writer for ever.
    let fifo = dir.join("maildir/new/2.fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
    deliver(dir, "3.eml", &complaint(3));
    let out = redress(dir, None, &["poll", "--json"]);
    let v = poll_json(&out);
    assert_eq!((&v["seen"], &v["new_cases"]), (&1.into(), &1.into()), "{v}");
    let db = rusqlite::Connection::open(dir.join("data/redress.db")).unwrap();
    let leaked: i64 = db
        .query_row(
            "SELECT (SELECT count(*) FROM messages WHERE CAST(raw AS TEXT) LIKE '%SECRET%')
                  + (SELECT count(*) FROM quarantine WHERE CAST(raw AS TEXT) LIKE '%SECRET%')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0, "the linked file was read");
    // Both are left where they are; the secret itself is untouched.
    assert_eq!(names(dir, "new"), vec!["1.link", "2.fifo"]);
    assert!(dir.join("secret").exists());
}
