//! Test doubles for the services the tools service depends on — an auth
//! service with a fixed token table and a connector answering from Podio
//! fixtures — plus helpers to call the service and check results.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use portico_proto::auth::{Introspection, Principal, TokenIntrospector};
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{PodioRequest, PodioResponse};
use portico_proto::error::ServiceError;
use portico_proto::tools::v1::tools_server::Tools;
use portico_proto::tools::v1::{
    CallToolRequest, CallToolResponse, ListToolsRequest, Tool, content,
};
use portico_proto::vocab::{CredentialMode, Scope, scope_values};
use portico_tools::ToolsService;
use serde_json::Value;
use tonic::{Request, Response, Status};

/// A token with both scopes.
pub const TOKEN: &str = "portico_pat_full";
/// A token without podio:read.
pub const WRITE_ONLY: &str = "portico_pat_write";
/// A revoked token.
pub const REVOKED: &str = "portico_pat_revoked";
/// A token (both scopes) limited to the Sales workspace of the fixtures.
pub const SCOPED: &str = "portico_pat_sales_only";
/// A token (both scopes) limited to the workspaces of the Acme organization.
pub const ORG_SCOPED: &str = "portico_pat_acme_only";

/// The fixtures' Sales workspace (in organization [`ACME`]).
pub const SALES: i64 = 2501464;
/// The fixtures' Support workspace (in organization [`ACME`]).
pub const SUPPORT: i64 = 2501470;
/// The fixtures' organization.
pub const ACME: i64 = 720690;
/// A workspace outside every scoped token, in organization [`OTHER_ORG`].
pub const ELSEWHERE: i64 = 3000001;
/// An organization outside every scoped token.
pub const OTHER_ORG: i64 = 800000;

/// An auth service knowing three tokens, counting introspections.
#[derive(Default)]
pub struct FakeAuth {
    pub introspections: AtomicUsize,
}

#[async_trait::async_trait]
impl TokenIntrospector for FakeAuth {
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError> {
        self.introspections.fetch_add(1, Ordering::SeqCst);
        let (scopes, space_ids, org_ids): (&[Scope], Vec<i64>, Vec<i64>) = match token {
            TOKEN => (&[Scope::PodioRead, Scope::PodioWrite], vec![], vec![]),
            WRITE_ONLY => (&[Scope::PodioWrite], vec![], vec![]),
            SCOPED => (&[Scope::PodioRead, Scope::PodioWrite], vec![SALES], vec![]),
            ORG_SCOPED => (&[Scope::PodioRead, Scope::PodioWrite], vec![], vec![ACME]),
            _ => return Ok(None),
        };
        Ok(Some(Introspection {
            principal: Principal {
                subject: "token:abc".to_owned(),
                token_id: "abc".to_owned(),
                kind: "api_token".to_owned(),
                scopes: scope_values(scopes),
                display_name: "test".to_owned(),
                credential_mode: CredentialMode::Service as i32,
                upstream_ref: String::new(),
                space_ids,
                org_ids,
                ..Principal::default()
            },
            expires_at: None,
        }))
    }
}

/// What the fake connector answers for one path.
#[derive(Clone)]
pub enum Reply {
    Json(String),
    Fail(Status),
}

/// A connector answering by "METHOD path", recording every request.
#[derive(Default)]
pub struct FakeConnector {
    pub replies: Mutex<HashMap<String, Reply>>,
    pub requests: Mutex<Vec<PodioRequest>>,
    /// One-shot replies per route, used (oldest first) before `replies`.
    pub queued: Mutex<HashMap<String, std::collections::VecDeque<Reply>>>,
}

impl FakeConnector {
    pub fn reply(&self, route: &str, reply: Reply) {
        self.replies
            .lock()
            .expect("lock")
            .insert(route.to_owned(), reply);
    }

    pub fn requests(&self) -> Vec<PodioRequest> {
        self.requests.lock().expect("lock").clone()
    }

