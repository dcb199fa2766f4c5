//! The case store: SQLite on disk (WAL, foreign keys on, migrations embedded and run
//! at open). All SQL lives here. Every change to a case is written in one transaction
//! together with the event that records it.

use crate::time::{iso, stamp};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;

use crate::calendar::{london_date, Calendar};
use crate::case::{self, Action, IllegalTransition, Kind, State};
use crate::deadline::{self, Due, Facts};
use crate::policy::Policy;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/01_schema.sql"),
    include_str!("migrations/02_inbound.sql"),
    include_str!("migrations/03_outbox.sql"),
    include_str!("migrations/04_workflow.sql"),
    include_str!("migrations/05_records.sql"),
    include_str!("migrations/06_speed.sql"),
    include_str!("migrations/07_workflow_speed.sql"),
    include_str!("migrations/08_ingest_speed.sql"),
    include_str!("migrations/09_erased_mail.sql"),
    include_str!("migrations/10_hostile_mail.sql"),
    include_str!("migrations/11_staff_mail.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {msg}")]
    Open { path: String, msg: String },
    #[error("no case with reference {0}")]
    NotFound(String),
    #[error("{0}: {1}")]
    Illegal(String, IllegalTransition),
    #[error("{0}")]
    Refused(String),
    #[error("database {path} has schema version {found}, newer than this redress knows ({known}); upgrade redress")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The migration (0-based) that moves `raw` to the end of its row: it copies every
/// row, so a huge one would need several times its size in memory.
const MOVES_RAW: usize = 9;
/// Before that migration, quarantined mail larger than this keeps only its headers:
/// earlier releases stored oversized mail whole (600 MB seen), which the copy could
/// not hold under the service's MemoryMax; it is over any message limit anyway.
const HUGE_QUARANTINED: i64 = 32 * 1024 * 1024;

/// Replace the raw bytes of quarantined mail over `max` bytes by its header section
/// (read through incremental blob I/O: the message is never loaded whole), noting it
/// in the reason.
fn keep_only_headers_of_huge_quarantined_mail(tx: &Connection, max: i64) -> Result<()> {
    let huge: Vec<(i64, i64)> = tx
        .prepare("SELECT id, length(raw) FROM quarantine WHERE length(raw) > ?1")?
        .query_map([max], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, size) in huge {
        let mut head = vec![0u8; (size as usize).min(256 * 1024)];
        tx.blob_open(rusqlite::MAIN_DB, "quarantine", "raw", id, true)?
            .read_at_exact(&mut head, 0)?;
        head.truncate(crate::text::header_end(&head).unwrap_or(head.len()));
        tx.execute(
            "UPDATE quarantine SET raw = ?2,
             reason = reason || '; only its headers were kept on upgrade (it was ' || ?3 || ' bytes)'
             WHERE id = ?1",
            params![id, head, size],
        )?;
    }
    Ok(())
}

pub struct Store {
    conn: Connection,
}

/// A case as listings and `case REF` show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    #[serde(skip)]
    pub id: i64,
    pub reference: String,
    pub policy: String,
    pub kind: String,
    pub state: String,
    pub stage: String,
    pub close_reason: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub subject: Option<String>,
    pub service: Option<String>,
    pub officer: Option<String>,
    pub past_officers: Vec<String>,
    pub category: Option<String>,
    pub outcome: Option<String>,
    pub received_at: String,
    pub closed_at: Option<String>,
    pub flagged: Option<String>,
    /// The earliest open deadline, if any.
    pub next_due: Option<String>,
    #[serde(skip)]
    pub facts: FactsRow,
}

#[derive(Debug, Clone, Default)]
pub struct FactsRow {
    pub received_on: Option<NaiveDate>,
    pub acknowledged_on: Option<NaiveDate>,
    pub escalation_requested_on: Option<NaiveDate>,
    pub investigation_started_on: Option<NaiveDate>,
    pub responded_on: Option<NaiveDate>,
}

