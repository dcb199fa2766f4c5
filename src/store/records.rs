//! The SQL behind managers' figures and data protection: the aggregates a performance
//! report is built from, finding and erasing cases past their destruction date,
//! gathering everything held about one person, and the audit history of a case.
//! The arithmetic (working days, shares, destruction dates) is done by the callers in
//! `report`, `retention` and `subject_access`; this file only reads and writes rows.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Result, Store, Stored};

/// Cases received in a period, grouped by what the report breaks them down by.
#[derive(Debug, Clone)]
pub struct ReceivedGroup {
    pub kind: String,
    pub service: Option<String>,
    pub category: Option<String>,
    /// The furthest stage reached (1 = first), as of now.
    pub reached_stage: i64,
    pub count: u64,
}

/// Cases closed in a period, grouped.
#[derive(Debug, Clone)]
pub struct ClosedGroup {
    pub kind: String,
    pub close_reason: Option<String>,
    pub outcome: Option<String>,
    pub count: u64,
}

/// One response that met a 'respond' deadline (`met_on`: the day it was sent).
#[derive(Debug, Clone)]
pub struct ResponseRow {
    /// The case answered (rows come in the order they were sent, so a later row of the
    /// same case and stage supersedes an earlier one).
    pub case_id: i64,
    pub stage: String,
    /// The date the deadline counts from (receipt, acknowledgement, escalation request...).
    pub from_date: String,
    pub due: String,
    pub met_on: String,
}

/// A closed case not yet erased, with what its destruction date depends on.
#[derive(Debug, Clone)]
pub struct RetentionCandidate {
    pub id: i64,
    pub reference: String,
    pub policy: String,
    pub closed_at: String,
    pub reached_stage: i64,
    pub close_reason: Option<String>,
}

/// A case to erase, with the date and rule that make it due (recorded in its event).
#[derive(Debug, Clone)]
pub struct Erasure {
    pub id: i64,
    pub destroy_on: String,
    pub rule: String,
}

/// What one erasure pass removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasedCounts {
    pub cases: u64,
    pub messages: u64,
    pub attachments: u64,
    pub letters: u64,
    /// Files officers enclosed with the erased cases' letters.
    pub enclosures: u64,
    pub customers: u64,
    pub event_details: u64,
    /// Messages on no case (auto-replies, bounces, loops) deleted for their age.
    pub unattached_messages: u64,
    /// Quarantined messages deleted for their age.
    pub quarantined: u64,
}

/// Remember the ingestion keys `select` returns (as SHA-256 hashes) as erased, so that
/// the same mail is never stored again.
fn remember_erased(
    tx: &rusqlite::Connection,
    select: &str,
    args: &[&dyn rusqlite::ToSql],
    at: &str,
) -> Result<()> {
    let keys: Vec<String> = tx
        .prepare(select)?
        .query_map(args, |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO erased_mail (key_hash, erased_at) VALUES (?1, ?2)",
    )?;
    for k in keys {
        ins.execute(params![crate::message::sha256_hex(k.as_bytes()), at])?;
    }
    Ok(())
}

/// A person as the customers table holds them.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerRecord {
    #[serde(skip)]
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub restriction: Option<String>,
    pub restriction_review: Option<String>,
    pub created_at: String,
}

/// A stored message with its bytes, for a subject access export.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: i64,
    pub case_reference: Option<String>,
    pub from_addr: Option<String>,
    pub subject: Option<String>,
    pub sent_at: Option<String>,
    pub received_at: String,
    pub raw: Option<Vec<u8>>,
    pub body_text: Option<String>,
    pub attachments: Vec<AttachmentRecord>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRecord {
    pub id: i64,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    pub size: i64,
    pub sha256: String,
    /// `None` when it was left out at ingestion for its size.
    pub content: Option<Vec<u8>>,
}

/// A letter with its PDF, for a subject access export.
#[derive(Debug, Clone)]
pub struct LetterRecord {
    pub id: i64,
    pub case_reference: String,
    pub kind: Stored<crate::letter::kind::Kind>,
    pub status: String,
    pub to_addr: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub pdf: Option<Vec<u8>>,
    pub pdf_name: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One line of a case's audit history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// The event's sequence number in the whole log (gaps would show a deletion).
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub kind: Stored<crate::event::EventKind>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: Option<String>,
}

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

