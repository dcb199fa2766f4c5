//! The fixture corpus (tests/fixtures/): real-shaped mail, each with the outcome it
//! must have, ingested in order into one store under the zero-setup config.

use chrono::{DateTime, Utc};
use redress::case::Kind;
use redress::config::Config;
use redress::ingest::{ingest_batch, Incoming, Options, Outcome};
use redress::store::Store;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ingest(store: &mut Store, cfg: &Config, name: &str, now: &str) -> Outcome {
    let raw = fixture(name);
    let mut out = ingest_batch(
        store,
        cfg,
        "test",
        &[Incoming {
            raw: &raw,
            delivered_at: None,
            full_size: None,
        }],
        at(now),
        Options::default(),
    )
    .unwrap();
    out.remove(0)
}

/// A store in a fresh temporary directory (kept while the directory lives).
fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("redress.db")).unwrap();
    (dir, store)
}

fn q(store: &Store, sql: &str) -> Vec<Vec<String>> {
    let db = rusqlite::Connection::open(store.path().expect("a file database")).unwrap();
    let mut stmt = db.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
            })
            .collect())
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

#[test]
fn every_fixture_has_its_expected_outcome() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    let now = "2026-12-17T20:00:00Z";

    // A new complaint: case EX-2026-00001, acknowledgement queued with our fixed Message-ID.
    let o = ingest(&mut s, &cfg, "01-complaint.eml", "2026-12-14T09:05:00Z");
    assert_eq!(
        o,
        Outcome::NewCase {
            reference: "EX-2026-00001".into(),
            kind: Kind::Complaint,
            acknowledged: true,
            deferred: false,
            to_triage: false,
        }
    );
    let letters = q(
        &s,
        "SELECT kind, status, message_id, in_reply_to, to_addr, automatic FROM letters",
    );
    assert_eq!(
        letters,
        vec![vec![
            "acknowledgement",
            "pending",
            "<ex-2026-00001.acknowledgement.1@example.gov.uk>",
            "<CAF1234seed@mail.example.org>",
            "ann@example.org",
            "1"
        ]]
    );

    // Outlook reply: subject reference wins.
    assert_eq!(
        ingest(&mut s, &cfg, "02-outlook-reply.eml", now),
        Outcome::Attached {
            reference: "EX-2026-00001".into(),
            matched_by: "subject-ref".into()
        }
    );
    // Gmail reply whose ids and subject were rewritten: the reference quoted from our footer.
    assert_eq!(
        ingest(&mut s, &cfg, "03-gmail-reply-rewritten-ids.eml", now),
        Outcome::Attached {
            reference: "EX-2026-00001".into(),
            matched_by: "body-ref".into()
        }
    );
    // HTML-only, base64: a new complaint with readable text.
    assert!(matches!(
        ingest(&mut s, &cfg, "04-html-only-base64.eml", now),
        Outcome::NewCase {
            kind: Kind::Complaint,
            ..
        }
    ));
    let body = q(
        &s,
        "SELECT body_text FROM messages WHERE message_id = 'html-only-1@example.com'",
    );
    assert!(
        body[0][0].contains(
            "I am dissatisfied with the state of the play park on Mill Lane & the broken swings."
        ),
        "{}",
        body[0][0]
    );
    assert!(!body[0][0].contains('<'), "tags left in: {}", body[0][0]);

    // Latin-1, quoted-printable, encoded subject: decoded correctly.
    assert!(matches!(
        ingest(&mut s, &cfg, "05-latin1-quoted-printable.eml", now),
        Outcome::NewCase {
            kind: Kind::Complaint,
            ..
        }
    ));
    let row = q(&s, "SELECT c.subject, cu.name, m.body_text FROM messages m JOIN cases c ON c.id = m.case_id JOIN customers cu ON cu.id = c.customer_id WHERE m.message_id = 'latin1-1@example.fr'");
    assert_eq!(row[0][0], "Réclamation – council tax £200");
    assert_eq!(row[0][1], "Renée Dupré");
    assert!(
        row[0][2].contains("charged £200 twice. Très déçue."),
        "{}",
        row[0][2]
    );

    // A long folded UTF-8 subject.
    ingest(&mut s, &cfg, "06-long-encoded-subject.eml", now);
    let subj = q(
        &s,
        "SELECT subject FROM messages WHERE message_id = 'long-subject-1@example.co.uk'",
    );
    assert_eq!(subj[0][0], "Complaint about the street lighting on High Street — it has been out for six weeks and nobody has replied ✔");

    // Attachments: name, type, size, hash; the oversized one recorded without content.
    let mut small = cfg.clone();
    small.inbound.max_attachment_bytes = 2000;
    assert!(matches!(
        ingest(&mut s, &small, "07-attachments.eml", now),
        Outcome::NewCase { .. }
    ));
    let atts = q(&s, "SELECT a.name, a.mime_type, a.size, length(a.sha256), a.content IS NULL, COALESCE(a.note, '') FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = 'attach-1@example.org' ORDER BY a.id");
    assert_eq!(atts.len(), 4, "{atts:?}");
    assert_eq!(
        atts[0][..5],
        ["letter.pdf", "application/pdf", "45", "64", "0"]
    );
    assert_eq!(atts[1][..2], ["photo.png", "image/png"]);
    assert_eq!(atts[2][..2], ["winmail.dat", "application/ms-tnef"]);
    assert_eq!(
        atts[3][..5],
        ["big.bin", "application/octet-stream", "3000", "64", "1"]
    );
    assert!(
        atts[3][5].contains("over the 2000 byte limit"),
        "{:?}",
        atts[3]
    );

    // A forwarded complaint is a new case for the forwarder.
    assert!(matches!(
        ingest(&mut s, &cfg, "08-forwarded.eml", now),
        Outcome::NewCase {
            kind: Kind::Complaint,
            ..
        }
    ));

    // Out of office: threads to the case by its subject but is never answered.
    let before = q(&s, "SELECT COUNT(*) FROM letters")[0][0].clone();
    let o = ingest(&mut s, &cfg, "09-out-of-office.eml", now);
    assert_eq!(
        o,
        Outcome::Attached {
            reference: "EX-2026-00001".into(),
            matched_by: "subject-ref".into()
        }
    );
    let nr = q(
        &s,
        "SELECT no_reply_reason FROM messages WHERE message_id = 'ooo-1@example.org'",
    );
    assert_eq!(nr[0][0], "auto-reply (Auto-Submitted: auto-replied)");

    // Delivery failure: linked to the letter it reports on; the case is flagged.
    let o = ingest(&mut s, &cfg, "10-bounce.eml", now);
    assert_eq!(
        o,
        Outcome::Noise {
            reason: "bounce of a letter on EX-2026-00001".into()
        }
    );
    let flagged = q(
        &s,
        "SELECT flagged FROM cases WHERE reference = 'EX-2026-00001'",
    );
    assert!(flagged[0][0].contains("letter 1 bounced"), "{:?}", flagged);

    // No Message-ID: keyed by content hash, a compliment.
    assert!(matches!(
        ingest(&mut s, &cfg, "11-no-message-id.eml", now),
        Outcome::NewCase {
            kind: Kind::Compliment,
            ..
        }
    ));
    assert_eq!(
        ingest(&mut s, &cfg, "11-no-message-id.eml", now),
        Outcome::Duplicate
    );
    let key = q(
        &s,
        "SELECT ingest_key FROM messages WHERE from_addr = 'gina@example.org'",
    );
    assert!(key[0][0].starts_with("sha256:"), "{key:?}");

    // Malformed MIME still becomes a stored message (the parser recovers what it can).
    let o = ingest(&mut s, &cfg, "12-malformed-mime.eml", now);
    assert!(matches!(o, Outcome::NewCase { .. }), "{o:?}");

    // Not mail at all: quarantined with a reason, and the next message still goes in.
    let o = ingest(&mut s, &cfg, "13-not-mail.bin", now);
    assert!(
        matches!(&o, Outcome::Quarantined { reason } if !reason.is_empty()),
        "{o:?}"
    );
    // Triage suggests the parking route; by default a person decides: the case waits
    // "to triage" as a complaint, its redirect letter drafted, nothing sent.
    let o = ingest(&mut s, &cfg, "14-pcn.eml", now);
    assert!(
        matches!(
            o,
            Outcome::NewCase {
                kind: Kind::Complaint,
                acknowledged: false,
                to_triage: true,
                ..
            }
        ),
        "{o:?}"
    );
    let data = q(&s, "SELECT t.letter_kind, t.letter_data FROM triage_suggestions t JOIN cases c ON c.id = t.case_id JOIN customers cu ON cu.id = c.customer_id WHERE cu.email = 'ian@example.org'");
    assert_eq!(data[0][0], "out-of-scope-redirect");
    assert!(
        data[0][1].contains("parking penalty charge notices")
            && data[0][1].contains("Traffic Penalty Tribunal"),
        "{:?}",
        data
    );

    // Someone else quoting the reference: attached as third-party, flagged, nothing sent.
    let o = ingest(&mut s, &cfg, "15-third-party.eml", now);
    assert_eq!(
        o,
        Outcome::Attached {
            reference: "EX-2026-00001".into(),
            matched_by: "third-party (subject-ref)".into()
        }
    );
    let flagged = q(
        &s,
        "SELECT flagged FROM cases WHERE reference = 'EX-2026-00001'",
    );
    assert!(flagged[0][0].contains("third-party correspondence"));
    let to_mallory = q(
        &s,
        "SELECT COUNT(*) FROM letters WHERE to_addr = 'mallory@example.net'",
    );
    assert_eq!(to_mallory[0][0], "0");

    // The same message CC'd to a second council address: one case, not two.
    assert_eq!(
        ingest(&mut s, &cfg, "16-cc-duplicate.eml", now),
        Outcome::Duplicate
    );

    // Nothing automatic besides the out-of-office went out for noise: one letter per new case.
    let after = q(&s, "SELECT COUNT(*) FROM letters")[0][0].clone();
    assert!(after.parse::<i32>().unwrap() > before.parse::<i32>().unwrap());
    let per_case = q(
        &s,
        "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM letters GROUP BY case_id)",
    );
    assert_eq!(per_case[0][0], "1");
}

