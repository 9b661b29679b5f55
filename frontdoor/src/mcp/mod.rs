//! The MCP endpoint (`/mcp`, also answered at `/`): Streamable HTTP,
//! legacy protocol generation, JSON responses only (no SSE yet).
//!
//! Layers run in the order the spec and common sense want: origin check,
//! body size, bearer authentication, rate limit, then the JSON-RPC message.

pub(crate) mod jsonrpc;
pub(crate) mod legacy;
pub(crate) mod tools;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_LENGTH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Router};
use rmcp::model::ErrorData;
use serde_json::json;

use crate::auth::{self, Caller};
use crate::errors::{HttpError, SERVER_ERROR, jsonrpc_error};
use crate::mcp::jsonrpc::{Incoming, RpcError, success};
use crate::state::AppState;
use crate::{origin, ratelimit};

/// Anything that ends an MCP request early.
#[derive(Debug)]
pub(crate) enum McpError {
    /// A JSON-RPC error reply.
    Rpc(RpcError),
    /// An HTTP-level refusal (auth, scope, store outage).
    Http(HttpError),
}

impl From<RpcError> for McpError {
    fn from(err: RpcError) -> Self {
        McpError::Rpc(err)
    }
}

impl From<HttpError> for McpError {
    fn from(err: HttpError) -> Self {
        McpError::Http(err)
    }
}

impl IntoResponse for McpError {
    fn into_response(self) -> Response {
        match self {
            McpError::Rpc(err) => err.into_response(),
            McpError::Http(err) => err.into_response(),
        }
    }
}

/// `/mcp` and `/` with the MCP layers.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/mcp", endpoint())
        .route("/", endpoint())
        .layer(from_fn_with_state(
            state.clone(),
            ratelimit::limit_per_subject,
        ))
        .layer(from_fn_with_state(state.clone(), auth::require_bearer))
        .layer(from_fn_with_state(state.clone(), limit_declared_body))
        .layer(from_fn_with_state(state.clone(), origin::check_origin))
}

fn endpoint() -> MethodRouter<AppState> {
    get(open_stream).post(post_message).delete(end_session)
}

async fn post_message(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle_post(&state, &caller, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// GET would open a server-initiated SSE stream; we have nothing to push
/// yet, and the spec's answer for that is 405.
async fn open_stream() -> Response {
    let mut response = jsonrpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        ErrorData::new(
            SERVER_ERROR,
            "method not allowed: this server offers no server-initiated stream; use POST for messages and DELETE to end a session",
            None,
        ),
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST, DELETE"));
    response
}

async fn end_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    tracing::Span::current().record("mcp.method", "session/delete");
    legacy::end_session(&state, &headers, &caller)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle_post(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, McpError> {
    if !accepts_json(headers) {
        return Err(RpcError::not_acceptable().into());
    }
    let limit = state.settings.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().is::<http_body_util::LengthLimitError>() {
            McpError::from(HttpError::BodyTooLarge { limit })
        } else {
            RpcError::invalid_request(None, "the request body could not be read").into()
        }
    })?;
    match Incoming::parse(&body)? {
        Incoming::Request { id, method, params } => {
            tracing::Span::current().record("mcp.method", method.as_str());
            if method == "initialize" {
                return legacy::initialize(state, caller, id, params).await;
            }
            legacy::check_version_header(headers, Some(&id))?;
            legacy::require_session(state, headers, caller, Some(&id)).await?;
            match method.as_str() {
                "ping" => Ok(success(id, json!({}))),
                "tools/list" => tools::list(state, caller, id).await,
                "tools/call" => tools::call(state, caller, id, params).await,
                _ => Err(RpcError::method_not_found(id, &method).into()),
            }
        }
        Incoming::Notification { method } => {
            tracing::Span::current().record("mcp.method", method.as_str());
            legacy::check_version_header(headers, None)?;
            legacy::require_session(state, headers, caller, None).await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
        Incoming::Response => {
            legacy::check_version_header(headers, None)?;
            legacy::require_session(state, headers, caller, None).await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
    }
}

/// Whether the `Accept` header allows a JSON answer (absent allows anything).
fn accepts_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return true;
    }
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            !refused && matches!(media.as_str(), "application/json" | "application/*" | "*/*")
        })
}

/// Middleware: refuses a declared oversized body before authentication
/// (bodies without `Content-Length` are bounded while they are read).
async fn limit_declared_body(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.settings.max_body_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return HttpError::BodyTooLarge { limit }.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(ACCEPT, v);
        }
        accepts_json(&headers)
    }

    #[test]
    fn accept_header_must_allow_json() {
        assert!(accepts_json(&HeaderMap::new()));
        assert!(accept("application/json, text/event-stream"));
        assert!(accept("*/*"));
        assert!(accept("Application/JSON;q=0.5"));
        assert!(!accept("text/event-stream"));
        assert!(!accept("application/json;q=0"));
    }
}
