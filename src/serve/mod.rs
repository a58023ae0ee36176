//! `dalil serve`: a local web page for the classroom and the HTTP API it uses.
//!
//! Every request goes through [`Session::run`](crate::Session::run), like the terminal, so the
//! page and the terminal cannot disagree. Each browser tab has its own session
//! ([`tabs`]), living on its own thread; the page's assets are embedded ([`assets`]); the
//! safety rules (loopback only, Host and Origin checks, body limit, budgets, no files) are in
//! [`guard`] and [`tabs`]. The API is documented in docs/SERVE.md.

mod api;
mod assets;
mod guard;
mod tabs;

use crate::Session;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Builds a fresh session for a new tab: the fact base the server was started with.
pub type Factory = Arc<dyn Fn() -> Result<Session, String> + Send + Sync>;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Whether `:load`, `:save` and `:import` may touch files.
    pub allow_files: bool,
    /// The lessons shown step by step (name, text).
    pub lessons: Vec<(String, String)>,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// A tab's session is dropped after this long without a request.
    pub idle: Duration,
    /// Most sessions kept at once; the least recently used goes first.
    pub max_tabs: usize,
    /// Longest a whole request may run (each statement also has the session's own budget).
    pub max_request_time: Duration,
}

impl ServeOptions {
    /// Loopback on `port`, files refused, the embedded lessons.
    pub fn new(port: u16) -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            allow_files: false,
            lessons: embedded_lessons(),
            max_body: 256 * 1024,
            idle: Duration::from_secs(30 * 60),
            max_tabs: 32,
            max_request_time: Duration::from_secs(30),
        }
    }
}

/// The lessons of `examples/`, embedded in the binary.
pub fn embedded_lessons() -> Vec<(String, String)> {
    assets::LESSONS
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

/// What the handlers share.
struct State {
    options: ServeOptions,
    tabs: tabs::Tabs,
    /// The port actually bound (for the Host check).
    port: u16,
}

/// Runs the server until Ctrl-C; prints its address on standard output once it listens.
pub fn serve(options: ServeOptions, factory: Factory) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            tabs: tabs::Tabs::new(factory, &options),
            options,
            port: addr.port(),
        });
        let app = router(state);
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if addr.is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        // Not println!: a closed standard output must not stop the server.
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "dalil serve: http://{host}:{}/  (Ctrl-C to stop)",
            addr.port()
        );
        let _ = out.flush();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}

fn router(state: Arc<State>) -> Router {
    let max_body = state.options.max_body;
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{file}", get(assets::file))
        .route("/query", post(api::query))
        .route("/catalog", get(api::catalog))
        .route("/lessons", get(api::lessons))
        .route("/lessons/{n}", get(api::lesson))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::check,
        ))
        .with_state(state)
}
