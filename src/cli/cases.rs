//! `redress cases`, `redress case REF`, `redress new`: what officers look at.

use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

use super::{esc, parse_date, print_json, print_table, Ctx};
use crate::calendar::show as day;
use crate::case::{Kind, State};
use crate::deadline::{self, Status};
use crate::store::CaseFilter;

#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only cases in this state (received, acknowledged, investigating, responded,
    /// awaiting-customer, escalation-requested, escalated, closed).
    #[arg(long)]
    pub state: Option<String>,
    /// Only this kind (complaint, compliment, comment, service-request, out-of-scope).
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub officer: Option<String>,
    #[arg(long)]
    pub stage: Option<String>,
    /// Only cases of this customer (email address).
    #[arg(long)]
    pub customer: Option<String>,
    /// Only cases with a deadline already passed (as of --now).
    #[arg(long)]
    pub overdue: bool,
    /// Only open cases.
    #[arg(long)]
    pub open: bool,
    /// Only cases flagged for an officer (never acknowledged, third-party or bounced mail, ...).
    #[arg(long)]
    pub flagged: bool,
    /// Only new mail waiting to triage (a redirect or exclusion suggested, which an
    /// officer accepts or turns down with `triage`), the soonest acknowledgement due first.
    #[arg(long)]
    pub to_triage: bool,
    /// Only cases received on or after this date (YYYY-MM-DD).
    #[arg(long, value_parser = super::parse_date)]
    pub received_from: Option<chrono::NaiveDate>,
    /// Only cases received on or before this date (YYYY-MM-DD).
    #[arg(long, value_parser = super::parse_date)]
    pub received_to: Option<chrono::NaiveDate>,
    /// Only cases whose reference, customer (name, email, address), subject or messages
    /// contain these words (each word, or the start of one).
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CaseArgs {
    /// Case reference, e.g. BNES-2026-00042.
    pub reference: String,
    /// For each deadline, why it falls on that date.
    #[arg(long)]
    pub explain: bool,
    /// The audit history alone: who or what did every step, and when (the event log,
    /// which no command can rewrite).
    #[arg(long)]
    pub history: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The customer's email address (their identity in Redress). Without one, give
    /// --address: letters are then held in the outbox to print and post.
    #[arg(long, required_unless_present_any = ["address", "anonymous"])]
    pub email: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// Their postal address, one --address per line, in order.
    #[arg(long)]
    pub address: Vec<String>,
    /// How the complaint reached the council: phone, letter, in-person or email
    /// (recorded on the case).
    #[arg(long, value_parser = ["phone", "letter", "in-person", "email"])]
    pub via: Option<String>,
    #[arg(long)]
    pub subject: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    /// complaint, compliment, comment, service-request or out-of-scope.
    #[arg(long, default_value = "complaint")]
    pub kind: String,
    /// When it reached the council (default: --now).
    #[arg(long, value_parser = super::parse_now)]
    pub received: Option<chrono::DateTime<chrono::Utc>>,
    /// The --received date is right though it is more than a year ago: open the case
    /// (deadlines already passed then are flagged for an officer, with no holding letter
    /// or overdue alert).
    #[arg(long)]
    pub confirm_date: bool,
    /// No name and no way to reply: recorded as the policy says (Buckinghamshire logs it
    /// as a service request), and no letter is ever written.
    #[arg(long)]
    pub anonymous: bool,
    /// With --anonymous: it raises a wider concern the council can deal with without
    /// the complainant, so it stays a complaint.
    #[arg(long)]
    pub wider_concern: bool,
    /// Who is recording it (goes in the event log). `--officer` is an older name for it.
    #[arg(long = "by", alias = "officer", default_value = "cli")]
    pub officer: String,
    #[arg(long)]
    pub json: bool,
}

fn parse_kind(s: &str) -> Result<Kind> {
    Kind::parse(s).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown kind '{s}' (known: {})",
            Kind::ALL.map(|k| k.as_str()).join(", ")
        )
    })
}

