//! The legacy protocol generation (2025-11-25 and the two before it):
//! version negotiation, the `initialize` handshake, and `Mcp-Session-Id`
//! sessions kept in the shared store so any replica serves any session.
//! A session belongs to the subject that opened it; presented by anyone
//! else it does not exist.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rmcp::model::{
    Implementation, InitializeRequestParams, InitializeResult, ProtocolVersion, RequestId,
    ServerCapabilities, ToolsCapability,
};
use serde_json::Value;

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::mcp::McpError;
use crate::mcp::jsonrpc::{RpcError, success};
use crate::state::AppState;
use crate::store::Session;

/// Protocol revisions this server speaks, newest first.
pub(crate) const SUPPORTED_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// The session header (HTTP header names are case-insensitive).
pub(crate) const SESSION_HEADER: &str = "mcp-session-id";
/// The negotiated-version header sent on every request after initialize.
pub(crate) const VERSION_HEADER: &str = "mcp-protocol-version";

// Names only tools the catalog has today; extend it as tools are added, so a
// model is never sent looking for a tool that does not exist.
const INSTRUCTIONS: &str = "Portico gives you a user's Podio data. Podio is organised as \
organizations, which contain workspaces (spaces), which contain apps, which contain items \
(records with fields). Navigate top-down: get_organizations, get_spaces_in_organization, \
get_apps_in_space, then get_app_summary or get_app to learn an app's fields (their \
external_ids, types and category options) before reading items with get_items (filters, \
sorting, paging) or get_item, or writing them with create_item and update_item. \
search_globally finds items, apps, workspaces and tasks by text. Tasks: get_tasks, get_task, \
create_task, update_task, complete_task. Comments: get_item_comments, add_comment. \
Activity: get_notifications. People: get_space_members, get_org_members. Every list result \
says how to get its next page.";

/// The version to answer `initialize` with: the requested one if spoken,
/// otherwise the newest (the client then decides whether to continue).
pub(crate) fn negotiate(requested: &str) -> ProtocolVersion {
    match requested {
        "2025-06-18" => ProtocolVersion::V_2025_06_18,
        "2025-03-26" => ProtocolVersion::V_2025_03_26,
        _ => ProtocolVersion::V_2025_11_25,
    }
}

/// Checks `MCP-Protocol-Version` when present (absent means 2025-03-26).
pub(crate) fn check_version_header(
    headers: &HeaderMap,
    id: Option<&RequestId>,
) -> Result<(), RpcError> {
    let Some(raw) = headers.get(VERSION_HEADER) else {
        return Ok(());
    };
    let version = raw.to_str().unwrap_or("<not ascii>").trim();
    if SUPPORTED_VERSIONS.contains(&version) {
        Ok(())
    } else {
        Err(RpcError::unsupported_version(id.cloned(), version))
    }
}

/// The session named by `Mcp-Session-Id`, if it exists and is the caller's;
/// touching it extends its life.
pub(crate) async fn require_session(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    id: Option<&RequestId>,
) -> Result<Session, McpError> {
    let session_id = headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| RpcError::missing_session(id.cloned()))?;
    let session = state
        .deps
        .sessions
        .get_and_touch(session_id, state.settings.session_ttl)
        .await
        .map_err(store_failed)?;
    match session {
        Some(session) if session.subject == caller.principal.subject => Ok(session),
        // Another subject's session is reported exactly like a missing one,
        // so a leaked session id reveals nothing.
        Some(_) | None => Err(RpcError::session_not_found(id.cloned()).into()),
    }
}

/// `initialize`: negotiates the version and opens a session.
pub(crate) async fn initialize(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<Value>,
) -> Result<Response, McpError> {
    let params: InitializeRequestParams = serde_json::from_value(params.unwrap_or(Value::Null))
        .map_err(|e| {
            RpcError::invalid_params(
                id.clone(),
                format!(
                    "invalid initialize params ({e}): expected protocolVersion, capabilities and clientInfo"
                ),
            )
        })?;
    let version = negotiate(params.protocol_version.as_str());
    let session = Session {
        id: new_session_id(),
        subject: caller.principal.subject.clone(),
        protocol_version: version.to_string(),
        client_name: params.client_info.name.clone(),
        client_version: params.client_info.version.clone(),
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default(),
    };
    state
        .deps
        .sessions
        .create(&session, state.settings.session_ttl)
        .await
        .map_err(store_failed)?;
    tracing::info!(
        client = %session.client_name,
        client_version = %session.client_version,
        protocol_version = %session.protocol_version,
        "mcp session opened"
    );

    let mut tools = ToolsCapability::default();
    tools.list_changed = Some(false);
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = Some(tools);
    let result = InitializeResult::new(capabilities)
        .with_protocol_version(version)
        .with_server_info(
            Implementation::new("portico", env!("CARGO_PKG_VERSION")).with_title("Portico"),
        )
        .with_instructions(INSTRUCTIONS);
    let result = serde_json::to_value(result).map_err(|e| {
        let request_id = uuid::Uuid::new_v4().to_string();
        tracing::error!(%request_id, error = %e, "could not encode the initialize result");
        RpcError::internal(id.clone(), &request_id)
    })?;
    let mut response = success(id, result);
    // Session ids are base64url: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&session.id) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    Ok(response)
}

/// DELETE: ends the caller's session.
pub(crate) async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
) -> Result<Response, McpError> {
    let session = require_session(state, headers, caller, None).await?;
    state
        .deps
        .sessions
        .delete(&session.id)
        .await
        .map_err(store_failed)?;
    tracing::info!(client = %session.client_name, "mcp session ended by the client");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// 32 random bytes, base64url: unguessable and visible ASCII only.
fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn store_failed(err: crate::store::StoreError) -> McpError {
    tracing::error!(error = %err, "session store failed");
    HttpError::StoreUnavailable.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_falls_back_to_the_newest() {
        assert_eq!(negotiate("2025-06-18").as_str(), "2025-06-18");
        assert_eq!(negotiate("2025-03-26").as_str(), "2025-03-26");
        assert_eq!(negotiate("2025-11-25").as_str(), "2025-11-25");
        assert_eq!(negotiate("2024-11-05").as_str(), "2025-11-25");
        assert_eq!(negotiate("2026-07-28").as_str(), "2025-11-25");
    }

    #[test]
    fn session_ids_are_long_and_header_safe() {
        let a = new_session_id();
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert_ne!(a, new_session_id());
    }
}