#[test]
fn backlog_import_opens_cases_but_sends_nothing() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    let raw = fixture("01-complaint.eml");
    let out = ingest_batch(
        &mut s,
        &cfg,
        "test",
        &[Incoming {
            raw: &raw,
            delivered_at: None,
            full_size: None,
        }],
        at("2026-12-14T10:00:00Z"),
        Options { backlog: true },
    )
    .unwrap();
    assert!(matches!(
        out[0],
        Outcome::NewCase {
            acknowledged: false,
            ..
        }
    ));
    assert_eq!(q(&s, "SELECT COUNT(*) FROM letters")[0][0], "0");
    let c = q(&s, "SELECT state, flagged FROM cases");
    assert_eq!(c[0][0], "received");
    assert!(c[0][1].contains("never acknowledged"));
    // Old mail (delivered 30 days before now) gets no letter without --backlog too.
    let raw = fixture("14-pcn.eml");
    let out = ingest_batch(
        &mut s,
        &cfg,
        "test",
        &[Incoming {
            raw: &raw,
            delivered_at: Some(at("2026-11-14T10:00:00Z")),
            full_size: None,
        }],
        at("2026-12-14T10:00:00Z"),
        Options::default(),
    )
    .unwrap();
    assert!(matches!(
        out[0],
        Outcome::NewCase {
            acknowledged: false,
            ..
        }
    ));
}

