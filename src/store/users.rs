//! The web desk's accounts, their sessions and the record of sign-in attempts. Roles
//! are kept as text here ([`crate::accounts::Role`] parses them); passwords only as
//! argon2id hashes, session tokens only as their sha256.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Result, Store, StoreError};
use crate::time::stamp;

#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: String,
}

/// A sign-in attempt as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRow {
    pub account: String,
    pub address: String,
    pub at: String,
    pub ok: bool,
    pub detail: String,
}

/// A session as stored, with when it was last used.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf: String,
    pub last_seen: String,
}

const USER_COLUMNS: &str = "id, name, email, role, password_hash, disabled, created_at";

fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        role: r.get(3)?,
        password_hash: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
        created_at: r.get(6)?,
    })
}

impl Store {
    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    /// A new account; refused when the name is taken.
    pub fn add_user(
        &mut self,
        name: &str,
        email: &str,
        role: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        if self.user_by_name(name)?.is_some() {
            return Err(StoreError::Refused(format!(
                "a user named '{name}' already exists"
            )));
        }
        self.conn.execute(
            "INSERT INTO users (name, email, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, email, role, password_hash, stamp(at)],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn users(&self) -> Result<Vec<UserRow>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
        let rows = stmt
            .query_map([], user_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                user_from_row,
            )
            .optional()?)
    }

    /// Every account with this email (case-insensitive).
    pub fn users_by_email(&self, email: &str) -> Result<Vec<UserRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = ?1 ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([email.trim()], user_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id],
                user_from_row,
            )
            .optional()?)
    }

    /// Disable (or enable) an account; a disabled account's sessions end with it.
    pub fn set_user_disabled(&mut self, name: &str, disabled: bool) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled as i64],
        )?;
        if n == 0 {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        }
        if disabled {
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                [name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A new password hash; the account's sessions end (signed in again with the new one).
    pub fn set_user_password(&mut self, name: &str, password_hash: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE name = ?1",
            params![name, password_hash],
        )?;
        if n == 0 {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
            [name],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn create_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![token_hash, user_id, csrf, stamp(at)],
        )?;
        Ok(())
    }

    pub fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT token_hash, user_id, csrf, last_seen FROM sessions WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(SessionRow {
                    token_hash: r.get(0)?,
                    user_id: r.get(1)?,
                    csrf: r.get(2)?,
                    last_seen: r.get(3)?,
                })
            })
            .optional()?)
    }

    pub fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1")?
            .execute(params![token_hash, stamp(at)])?;
        Ok(())
    }

    /// End every session last used at or before `before`; how many.
    pub fn end_sessions_idle_since(&mut self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM sessions WHERE last_seen <= ?1",
            [stamp(before)],
        )?)
    }

    pub fn end_session(&mut self, token_hash: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Record a sign-in attempt, good or not; its row id.
    pub fn record_sign_in(
        &mut self,
        account: &str,
        address: &str,
        at: DateTime<Utc>,
        ok: bool,
        detail: &str,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO sign_in_attempts (account, address, at, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account, address, stamp(at), ok as i64, detail],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Forget the sign-in attempts made before `before`; how many.
    pub fn forget_sign_in_attempts_before(&mut self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM sign_in_attempts WHERE at < ?1",
            params![stamp(before)],
        )?)
    }

    /// How an attempt recorded as pending went.
    pub fn finish_sign_in_attempt(&mut self, id: i64, ok: bool, detail: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE sign_in_attempts SET ok = ?2, detail = ?3 WHERE id = ?1",
            params![id, ok as i64, detail],
        )?;
        Ok(())
    }

    /// Failed sign-ins since `since`: (for this account, from this address).
    pub fn sign_in_failures_since(
        &self,
        account: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(u32, u32)> {
        let since = stamp(since);
        let by_account = self.conn.query_row(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE account = ?1 AND at >= ?2 AND ok = 0",
            params![account, since],
            |r| r.get(0),
        )?;
        let by_address = self.conn.query_row(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE address = ?1 AND at >= ?2 AND ok = 0",
            params![address, since],
            |r| r.get(0),
        )?;
        Ok((by_account, by_address))
    }

    /// The sign-in attempts recorded, newest first.
    pub fn sign_in_attempts(&self, limit: usize) -> Result<Vec<AttemptRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT account, address, at, ok, COALESCE(detail, '') FROM sign_in_attempts ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(AttemptRow {
                    account: r.get(0)?,
                    address: r.get(1)?,
                    at: r.get(2)?,
                    ok: r.get::<_, i64>(3)? != 0,
                    detail: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
