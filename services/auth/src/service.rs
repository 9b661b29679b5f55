//! The auth service's logic, in plain Rust: minting, listing, revoking and
//! introspecting personal API tokens, the admin-secret check, and the
//! upstream Podio tokens of principals. It implements the plain-Rust traits
//! the other services hold ([`TokenIntrospector`], [`UpstreamTokens`]), so
//! `portico dev` calls it directly; the gRPC adapter (`grpc.rs`) only
//! translates messages to and from these methods.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use portico_proto::auth::{
    Introspection, Principal, TokenIntrospector, UpstreamRef, UpstreamToken, UpstreamTokens,
};
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::vocab::{CredentialMode, Scope, scope_values};
use portico_runtime::secret::Secret;

use crate::crypto::Keyring;
use crate::error::AuthError;
use crate::last_known::LastKnown;
use crate::oauth::{OAuth, OAuthSettings};
use crate::store::{
    ApiTokenRecord, AuditFilter, AuditStore, MemoryAuditStore, OAuthStore, PendingStore,
    StoreError, TokenStore,
};
use crate::upstream::Upstream;
use crate::upstream::podio::PodioOAuth;
use crate::{tokens, validate};
use portico_proto::auth::v1::AuditEvent;

/// The `kind` of a principal authenticated by a personal API token.
pub const KIND_API_TOKEN: &str = "api_token";

/// The auth service. Cheap to clone; clones share the store.
#[derive(Clone)]
pub struct AuthService {
    store: Arc<dyn TokenStore>,
    admin_secret: Option<Secret>,
    upstream: Option<Arc<Upstream>>,
    oauth: Option<Arc<OAuth>>,
    audit: Arc<dyn AuditStore>,
    last_known: Arc<LastKnown>,
}

