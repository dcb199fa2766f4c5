use super::*;
use crate::calendar::Calendar;
use crate::case::Case;
use crate::case::{Action, CloseReason};
use crate::policy::Policy;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn bath() -> Policy {
    Policy::load("bath-and-north-east-somerset").unwrap()
}

fn complaint(store: &mut Store, policy: &Policy, when: &str) -> Case {
    store
        .create_case(
            &NewCase {
                kind: Kind::Complaint,
                email: Some("resident@example.org"),
                address: &[],
                via: None,
                name: Some("A Resident"),
                subject: Some("Missed bin collections"),
                service: Some("Waste"),
                received_at: at(when),
            },
            policy,
            "BNES",
            &Calendar::new(),
            "test",
        )
        .unwrap()
}

fn due(store: &Store, case: &Case, stage: &str, kind: &str) -> String {
    store
        .deadlines(case.id)
        .unwrap()
        .into_iter()
        .find(|d| d.stage == stage && d.kind.as_str() == kind)
        .unwrap_or_else(|| panic!("no {stage} {kind} deadline"))
        .due
}

#[test]
fn references_are_sequential_per_year_and_never_reused() {
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    let a = complaint(&mut s, &p, "2026-12-30T10:00:00Z");
    let b = complaint(&mut s, &p, "2026-12-31T23:30:00Z"); // 23:30 UTC is still 31 Dec in London (GMT)
    let c = complaint(&mut s, &p, "2027-01-01T00:30:00Z");
    assert_eq!(a.reference, "BNES-2026-00001");
    assert_eq!(b.reference, "BNES-2026-00002");
    assert_eq!(c.reference, "BNES-2027-00001");
    // Counting continues past any deleted or erased case: the counter, not MAX(id), decides.
    s.conn
        .execute(
            "UPDATE reference_counters SET last = 41 WHERE year = 2026",
            [],
        )
        .unwrap();
    let d = complaint(&mut s, &p, "2026-12-31T12:00:00Z");
    assert_eq!(d.reference, "BNES-2026-00042");
}

#[test]
fn a_british_summer_time_evening_counts_as_the_next_london_day() {
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    // 23:30 UTC on Thu 2 July 2026 is 00:30 BST on Fri 3 July: day 0 is Friday.
    let c = complaint(&mut s, &p, "2026-07-02T23:30:00Z");
    // Fri 3 Jul + 5 WD = Fri 10 Jul; + 15 WD = Fri 24 Jul.
    assert_eq!(due(&s, &c, "stage1", "acknowledge"), "2026-07-10");
    assert_eq!(due(&s, &c, "stage1", "respond"), "2026-07-24");
}

#[test]
fn the_event_log_cannot_be_rewritten() {
    let mut s = Store::open_in_memory().unwrap();
    let c = complaint(&mut s, &bath(), "2026-11-02T09:00:00Z");
    let upd = s.conn.execute(
        "UPDATE events SET actor = 'someone else' WHERE case_id = ?1",
        [c.id],
    );
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = s
        .conn
        .execute("DELETE FROM events WHERE case_id = ?1", [c.id]);
    assert!(del.unwrap_err().to_string().contains("append-only"));
    assert_eq!(s.events(c.id).unwrap().len(), 1);
}

#[test]
fn pragmas_and_schema_version_are_set_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/redress.db");
    let s = Store::open(&path).unwrap();
    let mode: String = s
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let fk: i64 = s
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(fk, 1);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    drop(s);
    // Re-opening runs no migration twice.
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let bad = s.conn.execute(
        "INSERT INTO events (case_id, at, actor, kind) VALUES (999, 'x', 'y', 'z')",
        [],
    );
    assert!(
        bad.is_err(),
        "foreign keys must reject an event for a missing case"
    );
}

