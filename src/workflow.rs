//! The workflow: what officers do to a case (assign, reply, extend, escalate, decide,
//! close, reopen, note, restrict, pause, resume) and what the scheduler does by itself
//! (`tick`): alerts before a deadline, holding letters and escalation when it lapses,
//! reply windows that close cases, surveys, redirects closed, review requests turned
//! into escalations.
//!
//! Every step is one transaction with its event and any letter it owes. Automatic
//! steps are keyed in the `steps` table, so `tick` run twice at the same moment does
//! nothing the second time, and a daemon stopped for a week does what is owed once,
//! oldest first, when it comes back.

use crate::time::{iso, stamp};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::calendar::{london_date, Calendar};
use crate::case::{Action, CloseReason, Kind, State};
use crate::config::Config;
use crate::policy::{OnLapse, Policy, Unit};
use crate::store::{
    self, apply_on, find_case_on, insert_event, Case, LetterRequest, Store, StoreError,
};

type Result<T> = std::result::Result<T, StoreError>;

fn refused(msg: impl Into<String>) -> StoreError {
    StoreError::Refused(msg.into())
}

fn policy_of(cfg: &Config, case: &Case) -> Result<Policy> {
    if case.policy == cfg.policy.name {
        Ok(cfg.policy.clone())
    } else {
        Policy::load(&case.policy).map_err(|e| refused(format!("{}: {e}", case.reference)))
    }
}

/// Record a step as done; false when it already was (so the caller does nothing).
fn first_time(conn: &Connection, case_id: i64, key: &str, at: DateTime<Utc>) -> Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO steps (case_id, key, at) VALUES (?1, ?2, ?3)",
        params![case_id, key, stamp(at)],
    )?;
    Ok(n == 1)
}

/// Ask for a letter to the case's customer, threaded on their latest message.
#[allow(clippy::too_many_arguments)]
fn letter(
    conn: &Connection,
    cfg: &Config,
    case: &Case,
    kind: &str,
    data: serde_json::Value,
    automatic: bool,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let last: Option<String> = conn
        .query_row(
            "SELECT message_id FROM messages WHERE case_id = ?1 AND message_id IS NOT NULL AND from_addr = ?2 ORDER BY id DESC LIMIT 1",
            params![case.id, case.customer_email],
            |r| r.get(0),
        )
        .optional()?;
    let last = last.map(|m| format!("<{}>", m.trim_matches(|c| c == '<' || c == '>')));
    store::request_letter(
        conn,
        &LetterRequest {
            case_id: case.id,
            reference: &case.reference,
            kind,
            to_addr: case.customer_email.as_deref(),
            in_reply_to: last.as_deref(),
            references: last.as_deref(),
            data,
            automatic,
            actor,
            at,
            domain: cfg.mail_domain(),
        },
    )
}

/// Queue an email to staff (by name, from [[staff]]); unknown names are skipped.
fn notify(
    conn: &Connection,
    cfg: &Config,
    key: &str,
    names: &[&str],
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<usize> {
    let mut n = 0;
    for name in names {
        let Some(st) = cfg.staff(name) else { continue };
        let dedupe = format!("{key}:{}", st.name);
        n += store::notifications::queue(
            conn,
            &dedupe,
            cfg.mail_domain(),
            &st.email,
            subject,
            body,
            at,
        )?;
    }
    Ok(n)
}

/// The officer, their manager, and the manager's manager: the escalation chain.
fn chain(cfg: &Config, officer: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = officer.map(String::from);
    while let Some(name) = cur {
        if out.contains(&name) {
            break;
        }
        out.push(name.clone());
        cur = cfg.staff(&name).and_then(|s| s.manager.clone());
    }
    out
}

fn transaction(store: &mut Store) -> Result<rusqlite::Transaction<'_>> {
    Ok(store.conn_mut().transaction()?)
}

fn reload(store: &Store, id: i64) -> Result<Case> {
    store.case_by_id(id)
}

// ----------------------------------------------------------------------------
// Officers' actions
// ----------------------------------------------------------------------------

/// `assign REF OFFICER`: refuses a stage's previous handler where the policy requires a different one.
pub fn assign(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    officer: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    if case.state == State::Closed {
        return Err(refused(format!(
            "{}: the case is closed; reopen it first",
            case.reference
        )));
    }
    if let Some(stage) = policy.stage(&case.stage) {
        if stage.different_handler && case.past_officers.iter().any(|p| p == officer) {
            return Err(refused(format!(
                "{}: {officer} handled an earlier stage, and the {} policy requires {} to be handled by someone else",
                case.reference, policy.name, stage.name
            )));
        }
    }
    if !cfg.staff.is_empty() && cfg.staff(officer).is_none() {
        return Err(refused(format!(
            "{officer} is not listed under [[staff]] in the config"
        )));
    }
    store.set_field(
        reference,
        store::CaseField::Officer,
        Some(officer),
        now,
        actor,
    )
}

