//! Issue 24, items 10 and 12 through the binary: Bath & NES's unreasonable-behaviour
//! procedure (seed 002 l.313-332) and North Norfolk's complaints about directors (seed
//! 004 l.424). Dates worked by hand with the 2026-27 bank holidays of England and Wales
//! (Fri 25 Dec 2026, Mon 28 Dec 2026, Fri 1 Jan 2027) and the day-0 rule.

use crate::bin;
use crate::site;
use site::Site;

const IVY: &str = "ivy@example.org";
const BNES1: &str = "BNES-2026-00001";

/// Bath & NES: Ivy's complaint BNES-2026-00001, received Mon 2 Nov 2026.
fn bath() -> Site {
    bath_with("")
}

/// The same, with `extra` appended to the config.
fn bath_with(extra: &str) -> Site {
    let s = Site::with("bath-and-north-east-somerset", "BNES", extra);
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Graffiti",
        "I wish to complain about graffiti.",
        "t1@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    s.run("2026-11-02T09:01:00Z", &["send"]);
    s
}

fn restrict(s: &Site, now: &str, args: &[&str]) -> String {
    let mut all = vec!["restrict", IVY];
    all.extend_from_slice(args);
    s.run(now, &all)
}

fn restrict_fails(s: &Site, now: &str, args: &[&str]) -> String {
    let mut all = vec!["restrict", IVY];
    all.extend_from_slice(args);
    s.fails(now, &all)
}

/// The case's events: (actor, kind, detail).
fn events(s: &Site, reference: &str) -> Vec<(String, String, String)> {
    let db = s.db();
    let mut st = db
        .prepare(
            "SELECT e.actor, e.kind, coalesce(e.detail, '') FROM events e JOIN cases c ON c.id = e.case_id
             WHERE c.reference = ?1 ORDER BY e.id",
        )
        .unwrap();
    let v = st
        .query_map([reference], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    v
}

fn has_event(s: &Site, reference: &str, actor: &str, kind: &str, part: &str) -> bool {
    events(s, reference)
        .iter()
        .any(|(a, k, d)| a == actor && k == kind && d.contains(part))
}

fn restriction(s: &Site) -> Option<String> {
    s.db()
        .query_row(
            "SELECT restriction FROM customers WHERE email = ?1",
            [IVY],
            |r| r.get(0),
        )
        .unwrap()
}

/// Plain text with its lines joined, so a sentence wrapped in the letter still matches.
fn flat(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Staff mail in the file outbox: (To, Subject, body) of each notice.
fn notices(s: &Site) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(s.path().join("outbox")) else {
        return out;
    };
    let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("notice.") {
            continue;
        }
        let raw = std::fs::read(&f).unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_string();
        out.push((
            to,
            m.subject().unwrap_or("").to_string(),
            m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        ));
    }
    out
}

