//! The auth service's metrics (see `portico_runtime::metrics`): Podio token
//! refreshes by outcome.

use std::sync::LazyLock;

use portico_runtime::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

static REFRESHES: LazyLock<Family<Outcome, Counter>> = LazyLock::new(|| {
    register(
        "auth_upstream_token_refreshes",
        "Refreshes of a stored Podio token, by outcome (ok, refused: the user must sign in again, failed: Podio unreachable).",
        Family::default(),
    )
});

/// One refresh of a Podio token ended with `outcome`.
pub(crate) fn refresh(outcome: &'static str) {
    REFRESHES.get_or_create(&Outcome { outcome }).inc();
}
