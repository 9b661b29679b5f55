//! A tool that needs input from the client (the fake `ask_name`, which
//! answers InputRequired until it has an accepted elicitation): as a
//! 2026-07-28 `InputRequiredResult` and retry, and as an `elicitation/create`
//! request on a legacy call's response stream, answered on another replica.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::StreamExt as _;
use portico_frontdoor::store::memory::MemoryStore;
use serde_json::{Value, json};
use support::*;
use tower::ServiceExt as _;

const MODERN: &str = "2026-07-28";

fn modern_call(token: &str, capabilities: Value, extra: Value) -> Request<Body> {
    let mut params = json!({
        "name": "ask_name",
        "arguments": {},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        },
    });
    if let (Value::Object(params), Value::Object(extra)) = (&mut params, extra) {
        params.extend(extra);
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", "ask_name")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn accepted(name: &str) -> Value {
    json!({"name": {"action": "accept", "content": {"name": name}}})
}

#[tokio::test]
async fn a_modern_call_answers_input_required_and_its_retry_completes() {
    let app = app();
    let first = send(
        &app.router,
        modern_call(ALICE, json!({"elicitation": {}}), json!({})),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    let result = &first.json()["result"];
    assert_eq!(result["resultType"], "input_required", "{result}");
    assert_eq!(
        result["inputRequests"]["name"]["method"],
        "elicitation/create"
    );
    assert_eq!(
        result["inputRequests"]["name"]["params"]["message"],
        "Your name?"
    );
    // The client holds a handle, never the tools service's state.
    let handle = result["requestState"].as_str().expect("requestState");
    assert_ne!(handle, "fake-state");
    assert!(result["content"].is_null(), "{result}");

    let retry = send(
        &app.router,
        modern_call(
            ALICE,
            json!({"elicitation": {}}),
            json!({"inputResponses": accepted("Ann"), "requestState": handle}),
        ),
    )
    .await;
    let result = &retry.json()["result"];
    assert_eq!(result["resultType"], "complete", "{result}");
    assert_eq!(
        result["content"][0]["text"],
        "Hello, Ann! (state \"fake-state\")"
    );

    // The same handle serves another retry (a client may resend), but not
    // another principal, nor an altered one.
    let again = send(
        &app.router,
        modern_call(
            ALICE,
            json!({"elicitation": {}}),
            json!({"inputResponses": accepted("Ann"), "requestState": handle}),
        ),
    )
    .await;
    assert_eq!(again.json()["result"]["resultType"], "complete");
    for (token, state) in [
        (BOB, handle.to_owned()),
        (ALICE, format!("{handle}-TAMPERED")),
    ] {
        let refused = send(
            &app.router,
            modern_call(
                token,
                json!({"elicitation": {}}),
                json!({"inputResponses": accepted("Ann"), "requestState": state}),
            ),
        )
        .await;
        let body = refused.json();
        assert_eq!(body["error"]["code"], -32602, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .expect("message")
                .contains("integrity"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn modern_retries_must_carry_answers_as_an_object() {
    let app = app();
    for extra in [
        json!({"inputResponses": null}),
        json!({"inputResponses": [1, 2]}),
        json!({"requestState": 42}),
    ] {
        let reply = send(
            &app.router,
            modern_call(ALICE, json!({"elicitation": {}}), extra.clone()),
        )
        .await;
        let body = reply.json();
        assert_eq!(body["error"]["code"], -32602, "{extra}: {body}");
    }
}

#[tokio::test]
async fn asking_for_an_undeclared_capability_is_refused_with_32021() {
    let app = app();
    let reply = send(
        &app.router,
        modern_call(ALICE, json!({"sampling": {}}), json!({})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32021, "{body}");
    assert_eq!(
        body["error"]["data"]["requiredCapabilities"],
        json!({"elicitation": {}})
    );

    // A legacy session that declared nothing: the same error, HTTP 200.
    let session = open_session(&app.router, ALICE).await;
    let reply = send(
        &app.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(
                2,
                "tools/call",
                json!({"name": "ask_name", "arguments": {}}),
            ),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["error"]["code"], -32021);
}

/// Opens a legacy session that declares elicitation.
async fn eliciting_session(app: &TestApp) -> String {
    let mut body = initialize_body("2025-11-25");
    body["params"]["capabilities"] = json!({"elicitation": {}});
    let reply = send(&app.router, mcp_post(Some(ALICE), None, &body)).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply
        .header("mcp-session-id")
        .expect("session id")
        .to_owned()
}

/// The JSON messages of an SSE body read so far.
fn messages(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect()
}

/// Calls `ask_name` on `asked`'s router, answers the server's request with
/// `answer` (a `result` or `error` member) on `answering`'s, and returns
/// every message of the call's stream.
async fn legacy_call(asked: &TestApp, answering: &TestApp, answer: Value) -> Vec<Value> {
    let session = eliciting_session(asked).await;
    let call = mcp_post(
        Some(ALICE),
        Some(&session),
        &request(
            7,
            "tools/call",
            json!({"name": "ask_name", "arguments": {}}),
        ),
    );
    let response = asked.router.clone().oneshot(call).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    let server_request = loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("the server's request arrives")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(message) = messages(&text)
            .into_iter()
            .find(|m| m.get("method").is_some())
        {
            break message;
        }
    };
    assert_eq!(server_request["method"], "elicitation/create");
    assert_eq!(server_request["params"]["message"], "Your name?");
    let request_id = server_request["id"].as_str().expect("string id").to_owned();

    let mut response = json!({"jsonrpc": "2.0", "id": request_id});
    if let (Value::Object(response), Value::Object(answer)) = (&mut response, answer) {
        response.extend(answer);
    }
    let delivered = send(
        &answering.router,
        mcp_post(Some(ALICE), Some(&session), &response),
    )
    .await;
    assert_eq!(delivered.status, StatusCode::ACCEPTED);

    while let Some(chunk) = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
        .await
        .expect("the stream goes on")
    {
        text.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
    }
    messages(&text)
}

#[tokio::test]
async fn a_legacy_call_asks_on_its_stream_and_takes_the_answer_from_any_replica() {
    // Two replicas on one store, as two front doors on one Redis.
    let store = MemoryStore::new();
    let (one, two) = (
        app_with(settings(), store.clone()),
        app_with(settings(), store),
    );
    let messages = legacy_call(
        &one,
        &two,
        json!({"result": {"action": "accept", "content": {"name": "Ann"}}}),
    )
    .await;
    let last = messages.last().expect("a result");
    assert_eq!(last["id"], 7, "{messages:?}");
    // The retry carried the tools service's own state, from the first round.
    assert_eq!(
        last["result"]["content"][0]["text"],
        "Hello, Ann! (state \"fake-state\")"
    );
    assert!(last["result"].get("resultType").is_none(), "{last}");
}

#[tokio::test]
async fn a_client_error_answer_ends_the_call_with_a_tool_error() {
    let app = app();
    let messages = legacy_call(
        &app,
        &app,
        json!({"error": {"code": -32601, "message": "no elicitation here"}}),
    )
    .await;
    let last = messages.last().expect("a result");
    assert_eq!(last["result"]["isError"], true, "{last}");
    let text = last["result"]["content"][0]["text"].as_str().expect("text");
    assert!(text.contains("no elicitation here"), "{text}");
    assert!(text.contains("elicitation/create"), "{text}");
}

#[tokio::test]
async fn answers_to_requests_the_server_never_sent_are_accepted_and_dropped() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    for id in [
        json!(5),
        json!("someone-else-7"),
        json!("portico-input-unknown"),
    ] {
        let reply = send(
            &app.router,
            mcp_post(
                Some(ALICE),
                Some(&session),
                &json!({"jsonrpc": "2.0", "id": id, "result": {}}),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{id}");
    }
}
