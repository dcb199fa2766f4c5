//! `[[digest]]`, `[[report]]`, `[retention]` and `[[backup]]`: what the daemon does on
//! a cron schedule.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::{line_of, ConfigError};

/// A managers' digest of overdue and due-soon cases, on a cron schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    pub name: String,
    /// Cron expression with seconds, in London time: "0 0 8 * * Mon-Fri" is 08:00 on weekdays.
    pub schedule: String,
    pub to: Vec<String>,
    /// Include cases due within this many working days.
    #[serde(default = "default_due_within")]
    pub due_within_days: u32,
    /// Send even when there is nothing to report.
    #[serde(default)]
    pub send_when_empty: bool,
}

/// A performance report mailed to managers on a cron schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSchedule {
    pub name: String,
    /// Cron with seconds, London time: "0 0 7 1 * *" is 07:00 on the 1st of each month.
    pub schedule: String,
    /// previous-month, previous-quarter or previous-financial-year, counted from the firing day.
    pub period: String,
    pub to: Vec<String>,
}

/// Erase personal data past its destruction date on a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSchedule {
    /// Cron with seconds, London time, e.g. "0 30 2 * * *" (02:30 every night).
    pub schedule: String,
}

/// A backup of the database on a cron schedule (`[[backup]]`), keeping the newest `keep`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSchedule {
    /// Names the schedule (two `[[backup]]` tables need different names).
    #[serde(default = "default_backup_name")]
    pub name: String,
    /// Cron with seconds, London time, e.g. "0 15 2 * * *" (02:15 every night).
    pub schedule: String,
    /// The folder for the files (made 0700 if missing); default DATA_DIR/backups.
    pub dir: Option<PathBuf>,
    /// How many of this folder's backups to keep (the newest); at least 1.
    #[serde(default = "default_backup_keep")]
    pub keep: usize,
}

fn default_backup_name() -> String {
    "backup".into()
}

fn default_backup_keep() -> usize {
    7
}

fn default_due_within() -> u32 {
    3
}

/// Every schedule is a cron expression, and every report's period one we can count.
pub(super) fn check(
    digests: &[DigestConfig],
    reports: &[ReportSchedule],
    retention: Option<&RetentionSchedule>,
    backups: &[BackupSchedule],
    src: &str,
    file: &str,
) -> Result<(), ConfigError> {
    let schedules = digests
        .iter()
        .map(|d| (format!("digest '{}'", d.name), &d.schedule))
        .chain(
            reports
                .iter()
                .map(|r| (format!("report '{}'", r.name), &r.schedule)),
        )
        .chain(retention.map(|r| ("retention".to_string(), &r.schedule)))
        .chain(
            backups
                .iter()
                .map(|b| (format!("backup '{}'", b.name), &b.schedule)),
        );
    for (what, schedule) in schedules {
        if let Err(e) = schedule.parse::<cron::Schedule>() {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, schedule),
                msg: format!(
                    "{what}: schedule '{schedule}' is not a cron expression (sec min hour day month weekday): {e}"
                ),
            });
        }
    }
    for r in reports {
        if ![
            "previous-month",
            "previous-quarter",
            "previous-financial-year",
        ]
        .contains(&r.period.as_str())
        {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, &r.period),
                msg: format!(
                    "report '{}': period '{}' must be previous-month, previous-quarter or previous-financial-year",
                    r.name, r.period
                ),
            });
        }
    }
    Ok(())
}

/// `[[backup]]` tables checked (keep at least one, distinct names, a folder each) with
/// their folders counted from the config's folder; `data_dir` is the resolved data
/// folder, whose `backups` is the default.
pub(super) fn backups(
    raw: Vec<BackupSchedule>,
    data_dir: &Path,
    resolve: &dyn Fn(&Path) -> PathBuf,
    src: &str,
    file: &str,
) -> Result<Vec<BackupSchedule>, ConfigError> {
    for (i, b) in raw.iter().enumerate() {
        if b.keep == 0 {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, "keep"),
                msg: format!("backup '{}': keep must be at least 1", b.name),
            });
        }
        if raw[..i].iter().any(|o| o.name == b.name) {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, "[[backup]]"),
                msg: format!(
                    "two [[backup]] tables are named '{}': give each a name",
                    b.name
                ),
            });
        }
    }
    let backups: Vec<BackupSchedule> = raw
        .into_iter()
        .map(|mut b| {
            b.dir = b.dir.as_deref().map(resolve);
            b
        })
        .collect();
    // Each schedule keeps its newest `keep` files of its folder: two sharing a
    // folder would remove each other's.
    let folder = |b: &BackupSchedule| b.dir.clone().unwrap_or_else(|| data_dir.join("backups"));
    for (i, b) in backups.iter().enumerate() {
        if let Some(o) = backups[..i].iter().find(|o| folder(o) == folder(b)) {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, "[[backup]]"),
                msg: format!(
                    "backups '{}' and '{}' share the folder {}: give each its own dir (each keeps the newest files there)",
                    o.name,
                    b.name,
                    folder(b).display()
                ),
            });
        }
    }
    Ok(backups)
}
