//! What officers do to a case (assign, reply, extend, escalate, decide, close, reopen,
//! note, restrict, pause, resume). Each one loads the case, asks a pure planner
//! ([`crate::plan`]) what changes, and has the store write the plan in one
//! transaction with its events and letters. The CLI calls these; a web desk would too.

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::{london_date, Calendar};
use crate::case::Case;
use crate::case::{Action, CloseReason};
use crate::config::{Config, Directory};
use crate::event::EventKind;
use crate::plan::policy_of;
use crate::plan::{self, refused, Decision, Plan, Reply, Result};
use crate::policy::Policy;
use crate::store::{self, Author, Store};

fn author<'a>(cfg: &'a Config, actor: &'a str, at: DateTime<Utc>) -> Author<'a> {
    Author {
        actor,
        at,
        domain: cfg.mail_domain(),
    }
}

/// The staff directory: the desk's accounts with `[[staff]]` ([`crate::accounts::directory`]).
fn directory(store: &Store, cfg: &Config) -> Result<Directory> {
    Ok(crate::accounts::directory(store, cfg)?)
}

/// Load a case and its policy.
fn load<'a>(store: &Store, cfg: &'a Config, reference: &str) -> Result<(Case, &'a Policy)> {
    let case = store.find_case(reference)?;
    let policy = policy_of(cfg, &case)?;
    Ok((case, policy))
}

/// One officer action on one case: who takes it and when, the case as loaded and its
/// policy. Each action loads it, checks and plans against it, and writes its plan
/// through it, in one transaction with the events and letters the plan carries.
struct Acting<'a> {
    cfg: &'a Config,
    actor: &'a str,
    now: DateTime<Utc>,
    case: Case,
    policy: &'a Policy,
}

impl<'a> Acting<'a> {
    fn load(
        store: &Store,
        cfg: &'a Config,
        actor: &'a str,
        now: DateTime<Utc>,
        reference: &str,
    ) -> Result<Acting<'a>> {
        let (case, policy) = load(store, cfg, reference)?;
        Ok(Acting {
            cfg,
            actor,
            now,
            case,
            policy,
        })
    }

    /// Stage independence for this officer ([`independent`]).
    fn independent(&self, store: &Store, doing: &str) -> Result<()> {
        independent(store, &self.case, self.policy, self.actor, doing)
    }

    /// Write `plan` for the case as this officer, now.
    fn write(&self, store: &mut Store, plan: &Plan) -> Result<Case> {
        write(store, self.cfg, &self.case, plan, self.actor, self.now)
    }
}

/// Who handled the case at each stage ([`plan::stage_handlers`], from its events).
fn handlers(store: &Store, case: &Case, policy: &Policy) -> Result<Vec<(String, String)>> {
    let events = store.events(case.id)?;
    // An event of a kind this build does not write handles no stage.
    let read: Vec<plan::Handling> = events
        .iter()
        .filter_map(|e| {
            Some(plan::Handling {
                actor: &e.actor,
                kind: e.kind.known()?,
                detail: e.detail.as_deref(),
            })
        })
        .collect();
    Ok(plan::stage_handlers(policy, &read))
}

/// Stage independence for an officer acting on a case ([`plan::independent`]): the
/// one check the CLI, the desk and every preview pass through. Only officers are
/// checked (the scheduler and mail are not handlers).
fn independent(
    store: &Store,
    case: &Case,
    policy: &Policy,
    actor: &str,
    doing: &str,
) -> Result<()> {
    let Some(officer) = actor.strip_prefix("officer:") else {
        return Ok(());
    };
    let h = handlers(store, case, policy)?;
    plan::independent(case, policy, officer, &h, doing)
}

fn write(
    store: &mut Store,
    cfg: &Config,
    case: &Case,
    plan: &Plan,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Case> {
    Ok(store.apply_plan(case, plan, &author(cfg, actor, now))?)
}

/// Take one lifecycle `action` on a case under `policy`: planned, then written in one
/// transaction; nothing changes if it is refused.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    store: &mut Store,
    reference: &str,
    action: Action,
    at: DateTime<Utc>,
    actor: &str,
    detail: Option<&str>,
    policy: &Policy,
    cal: &Calendar,
) -> Result<Case> {
    let case = store.find_case(reference)?;
    let p = plan::plan(&case, action, policy, cal, london_date(at), detail)?;
    Ok(store.apply_plan(
        &case,
        &p,
        &Author {
            actor,
            at,
            domain: "",
        },
    )?)
}

/// `assign REF OFFICER`: refuses a stage's previous handler where the policy requires a different one.
pub fn assign(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    officer: &str,
) -> Result<Case> {
    let (case, policy) = load(store, cfg, reference)?;
    let h = handlers(store, &case, policy)?;
    plan::assign(&case, officer, policy, &h)?;
    plan::director::may_assign(&case, store.director_of(case.id)?.as_ref(), officer)?;
    let dir = directory(store, cfg)?;
    if !dir.is_empty() && dir.staff(officer).is_none() {
        return Err(refused(format!("{officer} is not in the staff directory")));
    }
    Ok(store.set_field(
        reference,
        store::CaseField::Officer,
        Some(officer),
        now,
        actor,
    )?)
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
    reply_held(store, cfg, now, actor, reference, r, true)
}

/// The letter a reply would send, for its preview (in [`preview`]'s dry run): as
/// [`reply`], but a response the policy holds for approval is asked for as if approved,
/// so the officer sees the letter that will go.
pub fn reply_preview(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    r: &Reply,
) -> Result<Case> {
    reply_held(store, cfg, now, actor, reference, r, false)
}

