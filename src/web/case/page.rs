//! The case page: the case, its messages, letters and deadlines, and the forms of the
//! actions on it (`actions`), with the banner an action leaves.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::words::{self, People};
use crate::allowed::{self, Act};
use crate::case::Case;
use crate::deadline::Deadline;
use crate::store::{EventRow, Store, StoreError};
use crate::web::{Shared, User};

/// The banner after each action, by the `done` the redirect carries.
pub(crate) fn banner(done: &str) -> Option<&'static str> {
    Some(match done {
        "assign" => "The case was assigned.",
        "reply" => "The reply was queued to send.",
        "awaiting" => "The reply waits for approval: it is not sent until it is approved.",
        "approve" => "The response was approved and queued to send.",
        "return" => "The response was returned to the officer who wrote it, unsent.",
        "learning" => "The learning was recorded.",
        "extend" => "The deadline was extended and the letter queued.",
        "escalate" => "The case moved to the next stage.",
        "decide" => "The decision was recorded.",
        "pause" => "The deadlines are paused.",
        "resume" => "The deadlines are running again.",
        "classify" => "The case's kind was corrected.",
        "note" => "The note was added.",
        "triage" => "Triage was decided and the letter queued.",
        "close" => "The case was closed.",
        "reopen" => "The case was reopened.",
        "restrict" => "The restriction was recorded.",
        "behaviour" => "The step of the unreasonable behaviour procedure was recorded.",
        "director" => "Recorded: a complaint about a director or senior manager.",
        "exclude" => "The case was closed as not covered by the policy, and the letter saying where to go instead was queued.",
        "service" => "The service was recorded.",
        "customer" => "The customer's details were corrected.",
        "acknowledge" => "The acknowledgement was queued.",
        "unflag" => "The flag was cleared.",
        "representative" => "The representative was recorded.",
        "new" => "The case was opened.",
        "quarantine-attach" => "The message was attached to this case from the quarantine.",
        "quarantine-open" => "The message was opened as this case from the quarantine.",
        _ => return None,
    })
}

/// What a case page says above the case: a success banner, or why an action was refused.
#[derive(Default)]
pub(crate) struct Notice {
    pub banner: Option<&'static str>,
    pub error: Option<String>,
    /// The case changed since the page the action came from was drawn.
    pub stale: bool,
    /// What the officer typed, to fill the forms in again.
    pub form: std::collections::HashMap<String, String>,
    /// Which form it was.
    pub action: Option<String>,
    /// The case was opened from New case, but what followed was refused: the error
    /// is not "nothing was changed".
    pub opened_partly: bool,
}

/// The choices the case's policy offers on the reply form, and what waits for a person.
struct Choices {
    outcomes: Vec<String>,
    categories: Vec<String>,
    category_label: String,
    /// Triage's suggestion, while the case waits to triage.
    triage: Option<Triage>,
    representative: Option<crate::store::intake::Representative>,
    /// A complaint about a director or senior manager: its mark, and who chooses.
    director: Option<crate::plan::director::Director>,
    /// Words in the mail that suggest it is about a director (a hint; a person marks it).
    director_hint: Vec<&'static str>,
    director_chooser: Option<String>,
    /// The customer's unreasonable-behaviour procedure, where the policy has one: in
    /// words, if one is open.
    behaviour_procedure: bool,
    behaviour: Option<String>,
    /// A response written and waiting for approval, and which responses wait.
    waiting: Option<crate::store::WaitingRow>,
    approval: Option<crate::policy::Approval>,
}

