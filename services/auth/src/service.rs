//! The auth service's logic, in plain Rust: minting, listing, revoking and
//! introspecting personal API tokens, and the admin-secret check. The gRPC
//! adapter (`grpc.rs`) only translates messages to and from these methods.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::AuthError;
use crate::store::{ApiTokenRecord, StoreError, TokenStore};
use crate::{tokens, validate};
use portico_proto::secret::Secret;

/// The auth service. Cheap to clone; clones share the store.
#[derive(Clone)]
pub struct AuthService {
    store: Arc<dyn TokenStore>,
    admin_secret: Option<Secret>,
}

/// A freshly minted token: the plaintext (shown once) and what was stored.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The plaintext token. Never stored; hand it to the caller and drop it.
    pub token: Secret,
    /// The stored record (hash, hint and metadata).
    pub record: ApiTokenRecord,
}

impl AuthService {
    /// A service over `store`. With `admin_secret`, admin RPCs require
    /// `authorization: Bearer <admin secret>`; without one they are open to
    /// anyone who can reach the service.
    pub fn new(store: Arc<dyn TokenStore>, admin_secret: Option<String>) -> AuthService {
        AuthService {
            store,
            admin_secret: admin_secret.map(Secret::new),
        }
    }

    /// The token store, e.g. for readiness checks.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// Checks the bearer token presented on an admin call against the
    /// configured admin secret.
    pub fn authorize_admin(&self, presented: Option<&str>) -> Result<(), AuthError> {
        let Some(expected) = &self.admin_secret else {
            return Ok(());
        };
        match presented {
            None => Err(AuthError::Unauthenticated(
                "admin rpcs require the metadata `authorization: Bearer <admin secret>`",
            )),
            Some(token) if tokens::constant_time_eq(token, expected.expose()) => Ok(()),
            Some(_) => Err(AuthError::Unauthenticated(
                "the bearer token is not the configured admin secret",
            )),
        }
    }

    /// Mints a personal API token named `name` with `scopes` (all scopes when
    /// empty) and stores its hash.
    pub async fn create_token(
        &self,
        name: &str,
        scopes: &[String],
    ) -> Result<CreatedToken, AuthError> {
        let (name, scopes) = checked_name_and_scopes(name, scopes)?;
        let token = tokens::generate()?;
        let record = new_record(name, scopes, token.expose());
        self.store.insert(&record).await?;
        tracing::info!(token_id = %record.id, name = %record.name, "api token created");
        Ok(CreatedToken { token, record })
    }

    /// Makes an operator-chosen `plaintext` a valid token (for
    /// `portico dev --dev-token`). The token must be at least 16 visible ASCII
    /// characters with no spaces.
    pub async fn register_api_token(
        &self,
        name: &str,
        plaintext: &str,
        scopes: &[String],
    ) -> Result<ApiTokenRecord, AuthError> {
        let checked = checked_name_and_scopes(name, scopes);
        let token_check = validate::chosen_token(plaintext);
        let (name, scopes) = match (checked, token_check) {
            (Ok(ok), Ok(())) => ok,
            (Err(AuthError::InvalidArgument(mut violations)), Err(token)) => {
                violations.push(token);
                return Err(AuthError::InvalidArgument(violations));
            }
            (Err(err), _) => return Err(err),
            (Ok(_), Err(token)) => return Err(AuthError::invalid(token)),
        };
        let record = new_record(name, scopes, plaintext);
        self.store.insert(&record).await.map_err(|e| match e {
            StoreError::AlreadyExists => AuthError::AlreadyExists,
            other => AuthError::Store(other),
        })?;
        tracing::info!(token_id = %record.id, name = %record.name, "api token registered");
        Ok(record)
    }

    /// Every token's metadata, newest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiTokenRecord>, AuthError> {
        Ok(self.store.list().await?)
    }

    /// Revokes token `id`; revoking twice succeeds.
    pub async fn revoke_token(&self, id: &str) -> Result<(), AuthError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(AuthError::invalid(crate::error::FieldViolation::new(
                "id",
                "id must not be empty: give the id of an api token",
            )));
        }
        if self.store.revoke(id, now_unix()).await? {
            tracing::info!(token_id = %id, "api token revoked");
            Ok(())
        } else {
            Err(AuthError::NotFound(id.to_owned()))
        }
    }

    /// The record of `token` if it is a valid (known, unrevoked) token;
    /// `None` otherwise. Only store failures are errors.
    pub async fn introspect(&self, token: &str) -> Result<Option<ApiTokenRecord>, AuthError> {
        if token.is_empty() {
            return Ok(None);
        }
        let record = self.store.find_by_hash(&tokens::hash(token)).await?;
        Ok(record.filter(|r| r.revoked_at.is_none()))
    }
}

/// Both fields validated together, so a caller learns about every bad field at once.
fn checked_name_and_scopes(
    name: &str,
    scopes: &[String],
) -> Result<(String, Vec<String>), AuthError> {
    match (validate::name(name), validate::scopes(scopes)) {
        (Ok(name), Ok(scopes)) => Ok((name, scopes)),
        (name, scopes) => Err(AuthError::InvalidArgument(
            [name.err(), scopes.err()].into_iter().flatten().collect(),
        )),
    }
}

fn new_record(name: String, scopes: Vec<String>, plaintext: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        scopes,
        token_hash: tokens::hash(plaintext),
        token_hint: tokens::hint(plaintext),
        created_at: now_unix(),
        revoked_at: None,
    }
}

fn now_unix() -> i64 {
    // A clock before 1970 is a broken host; 0 keeps the service answering.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
