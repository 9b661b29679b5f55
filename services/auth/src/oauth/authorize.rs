//! `GET /oauth/authorize` and `GET /oauth/callback`: the client's request is
//! checked (client, redirect URI, PKCE, scope, resource), parked in the
//! pending store, and the user sent to Podio's sign-in; Podio sends the user
//! back to the callback, where Podio's code is exchanged (default and
//! registered modes) or kept encrypted until the client's secret arrives at
//! the token endpoint (direct mode), and the client gets Portico's own code.
//! A client identified by a metadata document URL is checked against the
//! fetched document (see the module doc of `oauth`).

use portico_proto::auth::v1::{NavigationResponse, OAuthError, Param, navigation_response::Next};
use portico_proto::vocab::{CredentialMode, Scope, parse_scopes};
use portico_runtime::secret::Secret;
use serde::{Deserialize, Serialize};

use super::register::{check_redirect_uri, client_secret_aad, is_loopback};
use super::{CLIENT_ID_PREFIX, CODE_PREFIX, OAuth, Params, cut, mint, now, oauth_error, secs};
use crate::client_metadata::ClientMetadata;
use crate::error::AuthError;
use crate::store::{ClientKind, ClientRecord, CodeRecord, GrantRecord, StoreError, UpstreamRecord};
use crate::tokens;
use crate::upstream::podio::{Grant, PodioGrantError, PodioKey, PodioOAuth, PodioTokens};

/// An authorize request parked while the user signs in at Podio.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingAuth {
    /// The client_id as the client sent it (may be empty in default mode).
    pub client_id: String,
    /// The credential mode's name.
    pub mode: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub resource: String,
    /// The Podio client id the user signs in with.
    pub podio_client_id: String,
    /// The `client_name` of the client's metadata document; `Some` exactly
    /// when the client_id is a metadata document URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
}

/// A direct-mode code: Podio's code waits, encrypted, for the client's
/// secret at the token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DirectCode {
    pub auth: PendingAuth,
    pub podio_code_enc: Vec<u8>,
    pub expires_at: i64,
}

/// The pending-store key of a direct-mode code.
pub(crate) fn direct_code_key(code_hash: &str) -> String {
    format!("direct_code:{code_hash}")
}

pub(crate) fn direct_code_aad(code_hash: &str) -> String {
    format!("direct_code:{code_hash}:podio_code")
}

pub(crate) fn upstream_aad(id: &str, column: &str) -> String {
    format!("oauth_upstreams:{id}:{column}")
}

fn page(error: &str, description: impl Into<String>) -> NavigationResponse {
    NavigationResponse {
        next: Some(Next::ErrorPage(oauth_error(error, description))),
        http_status: 400,
    }
}

/// A redirect to the client's verified `redirect_uri` with `pairs`, the
/// state and the issuer (RFC 9207).
fn back_to_client(
    oauth: &OAuth,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    state: Option<&str>,
) -> NavigationResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return page("invalid_request", "the redirect_uri is not a valid url");
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &oauth.settings.public_url);
    }
    NavigationResponse {
        next: Some(Next::RedirectTo(url.into())),
        http_status: 302,
    }
}

fn error_to_client(
    oauth: &OAuth,
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
) -> NavigationResponse {
    back_to_client(
        oauth,
        redirect_uri,
        &[
            ("error", &error.error),
            ("error_description", &error.error_description),
        ],
        state,
    )
}

/// Whether `uri` is one of `registered`: exactly, or for loopback URIs on
/// any port (RFC 8252 §7.3).
fn registered_redirect(registered: &[String], uri: &str) -> bool {
    if registered.iter().any(|r| r == uri) {
        return true;
    }
    let Ok(given) = url::Url::parse(uri) else {
        return false;
    };
    if !is_loopback(&given) {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|mut r| {
            let mut g = given.clone();
            is_loopback(&r) && r.set_port(None).is_ok() && g.set_port(None).is_ok() && r == g
        })
    })
}

/// Whether `uri` is on the default allowlist: entries ending in `/` are
/// prefixes, others exact; loopback is always allowed.
pub(crate) fn allowlisted(oauth: &OAuth, uri: &str) -> bool {
    let Ok(parsed) = check_redirect_uri(uri) else {
        return false;
    };
    if is_loopback(&parsed) {
        return true;
    }
    oauth.settings.redirect_allowlist.iter().any(|entry| {
        if entry.ends_with('/') {
            uri.starts_with(entry.as_str()) && !uri[entry.len()..].contains("..")
        } else {
            uri == entry
        }
    })
}

