//! Authentication and authorization of tool calls: the caller's bearer token
//! (from the request metadata on gRPC) is introspected by the auth service (through a short
//! cache) into a principal, whose scopes decide which tools it may call.

pub mod cache;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_proto::auth::{Principal, TokenIntrospector};
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::vocab::Scope;
use tokio::time::Instant;

use crate::error::ToolError;
use cache::{DEFAULT_CAPACITY, DEFAULT_TTL, IntrospectionCache, token_key};

/// Turns request metadata into an authenticated principal.
#[derive(Clone)]
pub struct Authenticator {
    auth: Arc<dyn TokenIntrospector>,
    cache: Arc<Mutex<IntrospectionCache>>,
}

impl Authenticator {
    /// An authenticator asking `auth`, with the default cache (2 s, 10k
    /// tokens).
    pub fn new(auth: Arc<dyn TokenIntrospector>) -> Self {
        Authenticator {
            auth,
            cache: Arc::new(Mutex::new(IntrospectionCache::new(
                DEFAULT_TTL,
                DEFAULT_CAPACITY,
            ))),
        }
    }

    /// The principal behind `token` (the bearer token, if any).
    /// UNAUTHENTICATED without a token or with an inactive one.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Principal, ToolError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ToolError::Unauthenticated(
                "missing bearer token: send the metadata \"authorization: Bearer <portico token>\"",
            ))?;
        let key = token_key(token);
        let cached = self.lock().get(&key, Instant::now());
        crate::metrics::token_lookup(cached.is_some());
        let principal = match cached {
            Some(result) => result,
            None => {
                let (result, valid_for) = self.introspect(token).await?;
                self.lock()
                    .insert(key, result.clone(), Instant::now(), valid_for);
                result
            }
        };
        principal.ok_or(ToolError::Unauthenticated(
            "the bearer token is not active: it is unknown, revoked or expired",
        ))
    }

    /// Asks the auth service; returns the principal (if active) and how long
    /// the answer may be trusted when the token expires before the cache TTL.
    async fn introspect(
        &self,
        token: &str,
    ) -> Result<(Option<Principal>, Option<Duration>), ToolError> {
        let answer = match self.auth.introspect(token).await {
            Ok(Some(answer)) => answer,
            Ok(None) => return Ok((None, None)),
            Err(err) => return Err(auth_error(&err)),
        };
        let valid_for = answer.expires_at.map(|expires_at| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            Duration::from_secs(u64::try_from(expires_at).unwrap_or(0).saturating_sub(now))
        });
        let principal = answer.principal;
        Ok((Some(principal), valid_for))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IntrospectionCache> {
        // The cache holds no invariant a panicking holder could break.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Fails with PERMISSION_DENIED unless `principal` holds `scope`.
pub fn require_scope(principal: &Principal, tool: &str, scope: Scope) -> Result<(), ToolError> {
    if principal.scopes().any(|s| s == scope) {
        Ok(())
    } else {
        Err(ToolError::MissingScope {
            tool: tool.to_owned(),
            scope: scope.name().to_owned(),
        })
    }
}

fn auth_error(err: &ServiceError) -> ToolError {
    match err.code {
        ErrorCode::Unavailable => {
            ToolError::Unavailable("the auth service is unavailable; retry shortly".to_owned())
        }
        ErrorCode::NotFound
        | ErrorCode::InvalidArgument
        | ErrorCode::Unauthenticated
        | ErrorCode::PermissionDenied
        | ErrorCode::Conflict
        | ErrorCode::RateLimited
        | ErrorCode::FailedPrecondition
        | ErrorCode::Internal => ToolError::Internal(format!(
            "token introspection failed: {}: {}",
            err.code.as_str(),
            err.message
        )),
    }
}
