//! The desk's full-text index (FTS5, migration 18): new cases and messages are indexed
//! together, outside the transactions that store mail (the daemon after each mailbox
//! pass, and any search first: [`catch_up`]), or inside the transaction that opens a
//! case by hand or from the quarantine; triggers keep indexed rows right as they change.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Result, StoreError};
use crate::text::{phrase, Search};

impl super::Store {
    /// Bring the search index up to date with every case and message stored since it
    /// last was, in one transaction: the daemon does it after each mailbox pass, when
    /// it is idle; a search does it first if anything is left ([`catch_up`]).
    pub fn index_for_search(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        index_new(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// Before a search: index what was stored since the index was last brought up to date
/// (a one-shot `poll` leaves its mail to this, or to the daemon's next idle moment), so
/// a search never misses a stored message. Nothing to do costs two index lookups. If
/// the index cannot be written now (the database busy past its timeout, read-only),
/// the search goes ahead on the index as it is, and says so in the log.
pub(crate) fn catch_up(conn: &Connection) -> Result<()> {
    let behind: bool = conn
        .prepare_cached(
            "SELECT (SELECT coalesce(max(id), 0) FROM cases)
                        > (SELECT upto FROM search_indexed WHERE what = 'cases')
                 OR (SELECT coalesce(max(id), 0) FROM messages)
                        > (SELECT upto FROM search_indexed WHERE what = 'messages')",
        )?
        .query_row([], |r| r.get(0))?;
    if !behind {
        return Ok(());
    }
    // Its own write transaction, taken at once; inside a caller's, a savepoint.
    let (begin, end, undo) = if conn.is_autocommit() {
        ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
    } else {
        (
            "SAVEPOINT catch_up",
            "RELEASE catch_up",
            "ROLLBACK TO catch_up; RELEASE catch_up",
        )
    };
    let write = |conn: &Connection| -> Result<()> {
        conn.execute_batch(begin)?;
        match index_new(conn) {
            Ok(()) => Ok(conn.execute_batch(end)?),
            Err(e) => {
                let _ = conn.execute_batch(undo);
                Err(e)
            }
        }
    };
    if let Err(e) = write(conn) {
        tracing::warn!(error = %e, "search index not brought up to date before a search");
    }
    Ok(())
}

/// Index every case and message stored since the last call (cases: reference, customer,
/// subject; messages on a case: their text).
pub(crate) fn index_new(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_search (rowid, reference, customer, subject)
         SELECT id, reference, customer, subject FROM case_search_rows
         WHERE id > (SELECT upto FROM search_indexed WHERE what = 'cases')",
    )?
    .execute([])?;
    conn.prepare_cached(
        "INSERT INTO message_search (rowid, body_text)
         SELECT id, body_text FROM messages
         WHERE id > (SELECT upto FROM search_indexed WHERE what = 'messages')
           AND case_id IS NOT NULL AND body_text IS NOT NULL",
    )?
    .execute([])?;
    conn.prepare_cached(
        "UPDATE search_indexed SET upto = CASE what
             WHEN 'cases' THEN (SELECT coalesce(max(id), 0) FROM cases)
             ELSE (SELECT coalesce(max(id), 0) FROM messages) END",
    )?
    .execute([])?;
    Ok(())
}

/// The two full-text indexes, and what each holds for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    Cases,
    Messages,
}

impl Index {
    pub(crate) const BOTH: [Index; 2] = [Index::Cases, Index::Messages];

    pub(crate) fn table(self) -> &'static str {
        match self {
            Index::Cases => "case_search",
            Index::Messages => "message_search",
        }
    }

