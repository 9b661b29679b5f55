//! The OAuth 2.1 authorization server end to end, in the microservices
//! shape: a client registers (or does not) at the front door, a browser signs
//! in at Podio's (simulated) pages, the client exchanges the code, and the
//! access token it gets makes real MCP tool calls as the Podio user who
//! signed in: each test checks whose workspaces the tools see.

use anyhow::Context;
use podio_sim::seed;
use portico_proto::vocab::CredentialMode;
use portico_tests::mcp::{Client, call, connect, error_text, list, structured};
use portico_tests::oauth::{
    Authorize, CHATGPT_REDIRECT, OAuthClient, RawMcp, error_page, loopback_redirect, refused,
    with_stack,
};
use portico_tests::oauth::{introspect, sessions_on_every_replica};
use portico_tests::{Stack, start_microservices};
use reqwest::StatusCode;
use serde_json::json;

const BOB: (&str, &str) = (seed::BOB_USERNAME, seed::BOB_PASSWORD);
const CARLA: (&str, &str) = (seed::CARLA_USERNAME, seed::CARLA_PASSWORD);
const JANE: (&str, &str) = (seed::DEV_USERNAME, seed::DEV_PASSWORD);

/// The name of workspace `space_id` if the signed-in user may see it; the
/// tool's error text otherwise.
async fn space(client: &Client, space_id: u64) -> anyhow::Result<Result<String, String>> {
    let result = call(client, "get_space", json!({"space_id": space_id})).await?;
    if result.is_error == Some(true) {
        return Ok(Err(error_text(&result)?));
    }
    let value = structured(&result)?;
    Ok(Ok(value["name"]
        .as_str()
        .with_context(|| format!("get_space without a name: {value}"))?
        .to_owned()))
}

/// Workspace `space_id` is visible, and named `name`.
async fn sees(client: &Client, space_id: u64, name: &str) -> anyhow::Result<()> {
    match space(client, space_id).await? {
        Ok(found) => {
            anyhow::ensure!(found == name, "space {space_id} is {found:?}, not {name:?}");
            Ok(())
        }
        Err(text) => anyhow::bail!("{name} ({space_id}) should be visible: {text}"),
    }
}

/// Workspace `space_id` is refused as not permitted.
async fn refused_space(client: &Client, space_id: u64) -> anyhow::Result<()> {
    match space(client, space_id).await? {
        Ok(name) => anyhow::bail!("space {name} ({space_id}) should be hidden from this user"),
        Err(text) => {
            let lower = text.to_lowercase();
            anyhow::ensure!(
                lower.contains("denied access") && lower.contains(&space_id.to_string()),
                "space {space_id}: not Podio's permission refusal: {text}"
            );
            Ok(())
        }
    }
}

/// The organization ids get_organizations lists.
async fn org_ids(client: &Client) -> anyhow::Result<Vec<u64>> {
    let result = call(client, "get_organizations", json!({})).await?;
    let mut ids: Vec<u64> = list(structured(&result)?, "organizations")?
        .iter()
        .filter_map(|o| o["org_id"].as_u64())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Tool calls as Bob: Acme only, Leadership visible, Support refused.
async fn check_bob(client: &Client) -> anyhow::Result<()> {
    assert_eq!(org_ids(client).await?, vec![seed::ORG_ID]);
    sees(client, seed::PRIVATE_SPACE_ID, "Leadership").await?;
    refused_space(client, seed::SUPPORT_SPACE_ID).await?;
    refused_space(client, seed::SECOND_ORG_SPACE_ID).await
}

/// Tool calls as Carla: Acme only, Support visible, Marketing and
/// Leadership refused.
async fn check_carla(client: &Client) -> anyhow::Result<()> {
    assert_eq!(org_ids(client).await?, vec![seed::ORG_ID]);
    sees(client, seed::SUPPORT_SPACE_ID, "Support").await?;
    refused_space(client, seed::MARKETING_SPACE_ID).await?;
    refused_space(client, seed::PRIVATE_SPACE_ID).await
}

/// Tool calls as Jane: both organizations, Northwind's Projects visible,
/// Leadership refused.
async fn check_jane(client: &Client) -> anyhow::Result<()> {
    assert_eq!(
        org_ids(client).await?,
        vec![seed::ORG_ID, seed::SECOND_ORG_ID]
    );
    sees(client, seed::SECOND_ORG_SPACE_ID, "Projects").await?;
    refused_space(client, seed::PRIVATE_SPACE_ID).await
}

/// `access` is active for Podio user `user_id` in credential mode `mode`,
/// and tool calls with it pass `check`.
async fn acts_as<F>(
    stack: &Stack,
    access: &str,
    user_id: u64,
    mode: CredentialMode,
    check: F,
) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Client) -> anyhow::Result<()>,
{
    let found = introspect(stack, access).await?;
    assert_eq!(found, Some((format!("podio:{user_id}"), mode)));
    as_user(stack, access, check).await
}

