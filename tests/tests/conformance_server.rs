//! The official MCP conformance suite's server scenarios against plain
//! `portico dev` (no fixture tools), both protocol generations:
//!
//! - 0.2.0-alpha.12 `server --requirements 2026-07-28`;
//! - 0.1.16 `server --suite active` (the legacy generation).
//!
//! The suite cannot send a bearer token, so a small proxy in front adds
//! `Authorization` and leaves `Host` and `Origin` untouched (the
//! DNS-rebinding scenario depends on them); authentication stays on.
//!
//! Scenarios that need the conformance fixture tools, prompts or resources
//! (the `conformance-fixtures` build) are not judged here. Those that apply
//! to a tools server must have every check `SUCCESS` (or `INFO`/`SKIPPED`),
//! except the checks listed with the fixture they need.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use portico_tests::start_dev;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// 2026-07-28 scenarios that apply to plain `portico dev`, each with the
/// checks that need fixtures (and so may be unmet here).
const MODERN: &[(&str, &[&str])] = &[
    (
        "server-stateless",
        &[
            // test_missing_capability, test_streaming_elicitation, test_logging_tool
            "sep-2575-server-rejects-undeclared-capability",
            "sep-2575-missing-capability-http-400",
            "sep-2575-http-server-no-independent-requests-on-stream",
            "sep-2575-server-no-log-without-loglevel",
        ],
    ),
    (
        "caching",
        &[
            // fixture prompts and resources
            "sep-2549-prompts-list-caching-hints",
            "sep-2549-resources-list-caching-hints",
            "sep-2549-resources-templates-list-caching-hints",
        ],
    ),
    ("tools-list", &[]),
    ("server-sse-multiple-streams", &[]),
    ("dns-rebinding-protection", &[]),
    ("input-required-result-unsupported-methods", &[]),
    ("input-required-result-validate-input", &[]),
];

/// Legacy scenarios (0.1.16 active suite) that apply to a tools server.
const LEGACY: &[&str] = &[
    "server-initialize",
    "logging-set-level",
    "ping",
    "tools-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_generations_pass_the_server_scenarios_a_tools_server_can() -> anyhow::Result<()> {
    let suite = setup().await?;
    let stack = start_dev().await?;
    let outcome = async {
        let upstream = stack.frontdoors[0]
            .strip_prefix("http://")
            .context("dev front door is not http")?
            .to_owned();
        let proxy = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/mcp", proxy.local_addr()?);
        let proxy = tokio::spawn(run_proxy(proxy, upstream, stack.token.clone()));
        let modern = suite
            .run(&suite.cli, &url, &["--requirements", "2026-07-28"])
            .await;
        let legacy = suite
            .run(&suite.cli_0_1_16, &url, &["--suite", "active"])
            .await;
        proxy.abort();
        anyhow::Ok((modern?, legacy?))
    }
    .await;
    stack.stop().await?;
    let ((modern, modern_log), (legacy, legacy_log)) = outcome?;

    for (run, log) in [("2026-07-28", &modern_log), ("0.1.16", &legacy_log)] {
        let summary = log
            .lines()
            .filter(|l| l.starts_with("Total"))
            .collect::<Vec<_>>();
        eprintln!("conformance {run}: {}", summary.join(" "));
    }
    let mut unmet = Vec::new();
    for (scenario, needs_fixtures) in MODERN {
        judge("2026-07-28", &modern, scenario, needs_fixtures, &mut unmet);
    }
    for scenario in LEGACY {
        judge("0.1.16", &legacy, scenario, &[], &mut unmet);
    }
    assert!(
        unmet.is_empty(),
        "conformance server scenarios left checks unmet:\n{}\n--- 2026-07-28 ---\n{modern_log}\n--- 0.1.16 ---\n{legacy_log}",
        unmet.join("\n")
    );
    Ok(())
}

fn judge(
    run: &str,
    scenarios: &BTreeMap<String, Vec<Value>>,
    scenario: &str,
    needs_fixtures: &[&str],
    unmet: &mut Vec<String>,
) {
    let Some(checks) = scenarios.get(scenario).filter(|c| !c.is_empty()) else {
        unmet.push(format!("{run} {scenario}: did not run"));
        return;
    };
    for check in checks {
        let id = check["id"].as_str().unwrap_or_default();
        let passed = matches!(
            check["status"].as_str(),
            Some("SUCCESS" | "INFO" | "SKIPPED")
        );
        if !passed && !needs_fixtures.contains(&id) {
            unmet.push(format!(
                "{run} {scenario}: {id} {} {}",
                check["status"],
                check["errorMessage"].as_str().unwrap_or_default()
            ));
        }
    }
}

