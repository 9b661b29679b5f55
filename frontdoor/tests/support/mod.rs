//! Fakes of the auth and tools services that behave like the real ones at
//! their gRPC trait (known tokens, UNAUTHENTICATED without one, errors as
//! status codes with the same details), a fake OAuth authorization server
//! that records what it received and answers what the test set, plus
//! helpers to drive the router.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use portico_frontdoor::store::idempotency::memory::MemoryIdempotencyStore;
use portico_frontdoor::store::memory::MemoryStore;
use portico_frontdoor::{Deps, Settings, router};
use portico_proto::auth::v1 as oauth;
use portico_proto::auth::{self, Introspection, OAuthEndpoints, TokenIntrospector};
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::tools::v1 as tools;
use portico_proto::tools::{ToolCalls, ToolEvents};
use portico_proto::vocab::{CredentialMode, Scope, scope_values};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PUBLIC_URL: &str = "https://portico.example.com";
/// Read and write scopes, subject "token:alice".
pub const ALICE: &str = "portico_pat_alice";
/// Read scope only, subject "token:bob".
pub const BOB: &str = "portico_pat_bob";
/// OAuth access tokens of two users of one OAuth client, `app-1`
/// (subjects "podio:dora" and "podio:erik"), and of a user of `app-2`.
pub const DORA_APP_1: &str = "portico_at_dora";
pub const ERIK_APP_1: &str = "portico_at_erik";
pub const FINN_APP_2: &str = "portico_at_finn";
/// Both scopes, signed in through the server's shared Podio key (the
/// default credential mode), subject "podio:carla".
pub const CARLA_DEFAULT_MODE: &str = "portico_at_carla";

/// The auth service: a map of known tokens; counts introspections.
#[derive(Default)]
pub struct FakeAuth {
    pub tokens: HashMap<String, auth::Principal>,
    pub introspections: AtomicUsize,
    pub down: AtomicBool,
}

impl FakeAuth {
    pub fn new() -> Self {
        let principal = |subject: &str, scopes: &[Scope]| auth::Principal {
            subject: subject.to_owned(),
            token_id: subject.trim_start_matches("token:").to_owned(),
            kind: "api_token".to_owned(),
            scopes: scope_values(scopes),
            display_name: subject.to_owned(),
            credential_mode: CredentialMode::Service as i32,
            ..auth::Principal::default()
        };
        let client_user = |subject: &str, client_id: &str| auth::Principal {
            kind: "oauth".to_owned(),
            client_id: client_id.to_owned(),
            ..principal(subject, &[Scope::PodioRead])
        };
        FakeAuth {
            tokens: HashMap::from([
                (
                    ALICE.to_owned(),
                    principal("token:alice", &[Scope::PodioRead, Scope::PodioWrite]),
                ),
                (BOB.to_owned(), principal("token:bob", &[Scope::PodioRead])),
                (DORA_APP_1.to_owned(), client_user("podio:dora", "app-1")),
                (ERIK_APP_1.to_owned(), client_user("podio:erik", "app-1")),
                (FINN_APP_2.to_owned(), client_user("podio:finn", "app-2")),
                (
                    CARLA_DEFAULT_MODE.to_owned(),
                    auth::Principal {
                        credential_mode: CredentialMode::Default as i32,
                        kind: "oauth".to_owned(),
                        ..principal("podio:carla", &[Scope::PodioRead, Scope::PodioWrite])
                    },
                ),
            ]),
            ..FakeAuth::default()
        }
    }

    pub fn principal(&self, token: &str) -> Option<&auth::Principal> {
        self.tokens.get(token)
    }
}

#[async_trait::async_trait]
impl TokenIntrospector for FakeAuth {
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ServiceError::new(
                ErrorCode::Unavailable,
                "connection refused",
            ));
        }
        self.introspections.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .tokens
            .get(token)
            .cloned()
            .map(|principal| Introspection {
                principal,
                expires_at: None,
            }))
    }
}

