//! The microservices shape as separate processes of the real `portico`
//! binary (auth, connector, tools, front door), started exactly as an
//! operator starts them: a subcommand, its environment, port 0. What only a
//! process shows (its own `/metrics` registry, its log lines, its `--help`,
//! the admin CLI) is tested against these.
//!
//! Each process logs JSON; the harness reads the bound addresses off its
//! `… listening` lines and keeps every line, so a test can grep them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How long a process may take to log that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a process may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The `portico` binary of this build: `PORTICO_BIN` when set, else the one
/// cargo built beside this test (`target/<profile>/portico`). Cargo does not
/// build it for this crate's tests: `scripts/test.sh` runs `cargo build
/// --bin portico` first; do the same when running these tests alone.
pub fn portico_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("PORTICO_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the test executable")?;
    // target/<profile>/deps/<test> -> target/<profile>/portico
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test executable is not inside a cargo target directory")?;
    let binary = profile_dir.join("portico");
    anyhow::ensure!(
        binary.is_file(),
        "{} does not exist: build it with `cargo build --bin portico` (a workspace \
         test run builds it) or set PORTICO_BIN",
        binary.display()
    );
    Ok(binary)
}

/// Runs `portico <args>` to completion with only `env` set (no inherited
/// environment), returning its exit status, stdout and stderr.
pub async fn run_portico(
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<(std::process::ExitStatus, String, String)> {
    let mut command = Command::new(portico_binary()?);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .with_context(|| format!("portico {args:?} did not finish within 60 s"))?
        .with_context(|| format!("running portico {args:?}"))?;
    Ok((
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// One running `portico <subcommand>` process.
pub struct Process {
    /// The subcommand, e.g. `auth`.
    pub name: String,
    /// Where its service listens (HTTP for the front door, gRPC otherwise).
    pub addr: SocketAddr,
    /// Where its `/metrics` listener is.
    pub metrics: SocketAddr,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `portico <subcommand>` with only `env` set (plus JSON logs and
    /// a metrics listener on a free port) and waits until it logs both of
    /// its listening addresses.
    pub async fn start(subcommand: &str, env: &[(&str, &str)]) -> anyhow::Result<Process> {
        let mut child = Command::new(portico_binary()?)
            .arg(subcommand)
            .env_clear()
            .env("PORTICO_LOG_FORMAT", "json")
            .env("PORTICO_LOG", "info")
            .env(portico_runtime::metrics::LISTEN_VAR, "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting portico {subcommand}"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(collect(out, lines.clone(), tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(collect(err, lines.clone(), tx));
        }
        let service_line = format!("{subcommand} listening");
        let (mut addr, mut metrics) = (None, None);
        let waited = tokio::time::timeout(START_TIMEOUT, async {
            while addr.is_none() || metrics.is_none() {
                let Some(line) = rx.recv().await else {
                    anyhow::bail!("portico {subcommand} exited before it listened");
                };
                let Some((message, at)) = listening(&line) else {
                    continue;
                };
                if message == "metrics listening" {
                    metrics = Some(at);
                } else if message == service_line {
                    addr = Some(at);
                }
            }
            anyhow::Ok(())
        })
        .await;
        let failed = match waited {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(err),
            Err(_) => Some(anyhow::anyhow!(
                "portico {subcommand} did not listen within {START_TIMEOUT:?}"
            )),
        };
        let log = || {
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .join("\n")
        };
        if let Some(err) = failed {
            let _ = child.start_kill();
            return Err(err.context(format!("its output:\n{}", log())));
        }
        let (Some(addr), Some(metrics)) = (addr, metrics) else {
            anyhow::bail!("portico {subcommand}: addresses missing:\n{}", log());
        };
        Ok(Process {
            name: subcommand.to_owned(),
            addr,
            metrics,
            child,
            lines,
        })
    }

    /// The operating system's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://<metrics addr>/metrics`.
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics)
    }

    /// Every line the process has written so far (stdout and stderr).
    pub fn log(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let status = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await
                .context("running kill")?;
            anyhow::ensure!(status.success(), "kill -TERM {pid} failed");
        }
        let status = tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .with_context(|| format!("portico {} ignored SIGTERM", self.name))??;
        anyhow::ensure!(
            status.success(),
            "portico {} exited with {status}:\n{}",
            self.name,
            self.log().join("\n")
        );
        Ok(())
    }
}

/// The message and `addr` of a JSON log line that says something listens.
fn listening(line: &str) -> Option<(String, SocketAddr)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = &value["fields"];
    let message = fields["message"].as_str()?;
    if !message.ends_with(" listening") {
        return None;
    }
    let addr = fields["addr"].as_str()?.parse().ok()?;
    Some((message.to_owned(), addr))
}

async fn collect(
    stream: impl AsyncRead + Unpin,
    lines: Arc<Mutex<Vec<String>>>,
    tx: mpsc::UnboundedSender<String>,
) {
    let mut reader = BufReader::new(stream).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line.clone());
        let _ = tx.send(line);
    }
}
