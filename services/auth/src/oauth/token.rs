//! `POST /oauth/token` (authorization_code with PKCE, refresh_token with
//! rotation, client_credentials) and `POST /oauth/revoke` (RFC 7009).
//!
//! Refresh tokens rotate on every use. A rotated one stays usable for
//! [`super::OAuthSettings::refresh_grace`] (a client that lost the answer
//! may retry); used again after that, it may have leaked, so its whole
//! family (every token descended from the same code) is revoked. A replayed
//! authorization code revokes the grant it issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_proto::auth::v1::{
    OAuthError, RevokeRequest, RevokeResponse, TokenRequest, TokenResponse,
};
use portico_proto::vocab::{CredentialMode, parse_scopes};
use portico_runtime::secret::Secret;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::authorize::{
    DirectCode, create_grant, direct_code_aad, direct_code_key, exchange, resource_ok, upstream_aad,
};
use super::{
    ACCESS_TOKEN_PREFIX, CLIENT_ID_PREFIX, OAuth, Params, REFRESH_TOKEN_PREFIX, cut, mint, now,
    oauth_error, secs,
};
use crate::error::AuthError;
use crate::store::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, TokenKind, TokenRecord,
};
use crate::tokens;
use crate::upstream::podio::{PodioGrantError, PodioKey, PodioOAuth};

type Refusal = (OAuthError, u32);

fn refused(error: &str, description: impl Into<String>) -> Refusal {
    let status = if error == "invalid_client" { 401 } else { 400 };
    (oauth_error(error, description), status)
}

fn answer(result: Result<String, Refusal>) -> TokenResponse {
    match result {
        Ok(json) => TokenResponse {
            error: None,
            http_status: 200,
            token_json: json,
        },
        Err((error, status)) => TokenResponse {
            error: Some(error),
            http_status: status,
            token_json: String::new(),
        },
    }
}

/// Who is asking, after client authentication.
enum Caller {
    /// A client registered here, authenticated per its method.
    Registered(Box<ClientRecord>),
    /// Any other client_id (default or direct mode), with the secret it sent.
    Unregistered {
        client_id: String,
        secret: Option<Secret>,
    },
}

impl Caller {
    fn client_id(&self) -> &str {
        match self {
            Caller::Registered(c) => &c.client_id,
            Caller::Unregistered { client_id, .. } => client_id,
        }
    }
}

/// The client id and secret from the form or the Basic header (not both
/// with different ids).
fn credentials(
    params: &Params,
    basic: Option<&portico_proto::auth::v1::BasicCredentials>,
) -> Result<(String, Option<Secret>), Refusal> {
    let basic = basic.filter(|b| !b.client_id.is_empty());
    let form_id = params.get("client_id");
    if let (Some(b), Some(f)) = (basic, form_id)
        && b.client_id != f
    {
        return Err(refused(
            "invalid_request",
            "the client_id in the form differs from the one in the Authorization header",
        ));
    }
    let client_id = basic
        .map(|b| b.client_id.clone())
        .or(form_id.map(str::to_owned))
        .unwrap_or_default();
    let secret = basic
        .map(|b| b.client_secret.clone())
        .filter(|s| !s.is_empty())
        .or(params.get("client_secret").map(str::to_owned))
        .map(Secret::new);
    Ok((client_id.trim().to_owned(), secret))
}

async fn authenticate(
    oauth: &OAuth,
    client_id: String,
    secret: Option<Secret>,
) -> Result<Result<Caller, Refusal>, AuthError> {
    if !client_id.starts_with(CLIENT_ID_PREFIX) {
        return Ok(Ok(Caller::Unregistered { client_id, secret }));
    }
    let client = oauth.store.client(&client_id).await?;
    let Some(client) = client.filter(|c| c.revoked_at.is_none()) else {
        return Ok(Err(refused(
            "invalid_client",
            "unknown client: this client is not registered here (or was removed); register again",
        )));
    };
    if client.token_endpoint_auth_method != "none" {
        let ok = match (&secret, &client.secret_hash) {
            (Some(s), Some(hash)) => tokens::constant_time_eq(&tokens::hash(s.expose()), hash),
            _ => false,
        };
        if !ok {
            return Ok(Err(refused(
                "invalid_client",
                "client authentication failed: send the client_secret issued at registration",
            )));
        }
    }
    Ok(Ok(Caller::Registered(Box::new(client))))
}

