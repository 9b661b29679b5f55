//! Bearer authentication of MCP requests: the token comes from the
//! `Authorization` header only, is introspected through the auth service,
//! and the answer is cached for a short time keyed by the token's SHA-256
//! (the plaintext token is never kept as a key nor logged).
//!
//! Failed authentications are throttled per source address, counted in the
//! shared store so the bound holds across replicas: once an address has
//! sent `PORTICO_AUTH_FAILURES_PER_MINUTE` unknown or expired tokens in a
//! minute, every request of it that would need the auth service gets 429
//! with `Retry-After` until the minute ends, without asking the auth
//! service; a token this replica verified within the last
//! [`CACHE_TTL`] still passes (it costs the auth service nothing). The
//! address is the TCP peer, or, when the peer is one of
//! `PORTICO_TRUSTED_PROXIES`, the nearest address in `X-Forwarded-For` that
//! is not; IPv6 addresses count per /64, the block one host usually holds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_proto::auth::Principal;
use portico_proto::error::{ErrorCode, ServiceError};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::config::IpRange;
use crate::errors::{HttpError, Unauthorized};
use crate::ratelimit::{SessionLookup, ceil_secs};
use crate::state::AppState;
use crate::store::{Admission, Limit};

/// How long an introspection answer is trusted. The tools service caches
/// its own answer as long, so a revoked token keeps working for at most
/// twice this on any replica: well within the 5 seconds revocation
/// promises. In exchange the hot path makes at most one gRPC call per token
/// per TTL.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(2);
/// Upper bound on cached tokens, so a flood of tokens cannot grow memory.
pub(crate) const CACHE_CAPACITY: usize = 10_000;
/// The window of the failed-authentication count per source address.
const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// The name of that counter in the address's partition.
const AUTH_FAILURES: &str = "auth-failures";

/// The authenticated caller of one request, put in request extensions.
#[derive(Clone)]
pub(crate) struct Caller {
    /// The Portico token as presented, forwarded to the tools service.
    pub(crate) token: Arc<str>,
    /// Who the token stands for.
    pub(crate) principal: Arc<Principal>,
    /// The legacy session the request names (`Mcp-Session-Id`), looked up by
    /// the rate limiter in the same store call as the limit; `None` until
    /// then, or when the request names none.
    pub(crate) session: Option<Arc<SessionLookup>>,
}

impl std::fmt::Debug for Caller {
    // Hand-written so the token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("subject", &self.principal.subject)
            .finish_non_exhaustive()
    }
}

/// Recent positive introspection answers. Only active tokens are cached:
/// caching refusals would let a stream of random tokens evict real ones.
#[derive(Default)]
pub(crate) struct IntrospectionCache {
    entries: Mutex<HashMap<TokenHash, CacheEntry>>,
}

/// SHA-256 of a token.
type TokenHash = [u8; 32];
/// Valid until, and for whom.
type CacheEntry = (Instant, Arc<Principal>);

impl IntrospectionCache {
    fn get(&self, key: &[u8; 32]) -> Option<Arc<Principal>> {
        let entries = self.entries.lock().ok()?;
        let (until, principal) = entries.get(key)?;
        (Instant::now() < *until).then(|| principal.clone())
    }

    fn put(&self, key: [u8; 32], principal: Arc<Principal>, ttl: Duration) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let now = Instant::now();
        if entries.len() >= CACHE_CAPACITY {
            entries.retain(|_, (until, _)| *until > now);
            if entries.len() >= CACHE_CAPACITY {
                // Still full of live entries: start over rather than scan for
                // the oldest; the cost is one introspection per token.
                entries.clear();
            }
        }
        entries.insert(key, (now + ttl, principal));
    }
}

/// The bearer token of a request, or why there is none.
pub(crate) fn bearer_token<'a>(
    headers: &'a HeaderMap,
    query: Option<&str>,
) -> Result<&'a str, Unauthorized> {
    if query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    }) {
        return Err(Unauthorized::TokenInQuery);
    }
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Unauthorized::MissingToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(Unauthorized::MissingToken)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Unauthorized::MissingToken);
    }
    Ok(token)
}

