//! Fault injection: rules set at start or through `/_sim/faults`, each fault
//! as a client sees it, and nothing else disturbed.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use podio_sim::seed::{
    BOB_CLIENT_ID, BOB_CLIENT_SECRET, BOB_PASSWORD, BOB_USERNAME, COMPANIES_APP_ID, DEMO_ITEM_ID,
    DEMO_USER_ID,
};
use podio_sim::{Config, Fault, Rule, Sim, When, serve};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::helpers::{TestSim, password_grant};

async fn add(sim: &TestSim, rules: Value) -> Vec<u64> {
    let added = sim.post_json("/_sim/faults", None, &rules).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    serde_json::from_value(added.body["ids"].clone()).expect("ids")
}

async fn hits(sim: &TestSim) -> Vec<u64> {
    let listed = sim.get("/_sim/faults", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    listed.body["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["hits"].as_u64().expect("hits"))
        .collect()
}

async fn company_count(sim: &TestSim, token: &str) -> u64 {
    let count = sim
        .get(&format!("/item/app/{COMPANIES_APP_ID}/count"), Some(token))
        .await;
    assert_eq!(count.status, StatusCode::OK, "{}", count.body);
    count.body["count"].as_u64().expect("count")
}

fn new_company(title: &str) -> Value {
    json!({"fields": {"title": title}})
}

#[tokio::test]
async fn an_error_status_strikes_only_the_requests_a_rule_picks_and_is_podio_shaped() {
    let (sim, token) = TestSim::logged_in().await;
    add(
        &sim,
        json!({"method": "GET", "path_prefix": "/item/",
            "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    let struck = sim
        .get(&format!("/item/{DEMO_ITEM_ID}"), Some(&token))
        .await;
    assert_eq!(struck.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(struck.body["error"], "server_error");
    assert!(struck.body["request"]["url"].is_string(), "{}", struck.body);
    // Another path, and another method on the same path, are untouched.
    assert_eq!(sim.get("/org/", Some(&token)).await.status, StatusCode::OK);
    let put = sim
        .put_json(&format!("/item/{DEMO_ITEM_ID}"), Some(&token), &json!({}))
        .await;
    assert_ne!(put.status, StatusCode::SERVICE_UNAVAILABLE, "{}", put.body);
    assert_eq!(hits(&sim).await, vec![1]);
}

#[tokio::test]
async fn rate_limit_faults_carry_their_headers() {
    let (sim, token) = TestSim::logged_in().await;
    add(
        &sim,
        json!([
            {"path_prefix": "/org/", "fault": {"kind": "status", "status": 429}},
            {"path_prefix": "/space/", "fault": {"kind": "status", "status": 420, "retry_after_secs": 30}},
            {"path_prefix": "/user/", "fault": {"kind": "status", "status": 503, "retry_after_secs": 7}},
        ]),
    )
    .await;
    let too_many = sim.get("/org/", Some(&token)).await;
    assert_eq!(too_many.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(too_many.header("retry-after"), Some("1"));

    let podio_limit = sim.get("/space/1", Some(&token)).await;
    assert_eq!(podio_limit.status.as_u16(), 420);
    assert_eq!(podio_limit.body["error"], "rate_limit");
    assert!(
        podio_limit.description().contains("wait 30 seconds"),
        "{}",
        podio_limit.body
    );
    assert_eq!(podio_limit.header("x-rate-limit-remaining"), Some("0"));

    let unavailable = sim.get("/user/status", Some(&token)).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unavailable.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn times_bounds_a_rule_and_a_spent_rule_stays_listed() {
    let (sim, token) = TestSim::logged_in().await;
    add(
        &sim,
        json!({"path_prefix": "/org/", "times": 2, "fault": {"kind": "status", "status": 500}}),
    )
    .await;
    let statuses = [
        sim.get("/org/", Some(&token)).await.status,
        sim.get("/org/", Some(&token)).await.status,
        sim.get("/org/", Some(&token)).await.status,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK
        ]
    );
    assert_eq!(hits(&sim).await, vec![2]);
}

#[tokio::test]
async fn a_fault_after_the_handler_loses_the_answer_but_not_the_write() {
    let (sim, token) = TestSim::logged_in().await;
    let before = company_count(&sim, &token).await;
    add(
        &sim,
        json!({"method": "POST", "path_prefix": "/item/app/", "when": "after", "times": 1,
            "fault": {"kind": "status", "status": 502}}),
    )
    .await;
    let lost = sim
        .post_json(
            &format!("/item/app/{COMPANIES_APP_ID}/"),
            Some(&token),
            &new_company("Lost reply Ltd"),
        )
        .await;
    assert_eq!(lost.status, StatusCode::BAD_GATEWAY);
    assert_eq!(company_count(&sim, &token).await, before + 1);

    // Before the handler, the request has no effect.
    add(
        &sim,
        json!({"method": "POST", "path_prefix": "/item/app/", "times": 1,
            "fault": {"kind": "status", "status": 502}}),
    )
    .await;
    let refused = sim
        .post_json(
            &format!("/item/app/{COMPANIES_APP_ID}/"),
            Some(&token),
            &new_company("Never made"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert_eq!(company_count(&sim, &token).await, before + 1);
}

#[tokio::test]
async fn a_malformed_body_is_json_typed_and_not_json() {
    let sim = Sim::new(Config::default());
    let router = sim.router();
    // Raw requests: the typed helpers decode JSON, which this body is not.
    let token = {
        let login = password_grant_raw(&router).await;
        login["access_token"].as_str().expect("token").to_owned()
    };
    let added = router
        .clone()
        .oneshot(
            Request::post("/_sim/faults")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!([
                        {"path_prefix": "/org/", "fault": {"kind": "malformed"}},
                        {"path_prefix": "/user/status", "when": "after", "fault": {"kind": "malformed"}},
                    ])
                    .to_string(),
                ))
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(added.status(), StatusCode::OK);
    for path in ["/org/", "/user/status"] {
        let answer = router
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::AUTHORIZATION, format!("OAuth2 {token}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert!(
            answer.headers()[header::CONTENT_TYPE]
                .to_str()
                .is_ok_and(|ct| ct.starts_with("application/json")),
            "{path}"
        );
        let body = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(!body.is_empty(), "{path}");
        assert!(
            serde_json::from_slice::<Value>(&body).is_err(),
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

async fn password_grant_raw(router: &axum::Router) -> Value {
    use podio_sim::seed::{DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_PASSWORD, DEV_USERNAME};
    let form = format!(
        "grant_type=password&client_id={DEV_CLIENT_ID}&client_secret={DEV_CLIENT_SECRET}\
         &username={}&password={DEV_PASSWORD}",
        DEV_USERNAME.replace('@', "%40")
    );
    let answer = router
        .clone()
        .oneshot(
            Request::post("/oauth/token")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(answer.status(), StatusCode::OK);
    let body = axum::body::to_bytes(answer.into_body(), usize::MAX)
        .await
        .expect("body");
    serde_json::from_slice(&body).expect("json")
}

#[tokio::test]
async fn a_rule_for_one_user_leaves_the_others_alone() {
    let (sim, demo) = TestSim::logged_in().await;
    let bob = password_grant(
        &sim,
        BOB_CLIENT_ID,
        BOB_CLIENT_SECRET,
        BOB_USERNAME,
        BOB_PASSWORD,
    )
    .await;
    let bob = bob.body["access_token"].as_str().expect("token").to_owned();
    add(
        &sim,
        json!({"user_id": DEMO_USER_ID, "fault": {"kind": "status", "status": 500}}),
    )
    .await;
    assert_eq!(
        sim.get("/org/", Some(&demo)).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(sim.get("/org/", Some(&bob)).await.status, StatusCode::OK);
    // A request without a token is nobody's: not picked.
    assert_eq!(
        sim.get("/org/", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn latency_holds_the_answer_back_then_answers() {
    tokio::time::pause();
    let (sim, token) = TestSim::logged_in().await;
    add(
        &sim,
        json!({"path_prefix": "/org/", "fault": {"kind": "latency", "ms": 5000}}),
    )
    .await;
    let started = tokio::time::Instant::now();
    let answer = sim.get("/org/", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(5000));
}

#[tokio::test]
async fn the_control_routes_refuse_bad_rules_and_remove_rules() {
    let (sim, token) = TestSim::logged_in().await;
    let refused = sim
        .post_json(
            "/_sim/faults",
            None,
            &json!({"fault": {"kind": "status", "status": 200}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.description().contains("from 400 to 599"),
        "{}",
        refused.body
    );
    let unknown = sim
        .post_json("/_sim/faults", None, &json!({"fault": {"kind": "explode"}}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.description().contains("explode"),
        "{}",
        unknown.body
    );
    assert!(hits(&sim).await.is_empty(), "nothing was added");

    let ids = add(
        &sim,
        json!([{"path_prefix": "/org/", "fault": {"kind": "status", "status": 500}},
               {"path_prefix": "/user/", "fault": {"kind": "status", "status": 500}}]),
    )
    .await;
    let gone = sim
        .send_json(
            Method::DELETE,
            &format!("/_sim/faults/{}", ids[0]),
            None,
            &Value::Null,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(sim.get("/org/", Some(&token)).await.status, StatusCode::OK);
    let missing = sim
        .send_json(Method::DELETE, "/_sim/faults/999", None, &Value::Null)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let cleared = sim
        .send_json(Method::DELETE, "/_sim/faults", None, &Value::Null)
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sim.get("/user/status", Some(&token)).await.status,
        StatusCode::OK
    );
    // The health check is never faulted.
    add(&sim, json!({"fault": {"kind": "status", "status": 500}})).await;
    assert_eq!(sim.get("/health", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn rules_from_the_configuration_are_in_force_from_the_start() {
    let faults: Vec<Rule> = vec![Rule {
        method: None,
        path_prefix: Some("/org/".to_owned()),
        user_id: None,
        fault: Fault::Status {
            status: 502,
            retry_after_secs: None,
        },
        when: When::Before,
        times: None,
        probability: None,
    }];
    let sim = TestSim::new(Config {
        faults,
        ..Config::default()
    });
    let token = sim.token().await;
    assert_eq!(
        sim.get("/org/", Some(&token)).await.status,
        StatusCode::BAD_GATEWAY
    );
}

/// A simulator on a real socket, with `rule` in force, and one raw GET of
/// `/org/` (no token needed: the fault strikes first) sent to it.
async fn served_with(rule: Value) -> (TcpStream, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = Config {
        faults: vec![serde_json::from_value(rule).expect("a rule")],
        ..Config::default()
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(config, listener, shutdown.clone()));
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /org/ HTTP/1.1\r\nHost: sim\r\n\r\n")
        .await
        .expect("write");
    (stream, shutdown)
}

#[tokio::test]
async fn a_reset_cuts_the_connection_without_an_answer() {
    let (mut stream, shutdown) = served_with(json!({"fault": {"kind": "reset"}})).await;
    let mut seen = Vec::new();
    // The connection was not asked to close, so only a cut ends it.
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the connection was cut");
    assert!(seen.is_empty(), "{}", String::from_utf8_lossy(&seen));
    shutdown.cancel();
}

#[tokio::test]
async fn a_hang_answers_nothing_then_cuts_the_connection() {
    let (mut stream, shutdown) = served_with(json!({"fault": {"kind": "hang", "ms": 1500}})).await;
    let mut first = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut first)).await;
    assert!(early.is_err(), "nothing is answered while it hangs");
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the connection is cut in the end");
    assert!(seen.is_empty(), "{}", String::from_utf8_lossy(&seen));
    shutdown.cancel();
}
