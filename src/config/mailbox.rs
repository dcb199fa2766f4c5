//! `[mailbox]`: where complaints come in, a local Maildir or an IMAP mailbox.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::oauth2::{check_oauth2, Oauth2Config};
use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MailboxConfig {
    /// A local Maildir (new/ -> cur/ once stored).
    Maildir {
        path: PathBuf,
    },
    Imap(ImapConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: Option<u16>,
    /// "implicit" (993), "starttls" (143) or "plain" (only honoured on loopback or when allow_plaintext is set).
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub allow_plaintext: bool,
    /// Trust this PEM certificate in addition to the system roots (self-signed test servers).
    pub ca_file: Option<PathBuf>,
    pub user: String,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Move stored mail here; when unset, mail is only flagged \Seen.
    pub processed_folder: Option<String>,
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// `[mailbox.oauth2]`: log in by `AUTHENTICATE XOAUTH2` (or OAUTHBEARER) with a
    /// token from the client-credentials flow instead of a password.
    pub oauth2: Option<Box<Oauth2Config>>,
}

fn default_tls() -> String {
    "implicit".into()
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_poll() -> u64 {
    60
}

/// `[mailbox]` with its paths counted from the config's folder and its OAuth2 table
/// checked; without one, the Maildir `maildir`.
pub(super) fn checked(
    raw: Option<MailboxConfig>,
    resolve: &dyn Fn(&Path) -> PathBuf,
    src: &str,
    file: &str,
) -> Result<MailboxConfig, ConfigError> {
    Ok(match raw {
        Some(MailboxConfig::Maildir { path }) => MailboxConfig::Maildir {
            path: resolve(&path),
        },
        Some(MailboxConfig::Imap(mut i)) => {
            // Secrets and CA files count from the config's folder, like every path.
            i.password_file = i.password_file.as_deref().map(resolve);
            i.ca_file = i.ca_file.as_deref().map(resolve);
            if let Some(o) = &mut i.oauth2 {
                let has_password = i.password_file.is_some() || i.password_env.is_some();
                o.resolve_files(resolve);
                check_oauth2(o, "mailbox", has_password, src, file)?;
                o.user.get_or_insert_with(|| i.user.clone());
            }
            MailboxConfig::Imap(i)
        }
        None => MailboxConfig::Maildir {
            path: resolve(Path::new("maildir")),
        },
    })
}
