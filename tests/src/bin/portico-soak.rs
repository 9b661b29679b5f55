//! A soak: mixed traffic against the microservices shape (every service a
//! process of the real `portico` binary) for a while, sampling each
//! process's resident memory and open file descriptors, the stack's Redis
//! keys and the Postgres connections. The first sample is taken after a
//! warm-up (pools filled, caches primed, the idempotency window turned
//! over), the last at the end; each figure must be flat within 10%.
//!
//! Run it with `scripts/soak.sh` (release build, 10 minutes by default);
//! results are recorded in the README.
//!
//! Traffic, all at once: readers that open a session, make a few reads and
//! close it, again and again; a writer creating items and comments; an
//! OAuth client that refreshes its tokens and calls with each new one; and
//! a token that calls as fast as it can, so it keeps being rate-limited.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use podio_sim::seed;
use portico_tests::oauth::{Authorize, OAuthClient, RawAnswer, RawMcp, loopback_redirect};
use portico_tests::{Stack, redis_keys, start_processes_with};
use reqwest::StatusCode;
use serde_json::json;

/// Allowed growth of each figure from the first sample to the last.
const TOLERANCE: f64 = 0.10;
/// Small counts (file descriptors, keys, connections) may move by this much
/// whatever their size: one socket more is not a leak. Memory has no slack.
const SLACK: f64 = 2.0;

struct Args {
    minutes: f64,
    warmup_secs: u64,
    readers: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        minutes: 10.0,
        warmup_secs: 90,
        readers: 4,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--minutes" => args.minutes = value()?.parse()?,
            "--warmup-secs" => args.warmup_secs = value()?.parse()?,
            "--readers" => args.readers = value()?.parse()?,
            other => anyhow::bail!(
                "unknown flag {other}; accepted: --minutes N, --warmup-secs N, --readers N"
            ),
        }
    }
    anyhow::ensure!(args.minutes > 0.0, "--minutes must be positive");
    Ok(args)
}

/// What the traffic did, by kind and outcome.
#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    failed: AtomicU64,
    limited: AtomicU64,
    sessions: AtomicU64,
    writes: AtomicU64,
    refreshes: AtomicU64,
}