pub(crate) async fn token(
    oauth: &OAuth,
    podio: Result<&PodioOAuth, AuthError>,
    request: &TokenRequest,
) -> Result<TokenResponse, AuthError> {
    let params = match Params::parse(&request.params) {
        Ok(p) => p,
        Err(e) => return Ok(answer(Err((e, 400)))),
    };
    let (client_id, secret) = match credentials(&params, request.basic.as_ref()) {
        Ok(c) => c,
        Err(r) => return Ok(answer(Err(r))),
    };
    if let Some(resource) = params.get("resource")
        && !resource_ok(oauth, resource)
    {
        return Ok(answer(Err(refused(
            "invalid_target",
            format!(
                "resource {:?} is not this server: use {}",
                cut(resource),
                oauth.settings.resource()
            ),
        ))));
    }
    let caller = match authenticate(oauth, client_id, secret).await? {
        Ok(c) => c,
        Err(r) => return Ok(answer(Err(r))),
    };
    if let Caller::Registered(client) = &caller
        && let Some(grant_type) = params.get("grant_type")
        && !client.grant_types.iter().any(|g| g == grant_type)
    {
        return Ok(answer(Err(refused(
            "unauthorized_client",
            format!(
                "this client did not register the {} grant type",
                cut(grant_type)
            ),
        ))));
    }
    let result = match params.get("grant_type") {
        Some("authorization_code") => code_grant(oauth, podio, &params, &caller).await?,
        Some("refresh_token") => refresh_grant(oauth, &params, &caller).await?,
        Some("client_credentials") => client_credentials_grant(oauth, &params, &caller).await?,
        Some(other) => Err(refused(
            "unsupported_grant_type",
            format!(
                "grant_type {:?} is not supported: accepted are authorization_code, refresh_token, client_credentials",
                cut(other)
            ),
        )),
        None => Err(refused(
            "invalid_request",
            "grant_type is required: authorization_code, refresh_token or client_credentials",
        )),
    };
    Ok(answer(result))
}

fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && tokens::constant_time_eq(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            challenge,
        )
}

