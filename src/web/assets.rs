//! Static assets, embedded in the binary: GOV.UK Frontend's compiled CSS and JS
//! (assets/govuk-frontend/, see its VERSION) and the desk's own small script.

use axum::routing::get;
use axum::Router;

use super::Shared;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "govuk-frontend.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/govuk-frontend/govuk-frontend.min.css"),
    ),
    (
        "govuk-frontend.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/govuk-frontend/govuk-frontend.min.js"),
    ),
    (
        "desk.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/desk.css"),
    ),
    (
        "desk.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/desk.js"),
    ),
];

pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/assets/{*path}", get(asset))
}
