//! The documented systemd install, followed step by step into a temporary root: the
//! example config installed with the mode the unit's comment gives, the passwords
//! handed over as systemd presents credentials, and the unit's own ExecStart run as an
//! unprivileged user (the service's DynamicUser stands in as `nobody`) against a real
//! Dovecot.

use crate::bin;
use crate::letters_support;
use crate::support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::Dovecot;

const NOBODY: u32 = 65534;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
}

/// A server process, stopped however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The octal mode the unit's install comment gives in `install ... -m MODE ... TARGET`.
fn documented_mode(unit: &str, target: &str) -> u32 {
    let line = unit
        .lines()
        .filter(|l| l.starts_with('#'))
        .flat_map(|l| l.split("&&"))
        .find(|l| l.contains("install ") && l.trim_end().ends_with(target))
        .unwrap_or_else(|| panic!("the unit's install steps do not install {target}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "-m").expect("install -m");
    u32::from_str_radix(words[i + 1], 8).unwrap()
}

#[test]
fn the_documented_install_runs_as_the_service_user_with_the_example_config() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root (to own files as root and run redress as uid {NOBODY})");
        return;
    }
    let unit = std::fs::read_to_string(repo("systemd/redress.service")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    // Every path the unit and the example config name lives under `root`.
    let map = |s: &str| {
        let mut s = s.to_string();
        for p in [
            "/usr/local/bin/",
            "/etc/redress",
            "/var/lib/redress",
            "/run/credentials/",
        ] {
            s = s.replace(p, &format!("{}{p}", root.display()));
        }
        s
    };
    let under = |p: &str| PathBuf::from(map(p));

    // A mailbox with one complaint in it.
    let mail = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(mail.path());
    // The example's processed_folder, which the council creates on its server.
    let processed = dc.create_folder("Processed");
    dc.deliver(
        "1.complaint",
        format!(
            "From: Ann Resident <ann@example.org>\r\nTo: complaints@bathnes.gov.uk\r\nSubject: Missed bin collection\r\n\
             Message-ID: <svc-1@example.org>\r\nDate: {}\r\n\r\nMy bin was missed again.\r\n",
            chrono::Utc::now().to_rfc2822()
        )
        .as_bytes(),
    );
    // The council's submission server: STARTTLS, then AUTH with the SMTP password.
    let sink_dir = tempfile::tempdir().unwrap();
    let smtp_port = letters_support::free_port();
    let mut sink = KillOnDrop(
        Command::new("/usr/bin/python3")
            .arg(repo("tests/support/smtp_auth_sink.py"))
            .arg(smtp_port.to_string())
            .arg(sink_dir.path().join("mail"))
            .arg(dc.cert())
            .arg(dc.cert().with_file_name("key.pem"))
            .args(["complaints", "smtp-secret"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd"),
    );
    let mut ready = String::new();
    BufReader::new(sink.0.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready", "SMTP sink did not start");

    // install -m 0755 target/release/redress /usr/local/bin/redress
    let exe = under("/usr/local/bin/redress");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(bin::path(), &exe).unwrap();
    chmod(&exe, documented_mode(&unit, "/usr/local/bin/redress"));
    // install -d -m MODE /etc/redress; install -m MODE example /etc/redress/redress.toml
    let etc = under("/etc/redress");
    std::fs::create_dir_all(&etc).unwrap();
    chmod(&etc, documented_mode(&unit, "/etc/redress"));
    // Edited as the comment says: this council's mailbox (the test Dovecot, its CA).
    let example = std::fs::read_to_string(repo("config/redress.example.toml")).unwrap();
    assert!(
        !example
            .lines()
            .any(|l| l.trim_start().starts_with("password_env")),
        "the unit hands passwords over as credential files"
    );
    std::fs::copy(dc.cert(), etc.join("ca.pem")).unwrap();
    chmod(&etc.join("ca.pem"), 0o644);
    let edited = example
        .replace(
            "host = \"imap.example.gov.uk\"",
            &format!("host = \"localhost\"\nport = {}", dc.imaps_port),
        )
        .replace(
            "# ca_file = \"/etc/redress/ca.pem\"",
            "ca_file = \"/etc/redress/ca.pem\"",
        )
        .replace(
            "host = \"smtp.example.gov.uk\"",
            &format!("host = \"localhost\"\nport = {smtp_port}\nca_file = \"/etc/redress/ca.pem\""),
        );
    assert_ne!(edited, example, "the example's mailbox lines changed");
    let cfg = etc.join("redress.toml");
    std::fs::write(&cfg, map(&edited)).unwrap();
    chmod(&cfg, documented_mode(&unit, "/etc/redress/redress.toml"));
    for p in [&etc, &cfg] {
        assert_eq!(std::fs::metadata(p).unwrap().uid(), 0, "root owns {p:?}");
    }

    // What systemd sets up for the unit: the credentials (LoadCredential=NAME:PATH) in a
    // folder only the service's user reads, and the state directory, its own.
    let creds = under("/run/credentials/redress.service");
    std::fs::create_dir_all(&creds).unwrap();
    let mut loaded = 0;
    for line in unit.lines() {
        if let Some(spec) = line.strip_prefix("LoadCredential=") {
            let (name, _source) = spec.split_once(':').unwrap();
            let p = creds.join(name);
            let password = match name {
                "imap-password" => "secret",
                "smtp-password" => "smtp-secret",
                other => panic!("unexpected credential {other}"),
            };
            std::fs::write(&p, password).unwrap();
            chown(&p, NOBODY);
            chmod(&p, 0o400);
            loaded += 1;
        }
    }
    assert_eq!(loaded, 2, "IMAP and SMTP passwords");
    chown(&creds, NOBODY);
    chmod(&creds, 0o500);
    let mut p = creds.parent().unwrap().to_path_buf();
    while p != tmp.path() {
        chmod(&p, 0o755);
        p.pop();
    }
    chmod(tmp.path(), 0o755);
    let state = under("/var/lib/redress");
    std::fs::create_dir_all(&state).unwrap();
    chown(&state, NOBODY);
    chmod(&state, 0o750);

    // The unit's ExecStart, for one pass of each half (`poll`, `send`) instead of the
    // daemon (`run`), as the service's user with systemd's environment.
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let argv: Vec<String> = map(exec).split_whitespace().map(String::from).collect();
    assert_eq!(argv.last().map(String::as_str), Some("run"));
    let as_service = |command: &[&str]| {
        let out = Command::new("setpriv")
            .args([
                "--reuid",
                &NOBODY.to_string(),
                "--regid",
                &NOBODY.to_string(),
                "--clear-groups",
                "--",
            ])
            .args(&argv[..argv.len() - 1])
            .args(command)
            .current_dir(&state)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("CREDENTIALS_DIRECTORY", &creds)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "{argv:?} {command:?} failed: {stderr}"
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = as_service(&["poll"]);
    assert!(
        stdout.contains("new case BNES-")
            && stdout.contains("1 messages: 1 new cases (1 with a letter queued, 0 deferred to a later hour, 0 to triage)"),
        "{stdout}"
    );
    let sent_out = as_service(&["send"]);
    let sent = letters_support::messages_in(&sink_dir.path().join("mail"));
    drop(sink);
    let why = as_service(&["outbox"]);
    assert_eq!(
        sent.len(),
        1,
        "the acknowledgement went out through SMTP AUTH: {sent_out}{why}"
    );
    let letter = String::from_utf8_lossy(&sent[0]).into_owned();
    assert!(
        letter
            .lines()
            .any(|l| l.starts_with("To:") && l.contains("ann@example.org")),
        "{letter}"
    );
    // The database belongs to the service's user and nobody else reads it.
    let db = state.join("redress.db");
    let m = std::fs::metadata(&db).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o777), (NOBODY, 0o600), "{db:?}");
    // And the message was moved on the server to the processed folder.
    assert_eq!(dc.seen_flags(), Vec::<bool>::new(), "INBOX emptied");
    let moved = ["cur", "new"]
        .iter()
        .map(|d| std::fs::read_dir(processed.join(d)).unwrap().count())
        .sum::<usize>();
    assert_eq!(moved, 1);
}

#[test]
fn the_unit_refuses_forbidden_system_calls_with_eperm_and_documents_an_address_allow_list() {
    let unit = std::fs::read_to_string(repo("systemd/redress.service")).unwrap();
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    assert!(lines.contains(&"SystemCallErrorNumber=EPERM"));
    assert!(lines.contains(&"#IPAddressDeny=any"));
    assert!(lines.iter().any(|l| l.starts_with("#IPAddressAllow=")));
}
