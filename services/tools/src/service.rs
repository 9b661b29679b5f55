//! The tools service's logic, free of tonic: authenticate the caller, find
//! the tool, check its scope and arguments, and run it with a per-call
//! context — to a result, or as a stream of events ending in one. It is the
//! in-process [`ToolCalls`]; `grpc` is the thin gRPC face over the same
//! methods.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use portico_proto::auth::v1 as v1_auth;
use portico_proto::auth::{AuditLog, Principal, TokenIntrospector};
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::error::ServiceError;
use portico_proto::tools::v1::{self, Tool, ToolCall, ToolCallEvent, ToolResult, tool_call_event};
use portico_proto::tools::{ToolCalls, ToolEvents};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::Instrument;

use crate::args::Args;
use crate::authn::{Authenticator, require_scope};
use crate::context::{CallContext, EventSender, Wants};
use crate::error::ToolError;
use crate::input::Inputs;
use crate::podio::Podio;
use crate::tools::catalog::Catalog;

mod features;

/// Events a streaming call may have sent but its reader not yet taken. Past
/// this a tool waits at its next event, so a slow reader bounds memory, not
/// the tool; the final result always fits after the tool's last event.
pub const EVENT_BUFFER: usize = 16;

/// The tools service: lists the tool catalog and runs tools for
/// authenticated callers, calling Podio through the connector.
#[derive(Clone)]
pub struct ToolsService {
    authn: Authenticator,
    connector: Arc<dyn Connector>,
    catalog: Arc<Catalog>,
    audit: Option<Arc<dyn AuditLog>>,
}

/// A call that passed every check before the tool runs.
struct Prepared {
    index: usize,
    principal: Principal,
    args: Args,
    inputs: Inputs,
}

impl ToolsService {
    /// A service that introspects tokens with `auth` and reaches Podio
    /// through `connector`.
    pub fn new(auth: Arc<dyn TokenIntrospector>, connector: Arc<dyn Connector>) -> ToolsService {
        ToolsService {
            authn: Authenticator::new(auth),
            connector,
            catalog: Arc::new(Catalog::new()),
            audit: None,
        }
    }

    /// The same service, recording every write tool call in `audit` (the
    /// auth service's audit log).
    pub fn with_audit(mut self, audit: Arc<dyn AuditLog>) -> ToolsService {
        self.audit = Some(audit);
        self
    }

    /// Records a finished write tool call in the audit log, if there is one.
    /// A failure to record is logged; the call's result stands.
    async fn audit_write(
        &self,
        token: Option<&str>,
        index: usize,
        result: &Result<ToolResult, ToolError>,
    ) {
        let (Some(audit), Some(token)) = (&self.audit, token) else {
            return;
        };
        let spec = &self.catalog.at(index).spec;
        if spec.annotations.read_only {
            return;
        }
        let outcome = match result {
            Ok(r) if r.input_required.is_some() => return,
            Ok(r) if r.is_error => "tool_error".to_owned(),
            Ok(_) => "ok".to_owned(),
            Err(ToolError::Cancelled) => "cancelled".to_owned(),
            Err(ToolError::InputRequired(_)) => return,
            Err(ToolError::Refused(refusal)) => format!("tool_error: {}", refusal.code.as_str()),
            Err(ToolError::InvalidArguments(_)) => "error: invalid_argument".to_owned(),
            Err(ToolError::UnknownTool(_)) => "error: not_found".to_owned(),
            Err(ToolError::Unauthenticated(_)) => "error: unauthenticated".to_owned(),
            Err(ToolError::MissingScope { .. }) => "error: permission_denied".to_owned(),
            Err(ToolError::Unavailable(_)) => "error: unavailable".to_owned(),
            Err(ToolError::Internal(_)) => "error: internal".to_owned(),
        };
        let event = v1_auth::AuditEvent {
            action: format!("tool.{}", spec.name),
            target: result.as_ref().map(target_of).unwrap_or_default(),
            outcome,
            trace_id: portico_runtime::trace::current_trace_id().unwrap_or_default(),
            ..v1_auth::AuditEvent::default()
        };
        if let Err(err) = audit.record(token, event).await {
            tracing::error!(error = %err, tool = spec.name, "could not record a write in the audit log");
        }
    }

