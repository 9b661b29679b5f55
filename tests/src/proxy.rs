//! A TCP proxy a test puts between a service and one of its dependencies
//! (Redis, Postgres, a gRPC service, Podio) to cut, slow or restore that
//! link, so outages are tried without touching the machine's shared
//! servers.
//!
//! Cutting closes every open connection and refuses new ones (the peer sees
//! connection refused / reset, as when a server dies); slowing holds each
//! chunk back in both directions; restoring lets connections through again.
//! A proxy can also be pointed at a new address, as a restarted service
//! comes back elsewhere.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How a proxy treats its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Bytes pass as they come.
    Up,
    /// Each chunk is held back this long in each direction.
    Slow(Duration),
    /// Open connections are closed and new ones are closed at once.
    Cut,
}

/// Longest a proxied connection waits to reach its upstream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    link: watch::Sender<Link>,
    upstream: Arc<Mutex<SocketAddr>>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// A proxy on a loopback port of its own, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (link, watching) = watch::channel(Link::Up);
        let upstream = Arc::new(Mutex::new(upstream));
        let stop = CancellationToken::new();
        tokio::spawn(accept(
            listener,
            watching,
            upstream.clone(),
            stop.child_token(),
        ));
        Ok(FaultProxy {
            addr,
            link,
            upstream,
            stop,
        })
    }

    /// The address services should use instead of the upstream's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets how the link behaves from now on (open connections included).
    pub fn set(&self, link: Link) {
        self.link.send_replace(link);
    }

    /// Cuts the link: see [`Link::Cut`].
    pub fn cut(&self) {
        self.set(Link::Cut);
    }

    /// Restores the link: see [`Link::Up`].
    pub fn restore(&self) {
        self.set(Link::Up);
    }

    /// Forwards new connections to `upstream` from now on.
    pub fn retarget(&self, upstream: SocketAddr) {
        *self.upstream.lock().unwrap_or_else(PoisonError::into_inner) = upstream;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept(
    listener: TcpListener,
    link: watch::Receiver<Link>,
    upstream: Arc<Mutex<SocketAddr>>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else {
            continue;
        };
        if *link.borrow() == Link::Cut {
            drop(client);
            continue;
        }
        let target = *upstream.lock().unwrap_or_else(PoisonError::into_inner);
        tokio::spawn(relay(client, target, link.clone(), stop.clone()));
    }
}

/// Carries one connection until either side closes, the link is cut or
/// the proxy stops.
async fn relay(
    client: TcpStream,
    target: SocketAddr,
    mut link: watch::Receiver<Link>,
    stop: CancellationToken,
) {
    let Ok(Ok(server)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await
    else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, link.clone());
    let down = pump(server_read, client_write, link.clone());
    let cut = async {
        while link.changed().await.is_ok() {
            if *link.borrow() == Link::Cut {
                return;
            }
        }
        // The proxy is gone: stop too.
    };
    tokio::select! {
        () = stop.cancelled() => {}
        () = cut => {}
        _ = async { tokio::join!(up, down) } => {}
    }
    // Dropping both halves closes both connections.
}

/// Copies `from` to `to`, holding each chunk back while the link is slow.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: watch::Receiver<Link>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let current = *link.borrow();
        if let Link::Slow(delay) = current {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut buffer).await {
                        if n == 0 || socket.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        stream.write_all(b"ping").await?;
        let mut answer = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut answer))
            .await
            .map_err(|_| std::io::Error::other("timed out"))??;
        Ok(answer.to_vec())
    }

    #[tokio::test]
    async fn passes_bytes_cuts_open_connections_and_restores() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("proxy");
        let mut open = TcpStream::connect(proxy.addr()).await.expect("connect");
        assert_eq!(round_trip(&mut open).await.expect("echo"), b"ping");

        proxy.cut();
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), open.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "an open connection is closed by a cut");
        let mut fresh = TcpStream::connect(proxy.addr()).await.expect("accepted");
        assert!(round_trip(&mut fresh).await.is_err(), "and a new one too");

        proxy.restore();
        let mut again = TcpStream::connect(proxy.addr()).await.expect("connect");
        assert_eq!(round_trip(&mut again).await.expect("echo"), b"ping");
    }

    #[tokio::test]
    async fn slows_and_retargets() {
        let proxy = FaultProxy::start(echo_server().await).await.expect("proxy");
        proxy.set(Link::Slow(Duration::from_millis(300)));
        let mut stream = TcpStream::connect(proxy.addr()).await.expect("connect");
        let started = std::time::Instant::now();
        round_trip(&mut stream).await.expect("echo");
        assert!(
            started.elapsed() >= Duration::from_millis(600),
            "held back each way"
        );

        proxy.restore();
        proxy.retarget(echo_server().await);
        let mut elsewhere = TcpStream::connect(proxy.addr()).await.expect("connect");
        assert_eq!(round_trip(&mut elsewhere).await.expect("echo"), b"ping");
    }
}
