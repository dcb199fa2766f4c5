//! Signed JWT assertions (RFC 7523) for OAuth2 clients that prove who they are with a
//! private key instead of a secret: a Microsoft Entra ID app with a certificate
//! (`private_key_file` + `certificate_file`: a client assertion) and a Google service
//! account (`service_account_file`: an authorization grant for the impersonated user).
//!
//! Keys are read and checked when the config is loaded, so a bad file stops `redress
//! check` and start-up with one line naming the file; no error ever holds key bytes.
//! Signed by ring, the crypto rustls already uses here: PS256 for Entra ID (what
//! Microsoft documents now; RS256 only in its older pages), RS256 for Google (all it
//! takes).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RsaEncoding, RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

/// An Entra ID assertion lives this long (Microsoft's own libraries use 10 minutes).
const ENTRA_LIFETIME_S: i64 = 600;
/// Google's assertions may live at most an hour.
const GOOGLE_LIFETIME_S: i64 = 3600;

/// A private key and what names it to the provider. Cloned cheaply (the key is shared).
#[derive(Clone)]
pub enum Signer {
    /// Entra ID: the certificate's thumbprints (SHA-1 `x5t`, SHA-256 `x5t#S256`).
    Certificate {
        key: Arc<RsaKeyPair>,
        x5t: String,
        x5t_s256: String,
    },
    /// Google: the service account's key file.
    ServiceAccount {
        key: Arc<RsaKeyPair>,
        client_email: String,
        private_key_id: String,
        token_uri: String,
    },
}

impl std::fmt::Debug for Signer {
    /// Names, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Certificate { x5t, .. } => write!(f, "Certificate {{ x5t: {x5t} }}"),
            Signer::ServiceAccount { client_email, .. } => {
                write!(f, "ServiceAccount {{ client_email: {client_email} }}")
            }
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What went wrong reading PEM, in words that never quote the file.
fn pem_problem(e: pem::Error, wanted: &str) -> String {
    match e {
        pem::Error::Io(e) => e.to_string(),
        pem::Error::NoItemsFound => format!("no {wanted} in it"),
        pem::Error::SectionTooLarge => "a PEM section is too large".into(),
        _ => "it is not valid PEM".into(),
    }
}

/// An RSA private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA
/// PRIVATE KEY`).
fn rsa_key(pem: Result<PrivateKeyDer<'static>, pem::Error>) -> Result<RsaKeyPair, String> {
    let wanted = "PEM private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)";
    let der = pem.map_err(|e| pem_problem(e, wanted))?;
    let key = match &der {
        PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(_) => return Err("it is an EC key; an RSA key is needed".into()),
        _ => return Err("it is not an RSA private key".into()),
    };
    key.map_err(|e| format!("not a usable RSA private key ({e})"))
}

/// Entra ID certificate credentials: the key that signs, and the certificate uploaded to
/// the app registration (which must hold that key's public half).
pub fn load_certificate(key_file: &Path, cert_file: &Path) -> Result<Signer, String> {
    let key = rsa_key(PrivateKeyDer::from_pem_file(key_file))
        .map_err(|m| format!("private_key_file {}: {m}", key_file.display()))?;
    let cert = CertificateDer::from_pem_file(cert_file).map_err(|e| {
        format!(
            "certificate_file {}: {}",
            cert_file.display(),
            pem_problem(e, "PEM certificate (BEGIN CERTIFICATE)")
        )
    })?;
    // The certificate's subjectPublicKeyInfo holds the RSAPublicKey DER ring gives for
    // the key: if it is not in there, the two do not belong together.
    let public = key.public().as_ref();
    if !cert.as_ref().windows(public.len()).any(|w| w == public) {
        return Err(format!(
            "certificate_file {} is not the certificate of private_key_file {}",
            cert_file.display(),
            key_file.display()
        ));
    }
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.as_ref());
    let sha256 = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    Ok(Signer::Certificate {
        key: Arc::new(key),
        x5t: b64(sha1.as_ref()),
        x5t_s256: b64(sha256.as_ref()),
    })
}

