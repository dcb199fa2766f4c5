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
pub(crate) fn filter(q: &ListQuery, today: chrono::NaiveDate) -> Result<CaseFilter, String> {
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
    let page = page_of(q);
    Ok(CaseFilter {
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
    received: String,
    due: String,
    overdue: bool,
}

pub(crate) async fn cases(
    State(app): State<Shared>,
    who: User,
    Query(q): Query<ListQuery>,
) -> Response {
    let today = crate::calendar::london_date(app.now());
    let mut f = filter(&q, today);
    let rows = match &mut f {
        Err(_) => Ok(Ok(Vec::new())),
        Ok(f) if f.search.is_some() => {
            // At most a few searches at once; one waits briefly for another to end.
            match app.searching().await {
                Err(busy) => Ok(Err(busy)),
                Ok(_turn) => {
                    f.time_budget = Some(SEARCH_BUDGET);
                    let f = f.clone();
                    app.db(move |store, _| match store.list_cases(&f) {
                        Err(crate::store::StoreError::Search(why)) => Ok(Err(why)),
                        other => Ok(Ok(other?)),
                    })
                    .await
                }
            }
        }
        Ok(f) => {
            let f = f.clone();
            app.db(move |store, _| Ok(Ok(store.list_cases(&f)?))).await
        }
    };
    let (mut cases, refused) = match rows {
        Ok(Ok(r)) => (r, None),
        Ok(Err(why)) => (Vec::new(), Some(why)),
        Err(r) => return r,
    };
    let status = match &refused {
        Some(why) if why == crate::store::SEARCH_BUSY => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let more = cases.len() > PAGE;
    cases.truncate(PAGE);
    let rows: Vec<Row> = cases
        .into_iter()
        .map(|c| {
            let due = c.next_due.as_deref().and_then(crate::time::parse_iso);
            Row {
                overdue: due.is_some_and(|d| d < today),
                due: due.map(crate::calendar::show).unwrap_or_default(),
                received: c.received_at.get(..10).unwrap_or_default().to_string(),
                reference: c.reference,
                customer: c.customer_name.or(c.customer_email).unwrap_or_default(),
                subject: c.subject.unwrap_or_default(),
                kind: c.kind.to_string(),
                stage: c.stage,
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
        l.from.clone_from(&q.from);
        l.to.clone_from(&q.to);
        format!("/cases?{}", serde_urlencoded(&l))
    };
    let mut c = app.context(Some(&who.0));
    c.insert("rows", &rows);
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
    Router::new().route("/cases", get(cases))
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
        let f = filter(&q, today).unwrap();
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
        let f = filter(&far, today).unwrap();
        assert_eq!(f.offset, Some((1_000_000 - 1) * PAGE));
        let bad = ListQuery {
            from: "1 Nov".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            filter(&bad, today).unwrap_err(),
            "Received from must be a date like 2026-11-02"
        );
        let bad = ListQuery {
            state: "lost".into(),
            ..ListQuery::default()
        };
        assert_eq!(filter(&bad, today).unwrap_err(), "Unknown state lost");
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
