//! The tools service over doubles: an auth service that knows one token
//! (both scopes, no workspace limit) and a connector that answers every
//! Podio request from a closure the target sets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use portico_proto::auth::{Introspection, Principal, TokenIntrospector};
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{PodioRequest, PodioResponse};
use portico_proto::error::ServiceError;
use portico_proto::tools::ToolCalls;
use portico_proto::tools::v1::{Tool, ToolCall, ToolResult};
use portico_proto::vocab::{ALL_SCOPES, CredentialMode, scope_values};
use portico_tools::ToolsService;
use serde_json::Value;
use tonic::{Request, Response, Status};

/// The one token the auth double knows.
pub const TOKEN: &str = "portico_pat_fuzz";

/// Podio's app with a field of every writable type (and a calculation),
/// the tools service's own test fixture.
pub const APP_ALL: &str = include_str!("../../services/tools/tests/fixtures/app_all.json");

struct OneToken;

#[async_trait::async_trait]
impl TokenIntrospector for OneToken {
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError> {
        Ok((token == TOKEN).then(|| Introspection {
            principal: Principal {
                subject: "user:1".to_owned(),
                token_id: "fuzz".to_owned(),
                kind: "api_token".to_owned(),
                scopes: scope_values(&ALL_SCOPES),
                display_name: "fuzz".to_owned(),
                credential_mode: CredentialMode::Service as i32,
                ..Principal::default()
            },
            expires_at: None,
        }))
    }
}

/// How the connector answers one request: Podio's JSON body, or the
/// connector's error status.
pub type Answer = dyn Fn(&PodioRequest) -> Result<String, Status> + Send + Sync;

#[derive(Clone)]
struct Scripted(Arc<Mutex<Arc<Answer>>>);

#[tonic::async_trait]
impl Connector for Scripted {
    async fn call(
        &self,
        request: Request<PodioRequest>,
    ) -> Result<Response<PodioResponse>, Status> {
        let answer = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let body_json = answer(request.get_ref())?;
        Ok(Response::new(PodioResponse {
            status: 200,
            body_json,
            rate_limit_limit: 1000,
            rate_limit_remaining: 999,
        }))
    }
}

/// Podio's 404 as the connector reports it.
pub fn not_found(request: &PodioRequest) -> Status {
    Status::not_found(format!("no such object: {}", request.path))
}

/// The tools service, its catalog and a runtime to call it on.
pub struct Tools {
    runtime: tokio::runtime::Runtime,
    service: ToolsService,
    connector: Scripted,
    catalog: HashMap<String, Tool>,
}

impl Tools {
    /// The service, with a connector answering 404 until told otherwise.
    pub fn new() -> Tools {
        let runtime = crate::runtime();
        let connector = Scripted(Arc::new(Mutex::new(Arc::new(|r: &PodioRequest| {
            Err(not_found(r))
        }))));
        let service = ToolsService::new(Arc::new(OneToken), Arc::new(connector.clone()));
        let catalog = runtime
            .block_on(service.list_tools(TOKEN))
            .expect("the catalog")
            .into_iter()
            .map(|tool| (tool.name.clone(), tool))
            .collect();
        Tools {
            runtime,
            service,
            connector,
            catalog,
        }
    }

    /// Answers every later Podio request with `answer`.
    pub fn answer(
        &self,
        answer: impl Fn(&PodioRequest) -> Result<String, Status> + Send + Sync + 'static,
    ) {
        *self
            .connector
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(answer);
    }

    /// Calls tool `name` with `arguments_json` as the known token.
    pub fn call(&self, name: &str, arguments_json: &str) -> Result<ToolResult, ServiceError> {
        self.runtime.block_on(self.service.call_tool(
            TOKEN,
            ToolCall {
                name: name.to_owned(),
                arguments_json: arguments_json.to_owned(),
                ..ToolCall::default()
            },
        ))
    }

    /// The catalog entry of tool `name`.
    pub fn tool(&self, name: &str) -> &Tool {
        self.catalog
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in the catalog"))
    }
}

impl Default for Tools {
    fn default() -> Self {
        Tools::new()
    }
}

/// The JSON a schema field of `tool` holds.
pub fn schema(json: &str) -> Value {
    serde_json::from_str(json).expect("schemas are JSON")
}
