//! `redress workdays`: working-day arithmetic on the council's calendar.

use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use std::process::ExitCode;

use super::{parse_date, print_json, Ctx};
use crate::calendar::{bank_holidays, show};

#[derive(Debug, Subcommand)]
pub enum WorkdaysCmd {
    /// The date N working days after DATE (DATE is day 0).
    Add {
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
        n: u32,
        /// List the non-working days the count stepped over.
        #[arg(long)]
        explain: bool,
    },
    /// Working days after A up to and including B.
    Between {
        #[arg(value_parser = parse_date)]
        a: NaiveDate,
        #[arg(value_parser = parse_date)]
        b: NaiveDate,
    },
    /// Bank holidays of England and Wales (and configured closures) in a year.
    Holidays {
        year: i32,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: WorkdaysCmd) -> Result<ExitCode> {
    let cal = &ctx.config.calendar;
    match cmd {
        WorkdaysCmd::Add { date, n, explain } => {
            if n > 10_000 {
                anyhow::bail!(
                    "{n} working days is more than 10000 (about 40 years); give a smaller number"
                );
            }
            let end = cal.add_working_days(date, n);
            println!("{}", show(end));
            if explain {
                for (d, why) in cal.skipped(date, end) {
                    println!("  skipped {}: {why}", show(d));
                }
            }
        }
        WorkdaysCmd::Between { a, b } => {
            if (b - a).num_days().abs() > 20_000 {
                anyhow::bail!("{a} and {b} are more than 20000 days apart");
            }
            println!("{}", cal.working_days_between(a, b))
        }
        WorkdaysCmd::Holidays { year, json } => {
            if !(1900..=2999).contains(&year) {
                anyhow::bail!("year {year} is outside 1900-2999");
            }
            let mut days: Vec<(NaiveDate, String)> = bank_holidays(year)
                .into_iter()
                .map(|(d, n)| (d, n.to_string()))
                .collect();
            for (d, why) in cal.closures() {
                if chrono::Datelike::year(d) == year {
                    days.push((*d, format!("council closure: {why}")));
                }
            }
            days.sort();
            if json {
                let v: Vec<_> = days
                    .iter()
                    .map(|(d, n)| serde_json::json!({"date": d.to_string(), "name": n}))
                    .collect();
                print_json(&v)?;
            } else {
                for (d, n) in days {
                    println!("{}  {n}", show(d));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
