//! Managers' figures and data protection: reports over a seeded database with
//! hand-counted answers (text, CSV, JSON, PDF), retention either side of the
//! destruction date, and a subject access export.

use chrono::{DateTime, NaiveDate, Utc};
use redress::case::{Action, CloseReason, Kind};
use redress::config::Config;
use redress::ingest::{ingest_batch, Incoming, Options, Outcome};
use redress::report::{self, Period};
use redress::store::{CaseField, NewCase, Store};
use std::path::Path;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn setup(dir: &Path) -> (Config, Store) {
    let mut cfg = Config::load(None).unwrap();
    cfg.data_dir = dir.to_path_buf();
    let store = Store::open(&cfg.database_path()).unwrap();
    (cfg, store)
}

struct Seed<'a> {
    cfg: &'a Config,
    store: &'a mut Store,
}

impl Seed<'_> {
    fn case(&mut self, kind: Kind, email: &str, service: Option<&str>, at: &str) -> String {
        self.store
            .create_case(
                &NewCase {
                    kind,
                    email: Some(email),
                    address: &[],
                    via: None,
                    name: Some("Resident Name"),
                    subject: Some("Private subject line"),
                    service,
                    received_at: t(at),
                },
                &self.cfg.policy,
                self.cfg.reference_prefix(),
                &self.cfg.calendar,
                "test",
            )
            .unwrap()
            .reference
    }

    fn act(&mut self, r: &str, action: Action, at: &str) {
        redress::actions::apply(
            self.store,
            r,
            action,
            t(at),
            "officer:jane",
            None,
            &self.cfg.policy,
            &self.cfg.calendar,
        )
        .unwrap();
    }

    fn set(&mut self, r: &str, field: CaseField, v: &str) {
        self.store
            .set_field(r, field, Some(v), t("2026-10-30T12:00:00Z"), "officer:jane")
            .unwrap();
    }
}

const CAT: &str = "Quality of service";

/// October 2026 under the LGSCO code (stage 1: respond 10 WD from acknowledgement).
/// Hand count:
/// - A 1 Oct Waste, ack 2 Oct, responded 9 Oct (due 16 Oct): on time, 5 WD; closed
///   resolved 20 Oct, upheld.
/// - B 5 Oct Waste, ack 6 Oct, responded 23 Oct (due 20 Oct): late, 13 WD; escalated
///   26 Oct (entered stage 2), acknowledged 27 Oct, open at the end at stage 2.
/// - C 12 Oct Housing, ack 12 Oct, open at the end at stage 1, no category.
/// - D compliment 14 Oct, E comment 15 Oct.
/// - F 10 Sep Housing, ack 11 Sep, responded 1 Oct (due 25 Sep): late, 14 WD;
///   auto-closed 29 Oct, not upheld.
/// - G 2 Nov: after the period.
fn seed_october(cfg: &Config, store: &mut Store) -> Vec<String> {
    let mut s = Seed { cfg, store };
    let a = s.case(
        Kind::Complaint,
        "a@example.org",
        Some("Waste"),
        "2026-10-01T10:00:00Z",
    );
    s.act(&a, Action::Acknowledge, "2026-10-02T10:00:00Z");
    s.act(&a, Action::Respond, "2026-10-09T10:00:00Z");
    s.set(&a, CaseField::Category, CAT);
    s.set(&a, CaseField::Outcome, "upheld");
    s.act(
        &a,
        Action::Close(CloseReason::Resolved),
        "2026-10-20T10:00:00Z",
    );

    let b = s.case(
        Kind::Complaint,
        "b@example.org",
        Some("Waste"),
        "2026-10-05T10:00:00Z",
    );
    s.act(&b, Action::Acknowledge, "2026-10-06T10:00:00Z");
    s.act(&b, Action::Respond, "2026-10-23T10:00:00Z");
    s.set(&b, CaseField::Category, CAT);
    s.act(&b, Action::RequestEscalation, "2026-10-26T10:00:00Z");
    s.act(&b, Action::Acknowledge, "2026-10-27T10:00:00Z");

    let c = s.case(
        Kind::Complaint,
        "c@example.org",
        Some("Housing"),
        "2026-10-12T10:00:00Z",
    );
    s.act(&c, Action::Acknowledge, "2026-10-12T15:00:00Z");

    let d = s.case(
        Kind::Compliment,
        "d@example.org",
        None,
        "2026-10-14T10:00:00Z",
    );
    let e = s.case(Kind::Comment, "e@example.org", None, "2026-10-15T10:00:00Z");

    let f = s.case(
        Kind::Complaint,
        "f@example.org",
        Some("Housing"),
        "2026-09-10T10:00:00Z",
    );
    s.act(&f, Action::Acknowledge, "2026-09-11T10:00:00Z");
    s.act(&f, Action::Respond, "2026-10-01T10:00:00Z");
    s.set(&f, CaseField::Outcome, "not upheld");
    s.act(
        &f,
        Action::Close(CloseReason::AutoClosed),
        "2026-10-29T10:00:00Z",
    );

    let g = s.case(
        Kind::Complaint,
        "g@example.org",
        Some("Parking"),
        "2026-11-02T10:00:00Z",
    );
    vec![a, b, c, d, e, f, g]
}

