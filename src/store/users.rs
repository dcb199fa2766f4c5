//! The web desk's accounts, their sessions and the record of sign-in attempts. Roles
//! are kept as text here ([`crate::accounts::Role`] parses them); passwords only as
//! argon2id hashes, session tokens only as their sha256.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
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
    /// How letters and the desk name them ("Sam Patel"); job title; manager's name.
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub manager: Option<String>,
}

/// What an admin sets of an account's place in the staff directory (`None`: empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDetails {
    pub email: String,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub manager: Option<String>,
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

/// A change to an account as recorded: who did what, when.
#[derive(Debug, Clone, Serialize)]
pub struct AccountEventRow {
    pub at: String,
    pub actor: String,
    pub account: String,
    pub action: String,
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

const USER_COLUMNS: &str =
    "id, name, email, role, password_hash, disabled, created_at, display_name, job_title, manager";

fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        role: r.get(3)?,
        password_hash: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
        created_at: r.get(6)?,
        display_name: r.get(7)?,
        job_title: r.get(8)?,
        manager: r.get(9)?,
    })
}

fn account_event(
    tx: &rusqlite::Transaction,
    at: DateTime<Utc>,
    actor: &str,
    account: &str,
    action: &str,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO account_events (at, actor, account, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![stamp(at), actor, account, action, detail],
    )?;
    Ok(())
}

fn active_admins(tx: &rusqlite::Transaction) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0",
        [],
        |r| r.get(0),
    )?)
}

/// After a change to account `name`, with `before` enabled admins before it: refused
/// (the transaction rolled back by the caller's early return) when it left none, as the
/// desk would have no one left who can manage accounts.
fn keeps_an_admin(tx: &rusqlite::Transaction, name: &str, before: i64) -> Result<()> {
    if before > 0 && active_admins(tx)? == 0 {
        return Err(StoreError::Refused(format!(
            "'{name}' is the last active admin: make another account admin first"
        )));
    }
    Ok(())
}

/// The refusal for a name taken, by itself or in another case.
pub fn name_taken(name: &str, taken: &str) -> String {
    if name == taken {
        format!("a user named '{name}' already exists")
    } else {
        format!("a user named '{taken}' already exists (names are the same whatever their case)")
    }
}

impl Store {
    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    /// A new account, recorded as added by `actor`; refused when the name is taken.
    pub fn add_user(
        &mut self,
        name: &str,
        email: &str,
        role: &str,
        password_hash: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let taken: Option<String> = tx
            .query_row(
                "SELECT name FROM users WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(taken) = taken {
            return Err(StoreError::Refused(name_taken(name, &taken)));
        }
        tx.execute(
            "INSERT INTO users (name, email, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, email, role, password_hash, stamp(at)],
        )?;
        let id = tx.last_insert_rowid();
        account_event(&tx, at, actor, name, "added", &format!("{role}, {email}"))?;
        tx.commit()?;
        Ok(id)
    }

    pub fn users(&self) -> Result<Vec<UserRow>> {
        users(&self.conn)
    }

