//! The desk's list of all cases: filters (state, stage, kind, officer, overdue, received
//! between) and full-text search (reference, customer, subject, messages), a page at a
//! time. Every filter is a GET parameter, so a list can be bookmarked and reloaded.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use super::{Shared, User};
use crate::accounts::Role;
use crate::case::{Kind, State as CaseState};
use crate::store::CaseFilter;

/// Cases on one page of the list.
pub const PAGE: usize = 50;

/// How long one search may run before it is stopped and the officer told to narrow it.
const SEARCH_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// The list's parameters as the form sends them (empty fields are "any").
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    overdue: String,
    /// Due soon: within this many working days (the dashboard's 3, a digest's own).
    #[serde(default)]
    soon: String,
    /// Open cases only.
    #[serde(default)]
    open: String,
    /// Cases with no officer.
    #[serde(default)]
    unassigned: String,
    /// Cases waiting to triage.
    #[serde(default)]
    triage: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<usize>,
}

/// The page asked for: 1 if none, and never past a page no database reaches (an
/// offset that would overflow).
fn page_of(q: &ListQuery) -> usize {
    const LAST_PAGE: usize = 1_000_000;
    q.page.unwrap_or(1).clamp(1, LAST_PAGE)
}

/// The store's filter for a query, or what is wrong with it (shown on the page).
pub(crate) fn filter(
    q: &ListQuery,
    today: chrono::NaiveDate,
    calendar: &crate::calendar::Calendar,
) -> Result<CaseFilter, String> {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let date = |s: &str, what: &str| -> Result<Option<chrono::NaiveDate>, String> {
        match some(s) {
            None => Ok(None),
            Some(d) => crate::time::parse_iso(&d)
                .map(Some)
                .ok_or_else(|| format!("Received {what} must be a date like 2026-11-02")),
        }
    };
    let state = match some(&q.state) {
        None => None,
        Some(s) => Some(CaseState::parse(&s).ok_or_else(|| format!("Unknown state {s}"))?),
    };
    let kind = match some(&q.kind) {
        None => None,
        Some(k) => Some(Kind::parse(&k).ok_or_else(|| format!("Unknown kind {k}"))?),
    };
    let search = match some(&q.q) {
        None => None,
        Some(words) => Some(crate::text::Search::parse(&words).map_err(|e| e.to_string())?),
    };
    let due_soon = match some(&q.soon) {
        None => None,
        Some(n) => match n.parse::<u32>() {
            Ok(n) if (1..=60).contains(&n) => Some((today, calendar.add_working_days(today, n))),
            _ => return Err("Due within must be a number of working days from 1 to 60".into()),
        },
    };
    let page = page_of(q);
    Ok(CaseFilter {
        due_soon,
        open_only: !q.open.is_empty(),
        unassigned: !q.unassigned.is_empty(),
        to_triage: !q.triage.is_empty(),
        state,
        kind,
        officer: some(&q.officer),
        stage: some(&q.stage),
        overdue_on: (!q.overdue.is_empty()).then_some(today),
        received_from: date(&q.from, "from")?,
        received_to: date(&q.to, "to")?,
        search,
        newest_first: true,
        // One more than a page: whether there is a next page.
        limit: Some(PAGE + 1),
        offset: Some((page - 1) * PAGE),
        ..CaseFilter::default()
    })
}

#[derive(Serialize)]
struct Row {
    reference: String,
    customer: String,
    subject: String,
    kind: String,
    stage: String,
    state: String,
    officer: String,
    /// The officer as people know them (display name).
    officer_shown: Option<String>,
    received: String,
    due: String,
    overdue: bool,
}

pub(crate) async fn cases(
    State(app): State<Shared>,
    who: User,
    Query(q): Query<ListQuery>,
) -> Response {
    list_page(app, who, q, None).await
}

/// One case a bulk reassignment left alone, and why.
#[derive(Debug, Serialize)]
struct Refusal {
    reference: String,
    why: String,
}

/// What a bulk reassignment did: the banner, and the cases refused.
struct Reassigned {
    done: Option<String>,
    /// Nothing was done: what was missing.
    problem: Option<String>,
    refusals: Vec<Refusal>,
}

/// Who cases may be given to: the staff list, or the desk's accounts when the config
/// lists no staff. (login, as people know them)
fn officers(directory: &crate::config::Directory) -> Vec<serde_json::Value> {
    let mut people: Vec<(String, String)> = directory
        .people()
        .iter()
        .map(|s| (s.name.clone(), directory.shown(&s.name)))
        .collect();
    people.sort_by_key(|p| p.1.to_lowercase());
    people
        .into_iter()
        .map(|(name, label)| serde_json::json!({ "name": name, "label": label }))
        .collect()
}

