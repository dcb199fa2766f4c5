//! Sign-in and sign-out pages.

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use axum::Router;
use std::net::SocketAddr;

use super::{cookie, set_cookie, Shared, User, SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::accounts::{self, SignInRefused};

#[derive(serde::Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The sign-in form, with a fresh token in a short-lived cookie and in the form
/// (there is no session yet to keep it in).
fn form_page(app: &super::App, status: StatusCode, error: Option<&str>, account: &str) -> Response {
    let token = accounts::random_token();
    let mut c = app.context(None);
    c.insert("csrf", &token);
    c.insert("account", account);
    if let Some(e) = error {
        c.insert("error", e);
    }
    let mut r = app.render("sign-in.html", &c, status);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&app.cfg, SIGN_IN_COOKIE, &token, "/sign-in", Some(3600)),
    );
    r
}

pub(crate) async fn sign_in_page(
    State(app): State<Shared>,
    who: Option<axum::Extension<accounts::SignedIn>>,
) -> Response {
    if who.is_some() {
        return Redirect::to("/").into_response();
    }
    form_page(&app, StatusCode::OK, None, "")
}

pub(crate) async fn sign_in(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if expected.is_empty() || !accounts::same_secret(form.csrf.as_bytes(), expected.as_bytes()) {
        return app.error(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back to the sign-in page, reload it and try again.",
        );
    }
    let address = super::client_address(&app.cfg.web, &peer, &headers);
    let account = form.account.clone();
    let password = form.password;
    // The store is held to look the account up and to record the outcome, never while
    // argon2 works: other officers' pages are not held up by a sign-in.
    // Sign-in and sessions keep the real clock, under --now too.
    let now = chrono::Utc::now();
    let begun = app
        .db({
            let address = address.clone();
            move |store, _| Ok(accounts::begin_sign_in(store, &account, &address, now)?)
        })
        .await;
    let out = match begun {
        Ok(Ok(attempt)) => {
            let checked = tokio::task::spawn_blocking(move || {
                let good = attempt.verify(&password);
                (attempt, good)
            })
            .await;
            match checked {
                Ok((attempt, good)) => {
                    app.db(move |store, cfg| {
                        accounts::end_idle_sessions(store, now, cfg.web.session_idle_hours)?;
                        Ok(accounts::finish_sign_in(
                            store,
                            attempt,
                            good,
                            &address,
                            cfg.mail_domain(),
                            now,
                        )?)
                    })
                    .await
                }
                Err(_) => Err(app.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The desk could not check the password.",
                )),
            }
        }
        Ok(Err(refused)) => Ok(Err(refused)),
        Err(r) => Err(r),
    };
    match out {
        Ok(Ok((token, _))) => {
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&app.cfg, SESSION_COOKIE, &token, "/", None),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&app.cfg, SIGN_IN_COOKIE, "", "/sign-in", Some(0)),
            );
            r
        }
        Ok(Err(SignInRefused::Wrong)) => form_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("The name or password is not right."),
            &form.account,
        ),
        Ok(Err(SignInRefused::Locked { minutes })) => form_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "This account is locked for {} after several wrong passwords. Ask an administrator to unlock it, or wait.",
                more_minutes(minutes)
            )),
            &form.account,
        ),
        Ok(Err(SignInRefused::AddressRefused { minutes })) => form_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed sign-ins from this network lately. Wait {}, then try again.",
                more_minutes(minutes)
            )),
            &form.account,
        ),
        Err(r) => r,
    }
}

/// "1 more minute", "12 more minutes".
fn more_minutes(n: i64) -> String {
    if n == 1 {
        "1 more minute".into()
    } else {
        format!("{n} more minutes")
    }
}

/// End the session (the guard has checked the CSRF token).
pub(crate) async fn sign_out(State(app): State<Shared>, User(who): User) -> Response {
    let hash = who.token_hash.clone();
    let name = who.name.clone();
    if let Err(r) = app
        .db(move |store, _| Ok(accounts::sign_out(store, &hash)?))
        .await
    {
        return r;
    }
    tracing::info!(account = %name, "signed out");
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&app.cfg, SESSION_COOKIE, "", "/", Some(0)),
    );
    r
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
}
