//! OAuth clients a user creates for a custom integration (the guide's
//! Settings > OAuth Clients), managed through the admin RPCs: either the
//! authorization code grant with refresh (a confidential client with
//! redirect URIs) or client credentials (server to server, acting as the
//! owner), or both. Their ids look like registered ones (`mcp-client-<uuid>`,
//! kind [`ClientKind::Integration`]); the secret is minted here, returned
//! once and stored hashed. Rotation replaces the hash, so the old secret
//! stops working at once; revocation revokes the client's grants and tokens.
//!
//! The client credentials grant itself is served by the token endpoint
//! (`token.rs`), which borrows the owner's Podio credential from their
//! newest sign-in.

use portico_runtime::secret::Secret;

use super::register::{MAX_REDIRECT_URIS, check_redirect_uri};
use super::{CLIENT_ID_PREFIX, CLIENT_SECRET_PREFIX, OAuth, mint, now};
use crate::error::{AuthError, FieldViolation};
use crate::service::AuthService;
use crate::store::{ClientKind, ClientRecord};
use crate::{tokens, validate};

/// The grant type of the authorization code flow (refresh comes with it).
pub const AUTHORIZATION_CODE: &str = "authorization_code";
/// The grant type of server-to-server integrations.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// Comes with [`AUTHORIZATION_CODE`]; may be named alongside it.
pub const REFRESH_TOKEN: &str = "refresh_token";
/// How integration clients authenticate at the token endpoint; Basic and
/// the form's `client_secret` are both accepted.
const AUTH_METHOD: &str = "client_secret_basic";

/// A client just created or given a new secret: the secret in plaintext
/// (shown once) and the record as stored.
#[derive(Debug)]
pub struct CreatedClient {
    /// The client secret, prefixed `portico_cs_`.
    pub secret: Secret,
    /// The stored client (its secret only as hash and hint).
    pub record: ClientRecord,
}

/// The request fields of a new integration client.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// `podio:<podio user id>`.
    pub owner_subject: String,
    /// 1 to 200 characters.
    pub name: String,
    /// `authorization_code` and/or `client_credentials`.
    pub grant_types: Vec<String>,
    /// Required with (and only with) `authorization_code`.
    pub redirect_uris: Vec<String>,
    /// Proto `Scope` values; empty means all.
    pub scopes: Vec<i32>,
}

/// The owner subject trimmed, if it is `podio:<positive podio user id>`.
pub fn owner_subject(raw: &str) -> Result<String, FieldViolation> {
    let subject = raw.trim();
    let ok = subject.strip_prefix("podio:").is_some_and(|id| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && id.parse::<i64>().is_ok_and(|n| n > 0)
    });
    if ok {
        Ok(subject.to_owned())
    } else {
        Err(FieldViolation::new(
            "owner_subject",
            format!(
                "owner_subject {:?} is not a portico user: give podio:<podio user id>, e.g. podio:1337749",
                super::cut(subject)
            ),
        ))
    }
}

/// The grant types as stored (`authorization_code` brings `refresh_token`).
fn grant_types(raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    let names: Vec<&str> = raw.iter().map(|g| g.trim()).collect();
    if names.is_empty() {
        return Err(FieldViolation::new(
            "grant_types",
            "grant_types must not be empty: give authorization_code and/or client_credentials",
        ));
    }
    if let Some(bad) = names
        .iter()
        .find(|g| ![AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN].contains(g))
    {
        return Err(FieldViolation::new(
            "grant_types",
            format!(
                "grant type {:?} is not offered: accepted are authorization_code (with refresh) and client_credentials",
                super::cut(bad)
            ),
        ));
    }
    let code = names.contains(&AUTHORIZATION_CODE);
    if names.contains(&REFRESH_TOKEN) && !code {
        return Err(FieldViolation::new(
            "grant_types",
            "refresh_token comes with authorization_code: add authorization_code, or use client_credentials alone",
        ));
    }
    let mut stored = Vec::new();
    if code {
        stored.extend([AUTHORIZATION_CODE.to_owned(), REFRESH_TOKEN.to_owned()]);
    }
    if names.contains(&CLIENT_CREDENTIALS) {
        stored.push(CLIENT_CREDENTIALS.to_owned());
    }
    Ok(stored)
}