fn count(v: &[report::Count], name: &str) -> u64 {
    v.iter()
        .find(|c| c.name == name)
        .map(|c| c.count)
        .unwrap_or(u64::MAX)
}

#[test]
fn october_report_matches_the_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, mut store) = setup(dir.path());
    seed_october(&cfg, &mut store);
    let period: Period = "2026-10".parse().unwrap();
    let r = report::build(&store, &cfg, &period).unwrap();

    assert_eq!(r.received.complaints, 3);
    assert_eq!(r.received.compliments, 1);
    assert_eq!(r.received.comments, 1);
    let s1 = &r.stages[0];
    assert_eq!(s1.stage, "stage1");
    assert_eq!((s1.entered, s1.responses, s1.on_time), (3, 3, 1));
    assert_eq!(s1.worst_working_days, Some(14));
    assert!((s1.average_working_days.unwrap() - 32.0 / 3.0).abs() < 1e-9);
    assert_eq!(s1.open_at_end, 1);
    let s2 = &r.stages[1];
    assert_eq!(
        (s2.stage.as_str(), s2.entered, s2.responses),
        ("stage2", 1, 0)
    );
    assert_eq!(s2.open_at_end, 1);
    assert_eq!(r.open_at_end, 2);
    assert_eq!(count(&r.by_service, "Waste"), 2);
    assert_eq!(count(&r.by_service, "Housing"), 1);
    assert_eq!(r.by_service.len(), 2, "Parking is November");
    assert_eq!(count(&r.by_category, CAT), 2);
    assert_eq!(count(&r.by_category, "(not recorded)"), 1);
    assert_eq!(count(&r.by_category, "Staff conduct or attitude"), 0);
    assert_eq!(count(&r.outcomes, "upheld"), 1);
    assert_eq!(count(&r.outcomes, "not upheld"), 1);
    assert_eq!(count(&r.outcomes, "partially upheld"), 0);
    assert_eq!((r.closed.complaints, r.closed.auto_closed), (2, 1));
    let esc = &r.escalation[0];
    assert_eq!((esc.reached_from, esc.reached_to), (3, 1));
    assert_eq!(r.trend.len(), 12);
    assert_eq!(r.trend[0].month, "2025-11");
    let sep = r.trend.iter().find(|m| m.month == "2026-09").unwrap();
    let oct = r.trend.last().unwrap();
    assert_eq!((sep.complaints, sep.responses), (1, 0));
    assert_eq!(
        (
            oct.month.as_str(),
            oct.complaints,
            oct.compliments,
            oct.responses,
            oct.on_time
        ),
        ("2026-10", 3, 1, 3, 1)
    );

    // Text.
    let text = report::to_text(&r);
    assert!(text.contains("33.3%"), "{text}");
    assert!(text.contains("10.7"), "{text}");
    for private in [
        "example.org",
        "Resident Name",
        "Private subject line",
        "jane",
    ] {
        assert!(!text.contains(private), "{private} in the report");
    }
    // CSV.
    let csv = report::to_csv(&r);
    for line in [
        "received,complaints,count,3",
        "stage,stage1,responses,3",
        "stage,stage1,on_time,1",
        "stage,stage1,on_time_share,0.3333",
        "stage,stage1,worst_working_days,14",
        "stage,stage2,entered,1",
        "service,Waste,count,2",
        "category,Quality of service,count,2",
        "outcome,upheld,count,1",
        "closed,auto-closed,count,1",
        "open_at_end,complaints,count,2",
        "escalation,stage1->stage2,rate,0.3333",
        "trend,2026-09,complaints,1",
    ] {
        assert!(csv.lines().any(|l| l == line), "missing {line} in\n{csv}");
    }
    // JSON round trip.
    let v: serde_json::Value = serde_json::from_str(&report::to_json(&r)).unwrap();
    assert_eq!(v["received"]["complaints"], 3);
    assert_eq!(v["stages"][0]["worst_working_days"], 14);
    assert_eq!(v["closed"]["auto_closed"], 1);
    assert_eq!(v["period"]["from"], "2026-10-01");
    // PDF, read back with pdftotext.
    let pdf = report::to_pdf(&r).unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Complaints performance report: October 2026",
        "Complaints received",
        "33.3% (1 of 3)",
        "Waste",
        "Housing",
        "10.7",
        "2026-10",
        "Quality of service",
        "Open at period end",
    ] {
        assert!(text.contains(want), "PDF lacks {want}:\n{text}");
    }
    assert!(!text.contains("example.org"));
}

