//! Drives `ConnectorService` through the `Connector` trait against a fake
//! Podio on a loopback port, with a fake of the auth service's
//! `UpstreamTokens` handing out the Podio tokens.

mod fake_auth;
mod fake_podio;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fake_auth::FakeAuth;
use fake_podio::FakePodio;
use portico_connector::{Config, ConnectorService, QuotaBook, ServeError, UpstreamRef, sha256_hex};
use portico_proto::connector::v1::connector_client::ConnectorClient;
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, PodioResponse, QueryParam};
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::vocab::CredentialMode;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

fn config(url: &str) -> Config {
    let mut config = Config::new(url);
    // Keep retry tests fast; the backoff curve itself is unit-tested.
    config.retry_backoff = Duration::from_millis(1);
    config
}

fn service(url: &str) -> (ConnectorService, Arc<FakeAuth>) {
    let auth = Arc::new(FakeAuth::default());
    let svc = ConnectorService::new(&config(url), auth.clone()).expect("service builds");
    (svc, auth)
}

fn caller(subject: &str) -> Caller {
    Caller {
        subject: subject.to_owned(),
        credential_mode: CredentialMode::Default as i32,
        upstream_ref: format!("ref-of-{subject}"),
    }
}

fn upstream(subject: &str) -> UpstreamRef {
    UpstreamRef {
        subject: subject.to_owned(),
        mode: CredentialMode::Default,
        reference: format!("ref-of-{subject}"),
    }
}

fn request(method: &str, path: &str) -> PodioRequest {
    PodioRequest {
        caller: Some(caller("user-1")),
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
async fn token_is_obtained_once_sent_as_oauth2_and_cached() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    for _ in 0..3 {
        let response = call(&svc, request("GET", "/item/1")).await.expect("ok");
        assert_eq!(response.status, 200);
        let body: Value = serde_json::from_str(&response.body_json).expect("json");
        assert_eq!(body["title"], "Acme");
    }
    assert_eq!(auth.calls(), [(upstream("user-1"), None)]);
    assert_eq!(podio.state.auth_headers(), vec!["OAuth2 token-1"; 3]);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { call(&svc, request("GET", "/item/1")).await })
        })
        .collect();
    for handle in calls {
        handle.await.expect("task").expect("call succeeds");
    }
    assert_eq!(auth.hits(), 1);
}

#[tokio::test]
async fn different_upstream_refs_get_their_own_tokens() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    let mut other_mode = request("GET", "/item/1");
    other_mode.caller = Some(Caller {
        credential_mode: CredentialMode::Service as i32,
        ..caller("user-1")
    });
    let mut other_user = request("GET", "/item/1");
    other_user.caller = Some(caller("user-2"));
    for req in [
        request("GET", "/item/1"),
        other_user.clone(),
        other_mode.clone(),
    ] {
        call(&svc, req).await.expect("ok");
    }
    // Each key's token is cached separately.
    for req in [other_mode, other_user, request("GET", "/item/1")] {
        call(&svc, req).await.expect("ok");
    }
    let asked: Vec<UpstreamRef> = auth.calls().into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        asked,
        [
            upstream("user-1"),
            upstream("user-2"),
            UpstreamRef {
                mode: CredentialMode::Service,
                ..upstream("user-1")
            },
        ]
    );
    assert_eq!(
        podio.state.auth_headers(),
        [
            "OAuth2 token-1",
            "OAuth2 token-2",
            "OAuth2 token-3",
            "OAuth2 token-3",
            "OAuth2 token-2",
            "OAuth2 token-1",
        ]
    );
}

#[tokio::test]
async fn expired_token_is_renewed_once_naming_its_hash_and_the_call_retried() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    podio.state.expire("token-1");
    // A write, too: a 401 means Podio did nothing, so the retry is safe.
    let mut post = request("POST", "/echo");
    post.body_json = "{\"a\":1}".to_owned();
    let response = call(&svc, post).await.expect("ok after renewal");
    assert_eq!(response.status, 200);
    assert_eq!(
        auth.calls(),
        [
            (upstream("user-1"), None),
            (upstream("user-1"), Some(sha256_hex("token-1"))),
        ]
    );
    assert_eq!(
        sha256_hex("token-1").len(),
        64,
        "lowercase hex sha-256, as auth.proto specifies"
    );
    assert_eq!(
        podio.state.auth_headers(),
        ["OAuth2 token-1", "OAuth2 token-1", "OAuth2 token-2"]
    );
    // The new token replaced the old one in the cache.
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    assert_eq!(auth.hits(), 2);
    assert_eq!(podio.state.auth_headers()[3], "OAuth2 token-2");
}

