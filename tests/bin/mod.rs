//! The one way tests run the `redress` binary: no config, officer or log settings
//! inherited from the environment, and the output kept as text.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The binary cargo built for these tests.
pub fn path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_redress"))
}

/// A command for the binary with nothing inherited that would change what it does.
pub fn redress() -> Command {
    let mut c = Command::new(path());
    c.env_remove("REDRESS_CONFIG")
        .env_remove("REDRESS_OFFICER")
        .env_remove("REDRESS_LOG")
        .env_remove("RUST_LOG");
    c
}

/// What a run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `redress ARGS` in `dir`, to completion.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    redress()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run redress")
        .into()
}

/// `redress [pre...] letter preview REFERENCE --letter KIND` in `dir`, and the PDF's text
/// as pdftotext reads it.
pub fn preview_text(dir: &Path, pre: &[&str], reference: &str, kind: &str) -> String {
    let pdf = dir.join(format!("preview-{reference}-{kind}.pdf"));
    let mut args: Vec<&str> = pre.to_vec();
    let out = pdf.to_str().expect("a UTF-8 temp path");
    args.extend([
        "letter", "preview", reference, "--letter", kind, "--out", out,
    ]);
    let r = run(dir, &args);
    assert_eq!(r.code, 0, "letter preview: {}", r.stderr);
    pdf_text(&pdf)
}

/// A PDF file's text as pdftotext reads it.
pub fn pdf_text(pdf: &Path) -> String {
    let text = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(text.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&text.stdout).into_owned()
}
