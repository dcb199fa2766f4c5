//! The desk's Quarantine page (managers): mail kept out of the cases, with the reason;
//! one message read safely (escaped text, never markup; its bytes only as a download),
//! and the three ways out: attach it to a case, open it as a new case, or discard it
//! with a reason. The same functions as `redress quarantine --attach/--open/--discard`
//! (`crate::quarantine`), as the signed-in user.

use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::Fail;
use super::{Shared, User};
use crate::accounts::Role;
use crate::quarantine;

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    done: Option<String>,
}

/// GET /quarantine: the messages waiting, oldest first.
pub(crate) async fn list(
    State(app): State<Shared>,
    who: User,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let entries = match app.db(|store, _| Ok(quarantine::list(store, false)?)).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let mut c = app.context(Some(&who.0));
    c.insert("entries", &entries);
    let banner = match q.done.as_deref() {
        Some("discarded") => Some("The message was discarded and its bytes erased."),
        _ => None,
    };
    c.insert("banner", &banner);
    app.render("quarantine.html", &c, StatusCode::OK)
}

/// One quarantined message's page, with a refusal when an action was not done.
async fn page(
    app: &Shared,
    who: &User,
    id: i64,
    error: Option<String>,
    form: HashMap<String, String>,
) -> Response {
    let found = app
        .db(move |store, _| {
            let entry = match quarantine::entry(store, id) {
                Ok(e) => e,
                Err(e) => match Fail::from(e) {
                    Fail::Internal(e) => return Err(e),
                    _ => return Ok(None),
                },
            };
            // Resolved: its bytes were erased; the page says what was done instead.
            let text = match entry.row.resolution {
                None => Some(quarantine::readable(store, id)?),
                Some(_) => None,
            };
            Ok(Some((entry, text)))
        })
        .await;
    let (entry, text) = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            return app.error(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no quarantined message with that number.",
            )
        }
        Err(r) => return r,
    };
    let mut c = app.context(Some(&who.0));
    c.insert("entry", &entry);
    c.insert("text", &text.as_ref().map(|t| &t.0));
    c.insert("more", &text.as_ref().map_or(0, |t| t.1));
    c.insert("action_error", &error);
    c.insert("form", &form);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    app.render("quarantined.html", &c, status)
}

/// GET /quarantine/{id}
pub(crate) async fn show(State(app): State<Shared>, who: User, Path(id): Path<i64>) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    page(&app, &who, id, None, HashMap::new()).await
}

/// GET /quarantine/{id}/eml: the bytes as received, only ever as a download.
pub(crate) async fn eml(State(app): State<Shared>, who: User, Path(id): Path<i64>) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let raw = app
        .db(move |store, _| match quarantine::raw(store, id) {
            Ok(raw) => Ok(Ok(raw)),
            Err(e) => Fail::from(e).refusal().map(Err),
        })
        .await;
    match raw {
        Ok(Ok(raw)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"quarantined-{id}.eml\""),
                ),
            ],
            raw,
        )
            .into_response(),
        Ok(Err(why)) => app.error(StatusCode::NOT_FOUND, "No message to download", &why),
        Err(r) => r,
    }
}

/// POST /quarantine/{id}/{attach|open|discard}
pub(crate) async fn act(
    State(app): State<Shared>,
    who: User,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    if !matches!(action.as_str(), "attach" | "open" | "discard") {
        return app.error(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such action.",
        );
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let actor = format!("officer:{}", who.0.name);
    let f = form.clone();
    let what = action.clone();
    let now = app.now();
    let done = app
        .db(move |store, cfg| {
            let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
            let out = match what.as_str() {
                "attach" => {
                    let reference = field("reference");
                    if reference.is_empty() {
                        return Ok(Err(
                            "type the reference of the case to attach it to".to_string()
                        ));
                    }
                    quarantine::attach(store, cfg, now, &actor, id, &reference)
                        .map(|r| format!("/cases/{r}?done=quarantine-attach"))
                }
                "open" => quarantine::open(store, cfg, now, &actor, id)
                    .map(|o| format!("/cases/{}?done=quarantine-open", o.reference)),
                _ => quarantine::discard(store, now, &actor, id, &field("reason"))
                    .map(|()| "/quarantine?done=discarded".to_string()),
            };
            match out {
                Ok(to) => Ok(Ok(to)),
                Err(e) => Fail::from(e).refusal().map(Err),
            }
        })
        .await;
    match done {
        Ok(Ok(to)) => Redirect::to(&to).into_response(),
        Ok(Err(why)) => {
            tracing::info!(account = %who.0.name, action, id, "web desk: quarantine action refused");
            let mut form = form;
            form.insert("failed_action".into(), action);
            form.remove("csrf");
            page(&app, &who, id, Some(why), form).await
        }
        Err(r) => r,
    }
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/quarantine", get(list))
        .route("/quarantine/{id}", get(show))
        .route("/quarantine/{id}/eml", get(eml))
        .route("/quarantine/{id}/{action}", post(act))
}