/// A registration with Bob's own Podio key, coming back at `redirect`.
fn bobs_agent(redirect: &str) -> serde_json::Value {
    json!({
        "client_name": "Bob's agent",
        "redirect_uris": [redirect],
        "podio_client_id": seed::BOB_CLIENT_ID,
        "podio_client_secret": seed::BOB_CLIENT_SECRET,
    })
}

/// Connects an MCP client with `access` and runs `check` with it.
async fn as_user<F>(stack: &Stack, access: &str, check: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Client) -> anyhow::Result<()>,
{
    let client = connect(&stack.mcp_url(0), access).await?;
    let outcome = check(&client).await;
    client.cancel().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_registered_mode_uses_the_clients_podio_key_and_signs_in_bob() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (info, client_id) = oauth.registered(&bobs_agent(&redirect)).await?;
        assert!(
            !info.to_string().contains(seed::BOB_CLIENT_SECRET),
            "registration echoed the Podio secret: {info}"
        );
        assert_eq!(info["podio_credentials_provided"], true, "{info}");
        assert!(client_id.starts_with("mcp-client-"), "{client_id}");

        let request = Authorize::new(&client_id, &redirect).podio_key(seed::BOB_CLIENT_ID);
        let tokens = oauth.tokens(&request, BOB, None).await?;
        assert!(tokens.access.starts_with("portico_at_"), "{}", tokens.json);
        acts_as(
            stack,
            &tokens.access,
            seed::BOB_USER_ID,
            CredentialMode::Registered,
            check_bob,
        )
        .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_registered_without_podio_key_is_default_mode_for_carla() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (info, client_id) = oauth
            .registered(&json!({"client_name": "Carla's agent", "redirect_uris": [redirect]}))
            .await?;
        assert_eq!(info["podio_credentials_provided"], false, "{info}");

        let request = Authorize::new(&client_id, &redirect).podio_key(seed::DEV_CLIENT_ID);
        let tokens = oauth.tokens(&request, CARLA, None).await?;
        acts_as(
            stack,
            &tokens.access,
            seed::CARLA_USER_ID,
            CredentialMode::Default,
            check_carla,
        )
        .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_chatgpt_default_mode_with_a_blank_client_id_signs_in_jane() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let request = Authorize::new("", CHATGPT_REDIRECT).podio_key(seed::DEV_CLIENT_ID);
        let tokens = oauth.tokens(&request, JANE, None).await?;
        acts_as(
            stack,
            &tokens.access,
            seed::DEMO_USER_ID,
            CredentialMode::Default,
            check_jane,
        )
        .await?;

        // A placeholder client id is default mode as well.
        let request = Authorize::new("chatgpt", CHATGPT_REDIRECT).podio_key(seed::DEV_CLIENT_ID);
        let tokens = oauth.tokens(&request, JANE, None).await?;
        acts_as(
            stack,
            &tokens.access,
            seed::DEMO_USER_ID,
            CredentialMode::Default,
            check_jane,
        )
        .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_chatgpt_direct_mode_uses_janes_own_podio_key() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;

        // A wrong secret at the token endpoint is an OAuth error.
        let request =
            Authorize::new(seed::JANE_CLIENT_ID, CHATGPT_REDIRECT).podio_key(seed::JANE_CLIENT_ID);
        let code = oauth.sign_in(&request, JANE).await?;
        let (status, answer) = oauth
            .exchange(&request, &code, Some("not-janes-secret"))
            .await?;
        let error = refused(status, &answer)?;
        assert!(
            ["invalid_client", "invalid_grant"].contains(&error.as_str()),
            "{status} {answer}"
        );
        assert!(answer.get("access_token").is_none(), "{answer}");

        let request =
            Authorize::new(seed::JANE_CLIENT_ID, CHATGPT_REDIRECT).podio_key(seed::JANE_CLIENT_ID);
        let tokens = oauth
            .tokens(&request, JANE, Some(seed::JANE_CLIENT_SECRET))
            .await?;
        acts_as(
            stack,
            &tokens.access,
            seed::DEMO_USER_ID,
            CredentialMode::Direct,
            check_jane,
        )
        .await?;

        // Refreshing needs the same secret.
        let (status, answer) = oauth
            .refresh(seed::JANE_CLIENT_ID, &tokens.refresh, Some("wrong"))
            .await?;
        refused(status, &answer)?;
        let rotated = oauth
            .refreshed(
                seed::JANE_CLIENT_ID,
                &tokens.refresh,
                Some(seed::JANE_CLIENT_SECRET),
            )
            .await?;
        acts_as(
            stack,
            &rotated.access,
            seed::DEMO_USER_ID,
            CredentialMode::Direct,
            check_jane,
        )
        .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_refresh_rotates_and_revocation_cuts_off_tool_calls() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (_, client_id) = oauth.registered(&bobs_agent(&redirect)).await?;
        let client_id = client_id.as_str();
        let request = Authorize::new(client_id, &redirect);
        let first = oauth.tokens(&request, BOB, None).await?;

        let rotated = oauth.refreshed(client_id, &first.refresh, None).await?;
        assert_ne!(rotated.refresh, first.refresh, "refresh token not rotated");
        assert_ne!(rotated.access, first.access);
        acts_as(
            stack,
            &rotated.access,
            seed::BOB_USER_ID,
            CredentialMode::Registered,
            check_bob,
        )
        .await?;

        // The old refresh token still works within the grace period.
        let retried = oauth.refreshed(client_id, &first.refresh, None).await?;
        as_user(stack, &retried.access, check_bob).await?;

        // Sessions opened before revocation, one per access token.
        let space = json!({"space_id": seed::PRIVATE_SPACE_ID});
        // Sessions on both replicas, so revocation is seen on every one.
        let tokens = [first.access.as_str(), &rotated.access, &retried.access];
        let sessions = sessions_on_every_replica(stack, &tokens, "get_space", &space).await?;

        assert_eq!(
            oauth.revoke(client_id, &rotated.refresh, None).await?,
            StatusCode::OK
        );
        for raw in &sessions {
            let answer = raw.until_refused("get_space", &space).await?;
            let challenge = answer.challenge.unwrap_or_default();
            assert!(challenge.contains("resource_metadata"), "{challenge}");
        }
        for access in [&first.access, &rotated.access, &retried.access] {
            assert_eq!(introspect(stack, access).await?, None);
        }
        for refresh in [&first.refresh, &rotated.refresh, &retried.refresh] {
            let (status, answer) = oauth.refresh(client_id, refresh, None).await?;
            assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_bad_verifier_replay_redirects_clients_and_tampered_tokens_are_refused()
-> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (_, client_id) = oauth
            .registered(&json!({"client_name": "x", "redirect_uris": [redirect]}))
            .await?;

        // A wrong PKCE verifier.
        let request = Authorize::new(&client_id, &redirect);
        let code = oauth.sign_in(&request, JANE).await?;
        let mut wrong = request.clone();
        wrong.verifier = portico_tests::oauth::new_verifier();
        let (status, answer) = oauth.exchange(&wrong, &code, None).await?;
        assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");

        // A replayed code is refused and revokes what the first use issued.
        let request = Authorize::new(&client_id, &redirect);
        let code = oauth.sign_in(&request, JANE).await?;
        let (status, answer) = oauth.exchange(&request, &code, None).await?;
        let tokens = portico_tests::oauth::issued(status, answer)?;
        let space = json!({"space_id": seed::SECOND_ORG_SPACE_ID});
        let raw = RawMcp::open(&stack.mcp_url(0), &tokens.access).await?;
        let answer = raw.call_tool("get_space", space.clone()).await?;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let (status, answer) = oauth.exchange(&request, &code, None).await?;
        assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");
        raw.until_refused("get_space", &space).await?;
        assert_eq!(introspect(stack, &tokens.access).await?, None);
        let (status, answer) = oauth.refresh(&client_id, &tokens.refresh, None).await?;
        assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");

        // A redirect URI the client did not register: a page, no redirect.
        let request = Authorize::new(&client_id, "https://evil.example/cb");
        let page = error_page(oauth.authorize(&request).await?).await?;
        assert!(page.contains("invalid_request"), "{page}");

        // A registered-looking client id this server does not know.
        let request = Authorize::new("mcp-client-00000000-0000-0000-0000-000000000000", &redirect);
        let page = error_page(oauth.authorize(&request).await?).await?;
        assert!(page.contains("invalid_client"), "{page}");

        // Default mode only redirects to the allowlist.
        for client in ["", "chatgpt"] {
            let request = Authorize::new(client, "https://evil.example/cb");
            let page = error_page(oauth.authorize(&request).await?).await?;
            assert!(!page.contains("evil.example/cb?"), "{page}");
        }

        // A token for another server (RFC 8707 resource) is not issued:
        // the client hears invalid_target at its verified redirect URI.
        let request = Authorize::new(&client_id, &redirect);
        let url = oauth.authorize_url(&request, "https://other.example/mcp", None)?;
        let back = portico_tests::oauth::location(oauth.http.get(url).send().await?, "authorize")?;
        assert!(back.as_str().starts_with(&redirect), "{back}");
        assert_eq!(
            portico_tests::oauth::query(&back, "error").as_deref(),
            Some("invalid_target"),
            "{back}"
        );
        assert_eq!(
            portico_tests::oauth::query(&back, "state").as_deref(),
            Some(request.state.as_str())
        );

        // A token with its last character changed is no token.
        let request = Authorize::new("", CHATGPT_REDIRECT);
        let tokens = oauth.tokens(&request, JANE, None).await?;
        let raw = RawMcp::open(&stack.mcp_url(0), &tokens.access).await?;
        assert_eq!(
            raw.call_tool("get_space", space.clone()).await?.status,
            StatusCode::OK
        );
        let tampered = tamper(&tokens.access);
        let http = reqwest::Client::new();
        let response = portico_tests::oauth::post_mcp(&http, &stack.mcp_url(0), &tampered, None)
            .json(&portico_tests::oauth::initialize_body())
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response
            .headers()
            .get("www-authenticate")
            .context("401 without WWW-Authenticate")?
            .to_str()?;
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("resource_metadata="),
            "{challenge}"
        );
        Ok(())
    })
    .await
}

