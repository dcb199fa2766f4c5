//! `redress policy` and `redress deadline`: the council's promises, read as a person would.

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{parse_date, print_json, print_table, Ctx};
use crate::calendar::show;
use crate::deadline::{counts_working_days, feedback_deadlines, stage_deadlines, Facts};
use crate::policy::{self, Policies, Policy, RetentionBasis, RetentionScope};

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Validate a preset file; on error, name the line.
    Check { file: PathBuf },
    /// Print a council's deadline table.
    Show {
        /// Built-in preset name (see `policy list`) or a path to a .toml preset.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List the built-in presets.
    List,
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Built-in preset name or path; defaults to the configured policy.
    #[arg(long)]
    pub policy: Option<String>,
    /// The day the complaint was received (day 0).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// When it was acknowledged (default: the day of receipt, as Redress acknowledges at once).
    #[arg(long, value_parser = parse_date)]
    pub acknowledged: Option<NaiveDate>,
    /// When our response went out (shows the customer's reply window and survey).
    #[arg(long, value_parser = parse_date)]
    pub responded: Option<NaiveDate>,
    /// When the customer asked for the next stage (shows that stage's deadlines).
    #[arg(long, value_parser = parse_date)]
    pub escalation: Option<NaiveDate>,
    /// When the next stage's investigation started (after the decision to investigate).
    #[arg(long, value_parser = parse_date)]
    pub investigation: Option<NaiveDate>,
    /// Also list the non-working days each count stepped over.
    #[arg(long)]
    pub explain: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn check(file: &std::path::Path) -> Result<ExitCode> {
    let p = policy::parse(file)?;
    println!(
        "{}: ok ({}, {} stage{})",
        file.display(),
        p.council,
        p.stages.len(),
        if p.stages.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(_ctx: &Ctx, cmd: PolicyCmd) -> Result<ExitCode> {
    match cmd {
        PolicyCmd::Check { file } => check(&file),
        PolicyCmd::List => {
            for name in Policies::builtin_names() {
                let p = Policy::load(name)?;
                println!("{name:<30} {}", p.preset.council);
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCmd::Show { name, json } => {
            let p = Policy::load(&name)?;
            if json {
                print_json(&serde_json::json!({
                    "name": p.name,
                    "preset": p.preset,
                    "table": p.preset.table(),
                }))?;
                return Ok(ExitCode::SUCCESS);
            }
            show_policy(&p);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_policy(p: &Policy) {
    let pr = &p.preset;
    println!("{} ({})", pr.council, p.name);
    println!("Source: {}", pr.source);
    if pr.day_zero_rule {
        println!("Counting: the day of receipt (or of our reply) is day 0; the next whole working day is day 1.");
    }
    println!("Working days: Monday to Friday, except bank holidays in England and Wales and council closure days.");
    println!();
    let rows: Vec<Vec<String>> = pr
        .table()
        .into_iter()
        .map(|r| vec![r.stage, r.what, r.rule])
        .collect();
    print_table(&["STAGE", "PROMISE", "RULE"], &rows);
    println!();
    println!("Outcomes: {}", pr.outcomes.join("; "));
    println!(
        "{} ({}): {}",
        plural_heading(&pr.category_label),
        pr.categories.len(),
        pr.categories.join("; ")
    );
    if !pr.restrictions.is_empty() {
        println!("Contact restrictions: {}", pr.restrictions.join(", "));
    }
    if pr.behaviour_procedure {
        println!(
            "Restrictions follow the Monitoring Officer's procedure: referral, investigation letter, outcome letter inviting representations, decision (immediately only in exceptional circumstances, with the reason)."
        );
    }
    if let Some(who) = &pr.director_investigator {
        println!(
            "Complaints about a director or senior manager: {who} chooses the investigator; not assigned until then."
        );
    }
    if pr.pause_allowed {
        println!("Deadlines may be paused by an officer, with a reason.");
    }
    if let Some(a) = &pr.approval {
        let mut which: Vec<String> = a.outcomes.iter().map(|o| format!("outcome {o}")).collect();
        if a.remedy {
            which.push("a remedy offered".into());
        }
        if a.serious {
            which.push("marked serious".into());
        }
        println!(
            "Approval before sending: responses with {} wait for {} (`redress approve REF`); the response deadline keeps counting.",
            which.join(", "),
            a.by
        );
    }
    let ret: Vec<String> = pr
        .retention
        .iter()
        .map(|r| {
            let who = match r.applies_to {
                RetentionScope::Any => "all cases",
                RetentionScope::ClosedAtFirstStage => "closed at the first stage",
                RetentionScope::ReachedSecondStage => "reached the second stage",
                RetentionScope::ReferredToOmbudsman => "referred to the Ombudsman",
            };
            let how = match r.basis {
                RetentionBasis::EndOfCloseYear => format!("current year + {} years", r.years),
                RetentionBasis::CloseDate => format!("{} years after closing", r.years),
            };
            format!("{who}: {how}")
        })
        .collect();
    println!("Retention: {}", ret.join("; "));
    if !pr.exclusions.is_empty() {
        println!();
        println!("Not covered (`redress exclude REF ID` sends the redirect letter):");
        let rows: Vec<Vec<String>> = pr
            .exclusions
            .iter()
            .map(|x| vec![x.id.clone(), x.covers.clone(), x.where_.clone()])
            .collect();
        print_table(&["ID", "NOT COVERED", "GO TO"], &rows);
    }
}

/// A category label as a list heading: "category" -> "Categories", "reason" -> "Reasons".
fn plural_heading(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let plural = match s.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{stem}ies"),
        _ if s.ends_with(['s', 'x']) || s.ends_with("ch") || s.ends_with("sh") => format!("{s}es"),
        _ => format!("{s}s"),
    };
    let mut c = plural.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub fn deadline(ctx: &Ctx, a: DeadlineArgs) -> Result<ExitCode> {
    let policy = match &a.policy {
        Some(name) => Policy::load(name)?,
        None => ctx.config.policy.clone(),
    };
    let cal = &ctx.config.calendar;
    let stages = &policy.preset.stages;
    let mut dues = Vec::new();
    let mut pending = Vec::new();
    let first = Facts {
        received: Some(a.from),
        acknowledged: Some(a.acknowledged.unwrap_or(a.from)),
        responded: a.responded,
        ..Facts::default()
    };
    dues.extend(stage_deadlines(&policy, &stages[0].id, &first, cal));
    for s in stages.iter().skip(1) {
        match a.escalation {
            Some(esc) => {
                let later = Facts {
                    received: Some(a.from),
                    // Redress acknowledges an escalation request the day it arrives.
                    acknowledged: Some(esc),
                    escalation_requested: Some(esc),
                    investigation_started: a.investigation,
                    responded: None,
                };
                dues.extend(stage_deadlines(&policy, &s.id, &later, cal));
                if s.decide.is_some() && a.investigation.is_none() {
                    pending.push(format!(
                        "{}: respond {} from the start of the investigation (give --investigation DATE)",
                        s.id,
                        s.respond.length()
                    ));
                }
            }
            None => {
                pending.push(format!(
                    "{}: deadlines count from the customer's escalation request (give --escalation DATE)",
                    s.id
                ));
            }
        }
        // Only the next stage can be worked out from one escalation date.
        if a.escalation.is_some() {
            break;
        }
    }
    // A stage the council may start a complaint at from receipt (Stockton's stage 1 for
    // complaints outside the early-resolution criteria): the other path, counted from
    // the day of receipt.
    let mut direct = Vec::new();
    for s in stages.iter().skip(1) {
        match s.council_entry {
            Some(policy::CouncilEntry::Receipt) => {
                let at_once = Facts {
                    received: Some(a.from),
                    acknowledged: Some(a.acknowledged.unwrap_or(a.from)),
                    escalation_requested: Some(a.from),
                    ..Facts::default()
                };
                direct.extend(stage_deadlines(&policy, &s.id, &at_once, cal));
            }
            Some(policy::CouncilEntry::Move) => pending.push(format!(
                "{}: or, when the council moves the complaint there itself, from the day it does",
                s.id
            )),
            None => {}
        }
    }
    dues.extend(feedback_deadlines(&policy, true, a.from, cal));
    dues.extend(feedback_deadlines(&policy, false, a.from, cal));
    if a.responded.is_none() {
        pending
            .push("reply window and survey count from our response (give --responded DATE)".into());
    }
    if a.json {
        print_json(&serde_json::json!({
            "policy": policy.name,
            "received": a.from.to_string(),
            "deadlines": dues,
            "started_at_later_stage": direct,
            "pending": pending,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} ({}): received {} (day 0)",
        policy.preset.council,
        policy.name,
        show(a.from)
    );
    let rows: Vec<Vec<String>> = dues
        .iter()
        .map(|d| {
            vec![
                d.stage.clone(),
                d.kind.as_str().to_string(),
                show(d.due),
                format!("{} from {} ({})", d.period, d.from.describe(), d.from_date),
            ]
        })
        .chain(direct.iter().map(|d| {
            vec![
                format!("{} (started there)", d.stage),
                d.kind.as_str().to_string(),
                show(d.due),
                format!("{} from receipt ({})", d.period, d.from_date),
            ]
        }))
        .collect();
    print_table(&["STAGE", "DEADLINE", "DUE", "RULE"], &rows);
    if a.explain {
        println!();
        for d in dues.iter().chain(&direct) {
            println!("{}", d.explain(cal, counts_working_days(&policy, d)));
        }
    }
    for p in pending {
        println!("  ({p})");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn category_labels_make_plural_headings() {
        assert_eq!(super::plural_heading("category"), "Categories");
        assert_eq!(super::plural_heading("reason"), "Reasons");
        assert_eq!(super::plural_heading("type"), "Types");
        assert_eq!(super::plural_heading("day"), "Days");
        assert_eq!(super::plural_heading(""), "");
    }
}
