//! Hostile and odd mail, as an attacker or a careless sender would write it, through a
//! real Maildir and the real binary: it never stops the service, loses a complaint,
//! answers a robot or lets one person speak for another (issue 11).

use crate::site;
use site::Site;

const BATH: &str = "bath-and-north-east-somerset";
const R: &str = "BNES-2026-00001";

/// A raw message with the given header lines (CRLF line ends).
fn raw(headers: &[&str], body: &str) -> Vec<u8> {
    let mut s = String::new();
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    if !headers.iter().any(|h| h.starts_with("To:")) {
        s.push_str("To: complaints@council.example\r\n");
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.push_str("\r\n");
    s.into_bytes()
}

fn one(conn: &rusqlite::Connection, sql: &str) -> String {
    conn.query_row(sql, [], |r| {
        r.get::<_, Option<String>>(0)
            .or_else(|_| r.get::<_, i64>(0).map(|n| Some(n.to_string())))
    })
    .unwrap()
    .unwrap_or_default()
}

fn report(s: &Site, now: &str) -> serde_json::Value {
    serde_json::from_str(&s.run(now, &["poll", "--json"])).unwrap()
}

fn state(s: &Site) -> (String, String) {
    let v = s.case("2026-11-04T09:05:00Z", R);
    (
        v["case"]["stage"].as_str().unwrap().to_string(),
        v["case"]["state"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_line_break_in_an_encoded_display_name_is_not_kept_and_the_residents_own_name_is_used_later() {
    let s = Site::new(BATH, "BNES");
    // "Eve\r\nBcc: all@example.net\0" as a UTF-8 encoded word.
    s.deliver(
        "1",
        &raw(
            &[
                "From: =?utf-8?b?RXZlDQpCY2M6IGFsbEBleGFtcGxlLm5ldAA=?= <ivy@example.org>",
                "Subject: Potholes\r\n on\tthe\x1b[31m road",
                "Message-ID: <n1@example.org>",
            ],
            "I wish to complain about potholes.",
        ),
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    let db = s.db();
    assert_eq!(
        one(
            &db,
            "SELECT name FROM customers WHERE email = 'ivy@example.org'"
        ),
        ""
    );
    assert_eq!(
        one(&db, "SELECT subject FROM cases"),
        "Potholes on the [31m road"
    );
    // The acknowledgement goes out, addressed without a name.
    s.run("2026-11-02T09:01:00Z", &["send"]);
    let letters = s.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let eml = std::fs::read_dir(s.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|t| t.contains("Potholes"))
        .unwrap();
    assert!(!eml.contains("Bcc"), "{eml}");
    assert!(eml.contains("To: ivy@example.org"), "{eml}");
    // Later the genuine resident writes with her name: her letters use it.
    s.mail(
        "2",
        "Ivy Green <ivy@example.org>",
        "Bins",
        "I wish to complain about the bins.",
        "n2@example.org",
    );
    s.run("2026-11-02T10:00:00Z", &["poll"]);
    assert_eq!(
        one(
            &db,
            "SELECT name FROM customers WHERE email = 'ivy@example.org'"
        ),
        "Ivy Green"
    );
    // A clean but false name first does not stay either: her next message puts hers back.
    s.mail(
        "3",
        "Idiot <ivy@example.org>",
        "Parking",
        "Spoofed.",
        "n3@example.net",
    );
    s.mail(
        "4",
        "Ivy Green <ivy@example.org>",
        "Graffiti",
        "I wish to complain about graffiti.",
        "n4@example.org",
    );
    s.run("2026-11-02T11:00:00Z", &["poll"]);
    assert_eq!(
        one(
            &db,
            "SELECT name FROM customers WHERE email = 'ivy@example.org'"
        ),
        "Ivy Green"
    );
}

#[test]
fn complaints_that_only_look_like_robots_are_answered() {
    let s = Site::new(BATH, "BNES");
    for (n, from, subject) in [
        (
            "1",
            "ivy@example.org",
            "Delivery failure of my new recycling bin",
        ),
        (
            "2",
            "ben@example.org",
            "Out of office hours noise from the pub",
        ),
        (
            "3",
            "home-owner@example.org",
            "Failure notice from planning was wrong",
        ),
        (
            "4",
            "owner-jane@example.org",
            "Automatic reply: not what I wanted from you",
        ),
    ] {
        s.mail(
            n,
            from,
            subject,
            "I wish to complain.",
            &format!("{n}@example.org"),
        );
    }
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(
        (&r["new_cases"], &r["noise"]),
        (&4.into(), &0.into()),
        "{r}"
    );
    assert_eq!(one(&s.db(), "SELECT count(*) FROM letters"), "4");
}

#[test]
fn two_residents_forms_reusing_one_message_id_are_two_cases_and_one_complaint_delivered_twice_is_one(
) {
    let s = Site::new(BATH, "BNES");
    for (n, who, text) in [
        ("1", "ann@example.org", "The bins were not collected."),
        ("2", "ben@example.org", "The street light is broken."),
    ] {
        s.deliver(
            n,
            &raw(
                &[
                    &format!("From: {who}"),
                    "Subject: Complaint form",
                    "Message-ID: <form@forms.example>",
                ],
                text,
            ),
        );
    }
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(r["new_cases"], 2, "{r}");
    // Ben follows up on his own form: his case, not Ann's (both carry that Message-ID).
    s.deliver(
        "2b",
        &raw(
            &[
                "From: ben@example.org",
                "Subject: More about the street light",
                "In-Reply-To: <form@forms.example>",
                "Message-ID: <ben2@example.org>",
            ],
            "It is still broken.",
        ),
    );
    s.run("2026-11-02T09:05:00Z", &["poll"]);
    assert_eq!(
        one(
            &s.db(),
            "SELECT c.reference || ' ' || m.matched_by FROM messages m JOIN cases c ON c.id = m.case_id
             WHERE m.message_id = 'ben2@example.org'"
        ),
        "BNES-2026-00002 header"
    );
    // The same complaint delivered to two of our addresses: trace headers differ.
    for (n, to) in [("3", "complaints"), ("4", "feedback")] {
        s.deliver(
            n,
            &raw(
                &[
                    &format!("Delivered-To: {to}@council.example"),
                    &format!("Received: from mx by {to} with LMTP id {n}"),
                    "From: cal@example.org",
                    "Subject: Noise at night",
                    "Date: Mon, 2 Nov 2026 08:00:00 +0000",
                    "Message-ID: <twice@example.org>",
                ],
                "I wish to complain about noise at night.",
            ),
        );
    }
    let r = report(&s, "2026-11-02T09:10:00Z");
    assert_eq!(
        (&r["new_cases"], &r["duplicates"]),
        (&1.into(), &1.into()),
        "{r}"
    );
    assert_eq!(one(&s.db(), "SELECT count(*) FROM cases"), "3");
}

#[test]
fn a_stranger_whose_reply_to_names_the_resident_cannot_escalate_her_case() {
    let s = Site::bath_case_answered("");
    s.deliver(
        "2",
        &raw(
            &[
                "From: Mallory <mallory@example.net>",
                "Reply-To: ivy@example.org",
                &format!("Subject: Re: [Ref {R}] Our response"),
                "Message-ID: <m1@example.net>",
            ],
            "I am not satisfied and ask for a review.",
        ),
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    let out = s.run("2026-11-04T09:01:00Z", &["tick"]);
    assert!(!out.contains("asked for a review"), "{out}");
    assert_eq!(state(&s), ("stage1".into(), "awaiting-customer".into()));
    let flagged = one(&s.db(), "SELECT flagged FROM cases");
    assert!(flagged.contains("third-party"), "{flagged}");
}

#[test]
fn with_dmarc_required_only_mail_our_server_passed_may_escalate() {
    let s =
        Site::bath_case_answered("[inbound]\ntrusted_authserv_ids = [\"mx.council.example\"]\n");
    let reply = |n: &str, auth: Option<&str>| {
        let mut h = vec![
            "From: Ivy <ivy@example.org>".to_string(),
            format!("Subject: Re: [Ref {R}] Our response"),
            format!("Message-ID: <r{n}@example.org>"),
        ];
        if let Some(a) = auth {
            h.insert(0, format!("Authentication-Results: {a}"));
        }
        let h: Vec<&str> = h.iter().map(|s| s.as_str()).collect();
        raw(&h, "I am not satisfied and ask for a review.")
    };
    // No proof, then a forged result from a server that is not ours, then a fail.
    s.deliver("2", &reply("2", None));
    s.deliver(
        "3",
        &reply(
            "3",
            Some("mx.evil.example; dmarc=pass header.from=example.org"),
        ),
    );
    s.deliver(
        "4",
        &reply(
            "4",
            Some("mx.council.example; spf=pass; dmarc=fail header.from=example.org"),
        ),
    );
    // Our server's fail on top, and below it a pass the sender wrote claiming to be us.
    let mut forged = reply(
        "6",
        Some("mx.council.example; dmarc=pass header.from=example.org"),
    );
    forged.splice(
        0..0,
        b"Authentication-Results: mx.council.example; dmarc=fail header.from=example.org\r\n"
            .iter()
            .copied(),
    );
    s.deliver("6", &forged);
    // A pass that does not say for which domain.
    s.deliver("7", &reply("7", Some("mx.council.example; dmarc=pass")));
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    let out = s.run("2026-11-04T09:01:00Z", &["tick"]);
    assert!(!out.contains("asked for a review"), "{out}");
    assert_eq!(state(&s), ("stage1".into(), "awaiting-customer".into()));
    let flagged = one(&s.db(), "SELECT flagged FROM cases");
    assert!(flagged.contains("sender not verified"), "{flagged}");
    // Our own server's dmarc=pass for her domain: now it is her.
    s.deliver(
        "5",
        &reply(
            "5",
            Some("mx.council.example 1; spf=pass smtp.mailfrom=example.org; dmarc=pass (p=reject) header.from=example.org"),
        ),
    );
    s.run("2026-11-04T09:02:00Z", &["poll"]);
    let out = s.run("2026-11-04T09:03:00Z", &["tick"]);
    assert!(
        out.contains(&format!("{R}: customer asked for a review")),
        "{out}"
    );
}

#[test]
fn an_out_of_office_that_mentions_stage_2_never_escalates() {
    let s = Site::bath_case_answered("");
    // Flagged as automatic by header, and by an Outlook subject alone.
    s.deliver(
        "2",
        &raw(
            &[
                "From: Ivy <ivy@example.org>",
                &format!("Subject: Re: [Ref {R}] Our response"),
                "Auto-Submitted: auto-replied",
                "Message-ID: <ooo1@example.org>",
            ],
            "I am away. For a Stage 2 review please contact my colleague.",
        ),
    );
    s.deliver(
        "3",
        &raw(
            &[
                "From: Ivy <ivy@example.org>",
                &format!("Subject: Automatic reply: [Ref {R}] Our response"),
                "Message-ID: <ooo2@example.org>",
            ],
            "I am out of the office. To escalate, ring reception.",
        ),
    );
    s.run("2026-11-04T09:00:00Z", &["poll"]);
    let out = s.run("2026-11-04T09:01:00Z", &["tick"]);
    assert!(!out.contains("asked for a review"), "{out}");
    assert!(!out.contains("customer replied"), "{out}");
    assert_eq!(state(&s), ("stage1".into(), "awaiting-customer".into()));
}

#[test]
fn list_digests_and_old_style_bounces_get_no_acknowledgement() {
    let s = Site::new(BATH, "BNES");
    let robots = [
        raw(
            &[
                "From: council-news-request@lists.example.org",
                "Subject: council-news Digest, Vol 12, Issue 3",
                "X-Mailman-Version: 2.1.39",
                "Message-ID: <d1@lists.example.org>",
            ],
            "Today's Topics: 1. Complaint about the bins",
        ),
        raw(
            &[
                "From: News <news@lists.example.org>",
                "Subject: I want to complain",
                "X-Mailman-Version: 3.3.8",
                "Message-ID: <d2@lists.example.org>",
            ],
            "A list post that mentions a complaint.",
        ),
        raw(
            &[
                "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>",
                "Subject: Returned mail: see transcript for details",
                "Message-ID: <b1@mx.example.net>",
            ],
            "The original message was received... User unknown",
        ),
        raw(
            &[
                "From: postmaster@example.net",
                "Subject: Delivery failure",
                "Message-ID: <b2@example.net>",
            ],
            "Your message could not be delivered.",
        ),
        raw(
            &[
                "From: Mail Delivery System <mailer@mx.example.com>",
                "Subject: Undelivered Mail Returned to Sender",
                "Message-ID: <b3@example.com>",
            ],
            "This is the mail system. I'm sorry to have to inform you...",
        ),
    ];
    for (i, r) in robots.iter().enumerate() {
        s.deliver(&i.to_string(), r);
    }
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(
        (&r["noise"], &r["new_cases"]),
        (&5.into(), &0.into()),
        "{r}"
    );
    assert_eq!(
        one(&s.db(), "SELECT count(*) FROM letters"),
        "0",
        "no letter to a robot"
    );
}

#[test]
fn automatic_letters_are_capped_per_hour_and_plus_addresses_count_as_one_sender() {
    let s = Site::with(
        BATH,
        "BNES",
        "[inbound]\nmax_auto_letters_per_hour = 4\nmax_auto_replies_per_day = 2\n",
    );
    // One sender under three plus-addresses: the third is over the per-sender limit.
    for (n, from) in ["ivy+1@example.org", "IVY+2@example.org", "ivy@example.org"]
        .iter()
        .enumerate()
    {
        s.mail(
            &format!("a{n}"),
            from,
            &format!("Complaint {n}"),
            "I wish to complain.",
            &format!("a{n}@example.org"),
        );
    }
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(r["new_cases"], 3, "{r}");
    let db = s.db();
    assert_eq!(one(&db, "SELECT count(*) FROM letters"), "2");
    let held = one(
        &db,
        "SELECT group_concat(flagged, '|') FROM cases WHERE flagged IS NOT NULL",
    );
    assert!(held.contains("to this address in 24 hours"), "{held}");
    // Strangers, all in the same hour: two more letters reach the hourly cap of four.
    for n in 0..4 {
        s.mail(
            &format!("b{n}"),
            &format!("person{n}@example.net"),
            &format!("Complaint about street {n}"),
            "I wish to complain.",
            &format!("b{n}@example.net"),
        );
    }
    s.run("2026-11-02T09:30:00Z", &["poll"]);
    assert_eq!(one(&db, "SELECT count(*) FROM letters"), "4");
    // Over the hourly cap the acknowledgements are deferred, not dropped or flagged.
    assert_eq!(one(&db, "SELECT count(*) FROM deferred_acks"), "2");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM cases WHERE flagged LIKE '%to all senders this hour%'"
        ),
        "0"
    );
    // The next hour starts a new count: a new message queues behind the two waiting,
    // and the tick sends all three, oldest first.
    s.mail(
        "c",
        "later@example.net",
        "Complaint later",
        "I wish to complain.",
        "c@example.net",
    );
    s.run("2026-11-02T10:05:00Z", &["poll"]);
    assert_eq!(one(&db, "SELECT count(*) FROM letters"), "4");
    s.run("2026-11-02T10:05:00Z", &["tick"]);
    assert_eq!(one(&db, "SELECT count(*) FROM letters"), "7");
    assert_eq!(one(&db, "SELECT count(*) FROM deferred_acks"), "0");
}

#[test]
fn a_subject_of_thousands_of_characters_is_capped_in_the_case() {
    let s = Site::new(BATH, "BNES");
    let long = "Complaint about the road ".repeat(400);
    s.mail(
        "1",
        "ivy@example.org",
        &long,
        "Potholes.",
        "long@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    let subject = one(&s.db(), "SELECT subject FROM cases");
    assert!(subject.chars().count() <= 200, "{subject}");
    assert!(subject.chars().count() > 180, "{subject}");
    assert!(subject.ends_with('…'));
    // The message itself keeps the resident's words whole.
    let kept = one(&s.db(), "SELECT length(subject) FROM messages");
    assert!(kept.parse::<usize>().unwrap() > 9000, "{kept}");
}

#[test]
fn seven_residents_forms_through_a_web_form_relay_are_seven_cases_each_answered() {
    let s = Site::with(
        BATH,
        "BNES",
        "[inbound]\nrelay_senders = [\"noreply@forms.council.example\"]\n",
    );
    for n in 0..7 {
        s.deliver(
            &format!("f{n}"),
            &raw(
                &[
                    "From: Council forms <noreply@forms.council.example>",
                    &format!("Reply-To: Resident {n} <resident{n}@example.org>"),
                    // The gateway rightly marks its own mail automatic (RFC 3834).
                    "Auto-Submitted: auto-generated",
                    "Subject: Complaint form submission",
                    // The gateway reuses one Message-ID for every form.
                    "Message-ID: <form@forms.council.example>",
                ],
                &format!("Form field: complaint\r\nThe bins at number {n} were missed."),
            ),
        );
    }
    // A relay message with nobody in Reply-To cannot be answered: quarantined.
    s.deliver(
        "g",
        &raw(
            &[
                "From: noreply@forms.council.example",
                "Subject: Complaint form submission",
                "Message-ID: <g@forms.council.example>",
            ],
            "Form with no contact.",
        ),
    );
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(
        (&r["new_cases"], &r["quarantined"]),
        (&7.into(), &1.into()),
        "{r}"
    );
    let db = s.db();
    let to: Vec<String> = db
        .prepare("SELECT to_addr FROM letters ORDER BY to_addr")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let want: Vec<String> = (0..7).map(|n| format!("resident{n}@example.org")).collect();
    assert_eq!(to, want);
    assert_eq!(
        one(
            &db,
            "SELECT name FROM customers WHERE email = 'resident3@example.org'"
        ),
        "Resident 3"
    );
    // A subject access export for a resident finds her form, and a stranger's mail
    // that named her in Reply-To.
    s.deliver(
        "h",
        &raw(
            &[
                "From: someone@example.net",
                "Reply-To: resident3@example.org",
                "Subject: On behalf of my neighbour",
                "Auto-Submitted: auto-generated",
                "Message-ID: <h@example.net>",
            ],
            "Please pass this on.",
        ),
    );
    s.run("2026-11-02T09:10:00Z", &["poll"]);
    s.run(
        "2026-11-02T09:20:00Z",
        &["export", "--email", "resident3@example.org", "--out", "sar"],
    );
    let index = std::fs::read_to_string(s.path().join("sar/index.json")).unwrap();
    assert!(index.contains("Complaint form submission"), "{index}");
    assert!(index.contains("On behalf of my neighbour"), "{index}");
    assert!(!index.contains("number 4"), "{index}");
}

#[test]
fn mail_stored_before_keys_carried_a_digest_is_still_recognised_as_a_duplicate() {
    let s = Site::new(BATH, "BNES");
    let first = raw(
        &[
            "From: ivy@example.org",
            "Subject: Potholes",
            "Message-ID: <old@example.org>",
        ],
        "I wish to complain about potholes.",
    );
    s.deliver("1", &first);
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    // As an earlier version stored it: the key was the bare Message-ID.
    let db = s.db();
    db.execute("UPDATE messages SET ingest_key = message_id", [])
        .unwrap();
    assert_eq!(
        one(&db, "SELECT ingest_key FROM messages"),
        "old@example.org"
    );
    // The file is offered again (a crash before it was moved to cur/): a duplicate.
    s.deliver("1-again", &first);
    let r = report(&s, "2026-11-02T09:05:00Z");
    assert_eq!(
        (&r["duplicates"], &r["new_cases"]),
        (&1.into(), &0.into()),
        "{r}"
    );
    // Another complaint under the same Message-ID is not.
    s.deliver(
        "2",
        &raw(
            &[
                "From: ben@example.org",
                "Subject: Street light",
                "Message-ID: <old@example.org>",
            ],
            "The street light is broken.",
        ),
    );
    let r = report(&s, "2026-11-02T09:10:00Z");
    assert_eq!(r["new_cases"], 1, "{r}");
    // Mail erased under retention before then is known by the hash of its Message-ID.
    let hash: String = {
        use sha2::Digest;
        sha2::Sha256::digest(b"gone@example.org")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    db.execute(
        "INSERT INTO erased_mail (key_hash, erased_at) VALUES (?1, '2026-01-01T00:00:00Z')",
        [&hash],
    )
    .unwrap();
    s.deliver(
        "3",
        &raw(
            &[
                "From: cal@example.org",
                "Subject: Old complaint",
                "Message-ID: <gone@example.org>",
            ],
            "A complaint long since erased.",
        ),
    );
    let r = report(&s, "2026-11-02T09:15:00Z");
    assert_eq!(
        (&r["duplicates"], &r["new_cases"]),
        (&1.into(), &0.into()),
        "{r}"
    );
}

#[test]
fn a_big_message_and_big_junk_are_stored_byte_for_byte() {
    let s = Site::new(BATH, "BNES");
    // A 3 MB complaint (a photo attached) and 2 MB of junk that is not mail.
    let photo: String = (0..40_000)
        .map(|i| format!("{:076}\r\n", i * 7919))
        .collect();
    let complaint = raw(
        &[
            "From: ivy@example.org",
            "Subject: Fly-tipping, photo attached",
            "Message-ID: <big@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"b\"",
        ],
        &format!(
            "--b\r\nContent-Type: text/plain\r\n\r\nI wish to complain about fly-tipping.\r\n\
             --b\r\nContent-Type: image/jpeg; name=\"tip.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{photo}--b--"
        ),
    );
    assert!(complaint.len() > 3_000_000);
    let junk: Vec<u8> = (0..2_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    s.deliver("1", &complaint);
    s.deliver("2", &junk);
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(
        (&r["new_cases"], &r["quarantined"]),
        (&1.into(), &1.into()),
        "{r}"
    );
    let db = s.db();
    let stored: Vec<u8> = db
        .query_row("SELECT raw FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(stored == complaint, "the message is stored as received");
    let kept: Vec<u8> = db
        .query_row("SELECT raw FROM quarantine", [], |r| r.get(0))
        .unwrap();
    assert!(kept == junk, "the junk is kept as received");
}

/// A From header that is markup, or that names no address at all, opens no case for
/// whatever the parser made of it: the message is quarantined with a reason that says
/// so. Unusual but real addresses (a plus, an apostrophe, another script) still open
/// cases.
#[test]
fn a_from_with_no_valid_address_is_quarantined_not_made_a_case() {
    let s = Site::new(BATH, "BNES");
    let junk = [
        r#"From: "<script>alert(1)</script>"><img src=x onerror=alert(1)> <xss@example.org>"#,
        "From: <img src=x onerror=alert(1)>",
        "From: Just A Name",
        "From: a b@example.org",
        "From: <@example.org>",
        "From: <resident@>",
        "From: <resident@exa mple.org>",
        "From: <resident@-example.org>",
    ];
    for (n, from) in junk.iter().enumerate() {
        s.deliver(
            &format!("junk{n}"),
            &raw(
                &[
                    from,
                    "Subject: My bins",
                    &format!("Message-ID: <junk{n}@example.org>"),
                ],
                "I wish to complain about my bins.",
            ),
        );
    }
    let fine = [
        "o'brien+bins@example.co.uk",
        "j.smith@mail.example.org",
        "josé@exämple.org",
    ];
    for (n, addr) in fine.iter().enumerate() {
        s.deliver(
            &format!("fine{n}"),
            &raw(
                &[
                    &format!("From: Resident <{addr}>"),
                    "Subject: My bins",
                    &format!("Message-ID: <fine{n}@example.org>"),
                ],
                "I wish to complain about my bins.",
            ),
        );
    }
    let r = report(&s, "2026-11-02T09:00:00Z");
    assert_eq!(
        (&r["new_cases"], &r["quarantined"]),
        (&fine.len().into(), &junk.len().into()),
        "{r}"
    );
    let db = s.db();
    let emails: Vec<String> = db
        .prepare("SELECT email FROM customers ORDER BY email")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut want: Vec<String> = fine.iter().map(|a| a.to_lowercase()).collect();
    want.sort();
    assert_eq!(emails, want);
    assert_eq!(
        one(
            &db,
            "SELECT COUNT(*) FROM messages WHERE from_addr LIKE '%onerror%'"
        ),
        "0"
    );
    let reasons: Vec<String> = db
        .prepare("SELECT reason FROM quarantine ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(reasons.len(), junk.len());
    for reason in &reasons {
        assert!(
            reason.starts_with("no valid sender address in From (it gives \""),
            "{reasons:?}"
        );
    }
    assert!(
        reasons[0].contains("img src=x onerror=alert"),
        "{reasons:?}"
    );
    // The quarantine list says why, on one line.
    let list = s.run("2026-11-02T09:05:00Z", &["quarantine"]);
    assert!(list.contains("no valid sender address in From"), "{list}");
}