#[test]
fn an_illegal_action_changes_nothing_and_says_why() {
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    let c = complaint(&mut s, &p, "2026-11-02T09:00:00Z");
    let err = crate::actions::apply(
        &mut s,
        &c.reference,
        Action::RequestEscalation,
        at("2026-11-03T09:00:00Z"),
        "officer:ann",
        None,
        &p,
        &Calendar::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BNES-2026-00001: cannot request escalation: the case is received"
    );
    let after = s.find_case(&c.reference).unwrap();
    assert_eq!(after.state.as_str(), "received");
    assert_eq!(s.events(c.id).unwrap().len(), 1);
}

#[test]
fn bath_case_through_both_stages_with_deadlines_from_each_event() {
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    let cal = Calendar::new();
    // Received Mon 14 Dec 2026 (day 0).
    let c = complaint(&mut s, &p, "2026-12-14T10:00:00Z");
    // Ack: 15,16,17,18,21 -> Mon 21 Dec. Respond 15 WD: ...21 (5), 22,23,24 (8), [25 Fri, 28 Mon holidays],
    // 29,30,31 (11), [1 Jan holiday], 4,5,6,7 (15) -> Thu 7 Jan 2027.
    assert_eq!(due(&s, &c, "stage1", "acknowledge"), "2026-12-21");
    assert_eq!(due(&s, &c, "stage1", "respond"), "2027-01-07");
    let step = |s: &mut Store, a: Action, when: &str| {
        crate::actions::apply(s, &c.reference, a, at(when), "officer:ann", None, &p, &cal).unwrap()
    };
    step(&mut s, Action::Acknowledge, "2026-12-14T10:00:05Z");
    s.set_field(
        &c.reference,
        CaseField::Officer,
        Some("ann"),
        at("2026-12-14T11:00:00Z"),
        "officer:lead",
    )
    .unwrap();
    step(&mut s, Action::StartInvestigation, "2026-12-15T09:00:00Z");
    step(&mut s, Action::Respond, "2027-01-06T15:00:00Z");
    let c2 = step(&mut s, Action::OpenReplyWindow, "2027-01-06T15:00:01Z");
    assert_eq!(c2.state.as_str(), "awaiting-customer");
    // Window: 20 WD from Wed 6 Jan 2027 -> Wed 3 Feb 2027.
    assert_eq!(due(&s, &c, "stage1", "escalation-window"), "2027-02-03");
    // Customer asks for a review on Fri 15 Jan 2027.
    let c3 = step(&mut s, Action::RequestEscalation, "2027-01-15T12:00:00Z");
    assert_eq!(
        (c3.stage.as_str(), c3.state.as_str()),
        ("stage2", "escalation-requested")
    );
    assert_eq!(c3.officer, None);
    assert_eq!(c3.past_officers, vec!["ann".to_string()]);
    // Decide 10 WD from Fri 15 Jan -> Fri 29 Jan; ack 5 WD -> Fri 22 Jan.
    assert_eq!(due(&s, &c, "stage2", "decide"), "2027-01-29");
    assert_eq!(due(&s, &c, "stage2", "acknowledge"), "2027-01-22");
    step(&mut s, Action::Acknowledge, "2027-01-18T09:00:00Z");
    step(&mut s, Action::AcceptEscalation, "2027-01-27T09:00:00Z");
    // Investigation from Wed 27 Jan 2027 + 30 WD = Wed 10 Mar 2027.
    assert_eq!(due(&s, &c, "stage2", "respond"), "2027-03-10");
    step(&mut s, Action::Respond, "2027-03-01T09:00:00Z");
    let closed = step(
        &mut s,
        Action::Close(CloseReason::ReferredToOmbudsman),
        "2027-03-01T09:01:00Z",
    );
    assert_eq!(
        closed.close_reason.map(|r| r.as_str()),
        Some("referred-to-ombudsman")
    );
    assert_eq!(closed.next_due, None);
    let kinds: Vec<String> = s
        .events(c.id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind.to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "acknowledge",
            "set officer",
            "start investigation",
            "respond",
            "open reply window",
            "request escalation",
            "acknowledge",
            "accept escalation",
            "respond",
            "close (referred-to-ombudsman)"
        ]
    );
    let met: Vec<(String, String)> = s
        .deadlines(c.id)
        .unwrap()
        .into_iter()
        .filter(|d| d.status == crate::deadline::Status::Met)
        .map(|d| (d.stage, d.kind.to_string()))
        .collect();
    assert!(met.contains(&("stage1".into(), "respond".into())));
    assert!(met.contains(&("stage2".into(), "decide".into())));
}