/// The redirect URIs, by the rules of registration, required exactly when
/// the authorization code grant is.
fn redirect_uris(raw: &[String], code: bool) -> Result<Vec<String>, FieldViolation> {
    let uris: Vec<String> = raw.iter().map(|u| u.trim().to_owned()).collect();
    let violation = |d: String| FieldViolation::new("redirect_uris", d);
    if code && uris.is_empty() {
        return Err(violation(
            "redirect_uris is required for the authorization_code grant: give at least one https (or loopback http) uri".to_owned(),
        ));
    }
    if !code && !uris.is_empty() {
        return Err(violation(
            "redirect_uris are only used by the authorization_code grant: leave them out for client_credentials".to_owned(),
        ));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(violation(format!(
            "{} redirect_uris given: at most {MAX_REDIRECT_URIS} are accepted",
            uris.len()
        )));
    }
    for uri in &uris {
        check_redirect_uri(uri).map_err(violation)?;
    }
    Ok(uris)
}

fn oauth_of(service: &AuthService) -> Result<&OAuth, AuthError> {
    service.oauth().ok_or(AuthError::OAuthDisabled)
}

/// The integration client `client_id`, revoked or not.
async fn integration(oauth: &OAuth, client_id: &str) -> Result<ClientRecord, AuthError> {
    let client_id = client_id.trim();
    if client_id.is_empty() {
        return Err(AuthError::invalid(FieldViolation::new(
            "client_id",
            "client_id must not be empty: give the mcp-client-… id shown at creation or by list",
        )));
    }
    match oauth.store.client(client_id).await? {
        Some(client) if client.kind == ClientKind::Integration => Ok(client),
        _ => Err(AuthError::ClientNotFound(client_id.to_owned())),
    }
}

impl AuthService {
    /// Creates an integration OAuth client; every bad field is reported at
    /// once.
    pub async fn create_oauth_client(&self, new: &NewClient) -> Result<CreatedClient, AuthError> {
        let oauth = oauth_of(self)?;
        let owner = owner_subject(&new.owner_subject);
        let name = validate::name(&new.name);
        let grants = grant_types(&new.grant_types);
        let code = match &grants {
            Ok(g) => g.iter().any(|g| g == AUTHORIZATION_CODE),
            // Judge the redirect URIs by what was asked for.
            Err(_) => new
                .grant_types
                .iter()
                .any(|g| g.trim() == AUTHORIZATION_CODE),
        };
        let uris = redirect_uris(&new.redirect_uris, code);
        let scopes = validate::scopes(&new.scopes);
        let (owner, name, grants, uris, scopes) = match (owner, name, grants, uris, scopes) {
            (Ok(o), Ok(n), Ok(g), Ok(u), Ok(s)) => (o, n, g, u, s),
            (o, n, g, u, s) => {
                return Err(AuthError::InvalidArgument(
                    [o.err(), n.err(), g.err(), u.err(), s.err()]
                        .into_iter()
                        .flatten()
                        .collect(),
                ));
            }
        };
        let secret = mint(CLIENT_SECRET_PREFIX)?;
        let record = ClientRecord {
            client_id: format!("{CLIENT_ID_PREFIX}{}", uuid::Uuid::new_v4()),
            kind: ClientKind::Integration,
            name,
            redirect_uris: uris,
            grant_types: grants,
            token_endpoint_auth_method: AUTH_METHOD.to_owned(),
            secret_hash: Some(tokens::hash(secret.expose())),
            secret_hint: Some(tokens::hint(secret.expose())),
            owner_subject: Some(owner),
            scopes: scopes.iter().map(|s| s.name().to_owned()).collect(),
            podio_client_id: None,
            podio_client_secret_enc: None,
            metadata_json: "{}".to_owned(),
            created_at: now(),
            revoked_at: None,
        };
        oauth.store.insert_client(&record).await?;
        tracing::info!(
            client_id = %record.client_id,
            owner = record.owner_subject.as_deref().unwrap_or_default(),
            grant_types = %record.grant_types.join(" "),
            "integration oauth client created"
        );
        self.audit_admin(
            "oauth_client.create",
            &format!("oauth_client:{}", record.client_id),
        )
        .await;
        Ok(CreatedClient { secret, record })
    }