/// A Google service account's JSON key file, as the Cloud console downloads it.
pub fn load_service_account(file: &Path) -> Result<Signer, String> {
    let bad = |m: String| format!("service_account_file {}: {m}", file.display());
    let text = std::fs::read_to_string(file).map_err(|e| bad(e.to_string()))?;
    // serde_json's errors say where, never what: no key bytes in them.
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not a JSON key file ({e})")))?;
    let field = |name: &str| -> Result<String, String> {
        match v.get(name).and_then(|x| x.as_str()) {
            Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
            _ => Err(bad(format!("has no \"{name}\""))),
        }
    };
    if let Some(t) = v.get("type").and_then(|t| t.as_str()) {
        if t != "service_account" {
            return Err(bad(format!(
                "is a \"{t}\" key, not a \"service_account\" one"
            )));
        }
    }
    let pem = field("private_key")?;
    let key = rsa_key(PrivateKeyDer::from_pem_slice(pem.as_bytes()))
        .map_err(|m| bad(format!("private_key: {m}")))?;
    Ok(Signer::ServiceAccount {
        key: Arc::new(key),
        client_email: field("client_email")?,
        private_key_id: field("private_key_id")?,
        token_uri: field("token_uri")?,
    })
}

/// How an assertion is signed: its header's `alg`, and ring's padding for it.
#[derive(Clone, Copy)]
enum Alg {
    /// RSASSA-PSS with SHA-256 (Entra ID, as documented now).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Google).
    Rs256,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Ps256 => "PS256",
            Alg::Rs256 => "RS256",
        }
    }

    fn padding(self) -> &'static dyn RsaEncoding {
        match self {
            Alg::Ps256 => &RSA_PSS_SHA256,
            Alg::Rs256 => &RSA_PKCS1_SHA256,
        }
    }
}

/// `header.claims.signature`, the header with `alg` and `typ` added.
fn sign(
    key: &RsaKeyPair,
    alg: Alg,
    mut header: serde_json::Value,
    claims: serde_json::Value,
) -> Result<String, String> {
    header["alg"] = json!(alg.name());
    header["typ"] = json!("JWT");
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        alg.padding(),
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| "signing the assertion failed".to_string())?;
    Ok(format!("{input}.{}", b64(&sig)))
}

/// A random `jti`, laid out like a UUID.
fn jti() -> Result<String, String> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| "no random numbers for the assertion".to_string())?;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// The Entra ID client assertion for `client_id` at token endpoint `aud`, made at
/// `now` (Unix seconds).
pub fn client_assertion(
    x5t: &str,
    x5t_s256: &str,
    key: &RsaKeyPair,
    client_id: &str,
    aud: &str,
    now: i64,
) -> Result<String, String> {
    sign(
        key,
        Alg::Ps256,
        json!({"x5t": x5t, "x5t#S256": x5t_s256}),
        json!({
            "aud": aud,
            "iss": client_id,
            "sub": client_id,
            "jti": jti()?,
            "nbf": now,
            "iat": now,
            "exp": now + ENTRA_LIFETIME_S,
        }),
    )
}

