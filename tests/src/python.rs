//! Runs the official Python MCP SDK clients (tests/python) against a running
//! stack. The virtual environments are created by the project's own
//! `tests/python/setup.sh` (idempotent, locked), so a fresh machine needs
//! nothing installed by hand beyond Python 3.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// The interpreters of the two SDK generations.
pub struct Venvs {
    /// Python with `mcp` 1.x.
    pub mcp1: PathBuf,
    /// Python with `mcp` 2.x.
    pub mcp2: PathBuf,
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Creates (or reuses) the virtual environments.
pub async fn venvs() -> anyhow::Result<Venvs> {
    let script = python_dir().join("setup.sh");
    let output = tokio::time::timeout(
        Duration::from_secs(600),
        tokio::process::Command::new("bash")
            .arg(&script)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("tests/python/setup.sh took over 10 minutes")??;
    anyhow::ensure!(
        output.status.success(),
        "tests/python/setup.sh failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let find = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|p| PathBuf::from(p.trim()))
            .with_context(|| format!("setup.sh printed no {key}= line: {stdout}"))
    };
    Ok(Venvs {
        mcp1: find("mcp1")?,
        mcp2: find("mcp2")?,
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
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(python)
            .arg(python_dir().join(script))
            .arg(url)
            .arg(token)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("{script} took over 120 s"))??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "{script} failed ({}): {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("{script} printed no JSON line: {stdout}"))?;
    Ok(serde_json::from_str(line)?)
}
