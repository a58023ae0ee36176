//! The checks every request passes before a handler sees it.
//!
//! - **Host**: must name this server by an IP address or `localhost`, with its port. A page
//!   on another site that rebinds its own domain name to 127.0.0.1 (DNS rebinding) sends its
//!   domain name as Host and is refused.
//! - **Origin**: a request from a browser must come from this server's own page
//!   (`Sec-Fetch-Site`, and `Origin` on a `POST`), and a `POST` must say it sends JSON (so
//!   another site cannot post a form to it).
//! - Answers carry headers that keep the page out of frames and pin where scripts may come from.

use super::State;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// Whether `host` (the Host header) names this server on `port`.
pub(crate) fn host_allowed(host: &str, port: u16) -> bool {
    let (name, p) = match host.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(':') || n.starts_with('[') => (n, p),
        _ => return false,
    };
    if p.parse::<u16>().ok() != Some(port) {
        return false;
    }
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(crate) async fn check(
    Shared(state): Shared<Arc<State>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !host_allowed(host, state.port) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this server answers only to its own address (the Host header names another)",
        );
    }
    // Browsers say where a request comes from; another site's page gets nothing, not even
    // a new session from a GET.
    let fetch_site = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return refuse(
            StatusCode::FORBIDDEN,
            "requests from another site's page are refused",
        );
    }
    if request.method() == Method::POST {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = format!("http://{host}");
            if origin.to_str().ok() != Some(own.as_str()) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "requests from another site's page are refused",
                );
            }
        }
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        if !json {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the request as JSON (Content-Type: application/json)",
            );
        }
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn hosts() {
        assert!(host_allowed("127.0.0.1:8080", 8080));
        assert!(host_allowed("localhost:8080", 8080));
        assert!(host_allowed("[::1]:8080", 8080));
        assert!(host_allowed("192.168.1.5:8080", 8080));
        assert!(!host_allowed("127.0.0.1:8081", 8080));
        assert!(!host_allowed("evil.example:8080", 8080));
        assert!(!host_allowed("127.0.0.1", 8080));
        assert!(!host_allowed("", 8080));
    }
}
