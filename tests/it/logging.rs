//! What the logs may carry: the real binary polling a real Dovecot at the most verbose
//! levels must not write the IMAP password or a message's text, and a header cannot
//! forge a log line.

use crate::bin;
use crate::support;

use std::path::Path;
use support::Dovecot;

const BODY_MARKER: &str = "Quokka-body-text-7Zq";

fn write_config(dir: &Path, dc: &Dovecot) {
    std::fs::write(dir.join("imap-password"), "secret\n").unwrap();
    std::fs::write(
        dir.join("redress.toml"),
        format!(
            "policy = \"bath-and-north-east-somerset\"\n[council]\nname = \"Bath & NES\"\nemail = \"complaints@example.gov.uk\"\n\
             [mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"plain\"\nuser = \"{}\"\npassword_file = \"imap-password\"\n",
            dc.imap_port, dc.user
        ),
    )
    .unwrap();
}

/// `redress [args] poll` in `dir` with `env`, REDRESS_LOG and RUST_LOG cleared first.
fn poll(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let out = bin::redress()
        .args(["--config", "redress.toml"])
        .args(args)
        .arg("poll")
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "poll failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn complaint(n: usize) -> Vec<u8> {
    format!(
        "From: Resident {n} <resident{n}@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Missed bins {n}\r\n\
         Message-ID: <log-{n}@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n\
         I wish to complain. {BODY_MARKER} {n}\r\n"
    )
    .into_bytes()
}

#[test]
fn the_most_verbose_logs_hold_neither_the_password_nor_the_message_text() {
    let dir = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(dir.path());
    write_config(dir.path(), &dc);
    type Env<'a> = &'a [(&'a str, &'a str)];
    let runs: [(&[&str], Env); 3] = [
        (&[], &[("RUST_LOG", "trace")]),
        (&["-vvv"], &[]),
        (&["-vv"], &[("REDRESS_LOG", "trace")]),
    ];
    for (n, (args, env)) in runs.into_iter().enumerate() {
        dc.deliver(&format!("{n}.eml"), &complaint(n));
        let (stdout, stderr) = poll(dir.path(), args, env);
        assert!(stdout.contains("1 new cases"), "{args:?} {env:?}: {stdout}");
        // The level asked for is in force: redress's own debug and trace lines are there.
        assert!(
            stderr.contains("DEBUG") && stderr.contains("logged in"),
            "{args:?} {env:?}: no debug log:\n{stderr}"
        );
        assert!(
            !stderr.contains("secret"),
            "{args:?} {env:?}: password in the log:\n{stderr}"
        );
        assert!(
            !stderr.contains(BODY_MARKER) && !stderr.contains("I wish to complain"),
            "{args:?} {env:?}: message text in the log:\n{stderr}"
        );
    }
    // Naming the crate is how its trace is switched on, on purpose (and it does log
    // the LOGIN command: the reason it is held at info otherwise).
    dc.deliver("9.eml", &complaint(9));
    let (_, stderr) = poll(dir.path(), &[], &[("RUST_LOG", "trace,async_imap=trace")]);
    assert!(stderr.contains("secret"), "async_imap=trace was honoured");
}

