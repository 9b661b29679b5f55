//! The OAuth flow end to end against podio-sim: registration, authorize,
//! Podio's login and allow pages, the callback, the token endpoint,
//! introspection and the Podio token behind the principal.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podio_sim::login::{
    ALLOW, ALLOW_FORM_ID, DECISION_FIELD, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD, parse_form,
};
use podio_sim::seed;
use portico_auth::{
    AuthService, Keyring, MemoryOAuthStore, MemoryPendingStore, MemoryTokenStore, OAuthSettings,
    PodioKey, PodioOAuth, Secret, Upstream,
};
use portico_proto::auth::v1::{
    AuthorizeRequest, BasicCredentials, CallbackRequest, NavigationResponse, Param, Principal,
    RegisterClientRequest, RevokeRequest, TokenRequest, TokenResponse, navigation_response::Next,
};
use portico_proto::auth::{OAuthEndpoints, TokenIntrospector, UpstreamRef, UpstreamTokens};
use portico_proto::vocab::{CredentialMode, Scope};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub(crate) const BASE: &str = "http://127.0.0.1:9";
pub(crate) const CLAUDE: &str = "https://claude.ai/api/mcp/auth_callback";
/// Jane, podio-sim's demo user: username and password.
pub(crate) const JANE: (&str, &str) = (seed::DEV_USERNAME, seed::DEV_PASSWORD);
pub(crate) const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-01";

/// One auth service (one "process") against podio-sim, driven as Portico's
/// front door and a browser would drive it. `extra` is whatever else a test
/// started alongside (stopped with the harness), `()` by default.
pub(crate) struct Harness<E = ()> {
    pub(crate) sim: String,
    pub(crate) service: AuthService,
    /// The service's OAuth store, to check what was (not) kept.
    pub(crate) oauth_store: Arc<dyn portico_auth::OAuthStore>,
    pub(crate) http: reqwest::Client,
    pub(crate) extra: E,
    _shutdown: tokio_util::sync::DropGuard,
}

/// How a [`Harness`] differs from the default: refresh grace 30 s, no admin
/// secret, [`OAuthSettings`] as [`HarnessBuilder::build`] sets them.
pub(crate) struct HarnessBuilder {
    grace: Duration,
    admin_secret: Option<String>,
    adjust: Box<dyn FnOnce(&mut OAuthSettings)>,
}

impl Harness {
    pub(crate) fn builder() -> HarnessBuilder {
        HarnessBuilder {
            grace: Duration::from_secs(30),
            admin_secret: None,
            adjust: Box::new(|_| {}),
        }
    }
}

impl HarnessBuilder {
    pub(crate) fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    pub(crate) fn admin_secret(mut self, secret: &str) -> Self {
        self.admin_secret = Some(secret.to_owned());
        self
    }

    /// Changes the OAuth settings after the defaults are set.
    pub(crate) fn settings(mut self, adjust: impl FnOnce(&mut OAuthSettings) + 'static) -> Self {
        self.adjust = Box::new(adjust);
        self
    }

    /// Over in-memory stores and a fresh keyring, against a podio-sim of
    /// its own on loopback.
    pub(crate) async fn start(self) -> Harness {
        self.start_with(|_| async {}).await
    }

    /// [`Self::start`], with `extra` started too (given the harness's
    /// shutdown token) and kept in [`Harness::extra`].
    pub(crate) async fn start_with<E, Fut>(
        self,
        extra: impl FnOnce(CancellationToken) -> Fut,
    ) -> Harness<E>
    where
        Fut: std::future::Future<Output = E>,
    {
        let shutdown = CancellationToken::new();
        let sim = spawn_sim(shutdown.clone()).await;
        let extra = extra(shutdown.clone()).await;
        let h = self.over(
            &sim,
            Arc::new(MemoryTokenStore::new()),
            Arc::new(MemoryOAuthStore::new()),
            Keyring::generate().expect("keyring"),
        );
        Harness {
            sim: h.sim,
            service: h.service,
            oauth_store: h.oauth_store,
            http: h.http,
            extra,
            _shutdown: shutdown.drop_guard(),
        }
    }

