//! The tools service's metrics (see `portico_runtime::metrics`): how often
//! a caller's token was found in the introspection cache.

use std::sync::LazyLock;

use portico_runtime::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

static LOOKUPS: LazyLock<Family<Outcome, Counter>> = LazyLock::new(|| {
    register(
        "tools_token_cache_lookups",
        "Token lookups of the tools service's introspection cache, by outcome (hit, miss).",
        Family::default(),
    )
});

/// One token lookup: found in the cache or not.
pub(crate) fn token_lookup(hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    LOOKUPS.get_or_create(&Outcome { outcome }).inc();
}
