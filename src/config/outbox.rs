//! `[outbox]`: where letters go out, a folder of .eml files or an SMTP server.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::oauth2::{check_oauth2, Oauth2Config};
use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OutboxConfig {
    /// Write each letter as an .eml file into a directory.
    File {
        path: PathBuf,
    },
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    /// "implicit" (465), "starttls" (587) or "plain" (loopback or allow_plaintext only).
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
    #[serde(default)]
    pub allow_plaintext: bool,
    pub ca_file: Option<PathBuf>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    /// `[outbox.oauth2]`: AUTH XOAUTH2 with a client-credentials token instead of a password.
    pub oauth2: Option<Box<Oauth2Config>>,
}

fn default_smtp_tls() -> String {
    "starttls".into()
}

/// `[outbox]` with its paths counted from the config's folder and its OAuth2 table
/// checked (the token's user defaults to the SMTP user, else `council_email`); without
/// one, the folder `outbox`.
pub(super) fn checked(
    raw: Option<OutboxConfig>,
    council_email: &str,
    resolve: &dyn Fn(&Path) -> PathBuf,
    src: &str,
    file: &str,
) -> Result<OutboxConfig, ConfigError> {
    Ok(match raw {
        Some(OutboxConfig::File { path }) => OutboxConfig::File {
            path: resolve(&path),
        },
        Some(OutboxConfig::Smtp(mut o)) => {
            o.password_file = o.password_file.as_deref().map(resolve);
            o.ca_file = o.ca_file.as_deref().map(resolve);
            if let Some(oa) = &mut o.oauth2 {
                let has_password = o.password_file.is_some() || o.password_env.is_some();
                oa.resolve_files(resolve);
                check_oauth2(oa, "outbox", has_password, src, file)?;
                let user = o.user.clone().unwrap_or_else(|| council_email.to_string());
                oa.user.get_or_insert(user);
            }
            OutboxConfig::Smtp(o)
        }
        None => OutboxConfig::File {
            path: resolve(Path::new("outbox")),
        },
    })
}
