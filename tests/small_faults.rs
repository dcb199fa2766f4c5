//! Issue 23, item 6 (the rest): received dates an officer types are bounded; Office
//! files are real ZIP containers; concurrent `send` processes claim each letter. All
//! through the real binary.

mod bin;
mod site;
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
