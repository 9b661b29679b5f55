//! The client of Podio's OAuth token endpoint, the only Podio endpoint the
//! auth service calls: every grant (password for the service account,
//! refresh, and later authorization_code) goes through [`PodioOAuth::grant`].
//! Podio documents two endpoints (podio-api.md §2.1); v2 with JSON is tried
//! first and the legacy form endpoint used when v2 answers 404 or 405, and
//! the one that answered is remembered.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use portico_runtime::secret::Secret;
use serde::Deserialize;

/// How long connecting to Podio may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest token-endpoint body read; a token answer is well under 2 KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Assumed lifetime when Podio omits `expires_in` (its documented 8 hours).
const DEFAULT_EXPIRES_IN: u64 = 28_800;
/// Longest Podio error description passed on.
const MAX_DESCRIPTION_CHARS: usize = 500;

const ENDPOINT_UNKNOWN: u8 = 0;
const ENDPOINT_V2: u8 = 1;
const ENDPOINT_LEGACY: u8 = 2;

/// One grant request's parameters (besides the API key, which every grant carries).
pub(crate) enum Grant<'a> {
    /// The password grant of a Podio user.
    Password {
        /// The user's login e-mail.
        username: &'a str,
        /// The user's password.
        password: &'a Secret,
    },
    /// Renews a token pair.
    Refresh(&'a Secret),
    /// Exchanges the code Podio's authorize page sent to `redirect_uri`.
    AuthorizationCode {
        /// Podio's code.
        code: &'a Secret,
        /// The redirect URI the code was sent to, repeated exactly.
        redirect_uri: &'a str,
    },
}

impl Grant<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Grant::Password { .. } => "password",
            Grant::Refresh(_) => "refresh_token",
            Grant::AuthorizationCode { .. } => "authorization_code",
        }
    }
}

/// A Podio API key: client id and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodioKey {
    /// The key's client id.
    pub client_id: String,
    /// The key's client secret.
    pub client_secret: Secret,
}

/// A token pair Podio issued.
#[derive(Debug, Clone)]
pub(crate) struct PodioTokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_in: Duration,
    /// The Podio user the tokens act for (Podio's `ref` when its type is
    /// `user`).
    pub user_id: Option<i64>,
}

/// Why a grant failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PodioGrantError {
    /// Podio refused the grant (bad credentials, dead refresh token, bad code).
    #[error("podio refused the {grant} grant (http {status}, {error}): {description}")]
    Refused {
        /// Which grant.
        grant: &'static str,
        /// Podio's HTTP status.
        status: u16,
        /// Podio's `error` code.
        error: String,
        /// Podio's `error_description`.
        description: String,
    },
    /// Podio could not be reached, did not answer in time, or answered
    /// something that is not a token response.
    #[error("podio's token endpoint failed: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(rename = "ref")]
    reference: Option<RefBody>,
}

#[derive(Deserialize)]
struct RefBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<i64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// Podio's token endpoint at one API base URL.
#[derive(Debug)]
pub struct PodioOAuth {
    client: reqwest::Client,
    base: String,
    endpoint: AtomicU8,
}

impl PodioOAuth {
    /// A client of the token endpoint under `api_url` (e.g.
    /// `https://api.podio.com`), each request bounded by `timeout`.
    pub fn new(api_url: &str, timeout: Duration) -> Result<PodioOAuth, PodioGrantError> {
        // reqwest is built without a default crypto provider; installing one
        // that is already installed is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("portico-auth/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            .tcp_nodelay(true)
            // A token endpoint that redirects is misconfigured; never send
            // credentials on to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PodioGrantError::Unavailable(format!("building the http client: {e}")))?;
        Ok(PodioOAuth {
            client,
            base: api_url.trim_end_matches('/').to_owned(),
            endpoint: AtomicU8::new(ENDPOINT_UNKNOWN),
        })
    }

