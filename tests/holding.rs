//! Holding letters within the timescale where the policy says so, the Ombudsman's details
//! in the LGSCO Code's, extended deadlines that no longer show as overdue, and the
//! response owed again on a reopened case: through the binary, dates worked by hand with
//! the bank holidays of England and Wales (Fri 25 Dec 2026, Mon 28 Dec 2026 substitute
//! Boxing Day, Fri 1 Jan 2027).

mod bin;
mod site;
use site::Site;

fn deadline(s: &Site, now: &str, r: &str, stage: &str, kind: &str) -> serde_json::Value {
    let v = s.case(now, r);
    v["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == stage && d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {stage} {kind} in {v}"))
        .clone()
}

#[test]
fn the_lgsco_holding_letter_goes_on_the_response_date_with_the_ombudsmans_details() {
    let s = Site::new("lgsco-code", "CHC");
    let (r1, r2) = ("CHC-2026-00001", "CHC-2026-00002");
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "h1@example.org",
    );
    s.mail(
        "2",
        "Gil <gil@example.org>",
        "Street lights",
        "I wish to complain about the street lights.",
        "h2@example.org",
    );
    // Fri 11 Dec 2026: both arrive and are acknowledged at once. Code 6.3 "within 10
    // working days of the complaint being acknowledged": 14-18, 21-24 Dec (9), skipping
    // 25 and 28 Dec, Tue 29 Dec 2026.
    s.run("2026-12-11T09:00:00Z", &["poll"]);
    s.run("2026-12-11T09:01:00Z", &["send"]);
    assert_eq!(
        s.due("2026-12-11T09:01:00Z", r1, "stage1", "respond"),
        "2026-12-29"
    );
    assert_eq!(
        s.due("2026-12-11T09:01:00Z", r2, "stage1", "respond"),
        "2026-12-29"
    );
    s.run(
        "2026-12-11T10:00:00Z",
        &["assign", r1, "ann", "--by", "bob"],
    );
    // The second is answered in time, on Thu 24 Dec.
    s.respond(
        "2026-12-24T10:00:00Z",
        r2,
        "upheld",
        "The lights are fixed.",
    );

    // Thu 24 Dec: the alert, no holding letter yet.
    let out = s.run("2026-12-24T17:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!("{r1}: stage1 response due 2026-12-29")),
        "{out}"
    );
    assert!(!out.contains("holding"), "{out}");
    // Mon 28 Dec, a bank holiday: nothing.
    assert!(!s.run("2026-12-28T09:00:00Z", &["tick"]).contains("holding"));
    // Tue 29 Dec, the response date, no response sent: Code 6.4 "inform individuals of
    // the expected timescale for response" within the timescale. The new date is 10
    // working days on (6.4 "no more than 10 working days"): 30, 31 Dec, skipping 1 Jan,
    // 4-8 and 11-13 Jan: Wed 13 Jan 2027.
    let out = s.run("2026-12-29T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r1}: stage1 response due 2026-12-29 not sent, holding letter in time to 2027-01-13"
        )),
        "{out}"
    );
    assert!(!out.contains(r2), "answered in time: {out}");
    // Once only: again the same day, and on the day after, nothing.
    assert!(s
        .run("2026-12-29T07:00:00Z", &["tick"])
        .contains("nothing due"));
    assert!(!s.run("2026-12-30T07:00:00Z", &["tick"]).contains("holding"));
    s.run("2026-12-30T07:01:00Z", &["send"]);
    let holding: Vec<_> = s
        .letters()
        .into_iter()
        .filter(|l| l.0.contains("later than promised"))
        .collect();
    assert_eq!(holding.len(), 1, "{holding:?}");
    let text = &holding[0].1;
    assert!(holding[0].0.contains(r1), "{}", holding[0].0);
    assert!(text.contains("13 January 2027"), "{text}");
    // Code 6.5 "When an organisation informs an individual about an extension to these
    // timescales, they should be provided with the details of the relevant Ombudsman."
    for part in [
        "Local Government and Social Care Ombudsman",
        "www.lgo.org.uk",
        "0300 061 0614",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    // The original date is superseded, not overdue; the new one is the target.
    assert_eq!(
        deadline(&s, "2026-12-30T08:00:00Z", r1, "stage1", "respond")["status"],
        "extended"
    );
    let ext = deadline(&s, "2026-12-30T08:00:00Z", r1, "stage1", "extension");
    assert_eq!(
        (ext["due"].as_str(), ext["status"].as_str()),
        (Some("2027-01-13"), Some("open"))
    );
}

