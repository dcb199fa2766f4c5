//! Cases: read (one, by reference, filtered lists), attributes set by officers, and a
//! planned change written: [`apply_plan`] executes the writes a pure planner
//! ([`crate::plan`]) decided, in order, inside the caller's transaction. It decides
//! nothing.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::calendar::{london_date, Calendar};
use crate::case::{Case, FactsRow, Kind, State};
use crate::event::EventKind;
use crate::policy::Policy;

use super::deadlines::{apply_deadline_op, set_extension, set_open_deadline, upsert_deadline};
use super::search::{self, Index};
use super::{insert_event, request_letter, LetterRequest, Result, Store, StoreError};
use super::{Author, NewEvent};
use crate::plan::{Plan, Transition, Write};
use crate::text::Search;
use crate::time::{iso, stamp};

/// A new case, however it arrived (mail, phone, letter, officer entry).
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub kind: Kind,
    /// None for a resident with no email (answered by post at `address`).
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    /// Postal address lines, kept on the customer when given (empty: unchanged).
    pub address: &'a [String],
    /// How it reached the council when not by mail to the inbox (phone, letter, in person).
    pub via: Option<&'a str>,
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
    /// Only open cases overdue on this date (an officer's deadline lapsed, or open and
    /// due before it: as the dashboard and the digest count them).
    pub overdue_on: Option<NaiveDate>,
    /// Only open cases due soon: not overdue on the first date, with an officer's
    /// deadline due from the first date to the second (the dashboard's "due soon").
    pub due_soon: Option<(NaiveDate, NaiveDate)>,
    /// Only cases with no officer.
    pub unassigned: bool,
    /// Only cases waiting to triage.
    pub to_triage: bool,
    pub open_only: bool,
    /// Only cases flagged for an officer (never acknowledged, third-party mail, bounces...).
    pub flagged: bool,
    /// Received on or after / on or before these London dates.
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    /// Words looked for in the reference, the customer's name, email and address, the
    /// subject and the messages' text (the full-text index).
    pub search: Option<crate::text::Search>,
    /// Newest first (the desk's list) rather than oldest first.
    pub newest_first: bool,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// How long a search may take before it is stopped and refused in words (the
    /// desk's; None: as long as it takes).
    pub time_budget: Option<std::time::Duration>,
}

/// What an officer is told when a search ran out of time.
const TOO_SLOW: &str =
    "This search took too long. Type more of each word, or add a word or a filter to narrow it.";

/// A search's time budget on a connection: SQLite asks every few thousand steps, and
/// the statement under way stops once the time is past. Lifted when dropped.
struct Budget<'c>(&'c rusqlite::Connection);

