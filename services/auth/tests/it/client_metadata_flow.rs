//! The OAuth flow of a client identified by a Client ID Metadata Document,
//! end to end: the document served by a local axum server (plain http on
//! 127.0.0.1, so with `allow_loopback_http`), Podio's sign-in at podio-sim,
//! the callback, the token endpoint and introspection; and the error pages
//! for a redirect URI the document does not list and a document naming
//! another client_id.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podio_sim::login::{
    ALLOW, ALLOW_FORM_ID, DECISION_FIELD, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD, parse_form,
};
use podio_sim::seed;
use portico_auth::{
    AuthService, FetchPolicy, Keyring, MemoryOAuthStore, MemoryPendingStore, MemoryTokenStore,
    OAuthSettings, PodioKey, PodioOAuth, Secret, Upstream,
};
use portico_proto::auth::v1::{
    AuthorizeRequest, CallbackRequest, NavigationResponse, Param, TokenRequest, TokenResponse,
    navigation_response::Next,
};
use portico_proto::auth::{OAuthEndpoints, TokenIntrospector, UpstreamRef, UpstreamTokens};
use portico_proto::vocab::CredentialMode;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const BASE: &str = "http://127.0.0.1:9";
const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-01";
/// The redirect URI the document lists; loopback, so any port matches.
const LISTED_REDIRECT: &str = "http://127.0.0.1:3000/callback";
const NAME: &str = "Metadata Test Client";

struct Harness {
    sim: String,
    /// The document server's base, `http://127.0.0.1:<port>`.
    docs: String,
    service: AuthService,
    http: reqwest::Client,
    _shutdown: tokio_util::sync::DropGuard,
}

async fn harness() -> Harness {
    let shutdown = CancellationToken::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sim = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(podio_sim::serve(
        podio_sim::Config::default(),
        listener,
        shutdown.clone(),
    ));
    let docs = serve_documents(shutdown.clone()).await;

    let podio = PodioOAuth::new(&sim, Duration::from_secs(10)).expect("podio client");
    let mut settings = OAuthSettings::new(BASE);
    settings.podio_authorize_url = format!("{sim}/oauth/authorize");
    settings.shared_key = Some(PodioKey {
        client_id: seed::DEV_CLIENT_ID.to_owned(),
        client_secret: Secret::new(seed::DEV_CLIENT_SECRET),
    });
    settings.client_metadata = FetchPolicy {
        allow_loopback_http: true,
    };
    let service = AuthService::new(Arc::new(MemoryTokenStore::new()), None)
        .with_upstream(Upstream::new(podio, None))
        .with_oauth(
            settings,
            Arc::new(MemoryOAuthStore::new()),
            Arc::new(MemoryPendingStore::new()),
            Keyring::generate().expect("keyring"),
        );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    Harness {
        sim,
        docs,
        service,
        http,
        _shutdown: shutdown.drop_guard(),
    }
}

/// Serves `/client.json` (a valid document naming itself) and
/// `/mismatch.json` (a document naming `/client.json`) on 127.0.0.1:0.
async fn serve_documents(shutdown: CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let document = json!({
        "client_id": format!("{base}/client.json"),
        "client_name": NAME,
        "redirect_uris": [LISTED_REDIRECT],
        "token_endpoint_auth_method": "none",
    })
    .to_string();
    let app = Router::new()
        .route("/client.json", get(move || json_body(document.clone())))
        .route("/mismatch.json", {
            let body = json!({
                "client_id": format!("{base}/client.json"),
                "client_name": "Impostor",
                "redirect_uris": [LISTED_REDIRECT],
            })
            .to_string();
            get(move || json_body(body.clone()))
        });
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    base
}

async fn json_body(body: String) -> ([(&'static str, &'static str); 1], String) {
    ([("content-type", "application/json")], body)
}

fn params(pairs: &[(&str, &str)]) -> Vec<Param> {
    pairs
        .iter()
        .map(|(n, v)| Param {
            name: (*n).to_owned(),
            value: (*v).to_owned(),
        })
        .collect()
}

