//! The front door's metrics (see `portico_runtime::metrics`): HTTP requests
//! by route and status with their latency, tool calls by tool and outcome
//! with their latency, rate-limit refusals by tier, and legacy sessions
//! opened. Labels come from closed sets only: the router's route patterns,
//! status codes, the tool names the catalog lists, the tier names here.

use std::sync::LazyLock;
use std::time::Duration;

use portico_runtime::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// Latency buckets from 1 ms to about 16 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteStatus {
    pub(crate) route: &'static str,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Route {
    pub(crate) route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ToolOutcome {
    pub(crate) tool: String,
    pub(crate) outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Tool {
    pub(crate) tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Tier {
    pub(crate) tier: &'static str,
}

/// The front door's metric families.
pub(crate) struct Metrics {
    requests: Family<RouteStatus, Counter>,
    request_seconds: Family<Route, Histogram, fn() -> Histogram>,
    tool_calls: Family<ToolOutcome, Counter>,
    tool_call_seconds: Family<Tool, Histogram, fn() -> Histogram>,
    rate_limited: Family<Tier, Counter>,
    sessions_opened: Counter,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    requests: register(
        "frontdoor_http_requests",
        "HTTP requests answered by the front door, by route and status.",
        Family::default(),
    ),
    request_seconds: register(
        "frontdoor_http_request_duration_seconds",
        "Time to the response head, by route (a stream's body may go on).",
        Family::new_with_constructor(latency as fn() -> Histogram),
    ),
    tool_calls: register(
        "frontdoor_tool_calls",
        "MCP tool calls, by tool and outcome (ok, tool_error, input_required, error).",
        Family::default(),
    ),
    tool_call_seconds: register(
        "frontdoor_tool_call_duration_seconds",
        "MCP tool calls' time to their result, by tool.",
        Family::new_with_constructor(latency as fn() -> Histogram),
    ),
    rate_limited: register(
        "frontdoor_rate_limited",
        "Requests refused by a rate limit, by tier (minute, default_mode_hour, client, in_flight, failed_auth).",
        Family::default(),
    ),
    sessions_opened: register(
        "frontdoor_legacy_sessions_opened",
        "Legacy (2025-11-25 and earlier) MCP sessions opened.",
        Counter::default(),
    ),
});

/// One answered HTTP request.
pub(crate) fn request(route: &'static str, status: u16, elapsed: Duration) {
    METRICS
        .requests
        .get_or_create(&RouteStatus { route, status })
        .inc();
    METRICS
        .request_seconds
        .get_or_create(&Route { route })
        .observe(elapsed.as_secs_f64());
}

/// One finished tool call of a tool the catalog lists (`tool`), or of an
/// unknown name (pass `"unknown"`).
pub(crate) fn tool_call(tool: &str, outcome: &'static str, elapsed: Duration) {
    let tool = tool.to_owned();
    METRICS
        .tool_calls
        .get_or_create(&ToolOutcome {
            tool: tool.clone(),
            outcome,
        })
        .inc();
    METRICS
        .tool_call_seconds
        .get_or_create(&Tool { tool })
        .observe(elapsed.as_secs_f64());
}

/// One request refused by `tier`.
pub(crate) fn rate_limited(tier: &'static str) {
    METRICS.rate_limited.get_or_create(&Tier { tier }).inc();
}

/// One legacy session opened.
pub(crate) fn session_opened() {
    METRICS.sessions_opened.inc();
}
