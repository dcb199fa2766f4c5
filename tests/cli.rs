//! The real `redress` binary, run in a fresh temporary directory per test.

mod bin;
use std::path::Path;

use bin::{run as redress, Run};

/// A failure must be one line on stderr, non-zero, and never a panic.
fn assert_one_line_error(r: &Run, needle: &str) {
    assert_ne!(r.code, 0, "should fail: {}", r.stdout);
    assert!(!r.stderr.contains("panicked"), "panic: {}", r.stderr);
    assert!(!r.stderr.contains("backtrace"), "backtrace: {}", r.stderr);
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line expected: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(needle),
        "expected '{needle}' in: {}",
        r.stderr
    );
}

#[test]
fn policy_show_prints_every_preset_table() {
    let dir = tempfile::tempdir().unwrap();
    let expect: &[(&str, &[&str])] = &[
        (
            "buckinghamshire",
            &[
                "3 working days from receipt",
                "20 working days from receipt",
                "10 working days",
                "12 weeks from receipt",
            ],
        ),
        (
            "stockton-on-tees",
            &[
                "1 working day from receipt",
                "3 working days",
                "25 working days",
                "20 working days",
            ],
        ),
        (
            "bath-and-north-east-somerset",
            &[
                "5 working days from receipt",
                "15 working days from receipt",
                "10 working days from the escalation request",
                "30 working days from the start of the investigation",
                "within 20 working days of our response",
            ],
        ),
        (
            "west-lindsey",
            &[
                "21 days from receipt",
                "7 days from receipt",
                "14 days from receipt",
                "7 days from our response",
            ],
        ),
        (
            "north-norfolk",
            &[
                "15 working days",
                "3 working days from",
                "28 working days",
                "within 28 working days of our response",
            ],
        ),
        (
            "lgsco-code",
            &[
                "5 working days from receipt",
                "10 working days from the acknowledgement",
                "20 working days from the acknowledgement",
                "up to 10 working days",
                "up to 20 working days",
            ],
        ),
    ];
    for (name, needles) in expect {
        let r = redress(dir.path(), &["policy", "show", name]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        for n in *needles {
            assert!(
                r.stdout.contains(n),
                "{name}: '{n}' missing from\n{}",
                r.stdout
            );
        }
    }
}

#[test]
fn policy_check_accepts_the_shipped_presets_and_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let good = root.join("config/policies/bath-and-north-east-somerset.toml");
    let r = redress(dir.path(), &["policy", "check", good.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(": ok ("));

    let text = std::fs::read_to_string(&good).unwrap();
    let broken = text.replacen(
        "respond = \"15 working days from receipt\"",
        "respond = \"15 fortnights\"",
        1,
    );
    let line = broken
        .lines()
        .position(|l| l.contains("15 fortnights"))
        .unwrap()
        + 1;
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, broken).unwrap();
    let r = redress(dir.path(), &["policy", "check", bad.to_str().unwrap()]);
    assert_one_line_error(
        &r,
        &format!("bad.toml: line {line}: cannot read period '15 fortnights'"),
    );

    let r = redress(dir.path(), &["policy", "check", "missing.toml"]);
    assert_one_line_error(&r, "missing.toml: No such file");
}