#[test]
fn automatic_replies_to_one_sender_are_rate_limited() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    let mut acknowledged = 0;
    for i in 0..8 {
        let raw = format!("From: flood@example.org\r\nSubject: complaint number {i}\r\nMessage-ID: <flood-{i}@example.org>\r\n\r\nI complain.\r\n");
        let out = ingest_batch(
            &mut s,
            &cfg,
            "test",
            &[Incoming {
                raw: raw.as_bytes(),
                delivered_at: None,
                full_size: None,
            }],
            at("2026-12-14T10:00:00Z"),
            Options::default(),
        )
        .unwrap();
        if matches!(
            out[0],
            Outcome::NewCase {
                acknowledged: true,
                ..
            }
        ) {
            acknowledged += 1;
        }
    }
    assert_eq!(acknowledged, cfg.inbound.max_auto_replies_per_day);
    assert_eq!(q(&s, "SELECT COUNT(*) FROM cases")[0][0], "8");
}

#[test]
fn mail_from_the_inbox_itself_is_never_answered() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    let raw = b"From: complaints@example.gov.uk\r\nSubject: complaint\r\nMessage-ID: <loop@example.gov.uk>\r\n\r\nI complain.\r\n";
    let out = ingest_batch(
        &mut s,
        &cfg,
        "test",
        &[Incoming {
            raw,
            delivered_at: None,
            full_size: None,
        }],
        at("2026-12-14T10:00:00Z"),
        Options::default(),
    )
    .unwrap();
    assert_eq!(
        out[0],
        Outcome::Noise {
            reason: "sent from the complaints inbox itself (loop)".into()
        }
    );
    assert_eq!(q(&s, "SELECT COUNT(*) FROM letters")[0][0], "0");
}

