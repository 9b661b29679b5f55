//! Measures MCP tool calls per second, p50/p99 latency, server CPU per call
//! and peak RSS through both shapes, with the real `portico` binary running as
//! separate processes, beside a baseline measured in the same run: a bare
//! rmcp server with one `get_item` tool (`rmcp-baseline`). Run it with
//! `scripts/bench.sh` (which builds release binaries first); results are
//! recorded in BENCHMARKS.md.
//!
//! Each client opens its own MCP session and calls `get_item` on one demo item
//! (one upstream GET per call) in a loop for the measured window. podio-sim
//! runs in its own process as every shape's upstream (with `--latency-ms`, it
//! holds each answer back that long, as a distant Podio would), and its CPU
//! is reported apart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Args {
    shapes: Vec<String>,
    clients: usize,
    seconds: u64,
    warmup: u64,
    latency_ms: u64,
    portico: PathBuf,
    baseline: PathBuf,
}

/// Every shape, in the order `--shape all` runs them.
const SHAPES: [&str; 3] = ["baseline", "dev", "microservices"];

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        shapes: SHAPES.iter().map(|s| (*s).to_owned()).collect(),
        clients: 16,
        seconds: 10,
        warmup: 2,
        latency_ms: 0,
        portico: PathBuf::from("target/release/portico"),
        baseline: PathBuf::from("target/release/rmcp-baseline"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--shape" => {
                let shape = value()?;
                args.shapes = if shape == "all" {
                    SHAPES.iter().map(|s| (*s).to_owned()).collect()
                } else {
                    vec![shape]
                };
            }
            "--latency-ms" => args.latency_ms = value()?.parse()?,
            "--baseline" => args.baseline = value()?.into(),
            "--clients" => args.clients = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--portico" => args.portico = value()?.into(),
            other => anyhow::bail!(
                "unknown flag {other}; accepted: --shape all|baseline|dev|microservices, --clients N, --seconds N, --warmup N, --latency-ms N, --portico PATH, --baseline PATH"
            ),
        }
    }
    for shape in &args.shapes {
        anyhow::ensure!(
            SHAPES.contains(&shape.as_str()),
            "--shape {shape}: expected all, baseline, dev or microservices"
        );
    }
    Ok(args)
}

/// A server process and the role it plays.
struct Proc {
    name: &'static str,
    child: Child,
}

fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')').context("odd /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn spawn(portico: &PathBuf, args: &[&str], env: &HashMap<String, String>) -> anyhow::Result<Child> {
    Command::new(portico)
        .args(args)
        .envs(env)
        .env("PORTICO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "starting {} (build it with scripts/bench.sh)",
                portico.display()
            )
        })
}

const TOKEN: &str = "bench-token-0123456789abcdef";

/// The rest of the first line of `child`'s stdout that starts with
/// `prefix`, within 30 s.
async fn announced(child: &mut Child, prefix: &str) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix(prefix) {
                return anyhow::Ok(rest.to_owned());
            }
        }
        anyhow::bail!("the server exited before printing {prefix:?}")
    })
    .await??;
    // Keep reading what it prints later: a closed pipe would make its next
    // line fail.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(found)
}

/// What a started shape is: where to call it, with which token, its
/// processes (podio-sim first), and what to clean up.
struct Started {
    url: String,
    token: String,
    procs: Vec<Proc>,
    schema: Option<portico_tests::PgSchema>,
    prefix: Option<String>,
}

