//! The MCP Inspector CLI (`@modelcontextprotocol/inspector` 2.12.0, installed
//! by tests/conformance/setup-inspector.sh with Node.js 22) against plain
//! `portico dev`, as a user would run it: list the tools and call one with
//! `--header "Authorization: Bearer …"`, in both `--protocol-era legacy`
//! (initialize and a session, 2025-11-25) and `modern` (2026-07-28,
//! stateless). Without the header it must stop at `auth_required` (exit 3)
//! rather than start an interactive OAuth login (`--stored-auth-only`).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use anyhow::Context;
use portico_tests::start_dev;
use serde_json::Value;
use tokio::process::Command;

/// What setup-inspector.sh installed.
struct Inspector {
    node: PathBuf,
    cli: PathBuf,
    /// Keeps the Inspector's stores and catalog away from `~/.mcp-inspector`.
    home: PathBuf,
}

impl Inspector {
    async fn setup() -> anyhow::Result<Inspector> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/setup-inspector.sh");
        let mut found = portico_tests::script::setup(&script, &["node", "inspector"]).await?;
        let home = std::env::temp_dir().join(format!(
            "portico-inspector-{}",
            uuid::Uuid::new_v4().simple()
        ));
        tokio::fs::create_dir_all(&home).await?;
        Ok(Inspector {
            node: found.remove("node").unwrap_or_default(),
            cli: found.remove("inspector").unwrap_or_default(),
            home,
        })
    }

    /// `mcp-inspector --cli <url> --transport http …` with `args`.
    async fn run(&self, url: &str, args: &[&str]) -> anyhow::Result<Output> {
        let store = self.home.join("store");
        let mut command = Command::new(&self.node);
        command
            .arg(&self.cli)
            .args(["--cli", url, "--transport", "http", "--stored-auth-only"])
            .args(["--format", "json"])
            .args(args)
            .env("HOME", &self.home)
            .env("MCP_STORAGE_DIR", &store)
            .env("MCP_INSPECTOR_OAUTH_STATE_PATH", store.join("oauth.json"))
            .env("MCP_CATALOG_PATH", self.home.join("catalog.json"))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .context("the Inspector CLI took over 60 s")?
            .context("could not start the Inspector CLI")
    }

    /// The `result` the CLI printed, after checking it exited 0.
    async fn result(&self, url: &str, args: &[&str]) -> anyhow::Result<Value> {
        let output = self.run(url, args).await?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(
            output.status.success(),
            "inspector {args:?} failed ({}): {stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .with_context(|| format!("inspector {args:?} printed no JSON: {stdout}"))?;
        let printed: Value = serde_json::from_str(line)?;
        Ok(printed["result"].clone())
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_cli_lists_and_calls_tools_with_a_bearer_token_in_both_eras()
-> anyhow::Result<()> {
    let inspector = Inspector::setup().await?;
    let stack = start_dev().await?;
    let outcome = async {
        let url = stack.mcp_url(0);
        let bearer = format!("Authorization: Bearer {}", stack.token);
        for era in ["legacy", "modern"] {
            let with = |rest: &[&'static str]| -> Vec<String> {
                let mut args = vec!["--header".to_owned(), bearer.clone()];
                args.extend(["--protocol-era".to_owned(), era.to_owned()]);
                args.extend(rest.iter().map(|a| (*a).to_owned()));
                args
            };
            let list = with(&["--method", "tools/list"]);
            let list: Vec<&str> = list.iter().map(String::as_str).collect();
            let tools = inspector.result(&url, &list).await?;
            let names: Vec<&str> = tools["tools"]
                .as_array()
                .context("tools/list result has no tools")?
                .iter()
                .filter_map(|t| t["name"].as_str())
                .collect();
            assert_eq!(
                names,
                portico_tools::TOOL_NAMES,
                "{era}: tools/list through the Inspector"
            );

            let call = with(&["--method", "tools/call", "--tool-name", "get_organizations"]);
            let call: Vec<&str> = call.iter().map(String::as_str).collect();
            let result = inspector.result(&url, &call).await?;
            assert_ne!(result["isError"], true, "{era}: {result}");
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(text.contains("Acme Inc"), "{era}: {result}");
            // Only a 2026-07-28 result names its server in _meta: the era
            // flag really changed the protocol spoken.
            let modern_meta = result["_meta"]["io.modelcontextprotocol/serverInfo"].is_object();
            assert_eq!(modern_meta, era == "modern", "{era}: {result}");
        }

        let refused = inspector.run(&url, &["--method", "tools/list"]).await?;
        assert_eq!(
            refused.status.code(),
            Some(3),
            "no token: auth_required, stdout {} stderr {}",
            String::from_utf8_lossy(&refused.stdout),
            String::from_utf8_lossy(&refused.stderr)
        );
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
