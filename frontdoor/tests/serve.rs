//! `serve_with` on a real loopback listener: it answers, and it returns
//! promptly once shutdown is requested.

mod support;

use std::sync::Arc;
use std::time::Duration;

use portico_frontdoor::store::idempotency::memory::MemoryIdempotencyStore;
use portico_frontdoor::store::memory::MemoryStore;
use portico_frontdoor::{Deps, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn serves_on_a_listener_and_shuts_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let test_app = support::app();
    let store = MemoryStore::new();
    let deps = Deps {
        auth: test_app.auth.clone(),
        oauth: test_app.oauth.clone(),
        tools: test_app.tools.clone(),
        sessions: Arc::new(store.clone()),
        handoffs: Arc::new(store.clone()),
        limiter: Arc::new(store),
        idempotency: Arc::new(MemoryIdempotencyStore::new()),
    };
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve_with(
        support::settings(),
        deps,
        listener,
        shutdown.clone(),
    ));

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"healthy\""), "{response}");

    shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve_with returns after shutdown")
        .expect("task");
    assert!(result.is_ok(), "{result:?}");
}