fn reply_held(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    r: &Reply,
    hold: bool,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    plan::enclosure::too_many(r.enclosures.len())?;
    for f in &r.enclosures {
        plan::enclosure::too_large(
            &f.name,
            f.bytes.len() as u64,
            cfg.letters.max_file_attachment_bytes,
        )?;
    }
    plan::enclosure::check_total(&r.enclosures, cfg.letters.max_letter_attachment_bytes)?;
    a.independent(store, "respond")?;
    if a.case.awaiting_approval {
        return Err(refused(format!(
            "{reference}: a response already waits for approval; it must be approved or returned first"
        )));
    }
    if let Some(officer) = actor.strip_prefix("officer:").filter(|_| hold) {
        let n = store.approvals_count(a.case.id)? + 1;
        let approvers = approvers(store, cfg)?;
        if let Some(p) = plan::approval::hold(
            &a.case,
            r,
            a.policy,
            &cfg.calendar,
            london_date(now),
            officer,
            &approvers,
            n,
        )? {
            return a.write(store, &p);
        }
    }
    let p = plan::reply(&a.case, r, a.policy, &cfg.calendar, london_date(now))?;
    a.write(store, &p)
}

/// A case with a response waiting for approval is not closed under it: the approver
/// approves or returns the response first, so nothing waits on a closed case.
fn not_waiting(case: &Case, doing: &str) -> Result<()> {
    if case.awaiting_approval {
        return Err(refused(format!(
            "{}: a response waits for approval; it must be approved or returned before the case is {doing}",
            case.reference
        )));
    }
    Ok(())
}

/// Who is mailed when a response waits for approval: the approvers
/// ([`Directory::approvers`]), else as for what no officer owns.
pub fn approvers(store: &Store, cfg: &Config) -> Result<Vec<(String, String)>> {
    Ok(directory(store, cfg)?.approver_recipients())
}

/// The response waiting on a case, and who may decide it: refused when none waits,
/// when `approver` wrote it, or is not one of those who approve.
fn waiting_for(
    store: &Store,
    cfg: &Config,
    case: &Case,
    policy: &Policy,
    approver: &str,
) -> Result<store::WaitingRow> {
    let Some(w) = store.waiting_response(case.id)? else {
        return Err(refused(format!(
            "{}: no response waits for approval",
            case.reference
        )));
    };
    let who = policy
        .preset
        .approval
        .as_ref()
        .map_or("an approver", |a| a.by.as_str());
    if w.written_by == approver {
        return Err(refused(format!(
            "{}: {approver} wrote this response, so cannot approve or return it: it needs another member of {who}",
            case.reference
        )));
    }
    let dir = directory(store, cfg)?;
    if !dir.may_approve(approver) {
        let names: Vec<String> = dir.approvers().iter().map(|s| s.name.clone()).collect();
        return Err(refused(format!(
            "{}: {approver} is not among those who approve responses for {who} ({})",
            case.reference,
            names.join(", ")
        )));
    }
    Ok(w)
}

/// `approve REF --by NAME`: the waiting response approved and sent, exactly once, in
/// the name of the officer who wrote it (its letter asked for now; the response
/// deadline met today, the day it goes).
pub fn approve(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
) -> Result<Case> {
    let (case, policy) = load(store, cfg, reference)?;
    let approver = actor.strip_prefix("officer:").unwrap_or(actor);
    let w = waiting_for(store, cfg, &case, policy, approver)?;
    let r = plan::approval::Waiting::reply_from_json(&w.response)?;
    let writer = format!("officer:{}", w.written_by);
    independent(store, &case, policy, &writer, "respond")?;
    let p = plan::approval::approve(
        &case,
        w.id,
        &r,
        approver,
        policy,
        &cfg.calendar,
        london_date(now),
    )?;
    write(store, cfg, &case, &p, &writer, now)
}

/// `approve REF --return REASON --by NAME`: the waiting response returned, unsent, with
/// the reason; the officer who wrote it is told.
pub fn return_response(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    reason: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let approver = actor.strip_prefix("officer:").unwrap_or(actor);
    let w = waiting_for(store, cfg, &a.case, a.policy, approver)?;
    let to = crate::sweep::alert_to(&directory(store, cfg)?, &[w.written_by.as_str()]);
    let p = plan::approval::give_back(&a.case, w.id, approver, reason, &w.written_by, &to)?;
    a.write(store, &p)
}

/// `learning REF --learning TEXT --action TEXT`: what was learnt, recorded afterwards.
pub fn learning(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    l: &plan::Learnt,
) -> Result<Case> {
    let (case, _) = load(store, cfg, reference)?;
    let p = plan::approval::learning(&case, l, london_date(now))?;
    write(store, cfg, &case, &p, actor, now)
}

/// Refuse a reply with more files than a letter may enclose, before any is read or
/// checked ([`plan::enclosure::FILES_MAX`]); [`reply`] checks it again.
pub fn enclosure_count(count: usize) -> plan::Result<()> {
    plan::enclosure::too_many(count)
}

/// A file an officer encloses with a reply, as given (a path or the name a browser
/// sent, the type the upload declared, its bytes): checked against `[letters]
/// max_file_attachment_bytes` and the allowed types ([`plan::enclosure::enclosure`]).
pub fn enclosure(
    cfg: &Config,
    name: &str,
    declared: Option<&str>,
    bytes: Vec<u8>,
) -> Result<plan::Enclosure> {
    plan::enclosure::enclosure(name, declared, bytes, cfg.letters.max_file_attachment_bytes)
}

