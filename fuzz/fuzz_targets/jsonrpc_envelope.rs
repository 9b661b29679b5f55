//! The front door's MCP envelope: a POSTed body into one JSON-RPC message
//! (`Incoming::parse`), and a 2026-07-28 request's `_meta` and mirrored
//! headers (`modern::validate`).
//!
//! Invariants: nothing panics; every refusal is HTTP 400 with a JSON-RPC
//! error code of the envelope (-32700 exactly when the body is not JSON,
//! else -32600) and a message; a parsed message re-encoded parses to the same
//! message. For requests, `validate` is run with the headers mirrored as the
//! spec says (Mcp-Name in its Base64 sentinel form when it is not plain
//! ASCII), with none, and with a wrong version: mirrored headers are never
//! refused as a header mismatch, and every refusal is 400 with the request's
//! id and names what was wrong.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use portico_frontdoor::mcp::jsonrpc::{Incoming, RpcError};
use portico_frontdoor::mcp::modern;
use portico_frontdoor::mcp::protocol::{
    MAX_CLIENT_STRING, METHOD_HEADER, MODERN_VERSIONS, NAME_HEADER, VERSION_HEADER, clip, meta,
};
use portico_fuzz::json::same;
use rmcp::model::RequestId;
use serde_json::{Map, Value, json};

const PARSE_ERROR: i32 = -32700;
const INVALID_REQUEST: i32 = -32600;
const INVALID_PARAMS: i32 = -32602;
const HEADER_MISMATCH: i32 = -32020;
const UNSUPPORTED_VERSION: i32 = -32022;

fuzz_target!(|body: &[u8]| {
    match Incoming::parse(body) {
        Err(error) => check_refusal(body, error),
        Ok(message) => {
            check_round_trip(&message);
            if let Incoming::Request { id, method, params } = &message {
                check_modern(id, method, params.as_ref());
            }
        }
    }
});

fn check_refusal(body: &[u8], error: RpcError) {
    assert_eq!(error.status(), 400, "{error:?}");
    let not_json = serde_json::from_slice::<Value>(body).is_err();
    let want = if not_json {
        PARSE_ERROR
    } else {
        INVALID_REQUEST
    };
    assert_eq!(error.code(), want, "{error:?}");
    assert!(!error.message().is_empty());
    let id = error
        .id()
        .map(|id| serde_json::to_value(id).expect("ids serialize"));
    let message = error.into_message();
    assert_eq!(message["jsonrpc"], "2.0", "{message}");
    assert_eq!(message["error"]["code"], want, "{message}");
    assert_eq!(message["id"], id.unwrap_or(Value::Null), "{message}");
}

/// The message as a client would send it.
fn encode(message: &Incoming) -> Value {
    let mut object = Map::new();
    object.insert("jsonrpc".into(), json!("2.0"));
    match message {
        Incoming::Request { id, method, params } => {
            object.insert("id".into(), json!(id));
            object.insert("method".into(), json!(method));
            if let Some(params) = params {
                object.insert("params".into(), params.clone());
            }
        }
        Incoming::Notification { method, params } => {
            object.insert("method".into(), json!(method));
            if let Some(params) = params {
                object.insert("params".into(), params.clone());
            }
        }
        Incoming::Response { id, message } => {
            let Value::Object(fields) = message else {
                panic!("a response's message is an object: {message}");
            };
            assert!(!fields.contains_key("id") && !fields.contains_key("jsonrpc"));
            object.extend(fields.clone());
            object.insert("id".into(), json!(id));
        }
    }
    Value::Object(object)
}

fn check_round_trip(message: &Incoming) {
    let encoded = encode(message).to_string();
    let again = Incoming::parse(encoded.as_bytes())
        .unwrap_or_else(|e| panic!("{encoded} was refused: {e:?}"));
    let same_message = match (message, &again) {
        (
            Incoming::Request { id, method, params },
            Incoming::Request {
                id: id2,
                method: m2,
                params: p2,
            },
        ) => id == id2 && method == m2 && same_params(params, p2),
        (
            Incoming::Notification { method, params },
            Incoming::Notification {
                method: m2,
                params: p2,
            },
        ) => method == m2 && same_params(params, p2),
        (
            Incoming::Response { id, message },
            Incoming::Response {
                id: id2,
                message: m2,
            },
        ) => id == id2 && same(message, m2),
        _ => false,
    };
    assert!(same_message, "{message:?} became {again:?}");
}

