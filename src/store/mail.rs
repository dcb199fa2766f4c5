//! The store's door for mail coming in (`ingest`, and a release from the quarantine):
//! one write transaction ([`MailTx`]) over which [`Mail`] offers exactly the reads and
//! writes taking in a message needs. The callers decide what a message is (admission,
//! triage, threading); every row they write goes through here, and no SQL or database
//! handle leaves the store.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, Transaction};

use super::intake::Representative;
use super::messages::{CaseLookup, NewMessage};
use super::quarantine::Held;
use super::{LetterRequest, NewCase, NewEvent, Result, Store, StoreError};
use crate::calendar::Calendar;
use crate::policy::Policy;
use crate::triage::Suggestion;

/// A write transaction for mail: committed by [`MailTx::commit`], rolled back if dropped.
pub struct MailTx<'c>(Transaction<'c>);

/// What taking in a message may read and write, inside a [`MailTx`] (or one message's
/// savepoint in it: [`Mail::each`]).
#[derive(Clone, Copy)]
pub struct Mail<'c>(&'c Connection);

impl Store {
    /// The transaction a batch of mail is stored in (deferred: ingestion is the only
    /// writer that reads first for long).
    pub(crate) fn mail_transaction(&mut self) -> Result<MailTx<'_>> {
        Ok(MailTx(self.conn.transaction()?))
    }

    /// The write transaction a release or discard from the quarantine runs in, taken at
    /// once (IMMEDIATE): it reads the quarantined message and then writes, and another
    /// writer (the daemon's ingestion) between the two would otherwise make it fail.
    pub(crate) fn quarantine_transaction(&mut self) -> Result<MailTx<'_>> {
        Ok(MailTx(self.conn.transaction_with_behavior(
            rusqlite::TransactionBehavior::Immediate,
        )?))
    }
}

impl MailTx<'_> {
    pub(crate) fn mail(&self) -> Mail<'_> {
        Mail(&self.0)
    }

    pub(crate) fn commit(self) -> Result<()> {
        Ok(self.0.commit()?)
    }
}

impl StoreError {
    /// The database refused this one message (a constraint, a value it cannot hold):
    /// the message is quarantined with the reason and the rest of its batch stored. Not
    /// so a full disk, an I/O failure, a lock or corruption, which stop the batch.
    pub(crate) fn refuses_one_message(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            StoreError::Sqlite(e) => !matches!(
                e.sqlite_error_code(),
                Some(
                    DiskFull
                        | SystemIoFailure
                        | CannotOpen
                        | DatabaseBusy
                        | DatabaseLocked
                        | ReadOnly
                        | DatabaseCorrupt
                        | OutOfMemory
                )
            ),
            _ => false,
        }
    }
}

impl<'c> Mail<'c> {
    /// `f` in a savepoint: when it fails, only what it wrote is undone.
    pub(crate) fn each<T>(&self, f: impl FnOnce(&Mail<'c>) -> Result<T>) -> Result<T> {
        self.0.execute_batch("SAVEPOINT one_message")?;
        match f(self) {
            Ok(v) => {
                self.0.execute_batch("RELEASE one_message")?;
                Ok(v)
            }
            Err(e) => {
                self.0
                    .execute_batch("ROLLBACK TO one_message; RELEASE one_message")?;
                Err(e)
            }
        }
    }

    /// See [`super::messages::seen`].
    pub(crate) fn seen(
        &self,
        key: &str,
        key_hash: &str,
        old_key_hash: &str,
        old_id: &str,
    ) -> Result<(bool, bool)> {
        super::messages::seen(self.0, key, key_hash, old_key_hash, old_id)
    }

    /// The raw bytes stored (as a message, or quarantined) under ingestion key `key`.
    pub(crate) fn raw_under_key(&self, key: &str) -> Result<Option<Vec<u8>>> {
        super::messages::raw_under_key(self.0, key)
    }

    /// The message stored under `key` and its case's reference, if any.
    pub(crate) fn stored_under_key(&self, key: &str) -> Result<Option<(i64, Option<String>)>> {
        super::messages::stored_under_key(self.0, key)
    }

    /// Whether a letter of ours went out with this Message-ID.
    pub(crate) fn is_our_letter(&self, message_id: &str) -> Result<bool> {
        super::messages::is_our_letter(self.0, message_id)
    }

    /// The letter that went out with this Message-ID: (letter id, case id, reference).
    pub(crate) fn letter_by_message_id(
        &self,
        message_id: &str,
    ) -> Result<Option<(i64, i64, String)>> {
        super::messages::letter_by_message_id(self.0, message_id)
    }

    /// Threading's questions, answered inside this transaction.
    pub(crate) fn case_lookup(&self) -> CaseLookup<'c> {
        CaseLookup(self.0)
    }

    pub(crate) fn insert_message(&self, m: &NewMessage) -> Result<()> {
        super::messages::insert_message(self.0, m)
    }

