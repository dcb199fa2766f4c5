//! Subject access: everything Redress holds about one person, gathered into a folder
//! for a subject access request. The folder holds the raw messages as `.eml`, their
//! attachments, the letters as PDF (and their text), and `index.json`, a
//! machine-readable index of all of it with the person's record, their cases, the
//! cases' deadlines and every event. Only the person's own cases and their own mail
//! are read, so nothing of another customer can end up in the folder; messages from a
//! third party on the person's case (a councillor writing for them) are included and
//! marked with their sender, for the officer to review before release.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

use crate::store::{CaseFilter, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    #[error("{0} already exists: give the name of a new folder (the export creates it, readable by you only, so that nothing else is mixed into it)")]
    Exists(String),
    #[error(
        "{0} is a symbolic link: give the name of a new folder (an export never follows a link)"
    )]
    Symlink(String),
    #[error(
        "Redress holds nothing about {0} (no customer with that address, and no mail from it)"
    )]
    Unknown(String),
    #[error("'{0}' is not an email address (local@domain): an export is for one person's address")]
    NotAnAddress(String),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub dir: PathBuf,
    pub cases: usize,
    pub messages: usize,
    pub attachments: usize,
    pub letters: usize,
    /// Letters with no PDF yet (still pending rendering), listed in the index as such.
    pub letters_without_pdf: usize,
    /// Files officers enclosed with those letters (beside each letter's PDF).
    pub enclosures: usize,
    pub events: usize,
    /// Quarantined messages (never parsed into a case) that contain the address.
    pub quarantined: usize,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |e| ExportError::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// A file-name-safe form of `s`, at most 60 characters.
fn safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

fn private_dir_builder() -> std::fs::DirBuilder {
    use std::os::unix::fs::DirBuilderExt;
    let mut b = std::fs::DirBuilder::new();
    b.mode(0o700);
    b
}

/// Create `dir` itself, mode 0700: refused if anything is there already (a folder, a
/// file, or a symbolic link, which is not followed). Missing parent folders are made.
fn create_private_dir(dir: &Path) -> Result<(), ExportError> {
    if let Ok(m) = std::fs::symlink_metadata(dir) {
        return Err(if m.file_type().is_symlink() {
            ExportError::Symlink(dir.display().to_string())
        } else {
            ExportError::Exists(dir.display().to_string())
        });
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    // mkdir(2) fails on anything already at the path, a link included: no race between
    // the check above and here can make the export write somewhere else.
    private_dir_builder().create(dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ExportError::Exists(dir.display().to_string())
        } else {
            io(dir)(e)
        }
    })
}