fn redirect_of(nav: &NavigationResponse) -> url::Url {
    match &nav.next {
        Some(Next::RedirectTo(to)) => url::Url::parse(to).expect("url"),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn page_of(nav: &NavigationResponse) -> (String, String) {
    match &nav.next {
        Some(Next::ErrorPage(e)) => (e.error.clone(), e.error_description.clone()),
        other => panic!("expected an error page, got {other:?}"),
    }
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn error_of(response: &TokenResponse) -> Option<&str> {
    response.error.as_ref().map(|e| e.error.as_str())
}

fn token_json(response: &TokenResponse) -> serde_json::Value {
    assert!(
        response.error.is_none(),
        "token refused: {:?}",
        response.error
    );
    serde_json::from_str(&response.token_json).expect("json")
}

impl Harness {
    fn client_id(&self) -> String {
        format!("{}/client.json", self.docs)
    }

    async fn authorize(&self, client_id: &str, redirect_uri: &str) -> NavigationResponse {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
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

    async fn post_form(&self, action: &str, body: String) -> reqwest::Response {
        self.http
            .post(format!("{}{action}", self.sim))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post")
    }

    /// Authorize → Podio's login and allow pages → callback; the code.
    async fn code_for(&self, client_id: &str, redirect_uri: &str) -> String {
        let to_podio = redirect_of(&self.authorize(client_id, redirect_uri).await);
        assert_eq!(
            query(&to_podio, "client_id").as_deref(),
            Some(seed::DEV_CLIENT_ID),
            "signs in with the shared key"
        );
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
            .set(USERNAME_FIELD, seed::DEV_USERNAME)
            .set(PASSWORD_FIELD, seed::DEV_PASSWORD);
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
        let from_podio = url::Url::parse(location).expect("url");
        let pairs: Vec<(String, String)> = from_podio.query_pairs().into_owned().collect();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let back = redirect_of(
            &self
                .service
                .callback(CallbackRequest {
                    params: params(&pairs),
                })
                .await
                .expect("callback"),
        );
        assert!(back.as_str().starts_with(redirect_uri), "{back}");
        assert_eq!(query(&back, "state").as_deref(), Some("client-state"));
        query(&back, "code").expect("code")
    }

    async fn token(&self, pairs: &[(&str, &str)]) -> TokenResponse {
        self.service
            .token(TokenRequest {
                params: params(pairs),
                basic: None,
            })
            .await
            .expect("token")
    }

    async fn exchange(&self, client_id: &str, redirect_uri: &str, code: &str) -> TokenResponse {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code", code),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    async fn refresh(&self, client_id: &str, refresh: &str) -> TokenResponse {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh),
        ])
        .await
    }
}

#[tokio::test]
async fn a_metadata_document_client_signs_in_with_the_shared_key_under_its_name() {
    let h = harness().await;
    let client_id = h.client_id();
    // A loopback redirect URI the document lists, on another port.
    let redirect = "http://127.0.0.1:4567/callback";

    // The code is bound to the document's client_id: another id is refused
    // (no secret is needed, but the id must match).
    let code = h.code_for(&client_id, redirect).await;
    let other = h.exchange("", redirect, &code).await;
    assert_eq!(error_of(&other), Some("invalid_grant"));
    assert!(
        other
            .error
            .as_ref()
            .is_some_and(|e| e.error_description.contains("another client")),
        "{other:?}"
    );

    let code = h.code_for(&client_id, redirect).await;
    let tokens = token_json(&h.exchange(&client_id, redirect, &code).await);
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().expect("at");

    let principal = TokenIntrospector::introspect(&h.service, access)
        .await
        .expect("introspect")
        .expect("active")
        .principal;
    assert_eq!(principal.display_name, NAME);
    assert_eq!(principal.credential_mode(), CredentialMode::Default);
    assert_eq!(principal.subject, format!("podio:{}", seed::DEMO_USER_ID));
    let podio = h
        .service
        .upstream_token(&UpstreamRef::of(&principal), None)
        .await
        .expect("upstream token");
    let status = h
        .http
        .get(format!("{}/org/", h.sim))
        .header(
            "authorization",
            format!("OAuth2 {}", podio.access_token.expose()),
        )
        .send()
        .await
        .expect("org")
        .status();
    assert_eq!(status, 200);

    // Refresh: only the same client_id may use the refresh token.
    let refresh = tokens["refresh_token"].as_str().expect("rt");
    assert_eq!(
        error_of(&h.refresh("portico", refresh).await),
        Some("invalid_grant")
    );
    let rotated = token_json(&h.refresh(&client_id, refresh).await);
    let again =
        TokenIntrospector::introspect(&h.service, rotated["access_token"].as_str().expect("at"))
            .await
            .expect("introspect")
            .expect("active");
    assert_eq!(again.principal.display_name, NAME);
}

#[tokio::test]
async fn a_redirect_uri_the_document_does_not_list_is_an_error_page() {
    let h = harness().await;
    let client_id = h.client_id();
    for redirect in [
        "https://claude.ai/api/mcp/auth_callback",
        "http://127.0.0.1:3000/other",
    ] {
        let nav = h.authorize(&client_id, redirect).await;
        let (error, description) = page_of(&nav);
        assert_eq!(error, "invalid_request", "{redirect}");
        assert!(
            description.contains("client metadata document"),
            "{description}"
        );
        assert_eq!(nav.http_status, 400);
    }
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_an_error_page() {
    let h = harness().await;
    let nav = h
        .authorize(&format!("{}/mismatch.json", h.docs), LISTED_REDIRECT)
        .await;
    let (error, description) = page_of(&nav);
    assert_eq!(error, "invalid_client");
    assert!(
        description.contains("client_id does not equal the url it was fetched from"),
        "{description}"
    );

    // A document that cannot be fetched, and an https client_id that is not
    // a metadata document url: error pages too, never redirects.
    let (error, description) = page_of(
        &h.authorize(&format!("{}/missing.json", h.docs), LISTED_REDIRECT)
            .await,
    );
    assert_eq!(error, "invalid_client");
    assert!(description.contains("http 404"), "{description}");
    let (error, description) = page_of(&h.authorize("https://example.com/", LISTED_REDIRECT).await);
    assert_eq!(error, "invalid_client");
    assert!(
        description.contains("not a client metadata document url"),
        "{description}"
    );
}
