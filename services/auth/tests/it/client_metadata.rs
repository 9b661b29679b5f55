//! Client ID Metadata Document fetches against a real local server (plain
//! http on 127.0.0.1, so with `allow_loopback_http`), counting its hits to
//! see the cache work; and, with the production policy, loopback client ids
//! refused before any connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use portico_auth::{ClientMetadataFetcher, FetchPolicy, MetadataError};
use serde_json::json;
use tokio::net::TcpListener;

/// A document server on 127.0.0.1:0: its base URL and hit counter.
struct DocServer {
    base: String,
    hits: Arc<AtomicUsize>,
}

impl DocServer {
    async fn start() -> DocServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let hits = Arc::new(AtomicUsize::new(0));
        let b = base.clone();
        let good = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/good"),
                        "client_name": "Good Client",
                        "redirect_uris": ["https://app.example.com/cb", "http://127.0.0.1:9/cb"],
                        "client_uri": "https://app.example.com",
                        "token_endpoint_auth_method": "none",
                    }),
                    "public, max-age=120",
                )
            }
        };
        let b = base.clone();
        let local = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/local"),
                        "client_name": "Local Client",
                        "redirect_uris": ["http://localhost:33418/callback"],
                    }),
                    "max-age=60",
                )
            }
        };
        let b = base.replace("127.0.0.1", "localhost");
        let by_name = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/by-name"),
                        "client_name": "Named Host",
                        "redirect_uris": ["https://app.example.com/cb"],
                    }),
                    "max-age=60",
                )
            }
        };
        let mismatch = || async {
            json_ok(
                json!({
                    "client_id": "https://elsewhere.example/client",
                    "client_name": "Impostor",
                    "redirect_uris": ["https://app.example.com/cb"],
                }),
                "max-age=60",
            )
        };
        let b = base.clone();
        let no_name = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/no-name"),
                        "redirect_uris": ["https://app.example.com/cb"],
                    }),
                    "max-age=60",
                )
            }
        };
        let b = base.clone();
        let http_redirect = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/http-redirect"),
                        "client_name": "Plain",
                        "redirect_uris": ["http://app.example.com/cb"],
                    }),
                    "max-age=60",
                )
            }
        };
        let b = base.clone();
        let big = move || {
            let b = b.clone();
            async move {
                json_ok(
                    json!({
                        "client_id": format!("{b}/big"),
                        "client_name": "Big",
                        "redirect_uris": ["https://app.example.com/cb"],
                        "padding": "x".repeat(11 * 1024),
                    }),
                    "max-age=60",
                )
            }
        };
        let b = base.clone();
        let plain_type = move || {
            let b = b.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    json!({
                        "client_id": format!("{b}/plain-type"),
                        "client_name": "Lenient",
                        "redirect_uris": ["https://app.example.com/cb"],
                    })
                    .to_string(),
                )
            }
        };
        let redirect = || async {
            (
                StatusCode::FOUND,
                [(header::LOCATION, "http://127.0.0.1:1/elsewhere")],
            )
        };
        let html = || async {
            (
                [(header::CONTENT_TYPE, "text/html")],
                "<html>not json</html>",
            )
        };
        let counter = hits.clone();
        let app = Router::new()
            .route("/good", get(good))
            .route("/local", get(local))
            .route("/by-name", get(by_name))
            .route("/mismatch", get(mismatch))
            .route("/no-name", get(no_name))
            .route("/http-redirect", get(http_redirect))
            .route("/big", get(big))
            .route("/plain-type", get(plain_type))
            .route("/redirect", get(redirect))
            .route("/html", get(html))
            .layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    next.run(request)
                },
            ));
        tokio::spawn(async move { axum::serve(listener, app).await });
        DocServer { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A 200 JSON answer with `cache` as its `Cache-Control`.
fn json_ok(body: serde_json::Value, cache: &'static str) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache),
        ],
        body.to_string(),
    )
        .into_response()
}

fn dev_fetcher() -> ClientMetadataFetcher {
    ClientMetadataFetcher::new(FetchPolicy {
        allow_loopback_http: true,
    })
    .expect("fetcher")
}

