//! `redress poll` (one pass over the mailbox) and `redress classify` (an officer's
//! correction of triage).

use anyhow::Result;
use clap::Args;
use std::io::IsTerminal;
use std::process::ExitCode;

use super::{print_json, Ctx};
use crate::ingest::{Options, Outcome};

#[derive(Debug, Args)]
pub struct PollArgs {
    /// First import of an existing mailbox: open cases for everything, send nothing
    /// (officers see which ones were never acknowledged).
    #[arg(long)]
    pub backlog: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    pub reference: String,
    /// complaint, compliment, comment, service-request or out-of-scope.
    #[arg(long = "as")]
    pub kind: String,
    /// Who did it (recorded on the case's timeline).
    #[arg(long = "by", alias = "officer", default_value = "cli")]
    pub officer: String,
}

pub fn poll(ctx: &Ctx, a: PollArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    tracing::debug!("case store open");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = 0usize;
    let mut progress = |done: usize, total: usize| {
        // Show progress for a backlog; quiet for the usual handful.
        if total >= 1000 && (done - last_shown >= 1000 || done == total) {
            last_shown = done;
            if tty {
                eprint!("\rpoll: {done}/{total} messages");
                if done == total {
                    eprintln!();
                }
            } else {
                eprintln!("poll: {done}/{total} messages");
            }
        }
    };
    let fixed_now = ctx.fixed_now;
    let pass = rt.block_on(crate::mailbox::poll_once(
        &mut store,
        &ctx.config,
        fixed_now,
        Options { backlog: a.backlog },
        &mut progress,
    ))?;
    if a.json {
        print_json(&pass.report)?;
        return Ok(ExitCode::SUCCESS);
    }
    for o in &pass.outcomes {
        match o {
            Outcome::NewCase {
                reference,
                kind,
                acknowledged,
            } => println!(
                "new case {reference} ({}){}",
                kind.as_str(),
                if *acknowledged {
                    ", letter queued"
                } else {
                    ", no automatic letter"
                }
            ),
            Outcome::Attached {
                reference,
                matched_by,
            } => println!("attached to {reference} (matched by {matched_by})"),
            // Reasons can quote a header (Auto-Submitted: ...): escaped for the terminal.
            Outcome::Noise { reason } => println!("not answered: {}", super::esc(reason)),
            Outcome::Quarantined { reason } => println!("quarantined: {}", super::esc(reason)),
            Outcome::Duplicate => {}
        }
    }
    let r = &pass.report;
    println!(
        "{} messages: {} new cases ({} with a letter queued), {} attached, {} not answered, {} quarantined, {} duplicates",
        r.seen, r.new_cases, r.acknowledged, r.attached, r.noise, r.quarantined, r.duplicates
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Show quarantined message ID for reading: line breaks and tabs kept, any other
    /// control character or non-UTF-8 byte escaped (\x1b, \xff), the first 64 KiB only.
    #[arg(long, value_name = "ID")]
    pub show: Option<i64>,
    /// With --show: write the message's bytes exactly as received, to a file or a pipe
    /// (refused when standard output is a terminal).
    #[arg(long, requires = "show")]
    pub raw: bool,
    #[arg(long)]
    pub json: bool,
}

/// How much of a quarantined message `--show` prints.
const SHOW_LIMIT: usize = 64 * 1024;

pub fn quarantine(ctx: &Ctx, a: QuarantineArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    if let Some(id) = a.show {
        use std::io::Write;
        let raw = store.quarantined_raw(id)?;
        let mut out = std::io::stdout().lock();
        if a.raw {
            if out.is_terminal() {
                anyhow::bail!(
                    "--raw writes the message's bytes as received, which may drive a terminal: redirect it to a file (redress quarantine --show {id} --raw > message.eml)"
                );
            }
            out.write_all(&raw)?;
        } else {
            let shown = &raw[..raw.len().min(SHOW_LIMIT)];
            let text = crate::escape::escape_bytes(shown);
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            if raw.len() > shown.len() {
                writeln!(
                    out,
                    "[... {} more bytes not shown: redress quarantine --show {id} --raw > message.eml writes it all]",
                    raw.len() - shown.len()
                )?;
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = store.quarantine()?;
    if a.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.received_at.clone(),
                r.size.to_string(),
                r.source.clone(),
                r.reason.clone(),
            ]
        })
        .collect();
    super::print_table(&["ID", "RECEIVED", "BYTES", "SOURCE", "REASON"], &table);
    Ok(ExitCode::SUCCESS)
}

pub fn classify(ctx: &Ctx, a: ClassifyArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let (before, case) = crate::actions::classify(
        &mut store,
        ctx.now,
        &format!("officer:{}", a.officer),
        &a.reference,
        &a.kind,
    )?;
    println!("{}: {} -> {}", case.reference, before.kind, case.kind);
    Ok(ExitCode::SUCCESS)
}
