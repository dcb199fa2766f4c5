//! The desk's outbox (managers): letters held (to print and post, a restriction) or
//! failed, with the reason; retry one, record one as printed and posted, or download
//! its PDF to print. The same store calls as `redress outbox --retry/--posted/--pdf`.
//! Every held letter can be printed at once (one PDF) and then recorded as posted in
//! one step: each letter marked, each with its event on its case.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::{Shared, User};
use crate::accounts::Role;
use crate::store::outbox::{LetterFilter, LetterStatus, OfficerLetterAction};

#[derive(serde::Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    done: String,
    #[serde(default)]
    n: Option<u32>,
}

pub(crate) async fn outbox(
    State(app): State<Shared>,
    who: User,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let letters = app
        .db(|store, _| {
            let mut v = Vec::new();
            for status in [LetterStatus::Held, LetterStatus::Failed] {
                v.extend(store.list_letters(&LetterFilter {
                    status: Some(status),
                    limit: Some(500),
                    ..LetterFilter::default()
                })?);
            }
            // Each with what it encloses, to print with it (names, not bytes).
            let mut out = Vec::new();
            for l in &v {
                let mut row = serde_json::to_value(l)?;
                row["enclosures"] = serde_json::to_value(store.letter_attachment_list(l.id)?)?;
                out.push(row);
            }
            Ok(out)
        })
        .await;
    let letters = match letters {
        Ok(l) => l,
        Err(r) => return r,
    };
    let held: Vec<i64> = letters
        .iter()
        .filter(|l| l["status"] == "held")
        .filter_map(|l| l["id"].as_i64())
        .collect();
    let mut c = app.context(Some(&who.0));
    c.insert("letters", &letters);
    c.insert("held", &held);
    c.insert(
        "banner",
        &match (q.done.as_str(), q.n) {
            ("posted", Some(1)) => Some("1 letter recorded as posted".to_string()),
            ("posted", Some(n)) => Some(format!("{n} letters recorded as posted")),
            _ => None,
        },
    );
    c.insert(
        "held_ids",
        &held
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    );
    app.render("outbox.html", &c, StatusCode::OK)
}

/// The held letters with these ids (all held ones when `ids` is None), oldest first:
/// (id, its PDF if rendered).
fn held_letters(
    store: &crate::store::Store,
    ids: Option<&[i64]>,
) -> anyhow::Result<Vec<(i64, Option<Vec<u8>>)>> {
    let mut out = Vec::new();
    let mut held = store.list_letters(&LetterFilter {
        status: Some(LetterStatus::Held),
        ..LetterFilter::default()
    })?;
    held.sort_by_key(|l| l.id);
    for l in held {
        if ids.is_some_and(|ids| !ids.contains(&l.id)) {
            continue;
        }
        out.push((l.id, store.letter_content(l.id).ok().and_then(|c| c.pdf)));
    }
    Ok(out)
}

/// The letter ids a form or link carries ("3,5,8").
fn ids_of(s: &str) -> Option<Vec<i64>> {
    let ids: Option<Vec<i64>> = s
        .split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| letter_id(x.trim()))
        .collect();
    ids.filter(|v| !v.is_empty())
}

#[derive(serde::Deserialize)]
pub(crate) struct Ids {
    #[serde(default)]
    ids: String,
}

/// GET /outbox/held.pdf?ids=3,5: the held letters (those listed, or every one), one
/// PDF to print, each letter exactly as rendered.
pub(crate) async fn held_pdf(
    State(app): State<Shared>,
    who: User,
    axum::extract::Query(q): axum::extract::Query<Ids>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let ids = ids_of(&q.ids);
    let found = app
        .db(move |store, _| held_letters(store, ids.as_deref()))
        .await;
    let letters = match found {
        Ok(l) => l,
        Err(r) => return r,
    };
    let pdfs: Vec<Vec<u8>> = letters.into_iter().filter_map(|(_, pdf)| pdf).collect();
    match crate::outbox::print::join_pdfs(&pdfs) {
        Some(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"held-letters-{}.pdf\"",
                        crate::calendar::london_date(app.now())
                    ),
                ),
            ],
            pdf,
        )
            .into_response(),
        None => app.error(
            StatusCode::NOT_FOUND,
            "No letters to print",
            "No letter is held to print and post, or none is rendered yet.",
        ),
    }
}