#[test]
fn financial_year_and_quarter_reports_count_the_same_cases() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, mut store) = setup(dir.path());
    seed_october(&cfg, &mut store);
    let fy = report::build(&store, &cfg, &"2026-27".parse().unwrap()).unwrap();
    assert_eq!(fy.received.complaints, 5, "A, B, C, F, G");
    assert_eq!(fy.stages[0].responses, 3);
    let q = report::build(&store, &cfg, &"2026-Q3".parse().unwrap()).unwrap();
    assert_eq!(q.received.complaints, 1, "F in September");
    assert_eq!(q.stages[0].responses, 0);
    assert_eq!(q.open_at_end, 1, "F was open on 30 September");
}

fn mail(from: &str, subject: &str, id: &str, date: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Person <{from}>\r\nTo: complaints@example.gov.uk\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Ingest one message delivered at `now`; its outcome.
fn ingest_outcome(cfg: &Config, store: &mut Store, raw: &[u8], now: &str) -> Outcome {
    ingest_batch(
        store,
        cfg,
        "test",
        &[Incoming {
            raw,
            delivered_at: Some(t(now)),
            full_size: None,
        }],
        t(now),
        Options::default(),
    )
    .unwrap()
    .remove(0)
}

/// Ingest one message that opens or joins a case; its reference.
fn ingest(cfg: &Config, store: &mut Store, raw: &[u8], now: &str) -> String {
    match &ingest_outcome(cfg, store, raw, now) {
        Outcome::NewCase { reference, .. } => reference.clone(),
        Outcome::Attached { reference, .. } => reference.clone(),
        other => panic!("{other:?}"),
    }
}

/// A second connection on the store's file, to look at or change rows directly.
fn db(store: &Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path().expect("a file database")).unwrap()
}

