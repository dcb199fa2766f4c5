//! The outbox's SQL: reading letters to render and send, and recording every move of a
//! letter (queued, sending, sent, held, failed) in one transaction with its event.
//! The policy of when to retry and what counts as permanent lives in `crate::outbox`.

use crate::case::Customer;
use crate::event::EventKind;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::NewEvent;
use super::{insert_event, Result, Store, Stored};
use crate::letter::kind as letter;
use crate::time::stamp;

/// Where a letter is on its way out: the `letters.status` column, stored as its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterStatus {
    /// Asked for, not yet rendered.
    Pending,
    /// Rendered, waiting for its (next) attempt.
    Queued,
    /// Claimed for an attempt now.
    Sending,
    /// Sent by email, or posted by hand.
    Sent,
    /// Kept back for an officer (a restriction, no address, letters by post).
    Held,
    /// Given up on: an officer retries it or posts it.
    Failed,
    /// Its content erased under the retention schedule.
    Erased,
}

impl LetterStatus {
    pub const ALL: [LetterStatus; 7] = [
        LetterStatus::Pending,
        LetterStatus::Queued,
        LetterStatus::Sending,
        LetterStatus::Sent,
        LetterStatus::Held,
        LetterStatus::Failed,
        LetterStatus::Erased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LetterStatus::Pending => "pending",
            LetterStatus::Queued => "queued",
            LetterStatus::Sending => "sending",
            LetterStatus::Sent => "sent",
            LetterStatus::Held => "held",
            LetterStatus::Failed => "failed",
            LetterStatus::Erased => "erased",
        }
    }

    pub fn parse(word: &str) -> Option<LetterStatus> {
        LetterStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl std::fmt::Display for LetterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status compares with its word (`status == "held"`).
impl PartialEq<&str> for LetterStatus {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl rusqlite::ToSql for LetterStatus {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for LetterStatus {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let word = v.as_str()?;
        LetterStatus::parse(word).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("unknown letter status '{word}'").into())
        })
    }
}

/// What an officer can do with a letter that did not go by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerLetterAction {
    Retry,
    Posted,
}

/// A letter as the outbox and `redress outbox` see it.
#[derive(Debug, Clone, Serialize)]
pub struct LetterRow {
    pub id: i64,
    #[serde(skip)]
    pub case_id: i64,
    pub reference: String,
    /// Lenient: a row may name a kind this build has no template for.
    pub kind: Stored<letter::Kind>,
    pub message_id: String,
    pub to_addr: Option<String>,
    pub subject: String,
    pub status: LetterStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub held_reason: Option<String>,
    pub created_at: String,
    pub rendered_at: Option<String>,
    pub sent_at: Option<String>,
    pub in_reply_to: Option<String>,
    pub refs: Option<String>,
    pub automatic: bool,
    pub actor: Option<String>,
    /// Template data (JSON text as stored).
    #[serde(skip)]
    pub data: Option<String>,
    pub pdf_name: Option<String>,
    /// The case as it stood when the letter was asked for (JSON text; see [`AsOf`]).
    #[serde(skip)]
    pub as_of: Option<String>,
    /// A copy to the resident when a representative writes for them (with consent).
    pub cc_addr: Option<String>,
}

/// The case as it stood when a letter was asked for: what changes over its life, and
/// its deadlines. Letters asked for before migration 14 have none.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AsOf {
    pub stage: String,
    pub state: String,
    pub officer: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub close_reason: Option<String>,
    pub deadlines: Vec<AsOfDeadline>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct AsOfDeadline {
    pub stage: String,
    pub kind: String,
    pub from_event: String,
    pub from_date: String,
    pub period: String,
    pub due: String,
    pub status: String,
    pub met_on: Option<String>,
}

/// The rendered content of a letter, for sending.
#[derive(Debug, Clone)]
pub struct LetterContent {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub pdf: Option<Vec<u8>>,
    pub pdf_name: Option<String>,
}

