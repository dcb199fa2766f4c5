//! `/healthz` and `/metrics` (issue 27), beside the desk but outside its sign-in
//! guard, and [`observe`], the layer that times every desk request.
//!
//! Both are served only to a loopback peer that is not a trusted reverse proxy and
//! sent no forwarding header (so a proxy on the same host does not open them to the
//! world), or to anyone with `Authorization: Bearer TOKEN`, the token from
//! `REDRESS_METRICS_TOKEN` or `[web] metrics_token_file`.
//!
//! `/healthz` answers JSON, 200 when all is well and 503 when not: the database
//! answers; each daemon task is running (not waiting to restart); the mailbox made a
//! good pass recently; no letter has waited to go for more than an hour. `/metrics` is
//! the Prometheus text format (version 0.0.4), written here by hand: a few gauges,
//! counters and one histogram need no library, and `promtool check metrics` checks
//! the result in the tests.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Instant;

use super::{App, Shared};
use crate::config::MailboxConfig;
use crate::store::health::Figures;

/// A letter waiting to go longer than this makes `/healthz` fail.
pub const LETTER_WAIT_LIMIT: chrono::Duration = chrono::Duration::hours(1);
/// "Due soon": within this many working days.
pub const DUE_SOON_DAYS: u32 = 3;
/// The letter statuses always reported (0 when none), so their series never vanish.
const LETTER_STATUSES: [&str; 6] = ["pending", "queued", "sending", "held", "failed", "sent"];

/// The health routes, merged into the desk's router after its guard.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// Time every request through the desk (for the latency histogram).
pub(crate) async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(req).await;
    crate::health::request_took(started.elapsed());
    response
}

/// The bearer token that opens these routes to other hosts, if one is set.
fn token(app: &App) -> Option<String> {
    if let Ok(t) = std::env::var("REDRESS_METRICS_TOKEN") {
        if !t.trim().is_empty() {
            return Some(t.trim().to_string());
        }
    }
    let file = app.cfg.web.metrics_token_file.as_ref()?;
    match std::fs::read_to_string(file) {
        Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "metrics token file unreadable");
            None
        }
    }
}

/// Whether this request may read health and metrics; else the refusal.
fn admit(app: &App, peer: SocketAddr, headers: &HeaderMap) -> Result<(), Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let (Some(sent), Some(want)) = (bearer, token(app)) {
        if crate::accounts::same_secret(sent.as_bytes(), want.as_bytes()) {
            return Ok(());
        }
    }
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    let ip = peer.ip();
    if ip.is_loopback() && !forwarded && !app.cfg.web.trusted_proxies.contains(&ip) {
        return Ok(());
    }
    let mut r = (
        StatusCode::UNAUTHORIZED,
        "health and metrics are served to loopback, or with the bearer token\n",
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"redress metrics\""),
    );
    Err(r)
}

/// The database's figures now, or None (logged) when it does not answer.
async fn figures(app: &Shared) -> Option<Figures> {
    let today = crate::calendar::london_date(app.now());
    let horizon = app.cfg.calendar.add_working_days(today, DUE_SOON_DAYS);
    app.db(move |store, _| Ok(store.figures(today, horizon)?))
        .await
        .ok()
}

/// How long the mailbox may go without a good pass before health fails: IMAP IDLE
/// renews every 25 minutes (a pass each time), polling every `poll_seconds`, a Maildir
/// is looked at every 5 seconds.
fn mailbox_limit(app: &App) -> chrono::Duration {
    match &app.cfg.mailbox {
        MailboxConfig::Imap(i) => {
            chrono::Duration::minutes(30).max(chrono::Duration::seconds(3 * i.poll_seconds as i64))
        }
        MailboxConfig::Maildir { .. } => chrono::Duration::minutes(5),
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn healthz(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&app, peer, &headers) {
        return r;
    }
    let now = Utc::now();
    let figures = figures(&app).await;
    let tasks = crate::health::tasks();
    let mut problems: Vec<String> = Vec::new();
    if figures.is_none() {
        problems.push("the database does not answer".into());
    }
    for (name, t) in &tasks {
        if !t.running {
            problems.push(format!("the {name} task is waiting to restart"));
        }
    }
    let mailbox = tasks.get("mailbox");
    let last_poll = mailbox.and_then(|t| t.last_good_pass);
    if let Some(t) = mailbox {
        let since = last_poll.or(t.started_at);
        if since.is_some_and(|s| now - s > mailbox_limit(&app)) {
            problems.push("no good mailbox pass recently".into());
        }
    }
    let oldest = figures.as_ref().and_then(|f| f.oldest_unsent_letter);
    if oldest.is_some_and(|o| now - o > LETTER_WAIT_LIMIT) {
        problems.push("a letter has waited more than an hour to go".into());
    }
    let age = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_seconds().max(0));
    let body = serde_json::json!({
        "status": if problems.is_empty() { "ok" } else { "fail" },
        "problems": problems,
        "database": {
            "ok": figures.is_some(),
            "schema_version": figures.as_ref().map(|f| f.schema_version),
        },
        "tasks": tasks,
        "mailbox": {
            "last_good_pass": last_poll,
            "age_seconds": age(last_poll),
        },
        "letters": {
            "oldest_unsent": oldest,
            "age_seconds": age(oldest),
        },
    });
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    no_store(
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{body:#}\n"),
        )
            .into_response(),
    )
}