#[test]
fn bath_restriction_follows_the_monitoring_officers_procedure_to_the_day() {
    // Seed 002 l.313 "the matter will be referred to the Monitoring Officer"; l.315 "The
    // Monitoring Officer will write to the customer informing them that their behaviour is
    // being investigated"; l.317-321 the outcome letter identifies the concerns, "That
    // consideration is being given to restricting the customers contact" and gives "the
    // opportunity to make representations in writing"; l.323 "having considered any
    // representations received"; l.332 "inform the person of when this decision will be
    // reviewed and of their right to complain to the LGSCO".
    let s = bath();
    // Mon 7 Dec 2026: restricting at once is refused; the refusal names the procedure.
    let err = restrict_fails(
        &s,
        "2026-12-07T09:00:00Z",
        &[
            "--level",
            "letter-only",
            "--review",
            "2027-06-01",
            "--reason",
            "abusive calls",
            "--by",
            "bob",
        ],
    );
    assert!(
        err.contains("only after the Monitoring Officer's procedure"),
        "{err}"
    );
    assert!(err.contains("--immediate REASON"), "{err}");
    assert_eq!(restriction(&s), None);
    // Nothing can be decided before the referral.
    let err = restrict_fails(
        &s,
        "2026-12-07T09:00:00Z",
        &["--decide", "--review", "2027-06-01", "--by", "cat"],
    );
    assert!(err.contains("no procedure is open"), "{err}");
    // Referral by the service manager (bob) with the grounds.
    restrict(
        &s,
        "2026-12-07T09:05:00Z",
        &[
            "--refer",
            "--reason",
            "abusive telephone calls to staff",
            "--by",
            "bob",
        ],
    );
    assert!(has_event(
        &s,
        BNES1,
        "officer:bob",
        "referred to the Monitoring Officer",
        "abusive telephone calls to staff"
    ));
    // The referral is mailed to the Monitoring Officer; none is configured here, so to
    // whoever hears of what no officer owns (the managers bob and cat).
    s.run("2026-12-07T09:06:00Z", &["send"]);
    let mut to: Vec<String> = notices(&s)
        .into_iter()
        .filter(|(_, subj, _)| subj.contains("ivy@example.org referred to the Monitoring Officer"))
        .map(|(t, _, _)| t)
        .collect();
    to.sort();
    assert_eq!(to, ["bob@council.example", "cat@council.example"]);
    // The outcome letter cannot come before the customer is told of the investigation.
    let err = restrict_fails(
        &s,
        "2026-12-07T10:00:00Z",
        &[
            "--warn",
            "--level",
            "letter-only",
            "--reason",
            "x",
            "--representations-by",
            "2026-12-24",
            "--by",
            "cat",
        ],
    );
    assert!(err.contains("has not been told"), "{err}");
    // Tue 8 Dec: the Monitoring Officer (cat) writes that the behaviour is investigated.
    restrict(
        &s,
        "2026-12-08T09:00:00Z",
        &["--investigate", "--by", "cat"],
    );
    s.run("2026-12-08T09:01:00Z", &["send"]);
    let (subject, text, pdf) = s.letter_with("is being investigated");
    assert!(subject.contains(BNES1), "{subject}");
    assert!(pdf);
    assert!(
        flat(&text)
            .contains("your behaviour in your contact with the council is being investigated"),
        "{text}"
    );
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "behaviour investigation begun",
        ""
    ));
    // Mon 14 Dec: the outcome letter, representations by Thu 24 Dec 2026.
    restrict(
        &s,
        "2026-12-14T09:00:00Z",
        &[
            "--warn",
            "--level",
            "letter-only",
            "--reason",
            "abusive telephone calls to staff on 1, 3 and 4 December",
            "--representations-by",
            "2026-12-24",
            "--by",
            "cat",
        ],
    );
    s.run("2026-12-14T09:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("outcome of the investigation");
    let t = flat(&text);
    assert!(
        t.contains("The council is concerned about abusive telephone calls to staff on 1, 3 and 4 December."),
        "{t}"
    );
    assert!(
        t.contains("Consideration is being given to restricting your contact with the council to letters only"),
        "{t}"
    );
    assert!(
        t.contains("you may make representations in writing. Please send them by Thursday 24 December 2026"),
        "{t}"
    );
    assert_eq!(restriction(&s), None, "nothing restricted yet");
    // Thu 24 Dec, the last day, nothing received: too early to decide.
    let err = restrict_fails(
        &s,
        "2026-12-24T16:00:00Z",
        &["--decide", "--review", "2027-06-01", "--by", "cat"],
    );
    assert!(
        err.contains("may be sent until 2026-12-24 and none has arrived"),
        "{err}"
    );
    // Tue 29 Dec (the first working day after the date, past Christmas and Boxing Day
    // observed on Mon 28 Dec): the Monitoring Officer decides to restrict.
    let out = restrict(
        &s,
        "2026-12-29T09:00:00Z",
        &["--decide", "--review", "2027-06-01", "--by", "cat"],
    );
    assert!(
        out.contains("restricted until review on 2027-06-01"),
        "{out}"
    );
    assert_eq!(restriction(&s).as_deref(), Some("letter-only"));
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "restriction decided",
        "no representations received by 2026-12-24"
    ));
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "contact restricted",
        "letter-only until review on 2027-06-01"
    ));
    let db = s.db();
    let row: (String, String, String, String, String) = db
        .query_row(
            "SELECT step, referred_by, investigated_by, warned_by, decided_by FROM behaviour_procedures",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "restricted".into(),
            "officer:bob".into(),
            "officer:cat".into(),
            "officer:cat".into(),
            "officer:cat".into()
        )
    );
    // Rendered (and, letter-only, held to be printed and posted): the PDF's text.
    s.run("2026-12-29T09:05:00Z", &["send"]);
    let (data, status, pdf): (String, String, Vec<u8>) = db
        .query_row(
            "SELECT data, status, pdf FROM letters WHERE kind = 'restriction-notice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(data.contains("\"after_procedure\":true"), "{data}");
    assert_eq!(status, "held", "letter-only: posted, not emailed");
    let file = s.path().join("notice.pdf");
    std::fs::write(&file, pdf).unwrap();
    let text = flat(&bin::pdf_text(&file));
    assert!(
        text.contains("no representations were received by the date given"),
        "{text}"
    );
    assert!(
        text.contains("We will review this decision on Tuesday 1 June 2027"),
        "{text}"
    );
    assert!(
        text.contains("You have the right to complain about this decision to the Local Government and Social Care Ombudsman"),
        "{text}"
    );
}

