//! Where letters go: an SMTP server (TLS by default) or a folder of .eml files (the
//! zero-setup default). Failures are told apart as temporary (retry later) or
//! permanent (give up and tell a person).

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport as _};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{OutboxError, Result};
use crate::config::{Config, OutboxConfig, SmtpConfig};

/// How one attempt failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 4xx, or the server could not be reached (`unreachable`): try again later.
    Temporary { msg: String, unreachable: bool },
    /// 5xx, or a letter that cannot be sent as it is: give up, flag the case.
    Permanent(String),
}

pub enum Transport {
    /// Write `<message-id>.eml` files into this folder.
    File(PathBuf),
    Smtp {
        transport: Box<SmtpTransport>,
        /// host:port, for messages.
        server: String,
        /// The host name and CA file, for advice when TLS fails.
        host: String,
        ca_file: Option<PathBuf>,
        /// `[outbox.oauth2]`: each attempt logs in with XOAUTH2 and a live token
        /// (`transport` then carries no credentials and is not used).
        oauth: Option<Box<OauthSmtp>>,
    },
}

/// What an OAuth2 attempt needs to build its transport around the token of the moment.
pub struct OauthSmtp {
    config: SmtpConfig,
    hello: String,
}

/// The .eml file name for a Message-ID: stable, so that whether a letter was already
/// written can be known after a crash.
pub fn eml_file_name(message_id: &str) -> String {
    let id: String = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{id}.eml")
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn password(c: &SmtpConfig) -> Result<Option<String>> {
    if let Some(p) = &c.password_file {
        let s = std::fs::read_to_string(p).map_err(|e| {
            OutboxError::Config(format!(
                "cannot read the SMTP password file {}: {e}",
                p.display()
            ))
        })?;
        return Ok(Some(s.trim_end_matches(['\r', '\n']).to_string()));
    }
    if let Some(var) = &c.password_env {
        let s = std::env::var(var).map_err(|_| {
            OutboxError::Config(format!(
                "the SMTP password environment variable {var} is not set"
            ))
        })?;
        return Ok(Some(s));
    }
    Ok(None)
}

fn smtp(c: &SmtpConfig, hello: &str) -> Result<SmtpTransport> {
    let mut b = smtp_builder(c, hello)?;
    if c.oauth2.is_some() {
        return Ok(b.build());
    }
    if let Some(user) = &c.user {
        let pass = password(c)?.ok_or_else(|| {
            OutboxError::Config(format!(
                "SMTP user {user} is set but neither password_file nor password_env is"
            ))
        })?;
        b = b.credentials(Credentials::new(user.clone(), pass));
    }
    Ok(b.build())
}

fn smtp_builder(
    c: &SmtpConfig,
    hello: &str,
) -> Result<lettre::transport::smtp::SmtpTransportBuilder> {
    let tls_params = || -> Result<TlsParameters> {
        let mut b = TlsParameters::builder(c.host.clone());
        if let Some(ca) = &c.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                OutboxError::Config(format!("cannot read ca_file {}: {e}", ca.display()))
            })?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| OutboxError::Config(format!("ca_file {}: {e}", ca.display())))?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls()
            .map_err(|e| OutboxError::Config(format!("TLS setup for {}: {e}", c.host)))
    };
    let (tls, default_port) = match c.tls.as_str() {
        "implicit" => (Tls::Wrapper(tls_params()?), 465),
        "starttls" => (Tls::Required(tls_params()?), 587),
        "plain" => {
            if !is_loopback(&c.host) && !c.allow_plaintext {
                return Err(OutboxError::Config(format!(
                    "tls = \"plain\" would send letters and the password unencrypted to {}; use \"starttls\" or \"implicit\", or set allow_plaintext = true if the network is trusted",
                    c.host
                )));
            }
            (Tls::None, 25)
        }
        other => {
            return Err(OutboxError::Config(format!(
                "smtp tls = \"{other}\" is not one of implicit, starttls, plain"
            )))
        }
    };
    Ok(SmtpTransport::builder_dangerous(c.host.clone())
        .port(c.port.unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(60)))
        .hello_name(ClientId::Domain(hello.to_string())))
}

/// Whether the server refused the login itself (530, 534, 535): with OAuth2 that is
/// the token's fault or the app's permissions, never the letter's.
fn auth_refused(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|c| matches!(c.to_string().as_str(), "530" | "534" | "535"))
}

impl OauthSmtp {
    /// One attempt with the live token; a refused login forgets it and tries once more
    /// with a fresh one. No token, or a login refused twice, is a temporary failure
    /// like an unreachable server: the letter waits, the batch stops.
    fn send(
        &self,
        server: &str,
        m: &Message,
    ) -> std::result::Result<lettre::transport::smtp::response::Response, Failure> {
        let o = self
            .config
            .oauth2
            .as_ref()
            .ok_or_else(|| Failure::Temporary {
                msg: "no [outbox.oauth2]".into(),
                unreachable: true,
            })?;
        let c = &self.config;
        let user = crate::oauth::user(o).to_string();
        let unreachable = |msg: String| Failure::Temporary {
            msg,
            unreachable: true,
        };
        let attempt = || -> std::result::Result<_, Failure> {
            let token = crate::oauth::token(o, "smtp").map_err(unreachable)?;
            let t = smtp_builder(&self.config, &self.hello)
                .map_err(|e| unreachable(e.to_string()))?
                .credentials(Credentials::new(user.clone(), token))
                .authentication(vec![Mechanism::Xoauth2])
                .build();
            Ok(t.send(m))
        };
        match attempt()? {
            Err(e) if auth_refused(&e) => {
                tracing::warn!(server, error = %e, "token refused: fetching a fresh one");
                crate::oauth::forget(o);
                match attempt()? {
                    Err(e) if auth_refused(&e) => Err(unreachable(format!(
                        "smtp oauth2: {server} refused the token for {user}: {e}"
                    ))),
                    other => other.map_err(|e| classify(server, &c.host, c.ca_file.as_deref(), e)),
                }
            }
            other => other.map_err(|e| classify(server, &c.host, c.ca_file.as_deref(), e)),
        }
    }
}

