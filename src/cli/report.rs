//! `redress report`: the performance figures for a month, quarter or financial year.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::Ctx;
use crate::report::{self, Period};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
    Pdf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// 2026-10 (a month), 2026-Q3 (calendar quarter, July-September), 2026-27 (financial
    /// year, April 2026-March 2027) or 2026-27-Q1 (financial quarter, April-June 2026).
    #[arg(long)]
    pub period: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write here instead of standard output (needed for PDF on a terminal).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: ReportArgs) -> Result<ExitCode> {
    let period: Period = a.period.parse()?;
    let format = if a.json { Format::Json } else { a.format };
    if format == Format::Pdf && a.out.is_none() && std::io::stdout().is_terminal() {
        bail!("a PDF report needs --out FILE (or redirect standard output to a file)");
    }
    let store = ctx.store()?;
    let show_progress = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut progress = |step: &str| {
        if show_progress {
            eprintln!(
                "report {}: {step}... ({:.1} s)",
                period.label,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let mut r = report::build_with_progress(&store, &ctx.config, &period, &mut progress)?;
    r.generated_at = Some(crate::time::stamp(ctx.now));
    let bytes = match format {
        Format::Text => report::to_text(&r).into_bytes(),
        Format::Csv => report::to_csv(&r).into_bytes(),
        Format::Json => (report::to_json(&r) + "\n").into_bytes(),
        Format::Pdf => report::to_pdf(&r)?,
    };
    match &a.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("writing the report to {}", path.display()))?;
            eprintln!("report {} written to {}", period.label, path.display());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
