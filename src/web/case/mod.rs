//! A case: its page, the actions on it, and New case. Each action form posts to
//! `/cases/REF/ACTION` and comes back to the page with a banner or the refusal.

use axum::routing::get;
use axum::Router;

use super::Shared;

mod actions;
mod new;
mod page;

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