#[tokio::test]
async fn a_good_document_is_fetched_and_cached_until_max_age() {
    let server = DocServer::start().await;
    let fetcher = dev_fetcher();
    let id = server.url("/good");

    let metadata = fetcher.fetch(&id).await.expect("good document");
    assert_eq!(metadata.client_id, id);
    assert_eq!(metadata.client_name, "Good Client");
    assert_eq!(
        metadata.redirect_uris,
        ["https://app.example.com/cb", "http://127.0.0.1:9/cb"]
    );
    assert_eq!(
        metadata.client_uri.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(metadata.logo_uri, None);
    assert_eq!(metadata.host, "127.0.0.1");
    assert!(!metadata.localhost_only);
    assert_eq!(server.hits(), 1);

    assert_eq!(fetcher.fetch(&id).await.expect("cached"), metadata);
    assert_eq!(server.hits(), 1, "the second fetch came from the cache");

    // Jump past max-age=120 with no socket in flight, then talk for real.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(119)).await;
    tokio::time::resume();
    fetcher.fetch(&id).await.expect("still cached");
    assert_eq!(server.hits(), 1);
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(2)).await;
    tokio::time::resume();
    assert_eq!(fetcher.fetch(&id).await.expect("refetched"), metadata);
    assert_eq!(server.hits(), 2, "expired, so fetched again");
}

#[tokio::test]
async fn loopback_only_redirects_are_flagged_and_localhost_ids_work() {
    let server = DocServer::start().await;
    let fetcher = dev_fetcher();
    let local = fetcher
        .fetch(&server.url("/local"))
        .await
        .expect("local document");
    assert!(local.localhost_only);

    let by_name = server.url("/by-name").replace("127.0.0.1", "localhost");
    let named = fetcher.fetch(&by_name).await.expect("localhost client id");
    assert_eq!(named.host, "localhost");
    assert_eq!(named.client_id, by_name);
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused() {
    let server = DocServer::start().await;
    let error = dev_fetcher()
        .fetch(&server.url("/mismatch"))
        .await
        .expect_err("mismatch");
    assert_eq!(error, MetadataError::ClientIdMismatch);
}

#[tokio::test]
async fn invalid_documents_name_the_field() {
    let server = DocServer::start().await;
    let fetcher = dev_fetcher();
    for (path, expected) in [
        ("/no-name", "client_name"),
        ("/http-redirect", "redirect_uris"),
    ] {
        match fetcher.fetch(&server.url(path)).await {
            Err(MetadataError::Invalid { field, reason }) => {
                assert_eq!(field, expected, "{path}: {reason}");
            }
            other => panic!("{path}: expected invalid {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn oversized_redirected_missing_and_non_json_answers_are_refused() {
    let server = DocServer::start().await;
    let fetcher = dev_fetcher();
    assert_eq!(
        fetcher.fetch(&server.url("/big")).await,
        Err(MetadataError::TooLarge)
    );
    assert_eq!(
        fetcher.fetch(&server.url("/redirect")).await,
        Err(MetadataError::Redirected(302))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/missing")).await,
        Err(MetadataError::BadStatus(404))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/html")).await,
        Err(MetadataError::NotJson)
    );
    let hits = server.hits();
    assert_eq!(hits, 4, "the redirect was not followed");

    // Failures are cached too: asking again does not fetch again.
    assert_eq!(
        fetcher.fetch(&server.url("/missing")).await,
        Err(MetadataError::BadStatus(404))
    );
    assert_eq!(server.hits(), hits);
}

#[tokio::test]
async fn a_json_body_with_another_content_type_is_accepted() {
    let server = DocServer::start().await;
    let metadata = dev_fetcher()
        .fetch(&server.url("/plain-type"))
        .await
        .expect("lenient content type");
    assert_eq!(metadata.client_name, "Lenient");
}

#[tokio::test]
async fn production_refuses_loopback_before_connecting() {
    let server = DocServer::start().await;
    let port = server.base.rsplit(':').next().expect("port").to_owned();
    let fetcher = ClientMetadataFetcher::new(FetchPolicy::default()).expect("fetcher");

    for host in ["127.0.0.1", "localhost", "[::1]"] {
        let id = format!("https://{host}:{port}/good");
        assert!(fetcher.accepts(&id));
        match fetcher.fetch(&id).await {
            Err(MetadataError::ForbiddenAddress { host: refused }) => assert_eq!(refused, host),
            other => panic!("{id}: expected a forbidden address, got {other:?}"),
        }
    }
    // Plain http is not even a metadata url in production.
    let http = server.url("/good");
    assert!(!fetcher.accepts(&http));
    assert_eq!(
        fetcher.fetch(&http).await,
        Err(MetadataError::NotAMetadataUrl)
    );
    assert_eq!(server.hits(), 0, "no connection was made");
}
