//! `portico admin`: operator commands against a running auth service.

use std::collections::HashMap;

use portico_proto::auth::v1 as pb;
use portico_proto::auth::v1::auth_client::AuthClient;
use portico_proto::vocab::Scope;
use portico_runtime::env::Env;
use portico_runtime::grpc::TracedChannel;
use tonic::Request;

/// Connects to the auth service named by `PORTICO_AUTH_URL` and prepares
/// requests carrying `PORTICO_ADMIN_SECRET` when one is set.
pub struct AdminClient {
    auth: AuthClient<TracedChannel>,
    admin_secret: Option<String>,
}

impl AdminClient {
    /// A client for the auth service configured in `env`.
    pub fn from_env(env: &HashMap<String, String>) -> anyhow::Result<AdminClient> {
        let env = Env(env);
        let url = env.string_or("PORTICO_AUTH_URL", "http://127.0.0.1:50051");
        Ok(AdminClient {
            auth: portico_proto::remote::RemoteAuth::connect_lazy(&url)?.client(),
            admin_secret: env.get("PORTICO_ADMIN_SECRET").map(str::to_owned),
        })
    }

    fn request<T>(&self, message: T) -> anyhow::Result<Request<T>> {
        let mut request = Request::new(message);
        if let Some(secret) = &self.admin_secret {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {secret}").parse()?);
        }
        Ok(request)
    }

    /// Creates a personal API token with the scopes named (e.g.
    /// `podio:read`; all when none), limited to the given Podio workspaces
    /// and organizations (none: no limit); the plaintext is in the response
    /// only.
    pub async fn create_token(
        &self,
        name: &str,
        scopes: &[String],
        space_ids: &[i64],
        org_ids: &[i64],
    ) -> anyhow::Result<pb::CreateApiTokenResponse> {
        let scopes = scopes
            .iter()
            .map(|name| Scope::parse(name).map(|s| s as i32))
            .collect::<Result<Vec<_>, _>>()?;
        let request = self.request(pb::CreateApiTokenRequest {
            name: name.to_owned(),
            scopes,
            space_ids: space_ids.to_vec(),
            org_ids: org_ids.to_vec(),
        })?;
        Ok(self
            .auth
            .clone()
            .create_api_token(request)
            .await?
            .into_inner())
    }

    /// Audit events, newest first: of `subject` and through `client_id` when
    /// given, at or after `since` (Unix seconds), at most `limit` (0: 100).
    pub async fn audit(
        &self,
        subject: Option<&str>,
        client_id: Option<&str>,
        since: Option<i64>,
        limit: u32,
    ) -> anyhow::Result<Vec<pb::AuditEvent>> {
        let request = self.request(pb::ListAuditEventsRequest {
            subject: subject.unwrap_or_default().to_owned(),
            client_id: client_id.unwrap_or_default().to_owned(),
            since: since.unwrap_or_default(),
            until: 0,
            limit,
        })?;
        Ok(self
            .auth
            .clone()
            .list_audit_events(request)
            .await?
            .into_inner()
            .events)
    }

    /// Lists personal API tokens (never their secrets).
    pub async fn list_tokens(&self) -> anyhow::Result<Vec<pb::ApiTokenInfo>> {
        let request = self.request(pb::ListApiTokensRequest {})?;
        Ok(self
            .auth
            .clone()
            .list_api_tokens(request)
            .await?
            .into_inner()
            .tokens)
    }

    /// Revokes a personal API token by id.
    pub async fn revoke_token(&self, id: &str) -> anyhow::Result<()> {
        let request = self.request(pb::RevokeApiTokenRequest { id: id.to_owned() })?;
        self.auth.clone().revoke_api_token(request).await?;
        Ok(())
    }
}

/// What `portico admin client create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewOAuthClient {
    /// `podio:<podio user id>`.
    pub owner_subject: String,
    pub name: String,
    /// `authorization_code` and/or `client_credentials`.
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    /// Scope names, e.g. `podio:read`; all when none.
    pub scopes: Vec<String>,
}

impl AdminClient {
    /// Creates an OAuth client for a user's custom integration; the secret
    /// is in the response only.
    pub async fn create_client(
        &self,
        new: &NewOAuthClient,
    ) -> anyhow::Result<pb::CreateOAuthClientResponse> {
        let scopes = new
            .scopes
            .iter()
            .map(|name| Scope::parse(name).map(|s| s as i32))
            .collect::<Result<Vec<_>, _>>()?;
        let request = self.request(pb::CreateOAuthClientRequest {
            owner_subject: new.owner_subject.clone(),
            name: new.name.clone(),
            grant_types: new.grant_types.clone(),
            redirect_uris: new.redirect_uris.clone(),
            scopes,
        })?;
        Ok(self
            .auth
            .clone()
            .create_o_auth_client(request)
            .await?
            .into_inner())
    }

