//! The real `redress` binary, run in a fresh temporary directory per test.

use crate::bin;
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
fn now_may_be_a_date_meaning_nine_in_the_morning_in_london() {
    let dir = tempfile::tempdir().unwrap();
    // 1 July 2026 is in British Summer Time (09:00 London is 08:00 UTC); 24 December is
    // not (09:00 UTC).
    for (date, stored) in [
        ("2026-07-01", "2026-07-01T08:00:00Z"),
        ("2026-12-24", "2026-12-24T09:00:00Z"),
    ] {
        let r = redress(
            dir.path(),
            &["--now", date, "new", "--email", "jo@example.net"],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let cases = redress(dir.path(), &["cases", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&cases.stdout).unwrap();
        assert!(
            v.as_array()
                .unwrap()
                .iter()
                .any(|c| c["received_at"] == stored),
            "{date}: {}",
            cases.stdout
        );
    }
}

#[test]
fn by_names_who_recorded_a_case_and_officer_still_works() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, who) in [("--by", "sam"), ("--officer", "ann")] {
        let r = redress(
            dir.path(),
            &[
                "new",
                "--email",
                &format!("{who}-case@example.net"),
                flag,
                who,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let reference = r.stdout.trim().to_string();
        let case = redress(dir.path(), &["case", &reference, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&case.stdout).unwrap();
        assert_eq!(v["events"][0]["actor"], format!("officer:{who}"), "{v}");
    }
}

#[test]
fn a_command_that_records_something_ends_quietly_when_its_reader_has_gone() {
    let dir = tempfile::tempdir().unwrap();
    // `head -c 1` closes the pipe after one byte of the JSON.
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            &format!(
                "set -o pipefail; '{}' new --email jo@example.net --json | head -c 1 >/dev/null",
                bin::path().display()
            ),
        ])
        .current_dir(dir.path())
        .env_remove("REDRESS_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    // The case was recorded all the same.
    let cases = redress(dir.path(), &["cases", "--json"]);
    assert!(cases.stdout.contains("jo@example.net"), "{}", cases.stdout);
}

#[test]
fn explain_names_the_council_its_letters_name() {
    let dir = tempfile::tempdir().unwrap();
    let r = redress(dir.path(), &["new", "--email", "jo@example.net"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reference = r.stdout.trim().to_string();
    // The zero-setup config runs the LGSCO Code preset, whose file calls the council
    // "The Council"; letters and --explain both use the configured council's name.
    let explain = redress(dir.path(), &["case", &reference, "--explain"]);
    assert!(
        explain
            .stdout
            .contains("Rules: Example Council, under the lgsco-code preset ("),
        "{}",
        explain.stdout
    );
    assert!(
        !explain.stdout.contains("The Council"),
        "{}",
        explain.stdout
    );
    let text = bin::preview_text(dir.path(), &[], &reference, "acknowledgement");
    assert!(text.contains("Example Council"), "{text}");
    assert!(!text.contains("The Council"), "{text}");
}

/// A telephone number recorded for a customer (issue 26: customer details): kept with
/// its event, shown in the subject access export, refused with one line when it is not
/// a number, and cleared with "".
#[test]
fn officers_record_a_customers_telephone_number() {
    let dir = tempfile::tempdir().unwrap();
    let r = redress(
        dir.path(),
        &["new", "--email", "ann@example.net", "--name", "Ann"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let phone = |dir: &std::path::Path| -> Option<String> {
        rusqlite::Connection::open(dir.join("data/redress.db"))
            .unwrap()
            .query_row(
                "SELECT phone FROM customers WHERE email = 'ann@example.net'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let r = redress(
        dir.path(),
        &[
            "customer",
            "ann@example.net",
            "--phone",
            " 01225 477000 ",
            "--by",
            "sam",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(phone(dir.path()).as_deref(), Some("01225 477000"));
    let out = dir.path().join("sar");
    let r = redress(
        dir.path(),
        &[
            "export",
            "--email",
            "ann@example.net",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let index = std::fs::read_to_string(out.join("index.json")).unwrap();
    assert!(index.contains("01225 477000"), "{index}");
    // Not a number: one line, nothing changed.
    for bad in ["call me", "12", "+44 1225 <b>"] {
        let r = redress(dir.path(), &["customer", "ann@example.net", "--phone", bad]);
        assert_one_line_error(&r, "is not a telephone number");
        assert_eq!(phone(dir.path()).as_deref(), Some("01225 477000"));
    }
    let r = redress(dir.path(), &["customer", "ann@example.net", "--phone", ""]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(phone(dir.path()), None);
    let db = rusqlite::Connection::open(dir.path().join("data/redress.db")).unwrap();
    let details: Vec<String> = db
        .prepare("SELECT detail FROM events WHERE kind = 'customer details corrected' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(details, ["phone: 01225 477000", "phone: (none)"]);
}

#[test]
fn officers_correct_a_customer_set_the_service_and_clear_a_flag() {
    // Issue 13, item 3.
    let dir = tempfile::tempdir().unwrap();
    let r = redress(
        dir.path(),
        &["new", "--email", "jo@example.net", "--name", "Jo"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reference = r.stdout.trim().to_string();
    let r = redress(
        dir.path(),
        &[
            "customer",
            "jo@example.net",
            "--name",
            "Jo Bloggs",
            "--new-email",
            "jo.bloggs@example.net",
            "--address",
            "12 Acacia Avenue",
            "--address",
            "Keynsham BS31 1AA",
            "--by",
            "sam",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = redress(
        dir.path(),
        &["service", &reference, "Waste and Recycling", "--by", "sam"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let db = rusqlite::Connection::open(dir.path().join("data/redress.db")).unwrap();
    db.execute("UPDATE cases SET flagged = 'bounced'", [])
        .unwrap();
    let r = redress(dir.path(), &["unflag", &reference, "--by", "sam"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let case = redress(dir.path(), &["case", &reference, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&case.stdout).unwrap();
    let c = &v["case"];
    assert_eq!(c["customer_email"], "jo.bloggs@example.net", "{v}");
    assert_eq!(c["customer_name"], "Jo Bloggs", "{v}");
    assert_eq!(c["service"], "Waste and Recycling", "{v}");
    assert_eq!(c["flagged"], serde_json::Value::Null, "{v}");
    let events: Vec<(String, String)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for kind in ["customer details corrected", "set service", "set flagged"] {
        assert!(
            events.contains(&(kind.to_string(), "officer:sam".to_string())),
            "{kind}: {events:?}"
        );
    }
    // The letters use the corrected details.
    let text = bin::preview_text(dir.path(), &[], &reference, "acknowledgement");
    assert!(text.contains("12 Acacia Avenue"), "{text}");
    assert!(text.contains("Jo Bloggs"), "{text}");

    // Bad input: one line, non-zero, nothing changed.
    let r = redress(
        dir.path(),
        &["customer", "nobody@example.net", "--name", "X"],
    );
    assert_one_line_error(&r, "no customer with the email address nobody@example.net");
    let r = redress(dir.path(), &["customer", "jo.bloggs@example.net"]);
    assert_one_line_error(&r, "nothing to change");
    let r = redress(
        dir.path(),
        &[
            "customer",
            "jo.bloggs@example.net",
            "--new-email",
            "not an address",
        ],
    );
    assert_one_line_error(&r, "is not an email address");
}

#[test]
fn a_duty_manager_must_be_on_the_staff_list() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("duty.toml"),
        "policy = \"lgsco-code\"\n[council]\nname = \"X\"\nemail = \"a@b.example\"\n\
         [workflow]\nduty_manager = \"nobody\"\n\
         [[staff]]\nname = \"ann\"\nemail = \"ann@b.example\"\n",
    )
    .unwrap();
    let r = redress(dir.path(), &["--config", "duty.toml", "cases"]);
    assert_one_line_error(
        &r,
        "duty.toml: line 6: [workflow] duty_manager 'nobody' is not listed under [[staff]]",
    );
}

#[test]
fn policy_check_refuses_council_entry_on_a_first_stage_and_an_unknown_value() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/policies/stockton-on-tees.toml")).unwrap();
    // The first stage has nothing before it to be moved from.
    let broken = text.replacen(
        "respond = \"3 working days from receipt\"",
        "respond = \"3 working days from receipt\"\ncouncil_entry = \"move\"",
        1,
    );
    let line = broken
        .lines()
        .position(|l| l == "council_entry = \"move\"")
        .unwrap()
        + 1;
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, broken).unwrap();
    let r = redress(dir.path(), &["policy", "check", bad.to_str().unwrap()]);
    assert_one_line_error(
        &r,
        &format!("bad.toml: line {line}: stage early: council_entry needs an earlier stage"),
    );
    let unknown = text.replacen(
        "council_entry = \"receipt\"",
        "council_entry = \"whenever\"",
        1,
    );
    std::fs::write(&bad, unknown).unwrap();
    let r = redress(dir.path(), &["policy", "check", bad.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("whenever"), "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
}
