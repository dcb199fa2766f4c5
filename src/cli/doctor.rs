//! `redress doctor`: is this installation ready to run? One line per check — the
//! config, file permissions, the database, the mailbox (IMAP login and folder), the
//! outbox (SMTP login, nothing sent), OAuth2 token endpoints, server certificates'
//! expiry — each `ok`, `warn`, `FAIL` or `skip`; exit 1 when any check failed.
//! It changes nothing: the database is opened read-only and never migrated.

use anyhow::Result;
use chrono::{DateTime, Utc};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;

use crate::config::{Config, MailboxConfig, Oauth2Config, OutboxConfig};

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {}

#[derive(Default)]
struct Report {
    failed: usize,
    warned: usize,
}

impl Report {
    fn line(&mut self, verdict: &str, check: &str, text: impl AsRef<str>) {
        match verdict {
            "FAIL" => self.failed += 1,
            "warn" => self.warned += 1,
            _ => {}
        }
        println!(
            "{verdict:<4}  {check:<12} {}",
            crate::escape::escaped(text.as_ref())
        );
    }

    fn result(&mut self, check: &str, r: std::result::Result<String, String>) {
        match r {
            Ok(t) => self.line("ok", check, t),
            Err(e) => self.line("FAIL", check, e),
        }
    }
}

/// A certificate expiring within this is a failure; within [`WARN_DAYS`] a warning.
const FAIL_HOURS: i64 = 24;
const WARN_DAYS: i64 = 30;

