//! `serve` on a real loopback socket, and its graceful shutdown.

use podio_sim::{Config, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn serves_on_a_listener_and_stops_when_cancelled() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(Config::default(), listener, shutdown.clone()));

    // The listener is bound before `serve` runs, so connecting cannot race.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /org/ HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(
        response.contains("\"error\":\"unauthorized\""),
        "{response}"
    );
    assert!(
        response.contains("\"url\":\"http://sim/org/\""),
        "{response}"
    );

    shutdown.cancel();
    server.await.expect("join").expect("serve returns ok");
}
