//! The desk's Users page (admins): the staff directory. The accounts, each a card with
//! its email, display name, job title, manager, role and status; a form to add one; and
//! for each a change of details (email, display name, job title, manager), a role change,
//! a password reset, disable, and unlock while it is locked after wrong passwords; then
//! the `[[staff]]` entries with no account. Each form calls what `redress user
//! add|set|role|passwd|disable|unlock` calls (`crate::accounts`), as the signed-in admin;
//! a new password is generated and shown once on the page that answers the form, never
//! kept in clear or logged. Also the case page's Assign list ([`assignable`]).

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

const ACTIONS: &[&str] = &["add", "details", "disable", "password", "role", "unlock"];

fn banner(done: &str) -> Option<&'static str> {
    Some(match done {
        "disable" => "The account was disabled and its sessions ended.",
        "role" => "The role was changed.",
        "details" => "The details were saved.",
        "unchanged" => "Nothing was changed: the details were already as given.",
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
        .db(move |store, cfg| {
            Ok((
                store.users()?,
                store.account_events(50)?,
                accounts::locked_accounts(store, now)?,
                accounts::directory(store, cfg)?,
            ))
        })
        .await;
    let (users, events, locked, dir) = match found {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Each account as stored, with how many minutes it stays locked (none: not locked),
    // when it was made in London time, and its manager by name.
    let users: Vec<serde_json::Value> = users
        .iter()
        .map(|u| {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            v["locked_minutes"] = locked
                .get(&u.name)
                .map(|until| accounts::minutes_left(*until, now))
                .into();
            v["created"] = crate::time::stored_in_words(&u.created_at).into();
            // As the directory has them: the account's own, else its `[[staff]]` entry's.
            if let Some(p) = dir.staff(&u.name) {
                v["display_name"] = p.display_name.clone().into();
                v["job_title"] = p.job_title.clone().into();
                v["manager"] = p.manager.clone().into();
            }
            v["manager_shown"] = v["manager"].as_str().map(|m| dir.shown(m)).into();
            v
        })
        .collect();
    // Everyone in the directory (for the manager lists), and those with no account.
    let person = |p: &crate::config::Staff| {
        serde_json::json!({
            "name": p.name,
            "shown": p.in_letters().unwrap_or_else(|| p.name.clone()),
            "email": p.email,
            "job_title": p.job_title,
            "manager_shown": p.manager.as_deref().map(|m| dir.shown(m)),
        })
    };
    let people: Vec<serde_json::Value> = dir.people().iter().map(person).collect();
    let seeded: Vec<serde_json::Value> = dir
        .people()
        .iter()
        .filter(|p| p.role.is_none())
        .map(person)
        .collect();
    // Who made each change, by name; when, in London time.
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            let actor = match e.actor.strip_prefix("officer:") {
                Some("cli") => "the server's command line".to_string(),
                Some(n) => dir.shown(n),
                None => e.actor.clone(),
            };
            serde_json::json!({
                "at": crate::time::stored_in_words(&e.at),
                "actor": actor,
                "account": dir.shown(&e.account),
                "action": e.action,
                "detail": e.detail,
            })
        })
        .collect();
    let mut c = app.context(Some(&who.0));
    c.insert("users", &users);
    c.insert("people", &people);
    c.insert("seeded", &seeded);
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
    /// Nothing to change: the account was already as the form says.
    Unchanged,
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
    let details = accounts::Details {
        display_name: field("display_name"),
        job_title: field("job_title"),
        manager: field("manager"),
    };
    let by = who.0.name.clone();
    let what = action.clone();
    let now = app.now();
    let out = app
        .db(move |store, cfg| {
            let done = match what.as_str() {
                "add" => accounts::role_named(&role).and_then(|role| {
                    let password = accounts::generate_password();
                    accounts::add_staff_user(
                        store, cfg, &name, &email, role, &password, &details, &by, now,
                    )?;
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
                "details" => accounts::set_details(store, cfg, &name, &email, &details, &by, now)
                    .map(|changed| {
                        if changed {
                            Outcome::Done(String::new(), None)
                        } else {
                            Outcome::Unchanged
                        }
                    }),
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
        Ok(Outcome::Unchanged) => Redirect::to("/users?done=unchanged").into_response(),
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

/// The people the case page's Assign offers for case `reference`
/// ([`crate::actions::assignable`]); none when it cannot be read.
pub(crate) async fn assignable(app: &Shared, reference: &str) -> Vec<crate::actions::Assignable> {
    let reference = reference.to_string();
    app.db(move |store, cfg| Ok(crate::actions::assignable(store, cfg, &reference)?))
        .await
        .unwrap_or_default()
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/users", get(page))
        .route("/users/{action}", post(act))
}
