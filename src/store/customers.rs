//! Customers: their details as officers correct them, and contact restrictions.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::cases::{address_text, apply_plan};
use super::events::Author;
use super::NewEvent;
use super::{find_case_on, insert_event, Result, Store};
use crate::event::EventKind;
use crate::plan::behaviour;
use crate::plan::{LetterOrder, Plan, Write};
use crate::time::{iso, stamp};

/// Corrections to a customer's details; `None` leaves a detail as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerEdit<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// Postal address, one line per line (an empty list clears it).
    pub address: Option<&'a [String]>,
    /// Telephone number, checked by [`crate::case::phone`] ("" clears it).
    pub phone: Option<&'a str>,
}

/// Which customer: by their email, or the customer of a case (given by reference).
#[derive(Debug, Clone)]
pub enum CustomerKey<'a> {
    Email(&'a str),
    Case(&'a str),
}

impl Store {
    /// Correct the details of a customer (found by their email, or as the customer of a
    /// case for one who has none), with an event on each of their cases naming what
    /// changed. The number of cases, or None if there is no such customer. A new email
    /// already held by another customer is refused.
    pub fn edit_customer(
        &mut self,
        who: &CustomerKey,
        edit: &CustomerEdit,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<Option<usize>> {
        // A savepoint: a transaction of its own, or nested in the desk's batch.
        let tx = self.conn.savepoint()?;
        let sql = match who {
            CustomerKey::Email(_) => {
                "SELECT id FROM customers WHERE email = ?1 AND erased_at IS NULL"
            }
            CustomerKey::Case(_) => {
                "SELECT cu.id FROM cases c JOIN customers cu ON cu.id = c.customer_id
                 WHERE c.reference = upper(?1) AND cu.erased_at IS NULL"
            }
        };
        let key = match who {
            CustomerKey::Email(k) | CustomerKey::Case(k) => k.trim(),
        };
        let Some(id): Option<i64> = tx.query_row(sql, [key], |r| r.get(0)).ok() else {
            return Ok(None);
        };
        let mut changed = Vec::new();
        if let Some(new) = edit.email.map(str::trim) {
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM customers WHERE email = ?1 AND id != ?2)",
                params![new, id],
                |r| r.get(0),
            )?;
            if taken {
                return Err(super::StoreError::Refused(format!(
                    "{new} is already another customer's address"
                )));
            }
            tx.execute(
                "UPDATE customers SET email = ?2 WHERE id = ?1",
                params![id, new],
            )?;
            changed.push(format!("email: {new}"));
        }
        if let Some(name) = edit.name {
            changed.push(set_text(&tx, id, "name", name)?);
        }
        if let Some(lines) = edit.address {
            let text = address_text(lines);
            tx.execute(
                "UPDATE customers SET address = ?2 WHERE id = ?1",
                params![id, text],
            )?;
            changed.push(format!(
                "address: {}",
                text.map_or("(none)".to_string(), |t| t.replace('\n', ", "))
            ));
        }
        if let Some(phone) = edit.phone {
            changed.push(set_text(&tx, id, "phone", phone)?);
        }
        let ids: Vec<i64> = {
            let mut st = tx.prepare("SELECT id FROM cases WHERE customer_id = ?1 ORDER BY id")?;
            let v = st
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            v
        };
        let detail = changed.join("; ");
        for case in &ids {
            insert_event(
                &tx,
                &NewEvent {
                    case_id: *case,
                    at,
                    actor,
                    kind: EventKind::CustomerDetailsCorrected,
                    from_state: None,
                    to_state: None,
                    detail: Some(&detail),
                },
            )?;
        }
        tx.commit()?;
        Ok(Some(ids.len()))
    }

    /// The contact restriction in force for the customer at `email`, if any.
    pub fn restriction_of(&self, email: &str) -> Result<Option<String>> {
        super::auto_letters::customer_restriction(&self.conn, email)
    }

    /// The named contact of the customer at `email` under a single-contact restriction.
    pub fn restriction_contact_of(&self, email: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT restriction_contact FROM customers WHERE email = ?1",
                [email],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Restrict the contact of the customer at `email` until `review` (with the named
    /// `contact` for single-contact, kept on the customer): an event on each
    /// of their cases and the notice on the latest. The number of cases, or None if
    /// there is no such customer.
    #[allow(clippy::too_many_arguments)]
    pub fn restrict_customer(
        &mut self,
        email: &str,
        level: &str,
        review: NaiveDate,
        contact: Option<&str>,
        detail: &str,
        notice: Option<&LetterOrder>,
        by: &Author,
    ) -> Result<Option<usize>> {
        // A savepoint: a transaction of its own, or nested in a preview's dry run.
        let tx = self.conn.savepoint()?;
        let n = restrict_in(&tx, email, level, review, contact, detail, notice, by)?;
        tx.commit()?;
        Ok(n)
    }

    /// The customer at `email`'s open unreasonable-behaviour procedure, if any, with when
    /// the outcome letter was asked for (representations count from then).
    pub fn open_behaviour(
        &self,
        email: &str,
    ) -> Result<Option<(behaviour::Procedure, Option<String>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT b.step, b.level, b.contact, b.concerns, b.representations_by, b.warned_at
                 FROM behaviour_procedures b JOIN customers cu ON cu.id = b.customer_id
                 WHERE cu.email = ?1 AND b.closed_at IS NULL",
                [email],
                |r| {
                    let step: String = r.get(0)?;
                    let by: Option<String> = r.get(4)?;
                    Ok((
                        behaviour::Procedure {
                            step: behaviour::Step::parse(&step)
                                .unwrap_or(behaviour::Step::Referred),
                            level: r.get(1)?,
                            contact: r.get(2)?,
                            concerns: r.get(3)?,
                            representations_by: by.as_deref().and_then(crate::time::parse_iso),
                        },
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?)
    }

    /// Messages the customer at `email` sent (on any of their cases) after `since`.
    pub fn messages_from_customer_since(&self, email: &str, since: &str) -> Result<usize> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM messages m JOIN cases c ON c.id = m.case_id
             JOIN customers cu ON cu.id = c.customer_id
             WHERE cu.email = ?1 AND m.received_at > ?2",
            params![email, since],
            |r| r.get::<_, i64>(0),
        )? as usize)
    }

    /// Write a step of the customer at `email`'s unreasonable-behaviour procedure: the
    /// procedure row, `next`'s event on each of their cases, `plan` (its letter, the
    /// Monitoring Officer's alert) on the latest, and for a decision to restrict the restriction as `restrict` writes it. The
    /// number of cases, or None if there is no such customer.
    #[allow(clippy::too_many_arguments)]
    pub fn behaviour_step(
        &mut self,
        email: &str,
        next: &behaviour::Next,
        grounds: Option<&str>,
        considered: Option<&Considered>,
        plan: &Plan,
        restriction: Option<&RestrictIn>,
        by: &Author,
    ) -> Result<Option<usize>> {
        let tx = self.conn.savepoint()?;
        let Some(customer): Option<i64> = tx
            .query_row(
                "SELECT id FROM customers WHERE email = ?1 AND erased_at IS NULL",
                [email],
                |r| r.get(0),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let at = stamp(by.at);
        let step = next.step.as_str();
        match next.step {
            behaviour::Step::Referred => {
                tx.execute(
                    "INSERT INTO behaviour_procedures (customer_id, step, grounds, referred_by, referred_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![customer, step, grounds, by.actor, at],
                )?;
            }
            behaviour::Step::Investigating => {
                tx.execute(
                    "UPDATE behaviour_procedures SET step = ?2, investigated_by = ?3, investigated_at = ?4
                     WHERE customer_id = ?1 AND closed_at IS NULL",
                    params![customer, step, by.actor, at],
                )?;
            }
            behaviour::Step::Warned => {
                let c = considered.cloned().unwrap_or_default();
                tx.execute(
                    "UPDATE behaviour_procedures SET step = ?2, level = ?3, contact = ?4, concerns = ?5,
                         representations_by = ?6, warned_by = ?7, warned_at = ?8
                     WHERE customer_id = ?1 AND closed_at IS NULL",
                    params![customer, step, c.level, c.contact, c.concerns, c.by.map(iso), by.actor, at],
                )?;
            }
            behaviour::Step::Restricted | behaviour::Step::NotRestricted => {
                tx.execute(
                    "UPDATE behaviour_procedures SET step = ?2, decided_by = ?3, decided_at = ?4, closed_at = ?4
                     WHERE customer_id = ?1 AND closed_at IS NULL",
                    params![customer, step, by.actor, at],
                )?;
            }
        }
        let ids = case_ids(&tx, email)?;
        for id in &ids {
            insert_event(
                &tx,
                &NewEvent {
                    case_id: *id,
                    at: by.at,
                    actor: by.actor,
                    kind: next.event,
                    from_state: None,
                    to_state: None,
                    detail: Some(&next.detail),
                },
            )?;
        }
        if let (Some(last), false) = (ids.last(), plan.writes.is_empty()) {
            plan_on(&tx, *last, plan, by)?;
        }
        if let Some(r) = restriction {
            restrict_in(
                &tx, email, r.level, r.review, r.contact, r.detail, r.notice, by,
            )?;
        }
        tx.commit()?;
        Ok(Some(ids.len()))
    }
}

/// What the outcome letter said was considered (`restrict --warn`).
#[derive(Debug, Clone, Default)]
pub struct Considered {
    pub level: Option<String>,
    pub contact: Option<String>,
    pub concerns: Option<String>,
    pub by: Option<NaiveDate>,
}

/// A restriction to write with a decision.
#[derive(Debug, Clone)]
pub struct RestrictIn<'a> {
    pub level: &'a str,
    pub review: NaiveDate,
    pub contact: Option<&'a str>,
    pub detail: &'a str,
    pub notice: Option<&'a LetterOrder>,
}

/// The ids of the cases of the customer at `email`, oldest first.
/// Set a customer's free-text `column` (name or phone) to `value`, trimmed; blank
/// clears it. What changed, in the words of the event.
fn set_text(tx: &Connection, id: i64, column: &str, value: &str) -> Result<String> {
    let value = Some(value.trim()).filter(|v| !v.is_empty());
    tx.execute(
        &format!("UPDATE customers SET {column} = ?2 WHERE id = ?1"),
        params![id, value],
    )?;
    Ok(format!("{column}: {}", value.unwrap_or("(none)")))
}

fn case_ids(tx: &Connection, email: &str) -> Result<Vec<i64>> {
    let mut st = tx.prepare(
        "SELECT c.id FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE cu.email = ?1 ORDER BY c.id",
    )?;
    let v = st
        .query_map([email], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(v)
}

/// Ask for `letter` on the case with id `case`.
fn letter_on(tx: &Connection, case: i64, letter: &LetterOrder, by: &Author) -> Result<()> {
    let plan = Plan {
        writes: vec![Write::Letter(letter.clone())],
    };
    plan_on(tx, case, &plan, by)
}

/// Write `plan` (a letter, staff mail) on the case with id `case`.
fn plan_on(tx: &Connection, case: i64, plan: &Plan, by: &Author) -> Result<()> {
    let reference: String =
        tx.query_row("SELECT reference FROM cases WHERE id = ?1", [case], |r| {
            r.get(0)
        })?;
    let case = find_case_on(tx, &reference)?;
    apply_plan(tx, &case, plan, by)
}

/// Restrict the customer at `email` inside the caller's transaction (see
/// [`Store::restrict_customer`]); an open behaviour procedure ends with it.
#[allow(clippy::too_many_arguments)]
fn restrict_in(
    tx: &Connection,
    email: &str,
    level: &str,
    review: NaiveDate,
    contact: Option<&str>,
    detail: &str,
    notice: Option<&LetterOrder>,
    by: &Author,
) -> Result<Option<usize>> {
    let n = tx.execute(
            "UPDATE customers SET restriction = ?2, restriction_review = ?3, restriction_contact = ?4 WHERE email = ?1",
            params![email, level, iso(review), contact],
        )?;
    if n == 0 {
        return Ok(None);
    }
    let ids: Vec<i64> = {
        let mut st = tx.prepare("SELECT c.id FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE cu.email = ?1 ORDER BY c.id")?;
        let v = st
            .query_map([email], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        v
    };
    for id in &ids {
        insert_event(
            tx,
            &NewEvent {
                case_id: *id,
                at: by.at,
                actor: by.actor,
                kind: EventKind::ContactRestricted,
                from_state: None,
                to_state: None,
                detail: Some(detail),
            },
        )?;
    }
    if let (Some(last), Some(notice)) = (ids.last(), notice) {
        letter_on(tx, *last, notice, by)?;
    }
    tx.execute(
            "UPDATE behaviour_procedures SET step = 'restricted', decided_by = ?2, decided_at = ?3, closed_at = ?3
             WHERE closed_at IS NULL AND customer_id = (SELECT id FROM customers WHERE email = ?1)",
            params![email, by.actor, stamp(by.at)],
        )?;
    Ok(Some(ids.len()))
}