fn rows(store: &Store, sql: &str) -> i64 {
    db(store).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every row of the tables retention touches, to show a dry run changes nothing.
fn snapshot(store: &Store) -> String {
    let mut s = String::new();
    for table in [
        "cases",
        "customers",
        "messages",
        "letters",
        "events",
        "attachments",
    ] {
        let db = db(store);
        let mut stmt = db
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            for i in 0..n {
                s.push_str(&format!("{:?}|", r.get_ref(i).unwrap()));
            }
            s.push('\n');
        }
    }
    s
}

#[test]
fn retention_erases_only_cases_past_their_date_and_reports_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, mut store) = setup(dir.path());
    // LGSCO preset: 6 years after the close date.
    let early_mail = mail(
        "early@example.org",
        "My bins were missed",
        "e1@x",
        "Mon, 3 Feb 2020 09:00:00 +0000",
        "I complain about my bins at 1 High St.",
    );
    let early = ingest(&cfg, &mut store, &early_mail, "2020-02-03T09:00:00Z");
    let late = ingest(
        &cfg,
        &mut store,
        &mail(
            "late@example.org",
            "Noise from the depot",
            "l1@x",
            "Tue, 4 Feb 2020 09:00:00 +0000",
            "I complain about noise.",
        ),
        "2020-02-04T09:00:00Z",
    );
    let mut s = Seed {
        cfg: &cfg,
        store: &mut store,
    };
    for (r, close) in [
        (&early, "2020-03-10T12:00:00Z"),
        (&late, "2020-03-12T12:00:00Z"),
    ] {
        s.set(r, CaseField::Service, "Waste");
        s.set(r, CaseField::Outcome, "upheld");
        s.act(r, Action::Respond, "2020-02-10T12:00:00Z");
        s.act(r, Action::Close(CloseReason::Resolved), close);
    }
    let period: Period = "2019-20".parse().unwrap();
    let before = report::build(&store, &cfg, &period).unwrap();
    assert_eq!(before.received.complaints, 2);
    // A pause on each, its reason in an officer's words (personal data).
    for (r, who) in [(&early, "early"), (&late, "late")] {
        db(&store)
            .execute(
                "INSERT INTO pauses (case_id, stage, started_on, ended_on, reason)
                 SELECT id, stage, '2020-02-05', '2020-02-07', ?2 FROM cases WHERE reference = ?1",
                rusqlite::params![r, format!("waiting for photos from {who}@example.org")],
            )
            .unwrap();
    }

    // 11 March 2026: the first case's date (10 March 2026) has passed, the second's
    // (12 March 2026) has not.
    let today = NaiveDate::from_ymd_opt(2026, 3, 11).unwrap();
    let snap = snapshot(&store);
    let plan = redress::retention::plan(&store, &cfg, today).unwrap();
    assert_eq!(plan.due.len(), 1);
    assert_eq!(plan.due[0].reference, early);
    assert_eq!(plan.due[0].destroy_on.to_string(), "2026-03-10");
    assert_eq!(plan.not_yet_due, 1);
    assert_eq!(snapshot(&store), snap, "a dry run changes nothing");

    let n = redress::retention::run(
        &mut store,
        &plan,
        t("2026-03-11T02:00:00Z"),
        "system",
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((n.cases, n.messages, n.customers), (1, 1, 1));

    let erased = store.find_case(&early).unwrap();
    assert_eq!(erased.customer_email, None);
    assert_eq!(erased.subject, None);
    assert_eq!(erased.service.as_deref(), Some("Waste"));
    assert_eq!(erased.outcome.as_deref(), Some("upheld"));
    for (sql, n) in [
        (
            "SELECT count(*) FROM messages WHERE from_addr LIKE '%early@%'",
            0,
        ),
        (
            "SELECT count(*) FROM customers WHERE email LIKE '%early@%'",
            0,
        ),
        (
            "SELECT count(*) FROM letters WHERE body_text LIKE '%bins%' OR subject LIKE '%bins%'",
            0,
        ),
        (
            "SELECT count(*) FROM events WHERE detail LIKE '%early@%'",
            0,
        ),
        (
            "SELECT count(*) FROM pauses WHERE reason LIKE '%early@%'",
            0,
        ),
        ("SELECT count(*) FROM pauses WHERE reason = '[erased]'", 1),
        ("SELECT count(*) FROM pauses WHERE reason LIKE '%late@%'", 1),
    ] {
        assert_eq!(rows(&store, sql), n, "{sql}");
    }
    // The mailbox offers the erased message again (a rescan): it is not stored again,
    // and what remembers it is a hash, not the Message-ID.
    assert_eq!(
        ingest_outcome(&cfg, &mut store, &early_mail, "2026-03-11T03:00:00Z"),
        Outcome::Duplicate
    );
    for (sql, n) in [
        ("SELECT count(*) FROM messages WHERE from_addr LIKE '%early@%'", 0),
        (
            "SELECT count(*) FROM erased_mail WHERE length(key_hash) = 64 AND key_hash NOT LIKE '%@%'",
            1,
        ),
    ] {
        assert_eq!(rows(&store, sql), n, "{sql}");
    }
    // The other case keeps everything.
    assert_eq!(
        rows(
            &store,
            "SELECT count(*) FROM messages WHERE from_addr LIKE '%late@%'"
        ),
        1
    );
    assert!(store.find_case(&late).unwrap().customer_email.is_some());

    // The event log records the erasure and stays append-only.
    let history = store.history(erased.id).unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("erased", "system")
    );
    assert!(
        last.detail.as_deref().unwrap().contains("2026-03-10"),
        "{last:?}"
    );
    assert!(db(&store)
        .execute("DELETE FROM events WHERE case_id = ?1", [erased.id])
        .is_err());
    assert!(db(&store)
        .execute(
            "UPDATE events SET actor = 'someone' WHERE case_id = ?1",
            [erased.id]
        )
        .is_err());
    assert!(db(&store)
        .execute("UPDATE events SET detail = '[erased]' WHERE case_id = (SELECT id FROM cases WHERE reference = ?1)", [&late])
        .is_err(), "only an erased case's details may be redacted");

    // The anonymised record still counts: the same report, figure for figure.
    let after = report::build(&store, &cfg, &period).unwrap();
    assert_eq!(after, before);

    // A second pass finds nothing more to do; the next day the second case goes.
    let again = redress::retention::plan(&store, &cfg, today).unwrap();
    assert!(again.due.is_empty());
    let next = redress::retention::plan(&store, &cfg, today.succ_opt().unwrap()).unwrap();
    assert_eq!(next.due.len(), 1);
    assert_eq!(next.due[0].reference, late);
}