    /// Put a message in the quarantine with why.
    pub(crate) fn quarantine(
        &self,
        source: &str,
        key: &str,
        raw: &[u8],
        reason: &str,
        at: &str,
    ) -> Result<()> {
        Ok(super::quarantine::quarantine(
            self.0, source, key, raw, reason, at,
        )?)
    }

    /// A quarantined message, unresolved.
    pub(crate) fn held(&self, id: i64) -> Result<Held> {
        super::quarantine::held(self.0, id)
    }

    /// Record what became of a quarantined message.
    pub(crate) fn resolve_held(
        &self,
        id: i64,
        outcome: &str,
        reference: Option<&str>,
        reason: Option<&str>,
        actor: &str,
        at: &str,
    ) -> Result<()> {
        super::quarantine::resolve(self.0, id, outcome, reference, reason, actor, at)
    }

    pub(crate) fn find_case(&self, reference: &str) -> Result<crate::case::Case> {
        super::find_case_on(self.0, reference)
    }

    pub(crate) fn flag_case(&self, case_id: i64, why: &str) -> Result<()> {
        super::flag_case(self.0, case_id, why)
    }

    /// The desk's accounts, for the staff directory (who hears of a safeguarding
    /// concern).
    pub(crate) fn users(&self) -> Result<Vec<super::users::UserRow>> {
        super::users::users(self.0)
    }

    /// An event on a case's timeline.
    pub(crate) fn insert_event(&self, e: &NewEvent) -> Result<()> {
        super::insert_event(self.0, e)
    }

    /// Open a case (and its customer, deadlines and first events).
    pub(crate) fn create_case(
        &self,
        new: &NewCase,
        policy: &Policy,
        prefix: &str,
        cal: &Calendar,
        actor: &str,
        acknowledged: Option<(&str, NaiveDate)>,
    ) -> Result<(i64, String)> {
        super::create_case_with(self.0, new, policy, prefix, cal, actor, acknowledged)
    }

    /// The customer's contact restriction, if any.
    pub(crate) fn customer_restriction(&self, email: &str) -> Result<Option<String>> {
        super::auto_letters::customer_restriction(self.0, email)
    }

    /// Automatic letters to `addr` since `since`.
    pub(crate) fn automatic_letters_to(&self, addr: &str, since: &str) -> Result<u32> {
        super::auto_letters::automatic_letters_to(self.0, addr, since)
    }

    pub(crate) fn automatic_letters_in_hour(&self, hour: &str) -> Result<u32> {
        super::auto_letters::automatic_letters_in_hour(self.0, hour)
    }

    pub(crate) fn count_automatic_letter(&self, hour: &str) -> Result<()> {
        super::auto_letters::count_automatic_letter(self.0, hour)
    }

    /// Whether acknowledgements deferred over the hourly cap are waiting.
    pub(crate) fn acks_waiting(&self) -> Result<bool> {
        super::intake::acks_waiting(self.0)
    }

    pub(crate) fn defer_ack(
        &self,
        case_id: i64,
        received_at: DateTime<Utc>,
        letter: &crate::letter::kind::Content,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::intake::defer_ack(self.0, case_id, received_at, letter, at)
    }

    pub(crate) fn insert_suggestion(
        &self,
        case_id: i64,
        s: &Suggestion,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::intake::insert_suggestion(self.0, case_id, s, at)
    }

    pub(crate) fn upsert_representative(
        &self,
        case_id: i64,
        r: &Representative,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::intake::upsert_representative(self.0, case_id, r, by, at)
    }

    /// A letter owed, stored in this transaction: its id.
    pub(crate) fn request_letter(&self, req: &LetterRequest) -> Result<i64> {
        super::request_letter(self.0, req)
    }

    /// The deadlines `met` by letter `letter` are held to post until it is posted.
    pub(crate) fn hold_for_letter(
        &self,
        case_id: i64,
        met: &[(&str, crate::deadline::Kind)],
        letter: i64,
    ) -> Result<()> {
        super::hold_for_letter(self.0, case_id, met, letter)
    }

    /// Mail to a member of staff, queued once per `dedupe`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn queue_staff_mail(
        &self,
        dedupe: &str,
        domain: &str,
        to: &str,
        subject: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<usize> {
        super::notifications::queue(self.0, dedupe, domain, to, subject, body, at)
    }

    /// The mailbox position (UIDVALIDITY, last UID), saved with the batch it covers.
    pub(crate) fn save_position(
        &self,
        source: &str,
        uidvalidity: u32,
        last_uid: u32,
        at: DateTime<Utc>,
    ) -> Result<()> {
        super::sources::save_position(self.0, source, uidvalidity, last_uid, at)
    }

    /// Index what this transaction opened (a case opened from the quarantine is
    /// searchable when its release commits).
    pub(crate) fn index_for_search(&self) -> Result<()> {
        super::search::index_new(self.0)
    }
}
