//! Where each mailbox source has got to (IMAP: UIDVALIDITY and the last UID stored),
//! saved in the same commit as the batch it covers.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{Result, Store};
use crate::time::stamp;

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
pub(super) fn save_position(
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

impl Store {
    /// Fewer, larger WAL checkpoints while a backlog streams in (each one copies the
    /// log into the database and syncs it): 32 MB of log instead of 4 MB.
    pub fn checkpoint_less_often(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        Ok(())
    }
}
