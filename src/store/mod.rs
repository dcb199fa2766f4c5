//! The case store: SQLite on disk (WAL, foreign keys on, migrations embedded and run
//! at open). All SQL lives here. Every change to a case is written in one transaction
//! together with the event that records it.

use crate::time::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::path::Path;

use crate::case::{CloseReason, IllegalTransition, Kind, State};
use crate::deadline;
use crate::event::EventKind;

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
    include_str!("migrations/12_postal_customers.sql"),
    include_str!("migrations/13_responses.sql"),
    include_str!("migrations/14_letter_as_of.sql"),
    include_str!("migrations/15_restriction_contact.sql"),
    include_str!("migrations/16_extended_deadlines.sql"),
    include_str!("migrations/17_web_accounts.sql"),
    include_str!("migrations/18_case_search.sql"),
    include_str!("migrations/19_account_events.sql"),
    include_str!("migrations/20_quarantine_release.sql"),
    include_str!("migrations/21_letter_attachments.sql"),
    include_str!("migrations/22_sign_in_attempts_at.sql"),
    include_str!("migrations/23_search_terms.sql"),
    include_str!("migrations/24_open_deadlines_cover_case.sql"),
    include_str!("migrations/25_response_deadlines.sql"),
    include_str!("migrations/26_triage_and_representatives.sql"),
    include_str!("migrations/27_held_letters.sql"),
    include_str!("migrations/28_user_names_nocase.sql"),
    include_str!("migrations/29_throttle_and_claims.sql"),
    include_str!("migrations/30_latest_responses.sql"),
    include_str!("migrations/31_behaviour_and_directors.sql"),
    include_str!("migrations/32_approval_and_learning.sql"),
    include_str!("migrations/33_staff_directory.sql"),
    include_str!("migrations/34_dashboard.sql"),
    include_str!("migrations/35_customer_phone.sql"),
];

/// How long a statement waits for another connection's write lock before it fails.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
    /// A search that cannot be run as asked (too broad, too slow, the desk busy),
    /// worded for the officer.
    #[error("{0}")]
    Search(String),
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
/// The migration (0-based) that rebuilds `customers`: foreign keys are off while it
/// runs (they cannot change inside a transaction) and checked before it commits.
const REBUILDS_CUSTOMERS: usize = 11;

/// The migration (0-based) that makes account names unique without regard to case:
/// a database holding names that differ only in case is refused before it runs.
const NAMES_NOCASE: usize = 27;

/// Refuse, in one line naming them, accounts whose names differ only in case. They are
/// not renamed here: a name is what cases are assigned to and events recorded under,
/// so which one becomes what is for an admin to decide (nothing is changed).
fn refuse_names_differing_only_in_case(tx: &Connection, path: &str) -> Result<()> {
    let clashes: Vec<String> = tx
        .prepare(
            "SELECT group_concat(quote(name) || ' (id ' || id || ')', ' and ') FROM
             (SELECT id, name FROM users ORDER BY id)
             GROUP BY name COLLATE NOCASE HAVING count(*) > 1 ORDER BY min(id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if clashes.is_empty() {
        return Ok(());
    }
    Err(StoreError::Refused(format!(
        "{path}: account names must be unique without regard to case, and {} differ only in case; \
         rename one of each (sqlite3 {path} \"UPDATE users SET name = 'NEW' WHERE id = ID\") \
         and start again; nothing was changed",
        clashes.join("; ")
    )))
}

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

impl From<StoreError> for crate::plan::WorkflowError {
    fn from(e: StoreError) -> Self {
        crate::plan::WorkflowError::Store(Box::new(e))
    }
}

pub struct Store {
    conn: Connection,
}

/// Enums stored as their kebab-case names: parsed once as rows are read, so unknown
/// text in the database is a conversion error naming it, never a panic.
macro_rules! text_column {
    ($t:ty, $what:literal) => {
        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let s = v.as_str()?;
                <$t>::parse(s).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(
                        format!("unknown {} '{s}' in the database", $what).into(),
                    )
                })
            }
        }
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }
    };
}
text_column!(Kind, "case kind");
text_column!(State, "case state");
text_column!(CloseReason, "close reason");
text_column!(deadline::Kind, "deadline kind");
text_column!(deadline::Status, "deadline status");

