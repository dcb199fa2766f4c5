//! `redress templates check`: render every letter template for every built-in policy
//! preset with realistic sample facts, so a mistake is found now and not at 3 a.m.
//! when a letter is due.

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, Ctx};
use crate::letter::{self, Kind, Templates};

#[derive(Debug, Subcommand)]
pub enum TemplatesCmd {
    /// Check every template renders for every preset; exit 1 with file and line if not.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Template folder to check (default: the config's [letters] templates, else the built-in ones).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, cmd: TemplatesCmd) -> Result<ExitCode> {
    match cmd {
        TemplatesCmd::Check(a) => check(ctx, a),
    }
}

fn check(ctx: &Ctx, a: CheckArgs) -> Result<ExitCode> {
    let dir = a.dir.or_else(|| ctx.config.letters.templates.clone());
    if let Some(d) = &dir {
        if !d.is_dir() {
            anyhow::bail!("template folder {} does not exist", d.display());
        }
    }
    let templates = Templates::load(dir.as_deref())?;
    let problems = letter::check(&templates, &ctx.config.council);
    if a.json {
        print_json(&problems)?;
    } else if problems.is_empty() {
        println!(
            "ok: {} templates render for all {} built-in presets{}",
            Kind::ALL.len(),
            crate::policy::Policies::builtin_names().count(),
            dir.map(|d| format!(" (with overrides from {})", d.display()))
                .unwrap_or_default()
        );
    } else {
        for p in &problems {
            let under = if p.policy.is_empty() {
                String::new()
            } else {
                format!(" (rendering {} for {})", p.kind, p.policy)
            };
            println!("{}{under}", p.error);
        }
        eprintln!(
            "redress: error: {} template problem(s) found",
            problems.len()
        );
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