#[test]
fn escalation_past_the_last_stage_is_refused_with_the_ombudsman_named() {
    let mut s = Store::open_in_memory().unwrap();
    let p = Policy::load("west-lindsey").unwrap();
    let cal = Calendar::new();
    let c = complaint(&mut s, &p, "2026-11-02T09:00:00Z");
    for a in [Action::Acknowledge, Action::Respond] {
        crate::actions::apply(
            &mut s,
            &c.reference,
            a,
            at("2026-11-03T09:00:00Z"),
            "officer:ann",
            None,
            &p,
            &cal,
        )
        .unwrap();
    }
    let e = crate::actions::apply(
        &mut s,
        &c.reference,
        Action::RequestEscalation,
        at("2026-11-04T09:00:00Z"),
        "customer",
        None,
        &p,
        &cal,
    )
    .unwrap_err();
    assert!(e.to_string().contains("Ombudsman"), "{e}");
}

#[test]
fn an_address_is_found_only_whole() {
    use super::contains_address;
    let a = b"bob@example.net";
    assert!(contains_address(b"From: Bob <BOB@Example.NET>\r\n", a));
    assert!(contains_address(b"write to bob@example.net.", a));
    assert!(contains_address(b"bob@example.net", a));
    assert!(!contains_address(b"jimbob@example.net", a));
    assert!(!contains_address(b"bob.smith+bob@example.net", a));
    assert!(!contains_address(b"bob@example.network", a));
    assert!(!contains_address(b"bob@example.net.uk", a));
    assert!(!contains_address(b"bob@example.net-mail.org", a));
    assert!(!contains_address(b"", a));
    assert!(!contains_address(b"o'bob@example.net", a));
    assert!(!contains_address("jos\u{e9}bob@example.net".as_bytes(), a));
    assert!(!contains_address(b"x=bob@example.net", a));
    // Only an address is ever looked for.
    assert!(!contains_address(b"anyone@example.net", b"example.net"));
}

