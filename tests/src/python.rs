//! Runs the official Python MCP SDK clients and a grpcio client
//! (tests/python) against a running stack. The virtual environments are created by the project's own
//! `tests/python/setup.sh` (idempotent, locked), so a fresh machine needs
//! nothing installed by hand beyond Python 3.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::script;

/// The interpreters of the two SDK generations and of the gRPC client.
pub struct Venvs {
    /// Python with `mcp` 1.x.
    pub mcp1: PathBuf,
    /// Python with `mcp` 2.x.
    pub mcp2: PathBuf,
    /// Python with `grpcio`, `grpcio-reflection` and `protobuf`.
    pub grpc: PathBuf,
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Creates (or reuses) the virtual environments.
pub async fn venvs() -> anyhow::Result<Venvs> {
    let mut found =
        script::setup(&python_dir().join("setup.sh"), &["mcp1", "mcp2", "grpc"]).await?;
    let mut take = |key: &str| found.remove(key).unwrap_or_default();
    Ok(Venvs {
        mcp1: take("mcp1"),
        mcp2: take("mcp2"),
        grpc: take("grpc"),
    })
}

/// Runs `script` (client_v1.py or client_v2.py) with `python` against
/// `url`, returning the one JSON line it prints.
pub async fn run_client(
    python: &Path,
    script: &str,
    url: &str,
    token: &str,
) -> anyhow::Result<serde_json::Value> {
    let mut command = tokio::process::Command::new(python);
    command.arg(python_dir().join(script)).arg(url).arg(token);
    script::json_line(command, script, Duration::from_secs(120)).await
}

/// Runs `oauth_client.py` with `python` against the Portico at `base_url`:
/// the SDK's own OAuth client signs in as `username`/`password` at the
/// simulator, calls a tool, refreshes and calls again. Returns the one JSON
/// line it prints.
pub async fn run_oauth_client(
    python: &Path,
    base_url: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<serde_json::Value> {
    let mut command = tokio::process::Command::new(python);
    command
        .arg(python_dir().join("oauth_client.py"))
        .arg(base_url)
        .arg(username)
        .arg(password);
    script::json_line(command, "oauth_client.py", Duration::from_secs(120)).await
}

/// Runs `grpc_client.py` with `python` (the `grpc` venv) against the gRPC
/// service at `url` (`http://host:port`), with `token` in its environment
/// (`PORTICO_TOKEN`, so it stays out of the process list): through server
/// reflection alone it lists the services and calls `CallTool` with and
/// without the token. Returns the one JSON line it prints.
pub async fn run_grpc_client(
    python: &Path,
    url: &str,
    token: &str,
) -> anyhow::Result<serde_json::Value> {
    let mut command = tokio::process::Command::new(python);
    command
        .arg(python_dir().join("grpc_client.py"))
        .arg(url)
        .env("PORTICO_TOKEN", token);
    script::json_line(command, "grpc_client.py", Duration::from_secs(120)).await
}
