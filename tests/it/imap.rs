//! Ingestion from a real Dovecot on loopback: plain, implicit TLS and STARTTLS; a
//! process killed between the commit and the server flag loses and doubles nothing.

use crate::bin;
use crate::support;

use std::path::Path;
use std::process::Command;

use support::Dovecot;

fn complaint(i: usize) -> Vec<u8> {
    format!(
        "From: Resident {i} <resident{i}@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint {i} about missed bins\r\n\
         Message-ID: <imap-test-{i}@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\nI wish to complain about bin {i}.\r\n"
    )
    .into_bytes()
}

fn write_config(dir: &Path, dc: &Dovecot, tls: &str) -> std::path::PathBuf {
    let port = match tls {
        "implicit" => dc.imaps_port,
        _ => dc.imap_port,
    };
    write_config_port(dir, dc, tls, port)
}

fn write_config_port(dir: &Path, dc: &Dovecot, tls: &str, port: u16) -> std::path::PathBuf {
    let host = if tls == "plain" {
        "127.0.0.1"
    } else {
        "localhost"
    };
    std::fs::write(dir.join("imap-password"), "secret\n").unwrap();
    let cfg = format!(
        "policy = \"bath-and-north-east-somerset\"\n[council]\nname = \"Bath & NES\"\nemail = \"complaints@example.gov.uk\"\nreference_prefix = \"BNES\"\n\
         [mailbox]\nkind = \"imap\"\nhost = \"{host}\"\nport = {port}\ntls = \"{tls}\"\nca_file = \"{}\"\nuser = \"{}\"\npassword_file = \"imap-password\"\n",
        dc.cert().display(),
        dc.user
    );
    let p = dir.join("redress.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

fn poll_command(dir: &Path) -> Command {
    let mut c = bin::redress();
    c.args([
        "--config",
        "redress.toml",
        "--now",
        "2026-12-14T10:00:00Z",
        "poll",
        "--json",
    ])
    .current_dir(dir);
    c
}

fn poll(dir: &Path) -> std::process::Output {
    poll_command(dir).output().unwrap()
}

/// `redress poll` through a plain-text proxy to Dovecot that kills it (SIGKILL) when
/// it sends its first command marking mail processed (UID STORE, MOVE or COPY), and
/// never passes that command on: the process dies right after a batch commits and
/// before the server is told, the worst moment. The config is pointed back at Dovecot
/// afterwards.
fn poll_killed_at_first_mark(dir: &Path, dc: &Dovecot) -> std::process::Output {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    write_config_port(dir, dc, "plain", listener.local_addr().unwrap().port());
    let child = poll_command(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let upstream = dc.imap_port;
    let proxy = std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
        let (mut to_client, mut from_server) =
            (client.try_clone().unwrap(), server.try_clone().unwrap());
        std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
        let mut to_server = server;
        let mut lines = BufReader::new(client);
        let mut line = Vec::new();
        loop {
            line.clear();
            if lines.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                return false;
            }
            let text = String::from_utf8_lossy(&line).to_ascii_uppercase();
            if [" UID STORE ", " UID MOVE ", " UID COPY "]
                .iter()
                .any(|c| text.contains(c))
            {
                let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
                return killed.success();
            }
            if to_server.write_all(&line).is_err() {
                return false;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    assert!(proxy.join().unwrap(), "killed at its first mark: {out:?}");
    // Later runs go straight to Dovecot.
    write_config(dir, dc, "plain");
    out
}

fn report(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "poll failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn count_cases(dir: &Path) -> usize {
    let out = bin::redress()
        .args(["--config", "redress.toml", "cases", "--json"])
        .current_dir(dir)
        .output()
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn each_tls_mode_ingests_and_marks_seen() {
    for tls in ["plain", "implicit", "starttls"] {
        let tmp = tempfile::tempdir().unwrap();
        let dc = Dovecot::start(tmp.path());
        for i in 0..3 {
            dc.deliver(&format!("{i}.test"), &complaint(i));
        }
        write_config(tmp.path(), &dc, tls);
        let r = report(&poll(tmp.path()));
        assert_eq!(r["seen"], 3, "{tls}: {r}");
        assert_eq!(r["new_cases"], 3, "{tls}: {r}");
        assert_eq!(r["acknowledged"], 3, "{tls}: {r}");
        assert_eq!(
            dc.seen_flags(),
            vec![true, true, true],
            "{tls}: all flagged \\Seen"
        );
        // A second pass finds nothing new.
        let r = report(&poll(tmp.path()));
        assert_eq!(r["seen"], 0, "{tls}: {r}");
        assert_eq!(count_cases(tmp.path()), 3);
    }
}

#[test]
fn plaintext_to_a_remote_host_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pw"), "x").unwrap();
    std::fs::write(
        tmp.path().join("redress.toml"),
        "policy = \"lgsco-code\"\n[council]\nname = \"X\"\nemail = \"c@x.gov.uk\"\n[mailbox]\nkind = \"imap\"\nhost = \"192.0.2.1\"\nport = 9\ntls = \"plain\"\nuser = \"u\"\npassword_file = \"pw\"\n",
    )
    .unwrap();
    // 192.0.2.1 is TEST-NET: the connection itself fails or times out first on some
    // networks, so only the refusal wording is checked when it is reached.
    let out = poll(tmp.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn killed_between_commit_and_flag_loses_nothing_and_doubles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(tmp.path());
    for i in 0..5 {
        dc.deliver(&format!("{i}.test"), &complaint(i));
    }
    write_config(tmp.path(), &dc, "plain");
    // The first run is killed right after its batch commits, before \Seen is set.
    let crashed = poll_killed_at_first_mark(tmp.path(), &dc);
    assert!(!crashed.status.success(), "the crash hook must have fired");
    assert!(
        dc.seen_flags().iter().all(|s| !s),
        "nothing flagged before the crash"
    );
    assert_eq!(
        count_cases(tmp.path()),
        5,
        "all five stored before the crash"
    );
    // Restart: the five are found again, recognised as stored, and only flagged now.
    let r = report(&poll(tmp.path()));
    assert_eq!(r["duplicates"], 5, "{r}");
    assert_eq!(r["new_cases"], 0, "{r}");
    assert_eq!(count_cases(tmp.path()), 5, "no duplicate case");
    assert!(dc.seen_flags().iter().all(|s| *s));
    // And exactly one acknowledgement each.
    let out = bin::redress()
        .args(["--config", "redress.toml", "cases", "--json"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let cases: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(cases
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["state"] == "acknowledged"));
}

#[test]
fn a_uidvalidity_change_rescans_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(tmp.path());
    for i in 0..3 {
        dc.deliver(&format!("{i}.test"), &complaint(i));
    }
    write_config(tmp.path(), &dc, "plain");
    assert_eq!(report(&poll(tmp.path()))["new_cases"], 3);
    // Rebuild the mailbox's UID list: the server hands out a new UIDVALIDITY and
    // renumbers from 1. The messages keep \Seen, so only the UIDVALIDITY check can
    // make Redress look at them again.
    dc.stop();
    let maildir = tmp.path().join("dovecot/mail").join(&dc.user);
    for e in std::fs::read_dir(&maildir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("dovecot") {
            if p.is_dir() {
                std::fs::remove_dir_all(&p).unwrap();
            } else {
                std::fs::remove_file(&p).unwrap();
            }
        }
    }
    dc.start_again();
    let r = report(&poll(tmp.path()));
    assert_eq!(r["seen"], 3, "the whole folder is re-scanned: {r}");
    assert_eq!(r["duplicates"], 3, "{r}");
    assert_eq!(r["new_cases"], 0, "{r}");
    assert_eq!(count_cases(tmp.path()), 3);
}

#[test]
fn an_oversized_message_is_quarantined_from_its_headers_and_the_rest_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(tmp.path());
    // A small limit, so that the oversized message is small too.
    let limit = 64 * 1024;
    let mut big = b"From: Big Sender <big@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint with a huge scan\r\n\
Message-ID: <imap-big@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n"
        .to_vec();
    while big.len() < 200 * 1024 {
        big.extend_from_slice(b"BODY-LINE the scanned pages of my complaint, again and again.\r\n");
    }
    dc.deliver("0.test", &complaint(0));
    dc.deliver("1.test", &big);
    dc.deliver("2.test", &complaint(2));
    let cfg = write_config(tmp.path(), &dc, "plain");
    let mut toml = std::fs::read_to_string(&cfg).unwrap();
    toml.push_str(&format!("[inbound]\nmax_message_bytes = {limit}\n"));
    std::fs::write(&cfg, toml).unwrap();

    let r = report(&poll(tmp.path()));
    assert_eq!(r["seen"], 3, "{r}");
    assert_eq!(r["new_cases"], 2, "the messages after it become cases: {r}");
    assert_eq!(r["quarantined"], 1, "{r}");
    assert_eq!(dc.seen_flags(), vec![true, true, true], "all processed");

    let out = bin::redress()
        .args(["--config", "redress.toml", "quarantine", "--json"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let q: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let q = q.as_array().unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    let reason = q[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{} bytes", big.len())) && reason.contains(&limit.to_string()),
        "the reason gives the size and the limit: {reason}"
    );
    let size = q[0]["size"].as_u64().unwrap();
    assert!(
        size > 0 && size < 1024,
        "only the headers are stored: {size} bytes"
    );
    let out = bin::redress()
        .args(["--config", "redress.toml", "quarantine", "--show"])
        .arg(q[0]["id"].to_string())
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(raw.contains("Subject: Complaint with a huge scan"), "{raw}");
    assert!(!raw.contains("BODY-LINE"), "no body stored: {raw}");
    assert_eq!(report(&poll(tmp.path()))["seen"], 0);
}
