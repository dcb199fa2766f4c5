//! The desk's full-text index (FTS5, migration 18): new cases and messages are indexed
//! together, once per ingestion batch or case opened, inside the caller's transaction;
//! triggers keep indexed rows right as they change.

use rusqlite::Connection;

use super::Result;

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