fn same_params(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// A header value exactly as `value`, if it can be one (visible ASCII with
/// nothing the receiver trims).
fn plain_header(value: &str) -> Option<HeaderValue> {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && value.trim_matches([' ', '\t']) == value;
    plain.then(|| HeaderValue::from_str(value).ok()).flatten()
}

/// Mcp-Name for `value`: plain when it can be, else the Base64 sentinel.
fn name_header(value: &str) -> HeaderValue {
    let looks_encoded = value.starts_with("=?base64?") && value.ends_with("?=");
    match plain_header(value).filter(|_| !looks_encoded) {
        Some(plain) => plain,
        None => HeaderValue::from_str(&format!("=?base64?{}?=", STANDARD.encode(value)))
            .expect("base64 is ASCII"),
    }
}

fn check_modern(id: &RequestId, method: &str, params: Option<&Value>) {
    let meta_object = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object);
    let version = meta_object
        .and_then(|m| m.get(meta::PROTOCOL_VERSION))
        .and_then(Value::as_str);

    // Mirrored as a spec-following client would.
    let mut mirrored = HeaderMap::new();
    let mut mirrorable = plain_header(method).is_some();
    if let Some(v) = version.and_then(plain_header) {
        mirrored.insert(VERSION_HEADER, v);
    } else {
        mirrorable &= version.is_none();
    }
    if let Some(m) = plain_header(method) {
        mirrored.insert(METHOD_HEADER, m);
    }
    let named = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(value) = named
        .and_then(|field| params.and_then(|p| p.get(field)))
        .and_then(Value::as_str)
    {
        mirrored.insert(NAME_HEADER, name_header(value));
    }
    match modern::validate(&mirrored, id, method, params) {
        Ok(request) => {
            assert!(mirrorable);
            assert_eq!(version, Some(MODERN_VERSIONS[0]));
            let meta_object = meta_object.expect("accepted requests have _meta");
            let name = meta_object
                .get(meta::CLIENT_INFO)
                .and_then(|info| info.get("name"))
                .and_then(Value::as_str);
            assert_eq!(
                request.client_name(),
                name.map(|n| clip(n, MAX_CLIENT_STRING))
            );
            assert_eq!(
                request.log_level(),
                meta_object.get(meta::LOG_LEVEL).and_then(Value::as_str)
            );
        }
        Err(error) => {
            check_request_refusal(&error, id);
            if mirrorable {
                assert_ne!(
                    error.code(),
                    HEADER_MISMATCH,
                    "mirrored headers refused: {error:?}"
                );
            }
        }
    }

    // No headers at all: never accepted.
    let error = modern::validate(&HeaderMap::new(), id, method, params)
        .expect_err("a request without mirrored headers");
    check_request_refusal(&error, id);
    assert!(
        [INVALID_PARAMS, HEADER_MISMATCH].contains(&error.code()),
        "{error:?}"
    );

    // A version header that differs from _meta's.
    let mut wrong = mirrored.clone();
    let other = if version == Some("2025-06-18") {
        "2026-07-28"
    } else {
        "2025-06-18"
    };
    wrong.insert(VERSION_HEADER, HeaderValue::from_static(other));
    if let Err(error) = modern::validate(&wrong, id, method, params) {
        check_request_refusal(&error, id);
    } else {
        panic!("a version header differing from _meta's ({version:?}) was accepted");
    }
}

fn check_request_refusal(error: &RpcError, id: &RequestId) {
    assert_eq!(error.status(), 400, "{error:?}");
    assert_eq!(error.id(), Some(id), "{error:?}");
    let names_what = match error.code() {
        INVALID_PARAMS => error.message().contains("params._meta"),
        HEADER_MISMATCH => ["MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "header"]
            .iter()
            .any(|h| error.message().contains(h)),
        UNSUPPORTED_VERSION => error.message().contains("unsupported protocol version"),
        _ => false,
    };
    assert!(names_what, "{error:?}");
}
