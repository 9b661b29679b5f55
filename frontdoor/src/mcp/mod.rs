//! The MCP endpoint (`/mcp`, also answered at `/`): Streamable HTTP for
//! both protocol generations, revision 2026-07-28 (stateless) and the
//! `initialize`-and-session revisions before it, on one endpoint.
//!
//! Layers run in the order the spec and common sense want: origin check,
//! body size, bearer authentication, rate limit, then the JSON-RPC message.
//! Each message's generation is decided once (`dispatch::decide`), one
//! method table serves both (`dispatch::dispatch`), and the reply is framed
//! as JSON or an event stream from the client's `Accept` (`reply`).
//!
//! | file | concern |
//! | --- | --- |
//! | `protocol` | versions, header and `_meta` names, server identity |
//! | `jsonrpc` | message framing and error replies |
//! | `dispatch` | the generation of a request and the method table |
//! | `modern` | 2026-07-28: `_meta`, mirrored headers, discover, result shape |
//! | `legacy` | `initialize`, sessions, `logging/setLevel` |
//! | `reply` | JSON or SSE, the per-call context and notifier |
//! | `input` | asking the client mid-call: `InputRequiredResult` or stream requests |
//! | `tools` | `tools/list` and `tools/call` over gRPC |
//! | `features` | the capabilities the tools service's features call for |
//! | `resources`, `prompts`, `completion` | those methods over gRPC |
//!
//! `jsonrpc`, `modern` and `protocol` are public: turning a POSTed body into
//! a message ([`jsonrpc::Incoming::parse`]) and checking a 2026-07-28
//! request's `_meta` and mirrored headers ([`modern::validate`]) are what the
//! fuzz targets and property tests exercise.

pub(crate) mod completion;
pub(crate) mod dispatch;
pub(crate) mod features;
pub(crate) mod input;
pub mod jsonrpc;
pub(crate) mod legacy;
pub mod modern;
pub(crate) mod prompts;
pub mod protocol;
pub(crate) mod reply;
pub(crate) mod resources;
pub(crate) mod tools;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, CONTENT_LENGTH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Router};
use rmcp::model::ErrorData;

use crate::auth::{self, Caller};
use crate::errors::{HttpError, SERVER_ERROR, jsonrpc_error};
use crate::mcp::jsonrpc::{Incoming, RpcError};
use crate::mcp::protocol::clip;
use crate::mcp::reply::Accept;
use crate::state::AppState;
use crate::{cors, origin, ratelimit};

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
        .layer(from_fn_with_state(
            state.clone(),
            ratelimit::limit_in_flight,
        ))
        .layer(from_fn_with_state(state.clone(), auth::require_bearer))
        .layer(from_fn_with_state(state.clone(), limit_declared_body))
        .layer(from_fn_with_state(state.clone(), origin::check_origin))
        .layer(from_fn_with_state(state.clone(), cors::allowed_origins))
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
    // 2026-07-28 has no sessions to end.
    if dispatch::is_modern(&headers, None) {
        let mut response = jsonrpc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            ErrorData::new(
                SERVER_ERROR,
                "method not allowed: protocol version 2026-07-28 has no sessions to end; use POST",
                None,
            ),
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    legacy::end_session(&state, &headers, &caller)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The body length a request declares in `Content-Length`, if it is a
/// number.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Whether the body is declared JSON (`application/json`, any parameters).
/// A body without a `Content-Type` is refused too: MCP clients always send
/// one, and guessing is how a form post from a foreign page gets in.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

async fn handle_post(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, McpError> {
    let accept = Accept::from_headers(headers);
    if !accept.any() {
        return Err(RpcError::not_acceptable().into());
    }
    if !is_json(headers) {
        return Err(HttpError::UnsupportedMediaType.into());
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
            tracing::Span::current().record("mcp.method", clip(&method, 64));
            let generation =
                dispatch::decide(state, caller, headers, &id, &method, params.as_ref()).await?;
            let reply = dispatch::dispatch(
                state,
                caller,
                generation,
                id.clone(),
                &method,
                params,
                accept,
            )
            .await;
            Ok(reply.into_response(id, accept).await)
        }
        Incoming::Notification { method, params } => {
            tracing::Span::current().record("mcp.method", clip(&method, 64));
            // 2026-07-28 defines no client notifications over HTTP and has
            // no session to check them against: accepted and ignored.
            if !dispatch::is_modern(headers, params.as_ref()) {
                dispatch::legacy_session(state, caller, headers, None).await?;
            }
            Ok(StatusCode::ACCEPTED.into_response())
        }
        Incoming::Response { id, message } => {
            if dispatch::is_modern(headers, None) {
                return Err(RpcError::modern_response(id).into());
            }
            dispatch::legacy_session(state, caller, headers, None).await?;
            input::deliver(state, caller, id.as_ref(), &message).await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
    }
}

/// Middleware: refuses a declared oversized body before authentication
/// (bodies without `Content-Length` are bounded while they are read).
async fn limit_declared_body(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.settings.max_body_bytes;
    if declared_length(request.headers()).is_some_and(|len| len > limit as u64) {
        return HttpError::BodyTooLarge { limit }.into_response();
    }
    next.run(request).await
}
