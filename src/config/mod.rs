//! The daemon's configuration file: the council's identity, which policy preset it
//! runs, where its data lives, its closure days, and its mailbox and outbox. With no
//! file at all, Redress runs on the zero-setup default: a local Maildir in, a file
//! outbox out, SQLite in ./data.
//!
//! One file per section, each with its structs, their defaults, the checks that
//! concern only it and its tests; this one reads the file, holds the checks that span
//! sections (the council's letterhead and reference prefix) and puts [`Config`]
//! together.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::calendar::Calendar;
use crate::policy::{Policy, PolicyError};

mod calendar;
mod inbound;
mod letters;
mod mailbox;
mod oauth2;
mod outbox;
mod schedules;
mod staff;
mod web;
mod workflow;

pub use self::oauth2::Oauth2Config;
pub use calendar::{CalendarConfig, Closure};
pub use inbound::{AutoRedirect, InboundConfig};
pub use letters::{LettersConfig, MAX_LETTER_ATTACHMENTS};
pub use mailbox::{ImapConfig, MailboxConfig};
pub use outbox::{OutboxConfig, SmtpConfig};
pub use schedules::{BackupSchedule, DigestConfig, ReportSchedule, RetentionSchedule};
pub use staff::{Account, Directory, Staff, COUNCIL_INBOX};
pub use web::Web;
pub use workflow::{WorkflowConfig, SAFEGUARDING_PHRASES};

use web::WebConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {msg}")]
    Unreadable { file: String, msg: String },
    #[error("{file}: line {line}: {msg}")]
    Invalid {
        file: String,
        line: usize,
        msg: String,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

pub use crate::council::Council;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    council: Council,
    policy: String,
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    #[serde(default)]
    calendar: CalendarConfig,
    mailbox: Option<MailboxConfig>,
    outbox: Option<OutboxConfig>,
    #[serde(default)]
    inbound: InboundConfig,
    #[serde(default)]
    workflow: WorkflowConfig,
    #[serde(default)]
    staff: Vec<Staff>,
    #[serde(default)]
    digest: Vec<DigestConfig>,
    #[serde(default)]
    report: Vec<ReportSchedule>,
    #[serde(default)]
    retention: Option<RetentionSchedule>,
    #[serde(default)]
    backup: Vec<BackupSchedule>,
    #[serde(default)]
    letters: LettersConfig,
    #[serde(default)]
    web: WebConfig,
}

fn default_data_dir() -> PathBuf {
    "data".into()
}

/// A loaded configuration, with relative paths resolved against the config file's folder.
#[derive(Debug, Clone)]
pub struct Config {
    pub council: Council,
    pub policy: Policy,
    pub data_dir: PathBuf,
    pub calendar: Calendar,
    pub mailbox: MailboxConfig,
    pub outbox: OutboxConfig,
    pub inbound: InboundConfig,
    pub letters: LettersConfig,
    pub workflow: WorkflowConfig,
    pub staff: Vec<Staff>,
    pub digests: Vec<DigestConfig>,
    pub reports: Vec<ReportSchedule>,
    pub retention: Option<RetentionSchedule>,
    pub backups: Vec<BackupSchedule>,
    pub web: Web,
    pub triage: crate::triage::Rules,
    /// Where the config came from, for messages.
    pub source: String,
    /// The file it was read from (None for the built-in default): `run` hands it to the
    /// child process that renders letters.
    pub file: Option<PathBuf>,
}

/// The zero-setup configuration used when no --config is given.
pub const DEFAULT: &str = r#"
policy = "lgsco-code"
data_dir = "data"

[council]
name = "Example Council"
address = ["Council Offices", "High Street", "Exampleton", "EX1 1AA"]
phone = "01234 567890"
web = "https://www.example.gov.uk/complaints"
email = "complaints@example.gov.uk"
signatory = "Complaints Team"
reference_prefix = "EX"

[mailbox]
kind = "maildir"
path = "maildir"

[outbox]
kind = "file"
path = "outbox"
"#;

