//! The front door's HTTP surface driven from the outside: `router()` over
//! fake auth/tools services and the in-memory store.

mod support;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portico_frontdoor::store::memory::MemoryStore;
use portico_proto::auth::v1 as oauth;
use portico_proto::error::{ErrorCode, ServiceError};
use serde_json::{Value, json};
use support::*;

const PRM: &str = "https://portico.example.com/.well-known/oauth-protected-resource/mcp";

fn get_health() -> Request<Body> {
    Request::get("/health")
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn health_says_what_the_auth_service_offers() {
    let app = app();
    let reply = send(&app.router, get_health()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let issuer = "https://portico.example.com";
    assert_eq!(
        reply.json(),
        json!({
            "status": "healthy",
            "service": "portico",
            "version": env!("CARGO_PKG_VERSION"),
            "transport": "streamable-http",
            "endpoint": format!("{issuer}/mcp"),
            "auth": {
                "bearer": "required",
                "personal_api_tokens": true,
                "oauth": {
                    "status": "on",
                    "issuer": issuer,
                    "metadata": format!("{issuer}/.well-known/oauth-authorization-server"),
                    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                    "dynamic_client_registration": true,
                    "client_id_metadata_documents": true,
                    "credential_modes": ["default", "direct", "registered"],
                },
                "admin": false,
            },
        })
    );
}

#[tokio::test]
async fn with_oauth_off_health_says_so_and_no_metadata_advertises_it() {
    let app = app();
    *app.oauth.server_info.lock().expect("lock") = Ok(oauth::ServerInfo {
        oauth: false,
        credential_modes: vec![oauth::CredentialMode::Service as i32],
        admin: true,
    });
    let health = send(&app.router, get_health()).await.json();
    assert_eq!(health["auth"]["oauth"]["status"], "off");
    assert_eq!(health["auth"]["admin"], true);
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let metadata = send(&app.router, get("/.well-known/oauth-authorization-server")).await;
    assert_eq!(metadata.status, StatusCode::NOT_FOUND);
    assert!(
        metadata.json()["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("personal api token")),
        "{}",
        metadata.json()
    );
    let resource = send(
        &app.router,
        get("/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    assert_eq!(resource.status, StatusCode::OK);
    assert!(resource.json().get("authorization_servers").is_none());
}

#[tokio::test]
async fn health_stays_up_when_the_auth_service_never_answered() {
    let app = app();
    *app.oauth.server_info.lock().expect("lock") = Err(ServiceError::new(
        ErrorCode::Unavailable,
        "connection refused",
    ));
    let reply = send(&app.router, get_health()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["auth"]["oauth"]["status"], "unknown");
    assert_eq!(body["auth"]["admin"], Value::Null);
}

#[tokio::test]
async fn ready_checks_each_dependency() {
    let app = app();
    let get = || Request::get("/ready").body(Body::empty()).expect("request");
    let reply = send(&app.router, get()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"status": "ready", "checks": {"sessions": "ok", "auth": "ok", "tools": "ok"}})
    );

    app.tools.down.store(true, Ordering::SeqCst);
    let reply = send(&app.router, get()).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = reply.json();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["auth"], "ok");
    assert!(
        body["checks"]["tools"]
            .as_str()
            .is_some_and(|m| m.contains("unavailable")),
        "{body}"
    );
}

#[tokio::test]
async fn protected_resource_metadata_at_both_paths() {
    let app = app();
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let reply = send(
            &app.router,
            Request::get(path).body(Body::empty()).expect("request"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.json(),
            json!({
                "resource": "https://portico.example.com/mcp",
                "authorization_servers": ["https://portico.example.com"],
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["podio:read", "podio:write"],
                "resource_name": "Portico"
            })
        );
    }
}

#[tokio::test]
async fn missing_token_gets_401_with_resource_metadata() {
    let app = app();
    let reply = send(
        &app.router,
        mcp_post(None, None, &initialize_body("2025-11-25")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(format!("Bearer resource_metadata=\"{PRM}\"").as_str())
    );
    let body = reply.json();
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

#[tokio::test]
async fn unknown_token_gets_invalid_token() {
    let app = app();
    let reply = send(
        &app.router,
        mcp_post(
            Some("portico_pat_nope"),
            None,
            &initialize_body("2025-11-25"),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let challenge = reply.header("www-authenticate").expect("challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{PRM}\"")),
        "{challenge}"
    );
    assert_eq!(reply.json()["error"], "unauthorized");
}

#[tokio::test]
async fn token_in_query_string_is_refused() {
    let app = app();
    let request = Request::post(format!("/mcp?access_token={ALICE}"))
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(initialize_body("2025-11-25").to_string()))
        .expect("request");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.auth.introspections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn origin_is_checked_before_anything_else() {
    let app = app();
    let with_origin = |origin: &str| {
        let mut request = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
        request
    };
    let reply = send(&app.router, with_origin("http://evil.example.com")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let body = reply.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert!(body.get("id").is_none(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("origin not allowed"))
    );
    assert_eq!(app.auth.introspections.load(Ordering::SeqCst), 0);

    for good in ["http://localhost:6274", "https://portico.example.com"] {
        let reply = send(&app.router, with_origin(good)).await;
        assert_eq!(reply.status, StatusCode::OK, "{good}");
    }
}

#[tokio::test]
async fn initialize_opens_a_session_and_negotiates() {
    let app = app();
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), None, &initialize_body("2025-06-18")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let session = reply.header("mcp-session-id").expect("session id");
    assert!(session.len() >= 32 && session.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let body = reply.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], 0);
    let result = &body["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18");
    assert_eq!(
        result["capabilities"],
        json!({"tools": {"listChanged": false}, "logging": {}})
    );
    assert!(result.get("resultType").is_none(), "{result}");
    assert_eq!(
        result["serverInfo"],
        json!({"name": "portico", "title": "Portico", "version": env!("CARGO_PKG_VERSION")})
    );
    assert!(
        result["instructions"]
            .as_str()
            .is_some_and(|i| i.contains("spaces"))
    );

    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), None, &initialize_body("1999-01-01")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"]["protocolVersion"], "2025-11-25");

    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), None, &request(1, "initialize", json!({}))),
    )
    .await;
    assert_eq!(reply.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn requests_need_a_session_of_the_same_subject() {
    let app = app();
    let list = request(1, "tools/list", json!({}));

    let reply = send(&app.router, mcp_post(Some(ALICE), None, &list)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32000);
    assert_eq!(
        body["error"]["message"],
        "missing Mcp-Session-Id header: call initialize first"
    );
    assert_eq!(body["id"], 1);

    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), Some("no-such-session"), &list),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["error"]["code"], -32001);

    let alices = open_session(&app.router, ALICE).await;
    let reply = send(&app.router, mcp_post(Some(BOB), Some(&alices), &list)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json()["error"]["message"],
        "session not found: it expired or was ended; initialize a new one"
    );

    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&alices), &list)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn notifications_and_responses_are_accepted_without_body() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    for message in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 7, "result": {}}),
    ] {
        let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &message)).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{message}");
        assert!(reply.body.is_empty());
    }
}