#[test]
fn export_holds_every_message_and_letter_of_the_person_and_nothing_of_anyone_else() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, mut store) = setup(dir.path());
    let first = ingest(
        &cfg,
        &mut store,
        &mail(
            "alice@example.org",
            "Pothole outside my house",
            "a1@x",
            "Mon, 2 Nov 2026 09:00:00 +0000",
            "There is a pothole at 9 Elm Road.",
        ),
        "2026-11-02T09:00:00Z",
    );
    let attach = format!(
        "From: Alice <alice@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Re: [Ref {first}] photo\r\nDate: Tue, 3 Nov 2026 09:00:00 +0000\r\nMessage-ID: <a2@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPhoto attached.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"pothole.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
    );
    assert_eq!(
        ingest(&cfg, &mut store, attach.as_bytes(), "2026-11-03T09:00:00Z"),
        first
    );
    let second = ingest(
        &cfg,
        &mut store,
        &mail(
            "Alice@Example.org",
            "Street lights out",
            "a3@x",
            "Wed, 4 Nov 2026 09:00:00 +0000",
            "The lights on Elm Road are out.",
        ),
        "2026-11-04T09:00:00Z",
    );
    assert_ne!(first, second);
    let bob = ingest(
        &cfg,
        &mut store,
        &mail(
            "bob@example.net",
            "Bobs complaint about parks",
            "b1@x",
            "Wed, 4 Nov 2026 10:00:00 +0000",
            "Bob Bobson of 1 Park Lane complains.",
        ),
        "2026-11-04T10:00:00Z",
    );
    // Auto-replies are stored on no case; Alice's (her address in capitals) is hers.
    for from in ["ALICE@EXAMPLE.ORG", "bob@example.net"] {
        let ooo = format!(
            "From: {from}\r\nTo: complaints@example.gov.uk\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo-{from}>\r\nDate: Thu, 5 Nov 2026 09:00:00 +0000\r\n\r\nI am away until Monday.\r\n"
        );
        let out = ingest_outcome(&cfg, &mut store, ooo.as_bytes(), "2026-11-05T09:00:00Z");
        assert!(matches!(out, Outcome::Noise { .. }), "{out:?}");
    }
    // Unreadable mail is quarantined; one names Alice, one only a longer address.
    for junk in [
        // Not valid text either: a NUL byte before the address.
        "Not an email\0 at all: please pass this to ALICE@example.org about the pothole.",
        "Not an email at all: a note for malice@example.org.",
    ] {
        let out = ingest_outcome(&cfg, &mut store, junk.as_bytes(), "2026-11-06T09:00:00Z");
        assert!(matches!(out, Outcome::Quarantined { .. }), "{out:?}");
    }
    // One of Alice's letters has been rendered and sent; the rest are still pending.
    db(&store)
        .execute(
            "UPDATE letters SET pdf = CAST('%PDF-1.4 alice letter' AS BLOB), status = 'sent'
             WHERE id = (SELECT min(l.id) FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = ?1)",
            [&first],
        )
        .unwrap();
    let alice_letters = rows(
        &store,
        "SELECT count(*) FROM letters l JOIN cases c ON c.id = l.case_id JOIN customers cu ON cu.id = c.customer_id WHERE cu.email = 'alice@example.org'",
    );
    assert!(alice_letters >= 2, "acknowledgements were asked for");

    let out = dir.path().join("sar");
    let s = redress::subject_access::export(
        &store,
        "alice@example.org",
        &out,
        t("2026-11-20T09:00:00Z"),
    )
    .unwrap();
    assert_eq!((s.cases, s.messages, s.attachments), (2, 4, 1));
    assert_eq!(
        s.quarantined, 1,
        "only the one naming alice@example.org itself"
    );
    assert_eq!(s.letters as i64, alice_letters);
    assert_eq!(s.letters_without_pdf as i64, alice_letters - 1);

    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["person"]["email"], "alice@example.org");
    let refs: Vec<&str> = index["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"]["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, vec![first.as_str(), second.as_str()]);
    for m in index["messages"].as_array().unwrap() {
        let f = out.join(m["file"].as_str().unwrap());
        assert!(std::fs::read(f).unwrap().starts_with(b"From:"));
    }
    let att = &index["messages"][1]["attachments"][0];
    assert_eq!(att["name"], "pothole.png");
    assert!(out.join(att["file"].as_str().unwrap()).exists());
    let letters = index["letters"].as_array().unwrap();
    let with_pdf: Vec<_> = letters.iter().filter(|l| !l["pdf"].is_null()).collect();
    assert_eq!(with_pdf.len(), 1);
    assert_eq!(
        std::fs::read(out.join(with_pdf[0]["pdf"].as_str().unwrap())).unwrap(),
        b"%PDF-1.4 alice letter"
    );
    assert!(letters
        .iter()
        .filter(|l| l["pdf"].is_null())
        .all(|l| l["note"].as_str().unwrap().contains("not yet rendered")));

    let q = &index["quarantine"][0];
    assert!(
        std::fs::read_to_string(out.join(q["file"].as_str().unwrap()))
            .unwrap()
            .contains("pass this to ALICE@example.org")
    );
    // Nothing of Bob anywhere in the folder.
    let mut files = vec![out.clone()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        seen += 1;
        let bytes = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).to_lowercase();
        for other in ["bob", "park lane", &bob.to_lowercase(), "malice"] {
            assert!(!bytes.contains(other), "{other} in {}", p.display());
        }
    }
    assert!(seen >= 7);
    // Only an address can be exported: a domain or a name would match others' mail.
    for not_an_address in [
        "example.org",
        "alice",
        "@example.org",
        "alice@org",
        "a b@example.org",
    ] {
        assert!(
            matches!(
                redress::subject_access::export(
                    &store,
                    not_an_address,
                    &dir.path().join("never"),
                    t("2026-11-20T09:00:00Z")
                ),
                Err(redress::subject_access::ExportError::NotAnAddress(_))
            ),
            "{not_an_address}"
        );
    }
    assert!(!dir.path().join("never").exists());
    // An existing, non-empty folder is refused.
    assert!(redress::subject_access::export(
        &store,
        "alice@example.org",
        &out,
        t("2026-11-20T09:00:00Z")
    )
    .is_err());
}