impl Store {
    /// Run `f` on the store and undo everything it wrote: a preview of an action sees
    /// the database as the action would leave it, and nothing is kept. Writes inside
    /// `f` that use savepoints nest in this one; it is rolled back whatever `f` returns.
    pub fn dry_run<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("SAVEPOINT dry_run")
            .map_err(StoreError::from)?;
        let out = f(self);
        let undone = self
            .conn
            .execute_batch("ROLLBACK TO dry_run; RELEASE dry_run")
            .map_err(StoreError::from);
        let v = out?;
        undone?;
        Ok(v)
    }

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

    /// Open `path` and migrate it only up to schema version `version` (no further):
    /// how the upgrade tests make a database as an earlier release left it. Not for
    /// use on a real database: nothing else in this build reads an old schema.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: usize) -> Result<Store> {
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            msg: e.to_string(),
        })?;
        Store::setup_to(
            conn,
            &path.display().to_string(),
            version.min(MIGRATIONS.len()),
        )
    }

    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(conn: Connection, path: &str) -> Result<Store> {
        Store::setup_to(conn, path, MIGRATIONS.len())
    }

    /// [`Store::setup`], migrating up to schema version `upto` only.
    fn setup_to(mut conn: Connection, path: &str, upto: usize) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Turning a new file to WAL needs it alone: two processes opening it together
        // would each be refused at once (SQLite does not wait there), so try again.
        let mut tries = 0;
        while let Err(e) = conn.pragma_update(None, "journal_mode", "WAL") {
            let busy = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy);
            tries += 1;
            if !busy || tries == 100 {
                return Err(e.into());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Savepoints per ingested message would otherwise write temp files.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Ingesting one message runs about 30 distinct statements: keep them all prepared.
        conn.set_prepared_statement_cache_capacity(128);
        // Every transaction the store opens writes: it takes the write lock when it
        // begins, so that a writer (the daemon, the desk, a CLI command) waits for
        // another rather than failing when it reads first and another commits before
        // it writes (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out).
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let mut store = Store { conn };
        store.migrate(path, upto)?;
        Ok(store)
    }

    /// Free this connection's page cache (an idle desk connection: its pages are read
    /// again when next needed).
    pub fn release_memory(&self) -> Result<()> {
        self.conn.release_memory()?;
        Ok(())
    }

    /// Sorts and temporary tables past the page cache go to temporary files (the
    /// desk's connections: a list sorted for thirty officers at once would otherwise
    /// hold its rows in memory, kept by the allocator after). The daemon's own keep
    /// them in memory, where its savepoints per message are cheap.
    pub fn sort_in_files(&self) -> Result<()> {
        self.conn.pragma_update(None, "temp_store", "FILE")?;
        Ok(())
    }

    fn migrate(&mut self, path: &str, upto: usize) -> Result<()> {
        let too_new = |found: usize| StoreError::TooNew {
            path: path.to_string(),
            found,
            known: MIGRATIONS.len(),
        };
        let version: usize =
            self.conn
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        if version > MIGRATIONS.len() {
            return Err(too_new(version));
        }
        if version >= upto {
            return Ok(());
        }
        // Another process migrating a big file holds the write lock for minutes (the
        // search index's first fill on 1M cases): wait for it rather than fail.
        self.conn
            .busy_timeout(std::time::Duration::from_secs(600))?;
        // An index built on millions of rows sorts them: in temporary files, not in
        // memory (a unit's MemoryMax would kill the start-up, again and again).
        self.conn.pragma_update(None, "temp_store", "DEFAULT")?;
        let migrated = self.migrate_from(version, path, upto);
        // As `setup` left them, whether a step failed or not.
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        migrated?;
        // A newer Redress may have migrated past what this one knows meanwhile.
        let version = self.schema_version()? as usize;
        if version > MIGRATIONS.len() {
            return Err(too_new(version));
        }
        Ok(())
    }

    fn migrate_from(&mut self, version: usize, path: &str, upto: usize) -> Result<()> {
        for (i, sql) in MIGRATIONS.iter().enumerate().take(upto).skip(version) {
            if i == REBUILDS_CUSTOMERS {
                self.conn.pragma_update(None, "foreign_keys", "OFF")?;
            }
            // Another process (`redress run` and a CLI command started together) may be
            // migrating the same file: each step takes the write lock first and is
            // skipped if it was applied meanwhile.
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let applied = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?;
            if applied as usize > i {
                drop(tx);
                if i == REBUILDS_CUSTOMERS {
                    self.conn.pragma_update(None, "foreign_keys", "ON")?;
                }
                continue;
            }
            if i == MOVES_RAW {
                keep_only_headers_of_huge_quarantined_mail(&tx, HUGE_QUARANTINED)?;
            }
            if i == NAMES_NOCASE {
                refuse_names_differing_only_in_case(&tx, path)?;
            }
            tx.execute_batch(sql)?;
            if i == REBUILDS_CUSTOMERS {
                let broken: i64 =
                    tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                        r.get(0)
                    })?;
                if broken > 0 {
                    return Err(StoreError::Refused(format!(
                        "{path}: migration {} found {broken} rows whose references are broken; nothing was changed",
                        i + 1
                    )));
                }
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            if i == REBUILDS_CUSTOMERS {
                self.conn.pragma_update(None, "foreign_keys", "ON")?;
            }
        }
        Ok(())
    }

    /// Roll back a transaction left open on this connection (by a request that
    /// panicked half-way, say), so that nothing after it runs inside it and is lost
    /// with it. Whether there was one.
    pub fn end_open_transaction(&self) -> Result<bool> {
        if self.conn.is_autocommit() {
            return Ok(false);
        }
        self.conn.execute_batch("ROLLBACK")?;
        Ok(true)
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
}

