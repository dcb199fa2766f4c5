//! Officers' commands: assign, reply, extend, escalate, decide, close, reopen, note,
//! restrict, pause, resume; and `tick`, one scheduler pass. Each refuses what the
//! policy or the case's state forbids, with a one-line reason.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{esc, parse_date, print_json, Ctx};
use crate::actions;
use crate::plan::Reply;
use crate::store::{CustomerKey, Store};

/// Who is acting: goes in the event log as officer:<name>.
#[derive(Debug, Args, Clone)]
pub struct By {
    /// The officer taking the action (default: $REDRESS_OFFICER, then $USER).
    #[arg(long = "by", global = false)]
    pub by: Option<String>,
}

impl By {
    pub(super) fn actor(&self) -> String {
        let name = self
            .by
            .clone()
            .or_else(|| std::env::var("REDRESS_OFFICER").ok())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
        format!("officer:{name}")
    }
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    pub reference: String,
    pub officer: String,
    #[command(flatten)]
    pub by: By,
}

/// What was learnt from a complaint and the action taken (both, or neither): listed by
/// service in `redress report`, with no personal data.
#[derive(Debug, Args)]
pub struct LearntArgs {
    /// What the council learnt from the complaint.
    #[arg(long)]
    pub learning: Option<String>,
    /// The action taken as a result (write "none" if none was).
    #[arg(long)]
    pub action: Option<String>,
}

