//! The desk's Users page (admins): the accounts, a form to add one, and for each a
//! role change, a password reset, disable, and unlock while it is locked after wrong
//! passwords. Each form calls what `redress user add|role|passwd|disable|unlock` calls (`crate::accounts`), as the signed-in admin; a new
//! password is generated and shown once on the page that answers the form, never kept
//! in clear or logged.

use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::Fail;
use super::{Shared, User};
use crate::accounts::{self, Role};

/// What the page says above the accounts.
#[derive(Default)]
struct Notice {
    banner: Option<String>,
    /// A password just made: (for whom, the password), shown once.
    password: Option<(String, String)>,
    error: Option<String>,
    /// The form that was refused, and what was typed in it.
    action: Option<String>,
    form: HashMap<String, String>,
}

const ACTIONS: &[&str] = &["add", "disable", "password", "role", "unlock"];

fn banner(done: &str) -> Option<&'static str> {
    Some(match done {
        "disable" => "The account was disabled and its sessions ended.",
        "role" => "The role was changed.",
        "unlock" => "The account was unlocked: its wrong passwords so far no longer count.",
        _ => return None,
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct UsersQuery {
    done: Option<String>,
}

/// GET /users
pub(crate) async fn page(
    State(app): State<Shared>,
    who: User,
    Query(q): Query<UsersQuery>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Admin) {
        return r;
    }
    let notice = Notice {
        banner: q.done.as_deref().and_then(banner).map(str::to_string),
        ..Notice::default()
    };
    render(&app, &who, notice, StatusCode::OK).await
}

async fn render(app: &Shared, who: &User, notice: Notice, status: StatusCode) -> Response {
    // Locks are on the real clock, as sign-ins are.
    let now = chrono::Utc::now();
    let found = app
        .db(move |store, _| {
            Ok((
                store.users()?,
                store.account_events(50)?,
                accounts::locked_accounts(store, now)?,
            ))
        })
        .await;
    let (users, events, locked) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Each account as stored, with how many minutes it stays locked (none: not locked).
    let users: Vec<serde_json::Value> = users
        .iter()
        .map(|u| {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            v["locked_minutes"] = locked
                .get(&u.name)
                .map(|until| accounts::minutes_left(*until, now))
                .into();
            v
        })
        .collect();
    let mut c = app.context(Some(&who.0));
    c.insert("users", &users);
    c.insert("events", &events);
    c.insert("roles", &Role::ALL.map(Role::as_str));
    c.insert("banner", &notice.banner);
    c.insert("shown_for", &notice.password.as_ref().map(|p| &p.0));
    c.insert("shown_password", &notice.password.as_ref().map(|p| &p.1));
    c.insert("action_error", &notice.error);
    c.insert("failed_action", &notice.action);
    c.insert("form", &notice.form);
    app.render("users.html", &c, status)
}

/// How a change went: a banner (and a password to show once), or the refusal.
enum Outcome {
    Done(String, Option<(String, String)>),
    Refused(String),
}

/// POST /users/{add|disable|password|role|unlock}
pub(crate) async fn act(
    State(app): State<Shared>,
    who: User,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = who.require(&app, Role::Admin) {
        return r;
    }
    if !ACTIONS.contains(&action.as_str()) {
        return app.error(
            StatusCode::NOT_FOUND,
            "No such action",
            "There is no such action on an account.",
        );
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let (name, email, role) = (field("name"), field("email"), field("role"));
    let by = who.0.name.clone();
    let what = action.clone();
    let now = app.now();
    let out = app
        .db(move |store, _| {
            let done = match what.as_str() {
                "add" => accounts::role_named(&role).and_then(|role| {
                    let password = accounts::generate_password();
                    accounts::add_user(store, &name, &email, role, &password, &by, now)?;
                    Ok(Outcome::Done(
                        format!("The account '{name}' was added as {}.", role.as_str()),
                        Some((name.clone(), password)),
                    ))
                }),
                "password" => {
                    let password = accounts::generate_password();
                    accounts::set_password(store, &name, &password, &by, now).map(|()| {
                        Outcome::Done(
                            format!("A new password was set for '{name}'."),
                            Some((name.clone(), password)),
                        )
                    })
                }
                "disable" => accounts::disable(store, &name, &by, now)
                    .map(|()| Outcome::Done(String::new(), None)),
                "unlock" => accounts::unlock(store, &name, &by, now)
                    .map(|()| Outcome::Done(String::new(), None)),
                _ => accounts::role_named(&role)
                    .and_then(|role| accounts::set_role(store, &name, role, &by, now))
                    .map(|()| Outcome::Done(String::new(), None)),
            };
            match done {
                Ok(o) => Ok(o),
                Err(e) => Fail::from(e).refusal().map(Outcome::Refused),
            }
        })
        .await;
    if let Ok(Outcome::Done(..)) = &out {
        // Who changed which account (never a password).
        tracing::info!(by = %who.0.name, account = %form.get("name").map(String::as_str).unwrap_or(""), change = action, "web desk: account changed");
    }
    match out {
        Err(r) => r,
        Ok(Outcome::Done(_, None)) => {
            Redirect::to(&format!("/users?done={action}")).into_response()
        }
        Ok(Outcome::Done(banner, Some(password))) => {
            let notice = Notice {
                banner: Some(banner),
                password: Some(password),
                ..Notice::default()
            };
            render(&app, &who, notice, StatusCode::OK).await
        }
        Ok(Outcome::Refused(why)) => {
            let notice = Notice {
                error: Some(why),
                action: Some(action),
                form,
                ..Notice::default()
            };
            render(&app, &who, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/users", get(page))
        .route("/users/{action}", post(act))
}