/// What tests/conformance/setup.sh installed.
struct Suite {
    node: PathBuf,
    cli: PathBuf,
    cli_0_1_16: PathBuf,
}

async fn setup() -> anyhow::Result<Suite> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/setup.sh");
    let mut found =
        portico_tests::script::setup(&script, &["node", "conformance", "conformance_0_1_16"])
            .await?;
    let mut take = |key: &str| found.remove(key).unwrap_or_default();
    Ok(Suite {
        node: take("node"),
        cli: take("conformance"),
        cli_0_1_16: take("conformance_0_1_16"),
    })
}

impl Suite {
    /// Runs `conformance server` and reads back every scenario's checks. The
    /// exit status is not used: scenarios needing fixtures fail here.
    async fn run(
        &self,
        cli: &Path,
        url: &str,
        args: &[&str],
    ) -> anyhow::Result<(BTreeMap<String, Vec<Value>>, String)> {
        let out = std::env::temp_dir().join(format!(
            "portico-conformance-server-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let output = tokio::time::timeout(
            Duration::from_secs(600),
            Command::new(&self.node)
                .arg(cli)
                .args(["server", "--url", url])
                .args(args)
                .arg("-o")
                .arg(&out)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .context("conformance server took over 600 s")??;
        let log = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let scenarios = read_checks(&out).await;
        let _ = tokio::fs::remove_dir_all(&out).await;
        Ok((scenarios?, log))
    }
}

/// `<out>/server-<scenario>-<timestamp>/checks.json`, by scenario.
async fn read_checks(out: &Path) -> anyhow::Result<BTreeMap<String, Vec<Value>>> {
    let mut scenarios = BTreeMap::new();
    let mut entries = tokio::fs::read_dir(out)
        .await
        .with_context(|| format!("the suite wrote no results to {}", out.display()))?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("server-") else {
            continue;
        };
        let scenario = strip_timestamp(rest).to_owned();
        // A scenario that crashed leaves its folder without checks; it then
        // counts as run with no check passed, and is reported as unmet.
        let checks = match tokio::fs::read_to_string(entry.path().join("checks.json")).await {
            Ok(text) => serde_json::from_str(&text)?,
            Err(_) => Vec::new(),
        };
        scenarios.insert(scenario, checks);
    }
    Ok(scenarios)
}

/// `tools-list-2026-12-02T06-57-20-359Z` → `tools-list`: cut at the first
/// `-YYYY-MM-DDT` (a `-20` can also occur in the minutes or seconds).
fn strip_timestamp(name: &str) -> &str {
    let bytes = name.as_bytes();
    let is_stamp = |at: usize| {
        let digits = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        bytes.get(at) == Some(&b'-')
            && digits(at + 1..at + 5)
            && bytes.get(at + 5) == Some(&b'-')
            && digits(at + 6..at + 8)
            && bytes.get(at + 8) == Some(&b'-')
            && digits(at + 9..at + 11)
            && bytes.get(at + 11) == Some(&b'T')
    };
    (0..bytes.len())
        .find(|&at| is_stamp(at))
        .map_or(name, |at| &name[..at])
}

#[test]
fn result_folders_name_their_scenario() {
    assert_eq!(
        strip_timestamp("tools-list-2026-12-02T06-57-20-359Z"),
        "tools-list"
    );
    assert_eq!(
        strip_timestamp("input-required-result-basic-sampling-2026-12-02T06-20-20-020Z"),
        "input-required-result-basic-sampling"
    );
}

/// Forwards each connection to `upstream` with `Authorization: Bearer
/// <token>` added to the request head, and `Connection: close` so each
/// connection carries one request (the head is all the proxy parses).
/// Every other header, `Host` and `Origin` included, passes unchanged.
async fn run_proxy(listener: TcpListener, upstream: String, token: String) {
    while let Ok((client, _)) = listener.accept().await {
        let (upstream, token) = (upstream.clone(), token.clone());
        tokio::spawn(async move {
            let _ = forward(client, &upstream, &token).await;
        });
    }
}

async fn forward(mut client: TcpStream, upstream: &str, token: &str) -> anyhow::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        anyhow::ensure!(head.len() < 64 * 1024, "request head too large");
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.trim_end().split("\r\n");
    let mut rewritten = format!("{}\r\n", lines.next().unwrap_or_default());
    for line in lines {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name != "authorization" && name != "connection" && name != "keep-alive" {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str(&format!(
        "authorization: Bearer {token}\r\nconnection: close\r\n\r\n"
    ));
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(rewritten.as_bytes()).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}
