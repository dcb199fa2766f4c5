//! Test harness: a throwaway Dovecot (IMAP plain, STARTTLS and implicit TLS) on free
//! loopback ports, per the recipe in shared/TESTING.md.
//!
#![allow(dead_code)]

pub use crate::ports::free_port;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The certificate the test server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCert {
    /// Self-signed, CA:FALSE, for localhost and 127.0.0.1: trusted with `ca_file` = it.
    Leaf,
    /// Self-signed with CA:TRUE: a CA certificate used as the server's own, which
    /// rustls refuses (CaUsedAsEndEntity) even when `ca_file` names it.
    SelfSignedCa,
    /// Like `Leaf`, but for imap.elsewhere.example only: not valid for localhost.
    OtherHost,
}

/// Write a self-signed certificate for localhost and 127.0.0.1 of the kind `cert`
/// into `dir` (cert.pem, key.pem); returns their paths.
pub fn make_cert(dir: &Path, cert: ServerCert) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            if cert == ServerCert::OtherHost {
                "/CN=imap.elsewhere.example"
            } else {
                "/CN=localhost"
            },
        ])
        .args([
            "-addext",
            if cert == ServerCert::OtherHost {
                "subjectAltName=DNS:imap.elsewhere.example"
            } else {
                "subjectAltName=DNS:localhost,IP:127.0.0.1"
            },
        ])
        // Not a CA: rustls refuses a CA certificate used as the server's own.
        .args(match cert {
            ServerCert::Leaf | ServerCert::OtherHost => {
                ["-addext", "basicConstraints=critical,CA:FALSE"]
            }
            ServerCert::SelfSignedCa => ["-addext", "basicConstraints=critical,CA:TRUE"],
        })
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key_pem)
        .arg("-out")
        .arg(&cert_pem)
        .output()
        .expect("openssl")
        .status
        .success();
    assert!(ok, "openssl could not make a test certificate");
    (cert_pem, key_pem)
}

pub struct Dovecot {
    dir: PathBuf,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub user: String,
}

impl Dovecot {
    /// Start a Dovecot whose state lives under `base`/dovecot.
    pub fn start(base: &Path) -> Dovecot {
        Dovecot::start_with(base, ServerCert::Leaf)
    }

    /// [`Dovecot::start`] presenting the certificate `cert`.
    pub fn start_with(base: &Path, cert: ServerCert) -> Dovecot {
        Dovecot::start_inner(base, cert, None)
    }

    /// [`Dovecot::start`] logging in by OAuth2 bearer tokens only: an `oauth2` passdb
    /// asking `introspection_url` (RFC 7662, POST) whether a token is live, for the SASL
    /// `mechanisms` given ("xoauth2 oauthbearer", or one of them).
    pub fn start_oauth2(base: &Path, introspection_url: &str, mechanisms: &str) -> Dovecot {
        Dovecot::start_inner(
            base,
            ServerCert::Leaf,
            Some((introspection_url, mechanisms)),
        )
    }

