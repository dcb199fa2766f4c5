//! `redress export`: everything held about one person, for a subject access request.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, Ctx};
use crate::subject_access;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The person's email address.
    #[arg(long)]
    pub email: String,
    /// A new folder to write into: created readable by you only (0700); an existing
    /// folder, file or symbolic link there is refused.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let s = subject_access::export(&store, &a.email, &a.out, ctx.now)?;
    if a.json {
        print_json(&s)?;
    } else {
        println!(
            "exported to {}: {} cases, {} messages, {} attachments, {} letters ({} without a PDF yet), {} events, {} quarantined; index in index.json",
            s.dir.display(),
            s.cases,
            s.messages,
            s.attachments,
            s.letters,
            s.letters_without_pdf,
            s.events,
            s.quarantined
        );
    }
    Ok(ExitCode::SUCCESS)
}