    /// A service over the given stores and keyring, against the simulator
    /// at `sim`, which the caller keeps running.
    pub(crate) fn over(
        self,
        sim: &str,
        tokens: Arc<dyn portico_auth::TokenStore>,
        store: Arc<dyn portico_auth::OAuthStore>,
        keyring: Keyring,
    ) -> Harness {
        let sim = sim.to_owned();
        let podio = PodioOAuth::new(&sim, Duration::from_secs(10)).expect("podio client");
        let mut settings = OAuthSettings::new(BASE);
        settings.podio_authorize_url = format!("{sim}/oauth/authorize");
        settings.shared_key = Some(PodioKey {
            client_id: seed::DEV_CLIENT_ID.to_owned(),
            client_secret: Secret::new(seed::DEV_CLIENT_SECRET),
        });
        settings.refresh_grace = self.grace;
        (self.adjust)(&mut settings);
        let service = AuthService::new(tokens, self.admin_secret)
            .with_upstream(Upstream::new(podio, None))
            .with_oauth(
                settings,
                store.clone(),
                Arc::new(MemoryPendingStore::new()),
                keyring,
            );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        Harness {
            sim,
            service,
            oauth_store: store,
            http,
            extra: (),
            _shutdown: CancellationToken::new().drop_guard(),
        }
    }
}

/// Starts podio-sim on 127.0.0.1:0 until `shutdown`; its base URL.
pub(crate) async fn spawn_sim(shutdown: CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sim = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(podio_sim::serve(
        podio_sim::Config::default(),
        listener,
        shutdown,
    ));
    sim
}

async fn harness(grace: Duration) -> Harness {
    Harness::builder().grace(grace).start().await
}

pub(crate) fn params(pairs: &[(&str, &str)]) -> Vec<Param> {
    pairs
        .iter()
        .map(|(n, v)| Param {
            name: (*n).to_owned(),
            value: (*v).to_owned(),
        })
        .collect()
}

pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(crate) fn redirect_of(nav: &NavigationResponse) -> url::Url {
    match &nav.next {
        Some(Next::RedirectTo(to)) => url::Url::parse(to).expect("url"),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

pub(crate) fn page_of(nav: &NavigationResponse) -> (String, String) {
    match &nav.next {
        Some(Next::ErrorPage(e)) => (e.error.clone(), e.error_description.clone()),
        other => panic!("expected an error page, got {other:?}"),
    }
}

pub(crate) fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The OAuth error code of a refused token answer.
pub(crate) fn error_of(response: &TokenResponse) -> Option<&str> {
    response.error.as_ref().map(|e| e.error.as_str())
}

pub(crate) fn token_json(response: &TokenResponse) -> serde_json::Value {
    assert!(
        response.error.is_none(),
        "token refused: {:?}",
        response.error
    );
    serde_json::from_str(&response.token_json).expect("json")
}

impl<E> Harness<E> {
    pub(crate) async fn register(&self, body: serde_json::Value) -> serde_json::Value {
        let answer = self
            .service
            .register_client(RegisterClientRequest {
                metadata_json: body.to_string(),
            })
            .await
            .expect("register");
        assert!(answer.error.is_none(), "{:?}", answer.error);
        serde_json::from_str(&answer.client_information_json).expect("json")
    }

    pub(crate) async fn authorize(
        &self,
        client_id: &str,
        redirect_uri: &str,
    ) -> NavigationResponse {
        let challenge = challenge(VERIFIER);
        self.service
            .authorize(AuthorizeRequest {
                params: params(&[
                    ("response_type", "code"),
                    ("client_id", client_id),
                    ("redirect_uri", redirect_uri),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("state", "client-state"),
                    ("resource", &format!("{BASE}/mcp")),
                ]),
            })
            .await
            .expect("authorize")
    }

    /// Logs in and allows at podio-sim; returns Podio's redirect to our callback.
    async fn podio_sign_in(&self, to_podio: &url::Url, username: &str, password: &str) -> url::Url {
        let html = self
            .http
            .get(to_podio.as_str())
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        let mut login =
            parse_form(&html, LOGIN_FORM_ID).unwrap_or_else(|| panic!("login form in {html}"));
        login
            .set(USERNAME_FIELD, username)
            .set(PASSWORD_FIELD, password);
        let html = self
            .post_form(&login.action, login.encoded())
            .await
            .text()
            .await
            .expect("body");
        let mut allow =
            parse_form(&html, ALLOW_FORM_ID).unwrap_or_else(|| panic!("allow form in {html}"));
        allow.set(DECISION_FIELD, ALLOW);
        let response = self.post_form(&allow.action, allow.encoded()).await;
        let location = response
            .headers()
            .get("location")
            .expect("redirect")
            .to_str()
            .expect("ascii");
        url::Url::parse(location).expect("url")
    }

    async fn post_form(&self, action: &str, body: String) -> reqwest::Response {
        self.http
            .post(format!("{}{action}", self.sim))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post")
    }

    async fn callback(&self, from_podio: &url::Url) -> NavigationResponse {
        let pairs: Vec<(String, String)> = from_podio.query_pairs().into_owned().collect();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.service
            .callback(CallbackRequest {
                params: params(&pairs),
            })
            .await
            .expect("callback")
    }

    /// Authorize → Podio → callback; the client's code.
    pub(crate) async fn code_for(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: (&str, &str),
    ) -> String {
        self.code_via(client_id, redirect_uri, user, None).await
    }

    /// [`Self::code_for`] and the code's exchange (no secret), which must
    /// succeed: the token answer.
    pub(crate) async fn tokens_for(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: (&str, &str),
    ) -> serde_json::Value {
        let code = self.code_for(client_id, redirect_uri, user).await;
        token_json(&self.exchange(client_id, redirect_uri, &code, None).await)
    }

    /// [`Self::code_for`], checking that Podio is asked to sign the user in
    /// for API key `podio_key`, if given.
    pub(crate) async fn code_via(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: (&str, &str),
        podio_key: Option<&str>,
    ) -> String {
        let back = self
            .sign_in_via(client_id, redirect_uri, user, podio_key)
            .await;
        query(&back, "code").expect("code")
    }

    /// Authorize → Podio → callback; where the client is sent back to
    /// (with its code, or an error), state and `iss` checked.
    pub(crate) async fn sign_in(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: (&str, &str),
    ) -> url::Url {
        self.sign_in_via(client_id, redirect_uri, user, None).await
    }

    /// [`Self::sign_in`], checking the Podio API key if `podio_key` is given.
    async fn sign_in_via(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: (&str, &str),
        podio_key: Option<&str>,
    ) -> url::Url {
        let to_podio = redirect_of(&self.authorize(client_id, redirect_uri).await);
        if let Some(key) = podio_key {
            assert_eq!(
                query(&to_podio, "client_id").as_deref(),
                Some(key),
                "signs in with Podio key {key}"
            );
        }
        let from_podio = self.podio_sign_in(&to_podio, user.0, user.1).await;
        assert!(
            from_podio
                .as_str()
                .starts_with(&format!("{BASE}/oauth/callback")),
            "{from_podio}"
        );
        let back = redirect_of(&self.callback(&from_podio).await);
        assert!(back.as_str().starts_with(redirect_uri), "{back}");
        assert_eq!(query(&back, "state").as_deref(), Some("client-state"));
        assert_eq!(query(&back, "iss").as_deref(), Some(BASE));
        back
    }

    pub(crate) async fn token(&self, pairs: &[(&str, &str)]) -> TokenResponse {
        self.service
            .token(TokenRequest {
                params: params(pairs),
                basic: Some(BasicCredentials::default()),
            })
            .await
            .expect("token")
    }

    pub(crate) async fn exchange(
        &self,
        client_id: &str,
        redirect_uri: &str,
        code: &str,
        secret: Option<&str>,
    ) -> TokenResponse {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code", code),
            ("code_verifier", VERIFIER),
        ];
        if let Some(secret) = secret {
            pairs.push(("client_secret", secret));
        }
        self.token(&pairs).await
    }

    pub(crate) async fn refresh(
        &self,
        client_id: &str,
        refresh: &str,
        secret: Option<&str>,
    ) -> TokenResponse {
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

    /// Who `access` stands for, if it is active.
    pub(crate) async fn introspect(&self, access: &str) -> Option<Principal> {
        TokenIntrospector::introspect(&self.service, access)
            .await
            .expect("introspect")
            .map(|found| found.principal)
    }

    /// Introspects `access`, fetches its Podio token and uses it at the sim;
    /// the principal.
    pub(crate) async fn check_access(&self, access: &str, mode: CredentialMode) -> Principal {
        let principal = self.introspect(access).await.expect("active");
        assert_eq!(principal.subject, format!("podio:{}", seed::DEMO_USER_ID));
        assert_eq!(principal.kind, "oauth");
        assert_eq!(principal.credential_mode(), mode);
        assert_eq!(principal.scopes.len(), 2);
        let podio = self
            .service
            .upstream_token(&UpstreamRef::of(&principal), None)
            .await
            .expect("upstream token");
        let status = self
            .http
            .get(format!("{}/org/", self.sim))
            .header(
                "authorization",
                format!("OAuth2 {}", podio.access_token.expose()),
            )
            .send()
            .await
            .expect("org")
            .status();
        assert_eq!(status, 200);
        principal
    }
}

#[tokio::test]
async fn registered_client_signs_in_refreshes_and_reuse_after_grace_revokes_the_family() {
    let h = harness(Duration::from_secs(30)).await;
    let info = h
        .register(serde_json::json!({
            "client_name": "Claude",
            "redirect_uris": [CLAUDE],
            "podio_client_id": seed::DEV_CLIENT_ID,
            "podio_client_secret": seed::DEV_CLIENT_SECRET,
        }))
        .await;
    let client_id = info["client_id"].as_str().expect("client_id").to_owned();
    assert!(client_id.starts_with("mcp-client-"));
    assert_eq!(info["podio_credentials_provided"], true);
    assert!(!info.to_string().contains(seed::DEV_CLIENT_SECRET));
    assert!(info.get("client_secret").is_none());

    let code = h.code_for(&client_id, CLAUDE, JANE).await;
    let tokens = token_json(&h.exchange(&client_id, CLAUDE, &code, None).await);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "podio:read podio:write");
    let access = tokens["access_token"].as_str().expect("at");
    assert!(access.starts_with("portico_at_"));
    h.check_access(access, CredentialMode::Registered).await;

    // Rotation: a new pair, and the old refresh token still works in grace.
    let old = tokens["refresh_token"].as_str().expect("rt").to_owned();
    let rotated = token_json(&h.refresh(&client_id, &old, None).await);
    assert_ne!(rotated["refresh_token"].as_str(), Some(old.as_str()));
    let retried = token_json(&h.refresh(&client_id, &old, None).await);
    h.check_access(
        retried["access_token"].as_str().expect("at"),
        CredentialMode::Registered,
    )
    .await;

    // A replayed code revokes the grant.
    let replay = h.exchange(&client_id, CLAUDE, &code, None).await;
    assert_eq!(error_of(&replay), Some("invalid_grant"));
    assert!(h.introspect(access).await.is_none());
}

#[tokio::test]
async fn reuse_after_the_grace_period_revokes_the_family() {
    let h = harness(Duration::ZERO).await;
    let tokens = h.tokens_for("", CLAUDE, JANE).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    h.check_access(&access, CredentialMode::Default).await;
    let old = tokens["refresh_token"].as_str().expect("rt").to_owned();
    let rotated = token_json(&h.refresh("", &old, None).await);
    // Used-at and now are whole seconds; wait past the (zero) grace.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reuse = h.refresh("", &old, None).await;
    assert_eq!(error_of(&reuse), Some("invalid_grant"));
    let new_access = rotated["access_token"].as_str().expect("at");
    assert!(h.introspect(new_access).await.is_none());
    assert!(h.introspect(&access).await.is_none());
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_of_its_access_token_but_never_widen_it() {
    // No grace: a refresh token used twice revokes everything, so the
    // refusals below must not have used it.
    let h = harness(Duration::ZERO).await;
    let tokens = h.tokens_for("", CLAUDE, JANE).await;
    let refresh = tokens["refresh_token"].as_str().expect("rt").to_owned();
    let scopes_of = async |access: String| h.introspect(&access).await.expect("active").scopes;

    let narrow = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", "podio:read"),
        ])
        .await;
    let narrow = token_json(&narrow);
    assert_eq!(narrow["scope"], "podio:read");
    let access = narrow["access_token"].as_str().expect("at").to_owned();
    assert_eq!(scopes_of(access).await, vec![Scope::PodioRead as i32]);

    // The new refresh token keeps the sign-in's scopes: asking again
    // without `scope` gives them all back, as RFC 6749 §6 says.
    let next = narrow["refresh_token"].as_str().expect("rt").to_owned();
    let full = token_json(&h.refresh("", &next, None).await);
    assert_eq!(full["scope"], "podio:read podio:write");
    let access = full["access_token"].as_str().expect("at").to_owned();
    assert_eq!(scopes_of(access).await.len(), 2);

    let rest = full["refresh_token"].as_str().expect("rt").to_owned();
    for (scope, why) in [
        ("podio:admin", "unknown scope"),
        ("podio:read email", "unknown scope"),
    ] {
        let refused = h
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rest),
                ("scope", scope),
            ])
            .await;
        assert_eq!(
            error_of(&refused),
            Some("invalid_scope"),
            "{why}: {refused:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = token_json(&h.refresh("", &rest, None).await);
    assert_eq!(after["scope"], "podio:read podio:write");
}

