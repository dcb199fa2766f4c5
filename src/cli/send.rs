//! `redress send`: render the letters asked for, then flush the outbox once.

use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

use super::{print_json, Ctx};
use crate::outbox;

/// The exit status of `redress send` when letters were due and none was delivered.
pub const EXIT_NOTHING_DELIVERED: u8 = 3;

// Exit status: 0 when some or all due letters were delivered, or none was due;
// 3 when letters were due and not one was delivered (every one deferred, put back
// for a retry or refused: the mail server is down or refuses everything), so that
// cron and monitoring see an outage; 1 on any other error.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when letters were delivered or none was due; 3 when letters were due and not one could be delivered (the mail server is down or refused them all: see `redress outbox`); 1 on any other error."
)]
pub struct SendArgs {
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: SendArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let rendered = outbox::render_pending(&mut store, &ctx.config, ctx.now)?;
    let report = outbox::send_due(&mut store, &ctx.config, ctx.now)?;
    // Staff mail (deadline alerts, managers' digests) goes out on the same flush.
    let staff = outbox::send_staff_mail(&mut store, &ctx.config, ctx.now)?;
    if a.json {
        print_json(
            &serde_json::json!({ "rendered": rendered, "send": report, "staff_mail_sent": staff }),
        )?;
    } else {
        if staff > 0 {
            println!("staff mail sent: {staff}");
        }
        println!(
            "rendered {rendered}; sent {}, retry later {}, failed {}, held {}, recovered {}, not tried (server unreachable) {}",
            report.sent, report.retried, report.failed, report.held, report.recovered, report.deferred
        );
        if report.failed > 0 || report.held > 0 {
            println!("see `redress outbox --status failed` / `--status held` for the reasons");
        }
    }
    if report.nothing_delivered() {
        let why = report
            .last_error
            .as_deref()
            .map(|e| format!(" last error: {e};"))
            .unwrap_or_default();
        eprintln!(
            "redress send: letters were due and none was delivered ({} to retry later, {} not tried, {} failed):{why} see `redress outbox`",
            report.retried, report.deferred, report.failed
        );
        return Ok(ExitCode::from(EXIT_NOTHING_DELIVERED));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Print the number rendered as JSON ({"rendered": N}).
    #[arg(long)]
    pub json: bool,
}

pub fn render(ctx: &Ctx, a: RenderArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let rendered = outbox::render_pending(&mut store, &ctx.config, ctx.now)?;
    if a.json {
        print_json(&serde_json::json!({ "rendered": rendered }))?;
    } else {
        println!("rendered {rendered}");
    }
    Ok(ExitCode::SUCCESS)
}
