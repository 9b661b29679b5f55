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

    /// Re-encrypts every stored secret not under the auth service's current
    /// encryption key under it (with `dry_run`, only counts).
    pub async fn rekey(&self, dry_run: bool) -> anyhow::Result<pb::RekeyResponse> {
        let request = self.request(pb::RekeyRequest { dry_run })?;
        Ok(self.auth.clone().rekey(request).await?.into_inner())
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

/// `portico admin rekey`'s listing: the current key, then one tab-separated
/// row per kind of stored secret, then their total.
pub fn rekey_listing(report: &pb::RekeyResponse) -> String {
    let rewrapped = if report.dry_run {
        "would rewrap"
    } else {
        "rewrapped"
    };
    let total = report.kinds.iter().fold(
        pb::RekeyCount {
            kind: "total".to_owned(),
            ..pb::RekeyCount::default()
        },
        |mut total, count| {
            total.examined += count.examined;
            total.rewrapped += count.rewrapped;
            total.already_current += count.already_current;
            total.undecryptable += count.undecryptable;
            total.contended += count.contended;
            total
        },
    );
    let mut out = format!(
        "current key: {}\nkind\texamined\t{rewrapped}\talready current\tundecryptable\tcontended\n",
        report.current_key_id
    );
    for count in report.kinds.iter().chain([&total]) {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            count.kind,
            count.examined,
            count.rewrapped,
            count.already_current,
            count.undecryptable,
            count.contended
        ));
    }
    out
}

/// What `portico admin rekey` tells the operator after its listing: `Ok`
/// when nothing stands in the way of removing the older keys (or, in a dry
/// run, of running for real), an error saying what to do otherwise. Any
/// undecryptable secret is an error: removing a key then could lose more.
pub fn rekey_verdict(report: &pb::RekeyResponse) -> anyhow::Result<String> {
    let sum = |field: fn(&pb::RekeyCount) -> u64| report.kinds.iter().map(field).sum::<u64>();
    let (rewrapped, undecryptable, contended) = (
        sum(|c| c.rewrapped),
        sum(|c| c.undecryptable),
        sum(|c| c.contended),
    );
    let key = &report.current_key_id;
    if undecryptable > 0 {
        anyhow::bail!(
            "{undecryptable} stored secret(s) cannot be decrypted by any key in PORTICO_ENCRYPTION_KEYS and were left as they are: \
             do not remove a key yet. The auth service's log names each record and the key it needs; put that key back \
             (after {key}) and run again, or accept that the users concerned must sign in to Podio again."
        );
    }
    if contended > 0 {
        anyhow::bail!(
            "{contended} stored secret(s) changed while being rewritten and are still under an older key: \
             run `portico admin rekey` again before removing a key."
        );
    }
    Ok(if report.dry_run {
        format!(
            "Dry run, nothing written: {rewrapped} stored secret(s) would be re-encrypted under key {key}. \
             Run `portico admin rekey` to do it."
        )
    } else {
        format!(
            "Every stored secret is under key {key} now ({rewrapped} re-encrypted). Once every auth replica runs with \
             {key} first in PORTICO_ENCRYPTION_KEYS, the other keys can be removed (sign-ins in flight expire on their own within minutes)."
        )
    })
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

    fn rekey_report(dry_run: bool, undecryptable: u64, contended: u64) -> pb::RekeyResponse {
        pb::RekeyResponse {
            current_key_id: "k2".to_owned(),
            dry_run,
            kinds: vec![
                pb::RekeyCount {
                    kind: "oauth_client.podio_client_secret".to_owned(),
                    examined: 3 + undecryptable,
                    rewrapped: 2,
                    already_current: 1,
                    undecryptable,
                    contended: 0,
                },
                pb::RekeyCount {
                    kind: "upstream.access_token".to_owned(),
                    examined: 4 + contended,
                    rewrapped: 4,
                    contended,
                    ..pb::RekeyCount::default()
                },
            ],
        }
    }

    #[test]
    fn rekey_lists_each_kind_and_the_total() {
        assert_eq!(
            rekey_listing(&rekey_report(false, 1, 0)),
            "current key: k2\n\
             kind\texamined\trewrapped\talready current\tundecryptable\tcontended\n\
             oauth_client.podio_client_secret\t4\t2\t1\t1\t0\n\
             upstream.access_token\t4\t4\t0\t0\t0\n\
             total\t8\t6\t1\t1\t0\n"
        );
        assert!(rekey_listing(&rekey_report(true, 0, 0)).contains("\twould rewrap\t"));
    }

    #[test]
    fn rekey_fails_while_anything_is_left_under_another_key() {
        let done = rekey_verdict(&rekey_report(false, 0, 0)).expect("ok");
        assert!(done.contains("under key k2 now (6 re-encrypted)"), "{done}");
        let dry = rekey_verdict(&rekey_report(true, 0, 0)).expect("ok");
        assert!(dry.contains("6 stored secret(s) would be"), "{dry}");
        for report in [rekey_report(false, 2, 0), rekey_report(true, 2, 0)] {
            let err = rekey_verdict(&report)
                .expect_err("undecryptable")
                .to_string();
            assert!(
                err.contains("2 stored secret(s) cannot be decrypted"),
                "{err}"
            );
            assert!(err.contains("do not remove a key"), "{err}");
        }
        let err = rekey_verdict(&rekey_report(false, 0, 1)).expect_err("contended");
        assert!(
            err.to_string().contains("run `portico admin rekey` again"),
            "{err}"
        );
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