/// What an officer's response says.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// stage-response, final-response or review-decision (see `decide`) ...
    pub kind: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub findings: String,
    pub apology: Option<String>,
    pub remedy: Option<String>,
}

/// The policy's own wording for `given` among `list` (case, hyphens and underscores ignored).
fn pick(list: &[String], given: &str, label: &str) -> Result<String> {
    list.iter()
        .find(|x| normalise(x) == normalise(given))
        .cloned()
        .ok_or_else(|| {
            refused(format!(
                "{label} '{given}' is not one of {}",
                list.join(", ")
            ))
        })
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase().replace(['-', '_'], " ")
}

/// `reply REF`: the stage response. Closes the case at the final stage (pointing to the
/// Ombudsman); otherwise opens the customer's reply window.
pub fn reply(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    r: &Reply,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    let is_final = policy.is_final_stage(&case.stage);
    let kind = r.kind.clone().unwrap_or_else(|| {
        if is_final {
            "final-response"
        } else {
            "stage-response"
        }
        .to_string()
    });
    match (kind.as_str(), is_final) {
        ("final-response", false) => {
            return Err(refused(format!(
                "{}: {} is not the final stage of the {} policy; send a stage-response",
                case.reference, case.stage, policy.name
            )))
        }
        ("stage-response", true) => {
            return Err(refused(format!(
                "{}: {} is the final stage; send a final-response (it points to the Ombudsman)",
                case.reference, case.stage
            )))
        }
        ("stage-response" | "final-response", _) => {}
        (other, _) => {
            return Err(refused(format!(
                "reply --letter {other}: use stage-response or final-response"
            )))
        }
    }
    if case.kind != Kind::Complaint && case.kind != Kind::Comment {
        return Err(refused(format!(
            "{} is a {}, not a complaint: close it instead",
            case.reference, case.kind
        )));
    }
    let outcome = match &r.outcome {
        Some(o) => Some(pick(&policy.preset.outcomes, o, "outcome")?),
        None if case.kind == Kind::Complaint => {
            return Err(refused(format!(
                "--outcome is required ({})",
                policy.preset.outcomes.join(", ")
            )))
        }
        None => None,
    };
    let category = match &r.category {
        Some(c) => Some(pick(
            &policy.preset.categories,
            c,
            &policy.preset.category_label,
        )?),
        None => None,
    };
    if r.findings.trim().is_empty() {
        return Err(refused("the findings (--body-file) are empty"));
    }
    let tx = transaction(store)?;
    apply_on(
        &tx,
        reference,
        Action::Respond,
        now,
        actor,
        Some(&kind),
        &policy,
        &cfg.calendar,
    )?;
    tx.execute(
        "UPDATE cases SET outcome = COALESCE(?2, outcome), category = COALESCE(?3, category) WHERE id = ?1",
        params![case.id, outcome, category],
    )?;
    let mut data = serde_json::json!({ "findings": r.findings.trim() });
    if let Some(o) = &outcome {
        data["outcome"] = o.clone().into();
    }
    if let Some(a) = &r.apology {
        data["apology"] = a.clone().into();
    }
    if let Some(m) = &r.remedy {
        data["remedy"] = m.clone().into();
    }
    let case = find_case_on(&tx, reference)?;
    letter(&tx, cfg, &case, &kind, data, false, actor, now)?;
    if is_final {
        apply_on(
            &tx,
            reference,
            Action::Close(CloseReason::Resolved),
            now,
            actor,
            Some("final response sent"),
            &policy,
            &cfg.calendar,
        )?;
    } else {
        apply_on(
            &tx,
            reference,
            Action::OpenReplyWindow,
            now,
            actor,
            None,
            &policy,
            &cfg.calendar,
        )?;
    }
    tx.commit()?;
    reload(store, case.id)
}

/// The current response target: the latest open extension, else the respond deadline.
fn current_target(conn: &Connection, case_id: i64, stage: &str) -> Result<Option<NaiveDate>> {
    let d: Option<String> = conn
        .query_row(
            "SELECT due FROM deadlines WHERE case_id = ?1 AND stage = ?2 AND kind IN ('extension', 'respond')
             AND status IN ('open', 'lapsed') ORDER BY CASE kind WHEN 'extension' THEN 0 ELSE 1 END LIMIT 1",
            params![case_id, stage],
            |r| r.get(0),
        )
        .optional()?;
    Ok(d.and_then(|d| crate::time::parse_iso(&d)))
}

