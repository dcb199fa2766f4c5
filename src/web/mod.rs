//! The officers' web desk (an edge, like `cli`): axum serving Tera pages from
//! `templates/web/` (autoescaped) and the GOV.UK Frontend assets embedded in the binary.
//! Handlers call the same library functions the CLI calls (`accounts`, `actions`,
//! `Store` reads), never SQL or a rule of their own.
//!
//! Every request passes [`guard`]: who is signed in (a session cookie, or a trusted
//! reverse proxy's header), the CSRF token of every POST, and the security headers of
//! every response.

// A handler's refusal is a whole page (`Response`): returning it as an error is what
// axum handlers do, however large the type.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};

use axum::response::{IntoResponse, Redirect, Response};

use axum::Router;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use crate::accounts::{self, Role, SignedIn};
use crate::config::Config;
use crate::store::Store;

mod assets;
mod auth;
mod case;
mod dashboard;
mod fail;
mod form;
mod guard;
mod health;
mod letters;
mod list;
mod quarantine;
mod queue;
mod reports;
mod serve;
mod state;
mod users;

pub(crate) use fail::*;
pub(crate) use form::*;
pub(crate) use guard::*;
pub use queue::working_days_left;
pub(crate) use state::*;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "redress_session";
/// The short-lived cookie that carries the sign-in form's CSRF token (no session yet).
pub const SIGN_IN_COOKIE: &str = "redress_sign_in";

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Every page and action: each page's module says its own routes, all behind the
/// sign-in guard but /healthz and /metrics.
pub(crate) fn router(app: Shared) -> Router {
    Router::new()
        .merge(queue::routes())
        .merge(list::routes())
        .merge(case::routes())
        .merge(letters::routes())
        .merge(dashboard::routes())
        .merge(reports::routes())
        .merge(quarantine::routes())
        .merge(users::routes())
        .merge(auth::routes())
        .merge(assets::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        // Operations (issue 27, web/health.rs): /healthz and /metrics outside the
        // sign-in guard, and every request timed for the latency histogram.
        .merge(health::routes())
        .layer(axum::middleware::from_fn(health::observe))
        .layer(axum::middleware::from_fn(serve::within_time))
        .with_state(app)
}

/// Any other address: the desk's own page, with its header and navigation.
async fn not_found(State(app): State<Shared>) -> Response {
    app.error(
        StatusCode::NOT_FOUND,
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link, the page may have moved.",
    )
}

/// Serve the desk on `[web] listen` until `shutdown` resolves. On first start with no
/// accounts (once it is listening), an admin account is made and its password written
/// to a file.
pub async fn serve(
    cfg: Config,
    clock: Option<DateTime<Utc>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.web.listen)
        .await
        .map_err(|e| anyhow::anyhow!("web desk: cannot listen on {}: {e}", cfg.web.listen))?;
    let mut store = Store::open(&cfg.database_path())?;
    let now = Utc::now();
    accounts::end_idle_sessions(&mut store, now, cfg.web.session_idle_hours)?;
    if let Some(path) = accounts::ensure_first_admin(&mut store, &cfg.data_dir, now)? {
        tracing::info!(file = %path.display(), "first start: made the account 'admin'; its password is in the file");
        eprintln!(
            "redress: first start: sign in as 'admin' with the password in {}",
            path.display()
        );
    }
    let local = format!("http://{}/", listener.local_addr()?);
    let first = cfg.data_dir.join(accounts::FIRST_ADMIN_FILE);
    let hint = if first.exists() {
        format!(
            "sign in as 'admin' with the password in {}",
            first.display()
        )
    } else {
        "sign in with your account".to_string()
    };
    let line = match &cfg.web.public_url {
        Some(_) => format!("{} (listening on {local}; {hint})", cfg.web.sign_in_url()),
        None => format!("{local} ({hint})"),
    };
    tracing::info!(url = %local, "web desk listening");
    eprintln!("web desk: {line}");
    let app = Arc::new(App {
        tera: templates()?,
        stores: {
            let mut first = Some(store);
            std::array::from_fn(|_| Mutex::new(first.take()))
        },
        next: AtomicUsize::new(0),
        searches: tokio::sync::Semaphore::new(SEARCHES),
        turns: tokio::sync::Semaphore::new(CONNECTIONS),
        done: AtomicUsize::new(0),
        cfg,
        clock,
    });
    let trimmer = tokio::spawn(trim_when_idle(app.clone()));
    let served = serve::accept_loop(listener, router(app), shutdown).await;
    trimmer.abort();
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a trusted proxy, the last X-Forwarded-For entry (the proxy's own); never an
    /// earlier one the client wrote, even when the last is not an address.
    #[test]
    fn the_client_address_is_the_trusted_proxys_last_entry() {
        let mut cfg = Config::load(None).unwrap().web;
        cfg.trusted_proxies = vec!["10.0.0.5".parse().unwrap()];
        let proxy: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let other: SocketAddr = "10.0.0.6:40000".parse().unwrap();
        let with = |v: &[&str]| {
            let mut h = axum::http::HeaderMap::new();
            for x in v {
                h.append("x-forwarded-for", x.parse().unwrap());
            }
            h
        };
        let h = with(&["6.6.6.6, 192.0.2.10"]);
        assert_eq!(client_address(&cfg, &proxy, &h), "192.0.2.10");
        assert_eq!(client_address(&cfg, &other, &h), "10.0.0.6");
        let h = with(&["6.6.6.6", "2001:db8::7 "]);
        assert_eq!(client_address(&cfg, &proxy, &h), "2001:db8::7");
        let h = with(&["6.6.6.6, unknown"]);
        assert_eq!(client_address(&cfg, &proxy, &h), "10.0.0.5");
        assert_eq!(client_address(&cfg, &proxy, &with(&[])), "10.0.0.5");
    }

    /// A request finds a connection no other request holds: one held by a slow
    /// request is passed over, and each opens on the same database.
    #[test]
    fn a_busy_connection_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::load(None).unwrap();
        cfg.data_dir = dir.path().to_path_buf();
        let app = App {
            stores: std::array::from_fn(|_| Mutex::new(None)),
            next: AtomicUsize::new(0),
            searches: tokio::sync::Semaphore::new(SEARCHES),
            turns: tokio::sync::Semaphore::new(CONNECTIONS),
            done: AtomicUsize::new(0),
            tera: templates().unwrap(),
            cfg,
            clock: None,
        };
        let mut held = Vec::new();
        for _ in 0..CONNECTIONS {
            let mut slot = app.connection();
            assert!(slot.is_none(), "a free slot, not one held");
            *slot = Some(Store::open(&app.cfg.database_path()).unwrap());
            held.push(slot);
        }
        // All held: the next request waits for one; freed, it is found at once.
        drop(held.remove(2));
        let slot = app.connection();
        assert!(slot.is_some(), "the freed connection, opened");
    }

    #[test]
    fn templates_parse_and_escape() {
        let t = templates().unwrap();
        let mut c = tera::Context::new();
        c.insert("council", "<b>Council</b>");
        c.insert("service_name", "Complaints desk");
        c.insert("title", "{{ 7*7 }}");
        c.insert("detail", "<script>alert(1)</script>");
        let html = t.render("error.html", &c).unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;Council&lt;/b&gt;"));
        assert!(html.contains("{{ 7*7 }}") && !html.contains("49"));
    }

    #[test]
    fn only_a_cases_reply_form_takes_files() {
        assert!(takes_files("/cases/EX-2026-00001/reply"));
        assert!(!takes_files("/cases/EX-2026-00001/note"));
        assert!(!takes_files("/cases//reply"));
        assert!(!takes_files("/cases/a/b/reply"));
        assert!(!takes_files("/sign-in"));
    }

    #[test]
    fn a_multipart_body_gives_its_fields_and_files_and_skips_an_empty_file_input() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n\
                    --XyZ--\r\n";
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XyZ"),
        );
        let b = multipart_boundary(&h).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (fields, files) = rt
            .block_on(multipart_form(&b, axum::body::Bytes::from(body)))
            .unwrap();
        assert_eq!(fields.get("csrf").map(String::as_str), Some("tok"));
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].name.as_str(), files[0].bytes.as_slice()),
            ("a.txt", &b"hello"[..])
        );
        let csrf = rt.block_on(multipart_field(&b, axum::body::Bytes::from(body), "csrf"));
        assert_eq!(csrf.as_deref(), Some("tok"));
        let none = rt.block_on(multipart_field(
            &b,
            axum::body::Bytes::from("garbage"),
            "csrf",
        ));
        assert_eq!(none, None);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(multipart_boundary(&h), None);
    }

    #[test]
    fn cookies_and_form_fields_are_read() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; redress_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(
            form_field(b"x=1&csrf=a%2Bb", "csrf").as_deref(),
            Some("a+b")
        );
        assert_eq!(form_field(b"x=1", "csrf"), None);
    }
}
