//! Officers' actions on a case: each form calls the library function
//! the CLI command calls (`crate::actions`), as the signed-in user (`officer:NAME`).
//!
//! Every action form carries the case's version (`Store::case_version`) as the page
//! drew it; the action is refused, with nothing changed, when the case has moved on
//! since ("This case changed since you opened it."). The check and the action share
//! one transaction, so no update is lost to another officer or to the daemon. The
//! version counts only what people did (officers' actions and mail), so the daemon's
//! own steps (a letter rendered, held or sent) never make a page stale.
//!
//! Before anything is done, `crate::allowed` says whether the action is open on the
//! case as it stands, for this user: one not offered is refused with the reason the
//! page gives, and nothing is written.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use super::page::{case_page, Notice};
use crate::accounts::Role;
use crate::actions;
use crate::allowed;
use crate::plan::Reply;
use crate::store::Store;
use crate::web::{refused, Fail, Form, Shared, User};

/// What a successful action answers.
enum Done {
    /// Back to the case page with this banner (`done=`).
    Page(&'static str),
    /// The letter a reply would send, as PDF.
    Pdf(Vec<u8>),
}

/// Run one action on case `reference` as `actor`.
fn act(
    store: &mut Store,
    cfg: &crate::config::Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    action: DeskAction,
    f: &Form,
) -> Result<Done, Fail> {
    let r = reference;
    match action {
        DeskAction::Assign => {
            let officer = f
                .opt("officer")
                .ok_or_else(|| refused("name the officer"))?;
            actions::assign(store, cfg, now, actor, r, officer)?;
        }
        DeskAction::Reply => {
            let findings = f.get("body");
            if findings.trim().is_empty() {
                return Err(refused("write the reply's findings in the body"));
            }
            actions::enclosure_count(f.1.len())?;
            let enclosures =
                f.1.iter()
                    .map(|u| {
                        actions::enclosure(cfg, &u.name, u.content_type.as_deref(), u.bytes.clone())
                    })
                    .collect::<crate::plan::Result<Vec<_>>>()?;
            let reply = Reply {
                kind: f.opt("letter").map(str::to_string),
                outcome: f.opt("outcome").map(str::to_string),
                category: f.opt("reason").map(str::to_string),
                findings: findings.to_string(),
                apology: f.opt("apology").map(str::to_string),
                remedy: f.opt("remedy").map(str::to_string),
                enclosures,
                serious: f.opt("serious").is_some(),
                learning: crate::plan::Learnt::from_parts(
                    f.opt("learning"),
                    f.opt("learning_action"),
                )?,
            };
            if f.get("action") == "preview" {
                let letters = actions::preview(store, cfg, now, |s| {
                    actions::reply_preview(s, cfg, now, actor, r, &reply).map(drop)
                })?;
                let first = letters
                    .into_iter()
                    .next()
                    .ok_or_else(|| refused("reply sends no letter here: nothing to preview"))?;
                return Ok(Done::Pdf(first.pdf));
            }
            if actions::reply(store, cfg, now, actor, r, &reply)?.awaiting_approval {
                return Ok(Done::Page("awaiting"));
            }
        }
        DeskAction::Approve if f.get("action") == "preview" => {
            let letters = actions::preview(store, cfg, now, |s| {
                actions::approve(s, cfg, now, actor, r).map(drop)
            })?;
            let first = letters
                .into_iter()
                .next()
                .ok_or_else(|| refused("the response sends no letter here: nothing to preview"))?;
            return Ok(Done::Pdf(first.pdf));
        }
        DeskAction::Approve => {
            actions::approve(store, cfg, now, actor, r)?;
        }
        DeskAction::Return => {
            actions::return_response(store, cfg, now, actor, r, f.get("reason"))?;
        }
        DeskAction::Learning => {
            let l = crate::plan::Learnt::from_parts(f.opt("learning"), f.opt("learning_action"))?
                .ok_or_else(|| refused("write what was learnt and the action taken"))?;
            actions::learning(store, cfg, now, actor, r, &l)?;
        }
        DeskAction::Extend => {
            let days: u32 = f
                .get("days")
                .trim()
                .parse()
                .map_err(|_| refused(format!("'{}' is not a number of days", f.get("days"))))?;
            actions::extend(
                store,
                cfg,
                now,
                actor,
                r,
                days,
                f.get("reason"),
                f.opt("beyond_limit"),
            )?;
        }
        // "In their latest reply": an officer confirms a possible review request; the
        // request dates from the reply.
        DeskAction::Escalate if f.get("by") == "reply" => {
            actions::escalate_from_reply(store, cfg, now, actor, r, None, f.opt("late"))?;
        }
        DeskAction::Escalate => {
            let council = f.get("by") == "council";
            actions::escalate_by(
                store,
                cfg,
                now,
                actor,
                r,
                council,
                f.opt("reason"),
                f.opt("late"),
            )?;
        }
        DeskAction::Decide => {
            let d = actions::parse_decision(f.get("decision"))?;
            let learnt =
                crate::plan::Learnt::from_parts(f.opt("learning"), f.opt("learning_action"))?;
            actions::decide_learnt(
                store,
                cfg,
                now,
                actor,
                r,
                d,
                f.get("reason"),
                learnt.as_ref(),
            )?;
        }
        DeskAction::Pause => {
            actions::pause(store, cfg, now, actor, r, f.get("reason"))?;
        }
        DeskAction::Resume => {
            actions::resume(store, cfg, now, actor, r)?;
        }
        DeskAction::Classify => {
            actions::classify(store, now, actor, r, f.get("kind"))?;
        }
        DeskAction::Note => {
            actions::note(store, now, actor, r, f.get("text"))?;
        }
        DeskAction::Triage => {
            let accept = match f.get("decision") {
                "accept" => true,
                "complaint" => false,
                other => return Err(refused(format!("'{other}' is not a triage decision"))),
            };
            actions::triage(store, cfg, now, actor, r, accept)?;
        }
        DeskAction::Close => {
            let reason = actions::parse_close_reason(f.get("reason"))?;
            actions::close(store, cfg, now, actor, r, reason, f.opt("note"))?;
        }
        DeskAction::Reopen => {
            actions::reopen(store, cfg, now, actor, r, f.get("reason"))?;
        }
        DeskAction::Restrict => {
            let review = crate::time::parse_iso(f.get("review").trim()).ok_or_else(|| {
                refused(format!(
                    "'{}' is not a date in the form YYYY-MM-DD",
                    f.get("review")
                ))
            })?;
            actions::restrict(
                store,
                cfg,
                now,
                actor,
                &actions::Restriction {
                    email: f.get("email"),
                    level: f.get("level"),
                    review,
                    reasons: f.get("reason"),
                    contact: f.opt("contact"),
                    immediate: f.opt("immediate"),
                },
                actions::Wording::Desk,
            )?;
        }
        DeskAction::Behaviour => {
            let date = |name: &str, what: &str| {
                crate::time::parse_iso(f.get(name).trim()).ok_or_else(|| {
                    refused(format!(
                        "give {what} as a date in the form YYYY-MM-DD ('{}' is not one)",
                        f.get(name)
                    ))
                })
            };
            let step = match f.get("step") {
                "refer" => actions::Behaviour::Refer {
                    grounds: f.get("reason"),
                },
                "investigate" => actions::Behaviour::Investigate,
                "warn" => actions::Behaviour::Warn {
                    level: f.get("level"),
                    contact: f.opt("contact"),
                    concerns: f.get("reason"),
                    by: date("representations_by", "the last day for representations")?,
                },
                "restrict" => actions::Behaviour::Restrict {
                    level: f.opt("level"),
                    contact: f.opt("contact"),
                    review: date("review", "the review date")?,
                    reasons: f.opt("reason"),
                },
                "no-restriction" => actions::Behaviour::NoRestriction {
                    reasons: f.opt("reason"),
                },
                other => return Err(refused(format!("'{other}' is not a step of the procedure"))),
            };
            actions::behaviour(
                store,
                cfg,
                now,
                actor,
                f.get("email"),
                &step,
                actions::Wording::Desk,
            )?;
        }
        DeskAction::Director => match f.get("step") {
            "mark" => {
                actions::mark_director(store, cfg, now, actor, r, f.get("about"))?;
            }
            "choose" => {
                actions::choose_investigator(
                    store,
                    cfg,
                    now,
                    actor,
                    r,
                    f.get("investigator"),
                    f.get("chosen_by"),
                )?;
            }
            other => return Err(refused(format!("'{other}' is not a step"))),
        },
        DeskAction::Exclude => {
            let id = f
                .opt("exclusion")
                .ok_or_else(|| refused("Choose what the policy does not cover."))?;
            actions::exclude(store, cfg, now, actor, r, id)?;
        }
        DeskAction::Service => {
            let value = Some(f.get("service").trim()).filter(|s| !s.is_empty());
            store.set_field(r, crate::store::CaseField::Service, value, now, actor)?;
        }
        DeskAction::Customer => {
            let name = f.opt("name");
            let email = f.opt("email");
            let phone = f
                .opt("phone")
                .map(crate::case::phone)
                .transpose()
                .map_err(|e| refused(format!("{e}.")))?;
            let address: Vec<String> = f
                .get("address")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            if let Some(e) = email {
                if !e.contains('@') || e.trim().contains(char::is_whitespace) {
                    return Err(refused(format!(
                        "'{}' is not an email address.",
                        crate::escape::escaped(e)
                    )));
                }
            }
            if name.is_none() && email.is_none() && address.is_empty() && phone.is_none() {
                return Err(refused(
                    "Nothing to change: give the name, the email address, the postal address or the telephone number.",
                ));
            }
            let edit = crate::store::CustomerEdit {
                name,
                email,
                address: (!address.is_empty()).then_some(address.as_slice()),
                phone,
            };
            let key = crate::store::CustomerKey::Case(r);
            if store.edit_customer(&key, &edit, now, actor)?.is_none() {
                return Err(refused(
                    "The case has no customer whose details can be corrected.",
                ));
            }
        }
        DeskAction::Acknowledge => {
            actions::acknowledge(store, cfg, now, actor, r)?;
        }
        DeskAction::Unflag => {
            store.set_field(r, crate::store::CaseField::Flagged, None, now, actor)?;
        }
        DeskAction::Representative => {
            let edit = actions::RepresentativeEdit {
                role: Some(f.get("role").to_string()),
                name: Some(f.get("name").to_string()),
                email: Some(f.get("email").to_string()),
                for_whom: Some(f.get("for_whom").to_string()),
                consent: Some(f.opt("consent").is_some()),
                resident_email: Some(f.get("resident_email").to_string()),
            };
            actions::representative(store, now, actor, r, &edit)?;
        }
    }
    Ok(Done::Page(action.as_str()))
}

/// The actions on a case the desk offers, one per form (`POST /cases/REF/ACTION`).
pub(crate) use crate::allowed::Act as DeskAction;

/// The letter an action would send, as PDF: the action runs in the store's dry run
/// (refused as it would be), and nothing is kept.
#[allow(clippy::too_many_arguments)]
fn preview(
    store: &mut Store,
    cfg: &crate::config::Config,
    now: DateTime<Utc>,
    actor: &str,
    reference: &str,
    action: DeskAction,
    f: &Form,
) -> Result<Done, Fail> {
    let letters = actions::preview(store, cfg, now, |s| {
        match act(s, cfg, now, actor, reference, action, f) {
            Ok(_) => Ok(()),
            Err(Fail::Refused(why)) => Err(crate::plan::refused(why)),
            Err(Fail::Stale) => Err(crate::plan::refused(crate::web::STALE)),
            Err(Fail::Internal(e)) => Err(crate::plan::WorkflowError::Store(e.into())),
        }
    })?;
    let first = letters
        .into_iter()
        .next()
        .ok_or_else(|| refused("This sends no letter here: there is nothing to preview."))?;
    Ok(Done::Pdf(first.pdf))
}

/// The letters an action sends, so its form has a Preview button.
fn sends_a_letter(a: DeskAction) -> bool {
    matches!(
        a,
        DeskAction::Extend
            | DeskAction::Decide
            | DeskAction::Restrict
            | DeskAction::Exclude
            | DeskAction::Acknowledge
            | DeskAction::Escalate
            | DeskAction::Close
    )
}

/// POST /cases/{reference}/{action}
pub(crate) async fn action(
    State(app): State<Shared>,
    who: User,
    Path((reference, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(act_on) = DeskAction::parse(&action) else {
        return app.error(
            StatusCode::NOT_FOUND,
            "No such action",
            "There is no such action on a case.",
        );
    };
    let manager = who.0.role.allows(Role::Manager);
    let mut form = match Form::read(&headers, body).await {
        Ok(f) => f,
        Err(why) => {
            return app.error(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                &format!("{why}. Nothing was changed."),
            )
        }
    };
    let actor = format!("officer:{}", who.0.name);
    let version = form.get("version").to_string();
    let (r, a) = (reference.clone(), act_on);
    let f = Form(form.0.clone(), std::mem::take(&mut form.1));
    let now = app.now();
    let out = app
        .db(move |store, cfg| {
            let out = store.batch(|s| -> Result<(Done, String), Fail> {
                let case = s.find_case(&r)?;
                if s.case_version(case.id)? != version {
                    return Err(Fail::Stale);
                }
                // One answer: what the page does not offer is refused with its reason.
                let policy = crate::plan::policy_of(cfg, &case)?;
                let facts = super::facts(s, &case)?;
                allowed::may(&facts.situation(&case, policy, manager), a).map_err(Fail::Refused)?;
                let previewing = f.get("action") == "preview" && sends_a_letter(a);
                let done = if previewing {
                    preview(s, cfg, now, &actor, &case.reference, a, &f)
                } else {
                    act(s, cfg, now, &actor, &case.reference, a, &f)
                };
                done.map(|d| (d, case.reference.clone()))
            });
            match out {
                Ok(d) => Ok(Ok(d)),
                Err(Fail::Internal(e)) => Err(e),
                Err(other) => Ok(Err(other)),
            }
        })
        .await;
    let notice = |error: Option<String>, stale: bool| Notice {
        error,
        stale,
        form: form.0.clone(),
        action: Some(action.clone()),
        ..Notice::default()
    };
    match out {
        Err(r) => r,
        // The reference as stored (never a header made from what the path said).
        Ok(Ok((Done::Page(done), stored))) => {
            Redirect::to(&format!("/cases/{stored}?done={done}")).into_response()
        }
        Ok(Ok((Done::Pdf(pdf), _))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"preview.pdf\"",
                ),
            ],
            pdf,
        )
            .into_response(),
        Ok(Err(Fail::Stale)) => {
            tracing::info!(account = %who.0.name, action, "web desk: refused a stale page");
            case_page(
                &app,
                &who,
                reference,
                notice(None, true),
                1,
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(Err(Fail::Refused(why))) => {
            // Only a manager may: refused as forbidden, with the page's reason.
            let status = if act_on.manager_only() && !manager {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let why = super::words::officer_words(&why);
            case_page(&app, &who, reference, notice(Some(why), false), 1, status).await
        }
        Ok(Err(Fail::Internal(_))) => app.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The desk could not do that.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::case::page::banner;

    #[test]
    fn every_action_has_a_banner() {
        for a in DeskAction::ALL {
            assert!(banner(a.as_str()).is_some(), "{a:?}");
        }
        assert!(banner("new").is_some());
        assert_eq!(banner("<script>"), None);
    }
}
