//! Copies of the database: a consistent snapshot taken while other connections write
//! ([`copy_file`]: `VACUUM INTO` from a read-only connection, one read transaction, so
//! WAL lets the writers go on and nothing is migrated), and the check of
//! a copy before it is kept or restored (integrity, schema version, that it is a
//! Redress database at all). Only SQL and SQLite here; the files around it (names,
//! modes, renames, the daemon's lock) are [`crate::backup`]'s.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

use super::{Result, StoreError, MIGRATIONS};

/// What a database file holds, as far as a backup or restore needs to know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// `PRAGMA user_version`: how many migrations it has had.
    pub schema_version: usize,
    /// The schema version this build knows (its last migration).
    pub known: usize,
    pub cases: i64,
    pub letters: i64,
}

/// The schema version this build of Redress brings a database to.
pub fn current_version() -> usize {
    MIGRATIONS.len()
}

/// Open `path` read-only and check it: `PRAGMA integrity_check` says ok, it has
/// Redress's tables, and its schema version (which may be newer than this build
/// knows: the caller decides). Never writes, never migrates.
pub fn check_file(path: &Path) -> Result<Checked> {
    let open_err = |msg: String| StoreError::Open {
        path: path.display().to_string(),
        msg,
    };
    if !path.is_file() {
        return Err(open_err("no such file".into()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_err(e.to_string()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| open_err(format!("not a readable SQLite database: {e}")))?;
    if problems != ["ok"] {
        let first: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        return Err(open_err(format!(
            "integrity check failed: {}",
            first.join("; ")
        )));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has = |table: &str| -> Result<bool> {
        Ok(conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )? == 1)
    };
    if version < 1 || !has("cases")? || !has("letters")? {
        return Err(open_err(
            "not a Redress database (no cases or letters)".into(),
        ));
    }
    let count = |table: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(Checked {
        schema_version: version as usize,
        known: MIGRATIONS.len(),
        cases: count("cases")?,
        letters: count("letters")?,
    })
}

/// Copy the database file `from` (with its WAL, if one lies beside it) to `to`, which
/// must not exist or be an empty file: a clean single file, whatever journal mode the
/// source was in. `from` is opened read-only and never changed.
pub fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Open {
        path: from.display().to_string(),
        msg: e.to_string(),
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let target = to.to_str().ok_or_else(|| StoreError::Open {
        path: to.display().to_string(),
        msg: "the path is not UTF-8".into(),
    })?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}