/// How long a token seen active is still answered active while the store is
/// unavailable, unless configured otherwise (see [`crate::last_known`]).
pub const DEFAULT_INTROSPECTION_GRACE: std::time::Duration = std::time::Duration::from_secs(300);

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
    /// `authorization: Bearer <admin secret>`; without one they are refused
    /// (fail closed), and only in-process callers such as `portico dev` can
    /// mint tokens, through the methods below.
    pub fn new(store: Arc<dyn TokenStore>, admin_secret: Option<String>) -> AuthService {
        AuthService {
            store,
            admin_secret: admin_secret.map(Secret::new),
            upstream: None,
            oauth: None,
            audit: Arc::new(MemoryAuditStore::default()),
            last_known: Arc::new(LastKnown::new(DEFAULT_INTROSPECTION_GRACE)),
        }
    }

    /// The same service, answering tokens seen active within `grace` while
    /// the store is unavailable (zero: never).
    pub fn with_introspection_grace(mut self, grace: std::time::Duration) -> AuthService {
        self.last_known = Arc::new(LastKnown::new(grace));
        self
    }

    /// The same service, keeping its audit log in `audit` (the default is
    /// in memory, for `portico dev`). Call it before
    /// [`AuthService::with_oauth`], which hands the log on to the OAuth
    /// server for grant changes.
    pub fn with_audit(mut self, audit: Arc<dyn AuditStore>) -> AuthService {
        self.audit = audit;
        self
    }

    /// Appends `event` to the audit log, stamped now. A failure to record
    /// is logged as an error and does not undo what was done.
    pub(crate) async fn audit(&self, mut event: AuditEvent) {
        event.at = now_unix();
        if event.trace_id.is_empty() {
            event.trace_id = portico_runtime::trace::current_trace_id().unwrap_or_default();
        }
        if let Err(err) = self.audit.record(&event).await {
            tracing::error!(error = %err, action = %event.action, "could not record an audit event");
        }
    }

    /// An operator's change, for the audit log.
    pub(crate) async fn audit_admin(&self, action: &str, target: &str) {
        self.audit_admin_outcome(action, target, "ok").await;
    }

    /// [`AuthService::audit_admin`] with an outcome other than `ok`, e.g. a
    /// rekey's counts.
    pub(crate) async fn audit_admin_outcome(&self, action: &str, target: &str, outcome: &str) {
        self.audit(AuditEvent {
            subject: "admin".to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: outcome.to_owned(),
            ..AuditEvent::default()
        })
        .await;
    }

    /// Records what the holder of `token` did; who it is comes from the
    /// token alone.
    pub async fn record_for_token(&self, token: &str, event: AuditEvent) -> Result<(), AuthError> {
        let principal = TokenIntrospector::introspect(self, token)
            .await
            .map_err(|_| AuthError::Unauthenticated("the audit log needs an active token"))?
            .map(|i| i.principal)
            .ok_or(AuthError::Unauthenticated(
                "the audit log needs an active token",
            ))?;
        self.audit(AuditEvent {
            subject: principal.subject.clone(),
            client_id: principal.client_id.clone(),
            credential_mode: principal.credential_mode().name().to_owned(),
            ..event
        })
        .await;
        Ok(())
    }

    /// Audit events matching `filter`, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, AuthError> {
        Ok(self.audit.list(filter).await?)
    }

    /// Deletes audit events older than `retention`; how many.
    pub async fn purge_audit(&self, retention: std::time::Duration) -> Result<u64, AuthError> {
        let before = now_unix() - i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
        Ok(self.audit.purge(before).await?)
    }

    /// The same service, reaching Podio through `upstream` for principals'
    /// upstream tokens. Without it `GetUpstreamToken` fails with
    /// FAILED_PRECONDITION.
    pub fn with_upstream(mut self, upstream: Upstream) -> AuthService {
        self.upstream = Some(Arc::new(upstream));
        self
    }

    /// The same service, also the OAuth 2.1 authorization server: clients,
    /// grants and tokens in `store`, sign-ins in progress in `pending`,
    /// Podio secrets encrypted with `keyring`. Podio is reached through the
    /// [`AuthService::with_upstream`] client. The Client ID Metadata Document
    /// fetcher is built here, once, following `settings.client_metadata`.
    /// Without this the OAuth endpoints answer `temporarily_unavailable`.
    pub fn with_oauth(
        mut self,
        settings: OAuthSettings,
        store: Arc<dyn OAuthStore>,
        pending: Arc<dyn PendingStore>,
        keyring: Keyring,
    ) -> AuthService {
        self.oauth = Some(Arc::new(OAuth::new(
            settings,
            store,
            pending,
            keyring,
            self.audit.clone(),
        )));
        self
    }

    pub(crate) fn oauth(&self) -> Option<&OAuth> {
        self.oauth.as_deref()
    }

    pub(crate) fn upstream(&self) -> Option<&Upstream> {
        self.upstream.as_deref()
    }

    /// Whether admin RPCs can be authorized at all (an admin secret is set).
    pub(crate) fn admin_enabled(&self) -> bool {
        self.admin_secret.is_some()
    }

    pub(crate) fn podio(&self) -> Result<&PodioOAuth, AuthError> {
        self.upstream.as_deref().map(|u| &u.podio).ok_or_else(|| {
            AuthError::Store(StoreError::Internal(
                "the oauth server has no podio client: call with_upstream".to_owned(),
            ))
        })
    }

    /// The token store, e.g. for readiness checks.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// Checks the bearer token presented on an admin call against the
    /// configured admin secret.
    pub fn authorize_admin(&self, presented: Option<&str>) -> Result<(), AuthError> {
        let Some(expected) = &self.admin_secret else {
            return Err(AuthError::Unauthenticated(
                "admin rpcs are disabled: set PORTICO_ADMIN_SECRET on the auth service and send it as `authorization: Bearer <admin secret>`",
            ));
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
        scopes: &[i32],
    ) -> Result<CreatedToken, AuthError> {
        self.create_limited_token(name, scopes, &[], &[]).await
    }

    /// [`AuthService::create_token`] limited to the Podio workspaces
    /// `space_ids` and organizations `org_ids` (no limit when both are empty).
    pub async fn create_limited_token(
        &self,
        name: &str,
        scopes: &[i32],
        space_ids: &[i64],
        org_ids: &[i64],
    ) -> Result<CreatedToken, AuthError> {
        let checked = checked_name_and_scopes(name, scopes);
        let limits = [
            validate::ids("space_ids", space_ids),
            validate::ids("org_ids", org_ids),
        ];
        let (name, scopes) = match (checked, limits) {
            (Ok(ok), [Ok(()), Ok(())]) => ok,
            (checked, limits) => {
                let mut violations = match checked {
                    Err(AuthError::InvalidArgument(v)) => v,
                    Err(other) => return Err(other),
                    Ok(_) => Vec::new(),
                };
                violations.extend(limits.into_iter().filter_map(Result::err));
                return Err(AuthError::InvalidArgument(violations));
            }
        };
        let token = tokens::generate()?;
        let mut record = new_record(name, scopes, token.expose());
        record.space_ids = space_ids.to_vec();
        record.org_ids = org_ids.to_vec();
        self.store.insert(&record).await?;
        tracing::info!(token_id = %record.id, name = %record.name, "api token created");
        self.audit_admin("api_token.create", &format!("api_token:{}", record.id))
            .await;
        Ok(CreatedToken { token, record })
    }

    /// Makes an operator-chosen `plaintext` a valid token (for
    /// `portico dev --dev-token`). The token must be at least 16 visible ASCII
    /// characters with no spaces.
    pub async fn register_api_token(
        &self,
        name: &str,
        plaintext: &str,
        scopes: &[i32],
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
            self.audit_admin("api_token.revoke", &format!("api_token:{id}"))
                .await;
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
        let Some(record) = record.filter(|r| r.revoked_at.is_none()) else {
            return Ok(None);
        };
        let now = now_unix();
        // At most one write a minute per token; a failed write must not turn
        // a valid token away, so it is only logged.
        if record.last_used_at.is_none_or(|last| last < now - 60)
            && let Err(err) = self.store.touch(&record.id, now).await
        {
            tracing::warn!(token_id = %record.id, error = %err, "recording the token's last use failed");
        }
        Ok(Some(record))
    }
}

