//! The command tree. One file per noun; each command is a thin shell over the library:
//! it loads config, opens the store, calls the functional core and prints.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::store::Store;

mod cases;
mod export;
mod letter;
mod officer;
mod outbox;
mod policy;
mod poll;
mod report;
mod retention;
mod send;
mod templates;
mod workdays;

/// Redress: a UK council's complaints inbox, run by its published policy.
#[derive(Debug, Parser)]
#[command(name = "redress", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML). Without it, the zero-setup default: ./maildir in, ./outbox out, ./data/redress.db.
    #[arg(long, global = true, value_name = "FILE", env = "REDRESS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Run as if it were this moment (RFC 3339, e.g. 2026-12-24T09:00:00Z); honoured by every command.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Policy presets: check a file, show a council's deadline table, list the built-in ones.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Every deadline a case received on a date would carry under a policy.
    Deadline(policy::DeadlineArgs),
    /// Working-day arithmetic: add, between, holidays.
    #[command(subcommand)]
    Workdays(workdays::WorkdaysCmd),
    /// List cases.
    Cases(cases::CasesArgs),
    /// Show one case: details, deadlines and timeline.
    Case(cases::CaseArgs),
    /// Record a case that arrived another way (phone, letter, in person).
    New(cases::NewArgs),
    /// Render the letters asked for and flush the outbox once (SMTP or file).
    Send(send::SendArgs),
    /// List letters: queued, sent, held and failed, with reasons.
    Outbox(outbox::OutboxArgs),
    /// Render the letters asked for (text, HTML, PDF) and queue them, without sending.
    /// `run` does this in a short-lived child process.
    Render(send::RenderArgs),
    /// Letters: preview one as a PDF without sending.
    #[command(subcommand)]
    Letter(letter::LetterCmd),
    /// Letter templates: check they all render for every preset.
    #[command(subcommand)]
    Templates(templates::TemplatesCmd),
    /// One scheduler pass (alerts, holding letters, auto-close, surveys, digests), then exit.
    Tick(officer::TickArgs),
    /// Assign a case to an officer.
    Assign(officer::AssignArgs),
    /// Send the stage response (or final response) with the officer's findings.
    Reply(officer::ReplyArgs),
    /// Extend the response deadline within the policy's limit; sends the extension letter.
    Extend(officer::ExtendArgs),
    /// The customer asked for the next stage (by phone, letter or in person).
    Escalate(officer::RefArgs),
    /// Decide an escalation request: accept, refer-back or refer-to-ombudsman.
    Decide(officer::DecideArgs),
    /// Close a case with a reason.
    Close(officer::CloseArgs),
    /// Reopen a closed case.
    Reopen(officer::ReopenArgs),
    /// Add a note to a case's timeline.
    Note(officer::NoteArgs),
    /// Restrict a customer's contact after a Monitoring Officer decision.
    Restrict(officer::RestrictArgs),
    /// Pause a case's deadlines (where the policy allows).
    Pause(officer::PauseArgs),
    /// Resume paused deadlines.
    Resume(officer::RefArgs),
    /// Run the daemon: watch the mailbox and send letters until SIGTERM/SIGINT.
    Run,
    /// One pass over the mailbox: store, thread, triage, queue acknowledgements; then exit.
    Poll(poll::PollArgs),
    /// Messages that could not be stored on a case, with the reason.
    Quarantine(poll::QuarantineArgs),
    /// Correct the triage of a case (e.g. a compliment taken for a complaint).
    Classify(poll::ClassifyArgs),
    /// Performance report for a month, quarter or financial year (text, CSV, JSON or PDF with charts).
    Report(report::ReportArgs),
    /// Erase personal data of closed cases past their destruction date (--dry-run lists them).
    Retention(retention::RetentionArgs),
    /// Subject access: export everything held about a person into a folder with an index.
    Export(export::ExportArgs),
}

pub fn parse_now(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("'{s}' is not an RFC 3339 time such as 2026-12-24T09:00:00Z"))
}

pub fn parse_date(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD"))
}

pub fn init_tracing(verbose: u8, daemon: bool) {
    let default = match verbose {
        0 if daemon => "info",
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("REDRESS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// What every command may need: the clock, the config, the store (opened on demand).
pub struct Ctx {
    pub now: DateTime<Utc>,
    /// The --now given, if any: long-running work uses the real clock otherwise.
    pub fixed_now: Option<DateTime<Utc>>,
    pub config: Config,
}

impl Ctx {
    fn new(cli: &Cli) -> Result<Ctx> {
        let config = Config::load(cli.config.as_deref())?;
        Ok(Ctx {
            now: cli.now.unwrap_or_else(Utc::now),
            fixed_now: cli.now,
            config,
        })
    }

    pub fn store(&self) -> Result<Store> {
        let path = self.config.database_path();
        Store::open(&path).with_context(|| format!("opening the case store {}", path.display()))
    }

    pub fn today(&self) -> NaiveDate {
        crate::calendar::london_date(self.now)
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // `policy check` needs no config: it is how a new preset is tested before use.
    if let Command::Policy(policy::PolicyCmd::Check { file }) = &cli.command {
        return policy::check(file);
    }
    let ctx = Ctx::new(&cli)?;
    match cli.command {
        Command::Policy(cmd) => policy::run(&ctx, cmd),
        Command::Deadline(args) => policy::deadline(&ctx, args),
        Command::Workdays(cmd) => workdays::run(&ctx, cmd),
        Command::Cases(args) => cases::list(&ctx, args),
        Command::Case(args) => cases::show(&ctx, args),
        Command::New(args) => cases::new(&ctx, args),
        Command::Send(args) => send::run(&ctx, args),
        Command::Outbox(args) => outbox::run(&ctx, args),
        Command::Render(args) => send::render(&ctx, args),
        Command::Letter(cmd) => letter::run(&ctx, cmd),
        Command::Templates(cmd) => templates::run(&ctx, cmd),
        Command::Run => {
            crate::daemon::trim_resident_memory();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            if let crate::config::MailboxConfig::Maildir { path } = &ctx.config.mailbox {
                crate::mailbox::maildir::ensure(path)?;
            }
            rt.block_on(crate::daemon::run(
                ctx.config,
                crate::daemon::shutdown_signal(),
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Poll(args) => poll::poll(&ctx, args),
        Command::Tick(a) => officer::tick(&ctx, a),
        Command::Assign(a) => officer::assign(&ctx, a),
        Command::Reply(a) => officer::reply(&ctx, a),
        Command::Extend(a) => officer::extend(&ctx, a),
        Command::Escalate(a) => officer::escalate(&ctx, a),
        Command::Decide(a) => officer::decide(&ctx, a),
        Command::Close(a) => officer::close(&ctx, a),
        Command::Reopen(a) => officer::reopen(&ctx, a),
        Command::Note(a) => officer::note(&ctx, a),
        Command::Restrict(a) => officer::restrict(&ctx, a),
        Command::Pause(a) => officer::pause(&ctx, a),
        Command::Resume(a) => officer::resume(&ctx, a),
        Command::Classify(args) => poll::classify(&ctx, args),
        Command::Quarantine(args) => poll::quarantine(&ctx, args),
        Command::Report(args) => report::run(&ctx, args),
        Command::Retention(args) => retention::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
    }
}

/// Print a table with columns padded to their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
