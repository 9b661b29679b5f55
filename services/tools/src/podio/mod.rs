//! Calls to Podio, made through the connector service on behalf of the
//! authenticated caller. Tools describe the object they ask for, so that
//! Podio's failures come back as messages a language model can act on.

pub mod errors;

use std::sync::Arc;

use portico_proto::auth::Principal;
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, QueryParam};
use serde_json::Value;

use crate::error::ToolError;
use crate::scope::WorkspaceScope;
pub use errors::Target;

/// A Podio client bound to one caller.
#[derive(Clone)]
pub struct Podio {
    connector: Arc<dyn Connector>,
    caller: Caller,
    scope: WorkspaceScope,
}

impl Podio {
    /// A client acting for `principal`.
    pub fn new(connector: Arc<dyn Connector>, principal: &Principal) -> Self {
        Podio {
            connector,
            caller: Caller {
                subject: principal.subject.clone(),
                credential_mode: principal.credential_mode,
                upstream_ref: principal.upstream_ref.clone(),
            },
            scope: WorkspaceScope::of(principal),
        }
    }

    /// The workspaces the caller's token is limited to.
    pub fn scope(&self) -> &WorkspaceScope {
        &self.scope
    }

    /// `GET path?query`, returning Podio's JSON.
    pub async fn get(
        &self,
        path: String,
        query: &[(&str, String)],
        target: &Target,
    ) -> Result<Value, ToolError> {
        self.call("GET", path, query, String::new(), target).await
    }

    /// `POST path` with a JSON body, returning Podio's JSON.
    pub async fn post(
        &self,
        path: String,
        body: &Value,
        target: &Target,
    ) -> Result<Value, ToolError> {
        self.call("POST", path, &[], body.to_string(), target).await
    }

    /// `PUT path` with a JSON body, returning Podio's JSON (null when Podio
    /// answers 204 with no body).
    pub async fn put(
        &self,
        path: String,
        body: &Value,
        target: &Target,
    ) -> Result<Value, ToolError> {
        self.call("PUT", path, &[], body.to_string(), target).await
    }

    /// `POST path?query` with a JSON body (empty for none), for writes that
    /// take query flags such as `silent` or `hook`.
    pub async fn post_with_query(
        &self,
        path: String,
        query: &[(&str, String)],
        body: Option<&Value>,
        target: &Target,
    ) -> Result<Value, ToolError> {
        let body = body.map(Value::to_string).unwrap_or_default();
        self.call("POST", path, query, body, target).await
    }

    async fn call(
        &self,
        method: &str,
        path: String,
        query: &[(&str, String)],
        body_json: String,
        target: &Target,
    ) -> Result<Value, ToolError> {
        let request = PodioRequest {
            caller: Some(self.caller.clone()),
            method: method.to_owned(),
            path,
            query: query
                .iter()
                .map(|(name, value)| QueryParam {
                    name: (*name).to_owned(),
                    value: value.clone(),
                })
                .collect(),
            body_json,
        };
        let response = self
            .connector
            .call(tonic::Request::new(request))
            .await
            .map_err(|status| errors::from_connector(&status, target))?
            .into_inner();
        if response.body_json.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&response.body_json).map_err(|e| {
            ToolError::Internal(format!(
                "podio answered with invalid json for {}: {e}",
                target.what
            ))
        })
    }
}
