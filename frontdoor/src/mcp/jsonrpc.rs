//! JSON-RPC 2.0 framing of MCP over HTTP: classifying one POSTed message,
//! and the error replies with the HTTP status each one travels with.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rmcp::model::{ErrorCode, ErrorData, JsonRpcResponse, JsonRpcVersion2_0, RequestId};
use serde_json::{Value, json};

use crate::errors::{SERVER_ERROR, jsonrpc_error};
use crate::mcp::legacy::SUPPORTED_VERSIONS;

/// JSON-RPC code for an unknown or ended session (as the MCP SDKs use).
const SESSION_NOT_FOUND: ErrorCode = ErrorCode(-32001);

/// One POSTed JSON-RPC message, classified.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A request: needs a response.
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
    },
    /// A notification: no response.
    Notification { method: String },
    /// The client's response to a server request (we send none yet).
    Response,
}

impl Incoming {
    /// Parses and classifies a request body.
    pub(crate) fn parse(body: &[u8]) -> Result<Incoming, RpcError> {
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
                None => Incoming::Notification { method },
            }),
            Some(_) => Err(RpcError::invalid_request(id, "method must be a string")),
            None if id.is_some()
                && (object.contains_key("result") || object.contains_key("error")) =>
            {
                Ok(Incoming::Response)
            }
            None => Err(RpcError::invalid_request(
                id,
                "expected a request (method and id), a notification (method) or a response (id and result or error)",
            )),
        }
    }
}

/// A successful JSON-RPC response.
pub(crate) fn success(id: RequestId, result: Value) -> Response {
    Json(JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id,
        result,
    })
    .into_response()
}

/// A JSON-RPC error reply and the HTTP status it travels with: 4xx for
/// transport-level problems (the spec's 400/404 for session trouble), 200
/// for errors of a well-formed request.
#[derive(Debug)]
pub(crate) struct RpcError {
    status: StatusCode,
    id: Option<RequestId>,
    error: ErrorData,
}

impl RpcError {
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
                "not acceptable: the Accept header must allow application/json \
                 (send Accept: application/json, text/event-stream)",
                None,
            ),
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

    /// An `MCP-Protocol-Version` header this server does not speak.
    pub(crate) fn unsupported_version(id: Option<RequestId>, requested: &str) -> RpcError {
        let supported = SUPPORTED_VERSIONS.join(", ");
        let message = if requested == "2026-07-28" {
            format!(
                "protocol version 2026-07-28 is not supported yet: use initialize with one of {supported}"
            )
        } else {
            format!(
                "unsupported MCP-Protocol-Version {requested:?}: supported versions are {supported}"
            )
        };
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

    pub(crate) fn method_not_found(id: RequestId, method: &str) -> RpcError {
        RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("method not found: {method}"),
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
            Ok(Incoming::Response)
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
