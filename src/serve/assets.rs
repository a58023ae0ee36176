//! The page's files and the lessons, embedded in the binary so the page works offline.
//! web/dist/editor.js is built from web/editor/ (CodeMirror; see web/README.md) and committed,
//! so building dalil needs no npm.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The lessons of `examples/`, in order.
pub(crate) const LESSONS: &[(&str, &str)] = &[
    (
        "examples/01-first-query.dl",
        include_str!("../../examples/01-first-query.dl"),
    ),
    (
        "examples/02-filters.dl",
        include_str!("../../examples/02-filters.dl"),
    ),
    (
        "examples/03-time.dl",
        include_str!("../../examples/03-time.dl"),
    ),
    (
        "examples/04-entities.dl",
        include_str!("../../examples/04-entities.dl"),
    ),
    (
        "examples/05-rules.dl",
        include_str!("../../examples/05-rules.dl"),
    ),
    (
        "examples/06-recursion.dl",
        include_str!("../../examples/06-recursion.dl"),
    ),
    (
        "examples/07-negation.dl",
        include_str!("../../examples/07-negation.dl"),
    ),
    (
        "examples/08-aggregation.dl",
        include_str!("../../examples/08-aggregation.dl"),
    ),
    (
        "examples/09-why.dl",
        include_str!("../../examples/09-why.dl"),
    ),
    (
        "examples/10-timing-tension.dl",
        include_str!("../../examples/10-timing-tension.dl"),
    ),
    (
        "examples/11-errors.dl",
        include_str!("../../examples/11-errors.dl"),
    ),
    (
        "examples/12-explain.dl",
        include_str!("../../examples/12-explain.dl"),
    ),
];

/// (name, content type, content)
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/dist/editor.js"),
    ),
];

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../web/index.html"),
    )
        .into_response()
}

/// `GET /assets/{file}`.
pub(crate) async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, ty, body)) => ([(header::CONTENT_TYPE, *ty)], *body).into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
