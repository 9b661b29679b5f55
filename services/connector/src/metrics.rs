//! The connector's metrics (see `portico_runtime::metrics`): upstream Podio
//! calls by status (0 when none came back) with their latency, and the
//! rate-limit headroom Podio last reported.

use std::sync::LazyLock;
use std::time::Duration;

use portico_runtime::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: u16,
}

struct Metrics {
    calls: Family<Status, Counter>,
    seconds: Histogram,
    remaining: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    calls: register(
        "connector_upstream_requests",
        "Requests sent to Podio, by the status it answered (0: no answer: a timeout or a failed connection).",
        Family::default(),
    ),
    seconds: register(
        "connector_upstream_request_duration_seconds",
        "Time Podio took to answer one request.",
        Histogram::new(exponential_buckets(0.005, 2.0, 13)),
    ),
    remaining: register(
        "connector_upstream_rate_limit_remaining",
        "The X-Rate-Limit-Remaining Podio sent last (for the last credential it answered).",
        Gauge::default(),
    ),
});

/// One upstream request answered `status` (0 when none came) after `elapsed`,
/// with Podio's remaining quota if it said.
pub(crate) fn upstream(status: u16, elapsed: Duration, remaining: Option<i64>) {
    METRICS.calls.get_or_create(&Status { status }).inc();
    METRICS.seconds.observe(elapsed.as_secs_f64());
    if let Some(remaining) = remaining {
        METRICS.remaining.set(remaining);
    }
}
