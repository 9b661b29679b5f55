//! The official MCP conformance suite's server scenarios, both protocol
//! generations, against two builds:
//!
//! - 0.2.0-alpha.12 `server --requirements 2026-07-28`;
//! - 0.1.16 `server --suite active` (the legacy generation).
//!
//! **Plain `portico dev`** (the normal build, no fixtures): the scenarios
//! that apply to a tools server must have every check `SUCCESS` (or
//! `INFO`/`SKIPPED`), except the checks listed with the fixture they need.
//!
//! **The `conformance-fixtures` build**: `portico` is built once per test
//! run with `cargo build -p portico --features conformance-fixtures --bin
//! portico` into the shared target directory (about 35 s of a 2-core
//! machine after a normal build: only `portico-tools` and the `portico`
//! crate are compiled again; nothing when it is up to date), copied out so
//! a concurrent normal build cannot replace it, and run as `portico dev
//! --port 0`. Every scenario of both runs (every scored one, for
//! 2026-07-28) must pass, check by check, except the exceptions below,
//! which are listed with their reasons in the README's Conformance section;
//! an exception that starts passing fails the test too, so the list stays
//! true.
//!
//! The suite cannot send a bearer token, so a small proxy in front adds
//! `Authorization` and leaves `Host` and `Origin` untouched (the
//! DNS-rebinding scenario depends on them); authentication stays on.

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
            // fixture prompts and resources (unknown methods without them)
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

/// Every check of the scenario.
const ALL: &[&str] = &["*"];

/// What the `conformance-fixtures` build does not pass, 0.1.16: nothing.
/// Mirrored in the README.
const LEGACY_FIXTURE_EXCEPTIONS: &[(&str, &[&str])] = &[];

/// What the `conformance-fixtures` build does not pass, 2026-07-28 (scored
/// scenarios only): nothing. Mirrored in the README.
const MODERN_FIXTURE_EXCEPTIONS: &[(&str, &[&str])] = &[];

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixtures_build_passes_every_scenario_but_the_listed_exceptions() -> anyhow::Result<()>
{
    let suite = setup().await?;
    let binary = fixtures_binary().await?;
    let outcome = async {
        let dev = FixturesDev::start(&binary.0).await?;
        let proxy = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/mcp", proxy.local_addr()?);
        let proxy = tokio::spawn(run_proxy(proxy, dev.upstream.clone(), dev.token.clone()));
        let scored = suite.scored("2026-07-28").await;
        let modern = suite
            .run(&suite.cli, &url, &["--requirements", "2026-07-28"])
            .await;
        let legacy = suite
            .run(&suite.cli_0_1_16, &url, &["--suite", "active"])
            .await;
        proxy.abort();
        dev.stop().await;
        anyhow::Ok((scored?, modern?, legacy?))
    }
    .await;
    let (scored, (modern, modern_log), (legacy, legacy_log)) = outcome?;

    let mut unmet = Vec::new();
    let mut passed = BTreeMap::new();
    for (run, results, wanted, exceptions) in [
        ("2026-07-28", &modern, scored, MODERN_FIXTURE_EXCEPTIONS),
        (
            "0.1.16",
            &legacy,
            legacy.keys().cloned().collect(),
            LEGACY_FIXTURE_EXCEPTIONS,
        ),
    ] {
        let mut count = 0;
        for scenario in &wanted {
            let excepted = exceptions
                .iter()
                .find(|(name, _)| name == scenario)
                .map_or(&[][..], |(_, checks)| *checks);
            if judge_fixtures(run, results, scenario, excepted, &mut unmet) {
                count += 1;
            }
        }
        for (scenario, _) in exceptions {
            if !wanted.iter().any(|w| w == scenario) {
                unmet.push(format!(
                    "{run} {scenario}: listed as an exception but not run"
                ));
            }
        }
        passed.insert(run, (count, wanted.len()));
    }
    for (run, (count, of)) in &passed {
        eprintln!("conformance {run} (fixtures build): {count} of {of} scenarios pass every check");
    }
    assert!(
        unmet.is_empty(),
        "the fixtures build left conformance checks unmet:\n{}\n--- 2026-07-28 ---\n{modern_log}\n--- 0.1.16 ---\n{legacy_log}",
        unmet.join("\n")
    );
    Ok(())
}