fn set_extension(
    conn: &Connection,
    case_id: i64,
    stage: &str,
    from: NaiveDate,
    period: &str,
    due: NaiveDate,
) -> Result<()> {
    conn.execute(
        "INSERT INTO deadlines (case_id, stage, kind, from_event, from_date, period, due, status)
         VALUES (?1, ?2, 'extension', 'the previous target', ?3, ?4, ?5, 'open')
         ON CONFLICT (case_id, stage, kind) DO UPDATE SET from_date = excluded.from_date, period = excluded.period,
            due = excluded.due, status = 'open', met_on = NULL",
        params![case_id, stage, iso(from), period, iso(due)],
    )?;
    // The original deadline stays on record as missed or extended; the target is now the extension.
    conn.execute(
        "UPDATE deadlines SET status = 'lapsed' WHERE case_id = ?1 AND stage = ?2 AND kind = 'respond' AND status = 'open'",
        params![case_id, stage],
    )?;
    Ok(())
}

/// `extend REF --days N --reason ...`: within the policy's limit; sends the extension letter.
pub fn extend(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    days: u32,
    reason: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    let stage = policy
        .stage(&case.stage)
        .ok_or_else(|| refused(format!("{}: unknown stage {}", case.reference, case.stage)))?;
    let Some(ext) = &stage.extension else {
        return Err(refused(format!(
            "{}: the {} policy allows no extension at {}",
            case.reference, policy.name, stage.name
        )));
    };
    if let Some(max) = &ext.max {
        let max_wd = match max.unit {
            Unit::WorkingDays => max.amount,
            Unit::CalendarDays => max.amount * 5 / 7,
            Unit::Weeks => max.amount * 5,
        };
        if days > max_wd {
            return Err(refused(format!(
                "{}: the {} policy allows an extension of up to {} at {}",
                case.reference,
                policy.name,
                max.length(),
                stage.name
            )));
        }
    }
    if days == 0 {
        return Err(refused("--days must be at least 1"));
    }
    if reason.trim().is_empty() {
        return Err(refused("--reason is required: the customer is told why"));
    }
    if !matches!(
        case.state,
        State::Acknowledged | State::Investigating | State::Escalated | State::Received
    ) {
        return Err(refused(format!(
            "{}: cannot extend a case that is {}",
            case.reference, case.state
        )));
    }
    let tx = transaction(store)?;
    let from = current_target(&tx, case.id, &case.stage)?.unwrap_or_else(|| london_date(now));
    let due = cfg.calendar.add_working_days(from, days);
    set_extension(
        &tx,
        case.id,
        &case.stage,
        from,
        &format!("{days} working days"),
        due,
    )?;
    insert_event(
        &tx,
        case.id,
        now,
        actor,
        "extended",
        None,
        None,
        Some(&format!("to {} ({days} working days): {reason}", iso(due))),
    )?;
    letter(
        &tx,
        cfg,
        &case,
        "extension",
        serde_json::json!({"reason": reason, "new_date": iso(due), "extension": format!("{days} working days")}),
        false,
        actor,
        now,
    )?;
    tx.commit()?;
    reload(store, case.id)
}

/// Escalation request on behalf of the customer (by phone, or an officer's reading of a reply).
fn escalate_on(
    tx: &Connection,
    cfg: &Config,
    case: &Case,
    policy: &Policy,
    at: DateTime<Utc>,
    actor: &str,
    why: &str,
) -> Result<()> {
    apply_on(
        tx,
        &case.reference,
        Action::RequestEscalation,
        at,
        actor,
        Some(why),
        policy,
        &cfg.calendar,
    )?;
    let case = find_case_on(tx, &case.reference)?;
    letter(
        tx,
        cfg,
        &case,
        "escalation-acknowledgement",
        serde_json::json!({}),
        actor.starts_with("system"),
        actor,
        at,
    )?;
    apply_on(
        tx,
        &case.reference,
        Action::Acknowledge,
        at,
        actor,
        Some("escalation acknowledged"),
        policy,
        &cfg.calendar,
    )?;
    // Policies with no decision step start the next stage's investigation at once.
    let stage = policy.stage(&case.stage);
    if stage.is_some_and(|s| s.decide.is_none()) {
        apply_on(
            tx,
            &case.reference,
            Action::AcceptEscalation,
            at,
            actor,
            Some("no review decision in this policy"),
            policy,
            &cfg.calendar,
        )?;
    }
    Ok(())
}

/// `escalate REF`: the customer asked for the next stage.
pub fn escalate(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    let tx = transaction(store)?;
    escalate_on(
        &tx,
        cfg,
        &case,
        &policy,
        now,
        actor,
        "customer asked for the next stage",
    )?;
    tx.commit()?;
    reload(store, case.id)
}

/// The review decision on an escalation request (Bath & NES, Buckinghamshire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    ReferBack,
    ReferToOmbudsman,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "refer-back" => Some(Decision::ReferBack),
            "refer-to-ombudsman" | "ombudsman" => Some(Decision::ReferToOmbudsman),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::ReferBack => "refer-back",
            Decision::ReferToOmbudsman => "refer-to-ombudsman",
        }
    }
}

