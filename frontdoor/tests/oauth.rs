//! The OAuth HTTP surface driven from the outside: metadata, navigations,
//! token, registration and revocation over a fake authorization server that
//! records what the front door passed on.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use portico_frontdoor::Settings;
use portico_frontdoor::store::memory::MemoryStore;
use portico_proto::auth::v1::navigation_response::Next;
use portico_proto::auth::v1::{
    BasicCredentials, NavigationResponse, OAuthError, Param, RegisterClientResponse,
    RevokeResponse, TokenResponse,
};
use portico_proto::error::{ErrorCode, ServiceError};
use serde_json::json;
use support::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn post(path: &str, content_type: Option<&str>, basic: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::post(path);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    if let Some(basic) = basic {
        builder = builder.header("authorization", basic);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

fn form(path: &str, body: &str) -> Request<Body> {
    post(path, Some(FORM), None, body)
}

fn basic(raw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn params(pairs: &[(&str, &str)]) -> Vec<Param> {
    pairs
        .iter()
        .map(|(name, value)| Param {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
        })
        .collect()
}

fn oauth_error(error: &str, description: &str) -> OAuthError {
    OAuthError {
        error: error.to_owned(),
        error_description: description.to_owned(),
    }
}

fn body_text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn token_params(app: &TestApp) -> (Vec<Param>, Option<BasicCredentials>) {
    match app.oauth.only_call() {
        OAuthCall::Token(request) => (request.params, request.basic),
        other => panic!("expected a token call, got {other:?}"),
    }
}

fn assert_no_store(reply: &Reply) {
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
}

// --- metadata ---------------------------------------------------------------

#[tokio::test]
async fn authorization_server_metadata_is_exact_at_every_location() {
    let app = app();
    let expected = json!({
        "issuer": PUBLIC_URL,
        "authorization_endpoint": "https://portico.example.com/oauth/authorize",
        "token_endpoint": "https://portico.example.com/oauth/token",
        "registration_endpoint": "https://portico.example.com/oauth/register",
        "revocation_endpoint": "https://portico.example.com/oauth/revoke",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": ["podio:read", "podio:write"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true
    });
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/mcp",
        "/.well-known/openid-configuration",
    ] {
        let reply = send(&app.router, get(path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json(), expected, "{path}");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    assert!(app.oauth.calls().is_empty());
}

#[tokio::test]
async fn issuer_is_the_public_url_and_the_resource_names_it() {
    let settings = Settings::for_dev("https://mcp.example.org:8443/").expect("url");
    let app = app_with(settings, MemoryStore::new());
    let server = send(&app.router, get("/.well-known/oauth-authorization-server")).await;
    let issuer = server.json()["issuer"].clone();
    assert_eq!(issuer, "https://mcp.example.org:8443");
    assert_eq!(
        server.json()["token_endpoint"],
        "https://mcp.example.org:8443/oauth/token"
    );
    let resource = send(
        &app.router,
        get("/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    assert_eq!(resource.json()["authorization_servers"], json!([issuer]));
    assert_eq!(resource.header("access-control-allow-origin"), Some("*"));
}

// --- navigations --------------------------------------------------------------

#[tokio::test]
async fn authorize_passes_the_query_on_and_redirects() {
    let app = app();
    let reply = send(
        &app.router,
        get("/oauth/authorize?response_type=code&client_id=abc\
             &redirect_uri=https%3A%2F%2Fclaude.ai%2Fapi%2Fmcp%2Fauth_callback\
             &state=a+b%2Bc&scope=podio%3Aread&state=again"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.header("location"),
        Some("https://podio.example.com/oauth/authorize?client_id=x&state=s")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
    match app.oauth.only_call() {
        OAuthCall::Authorize(request) => assert_eq!(
            request.params,
            params(&[
                ("response_type", "code"),
                ("client_id", "abc"),
                ("redirect_uri", "https://claude.ai/api/mcp/auth_callback"),
                ("state", "a b+c"),
                ("scope", "podio:read"),
                ("state", "again"),
            ])
        ),
        other => panic!("expected authorize, got {other:?}"),
    }
}

#[tokio::test]
async fn callback_passes_the_query_on_and_redirects() {
    let app = app();
    *app.oauth.navigation.lock().expect("lock") = Ok(NavigationResponse {
        next: Some(Next::RedirectTo(
            "http://localhost:3000/callback?code=c&state=s&iss=https%3A%2F%2Fportico.example.com"
                .to_owned(),
        )),
        http_status: 0,
    });
    let reply = send(&app.router, get("/oauth/callback?code=podio&state=p")).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.header("location"),
        Some("http://localhost:3000/callback?code=c&state=s&iss=https%3A%2F%2Fportico.example.com")
    );
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    match app.oauth.only_call() {
        OAuthCall::Callback(request) => {
            assert_eq!(request.params, params(&[("code", "podio"), ("state", "p")]));
        }
        other => panic!("expected callback, got {other:?}"),
    }
}

#[tokio::test]
async fn error_page_is_escaped_and_cannot_be_framed() {
    let app = app();
    *app.oauth.navigation.lock().expect("lock") = Ok(NavigationResponse {
        next: Some(Next::ErrorPage(oauth_error(
            "invalid_<b>request",
            "the redirect_uri <script>alert(\"x\")</script> & 'y' is not registered",
        ))),
        http_status: 403,
    });
    let reply = send(&app.router, get("/oauth/authorize?client_id=x")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    assert!(reply.header("content-security-policy").is_some_and(|csp| {
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'")
    }));
    let html = body_text(&reply);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(
        html.contains(
            "The redirect_uri &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; is not registered."
        ),
        "{html}"
    );
    assert!(
        html.contains("<code>invalid_&lt;b&gt;request</code>"),
        "{html}"
    );
    assert!(html.contains("<title>"), "{html}");
    assert!(html.contains("<html lang=\"en\">"), "{html}");
}

#[tokio::test]
async fn error_page_defaults_to_400() {
    let app = app();
    *app.oauth.navigation.lock().expect("lock") = Ok(NavigationResponse {
        next: Some(Next::ErrorPage(oauth_error(
            "invalid_client",
            "unknown client",
        ))),
        http_status: 0,
    });
    let reply = send(&app.router, get("/oauth/callback")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(body_text(&reply).contains("<code>invalid_client</code>"));
}

#[tokio::test]
async fn navigation_failures_are_pages_without_internals() {
    let app = app();
    *app.oauth.navigation.lock().expect("lock") = Err(ServiceError::new(
        ErrorCode::Unavailable,
        "redis: connection refused",
    ));
    let reply = send(&app.router, get("/oauth/authorize")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(body_text(&reply).contains("<code>temporarily_unavailable</code>"));

    *app.oauth.navigation.lock().expect("lock") = Err(ServiceError::new(
        ErrorCode::Internal,
        "secret: null pointer in row 7",
    ));
    let reply = send(&app.router, get("/oauth/callback")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = body_text(&reply);
    assert!(html.contains("<code>server_error</code>"), "{html}");
    assert!(!html.contains("row 7"), "{html}");

    *app.oauth.navigation.lock().expect("lock") = Ok(NavigationResponse {
        next: Some(Next::RedirectTo("not a url".to_owned())),
        http_status: 0,
    });
    let reply = send(&app.router, get("/oauth/callback")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.header("location"), None);
}

// --- token ----------------------------------------------------------------------

#[tokio::test]
async fn token_passes_decoded_form_fields_on_and_answers_no_store_json() {
    let app = app();
    let reply = send(
        &app.router,
        post(
            "/oauth/token",
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            None,
            "grant_type=authorization_code&code=abc%2Fdef\
             &redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&code_verifier=a+b%7E\
             &scope=podio%3Aread+podio%3Awrite&client_id=c1&client_id=c2",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_no_store(&reply);
    assert_eq!(reply.body, TOKEN_JSON.as_bytes());
    let (params_sent, basic_sent) = token_params(&app);
    assert_eq!(
        params_sent,
        params(&[
            ("grant_type", "authorization_code"),
            ("code", "abc/def"),
            ("redirect_uri", "http://localhost:3000/callback"),
            ("code_verifier", "a b~"),
            ("scope", "podio:read podio:write"),
            ("client_id", "c1"),
            ("client_id", "c2"),
        ])
    );
    assert_eq!(basic_sent, None);
}

#[tokio::test]
async fn basic_credentials_are_decoded_per_rfc6749() {
    let app = app();
    let reply = send(
        &app.router,
        post(
            "/oauth/token",
            Some(FORM),
            Some(&basic("my%3Aclient:p%40ss%3Aword+x%25:tail")),
            "grant_type=client_credentials",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let (_, basic_sent) = token_params(&app);
    assert_eq!(
        basic_sent,
        Some(BasicCredentials {
            client_id: "my:client".to_owned(),
            client_secret: "p@ss:word x%:tail".to_owned(),
        })
    );
}

#[tokio::test]
async fn malformed_basic_is_invalid_client_with_a_challenge() {
    let app = app();
    for header in [
        "Basic not*base64".to_owned(),
        basic("no-colon-here"),
        "Basic".to_owned(),
    ] {
        let reply = send(
            &app.router,
            post(
                "/oauth/token",
                Some(FORM),
                Some(&header),
                "grant_type=client_credentials",
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(reply.json()["error"], "invalid_client", "{header}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"portico\"")
        );
        assert_no_store(&reply);
    }
    assert!(app.oauth.calls().is_empty());
}

#[tokio::test]
async fn token_requires_a_form_body() {
    let app = app();
    for content_type in [Some("application/json"), Some("text/plain"), None] {
        let reply = send(
            &app.router,
            post(
                "/oauth/token",
                content_type,
                None,
                r#"{"grant_type":"client_credentials"}"#,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{content_type:?}");
        let body = reply.json();
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains(FORM)),
            "{body}"
        );
    }
    assert!(app.oauth.calls().is_empty());
}

#[tokio::test]
async fn token_refusals_keep_their_status_and_challenge_basic_clients() {
    let app = app();
    *app.oauth.token.lock().expect("lock") = Ok(TokenResponse {
        error: Some(oauth_error("invalid_grant", "the code has expired")),
        http_status: 400,
        token_json: String::new(),
    });
    let reply = send(
        &app.router,
        form("/oauth/token", "grant_type=authorization_code"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"error": "invalid_grant", "error_description": "the code has expired"})
    );
    assert_no_store(&reply);

    *app.oauth.token.lock().expect("lock") = Ok(TokenResponse {
        error: Some(oauth_error("invalid_client", "")),
        http_status: 401,
        token_json: String::new(),
    });
    let with_basic = post(
        "/oauth/token",
        Some(FORM),
        Some(&basic("id:wrong")),
        "grant_type=client_credentials",
    );
    let reply = send(&app.router, with_basic).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json(), json!({"error": "invalid_client"}));
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"portico\"")
    );

    let in_body = form(
        "/oauth/token",
        "grant_type=client_credentials&client_id=id&client_secret=wrong",
    );
    let reply = send(&app.router, in_body).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), None);
}

#[tokio::test]
async fn token_service_errors_are_retry_or_opaque() {
    let app = app();
    for (code, status, error, retry_after) in [
        (
            ErrorCode::Unavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            Some("1"),
        ),
        (
            ErrorCode::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            Some("5"),
        ),
        (
            ErrorCode::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
        ),
        (
            ErrorCode::InvalidArgument,
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
        ),
    ] {
        *app.oauth.token.lock().expect("lock") =
            Err(ServiceError::new(code, "secret: null pointer in row 7"));
        let reply = send(
            &app.router,
            form("/oauth/token", "grant_type=refresh_token"),
        )
        .await;
        assert_eq!(reply.status, status, "{code:?}");
        assert_eq!(reply.json()["error"], error, "{code:?}");
        assert_eq!(reply.header("retry-after"), retry_after, "{code:?}");
        assert!(!body_text(&reply).contains("row 7"), "{code:?}");
        assert_no_store(&reply);
    }
}

#[tokio::test]
async fn token_without_error_or_token_is_a_server_error() {
    let app = app();
    *app.oauth.token.lock().expect("lock") = Ok(TokenResponse::default());
    let reply = send(
        &app.router,
        form("/oauth/token", "grant_type=refresh_token"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["error"], "server_error");
}

#[tokio::test]
async fn refresh_posted_to_authorize_is_a_token_request() {
    let app = app();
    let reply = send(
        &app.router,
        post(
            "/oauth/authorize",
            Some(FORM),
            Some(&basic("podio-key:podio-secret")),
            "grant_type=refresh_token&refresh_token=rt%2B1",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, TOKEN_JSON.as_bytes());
    assert_no_store(&reply);
    let (params_sent, basic_sent) = token_params(&app);
    assert_eq!(
        params_sent,
        params(&[("grant_type", "refresh_token"), ("refresh_token", "rt+1")])
    );
    assert_eq!(
        basic_sent.map(|b| b.client_id),
        Some("podio-key".to_owned())
    );
}

#[tokio::test]
async fn other_posts_to_authorize_are_405() {
    let app = app();
    for request in [
        form("/oauth/authorize", "response_type=code&client_id=x"),
        post("/oauth/authorize", Some("application/json"), None, "{}"),
        post("/oauth/authorize", None, None, ""),
    ] {
        let reply = send(&app.router, request).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.header("allow"), Some("GET, POST"));
        assert_eq!(reply.json()["error"], "invalid_request");
    }
    assert!(app.oauth.calls().is_empty());
}

// --- caps -------------------------------------------------------------------------

#[tokio::test]
async fn parameter_caps_are_enforced_and_named() {
    let app = app();
    let at_caps = (0..64)
        .map(|i| format!("p{i}={}", "v".repeat(8 * 1024)))
        .collect::<Vec<_>>()
        .join("&");
    // 64 values of 8 KiB exceed the 64 KiB body cap, so caps on count are
    // checked with short values and the value cap with one long one.
    let many = (0..65)
        .map(|i| format!("p{i}=v"))
        .collect::<Vec<_>>()
        .join("&");
    let cases = [
        (many.clone(), "at most 64"),
        (format!("state={}", "v".repeat(8 * 1024 + 1)), "state"),
        (format!("{}=1", "n".repeat(65)), "at most 64 bytes"),
    ];
    for (body, named) in &cases {
        let reply = send(&app.router, form("/oauth/token", body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{named}");
        let json = reply.json();
        assert_eq!(json["error"], "invalid_request");
        assert!(
            json["error_description"]
                .as_str()
                .is_some_and(|d| d.contains(named)),
            "{json}"
        );
    }
    assert!(app.oauth.calls().is_empty());

    let reply = send(&app.router, form("/oauth/token", &at_caps)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"], "invalid_request");

    let sixty_four = (0..64)
        .map(|i| format!("p{i}=v"))
        .collect::<Vec<_>>()
        .join("&");
    let reply = send(&app.router, form("/oauth/token", &sixty_four)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = send(
        &app.router,
        form("/oauth/token", &format!("state={}", "v".repeat(8 * 1024))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);

    let reply = send(&app.router, get(&format!("/oauth/authorize?{many}"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(body_text(&reply).contains("at most 64"));
    assert_eq!(app.oauth.calls().len(), 2, "only the two accepted requests");
}

// --- registration ---------------------------------------------------------------

#[tokio::test]
async fn register_passes_the_metadata_on_and_answers_201() {
    let app = app();
    let metadata =
        r#"{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"]}"#;
    let reply = send(
        &app.router,
        post(
            "/oauth/register",
            Some("application/json; charset=utf-8"),
            None,
            metadata,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_no_store(&reply);
    assert_eq!(reply.body, CLIENT_JSON.as_bytes());
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    match app.oauth.only_call() {
        OAuthCall::Register(request) => assert_eq!(request.metadata_json, metadata),
        other => panic!("expected register, got {other:?}"),
    }
}

#[tokio::test]
async fn register_requires_a_json_object() {
    let app = app();
    for (content_type, body) in [
        (Some(FORM), "client_name=x"),
        (None, "{}"),
        (Some("application/json"), "[1, 2]"),
        (Some("application/json"), "{\"client_name\": "),
        (Some("application/json"), "\"text\""),
    ] {
        let reply = send(
            &app.router,
            post("/oauth/register", content_type, None, body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json()["error"], "invalid_client_metadata", "{body}");
    }
    let oversized = format!("{{\"client_name\": \"{}\"}}", "x".repeat(70 * 1024));
    let reply = send(
        &app.router,
        post(
            "/oauth/register",
            Some("application/json"),
            None,
            &oversized,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.oauth.calls().is_empty());
}

#[tokio::test]
async fn register_refusals_are_400() {
    let app = app();
    *app.oauth.register.lock().expect("lock") = Ok(RegisterClientResponse {
        error: Some(oauth_error(
            "invalid_redirect_uri",
            "redirect_uris: http://evil.example.com is neither https nor loopback",
        )),
        client_information_json: String::new(),
    });
    let reply = send(
        &app.router,
        post("/oauth/register", Some("application/json"), None, "{}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({
            "error": "invalid_redirect_uri",
            "error_description": "redirect_uris: http://evil.example.com is neither https nor loopback"
        })
    );
    assert_no_store(&reply);
}

// --- revocation -----------------------------------------------------------------

#[tokio::test]
async fn revoke_answers_200_empty() {
    let app = app();
    let reply = send(
        &app.router,
        post(
            "/oauth/revoke",
            Some(FORM),
            Some(&basic("id:s%20x")),
            "token=rt_1&token_type_hint=refresh_token",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    match app.oauth.only_call() {
        OAuthCall::Revoke(request) => {
            assert_eq!(
                request.params,
                params(&[("token", "rt_1"), ("token_type_hint", "refresh_token")])
            );
            assert_eq!(
                request.basic,
                Some(BasicCredentials {
                    client_id: "id".to_owned(),
                    client_secret: "s x".to_owned(),
                })
            );
        }
        other => panic!("expected revoke, got {other:?}"),
    }

    *app.oauth.revoke.lock().expect("lock") = Ok(RevokeResponse {
        error: Some(oauth_error("invalid_client", "unknown client")),
        http_status: 401,
    });
    let reply = send(
        &app.router,
        post("/oauth/revoke", Some(FORM), Some(&basic("id:x")), "token=t"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_client");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"portico\"")
    );
}

// --- CORS -----------------------------------------------------------------------

fn preflight(path: &str) -> Request<Body> {
    Request::options(path)
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, mcp-protocol-version",
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn client_endpoints_answer_preflight_for_any_origin() {
    let app = app();
    for path in ["/oauth/token", "/oauth/register", "/oauth/revoke"] {
        let reply = send(&app.router, preflight(path)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some("POST, OPTIONS")
        );
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("Authorization, Content-Type, MCP-Protocol-Version")
        );
        assert_eq!(reply.header("access-control-allow-credentials"), None);
    }
    let reply = send(
        &app.router,
        preflight("/.well-known/oauth-authorization-server"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert!(app.oauth.calls().is_empty());

    let cross_origin = post("/oauth/token", Some(FORM), None, "grant_type=refresh_token");
    let reply = send(&app.router, cross_origin).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(
        reply
            .header("access-control-expose-headers")
            .is_some_and(|h| h.contains("WWW-Authenticate"))
    );
}

#[tokio::test]
async fn navigations_and_mcp_get_no_cors() {
    let app = app();
    for path in ["/oauth/authorize", "/oauth/callback"] {
        let reply = send(&app.router, preflight(path)).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(reply.header("access-control-allow-origin"), None, "{path}");
    }
    // /mcp keeps its origin check: a foreign origin is still refused.
    let mut request = mcp_post(Some(ALICE), None, &initialize_body("2025-11-25"));
    request
        .headers_mut()
        .insert("origin", "http://evil.example.com".parse().expect("header"));
    let reply = send(&app.router, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}