impl Counts {
    fn record(&self, answer: &RawAnswer) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ok = answer.succeeded();
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            self.limited.fetch_add(1, Ordering::Relaxed);
        } else if !ok {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One reading of everything watched: name -> value.
async fn sample(stack: &Stack, pg: &sqlx::PgPool) -> anyhow::Result<BTreeMap<String, f64>> {
    let mut figures = BTreeMap::new();
    for process in &stack.processes {
        let pid = process.pid().context("a process has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let rss_kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS")?;
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count() as f64;
        figures.insert(format!("{} rss (MiB)", process.name), rss_kib / 1024.0);
        figures.insert(format!("{} open fds", process.name), fds);
    }
    let prefix = stack.redis_prefix.as_deref().context("no redis prefix")?;
    let keys = redis_keys(prefix).await?;
    figures.insert("redis keys".to_owned(), keys.len() as f64);
    // By kind (the name after the prefix and any `{…}` hash tag), to show
    // what moves.
    for key in &keys {
        let rest = key.strip_prefix(prefix).unwrap_or(key);
        let rest = match rest.strip_prefix('{') {
            Some(tagged) => tagged.split_once("}:").map_or(tagged, |(_, name)| name),
            None => rest,
        };
        let kind = rest.split(':').next().unwrap_or("?");
        *figures.entry(format!("redis keys: {kind}")).or_insert(0.0) += 1.0;
    }
    let (connections,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(pg)
    .await?;
    figures.insert("postgres connections".to_owned(), connections as f64);
    Ok(figures)
}

async fn readers(stack: Arc<Stack>, counts: Arc<Counts>, until: Instant, id: usize) {
    let url = stack.mcp_url(0);
    while Instant::now() < until {
        let Ok(session) = RawMcp::open(&url, &stack.token).await else {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        counts.sessions.fetch_add(1, Ordering::Relaxed);
        for n in 0..10 {
            let (name, args) = if (n + id).is_multiple_of(2) {
                ("get_organizations", json!({}))
            } else {
                ("get_item", json!({"item_id": seed::DEMO_ITEM_ID}))
            };
            match session.call_tool(name, args).await {
                Ok(answer) => counts.record(&answer),
                Err(_) => {
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Four readers, under a call a second each: below the
            // per-token limit (300 a minute) they share.
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
        let _ = session.close().await;
    }
}

async fn writer(stack: Arc<Stack>, counts: Arc<Counts>, until: Instant) -> anyhow::Result<()> {
    let token = stack.new_api_token("soak writer").await?;
    let session = RawMcp::open(&stack.mcp_url(0), &token).await?;
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let created = session
            .call_tool(
                "create_item",
                json!({"app_id": seed::DEALS_APP_ID, "fields": {"title": format!("Soak deal {n}")}}),
            )
            .await?;
        counts.record(&created);
        counts.writes.fetch_add(1, Ordering::Relaxed);
        let comment = session
            .call_tool(
                "add_comment",
                json!({"item_id": seed::DEMO_ITEM_ID, "text": format!("Soak comment {n}")}),
            )
            .await?;
        counts.record(&comment);
        counts.writes.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    Ok(())
}

async fn refresher(stack: Arc<Stack>, counts: Arc<Counts>, until: Instant) -> anyhow::Result<()> {
    let oauth = OAuthClient::new(&stack)?;
    let redirect = loopback_redirect();
    let (_, client_id) = oauth
        .registered(&json!({"client_name": "Soak agent", "redirect_uris": [redirect]}))
        .await?;
    let request = Authorize::new(&client_id, &redirect).podio_key(seed::DEV_CLIENT_ID);
    let mut tokens = oauth
        .tokens(&request, (seed::CARLA_USERNAME, seed::CARLA_PASSWORD), None)
        .await?;
    while Instant::now() < until {
        tokens = oauth.refreshed(&client_id, &tokens.refresh, None).await?;
        counts.refreshes.fetch_add(1, Ordering::Relaxed);
        let session = RawMcp::open(&stack.mcp_url(0), &tokens.access).await?;
        counts.sessions.fetch_add(1, Ordering::Relaxed);
        counts.record(&session.call_tool("get_organizations", json!({})).await?);
        let _ = session.close().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Ok(())
}

async fn hammer(stack: Arc<Stack>, counts: Arc<Counts>, until: Instant) -> anyhow::Result<()> {
    let token = stack.new_api_token("soak hammer").await?;
    let session = RawMcp::open(&stack.mcp_url(0), &token).await?;
    while Instant::now() < until {
        let answer = session.call_tool("get_organizations", json!({})).await?;
        counts.record(&answer);
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
    Ok(())
}

/// Whether figure `name` has not grown from `start` to `end` by more than
/// the tolerance (a figure that fell, such as connections a client closed,
/// is no leak).
fn flat(name: &str, start: f64, end: f64) -> bool {
    let slack = if name.contains("rss") { 0.0 } else { SLACK };
    end <= start * (1.0 + TOLERANCE) + slack
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // Carla's OAuth client is in the default credential mode, whose hourly
    // quota (40) would stop the refresher within minutes; and the simulated
    // Podio's own hourly budget (5,000 calls a token, as Podio's) would
    // turn most of ten minutes of traffic into rate-limit errors.
    let sim = podio_sim::Config {
        rate_limit_per_hour: 1_000_000,
        ..podio_sim::Config::default()
    };
    let stack = Arc::new(
        start_processes_with(
            sim,
            &[("PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR", "1000000")],
        )
        .await?,
    );
    let pg = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&portico_tests::database_url())
        .await?;
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let until = started
        + Duration::from_secs(args.warmup_secs)
        + Duration::from_secs_f64(args.minutes * 60.0);
    let mut traffic = tokio::task::JoinSet::new();
    for id in 0..args.readers {
        traffic.spawn({
            let (stack, counts) = (stack.clone(), counts.clone());
            async move {
                readers(stack, counts, until, id).await;
                anyhow::Ok(())
            }
        });
    }
    traffic.spawn(writer(stack.clone(), counts.clone(), until));
    traffic.spawn(refresher(stack.clone(), counts.clone(), until));
    traffic.spawn(hammer(stack.clone(), counts.clone(), until));

    tokio::time::sleep(Duration::from_secs(args.warmup_secs)).await;
    let first = sample(&stack, &pg).await?;
    eprintln!(
        "portico-soak: warmed up; measuring for {} minutes",
        args.minutes
    );
    // A reading every minute shows a trend (a leak climbs steadily; an
    // allocator settling climbs and stops) where two readings cannot.
    let mut minute = 0;
    let last_at = until - Duration::from_secs(2);
    while Instant::now() + Duration::from_secs(60) < last_at {
        tokio::time::sleep(Duration::from_secs(60)).await;
        minute += 1;
        let now = sample(&stack, &pg).await?;
        let rss: Vec<String> = now
            .iter()
            .filter(|(name, _)| name.contains("rss"))
            .map(|(name, value)| format!("{} {value:.1}", name.trim_end_matches(" rss (MiB)")))
            .collect();
        eprintln!(
            "portico-soak: minute {minute}: rss MiB {}; redis keys {}",
            rss.join(", "),
            now.get("redis keys").copied().unwrap_or(0.0)
        );
    }
    // The last sample is taken while the traffic still runs, as the first
    // was: the same load, the measured minutes on.
    tokio::time::sleep_until(last_at.into()).await;
    let last = sample(&stack, &pg).await?;
    let mut outcome = Ok(());
    while let Some(done) = traffic.join_next().await {
        if let Err(err) = done.map_err(anyhow::Error::from).and_then(|r| r) {
            outcome = Err(err.context("a traffic task failed"));
        }
    }
    let elapsed = started.elapsed();

    println!(
        "soak: {:.1} min measured after {} s of warm-up ({:.1} min in all)",
        args.minutes,
        args.warmup_secs,
        elapsed.as_secs_f64() / 60.0
    );
    println!(
        "traffic: {} tool calls ({} failed, {} rate-limited), {} sessions opened and closed, {} writes, {} token refreshes",
        counts.calls.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        counts.limited.load(Ordering::Relaxed),
        counts.sessions.load(Ordering::Relaxed),
        counts.writes.load(Ordering::Relaxed),
        counts.refreshes.load(Ordering::Relaxed),
    );
    println!("| figure | start | end | change | flat |");
    println!("| --- | ---: | ---: | ---: | --- |");
    let mut grew = Vec::new();
    let names: std::collections::BTreeSet<&String> = first.keys().chain(last.keys()).collect();
    for name in names {
        let start = first.get(name).copied().unwrap_or(0.0);
        let end = last.get(name).copied().unwrap_or(0.0);
        let start = &start;
        let change = if *start == 0.0 {
            0.0
        } else {
            (end - start) / start * 100.0
        };
        // Kinds of keys are shown to explain the total; only the total
        // must be flat.
        let ok = name.starts_with("redis keys: ") || flat(name, *start, end);
        if !ok {
            grew.push(name.clone());
        }
        println!(
            "| {name} | {start:.1} | {end:.1} | {change:+.1}% | {} |",
            if ok { "yes" } else { "NO" }
        );
    }
    let stack = Arc::into_inner(stack).context("traffic still holds the stack")?;
    stack.stop().await?;
    outcome?;
    anyhow::ensure!(
        counts.limited.load(Ordering::Relaxed) > 0,
        "no call was rate-limited: the mix lacks its 429s"
    );
    let (calls, failed) = (
        counts.calls.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
    );
    anyhow::ensure!(
        failed * 100 <= calls,
        "{failed} of {calls} calls failed (more than 1%): a soak of failures measures nothing"
    );
    anyhow::ensure!(
        grew.is_empty(),
        "not flat within {:.0}%: {}",
        TOLERANCE * 100.0,
        grew.join(", ")
    );
    Ok(())
}
