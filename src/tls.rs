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
