//! Properties of what turns request bytes into a message or a refusal: the
//! JSON-RPC envelope (`Incoming::parse`), a 2026-07-28 request's `_meta` and
//! mirrored headers (`modern::validate`), and the OAuth endpoints' form and
//! Basic header decoding. The fuzz targets `jsonrpc_envelope` and
//! `oauth_requests` (fuzz/) check the same functions at depth.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portico_frontdoor::mcp::jsonrpc::Incoming;
use portico_frontdoor::mcp::modern;
use portico_frontdoor::mcp::protocol::{METHOD_HEADER, NAME_HEADER, VERSION_HEADER, meta};
use portico_frontdoor::oauth::basic;
use portico_frontdoor::oauth::params::{self, MAX_NAME_BYTES, MAX_PARAMS, MAX_VALUE_BYTES};
use portico_frontdoor::oauth::refusal::Refusal;
use portico_proto::auth::v1::{BasicCredentials, Param};
use proptest::prelude::*;
use rmcp::model::{NumberOrString, RequestId};
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        // Floats with short decimal forms, which survive printing and
        // parsing exactly.
        (-1_000_000i32..1_000_000).prop_map(|n| json!(f64::from(n) / 8.0)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn request_id() -> impl Strategy<Value = RequestId> {
    prop_oneof![
        any::<i64>().prop_map(NumberOrString::Number),
        ".{0,16}".prop_map(|s| NumberOrString::String(s.into())),
    ]
}

fn request(id: &RequestId, method: &str, params: Option<&Value>) -> Value {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let Some(params) = params {
        message["params"] = params.clone();
    }
    message
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_parsed_or_refused_with_400(
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Err(error) = Incoming::parse(&body) {
            prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST);
            let not_json = serde_json::from_slice::<Value>(&body).is_err();
            prop_assert_eq!(error.code(), if not_json { -32700 } else { -32600 });
            prop_assert!(!error.message().is_empty());
        }
    }

    #[test]
    fn arbitrary_json_is_parsed_or_refused_with_400(value in json_value()) {
        if let Err(error) = Incoming::parse(value.to_string().as_bytes()) {
            prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST);
            prop_assert_eq!(error.code(), -32600);
        }
    }

    #[test]
    fn well_formed_messages_parse_and_round_trip(
        id in request_id(),
        method in "[a-z/_]{1,24}",
        params in prop::option::of(json_value()),
    ) {
        let body = request(&id, &method, params.as_ref()).to_string();
        let parsed = Incoming::parse(body.as_bytes());
        prop_assert_eq!(
            parsed.ok(),
            Some(Incoming::Request {
                id: id.clone(),
                method: method.clone(),
                params: params.clone(),
            })
        );
        let mut notification = json!({"jsonrpc": "2.0", "method": method});
        if let Some(params) = &params {
            notification["params"] = params.clone();
        }
        prop_assert_eq!(
            Incoming::parse(notification.to_string().as_bytes()).ok(),
            Some(Incoming::Notification { method, params })
        );
        let response = json!({"jsonrpc": "2.0", "id": id, "result": {"ok": true}});
        prop_assert_eq!(
            Incoming::parse(response.to_string().as_bytes()).ok(),
            Some(Incoming::Response { id: Some(id), message: json!({"result": {"ok": true}}) })
        );
    }

    #[test]
    fn mutated_messages_are_refused_naming_what_is_wrong(
        id in request_id(),
        method in "[a-z/_]{1,24}",
        mutation in 0..6usize,
        cut in 1..20usize,
    ) {
        let mut message = request(&id, &method, None);
        let (expected_code, needle) = match mutation {
            0 => {
                message["jsonrpc"] = json!("1.0");
                (-32600, "jsonrpc")
            }
            1 => {
                message.as_object_mut().map(|m| m.remove("jsonrpc"));
                (-32600, "jsonrpc")
            }
            2 => {
                message["method"] = json!(7);
                (-32600, "method")
            }
            3 => {
                message["id"] = json!(true);
                (-32600, "id")
            }
            4 => {
                message = json!([message]);
                (-32600, "batch")
            }
            _ => (-32700, "invalid json"),
        };
        let mut body = message.to_string().into_bytes();
        if mutation == 5 {
            body.truncate(body.len().saturating_sub(cut).max(1));
        }
        let error = Incoming::parse(&body).expect_err("refused");
        prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        prop_assert_eq!(error.code(), expected_code, "{}", String::from_utf8_lossy(&body));
        prop_assert!(error.message().contains(needle), "{:?} lacks {:?}", error.message(), needle);
    }
}

