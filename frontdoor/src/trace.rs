//! One tracing span per HTTP request. Handlers fill in the MCP method, tool
//! name and subject as they learn them. The query string is never recorded
//! (a client may have put a token there) and neither is any header; the
//! span joins the trace the request carries, when it carries one, and every
//! gRPC call made under it carries that trace on.
//!
//! A request carries a trace in its `traceparent` header (W3C), or, for an
//! MCP message, in `params._meta` (SEP-414: `traceparent`, `tracestate`),
//! which both protocol generations may send. The `_meta` keys win: they are
//! the MCP client's own context, while the header may have been set by any
//! proxy on the way. A span's parent can only be set before it is first
//! entered, and authentication runs inside the span, so an MCP body is read
//! here, before anything else (bounded by the body limit and the request
//! timeout), and handed on already read.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use tracing::Instrument;
use tracing::field::Empty;

use crate::errors::HttpError;
use crate::mcp::jsonrpc::RpcError;
use crate::state::AppState;

/// Longest `traceparent` considered: version 00 is 55 characters; later
/// versions may append fields, but never a whole page.
const MAX_TRACEPARENT: usize = 256;

/// Longest `tracestate` kept: W3C asks to propagate at least 512
/// characters, and a longer one is dropped rather than cut mid-entry.
const MAX_TRACESTATE: usize = 512;

/// Middleware: wraps the request in its span and records the outcome.
pub(crate) async fn request_span(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = route_of(request.uri().path());
    let span = tracing::info_span!(
        "http_request",
        http.method = %request.method(),
        http.path = request.uri().path(),
        mcp.method = Empty,
        mcp.tool = Empty,
        subject = Empty,
        http.status = Empty,
    );
    let response = match read_mcp_body(&state, request).await {
        Ok(request) => {
            // A client that sent a trace gets this request in it.
            let meta = request.extensions().get::<MetaTrace>();
            let from_meta = meta.is_some_and(|meta| {
                portico_runtime::trace::adopt_w3c(
                    &span,
                    &meta.traceparent,
                    meta.tracestate.as_deref(),
                )
            });
            if !from_meta {
                portico_runtime::trace::adopt(&span, request.headers());
            }
            next.run(request).instrument(span.clone()).await
        }
        Err(refused) => refused,
    };
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

/// The trace an MCP message's `_meta` carried (SEP-414).
#[derive(Debug, Clone)]
struct MetaTrace {
    traceparent: String,
    tracestate: Option<String>,
}

/// An MCP message (a JSON POST to the MCP endpoint) is read whole here so
/// its `_meta` trace keys can parent the request's span; the body is handed
/// on as the bytes read, with the trace found (if any) as an extension.
/// Anything else passes untouched, and so does a body declared larger than
/// the limit, which the MCP layers refuse without reading it.
async fn read_mcp_body(state: &AppState, request: Request) -> Result<Request, Response> {
    let limit = state.settings.max_body_bytes;
    if request.method() != Method::POST
        || route_of(request.uri().path()) != "mcp"
        || !crate::mcp::is_json(request.headers())
        || crate::mcp::declared_length(request.headers()).is_some_and(|len| len > limit as u64)
    {
        return Ok(request);
    }
    let (mut parts, body) = request.into_parts();
    // This layer sits outside the request timeouts (so that their 408s are
    // counted and logged here), so the read carries the same bound itself.
    let timeout = state.settings.limits.request_timeout;
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit));
    let bytes = match read.await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            return Err(if e.into_inner().is::<http_body_util::LengthLimitError>() {
                HttpError::BodyTooLarge { limit }.into_response()
            } else {
                RpcError::invalid_request(None, "the request body could not be read")
                    .into_response()
            });
        }
        Err(_) => return Err(StatusCode::REQUEST_TIMEOUT.into_response()),
    };
    if let Some(trace) = meta_trace(&bytes) {
        parts.extensions.insert(trace);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The `_meta` trace keys of a JSON-RPC message, when it has a usable
/// `traceparent`. Most messages carry none, so the body is only parsed a
/// second time when the key's name occurs in it at all.
fn meta_trace(body: &Bytes) -> Option<MetaTrace> {
    #[derive(Deserialize)]
    struct Message {
        params: Option<Params>,
    }
    #[derive(Deserialize)]
    struct Params {
        #[serde(rename = "_meta")]
        meta: Option<Keys>,
    }
    #[derive(Deserialize)]
    struct Keys {
        traceparent: Option<serde_json::Value>,
        tracestate: Option<serde_json::Value>,
    }
    memchr::memmem::find(body, b"traceparent")?;
    let keys = serde_json::from_slice::<Message>(body).ok()?.params?.meta?;
    // Values of another type are ignored rather than failing the request:
    // tracing must never be why a call is refused.
    let text = |value: Option<serde_json::Value>, max: usize| match value {
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() <= max => Some(s),
        _ => None,
    };
    Some(MetaTrace {
        traceparent: text(keys.traceparent, MAX_TRACEPARENT)?,
        tracestate: text(keys.tracestate, MAX_TRACESTATE),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn read(body: serde_json::Value) -> Option<MetaTrace> {
        meta_trace(&Bytes::from(body.to_string()))
    }

    #[test]
    fn meta_trace_keys_are_read_from_params() {
        let found = read(serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "x", "_meta": {"traceparent": PARENT, "tracestate": "a=b"}},
        }))
        .expect("a trace");
        assert_eq!(found.traceparent, PARENT);
        assert_eq!(found.tracestate.as_deref(), Some("a=b"));
    }

    #[test]
    fn anything_else_is_no_trace_and_no_error() {
        for body in [
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            // The key's name elsewhere than `_meta`.
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "x", "arguments": {"traceparent": PARENT}}}),
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "m",
                "params": {"_meta": {"traceparent": 7}}}),
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "m",
                "params": {"_meta": {"traceparent": "x".repeat(MAX_TRACEPARENT + 1)}}}),
            serde_json::json!([{"params": {"_meta": {"traceparent": PARENT}}}]),
        ] {
            assert!(read(body.clone()).is_none(), "{body}");
        }
        assert!(meta_trace(&Bytes::from_static(b"{\"traceparent\": not json")).is_none());
    }

    #[test]
    fn an_overlong_tracestate_is_dropped_not_cut() {
        let found = read(serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "m",
            "params": {"_meta": {"traceparent": PARENT, "tracestate": "a".repeat(MAX_TRACESTATE + 1)}}}))
        .expect("a trace");
        assert_eq!(found.tracestate, None);
    }
}
