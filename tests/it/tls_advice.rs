//! A TLS failure reads as advice: what is wrong with the server's certificate and what
//! to configure. A real Dovecot (tests/support) presents the certificate; the real
//! binary connects by IMAP (implicit TLS and STARTTLS) and by SMTP (aiosmtpd).

use crate::bin;
use crate::letters_support;
use crate::support;

use std::path::{Path, PathBuf};
use support::{make_cert, Dovecot, ServerCert};

fn write_config(dir: &Path, dc: &Dovecot, tls: &str, ca_file: Option<&Path>) -> PathBuf {
    let port = match tls {
        "implicit" => dc.imaps_port,
        _ => dc.imap_port,
    };
    std::fs::write(dir.join("imap-password"), "secret\n").unwrap();
    let ca = ca_file
        .map(|p| format!("ca_file = \"{}\"\n", p.display()))
        .unwrap_or_default();
    let cfg = format!(
        "policy = \"bath-and-north-east-somerset\"\n[council]\nname = \"Bath & NES\"\nemail = \"complaints@example.gov.uk\"\nreference_prefix = \"BNES\"\n\
         [mailbox]\nkind = \"imap\"\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\n{ca}user = \"{}\"\npassword_file = \"imap-password\"\n",
        dc.user
    );
    let p = dir.join("redress.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

/// `redress poll`: its exit code and the error line (the last line on stderr).
fn poll(dir: &Path) -> (i32, String) {
    let out = bin::redress()
        .args(["--config", "redress.toml", "poll"])
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default().to_string();
    (out.status.code().unwrap_or(-1), last)
}

#[test]
fn a_ca_certificate_used_as_the_server_certificate_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start_with(tmp.path(), ServerCert::SelfSignedCa);
    for tls in ["implicit", "starttls"] {
        write_config(tmp.path(), &dc, tls, Some(&dc.cert()));
        let (code, line) = poll(tmp.path());
        assert_ne!(code, 0, "{tls}: {line}");
        for needle in [
            "CA certificate (basicConstraints CA:TRUE)",
            "leaf certificate (CA:FALSE) whose subjectAltName names localhost",
            "set [mailbox] ca_file to that CA's certificate",
            &format!("ca_file is now \"{}\"", dc.cert().display()),
            "CaUsedAsEndEntity",
            "localhost:",
        ] {
            assert!(line.contains(needle), "{tls}: '{needle}' missing: {line}");
        }
    }
}

#[test]
fn a_server_certificate_from_an_unknown_issuer_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(tmp.path());
    write_config(tmp.path(), &dc, "implicit", None);
    let (code, line) = poll(tmp.path());
    assert_ne!(code, 0, "{line}");
    for needle in [
        "not signed by a CA this machine trusts",
        "set [mailbox] ca_file to the PEM certificate of the CA that signed it",
        "ca_file is not set, so only public CAs are trusted",
        "UnknownIssuer",
    ] {
        assert!(line.contains(needle), "'{needle}' missing: {line}");
    }
    // With the right ca_file the same server is fine.
    write_config(tmp.path(), &dc, "implicit", Some(&dc.cert()));
    let (code, line) = poll(tmp.path());
    assert_eq!(code, 0, "{line}");
}

#[test]
fn a_server_certificate_for_another_name_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start_with(tmp.path(), ServerCert::OtherHost);
    write_config(tmp.path(), &dc, "starttls", Some(&dc.cert()));
    let (code, line) = poll(tmp.path());
    assert_ne!(code, 0, "{line}");
    for needle in [
        "the server's certificate does not name localhost",
        "set [mailbox] host to a name in the certificate's subjectAltName",
        "imap.elsewhere.example",
    ] {
        assert!(line.contains(needle), "'{needle}' missing: {line}");
    }
}

/// One acknowledgement sent by SMTP over implicit TLS to an aiosmtpd presenting `cert`,
/// trusting `ca_file`: the exit code of `send` and the letter's last error.
fn smtp_send(cert: ServerCert, trust_it: bool) -> (i32, String, usize) {
    use letters_support::*;
    let tmp = tempfile::tempdir().unwrap();
    let (pem, key) = make_cert(&tmp.path().join("tls"), cert);
    let port = free_port();
    let sink = Sink::start_with(port, &tmp.path().join("sink"), &[], Some((&pem, &key)));
    let ca = if trust_it {
        format!("ca_file = \"{}\"\n", pem.display())
    } else {
        String::new()
    };
    let outbox =
        format!("kind = \"smtp\"\nhost = \"localhost\"\nport = {port}\ntls = \"implicit\"\n{ca}");
    let mut w = world(write_config(tmp.path(), &outbox, ""));
    let case = w.complaint("jo@example.net", None, "2026-12-21T10:00:00Z");
    let id = w.request(
        &case,
        "acknowledgement",
        serde_json::json!({}),
        true,
        None,
        None,
        "2026-12-21T10:00:01Z",
    );
    let r = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T10:01:00Z",
            "send",
        ],
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let err = w.store.letter(id).unwrap().last_error.unwrap_or_default();
    (r.code, err, sink.messages().len())
}

#[test]
fn smtp_tls_errors_are_explained_too() {
    let (code, err, got) = smtp_send(ServerCert::SelfSignedCa, true);
    assert_eq!((code, got), (3, 0), "{err}");
    for needle in [
        "CA certificate (basicConstraints CA:TRUE)",
        "leaf certificate (CA:FALSE) whose subjectAltName names localhost",
        "set [outbox] ca_file to that CA's certificate",
        "CaUsedAsEndEntity",
    ] {
        assert!(err.contains(needle), "'{needle}' missing: {err}");
    }
    let (code, err, got) = smtp_send(ServerCert::Leaf, false);
    assert_eq!((code, got), (3, 0), "{err}");
    for needle in [
        "not signed by a CA this machine trusts",
        "set [outbox] ca_file to the PEM certificate",
        "[outbox] ca_file is not set",
        "UnknownIssuer",
    ] {
        assert!(err.contains(needle), "'{needle}' missing: {err}");
    }
    // Trusted, the same kind of server takes the letter.
    let (code, err, got) = smtp_send(ServerCert::Leaf, true);
    assert_eq!((code, got), (0, 1), "{err}");
}
