//! `portico.tools.v1` and the plain-Rust face of the tools service that its
//! consumers (the front door) hold: [`ToolCalls`], with [`ServiceError`]s,
//! implemented in process by the tools service itself (`portico dev`) and
//! over gRPC by [`crate::remote::RemoteTools`]. The tonic server trait stays
//! at the edge, in the tools crate's gRPC adapter.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_stream::Stream;

use crate::error::{ErrorCode, ServiceError};

/// Version 1 of the tools API.
pub mod v1 {
    #![allow(missing_docs, clippy::all)]
    tonic::include_proto!("portico.tools.v1");
}

/// What a streaming tool call sends: progress and log events, then exactly
/// one [`v1::tool_call_event::Event::Result`]; or an error as the last item.
/// Dropping the stream cancels the call.
pub struct ToolEvents(Pin<Box<dyn Stream<Item = Result<v1::ToolCallEvent, ServiceError>> + Send>>);

impl ToolEvents {
    /// Wraps `stream`; dropping the wrapper must cancel the call, so the
    /// stream owns whatever does that (a drop guard, a gRPC response).
    pub fn new(
        stream: impl Stream<Item = Result<v1::ToolCallEvent, ServiceError>> + Send + 'static,
    ) -> ToolEvents {
        ToolEvents(Box::pin(stream))
    }

    /// Reads the stream to its end and returns the result, skipping every
    /// progress and log event: a unary call over the streaming one.
    pub async fn result(mut self) -> Result<v1::ToolResult, ServiceError> {
        use tokio_stream::StreamExt as _;
        while let Some(event) = self.next().await {
            if let Some(v1::tool_call_event::Event::Result(result)) = event?.event {
                self.finish();
                return Ok(result);
            }
        }
        Err(ServiceError::new(
            ErrorCode::Unavailable,
            "the tool call ended without a result",
        ))
    }
}

/// How long a finished call's stream may take to end by itself.
const FINISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl ToolEvents {
    /// Lets a call whose result has arrived end normally: the rest of the
    /// stream (its end, over gRPC the trailers) is read in the background,
    /// for at most [`FINISH_TIMEOUT`]. Dropping it instead would reset the
    /// HTTP/2 stream; a reset stream is remembered by the connection for a
    /// while and h2 allows at most 1,024 of them, so under load every call
    /// dropped after its result ends up failing a whole connection's calls
    /// ("locally-reset streams reached limit"). Needs a Tokio runtime; only
    /// call it once the result is in, or the call is cancelled.
    pub fn finish(mut self) {
        tokio::spawn(async move {
            use tokio_stream::StreamExt as _;
            let _ = tokio::time::timeout(FINISH_TIMEOUT, async {
                while self.next().await.is_some() {}
            })
            .await;
        });
    }
}

impl Stream for ToolEvents {
    type Item = Result<v1::ToolCallEvent, ServiceError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for ToolEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToolEvents")
    }
}

/// The tool catalog and tool calls, as the front door uses them. `token` is
/// the caller's Portico bearer token (never an upstream one); the caller's
/// identity and scopes come from it alone.
///
/// Errors are problems with the call itself (unauthenticated, unknown tool,
/// invalid arguments, missing scope with [`ServiceError::required_scope`],
/// unavailable, internal). A tool's own failure that a caller can act on is
/// a [`v1::ToolResult`] with `is_error` set.
#[async_trait::async_trait]
pub trait ToolCalls: Send + Sync + 'static {
    /// Every tool, in a stable order.
    async fn list_tools(&self, token: &str) -> Result<Vec<v1::Tool>, ServiceError>;

    /// Runs one tool to its result. `call.progress` and
    /// `call.min_log_level` are ignored (nothing is streamed); dropping the
    /// future cancels the call.
    async fn call_tool(
        &self,
        token: &str,
        call: v1::ToolCall,
    ) -> Result<v1::ToolResult, ServiceError>;

    /// Runs one tool, streaming its progress (when `call.progress`) and log
    /// events (at or above `call.min_log_level`) before its result. An
    /// error here comes before the tool runs (authentication, unknown tool,
    /// arguments, scope); later ones end the stream.
    async fn call_tool_stream(
        &self,
        token: &str,
        call: v1::ToolCall,
    ) -> Result<ToolEvents, ServiceError>;

    // What the service offers beside tools. The defaults are those of a
    // service that offers nothing more (and so need no token): no features,
    // empty lists, NOT_FOUND for every resource and prompt.

    /// Whether resources, subscriptions, prompts and completion are offered;
    /// a caller advertises nothing that is not set here.
    async fn features(&self, _token: &str) -> Result<v1::Features, ServiceError> {
        Ok(v1::Features::default())
    }

    /// Every direct resource, in a stable order.
    async fn list_resources(&self, _token: &str) -> Result<Vec<v1::Resource>, ServiceError> {
        Ok(Vec::new())
    }

    /// Every resource template, in a stable order.
    async fn list_resource_templates(
        &self,
        _token: &str,
    ) -> Result<Vec<v1::ResourceTemplate>, ServiceError> {
        Ok(Vec::new())
    }

    /// The contents of the resource at `uri`; [`ErrorCode::NotFound`] when
    /// there is none.
    async fn read_resource(
        &self,
        _token: &str,
        uri: &str,
    ) -> Result<Vec<v1::EmbeddedResource>, ServiceError> {
        Err(no_resource(uri))
    }

    /// Every prompt, in a stable order.
    async fn list_prompts(&self, _token: &str) -> Result<Vec<v1::Prompt>, ServiceError> {
        Ok(Vec::new())
    }

    /// One prompt rendered with its arguments: [`ErrorCode::NotFound`] for
    /// an unknown prompt, [`ErrorCode::InvalidArgument`] for a missing
    /// required argument.
    async fn get_prompt(
        &self,
        _token: &str,
        request: v1::GetPromptRequest,
    ) -> Result<v1::GetPromptResponse, ServiceError> {
        Err(no_prompt(&request.name))
    }

    /// Suggestions for one argument of a prompt or resource template.
    async fn complete(
        &self,
        _token: &str,
        _request: v1::CompleteRequest,
    ) -> Result<v1::CompleteResponse, ServiceError> {
        Ok(v1::CompleteResponse::default())
    }
}

