//! Safe retries of writes through the HTTP surface, against the fake tools
//! service (which counts how often `create_item` really ran): a repeated
//! write is answered with the first result, marked replayed, and the tool
//! runs once; reads, failures and other principals are never replayed.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use portico_frontdoor::store::memory::MemoryStore;
use serde_json::{Value, json};
use support::{
    ALICE, CARLA_DEFAULT_MODE, TestApp, app, app_with, mcp_post, open_session, request, send,
    settings,
};

const REPLAYED: &str = "io.portico/replayed";
const KEY: &str = "io.portico/idempotencyKey";

/// One `tools/call` in `session`; its JSON-RPC `result`.
async fn call_in(app: &TestApp, token: &str, session: &str, params: Value) -> Value {
    let reply = send(
        &app.router,
        mcp_post(
            Some(token),
            Some(session),
            &request(7, "tools/call", params),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    body.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("no result: {body}"))
}

async fn create(app: &TestApp, session: &str, arguments: Value) -> Value {
    call_in(
        app,
        ALICE,
        session,
        json!({"name": "create_item", "arguments": arguments}),
    )
    .await
}

async fn create_with_key(app: &TestApp, session: &str, arguments: Value, key: &str) -> Value {
    call_in(
        app,
        ALICE,
        session,
        json!({"name": "create_item", "arguments": arguments, "_meta": {KEY: key}}),
    )
    .await
}

fn creates(app: &TestApp) -> usize {
    app.tools.creates.load(Ordering::SeqCst)
}

fn replayed(result: &Value) -> bool {
    result["_meta"][REPLAYED] == json!(true)
}

/// `result` without the replay mark, to compare with the first answer.
fn unmarked(result: &Value) -> Value {
    let mut result = result.clone();
    let Some(object) = result.as_object_mut() else {
        return result;
    };
    if let Some(meta) = object.get_mut("_meta").and_then(Value::as_object_mut) {
        meta.remove(REPLAYED);
        if meta.is_empty() {
            object.remove("_meta");
        }
    }
    result
}

fn deal(title: &str) -> Value {
    json!({"app_id": 1, "fields": {"title": title, "seats": 4}})
}

#[tokio::test]
async fn the_same_write_twice_runs_once_and_replays_the_first_result() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let first = create(&app, &session, deal("Pilot")).await;
    assert!(!replayed(&first), "{first}");
    assert_eq!(first["structuredContent"]["item_id"], 1);

    let second = create(&app, &session, deal("Pilot")).await;
    assert!(replayed(&second), "{second}");
    assert_eq!(unmarked(&second), first);
    // The same arguments in another key order are the same call.
    let reordered = create(
        &app,
        &session,
        json!({"fields": {"seats": 4, "title": "Pilot"}, "app_id": 1}),
    )
    .await;
    assert!(replayed(&reordered));
    assert_eq!(creates(&app), 1);

    // Other arguments are another write.
    let other = create(&app, &session, deal("Another")).await;
    assert!(!replayed(&other));
    assert_eq!(other["structuredContent"]["item_id"], 2);
    assert_eq!(creates(&app), 2);
    // The catalog was fetched once for all of it.
    assert_eq!(app.tools.lists.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn explicit_keys_decide_what_counts_as_a_repeat() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let a = create_with_key(&app, &session, deal("Pilot"), "key-a").await;
    assert!(!replayed(&a));
    // The key reaches the tools service.
    assert_eq!(a["structuredContent"]["idempotency_key"], "key-a");
    let b = create_with_key(&app, &session, deal("Pilot"), "key-b").await;
    assert!(!replayed(&b));
    assert_eq!(creates(&app), 2, "two keys, two writes");

    let again = create_with_key(&app, &session, deal("Pilot"), "key-a").await;
    assert!(replayed(&again));
    assert_eq!(unmarked(&again), a);
    assert_eq!(creates(&app), 2);

    // A key reused with other arguments is refused, not run.
    let reused = create_with_key(&app, &session, deal("Changed"), "key-a").await;
    assert_eq!(reused["isError"], true, "{reused}");
    let message = reused["content"][0]["text"].as_str().unwrap_or_default();
    assert!(message.contains("different arguments"), "{message}");
    assert_eq!(creates(&app), 2);
}

#[tokio::test]
async fn reads_are_never_deduplicated() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    for _ in 0..2 {
        let read = call_in(
            &app,
            ALICE,
            &session,
            json!({"name": "get_item", "arguments": {"item_id": 42}}),
        )
        .await;
        assert!(!replayed(&read), "{read}");
        assert_eq!(read["structuredContent"]["item_id"], 42);
    }
    // Even with an explicit key.
    for _ in 0..2 {
        let read = call_in(
            &app,
            ALICE,
            &session,
            json!({"name": "get_item", "arguments": {"item_id": 42}, "_meta": {KEY: "k"}}),
        )
        .await;
        assert!(!replayed(&read), "{read}");
    }
}

