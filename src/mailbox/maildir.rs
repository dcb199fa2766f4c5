//! Maildir source: messages in new/ are ingested, then moved to cur/ with the Seen
//! flag. A crash between the commit and the move leaves the file in new/, and the next
//! pass finds it already stored (a duplicate) and only moves it.

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

use super::{ingest_and_count, MailboxError, Pass, Progress, BATCH};
use crate::config::Config;
use crate::ingest::{Incoming, Options};
use crate::store::Store;

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
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .map_err(|e| err(&new, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    // Maildir names start with the delivery time: sorting keeps arrival order.
    files.sort();
    let total = files.len();
    let source = format!("maildir:{}", root.display());
    let mut pass = Pass::default();
    for chunk in files.chunks(BATCH) {
        let mut raws = Vec::with_capacity(chunk.len());
        for f in chunk {
            let raw = std::fs::read(f).map_err(|e| err(f, e))?;
            let delivered = std::fs::metadata(f)
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from);
            raws.push((raw, delivered));
        }
        let batch: Vec<Incoming> = raws
            .iter()
            .map(|(raw, delivered)| Incoming {
                raw,
                delivered_at: *delivered,
                full_size: None,
            })
            .collect();
        ingest_and_count(store, cfg, &source, &batch, now, opts, &mut pass)?;
        // Committed: now, and only now, mark them processed.
        for f in chunk {
            let to = root.join("cur").join(cur_name(f));
            std::fs::rename(f, &to).map_err(|e| err(f, e))?;
        }
        progress(pass.report.seen, total);
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_flag_is_added_once() {
        assert_eq!(cur_name(Path::new("/m/new/123.abc")), "123.abc:2,S");
        assert_eq!(cur_name(Path::new("/m/new/123.abc:2,F")), "123.abc:2,FS");
        assert_eq!(cur_name(Path::new("/m/new/123.abc:2,S")), "123.abc:2,S");
    }
}
