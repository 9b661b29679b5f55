//! Bearer authentication of MCP requests: the token comes from the
//! `Authorization` header only, is introspected through the auth service,
//! and the answer is cached for a short time keyed by the token's SHA-256
//! (the plaintext token is never kept as a key nor logged).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_proto::auth::Principal;
use portico_proto::error::{ErrorCode, ServiceError};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::errors::{HttpError, Unauthorized};
use crate::state::AppState;

/// How long an introspection answer is trusted. The tools service caches
/// its own answer as long, so a revoked token keeps working for at most
/// twice this on any replica: well within the 5 seconds revocation
/// promises. In exchange the hot path makes at most one gRPC call per token
/// per TTL.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(2);
/// Upper bound on cached tokens, so a flood of tokens cannot grow memory.
pub(crate) const CACHE_CAPACITY: usize = 10_000;

/// The authenticated caller of one request, put in request extensions.
#[derive(Clone)]
pub(crate) struct Caller {
    /// The Portico token as presented, forwarded to the tools service.
    pub(crate) token: Arc<str>,
    /// Who the token stands for.
    pub(crate) principal: Arc<Principal>,
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

/// Resolves a token to its principal, through the cache.
pub(crate) async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<Arc<Principal>, HttpError> {
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(principal) = state.introspection.get(&key) {
        return Ok(principal);
    }
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
    let principal = match authenticate(&state, &token).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    tracing::Span::current().record("subject", principal.subject.as_str());
    request.extensions_mut().insert(Caller { token, principal });
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