#[test]
fn deadline_over_easter_2026_for_buckinghamshire() {
    let dir = tempfile::tempdir().unwrap();
    // Received Wed 1 Apr 2026. Ack 3 WD: Thu 2 (1), [Fri 3 Good Friday, Sat, Sun, Mon 6 Easter Monday],
    // Tue 7 (2), Wed 8 (3) -> 2026-04-08. Response 20 WD: Thu 2 Apr (1), 7-10 Apr (5), 13-17 (10), 20-24 (15),
    // 27 Apr-1 May (20) -> Fri 2026-05-01.
    let r = redress(
        dir.path(),
        &[
            "deadline",
            "--policy",
            "buckinghamshire",
            "--from",
            "2026-04-01",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let due = |kind: &str| {
        v["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["stage"] == "stage1" && d["kind"] == kind)
            .map(|d| d["due"].as_str().unwrap().to_string())
    };
    assert_eq!(due("acknowledge").as_deref(), Some("2026-04-08"));
    assert_eq!(due("respond").as_deref(), Some("2026-05-01"));
    // 12 weeks from Wed 1 Apr 2026 = Wed 24 Jun 2026.
    assert_eq!(due("overall-limit").as_deref(), Some("2026-06-24"));
}

#[test]
fn workdays_answer_directly() {
    let dir = tempfile::tempdir().unwrap();
    let r = redress(dir.path(), &["workdays", "add", "2026-12-24", "5"]);
    assert_eq!(r.stdout.trim(), "2027-01-05 Tue");
    let r = redress(
        dir.path(),
        &["workdays", "between", "2026-12-24", "2027-01-05"],
    );
    assert_eq!(r.stdout.trim(), "5");
    // Saturday receipt: day 1 is Monday.
    let r = redress(dir.path(), &["workdays", "add", "2026-11-28", "1"]);
    assert_eq!(r.stdout.trim(), "2026-11-30 Mon");
    let r = redress(dir.path(), &["workdays", "holidays", "2026"]);
    assert!(
        r.stdout
            .contains("2026-12-28 Mon  Boxing Day (substitute day)"),
        "{}",
        r.stdout
    );
}

#[test]
fn council_closures_from_config_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("redress.toml");
    std::fs::write(
        &cfg,
        "policy = \"bath-and-north-east-somerset\"\n[council]\nname = \"B\"\nemail = \"c@b.gov.uk\"\n\
         [calendar]\nclosures = [{ from = 2026-12-29, to = 2026-12-31, reason = \"Christmas closure\" }]\n",
    )
    .unwrap();
    let r = redress(
        dir.path(),
        &[
            "--config",
            "redress.toml",
            "workdays",
            "add",
            "2026-12-24",
            "1",
            "--explain",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 25 Fri, 28 Mon holidays; 29-31 closed; 1 Jan holiday -> Mon 4 Jan 2027.
    assert!(r.stdout.starts_with("2027-01-04 Mon"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("2026-12-30 Wed: council closure: Christmas closure"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_input_gets_one_line_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let r = redress(dir.path(), &["--config", "nope.toml", "cases"]);
    assert_one_line_error(&r, "nope.toml: No such file");
    std::fs::write(
        dir.path().join("broken.toml"),
        "policy = \"bath-and-north-east-somerset\"\n[council\nname=1\n",
    )
    .unwrap();
    let r = redress(dir.path(), &["--config", "broken.toml", "cases"]);
    assert_one_line_error(&r, "broken.toml: line 2:");
    std::fs::write(
        dir.path().join("unknown.toml"),
        "policy = \"atlantis\"\n[council]\nname = \"X\"\nemail = \"a@b\"\n",
    )
    .unwrap();
    let r = redress(dir.path(), &["--config", "unknown.toml", "cases"]);
    assert_one_line_error(&r, "unknown policy 'atlantis'");
    let r = redress(
        dir.path(),
        &["deadline", "--policy", "atlantis", "--from", "2026-01-01"],
    );
    assert_one_line_error(&r, "unknown policy 'atlantis'");
    let r = redress(dir.path(), &["case", "EX-2026-99999"]);
    assert_one_line_error(&r, "no case with reference EX-2026-99999");
    let r = redress(dir.path(), &["cases", "--state", "sleeping"]);
    assert_one_line_error(&r, "unknown state 'sleeping'");
    // clap reports argument errors itself: non-zero, says which value and why, no panic.
    let r = redress(dir.path(), &["workdays", "add", "24/12/2026", "5"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("'24/12/2026' is not a date in the form YYYY-MM-DD"),
        "{}",
        r.stderr
    );
    let r = redress(dir.path(), &["--now", "tomorrow", "cases"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("'tomorrow' is not an RFC 3339 time"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_case_recorded_by_an_officer_is_listed_shown_and_explained_at_a_fixed_now() {
    let dir = tempfile::tempdir().unwrap();
    let now = "2026-12-14T10:00:00Z";
    let r = redress(
        dir.path(),
        &[
            "--now",
            now,
            "new",
            "--email",
            "ann@example.org",
            "--name",
            "Ann Example",
            "--subject",
            "Missed bins",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "EX-2026-00001");
    assert!(dir.path().join("data/redress.db").exists());
    let r = redress(
        dir.path(),
        &[
            "--now",
            now,
            "new",
            "--email",
            "bob@example.org",
            "--kind",
            "compliment",
        ],
    );
    assert_eq!(r.stdout.trim(), "EX-2026-00002");

    let r = redress(
        dir.path(),
        &["--now", now, "cases", "--json", "--kind", "complaint"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["reference"], "EX-2026-00001");
    assert_eq!(v[0]["state"], "received");
    // LGSCO code: acknowledge within 5 WD of Mon 14 Dec 2026 -> Mon 21 Dec.
    assert_eq!(v[0]["next_due"], "2026-12-21");

    // Not overdue on the 21st, overdue on the 22nd: --now is honoured.
    let r = redress(
        dir.path(),
        &[
            "--now",
            "2026-12-21T16:00:00Z",
            "cases",
            "--overdue",
            "--json",
        ],
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let r = redress(
        dir.path(),
        &[
            "--now",
            "2026-12-22T09:00:00Z",
            "cases",
            "--overdue",
            "--json",
        ],
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = redress(
        dir.path(),
        &[
            "--now",
            "2026-12-22T09:00:00Z",
            "case",
            "ex-2026-00001",
            "--explain",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("OVERDUE"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("skipped 2026-12-19 Saturday, 2026-12-20 Sunday"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("officer:cli"), "{}", r.stdout);

    let r = redress(
        dir.path(),
        &["--now", now, "case", "EX-2026-00001", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["events"][0]["kind"], "opened");
    assert_eq!(v["deadlines"][0]["kind"], "acknowledge");
}

#[test]
fn poll_the_default_maildir_then_officers_see_flags_quarantine_and_reclassify() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("maildir/new");
    std::fs::create_dir_all(&new).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in [
        "01-complaint.eml",
        "11-no-message-id.eml",
        "13-not-mail.bin",
        "15-third-party.eml",
    ] {
        std::fs::copy(fixtures.join(f), new.join(f)).unwrap();
    }
    let now = "2026-12-17T20:00:00Z";
    let r = redress(dir.path(), &["--now", now, "poll"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("new case EX-2026-00001 (complaint), letter queued"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("attached to EX-2026-00001 (matched by third-party (subject-ref))"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("4 messages: 2 new cases (2 with a letter queued), 1 attached, 0 not answered, 1 quarantined, 0 duplicates"), "{}", r.stdout);
    // Stored, then moved to cur/ with the Seen flag.
    assert_eq!(std::fs::read_dir(&new).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path().join("maildir/cur"))
            .unwrap()
            .count(),
        4
    );

    let r = redress(dir.path(), &["--now", now, "cases", "--flagged"]);
    assert_eq!(r.stdout.trim(), "EX-2026-00001: third-party correspondence");

    let r = redress(dir.path(), &["quarantine", "--json"]);
    let q: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(q.as_array().unwrap().len(), 1);
    assert_eq!(q[0]["size"], 1024);

    // The compliment was filed as EX-2026-00002; the officer moves it to a comment.
    let r = redress(
        dir.path(),
        &[
            "--now",
            now,
            "classify",
            "EX-2026-00002",
            "--as",
            "comment",
            "--officer",
            "jo",
        ],
    );
    assert_eq!(
        r.stdout.trim(),
        "EX-2026-00002: compliment -> comment",
        "{}",
        r.stderr
    );
    let r = redress(dir.path(), &["case", "EX-2026-00002", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["case"]["kind"], "comment");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "officer:jo" && e["kind"] == "set kind"));
    let r = redress(
        dir.path(),
        &["classify", "EX-2026-00002", "--as", "nonsense"],
    );
    assert_one_line_error(&r, "unknown kind 'nonsense'");
}

#[test]
fn render_queues_pending_letters_once_without_sending_them() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("maildir/new");
    std::fs::create_dir_all(&new).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::copy(fixtures.join("01-complaint.eml"), new.join("1.eml")).unwrap();
    let now = "2026-12-17T20:00:00Z";
    assert_eq!(redress(dir.path(), &["--now", now, "poll"]).code, 0);

    // What `run` starts as its child process whenever letters are pending.
    let r = redress(dir.path(), &["--now", now, "render", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["rendered"], 1);
    let r = redress(dir.path(), &["outbox", "--json"]);
    let letters: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(letters[0]["status"], "queued", "{letters}");
    assert_eq!(letters[0]["kind"], "acknowledgement");
    // Queued, not sent: nothing in the file outbox yet.
    let sent = std::fs::read_dir(dir.path().join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(sent, 0);
    // Nothing left to render the second time.
    let r = redress(dir.path(), &["--now", now, "render"]);
    assert_eq!(r.stdout.trim(), "rendered 0", "{}", r.stderr);
}

/// Whether `s` holds a character that drives a terminal or breaks a line: any control
/// character but a line feed (and a tab, where `tabs` allows it).
fn has_raw_control(s: &str, tabs: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && !(tabs && c == '\t'))
}

#[test]
fn control_characters_in_subjects_and_names_are_escaped_in_every_listing() {
    let dir = tempfile::tempdir().unwrap();
    let subject = "Bins\x1b]0;pwned\x07 again\rFAKE ROW\x1b[2J";
    let name = "Ann\x1b[31m Red\x07";
    let r = redress(
        dir.path(),
        &[
            "--now",
            "2026-12-14T10:00:00Z",
            "new",
            "--email",
            "ann@example.org",
            "--name",
            name,
            "--subject",
            subject,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reference = r.stdout.trim().to_string();
    let escaped_subject = "Bins\\x1b]0;pwned\\x07 again\\rFAKE ROW\\x1b[2J";
    // The subject shows in the list and the case view; the others must be clean too.
    let views: [&[&str]; 4] = [
        &["cases"],
        &["case", &reference],
        &["case", &reference, "--history"],
        &["outbox"],
    ];
    for args in views {
        let r = redress(dir.path(), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(
            !has_raw_control(&r.stdout, false),
            "{args:?} printed raw control characters: {:?}",
            r.stdout
        );
        if args[0] == "cases" || (args[0] == "case" && args.len() == 2) {
            assert!(
                r.stdout.contains(escaped_subject),
                "{args:?}: {:?}",
                r.stdout
            );
        }
    }
    let r = redress(dir.path(), &["case", &reference]);
    assert!(
        r.stdout.contains("Ann\\x1b[31m Red\\x07 <ann@example.org>"),
        "{}",
        r.stdout
    );
    // The JSON keeps the text as stored (JSON escapes it itself).
    let r = redress(dir.path(), &["case", &reference, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["case"]["subject"], subject);
}

#[test]
fn quarantine_show_escapes_binary_mail_and_raw_gives_it_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("maildir/new");
    std::fs::create_dir_all(&new).unwrap();
    // Not mail: NULs, a screen clear, a title change, bytes that are not UTF-8, and
    // enough of it (200 KB) that printing it all would flood the terminal.
    let mut raw = b"\x00\x01\x1b[2J\x1b]0;pwned\x07\xff\xfe\x9b31m\r\n".to_vec();
    while raw.len() < 200_000 {
        raw.extend_from_slice(b"\x1b[5m\x00garbage\x7f\x08\r");
    }
    std::fs::write(new.join("1.bin"), &raw).unwrap();
    let r = redress(dir.path(), &["poll"]);
    assert!(
        r.stdout.contains("1 quarantined"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let r = redress(dir.path(), &["quarantine", "--json"]);
    let q: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let id = q[0]["id"].as_i64().unwrap().to_string();

    let out = bin::redress()
        .args(["quarantine", "--show", &id])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8(out.stdout).expect("--show prints UTF-8 text");
    assert!(!has_raw_control(&shown, true), "raw control bytes shown");
    assert!(
        shown.starts_with("\\x00\\x01\\x1b[2J\\x1b]0;pwned\\x07\\xff\\xfe\\x9b31m\n"),
        "{:?}",
        &shown[..80]
    );
    assert!(shown.len() < 300 * 1024, "bounded: {} bytes", shown.len());
    assert!(
        shown.trim_end().ends_with("writes it all]") && shown.contains("more bytes not shown"),
        "{:?}",
        &shown[shown.len() - 200..]
    );
    // --raw: the bytes exactly as received, to a pipe or file.
    let out = bin::redress()
        .args(["quarantine", "--show", &id, "--raw"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, raw);
    // The listing escapes its cells too.
    let r = redress(dir.path(), &["quarantine"]);
    assert!(!has_raw_control(&r.stdout, false), "{:?}", r.stdout);
}

#[test]
fn cases_into_a_pipe_closed_early_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Rows longer than a pipe holds, so the writer is still writing when the reader goes.
    let long = "x".repeat(100_000);
    for n in 0..3 {
        let r = redress(
            dir.path(),
            &[
                "new",
                "--email",
                &format!("r{n}@example.org"),
                "--subject",
                &long,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    for args in [&["cases"][..], &["cases", "--json"][..]] {
        // `redress cases | head -1`
        let mut child = bin::redress()
            .args(args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut first,
        )
        .unwrap();
        assert!(!first.is_empty());
        // The reader is gone (dropped above); the rest of the output has nowhere to go.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.is_empty(),
            "{args:?}: nothing on stderr, no panic: {stderr}"
        );
        use std::os::unix::process::ExitStatusExt;
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?}",
            out.status
        );
    }
}

#[test]
fn files_are_private_and_export_makes_a_fresh_private_folder_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let r = redress(
        dir.path(),
        &["new", "--email", "ann@example.org", "--subject", "Bins"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // umask 077 whatever the caller's: the data folder and the database are the owner's.
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    for f in std::fs::read_dir(dir.path().join("data")).unwrap() {
        let p = f.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }

    // A fresh folder: created 0700, its files 0600.
    let r = redress(
        dir.path(),
        &["export", "--email", "ann@example.org", "--out", "sar/ann"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("sar/ann");
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("messages")), 0o700);
    assert_eq!(mode(&out.join("index.json")), 0o600);

    // An existing folder, even empty, is refused and left as it was.
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    let r = redress(
        dir.path(),
        &["export", "--email", "ann@example.org", "--out", "existing"],
    );
    assert_one_line_error(&r, "existing already exists");
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);

    // A symbolic link is never followed: to a folder, or to where one would be made.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("link")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling")).unwrap();
    for link in ["link", "dangling"] {
        let r = redress(
            dir.path(),
            &["export", "--email", "ann@example.org", "--out", link],
        );
        assert_one_line_error(&r, "is a symbolic link");
    }
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(!dir.path().join("nowhere").exists());
}
