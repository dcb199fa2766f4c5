//! Writing a planned change to a case: [`apply_plan`] executes the writes a pure
//! planner ([`crate::plan`]) decided, in order, inside the caller's transaction. It
//! decides nothing.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::deadlines::{apply_deadline_op, set_extension, set_open_deadline, upsert_deadline};
use super::{insert_event, request_letter, Case, LetterRequest, Result, Store};
use crate::plan::{Plan, Transition, Write};
use crate::time::{iso, stamp};

/// Who writes a plan, and when.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    /// Domain for our letters' Message-IDs.
    pub domain: &'a str,
}

impl Store {
    /// Write `plan` for `case` in one transaction and return the case as stored.
    pub fn apply_plan(&mut self, case: &Case, plan: &Plan, by: &Author) -> Result<Case> {
        let tx = self.conn.transaction()?;
        apply_plan(&tx, case, plan, by)?;
        tx.commit()?;
        self.case_by_id(case.id)
    }
}

/// Write `plan` for `case` inside the caller's transaction.
pub(crate) fn apply_plan(tx: &Connection, case: &Case, plan: &Plan, by: &Author) -> Result<()> {
    for w in &plan.writes {
        match w {
            Write::Transition(t) => write_transition(tx, case, t, by)?,
            Write::Letter(l) => {
                let last = latest_customer_message(tx, case)?;
                request_letter(
                    tx,
                    &LetterRequest {
                        case_id: case.id,
                        reference: &case.reference,
                        kind: &l.kind,
                        to_addr: case.customer_email.as_deref(),
                        in_reply_to: last.as_deref(),
                        references: last.as_deref(),
                        data: l.data.clone(),
                        automatic: l.automatic,
                        actor: by.actor,
                        at: by.at,
                        domain: by.domain,
                    },
                )?;
            }
            Write::Event { kind, detail } => insert_event(
                tx,
                case.id,
                by.at,
                by.actor,
                kind,
                None,
                None,
                detail.as_deref(),
            )?,
            Write::Outcome { outcome, category } => {
                tx.prepare_cached(
                    "UPDATE cases SET outcome = COALESCE(?2, outcome), category = COALESCE(?3, category) WHERE id = ?1",
                )?
                .execute(params![case.id, outcome, category])?;
            }
            Write::Extension {
                stage,
                from,
                period,
                due,
            } => set_extension(tx, case.id, stage, *from, period, *due)?,
            Write::Flag(why) => flag(tx, case.id, why)?,
            Write::SetDeadline {
                stage,
                kind,
                status,
                met_on,
            } => set_open_deadline(tx, case.id, stage, *kind, *status, *met_on)?,
            Write::Notify {
                key,
                to,
                subject,
                body,
            } => {
                for (name, email) in to {
                    super::notifications::queue(
                        tx,
                        &format!("{key}:{name}"),
                        by.domain,
                        email,
                        subject,
                        body,
                        by.at,
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn write_transition(tx: &Connection, case: &Case, t: &Transition, by: &Author) -> Result<()> {
    let f = &t.facts;
    let set = |v: Option<Option<chrono::NaiveDate>>| (v.is_some(), v.flatten().map(iso));
    let (ack, ack_on) = set(f.acknowledged_on);
    let (inv, inv_on) = set(f.investigation_started_on);
    let (resp, resp_on) = set(f.responded_on);
    let (esc, esc_on) = set(f.escalation_requested_on);
    let now = stamp(by.at);
    tx.prepare_cached(
        "UPDATE cases SET state = ?2, updated_at = ?3,
            acknowledged_on = CASE WHEN ?4 THEN ?5 ELSE acknowledged_on END,
            investigation_started_on = CASE WHEN ?6 THEN ?7 ELSE investigation_started_on END,
            responded_on = CASE WHEN ?8 THEN ?9 ELSE responded_on END,
            escalation_requested_on = CASE WHEN ?10 THEN ?11 ELSE escalation_requested_on END,
            stage = COALESCE(?12, stage),
            officer = CASE WHEN ?13 THEN NULL ELSE officer END,
            past_officers = COALESCE(?14, past_officers),
            reached_stage = MAX(reached_stage, COALESCE(?15, reached_stage)),
            close_reason = CASE WHEN ?16 THEN ?17 ELSE close_reason END,
            closed_at = CASE WHEN ?16 THEN ?18 ELSE closed_at END
         WHERE id = ?1",
    )?
    .execute(params![
        case.id,
        t.to,
        now,
        ack,
        ack_on,
        inv,
        inv_on,
        resp,
        resp_on,
        esc,
        esc_on,
        f.stage,
        f.officer_cleared,
        f.past_officers.as_ref().map(|p| p.join(",")),
        f.reached_stage,
        f.close.is_some(),
        f.close.flatten(),
        f.close.flatten().map(|_| now.clone()),
    ])?;
    for op in &t.deadlines {
        apply_deadline_op(tx, case.id, op)?;
    }
    insert_event(
        tx,
        case.id,
        by.at,
        by.actor,
        &t.action.name(),
        Some(t.from.as_str()),
        Some(t.to.as_str()),
        t.detail.as_deref(),
    )?;
    for due in &t.recomputed {
        upsert_deadline(tx, case.id, due, None)?;
    }
    Ok(())
}

/// The Message-ID (in angle brackets) of the customer's latest message on the case,
/// so that our letter threads on it.
fn latest_customer_message(tx: &Connection, case: &Case) -> Result<Option<String>> {
    let last: Option<String> = tx
        .prepare_cached(
            "SELECT message_id FROM messages WHERE case_id = ?1 AND message_id IS NOT NULL AND from_addr = ?2 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![case.id, case.customer_email], |r| r.get(0))
        .optional()?;
    Ok(last.map(|m| format!("<{}>", m.trim_matches(|c| c == '<' || c == '>'))))
}

/// Add `why` to the case's flag for an officer.
fn flag(tx: &Connection, case_id: i64, why: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE cases SET flagged = CASE WHEN flagged IS NULL OR flagged = '' THEN ?2 ELSE flagged || '; ' || ?2 END WHERE id = ?1",
    )?
    .execute(params![case_id, why])?;
    Ok(())
}
