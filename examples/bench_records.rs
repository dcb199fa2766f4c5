//! Benchmark: an annual report and a retention pass over 1,000,000 cases.
//!
//!     cargo run --release --features bench --example bench_records [-- N [DB_PATH [--build-only]]]
//!
//! Generates N cases (default 1,000,000) in one transaction through the store's bulk
//! writer (`store::fixtures`, not through `create_case`: that is not what is measured), each
//! with a customer (one per three cases), one stored message (~0.6 KB), one letter,
//! its deadlines and two events, as the daemon would have written them:
//! - 10% are old: received April 2019 - March 2020 and closed within 45 days, so that
//!   on 15 April 2027 they are past the LGSCO preset's 6 years and due for erasure;
//! - 90% are received May 2021 - March 2027, most closed, 10% reaching stage 2.
//!
//! Then it times the financial-year report 2026-27 (built and rendered in all four
//! formats) and the retention pass (plan, then erase the due cases), as of 15 April 2027.

use chrono::{Duration, NaiveDate};
use std::time::Instant;

use redress::config::Config;
use redress::report::{self, Period};
use redress::store::fixtures::{
    FixtureCase, FixtureCustomer, FixtureDeadline, FixtureEvent, FixtureLetter, FixtureMessage,
};
use redress::store::Store;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SERVICES: &[&str] = &[
    "Waste and recycling",
    "Council tax",
    "Housing",
    "Planning",
    "Highways",
    "Parking",
    "Environmental health",
    "Benefits",
    "Libraries",
    "Leisure",
    "Licensing",
    "Customer services",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("bench.db"));
    let _ = std::fs::remove_file(&path);
    let cfg = Config::load(None).expect("default config");
    let mut store = Store::open(&path).expect("store");

    let t0 = Instant::now();
    generate(&mut store, &cfg, n);
    let gen = t0.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} cases in {:.1} s ({:.0} MB database)",
        gen.as_secs_f64(),
        size as f64 / 1e6
    );
    if std::env::args().any(|a| a == "--build-only") {
        return;
    }

    let period: Period = "2026-27".parse().unwrap();
    let t = Instant::now();
    let r = report::build(&store, &cfg, &period).expect("report");
    let build = t.elapsed();
    let t = Instant::now();
    let text = report::to_text(&r);
    let csv = report::to_csv(&r);
    let json = report::to_json(&r);
    let pdf = report::to_pdf(&r).expect("pdf");
    let render = t.elapsed();
    println!(
        "annual report 2026-27: {} complaints received in the year, {} responses; built in {:.2} s, rendered (text {} B, csv {} B, json {} B, pdf {} B) in {:.2} s",
        r.received.complaints,
        r.stages.iter().map(|s| s.responses).sum::<u64>(),
        build.as_secs_f64(),
        text.len(),
        csv.len(),
        json.len(),
        pdf.len(),
        render.as_secs_f64()
    );

    let today = NaiveDate::from_ymd_opt(2027, 4, 15).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2027-04-15T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let t = Instant::now();
    let plan = redress::retention::plan(&store, &cfg, today).expect("plan");
    let planned = t.elapsed();
    let t = Instant::now();
    let erased =
        redress::retention::run(&mut store, &plan, at, "system", &mut |_, _| {}).expect("erase");
    let erase = t.elapsed();
    println!(
        "retention: {} due ({} closed cases kept) listed in {:.2} s; erased in {:.2} s: {:?}; total {:.2} s",
        plan.due.len(),
        plan.not_yet_due,
        planned.as_secs_f64(),
        erase.as_secs_f64(),
        erased,
        (planned + erase).as_secs_f64()
    );
    let t = Instant::now();
    let again = report::build(&store, &cfg, &period).expect("report");
    println!(
        "annual report after erasure: built in {:.2} s, identical: {}",
        t.elapsed().as_secs_f64(),
        again == r
    );
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn ts(d: NaiveDate, hour: u32) -> String {
    format!("{}T{hour:02}:00:00Z", day(d))
}

