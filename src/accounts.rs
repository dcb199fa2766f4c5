//! The web desk's accounts and sessions: passwords hashed with argon2id, sign-in with
//! a throttle, sessions as random 256-bit tokens stored hashed, a CSRF token per
//! session. The CLI (`redress user ...`) and the web desk both call these functions.
//!
//! The pure parts ([`throttled`], [`same_secret`], [`Role`]) decide; the rest loads,
//! decides and writes through the store.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::config::{Account, Config, Directory};
use crate::store::users::{UserDetails, UserRow};
use crate::store::{Store, StoreError};

/// Failed sign-ins for one account from which it is locked (issue 23, item 4). The
/// failures counted are those of the last [`ACCOUNT_WINDOW_HOURS`] since its last good
/// sign-in or an admin's unlock, from any address; attempts refused while it is locked
/// are recorded but never counted, so hammering a locked account does not lengthen its
/// lock.
pub const ACCOUNT_FAILURES: u32 = 5;
pub const ACCOUNT_WINDOW_HOURS: i64 = 24;
/// The first lock lasts this long from the failure that started it; each further
/// failure (once the lock has passed) doubles it, up to [`MAX_LOCK_MINUTES`]: 1, 2, 4,
/// 8, 16, 32, then 60 minutes. A mistyping officer waits a minute; someone guessing
/// gets about one try an hour.
pub const FIRST_LOCK_MINUTES: i64 = 1;
pub const MAX_LOCK_MINUTES: i64 = 60;
/// Failed sign-ins from one client address, across accounts, within
/// [`ADDRESS_WINDOW_MINUTES`] after which that address is refused. Wildly many on
/// purpose: behind a reverse proxy or a council's NAT every officer shares one address,
/// and a few colleagues mistyping must not lock out the rest; this only stops one
/// machine trying names by the hundred.
pub const ADDRESS_FAILURES: u32 = 50;
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// What the record says the attempt refused while locked was (never counted).
pub const REFUSED_LOCKED: &str = "refused: account locked";
pub const REFUSED_ADDRESS: &str = "refused: too many failures from this address";

/// How long the record of sign-in attempts (account, client address, outcome) is kept:
/// long enough to look into a break-in, not for ever (it is personal data).
pub const SIGN_IN_RECORD_DAYS: i64 = 90;

/// The file the first admin's password is written to, in the data dir.
pub const FIRST_ADMIN_FILE: &str = "first-admin-password.txt";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

pub type Result<T> = std::result::Result<T, AccountError>;

/// What an account may do: each role can do everything the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Officer,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Officer, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Whether this role may open what `needed` guards.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// How long `failures` counted failures lock an account for, from the last of them;
/// none below [`ACCOUNT_FAILURES`].
pub fn lock_length(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(ACCOUNT_FAILURES)?;
    let minutes = FIRST_LOCK_MINUTES
        .saturating_mul(1i64 << over.min(20))
        .min(MAX_LOCK_MINUTES);
    Some(Duration::minutes(minutes))
}

/// Until when an account with `failures` counted failures, the last at `last`, is
/// locked; none when it is not locked at `now`.
pub fn locked_until(
    failures: u32,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let until = last? + lock_length(failures)?;
    (until > now).then_some(until)
}

/// Until when an address is refused, given when the [`ADDRESS_FAILURES`]-th most recent
/// counted failure from it within the window was (none if there are not that many).
pub fn address_refused_until(
    nth_latest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let until = nth_latest? + Duration::minutes(ADDRESS_WINDOW_MINUTES);
    (until > now).then_some(until)
}

/// Whole minutes from `now` to `until`, at least one: what a person is told to wait.
pub fn minutes_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (until - now).num_seconds().max(1);
    (secs + 59) / 60
}