#[test]
fn our_own_letter_coming_back_is_never_answered() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    let now = "2026-12-14T10:00:00Z";
    let first = ingest_raws(
        &mut s,
        &cfg,
        &[plain_mail(1, "Bins", "My bin was missed.")],
        now,
    );
    assert!(matches!(first[0], Outcome::NewCase { .. }));
    let ours = &q(&s, "SELECT message_id FROM letters")[0][0];
    assert!(ours.ends_with("@example.gov.uk>"), "{ours}");
    // A list or forwarder reflects our acknowledgement back, from another address.
    let echo = format!(
        "From: Lists <list@example.org>\r\nSubject: Re: Bins\r\nMessage-ID: {ours}\r\n\r\nAcknowledgement.\r\n"
    );
    // The same local part at another domain is not ours: it opens a case as usual.
    let lookalike = format!(
        "From: Lists <list@example.org>\r\nSubject: Potholes\r\nMessage-ID: {}\r\n\r\nThe road is broken.\r\n",
        ours.replace("@example.gov.uk", "@example.org")
    );
    // A relay that changed the case of the Message-ID (a different ingestion key).
    let shouted = format!(
        "From: Relay <relay@example.org>\r\nSubject: Re: Bins\r\nMessage-ID: {}\r\n\r\nAcknowledgement.\r\n",
        ours.to_uppercase()
    );
    let out = ingest_raws(
        &mut s,
        &cfg,
        &[
            echo.into_bytes(),
            lookalike.into_bytes(),
            shouted.into_bytes(),
        ],
        now,
    );
    for o in [&out[0], &out[2]] {
        assert_eq!(
            o,
            &Outcome::Noise {
                reason: "our own letter came back (loop)".into()
            }
        );
    }
    assert!(
        matches!(
            out[1],
            Outcome::NewCase {
                acknowledged: true,
                ..
            }
        ),
        "{:?}",
        out[1]
    );
    assert_eq!(q(&s, "SELECT COUNT(*) FROM letters")[0][0], "2");
}

/// A short plain-text message from resident `n` (r`n`@example.org), sent 14 Dec 2026.
fn plain_mail(n: u32, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Resident {n} <r{n}@example.org>\r\nTo: complaints@example.gov.uk\r\n\
         Subject: {subject}\r\nMessage-ID: <plain-{n}@example.org>\r\n\
         Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Ingest `raws` as one batch at `now` with default options.
fn ingest_raws(s: &mut Store, cfg: &Config, raws: &[Vec<u8>], now: &str) -> Vec<Outcome> {
    ingest_batch(s, cfg, "test", &incoming(raws), at(now), Options::default()).unwrap()
}

fn incoming(raws: &[Vec<u8>]) -> Vec<Incoming<'_>> {
    raws.iter()
        .map(|r| Incoming {
            raw: r,
            delivered_at: None,
            full_size: None,
        })
        .collect()
}

#[test]
fn a_message_the_database_refuses_is_quarantined_and_the_rest_of_its_batch_stored() {
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    // Make the database refuse one message (as a constraint or a damaged index might).
    let db = rusqlite::Connection::open(s.path().unwrap()).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON messages
             WHEN NEW.subject LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
    )
    .unwrap();
    let body = "I want to complain about the bins.";
    let raws = [
        plain_mail(1, "Complaint about bins", body),
        plain_mail(2, "poison complaint", body),
        plain_mail(3, "Complaint about the road", body),
    ];
    let out = ingest_raws(&mut s, &cfg, &raws, "2026-12-14T10:00:00Z");
    assert!(matches!(out[0], Outcome::NewCase { .. }), "{:?}", out[0]);
    match &out[1] {
        Outcome::Quarantined { reason } => {
            assert!(reason.contains("refused by test"), "{reason}")
        }
        o => panic!("expected quarantine, got {o:?}"),
    }
    assert!(matches!(out[2], Outcome::NewCase { .. }), "{:?}", out[2]);
    // Exactly two cases, two messages, one quarantined: nothing of the refused message
    // was left half-stored (no case, customer or letter of its own).
    assert_eq!(q(&s, "SELECT COUNT(*) FROM cases")[0][0], "2");
    assert_eq!(q(&s, "SELECT COUNT(*) FROM messages")[0][0], "2");
    assert_eq!(q(&s, "SELECT COUNT(*) FROM quarantine")[0][0], "1");
    assert_eq!(
        q(
            &s,
            "SELECT COUNT(*) FROM customers WHERE email = 'r2@example.org'"
        )[0][0],
        "0"
    );
    assert_eq!(q(&s, "SELECT COUNT(*) FROM letters")[0][0], "2");
    // The same batch again: the two stored are duplicates; the refused one is tried
    // again, refused again, and not quarantined twice.
    let again = ingest_raws(&mut s, &cfg, &raws, "2026-12-14T10:05:00Z");
    assert!(matches!(again[0], Outcome::Duplicate), "{again:?}");
    assert!(matches!(again[1], Outcome::Quarantined { .. }), "{again:?}");
    assert!(matches!(again[2], Outcome::Duplicate), "{again:?}");
    assert_eq!(q(&s, "SELECT COUNT(*) FROM quarantine")[0][0], "1");
    assert_eq!(q(&s, "SELECT COUNT(*) FROM cases")[0][0], "2");
}