pub fn run(config: Option<&Path>, now: DateTime<Utc>) -> Result<ExitCode> {
    let mut r = Report::default();
    let cfg = match Config::load(config) {
        Ok(c) => {
            r.line(
                "ok",
                "config",
                format!(
                    "{}: policy {}, council {}",
                    c.source, c.policy.name, c.council.name
                ),
            );
            c
        }
        Err(e) => {
            r.line("FAIL", "config", e.to_string());
            return Ok(ExitCode::from(1));
        }
    };
    permissions(&cfg, &mut r);
    database(&cfg, &mut r);
    mailbox(&cfg, &mut r);
    outbox(&cfg, &mut r);
    tokens(&cfg, &mut r);
    certificates(&cfg, now, &mut r);
    println!("{} failed, {} warnings", r.failed, r.warned);
    Ok(if r.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn mode(p: &Path) -> Option<u32> {
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

/// The files holding secrets: readable by their owner only.
fn secret_files(cfg: &Config) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    let mut oauth = |table: &str, o: &Oauth2Config| {
        for (key, f) in [
            ("secret_file", &o.secret_file),
            ("private_key_file", &o.private_key_file),
            ("service_account_file", &o.service_account_file),
        ] {
            if let Some(f) = f {
                out.push((format!("[{table}.oauth2] {key}"), f.clone()));
            }
        }
    };
    if let MailboxConfig::Imap(i) = &cfg.mailbox {
        if let Some(o) = &i.oauth2 {
            oauth("mailbox", o);
        }
    }
    if let OutboxConfig::Smtp(s) = &cfg.outbox {
        if let Some(o) = &s.oauth2 {
            oauth("outbox", o);
        }
    }
    if let MailboxConfig::Imap(i) = &cfg.mailbox {
        if let Some(f) = &i.password_file {
            out.push(("[mailbox] password_file".into(), f.clone()));
        }
    }
    if let OutboxConfig::Smtp(s) = &cfg.outbox {
        if let Some(f) = &s.password_file {
            out.push(("[outbox] password_file".into(), f.clone()));
        }
    }
    if let Some(f) = &cfg.web.metrics_token_file {
        out.push(("[web] metrics_token_file".into(), f.clone()));
    }
    out
}

fn permissions(cfg: &Config, r: &mut Report) {
    if let Some(file) = &cfg.file {
        match mode(file) {
            Some(m) if m & 0o022 != 0 => r.line(
                "FAIL",
                "permissions",
                format!(
                    "{} is {m:04o}: others could change what redress does (chmod go-w)",
                    file.display()
                ),
            ),
            Some(m) => r.line("ok", "permissions", format!("{} {m:04o}", file.display())),
            None => r.line(
                "FAIL",
                "permissions",
                format!("{}: cannot read its mode", file.display()),
            ),
        }
    }
    for (what, f) in secret_files(cfg) {
        match mode(&f) {
            None => r.line(
                "FAIL",
                "permissions",
                format!("{what} {}: cannot be read", f.display()),
            ),
            Some(m) if m & 0o077 != 0 => r.line(
                "FAIL",
                "permissions",
                format!(
                    "{what} {} is {m:04o}: a secret readable by others (chmod 600)",
                    f.display()
                ),
            ),
            Some(m) => r.line(
                "ok",
                "permissions",
                format!("{what} {} {m:04o}", f.display()),
            ),
        }
    }
    // Folders may be open to their group (systemd's StateDirectoryMode=0750 under
    // /var/lib/private, itself 0700); never to others. The database, its copies and
    // letters are the owner's alone.
    let db = cfg.database_path();
    let mut private = vec![
        ("data_dir", cfg.data_dir.clone(), 0o007),
        ("database", db, 0o077),
    ];
    if let OutboxConfig::File { path } = &cfg.outbox {
        private.push(("file outbox", path.clone(), 0o007));
    }
    for b in &cfg.backups {
        private.push(("backups", crate::backup::schedule_dir(cfg, b), 0o007));
    }
    for (what, p, forbidden) in private {
        match mode(&p) {
            None => {} // made at first start, privately
            Some(m) if m & forbidden != 0 => r.line(
                "FAIL",
                "permissions",
                format!(
                    "{what} {} is {m:04o}: personal data open to others ({})",
                    p.display(),
                    if forbidden == 0o007 {
                        "chmod o-rwx"
                    } else {
                        "chmod go-rwx"
                    }
                ),
            ),
            Some(m) => r.line(
                "ok",
                "permissions",
                format!("{what} {} {m:04o}", p.display()),
            ),
        }
    }
}

fn database(cfg: &Config, r: &mut Report) {
    let db = cfg.database_path();
    if !db.exists() {
        r.line(
            "warn",
            "database",
            format!("{}: none yet (made at first start)", db.display()),
        );
        return;
    }
    let running = match crate::backup::DaemonLock::held_by_daemon(cfg) {
        Ok(true) => "; the daemon is running",
        _ => "",
    };
    match crate::store::backup::check_file(&db) {
        Err(e) => r.line("FAIL", "database", e.to_string()),
        Ok(c) if c.schema_version > c.known => r.line(
            "FAIL",
            "database",
            format!(
                "{}: schema version {}, newer than this redress knows ({}): upgrade redress",
                db.display(),
                c.schema_version,
                c.known
            ),
        ),
        Ok(c) if c.schema_version < c.known => r.line(
            "warn",
            "database",
            format!(
                "{}: integrity ok, schema version {}; this redress upgrades it to {} when it starts (back up first){running}",
                db.display(),
                c.schema_version,
                c.known
            ),
        ),
        Ok(c) => r.line(
            "ok",
            "database",
            format!(
                "{}: integrity ok, schema version {}, {} cases, {} letters{running}",
                db.display(),
                c.schema_version,
                c.cases,
                c.letters
            ),
        ),
    }
}

fn runtime() -> std::result::Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn mailbox(cfg: &Config, r: &mut Report) {
    match &cfg.mailbox {
        MailboxConfig::Maildir { path } => {
            if path.join("new").is_dir() {
                r.line("ok", "mailbox", format!("Maildir {}", path.display()));
            } else {
                r.line(
                    "warn",
                    "mailbox",
                    format!(
                        "Maildir {}: not there yet (made at first start)",
                        path.display()
                    ),
                );
            }
        }
        MailboxConfig::Imap(i) => {
            let out = runtime().and_then(|rt| {
                rt.block_on(crate::mailbox::imap::check_login(i))
                    .map_err(|e| e.to_string())
            });
            r.result("imap", out);
        }
    }
}

fn outbox(cfg: &Config, r: &mut Report) {
    match &cfg.outbox {
        OutboxConfig::File { path } => r.line(
            "ok",
            "outbox",
            format!("letters written to {}", path.display()),
        ),
        OutboxConfig::Smtp(_) => r.result("smtp", crate::outbox::transport::check_login(cfg)),
    }
}

fn tokens(cfg: &Config, r: &mut Report) {
    let mut any = false;
    if let MailboxConfig::Imap(i) = &cfg.mailbox {
        if let Some(o) = &i.oauth2 {
            any = true;
            crate::oauth::forget(o);
            let out = crate::oauth::token(o, "imap")
                .map(|_| format!("[mailbox.oauth2] {}: a token issued", o.token_url));
            r.result("token", out);
        }
    }
    if let OutboxConfig::Smtp(s) = &cfg.outbox {
        if let Some(o) = &s.oauth2 {
            any = true;
            crate::oauth::forget(o);
            let out = crate::oauth::token(o, "smtp")
                .map(|_| format!("[outbox.oauth2] {}: a token issued", o.token_url));
            r.result("token", out);
        }
    }
    if !any {
        r.line("skip", "token", "no OAuth2 configured");
    }
}

fn expiry_line(r: &mut Report, what: &str, at: DateTime<Utc>, now: DateTime<Utc>) {
    let left = at - now;
    let text = format!(
        "{what}: expires {} ({} days from now)",
        at.format("%Y-%m-%d %H:%M UTC"),
        left.num_days()
    );
    if left <= chrono::Duration::hours(FAIL_HOURS) {
        r.line("FAIL", "certificate", format!("{text}: renew it now"));
    } else if left <= chrono::Duration::days(WARN_DAYS) {
        r.line("warn", "certificate", format!("{text}: renew it soon"));
    } else {
        r.line("ok", "certificate", text);
    }
}

fn certificates(cfg: &Config, now: DateTime<Utc>, r: &mut Report) {
    use crate::tls::Begins;
    let mut any = false;
    let mut server =
        |r: &mut Report, what: &str, host: &str, port: u16, begins: Begins, ca: Option<&Path>| {
            any = true;
            match crate::tls::server_certificate_expiry(what, host, port, begins, ca) {
                Ok(at) => expiry_line(r, &format!("{what} server {host}:{port}"), at, now),
                Err(e) => r.line(
                    "FAIL",
                    "certificate",
                    format!("{what} server {host}:{port}: {e}"),
                ),
            }
        };
    // The port and the way TLS begins for a `tls` setting ("plain": no certificate).
    let mode = |tls: &str, implicit: u16, starttls: (u16, Begins)| match tls {
        "implicit" => Some((implicit, Begins::Implicit)),
        "starttls" => Some(starttls),
        _ => None,
    };
    if let MailboxConfig::Imap(i) = &cfg.mailbox {
        if let Some((port, begins)) = mode(&i.tls, 993, (143, Begins::ImapStarttls)) {
            let port = i.port.unwrap_or(port);
            server(r, "mailbox", &i.host, port, begins, i.ca_file.as_deref());
        }
    }
    if let OutboxConfig::Smtp(s) = &cfg.outbox {
        if let Some((port, begins)) = mode(&s.tls, 465, (587, Begins::SmtpStarttls)) {
            let port = s.port.unwrap_or(port);
            server(r, "outbox", &s.host, port, begins, s.ca_file.as_deref());
        }
    }
    // The client certificate of a certificate credential (Microsoft 365).
    let oauths = [
        match &cfg.mailbox {
            MailboxConfig::Imap(i) => i.oauth2.as_ref().map(|o| ("mailbox", o)),
            _ => None,
        },
        match &cfg.outbox {
            OutboxConfig::Smtp(s) => s.oauth2.as_ref().map(|o| ("outbox", o)),
            _ => None,
        },
    ];
    for (table, o) in oauths.into_iter().flatten() {
        let Some(file) = &o.certificate_file else {
            continue;
        };
        any = true;
        use rustls_pki_types::pem::PemObject;
        let what = format!("[{table}.oauth2] certificate_file {}", file.display());
        match rustls_pki_types::CertificateDer::from_pem_file(file)
            .ok()
            .and_then(|c| crate::tls::not_after(&c))
        {
            Some(at) => expiry_line(r, &what, at, now),
            None => r.line(
                "FAIL",
                "certificate",
                format!("{what}: cannot read its expiry"),
            ),
        }
    }
    if !any {
        r.line(
            "skip",
            "certificate",
            "no TLS server or client certificate configured",
        );
    }
}