    fn terms(self) -> &'static str {
        match self {
            Index::Cases => "case_search_terms",
            Index::Messages => "message_search_terms",
        }
    }

    /// A small in-memory index like this one (per connection, contentless: it only
    /// answers which rows match), and how a row's text is copied into it.
    fn check_table(self) -> (String, &'static str) {
        match self {
            Index::Cases => (
                format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.case_check USING fts5(
                         reference, customer, subject, content = '', tokenize = '{TOKENIZER}')"
                ),
                "INSERT INTO temp.case_check (rowid, reference, customer, subject)
                 SELECT rowid, reference, customer, subject FROM case_search WHERE rowid = ?1",
            ),
            Index::Messages => (
                format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.message_check USING fts5(
                         body_text, content = '', tokenize = '{TOKENIZER}')"
                ),
                "INSERT INTO temp.message_check (rowid, body_text)
                 SELECT id, body_text FROM messages WHERE id = ?1",
            ),
        }
    }

    /// A row's id and the size of its text, for the rows matching `?1`, newest first.
    fn matching_rows(self) -> &'static str {
        match self {
            Index::Cases => {
                "SELECT rowid, length(reference) + length(customer) + coalesce(length(subject), 0)
                 FROM case_search WHERE case_search MATCH ?1 ORDER BY rowid DESC"
            }
            Index::Messages => {
                "SELECT rowid, length(body_text) FROM message_search
                 WHERE message_search MATCH ?1 ORDER BY rowid DESC"
            }
        }
    }

    /// The same for every indexed row.
    fn every_row(self) -> &'static str {
        match self {
            Index::Cases => {
                "SELECT rowid, length(reference) + length(customer) + coalesce(length(subject), 0)
                 FROM case_search ORDER BY rowid DESC"
            }
            Index::Messages => {
                "SELECT id, length(body_text) FROM messages
                 WHERE case_id IS NOT NULL AND body_text IS NOT NULL
                   AND id <= (SELECT upto FROM search_indexed WHERE what = 'messages')
                 ORDER BY id DESC"
            }
        }
    }

    fn check_name(self) -> &'static str {
        match self {
            Index::Cases => "case_check",
            Index::Messages => "message_check",
        }
    }
}

/// A typed prefix starting more whole words than this is common ("re", "resident" in a
/// million addresses "residentNNN@..."): it is not widened.
const WIDEST: usize = 8;
/// How many rows matching a search's other words are checked for its common prefixes
/// before the index is asked for them the slow way (a row costs about 4 µs).
const CHECKED_AT_MOST: usize = 20_000;
/// The same when the search has no other words and every row is checked, newest first.
const SCANNED_AT_MOST: usize = 5_000;
/// Nor more text than this (long emails: a row's cost is its words).
const CHECKED_BYTES: i64 = 2 << 20;
/// Rows copied into the check index at a time.
const CHECK_BATCH: usize = 256;
/// The indexes' tokenizer (migration 18), which the check index must share.
const TOKENIZER: &str = "unicode61 remove_diacritics 2";

/// How one index is asked for a search. Every plan finds exactly the rows the search
/// as written ([`Search::fts`]) finds; they differ in what it costs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Some word starts no word in this index: no row matches.
    Nothing,
    /// Every prefix widened to its whole words: FTS5 walks those newest row first and
    /// stops at the page.
    Words(String),
    /// Some prefixes are common: the rows matching the other words (`rest`; every row
    /// when there are none), newest first, are checked for the whole search in a small
    /// index of their own, up to a bound; past it FTS5 gathers every row of each
    /// common prefix (the slow way).
    Checked {
        rest: Option<String>,
        /// A common prefix too short ever to be gathered the slow way (as typed): past
        /// the bound the search is refused, asking for more of the word.
        short: Option<String>,
    },
}

/// A common prefix shorter than this is never gathered the slow way: FTS5 merges
/// every entry of every word it starts in one step, which for "a" in a million
/// messages is about 100 MB and seconds that no interrupt can stop.
pub(crate) const GATHERED_PREFIX_CHARS: usize = 3;

/// How long a search may wait for another's slow gather to finish.
const SLOW_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One slow gather at a time in this process: each holds a common prefix's entries in
/// memory (tens of MB on a big database), so a dozen at once would exhaust the
/// service's memory where one at a time does not.
static SLOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Wait (briefly) for the process's one slow gather.
pub(crate) fn slow_gather() -> Result<std::sync::MutexGuard<'static, ()>> {
    let until = std::time::Instant::now() + SLOW_WAIT;
    loop {
        match SLOW.try_lock() {
            Ok(g) => return Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(StoreError::Search(BUSY.to_string()))
            }
        }
    }
}

