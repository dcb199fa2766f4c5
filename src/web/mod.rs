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
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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
mod desk;
mod health;
mod letters;
mod list;
mod pages;
mod quarantine;
mod serve;
mod users;

pub use pages::working_days_left;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "redress_session";
/// The short-lived cookie that carries the sign-in form's CSRF token (no session yet).
pub const SIGN_IN_COOKIE: &str = "redress_sign_in";

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub(crate) struct App {
    cfg: Config,
    /// `redress web --now`: the desk's clock for cases stands still there (a
    /// demonstration, a test); otherwise the real clock. Sign-in and sessions always
    /// keep the real clock.
    clock: Option<DateTime<Utc>>,
    /// The desk's database connections, opened as requests need them: requests run at
    /// once on their own (readers never wait for each other; a writer waits for another
    /// writer's lock), so one slow search does not hold up every other officer.
    stores: [Mutex<Option<Store>>; CONNECTIONS],
    /// Which connection a request waits for when all are busy, so waits are spread.
    next: AtomicUsize,
    /// Searches running at once: each can read and hold much more than a page does.
    searches: tokio::sync::Semaphore,
    /// Requests at work on the database at once: one per connection.
    turns: tokio::sync::Semaphore,
    /// Database requests finished, for [`trim_when_idle`].
    done: AtomicUsize,
    tera: tera::Tera,
}

/// How many searches run at once; others wait [`SEARCH_WAIT`] for a turn.
const SEARCHES: usize = 2;
const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Once requests have come and none is at work, the idle connections' page caches and
/// the memory the requests freed go back to the system (a busy hour would otherwise
/// leave the daemon tens of MB larger for good).
async fn trim_when_idle(app: Shared) {
    let mut seen = 0;
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let done = app.done.load(Ordering::Relaxed);
        if done != seen && app.turns.available_permits() == CONNECTIONS {
            seen = done;
            let app = app.clone();
            let _ = tokio::task::spawn_blocking(move || {
                // Connections a request holds are left alone.
                for slot in &app.stores {
                    if let Ok(slot) = slot.try_lock() {
                        if let Some(store) = slot.as_ref() {
                            let _ = store.release_memory();
                        }
                    }
                }
                crate::daemon::release_freed_memory();
            })
            .await;
        }
    }
}

/// How many connections the desk keeps at most.
const CONNECTIONS: usize = 4;

pub(crate) type Shared = Arc<App>;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/web/base.html")),
    (
        "sign-in.html",
        include_str!("../../templates/web/sign-in.html"),
    ),
    ("cases.html", include_str!("../../templates/web/cases.html")),
    (
        "outbox.html",
        include_str!("../../templates/web/outbox.html"),
    ),
    (
        "quarantine.html",
        include_str!("../../templates/web/quarantine.html"),
    ),
    (
        "quarantined.html",
        include_str!("../../templates/web/quarantined.html"),
    ),
    ("queue.html", include_str!("../../templates/web/queue.html")),
    ("case.html", include_str!("../../templates/web/case.html")),
    (
        "new-case.html",
        include_str!("../../templates/web/new-case.html"),
    ),
    ("users.html", include_str!("../../templates/web/users.html")),
    ("error.html", include_str!("../../templates/web/error.html")),
];

/// The desk's templates, autoescaped (every one ends in `.html`).
pub fn templates() -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on([".html"]);
    tera.add_raw_templates(TEMPLATES.iter().copied())
        .map_err(|e| anyhow::anyhow!("web templates: {e}"))?;
    Ok(tera)
}