    /// Answers the next call of `route` (matched like `reply`) with `reply`,
    /// once; later calls get the next queued reply or the usual one.
    pub fn reply_once(&self, route: &str, reply: Reply) {
        self.queued
            .lock()
            .expect("lock")
            .entry(route.to_owned())
            .or_default()
            .push_back(reply);
    }
}

#[tonic::async_trait]
impl Connector for FakeConnector {
    async fn call(
        &self,
        request: Request<PodioRequest>,
    ) -> Result<Response<PodioResponse>, Status> {
        let request = request.into_inner();
        let route = format!("{} {}", request.method, request.path);
        // A reply registered for "METHOD path?a=1&b=2" (the exact query, in
        // order) wins over one for the path alone.
        let query: Vec<String> = request
            .query
            .iter()
            .map(|q| format!("{}={}", q.name, q.value))
            .collect();
        let with_query = format!("{route}?{}", query.join("&"));
        self.requests.lock().expect("lock").push(request);
        let once = {
            let mut queued = self.queued.lock().expect("lock");
            [&with_query, &route]
                .into_iter()
                .find_map(|key| queued.get_mut(key.as_str()).and_then(|q| q.pop_front()))
        };
        let replies = self.replies.lock().expect("lock");
        let reply = once.or_else(|| {
            replies
                .get(&with_query)
                .or_else(|| replies.get(&route))
                .cloned()
        });
        drop(replies);
        match reply {
            Some(Reply::Json(body)) => Ok(Response::new(PodioResponse {
                status: 200,
                body_json: body,
                rate_limit_limit: 1000,
                rate_limit_remaining: 999,
            })),
            Some(Reply::Fail(status)) => Err(status),
            None => Err(Status::not_found(format!("no fixture for {route}"))),
        }
    }
}

/// A fixture file's text.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A service over fresh fakes, with the usual Podio fixtures loaded.
pub struct Harness {
    pub service: ToolsService,
    pub auth: Arc<FakeAuth>,
    pub connector: Arc<FakeConnector>,
}

impl Harness {
    pub fn new() -> Harness {
        let auth = Arc::new(FakeAuth::default());
        let connector = Arc::new(FakeConnector::default());
        for (route, file) in [
            ("GET /item/987654321", "item.json"),
            ("GET /app/5551234", "app.json"),
            ("POST /item/app/5551234/filter/", "filter.json"),
            ("GET /org/", "orgs.json"),
            ("GET /org/720690/space/", "spaces.json"),
            ("GET /app/space/2501464/", "apps_in_space.json"),
        ] {
            connector.reply(route, Reply::Json(fixture(file)));
        }
        let service = ToolsService::new(auth.clone(), connector.clone());
        Harness {
            service,
            auth,
            connector,
        }
    }

    pub async fn list(&self, token: Option<&str>) -> Result<Vec<Tool>, Status> {
        let response = self
            .service
            .list_tools(with_token(ListToolsRequest {}, token))
            .await?;
        Ok(response.into_inner().tools)
    }

    pub async fn call_as(
        &self,
        token: Option<&str>,
        name: &str,
        arguments: &str,
    ) -> Result<CallToolResponse, Status> {
        let request = CallToolRequest {
            name: name.to_owned(),
            arguments_json: arguments.to_owned(),
        };
        Ok(self
            .service
            .call_tool(with_token(request, token))
            .await?
            .into_inner())
    }

    pub async fn call(&self, name: &str, arguments: &str) -> Result<CallToolResponse, Status> {
        self.call_as(Some(TOKEN), name, arguments).await
    }

    /// A successful call's text and structured content, the latter checked
    /// against the tool's output schema.
    pub async fn ok(&self, name: &str, arguments: &str) -> (String, Value) {
        self.ok_as(TOKEN, name, arguments).await
    }