/// What an officer is told when searches are queued up.
pub const BUSY: &str = "The desk is busy with other searches. Try again in a moment.";

impl Plan {
    /// Refused when this plan would gather a short common prefix the slow way.
    pub(crate) fn may_gather(&self) -> Result<()> {
        match self {
            Plan::Checked {
                short: Some(word), ..
            } => Err(StoreError::Search(format!(
                "\u{201c}{word}\u{201d} starts too many words to search every case for it: type at least {GATHERED_PREFIX_CHARS} letters of that word, or add another word"
            ))),
            _ => Ok(()),
        }
    }
}

/// The plan for `search` in `index`.
pub(crate) fn plan(conn: &Connection, index: Index, search: &Search) -> Result<Plan> {
    let mut widened: Vec<String> = Vec::new();
    let mut common = false;
    let mut short: Option<String> = None;
    for word in search.words() {
        let Some((last, head)) = word.split_last() else {
            continue;
        };
        let mut is_common = || {
            common = true;
            if last.chars().count() < GATHERED_PREFIX_CHARS && short.is_none() {
                short = Some(word.join("-"));
            }
        };
        // The index folds case and accents its own way; only ASCII words are looked up
        // as they are (the tokenizer leaves those as typed, lowercased).
        if !last.is_ascii() {
            is_common();
            continue;
        }
        match widen(conn, index, last)? {
            None => is_common(),
            Some(terms) if terms.is_empty() => return Ok(Plan::Nothing),
            Some(terms) => {
                let alternatives: Vec<String> = terms
                    .into_iter()
                    .map(|t| {
                        let mut parts = head.to_vec();
                        parts.push(t);
                        phrase(&parts, false)
                    })
                    .collect();
                widened.push(format!("({})", alternatives.join(" OR ")));
            }
        }
    }
    let widened = (!widened.is_empty()).then(|| widened.join(" AND "));
    Ok(match (common, widened) {
        (false, Some(words)) => Plan::Words(words),
        (_, rest) => Plan::Checked { rest, short },
    })
}

/// The whole words in `index` that start with `prefix`, None when more than
/// [`WIDEST`]: one indexed seek per word.
fn widen(conn: &Connection, index: Index, prefix: &str) -> Result<Option<Vec<String>>> {
    let mut next = conn.prepare_cached(&format!(
        "SELECT term FROM {} WHERE term >= ?1 LIMIT 1",
        index.terms()
    ))?;
    let mut terms: Vec<String> = Vec::new();
    let mut from = prefix.to_string();
    while let Some(term) = next
        .query_row([&from], |r| r.get::<_, String>(0))
        .optional()?
    {
        if !term.starts_with(prefix) {
            break;
        }
        if terms.len() == WIDEST {
            return Ok(None);
        }
        // Words hold no control characters: this is the least string after `term`.
        from = format!("{term}\u{1}");
        terms.push(term);
    }
    Ok(Some(terms))
}

/// The FTS5 query for every row of `index` that `search` matches, as `plan` says; None
/// when none does.
pub(crate) fn query(plan: &Plan, search: &Search) -> Option<String> {
    match plan {
        Plan::Nothing => None,
        Plan::Words(q) => Some(q.clone()),
        Plan::Checked { .. } => Some(search.fts()),
    }
}

