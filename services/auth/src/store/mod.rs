//! Where credentials live. The service talks to storage only through the
//! [`TokenStore`] trait, which has a Postgres implementation for deployment and
//! an in-memory one for `portico dev` and tests; both pass one contract suite
//! (`tests/it/store_contract.rs`), so they cannot drift apart.
//!
//! Records carry hashes, never plaintext tokens: whatever a store holds could
//! leak without handing out a working credential.
//!
//! The OAuth authorization server's state sits beside it in the same way:
//! [`OAuthStore`] (Postgres, sharing [`PgTokenStore`]'s pool, and in-memory)
//! and [`PendingStore`] for sign-ins in flight (Redis and in-memory).

mod audit;
mod memory;
mod oauth;
mod oauth_memory;
mod oauth_postgres;
mod pending;
mod pending_redis;
mod postgres;

pub use audit::{AuditFilter, AuditStore, MemoryAuditStore, PgAuditStore};
pub use memory::MemoryTokenStore;
pub use oauth::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, OAuthStore, TokenKind, TokenRecord,
    UpstreamCiphertexts, UpstreamRecord,
};
pub use oauth_memory::MemoryOAuthStore;
pub use oauth_postgres::PgOAuthStore;
pub use pending::{MemoryPendingStore, PendingStore};
pub use pending_redis::RedisPendingStore;
pub use postgres::PgTokenStore;

/// A personal API token as stored: metadata plus the SHA-256 hash of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Unique identifier (a UUID v4 string).
    pub id: String,
    /// Human-readable name, 1 to 200 characters.
    pub name: String,
    /// Granted scopes, e.g. `podio:read`.
    pub scopes: Vec<String>,
    /// Lowercase hex SHA-256 of the plaintext token; unique across tokens.
    pub token_hash: String,
    /// The first characters of the plaintext token, to recognise it.
    pub token_hint: String,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Revocation time, unix seconds; `None` while the token is valid.
    pub revoked_at: Option<i64>,
    /// When non-empty, the only Podio workspaces the token may reach.
    pub space_ids: Vec<i64>,
    /// When non-empty, the only Podio organizations the token may reach.
    pub org_ids: Vec<i64>,
    /// Last use, unix seconds (kept to the minute); `None` if never used.
    pub last_used_at: Option<i64>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with the same id or token hash is already stored.
    #[error("a token with this id or hash already exists")]
    AlreadyExists,
    /// The backing database cannot be reached or timed out; retrying may help.
    #[error("token store unavailable: {0}")]
    Unavailable(String),
    /// The store answered with something unexpected (a bug or a schema mismatch).
    #[error("token store failed: {0}")]
    Internal(String),
}

/// Storage of personal API tokens.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Stores a new token. [`StoreError::AlreadyExists`] if its id or hash is taken.
    async fn insert(&self, token: &ApiTokenRecord) -> Result<(), StoreError>;

    /// The token whose hash is `token_hash`, revoked or not.
    async fn find_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>, StoreError>;

    /// Every token, newest first (ties broken by insertion order, later first).
    async fn list(&self) -> Result<Vec<ApiTokenRecord>, StoreError>;

    /// Marks token `id` revoked at `at_unix`. `false` if no such token exists.
    /// Revoking an already revoked token keeps its first revocation time and
    /// returns `true`.
    async fn revoke(&self, id: &str, at_unix: i64) -> Result<bool, StoreError>;

    /// Records that token `id` was used at `at_unix`, unless a use at or
    /// after `at_unix - 60` is already recorded (so a busy token costs one
    /// write a minute). `false` if no such token exists.
    async fn touch(&self, id: &str, at_unix: i64) -> Result<bool, StoreError>;

    /// Checks that the store is reachable, for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;
}
