//! What the OAuth 2.1 authorization server stores: clients, upstream Podio
//! credentials, grants, authorization codes and tokens, behind the
//! [`OAuthStore`] trait, with a Postgres implementation for deployment and an
//! in-memory one for `portico dev` and tests. Both pass one contract suite
//! (`tests/it/oauth_store_contract.rs`).
//!
//! Codes, tokens and client secrets are stored as lowercase hex SHA-256 hashes
//! (`crate::tokens::hash`), so a dump holds no usable credential. Podio secrets
//! and tokens must be sent upstream as they are, so they cannot be hashed: they
//! arrive here already encrypted (see `crate::crypto`) and the store keeps the
//! ciphertext bytes without looking inside. Times are unix seconds.

use super::StoreError;

/// How a client came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// Registered by an MCP client itself (RFC 7591 dynamic registration).
    Registered,
    /// Created by a user for a custom back end; acts for that user.
    Integration,
}

impl ClientKind {
    /// The stored form: `registered` or `integration`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Registered => "registered",
            ClientKind::Integration => "integration",
        }
    }

    /// The kind whose stored form is `text`, if any.
    pub fn parse(text: &str) -> Option<ClientKind> {
        match text {
            "registered" => Some(ClientKind::Registered),
            "integration" => Some(ClientKind::Integration),
            _ => None,
        }
    }
}

/// Which of the two token kinds a [`TokenRecord`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A short-lived bearer token sent with each MCP request.
    Access,
    /// A single-use token that buys the next access and refresh token.
    Refresh,
}

impl TokenKind {
    /// The stored form: `access` or `refresh`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }

    /// The kind whose stored form is `text`, if any.
    pub fn parse(text: &str) -> Option<TokenKind> {
        match text {
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            _ => None,
        }
    }
}

/// An OAuth client of Portico.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The `client_id`; unique.
    pub client_id: String,
    /// How the client came to exist.
    pub kind: ClientKind,
    /// Human-readable name (`client_name`).
    pub name: String,
    /// Exact redirect URIs the client may use.
    pub redirect_uris: Vec<String>,
    /// Grant types it may use, e.g. `authorization_code`, `refresh_token`.
    pub grant_types: Vec<String>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub token_endpoint_auth_method: String,
    /// Hash of the client secret; `None` for public clients.
    pub secret_hash: Option<String>,
    /// The first characters of the secret, to recognise it in a listing.
    pub secret_hint: Option<String>,
    /// The user an [`ClientKind::Integration`] client acts for.
    pub owner_subject: Option<String>,
    /// Scopes the client may be granted.
    pub scopes: Vec<String>,
    /// The Podio API key the client brings, if any.
    pub podio_client_id: Option<String>,
    /// That key's secret, encrypted.
    pub podio_client_secret_enc: Option<Vec<u8>>,
    /// Further registration metadata as JSON, echoed back to the client.
    pub metadata_json: String,
    /// Creation time.
    pub created_at: i64,
    /// Revocation time; `None` while the client may be used.
    pub revoked_at: Option<i64>,
}

/// Podio tokens held for a user, refreshed in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRecord {
    /// Unique identifier.
    pub id: String,
    /// The Portico user, e.g. `podio:1337749`.
    pub subject: String,
    /// The Podio user id.
    pub podio_user_id: i64,
    /// The Podio API key that issued the tokens (needed to refresh them).
    pub podio_client_id: String,
    /// That key's secret, encrypted, when the user supplied it (direct mode),
    /// so refreshes work without the user.
    pub podio_client_secret_enc: Option<Vec<u8>>,
    /// The Podio access token, encrypted.
    pub access_token_enc: Vec<u8>,
    /// The Podio refresh token, encrypted.
    pub refresh_token_enc: Vec<u8>,
    /// When the Podio access token expires.
    pub expires_at: i64,
    /// When the tokens were last written.
    pub updated_at: i64,
    /// Bumped on each token update, for optimistic concurrency.
    pub version: i64,
}

/// The encrypted fields of an [`UpstreamRecord`], for
/// [`OAuthStore::replace_upstream_ciphertexts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCiphertexts {
    /// [`UpstreamRecord::podio_client_secret_enc`].
    pub podio_client_secret_enc: Option<Vec<u8>>,
    /// [`UpstreamRecord::access_token_enc`].
    pub access_token_enc: Vec<u8>,
    /// [`UpstreamRecord::refresh_token_enc`].
    pub refresh_token_enc: Vec<u8>,
}