impl LearntArgs {
    fn learnt(&self) -> crate::plan::Result<Option<crate::plan::Learnt>> {
        crate::plan::Learnt::from_parts(self.learning.as_deref(), self.action.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    pub reference: String,
    /// Return the response unsent, with this reason for the officer who wrote it,
    /// instead of approving it.
    #[arg(long = "return", value_name = "REASON")]
    pub give_back: Option<String>,
    /// Write the waiting letter as PDF here and change nothing.
    #[arg(long, conflicts_with = "give_back")]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct LearningArgs {
    pub reference: String,
    /// What the council learnt from the complaint.
    #[arg(long)]
    pub learning: String,
    /// The action taken as a result (write "none" if none was).
    #[arg(long)]
    pub action: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct ReplyArgs {
    pub reference: String,
    /// stage-response or final-response (default: by the stage).
    #[arg(long)]
    pub letter: Option<String>,
    /// The outcome, one of the policy's (upheld, partially upheld, not upheld).
    #[arg(long)]
    pub outcome: Option<String>,
    /// The complaint's category under the policy (Bath & NES's reasons, North Norfolk's types).
    #[arg(long)]
    pub reason: Option<String>,
    /// The findings, merged into the letter.
    #[arg(long)]
    pub body_file: PathBuf,
    #[arg(long)]
    pub apology: Option<String>,
    #[arg(long)]
    pub remedy: Option<String>,
    /// The complaint is serious: where the policy holds serious complaints' responses
    /// for approval (West Lindsey), the letter waits for an approver.
    #[arg(long)]
    pub serious: bool,
    #[command(flatten)]
    pub learnt: LearntArgs,
    /// A file to enclose (repeat for more): PDF, PNG, JPEG, .docx, .xlsx, .odt, .txt
    /// or .csv, within `[letters] max_file_attachment_bytes` and, all together,
    /// `max_letter_attachment_bytes`. Sent after the PDF letter, which lists them.
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Write the letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    pub reference: String,
    #[arg(long)]
    pub days: u32,
    /// Why more time is needed, in words for the resident: the letter says "because
    /// REASON", so write it as the end of that sentence.
    #[arg(long)]
    pub reason: String,
    /// A manager extends past the policy's overall limit (Buckinghamshire's 12 weeks from
    /// receipt to resolution), giving the reason; it is kept on the timeline.
    #[arg(long = "beyond-limit", value_name = "REASON")]
    pub beyond_limit: Option<String>,
    /// Write the letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct RefArgs {
    pub reference: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct EscalateArgs {
    pub reference: String,
    /// The council moves the complaint into the next stage itself, before any response
    /// (where the policy allows it: Stockton-on-Tees from early resolution to stage 1,
    /// North Norfolk from the informal stage to the formal procedure).
    #[arg(long)]
    pub council: bool,
    /// With --council: why (kept on the case's timeline; not sent to the resident).
    #[arg(long)]
    pub reason: Option<String>,
    /// The customer's reply asks for the next stage (one flagged "possible review
    /// request"): the request dates from the day the reply came, not today. The latest
    /// reply, or message MESSAGE (`redress case REF` lists them).
    #[arg(
        long,
        value_name = "MESSAGE",
        num_args = 0..=1,
        default_missing_value = "latest",
        conflicts_with_all = ["council", "reason"]
    )]
    pub from_reply: Option<String>,
    /// Accept a request made after the time the policy gives (its escalation window, or
    /// Buckinghamshire's 12 months), with the reason for the delay (kept on the timeline);
    /// with --from-reply, a late reply.
    #[arg(long, value_name = "REASON", conflicts_with = "council")]
    pub late: Option<String>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub reference: String,
    /// accept, refer-back or refer-to-ombudsman.
    #[arg(long)]
    pub decision: String,
    /// The reasons for the decision, in words for the resident: the decision letter
    /// quotes them.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub learnt: LearntArgs,
    /// Write the letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    pub reference: String,
    /// resolved, withdrawn, out-of-scope, referred-to-ombudsman (auto-closed is the scheduler's).
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub note: Option<String>,
    /// Write the letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct ExcludeArgs {
    pub reference: String,
    /// The exclusion of the case's policy it falls under (`policy show NAME` lists them).
    /// The resident is sent that exclusion's redirect letter and the case closes as out of scope.
    pub exclusion: String,
    /// Write the redirect letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub reference: String,
    /// Why (kept on the case's timeline; not sent to the resident).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    pub reference: String,
    pub text: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct RestrictArgs {
    pub email: String,
    /// letter-only, single-contact or no-response (with --warn: the restriction
    /// considered; with --decide: by default the one considered).
    #[arg(long)]
    pub level: Option<String>,
    #[arg(long, value_parser = parse_date)]
    pub review: Option<NaiveDate>,
    /// The reasons for the restriction, in words for the resident: the notice quotes them
    /// (with --refer: the grounds; with --warn: the council's concerns).
    #[arg(long)]
    pub reason: Option<String>,
    /// For single-contact: the named contact.
    #[arg(long)]
    pub contact: Option<String>,
    /// Where the policy sets the Monitoring Officer's procedure (Bath & NES): restrict at
    /// once without it, in exceptional circumstances, for this reason (recorded).
    #[arg(long, value_name = "REASON")]
    pub immediate: Option<String>,
    /// The procedure's first step: refer the customer to the Monitoring Officer
    /// (--reason: the grounds).
    #[arg(long, group = "procedure")]
    pub refer: bool,
    /// The Monitoring Officer writes that the customer's behaviour is being investigated.
    #[arg(long, group = "procedure")]
    pub investigate: bool,
    /// The outcome letter: the concerns (--reason), the restriction considered (--level,
    /// --contact) and written representations invited by --representations-by DATE.
    #[arg(long, group = "procedure")]
    pub warn: bool,
    /// The Monitoring Officer's decision once representations are in or their date has
    /// passed: restrict (--review DATE) or --no-restriction.
    #[arg(long, group = "procedure")]
    pub decide: bool,
    /// With --decide: the decision is not to restrict.
    #[arg(long, requires = "decide")]
    pub no_restriction: bool,
    /// With --warn: the last day for written representations.
    #[arg(long, value_parser = parse_date, requires = "warn")]
    pub representations_by: Option<NaiveDate>,
    /// Write the letter as PDF here and change nothing.
    #[arg(long)]
    pub preview: Option<PathBuf>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct DirectorArgs {
    pub reference: String,
    /// Mark the case as a complaint about the behaviour of this director or senior
    /// manager: flagged, and the preset's chooser is alerted.
    #[arg(long, conflicts_with = "investigator")]
    pub about: Option<String>,
    /// The investigator chosen ([[staff]] login): the case may then be assigned to them.
    #[arg(long, requires = "chosen_by")]
    pub investigator: Option<String>,
    /// Who chose the investigator (e.g. "the Chief Executive").
    #[arg(long)]
    pub chosen_by: Option<String>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct CustomerArgs {
    /// The customer's email address as held, or the reference of one of their cases
    /// (for a customer with no email).
    pub email: String,
    /// Their name as letters should use it ("" clears it).
    #[arg(long)]
    pub name: Option<String>,
    /// A new email address for them.
    #[arg(long = "new-email")]
    pub new_email: Option<String>,
    /// Their postal address, one --address per line, in order (--address "" clears it).
    #[arg(long)]
    pub address: Vec<String>,
    /// Their telephone number ("" clears it).
    #[arg(long)]
    pub phone: Option<String>,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    pub reference: String,
    /// The council service the complaint is about, as reports group them ("" clears it).
    pub service: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    pub reference: String,
    /// Why (kept on the case's timeline; not sent to the resident).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub by: By,
}

#[derive(Debug, Args)]
pub struct TickArgs {
    #[arg(long)]
    pub json: bool,
}

/// `--preview FILE`: write the letter the action `what` would send as a PDF, with
/// nothing sent or changed (see [`actions::preview`]); a one-line error when the
/// action sends no letter. A second letter, if any, goes beside it as FILE-2.pdf.
fn previewed(
    ctx: &Ctx,
    out: &Path,
    what: &str,
    act: impl FnOnce(&mut Store) -> crate::plan::Result<()>,
) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let letters = actions::preview(&mut store, &ctx.config, ctx.now, act)?;
    if letters.is_empty() {
        anyhow::bail!("{what} sends no letter here: nothing to preview");
    }
    for (i, rendered) in letters.iter().enumerate() {
        let path = if i == 0 {
            out.to_path_buf()
        } else {
            let stem = out.file_stem().unwrap_or_default().to_string_lossy();
            out.with_file_name(format!("{stem}-{}.pdf", i + 1))
        };
        std::fs::write(&path, &rendered.pdf)
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "preview written to {} ({}); nothing sent or changed",
            path.display(),
            rendered.subject
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn said(case: &crate::case::Case) {
    let due = case
        .next_due
        .as_deref()
        .map(|d| format!(", next due {d}"))
        .unwrap_or_default();
    println!("{}: {} at {}{due}", case.reference, case.state, case.stage);
}

pub fn assign(ctx: &Ctx, a: AssignArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::assign(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        &a.officer,
    )?;
    println!("{}: assigned to {}", c.reference, a.officer);
    Ok(ExitCode::SUCCESS)
}

pub fn reply(ctx: &Ctx, a: ReplyArgs) -> Result<ExitCode> {
    let findings = std::fs::read_to_string(&a.body_file)
        .with_context(|| format!("reading {}", a.body_file.display()))?;
    actions::enclosure_count(a.attach.len())?;
    let r = Reply {
        kind: a.letter.clone(),
        outcome: a.outcome.clone(),
        category: a.reason.clone(),
        findings,
        apology: a.apology.clone(),
        remedy: a.remedy.clone(),
        serious: a.serious,
        learning: a.learnt.learnt()?,
        enclosures: a
            .attach
            .iter()
            .map(|p| actions::enclosure_file(&ctx.config, p))
            .collect::<crate::plan::Result<_>>()?,
    };
    let actor = a.by.actor();
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "reply", |s| {
            actions::reply_preview(s, &ctx.config, ctx.now, &actor, &a.reference, &r).map(drop)
        });
    }
    let mut store = ctx.store()?;
    let c = actions::reply(&mut store, &ctx.config, ctx.now, &actor, &a.reference, &r)?;
    if c.awaiting_approval {
        let who = crate::plan::policy_of(&ctx.config, &c)?
            .preset
            .approval
            .as_ref()
            .map_or("an approver".to_string(), |a| a.by.clone());
        println!(
            "{}: response awaiting approval by {who}; not sent until approved (redress approve {})",
            c.reference, c.reference
        );
        return Ok(ExitCode::SUCCESS);
    }
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn approve(ctx: &Ctx, a: ApproveArgs) -> Result<ExitCode> {
    let actor = a.by.actor();
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "approve", |s| {
            actions::approve(s, &ctx.config, ctx.now, &actor, &a.reference).map(drop)
        });
    }
    let mut store = ctx.store()?;
    match &a.give_back {
        Some(reason) => {
            let c = actions::return_response(
                &mut store,
                &ctx.config,
                ctx.now,
                &actor,
                &a.reference,
                reason,
            )?;
            println!(
                "{}: response returned, not sent; the officer who wrote it is told",
                c.reference
            );
        }
        None => {
            let c = actions::approve(&mut store, &ctx.config, ctx.now, &actor, &a.reference)?;
            println!("{}: response approved and sent to the outbox", c.reference);
            said(&c);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn learning(ctx: &Ctx, a: LearningArgs) -> Result<ExitCode> {
    let Some(l) = crate::plan::Learnt::from_parts(Some(&a.learning), Some(&a.action))? else {
        anyhow::bail!("--learning and --action are both needed");
    };
    let mut store = ctx.store()?;
    let c = actions::learning(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        &l,
    )?;
    println!("{}: learning recorded", c.reference);
    Ok(ExitCode::SUCCESS)
}

pub fn extend(ctx: &Ctx, a: ExtendArgs) -> Result<ExitCode> {
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "extend", |s| {
            let by = a.by.actor();
            actions::extend(
                s,
                &ctx.config,
                ctx.now,
                &by,
                &a.reference,
                a.days,
                &a.reason,
                a.beyond_limit.as_deref(),
            )
            .map(drop)
        });
    }
    let mut store = ctx.store()?;
    let c = actions::extend(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        a.days,
        &a.reason,
        a.beyond_limit.as_deref(),
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn escalate(ctx: &Ctx, a: EscalateArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    if let Some(m) = &a.from_reply {
        let message = match m.trim() {
            "latest" => None,
            id => Some(id.parse::<i64>().map_err(|_| {
                anyhow::anyhow!(
                    "--from-reply {}: give a message id, or nothing for the latest reply",
                    esc(id)
                )
            })?),
        };
        let c = actions::escalate_from_reply(
            &mut store,
            &ctx.config,
            ctx.now,
            &a.by.actor(),
            &a.reference,
            message,
            a.late.as_deref(),
        )?;
        said(&c);
        return Ok(ExitCode::SUCCESS);
    }
    let c = actions::escalate_by(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        a.council,
        a.reason.as_deref(),
        a.late.as_deref(),
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn decide(ctx: &Ctx, a: DecideArgs) -> Result<ExitCode> {
    let d = actions::parse_decision(&a.decision)?;
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "decide", |s| {
            let by = a.by.actor();
            actions::decide(s, &ctx.config, ctx.now, &by, &a.reference, d, &a.reason).map(drop)
        });
    }
    let learnt = a.learnt.learnt()?;
    let mut store = ctx.store()?;
    let c = actions::decide_learnt(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        d,
        &a.reason,
        learnt.as_ref(),
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn close(ctx: &Ctx, a: CloseArgs) -> Result<ExitCode> {
    // auto-closed is the scheduler's and responded the stage response's (`reply`).
    let reason = actions::parse_close_reason(&a.reason)?;
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "close", |s| {
            let by = a.by.actor();
            let note = a.note.as_deref();
            actions::close(s, &ctx.config, ctx.now, &by, &a.reference, reason, note).map(drop)
        });
    }
    let mut store = ctx.store()?;
    let c = actions::close(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        reason,
        a.note.as_deref(),
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn exclude(ctx: &Ctx, a: ExcludeArgs) -> Result<ExitCode> {
    let actor = a.by.actor();
    let id = a.exclusion.trim();
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "exclude", |s| {
            actions::exclude(s, &ctx.config, ctx.now, &actor, &a.reference, id).map(drop)
        });
    }
    let mut store = ctx.store()?;
    let c = actions::exclude(&mut store, &ctx.config, ctx.now, &actor, &a.reference, id)?;
    println!(
        "{}: closed as out of scope under '{}'; redirect letter queued",
        c.reference,
        a.exclusion.trim()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn reopen(ctx: &Ctx, a: ReopenArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::reopen(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        &a.reason,
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct AcknowledgeArgs {
    pub reference: String,
    #[command(flatten)]
    pub by: By,
}

pub fn acknowledge(ctx: &Ctx, a: AcknowledgeArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::acknowledge(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
    )?;
    println!(
        "{}: {} (acknowledgement letter queued)",
        c.reference, c.state
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct TriageArgs {
    pub reference: String,
    /// Accept triage's suggestion: its drafted redirect letter goes and the case closes
    /// as out of scope.
    #[arg(
        long,
        conflicts_with = "complaint",
        required_unless_present = "complaint"
    )]
    pub accept: bool,
    /// Turn the suggestion down: it is a complaint, acknowledged now.
    #[arg(long)]
    pub complaint: bool,
    #[command(flatten)]
    pub by: By,
}

pub fn triage(ctx: &Ctx, a: TriageArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::triage(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        a.accept,
    )?;
    println!(
        "{}: {} {}",
        c.reference,
        c.state,
        if a.accept {
            "(suggestion accepted: redirect letter queued, closed out of scope)"
        } else {
            "(a complaint: acknowledgement letter queued)"
        }
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RepresentativeArgs {
    pub reference: String,
    /// councillor, mp, advocate, relative or other.
    #[arg(long)]
    pub role: Option<String>,
    /// The representative's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The representative's email address.
    #[arg(long)]
    pub email: Option<String>,
    /// For whom they write (the resident's name).
    #[arg(long = "for", value_name = "WHOM")]
    pub for_whom: Option<String>,
    /// Whether the resident's consent is recorded: yes or no.
    #[arg(long, value_parser = parse_yes_no)]
    pub consent: Option<bool>,
    /// The resident's own email address: with consent, each letter is copied to them.
    #[arg(long)]
    pub resident_email: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub by: By,
}

fn parse_yes_no(s: &str) -> std::result::Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err(format!("'{s}': say yes or no")),
    }
}

pub fn representative(ctx: &Ctx, a: RepresentativeArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let edit = actions::RepresentativeEdit {
        role: a.role,
        name: a.name,
        email: a.email,
        for_whom: a.for_whom,
        consent: a.consent,
        resident_email: a.resident_email,
    };
    let r = actions::representative(&mut store, ctx.now, &a.by.actor(), &a.reference, &edit)?;
    if a.json {
        print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {}",
        a.reference.to_ascii_uppercase(),
        super::cases::representative_line(&r, "writing for")
    );
    Ok(ExitCode::SUCCESS)
}

pub fn note(ctx: &Ctx, a: NoteArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    actions::note(&mut store, ctx.now, &a.by.actor(), &a.reference, &a.text)?;
    println!("{}: note added", a.reference.to_ascii_uppercase());
    Ok(ExitCode::SUCCESS)
}

pub fn restrict(ctx: &Ctx, a: RestrictArgs) -> Result<ExitCode> {
    use actions::{Behaviour, Wording};
    let need = |v: &Option<String>, what: &str| -> Result<String> {
        v.clone().ok_or_else(|| anyhow::anyhow!("restrict {what}"))
    };
    let step = if a.refer {
        Some(Behaviour::Refer {
            grounds: a.reason.as_deref().unwrap_or(""),
        })
    } else if a.investigate {
        Some(Behaviour::Investigate)
    } else if a.warn {
        let Some(by) = a.representations_by else {
            anyhow::bail!("restrict --warn needs --representations-by DATE: the last day for written representations");
        };
        Some(Behaviour::Warn {
            level: a.level.as_deref().unwrap_or(""),
            contact: a.contact.as_deref(),
            concerns: a.reason.as_deref().unwrap_or(""),
            by,
        })
    } else if a.decide && a.no_restriction {
        Some(Behaviour::NoRestriction {
            reasons: a.reason.as_deref(),
        })
    } else if a.decide {
        let Some(review) = a.review else {
            anyhow::bail!("restrict --decide needs --review DATE (or --no-restriction)");
        };
        Some(Behaviour::Restrict {
            level: a.level.as_deref(),
            contact: a.contact.as_deref(),
            review,
            reasons: a.reason.as_deref(),
        })
    } else {
        None
    };
    if let Some(step) = step {
        let act = |s: &mut Store| {
            actions::behaviour(
                s,
                &ctx.config,
                ctx.now,
                &a.by.actor(),
                &a.email,
                &step,
                Wording::Cli,
            )
        };
        if let Some(out) = &a.preview {
            return previewed(ctx, out, "restrict", |s| act(s).map(drop));
        }
        let mut store = ctx.store()?;
        let n = act(&mut store)?;
        let done = match step {
            Behaviour::Refer { .. } => "referred to the Monitoring Officer".to_string(),
            Behaviour::Investigate => {
                "told their behaviour is being investigated (letter queued)".to_string()
            }
            Behaviour::Warn { level, by, .. } => format!(
                "{level} considered; written representations invited by {by} (letter queued)"
            ),
            Behaviour::Restrict { review, .. } => {
                format!("restricted until review on {review} (notice queued)")
            }
            Behaviour::NoRestriction { .. } => "not restricted".to_string(),
        };
        println!("{}: {done} ({n} cases)", a.email);
        return Ok(ExitCode::SUCCESS);
    }
    let level = need(
        &a.level,
        "needs --level: letter-only, single-contact or no-response",
    )?;
    let reason = need(&a.reason, "needs --reason: the reasons, for the notice")?;
    let Some(review) = a.review else {
        anyhow::bail!("restrict needs --review DATE");
    };
    let r = actions::Restriction {
        email: &a.email,
        level: &level,
        review,
        reasons: &reason,
        contact: a.contact.as_deref(),
        immediate: a.immediate.as_deref(),
    };
    if let Some(out) = &a.preview {
        return previewed(ctx, out, "restrict", |s| {
            actions::restrict(s, &ctx.config, ctx.now, &a.by.actor(), &r, Wording::Cli).map(drop)
        });
    }
    let mut store = ctx.store()?;
    let n = actions::restrict(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &r,
        Wording::Cli,
    )?;
    println!("{}: {level} until review on {review} ({n} cases)", a.email);
    Ok(ExitCode::SUCCESS)
}

pub fn director(ctx: &Ctx, a: DirectorArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let actor = a.by.actor();
    let case = match (&a.about, &a.investigator) {
        (Some(about), None) => actions::mark_director(
            &mut store,
            &ctx.config,
            ctx.now,
            &actor,
            &a.reference,
            about,
        )?,
        (None, Some(i)) => actions::choose_investigator(
            &mut store,
            &ctx.config,
            ctx.now,
            &actor,
            &a.reference,
            i,
            a.chosen_by.as_deref().unwrap_or(""),
        )?,
        _ => anyhow::bail!(
            "director needs --about NAME (mark the case) or --investigator NAME --chosen-by WHO"
        ),
    };
    let d = store.director_of(case.id)?;
    match d {
        Some(d) => match &d.investigator {
            None => println!(
                "{}: about a director or senior manager ({}); waiting for the investigator to be chosen",
                case.reference, d.about
            ),
            Some(i) => println!(
                "{}: {i} investigates (chosen by {})",
                case.reference,
                d.chosen_by.as_deref().unwrap_or("")
            ),
        },
        None => println!("{}", case.reference),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn pause(ctx: &Ctx, a: PauseArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::pause(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
        &a.reason,
    )?;
    println!("{}: deadlines paused", c.reference);
    Ok(ExitCode::SUCCESS)
}

pub fn resume(ctx: &Ctx, a: RefArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = actions::resume(
        &mut store,
        &ctx.config,
        ctx.now,
        &a.by.actor(),
        &a.reference,
    )?;
    said(&c);
    Ok(ExitCode::SUCCESS)
}

pub fn tick(ctx: &Ctx, a: TickArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let rep = crate::sweep::tick(&mut store, &ctx.config, ctx.now)?;
    let digests = crate::scheduler::run_digests(&mut store, &ctx.config, ctx.now)?
        + crate::scheduler::run_reports_and_retention(&mut store, &ctx.config, ctx.now)?;
    if a.json {
        let mut v = serde_json::to_value(&rep)?;
        v["digests"] = digests.into();
        print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    for s in &rep.steps {
        println!("{s}");
    }
    if rep.steps.is_empty() && digests == 0 {
        println!("nothing due");
    }
    if digests > 0 {
        println!("{digests} digest and report emails queued");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn customer(ctx: &Ctx, a: CustomerArgs) -> Result<ExitCode> {
    if a.name.is_none() && a.new_email.is_none() && a.address.is_empty() && a.phone.is_none() {
        anyhow::bail!("nothing to change: give --name, --new-email, --address or --phone");
    }
    let phone = match a.phone.as_deref().map(crate::case::phone).transpose() {
        Ok(p) => p,
        Err(e) => anyhow::bail!("--phone {e}"),
    };
    if let Some(e) = &a.new_email {
        if !e.contains('@') || e.trim().contains(char::is_whitespace) {
            anyhow::bail!("--new-email '{e}' is not an email address");
        }
    }
    let mut store = ctx.store()?;
    let edit = crate::store::CustomerEdit {
        name: a.name.as_deref(),
        email: a.new_email.as_deref(),
        address: (!a.address.is_empty()).then_some(a.address.as_slice()),
        phone,
    };
    let who = if a.email.contains('@') {
        CustomerKey::Email(&a.email)
    } else {
        CustomerKey::Case(&a.email)
    };
    match store.edit_customer(&who, &edit, ctx.now, &a.by.actor())? {
        Some(n) => {
            println!("{}: details corrected ({n} cases)", esc(&a.email));
            Ok(ExitCode::SUCCESS)
        }
        None if a.email.contains('@') => {
            anyhow::bail!("no customer with the email address {}", esc(&a.email))
        }
        None => anyhow::bail!(
            "no case {} (give the customer's email address or one of their case references)",
            esc(&a.email)
        ),
    }
}

pub fn service(ctx: &Ctx, a: ServiceArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let value = Some(a.service.trim()).filter(|s| !s.is_empty());
    let c = store.set_field(
        &a.reference,
        crate::store::CaseField::Service,
        value,
        ctx.now,
        &a.by.actor(),
    )?;
    println!("{}: service {}", c.reference, value.unwrap_or("(none)"));
    Ok(ExitCode::SUCCESS)
}

pub fn unflag(ctx: &Ctx, a: RefArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let c = store.set_field(
        &a.reference,
        crate::store::CaseField::Flagged,
        None,
        ctx.now,
        &a.by.actor(),
    )?;
    println!("{}: flag cleared", c.reference);
    Ok(ExitCode::SUCCESS)
}
