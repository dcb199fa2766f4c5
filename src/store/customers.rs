//! Customers: their details as officers correct them, and contact restrictions.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};

use super::cases::{address_text, apply_plan, Author};
use super::{find_case_on, insert_event, Result, Store};
use crate::plan::{LetterOrder, Plan, Write};
use crate::time::iso;

/// Corrections to a customer's details; `None` leaves a detail as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerEdit<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// Postal address, one line per line (an empty list clears it).
    pub address: Option<&'a [String]>,
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
        let tx = self.conn.transaction()?;
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
        if let Some(name) = edit.name.map(str::trim) {
            let name = (!name.is_empty()).then_some(name);
            tx.execute(
                "UPDATE customers SET name = ?2 WHERE id = ?1",
                params![id, name],
            )?;
            changed.push(format!("name: {}", name.unwrap_or("(none)")));
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
                *case,
                at,
                actor,
                "customer details corrected",
                None,
                None,
                Some(&detail),
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
                &tx,
                *id,
                by.at,
                by.actor,
                "contact restricted",
                None,
                None,
                Some(detail),
            )?;
        }
        if let (Some(last), Some(notice)) = (ids.last(), notice) {
            let reference: String =
                tx.query_row("SELECT reference FROM cases WHERE id = ?1", [last], |r| {
                    r.get(0)
                })?;
            let case = find_case_on(&tx, &reference)?;
            let plan = Plan {
                writes: vec![Write::Letter(notice.clone())],
            };
            apply_plan(&tx, &case, &plan, by)?;
        }
        tx.commit()?;
        Ok(Some(ids.len()))
    }
}