    /// Like [`Harness::ok`], called with `token`.
    pub async fn ok_as(&self, token: &str, name: &str, arguments: &str) -> (String, Value) {
        let response = self
            .call_as(Some(token), name, arguments)
            .await
            .unwrap_or_else(|s| panic!("{name} failed: {s:?}"));
        assert!(!response.is_error, "{name}: {}", text(&response));
        let structured: Value =
            serde_json::from_str(&response.structured_content_json).expect("structured json");
        let tools = self.list(Some(TOKEN)).await.expect("list");
        let tool = tools.iter().find(|t| t.name == name).expect("tool listed");
        let schema: Value = serde_json::from_str(&tool.output_schema_json).expect("schema json");
        let problems = validate(&schema, &structured, "$");
        assert!(
            problems.is_empty(),
            "{name} output does not match its schema: {problems:#?}"
        );
        (text(&response), structured)
    }
}

pub fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ascii token"),
        );
    }
    request
}

/// The concatenated text content of a response.
pub fn text(response: &CallToolResponse) -> String {
    response
        .content
        .iter()
        .filter_map(|c| c.kind.as_ref().map(|content::Kind::Text(t)| t.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks `value` against the subset of JSON Schema the tools use (type,
/// properties, required, items, additionalProperties); returns the problems.
pub fn validate(schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(ty) = schema.get("type") {
        let types: Vec<&str> = match ty {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| type_matches(t, value)) {
            problems.push(format!("{at}: expected {types:?}, got {value}"));
            return problems;
        }
    }
    if let Value::Object(map) = value {
        let props = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(name) {
                problems.push(format!("{at}: missing required {name}"));
            }
        }
        for (key, v) in map {
            let sub = props.and_then(|p| p.get(key));
            match (sub, schema.get("additionalProperties")) {
                (Some(s), _) => problems.extend(validate(s, v, &format!("{at}.{key}"))),
                (None, Some(Value::Bool(false))) => {
                    problems.push(format!("{at}: unexpected property {key}"))
                }
                (None, Some(extra @ Value::Object(_))) => {
                    problems.extend(validate(extra, v, &format!("{at}.{key}")))
                }
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            problems.extend(validate(item_schema, v, &format!("{at}[{i}]")));
        }
    }
    problems
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

/// The INVALID_ARGUMENT status of a call: its message and its field
/// violations as (field, description).
pub async fn invalid(h: &Harness, tool: &str, args: &str) -> (String, Vec<(String, String)>) {
    use tonic_types::StatusExt;
    let status = h.call(tool, args).await.expect_err("invalid arguments");
    assert_eq!(
        status.code(),
        tonic::Code::InvalidArgument,
        "{tool} {args}: {status:?}"
    );
    let violations = status
        .get_details_bad_request()
        .expect("bad request detail")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.description))
        .collect();
    (status.message().to_owned(), violations)
}

/// A request's query as (name, value) pairs, in order.
pub fn query_of(request: &PodioRequest) -> Vec<(String, String)> {
    request
        .query
        .iter()
        .map(|q| (q.name.clone(), q.value.clone()))
        .collect()
}

/// `pairs` as owned (name, value) pairs, to compare with [`query_of`].
pub fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// The failed call's is_error text.
pub async fn failure(h: &Harness, tool: &str, args: &str) -> String {
    failure_as(h, TOKEN, tool, args).await
}

/// Like [`failure`], called with `token`.
pub async fn failure_as(h: &Harness, token: &str, tool: &str, args: &str) -> String {
    let response = h
        .call_as(Some(token), tool, args)
        .await
        .unwrap_or_else(|s| panic!("{tool}: {s:?}"));
    assert!(response.is_error, "{tool} should fail: {}", text(&response));
    text(&response)
}

/// The status the connector answers when Podio refuses a request: Podio's
/// `error_description` as the message and an ErrorInfo detail carrying
/// Podio's `error` code and HTTP status.
pub fn podio_refusal(
    code: tonic::Code,
    http_status: u16,
    error: &str,
    description: &str,
) -> Status {
    use tonic_types::StatusExt;
    Status::with_error_details(
        code,
        description,
        tonic_types::ErrorDetails::with_error_info(
            error,
            "podio.com",
            HashMap::from([("http_status".to_owned(), http_status.to_string())]),
        ),
    )
}

impl Harness {
    /// "METHOD path" of every request sent to Podio so far, in order.
    pub fn routes(&self) -> Vec<String> {
        self.connector
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}