fn generate(store: &mut Store, cfg: &Config, n: usize) {
    let policy = &cfg.policy;
    let cats = &policy.preset.categories;
    let outcomes = &policy.preset.outcomes;
    let cal = &cfg.calendar;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    store
        .bulk(|b| {
        let customers = n / 3 + 1;
        for i in 1..=customers {
            b.customer(&FixtureCustomer {
                id: i as i64,
                email: &format!("resident{i}@example.org"),
                name: &format!("Resident {i}"),
                address: &format!("{i} High Street, Exampleton"),
                created_at: "2019-01-01T00:00:00Z",
            })?;
        }
        let old_start = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap();
        let new_start = NaiveDate::from_ymd_opt(2021, 5, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
        let mut counters = std::collections::HashMap::<i32, u32>::new();
        for i in 1..=n as i64 {
            let old = i % 10 == 0;
            let received = if old {
                old_start + Duration::days(rng.below(365) as i64)
            } else {
                new_start
                    + Duration::days(rng.below((end - new_start).num_days() as u64 + 1) as i64)
            };
            use chrono::Datelike;
            let seq = counters.entry(received.year()).or_default();
            *seq += 1;
            let reference = format!("EX-{}-{:07}", received.year(), seq);
            let customer = (i as usize % customers) as i64 + 1;
            let email = format!("resident{customer}@example.org");
            let kind = match rng.below(100) {
                0..=84 => "complaint",
                85..=92 => "compliment",
                93..=97 => "comment",
                _ => "service-request",
            };
            let ack = cal.add_working_days(received, 1 + rng.below(4) as u32);
            let due = cal.add_working_days(ack, 10);
            let responded = cal.add_working_days(ack, 3 + rng.below(11) as u32);
            let second = kind == "complaint" && rng.below(10) == 0;
            let escalated = cal.add_working_days(responded, 5);
            let s2_ack = cal.add_working_days(escalated, 2);
            let s2_due = cal.add_working_days(s2_ack, 20);
            let s2_resp = cal.add_working_days(s2_ack, 10 + rng.below(16) as u32);
            let finished = if second { s2_resp } else { responded };
            let closed_on = finished + Duration::days(rng.below(20) as i64);
            let closed = old || closed_on < NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
            let state = if closed { "closed" } else { "investigating" };
            let reason = closed.then(|| {
                if rng.below(5) == 0 {
                    "auto-closed"
                } else {
                    "resolved"
                }
            });
            let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
            let category = &cats[rng.below(cats.len() as u64) as usize];
            let outcome = closed.then(|| &outcomes[rng.below(outcomes.len() as u64) as usize]);
            let received_at = ts(received, 9);
            b.case(&FixtureCase {
                id: i,
                reference: &reference,
                policy: &policy.name,
                kind,
                state,
                stage: if second { "stage2" } else { "stage1" },
                close_reason: reason,
                customer_id: customer,
                subject: "My bins were missed again",
                service,
                officer: "jane",
                past_officers: "",
                category: Some(category),
                outcome: outcome.map(String::as_str),
                received_at: &received_at,
                received_on: &day(received),
                acknowledged_on: Some(day(ack)),
                escalation_requested_on: second.then(|| day(escalated)),
                investigation_started_on: None,
                responded_on: Some(day(responded)),
                reached_stage: if second { 2 } else { 1 },
                closed_at: closed.then(|| ts(closed_on, 15)),
                updated_at: &received_at,
            })?;
            let raw = format!(
                "From: Resident <{email}>\r\nTo: complaints@example.gov.uk\r\nSubject: My bins were missed again\r\nMessage-ID: <m{i}@example.org>\r\n\r\nDear Sir or Madam, my bins at {customer} High Street were missed again this week, the third time this month. Please send someone and tell me what you will do. Resident {customer}\r\n"
            );
            b.message(&FixtureMessage {
                case_id: i,
                ingest_key: &format!("<m{i}@example.org>"),
                raw: raw.as_bytes(),
                from_addr: &email,
                subject: "My bins were missed again",
                received_at: &received_at,
                status: "stored",
                body_text: &raw[raw.len() - 190..],
                size: raw.len() as i64,
                ..Default::default()
            })?;
            let acked_at = ts(ack, 10);
            b.letter(&FixtureLetter {
                case_id: i,
                kind: "acknowledgement",
                message_id: &format!("<ex-{i}.acknowledgement.{i}@example.gov.uk>"),
                to_addr: &email,
                subject: &format!("[Ref {reference}] We have received your complaint"),
                body_text: "Dear Resident, thank you for your complaint. We will reply within ten working days of this acknowledgement. Your reference is above. Complaints Team",
                status: "sent",
                created_at: &acked_at,
                sent_at: Some(&acked_at),
                ..Default::default()
            })?;
            b.event(&FixtureEvent {
                case_id: i,
                at: &received_at,
                actor: "mail",
                kind: "opened",
                from_state: None,
                to_state: Some("received"),
                detail: Some(&format!("from {email}, matched by new")),
            })?;
            if kind == "complaint" {
                b.deadline(&FixtureDeadline {
                    case_id: i,
                    stage: "stage1",
                    kind: "acknowledge",
                    from_event: "receipt",
                    from_date: day(received),
                    period: "5 working days",
                    due: day(cal.add_working_days(received, 5)),
                    status: "met",
                    met_on: Some(day(ack)),
                })?;
                b.deadline(&FixtureDeadline {
                    case_id: i,
                    stage: "stage1",
                    kind: "respond",
                    from_event: "the acknowledgement",
                    from_date: day(ack),
                    period: "10 working days",
                    due: day(due),
                    // An open case is still owed its last response: the desk's queue
                    // sorts by it.
                    status: if closed || second { "met" } else { "open" },
                    met_on: (closed || second).then(|| day(responded)),
                })?;
                if second {
                    b.deadline(&FixtureDeadline {
                        case_id: i,
                        stage: "stage2",
                        kind: "acknowledge",
                        from_event: "the escalation request",
                        from_date: day(escalated),
                        period: "5 working days",
                        due: day(cal.add_working_days(escalated, 5)),
                        status: "met",
                        met_on: Some(day(s2_ack)),
                    })?;
                    b.deadline(&FixtureDeadline {
                        case_id: i,
                        stage: "stage2",
                        kind: "respond",
                        from_event: "the acknowledgement",
                        from_date: day(s2_ack),
                        period: "20 working days",
                        due: day(s2_due),
                        status: if closed { "met" } else { "open" },
                        met_on: closed.then(|| day(s2_resp)),
                    })?;
                }
            }
            if closed {
                b.event(&FixtureEvent {
                    case_id: i,
                    at: &ts(closed_on, 15),
                    actor: "officer:jane",
                    kind: "close (resolved)",
                    from_state: Some("responded"),
                    to_state: Some("closed"),
                    detail: None,
                })?;
            }
        }
        Ok(())
    })
    .expect("generate");
}