#[tokio::test]
async fn tokens_near_or_past_expiry_are_not_cached() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    for lifetime in [-10, 30] {
        auth.lifetime.store(lifetime, Ordering::SeqCst);
        let before = auth.hits();
        call(&svc, request("GET", "/item/1")).await.expect("ok");
        call(&svc, request("GET", "/item/1")).await.expect("ok");
        assert_eq!(auth.hits() - before, 2, "lifetime {lifetime}s");
    }
    // A token with time to spare is cached again.
    auth.lifetime.store(3_600, Ordering::SeqCst);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    assert_eq!(auth.hits(), 5);
}

#[tokio::test]
async fn a_token_refused_again_after_renewal_is_unauthenticated() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    podio.state.expire("token-1");
    podio.state.expire("token-2");
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("401");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "expired_token");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "invalid_token");
    assert_eq!(metadata["http_status"], "401");
    assert_eq!(podio.state.api_hits("/item/1"), 2);
    assert_eq!(auth.hits(), 2, "renewed exactly once");
}

#[tokio::test]
async fn auth_refusals_map_to_grpc_codes_with_clear_messages() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    for (code, grpc, needle) in [
        (
            ErrorCode::FailedPrecondition,
            Code::FailedPrecondition,
            "no usable podio credentials: no podio account configured",
        ),
        (
            ErrorCode::Unauthenticated,
            Code::Unauthenticated,
            "sign in to portico again",
        ),
        (
            ErrorCode::Unavailable,
            Code::Unavailable,
            "the auth service is unavailable; retry shortly",
        ),
        (
            ErrorCode::Internal,
            Code::Internal,
            "internal error obtaining the podio token",
        ),
    ] {
        auth.fail_with(Some(ServiceError::new(code, "no podio account configured")));
        let status = call(&svc, request("GET", "/item/1"))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), grpc, "{code:?}");
        assert!(status.message().contains(needle), "{}", status.message());
    }
    assert!(podio.state.api_requests.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_refused_renewal_is_unauthenticated_and_says_to_sign_in() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
    podio.state.expire("token-1");
    auth.fail_with(Some(ServiceError::new(
        ErrorCode::Unauthenticated,
        "podio refused the refresh token",
    )));
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("renewal refused");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("sign in"), "{}", status.message());
    assert_eq!(auth.calls()[1].1, Some(sha256_hex("token-1")));
    // Recovered once the auth service hands out a token again.
    auth.fail_with(None);
    call(&svc, request("GET", "/item/1")).await.expect("ok");
}

