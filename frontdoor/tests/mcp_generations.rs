//! Both protocol generations on one endpoint, driven over HTTP: revision
//! 2026-07-28 (stateless: `_meta`, mirrored headers, `server/discover`,
//! result shape) and the legacy revisions' `logging/setLevel`, and the
//! reply framing both share.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portico_frontdoor::store::SessionStore;
use serde_json::{Value, json};
use support::*;

const MODERN: &str = "2026-07-28";

fn client_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "modern-test", "version": "1.0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A 2026-07-28 request as a conforming client sends it: `_meta` in the
/// params and the version, method and name mirrored into headers.
fn modern(id: i64, method: &str, mut params: Value) -> Request<Body> {
    if params.get("_meta").is_none() {
        params["_meta"] = client_meta();
    }
    modern_as_is(id, method, params)
}

/// The same, with `params` sent exactly as given.
fn modern_as_is(id: i64, method: &str, params: Value) -> Request<Body> {
    let name = params
        .get("name")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let mut builder = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {ALICE}"))
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", method);
    if let Some(name) = name {
        builder = builder.header("mcp-name", name);
    }
    builder.body(Body::from(body.to_string())).expect("request")
}

fn set_header(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert(name, value.parse().expect("header value"));
    request
}

fn without_header(mut request: Request<Body>, name: &str) -> Request<Body> {
    request.headers_mut().remove(name);
    request
}

fn assert_error(reply: &Reply, status: StatusCode, code: i64, id: i64) -> String {
    let body = reply.json();
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["id"], id, "{body}");
    body["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned()
}

