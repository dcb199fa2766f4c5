//! Microsoft 365 / Google Workspace style login, end to end on loopback: a token
//! server (tests/support/oauth_server.py: client-credentials grant and RFC 7662
//! introspection), Dovecot with an `oauth2` passdb asking it about each token, and an
//! SMTP server (tests/support/smtp_oauth_sink.py) accepting only AUTH XOAUTH2. Redress
//! fetches its tokens by client credentials, logs in to both with them, renews them
//! when they expire, and says clearly when the client has been revoked.

use crate::bin;
use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::Dovecot;

const CLIENT_ID: &str = "redress-app";
const CLIENT_SECRET: &str = "s3cret-client-value";
const SECRET_ENV: &str = "REDRESS_TEST_SMTP_CLIENT_SECRET";

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

use crate::ports::free_port;

fn support_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// Start a helper script and wait for its "ready".
fn start_script(cmd: &mut Command, what: &str) -> KillOnDrop {
    let mut child = KillOnDrop(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("/usr/bin/python3"),
    );
    let mut ready = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready", "{what} did not start");
    child
}

/// How Redress proves who it is to the token server.
#[derive(Clone, Copy, PartialEq)]
enum Creds {
    /// A client secret (file for the mailbox, environment variable for the outbox).
    Secret,
    /// An Entra ID certificate: a client assertion signed by its key, to an https token
    /// endpoint trusted by `ca_file`.
    Certificate,
    /// A certificate and key that are not the one registered with the token server.
    UnregisteredCertificate,
    /// A Google service account's JSON key, acting for the mailbox user.
    ServiceAccount,
}

const SA_EMAIL: &str = "redress@council-project.iam.gserviceaccount.com";
const SA_KID: &str = "4f1c0de5a11ce0b0e";

/// An RSA key and its self-signed certificate (PEM), made by openssl now.
fn rsa_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (key, cert) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    );
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", "/CN=redress-test", "-days", "2"])
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (key, cert)
}

/// The three servers, and the folder the test works in.
/// Fields drop in order: the servers stop before their folder is removed (Dovecot is
/// stopped by the pid file in it).
struct Servers {
    dc: Dovecot,
    _token: KillOnDrop,
    _smtp: KillOnDrop,
    /// The token server's state: issued / introspected counts, the revoked switch.
    state: PathBuf,
    token_port: u16,
    /// The token server's https port (certificate credentials), its CA in token-tls/.
    tls_port: u16,
    smtp_port: u16,
    creds: Creds,
    dir: tempfile::TempDir,
}

impl Servers {
    /// Tokens live `expires_in` seconds; Dovecot offers the SASL `mechanisms` given.
    fn start(expires_in: u64, mechanisms: &str) -> Servers {
        Servers::start_with(expires_in, mechanisms, Creds::Secret)
    }

