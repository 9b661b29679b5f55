//! Playing the browser and the OAuth client against a running stack's front
//! door: dynamic registration, `/oauth/authorize` → Podio's (simulated)
//! login and allow pages → `/oauth/callback` → the client's redirect URI
//! (never fetched: only its `Location` is read), the token and revocation
//! endpoints, and raw MCP requests whose HTTP status is the subject.

use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podio_sim::login::{
    ALLOW, ALLOW_FORM_ID, DECISION_FIELD, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD, parse_form,
};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{ADMIN_SECRET, Stack, start_microservices};

/// The redirect URI ChatGPT's connectors send.
pub const CHATGPT_REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";

/// Runs `scenario` on a fresh microservices stack and stops the stack
/// whatever the outcome.
pub async fn with_stack<F>(scenario: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Stack) -> anyhow::Result<()>,
{
    let stack = start_microservices().await?;
    let outcome = scenario(&stack).await;
    stack.stop().await?;
    outcome
}

/// A loopback redirect URI nobody listens on (the browser never goes there).
pub fn loopback_redirect() -> String {
    format!(
        "http://127.0.0.1:{}/callback",
        20_000 + rand::random::<u16>() % 40_000
    )
}

/// A PKCE code verifier: 64 unreserved characters, fresh each call.
pub fn new_verifier() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The S256 code challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The value of query parameter `name` in `url`.
pub fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One authorization request a client makes.
#[derive(Debug, Clone)]
pub struct Authorize {
    /// `client_id` (blank for ChatGPT's default mode).
    pub client_id: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `state`, fresh per request.
    pub state: String,
    /// The PKCE verifier whose challenge is sent.
    pub verifier: String,
    /// The Podio API key (client id) sign-in must go to Podio with, if
    /// checked.
    pub podio_key: Option<String>,
}

impl Authorize {
    /// A request by `client_id` to come back at `redirect_uri`, with a fresh
    /// state and verifier.
    pub fn new(client_id: &str, redirect_uri: &str) -> Authorize {
        Authorize {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: format!("state-{}", uuid::Uuid::new_v4().simple()),
            verifier: new_verifier(),
            podio_key: None,
        }
    }

    /// The same request, checking that Podio is asked to sign the user in
    /// for API key `client_id`.
    pub fn podio_key(mut self, client_id: &str) -> Authorize {
        self.podio_key = Some(client_id.to_owned());
        self
    }
}

/// Tokens the token endpoint issued.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// `access_token`.
    pub access: String,
    /// `refresh_token`.
    pub refresh: String,
    /// The whole JSON answer.
    pub json: Value,
}

/// The browser and the OAuth client, against front door 0 (the issuer).
pub struct OAuthClient {
    /// No redirects followed: every hop is checked.
    pub http: reqwest::Client,
    /// The front door's base URL, which is the issuer.
    pub base: String,
    /// The simulator, whose pages post to relative actions.
    pub sim: String,
}

impl OAuthClient {
    /// A client for `stack`'s first front door.
    pub fn new(stack: &Stack) -> anyhow::Result<OAuthClient> {
        let http = crate::http_client(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(OAuthClient {
            http,
            base: stack.frontdoors[0].clone(),
            sim: stack.podio_sim_url.clone(),
        })
    }

    /// The MCP endpoint, the resource the tokens are for.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// `POST /oauth/register` with `metadata`: the status and JSON answer,
    /// after checking the answer is not cacheable.
    pub async fn register(&self, metadata: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .post(format!("{}/oauth/register", self.base))
            .json(metadata)
            .send()
            .await?;
        json_answer(response).await
    }

    /// `POST /oauth/register` with `metadata`, which must be accepted (201):
    /// the client information and its `client_id`.
    pub async fn registered(&self, metadata: &Value) -> anyhow::Result<(Value, String)> {
        let (status, info) = self.register(metadata).await?;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "registration: {status} {info}"
        );
        let client_id = info["client_id"]
            .as_str()
            .with_context(|| format!("no client_id: {info}"))?
            .to_owned();
        Ok((info, client_id))
    }