/// Two secrets compared in time that depends only on their lengths, never on where
/// they first differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// 256 random bits from the operating system, as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A password to give a person once: 20 characters from an alphabet without look-alikes
/// (about 115 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    let mut rng = rand::rngs::OsRng;
    while out.len() < 20 {
        let b = (rng.next_u32() & 0xff) as usize;
        // Rejection sampling keeps every character equally likely.
        if b < ALPHABET.len() * (256 / ALPHABET.len()) {
            out.push(ALPHABET[b % ALPHABET.len()] as char);
        }
    }
    out
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Refused(format!("cannot hash the password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to check unknown accounts' passwords against, so that a sign-in with an
/// unknown name takes as long as one with a known name.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

fn check_password_rules(password: &str) -> Result<()> {
    if password.chars().count() < 10 {
        return Err(AccountError::Refused(
            "the password must be at least 10 characters".into(),
        ));
    }
    if password.len() > 1024 {
        return Err(AccountError::Refused(
            "the password must be at most 1024 bytes".into(),
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Refused(format!(
            "user name '{name}' must be 1-64 letters, digits, '.', '-' or '_'"
        )))
    }
}

fn check_email(email: &str) -> Result<()> {
    let e = email.trim();
    match e.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(AccountError::Refused(format!(
            "'{email}' is not an email address"
        ))),
    }
}

/// A role as typed (`--role`, the desk's role field).
pub fn role_named(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| {
        AccountError::Refused(format!(
            "unknown role '{}' (known: officer, manager, admin)",
            s.trim()
        ))
    })
}

/// Who a change to accounts is recorded as made by: `officer:NAME`, as on case events.
fn actor(by: &str) -> String {
    format!("officer:{by}")
}

/// `user add`: a new account with this password, recorded as added by `by`.
pub fn add_user(
    store: &mut Store,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    insert_user(store, name, email, role, password, &actor(by), now)
}

fn insert_user(
    store: &mut Store,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    check_name(name)?;
    check_email(email)?;
    check_password_rules(password)?;
    if let Some(taken) = store.user_name_taken(name)? {
        return Err(AccountError::Refused(crate::store::users::name_taken(
            name, &taken,
        )));
    }
    // Sign-in by email and the proxy header find an account by its email: one each.
    if let Some(other) = store.users_by_email(email)?.into_iter().next() {
        return Err(AccountError::Refused(format!(
            "the account '{}' already has the email {}",
            other.name,
            email.trim()
        )));
    }
    let hash = hash_password(password)?;
    Ok(store.add_user(name, email.trim(), role.as_str(), &hash, actor, now)?)
}

/// What an account says of its person in the staff directory, as typed (`user add|set
/// --display-name --job-title --manager`, the Users page): blank is empty.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub display_name: String,
    pub job_title: String,
    pub manager: String,
}

impl Details {
    fn is_empty(&self) -> bool {
        self.display_name.trim().is_empty()
            && self.job_title.trim().is_empty()
            && self.manager.trim().is_empty()
    }
}

/// The staff directory: the desk's accounts with `[[staff]]` in the config as seed
/// data ([`Directory::new`] says how the two meet). What assignment, staff alerts,
/// escalation chains and letters read.
pub fn directory(store: &Store, cfg: &Config) -> std::result::Result<Directory, StoreError> {
    Ok(directory_of(store.users()?, cfg))
}

/// The staff directory of these accounts and `[[staff]]`.
pub fn directory_of(users: Vec<crate::store::users::UserRow>, cfg: &Config) -> Directory {
    let accounts: Vec<Account> = users
        .into_iter()
        .map(|u| Account {
            name: u.name,
            email: u.email,
            role: u.role,
            display_name: u.display_name,
            job_title: u.job_title,
            manager: u.manager,
            disabled: u.disabled,
        })
        .collect();
    Directory::new(
        &cfg.staff,
        &accounts,
        cfg.workflow.duty_manager.as_deref(),
        &cfg.council.email,
    )
}

/// A display name or job title as typed: trimmed, blank as none; refused when longer
/// than a letter can carry or holding a control character.
fn checked_text(what: &str, v: &str) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > 100 || v.chars().any(char::is_control) {
        return Err(AccountError::Refused(format!(
            "the {what} must be at most 100 characters on one line"
        )));
    }
    Ok(Some(v.to_string()))
}

/// `details` checked for account `name` (which may not exist yet): the manager in the
/// directory, not the account itself, and not below it.
fn checked_details(
    store: &Store,
    cfg: &Config,
    name: &str,
    email: &str,
    d: &Details,
) -> Result<UserDetails> {
    check_email(email)?;
    let manager = d.manager.trim();
    let manager = if manager.is_empty() {
        None
    } else {
        directory(store, cfg)?
            .check_manager(name, manager)
            .map_err(AccountError::Refused)?;
        Some(manager.to_string())
    };
    Ok(UserDetails {
        email: email.trim().to_string(),
        display_name: checked_text("display name", &d.display_name)?,
        job_title: checked_text("job title", &d.job_title)?,
        manager,
    })
}

