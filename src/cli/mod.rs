//! The command tree. One file per noun; each command is a thin shell over the library:
//! it loads config, opens the store, calls the functional core and prints.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::store::Store;

mod backup;
mod cases;
mod doctor;
mod export;
mod letter;
mod message;
mod officer;
mod outbox;
mod policy;
mod poll;
mod report;
mod retention;
mod send;
mod templates;
mod user;
mod workdays;

/// Redress: a UK council's complaints inbox, run by its published policy.
#[derive(Debug, Parser)]
#[command(name = "redress", version = backup::version_line(), about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML). Without it, the zero-setup default: ./maildir in, ./outbox out, ./data/redress.db.
    #[arg(long, global = true, value_name = "FILE", env = "REDRESS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Run as if it were this moment (RFC 3339, e.g. 2026-12-24T09:00:00Z), or 09:00 London
    /// time on a date (2026-12-24); honoured by every command.
    #[arg(long, global = true, value_name = "RFC3339|DATE", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// More log output on stderr (-v debug, -vv trace). A filter in REDRESS_LOG, or else
    /// RUST_LOG, wins over -v (e.g. REDRESS_LOG=debug). The IMAP, SMTP and TLS libraries
    /// stay at info (they would log the password and mail) unless named in the filter.
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
    /// The customer asked for the next stage (by phone, letter or in person); or, with
    /// --council, the council moves the complaint on itself where its policy allows.
    Escalate(officer::EscalateArgs),
    /// Decide an escalation request: accept, refer-back or refer-to-ombudsman.
    Decide(officer::DecideArgs),
    /// Approve a response waiting for approval (it is sent), or --return it with a reason.
    Approve(officer::ApproveArgs),
    /// Record what was learnt from a complaint and the action taken.
    Learning(officer::LearningArgs),
    /// Close a case with a reason.
    Close(officer::CloseArgs),
    /// Close a case as out of scope under one of its policy's exclusions, sending that
    /// exclusion's redirect letter.
    Exclude(officer::ExcludeArgs),
    /// Reopen a closed case.
    Reopen(officer::ReopenArgs),
    /// Add a note to a case's timeline.
    Note(officer::NoteArgs),
    /// Send the acknowledgement a case is owed (one held at intake, say).
    Acknowledge(officer::AcknowledgeArgs),
    /// Decide a case waiting to triage: --accept triage's suggested redirect, or
    /// --complaint (acknowledge it as a complaint). `cases --to-triage` lists them.
    Triage(officer::TriageArgs),
    /// Record or correct who writes for the resident (a councillor, MP, advocate or relative).
    Representative(officer::RepresentativeArgs),
    /// Restrict a customer's contact after a Monitoring Officer decision; where the policy
    /// sets the Monitoring Officer's procedure (Bath & NES): --refer, --investigate,
    /// --warn, then --decide (or --immediate REASON in exceptional circumstances).
    Restrict(officer::RestrictArgs),
    /// Mark a complaint as about a director or senior manager (--about NAME), or record
    /// the investigator chosen for it (--investigator NAME --chosen-by WHO).
    Director(officer::DirectorArgs),
    /// Pause a case's deadlines (where the policy allows).
    Pause(officer::PauseArgs),
    /// Resume paused deadlines.
    Resume(officer::RefArgs),
    /// Correct a customer's name, email or postal address (an event on each of their cases).
    Customer(officer::CustomerArgs),
    /// Set or change the council service a case is about (reports count by service).
    Service(officer::ServiceArgs),
    /// Clear a case's flag once an officer has dealt with it.
    Unflag(officer::RefArgs),
    /// Run the daemon: watch the mailbox and send letters until SIGTERM/SIGINT (and
    /// serve the officers' web desk, unless `[web] enabled = false`).
    Run,
    /// Serve the officers' web desk alone until SIGTERM/SIGINT.
    Web,
    /// The web desk's accounts: add, list, disable, passwd, role, history.
    #[command(subcommand)]
    User(user::UserCmd),
    /// One pass over the mailbox: store, thread, triage, queue acknowledgements; then exit.
    Poll(poll::PollArgs),
    /// One received message: headers and text (escaped), --raw bytes, or an attachment.
    Message(message::MessageArgs),
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
    /// Back the database up to a file while the daemon runs (consistent, checked, 0600).
    Backup(backup::BackupArgs),
    /// Put a backup in place of the database (refused while `run` or `web` is running;
    /// the database it replaces is kept beside it).
    Restore(backup::RestoreArgs),
    /// Check the installation: config, file permissions, database, IMAP and SMTP logins
    /// (nothing sent), token endpoints, certificates; one line each, exit 1 on a failure.
    Doctor(doctor::DoctorArgs),
    /// Upgrade tests only: migrate the database up to a given schema version.
    #[command(hide = true)]
    Migrate(backup::MigrateArgs),
}

