//! Portico's gRPC contracts.
//!
//! This is the only crate the services share: the generated messages, clients
//! and server traits of `portico.{auth,tools,connector}.v1`; the plain-Rust
//! traits each consumer of the auth and tools services holds (`auth`,
//! `tools`) and the typed
//! vocabularies (`vocab`: scopes, credential modes); remote adapters
//! that make a gRPC client usable wherever a service trait is expected (so the
//! same caller code runs in-process in `portico dev` and over the network in
//! the microservices shape); the error-code vocabulary; and the encoded
//! descriptors for server reflection. What a process runs on (env,
//! secrets, telemetry, gRPC serving) is `portico-runtime`'s.

pub mod auth;
pub mod error;
pub mod remote;
pub mod tools;
pub mod vocab;

/// `portico.connector.v1`: requests to the Podio API.
pub mod connector {
    /// Version 1 of the connector API.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("portico.connector.v1");
    }
}

/// Encoded `FileDescriptorSet` of every Portico proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/portico_descriptor.bin"));