/// A label value escaped as the text format asks (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The exposition, from the database's figures (None: it did not answer) and this
/// process's registry.
pub fn exposition(figures: Option<&Figures>, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "redress_database_up",
        "gauge",
        "Whether the database answered this scrape (1) or not (0).",
    );
    let _ = writeln!(out, "redress_database_up {}", figures.is_some() as u8);
    if let Some(f) = figures {
        family(
            &mut out,
            "redress_schema_version",
            "gauge",
            "The database's schema version.",
        );
        let _ = writeln!(out, "redress_schema_version {}", f.schema_version);
        for (name, help, pick) in [
            (
                "redress_cases_open",
                "Cases not closed, by stage.",
                (|s: &crate::store::health::StageFigures| s.open) as fn(&_) -> i64,
            ),
            (
                "redress_cases_overdue",
                "Open cases with a deadline passed, by stage.",
                |s| s.overdue,
            ),
            (
                "redress_cases_due_soon",
                "Open cases, not overdue, with a deadline due within 3 working days (today included), by stage.",
                |s| s.due_soon,
            ),
        ] {
            family(&mut out, name, "gauge", help);
            for s in &f.stages {
                let _ = writeln!(out, "{name}{{stage=\"{}\"}} {}", label(&s.stage), pick(s));
            }
        }
        family(
            &mut out,
            "redress_letters",
            "gauge",
            "Letters by status: pending (to render), queued, sending, held (for an officer or to post), failed, sent.",
        );
        let mut statuses: Vec<(String, i64)> = LETTER_STATUSES
            .iter()
            .map(|s| {
                let n = f
                    .letters
                    .iter()
                    .find(|(k, _)| k == s)
                    .map_or(0, |(_, n)| *n);
                (s.to_string(), n)
            })
            .collect();
        for (k, n) in &f.letters {
            if !LETTER_STATUSES.contains(&k.as_str()) {
                statuses.push((k.clone(), *n));
            }
        }
        for (k, n) in statuses {
            let _ = writeln!(out, "redress_letters{{status=\"{}\"}} {n}", label(&k));
        }
        family(
            &mut out,
            "redress_oldest_unsent_letter_age_seconds",
            "gauge",
            "How long the oldest letter still to go (pending, queued or sending) has waited; 0 when none.",
        );
        let age = f
            .oldest_unsent_letter
            .map_or(0, |t| (now - t).num_seconds().max(0));
        let _ = writeln!(out, "redress_oldest_unsent_letter_age_seconds {age}");
    }
    let tasks = crate::health::tasks();
    if let Some(t) = tasks.get("mailbox").and_then(|t| t.last_good_pass) {
        family(
            &mut out,
            "redress_last_good_poll_timestamp_seconds",
            "gauge",
            "When the mailbox last made a good pass (Unix time).",
        );
        let _ = writeln!(
            out,
            "redress_last_good_poll_timestamp_seconds {}",
            t.timestamp()
        );
    }
    let (ingested, quarantined) = crate::health::message_totals();
    family(
        &mut out,
        "redress_messages_ingested_total",
        "counter",
        "Messages the mailbox stored (on a case, or as noise) since this process started.",
    );
    let _ = writeln!(out, "redress_messages_ingested_total {ingested}");
    family(
        &mut out,
        "redress_messages_quarantined_total",
        "counter",
        "Messages the mailbox quarantined since this process started.",
    );
    let _ = writeln!(out, "redress_messages_quarantined_total {quarantined}");
    if !tasks.is_empty() {
        family(
            &mut out,
            "redress_task_up",
            "gauge",
            "Whether each daemon task is running (1) or waiting to restart (0).",
        );
        for (name, t) in &tasks {
            let _ = writeln!(
                out,
                "redress_task_up{{task=\"{name}\"}} {}",
                t.running as u8
            );
        }
        family(
            &mut out,
            "redress_task_restarts_total",
            "counter",
            "Times each daemon task failed and was restarted.",
        );
        for (name, t) in &tasks {
            let _ = writeln!(
                out,
                "redress_task_restarts_total{{task=\"{name}\"}} {}",
                t.restarts
            );
        }
    }
    let (buckets, count, sum) = crate::health::latency();
    let name = "redress_desk_request_duration_seconds";
    family(
        &mut out,
        name,
        "histogram",
        "How long the desk took to answer each request, to the response's headers.",
    );
    for (le, n) in buckets {
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "{name}_sum {sum}");
    let _ = writeln!(out, "{name}_count {count}");
    out
}

async fn metrics(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&app, peer, &headers) {
        return r;
    }
    let figures = figures(&app).await;
    let text = exposition(figures.as_ref(), Utc::now());
    no_store(
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
    )
}
