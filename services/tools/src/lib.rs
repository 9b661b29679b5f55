//! Portico's tools service: the catalog of Podio tools and the place where
//! they run, served as `portico.tools.v1.Tools`.
//!
//! [`ToolsService`] (`service`) authenticates the caller (`authn`), finds the
//! tool in the catalog (`tools`, one file per tool), validates the arguments
//! (`args`), and runs the tool with a per-call context (`context`: principal,
//! progress and log events, cancellation, trace context, idempotency key,
//! and the client's answers: `input`),
//! which calls Podio through the connector (`podio`) and shapes Podio's JSON
//! for a language model (`decode`, shared by every item tool). It is the
//! in-process `portico_proto::tools::ToolCalls`; `grpc` is its thin gRPC
//! face (`portico.tools.v1.Tools`, unary and streaming CallTool).
//!
//! `decode` (Podio JSON to tool output) and `encode` (tool-level field
//! values, filters and sorting to Podio's forms) are public: they are pure
//! functions of JSON, which the fuzz targets (`fuzz/`) and property tests
//! exercise directly.

mod args;
mod authn;
mod config;
mod context;
pub mod decode;
pub mod encode;
mod error;
mod grpc;
// No Podio tool asks the client anything yet; the conformance fixtures do.
#[cfg_attr(not(feature = "conformance-fixtures"), allow(dead_code))]
mod input;
mod metrics;
mod podio;
mod scope;
mod server;
mod service;
mod tools;

pub use args::{MAX_ARGUMENTS_BYTES, ObjectBounds};
pub use config::{Config, VARIABLES};
pub use error::Violation;
pub use server::{SERVICE_NAME, ServeError, serve};
pub use service::{EVENT_BUFFER, ToolsService};
pub use tools::catalog::TOOL_NAMES;
