//! The legacy protocol generation (2025-11-25 and the two before it):
//! version negotiation, the `initialize` handshake, and `Mcp-Session-Id`
//! sessions kept in the shared store so any replica serves any session.
//! A session belongs to the subject that opened it; presented by anyone
//! else it does not exist.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rmcp::model::{InitializeRequestParams, ProtocolVersion, RequestId};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::mcp::McpError;
use crate::mcp::input;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{
    self, INSTRUCTIONS, MAX_CLIENT_STRING, SESSION_HEADER, VERSION_HEADER, clip,
};
use crate::mcp::reply::LogLevel;
use crate::state::AppState;
use crate::store::{Answerable, Session};
use portico_proto::tools::v1::ClientCapabilities;

/// The version to answer `initialize` with: the requested one if spoken,
/// otherwise the newest legacy one (the client then decides whether to
/// continue). 2026-07-28 has no `initialize`, so it is never the answer.
pub(crate) fn negotiate(requested: &str) -> ProtocolVersion {
    match requested {
        "2025-06-18" => ProtocolVersion::V_2025_06_18,
        "2025-03-26" => ProtocolVersion::V_2025_03_26,
        _ => ProtocolVersion::V_2025_11_25,
    }
}

/// The `MCP-Protocol-Version` header, trimmed, if sent.
pub(crate) fn version_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(VERSION_HEADER)
        .map(|raw| raw.to_str().unwrap_or("<not ascii>").trim().to_owned())
}

/// Checks a legacy request's `MCP-Protocol-Version` against the versions
/// spoken and then the session's negotiated one. Absent is allowed: the
/// session already says which version is in use. A version newer than the
/// negotiated one is refused (the client would expect features the session
/// never agreed on); an older one is tolerated and the session's version
/// governs the reply, because clients in the field (the official
/// conformance client among them) pin `2025-03-26` on later requests.
pub(crate) fn check_version(
    sent: Option<&str>,
    session: &Session,
    id: Option<&RequestId>,
) -> Result<(), RpcError> {
    match sent {
        None => Ok(()),
        Some(version) if !protocol::is_legacy(version) => {
            Err(RpcError::unsupported_version(id.cloned(), version))
        }
        // ISO dates: newer sorts later.
        Some(version) if version > session.protocol_version.as_str() => Err(
            RpcError::session_version_mismatch(id.cloned(), version, &session.protocol_version),
        ),
        Some(_) => Ok(()),
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
    // The rate limiter already read (and touched) it in its store call.
    let session = match caller.session.as_deref() {
        Some(lookup) if lookup.id == session_id => lookup.found.clone(),
        _ => state
            .deps
            .sessions
            .get_and_touch(
                &caller.principal.subject,
                session_id,
                state.settings.session_ttl,
            )
            .await
            .map_err(store_failed)?,
    };
    match session {
        Some(session) if session.subject == caller.principal.subject => Ok(session),
        // Another subject's session is reported exactly like a missing one,
        // so a leaked session id reveals nothing.
        Some(_) | None => Err(RpcError::session_not_found(id.cloned()).into()),
    }
}

/// `initialize`: negotiates the version and opens a session. Returns the
/// result and the new session's id.
pub(crate) async fn initialize(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    params: Option<Value>,
) -> Result<(Value, String), McpError> {
    let params: InitializeRequestParams = serde_json::from_value(params.unwrap_or(Value::Null))
        .map_err(|e| {
            RpcError::invalid_params(
                id.clone(),
                format!(
                    "invalid initialize params ({}): expected protocolVersion, capabilities and clientInfo",
                    clip(&e.to_string(), MAX_CLIENT_STRING)
                ),
            )
        })?;
    let version = negotiate(params.protocol_version.as_str());
    let session = Session {
        id: new_session_id(),
        subject: caller.principal.subject.clone(),
        protocol_version: version.to_string(),
        // Capped: both are stored with the session and logged.
        client_name: clip(&params.client_info.name, MAX_CLIENT_STRING).to_owned(),
        client_version: clip(&params.client_info.version, MAX_CLIENT_STRING).to_owned(),
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default(),
        log_level: None,
        can_answer: answerable(&params),
    };
    state
        .deps
        .sessions
        .create(&session, state.settings.session_ttl)
        .await
        .map_err(store_failed)?;
    crate::metrics::session_opened();
    tracing::info!(
        client = %session.client_name,
        client_version = %session.client_version,
        protocol_version = %session.protocol_version,
        "mcp session opened"
    );
    let result = json!({
        "protocolVersion": version.as_str(),
        "capabilities": protocol::capabilities(),
        "serverInfo": protocol::server_info(),
        "instructions": INSTRUCTIONS,
    });
    Ok((result, session.id))
}

/// What the client's `initialize` capabilities let the server ask it.
fn answerable(params: &InitializeRequestParams) -> Answerable {
    let declared = serde_json::to_value(&params.capabilities).ok();
    let capabilities = input::capabilities_of(declared.as_ref());
    Answerable {
        sampling: capabilities.sampling,
        elicitation: capabilities.elicitation,
        roots: capabilities.roots,
    }
}

impl Session {
    /// What the session's client can be asked mid-call.
    pub(crate) fn capabilities(&self) -> ClientCapabilities {
        ClientCapabilities {
            sampling: self.can_answer.sampling,
            elicitation: self.can_answer.elicitation,
            roots: self.can_answer.roots,
        }
    }
}

/// `logging/setLevel`: remembered with the session, for log messages sent
/// during later calls of this session.
pub(crate) async fn set_level(
    state: &AppState,
    mut session: Session,
    id: &RequestId,
    params: Option<&Value>,
) -> Result<Value, McpError> {
    let level = params
        .and_then(|p| p.get("level"))
        .and_then(Value::as_str)
        .and_then(LogLevel::parse)
        .ok_or_else(|| {
            RpcError::invalid_params(
                id.clone(),
                format!(
                    "logging/setLevel expects {{\"level\": one of {}}}",
                    LogLevel::names()
                ),
            )
        })?;
    session.log_level = Some(level.as_str().to_owned());
    state
        .deps
        .sessions
        .create(&session, state.settings.session_ttl)
        .await
        .map_err(store_failed)?;
    Ok(json!({}))
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
        .delete(&session.subject, &session.id)
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
