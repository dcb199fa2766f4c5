//! `[mailbox.oauth2]` and `[outbox.oauth2]`: logging in to the mailbox or the SMTP
//! server with an OAuth2 token instead of a password.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::{line_after, ConfigError};

/// `[mailbox.oauth2]` / `[outbox.oauth2]`: an OAuth2 client (Microsoft Entra ID app
/// registration, say) whose tokens log in to the mailbox or the SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oauth2Config {
    /// The token endpoint (https, or http on loopback only). With a service account,
    /// optional: the key file's `token_uri`.
    #[serde(default)]
    pub token_url: String,
    /// The app's id (not used with a service account, whose key file names it).
    #[serde(default)]
    pub client_id: String,
    /// Space-separated scopes, e.g. `https://outlook.office365.com/.default`.
    #[serde(default)]
    pub scope: String,
    /// The client secret: a file (a systemd credential, say) or an environment variable, never the config itself.
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    /// Entra ID certificate credentials instead of a secret: the RSA private key (PEM)
    /// and the certificate uploaded to the app registration (PEM).
    pub private_key_file: Option<PathBuf>,
    pub certificate_file: Option<PathBuf>,
    /// A Google service account's JSON key file (domain-wide delegation; `user` is the
    /// mailbox it acts for).
    pub service_account_file: Option<PathBuf>,
    /// Trust this PEM certificate for the token endpoint's TLS, besides the public roots.
    pub ca_file: Option<PathBuf>,
    /// The key of `private_key_file`/`service_account_file`, read when the config is.
    #[serde(skip)]
    pub signer: Option<crate::jwt::Signer>,
    /// The mailbox the token logs in as; defaults to the IMAP `user`, or the SMTP `user`
    /// (else the council's email) for the outbox. Filled in when the config is read.
    pub user: Option<String>,
}

impl Oauth2Config {
    /// Its files count from the config's folder, like every path.
    pub(super) fn resolve_files(&mut self, resolve: impl Fn(&Path) -> PathBuf) {
        for f in [
            &mut self.secret_file,
            &mut self.private_key_file,
            &mut self.certificate_file,
            &mut self.service_account_file,
            &mut self.ca_file,
        ] {
            *f = f.as_deref().map(&resolve);
        }
    }
}