/// Judges one scenario of the fixtures build: true when every check
/// passed. Checks named in `excepted` (or all, with [`ALL`]) may fail, but
/// at least one of them must, or the exception is stale.
fn judge_fixtures(
    run: &str,
    scenarios: &BTreeMap<String, Vec<Value>>,
    scenario: &str,
    excepted: &[&str],
    unmet: &mut Vec<String>,
) -> bool {
    let Some(checks) = scenarios.get(scenario).filter(|c| !c.is_empty()) else {
        unmet.push(format!("{run} {scenario}: did not run"));
        return false;
    };
    let mut all_passed = true;
    for check in checks {
        let id = check["id"].as_str().unwrap_or_default();
        if passed(check) {
            continue;
        }
        all_passed = false;
        if !(excepted == ALL || excepted.contains(&id)) {
            unmet.push(format!(
                "{run} {scenario}: {id} {} {}",
                check["status"],
                check["errorMessage"].as_str().unwrap_or_default()
            ));
        }
    }
    if all_passed && !excepted.is_empty() {
        unmet.push(format!(
            "{run} {scenario}: passes now; drop it from the exceptions here and in the README"
        ));
    }
    all_passed
}

fn passed(check: &Value) -> bool {
    matches!(
        check["status"].as_str(),
        Some("SUCCESS" | "INFO" | "SKIPPED")
    )
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
        if !passed(check) && !needs_fixtures.contains(&id) {
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

impl Suite {
    /// The server scenarios `revision` scores, from `list --requirements`
    /// (the run's summary also reports the ones it does not score).
    async fn scored(&self, revision: &str) -> anyhow::Result<Vec<String>> {
        let output = Command::new(&self.node)
            .arg(&self.cli)
            .args(["list", "--requirements", revision])
            .kill_on_drop(true)
            .output()
            .await?;
        let text = String::from_utf8_lossy(&output.stdout);
        let scenarios: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("Server scenarios"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(str::to_owned)
            .collect();
        anyhow::ensure!(
            !scenarios.is_empty(),
            "conformance list --requirements {revision} named no server scenario: {text}"
        );
        Ok(scenarios)
    }
}

/// The fixtures build's binary, copied out of the target directory; removed
/// when dropped.
struct FixturesBinary(PathBuf);

impl Drop for FixturesBinary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Builds `portico` with `--features conformance-fixtures` in the shared
/// target directory (cargo's own lock orders it with other builds) and
/// copies the executable cargo reports to a private path.
async fn fixtures_binary() -> anyhow::Result<FixturesBinary> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the tests crate has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "-p",
        "portico",
        "--features",
        "conformance-fixtures",
        "--bin",
        "portico",
        "--message-format=json-render-diagnostics",
    ]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = tokio::time::timeout(
        Duration::from_secs(1800),
        command.kill_on_drop(true).output(),
    )
    .await
    .context("building the conformance-fixtures portico took over 30 minutes")??;
    anyhow::ensure!(
        output.status.success(),
        "cargo build --features conformance-fixtures failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let built = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "portico")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo reported no portico executable")?;
    let copy = std::env::temp_dir().join(format!(
        "portico-conformance-fixtures-{}",
        uuid::Uuid::new_v4().simple()
    ));
    tokio::fs::copy(&built, &copy)
        .await
        .with_context(|| format!("copying {}", built.display()))?;
    Ok(FixturesBinary(copy))
}

/// `portico dev --port 0` of the fixtures build, as a child process.
struct FixturesDev {
    child: tokio::process::Child,
    /// `host:port` of its front door.
    upstream: String,
    token: String,
}

impl FixturesDev {
    async fn start(binary: &Path) -> anyhow::Result<FixturesDev> {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = Command::new(binary)
            .args(["dev", "--port", "0"])
            // Always the built-in Podio simulator.
            .env_remove("PORTICO_PODIO_API_URL")
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the conformance-fixtures portico dev")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let (mut endpoint, mut token) = (None, None);
        let read = async {
            while endpoint.is_none() || token.is_none() {
                let Some(line) = lines.next_line().await? else {
                    anyhow::bail!("portico dev exited before printing its endpoint and token");
                };
                if let Some(url) = line.strip_prefix("MCP endpoint: ") {
                    endpoint = Some(url.trim().to_owned());
                } else if let Some(t) = line.strip_prefix("Dev token: ") {
                    token = Some(t.trim().to_owned());
                }
            }
            anyhow::Ok(())
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .context("portico dev printed no endpoint within 60 s")??;
        let (endpoint, token) = (endpoint.unwrap_or_default(), token.unwrap_or_default());
        let upstream = endpoint
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix("/mcp"))
            .with_context(|| format!("unexpected MCP endpoint {endpoint}"))?
            .to_owned();
        portico_tests::wait_ready(&format!("http://{upstream}/ready")).await?;
        Ok(FixturesDev {
            child,
            upstream,
            token,
        })
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
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
