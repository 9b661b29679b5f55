//! Revision 2026-07-28, served statelessly: every request carries its
//! protocol version, client capabilities and (optionally) client info and
//! log level in `params._meta`; the transport mirrors the version, method
//! and name into headers that must agree with the body; every result says
//! its `resultType` and who answered, and cacheable ones how long to keep
//! them.
//!
//! A tool or prompt that needs input from the client answers with an
//! `InputRequiredResult` and takes the retry's `inputResponses` and
//! `requestState` (see `input`).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::RequestId;
use serde_json::{Map, Value, json};

use crate::mcp::input;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{
    self, INSTRUCTIONS, MAX_CLIENT_STRING, METHOD_HEADER, NAME_HEADER, SUPPORTED_VERSIONS,
    VERSION_HEADER, clip, meta,
};
use crate::mcp::reply::LogLevel;
use portico_proto::tools::v1::ClientCapabilities;

/// How long a `tools/list` result stays fresh: the catalog changes only
/// with a deployment.
const TOOLS_LIST_TTL_MS: u64 = 5 * 60 * 1000;
/// The results that carry caching hints (SEP-2549), all `private` and with
/// the catalog's TTL: what a caller sees depends on its token, and the tools
/// service's tools, resources and prompts change only with a deployment.
const CACHEABLE: [&str; 5] = [
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];
/// How long a `server/discover` result stays fresh.
const DISCOVER_TTL_MS: u64 = 60 * 60 * 1000;

/// What a 2026-07-28 request said about itself in `_meta`.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// `clientInfo.name`, capped, for logs.
    pub(crate) client_name: Option<String>,
    /// The minimum level of log messages the client wants, if any.
    pub(crate) log_level: Option<LogLevel>,
    /// What the client declared it can answer.
    pub(crate) capabilities: ClientCapabilities,
}

impl RequestMeta {
    /// `clientInfo.name`, capped at [`MAX_CLIENT_STRING`] bytes.
    pub fn client_name(&self) -> Option<&str> {
        self.client_name.as_deref()
    }

    /// The log level the client asked for, by its name ("debug", …).
    pub fn log_level(&self) -> Option<&'static str> {
        self.log_level.map(LogLevel::as_str)
    }

    /// What the client declared it can answer.
    pub fn capabilities(&self) -> ClientCapabilities {
        self.capabilities
    }
}

/// Validates a 2026-07-28 request's `_meta` and mirrored headers, in the
/// order the spec's errors are most useful: version agreement (-32020),
/// version support (-32022), required `_meta` fields (-32602), then
/// `Mcp-Method` and `Mcp-Name` (-32020). All are HTTP 400, and each names
/// the field or header that is wrong.
pub fn validate(
    headers: &HeaderMap,
    id: &RequestId,
    method: &str,
    params: Option<&Value>,
) -> Result<RequestMeta, RpcError> {
    let request_meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object);
    let Some(request_meta) = request_meta else {
        return Err(RpcError::invalid_meta(
            id.clone(),
            format!(
                "missing params._meta: every 2026-07-28 request carries {} and {}",
                meta::PROTOCOL_VERSION,
                meta::CLIENT_CAPABILITIES
            ),
        ));
    };
    let Some(version) = request_meta
        .get(meta::PROTOCOL_VERSION)
        .and_then(Value::as_str)
    else {
        return Err(RpcError::invalid_meta(
            id.clone(),
            format!(
                "missing params._meta[\"{}\"]: a string such as \"2026-07-28\"",
                meta::PROTOCOL_VERSION
            ),
        ));
    };
    match header(headers, VERSION_HEADER, id)? {
        None => {
            return Err(RpcError::header_mismatch(
                Some(id.clone()),
                format!(
                    "missing MCP-Protocol-Version header: it must equal _meta's protocol version {:?}",
                    clip(version, 64)
                ),
            ));
        }
        Some(sent) if sent != version => {
            return Err(RpcError::header_mismatch(
                Some(id.clone()),
                format!(
                    "header mismatch: MCP-Protocol-Version {:?} does not match _meta's protocol version {:?}",
                    clip(&sent, 64),
                    clip(version, 64)
                ),
            ));
        }
        Some(_) => {}
    }
    if !protocol::is_modern(version) {
        return Err(RpcError::unsupported_version(Some(id.clone()), version));
    }
    if !request_meta
        .get(meta::CLIENT_CAPABILITIES)
        .is_some_and(Value::is_object)
    {
        return Err(RpcError::invalid_meta(
            id.clone(),
            format!(
                "missing params._meta[\"{}\"]: an object ({{}} when the client has none)",
                meta::CLIENT_CAPABILITIES
            ),
        ));
    }
    let client_name = match request_meta.get(meta::CLIENT_INFO) {
        None => None,
        Some(Value::Object(info)) => info
            .get("name")
            .and_then(Value::as_str)
            .map(|name| clip(name, MAX_CLIENT_STRING).to_owned()),
        Some(_) => {
            return Err(RpcError::invalid_meta(
                id.clone(),
                format!(
                    "params._meta[\"{}\"] must be an object with name and version",
                    meta::CLIENT_INFO
                ),
            ));
        }
    };
    let log_level = match request_meta.get(meta::LOG_LEVEL) {
        None => None,
        Some(level) => Some(level.as_str().and_then(LogLevel::parse).ok_or_else(|| {
            RpcError::invalid_meta(
                id.clone(),
                format!(
                    "params._meta[\"{}\"] must be one of {}",
                    meta::LOG_LEVEL,
                    LogLevel::names()
                ),
            )
        })?),
    };
    check_mirrored_headers(headers, id, method, params)?;
    Ok(RequestMeta {
        client_name,
        log_level,
        capabilities: input::capabilities_of(request_meta.get(meta::CLIENT_CAPABILITIES)),
    })
}