/// Triage's suggestion as the case page shows it.
#[derive(serde::Serialize)]
struct Triage {
    suggested: String,
    route: Option<String>,
    reason: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct CaseQuery {
    done: Option<String>,
    /// Which page of the case's attachments (from 1).
    files: Option<String>,
}

/// Attachments listed per page of a case: a case may hold thousands (a resident who
/// sends their whole archive), and the page must stay small.
pub(crate) const FILES_PER_PAGE: i64 = 50;

/// One page of a case's attachments as the case page shows it.
#[derive(serde::Serialize)]
struct FilesPage {
    rows: Vec<crate::store::messages::CaseAttachment>,
    /// The first and last shown (from 1), and how many in all, written with commas.
    first: String,
    last: String,
    total: String,
    /// The pages before and after, if any.
    prev: Option<i64>,
    next: Option<i64>,
    page: i64,
    pages: i64,
}

/// 100000 as "100,000".
fn with_commas(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Page `asked` (from 1; past the last, the last) of the case's attachments.
fn files_page(store: &crate::store::Store, case_id: i64, asked: i64) -> anyhow::Result<FilesPage> {
    let total = store.case_attachment_count(case_id)?;
    let pages = ((total + FILES_PER_PAGE - 1) / FILES_PER_PAGE).max(1);
    let page = asked.clamp(1, pages);
    let offset = (page - 1) * FILES_PER_PAGE;
    let rows = store.case_attachments_page(case_id, offset, FILES_PER_PAGE)?;
    Ok(FilesPage {
        first: with_commas(if rows.is_empty() { 0 } else { offset + 1 }),
        last: with_commas(offset + rows.len() as i64),
        total: with_commas(total),
        rows,
        prev: (page > 1).then_some(page - 1),
        next: (page < pages).then_some(page + 1),
        page,
        pages,
    })
}

pub(crate) async fn case(
    State(app): State<Shared>,
    who: User,
    Path(reference): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> Response {
    let notice = Notice {
        banner: q.done.as_deref().and_then(banner),
        ..Notice::default()
    };
    // A page number that is not one shows the first page.
    let files = q
        .files
        .as_deref()
        .and_then(|f| f.trim().parse::<i64>().ok())
        .unwrap_or(1);
    case_page(&app, &who, reference, notice, files, StatusCode::OK).await
}

/// The case page, with `notice` on top.
pub(crate) async fn case_page(
    app: &Shared,
    who: &User,
    reference: String,
    notice: Notice,
    files: i64,
    status: StatusCode,
) -> Response {
    let manager = who.0.role.allows(crate::accounts::Role::Manager);
    let data = app
        .db(move |store, cfg| {
            let case = match store.find_case(&reference) {
                Ok(c) => c,
                Err(StoreError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let version = store.case_version(case.id)?;
            let deadlines = store.deadlines(case.id)?;
            // Why each falls on its date, as `case --explain` says it.
            let policy = cfg.policies().get(&case.policy)?;
            let explained: Vec<String> = deadlines
                .iter()
                .filter_map(crate::deadline::Deadline::as_due)
                .map(|d| {
                    d.explain(
                        &cfg.calendar,
                        crate::deadline::counts_working_days(policy, &d),
                    )
                })
                .collect();
            let events = store.events(case.id)?;
            // Messages with how many attachments each; the attachments a page at a time.
            let matched: std::collections::HashMap<i64, String> =
                store.message_matches(case.id)?.into_iter().collect();
            let messages: Vec<serde_json::Value> = store
                .case_messages_counted(case.id)?
                .into_iter()
                .map(|(m, n)| {
                    let how = matched.get(&m.id).map(String::as_str).unwrap_or("");
                    let mut v = serde_json::to_value(&m).unwrap_or_default();
                    v["attachment_count"] = n.into();
                    v["received"] = words::when(&m.received_at).into();
                    v["third_party"] = how.starts_with("third-party").into();
                    v["recorded"] = (how == crate::store::RECORDED).into();
                    v
                })
                .collect();
            let files = files_page(store, case.id, files)?;
            let shown = shown(store, cfg, &case, policy, &deadlines, &events, manager)?;
            let choices = Choices {
                outcomes: policy.preset.outcomes.clone(),
                categories: policy.preset.categories.clone(),
                category_label: policy.preset.category_label.clone(),
                triage: store
                    .pending_suggestion(case.id)?
                    .filter(|_| case.state == crate::case::State::Received)
                    .map(|s| Triage {
                        // In the policy's words: what it does not cover, not an id.
                        suggested: match s.letter_data.get("exclusion").and_then(|x| x.as_str()) {
                            Some(x) => format!("out of scope ({x})"),
                            None => s.kind.as_str().replace('-', " "),
                        },
                        route: s
                            .letter_data
                            .get("where")
                            .and_then(|w| w.as_str())
                            .map(String::from),
                        reason: s.reason,
                    }),
                representative: store.representative(case.id)?,
                director_hint: match (
                    &policy.preset.director_investigator,
                    store.director_of(case.id)?,
                ) {
                    (Some(_), None) => {
                        let text: Vec<&str> = messages
                            .iter()
                            .flat_map(|m| [m["subject"].as_str(), m["body"].as_str()])
                            .flatten()
                            .collect();
                        crate::triage::director_hints(&text.join("\n"))
                    }
                    _ => Vec::new(),
                },
                director: store.director_of(case.id)?,
                director_chooser: policy.preset.director_investigator.clone(),
                behaviour_procedure: cfg.policy.preset.behaviour_procedure,
                behaviour: match case.customer_email.as_deref() {
                    Some(e) => store.open_behaviour(e)?.map(|(p, _)| {
                        let mut w = p.step.words().to_string();
                        if let Some(by) = p.representations_by {
                            w.push_str(&format!(" by {}", crate::time::iso(by)));
                        }
                        w
                    }),
                    None => None,
                },
                waiting: store.waiting_response(case.id)?,
                approval: policy.preset.approval.clone(),
            };
            Ok(Some((
                case,
                version,
                (deadlines, explained),
                (events, shown),
                (messages, choices, files),
            )))
        })
        .await;
    let (case, version, (deadlines, explained), (events, shown), (messages, choices, files)) =
        match data {
            Ok(Some(d)) => d,
            Ok(None) => {
                return app.error(
                    StatusCode::NOT_FOUND,
                    "No such case",
                    "There is no case with that reference.",
                )
            }
            Err(r) => return r,
        };
    let mut c = app.context(Some(&who.0));
    c.insert("case", &case);
    c.insert("version", &version);
    c.insert("deadlines", &deadlines);
    c.insert("explained", &explained);
    c.insert("events", &events);
    c.insert("page", &shown);
    c.insert("messages", &messages);
    c.insert("files", &files);
    c.insert("banner", &notice.banner);
    c.insert("action_error", &notice.error);
    c.insert("stale", &notice.stale);
    c.insert("form", &notice.form);
    c.insert("failed_action", &notice.action);
    c.insert("opened_partly", &notice.opened_partly);
    c.insert("kinds", &crate::case::Kind::ALL.map(|k| k.as_str()));
    c.insert("outcomes", &choices.outcomes);
    c.insert("categories", &choices.categories);
    c.insert("category_label", &choices.category_label);
    c.insert("triage", &choices.triage);
    c.insert("representative", &choices.representative);
    c.insert("director", &choices.director);
    c.insert("director_hint", &choices.director_hint);
    c.insert("director_chooser", &choices.director_chooser);
    c.insert("behaviour_procedure", &choices.behaviour_procedure);
    c.insert("behaviour", &choices.behaviour);
    c.insert("waiting", &choices.waiting);
    c.insert("approval", &choices.approval);
    c.insert(
        "assignable",
        &crate::web::users::assignable(app, &case.reference).await,
    );
    c.insert(
        "attach_hint",
        &format!(
            "{}; at most {} each and {} together. The letter lists them under Enclosures.",
            crate::plan::enclosure::allowed_list(),
            crate::plan::enclosure::size_text(app.cfg.letters.max_file_attachment_bytes),
            crate::plan::enclosure::size_text(app.cfg.letters.max_letter_attachment_bytes)
        ),
    );
    c.insert(
        "today",
        &crate::time::iso(crate::calendar::london_date(app.now())),
    );
    app.render("case.html", &c, status)
}

/// The case page in words: what may be done here (and why not the rest), the banner,
/// the case's details, the deadlines and the timeline as an officer reads them.
#[derive(serde::Serialize)]
struct Shown {
    /// Each action's word: offered here.
    may: std::collections::HashMap<&'static str, bool>,
    /// What is not offered, and why (manager-only actions hidden from officers).
    not_here: Vec<Pair>,
    urgent: bool,
    flags: Vec<String>,
    third_party: bool,
    stage: String,
    state: String,
    kind: String,
    officer: Option<String>,
    received: String,
    channel: String,
    address: Vec<String>,
    /// The customer's telephone number, if recorded.
    phone: Option<String>,
    paused: bool,
    /// Who may move it to the next stage now: the customer asking, the council itself.
    by_customer: bool,
    by_council: bool,
    /// A response waiting for approval: who wrote it (by name) and when.
    waiting: Option<Pair>,
    deadlines: Vec<DeadlineShown>,
    timeline: Vec<Pair>,
    exclusions: Vec<Pair>,
    roles: Vec<Pair>,
}

/// Two words shown together: an id and its words, a time and a sentence.
#[derive(serde::Serialize)]
struct Pair {
    a: String,
    b: String,
}

fn pair(a: impl Into<String>, b: impl Into<String>) -> Pair {
    Pair {
        a: a.into(),
        b: b.into(),
    }
}

#[derive(serde::Serialize)]
struct DeadlineShown {
    stage: String,
    what: &'static str,
    due: String,
    status: String,
    why: String,
}

fn deadline_what(k: crate::deadline::Kind) -> &'static str {
    use crate::deadline::Kind as K;
    match k {
        K::Acknowledge => "Acknowledge",
        K::Decide => "Decide on the request for the next stage",
        K::Aim => "Aim to respond",
        K::Respond => "Respond",
        K::EscalationWindow => "The customer may ask for the next stage until",
        K::OverallLimit => "Whole complaint resolved",
        K::Survey => "Satisfaction survey",
        K::Extension => "Respond (extended date)",
    }
}

fn deadline_status(d: &Deadline) -> String {
    use crate::deadline::Status as S;
    if d.held_letter.is_some() {
        return format!(
            "Letter held to print and post since {}",
            d.met_on.as_deref().map(words::when).unwrap_or_default()
        );
    }
    let on = d
        .met_on
        .as_deref()
        .map(|m| format!(" on {}", words::when(m)))
        .unwrap_or_default();
    match d.status {
        S::Open => "Open".into(),
        S::Met => format!("Met{on}"),
        S::Lapsed => format!("Passed{on}"),
        S::Cancelled => "No longer owed".into(),
        S::Extended => "Replaced by an extended date".into(),
    }
}

/// Why a deadline falls on its date, in words: the policy's period and what it counts
/// from, the days skipped; for an extended date, who extended it and why.
fn deadline_why(
    cfg: &crate::config::Config,
    policy: &crate::policy::Policy,
    d: &Deadline,
    events: &[EventRow],
    people: &People,
) -> String {
    if let Some(due) = d.as_due() {
        let line = due.explain(
            &cfg.calendar,
            crate::deadline::counts_working_days(policy, &due),
        );
        // "stage1 respond: 20 working days from receipt (...) = ...": the part after
        // the id, with days as days.
        let rest = line.split_once(": ").map_or(line.as_str(), |(_, r)| r);
        return words::dates_in(rest)
            .replacen(" = ", ", due ", 1)
            .replace("; skipped", "; not counting");
    }
    let from = words::when(&d.from_date);
    let due = words::when(&d.due);
    // The officer's extension names the new date; otherwise the scheduler's holding
    // letter set it when the response date passed.
    let by = events.iter().rev().find(|e| {
        e.kind == "extended"
            && e.detail
                .as_deref()
                .is_some_and(|x| x.starts_with(&format!("to {}", d.due)))
    });
    match by {
        Some(e) => {
            let reason = e
                .detail
                .as_deref()
                .and_then(|x| x.split_once("): ").map(|(_, r)| r.to_string()))
                .unwrap_or_default();
            format!(
                "{} extended the response date by {} from {from} to {due}, because {reason}.",
                people.actor(&e.actor),
                d.period
            )
        }
        None => format!(
            "A holding letter told the customer of a new date: {} after {from}, so {due}.",
            d.period
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn shown(
    store: &Store,
    cfg: &crate::config::Config,
    case: &Case,
    policy: &crate::policy::Policy,
    deadlines: &[Deadline],
    events: &[EventRow],
    manager: bool,
) -> anyhow::Result<Shown> {
    let people = People::new(cfg);
    let facts = super::facts(store, case)?;
    let sit = facts.situation(case, policy, manager);
    let verdicts = allowed::all(&sit);
    let may = verdicts
        .iter()
        .map(|(a, w)| (a.as_str(), w.is_none()))
        .collect();
    let not_here = verdicts
        .iter()
        .filter(|(a, w)| w.is_some() && (manager || !a.manager_only()))
        // Forms that appear only when their moment comes are not listed as missing.
        .filter(|(a, _)| {
            !matches!(
                a,
                Act::Triage
                    | Act::Approve
                    | Act::Return
                    | Act::Resume
                    | Act::Unflag
                    | Act::Acknowledge
            )
        })
        .map(|(a, w)| pair(a.title(), w.clone().unwrap_or_default()))
        .collect();
    let customer = store.customer_of_case(case.id)?;
    let (by_customer, by_council) = allowed::escalation_by(&sit);
    Ok(Shown {
        may,
        not_here,
        urgent: case
            .flagged
            .as_deref()
            .is_some_and(|f| f.contains("URGENT")),
        flags: words::flags(policy, case.flagged.as_deref()),
        third_party: case
            .flagged
            .as_deref()
            .is_some_and(|f| f.contains("third-party correspondence")),
        stage: words::stage_name(policy, &case.stage),
        state: words::state_words(case.state.as_str()).to_string(),
        kind: words::kind_words(case.kind.as_str()),
        officer: case.officer.as_deref().map(|o| people.name(o)),
        received: words::when(&case.received_at),
        channel: words::channel(events),
        address: customer.address,
        phone: customer.phone,
        paused: facts.paused,
        by_customer,
        by_council,
        waiting: store
            .waiting_response(case.id)?
            .map(|w| pair(people.name(&w.written_by), words::when(&w.written_at))),
        deadlines: deadlines
            .iter()
            .map(|d| DeadlineShown {
                stage: words::stage_name(policy, &d.stage),
                what: deadline_what(d.kind),
                due: words::when(&d.due),
                status: deadline_status(d),
                why: deadline_why(cfg, policy, d, events, &people),
            })
            .collect(),
        timeline: events
            .iter()
            .map(|e| pair(words::when(&e.at), words::sentence(e, &people, policy)))
            .collect(),
        exclusions: policy
            .preset
            .exclusions
            .iter()
            .map(|x| pair(&x.id, &x.covers))
            .collect(),
        roles: [
            ("councillor", "A councillor"),
            ("mp", "A Member of Parliament"),
            ("advocate", "An advocate"),
            ("relative", "A relative"),
            ("other", "Someone else"),
        ]
        .into_iter()
        .map(|(a, b)| pair(a, b))
        .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_commas() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(1000), "1,000");
        assert_eq!(with_commas(100000), "100,000");
        assert_eq!(with_commas(1234567), "1,234,567");
    }
}
