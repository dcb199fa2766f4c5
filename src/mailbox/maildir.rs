//! Maildir source: messages in new/ are ingested, then moved to cur/ with the Seen
//! flag. A crash between the commit and the move leaves the file in new/, and the next
//! pass finds it already stored (a duplicate) and only moves it.
//!
//! A file's size is checked before it is read: one over `inbound.max_message_bytes`
//! is read only up to the end of its headers and quarantined. A file that cannot be
//! read is logged with its path and error, left in new/, and skipped (not read again
//! by this process until it changes); the rest of the mailbox is ingested.

use chrono::{DateTime, Utc};
use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{ingest_and_count, plan_batches, MailboxError, Pass, Progress, BATCH, HEADER_CAP};
use crate::config::Config;
use crate::ingest::{Incoming, Options};
use crate::store::Store;
use crate::text::header_end;

fn err(path: &Path, e: impl std::fmt::Display) -> MailboxError {
    MailboxError::Maildir {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// Create new/, cur/ and tmp/ when missing: the zero-setup default starts empty.
pub fn ensure(root: &Path) -> Result<(), MailboxError> {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).map_err(|e| err(&root.join(sub), e))?;
    }
    Ok(())
}

fn cur_name(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Maildir info suffix: ":2,<flags>"; add S (seen) to whatever is there.
    match name.split_once(":2,") {
        Some((base, flags)) if flags.contains('S') => format!("{base}:2,{flags}"),
        Some((base, flags)) => {
            let mut f: Vec<char> = flags.chars().chain(std::iter::once('S')).collect();
            f.sort();
            format!("{base}:2,{}", f.into_iter().collect::<String>())
        }
        None => format!("{name}:2,S"),
    }
}

/// A file in new/ as listed: its path, size and delivery time.
struct Listed {
    path: PathBuf,
    size: u64,
    delivered: Option<DateTime<Utc>>,
    /// Its inode change time and size: what changes when someone fixes its mode or
    /// owner, or it is written again.
    stamp: Stamp,
}

/// Inode change time (seconds, nanoseconds) and size.
type Stamp = (i64, i64, u64);

/// Files that could not be read, with their stamp then: not read again (nor warned
/// about again) by this process until the stamp changes, so a daemon polling every
/// few seconds does not retry and log the same failure for ever.
static UNREADABLE: std::sync::Mutex<Vec<(PathBuf, Stamp)>> = std::sync::Mutex::new(Vec::new());

/// What was read of one file: the whole message, or (over the limit) its headers.
struct Read {
    raw: Vec<u8>,
    full_size: Option<u64>,
}

/// Read one message file. A file over `max` bytes (by its size on disk, or found so
/// while reading) is not read whole: only its header section, capped at [`HEADER_CAP`].
fn read_message(path: &Path, size: u64, max: usize) -> std::io::Result<Read> {
    // Never through a symbolic link (a link to the credentials or the database would
    // be quarantined and shown to officers), never blocking on a FIFO swapped in since
    // the listing: opened without following links, without waiting, then checked.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if size <= max as u64 {
        let mut raw = Vec::with_capacity(size as usize);
        (&mut f).take(max as u64 + 1).read_to_end(&mut raw)?;
        if raw.len() <= max {
            return Ok(Read {
                raw,
                full_size: None,
            });
        }
        // It grew after it was listed: treat it as the oversized message it now is.
        let full = f.metadata().map(|m| m.len()).unwrap_or(raw.len() as u64);
        raw.truncate(
            header_end(&raw[..raw.len().min(HEADER_CAP)]).unwrap_or(HEADER_CAP.min(raw.len())),
        );
        return Ok(Read {
            raw,
            full_size: Some(full.max(max as u64 + 1)),
        });
    }
    let mut raw = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let n = f.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        // Look for the blank line again only around what was just read.
        let from = raw.len().saturating_sub(3);
        raw.extend_from_slice(&chunk[..n]);
        if let Some(end) = header_end(&raw[from..]) {
            raw.truncate(from + end);
            break;
        }
        if raw.len() >= HEADER_CAP {
            raw.truncate(HEADER_CAP);
            break;
        }
    }
    Ok(Read {
        raw,
        full_size: Some(size),
    })
}

