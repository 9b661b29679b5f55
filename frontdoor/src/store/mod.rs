//! The front door's shared state outside the process: MCP sessions and rate
//! limit counters. Each is a small trait with a Redis implementation (any
//! replica serves any session; limits hold across replicas) and an in-memory
//! one (for `portico dev`); one contract suite in `contract_tests` runs
//! against both.
//!
//! Every key belongs to a *partition*: a principal's subject (its sessions
//! and request counters) or a source address (its failed sign-ins). On Redis
//! the partition is the key's hash tag, so the one script an [`Admission`]
//! runs touches a single Redis Cluster slot. That is why a session is found
//! by its subject and id together: a session id presented with another
//! subject's token names no session at all.
//!
//! Counters are fixed windows that start at a partition's first counted
//! request and last exactly the window (INCRBY + PEXPIRE on Redis): exact
//! within a window, so N replicas together admit exactly the limit, at the
//! price of a possible burst of twice the limit across a window boundary.
//! A refused request is not counted, and nothing of an admission is counted
//! unless every one of its limits admits it.

use std::time::Duration;

pub mod idempotency;
pub mod memory;
pub mod redis;

#[cfg(test)]
mod contract_tests;

/// A failure of the backing store (Redis unreachable, a timeout, a corrupt
/// value). Callers answer 503 and log the cause; nothing is half-written.
#[derive(Debug, thiserror::Error)]
#[error("session/rate-limit store failed: {0}")]
pub struct StoreError(pub String);

/// A legacy-generation (2025-11-25 and earlier) MCP session, created by
/// `initialize` and named by the `Mcp-Session-Id` header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The session id: random, visible ASCII only.
    pub id: String,
    /// The principal subject that opened it; a session is only valid for the
    /// same subject (a stolen session id is useless without the token).
    pub subject: String,
    /// The negotiated protocol version, e.g. "2025-11-25".
    pub protocol_version: String,
    /// The client's self-reported name and version, for logs.
    pub client_name: String,
    /// The client's self-reported version, for logs.
    pub client_version: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The minimum level of log messages the client asked for with
    /// `logging/setLevel` (e.g. "warning"); none until it asks. Absent in
    /// sessions stored before the field existed.
    #[serde(default)]
    pub log_level: Option<String>,
    /// What the client declared in `initialize` it can answer mid-call
    /// (sampling, elicitation, roots); none in sessions stored before the
    /// field existed.
    #[serde(default)]
    pub can_answer: Answerable,
}

/// The client capabilities that let the server ask it something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Answerable {
    /// `sampling/createMessage`.
    #[serde(default)]
    pub sampling: bool,
    /// `elicitation/create`.
    #[serde(default)]
    pub elicitation: bool,
    /// `roots/list`.
    #[serde(default)]
    pub roots: bool,
}

/// Short-lived values one request leaves for another, on whichever replica
/// that one lands: a client's answer to a request the server sent it
/// mid-call (put by the POST that carries the answer, taken by the call
/// waiting for it), and the state of an input round trip (kept for its
/// retry). Values live in a partition (the principal's subject), so one
/// principal never reads another's.
#[async_trait::async_trait]
pub trait Handoffs: Send + Sync + 'static {
    /// Stores `value` under `key` in `partition` for `ttl`, replacing any.
    async fn put(
        &self,
        partition: &str,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StoreError>;
    /// The value under `key`, if live, left in place.
    async fn get(&self, partition: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// The value under `key`, if live, removed: only one taker gets it.
    async fn take(&self, partition: &str, key: &str) -> Result<Option<String>, StoreError>;
}

/// Where sessions live. Sessions expire `ttl` after their last use.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a session (in its subject's partition) with the given time to
    /// live, replacing one with the same subject and id.
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), StoreError>;
    /// Subject `subject`'s session `id` if it exists and has not expired;
    /// extends its life by `ttl` (sliding expiry). The request path gets it
    /// from [`RateLimiter::admit`] instead, in the same round trip as the
    /// limit.
    async fn get_and_touch(
        &self,
        subject: &str,
        id: &str,
        ttl: Duration,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends subject `subject`'s session `id`. Returns whether it existed.
    async fn delete(&self, subject: &str, id: &str) -> Result<bool, StoreError>;
    /// Checks the backing store is reachable (for `/ready`).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The outcome of counting one request against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether this request is within the limit.
    pub allowed: bool,
    /// The limit for the window.
    pub limit: u64,
    /// Requests left in the current window after this one (0 when refused).
    pub remaining: u64,
    /// Time until the current window ends (when a refused caller may retry).
    pub reset_after: Duration,
}