    /// `GET /oauth/authorize` for `request`, the answer as it came.
    pub async fn authorize(&self, request: &Authorize) -> anyhow::Result<reqwest::Response> {
        let url = self.authorize_url(request, &self.resource(), Some("podio:read podio:write"))?;
        Ok(self.http.get(url).send().await?)
    }

    /// The `/oauth/authorize` URL of `request` for `resource`, asking for
    /// `scope` if given.
    pub fn authorize_url(
        &self,
        request: &Authorize,
        resource: &str,
        scope: Option<&str>,
    ) -> anyhow::Result<url::Url> {
        let challenge = challenge(&request.verifier);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", request.client_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", request.state.as_str()),
        ];
        if let Some(scope) = scope {
            params.push(("scope", scope));
        }
        params.push(("resource", resource));
        Ok(url::Url::parse_with_params(
            &format!("{}/oauth/authorize", self.base),
            params,
        )?)
    }

    /// The whole browser part of sign-in as `user` (username, password):
    /// authorize → Podio's login and allow pages → the callback → the
    /// client's redirect URI, whose `state` and `iss` are checked. Returns
    /// the authorization code.
    pub async fn sign_in(&self, request: &Authorize, user: (&str, &str)) -> anyhow::Result<String> {
        let to_podio = location(self.authorize(request).await?, "authorize")?;
        anyhow::ensure!(
            to_podio
                .as_str()
                .starts_with(&format!("{}/oauth/authorize", self.sim)),
            "authorize should send the browser to Podio's authorize page, not {to_podio}"
        );
        if let Some(key) = &request.podio_key {
            anyhow::ensure!(
                query(&to_podio, "client_id").as_deref() == Some(key.as_str()),
                "sign-in should use Podio key {key}: {to_podio}"
            );
        }
        let from_podio = self.podio_pages(&to_podio, user).await?;
        anyhow::ensure!(
            from_podio
                .as_str()
                .starts_with(&format!("{}/oauth/callback?", self.base)),
            "Podio should send the browser back to the front door's callback, not {from_podio}"
        );
        anyhow::ensure!(
            query(&from_podio, "code").is_some(),
            "no code from Podio: {from_podio}"
        );
        let back = location(self.http.get(from_podio.as_str()).send().await?, "callback")?;
        anyhow::ensure!(
            back.as_str()
                .starts_with(&format!("{}?", request.redirect_uri)),
            "callback should go back to {}, not {back}",
            request.redirect_uri
        );
        anyhow::ensure!(
            query(&back, "error").is_none(),
            "the authorization failed: {back}"
        );
        anyhow::ensure!(
            query(&back, "state").as_deref() == Some(request.state.as_str()),
            "state did not round-trip: {back}"
        );
        anyhow::ensure!(
            query(&back, "iss").as_deref() == Some(self.base.as_str()),
            "iss is not the issuer {}: {back}",
            self.base
        );
        query(&back, "code").with_context(|| format!("no code in {back}"))
    }

    /// Logs in at Podio's page `to_podio` and allows; Podio's redirect back.
    async fn podio_pages(
        &self,
        to_podio: &url::Url,
        user: (&str, &str),
    ) -> anyhow::Result<url::Url> {
        let response = self.http.get(to_podio.as_str()).send().await?;
        anyhow::ensure!(
            response.status() == StatusCode::OK,
            "Podio's authorize page answered {}",
            response.status()
        );
        let html = response.text().await?;
        let mut login = parse_form(&html, LOGIN_FORM_ID)
            .with_context(|| format!("no login form in Podio's page: {html}"))?;
        login
            .set(USERNAME_FIELD, user.0)
            .set(PASSWORD_FIELD, user.1);
        let html = self.post_to_sim(&login.action, login.encoded()).await?;
        let html = html.text().await?;
        let mut allow = parse_form(&html, ALLOW_FORM_ID)
            .with_context(|| format!("no allow form after logging in as {}: {html}", user.0))?;
        allow.set(DECISION_FIELD, ALLOW);
        let response = self.post_to_sim(&allow.action, allow.encoded()).await?;
        anyhow::ensure!(
            response.status() == StatusCode::SEE_OTHER,
            "allowing answered {}",
            response.status()
        );
        location(response, "Podio's allow page")
    }

    async fn post_to_sim(&self, action: &str, body: String) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}{action}", self.sim))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?)
    }

    /// `POST /oauth/token` with `pairs`: the status and JSON answer, after
    /// checking it is not cacheable.
    pub async fn token(&self, pairs: &[(&str, &str)]) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .form(pairs)
            .send()
            .await?;
        json_answer(response).await
    }

    /// Exchanges `code` from `request` (with `secret` as client_secret, if
    /// any): the raw answer.
    pub async fn exchange(
        &self,
        request: &Authorize,
        code: &str,
        secret: Option<&str>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let resource = self.resource();
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", request.client_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
            ("code", code),
            ("code_verifier", request.verifier.as_str()),
            ("resource", resource.as_str()),
        ];
        if let Some(secret) = secret {
            pairs.push(("client_secret", secret));
        }
        self.token(&pairs).await
    }

    /// A refresh grant: the raw answer.
    pub async fn refresh(
        &self,
        client_id: &str,
        refresh: &str,
        secret: Option<&str>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh),
        ];
        if let Some(secret) = secret {
            pairs.push(("client_secret", secret));
        }
        self.token(&pairs).await
    }

    /// A refresh grant, which must succeed: the new tokens.
    pub async fn refreshed(
        &self,
        client_id: &str,
        refresh: &str,
        secret: Option<&str>,
    ) -> anyhow::Result<Tokens> {
        let (status, json) = self.refresh(client_id, refresh, secret).await?;
        issued(status, json)
    }

    /// Sign-in as `user` and the code exchange, which must succeed.
    pub async fn tokens(
        &self,
        request: &Authorize,
        user: (&str, &str),
        secret: Option<&str>,
    ) -> anyhow::Result<Tokens> {
        let code = self.sign_in(request, user).await?;
        let (status, json) = self.exchange(request, &code, secret).await?;
        issued(status, json)
    }

    /// `POST /oauth/revoke` of `token` by `client_id`: the status.
    pub async fn revoke(
        &self,
        client_id: &str,
        token: &str,
        secret: Option<&str>,
    ) -> anyhow::Result<StatusCode> {
        let mut pairs = vec![("token", token), ("client_id", client_id)];
        if let Some(secret) = secret {
            pairs.push(("client_secret", secret));
        }
        let response = self
            .http
            .post(format!("{}/oauth/revoke", self.base))
            .form(&pairs)
            .send()
            .await?;
        Ok(response.status())
    }
}