/// How a failed SMTP attempt counts (see [`Failure`]).
fn classify(
    server: &str,
    host: &str,
    ca_file: Option<&Path>,
    e: lettre::transport::smtp::Error,
) -> Failure {
    if e.is_permanent() {
        Failure::Permanent(format!("{server} refused it: {e}"))
    } else if e.is_transient() {
        Failure::Temporary {
            msg: format!("{server} deferred it: {e}"),
            unreachable: false,
        }
    } else if crate::tls::cert_problem(&e).is_some() {
        Failure::Temporary {
            msg: format!(
                "cannot deliver to {server}: {}",
                crate::tls::explain(&e, "outbox", host, ca_file)
            ),
            unreachable: true,
        }
    } else {
        Failure::Temporary {
            msg: format!("cannot reach {server}: {e}"),
            unreachable: true,
        }
    }
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Transport> {
        Ok(match &config.outbox {
            OutboxConfig::File { path } => Transport::File(path.clone()),
            OutboxConfig::Smtp(c) => Transport::Smtp {
                transport: Box::new(smtp(c, config.mail_domain())?),
                server: format!(
                    "{}:{}",
                    c.host,
                    c.port.map(|p| p.to_string()).unwrap_or_default()
                ),
                host: c.host.clone(),
                ca_file: c.ca_file.clone(),
                oauth: c.oauth2.is_some().then(|| {
                    Box::new(OauthSmtp {
                        config: c.clone(),
                        hello: config.mail_domain().to_string(),
                    })
                }),
            },
        })
    }

    /// For the file outbox: the file of a letter already written, if it exists.
    pub fn delivered_file(&self, message_id: &str) -> Option<PathBuf> {
        match self {
            Transport::File(dir) => {
                let p = dir.join(eml_file_name(message_id));
                p.exists().then_some(p)
            }
            Transport::Smtp { .. } => None,
        }
    }

    /// One attempt. Ok carries a few words for the 'letter sent' event.
    pub fn send(&self, message_id: &str, m: &Message) -> std::result::Result<String, Failure> {
        match self {
            Transport::File(dir) => {
                write_eml(dir, message_id, &m.formatted()).map_err(|e| Failure::Temporary {
                    msg: format!("cannot write to the file outbox {}: {e}", dir.display()),
                    unreachable: true,
                })
            }
            Transport::Smtp {
                transport,
                server,
                host,
                ca_file,
                oauth,
            } => {
                let resp = match oauth {
                    Some(o) => o.send(server, m)?,
                    None => transport
                        .send(m)
                        .map_err(|e| classify(server, host, ca_file.as_deref(), e))?,
                };
                Ok(format!(
                    "accepted by {server}: {} {}",
                    resp.code(),
                    resp.message().collect::<Vec<_>>().join(" ")
                ))
            }
        }
    }
}

/// Write atomically: a temporary file, synced, then renamed into place, so a file with
/// the letter's name is always the whole letter.
fn write_eml(dir: &Path, message_id: &str, bytes: &[u8]) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let name = eml_file_name(message_id);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    let dest = dir.join(&name);
    std::fs::rename(&tmp, &dest)?;
    Ok(format!("written to {}", dest.display()))
}

/// `redress doctor`: connect to the SMTP server, secure the connection and log in as
/// the outbox would (with a fresh OAuth2 token where configured), then say goodbye:
/// nothing is sent. What it did, in words.
pub fn check_login(config: &Config) -> std::result::Result<String, String> {
    let OutboxConfig::Smtp(c) = &config.outbox else {
        return Err("the outbox is not SMTP".into());
    };
    let server = format!(
        "{}:{}",
        c.host,
        c.port.map(|p| p.to_string()).unwrap_or_default()
    );
    let t = match &c.oauth2 {
        Some(o) => {
            let token = crate::oauth::token(o, "smtp")?;
            smtp_builder(c, config.mail_domain())
                .map_err(|e| e.to_string())?
                .credentials(Credentials::new(crate::oauth::user(o).to_string(), token))
                .authentication(vec![Mechanism::Xoauth2])
                .build()
        }
        None => smtp(c, config.mail_domain()).map_err(|e| e.to_string())?,
    };
    match t.test_connection() {
        Ok(true) => Ok(match (&c.user, &c.oauth2) {
            (_, Some(o)) => format!(
                "{server}: logged in as {} (OAuth2), nothing sent",
                crate::oauth::user(o)
            ),
            (Some(u), None) => format!("{server}: logged in as {u}, nothing sent"),
            (None, None) => format!("{server}: connected (no login configured), nothing sent"),
        }),
        Ok(false) => Err(format!("{server}: the server did not answer NOOP")),
        Err(e) => Err(match classify(&server, &c.host, c.ca_file.as_deref(), e) {
            Failure::Temporary { msg, .. } | Failure::Permanent(msg) => msg,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_names_are_stable_and_safe() {
        assert_eq!(
            eml_file_name("<bnes-2026-00042.acknowledgement.7@bathnes.gov.uk>"),
            "bnes-2026-00042.acknowledgement.7@bathnes.gov.uk.eml"
        );
        assert_eq!(eml_file_name("<a/b\\c>"), "a_b_c.eml");
    }

    #[test]
    fn plaintext_is_only_for_loopback() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("smtp.example.gov.uk"));
    }
}
