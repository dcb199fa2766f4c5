//! Automation a council can trust, end to end through the real binary and a Maildir:
//! safeguarding concerns reach a person at once and are never closed or redirected by
//! the daemon; representatives' and compensation complaints are complaints; triage's
//! redirects wait "to triage" for an officer; a surge is acknowledged late at worst,
//! never dropped. Residents' own wording throughout; dates worked by hand.

use crate::site;
use site::Site;

/// (kind, state, flagged) of a case.
fn case_summary(s: &Site, now: &str, r: &str) -> (String, String, String) {
    let v = s.case(now, r);
    (
        v["case"]["kind"].as_str().unwrap().to_string(),
        v["case"]["state"].as_str().unwrap().to_string(),
        v["case"]["flagged"].as_str().unwrap_or("").to_string(),
    )
}

/// Staff mail queued: (to, subject).
fn staff_mail(s: &Site) -> Vec<(String, String)> {
    let db = s.db();
    let mut st = db
        .prepare("SELECT to_addr, subject FROM notifications ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Letters asked for on a case, by kind.
fn letter_kinds(s: &Site, r: &str) -> Vec<String> {
    let db = s.db();
    let mut st = db
        .prepare("SELECT l.kind FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = ?1 ORDER BY l.id")
        .unwrap();
    st.query_map([r], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_safeguarding_concern_is_acknowledged_flagged_urgent_and_mailed_at_once_never_closed() {
    let s = Site::with(
        "west-lindsey",
        "WLDC",
        "[workflow]\nsafeguarding_contact = \"safeguarding@council.example\"\n",
    );
    let mails = [
        // The probe's words: once classified social care, redirected and closed.
        ("Leisure centre staff", "I am worried that a member of your staff at the leisure centre has been behaving inappropriately with children. This is a safeguarding matter."),
        ("My neighbour", "My elderly neighbour is being neglected by the carers who visit her. She has had no food for two days and nobody answers at the care agency."),
        ("Eviction", "If you go ahead and evict me I will kill myself. I cannot cope with this any more."),
        ("Formal complaint about housing", "My ex-partner has threatened to kill me and the housing office still will not move me. This is domestic abuse."),
    ];
    for (i, (subject, body)) in mails.iter().enumerate() {
        s.mail(
            &format!("{i}"),
            &format!("Resident {i} <r{i}@example.org>"),
            subject,
            body,
            &format!("sg{i}@example.org"),
        );
    }
    // Mon 7 Dec 2026.
    let out = s.run("2026-12-07T10:00:00Z", &["poll"]);
    for i in 1..=4 {
        let r = format!("WLDC-2026-0000{i}");
        assert!(
            out.contains(&format!("new case {r} (complaint), letter queued")),
            "{out}"
        );
        let (kind, state, flag) = case_summary(&s, "2026-12-07T10:00:00Z", &r);
        assert_eq!(
            (kind.as_str(), state.as_str()),
            ("complaint", "acknowledged")
        );
        assert!(
            flag.contains("URGENT: possible safeguarding concern"),
            "{flag}"
        );
        // The resident gets only the normal acknowledgement.
        assert_eq!(letter_kinds(&s, &r), ["acknowledgement"]);
    }
    let mail = staff_mail(&s);
    assert_eq!(mail.len(), 4, "{mail:?}");
    for (to, subject) in &mail {
        assert_eq!(to, "safeguarding@council.example");
        assert!(
            subject.contains("URGENT: possible safeguarding concern"),
            "{subject}"
        );
    }
    // A week of ticks closes nothing.
    for day in ["2026-12-08", "2026-12-09", "2026-12-14", "2026-12-15"] {
        s.run(&format!("{day}T09:00:00Z"), &["tick"]);
    }
    for i in 1..=4 {
        let (_, state, _) = case_summary(&s, "2026-12-15T10:00:00Z", &format!("WLDC-2026-0000{i}"));
        assert_ne!(state, "closed");
    }
}

#[test]
fn with_no_safeguarding_contact_the_duty_manager_then_every_manager_is_told() {
    let s = Site::new("west-lindsey", "WLDC");
    s.mail(
        "1",
        "Pat <pat@example.org>",
        "Care",
        "I think my neighbour's child is being abused, I hear screaming every night.",
        "a1@example.org",
    );
    s.run("2026-12-07T10:00:00Z", &["poll"]);
    // No contact, no duty manager: the managers in the staff list (bob and cat manage).
    let to: Vec<String> = staff_mail(&s).into_iter().map(|m| m.0).collect();
    assert_eq!(to, ["bob@council.example", "cat@council.example"]);
    let v = s.case("2026-12-07T10:00:00Z", "WLDC-2026-00001");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "safeguarding concern"
            && e["detail"].as_str().unwrap().contains("told bob, cat")));
}

/// The staff directory includes the desk's accounts: a manager whose account is named
/// as someone's manager on the desk hears of a safeguarding concern too.
#[test]
fn a_safeguarding_concern_reaches_managers_in_the_desks_accounts() {
    let s = Site::new("west-lindsey", "WLDC");
    let t0 = "2026-12-07T09:00:00Z";
    for (name, role, manager) in [("dee", "manager", "cat"), ("dan", "officer", "dee")] {
        s.run(
            t0,
            &[
                "user",
                "add",
                name,
                "--email",
                &format!("{name}@council.example"),
                "--role",
                role,
                "--manager",
                manager,
            ],
        );
    }
    s.mail(
        "1",
        "Pat <pat@example.org>",
        "Care",
        "I think my neighbour's child is being abused, I hear screaming every night.",
        "a2@example.org",
    );
    s.run("2026-12-07T10:00:00Z", &["poll"]);
    // bob and cat manage in [[staff]]; dee manages dan on the desk.
    let to: Vec<String> = staff_mail(&s).into_iter().map(|m| m.0).collect();
    assert_eq!(
        to,
        [
            "bob@council.example",
            "cat@council.example",
            "dee@council.example"
        ]
    );
}

#[test]
fn representatives_are_recorded_and_their_complaints_acknowledged_with_a_copy_to_a_consenting_resident(
) {
    let s = Site::new("north-norfolk", "NNDC");
    let mails = [
        ("Cllr Jane Smith <cllr.smith@council.example.net>", "Bins", "I am contacting you as ward councillor on behalf of Mr Brown, who has had his bins missed five weeks running. He is very unhappy.", "councillor", "Mr Brown"),
        ("Cllr Jane Smith <cllr.smith@council.example.net>", "Complaint: missed bins", "I am contacting you as ward councillor on behalf of Mrs Green, whose bins have been missed again.", "councillor", "Mrs Green"),
        ("Office of A. Member MP <office@mp.example.org>", "Constituent", "I write as Member of Parliament for the area on behalf of my constituent Mr Patel, about repairs to his flat which have not been done.", "mp", "my constituent Mr Patel"),
        ("Sue Smith <sue@example.org>", "My mother", "I am writing on behalf of my elderly mother, Mrs Jean Smith, who cannot use email. She has asked me to complain for her about her missed assisted collection.", "relative", "my elderly mother, Mrs Jean Smith"),
    ];
    for (i, (from, subject, body, _, _)) in mails.iter().enumerate() {
        s.mail(
            &format!("{i}"),
            from,
            subject,
            body,
            &format!("rep{i}@example.org"),
        );
    }
    let out = s.run("2026-12-07T10:00:00Z", &["poll"]);
    for (i, (_, _, _, role, whom)) in mails.iter().enumerate() {
        let r = format!("NNDC-2026-0000{}", i + 1);
        assert!(
            out.contains(&format!("new case {r} (complaint), letter queued")),
            "{out}"
        );
        let v = s.case("2026-12-07T10:00:00Z", &r);
        assert_eq!(v["representative"]["role"], *role, "{v}");
        assert_eq!(v["representative"]["for_whom"], *whom, "{v}");
        // Only the daughter says her mother asked her to complain.
        let consent = i == 3;
        assert_eq!(v["representative"]["consent"], consent, "{v}");
        assert_eq!(
            v["case"]["flagged"]
                .as_str()
                .unwrap_or("")
                .contains("check the resident's consent"),
            !consent
        );
    }
    // The officer records the resident's address and consent: letters copy them.
    let out = s.run(
        "2026-12-07T11:00:00Z",
        &[
            "representative",
            "NNDC-2026-00001",
            "--resident-email",
            "brown@example.org",
            "--consent",
            "yes",
            "--by",
            "ann",
        ],
    );
    assert!(
        out.contains("councillor Cllr Jane Smith writing for Mr Brown; consent recorded; letters copied to brown@example.org"),
        "{out}"
    );
    // The acknowledgements say for whom, in words addressed to the writer.
    s.run("2026-12-07T10:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("[Ref NNDC-2026-00001]");
    assert!(
        text.contains("your complaint on behalf of Mr Brown"),
        "{text}"
    );
    let (_, text, _) = s.letter_with("[Ref NNDC-2026-00004]");
    assert!(
        text.contains("on behalf of your elderly mother, Mrs Jean Smith"),
        "{text}"
    );
    let err = s.fails(
        "2026-12-07T11:00:00Z",
        &["representative", "NNDC-2026-00001", "--role", "friend"],
    );
    assert!(err.contains("unknown role 'friend'"), "{err}");
    s.respond(
        "2026-12-08T10:00:00Z",
        "NNDC-2026-00001",
        "upheld",
        "The crew will collect tomorrow.",
    );
    s.run("2026-12-08T10:01:00Z", &["send"]);
    let db = s.db();
    let (to, cc): (String, Option<String>) = db
        .query_row(
            "SELECT to_addr, cc_addr FROM letters WHERE kind != 'acknowledgement' AND case_id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(to, "cllr.smith@council.example.net");
    assert_eq!(cc.as_deref(), Some("brown@example.org"));
    let eml = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .find(|t| t.contains("Cc: brown@example.org"));
    assert!(eml.is_some(), "the sent letter carries the Cc header");
}

#[test]
fn compensation_asked_for_inside_a_complaint_is_acknowledged_as_a_complaint() {
    let s = Site::new("stockton-on-tees", "SBC");
    let mails = [
        ("Roof", "I am not happy with how long you took to fix my roof. I want to make a claim for compensation."),
        ("Complaint", "I want to make a claim for compensation because of the damage your contractor did to my fence."),
        ("Pothole", "Your pothole damaged my car and I am disgusted nothing was done after I reported it. I want compensation."),
        ("Flooding", "I am very disappointed the drain was never cleared and my kitchen flooded; please tell me how to make a claim."),
    ];
    for (i, (subject, body)) in mails.iter().enumerate() {
        s.mail(
            &format!("{i}"),
            &format!("Resident {i} <c{i}@example.org>"),
            subject,
            body,
            &format!("comp{i}@example.org"),
        );
    }
    let out = s.run("2026-12-07T10:00:00Z", &["poll"]);
    assert!(
        out.contains(
            "4 new cases (4 with a letter queued, 0 deferred to a later hour, 0 to triage)"
        ),
        "{out}"
    );
    for i in 1..=4 {
        assert_eq!(
            letter_kinds(&s, &format!("SBC-2026-0000{i}")),
            ["acknowledgement"]
        );
    }
}

#[test]
fn a_redirect_waits_to_triage_with_its_deadline_counting_until_an_officer_decides() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Dan <dan@example.org>",
        "PCN AB123",
        "I received a penalty charge notice and want to appeal it.",
        "p1@example.org",
    );
    s.mail(
        "2",
        "Eve <eve@example.org>",
        "Claim",
        "A council lorry damaged my car on Tuesday; I would like to make a claim.",
        "p2@example.org",
    );
    // Mon 14 Dec 2026, 10:00.
    let out = s.run("2026-12-14T10:00:00Z", &["poll"]);
    assert!(
        out.contains("new case BNES-2026-00001 (complaint), to triage: waiting for an officer"),
        "{out}"
    );
    assert!(out.contains("2 to triage"), "{out}");
    assert!(letter_kinds(&s, "BNES-2026-00001").is_empty());
    // The acknowledgement deadline counts from receipt: 5 working days, Mon 21 Dec.
    assert_eq!(
        s.due(
            "2026-12-14T10:00:00Z",
            "BNES-2026-00001",
            "stage1",
            "acknowledge"
        ),
        "2026-12-21"
    );
    let list = s.run("2026-12-14T10:00:00Z", &["cases", "--to-triage"]);
    assert!(
        list.contains("BNES-2026-00001") && list.contains("BNES-2026-00002"),
        "{list}"
    );
    assert!(
        list.contains("Mon 21 Dec 2026") || list.contains("2026-12-21"),
        "{list}"
    );
    // Bath & NES's own exclusion for parking tickets, with its route (not the generic rule's).
    assert!(
        list.contains("the policy's exclusion 'parking-ticket'"),
        "{list}"
    );
    assert!(list.contains("Parking Services"), "{list}");
    assert!(list.contains("the Insurance team"), "{list}");
    // Ticks close nothing and send nothing; after 4 office hours (14:00) the managers
    // (no duty manager is configured) are told, once.
    let out = s.run("2026-12-14T13:00:00Z", &["tick"]);
    assert!(!out.contains("waiting to triage"), "{out}");
    let out = s.run("2026-12-14T14:00:00Z", &["tick"]);
    assert!(
        out.contains("BNES-2026-00001: waiting to triage over 4 working hours, told bob, cat"),
        "{out}"
    );
    assert!(!s
        .run("2026-12-14T15:00:00Z", &["tick"])
        .contains("waiting to triage"));
    let (kind, state, flag) = case_summary(&s, "2026-12-15T09:00:00Z", "BNES-2026-00001");
    assert_eq!((kind.as_str(), state.as_str()), ("complaint", "received"));
    assert!(flag.contains("to triage: suggested out-of-scope"), "{flag}");
    // The officer accepts the first: its drafted redirect goes, the case is out of scope.
    let out = s.run(
        "2026-12-15T09:30:00Z",
        &["triage", "BNES-2026-00001", "--accept", "--by", "ann"],
    );
    assert!(out.contains("closed (suggestion accepted"), "{out}");
    let (kind, state, _) = case_summary(&s, "2026-12-15T09:30:00Z", "BNES-2026-00001");
    assert_eq!((kind.as_str(), state.as_str()), ("out-of-scope", "closed"));
    assert_eq!(
        letter_kinds(&s, "BNES-2026-00001"),
        ["out-of-scope-redirect"]
    );
    // ...and treats the second as a complaint: acknowledged now.
    let out = s.run(
        "2026-12-15T09:31:00Z",
        &["triage", "BNES-2026-00002", "--complaint", "--by", "ann"],
    );
    assert!(out.contains("acknowledged (a complaint"), "{out}");
    assert_eq!(letter_kinds(&s, "BNES-2026-00002"), ["acknowledgement"]);
    let err = s.fails(
        "2026-12-15T09:32:00Z",
        &["triage", "BNES-2026-00002", "--accept"],
    );
    assert!(err.contains("nothing waits to triage"), "{err}");
    assert!(s
        .run("2026-12-15T09:32:00Z", &["cases", "--to-triage"])
        .contains("nothing waits to triage"));
}

#[test]
fn a_rule_the_council_lets_act_alone_redirects_and_closes_without_an_officer() {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[inbound]\nauto_redirect = [\"parking-ticket\"]\n",
    );
    s.mail(
        "1",
        "Dan <dan@example.org>",
        "PCN AB123",
        "I received a penalty charge notice and want to appeal it.",
        "p1@example.org",
    );
    s.mail(
        "2",
        "Eve <eve@example.org>",
        "FOI",
        "This is a freedom of information request for your bin rounds.",
        "p2@example.org",
    );
    let out = s.run("2026-12-14T10:00:00Z", &["poll"]);
    assert!(
        out.contains("new case BNES-2026-00001 (out-of-scope), letter queued"),
        "{out}"
    );
    assert!(
        out.contains("new case BNES-2026-00002 (complaint), to triage"),
        "{out}"
    );
    let out = s.run("2026-12-14T10:05:00Z", &["tick"]);
    assert!(
        out.contains("BNES-2026-00001: out-of-scope answered, closed"),
        "{out}"
    );
}

#[test]
fn the_presets_own_exclusion_is_suggested_with_its_wording_and_route() {
    let s = Site::new("north-norfolk", "NNDC");
    s.mail(
        "1",
        "Fay <fay@example.org>",
        "My insurance claim",
        "I have an ongoing insurance claim against the council for my car and want to know where it is.",
        "x1@example.org",
    );
    s.run("2026-12-07T10:00:00Z", &["poll"]);
    let v = s.case("2026-12-07T10:00:00Z", "NNDC-2026-00001");
    assert_eq!(v["to_triage"]["exclusion"], "insurance-claim", "{v}");
    s.run(
        "2026-12-07T11:00:00Z",
        &["triage", "NNDC-2026-00001", "--accept", "--by", "ann"],
    );
    s.run("2026-12-07T11:01:00Z", &["send"]);
    let (_, text, _) = s.letter_with("[Ref NNDC-2026-00001]");
    assert!(
        text.contains("the council's insurance claims process"),
        "the preset's route:\n{text}"
    );
    let (kind, state, _) = case_summary(&s, "2026-12-07T11:01:00Z", "NNDC-2026-00001");
    assert_eq!((kind.as_str(), state.as_str()), ("out-of-scope", "closed"));
}

#[test]
fn a_surge_is_acknowledged_oldest_first_in_later_hours_each_exactly_once() {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[inbound]\nmax_auto_letters_per_hour = 5\n",
    );
    for i in 0..12 {
        s.mail(
            &format!("{i:02}"),
            &format!("Resident {i} <r{i}@example.org>"),
            "Missed bins",
            "I wish to complain: the contractor has missed our street again.",
            &format!("s{i}@example.org"),
        );
    }
    // Mon 14 Dec 2026 09:00 UTC: 5 go this hour, 7 wait.
    let out = s.run("2026-12-14T09:00:00Z", &["poll"]);
    assert!(
        out.contains(
            "12 new cases (5 with a letter queued, 7 deferred to a later hour, 0 to triage)"
        ),
        "{out}"
    );
    // The same hour has no room left.
    assert!(!s
        .run("2026-12-14T09:30:00Z", &["tick"])
        .contains("deferred acknowledgements sent"));
    let out = s.run("2026-12-14T10:01:00Z", &["tick"]);
    assert!(
        out.contains("5 deferred acknowledgements sent (5 this hour, cap 5); 2 still waiting"),
        "{out}"
    );
    let out = s.run("2026-12-14T11:01:00Z", &["tick"]);
    assert!(
        out.contains("2 deferred acknowledgements sent (2 this hour, cap 5); 0 still waiting"),
        "{out}"
    );
    assert!(!s
        .run("2026-12-14T12:01:00Z", &["tick"])
        .contains("deferred acknowledgements sent"));
    let db = s.db();
    // Every case acknowledged exactly once, on the day it arrived, oldest first.
    let counts: Vec<(String, i64, String)> = db
        .prepare(
            "SELECT c.reference, COUNT(l.id), c.acknowledged_on FROM cases c
             LEFT JOIN letters l ON l.case_id = c.id AND l.kind = 'acknowledgement'
             GROUP BY c.id ORDER BY c.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(counts.len(), 12);
    for (r, n, on) in &counts {
        assert_eq!((*n, on.as_str()), (1, "2026-12-14"), "{r}");
    }
    let per_hour: Vec<i64> = db
        .prepare("SELECT COUNT(*) FROM letters GROUP BY substr(created_at, 1, 13) ORDER BY 1 DESC")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(per_hour, [5, 5, 2]);
    let order: Vec<i64> = db
        .prepare("SELECT case_id FROM letters ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(order, (1..=12).collect::<Vec<i64>>(), "oldest first");
}

#[test]
fn when_the_cap_cannot_meet_the_acknowledgement_deadline_the_duty_manager_is_told_the_count() {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[inbound]\nmax_auto_letters_per_hour = 1\n[workflow]\nduty_manager = \"bob\"\n",
    );
    for i in 0..3 {
        s.mail(
            &format!("{i}"),
            &format!("Resident {i} <r{i}@example.org>"),
            "Bins",
            "I wish to complain about my bins.",
            &format!("d{i}@example.org"),
        );
    }
    s.run("2026-12-14T09:00:00Z", &["poll"]);
    // Nothing ticked until Mon 21 Dec, the acknowledgement deadline (5 working days).
    let out = s.run("2026-12-21T09:05:00Z", &["tick"]);
    assert!(out.contains("1 deferred acknowledgements sent"), "{out}");
    assert!(
        out.contains(
            "1 deferred acknowledgements due by 2026-12-21 cannot all go this hour: told bob"
        ),
        "{out}"
    );
    assert!(staff_mail(&s)
        .iter()
        .any(|(to, subject)| to == "bob@council.example"
            && subject == "1 acknowledgements will miss their deadline"));
    // The next hour the last one goes: late at worst, never dropped.
    let out = s.run("2026-12-21T10:05:00Z", &["tick"]);
    assert!(out.contains("1 deferred acknowledgements sent"), "{out}");
    for i in 1..=3 {
        assert_eq!(
            letter_kinds(&s, &format!("BNES-2026-0000{i}")),
            ["acknowledgement"]
        );
    }
}

#[test]
fn a_safeguarding_case_is_not_auto_closed_when_its_reply_window_lapses() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Pat <pat@example.org>",
        "Care of my father",
        "I wish to complain: my father was left without food and I believe it is neglect.",
        "w1@example.org",
    );
    s.run("2026-12-07T10:00:00Z", &["poll"]);
    s.respond(
        "2026-12-08T10:00:00Z",
        "BNES-2026-00001",
        "upheld",
        "We have spoken to the care team.",
    );
    // Bath & NES closes a case whose 20-working-day reply window lapses (Fri 8 Jan 2027,
    // past 25 and 28 Dec and 1 Jan); a safeguarding case waits for a person instead.
    let out = s.run("2027-01-11T09:00:00Z", &["tick"]);
    assert!(!out.contains("auto-closed"), "{out}");
    let (_, state, flag) = case_summary(&s, "2027-01-11T09:00:00Z", "BNES-2026-00001");
    assert_eq!(state, "awaiting-customer");
    assert!(
        flag.contains("reply window ended: decide whether to close"),
        "{flag}"
    );
}