/// Tokens out of a successful token answer, checking its shape.
pub fn issued(status: StatusCode, json: Value) -> anyhow::Result<Tokens> {
    anyhow::ensure!(status == StatusCode::OK, "token endpoint: {status} {json}");
    anyhow::ensure!(json["token_type"] == "Bearer", "token_type: {json}");
    let access = json["access_token"]
        .as_str()
        .with_context(|| format!("no access_token: {json}"))?
        .to_owned();
    let refresh = json["refresh_token"]
        .as_str()
        .with_context(|| format!("no refresh_token: {json}"))?
        .to_owned();
    Ok(Tokens {
        access,
        refresh,
        json,
    })
}

/// The OAuth error code of a refused token answer, checking it is a 4xx
/// `{error, …}` document.
pub fn refused(status: StatusCode, json: &Value) -> anyhow::Result<String> {
    anyhow::ensure!(
        status.is_client_error(),
        "expected a 4xx OAuth error, got {status}: {json}"
    );
    json["error"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{status} without an OAuth error: {json}"))
}

/// The status and JSON body of a token/registration answer, which must not
/// be cacheable.
async fn json_answer(response: reqwest::Response) -> anyhow::Result<(StatusCode, Value)> {
    let status = response.status();
    let cache = header(response.headers(), CACHE_CONTROL);
    let body = response.text().await?;
    anyhow::ensure!(
        cache.as_deref() == Some("no-store"),
        "answer ({status}) without Cache-Control: no-store but {cache:?}: {body}"
    );
    let json = serde_json::from_str(&body)
        .with_context(|| format!("answer ({status}) is not JSON: {body}"))?;
    Ok((status, json))
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The `Location` of a redirect answer (302 or 303), parsed.
pub fn location(response: reqwest::Response, what: &str) -> anyhow::Result<url::Url> {
    let status = response.status();
    let to = header(response.headers(), LOCATION);
    let Some(to) = to.filter(|_| status.is_redirection()) else {
        anyhow::bail!("{what} should redirect; answered {status}");
    };
    url::Url::parse(&to).with_context(|| format!("{what} redirected to a non-URL {to:?}"))
}

/// An HTML error page: a 4xx, no `Location`, and the body; fails otherwise.
pub async fn error_page(response: reqwest::Response) -> anyhow::Result<String> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await?;
    anyhow::ensure!(
        headers.get(LOCATION).is_none(),
        "an error page must not redirect, but {status} went to {:?}",
        headers.get(LOCATION)
    );
    anyhow::ensure!(status.is_client_error(), "error page with {status}: {body}");
    anyhow::ensure!(
        header(&headers, CONTENT_TYPE).is_some_and(|t| t.starts_with("text/html")),
        "error page is not HTML: {:?}",
        headers.get(CONTENT_TYPE)
    );
    Ok(body)
}

/// A gRPC client of `stack`'s auth service, as the front door, the tools
/// service and `portico admin` hold one.
pub fn auth_grpc(
    stack: &Stack,
) -> anyhow::Result<
    portico_proto::auth::v1::auth_client::AuthClient<portico_runtime::grpc::TracedChannel>,
> {
    let url = stack.grpc_url(portico_auth::SERVICE_NAME)?;
    Ok(portico_proto::remote::RemoteAuth::connect_lazy(&url)?.client())
}

/// `message` as an admin RPC request, with the stack's admin secret.
pub fn as_admin<T>(message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {ADMIN_SECRET}").parse()?);
    Ok(request)
}

/// What the auth service says `access` stands for, asked over gRPC as the
/// front door and the tools service ask: the subject and credential mode,
/// or `None` when the token is not active.
pub async fn introspect(
    stack: &Stack,
    access: &str,
) -> anyhow::Result<Option<(String, portico_proto::vocab::CredentialMode)>> {
    let answer = auth_grpc(stack)?
        .introspect_token(portico_proto::auth::v1::IntrospectTokenRequest {
            token: access.to_owned(),
        })
        .await?
        .into_inner();
    if !answer.active {
        return Ok(None);
    }
    let principal = answer.principal.context("active without a principal")?;
    let mode = principal.credential_mode();
    Ok(Some((principal.subject, mode)))
}

/// An MCP session over raw HTTP, for when the HTTP status is the subject.
pub struct RawMcp {
    http: reqwest::Client,
    url: String,
    token: String,
    session: String,
    next_id: std::sync::atomic::AtomicU64,
}

/// A raw MCP answer.
#[derive(Debug)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// `WWW-Authenticate`, if any.
    pub challenge: Option<String>,
    /// The JSON body, if it was JSON.
    pub body: Option<Value>,
}

