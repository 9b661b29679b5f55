//! Calls to Podio, made through the connector service on behalf of the
//! authenticated caller. Tools describe the object they ask for, so that
//! Podio's failures come back as messages a language model can act on.

pub mod errors;

use std::sync::Arc;

use portico_proto::auth::Principal;
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, QueryParam};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::ToolError;
use crate::scope::WorkspaceScope;
pub use errors::Target;

/// A Podio client bound to one caller and one call.
#[derive(Clone)]
pub struct Podio {
    connector: Arc<dyn Connector>,
    caller: Caller,
    scope: WorkspaceScope,
    /// The call's cancellation: once it fires no request is sent, so a
    /// cancelled call never writes (even from a task it spawned).
    cancel: CancellationToken,
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
            cancel: CancellationToken::new(),
        }
    }

    /// This client, sending nothing more once `cancel` fires and giving up
    /// on answers still awaited.
    pub fn cancelled_by(self, cancel: CancellationToken) -> Self {
        Podio { cancel, ..self }
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
        if self.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        let answer = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(ToolError::Cancelled),
            answer = self.connector.call(tonic::Request::new(request)) => answer,
        };
        let response = answer
            .map_err(|status| errors::from_connector(&status, target))?
            .into_inner();
        if response.body_json.trim().is_empty() {
            return Ok(Value::Null);
        }
        // A body that is not JSON is Podio's failure (a proxy's error page,
        // a cut answer): the model is told, as with any Podio outage.
        serde_json::from_str(&response.body_json).map_err(|e| {
            tracing::warn!(error = %e, what = %target.what, "podio answered with invalid json");
            ToolError::Refused(crate::error::Refusal {
                message: format!(
                    "Podio is unavailable for {}: it answered with a body that is not JSON; retry shortly",
                    target.what
                ),
                code: portico_proto::error::ErrorCode::Unavailable,
                http_status: None,
                podio_error: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use portico_proto::connector::v1::PodioResponse;
    use tonic::{Request, Response, Status};

    use super::*;

    /// A connector that counts requests and never answers.
    #[derive(Default)]
    struct Stuck(AtomicUsize);

    #[tonic::async_trait]
    impl Connector for Stuck {
        async fn call(&self, _: Request<PodioRequest>) -> Result<Response<PodioResponse>, Status> {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::future::pending().await
        }
    }

    fn target() -> Target {
        Target::new("item 1".to_owned(), "")
    }

    #[tokio::test]
    async fn a_cancelled_call_sends_no_write_and_stops_waiting() {
        let connector = Arc::new(Stuck::default());
        let cancel = CancellationToken::new();
        let podio =
            Podio::new(connector.clone(), &Principal::default()).cancelled_by(cancel.clone());

        // In flight when cancelled: the wait ends at once.
        let waiting = tokio::spawn({
            let podio = podio.clone();
            async move { podio.get("/item/1".to_owned(), &[], &target()).await }
        });
        while connector.0.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        cancel.cancel();
        let answer = waiting.await.expect("join");
        assert!(matches!(answer, Err(ToolError::Cancelled)));

        // After cancellation: nothing more is sent, writes included.
        let write = podio
            .post("/item/app/1/".to_owned(), &serde_json::json!({}), &target())
            .await;
        assert!(matches!(write, Err(ToolError::Cancelled)));
        assert_eq!(connector.0.load(Ordering::SeqCst), 1);
    }
}