/// POST /cases/reassign (managers): each case ticked given to the officer chosen, one
/// assignment (and its event) per case; the ones a rule refuses are listed with why,
/// the rest done. Then the list the manager was on, again.
pub(crate) async fn reassign(
    State(app): State<Shared>,
    who: User,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let mut picked: Vec<String> = Vec::new();
    let (mut to, mut back) = (String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "case" if !v.trim().is_empty() && !picked.contains(&v.to_string()) => {
                picked.push(v.trim().to_string())
            }
            "to" => to = v.trim().to_string(),
            "back" => back = v.to_string(),
            _ => {}
        }
    }
    let q: ListQuery = serde_urlencoded_from(&back);
    if picked.is_empty() || to.is_empty() {
        let why = if picked.is_empty() {
            "Tick the cases to reassign"
        } else {
            "Choose who to give the cases to"
        };
        let outcome = Reassigned {
            done: None,
            problem: Some(why.to_string()),
            refusals: Vec::new(),
        };
        return list_page(app, who, q, Some(outcome)).await;
    }
    const MOST: usize = 500;
    if picked.len() > MOST {
        let outcome = Reassigned {
            done: None,
            problem: Some(format!("Reassign at most {MOST} cases at once")),
            refusals: Vec::new(),
        };
        return list_page(app, who, q, Some(outcome)).await;
    }
    let actor = who.0.name.clone();
    let now = app.now();
    let officer = to.clone();
    let results = app
        .db(move |store, cfg| {
            let mut done = 0usize;
            let mut refused = Vec::new();
            for r in &picked {
                match crate::actions::assign(store, cfg, now, &actor, r, &officer) {
                    Ok(_) => done += 1,
                    Err(e) => refused.push(Refusal {
                        reference: r.clone(),
                        why: super::Fail::from(e).refusal()?,
                    }),
                }
            }
            Ok((done, refused))
        })
        .await;
    let (done, refusals) = match results {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let shown = match app
        .db(|store, cfg| Ok(crate::accounts::directory(store, cfg)?))
        .await
    {
        Ok(d) => d.shown(&to),
        Err(r) => return r,
    };
    let outcome = Reassigned {
        done: (done > 0).then(|| {
            format!(
                "{done} {} reassigned to {shown}",
                if done == 1 { "case" } else { "cases" }
            )
        }),
        problem: None,
        refusals,
    };
    list_page(app, who, q, Some(outcome)).await
}

/// The list's query from the URL parameters it was drawn with.
fn serde_urlencoded_from(s: &str) -> ListQuery {
    let mut q = ListQuery::default();
    for (k, v) in form_urlencoded::parse(s.trim_start_matches('?').as_bytes()) {
        let v = v.to_string();
        match k.as_ref() {
            "q" => q.q = v,
            "state" => q.state = v,
            "stage" => q.stage = v,
            "kind" => q.kind = v,
            "officer" => q.officer = v,
            "overdue" => q.overdue = v,
            "soon" => q.soon = v,
            "open" => q.open = v,
            "unassigned" => q.unassigned = v,
            "triage" => q.triage = v,
            "from" => q.from = v,
            "to" => q.to = v,
            "page" => q.page = v.parse().ok(),
            _ => {}
        }
    }
    q
}