#[tokio::test]
async fn direct_mode_exchanges_podio_code_with_the_secret_sent_to_the_token_endpoint() {
    let h = harness(Duration::from_secs(30)).await;
    let code = h.code_for(seed::JANE_CLIENT_ID, CLAUDE, JANE).await;
    let without = h.exchange(seed::JANE_CLIENT_ID, CLAUDE, &code, None).await;
    assert_eq!(error_of(&without), Some("invalid_client"));
    // The code was consumed by the refused attempt; sign in again.
    let code = h.code_for(seed::JANE_CLIENT_ID, CLAUDE, JANE).await;
    let tokens = token_json(
        &h.exchange(
            seed::JANE_CLIENT_ID,
            CLAUDE,
            &code,
            Some(seed::JANE_CLIENT_SECRET),
        )
        .await,
    );
    h.check_access(
        tokens["access_token"].as_str().expect("at"),
        CredentialMode::Direct,
    )
    .await;
    let refresh = tokens["refresh_token"].as_str().expect("rt");
    let wrong = h
        .refresh(seed::JANE_CLIENT_ID, refresh, Some("wrong"))
        .await;
    assert_eq!(error_of(&wrong), Some("invalid_grant"));
}

#[tokio::test]
async fn pkce_redirect_and_client_checks_refuse() {
    let h = harness(Duration::from_secs(30)).await;
    let info = h
        .register(serde_json::json!({"client_name": "x", "redirect_uris": [CLAUDE]}))
        .await;
    let client_id = info["client_id"].as_str().expect("client_id").to_owned();

    let (error, _) = page_of(&h.authorize(&client_id, "https://evil.example/cb").await);
    assert_eq!(error, "invalid_request");
    let (error, description) = page_of(
        &h.authorize("mcp-client-00000000-0000-0000-0000-000000000000", CLAUDE)
            .await,
    );
    assert_eq!(error, "invalid_client");
    assert!(description.contains("register again"), "{description}");
    let (error, _) = page_of(&h.authorize("chatgpt", "https://evil.example/cb").await);
    assert_eq!(error, "invalid_request");

    // No PKCE method: back to the client with invalid_request.
    let nav = h
        .service
        .authorize(AuthorizeRequest {
            params: params(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", CLAUDE),
                ("code_challenge", &challenge(VERIFIER)),
                ("state", "s"),
            ]),
        })
        .await
        .expect("authorize");
    let back = redirect_of(&nav);
    assert_eq!(query(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query(&back, "state").as_deref(), Some("s"));

    let code = h.code_for(&client_id, CLAUDE, JANE).await;
    let wrong = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("redirect_uri", CLAUDE),
            ("code", &code),
            (
                "code_verifier",
                "another-verifier-another-verifier-another-verifier",
            ),
        ])
        .await;
    assert_eq!(error_of(&wrong), Some("invalid_grant"));

    // Revocation of an unknown token is fine.
    let revoked = h
        .service
        .revoke(RevokeRequest {
            params: params(&[("token", "nope")]),
            basic: None,
        })
        .await
        .expect("revoke");
    assert!(revoked.error.is_none());
}