    /// The catalog, for a caller presenting `token`.
    pub(crate) async fn list(&self, token: Option<&str>) -> Result<Vec<Tool>, ToolError> {
        self.authn.authenticate(token).await?;
        Ok(self.catalog.list())
    }

    /// Runs `call` to its result, with no events.
    pub(crate) async fn call(
        &self,
        token: Option<&str>,
        call: ToolCall,
    ) -> Result<ToolResult, ToolError> {
        let prepared = self.prepare(token, &call).await?;
        let cx = CallContext::new(
            self.catalog.at(prepared.index).spec.name,
            prepared.principal,
            Wants::of(&call),
            prepared.inputs,
            CancellationToken::new(),
            None,
        );
        let result = self.run(&cx, prepared.index, prepared.args).await;
        log_outcome(cx.tool(), &result);
        self.audit_write(token, prepared.index, &result).await;
        result
    }

    /// Runs `call` in a task of its own, returning the stream of its events.
    /// Errors here come before the tool runs; dropping the stream cancels it.
    pub(crate) async fn call_streaming(
        &self,
        token: Option<&str>,
        call: ToolCall,
    ) -> Result<ToolEvents, ToolError> {
        let prepared = self.prepare(token, &call).await?;
        let (events, rx) = mpsc::channel(EVENT_BUFFER);
        let cancel = CancellationToken::new();
        let cx = CallContext::new(
            self.catalog.at(prepared.index).spec.name,
            prepared.principal,
            Wants::of(&call),
            prepared.inputs,
            cancel.clone(),
            Some(events.clone()),
        );
        let service = self.clone();
        let token = token.map(str::to_owned);
        tokio::spawn(
            async move {
                let result = service.run(&cx, prepared.index, prepared.args).await;
                log_outcome(cx.tool(), &result);
                service
                    .audit_write(token.as_deref(), prepared.index, &result)
                    .await;
                finish(&events, result).await;
            }
            .in_current_span(),
        );
        Ok(ToolEvents::new(CancelOnDrop {
            events: ReceiverStream::new(rx),
            _cancel: cancel.drop_guard(),
        }))
    }

    /// Authentication, the tool, its scope and its arguments.
    async fn prepare(&self, token: Option<&str>, call: &ToolCall) -> Result<Prepared, ToolError> {
        let principal = self.authn.authenticate(token).await?;
        let index = self
            .catalog
            .position(&call.name)
            .ok_or_else(|| ToolError::UnknownTool(call.name.clone()))?;
        let spec = &self.catalog.at(index).spec;
        require_scope(&principal, spec.name, spec.required_scope)?;
        let args = Args::parse(&call.arguments_json, &spec.input_schema)?;
        let inputs = Inputs::of(
            call.client_capabilities,
            &call.input_responses_json,
            &call.request_state,
        )?;
        Ok(Prepared {
            index,
            principal,
            args,
            inputs,
        })
    }

    /// Runs the tool until it answers or `cx` is cancelled; cancellation
    /// drops the tool's future at its next wait (and with it any task set it
    /// holds), and its Podio client sends nothing more.
    async fn run(
        &self,
        cx: &CallContext,
        index: usize,
        args: Args,
    ) -> Result<ToolResult, ToolError> {
        let podio = Podio::new(self.connector.clone(), cx.principal())
            .cancelled_by(cx.cancellation().clone());
        let entry = self.catalog.at(index);
        // The pass-through values ride on the span until later hops use them.
        let span = tracing::debug_span!(
            "tool_call",
            tool = cx.tool(),
            traceparent = cx.traceparent().unwrap_or_default(),
            idempotency_key = cx.idempotency_key().unwrap_or_default(),
        );
        let result = async {
            tokio::select! {
                biased;
                () = cx.cancellation().cancelled() => Err(ToolError::Cancelled),
                result = entry.tool.handle(cx, &podio, args) => result,
            }
        }
        .instrument(span)
        .await;
        // Asking the client is an answer, not a failure.
        match result {
            Err(ToolError::InputRequired(input)) => Ok(ToolResult {
                input_required: Some(input),
                ..ToolResult::default()
            }),
            other => other,
        }
    }
}

