//! Backups and restores of the case store, and the lock that tells a restore the
//! daemon is running.
//!
//! - **Backup** ([`backup_to`]): a consistent snapshot while the daemon and the desk go
//!   on writing ([`copy_file`], SQLite's `VACUUM INTO` on a read-only connection: the
//!   database is never migrated by a backup), written to a hidden
//!   partial file made 0600 first, checked ([`check_file`]: `PRAGMA integrity_check`,
//!   Redress's tables, the schema version), synced, and only then renamed to its name.
//!   A failed backup leaves no file that looks like a backup.
//! - **Scheduled backups** (`[[backup]]` in the config): [`run_scheduled`], called by
//!   the scheduler on its cron, keeps the newest `keep` files of its folder.
//! - **Restore** ([`restore`]): refused while `redress run` or `redress web` holds the
//!   database ([`DaemonLock`]); the file is checked and must not be of a newer schema
//!   than this build; it is copied in beside the database, the database it replaces
//!   (with its WAL) is renamed aside, never deleted, and the copy renamed into place;
//!   then it is opened, which migrates an older schema forward.
//!
//! The lock is `flock(2)` on `DATA_DIR/redress.lock`: `run` and `web` hold it shared
//! for as long as they run (the kernel lets it go when the process ends, however it
//! ends: no stale lock after a crash or `kill -9`); `restore` takes it exclusive, and
//! does not wait.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::config::{BackupSchedule, Config};
use crate::store::backup::{check_file, copy_file, Checked};
use crate::store::Store;

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "redress.lock";

/// A lock on the data directory held while it lives (shared by a daemon, exclusive by
/// a restore); released when dropped or when the process ends.
#[derive(Debug)]
pub struct DaemonLock {
    _file: File,
    pub path: PathBuf,
}

fn lock_file(cfg: &Config) -> Result<(File, PathBuf)> {
    fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating the data directory {}", cfg.data_dir.display()))?;
    let path = cfg.data_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    Ok((file, path))
}

/// Try `flock(op | LOCK_NB)`: Ok(false) when another process holds a conflicting lock.
fn try_flock(file: &File, op: libc::c_int) -> std::io::Result<bool> {
    // SAFETY: flock on a file descriptor we own; it only changes the lock's state.
    let r = unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

impl DaemonLock {
    /// The lock `redress run` and `redress web` hold while they run (shared: they may
    /// run side by side). Refused only while a restore is replacing the database.
    pub fn running(cfg: &Config) -> Result<DaemonLock> {
        let (file, path) = lock_file(cfg)?;
        if !try_flock(&file, libc::LOCK_SH)? {
            bail!(
                "a restore is replacing the database in {} ({} is locked); start again when it is done",
                cfg.data_dir.display(),
                path.display()
            );
        }
        Ok(DaemonLock { _file: file, path })
    }

    /// The lock a restore takes: refused while any daemon holds the shared one.
    pub fn exclusive(cfg: &Config) -> Result<DaemonLock> {
        let (file, path) = lock_file(cfg)?;
        if !try_flock(&file, libc::LOCK_EX)? {
            bail!(
                "redress is running on {} (redress run or redress web holds {}): stop it first \
                 (systemctl stop redress), then restore; nothing was changed",
                cfg.database_path().display(),
                path.display()
            );
        }
        Ok(DaemonLock { _file: file, path })
    }

    /// Whether a daemon holds the lock now (for `doctor` and the like): taken and
    /// let go at once when free.
    pub fn held_by_daemon(cfg: &Config) -> Result<bool> {
        let (file, _) = lock_file(cfg)?;
        Ok(!try_flock(&file, libc::LOCK_EX)?)
    }
}

/// A backup written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub file: PathBuf,
    pub bytes: u64,
    pub millis: u128,
    #[serde(flatten)]
    pub checked: Checked,
}

/// A new empty file at `path`, mode 0600, refused if anything is there.
fn new_private_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// fsync a file, then its folder (so that a rename into it is durable too).
fn sync_file_and_dir(file: &Path) -> Result<()> {
    File::open(file)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", file.display()))?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing {}", dir.display()))?;
    }
    Ok(())
}

/// A hidden sibling of `path` for a file being written: `.NAME.partial-PID`.
fn partial_beside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "redress.db".into());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// Back the database up to `out` (which must not exist): snapshot, check, 0600, sync.
pub fn backup_to(cfg: &Config, out: &Path) -> Result<Written> {
    let started = std::time::Instant::now();
    let db = cfg.database_path();
    if !db.is_file() {
        bail!("there is no database at {} to back up", db.display());
    }
    if out.exists() || out.is_symlink() {
        bail!("{} exists: a backup never overwrites a file", out.display());
    }
    let partial = partial_beside(out, "partial");
    let _ = fs::remove_file(&partial);
    new_private_file(&partial)?;
    let written = (|| -> Result<Checked> {
        // Read-only: a backup never migrates the database, so one taken by a newly
        // installed binary before its first start is the old schema, to roll back to.
        copy_file(&db, &partial)
            .with_context(|| format!("copying {} to {}", db.display(), partial.display()))?;
        let checked = check_file(&partial).context("checking the copy")?;
        fs::set_permissions(&partial, fs::Permissions::from_mode(0o600))?;
        sync_file_and_dir(&partial)?;
        Ok(checked)
    })();
    let checked = match written {
        Ok(c) => c,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    // Never over a file that appeared meanwhile: link (fails if it exists), then unlink.
    if let Err(e) = fs::hard_link(&partial, out) {
        let _ = fs::remove_file(&partial);
        return Err(e).with_context(|| format!("naming the backup {}", out.display()));
    }
    fs::remove_file(&partial)?;
    sync_file_and_dir(out)?;
    Ok(Written {
        file: out.to_path_buf(),
        bytes: fs::metadata(out)?.len(),
        millis: started.elapsed().as_millis(),
        checked,
    })
}

/// A restore done.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database it replaced was renamed to (None: there was none).
    pub kept: Option<PathBuf>,
    #[serde(flatten)]
    pub checked: Checked,
    /// The schema version after opening it (older backups are migrated forward).
    pub schema_version_now: usize,
}