#[tokio::test]
async fn missing_caller_subject_or_mode_is_invalid_argument() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    let no_caller = PodioRequest {
        caller: None,
        ..request("GET", "/item/1")
    };
    let no_subject = PodioRequest {
        caller: Some(caller("")),
        ..request("GET", "/item/1")
    };
    let no_mode = PodioRequest {
        caller: Some(Caller {
            credential_mode: CredentialMode::Unspecified as i32,
            ..caller("user-1")
        }),
        ..request("GET", "/item/1")
    };
    let unknown_mode = PodioRequest {
        caller: Some(Caller {
            credential_mode: 99,
            ..caller("user-1")
        }),
        ..request("GET", "/item/1")
    };
    for (req, needle) in [
        (no_caller, "caller is required"),
        (no_subject, "caller.subject must not be empty"),
        (
            no_mode,
            "caller.credential_mode must be set: accepted modes are service, default, direct, registered",
        ),
        (unknown_mode, "99 is not a known mode"),
    ] {
        let status = call(&svc, req).await.expect_err(needle);
        assert_eq!(status.code(), Code::InvalidArgument, "{needle}");
        assert!(status.message().contains(needle), "{}", status.message());
    }
    assert_eq!(auth.hits(), 0);
    assert!(podio.state.api_requests.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn get_is_retried_on_503_at_most_max_retries_times() {
    let podio = FakePodio::start().await;
    let (svc, _auth) = service(&podio.url);
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
    let (svc, _auth) = service(&podio.url);
    let mut post = request("POST", "/flaky");
    post.body_json = "{}".to_owned();
    let status = call(&svc, post).await.expect_err("503");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(podio.state.api_hits("/flaky"), 1);
}

#[tokio::test]
async fn not_found_carries_podio_message_and_error_info() {
    let podio = FakePodio::start().await;
    let (svc, _auth) = service(&podio.url);
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
    let (svc, _auth) = service(&podio.url);
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
    let (svc, _auth) = service(&podio.url);
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
    let (svc, _auth) = service(&podio.url);
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
    let (svc, auth) = service(&podio.url);
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
    assert_eq!(auth.hits(), 0);
    assert!(podio.state.api_requests.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn unreachable_podio_is_unavailable() {
    // A port that was free a moment ago: nothing listens there now.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let (svc, _auth) = service(&format!("http://{closed}"));
    let status = call(&svc, request("GET", "/item/1"))
        .await
        .expect_err("down");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().starts_with("podio is unreachable"));
}

#[tokio::test]
async fn serve_service_answers_over_grpc_with_error_details() {
    let podio = FakePodio::start().await;
    let (svc, auth) = service(&podio.url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(portico_connector::serve_service(
        svc,
        listener,
        shutdown.clone(),
    ));
    let channel = portico_runtime::grpc::channel(&format!("http://{addr}")).expect("channel");
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
    assert_eq!(auth.hits(), 1);
    shutdown.cancel();
    server.await.expect("task").expect("clean shutdown");
}

#[tokio::test]
async fn serve_asks_the_auth_service_at_auth_url() {
    // Nothing listens at the auth URL, so the real gRPC client fails to
    // connect: the caller hears UNAVAILABLE, and Podio is never called.
    let podio = FakePodio::start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let mut config = config(&podio.url);
    config.auth_url = format!("http://{closed}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(portico_connector::serve(config, listener, shutdown.clone()));
    let channel = portico_runtime::grpc::channel(&format!("http://{addr}")).expect("channel");
    let status = ConnectorClient::new(channel)
        .call(request("GET", "/item/1"))
        .await
        .expect_err("auth down");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "the auth service is unavailable; retry shortly"
    );
    assert!(podio.state.api_requests.lock().expect("lock").is_empty());
    shutdown.cancel();
    server.await.expect("task").expect("clean shutdown");
}

#[tokio::test]
async fn serve_refuses_an_unusable_auth_url() {
    let mut config = config("http://127.0.0.1:1");
    config.auth_url = "http://bad host".to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let err = portico_connector::serve(config, listener, CancellationToken::new())
        .await
        .expect_err("bad url");
    assert!(matches!(err, ServeError::AuthUrl(_)), "{err:?}");
    assert!(err.to_string().starts_with("PORTICO_AUTH_URL"), "{err}");
}

/// Two connector replicas sharing one Redis budget book (a fresh prefix),
/// and a function that removes its keys.
async fn replicas_sharing_redis(url: &str) -> ([ConnectorService; 2], String) {
    let prefix = format!("portico-test:{}:", uuid_like());
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let book = QuotaBook::redis(&redis_url, &prefix, 2)
            .await
            .expect("redis at REDIS_URL (default 127.0.0.1:6379)");
        let auth = Arc::new(FakeAuth::default());
        replicas.push(ConnectorService::with_quota(&config(url), auth, book).expect("builds"));
    }
    let [a, b]: [ConnectorService; 2] = replicas.try_into().expect("two");
    ([a, b], prefix)
}

fn uuid_like() -> String {
    format!("{:016x}", rand::random::<u64>())
}

async fn remove_keys(prefix: &str) {
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = redis::Client::open(redis_url).expect("client");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .expect("keys");
    for key in keys {
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .expect("del");
    }
}

#[tokio::test]
async fn a_credential_low_on_podio_budget_is_paused_on_every_replica_before_podio_refuses() {
    let podio = FakePodio::start().await;
    *podio.state.budget.lock().expect("lock") = 4;
    let ([a, b], prefix) = replicas_sharing_redis(&podio.url).await;
    // 3 left, then 2 left (the reserve): both calls go through.
    call(&a, request("GET", "/budget")).await.expect("3 left");
    call(&a, request("GET", "/budget")).await.expect("2 left");
    // The other replica knows, and holds the call back without asking Podio.
    let status = call(&b, request("GET", "/budget"))
        .await
        .expect_err("paused");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("2 calls left")
            && status.message().contains("PORTICO_PODIO_QUOTA_RESERVE"),
        "{}",
        status.message()
    );
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "rate_limit");
    let wait: u64 = metadata["retry_after_seconds"].parse().expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(podio.state.api_hits("/budget"), 2);
    // Another user's credential is not paused.
    let mut other = request("GET", "/budget");
    other.caller = Some(caller("user-2"));
    call(&b, other).await.expect("another credential");
    remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_podio_420_on_one_replica_pauses_the_credential_on_the_other() {
    let podio = FakePodio::start().await;
    let ([a, b], prefix) = replicas_sharing_redis(&podio.url).await;
    call(&a, request("GET", "/limited")).await.expect_err("420");
    let status = call(&b, request("GET", "/item/1"))
        .await
        .expect_err("paused");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let (_, metadata) = error_info(&status);
    let wait: u64 = metadata["retry_after_seconds"].parse().expect("seconds");
    assert!((41..=42).contains(&wait), "{wait}");
    assert_eq!(podio.state.api_hits("/item/1"), 0);
    remove_keys(&prefix).await;
}
