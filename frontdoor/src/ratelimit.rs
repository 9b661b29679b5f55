//! Per-principal rate limiting of MCP requests, counted in the shared store
//! so the limit holds across replicas. Successful responses carry
//! `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` so clients
//! can pace themselves before they are refused; a 429 carries them too, with
//! `Retry-After`. Beside the per-window count, each replica bounds the
//! requests one principal has in flight at once, so one client cannot tie
//! up every connection and worker.
//!
//! One store call per request ([`RateLimiter::admit`]: one Lua script on
//! Redis) checks and counts every tier and, when the request names an
//! `Mcp-Session-Id`, looks up and touches that session too; the session
//! rides on to the dispatch in the [`Caller`] so it is not read twice.
//!
//! Tiers, all fixed windows (see `store`): every principal has
//! `PORTICO_RATE_LIMIT_PER_MINUTE` per minute; one on the server's shared
//! Podio key (the default credential mode) also has
//! `PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR` per hour; and all the tokens of
//! one OAuth client together have `PORTICO_RATE_LIMIT_PER_CLIENT_PER_MINUTE`.
//! A request is counted in all its tiers or, when one refuses, in none.
//!
//! The client tier lives in the client's own partition (another Redis
//! Cluster slot than the principal's), so it is a second store call, made
//! at the same time as the first: the latency stays one round trip. When
//! one of the two refuses and the other admitted, the other is refunded.
//!
//! [`RateLimiter::admit`]: crate::store::RateLimiter::admit

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use futures::StreamExt as _;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use portico_proto::vocab::CredentialMode;

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::mcp::protocol::SESSION_HEADER;
use crate::state::AppState;
use crate::store::{Admission, Admitted, Decision, Limit, Session, SessionTouch, StoreError};

/// The counting window; the limit is configured per minute.
const WINDOW: Duration = Duration::from_secs(60);
/// The window of the default credential mode's quota.
const DEFAULT_MODE_WINDOW: Duration = Duration::from_secs(3600);
/// Counter names within a principal's partition.
const MINUTE: &str = "minute";
const DEFAULT_MODE_HOUR: &str = "default-mode-hour";
const CLIENT_MINUTE: &str = "client-minute";

/// What a request costs when nothing says otherwise.
const DEFAULT_COST: u64 = 1;

/// The cost of `tools/call` per tool, where it differs from
/// [`DEFAULT_COST`]. Empty on purpose: a write is one Podio call like a
/// read, against the same upstream hourly budget, so every tool costs 1
/// today. To make a tool dearer (say a search that fans out into many
/// upstream calls), add `("tool_name", cost)`. The cost is read from the
/// `Mcp-Method` / `Mcp-Name` headers of 2026-07-28, which the dispatch then
/// checks against the body (a mismatch is refused, so a client cannot
/// choose its price); legacy requests name the tool only in the body, which
/// is read after the limit, so they pay the default.
const TOOL_COSTS: &[(&str, u64)] = &[];

/// Longest `Mcp-Session-Id` worth looking up: ours are 43 characters, and
/// anything much longer names no session.
const MAX_SESSION_ID: usize = 128;

/// The legacy session a request names, as the rate limiter's store call
/// found it: the dispatch uses this instead of reading it again.
#[derive(Debug)]
pub(crate) struct SessionLookup {
    /// The `Mcp-Session-Id`, trimmed.
    pub(crate) id: String,
    /// The caller's session of that id, touched; `None` if it does not exist
    /// (or is another subject's).
    pub(crate) found: Option<Session>,
}