/// Resolves a token to its principal, through the cache. A token not in
/// the cache from a `source` address over its failure budget is refused
/// with 429 before the auth service is asked; an unknown token counts
/// against that budget.
pub(crate) async fn authenticate(
    state: &AppState,
    token: &str,
    source: Option<&str>,
) -> Result<Arc<Principal>, HttpError> {
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(principal) = state.introspection.get(&key) {
        return Ok(principal);
    }
    let limits = source.map(|_| failure_limit(state));
    if let (Some(source), Some(limits)) = (source, &limits) {
        // Cost 0: would one more failure still be within the budget?
        let peek = Admission {
            partition: source,
            cost: 0,
            limits,
            session: None,
        };
        match state.deps.limiter.admit(&peek).await {
            Ok(admitted) if admitted.allowed() => {}
            Ok(admitted) => {
                let limit = state.settings.limits.auth_failures_per_minute;
                tracing::info!(
                    limit,
                    "failed authentications throttled for a source address"
                );
                let reset = admitted
                    .decisions
                    .first()
                    .map_or(AUTH_FAILURE_WINDOW, |d| d.reset_after);
                crate::metrics::rate_limited("failed_auth");
                return Err(HttpError::AuthThrottled {
                    limit,
                    retry_after_secs: ceil_secs(reset),
                });
            }
            Err(err) => {
                tracing::error!(error = %err, "failed-authentication count unavailable");
                return Err(HttpError::StoreUnavailable);
            }
        }
    }
    let outcome = introspect(state, token, key).await;
    if let (Err(HttpError::Unauthorized { .. }), Some(source), Some(limits)) =
        (&outcome, source, &limits)
    {
        let failure = Admission {
            partition: source,
            cost: 1,
            limits,
            session: None,
        };
        // The refusal stands whatever the store says; an uncounted failure
        // only loosens the throttle.
        if let Err(err) = state.deps.limiter.admit(&failure).await {
            tracing::warn!(error = %err, "could not count a failed authentication");
        }
    }
    outcome
}

fn failure_limit(state: &AppState) -> [Limit; 1] {
    [Limit {
        name: AUTH_FAILURES,
        limit: state.settings.limits.auth_failures_per_minute,
        window: AUTH_FAILURE_WINDOW,
    }]
}

/// Asks the auth service about a token not in the cache, and caches an
/// active answer.
async fn introspect(
    state: &AppState,
    token: &str,
    key: TokenHash,
) -> Result<Arc<Principal>, HttpError> {
    let answer = match state.deps.auth.introspect(token).await {
        Ok(Some(answer)) if !answer.principal.subject.is_empty() => answer,
        Ok(_) => return Err(unauthorized(state, Unauthorized::InvalidToken)),
        Err(err) => return Err(introspection_failed(state, &err)),
    };
    let principal = Arc::new(answer.principal);
    let ttl = match remaining_lifetime(answer.expires_at.unwrap_or(0)) {
        Some(left) if left.is_zero() => {
            return Err(unauthorized(state, Unauthorized::InvalidToken));
        }
        Some(left) => left.min(CACHE_TTL),
        None => CACHE_TTL,
    };
    state.introspection.put(key, principal.clone(), ttl);
    Ok(principal)
}

/// The partition failed authentications of `request` count in: its source
/// address (see the module comment), or `None` when the request did not
/// come through the listener (in-process tests), which is not throttled.
fn source_partition(request: &Request, trusted: &[IpRange]) -> Option<String> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    let address = source_address(peer.ip(), request.headers(), trusted);
    Some(match address {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << 64);
            format!("ip:{}/64", Ipv6Addr::from(bits))
        }
    })
}