async fn code_grant(
    oauth: &OAuth,
    podio: Result<&PodioOAuth, AuthError>,
    params: &Params,
    caller: &Caller,
) -> Result<Result<String, Refusal>, AuthError> {
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        params.get("code"),
        params.get("redirect_uri"),
        params.get("code_verifier"),
    ) else {
        return Ok(Err(refused(
            "invalid_request",
            "the authorization_code grant needs code, redirect_uri and code_verifier (PKCE)",
        )));
    };
    let code_hash = tokens::hash(code);
    let at = now();
    let bad_binding = |client_id: &str, bound_redirect: &str, challenge: &str| {
        if client_id != caller.client_id() {
            Some("the code was issued to another client")
        } else if bound_redirect != redirect_uri {
            Some("redirect_uri differs from the one the code was sent to")
        } else if !pkce_ok(verifier, challenge) {
            Some("the code_verifier does not match the code_challenge (PKCE S256)")
        } else {
            None
        }
    };
    match oauth.store.consume_code(&code_hash, at).await? {
        CodeUse::Fresh(record) => {
            if let Some(why) = bad_binding(
                &record.client_id,
                &record.redirect_uri,
                &record.code_challenge,
            ) {
                return Ok(Err(refused("invalid_grant", why)));
            }
            let Some(grant) = live_grant(oauth, &record.grant_id).await? else {
                return Ok(Err(refused(
                    "invalid_grant",
                    "the grant behind this code was revoked",
                )));
            };
            Ok(Ok(issue(
                oauth,
                &grant,
                &uuid::Uuid::new_v4().to_string(),
                None,
            )
            .await?))
        }
        CodeUse::Replayed(record) => {
            oauth.store.revoke_grant(&record.grant_id, at).await?;
            tracing::warn!(grant_id = %record.grant_id, "authorization code replayed; grant revoked");
            Ok(Err(refused(
                "invalid_grant",
                "the code was already used: every token issued with it is revoked; sign in again",
            )))
        }
        CodeUse::Expired => Ok(Err(refused(
            "invalid_grant",
            "the code expired: sign in again",
        ))),
        CodeUse::Unknown => {
            let Some(json) = oauth.pending.take(&direct_code_key(&code_hash)).await? else {
                return Ok(Err(refused(
                    "invalid_grant",
                    "the code is unknown or was already used",
                )));
            };
            let direct: DirectCode = serde_json::from_str(&json)
                .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))?;
            if direct.expires_at <= at {
                return Ok(Err(refused(
                    "invalid_grant",
                    "the code expired: sign in again",
                )));
            }
            let auth = &direct.auth;
            if let Some(why) =
                bad_binding(&auth.client_id, &auth.redirect_uri, &auth.code_challenge)
            {
                return Ok(Err(refused("invalid_grant", why)));
            }
            let Caller::Unregistered {
                secret: Some(secret),
                ..
            } = caller
            else {
                return Ok(Err(refused(
                    "invalid_client",
                    "your client_id is a podio client id: send that key's podio client secret as the client_secret",
                )));
            };
            let podio_code = oauth.decrypt(&direct.podio_code_enc, &direct_code_aad(&code_hash))?;
            let key = PodioKey {
                client_id: auth.podio_client_id.clone(),
                client_secret: secret.clone(),
            };
            let issued =
                match exchange(podio?, &key, &podio_code, &oauth.settings.callback_url()).await {
                    Ok(issued) => issued,
                    Err(PodioGrantError::Refused { description, .. }) => {
                        return Ok(Err(refused(
                            "invalid_client",
                            format!(
                                "podio refused your client_id and client_secret: {}",
                                cut(&description)
                            ),
                        )));
                    }
                    Err(e) => return Err(AuthError::Upstream(e)),
                };
            let grant = match create_grant(
                oauth,
                auth,
                CredentialMode::Direct,
                &key,
                Some(secret),
                issued,
            )
            .await?
            {
                Ok(grant) => grant,
                Err(description) => return Ok(Err(refused("server_error", description))),
            };
            // Recorded as used, so a replay finds it and revokes the grant.
            oauth
                .store
                .insert_code(&CodeRecord {
                    code_hash,
                    grant_id: grant.id.clone(),
                    client_id: auth.client_id.clone(),
                    redirect_uri: auth.redirect_uri.clone(),
                    code_challenge: auth.code_challenge.clone(),
                    resource: auth.resource.clone(),
                    expires_at: direct.expires_at,
                    used_at: Some(at),
                })
                .await?;
            Ok(Ok(issue(
                oauth,
                &grant,
                &uuid::Uuid::new_v4().to_string(),
                None,
            )
            .await?))
        }
    }
}

async fn live_grant(oauth: &OAuth, id: &str) -> Result<Option<GrantRecord>, AuthError> {
    Ok(oauth
        .store
        .grant(id)
        .await?
        .filter(|g| g.revoked_at.is_none()))
}

/// Whether `caller` may use tokens of `grant`.
async fn caller_owns(
    oauth: &OAuth,
    caller: &Caller,
    grant: &GrantRecord,
) -> Result<bool, AuthError> {
    if grant.client_id.is_empty() {
        // Default mode with a placeholder client id: a public client.
        return Ok(!matches!(caller, Caller::Registered(_)));
    }
    if grant.client_id != caller.client_id() {
        return Ok(false);
    }
    if grant.credential_mode != CredentialMode::Direct.name() {
        return Ok(true);
    }
    // Direct mode: the client must present the podio secret it signed in with.
    let Caller::Unregistered {
        secret: Some(secret),
        ..
    } = caller
    else {
        return Ok(false);
    };
    let Some(upstream_id) = &grant.upstream_id else {
        return Ok(false);
    };
    let Some(upstream) = oauth.store.upstream(upstream_id).await? else {
        return Ok(false);
    };
    let Some(enc) = &upstream.podio_client_secret_enc else {
        return Ok(false);
    };
    let stored = oauth.decrypt(enc, &upstream_aad(&upstream.id, "podio_client_secret_enc"))?;
    Ok(tokens::constant_time_eq(stored.expose(), secret.expose()))
}