/// `[TABLE.oauth2]` makes sense: one secret source, no password beside it, and a token
/// URL that is https (or http on loopback, for a local test server).
pub(super) fn check_oauth2(
    o: &mut Oauth2Config,
    table: &str,
    has_password: bool,
    src: &str,
    file: &str,
) -> Result<(), ConfigError> {
    let header = format!("[{table}.oauth2]");
    let bad = |key: &str, msg: String| ConfigError::Invalid {
        file: file.to_string(),
        line: line_after(src, &header, key),
        msg: format!("{header} {msg}"),
    };
    if has_password {
        let key = src
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(&format!("[{table}]")))
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .find(|l| l.trim_start().starts_with("password_"))
            .and_then(|l| l.split('=').next())
            .map(|k| k.trim().to_string())
            .unwrap_or_else(|| "password_file".into());
        return Err(ConfigError::Invalid {
            file: file.to_string(),
            line: line_after(src, &format!("[{table}]"), &key),
            msg: format!(
                "[{table}] {key} and {header} are both set: log in with a password or with OAuth2, not both"
            ),
        });
    }
    // One way to prove who the client is: the keys set, in the order they are written.
    let mut set: Vec<(usize, &str)> = [
        ("secret_file", o.secret_file.is_some()),
        ("secret_env", o.secret_env.is_some()),
        ("private_key_file", o.private_key_file.is_some()),
        ("certificate_file", o.certificate_file.is_some()),
        ("service_account_file", o.service_account_file.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| (line_after(src, &header, k), k))
    .collect();
    set.sort();
    let names: Vec<&str> = set.iter().map(|(_, k)| *k).collect();
    match names.as_slice() {
        [] => return Err(bad(
            &header,
            "needs the client secret from secret_file or secret_env (never written in this file), \
             or private_key_file and certificate_file, or service_account_file"
                .into(),
        )),
        ["secret_file" | "secret_env" | "service_account_file"]
        | ["private_key_file", "certificate_file"]
        | ["certificate_file", "private_key_file"] => {}
        ["private_key_file"] => {
            return Err(bad(
                "private_key_file",
                "has private_key_file without certificate_file: set both".into(),
            ))
        }
        ["certificate_file"] => {
            return Err(bad(
                "certificate_file",
                "has certificate_file without private_key_file: set both".into(),
            ))
        }
        [.., last] if names.len() == 2 && names.iter().all(|k| k.starts_with("secret_")) => {
            return Err(bad(
                last,
                "has both secret_file and secret_env: keep one".into(),
            ))
        }
        _ => {
            let key = *names.last().unwrap_or(&"secret_file");
            return Err(bad(
                key,
                format!(
                    "has {}: keep one way to sign in (a secret, a certificate, or a service account)",
                    names.join(" and ")
                ),
            ));
        }
    }
    if let Some(ca) = &o.ca_file {
        crate::tls::client_config(Some(ca)).map_err(|m| bad("ca_file", m))?;
    }
    if let (Some(k), Some(c)) = (&o.private_key_file, &o.certificate_file) {
        let signer = crate::jwt::load_certificate(k, c).map_err(|m| {
            let key = if m.starts_with("certificate_file") {
                "certificate_file"
            } else {
                "private_key_file"
            };
            bad(key, m)
        })?;
        o.signer = Some(signer);
    }
    if let Some(f) = &o.service_account_file {
        let signer =
            crate::jwt::load_service_account(f).map_err(|m| bad("service_account_file", m))?;
        if o.token_url.trim().is_empty() {
            if let crate::jwt::Signer::ServiceAccount { token_uri, .. } = &signer {
                o.token_url = token_uri.clone();
            }
        }
        o.signer = Some(signer);
        // Google issues nothing without one, and says so only at the first request.
        if o.scope.trim().is_empty() {
            return Err(bad(
                "service_account_file",
                "a service account needs scope (for Gmail: \"https://mail.google.com/\")".into(),
            ));
        }
    } else if o.client_id.trim().is_empty() {
        return Err(bad("client_id", "client_id is empty".into()));
    }
    if o.token_url.trim().is_empty() {
        return Err(bad(&header, "needs token_url".into()));
    }
    let url = ::oauth2::url::Url::parse(o.token_url.trim())
        .map_err(|e| bad("token_url", format!("token_url '{}': {e}", o.token_url)))?;
    let loopback = url
        .host_str()
        .is_some_and(|h| crate::tls::is_loopback(h.trim_start_matches('[').trim_end_matches(']')));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(
                "token_url",
                format!(
                    "token_url '{}' must be https:// (http only on loopback): the client's credentials travel in it",
                    o.token_url
                ),
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError, MailboxConfig, OutboxConfig, DEFAULT};
    use std::path::Path;

    const IMAP: &str = "[mailbox]\nkind = \"imap\"\nhost = \"outlook.office365.com\"\nuser = \"complaints@council.gov.uk\"\n";
    const OAUTH: &str = "[mailbox.oauth2]\ntoken_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\nclient_id = \"app\"\nscope = \"https://outlook.office365.com/.default\"\n";

    fn parse(src: &str) -> Result<Config, ConfigError> {
        Config::parse_str(src, "t.toml", Path::new("/etc/redress"))
    }

    /// The default config with its [mailbox] and [outbox] replaced by `tail`.
    fn with(tail: &str) -> String {
        let head = DEFAULT.split("[mailbox]").next().unwrap();
        format!("{head}{tail}")
    }

    #[test]
    fn oauth2_tables_load_with_the_user_and_secret_resolved() {
        let src = with(&format!(
            "{IMAP}{OAUTH}secret_file = \"oauth2-secret\"\n\
             [outbox]\nkind = \"smtp\"\nhost = \"smtp.office365.com\"\nport = 587\n\
             [outbox.oauth2]\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"app\"\nsecret_env = \"SECRET\"\n"
        ));
        let c = parse(&src).unwrap();
        let MailboxConfig::Imap(i) = &c.mailbox else {
            panic!()
        };
        let o = i.oauth2.as_ref().unwrap();
        assert_eq!(o.user.as_deref(), Some("complaints@council.gov.uk"));
        assert_eq!(
            o.secret_file.as_deref(),
            Some(Path::new("/etc/redress/oauth2-secret"))
        );
        let OutboxConfig::Smtp(s) = &c.outbox else {
            panic!()
        };
        // No SMTP user: the council's address sends.
        assert_eq!(
            s.oauth2.as_ref().unwrap().user.as_deref(),
            Some("complaints@example.gov.uk")
        );
    }

    #[test]
    fn bad_oauth2_tables_are_one_line_naming_the_key() {
        let cases = [
            (
                format!("{IMAP}password_file = \"p\"\n{OAUTH}secret_env = \"S\"\n"),
                "password_file = ",
                "[mailbox] password_file and [mailbox.oauth2] are both set",
            ),
            (
                format!("{IMAP}{OAUTH}"),
                "[mailbox.oauth2]",
                "needs the client secret from secret_file or secret_env",
            ),
            (
                format!("{IMAP}{OAUTH}secret_file = \"a\"\nsecret_env = \"B\"\n"),
                "secret_env = ",
                "has both secret_file and secret_env",
            ),
            (
                format!(
                    "{IMAP}{}secret_env = \"S\"\n",
                    OAUTH.replace("https://login.microsoftonline.com", "http://login.example")
                ),
                "token_url = ",
                "must be https:// (http only on loopback)",
            ),
        ];
        for (tail, line_with, want) in cases {
            let src = with(&tail);
            let e = parse(&src).unwrap_err().to_string();
            let line = src.lines().position(|l| l.starts_with(line_with)).unwrap() + 1;
            assert!(e.starts_with(&format!("t.toml: line {line}: ")), "{e}");
            assert!(e.contains(want), "{e}");
            assert_eq!(e.lines().count(), 1);
        }
    }
}