/// The rowids of the newest `most` rows of `index` that `search` matches, newest first.
pub(crate) fn newest(
    conn: &Connection,
    index: Index,
    search: &Search,
    plan: &Plan,
    most: usize,
) -> Result<Vec<i64>> {
    let table = index.table();
    let matching = |q: &str| -> Result<Vec<i64>> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT rowid FROM {table} WHERE {table} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
        ))?;
        let ids = stmt
            .query_map(params![q, most as i64], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    };
    let rest = match plan {
        Plan::Nothing => return Ok(Vec::new()),
        Plan::Words(q) => return matching(q),
        Plan::Checked { rest, .. } => rest,
    };
    let (create, copy) = index.check_table();
    let check = index.check_name();
    conn.execute_batch(&create)?;
    conn.execute_batch(&format!(
        "INSERT INTO temp.{check} ({check}) VALUES ('delete-all')"
    ))?;
    let (mut candidates, bound) = match rest {
        Some(_) => (conn.prepare_cached(index.matching_rows())?, CHECKED_AT_MOST),
        None => (conn.prepare_cached(index.every_row())?, SCANNED_AT_MOST),
    };
    let mut rows = match rest {
        Some(rest) => candidates.query([rest])?,
        None => candidates.query([])?,
    };
    let mut found: Vec<i64> = Vec::new();
    let (mut checked, mut bytes) = (0, 0);
    let mut batch: Vec<i64> = Vec::with_capacity(CHECK_BATCH);
    loop {
        let done = match rows.next()? {
            Some(row) => {
                batch.push(row.get(0)?);
                bytes += row.get::<_, Option<i64>>(1)?.unwrap_or(0);
                false
            }
            None => true,
        };
        if done || batch.len() == CHECK_BATCH || bytes >= CHECKED_BYTES {
            found.extend(check_rows(conn, index, copy, &batch, search)?);
            checked += batch.len();
            batch.clear();
            if done || found.len() >= most {
                break;
            }
            if checked >= bound || bytes >= CHECKED_BYTES {
                drop(rows);
                plan.may_gather()?;
                let _one = slow_gather()?;
                return matching(&search.fts());
            }
        }
    }
    found.truncate(most);
    Ok(found)
}