#[test]
fn a_holding_letter_after_the_lapse_gives_no_ombudsman_details_where_the_policy_asks_none() {
    // Bath & NES has no words for a holding letter within the timescale: it goes the
    // working day after the lapse, and carries no Ombudsman paragraph.
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    let r = "BNES-2026-00001";
    s.mail(
        "1",
        "Ann <ann.r@example.org>",
        "Bins",
        "I wish to complain about the bins.",
        "b1@example.org",
    );
    // Mon 14 Dec 2026 + 15 working days (skipping 25, 28 Dec, 1 Jan): Thu 7 Jan 2027.
    s.run("2026-12-14T09:00:00Z", &["poll"]);
    assert_eq!(
        s.due("2026-12-14T09:00:00Z", r, "stage1", "respond"),
        "2027-01-07"
    );
    assert!(!s.run("2027-01-07T07:00:00Z", &["tick"]).contains("holding"));
    let out = s.run("2027-01-08T07:00:00Z", &["tick"]);
    assert!(out.contains("holding letter to"), "{out}");
    s.run("2027-01-08T07:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("later than promised");
    assert!(!text.contains("Ombudsman"), "{text}");
    // It passed without a response: on record as lapsed.
    assert_eq!(
        deadline(&s, "2027-01-08T08:00:00Z", r, "stage1", "respond")["status"],
        "lapsed"
    );
}

#[test]
fn an_extended_deadline_is_not_shown_as_lapsed_or_overdue() {
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "e1@example.org",
    );
    // Tue 1 Dec 2026; respond 10 working days from the acknowledgement: Tue 15 Dec.
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    s.run("2026-12-01T09:00:00Z", &["assign", r, "ann", "--by", "bob"]);
    s.run("2026-12-01T10:00:00Z", &["tick"]);
    assert_eq!(
        s.due("2026-12-01T09:00:00Z", r, "stage1", "respond"),
        "2026-12-15"
    );
    // Wed 2 Dec: extended by 10 working days (Code 6.4), to Thu 31 Dec 2026.
    s.run(
        "2026-12-02T09:00:00Z",
        &[
            "extend",
            r,
            "--days",
            "10",
            "--reason",
            "a site visit is needed",
            "--by",
            "ann",
        ],
    );
    // Another complaint, Mon 7 Dec: its response is due Mon 21 Dec, within the managers'
    // digest's 3 working days on Wed 16 Dec, so the digest has something to list.
    s.mail(
        "2",
        "Gil <gil@example.org>",
        "Street lights",
        "I wish to complain about the street lights.",
        "e2@example.org",
    );
    s.run("2026-12-07T09:00:00Z", &["poll"]);
    // Wed 16 Dec, after the original date: the original is "extended", not lapsed or
    // overdue, and only the new date counts.
    let now = "2026-12-16T09:00:00Z";
    assert_eq!(
        deadline(&s, now, r, "stage1", "respond")["status"],
        "extended"
    );
    let text = s.run(now, &["case", r]);
    let row = text
        .lines()
        .find(|l| l.contains("stage1") && l.contains("respond"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("extended"), "{row}");
    assert!(!row.contains("OVERDUE") && !row.contains("lapsed"), "{row}");
    assert!(!s.run(now, &["cases", "--overdue"]).contains(r));
    let explain = s.run(now, &["case", r, "--explain"]);
    assert!(
        explain.contains("stage1 respond: 10 working days from the acknowledgement (2026-12-01 Tue) = 2026-12-15 Tue")
            && explain.contains("extended: only the new target counts"),
        "{explain}"
    );
    assert!(
        explain.contains("stage1 extension: 10 working days from the previous target (2026-12-15 Tue) = 2026-12-31 Thu"),
        "{explain}"
    );
    // The scheduler sees nothing lapsed, and the managers' digest lists nothing overdue.
    let out = s.run("2026-12-16T08:30:00Z", &["tick"]);
    assert!(!out.contains("lapsed"), "{out}");
    s.run("2026-12-16T08:31:00Z", &["send"]);
    let digests: Vec<String> = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|f| f.unwrap())
        .filter(|f| f.file_name().to_string_lossy().starts_with("digest."))
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    assert_eq!(digests.len(), 1, "the 08:00 digest fired: {out}");
    assert!(digests[0].contains("CHC-2026-00002"), "{}", digests[0]);
    assert!(
        !digests[0].contains("OVERDUE") && !digests[0].contains(r),
        "{}",
        digests[0]
    );
    // On Fri 1 Jan 2027 (a bank holiday), the day after the new date, it is overdue.
    assert!(s
        .run("2027-01-01T09:00:00Z", &["cases", "--overdue"])
        .contains(r));
}