#[test]
fn migration_10_moves_raw_mail_to_the_end_of_its_row_and_loses_none() {
    // A database as the previous release left it: migrations 1-9.
    let conn = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..9] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 9).unwrap();
    conn.execute(
        "INSERT INTO messages (ingest_key, raw, from_addr, received_at, message_id, size)
         VALUES ('m@example.org', CAST('From: a@example.org' AS BLOB), 'a@example.org', '2026-11-02T09:00:00Z', 'm@example.org', 19)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO quarantine (source, ingest_key, raw, reason, received_at)
         VALUES ('maildir', 'sha256:00', x'00ff01', 'not mail', '2026-11-02T09:00:00Z')",
        [],
    )
    .unwrap();
    // Oversized mail an earlier release quarantined whole.
    let mut huge = b"From: big@example.org\r\nSubject: scans\r\n\r\n".to_vec();
    huge.resize(5000, b'x');
    conn.execute(
        "INSERT INTO quarantine (source, ingest_key, raw, reason, received_at)
         VALUES ('maildir', 'sha256:01', ?1, 'message is 5000 bytes, over the limit', '2026-11-02T09:00:00Z')",
        [&huge],
    )
    .unwrap();
    // The real threshold is 32 MB; the same step with a small one, as migrate runs it.
    keep_only_headers_of_huge_quarantined_mail(&conn, 1000).unwrap();
    let store = Store::setup(conn, ":memory:").unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let last_column = |table: &str| -> String {
        store
            .conn
            .query_row(
                &format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid DESC LIMIT 1"),
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(last_column("messages"), "raw");
    assert_eq!(last_column("quarantine"), "raw");
    let raw: (Vec<u8>, String) = store
        .conn
        .query_row(
            "SELECT raw, from_addr FROM messages WHERE ingest_key = 'm@example.org'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        raw,
        (b"From: a@example.org".to_vec(), "a@example.org".into())
    );
    let q: Vec<u8> = store
        .conn
        .query_row(
            "SELECT raw FROM quarantine WHERE ingest_key = 'sha256:00'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(q, vec![0, 0xff, 1]);
    let (raw, reason): (Vec<u8>, String) = store
        .conn
        .query_row(
            "SELECT raw, reason FROM quarantine WHERE ingest_key = 'sha256:01'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(raw, b"From: big@example.org\r\nSubject: scans\r\n\r\n");
    assert!(
        reason.ends_with("only its headers were kept on upgrade (it was 5000 bytes)"),
        "{reason}"
    );
}

#[test]
fn unknown_text_in_a_typed_column_is_an_error_naming_it_not_a_panic() {
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    let c = complaint(&mut s, &p, "2026-11-02T09:00:00Z");
    s.conn
        .execute("UPDATE cases SET state = 'pondering' WHERE id = ?1", [c.id])
        .unwrap();
    let e = s.find_case(&c.reference).unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown case state 'pondering' in the database"),
        "{e}"
    );
    s.conn
        .execute(
            "UPDATE deadlines SET status = 'snoozed' WHERE case_id = ?1",
            [c.id],
        )
        .unwrap();
    let e = s.deadlines(c.id).unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown deadline status 'snoozed' in the database"),
        "{e}"
    );
}

#[test]
fn migration_12_lets_a_customer_have_no_email_and_keeps_every_row() {
    // A database as the previous release left it: migrations 1-11, a customer and a case.
    let conn = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..11] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 11).unwrap();
    conn.execute(
        "INSERT INTO customers (id, email, name, address, restriction, created_at)
         VALUES (7, 'Jo@Example.net', 'Jo', '1 High St', 'letter-only', '2026-11-02T09:00:00Z')",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO cases (reference, policy, kind, state, stage, customer_id, received_at, received_on, updated_at)
         VALUES ('X-2026-00001', 'lgsco-code', 'complaint', 'received', 'stage1', 7,
                 '2026-11-02T09:00:00Z', '2026-11-02', '2026-11-02T09:00:00Z')",
        [],
    )
    .unwrap();
    let store = Store::setup(conn, ":memory:").unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let row: (i64, String, String, String, String) = store
        .conn
        .query_row(
            "SELECT cu.id, cu.email, cu.name, cu.address, cu.restriction
             FROM cases c JOIN customers cu ON cu.id = c.customer_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            7,
            "Jo@Example.net".into(),
            "Jo".into(),
            "1 High St".into(),
            "letter-only".into()
        )
    );
    // Two customers with no email; an email is still unique, whatever its case.
    for _ in 0..2 {
        store
            .conn
            .execute(
                "INSERT INTO customers (email, created_at) VALUES (NULL, '2026-11-03T09:00:00Z')",
                [],
            )
            .unwrap();
    }
    assert!(store
        .conn
        .execute(
            "INSERT INTO customers (email, created_at) VALUES ('jo@example.NET', '2026-11-03T09:00:00Z')",
            [],
        )
        .is_err());
    // Foreign keys are on again and enforced.
    let fk: i64 = store
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    assert!(store
        .conn
        .execute("UPDATE cases SET customer_id = 999", [])
        .is_err());
}