/// One counter an admission is charged against: at most `limit` units per
/// fixed `window`, named `name` within the admission's partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// The counter's name within the partition, e.g. `minute`.
    pub name: &'static str,
    /// Units admitted per window.
    pub limit: u64,
    /// The window's length.
    pub window: Duration,
}

/// The legacy session a request names, to be looked up and touched in the
/// same store call as its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTouch<'a> {
    /// The `Mcp-Session-Id` as sent (trimmed).
    pub id: &'a str,
    /// The sliding session lifetime to extend it by.
    pub ttl: Duration,
}

/// Everything one request asks of the store, answered in one round trip
/// (one Lua script on Redis, one lock in memory).
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    /// The partition of every key: the principal's subject, or e.g.
    /// `ip:192.0.2.1` for failed sign-ins. Also the session's subject.
    pub partition: &'a str,
    /// Units this request costs (usually 1). Zero asks whether one more
    /// unit would be admitted, without counting anything.
    pub cost: u64,
    /// The counters, all charged or none.
    pub limits: &'a [Limit],
    /// The session to look up, if the request names one.
    pub session: Option<SessionTouch<'a>>,
}

/// The answer to an [`Admission`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// One decision per limit, in the admission's order. A limit admits
    /// when its count plus the cost (at least 1) is within it.
    pub decisions: Vec<Decision>,
    /// The first limit that refused, if any; then nothing was counted.
    pub refused: Option<usize>,
    /// The session asked for, if it exists (touched whatever the verdict).
    pub session: Option<Session>,
}

impl Admitted {
    /// Whether every limit admitted the request (and it was counted).
    pub fn allowed(&self) -> bool {
        self.refused.is_none()
    }
}

/// The decisions of an admission from each limit's count (after the charge
/// when it was admitted, before it otherwise) and time left in its window;
/// shared by both stores so they answer alike.
fn decisions(
    admission: &Admission<'_>,
    refused: Option<usize>,
    counts: &[(u64, Duration)],
) -> Vec<Decision> {
    let need = admission.cost.max(1);
    admission
        .limits
        .iter()
        .zip(counts)
        .map(|(limit, &(count, reset_after))| Decision {
            allowed: refused.is_none() || count.saturating_add(need) <= limit.limit,
            limit: limit.limit,
            remaining: limit.limit.saturating_sub(count),
            reset_after,
        })
        .collect()
}

/// Counts requests per partition in fixed windows.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Checks and counts one request against all its limits atomically, and
    /// looks up its session, in one round trip.
    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, StoreError>;

    /// Gives `cost` back to each of `limits` in `partition`, in its current
    /// window (an ended window is left alone, and no count goes below 0):
    /// undoes an admission when a tier kept in another partition, checked
    /// in a separate call, refused the same request.
    async fn refund(&self, partition: &str, cost: u64, limits: &[Limit]) -> Result<(), StoreError>;

    /// Counts one request for `key` against `limit` requests per `window`:
    /// an admission of cost 1 with one limit in partition `key`.
    async fn check(&self, key: &str, limit: u64, window: Duration) -> Result<Decision, StoreError> {
        let limits = [Limit {
            name: "requests",
            limit,
            window,
        }];
        let admitted = self
            .admit(&Admission {
                partition: key,
                cost: 1,
                limits: &limits,
                session: None,
            })
            .await?;
        admitted
            .decisions
            .first()
            .copied()
            .ok_or_else(|| StoreError("the store answered no decision for one limit".to_owned()))
    }
}
