//! The OAuth request parsers, from the front door's bytes to the auth
//! service's decision: form and query decoding (`oauth::params::parse`), the
//! Basic header (`oauth::basic::credentials`), registration bodies
//! (`oauth::params::metadata_json`), then the auth service's registration
//! (client metadata), authorize, callback, token and revoke endpoints over
//! in-memory stores, and client metadata documents
//! (`ClientMetadata::from_document`).
//!
//! Input: a first byte choosing the endpoint (0 register, 1 authorize,
//! 2 token, 3 revoke, 4 callback, 5 metadata document, 6 a whole flow:
//! authorize, callback with `@state@`, token with `@code@`); for 2, 3, 5 and
//! 6 the first line is the Authorization header, the client id, or the
//! authorize query, the rest is the body. Values may name the registered
//! test clients (`@public@`, `@client@`, `@secret@`, `@challenge@`).
//!
//! Invariants: nothing panics; decoded forms and Basic credentials re-encode
//! to the same pairs and credentials, within the caps; the front door's
//! refusals are 4xx with an OAuth code; the auth service answers every
//! request (never a server error, except Podio being unreachable for a
//! direct-mode code) with an RFC error code of its endpoint, the status that
//! goes with it and a description; a registration echoes what it accepted,
//! never a Podio secret, and its client can then start a sign-in; a
//! navigation is an error page or a redirect to Podio's sign-in or to the
//! client's redirect URI with a code or an error and the issuer.

#![no_main]

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use portico_auth::{ClientMetadata, FetchPolicy, is_metadata_client_id};
use portico_frontdoor::oauth::basic;
use portico_frontdoor::oauth::params::{self, MAX_NAME_BYTES, MAX_PARAMS, MAX_VALUE_BYTES};
use portico_frontdoor::oauth::refusal::Refusal;
use portico_fuzz::oauth::{OAuthServer, PUBLIC_URL, SHARED_PODIO_CLIENT_ID, VERIFIER, challenge};
use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::navigation_response::Next;
use portico_proto::auth::v1::{
    AuthorizeRequest, BasicCredentials, CallbackRequest, NavigationResponse, Param,
    RegisterClientRequest, RevokeRequest, TokenRequest,
};
use portico_proto::error::ErrorCode;
use serde_json::Value;

/// Inputs one server serves before a fresh one replaces it, so the
/// in-memory stores stay small.
const RUNS_PER_SERVER: u32 = 4096;

const PODIO_AUTHORIZE: &str = "https://podio.com/oauth/authorize";
const AUTHORIZE_PAGE_ERRORS: [&str; 3] =
    ["invalid_request", "invalid_client", "unauthorized_client"];
const AUTHORIZE_ERRORS: [&str; 7] = [
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];
const TOKEN_ERRORS: [&str; 8] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "server_error",
];
const REGISTER_ERRORS: [&str; 2] = ["invalid_client_metadata", "invalid_redirect_uri"];

thread_local! {
    static SERVER: RefCell<(u32, OAuthServer)> = RefCell::new((0, OAuthServer::new()));
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = portico_fuzz::selector_and_text(data) else {
        return;
    };
    SERVER.with(|cell| {
        let mut cell = cell.borrow_mut();
        cell.0 += 1;
        if cell.0 > RUNS_PER_SERVER {
            *cell = (1, OAuthServer::new());
        }
        run(&cell.1, selector, &text);
    });
});

fn run(server: &OAuthServer, selector: u8, text: &str) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    check_form(text.as_bytes());
    check_basic(first);
    match selector % 7 {
        0 => register(server, text),
        1 => {
            if let Some(params) = form(server, text) {
                authorize(server, params);
            }
        }
        2 => {
            let (Some(basic), Some(params)) = (basic_of(first), form(server, rest)) else {
                return;
            };
            token(server, params, basic);
        }
        3 => {
            let (Some(basic), Some(params)) = (basic_of(first), form(server, rest)) else {
                return;
            };
            let answer = server
                .block_on(server.endpoints().revoke(RevokeRequest { params, basic }))
                .unwrap_or_else(|e| panic!("revoke failed: {e:?}"));
            match answer.error {
                None => assert_eq!(answer.http_status, 200),
                Some(error) => {
                    assert!(["invalid_request", "invalid_client"].contains(&error.error.as_str()));
                    assert_eq!(answer.http_status, status_of(&error.error));
                    assert!(!error.error_description.is_empty());
                }
            }
        }
        4 => {
            if let Some(params) = form(server, text) {
                callback(server, params);
            }
        }
        5 => metadata_document(first, rest, selector & 8 != 0),
        _ => flow(server, first, rest),
    }
}