#[test]
fn migration_16_shows_a_deadline_extended_in_time_as_extended_and_keeps_a_missed_one_lapsed() {
    // A database as the previous release left it (migrations 1-15): there, any extension
    // left the respond deadline 'lapsed'.
    let conn = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..15] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 15).unwrap();
    conn.execute(
        "INSERT INTO customers (id, email, created_at) VALUES (7, 'jo@example.net', '2026-11-02T09:00:00Z')",
        [],
    )
    .unwrap();
    for case in 1..=3 {
        conn.execute(
            "INSERT INTO cases (id, reference, policy, kind, state, stage, customer_id, received_at, received_on, updated_at)
             VALUES (?1, 'X-2026-0000' || ?1, 'lgsco-code', 'complaint', 'acknowledged', 'stage1', 7,
                     '2026-11-02T09:00:00Z', '2026-11-02', '2026-11-02T09:00:00Z')",
            [case],
        )
        .unwrap();
    }
    // Case 1: the officer extended before the date. Case 2: the scheduler's holding letter
    // after the lapse (its "deadline lapsed" event). Case 3: lapsed, no extension.
    for (case, ext) in [(1, true), (2, true), (3, false)] {
        conn.execute(
            "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
             VALUES (?1, 'stage1', 'respond', 'receipt', '2026-11-02', '10 working days', '2026-11-16', 'lapsed')",
            [case],
        )
        .unwrap();
        if ext {
            conn.execute(
                "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
                 VALUES (?1, 'stage1', 'extension', 'the previous target', '2026-11-16', '10 working days', '2026-11-30', 'open')",
                [case],
            )
            .unwrap();
        }
    }
    conn.execute(
        "INSERT INTO events (case_id, at, actor, kind, detail) VALUES (2, '2026-11-17T07:00:00Z', 'system:scheduler', 'deadline lapsed',
         'stage1 response was due 2026-11-16; holding letter with new date 2026-11-30; escalated to bob')",
        [],
    )
    .unwrap();
    let store = Store::setup(conn, ":memory:").unwrap();
    let status = |case: i64| -> String {
        store
            .conn
            .query_row(
                "SELECT status FROM deadlines WHERE case_id = ?1 AND kind = 'respond'",
                [case],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        (status(1), status(2), status(3)),
        ("extended".into(), "lapsed".into(), "lapsed".into())
    );
}

/// Four connections stand for four processes (`redress run` and CLI commands started at once).
#[test]
fn processes_opening_a_new_database_together_migrate_it_once() {
    for _ in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.db");
        let start = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Store::open(&path).map(|s| s.schema_version().unwrap())
                })
            })
            .collect();
        for opener in openers {
            let version = opener.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(version, MIGRATIONS.len() as i64);
        }
    }
}

#[test]
fn migration_25_gives_a_met_deadline_to_the_one_response_that_met_it() {
    // As the previous release left it (migrations 1-24): case 1 answered once; case 2
    // answered, reopened and answered again the same day (two responses, one deadline
    // met that day); case 3 answered, reopened and still owed (its deadline renewed).
    let conn = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..24] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 24).unwrap();
    for case in 1..=3 {
        conn.execute(
            "INSERT INTO cases (id, reference, policy, kind, state, stage, received_at, received_on, updated_at)
             VALUES (?1, 'X-2026-0000' || ?1, 'lgsco-code', 'complaint', 'responded', 'stage1',
                     '2026-11-02T09:00:00Z', '2026-11-02', '2026-11-02T09:00:00Z')",
            [case],
        )
        .unwrap();
    }
    for (case, from, due, status, met) in [
        (1, "2026-11-02", "2026-11-16", "met", Some("2026-11-10")),
        (2, "2026-11-12", "2026-11-26", "met", Some("2026-11-12")),
        (3, "2026-11-20", "2026-12-04", "open", None),
    ] {
        conn.execute(
            "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status, met_on)
             VALUES (?1, 'stage1', 'respond', 'receipt', ?2, '10 working days', ?3, ?4, ?5)",
            rusqlite::params![case, from, due, status, met],
        )
        .unwrap();
    }
    for (case, on) in [
        (1, "2026-11-10"),
        (2, "2026-11-12"),
        (2, "2026-11-12"),
        (3, "2026-11-12"),
    ] {
        conn.execute(
            "INSERT INTO responses (case_id, stage, sent_on, outcome) VALUES (?1, 'stage1', ?2, 'upheld')",
            rusqlite::params![case, on],
        )
        .unwrap();
    }
    let mut store = Store { conn };
    store.migrate(":memory:", MIGRATIONS.len()).unwrap();
    let rows: Vec<(i64, i64, Option<String>, Option<String>)> = store
        .conn
        .prepare("SELECT id, case_id, from_date, due FROM responses ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            (1, 1, s("2026-11-02"), s("2026-11-16")),
            // The first of the two same-day responses gets none: one deadline, met once.
            (2, 2, None, None),
            (3, 2, s("2026-11-12"), s("2026-11-26")),
            // Its deadline was renewed by the reopening: it no longer says.
            (4, 3, None, None),
        ]
    );
    // The figures read the two responses that met a deadline, not three.
    assert_eq!(
        store.responses("2026-11-01", "2026-11-30").unwrap().len(),
        2
    );
}

