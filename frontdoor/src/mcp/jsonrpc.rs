//! JSON-RPC 2.0 framing of MCP over HTTP: classifying one POSTed message,
//! and the error replies with the HTTP status each one travels with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    ErrorCode, ErrorData, JsonRpcError, JsonRpcResponse, JsonRpcVersion2_0, RequestId,
};
use serde_json::{Value, json};

use crate::errors::{SERVER_ERROR, jsonrpc_error};
use crate::mcp::protocol::{SUPPORTED_VERSIONS, clip};

/// JSON-RPC code for an unknown or ended session (as the MCP SDKs use).
const SESSION_NOT_FOUND: ErrorCode = ErrorCode(-32001);
/// 2026-07-28: a capability the client did not declare is needed.
const MISSING_CAPABILITY: ErrorCode = ErrorCode(-32021);

/// One POSTed JSON-RPC message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request: needs a response.
    Request {
        /// The request's id (a string or an integer).
        id: RequestId,
        /// The method, as sent.
        method: String,
        /// `params`, if present (any JSON value; the method checks it).
        params: Option<Value>,
    },
    /// A notification: no response.
    Notification {
        /// The method, as sent.
        method: String,
        /// `params`, if present.
        params: Option<Value>,
    },
    /// The client's response to a request the server sent it mid-call.
    Response {
        /// The id of the server's request it answers.
        id: Option<RequestId>,
        /// The message without `id` and `jsonrpc`: its `result` or `error`.
        message: Value,
    },
}

impl Incoming {
    /// Parses and classifies a request body: one JSON-RPC 2.0 message
    /// object. Anything else is an error with HTTP 400: -32700 for a body
    /// that is not JSON, -32600 (naming what is wrong) for JSON that is not
    /// one well-formed message; the error carries the message's id when it
    /// had a usable one.
    pub fn parse(body: &[u8]) -> Result<Incoming, RpcError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            RpcError::new(
                StatusCode::BAD_REQUEST,
                None,
                ErrorData::parse_error(
                    format!("invalid json ({e}): the body must be one JSON-RPC 2.0 message"),
                    None,
                ),
            )
        })?;
        let Value::Object(mut object) = value else {
            return Err(match value {
                Value::Array(_) => RpcError::invalid_request(
                    None,
                    "batch requests are not supported: send one JSON-RPC message per HTTP request",
                ),
                _ => RpcError::invalid_request(
                    None,
                    "the body must be one JSON-RPC 2.0 message object",
                ),
            });
        };
        let id = match object.remove("id") {
            None => None,
            Some(raw) => Some(serde_json::from_value::<RequestId>(raw).map_err(|_| {
                RpcError::invalid_request(None, "id must be a string or an integer")
            })?),
        };
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(RpcError::invalid_request(id, "jsonrpc must be \"2.0\""));
        }
        match object.remove("method") {
            Some(Value::String(method)) => Ok(match id {
                Some(id) => Incoming::Request {
                    id,
                    method,
                    params: object.remove("params"),
                },
                None => Incoming::Notification {
                    method,
                    params: object.remove("params"),
                },
            }),
            Some(_) => Err(RpcError::invalid_request(id, "method must be a string")),
            None if id.is_some()
                && (object.contains_key("result") || object.contains_key("error")) =>
            {
                object.remove("jsonrpc");
                Ok(Incoming::Response {
                    id,
                    message: Value::Object(object),
                })
            }
            None => Err(RpcError::invalid_request(
                id,
                "expected a request (method and id), a notification (method) or a response (id and result or error)",
            )),
        }
    }
}

/// A successful JSON-RPC response message.
pub(crate) fn success(id: RequestId, result: Value) -> Value {
    serde_json::to_value(JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id,
        result,
    })
    .unwrap_or(Value::Null)
}

/// A JSON-RPC notification message.
pub(crate) fn notification(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": params})
}

/// A JSON-RPC error reply and the HTTP status it travels with: 4xx for
/// transport-level problems (the spec's 400/404 for session trouble), 200
/// for errors of a well-formed request.
#[derive(Debug)]
pub struct RpcError {
    status: StatusCode,
    id: Option<RequestId>,
    error: ErrorData,
}

impl RpcError {
    /// The HTTP status the reply travels with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON-RPC error code, e.g. -32600.
    pub fn code(&self) -> i32 {
        self.error.code.0
    }

    /// The error message: what was wrong and what is accepted.
    pub fn message(&self) -> &str {
        &self.error.message
    }

    /// The id of the request the error answers, when it had a usable one.
    pub fn id(&self) -> Option<&RequestId> {
        self.id.as_ref()
    }

    pub(crate) fn new(status: StatusCode, id: Option<RequestId>, error: ErrorData) -> RpcError {
        RpcError { status, id, error }
    }

    pub(crate) fn invalid_request(id: Option<RequestId>, message: impl Into<String>) -> RpcError {
        RpcError::new(
            StatusCode::BAD_REQUEST,
            id,
            ErrorData::invalid_request(message.into(), None),
        )
    }

    pub(crate) fn not_acceptable() -> RpcError {
        RpcError::new(
            StatusCode::NOT_ACCEPTABLE,
            None,
            ErrorData::new(
                SERVER_ERROR,
                "not acceptable: the Accept header must allow application/json or \
                 text/event-stream (send Accept: application/json, text/event-stream)",
                None,
            ),
        )
    }

    /// 2026-07-28: a mirrored header is missing, malformed or differs from
    /// the body (`HeaderMismatch`).
    pub(crate) fn header_mismatch(id: Option<RequestId>, message: impl Into<String>) -> RpcError {
        RpcError::new(
            StatusCode::BAD_REQUEST,
            id,
            ErrorData::new(ErrorCode::HEADER_MISMATCH, message.into(), None),
        )
    }