/// The front door's form decoding: within the caps, and re-encoding the
/// pairs gives the same pairs.
fn check_form(body: &[u8]) {
    match params::parse(body) {
        Ok(pairs) => {
            assert!(pairs.len() <= MAX_PARAMS);
            for p in &pairs {
                assert!(p.name.len() <= MAX_NAME_BYTES && p.value.len() <= MAX_VALUE_BYTES);
            }
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|p| (&p.name, &p.value)))
                .finish();
            let again = params::parse(encoded.as_bytes()).expect("re-encoded pairs parse");
            assert_eq!(again, pairs, "{encoded}");
        }
        Err(refusal) => {
            assert!(matches!(
                refusal,
                Refusal::TooManyParams { .. }
                    | Refusal::NameTooLong { .. }
                    | Refusal::ValueTooLong { .. }
            ));
            check_refusal(&refusal);
        }
    }
}

fn check_refusal(refusal: &Refusal) {
    assert!(refusal.status().is_client_error(), "{refusal:?}");
    assert!(
        [
            "invalid_request",
            "invalid_client",
            "invalid_client_metadata"
        ]
        .contains(&refusal.error_code()),
        "{refusal:?}"
    );
    assert!(!refusal.to_string().is_empty());
}

fn headers(authorization: &str) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    if !authorization.is_empty() {
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(authorization).ok()?,
        );
    }
    Some(headers)
}

/// `Authorization: Basic` of `client_id` and `client_secret` as RFC 6749
/// §2.3.1 has a client send them.
fn basic_header(client_id: &str, client_secret: &str) -> HeaderMap {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", encode(client_id), encode(client_secret));
    let mut headers = HeaderMap::new();
    let value = format!("Basic {}", STANDARD.encode(raw));
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&value).expect("base64 is ASCII"),
    );
    headers
}

/// The Basic header decoding: credentials re-encode to the same ones, and
/// any id and secret survive the encoding clients use.
fn check_basic(line: &str) {
    if let Some(headers) = headers(line) {
        match basic::credentials(&headers) {
            Ok(Some(creds)) => {
                let again =
                    basic::credentials(&basic_header(&creds.client_id, &creds.client_secret))
                        .expect("re-encoded credentials decode");
                assert_eq!(again, Some(creds));
            }
            Ok(None) => {}
            Err(refusal) => {
                assert!(matches!(refusal, Refusal::MalformedBasic { .. }));
                assert_eq!(refusal.status(), 401);
                check_refusal(&refusal);
            }
        }
    }
    let (id, secret) = line.split_once(':').unwrap_or((line, ""));
    if id.len() <= MAX_VALUE_BYTES && secret.len() <= MAX_VALUE_BYTES {
        let decoded = basic::credentials(&basic_header(id, secret))
            .unwrap_or_else(|e| panic!("{id:?}:{secret:?} encoded by the RFC is refused: {e:?}"));
        assert_eq!(
            decoded,
            Some(BasicCredentials {
                client_id: id.to_owned(),
                client_secret: secret.to_owned(),
            })
        );
    }
}

fn basic_of(line: &str) -> Option<Option<BasicCredentials>> {
    basic::credentials(&headers(line)?).ok()
}

/// The pairs of `text` with the test clients substituted; `None` when the
/// front door refuses them, or when a client id would make the auth service
/// fetch a metadata document from the network.
fn form(server: &OAuthServer, text: &str) -> Option<Vec<Param>> {
    let pairs = server.substitute_params(params::parse(text.as_bytes()).ok()?);
    let fetches = pairs.iter().any(|p| {
        let id = p.value.trim();
        p.name == "client_id" && (id.starts_with("https://") || is_metadata_client_id(id))
    });
    (!fetches).then_some(pairs)
}

fn status_of(error: &str) -> u32 {
    if error == "invalid_client" { 401 } else { 400 }
}