#[test]
fn bath_representations_by_email_are_messages_on_the_case_and_allow_an_earlier_decision() {
    // Seed 002 l.321 "Giving them the opportunity to make representations in writing";
    // l.323 "If, having considered any representations received, the Monitoring Officer is
    // satisfied ... they will inform the person of this".
    let s = bath_with("[workflow]\nmonitoring_officer = \"mo@council.example\"\n");
    restrict(
        &s,
        "2026-12-07T09:00:00Z",
        &[
            "--refer",
            "--reason",
            "emails to twelve officers a day",
            "--by",
            "bob",
        ],
    );
    restrict(
        &s,
        "2026-12-08T09:00:00Z",
        &["--investigate", "--by", "cat"],
    );
    restrict(
        &s,
        "2026-12-09T09:00:00Z",
        &[
            "--warn",
            "--level",
            "single-contact",
            "--contact",
            "Sam Patel, Customer Feedback Officer",
            "--reason",
            "emails to twelve officers a day",
            "--representations-by",
            "2027-01-08",
            "--by",
            "cat",
        ],
    );
    s.run("2026-12-09T09:01:00Z", &["send"]);
    let alerts: Vec<(String, String, String)> = notices(&s)
        .into_iter()
        .filter(|(_, subj, _)| subj.contains("referred to the Monitoring Officer"))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].0, "mo@council.example");
    assert!(
        flat(&alerts[0].2).contains("emails to twelve officers a day"),
        "{alerts:?}"
    );
    let (_, text, _) = s.letter_with("outcome of the investigation");
    assert!(
        flat(&text).contains("to a single point of contact: Sam Patel, Customer Feedback Officer"),
        "{text}"
    );
    // Ivy answers by email on Fri 11 Dec: an ordinary message on her case.
    s.mail(
        "2",
        "Ivy <ivy@example.org>",
        "Re: The outcome of the investigation [Ref BNES-2026-00001]",
        "I wrote so often because nobody answered. I will write to one officer from now on.",
        "rep1@example.org",
    );
    s.run("2026-12-11T10:00:00Z", &["poll"]);
    let case = s.case("2026-12-11T10:01:00Z", BNES1);
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{case}");
    assert!(
        messages.iter().any(|m| m["subject"]
            .as_str()
            .unwrap_or("")
            .contains("outcome of the investigation")),
        "{case}"
    );
    // The representations are in: the Monitoring Officer may decide before 8 Jan.
    restrict(
        &s,
        "2026-12-14T09:00:00Z",
        &["--decide", "--review", "2027-06-14", "--by", "cat"],
    );
    assert_eq!(restriction(&s).as_deref(), Some("single-contact"));
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "restriction decided",
        "representations received (1 message(s))"
    ));
    s.run("2026-12-14T09:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("How we will communicate");
    let t = flat(&text);
    assert!(
        t.contains("Having considered the representations you sent"),
        "{t}"
    );
    assert!(
        t.contains("through one person only: Sam Patel, Customer Feedback Officer"),
        "{t}"
    );
    assert!(
        t.contains("We will review this decision on Monday 14 June 2027"),
        "{t}"
    );
}