async fn list_page(app: Shared, who: User, q: ListQuery, outcome: Option<Reassigned>) -> Response {
    let today = crate::calendar::london_date(app.now());
    let mut f = filter(&q, today, &app.cfg.calendar);
    let rows = match &mut f {
        Err(_) => Ok(Ok((Vec::new(), None))),
        Ok(f) if f.search.is_some() => {
            // At most a few searches at once; one waits briefly for another to end.
            match app.searching().await {
                Err(busy) => Ok(Err(busy)),
                Ok(_turn) => {
                    f.time_budget = Some(SEARCH_BUDGET);
                    let f = f.clone();
                    app.db(move |store, _| match store.list_cases(&f) {
                        Err(crate::store::StoreError::Search(why)) => Ok(Err(why)),
                        other => Ok(Ok((other?, None))),
                    })
                    .await
                }
            }
        }
        Ok(f) => {
            let f = f.clone();
            app.db(move |store, _| {
                // How many in all, where the list is one of the dashboard's (a filter
                // it links to, read from an index): not for every list.
                let total = if f.open_only
                    || f.unassigned
                    || f.to_triage
                    || f.overdue_on.is_some()
                    || f.due_soon.is_some()
                {
                    Some(store.count_cases(&f)?)
                } else {
                    None
                };
                Ok(Ok((store.list_cases(&f)?, total)))
            })
            .await
        }
    };
    let (mut cases, total, refused) = match rows {
        Ok(Ok((r, total))) => (r, total, None),
        Ok(Err(why)) => (Vec::new(), None, Some(why)),
        Err(r) => return r,
    };
    let status = match &refused {
        Some(why) if why == crate::store::SEARCH_BUSY => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let more = cases.len() > PAGE;
    cases.truncate(PAGE);
    // The staff directory (the desk's accounts with [[staff]]): the Officer filter and,
    // for managers, whom to reassign to.
    let directory = match app
        .db(|store, cfg| Ok(crate::accounts::directory(store, cfg)?))
        .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    let stage_names: std::collections::HashMap<&str, &str> = app
        .cfg
        .policy
        .preset
        .stages
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let rows: Vec<Row> = cases
        .into_iter()
        .map(|c| {
            let due = c.next_due.as_deref().and_then(crate::time::parse_iso);
            Row {
                overdue: due.is_some_and(|d| d < today),
                due: due.map(crate::time::day_in_words).unwrap_or_default(),
                received: crate::time::stored_in_words(c.received_at.get(..10).unwrap_or_default()),
                reference: c.reference,
                customer: c.customer_name.or(c.customer_email).unwrap_or_default(),
                subject: c.subject.unwrap_or_default(),
                kind: c.kind.to_string(),
                stage: stage_names
                    .get(c.stage.as_str())
                    .map_or(c.stage.clone(), |n| n.to_string()),
                officer_shown: c.officer.as_deref().map(|o| directory.shown(o)),
                state: if c.awaiting_approval {
                    format!("{}, awaiting approval", c.state)
                } else {
                    c.state.to_string()
                },
                officer: c.officer.unwrap_or_default(),
            }
        })
        .collect();
    let page = page_of(&q);
    let link = |p: usize| {
        let mut l = ListQuery {
            page: Some(p),
            ..ListQuery::default()
        };
        l.q.clone_from(&q.q);
        l.state.clone_from(&q.state);
        l.stage.clone_from(&q.stage);
        l.kind.clone_from(&q.kind);
        l.officer.clone_from(&q.officer);
        l.overdue.clone_from(&q.overdue);
        l.soon.clone_from(&q.soon);
        l.open.clone_from(&q.open);
        l.unassigned.clone_from(&q.unassigned);
        l.triage.clone_from(&q.triage);
        l.from.clone_from(&q.from);
        l.to.clone_from(&q.to);
        format!("/cases?{}", serde_urlencoded(&l))
    };
    let manager = who.0.role.allows(Role::Manager);
    let mut c = app.context(Some(&who.0));
    if manager {
        c.insert("back", &serde_urlencoded(&q));
    }
    if let Some(o) = &outcome {
        c.insert("done", &o.done);
        c.insert("problem", &o.problem);
        c.insert("refusals", &o.refusals);
    }
    c.insert("officers", &officers(&directory));
    c.insert(
        "stages",
        &app.cfg
            .policy
            .preset
            .stages
            .iter()
            .map(|s| serde_json::json!({ "id": s.id, "name": s.name }))
            .collect::<Vec<_>>(),
    );
    c.insert("rows", &rows);
    c.insert("total", &total);
    c.insert("query", &q);
    c.insert("error", &f.err().or(refused));
    c.insert("states", &CaseState::ALL.map(|s| s.as_str()));
    c.insert("kinds", &Kind::ALL.map(|k| k.as_str()));
    c.insert("page", &page);
    c.insert("next", &more.then(|| link(page + 1)));
    c.insert("previous", &(page > 1).then(|| link(page - 1)));
    app.render("cases.html", &c, status)
}

/// The query as URL parameters (for the paging links).
fn serde_urlencoded(q: &ListQuery) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("state", &q.state),
        ("stage", &q.stage),
        ("kind", &q.kind),
        ("officer", &q.officer),
        ("overdue", &q.overdue),
        ("soon", &q.soon),
        ("open", &q.open),
        ("unassigned", &q.unassigned),
        ("triage", &q.triage),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(p) = q.page {
        s.append_pair("page", &p.to_string());
    }
    s.finish()
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/cases", get(cases))
        .route("/cases/reassign", axum::routing::post(reassign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_a_filter_or_says_what_is_wrong() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let q = ListQuery {
            q: "acacia ave".into(),
            state: "acknowledged".into(),
            overdue: "1".into(),
            from: "2026-11-01".into(),
            page: Some(3),
            ..ListQuery::default()
        };
        let f = filter(&q, today, &crate::calendar::Calendar::default()).unwrap();
        assert_eq!(
            f.search.map(|s| s.fts()).as_deref(),
            Some("\"acacia\"* AND \"ave\"*")
        );
        assert_eq!(f.state, Some(CaseState::Acknowledged));
        assert_eq!(f.overdue_on, Some(today));
        assert_eq!(
            f.received_from.map(|d| d.to_string()).as_deref(),
            Some("2026-11-01")
        );
        assert_eq!((f.limit, f.offset), (Some(PAGE + 1), Some(2 * PAGE)));
        // A page number past any database is the last page there can be, not an
        // overflow.
        let far = ListQuery {
            page: Some(usize::MAX),
            ..ListQuery::default()
        };
        let f = filter(&far, today, &crate::calendar::Calendar::default()).unwrap();
        assert_eq!(f.offset, Some((1_000_000 - 1) * PAGE));
        let bad = ListQuery {
            from: "1 Nov".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            filter(&bad, today, &crate::calendar::Calendar::default()).unwrap_err(),
            "Received from must be a date like 2026-11-02"
        );
        let bad = ListQuery {
            state: "lost".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            filter(&bad, today, &crate::calendar::Calendar::default()).unwrap_err(),
            "Unknown state lost"
        );
        assert_eq!(
            serde_urlencoded(&ListQuery {
                q: "a&b".into(),
                page: Some(2),
                ..ListQuery::default()
            }),
            "q=a%26b&page=2"
        );
    }
}