fn query_of(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Checks a navigation; the redirect, if it is one.
fn check_navigation(answer: &NavigationResponse) -> Option<url::Url> {
    match &answer.next {
        Some(Next::ErrorPage(error)) => {
            assert_eq!(answer.http_status, 400, "{answer:?}");
            assert!(
                AUTHORIZE_PAGE_ERRORS.contains(&error.error.as_str()),
                "{answer:?}"
            );
            assert!(!error.error_description.is_empty());
            None
        }
        Some(Next::RedirectTo(location)) => {
            assert_eq!(answer.http_status, 302, "{answer:?}");
            let url = url::Url::parse(location).expect("redirects are URLs");
            if location.starts_with(PODIO_AUTHORIZE) {
                assert!(
                    query_of(&url, "state").is_some_and(|s| !s.is_empty()),
                    "{location}"
                );
                assert_eq!(query_of(&url, "response_type").as_deref(), Some("code"));
                assert_eq!(
                    query_of(&url, "redirect_uri"),
                    Some(format!("{PUBLIC_URL}/oauth/callback"))
                );
                assert!(query_of(&url, "client_id").is_some());
            } else {
                assert_eq!(
                    query_of(&url, "iss").as_deref(),
                    Some(PUBLIC_URL),
                    "{location}"
                );
                match (query_of(&url, "code"), query_of(&url, "error")) {
                    (Some(code), None) => assert!(code.starts_with("portico_ac_")),
                    (None, Some(error)) => {
                        assert!(
                            AUTHORIZE_ERRORS.contains(&error.as_str()) || error == "invalid_target",
                            "{location}"
                        );
                        assert!(query_of(&url, "error_description").is_some_and(|d| !d.is_empty()));
                    }
                    _ => panic!("a redirect with neither a code nor an error: {location}"),
                }
            }
            Some(url)
        }
        None => panic!("a navigation going nowhere: {answer:?}"),
    }
}

fn authorize(server: &OAuthServer, params: Vec<Param>) -> Option<url::Url> {
    let answer = server
        .block_on(server.endpoints().authorize(AuthorizeRequest { params }))
        .unwrap_or_else(|e| panic!("authorize failed: {e:?}"));
    check_navigation(&answer)
}

fn callback(server: &OAuthServer, params: Vec<Param>) -> Option<url::Url> {
    let answer = server
        .block_on(server.endpoints().callback(CallbackRequest { params }))
        .unwrap_or_else(|e| panic!("callback failed: {e:?}"));
    check_navigation(&answer)
}

fn token(server: &OAuthServer, params: Vec<Param>, basic: Option<BasicCredentials>) {
    let answer = match server.block_on(server.endpoints().token(TokenRequest { params, basic })) {
        Ok(answer) => answer,
        // A direct-mode code is exchanged at Podio, which is unreachable here.
        Err(e) if e.code == ErrorCode::Unavailable => return,
        Err(e) => panic!("token failed: {e:?}"),
    };
    match answer.error {
        Some(error) => {
            assert!(TOKEN_ERRORS.contains(&error.error.as_str()), "{error:?}");
            assert_eq!(answer.http_status, status_of(&error.error), "{error:?}");
            assert!(!error.error_description.is_empty());
            assert!(answer.token_json.is_empty());
        }
        None => {
            assert_eq!(answer.http_status, 200);
            let token: Value = serde_json::from_str(&answer.token_json).expect("token JSON");
            assert!(
                token["access_token"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("portico_at_"))
            );
            assert_eq!(token["token_type"], "Bearer");
        }
    }
}

fn register(server: &OAuthServer, body: &str) {
    let metadata_json = match params::metadata_json(body.as_bytes()) {
        Ok(json) => json,
        Err(refusal) => {
            assert_eq!(refusal, Refusal::NotJsonObject);
            return check_refusal(&refusal);
        }
    };
    let metadata: Value = serde_json::from_str(&metadata_json).expect("checked to be JSON");
    let answer = server
        .block_on(
            server
                .endpoints()
                .register_client(RegisterClientRequest { metadata_json }),
        )
        .unwrap_or_else(|e| panic!("registration failed: {e:?}"));
    if let Some(error) = answer.error {
        assert!(REGISTER_ERRORS.contains(&error.error.as_str()), "{error:?}");
        assert!(!error.error_description.is_empty());
        assert!(answer.client_information_json.is_empty());
        return;
    }
    let info: Value =
        serde_json::from_str(&answer.client_information_json).expect("client information");
    let client_id = info["client_id"].as_str().expect("a client_id");
    assert!(client_id.starts_with("mcp-client-"), "{info}");
    let name = metadata["client_name"].as_str().unwrap_or_default().trim();
    assert_eq!(info["client_name"], name);
    let redirect_uris: Vec<&str> = metadata["redirect_uris"]
        .as_array()
        .map(|uris| uris.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(info["redirect_uris"], serde_json::json!(redirect_uris));
    let method = metadata["token_endpoint_auth_method"]
        .as_str()
        .unwrap_or("none");
    assert_eq!(info["token_endpoint_auth_method"], method);
    assert_eq!(
        info["client_secret"].is_string(),
        method != "none",
        "{info}"
    );
    if let Some(secret) = metadata["podio_client_secret"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        let object = info.as_object().expect("client information is an object");
        assert!(
            !object.contains_key("podio_client_secret") && object.values().all(|v| v != secret),
            "the podio secret is echoed: {info}"
        );
    }
    // The new client can start a sign-in at a redirect URI it registered.
    let grants_code = info["grant_types"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g == "authorization_code"));
    if let (Some(redirect_uri), true) = (redirect_uris.first(), grants_code) {
        let pairs = [
            ("client_id", client_id.to_owned()),
            ("redirect_uri", (*redirect_uri).to_owned()),
            ("response_type", "code".to_owned()),
            ("code_challenge", challenge(VERIFIER)),
            ("code_challenge_method", "S256".to_owned()),
        ];
        let params = pairs
            .into_iter()
            .map(|(name, value)| Param {
                name: name.to_owned(),
                value,
            })
            .collect();
        let url = authorize(server, params).expect("a sign-in starts");
        assert!(url.as_str().starts_with(PODIO_AUTHORIZE), "{url}");
        let podio_id = metadata["podio_client_id"]
            .as_str()
            .map(str::trim)
            .filter(|id| {
                !id.is_empty()
                    && metadata["podio_client_secret"]
                        .as_str()
                        .is_some_and(|s| !s.is_empty())
            });
        assert_eq!(
            query_of(&url, "client_id").as_deref(),
            Some(podio_id.unwrap_or(SHARED_PODIO_CLIENT_ID)),
            "{url}"
        );
    }
}

fn metadata_document(client_id: &str, body: &str, loopback: bool) {
    let policy = FetchPolicy {
        allow_loopback_http: loopback,
    };
    let Ok(metadata) = ClientMetadata::from_document(body.as_bytes(), client_id, policy) else {
        return;
    };
    let doc: Value = serde_json::from_str(body).expect("accepted documents are JSON");
    assert_eq!(metadata.client_id, client_id);
    assert_eq!(doc["client_id"], client_id);
    assert_eq!(doc["client_name"], metadata.client_name.as_str());
    assert!(!metadata.client_name.trim().is_empty());
    assert!(metadata.client_name.chars().count() <= 200);
    assert!(!metadata.client_name.chars().any(char::is_control));
    assert_eq!(
        doc["redirect_uris"],
        serde_json::json!(metadata.redirect_uris)
    );
    assert!((1..=10).contains(&metadata.redirect_uris.len()));
    for uri in &metadata.redirect_uris {
        let url = url::Url::parse(uri).expect("redirect uris are URLs");
        assert!(url.fragment().is_none() && url.username().is_empty() && url.password().is_none());
        assert!(matches!(url.scheme(), "https" | "http"), "{uri}");
    }
    let host = url::Url::parse(client_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    assert_eq!(Some(metadata.host.clone()), host);
    assert!(doc.get("client_secret").is_none());
}

/// authorize, then the callback (`@state@` is the state Podio got), then the
/// token request (`@code@` is the code the client got).
fn flow(server: &OAuthServer, authorize_query: &str, rest: &str) {
    let (callback_query, token_form) = rest.split_once('\n').unwrap_or((rest, ""));
    let Some(params) = form(server, authorize_query) else {
        return;
    };
    let Some(podio) = authorize(server, params) else {
        return;
    };
    let Some(state) =
        query_of(&podio, "state").filter(|_| podio.as_str().starts_with(PODIO_AUTHORIZE))
    else {
        return;
    };
    let callback_query = callback_query.replace("@state@", &state);
    let Some(params) = form(server, &callback_query) else {
        return;
    };
    let Some(client) = callback(server, params) else {
        return;
    };
    let code = query_of(&client, "code").unwrap_or_default();
    let Some(params) = form(server, &token_form.replace("@code@", &code)) else {
        return;
    };
    token(server, params, None);
}
