//! Running the external programs the tests drive (setup scripts, SDK client
//! scripts): with a timeout, killed when dropped, failing with their output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::process::Command;

/// How long a setup script (creating a venv, `npm ci`) may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the setup script `script` with bash and returns the `key=path` lines
/// it printed on stdout; each of `keys` must be among them.
pub async fn setup(script: &Path, keys: &[&str]) -> anyhow::Result<HashMap<String, PathBuf>> {
    setup_with(script, &[], keys).await
}

/// [`setup`], passing `args` to the script (e.g. which venvs to build).
pub async fn setup_with(
    script: &Path,
    args: &[&str],
    keys: &[&str],
) -> anyhow::Result<HashMap<String, PathBuf>> {
    let name = script.display();
    let mut command = Command::new("bash");
    command.arg(script).args(args);
    let stdout = run(command, &name.to_string(), SETUP_TIMEOUT).await?;
    let found: HashMap<String, PathBuf> = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), PathBuf::from(v.trim())))
        .collect();
    for key in keys {
        anyhow::ensure!(
            found.contains_key(*key),
            "{name} printed no {key}= line: {stdout}"
        );
    }
    Ok(found)
}

/// Runs `command` (named `name` in errors) and returns the last line of its
/// stdout that is a JSON object.
pub async fn json_line(
    command: Command,
    name: &str,
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let stdout = run(command, name, timeout).await?;
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("{name} printed no JSON line: {stdout}"))?;
    serde_json::from_str(line).with_context(|| format!("{name} printed bad JSON: {line}"))
}

/// Runs `command` to completion within `timeout`; its stdout, or an error
/// carrying stdout and stderr when it fails.
async fn run(mut command: Command, name: &str, timeout: Duration) -> anyhow::Result<String> {
    let output = tokio::time::timeout(timeout, command.kill_on_drop(true).output())
        .await
        .with_context(|| format!("{name} took over {} s", timeout.as_secs()))?
        .with_context(|| format!("could not start {name}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "{name} failed ({}): {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}