/// What a write acted on, from its structured result: `item:<id>`,
/// `task:<id>` or `comment:<id>`; empty when the result names none.
fn target_of(result: &ToolResult) -> String {
    let structured: serde_json::Value =
        serde_json::from_str(&result.structured_content_json).unwrap_or_default();
    ["item", "task", "comment"]
        .iter()
        .find_map(|kind| {
            let id = structured.get(format!("{kind}_id"))?;
            Some(format!("{kind}:{id}"))
        })
        .unwrap_or_default()
}

/// Sends the call's last event: its result, or the error that ended it. A
/// reader that is gone no longer cares.
async fn finish(events: &EventSender, result: Result<ToolResult, ToolError>) {
    let last = match result {
        Err(ToolError::Cancelled) => return,
        Ok(result) => Ok(result),
        Err(err) => err.into_result(),
    };
    let last = last.map(|result| ToolCallEvent {
        event: Some(tool_call_event::Event::Result(result)),
    });
    let _ = events.send(last).await;
}

fn log_outcome(tool: &str, result: &Result<ToolResult, ToolError>) {
    match result {
        Ok(result) if result.input_required.is_some() => {
            tracing::debug!(tool, "tool call needs input from the client");
        }
        Ok(result) if result.is_error => {
            tracing::info!(tool, "tool call failed with an actionable error");
        }
        Ok(_) => tracing::debug!(tool, "tool call succeeded"),
        Err(ToolError::Refused(_)) => {
            tracing::info!(tool, "tool call failed with an actionable error");
        }
        Err(ToolError::Cancelled) => tracing::info!(tool, "tool call cancelled"),
        Err(err) => tracing::info!(tool, error = %err, "tool call rejected"),
    }
}

/// A streaming call's events; dropping it (the caller went away) cancels
/// the call.
struct CancelOnDrop {
    events: ReceiverStream<Result<ToolCallEvent, ServiceError>>,
    _cancel: DropGuard,
}

impl Stream for CancelOnDrop {
    type Item = Result<ToolCallEvent, ServiceError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

#[async_trait::async_trait]
impl ToolCalls for ToolsService {
    async fn list_tools(&self, token: &str) -> Result<Vec<Tool>, ServiceError> {
        self.list(Some(token))
            .await
            .map_err(ToolError::into_service_error)
    }

    async fn call_tool(&self, token: &str, call: ToolCall) -> Result<ToolResult, ServiceError> {
        match self.call(Some(token), call).await {
            Ok(result) => Ok(result),
            Err(err) => err.into_result(),
        }
    }

    async fn call_tool_stream(
        &self,
        token: &str,
        call: ToolCall,
    ) -> Result<ToolEvents, ServiceError> {
        self.call_streaming(Some(token), call)
            .await
            .map_err(ToolError::into_service_error)
    }

    async fn features(&self, token: &str) -> Result<v1::Features, ServiceError> {
        self.features_for(Some(token)).await
    }

    async fn list_resources(&self, token: &str) -> Result<Vec<v1::Resource>, ServiceError> {
        self.resources_for(Some(token)).await
    }

    async fn list_resource_templates(
        &self,
        token: &str,
    ) -> Result<Vec<v1::ResourceTemplate>, ServiceError> {
        self.templates_for(Some(token)).await
    }

    async fn read_resource(
        &self,
        token: &str,
        uri: &str,
    ) -> Result<Vec<v1::EmbeddedResource>, ServiceError> {
        self.read_for(Some(token), uri).await
    }

    async fn list_prompts(&self, token: &str) -> Result<Vec<v1::Prompt>, ServiceError> {
        self.prompts_for(Some(token)).await
    }

    async fn get_prompt(
        &self,
        token: &str,
        request: v1::GetPromptRequest,
    ) -> Result<v1::GetPromptResponse, ServiceError> {
        self.prompt_for(Some(token), &request).await
    }

    async fn complete(
        &self,
        token: &str,
        request: v1::CompleteRequest,
    ) -> Result<v1::CompleteResponse, ServiceError> {
        self.complete_for(Some(token), &request).await
    }
}