impl RawAnswer {
    /// Whether the call succeeded: HTTP 200 with a tool result that is not
    /// an error.
    pub fn succeeded(&self) -> bool {
        self.status == StatusCode::OK
            && self
                .body
                .as_ref()
                .is_some_and(|b| b["result"]["isError"] == serde_json::json!(false))
    }
}

impl RawMcp {
    /// Initializes a session at `url` with bearer `token`.
    pub async fn open(url: &str, token: &str) -> anyhow::Result<RawMcp> {
        let http = crate::http_client(Duration::from_secs(20)).build()?;
        let response = post_mcp(&http, url, token, None)
            .json(&initialize_body())
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::OK,
            "initialize answered {}",
            response.status()
        );
        let session = header(response.headers(), "mcp-session-id".parse()?)
            .context("initialize without Mcp-Session-Id")?;
        let raw = RawMcp {
            http,
            url: url.to_owned(),
            token: token.to_owned(),
            session,
            next_id: std::sync::atomic::AtomicU64::new(2),
        };
        let response = post_mcp(&raw.http, url, token, Some(&raw.session))
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::ACCEPTED,
            "notifications/initialized answered {}",
            response.status()
        );
        Ok(raw)
    }

    /// Ends the session (`DELETE` with its id), as a client that is done
    /// does: the status.
    pub async fn close(self) -> anyhow::Result<StatusCode> {
        let response = self
            .http
            .delete(&self.url)
            .bearer_auth(&self.token)
            .header("Mcp-Session-Id", &self.session)
            .header("MCP-Protocol-Version", "2025-11-25")
            .send()
            .await?;
        Ok(response.status())
    }

    /// `tools/call` of `name` with `args` in this session.
    pub async fn call_tool(&self, name: &str, args: Value) -> anyhow::Result<RawAnswer> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = post_mcp(&self.http, &self.url, &self.token, Some(&self.session))
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": name, "arguments": args}}))
            .send()
            .await?;
        let status = response.status();
        let challenge = header(response.headers(), WWW_AUTHENTICATE);
        let body = response.json().await.ok();
        Ok(RawAnswer {
            status,
            challenge,
            body,
        })
    }

    /// Calls `name` every 200 ms until the answer is 401, for at most the
    /// 5 s within which revocation must take effect on every replica (the
    /// front door and the tools service each cache introspection 2 s): the
    /// 401 answer, or fails with the last one.
    pub async fn until_refused(&self, name: &str, args: &Value) -> anyhow::Result<RawAnswer> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let answer = self.call_tool(name, args.clone()).await?;
            if answer.status == StatusCode::UNAUTHORIZED {
                return Ok(answer);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{name} still answered {} 5 s after revocation: {:?}",
                answer.status,
                answer.body
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Opens a session with each of `tokens` on every front door of `stack`
/// and checks that `name` with `args` answers 200 in each: the sessions, to
/// watch a revocation reach every replica ([`RawMcp::until_refused`]).
pub async fn sessions_on_every_replica(
    stack: &Stack,
    tokens: &[&str],
    name: &str,
    args: &Value,
) -> anyhow::Result<Vec<RawMcp>> {
    let mut sessions = Vec::new();
    for replica in 0..stack.frontdoors.len() {
        for token in tokens {
            let raw = RawMcp::open(&stack.mcp_url(replica), token).await?;
            let answer = raw.call_tool(name, args.clone()).await?;
            anyhow::ensure!(
                answer.status == StatusCode::OK,
                "{name} on replica {replica} answered {answer:?}"
            );
            sessions.push(raw);
        }
    }
    Ok(sessions)
}

/// An initialize request.
pub fn initialize_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "e2e-oauth", "version": "1"}}})
}

/// A POST to the MCP endpoint with bearer `token` (and the session).
pub fn post_mcp(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    session: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = http
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .bearer_auth(token);
    if let Some(session) = session {
        request = request
            .header("Mcp-Session-Id", session)
            .header("MCP-Protocol-Version", "2025-11-25");
    }
    request
}

/// The operator creates an OAuth client for a user's integration through
/// the auth service's admin gRPC API (as `portico admin client create`
/// does), with the stack's admin secret: the secret (shown once) and info.
pub async fn create_integration_client(
    stack: &Stack,
    request: portico_proto::auth::v1::CreateOAuthClientRequest,
) -> anyhow::Result<(String, portico_proto::auth::v1::OAuthClientInfo)> {
    let created = auth_grpc(stack)?
        .create_o_auth_client(as_admin(request)?)
        .await?
        .into_inner();
    let info = created.info.context("created without info")?;
    Ok((created.client_secret, info))
}

impl OAuthClient {
    /// A client credentials grant with the client's id and secret in an
    /// `Authorization: Basic` header: the raw answer.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        secret: &str,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        json_answer(response).await
    }
}
