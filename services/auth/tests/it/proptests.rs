//! Properties of the OAuth request parsing: registration (client metadata),
//! authorize and token requests through the auth service's endpoints over
//! in-memory stores, and client metadata documents
//! (`ClientMetadata::from_document`). The fuzz target `oauth_requests`
//! (fuzz/) checks the same functions, from the front door's bytes, at depth.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_auth::{
    AuthService, ClientMetadata, FetchPolicy, Keyring, MemoryOAuthStore, MemoryPendingStore,
    MemoryTokenStore, MetadataError, OAuthSettings, PodioKey, PodioOAuth, Secret, Upstream,
};
use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::navigation_response::Next;
use portico_proto::auth::v1::{
    AuthorizeRequest, NavigationResponse, Param, RegisterClientRequest, RegisterClientResponse,
    TokenRequest,
};
use portico_proto::error::ServiceError;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const PUBLIC_URL: &str = "https://portico.example";
const PODIO_AUTHORIZE: &str = "https://podio.com/oauth/authorize";
const SHARED: &str = "portico-shared";
const CHATGPT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";
const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-01";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The OAuth server over fresh in-memory stores, with a shared Podio key
/// and a Podio that cannot be reached (nothing here exchanges a code).
fn server() -> AuthService {
    let mut settings = OAuthSettings::new(PUBLIC_URL);
    settings.shared_key = Some(PodioKey {
        client_id: SHARED.to_owned(),
        client_secret: Secret::new("shared-secret".to_owned()),
    });
    let podio = PodioOAuth::new("http://127.0.0.1:9", Duration::from_secs(2)).expect("podio");
    AuthService::new(Arc::new(MemoryTokenStore::new()), None)
        .with_upstream(Upstream::new(podio, None))
        .with_oauth(
            settings,
            Arc::new(MemoryOAuthStore::new()),
            Arc::new(MemoryPendingStore::new()),
            Keyring::generate().expect("keyring"),
        )
}

const REGISTER_ERRORS: [&str; 2] = ["invalid_client_metadata", "invalid_redirect_uri"];
const PAGE_ERRORS: [&str; 3] = ["invalid_request", "invalid_client", "unauthorized_client"];
const TOKEN_ERRORS: [&str; 7] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
];

async fn register(
    service: &AuthService,
    metadata: &Value,
) -> Result<RegisterClientResponse, ServiceError> {
    let metadata_json = metadata.to_string();
    service
        .register_client(RegisterClientRequest { metadata_json })
        .await
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
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

fn query_of(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,16}".prop_map(Value::String),
        prop::sample::select(vec![
            "https://app.example/cb",
            "http://localhost:3000/cb",
            "authorization_code",
            "refresh_token",
            "none",
            "client_secret_post",
            "code",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::Array)
    })
}

/// A client metadata object: the fields RFC 7591 and the Podio extension
/// use, with any values.
fn metadata() -> impl Strategy<Value = Value> {
    let fields = prop::sample::select(vec![
        "client_name",
        "redirect_uris",
        "grant_types",
        "response_types",
        "token_endpoint_auth_method",
        "podio_client_id",
        "podio_client_secret",
        "scope",
    ]);
    prop::collection::btree_map(fields, json_value(), 0..7)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn redirect_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,10}".prop_map(|h| format!("https://{h}.example/cb")),
        (1024u16..65535).prop_map(|port| format!("http://localhost:{port}/callback")),
        "[a-z]{1,10}".prop_map(|p| format!("http://127.0.0.1/{p}")),
    ]
}

#[test]
fn arbitrary_metadata_gets_a_client_or_an_rfc_error() {
    let rt = runtime();
    let service = server();
    proptest!(|(metadata in metadata())| {
        let answer = rt
            .block_on(register(&service, &metadata))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        match answer.error {
            Some(error) => {
                prop_assert!(REGISTER_ERRORS.contains(&error.error.as_str()), "{:?}", error);
                prop_assert!(!error.error_description.is_empty());
            }
            None => {
                let info: Value =
                    serde_json::from_str(&answer.client_information_json).expect("json");
                let client_id = info["client_id"].as_str().unwrap_or_default();
                prop_assert!(client_id.starts_with("mcp-client-"));
                let given = metadata.get("redirect_uris").filter(|v| !v.is_null()).cloned();
                prop_assert_eq!(info["redirect_uris"].clone(), given.unwrap_or_else(|| json!([])));
            }
        }
    });
}

