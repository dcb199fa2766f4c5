//! New case: a complaint by phone, letter or in person, as `redress new` opens it,
//! with what the resident said as its first message, assigned to whoever recorded it
//! unless they choose otherwise.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::actions;
use crate::web::{Fail, Form, Shared, User, STALE};

fn new_case_page(app: &Shared, who: &User, form: &Form, error: Option<&str>) -> Response {
    let mut c = app.context(Some(&who.0));
    let mut fields = form.0.clone();
    // Assigned to whoever records it, unless they say otherwise.
    if error.is_none() && !fields.contains_key("officer") {
        fields.insert("officer".into(), who.0.name.clone());
    }
    c.insert("form", &fields);
    c.insert("action_error", &error);
    c.insert("kinds", &crate::case::Kind::ALL.map(|k| k.as_str()));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    app.render("new-case.html", &c, status)
}

/// GET /cases/new
pub(super) async fn new_case_form(State(app): State<Shared>, who: User) -> Response {
    new_case_page(&app, &who, &Form(HashMap::new(), Vec::new()), None)
}

/// POST /cases/new: a complaint by phone, letter or in person (`redress new`).
pub(super) async fn new_case(State(app): State<Shared>, who: User, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let actor = format!("officer:{}", who.0.name);
    let f = Form(form.0.clone(), Vec::new());
    let now = app.now();
    let out = app
        .db(move |store, cfg| {
            let received = match f.opt("received") {
                None => None,
                Some(s) => match crate::time::parse_now(s) {
                    // Today's date: now (09:00 would be in the future before nine).
                    Ok(t)
                        if crate::calendar::london_date(t) == crate::calendar::london_date(now) =>
                    {
                        Some(now)
                    }
                    Ok(t) => Some(t),
                    Err(e) => return Ok(Err(e)),
                },
            };
            let address: Vec<String> = f
                .get("address")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            let intake = actions::Intake {
                kind: f.opt("kind").unwrap_or("complaint"),
                email: f.opt("email"),
                name: f.opt("name"),
                address: &address,
                via: f.opt("via"),
                subject: f.opt("subject"),
                service: f.opt("service"),
                received,
                confirm_date: f.opt("confirm_date").is_some(),
                // The second box reads "Anonymous, and ...": either box makes it so.
                anonymous: f.opt("anonymous").is_some() || f.opt("wider_concern").is_some(),
                wider_concern: f.opt("wider_concern").is_some(),
            };
            // Whom it is assigned to: whoever records it, unless they say otherwise
            // (empty: nobody yet). Checked before anything is written.
            let assignee = f.get("officer").trim().to_string();
            if !assignee.is_empty() && !cfg.staff.is_empty() && cfg.staff(&assignee).is_none() {
                return Ok(Err(format!(
                    "{assignee} is not one of the council's staff known to Redress: check the name, or leave it empty to assign the case later."
                )));
            }
            let said = f.get("said").trim().to_string();
            let via = f.opt("via").unwrap_or("phone").replace('-', " ");
            let c = match actions::open_checked(store, cfg, &intake, &actor, now) {
                Ok(c) => c,
                Err(e) => {
                    return match Fail::from(e) {
                        Fail::Internal(e) => Err(e),
                        Fail::Refused(why) => Ok(Err(super::words::officer_words(&why))),
                        Fail::Stale => Ok(Err(STALE.to_string())),
                    }
                }
            };
            // What the resident said is the case's first message; then the officer, both
            // in one transaction. The case is open by now: should either be refused, the
            // case page says so (and what to do), rather than that nothing was opened.
            let then = store.batch(|s| -> crate::plan::Result<()> {
                if !said.is_empty() {
                    s.record_said(c.id, &via, intake.subject, &said, now, &actor)?;
                }
                if !assignee.is_empty() {
                    actions::assign(s, cfg, now, &actor, &c.reference, &assignee)?;
                }
                Ok(())
            });
            match then.map_err(Fail::from) {
                Ok(()) => Ok(Ok((c.reference, None))),
                Err(Fail::Internal(e)) => Err(e),
                Err(Fail::Refused(why)) => Ok(Ok((
                    c.reference,
                    Some(format!(
                        "The case was opened, but what the resident said and whom it is assigned to were not recorded: {}. Add them below.",
                        super::words::officer_words(&why)
                    )),
                ))),
                Err(Fail::Stale) => Ok(Ok((c.reference, None))),
            }
        })
        .await;
    match out {
        Err(r) => r,
        Ok(Ok((reference, None))) => {
            Redirect::to(&format!("/cases/{reference}?done=new")).into_response()
        }
        Ok(Ok((reference, Some(why)))) => {
            let notice = super::page::Notice {
                error: Some(why),
                opened_partly: true,
                ..Default::default()
            };
            super::page::case_page(&app, &who, reference, notice, 1, StatusCode::OK).await
        }
        Ok(Err(why)) => new_case_page(&app, &who, &form, Some(&why)),
    }
}
