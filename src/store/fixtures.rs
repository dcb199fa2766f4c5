//! Stored history written in bulk, for the benchmarks (examples/bench_*): customers,
//! cases, deadlines, messages, letters and events as the daemon would have left them
//! after years of work, a million cases at a time. The rows are written as given (no
//! policy is applied: that is not what the benchmarks measure), with prepared
//! statements in one transaction. Not used by the daemon.

use std::time::Instant;

use rusqlite::{params, Statement, Transaction};

use super::{Result, Store};

/// A customer row.
#[derive(Debug, Clone, Default)]
pub struct FixtureCustomer<'a> {
    pub id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub created_at: &'a str,
}

/// A case row. Dates are ISO, instants as stored (`crate::time::stamp`).
#[derive(Debug, Clone, Default)]
pub struct FixtureCase<'a> {
    pub id: i64,
    pub reference: &'a str,
    pub policy: &'a str,
    pub kind: &'a str,
    pub state: &'a str,
    pub stage: &'a str,
    pub close_reason: Option<&'a str>,
    pub customer_id: i64,
    pub subject: &'a str,
    pub service: &'a str,
    pub officer: &'a str,
    /// "" when none (the column's default).
    pub past_officers: &'a str,
    pub category: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub received_at: &'a str,
    pub received_on: &'a str,
    pub acknowledged_on: Option<String>,
    pub escalation_requested_on: Option<String>,
    pub investigation_started_on: Option<String>,
    pub responded_on: Option<String>,
    pub reached_stage: i64,
    pub closed_at: Option<String>,
    pub updated_at: &'a str,
}

/// A deadline row.
#[derive(Debug, Clone, Default)]
pub struct FixtureDeadline<'a> {
    pub case_id: i64,
    pub stage: &'a str,
    pub kind: &'a str,
    pub from_event: &'a str,
    pub from_date: String,
    pub period: &'a str,
    pub due: String,
    pub status: &'a str,
    pub met_on: Option<String>,
}

/// A stored message row.
#[derive(Debug, Clone, Default)]
pub struct FixtureMessage<'a> {
    pub case_id: i64,
    pub ingest_key: &'a str,
    pub raw: &'a [u8],
    pub from_addr: &'a str,
    pub subject: &'a str,
    pub sent_at: Option<&'a str>,
    pub received_at: &'a str,
    /// "stored" is the column's default.
    pub status: &'a str,
    pub message_id: Option<&'a str>,
    pub body_text: &'a str,
    pub matched_by: Option<&'a str>,
    pub triage: Option<&'a str>,
    pub triage_reason: Option<&'a str>,
    pub size: i64,
}

/// A letter row (as sent: no content beyond the text).
#[derive(Debug, Clone, Default)]
pub struct FixtureLetter<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub message_id: &'a str,
    pub to_addr: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub status: &'a str,
    pub attempts: i64,
    pub created_at: &'a str,
    pub sent_at: Option<&'a str>,
    pub rendered_at: Option<&'a str>,
    pub automatic: bool,
    pub actor: Option<&'a str>,
    pub pdf_name: Option<&'a str>,
}

/// An event row.
#[derive(Debug, Clone, Default)]
pub struct FixtureEvent<'a> {
    pub case_id: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub kind: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// The writer [`Store::bulk`] lends: one prepared statement per table.
pub struct Bulk<'t> {
    customer: Statement<'t>,
    case: Statement<'t>,
    deadline: Statement<'t>,
    response: Statement<'t>,
    message: Statement<'t>,
    letter: Statement<'t>,
    event: Statement<'t>,
    counter: Statement<'t>,
}

