//! `redress run` as a user runs it: a real process against real Dovecot, a dropped
//! IMAP connection mid-IDLE, and SIGTERM in the middle of work.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::Dovecot;

fn complaint(i: usize) -> Vec<u8> {
    format!(
        "From: Resident {i} <resident{i}@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint {i}: missed bins\r\n\
         Message-ID: <daemon-test-{i}@example.org>\r\n\r\nI wish to complain about bin {i}.\r\n"
    )
    .into_bytes()
}

fn cases(dir: &Path) -> usize {
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(["--config", "redress.toml", "cases", "--json"])
        .current_dir(dir)
        .output()
        .unwrap();
    if !out.status.success() {
        return 0;
    }
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .map(|v| v.as_array().map(|a| a.len()).unwrap_or(0))
        .unwrap_or(0)
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

fn sigterm(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
}

fn outbox_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("outbox"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "eml")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_daemon_survives_a_dropped_imap_connection_and_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let dc = Dovecot::start(dir);
    std::fs::write(dir.join("imap-password"), "secret\n").unwrap();
    std::fs::write(
        dir.join("redress.toml"),
        format!(
            "policy = \"bath-and-north-east-somerset\"\n[council]\nname = \"Bath & NES\"\nemail = \"complaints@example.gov.uk\"\nreference_prefix = \"BNES\"\n\
             [mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"plain\"\nuser = \"{}\"\npassword_file = \"imap-password\"\npoll_seconds = 600\n\
             [outbox]\nkind = \"file\"\npath = \"outbox\"\n",
            dc.imap_port, dc.user
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("run.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(["--config", "redress.toml", "run"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();

    // Mail arrives while the daemon sits in IDLE (poll_seconds is 10 minutes: only
    // IDLE can wake it this fast).
    std::thread::sleep(Duration::from_secs(2));
    dc.deliver("1.test", &complaint(1));
    wait_until("the first case", 30, || cases(dir) == 1);
    wait_until("the first letter", 30, || outbox_files(dir) == 1);

    // The server goes away mid-IDLE; mail arrives meanwhile; the server comes back.
    dc.stop();
    dc.deliver("2.test", &complaint(2));
    std::thread::sleep(Duration::from_secs(2));
    dc.start_again();
    wait_until("the second case after reconnecting", 60, || cases(dir) == 2);
    wait_until("the second letter", 30, || outbox_files(dir) == 2);

    // SIGTERM: exit 0, having said so in the log.
    sigterm(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "daemon did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(dir.join("run.log")).unwrap();
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(
        log.contains("task failed; restarting"),
        "the dropped connection is logged:\n{log}"
    );
    assert!(log.contains("stopped cleanly"), "{log}");
    // No personal data at info level: no addresses or subjects in the log.
    assert!(
        !log.contains("resident1@example.org") && !log.contains("missed bins"),
        "{log}"
    );
    assert_eq!(cases(dir), 2);
    assert_eq!(outbox_files(dir), 2, "each letter exactly once");
}

#[test]
fn under_a_supervisor_it_notifies_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("run")
        .current_dir(dir)
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "400000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !(got.iter().any(|m: &String| m.starts_with("READY=1"))
        && got.iter().filter(|m| m.as_str() == "WATCHDOG=1").count() >= 2)
    {
        let n = sock.recv(&mut buf).expect("a notification within 20 s");
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    sigterm(&child);
    loop {
        let n = sock.recv(&mut buf).expect("STOPPING=1 after SIGTERM");
        if &buf[..n] == b"STOPPING=1" {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    // The zero-setup default created its Maildir and database.
    assert!(dir.join("maildir/new").is_dir() && dir.join("data/redress.db").is_file());
}

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/redress.service"
    ))
    .unwrap();
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "DynamicUser=yes",
        "StateDirectory=redress",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "LoadCredential=",
    ] {
        assert!(unit.contains(line), "missing {line}");
    }
    // systemd's own checker, on a copy pointing at the binary under test.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("redress.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/redress", env!("CARGO_BIN_EXE_redress")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("systemd-analyze (package systemd) is installed by scripts/test.sh");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
