//! The managers' Reports page (`/reports`, issue 26): the figures of `redress report`
//! for a chosen period (last month unless asked), each chart an inline SVG followed by
//! the table of its figures, and the same period's report as CSV or PDF. The same
//! library calls as the CLI: `report::build`, `report::to_csv`, `report::to_pdf`.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Shared, User};
use crate::accounts::Role;
use crate::report::{self, percent, svg, trend, Period, Report};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    format: String,
}

/// The month before `today`'s, as a period ("2027-02").
fn last_month(today: NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    let prev = first.pred_opt().unwrap_or(first);
    format!("{:04}-{:02}", prev.year(), prev.month())
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// The periods offered: the last twelve months, the last four financial quarters and
/// the last three financial years (the current one first), and `chosen` if it is none
/// of them.
fn choices(today: NaiveDate, chosen: Option<&Period>) -> Vec<Choice> {
    let mut v = Vec::new();
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..12 {
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
        v.push(format!("{y:04}-{m:02}"));
    }
    // The financial year `today` is in starts in April.
    let fy = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    let q = (today.month() + 8) % 12 / 3 + 1;
    let (mut qy, mut qn) = (fy, q);
    for _ in 0..4 {
        v.push(format!("{qy}-{:02}-Q{qn}", (qy + 1) % 100));
        if qn == 1 {
            qy -= 1;
            qn = 4;
        } else {
            qn -= 1;
        }
    }
    for y in [fy, fy - 1, fy - 2] {
        v.push(format!("{y}-{:02}", (y + 1) % 100));
    }
    let mut out: Vec<Choice> = v
        .into_iter()
        .filter_map(|s| s.parse::<Period>().ok())
        .map(|p| Choice {
            label: label(&p),
            value: p.label,
        })
        .collect();
    let Some(chosen) = chosen else { return out };
    if !out.iter().any(|c| c.value == chosen.label) {
        out.insert(
            0,
            Choice {
                value: chosen.label.clone(),
                label: label(chosen),
            },
        );
    }
    out
}

/// A period for people, short enough for a phone: "February 2027", "Apr to Jun 2026",
/// "Apr 2026 to Mar 2027".
fn label(p: &Period) -> String {
    match p.kind {
        report::PeriodKind::Month => p.describe(),
        _ => format!("{} to {}", p.from.format("%b %Y"), p.to.format("%b %Y")),
    }
}

/// The period asked for (last month when none), or the one-line refusal.
fn period_of(q: &ReportQuery, today: NaiveDate) -> Result<Period, String> {
    let asked = q.period.trim();
    let asked = if asked.is_empty() {
        last_month(today)
    } else {
        asked.to_string()
    };
    asked.parse::<Period>().map_err(|_| {
        "Choose a period from the list: a month, a quarter or a financial year".to_string()
    })
}

/// Reports built lately: (period, the day, the newest event then) and the report.
type Kept = Vec<((String, NaiveDate, i64), Report)>;
static KEPT: std::sync::Mutex<Kept> = std::sync::Mutex::new(Vec::new());
/// How many reports are kept (the periods managers look at in a day).
const KEEP: usize = 8;

fn kept(key: &(String, NaiveDate, i64)) -> Option<Report> {
    let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    kept.iter().find(|(k, _)| k == key).map(|(_, r)| r.clone())
}

fn keep(key: (String, NaiveDate, i64), r: &Report) {
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    // A report of a period as the data stood earlier is of no more use.
    kept.retain(|(k, _)| k.0 != key.0);
    if kept.len() >= KEEP {
        kept.remove(0);
    }
    kept.push((key, r.clone()));
}

/// The page's charts and tables from a report: what the template shows.
fn page_data(r: &Report) -> serde_json::Value {
    let stages: Vec<serde_json::Value> = r
        .stages
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.stage,
                "name": s.name,
                "entered": s.entered,
                "responses": s.responses,
                "on_time": s.on_time,
                "on_time_share": percent(s.on_time_share),
                "average_working_days": s.average_working_days.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into()),
                "worst_working_days": s.worst_working_days.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                "open_at_end": s.open_at_end,
            })
        })
        .collect();
    let on_time: Vec<(String, f64, String)> = r
        .stages
        .iter()
        .filter(|s| s.responses > 0)
        .map(|s| {
            (
                s.name.clone(),
                s.on_time_share.unwrap_or(0.0) * 100.0,
                format!(
                    "{} ({} of {})",
                    percent(s.on_time_share),
                    s.on_time,
                    s.responses
                ),
            )
        })
        .collect();
    let on_time_svg = (!on_time.is_empty()).then(|| {
        svg::bars(
            "chart-on-time",
            "Responses on time, by stage",
            &on_time
                .iter()
                .map(|(n, _, s)| format!("{n}: {s}"))
                .collect::<Vec<_>>()
                .join("; "),
            &on_time,
            100.0,
        )
    });
    let services: Vec<(String, f64, String)> = r
        .by_service
        .iter()
        .map(|c| (c.name.clone(), c.count as f64, c.count.to_string()))
        .collect();
    let services_svg = (!services.is_empty()).then(|| {
        svg::bars(
            "chart-services",
            "Complaints received, by service",
            &services
                .iter()
                .map(|(n, _, s)| format!("{n}: {s}"))
                .collect::<Vec<_>>()
                .join("; "),
            &services,
            0.0,
        )
    });
    let rows = trend::rows(r);
    let trend_svg = svg::columns(
        "chart-trend",
        "Complaints received per month, twelve months",
        &rows
            .iter()
            .map(|t| format!("{}: {}", t.label, t.complaints))
            .collect::<Vec<_>>()
            .join("; "),
        &rows
            .iter()
            .map(|t| {
                (
                    t.label.get(..3).unwrap_or(&t.label).to_string(),
                    t.complaints,
                )
            })
            .collect::<Vec<_>>(),
    );
    let trend: Vec<serde_json::Value> = rows
        .iter()
        .map(|t| {
            serde_json::json!({
                "label": t.label,
                "complaints": t.complaints,
                "compliments": t.compliments,
                "comments": t.comments,
                "responses": t.responses,
                "on_time_share": percent(t.on_time_share),
            })
        })
        .collect();
    let escalation: Vec<serde_json::Value> = r
        .escalation
        .iter()
        .map(|e| {
            let name = |id: &str| {
                r.stages
                    .iter()
                    .find(|s| s.stage == id)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| id.to_string())
            };
            serde_json::json!({
                "step": format!("{} to {}", name(&e.from_stage), name(&e.to_stage)),
                "reached_from": e.reached_from,
                "reached_to": e.reached_to,
                "rate": percent(e.rate),
            })
        })
        .collect();
    serde_json::json!({
        "received": r.received,
        "open_at_end": r.open_at_end,
        "stages": stages,
        "on_time_svg": on_time_svg,
        "services": r.by_service,
        "services_svg": services_svg,
        "category_label": r.category_label,
        "categories": r.by_category,
        "outcomes": r.outcomes,
        "closed": r.closed,
        "escalation": escalation,
        "trend_svg": trend_svg,
        "trend": trend,
        "learning": r.learning,
    })
}