    /// Lists integration OAuth clients of `owner` (all when empty), never
    /// their secrets.
    pub async fn list_clients(&self, owner: &str) -> anyhow::Result<Vec<pb::OAuthClientInfo>> {
        let request = self.request(pb::ListOAuthClientsRequest {
            owner_subject: owner.to_owned(),
        })?;
        Ok(self
            .auth
            .clone()
            .list_o_auth_clients(request)
            .await?
            .into_inner()
            .clients)
    }

    /// Gives a client a new secret (the old one stops working at once).
    pub async fn rotate_client(
        &self,
        client_id: &str,
    ) -> anyhow::Result<pb::RotateOAuthClientSecretResponse> {
        let request = self.request(pb::RotateOAuthClientSecretRequest {
            client_id: client_id.to_owned(),
        })?;
        Ok(self
            .auth
            .clone()
            .rotate_o_auth_client_secret(request)
            .await?
            .into_inner())
    }

    /// Revokes a client with every grant and token issued to it.
    pub async fn revoke_client(&self, client_id: &str) -> anyhow::Result<()> {
        let request = self.request(pb::RevokeOAuthClientRequest {
            client_id: client_id.to_owned(),
        })?;
        self.auth.clone().revoke_o_auth_client(request).await?;
        Ok(())
    }
}

/// A list for a listing column, `-` when empty.
pub fn joined(items: &[String], separator: &str) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(separator)
    }
}

/// A token's workspace and organization limits for a listing, e.g.
/// `spaces 1,2; orgs 3`, or `all workspaces`.
pub fn limits(space_ids: &[i64], org_ids: &[i64]) -> String {
    let join = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    match (space_ids.is_empty(), org_ids.is_empty()) {
        (true, true) => "all workspaces".to_owned(),
        (false, true) => format!("spaces {}", join(space_ids)),
        (true, false) => format!("orgs {}", join(org_ids)),
        (false, false) => format!("spaces {}; orgs {}", join(space_ids), join(org_ids)),
    }
}

/// Unix seconds as an RFC 3339 UTC time, `-` for 0 (never).
pub fn unix_time(secs: i64) -> String {
    if secs <= 0 {
        return "-".to_owned();
    }
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_columns_read_well() {
        assert_eq!(unix_time(0), "-");
        assert_eq!(unix_time(1_796_169_125), "2026-12-01T23:52:05Z");
        assert_eq!(unix_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(limits(&[], &[]), "all workspaces");
        assert_eq!(limits(&[1, 2], &[3]), "spaces 1,2; orgs 3");
        assert_eq!(joined(&[], ","), "-");
        assert_eq!(joined(&["a".to_owned(), "b".to_owned()], ","), "a,b");
    }
}

/// A `--since` value as Unix seconds: an RFC 3339 time
/// (`2026-12-01T00:00:00Z`), or an age in hours (`24h`) or days (`7d`)
/// before `now`.
pub fn since(value: &str, now: i64) -> anyhow::Result<i64> {
    let value = value.trim();
    let age = |digits: &str, unit: i64| -> Option<i64> {
        digits
            .parse::<i64>()
            .ok()
            .map(|n| now - n.saturating_mul(unit))
    };
    if let Some(at) = value
        .strip_suffix('h')
        .and_then(|d| age(d, 3600))
        .or_else(|| value.strip_suffix('d').and_then(|d| age(d, 86_400)))
    {
        return Ok(at);
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp())
        .map_err(|_| {
            anyhow::anyhow!(
                "--since {value:?}: expected an RFC 3339 time (2026-12-01T00:00:00Z) or an age like 24h or 7d"
            )
        })
}

#[cfg(test)]
mod since_tests {
    #[test]
    fn ages_and_times_are_read() {
        let now = 1_000_000;
        assert_eq!(super::since("2h", now).ok(), Some(now - 7200));
        assert_eq!(super::since("1d", now).ok(), Some(now - 86_400));
        assert_eq!(super::since("1970-01-02T00:00:00Z", now).ok(), Some(86_400));
        assert!(super::since("soon", now).is_err());
    }
}
