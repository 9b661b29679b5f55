//! Portico's tools service: the catalog of Podio tools and the place where
//! they run, served as `portico.tools.v1.Tools`.
//!
//! The gRPC layer ([`ToolsService`]) is a thin adapter: it authenticates the
//! caller (`authn`), finds the tool in the catalog (`tools`, one file per
//! tool), validates the arguments (`args`), lets the tool call Podio through
//! the connector (`podio`) and shapes Podio's JSON for a language model
//! (`decode`, shared by every item tool).

mod args;
mod authn;
mod config;
mod decode;
mod encode;
mod error;
mod podio;
mod scope;
mod server;
mod service;
mod tools;

pub use config::Config;
pub use server::{SERVICE_NAME, ServeError, serve};
pub use service::ToolsService;
pub use tools::catalog::TOOL_NAMES;