/// `user add` with the account's place in the staff directory: everything checked
/// before anything is written.
#[allow(clippy::too_many_arguments)]
pub fn add_staff_user(
    store: &mut Store,
    cfg: &Config,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
    d: &Details,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    check_name(name)?;
    let details = checked_details(store, cfg, name, email, d)?;
    let id = add_user(store, name, email, role, password, by, now)?;
    if !d.is_empty() {
        store.set_user_details(name, &details, &actor(by), now)?;
    }
    Ok(id)
}

/// `user set`: an account's email, display name, job title and manager, recorded as
/// set by `by` with what changed. False when nothing changed (nothing recorded).
pub fn set_details(
    store: &mut Store,
    cfg: &Config,
    name: &str,
    email: &str,
    d: &Details,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    if store.user_by_name(name)?.is_none() {
        return Err(AccountError::Refused(format!("no user named '{name}'")));
    }
    let details = checked_details(store, cfg, name, email, d)?;
    if let Some(other) = store
        .users_by_email(&details.email)?
        .into_iter()
        .find(|u| u.name != name)
    {
        return Err(AccountError::Refused(format!(
            "the account '{}' already has the email {}",
            other.name, details.email
        )));
    }
    Ok(store.set_user_details(name, &details, &actor(by), now)?)
}

/// `user passwd`: a new password, recorded as set by `by`; the account's sessions end.
pub fn set_password(
    store: &mut Store,
    name: &str,
    password: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check_password_rules(password)?;
    if store.user_by_name(name)?.is_none() {
        return Err(AccountError::Refused(format!("no user named '{name}'")));
    }
    let hash = hash_password(password)?;
    Ok(store.set_user_password(name, &hash, &actor(by), now)?)
}

/// `user disable`: the account can no longer sign in; its sessions end. No one disables
/// their own account, and the last enabled admin is never disabled.
pub fn disable(store: &mut Store, name: &str, by: &str, now: DateTime<Utc>) -> Result<()> {
    if name == by {
        return Err(AccountError::Refused(format!(
            "'{name}' cannot disable their own account"
        )));
    }
    match store.user_by_name(name)? {
        None => return Err(AccountError::Refused(format!("no user named '{name}'"))),
        Some(u) if u.disabled => {
            return Err(AccountError::Refused(format!(
                "'{name}' is already disabled"
            )))
        }
        Some(_) => {}
    }
    Ok(store.set_user_disabled(name, true, &actor(by), now)?)
}

/// `user role`: what the account may do from its next request on; the last enabled
/// admin keeps the role.
pub fn set_role(
    store: &mut Store,
    name: &str,
    role: Role,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    Ok(store.set_user_role(name, role.as_str(), &actor(by), now)?)
}

/// On first start with no accounts: an `admin` account with a random password, written
/// to a file readable by its owner only in `data_dir`. Returns the file when it made one.
pub fn ensure_first_admin(
    store: &mut Store,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>> {
    if store.user_count()? > 0 {
        return Ok(None);
    }
    let password = generate_password();
    let path = data_dir.join(FIRST_ADMIN_FILE);
    std::fs::create_dir_all(data_dir)
        .map_err(|e| AccountError::Io(format!("{}: {e}", data_dir.display())))?;
    write_private(&path, &format!("{password}\n"))
        .map_err(|e| AccountError::Io(format!("{}: {e}", path.display())))?;
    insert_user(
        store,
        "admin",
        "admin@localhost.invalid",
        Role::Admin,
        &password,
        "first start",
        now,
    )?;
    Ok(Some(path))
}

/// Write `text` to a new file (replacing any old one) readable and writable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// A signed-in user, as a request sees them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub csrf: String,
    pub token_hash: String,
}

/// Why a sign-in failed, as the person signing in is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    /// Wrong name or password (or a disabled account): one message for all, so the page
    /// does not tell which accounts exist.
    Wrong,
    /// The account is locked after several wrong passwords, for this many more minutes.
    Locked { minutes: i64 },
    /// Wildly many failures from this address lately: wait this many minutes.
    AddressRefused { minutes: i64 },
}

/// A sign-in under way: the account looked up, and the attempt already recorded as a
/// failure (so that attempts made at the same moment count against the throttle)
/// until [`finish_sign_in`] records how it went.
#[derive(Debug)]
pub struct Attempt {
    id: i64,
    key: String,
    user: Option<UserRow>,
}

