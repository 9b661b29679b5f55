//! The front door against hostile or careless clients: slow headers, idle
//! sockets, foreign `Host` names, too many calls in flight, slow requests
//! and panicking handlers. Each test checks what the client sees and that
//! the server still answers afterwards.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portico_frontdoor::config::Limits;
use portico_frontdoor::store::idempotency::memory::MemoryIdempotencyStore;
use portico_frontdoor::store::memory::MemoryStore;
use portico_frontdoor::{Deps, Settings, serve_with};
use serde_json::json;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A front door on a real loopback listener, stopped when dropped.
struct Served {
    addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Served {
    /// Waits (at most `wait`) for `serve_with` to return.
    async fn stopped(&mut self, wait: Duration) -> std::io::Result<()> {
        tokio::time::timeout(wait, &mut self.server)
            .await
            .expect("serve_with returns in time")
            .expect("task")
    }
}

/// One POST to /mcp at `addr` on a new connection: the status line, headers
/// and body as text.
async fn post(
    addr: std::net::SocketAddr,
    session: Option<&str>,
    body: &serde_json::Value,
) -> String {
    let body = body.to_string();
    let session = session.map_or(String::new(), |s| {
        format!("Mcp-Session-Id: {s}\r\nMcp-Protocol-Version: 2025-11-25\r\n")
    });
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Authorization: Bearer {ALICE}\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\n{session}\
             Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

/// The value of header `name` in a raw response.
fn header_of(response: &str, name: &str) -> Option<String> {
    response.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

async fn serve(settings: Settings) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = app();
    let store = MemoryStore::new();
    let deps = Deps {
        auth: app.auth.clone(),
        oauth: app.oauth.clone(),
        tools: app.tools.clone(),
        sessions: Arc::new(store.clone()),
        handoffs: Arc::new(store.clone()),
        limiter: Arc::new(store),
        idempotency: Arc::new(MemoryIdempotencyStore::new()),
    };
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve_with(settings, deps, listener, shutdown.clone()));
    Served {
        addr,
        shutdown,
        server,
    }
}

fn with_limits(limits: Limits) -> Settings {
    let mut s = settings();
    s.limits = limits;
    s
}

/// One `GET /health` on a new connection; the whole response.
async fn health(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("answered in time")
        .expect("read");
    response
}

/// Reads until the peer closes; `Err` if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Result<Vec<u8>, ()> {
    let mut seen = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut seen)).await {
        Ok(_) => Ok(seen),
        Err(_) => Err(()),
    }
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let served = serve(with_limits(Limits {
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    }))
    .await;
    let mut slow = TcpStream::connect(served.addr).await.expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    // The rest of the headers never come: the server closes the socket
    // (hyper may first say 408) instead of waiting forever.
    let seen = closed_within(&mut slow, Duration::from_secs(5))
        .await
        .expect("the slow connection was closed");
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.is_empty() || seen.starts_with("HTTP/1.1 408"),
        "{seen}"
    );
    assert!(health(served.addr).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let served = serve(with_limits(Limits {
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    }))
    .await;
    let mut stream = TcpStream::connect(served.addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let mut first = vec![0u8; 4096];
    let n = stream.read(&mut first).await.expect("read");
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    // Kept alive, then idle: closed by the same timer.
    closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection was closed");
}

#[tokio::test]
async fn health_still_answers_while_300_idle_connections_are_open() {
    let served = serve(settings()).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(served.addr).await.expect("connect"));
    }
    let answer = health(served.addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(idle);
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_until_one_closes() {
    let served = serve(with_limits(Limits {
        max_connections: 2,
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    }))
    .await;
    let idle = [
        TcpStream::connect(served.addr).await.expect("connect"),
        TcpStream::connect(served.addr).await.expect("connect"),
    ];
    // The third is accepted only once an idle one times out, and then it
    // is answered: bounded, not refused.
    let answer = health(served.addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(idle);
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_configured_hosts_are_allowed() {
    let mut s = settings();
    s.allowed_hosts = vec!["mcp.internal".to_owned()];
    let app = app_with(s, MemoryStore::new());
    let with_host = |host: &str| {
        let mut request = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
        request
            .headers_mut()
            .insert("host", host.parse().expect("header"));
        request
    };
    let refused = send(&app.router, with_host("rebound.attacker.example")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let message = refused.json()["error"]["message"].to_string();
    assert!(
        message.contains("rebound.attacker.example") && message.contains("PORTICO_ALLOWED_HOSTS"),
        "{message}"
    );
    for ok in ["portico.example.com", "mcp.internal:8080", "127.0.0.1:9999"] {
        let reply = send(&app.router, with_host(ok)).await;
        assert_eq!(reply.status, StatusCode::OK, "{ok}: {:?}", reply.json());
    }
    // Liveness probes come with whatever Host the orchestrator uses.
    let probe = Request::get("/health")
        .header("host", "10.0.0.7:8080")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&app.router, probe).await.status, StatusCode::OK);
}

fn call_body(name: &str) -> serde_json::Value {
    request(5, "tools/call", json!({"name": name, "arguments": {}}))
}

#[tokio::test]
async fn a_principal_with_too_many_calls_in_flight_gets_429() {
    let app = app_with(
        with_limits(Limits {
            max_calls_per_principal: 1,
            ..Limits::default()
        }),
        MemoryStore::new(),
    );
    let session = open_session(&app.router, ALICE).await;
    let router = app.router.clone();
    let slow_session = session.clone();
    let slow = tokio::spawn(async move {
        send(
            &router,
            mcp_post(Some(ALICE), Some(&slow_session), &call_body("slow")),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = send(
        &app.router,
        mcp_post(Some(ALICE), Some(&session), &call_body("get_item")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(
        refused.json()["error"]["message"]
            .to_string()
            .contains("at most 1 at once"),
        "{:?}",
        refused.json()
    );
    // Another principal is not held up.
    let bob = open_session(&app.router, BOB).await;
    let reply = send(
        &app.router,
        mcp_post(Some(BOB), Some(&bob), &call_body("busy")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(slow.await.expect("task").status, StatusCode::OK);
    // And once the slow call is done, the slot is free again.
    let again = send(
        &app.router,
        mcp_post(Some(ALICE), Some(&session), &call_body("busy")),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_408() {
    let app = app_with(
        with_limits(Limits {
            request_timeout: Duration::from_secs(1),
            ..Limits::default()
        }),
        MemoryStore::new(),
    );
    let session = open_session(&app.router, ALICE).await;
    let reply = send(
        &app.router,
        mcp_post(Some(ALICE), Some(&session), &call_body("slow")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn a_client_that_sends_its_body_too_slowly_gets_408() {
    let served = serve(with_limits(Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    }))
    .await;
    let mut stream = TcpStream::connect(served.addr).await.expect("connect");
    // Headers promise 100 bytes; only a few ever come.
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Content-Length: 100\r\n\r\n{{\"jsonrpc\""
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut seen = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut seen))
        .await
        .expect("answered before the client gave up")
        .expect("read");
    let response = String::from_utf8_lossy(&seen[..read]);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let served = serve(settings()).await;
    let opened = post(served.addr, None, &initialize_body("2025-11-25")).await;
    let session = header_of(&opened, "mcp-session-id").expect("a session");
    let reply = post(served.addr, Some(&session), &call_body("panic")).await;
    assert!(reply.starts_with("HTTP/1.1 500"), "{reply}");
    assert!(reply.contains("-32603"), "{reply}");
    assert!(!reply.contains("a bug in a handler"), "{reply}");
    // The same server, and the same session, go on.
    assert!(health(served.addr).await.starts_with("HTTP/1.1 200"));
    let next = post(served.addr, Some(&session), &call_body("busy")).await;
    assert!(next.starts_with("HTTP/1.1 200"), "{next}");
}

#[tokio::test]
async fn shutdown_turns_readiness_off_first_and_lets_calls_finish() {
    let mut served = serve(with_limits(Limits {
        shutdown_delay: Duration::from_millis(500),
        ..Limits::default()
    }))
    .await;
    let opened = post(served.addr, None, &initialize_body("2025-11-25")).await;
    let session = header_of(&opened, "mcp-session-id").expect("a session");
    let addr = served.addr;
    let in_flight =
        tokio::spawn(async move { post(addr, Some(&session), &call_body("slow")).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    served.shutdown.cancel();
    let mut stream = TcpStream::connect(served.addr).await.expect("connect");
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("shutting down"), "{response}");
    let result = served.stopped(Duration::from_secs(8)).await;
    assert!(result.is_ok(), "{result:?}");
    // The call that was running when shutdown began finished normally, and
    // after the delay nothing new is accepted.
    let finished = in_flight.await.expect("task");
    assert!(finished.starts_with("HTTP/1.1 200"), "{finished}");
    assert!(finished.contains("done slowly"), "{finished}");
    assert!(TcpStream::connect(served.addr).await.is_err());
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method("OPTIONS")
        .uri("/mcp")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, mcp-session-id",
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn browsers_on_allowed_origins_get_cors_and_others_get_none() {
    let app = app();
    // The preflight needs no token.
    let ok = send(&app.router, preflight("http://localhost:6274")).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://localhost:6274")
    );
    let allowed = ok
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(allowed.contains("Mcp-Session-Id") && allowed.contains("Authorization"));
    assert!(
        ok.header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST") && m.contains("DELETE"))
    );

    // A refusal is readable too, challenge included, so a browser client
    // can start OAuth.
    let mut request = mcp_post(None, None, &initialize_body("2025-11-25"));
    request
        .headers_mut()
        .insert("origin", "http://localhost:6274".parse().expect("header"));
    let unauthorized = send(&app.router, request).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("http://localhost:6274")
    );
    let exposed = unauthorized
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(exposed.contains("WWW-Authenticate") && exposed.contains("Mcp-Session-Id"));

    let evil = send(&app.router, preflight("https://evil.example")).await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(evil.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let app = app();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut builder = Request::post("/mcp")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", format!("Bearer {ALICE}"));
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let request = builder
            .body(Body::from(initialize_body("2025-11-25").to_string()))
            .expect("request");
        let reply = send(&app.router, request).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(
            reply.json()["error"]["message"]
                .to_string()
                .contains("application/json")
        );
    }
    let mut ok = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
    ok.headers_mut().insert(
        "content-type",
        "application/json; charset=utf-8".parse().expect("header"),
    );
    assert_eq!(send(&app.router, ok).await.status, StatusCode::OK);
}