async fn refresh_grant(
    oauth: &OAuth,
    params: &Params,
    caller: &Caller,
) -> Result<Result<String, Refusal>, AuthError> {
    let Some(refresh) = params.get("refresh_token") else {
        return Ok(Err(refused("invalid_request", "refresh_token is required")));
    };
    let at = now();
    let invalid = || {
        Ok(Err(refused(
            "invalid_grant",
            "the refresh token is unknown, expired or revoked: sign in again",
        )))
    };
    let hash = tokens::hash(refresh);
    // Read first, claim last: a request refused for its client or scope
    // must not use the refresh token up (a retry after the grace period
    // would otherwise revoke the whole sign-in).
    let Some(seen) = oauth.store.token(&hash).await? else {
        return invalid();
    };
    if seen.kind != TokenKind::Refresh || seen.revoked_at.is_some() || seen.expires_at <= at {
        return invalid();
    }
    let Some(grant) = live_grant(oauth, &seen.grant_id).await? else {
        return invalid();
    };
    if !caller_owns(oauth, caller, &grant).await? {
        return Ok(Err(refused(
            "invalid_grant",
            "the refresh token was issued to another client (or the client secret is wrong)",
        )));
    }
    // RFC 6749 §6: a refresh may ask for fewer scopes, never more; the new
    // access token carries the narrower set, the refresh token keeps the
    // sign-in's so a later refresh can ask for them again.
    let narrowed = match params.get("scope").map(parse_scopes) {
        None => None,
        Some(Ok(asked)) if asked.is_empty() => None,
        Some(Ok(asked))
            if asked
                .iter()
                .all(|s| grant.scopes.iter().any(|g| g == s.name())) =>
        {
            Some(asked.iter().map(|s| s.name().to_owned()).collect())
        }
        Some(Ok(_)) => {
            return Ok(Err(refused(
                "invalid_scope",
                format!(
                    "a refresh may not widen the scopes of the sign-in: it granted {:?}",
                    grant.scopes.join(" ")
                ),
            )));
        }
        Some(Err(e)) => return Ok(Err(refused("invalid_scope", e.to_string()))),
    };
    let Some(record) = oauth.store.mark_refresh_used(&hash, at).await? else {
        return invalid();
    };
    if record.revoked_at.is_some() {
        return invalid();
    }
    if let Some(used_at) = record.used_at
        && at - used_at > secs(oauth.settings.refresh_grace)
    {
        let revoked = oauth.store.revoke_family(&record.family_id, at).await?;
        tracing::warn!(grant_id = %grant.id, revoked, "rotated refresh token reused; family revoked");
        return Ok(Err(refused(
            "invalid_grant",
            "the refresh token was already used: every token of this sign-in is revoked; sign in again",
        )));
    }
    Ok(Ok(issue(oauth, &grant, &record.family_id, narrowed).await?))
}

/// The id prefix of grants made by the client credentials grant (one per
/// integration client and owner credential), which are never the source of
/// an owner's Podio credential themselves.
const CLIENT_CREDENTIALS_GRANT_PREFIX: &str = "cc-";

/// Why a client credentials token cannot be issued before the owner signed in.
pub(crate) const OWNER_NOT_SIGNED_IN: &str = "the owner has not signed in to Portico through Podio yet: sign in once (any OAuth client) so Portico holds their Podio credential";