const KEY_OLD: &str = "old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_NEW: &str = "new:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

#[tokio::test]
async fn clients_and_grants_survive_a_restart_and_a_key_rotation() {
    crate::support::with_pg_store(|pg| async move {
        let shutdown = CancellationToken::new();
        let sim = spawn_sim(shutdown.clone()).await;
        let _stop_sim = shutdown.drop_guard();
        let start = |keys: &str| {
            Harness::builder().over(
                &sim,
                Arc::new(pg.clone()),
                Arc::new(pg.oauth()),
                Keyring::parse(keys).expect("keys"),
            )
        };

        // First process: register, sign in, get tokens.
        let first = start(KEY_OLD);
        let info = first
            .register(serde_json::json!({
                "client_name": "Claude",
                "redirect_uris": [CLAUDE],
                "podio_client_id": seed::JANE_CLIENT_ID,
                "podio_client_secret": seed::JANE_CLIENT_SECRET,
            }))
            .await;
        let client_id = info["client_id"].as_str().expect("client_id").to_owned();
        let tokens = first.tokens_for(&client_id, CLAUDE, JANE).await;
        let access = tokens["access_token"].as_str().expect("at").to_owned();
        let refresh = tokens["refresh_token"].as_str().expect("rt").to_owned();
        drop(first);

        // A restart with a new key in front and the old one kept: every
        // stored credential still works, and new sign-ins use the new key.
        let rotated = start(&format!("{KEY_NEW},{KEY_OLD}"));
        rotated
            .check_access(&access, CredentialMode::Registered)
            .await;
        let renewed = token_json(&rotated.refresh(&client_id, &refresh, None).await);
        rotated
            .check_access(
                renewed["access_token"].as_str().expect("at"),
                CredentialMode::Registered,
            )
            .await;
        let fresh = rotated.tokens_for(&client_id, CLAUDE, JANE).await;
        let fresh_access = fresh["access_token"].as_str().expect("at").to_owned();
        drop(rotated);

        // With the old key dropped, what was written under the new one
        // works and what only the old one could read fails clearly.
        let new_only = start(KEY_NEW);
        new_only
            .check_access(&fresh_access, CredentialMode::Registered)
            .await;
        let principal = new_only.introspect(&access).await.expect("still active");
        let err = new_only
            .service
            .upstream_token(&UpstreamRef::of(&principal), None)
            .await
            .expect_err("old key gone");
        assert!(!err.message.is_empty(), "{err:?}");
    })
    .await;
}