impl Command {
    /// Commands that only read the database and print (listings, previews to stdout):
    /// those may die quietly of SIGPIPE when their reader goes away.
    pub fn only_reads_and_prints(&self) -> bool {
        matches!(
            self,
            Command::Policy(_)
                | Command::Deadline(_)
                | Command::Workdays(_)
                | Command::Cases(_)
                | Command::Case(_)
                | Command::Outbox(_)
                | Command::Quarantine(_)
                | Command::Message(_)
                | Command::Report(_)
        )
    }
}

/// `--now`: an RFC 3339 moment, or a date meaning 09:00 London time that day (the
/// start of a council's working day, so a date runs what an officer would see then).
pub use crate::time::parse_now;

pub fn parse_date(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD"))
}

/// Crates that log secrets or mail below info: async-imap and imap-proto write the IMAP
/// `LOGIN` command (with the password) and every fetched message at trace; lettre the
/// SMTP dialogue; rustls the handshake; ureq the OAuth2 token requests. They stay at info whatever level is asked for,
/// unless the filter names the crate itself (`REDRESS_LOG=debug,async_imap=trace`).
const QUIET_CRATES: &[&str] = &[
    "async_imap",
    "imap_proto",
    "lettre",
    "ureq",
    "rustls",
    "tokio_rustls",
    "webpki",
    "mail_parser",
    "tera",
    "printpdf",
    "lopdf",
];