/// A user's consent to a client: the scope and limits of everything issued
/// under it. Revoking it revokes its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// Unique identifier.
    pub id: String,
    /// The Portico client id, the Podio client id in direct mode, or empty in
    /// default mode.
    pub client_id: String,
    /// The user who consented.
    pub subject: String,
    /// How the credentials were obtained (`default`, `direct`, …); the
    /// service owns the vocabulary.
    pub credential_mode: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Podio spaces the grant is limited to; empty means no limit.
    pub space_ids: Vec<i64>,
    /// Podio organisations the grant is limited to; empty means no limit.
    pub org_ids: Vec<i64>,
    /// The upstream credentials used, if any.
    pub upstream_id: Option<String>,
    /// The resource (RFC 8707) the tokens are for.
    pub resource: String,
    /// Creation time.
    pub created_at: i64,
    /// When a token of the grant was last used.
    pub last_used_at: Option<i64>,
    /// Revocation time; `None` while the grant holds.
    pub revoked_at: Option<i64>,
}

/// An access or refresh token, by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Hash of the token; unique.
    pub token_hash: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The grant the token was issued under.
    pub grant_id: String,
    /// Every token descended from one authorization code shares a family, so
    /// a replayed refresh token can revoke them all.
    pub family_id: String,
    /// Expiry time.
    pub expires_at: i64,
    /// Creation time.
    pub created_at: i64,
    /// For a refresh token: when it was exchanged (rotated).
    pub used_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// For an access token from a refresh that narrowed the scope: the
    /// scopes it carries (never wider than the grant's); `None` means the
    /// grant's.
    pub scopes: Option<Vec<String>>,
}

/// An authorization code, by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// Hash of the code; unique.
    pub code_hash: String,
    /// The grant the code was issued under.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI it was sent to, which the exchange must repeat.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The resource (RFC 8707) requested.
    pub resource: String,
    /// Expiry time.
    pub expires_at: i64,
    /// When it was exchanged; codes are single use.
    pub used_at: Option<i64>,
}

/// What [`OAuthStore::consume_code`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// First use of an unexpired code; the record as now stored (`used_at`
    /// set to the consuming time).
    Fresh(CodeRecord),
    /// The code was used before (expired since or not): it may have leaked,
    /// so the caller revokes its grant. The record shows the first use.
    Replayed(CodeRecord),
    /// Unused but past its expiry.
    Expired,
    /// No such code.
    Unknown,
}

