//! The front door's shared state outside the process: MCP sessions and rate
//! limit counters. Each is a small trait with a Redis implementation (any
//! replica serves any session; limits hold across replicas) and an in-memory
//! one (for `portico dev`); one contract suite in `contract_tests` runs
//! against both.

use std::time::Duration;

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
}

/// Where sessions live. Sessions expire `ttl` after their last use.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session with the given time to live.
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), StoreError>;
    /// The session if it exists and has not expired; extends its life by
    /// `ttl` (sliding expiry).
    async fn get_and_touch(&self, id: &str, ttl: Duration) -> Result<Option<Session>, StoreError>;
    /// Ends a session. Returns whether it existed.
    async fn delete(&self, id: &str) -> Result<bool, StoreError>;
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

/// Counts requests per key in fixed windows.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one request for `key` against `limit` requests per `window`.
    async fn check(&self, key: &str, limit: u64, window: Duration) -> Result<Decision, StoreError>;
}