/// The client credentials grant (RFC 6749 §4.4) of an integration client:
/// an access token acting as the client's owner, with the Podio credential
/// of the owner's newest sign-in. No refresh token (§4.4.3).
async fn client_credentials_grant(
    oauth: &OAuth,
    params: &Params,
    caller: &Caller,
) -> Result<Result<String, Refusal>, AuthError> {
    let client = match caller {
        Caller::Registered(client) if client.kind == ClientKind::Integration => client,
        _ => {
            return Ok(Err(refused(
                "unauthorized_client",
                "the client_credentials grant is for oauth clients created for a custom integration (portico admin client create --grant client_credentials): authenticate with that client_id and client_secret",
            )));
        }
    };
    // The grant type was checked against the client's before; an
    // integration client always has an owner and a secret.
    let Some(owner) = client.owner_subject.as_deref() else {
        return Ok(Err(refused(
            "unauthorized_client",
            "this client has no owner to act as",
        )));
    };
    let scopes: Vec<String> = match params.get("scope").map(parse_scopes) {
        None => client.scopes.clone(),
        Some(Ok(asked)) if asked.is_empty() => client.scopes.clone(),
        Some(Ok(asked)) => {
            if let Some(bad) = asked
                .iter()
                .find(|s| !client.scopes.iter().any(|c| c == s.name()))
            {
                return Ok(Err(refused(
                    "invalid_scope",
                    format!("scope {} is not allowed for this client", bad.name()),
                )));
            }
            asked.iter().map(|s| s.name().to_owned()).collect()
        }
        Some(Err(e)) => return Ok(Err(refused("invalid_scope", e.to_string()))),
    };
    let grants = oauth.store.grants_of(owner).await?;
    let Some(source) = grants.iter().find(|g| {
        g.revoked_at.is_none()
            && g.upstream_id.is_some()
            && !g.id.starts_with(CLIENT_CREDENTIALS_GRANT_PREFIX)
    }) else {
        return Ok(Err(refused("invalid_grant", OWNER_NOT_SIGNED_IN)));
    };
    let resource = oauth.settings.resource();
    let reusable = grants.iter().find(|g| {
        g.id.starts_with(CLIENT_CREDENTIALS_GRANT_PREFIX)
            && g.client_id == client.client_id
            && g.revoked_at.is_none()
            && g.upstream_id == source.upstream_id
            && g.credential_mode == source.credential_mode
            && g.scopes == scopes
            && g.resource == resource
    });
    let grant = match reusable {
        Some(grant) => grant.clone(),
        None => {
            let grant = GrantRecord {
                id: format!("{CLIENT_CREDENTIALS_GRANT_PREFIX}{}", uuid::Uuid::new_v4()),
                client_id: client.client_id.clone(),
                subject: owner.to_owned(),
                credential_mode: source.credential_mode.clone(),
                scopes,
                space_ids: Vec::new(),
                org_ids: Vec::new(),
                upstream_id: source.upstream_id.clone(),
                resource,
                created_at: now(),
                last_used_at: None,
                revoked_at: None,
            };
            oauth.store.insert_grant(&grant).await?;
            tracing::info!(grant_id = %grant.id, client_id = %client.client_id, mode = %grant.credential_mode, "client credentials grant created");
            super::audit_grant(oauth, &grant, "grant.create").await;
            grant
        }
    };
    Ok(Ok(issue_access(oauth, &grant).await?))
}

/// Mints an access token (only) under `grant`.
async fn issue_access(oauth: &OAuth, grant: &GrantRecord) -> Result<String, AuthError> {
    let at = now();
    let access = mint(ACCESS_TOKEN_PREFIX)?;
    oauth
        .store
        .insert_token(&TokenRecord {
            token_hash: tokens::hash(access.expose()),
            kind: TokenKind::Access,
            grant_id: grant.id.clone(),
            family_id: uuid::Uuid::new_v4().to_string(),
            expires_at: at + secs(oauth.settings.access_ttl),
            created_at: at,
            used_at: None,
            revoked_at: None,
            scopes: None,
        })
        .await?;
    oauth.store.touch_grant(&grant.id, at).await?;
    Ok(json!({
        "access_token": access.expose(),
        "token_type": "Bearer",
        "expires_in": secs(oauth.settings.access_ttl),
        "scope": grant.scopes.join(" "),
    })
    .to_string())
}