async fn start(args: &Args, shape: &str) -> anyhow::Result<Started> {
    let mut env = HashMap::new();
    env.insert(
        "PORTICO_RATE_LIMIT_PER_MINUTE".to_owned(),
        "100000000".to_owned(),
    );
    env.insert(
        "PODIO_SIM_RATE_LIMIT_PER_HOUR".to_owned(),
        "100000000".to_owned(),
    );
    let url = |p: u16| format!("http://127.0.0.1:{p}");
    // Every shape's upstream: podio-sim in its own process.
    let sim = free_port()?;
    env.insert("PODIO_SIM_LISTEN".to_owned(), format!("127.0.0.1:{sim}"));
    env.insert(
        "PODIO_SIM_LATENCY_MS".to_owned(),
        args.latency_ms.to_string(),
    );
    let mut procs = vec![Proc {
        name: "podio-sim",
        child: spawn(&args.portico, &["podio-sim"], &env)?,
    }];
    portico_tests::wait_ready(&format!("{}/health", url(sim))).await?;
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("PORTICO_PODIO_API_URL", url(sim));
    set(
        "PORTICO_PODIO_CLIENT_ID",
        podio_sim::seed::DEV_CLIENT_ID.to_owned(),
    );
    set(
        "PORTICO_PODIO_CLIENT_SECRET",
        podio_sim::seed::DEV_CLIENT_SECRET.to_owned(),
    );
    set(
        "PORTICO_PODIO_USERNAME",
        podio_sim::seed::DEV_USERNAME.to_owned(),
    );
    set(
        "PORTICO_PODIO_PASSWORD",
        podio_sim::seed::DEV_PASSWORD.to_owned(),
    );

    if shape == "baseline" {
        let mut child = Command::new(&args.baseline)
            .args(["--listen", "127.0.0.1:0", "--upstream", &url(sim)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it with scripts/bench.sh)",
                    args.baseline.display()
                )
            })?;
        let endpoint = announced(&mut child, "MCP endpoint: ").await?;
        procs.push(Proc {
            name: "rmcp baseline",
            child,
        });
        return Ok(Started {
            url: endpoint,
            token: String::new(),
            procs,
            schema: None,
            prefix: None,
        });
    }
    if shape == "dev" {
        let mut child = spawn(
            &args.portico,
            &["dev", "--port", "0", "--dev-token", TOKEN],
            &env,
        )?;
        let endpoint = announced(&mut child, "MCP endpoint: ").await?;
        procs.push(Proc {
            name: "portico dev",
            child,
        });
        return Ok(Started {
            url: endpoint,
            token: TOKEN.to_owned(),
            procs,
            schema: None,
            prefix: None,
        });
    }

    let schema = portico_tests::PgSchema::create().await?;
    let prefix = format!("portico-bench:{}:", uuid::Uuid::new_v4().simple());
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect::<anyhow::Result<_>>()?;
    let [connector, auth, tools, frontdoor] = ports[..] else {
        unreachable!()
    };
    set("PORTICO_CONNECTOR_LISTEN", format!("127.0.0.1:{connector}"));
    set("PORTICO_AUTH_LISTEN", format!("127.0.0.1:{auth}"));
    set("PORTICO_TOOLS_LISTEN", format!("127.0.0.1:{tools}"));
    set("PORTICO_FRONTDOOR_LISTEN", format!("127.0.0.1:{frontdoor}"));
    set("PORTICO_PUBLIC_URL", url(frontdoor));
    set("PORTICO_AUTH_URL", url(auth));
    set("PORTICO_TOOLS_URL", url(tools));
    set("PORTICO_CONNECTOR_URL", url(connector));
    set("DATABASE_URL", schema.url.clone());
    // Admin RPCs are refused without a secret; the auth service and
    // `portico admin` read the same one from this environment.
    set(
        "PORTICO_ADMIN_SECRET",
        format!("bench-{}", uuid::Uuid::new_v4().simple()),
    );
    set("REDIS_URL", portico_tests::redis_url());
    set("PORTICO_REDIS_PREFIX", prefix.clone());
    for (name, sub) in [
        ("connector", "connector"),
        ("auth", "auth"),
        ("tools", "tools"),
        ("frontdoor", "frontdoor"),
    ] {
        procs.push(Proc {
            name,
            child: spawn(&args.portico, &[sub], &env)?,
        });
    }
    portico_tests::wait_ready(&format!("{}/ready", url(frontdoor))).await?;
    let out = Command::new(&args.portico)
        .args(["admin", "token", "create", "--name", "bench"])
        .envs(&env)
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)?.trim().to_owned();
    Ok(Started {
        url: format!("{}/mcp", url(frontdoor)),
        token,
        procs,
        schema: Some(schema),
        prefix: Some(prefix),
    })
}

/// The JSON-RPC answer of a response, whether it came as JSON or as a
/// one-event SSE stream (rmcp answers legacy sessions so).
async fn answer(response: reqwest::Response) -> anyhow::Result<Value> {
    let sse = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    let text = response.text().await?;
    if !sse {
        return Ok(serde_json::from_str(&text)?);
    }
    let data = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .rfind(|data| data.contains("\"jsonrpc\""))
        .context("an event stream without a JSON-RPC message")?;
    Ok(serde_json::from_str(data)?)
}