impl Attempt {
    /// Check the password (argon2id: tens of milliseconds and 19 MiB; the store is not
    /// needed, so the caller need not hold it). An unknown account is checked against a
    /// dummy hash, taking as long. A disabled account never passes.
    pub fn verify(&self, password: &str) -> bool {
        match &self.user {
            Some(u) => verify_password(password, &u.password_hash) && !u.disabled,
            None => {
                verify_password(password, dummy_hash());
                false
            }
        }
    }
}

/// Until when the account recorded under `key` is locked at `now`, if it is.
fn account_lock(store: &Store, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    let (failures, last) =
        store.counted_failures_of(key, now - Duration::hours(ACCOUNT_WINDOW_HOURS))?;
    let last = last.as_deref().and_then(crate::time::parse_stamp);
    Ok(locked_until(failures, last, now))
}

/// Look up the account named (by name, or by email when exactly one enabled account has
/// it) and check the throttle: refused while the account is locked or the address has
/// failed wildly often (the refusal recorded, never counted as a failure). Otherwise the
/// attempt is recorded, pending.
pub fn begin_sign_in(
    store: &mut Store,
    account: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Attempt, SignInRefused>> {
    let submitted = account.trim();
    let user = match store.user_by_name(submitted)? {
        Some(u) => Some(u),
        None if submitted.contains('@') => {
            let mut found = store.users_by_email(submitted)?;
            found.retain(|u| !u.disabled);
            if found.len() == 1 {
                found.pop()
            } else {
                None
            }
        }
        None => None,
    };
    let key = match &user {
        Some(u) => u.name.clone(),
        None => submitted.to_lowercase(),
    };
    store.forget_sign_in_attempts_before(now - Duration::days(SIGN_IN_RECORD_DAYS))?;
    let shown = user
        .as_ref()
        .map(|u| u.name.as_str())
        .unwrap_or("(unknown)");
    if let Some(until) = account_lock(store, &key, now)? {
        store.record_refused_sign_in(&key, address, now, REFUSED_LOCKED)?;
        tracing::info!(
            account = shown,
            address,
            until = %crate::time::stamp(until),
            "sign-in refused: the account is locked after too many failures"
        );
        return Ok(Err(SignInRefused::Locked {
            minutes: minutes_left(until, now),
        }));
    }
    let nth = store.nth_latest_failure_from(
        address,
        now - Duration::minutes(ADDRESS_WINDOW_MINUTES),
        ADDRESS_FAILURES,
    )?;
    if let Some(until) =
        address_refused_until(nth.as_deref().and_then(crate::time::parse_stamp), now)
    {
        store.record_refused_sign_in(&key, address, now, REFUSED_ADDRESS)?;
        tracing::info!(
            account = shown,
            address,
            "sign-in refused: too many failures from this address"
        );
        return Ok(Err(SignInRefused::AddressRefused {
            minutes: minutes_left(until, now),
        }));
    }
    let id = store.record_sign_in(&key, address, now, false, "pending")?;
    Ok(Ok(Attempt { id, key, user }))
}

/// Record how the attempt went; on success a new session, and the failures before it
/// no longer count. A failure that starts a lock on an account tells its owner by email
/// (staff mail, sent with the rest; Message-IDs at `mail_domain`), unless the account's
/// address is a placeholder (`.invalid`, as the first admin's is).
pub fn finish_sign_in(
    store: &mut Store,
    attempt: Attempt,
    good: bool,
    address: &str,
    mail_domain: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(String, SignedIn), SignInRefused>> {
    let detail = match &attempt.user {
        None => "unknown account",
        Some(u) if u.disabled => "account disabled",
        Some(_) if !good => "wrong password",
        Some(_) => "password",
    };
    store.finish_sign_in_attempt(attempt.id, good, detail)?;
    match attempt.user {
        Some(u) if good => {
            store.forget_failures_before(&u.name, attempt.id)?;
            tracing::info!(account = %u.name, address, "signed in");
            Ok(Ok(start_session(store, &u, now)?))
        }
        user => {
            let name = user
                .as_ref()
                .map(|u| u.name.as_str())
                .unwrap_or("(unknown)");
            tracing::info!(account = name, address, reason = detail, "sign-in failed");
            if let Some(u) = user.as_ref().filter(|u| !u.disabled) {
                tell_owner_if_locked(store, u, &attempt.key, address, mail_domain, now)?;
            }
            Ok(Err(SignInRefused::Wrong))
        }
    }
}

/// After a failure: if it is the one that locks the account (the first lock since the
/// failures began counting), email its owner what happened and what to do.
fn tell_owner_if_locked(
    store: &mut Store,
    user: &UserRow,
    key: &str,
    address: &str,
    mail_domain: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (finished, _) =
        store.counted_failures_of_finished(key, now - Duration::hours(ACCOUNT_WINDOW_HOURS))?;
    if finished != ACCOUNT_FAILURES {
        return Ok(());
    }
    let email = user.email.trim();
    if email.is_empty() || email.to_ascii_lowercase().ends_with(".invalid") {
        return Ok(());
    }
    let at = crate::time::stamp(now);
    let minutes = lock_length(ACCOUNT_FAILURES).map_or(1, |d| d.num_minutes());
    let body = format!(
        "Your account '{name}' on the complaints desk was locked at {at} (UTC) after \
         {ACCOUNT_FAILURES} wrong passwords in a row, the last from the address {address}.\n\n\
         It opens again after {minutes} minute(s); each further wrong password locks it \
         for twice as long, up to {MAX_LOCK_MINUTES} minutes. An administrator can unlock \
         it at once (Users page, or `redress user unlock {name}`).\n\n\
         If these were not your attempts, tell an administrator: someone may be trying \
         to guess your password.\n",
        name = user.name,
    );
    store.queue_staff_mail(
        &format!("account-locked:{}:{at}", user.name),
        mail_domain,
        email,
        "Your complaints desk account is locked",
        &body,
        now,
    )?;
    tracing::info!(account = %user.name, "account locked: its owner is told by email");
    Ok(())
}

/// Check a name (or email) and password from `address`; on success a new session.
/// Every attempt is recorded, with no password and, for an unknown account, the text
/// submitted in the table only (never in the log). The web desk runs the three steps
/// itself, holding the store only for the first and the last.
pub fn sign_in(
    store: &mut Store,
    account: &str,
    password: &str,
    address: &str,
    mail_domain: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(String, SignedIn), SignInRefused>> {
    let attempt = match begin_sign_in(store, account, address, now)? {
        Ok(a) => a,
        Err(refused) => return Ok(Err(refused)),
    };
    let good = attempt.verify(password);
    finish_sign_in(store, attempt, good, address, mail_domain, now)
}

/// `user unlock`: the account's failed sign-ins so far stop counting against the
/// throttle (they stay in the record), recorded as done by `by`. Refused when it has
/// none counting.
pub fn unlock(store: &mut Store, name: &str, by: &str, now: DateTime<Utc>) -> Result<()> {
    if store.user_by_name(name)?.is_none() {
        return Err(AccountError::Refused(format!("no user named '{name}'")));
    }
    let n = store.unlock_user(name, &actor(by), now)?;
    if n == 0 {
        return Err(AccountError::Refused(format!(
            "'{name}' is not locked: no failed sign-ins count against it"
        )));
    }
    Ok(())
}

/// Every account locked at `now`, with until when.
pub fn locked_accounts(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, DateTime<Utc>>> {
    let since = now - Duration::hours(ACCOUNT_WINDOW_HOURS);
    Ok(store
        .counted_failures_by_account(since)?
        .into_iter()
        .filter_map(|(account, n, last)| {
            let until = locked_until(n, crate::time::parse_stamp(&last), now)?;
            Some((account, until))
        })
        .collect())
}

/// A new session for `user`: the cookie's token (returned, never stored) and who they are.
pub fn start_session(
    store: &mut Store,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<(String, SignedIn)> {
    let role = parse_role(user)?;
    let token = random_token();
    let hash = token_hash(&token);
    let csrf = random_token();
    store.create_session(&hash, user.id, &csrf, now)?;
    Ok((
        token,
        SignedIn {
            user_id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role,
            csrf,
            token_hash: hash,
        },
    ))
}

fn parse_role(user: &UserRow) -> Result<Role> {
    Role::parse(&user.role).ok_or_else(|| {
        AccountError::Refused(format!(
            "user '{}' has an unknown role '{}'",
            user.name, user.role
        ))
    })
}

/// Whether a session last used at `last_seen` has lapsed at `now`.
pub fn idle_expired(last_seen: DateTime<Utc>, now: DateTime<Utc>, idle_hours: u32) -> bool {
    now - last_seen >= Duration::hours(i64::from(idle_hours))
}

/// The session a cookie's token names, if it is live and its account enabled; its
/// last use is moved to `now`. A lapsed session is ended.
pub fn session(
    store: &mut Store,
    token: &str,
    now: DateTime<Utc>,
    idle_hours: u32,
) -> Result<Option<SignedIn>> {
    let hash = token_hash(token);
    let Some(s) = store.session(&hash)? else {
        return Ok(None);
    };
    let last = crate::time::parse_stamp(&s.last_seen).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if idle_expired(last, now, idle_hours) {
        store.end_session(&hash)?;
        return Ok(None);
    }
    let Some(user) = store.user_by_id(s.user_id)? else {
        return Ok(None);
    };
    if user.disabled {
        store.end_session(&hash)?;
        return Ok(None);
    }
    // One write a minute at most per session, not one per request.
    if now - last >= Duration::minutes(1) {
        store.touch_session(&hash, now)?;
    }
    Ok(Some(SignedIn {
        user_id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        role: parse_role(&user)?,
        csrf: s.csrf,
        token_hash: s.token_hash,
    }))
}

/// The enabled account a trusted proxy's header names by email: exactly one, else none.
pub fn proxy_user(store: &Store, email: &str) -> Result<Option<UserRow>> {
    let mut found = store.users_by_email(email)?;
    found.retain(|u| !u.disabled);
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// End the sessions that have lapsed (kept from growing: a lapsed session is otherwise
/// ended only when its cookie comes back).
pub fn end_idle_sessions(store: &mut Store, now: DateTime<Utc>, idle_hours: u32) -> Result<usize> {
    Ok(store.end_sessions_idle_since(now - Duration::hours(i64::from(idle_hours)))?)
}

pub fn sign_out(store: &mut Store, token_hash: &str) -> Result<()> {
    Ok(store.end_session(token_hash)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_starts_at_the_fifth_failure_and_doubles_up_to_an_hour() {
        let m = |n| lock_length(n).map(|d| d.num_minutes());
        assert_eq!(m(0), None);
        assert_eq!(m(4), None);
        assert_eq!(
            (5..=12).map(|n| m(n).unwrap()).collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 60, 60]
        );
        assert_eq!(m(u32::MAX), Some(60));
        let t = Utc::now();
        assert_eq!(locked_until(4, Some(t), t), None);
        assert_eq!(locked_until(5, Some(t), t), Some(t + Duration::minutes(1)));
        assert_eq!(locked_until(5, Some(t), t + Duration::minutes(1)), None);
        assert_eq!(locked_until(5, None, t), None);
        assert_eq!(minutes_left(t + Duration::seconds(61), t), 2);
        assert_eq!(minutes_left(t + Duration::seconds(60), t), 1);
        assert_eq!(minutes_left(t, t), 1);
        assert_eq!(
            address_refused_until(Some(t), t + Duration::minutes(14)),
            Some(t + Duration::minutes(ADDRESS_WINDOW_MINUTES))
        );
        assert_eq!(
            address_refused_until(Some(t), t + Duration::minutes(15)),
            None
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abcdef", b"abcdef"));
        assert!(!same_secret(b"abcdef", b"abcdeg"));
        assert!(!same_secret(b"abcdef", b"bbcdef"));
        assert!(!same_secret(b"abc", b"abcdef"));
        assert!(!same_secret(b"", b"x"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.allows(Role::Officer));
        assert!(Role::Manager.allows(Role::Manager));
        assert!(!Role::Officer.allows(Role::Manager));
        assert!(!Role::Manager.allows(Role::Admin));
        assert_eq!(Role::parse("manager"), Some(Role::Manager));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tokens_are_256_bits_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        let p = generate_password();
        assert_eq!(p.len(), 20);
        assert_ne!(p, generate_password());
    }

    #[test]
    fn idle_sessions_lapse() {
        let t = Utc::now();
        assert!(!idle_expired(t, t + Duration::hours(7), 8));
        assert!(idle_expired(t, t + Duration::hours(8), 8));
    }

    #[test]
    fn sign_in_attempts_are_kept_90_days() {
        let mut s = Store::open_in_memory().unwrap();
        let then = Utc::now() - Duration::days(200);
        for _ in 0..3 {
            assert!(sign_in(
                &mut s,
                "nobody",
                "wrong password!",
                "10.0.0.9",
                "x.example",
                then
            )
            .unwrap()
            .is_err());
        }
        assert_eq!(s.sign_in_attempts(100).unwrap().len(), 3);
        let later = then + Duration::days(SIGN_IN_RECORD_DAYS);
        assert!(sign_in(
            &mut s,
            "nobody",
            "wrong password!",
            "10.0.0.9",
            "x.example",
            later
        )
        .unwrap()
        .is_err());
        assert_eq!(
            s.sign_in_attempts(100).unwrap().len(),
            4,
            "90 days to the second: kept"
        );
        let after = later + Duration::seconds(1);
        assert!(sign_in(
            &mut s,
            "nobody",
            "wrong password!",
            "10.0.0.9",
            "x.example",
            after
        )
        .unwrap()
        .is_err());
        let left = s.sign_in_attempts(100).unwrap();
        assert_eq!(left.len(), 2, "the three from 200 days ago are gone");
    }

    #[test]
    fn sign_in_records_and_throttles() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let d = "council.example";
        add_user(
            &mut s,
            "sam",
            "sam@council.example",
            Role::Officer,
            "correct horse battery",
            "cli",
            now,
        )
        .unwrap();
        assert!(
            sign_in(&mut s, "sam", "wrong password!", "10.0.0.1", d, now)
                .unwrap()
                .is_err()
        );
        let (token, who) = sign_in(
            &mut s,
            "SAM@council.example",
            "correct horse battery",
            "10.0.0.1",
            d,
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(who.name, "sam");
        assert!(session(&mut s, &token, now, 8).unwrap().is_some());
        assert_eq!(
            end_idle_sessions(&mut s, now + Duration::hours(7), 8).unwrap(),
            0
        );
        let sam = s.user_by_name("sam").unwrap().unwrap();
        let (other, _) = start_session(&mut s, &sam, now).unwrap();
        assert_eq!(
            end_idle_sessions(&mut s, now + Duration::hours(8), 8).unwrap(),
            2
        );
        assert!(session(&mut s, &other, now + Duration::hours(1), 8)
            .unwrap()
            .is_none());
        assert!(session(&mut s, &token, now + Duration::hours(9), 8)
            .unwrap()
            .is_none());
        // The failure before the good sign-in no longer counts: four more do not lock.
        for _ in 0..4 {
            assert_eq!(
                sign_in(&mut s, "sam", "nope nope nope", "10.0.0.2", d, now)
                    .unwrap()
                    .unwrap_err(),
                SignInRefused::Wrong
            );
        }
        assert!(locked_accounts(&s, now).unwrap().is_empty());
        assert_eq!(
            sign_in(&mut s, "sam", "nope nope nope", "10.0.0.2", d, now)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Wrong
        );
        // The fifth locks the account for a minute: the right password is refused too,
        // from any address, and refusals (ten of them) do not lengthen the lock.
        for _ in 0..10 {
            assert_eq!(
                sign_in(&mut s, "sam", "correct horse battery", "10.0.0.3", d, now)
                    .unwrap()
                    .unwrap_err(),
                SignInRefused::Locked { minutes: 1 }
            );
        }
        // Its owner is told, once.
        assert_eq!(
            s.due_notifications(now)
                .unwrap()
                .iter()
                .filter(|n| n.to_addr == "sam@council.example")
                .count(),
            1
        );
        // A minute on, one more wrong password locks it for two.
        let t1 = now + Duration::seconds(61);
        assert_eq!(
            sign_in(&mut s, "sam", "still wrong!", "10.0.0.4", d, t1)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Wrong
        );
        assert_eq!(
            sign_in(&mut s, "sam", "correct horse battery", "10.0.0.4", d, t1)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Locked { minutes: 2 }
        );
        // An admin's unlock: the right password works at once.
        unlock(&mut s, "sam", "ada", t1).unwrap();
        assert!(matches!(
            unlock(&mut s, "sam", "ada", t1),
            Err(AccountError::Refused(e)) if e.contains("not locked")
        ));
        assert!(
            sign_in(&mut s, "sam", "correct horse battery", "10.0.0.4", d, t1)
                .unwrap()
                .is_ok()
        );
        disable(&mut s, "sam", "cli", now).unwrap();
        assert!(sign_in(
            &mut s,
            "sam",
            "correct horse battery",
            "10.0.0.4",
            d,
            now + Duration::minutes(40)
        )
        .unwrap()
        .is_err());
        // An attempt under way counts as a failure until it is finished.
        let now2 = now + Duration::hours(2);
        let pending: Vec<Attempt> = (0..5)
            .map(|_| {
                begin_sign_in(&mut s, "kim", "10.0.0.9", now2)
                    .unwrap()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            begin_sign_in(&mut s, "kim", "10.0.0.9", now2)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Locked { minutes: 1 }
        );
        for a in pending {
            assert!(!a.verify("anything at all"));
            finish_sign_in(&mut s, a, false, "10.0.0.9", d, now2)
                .unwrap()
                .unwrap_err();
        }
        let attempts: Vec<_> = s
            .sign_in_attempts(100)
            .unwrap()
            .into_iter()
            .filter(|a| a.account != "kim")
            .collect();
        // 2 + 5 failed + 10 refused + 1 failed + 1 refused + 1 good + 1 disabled.
        assert_eq!(attempts.len(), 21);
        assert!(attempts.iter().all(|a| !a.detail.contains("horse")));
        assert_eq!(attempts.iter().filter(|a| a.ok).count(), 2);
        assert_eq!(
            attempts
                .iter()
                .filter(|a| a.detail == REFUSED_LOCKED)
                .count(),
            11
        );
        assert_eq!(attempts[0].detail, "account disabled");
    }

    #[test]
    fn wildly_many_failures_from_one_address_refuse_it_but_a_few_do_not() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let d = "council.example";
        for i in 0..ADDRESS_FAILURES - 1 {
            let r = sign_in(&mut s, &format!("guess{i}"), "pw", "10.1.1.1", d, now).unwrap();
            assert_eq!(r.unwrap_err(), SignInRefused::Wrong);
        }
        assert_eq!(
            sign_in(&mut s, "another", "pw", "10.1.1.1", d, now)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Wrong
        );
        assert_eq!(
            sign_in(&mut s, "yet-another", "pw", "10.1.1.1", d, now)
                .unwrap()
                .unwrap_err(),
            SignInRefused::AddressRefused {
                minutes: ADDRESS_WINDOW_MINUTES
            }
        );
        // Another address is not refused; nor this one once the window has passed.
        assert_eq!(
            sign_in(&mut s, "yet-another", "pw", "10.1.1.2", d, now)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Wrong
        );
        let later = now + Duration::minutes(ADDRESS_WINDOW_MINUTES) + Duration::seconds(1);
        assert_eq!(
            sign_in(&mut s, "yet-another", "pw", "10.1.1.1", d, later)
                .unwrap()
                .unwrap_err(),
            SignInRefused::Wrong
        );
    }

    #[test]
    fn the_last_active_admin_stays_and_no_one_disables_themselves() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let pw = "a long enough password";
        // Officers only (made before any admin): disabling one is not the admin rule's business.
        add_user(
            &mut s,
            "ann",
            "ann@c.example",
            Role::Officer,
            pw,
            "cli",
            now,
        )
        .unwrap();
        add_user(
            &mut s,
            "bob",
            "bob@c.example",
            Role::Officer,
            pw,
            "cli",
            now,
        )
        .unwrap();
        disable(&mut s, "bob", "cli", now).unwrap();
        add_user(&mut s, "ada", "ada@c.example", Role::Admin, pw, "cli", now).unwrap();
        let refused = |r: Result<()>| match r {
            Err(e @ (AccountError::Refused(_) | AccountError::Store(StoreError::Refused(_)))) => {
                e.to_string()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(disable(&mut s, "ada", "cli", now)),
            "'ada' is the last active admin: make another account admin first"
        );
        assert_eq!(
            refused(set_role(&mut s, "ada", Role::Manager, "cli", now)),
            "'ada' is the last active admin: make another account admin first"
        );
        assert_eq!(
            refused(disable(&mut s, "ann", "ann", now)),
            "'ann' cannot disable their own account"
        );
        assert_eq!(
            refused(disable(&mut s, "bob", "ada", now)),
            "'bob' is already disabled"
        );
        assert_eq!(role_named(" admin ").unwrap(), Role::Admin);
        assert!(role_named("root").is_err());
        set_role(&mut s, "ann", Role::Admin, "ada", now).unwrap();
        disable(&mut s, "ada", "ann", now).unwrap();
        let ada = s.user_by_name("ada").unwrap().unwrap();
        assert!(ada.disabled && ada.role == "admin");
        let events: Vec<_> = s
            .account_events(10)
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.account, e.action))
            .collect();
        assert_eq!(events.len(), 6, "refusals record nothing: {events:?}");
        assert_eq!(
            events[0],
            ("officer:ann".into(), "ada".into(), "disabled".into())
        );
        assert_eq!(
            events[1],
            ("officer:ada".into(), "ann".into(), "role".into())
        );
    }
}
