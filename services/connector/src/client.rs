//! The HTTP side of the connector: one shared `reqwest::Client` (connection
//! pool, HTTP/2 where Podio offers it), the `OAuth2` header, query encoding,
//! bounded retries of safe calls and the per-attempt log line.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use tracing::Instrument as _;

use crate::config::{Config, check_base_url};
use crate::errors::ConnectorError;
use crate::request::ApiRequest;
use portico_runtime::secret::Secret;

/// How long establishing a TCP (and TLS) connection to Podio may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between two retries, whatever the attempt number.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Largest response body accepted, so one odd answer cannot exhaust memory.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Podio's answer to one call, whatever its status.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
    /// `X-Rate-Limit-Limit`, -1 if absent.
    pub rate_limit_limit: i64,
    /// `X-Rate-Limit-Remaining`, -1 if absent.
    pub rate_limit_remaining: i64,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

/// The shared HTTP client and the Podio base URL.
#[derive(Debug, Clone)]
pub(crate) struct PodioHttp {
    client: reqwest::Client,
    /// The base URL without its trailing slash, so `base + path` is exact.
    base: String,
    max_retries: u32,
    backoff: Duration,
}

impl PodioHttp {
    /// Builds the client for `config`.
    pub fn new(config: &Config) -> Result<Self, ConnectorError> {
        check_base_url(&config.podio_api_url).map_err(|expected| {
            ConnectorError::InvalidBaseUrl {
                url: config.podio_api_url.clone(),
                expected: expected.to_owned(),
            }
        })?;
        // reqwest is built without a default crypto provider; installing one
        // that is already installed is harmless, so every constructor does it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("portico-connector/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(config.timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            // A redirect would be a surprise from an API; never follow one
            // with the Authorization header attached.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConnectorError::HttpClient)?;
        Ok(Self {
            client,
            base: config.podio_api_url.trim_end_matches('/').to_owned(),
            max_retries: config.max_retries,
            backoff: config.retry_backoff,
        })
    }

    /// The absolute URL of an already validated `path`.
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `request` with `token`, retrying a GET on connection errors,
    /// timeouts and 502/503/504 at most `max_retries` times. Other methods are
    /// sent once: Podio writes are not idempotent.
    pub async fn send(
        &self,
        request: &ApiRequest,
        token: &Secret,
    ) -> Result<Reply, ConnectorError> {
        let retryable = request.method == Method::GET;
        let mut attempt: u32 = 0;
        loop {
            let started = Instant::now();
            let outcome = self.send_once(request, token).await;
            crate::metrics::upstream(
                outcome.as_ref().map_or(0, |reply| reply.status.as_u16()),
                started.elapsed(),
                outcome
                    .as_ref()
                    .ok()
                    .map(|reply| reply.rate_limit_remaining)
                    .filter(|remaining| *remaining >= 0),
            );
            let latency_ms = started.elapsed().as_millis() as u64;
            let may_retry = retryable && attempt < self.max_retries;
            match outcome {
                Ok(reply) => {
                    let status = reply.status.as_u16();
                    let transient = matches!(status, 502..=504);
                    if transient && may_retry {
                        tracing::warn!(method = %request.method, path = %request.path, status, latency_ms, attempt, "podio call failed; retrying");
                    } else {
                        if reply.status.is_success() {
                            tracing::debug!(method = %request.method, path = %request.path, status, latency_ms, attempt, "podio call");
                        } else {
                            tracing::info!(method = %request.method, path = %request.path, status, latency_ms, attempt, "podio call answered an error");
                        }
                        return Ok(reply);
                    }
                }
                Err(error) => {
                    let status = 0u16;
                    if may_retry {
                        tracing::warn!(method = %request.method, path = %request.path, status, latency_ms, attempt, %error, "podio call failed; retrying");
                    } else {
                        tracing::warn!(method = %request.method, path = %request.path, status, latency_ms, attempt, %error, "podio call failed");
                        return Err(error);
                    }
                }
            }
            tokio::time::sleep(backoff(self.backoff, attempt)).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        request: &ApiRequest,
        token: &Secret,
    ) -> Result<Reply, ConnectorError> {
        let mut authorization = HeaderValue::from_str(&format!("OAuth2 {}", token.expose()))
            .map_err(|_| ConnectorError::Transport {
                message: "podio issued an access token that is not a valid header value".to_owned(),
                timed_out: false,
            })?;
        // Keeps the token out of HTTP/2 header compression tables and Debug output.
        authorization.set_sensitive(true);
        let mut builder = self
            .client
            .request(request.method.clone(), self.url(&request.path))
            .header(AUTHORIZATION, authorization);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut outgoing = builder.build().map_err(transport_error)?;
        // The upstream call is a hop of its own in the trace, and Podio (or a
        // proxy before it) may join it.
        let span = tracing::info_span!(
            "podio_request",
            otel.kind = "client",
            http.method = %request.method,
            http.path = %request.path,
            http.status = tracing::field::Empty,
        );
        span.in_scope(|| portico_runtime::trace::inject(outgoing.headers_mut()));
        let response = self
            .client
            .execute(outgoing)
            .instrument(span.clone())
            .await
            .map_err(transport_error)?;
        span.record("http.status", response.status().as_u16());
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_body(response).await?;
        Ok(Reply {
            status,
            body,
            rate_limit_limit: header_i64(&headers, "x-rate-limit-limit"),
            rate_limit_remaining: header_i64(&headers, "x-rate-limit-remaining"),
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

/// Reads the body chunk by chunk so an oversized answer is cut off early.
async fn read_body(mut response: reqwest::Response) -> Result<String, ConnectorError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ConnectorError::Transport {
                message: format!(
                    "podio answered with a body over {} MiB",
                    MAX_BODY_BYTES / 1024 / 1024
                ),
                timed_out: false,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A transport failure as a connector error. reqwest's message includes the
/// URL, which holds no secrets (tokens travel in a header).
fn transport_error(error: reqwest::Error) -> ConnectorError {
    let timed_out = error.is_timeout();
    let message = if timed_out {
        "podio did not answer in time".to_owned()
    } else {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    };
    ConnectorError::Transport { message, timed_out }
}

fn header_i64(headers: &HeaderMap, name: &str) -> i64 {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

/// The wait before retry number `attempt + 1`: `base` doubled per attempt,
/// capped, plus up to 20% jitter so many callers do not retry in lockstep.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let doubled = base.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    let delay = doubled.min(MAX_BACKOFF);
    let jitter_ms = (delay.as_millis() / 5) as u64;
    let jitter = if jitter_ms == 0 {
        0
    } else {
        rand::random_range(0..=jitter_ms)
    };
    delay + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jitters_a_little() {
        let base = Duration::from_millis(100);
        for (attempt, low) in [(0, 100), (1, 200), (2, 400), (10, 2000)] {
            let d = backoff(base, attempt).as_millis() as u64;
            assert!(d >= low && d <= low + low / 5, "attempt {attempt}: {d}ms");
        }
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }
}
