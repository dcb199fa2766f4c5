//! Automatic steps: each keyed step is recorded in the `steps` table in the transaction
//! that does it, so it is done once however often the scheduler runs.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::cases::apply_plan;
use super::events::Author;
use super::{Result, Store};
use crate::case::Case;
use crate::plan::Plan;
use crate::time::stamp;

impl Store {
    /// Inside a [`Store::batch`]: write `plan` for `case`, once under `key` (recorded
    /// at `now`); false, writing nothing, when the key was recorded before. A step
    /// without a key is always written.
    pub fn apply_step(
        &mut self,
        case: &Case,
        key: Option<&str>,
        plan: &Plan,
        now: DateTime<Utc>,
        by: &Author,
    ) -> Result<bool> {
        if let Some(key) = key {
            let n = self
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO steps (case_id, key, at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![case.id, key, stamp(now)])?;
            if n == 0 {
                return Ok(false);
            }
        }
        apply_plan(&self.conn, case, plan, by)?;
        Ok(true)
    }
}