#[test]
fn bath_immediate_restriction_needs_its_reason_and_a_no_restriction_decision_is_written() {
    // Seed 002 l.311 "In exceptional circumstances, immediate action may be taken without
    // following the procedure."
    let s = bath();
    let out = restrict(
        &s,
        "2026-12-07T09:00:00Z",
        &[
            "--level",
            "no-response",
            "--review",
            "2027-03-01",
            "--reason",
            "threats made to staff",
            "--immediate",
            "a threat of violence to the reception team on 4 December",
            "--by",
            "cat",
        ],
    );
    assert!(
        out.contains("no-response until review on 2027-03-01"),
        "{out}"
    );
    assert_eq!(restriction(&s).as_deref(), Some("no-response"));
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "contact restricted",
        "without the Monitoring Officer's procedure (exceptional circumstances: a threat of violence to the reception team on 4 December)"
    ));

    // Another customer: referred, told, then the Monitoring Officer decides not to restrict.
    let s = bath();
    restrict(
        &s,
        "2026-12-07T09:00:00Z",
        &["--refer", "--reason", "many calls", "--by", "bob"],
    );
    restrict(
        &s,
        "2026-12-08T09:00:00Z",
        &["--investigate", "--by", "cat"],
    );
    restrict(
        &s,
        "2026-12-15T09:00:00Z",
        &[
            "--decide",
            "--no-restriction",
            "--reason",
            "the calls were about a real fault",
            "--by",
            "cat",
        ],
    );
    assert_eq!(restriction(&s), None);
    assert!(has_event(
        &s,
        BNES1,
        "officer:cat",
        "no restriction decided",
        "the calls were about a real fault"
    ));
    s.run("2026-12-15T09:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("Our decision about your contact");
    assert!(
        flat(&text).contains("I have decided not to restrict your contact with the council"),
        "{text}"
    );
    // The procedure is closed: a new referral may start one again.
    restrict(
        &s,
        "2027-01-04T09:00:00Z",
        &["--refer", "--reason", "more calls", "--by", "bob"],
    );
}

#[test]
fn other_presets_restrict_at_once_and_have_no_procedure() {
    // Only Bath & NES's policy (seed 002 l.313) sets the procedure: Stockton's restricts as
    // before, and the procedure's steps are refused there.
    let s = Site::new("stockton-on-tees", "SBC");
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Bins",
        "I wish to complain about my bins.",
        "s1@example.org",
    );
    s.run("2026-12-07T09:00:00Z", &["poll"]);
    let err = restrict_fails(
        &s,
        "2026-12-07T09:05:00Z",
        &["--refer", "--reason", "calls", "--by", "bob"],
    );
    assert!(err.contains("has no Monitoring Officer procedure"), "{err}");
    restrict(
        &s,
        "2026-12-07T09:10:00Z",
        &[
            "--level",
            "letter-only",
            "--review",
            "2027-06-01",
            "--reason",
            "calls",
            "--by",
            "bob",
        ],
    );
    assert_eq!(restriction(&s).as_deref(), Some("letter-only"));
}

/// North Norfolk: Zed's complaint about a director, received Mon 7 Dec 2026.
fn norfolk(extra: &str) -> (Site, &'static str) {
    let s = Site::with("north-norfolk", "NNDC", extra);
    s.mail(
        "1",
        "Zed <zed@example.org>",
        "Director of Place",
        "I wish to complain about how the Director of Place spoke to me at the meeting.",
        "z1@example.org",
    );
    s.run("2026-12-07T09:00:00Z", &["poll"]);
    (s, "NNDC-2026-00001")
}

