//! A simulator served on a loopback port (`podio_sim::serve` on port 0) and
//! a minimal HTTP/1.1 client for it, so tests can cross a real socket the
//! way Portico and browsers do. The client sends `Connection: close` and
//! reads the response to its end; it never follows redirects.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use podio_sim::{Config, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::{Client, Resp};

/// A simulator listening on `127.0.0.1:<port>`; stops when dropped.
pub struct HttpSim {
    addr: std::net::SocketAddr,
    shutdown: CancellationToken,
}

impl HttpSim {
    pub async fn start(config: Config) -> HttpSim {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(config, listener, shutdown.clone()));
        HttpSim { addr, shutdown }
    }
}

impl Drop for HttpSim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Client for HttpSim {
    async fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        if let Some(token) = token {
            head.push_str(&format!("Authorization: OAuth2 {token}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(&body).await.expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let code = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).expect("header name"),
            HeaderValue::from_str(value.trim()).expect("header value"),
        );
    }
    let body = &raw[split + 4..];
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Resp::decode(StatusCode::from_u16(code).expect("status"), headers, &body)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = std::str::from_utf8(&body[..eol]).expect("chunk size");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
}