#[test]
fn acknowledged_at_once_the_acknowledgement_deadline_is_met_that_day() {
    // West Lindsey: complaints acknowledged within 5 working days, compliments within 7 days.
    let src =
        redress::config::DEFAULT.replace("policy = \"lgsco-code\"", "policy = \"west-lindsey\"");
    let cfg = Config::parse_str(&src, "test", std::path::Path::new(".")).unwrap();
    assert_eq!(cfg.policy.name, "west-lindsey");
    let (_dir, mut s) = file_store();
    let raws = [
        plain_mail(
            1,
            "Complaint about my bins",
            "I want to complain: the bins were missed.",
        ),
        plain_mail(
            2,
            "Thank you",
            "A compliment: the crew went above and beyond, thank you.",
        ),
    ];
    let out = ingest_raws(&mut s, &cfg, &raws, "2026-12-14T10:00:00Z");
    assert!(
        matches!(
            &out[1],
            Outcome::NewCase {
                kind: Kind::Compliment,
                acknowledged: true,
                ..
            }
        ),
        "{out:?}"
    );
    let rows = q(
        &s,
        "SELECT c.kind, c.state, c.acknowledged_on, d.kind, d.status, COALESCE(d.met_on, '-'), d.due
         FROM deadlines d JOIN cases c ON c.id = d.case_id ORDER BY c.id, d.kind",
    );
    let acks: Vec<_> = rows.iter().filter(|r| r[3] == "acknowledge").collect();
    assert_eq!(acks.len(), 2, "{rows:?}");
    for r in &acks {
        assert_eq!(r[1], "acknowledged", "{r:?}");
        assert_eq!(r[2], "2026-12-14", "{r:?}");
        assert_eq!(
            (r[4].as_str(), r[5].as_str()),
            ("met", "2026-12-14"),
            "{r:?}"
        );
    }
    // The complaint's response is still owed: 21 days from receipt (l.108), counted from
    // Mon 14 Dec 2026 as day 0, falls on Mon 4 Jan 2027, a working day.
    let respond: Vec<_> = rows
        .iter()
        .filter(|r| r[0] == "complaint" && r[3] == "respond")
        .collect();
    assert_eq!(respond.len(), 1, "{rows:?}");
    assert_eq!(
        (respond[0][4].as_str(), respond[0][6].as_str()),
        ("open", "2027-01-04")
    );
}

#[test]
fn the_search_index_catches_up_after_the_mail_is_committed() {
    // Issue 25, item 6: the index is off the ingest transaction. A committed batch is
    // on file but not yet in the index (a one-shot poll leaves it so); the first search
    // indexes exactly what it missed before it looks, and the daemon's catch-up after
    // a pass finds nothing left to do.
    let cfg = Config::load(None).unwrap();
    let (_dir, mut s) = file_store();
    ingest(&mut s, &cfg, "01-complaint.eml", "2026-12-14T09:05:00Z");
    let indexed = |s: &Store| {
        q(
            s,
            // The index's own vocabulary (`message_search` itself reads `messages`).
            "SELECT (SELECT count(DISTINCT doc) FROM message_search_terms),
                    (SELECT count(DISTINCT doc) FROM case_search_terms),
                    (SELECT group_concat(upto) FROM search_indexed ORDER BY what)",
        )
    };
    assert_eq!(indexed(&s), [["0", "0", "0,0"]]);
    let found = s
        .list_cases(&redress::store::CaseFilter {
            search: Some(redress::text::Search::parse("collections").unwrap()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(indexed(&s), [["1", "1", "1,1"]]);
    // Nothing twice: a catch-up with nothing new adds nothing.
    s.index_for_search().unwrap();
    assert_eq!(indexed(&s), [["1", "1", "1,1"]]);
}