/// Storage of the OAuth authorization server's state.
///
/// Inserts fail with [`StoreError::AlreadyExists`] when the id or hash is
/// taken, and with [`StoreError::Internal`] when a referenced record (a
/// token's or code's grant, a grant's upstream credentials) does not exist.
/// Revocations keep the first revocation time, which audits rely on.
#[async_trait::async_trait]
pub trait OAuthStore: Send + Sync + 'static {
    /// Stores a new client.
    async fn insert_client(&self, client: &ClientRecord) -> Result<(), StoreError>;

    /// The client `client_id`, revoked or not.
    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError>;

    /// The clients whose owner is `subject`, revoked or not, newest first
    /// (ties broken by insertion order, later first).
    async fn clients_owned_by(&self, subject: &str) -> Result<Vec<ClientRecord>, StoreError>;

    /// The clients of `kind`, revoked or not, newest first (ties broken by
    /// insertion order, later first).
    async fn clients_of_kind(&self, kind: ClientKind) -> Result<Vec<ClientRecord>, StoreError>;

    /// Replaces the client's secret. `false` if no such client exists.
    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        secret_hint: &str,
    ) -> Result<bool, StoreError>;

    /// Revokes the client, every grant whose `client_id` is `client_id`, and
    /// every token of those grants, at `at`. `false` (and nothing revoked) if
    /// no such client exists.
    async fn revoke_client(&self, client_id: &str, at: i64) -> Result<bool, StoreError>;

    /// Stores new upstream credentials.
    async fn insert_upstream(&self, upstream: &UpstreamRecord) -> Result<(), StoreError>;

    /// The upstream credentials `id`.
    async fn upstream(&self, id: &str) -> Result<Option<UpstreamRecord>, StoreError>;

    /// Replaces the Podio tokens of `id` and bumps its version, but only if
    /// the stored version is still `expected_version`: of two replicas
    /// refreshing at once, one wins and the other re-reads. `false` if the
    /// version moved on or no such record exists.
    async fn update_upstream_tokens(
        &self,
        id: &str,
        expected_version: i64,
        access_token_enc: &[u8],
        refresh_token_enc: &[u8],
        expires_at: i64,
        updated_at: i64,
    ) -> Result<bool, StoreError>;

    /// At most `limit` clients whose `client_id` sorts after `after` (`""`
    /// from the start), revoked or not, by `client_id` ascending: keyset
    /// pagination, so a walk over every client (re-encrypting their secrets)
    /// passes each once however many are added meanwhile, and no page costs
    /// more than `limit` rows. "Sorts" is the store's own text order (bytes
    /// in memory, the database's collation in Postgres, so its primary key
    /// index serves the page); callers only pass back the last id of a page.
    async fn clients_after(&self, after: &str, limit: u32)
    -> Result<Vec<ClientRecord>, StoreError>;

    /// Replaces the client's `podio_client_secret_enc` with `new`, but only if
    /// it is still `expected` byte for byte (compare-and-swap: the caller read
    /// `expected` and derived `new` from it). Nothing else changes. `false`
    /// (and nothing written) if the ciphertext moved on, the client has none,
    /// or no such client exists.
    async fn replace_client_secret_enc(
        &self,
        client_id: &str,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError>;

    /// At most `limit` upstream credentials whose `id` sorts after `after`
    /// (`""` from the start), by `id` ascending; keyset pagination as in
    /// [`OAuthStore::clients_after`].
    async fn upstreams_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<UpstreamRecord>, StoreError>;

    /// Replaces the three ciphertexts of `id` (the same secrets under another
    /// key) and bumps its version, but only if the stored version is still
    /// `expected_version`, exactly as [`OAuthStore::update_upstream_tokens`]
    /// does: a refresh that wrote in between is never overwritten (this call
    /// fails and the caller re-reads), and a refresh racing this call sees
    /// the version move on. `expires_at` and `updated_at` stay, since the
    /// tokens themselves do not change. `false` if the version moved on or no
    /// such record exists.
    async fn replace_upstream_ciphertexts(
        &self,
        id: &str,
        expected_version: i64,
        ciphertexts: &UpstreamCiphertexts,
    ) -> Result<bool, StoreError>;

    /// Stores a new grant.
    async fn insert_grant(&self, grant: &GrantRecord) -> Result<(), StoreError>;

    /// The grant `id`, revoked or not.
    async fn grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError>;

    /// The grants of `subject`, revoked or not, newest first (ties broken by
    /// insertion order, later first).
    async fn grants_of(&self, subject: &str) -> Result<Vec<GrantRecord>, StoreError>;

    /// Records a use of grant `id` at `at`; the time never moves back.
    /// `false` if no such grant exists.
    async fn touch_grant(&self, id: &str, at: i64) -> Result<bool, StoreError>;

    /// Revokes grant `id` and all its tokens at `at`. `false` if no such
    /// grant exists.
    async fn revoke_grant(&self, id: &str, at: i64) -> Result<bool, StoreError>;

    /// Stores a new authorization code.
    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError>;

    /// Marks the code used at `now`, atomically: of concurrent calls, exactly
    /// one sees [`CodeUse::Fresh`]. A code is expired from `expires_at` on.
    async fn consume_code(&self, code_hash: &str, now: i64) -> Result<CodeUse, StoreError>;

    /// Stores a new token.
    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError>;

    /// The token whose hash is `token_hash`, revoked or not.
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Marks the refresh token used at `now` and returns it as it was
    /// before: `used_at` is `None` for the one caller that rotated it, and the
    /// earlier time for every later caller (a replay). Only the first call
    /// sets `used_at`. `None` if there is no refresh token with this hash
    /// (access tokens included). Revocation is not checked here.
    async fn mark_refresh_used(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// Revokes every token of the family at `at`; returns how many were not
    /// revoked before.
    async fn revoke_family(&self, family_id: &str, at: i64) -> Result<u64, StoreError>;

    /// Revokes one token at `at`. `false` if no such token exists.
    async fn revoke_token(&self, token_hash: &str, at: i64) -> Result<bool, StoreError>;

    /// Checks that the store is reachable, for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;
}