/// [`enclosure`] for a file on disk (`reply --attach FILE`): one over the limit is
/// refused before it is read.
pub fn enclosure_file(cfg: &Config, path: &std::path::Path) -> Result<plan::Enclosure> {
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| refused(format!("--attach {shown}: {e}"));
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(refused(format!("--attach {shown}: not a file")));
    }
    plan::enclosure::too_large(&shown, meta.len(), cfg.letters.max_file_attachment_bytes)?;
    let bytes = std::fs::read(path).map_err(unreadable)?;
    enclosure(cfg, &shown, None, bytes)
}

/// `extend REF --days N --reason ...`: within the policy's limit; sends the extension letter.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    days: u32,
    reason: &str,
    beyond_limit: Option<&str>,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    a.independent(store, "extend it")?;
    // Past the policy's overall limit only a manager may extend (issue 24, item 2): one
    // named as someone's manager in the staff directory, or the duty manager.
    if beyond_limit.is_some() {
        let name = actor.strip_prefix("officer:").unwrap_or(actor);
        if !directory(store, cfg)?.is_manager(name) {
            return Err(plan::refused(format!(
                "{reference}: only a manager may extend past the policy's overall limit; {name} is not anyone's manager in the staff directory"
            )));
        }
    }
    let target = store.response_target(a.case.id, &a.case.stage)?;
    let respond_due = store.respond_due(a.case.id, &a.case.stage)?;
    let mut p = plan::extend(
        &a.case,
        days,
        reason,
        target,
        respond_due,
        a.policy,
        &cfg.calendar,
        london_date(now),
    )?;
    let new_due = p.writes.iter().find_map(|w| match w {
        plan::Write::Extension { due, .. } => Some(*due),
        _ => None,
    });
    if let Some(new_due) = new_due {
        if let Some(w) =
            plan::overall_limit_check(&a.case, a.policy, &cfg.calendar, new_due, beyond_limit)?
        {
            p.push(w);
        }
    }
    a.write(store, &p)
}

/// `escalate REF [--late REASON]`: the customer asked for the next stage. A request past
/// the time the policy gives is refused in its terms, unless the officer accepts it with
/// the reason (`late`), kept on the timeline.
pub fn escalate(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    late: Option<&str>,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    // Asked today (by phone, by letter): within the time the policy gives, or refused in
    // its terms (or accepted late by the officer, where the policy leaves it to them).
    let why = match plan::request_in_time(&a.case, a.policy, &cfg.calendar, london_date(now), late)?
    {
        None => "customer asked for the next stage".to_string(),
        Some(late) => format!("customer asked for the next stage; {late}"),
    };
    let p = plan::escalate(
        &a.case,
        a.policy,
        &cfg.calendar,
        london_date(now),
        actor.starts_with("system"),
        &why,
    )?;
    a.write(store, &p)
}

/// `escalate REF --from-reply [MESSAGE]`: an officer confirms that the customer's reply
/// (the latest, or message `message`) asks for the next stage, as one flagged "possible
/// review request" may. The request dates from the reply's arrival, not from today; a
/// reply after the window the policy closes the complaint at is refused in its terms,
/// unless the officer accepts it with the reason for the delay (`late`).
pub fn escalate_from_reply(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    message: Option<i64>,
    late: Option<&str>,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let (_, received) = store.customer_reply_on(a.case.id, message)?;
    let received = crate::time::parse_stamp(&received).ok_or_else(|| {
        refused(format!(
            "{reference}: the reply's time '{received}' cannot be read"
        ))
    })?;
    let p = plan::escalate_from_reply(
        &a.case,
        a.policy,
        &cfg.calendar,
        london_date(received),
        london_date(now),
        late,
    )?;
    a.write(store, &p)
}

/// `escalate REF --council --reason ...`: the council moves the case into the next stage
/// itself (where the policy lets it), with the next stage's acknowledgement letter.
pub fn route(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    why: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let p = plan::route(&a.case, a.policy, &cfg.calendar, london_date(now), why)?;
    a.write(store, &p)
}

/// `escalate REF [--council --reason ...]`: the customer's request ([`escalate`]), or
/// the council's own move ([`route`]); a reason goes only with the council's.
#[allow(clippy::too_many_arguments)]
pub fn escalate_by(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    council: bool,
    reason: Option<&str>,
    late: Option<&str>,
) -> Result<Case> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    let late = late.filter(|r| !r.trim().is_empty());
    if late.is_some() && council {
        return Err(refused(
            "--late goes with the customer's own request, not the council's move",
        ));
    }
    if council {
        route(store, cfg, now, actor, reference, reason.unwrap_or(""))
    } else if reason.is_some() {
        Err(refused(
            "--reason goes with --council (the customer's own request needs none)",
        ))
    } else {
        escalate(store, cfg, now, actor, reference, late)
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
    decide_learnt(store, cfg, now, actor, reference, d, reasons, None)
}

/// [`decide`], with the learning recorded alongside.
#[allow(clippy::too_many_arguments)]
pub fn decide_learnt(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    d: Decision,
    reasons: &str,
    learnt: Option<&plan::Learnt>,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    a.independent(store, "decide")?;
    let mut p = plan::decide(
        &a.case,
        d,
        reasons,
        a.policy,
        &cfg.calendar,
        london_date(now),
    )?;
    if let Some(l) = learnt {
        p.push(l.write(&a.case.stage, london_date(now))?);
    }
    a.write(store, &p)
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
    let a = Acting::load(store, cfg, actor, now, reference)?;
    not_waiting(&a.case, "closed")?;
    let p = plan::plan(
        &a.case,
        Action::Close(reason),
        a.policy,
        &cfg.calendar,
        london_date(now),
        note,
    )?;
    a.write(store, &p)
}