    /// The integration clients of `owner_subject` (every one when empty),
    /// newest first.
    pub async fn list_oauth_clients(
        &self,
        owner_subject: &str,
    ) -> Result<Vec<ClientRecord>, AuthError> {
        let oauth = oauth_of(self)?;
        if owner_subject.trim().is_empty() {
            return Ok(oauth.store.clients_of_kind(ClientKind::Integration).await?);
        }
        let owner = self::owner_subject(owner_subject).map_err(AuthError::invalid)?;
        Ok(oauth
            .store
            .clients_owned_by(&owner)
            .await?
            .into_iter()
            .filter(|c| c.kind == ClientKind::Integration)
            .collect())
    }

    /// Gives an integration client a new secret; the old one stops working
    /// at once.
    pub async fn rotate_oauth_client_secret(
        &self,
        client_id: &str,
    ) -> Result<CreatedClient, AuthError> {
        let oauth = oauth_of(self)?;
        let mut record = integration(oauth, client_id).await?;
        if record.revoked_at.is_some() {
            return Err(AuthError::ClientRevoked(record.client_id));
        }
        let secret = mint(CLIENT_SECRET_PREFIX)?;
        let hash = tokens::hash(secret.expose());
        let hint = tokens::hint(secret.expose());
        if !oauth
            .store
            .set_client_secret(&record.client_id, &hash, &hint)
            .await?
        {
            return Err(AuthError::ClientNotFound(record.client_id));
        }
        record.secret_hash = Some(hash);
        record.secret_hint = Some(hint);
        tracing::info!(client_id = %record.client_id, "integration oauth client secret rotated");
        self.audit_admin(
            "oauth_client.rotate_secret",
            &format!("oauth_client:{}", record.client_id),
        )
        .await;
        Ok(CreatedClient { secret, record })
    }

    /// Revokes an integration client with its grants and tokens; revoking
    /// twice succeeds.
    pub async fn revoke_oauth_client(&self, client_id: &str) -> Result<(), AuthError> {
        let oauth = oauth_of(self)?;
        let record = integration(oauth, client_id).await?;
        if record.revoked_at.is_some() {
            return Ok(());
        }
        if !oauth.store.revoke_client(&record.client_id, now()).await? {
            return Err(AuthError::ClientNotFound(record.client_id));
        }
        tracing::info!(client_id = %record.client_id, "integration oauth client revoked");
        self.audit_admin(
            "oauth_client.revoke",
            &format!("oauth_client:{}", record.client_id),
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_subjects_are_podio_user_ids() {
        assert_eq!(owner_subject(" podio:42 "), Ok("podio:42".to_owned()));
        for bad in [
            "",
            "podio:",
            "podio:abc",
            "podio:-1",
            "podio:0",
            "token:1",
            "42",
        ] {
            assert_eq!(
                owner_subject(bad).map_err(|v| v.field),
                Err("owner_subject"),
                "{bad}"
            );
        }
    }

    #[test]
    fn grant_types_bring_refresh_with_the_code_grant() {
        let s = |v: &[&str]| v.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            grant_types(&s(&["authorization_code"])),
            Ok(s(&["authorization_code", "refresh_token"]))
        );
        assert_eq!(
            grant_types(&s(&[
                "client_credentials",
                "authorization_code",
                "refresh_token"
            ])),
            Ok(s(&[
                "authorization_code",
                "refresh_token",
                "client_credentials"
            ]))
        );
        assert!(grant_types(&[]).is_err());
        assert!(grant_types(&s(&["refresh_token"])).is_err());
        assert!(grant_types(&s(&["password"])).is_err());
    }

    #[test]
    fn redirect_uris_go_with_the_code_grant_only() {
        let one = vec!["https://app.example/cb".to_owned()];
        assert!(redirect_uris(&one, true).is_ok());
        assert!(redirect_uris(&[], true).is_err());
        assert!(redirect_uris(&one, false).is_err());
        assert!(redirect_uris(&[], false).is_ok());
        assert!(redirect_uris(&["http://app.example/cb".to_owned()], true).is_err());
        assert!(redirect_uris(&vec!["https://a.example/cb".to_owned(); 11], true).is_err());
    }
}
