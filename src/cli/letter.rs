//! `redress letter preview`: a letter as it would be sent now, written to a PDF file,
//! without queueing or sending anything.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use super::Ctx;
use crate::letter::Kind;
use crate::outbox;

#[derive(Debug, Subcommand)]
pub enum LetterCmd {
    /// Render a letter for a case to a PDF file (nothing is sent or recorded).
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Case reference, e.g. BNES-2026-00042.
    pub reference: String,
    /// Letter kind (template name), e.g. acknowledgement, stage-response.
    #[arg(long = "letter", value_name = "KIND")]
    pub kind: String,
    /// The letter's facts as a JSON object, e.g. '{"outcome": "upheld", "findings": "..."}'.
    #[arg(long, value_name = "JSON")]
    pub data: Option<String>,
    /// Where to write the PDF.
    #[arg(long, value_name = "FILE.pdf")]
    pub out: PathBuf,
    /// Also print the subject and the plain-text email body.
    #[arg(long)]
    pub text: bool,
}

pub fn run(ctx: &Ctx, cmd: LetterCmd) -> Result<ExitCode> {
    match cmd {
        LetterCmd::Preview(a) => preview(ctx, a),
    }
}

fn preview(ctx: &Ctx, a: PreviewArgs) -> Result<ExitCode> {
    let data: serde_json::Value = match &a.data {
        Some(d) => serde_json::from_str(d).context("--data is not a JSON object")?,
        None => serde_json::json!({}),
    };
    let store = ctx.store()?;
    let case = store.find_case(&a.reference)?;
    let templates = outbox::templates(&ctx.config)?;
    let kind: Kind = a.kind.parse()?;
    let lctx = outbox::case_context(&store, &ctx.config, case.id, kind, false, data, ctx.now)?;
    let r = templates.render(kind, &lctx)?;
    std::fs::write(&a.out, &r.pdf).with_context(|| format!("writing {}", a.out.display()))?;
    if a.text {
        // The letter quotes the sender's subject and name: escaped like any sender text.
        println!(
            "Subject: {}\n\n{}",
            super::esc(&r.subject),
            crate::escape::escape_bytes(r.text.as_bytes())
        );
    }
    println!(
        "wrote {} ({} bytes): {}",
        a.out.display(),
        r.pdf.len(),
        super::esc(&r.subject)
    );
    Ok(ExitCode::SUCCESS)
}