impl Config {
    /// Which policy governs a case (see [`crate::policy::Policies`]).
    pub fn policies(&self) -> crate::policy::Policies<'_> {
        crate::policy::Policies::new(&self.policy)
    }

    /// Load `path`, or the zero-setup default (paths relative to the working directory) when `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|e| ConfigError::Unreadable {
                    file: p.display().to_string(),
                    msg: e.to_string(),
                })?;
                let base = p.parent().unwrap_or(Path::new("."));
                let mut cfg = Config::parse_str(&src, &p.display().to_string(), base)?;
                cfg.file = Some(p.to_path_buf());
                Ok(cfg)
            }
            None => Config::parse_str(DEFAULT, "built-in default config", Path::new(".")),
        }
    }

    pub fn parse_str(src: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| ConfigError::Invalid {
            file: file.to_string(),
            line: crate::text::toml_error_line(src, &e),
            msg: e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string(),
        })?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        // A relative policy path counts from the config's folder too.
        let policy = if raw.policy.ends_with(".toml") {
            Policy::load(&resolve(Path::new(&raw.policy)).display().to_string())?
        } else {
            Policy::load(&raw.policy)?
        };
        // Each section checks itself, in the order they have always been checked in:
        // a file with two mistakes reports the same one first.
        let closures = raw.calendar.closure_days(src, file)?;
        let mailbox = mailbox::checked(raw.mailbox, &resolve, src, file)?;
        let outbox = outbox::checked(raw.outbox, &raw.council.email, &resolve, src, file)?;
        let council = check_council(raw.council, &policy, &resolve, src, file)?;
        let triage = raw.inbound.triage(&resolve, file)?;
        let letters = raw.letters.checked(&resolve, src, file)?;
        schedules::check(
            &raw.digest,
            &raw.report,
            raw.retention.as_ref(),
            &raw.backup,
            src,
            file,
        )?;
        staff::check(&raw.staff, src, file)?;
        raw.workflow.check_contacts(&raw.staff, src, file)?;
        let backups = schedules::backups(raw.backup, &resolve(&raw.data_dir), &resolve, src, file)?;
        let web = web::check_web(raw.web, &resolve, src, file)?;
        Ok(Config {
            backups,
            web,
            letters,
            workflow: raw.workflow,
            staff: raw.staff,
            digests: raw.digest,
            reports: raw.report,
            retention: raw.retention,
            inbound: raw.inbound,
            triage,
            council,
            policy,
            data_dir: resolve(&raw.data_dir),
            calendar: Calendar::with_closures(closures),
            mailbox,
            outbox,
            source: file.to_string(),
            file: None,
        })
    }

    pub fn reference_prefix(&self) -> &str {
        self.council
            .reference_prefix
            .as_deref()
            .unwrap_or(&self.policy.preset.reference_prefix)
    }

    /// The domain of the complaints inbox, used in our Message-IDs.
    pub fn mail_domain(&self) -> &str {
        self.council
            .email
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("redress.invalid")
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("redress.db")
    }
}

/// `[council]`: its logo read now (a bad file is a config error, not a failed letter),
/// and its reference prefix checked, or the preset's.
fn check_council(
    mut council: Council,
    policy: &Policy,
    resolve: &dyn Fn(&Path) -> PathBuf,
    src: &str,
    file: &str,
) -> Result<Council, ConfigError> {
    if let Some(path) = &council.logo {
        let path = resolve(path);
        let logo = crate::council::logo::Logo::load(&path).map_err(|msg| ConfigError::Invalid {
            file: file.to_string(),
            line: line_of(src, "logo"),
            msg: format!("logo: {msg}"),
        })?;
        council.logo_image = Some(std::sync::Arc::new(logo));
        council.logo = Some(path);
    }
    if let Some(prefix) = &council.reference_prefix {
        let ok = !prefix.is_empty()
            && prefix.len() <= 8
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, "reference_prefix"),
                msg: format!("reference_prefix '{prefix}' must be 1-8 capital letters or digits"),
            });
        }
    } else {
        council.reference_prefix = Some(policy.preset.reference_prefix.clone());
    }
    Ok(council)
}

/// The line of the first `needle` after the line holding `after` (else anywhere).
fn line_after(src: &str, after: &str, needle: &str) -> usize {
    let start = src.lines().position(|l| l.contains(after));
    match start {
        Some(s) => src
            .lines()
            .enumerate()
            .skip(s)
            .find(|(_, l)| l.contains(needle))
            .map(|(i, _)| i + 1)
            .unwrap_or(s + 1),
        None => line_of(src, needle),
    }
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_loads() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.policy.name, "lgsco-code");
        assert_eq!(c.reference_prefix(), "EX");
        assert!(matches!(c.mailbox, MailboxConfig::Maildir { .. }));
    }

    #[test]
    fn unknown_key_names_the_line() {
        let src = "policy = \"lgsco-code\"\ncolour = \"blue\"\n[council]\nname = \"X\"\nemail = \"a@b\"\n";
        let e = Config::parse_str(src, "t.toml", Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml: line 2: unknown field `colour`"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn the_shipped_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/redress.example.toml");
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.reference_prefix(), "BNES");
        assert_eq!(c.calendar.closures().len(), 3);
        assert!(matches!(c.mailbox, MailboxConfig::Imap(_)));
        assert!(matches!(c.outbox, OutboxConfig::Smtp(_)));
    }
}