/// The rule of the module doc: a plausible Podio client id that is not a
/// placeholder selects direct mode.
pub(crate) fn is_direct_client_id(oauth: &OAuth, client_id: &str) -> bool {
    (2..=64).contains(&client_id.len())
        && client_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !oauth
            .settings
            .default_mode_client_ids
            .iter()
            .any(|p| p == client_id)
}

/// Whether `resource` names this server; the audience is always `<base>/mcp`.
pub(crate) fn resource_ok(oauth: &OAuth, resource: &str) -> bool {
    let base = &oauth.settings.public_url;
    resource == oauth.settings.resource() || resource == *base || resource == format!("{base}/")
}

fn challenge_ok(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

enum Resolved {
    Registered(Box<ClientRecord>),
    /// A client identified by its metadata document, fetched and valid.
    Metadata(Box<ClientMetadata>),
    Default,
    Direct,
}

pub(crate) async fn authorize(
    oauth: &OAuth,
    raw: &[Param],
) -> Result<NavigationResponse, AuthError> {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return Ok(page(&e.error, e.error_description)),
    };
    let client_id = params.get("client_id").unwrap_or("").trim().to_owned();
    let Some(redirect_uri) = params.get("redirect_uri").map(str::to_owned) else {
        return Ok(page(
            "invalid_request",
            "redirect_uri is required: give the redirect uri your client registered",
        ));
    };
    let resolved = if client_id.starts_with(CLIENT_ID_PREFIX) {
        let client = oauth.store.client(&client_id).await?;
        let Some(client) = client.filter(|c| c.revoked_at.is_none()) else {
            return Ok(page(
                "invalid_client",
                "unknown client: this client is not registered here (or was removed); register again",
            ));
        };
        if client.kind == ClientKind::Integration
            && !client.grant_types.iter().any(|g| g == "authorization_code")
        {
            return Ok(page(
                "unauthorized_client",
                "this client was created for the client_credentials grant only: request tokens from the token endpoint with its client_id and client_secret",
            ));
        }
        if !registered_redirect(&client.redirect_uris, &redirect_uri) {
            return Ok(page(
                "invalid_request",
                format!(
                    "redirect_uri {:?} is not one this client registered",
                    cut(&redirect_uri)
                ),
            ));
        }
        Resolved::Registered(Box::new(client))
    } else if client_id.starts_with("https://")
        || oauth
            .client_metadata
            .as_ref()
            .is_ok_and(|f| f.accepts(&client_id))
    {
        // A metadata document URL (a malformed https one is refused by the
        // fetcher, saying what is accepted).
        let fetched = match &oauth.client_metadata {
            Ok(fetcher) => fetcher.fetch(&client_id).await,
            Err(e) => Err(e.clone()),
        };
        let metadata = match fetched {
            Ok(metadata) => metadata,
            Err(e) => return Ok(page("invalid_client", e.to_string())),
        };
        if !registered_redirect(&metadata.redirect_uris, &redirect_uri) {
            return Ok(page(
                "invalid_request",
                format!(
                    "redirect_uri {:?} is not one of the redirect_uris of the client metadata document",
                    cut(&redirect_uri)
                ),
            ));
        }
        Resolved::Metadata(Box::new(metadata))
    } else {
        if !allowlisted(oauth, &redirect_uri) {
            return Ok(page(
                "invalid_request",
                format!(
                    "redirect_uri {:?} is not on this server's allowlist for unregistered clients: register the client (POST /oauth/register) or ask the operator to allow it",
                    cut(&redirect_uri)
                ),
            ));
        }
        if is_direct_client_id(oauth, &client_id) {
            Resolved::Direct
        } else {
            Resolved::Default
        }
    };
    // The redirect URI is verified: from here on errors go back to the client.
    let state = params.get("state").map(str::to_owned);
    let refuse = |error: &str, description: String| {
        Ok(error_to_client(
            oauth,
            &redirect_uri,
            &oauth_error(error, description),
            state.as_deref(),
        ))
    };
    match params.get("response_type") {
        Some("code") => {}
        other => {
            return refuse(
                "unsupported_response_type",
                format!(
                    "response_type {:?} is not supported: use response_type=code",
                    cut(other.unwrap_or(""))
                ),
            );
        }
    }
    let Some(challenge) = params.get("code_challenge") else {
        return refuse(
            "invalid_request",
            "code_challenge is required: use PKCE with code_challenge_method=S256".to_owned(),
        );
    };
    if params.get("code_challenge_method") != Some("S256") {
        return refuse(
            "invalid_request",
            "code_challenge_method must be S256: only S256 is supported".to_owned(),
        );
    }
    if !challenge_ok(challenge) {
        return refuse(
            "invalid_request",
            "code_challenge must be 43 to 128 base64url characters (BASE64URL(SHA256(verifier)))"
                .to_owned(),
        );
    }
    let scopes = match params.get("scope").map(parse_scopes) {
        None => portico_proto::vocab::ALL_SCOPES.to_vec(),
        Some(Ok(s)) if s.is_empty() => portico_proto::vocab::ALL_SCOPES.to_vec(),
        Some(Ok(s)) => s,
        Some(Err(e)) => return refuse("invalid_scope", e.to_string()),
    };
    if let Some(resource) = params.get("resource")
        && !resource_ok(oauth, resource)
    {
        return refuse(
            "invalid_target",
            format!(
                "resource {:?} is not this server: use {}",
                cut(resource),
                oauth.settings.resource()
            ),
        );
    }
    let (mode, podio_client_id) = match &resolved {
        Resolved::Registered(client) => match &client.podio_client_id {
            Some(id) => (CredentialMode::Registered, id.clone()),
            None => match &oauth.settings.shared_key {
                Some(key) => (CredentialMode::Default, key.client_id.clone()),
                None => return refuse("unauthorized_client", no_shared_key()),
            },
        },
        Resolved::Direct => (CredentialMode::Direct, client_id.clone()),
        Resolved::Metadata(_) => match &oauth.settings.shared_key {
            Some(key) => (CredentialMode::Default, key.client_id.clone()),
            None => {
                return refuse(
                    "unauthorized_client",
                    "this server has no shared podio api key (PORTICO_PODIO_CLIENT_ID), which clients identified by a metadata document sign in with".to_owned(),
                );
            }
        },
        Resolved::Default => match &oauth.settings.shared_key {
            Some(key) => (CredentialMode::Default, key.client_id.clone()),
            None => return refuse("unauthorized_client", no_shared_key()),
        },
    };
    if let Resolved::Registered(client) = &resolved
        && let Some(bad) = scopes
            .iter()
            .find(|s| !client.scopes.iter().any(|c| c == s.name()))
    {
        return refuse(
            "invalid_scope",
            format!("scope {} is not allowed for this client", bad.name()),
        );
    }
    let pending = PendingAuth {
        client_id,
        mode: mode.name().to_owned(),
        redirect_uri: redirect_uri.clone(),
        code_challenge: challenge.to_owned(),
        state: state.clone(),
        scopes: scopes.iter().map(|s| Scope::name(*s).to_owned()).collect(),
        resource: oauth.settings.resource(),
        podio_client_id: podio_client_id.clone(),
        client_name: match &resolved {
            Resolved::Metadata(metadata) => Some(metadata.client_name.clone()),
            _ => None,
        },
    };
    let key = mint("")?;
    let json = serde_json::to_string(&pending)
        .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))?;
    oauth
        .pending
        .put(key.expose(), &json, oauth.settings.pending_ttl)
        .await?;
    let mut url = url::Url::parse(&oauth.settings.podio_authorize_url)
        .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))?;
    url.query_pairs_mut()
        .append_pair("client_id", &podio_client_id)
        .append_pair("redirect_uri", &oauth.settings.callback_url())
        .append_pair("state", key.expose())
        .append_pair("response_type", "code");
    Ok(NavigationResponse {
        next: Some(Next::RedirectTo(url.into())),
        http_status: 302,
    })
}

