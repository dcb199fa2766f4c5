//! Shared harness for the letters and outbox tests: a real SMTP server on a free
//! loopback port (aiosmtpd, tests/support/smtp_sink.py), a config file in a fresh temp
//! dir, cases made through the library, and the real binary.
#![allow(dead_code)]

pub use crate::ports::free_port;
use chrono::{DateTime, Utc};
use std::io::BufRead;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redress::calendar::Calendar;
use redress::case::Case;
use redress::case::Kind;
use redress::config::Config;
use redress::letter::Kind as LetterKind;
use redress::store::{LetterRequest, NewCase, Store};

pub const PYTHON: &str = "/usr/bin/python3";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A real SMTP server storing what it accepts in a Maildir; stopped on drop.
pub struct Sink {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Sink {
    pub fn start(port: u16, maildir: &Path, reject: &[&str]) -> Sink {
        Sink::start_with(port, maildir, reject, None)
    }

    /// [`Sink::start`], speaking implicit TLS with `tls` = (certificate, key) if given.
    pub fn start_with(
        port: u16,
        maildir: &Path,
        reject: &[&str],
        tls: Option<(&Path, &Path)>,
    ) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut cmd = Command::new(PYTHON);
        cmd.arg(&script).arg(port.to_string()).arg(maildir);
        for r in reject {
            cmd.arg("--reject").arg(r);
        }
        if let Some((cert, key)) = tls {
            cmd.arg("--tls").arg(cert).arg(key);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP sink (apt-get install -y python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "SMTP sink did not start");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "SMTP sink not listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink {
            child,
            port,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        messages_in(&self.maildir)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn messages_in(maildir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(maildir.join(sub)) {
            let mut paths: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for p in paths {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out
}

/// A config in `dir` for Bath & North East Somerset; `outbox` is the TOML of the
/// [outbox] table body, `extra` anything appended.
pub fn write_config(dir: &Path, outbox: &str, extra: &str) -> PathBuf {
    let path = dir.join("redress.toml");
    std::fs::write(
        &path,
        format!(
            r#"policy = "bath-and-north-east-somerset"
data_dir = "data"

[council]
name = "Bath & North East Somerset Council"
address = ["Lewis House", "Manvers Street", "Bath", "BA1 1JG"]
phone = "01225 394041"
web = "https://www.bathnes.gov.uk/complaints"
email = "complaints@bathnes.example.gov.uk"
signatory = "Customer Feedback Team"
reference_prefix = "BNES"

[mailbox]
kind = "maildir"
path = "maildir"

[outbox]
{outbox}

{extra}
"#
        ),
    )
    .unwrap();
    path
}

/// A world in `dir` whose outbox is a real SMTP sink on a free port, answering 550 for
/// the addresses in `reject`.
pub fn smtp_world(dir: &Path, reject: &[&str]) -> (Sink, World) {
    let port = free_port();
    let sink = Sink::start(port, &dir.join("sink"), reject);
    (sink, world(write_config(dir, &smtp_outbox(port), "")))
}

pub fn smtp_outbox(port: u16) -> String {
    format!("kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"plain\"")
}

pub fn file_outbox() -> String {
    "kind = \"file\"\npath = \"outbox\"".to_string()
}

pub struct World {
    pub config_path: PathBuf,
    pub config: Config,
    pub store: Store,
}

pub fn world(config_path: PathBuf) -> World {
    let config = Config::load(Some(&config_path)).unwrap();
    let store = Store::open(&config.database_path()).unwrap();
    World {
        config_path,
        config,
        store,
    }
}

impl World {
    pub fn complaint(&mut self, email: &str, name: Option<&str>, received: &str) -> Case {
        self.store
            .create_case(
                &NewCase {
                    kind: Kind::Complaint,
                    email: Some(email),
                    address: &[],
                    via: None,
                    name,
                    subject: Some("Bins not collected on Acacia Avenue"),
                    service: Some("Waste and Recycling"),
                    received_at: at(received),
                },
                &self.config.policy,
                self.config.reference_prefix(),
                &Calendar::new(),
                "test",
            )
            .unwrap()
    }

    /// An automatic acknowledgement asked for on `case` at `when`, threaded on nothing.
    pub fn acknowledge(&mut self, case: &Case, when: &str) -> i64 {
        self.request(
            case,
            "acknowledgement",
            serde_json::json!({}),
            true,
            None,
            None,
            when,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &mut self,
        case: &Case,
        kind: &str,
        data: serde_json::Value,
        automatic: bool,
        in_reply_to: Option<&str>,
        refs: Option<&str>,
        when: &str,
    ) -> i64 {
        let domain = self.config.mail_domain().to_string();
        // A kind this build does not know cannot be asked for: a row naming one (written
        // by hand, or by another version) is made by renaming a letter's kind.
        let known = LetterKind::parse(kind);
        let id = self
            .store
            .request_letter(&LetterRequest {
                case_id: case.id,
                reference: &case.reference,
                kind: known.unwrap_or(LetterKind::Acknowledgement),
                to_addr: None,
                in_reply_to,
                references: refs,
                data,
                automatic,
                actor: "test",
                at: at(when),
                domain: &domain,
            })
            .unwrap();
        if known.is_none() {
            self.db()
                .execute(
                    "UPDATE letters SET kind = ?2 WHERE id = ?1",
                    rusqlite::params![id, kind],
                )
                .unwrap();
        }
        id
    }

    /// A second connection on the world's database file, to set up rows directly.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.store.path().expect("a file database")).unwrap()
    }

    pub fn set_customer(&self, email: &str, column: &str, value: &str) {
        self.db()
            .execute(
                &format!("UPDATE customers SET {column} = ?2 WHERE email = ?1"),
                [email, value],
            )
            .unwrap();
    }

    pub fn status(&self, id: i64) -> String {
        self.store.letter(id).unwrap().status.to_string()
    }

    pub fn events(&self, case: &Case) -> Vec<(String, String)> {
        self.store
            .events(case.id)
            .unwrap()
            .into_iter()
            .map(|e| (e.kind.to_string(), e.detail.unwrap_or_default()))
            .collect()
    }
}

#[allow(unused_imports)]
pub use crate::bin::{run as redress, Run};

/// pdftotext's reading of a PDF file.
pub fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install -y poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `qpdf --check` passes.
pub fn assert_valid_pdf(path: &Path) {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(path)
        .output()
        .expect("qpdf (apt-get install -y qpdf)");
    assert!(
        out.status.success(),
        "qpdf --check {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Collapse runs of whitespace, so text wrapped across PDF lines can be searched.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