#[tokio::test]
async fn error_results_are_not_kept_so_the_write_can_be_retried() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let args = json!({"app_id": 1, "fail": true});
    for _ in 0..2 {
        let failed = create(&app, &session, args.clone()).await;
        assert_eq!(failed["isError"], true);
        assert!(!replayed(&failed));
    }
    assert_eq!(creates(&app), 2);
    // A refused call (no write scope) leaves nothing behind either.
    let reply = send(
        &app.router,
        mcp_post(
            Some(support::BOB),
            Some(&open_session(&app.router, support::BOB).await),
            &request(
                1,
                "tools/call",
                json!({"name": "create_item", "arguments": {"app_id": 9}}),
            ),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_run_once() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let args = json!({"app_id": 1, "delay_ms": 200, "fields": {"title": "Busy"}});
    let results =
        futures::future::join_all((0..5).map(|_| create(&app, &session, args.clone()))).await;
    assert_eq!(creates(&app), 1);
    let originals: Vec<&Value> = results.iter().filter(|r| !replayed(r)).collect();
    assert_eq!(originals.len(), 1, "{results:?}");
    for result in &results {
        assert_eq!(&unmarked(result), originals[0]);
    }
}

#[tokio::test]
async fn another_principal_never_gets_the_result() {
    let app = app();
    let alice = open_session(&app.router, ALICE).await;
    let carla = open_session(&app.router, CARLA_DEFAULT_MODE).await;
    let params =
        json!({"name": "create_item", "arguments": deal("Shared"), "_meta": {KEY: "same-key"}});
    let first = call_in(&app, ALICE, &alice, params.clone()).await;
    let other = call_in(&app, CARLA_DEFAULT_MODE, &carla, params).await;
    assert!(!replayed(&other), "{other}");
    assert_ne!(other, first);
    assert_eq!(creates(&app), 2);
    // Derived keys too.
    create(&app, &alice, deal("Derived")).await;
    let other = call_in(
        &app,
        CARLA_DEFAULT_MODE,
        &carla,
        json!({"name": "create_item", "arguments": deal("Derived")}),
    )
    .await;
    assert!(!replayed(&other));
    assert_eq!(creates(&app), 4);
}

#[tokio::test]
async fn a_result_too_large_to_keep_still_blocks_a_second_write() {
    let mut settings = settings();
    settings.idempotency.max_result_bytes = 1024;
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, ALICE).await;
    let args = json!({"app_id": 1, "big": 4096});
    let first = create(&app, &session, args.clone()).await;
    assert_eq!(first["isError"], false);
    let second = create(&app, &session, args).await;
    assert_eq!(second["isError"], true, "{second}");
    let message = second["content"][0]["text"].as_str().unwrap_or_default();
    assert!(message.contains("too large to keep"), "{message}");
    assert_eq!(creates(&app), 1);
}

#[tokio::test]
async fn a_zero_window_turns_derived_keys_off() {
    let mut settings = settings();
    settings.idempotency.window = Duration::ZERO;
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, ALICE).await;
    create(&app, &session, deal("Twice")).await;
    create(&app, &session, deal("Twice")).await;
    assert_eq!(creates(&app), 2);
    create_with_key(&app, &session, deal("Twice"), "k").await;
    let again = create_with_key(&app, &session, deal("Twice"), "k").await;
    assert!(replayed(&again));
    assert_eq!(creates(&app), 3);
}

/// A repeat that finds the first call still running past its wait gets a
/// retriable tool error; once the first is done, the repeat gets its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_that_cannot_wait_is_told_to_retry() {
    let mut settings = settings();
    settings.limits.request_timeout = Duration::from_secs(2);
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, ALICE).await;
    let args = json!({"app_id": 1, "delay_ms": 1500});
    let first = {
        let (router, session, args) = (app.router.clone(), session.clone(), args.clone());
        tokio::spawn(async move {
            let body = request(
                1,
                "tools/call",
                json!({"name": "create_item", "arguments": args}),
            );
            send(&router, mcp_post(Some(ALICE), Some(&session), &body)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Waits at most the request timeout less a second.
    let busy = create(&app, &session, args.clone()).await;
    assert_eq!(busy["isError"], true, "{busy}");
    let message = busy["content"][0]["text"].as_str().unwrap_or_default();
    assert!(message.contains("still in progress"), "{message}");
    let first = first.await.expect("first call");
    assert_eq!(first.status, StatusCode::OK);
    let again = create(&app, &session, args).await;
    assert!(replayed(&again), "{again}");
    assert_eq!(creates(&app), 1);
}

/// A client that hangs up mid-write loses nothing: the call finishes, and
/// the retry gets its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_outlives_its_client_and_the_retry_gets_the_result() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let args = json!({"app_id": 1, "delay_ms": 300});
    let abandoned = {
        let (router, session, args) = (app.router.clone(), session.clone(), args.clone());
        tokio::spawn(async move {
            let body = request(
                1,
                "tools/call",
                json!({"name": "create_item", "arguments": args}),
            );
            send(&router, mcp_post(Some(ALICE), Some(&session), &body)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    abandoned.abort();
    let retry = create(&app, &session, args).await;
    assert!(replayed(&retry), "{retry}");
    assert_eq!(creates(&app), 1);
}

/// A write streamed with progress is remembered like a unary one.
#[tokio::test]
async fn a_streamed_write_is_replayed_too() {
    let app = app();
    let session = open_session(&app.router, ALICE).await;
    let streamed = send(
        &app.router,
        mcp_post(
            Some(ALICE),
            Some(&session),
            &request(
                1,
                "tools/call",
                json!({"name": "create_item", "arguments": deal("Streamed"), "_meta": {"progressToken": "p"}}),
            ),
        ),
    )
    .await;
    assert_eq!(streamed.status, StatusCode::OK);
    let again = create(&app, &session, deal("Streamed")).await;
    assert!(replayed(&again), "{again}");
    assert_eq!(creates(&app), 1);
}