/// GET /reports?period=P: the page; GET /reports?period=P&format=csv|pdf: the file.
pub(crate) async fn reports(
    State(app): State<Shared>,
    who: User,
    Query(q): Query<ReportQuery>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let now = app.now();
    let today = crate::calendar::london_date(now);
    let period = period_of(&q, today);
    let format = q.format.trim().to_ascii_lowercase();
    if !matches!(format.as_str(), "" | "csv" | "pdf") {
        return app.error(
            StatusCode::BAD_REQUEST,
            "No such download",
            "A report downloads as CSV or PDF.",
        );
    }
    let built = match &period {
        Err(_) => None,
        Ok(p) => {
            let p = p.clone();
            match app
                .db(move |store, cfg| {
                    // A report is the same until a case changes (every change is an
                    // event) or the day does ("open at the end" of this month): kept.
                    let key = (p.label.clone(), today, store.last_event_id()?);
                    let mut r = match kept(&key) {
                        Some(r) => r,
                        None => {
                            let r = report::build(store, cfg, &p)?;
                            keep(key, &r);
                            r
                        }
                    };
                    r.generated_at = Some(crate::time::stamp(now));
                    Ok(r)
                })
                .await
            {
                Ok(r) => Some(r),
                Err(resp) => return resp,
            }
        }
    };
    if let (Some(r), "csv" | "pdf") = (&built, format.as_str()) {
        let name = format!(
            "complaints-report-{}.{format}",
            r.period
                .label
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
        );
        let (kind, bytes) = if format == "csv" {
            ("text/csv; charset=utf-8", report::to_csv(r).into_bytes())
        } else {
            match report::to_pdf(r) {
                Ok(b) => ("application/pdf", b),
                Err(e) => {
                    tracing::error!(error = %e, "web desk: report PDF failed");
                    return app.error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong",
                        "The PDF could not be made. The error is in the service's log.",
                    );
                }
            }
        };
        return (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response();
    }
    let mut c = app.context(Some(&who.0));
    let status = match (&period, &built) {
        (Ok(p), Some(r)) => {
            c.insert("period", &p.label);
            c.insert("period_name", &label(p));
            c.insert("choices", &choices(today, Some(p)));
            c.insert("report", &page_data(r));
            let link = |f: &str| {
                format!(
                    "/reports?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("period", &p.label)
                        .append_pair("format", f)
                        .finish()
                )
            };
            c.insert("csv_link", &link("csv"));
            c.insert("pdf_link", &link("pdf"));
            StatusCode::OK
        }
        (Err(why), _) => {
            c.insert("period", &q.period);
            c.insert("choices", &choices(today, None));
            c.insert("error", why);
            StatusCode::BAD_REQUEST
        }
        (Ok(_), None) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    app.render("reports.html", &c, status)
}

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/reports", get(reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::time::parse_iso(s).unwrap()
    }

    #[test]
    fn the_default_is_last_month_and_bad_periods_are_refused() {
        let q = ReportQuery::default();
        assert_eq!(period_of(&q, d("2027-03-31")).unwrap().label, "2027-02");
        assert_eq!(period_of(&q, d("2027-01-05")).unwrap().label, "2026-12");
        let q = ReportQuery {
            period: "2026-27".into(),
            ..ReportQuery::default()
        };
        assert_eq!(
            period_of(&q, d("2027-03-31")).unwrap().from,
            d("2026-04-01")
        );
        let q = ReportQuery {
            period: "last year".into(),
            ..ReportQuery::default()
        };
        assert!(period_of(&q, d("2027-03-31")).is_err());
    }

    #[test]
    fn the_choices_are_recent_months_quarters_and_years() {
        let p: Period = "2027-02".parse().unwrap();
        let c = choices(d("2027-03-31"), Some(&p));
        let values: Vec<&str> = c.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values[0], "2027-02");
        assert_eq!(values[11], "2026-03");
        assert_eq!(
            &values[12..16],
            ["2026-27-Q4", "2026-27-Q3", "2026-27-Q2", "2026-27-Q1"]
        );
        assert_eq!(&values[16..], ["2026-27", "2025-26", "2024-25"]);
        assert_eq!(c[0].label, "February 2027");
        // A period asked for that is not offered is offered first.
        let old: Period = "2020-Q1".parse().unwrap();
        assert_eq!(choices(d("2027-03-31"), Some(&old))[0].value, "2020-Q1");
    }
}
