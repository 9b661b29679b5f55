//! Runs podio-js, a Podio client SDK for Node.js that no one on the team
//! wrote, against podio-sim (tests/js). The pinned package is installed by
//! the project's own `tests/js/setup.sh` (idempotent, locked, `npm ci`
//! against the committed lock file), so a fresh machine needs nothing
//! installed by hand beyond Node.js and npm.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::script;

/// What `tests/js/setup.sh` prepared.
pub struct NodeEnv {
    /// The Node.js interpreter.
    pub node: PathBuf,
    /// The `node_modules` directory holding podio-js (used as `NODE_PATH`).
    pub node_modules: PathBuf,
}

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}

/// Installs (or reuses) the locked podio-js.
pub async fn setup() -> anyhow::Result<NodeEnv> {
    let mut found = script::setup(&js_dir().join("setup.sh"), &["node", "node_modules"]).await?;
    let mut take = |key: &str| found.remove(key).unwrap_or_default();
    Ok(NodeEnv {
        node: take("node"),
        node_modules: take("node_modules"),
    })
}

/// Runs `tests/js/<script>` with `vars` as its environment additions and
/// podio-js on `NODE_PATH`, returning the one JSON line it prints.
pub async fn run_script(
    node: &NodeEnv,
    script: &str,
    vars: &[(&str, String)],
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let mut command = tokio::process::Command::new(&node.node);
    command
        .arg(js_dir().join(script))
        .env("NODE_PATH", &node.node_modules);
    for (key, value) in vars {
        command.env(key, value);
    }
    script::json_line(command, script, timeout).await
}
