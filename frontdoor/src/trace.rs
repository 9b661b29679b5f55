//! One tracing span per HTTP request. Handlers fill in the MCP method, tool
//! name and subject as they learn them. The query string is never recorded
//! (a client may have put a token there) and neither is any header; the
//! span joins the trace of the request's `traceparent`, when it has one, and
//! every gRPC call made under it carries that trace on.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

/// Middleware: wraps the request in its span and records the outcome.
pub(crate) async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "http_request",
        http.method = %request.method(),
        http.path = request.uri().path(),
        mcp.method = Empty,
        mcp.tool = Empty,
        subject = Empty,
        http.status = Empty,
    );
    // A client that sent a trace (W3C `traceparent`) gets this request in it.
    portico_runtime::trace::adopt(&span, request.headers());
    let started = Instant::now();
    let route = route_of(request.uri().path());
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.status", status);
    crate::metrics::request(route, status, started.elapsed());
    // One line per request, with the trace id a user's error report
    // quotes; probes (every few seconds from an orchestrator) only at debug.
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let trace_id = span
        .in_scope(portico_runtime::trace::current_trace_id)
        .unwrap_or_default();
    if route == "health" {
        tracing::debug!(parent: &span, status, elapsed_ms, "request finished");
    } else {
        tracing::info!(parent: &span, status, elapsed_ms, trace_id, "request finished");
    }
    response
}

/// The id a person can look a failed request up by, in the logs and in the
/// traces: the request's trace id when it is traced, else a fresh UUID.
pub(crate) fn request_id() -> String {
    portico_runtime::trace::current_trace_id().unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The metrics' name for the part of the surface `path` belongs to: a
/// closed set, whatever path a client sends.
fn route_of(path: &str) -> &'static str {
    match path {
        "/mcp" | "/" => "mcp",
        "/health" | "/ready" | "/livez" => "health",
        p if p.starts_with("/.well-known/") => "well_known",
        p if p.starts_with("/oauth/") => "oauth",
        _ => "other",
    }
}