impl FactsRow {
    fn facts(&self) -> Facts {
        Facts {
            received: self.received_on,
            acknowledged: self.acknowledged_on,
            escalation_requested: self.escalation_requested_on,
            investigation_started: self.investigation_started_on,
            responded: self.responded_on,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRow {
    pub stage: String,
    pub kind: String,
    pub from_event: String,
    pub from_date: String,
    pub period: String,
    pub due: String,
    pub status: String,
    pub met_on: Option<String>,
}

/// A new case, however it arrived (mail, phone, letter, officer entry).
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub kind: Kind,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub service: Option<&'a str>,
    pub received_at: DateTime<Utc>,
}

/// Filters for `cases`.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<State>,
    pub kind: Option<Kind>,
    pub officer: Option<String>,
    pub stage: Option<String>,
    pub customer: Option<String>,
    /// Only cases with an open deadline before this date.
    pub overdue_on: Option<NaiveDate>,
    pub open_only: bool,
    /// Only cases flagged for an officer (never acknowledged, third-party mail, bounces...).
    pub flagged: bool,
    pub limit: Option<usize>,
}

fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| crate::time::parse_iso(&s))
}

// A case's deadlines are found through the (case_id, stage, kind) unique index: the
// unary `+` keeps SQLite from choosing the (status, due) index, which would read every
// open deadline in the database for each case (examples/bench_tick.rs measures it).
const CASE_COLUMNS: &str = "c.id, c.reference, c.policy, c.kind, c.state, c.stage, c.close_reason,
    cu.email, cu.name, c.subject, c.service, c.officer, c.past_officers, c.category, c.outcome,
    c.received_at, c.closed_at, c.flagged,
    (SELECT MIN(due) FROM deadlines d WHERE d.case_id = c.id AND +d.status = 'open'),
    c.received_on, c.acknowledged_on, c.escalation_requested_on, c.investigation_started_on, c.responded_on";

