//! What OAuth tokens stand for once issued: introspection of `portico_at_`
//! access tokens, and the Podio tokens behind default, direct and registered
//! principals, renewed with the right key and stored with optimistic
//! concurrency (of two replicas renewing at once, the loser uses the
//! winner's token).

use portico_proto::auth::{Introspection, Principal, UpstreamRef, UpstreamToken};
use portico_proto::vocab::{CredentialMode, Scope, scope_values};
use portico_runtime::secret::Secret;

use super::authorize::upstream_aad;
use super::register::client_secret_aad;
use super::{KIND_OAUTH, OAuth, now, secs};
use crate::error::AuthError;
use crate::store::{TokenKind, UpstreamRecord};
use crate::tokens;
use crate::upstream::podio::{Grant, PodioGrantError, PodioKey, PodioOAuth};

/// Renew a Podio token this long before it expires.
const EXPIRY_MARGIN_SECS: i64 = 60;
/// How many times a lost optimistic-concurrency race is retried.
const MAX_ATTEMPTS: usize = 3;

/// The principal behind an access token, if it is active.
pub(crate) async fn introspect_oauth(
    oauth: &OAuth,
    token: &str,
) -> Result<Option<Introspection>, AuthError> {
    let at = now();
    let Some(record) = oauth.store.token(&tokens::hash(token)).await? else {
        return Ok(None);
    };
    if record.kind != TokenKind::Access || record.revoked_at.is_some() || record.expires_at <= at {
        return Ok(None);
    }
    let Some(grant) = oauth.store.grant(&record.grant_id).await? else {
        return Ok(None);
    };
    if grant.revoked_at.is_some() || grant.resource != oauth.settings.resource() {
        return Ok(None);
    }
    let display_name = if grant.client_id.is_empty() {
        "podio sign-in".to_owned()
    } else {
        match oauth.store.client(&grant.client_id).await? {
            Some(client) if !client.name.is_empty() => client.name,
            _ => grant.client_id.clone(),
        }
    };
    // A narrowed token's scopes, but never beyond what the grant holds now.
    let scopes: Vec<Scope> = grant
        .scopes
        .iter()
        .filter(|g| {
            record
                .scopes
                .as_ref()
                .is_none_or(|narrow| narrow.contains(g))
        })
        .filter_map(|s| Scope::parse(s).ok())
        .collect();
    let mode = CredentialMode::parse(&grant.credential_mode).unwrap_or(CredentialMode::Unspecified);
    Ok(Some(Introspection {
        principal: Principal {
            subject: grant.subject.clone(),
            token_id: grant.id.clone(),
            kind: KIND_OAUTH.to_owned(),
            display_name,
            scopes: scope_values(&scopes),
            credential_mode: mode as i32,
            upstream_ref: grant.upstream_id.clone().unwrap_or_default(),
            space_ids: grant.space_ids.clone(),
            org_ids: grant.org_ids.clone(),
            client_id: grant.client_id.clone(),
        },
        expires_at: Some(record.expires_at),
    }))
}

fn reauthorise() -> AuthError {
    AuthError::Unauthenticated(
        "podio needs re-authorising: reconnect this app to sign in to podio again",
    )
}