/// The NOT_FOUND answer for a resource URI no resource has.
pub fn no_resource(uri: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        format!(
            "no resource has the URI {uri:?}; resources/list and resources/templates/list name the ones there are"
        ),
    )
}

/// The NOT_FOUND answer for an unknown prompt name.
pub fn no_prompt(name: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        format!("no prompt is named {name:?}; prompts/list names the ones there are"),
    )
}

impl v1::ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> v1::ContentBlock {
        v1::ContentBlock {
            kind: Some(v1::content_block::Kind::Text(text.into())),
        }
    }
}

impl v1::ToolResult {
    /// The unary CallTool answer: the same result with its text blocks only
    /// (CallTool carries no other kind; see the proto), and its
    /// InputRequired, if any.
    pub fn into_text_only(self) -> v1::CallToolResponse {
        let content = self
            .content
            .into_iter()
            .filter_map(|block| match block.kind {
                Some(v1::content_block::Kind::Text(text)) => Some(v1::Content {
                    kind: Some(v1::content::Kind::Text(text)),
                }),
                Some(
                    v1::content_block::Kind::Image(_)
                    | v1::content_block::Kind::Audio(_)
                    | v1::content_block::Kind::Resource(_),
                )
                | None => None,
            })
            .collect();
        v1::CallToolResponse {
            is_error: self.is_error,
            content,
            structured_content_json: self.structured_content_json,
            input_required: self.input_required,
        }
    }
}

impl v1::LogLevel {
    /// Whether an event at `self` passes a `minimum` (UNSPECIFIED lets
    /// nothing pass).
    pub fn passes(self, minimum: v1::LogLevel) -> bool {
        minimum != v1::LogLevel::Unspecified && self as i32 >= minimum as i32
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::v1;

    #[test]
    fn a_tool_result_is_readable_as_a_call_tool_response_and_back() {
        let result = v1::ToolResult {
            is_error: false,
            content: vec![
                v1::ContentBlock::text("hello"),
                v1::ContentBlock {
                    kind: Some(v1::content_block::Kind::Image(v1::ImageContent {
                        data: vec![1, 2, 3],
                        mime_type: "image/png".to_owned(),
                    })),
                },
            ],
            structured_content_json: "{}".to_owned(),
            input_required: Some(v1::InputRequired {
                requests: vec![v1::InputRequest {
                    key: "k".to_owned(),
                    method: "roots/list".to_owned(),
                    params_json: "{}".to_owned(),
                }],
                request_state: "s".to_owned(),
            }),
        };
        let old = v1::CallToolResponse::decode(result.encode_to_vec().as_slice()).expect("decode");
        assert_eq!(old.input_required, result.input_required);
        assert_eq!(old.content.len(), 2);
        assert_eq!(
            old.content[0].kind,
            Some(v1::content::Kind::Text("hello".to_owned()))
        );
        // An older decoder sees the image as a block of no kind it knows.
        assert_eq!(old.content[1].kind, None);
        assert_eq!(old.structured_content_json, "{}");

        let text_only = result.clone().into_text_only();
        assert_eq!(text_only.content.len(), 1);
        let back = v1::ToolResult::decode(text_only.encode_to_vec().as_slice()).expect("decode");
        assert_eq!(back.content, vec![v1::ContentBlock::text("hello")]);
    }

    #[test]
    fn log_levels_pass_at_or_above_the_minimum_and_never_when_unset() {
        use v1::LogLevel::*;
        assert!(Info.passes(Debug));
        assert!(Info.passes(Info));
        assert!(!Debug.passes(Info));
        assert!(!Emergency.passes(Unspecified));
    }
}
