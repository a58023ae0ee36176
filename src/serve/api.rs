//! The HTTP API: `POST /query` runs statements in the tab's session and answers with what the
//! terminal would show, as JSON; `GET /catalog` lists what completion offers; `GET /lessons`
//! lists the lessons and `GET /lessons/{n}` replays one, statement by statement.

use super::State;
use super::tabs::Handle;
use crate::output::Format;
use crate::repl::Catalog;
use crate::session::{Reply, Session};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::sync::Arc;

/// The name statements sent to `/query` are reported under.
pub const EDITOR: &str = "<editor>";

#[derive(Deserialize)]
pub(crate) struct QueryRequest {
    /// The tab's session id, from an earlier answer (a new session when missing or expired).
    session: Option<String>,
    /// Statements, as typed in the terminal.
    text: String,
    /// `json` (the default), `table`, `csv`, `svg`, `svg-timeline` or `svg-graph`.
    format: Option<String>,
}

/// One piece of output, in the order the terminal would print it.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Output {
    /// A query's result as `--format json` writes it: rows, or `why` trees.
    Json { data: Box<RawValue> },
    /// An SVG picture (`--format svg…`).
    Svg { svg: String },
    /// Text (tables, `:kinds`, `explain`, …).
    Text { text: String },
    /// A note (what the terminal prints on standard error that is not an error).
    Note { text: String },
    /// A report: its index in `diagnostics`.
    Error { diagnostic: usize },
}

/// A statement and what it printed.
#[derive(Serialize, Default)]
pub(crate) struct Step {
    /// The comment lines above it (lessons).
    comment: String,
    statement: String,
    output: Vec<Output>,
}

#[derive(Serialize)]
pub(crate) struct Answer {
    session: String,
    /// No statement failed.
    ok: bool,
    steps: Vec<Step>,
    /// Every report, as [`crate::Diagnostic::to_json`] writes it.
    diagnostics: Vec<serde_json::Value>,
}

/// A lesson replayed: its title and its steps.
#[derive(Serialize)]
pub(crate) struct Lesson {
    title: String,
    ok: bool,
    steps: Vec<Step>,
    diagnostics: Vec<serde_json::Value>,
}

/// Runs `text` statement by statement in `session`, collecting its output as steps.
pub(crate) fn run_steps(
    session: &mut Session,
    name: &str,
    text: &str,
    format: Format,
) -> (bool, Vec<Step>, Vec<serde_json::Value>) {
    session.settings.format = format;
    session.settings.color = false;
    session.report_log = Some(Vec::new());
    let steps = RefCell::new(Vec::<Step>::new());
    let errors = std::cell::Cell::new(0usize);
    let push = |o: Output| {
        let mut steps = steps.borrow_mut();
        if steps.is_empty() {
            steps.push(Step::default());
        }
        if let Some(last) = steps.last_mut() {
            last.output.push(o);
        }
    };
    let summary = session.run_each(
        name,
        text,
        &mut |echo| {
            steps.borrow_mut().push(Step {
                comment: echo.comment.to_string(),
                statement: echo.statement.to_string(),
                output: Vec::new(),
            })
        },
        &mut |reply| match reply {
            Reply::Text(t) => push(classify(t)),
            Reply::Note(t) => push(Output::Note { text: t }),
            Reply::Error(_) => {
                push(Output::Error {
                    diagnostic: errors.get(),
                });
                errors.set(errors.get() + 1);
            }
            Reply::Quit => {}
        },
    );
    let diagnostics = session.report_log.take().unwrap_or_default();
    (summary.failed == 0, steps.into_inner(), diagnostics)
}

/// A reply's text as JSON data when it is JSON, as a picture when it is SVG, else as text.
fn classify(text: String) -> Output {
    let trimmed = text.trim_start();
    if trimmed.starts_with("<svg") {
        return Output::Svg { svg: text };
    }
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(data) = serde_json::from_str::<Box<RawValue>>(&text)
    {
        return Output::Json { data };
    }
    Output::Text { text }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message.into() }).to_string(),
    )
        .into_response()
}

fn json_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn tab(state: &Arc<State>, id: Option<String>) -> Result<Handle, Response> {
    let shared = state.clone();
    tokio::task::spawn_blocking(move || shared.tabs.get(id.as_deref()))
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, e))
}