impl App {
    /// The time now, as the desk counts it.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// A turn to search, or (after a short wait) the words saying the desk is busy.
    pub(crate) async fn searching(&self) -> Result<tokio::sync::SemaphorePermit<'_>, String> {
        match tokio::time::timeout(SEARCH_WAIT, self.searches.acquire()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(crate::store::SEARCH_BUSY.to_string()),
        }
    }

    /// Run `f` on the store off the async threads. Requests wait their turn here, as
    /// tasks, rather than as blocked threads, so that thirty officers at once make
    /// [`CONNECTIONS`] threads at work, not thirty (each would keep memory of its own).
    async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, Response>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Config) -> anyhow::Result<T> + Send + 'static,
    {
        let Ok(_turn) = self.turns.acquire().await else {
            return Err(self.error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The desk is stopping",
                "Try again in a moment.",
            ));
        };
        let app = self.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut slot = app.connection();
            if slot.is_none() {
                let store = Store::open(&app.cfg.database_path())?;
                // A big list's sort spills to a file past the page cache, not memory.
                store.sort_in_files()?;
                *slot = Some(store);
            }
            match slot.as_mut() {
                Some(store) => {
                    if store.end_open_transaction()? {
                        tracing::warn!("web desk: a transaction left open was rolled back");
                    }
                    f(store, &app.cfg)
                }
                None => Err(anyhow::anyhow!("no database connection")),
            }
        })
        .await;
        self.done.fetch_add(1, Ordering::Relaxed);
        match out {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "web desk: request failed");
                Err(self.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The desk could not do that. The error is in the service's log.",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "web desk: request crashed");
                Err(self.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The desk could not do that.",
                ))
            }
        }
    }

    /// The first connection slot no other request holds (one officer at a time keeps
    /// to the first, its page cache warm), else the next one in turn once it is free.
    /// A request that panicked left its connection as it was: SQLite rolled back
    /// whatever it had open.
    fn connection(&self) -> MutexGuard<'_, Option<Store>> {
        for slot in &self.stores {
            match slot.try_lock() {
                Ok(slot) => return slot,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let next = self.next.fetch_add(1, Ordering::Relaxed);
        self.stores[next % CONNECTIONS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The common page context: the council, who is signed in, their CSRF token.
    fn context(&self, who: Option<&SignedIn>) -> tera::Context {
        let mut c = tera::Context::new();
        c.insert("council", &self.cfg.council.name);
        c.insert("service_name", "Complaints desk");
        if let Some(w) = who {
            c.insert("user", &w.name);
            c.insert("role", w.role.as_str());
            c.insert("is_manager", &w.role.allows(Role::Manager));
            c.insert("is_admin", &w.role.allows(Role::Admin));
            c.insert("csrf", &w.csrf);
        }
        c
    }

    fn render(&self, name: &str, ctx: &tera::Context, status: StatusCode) -> Response {
        match self.tera.render(name, ctx) {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "web desk: template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }

    pub(crate) fn error(&self, status: StatusCode, title: &str, detail: &str) -> Response {
        let mut c = self.context(None);
        c.insert("title", title);
        c.insert("detail", detail);
        self.render("error.html", &c, status)
    }
}

/// The signed-in user, for handlers: without one, a GET is sent to the sign-in page.
pub(crate) struct User(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .map(User)
            .ok_or_else(|| Redirect::to("/sign-in").into_response())
    }
}

impl User {
    /// The role guard: a page for `role` refuses anyone below it with 403.
    pub(crate) fn require(&self, app: &App, role: Role) -> Result<(), Response> {
        if self.0.role.allows(role) {
            Ok(())
        } else {
            Err(app.error(
                StatusCode::FORBIDDEN,
                "You cannot open this page",
                &format!("This page is for the {} role.", role.as_str()),
            ))
        }
    }
}

pub(crate) fn router(app: Shared) -> Router {
    Router::new()
        .route("/", get(pages::queue))
        .route("/cases", get(list::cases))
        .route("/outbox", get(letters::outbox))
        .route("/outbox/{id}/pdf", get(letters::pdf))
        .route("/outbox/{id}/enclosures/{n}", get(letters::enclosure))
        .route("/outbox/{id}/{action}", post(letters::act))
        .route("/quarantine", get(quarantine::list))
        .route("/quarantine/{id}", get(quarantine::show))
        .route("/quarantine/{id}/eml", get(quarantine::eml))
        .route("/quarantine/{id}/{action}", post(quarantine::act))
        .route("/cases/new", get(desk::new_case_form).post(desk::new_case))
        .route("/cases/{reference}", get(pages::case))
        // Bodies are read whole, within their limit, by `guard` (a reply's files included).
        .route(
            "/cases/{reference}/{action}",
            post(desk::action).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/users", get(users::page))
        .route("/users/{action}", post(users::act))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/assets/{*path}", get(assets::asset))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        // Operations (issue 27, web/health.rs): /healthz and /metrics outside the
        // sign-in guard, and every request timed for the latency histogram.
        .merge(health::routes())
        .layer(axum::middleware::from_fn(health::observe))
        .layer(axum::middleware::from_fn(serve::within_time))
        .with_state(app)
}

/// The value of cookie `name` in the request's Cookie headers.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when the desk is on https.
pub(crate) fn set_cookie(
    cfg: &Config,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if cfg.web.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `csrf` field of a URL-encoded form body.
pub(crate) fn form_field(body: &[u8], field: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
}

/// A file sent with a form: the name the browser gave, the type it declared, its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The boundary of a `multipart/form-data` request, None for any other body.
pub(crate) fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// A `multipart/form-data` body (already read, within its limit): its text fields
/// (each field's last value) and its files (a file input left empty sends a part with
/// no name and no bytes: skipped). A malformed body is an error in words.
pub(crate) async fn multipart_form(
    boundary: &str,
    body: axum::body::Bytes,
) -> Result<(std::collections::HashMap<String, String>, Vec<Upload>), String> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut m = multer::Multipart::new(stream, boundary);
    let mut fields = std::collections::HashMap::new();
    let mut files = Vec::new();
    while let Some(field) = m
        .next_field()
        .await
        .map_err(|e| format!("the form could not be read: {e}"))?
    {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the form could not be read: {e}"))?;
        match file_name {
            Some(f) if f.is_empty() && bytes.is_empty() => {}
            Some(f) => files.push(Upload {
                name: f,
                content_type,
                bytes: bytes.to_vec(),
            }),
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, files))
}

/// The text field `name` of a `multipart/form-data` body, without copying the other
/// parts (a reply's files); None when it is missing or the body is malformed.
pub(crate) async fn multipart_field(
    boundary: &str,
    body: axum::body::Bytes,
    name: &str,
) -> Option<String> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut m = multer::Multipart::new(stream, boundary);
    while let Some(field) = m.next_field().await.ok()? {
        if field.name() == Some(name) && field.file_name().is_none() {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether `path` is a case's reply form, the one POST that may carry files.
fn takes_files(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(parts.as_slice(), ["", "cases", r, "reply"] if !r.is_empty())
}

/// A body read whole, up to `limit` bytes.
enum Read {
    Whole(axum::body::Bytes),
    /// Over the limit; the rest was read and dropped (up to [`DRAIN_MAX`]) so that the
    /// browser, still sending, reads the refusal instead of a reset connection.
    TooLarge,
    Broken,
    /// Still arriving at its deadline (a trickled or stalled body).
    TimedOut,
}

/// How long a body of `bytes` may take to arrive: [`serve::REQUEST_TIMEOUT`], and for
/// a reply's files a second more for each 64 KiB.
fn body_deadline(bytes: Option<u64>) -> tokio::time::Instant {
    let extra = bytes.unwrap_or(0) / (64 * 1024);
    tokio::time::Instant::now() + serve::REQUEST_TIMEOUT + std::time::Duration::from_secs(extra)
}

/// An oversized body is read and dropped up to this much, then the connection closes.
const DRAIN_MAX: u64 = 64 * 1024 * 1024;

async fn read_body(
    body: Body,
    limit: usize,
    declared: Option<u64>,
    until: tokio::time::Instant,
) -> Read {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    // Sized once from Content-Length (within the limit), not doubled as it grows.
    let mut kept: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    let mut seen: u64 = 0;
    let mut over = false;
    loop {
        let Ok(next) = tokio::time::timeout_at(until, stream.next()).await else {
            return Read::TimedOut;
        };
        let Some(chunk) = next else {
            break;
        };
        let Ok(chunk) = chunk else {
            return if over { Read::TooLarge } else { Read::Broken };
        };
        seen += chunk.len() as u64;
        if over {
            if seen > DRAIN_MAX {
                break;
            }
        } else if kept.len() + chunk.len() > limit {
            over = true;
            kept = Vec::new();
        } else {
            kept.extend_from_slice(&chunk);
        }
    }
    if over {
        Read::TooLarge
    } else {
        Read::Whole(kept.into())
    }
}

/// The client's address: from a trusted proxy, the last address in its
/// `client_address_header` (the one the proxy added; any before it came from the client
/// and could say anything); otherwise, or when that last one is not an address, the TCP
/// peer's.
pub(crate) fn client_address(
    cfg: &crate::config::Web,
    peer: &SocketAddr,
    headers: &axum::http::HeaderMap,
) -> String {
    if cfg.trusted_proxies.contains(&peer.ip()) {
        // Only the last entry: if it is not an address, an earlier one (the client's
        // own say) is not taken instead.
        let last = headers
            .get_all(cfg.client_address_header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|a| !a.is_empty());
        if let Some(ip) = last.and_then(|a| a.parse::<std::net::IpAddr>().ok()) {
            return ip.to_string();
        }
    }
    peer.ip().to_string()
}

/// Who is asking, every POST's CSRF token, and the headers on every response.
async fn guard(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut set_session: Option<HeaderValue> = None;
    let mut response = 'resp: {
        if is_asset {
            break 'resp next.run(req).await;
        }
        // A trusted reverse proxy names the user by email; from anyone else the header is ignored.
        let proxied = if app.cfg.web.trusted_proxies.contains(&peer.ip()) {
            req.headers()
                .get(app.cfg.web.proxy_header.as_str())
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        } else {
            None
        };
        let token = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
        let idle = app.cfg.web.session_idle_hours;
        let address = client_address(&app.cfg.web, &peer, req.headers());
        // Sessions keep the real clock, under --now too: none would ever go idle.
        let now = Utc::now();
        let who = app
            .db(move |store, _| {
                let from_cookie = match &token {
                    Some(t) => accounts::session(store, t, now, idle)?,
                    None => None,
                };
                let Some(email) = proxied else {
                    return Ok(Ok((from_cookie, None)));
                };
                let Some(user) = accounts::proxy_user(store, &email)? else {
                    store.record_sign_in(
                        &email.to_lowercase(),
                        &address,
                        now,
                        false,
                        "proxy: no enabled account with this email",
                    )?;
                    tracing::info!(
                        address,
                        "sign-in refused: the proxy named no enabled account"
                    );
                    return Ok(Err(()));
                };
                if let Some(s) = from_cookie.filter(|s| s.user_id == user.id) {
                    return Ok(Ok((Some(s), None)));
                }
                let (token, s) = accounts::start_session(store, &user, now)?;
                store.record_sign_in(&user.name, &address, now, true, "proxy")?;
                tracing::info!(account = %user.name, address, "signed in by the trusted proxy");
                Ok(Ok((Some(s), Some(token))))
            })
            .await;
        let who = match who {
            Ok(Ok((who, new_token))) => {
                if let Some(t) = new_token {
                    set_session = Some(set_cookie(&app.cfg, SESSION_COOKIE, &t, "/", None));
                }
                who
            }
            Ok(Err(())) => {
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "You cannot use the complaints desk",
                    "Your sign-in does not match an account on the desk. Ask an administrator to add you.",
                )
            }
            Err(r) => break 'resp r,
        };
        if req.method() == Method::POST && req.uri().path() != "/sign-in" {
            let Some(w) = &who else {
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "You are not signed in",
                    "Sign in, then try again.",
                );
            };
            let (parts, body) = req.into_parts();
            let boundary = multipart_boundary(&parts.headers);
            // Files come only with a reply, up to what one letter may enclose.
            let files = boundary.is_some() && takes_files(parts.uri.path());
            let max_files = app.cfg.letters.max_letter_attachment_bytes;
            let limit = if files {
                MAX_FORM_BYTES + max_files as usize
            } else {
                MAX_FORM_BYTES
            };
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let until = body_deadline(declared.filter(|_| files).map(|n| n.min(limit as u64)));
            let read = if declared.is_some_and(|n| n > DRAIN_MAX) {
                Read::TooLarge
            } else {
                read_body(body, limit, declared, until).await
            };
            let bytes = match read {
                Read::Whole(b) => b,
                Read::TooLarge if files => {
                    break 'resp app.error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The files are too large",
                        &format!(
                            "A reply's files may come to at most {} together. Nothing was changed: go back and choose smaller files.",
                            crate::plan::enclosure::size_text(max_files)
                        ),
                    )
                }
                Read::TooLarge => {
                    break 'resp app.error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The form is too large",
                        "Nothing was changed.",
                    )
                }
                Read::TimedOut => break 'resp serve::too_slow(),
                Read::Broken => {
                    break 'resp app.error(
                        StatusCode::BAD_REQUEST,
                        "The form did not arrive whole",
                        "Nothing was changed: go back and try again.",
                    )
                }
            };
            let sent = match &boundary {
                Some(b) => multipart_field(b, bytes.clone(), "csrf").await,
                None => form_field(&bytes, "csrf"),
            }
            .unwrap_or_default();
            if !accounts::same_secret(sent.as_bytes(), w.csrf.as_bytes()) {
                tracing::info!(account = %w.name, path = parts.uri.path(), "POST refused: missing or wrong CSRF token");
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "This form has expired",
                    "The form did not come from this session of the desk. Nothing was changed: go back, reload the page and try again.",
                );
            }
            req = Request::from_parts(parts, Body::from(bytes));
        }
        if let Some(w) = who {
            req.extensions_mut().insert(w);
        }
        next.run(req).await
    };
    let cacheable = is_asset && response.status() == StatusCode::OK;
    let h = response.headers_mut();
    if let Some(c) = set_session {
        h.append(header::SET_COOKIE, c);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
