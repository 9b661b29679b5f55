//! Black-box tests of `portico-auth` through its public API: the storage
//! contract run against both stores, the service through the gRPC trait, and a
//! real server on port 0. One test binary, so the crate links once.

mod client_metadata;
mod client_metadata_flow;
mod grpc_server;
mod oauth_clients;
mod oauth_flow;
mod oauth_store_contract;
mod pending_store_contract;
mod postgres_e2e;
mod proptests;
mod rekey;
mod service;
mod store_contract;
mod support;