/// `token` with its last character replaced by a different one (chosen far
/// apart in the base64url alphabet, so even a decoder that ignores padding
/// bits sees a change).
fn tamper(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == 'A' { 'z' } else { 'A' };
    }
    chars.into_iter().collect()
}

/// Serves a Client ID Metadata Document naming itself, listing `redirect`,
/// on 127.0.0.1:0 until `shutdown`: its URL, which is the client's id.
async fn serve_metadata_document(
    redirect: &str,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let client_id = format!("http://{}/client.json", listener.local_addr()?);
    let document = json!({
        "client_id": client_id,
        "client_name": "Metadata Document Agent",
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": "none",
    })
    .to_string();
    let app = axum::Router::new().route(
        "/client.json",
        axum::routing::get(move || {
            let body = document.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    Ok(client_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_metadata_document_client_signs_in_carla_and_revokes() -> anyhow::Result<()> {
    let documents = tokio_util::sync::CancellationToken::new();
    let outcome = with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let client_id = serve_metadata_document(&redirect, documents.clone()).await?;

        // No registration: the URL is the id, and the document's redirect
        // is the only one accepted.
        let other = oauth
            .authorize(&Authorize::new(
                &client_id,
                &loopback_redirect().replace("/callback", "/elsewhere"),
            ))
            .await?;
        let page = error_page(other).await?;
        assert!(page.contains("client metadata document"), "{page}");

        let request = Authorize::new(&client_id, &redirect);
        let tokens = oauth.tokens(&request, CARLA, None).await?;
        acts_as(
            stack,
            &tokens.access,
            seed::CARLA_USER_ID,
            CredentialMode::Default,
            check_carla,
        )
        .await?;

        // Its refresh token works for it alone, then revocation cuts off
        // what the refresh issued.
        let (status, answer) = oauth.refresh("portico", &tokens.refresh, None).await?;
        assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");
        let rotated = oauth.refreshed(&client_id, &tokens.refresh, None).await?;
        let space = json!({"space_id": seed::SUPPORT_SPACE_ID});
        let raw = RawMcp::open(&stack.mcp_url(1), &rotated.access).await?;
        assert_eq!(
            raw.call_tool("get_space", space.clone()).await?.status,
            StatusCode::OK
        );
        assert_eq!(
            oauth.revoke(&client_id, &rotated.refresh, None).await?,
            StatusCode::OK
        );
        raw.until_refused("get_space", &space).await?;
        assert_eq!(introspect(stack, &rotated.access).await?, None);
        Ok(())
    })
    .await;
    documents.cancel();
    outcome
}

/// `/health` reports what the running services really offer, in both shapes.
#[tokio::test]
async fn health_reports_the_oauth_server_and_its_credential_modes() -> anyhow::Result<()> {
    let dev = portico_tests::start_dev().await?;
    let stacks = [
        ("microservices", start_microservices().await?),
        ("dev", dev),
    ];
    let http = reqwest::Client::new();
    let mut outcome = Ok(());
    for (shape, stack) in &stacks {
        let health: serde_json::Value = http
            .get(format!("{}/health", stack.frontdoors[0]))
            .send()
            .await?
            .json()
            .await?;
        let oauth = &health["auth"]["oauth"];
        if oauth["status"] != "on"
            || oauth["credential_modes"] != json!(["service", "default", "direct", "registered"])
            || oauth["issuer"] != json!(stack.frontdoors[0])
        {
            outcome = Err(anyhow::anyhow!("{shape}: {health:#}"));
        }
    }
    for (_, stack) in stacks {
        stack.stop().await?;
    }
    outcome
}