pub fn poll(
    store: &mut Store,
    cfg: &Config,
    root: &Path,
    now: Option<DateTime<Utc>>,
    opts: Options,
    progress: Progress<'_>,
) -> Result<Pass, MailboxError> {
    ensure(root)?;
    // Files move to cur/ after each commit: the commit must survive a power cut.
    store.durable_commits()?;
    let new = root.join("new");
    let mut files: Vec<Listed> = std::fs::read_dir(&new)
        .map_err(|e| err(&new, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .filter_map(|path| {
            // Gone since the listing (another reader took it), or not a regular file
            // (a directory, a FIFO, a symbolic link, which is never followed): skip.
            let m = std::fs::symlink_metadata(&path)
                .ok()
                .filter(|m| m.is_file())?;
            Some(Listed {
                delivered: m.modified().ok().map(DateTime::<Utc>::from),
                size: m.len(),
                stamp: (m.ctime(), m.ctime_nsec(), m.len()),
                path,
            })
        })
        .collect();
    // Maildir names start with the delivery time: sorting keeps arrival order.
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let total = files.len();
    let source = format!("maildir:{}", root.display());
    let max = cfg.inbound.max_message_bytes;
    // What each file costs in memory: all of it, or for an oversized one its headers.
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| {
            if f.size > max as u64 {
                HEADER_CAP as u64
            } else {
                f.size
            }
        })
        .collect();
    let mut pass = Pass::default();
    let mut unreadable = UNREADABLE.lock().unwrap_or_else(|e| e.into_inner());
    // Forget files that have gone.
    unreadable.retain(|(p, _)| files.iter().any(|f| &f.path == p));
    for range in plan_batches(&sizes, BATCH) {
        let chunk = &files[range];
        let mut read: Vec<(&Listed, Read)> = Vec::with_capacity(chunk.len());
        for f in chunk {
            if unreadable.contains(&(f.path.clone(), f.stamp)) {
                tracing::debug!(file = %f.path.display(), "still unreadable (unchanged): skipped");
                pass.unreadable.push(f.path.display().to_string());
                continue;
            }
            match read_message(&f.path, f.size, max) {
                Ok(r) => {
                    unreadable.retain(|(p, _)| p != &f.path);
                    read.push((f, r))
                }
                // Gone since the listing: another reader took it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::debug!(file = %f.path.display(), "gone before it was read")
                }
                // One bad file must not stop the mailbox: it stays in new/ (nothing is
                // lost; it is read again once it changes, e.g. its mode is fixed) and
                // the rest is ingested.
                Err(e) => {
                    tracing::warn!(file = %f.path.display(), error = %e, "cannot read a message file: left in new/ and skipped until it changes");
                    pass.unreadable.push(format!("{}: {e}", f.path.display()));
                    unreadable.retain(|(p, _)| p != &f.path);
                    unreadable.push((f.path.clone(), f.stamp));
                }
            }
        }
        let batch: Vec<Incoming> = read
            .iter()
            .map(|(f, r)| Incoming {
                raw: &r.raw,
                delivered_at: f.delivered,
                full_size: r.full_size,
            })
            .collect();
        ingest_and_count(store, cfg, &source, &batch, now, opts, &mut pass)?;
        drop(batch);
        // Committed: now, and only now, mark them processed.
        for (f, _) in &read {
            let to = root.join("cur").join(cur_name(&f.path));
            if let Err(e) = std::fs::rename(&f.path, &to) {
                // Stored already: the next pass finds it a duplicate and moves it then.
                tracing::warn!(file = %f.path.display(), error = %e, "stored, but could not be moved to cur/");
            }
        }
        progress(pass.report.seen + pass.unreadable.len(), total);
    }
    Ok(pass)
}

/// How often a watched Maildir is looked at again.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// [`super::Source::watch`] for a Maildir: a pass every few seconds until shutdown.
pub async fn watch(
    store: &mut Store,
    cfg: &Config,
    root: &Path,
    shutdown: &mut super::Shutdown,
    on_pass: super::OnPass<'_>,
) -> Result<(), MailboxError> {
    ensure(root)?;
    let mut quiet = |_: usize, _: usize| {};
    loop {
        let pass = poll(store, cfg, root, None, Options::default(), &mut quiet)?;
        super::index_when_idle(store);
        on_pass(&pass);
        if super::pause(shutdown, WATCH_INTERVAL).await {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_file_is_read_up_to_its_headers_and_at_most_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let max = 64 * 1024;
        let read = |name: &str, content: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, content).unwrap();
            read_message(&p, content.len() as u64, max).unwrap()
        };
        let head = b"From: a@example.org\r\nSubject: big\r\n\r\n";
        let mut big = head.to_vec();
        big.resize(300 * 1024, b'x');
        let r = read("big", &big);
        assert_eq!(
            (r.raw.as_slice(), r.full_size),
            (&head[..], Some(300 * 1024))
        );
        // No blank line at all: cut at the cap.
        let r = read("headless", &vec![b'h'; 300 * 1024]);
        assert_eq!((r.raw.len(), r.full_size), (HEADER_CAP, Some(300 * 1024)));
        // Within the limit: the whole file.
        let r = read("small", &big[..max]);
        assert_eq!((r.raw.len(), r.full_size), (max, None));
    }

    #[test]
    fn seen_flag_is_added_once() {
        assert_eq!(cur_name(Path::new("/m/new/123.abc")), "123.abc:2,S");
        assert_eq!(cur_name(Path::new("/m/new/123.abc:2,F")), "123.abc:2,FS");
        assert_eq!(cur_name(Path::new("/m/new/123.abc:2,S")), "123.abc:2,S");
    }
}