impl<'c> Budget<'c> {
    fn start(conn: &'c rusqlite::Connection, budget: std::time::Duration) -> Budget<'c> {
        let until = std::time::Instant::now() + budget;
        conn.progress_handler(4_000, Some(move || std::time::Instant::now() > until));
        Budget(conn)
    }
}

impl Drop for Budget<'_> {
    fn drop(&mut self) {
        self.0.progress_handler(0, None::<fn() -> bool>);
    }
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
    c.received_on, c.acknowledged_on, c.escalation_requested_on, c.investigation_started_on, c.responded_on,
    (cu.email IS NULL OR TRIM(COALESCE(cu.restriction, '')) = 'letter-only'),
    EXISTS (SELECT 1 FROM approvals a WHERE a.case_id = c.id AND a.status = 'awaiting')";

fn case_from_row(r: &rusqlite::Row) -> rusqlite::Result<Case> {
    let past: String = r.get(12)?;
    Ok(Case {
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
        letters_by_post: r.get(24)?,
        next_due: r.get(18)?,
        awaiting_approval: r.get(25)?,
        facts: FactsRow {
            received_on: parse_date(r.get(19)?),
            acknowledged_on: parse_date(r.get(20)?),
            escalation_requested_on: parse_date(r.get(21)?),
            investigation_started_on: parse_date(r.get(22)?),
            responded_on: parse_date(r.get(23)?),
        },
    })
}

/// The filter's conditions as `SELECT c.id FROM cases c ... WHERE ...` and its
/// arguments (no search, order or page).
fn filter_sql(f: &CaseFilter) -> (String, Vec<String>) {
    let mut sql = String::from(
        "SELECT c.id FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE 1=1",
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
    if let Some(d) = f.received_from {
        arg(&mut sql, "c.received_on >=", iso(d));
    }
    if let Some(d) = f.received_to {
        arg(&mut sql, "c.received_on <=", iso(d));
    }
    if f.unassigned {
        sql.push_str(" AND (c.officer IS NULL OR c.officer = '')");
    }
    if f.to_triage {
        sql.push_str(&format!(" AND {}", super::dashboard::TO_TRIAGE));
    }
    if let Some(d) = f.overdue_on {
        // From the officers' open deadlines' index alone (it holds the case), not a
        // look at every case's deadlines.
        args.push(iso(d));
        sql.push_str(&format!(
            " AND c.state != 'closed' AND c.id IN ({})",
            super::dashboard::overdue_ids(args.len())
        ));
    }
    if let Some((from, to)) = f.due_soon {
        args.push(iso(from));
        args.push(iso(to));
        let (a, b) = (args.len() - 1, args.len());
        sql.push_str(&format!(
            " AND c.state != 'closed' AND c.id NOT IN ({}) AND c.id IN ({})",
            super::dashboard::overdue_ids(a),
            super::dashboard::due_between_ids(a, b)
        ));
    }
    (sql, args)
}

/// How many of the newest matches a page of search results is looked for in, before
/// every match is gathered (see [`Store::list_cases`]).
const SEARCH_HITS_TRIED: [usize; 2] = [1_000, 50_000];

impl Store {
    pub fn case_by_id(&self, id: i64) -> Result<Case> {
        case_on(&self.conn, id)
    }

    pub fn find_case(&self, reference: &str) -> Result<Case> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1"
        );
        self.conn
            .query_row(&sql, [reference.trim().to_ascii_uppercase()], case_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(reference.to_string()))
    }