/// What the fake authorization server was asked, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum OAuthCall {
    Register(oauth::RegisterClientRequest),
    Authorize(oauth::AuthorizeRequest),
    Callback(oauth::CallbackRequest),
    Token(oauth::TokenRequest),
    Revoke(oauth::RevokeRequest),
}

/// The OAuth endpoints: each answers what its field holds (set by the test;
/// successes by default) and every call is recorded.
pub struct FakeOAuth {
    pub calls: Mutex<Vec<OAuthCall>>,
    pub register: Mutex<Result<oauth::RegisterClientResponse, ServiceError>>,
    pub navigation: Mutex<Result<oauth::NavigationResponse, ServiceError>>,
    pub token: Mutex<Result<oauth::TokenResponse, ServiceError>>,
    pub revoke: Mutex<Result<oauth::RevokeResponse, ServiceError>>,
    pub server_info: Mutex<Result<oauth::ServerInfo, ServiceError>>,
}

/// The fake's default token answer.
pub const TOKEN_JSON: &str =
    r#"{"access_token":"portico_at_x","token_type":"Bearer","expires_in":3600}"#;
/// The fake's default registration answer.
pub const CLIENT_JSON: &str =
    r#"{"client_id":"mcp-client-1","redirect_uris":["http://localhost:3000/callback"]}"#;

impl Default for FakeOAuth {
    fn default() -> Self {
        FakeOAuth {
            calls: Mutex::new(Vec::new()),
            register: Mutex::new(Ok(oauth::RegisterClientResponse {
                error: None,
                client_information_json: CLIENT_JSON.to_owned(),
            })),
            navigation: Mutex::new(Ok(oauth::NavigationResponse {
                next: Some(oauth::navigation_response::Next::RedirectTo(
                    "https://podio.example.com/oauth/authorize?client_id=x&state=s".to_owned(),
                )),
                http_status: 0,
            })),
            token: Mutex::new(Ok(oauth::TokenResponse {
                error: None,
                http_status: 0,
                token_json: TOKEN_JSON.to_owned(),
            })),
            revoke: Mutex::new(Ok(oauth::RevokeResponse {
                error: None,
                http_status: 0,
            })),
            server_info: Mutex::new(Ok(oauth::ServerInfo {
                oauth: true,
                credential_modes: vec![
                    oauth::CredentialMode::Default as i32,
                    oauth::CredentialMode::Direct as i32,
                    oauth::CredentialMode::Registered as i32,
                ],
                admin: false,
            })),
        }
    }
}

impl FakeOAuth {
    fn record(&self, call: OAuthCall) {
        self.calls.lock().expect("lock").push(call);
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<OAuthCall> {
        self.calls.lock().expect("lock").clone()
    }

    /// The one call so far (panics unless exactly one was made).
    pub fn only_call(&self) -> OAuthCall {
        let calls = self.calls();
        assert_eq!(calls.len(), 1, "{calls:?}");
        calls.into_iter().next().expect("one call")
    }
}

#[async_trait::async_trait]
impl OAuthEndpoints for FakeOAuth {
    async fn register_client(
        &self,
        request: oauth::RegisterClientRequest,
    ) -> Result<oauth::RegisterClientResponse, ServiceError> {
        self.record(OAuthCall::Register(request));
        self.register.lock().expect("lock").clone()
    }

    async fn authorize(
        &self,
        request: oauth::AuthorizeRequest,
    ) -> Result<oauth::NavigationResponse, ServiceError> {
        self.record(OAuthCall::Authorize(request));
        self.navigation.lock().expect("lock").clone()
    }

    async fn callback(
        &self,
        request: oauth::CallbackRequest,
    ) -> Result<oauth::NavigationResponse, ServiceError> {
        self.record(OAuthCall::Callback(request));
        self.navigation.lock().expect("lock").clone()
    }

