//! Upstream Podio tokens for one set of credentials: the password grant, the
//! refresh grant, the cache, and the choice between Podio's two token
//! endpoints. One tokio mutex is held across acquisition so that concurrent
//! callers wait for one token request instead of each sending their own.
//! Tokens never leave this process and are never logged.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::client::{PodioHttp, read_body, transport_error};
use crate::config::PodioCredentials;
use crate::errors::{ConnectorError, PodioError};
use portico_proto::secret::Secret;

/// Refresh this long before Podio's stated expiry, so a token never dies in
/// flight (shortened for tokens that live less than twice this).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Assumed lifetime when Podio omits `expires_in` (its documented 8 hours).
const DEFAULT_EXPIRES_IN: u64 = 28_800;

/// An access token and the cache generation it came from, so a caller that
/// saw it rejected can tell whether someone else already replaced it.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub value: Secret,
    generation: u64,
}

/// Which token endpoint this Podio answers on (podio-api.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// `POST /oauth/token/v2` with a JSON body (current docs).
    V2Json,
    /// `POST /oauth/token` form-encoded (every SDK).
    LegacyForm,
}

#[derive(Debug)]
struct Cached {
    access: AccessToken,
    refresh: Option<Secret>,
    renew_at: Instant,
}

#[derive(Debug, Default)]
struct State {
    token: Option<Cached>,
    endpoint: Option<Endpoint>,
    generation: u64,
}

enum Grant<'a> {
    Password,
    Refresh(&'a Secret),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

/// Tokens for one set of Podio credentials.
#[derive(Debug)]
pub(crate) struct TokenManager {
    http: PodioHttp,
    credentials: PodioCredentials,
    state: Mutex<State>,
}

impl TokenManager {
    pub fn new(http: PodioHttp, credentials: PodioCredentials) -> Self {
        Self {
            http,
            credentials,
            state: Mutex::new(State::default()),
        }
    }

    /// A token good for at least the expiry margin, fetched or renewed if needed.
    pub async fn current(&self) -> Result<AccessToken, ConnectorError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.token
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.access.clone());
        }
        self.renew(&mut state).await
    }

    /// A replacement for `rejected`, which Podio answered 401 expired/invalid
    /// to. If another caller already replaced it, that token is reused.
    pub async fn replace(&self, rejected: &AccessToken) -> Result<AccessToken, ConnectorError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.token
            && cached.access.generation != rejected.generation
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.access.clone());
        }
        self.renew(&mut state).await
    }

    /// Refreshes when there is a refresh token, and falls back to a new
    /// password grant when Podio refuses it (dead or revoked refresh token).
    async fn renew(&self, state: &mut State) -> Result<AccessToken, ConnectorError> {
        let refresh = state.token.take().and_then(|cached| cached.refresh);
        let response = match refresh {
            Some(refresh) => match self.grant(state, Grant::Refresh(&refresh)).await {
                Err(ConnectorError::CredentialsRejected(e))
                    if matches!(e.http_status, 400 | 401) =>
                {
                    tracing::info!(error = %e.error, "podio refused the refresh token; using the password grant");
                    self.grant(state, Grant::Password).await?
                }
                other => other?,
            },
            None => self.grant(state, Grant::Password).await?,
        };
        let (access, refresh, expires_in) = response;
        let lifetime = Duration::from_secs(expires_in);
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        state.generation += 1;
        let access = AccessToken {
            value: access,
            generation: state.generation,
        };
        state.token = Some(Cached {
            access: access.clone(),
            refresh,
            renew_at: Instant::now() + lifetime - margin,
        });
        Ok(access)
    }

    /// One grant against the remembered endpoint, trying v2 first and falling
    /// back to the legacy endpoint when v2 answers 404 or 405.
    async fn grant(
        &self,
        state: &mut State,
        grant: Grant<'_>,
    ) -> Result<(Secret, Option<Secret>, u64), ConnectorError> {
        let params = self.params(&grant);
        let kind = match grant {
            Grant::Password => "password",
            Grant::Refresh(_) => "refresh_token",
        };
        let endpoint = state.endpoint.unwrap_or(Endpoint::V2Json);
        let (mut status, mut body) = self.post(endpoint, &params).await?;
        let mut used = endpoint;
        if state.endpoint.is_none() && matches!(status, 404 | 405) {
            tracing::info!(status, "podio has no /oauth/token/v2; using /oauth/token");
            (status, body) = self.post(Endpoint::LegacyForm, &params).await?;
            used = Endpoint::LegacyForm;
        }
        if !(200..300).contains(&status) {
            let error = PodioError::from_response(status, None, &body);
            tracing::warn!(grant = kind, status, error = %error.error, "podio token request refused");
            return Err(ConnectorError::CredentialsRejected(error));
        }
        // The endpoint answered as a token endpoint, so keep using it.
        state.endpoint = Some(used);
        let parsed: TokenResponse = serde_json::from_str(&body).map_err(|_| malformed(status))?;
        let access = parsed
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed(status))?;
        let expires_in = parsed.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        tracing::info!(grant = kind, expires_in, "podio token acquired");
        Ok((
            Secret::from(access),
            parsed
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::from),
            expires_in,
        ))
    }

    fn params(&self, grant: &Grant<'_>) -> Vec<(&'static str, String)> {
        let c = &self.credentials;
        let mut params = vec![
            ("client_id", c.client_id.clone()),
            ("client_secret", c.client_secret.expose().to_owned()),
        ];
        match grant {
            Grant::Password => {
                params.push(("grant_type", "password".to_owned()));
                params.push(("username", c.username.clone()));
                params.push(("password", c.password.expose().to_owned()));
            }
            Grant::Refresh(token) => {
                params.push(("grant_type", "refresh_token".to_owned()));
                params.push(("refresh_token", token.expose().to_owned()));
            }
        }
        params
    }

    async fn post(
        &self,
        endpoint: Endpoint,
        params: &[(&'static str, String)],
    ) -> Result<(u16, String), ConnectorError> {
        let client = self.http.client();
        let builder = match endpoint {
            Endpoint::V2Json => {
                let body: serde_json::Map<String, serde_json::Value> = params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                    .collect();
                client.post(self.http.url("/oauth/token/v2")).json(&body)
            }
            Endpoint::LegacyForm => client.post(self.http.url("/oauth/token")).form(params),
        };
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        Ok((status, read_body(response).await?))
    }
}

fn malformed(http_status: u16) -> ConnectorError {
    ConnectorError::CredentialsRejected(PodioError {
        http_status,
        error: "invalid_token_response".to_owned(),
        description: "podio's token endpoint answered without an access_token".to_owned(),
        retry_after_seconds: None,
    })
}