#[tokio::test]
async fn ping_and_unknown_methods() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), Some(&session), &request(3, "ping", json!({}))),
    )
    .await;
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "id": 3, "result": {}})
    );

    let reply = send(
        &app.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(4, "resources/list", json!({})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32601);
    assert_eq!(body["error"]["message"], "method not found: resources/list");
}

#[tokio::test]
async fn tools_list_has_mcp_shapes() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let reply = send(
        &app.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(2, "tools/list", json!({})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    let tools = body["result"]["tools"].as_array().expect("tools array");
    assert_eq!(tools.len(), 2);
    assert_eq!(
        tools[0],
        json!({
            "name": "get_item",
            "title": "Get item",
            "description": "Reads one Podio item by id.",
            "inputSchema": {"type": "object", "properties": {"item_id": {"type": "integer"}}, "required": ["item_id"]},
            "outputSchema": {"type": "object", "properties": {"item_id": {"type": "integer"}}},
            "annotations": {
                "title": "Get item",
                "readOnlyHint": true,
                "destructiveHint": false,
                "idempotentHint": true,
                "openWorldHint": true
            }
        })
    );
    assert!(tools[1].get("outputSchema").is_none());
    assert_eq!(
        app.tools
            .last_authorization
            .lock()
            .expect("lock")
            .as_deref(),
        Some(format!("Bearer {ALICE}").as_str())
    );
}

async fn call(app: &TestApp, token: &str, name: &str, arguments: Value) -> support::Reply {
    let session = open_session(&app.router, token).await;
    let body = request(
        9,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    );
    send(&app.router, mcp_post(Some(token), Some(&session), &body)).await
}

#[tokio::test]
async fn tools_call_returns_content_and_structured_content() {
    let app = app();
    let reply = call(&app, ALICE, "get_item", json!({"item_id": 42})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({
            "jsonrpc": "2.0",
            "id": 9,
            "result": {
                "content": [{"type": "text", "text": "Item 42: Hello"}],
                "structuredContent": {"item_id": 42, "title": "Hello"},
                "isError": false
            }
        })
    );
    assert_eq!(
        app.tools
            .last_authorization
            .lock()
            .expect("lock")
            .as_deref(),
        Some(format!("Bearer {ALICE}").as_str())
    );

    // A tool's own failure passes through as a result, without structuredContent.
    let reply = call(&app, ALICE, "get_item", json!({"item_id": 404})).await;
    let result = &reply.json()["result"];
    assert_eq!(result["isError"], true);
    assert!(result.get("structuredContent").is_none());
}

#[tokio::test]
async fn invalid_arguments_are_a_tool_error_result() {
    let app = app();
    let reply = call(&app, ALICE, "get_item", json!({"item_id": "x"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()["result"],
        json!({
            "content": [{"type": "text", "text": "item_id: expected an integer, e.g. {\"item_id\": 123}"}],
            "isError": true
        })
    );
    let reply = call(&app, ALICE, "busy", json!({})).await;
    assert_eq!(reply.json()["result"]["isError"], true);
}

#[tokio::test]
async fn unknown_tool_is_invalid_params() {
    let app = app();
    let reply = call(&app, ALICE, "no_such_tool", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32602);
    assert_eq!(body["error"]["message"], "unknown tool: no_such_tool");

    let session = open_session(&app.router, ALICE).await;
    let body = request(9, "tools/call", json!({"arguments": {}}));
    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &body)).await;
    assert_eq!(reply.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn service_failures_are_internal_errors_without_details() {
    let app = app();
    let reply = call(&app, ALICE, "flaky_upstream", json!({})).await;
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32603);
    assert_eq!(
        body["error"]["message"],
        "a portico service is unavailable; retry shortly"
    );

    let reply = call(&app, ALICE, "buggy", json!({})).await;
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32603);
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.starts_with("internal error (request id "),
        "{message}"
    );
    assert!(!message.contains("secret"));
    assert!(body["error"]["data"]["requestId"].is_string());
}

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope() {
    let app = app();
    let reply = call(&app, BOB, "create_item", json!({})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate").expect("challenge");
    assert!(
        challenge.starts_with(&format!(
            "Bearer error=\"insufficient_scope\", scope=\"podio:write\", resource_metadata=\"{PRM}\""
        )),
        "{challenge}"
    );
    assert_eq!(reply.json()["error"], "insufficient_scope");
    assert_eq!(
        call(&app, ALICE, "create_item", json!({})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_default_credential_mode_has_its_own_hourly_quota() {
    let mut settings = settings();
    settings.default_mode_requests_per_hour = 2;
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, CARLA_DEFAULT_MODE).await; // 1
    let ping = request(1, "ping", json!({}));
    let ok = send(
        &app.router,
        mcp_post(Some(CARLA_DEFAULT_MODE), Some(&session), &ping),
    )
    .await; // 2
    assert_eq!(ok.status, StatusCode::OK);
    let reply = send(
        &app.router,
        mcp_post(Some(CARLA_DEFAULT_MODE), Some(&session), &ping),
    )
    .await; // 3
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry), "{retry}");
    let body = reply.json();
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("2 requests per hour"), "{message}");
    assert!(message.contains("your own podio api key"), "{message}");
    assert_eq!(body["error"]["data"]["tier"], "default");

    // Tokens in other modes only have the per-minute limit.
    for _ in 0..4 {
        let session = open_session(&app.router, ALICE).await;
        let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &ping)).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn rate_limit_refuses_the_request_over_the_limit() {
    let mut settings = settings();
    settings.rate_limit_per_minute = 3;
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, ALICE).await; // 1
    let ping = request(1, "ping", json!({}));
    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &ping)).await; // 2
    assert_eq!(reply.header("ratelimit-limit"), Some("3"));
    assert_eq!(reply.header("ratelimit-remaining"), Some("1"));
    assert_eq!(
        send(&app.router, mcp_post(Some(ALICE), Some(&session), &ping))
            .await
            .status,
        StatusCode::OK
    ); // 3
    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &ping)).await; // 4
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
    let message = reply.json()["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.contains("3 requests per minute"), "{message}");

    // Limits are per subject: another token is unaffected.
    assert_eq!(
        send(
            &app.router,
            mcp_post(Some(BOB), None, &initialize_body("2025-11-25"))
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn replicas_sharing_a_store_serve_each_others_sessions() {
    let store = MemoryStore::new();
    let one = app_with(settings(), store.clone());
    let two = app_with(settings(), store);
    let session = open_session(&one.router, ALICE).await;
    let reply = send(
        &two.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(1, "tools/list", json!({})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json()["result"]["tools"].is_array());
}

#[tokio::test]
async fn get_is_405_and_delete_ends_the_session() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let with_auth = |builder: axum::http::request::Builder| {
        builder
            .header("authorization", format!("Bearer {ALICE}"))
            .header("mcp-session-id", &session)
            .body(Body::empty())
            .expect("request")
    };
    let reply = send(
        &app.router,
        with_auth(Request::get("/mcp").header("accept", "text/event-stream")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("POST, DELETE"));

    // Another subject cannot end it.
    let reply = send(
        &app.router,
        Request::delete("/mcp")
            .header("authorization", format!("Bearer {BOB}"))
            .header("mcp-session-id", &session)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let reply = send(&app.router, with_auth(Request::delete("/mcp"))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), Some(&session), &request(1, "ping", json!({}))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = send(&app.router, with_auth(Request::delete("/mcp"))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn root_path_is_the_same_endpoint() {
    let app = app();
    let mut request = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
    *request.uri_mut() = "/".parse().expect("uri");
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("mcp-session-id").is_some());
}

#[tokio::test]
async fn protocol_version_header_must_be_supported() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let mut request = mcp_post(Some(ALICE), Some(&session), &request(1, "ping", json!({})));
    request.headers_mut().insert(
        "mcp-protocol-version",
        "1999-01-01".parse().expect("header"),
    );
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["id"], 1);
    assert_eq!(body["error"]["code"], -32022);
    assert_eq!(
        body["error"]["data"],
        json!({"supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], "requested": "1999-01-01"})
    );
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("supported versions are 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26"),
        "{message}"
    );
}

#[tokio::test]
async fn protocol_version_header_must_not_exceed_the_session() {
    let app = app();
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), None, &initialize_body("2025-06-18")),
    )
    .await;
    let session = reply.header("mcp-session-id").expect("session").to_owned();
    let ping = |id: i64, version: &str| {
        let mut request = mcp_post(Some(ALICE), Some(&session), &request(id, "ping", json!({})));
        request
            .headers_mut()
            .insert("mcp-protocol-version", version.parse().expect("header"));
        request
    };
    let reply = send(&app.router, ping(1, "2025-11-25")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32600);
    assert_eq!(
        body["error"]["message"],
        "MCP-Protocol-Version \"2025-11-25\" does not match this session's negotiated version 2025-06-18: send 2025-06-18, or initialize a new session"
    );

    // The negotiated version and older ones are served.
    for (id, version) in [(2, "2025-06-18"), (3, "2025-03-26")] {
        let reply = send(&app.router, ping(id, version)).await;
        assert_eq!(reply.status, StatusCode::OK, "{version}");
    }
    // Absent, the session's version is assumed.
    let mut without = ping(4, "2025-06-18");
    without.headers_mut().remove("mcp-protocol-version");
    assert_eq!(send(&app.router, without).await.status, StatusCode::OK);
}

#[tokio::test]
async fn introspection_is_cached() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    for id in 0..5 {
        let reply = send(
            &app.router,
            mcp_post(Some(ALICE), Some(&session), &request(id, "ping", json!({}))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(app.auth.introspections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn auth_outage_is_503() {
    let app = app();
    app.auth.down.store(true, Ordering::SeqCst);
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), None, &initialize_body("2025-11-25")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let mut settings = settings();
    settings.max_body_bytes = 2048;
    let app = app_with(settings, MemoryStore::new());
    let big =
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(4096)}});

    // Declared length: refused before authentication.
    let mut request = mcp_post(None, None, &big);
    request
        .headers_mut()
        .insert("content-length", big.to_string().len().into());
    assert_eq!(
        send(&app.router, request).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // Undeclared length: refused while reading, which comes before
    // authentication too (the body is read first, for its trace keys).
    let reply = send(&app.router, mcp_post(None, None, &big)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let session = open_session(&app.router, ALICE).await;
    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &big)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"]["code"], -32600);
}

#[tokio::test]
async fn malformed_messages_are_400() {
    let app = app();
    let raw = |body: &str| {
        Request::post("/mcp")
            .header("authorization", format!("Bearer {ALICE}"))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let reply = send(&app.router, raw("{not json")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], -32700);

    let reply = send(
        &app.router,
        raw(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32600);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("batch requests are not supported"))
    );
}

#[tokio::test]
async fn accept_must_allow_json_or_an_event_stream() {
    let app = app();
    let with_accept = |accept: &str| {
        let mut request = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
        request
            .headers_mut()
            .insert("accept", accept.parse().expect("header"));
        request
    };
    let reply = send(&app.router, with_accept("text/html")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(reply.json()["error"]["code"], -32000);

    // An event stream only: the result comes as one SSE event, the session
    // header as usual.
    let reply = send(&app.router, with_accept("text/event-stream")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert!(reply.header("mcp-session-id").is_some());
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("one data line");
    let message: Value = serde_json::from_str(data).expect("json event");
    assert_eq!(message["result"]["protocolVersion"], "2025-11-25");
}
