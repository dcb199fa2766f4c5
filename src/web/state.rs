//! The desk's shared state: the store connections it takes turns on, the search
//! semaphore, the templates, and how a page or an error page is drawn.

#![allow(clippy::result_large_err)]

use super::*;

/// The largest form body accepted.
pub(super) const MAX_FORM_BYTES: usize = 256 * 1024;

pub(crate) struct App {
    pub(super) cfg: Config,
    /// `redress web --now`: the desk's clock for cases stands still there (a
    /// demonstration, a test); otherwise the real clock. Sign-in and sessions always
    /// keep the real clock.
    pub(super) clock: Option<DateTime<Utc>>,
    /// The desk's database connections, opened as requests need them: requests run at
    /// once on their own (readers never wait for each other; a writer waits for another
    /// writer's lock), so one slow search does not hold up every other officer.
    pub(super) stores: [Mutex<Option<Store>>; CONNECTIONS],
    /// Which connection a request waits for when all are busy, so waits are spread.
    pub(super) next: AtomicUsize,
    /// Searches running at once: each can read and hold much more than a page does.
    pub(super) searches: tokio::sync::Semaphore,
    /// Requests at work on the database at once: one per connection.
    pub(super) turns: tokio::sync::Semaphore,
    /// Database requests finished, for [`trim_when_idle`].
    pub(super) done: AtomicUsize,
    pub(super) tera: tera::Tera,
}

/// How many searches run at once; others wait [`SEARCH_WAIT`] for a turn.
pub(super) const SEARCHES: usize = 2;
pub(super) const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Once requests have come and none is at work, the idle connections' page caches and
/// the memory the requests freed go back to the system (a busy hour would otherwise
/// leave the daemon tens of MB larger for good).
pub(super) async fn trim_when_idle(app: Shared) {
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
                crate::memory::release_freed_memory();
            })
            .await;
        }
    }
}

/// How many connections the desk keeps at most.
pub(super) const CONNECTIONS: usize = 4;

pub(crate) type Shared = Arc<App>;

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/web/base.html")),
    (
        "sign-in.html",
        include_str!("../../templates/web/sign-in.html"),
    ),
    ("cases.html", include_str!("../../templates/web/cases.html")),
    (
        "dashboard.html",
        include_str!("../../templates/web/dashboard.html"),
    ),
    (
        "reports.html",
        include_str!("../../templates/web/reports.html"),
    ),
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
/// `{{ at | when }}`: a stored instant or date in London time, as officers read it.
fn when_filter(x: &str, _: tera::Kwargs, _: &tera::State) -> String {
    crate::time::stored_in_words(x)
}

pub fn templates() -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on([".html"]);
    tera.register_filter("when", when_filter);
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
    pub(super) async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, Response>
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
    pub(super) fn connection(&self) -> MutexGuard<'_, Option<Store>> {
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
    pub(super) fn context(&self, who: Option<&SignedIn>) -> tera::Context {
        let mut c = tera::Context::new();
        c.insert("council", &self.cfg.council.name);
        c.insert("service_name", "Complaints desk");
        let current = who
            .is_none()
            .then(|| SIGNED_IN.try_with(SignedIn::clone).ok())
            .flatten();
        if let Some(w) = who.or(current.as_ref()) {
            c.insert("user", &w.name);
            c.insert("role", w.role.as_str());
            c.insert("is_manager", &w.role.allows(Role::Manager));
            c.insert("is_admin", &w.role.allows(Role::Admin));
            c.insert("csrf", &w.csrf);
        }
        c
    }

    pub(super) fn render(&self, name: &str, ctx: &tera::Context, status: StatusCode) -> Response {
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