fn no_shared_key() -> String {
    "this server has no shared podio api key (PORTICO_PODIO_CLIENT_ID): use your own podio key as the client id and secret, or register with podio_client_id".to_owned()
}

pub(crate) async fn callback(
    oauth: &OAuth,
    podio: Result<&PodioOAuth, AuthError>,
    raw: &[Param],
) -> Result<NavigationResponse, AuthError> {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return Ok(page(&e.error, e.error_description)),
    };
    let expired = || {
        page(
            "invalid_request",
            "this sign-in expired or was already used: start again from your application",
        )
    };
    let Some(state) = params.get("state") else {
        return Ok(expired());
    };
    let Some(json) = oauth.pending.take(state).await? else {
        return Ok(expired());
    };
    let pending: PendingAuth = serde_json::from_str(&json)
        .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))?;
    let to_client = |error: &str, description: &str| {
        Ok(error_to_client(
            oauth,
            &pending.redirect_uri,
            &oauth_error(error, description),
            pending.state.as_deref(),
        ))
    };
    if params.get("error").is_some() {
        return to_client("access_denied", "the user did not allow access at podio");
    }
    let Some(podio_code) = params.get("code").map(Secret::new) else {
        return to_client("server_error", "podio sent the user back without a code");
    };
    let code = mint(CODE_PREFIX)?;
    let code_hash = tokens::hash(code.expose());
    let mode = CredentialMode::parse(&pending.mode).unwrap_or(CredentialMode::Default);
    if mode == CredentialMode::Direct {
        let direct = DirectCode {
            podio_code_enc: oauth.encrypt(&podio_code, &direct_code_aad(&code_hash))?,
            expires_at: now() + secs(oauth.settings.code_ttl),
            auth: pending.clone(),
        };
        let json = serde_json::to_string(&direct)
            .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))?;
        oauth
            .pending
            .put(&direct_code_key(&code_hash), &json, oauth.settings.code_ttl)
            .await?;
    } else {
        let key = match podio_key_for(oauth, &pending).await? {
            Some(key) => key,
            None => return to_client("unauthorized_client", "the client's podio key is gone"),
        };
        let issued = match exchange(podio?, &key, &podio_code, &oauth.settings.callback_url()).await
        {
            Ok(issued) => issued,
            Err(PodioGrantError::Refused { description, .. }) => {
                return to_client(
                    "access_denied",
                    &format!("podio refused the sign-in: {}", cut(&description)),
                );
            }
            Err(PodioGrantError::Unavailable(_)) => {
                return to_client(
                    "temporarily_unavailable",
                    "podio could not be reached: try again",
                );
            }
        };
        if let Some(owner) = integration_owner(oauth, &pending.client_id).await?
            && issued.user_id.map(|id| format!("podio:{id}")).as_deref() != Some(owner.as_str())
        {
            // Nothing is stored: the Podio tokens just obtained are dropped.
            return to_client(
                "access_denied",
                "this oauth client was created by another portico user for their own integration: only its owner can sign in with it",
            );
        }
        let grant = match create_grant(oauth, &pending, mode, &key, None, issued).await? {
            Ok(grant) => grant,
            Err(description) => return to_client("server_error", &description),
        };
        oauth
            .store
            .insert_code(&CodeRecord {
                code_hash,
                grant_id: grant.id,
                client_id: pending.client_id.clone(),
                redirect_uri: pending.redirect_uri.clone(),
                code_challenge: pending.code_challenge.clone(),
                resource: pending.resource.clone(),
                expires_at: now() + secs(oauth.settings.code_ttl),
                used_at: None,
            })
            .await?;
    }
    Ok(back_to_client(
        oauth,
        &pending.redirect_uri,
        &[("code", code.expose())],
        pending.state.as_deref(),
    ))
}

