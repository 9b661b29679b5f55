//! Per-principal rate limiting of MCP requests, counted in the shared store
//! so the limit holds across replicas. Successful responses carry
//! `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` so clients
//! can pace themselves before they are refused. Beside the per-window
//! count, each replica bounds the requests one principal has in flight at
//! once, so one client cannot tie up every connection and worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use futures::StreamExt as _;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use portico_proto::vocab::CredentialMode;

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::state::AppState;

/// The counting window; the limit is configured per minute.
const WINDOW: Duration = Duration::from_secs(60);
/// The window of the default credential mode's quota.
const DEFAULT_MODE_WINDOW: Duration = Duration::from_secs(3600);

/// Middleware (after authentication): counts the request against the
/// caller's subject and refuses it with 429 when over the limit.
pub(crate) async fn limit_per_subject(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // The auth layer runs first; without a caller there is nothing to count.
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return next.run(request).await;
    };
    let limit = state.settings.rate_limit_per_minute;
    let decision = match state
        .deps
        .limiter
        .check(&caller.principal.subject, limit, WINDOW)
        .await
    {
        Ok(decision) => decision,
        Err(err) => {
            tracing::error!(error = %err, "rate limit check failed");
            return HttpError::StoreUnavailable.into_response();
        }
    };
    let reset_secs = ceil_secs(decision.reset_after);
    if !decision.allowed {
        tracing::info!(subject = %caller.principal.subject, limit, "rate limited");
        return HttpError::RateLimited {
            limit,
            retry_after_secs: reset_secs,
        }
        .into_response();
    }
    // Users on the server's shared Podio key share its upstream budget, so
    // they get a small quota of their own on top (the guide's tier).
    if caller.principal.credential_mode() == CredentialMode::Default {
        let quota = state.settings.default_mode_requests_per_hour;
        let key = format!("default-mode:{}", caller.principal.subject);
        match state
            .deps
            .limiter
            .check(&key, quota, DEFAULT_MODE_WINDOW)
            .await
        {
            Ok(tier) if tier.allowed => {}
            Ok(tier) => {
                tracing::info!(subject = %caller.principal.subject, quota, "default-mode quota reached");
                return HttpError::DefaultModeQuota {
                    limit: quota,
                    retry_after_secs: ceil_secs(tier.reset_after),
                }
                .into_response();
            }
            Err(err) => {
                tracing::error!(error = %err, "rate limit check failed");
                return HttpError::StoreUnavailable.into_response();
            }
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(reset_secs));
    response
}

/// Requests in flight per principal on this replica.
#[derive(Default)]
pub(crate) struct InFlight {
    counts: Mutex<HashMap<Arc<str>, usize>>,
}

/// One request counted in [`InFlight`] until dropped.
pub(crate) struct InFlightGuard {
    map: Arc<InFlight>,
    subject: Arc<str>,
}

impl InFlight {
    /// Counts a request of `subject`, or `None` when it already has `limit`.
    fn enter(self: &Arc<Self>, subject: &str, limit: usize) -> Option<InFlightGuard> {
        let mut counts = self.counts.lock().ok()?;
        let subject: Arc<str> = Arc::from(subject);
        let count = counts.entry(subject.clone()).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(InFlightGuard {
            map: self.clone(),
            subject,
        })
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.counts.lock().map(|c| c.len()).unwrap_or(0)
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let Ok(mut counts) = self.map.counts.lock() else {
            return;
        };
        if let Some(count) = counts.get_mut(&self.subject) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                // Only principals with requests in flight take memory.
                counts.remove(&self.subject);
            }
        }
    }
}

/// Middleware (after authentication): refuses a request with 429 when its
/// principal already has the configured number in flight on this replica.
/// A streamed reply counts until its last byte is sent.
pub(crate) async fn limit_in_flight(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return next.run(request).await;
    };
    let limit = state.settings.limits.max_calls_per_principal;
    let Some(guard) = state.in_flight.enter(&caller.principal.subject, limit) else {
        tracing::info!(subject = %caller.principal.subject, limit, "too many requests in flight");
        return HttpError::TooManyInFlight { limit }.into_response();
    };
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _counted = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// Whole seconds, rounded up, at least 1 (a `Retry-After: 0` invites a
/// retry storm).
fn ceil_secs(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_counts_per_subject_and_forgets_idle_ones() {
        let map = Arc::new(InFlight::default());
        let first = map.enter("a", 2).expect("first");
        let second = map.enter("a", 2).expect("second");
        assert!(map.enter("a", 2).is_none(), "a third is refused");
        let other = map.enter("b", 2).expect("another subject is not");
        drop(first);
        let third = map.enter("a", 2).expect("a slot came free");
        drop((second, third, other));
        assert_eq!(map.tracked(), 0);
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one() {
        assert_eq!(ceil_secs(Duration::ZERO), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1500)), 2);
        assert_eq!(ceil_secs(Duration::from_secs(59)), 59);
    }
}
