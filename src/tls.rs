//! TLS client settings shared by IMAP (and anything else that dials out with rustls):
//! the Mozilla root set plus an optional extra CA file (a council's own CA, or the
//! self-signed certificate of a test server).

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::{
    self, pki_types::pem::PemObject, pki_types::CertificateDer, ClientConfig, RootCertStore,
};

/// Both rustls back ends are compiled in (lettre brings one, tokio-rustls the other);
/// pick ring for the whole process before any TLS is set up. Safe to call repeatedly.
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    install_provider();
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("ca_file {}: {e}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("ca_file {}: no certificates in it", path.display()));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        }
    }
    let cfg =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// Loopback hosts, where plaintext is allowed without saying so in the config.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// A secret from a file (trailing newline trimmed) or from an environment variable;
/// never from the config file itself.
pub fn read_secret(file: Option<&Path>, env: Option<&str>, what: &str) -> Result<String, String> {
    if let Some(f) = file {
        let s = std::fs::read_to_string(f)
            .map_err(|e| format!("{what} password_file {}: {e}", f.display()))?;
        return Ok(s.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Some(var) = env {
        // systemd LoadCredential: $CREDENTIALS_DIRECTORY/<name> is preferred when set.
        return std::env::var(var)
            .map_err(|_| format!("{what}: environment variable {var} is not set"));
    }
    Err(format!("{what}: set password_file or password_env"))
}

/// What was wrong with a server's certificate, as far as advice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProblem {
    /// A CA certificate (basicConstraints CA:TRUE) presented as the server's own.
    CaUsedAsEndEntity,
    /// Not signed by any CA we trust (the public roots and `ca_file`).
    UnknownIssuer,
    /// Valid, but not for the host name we connected to.
    NotValidForName,
    Expired,
    NotValidYet,
    /// Not meant for a TLS server (extendedKeyUsage without serverAuth).
    InvalidPurpose,
    BadSignature,
}

/// The certificate problem behind a TLS error, looking through the error's sources (and
/// the `io::Error`s that tokio-rustls and lettre wrap rustls errors in).
pub fn cert_problem(err: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(p) = e.downcast_ref::<rustls::Error>().and_then(problem_of) {
            return Some(p);
        }
        if let Some(p) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .and_then(problem_of)
        {
            return Some(p);
        }
        cur = e.source();
    }
    // Last resort, for an error that only kept the words.
    problem_in_text(&err.to_string())
}

fn problem_of(e: &rustls::Error) -> Option<CertProblem> {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => Some(match c {
            C::UnknownIssuer => CertProblem::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => CertProblem::NotValidForName,
            C::Expired | C::ExpiredContext { .. } => CertProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => CertProblem::NotValidYet,
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => CertProblem::InvalidPurpose,
            C::BadSignature => CertProblem::BadSignature,
            other => return problem_in_text(&format!("{other:?}")),
        }),
        other => problem_in_text(&format!("{other:?}")),
    }
}

fn problem_in_text(s: &str) -> Option<CertProblem> {
    [
        ("CaUsedAsEndEntity", CertProblem::CaUsedAsEndEntity),
        ("UnknownIssuer", CertProblem::UnknownIssuer),
        ("NotValidForName", CertProblem::NotValidForName),
        ("not valid for name", CertProblem::NotValidForName),
        ("Expired", CertProblem::Expired),
        ("certificate expired", CertProblem::Expired),
        ("NotValidYet", CertProblem::NotValidYet),
        ("InvalidPurpose", CertProblem::InvalidPurpose),
        ("BadSignature", CertProblem::BadSignature),
    ]
    .into_iter()
    .find(|(needle, _)| s.contains(needle))
    .map(|(_, p)| p)
}

/// A TLS failure said as advice: what is wrong with the server's certificate and what
/// to configure, then the library's own words. `what` names the setting's table
/// ("mailbox", "outbox"), `host` the name connected to.
pub fn explain(
    err: &(dyn std::error::Error + 'static),
    what: &str,
    host: &str,
    ca_file: Option<&Path>,
) -> String {
    let raw = error_chain(err);
    let now = match ca_file {
        Some(p) => format!("[{what}] ca_file is now \"{}\"", p.display()),
        None => format!("[{what}] ca_file is not set, so only public CAs are trusted"),
    };
    let advice = match cert_problem(err) {
        None => return format!("TLS: {raw}"),
        Some(CertProblem::CaUsedAsEndEntity) => format!(
            "the server presents a CA certificate (basicConstraints CA:TRUE) as its own, which TLS refuses: give the server a leaf certificate (CA:FALSE) whose subjectAltName names {host}, signed by a CA, and set [{what}] ca_file to that CA's certificate ({now})"
        ),
        Some(CertProblem::UnknownIssuer) => format!(
            "the server's certificate for {host} is not signed by a CA this machine trusts: set [{what}] ca_file to the PEM certificate of the CA that signed it, or for a self-signed server certificate to that certificate itself ({now})"
        ),
        Some(CertProblem::NotValidForName) => format!(
            "the server's certificate does not name {host}: set [{what}] host to a name in the certificate's subjectAltName, or give the server a certificate whose subjectAltName includes {host}"
        ),
        Some(CertProblem::Expired) => format!(
            "the server's certificate for {host} has expired (or this machine's clock is wrong): renew the server's certificate"
        ),
        Some(CertProblem::NotValidYet) => format!(
            "the server's certificate for {host} is not valid yet: check this machine's clock and the server's, or the certificate's start date"
        ),
        Some(CertProblem::InvalidPurpose) => format!(
            "the server's certificate for {host} is not for a TLS server: give it one with extendedKeyUsage serverAuth"
        ),
        Some(CertProblem::BadSignature) => format!(
            "the server's certificate for {host} does not verify against its issuer: check that [{what}] ca_file holds the CA that really signed it, and that the server sends the right chain ({now})"
        ),
    };
    format!("TLS: {advice} ({raw})")
}

/// An error and its sources on one line.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::CertificateError as C;

    fn wrapped(e: C) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(e),
        )
    }

    #[test]
    fn certificate_errors_read_as_advice() {
        let ca = Some(Path::new("/etc/redress/ca.pem"));
        let m = explain(&wrapped(C::UnknownIssuer), "mailbox", "imap.example", ca);
        assert!(
            m.contains("not signed by a CA") && m.contains("[mailbox] ca_file"),
            "{m}"
        );
        assert!(
            m.contains("/etc/redress/ca.pem") && m.contains("UnknownIssuer"),
            "{m}"
        );
        let m = explain(&wrapped(C::NotValidForName), "outbox", "smtp.example", None);
        assert!(
            m.contains("does not name smtp.example") && m.contains("[outbox] host"),
            "{m}"
        );
        let m = explain(&wrapped(C::Expired), "mailbox", "h", None);
        assert!(m.contains("has expired") && m.contains("renew"), "{m}");
        let m = explain(&wrapped(C::InvalidPurpose), "mailbox", "h", None);
        assert!(m.contains("serverAuth"), "{m}");
        // Not a certificate problem: the library's words only.
        let e = std::io::Error::other("connection reset");
        assert_eq!(explain(&e, "mailbox", "h", None), "TLS: connection reset");
    }
}
