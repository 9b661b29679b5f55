//! Rate-limit headers and HTTP 420.

use std::time::Duration;

use podio_sim::{Config, LIMIT_HEADER, REMAINING_HEADER};

use crate::helpers::{TestSim, assert_error_body};

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers() {
    let (sim, token) = TestSim::logged_in().await;
    let first = sim.get("/org/", Some(&token)).await;
    assert_eq!(first.header(LIMIT_HEADER), Some("5000"));
    assert_eq!(first.header(REMAINING_HEADER), Some("4999"));
    // Errors after authentication count and carry the headers too.
    let missing = sim.get("/item/1", Some(&token)).await;
    assert_eq!(missing.status.as_u16(), 404);
    assert_eq!(missing.header(REMAINING_HEADER), Some("4998"));
}

#[tokio::test(start_paused = true)]
async fn over_the_limit_gives_420_until_the_window_ends() {
    let sim = TestSim::new(Config {
        rate_limit_per_hour: 3,
        ..Config::default()
    });
    let token = sim.token().await;
    for remaining in ["2", "1", "0"] {
        let resp = sim.get("/org/", Some(&token)).await;
        assert_eq!(resp.status.as_u16(), 200);
        assert_eq!(resp.header(REMAINING_HEADER), Some(remaining));
    }
    tokio::time::advance(Duration::from_secs(600)).await;
    let limited = sim.get("/org/", Some(&token)).await;
    assert_error_body(&limited, 420, "rate_limit", "GET", "/org/");
    assert_eq!(
        limited.body["error_description"],
        "You have hit the rate limit. Please wait 3000 seconds before trying again"
    );
    assert_eq!(limited.header(LIMIT_HEADER), Some("3"));
    assert_eq!(limited.header(REMAINING_HEADER), Some("0"));

    // Another token has its own budget.
    let other = sim.token().await;
    assert_eq!(sim.get("/org/", Some(&other)).await.status.as_u16(), 200);

    tokio::time::advance(Duration::from_secs(3000)).await;
    let again = sim.get("/org/", Some(&token)).await;
    assert_eq!(again.status.as_u16(), 200);
    assert_eq!(again.header(REMAINING_HEADER), Some("2"));
}

#[tokio::test]
async fn health_answers_without_a_token_and_outside_the_api() {
    let sim = TestSim::default_config();
    let resp = sim.get("/health", None).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["status"], "healthy");
    assert!(
        resp.header("x-rate-limit-limit").is_none(),
        "the probe is not a Podio call and must not count against a rate limit"
    );
}

#[tokio::test(start_paused = true)]
async fn api_answers_take_the_configured_latency_and_health_does_not() {
    let sim = TestSim::new(Config {
        latency: Duration::from_millis(250),
        ..Config::default()
    });
    let token = sim.token().await;
    let started = tokio::time::Instant::now();
    let orgs = sim.get("/org/", Some(&token)).await;
    assert_eq!(orgs.status.as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
    // A refusal is just as slow: the latency is the network's, not the work's.
    let started = tokio::time::Instant::now();
    let missing = sim.get("/item/1", Some(&token)).await;
    assert_eq!(missing.status.as_u16(), 404);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let started = tokio::time::Instant::now();
    assert_eq!(sim.get("/health", None).await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(250));
}