/// POST /outbox/posted (ids=3,5): the letters printed together, each recorded as
/// posted (and an event on its case); one refused (posted meanwhile) is said, the
/// rest done.
pub(crate) async fn all_posted(
    State(app): State<Shared>,
    who: User,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let Some(ids) = super::form_field(&body, "ids").as_deref().and_then(ids_of) else {
        return app.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That could not be done",
            "No letters were named to record as posted. Nothing was changed.",
        );
    };
    let name = who.0.name.clone();
    let now = app.now();
    let done = app
        .db(move |store, _| {
            let mut posted = 0;
            let mut refused = Vec::new();
            for id in ids {
                match store.officer_letter_action(id, OfficerLetterAction::Posted, &name, now) {
                    Ok(_) => posted += 1,
                    Err(e) => refused.push(format!("letter {id}: {e}")),
                }
            }
            Ok((posted, refused))
        })
        .await;
    match done {
        Ok((posted, refused)) if refused.is_empty() => {
            Redirect::to(&format!("/outbox?done=posted&n={posted}")).into_response()
        }
        Ok((posted, refused)) => app.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Some letters could not be recorded",
            &format!(
                "{posted} recorded as posted. Not recorded: {}.",
                refused.join("; ")
            ),
        ),
        Err(r) => r,
    }
}

/// POST /outbox/{id}/{retry|posted}
pub(crate) async fn act(
    State(app): State<Shared>,
    who: User,
    Path((id, what)): Path<(i64, String)>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let action = match what.as_str() {
        "retry" => OfficerLetterAction::Retry,
        "posted" => OfficerLetterAction::Posted,
        _ => {
            return app.error(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such action.",
            )
        }
    };
    let name = who.0.name.clone();
    let now = app.now();
    let done = app
        .db(move |store, _| Ok(store.officer_letter_action(id, action, &name, now)))
        .await;
    match done {
        Ok(Ok(_)) => Redirect::to(&format!("/outbox?done={what}")).into_response(),
        Ok(Err(e)) => app.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That could not be done",
            &format!("{e}. Nothing was changed."),
        ),
        Err(r) => r,
    }
}

/// GET /outbox/{id}/pdf: the letter's PDF as rendered, to print.
pub(crate) async fn pdf(State(app): State<Shared>, who: User, Path(id): Path<String>) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let Some(id) = letter_id(&id) else {
        return no_such_letter(&app);
    };
    let found = app
        .db(move |store, _| {
            let Some(l) = store.find_letter(id)? else {
                return Ok(None);
            };
            Ok(Some((l, store.letter_content(id).ok().and_then(|c| c.pdf))))
        })
        .await;
    match found {
        Ok(None) => no_such_letter(&app),
        Ok(Some((l, Some(pdf)))) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-{}.pdf\"",
                        l.reference
                            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""),
                        l.kind
                            .as_str()
                            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
                    ),
                ),
            ],
            pdf,
        )
            .into_response(),
        Ok(Some((_, None))) => app.error(
            StatusCode::NOT_FOUND,
            "No PDF",
            "This letter has no PDF yet (it is not rendered) or its content was erased.",
        ),
        Err(r) => r,
    }
}

/// A letter's id as it appears in a path: a positive number, or no letter at all.
fn letter_id(s: &str) -> Option<i64> {
    s.parse().ok().filter(|id| *id > 0)
}

/// The answer for an id no letter has, as for any unknown id: 404, nothing logged.
fn no_such_letter(app: &Shared) -> Response {
    app.error(
        StatusCode::NOT_FOUND,
        "No such letter",
        "There is no letter with that number.",
    )
}

/// GET /outbox/{id}/enclosures/{n}: a file enclosed with the letter, to print with it.
pub(crate) async fn enclosure(
    State(app): State<Shared>,
    who: User,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let (Some(id), Some(n)) = (letter_id(&id), letter_id(&n)) else {
        return no_such_letter(&app);
    };
    let found = app
        .db(move |store, _| {
            Ok(store
                .letter_attachments(id)?
                .into_iter()
                .find(|e| e.position == n))
        })
        .await;
    match found {
        Ok(Some(e)) => {
            // A plain ASCII name for the header; the type is one of the allowed ones.
            let ascii: String = e
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            (
                [
                    (header::CONTENT_TYPE, e.content_type.clone()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{ascii}\""),
                    ),
                ],
                e.bytes,
            )
                .into_response()
        }
        Ok(None) => app.error(
            StatusCode::NOT_FOUND,
            "No such file",
            "This letter encloses no such file, or it was erased.",
        ),
        Err(r) => r,
    }
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/outbox", get(outbox))
        .route("/outbox/held.pdf", get(held_pdf))
        .route("/outbox/posted", post(all_posted))
        .route("/outbox/{id}/pdf", get(pdf))
        .route("/outbox/{id}/enclosures/{n}", get(enclosure))
        .route("/outbox/{id}/{action}", post(act))
}
