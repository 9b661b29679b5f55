//! Measures MCP tool calls per second, p50/p99 latency, server CPU per call
//! and peak RSS through both shapes, with the real `portico` binary running as
//! separate processes. Run it with `scripts/bench.sh` (which builds release
//! binaries first); results are recorded in BENCHMARKS.md.
//!
//! Each client opens its own MCP session and calls `get_item` on one demo item
//! (one upstream GET per call) in a loop for the measured window.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Args {
    shape: String,
    clients: usize,
    seconds: u64,
    warmup: u64,
    portico: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        shape: "dev".to_owned(),
        clients: 16,
        seconds: 10,
        warmup: 2,
        portico: PathBuf::from("target/release/portico"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--shape" => args.shape = value()?,
            "--clients" => args.clients = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--portico" => args.portico = value()?.into(),
            other => anyhow::bail!(
                "unknown flag {other}; accepted: --shape dev|microservices, --clients N, --seconds N, --warmup N, --portico PATH"
            ),
        }
    }
    anyhow::ensure!(
        matches!(args.shape.as_str(), "dev" | "microservices"),
        "--shape must be dev or microservices"
    );
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

async fn start(
    args: &Args,
) -> anyhow::Result<(
    String,
    String,
    Vec<Proc>,
    Option<portico_tests::PgSchema>,
    Option<String>,
)> {
    let mut env = HashMap::new();
    env.insert(
        "PORTICO_RATE_LIMIT_PER_MINUTE".to_owned(),
        "100000000".to_owned(),
    );
    env.insert(
        "PODIO_SIM_RATE_LIMIT_PER_HOUR".to_owned(),
        "100000000".to_owned(),
    );
    if args.shape == "dev" {
        let mut child = spawn(
            &args.portico,
            &["dev", "--port", "0", "--dev-token", TOKEN],
            &env,
        )?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("MCP endpoint: ") {
                    return anyhow::Ok(url.to_owned());
                }
            }
            anyhow::bail!("portico dev exited before printing its endpoint")
        })
        .await??;
        return Ok((
            url,
            TOKEN.to_owned(),
            vec![Proc {
                name: "portico dev",
                child,
            }],
            None,
            None,
        ));
    }

    let schema = portico_tests::PgSchema::create().await?;
    let prefix = format!("portico-bench:{}:", uuid::Uuid::new_v4().simple());
    let ports: Vec<u16> = (0..5).map(|_| free_port()).collect::<anyhow::Result<_>>()?;
    let [sim, connector, auth, tools, frontdoor] = ports[..] else {
        unreachable!()
    };
    let url = |p: u16| format!("http://127.0.0.1:{p}");
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("PODIO_SIM_LISTEN", format!("127.0.0.1:{sim}"));
    set("PORTICO_CONNECTOR_LISTEN", format!("127.0.0.1:{connector}"));
    set("PORTICO_AUTH_LISTEN", format!("127.0.0.1:{auth}"));
    set("PORTICO_TOOLS_LISTEN", format!("127.0.0.1:{tools}"));
    set("PORTICO_FRONTDOOR_LISTEN", format!("127.0.0.1:{frontdoor}"));
    set("PORTICO_PUBLIC_URL", url(frontdoor));
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
    let mut procs = Vec::new();
    for (name, sub) in [
        ("podio-sim", "podio-sim"),
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
    Ok((
        format!("{}/mcp", url(frontdoor)),
        token,
        procs,
        Some(schema),
        Some(prefix),
    ))
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
            .header("Authorization", &auth)
            .header("Accept", "application/json, text/event-stream")
            .json(&body);
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
        let body: Value = resp.json().await?;
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    portico_tests::install_tls_provider();
    let args = parse_args()?;
    let (url, token, mut procs, schema, prefix) = start(&args).await?;
    let http = portico_tests::http_client(Duration::from_secs(30))
        .pool_max_idle_per_host(args.clients)
        .build()?;
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
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    // Linux reports CPU time in clock ticks of 1/100 s.
    let tick_ms = 10.0;
    println!(
        "shape: {}  clients: {}  window: {} s",
        args.shape, args.clients, args.seconds
    );
    println!(
        "calls/s: {:.0}  p50 ms: {:.2}  p99 ms: {:.2}",
        calls as f64 / args.seconds as f64,
        pct(0.50),
        pct(0.99)
    );
    let mut portico_cpu = 0.0;
    for (i, p) in procs.iter().enumerate() {
        let pid = p.child.id().unwrap_or(0);
        let cpu = (after[i] - before[i]) as f64 * tick_ms / calls as f64;
        if p.name != "podio-sim" {
            portico_cpu += cpu;
        }
        println!(
            "  {:<12} cpu ms/call: {:.3}  peak RSS MiB: {:.1}",
            p.name,
            cpu,
            peak_rss_kib(pid).unwrap_or(0) as f64 / 1024.0
        );
    }
    println!("portico server CPU ms/call (excluding podio-sim process): {portico_cpu:.3}");
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
    Ok(())
}