/// A 2026-07-28 `tools/call` of tool `name` and its mirrored headers, as a
/// client following the spec sends them.
fn modern_call(name: &str, client: &str, level: Option<&str>) -> (Value, HeaderMap) {
    let mut request_meta = Map::new();
    request_meta.insert(meta::PROTOCOL_VERSION.into(), json!("2026-07-28"));
    request_meta.insert(meta::CLIENT_CAPABILITIES.into(), json!({}));
    request_meta.insert(
        meta::CLIENT_INFO.into(),
        json!({"name": client, "version": "1"}),
    );
    if let Some(level) = level {
        request_meta.insert(meta::LOG_LEVEL.into(), json!(level));
    }
    let params = json!({"name": name, "arguments": {}, "_meta": request_meta});
    let mut headers = HeaderMap::new();
    headers.insert(VERSION_HEADER, HeaderValue::from_static("2026-07-28"));
    headers.insert(METHOD_HEADER, HeaderValue::from_static("tools/call"));
    let plain = name.bytes().all(|b| (0x21..0x7f).contains(&b)) && !name.starts_with("=?");
    let value = if plain {
        name.to_owned()
    } else {
        format!("=?base64?{}?=", STANDARD.encode(name))
    };
    headers.insert(NAME_HEADER, HeaderValue::from_str(&value).expect("ascii"));
    (params, headers)
}

const LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

proptest! {
    #[test]
    fn modern_requests_with_mirrored_headers_are_accepted(
        name in "\\PC{1,40}",
        client in "[ -~]{0,300}",
        level in prop::option::of(prop::sample::select(&LEVELS[..])),
    ) {
        let (params, headers) = modern_call(&name, &client, level);
        let id = NumberOrString::Number(1);
        let request = modern::validate(&headers, &id, "tools/call", Some(&params));
        let request = request.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let kept: String = client.chars().take(256).collect();
        prop_assert_eq!(request.client_name(), Some(kept.as_str()));
        prop_assert_eq!(request.log_level(), level);
    }

    #[test]
    fn broken_headers_or_meta_are_refused_naming_them(
        name in "[a-z_]{1,20}",
        mutation in 0..7usize,
    ) {
        let (mut params, mut headers) = modern_call(&name, "client", None);
        let (code, needle) = match mutation {
            0 => {
                headers.remove(VERSION_HEADER);
                (-32020, "MCP-Protocol-Version")
            }
            1 => {
                headers.insert(METHOD_HEADER, HeaderValue::from_static("tools/list"));
                (-32020, "Mcp-Method")
            }
            2 => {
                headers.insert(NAME_HEADER, HeaderValue::from_static("other-tool"));
                (-32020, "Mcp-Name")
            }
            3 => {
                params["_meta"].as_object_mut().map(|m| m.remove(meta::CLIENT_CAPABILITIES));
                (-32602, "clientCapabilities")
            }
            4 => {
                params["_meta"][meta::LOG_LEVEL] = json!("loud");
                (-32602, "logLevel")
            }
            5 => {
                params["_meta"][meta::PROTOCOL_VERSION] = json!("2099-01-01");
                headers.insert(VERSION_HEADER, HeaderValue::from_static("2099-01-01"));
                (-32022, "unsupported protocol version")
            }
            _ => {
                params.as_object_mut().map(|p| p.remove("_meta"));
                (-32602, "params._meta")
            }
        };
        let id = NumberOrString::String("r".into());
        let error = modern::validate(&headers, &id, "tools/call", Some(&params))
            .expect_err("refused");
        prop_assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        prop_assert_eq!(error.code(), code);
        prop_assert_eq!(error.id(), Some(&id));
        prop_assert!(error.message().contains(needle), "{:?} lacks {:?}", error.message(), needle);
    }
}