fn case_from_row(r: &rusqlite::Row) -> rusqlite::Result<CaseRow> {
    let past: String = r.get(12)?;
    Ok(CaseRow {
        id: r.get(0)?,
        reference: r.get(1)?,
        policy: r.get(2)?,
        kind: r.get(3)?,
        state: r.get(4)?,
        stage: r.get(5)?,
        close_reason: r.get(6)?,
        customer_email: r.get(7)?,
        customer_name: r.get(8)?,
        subject: r.get(9)?,
        service: r.get(10)?,
        officer: r.get(11)?,
        past_officers: past
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        category: r.get(13)?,
        outcome: r.get(14)?,
        received_at: r.get(15)?,
        closed_at: r.get(16)?,
        flagged: r.get(17)?,
        next_due: r.get(18)?,
        facts: FactsRow {
            received_on: parse_date(r.get(19)?),
            acknowledged_on: parse_date(r.get(20)?),
            escalation_requested_on: parse_date(r.get(21)?),
            investigation_started_on: parse_date(r.get(22)?),
            responded_on: parse_date(r.get(23)?),
        },
    })
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    path: dir.display().to_string(),
                    msg: format!("cannot create the data directory: {e}"),
                })?;
            }
        }
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            msg: e.to_string(),
        })?;
        Store::setup(conn, &path.display().to_string())
    }

    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(conn: Connection, path: &str) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Savepoints per ingested message would otherwise write temp files.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Ingesting one message runs about 30 distinct statements: keep them all prepared.
        conn.set_prepared_statement_cache_capacity(128);
        let mut store = Store { conn };
        store.migrate(path)?;
        Ok(store)
    }

    fn migrate(&mut self, path: &str) -> Result<()> {
        let version: usize =
            self.conn
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: path.to_string(),
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            if i == MOVES_RAW {
                keep_only_headers_of_huge_quarantined_mail(&tx, HUGE_QUARANTINED)?;
            }
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Direct access for other store-owning modules (mailbox, outbox) in this crate.
    /// Make every commit on this connection durable before it returns (the WAL is
    /// synced: `synchronous = FULL`). The mailbox sources use it: after a commit they
    /// tell the server (or the Maildir) the mail is processed, and a power cut must not
    /// then lose the commit. The other connections keep `NORMAL`, which is crash-safe
    /// for the process and loses at most the last commits on a power cut.
    pub fn durable_commits(&self) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// The database file, or None for an in-memory store.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Run `f` in one transaction: committed if it returns Ok, rolled back if not.
    /// Store methods that use savepoints join it, so many small writes (a batch of
    /// rendered letters, say) share one commit.
    pub fn batch<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| E::from(e.into()))?;
        match f(self) {
            Ok(v) => {
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(|e| E::from(e.into()))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Open a case: customer, reference, first event and deadlines, in one transaction.
    pub fn create_case(
        &mut self,
        new: &NewCase,
        policy: &Policy,
        prefix: &str,
        cal: &Calendar,
        actor: &str,
    ) -> Result<CaseRow> {
        let tx = self.conn.transaction()?;
        let (id, _) = create_case_with(&tx, new, policy, prefix, cal, actor, None)?;
        tx.commit()?;
        self.case_by_id(id)
    }

    pub fn case_by_id(&self, id: i64) -> Result<CaseRow> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?1"
        );
        Ok(self.conn.query_row(&sql, [id], case_from_row)?)
    }

    pub fn find_case(&self, reference: &str) -> Result<CaseRow> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1"
        );
        self.conn
            .query_row(&sql, [reference.trim().to_ascii_uppercase()], case_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(reference.to_string()))
    }

    pub fn list_cases(&self, f: &CaseFilter) -> Result<Vec<CaseRow>> {
        let mut sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE 1=1"
        );
        let mut args: Vec<String> = Vec::new();
        let mut arg = |sql: &mut String, cond: &str, v: String| {
            args.push(v);
            sql.push_str(&format!(" AND {cond} ?{}", args.len()));
        };
        if let Some(s) = f.state {
            arg(&mut sql, "c.state =", s.as_str().to_string());
        }
        if let Some(k) = f.kind {
            arg(&mut sql, "c.kind =", k.as_str().to_string());
        }
        if let Some(o) = &f.officer {
            arg(&mut sql, "c.officer =", o.clone());
        }
        if let Some(s) = &f.stage {
            arg(&mut sql, "c.stage =", s.clone());
        }
        if let Some(e) = &f.customer {
            arg(&mut sql, "cu.email = ", e.clone());
        }
        if f.open_only {
            sql.push_str(" AND c.state != 'closed'");
        }
        if f.flagged {
            sql.push_str(" AND c.flagged IS NOT NULL AND c.flagged != ''");
        }
        if let Some(d) = f.overdue_on {
            arg(
                &mut sql,
                "EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND +d.status = 'open' AND +d.due <",
                iso(d),
            );
            sql.push(')');
        }
        sql.push_str(" ORDER BY c.id");
        if let Some(n) = f.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), case_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn events(&self, case_id: i64) -> Result<Vec<EventRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, kind, from_state, to_state, detail FROM events WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(EventRow {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    kind: r.get(2)?,
                    from_state: r.get(3)?,
                    to_state: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn deadlines(&self, case_id: i64) -> Result<Vec<DeadlineRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT stage, kind, from_event, from_date, period, due, status, met_on
             FROM deadlines WHERE case_id = ?1 ORDER BY due, id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(DeadlineRow {
                    stage: r.get(0)?,
                    kind: r.get(1)?,
                    from_event: r.get(2)?,
                    from_date: r.get(3)?,
                    period: r.get(4)?,
                    due: r.get(5)?,
                    status: r.get(6)?,
                    met_on: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Record something that changes no state (a note, a letter queued, a flag).
    pub fn add_event(
        &mut self,
        reference: &str,
        at: DateTime<Utc>,
        actor: &str,
        kind: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        let case = self.find_case(reference)?;
        insert_event(&self.conn, case.id, at, actor, kind, None, None, detail)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    /// Take `action` on a case: check the lifecycle and the policy, update the facts its
    /// deadlines count from, record the event, recompute deadlines; all or nothing.
    pub fn apply(
        &mut self,
        reference: &str,
        action: Action,
        at: DateTime<Utc>,
        actor: &str,
        detail: Option<&str>,
        policy: &Policy,
        cal: &Calendar,
    ) -> Result<CaseRow> {
        let tx = self.conn.transaction()?;
        let id = apply_on(&tx, reference, action, at, actor, detail, policy, cal)?;
        tx.commit()?;
        self.case_by_id(id)
    }

    /// Set a plain attribute of a case (officer, service, category, outcome) with an event.
    pub fn set_field(
        &mut self,
        reference: &str,
        field: CaseField,
        value: Option<&str>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<CaseRow> {
        let case = self.find_case(reference)?;
        let col = field.column();
        let tx = self.conn.transaction()?;
        tx.execute(
            &format!("UPDATE cases SET {col} = ?2, updated_at = ?3 WHERE id = ?1"),
            params![case.id, value, stamp(at)],
        )?;
        let detail = format!("{col}: {}", value.unwrap_or("(none)"));
        insert_event(
            &tx,
            case.id,
            at,
            actor,
            &format!("set {col}"),
            None,
            None,
            Some(&detail),
        )?;
        tx.commit()?;
        self.case_by_id(case.id)
    }
}

#[allow(clippy::too_many_arguments)]
/// Take `action` on a case: check the lifecycle and the policy, update the facts its
/// deadlines count from, record the event, recompute deadlines; all or nothing.
pub(crate) fn apply_on(
    tx: &Connection,
    reference: &str,
    action: Action,
    at: DateTime<Utc>,
    actor: &str,
    detail: Option<&str>,
    policy: &Policy,
    cal: &Calendar,
) -> Result<i64> {
    let case = find_case_on(tx, reference)?;
    let from = State::parse(&case.state).ok_or_else(|| {
        StoreError::Refused(format!(
            "{}: unknown state '{}' in the database",
            case.reference, case.state
        ))
    })?;
    let to = case::transition(from, action)
        .map_err(|e| StoreError::Illegal(case.reference.clone(), e))?;
    if case.policy != policy.name {
        return Err(StoreError::Refused(format!(
            "{} runs under policy {}, not {}",
            case.reference, case.policy, policy.name
        )));
    }
    let today = london_date(at);
    let d = iso(today);
    let now = stamp(at);
    match action {
        Action::Acknowledge => {
            tx.prepare_cached("UPDATE cases SET acknowledged_on = ?2 WHERE id = ?1")?
                .execute(params![case.id, d])?;
            mark_met(tx, case.id, &case.stage, &["acknowledge"], &d)?;
        }
        Action::StartInvestigation | Action::AcceptEscalation => {
            tx.prepare_cached("UPDATE cases SET investigation_started_on = ?2 WHERE id = ?1")?
                .execute(params![case.id, d])?;
            mark_met(tx, case.id, &case.stage, &["decide"], &d)?;
        }
        Action::Respond => {
            tx.prepare_cached("UPDATE cases SET responded_on = ?2 WHERE id = ?1")?
                .execute(params![case.id, d])?;
            mark_met(
                tx,
                case.id,
                &case.stage,
                &["respond", "aim", "acknowledge", "extension"],
                &d,
            )?;
        }
        Action::OpenReplyWindow => {}
        Action::RequestEscalation => {
            let Some(next) = policy.next_stage(&case.stage) else {
                return Err(StoreError::Refused(format!(
                    "{}: {} is the last stage of the {} policy; the customer can go to the Local Government and Social Care Ombudsman",
                    case.reference, case.stage, policy.name
                )));
            };
            mark_met(tx, case.id, &case.stage, &["escalation-window"], &d)?;
            let mut past = case.past_officers.clone();
            if let Some(o) = &case.officer {
                if !past.contains(o) {
                    past.push(o.clone());
                }
            }
            let stage_no = policy
                .preset
                .stages
                .iter()
                .position(|s| s.id == next.id)
                .unwrap_or(0) as i64
                + 1;
            tx.prepare_cached(
                "UPDATE cases SET stage = ?2, officer = NULL, past_officers = ?3,
                    escalation_requested_on = ?4, acknowledged_on = NULL,
                    investigation_started_on = NULL, responded_on = NULL,
                    reached_stage = MAX(reached_stage, ?5)
                 WHERE id = ?1",
            )?
            .execute(params![case.id, next.id, past.join(","), d, stage_no])?;
        }
        Action::ReferBack => {
            let idx = policy
                .preset
                .stages
                .iter()
                .position(|s| s.id == case.stage)
                .unwrap_or(0);
            if idx == 0 {
                return Err(StoreError::Refused(format!(
                    "{}: there is no earlier stage to refer back to",
                    case.reference
                )));
            }
            let prev = &policy.preset.stages[idx - 1];
            cancel_open(tx, case.id, Some(&case.stage))?;
            tx.prepare_cached("UPDATE cases SET stage = ?2, responded_on = NULL WHERE id = ?1")?
                .execute(params![case.id, prev.id])?;
        }
        Action::Close(reason) => {
            cancel_open(tx, case.id, None)?;
            tx.prepare_cached("UPDATE cases SET close_reason = ?2, closed_at = ?3 WHERE id = ?1")?
                .execute(params![case.id, reason.as_str(), now])?;
        }
        Action::Reopen => {
            tx.prepare_cached("UPDATE cases SET close_reason = NULL, closed_at = NULL, responded_on = NULL WHERE id = ?1")?.execute(
                params![case.id],
            )?;
            tx.prepare_cached("UPDATE deadlines SET status = 'open' WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond' AND status = 'cancelled'")?.execute(
                params![case.id, case.stage],
            )?;
        }
    }
    tx.prepare_cached("UPDATE cases SET state = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![case.id, to.as_str(), now])?;
    insert_event(
        tx,
        case.id,
        at,
        actor,
        &action.name(),
        Some(from.as_str()),
        Some(to.as_str()),
        detail,
    )?;
    if to != State::Closed && case.kind == Kind::Complaint.as_str() {
        refresh_deadlines(tx, case.id, policy, cal)?;
    }
    Ok(case.id)
}

/// Find a case by reference on any connection (a transaction included).
pub(crate) fn find_case_on(conn: &Connection, reference: &str) -> Result<CaseRow> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1"
    );
    conn.query_row(&sql, [reference.trim().to_ascii_uppercase()], case_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(reference.to_string()))
}

/// A letter owed to a customer, asked for in the transaction that owes it.
#[derive(Debug, Clone)]
pub struct LetterRequest<'a> {
    pub case_id: i64,
    /// The case's reference (part of the letter's Message-ID).
    pub reference: &'a str,
    /// Template name: acknowledgement, holding, stage-response, ...
    pub kind: &'a str,
    pub to_addr: Option<&'a str>,
    /// The customer's Message-ID we answer, so mail clients thread our letter.
    pub in_reply_to: Option<&'a str>,
    /// Space-separated Message-IDs for the References header.
    pub references: Option<&'a str>,
    /// Template data beyond the case itself (JSON object).
    pub data: serde_json::Value,
    pub automatic: bool,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    /// Domain for our Message-ID (the inbox's domain).
    pub domain: &'a str,
}

/// Ask for a letter: stored as 'pending' with its Message-ID fixed now, so that however
/// often rendering or sending is retried, the customer can receive it once only.
pub fn request_letter(conn: &Connection, req: &LetterRequest) -> Result<i64> {
    // The row id makes the Message-ID unique for ever: letters are never deleted (an
    // erasure blanks them), so the next id is the largest plus one, as SQLite would
    // choose it, and we are inside the write transaction that takes it.
    let id: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM letters")?
        .query_row([], |r| r.get(0))?;
    let message_id = format!(
        "<{}.{}.{}@{}>",
        req.reference.to_ascii_lowercase(),
        req.kind,
        id,
        req.domain
    );
    conn.prepare_cached("INSERT INTO letters (id, case_id, kind, message_id, to_addr, subject, body_text, status, created_at,
                              in_reply_to, refs, data, automatic, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, '', '', 'pending', ?6, ?7, ?8, ?9, ?10, ?11)")?.execute(
        params![
            id,
            req.case_id,
            req.kind,
            message_id,
            req.to_addr,
            stamp(req.at),
            req.in_reply_to,
            req.references,
            req.data.to_string(),
            req.automatic as i64,
            req.actor
        ],
    )?;
    insert_event(
        conn,
        req.case_id,
        req.at,
        req.actor,
        "letter requested",
        None,
        None,
        Some(&format!("{} letter {}", req.kind, message_id)),
    )?;
    Ok(id)
}

/// Automatic letters to `addr` created since `since` (RFC 3339), its plus-addressed
/// forms (`name+tag@domain`) counted as the address itself (`name@domain`).
pub fn automatic_letters_to(conn: &Connection, addr: &str, since: &str) -> Result<u32> {
    let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
    let base = local.split('+').next().unwrap_or(local);
    // Every "base+...@domain" sorts between "base+" and "base," ('+' + 1): one range
    // of the (to_addr, created_at) index, then the domain checked on the few found.
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM letters WHERE to_addr = ?1 AND automatic = 1 AND created_at >= ?2)
                  + (SELECT COUNT(*) FROM letters WHERE to_addr >= ?3 AND to_addr < ?4 AND automatic = 1
                     AND created_at >= ?2 AND substr(to_addr, -length(?5)) = ?5)",
        )?
        .query_row(
            params![
                format!("{base}@{domain}"),
                since,
                format!("{base}+"),
                format!("{base},"),
                format!("@{domain}")
            ],
            |r| r.get(0),
        )?)
}