pub fn list(ctx: &Ctx, a: CasesArgs) -> Result<ExitCode> {
    if a.to_triage {
        return to_triage(ctx, a.json);
    }
    let state = match &a.state {
        Some(s) => Some(State::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown state '{s}' (known: {})",
                State::ALL.map(|k| k.as_str()).join(", ")
            )
        })?),
        None => None,
    };
    let kind = a.kind.as_deref().map(parse_kind).transpose()?;
    let filter = CaseFilter {
        state,
        kind,
        officer: a.officer,
        stage: a.stage,
        customer: a.customer,
        overdue_on: a.overdue.then(|| ctx.today()),
        open_only: a.open,
        flagged: a.flagged,
        received_from: a.received_from,
        received_to: a.received_to,
        search: match a.search.as_deref() {
            Some(words) => Some(
                crate::text::Search::parse(words).map_err(|e| anyhow::anyhow!("--search: {e}"))?,
            ),
            None => None,
        },
        limit: a.limit,
        ..CaseFilter::default()
    };
    let store = ctx.store()?;
    let cases = store.list_cases(&filter)?;
    if a.json {
        print_json(&cases)?;
        return Ok(ExitCode::SUCCESS);
    }
    let today = ctx.today();
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let due = due_cell(c.next_due.as_deref(), today);
            vec![
                c.reference.clone(),
                c.kind.to_string(),
                c.stage.clone(),
                if c.awaiting_approval {
                    format!("{} (awaiting approval)", c.state)
                } else {
                    c.state.to_string()
                },
                c.officer.clone().unwrap_or_default(),
                due,
                c.subject.clone().unwrap_or_default(),
            ]
        })
        .collect();
    if a.flagged {
        for c in &cases {
            println!(
                "{}: {}",
                c.reference,
                esc(c.flagged.as_deref().unwrap_or(""))
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_table(
        &[
            "REFERENCE",
            "KIND",
            "STAGE",
            "STATE",
            "OFFICER",
            "NEXT DUE",
            "SUBJECT",
        ],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

/// Who writes for the resident, in a line: "councillor Cllr Jane Smith writing for Mr
/// Brown; consent recorded; letters copied to brown@example.org" (`writing`: the word
/// before the resident, "writing for" or "for").
pub(super) fn representative_line(
    r: &crate::store::intake::Representative,
    writing: &str,
) -> String {
    format!(
        "{} {}{writing} {}; consent {}{}",
        r.role,
        r.name
            .as_deref()
            .map(|n| format!("{} ", esc(n)))
            .unwrap_or_default(),
        esc(r.for_whom.as_deref().unwrap_or("someone not named")),
        if r.consent {
            "recorded"
        } else {
            "not recorded"
        },
        match (&r.resident_email, r.consent) {
            (Some(e), true) => format!("; letters copied to {}", esc(e)),
            _ => String::new(),
        }
    )
}

/// A listing's due date (stored ISO), marked OVERDUE once passed; empty for none.
fn due_cell(due: Option<&str>, today: chrono::NaiveDate) -> String {
    due.and_then(|d| parse_date(d).ok())
        .map(|d| {
            if d < today {
                format!("{} OVERDUE", day(d))
            } else {
                day(d)
            }
        })
        .unwrap_or_default()
}

/// `cases --to-triage`: each case with the suggestion, where it would send them, why,
/// and the acknowledgement deadline that keeps counting meanwhile.
fn to_triage(ctx: &Ctx, json: bool) -> Result<ExitCode> {
    let store = ctx.store()?;
    let list = store.to_triage()?;
    if json {
        print_json(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    let today = ctx.today();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            let due = due_cell(t.acknowledge_by.as_deref(), today);
            vec![
                t.reference.clone(),
                due,
                t.suggested.clone(),
                t.route.clone().unwrap_or_default(),
                t.reason.clone(),
                t.subject.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "REFERENCE",
            "ACKNOWLEDGE BY",
            "SUGGESTED",
            "ROUTE",
            "WHY",
            "SUBJECT",
        ],
        &rows,
    );
    if list.is_empty() {
        println!("nothing waits to triage");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(ctx: &Ctx, a: CaseArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let case = store.find_case(&a.reference)?;
    if a.history {
        return history(&store, &case, a.json);
    }
    let deadlines = store.deadlines(case.id)?;
    let events = store.events(case.id)?;
    let messages = store.case_messages(case.id)?;
    let representative = store.representative(case.id)?;
    let director = store.director_of(case.id)?;
    let suggestion = store
        .pending_suggestion(case.id)?
        .filter(|_| case.state == crate::case::State::Received);
    let waiting = store.waiting_response(case.id)?;
    if a.json {
        print_json(&serde_json::json!({
            "case": case,
            "deadlines": deadlines,
            "events": events,
            "messages": messages,
            "representative": representative,
            "director": director,
            "awaiting_approval": waiting,
            "to_triage": suggestion.as_ref().map(|s| serde_json::json!({
                "suggested": s.kind.as_str(),
                "exclusion": s.exclusion_id,
                "route": s.letter_data.get("where"),
                "reason": s.reason,
            })),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let today = ctx.today();
    println!(
        "{}  {}",
        case.reference,
        esc(case.subject.as_deref().unwrap_or(""))
    );
    println!("  kind      {}", case.kind);
    println!("  policy    {}", case.policy);
    println!("  stage     {}", case.stage);
    match &case.close_reason {
        Some(r) => println!("  state     {} ({})", case.state, r),
        None => println!("  state     {}", case.state),
    }
    if let Some(w) = &waiting {
        let who = crate::plan::policy_of(&ctx.config, &case)?
            .preset
            .approval
            .as_ref()
            .map_or("an approver".to_string(), |a| a.by.clone());
        println!(
            "  awaiting approval: {} response written by {} on {}, for {who} ({}); not sent until approved (`approve {}` or `approve {} --return REASON`)",
            w.stage,
            esc(&w.written_by),
            &w.written_at[..10.min(w.written_at.len())],
            esc(&w.why),
            case.reference,
            case.reference
        );
    }
    if let Some(e) = &case.customer_email {
        println!(
            "  customer  {}{}",
            case.customer_name
                .as_deref()
                .map(|n| format!("{} ", esc(n)))
                .unwrap_or_default(),
            format_args!("<{}>", esc(e))
        );
    }
    for (label, v) in [
        ("service", &case.service),
        ("officer", &case.officer),
        ("category", &case.category),
        ("outcome", &case.outcome),
        ("flagged", &case.flagged),
    ] {
        if let Some(v) = v {
            println!("  {label:<9} {}", esc(v));
        }
    }
    if let Some(r) = &representative {
        println!("  writer    {}", representative_line(r, "for"));
    }
    if let Some(d) = &director {
        match &d.investigator {
            Some(i) => println!(
                "  director  about {}; {} investigates (chosen by {})",
                esc(&d.about),
                esc(i),
                esc(d.chosen_by.as_deref().unwrap_or(""))
            ),
            None => println!(
                "  director  about {}; waiting for the investigator to be chosen (`director {} --investigator NAME --chosen-by WHO`)",
                esc(&d.about),
                case.reference
            ),
        }
    }
    if let Some(s) = &suggestion {
        println!(
            "  to triage suggested {}{} ({}): `triage {} --accept` or `--complaint`",
            s.kind,
            s.letter_data
                .get("where")
                .and_then(|w| w.as_str())
                .map(|w| format!(", to {}", esc(w)))
                .unwrap_or_default(),
            esc(&s.reason),
            case.reference
        );
    }
    println!("  received  {}", case.received_at);
    if case.state != crate::case::State::Closed {
        exclusion_hints(ctx, &case, &messages, director.is_some());
    }
    println!();
    println!("Deadlines");
    let rows: Vec<Vec<String>> = deadlines
        .iter()
        .map(|d| {
            let status = match (d.status, &d.met_on) {
                // A held letter is not a sent one: met only once it is posted.
                (Status::Met, Some(on)) if d.held_letter.is_some() => {
                    format!("held to post since {on}")
                }
                (Status::Met, Some(on)) if on.as_str() > d.due.as_str() => {
                    format!("met late {on}")
                }
                (Status::Met, Some(on)) => format!("met {on}"),
                (Status::Open, _) if d.due.as_str() < crate::time::iso(today).as_str() => {
                    "OVERDUE".to_string()
                }
                (s, _) => s.to_string(),
            };
            let due = parse_date(&d.due)
                .map(day)
                .unwrap_or_else(|_| d.due.clone());
            vec![
                d.stage.clone(),
                d.kind.to_string(),
                due,
                status,
                format!("{} from {} ({})", d.period, d.from_event, d.from_date),
            ]
        })
        .collect();
    print_table(&["STAGE", "DEADLINE", "DUE", "STATUS", "RULE"], &rows);
    if a.explain {
        println!();
        let policy = ctx.config.policies().get(&case.policy)?;
        println!(
            "Rules: {}, under the {} preset ({}); the day of receipt or of our reply is day 0, the next working day is day 1.",
            ctx.config.council.name, policy.name, policy.preset.source
        );
        for row in &deadlines {
            let line = match row.as_due() {
                Some(d) => d.explain(
                    &ctx.config.calendar,
                    deadline::counts_working_days(policy, &d),
                ),
                // A new target (an extension, a reopening) counts from a day of its own.
                None => {
                    let show = |d: &str| {
                        crate::time::parse_iso(d)
                            .map(crate::calendar::show)
                            .unwrap_or_else(|| d.to_string())
                    };
                    format!(
                        "{} {}: {} from {} ({}) = {}",
                        row.stage,
                        row.kind,
                        row.period,
                        row.from_event,
                        show(&row.from_date),
                        show(&row.due)
                    )
                }
            };
            if row.status == Status::Extended {
                println!("{line}; extended: only the new target counts");
            } else {
                println!("{line}");
            }
        }
        for p in store.pauses(case.id)? {
            println!(
                "{} paused from {} to {}: {} (open working-day deadlines moved on by the working days left)",
                p.stage,
                p.started_on,
                p.ended_on.as_deref().unwrap_or("now (still paused)"),
                esc(&p.reason)
            );
        }
    }
    println!();
    println!("Timeline");
    for e in &events {
        let change = match (&e.from_state, &e.to_state) {
            (Some(f), Some(t)) if f != t => format!(" [{f} -> {t}]"),
            (None, Some(t)) => format!(" [{t}]"),
            _ => String::new(),
        };
        let detail = e
            .detail
            .as_deref()
            .map(|d| format!(": {}", esc(d)))
            .unwrap_or_default();
        println!(
            "  {}  {:<16} {}{change}{detail}",
            e.at,
            esc(&e.actor),
            esc(e.kind.as_str())
        );
    }
    messages_section(&messages);
    Ok(ExitCode::SUCCESS)
}

/// The exclusions of the case's policy whose phrases occur in what the resident wrote:
/// a hint for `redress exclude REF ID`, never applied by itself.
fn exclusion_hints(
    ctx: &Ctx,
    case: &crate::case::Case,
    messages: &[crate::store::messages::MessageView],
    marked: bool,
) {
    let Ok(policy) = crate::plan::policy_of(&ctx.config, case) else {
        return;
    };
    let text: String = messages
        .iter()
        .flat_map(|m| [m.subject.as_deref(), m.body.as_deref()])
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(who) = &policy.preset.director_investigator {
        let found = crate::triage::director_hints(&text);
        if !found.is_empty() && !marked {
            println!(
                "  director? ('{}'): if it is about a director or senior manager, `redress director {} --about NAME` ({who} chooses the investigator)",
                found.join("', '"),
                case.reference
            );
        }
    }
    for (id, found) in crate::triage::exclusion_hints(&policy.preset.exclusions, &text) {
        let quoted: Vec<String> = found.iter().map(|p| format!("'{}'", esc(p))).collect();
        println!(
            "  exclusion? {id} ({}): `redress exclude {} {id}` if it applies",
            quoted.join(", "),
            case.reference
        );
    }
}

/// What residents wrote, oldest first: each message's id (for `redress message ID`),
/// sender, dates, subject, attachments and its whole text as stored, escaped.
fn messages_section(messages: &[crate::store::messages::MessageView]) {
    println!();
    println!("Messages ({})", messages.len());
    for m in messages {
        println!();
        println!(
            "  message {}  received {}  from {}",
            m.id,
            m.received_at,
            esc(m.from.as_deref().unwrap_or("(no sender)"))
        );
        println!("    subject  {}", esc(m.subject.as_deref().unwrap_or("")));
        if let Some(d) = &m.sent_at {
            println!("    date     {}", esc(d));
        }
        for att in &m.attachments {
            println!("    attached {}", super::message::attachment_line(att));
        }
        println!();
        for line in super::message::body_lines(m) {
            println!("    | {line}");
        }
    }
}

pub fn new(ctx: &Ctx, a: NewArgs) -> Result<ExitCode> {
    let mut store = ctx.store()?;
    let case = crate::actions::open_checked(
        &mut store,
        &ctx.config,
        &crate::actions::Intake {
            kind: &a.kind,
            email: a.email.as_deref(),
            name: a.name.as_deref(),
            address: &a.address,
            via: a.via.as_deref(),
            subject: a.subject.as_deref(),
            service: a.service.as_deref(),
            received: a.received,
            confirm_date: a.confirm_date,
            anonymous: a.anonymous,
            wider_concern: a.wider_concern,
        },
        &format!("officer:{}", a.officer),
        ctx.now,
    )?;
    if a.json {
        print_json(&case)?;
    } else {
        println!("{}", case.reference);
    }
    Ok(ExitCode::SUCCESS)
}

/// `case REF --history`: every event in log order, with its sequence number in the log,
/// the time in UTC and London, who or what acted (officer:NAME, mail, triage, outbox,
/// system, cli) and the state it moved the case between.
fn history(store: &crate::store::Store, case: &crate::case::Case, json: bool) -> Result<ExitCode> {
    let events = store.history(case.id)?;
    let erased_at = store.erased_at(case.id)?;
    if json {
        print_json(&serde_json::json!({
            "reference": case.reference,
            "erased_at": erased_at,
            "events": events,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}  audit history ({} events)",
        case.reference,
        events.len()
    );
    if let Some(at) = &erased_at {
        println!("personal data erased {at} under the retention schedule; details show [erased]");
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let london = chrono::DateTime::parse_from_rfc3339(&e.at)
                .map(|t| {
                    t.with_timezone(&chrono_tz::Europe::London)
                        .format("%a %-d %b %Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            let change = match (&e.from_state, &e.to_state) {
                (Some(f), Some(t)) if f != t => format!("{f} -> {t}"),
                (None, Some(t)) => t.clone(),
                _ => String::new(),
            };
            vec![
                e.seq.to_string(),
                e.at.clone(),
                london,
                e.actor.clone(),
                e.kind.to_string(),
                change,
                e.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &["SEQ", "AT (UTC)", "LONDON", "BY", "WHAT", "STATE", "DETAIL"],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}