fn encode_form(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn basic_header(raw: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("Basic {}", STANDARD.encode(raw));
    headers.insert(
        axum::http::header::AUTHORIZATION,
        HeaderValue::from_str(&value).expect("ascii"),
    );
    headers
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

proptest! {
    #[test]
    fn arbitrary_form_bytes_decode_within_the_caps(
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        match params::parse(&body) {
            Ok(pairs) => {
                prop_assert!(pairs.len() <= MAX_PARAMS);
                for p in pairs {
                    prop_assert!(p.name.len() <= MAX_NAME_BYTES);
                    prop_assert!(p.value.len() <= MAX_VALUE_BYTES);
                }
            }
            Err(refusal) => prop_assert_eq!(refusal.status(), StatusCode::BAD_REQUEST),
        }
    }

    #[test]
    fn encoded_forms_decode_to_the_same_pairs(
        pairs in prop::collection::vec(("\\PC{1,20}", "\\PC{0,40}"), 0..12),
    ) {
        let decoded = params::parse(encode_form(&pairs).as_bytes()).expect("within the caps");
        let expected: Vec<Param> = pairs
            .into_iter()
            .map(|(name, value)| Param { name, value })
            .collect();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn forms_over_a_cap_are_refused_naming_it(which in 0..3usize, extra in 1..100usize) {
        let (pairs, expected) = match which {
            0 => (
                vec![("a".to_owned(), "1".to_owned()); MAX_PARAMS + extra],
                Refusal::TooManyParams { limit: MAX_PARAMS },
            ),
            1 => (
                vec![("n".repeat(MAX_NAME_BYTES + extra), "1".to_owned())],
                Refusal::NameTooLong { limit: MAX_NAME_BYTES },
            ),
            _ => (
                vec![("state".to_owned(), "v".repeat(MAX_VALUE_BYTES + extra))],
                Refusal::ValueTooLong { name: "state".to_owned(), limit: MAX_VALUE_BYTES },
            ),
        };
        let refusal = params::parse(encode_form(&pairs).as_bytes()).expect_err("over a cap");
        prop_assert_eq!(refusal.status(), StatusCode::BAD_REQUEST);
        prop_assert_eq!(refusal.error_code(), "invalid_request");
        prop_assert_eq!(refusal, expected);
    }

    #[test]
    fn registration_bodies_must_be_one_json_object(value in json_value()) {
        let text = value.to_string();
        match params::metadata_json(text.as_bytes()) {
            Ok(kept) => {
                prop_assert!(value.is_object());
                prop_assert_eq!(kept, text);
            }
            Err(refusal) => {
                prop_assert!(!value.is_object());
                prop_assert_eq!(refusal.error_code(), "invalid_client_metadata");
            }
        }
    }

    #[test]
    fn basic_credentials_round_trip(id in "\\PC{0,40}", secret in "\\PC{0,60}") {
        let headers = basic_header(&format!("{}:{}", form_encode(&id), form_encode(&secret)));
        let decoded = basic::credentials(&headers).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, Some(BasicCredentials { client_id: id, client_secret: secret }));
    }

    #[test]
    fn malformed_basic_credentials_are_refused_naming_why(
        raw in "[^:]{0,40}",
        garbage in "[!*@]{1,10}",
        mutation in 0..3usize,
    ) {
        let (headers, why) = match mutation {
            0 => (basic_header(&raw), "no colon"),
            1 => {
                let mut headers = HeaderMap::new();
                let value = HeaderValue::from_str(&format!("Basic {garbage}")).expect("ascii");
                headers.insert(axum::http::header::AUTHORIZATION, value);
                (headers, "not base64")
            }
            _ => {
                let mut headers = HeaderMap::new();
                let value = format!("Basic {}", STANDARD.encode([0xff, b':', b'x']));
                let value = HeaderValue::from_str(&value).expect("ascii");
                headers.insert(axum::http::header::AUTHORIZATION, value);
                (headers, "not UTF-8")
            }
        };
        let refusal = basic::credentials(&headers).expect_err("malformed");
        prop_assert_eq!(refusal.status(), StatusCode::UNAUTHORIZED);
        prop_assert_eq!(refusal.error_code(), "invalid_client");
        prop_assert!(refusal.to_string().contains(why), "{} lacks {}", refusal, why);
    }
}