    pub fn list_cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        if f.search.is_some() {
            search::catch_up(&self.conn)?;
        }
        // One snapshot for the several queries a search takes (its plan read from the
        // indexes' words, then their rows): a case ingested meanwhile is in all or none.
        self.conn.execute_batch("SAVEPOINT list_cases")?;
        let budget = f
            .time_budget
            .filter(|_| f.search.is_some())
            .map(|b| Budget::start(&self.conn, b));
        let listed = match self.list_cases_in_snapshot(f) {
            Err(StoreError::Sqlite(e))
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) =>
            {
                Err(StoreError::Search(TOO_SLOW.to_string()))
            }
            other => other,
        };
        drop(budget);
        self.conn.execute_batch(match listed {
            Ok(_) => "RELEASE list_cases",
            Err(_) => "ROLLBACK TO list_cases; RELEASE list_cases",
        })?;
        listed
    }

    /// How many cases match a filter's conditions (its search, order and page aside):
    /// the desk's "N cases" above a list.
    pub fn count_cases(&self, f: &CaseFilter) -> Result<i64> {
        let (sql, args) = filter_sql(f);
        let sql = sql.replacen("SELECT c.id FROM", "SELECT count(*) FROM", 1);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?)
    }

    fn list_cases_in_snapshot(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        // Which cases (ids, filtered, ordered and paged), then their columns: the next
        // deadline of every case matching a filter is not worked out before the page is
        // taken (the overdue filter on 1M cases: 122 ms, then 94 ms with the index).
        let (sql, mut args) = filter_sql(f);
        let order = if f.newest_first {
            " ORDER BY c.id DESC"
        } else {
            " ORDER BY c.id"
        };
        let tail = format!(
            "{order}{}",
            match (f.limit, f.offset) {
                (Some(n), Some(o)) => format!(" LIMIT {n} OFFSET {o}"),
                (Some(n), None) => format!(" LIMIT {n}"),
                (None, Some(o)) => format!(" LIMIT -1 OFFSET {o}"),
                (None, None) => String::new(),
            }
        );
        let run = |ids: &str, args: &[String]| -> Result<Vec<Case>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id
                 WHERE c.id IN ({ids}){order}"
            ))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), case_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        let Some(q) = &f.search else {
            return run(&format!("{sql}{tail}"), &args);
        };
        let [cases_plan, messages_plan] =
            [Index::Cases, Index::Messages].map(|i| search::plan(&self.conn, i, q));
        let plans = [cases_plan?, messages_plan?];
        // A word in most cases ("bins") matches hundreds of thousands: gathering every
        // match takes seconds. So the newest matches are gathered first, and more only
        // when they do not fill the page with cases newer than any match left out.
        if f.newest_first && f.limit.is_some() {
            for most in SEARCH_HITS_TRIED {
                let (ids, complete_from) = self.search_hits(q, &plans, most)?;
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                let rows = run(
                    &format!("{sql} AND c.id IN ({}){tail}", ids.join(",")),
                    &args,
                )?;
                // Newest first: the page is right when its oldest case is in the range
                // where every match was gathered.
                let full = Some(rows.len()) == f.limit;
                if complete_from == 0
                    || (full && rows.last().is_some_and(|c| c.id >= complete_from))
                {
                    return Ok(rows);
                }
            }
        }
        // Every match, the slow way where a prefix is common: one such search at a time.
        let mut _one = None;
        for plan in &plans {
            if let search::Plan::Checked { .. } = plan {
                plan.may_gather()?;
                if _one.is_none() {
                    _one = Some(search::slow_gather()?);
                }
            }
        }
        let mut matched: Vec<String> = Vec::new();
        for (index, plan) in Index::BOTH.into_iter().zip(&plans) {
            let Some(fts) = search::query(plan, q) else {
                continue;
            };
            args.push(fts);
            let n = args.len();
            matched.push(match index {
                Index::Cases => format!(
                    "c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?{n})"
                ),
                Index::Messages => format!(
                    "c.id IN (SELECT m.case_id FROM message_search ms JOIN messages m ON m.id = ms.rowid
                              WHERE message_search MATCH ?{n})"
                ),
            });
        }
        if matched.is_empty() {
            return Ok(Vec::new());
        }
        run(
            &format!("{sql} AND ({}){tail}", matched.join(" OR ")),
            &args,
        )
    }

    /// The cases whose own text or messages match a search, from the newest `most`
    /// matches in each index (newest by case, and by message), and the case id from
    /// which on that is every match: 0 when it is all of them.
    fn search_hits(
        &self,
        q: &Search,
        plans: &[search::Plan; 2],
        most: usize,
    ) -> Result<(Vec<i64>, i64)> {
        let over = |n: usize| n >= most;
        let mut ids = search::newest(&self.conn, Index::Cases, q, &plans[0], most)?;
        // Cases are numbered in order: every case matching by its own text from the
        // last one gathered on is there.
        let mut complete_from = match ids.last() {
            Some(&last) if over(ids.len()) => last,
            _ => 0,
        };
        let found = search::newest(&self.conn, Index::Messages, q, &plans[1], most)?;
        if let Some(&oldest) = found.last().filter(|_| over(found.len())) {
            // Messages are numbered in order, cases not by them (an old case gets a new
            // reply): a match left out is in a message older than `oldest`, so on a
            // case no newer than the newest case holding such a message.
            let newest_left: Option<i64> = self
                .conn
                .prepare_cached(
                    "SELECT case_id FROM messages INDEXED BY messages_case
                     WHERE case_id IS NOT NULL AND id < ?1 ORDER BY case_id DESC LIMIT 1",
                )?
                .query_row([oldest], |r| r.get(0))
                .optional()?;
            complete_from = complete_from.max(newest_left.map_or(0, |c| c + 1));
        }
        let mut case_of = self
            .conn
            .prepare_cached("SELECT case_id FROM messages WHERE id = ?1")?;
        for message in found {
            if let Some(case) = case_of
                .query_row([message], |r| r.get::<_, Option<i64>>(0))
                .optional()?
                .flatten()
            {
                ids.push(case);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok((ids, complete_from))
    }

    /// The officers' queue: open cases assigned to `officer` and the open unassigned
    /// ones, the next deadline first (cases with none last).
    pub fn queue_cases(&self, officer: &str, limit: usize) -> Result<Vec<Case>> {
        // The open states named, so that the index on state serves.
        let open: Vec<String> = State::ALL
            .into_iter()
            .filter(|s| *s != State::Closed)
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mine = format!(
            "c.state IN ({}) AND (c.officer = ?1 OR c.officer IS NULL OR c.officer = '')",
            open.join(",")
        );
        // Open deadlines in date order (index deadlines_open_due), until `limit` cases:
        // not every open case's deadlines read and sorted (24,000 of 1M cases: 200 ms).
        let mut ids: Vec<i64> = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT d.case_id FROM deadlines d JOIN cases c ON c.id = d.case_id
                 WHERE d.status = 'open' AND {mine} ORDER BY d.due, d.case_id"
            ))?;
            let mut rows = stmt.query(params![officer])?;
            while ids.len() < limit {
                let Some(row) = rows.next()? else { break };
                let id: i64 = row.get(0)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let mut cases = Vec::with_capacity(ids.len());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?1"
        ))?;
        for id in &ids {
            cases.push(stmt.query_row([id], case_from_row)?);
        }
        // Then the cases with no open deadline.
        if cases.len() < limit {
            let sql = format!(
                "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id
                 WHERE {mine} AND NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = c.id AND d.status = 'open')
                 ORDER BY c.id LIMIT ?2"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rest = stmt
                .query_map(
                    params![officer, (limit - cases.len()) as i64],
                    case_from_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            cases.extend(rest);
        }
        Ok(cases)
    }

    /// Set a plain attribute of a case (officer, service, category, outcome) with an event.
    pub fn set_field(
        &mut self,
        reference: &str,
        field: CaseField,
        value: Option<&str>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<Case> {
        let case = self.find_case(reference)?;
        let col = field.column();
        // A savepoint: joins a caller's transaction (`batch`, `dry_run`) when there is one.
        let tx = self.conn.savepoint()?;
        super::freeze_pending_letters(&tx, case.id)?;
        tx.execute(
            &format!("UPDATE cases SET {col} = ?2, updated_at = ?3 WHERE id = ?1"),
            params![case.id, value, stamp(at)],
        )?;
        let detail = format!("{col}: {}", value.unwrap_or("(none)"));
        insert_event(
            &tx,
            &NewEvent {
                case_id: case.id,
                at,
                actor,
                kind: field.event(),
                from_state: None,
                to_state: None,
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        self.case_by_id(case.id)
    }
}

/// A case by id on any connection (a transaction included).
fn case_on(conn: &Connection, id: i64) -> Result<Case> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?1"
    );
    Ok(conn.query_row(&sql, [id], case_from_row)?)
}