/// A file enclosed with a letter, as stored ([`crate::plan::Enclosure`] when asked for).
#[derive(Debug, Clone, Serialize)]
pub struct LetterAttachment {
    pub position: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Keep `files` with letter `letter_id` (just asked for, in the caller's transaction),
/// with an event naming them.
pub(crate) fn enclose(
    conn: &Connection,
    case_id: i64,
    letter_id: i64,
    files: &[crate::plan::Enclosure],
    by: &super::Author,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut ins = conn.prepare_cached(
        "INSERT INTO letter_attachments (letter_id, position, name, content_type, size, sha256, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut names = Vec::new();
    for (i, f) in files.iter().enumerate() {
        ins.execute(params![
            letter_id,
            i as i64 + 1,
            f.name,
            f.content_type,
            f.bytes.len() as i64,
            crate::message::sha256_hex(&f.bytes),
            f.bytes
        ])?;
        names.push(format!(
            "{} ({})",
            f.name,
            crate::plan::enclosure::size_text(f.bytes.len() as u64)
        ));
    }
    insert_event(
        conn,
        &NewEvent {
            case_id,
            at: by.at,
            actor: by.actor,
            kind: EventKind::Enclosed,
            from_state: None,
            to_state: None,
            detail: Some(&format!("letter {letter_id}: {}", names.join(", "))),
        },
    )?;
    Ok(())
}

fn attachments_of(
    conn: &Connection,
    letter_id: i64,
    with_bytes: bool,
) -> Result<Vec<LetterAttachment>> {
    let bytes = if with_bytes { "bytes" } else { "X''" };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT position, name, content_type, size, sha256, {bytes} FROM letter_attachments
         WHERE letter_id = ?1 ORDER BY position"
    ))?;
    let rows = stmt
        .query_map([letter_id], |r| {
            Ok(LetterAttachment {
                position: r.get(0)?,
                name: r.get(1)?,
                content_type: r.get(2)?,
                size: r.get(3)?,
                sha256: r.get(4)?,
                bytes: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

impl Store {
    /// The files enclosed with a letter, in order, with their bytes (to send or export).
    pub fn letter_attachments(&self, letter_id: i64) -> Result<Vec<LetterAttachment>> {
        attachments_of(&self.conn, letter_id, true)
    }

    /// The same without their bytes (to list).
    pub fn letter_attachment_list(&self, letter_id: i64) -> Result<Vec<LetterAttachment>> {
        attachments_of(&self.conn, letter_id, false)
    }
}

const LETTER_COLUMNS: &str =
    "l.id, l.case_id, c.reference, l.kind, l.message_id, l.to_addr, l.subject, l.status,
    l.attempts, l.next_attempt_at, l.last_attempt_at, l.last_error, l.held_reason, l.created_at,
    l.rendered_at, l.sent_at, l.in_reply_to, l.refs, l.automatic, l.actor, l.data, l.pdf_name,
    l.as_of, l.cc_addr";

fn letter_from_row(r: &rusqlite::Row) -> rusqlite::Result<LetterRow> {
    Ok(LetterRow {
        id: r.get(0)?,
        case_id: r.get(1)?,
        reference: r.get(2)?,
        kind: r.get(3)?,
        message_id: r.get(4)?,
        to_addr: r.get(5)?,
        subject: r.get(6)?,
        status: r.get(7)?,
        attempts: r.get(8)?,
        next_attempt_at: r.get(9)?,
        last_attempt_at: r.get(10)?,
        last_error: r.get(11)?,
        held_reason: r.get(12)?,
        created_at: r.get(13)?,
        rendered_at: r.get(14)?,
        sent_at: r.get(15)?,
        in_reply_to: r.get(16)?,
        refs: r.get(17)?,
        automatic: r.get::<_, i64>(18)? != 0,
        actor: r.get(19)?,
        data: r.get(20)?,
        pdf_name: r.get(21)?,
        as_of: r.get(22)?,
        cc_addr: r.get(23)?,
    })
}

fn letters_where(
    conn: &Connection,
    cond: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<LetterRow>> {
    let sql = format!(
        "SELECT {LETTER_COLUMNS} FROM letters l JOIN cases c ON c.id = l.case_id WHERE {cond}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(args, letter_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Filters for `redress outbox`.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    pub status: Option<LetterStatus>,
    pub reference: Option<String>,
    pub limit: Option<usize>,
}

impl Store {
    /// Whether any pending letter is free to claim at `now` (none, or only letters
    /// another renderer holds a live claim on: nothing for this one to do).
    pub fn has_claimable_letters(&self, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM letters WHERE status = 'pending'
                            AND (claimed_until IS NULL OR claimed_until <= ?1))",
            [stamp(now)],
            |r| r.get(0),
        )?)
    }

    /// Claim up to `limit` pending letters that no one holds a live claim on, for
    /// `claimant` until `until`: the letters claimed, oldest first. A process renders
    /// only what it claimed, so two `send` or `render` processes running at once never
    /// render the same letter; a claimer that stops leaves a claim that runs out at
    /// `until`, after which another process claims the letter (issue 23, item 6).
    pub fn claim_pending_letters(
        &mut self,
        limit: usize,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<LetterRow>> {
        let tx = self.conn.transaction()?;
        let until = stamp(until);
        tx.execute(
            "UPDATE letters SET claimed_by = ?1, claimed_until = ?2
             WHERE id IN (SELECT id FROM letters
                          WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?3)
                          ORDER BY id LIMIT ?4)",
            params![claimant, until, stamp(now), limit as i64],
        )?;
        let rows = letters_where(
            &tx,
            "l.status = 'pending' AND l.claimed_by = ?1 ORDER BY l.id",
            &[&claimant],
        )?;
        tx.commit()?;
        Ok(rows)
    }

    /// Letters asked for after letter `after` (an id from [`Store::last_letter_id`]), oldest first.
    pub fn letters_after(&self, after: i64) -> Result<Vec<LetterRow>> {
        letters_where(&self.conn, "l.id > ?1 ORDER BY l.id", &[&after])
    }

    /// The id of the newest letter (0 when there is none).
    pub fn last_letter_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM letters", [], |r| r.get(0))?)
    }

    /// Queued letters whose next attempt is due at `now`, oldest first.
    pub fn due_letters(&self, now: DateTime<Utc>) -> Result<Vec<LetterRow>> {
        letters_where(
            &self.conn,
            "l.status = 'queued' AND (l.next_attempt_at IS NULL OR l.next_attempt_at <= ?1) ORDER BY l.id",
            &[&stamp(now)],
        )
    }

    /// Letters left in 'sending' by a sender that stopped mid-attempt: their attempt
    /// began at or before `cutoff`.
    pub fn interrupted_letters(&self, cutoff: DateTime<Utc>) -> Result<Vec<LetterRow>> {
        letters_where(
            &self.conn,
            "l.status = 'sending' AND (l.last_attempt_at IS NULL OR l.last_attempt_at <= ?1) ORDER BY l.id",
            &[&stamp(cutoff)],
        )
    }

    pub fn letter(&self, id: i64) -> Result<LetterRow> {
        self.find_letter(id)?
            .ok_or_else(|| super::StoreError::Refused(format!("no letter with id {id}")))
    }

    /// The letter with this id, or None if there is none.
    pub fn find_letter(&self, id: i64) -> Result<Option<LetterRow>> {
        Ok(letters_where(&self.conn, "l.id = ?1", &[&id])?.pop())
    }

    pub fn list_letters(&self, f: &LetterFilter) -> Result<Vec<LetterRow>> {
        let mut cond = String::from("1=1");
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = f.status {
            args.push(s.as_str().to_string());
            cond.push_str(&format!(" AND l.status = ?{}", args.len()));
        }
        if let Some(r) = &f.reference {
            args.push(r.trim().to_ascii_uppercase());
            cond.push_str(&format!(" AND c.reference = ?{}", args.len()));
        }
        cond.push_str(" ORDER BY l.id");
        if let Some(n) = f.limit {
            cond.push_str(&format!(" LIMIT {n}"));
        }
        let refs: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        letters_where(&self.conn, &cond, &refs)
    }

    /// Letter counts by status, for `redress outbox`.
    pub fn letter_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM letters GROUP BY status ORDER BY status")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn letter_content(&self, id: i64) -> Result<LetterContent> {
        Ok(self.conn.query_row(
            "SELECT subject, body_text, body_html, pdf, pdf_name FROM letters WHERE id = ?1",
            [id],
            |r| {
                Ok(LetterContent {
                    subject: r.get(0)?,
                    body_text: r.get(1)?,
                    body_html: r.get(2)?,
                    pdf: r.get(3)?,
                    pdf_name: r.get(4)?,
                })
            },
        )?)
    }

    pub fn customer_of_case(&self, case_id: i64) -> Result<Customer> {
        let row = self
            .conn
            .query_row(
                "SELECT cu.email, cu.name, cu.address, cu.restriction, cu.restriction_contact, cu.phone
                 FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?1",
                [case_id],
                |r| {
                    let address: Option<String> = r.get(2)?;
                    Ok(Customer {
                        email: r.get(0)?,
                        name: r.get(1)?,
                        address: address
                            .map(|a| {
                                a.lines()
                                    .flat_map(|l| l.split(','))
                                    .map(|l| l.trim().to_string())
                                    .filter(|l| !l.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default(),
                        restriction: r.get(3)?,
                        restriction_contact: r.get(4)?,
                        phone: r.get(5)?,
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_default())
    }

    /// Store the rendered letter and move it on: to 'queued', or to 'held' with a reason.
    /// False, with nothing written, when it is no longer pending: another process (a
    /// second `send` or `render`) rendered and recorded it first (issue 23, item 6).
    pub fn letter_rendered(
        &mut self,
        letter: &LetterRow,
        content: &LetterContent,
        held_reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        // A savepoint: its own transaction, or part of a caller's [`Store::batch`].
        let tx = self.conn.savepoint()?;
        let status = if held_reason.is_some() {
            LetterStatus::Held
        } else {
            LetterStatus::Queued
        };
        let claimed = tx.execute(
            "UPDATE letters SET subject = ?2, body_text = ?3, body_html = ?4, pdf = ?5, pdf_name = ?6,
                    status = ?7, held_reason = ?8, rendered_at = ?9, next_attempt_at = ?9
             WHERE id = ?1 AND status = 'pending'",
            params![
                letter.id,
                content.subject,
                content.body_text,
                content.body_html,
                content.pdf,
                content.pdf_name,
                status,
                held_reason,
                stamp(at)
            ],
        )?;
        if claimed == 0 {
            return Ok(false);
        }
        match held_reason {
            None => insert_event(
                &tx,
                &NewEvent {
                    case_id: letter.case_id,
                    at,
                    actor: "outbox",
                    kind: EventKind::LetterQueued,
                    from_state: None,
                    to_state: None,
                    detail: Some(&format!(
                        "{} letter {}: {}",
                        letter.kind, letter.message_id, content.subject
                    )),
                },
            )?,
            Some(reason) => insert_event(
                &tx,
                &NewEvent {
                    case_id: letter.case_id,
                    at,
                    actor: "outbox",
                    kind: EventKind::LetterHeld,
                    from_state: None,
                    to_state: None,
                    detail: Some(&format!(
                        "{} letter {} not emailed: {reason}",
                        letter.kind, letter.message_id
                    )),
                },
            )?,
        }
        tx.commit()?;
        Ok(true)
    }

    /// A letter that could not be rendered (or sent): 'failed', the case flagged for an
    /// officer, and an event saying why.
    pub fn letter_failed(
        &mut self,
        letter: &LetterRow,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        // A savepoint: its own transaction, or part of a caller's [`Store::batch`].
        let tx = self.conn.savepoint()?;
        tx.execute(
            "UPDATE letters SET status = 'failed', last_error = ?2, next_attempt_at = NULL WHERE id = ?1",
            params![letter.id, error],
        )?;
        flag_case(
            &tx,
            letter.case_id,
            &format!("{} letter failed: {error}", letter.kind),
            at,
        )?;
        insert_event(
            &tx,
            &NewEvent {
                case_id: letter.case_id,
                at,
                actor: "outbox",
                kind: EventKind::LetterFailed,
                from_state: None,
                to_state: None,
                detail: Some(&format!(
                    "{} letter {}: {error}",
                    letter.kind, letter.message_id
                )),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Hold a queued letter (a restriction imposed after it was rendered).
    pub fn letter_held(
        &mut self,
        letter: &LetterRow,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE letters SET status = 'held', held_reason = ?2, next_attempt_at = NULL WHERE id = ?1",
            params![letter.id, reason],
        )?;
        insert_event(
            &tx,
            &NewEvent {
                case_id: letter.case_id,
                at,
                actor: "outbox",
                kind: EventKind::LetterHeld,
                from_state: None,
                to_state: None,
                detail: Some(&format!(
                    "{} letter {} not emailed: {reason}",
                    letter.kind, letter.message_id
                )),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Claim a queued letter for one attempt: attempts + 1, status 'sending', committed
    /// before any byte goes to the mail server. False when another sender got there first.
    pub fn claim_letter(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE letters SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?2
             WHERE id = ?1 AND status = 'queued'",
            params![id, stamp(at)],
        )?;
        Ok(n == 1)
    }

    /// Re-claim a letter found in 'sending' after an interruption, recording the
    /// possible duplicate in the case's events before anything is resent.
    pub fn reclaim_interrupted(
        &mut self,
        letter: &LetterRow,
        event: EventKind,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE letters SET attempts = attempts + 1, last_attempt_at = ?3
             WHERE id = ?1 AND status = 'sending' AND COALESCE(last_attempt_at, '') = COALESCE(?2, '')",
            params![letter.id, letter.last_attempt_at, stamp(at)],
        )?;
        if n == 1 {
            insert_event(
                &tx,
                &NewEvent {
                    case_id: letter.case_id,
                    at,
                    actor: "outbox",
                    kind: event,
                    from_state: None,
                    to_state: None,
                    detail: Some(&format!(
                        "{} letter {}: {note}",
                        letter.kind, letter.message_id
                    )),
                },
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    pub fn letter_sent(
        &mut self,
        letter: &LetterRow,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE letters SET status = 'sent', sent_at = ?2, last_error = NULL, next_attempt_at = NULL
             WHERE id = ?1",
            params![letter.id, stamp(at)],
        )?;
        // Held for posting once, then emailed after all (an address added, a retry).
        super::deadlines::letter_went(&tx, letter.id, crate::calendar::london_date(at))?;
        insert_event(
            &tx,
            &NewEvent {
                case_id: letter.case_id,
                at,
                actor: "outbox",
                kind: EventKind::LetterSent,
                from_state: None,
                to_state: None,
                detail: Some(&format!(
                    "{} letter {} {detail}",
                    letter.kind, letter.message_id
                )),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// An officer's decision on a held or failed letter, in one transaction with its
    /// event. Returns the letter's new status.
    /// - [`OfficerLetterAction::Retry`] (the cause is fixed): back to the outbox with
    ///   its attempts counted afresh and its Message-ID unchanged, queued to send now
    ///   (a restriction is checked again before it goes), or pending if it was never
    ///   rendered;
    /// - [`OfficerLetterAction::Posted`]: printed and posted by hand, recorded as sent.
    pub fn officer_letter_action(
        &mut self,
        id: i64,
        action: OfficerLetterAction,
        officer: &str,
        at: DateTime<Utc>,
    ) -> Result<LetterStatus> {
        let letter = self.letter(id)?;
        if !matches!(letter.status, LetterStatus::Held | LetterStatus::Failed) {
            return Err(super::StoreError::Refused(format!(
                "letter {id} ({} on {}) is {}: only a held or failed letter can be {}",
                letter.kind,
                letter.reference,
                letter.status,
                match action {
                    OfficerLetterAction::Retry => "retried",
                    OfficerLetterAction::Posted => "recorded as posted",
                }
            )));
        }
        let why = letter
            .held_reason
            .clone()
            .filter(|_| letter.status == LetterStatus::Held)
            .or_else(|| letter.last_error.clone())
            .unwrap_or_default();
        let (status, event, detail) = match action {
            OfficerLetterAction::Retry => {
                let status = if letter.rendered_at.is_some() {
                    LetterStatus::Queued
                } else {
                    LetterStatus::Pending
                };
                (
                    status,
                    EventKind::LetterRetried,
                    format!(
                        "{} letter {} was {} ({why}); back to the outbox by {officer}",
                        letter.kind, letter.message_id, letter.status
                    ),
                )
            }
            OfficerLetterAction::Posted => {
                if letter.rendered_at.is_none() {
                    return Err(super::StoreError::Refused(format!(
                        "letter {id} ({} on {}) was never rendered, so there is nothing to print: retry it first",
                        letter.kind, letter.reference
                    )));
                }
                (
                    LetterStatus::Sent,
                    EventKind::LetterPosted,
                    format!(
                        "{} letter {} was {} ({why}); printed and posted by {officer}",
                        letter.kind, letter.message_id, letter.status
                    ),
                )
            }
        };
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE letters SET status = ?2, attempts = CASE WHEN ?2 = 'sent' THEN attempts ELSE 0 END,
                    next_attempt_at = CASE WHEN ?2 = 'queued' THEN ?3 END,
                    sent_at = CASE WHEN ?2 = 'sent' THEN ?3 ELSE sent_at END,
                    last_error = NULL, held_reason = NULL
             WHERE id = ?1 AND status = ?4",
            params![id, status, stamp(at), letter.status],
        )?;
        if n != 1 {
            return Err(super::StoreError::Refused(format!(
                "letter {id} changed meanwhile: look again with redress outbox"
            )));
        }
        let mut detail = detail;
        if status == LetterStatus::Sent {
            let on = crate::calendar::london_date(at);
            let went = super::deadlines::letter_went(&tx, id, on)?;
            if !went.is_empty() {
                detail.push_str(&format!(
                    "; {} met on {}, the day it was posted",
                    went.join(", "),
                    crate::time::iso(on)
                ));
            }
        }
        insert_event(
            &tx,
            &NewEvent {
                case_id: letter.case_id,
                at,
                actor: &format!("officer:{officer}"),
                kind: event,
                from_state: None,
                to_state: None,
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        Ok(status)
    }

    /// A temporary failure: back to 'queued' until `next`. No event per retry (the
    /// letter row carries the count and the last error); the first one is recorded.
    pub fn letter_retry(
        &mut self,
        letter: &LetterRow,
        error: &str,
        next: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE letters SET status = 'queued', last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![letter.id, error, stamp(next)],
        )?;
        let attempts: i64 = tx.query_row(
            "SELECT attempts FROM letters WHERE id = ?1",
            [letter.id],
            |r| r.get(0),
        )?;
        if attempts <= 1 {
            insert_event(
                &tx,
                &NewEvent {
                    case_id: letter.case_id,
                    at,
                    actor: "outbox",
                    kind: EventKind::LetterDelayed,
                    from_state: None,
                    to_state: None,
                    detail: Some(&format!(
                        "{} letter {}: {error}; retrying from {}",
                        letter.kind,
                        letter.message_id,
                        stamp(next)
                    )),
                },
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Flag a case for an officer, keeping an earlier flag's text in front.
fn flag_case(conn: &Connection, case_id: i64, why: &str, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE cases SET flagged = CASE WHEN flagged IS NULL OR flagged = '' THEN ?2 ELSE flagged || '; ' || ?2 END,
                          updated_at = ?3
         WHERE id = ?1",
        params![case_id, why, stamp(at)],
    )?;
    insert_event(
        conn,
        &NewEvent {
            case_id,
            at,
            actor: "outbox",
            kind: EventKind::Flagged,
            from_state: None,
            to_state: None,
            detail: Some(why),
        },
    )?;
    Ok(())
}
