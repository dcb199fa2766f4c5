//! Issue 23, item 6 (the rest): received dates an officer types are bounded; Office
//! files are real ZIP containers; concurrent `send` processes claim each letter. All
//! through the real binary.

use crate::bin;
use crate::site;
use site::Site;

const BATH: &str = "bath-and-north-east-somerset";

fn count(s: &Site, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Staff mail (alerts) in the file outbox.
fn notices(s: &Site) -> Vec<String> {
    std::fs::read_dir(s.path().join("outbox"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("notice."))
                .collect()
        })
        .unwrap_or_default()
}

fn new_case(received: &str, confirm: bool) -> Vec<String> {
    let mut a: Vec<String> = [
        "new",
        "--email",
        "ivy@example.org",
        "--subject",
        "Bins",
        "--via",
        "phone",
        "--received",
        received,
        "--by",
        "ann",
    ]
    .map(String::from)
    .to_vec();
    if confirm {
        a.push("--confirm-date".into());
    }
    a
}

fn args(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

#[test]
fn a_received_date_in_the_future_or_over_a_year_ago_is_refused_unless_confirmed() {
    let s = Site::new(BATH, "BNES");
    let now = "2026-11-02T10:00:00Z";
    let err = s.fails(now, &args(&new_case("1900-01-01", false)));
    assert!(err.contains("1900-01-01"), "{err}");
    assert!(
        err.contains("12 months") && err.contains("2025-11-02"),
        "{err}"
    );
    assert!(err.contains("--confirm-date"), "{err}");
    let err = s.fails(now, &args(&new_case("2027-01-01", true)));
    assert!(err.contains("in the future"), "{err}");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM cases"), 0);

    // Confirmed: the case opens, acknowledged, but the response deadline that passed
    // long before it was recorded brings no holding letter and no overdue alert: the
    // case is flagged for an officer instead.
    let out = s.run(now, &args(&new_case("1900-01-01", true)));
    let r = out.trim().to_string();
    assert_eq!(r, "BNES-1900-00001");
    for day in [
        "2026-11-02T10:05:00Z",
        "2026-11-03T07:00:00Z",
        "2026-11-04T07:00:00Z",
    ] {
        let t = s.run(day, &["tick"]);
        assert!(!t.contains("holding") && !t.contains("lapsed"), "{t}");
        s.run(day, &["send"]);
    }
    let subjects: Vec<String> = s.letters().into_iter().map(|l| l.0).collect();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        !subjects[0].to_lowercase().contains("holding"),
        "{subjects:?}"
    );
    assert!(notices(&s).is_empty(), "{:?}", notices(&s));
    let case = s.case("2026-11-04T08:00:00Z", &r);
    let flag = case["case"]["flagged"].as_str().unwrap_or_default();
    assert!(flag.contains("before the case was recorded"), "{case}");
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM deadlines WHERE kind = 'respond' AND status = 'lapsed'"
        ),
        1
    );
}

#[test]
fn a_case_dated_back_within_the_year_gets_no_holding_letter_for_a_lapse_before_it_was_recorded() {
    let s = Site::new(BATH, "BNES");
    // Received in June, recorded in November: no confirmation needed, but its response
    // date passed in July.
    let r = s
        .run(
            "2026-11-02T10:00:00Z",
            &args(&new_case("2026-06-01", false)),
        )
        .trim()
        .to_string();
    assert_eq!(r, "BNES-2026-00001");
    let t = s.run("2026-11-03T07:00:00Z", &["tick"]);
    assert!(!t.contains("holding"), "{t}");
    s.run("2026-11-03T07:01:00Z", &["send"]);
    assert_eq!(s.letters().len(), 1);
    assert!(notices(&s).is_empty(), "{:?}", notices(&s));

    // A case received today still gets its alerts and holding letter in time.
    let s = Site::new(BATH, "BNES");
    s.run(
        "2026-11-02T10:00:00Z",
        &args(&new_case("2026-11-02", false)),
    );
    let t = s.run("2026-11-30T07:00:00Z", &["tick"]);
    assert!(t.contains("holding letter"), "{t}");
}

use redress::plan::enclosure::stored_zip as zip_of;

fn docx() -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
        ("word/document.xml", br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>"#),
    ])
}