/// Export everything held about `email` into `dir`, a new folder it creates (mode 0700).
pub fn export(
    store: &Store,
    email: &str,
    dir: &Path,
    now: DateTime<Utc>,
) -> Result<Summary, ExportError> {
    let email = email.trim();
    // A bare domain or a word would match other people's mail in the quarantine.
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace) => {}
        _ => return Err(ExportError::NotAnAddress(email.to_string())),
    }
    let person = store.customer_by_email(email)?;
    let cases = match &person {
        Some(_) => store.list_cases(&CaseFilter {
            customer: Some(email.to_string()),
            ..CaseFilter::default()
        })?,
        None => Vec::new(),
    };
    // list_cases compares the address exactly; the customer table ignores case.
    let cases: Vec<_> = match &person {
        Some(p) if cases.is_empty() => store.list_cases(&CaseFilter {
            customer: Some(p.email.clone()),
            ..CaseFilter::default()
        })?,
        _ => cases,
    };
    let messages = store.messages_of_person(person.as_ref().map(|p| p.id), email)?;
    let quarantined = store.quarantined_mentioning(email)?;
    if person.is_none() && messages.is_empty() && quarantined.is_empty() {
        return Err(ExportError::Unknown(email.to_string()));
    }
    let letters = match &person {
        Some(p) => store.letters_of_customer(p.id)?,
        None => Vec::new(),
    };

    create_private_dir(dir)?;
    for sub in ["messages", "attachments", "letters", "quarantine"] {
        let p = dir.join(sub);
        private_dir_builder().create(&p).map_err(io(&p))?;
    }
    let write = |rel: &str, bytes: &[u8]| -> Result<(), ExportError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let p = dir.join(rel);
        // A fresh file in the fresh folder: never one already there, never through a link.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&p)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(io(&p))
    };

    let mut summary = Summary {
        dir: dir.to_path_buf(),
        cases: cases.len(),
        ..Summary::default()
    };

    let mut case_index = Vec::new();
    for c in &cases {
        let deadlines = store.deadlines(c.id)?;
        let events = store.history(c.id)?;
        summary.events += events.len();
        // A response written and waiting for approval is held about them too: its
        // words as written (the files it would enclose by name only).
        let waiting = store.waiting_response(c.id)?.map(|w| {
            let mut response: serde_json::Value =
                serde_json::from_str(&w.response).unwrap_or_default();
            if let Some(files) = response
                .get_mut("enclosures")
                .and_then(|f| f.as_array_mut())
            {
                for f in files {
                    if let Some(o) = f.as_object_mut() {
                        o.remove("base64");
                    }
                }
            }
            json!({"written_by": w.written_by, "written_at": w.written_at, "why": w.why, "response": response})
        });
        case_index.push(json!({
            "case": c,
            "deadlines": deadlines,
            "events": events,
            "response_awaiting_approval": waiting,
        }));
    }

    let mut message_index = Vec::new();
    for (n, m) in messages.iter().enumerate() {
        let stem = format!("{:04}-message-{}", n + 1, m.id);
        let file = match (&m.raw, &m.body_text) {
            (Some(raw), _) => {
                let rel = format!("messages/{stem}.eml");
                write(&rel, raw)?;
                Some(rel)
            }
            (None, Some(text)) => {
                let rel = format!("messages/{stem}.txt");
                write(&rel, text.as_bytes())?;
                Some(rel)
            }
            (None, None) => None,
        };
        let mut atts = Vec::new();
        for a in &m.attachments {
            let rel = a.content.as_ref().map(|content| {
                let rel = format!(
                    "attachments/{}-{}-{}",
                    m.id,
                    a.id,
                    safe(a.name.as_deref().unwrap_or("attachment"))
                );
                (rel, content)
            });
            if let Some((rel, content)) = &rel {
                write(rel, content)?;
            }
            summary.attachments += 1;
            atts.push(json!({
                "name": a.name,
                "mime_type": a.mime_type,
                "size": a.size,
                "sha256": a.sha256,
                "file": rel.as_ref().map(|(r, _)| r),
                "note": if rel.is_none() { Some("content not kept: over the size limit when received") } else { None },
            }));
        }
        let from_person = m
            .from_addr
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case(email));
        message_index.push(json!({
            "id": m.id,
            "case": m.case_reference,
            "from": m.from_addr,
            "from_this_person": from_person,
            "subject": m.subject,
            "sent_at": m.sent_at,
            "received_at": m.received_at,
            "file": file,
            "attachments": atts,
        }));
    }
    summary.messages = messages.len();

    let mut letter_index = Vec::new();
    for l in &letters {
        let stem = format!(
            "{}-{}-{}",
            l.id,
            safe(&l.case_reference),
            safe(l.kind.as_str())
        );
        let pdf = match &l.pdf {
            Some(pdf) => {
                let rel = format!("letters/{stem}.pdf");
                write(&rel, pdf)?;
                Some(rel)
            }
            None => {
                summary.letters_without_pdf += 1;
                None
            }
        };
        let text = if l.body_text.is_empty() {
            None
        } else {
            let rel = format!("letters/{stem}.txt");
            write(&rel, format!("{}\n\n{}", l.subject, l.body_text).as_bytes())?;
            Some(rel)
        };
        let note = match (&pdf, l.status.as_str()) {
            (Some(_), _) => None,
            (None, "pending") => Some(
                "not yet rendered: the letter is waiting for the outbox, so there is no PDF yet",
            ),
            (None, "erased") => Some("erased under the retention schedule"),
            (None, _) => Some("no PDF was stored for this letter"),
        };
        let mut enclosed = Vec::new();
        for a in store.letter_attachments(l.id)? {
            let rel = format!("letters/{stem}-enclosure-{}-{}", a.position, safe(&a.name));
            write(&rel, &a.bytes)?;
            summary.enclosures += 1;
            enclosed.push(json!({
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "file": rel,
            }));
        }
        letter_index.push(json!({
            "id": l.id,
            "case": l.case_reference,
            "kind": l.kind,
            "status": l.status,
            "to": l.to_addr,
            "subject": l.subject,
            "created_at": l.created_at,
            "sent_at": l.sent_at,
            "pdf": pdf,
            "text": text,
            "note": note,
            "enclosures": enclosed,
        }));
    }
    summary.letters = letters.len();

    let mut quarantine_index = Vec::new();
    for q in &quarantined {
        let rel = format!("quarantine/{}.eml", q.id);
        write(&rel, &q.raw)?;
        quarantine_index.push(json!({
            "id": q.id,
            "received_at": q.received_at,
            "why_quarantined": q.reason,
            "file": rel,
        }));
    }
    summary.quarantined = quarantined.len();

    let index = json!({
        "subject_access_export": {
            "email": email,
            "produced_at": crate::time::stamp(now),
            "summary": &summary,
        },
        "person": person,
        "cases": case_index,
        "messages": message_index,
        "letters": letter_index,
        "quarantine": quarantine_index,
    });
    let text = serde_json::to_string_pretty(&index).unwrap_or_default();
    write("index.json", text.as_bytes())?;
    let readme = format!(
        "Subject access export for {email}, produced {}.\n\n\
         index.json   the person's record, cases (with deadlines and the full event history),\n\
         \x20            messages and letters, each pointing at its file below\n\
         messages/    every message as received (.eml), in date order\n\
         attachments/ the attachments of those messages\n\
         letters/     every letter as PDF and as text, and the files enclosed with it\n\
         quarantine/  mail that could not be read as a message (kept as received) and\n\
         \x20            contains this address in its raw bytes (an address only inside an\n\
         \x20            encoded part of such mail is not found: check `redress quarantine`)\n\n\
         {} cases, {} messages, {} attachments, {} letters ({} without a PDF yet), {} events,\n\
         {} quarantined.\n\
         Messages whose sender is not {email} (from_this_person: false in index.json), and\n\
         quarantined mail, may carry other people's personal data: review them before release.\n",
        crate::time::stamp(now),
        summary.cases,
        summary.messages,
        summary.attachments,
        summary.letters,
        summary.letters_without_pdf,
        summary.events,
        summary.quarantined
    );
    write("README.txt", readme.as_bytes())?;
    Ok(summary)
}
