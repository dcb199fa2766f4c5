//! `redress message ID`: one received message as the resident wrote it, its bytes as
//! received (`--raw`), or one of its attachments (`--attachment N --out F`).

use anyhow::{bail, Result};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{esc, print_json, Ctx};
use crate::store::messages::{AttachmentView, MessageView};

#[derive(Debug, Args)]
pub struct MessageArgs {
    /// Message id, as listed under Messages by `redress case REF`.
    pub id: i64,
    /// Write the message's bytes exactly as received, to --out F or to a file or a pipe
    /// (refused when standard output is a terminal).
    #[arg(long, conflicts_with_all = ["attachment", "json"])]
    pub raw: bool,
    /// Write attachment N (numbered from 1, as listed) to --out F.
    #[arg(long, value_name = "N", requires = "out", conflicts_with = "json")]
    pub attachment: Option<usize>,
    /// The file --raw or --attachment writes (never overwritten).
    #[arg(long, value_name = "F")]
    pub out: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn show(ctx: &Ctx, a: MessageArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let id = a.id;
    if let Some(n) = a.attachment {
        let out = a.out.as_deref().expect("clap requires --out");
        refuse_existing(out)?;
        let (att, bytes) = store.attachment_content(id, n)?;
        write_new(out, &bytes)?;
        println!(
            "attachment {n} of message {id} ({}, {} bytes) written to {}",
            esc(att.name.as_deref().unwrap_or("unnamed")),
            bytes.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if a.raw {
        if let Some(out) = &a.out {
            refuse_existing(out)?;
            let raw = store.message_raw(id)?;
            write_new(out, &raw)?;
            println!(
                "message {id} ({} bytes, as received) written to {}",
                raw.len(),
                out.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let mut stdout = std::io::stdout().lock();
        if stdout.is_terminal() {
            bail!(
                "--raw writes the message's bytes as received, which may drive a terminal: redirect it to a file or use --out F (redress message {id} --raw --out message.eml)"
            );
        }
        let raw = store.message_raw(id)?;
        stdout.write_all(&raw)?;
        stdout.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.out.is_some() {
        bail!("--out is for --raw or --attachment N");
    }
    let m = store.message_view(id)?;
    if a.json {
        print_json(&m)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    for (label, v) in [
        ("Case", m.case_reference.as_deref()),
        ("From", m.from.as_deref()),
        ("Reply-To", m.reply_to.as_deref()),
        ("Subject", m.subject.as_deref()),
        ("Date", m.sent_at.as_deref()),
        ("Received", Some(m.received_at.as_str())),
        ("Message-ID", m.message_id.as_deref()),
        ("In-Reply-To", m.in_reply_to.as_deref()),
        ("Status", Some(m.status.as_str())),
    ] {
        if let Some(v) = v {
            writeln!(stdout, "{label}: {}", esc(v))?;
        }
    }
    for att in &m.attachments {
        writeln!(stdout, "Attachment: {}", attachment_line(att))?;
    }
    writeln!(stdout)?;
    for line in body_lines(&m) {
        writeln!(stdout, "{line}")?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One line for an attachment: number, name, type, size, and the note when its content
/// was left out. Names and types are the sender's text, escaped.
pub fn attachment_line(a: &AttachmentView) -> String {
    let mut s = format!(
        "{}. {}  {}  {} bytes",
        a.number,
        esc(a.name.as_deref().unwrap_or("(unnamed)")),
        esc(a.mime_type.as_deref().unwrap_or("(no type)")),
        a.size
    );
    if let Some(note) = &a.note {
        s.push_str(&format!("  [{}]", esc(note)));
    }
    s
}

/// The body as stored, whole, one output line per line of text, each escaped so no
/// control character reaches the terminal (a CR, an ESC sequence, a bidi override).
pub fn body_lines(m: &MessageView) -> Vec<String> {
    match &m.body {
        None => vec!["(no text stored)".to_string()],
        Some(b) if b.trim().is_empty() => vec!["(no text)".to_string()],
        Some(b) => b.lines().map(|l| esc(l).into_owned()).collect(),
    }
}

fn refuse_existing(out: &Path) -> Result<()> {
    if out.exists() || out.is_symlink() {
        bail!("{} already exists: not overwritten", out.display());
    }
    Ok(())
}

/// Write `bytes` to a new file `out`, never replacing one; a partly written file is removed.
fn write_new(out: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists: not overwritten", out.display())
        }
        Err(e) => bail!("cannot create {}: {e}", out.display()),
    };
    if let Err(e) = f.write_all(bytes).and_then(|_| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(out);
        bail!("cannot write {}: {e}", out.display());
    }
    Ok(())
}
