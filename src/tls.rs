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

/// How a server's TLS begins, for [`server_certificate_expiry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begins {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// IMAP's STARTTLS after the greeting.
    ImapStarttls,
    /// SMTP's STARTTLS after the greeting and EHLO.
    SmtpStarttls,
}

/// Connect to `host:port` as the daemon would (the same roots and `ca_file`), complete
/// the TLS handshake (after STARTTLS where asked), and return when the server's own
/// certificate expires. A certificate that does not verify is an error in words, as
/// [`explain`] gives it. Blocking, with 20-second timeouts: for `redress doctor`.
pub fn server_certificate_expiry(
    what: &str,
    host: &str,
    port: u16,
    begins: Begins,
    ca_file: Option<&Path>,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use std::io::{BufRead, BufReader, Write};
    let timeout = Some(std::time::Duration::from_secs(20));
    let mut tcp = std::net::TcpStream::connect((host, port))
        .map_err(|e| format!("cannot reach {host}:{port}: {e}"))?;
    tcp.set_read_timeout(timeout).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(timeout).map_err(|e| e.to_string())?;
    // Read lines until one for which `last` holds; its text.
    let read_until = |r: &mut BufReader<&std::net::TcpStream>, last: &dyn Fn(&str) -> bool| loop {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .map_err(|e| format!("{host}:{port}: {e}"))?;
        if n == 0 {
            return Err(format!("{host}:{port} closed the connection"));
        }
        if last(&line) {
            return Ok(line);
        }
    };
    match begins {
        Begins::Implicit => {}
        Begins::ImapStarttls => {
            let mut r = BufReader::new(&tcp);
            read_until(&mut r, &|l| l.starts_with("* "))?;
            (&tcp)
                .write_all(b"d1 STARTTLS\r\n")
                .map_err(|e| e.to_string())?;
            let answer = read_until(&mut r, &|l| l.starts_with("d1 "))?;
            if !answer.to_ascii_uppercase().starts_with("D1 OK") {
                return Err(format!("{host}:{port} refused STARTTLS: {}", answer.trim()));
            }
        }
        Begins::SmtpStarttls => {
            let mut r = BufReader::new(&tcp);
            read_until(&mut r, &|l| l.len() >= 4 && &l[3..4] == " ")?;
            (&tcp)
                .write_all(b"EHLO redress-doctor\r\n")
                .map_err(|e| e.to_string())?;
            read_until(&mut r, &|l| l.len() >= 4 && &l[3..4] == " ")?;
            (&tcp)
                .write_all(b"STARTTLS\r\n")
                .map_err(|e| e.to_string())?;
            let answer = read_until(&mut r, &|l| l.len() >= 4 && &l[3..4] == " ")?;
            if !answer.starts_with("220") {
                return Err(format!("{host}:{port} refused STARTTLS: {}", answer.trim()));
            }
        }
    }
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("bad host name {host}: {e}"))?;
    let mut conn =
        rustls::ClientConnection::new(client_config(ca_file)?, name).map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| explain(&e, what, host, ca_file))?;
    }
    let der = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| format!("{host}:{port} sent no certificate"))?;
    not_after(der).ok_or_else(|| format!("{host}:{port}: cannot read the certificate's expiry"))
}

/// The `notAfter` of a DER X.509 certificate (Certificate → TBSCertificate →
/// validity), read with just enough DER to get there.
pub fn not_after(der: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    // One TLV: (tag, contents, the bytes after it).
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, b) = b.split_first()?;
        let (&first, mut b) = b.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || b.len() < n {
                return None;
            }
            let len = b[..n].iter().fold(0usize, |a, x| (a << 8) | *x as usize);
            b = &b[n..];
            len
        };
        (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
    }
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // the explicit version
    }
    for _ in 0..3 {
        rest = tlv(rest)?.2; // serial number, signature algorithm, issuer
    }
    let (0x30, validity, _) = tlv(rest)? else {
        return None;
    };
    let (_, _, after) = tlv(validity)?;
    let (tag, time, _) = tlv(after)?;
    let text = std::str::from_utf8(time).ok()?;
    let full = match tag {
        // UTCTime: YYMMDDHHMMSSZ, years 1950-2049.
        0x17 if text.len() == 13 => {
            let yy: u32 = text[..2].parse().ok()?;
            format!("{}{text}", if yy < 50 { "20" } else { "19" })
        }
        0x18 if text.len() == 15 => text.to_string(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}