#[test]
fn a_reopened_complaint_owes_its_response_again_from_the_reopening_day() {
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "o1@example.org",
    );
    s.run("2026-12-01T09:00:00Z", &["poll"]);
    s.run(
        "2026-12-03T09:00:00Z",
        &["close", r, "--reason", "withdrawn", "--by", "ann"],
    );
    // Mon 21 Dec 2026: reopened. Code 6.3's 10 working days count from the reopening
    // day: 22-24, 29-31 Dec, skipping 25 and 28 Dec and 1 Jan, 4-7 Jan: Thu 7 Jan 2027.
    s.run(
        "2026-12-21T09:00:00Z",
        &[
            "reopen",
            r,
            "--reason",
            "resident called back",
            "--by",
            "ann",
        ],
    );
    let d = deadline(&s, "2026-12-21T09:00:00Z", r, "stage1", "respond");
    assert_eq!(d["due"], "2027-01-07");
    assert_eq!(d["status"], "open");
    assert_eq!(d["from_event"], "the reopening");
    let explain = s.run("2026-12-21T09:00:00Z", &["case", r, "--explain"]);
    assert!(
        explain.contains(
            "stage1 respond: 10 working days from the reopening (2026-12-21 Mon) = 2027-01-07 Thu"
        ),
        "{explain}"
    );
    assert!(!s
        .run("2026-12-22T09:00:00Z", &["cases", "--overdue"])
        .contains(r));
    // Answered, closed (no escalation window in the Code at stage 1), and reopened
    // again on Mon 4 Jan 2027: the response is owed again, 10 working days on, Mon 18 Jan.
    s.respond("2026-12-22T10:00:00Z", r, "upheld", "Repaired.");
    assert_eq!(
        deadline(&s, "2026-12-22T10:00:00Z", r, "stage1", "respond")["status"],
        "met"
    );
    s.run(
        "2027-01-04T09:00:00Z",
        &["reopen", r, "--reason", "the repair failed", "--by", "ann"],
    );
    let d = deadline(&s, "2027-01-04T09:00:00Z", r, "stage1", "respond");
    assert_eq!(
        (d["due"].as_str(), d["status"].as_str()),
        (Some("2027-01-18"), Some("open"))
    );
    // The scheduler holds to it: an alert two working days before, nothing lapsed.
    let out = s.run("2027-01-14T09:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!("{r}: stage1 response due 2027-01-18")),
        "{out}"
    );
}

#[test]
fn a_preset_with_an_unreadable_holding_letter_time_is_refused_in_one_line() {
    let s = Site::new("lgsco-code", "CHC");
    let lgsco = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/policies/lgsco-code.toml"
    ))
    .unwrap();
    let bad = lgsco.replacen(
        "holding_letter_sent = \"on the response date\"",
        "holding_letter_sent = \"soonish\"",
        1,
    );
    assert_ne!(bad, lgsco);
    std::fs::write(s.path().join("bad.toml"), bad).unwrap();
    let err = s.fails("2026-12-01T09:00:00Z", &["policy", "check", "bad.toml"]);
    assert!(err.contains("holding_letter_sent"), "{err}");
}