#[test]
fn registered_clients_echo_their_metadata_and_can_sign_in() {
    let rt = runtime();
    let service = server();
    proptest!(|(
        name in "[ -~]{0,60}",
        uris in prop::collection::vec(redirect_uri(), 1..=10),
        method in prop::sample::select(vec!["none", "client_secret_post", "client_secret_basic"]),
        podio in prop::option::of(("[a-z0-9-]{2,30}", "[A-Za-z0-9]{8,40}")),
    )| {
        let mut metadata = json!({"client_name": name, "redirect_uris": uris});
        metadata["token_endpoint_auth_method"] = json!(method);
        if let Some((id, secret)) = &podio {
            metadata["podio_client_id"] = json!(id);
            metadata["podio_client_secret"] = json!(secret);
        }
        let answer = rt
            .block_on(register(&service, &metadata))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert!(answer.error.is_none(), "{:?}", answer.error);
        let info: Value = serde_json::from_str(&answer.client_information_json).expect("json");
        prop_assert_eq!(info["client_name"].clone(), json!(name.trim()));
        prop_assert_eq!(info["redirect_uris"].clone(), json!(uris));
        prop_assert_eq!(info["token_endpoint_auth_method"].clone(), json!(method));
        prop_assert_eq!(info["client_secret"].is_string(), method != "none");
        prop_assert_eq!(info["podio_credentials_provided"].clone(), json!(podio.is_some()));
        if let Some((_, secret)) = &podio {
            prop_assert!(!answer.client_information_json.contains(secret.as_str()));
        }
        let client_id = info["client_id"].as_str().expect("client_id");
        let challenge = challenge();
        let answer = rt
            .block_on(service.authorize(AuthorizeRequest {
                params: params(&[
                    ("client_id", client_id),
                    ("redirect_uri", &uris[uris.len() - 1]),
                    ("response_type", "code"),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                ]),
            }))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let Some(Next::RedirectTo(location)) = &answer.next else {
            return Err(TestCaseError::fail(format!("no sign-in: {answer:?}")));
        };
        prop_assert!(location.starts_with(PODIO_AUTHORIZE), "{}", location);
        let url = url::Url::parse(location).expect("url");
        let podio_id = podio.as_ref().map_or(SHARED, |(id, _)| id.as_str());
        prop_assert_eq!(query_of(&url, "client_id"), Some(podio_id.to_owned()));
    });
}

#[test]
fn mutated_metadata_is_refused_naming_the_field() {
    let rt = runtime();
    let service = server();
    proptest!(|(uri in redirect_uri(), mutation in 0..9usize, extra in 1..50usize)| {
        let mut metadata = json!({"client_name": "App", "redirect_uris": [uri.clone()]});
        let (code, needle) = match mutation {
            0 => {
                metadata["redirect_uris"] = json!([format!("{uri}#frag")]);
                ("invalid_redirect_uri", "fragment")
            }
            1 => {
                let plain = uri
                    .replace("https://", "http://")
                    .replace("localhost", "app.example")
                    .replace("127.0.0.1", "app.example");
                metadata["redirect_uris"] = json!([plain]);
                ("invalid_redirect_uri", "must use https")
            }
            2 => {
                metadata["grant_types"] = json!(["authorization_code", "implicit"]);
                ("invalid_client_metadata", "grant type \"implicit\" is not supported")
            }
            3 => {
                metadata["token_endpoint_auth_method"] = json!("private_key_jwt");
                ("invalid_client_metadata", "token_endpoint_auth_method")
            }
            4 => {
                metadata["client_name"] = json!("n".repeat(200 + extra));
                ("invalid_client_metadata", "client_name")
            }
            5 => {
                metadata["redirect_uris"] = json!(uri);
                ("invalid_client_metadata", "redirect_uris must be an array of strings")
            }
            6 => {
                metadata["podio_client_id"] = json!("my-podio-app");
                ("invalid_client_metadata", "podio_client_secret")
            }
            7 => {
                metadata["response_types"] = json!(["token"]);
                ("invalid_client_metadata", "response_types")
            }
            _ => {
                metadata["redirect_uris"] = json!(vec![uri.clone(); 10 + extra]);
                ("invalid_redirect_uri", "at most 10 redirect_uris")
            }
        };
        let answer = rt
            .block_on(register(&service, &metadata))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let error = answer
            .error
            .ok_or_else(|| TestCaseError::fail(format!("{metadata} was registered")))?;
        prop_assert_eq!(error.error.as_str(), code);
        prop_assert!(error.error_description.contains(needle), "{:?} lacks {:?}", error, needle);
    });
}