impl Store {
    /// Cases received on London dates `from..=to`, grouped; a case closed out of scope
    /// (excluded, or a triage suggestion accepted) counts as out of scope, whatever kind
    /// it was opened as.
    pub fn received_groups(&self, from: &str, to: &str) -> Result<Vec<ReceivedGroup>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT CASE WHEN close_reason = 'out-of-scope' THEN 'out-of-scope' ELSE kind END,
                    service, category, reached_stage, count(*) FROM cases
             WHERE received_on BETWEEN ?1 AND ?2
             GROUP BY 1, service, category, reached_stage",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok(ReceivedGroup {
                    kind: r.get(0)?,
                    service: r.get(1)?,
                    category: r.get(2)?,
                    reached_stage: r.get(3)?,
                    count: count(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Cases received per month (`YYYY-MM`) and kind, on London dates `from..=to`.
    pub fn received_by_month(&self, from: &str, to: &str) -> Result<Vec<(String, String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT substr(received_on, 1, 7),
                    CASE WHEN close_reason = 'out-of-scope' THEN 'out-of-scope' ELSE kind END,
                    count(*) FROM cases
             WHERE received_on BETWEEN ?1 AND ?2 GROUP BY 1, 2",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok((r.get(0)?, r.get(1)?, count(r.get(2)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Cases that entered a later stage (their escalation request) on dates `from..=to`,
    /// per stage.
    pub fn stage_entries(&self, from: &str, to: &str) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT stage, count(DISTINCT case_id) FROM deadlines
             WHERE from_date BETWEEN ?1 AND ?2 AND from_event = 'the escalation request'
             GROUP BY stage",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| Ok((r.get(0)?, count(r.get(1)?))))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every response sent on dates `from..=to` that met a respond deadline, with it
    /// (as it stood then: a reopened case's first response keeps its own), in the order
    /// sent; the report counts only the latest of a case at a stage within a period.
    pub fn responses(&self, from: &str, to: &str) -> Result<Vec<ResponseRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id, stage, from_date, due, sent_on FROM responses
             WHERE sent_on BETWEEN ?1 AND ?2 AND due IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok(ResponseRow {
                    case_id: r.get(0)?,
                    stage: r.get(1)?,
                    from_date: r.get(2)?,
                    due: r.get(3)?,
                    met_on: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Responses sent on London dates `from..=to`, counted by stage and outcome; a
    /// response superseded in the same period by a later one at the same stage of the
    /// same case (reopened and answered again) is not counted: the latest stands, once.
    pub fn response_outcomes(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, Option<String>, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT stage, outcome, count(*) FROM responses r
             WHERE sent_on BETWEEN ?1 AND ?2
               AND NOT EXISTS (SELECT 1 FROM responses l
                               WHERE l.case_id = r.case_id AND l.stage = r.stage AND l.id > r.id
                                 AND l.sent_on <= ?2)
             GROUP BY stage, outcome",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok((r.get(0)?, r.get(1)?, count(r.get(2)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Cases closed at times `from_ts <= closed_at < to_ts` (RFC 3339 UTC), grouped; a
    /// case closed out of scope counts as out of scope, not as a complaint.
    pub fn closed_groups(&self, from_ts: &str, to_ts: &str) -> Result<Vec<ClosedGroup>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT CASE WHEN close_reason = 'out-of-scope' THEN 'out-of-scope' ELSE kind END,
                    close_reason, outcome, count(*) FROM cases
             WHERE closed_at >= ?1 AND closed_at < ?2
             GROUP BY 1, close_reason, outcome",
        )?;
        let rows = stmt
            .query_map(params![from_ts, to_ts], |r| {
                Ok(ClosedGroup {
                    kind: r.get(0)?,
                    close_reason: r.get(1)?,
                    outcome: r.get(2)?,
                    count: count(r.get(3)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Complaints open at the end of London date `end` (received by then, not closed
    /// before `end_ts`, or reopened since), counted by the stage they were at: the stage of their latest
    /// deadline counted from a day on or before `end`, else their current stage.
    pub fn open_at(&self, end: &str, end_ts: &str) -> Result<Vec<(String, u64)>> {
        // Two index ranges (still open; closed after the end) instead of a scan of
        // every case received before the end.
        let mut stmt = self.conn.prepare_cached(
            "SELECT COALESCE((SELECT d.stage FROM deadlines d
                              WHERE d.case_id = c.id AND d.from_date <= ?1
                                AND d.kind NOT IN ('survey')
                              ORDER BY d.from_date DESC, d.id DESC LIMIT 1), c.stage) AS s,
                    count(*)
             FROM (SELECT id, stage FROM cases
                   WHERE closed_at IS NULL AND kind = 'complaint' AND received_on <= ?1
                   UNION ALL
                   SELECT id, stage FROM cases
                   WHERE closed_at >= ?2 AND kind = 'complaint' AND +received_on <= ?1) c
             -- Closed then, reopened since: its state at the end, from its events.
             WHERE coalesce((SELECT e.to_state FROM events e
                             WHERE e.case_id = c.id AND e.to_state IS NOT NULL AND e.at < ?2
                             ORDER BY e.at DESC, e.id DESC LIMIT 1), '') != 'closed'
             GROUP BY s",
        )?;
        let rows = stmt
            .query_map(params![end, end_ts], |r| Ok((r.get(0)?, count(r.get(1)?))))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Closed cases whose personal data is still held, closed before `closed_before`
    /// (RFC 3339 UTC): the only ones whose destruction date can have come.
    pub fn retention_candidates(&self, closed_before: &str) -> Result<Vec<RetentionCandidate>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, reference, policy, closed_at, reached_stage, close_reason FROM cases
             WHERE closed_at IS NOT NULL AND closed_at < ?1 AND erased_at IS NULL
             ORDER BY closed_at, id",
        )?;
        let rows = stmt
            .query_map([closed_before], |r| {
                Ok(RetentionCandidate {
                    id: r.get(0)?,
                    reference: r.get(1)?,
                    policy: r.get(2)?,
                    closed_at: r.get(3)?,
                    reached_stage: r.get(4)?,
                    close_reason: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Erase the personal data of `cases` in one transaction: messages and their
    /// attachments are deleted (overwritten on disk: secure_delete), letters keep only
    /// their kind, status and dates, the case keeps only its statistical facts, event
    /// details and pause reasons become '[erased]', a customer with no other case
    /// left is anonymised, and each case gets an 'erased' event. A case already erased
    /// is skipped. The messages are remembered as erased (a hash of each ingestion
    /// key), so that the mailbox offering them again does not store them again.
    pub fn erase_cases(
        &mut self,
        cases: &[Erasure],
        at: &str,
        actor: &str,
    ) -> Result<ErasedCounts> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS erase_set (id INTEGER PRIMARY KEY, detail TEXT NOT NULL);
             DELETE FROM erase_set;
             CREATE TEMP TABLE IF NOT EXISTS erase_customers (id INTEGER PRIMARY KEY);
             DELETE FROM erase_customers;",
        )?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO erase_set (id, detail)
                 SELECT id, ?2 FROM cases WHERE id = ?1 AND erased_at IS NULL AND closed_at IS NOT NULL",
            )?;
            for e in cases {
                let detail = format!(
                    "personal data erased: destruction date {} ({})",
                    e.destroy_on, e.rule
                );
                ins.execute(params![e.id, detail])?;
            }
        }
        let mut n = ErasedCounts {
            cases: count(tx.query_row("SELECT count(*) FROM erase_set", [], |r| r.get(0))?),
            ..ErasedCounts::default()
        };
        // What each case held, for its event (before it goes).
        tx.execute_batch(
            "UPDATE erase_set SET detail = detail || ': '
                || (SELECT count(*) FROM messages m WHERE m.case_id = erase_set.id) || ' messages, '
                || (SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id
                    WHERE m.case_id = erase_set.id) || ' attachments, '
                || (SELECT count(*) FROM letters l WHERE l.case_id = erase_set.id) || ' letters';
             INSERT OR IGNORE INTO erase_customers (id)
                SELECT customer_id FROM cases WHERE id IN (SELECT id FROM erase_set) AND customer_id IS NOT NULL;",
        )?;
        remember_erased(
            &tx,
            "SELECT ingest_key FROM messages WHERE case_id IN (SELECT id FROM erase_set)",
            &[],
            at,
        )?;
        n.attachments = count(tx.execute(
            "DELETE FROM attachments WHERE message_id IN
                (SELECT m.id FROM messages m WHERE m.case_id IN (SELECT id FROM erase_set))",
            [],
        )? as i64);
        n.messages = count(tx.execute(
            "DELETE FROM messages WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )? as i64);
        n.enclosures = count(tx.execute(
            "DELETE FROM letter_attachments WHERE letter_id IN
                (SELECT l.id FROM letters l WHERE l.case_id IN (SELECT id FROM erase_set))",
            [],
        )? as i64);
        // A letter not yet sent will never be: it is marked erased so the outbox leaves it.
        n.letters = count(tx.execute(
            "UPDATE letters SET to_addr = NULL, subject = '', body_text = '', body_html = NULL,
                    pdf = NULL, data = NULL, as_of = NULL, in_reply_to = NULL, refs = NULL, last_error = NULL,
                    held_reason = NULL,
                    status = CASE WHEN status = 'sent' THEN status ELSE 'erased' END
             WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )? as i64);
        tx.execute(
            "UPDATE cases SET subject = NULL, customer_id = NULL, officer = NULL, past_officers = '',
                    flagged = NULL, erased_at = ?1
             WHERE id IN (SELECT id FROM erase_set)",
            [at],
        )?;
        n.event_details = count(tx.execute(
            "UPDATE events SET detail = '[erased]'
             WHERE case_id IN (SELECT id FROM erase_set) AND detail IS NOT NULL AND detail != '[erased]'",
            [],
        )? as i64);
        // A pause's reason is an officer's free text about the case.
        tx.execute(
            "UPDATE pauses SET reason = '[erased]' WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        // Who wrote for the resident, and the triage suggestion's reason (it quotes the mail).
        tx.execute(
            "DELETE FROM representatives WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        // Whom a complaint about a director named, and a behaviour procedure's grounds.
        tx.execute(
            "DELETE FROM director_complaints WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        tx.execute(
            "DELETE FROM behaviour_procedures WHERE customer_id IN (SELECT id FROM erase_customers)
               AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = behaviour_procedures.customer_id
                               AND c.id NOT IN (SELECT id FROM erase_set))",
            [],
        )?;
        tx.execute(
            "UPDATE triage_suggestions SET reason = '[erased]', letter_data = '{}'
             WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        tx.execute(
            "UPDATE letters SET cc_addr = NULL WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        // A response waiting for approval will never go; what was learnt is an
        // officer's free text about the case.
        tx.execute(
            "UPDATE approvals SET response = '{}', why = '[erased]', reason = NULL,
                    status = CASE WHEN status = 'awaiting' THEN 'erased' ELSE status END
             WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        tx.execute(
            "UPDATE learning SET learning = '[erased]', action = '[erased]'
             WHERE case_id IN (SELECT id FROM erase_set)",
            [],
        )?;
        n.customers = count(tx.execute(
            "UPDATE customers SET email = 'erased:' || id, name = NULL, address = NULL, phone = NULL,
                    restriction = NULL, restriction_review = NULL, restriction_contact = NULL,
                    erased_at = ?1
             WHERE id IN (SELECT id FROM erase_customers)
               AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = customers.id)",
            [at],
        )? as i64);
        tx.execute(
            "INSERT INTO events (case_id, at, actor, kind, detail)
             SELECT id, ?1, ?2, ?3, detail FROM erase_set ORDER BY id",
            params![at, actor, crate::event::EventKind::Erased],
        )?;
        tx.commit()?;
        self.conn.pragma_update(None, "secure_delete", "OFF")?;
        Ok(n)
    }

    /// Messages on no case, and quarantined messages, received before `before`
    /// (RFC 3339 UTC): (messages, quarantined). Reads only.
    pub fn unattached_before(&self, before: &str) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM messages WHERE case_id IS NULL AND received_at < ?1),
                    (SELECT count(*) FROM quarantine WHERE received_at < ?1)",
            [before],
            |r| Ok((count(r.get(0)?), count(r.get(1)?))),
        )?)
    }

    /// Delete (overwriting on disk) the messages on no case, with their attachments,
    /// and the quarantined messages, received before `before`: mail that never became
    /// part of a case record has no case to be kept with. Each is remembered as
    /// erased (a hash of its ingestion key), so that it is never stored again.
    pub fn erase_unattached(&mut self, before: &str, at: &str) -> Result<ErasedCounts> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = self.conn.transaction()?;
        remember_erased(
            &tx,
            "SELECT ingest_key FROM messages WHERE case_id IS NULL AND received_at < ?1
             UNION ALL SELECT ingest_key FROM quarantine WHERE received_at < ?1",
            &[&before],
            at,
        )?;
        let mut n = ErasedCounts {
            attachments: count(tx.execute(
                "DELETE FROM attachments WHERE message_id IN
                    (SELECT id FROM messages WHERE case_id IS NULL AND received_at < ?1)",
                [before],
            )? as i64),
            ..ErasedCounts::default()
        };
        n.unattached_messages = count(tx.execute(
            "DELETE FROM messages WHERE case_id IS NULL AND received_at < ?1",
            [before],
        )? as i64);
        n.quarantined =
            count(tx.execute("DELETE FROM quarantine WHERE received_at < ?1", [before])? as i64);
        tx.commit()?;
        self.conn.pragma_update(None, "secure_delete", "OFF")?;
        Ok(n)
    }

    /// The person with this email address (case-insensitive), if Redress holds them.
    pub fn customer_by_email(&self, email: &str) -> Result<Option<CustomerRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, email, name, address, restriction, restriction_review, created_at, phone
                 FROM customers WHERE email = ?1 AND erased_at IS NULL",
                [email.trim()],
                |r| {
                    Ok(CustomerRecord {
                        id: r.get(0)?,
                        email: r.get(1)?,
                        name: r.get(2)?,
                        address: r.get(3)?,
                        restriction: r.get(4)?,
                        restriction_review: r.get(5)?,
                        created_at: r.get(6)?,
                        phone: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Messages on the cases of customer `customer_id`, messages from `email` that are
    /// on no case (auto-replies, noise), and any message naming `email` in Reply-To
    /// (web-form relays, someone writing for them), with attachments; oldest first.
    pub fn messages_of_person(
        &self,
        customer_id: Option<i64>,
        email: &str,
    ) -> Result<Vec<MessageRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.id, c.reference, m.from_addr, m.subject, m.sent_at, m.received_at, m.raw, m.body_text
             FROM cases c JOIN messages m ON m.case_id = c.id
             WHERE c.customer_id = ?1
             UNION ALL
             SELECT m.id, NULL, m.from_addr, m.subject, m.sent_at, m.received_at, m.raw, m.body_text
             FROM messages m
             WHERE m.case_id IS NULL AND m.from_addr = ?2 COLLATE NOCASE
             UNION
             SELECT m.id, c.reference, m.from_addr, m.subject, m.sent_at, m.received_at, m.raw, m.body_text
             FROM messages m LEFT JOIN cases c ON c.id = m.case_id
             WHERE m.reply_to = ?2 COLLATE NOCASE AND m.reply_to IS NOT NULL
             ORDER BY 6, 1",
        )?;
        let mut out = stmt
            .query_map(params![customer_id, email.trim()], |r| {
                Ok(MessageRecord {
                    id: r.get(0)?,
                    case_reference: r.get(1)?,
                    from_addr: r.get(2)?,
                    subject: r.get(3)?,
                    sent_at: r.get(4)?,
                    received_at: r.get(5)?,
                    raw: r.get(6)?,
                    body_text: r.get(7)?,
                    attachments: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut att = self.conn.prepare(
            "SELECT id, name, mime_type, size, sha256, content FROM attachments WHERE message_id = ?1 ORDER BY id",
        )?;
        for m in &mut out {
            m.attachments = att
                .query_map([m.id], |r| {
                    Ok(AttachmentRecord {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        mime_type: r.get(2)?,
                        size: r.get(3)?,
                        sha256: r.get(4)?,
                        content: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
        }
        Ok(out)
    }

    /// Letters on the cases of customer `customer_id`, oldest first.
    pub fn letters_of_customer(&self, customer_id: i64) -> Result<Vec<LetterRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT l.id, c.reference, l.kind, l.status, l.to_addr, l.subject, l.body_text, l.pdf,
                    l.pdf_name, l.created_at, l.sent_at
             FROM letters l JOIN cases c ON c.id = l.case_id
             WHERE c.customer_id = ?1 ORDER BY l.created_at, l.id",
        )?;
        let rows = stmt
            .query_map([customer_id], |r| {
                Ok(LetterRecord {
                    id: r.get(0)?,
                    case_reference: r.get(1)?,
                    kind: r.get(2)?,
                    status: r.get(3)?,
                    to_addr: r.get(4)?,
                    subject: r.get(5)?,
                    body_text: r.get(6)?,
                    pdf: r.get(7)?,
                    pdf_name: r.get(8)?,
                    created_at: r.get(9)?,
                    sent_at: r.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every event of a case in the order it was written, with its log sequence number.
    pub fn history(&self, case_id: i64) -> Result<Vec<HistoryRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, kind, from_state, to_state, detail FROM events
             WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([case_id], |r| {
                Ok(HistoryRow {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    from_state: r.get(4)?,
                    to_state: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// When a case's personal data was erased, if it was.
    pub fn erased_at(&self, case_id: i64) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT erased_at FROM cases WHERE id = ?1",
            [case_id],
            |r| r.get(0),
        )?)
    }
}