/// `exclude REF ID`: closes the case as out of scope under one of its preset's
/// exclusions, with that exclusion's redirect letter.
pub fn exclude(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    id: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    not_waiting(&a.case, "closed")?;
    let p = plan::exclude(&a.case, id, a.policy, &cfg.calendar, london_date(now))?;
    a.write(store, &p)
}

/// `ACTION ... --preview FILE`: the letters `act` (an officer's action) would send,
/// rendered as the outbox would render them, with nothing kept. The action runs in the
/// store's dry run, so it is refused as it would be, its letters are asked for on the
/// case as it leaves it, and every write (state, events, deadlines, letters) is undone.
/// Empty when the action sends no letter.
pub fn preview(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    act: impl FnOnce(&mut Store) -> Result<()>,
) -> anyhow::Result<Vec<crate::letter::Rendered>> {
    let templates = crate::outbox::templates(cfg)?;
    store.dry_run(|s| -> anyhow::Result<_> {
        let before = s.last_letter_id()?;
        act(s)?;
        let mut out = Vec::new();
        for letter in s.letters_after(before)? {
            let kind = crate::outbox::letter_kind(&letter)?;
            let lctx = crate::outbox::letter_context(s, cfg, &letter, now)?;
            out.push(templates.render(kind, &lctx)?);
        }
        Ok(out)
    })
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
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let p = plan::plan(
        &a.case,
        Action::Reopen,
        a.policy,
        &cfg.calendar,
        london_date(now),
        Some(why),
    )?;
    a.write(store, &p)
}

