//! `[web]`: the officers' web desk.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::{line_of, ConfigError};

/// `[web]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct WebConfig {
    enabled: bool,
    listen: String,
    public_url: Option<String>,
    session_idle_hours: u32,
    trusted_proxies: Vec<String>,
    proxy_header: String,
    client_address_header: String,
    metrics_token_file: Option<PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            session_idle_hours: 8,
            trusted_proxies: Vec::new(),
            proxy_header: "X-Forwarded-Email".into(),
            client_address_header: "X-Forwarded-For".into(),
            metrics_token_file: None,
        }
    }
}

/// The officers' web desk (`[web]`), checked when the config is read.
#[derive(Debug, Clone)]
pub struct Web {
    /// Served by `redress run` alongside the daemon's tasks (`redress web` serves it regardless).
    pub enabled: bool,
    pub listen: std::net::SocketAddr,
    /// The address officers use (behind a reverse proxy); https makes the session cookie Secure.
    pub public_url: Option<String>,
    /// A session unused this long ends.
    pub session_idle_hours: u32,
    /// The reverse proxies whose `proxy_header` is believed (single sign-on).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The header a trusted proxy names the signed-in user's email in.
    pub proxy_header: String,
    /// The header a trusted proxy gives the client's address in (the last address in
    /// it, the one the proxy itself added): behind a proxy every request comes from the
    /// proxy's address, and the sign-in throttle and its record need the client's.
    pub client_address_header: String,
    /// A file holding the bearer token that opens `/healthz` and `/metrics` to other
    /// hosts (read at each request: a systemd credential, say). `REDRESS_METRICS_TOKEN`
    /// in the environment wins over it. Without either, loopback only.
    pub metrics_token_file: Option<PathBuf>,
}

impl Web {
    /// Whether cookies must be Secure (the desk is reached over https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

    /// Where an officer signs in.
    pub fn sign_in_url(&self) -> String {
        match &self.public_url {
            Some(u) => format!("{}/", u.trim_end_matches('/')),
            None => format!("http://{}/", self.listen),
        }
    }
}

/// `[web]` checked, its metrics token file counted from the config's folder.
pub(super) fn check_web(
    raw: WebConfig,
    resolve: &dyn Fn(&Path) -> PathBuf,
    src: &str,
    file: &str,
) -> Result<Web, ConfigError> {
    let bad = |needle: &str, msg: String| ConfigError::Invalid {
        file: file.to_string(),
        line: line_of(src, needle),
        msg: format!("[web] {msg}"),
    };
    let listen = raw.listen.trim().parse().map_err(|_| {
        bad(
            "listen",
            format!(
                "listen '{}' is not an address and port such as 127.0.0.1:8080",
                raw.listen
            ),
        )
    })?;
    if let Some(u) = &raw.public_url {
        let l = u.to_ascii_lowercase();
        if !(l.starts_with("https://") || l.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return Err(bad(
                "public_url",
                format!("public_url '{u}' must start with https:// or http://"),
            ));
        }
    }
    if raw.session_idle_hours == 0 || raw.session_idle_hours > 24 * 31 {
        return Err(bad(
            "session_idle_hours",
            format!(
                "session_idle_hours {} must be between 1 and 744",
                raw.session_idle_hours
            ),
        ));
    }
    let mut trusted_proxies = Vec::new();
    for p in &raw.trusted_proxies {
        trusted_proxies.push(p.trim().parse().map_err(|_| {
            bad(
                "trusted_proxies",
                format!("trusted_proxies: '{p}' is not an IP address"),
            )
        })?);
    }
    let header_name = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let h = raw.proxy_header.trim();
    if !header_name(h) {
        return Err(bad(
            "proxy_header",
            format!("proxy_header '{}' is not a header name", raw.proxy_header),
        ));
    }
    let client = raw.client_address_header.trim();
    if !header_name(client) {
        return Err(bad(
            "client_address_header",
            format!(
                "client_address_header '{}' is not a header name",
                raw.client_address_header
            ),
        ));
    }
    Ok(Web {
        enabled: raw.enabled,
        listen,
        public_url: raw.public_url,
        session_idle_hours: raw.session_idle_hours,
        trusted_proxies,
        proxy_header: h.to_string(),
        client_address_header: client.to_string(),
        metrics_token_file: raw.metrics_token_file.as_deref().map(resolve),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError, DEFAULT};
    use std::path::Path;

    fn web(extra: &str) -> Result<Config, ConfigError> {
        Config::parse_str(
            &format!("{DEFAULT}\n[web]\n{extra}\n"),
            "t.toml",
            Path::new("."),
        )
    }

    #[test]
    fn web_defaults_are_loopback_8080_eight_hours() {
        let w = Config::load(None).unwrap().web;
        assert!(w.enabled);
        assert_eq!(w.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(w.session_idle_hours, 8);
        assert!(w.trusted_proxies.is_empty());
        assert_eq!(w.proxy_header, "X-Forwarded-Email");
        assert_eq!(w.client_address_header, "X-Forwarded-For");
        assert!(!w.secure_cookies());
        assert_eq!(w.sign_in_url(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let w = web("public_url = \"https://complaints.example.gov.uk\"\ntrusted_proxies = [\"10.0.0.5\", \"::1\"]")
            .unwrap()
            .web;
        assert!(w.secure_cookies());
        assert_eq!(w.trusted_proxies.len(), 2);
        assert_eq!(w.sign_in_url(), "https://complaints.example.gov.uk/");
    }

    #[test]
    fn bad_web_values_name_their_line() {
        for (extra, want) in [
            (
                "listen = \"localhost\"",
                "listen 'localhost' is not an address",
            ),
            (
                "trusted_proxies = [\"proxy.example\"]",
                "'proxy.example' is not an IP address",
            ),
            ("session_idle_hours = 0", "session_idle_hours 0 must be"),
            (
                "public_url = \"ftp://x\"",
                "public_url 'ftp://x' must start",
            ),
            (
                "proxy_header = \"X Email\"",
                "proxy_header 'X Email' is not a header name",
            ),
            (
                "client_address_header = \"X For\"",
                "client_address_header 'X For' is not a header name",
            ),
        ] {
            let e = web(extra).unwrap_err().to_string();
            let full = format!("{DEFAULT}\n[web]\n{extra}\n");
            let line = full.lines().position(|l| l == extra).unwrap() + 1;
            assert!(
                e.starts_with(&format!("t.toml: line {line}: [web] ")),
                "{e}"
            );
            assert!(e.contains(want), "{e}");
            assert_eq!(e.lines().count(), 1);
        }
        let e = web("colour = 1").unwrap_err().to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
    }
}
