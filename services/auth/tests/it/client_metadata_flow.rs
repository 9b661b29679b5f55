//! The OAuth flow of a client identified by a Client ID Metadata Document,
//! end to end: the document served by a local axum server (plain http on
//! 127.0.0.1, so with `allow_loopback_http`), Podio's sign-in at podio-sim,
//! the callback, the token endpoint and introspection; and the error pages
//! for a redirect URI the document does not list and a document naming
//! another client_id. The flow itself is [`crate::oauth_flow`]'s harness.

use axum::Router;
use axum::routing::get;
use podio_sim::seed;
use portico_auth::FetchPolicy;
use portico_proto::vocab::CredentialMode;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::oauth_flow::{Harness, JANE, error_of, page_of, token_json};

/// The redirect URI the document lists; loopback, so any port matches.
const LISTED_REDIRECT: &str = "http://127.0.0.1:3000/callback";
const NAME: &str = "Metadata Test Client";

/// The harness, with the document server's base, `http://127.0.0.1:<port>`,
/// as its `extra`.
type Docs = Harness<String>;

async fn harness() -> Docs {
    Harness::builder()
        .settings(|settings| {
            settings.client_metadata = FetchPolicy {
                allow_loopback_http: true,
            };
        })
        .start_with(serve_documents)
        .await
}

/// Serves `/client.json` (a valid document naming itself) and
/// `/mismatch.json` (a document naming `/client.json`) on 127.0.0.1:0.
async fn serve_documents(shutdown: CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let document = json!({
        "client_id": format!("{base}/client.json"),
        "client_name": NAME,
        "redirect_uris": [LISTED_REDIRECT],
        "token_endpoint_auth_method": "none",
    })
    .to_string();
    let app = Router::new()
        .route("/client.json", get(move || json_body(document.clone())))
        .route("/mismatch.json", {
            let body = json!({
                "client_id": format!("{base}/client.json"),
                "client_name": "Impostor",
                "redirect_uris": [LISTED_REDIRECT],
            })
            .to_string();
            get(move || json_body(body.clone()))
        });
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    base
}

async fn json_body(body: String) -> ([(&'static str, &'static str); 1], String) {
    ([("content-type", "application/json")], body)
}

/// The document's url, which is the client's id.
fn client_id(h: &Docs) -> String {
    format!("{}/client.json", h.extra)
}

/// Jane's sign-in through the client: the code, after checking Podio was
/// asked to sign in with the shared key.
async fn code_for(h: &Docs, client_id: &str, redirect_uri: &str) -> String {
    h.code_via(client_id, redirect_uri, JANE, Some(seed::DEV_CLIENT_ID))
        .await
}

#[tokio::test]
async fn a_metadata_document_client_signs_in_with_the_shared_key_under_its_name() {
    let h = harness().await;
    let client_id = client_id(&h);
    // A loopback redirect URI the document lists, on another port.
    let redirect = "http://127.0.0.1:4567/callback";

    // The code is bound to the document's client_id: another id is refused
    // (no secret is needed, but the id must match).
    let code = code_for(&h, &client_id, redirect).await;
    let other = h.exchange("", redirect, &code, None).await;
    assert_eq!(error_of(&other), Some("invalid_grant"));
    assert!(
        other
            .error
            .as_ref()
            .is_some_and(|e| e.error_description.contains("another client")),
        "{other:?}"
    );

    let code = code_for(&h, &client_id, redirect).await;
    let tokens = token_json(&h.exchange(&client_id, redirect, &code, None).await);
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().expect("at");

    // Jane's, in default mode, whose Podio token works at the sim.
    let principal = h.check_access(access, CredentialMode::Default).await;
    assert_eq!(principal.display_name, NAME);

    // Refresh: only the same client_id may use the refresh token.
    let refresh = tokens["refresh_token"].as_str().expect("rt");
    assert_eq!(
        error_of(&h.refresh("portico", refresh, None).await),
        Some("invalid_grant")
    );
    let rotated = token_json(&h.refresh(&client_id, refresh, None).await);
    let again = h
        .introspect(rotated["access_token"].as_str().expect("at"))
        .await
        .expect("active");
    assert_eq!(again.display_name, NAME);
}

#[tokio::test]
async fn a_redirect_uri_the_document_does_not_list_is_an_error_page() {
    let h = harness().await;
    let client_id = client_id(&h);
    for redirect in [
        "https://claude.ai/api/mcp/auth_callback",
        "http://127.0.0.1:3000/other",
    ] {
        let nav = h.authorize(&client_id, redirect).await;
        let (error, description) = page_of(&nav);
        assert_eq!(error, "invalid_request", "{redirect}");
        assert!(
            description.contains("client metadata document"),
            "{description}"
        );
        assert_eq!(nav.http_status, 400);
    }
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_an_error_page() {
    let h = harness().await;
    let nav = h
        .authorize(&format!("{}/mismatch.json", h.extra), LISTED_REDIRECT)
        .await;
    let (error, description) = page_of(&nav);
    assert_eq!(error, "invalid_client");
    assert!(
        description.contains("client_id does not equal the url it was fetched from"),
        "{description}"
    );

    // A document that cannot be fetched, and an https client_id that is not
    // a metadata document url: error pages too, never redirects.
    let (error, description) = page_of(
        &h.authorize(&format!("{}/missing.json", h.extra), LISTED_REDIRECT)
            .await,
    );
    assert_eq!(error, "invalid_client");
    assert!(description.contains("http 404"), "{description}");
    let (error, description) = page_of(&h.authorize("https://example.com/", LISTED_REDIRECT).await);
    assert_eq!(error, "invalid_client");
    assert!(
        description.contains("not a client metadata document url"),
        "{description}"
    );
}