/// The Podio key of default and registered requests.
async fn podio_key_for(
    oauth: &OAuth,
    pending: &PendingAuth,
) -> Result<Option<PodioKey>, AuthError> {
    if pending.mode == CredentialMode::Registered.name() {
        let Some(client) = oauth.store.client(&pending.client_id).await? else {
            return Ok(None);
        };
        let (Some(id), Some(enc)) = (client.podio_client_id, client.podio_client_secret_enc) else {
            return Ok(None);
        };
        let secret = oauth.decrypt(&enc, &client_secret_aad(&client.client_id))?;
        return Ok(Some(PodioKey {
            client_id: id,
            client_secret: secret,
        }));
    }
    Ok(oauth.settings.shared_key.clone())
}

pub(crate) async fn exchange(
    podio: &PodioOAuth,
    key: &PodioKey,
    code: &Secret,
    redirect_uri: &str,
) -> Result<PodioTokens, PodioGrantError> {
    podio
        .grant(key, Grant::AuthorizationCode { code, redirect_uri })
        .await
}

/// Stores Podio's tokens and the user's grant. `Err(description)` when
/// Podio's answer did not name the user.
/// The owner of `client_id` when it is an OAuth client made for a custom
/// integration (its tokens act as that user only); `None` for every other
/// client.
async fn integration_owner(oauth: &OAuth, client_id: &str) -> Result<Option<String>, AuthError> {
    if !client_id.starts_with(CLIENT_ID_PREFIX) {
        return Ok(None);
    }
    Ok(oauth
        .store
        .client(client_id)
        .await?
        .filter(|c| c.kind == ClientKind::Integration)
        .and_then(|c| c.owner_subject))
}

