//! Drives `ConnectorService` through the `Connector` trait against a fake
//! Podio on a loopback port.

mod fake_podio;

use std::sync::atomic::Ordering;
use std::time::Duration;

use fake_podio::FakePodio;
use portico_connector::{Config, ConnectorService, PodioCredentials};
use portico_proto::connector::v1::connector_client::ConnectorClient;
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, PodioResponse, QueryParam};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

fn credentials() -> PodioCredentials {
    PodioCredentials::new("cid", "csecret", "me@example.com", "pw")
}

fn config(url: &str) -> Config {
    let mut config = Config::new(url, Some(credentials()));
    // Keep retry tests fast; the backoff curve itself is unit-tested.
    config.retry_backoff = Duration::from_millis(1);
    config
}

fn service(url: &str) -> ConnectorService {
    ConnectorService::new(&config(url)).expect("service builds")
}

fn request(method: &str, path: &str) -> PodioRequest {
    PodioRequest {
        caller: Some(Caller {
            subject: "user-1".to_owned(),
            credential_mode: "default".to_owned(),
        }),
        method: method.to_owned(),
        path: path.to_owned(),
        query: Vec::new(),
        body_json: String::new(),
    }
}

async fn call(svc: &ConnectorService, req: PodioRequest) -> Result<PodioResponse, Status> {
    Connector::call(svc, Request::new(req))
        .await
        .map(tonic::Response::into_inner)
}

fn error_info(status: &Status) -> (String, std::collections::HashMap<String, String>) {
    let info = status.get_details_error_info().expect("error info detail");
    assert_eq!(info.domain, "podio.com");
    (info.reason, info.metadata)
}

#[tokio::test]
async fn token_is_acquired_sent_as_oauth2_and_reused() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    for _ in 0..3 {
        let response = call(&svc, request("GET", "/item/1")).await.expect("ok");
        assert_eq!(response.status, 200);
        let body: Value = serde_json::from_str(&response.body_json).expect("json");
        assert_eq!(body["title"], "Acme");
    }
    assert_eq!(podio.state.token_hits(), 1);
    assert_eq!(podio.state.grant_types(), ["password"]);
    let (path, _, content_type) = podio.state.token_requests.lock().expect("lock")[0].clone();
    assert_eq!(path, "/oauth/token/v2");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_eq!(podio.state.auth_headers(), vec!["OAuth2 token-1"; 3]);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { call(&svc, request("GET", "/item/1")).await })
        })
        .collect();
    for handle in calls {
        handle.await.expect("task").expect("call succeeds");
    }
    assert_eq!(podio.state.token_hits(), 1);
}

#[tokio::test]
async fn falls_back_to_the_legacy_token_endpoint_and_remembers_it() {
    let podio = FakePodio::start().await;
    podio.state.no_v2.store(true, Ordering::SeqCst);
    let svc = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    podio.state.expire("token-1");
    call(&svc, request("GET", "/item/1"))
        .await
        .expect("ok after refresh");
    let requests = podio.state.token_requests.lock().expect("lock").clone();
    let paths: Vec<&str> = requests.iter().map(|(p, _, _)| p.as_str()).collect();
    // v2 tried once; afterwards (the refresh) only the legacy endpoint is used.
    assert_eq!(paths, ["/oauth/token/v2", "/oauth/token", "/oauth/token"]);
    assert!(
        requests[1]
            .2
            .starts_with("application/x-www-form-urlencoded")
    );
    assert_eq!(
        podio.state.grant_types(),
        ["password", "password", "refresh_token"]
    );
}

#[tokio::test]
async fn expired_token_is_refreshed_and_the_call_retried_once() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    podio.state.expire("token-1");
    // A write, too: a 401 means Podio did nothing, so the retry is safe.
    let mut post = request("POST", "/echo");
    post.body_json = "{\"a\":1}".to_owned();
    let response = call(&svc, post).await.expect("ok after refresh");
    assert_eq!(response.status, 200);
    assert_eq!(podio.state.grant_types(), ["password", "refresh_token"]);
    assert_eq!(
        podio.state.auth_headers(),
        ["OAuth2 token-1", "OAuth2 token-1", "OAuth2 token-2"]
    );
    // The new token is cached.
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    assert_eq!(podio.state.token_hits(), 2);
}

#[tokio::test]
async fn token_due_for_renewal_is_refreshed_before_the_call() {
    let podio = FakePodio::start().await;
    podio.state.short_lived.store(true, Ordering::SeqCst);
    let svc = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    assert_eq!(podio.state.grant_types(), ["password", "refresh_token"]);
    // Renewed proactively: Podio never had to refuse a token.
    assert_eq!(
        podio.state.auth_headers(),
        ["OAuth2 token-1", "OAuth2 token-2"]
    );
}

#[tokio::test]
async fn refused_refresh_token_falls_back_to_a_password_grant() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    podio.state.expire("token-1");
    podio.state.reject_refresh.store(true, Ordering::SeqCst);
    call(&svc, request("GET", "/item/1"))
        .await
        .expect("ok after new grant");
    assert_eq!(
        podio.state.grant_types(),
        ["password", "refresh_token", "password"]
    );
}

#[tokio::test]
async fn a_token_refused_again_after_renewal_is_unauthenticated() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    for token in ["token-1", "token-2"] {
        podio
            .state
            .expired
            .lock()
            .expect("lock")
            .insert(token.to_owned());
    }
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("401");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "expired_token");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "invalid_token");
    assert_eq!(metadata["http_status"], "401");
    assert_eq!(podio.state.api_hits("/item/1"), 2);
}

