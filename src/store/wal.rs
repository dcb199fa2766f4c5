//! The write-ahead log copied into the database on a thread of its own while a backlog
//! streams in, so that the connection storing mail never stops to do it.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold: the
//! thread storing mail then copies the whole log into the database and syncs it before
//! it can take the next batch (about a tenth of its time in `scripts/bench_ingest.sh`).
//! A passive checkpoint on another connection does the same copy beside the writer
//! (WAL mode lets it) and never waits for or blocks a writer; the log is reused from
//! its start once a checkpoint has copied all of it and the writer begins again.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use super::{Result, Store, StoreError, BUSY_TIMEOUT};

/// Frames (4 KB pages) the log may hold before the writer lets a running checkpoint
/// finish before its next transaction: the log is reused from its start only when a
/// writer begins with all of it copied, which a checkpoint always running beside the
/// writer would otherwise never allow (32 MB, SQLite's own threshold here before).
pub const LOG_FRAMES_BEFORE_RESTART: i64 = 8192;

/// A thread that runs a passive checkpoint each time it is nudged (nudges that come
/// while one runs are merged into the next). Dropping it runs the last one asked for
/// and ends the thread.
pub struct Checkpointer {
    shared: Arc<Shared>,
    /// [`LOG_FRAMES_BEFORE_RESTART`], but for tests.
    restart_after: i64,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// A checkpoint is asked for and not yet begun.
    asked: bool,
    running: bool,
    closing: bool,
    /// Frames in the log at the last checkpoint.
    log: i64,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding it leaves plain flags: still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait_while<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, State>,
        cond: impl FnMut(&mut State) -> bool,
    ) -> std::sync::MutexGuard<'a, State> {
        self.changed
            .wait_while(guard, cond)
            .unwrap_or_else(|p| p.into_inner())
    }

    /// [`Shared::wait_while`], giving up after `most`: the writer never hangs on a
    /// checkpoint thread that has stopped (it then writes on, the log growing).
    fn wait_at_most<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, State>,
        most: std::time::Duration,
        cond: impl FnMut(&mut State) -> bool,
    ) -> std::sync::MutexGuard<'a, State> {
        match self.changed.wait_timeout_while(guard, most, cond) {
            Ok((guard, _)) => guard,
            Err(p) => p.into_inner().0,
        }
    }
}

impl Checkpointer {
    /// Start one on its own connection to the database at `path` (which must exist
    /// and be in WAL mode, as [`Store::open`] leaves it).
    pub fn start(path: &Path) -> Result<Checkpointer> {
        Checkpointer::start_with(path, LOG_FRAMES_BEFORE_RESTART)
    }

    fn start_with(path: &Path, restart_after: i64) -> Result<Checkpointer> {
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            msg: e.to_string(),
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || run(&conn, &theirs))
            .map_err(|e| StoreError::Refused(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            shared,
            restart_after,
            thread: Some(thread),
        })
    }

    /// Ask for a checkpoint (after a commit). Never waits: one already asked for and
    /// not yet begun covers this commit too.
    pub fn nudge(&self) {
        self.shared.lock().asked = true;
        self.shared.changed.notify_all();
    }

    /// Before the writer's next transaction: once the log has grown past
    /// [`LOG_FRAMES_BEFORE_RESTART`], wait for the checkpoint asked for to finish, so
    /// that the transaction begins with all of the log copied and reuses it from its
    /// start. Below that, return at once. It never waits on a checkpoint thread that
    /// has stopped, nor longer than the store's busy timeout (the log then grows on).
    pub fn let_the_log_restart(&self) {
        if self.thread.as_ref().is_none_or(|t| t.is_finished()) {
            return;
        }
        let state = self.shared.lock();
        if state.log > self.restart_after {
            let _idle = self
                .shared
                .wait_at_most(state, BUSY_TIMEOUT, |s| s.asked || s.running);
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The checkpoint thread: one passive checkpoint per run of nudges, until closed with
/// none asked for.
fn run(conn: &Connection, shared: &Shared) {
    loop {
        let mut state = shared.wait_while(shared.lock(), |s| !s.asked && !s.closing);
        if !state.asked {
            return;
        }
        state.asked = false;
        state.running = true;
        drop(state);
        let done = passive_checkpoint(conn);
        let mut state = shared.lock();
        state.running = false;
        match done {
            Ok((log, copied)) => {
                tracing::debug!(log, copied, "WAL checkpoint");
                state.log = log;
            }
            // The log then grows until a checkpoint succeeds: the next one here, or
            // the automatic one of the next connection to write.
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
        drop(state);
        shared.changed.notify_all();
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: the frames in the log, and how many of them are
/// now in the database.
fn passive_checkpoint(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })?)
}

impl Store {
    /// This connection is the writer of a backlog whose log a [`Checkpointer`] copies:
    /// no automatic checkpoints in its commits, and a page cache (16 MB) that holds a
    /// whole batch's changes, so that none spill to the log before the commit and the
    /// indexes it updates are read once per batch.
    pub fn write_backlog_beside(&self, _checkpointer: &Checkpointer) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        self.conn.pragma_update(None, "cache_size", -16 * 1024)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer without automatic checkpoints leaves its log to the checkpointer, which
    /// copies all of it into the database when nudged; the writer then reuses the log
    /// from its start instead of growing it.
    #[test]
    fn the_checkpointer_copies_the_log_and_the_writer_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.db");
        let store = Store::open(&path).unwrap();
        let ckpt = Checkpointer::start(&path).unwrap();
        store.write_backlog_beside(&ckpt).unwrap();
        let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len();
        let write = |n: i64| {
            store
                .conn
                .execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS t (x BLOB);
                     WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
                     INSERT INTO t SELECT randomblob(4000) FROM s;"
                ))
                .unwrap();
        };
        let schema_only = size("redress.db");
        write(2000);
        let log = size("redress.db-wal");
        assert!(log > 8_000_000, "log after 8 MB of rows: {log} bytes");
        assert_eq!(
            size("redress.db"),
            schema_only,
            "no automatic checkpoint wrote to the database"
        );
        ckpt.nudge();
        drop(ckpt);
        assert!(
            size("redress.db") > schema_only + 8_000_000,
            "the checkpoint copied the log: {} bytes",
            size("redress.db")
        );
        write(10);
        assert_eq!(size("redress.db-wal"), log, "the log is reused, not grown");
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2010);
    }

    /// A writer that lets the log restart keeps it near one batch's size however much
    /// it writes, the checkpoint running beside it all along.
    #[test]
    fn a_writer_letting_the_log_restart_keeps_it_small() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redress.db");
        let store = Store::open(&path).unwrap();
        let ckpt = Checkpointer::start_with(&path, 600).unwrap();
        store.write_backlog_beside(&ckpt).unwrap();
        store.conn.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        for _ in 0..30 {
            ckpt.let_the_log_restart();
            // About 500 frames (2 MB) a batch: 60 MB in all.
            store
                .conn
                .execute_batch(
                    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500)
                     INSERT INTO t SELECT randomblob(4000) FROM s;",
                )
                .unwrap();
            ckpt.nudge();
        }
        drop(ckpt);
        let log = std::fs::metadata(dir.path().join("redress.db-wal"))
            .unwrap()
            .len();
        assert!(
            log < 12_000_000,
            "log after 60 MB written in 30 batches: {log} bytes"
        );
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 15_000);
    }
}