/// A navigation: an error page (its error and description) or a redirect.
fn navigation(
    answer: &NavigationResponse,
) -> Result<Result<url::Url, (String, String)>, TestCaseError> {
    match &answer.next {
        Some(Next::ErrorPage(error)) => {
            prop_assert_eq!(answer.http_status, 400);
            Ok(Err((error.error.clone(), error.error_description.clone())))
        }
        Some(Next::RedirectTo(location)) => {
            prop_assert_eq!(answer.http_status, 302);
            Ok(Ok(url::Url::parse(location).expect("url")))
        }
        None => Err(TestCaseError::fail("a navigation going nowhere")),
    }
}

const PARAM_NAMES: [&str; 10] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
    "resource",
    "grant_type",
    "code",
];

fn arbitrary_params() -> impl Strategy<Value = Vec<Param>> {
    let value = prop_oneof![
        "\\PC{0,20}",
        Just(CHATGPT.to_owned()),
        Just("code".to_owned()),
        Just("S256".to_owned()),
        Just(challenge()),
        Just("chatgpt".to_owned()),
        Just("authorization_code".to_owned()),
        Just("refresh_token".to_owned()),
        Just("podio:read".to_owned()),
    ];
    prop::collection::vec((prop::sample::select(PARAM_NAMES.to_vec()), value), 0..10).prop_map(
        |pairs| {
            pairs
                .into_iter()
                .map(|(name, value)| Param {
                    name: name.to_owned(),
                    value,
                })
                .collect()
        },
    )
}

#[test]
fn arbitrary_authorize_and_token_requests_get_rfc_answers() {
    let rt = runtime();
    let service = server();
    proptest!(|(params in arbitrary_params())| {
        // A metadata document client_id would be fetched from the network.
        prop_assume!(!params
            .iter()
            .any(|p| p.name == "client_id" && p.value.trim().starts_with("https://")));
        let answer = rt
            .block_on(service.authorize(AuthorizeRequest { params: params.clone() }))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        match navigation(&answer)? {
            Err((error, description)) => {
                prop_assert!(PAGE_ERRORS.contains(&error.as_str()), "{}", error);
                prop_assert!(!description.is_empty());
            }
            Ok(url) if url.as_str().starts_with(PODIO_AUTHORIZE) => {
                prop_assert!(query_of(&url, "state").is_some());
            }
            Ok(url) => {
                prop_assert_eq!(query_of(&url, "iss"), Some(PUBLIC_URL.to_owned()));
                prop_assert!(query_of(&url, "error").is_some(), "{}", url);
            }
        }
        let answer = rt
            .block_on(service.token(TokenRequest { params, basic: None }))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let error = answer.error.ok_or_else(|| TestCaseError::fail("a token without a grant"))?;
        prop_assert!(TOKEN_ERRORS.contains(&error.error.as_str()), "{:?}", error);
        let status = if error.error == "invalid_client" { 401 } else { 400 };
        prop_assert_eq!(answer.http_status, status);
    });
}

#[test]
fn mutated_authorize_requests_are_refused_naming_the_parameter() {
    let rt = runtime();
    let service = server();
    proptest!(|(state in "[A-Za-z0-9]{1,20}", mutation in 0..9usize)| {
        let challenge = challenge();
        let mut pairs = vec![
            ("client_id", "chatgpt".to_owned()),
            ("redirect_uri", CHATGPT.to_owned()),
            ("response_type", "code".to_owned()),
            ("code_challenge", challenge.clone()),
            ("code_challenge_method", "S256".to_owned()),
            ("state", state.clone()),
        ];
        let set = |pairs: &mut Vec<(&str, String)>, name: &str, value: &str| {
            if let Some(p) = pairs.iter_mut().find(|p| p.0 == name) {
                p.1 = value.to_owned();
            }
        };
        // (error, where it is shown: page or redirect, what the description names)
        let expected: Option<(&str, bool, &str)> = match mutation {
            0 => {
                pairs.retain(|p| p.0 != "redirect_uri");
                Some(("invalid_request", true, "redirect_uri is required"))
            }
            1 => {
                set(&mut pairs, "redirect_uri", "https://evil.example/cb");
                Some(("invalid_request", true, "allowlist"))
            }
            2 => {
                pairs.push(("state", "again".to_owned()));
                Some(("invalid_request", true, "repeated"))
            }
            3 => {
                set(&mut pairs, "response_type", "token");
                Some(("unsupported_response_type", false, "response_type"))
            }
            4 => {
                set(&mut pairs, "code_challenge", &challenge[..20]);
                Some(("invalid_request", false, "code_challenge must be"))
            }
            5 => {
                set(&mut pairs, "code_challenge_method", "plain");
                Some(("invalid_request", false, "code_challenge_method must be S256"))
            }
            6 => {
                pairs.push(("scope", "podio:admin".to_owned()));
                Some(("invalid_scope", false, "podio:admin"))
            }
            7 => {
                pairs.push(("resource", "https://elsewhere.example/mcp".to_owned()));
                Some(("invalid_target", false, "is not this server"))
            }
            _ => None,
        };
        let params = pairs
            .iter()
            .map(|(name, value)| Param { name: (*name).to_owned(), value: value.clone() })
            .collect();
        let answer = rt
            .block_on(service.authorize(AuthorizeRequest { params }))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        match (navigation(&answer)?, expected) {
            (Ok(url), None) => {
                prop_assert!(url.as_str().starts_with(PODIO_AUTHORIZE), "{}", url);
                prop_assert_eq!(query_of(&url, "client_id"), Some(SHARED.to_owned()));
            }
            (Err((error, description)), Some((want, true, needle))) => {
                prop_assert_eq!(error.as_str(), want);
                prop_assert!(description.contains(needle), "{:?} lacks {:?}", description, needle);
            }
            (Ok(url), Some((want, false, needle))) => {
                prop_assert!(url.as_str().starts_with(CHATGPT), "{}", url);
                prop_assert_eq!(query_of(&url, "error"), Some(want.to_owned()));
                let description = query_of(&url, "error_description").unwrap_or_default();
                prop_assert!(description.contains(needle), "{:?} lacks {:?}", description, needle);
                prop_assert_eq!(query_of(&url, "state"), Some(state.clone()));
                prop_assert_eq!(query_of(&url, "iss"), Some(PUBLIC_URL.to_owned()));
            }
            (got, want) => return Err(TestCaseError::fail(format!("{got:?}, expected {want:?}"))),
        }
    });
}

