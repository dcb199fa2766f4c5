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
                deferred,
                to_triage,
            } => println!(
                "new case {reference} ({}){}",
                kind.as_str(),
                if *acknowledged {
                    ", letter queued"
                } else if *deferred {
                    ", acknowledgement deferred to a later hour (hourly cap)"
                } else if *to_triage {
                    ", to triage: waiting for an officer"
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
        "{} messages: {} new cases ({} with a letter queued, {} deferred to a later hour, {} to triage), {} attached, {} not answered, {} quarantined, {} duplicates",
        r.seen, r.new_cases, r.acknowledged, r.deferred, r.to_triage, r.attached, r.noise, r.quarantined, r.duplicates
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
#[group(id = "one", multiple = false, args = ["show", "attach", "open", "discard"])]
pub struct QuarantineArgs {
    /// Show quarantined message ID for reading: line breaks and tabs kept, any other
    /// control character or non-UTF-8 byte escaped (\x1b, \xff), the first 64 KiB only.
    #[arg(long, value_name = "ID")]
    pub show: Option<i64>,
    /// With --show: write the message's bytes exactly as received, to a file or a pipe
    /// (refused when standard output is a terminal).
    #[arg(long, requires = "show")]
    pub raw: bool,
    /// Attach quarantined message ID to case REF (no letter is sent).
    #[arg(long, num_args = 2, value_names = ["ID", "REF"])]
    pub attach: Option<Vec<String>>,
    /// Open quarantined message ID as a new case, acknowledged as mail would be.
    #[arg(long, value_name = "ID")]
    pub open: Option<i64>,
    /// Discard quarantined message ID: its bytes are erased (with --reason).
    #[arg(long, value_name = "ID")]
    pub discard: Option<i64>,
    /// Why it is discarded (kept with who and when).
    #[arg(long, requires = "discard")]
    pub reason: Option<String>,
    /// List the resolved too, with what was done (attached, opened, discarded).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub by: super::officer::By,
    #[arg(long)]
    pub json: bool,
}

pub fn quarantine(ctx: &Ctx, a: QuarantineArgs) -> Result<ExitCode> {
    use crate::quarantine as q;
    if let Some(v) = &a.attach {
        let (id, reference) = (&v[0], &v[1]);
        let id: i64 = id.trim().parse().map_err(|_| {
            anyhow::anyhow!(
                "--attach ID REF: '{}' is not a quarantined message id (a number; see redress quarantine)",
                super::esc(id)
            )
        })?;
        let mut store = ctx.store()?;
        let reference = q::attach(
            &mut store,
            &ctx.config,
            ctx.now,
            &a.by.actor(),
            id,
            reference,
        )?;
        println!("quarantined message {id} attached to {reference}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = a.open {
        let mut store = ctx.store()?;
        let o = q::open(&mut store, &ctx.config, ctx.now, &a.by.actor(), id)?;
        println!(
            "quarantined message {id} opened as new case {} ({}){}",
            o.reference,
            o.kind.as_str(),
            if o.acknowledged {
                ", letter queued"
            } else {
                ", no automatic letter"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = a.discard {
        let mut store = ctx.store()?;
        q::discard(
            &mut store,
            ctx.now,
            &a.by.actor(),
            id,
            a.reason.as_deref().unwrap_or_default(),
        )?;
        println!("quarantined message {id} discarded: its bytes were erased");
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.store()?;
    if let Some(id) = a.show {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if a.raw {
            let raw = q::raw(&store, id)?;
            if out.is_terminal() {
                anyhow::bail!(
                    "--raw writes the message's bytes as received, which may drive a terminal: redirect it to a file (redress quarantine --show {id} --raw > message.eml)"
                );
            }
            out.write_all(&raw)?;
        } else {
            let (text, more) = q::readable(&store, id)?;
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            if more > 0 {
                writeln!(
                    out,
                    "[... {more} more bytes not shown: redress quarantine --show {id} --raw > message.eml writes it all]"
                )?;
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = q::list(&store, a.all)?;
    if a.json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|e| {
            let r = &e.row;
            let mut row = vec![
                r.id.to_string(),
                r.received_at.clone(),
                r.size.to_string(),
                r.source.clone(),
                e.from.clone().unwrap_or_default(),
                e.subject.clone().unwrap_or_default(),
                r.reason.clone(),
            ];
            if a.all {
                row.push(match &r.resolution {
                    None => "waiting".to_string(),
                    Some(z) => {
                        let what = match (z.outcome.as_str(), &z.reference, &z.reason) {
                            ("discarded", _, Some(why)) => format!("discarded ({why})"),
                            (o, Some(c), _) => format!("{o} {c}"),
                            (o, _, _) => o.to_string(),
                        };
                        format!("{what} by {} at {}", z.by, z.at)
                    }
                });
            }
            row
        })
        .collect();
    let mut head = vec![
        "ID", "RECEIVED", "BYTES", "SOURCE", "FROM", "SUBJECT", "REASON",
    ];
    if a.all {
        head.push("OUTCOME");
    }
    super::print_table(&head, &table);
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