/// Every form a level can take (a number, any case, `[]=` span directives, a target
/// that is only a prefix of the crate's name, one quiet crate named but not the others,
/// `RUST_LOG`, `-vvv`) leaves the IMAP libraries at info: the password never reaches
/// the log unless the filter names the crate itself.
#[test]
fn every_form_of_the_level_keeps_the_imap_password_out_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(dir.path());
    write_config(dir.path(), &dc);
    type Env<'a> = &'a [(&'a str, &'a str)];
    // (args, env, whether redress's own debug lines must be there)
    let runs: &[(&[&str], Env, bool)] = &[
        (&[], &[("REDRESS_LOG", "5")], true),
        (&[], &[("REDRESS_LOG", "4")], true),
        (&[], &[("RUST_LOG", "5")], true),
        (&[], &[("REDRESS_LOG", "TRACE")], true),
        (&[], &[("REDRESS_LOG", " Trace ")], true),
        (&[], &[("REDRESS_LOG", "warn,5")], true),
        (&[], &[("REDRESS_LOG", "[]=trace")], false),
        (&[], &[("REDRESS_LOG", "trace,[]=trace")], true),
        (&[], &[("REDRESS_LOG", "[{x}]=5,debug")], true),
        (
            &[],
            &[("REDRESS_LOG", "async=trace,imap=trace,rust=5,lett=trace")],
            false,
        ),
        (
            &[],
            &[("REDRESS_LOG", "redress=trace,async=trace,imap=5")],
            true,
        ),
        (
            &[],
            &[("REDRESS_LOG", "trace,lettre=trace,rustls=debug")],
            true,
        ),
        (&[], &[("REDRESS_LOG", "trace,async_imap_x=trace")], true),
        (&["-vvv"], &[("RUST_LOG", "")], true),
        (&["-vvv"], &[("REDRESS_LOG", "5"), ("RUST_LOG", "5")], true),
    ];
    for (n, (args, env, debug)) in runs.iter().enumerate() {
        dc.deliver(&format!("{n}.eml"), &complaint(n));
        let (stdout, stderr) = poll(dir.path(), args, env);
        assert!(stdout.contains("1 new cases"), "{args:?} {env:?}: {stdout}");
        if *debug {
            assert!(
                stderr.contains("DEBUG") && stderr.contains("logged in"),
                "{args:?} {env:?}: no debug log:\n{stderr}"
            );
        }
        assert!(
            !stderr.contains("secret") && !stderr.contains("LOGIN"),
            "{args:?} {env:?}: password in the log:\n{stderr}"
        );
        assert!(
            !stderr.contains(BODY_MARKER),
            "{args:?} {env:?}: message text in the log:\n{stderr}"
        );
    }
    // Named explicitly, in any of these forms, the crate logs as asked.
    for (n, spec) in ["5,async_imap=5", "info,async_imap=trace", "async_imap"]
        .into_iter()
        .enumerate()
    {
        dc.deliver(&format!("named-{n}.eml"), &complaint(100 + n));
        let (_, stderr) = poll(dir.path(), &[], &[("REDRESS_LOG", spec)]);
        assert!(
            stderr.contains("secret"),
            "{spec}: async_imap named:\n{stderr}"
        );
    }
}

#[test]
fn a_header_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let dc = Dovecot::start(dir.path());
    write_config(dir.path(), &dc);
    let forged = "2026-12-14T10:00:00.000000Z  INFO FORGED";
    // An out-of-office whose Auto-Submitted value (quoted in the "not answered" reason,
    // logged at info) is folded over a line that looks like a record, with a bare CR
    // and a terminal escape; and a complaint whose encoded subject holds CRLF and one.
    dc.deliver(
        "1.eml",
        format!(
            "From: Away <away@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Out of office\r\n\
             Auto-Submitted: auto-replied\r\n {forged} officer sam approved refund\x1b[1A\rX\r\n\
             Message-ID: <forge-1@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\nAway.\r\n"
        )
        .as_bytes(),
    );
    dc.deliver(
        "2.eml",
        format!(
            "From: Ann <ann@example.org>\r\nTo: complaints@example.gov.uk\r\n\
             Subject: =?utf-8?q?Bins=0D=0A{}_case_closed=1B]0;pwned=07?=\r\n\
             Message-ID: <forge-2@example.org>\r\nDate: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\nMy bins.\r\n",
            forged.replace(' ', "_")
        )
        .as_bytes(),
    );
    let (stdout, stderr) = poll(dir.path(), &["-v"], &[]);
    assert!(stdout.contains("2 messages"), "{stdout}");
    // poll's own report quotes the reason too: ingestion put the header value on one
    // line when it wrote the reason, and the terminal output escapes whatever is left.
    assert!(
        stdout.contains("not answered: auto-reply (Auto-Submitted: auto-replied 2026-12-14")
            && !stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{stdout:?}"
    );
    // The header text did reach the log: on the line of the record that quotes it.
    let quoting: Vec<&str> = stderr.lines().filter(|l| l.contains("FORGED")).collect();
    assert!(
        !quoting.is_empty(),
        "the Auto-Submitted value is quoted in the 'not answered' record:\n{stderr}"
    );
    for l in &quoting {
        assert!(
            l.contains("not answered") && !l.trim_start().starts_with("2026-12-14T10"),
            "a line of its own: {l:?}\n{stderr}"
        );
    }
    // Every line is a record of redress's (time, level, message), none begun by mail.
    let record =
        regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z +(TRACE|DEBUG|INFO|WARN|ERROR) ")
            .unwrap();
    for l in stderr.lines() {
        assert!(record.is_match(l), "not a record: {l:?}\n{stderr}");
    }
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\r') && !stderr.contains('\x07'),
        "raw control characters in the log:\n{stderr:?}"
    );
}