#[tokio::test]
async fn server_discover_lists_versions_capabilities_and_identity() {
    let app = app();
    let reply = send(&app.router, modern(1, "server/discover", json!({}))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("mcp-session-id").is_none());
    let body = reply.json();
    assert_eq!(body["id"], 1);
    let result = &body["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    assert_eq!(
        result["capabilities"],
        json!({"tools": {"listChanged": false}, "logging": {}})
    );
    assert_eq!(result["ttlMs"], 3_600_000);
    assert_eq!(result["cacheScope"], "public");
    assert!(
        result["instructions"]
            .as_str()
            .is_some_and(|i| i.contains("spaces"))
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"],
        json!({"name": "portico", "title": "Portico", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[tokio::test]
async fn tools_list_carries_result_type_caching_hints_and_server_info() {
    let app = app();
    let reply = send(&app.router, modern(2, "tools/list", json!({}))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let result = &reply.json()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["ttlMs"], 300_000);
    assert_eq!(result["cacheScope"], "private");
    assert_eq!(result["tools"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "portico"
    );
}

#[tokio::test]
async fn tools_call_is_served_statelessly() {
    let app = app();
    let request = modern(
        3,
        "tools/call",
        json!({"name": "get_item", "arguments": {"item_id": 42}}),
    );
    // A stray session id is ignored: no session is needed, none is minted.
    let request = set_header(request, "mcp-session-id", "left-over-from-2025");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("mcp-session-id").is_none());
    let result = &reply.json()["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["content"][0]["text"], "Item 42: Hello");
    assert_eq!(result["structuredContent"]["item_id"], 42);
    assert!(result.get("ttlMs").is_none());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "portico"
    );
}

#[tokio::test]
async fn required_meta_fields_are_400_invalid_params() {
    let app = app();
    let version = "io.modelcontextprotocol/protocolVersion";
    let capabilities = "io.modelcontextprotocol/clientCapabilities";
    let mut no_version = client_meta();
    no_version.as_object_mut().map(|m| m.remove(version));
    let mut no_capabilities = client_meta();
    no_capabilities
        .as_object_mut()
        .map(|m| m.remove(capabilities));
    for (id, params, needle) in [
        (101, json!({}), "missing params._meta"),
        (102, json!({"_meta": no_version}), version),
        (103, json!({"_meta": no_capabilities}), capabilities),
    ] {
        let reply = send(&app.router, modern_as_is(id, "server/discover", params)).await;
        let message = assert_error(&reply, StatusCode::BAD_REQUEST, -32602, id);
        assert!(message.contains(needle), "{message}");
    }

    // clientInfo is a SHOULD: its absence is served.
    let mut no_info = client_meta();
    no_info
        .as_object_mut()
        .map(|m| m.remove("io.modelcontextprotocol/clientInfo"));
    let reply = send(
        &app.router,
        modern(104, "server/discover", json!({"_meta": no_info})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_log_level_is_invalid_params() {
    let app = app();
    let mut meta = client_meta();
    meta["io.modelcontextprotocol/logLevel"] = json!("loud");
    let reply = send(&app.router, modern(5, "tools/list", json!({"_meta": meta}))).await;
    let message = assert_error(&reply, StatusCode::BAD_REQUEST, -32602, 5);
    assert!(message.contains("debug, info, notice"), "{message}");
}

#[tokio::test]
async fn the_version_header_must_match_meta() {
    let app = app();
    let mut meta = client_meta();
    meta["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let reply = send(
        &app.router,
        modern(6, "server/discover", json!({"_meta": meta})),
    )
    .await;
    let message = assert_error(&reply, StatusCode::BAD_REQUEST, -32020, 6);
    assert_eq!(
        message,
        "header mismatch: MCP-Protocol-Version \"2026-07-28\" does not match _meta's protocol version \"v999.0.0\""
    );

    // _meta alone selects 2026-07-28; the header is then required.
    let request = without_header(
        modern(7, "server/discover", json!({})),
        "mcp-protocol-version",
    );
    let message = assert_error(
        &send(&app.router, request).await,
        StatusCode::BAD_REQUEST,
        -32020,
        7,
    );
    assert!(
        message.starts_with("missing MCP-Protocol-Version header"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unsupported_version_is_answered_with_the_supported_list() {
    let app = app();
    let mut meta = client_meta();
    meta["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let request = set_header(
        modern(8, "server/discover", json!({"_meta": meta})),
        "mcp-protocol-version",
        "v999.0.0",
    );
    let reply = send(&app.router, request).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, -32022, 8);
    assert_eq!(
        reply.json()["error"]["data"],
        json!({"supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], "requested": "v999.0.0"})
    );
}

#[tokio::test]
async fn mcp_method_must_match_the_body() {
    let app = app();
    let list = || modern(9, "tools/list", json!({}));
    for (request, needle) in [
        (
            set_header(list(), "mcp-method", "prompts/list"),
            "does not match the body's method",
        ),
        (without_header(list(), "mcp-method"), "missing Mcp-Method"),
        // Values are case-sensitive.
        (
            set_header(list(), "mcp-method", "TOOLS/LIST"),
            "does not match the body's method",
        ),
    ] {
        let message = assert_error(
            &send(&app.router, request).await,
            StatusCode::BAD_REQUEST,
            -32020,
            9,
        );
        assert!(message.contains(needle), "{message}");
    }
    // Names are not, and optional whitespace around the value is trimmed.
    let request = set_header(
        without_header(list(), "mcp-method"),
        "MCP-METHOD",
        "  tools/list\t",
    );
    assert_eq!(send(&app.router, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn mcp_name_must_match_the_tool_called() {
    let app = app();
    let call = || {
        modern(
            10,
            "tools/call",
            json!({"name": "get_item", "arguments": {"item_id": 1}}),
        )
    };
    let message = assert_error(
        &send(
            &app.router,
            set_header(call(), "mcp-name", "wrong_tool_name"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        -32020,
        10,
    );
    assert_eq!(
        message,
        "header mismatch: Mcp-Name \"wrong_tool_name\" does not match params.name \"get_item\""
    );
    let message = assert_error(
        &send(&app.router, without_header(call(), "mcp-name")).await,
        StatusCode::BAD_REQUEST,
        -32020,
        10,
    );
    assert!(message.starts_with("missing Mcp-Name header"), "{message}");
    let message = assert_error(
        &send(&app.router, set_header(call(), "mcp-name", "=?base64?!!?=")).await,
        StatusCode::BAD_REQUEST,
        -32020,
        10,
    );
    assert!(message.starts_with("malformed Mcp-Name"), "{message}");

    for accepted in ["  get_item  ", "=?base64?Z2V0X2l0ZW0=?="] {
        let reply = send(&app.router, set_header(call(), "mcp-name", accepted)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accepted}");
        assert_eq!(reply.json()["result"]["resultType"], "complete");
    }
}

#[tokio::test]
async fn unknown_and_removed_methods_are_404() {
    let app = app();
    for method in ["initialize", "ping", "logging/setLevel", "unknown/method"] {
        let reply = send(&app.router, modern(11, method, json!({}))).await;
        let message = assert_error(&reply, StatusCode::NOT_FOUND, -32601, 11);
        assert_eq!(message, format!("method not found: {method}"));
    }
}

#[tokio::test]
async fn notifications_are_202_and_responses_refused() {
    let app = app();
    let notification = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {ALICE}"))
        .header("mcp-protocol-version", MODERN)
        .body(Body::from(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}})
                .to_string(),
        ))
        .expect("request");
    let reply = send(&app.router, notification).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert!(reply.body.is_empty());

    let response = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ALICE}"))
        .header("mcp-protocol-version", MODERN)
        .body(Body::from(
            json!({"jsonrpc": "2.0", "id": 4, "result": {}}).to_string(),
        ))
        .expect("request");
    let reply = send(&app.router, response).await;
    let message = assert_error(&reply, StatusCode::BAD_REQUEST, -32600, 4);
    assert!(
        message.contains("no client-to-server responses"),
        "{message}"
    );
}

#[tokio::test]
async fn get_and_delete_are_405_for_2026() {
    let app = app();
    let with = |builder: axum::http::request::Builder| {
        builder
            .header("authorization", format!("Bearer {ALICE}"))
            .header("mcp-protocol-version", MODERN)
            .body(Body::empty())
            .expect("request")
    };
    let reply = send(
        &app.router,
        with(Request::get("/mcp").header("accept", "text/event-stream")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = send(&app.router, with(Request::delete("/mcp"))).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no sessions"))
    );
}

#[tokio::test]
async fn an_event_stream_only_client_gets_sse() {
    let app = app();
    let request = set_header(
        modern(12, "tools/list", json!({})),
        "accept",
        "text/event-stream",
    );
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("x-accel-buffering"), Some("no"));
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("json event"))
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    assert_eq!(events[0]["id"], 12);
    assert_eq!(events[0]["result"]["cacheScope"], "private");
}

#[tokio::test]
async fn a_call_that_opts_in_to_events_keeps_http_statuses() {
    let app = app();
    // With a progress token and a log level the call runs as a stream; the
    // unary CallTool reports nothing first, so the outcome is framed alone.
    let mut meta = client_meta();
    meta["progressToken"] = json!("p-1");
    meta["io.modelcontextprotocol/logLevel"] = json!("debug");
    let params = json!({"name": "get_item", "arguments": {"item_id": 7}, "_meta": meta});
    let reply = send(&app.router, modern(13, "tools/call", params)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json()["result"]["content"][0]["text"],
        "Item 7: Hello"
    );

    // An HTTP-level refusal keeps its status and step-up challenge.
    let params = json!({"name": "create_item", "arguments": {}, "_meta": meta});
    let request = set_header(
        modern(14, "tools/call", params),
        "authorization",
        &format!("Bearer {BOB}"),
    );
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|c| c.contains("insufficient_scope"))
    );
}

/// The `data:` payloads of an SSE reply, in order.
fn sse_events(reply: &Reply) -> Vec<Value> {
    String::from_utf8_lossy(&reply.body)
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("json event"))
        .collect()
}

#[tokio::test]
async fn progress_and_log_events_of_a_streaming_call_arrive_in_order_before_its_result() {
    let app = app();
    let mut meta = client_meta();
    meta["progressToken"] = json!("p-9");
    meta["io.modelcontextprotocol/logLevel"] = json!("info");
    let params = json!({"name": "counting", "arguments": {}, "_meta": meta});
    let reply = send(&app.router, modern(21, "tools/call", params)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = sse_events(&reply);
    let methods: Vec<&str> = events
        .iter()
        .map(|e| e["method"].as_str().unwrap_or("(result)"))
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/message",
            "notifications/progress",
            "notifications/progress",
            "notifications/progress",
            "(result)"
        ]
    );
    assert_eq!(events[0]["params"]["level"], "info");
    assert_eq!(events[0]["params"]["data"], "counting to 3");
    for (i, event) in events[1..4].iter().enumerate() {
        assert_eq!(event["params"]["progressToken"], "p-9");
        assert_eq!(event["params"]["progress"], json!(i as f64 + 1.0));
        assert_eq!(event["params"]["total"], json!(3.0));
    }
    assert_eq!(events[4]["id"], 21);
    assert_eq!(events[4]["result"]["content"][0]["text"], "counted");

    // Without a progress token and with a stricter level, nothing but the
    // result (and so plain JSON).
    let mut meta = client_meta();
    meta["io.modelcontextprotocol/logLevel"] = json!("error");
    let params = json!({"name": "counting", "arguments": {}, "_meta": meta});
    let reply = send(&app.router, modern(22, "tools/call", params)).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json()["result"]["content"][0]["text"], "counted");
}

#[tokio::test]
async fn image_and_embedded_resource_content_reach_the_client_in_mcp_shape() {
    let app = app();
    let params = json!({"name": "picture", "arguments": {}});
    let reply = send(&app.router, modern(23, "tools/call", params)).await;
    let content = &reply.json()["result"]["content"];
    assert_eq!(content[0]["type"], "image");
    assert_eq!(content[0]["data"], "cG5n");
    assert_eq!(content[0]["mimeType"], "image/png");
    assert_eq!(content[1]["type"], "resource");
    assert_eq!(content[1]["resource"]["uri"], "test://r");
    assert_eq!(content[1]["resource"]["text"], "hello");
}

#[tokio::test]
async fn legacy_set_level_is_stored_with_the_session() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let set = |id: i64, level: Value| {
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(id, "logging/setLevel", json!({"level": level})),
        )
    };
    let reply = send(&app.router, set(1, json!("warning"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "id": 1, "result": {}})
    );
    let stored = app
        .store
        .get_and_touch("token:alice", &session, Duration::from_secs(60))
        .await
        .expect("store")
        .expect("session");
    assert_eq!(stored.log_level.as_deref(), Some("warning"));

    let reply = send(&app.router, set(2, json!("verbose"))).await;
    let message = assert_error(&reply, StatusCode::OK, -32602, 2);
    assert!(message.contains("debug, info"), "{message}");

    // Legacy results keep their historical shape.
    let reply = send(
        &app.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(3, "tools/list", json!({})),
        ),
    )
    .await;
    let result = &reply.json()["result"];
    assert!(result.get("resultType").is_none(), "{result}");
    assert!(result.get("ttlMs").is_none(), "{result}");
    assert!(result.get("_meta").is_none(), "{result}");
}

#[tokio::test]
async fn long_client_names_are_capped_before_they_are_stored() {
    let app = app();
    let mut body = initialize_body("2025-11-25");
    body["params"]["clientInfo"]["name"] = json!("n".repeat(100_000));
    let reply = send(&app.router, mcp_post(Some(ALICE), None, &body)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let session = reply.header("mcp-session-id").expect("session");
    let stored = app
        .store
        .get_and_touch("token:alice", session, Duration::from_secs(60))
        .await
        .expect("store")
        .expect("session");
    assert_eq!(stored.client_name.len(), 256);
}