impl<'t> Bulk<'t> {
    fn new(tx: &'t Transaction) -> Result<Bulk<'t>> {
        Ok(Bulk {
            customer: tx.prepare(
                "INSERT INTO customers (id, email, name, address, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            case: tx.prepare(
                "INSERT INTO cases (id, reference, policy, kind, state, stage, close_reason, customer_id, subject,
                    service, officer, past_officers, category, outcome, received_at, received_on, acknowledged_on,
                    escalation_requested_on, investigation_started_on, responded_on, reached_stage, closed_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?,
            deadline: tx.prepare(
                "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status, met_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            response: tx.prepare(
                "INSERT INTO responses (case_id, stage, sent_on, from_date, due) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            message: tx.prepare(
                "INSERT INTO messages (case_id, ingest_key, raw, from_addr, subject, sent_at, received_at, status,
                    message_id, body_text, matched_by, triage, triage_reason, size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            letter: tx.prepare(
                "INSERT INTO letters (case_id, kind, message_id, to_addr, subject, body_text, status, attempts,
                    created_at, sent_at, rendered_at, automatic, actor, pdf_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            event: tx.prepare(
                "INSERT INTO events (case_id, at, actor, kind, from_state, to_state, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            counter: tx.prepare(
                "INSERT INTO reference_counters (prefix, year, last) VALUES (?1, ?2, ?3)",
            )?,
        })
    }

    pub fn customer(&mut self, c: &FixtureCustomer) -> Result<()> {
        self.customer
            .execute(params![c.id, c.email, c.name, c.address, c.created_at])?;
        Ok(())
    }

    pub fn case(&mut self, c: &FixtureCase) -> Result<()> {
        self.case.execute(params![
            c.id,
            c.reference,
            c.policy,
            c.kind,
            c.state,
            c.stage,
            c.close_reason,
            c.customer_id,
            c.subject,
            c.service,
            c.officer,
            c.past_officers,
            c.category,
            c.outcome,
            c.received_at,
            c.received_on,
            c.acknowledged_on,
            c.escalation_requested_on,
            c.investigation_started_on,
            c.responded_on,
            c.reached_stage,
            c.closed_at,
            c.updated_at
        ])?;
        Ok(())
    }

    pub fn deadline(&mut self, d: &FixtureDeadline) -> Result<()> {
        self.deadline.execute(params![
            d.case_id,
            d.stage,
            d.kind,
            d.from_event,
            d.from_date,
            d.period,
            d.due,
            d.status,
            d.met_on
        ])?;
        // A met response deadline is a response sent, as the product records it.
        if let (&"respond", Some(on)) = (&d.kind, &d.met_on) {
            self.response
                .execute(params![d.case_id, d.stage, on, d.from_date, d.due])?;
        }
        Ok(())
    }

    pub fn message(&mut self, m: &FixtureMessage) -> Result<()> {
        self.message.execute(params![
            m.case_id,
            m.ingest_key,
            m.raw,
            m.from_addr,
            m.subject,
            m.sent_at,
            m.received_at,
            m.status,
            m.message_id,
            m.body_text,
            m.matched_by,
            m.triage,
            m.triage_reason,
            m.size
        ])?;
        Ok(())
    }

    pub fn letter(&mut self, l: &FixtureLetter) -> Result<()> {
        self.letter.execute(params![
            l.case_id,
            l.kind,
            l.message_id,
            l.to_addr,
            l.subject,
            l.body_text,
            l.status,
            l.attempts,
            l.created_at,
            l.sent_at,
            l.rendered_at,
            l.automatic as i64,
            l.actor,
            l.pdf_name
        ])?;
        Ok(())
    }

    pub fn event(&mut self, e: &FixtureEvent) -> Result<()> {
        self.event.execute(params![
            e.case_id,
            e.at,
            e.actor,
            e.kind,
            e.from_state,
            e.to_state,
            e.detail
        ])?;
        Ok(())
    }

    /// The last reference number used for `prefix` in `year`.
    pub fn reference_counter(&mut self, prefix: &str, year: i32, last: i64) -> Result<()> {
        self.counter.execute(params![prefix, year, last])?;
        Ok(())
    }
}

/// One of the scheduler's queries, timed on its own, with SQLite's plan.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub name: &'static str,
    pub rows: usize,
    pub min_ms: f64,
    pub median_ms: f64,
    pub plan: String,
}

impl Store {
    /// Write rows in bulk: `f` gets a [`Bulk`] writer; all it writes is one transaction,
    /// committed when it returns Ok.
    pub fn bulk<T>(&mut self, f: impl FnOnce(&mut Bulk) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let out = {
            let mut b = Bulk::new(&tx)?;
            f(&mut b)?
        };
        // The desk's search index, as ingestion leaves it.
        super::search::index_new(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Give this connection a page cache of `kib` KiB (for a bulk write).
    pub fn set_cache_size_kib(&self, kib: i64) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{kib};"))?;
        Ok(())
    }

    /// Copy the whole WAL into the database and empty it.
    pub fn checkpoint_truncate(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Checkpoint the WAL when it reaches `pages` pages (SQLite's default is 1,000).
    pub fn set_wal_autocheckpoint(&self, pages: i64) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Create an empty database at `path` with pages of `size` bytes, before
    /// [`Store::open`] makes its tables.
    pub fn create_with_page_size(path: &std::path::Path, size: u32) -> Result<()> {
        let c = rusqlite::Connection::open(path)?;
        c.execute_batch(&format!(
            "PRAGMA page_size={size}; CREATE TABLE x(a); DROP TABLE x;"
        ))?;
        Ok(())
    }

    /// Run statements given at run time (a benchmark trying a pragma or an index).
    pub fn run_script(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    /// Open stage 1 response deadlines of cases being worked on (acknowledged or
    /// investigating), by id: the ones a benchmark can make lapse.
    pub fn open_stage1_response_deadlines(&self) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare(
            "SELECT d.id FROM deadlines d JOIN cases c ON c.id = d.case_id
             WHERE d.status = 'open' AND d.kind = 'respond' AND d.stage = 'stage1'
               AND c.state IN ('acknowledged', 'investigating') ORDER BY d.id",
        )?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(v)
    }

    /// Move deadlines' due dates (id, ISO date), in one transaction.
    pub fn move_deadlines_due(&mut self, due: &[(i64, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut up = tx.prepare("UPDATE deadlines SET due = ?2 WHERE id = ?1")?;
            for (id, d) in due {
                up.execute(params![id, d])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Queued letters of `kind` that carry their HTML and PDF.
    pub fn queued_rendered_letters(&self, kind: crate::letter::kind::Kind) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM letters WHERE status = 'queued' AND kind = ?1 AND pdf IS NOT NULL AND body_html IS NOT NULL",
            [kind],
            |r| r.get(0),
        )?)
    }

    /// Bytes of PDF held by queued letters.
    pub fn queued_pdf_bytes(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(length(pdf)), 0) FROM letters WHERE status = 'queued'",
            [],
            |r| r.get(0),
        )?)
    }

    /// The three queries `sweep::tick` runs on every pass (the statements of
    /// `open_deadlines_due_by`, `answered_cases` and `customer_replies`), each run five
    /// times, with SQLite's plan for each.
    pub fn tick_query_timings(&self, horizon: &str) -> Result<Vec<QueryTiming>> {
        // The statements the tick's own store functions run, not copies of them.
        let qs: [(&'static str, &str, Vec<String>); 3] = [
            (
                "open deadlines due by the horizon",
                super::deadlines::OPEN_DUE_BY,
                vec![horizon.to_string()],
            ),
            (
                "acknowledged compliments/redirects",
                super::replies::ANSWERED,
                vec![],
            ),
            (
                "customer replies on cases awaiting them",
                super::replies::CUSTOMER_REPLIES,
                vec![],
            ),
        ];
        let mut out = Vec::new();
        for (name, sql, args) in qs {
            let mut plan = Vec::new();
            let mut st = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                plan.push(r.get::<_, String>(3)?);
            }
            let mut times = Vec::new();
            let mut count = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let mut st = self.conn.prepare_cached(sql)?;
                count = st
                    .query_map(rusqlite::params_from_iter(args.iter()), |_| Ok(()))?
                    .count();
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            out.push(QueryTiming {
                name,
                rows: count,
                min_ms: times[0],
                median_ms: times[2],
                plan: plan.join("; "),
            });
        }
        Ok(out)
    }
}