    /// The name of the account whose name is `name` without regard to case, if any.
    pub fn user_name_taken(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM users WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get(0),
            )
            .optional()?)
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

    /// Disable (or enable) an account, recorded as done by `actor`; a disabled
    /// account's sessions end with it. Refused, with nothing changed, when it would leave
    /// no enabled admin.
    pub fn set_user_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let before = active_admins(&tx)?;
        let n = tx.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled as i64],
        )?;
        if n == 0 {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        }
        keeps_an_admin(&tx, name, before)?;
        if disabled {
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                [name],
            )?;
        }
        let action = if disabled { "disabled" } else { "enabled" };
        account_event(&tx, at, actor, name, action, "")?;
        tx.commit()?;
        Ok(())
    }

    /// A new password hash, recorded (never the hash) as set by `actor`; the account's
    /// sessions end (signed in again with the new one).
    pub fn set_user_password(
        &mut self,
        name: &str,
        password_hash: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE name = ?1",
            params![name, password_hash],
        )?;
        if n == 0 {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        }
        let ended = tx.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
            [name],
        )?;
        account_event(
            &tx,
            at,
            actor,
            name,
            "password",
            &format!("{ended} session(s) ended"),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A new role, recorded as set by `actor`. Refused, with nothing changed, when it
    /// would leave no enabled admin.
    pub fn set_user_role(
        &mut self,
        name: &str,
        role: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let old: Option<String> = tx
            .query_row("SELECT role FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(old) = old else {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        };
        if old == role {
            return Err(StoreError::Refused(format!("'{name}' is already {role}")));
        }
        let before = active_admins(&tx)?;
        tx.execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role],
        )?;
        keeps_an_admin(&tx, name, before)?;
        account_event(&tx, at, actor, name, "role", &format!("{old} to {role}"))?;
        tx.commit()?;
        Ok(())
    }

    /// An account's email, display name, job title and manager, recorded as set by
    /// `actor` with what changed; false (nothing recorded) when nothing did. Refused when
    /// there is no such account.
    pub fn set_user_details(
        &mut self,
        name: &str,
        d: &UserDetails,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let old: Option<UserDetails> = tx
            .query_row(
                "SELECT email, display_name, job_title, manager FROM users WHERE name = ?1",
                [name],
                |r| {
                    Ok(UserDetails {
                        email: r.get(0)?,
                        display_name: r.get(1)?,
                        job_title: r.get(2)?,
                        manager: r.get(3)?,
                    })
                },
            )
            .optional()?;
        let Some(old) = old else {
            return Err(StoreError::Refused(format!("no user named '{name}'")));
        };
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        let mut changed = Vec::new();
        if old.email != d.email {
            changed.push(format!("email {} to {}", old.email, d.email));
        }
        for (what, a, b) in [
            ("display name", &old.display_name, &d.display_name),
            ("job title", &old.job_title, &d.job_title),
            ("manager", &old.manager, &d.manager),
        ] {
            if a != b {
                changed.push(format!("{what} {} to {}", shown(a), shown(b)));
            }
        }
        if changed.is_empty() {
            return Ok(false);
        }
        tx.execute(
            "UPDATE users SET email = ?2, display_name = ?3, job_title = ?4, manager = ?5 WHERE name = ?1",
            params![name, d.email, d.display_name, d.job_title, d.manager],
        )?;
        account_event(&tx, at, actor, name, "details", &changed.join("; "))?;
        tx.commit()?;
        Ok(true)
    }

    /// Changes to accounts, newest first.
    pub fn account_events(&self, limit: usize) -> Result<Vec<AccountEventRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, account, action, detail FROM account_events ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(AccountEventRow {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    account: r.get(2)?,
                    action: r.get(3)?,
                    detail: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
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

    /// Record an attempt refused by the throttle: kept for the audit, never counted as
    /// a failure (so refusals do not lengthen a lock).
    pub fn record_refused_sign_in(
        &mut self,
        account: &str,
        address: &str,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sign_in_attempts (account, address, at, ok, detail, counts) VALUES (?1, ?2, ?3, 0, ?4, 0)",
            params![account, address, stamp(at), detail],
        )?;
        Ok(())
    }

    /// The failed sign-ins of `account` since `since` that count against the throttle
    /// (those under way included): how many, and when the last was.
    pub fn counted_failures_of(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<(u32, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), MAX(at) FROM sign_in_attempts
             WHERE account = ?1 AND at >= ?2 AND ok = 0 AND counts = 1",
            params![account, stamp(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// As [`Store::counted_failures_of`], only those finished (not under way).
    pub fn counted_failures_of_finished(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<(u32, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), MAX(at) FROM sign_in_attempts
             WHERE account = ?1 AND at >= ?2 AND ok = 0 AND counts = 1 AND detail <> 'pending'",
            params![account, stamp(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Every account with counted failures since `since`: (account, how many, the last).
    pub fn counted_failures_by_account(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, u32, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT account, COUNT(*), MAX(at) FROM sign_in_attempts
             WHERE at >= ?1 AND ok = 0 AND counts = 1 GROUP BY account",
        )?;
        let rows = stmt
            .query_map([stamp(since)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// When the `n`-th most recent counted failure from `address` since `since` was,
    /// if there were that many (whatever the accounts).
    pub fn nth_latest_failure_from(
        &self,
        address: &str,
        since: DateTime<Utc>,
        n: u32,
    ) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT at FROM sign_in_attempts
                 WHERE address = ?1 AND at >= ?2 AND ok = 0 AND counts = 1
                 ORDER BY at DESC LIMIT 1 OFFSET ?3",
                params![address, stamp(since), i64::from(n.max(1)) - 1],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// After a good sign-in (attempt `id`): the account's earlier failures no longer
    /// count against the throttle.
    pub fn forget_failures_before(&mut self, account: &str, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sign_in_attempts SET counts = 0
             WHERE account = ?1 AND id < ?2 AND ok = 0 AND counts = 1",
            params![account, id],
        )?;
        Ok(())
    }

    /// An admin's unlock: the account's failures so far no longer count (they stay in the
    /// record), with an account event saying who did it. How many stopped counting; with
    /// none, nothing is recorded.
    pub fn unlock_user(&mut self, name: &str, actor: &str, at: DateTime<Utc>) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE sign_in_attempts SET counts = 0 WHERE account = ?1 AND ok = 0 AND counts = 1",
            [name],
        )?;
        if n > 0 {
            account_event(
                &tx,
                at,
                actor,
                name,
                "unlocked",
                &format!("{n} failed sign-in(s) no longer count"),
            )?;
        }
        tx.commit()?;
        Ok(n)
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

/// Every account, by name (the staff directory reads them).
pub(super) fn users(conn: &Connection) -> Result<Vec<UserRow>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
    let rows = stmt
        .query_map([], user_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