/// A letter owed to a customer, asked for in the transaction that owes it.
#[derive(Debug, Clone)]
pub struct LetterRequest<'a> {
    pub case_id: i64,
    /// The case's reference (part of the letter's Message-ID).
    pub reference: &'a str,
    pub kind: crate::letter::kind::Kind,
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
impl Store {
    /// Ask for a letter outside any other change (an officer's letter on its own).
    pub fn request_letter(&self, req: &LetterRequest) -> Result<i64> {
        request_letter(&self.conn, req)
    }
}

/// Keep, with each letter on the case still waiting to be rendered, the case as it
/// stands now (stage, state, officer, outcome... and its deadlines, as JSON): called
/// before anything about the case changes, so a letter rendered late is rendered from
/// the case as it was when it was asked for, not a mix of then and now. A letter
/// rendered before the case changes needs no copy: the case is still as it was, which
/// keeps asking for a letter (an acknowledgement per new mail) cheap.
pub(crate) fn freeze_pending_letters(conn: &Connection, case_id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE letters SET as_of = (
             SELECT json_object('stage', c.stage, 'state', c.state, 'officer', c.officer,
                    'outcome', c.outcome, 'category', c.category, 'service', c.service,
                    'close_reason', c.close_reason,
                    'deadlines', (SELECT json_group_array(json_object('stage', d.stage,
                                         'kind', d.kind, 'from_event', d.from_event,
                                         'from_date', d.from_date, 'period', d.period,
                                         'due', d.due, 'status', d.status, 'met_on', d.met_on))
                                  FROM (SELECT * FROM deadlines WHERE case_id = c.id
                                        ORDER BY due, id) d))
             FROM cases c WHERE c.id = ?1)
         WHERE case_id = ?1 AND status = 'pending' AND as_of IS NULL",
    )?
    .execute([case_id])?;
    Ok(())
}

fn request_letter(conn: &Connection, req: &LetterRequest) -> Result<i64> {
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
    // A representative's letters go to them; a copy to the resident where the council
    // has their address and consent.
    conn.prepare_cached("INSERT INTO letters (id, case_id, kind, message_id, to_addr, subject, body_text, status, created_at,
                              in_reply_to, refs, data, automatic, actor, cc_addr)
         VALUES (?1, ?2, ?3, ?4, ?5, '', '', 'pending', ?6, ?7, ?8, ?9, ?10, ?11,
                 (SELECT r.resident_email FROM representatives r WHERE r.case_id = ?2 AND r.consent = 1
                  AND r.resident_email IS NOT NULL AND r.resident_email != COALESCE(?5, '')))")?.execute(
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
        &NewEvent {
            case_id: req.case_id,
            at: req.at,
            actor: req.actor,
            kind: EventKind::LetterRequested,
            from_state: None,
            to_state: None,
            detail: Some(&format!("{} letter {}", req.kind, message_id)),
        },
    )?;
    Ok(id)
}

mod approvals;
mod cases;
mod customers;
mod deadlines;
mod directors;
mod events;
pub mod intake;
mod kinds;
mod pauses;
mod replies;
mod said;
mod search;
mod steps;
pub use approvals::{LearningRow, WaitingRow};
use cases::{create_case_with, find_case_on, flag_case};
pub use cases::{CaseField, CaseFilter, NewCase};
pub use customers::{Considered, CustomerEdit, CustomerKey, RestrictIn};
use deadlines::hold_for_letter;
use events::insert_event;
pub use events::{Author, EventRow, NewEvent};
pub use kinds::{Stored, Words};
pub use pauses::PauseRow;
pub use replies::CustomerReply;
pub use said::RECORDED;
pub use search::BUSY as SEARCH_BUSY;

pub mod auto_letters;
pub mod backup;
pub mod dashboard;
pub mod digest;
#[cfg(feature = "bench")]
pub mod fixtures;
pub mod health;
pub mod mail;
pub mod messages;
pub mod notifications;
pub mod outbox;
pub mod quarantine;
pub mod records;
pub mod schedule;
pub mod sources;
pub mod users;
pub mod wal;

#[cfg(test)]
use quarantine::contains_address;
pub use quarantine::{QuarantineRow, Quarantined, Resolution};

#[cfg(test)]
mod tests;