/// `POST /query`.
pub(crate) async fn query(
    Shared(state): Shared<Arc<State>>,
    body: Result<Json<QueryRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(b) => b,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    let format = match request
        .format
        .as_deref()
        .unwrap_or("json")
        .parse::<Format>()
    {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let handle = match tab(&state, request.session).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let id = handle.id.clone();
    let text = request.text;
    let work = handle.run(move |s| run_steps(s, EDITOR, &text, format));
    match tokio::time::timeout(state.options.max_request_time, work).await {
        Ok(Some((ok, steps, diagnostics))) => json_response(&Answer {
            session: id,
            ok,
            steps,
            diagnostics,
        }),
        Ok(None) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the session ended while running the request",
        ),
        Err(_) => {
            // Stop the statement running now; the tab's session is started afresh next time.
            handle.interrupt.raise();
            state.tabs.forget(&id);
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the request ran longer than {} s and was stopped; its session was closed",
                    state.options.max_request_time.as_secs()
                ),
            )
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SessionParam {
    session: Option<String>,
}

/// `GET /catalog?session=ID`: kinds with their fields, entity names, keywords, meta-commands.
pub(crate) async fn catalog(
    Shared(state): Shared<Arc<State>>,
    Query(param): Query<SessionParam>,
) -> Response {
    let handle = match tab(&state, param.session).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let id = handle.id.clone();
    let built = handle.run(move |s| catalog_json(&Catalog::of(&s.db)));
    match built.await {
        Some(mut c) => {
            c["session"] = serde_json::json!(id);
            json_response(&c)
        }
        None => error(StatusCode::SERVICE_UNAVAILABLE, "the session ended"),
    }
}

/// Field values offered per field, at most.
const MAX_VALUES: usize = 40;

fn catalog_json(c: &Catalog) -> serde_json::Value {
    let kinds: Vec<serde_json::Value> = c
        .kinds
        .iter()
        .map(|k| {
            serde_json::json!({
                "name": k.name,
                "derived": k.derived,
                "fields": k.fields.iter().map(|f| serde_json::json!({
                    "name": f.name,
                    "type": f.ty.name(),
                    "values": f.values.iter().take(MAX_VALUES).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "kinds": kinds,
        "entities": c.entity_names,
        "keywords": crate::syntax::keywords(),
        "commands": crate::help::COMMANDS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
    })
}

/// `GET /lessons`: the lessons' names and titles.
pub(crate) async fn lessons(Shared(state): Shared<Arc<State>>) -> Response {
    let list: Vec<serde_json::Value> = state
        .options
        .lessons
        .iter()
        .enumerate()
        .map(|(i, (name, text))| {
            serde_json::json!({ "index": i, "name": name, "title": lesson_title(text) })
        })
        .collect();
    json_response(&list)
}

/// The first comment line of a lesson, without its `#`.
fn lesson_title(text: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with('#'))
        .map(|l| l.trim_start().trim_start_matches('#').trim().to_string())
        .unwrap_or_default()
}

/// `GET /lessons/{n}`: lesson `n` replayed in a fresh session, statement by statement.
pub(crate) async fn lesson(Shared(state): Shared<Arc<State>>, Path(n): Path<usize>) -> Response {
    let Some((name, text)) = state.options.lessons.get(n).cloned() else {
        return error(StatusCode::NOT_FOUND, format!("there is no lesson {n}"));
    };
    // A fresh tab of its own, dropped once the lesson is replayed.
    let handle = match tab(&state, None).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let id = handle.id.clone();
    let title = lesson_title(&text);
    let work = handle.run(move |s| run_steps(s, &name, &text, Format::Json));
    let result = tokio::time::timeout(state.options.max_request_time, work).await;
    state.tabs.forget(&id);
    match result {
        // A struct, not `json!`: a JSON map would sort the rows' columns.
        Ok(Some((ok, steps, diagnostics))) => json_response(&Lesson {
            title,
            ok,
            steps,
            diagnostics,
        }),
        _ => {
            handle.interrupt.raise();
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the lesson could not be replayed",
            )
        }
    }
}