    /// Performs `grant` with `key`.
    pub(crate) async fn grant(
        &self,
        key: &PodioKey,
        grant: Grant<'_>,
    ) -> Result<PodioTokens, PodioGrantError> {
        let kind = grant.kind();
        let params = params(key, &grant);
        let known = self.endpoint.load(Ordering::Relaxed);
        let first = if known == ENDPOINT_LEGACY {
            ENDPOINT_LEGACY
        } else {
            ENDPOINT_V2
        };
        let (mut status, mut body) = self.post(first, &params).await?;
        let mut used = first;
        if known == ENDPOINT_UNKNOWN && matches!(status, 404 | 405) {
            tracing::info!(status, "podio has no /oauth/token/v2; using /oauth/token");
            (status, body) = self.post(ENDPOINT_LEGACY, &params).await?;
            used = ENDPOINT_LEGACY;
        }
        if !(200..300).contains(&status) {
            let (error, description) = error_of(status, &body);
            tracing::warn!(grant = kind, status, error = %error, "podio token request refused");
            return Err(PodioGrantError::Refused {
                grant: kind,
                status,
                error,
                description,
            });
        }
        // It answered as a token endpoint, so keep using it.
        self.endpoint.store(used, Ordering::Relaxed);
        let malformed =
            || PodioGrantError::Unavailable("the answer carried no access_token".to_owned());
        let parsed: TokenResponse = serde_json::from_str(&body).map_err(|_| malformed())?;
        let access = parsed
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(malformed)?;
        let expires_in = parsed.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        tracing::info!(grant = kind, expires_in, "podio token acquired");
        Ok(PodioTokens {
            access: Secret::new(access),
            refresh: parsed
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expires_in: Duration::from_secs(expires_in),
            user_id: parsed
                .reference
                .filter(|r| r.kind.as_deref() == Some("user"))
                .and_then(|r| r.id),
        })
    }

    async fn post(
        &self,
        endpoint: u8,
        params: &[(&'static str, String)],
    ) -> Result<(u16, String), PodioGrantError> {
        let builder = if endpoint == ENDPOINT_V2 {
            let body: serde_json::Map<String, serde_json::Value> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                .collect();
            self.client
                .post(format!("{}/oauth/token/v2", self.base))
                .json(&body)
        } else {
            self.client
                .post(format!("{}/oauth/token", self.base))
                .form(params)
        };
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(PodioGrantError::Unavailable(
                    "the token endpoint answered with an oversized body".to_owned(),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

fn params(key: &PodioKey, grant: &Grant<'_>) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("client_id", key.client_id.clone()),
        ("client_secret", key.client_secret.expose().to_owned()),
        ("grant_type", grant.kind().to_owned()),
    ];
    match grant {
        Grant::Password { username, password } => {
            params.push(("username", (*username).to_owned()));
            params.push(("password", password.expose().to_owned()));
        }
        Grant::Refresh(token) => params.push(("refresh_token", token.expose().to_owned())),
        Grant::AuthorizationCode { code, redirect_uri } => {
            params.push(("code", code.expose().to_owned()));
            params.push(("redirect_uri", (*redirect_uri).to_owned()));
        }
    }
    params
}

/// Podio's `error` and `error_description`, or a summary naming the status.
fn error_of(status: u16, body: &str) -> (String, String) {
    let parsed = serde_json::from_str::<ErrorBody>(body).ok();
    let error = parsed
        .as_ref()
        .and_then(|b| b.error.clone())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("http_{status}"));
    let description = parsed
        .and_then(|b| b.error_description)
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.chars().take(MAX_DESCRIPTION_CHARS).collect())
        .unwrap_or_else(|| format!("podio answered http {status}"));
    (error, description)
}

/// reqwest's message names the URL, which carries no secret (credentials
/// travel in the body).
fn transport(error: reqwest::Error) -> PodioGrantError {
    if error.is_timeout() {
        PodioGrantError::Unavailable("podio did not answer in time".to_owned())
    } else {
        PodioGrantError::Unavailable(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read_or_summarised() {
        assert_eq!(
            error_of(
                400,
                r#"{"error":"invalid_grant","error_description":"bad"}"#
            ),
            ("invalid_grant".to_owned(), "bad".to_owned())
        );
        assert_eq!(
            error_of(502, "<html>"),
            ("http_502".to_owned(), "podio answered http 502".to_owned())
        );
    }
}