/// Mints an access and refresh token of `family` under `grant`; the access
/// token carries `narrowed` scopes when a refresh asked for fewer.
async fn issue(
    oauth: &OAuth,
    grant: &GrantRecord,
    family: &str,
    narrowed: Option<Vec<String>>,
) -> Result<String, AuthError> {
    let at = now();
    let access = mint(ACCESS_TOKEN_PREFIX)?;
    let refresh = mint(REFRESH_TOKEN_PREFIX)?;
    let scope = narrowed.as_ref().unwrap_or(&grant.scopes).join(" ");
    for (token, kind, ttl, scopes) in [
        (
            &access,
            TokenKind::Access,
            oauth.settings.access_ttl,
            narrowed,
        ),
        (
            &refresh,
            TokenKind::Refresh,
            oauth.settings.refresh_ttl,
            None,
        ),
    ] {
        oauth
            .store
            .insert_token(&TokenRecord {
                token_hash: tokens::hash(token.expose()),
                kind,
                grant_id: grant.id.clone(),
                family_id: family.to_owned(),
                expires_at: at + secs(ttl),
                created_at: at,
                used_at: None,
                revoked_at: None,
                scopes,
            })
            .await?;
    }
    oauth.store.touch_grant(&grant.id, at).await?;
    Ok(json!({
        "access_token": access.expose(),
        "token_type": "Bearer",
        "expires_in": secs(oauth.settings.access_ttl),
        "refresh_token": refresh.expose(),
        "scope": scope,
    })
    .to_string())
}

pub(crate) async fn revoke(
    oauth: &OAuth,
    request: &RevokeRequest,
) -> Result<RevokeResponse, AuthError> {
    let done = |r: Result<(), Refusal>| match r {
        Ok(()) => RevokeResponse {
            error: None,
            http_status: 200,
        },
        Err((error, status)) => RevokeResponse {
            error: Some(error),
            http_status: status,
        },
    };
    let params = match Params::parse(&request.params) {
        Ok(p) => p,
        Err(e) => return Ok(done(Err((e, 400)))),
    };
    let Some(token) = params.get("token") else {
        return Ok(done(Err(refused("invalid_request", "token is required"))));
    };
    let (client_id, secret) = match credentials(&params, request.basic.as_ref()) {
        Ok(c) => c,
        Err(r) => return Ok(done(Err(r))),
    };
    let caller = match authenticate(oauth, client_id, secret).await? {
        Ok(c) => c,
        Err(r) => return Ok(done(Err(r))),
    };
    let at = now();
    let Some(record) = oauth.store.token(&tokens::hash(token)).await? else {
        return Ok(done(Ok(())));
    };
    let Some(grant) = oauth.store.grant(&record.grant_id).await? else {
        return Ok(done(Ok(())));
    };
    // Only the client a token was issued to may revoke it; others learn nothing.
    if !grant.client_id.is_empty() && grant.client_id != caller.client_id() {
        return Ok(done(Ok(())));
    }
    match record.kind {
        TokenKind::Refresh => {
            oauth.store.revoke_grant(&grant.id, at).await?;
            super::audit_grant(oauth, &grant, "grant.revoke").await;
        }
        TokenKind::Access => {
            oauth.store.revoke_token(&record.token_hash, at).await?;
            super::audit_grant(oauth, &grant, "token.revoke").await;
        }
    }
    tracing::info!(grant_id = %grant.id, kind = record.kind.as_str(), "oauth token revoked");
    Ok(done(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_compares_base64url_sha256_of_the_verifier() {
        let verifier = "dBjftJeZ4CVP-mJ92K0rFLWRQU1y0ZZa5hNkCEF9XmA";
        assert!(pkce_ok(
            verifier,
            "36EwUNggQGuWCcQ6o__4zBHz1-cYItvFbywM3f27Uww"
        ));
        assert!(!pkce_ok(
            verifier,
            "36EwUNggQGuWCcQ6o__4zBHz1-cYItvFbywM3f27Uwx"
        ));
        assert!(!pkce_ok(
            "short",
            "36EwUNggQGuWCcQ6o__4zBHz1-cYItvFbywM3f27Uww"
        ));
    }
}