/// `decide REF --decision accept|refer-back|refer-to-ombudsman --reason ...`
pub fn decide(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    d: Decision,
    reasons: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    if reasons.trim().is_empty() {
        return Err(refused("--reason is required: the customer is told why"));
    }
    let tx = transaction(store)?;
    let action = match d {
        Decision::Accept => Action::AcceptEscalation,
        Decision::ReferBack => Action::ReferBack,
        Decision::ReferToOmbudsman => Action::Close(CloseReason::ReferredToOmbudsman),
    };
    if d == Decision::ReferToOmbudsman && case.state != State::EscalationRequested {
        return Err(refused(format!(
            "{}: a review decision needs an escalation request; the case is {}",
            case.reference, case.state
        )));
    }
    letter(
        &tx,
        cfg,
        &case,
        "review-decision",
        serde_json::json!({"decision": d.as_str(), "reasons": reasons}),
        false,
        actor,
        now,
    )?;
    apply_on(
        &tx,
        reference,
        action,
        now,
        actor,
        Some(&format!("review decision: {}", d.as_str())),
        &policy,
        &cfg.calendar,
    )?;
    tx.commit()?;
    reload(store, case.id)
}

/// `close REF --reason ...`
pub fn close(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    reason: CloseReason,
    note: Option<&str>,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    store.apply(
        reference,
        Action::Close(reason),
        now,
        actor,
        note,
        &policy,
        &cfg.calendar,
    )
}

/// `reopen REF`
pub fn reopen(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    why: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    store.apply(
        reference,
        Action::Reopen,
        now,
        actor,
        Some(why),
        &policy,
        &cfg.calendar,
    )
}

/// `note REF TEXT`
pub fn note(
    store: &mut Store,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    text: &str,
) -> Result<()> {
    if text.trim().is_empty() {
        return Err(refused("the note is empty"));
    }
    store.add_event(reference, now, actor, "note", Some(text))
}

/// `restrict EMAIL --level ... --review DATE`: a Monitoring Officer's decision.
/// A Monitoring Officer's decision on a customer's contact.
#[derive(Debug, Clone)]
pub struct Restriction<'a> {
    pub email: &'a str,
    /// letter-only, single-contact or no-response.
    pub level: &'a str,
    pub review: NaiveDate,
    pub reasons: &'a str,
    /// For single-contact: the named contact.
    pub contact: Option<&'a str>,
}

pub fn restrict(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    r: &Restriction,
) -> Result<usize> {
    let Restriction {
        email,
        level,
        review,
        reasons,
        contact,
    } = r.clone();
    if !cfg.policy.preset.restrictions.iter().any(|r| r == level)
        && !["letter-only", "single-contact", "no-response"].contains(&level)
    {
        return Err(refused(format!(
            "unknown restriction '{level}': letter-only, single-contact or no-response"
        )));
    }
    if review <= london_date(now) {
        return Err(refused(format!(
            "review date {review} must be in the future"
        )));
    }
    let tx = transaction(store)?;
    let n = tx.execute(
        "UPDATE customers SET restriction = ?2, restriction_review = ?3 WHERE email = ?1",
        params![email.trim(), level, iso(review)],
    )?;
    if n == 0 {
        return Err(refused(format!("no customer with the address {email}")));
    }
    let ids: Vec<i64> = {
        let mut st = tx.prepare("SELECT c.id FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE cu.email = ?1 ORDER BY c.id")?;
        let v = st
            .query_map([email.trim()], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        v
    };
    for id in &ids {
        insert_event(
            &tx,
            *id,
            now,
            actor,
            "contact restricted",
            None,
            None,
            Some(&format!("{level} until review on {}", iso(review))),
        )?;
    }
    if let Some(last) = ids.last() {
        let reference: String =
            tx.query_row("SELECT reference FROM cases WHERE id = ?1", [last], |r| {
                r.get(0)
            })?;
        let case = find_case_on(&tx, &reference)?;
        let mut data = serde_json::json!({"restriction": level, "reasons": reasons, "review_date": iso(review)});
        if let Some(c) = contact {
            data["contact"] = c.into();
        }
        letter(
            &tx,
            cfg,
            &case,
            "restriction-notice",
            data,
            false,
            actor,
            now,
        )?;
    }
    tx.commit()?;
    Ok(ids.len())
}

/// `pause REF --reason ...`: where the preset allows, stop the clock.
pub fn pause(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    reason: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    if !policy.preset.pause_allowed {
        return Err(refused(format!(
            "{}: the {} policy does not allow pausing a deadline",
            case.reference, policy.name
        )));
    }
    if reason.trim().is_empty() {
        return Err(refused("--reason is required"));
    }
    let tx = transaction(store)?;
    let open: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pauses WHERE case_id = ?1 AND ended_on IS NULL)",
        [case.id],
        |r| r.get(0),
    )?;
    if open {
        return Err(refused(format!("{}: already paused", case.reference)));
    }
    tx.execute(
        "INSERT INTO pauses (case_id, stage, started_on, reason) VALUES (?1, ?2, ?3, ?4)",
        params![case.id, case.stage, iso(london_date(now)), reason],
    )?;
    insert_event(
        &tx,
        case.id,
        now,
        actor,
        "deadlines paused",
        None,
        None,
        Some(reason),
    )?;
    tx.commit()?;
    reload(store, case.id)
}