    async fn token(
        &self,
        request: oauth::TokenRequest,
    ) -> Result<oauth::TokenResponse, ServiceError> {
        self.record(OAuthCall::Token(request));
        self.token.lock().expect("lock").clone()
    }

    async fn revoke(
        &self,
        request: oauth::RevokeRequest,
    ) -> Result<oauth::RevokeResponse, ServiceError> {
        self.record(OAuthCall::Revoke(request));
        self.revoke.lock().expect("lock").clone()
    }

    async fn server_info(&self) -> Result<oauth::ServerInfo, ServiceError> {
        self.server_info.lock().expect("lock").clone()
    }
}

/// The tools service: a fixed catalog; behaviour chosen by tool name.
pub struct FakeTools {
    pub auth: Arc<FakeAuth>,
    /// The `authorization` metadata of the last call.
    pub last_authorization: Mutex<Option<String>>,
    pub down: AtomicBool,
    /// How many times `create_item` ran (got past its scope check).
    pub creates: AtomicUsize,
    /// How many times the catalog was listed.
    pub lists: AtomicUsize,
}

impl FakeTools {
    fn caller(&self, token: &str) -> Result<auth::Principal, ServiceError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ServiceError::new(
                ErrorCode::Unavailable,
                "connection refused",
            ));
        }
        *self.last_authorization.lock().expect("lock") = Some(format!("Bearer {token}"));
        self.auth.principal(token).cloned().ok_or_else(|| {
            ServiceError::new(ErrorCode::Unauthenticated, "missing or unknown token")
        })
    }
}

pub fn catalog() -> Vec<tools::Tool> {
    vec![
        tools::Tool {
            name: "get_item".into(),
            title: "Get item".into(),
            description: "Reads one Podio item by id.".into(),
            input_schema_json: r#"{"type":"object","properties":{"item_id":{"type":"integer"}},"required":["item_id"]}"#.into(),
            output_schema_json: r#"{"type":"object","properties":{"item_id":{"type":"integer"}}}"#.into(),
            annotations: Some(tools::ToolAnnotations {
                read_only_hint: true,
                destructive_hint: false,
                idempotent_hint: true,
                open_world_hint: true,
            }),
            required_scope: "podio:read".into(),
        },
        tools::Tool {
            name: "create_item".into(),
            title: "Create item".into(),
            description: "Creates a Podio item.".into(),
            input_schema_json: r#"{"type":"object"}"#.into(),
            output_schema_json: String::new(),
            annotations: Some(tools::ToolAnnotations {
                read_only_hint: false,
                destructive_hint: false,
                idempotent_hint: false,
                open_world_hint: true,
            }),
            required_scope: "podio:write".into(),
        },
    ]
}

fn text_result(is_error: bool, text: &str, structured: String) -> tools::ToolResult {
    tools::ToolResult {
        is_error,
        content: vec![tools::ContentBlock::text(text)],
        structured_content_json: structured,
        input_required: None,
    }
}

#[async_trait::async_trait]
impl ToolCalls for FakeTools {
    async fn list_tools(&self, token: &str) -> Result<Vec<tools::Tool>, ServiceError> {
        self.caller(token)?;
        self.lists.fetch_add(1, Ordering::SeqCst);
        Ok(catalog())
    }