/// Which of `ids` (newest first) match `search`, newest first: their text copied into
/// the small check index, asked there, and removed.
fn check_rows(
    conn: &Connection,
    index: Index,
    copy: &str,
    ids: &[i64],
    search: &Search,
) -> Result<Vec<i64>> {
    let check = index.check_name();
    let mut copy = conn.prepare_cached(copy)?;
    for id in ids {
        copy.execute([id])?;
    }
    let found = conn
        .prepare_cached(&format!(
            "SELECT rowid FROM temp.{check} WHERE {check} MATCH ?1 ORDER BY rowid DESC"
        ))?
        .query_map([search.fts()], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    conn.prepare_cached(&format!(
        "INSERT INTO temp.{check} ({check}) VALUES ('delete-all')"
    ))?
    .execute([])?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Cases' own text straight into the index: `(reference, customer, subject)`.
    fn indexed(rows: &[(&str, &str, &str)]) -> Store {
        let store = Store::open_in_memory().unwrap();
        let mut add = store
            .conn
            .prepare(
                "INSERT INTO case_search (rowid, reference, customer, subject)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .unwrap();
        for (i, (r, c, s)) in rows.iter().enumerate() {
            add.execute(params![i as i64 + 1, r, c, s]).unwrap();
        }
        drop(add);
        store
    }

    /// Messages on one case straight into the messages' index, as ingestion leaves
    /// them (`index_new`); `None` is a message on no case.
    fn messages(bodies: &[(Option<i64>, &str)]) -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute(
                "INSERT INTO cases (id, reference, policy, kind, state, stage, received_at,
                     received_on, updated_at)
                 VALUES (1, 'R-1', 'p', 'complaint', 'received', 'stage1', 't', 'd', 't')",
                [],
            )
            .unwrap();
        for (i, (case, body)) in bodies.iter().enumerate() {
            store
                .conn
                .execute(
                    "INSERT INTO messages (id, case_id, ingest_key, received_at, body_text)
                     VALUES (?1, ?2, ?3, 't', ?4)",
                    params![i as i64 + 1, case, format!("k{i}"), body],
                )
                .unwrap();
        }
        index_new(&store.conn).unwrap();
        store
    }

    /// The plan for `typed` in the cases' index, and what it finds (all of it, and the
    /// newest 2) beside what FTS5 finds for the search as written.
    fn ask(store: &Store, typed: &str) -> Plan {
        ask_in(store, Index::Cases, typed)
    }

    fn ask_in(store: &Store, index: Index, typed: &str) -> Plan {
        let search = Search::parse(typed).unwrap();
        let plan = plan(&store.conn, index, &search).unwrap();
        let table = index.table();
        let mut native: Vec<i64> = store
            .conn
            .prepare(&format!("SELECT rowid FROM {table} WHERE {table} MATCH ?1"))
            .unwrap()
            .query_map([search.fts()], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        native.sort_unstable_by(|a, b| b.cmp(a));
        let all = newest(&store.conn, index, &search, &plan, usize::MAX >> 2).unwrap();
        assert_eq!(all, native, "{typed:?} with {plan:?}");
        let two = newest(&store.conn, index, &search, &plan, 2).unwrap();
        assert_eq!(two, native.iter().take(2).copied().collect::<Vec<_>>());
        plan
    }

    #[test]
    fn every_plan_finds_what_the_search_as_written_finds() {
        let mut rows = vec![
            (
                "BNES-2026-00001",
                "Ada Lovelace 12 Acacia Avenue",
                "Bins missed",
            ),
            (
                "BNES-2026-00002",
                "Tom Reed tom@example.org",
                "Bin collection",
            ),
            ("BNES-2026-00003", "José Núñez", "Café noise"),
            ("BNES-2026-00004", "Resident 90210", "Binding arbitration"),
        ];
        // A prefix that starts more words than are widened.
        let many: Vec<(String, String)> = (0..3 * WIDEST)
            .map(|i| {
                (
                    format!("BNES-2026-{:05}", i + 5),
                    format!("resident{i} street"),
                )
            })
            .collect();
        rows.extend(many.iter().map(|(r, c)| (r.as_str(), c.as_str(), "Noise")));
        let store = indexed(&rows);

        // Few words start "acac" and "bin": widened to them.
        let Plan::Words(q) = ask(&store, "acac ave") else {
            panic!("acac ave not widened")
        };
        assert_eq!(q, "(\"acacia\") AND (\"avenue\")");
        let Plan::Words(q) = ask(&store, "bin") else {
            panic!("bin not widened")
        };
        assert_eq!(q, "(\"bin\" OR \"binding\" OR \"bins\")");
        // The last part of a word with several is the prefix.
        assert_eq!(
            ask(&store, "BNES-2026-0000"),
            Plan::Checked {
                rest: None,
                short: None
            }
        );
        assert!(matches!(ask(&store, "bnes-2026-00002"), Plan::Words(_)));
        // A word starting nothing here: nothing, without asking the index.
        assert_eq!(ask(&store, "graffiti bins"), Plan::Nothing);
        // Common prefixes: checked in the rows the other words match, or the slow way.
        assert!(matches!(
            ask(&store, "resident 90210"),
            Plan::Checked { .. }
        ));
        assert!(matches!(
            ask(&store, "resident street"),
            Plan::Checked { .. }
        ));
        assert_eq!(
            ask(&store, "resident"),
            Plan::Checked {
                rest: None,
                short: None
            }
        );
        // Accents are the index's to fold: such a word is asked as written.
        assert_eq!(
            ask(&store, "café"),
            Plan::Checked {
                rest: None,
                short: None
            }
        );
        assert!(matches!(ask(&store, "nunez cafe"), Plan::Words(_)));
    }

    #[test]
    fn a_common_prefix_in_more_rows_than_are_checked_still_finds_the_same() {
        // Every row matches "noise"; the common prefix matches only the oldest.
        let words: Vec<String> = (0..=WIDEST).map(|i| format!("zeta{i}")).collect();
        let mut rows: Vec<(&str, &str, &str)> =
            words.iter().map(|w| ("R", w.as_str(), "noise")).collect();
        rows.extend(std::iter::repeat_n(
            ("R", "x", "noise"),
            CHECKED_AT_MOST + CHECK_BATCH,
        ));
        let store = indexed(&rows);
        assert!(matches!(
            ask(&store, "noise zeta"),
            Plan::Checked { rest: Some(_), .. }
        ));
        assert_eq!(
            ask(&store, "zeta"),
            Plan::Checked {
                rest: None,
                short: None
            }
        );
    }

    /// A common prefix under three letters is looked for in the newest rows only: it
    /// answers when they fill the page, and is refused in words past the bound, never
    /// gathered from every row (the probe's `a*`).
    #[test]
    fn a_short_common_prefix_is_never_gathered_the_slow_way() {
        let words: Vec<String> = (0..=WIDEST).map(|i| format!("z{i}x")).collect();
        let mut rows: Vec<(&str, &str, &str)> =
            words.iter().map(|w| ("R", w.as_str(), "noise")).collect();
        rows.extend(std::iter::repeat_n(
            ("R", "x", "noise"),
            CHECKED_AT_MOST + CHECK_BATCH,
        ));
        let store = indexed(&rows);
        let search = Search::parse("noise z").unwrap();
        let asked = plan(&store.conn, Index::Cases, &search).unwrap();
        assert_eq!(
            asked,
            Plan::Checked {
                rest: Some("(\"noise\")".into()),
                short: Some("z".into())
            }
        );
        let Err(StoreError::Search(why)) = newest(&store.conn, Index::Cases, &search, &asked, 10)
        else {
            panic!("a short prefix past the bound was gathered")
        };
        assert!(
            why.contains("\u{201c}z\u{201d} starts too many words"),
            "{why}"
        );
        assert!(why.contains("at least 3 letters"), "{why}");
        // The same prefix among the newest rows: found there, as FTS5 finds it.
        let store = indexed(&rows[..=WIDEST]);
        let asked = plan(&store.conn, Index::Cases, &search).unwrap();
        assert!(matches!(asked, Plan::Checked { short: Some(_), .. }));
        let all: Vec<i64> = (1..=WIDEST as i64 + 1).rev().collect();
        assert_eq!(
            newest(&store.conn, Index::Cases, &search, &asked, 100).unwrap(),
            all
        );
        // Three letters or more: gathered as before (the exactness tests above).
        assert!(Plan::Checked {
            rest: None,
            short: None
        }
        .may_gather()
        .is_ok());
    }

    #[test]
    fn the_messages_index_is_asked_the_same_ways() {
        let many: Vec<String> = (0..2 * WIDEST)
            .map(|i| format!("Flat {i} on Resid{i}ent Road, bins"))
            .collect();
        let mut bodies: Vec<(Option<i64>, &str)> = vec![
            (Some(1), "The bins were missed again."),
            (None, "Bins on no case: never found."),
            (Some(1), "Binding arbitration, and the bin lorry."),
        ];
        bodies.extend(many.iter().map(|b| (Some(1), b.as_str())));
        let store = messages(&bodies);
        assert!(matches!(
            ask_in(&store, Index::Messages, "bin"),
            Plan::Words(_)
        ));
        assert!(matches!(
            ask_in(&store, Index::Messages, "resid bins"),
            Plan::Checked { rest: Some(_), .. }
        ));
        assert_eq!(
            ask_in(&store, Index::Messages, "resid"),
            Plan::Checked {
                rest: None,
                short: None
            }
        );
        // A deleted message leaves the index with its words (migration 18's trigger).
        store
            .conn
            .execute("DELETE FROM messages WHERE id = 1", [])
            .unwrap();
        assert!(matches!(
            ask_in(&store, Index::Messages, "missed"),
            Plan::Nothing | Plan::Words(_)
        ));
        assert!(matches!(
            ask_in(&store, Index::Messages, "bins"),
            Plan::Words(_)
        ));
    }

    #[test]
    fn the_check_index_tokenizes_as_the_indexes_do() {
        let store = Store::open_in_memory().unwrap();
        for table in ["case_search", "message_search"] {
            let sql: String = store
                .conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(sql.contains(&format!("tokenize = '{TOKENIZER}'")), "{sql}");
        }
    }
}