#[test]
fn an_office_file_must_be_a_real_zip_with_its_parts() {
    let s = Site::new(BATH, "BNES");
    let r = s
        .run(
            "2026-11-02T10:00:00Z",
            &args(&new_case("2026-11-02", false)),
        )
        .trim()
        .to_string();
    std::fs::write(s.path().join("answer.txt"), "We have looked into it.").unwrap();
    let mut fake = b"PK\x03\x04".to_vec();
    fake.extend([0u8; 2000]);
    std::fs::write(s.path().join("fake.docx"), &fake).unwrap();
    std::fs::write(s.path().join("report.docx"), docx()).unwrap();
    let reply = |file: &str| {
        [
            "reply",
            r.as_str(),
            "--outcome",
            "upheld",
            "--body-file",
            "answer.txt",
            "--by",
            "ann",
            "--attach",
            file,
        ]
        .map(String::from)
        .to_vec()
    };
    let err = s.fails("2026-11-03T10:00:00Z", &args(&reply("fake.docx")));
    assert!(
        err.contains("attachment fake.docx is not a Word (.docx) file"),
        "{err}"
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM letter_attachments"), 0);
    s.run("2026-11-03T10:00:00Z", &args(&reply("report.docx")));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM letter_attachments"), 1);
}

/// Four `redress send` at once on 40 freshly queued acknowledgements: each letter is
/// claimed and rendered by one process only (each rendering is logged at debug level),
/// recorded once ("letter queued" once per case) and sent once.
#[test]
fn concurrent_senders_record_each_letter_once() {
    let s = Site::new(BATH, "BNES");
    for i in 0..40 {
        s.mail(
            &format!("m{i}"),
            &format!("Resident {i} <r{i}@example.org>"),
            "Potholes",
            "I wish to complain about the potholes in my road.",
            &format!("p{i}@example.org"),
        );
    }
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM letters WHERE status = 'pending'"),
        40
    );
    let children: Vec<_> = (0..4)
        .map(|_| {
            bin::redress()
                .args([
                    "--config",
                    "redress.toml",
                    "--now",
                    "2026-11-02T09:01:00Z",
                    "send",
                ])
                .current_dir(s.path())
                .env("REDRESS_LOG", "redress::outbox=debug")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut rendered: Vec<String> = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        rendered.extend(
            err.lines()
                .filter(|l| l.contains("letter rendered"))
                .map(|l| {
                    let at = l.find("letter=").unwrap_or_else(|| panic!("{l}"));
                    l[at..].split_whitespace().next().unwrap().to_string()
                }),
        );
    }
    rendered.sort();
    let renderings = rendered.len();
    rendered.dedup();
    assert_eq!(
        (renderings, rendered.len()),
        (40, 40),
        "each letter rendered once, by one process: {rendered:?}"
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM letters WHERE status = 'sent'"),
        40
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM events WHERE kind = 'letter queued'"
        ),
        40
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM events WHERE kind = 'letter sent'"),
        40
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM (SELECT case_id FROM events WHERE kind = 'letter queued'
             GROUP BY case_id HAVING COUNT(*) > 1)"
        ),
        0
    );
    assert_eq!(s.letters().len(), 40);
}

/// A renderer that stopped after claiming letters leaves claims that run out: once
/// they have, the next `send` claims, renders and sends them; before, it leaves them.
#[test]
fn letters_claimed_by_a_renderer_that_stopped_are_rendered_once_the_claim_runs_out() {
    let s = Site::new(BATH, "BNES");
    for i in 0..3 {
        s.mail(
            &format!("m{i}"),
            &format!("Resident {i} <r{i}@example.org>"),
            "Potholes",
            "I wish to complain about the potholes in my road.",
            &format!("p{i}@example.org"),
        );
    }
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s.db()
        .execute(
            "UPDATE letters SET claimed_by = 'gone', claimed_until = ?1 WHERE status = 'pending'",
            [&soon],
        )
        .unwrap();
    let out = s.run("2026-11-02T09:01:00Z", &["send"]);
    assert!(out.contains("rendered 0; sent 0"), "{out}");
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s.db()
        .execute("UPDATE letters SET claimed_until = ?1", [&past])
        .unwrap();
    let out = s.run("2026-11-02T09:02:00Z", &["send"]);
    assert!(out.contains("rendered 3; sent 3"), "{out}");
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM letters WHERE status = 'sent'"),
        3
    );
}