/// Automatic letters answering mail in the clock hour `hour` ('YYYY-MM-DDTHH', UTC).
pub fn automatic_letters_in_hour(conn: &Connection, hour: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT n FROM auto_letter_hours WHERE hour = ?1")?
        .query_row([hour], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Count one more automatic letter answering mail in `hour`; the counts of earlier
/// days are dropped when an hour's first letter is counted.
pub fn count_automatic_letter(conn: &Connection, hour: &str) -> Result<()> {
    let n = conn
        .prepare_cached(
            "INSERT INTO auto_letter_hours (hour, n) VALUES (?1, 1)
             ON CONFLICT (hour) DO UPDATE SET n = n + 1 RETURNING n",
        )?
        .query_row([hour], |r| r.get::<_, i64>(0))?;
    if n == 1 {
        conn.prepare_cached("DELETE FROM auto_letter_hours WHERE hour < ?1")?
            .execute([&hour[..hour.len().min(10)]])?;
    }
    Ok(())
}

impl Store {
    /// Where a mailbox source has got to: (UIDVALIDITY, last UID stored).
    pub fn source_position(&self, source: &str) -> Result<Option<(Option<u32>, u32)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM mail_sources WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn save_source_position(
        &self,
        source: &str,
        uidvalidity: u32,
        last_uid: u32,
        at: DateTime<Utc>,
    ) -> Result<()> {
        save_position(&self.conn, source, uidvalidity, last_uid, at)
    }
}

/// [`Store::save_source_position`] inside a caller's transaction.
pub(crate) fn save_position(
    conn: &Connection,
    source: &str,
    uidvalidity: u32,
    last_uid: u32,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO mail_sources (source, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source) DO UPDATE SET uidvalidity = excluded.uidvalidity,
            last_uid = excluded.last_uid, updated_at = excluded.updated_at")?.execute(
        params![source, uidvalidity, last_uid, stamp(at)],
    )?;
    Ok(())
}

/// A pause of a case's deadlines.
#[derive(Debug, Clone, Serialize)]
pub struct PauseRow {
    pub stage: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub reason: String,
}

impl Store {
    pub fn pauses(&self, case_id: i64) -> Result<Vec<PauseRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT stage, started_on, ended_on, reason FROM pauses WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(PauseRow {
                    stage: r.get(0)?,
                    started_on: r.get(1)?,
                    ended_on: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// A quarantined message, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineRow {
    pub id: i64,
    pub source: String,
    pub reason: String,
    pub received_at: String,
    pub size: i64,
}

impl Store {
    pub fn quarantine(&self) -> Result<Vec<QuarantineRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, source, reason, received_at, length(raw) FROM quarantine ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QuarantineRow {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    reason: r.get(2)?,
                    received_at: r.get(3)?,
                    size: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The raw bytes of a quarantined message, for an officer to inspect.
    /// Quarantined messages whose bytes contain `email` as a whole address (ASCII
    /// case ignored): for a subject access export.
    pub fn quarantined_mentioning(&self, email: &str) -> Result<Vec<Quarantined>> {
        let needle = email.trim().to_ascii_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        // Every row is matched here on its bytes, one at a time, rather than with
        // SQL text functions: quarantined mail is often not valid text. The match is
        // on whole addresses only (not bob@x inside jimbob@x), so that nobody else's
        // message is exported.
        let mut stmt = self
            .conn
            .prepare("SELECT id, received_at, reason, raw FROM quarantine ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let raw = r.get_ref(3)?.as_bytes().unwrap_or_default();
            if contains_address(raw, needle.as_bytes()) {
                out.push(Quarantined {
                    id: r.get(0)?,
                    received_at: r.get(1)?,
                    reason: r.get(2)?,
                    raw: raw.to_vec(),
                });
            }
        }
        Ok(out)
    }

    pub fn quarantined_raw(&self, id: i64) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT raw FROM quarantine WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::Refused(format!("no quarantined message with id {id}")))
    }
}

/// A quarantined message with its bytes.
pub struct Quarantined {
    pub id: i64,
    pub received_at: String,
    pub reason: String,
    pub raw: Vec<u8>,
}

/// Whether `haystack` holds the address `needle` (lower case) whole: not as the tail
/// of a longer local part or the head of a longer domain (ASCII case ignored).
pub(crate) fn contains_address(haystack: &[u8], needle: &[u8]) -> bool {
    if !needle.contains(&b'@') || haystack.len() < needle.len() {
        return false;
    }
    let lower = haystack.to_ascii_lowercase();
    // Anything RFC 5322 allows in a local part (and any UTF-8 byte): o'bob@x and
    // jos\u{e9}bob@x are not bob@x.
    let local =
        |b: u8| b.is_ascii_alphanumeric() || b >= 0x80 || b".!#$%&'*+-/=?^_`{|}~".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    lower.windows(needle.len()).enumerate().any(|(i, w)| {
        let after = &lower[i + needle.len()..];
        w == needle
            && (i == 0 || !local(lower[i - 1]))
            // The domain goes on if a letter, digit or hyphen follows, or a dot and then one.
            && !after.first().is_some_and(|&b| domain(b))
            && !(after.first() == Some(&b'.') && after.get(1).is_some_and(|&b| domain(b)))
    })
}

/// Attributes an officer may set directly; each change is an event.
#[derive(Debug, Clone, Copy)]
pub enum CaseField {
    Officer,
    Service,
    Category,
    Outcome,
    Flagged,
    Kind,
}

impl CaseField {
    fn column(self) -> &'static str {
        match self {
            CaseField::Officer => "officer",
            CaseField::Service => "service",
            CaseField::Category => "category",
            CaseField::Outcome => "outcome",
            CaseField::Flagged => "flagged",
            CaseField::Kind => "kind",
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_event(
    conn: &Connection,
    case_id: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    from_state: Option<&str>,
    to_state: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO events (case_id, at, actor, kind, from_state, to_state, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(
        params![case_id, stamp(at), actor, kind, from_state, to_state, detail],
    )?;
    Ok(())
}

/// The next reference for `prefix` in `year`: sequential per year, never reused (the
/// counter only ever goes up, in the same transaction as the case it names).
pub(crate) fn next_reference(tx: &Connection, prefix: &str, year: i32) -> Result<String> {
    let n: i64 = tx
        .prepare_cached(
            "INSERT INTO reference_counters (prefix, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
         RETURNING last",
        )?
        .query_row(params![prefix, year], |r| r.get(0))?;
    Ok(format!("{prefix}-{year}-{n:05}"))
}

/// The customer with `email`, created if new. A name given replaces the one held: the
/// latest name a resident gives is the one their letters use, so a name someone else
/// gave first (a spoofed message, a typo in a form) does not stay on them for ever.
pub(crate) fn upsert_customer(
    tx: &Connection,
    email: &str,
    name: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let email = email.trim();
    Ok(tx
        .prepare_cached(
            "INSERT INTO customers (email, name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, customers.name)
             RETURNING id",
        )?
        .query_row(params![email, name, stamp(at)], |r| r.get(0))?)
}

/// Insert a case inside a caller's transaction (ingestion stores the message in the
/// same one), optionally already acknowledged (state and date) when the caller stores
/// the acknowledgement in that transaction too; the deadlines are computed from the
/// case as written. Returns (id, reference).
pub(crate) fn create_case_with(
    tx: &Connection,
    new: &NewCase,
    policy: &Policy,
    prefix: &str,
    cal: &Calendar,
    actor: &str,
    acknowledged: Option<(&str, NaiveDate)>,
) -> Result<(i64, String)> {
    let received_on = london_date(new.received_at);
    let customer = upsert_customer(tx, new.email, new.name, new.received_at)?;
    use chrono::Datelike;
    let reference = next_reference(tx, prefix, received_on.year())?;
    let stage = policy.first_stage().id.clone();
    let now = stamp(new.received_at);
    tx.prepare_cached(
        "INSERT INTO cases (reference, policy, kind, state, stage, customer_id, subject, service,
                            received_at, received_on, updated_at, acknowledged_on)
         VALUES (?1, ?2, ?3, ?10, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?11)",
    )?
    .execute(params![
        &reference,
        policy.name,
        new.kind.as_str(),
        stage,
        customer,
        new.subject,
        new.service,
        now,
        iso(received_on),
        acknowledged.map_or(State::Received.as_str(), |(state, _)| state),
        acknowledged.map(|(_, on)| iso(on))
    ])?;
    let id = tx.last_insert_rowid();
    insert_event(
        tx,
        id,
        new.received_at,
        actor,
        "opened",
        None,
        Some(State::Received.as_str()),
        Some(&format!(
            "{} under policy {}",
            new.kind.as_str(),
            policy.name
        )),
    )?;
    let acknowledged_on = acknowledged.map(|(_, on)| on);
    let dues = match new.kind {
        Kind::Complaint => {
            let facts = deadline::Facts {
                acknowledged: acknowledged_on,
                ..deadline::Facts::received(received_on)
            };
            deadline::stage_deadlines(policy, &stage, &facts, cal)
        }
        Kind::Compliment | Kind::Comment => {
            deadline::feedback_deadlines(policy, new.kind == Kind::Compliment, received_on, cal)
        }
        Kind::ServiceRequest | Kind::OutOfScope => Vec::new(),
    };
    for due in &dues {
        // A new case's rows: plain inserts; the acknowledgement is met if it is written
        // acknowledged.
        let met_on = acknowledged_on
            .filter(|_| due.kind == deadline::Kind::Acknowledge)
            .map(|d| iso(d));
        upsert_deadline(tx, id, due, met_on.as_deref())?;
    }
    Ok((id, reference))
}

/// Insert a deadline (open, or met on `met_on`), or recompute an open one's date.
fn upsert_deadline(tx: &Connection, case_id: i64, due: &Due, met_on: Option<&str>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status, met_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?8 IS NULL THEN 'open' ELSE 'met' END, ?8)
         ON CONFLICT (case_id, stage, kind) DO UPDATE SET
            from_event = excluded.from_event, from_date = excluded.from_date,
            period = excluded.period, due = excluded.due
         WHERE deadlines.status = 'open'",
    )?
    .execute(params![
        case_id,
        due.stage,
        due.kind.as_str(),
        due.from.describe(),
        iso(due.from_date),
        due.period,
        iso(due.due),
        met_on
    ])?;
    Ok(())
}

/// Recompute the current stage's deadlines from the case's facts.
fn refresh_deadlines(tx: &Connection, case_id: i64, policy: &Policy, cal: &Calendar) -> Result<()> {
    let (stage, facts): (String, FactsRow) = tx.prepare_cached("SELECT stage, received_on, acknowledged_on, escalation_requested_on, investigation_started_on, responded_on
         FROM cases WHERE id = ?1")?.query_row(
        [case_id],
        |r| {
            Ok((
                r.get(0)?,
                FactsRow {
                    received_on: parse_date(r.get(1)?),
                    acknowledged_on: parse_date(r.get(2)?),
                    escalation_requested_on: parse_date(r.get(3)?),
                    investigation_started_on: parse_date(r.get(4)?),
                    responded_on: parse_date(r.get(5)?),
                },
            ))
        },
    )?;
    for due in deadline::stage_deadlines(policy, &stage, &facts.facts(), cal) {
        upsert_deadline(tx, case_id, &due, None)?;
    }
    Ok(())
}

fn mark_met(tx: &Connection, case_id: i64, stage: &str, kinds: &[&str], on: &str) -> Result<()> {
    for k in kinds {
        tx.execute(
            // A lapsed deadline is still met (late) when the step finally happens:
            // reports compare met_on with due.
            "UPDATE deadlines SET status = 'met', met_on = ?4 WHERE case_id = ?1 AND stage = ?2 AND kind = ?3 AND status IN ('open', 'lapsed')",
            params![case_id, stage, k, on],
        )?;
    }
    Ok(())
}

fn cancel_open(tx: &Connection, case_id: i64, stage: Option<&str>) -> Result<()> {
    match stage {
        Some(s) => tx.prepare_cached("UPDATE deadlines SET status = 'cancelled' WHERE case_id = ?1 AND stage = ?2 AND status = 'open'")?.execute(
            params![case_id, s],
        )?,
        None => tx.execute(
            // The satisfaction survey is owed after the case closes (West Lindsey).
            "UPDATE deadlines SET status = 'cancelled' WHERE case_id = ?1 AND status IN ('open', 'lapsed') AND kind != 'survey'",
            params![case_id],
        )?,
    };
    Ok(())
}

pub mod digest;
pub mod fixtures;
pub mod notifications;
pub mod outbox;
pub mod records;
pub mod schedule;

#[cfg(test)]
mod tests;
