//! Running it for real (issue 27), through the real binary on real SQLite files:
//! backups while another process writes, restores (refused while the daemon runs, the
//! replaced database kept, a newer schema refused), scheduled backups keeping N, the
//! upgrade from every earlier schema version, and `--version`.

use crate::bin;
use crate::site;
use crate::support;
use crate::webkit;

use site::Site;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use webkit::web_site;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn integrity(p: &Path) -> String {
    let c = rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

fn count(p: &Path, table: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn user_version(p: &Path) -> i64 {
    let c = rusqlite::Connection::open(p).unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// The schema version this build brings a database to, from `--version`.
fn current_schema() -> i64 {
    let out = bin::redress().arg("--version").output().unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let re = regex::Regex::new(r"^redress \S+ \(database schema version (\d+)\)\n$").unwrap();
    re.captures(&line)
        .unwrap_or_else(|| panic!("--version said {line:?}"))[1]
        .parse()
        .unwrap()
}

const NOW: &str = "2026-11-02T10:00:00Z";

/// A complaint recorded by hand (a case, a customer, deadlines, events, a letter).
fn record(s: &Site, n: usize) {
    s.run(
        NOW,
        &[
            "new",
            "--email",
            &format!("resident{n}@example.org"),
            "--name",
            &format!("Resident {n}"),
            "--via",
            "phone",
        ],
    );
}

#[test]
fn version_names_the_schema_version() {
    let v = current_schema();
    // The database the binary makes is at that version.
    let s = Site::new("lgsco-code", "EX");
    record(&s, 1);
    assert_eq!(user_version(&s.path().join("data/redress.db")), v);
}

#[test]
fn a_backup_taken_while_another_process_writes_is_whole_checked_and_private() {
    let s = Site::new("lgsco-code", "EX");
    record(&s, 0);
    let dir = s.path().to_path_buf();
    // Another process writes all the while: one `redress new` after another.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let mut n = 1;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let out = bin::redress()
                    .args(["--config", "redress.toml", "--now", NOW, "new", "--email"])
                    .arg(format!("writer{n}@example.org"))
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{out:?}");
                n += 1;
            }
            n - 1
        }
    });
    let mut seen = Vec::new();
    for i in 0..6 {
        let file = format!("backup-{i}.db");
        let out = s.run(NOW, &["backup", "--out", &file, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let p = s.path().join(&file);
        assert_eq!(mode(&p), 0o600, "{file}");
        assert_eq!(integrity(&p), "ok");
        assert_eq!(v["schema_version"].as_i64(), Some(current_schema()));
        // What it reports is what the file holds: one snapshot, cases and letters alike.
        let cases = count(&p, "cases");
        assert_eq!(v["cases"].as_i64(), Some(cases));
        assert_eq!(count(&p, "letters"), cases, "one acknowledgement per case");
        seen.push(cases);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written >= 3, "the writer wrote only {written} cases");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(
        seen.last() > seen.first(),
        "{seen:?}: the writes went on meanwhile"
    );
    // No partial file is left beside them.
    let stray: Vec<_> = std::fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    // A backup never overwrites.
    let err = s.fails(NOW, &["backup", "--out", "backup-0.db"]);
    assert!(err.contains("exists"), "{err}");
}

/// A process a test started: ended by SIGTERM (then SIGKILL after 10 s) when dropped,
/// so that a failing test leaves nothing running.
struct Proc(Option<std::process::Child>);

impl Proc {
    fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().unwrap()
    }

    /// SIGKILL, as a machine that dies.
    fn kill9(mut self) {
        let mut c = self.0.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            // SAFETY: a signal to the child this test started.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while c.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `redress COMMAND` (run or web) on the site, once its desk listens; the log in
/// `NAME.log`. Stopped by [`stop`] (SIGTERM, as systemd does).
fn start(s: &Site, command: &str) -> (Proc, String) {
    let log_name = format!("{command}.log");
    let log = std::fs::File::create(s.path().join(&log_name)).unwrap();
    let mut child = Proc(Some(
        bin::redress()
            .args(["--config", "redress.toml", command])
            .current_dir(s.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    ));
    let re = regex::Regex::new(r"web desk: [^\n]*?(http://127\.0\.0\.1:\d+)/").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(s.path().join(&log_name)).unwrap_or_default();
        if let Some(c) = re.captures(&text) {
            return (child, c[1].to_string());
        }
        assert!(
            child.child().try_wait().unwrap().is_none(),
            "{command} exited:\n{text}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "{command}: no desk line\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn stop(mut p: Proc) {
    let mut child = p.0.take().unwrap();
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn restore_is_refused_while_the_daemon_runs_then_works_and_keeps_the_old_database() {
    let s = web_site("");
    record(&s, 1);
    s.run(NOW, &["backup", "--out", "one-case.db"]);
    record(&s, 2);
    let db = s.path().join("data/redress.db");
    // The daemon, and the desk alone, hold the data directory: restore is refused and
    // nothing changes.
    for command in ["run", "web"] {
        let (child, _) = start(&s, command);
        let err = s.fails(NOW, &["restore", "one-case.db"]);
        assert!(
            err.contains("redress is running") && err.contains("stop it first"),
            "{command}: {err}"
        );
        stop(child);
        assert_eq!(count(&db, "cases"), 2, "{command}");
    }
    // Stopped: the restore works, and the database it replaced is kept aside, whole.
    let out = s.run(NOW, &["restore", "one-case.db", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kept = std::path::PathBuf::from(v["kept"].as_str().unwrap());
    let kept = if kept.is_absolute() {
        kept
    } else {
        s.path().join(kept)
    };
    assert!(
        kept.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("redress.db.before-restore-"),
        "{kept:?}"
    );
    assert_eq!(count(&kept, "cases"), 2);
    assert_eq!(integrity(&kept), "ok");
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(count(&db, "cases"), 1);
    assert_eq!(mode(&db), 0o600);
    let cases = s.run(NOW, &["cases"]);
    assert!(
        cases.contains("EX-2026-00001") && !cases.contains("EX-2026-00002"),
        "{cases}"
    );
    // The restored database goes on: the next case takes the next free reference.
    record(&s, 3);
    assert!(s.run(NOW, &["cases"]).contains("EX-2026-00002"));
    // And the daemon starts on it again.
    let (child, _) = start(&s, "run");
    stop(child);
}

#[test]
fn restore_refuses_a_newer_schema_and_a_damaged_or_foreign_file() {
    let s = Site::new("lgsco-code", "EX");
    record(&s, 1);
    s.run(NOW, &["backup", "--out", "b.db"]);
    let db = s.path().join("data/redress.db");
    let before = std::fs::read(&db).unwrap();
    // A newer schema (written by a later release): refused, nothing changed.
    std::fs::copy(s.path().join("b.db"), s.path().join("newer.db")).unwrap();
    let newer = rusqlite::Connection::open(s.path().join("newer.db")).unwrap();
    newer
        .pragma_update(None, "user_version", current_schema() + 1)
        .unwrap();
    drop(newer);
    let err = s.fails(NOW, &["restore", "newer.db"]);
    assert!(err.contains("newer than this redress knows"), "{err}");
    // A damaged file: refused.
    let mut bytes = std::fs::read(s.path().join("b.db")).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8192] {
        *b = 0x5a;
    }
    std::fs::write(s.path().join("damaged.db"), &bytes).unwrap();
    let err = s.fails(NOW, &["restore", "damaged.db"]);
    assert!(err.contains("damaged.db"), "{err}");
    // Some other SQLite file: refused.
    let other = rusqlite::Connection::open(s.path().join("other.db")).unwrap();
    other
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1); PRAGMA user_version = 3;")
        .unwrap();
    drop(other);
    let err = s.fails(NOW, &["restore", "other.db"]);
    assert!(err.contains("not a Redress database"), "{err}");
    let err = s.fails(NOW, &["restore", "missing.db"]);
    assert!(err.contains("missing.db"), "{err}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database was not touched"
    );
    let left: Vec<_> = std::fs::read_dir(s.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("before-restore") || n.contains("restoring"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn scheduled_backups_fire_on_their_cron_and_keep_the_newest_n() {
    let s = Site::with(
        "lgsco-code",
        "EX",
        "[[backup]]\nname = \"nightly\"\nschedule = \"0 15 2 * * *\"\ndir = \"backups\"\nkeep = 2\n",
    );
    record(&s, 1);
    // The first tick starts the schedule's clock; each day after, one backup at 02:15.
    s.run("2026-11-02T12:00:00Z", &["tick"]);
    let dir = s.path().join("backups");
    assert!(!dir.exists());
    for day in 3..=6 {
        s.run(&format!("2026-11-0{day}T09:00:00Z"), &["tick"]);
        // A second tick the same day takes none.
        s.run(&format!("2026-11-0{day}T10:00:00Z"), &["tick"]);
    }
    assert_eq!(mode(&dir), 0o700);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["redress-20261105T090000Z.db", "redress-20261106T090000Z.db"]
    );
    for f in &files {
        let p = dir.join(f);
        assert_eq!(mode(&p), 0o600);
        assert_eq!(integrity(&p), "ok");
        assert_eq!(count(&p, "cases"), 1);
    }
    // A file of another name in the folder is never removed.
    std::fs::write(dir.join("keep-me.db"), b"x").unwrap();
    s.run("2026-11-07T09:00:00Z", &["tick"]);
    assert!(dir.join("keep-me.db").exists());
    assert!(!dir.join("redress-20261105T090000Z.db").exists());
    assert!(dir.join("redress-20261107T090000Z.db").exists());
    // keep = 0 is refused when the config is read.
    let bad = Site::with(
        "lgsco-code",
        "EX",
        "[[backup]]\nschedule = \"0 15 2 * * *\"\nkeep = 0\n",
    );
    let err = bad.fails(NOW, &["cases"]);
    assert!(err.contains("keep must be at least 1"), "{err}");
    // Two schedules in one folder would remove each other's files: refused.
    let bad = Site::with(
        "lgsco-code",
        "EX",
        "[[backup]]\nname = \"a\"\nschedule = \"0 15 2 * * *\"\n[[backup]]\nname = \"b\"\nschedule = \"0 15 3 * * *\"\n",
    );
    let err = bad.fails(NOW, &["cases"]);
    assert!(
        err.contains("backups 'a' and 'b' share the folder"),
        "{err}"
    );
}

/// Rows as schema version 1 knows them: a customer, a case with its deadline, an event
/// and a sent letter, with reference EX-2026-0000N. Each later migration only adds
/// columns with defaults or rebuilds tables, so these columns hold at any version.
fn insert_v1_rows(db: &Path, n: i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!(
        "BEGIN;
         INSERT OR REPLACE INTO reference_counters (prefix, year, last) VALUES ('EX', 2026, {n});
         INSERT INTO customers (id, email, name, created_at)
             VALUES ({n}, 'old{n}@example.org', 'Old Resident {n}', '2026-10-01T09:00:00Z');
         INSERT INTO cases (id, reference, policy, kind, state, stage, customer_id, subject,
                            received_at, received_on, acknowledged_on, updated_at)
             VALUES ({n}, 'EX-2026-0000{n}', 'lgsco-code', 'complaint', 'acknowledged', 'stage1', {n},
                     'Old complaint {n}', '2026-10-01T09:00:00Z', '2026-10-01', '2026-10-01',
                     '2026-10-01T09:00:00Z');
         INSERT INTO messages (id, case_id, ingest_key, raw, from_addr, subject, received_at)
             VALUES ({n}, {n}, '<old{n}@example.org>',
                     CAST('From: old{n}@example.org' || char(13,10) || 'Subject: Old complaint {n}' || char(13,10,13,10) || 'My bins.' AS BLOB),
                     'old{n}@example.org', 'Old complaint {n}', '2026-10-01T09:00:00Z');
         INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
             VALUES ({n}, 'stage1', 'respond', 'acknowledged', '2026-10-01', '10 working days',
                     '2026-10-15', 'open');
         INSERT INTO events (case_id, at, actor, kind, detail)
             VALUES ({n}, '2026-10-01T09:00:00Z', 'system', 'case opened', 'old');
         INSERT INTO letters (case_id, kind, message_id, to_addr, subject, body_text, status,
                              created_at, sent_at)
             VALUES ({n}, 'acknowledgement', '<ex-2026-0000{n}.acknowledgement.{n}@council.example>',
                     'old{n}@example.org', 'Your complaint', 'We have your complaint.', 'sent',
                     '2026-10-01T09:00:00Z', '2026-10-01T09:05:00Z');
         COMMIT;"
    ))
    .unwrap_or_else(|e| panic!("inserting case {n}: {e}"));
}

/// Tables and their row counts.
fn row_counts(db: &Path) -> Vec<(String, i64)> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE '%search%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

#[test]
fn a_database_at_every_earlier_schema_version_upgrades_with_its_data() {
    let current = current_schema();
    for version in 1..current {
        let s = Site::new("lgsco-code", "EX");
        let db = s.path().join("data/redress.db");
        // Made as release `version` would have left it: case 1 written at version 1 and
        // carried through the migrations up to `version`, case 2 written at `version`.
        assert_eq!(s.run(NOW, &["migrate", "--to", "1"]).trim(), "1");
        insert_v1_rows(&db, 1);
        let out = s.run(NOW, &["migrate", "--to", &version.to_string()]);
        assert_eq!(out.trim(), version.to_string());
        insert_v1_rows(&db, 2);
        assert_eq!(user_version(&db), version);
        // A backup (step 1 of upgrading, by the new binary) copies it as it is: the old
        // schema, to roll back to; the database itself is not migrated by it.
        s.run(NOW, &["backup", "--out", "before-upgrade.db"]);
        assert_eq!(user_version(&db), version);
        assert_eq!(user_version(&s.path().join("before-upgrade.db")), version);
        if version == current - 1 {
            // doctor says the database is behind, and changes nothing.
            let (code, out) = doctor(s.path());
            assert_eq!(code, 0, "{out}");
            doctor_line(
                &out,
                "warn",
                "database",
                &format!("schema version {version}; this redress upgrades it to {current}"),
            );
            assert_eq!(user_version(&db), version);
        }
        let before = row_counts(&db);
        // Any command upgrades it: to the current version, every row kept.
        let cases = s.run(NOW, &["cases", "--json"]);
        assert_eq!(user_version(&db), current, "from {version}");
        let after = row_counts(&db);
        for (table, n) in &before {
            let now = after.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
            assert_eq!(now, Some(*n), "from {version}: table {table}");
        }
        assert_eq!(integrity(&db), "ok", "from {version}");
        for n in 1..=2 {
            let reference = format!("EX-2026-0000{n}");
            assert!(cases.contains(&reference), "from {version}: {cases}");
            let case = s.case(NOW, &reference);
            assert_eq!(
                case["case"]["subject"],
                format!("Old complaint {n}"),
                "from {version}"
            );
            assert_eq!(
                case["case"]["customer_email"],
                format!("old{n}@example.org"),
                "from {version}: {case}"
            );
            assert_eq!(
                case["deadlines"][0]["due"], "2026-10-15",
                "from {version}: {case}"
            );
        }
        // It works on: a new case takes the next reference, and the search finds the old.
        record(&s, 9);
        assert!(
            s.run(NOW, &["cases"]).contains("EX-2026-00003"),
            "from {version}"
        );
        let found = s.run(NOW, &["cases", "--search", "Old complaint"]);
        assert!(
            found.contains("EX-2026-00001") && found.contains("EX-2026-00002"),
            "from {version}: {found}"
        );
    }
}

#[test]
fn a_newer_database_is_refused_by_every_command() {
    let s = Site::new("lgsco-code", "EX");
    record(&s, 1);
    let db = s.path().join("data/redress.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.pragma_update(None, "user_version", current_schema() + 1)
        .unwrap();
    drop(c);
    let err = s.fails(NOW, &["cases"]);
    assert!(err.contains("newer than this redress knows"), "{err}");
}

/// GET `path` from the desk at `base`: status, body.
fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut req = agent.get(&format!("{base}{path}"));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    match req.call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("GET {path}: {e}"),
    }
}

/// The value of the sample `series` (name and labels exactly as written) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// `promtool check metrics` on the exposition: exit 0 and nothing said.
fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{text}"
    );
}

/// Wait until `f` holds (at most 30 s).
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited in vain for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn healthz_and_metrics_from_the_running_daemon_to_loopback_or_with_the_token() {
    let s = web_site("metrics_token_file = \"metrics-token\"\n");
    std::fs::write(s.path().join("metrics-token"), "s3cret-token\n").unwrap();
    // One complaint, and one message over the size limit (quarantined).
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Bins",
        "I wish to complain about my bins.",
        "m1@example.org",
    );
    let huge = format!(
        "From: big@example.org\r\nSubject: Big\r\nMessage-ID: <m2@example.org>\r\n\r\n{}\r\n",
        "x".repeat(60 * 1024 * 1024)
    );
    s.deliver("2", huge.as_bytes());
    let (child, base) = start(&s, "run");
    let mut text = String::new();
    wait_for("both messages counted", || {
        text = get(&base, "/metrics", &[]).1;
        sample(&text, "redress_messages_ingested_total") == Some(1.0)
            && sample(&text, "redress_messages_quarantined_total") == Some(1.0)
            && sample(&text, "redress_letters{status=\"sent\"}") == Some(1.0)
    });
    // A scrape is timed once answered: this one counts the one before.
    let text = get(&base, "/metrics", &[]).1;
    promtool_check(&text);
    assert_eq!(sample(&text, "redress_database_up"), Some(1.0));
    assert_eq!(
        sample(&text, "redress_schema_version"),
        Some(current_schema() as f64)
    );
    assert_eq!(
        sample(&text, "redress_cases_open{stage=\"stage1\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "redress_cases_overdue{stage=\"stage1\"}"),
        Some(0.0)
    );
    for status in ["pending", "queued", "held", "failed"] {
        assert_eq!(
            sample(&text, &format!("redress_letters{{status=\"{status}\"}}")),
            Some(0.0),
            "{status}"
        );
    }
    assert_eq!(
        sample(&text, "redress_oldest_unsent_letter_age_seconds"),
        Some(0.0)
    );
    for task in ["mailbox", "outbox", "scheduler"] {
        assert_eq!(
            sample(&text, &format!("redress_task_up{{task=\"{task}\"}}")),
            Some(1.0),
            "{task}"
        );
    }
    let polled = sample(&text, "redress_last_good_poll_timestamp_seconds").unwrap();
    assert!(
        (chrono::Utc::now().timestamp() as f64 - polled).abs() < 60.0,
        "{polled}"
    );
    // Every request is timed, the scrapes before this one too.
    let count = sample(&text, "redress_desk_request_duration_seconds_count").unwrap();
    assert!(count >= 1.0);
    assert_eq!(
        sample(
            &text,
            "redress_desk_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        Some(count)
    );
    let (status, body) = get(&base, "/healthz", &[]);
    assert_eq!(status, 200, "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["database"]["ok"], true);
    assert_eq!(h["tasks"]["mailbox"]["running"], true, "{h}");
    assert!(h["mailbox"]["last_good_pass"].is_string(), "{h}");
    assert!(h["letters"]["oldest_unsent"].is_null(), "{h}");
    // Through a proxy (a forwarding header), or with a wrong token: refused; with the
    // token from the config's file: served.
    for path in ["/metrics", "/healthz"] {
        let fwd = ("X-Forwarded-For", "203.0.113.9");
        assert_eq!(get(&base, path, &[fwd]).0, 401, "{path}");
        assert_eq!(
            get(&base, path, &[fwd, ("Authorization", "Bearer wrong")]).0,
            401,
            "{path}"
        );
        let (status, _) = get(
            &base,
            path,
            &[fwd, ("Authorization", "Bearer s3cret-token")],
        );
        assert_eq!(status, 200, "{path}");
    }
    // Neither needs a desk session, and the desk itself is still behind its sign-in.
    let (status, _) = get(&base, "/cases", &[]);
    assert_eq!(status, 303);
    stop(child);
}

#[test]
fn healthz_fails_while_a_letter_waits_and_metrics_show_it() {
    let s = web_site("");
    // Letters go by SMTP to a port where nothing listens: none can be delivered.
    let port = crate::ports::free_port();
    let config = std::fs::read_to_string(s.path().join("redress.toml"))
        .unwrap()
        .replace(
            "[outbox]\nkind = \"file\"\npath = \"outbox\"\n",
            &format!(
                "[outbox]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"plain\"\n"
            ),
        );
    assert!(config.contains("kind = \"smtp\""));
    std::fs::write(s.path().join("redress.toml"), config).unwrap();
    // A complaint recorded two hours ago: its acknowledgement has waited since.
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    s.run(
        &two_hours_ago,
        &["new", "--email", "ivy@example.org", "--via", "phone"],
    );
    let (child, base) = start(&s, "run");
    let mut text = String::new();
    wait_for("the letter rendered and queued", || {
        text = get(&base, "/metrics", &[]).1;
        sample(&text, "redress_letters{status=\"pending\"}") == Some(0.0)
    });
    promtool_check(&text);
    let age = sample(&text, "redress_oldest_unsent_letter_age_seconds").unwrap();
    assert!((7100.0..7300.0).contains(&age), "{age}");
    assert_eq!(sample(&text, "redress_letters{status=\"sent\"}"), Some(0.0));
    let (status, body) = get(&base, "/healthz", &[]);
    assert_eq!(status, 503, "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "fail");
    assert!(
        h["problems"]
            .to_string()
            .contains("waited more than an hour"),
        "{h}"
    );
    assert!(h["letters"]["age_seconds"].as_i64().unwrap() >= 7100, "{h}");
    stop(child);
}

/// `redress doctor` in `dir`: exit code and its lines.
fn doctor(dir: &Path) -> (i32, String) {
    let out = bin::redress()
        .args(["--config", "redress.toml", "doctor"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The line of check `check` with verdict `verdict` (as printed: padded).
fn doctor_line<'a>(out: &'a str, verdict: &str, check: &str, part: &str) -> &'a str {
    let head = format!("{verdict:<4}  {check:<12} ");
    out.lines()
        .find(|l| l.starts_with(&head) && l.contains(part))
        .unwrap_or_else(|| panic!("no '{head}...{part}' line in\n{out}"))
}

#[test]
fn doctor_checks_a_real_imap_and_smtp_installation_and_sends_nothing() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dc = support::Dovecot::start(d);
    let smtp_port = crate::ports::free_port();
    let mut sink = Proc(Some(
        std::process::Command::new("/usr/bin/python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_auth_sink.py"))
            .arg(smtp_port.to_string())
            .arg(d.join("sink"))
            .arg(dc.cert())
            .arg(dc.cert().with_file_name("key.pem"))
            .args(["complaints", "smtp-secret"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd"),
    ));
    let mut ready = String::new();
    std::io::BufReader::new(sink.child().stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let secret = |name: &str, text: &str, mode: u32| {
        std::fs::write(d.join(name), text).unwrap();
        std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    secret("imap-password", "secret\n", 0o600);
    secret("smtp-password", "smtp-secret\n", 0o600);
    std::fs::write(
        d.join("redress.toml"),
        format!(
            "policy = \"lgsco-code\"\n[council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\n\
             [mailbox]\nkind = \"imap\"\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nuser = \"{}\"\npassword_file = \"imap-password\"\n\
             [outbox]\nkind = \"smtp\"\nhost = \"localhost\"\nport = {smtp_port}\ntls = \"starttls\"\nca_file = \"{}\"\nuser = \"complaints\"\npassword_file = \"smtp-password\"\n",
            dc.imap_port,
            dc.cert().display(),
            dc.user,
            dc.cert().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        d.join("redress.toml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (code, out) = doctor(d);
    assert_eq!(code, 0, "{out}");
    doctor_line(&out, "ok", "config", "policy lgsco-code");
    doctor_line(&out, "ok", "permissions", "[mailbox] password_file");
    doctor_line(&out, "ok", "permissions", "[outbox] password_file");
    doctor_line(&out, "warn", "database", "none yet");
    doctor_line(&out, "ok", "imap", "folder INBOX has 0 messages");
    doctor_line(&out, "ok", "smtp", "logged in as complaints, nothing sent");
    doctor_line(&out, "skip", "token", "no OAuth2");
    // The test servers' certificates last two days: a warning for each.
    let line = doctor_line(
        &out,
        "warn",
        "certificate",
        &format!("mailbox server localhost:{}", dc.imap_port),
    );
    assert!(line.contains("(1 days from now): renew it soon"), "{line}");
    doctor_line(
        &out,
        "warn",
        "certificate",
        &format!("outbox server localhost:{smtp_port}"),
    );
    assert!(out.ends_with("0 failed, 3 warnings\n"), "{out}");
    // Nothing was sent, nothing made.
    let sent = std::fs::read_dir(d.join("sink/new"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert_eq!(sent, 0);
    assert!(!d.join("data/redress.db").exists());
    // Wrong passwords, and a secret others can read: each its own failure, exit 1.
    secret("imap-password", "wrong\n", 0o644);
    secret("smtp-password", "wrong\n", 0o600);
    let (code, out) = doctor(d);
    assert_eq!(code, 1, "{out}");
    doctor_line(&out, "FAIL", "permissions", "imap-password is 0644");
    doctor_line(&out, "FAIL", "imap", "");
    doctor_line(&out, "FAIL", "smtp", "");
    assert!(out.ends_with("3 failed, 3 warnings\n"), "{out}");
    // A config that does not load: one failed line.
    std::fs::write(d.join("redress.toml"), "policy = 3\n").unwrap();
    let (code, out) = doctor(d);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    doctor_line(&out, "FAIL", "config", "redress.toml");
    drop(sink);
}

/// Litestream's binary: `LITESTREAM`, else `litestream` on the PATH (scripts/test.sh
/// installs it from the npm registry's @flydotio/litestream-linux-x64).
fn litestream() -> std::process::Command {
    std::process::Command::new(std::env::var("LITESTREAM").unwrap_or_else(|_| "litestream".into()))
}

/// The letters table's statuses in a database file.
fn letter_statuses(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let statuses = c
        .prepare("SELECT status FROM letters ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    statuses
}

fn eml_count(s: &Site) -> usize {
    std::fs::read_dir(s.path().join("outbox"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".eml")
                    && !e
                        .as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("notice.")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn litestream_replicates_and_a_restore_after_kill_9_sends_no_letter_twice() {
    let s = web_site("");
    let db = s.path().join("data/redress.db");
    let replica = s.path().join("replica");
    // The shipped example, its two paths changed.
    let yml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/litestream.yml"),
    )
    .unwrap()
    .replace("/var/lib/redress/redress.db", db.to_str().unwrap())
    .replace("/var/backups/redress-replica", replica.to_str().unwrap());
    std::fs::write(s.path().join("litestream.yml"), yml).unwrap();
    // The database exists before Litestream starts watching it: a complaint by phone,
    // recorded now (the daemon keeps the real clock).
    s.run(
        &webkit::now(),
        &["new", "--email", "ann@example.org", "--via", "phone"],
    );
    let replicate = || {
        Proc(Some(
            litestream()
                .args(["replicate", "-config", "litestream.yml"])
                .current_dir(s.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(s.path().join("litestream.log")).unwrap())
                .spawn()
                .expect("litestream (scripts/test.sh installs it)"),
        ))
    };
    let ls = replicate();
    let (daemon, _) = start(&s, "run");
    // A complaint by mail while both run: the daemon opens a case and sends its letter.
    s.mail(
        "m1",
        "Ivy <ivy@example.org>",
        "Bins",
        "I wish to complain about my bins.",
        "ls1@example.org",
    );
    wait_for("both acknowledgements sent", || {
        letter_statuses(&db) == ["sent", "sent"] && eml_count(&s) == 2
    });
    // Wait until the replica holds that: a restore of it to the side says so.
    let mut n = 0;
    wait_for("the replica to hold the sent letters", || {
        n += 1;
        let probe = s.path().join(format!("probe-{n}.db"));
        let ok = litestream()
            .args(["restore", "-config", "litestream.yml", "-o"])
            .arg(&probe)
            .arg(&db)
            .current_dir(s.path())
            .output()
            .unwrap()
            .status
            .success();
        ok && letter_statuses(&probe) == ["sent", "sent"]
    });
    // The machine dies: both killed at once, and the data disk lost.
    daemon.kill9();
    ls.kill9();
    for f in ["redress.db", "redress.db-wal", "redress.db-shm"] {
        let _ = std::fs::remove_file(s.path().join("data").join(f));
    }
    let _ = std::fs::remove_dir_all(s.path().join("data/.redress.db-litestream"));
    // Restored from the replica: whole, and the daemon starts on it.
    let out = litestream()
        .args(["restore", "-config", "litestream.yml"])
        .arg(&db)
        .current_dir(s.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(integrity(&db), "ok");
    assert_eq!(count(&db, "cases"), 2);
    let ls = replicate();
    let (daemon, base) = start(&s, "run");
    // It goes on: new mail makes a new case and one letter; none of the old ones again.
    s.mail(
        "m2",
        "Joe <joe@example.org>",
        "Potholes",
        "I wish to complain about potholes.",
        "ls2@example.org",
    );
    wait_for("the new letter sent", || {
        letter_statuses(&db).len() == 3 && eml_count(&s) == 3
    });
    std::thread::sleep(std::time::Duration::from_secs(6)); // an outbox pass or more
    assert_eq!(eml_count(&s), 3, "a letter went twice");
    assert_eq!(letter_statuses(&db), ["sent", "sent", "sent"]);
    let (status, _) = get(&base, "/healthz", &[]);
    assert_eq!(status, 200);
    stop(daemon);
    drop(ls);
}

/// `curl` with the test CA: status line code, headers and body of `url`.
fn curl(ca: &Path, url: &str, extra: &[&str]) -> (u16, String, String) {
    let out = std::process::Command::new("curl")
        .args(["-s", "-i", "--max-time", "10", "--cacert"])
        .arg(ca)
        .args(extra)
        .arg(url)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (code, head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn the_nginx_example_serves_the_desk_over_tls_and_keeps_metrics_off_it() {
    let s = web_site("public_url = \"https://127.0.0.1\"\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let (desk, base) = start(&s, "web");
    let desk_port = base.rsplit(':').next().unwrap().to_string();
    let dir = s.path().join("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let (cert, key) = support::make_cert(&dir, support::ServerCert::Leaf);
    let free = crate::ports::free_port;
    let (http, https) = (free(), free());
    let site = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/nginx-redress.conf"),
    )
    .unwrap()
    .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
    .replace(
        "listen 443 ssl http2;",
        &format!("listen 127.0.0.1:{https} ssl http2;"),
    )
    .replace(
        "/etc/ssl/certs/complaints.example.gov.uk.pem",
        cert.to_str().unwrap(),
    )
    .replace(
        "/etc/ssl/private/complaints.example.gov.uk.key",
        key.to_str().unwrap(),
    )
    .replace("127.0.0.1:8080", &format!("127.0.0.1:{desk_port}"))
    .replace("complaints.example.gov.uk", "127.0.0.1");
    assert!(site.contains(&format!("127.0.0.1:{desk_port}")), "{site}");
    let d = dir.display();
    // SAFETY: geteuid only reads the process's user id.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;\n"
    } else {
        ""
    };
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "{user}daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/tmp/body;\n proxy_temp_path {d}/tmp/proxy;\n\
             fastcgi_temp_path {d}/tmp/fcgi;\n uwsgi_temp_path {d}/tmp/uwsgi;\n scgi_temp_path {d}/tmp/scgi;\n{site}\n}}\n"
        ),
    )
    .unwrap();
    let nginx = Proc(Some(
        std::process::Command::new("nginx")
            .args(["-c"])
            .arg(dir.join("nginx.conf"))
            .arg("-p")
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx (Debian's nginx; scripts/test.sh installs it)"),
    ));
    let url = |path: &str| format!("https://127.0.0.1:{https}{path}");
    wait_for("nginx listening", || {
        std::net::TcpStream::connect(("127.0.0.1", https)).is_ok()
    });
    // The desk through TLS, with HSTS; its session cookie is Secure (public_url https).
    let (code, head, body) = curl(&cert, &url("/sign-in"), &[]);
    assert_eq!(code, 200, "{head}{body}");
    assert!(body.contains("Sign in"), "{body}");
    assert!(
        head.contains("strict-transport-security: max-age=63072000"),
        "{head}"
    );
    assert!(
        head.contains("set-cookie: redress_sign_in=") && head.contains("; secure"),
        "{head}"
    );
    // Plain HTTP is sent to https.
    let (code, head, _) = curl(&cert, &format!("http://127.0.0.1:{http}/cases"), &[]);
    assert_eq!(code, 301, "{head}");
    assert!(head.contains("location: https://127.0.0.1/cases"), "{head}");
    // Health and metrics are not served through the proxy.
    for path in ["/metrics", "/healthz"] {
        assert_eq!(curl(&cert, &url(path), &[]).0, 404, "{path}");
    }
    // And were they let through, the forwarding header nginx adds would refuse them.
    let (code, _, _) = curl(
        &cert,
        &format!("{base}/metrics"),
        &["-H", "X-Forwarded-For: 203.0.113.9"],
    );
    assert_eq!(code, 401);
    // A client cannot name itself to the desk through the proxy's SSO header.
    let (code, _, body) = curl(
        &cert,
        &url("/"),
        &["-H", "X-Forwarded-Email: admin@council.example"],
    );
    assert_ne!(code, 200, "{body}");
    // The client's address is the one nginx saw (here 127.0.0.2: curl binds it), not
    // one the client wrote in X-Forwarded-For, nor the proxy's own (127.0.0.1): the
    // sign-in throttle and its record keep it.
    let from = ["--interface", "127.0.0.2"];
    let (_, head, body) = curl(&cert, &url("/sign-in"), &from);
    assert!(head.contains("set-cookie: redress_sign_in="), "{head}");
    let token = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_string();
    let cookie = format!("Cookie: redress_sign_in={token}");
    let (code, _, _) = curl(
        &cert,
        &url("/sign-in"),
        &[
            "--interface",
            "127.0.0.2",
            "-H",
            &cookie,
            "-H",
            "X-Forwarded-For: 203.0.113.9",
            "--data-urlencode",
            "account=admin",
            "--data-urlencode",
            "password=not the password",
            "--data-urlencode",
            &format!("csrf={token}"),
        ],
    );
    assert_eq!(code, 401);
    let address: String = s
        .db()
        .query_row(
            "SELECT address FROM sign_in_attempts ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(address, "127.0.0.2");
    drop(nginx); // SIGTERM: nginx stops its workers too
    stop(desk);
}
