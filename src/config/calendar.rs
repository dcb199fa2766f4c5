//! `[calendar]`: the days the council is closed, beside the bank holidays.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{line_of, ConfigError};

/// A day or a run of days the council is closed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First closed day: a TOML date (2026-12-29) or the same in quotes.
    pub from: toml::Value,
    /// Last closed day, inclusive; `from` alone closes one day.
    pub to: Option<toml::Value>,
    #[serde(default = "default_closure_reason")]
    pub reason: String,
}

fn default_closure_reason() -> String {
    "council closure".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    #[serde(default)]
    pub closures: Vec<Closure>,
}

impl CalendarConfig {
    /// Each closed day with its reason, a run of days expanded to every day in it.
    pub(super) fn closure_days(
        &self,
        src: &str,
        file: &str,
    ) -> Result<Vec<(NaiveDate, String)>, ConfigError> {
        let mut closures = Vec::new();
        for c in &self.closures {
            let date = |v: &toml::Value| -> Result<NaiveDate, ConfigError> {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Datetime(d) => d.to_string(),
                    other => other.to_string(),
                };
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "closures"),
                    msg: format!("closure date '{text}' is not a date in the form YYYY-MM-DD"),
                })
            };
            let from = date(&c.from)?;
            let to = c.to.as_ref().map(date).transpose()?.unwrap_or(from);
            if to < from {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &from.to_string()),
                    msg: format!("closure ends ({to}) before it starts ({from})"),
                });
            }
            let mut d = from;
            while d <= to {
                closures.push((d, c.reason.clone()));
                d += chrono::Duration::days(1);
            }
        }
        Ok(closures)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, DEFAULT};
    use std::path::Path;

    #[test]
    fn closure_ranges_expand_to_each_day() {
        let src = format!(
            "{DEFAULT}\n[calendar]\nclosures = [{{ from = 2026-12-29, to = 2026-12-31, reason = \"Christmas closure\" }}]\n"
        );
        let c = Config::parse_str(&src, "t.toml", Path::new(".")).unwrap();
        assert_eq!(c.calendar.closures().len(), 3);
    }
}