#[test]
fn a_letter_only_customers_emailed_complaint_is_held_to_post_until_posted() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "0",
        "Kit <kit@example.org>",
        "Noise",
        "I wish to complain about the noise from the depot.",
        "lo0@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    s.run("2026-11-02T09:01:00Z", &["send"]);
    s.run(
        "2026-11-03T09:00:00Z",
        &[
            "restrict",
            "kit@example.org",
            "--level",
            "letter-only",
            "--review",
            "2027-05-01",
            "--reason",
            "Monitoring Officer decision",
            "--immediate",
            "threats to staff",
        ],
    );
    s.mail(
        "1",
        "Kit <kit@example.org>",
        "Bins",
        "I wish to complain that my bin was missed again.",
        "lo1@example.org",
    );
    s.run("2026-11-04T10:00:00Z", &["poll"]);
    s.run("2026-11-04T10:01:00Z", &["send"]);
    let ack = |now: &str| {
        let v = s.case(now, "BNES-2026-00002");
        v["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "acknowledge")
            .unwrap()
            .clone()
    };
    // The acknowledgement waits to be printed: its deadline is not met yet.
    assert!(!ack("2026-11-04T10:02:00Z")["held_letter"].is_null());
    let out = s.run("2026-11-04T10:02:00Z", &["case", "BNES-2026-00002"]);
    assert!(out.contains("held to post since 2026-11-04"), "{out}");
    let id: i64 = s
        .db()
        .query_row(
            "SELECT id FROM letters WHERE kind = 'acknowledgement' AND status = 'held' AND case_id = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Thu 5 Nov: posted; the deadline is met that day.
    s.run(
        "2026-11-05T11:00:00Z",
        &["outbox", "--posted", &id.to_string(), "--by", "ann"],
    );
    let a = ack("2026-11-05T11:01:00Z");
    assert_eq!(a["met_on"], "2026-11-05", "{a}");
    assert!(a["held_letter"].is_null(), "{a}");
}