    /// 2026-07-28: a required `_meta` field is missing or malformed; the
    /// spec wants -32602 with HTTP 400.
    pub(crate) fn invalid_meta(id: RequestId, message: impl Into<String>) -> RpcError {
        RpcError::new(
            StatusCode::BAD_REQUEST,
            Some(id),
            ErrorData::invalid_params(message.into(), None),
        )
    }

    /// A legacy request whose `MCP-Protocol-Version` differs from the
    /// version its session negotiated.
    pub(crate) fn session_version_mismatch(
        id: Option<RequestId>,
        sent: &str,
        negotiated: &str,
    ) -> RpcError {
        RpcError::invalid_request(
            id,
            format!(
                "MCP-Protocol-Version {:?} does not match this session's negotiated version {negotiated}: \
                 send {negotiated}, or initialize a new session",
                clip(sent, 64)
            ),
        )
    }

    /// A 2026-07-28 client sent a JSON-RPC response, which that revision forbids.
    pub(crate) fn modern_response(id: Option<RequestId>) -> RpcError {
        RpcError::invalid_request(
            id,
            "protocol version 2026-07-28 has no client-to-server responses: send requests or notifications",
        )
    }

    pub(crate) fn missing_session(id: Option<RequestId>) -> RpcError {
        RpcError::new(
            StatusCode::BAD_REQUEST,
            id,
            ErrorData::new(
                SERVER_ERROR,
                "missing Mcp-Session-Id header: call initialize first",
                None,
            ),
        )
    }

    pub(crate) fn session_not_found(id: Option<RequestId>) -> RpcError {
        RpcError::new(
            StatusCode::NOT_FOUND,
            id,
            ErrorData::new(
                SESSION_NOT_FOUND,
                "session not found: it expired or was ended; initialize a new one",
                None,
            ),
        )
    }

    /// A protocol version this server does not speak (`UnsupportedProtocolVersion`,
    /// with the supported list and the requested version in `data`).
    pub(crate) fn unsupported_version(id: Option<RequestId>, requested: &str) -> RpcError {
        let requested = clip(requested, 64);
        let supported = SUPPORTED_VERSIONS.join(", ");
        let message = format!(
            "unsupported protocol version {requested:?}: supported versions are {supported}"
        );
        RpcError::new(
            StatusCode::BAD_REQUEST,
            id,
            ErrorData::new(
                ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                message,
                Some(json!({"requested": requested, "supported": SUPPORTED_VERSIONS})),
            ),
        )
    }

    /// An unknown method: 2026-07-28 answers it with HTTP 404, the legacy
    /// revisions inside a 200.
    pub(crate) fn method_not_found(id: RequestId, method: &str, status: StatusCode) -> RpcError {
        RpcError::new(
            status,
            Some(id),
            ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("method not found: {}", clip(method, 64)),
                None,
            ),
        )
    }

    pub(crate) fn invalid_params(id: RequestId, message: impl Into<String>) -> RpcError {
        RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::invalid_params(message.into(), None),
        )
    }

    /// -32021: the request needs a capability the client did not declare
    /// (2026-07-28's `MissingRequiredClientCapabilityError`).
    pub(crate) fn missing_capability(
        id: RequestId,
        capability: &str,
        method: &str,
        status: StatusCode,
    ) -> RpcError {
        RpcError::new(
            status,
            Some(id),
            ErrorData::new(
                MISSING_CAPABILITY,
                format!(
                    "this call needs to send {method} to the client, which did not declare the {capability} capability; declare it (and answer such requests) to use this tool"
                ),
                Some(json!({"requiredCapabilities": {capability: {}}})),
            ),
        )
    }

    pub(crate) fn unavailable(id: RequestId) -> RpcError {
        RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::internal_error("a portico service is unavailable; retry shortly", None),
        )
    }

    /// An opaque internal error; `request_id` is also in the log with the cause.
    pub(crate) fn internal(id: RequestId, request_id: &str) -> RpcError {
        RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::internal_error(
                format!("internal error (request id {request_id})"),
                Some(json!({"requestId": request_id})),
            ),
        )
    }
}

impl RpcError {
    /// The error as a JSON-RPC message, for a reply stream (where the HTTP
    /// status has already been sent).
    pub fn into_message(self) -> Value {
        serde_json::to_value(JsonRpcError::new(self.id, self.error)).unwrap_or(Value::Null)
    }
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        jsonrpc_error(self.status, self.id, self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Incoming, RpcError> {
        Incoming::parse(body.as_bytes())
    }

    #[test]
    fn classifies_messages() {
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Ok(Incoming::Request { method, .. }) if method == "ping"
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(Incoming::Notification { .. })
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#),
            Ok(Incoming::Response { .. })
        ));
    }

    #[test]
    fn rejects_malformed_messages() {
        for (body, code) in [
            ("{", -32700),
            ("[]", -32600),
            ("3", -32600),
            (r#"{"id":1,"method":"ping"}"#, -32600),
            (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, -32600),
            (r#"{"jsonrpc":"2.0","id":1,"method":5}"#, -32600),
            (r#"{"jsonrpc":"2.0","id":1}"#, -32600),
        ] {
            match parse(body) {
                Err(e) => {
                    assert_eq!(e.error.code.0, code, "{body}");
                    assert_eq!(e.status, StatusCode::BAD_REQUEST, "{body}");
                }
                Ok(m) => panic!("{body} parsed as {m:?}"),
            }
        }
    }
}
