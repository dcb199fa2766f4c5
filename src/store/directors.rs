//! Complaints about a director or senior manager: the case's mark and the investigator
//! chosen (seed 004 l.424; `plan::director`).

use rusqlite::{params, Connection, OptionalExtension};

use super::events::Author;
use super::{Result, Store};
use crate::plan::director::{Director, Step};
use crate::time::stamp;

impl Store {
    /// The case's mark as a complaint about a director or senior manager, if any.
    pub fn director_of(&self, case_id: i64) -> Result<Option<Director>> {
        Ok(self
            .conn
            .query_row(
                "SELECT about, marked_by, marked_at, investigator, chosen_by, recorded_by, chosen_at
                 FROM director_complaints WHERE case_id = ?1",
                [case_id],
                |r| {
                    Ok(Director {
                        about: r.get(0)?,
                        marked_by: r.get(1)?,
                        marked_at: r.get(2)?,
                        investigator: r.get(3)?,
                        chosen_by: r.get(4)?,
                        recorded_by: r.get(5)?,
                        chosen_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }
}

/// Write a plan's step to the case's mark.
pub(super) fn write(tx: &Connection, case_id: i64, step: &Step, by: &Author) -> Result<()> {
    match step {
        Step::Marked { about } => {
            tx.execute(
                "INSERT INTO director_complaints (case_id, about, marked_by, marked_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![case_id, about, by.actor, stamp(by.at)],
            )?;
        }
        Step::Chosen {
            investigator,
            chosen_by,
        } => {
            tx.execute(
                "UPDATE director_complaints SET investigator = ?2, chosen_by = ?3,
                     recorded_by = ?4, chosen_at = ?5
                 WHERE case_id = ?1",
                params![case_id, investigator, chosen_by, by.actor, stamp(by.at)],
            )?;
        }
    }
    Ok(())
}