/// A store's transactions take the write lock when they begin (see `Store::setup`).
#[test]
fn a_store_transaction_holds_the_write_lock_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redress.db");
    let mut a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    b.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let tx = a.conn.transaction().unwrap();
    // Reading goes on beside it (WAL); another writer is told at once to wait.
    let n: i64 = b
        .conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let err = b.conn.execute_batch("BEGIN IMMEDIATE").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy),
        "{err}"
    );
    drop(tx);
    b.conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK").unwrap();
}

#[test]
fn a_transaction_left_open_is_rolled_back_before_the_next_use() {
    let store = Store::open_in_memory().unwrap();
    assert!(!store.end_open_transaction().unwrap());
    // As a request that panicked inside `list_cases` would leave it.
    store.conn.execute_batch("SAVEPOINT list_cases").unwrap();
    store
        .conn
        .execute_batch("INSERT INTO reference_counters (prefix, year, last) VALUES ('X', 2026, 1)")
        .unwrap();
    assert!(store.end_open_transaction().unwrap());
    assert!(store.conn.is_autocommit());
    let n: i64 = store
        .conn
        .query_row("SELECT count(*) FROM reference_counters", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_waiting_response_is_decided_once_and_one_case_has_one_waiting() {
    use crate::plan::{Plan, Write};
    let mut s = Store::open_in_memory().unwrap();
    let p = bath();
    let c = complaint(&mut s, &p, "2026-12-14T10:00:00Z");
    let by = Author {
        actor: "officer:ann",
        at: at("2026-12-22T10:00:00Z"),
        domain: "council.example",
    };
    let hold = Plan {
        writes: vec![Write::AwaitApproval {
            stage: "stage1".into(),
            response: "{}".into(),
            why: "the outcome is upheld".into(),
        }],
    };
    let c = s.apply_plan(&c, &hold, &by).unwrap();
    assert!(c.awaiting_approval);
    // A second response cannot wait beside it.
    assert!(matches!(
        s.apply_plan(&c, &hold, &by),
        Err(StoreError::Refused(_))
    ));
    let w = s.waiting_response(c.id).unwrap().unwrap();
    assert_eq!((w.written_by.as_str(), w.stage.as_str()), ("ann", "stage1"));
    let decide = Plan {
        writes: vec![
            Write::ApprovalDecided {
                id: w.id,
                by: "dee".into(),
                approved: true,
                reason: None,
            },
            Write::Event {
                kind: EventKind::Note,
                detail: None,
            },
        ],
    };
    let c = s.apply_plan(&c, &decide, &by).unwrap();
    assert!(!c.awaiting_approval);
    let events = |s: &Store| s.events(c.id).unwrap().len();
    let before = events(&s);
    // Decided twice (two approvers at once): refused, and nothing of the plan is written.
    assert!(matches!(
        s.apply_plan(&c, &decide, &by),
        Err(StoreError::Refused(_))
    ));
    assert_eq!(events(&s), before);
    let approved = s
        .events(c.id)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "response approved")
        .unwrap();
    assert_eq!(approved.actor, "officer:dee");
}