/// Middleware (after authentication): counts the request against the
/// caller's tiers and refuses it with 429 when over a limit.
pub(crate) async fn limit_per_subject(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // The auth layer runs first; without a caller there is nothing to count.
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return next.run(request).await;
    };
    let subject = caller.principal.subject.as_str();
    let mut limits = vec![Limit {
        name: MINUTE,
        limit: state.settings.rate_limit_per_minute,
        window: WINDOW,
    }];
    // Users on the server's shared Podio key share its upstream budget, so
    // they get a small quota of their own on top (the guide's tier).
    if caller.principal.credential_mode() == CredentialMode::Default {
        limits.push(Limit {
            name: DEFAULT_MODE_HOUR,
            limit: state.settings.default_mode_requests_per_hour,
            window: DEFAULT_MODE_WINDOW,
        });
    }
    let session_id = session_id(request.headers());
    let cost = cost(request.headers());
    let admission = Admission {
        partition: subject,
        cost,
        limits: &limits,
        session: session_id
            .as_deref()
            .filter(|id| id.len() <= MAX_SESSION_ID)
            .map(|id| SessionTouch {
                id,
                ttl: state.settings.session_ttl,
            }),
    };
    let client = client_tier(&state, &caller);
    let (admitted, client_refusal) = match &client {
        None => (state.deps.limiter.admit(&admission).await, None),
        Some((partition, client_limits)) => {
            let client_admission = Admission {
                partition,
                cost,
                limits: client_limits,
                session: None,
            };
            let (admitted, by_client) = tokio::join!(
                state.deps.limiter.admit(&admission),
                state.deps.limiter.admit(&client_admission)
            );
            settle(&state, &admission, &client_admission, admitted, by_client).await
        }
    };
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(err) => {
            tracing::error!(error = %err, "rate limit check failed");
            return HttpError::StoreUnavailable.into_response();
        }
    };
    if let Some(refusing) = client_refusal {
        crate::metrics::rate_limited("client");
        tracing::info!(
            client = %crate::mcp::protocol::clip(&caller.principal.client_id, 128),
            limit = refusing.limit,
            "oauth client rate limited"
        );
        let mut response = HttpError::ClientRateLimited {
            limit: refusing.limit,
            retry_after_secs: ceil_secs(refusing.reset_after),
        }
        .into_response();
        set_headers(response.headers_mut(), &refusing);
        return response;
    }
    let Some(&minute) = admitted.decisions.first() else {
        tracing::error!("rate limit check answered no decision");
        return HttpError::StoreUnavailable.into_response();
    };
    if let Some(index) = admitted.refused {
        let refusing = admitted.decisions.get(index).copied().unwrap_or(minute);
        let retry_after_secs = ceil_secs(refusing.reset_after);
        let refusal = match limits.get(index).map(|l| l.name) {
            Some(DEFAULT_MODE_HOUR) => {
                crate::metrics::rate_limited("default_mode_hour");
                tracing::info!(subject = %subject, quota = refusing.limit, "default-mode quota reached");
                HttpError::DefaultModeQuota {
                    limit: refusing.limit,
                    retry_after_secs,
                }
            }
            _ => {
                crate::metrics::rate_limited("minute");
                tracing::info!(subject = %subject, limit = refusing.limit, "rate limited");
                HttpError::RateLimited {
                    limit: refusing.limit,
                    retry_after_secs,
                }
            }
        };
        let mut response = refusal.into_response();
        set_headers(response.headers_mut(), &refusing);
        return response;
    }
    if let Some(id) = session_id {
        let lookup = SessionLookup {
            id,
            found: admitted.session,
        };
        request.extensions_mut().insert(Caller {
            session: Some(Arc::new(lookup)),
            ..caller
        });
    }
    let mut response = next.run(request).await;
    set_headers(response.headers_mut(), &minute);
    response
}

/// The partition and limit of the caller's OAuth client tier, when it has a
/// client and the tier is on.
fn client_tier(state: &AppState, caller: &Caller) -> Option<(String, [Limit; 1])> {
    let limit = state.settings.rate_limit_per_client_per_minute;
    let client_id = caller.principal.client_id.as_str();
    if limit == 0 || client_id.is_empty() {
        return None;
    }
    // "client:" cannot begin a subject ("token:", "podio:", "ip:"), so a
    // client's partition is never a principal's.
    let partition = format!("client:{client_id}");
    Some((
        partition,
        [Limit {
            name: CLIENT_MINUTE,
            limit,
            window: WINDOW,
        }],
    ))
}

