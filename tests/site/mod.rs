//! A council site for end-to-end tests: a config, a Maildir in, a file outbox out,
//! and the real `redress` binary run with `--now` in a fresh temporary directory.
#![allow(dead_code)]

use mail_parser::{MessageParser, MimeHeaders};
use std::path::{Path, PathBuf};

pub struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    pub fn new(policy: &str, prefix: &str) -> Site {
        Site::with(policy, prefix, "")
    }

    /// A site whose config has `extra` TOML appended (whole tables, e.g. `[inbound]`).
    pub fn with(policy: &str, prefix: &str, extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("maildir/new")).unwrap();
        std::fs::write(
            dir.path().join("redress.toml"),
            format!(
                "policy = \"{policy}\"\n\
                 [council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\nreference_prefix = \"{prefix}\"\n\
                 phone = \"01225 000000\"\nweb = \"https://council.example\"\n\
                 [mailbox]\nkind = \"maildir\"\npath = \"maildir\"\n[outbox]\nkind = \"file\"\npath = \"outbox\"\n\
                 [[staff]]\nname = \"ann\"\nemail = \"ann@council.example\"\nmanager = \"bob\"\n\
                 [[staff]]\nname = \"bob\"\nemail = \"bob@council.example\"\nmanager = \"cat\"\n\
                 [[staff]]\nname = \"cat\"\nemail = \"cat@council.example\"\n\
                 [[digest]]\nname = \"weekday\"\nschedule = \"0 0 8 * * Mon-Fri\"\nto = [\"bob@council.example\"]\n{extra}"
            ),
        )
        .unwrap();
        Site { dir }
    }

    /// Bath & NES case BNES-2026-00001 from Ivy <ivy@example.org> about graffiti,
    /// received Mon 2 Nov 2026 and answered (upheld) by ann on Tue 3 Nov: the customer's
    /// reply window is open, so a reply asking for a review would escalate it.
    pub fn bath_case_answered(extra: &str) -> Site {
        let s = Site::with("bath-and-north-east-somerset", "BNES", extra);
        s.mail(
            "1",
            "Ivy <ivy@example.org>",
            "Graffiti",
            "I wish to complain about graffiti.",
            "t1@example.org",
        );
        s.run("2026-11-02T09:00:00Z", &["poll"]);
        s.respond(
            "2026-11-03T09:00:00Z",
            "BNES-2026-00001",
            "upheld",
            "It has been cleaned.",
        );
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary run at `now` with the site's config.
    fn output(&self, now: &str, args: &[&str]) -> std::process::Output {
        crate::bin::redress()
            .args(["--config", "redress.toml", "--now", now])
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    pub fn run(&self, now: &str, args: &[&str]) -> String {
        let out = self.output(now, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "redress {args:?} at {now} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            stdout
        );
        stdout
    }

    pub fn fails(&self, now: &str, args: &[&str]) -> String {
        let out = self.output(now, args);
        assert!(
            !out.status.success(),
            "redress {args:?} should have been refused"
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        err
    }

    /// Officer ann sends the stage response on `reference` at `now`: `outcome`, `text`.
    pub fn respond(&self, now: &str, reference: &str, outcome: &str, text: &str) -> String {
        std::fs::write(self.path().join("response.txt"), text).unwrap();
        self.run(
            now,
            &[
                "reply",
                reference,
                "--outcome",
                outcome,
                "--body-file",
                "response.txt",
                "--by",
                "ann",
            ],
        )
    }

    pub fn mail(&self, name: &str, from: &str, subject: &str, body: &str, message_id: &str) {
        let raw = format!("From: {from}\r\nTo: complaints@council.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n{body}\r\n");
        std::fs::write(self.path().join("maildir/new").join(name), raw).unwrap();
    }

    /// Mail one message (as file "1") and poll it in at `now`: the reference of the
    /// case it opened, the site's only one.
    pub fn mailed_case(
        &self,
        now: &str,
        from: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> String {
        self.mail("1", from, subject, body, message_id);
        self.run(now, &["poll"]);
        self.only_reference()
    }

    /// The reference of the site's only case.
    pub fn only_reference(&self) -> String {
        self.db()
            .query_row("SELECT reference FROM cases", [], |r| r.get(0))
            .unwrap()
    }

    /// Drop a raw message into the Maildir, as a delivery agent would.
    pub fn deliver(&self, name: &str, raw: &[u8]) {
        std::fs::write(self.path().join("maildir/new").join(name), raw).unwrap();
    }

    /// Open the site's database (read what the binary wrote).
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path().join("data/redress.db")).unwrap()
    }

    pub fn case(&self, now: &str, reference: &str) -> serde_json::Value {
        serde_json::from_str(&self.run(now, &["case", reference, "--json"])).unwrap()
    }

    pub fn due(&self, now: &str, reference: &str, stage: &str, kind: &str) -> String {
        let v = self.case(now, reference);
        v["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["stage"] == stage && d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {stage} {kind} deadline in {v}"))["due"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Letters in the outbox: (subject, plain text, has a PDF attachment), by file name.
    pub fn letters(&self) -> Vec<(String, String, bool)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.path().join("outbox"))
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    // Staff mail (alerts, digests) shares the outbox; letters are the rest.
                    .filter(|p| {
                        let n = p.file_name().unwrap().to_string_lossy();
                        !n.starts_with("notice.") && !n.starts_with("digest.")
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| {
                let raw = std::fs::read(f).unwrap();
                let m = MessageParser::default().parse(&raw).unwrap();
                let pdf = m
                    .attachments()
                    .any(|a| a.attachment_name().is_some_and(|n| n.ends_with(".pdf")));
                (
                    m.subject().unwrap_or("").to_string(),
                    m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
                    pdf,
                )
            })
            .collect()
    }

    pub fn letter_with(&self, subject_part: &str) -> (String, String, bool) {
        self.letters()
            .into_iter()
            .find(|(s, _, _)| s.contains(subject_part))
            .unwrap_or_else(|| {
                panic!(
                    "no letter with '{subject_part}' among {:?}",
                    self.letters()
                        .iter()
                        .map(|l| l.0.clone())
                        .collect::<Vec<_>>()
                )
            })
    }
}