    /// As [`Servers::start`], Redress signing in to the token server by `creds`. The
    /// token server knows the app's certificate (app.crt) and the service account's
    /// (sa.crt), and serves https too, with a certificate of its own (token-tls/).
    fn start_with(expires_in: u64, mechanisms: &str, creds: Creds) -> Servers {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("oauth-state");
        std::fs::create_dir_all(&state).unwrap();
        let token_port = free_port();
        let tls_port = free_port();
        let (_, app_cert) = rsa_cert(dir.path(), "app");
        let (sa_key, sa_cert) = rsa_cert(dir.path(), "sa");
        rsa_cert(dir.path(), "unregistered");
        let (tls_cert, tls_key) =
            support::make_cert(&dir.path().join("token-tls"), support::ServerCert::Leaf);
        // The JSON key Google's console gives for a service account.
        let sa = serde_json::json!({
            "type": "service_account",
            "project_id": "council-project",
            "private_key_id": SA_KID,
            "private_key": std::fs::read_to_string(&sa_key).unwrap(),
            "client_email": SA_EMAIL,
            "client_id": "104",
            "token_uri": format!("http://127.0.0.1:{token_port}/token"),
        });
        std::fs::write(dir.path().join("sa.json"), sa.to_string()).unwrap();
        let opt = |name: &str, v: &Path| format!("{name}={}", v.display());
        let token = start_script(
            Command::new("/usr/bin/python3")
                .arg(support_script("oauth_server.py"))
                .arg(token_port.to_string())
                .arg(&state)
                .args([CLIENT_ID, CLIENT_SECRET, "complaints"])
                .arg(expires_in.to_string())
                .arg(opt("cert", &app_cert))
                .arg(opt("sa_cert", &sa_cert))
                .arg(format!("sa_email={SA_EMAIL}"))
                .arg(format!("sa_kid={SA_KID}"))
                .arg(format!("tls_port={tls_port}"))
                .arg(opt("tls_cert", &tls_cert))
                .arg(opt("tls_key", &tls_key)),
            "token server",
        );
        let introspect = format!("http://127.0.0.1:{token_port}/introspect");
        let dc = Dovecot::start_oauth2(dir.path(), &introspect, mechanisms);
        let smtp_port = free_port();
        let smtp = start_script(
            Command::new("/usr/bin/python3")
                .arg(support_script("smtp_oauth_sink.py"))
                .arg(smtp_port.to_string())
                .arg(dir.path().join("sent"))
                .arg(dc.cert())
                .arg(dc.cert().with_file_name("key.pem"))
                .arg(&introspect)
                .arg("complaints"),
            "XOAUTH2 SMTP sink",
        );
        let s = Servers {
            dir,
            dc,
            state,
            token_port,
            tls_port,
            smtp_port,
            creds,
            _token: token,
            _smtp: smtp,
        };
        s.write_config();
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// IMAP over implicit TLS and SMTP with STARTTLS, both by OAuth2: the mailbox's
    /// secret from a file, the outbox's from an environment variable.
    fn write_config(&self) {
        std::fs::write(
            self.path().join("client-secret"),
            format!("{CLIENT_SECRET}\n"),
        )
        .unwrap();
        let token_url = format!("http://127.0.0.1:{}/token", self.token_port);
        // How each [*.oauth2] table signs in.
        let creds = |secret: &str| match self.creds {
            Creds::Secret => format!(
                "token_url = \"{token_url}\"\nclient_id = \"{CLIENT_ID}\"\n\
                 scope = \"https://outlook.office365.com/.default\"\n{secret}\n"
            ),
            Creds::Certificate | Creds::UnregisteredCertificate => {
                let name = if self.creds == Creds::Certificate {
                    "app"
                } else {
                    "unregistered"
                };
                format!(
                    "token_url = \"https://localhost:{}/token\"\nca_file = \"token-tls/cert.pem\"\n\
                     client_id = \"{CLIENT_ID}\"\nscope = \"https://outlook.office365.com/.default\"\n\
                     private_key_file = \"{name}.key\"\ncertificate_file = \"{name}.crt\"\n",
                    self.tls_port
                )
            }
            // No token_url: the key file's token_uri.
            Creds::ServiceAccount => "scope = \"https://mail.google.com/\"\n\
                                      service_account_file = \"sa.json\"\n"
                .to_string(),
        };
        let cfg = format!(
            "policy = \"bath-and-north-east-somerset\"\n\
             [council]\nname = \"Bath & NES\"\nemail = \"complaints@example.gov.uk\"\nreference_prefix = \"BNES\"\n\
             [web]\nenabled = false\n\
             [mailbox]\nkind = \"imap\"\nhost = \"localhost\"\nport = {imaps}\ntls = \"implicit\"\nca_file = \"{ca}\"\nuser = \"complaints\"\n\
             [mailbox.oauth2]\n{mailbox}\
             [outbox]\nkind = \"smtp\"\nhost = \"localhost\"\nport = {smtp}\ntls = \"starttls\"\nca_file = \"{ca}\"\nuser = \"complaints\"\n\
             [outbox.oauth2]\n{outbox}",
            imaps = self.dc.imaps_port,
            ca = self.dc.cert().display(),
            smtp = self.smtp_port,
            mailbox = creds("secret_file = \"client-secret\""),
            outbox = creds(&format!("secret_env = \"{SECRET_ENV}\"")),
        );
        std::fs::write(self.path().join("redress.toml"), cfg).unwrap();
    }

    fn redress(&self, args: &[&str]) -> bin::Run {
        bin::redress()
            .args(["--config", "redress.toml"])
            .args(args)
            .env(SECRET_ENV, CLIENT_SECRET)
            .current_dir(self.path())
            .output()
            .unwrap()
            .into()
    }

    /// `redress ARGS`, which must succeed.
    fn succeeds(&self, args: &[&str]) -> bin::Run {
        let r = self.redress(args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    }

    fn count(&self, name: &str) -> usize {
        std::fs::read_to_string(self.state.join(name))
            .map(|s| s.trim().parse().unwrap())
            .unwrap_or(0)
    }

    /// Tokens the token server has issued.
    fn issued(&self) -> usize {
        self.count("issued")
    }

    /// Requests to /token, granted or refused.
    fn token_requests(&self) -> usize {
        std::fs::read_to_string(self.state.join("requests.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("/token "))
            .count()
    }

    /// The grants the token server gave, one line each ("secret", "assertion CLIENT",
    /// "jwt-bearer SUB").
    fn grants(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("grants"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    fn revoke(&self, revoked: bool) {
        let f = self.state.join("revoked");
        if revoked {
            std::fs::write(f, b"").unwrap();
        } else {
            std::fs::remove_file(f).unwrap();
        }
    }

    /// The token server drops every token it has issued (on its next request).
    fn forget_tokens(&self) {
        std::fs::write(self.state.join("forget"), b"").unwrap();
    }

    /// The messages the SMTP server accepted, as text.
    fn sent(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(d) = std::fs::read_dir(self.path().join("sent").join(sub)) {
                for e in d.flatten() {
                    out.push(
                        String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned(),
                    );
                }
            }
        }
        out
    }

    fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.path().join("dovecot/dovecot.log")).unwrap_or_default()
    }

    fn cases(&self) -> usize {
        let r = self.succeeds(&["cases", "--json"]);
        serde_json::from_str::<serde_json::Value>(&r.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    }

    /// `redress run`, its log in run.log.
    fn spawn_run(&self) -> KillOnDrop {
        let log = std::fs::File::create(self.path().join("run.log")).unwrap();
        KillOnDrop(
            bin::redress()
                .args(["--config", "redress.toml", "run"])
                .env(SECRET_ENV, CLIENT_SECRET)
                .env("RUST_LOG", "info")
                .current_dir(self.path())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    fn run_log(&self) -> String {
        std::fs::read_to_string(self.path().join("run.log")).unwrap_or_default()
    }
}

fn complaint(i: usize) -> Vec<u8> {
    format!(
        "From: Resident {i} <resident{i}@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint {i}: missed bins\r\n\
         Message-ID: <oauth-test-{i}@example.org>\r\nDate: {}\r\n\r\nI wish to complain about bin {i}.\r\n",
        chrono::Utc::now().to_rfc2822()
    )
    .into_bytes()
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// An acknowledgement to `resident{i}` with its PDF, among what the SMTP server accepted.
fn acknowledged(s: &Servers, i: usize) -> bool {
    s.sent()
        .iter()
        .any(|m| m.contains(&format!("resident{i}@example.org")) && m.contains("application/pdf"))
}

#[test]
fn a_complaint_comes_in_by_imap_xoauth2_and_its_acknowledgement_goes_out_by_smtp_xoauth2() {
    let s = Servers::start(3600, "xoauth2 oauthbearer");
    s.dc.deliver("1.complaint", &complaint(1));

    let poll = s.succeeds(&["poll"]);
    assert!(poll.stdout.contains("new case BNES-"), "{}", poll.stdout);
    assert_eq!(s.issued(), 1, "one token for the mailbox");
    let log = s.dovecot_log();
    assert!(log.contains("user=<complaints>, method=XOAUTH2"), "{log}");
    assert_eq!(
        s.dc.seen_flags(),
        vec![true],
        "marked processed once stored"
    );

    let send = s.succeeds(&["send"]);
    assert!(send.stdout.contains("sent 1,"), "{}", send.stdout);
    assert_eq!(
        s.issued(),
        2,
        "and one for the SMTP server (another process)"
    );
    let sent = s.sent();
    assert_eq!(sent.len(), 1);
    assert!(acknowledged(&s, 1), "{}", sent[0]);
    // Each token was asked for with the configured scope, and checked by the servers.
    let scopes = std::fs::read_to_string(s.state.join("scopes")).unwrap();
    assert_eq!(
        scopes.lines().collect::<Vec<_>>(),
        vec!["https://outlook.office365.com/.default"; 2]
    );
    assert!(s.count("introspected") >= 2);
    // The secret is in no output.
    for out in [&poll.stdout, &poll.stderr, &send.stdout, &send.stderr] {
        assert!(!out.contains(CLIENT_SECRET));
    }
}

#[test]
fn a_server_offering_only_oauthbearer_is_logged_in_to_with_it() {
    let s = Servers::start(3600, "oauthbearer");
    s.dc.deliver("1.complaint", &complaint(1));
    s.succeeds(&["poll"]);
    assert_eq!(s.cases(), 1);
    let log = s.dovecot_log();
    assert!(
        log.contains("user=<complaints>, method=OAUTHBEARER"),
        "{log}"
    );
}

#[test]
fn the_daemon_fetches_a_fresh_token_when_the_last_one_has_expired() {
    // Tokens live 3 s: renewed 0.3 s before they run out.
    let s = Servers::start(3, "xoauth2 oauthbearer");
    let _run = s.spawn_run();
    s.dc.deliver("1.complaint", &complaint(1));
    wait_until("the first acknowledgement", 60, || acknowledged(&s, 1));
    // One token, or two when the first had expired by the time the letter went (the
    // outbox looks every 5 s; tokens live 3).
    let first = s.issued();
    assert!((1..=2).contains(&first), "{first} issued\n{}", s.run_log());

    // Both tokens expire. The IMAP session is cut, so the daemon must log in again,
    // and the next letter needs an SMTP login too.
    std::thread::sleep(Duration::from_secs(4));
    s.dc.stop();
    s.dc.deliver("2.complaint", &complaint(2));
    s.dc.start_again();
    wait_until("the second acknowledgement", 90, || acknowledged(&s, 2));
    // Every token alive at the first acknowledgement had expired: the new IMAP login
    // and the second letter's SMTP login got in with fresh ones (the servers ask the
    // token server, which refuses expired tokens).
    assert!(
        s.issued() > first,
        "fresh tokens after expiry: {} issued\n{}",
        s.issued(),
        s.run_log()
    );
    assert_eq!(s.cases(), 2);
    // Dovecot saw two token logins; the second needed a token fetched for it (every
    // token was at least 4 s old by then).
    let log = s.dovecot_log();
    assert!(log.matches("method=XOAUTH2").count() >= 2, "{log}");
    let run = s.run_log();
    assert!(
        run.matches("oauth2 token fetched client=imap").count() >= 2,
        "{run}"
    );
    assert!(!run.contains(CLIENT_SECRET));
}

#[test]
fn a_token_the_servers_refuse_is_dropped_and_a_fresh_one_fetched() {
    let s = Servers::start(3600, "xoauth2 oauthbearer");
    let _run = s.spawn_run();
    s.dc.deliver("1.complaint", &complaint(1));
    wait_until("the first acknowledgement", 60, || acknowledged(&s, 1));
    // Mailbox and outbox use one app: one token serves both while it lives.
    assert_eq!(s.issued(), 1, "{}", s.run_log());

    // The provider drops its tokens; the IMAP session is cut. The daemon logs in again
    // with the token it holds, is refused, and gets in with a fresh one.
    s.forget_tokens();
    s.dc.stop();
    s.dc.deliver("2.complaint", &complaint(2));
    s.dc.start_again();
    wait_until("the second acknowledgement", 90, || acknowledged(&s, 2));
    assert_eq!(s.issued(), 2, "{}", s.run_log());
    assert_eq!(
        s.run_log()
            .matches("token refused: fetching a fresh one")
            .count(),
        1
    );

    // Again, with the IMAP session up: this time the SMTP server refuses the token
    // held, and the letter goes with a fresh one.
    let restarts = s.run_log().matches("task failed").count();
    s.forget_tokens();
    s.dc.deliver("3.complaint", &complaint(3));
    wait_until("the third acknowledgement", 60, || acknowledged(&s, 3));
    assert_eq!(s.issued(), 3, "{}", s.run_log());
    let run = s.run_log();
    assert_eq!(
        run.matches("token refused: fetching a fresh one").count(),
        2,
        "{run}"
    );
    assert_eq!(
        run.matches("task failed").count(),
        restarts,
        "no restart was needed: {run}"
    );
}

#[test]
fn an_oauthbearer_login_refused_is_tried_again_with_a_fresh_token() {
    let s = Servers::start(3600, "oauthbearer");
    let _run = s.spawn_run();
    s.dc.deliver("1.complaint", &complaint(1));
    wait_until("the first acknowledgement", 60, || acknowledged(&s, 1));
    s.forget_tokens();
    s.dc.stop();
    s.dc.deliver("2.complaint", &complaint(2));
    s.dc.start_again();
    wait_until("the second acknowledgement", 90, || acknowledged(&s, 2));
    let run = s.run_log();
    assert!(
        run.contains("token refused: fetching a fresh one") && run.contains("OAUTHBEARER"),
        "{run}"
    );
    assert_eq!(s.dovecot_log().matches("method=OAUTHBEARER").count(), 2);
}

#[test]
fn send_with_a_revoked_client_exits_non_zero_with_the_reason_and_keeps_the_letter() {
    let s = Servers::start(3600, "xoauth2 oauthbearer");
    s.dc.deliver("1.complaint", &complaint(1));
    s.succeeds(&["poll"]);
    s.revoke(true);

    let send = s.redress(&["send"]);
    assert_eq!(send.code, 3, "{}{}", send.stdout, send.stderr);
    let said: Vec<&str> = send
        .stderr
        .lines()
        .filter(|l| l.starts_with("redress send:"))
        .collect();
    assert_eq!(said.len(), 1, "{}", send.stderr);
    assert!(
        said[0].contains("smtp oauth2: token request to")
            && said[0].contains("refused: invalid_client: client revoked"),
        "{}",
        said[0]
    );
    assert!(!send.stderr.contains(CLIENT_SECRET));
    assert!(s.sent().is_empty());

    // Restored: the letter, put back for a retry, goes at its next attempt.
    s.revoke(false);
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let send = s.succeeds(&["--now", &later, "send"]);
    assert!(send.stdout.contains("sent 1,"), "{}", send.stdout);
    assert!(acknowledged(&s, 1));
}

#[test]
fn a_revoked_client_is_a_clear_one_line_error_and_the_daemon_retries_without_a_crash_loop() {
    let s = Servers::start(3600, "xoauth2 oauthbearer");
    s.dc.deliver("1.complaint", &complaint(1));
    s.revoke(true);

    // One-shot: non-zero, one line with the provider's reason, nothing changed.
    let poll = s.redress(&["poll"]);
    assert_ne!(poll.code, 0);
    let err = poll.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("client revoked"), "{err}");
    assert!(
        err.contains(&format!("http://127.0.0.1:{}/token", s.token_port)),
        "{err}"
    );
    assert!(!err.contains(CLIENT_SECRET), "{err}");
    assert_eq!(s.cases(), 0);
    assert_eq!(s.dc.seen_flags(), vec![false]);
    assert_eq!(s.issued(), 0);

    // The daemon: logs the same reason, backs off, keeps running.
    let mut run = s.spawn_run();
    std::thread::sleep(Duration::from_secs(8));
    assert!(
        run.0.try_wait().unwrap().is_none(),
        "the daemon is still running"
    );
    let log = s.run_log();
    assert!(
        log.contains("invalid_client") && log.contains("client revoked"),
        "{log}"
    );
    // Backoff 1, 2, 4 s...: at most a handful of attempts in 8 s, not a loop.
    let tries = s.token_requests();
    assert!(
        (2..=5).contains(&tries),
        "{tries} token requests in 8 s\n{log}"
    );
    assert_eq!(s.cases(), 0);

    // The client is allowed again: the next retry gets in and the complaint is handled.
    s.revoke(false);
    wait_until("the complaint after the client is restored", 60, || {
        acknowledged(&s, 1)
    });
    assert_eq!(s.cases(), 1);
    assert!(run.0.try_wait().unwrap().is_none());
}

#[test]
fn a_bad_oauth2_table_is_a_one_line_config_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let head = "policy = \"lgsco-code\"\n[council]\nname = \"X\"\nemail = \"complaints@x.gov.uk\"\n\
                [mailbox]\nkind = \"imap\"\nhost = \"outlook.office365.com\"\nuser = \"complaints@x.gov.uk\"\n";
    for (table, line, want) in [
        (
            "[mailbox.oauth2]\ntoken_url = \"http://login.example/token\"\nclient_id = \"a\"\nsecret_env = \"S\"\n",
            10,
            "[mailbox.oauth2] token_url 'http://login.example/token' must be https://",
        ),
        (
            "[mailbox.oauth2]\ntoken_url = \"https://login.example/token\"\nclient_id = \"a\"\n",
            9,
            "[mailbox.oauth2] needs the client secret from secret_file or secret_env",
        ),
        (
            "password_env = \"P\"\n[mailbox.oauth2]\ntoken_url = \"https://login.example/token\"\nclient_id = \"a\"\nsecret_env = \"S\"\n",
            9,
            "[mailbox] password_env and [mailbox.oauth2] are both set",
        ),
    ] {
        std::fs::write(dir.path().join("r.toml"), format!("{head}{table}")).unwrap();
        let r = bin::run(dir.path(), &["--config", "r.toml", "poll"]);
        assert_ne!(r.code, 0);
        let err = r.stderr.trim();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("r.toml: line {line}: {want}")), "{err}");
        assert!(!dir.path().join("data").exists(), "nothing made");
    }
}

/// The key's PEM body, which no output may hold.
fn key_line(s: &Servers, name: &str) -> String {
    std::fs::read_to_string(s.path().join(name))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
}

#[test]
fn an_entra_certificate_signs_in_for_imap_and_smtp_through_an_https_token_endpoint() {
    let s = Servers::start_with(3600, "xoauth2 oauthbearer", Creds::Certificate);
    s.dc.deliver("1.complaint", &complaint(1));

    let poll = s.succeeds(&["poll"]);
    assert!(poll.stdout.contains("new case BNES-"), "{}", poll.stdout);
    // The token server checked the assertion (signature by app.crt's key, x5t, aud =
    // its https URL, iss = sub = the client id, exp) before it gave the token.
    assert_eq!(s.grants(), vec![format!("assertion {CLIENT_ID}")]);
    let log = s.dovecot_log();
    assert!(log.contains("user=<complaints>, method=XOAUTH2"), "{log}");
    assert_eq!(s.dc.seen_flags(), vec![true]);

    let send = s.succeeds(&["send"]);
    assert!(send.stdout.contains("sent 1,"), "{}", send.stdout);
    assert!(acknowledged(&s, 1), "{:?}", s.sent());
    assert_eq!(s.grants(), vec![format!("assertion {CLIENT_ID}"); 2]);
    assert_eq!(s.token_requests(), 2);
    let key = key_line(&s, "app.key");
    for out in [&poll.stdout, &poll.stderr, &send.stdout, &send.stderr] {
        assert!(!out.contains(&key));
    }
}

#[test]
fn a_google_service_account_signs_in_as_the_mailbox_it_acts_for() {
    let s = Servers::start_with(3600, "xoauth2 oauthbearer", Creds::ServiceAccount);
    s.dc.deliver("1.complaint", &complaint(1));

    let poll = s.succeeds(&["poll"]);
    assert!(poll.stdout.contains("new case BNES-"), "{}", poll.stdout);
    // The grant, to the key file's token_uri, was for the IMAP user; the token the
    // token server gave is that user's, and Dovecot let it in as them.
    assert_eq!(s.grants(), vec!["jwt-bearer complaints".to_string()]);
    let log = s.dovecot_log();
    assert!(log.contains("user=<complaints>, method=XOAUTH2"), "{log}");
    assert_eq!(s.cases(), 1);
    let scopes = std::fs::read_to_string(s.state.join("scopes")).unwrap();
    assert_eq!(scopes.trim(), "https://mail.google.com/");

    s.succeeds(&["send"]);
    assert!(acknowledged(&s, 1), "{:?}", s.sent());
    assert_eq!(s.grants().len(), 2);
}

#[test]
fn a_certificate_the_app_does_not_have_is_the_providers_reason_in_one_line_and_nothing_changes() {
    let s = Servers::start_with(3600, "xoauth2 oauthbearer", Creds::UnregisteredCertificate);
    s.dc.deliver("1.complaint", &complaint(1));

    let poll = s.redress(&["poll"]);
    assert_ne!(poll.code, 0);
    let err = poll.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "token request to https://localhost:{}/token refused: invalid_client: AADSTS700027",
            s.tls_port
        )),
        "{err}"
    );
    assert!(!err.contains(&key_line(&s, "unregistered.key")), "{err}");
    assert_eq!(s.issued(), 0);
    assert_eq!(s.cases(), 0);
    assert_eq!(s.dc.seen_flags(), vec![false]);
}