#[tokio::test]
async fn get_is_retried_on_503_at_most_max_retries_times() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let status = call(&svc, request("GET", "/flaky")).await.expect_err("503");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("503"), "{}", status.message());
    assert_eq!(podio.state.api_hits("/flaky"), 3);
    let (_, metadata) = error_info(&status);
    assert_eq!(metadata["http_status"], "503");
}

#[tokio::test]
async fn writes_are_never_retried() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let mut post = request("POST", "/flaky");
    post.body_json = "{}".to_owned();
    let status = call(&svc, post).await.expect_err("503");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(podio.state.api_hits("/flaky"), 1);
}

#[tokio::test]
async fn not_found_carries_podio_message_and_error_info() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let status = call(&svc, request("GET", "/item/404"))
        .await
        .expect_err("404");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "Object not found");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "not_found");
    assert_eq!(metadata["http_status"], "404");
    assert!(!metadata.contains_key("retry_after_seconds"));
}

#[tokio::test]
async fn rate_limit_is_resource_exhausted_with_retry_after() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let status = call(&svc, request("GET", "/limited"))
        .await
        .expect_err("420");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "rate_limit");
    assert_eq!(metadata["http_status"], "420");
    assert_eq!(metadata["retry_after_seconds"], "42");
    // Rate limits are not retried: the wait is the caller's to decide.
    assert_eq!(podio.state.api_hits("/limited"), 1);
}

#[tokio::test]
async fn rate_limit_headers_are_copied_or_minus_one() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let response = call(&svc, request("GET", "/item/1")).await.expect("ok");
    assert_eq!(response.rate_limit_limit, 1000);
    assert_eq!(response.rate_limit_remaining, 998);
    let response = call(&svc, request("DELETE", "/item/1")).await.expect("ok");
    assert_eq!(response.status, 204);
    assert_eq!(response.body_json, "");
    assert_eq!(response.rate_limit_limit, -1);
    assert_eq!(response.rate_limit_remaining, -1);
}

#[tokio::test]
async fn query_is_encoded_and_json_body_sent() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    let mut req = request("PUT", "/echo");
    req.query = vec![
        QueryParam {
            name: "fields".to_owned(),
            value: "items.view(micro)".to_owned(),
        },
        QueryParam {
            name: "q".to_owned(),
            value: "a b&c=d#é".to_owned(),
        },
    ];
    req.body_json = "{\"title\":\"x\"}".to_owned();
    let response = call(&svc, req).await.expect("ok");
    let echo: Value = serde_json::from_str(&response.body_json).expect("json");
    assert_eq!(echo["method"], "PUT");
    assert_eq!(
        echo["query"],
        serde_json::json!([["fields", "items.view(micro)"], ["q", "a b&c=d#é"]])
    );
    assert_eq!(echo["content_type"], "application/json");
    assert_eq!(echo["body"], "{\"title\":\"x\"}");
}

#[tokio::test]
async fn bad_path_or_method_is_invalid_argument_and_never_sent() {
    let podio = FakePodio::start().await;
    let svc = service(&podio.url);
    for (method, path, needle) in [
        ("PATCH", "/item/1", "GET, POST, PUT or DELETE"),
        ("GET", "item/1", "must start with"),
        ("GET", "/item/../org/", "\"..\""),
        ("GET", "//evil.example/item/1", "\"//\""),
        ("GET", "/item/1?x=1", "\"?\""),
    ] {
        let status = call(&svc, request(method, path)).await.expect_err(path);
        assert_eq!(status.code(), Code::InvalidArgument, "{path}");
        assert!(status.message().contains(needle), "{}", status.message());
    }
    assert_eq!(podio.state.token_hits(), 0);
    assert!(podio.state.api_requests.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn missing_or_unsupported_credentials_are_failed_precondition() {
    let podio = FakePodio::start().await;
    let svc = ConnectorService::new(&Config::new(&podio.url, None)).expect("builds");
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("no creds");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status
            .message()
            .starts_with("no default podio credentials configured: set PORTICO_PODIO_CLIENT_ID"),
        "{}",
        status.message()
    );

    let svc = service(&podio.url);
    let mut req = request("GET", "/item/1");
    req.caller = Some(Caller {
        subject: "user-1".to_owned(),
        credential_mode: "per_user".to_owned(),
    });
    let status = call(&svc, req).await.expect_err("mode");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("\"default\""),
        "{}",
        status.message()
    );
    assert_eq!(podio.state.token_hits(), 0);
}

#[tokio::test]
async fn refused_credentials_are_failed_precondition() {
    let podio = FakePodio::start().await;
    podio.state.reject_password.store(true, Ordering::SeqCst);
    let svc = service(&podio.url);
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("Invalid user credentials"));
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "invalid_grant");
    assert_eq!(metadata["http_status"], "400");
}

#[tokio::test]
async fn unreachable_podio_is_unavailable() {
    // A port that was free a moment ago: nothing listens there now.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let svc = service(&format!("http://{closed}"));
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("down");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().starts_with("podio is unreachable"));
}

#[tokio::test]
async fn serve_answers_over_grpc_with_error_details() {
    let podio = FakePodio::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(portico_connector::serve(
        config(&podio.url),
        listener,
        shutdown.clone(),
    ));
    let channel = portico_proto::grpc::channel(&format!("http://{addr}")).expect("channel");
    let mut client = ConnectorClient::new(channel);
    let response = client
        .call(request("GET", "/item/1"))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(response.rate_limit_remaining, 998);
    let status = client
        .call(request("GET", "/item/404"))
        .await
        .expect_err("404");
    assert_eq!(status.code(), Code::NotFound);
    let (reason, _) = error_info(&status);
    assert_eq!(reason, "not_found");
    shutdown.cancel();
    server.await.expect("task").expect("clean shutdown");
}
