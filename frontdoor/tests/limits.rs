//! Limits through the router over fakes and a memory store: failed
//! authentications throttled per source address before the auth service is
//! asked, and a 429 of the rate limiter that carries `RateLimit-*` as well
//! as `Retry-After`; the tier shared by all the users of one OAuth client.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use portico_frontdoor::store::memory::MemoryStore;
use serde_json::json;
use support::*;

fn from(peer: &str, mut request: Request<Body>) -> Request<Body> {
    let addr: SocketAddr = peer.parse().expect("socket address");
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

#[tokio::test]
async fn failed_authentications_are_throttled_per_source_address() {
    let mut settings = settings();
    settings.limits.auth_failures_per_minute = 3;
    let app = app_with(settings, MemoryStore::new());
    let init = initialize_body("2025-11-25");
    for _ in 0..3 {
        let reply = send(
            &app.router,
            from(
                "192.0.2.1:4000",
                mcp_post(Some("portico_pat_nope"), None, &init),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.auth.introspections.load(Ordering::SeqCst), 3);
    // Over the budget: 429 without asking the auth service, for a good
    // token too (from another port of the same address).
    for token in ["portico_pat_nope", BOB] {
        let reply = send(
            &app.router,
            from("192.0.2.1:4001", mcp_post(Some(token), None, &init)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{token}");
        let retry: u64 = reply
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        assert_eq!(reply.json()["error"]["data"]["failedAuthentication"], true);
    }
    assert_eq!(app.auth.introspections.load(Ordering::SeqCst), 3);
    // A token this replica verified moments ago needs no auth service call
    // and still passes.
    let ok = send(
        &app.router,
        from("198.51.100.1:4000", mcp_post(Some(ALICE), None, &init)),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let cached = send(
        &app.router,
        from("192.0.2.1:4002", mcp_post(Some(ALICE), None, &init)),
    )
    .await;
    assert_eq!(cached.status, StatusCode::OK);
    // Another address is not affected; a missing token is not a failure.
    let other = send(
        &app.router,
        from(
            "198.51.100.1:4000",
            mcp_post(Some("portico_pat_nope"), None, &init),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    for _ in 0..5 {
        let anonymous = send(
            &app.router,
            from("203.0.113.5:1", mcp_post(None, None, &init)),
        )
        .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_rate_limited_reply_carries_the_rate_limit_headers() {
    let mut settings = settings();
    settings.rate_limit_per_minute = 1;
    let app = app_with(settings, MemoryStore::new());
    let session = open_session(&app.router, ALICE).await;
    let ping = request(1, "ping", json!({}));
    let reply = send(&app.router, mcp_post(Some(ALICE), Some(&session), &ping)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("ratelimit-limit"), Some("1"));
    assert_eq!(reply.header("ratelimit-remaining"), Some("0"));
    let reset = reply.header("ratelimit-reset").expect("RateLimit-Reset");
    assert_eq!(reply.header("retry-after"), Some(reset));
}

#[tokio::test]
async fn the_users_of_one_oauth_client_share_its_tier_and_a_refusal_costs_them_nothing() {
    use portico_frontdoor::store::{Admission, Limit, RateLimiter as _};
    let mut settings = settings();
    settings.rate_limit_per_client_per_minute = 3;
    let store = MemoryStore::new();
    let app = app_with(settings, store.clone());
    let list = |token| {
        let body = request(1, "tools/list", json!({}));
        let mut request = mcp_post(Some(token), None, &body);
        let headers = request.headers_mut();
        headers.insert("mcp-protocol-version", "2026-07-28".parse().expect("value"));
        headers.insert("mcp-method", "tools/list".parse().expect("value"));
        request
    };
    // tools/list without _meta is refused by the dispatch (-32602), after
    // the limiter counted it: enough to count requests.
    let mut statuses = Vec::new();
    for token in [DORA_APP_1, ERIK_APP_1, DORA_APP_1, ERIK_APP_1] {
        statuses.push(send(&app.router, list(token)).await.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let refused = send(&app.router, list(DORA_APP_1)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("ratelimit-limit"), Some("3"));
    assert!(refused.header("retry-after").is_some());
    let body = refused.json();
    assert_eq!(body["error"]["data"]["tier"], "client", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("all its users together"),
        "{body}"
    );

    // Another client's user and a personal token are not held back.
    assert_ne!(
        send(&app.router, list(FINN_APP_2)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_ne!(
        send(&app.router, list(ALICE)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Dora was admitted twice; her two refused requests were given back.
    let minute = [Limit {
        name: "minute",
        limit: 300,
        window: std::time::Duration::from_secs(60),
    }];
    let peek = store
        .admit(&Admission {
            partition: "podio:dora",
            cost: 0,
            limits: &minute,
            session: None,
        })
        .await
        .expect("peek");
    assert_eq!(peek.decisions[0].remaining, 298);
}