/// `resume REF`: each open working-day deadline of the stage moves on by the working
/// days that were left when the clock stopped.
pub fn resume(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let tx = transaction(store)?;
    let p: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, started_on FROM pauses WHERE case_id = ?1 AND ended_on IS NULL",
            [case.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((pid, started)) = p else {
        return Err(refused(format!("{}: not paused", case.reference)));
    };
    let started = crate::time::parse_iso(&started).ok_or_else(|| refused("bad pause date"))?;
    let today = london_date(now);
    let cal: &Calendar = &cfg.calendar;
    let rows: Vec<(i64, String, String)> = {
        let mut st = tx.prepare("SELECT id, due, period FROM deadlines WHERE case_id = ?1 AND stage = ?2 AND status = 'open'")?;
        let v = st
            .query_map(params![case.id, case.stage], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    let mut moved = Vec::new();
    for (id, due, period) in rows {
        let Some(due) = crate::time::parse_iso(&due) else {
            continue;
        };
        if !period.contains("working day") {
            continue;
        }
        let left = cal.working_days_between(started, due).max(0) as u32;
        let new_due = cal.add_working_days(today, left);
        tx.execute(
            "UPDATE deadlines SET due = ?2 WHERE id = ?1",
            params![id, iso(new_due)],
        )?;
        moved.push(format!("{} -> {}", iso(due), iso(new_due)));
    }
    tx.execute(
        "UPDATE pauses SET ended_on = ?2 WHERE id = ?1",
        params![pid, iso(today)],
    )?;
    insert_event(
        &tx,
        case.id,
        now,
        actor,
        "deadlines resumed",
        None,
        None,
        Some(&format!(
            "paused {} to {}; {}",
            iso(started),
            iso(today),
            moved.join(", ")
        )),
    )?;
    tx.commit()?;
    reload(store, case.id)
}

// ----------------------------------------------------------------------------
// The scheduler
// ----------------------------------------------------------------------------

/// What one `tick` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    pub alerts: usize,
    pub holding_letters: usize,
    pub escalated_to_managers: usize,
    pub auto_closed: usize,
    pub closed_resolved: usize,
    pub surveys: usize,
    pub redirects_closed: usize,
    pub escalation_requests: usize,
    pub replies_flagged: usize,
    pub overdue_flags: usize,
    /// One line per step, oldest first, for the log and `tick`'s output.
    pub steps: Vec<String>,
}

fn flag(conn: &Connection, case_id: i64, why: &str) -> Result<()> {
    conn.execute(
        "UPDATE cases SET flagged = CASE WHEN flagged IS NULL OR flagged = '' THEN ?2 ELSE flagged || '; ' || ?2 END WHERE id = ?1",
        params![case_id, why],
    )?;
    Ok(())
}

/// Deadline steps committed together by [`tick`].
const TICK_GROUP: usize = 250;

/// One scheduler pass at `now`. Idempotent: a second pass at the same `now` does nothing.
pub fn tick(store: &mut Store, cfg: &Config, now: DateTime<Utc>) -> Result<TickReport> {
    let today = london_date(now);
    let mut rep = TickReport::default();
    let horizon = cfg
        .calendar
        .add_working_days(today, cfg.workflow.alert_days_before);
    // Open deadlines due by the alert horizon, oldest first: after downtime the
    // owed steps come out in the order they fell due.
    let due: Vec<(i64, String, String, String)> = {
        let mut st = store.conn().prepare_cached(
            "SELECT case_id, stage, kind, due FROM deadlines WHERE status = 'open' AND due <= ?1 ORDER BY due, case_id, id",
        )?;
        let v = st
            .query_map([iso(horizon)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    // Steps share a commit in groups (a commit rewrites every page a step touched, so
    // 10,000 lapsed deadlines one commit each would write gigabytes on a large database).
    // A step that fails rolls back its group and fails the tick: the next tick redoes it.
    for group in due.chunks(TICK_GROUP) {
        let tx = transaction(store)?;
        for (case_id, stage, kind, due_s) in group {
            let Some(due) = crate::time::parse_iso(due_s) else {
                continue;
            };
            deadline_step(&tx, cfg, now, today, *case_id, stage, kind, due, &mut rep)?;
        }
        tx.commit()?;
    }
    // Compliments thanked and redirects sent: their cases are done.
    let done: Vec<(i64, String)> = {
        let mut st = store.conn().prepare_cached(
            "SELECT id, kind FROM cases WHERE state = 'acknowledged' AND kind IN ('compliment', 'service-request', 'out-of-scope') ORDER BY id",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    for (id, kind) in done {
        let tx = transaction(store)?;
        let reference: String =
            tx.query_row("SELECT reference FROM cases WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        let case = find_case_on(&tx, &reference)?;
        let policy = policy_of(cfg, &case)?;
        let reason = if kind == "compliment" {
            CloseReason::Resolved
        } else {
            CloseReason::OutOfScope
        };
        apply_on(
            &tx,
            &reference,
            Action::Close(reason),
            now,
            "system:scheduler",
            Some("recorded and answered"),
            &policy,
            &cfg.calendar,
        )?;
        tx.commit()?;
        rep.redirects_closed += 1;
        rep.steps
            .push(format!("{reference}: {kind} answered, closed"));
    }
    // Replies from the customer on cases awaiting them: a review request, or a flag.
    // Mail that may not act (auto-replies, bounces, third parties, unverified senders:
    // ingestion gave it a no-reply reason) never triggers workflow.
    let replies: Vec<(i64, i64, String, String)> = {
        let mut st = store.conn().prepare_cached(
            "SELECT m.id, c.id, c.reference, m.received_at FROM messages m JOIN cases c ON c.id = m.case_id
             WHERE m.status = 'attached' AND c.state IN ('responded', 'awaiting-customer')
             AND m.matched_by NOT LIKE 'third-party%' AND m.no_reply_reason IS NULL ORDER BY m.id",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    for (mid, case_id, reference, received) in replies {
        let tx = transaction(store)?;
        let case = find_case_on(&tx, &reference)?;
        // The customer's own words only: a quoted copy of our letter ("you can ask for a
        // review") must not turn a thank-you into an escalation request.
        let (subject, text): (String, String) = tx.query_row(
            "SELECT COALESCE(subject, ''), COALESCE(body_text, '') FROM messages WHERE id = ?1",
            [mid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let body = format!(
            "{} {}",
            crate::ingest::normalise_subject(&subject),
            crate::ingest::strip_quoted(&text)
        );
        let received_on = crate::time::parse_stamp(&received).unwrap_or(now);
        // Only what the customer sent after our response counts as a reply to it.
        let after = case
            .facts_responded_on()
            .is_none_or(|r| london_date(received_on) >= r);
        let wants_review = {
            let b = body.to_lowercase();
            cfg.workflow
                .review_phrases
                .iter()
                .any(|p| b.contains(&p.to_lowercase()))
        };
        let policy = policy_of(cfg, &case)?;
        let has_next = policy.next_stage(&case.stage).is_some();
        if after
            && wants_review
            && has_next
            && first_time(&tx, case_id, &format!("review-request:{mid}"), now)?
        {
            escalate_on(
                &tx,
                cfg,
                &case,
                &policy,
                received_on,
                "system:scheduler",
                "the customer's reply asks for a review",
            )?;
            rep.escalation_requests += 1;
            rep.steps.push(format!(
                "{reference}: customer asked for a review, escalation request acknowledged"
            ));
        } else if first_time(&tx, case_id, &format!("reply:{mid}"), now)? {
            flag(&tx, case_id, "the customer replied after our response")?;
            let names = chain(cfg, case.officer.as_deref());
            let names: Vec<&str> = names.iter().map(|s| s.as_str()).take(1).collect();
            notify(&tx, cfg, &format!("reply:{reference}:{mid}"), &names, &format!("[Ref {reference}] the customer replied"), &format!("The customer has replied on {reference} after our response. Please read the reply and decide what it needs.\n"), now)?;
            rep.replies_flagged += 1;
            rep.steps.push(format!(
                "{reference}: customer replied, flagged for the officer"
            ));
        }
        tx.execute(
            "UPDATE messages SET status = 'considered' WHERE id = ?1",
            [mid],
        )?;
        tx.commit()?;
    }
    Ok(rep)
}

#[allow(clippy::too_many_arguments)]
fn deadline_step(
    tx: &Connection,
    cfg: &Config,
    now: DateTime<Utc>,
    today: NaiveDate,
    case_id: i64,
    stage: &str,
    kind: &str,
    due: NaiveDate,
    rep: &mut TickReport,
) -> Result<()> {
    let reference: String = tx.query_row(
        "SELECT reference FROM cases WHERE id = ?1",
        [case_id],
        |r| r.get(0),
    )?;
    let case = find_case_on(tx, &reference)?;
    let policy = policy_of(cfg, &case)?;
    let lapsed = due < today;
    let actor = "system:scheduler";
    let chain_names = chain(cfg, case.officer.as_deref());
    let officer_and_manager: Vec<&str> = chain_names.iter().map(|s| s.as_str()).take(2).collect();
    let mark = |status: &str| -> Result<()> {
        tx.execute(
            "UPDATE deadlines SET status = ?4 WHERE case_id = ?1 AND stage = ?2 AND kind = ?3 AND status = 'open'",
            params![case_id, stage, kind, status],
        )?;
        Ok(())
    };
    match (kind, lapsed) {
        ("respond" | "extension", false)
            if first_time(
                tx,
                case_id,
                &format!("alert:{stage}:{kind}:{}", iso(due)),
                now,
            )? =>
        {
            let days = cfg.calendar.working_days_between(today, due);
            insert_event(
                tx,
                case_id,
                now,
                actor,
                "deadline alert",
                None,
                None,
                Some(&format!(
                    "{stage} response due {} ({days} working days)",
                    iso(due)
                )),
            )?;
            notify(
                    tx,
                    cfg,
                    &format!("alert:{reference}:{stage}:{kind}:{}", iso(due)),
                    &officer_and_manager,
                    &format!("[Ref {reference}] response due {}", crate::calendar::show(due)),
                    &format!("The {stage} response on {reference} is due on {} ({days} working days from today).\nOfficer: {}\n", crate::calendar::show(due), case.officer.as_deref().unwrap_or("not assigned")),
                    now,
                )?;
            rep.alerts += 1;
            rep.steps.push(format!(
                "{reference}: {stage} response due {}, officer and manager alerted",
                iso(due)
            ));
        }
        ("respond", true) => {
            // Lapsed with no response: a holding letter with a new date within the
            // policy's extension limit, and the manager takes it on.
            if !first_time(tx, case_id, &format!("lapsed:{stage}:respond"), now)? {
                return mark("lapsed");
            }
            let st = policy.stage(stage);
            let mut days = cfg.workflow.holding_days;
            if let Some(max) = st.and_then(|s| s.extension.as_ref()).and_then(|e| e.max) {
                if max.unit == Unit::WorkingDays {
                    days = days.min(max.amount);
                }
            }
            let new_due = cfg.calendar.add_working_days(due, days);
            set_extension(
                tx,
                case_id,
                stage,
                due,
                &format!("{days} working days"),
                new_due,
            )?;
            letter(
                tx,
                cfg,
                &case,
                "holding",
                serde_json::json!({"reason": cfg.workflow.holding_reason, "new_date": iso(new_due)}),
                true,
                actor,
                now,
            )?;
            let manager = chain_names.get(1).cloned();
            insert_event(
                tx,
                case_id,
                now,
                actor,
                "deadline lapsed",
                None,
                None,
                Some(&format!(
                    "{stage} response was due {}; holding letter with new date {}; escalated to {}",
                    iso(due),
                    iso(new_due),
                    manager
                        .as_deref()
                        .unwrap_or("the manager (none configured)")
                )),
            )?;
            flag(
                tx,
                case_id,
                &format!("{stage} response overdue since {}", iso(due)),
            )?;
            notify(tx, cfg, &format!("lapsed:{reference}:{stage}"), &officer_and_manager,
                &format!("[Ref {reference}] response overdue: holding letter sent"),
                &format!("The {stage} response on {reference} was due on {}. The customer has been sent a holding letter with a new date of {}.\n", crate::calendar::show(due), crate::calendar::show(new_due)), now)?;
            rep.holding_letters += 1;
            rep.escalated_to_managers += 1;
            rep.steps.push(format!(
                "{reference}: {stage} response lapsed {}, holding letter to {}, escalated",
                iso(due),
                iso(new_due)
            ));
        }
        ("extension", true) => {
            // A lapsed extension goes one further up the chain each time.
            if first_time(
                tx,
                case_id,
                &format!("lapsed:{stage}:extension:{}", iso(due)),
                now,
            )? {
                let up: Vec<&str> = chain_names
                    .iter()
                    .map(|s| s.as_str())
                    .skip(1)
                    .take(2)
                    .collect();
                insert_event(
                    tx,
                    case_id,
                    now,
                    actor,
                    "extension lapsed",
                    None,
                    None,
                    Some(&format!(
                        "new target {} missed; escalated to {}",
                        iso(due),
                        if up.is_empty() {
                            "management (none configured)".into()
                        } else {
                            up.join(", ")
                        }
                    )),
                )?;
                flag(tx, case_id, &format!("extended target {} missed", iso(due)))?;
                notify(tx, cfg, &format!("lapsed-ext:{reference}:{stage}:{}", iso(due)), &up,
                    &format!("[Ref {reference}] extended deadline missed"),
                    &format!("The extended {stage} target on {reference} ({}) has passed without a response.\n", crate::calendar::show(due)), now)?;
                rep.escalated_to_managers += 1;
                rep.steps.push(format!(
                    "{reference}: extended target {} missed, escalated further",
                    iso(due)
                ));
            }
            mark("lapsed")?;
        }
        ("escalation-window", true) => {
            if matches!(case.state, State::Responded | State::AwaitingCustomer)
                && first_time(tx, case_id, &format!("window:{stage}"), now)?
            {
                let on_lapse = policy
                    .stage(stage)
                    .and_then(|s| s.escalation_window.as_ref())
                    .map(|w| w.on_lapse)
                    .unwrap_or(OnLapse::StayOpen);
                match on_lapse {
                    OnLapse::AutoClose => {
                        apply_on(
                            tx,
                            &reference,
                            Action::Close(CloseReason::AutoClosed),
                            now,
                            actor,
                            Some(&format!("no reply by {}", iso(due))),
                            &policy,
                            &cfg.calendar,
                        )?;
                        let responded = case.facts_responded_on().map(iso);
                        let mut data = serde_json::json!({});
                        if let Some(r) = responded {
                            data["responded_on"] = r.into();
                        }
                        letter(tx, cfg, &case, "auto-close", data, true, actor, now)?;
                        rep.auto_closed += 1;
                        rep.steps.push(format!(
                            "{reference}: reply window ended {}, auto-closed with a closure notice",
                            iso(due)
                        ));
                    }
                    OnLapse::CloseResolved => {
                        apply_on(
                            tx,
                            &reference,
                            Action::Close(CloseReason::Resolved),
                            now,
                            actor,
                            Some(&format!("no reply by {}", iso(due))),
                            &policy,
                            &cfg.calendar,
                        )?;
                        rep.closed_resolved += 1;
                        rep.steps.push(format!(
                            "{reference}: reply window ended {}, closed as resolved",
                            iso(due)
                        ));
                    }
                    OnLapse::StayOpen => {
                        flag(tx, case_id, "reply window ended: decide whether to close")?;
                        rep.overdue_flags += 1;
                    }
                }
            }
            mark("lapsed")?;
        }
        ("survey", _) if due <= today => {
            if first_time(tx, case_id, "survey", now)? {
                let url = cfg
                    .workflow
                    .survey_url
                    .clone()
                    .unwrap_or_else(|| cfg.council.web.clone());
                letter(
                    tx,
                    cfg,
                    &case,
                    "survey-invitation",
                    serde_json::json!({"url": url}),
                    true,
                    actor,
                    now,
                )?;
                rep.surveys += 1;
                rep.steps
                    .push(format!("{reference}: satisfaction survey sent"));
            }
            tx.execute(
                "UPDATE deadlines SET status = 'met', met_on = ?4 WHERE case_id = ?1 AND stage = ?2 AND kind = ?3 AND status = 'open'",
                params![case_id, stage, kind, iso(today)],
            )?;
        }
        ("acknowledge" | "decide" | "overall-limit", true) => {
            if first_time(tx, case_id, &format!("lapsed:{stage}:{kind}"), now)? {
                let what = match kind {
                    "acknowledge" => "acknowledgement",
                    "decide" => "review decision",
                    _ => "whole-complaint time limit",
                };
                flag(tx, case_id, &format!("{what} overdue since {}", iso(due)))?;
                insert_event(
                    tx,
                    case_id,
                    now,
                    actor,
                    "deadline lapsed",
                    None,
                    None,
                    Some(&format!("{stage} {what} was due {}", iso(due))),
                )?;
                notify(
                    tx,
                    cfg,
                    &format!("lapsed:{reference}:{stage}:{kind}"),
                    &officer_and_manager,
                    &format!("[Ref {reference}] {what} overdue"),
                    &format!(
                        "The {what} on {reference} was due on {}.\n",
                        crate::calendar::show(due)
                    ),
                    now,
                )?;
                rep.overdue_flags += 1;
                rep.steps.push(format!(
                    "{reference}: {stage} {what} overdue since {}",
                    iso(due)
                ));
            }
            mark("lapsed")?;
        }
        ("aim", true) => mark("lapsed")?,
        _ => {}
    }
    Ok(())
}

impl Case {
    /// The day our response at the current stage went out, if it has.
    pub fn facts_responded_on(&self) -> Option<NaiveDate> {
        self.facts.responded_on
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_escalation_chain_follows_managers_and_stops_at_a_loop() {
        let mut cfg = Config::load(None).unwrap();
        cfg.staff = vec![
            crate::config::Staff {
                name: "ann".into(),
                email: "ann@x".into(),
                manager: Some("bob".into()),
            },
            crate::config::Staff {
                name: "bob".into(),
                email: "bob@x".into(),
                manager: Some("cat".into()),
            },
            crate::config::Staff {
                name: "cat".into(),
                email: "cat@x".into(),
                manager: Some("ann".into()),
            },
        ];
        assert_eq!(chain(&cfg, Some("ann")), vec!["ann", "bob", "cat"]);
        assert!(chain(&cfg, None).is_empty());
    }
}