/// The outcome of the principal's and the client's admissions made side
/// by side: the principal's (its session included), and the client tier's
/// decision when that tier refused. What one counted is given back when
/// the other refused, so a refused request is counted nowhere.
async fn settle(
    state: &AppState,
    principal: &Admission<'_>,
    client: &Admission<'_>,
    admitted: Result<Admitted, StoreError>,
    by_client: Result<Admitted, StoreError>,
) -> (Result<Admitted, StoreError>, Option<Decision>) {
    let (admitted, by_client) = match (admitted, by_client) {
        (Ok(admitted), Ok(by_client)) => (admitted, by_client),
        (Err(err), Ok(by_client)) => {
            if by_client.refused.is_none() {
                refund(state, client).await;
            }
            return (Err(err), None);
        }
        (Ok(admitted), Err(err)) => {
            if admitted.refused.is_none() {
                refund(state, principal).await;
            }
            return (Err(err), None);
        }
        (Err(err), Err(_)) => return (Err(err), None),
    };
    match (admitted.refused, by_client.refused) {
        (None, Some(index)) => {
            refund(state, principal).await;
            (Ok(admitted), by_client.decisions.get(index).copied())
        }
        (Some(_), None) => {
            refund(state, client).await;
            (Ok(admitted), None)
        }
        _ => (Ok(admitted), None),
    }
}

/// Gives an admission's units back; a failure only costs the caller a unit.
async fn refund(state: &AppState, admission: &Admission<'_>) {
    if admission.cost == 0 {
        return;
    }
    if let Err(err) = state
        .deps
        .limiter
        .refund(admission.partition, admission.cost, admission.limits)
        .await
    {
        tracing::warn!(error = %err, "a rate limit refund failed");
    }
}

/// `RateLimit-Limit` / `-Remaining` / `-Reset` (seconds) of `decision`.
fn set_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert(
        "ratelimit-reset",
        HeaderValue::from(ceil_secs(decision.reset_after)),
    );
}

/// The `Mcp-Session-Id`, trimmed, as the dispatch reads it; none if absent
/// or empty. One too long to be ours is not looked up (it names no session).
fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// What the request costs: a `tools/call` of a tool in [`TOOL_COSTS`] named
/// by its `Mcp-Name` header costs what the table says, anything else
/// [`DEFAULT_COST`].
fn cost(headers: &HeaderMap) -> u64 {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if header("mcp-method") != Some("tools/call") {
        return DEFAULT_COST;
    }
    let Some(tool) = header("mcp-name") else {
        return DEFAULT_COST;
    };
    cost_of(TOOL_COSTS, tool)
}

fn cost_of(table: &[(&str, u64)], tool: &str) -> u64 {
    table
        .iter()
        .find(|(name, _)| *name == tool)
        .map_or(DEFAULT_COST, |(_, cost)| *cost)
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
        crate::metrics::rate_limited("in_flight");
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
pub(crate) fn ceil_secs(duration: Duration) -> u64 {
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
    fn tool_costs_come_from_the_headers_and_the_table() {
        let mut headers = HeaderMap::new();
        assert_eq!(cost(&headers), DEFAULT_COST);
        headers.insert("mcp-method", HeaderValue::from_static("tools/call"));
        headers.insert("mcp-name", HeaderValue::from_static(" create_item "));
        assert_eq!(cost(&headers), DEFAULT_COST);
        let table = [("create_item", 5)];
        assert_eq!(cost_of(&table, "create_item"), 5);
        assert_eq!(cost_of(&table, "get_item"), DEFAULT_COST);
    }

    #[test]
    fn session_ids_are_read_as_the_dispatch_reads_them() {
        let mut headers = HeaderMap::new();
        assert_eq!(session_id(&headers), None);
        headers.insert(SESSION_HEADER, HeaderValue::from_static("  "));
        assert_eq!(session_id(&headers), None);
        headers.insert(SESSION_HEADER, HeaderValue::from_static(" abc "));
        assert_eq!(session_id(&headers).as_deref(), Some("abc"));
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one() {
        assert_eq!(ceil_secs(Duration::ZERO), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_millis(1500)), 2);
        assert_eq!(ceil_secs(Duration::from_secs(59)), 59);
    }
}