/// Find a case by reference on any connection (a transaction included).
pub(super) fn find_case_on(conn: &Connection, reference: &str) -> Result<Case> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1"
    );
    conn.query_row(&sql, [reference.trim().to_ascii_uppercase()], case_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(reference.to_string()))
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

    /// The event setting it writes ("set officer", ...).
    fn event(self) -> EventKind {
        match self {
            CaseField::Officer => EventKind::SetOfficer,
            CaseField::Service => EventKind::SetService,
            CaseField::Category => EventKind::SetCategory,
            CaseField::Outcome => EventKind::SetOutcome,
            CaseField::Flagged => EventKind::SetFlagged,
            CaseField::Kind => EventKind::SetKind,
        }
    }
}

impl Store {
    /// Write `plan` for `case` in one transaction and return the case as stored.
    pub fn apply_plan(&mut self, case: &Case, plan: &Plan, by: &Author) -> Result<Case> {
        // A savepoint: a transaction of its own, or nested in a preview's dry run.
        let tx = self.conn.savepoint()?;
        apply_plan(&tx, case, plan, by)?;
        tx.commit()?;
        self.case_by_id(case.id)
    }
}

/// Whether the case's customer has neither an email nor a postal address (an anonymous
/// complaint): no letter can go to them.
fn nowhere_to_write(tx: &Connection, case: &Case) -> Result<bool> {
    if case.customer_email.is_some() {
        return Ok(false);
    }
    let address: Option<String> = tx
        .prepare_cached(
            "SELECT cu.address FROM cases c JOIN customers cu ON cu.id = c.customer_id
             WHERE c.id = ?1",
        )?
        .query_row([case.id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(address.is_none_or(|a| a.trim().is_empty()))
}

/// Write `plan` for `case` inside the caller's transaction.
pub(crate) fn apply_plan(tx: &Connection, case: &Case, plan: &Plan, by: &Author) -> Result<()> {
    // The response a transition of this plan recorded, for the outcome after it.
    let mut response: Option<i64> = None;
    // The deadlines the plan met and its first letter: for a customer whose letters are
    // posted, the letter meets them only once it is posted.
    let mut met: Vec<(&str, crate::deadline::Kind)> = Vec::new();
    let mut letter: Option<i64> = None;
    for w in &plan.writes {
        // A letter asked for and not yet rendered keeps the case as it was.
        if !matches!(
            w,
            Write::Letter(_)
                | Write::Event { .. }
                | Write::Flag(_)
                | Write::Notify { .. }
                | Write::Triaged(_)
                | Write::Director(_)
                | Write::AwaitApproval { .. }
                | Write::ApprovalDecided { .. }
                | Write::Learning { .. }
        ) {
            super::freeze_pending_letters(tx, case.id)?;
        }
        match w {
            Write::Transition(t) => {
                response = write_transition(tx, case, t, by)?.or(response);
                for op in &t.deadlines {
                    if let crate::plan::DeadlineOp::MarkMet { stage, kinds, .. } = op {
                        met.extend(kinds.iter().map(|k| (stage.as_str(), *k)));
                    }
                }
            }
            Write::Letter(l) if nowhere_to_write(tx, case)? => {
                // An anonymous complaint: no email and no postal address. Nothing is
                // sent; the timeline says which letter was not written, and why.
                insert_event(
                    tx,
                    &NewEvent {
                        case_id: case.id,
                        at: by.at,
                        actor: by.actor,
                        kind: EventKind::NoLetter,
                        from_state: None,
                        to_state: None,
                        detail: Some(&format!(
                        "{}: the complainant is anonymous (no email or postal address to write to)",
                        l.kind
                    )),
                    },
                )?;
            }
            Write::Letter(l) => {
                let last = latest_customer_message(tx, case)?;
                let id = request_letter(
                    tx,
                    &LetterRequest {
                        case_id: case.id,
                        reference: &case.reference,
                        kind: l.kind,
                        to_addr: case.customer_email.as_deref(),
                        in_reply_to: last.as_deref(),
                        references: last.as_deref(),
                        data: l.data.clone(),
                        automatic: l.automatic,
                        actor: by.actor,
                        at: by.at,
                        domain: by.domain,
                    },
                )?;
                super::outbox::enclose(tx, case.id, id, &l.enclosures, by)?;
                letter = letter.or(Some(id));
            }
            Write::Event { kind, detail } => insert_event(
                tx,
                &NewEvent {
                    case_id: case.id,
                    at: by.at,
                    actor: by.actor,
                    kind: *kind,
                    from_state: None,
                    to_state: None,
                    detail: detail.as_deref(),
                },
            )?,
            Write::Outcome {
                stage,
                on,
                outcome,
                category,
            } => {
                tx.prepare_cached(
                    "UPDATE cases SET outcome = COALESCE(?2, outcome), category = COALESCE(?3, category) WHERE id = ?1",
                )?
                .execute(params![case.id, outcome, category])?;
                // The response the transition before recorded (meeting its deadline),
                // else one with no deadline to meet.
                match response.take() {
                    Some(id) => tx
                        .prepare_cached("UPDATE responses SET outcome = ?2 WHERE id = ?1")?
                        .execute(params![id, outcome])?,
                    None => tx
                        .prepare_cached(
                            "INSERT INTO responses (case_id, stage, sent_on, outcome) VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![case.id, stage, iso(*on), outcome])?,
                };
            }
            Write::Extension {
                stage,
                from,
                period,
                due,
            } => set_extension(tx, case.id, stage, *from, period, *due)?,
            Write::Flag(why) => flag_case(tx, case.id, why)?,
            Write::SetDeadline {
                stage,
                kind,
                status,
                met_on,
            } => set_open_deadline(tx, case.id, stage, *kind, *status, *met_on)?,
            Write::Kind(kind) => {
                tx.prepare_cached("UPDATE cases SET kind = ?2 WHERE id = ?1")?
                    .execute(params![case.id, kind.as_str()])?;
            }
            Write::Director(step) => super::directors::write(tx, case.id, step, by)?,
            Write::Triaged(resolution) => {
                super::intake::resolve_suggestion(tx, case.id, resolution, by.actor, by.at)?
            }
            Write::AwaitApproval {
                stage,
                response,
                why,
            } => super::approvals::await_approval(tx, case.id, stage, response, why, by)?,
            Write::ApprovalDecided {
                id,
                by: approver,
                approved,
                reason,
            } => super::approvals::decided(
                tx,
                case.id,
                *id,
                approver,
                *approved,
                reason.as_deref(),
                by.at,
            )?,
            Write::Learning {
                stage,
                on,
                learning,
                action,
            } => super::approvals::learnt(tx, case.id, stage, *on, learning, action, by)?,
            Write::Notify {
                key,
                to,
                subject,
                body,
            } => {
                for (name, email) in to {
                    super::notifications::queue(
                        tx,
                        &format!("{key}:{name}"),
                        by.domain,
                        email,
                        subject,
                        body,
                        by.at,
                    )?;
                }
            }
        }
    }
    if let (true, Some(letter)) = (case.letters_by_post, letter) {
        super::deadlines::hold_for_letter(tx, case.id, &met, letter)?;
    }
    Ok(())
}

/// Write a transition; the id of the response it recorded, if it met a respond deadline.
fn write_transition(
    tx: &Connection,
    case: &Case,
    t: &Transition,
    by: &Author,
) -> Result<Option<i64>> {
    let mut response = None;
    let f = &t.facts;
    let set = |v: Option<Option<chrono::NaiveDate>>| (v.is_some(), v.flatten().map(iso));
    let (ack, ack_on) = set(f.acknowledged_on);
    let (inv, inv_on) = set(f.investigation_started_on);
    let (resp, resp_on) = set(f.responded_on);
    let (esc, esc_on) = set(f.escalation_requested_on);
    let now = stamp(by.at);
    tx.prepare_cached(
        "UPDATE cases SET state = ?2, updated_at = ?3,
            acknowledged_on = CASE WHEN ?4 THEN ?5 ELSE acknowledged_on END,
            investigation_started_on = CASE WHEN ?6 THEN ?7 ELSE investigation_started_on END,
            responded_on = CASE WHEN ?8 THEN ?9 ELSE responded_on END,
            escalation_requested_on = CASE WHEN ?10 THEN ?11 ELSE escalation_requested_on END,
            stage = COALESCE(?12, stage),
            officer = CASE WHEN ?13 THEN NULL ELSE officer END,
            past_officers = COALESCE(?14, past_officers),
            reached_stage = MAX(reached_stage, COALESCE(?15, reached_stage)),
            close_reason = CASE WHEN ?16 THEN ?17 ELSE close_reason END,
            closed_at = CASE WHEN ?16 THEN ?18 ELSE closed_at END
         WHERE id = ?1",
    )?
    .execute(params![
        case.id,
        t.to,
        now,
        ack,
        ack_on,
        inv,
        inv_on,
        resp,
        resp_on,
        esc,
        esc_on,
        f.stage,
        f.officer_cleared,
        f.past_officers.as_ref().map(|p| p.join(",")),
        f.reached_stage,
        f.close.is_some(),
        f.close.flatten(),
        f.close.flatten().map(|_| now.clone()),
    ])?;
    for op in &t.deadlines {
        response = apply_deadline_op(tx, case.id, op)?.or(response);
    }
    insert_event(
        tx,
        &NewEvent {
            case_id: case.id,
            at: by.at,
            actor: by.actor,
            kind: EventKind::Transition(t.action),
            from_state: Some(t.from.as_str()),
            to_state: Some(t.to.as_str()),
            detail: t.detail.as_deref(),
        },
    )?;
    for due in &t.recomputed {
        upsert_deadline(tx, case.id, due, None)?;
    }
    Ok(response)
}

/// The Message-ID (in angle brackets) our letter threads on: the customer's latest
/// message on the case that they wrote (never an out-of-office or other automatic
/// reply), or else our own latest letter sent ([`crate::thread::letter_parent`]).
fn latest_customer_message(tx: &Connection, case: &Case) -> Result<Option<String>> {
    // Newest first; a few are plenty to get past a run of out-of-office replies.
    let theirs = tx
        .prepare_cached(
            "SELECT message_id, no_reply_reason FROM messages WHERE case_id = ?1 AND message_id IS NOT NULL AND from_addr = ?2 ORDER BY id DESC LIMIT 20",
        )?
        .query_map(params![case.id, case.customer_email], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<Vec<(String, Option<String>)>>>()?;
    let ours: Option<String> = tx
        .prepare_cached(
            "SELECT message_id FROM letters WHERE case_id = ?1 AND status = 'sent' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([case.id], |r| r.get(0))
        .optional()?;
    Ok(crate::thread::letter_parent(&theirs, ours.as_deref()))
}

/// Add `why` to the case's flag for an officer (kept, separated by "; ").
pub(super) fn flag_case(tx: &Connection, case_id: i64, why: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE cases SET flagged = CASE WHEN flagged IS NULL OR flagged = '' THEN ?2 ELSE flagged || '; ' || ?2 END WHERE id = ?1",
    )?
    .execute(params![case_id, why])?;
    Ok(())
}

impl Store {
    /// Open a case: customer, reference, first event and deadlines, in one transaction.
    pub fn create_case(
        &mut self,
        new: &NewCase,
        policy: &Policy,
        prefix: &str,
        cal: &Calendar,
        actor: &str,
    ) -> Result<Case> {
        let tx = self.conn.transaction()?;
        let (id, _) = create_case_with(&tx, new, policy, prefix, cal, actor, None)?;
        super::search::index_new(&tx)?;
        tx.commit()?;
        self.case_by_id(id)
    }

    /// Open a case and write the plan `then` makes for it (its first step: an
    /// acknowledgement, say), all in one transaction: if `then` refuses, no case is
    /// opened.
    pub fn create_case_then<E: From<StoreError>>(
        &mut self,
        new: &NewCase,
        policy: &Policy,
        prefix: &str,
        cal: &Calendar,
        by: &Author,
        then: impl FnOnce(&Case) -> std::result::Result<Option<Plan>, E>,
    ) -> std::result::Result<Case, E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let (id, _) = create_case_with(&tx, new, policy, prefix, cal, by.actor, None)?;
        super::search::index_new(&tx)?;
        let case = case_on(&tx, id)?;
        if let Some(plan) = then(&case)? {
            apply_plan(&tx, &case, &plan, by)?;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(self.case_by_id(id)?)
    }
}

/// Insert a case inside a caller's transaction (ingestion stores the message in the
/// same one), optionally already acknowledged (state and date) when the caller stores
/// the acknowledgement in that transaction too; the deadlines are computed from the
/// case as written. Returns (id, reference).
pub(super) fn create_case_with(
    tx: &Connection,
    new: &NewCase,
    policy: &Policy,
    prefix: &str,
    cal: &Calendar,
    actor: &str,
    acknowledged: Option<(&str, NaiveDate)>,
) -> Result<(i64, String)> {
    let received_on = london_date(new.received_at);
    let customer = upsert_customer(tx, new.email, new.name, new.address, new.received_at)?;
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
        &NewEvent {
            case_id: id,
            at: new.received_at,
            actor,
            kind: EventKind::Opened,
            from_state: None,
            to_state: Some(State::Received.as_str()),
            detail: Some(&match new.via {
                Some(via) => format!(
                    "{} under policy {}, received by {via}",
                    new.kind.as_str(),
                    policy.name
                ),
                None => format!("{} under policy {}", new.kind.as_str(), policy.name),
            }),
        },
    )?;
    let acknowledged_on = acknowledged.map(|(_, on)| on);
    for (due, met_on) in
        crate::plan::new_case_deadlines(new.kind, policy, received_on, acknowledged_on, cal)
    {
        upsert_deadline(tx, id, &due, met_on.map(iso).as_deref())?;
    }
    Ok((id, reference))
}

/// The next reference for `prefix` in `year`: sequential per year, never reused (the
/// counter only ever goes up, in the same transaction as the case it names).
fn next_reference(tx: &Connection, prefix: &str, year: i32) -> Result<String> {
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
fn upsert_customer(
    tx: &Connection,
    email: Option<&str>,
    name: Option<&str>,
    address: &[String],
    at: DateTime<Utc>,
) -> Result<i64> {
    let address = address_text(address);
    let Some(email) = email.map(str::trim) else {
        // No email: nothing identifies them across cases, so each is a new customer.
        return Ok(tx
            .prepare_cached(
                "INSERT INTO customers (email, name, address, created_at) VALUES (NULL, ?1, ?2, ?3)
                 RETURNING id",
            )?
            .query_row(params![name, address, stamp(at)], |r| r.get(0))?);
    };
    Ok(tx
        .prepare_cached(
            "INSERT INTO customers (email, name, address, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, customers.name),
                 address = COALESCE(excluded.address, customers.address)
             RETURNING id",
        )?
        .query_row(params![email, name, address, stamp(at)], |r| r.get(0))?)
}

/// Postal address lines as stored: one per line, blanks dropped; None if none.
pub(super) fn address_text(lines: &[String]) -> Option<String> {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