    async fn call_tool(
        &self,
        token: &str,
        call: tools::ToolCall,
    ) -> Result<tools::ToolResult, ServiceError> {
        let principal = self.caller(token)?;
        match call.name.as_str() {
            "get_item" => {
                let args: Value = serde_json::from_str(&call.arguments_json).map_err(|_| {
                    ServiceError::new(
                        ErrorCode::InvalidArgument,
                        "arguments: expected a JSON object",
                    )
                })?;
                let Some(item_id) = args.get("item_id").and_then(Value::as_i64) else {
                    return Err(ServiceError::new(
                        ErrorCode::InvalidArgument,
                        "item_id: expected an integer, e.g. {\"item_id\": 123}",
                    ));
                };
                if item_id == 404 {
                    return Ok(text_result(true, "item 404 does not exist", String::new()));
                }
                Ok(text_result(
                    false,
                    &format!("Item {item_id}: Hello"),
                    json!({"item_id": item_id, "title": "Hello"}).to_string(),
                ))
            }
            "create_item" => {
                if !principal.scopes().any(|s| s == Scope::PodioWrite) {
                    return Err(ServiceError::missing_scope(
                        "podio:write",
                        "create_item requires the scope podio:write",
                    ));
                }
                // `{"delay_ms": n}` takes that long; `{"fail": true}` answers
                // an error result; `{"big": n}` answers n bytes of text.
                let args: Value = serde_json::from_str(&call.arguments_json).unwrap_or_default();
                if let Some(ms) = args.get("delay_ms").and_then(Value::as_u64) {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                let n = self.creates.fetch_add(1, Ordering::SeqCst) + 1;
                if args.get("fail").and_then(Value::as_bool) == Some(true) {
                    return Ok(text_result(true, "podio refused the item", String::new()));
                }
                if let Some(big) = args.get("big").and_then(Value::as_u64) {
                    let text = "x".repeat(usize::try_from(big).unwrap_or(0));
                    return Ok(text_result(false, &text, String::new()));
                }
                Ok(text_result(
                    false,
                    "created",
                    json!({"item_id": n, "idempotency_key": call.idempotency_key}).to_string(),
                ))
            }
            "picture" => Ok(tools::ToolResult {
                is_error: false,
                content: vec![
                    tools::ContentBlock {
                        kind: Some(tools::content_block::Kind::Image(tools::ImageContent {
                            data: b"png".to_vec(),
                            mime_type: "image/png".to_owned(),
                        })),
                    },
                    tools::ContentBlock {
                        kind: Some(tools::content_block::Kind::Resource(
                            tools::EmbeddedResource {
                                uri: "test://r".to_owned(),
                                mime_type: "text/plain".to_owned(),
                                contents: Some(tools::embedded_resource::Contents::Text(
                                    "hello".to_owned(),
                                )),
                            },
                        )),
                    },
                ],
                structured_content_json: String::new(),
                input_required: None,
            }),
            "flaky_upstream" => Err(ServiceError::new(
                ErrorCode::Unavailable,
                "connector: connection refused",
            )),
            "slow" => {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                Ok(text_result(false, "done slowly", String::new()))
            }
            // Asks the user's name (elicitation) until it has an accepted
            // answer; says which state it got back.
            "ask_name" => {
                let answer: Option<Value> = call
                    .input_responses_json
                    .get("name")
                    .and_then(|raw| serde_json::from_str(raw).ok());
                match answer.filter(|a| a["action"] == "accept") {
                    Some(answer) => Ok(text_result(
                        false,
                        &format!(
                            "Hello, {}! (state {:?})",
                            answer["content"]["name"].as_str().unwrap_or("?"),
                            call.request_state
                        ),
                        String::new(),
                    )),
                    None => Ok(tools::ToolResult {
                        input_required: Some(tools::InputRequired {
                            requests: vec![tools::InputRequest {
                                key: "name".to_owned(),
                                method: "elicitation/create".to_owned(),
                                params_json: json!({
                                    "message": "Your name?",
                                    "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
                                })
                                .to_string(),
                            }],
                            request_state: "fake-state".to_owned(),
                        }),
                        ..tools::ToolResult::default()
                    }),
                }
            }
            "panic" => panic!("a bug in a handler"),
            "buggy" => Err(ServiceError::new(
                ErrorCode::Internal,
                "secret: null pointer in row 7",
            )),
            "busy" => Err(ServiceError::new(
                ErrorCode::RateLimited,
                "podio rate limit reached; retry in 60 seconds",
            )),
            other => Err(ServiceError::new(
                ErrorCode::NotFound,
                format!("no tool named {other}"),
            )),
        }
    }

    /// `counting` reports progress 1..=3 of 3 and an info log before its
    /// result, as much of it as the call asked for; every other tool only
    /// its result.
    async fn call_tool_stream(
        &self,
        token: &str,
        call: tools::ToolCall,
    ) -> Result<ToolEvents, ServiceError> {
        use tools::tool_call_event::Event;
        let event = |e: Event| Ok(tools::ToolCallEvent { event: Some(e) });
        let mut events = Vec::new();
        if call.name == "counting" {
            self.caller(token)?;
            let info = tools::LogLevel::Info;
            if info.passes(tools::LogLevel::try_from(call.min_log_level).unwrap_or_default()) {
                events.push(event(Event::Log(tools::LogEvent {
                    level: info as i32,
                    logger: "counting".to_owned(),
                    data_json: "\"counting to 3\"".to_owned(),
                })));
            }
            if call.progress {
                for step in 1..=3 {
                    events.push(event(Event::Progress(tools::ProgressEvent {
                        progress: f64::from(step),
                        total: Some(3.0),
                        message: format!("step {step}"),
                    })));
                }
            }
            events.push(event(Event::Result(text_result(
                false,
                "counted",
                String::new(),
            ))));
        } else {
            match self.call_tool(token, call).await {
                Ok(result) => events.push(event(Event::Result(result))),
                Err(err) if events.is_empty() => return Err(err),
                Err(err) => events.push(Err(err)),
            }
        }
        Ok(ToolEvents::new(futures::stream::iter(events)))
    }
}

/// A router over fakes and a memory store, plus handles to inspect them.
pub struct TestApp {
    pub router: Router,
    pub auth: Arc<FakeAuth>,
    pub tools: Arc<FakeTools>,
    pub oauth: Arc<FakeOAuth>,
    pub store: MemoryStore,
    pub idempotency: MemoryIdempotencyStore,
}

pub fn settings() -> Settings {
    Settings::for_dev(PUBLIC_URL).expect("valid public url")
}

pub fn app() -> TestApp {
    app_with(settings(), MemoryStore::new())
}

pub fn app_with(settings: Settings, store: MemoryStore) -> TestApp {
    let auth = Arc::new(FakeAuth::new());
    let tools = Arc::new(FakeTools {
        auth: auth.clone(),
        last_authorization: Mutex::new(None),
        down: AtomicBool::new(false),
        creates: AtomicUsize::new(0),
        lists: AtomicUsize::new(0),
    });
    let oauth = Arc::new(FakeOAuth::default());
    let idempotency = MemoryIdempotencyStore::new();
    let deps = Deps {
        auth: auth.clone(),
        oauth: oauth.clone(),
        tools: tools.clone(),
        sessions: Arc::new(store.clone()),
        handoffs: Arc::new(store.clone()),
        limiter: Arc::new(store.clone()),
        idempotency: Arc::new(idempotency.clone()),
    };
    TestApp {
        router: router(settings, deps),
        auth,
        tools,
        oauth,
        store,
        idempotency,
    }
}

/// What came back.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not json ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A POST to /mcp as a well-behaved client sends it.
pub fn mcp_post(token: Option<&str>, session: Option<&str>, body: &Value) -> Request<Body> {
    let mut builder = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(session) = session {
        builder = builder
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25");
    }
    builder.body(Body::from(body.to_string())).expect("request")
}

pub fn initialize_body(version: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test-client", "version": "1.0"}
        }
    })
}

pub fn request(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// Opens a session for `token` and returns its id.
pub async fn open_session(router: &Router, token: &str) -> String {
    let reply = send(
        router,
        mcp_post(Some(token), None, &initialize_body("2025-11-25")),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply
        .header("mcp-session-id")
        .expect("initialize returns Mcp-Session-Id")
        .to_owned()
}