/// `Mcp-Method` always; `Mcp-Name` where the body names a tool, prompt or
/// resource. Values are compared exactly, after trimming optional
/// whitespace (RFC 9110 §5.5) and decoding the Base64 sentinel form.
fn check_mirrored_headers(
    headers: &HeaderMap,
    id: &RequestId,
    method: &str,
    params: Option<&Value>,
) -> Result<(), RpcError> {
    match header(headers, METHOD_HEADER, id)? {
        None => {
            return Err(RpcError::header_mismatch(
                Some(id.clone()),
                format!(
                    "missing Mcp-Method header: it must equal the body's method {:?}",
                    clip(method, 64)
                ),
            ));
        }
        Some(sent) if sent != method => {
            return Err(RpcError::header_mismatch(
                Some(id.clone()),
                format!(
                    "header mismatch: Mcp-Method {:?} does not match the body's method {:?}",
                    clip(&sent, 64),
                    clip(method, 64)
                ),
            ));
        }
        Some(_) => {}
    }
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let body = params.and_then(|p| p.get(field)).and_then(Value::as_str);
    let sent = header(headers, NAME_HEADER, id)?
        .map(|value| decode_sentinel(&value).ok_or(value))
        .transpose();
    match (sent, body) {
        (Ok(None), None) => Ok(()),
        (Ok(None), Some(body)) => Err(RpcError::header_mismatch(
            Some(id.clone()),
            format!(
                "missing Mcp-Name header: it must equal params.{field} {:?}",
                clip(body, 64)
            ),
        )),
        (Ok(Some(sent)), Some(body)) if sent == body => Ok(()),
        (Ok(Some(sent)), body) => Err(RpcError::header_mismatch(
            Some(id.clone()),
            format!(
                "header mismatch: Mcp-Name {:?} does not match params.{field} {:?}",
                clip(&sent, 64),
                clip(body.unwrap_or_default(), 64)
            ),
        )),
        (Err(raw), _) => Err(RpcError::header_mismatch(
            Some(id.clone()),
            format!(
                "malformed Mcp-Name header {:?}: expected the plain value or =?base64?<base64 of UTF-8>?=",
                clip(&raw, 64)
            ),
        )),
    }
}

/// A header's value with optional whitespace trimmed; an error when it is
/// present but not visible ASCII (or repeated with different values).
fn header(headers: &HeaderMap, name: &str, id: &RequestId) -> Result<Option<String>, RpcError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let malformed = || {
        RpcError::header_mismatch(
            Some(id.clone()),
            format!("malformed {name} header: it must be visible ASCII and sent once"),
        )
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let text = first.to_str().map_err(|_| malformed())?;
    Ok(Some(text.trim_matches([' ', '\t']).to_owned()))
}

/// Decodes `=?base64?…?=`; other values pass unchanged. `None` when the
/// sentinel wraps something that is not Base64 of UTF-8.
fn decode_sentinel(value: &str) -> Option<String> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(value.to_owned());
    };
    let bytes = STANDARD.decode(encoded).ok()?;
    String::from_utf8(bytes).ok()
}

/// `server/discover`: the versions, capabilities and instructions.
pub(crate) fn discover() -> Value {
    json!({
        "supportedVersions": SUPPORTED_VERSIONS,
        "capabilities": protocol::capabilities(),
        "instructions": INSTRUCTIONS,
        "ttlMs": DISCOVER_TTL_MS,
        // The same for every caller: nothing in it is user-specific.
        "cacheScope": "public",
    })
}

/// What every 2026-07-28 result carries: `resultType`, the server's
/// identity in `_meta`, and for `tools/list` the caching hints (private:
/// the catalog a caller sees depends on its token's scopes).
pub(crate) fn finish(method: &str, result: Value) -> Value {
    let mut result = match result {
        Value::Object(object) => object,
        other => Map::from_iter([("value".to_owned(), other)]),
    };
    result
        .entry("resultType")
        .or_insert_with(|| json!("complete"));
    if CACHEABLE.contains(&method) {
        result.insert("ttlMs".to_owned(), json!(TOOLS_LIST_TTL_MS));
        result.insert("cacheScope".to_owned(), json!("private"));
    }
    let result_meta = result
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(result_meta) = result_meta {
        result_meta.insert(meta::SERVER_INFO.to_owned(), protocol::server_info());
    }
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_values_are_decoded() {
        assert_eq!(decode_sentinel("get_item").as_deref(), Some("get_item"));
        assert_eq!(
            decode_sentinel("=?base64?SGVsbG8sIOS4lueVjA==?=").as_deref(),
            Some("Hello, 世界")
        );
        assert_eq!(decode_sentinel("=?base64?***?="), None);
    }

    #[test]
    fn results_are_finished_once() {
        let finished = finish("tools/list", json!({"tools": [], "_meta": {"x": 1}}));
        assert_eq!(finished["resultType"], "complete");
        assert_eq!(finished["cacheScope"], "private");
        assert_eq!(finished["_meta"]["x"], 1);
        assert_eq!(finished["_meta"][meta::SERVER_INFO]["name"], "portico");
        let call = finish("tools/call", json!({"content": []}));
        assert!(call.get("ttlMs").is_none());
    }
}