/// The client's address: `peer`, unless `peer` is a trusted proxy; then the
/// nearest `X-Forwarded-For` hop (reading from the right) that is not
/// trusted. A hop that does not parse ends the walk at the last good one,
/// so a client cannot pick its own address by sending a malformed header.
pub(crate) fn source_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|range| range.contains(*ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// Time until `expires_at` (unix seconds), `None` if it never expires.
fn remaining_lifetime(expires_at: i64) -> Option<Duration> {
    if expires_at <= 0 {
        return None;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Some(Duration::from_secs(
        u64::try_from(expires_at)
            .unwrap_or_default()
            .saturating_sub(now),
    ))
}

/// Maps an introspection failure: an error status is never a verdict on the
/// token, except that the auth service may reject a malformed one outright.
fn introspection_failed(state: &AppState, err: &ServiceError) -> HttpError {
    let code = err.code;
    match code {
        ErrorCode::InvalidArgument | ErrorCode::Unauthenticated | ErrorCode::NotFound => {
            unauthorized(state, Unauthorized::InvalidToken)
        }
        ErrorCode::PermissionDenied
        | ErrorCode::Conflict
        | ErrorCode::RateLimited
        | ErrorCode::FailedPrecondition
        | ErrorCode::Unavailable
        | ErrorCode::Internal => {
            tracing::warn!(
                code = code.as_str(),
                message = %err.message,
                "token introspection failed"
            );
            HttpError::AuthUnavailable
        }
    }
}

pub(crate) fn unauthorized(state: &AppState, reason: Unauthorized) -> HttpError {
    HttpError::Unauthorized {
        reason,
        resource_metadata: state.settings.resource_metadata_url(),
    }
}

/// Middleware: authenticates the request and records the caller.
pub(crate) async fn require_bearer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = match bearer_token(request.headers(), request.uri().query()) {
        Ok(token) => Arc::<str>::from(token),
        Err(reason) => return unauthorized(&state, reason).into_response(),
    };
    let source = source_partition(&request, &state.settings.trusted_proxies);
    let principal = match authenticate(&state, &token, source.as_deref()).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    tracing::Span::current().record("subject", principal.subject.as_str());
    request.extensions_mut().insert(Caller {
        token,
        principal,
        session: None,
    });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn token_only_from_the_bearer_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            bearer_token(&headers, None),
            Err(Unauthorized::MissingToken)
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(
            bearer_token(&headers, None),
            Err(Unauthorized::MissingToken)
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer_token(&headers, None), Ok("abc"));
        assert_eq!(
            bearer_token(&headers, Some("x=1&access_token=abc")),
            Err(Unauthorized::TokenInQuery)
        );
        assert_eq!(bearer_token(&headers, Some("x=1")), Ok("abc"));
    }

    #[test]
    fn source_is_the_peer_unless_it_is_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let trusted = [IpRange::parse("10.0.0.0/8").expect("range")];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.1.1.1"),
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            source_address(ip("192.0.2.1"), &headers, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            source_address(ip("10.0.0.2"), &headers, &[]),
            ip("10.0.0.2")
        );
        // Through trusted hops to the nearest untrusted one, not the leftmost
        // (which the client wrote itself).
        assert_eq!(
            source_address(ip("10.0.0.2"), &headers, &trusted),
            ip("198.51.100.7")
        );
        // A malformed hop stops the walk at the last good one.
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, garbage, 10.1.1.1"),
        );
        assert_eq!(
            source_address(ip("10.0.0.2"), &headers, &trusted),
            ip("10.1.1.1")
        );
        // Mapped IPv4 peers are IPv4.
        assert_eq!(
            source_address(ip("::ffff:192.0.2.1"), &HeaderMap::new(), &trusted),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn ipv6_sources_count_per_64() {
        let partition = |peer: &str| {
            let mut request = Request::new(axum::body::Body::empty());
            let addr: SocketAddr = peer.parse().expect("addr");
            request.extensions_mut().insert(ConnectInfo(addr));
            source_partition(&request, &[])
        };
        assert_eq!(
            partition("[2001:db8:1:2:3:4:5:6]:443").as_deref(),
            Some("ip:2001:db8:1:2::/64")
        );
        assert_eq!(
            partition("[2001:db8:1:2:ffff::1]:80"),
            partition("[2001:db8:1:2::9]:80")
        );
        assert_eq!(partition("192.0.2.1:5000").as_deref(), Some("ip:192.0.2.1"));
        let without_peer = Request::new(axum::body::Body::empty());
        assert_eq!(source_partition(&without_peer, &[]), None);
    }

    #[tokio::test(start_paused = true)]
    async fn cache_entries_expire() {
        let cache = IntrospectionCache::default();
        let principal = Arc::new(Principal {
            subject: "token:1".into(),
            ..Principal::default()
        });
        cache.put([1; 32], principal, CACHE_TTL);
        assert!(cache.get(&[1; 32]).is_some());
        tokio::time::advance(CACHE_TTL + Duration::from_millis(1)).await;
        assert!(cache.get(&[1; 32]).is_none());
    }
}
