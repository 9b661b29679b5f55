//! What every Portico process runs on, below the contracts: configuration
//! read from an environment map (`env`), the `Secret` type that never shows
//! its value (`secret`), logging and trace export (`telemetry`), W3C trace
//! context across hops (`trace`), Prometheus metrics and their listener
//! (`metrics`), and the gRPC server scaffolding and client channels every
//! service uses (`grpc`).
//!
//! It knows nothing of Portico's APIs: `portico-proto` (the contracts) and
//! every service build on it, and it builds on neither.

pub mod env;
pub mod grpc;
pub mod metrics;
pub mod secret;
pub mod telemetry;
pub mod trace;