#[test]
fn norfolk_complaint_about_a_director_waits_for_the_chief_executive_to_choose_the_investigator() {
    // Seed 004 l.424 "Where a customer complains about the behaviour of a Director or
    // Senior Manager, the complaints coordinator should seek advice from the Chief
    // Executive or Leader of the Council, who will advise on the most appropriate person to
    // investigate the complaint."
    let (s, r) = norfolk(
        "[[staff]]\nname = \"ceo\"\nemail = \"chief.executive@council.example\"\n\
         [workflow]\ndirector_contact = \"ceo\"\n",
    );
    // l.400 "within a maximum of 15 working days" from Mon 7 Dec 2026 (day 0): Dec 8-11
    // (4), 14-18 (9), 21-24 (13), 29 (14), 30 (15) past Christmas: Wed 30 Dec 2026.
    assert_eq!(
        s.due("2026-12-07T09:01:00Z", r, "stage1", "respond"),
        "2026-12-30"
    );
    // Triage only hints (the mail names "the Director of Place"); a person marks it.
    let shown = s.run("2026-12-07T09:30:00Z", &["case", r]);
    assert!(shown.contains("director? ('director')"), "{shown}");
    assert_eq!(
        s.case("2026-12-07T09:30:00Z", r)["director"],
        serde_json::Value::Null
    );
    s.run(
        "2026-12-07T10:00:00Z",
        &[
            "director",
            r,
            "--about",
            "Jane Roe, Director of Place",
            "--by",
            "ann",
        ],
    );
    assert!(!s
        .run("2026-12-07T10:00:30Z", &["case", r])
        .contains("director?"));
    let case = s.case("2026-12-07T10:01:00Z", r);
    assert!(
        case["case"]["flagged"]
            .as_str()
            .unwrap_or("")
            .contains("the Chief Executive or Leader of the Council chooses who investigates"),
        "{case}"
    );
    assert!(has_event(
        &s,
        r,
        "officer:ann",
        "about a director or senior manager",
        "Jane Roe, Director of Place; routed to the Chief Executive or Leader of the Council"
    ));
    // The alert goes to the configured contact through the staff mail.
    s.run("2026-12-07T10:02:00Z", &["send"]);
    let n = notices(&s);
    let alert = n
        .iter()
        .find(|(_, subj, _)| subj.contains("director or senior manager"))
        .unwrap_or_else(|| panic!("{n:?}"));
    assert_eq!(alert.0, "chief.executive@council.example");
    assert!(alert.1.contains(r), "{alert:?}");
    assert!(
        flat(&alert.2).contains("Jane Roe, Director of Place"),
        "{alert:?}"
    );
    // It cannot be assigned until the investigator is chosen.
    let err = s.fails("2026-12-08T09:00:00Z", &["assign", r, "ann", "--by", "bob"]);
    assert!(
        err.contains("assigned only once the investigator is chosen"),
        "{err}"
    );
    // The Chief Executive chose bob; ann records it.
    s.run(
        "2026-12-08T11:00:00Z",
        &[
            "director",
            r,
            "--investigator",
            "bob",
            "--chosen-by",
            "the Chief Executive",
            "--by",
            "ann",
        ],
    );
    assert!(has_event(
        &s,
        r,
        "officer:ann",
        "investigator chosen",
        "bob chosen by the Chief Executive"
    ));
    let err = s.fails("2026-12-08T11:05:00Z", &["assign", r, "ann", "--by", "cat"]);
    assert!(
        err.contains("bob was chosen by the Chief Executive"),
        "{err}"
    );
    let d = &s.case("2026-12-08T11:06:00Z", r)["director"];
    assert_eq!(d["investigator"], "bob");
    assert_eq!(d["chosen_by"], "the Chief Executive");
    assert_eq!(d["recorded_by"], "officer:ann");
    assert_eq!(d["marked_by"], "officer:ann");
    s.run("2026-12-08T11:10:00Z", &["assign", r, "bob", "--by", "cat"]);
    assert_eq!(s.case("2026-12-08T11:11:00Z", r)["case"]["officer"], "bob");
    // The deadlines kept counting: the response date never moved.
    assert_eq!(
        s.due("2026-12-08T11:12:00Z", r, "stage1", "respond"),
        "2026-12-30"
    );
}

#[test]
fn without_a_director_contact_the_alert_falls_back_to_the_managers_and_other_presets_have_no_route()
{
    // Seed 004 l.424, with no [workflow] director_contact: as other alerts, the duty
    // manager, else every manager (bob and cat manage in this config).
    let (s, r) = norfolk("");
    s.run(
        "2026-12-07T10:00:00Z",
        &[
            "director",
            r,
            "--about",
            "the Head of Finance",
            "--by",
            "ann",
        ],
    );
    s.run("2026-12-07T10:02:00Z", &["send"]);
    let mut to: Vec<String> = notices(&s)
        .into_iter()
        .filter(|(_, subj, _)| subj.contains("director or senior manager"))
        .map(|(t, _, _)| t)
        .collect();
    to.sort();
    assert_eq!(to, ["bob@council.example", "cat@council.example"]);
    // Bath & NES's policy says nothing of directors: refused there.
    let s = bath();
    let err = s.fails(
        "2026-12-07T10:00:00Z",
        &["director", BNES1, "--about", "a director", "--by", "ann"],
    );
    assert!(
        err.contains("no separate route for complaints about a director"),
        "{err}"
    );
}