#[test]
fn retention_erases_old_mail_that_never_joined_a_case_and_keeps_the_recent() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, mut store) = setup(dir.path());
    let auto_reply = |who: &str, date: &str| {
        format!(
            "From: {who}\r\nTo: complaints@example.gov.uk\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\
             Message-ID: <ooo-{who}>\r\nDate: {date}\r\n\r\nI am away.\r\n"
        )
    };
    let mail = [
        (
            "2020-02-03T09:00:00Z",
            auto_reply("old@example.org", "Mon, 3 Feb 2020 09:00:00 +0000"),
        ),
        (
            "2020-02-03T09:00:00Z",
            "garbage from 2020 with no headers".to_string(),
        ),
        (
            "2027-03-01T09:00:00Z",
            auto_reply("new@example.org", "Mon, 1 Mar 2027 09:00:00 +0000"),
        ),
        (
            "2027-03-01T09:00:00Z",
            "garbage from 2027 with no headers".to_string(),
        ),
    ];
    for (now, raw) in &mail {
        let out = ingest_outcome(&cfg, &mut store, raw.as_bytes(), now);
        assert!(
            matches!(out, Outcome::Noise { .. } | Outcome::Quarantined { .. }),
            "{out:?}"
        );
    }
    let unattached = |s: &Store| {
        (
            rows(s, "SELECT count(*) FROM messages WHERE case_id IS NULL"),
            rows(s, "SELECT count(*) FROM quarantine"),
        )
    };
    assert_eq!(unattached(&store), (2, 2));
    // LGSCO preset: 6 years. On 15 April 2027 mail received before 15 April 2021 goes.
    let today = chrono::NaiveDate::from_ymd_opt(2027, 4, 15).unwrap();
    let plan = redress::retention::plan(&store, &cfg, today).unwrap();
    assert_eq!(
        plan.unattached_before.as_deref(),
        Some("2021-04-15T00:00:00Z")
    );
    assert_eq!((plan.unattached_messages, plan.quarantined), (1, 1));
    assert_eq!(unattached(&store), (2, 2), "planning erases nothing");
    let n = redress::retention::run(
        &mut store,
        &plan,
        t("2027-04-15T02:30:00Z"),
        "test",
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((n.unattached_messages, n.quarantined), (1, 1));
    assert_eq!(unattached(&store), (1, 1));
    // Offered again, the erased mail stays erased.
    for (now, raw) in &mail[..2] {
        assert_eq!(
            ingest_outcome(&cfg, &mut store, raw.as_bytes(), now),
            Outcome::Duplicate
        );
    }
    assert_eq!(unattached(&store), (1, 1));
    assert_eq!(
        rows(
            &store,
            "SELECT count(*) FROM messages WHERE from_addr = 'new@example.org'"
        ),
        1
    );
    assert_eq!(
        rows(
            &store,
            "SELECT count(*) FROM quarantine WHERE CAST(raw AS TEXT) LIKE '%2027%'"
        ),
        1
    );
}