/// The principal a personal API token stands for. Stored scope names this
/// build does not know are dropped, never widened.
pub fn principal_of(record: &ApiTokenRecord) -> Principal {
    let scopes: Vec<Scope> = record
        .scopes
        .iter()
        .filter_map(|name| Scope::parse(name).ok())
        .collect();
    Principal {
        subject: format!("token:{}", record.id),
        token_id: record.id.clone(),
        kind: KIND_API_TOKEN.to_owned(),
        display_name: record.name.clone(),
        scopes: scope_values(&scopes),
        credential_mode: CredentialMode::Service as i32,
        upstream_ref: String::new(),
        space_ids: record.space_ids.clone(),
        org_ids: record.org_ids.clone(),
        client_id: String::new(),
    }
}

#[async_trait::async_trait]
impl portico_proto::auth::AuditLog for AuthService {
    async fn record(&self, token: &str, event: AuditEvent) -> Result<(), ServiceError> {
        let event = AuditEvent {
            action: event.action,
            target: event.target,
            outcome: event.outcome,
            trace_id: event.trace_id,
            ..AuditEvent::default()
        };
        Ok(self.record_for_token(token, event).await?)
    }
}

#[async_trait::async_trait]
impl TokenIntrospector for AuthService {
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError> {
        let hash = tokens::hash(token);
        match self.introspect_in_store(token).await {
            Ok(Some(found)) => {
                self.last_known.remember(hash, &found);
                Ok(Some(found))
            }
            Ok(None) => {
                self.last_known.forget(&hash);
                Ok(None)
            }
            Err(err) if err.code == ErrorCode::Unavailable => {
                match self.last_known.recall(&hash, now_unix()) {
                    Some(found) => {
                        tracing::warn!(error = %err.message, subject = %found.principal.subject,
                            "token store unavailable: answering from the last known introspection");
                        Ok(Some(found))
                    }
                    None => Err(err),
                }
            }
            Err(err) => Err(err),
        }
    }
}

impl AuthService {
    /// Introspection as the store says it now.
    async fn introspect_in_store(
        &self,
        token: &str,
    ) -> Result<Option<Introspection>, ServiceError> {
        if token.starts_with(crate::oauth::ACCESS_TOKEN_PREFIX) {
            return match &self.oauth {
                Some(oauth) => Ok(crate::oauth::introspect_oauth(oauth, token).await?),
                None => Ok(None),
            };
        }
        let record = AuthService::introspect(self, token).await?;
        Ok(record.map(|record| Introspection {
            principal: principal_of(&record),
            expires_at: None,
        }))
    }
}

#[async_trait::async_trait]
impl UpstreamTokens for AuthService {
    async fn upstream_token(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, ServiceError> {
        let Some(source) = &self.upstream else {
            return Err(AuthError::NoServiceAccount.into());
        };
        if let (
            Some(oauth),
            CredentialMode::Default | CredentialMode::Direct | CredentialMode::Registered,
        ) = (&self.oauth, upstream.mode)
        {
            return Ok(
                crate::oauth::upstream_token(oauth, &source.podio, upstream, rejected).await?,
            );
        }
        Ok(source.token(upstream, rejected).await?)
    }
}

/// Both fields validated together, so a caller learns about every bad field at once.
fn checked_name_and_scopes(name: &str, scopes: &[i32]) -> Result<(String, Vec<Scope>), AuthError> {
    match (validate::name(name), validate::scopes(scopes)) {
        (Ok(name), Ok(scopes)) => Ok((name, scopes)),
        (name, scopes) => Err(AuthError::InvalidArgument(
            [name.err(), scopes.err()].into_iter().flatten().collect(),
        )),
    }
}

fn new_record(name: String, scopes: Vec<Scope>, plaintext: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        scopes: scopes.iter().map(|s| s.name().to_owned()).collect(),
        token_hash: tokens::hash(plaintext),
        token_hint: tokens::hint(plaintext),
        created_at: now_unix(),
        revoked_at: None,
        space_ids: Vec::new(),
        org_ids: Vec::new(),
        last_used_at: None,
    }
}

fn now_unix() -> i64 {
    // A clock before 1970 is a broken host; 0 keeps the service answering.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
