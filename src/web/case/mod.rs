//! A case: its page, the actions on it, and New case. Each action form posts to
//! `/cases/REF/ACTION` and comes back to the page with a banner or the refusal.
//! Which actions a case offers is `crate::allowed`'s answer, for the page and for
//! the action alike.

use axum::routing::get;
use axum::Router;

use super::Shared;
use crate::case::{Case, State};
use crate::store::{Store, StoreError};

mod actions;
mod new;
mod page;
mod words;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/cases/new", get(new::new_case_form).post(new::new_case))
        .route("/cases/{reference}", get(page::case))
        // Bodies are read whole, within their limit, by `guard` (a reply's files included).
        .route(
            "/cases/{reference}/{action}",
            axum::routing::post(actions::action).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// What `allowed::Situation` needs beyond the case and its policy, read from the store.
pub(crate) struct Facts {
    pub paused: bool,
    pub to_triage: bool,
    pub director_marked: bool,
}

pub(crate) fn facts(store: &Store, case: &Case) -> Result<Facts, StoreError> {
    Ok(Facts {
        paused: store.pauses(case.id)?.iter().any(|p| p.ended_on.is_none()),
        to_triage: case.state == State::Received && store.pending_suggestion(case.id)?.is_some(),
        director_marked: store.director_of(case.id)?.is_some(),
    })
}

impl Facts {
    pub(crate) fn situation<'a>(
        &self,
        case: &'a Case,
        policy: &'a crate::policy::Policy,
        manager: bool,
    ) -> crate::allowed::Situation<'a> {
        crate::allowed::Situation {
            case,
            policy,
            manager,
            paused: self.paused,
            to_triage: self.to_triage,
            director_marked: self.director_marked,
        }
    }
}