/// The log filter: `REDRESS_LOG` if set, else `RUST_LOG`, else the level from `-v`
/// (the daemon logs info by default, other commands warn), as given; and the
/// [`QUIET_CRATES`] it does not name, which [`init_tracing`] holds at info whatever
/// form the level takes (`trace`, `TRACE`, `5`, `[]=trace`, a target such as `imap`
/// that is only a prefix of a crate's name). A crate is named by a directive whose
/// target is the crate or one of its modules (`async_imap=trace`, `async_imap::client`).
pub fn log_filter(
    verbose: u8,
    daemon: bool,
    redress_log: Option<&str>,
    rust_log: Option<&str>,
) -> (String, Vec<&'static str>) {
    let default = match verbose {
        0 if daemon => "info",
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let spec = [redress_log, rust_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or(default);
    let directives: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let held = QUIET_CRATES
        .iter()
        .copied()
        .filter(|krate| {
            !directives.iter().any(|d| {
                let target = d.split(['=', '[']).next().unwrap_or("").trim();
                target == *krate || target.starts_with(&format!("{krate}::"))
            })
        })
        .collect();
    (directives.join(","), held)
}

/// Every field and message of a log line escaped (see [`crate::escape`]): a subject or a
/// reason quoting a header can neither start a forged line nor drive the terminal.
struct EscapedFields;

struct EscapingVisitor<'a, 'w> {
    writer: &'a mut tracing_subscriber::fmt::format::Writer<'w>,
    first: bool,
    result: std::fmt::Result,
}

impl EscapingVisitor<'_, '_> {
    fn field(&mut self, name: &str, value: &str) {
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        let value = crate::escape::Escaped(value);
        self.result = if name == "message" {
            write!(self.writer, "{sep}{value}")
        } else {
            write!(self.writer, "{sep}{name}={value}")
        };
    }
}

impl tracing::field::Visit for EscapingVisitor<'_, '_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.field(field.name(), value);
        } else {
            self.field(field.name(), &format!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.field(field.name(), &format!("{value:?}"));
    }
}

impl<'w> tracing_subscriber::fmt::FormatFields<'w> for EscapedFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: tracing_subscriber::fmt::format::Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        let mut v = EscapingVisitor {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

pub fn init_tracing(verbose: u8, daemon: bool) {
    let var = |k: &str| std::env::var(k).ok();
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (spec, held) = log_filter(
        verbose,
        daemon,
        var("REDRESS_LOG").as_deref(),
        var("RUST_LOG").as_deref(),
    );
    let filter = tracing_subscriber::EnvFilter::try_new(&spec).unwrap_or_else(|e| {
        eprintln!(
            "redress: warning: log filter '{spec}' is not valid ({e}); logging warnings only"
        );
        tracing_subscriber::EnvFilter::new("warn")
    });
    // A second filter that must also let an event through: the held crates at info at
    // most, whatever the first one says (span directives such as `[]=trace` enable
    // every target inside a span, so no directive added to the first could hold them).
    let hold = held.into_iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, krate| t.with_target(krate, LevelFilter::INFO),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(EscapedFields)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .finish()
        .with(hold)
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
    // `doctor` reports a config it cannot load as its first failed check.
    if let Command::Doctor(_) = &cli.command {
        return doctor::run(cli.config.as_deref(), cli.now.unwrap_or_else(Utc::now));
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
            crate::memory::trim_resident_memory();
            // Held until the process ends: `restore` refuses while it is.
            let _lock = crate::backup::DaemonLock::running(&ctx.config)?;
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
        Command::Web => user::web(ctx),
        Command::User(cmd) => user::run(&ctx, cmd),
        Command::Poll(args) => poll::poll(&ctx, args),
        Command::Tick(a) => officer::tick(&ctx, a),
        Command::Assign(a) => officer::assign(&ctx, a),
        Command::Reply(a) => officer::reply(&ctx, a),
        Command::Extend(a) => officer::extend(&ctx, a),
        Command::Escalate(a) => officer::escalate(&ctx, a),
        Command::Decide(a) => officer::decide(&ctx, a),
        Command::Approve(a) => officer::approve(&ctx, a),
        Command::Learning(a) => officer::learning(&ctx, a),
        Command::Close(a) => officer::close(&ctx, a),
        Command::Exclude(a) => officer::exclude(&ctx, a),
        Command::Reopen(a) => officer::reopen(&ctx, a),
        Command::Note(a) => officer::note(&ctx, a),
        Command::Acknowledge(a) => officer::acknowledge(&ctx, a),
        Command::Triage(a) => officer::triage(&ctx, a),
        Command::Representative(a) => officer::representative(&ctx, a),
        Command::Restrict(a) => officer::restrict(&ctx, a),
        Command::Director(a) => officer::director(&ctx, a),
        Command::Customer(a) => officer::customer(&ctx, a),
        Command::Service(a) => officer::service(&ctx, a),
        Command::Unflag(a) => officer::unflag(&ctx, a),
        Command::Pause(a) => officer::pause(&ctx, a),
        Command::Resume(a) => officer::resume(&ctx, a),
        Command::Classify(args) => poll::classify(&ctx, args),
        Command::Quarantine(args) => poll::quarantine(&ctx, args),
        Command::Message(args) => message::show(&ctx, args),
        Command::Report(args) => report::run(&ctx, args),
        Command::Retention(args) => retention::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Backup(a) => backup::backup(&ctx, a),
        Command::Restore(a) => backup::restore(&ctx, a),
        Command::Migrate(a) => backup::migrate(&ctx, a),
        Command::Doctor(_) => unreachable!("handled before the config is loaded"),
    }
}

/// Print a table with columns padded to their widest cell. Every cell is escaped
/// ([`crate::escape`]): a subject or a name from a sender's mail cannot move the cursor,
/// retitle the terminal or start a row of its own.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| esc(c).into_owned()).collect())
        .collect();
    let rows = &rows;
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

/// Sender text for the terminal: see [`crate::escape::escaped`].
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::escaped(s)
}

/// Print `v` as JSON. A reader that has gone (`redress new --json | head -1`) is not
/// an error: what the command did is done and recorded.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(v)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn log_filter_order_and_quiet_crates() {
        let all = super::QUIET_CRATES.to_vec();
        assert_eq!(
            log_filter(0, false, None, None),
            ("warn".into(), all.clone())
        );
        assert_eq!(
            log_filter(0, true, None, None),
            ("info".into(), all.clone())
        );
        assert_eq!(
            log_filter(2, false, None, None),
            ("trace".into(), all.clone())
        );
        // REDRESS_LOG wins over RUST_LOG, which wins over -v.
        assert_eq!(
            log_filter(2, false, Some("error"), Some("debug")).0,
            "error"
        );
        assert_eq!(log_filter(0, false, None, Some(" 5 ")).0, "5");
        assert_eq!(log_filter(2, false, Some(" "), Some("")).0, "trace");
        // Every form of a level holds every quiet crate it does not name.
        for spec in [
            "5",
            "TRACE",
            "[]=trace",
            "[{x}]=5",
            "async=trace,imap=5",
            "rust=trace",
        ] {
            assert_eq!(log_filter(0, false, Some(spec), None).1, all, "{spec}");
        }
        // A crate named on purpose (or one of its modules) keeps the level asked for.
        let (spec, held) = log_filter(0, false, Some("trace,async_imap=trace"), None);
        assert_eq!(spec, "trace,async_imap=trace");
        assert!(!held.contains(&"async_imap") && held.contains(&"imap_proto"));
        for spec in [
            "async_imap",
            "async_imap[conn]=5",
            "async_imap::client=debug",
        ] {
            let held = log_filter(0, false, Some(spec), None).1;
            assert!(!held.contains(&"async_imap"), "{spec}");
        }
        assert!(log_filter(0, false, Some("async_imap_x=trace"), None)
            .1
            .contains(&"async_imap"));
        // Nothing is raised above what was asked.
        assert_eq!(
            log_filter(0, false, Some("redress=trace"), None).0,
            "redress=trace"
        );
    }
}