    fn start_inner(base: &Path, cert: ServerCert, oauth2: Option<(&str, &str)>) -> Dovecot {
        let dir = base.join("dovecot");
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        make_cert(&dir, cert);
        let d = dir.display();
        let (mechanisms, passdb) = match oauth2 {
            None => (
                "plain login".to_string(),
                "passdb {\n  driver = static\n  args = password=secret\n}\n".to_string(),
            ),
            Some((url, mechs)) => {
                std::fs::write(
                    dir.join("dovecot-oauth2.conf.ext"),
                    format!(
                        "introspection_mode = post\nintrospection_url = {url}\n\
                         username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                    ),
                )
                .unwrap();
                (
                    mechs.to_string(),
                    format!(
                        "passdb {{\n  driver = oauth2\n  mechanisms = {mechs}\n  args = {d}/dovecot-oauth2.conf.ext\n}}\n"
                    ),
                )
            }
        };
        let conf = |imap_port: u16, imaps_port: u16| {
            format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n\
             ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\ndisable_plaintext_auth = no\nauth_mechanisms = {mechanisms}\n\
             mail_location = maildir:{d}/mail/%u\ndefault_internal_user = dovecot\ndefault_login_user = dovenull\n\
             default_internal_group = dovecot\nfirst_valid_uid = 1\n\
             {passdb}\
             userdb {{\n  driver = static\n  args = uid=dovecot gid=dovecot home={d}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n\
               inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n  }}\n  chroot =\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        )
        };
        let mut dc = Dovecot {
            dir: dir.clone(),
            imap_port: 0,
            imaps_port: 0,
            user: "complaints".into(),
        };
        std::fs::create_dir_all(dc.maildir().join("new")).unwrap();
        std::fs::create_dir_all(dc.maildir().join("cur")).unwrap();
        std::fs::create_dir_all(dc.maildir().join("tmp")).unwrap();
        // imap runs as dovecot: it must own the mail and reach it.
        let mut p = dir.clone();
        loop {
            let _ = Command::new("chmod").arg("755").arg(&p).status();
            if p == base || !p.pop() {
                break;
            }
        }
        let _ = Command::new("chmod").arg("755").arg(base).status();
        dc.chown();
        // A port free a moment ago may be taken by something outside this process by
        // the time Dovecot binds it: then it is tried again on two others.
        let log = dir.join("dovecot.log");
        for attempt in 1.. {
            (dc.imap_port, dc.imaps_port) = (free_port(), free_port());
            let _ = std::fs::remove_file(&log);
            std::fs::write(dir.join("dovecot.conf"), conf(dc.imap_port, dc.imaps_port)).unwrap();
            let ok = Command::new("dovecot")
                .arg("-c")
                .arg(dir.join("dovecot.conf"))
                .status()
                .expect("dovecot (apt-get install -y dovecot-imapd)")
                .success();
            if ok {
                break;
            }
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                attempt < 3 && said.contains("Address already in use"),
                "dovecot did not start (attempt {attempt}); {} says:\n{said}",
                log.display()
            );
        }
        let (imap_port, imaps_port) = (dc.imap_port, dc.imaps_port);
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in [imap_port, imaps_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "dovecot not listening on {port}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        dc
    }

    fn maildir(&self) -> PathBuf {
        self.dir.join("mail").join(&self.user)
    }

    fn chown(&self) {
        let _ = Command::new("chown")
            .arg("-R")
            .arg("dovecot:dovecot")
            .arg(self.dir.join("mail"))
            .status();
    }

    /// The server's certificate (CN and SAN localhost), for `ca_file`.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// Put a message straight into the user's INBOX (new/).
    pub fn deliver(&self, name: &str, raw: &[u8]) {
        let tmp = self.maildir().join("tmp").join(name);
        std::fs::write(&tmp, raw).unwrap();
        std::fs::rename(&tmp, self.maildir().join("new").join(name)).unwrap();
        self.chown();
    }

    /// Whether each message (in file-name order) carries \Seen.
    pub fn seen_flags(&self) -> Vec<bool> {
        let mut files: Vec<(String, bool)> = Vec::new();
        for sub in ["new", "cur"] {
            for e in std::fs::read_dir(self.maildir().join(sub)).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                let seen = name
                    .rsplit_once(":2,")
                    .map(|(_, flags)| flags.contains('S'))
                    .unwrap_or(false);
                files.push((name, seen));
            }
        }
        files.sort();
        files.into_iter().map(|(_, s)| s).collect()
    }
}

impl Dovecot {
    /// Stop the server abruptly: its processes, the IMAP sessions among them, are
    /// killed, so every client connection drops at once (a plain stop lets sessions
    /// linger for a few seconds).
    pub fn stop(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("run").join("master.pid")) {
            let out = Command::new("pgrep")
                .args(["-P", pid.trim()])
                .output()
                .unwrap();
            for child in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-KILL", child]).status();
            }
        }
        self.kill();
    }

    /// Start it again on the same ports, with the same mail.
    pub fn start_again(&self) {
        // Not .output(): a restarted master can keep the inherited pipes open for ever.
        let status = Command::new("dovecot")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "dovecot did not start again; see {}",
            self.dir.join("dovecot.log").display()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.imap_port)).is_err()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Dovecot {
    fn kill(&self) {
        let pidfile = self.dir.join("run").join("master.pid");
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            let pid = pid.trim().to_string();
            let _ = Command::new("kill").arg(&pid).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Dovecot {
    /// Create the user's folder `name` (Maildir++ `.name`), returning its path.
    pub fn create_folder(&self, name: &str) -> PathBuf {
        let p = self.maildir().join(format!(".{name}"));
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(p.join(sub)).unwrap();
        }
        self.chown();
        p
    }
}
