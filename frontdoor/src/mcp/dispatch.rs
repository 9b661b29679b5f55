//! The one place a request's protocol generation is decided, and the one
//! method table both generations share.
//!
//! A request is served as 2026-07-28 (stateless) when its
//! `MCP-Protocol-Version` header names that revision or its `_meta` carries
//! a protocol version; otherwise `initialize` opens a legacy session and
//! every other request must belong to one. This is the spec's dual-era
//! rule: modern `_meta` selects stateless service, `initialize` selects
//! legacy semantics for that session.

use axum::http::{HeaderMap, StatusCode};
use rmcp::model::RequestId;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::mcp::features::{self, For};
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{self, meta};
use crate::mcp::reply::{Accept, AskVia, CallContext, LogLevel, Reply};
use crate::mcp::{McpError, completion, legacy, modern, prompts, resources, tools};
use crate::state::AppState;
use crate::store::Session;

/// How one request is served.
#[derive(Debug)]
pub(crate) enum Generation {
    /// Revision 2026-07-28: everything needed is in the request.
    Modern(modern::RequestMeta),
    /// A legacy `initialize`, which opens a session.
    Handshake,
    /// A legacy request inside the caller's session.
    Legacy(Session),
}

impl Generation {
    /// The log level calls of this request stream messages at, if any.
    fn log_level(&self) -> Option<LogLevel> {
        match self {
            Generation::Modern(request) => request.log_level,
            Generation::Legacy(session) => session.log_level.as_deref().and_then(LogLevel::parse),
            Generation::Handshake => None,
        }
    }
}

/// Whether the request speaks 2026-07-28: by its header, or by a protocol
/// version in `_meta` (which the validation then checks against the header).
pub(crate) fn is_modern(headers: &HeaderMap, params: Option<&Value>) -> bool {
    legacy::version_header(headers).is_some_and(|v| protocol::is_modern(&v))
        || params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(meta::PROTOCOL_VERSION))
            .is_some()
}

/// Decides the generation of request `id` and checks what that generation
/// requires (`_meta` and mirrored headers, or the session and its version).
pub(crate) async fn decide(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: &RequestId,
    method: &str,
    params: Option<&Value>,
) -> Result<Generation, McpError> {
    if is_modern(headers, params) {
        let request = modern::validate(headers, id, method, params)?;
        if let Some(client) = &request.client_name {
            tracing::debug!(client = %client, "mcp request (2026-07-28)");
        }
        return Ok(Generation::Modern(request));
    }
    if method == "initialize" {
        return Ok(Generation::Handshake);
    }
    Ok(Generation::Legacy(
        legacy_session(state, caller, headers, Some(id)).await?,
    ))
}

/// A legacy message's session, with its version header checked: a version
/// this server does not speak is refused before the store is asked.
pub(crate) async fn legacy_session(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: Option<&RequestId>,
) -> Result<Session, McpError> {
    let sent = legacy::version_header(headers);
    if let Some(version) = sent.as_deref().filter(|v| !protocol::is_legacy(v)) {
        return Err(RpcError::unsupported_version(id.cloned(), version).into());
    }
    let session = legacy::require_session(state, headers, caller, id).await?;
    legacy::check_version(sent.as_deref(), &session, id)?;
    Ok(session)
}

/// Runs `method` as `generation` serves it.
pub(crate) async fn dispatch(
    state: &AppState,
    caller: &Caller,
    generation: Generation,
    id: RequestId,
    method: &str,
    params: Option<Value>,
    accept: Accept,
) -> Reply {
    let mut context = CallContext::new(generation.log_level(), params.as_ref());
    match &generation {
        Generation::Modern(request) => context.capabilities = request.capabilities,
        Generation::Legacy(session) => {
            context.capabilities = session.capabilities();
            context.ask_via = if accept.event_stream {
                AskVia::ResponseStream
            } else {
                AskVia::Nowhere
            };
        }
        Generation::Handshake => {}
    }
    let modern = matches!(generation, Generation::Modern(_));
    let reply = match (features::route(state, caller, method).await, generation) {
        ("initialize", Generation::Handshake) => {
            match legacy::initialize(state, caller, &id, params).await {
                Ok((result, session_id)) => {
                    let result = features::advertise(state, caller, For::Legacy, result).await;
                    Reply::single(Ok(result)).with_session(session_id)
                }
                Err(err) => Reply::single(Err(err)),
            }
        }
        ("server/discover", Generation::Modern(_)) => {
            let result = features::advertise(state, caller, For::Modern, modern::discover()).await;
            Reply::single(Ok(result))
        }
        ("ping", Generation::Legacy(_)) => Reply::single(Ok(json!({}))),
        ("logging/setLevel", Generation::Legacy(session)) => {
            Reply::single(legacy::set_level(state, session, &id, params.as_ref()).await)
        }
        ("tools/list", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(tools::list(state, caller, id).await)
        }
        ("tools/call", Generation::Modern(_) | Generation::Legacy(_)) => {
            tools::call(state, caller, id, params, context).await
        }
        ("resources/list", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(resources::list(state, caller, id).await)
        }
        ("resources/templates/list", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(resources::templates(state, caller, id).await)
        }
        ("resources/read", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(resources::read(state, caller, id, params.as_ref()).await)
        }
        // 2026-07-28 removed these (subscriptions/listen replaces them).
        ("resources/subscribe" | "resources/unsubscribe", Generation::Legacy(_)) => {
            Reply::single(resources::subscribe(state, caller, id, method, params.as_ref()).await)
        }
        ("prompts/list", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(prompts::list(state, caller, id).await)
        }
        ("prompts/get", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(prompts::get(state, caller, id, params.as_ref(), &context).await)
        }
        ("completion/complete", Generation::Modern(_) | Generation::Legacy(_)) => {
            Reply::single(completion::complete(state, caller, id, params.as_ref()).await)
        }
        // 2026-07-28 answers an unknown (or removed: ping, logging/setLevel,
        // initialize) method with 404, so intermediaries can tell.
        _ => Reply::single(Err(RpcError::method_not_found(
            id,
            method,
            if modern {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            },
        )
        .into())),
    };
    if modern {
        let method = method.to_owned();
        reply.map_result(move |result| modern::finish(&method, result))
    } else {
        reply
    }
}