/// The Google authorization grant: the service account `iss` acting for `sub` with
/// `scope`, at token endpoint `aud`, made at `now` (Unix seconds).
pub fn grant_assertion(
    key: &RsaKeyPair,
    private_key_id: &str,
    client_email: &str,
    sub: &str,
    scope: &str,
    aud: &str,
    now: i64,
) -> Result<String, String> {
    sign(
        key,
        Alg::Rs256,
        json!({"kid": private_key_id}),
        json!({
            "iss": client_email,
            "sub": sub,
            "scope": scope,
            "aud": aud,
            "iat": now,
            "exp": now + GOOGLE_LIFETIME_S,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A fresh RSA key and its self-signed certificate, by openssl, in `dir`.
    fn keypair(dir: &Path, name: &str, pkcs1: bool) -> (std::path::PathBuf, std::path::PathBuf) {
        let (k, c) = (
            dir.join(format!("{name}.key")),
            dir.join(format!("{name}.crt")),
        );
        let ok = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
            .arg(&k)
            .arg("-out")
            .arg(&c)
            .args(["-subj", "/CN=redress-test", "-days", "2"])
            .output()
            .expect("openssl")
            .status
            .success();
        assert!(ok);
        if pkcs1 {
            let ok = Command::new("openssl")
                .args(["rsa", "-traditional", "-in"])
                .arg(&k)
                .arg("-out")
                .arg(&k)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok);
            assert!(std::fs::read_to_string(&k)
                .unwrap()
                .contains("BEGIN RSA PRIVATE KEY"));
        }
        (k, c)
    }

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let p = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    /// The certificate's SHA-1 and SHA-256 thumbprints, by openssl.
    fn thumbprint(cert: &Path, alg: &str) -> String {
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", alg, "-in"])
            .arg(cert)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let hex: String = text.split('=').nth(1).unwrap().trim().replace(':', "");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        b64(&bytes)
    }

    /// The signature verifies with the certificate's public key (openssl dgst).
    /// Whether openssl finds `jwt` signed by `cert`'s key, PS256 (`pss`) or RS256.
    fn verifies(jwt: &str, cert: &Path, dir: &Path, pss: bool) -> bool {
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        std::fs::write(dir.join("input"), input).unwrap();
        std::fs::write(dir.join("sig"), URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
        let pubkey = Command::new("openssl")
            .args(["x509", "-pubkey", "-noout", "-in"])
            .arg(cert)
            .output()
            .unwrap()
            .stdout;
        std::fs::write(dir.join("pub.pem"), pubkey).unwrap();
        let pss_args: &[&str] = if pss {
            &[
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
            ]
        } else {
            &[]
        };
        Command::new("openssl")
            .args(["dgst", "-sha256"])
            .args(pss_args)
            .arg("-verify")
            .arg(dir.join("pub.pem"))
            .arg("-signature")
            .arg(dir.join("sig"))
            .arg(dir.join("input"))
            .output()
            .unwrap()
            .status
            .success()
    }

    #[test]
    fn an_entra_client_assertion_has_the_documented_header_and_claims() {
        let dir = tempfile::tempdir().unwrap();
        for pkcs1 in [false, true] {
            let (k, c) = keypair(dir.path(), "app", pkcs1);
            let Signer::Certificate { key, x5t, x5t_s256 } = load_certificate(&k, &c).unwrap()
            else {
                panic!()
            };
            assert_eq!(x5t, thumbprint(&c, "-sha1"));
            assert_eq!(x5t_s256, thumbprint(&c, "-sha256"));
            let aud = "https://login.microsoftonline.com/t/oauth2/v2.0/token";
            let jwt =
                client_assertion(&x5t, &x5t_s256, &key, "app-id", aud, 1_700_000_000).unwrap();
            assert_eq!(jwt.split('.').count(), 3);
            assert_eq!(
                part(&jwt, 0),
                json!({"alg": "PS256", "typ": "JWT", "x5t": x5t, "x5t#S256": x5t_s256})
            );
            let claims = part(&jwt, 1);
            let jti = claims["jti"].as_str().unwrap().to_string();
            assert_eq!(jti.len(), 36);
            assert_eq!(
                claims,
                json!({"aud": aud, "iss": "app-id", "sub": "app-id", "jti": jti,
                       "nbf": 1_700_000_000, "iat": 1_700_000_000, "exp": 1_700_000_600})
            );
            assert!(
                verifies(&jwt, &c, dir.path(), true),
                "PS256 by the cert's key"
            );
            assert!(!verifies(&jwt, &c, dir.path(), false), "not RS256");
            let again = client_assertion(&x5t, &x5t_s256, &key, "app-id", aud, 1).unwrap();
            assert_ne!(part(&again, 1)["jti"], claims["jti"], "a new jti each time");
        }
    }

    #[test]
    fn a_google_grant_assertion_has_the_documented_header_and_claims() {
        let dir = tempfile::tempdir().unwrap();
        let (k, c) = keypair(dir.path(), "sa", false);
        let json = json!({
            "type": "service_account",
            "client_email": "redress@council.iam.gserviceaccount.com",
            "private_key_id": "abc123",
            "private_key": std::fs::read_to_string(&k).unwrap(),
            "token_uri": "https://oauth2.googleapis.com/token",
        });
        std::fs::write(dir.path().join("sa.json"), json.to_string()).unwrap();
        let Signer::ServiceAccount {
            key,
            client_email,
            private_key_id,
            token_uri,
        } = load_service_account(&dir.path().join("sa.json")).unwrap()
        else {
            panic!()
        };
        assert_eq!(token_uri, "https://oauth2.googleapis.com/token");
        let jwt = grant_assertion(
            &key,
            &private_key_id,
            &client_email,
            "complaints@council.gov.uk",
            "https://mail.google.com/",
            &token_uri,
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(
            part(&jwt, 0),
            json!({"alg": "RS256", "typ": "JWT", "kid": "abc123"})
        );
        assert_eq!(
            part(&jwt, 1),
            json!({"iss": "redress@council.iam.gserviceaccount.com",
                   "sub": "complaints@council.gov.uk", "scope": "https://mail.google.com/",
                   "aud": "https://oauth2.googleapis.com/token",
                   "iat": 1_700_000_000, "exp": 1_700_003_600})
        );
        assert!(verifies(&jwt, &c, dir.path(), false));
    }

    #[test]
    fn bad_key_files_are_one_line_naming_the_file_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let (k, c) = keypair(dir.path(), "a", false);
        let (k2, _) = keypair(dir.path(), "b", false);
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a key at all\n").unwrap();
        let ec = dir.path().join("ec.pem");
        let ok = Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(&ec)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok);
        let missing = dir.path().join("missing.pem");
        let secret = std::fs::read_to_string(&k).unwrap();
        let body_line = secret.lines().nth(1).unwrap().to_string();
        for (key, cert, want) in [
            (
                &missing,
                &c,
                format!("private_key_file {}: No such file", missing.display()),
            ),
            (
                &garbage,
                &c,
                format!("private_key_file {}: no PEM private key", garbage.display()),
            ),
            (
                &ec,
                &c,
                format!("private_key_file {}: it is an EC key", ec.display()),
            ),
            (
                &k,
                &garbage,
                format!("certificate_file {}: no PEM certificate", garbage.display()),
            ),
            (
                &k,
                &k,
                format!("certificate_file {}: no PEM certificate", k.display()),
            ),
            (
                &k2,
                &c,
                format!(
                    "certificate_file {} is not the certificate of private_key_file",
                    c.display()
                ),
            ),
        ] {
            let e = load_certificate(key, cert).unwrap_err();
            assert!(e.starts_with(&want), "{e}");
            assert_eq!(e.lines().count(), 1);
            assert!(!e.contains(&body_line), "no key bytes: {e}");
        }
        let sa = dir.path().join("sa.json");
        for (text, want) in [
            ("{not json".to_string(), "not a JSON key file"),
            (json!({"type": "authorized_user"}).to_string(), "is a \"authorized_user\" key"),
            (json!({"client_email": "x"}).to_string(), "has no \"private_key\""),
            (
                json!({"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                       "client_email": "x", "private_key_id": "i", "token_uri": "u"})
                .to_string(),
                "private_key: not a usable RSA private key",
            ),
            (
                json!({"private_key": secret, "private_key_id": "i", "token_uri": "u"}).to_string(),
                "has no \"client_email\"",
            ),
        ] {
            std::fs::write(&sa, &text).unwrap();
            let e = load_service_account(&sa).unwrap_err();
            assert!(
                e.starts_with(&format!("service_account_file {}: ", sa.display())) && e.contains(want),
                "{e}"
            );
            assert!(!e.contains(&body_line), "no key bytes: {e}");
        }
    }
}
