//! `redress outbox`: the letters, queued, sent, held and failed, with the reasons.

use anyhow::{Context, Result};
use clap::Args;
use std::process::ExitCode;

use super::{print_json, print_table, Ctx};
use crate::store::outbox::{LetterFilter, LetterStatus, OfficerLetterAction};

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Only letters in this status: pending, queued, sending, sent, held, failed.
    #[arg(long)]
    pub status: Option<String>,
    /// Only letters on this case.
    #[arg(long = "case", value_name = "REF")]
    pub reference: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
    /// Put held or failed letter ID back in the outbox once the cause is fixed (same
    /// Message-ID; a contact restriction is checked again before it is sent).
    #[arg(long, value_name = "ID", conflicts_with = "posted")]
    pub retry: Option<i64>,
    /// Record held or failed letter ID as printed and posted by hand (it counts as sent).
    #[arg(long, value_name = "ID")]
    pub posted: Option<i64>,
    /// Write letter ID's PDF (as rendered, to print and post) to the file --out names,
    /// and any files enclosed with it beside it (F-enclosure-N-NAME).
    #[arg(long, value_name = "ID", requires = "out", conflicts_with_all = ["retry", "posted"])]
    pub pdf: Option<i64>,
    /// Where --pdf writes the letter.
    #[arg(long, value_name = "FILE.pdf", requires = "pdf")]
    pub out: Option<std::path::PathBuf>,
    /// Who did it (recorded on the case's timeline) with --retry or --posted.
    #[arg(long = "by", alias = "officer", default_value = "cli")]
    pub officer: String,
}

pub fn run(ctx: &Ctx, a: OutboxArgs) -> Result<ExitCode> {
    if let (Some(id), Some(out)) = (a.pdf, &a.out) {
        return write_pdf(ctx, id, out);
    }
    let action = match (a.retry, a.posted) {
        (Some(id), _) => Some((id, OfficerLetterAction::Retry)),
        (_, Some(id)) => Some((id, OfficerLetterAction::Posted)),
        _ => None,
    };
    if let Some((id, action)) = action {
        let mut store = ctx.store()?;
        let status = store.officer_letter_action(id, action, &a.officer, ctx.now)?;
        let l = store.letter(id)?;
        if a.json {
            print_json(&l)?;
        } else {
            println!("letter {id} ({} on {}): now {status}", l.kind, l.reference);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let status = match a.status.as_deref() {
        None => None,
        Some(s) => Some(LetterStatus::parse(s).ok_or_else(|| {
            let known: Vec<&str> = LetterStatus::ALL.iter().map(|s| s.as_str()).collect();
            anyhow::anyhow!("unknown letter status '{s}' (known: {})", known.join(", "))
        })?),
    };
    let store = ctx.store()?;
    let letters = store.list_letters(&LetterFilter {
        status,
        reference: a.reference,
        limit: a.limit,
    })?;
    if a.json {
        print_json(&letters)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|l| {
            let when = match l.status {
                LetterStatus::Sent => l.sent_at.clone().unwrap_or_default(),
                LetterStatus::Queued => l
                    .next_attempt_at
                    .clone()
                    .map(|t| format!("next {t}"))
                    .unwrap_or_default(),
                _ => l
                    .last_attempt_at
                    .clone()
                    .unwrap_or_else(|| l.created_at.clone()),
            };
            let reason = l
                .held_reason
                .clone()
                .filter(|_| l.status == LetterStatus::Held)
                .or_else(|| {
                    l.last_error
                        .clone()
                        .filter(|_| l.status != LetterStatus::Sent)
                })
                .unwrap_or_default();
            vec![
                l.id.to_string(),
                l.reference.clone(),
                l.kind.to_string(),
                l.status.to_string(),
                l.attempts.to_string(),
                when,
                l.to_addr.clone().unwrap_or_default(),
                reason,
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "REFERENCE",
            "KIND",
            "STATUS",
            "ATTEMPTS",
            "WHEN",
            "TO",
            "REASON",
        ],
        &rows,
    );
    let counts = store.letter_counts()?;
    if !counts.is_empty() {
        let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        println!("\n{}", summary.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `outbox --pdf ID --out F`: the letter's PDF as it was rendered, to print and post.
fn write_pdf(ctx: &Ctx, id: i64, out: &std::path::Path) -> Result<ExitCode> {
    let store = ctx.store()?;
    let l = store.letter(id)?;
    if l.status == LetterStatus::Pending {
        anyhow::bail!(
            "letter {id} ({} on {}) is not rendered yet: run `redress send` first",
            l.kind,
            l.reference
        );
    }
    let Some(pdf) = store.letter_content(id)?.pdf else {
        anyhow::bail!(
            "letter {id} ({} on {}) has no PDF (its content was erased)",
            l.kind,
            l.reference
        );
    };
    let enclosures = store.letter_attachments(id)?;
    std::fs::write(out, &pdf).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} bytes): {} letter on {}, {}",
        out.display(),
        pdf.len(),
        l.kind,
        l.reference,
        l.status
    );
    // The files enclosed with it go in the envelope too: beside the letter, never over
    // a file already there.
    let stem = out.with_extension("");
    for e in &enclosures {
        let name = format!(
            "{}-enclosure-{}-{}",
            stem.file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("letter"),
            e.position,
            e.name
        );
        let path = out.with_file_name(name);
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&e.bytes))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "wrote {} ({} bytes): enclosed with the letter",
            path.display(),
            e.bytes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