/// The name a replaced database is kept under: `redress.db.before-restore-STAMP`.
fn kept_name(db: &Path, now: DateTime<Utc>) -> PathBuf {
    let base = db.with_file_name(format!(
        "{}.before-restore-{}",
        db.file_name().unwrap_or_default().to_string_lossy(),
        now.format("%Y%m%dT%H%M%SZ")
    ));
    let mut candidate = base.clone();
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = PathBuf::from(format!("{}-{n}", base.display()));
    }
    candidate
}

/// The database's WAL and shared-memory files beside it.
fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

/// Restore `file` as the database (see the module's notes).
pub fn restore(cfg: &Config, file: &Path, now: DateTime<Utc>) -> Result<Restored> {
    let _lock = DaemonLock::exclusive(cfg)?;
    let checked = check_file(file).with_context(|| format!("checking {}", file.display()))?;
    if checked.schema_version > checked.known {
        bail!(
            "{} has schema version {}, newer than this redress knows ({}): restore it with the \
             redress that wrote it, or upgrade redress first; nothing was changed",
            file.display(),
            checked.schema_version,
            checked.known
        );
    }
    let db = cfg.database_path();
    let incoming = partial_beside(&db, "restoring");
    let _ = fs::remove_file(&incoming);
    new_private_file(&incoming)?;
    let copied = copy_file(file, &incoming)
        .map_err(anyhow::Error::from)
        .and_then(|()| Ok(check_file(&incoming)?))
        .and_then(|_| {
            fs::set_permissions(&incoming, fs::Permissions::from_mode(0o600))?;
            sync_file_and_dir(&incoming)
        });
    if let Err(e) = copied {
        let _ = fs::remove_file(&incoming);
        return Err(e).context("copying the backup in; nothing was changed");
    }
    let kept = if db.exists() {
        let kept = kept_name(&db, now);
        fs::rename(&db, &kept)
            .with_context(|| format!("renaming {} to {}", db.display(), kept.display()))?;
        // The WAL goes with its database (SQLite finds it by name), so the file kept
        // aside is whole; the shared-memory index is rebuilt from them.
        let wal = sidecar(&db, "-wal");
        if wal.exists() {
            fs::rename(&wal, sidecar(&kept, "-wal"))?;
        }
        let _ = fs::remove_file(sidecar(&db, "-shm"));
        Some(kept)
    } else {
        None
    };
    fs::rename(&incoming, &db)
        .with_context(|| format!("renaming {} to {}", incoming.display(), db.display()))?;
    sync_file_and_dir(&db)?;
    let store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let now_version = store.schema_version()? as usize;
    Ok(Restored {
        database: db,
        kept,
        checked,
        schema_version_now: now_version,
    })
}

/// Where a scheduled backup's files go: its `dir`, or `DATA_DIR/backups`.
pub fn schedule_dir(cfg: &Config, b: &BackupSchedule) -> PathBuf {
    b.dir
        .clone()
        .unwrap_or_else(|| cfg.data_dir.join("backups"))
}

/// A scheduled backup's file name at `at`: sorts by time.
fn scheduled_name(at: DateTime<Utc>) -> String {
    format!("redress-{}.db", at.format("%Y%m%dT%H%M%SZ"))
}

fn is_scheduled_name(name: &str) -> bool {
    name.len() == "redress-20260101T000000Z.db".len()
        && name.starts_with("redress-")
        && name.ends_with("Z.db")
}

/// Take scheduled backup `b` now, into its folder (made 0700 if missing), and keep
/// its newest `keep` files there (files of its own naming only: anything else in the
/// folder is left alone). Returns the backup and the files removed.
pub fn run_scheduled(
    cfg: &Config,
    b: &BackupSchedule,
    now: DateTime<Utc>,
) -> Result<(Written, Vec<PathBuf>)> {
    let dir = schedule_dir(cfg, b);
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("creating the backup folder {}", dir.display()))?;
    }
    let out = dir.join(scheduled_name(now));
    let written = backup_to(cfg, &out)?;
    let mut ours: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_scheduled_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    ours.sort();
    let surplus = ours.len().saturating_sub(b.keep.max(1));
    let mut removed = Vec::new();
    for old in ours.into_iter().take(surplus) {
        fs::remove_file(&old).with_context(|| format!("removing {}", old.display()))?;
        removed.push(old);
    }
    Ok((written, removed))
}