/// The current Podio token of a default, direct or registered principal.
pub(crate) async fn upstream_token(
    oauth: &OAuth,
    podio: &PodioOAuth,
    upstream: &UpstreamRef,
    rejected: Option<&str>,
) -> Result<UpstreamToken, AuthError> {
    let mode = upstream.mode;
    for _ in 0..MAX_ATTEMPTS {
        let Some(record) = oauth.store.upstream(&upstream.reference).await? else {
            return Err(AuthError::NoUpstreamCredential(mode.name()));
        };
        if record.subject != upstream.subject {
            return Err(AuthError::NoUpstreamCredential(mode.name()));
        }
        let access = oauth.decrypt(
            &record.access_token_enc,
            &upstream_aad(&record.id, "access_token_enc"),
        )?;
        let refused =
            rejected.is_some_and(|r| tokens::constant_time_eq(r, &tokens::hash(access.expose())));
        if !refused && record.expires_at - EXPIRY_MARGIN_SECS > now() {
            return Ok(UpstreamToken {
                access_token: access,
                expires_at: record.expires_at,
            });
        }
        let key = key_of(oauth, &record, mode).await?;
        let refresh = oauth.decrypt(
            &record.refresh_token_enc,
            &upstream_aad(&record.id, "refresh_token_enc"),
        )?;
        let issued = match podio.grant(&key, Grant::Refresh(&refresh)).await {
            Ok(issued) => {
                crate::metrics::refresh("ok");
                issued
            }
            Err(PodioGrantError::Refused { .. }) => {
                crate::metrics::refresh("refused");
                // Another replica may have renewed with this refresh token.
                if let Some(now_stored) = oauth.store.upstream(&record.id).await?
                    && now_stored.version != record.version
                {
                    continue;
                }
                return Err(reauthorise());
            }
            Err(e) => {
                crate::metrics::refresh("failed");
                return Err(AuthError::Upstream(e));
            }
        };
        let at = now();
        let new_refresh = issued.refresh.clone().unwrap_or_else(|| refresh.clone());
        let expires_at = at + secs(issued.expires_in);
        let access_enc = oauth.encrypt(
            &issued.access,
            &upstream_aad(&record.id, "access_token_enc"),
        )?;
        let refresh_enc =
            oauth.encrypt(&new_refresh, &upstream_aad(&record.id, "refresh_token_enc"))?;
        let mut version = record.version;
        for _ in 0..MAX_ATTEMPTS {
            if oauth
                .store
                .update_upstream_tokens(
                    &record.id,
                    version,
                    &access_enc,
                    &refresh_enc,
                    expires_at,
                    at,
                )
                .await?
            {
                return Ok(UpstreamToken {
                    access_token: issued.access,
                    expires_at,
                });
            }
            // Lost the race. Usually to another replica's refresh, whose
            // token is in the store now. But a rekey (`rekey.rs`) may only
            // have re-encrypted the very tokens read here: then nothing in
            // the store is newer than what Podio just issued, and the refresh
            // token used may be spent, so ours must be stored after all.
            match unchanged_since(oauth, &record.id, &access, &refresh).await? {
                Some(rewrapped) => version = rewrapped,
                None => break,
            }
        }
        // Lost the race: the winner's token is in the store now.
    }
    Err(AuthError::Upstream(PodioGrantError::Unavailable(
        "the podio token kept changing while renewing it".to_owned(),
    )))
}

/// The version of upstream credentials `id` if they still hold the tokens
/// `access` and `refresh` (perhaps re-encrypted, but not renewed); `None` if
/// they hold others or are gone.
async fn unchanged_since(
    oauth: &OAuth,
    id: &str,
    access: &Secret,
    refresh: &Secret,
) -> Result<Option<i64>, AuthError> {
    let Some(stored) = oauth.store.upstream(id).await? else {
        return Ok(None);
    };
    let holds = |ciphertext: &[u8], column: &str, expected: &Secret| {
        oauth
            .decrypt(ciphertext, &upstream_aad(id, column))
            .is_ok_and(|found| tokens::constant_time_eq(found.expose(), expected.expose()))
    };
    let unchanged = holds(&stored.access_token_enc, "access_token_enc", access)
        && holds(&stored.refresh_token_enc, "refresh_token_enc", refresh);
    Ok(unchanged.then_some(stored.version))
}

async fn key_of(
    oauth: &OAuth,
    record: &UpstreamRecord,
    mode: CredentialMode,
) -> Result<PodioKey, AuthError> {
    if let Some(enc) = &record.podio_client_secret_enc {
        return Ok(PodioKey {
            client_id: record.podio_client_id.clone(),
            client_secret: oauth
                .decrypt(enc, &upstream_aad(&record.id, "podio_client_secret_enc"))?,
        });
    }
    if let Some(key) = oauth
        .settings
        .shared_key
        .as_ref()
        .filter(|k| k.client_id == record.podio_client_id)
    {
        return Ok(key.clone());
    }
    if mode == CredentialMode::Registered {
        // The registered client whose key issued the tokens.
        let grants = oauth.store.grants_of(&record.subject).await?;
        for grant in grants
            .iter()
            .filter(|g| g.upstream_id.as_deref() == Some(record.id.as_str()))
        {
            if let Some(client) = oauth.store.client(&grant.client_id).await?
                && let (Some(id), Some(enc)) =
                    (&client.podio_client_id, &client.podio_client_secret_enc)
            {
                return Ok(PodioKey {
                    client_id: id.clone(),
                    client_secret: oauth.decrypt(enc, &client_secret_aad(&client.client_id))?,
                });
            }
        }
    }
    Err(reauthorise())
}
