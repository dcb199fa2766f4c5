//! What the scheduler reads besides deadlines: answered cases to close, and customers'
//! replies on cases awaiting them.

use rusqlite::params;

use super::{Result, Store};

/// A customer's reply not yet considered by the scheduler.
#[derive(Debug, Clone)]
pub struct CustomerReply {
    pub message_id: i64,
    pub case_id: i64,
    pub received_at: String,
    pub subject: String,
    pub text: String,
}

impl Store {
    /// Compliments thanked and redirects sent (acknowledged, nothing more owed).
    pub fn answered_cases(&self) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare_cached(ANSWERED)?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// Replies attached to cases awaiting the customer, that may act on them (not a
    /// third party's, no no-reply reason), oldest first.
    pub fn customer_replies(&self) -> Result<Vec<CustomerReply>> {
        let mut st = self.conn.prepare_cached(CUSTOMER_REPLIES)?;
        let v = st
            .query_map([], |r| {
                Ok(CustomerReply {
                    message_id: r.get(0)?,
                    case_id: r.get(1)?,
                    received_at: r.get(2)?,
                    subject: r.get(3)?,
                    text: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// The customer's reply on case `case_id` an officer confirms as a review request:
    /// message `id`, or the latest one; (message id, received at). Only mail that may act
    /// on the case (not a third party's, no no-reply reason); refused when there is none.
    pub fn customer_reply_on(&self, case_id: i64, id: Option<i64>) -> Result<(i64, String)> {
        use rusqlite::OptionalExtension;
        self.conn
            .prepare_cached(
                "SELECT id, received_at FROM messages
                 WHERE case_id = ?1 AND (?2 IS NULL OR id = ?2)
                 AND COALESCE(matched_by, '') NOT LIKE 'third-party%' AND no_reply_reason IS NULL
                 ORDER BY received_at DESC, id DESC LIMIT 1",
            )?
            .query_row(params![case_id, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| {
                super::StoreError::Refused(match id {
                    Some(id) => {
                        format!("message {id} is not a reply from the customer on this case")
                    }
                    None => "no reply from the customer on this case".to_string(),
                })
            })
    }

    /// The scheduler has acted on this reply.
    pub fn mark_reply_considered(&self, message_id: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE messages SET status = 'considered' WHERE id = ?1")?
            .execute(params![message_id])?;
        Ok(())
    }
}

/// Compliments thanked and redirects sent.
pub(super) const ANSWERED: &str =
    "SELECT id FROM cases WHERE state = 'acknowledged' AND kind IN ('compliment', 'service-request', 'out-of-scope') ORDER BY id";

/// Replies on cases awaiting the customer that may act on them: a case whose stage
/// response closed it as responded (no time limit to ask for the next stage) awaits
/// them too.
pub(super) const CUSTOMER_REPLIES: &str =
    "SELECT m.id, c.id, m.received_at, COALESCE(m.subject, ''), COALESCE(m.body_text, '')
     FROM messages m JOIN cases c ON c.id = m.case_id
     WHERE m.status = 'attached'
     AND (c.state IN ('responded', 'awaiting-customer')
          OR (c.state = 'closed' AND c.close_reason = 'responded'))
     AND m.matched_by NOT LIKE 'third-party%' AND m.no_reply_reason IS NULL ORDER BY m.id";
