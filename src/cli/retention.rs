//! `redress retention`: erase the personal data of closed cases past their destruction
//! date, keeping the anonymised record; `--dry-run` lists them and changes nothing.

use anyhow::Result;
use clap::Args;
use std::io::IsTerminal;
use std::process::ExitCode;

use super::{print_json, print_table, Ctx};
use crate::retention;

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// List the cases that would be erased, and erase nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who is running it (goes in each case's event log as officer:NAME).
    #[arg(long = "by", alias = "officer")]
    pub officer: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: RetentionArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let plan = retention::plan(&store, &ctx.config, ctx.today())?;
    if a.dry_run {
        if a.json {
            print_json(&serde_json::json!({"dry_run": true, "plan": plan}))?;
        } else {
            let rows: Vec<Vec<String>> = plan
                .due
                .iter()
                .map(|d| {
                    vec![
                        d.reference.clone(),
                        d.closed_on.to_string(),
                        d.destroy_on.to_string(),
                        d.rule.clone(),
                    ]
                })
                .collect();
            print_table(&["REFERENCE", "CLOSED", "DESTROY ON", "RULE"], &rows);
            println!(
                "{} cases due for erasure as of {}; {} closed cases kept for now.",
                plan.due.len(),
                plan.today,
                plan.not_yet_due
            );
            if let Some(before) = &plan.unattached_before {
                println!(
                    "{} messages on no case and {} quarantined, received before {before}, due for erasure.",
                    plan.unattached_messages, plan.quarantined
                );
            }
            println!("Dry run: nothing erased.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let actor = match &a.officer {
        Some(o) => format!("officer:{o}"),
        None => "cli".to_string(),
    };
    let show = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show {
            eprintln!("retention: {done} of {total} cases erased");
        }
    };
    let n = retention::run(&mut store, &plan, ctx.now, &actor, &mut progress)?;
    if a.json {
        print_json(&serde_json::json!({"dry_run": false, "erased": n, "due": plan.due}))?;
    } else {
        println!(
            "erased {} cases: {} messages, {} attachments, {} letters, {} customers anonymised, {} event details redacted; and {} messages on no case, {} quarantined",
            n.cases, n.messages, n.attachments, n.letters, n.customers, n.event_details, n.unattached_messages, n.quarantined
        );
        if n.enclosures > 0 {
            println!("and {} files enclosed with their letters", n.enclosures);
        }
    }
    Ok(ExitCode::SUCCESS)
}