async fn client_loop(
    http: reqwest::Client,
    url: String,
    token: String,
    start_at: Instant,
    end_at: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let auth = format!("Bearer {token}");
    let post = |body: Value, session: Option<&str>| {
        let mut req = http
            .post(&url)
            .header("Accept", "application/json, text/event-stream")
            .json(&body);
        if !token.is_empty() {
            req = req.header("Authorization", &auth);
        }
        if let Some(s) = session {
            req = req
                .header("Mcp-Session-Id", s)
                .header("MCP-Protocol-Version", "2025-11-25");
        }
        req.send()
    };
    let init = post(json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}), None).await?;
    let session = init
        .headers()
        .get("mcp-session-id")
        .context("no session id")?
        .to_str()?
        .to_owned();
    post(
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        Some(&session),
    )
    .await?;
    let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_item","arguments":{"item_id": podio_sim::seed::DEMO_ITEM_ID}}});
    let mut latencies = Vec::new();
    loop {
        let t = Instant::now();
        if t >= end_at {
            break;
        }
        let resp = post(call.clone(), Some(&session)).await?;
        let status = resp.status();
        let body = answer(resp).await?;
        anyhow::ensure!(
            status == 200 && body["result"]["isError"] == json!(false),
            "call failed: {status} {body}"
        );
        if t >= start_at {
            latencies.push(t.elapsed());
        }
    }
    Ok(latencies)
}

/// One shape's figures.
struct Measured {
    shape: String,
    calls_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Server CPU per call of the shape's own processes (not podio-sim's).
    cpu_ms: f64,
}

async fn run(args: &Args, shape: &str, http: &reqwest::Client) -> anyhow::Result<Measured> {
    let Started {
        url,
        token,
        mut procs,
        schema,
        prefix,
    } = start(args, shape).await?;
    let now = Instant::now();
    let start_at = now + Duration::from_secs(args.warmup);
    let end_at = start_at + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| {
            tokio::spawn(client_loop(
                http.clone(),
                url.clone(),
                token.clone(),
                start_at,
                end_at,
            ))
        })
        .collect();
    tokio::time::sleep_until(start_at.into()).await;
    let before: Vec<u64> = procs
        .iter()
        .map(|p| cpu_ticks(p.child.id().unwrap_or(0)).unwrap_or(0))
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let after: Vec<u64> = procs
        .iter()
        .map(|p| cpu_ticks(p.child.id().unwrap_or(0)).unwrap_or(0))
        .collect();
    latencies.sort_unstable();
    let calls = latencies.len().max(1);
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))]
            .as_secs_f64()
            * 1000.0
    };
    // Linux reports CPU time in clock ticks of 1/100 s.
    let tick_ms = 10.0;
    let measured_calls_per_sec = calls as f64 / args.seconds as f64;
    println!(
        "shape: {shape}  clients: {}  window: {} s  upstream latency: {} ms",
        args.clients, args.seconds, args.latency_ms
    );
    println!(
        "calls/s: {measured_calls_per_sec:.0}  p50 ms: {:.2}  p99 ms: {:.2}",
        pct(0.50),
        pct(0.99)
    );
    let mut server_cpu = 0.0;
    for (i, p) in procs.iter().enumerate() {
        let pid = p.child.id().unwrap_or(0);
        let cpu = (after[i] - before[i]) as f64 * tick_ms / calls as f64;
        if p.name != "podio-sim" {
            server_cpu += cpu;
        }
        println!(
            "  {:<14} cpu ms/call: {:.3}  peak RSS MiB: {:.1}",
            p.name,
            cpu,
            peak_rss_kib(pid).unwrap_or(0) as f64 / 1024.0
        );
    }
    println!("server CPU ms/call (excluding podio-sim): {server_cpu:.3}");
    println!();
    let measured = Measured {
        shape: shape.to_owned(),
        calls_per_sec: measured_calls_per_sec,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        cpu_ms: server_cpu,
    };
    for p in &mut procs {
        let _ = p.child.start_kill();
        let _ = p.child.wait().await;
    }
    if let Some(schema) = schema {
        schema.drop_schema().await?;
    }
    if let Some(prefix) = prefix {
        portico_tests::redis_cleanup(&prefix).await?;
    }
    Ok(measured)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    portico_tests::install_tls_provider();
    let args = parse_args()?;
    let http = portico_tests::http_client(Duration::from_secs(30))
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let mut results = Vec::new();
    for shape in &args.shapes {
        results.push(run(&args, shape, &http).await?);
    }
    let baseline = results
        .iter()
        .find(|m| m.shape == "baseline")
        .map(|m| m.cpu_ms);
    println!("| shape | calls/s | p50 ms | p99 ms | server CPU ms/call | vs baseline |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for m in &results {
        let ratio = baseline
            .filter(|b| *b > 0.0)
            .map_or("n/a".to_owned(), |b| format!("{:.2}x", m.cpu_ms / b));
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.3} | {ratio} |",
            m.shape, m.calls_per_sec, m.p50_ms, m.p99_ms, m.cpu_ms
        );
    }
    Ok(())
}