pub(crate) async fn create_grant(
    oauth: &OAuth,
    pending: &PendingAuth,
    mode: CredentialMode,
    key: &PodioKey,
    secret_to_keep: Option<&Secret>,
    issued: PodioTokens,
) -> Result<Result<GrantRecord, String>, AuthError> {
    let Some(user_id) = issued.user_id else {
        return Ok(Err(
            "podio's token answer did not name the user (no ref of type user)".to_owned(),
        ));
    };
    let Some(refresh) = issued.refresh.as_ref() else {
        return Ok(Err(
            "podio's token answer carried no refresh token".to_owned()
        ));
    };
    let at = now();
    let id = uuid::Uuid::new_v4().to_string();
    let subject = format!("podio:{user_id}");
    let upstream = UpstreamRecord {
        id: id.clone(),
        subject: subject.clone(),
        podio_user_id: user_id,
        podio_client_id: key.client_id.clone(),
        podio_client_secret_enc: match secret_to_keep {
            Some(secret) => {
                Some(oauth.encrypt(secret, &upstream_aad(&id, "podio_client_secret_enc"))?)
            }
            None => None,
        },
        access_token_enc: oauth.encrypt(&issued.access, &upstream_aad(&id, "access_token_enc"))?,
        refresh_token_enc: oauth.encrypt(refresh, &upstream_aad(&id, "refresh_token_enc"))?,
        expires_at: at + secs(issued.expires_in),
        updated_at: at,
        version: 0,
    };
    oauth.store.insert_upstream(&upstream).await?;
    let grant = GrantRecord {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: match mode {
            CredentialMode::Default
                if !pending.client_id.starts_with(CLIENT_ID_PREFIX)
                    && pending.client_name.is_none() =>
            {
                String::new()
            }
            _ => pending.client_id.clone(),
        },
        subject,
        credential_mode: mode.name().to_owned(),
        scopes: pending.scopes.clone(),
        space_ids: Vec::new(),
        org_ids: Vec::new(),
        upstream_id: Some(id),
        resource: pending.resource.clone(),
        created_at: at,
        last_used_at: None,
        revoked_at: None,
    };
    oauth.store.insert_grant(&grant).await?;
    if let Some(name) = &pending.client_name {
        record_metadata_client(oauth, &pending.client_id, name, at).await?;
    }
    tracing::info!(grant_id = %grant.id, mode = mode.name(), "oauth grant created");
    super::audit_grant(oauth, &grant, "grant.create").await;
    Ok(Ok(grant))
}

/// Keeps the name of a metadata-document client for introspection (which
/// names a grant's client by its stored record): a client record under the
/// document URL, inert if anything took it for a registered client (no
/// redirect URIs, grant types or scopes; authorize and the token endpoint
/// look up only `mcp-client-` ids). The first sign-in's name stays.
async fn record_metadata_client(
    oauth: &OAuth,
    client_id: &str,
    name: &str,
    at: i64,
) -> Result<(), AuthError> {
    if oauth.store.client(client_id).await?.is_some() {
        return Ok(());
    }
    let record = ClientRecord {
        client_id: client_id.to_owned(),
        kind: ClientKind::Registered,
        name: name.to_owned(),
        redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        token_endpoint_auth_method: "none".to_owned(),
        secret_hash: None,
        secret_hint: None,
        owner_subject: None,
        scopes: Vec::new(),
        podio_client_id: None,
        podio_client_secret_enc: None,
        metadata_json: serde_json::json!({ "client_id_metadata_document": true }).to_string(),
        created_at: at,
        revoked_at: None,
    };
    match oauth.store.insert_client(&record).await {
        // A concurrent sign-in recorded it first.
        Ok(()) | Err(StoreError::AlreadyExists) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_others_exactly() {
        let registered = vec![
            "http://127.0.0.1:3000/callback".to_owned(),
            "https://a.example/cb".to_owned(),
        ];
        assert!(registered_redirect(
            &registered,
            "http://127.0.0.1:9999/callback"
        ));
        assert!(!registered_redirect(
            &registered,
            "http://127.0.0.1:9999/other"
        ));
        assert!(registered_redirect(&registered, "https://a.example/cb"));
        assert!(!registered_redirect(&registered, "https://a.example/cb/"));
        assert!(!registered_redirect(
            &registered,
            "https://a.example:444/cb"
        ));
    }
}