/// `new`: record a complaint (or compliment, comment...) that came by phone, by letter
/// or in person. The case is opened and, where its kind is answered by an
/// acknowledgement, acknowledged today with the letter asked for (emailed, or held to
/// print and post when the customer has no email), all in one transaction.
pub fn open(
    store: &mut Store,
    cfg: &Config,
    new: &store::NewCase,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Case> {
    let policy = cfg.policies().configured();
    let by = author(cfg, actor, now);
    store.create_case_then(
        new,
        policy,
        cfg.reference_prefix(),
        &cfg.calendar,
        &by,
        |case| match case.kind {
            crate::case::Kind::ServiceRequest | crate::case::Kind::OutOfScope => Ok(None),
            _ => {
                let today = london_date(now);
                let mut p = plan::acknowledge(case, policy, &cfg.calendar, today, None)?;
                // A back-dated case: deadlines already passed when it was recorded are
                // the officer's to answer, not the sweep's (no holding letter, no alert).
                let mut dues: Vec<crate::deadline::Due> = p
                    .writes
                    .iter()
                    .filter_map(|w| match w {
                        plan::Write::Transition(t) => Some(t.recomputed.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                if dues.is_empty() {
                    dues = plan::new_case_deadlines(
                        case.kind,
                        policy,
                        london_date(new.received_at),
                        None,
                        &cfg.calendar,
                    )
                    .into_iter()
                    .map(|(d, _)| d)
                    .collect();
                }
                // Before the letter, so the letter is drawn from the case as written.
                let at = p
                    .writes
                    .iter()
                    .position(|w| matches!(w, plan::Write::Letter(_)))
                    .unwrap_or(p.writes.len());
                p.writes
                    .splice(at..at, plan::passed_before_recording(&dues, today).writes);
                Ok(Some(p))
            }
        },
    )
}

/// `acknowledge REF`: send the acknowledgement a case opened without one is owed.
pub fn acknowledge(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let p = plan::acknowledge(&a.case, a.policy, &cfg.calendar, london_date(now), None)?;
    a.write(store, &p)
}

/// `triage REF --accept`: the officer accepts triage's suggestion on a case waiting
/// "to triage": its drafted redirect letter goes and the case closes out of scope.
/// `--complaint`: the suggestion is turned down and the complaint acknowledged.
pub fn triage(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    accept: bool,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let Some(s) = store.pending_suggestion(a.case.id)? else {
        return Err(refused(format!(
            "{}: nothing waits to triage on this case",
            a.case.reference
        )));
    };
    if a.case.state != crate::case::State::Received {
        return Err(refused(format!(
            "{}: already {}, so triage's suggestion no longer applies",
            a.case.reference, a.case.state
        )));
    }
    let today = london_date(now);
    let p = if accept {
        plan::accept_suggestion(&a.case, &s, a.policy, &cfg.calendar, today)?
    } else {
        plan::treat_as_complaint(&a.case, a.policy, &cfg.calendar, today)?
    };
    let c = a.write(store, &p)?;
    store.undefer_ack(c.id)?;
    Ok(c)
}

/// What `representative REF` records or corrects; unset fields keep what is stored.
#[derive(Debug, Clone, Default)]
pub struct RepresentativeEdit {
    pub role: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub for_whom: Option<String>,
    pub consent: Option<bool>,
    pub resident_email: Option<String>,
}

/// The roles a representative may have.
pub const REPRESENTATIVE_ROLES: [&str; 5] = ["councillor", "mp", "advocate", "relative", "other"];

/// `representative REF ...`: record or correct who writes for the resident (seed 002
/// l.194: "someone else ... on their behalf, with their consent"). Letters then copy
/// the resident where their address and consent are recorded.
pub fn representative(
    store: &mut Store,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    edit: &RepresentativeEdit,
) -> Result<store::intake::Representative> {
    let case = store.find_case(reference)?;
    let mut r = store
        .representative(case.id)?
        .unwrap_or_else(|| store::intake::Representative {
            role: "other".into(),
            ..Default::default()
        });
    if let Some(role) = &edit.role {
        let role = role.trim().to_ascii_lowercase();
        if !REPRESENTATIVE_ROLES.contains(&role.as_str()) {
            return Err(refused(format!(
                "unknown role '{role}' (known: {})",
                REPRESENTATIVE_ROLES.join(", ")
            )));
        }
        r.role = role;
    }
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    if edit.name.is_some() {
        r.name = text(&edit.name);
    }
    if edit.for_whom.is_some() {
        r.for_whom = text(&edit.for_whom);
    }
    for (given, slot, what) in [
        (&edit.email, &mut r.email, "representative's email"),
        (
            &edit.resident_email,
            &mut r.resident_email,
            "resident's email",
        ),
    ] {
        if given.is_some() {
            let v = text(given);
            if let Some(a) = &v {
                if !a.contains('@') || a.contains(char::is_whitespace) {
                    return Err(refused(format!(
                        "the {what} '{}' is not an email address",
                        crate::escape::escaped(a)
                    )));
                }
            }
            *slot = v;
        }
    }
    if let Some(c) = edit.consent {
        r.consent = c;
    }
    let detail = format!(
        "{} {}writing for {}; consent {}{}",
        r.role,
        r.name
            .as_deref()
            .map(|n| format!("{n} "))
            .unwrap_or_default(),
        r.for_whom.as_deref().unwrap_or("someone not named"),
        if r.consent {
            "recorded"
        } else {
            "not recorded"
        },
        match (&r.resident_email, r.consent) {
            (Some(_), true) => "; the resident gets a copy of each letter",
            _ => "",
        }
    );
    store.set_representative(case.id, &r, actor, now, &detail)?;
    Ok(r)
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
    Ok(store.add_event(reference, now, actor, EventKind::Note, Some(text))?)
}

/// A Monitoring Officer's decision on a customer's contact
/// (`restrict EMAIL --level ... --review DATE`).
#[derive(Debug, Clone)]
pub struct Restriction<'a> {
    pub email: &'a str,
    /// letter-only, single-contact or no-response.
    pub level: &'a str,
    pub review: NaiveDate,
    pub reasons: &'a str,
    /// For single-contact: the named contact.
    pub contact: Option<&'a str>,
    /// Where the preset sets the Monitoring Officer's procedure (`behaviour_procedure`):
    /// why, in exceptional circumstances, the restriction applies at once without it.
    pub immediate: Option<&'a str>,
}

pub use plan::behaviour::Wording;

/// The restriction `level` is one the council may impose, `review` (if given) is after
/// today, and a single contact is named in words letters can use: the contact as
/// stored and as letters name them.
fn restriction_checked<'a>(
    store: &Store,
    cfg: &Config,
    now: DateTime<Utc>,
    level: &str,
    review: Option<NaiveDate>,
    contact: Option<&'a str>,
    wording: Wording,
) -> Result<Option<(&'a str, String)>> {
    if !cfg.policy.preset.restrictions.iter().any(|r| r == level)
        && !["letter-only", "single-contact", "no-response"].contains(&level)
    {
        return Err(refused(format!(
            "unknown restriction '{level}': letter-only, single-contact or no-response"
        )));
    }
    if let Some(review) = review {
        if review <= london_date(now) {
            return Err(refused(format!(
                "review date {review} must be in the future"
            )));
        }
    }
    if level != "single-contact" {
        return Ok(None);
    }
    let Some(c) = contact.map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(refused(match wording {
            Wording::Cli => "restrict --level single-contact needs --contact: the officer the resident may still write to",
            Wording::Desk => "a single contact needs the named contact: the officer the resident may still write to",
        }));
    };
    // Letters name the contact as residents should read it, never by a login.
    let named = directory(store, cfg)?.contact_in_letters(c).ok_or_else(|| {
        refused(match wording {
            Wording::Cli => format!(
                "--contact {c} has no display_name under [[staff]]: letters cannot name them"
            ),
            Wording::Desk => format!(
                "the contact {c} has no name for letters in the staff list: ask the administrator to add one"
            ),
        })
    })?;
    Ok(Some((c, named)))
}

pub fn restrict(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    r: &Restriction,
    wording: Wording,
) -> Result<usize> {
    let Restriction {
        email,
        level,
        review,
        reasons,
        contact,
        immediate,
    } = r.clone();
    let checked = restriction_checked(store, cfg, now, level, Some(review), contact, wording)?;
    let immediate = immediate.map(str::trim).filter(|w| !w.is_empty());
    if cfg.policy.preset.behaviour_procedure && immediate.is_none() {
        return Err(refused(match wording {
            Wording::Cli => format!(
                "the {} policy restricts contact only after the Monitoring Officer's procedure (restrict {} --refer, --investigate, --warn, then --decide); in exceptional circumstances restrict at once with --immediate REASON",
                cfg.policy.name,
                email.trim()
            ),
            Wording::Desk => format!(
                "the {} policy restricts contact only after the Monitoring Officer's procedure (the unreasonable behaviour form); in exceptional circumstances give the reason for acting at once",
                cfg.policy.name
            ),
        }));
    }
    let (contact, named) = match checked {
        Some((c, n)) => (Some(c), Some(n)),
        None => (None, None),
    };
    // The same restriction again (a new review date, say) is recorded on the cases, but
    // the resident has had the notice already: no second letter. A new contact is news.
    let repeat = store.restriction_of(email.trim())?.as_deref() == Some(level)
        && store.restriction_contact_of(email.trim())?.as_deref() == contact;
    let letter = plan::LetterOrder::new(
        &crate::letter::kind::Content::RestrictionNotice {
            restriction: level.to_string(),
            reasons: reasons.to_string(),
            review_date: review,
            contact: named,
            after_procedure: false,
            representations_received: false,
        },
        false,
    );
    let mut detail = format!("{level} until review on {}", crate::time::iso(review));
    if let Some(why) = immediate {
        detail.push_str(&format!(
            "; at once, without the Monitoring Officer's procedure (exceptional circumstances: {why})"
        ));
    }
    if repeat {
        detail.push_str(" (already in force: no second notice)");
    }
    store
        .restrict_customer(
            email.trim(),
            level,
            review,
            contact,
            &detail,
            (!repeat).then_some(&letter),
            &author(cfg, actor, now),
        )?
        .ok_or_else(|| refused(format!("no customer with the address {email}")))
}

/// A step of the Monitoring Officer's unreasonable-behaviour procedure (`restrict EMAIL
/// --refer | --investigate | --warn | --decide`; the desk's unreasonable behaviour form).
#[derive(Debug, Clone)]
pub enum Behaviour<'a> {
    /// The service manager and the feedback manager refer the customer, with the grounds.
    Refer { grounds: &'a str },
    /// The Monitoring Officer writes that the customer's behaviour is being investigated.
    Investigate,
    /// The outcome letter: the concerns, the restriction considered, representations by.
    Warn {
        level: &'a str,
        contact: Option<&'a str>,
        concerns: &'a str,
        by: NaiveDate,
    },
    /// The decision to restrict (by default the restriction considered, for its concerns).
    Restrict {
        level: Option<&'a str>,
        contact: Option<&'a str>,
        review: NaiveDate,
        reasons: Option<&'a str>,
    },
    /// The decision not to restrict.
    NoRestriction { reasons: Option<&'a str> },
}

/// Take a step of the customer at `email`'s unreasonable-behaviour procedure, where the
/// preset has one: events on each of their cases (who, when), the letter on the latest.
/// The number of cases.
pub fn behaviour(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    email: &str,
    step: &Behaviour,
    wording: Wording,
) -> Result<usize> {
    use plan::behaviour::{next, Request};
    let email = email.trim();
    if !cfg.policy.preset.behaviour_procedure {
        return Err(refused(match wording {
            Wording::Cli => format!(
                "the {} policy has no Monitoring Officer procedure before a restriction: restrict {email} --level ... --review ... applies at once",
                cfg.policy.name
            ),
            Wording::Desk => format!(
                "the {} policy has no Monitoring Officer procedure before a restriction: use the Restrict form",
                cfg.policy.name
            ),
        }));
    }
    let open = store.open_behaviour(email)?;
    let representations = match open.as_ref().and_then(|(_, w)| w.as_deref()) {
        Some(since) => store.messages_from_customer_since(email, since)?,
        None => 0,
    };
    let procedure = open.as_ref().map(|(p, _)| p);
    let today = london_date(now);
    let by = author(cfg, actor, now);
    let none = || refused(format!("no customer with the address {email}"));
    let to = directory(store, cfg)?.monitoring_officer_recipients(&cfg.workflow);
    let at = crate::time::stamp(now);
    let writes = |n: &plan::behaviour::Next| plan::behaviour::writes(email, n, &to, &at);
    match step {
        Behaviour::Refer { grounds } => {
            let n = next(
                email,
                procedure,
                &Request::Refer { grounds },
                today,
                0,
                wording,
            )?;
            store
                .behaviour_step(
                    email,
                    &n,
                    Some(grounds.trim()),
                    None,
                    &writes(&n),
                    None,
                    &by,
                )?
                .ok_or_else(none)
        }
        Behaviour::Investigate => {
            let n = next(email, procedure, &Request::Investigate, today, 0, wording)?;
            store
                .behaviour_step(email, &n, None, None, &writes(&n), None, &by)?
                .ok_or_else(none)
        }
        Behaviour::Warn {
            level,
            contact,
            concerns,
            by: until,
        } => {
            let checked = restriction_checked(store, cfg, now, level, None, *contact, wording)?;
            let req = Request::Warn {
                level,
                contact: checked.clone(),
                concerns,
                by: *until,
            };
            let n = next(email, procedure, &req, today, representations, wording)?;
            let considered = store::Considered {
                level: Some(level.to_string()),
                contact: checked.map(|(c, _)| c.to_string()),
                concerns: Some(concerns.trim().to_string()),
                by: Some(*until),
            };
            store
                .behaviour_step(email, &n, None, Some(&considered), &writes(&n), None, &by)?
                .ok_or_else(none)
        }
        Behaviour::Restrict {
            level,
            contact,
            review,
            reasons,
        } => {
            let n = next(
                email,
                procedure,
                &Request::Restrict,
                today,
                representations,
                wording,
            )?;
            let p = procedure.cloned().unwrap_or(plan::behaviour::Procedure {
                step: plan::behaviour::Step::Warned,
                level: None,
                contact: None,
                concerns: None,
                representations_by: None,
            });
            let level = level
                .map(str::to_string)
                .or(p.level.clone())
                .unwrap_or_default();
            let contact = contact.map(str::to_string).or(p.contact.clone());
            let checked = restriction_checked(
                store,
                cfg,
                now,
                &level,
                Some(*review),
                contact.as_deref(),
                wording,
            )?;
            let reasons = reasons
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .or(p.concerns.clone())
                .unwrap_or_default();
            let letter = plan::LetterOrder::new(
                &crate::letter::kind::Content::RestrictionNotice {
                    restriction: level.clone(),
                    reasons,
                    review_date: *review,
                    contact: checked.as_ref().map(|(_, named)| named.clone()),
                    after_procedure: true,
                    representations_received: n.representations_received,
                },
                false,
            );
            let detail = format!(
                "{level} until review on {}; decided by the Monitoring Officer after the procedure",
                crate::time::iso(*review)
            );
            let r = store::RestrictIn {
                level: &level,
                review: *review,
                contact: checked.as_ref().map(|(c, _)| *c),
                detail: &detail,
                notice: Some(&letter),
            };
            store
                .behaviour_step(email, &n, None, None, &writes(&n), Some(&r), &by)?
                .ok_or_else(none)
        }
        Behaviour::NoRestriction { reasons } => {
            let req = Request::NoRestriction { reasons: *reasons };
            let n = next(email, procedure, &req, today, representations, wording)?;
            store
                .behaviour_step(email, &n, None, None, &writes(&n), None, &by)?
                .ok_or_else(none)
        }
    }
}

/// `director REF --about NAME`: the case is a complaint about the behaviour of a
/// director or senior manager; flagged, and routed and alerted to whoever the preset
/// says chooses the investigator (`[workflow] director_contact`, else the duty manager,
/// managers, the council's address).
pub fn mark_director(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    about: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let existing = store.director_of(a.case.id)?;
    let p = plan::director::mark(
        &a.case,
        a.policy,
        existing.as_ref(),
        about,
        &directory(store, cfg)?.director_recipients(&cfg.workflow),
    )?;
    a.write(store, &p)
}

/// `director REF --investigator NAME --chosen-by WHO`: the investigator chosen (and who
/// chose them) for a complaint about a director or senior manager.
pub fn choose_investigator(
    store: &mut Store,
    cfg: &Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    investigator: &str,
    chosen_by: &str,
) -> Result<Case> {
    let a = Acting::load(store, cfg, actor, now, reference)?;
    let existing = store.director_of(a.case.id)?;
    let p = plan::director::choose(
        &a.case,
        a.policy,
        existing.as_ref(),
        investigator,
        chosen_by,
    )?;
    a.write(store, &p)
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
    let (case, policy) = load(store, cfg, reference)?;
    if let Some(why) = crate::allowed::policy_refusal(policy, crate::allowed::Act::Pause) {
        return Err(refused(format!("{}: {why}", case.reference)));
    }
    if reason.trim().is_empty() {
        return Err(refused("--reason is required"));
    }
    if !store.start_pause(&case, london_date(now), reason, actor, now)? {
        return Err(refused(format!("{}: already paused", case.reference)));
    }
    Ok(store.case_by_id(case.id)?)
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
    let today = london_date(now);
    let cal = &cfg.calendar;
    let done = store.end_pause(&case, today, actor, now, |started, due, period| {
        plan::resumed_due(cal, started, today, due, period)
    })?;
    if !done {
        return Err(refused(format!("{}: not paused", case.reference)));
    }
    Ok(store.case_by_id(case.id)?)
}

/// `classify REF --as KIND`: correct the triage of a case (a compliment taken for a
/// complaint, say).
pub fn classify(
    store: &mut Store,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    kind: &str,
) -> Result<(Case, Case)> {
    let kind = parse_kind(kind)?;
    let before = store.find_case(reference)?;
    if before.kind == kind {
        return Err(refused(format!(
            "{} is already a {}",
            before.reference,
            kind.as_str()
        )));
    }
    let after = store.set_field(
        reference,
        store::CaseField::Kind,
        Some(kind.as_str()),
        now,
        actor,
    )?;
    Ok((before, after))
}

/// A kind of case as an officer types it.
pub fn parse_kind(s: &str) -> Result<crate::case::Kind> {
    crate::case::Kind::parse(s.trim()).ok_or_else(|| {
        refused(format!(
            "unknown kind '{s}' (known: {})",
            crate::case::Kind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })
}

/// A close reason an officer may give (auto-closed is the scheduler's and responded the
/// stage response's, `reply`).
pub fn parse_close_reason(s: &str) -> Result<CloseReason> {
    CloseReason::parse(s.trim())
        .filter(|r| !matches!(r, CloseReason::AutoClosed | CloseReason::Responded))
        .ok_or_else(|| {
            refused(format!(
                "unknown close reason '{s}': resolved, withdrawn, out-of-scope or referred-to-ombudsman"
            ))
        })
}

/// A manager's decision as typed.
pub fn parse_decision(s: &str) -> Result<Decision> {
    Decision::parse(s.trim()).ok_or_else(|| {
        refused(format!(
            "unknown decision '{s}': accept, refer-back or refer-to-ombudsman"
        ))
    })
}

/// A case recorded by an officer (`new`, the desk's New case), as typed: checked here
/// for both.
#[derive(Debug, Clone, Default)]
pub struct Intake<'a> {
    pub kind: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub address: &'a [String],
    /// phone, letter, in-person or email.
    pub via: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub service: Option<&'a str>,
    /// Default: now.
    pub received: Option<DateTime<Utc>>,
    /// The officer confirms a received date further back than [`RECEIVED_LIMIT_MONTHS`]
    /// (`--confirm-date`; the desk's "the date is right" box).
    pub confirm_date: bool,
    /// No name and no way to reply: recorded as the policy says (`Anonymous`), and no
    /// letter is ever written to anyone.
    pub anonymous: bool,
    /// An anonymous complaint that raises a wider concern the council can deal with
    /// without the complainant: a complaint even where the policy logs the others as
    /// service requests.
    pub wider_concern: bool,
}

/// How far back an officer may date a new case without confirming the date: the
/// presets set no time limit for making a complaint (Buckinghamshire's 12 months is an
/// exclusion for the officer to judge, not a receipt rule), so a year (issue 23, item 6).
pub const RECEIVED_LIMIT_MONTHS: u32 = 12;

/// Check what an officer typed for a new case and open it ([`open`]).
pub fn open_checked(
    store: &mut Store,
    cfg: &Config,
    i: &Intake,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Case> {
    let mut kind = parse_kind(i.kind)?;
    use crate::case::Kind;
    if i.wider_concern && !i.anonymous {
        return Err(refused(
            "a wider concern is for an anonymous complaint: say it is anonymous too",
        ));
    }
    if i.anonymous {
        let given = i.email.is_some_and(|e| !e.trim().is_empty())
            || i.name.is_some_and(|n| !n.trim().is_empty())
            || i.address.iter().any(|l| !l.trim().is_empty());
        if given {
            return Err(refused(
                "an anonymous complaint has no name, email or postal address: leave them out, or record it as not anonymous",
            ));
        }
        let policy = cfg.policies().configured();
        if kind == Kind::Complaint
            && policy.preset.anonymous == crate::policy::Anonymous::ServiceRequest
            && !i.wider_concern
        {
            // Seed 000 l.256: logged as a service request unless of wider concern.
            kind = Kind::ServiceRequest;
        }
    }
    let email = match i.email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            return Err(refused(format!(
                "'{}' is not an email address",
                crate::escape::escaped(e)
            )))
        }
        Some(e) => Some(e.to_lowercase()),
        None => None,
    };
    if !i.anonymous && email.is_none() && i.address.iter().all(|l| l.trim().is_empty()) {
        return Err(refused(
            "--address is empty: a customer with no email needs a postal address for their letters",
        ));
    }
    let via = match i.via.map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some("in-person") => Some("in person"),
        Some(v @ ("phone" | "letter" | "email")) => Some(v),
        Some(v) => {
            return Err(refused(format!(
                "unknown way in '{v}': phone, letter, in-person or email"
            )))
        }
    };
    let received = i.received.unwrap_or(now);
    if received > now {
        return Err(refused(format!(
            "--received {} is in the future (now is {})",
            received.to_rfc3339(),
            now.to_rfc3339()
        )));
    }
    let earliest = london_date(now)
        .checked_sub_months(chrono::Months::new(RECEIVED_LIMIT_MONTHS))
        .unwrap_or(chrono::NaiveDate::MIN);
    if london_date(received) < earliest && !i.confirm_date {
        return Err(refused(format!(
            "--received {} is more than {RECEIVED_LIMIT_MONTHS} months ago (before {earliest}): check the year, or confirm the date with --confirm-date",
            london_date(received)
        )));
    }
    let case = open(
        store,
        cfg,
        &store::NewCase {
            kind,
            email: email.as_deref(),
            name: i.name,
            address: i.address,
            via,
            subject: i.subject,
            service: i.service,
            received_at: received,
        },
        actor,
        now,
    )?;
    if !i.anonymous {
        return Ok(case);
    }
    let detail = match (case.kind, i.wider_concern) {
        (Kind::ServiceRequest, _) if i.kind.trim() != "service-request" => {
            "logged as a service request, as the policy says of anonymous complaints; no letter is written"
        }
        (_, true) => "a wider concern the council deals with without the complainant; no letter is written",
        _ => "no letter is written",
    };
    let mut p = plan::Plan::default();
    p.push(plan::Write::Event {
        kind: EventKind::Anonymous,
        detail: Some(detail.into()),
    });
    Ok(store.apply_plan(&case, &p, &author(cfg, actor, now))?)
}

/// Someone the desk offers to assign a case to: their login name and how the desk
/// names them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignable {
    pub name: String,
    /// "Sam Patel, Customer Feedback Officer"; the login name when they have no
    /// display name.
    pub shown: String,
}

/// The people in the staff directory who may take `reference` at its current stage:
/// those [`assign`] accepts (stage independence, [`plan::independent`]; a complaint about
/// a director only its investigator, [`plan::director::may_assign`]), by display name.
/// Empty for a closed case.
pub fn assignable(store: &Store, cfg: &Config, reference: &str) -> Result<Vec<Assignable>> {
    let (case, policy) = load(store, cfg, reference)?;
    let h = handlers(store, &case, policy)?;
    let director = store.director_of(case.id)?;
    let dir = directory(store, cfg)?;
    let mut out: Vec<Assignable> = dir
        .people()
        .iter()
        .filter(|p| {
            plan::assign(&case, &p.name, policy, &h).is_ok()
                && plan::director::may_assign(&case, director.as_ref(), &p.name).is_ok()
        })
        .map(|p| Assignable {
            name: p.name.clone(),
            shown: p.in_letters().unwrap_or_else(|| p.name.clone()),
        })
        .collect();
    out.sort_by_key(|a| (a.shown.to_lowercase(), a.name.clone()));
    Ok(out)
}
