//! Every way a tool call can end other than success, and where each one goes:
//! a gRPC status for problems with the call itself, or an `is_error` tool
//! result for failures a caller (or a language model) can act on.

use std::collections::HashMap;

use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::tools::v1::{
    CallToolResponse, Content, ContentBlock, InputRequired, ToolResult, content,
};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The `ErrorInfo` domain of errors raised by this service.
pub const ERROR_DOMAIN: &str = "portico.tools";

/// A problem with one argument: which one, and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The argument's name (`arguments` for the arguments object itself).
    pub field: String,
    /// What is wrong and what is accepted, without the field name.
    pub description: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Why a tool call did not produce a successful result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ToolError {
    /// The arguments do not match the tool's input schema.
    #[error("{}", join_violations(.0))]
    InvalidArguments(Vec<Violation>),
    /// No tool has this name.
    #[error("no tool is named {0:?}; call ListTools for the tool names")]
    UnknownTool(String),
    /// No bearer token, or one the auth service does not consider active.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The token is valid but lacks the scope the tool requires.
    #[error("tool {tool} requires the {scope} scope, which this token does not grant")]
    MissingScope {
        /// The tool that was called.
        tool: String,
        /// The scope it requires.
        scope: String,
    },
    /// Podio refused the request in a way the caller can act on; becomes a
    /// result with `is_error = true`. It keeps what Podio said, so that a
    /// tool can react to one particular refusal without reading its text.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// A dependency (auth, connector, Podio) could not be reached.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected answer; the text is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
    /// The caller went away (or cancelled) before the call finished.
    #[error("the tool call was cancelled")]
    Cancelled,
    /// The tool needs answers from the client first; not a failure: the
    /// call answers with an InputRequired result.
    #[cfg_attr(not(feature = "conformance-fixtures"), allow(dead_code))]
    #[error("the tool needs input from the client")]
    InputRequired(InputRequired),
}

/// A request Podio refused: the message for the caller and, in structured
/// form, what Podio answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What went wrong and what to do, for the caller.
    pub message: String,
    /// The connector's classification of Podio's answer.
    pub code: ErrorCode,
    /// Podio's HTTP status (e.g. 403), when the connector reported it.
    pub http_status: Option<u16>,
    /// Podio's `error` code (e.g. "forbidden"), when the connector reported it.
    pub podio_error: Option<String>,
}

impl Refusal {
    /// Whether Podio answered `http_status` with the `error` code `podio_error`.
    pub fn is(&self, http_status: u16, podio_error: &str) -> bool {
        self.http_status == Some(http_status) && self.podio_error.as_deref() == Some(podio_error)
    }
}

fn join_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ToolError {
    /// The gRPC status for this error. `Refused` is not a gRPC error; as a
    /// status (e.g. from ListTools, which cannot fail that way) it is INTERNAL.
    pub fn into_status(self) -> Status {
        let message = self.to_string();
        match self {
            ToolError::InvalidArguments(violations) => {
                let violations: Vec<FieldViolation> = violations
                    .into_iter()
                    .map(|v| FieldViolation::new(v.field, v.description))
                    .collect();
                Status::with_error_details(
                    Code::InvalidArgument,
                    message,
                    ErrorDetails::with_bad_request(violations),
                )
            }
            ToolError::UnknownTool(_) => Status::not_found(message),
            ToolError::Unauthenticated(_) => Status::unauthenticated(message),
            ToolError::MissingScope { scope, .. } => Status::with_error_details(
                Code::PermissionDenied,
                message,
                ErrorDetails::with_error_info(
                    "MISSING_SCOPE",
                    ERROR_DOMAIN,
                    HashMap::from([("required_scope".to_owned(), scope)]),
                ),
            ),
            ToolError::Unavailable(_) => Status::unavailable(message),
            ToolError::Cancelled => Status::cancelled(message),
            ToolError::Refused(_) | ToolError::Internal(_) | ToolError::InputRequired(_) => {
                tracing::error!(error = %message, "tool call failed internally");
                Status::internal("internal error in the tools service")
            }
        }
    }

    /// The CallTool answer for this error: an `is_error` result for
    /// `Refused`, a gRPC status for everything else.
    pub fn into_call_response(self) -> Result<CallToolResponse, Status> {
        match self {
            ToolError::Refused(Refusal { message, .. }) => Ok(CallToolResponse {
                is_error: true,
                content: vec![text_content(message)],
                ..CallToolResponse::default()
            }),
            ToolError::InputRequired(input) => Ok(CallToolResponse {
                input_required: Some(input),
                ..CallToolResponse::default()
            }),
            other => Err(other.into_status()),
        }
    }
}

impl ToolError {
    /// The error across the service seam, for [`ToolError::into_result`]'s
    /// errors. A cancelled call maps to UNAVAILABLE: the vocabulary has no
    /// code of its own for it, and whoever cancelled is no longer listening.
    pub fn into_service_error(self) -> ServiceError {
        let message = self.to_string();
        match self {
            // The message names each field, as the unary RPC's does.
            ToolError::InvalidArguments(violations) => ServiceError {
                message,
                ..ServiceError::invalid(
                    violations
                        .into_iter()
                        .map(|v| portico_proto::error::FieldViolation {
                            field: v.field,
                            description: v.description,
                        })
                        .collect(),
                )
            },
            ToolError::UnknownTool(_) => ServiceError::new(ErrorCode::NotFound, message),
            ToolError::Unauthenticated(_) => ServiceError::new(ErrorCode::Unauthenticated, message),
            ToolError::MissingScope { scope, .. } => ServiceError::missing_scope(scope, message),
            ToolError::Unavailable(_) | ToolError::Cancelled => {
                ServiceError::new(ErrorCode::Unavailable, message)
            }
            ToolError::Refused(_) | ToolError::Internal(_) | ToolError::InputRequired(_) => {
                tracing::error!(error = %message, "tool call failed internally");
                ServiceError::new(ErrorCode::Internal, "internal error in the tools service")
            }
        }
    }

    /// The call's answer for this error: an `is_error` result for
    /// `Refused`, an InputRequired result for `InputRequired`, a
    /// [`ServiceError`] for everything else.
    pub fn into_result(self) -> Result<ToolResult, ServiceError> {
        match self {
            ToolError::Refused(Refusal { message, .. }) => Ok(ToolResult {
                is_error: true,
                content: vec![ContentBlock::text(message)],
                ..ToolResult::default()
            }),
            ToolError::InputRequired(input) => Ok(ToolResult {
                input_required: Some(input),
                ..ToolResult::default()
            }),
            other => Err(other.into_service_error()),
        }
    }
}

/// A text content block.
pub fn text_content(text: String) -> Content {
    Content {
        kind: Some(content::Kind::Text(text)),
    }
}