#[test]
fn bad_key_credentials_are_a_one_line_config_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = rsa_cert(dir.path(), "app");
    let (_, _) = rsa_cert(dir.path(), "other");
    std::fs::write(dir.path().join("garbage.pem"), "-----BEGIN NONSENSE\nxyz\n").unwrap();
    std::fs::write(dir.path().join("sa.json"), "{\"type\": \"service_account\"").unwrap();
    let key = std::fs::read_to_string(dir.path().join("app.key")).unwrap();
    let good_sa = serde_json::json!({
        "type": "service_account",
        "private_key_id": SA_KID,
        "private_key": key,
        "client_email": SA_EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    std::fs::write(dir.path().join("good-sa.json"), good_sa.to_string()).unwrap();
    let key_body = key.lines().nth(1).unwrap();
    let head = "policy = \"lgsco-code\"\n[council]\nname = \"X\"\nemail = \"complaints@x.gov.uk\"\n\
                [mailbox]\nkind = \"imap\"\nhost = \"outlook.office365.com\"\nuser = \"complaints@x.gov.uk\"\n\
                [mailbox.oauth2]\ntoken_url = \"https://login.example/token\"\nclient_id = \"a\"\n";
    for (creds, line, want) in [
        (
            "secret_env = \"S\"\nprivate_key_file = \"app.key\"\ncertificate_file = \"app.crt\"\n",
            14,
            "[mailbox.oauth2] has secret_env and private_key_file and certificate_file: keep one way to sign in",
        ),
        (
            "secret_file = \"s\"\nservice_account_file = \"sa.json\"\n",
            13,
            "[mailbox.oauth2] has secret_file and service_account_file: keep one way to sign in",
        ),
        (
            "private_key_file = \"app.key\"\n",
            12,
            "[mailbox.oauth2] has private_key_file without certificate_file: set both",
        ),
        (
            "private_key_file = \"missing.key\"\ncertificate_file = \"app.crt\"\n",
            12,
            "[mailbox.oauth2] private_key_file missing.key: No such file or directory",
        ),
        (
            "private_key_file = \"garbage.pem\"\ncertificate_file = \"app.crt\"\n",
            12,
            "[mailbox.oauth2] private_key_file garbage.pem: it is not valid PEM",
        ),
        (
            "private_key_file = \"app.key\"\ncertificate_file = \"app.key\"\n",
            13,
            "[mailbox.oauth2] certificate_file app.key: no PEM certificate (BEGIN CERTIFICATE) in it",
        ),
        (
            "private_key_file = \"other.key\"\ncertificate_file = \"app.crt\"\n",
            13,
            "[mailbox.oauth2] certificate_file app.crt is not the certificate of private_key_file other.key",
        ),
        (
            "service_account_file = \"sa.json\"\n",
            12,
            "[mailbox.oauth2] service_account_file sa.json: not a JSON key file",
        ),
        (
            "service_account_file = \"good-sa.json\"\n",
            12,
            "[mailbox.oauth2] a service account needs scope (for Gmail: \"https://mail.google.com/\")",
        ),
        (
            "secret_env = \"S\"\nca_file = \"no-ca.pem\"\n",
            13,
            "[mailbox.oauth2] ca_file no-ca.pem: I/O error: No such file",
        ),
    ] {
        std::fs::write(dir.path().join("r.toml"), format!("{head}{creds}")).unwrap();
        for cmd in ["poll", "run"] {
            let r = bin::run(dir.path(), &["--config", "r.toml", cmd]);
            assert_ne!(r.code, 0);
            let err = r.stderr.trim();
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(&format!("r.toml: line {line}: {want}")), "{err}");
            assert!(!err.contains(key_body), "no key bytes: {err}");
            assert!(!dir.path().join("data").exists(), "nothing made");
        }
    }
}