const DOC_URL: &str = "https://app.example/oauth/client.json";

/// `body` validated as the document at [`DOC_URL`], as production fetches.
fn document(body: &[u8]) -> Result<ClientMetadata, MetadataError> {
    ClientMetadata::from_document(body, DOC_URL, FetchPolicy::default())
}

proptest! {
    #[test]
    fn arbitrary_documents_are_validated_or_refused(
        body in prop::collection::vec(any::<u8>(), 0..200),
        value in json_value(),
    ) {
        for body in [body, value.to_string().into_bytes()] {
            if let Err(e) = document(&body) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn well_formed_documents_are_accepted_as_written(
        name in "[A-Za-z][ -~]{0,60}",
        uris in prop::collection::vec(redirect_uri(), 1..=10),
    ) {
        let mut doc = json!({"client_id": DOC_URL, "client_name": name, "redirect_uris": uris});
        doc["token_endpoint_auth_method"] = json!("none");
        let metadata = document(doc.to_string().as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(metadata.client_id.as_str(), DOC_URL);
        prop_assert_eq!(&metadata.client_name, &name);
        prop_assert_eq!(&metadata.redirect_uris, &uris);
        prop_assert_eq!(metadata.host.as_str(), "app.example");
        prop_assert_eq!(metadata.localhost_only, uris.iter().all(|u| u.starts_with("http://")));
    }

    #[test]
    fn mutated_documents_are_refused_naming_the_field(
        uri in redirect_uri(),
        mutation in 0..6usize,
    ) {
        let mut doc = json!({"client_id": DOC_URL, "client_name": "App", "redirect_uris": [uri]});
        let field = match mutation {
            0 => {
                doc["client_id"] = json!("https://app.example/other.json");
                None
            }
            1 => {
                doc.as_object_mut().map(|d| d.remove("client_name"));
                Some("client_name")
            }
            2 => {
                doc["client_secret"] = json!("s");
                Some("client_secret")
            }
            3 => {
                doc["redirect_uris"] = json!([]);
                Some("redirect_uris")
            }
            4 => {
                let first = doc["redirect_uris"][0].as_str().unwrap_or_default().to_owned();
                doc["redirect_uris"] = json!([format!("{first}#x")]);
                Some("redirect_uris")
            }
            _ => {
                doc["token_endpoint_auth_method"] = json!("client_secret_post");
                Some("token_endpoint_auth_method")
            }
        };
        let error = document(doc.to_string().as_bytes()).expect_err("refused");
        match (field, &error) {
            (None, MetadataError::ClientIdMismatch) => {}
            (Some(field), MetadataError::Invalid { field: got, .. }) => {
                prop_assert_eq!(*got, field)
            }
            _ => return Err(TestCaseError::fail(format!("{error:?} for {doc}"))),
        }
        prop_assert!(error.to_string().contains(field.unwrap_or("client_id")), "{}", error);
    }
}
