//! OAuth clients a user has the operator create for a custom integration,
//! end to end in the microservices shape: the admin gRPC API creates them,
//! the front door's token endpoint issues their tokens, and real tool calls
//! through `/mcp` show whose Podio identity the tokens act as.

use anyhow::Context;
use podio_sim::seed;
use portico_proto::auth::v1::{
    CreateOAuthClientRequest, RevokeOAuthClientRequest, RotateOAuthClientSecretRequest,
};
use portico_proto::vocab::CredentialMode;
use portico_tests::Stack;
use portico_tests::mcp::{call, connect, structured};
use portico_tests::oauth::{
    Authorize, OAuthClient, RawMcp, as_admin, auth_grpc, create_integration_client, introspect,
    issued, loopback_redirect, refused, sessions_on_every_replica, with_stack,
};
use reqwest::StatusCode;
use serde_json::json;

const BOB: (&str, &str) = (seed::BOB_USERNAME, seed::BOB_PASSWORD);
const CARLA: (&str, &str) = (seed::CARLA_USERNAME, seed::CARLA_PASSWORD);

fn new_client(
    owner: u64,
    name: &str,
    grants: &[&str],
    redirects: &[&str],
) -> CreateOAuthClientRequest {
    CreateOAuthClientRequest {
        owner_subject: format!("podio:{owner}"),
        name: name.to_owned(),
        grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
        redirect_uris: redirects.iter().map(|r| (*r).to_owned()).collect(),
        scopes: Vec::new(),
    }
}

/// Through `/mcp` with `access`, workspace `space_id` is visible and named
/// `name` (so the calls act as a user who may see it).
async fn sees(stack: &Stack, access: &str, space_id: u64, name: &str) -> anyhow::Result<()> {
    let client = connect(&stack.mcp_url(0), access).await?;
    let result = call(&client, "get_space", json!({"space_id": space_id})).await;
    client.cancel().await?;
    let result = result?;
    anyhow::ensure!(
        result.is_error != Some(true),
        "get_space {space_id} refused: {result:?}"
    );
    let value = structured(&result)?;
    let found = value["name"]
        .as_str()
        .with_context(|| format!("get_space without a name: {value}"))?;
    anyhow::ensure!(found == name, "space {space_id} is {found:?}, not {name:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_client_credentials_act_as_the_owner_who_signed_in_once() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;

        // Before Bob ever signed in, Portico holds no Podio credential of his.
        let (secret, info) = create_integration_client(
            stack,
            new_client(
                seed::BOB_USER_ID,
                "Bob's nightly report",
                &["client_credentials"],
                &[],
            ),
        )
        .await?;
        assert!(secret.starts_with("portico_cs_"), "{secret}");
        assert!(info.client_id.starts_with("mcp-client-"), "{info:?}");
        let (status, answer) = oauth.client_credentials(&info.client_id, &secret).await?;
        assert_eq!(refused(status, &answer)?, "invalid_grant", "{answer}");
        let description = answer["error_description"].as_str().unwrap_or_default();
        assert!(
            description.contains("has not signed in to Portico through Podio yet"),
            "{answer}"
        );

        // Bob signs in once through a dynamically registered client.
        let redirect = loopback_redirect();
        let (_, dcr) = oauth
            .registered(&json!({"client_name": "Bob's desktop", "redirect_uris": [redirect]}))
            .await?;
        let request = Authorize::new(&dcr, &redirect).podio_key(seed::DEV_CLIENT_ID);
        oauth.tokens(&request, BOB, None).await?;

        // Now the integration gets a token of its own, acting as Bob.
        let (status, answer) = oauth.client_credentials(&info.client_id, &secret).await?;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["token_type"], "Bearer", "{answer}");
        assert!(answer.get("refresh_token").is_none(), "{answer}");
        let access = answer["access_token"]
            .as_str()
            .context("no access_token")?
            .to_owned();
        assert_eq!(
            introspect(stack, &access).await?,
            Some((
                format!("podio:{}", seed::BOB_USER_ID),
                CredentialMode::Default
            ))
        );
        sees(stack, &access, seed::PRIVATE_SPACE_ID, "Leadership").await?;

        // A wrong secret is refused as client authentication.
        let (status, answer) = oauth
            .client_credentials(&info.client_id, "portico_cs_wrong")
            .await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(refused(status, &answer)?, "invalid_client", "{answer}");

        // A rotated secret replaces the old one at once; tokens already
        // issued keep working.
        let rotated = auth_grpc(stack)?
            .rotate_o_auth_client_secret(as_admin(RotateOAuthClientSecretRequest {
                client_id: info.client_id.clone(),
            })?)
            .await?
            .into_inner();
        assert_ne!(rotated.client_secret, secret);
        let (status, answer) = oauth.client_credentials(&info.client_id, &secret).await?;
        assert_eq!(refused(status, &answer)?, "invalid_client", "{answer}");
        let (status, answer) = oauth
            .client_credentials(&info.client_id, &rotated.client_secret)
            .await?;
        let newer = answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(status, StatusCode::OK, "{answer}");
        sees(stack, &access, seed::PRIVATE_SPACE_ID, "Leadership").await?;

        // Revoking the client cuts off every token it was issued, on every
        // replica within 5 s, and it can get no more.
        let space = json!({"space_id": seed::PRIVATE_SPACE_ID});
        let sessions =
            sessions_on_every_replica(stack, &[&access, &newer], "get_space", &space).await?;
        auth_grpc(stack)?
            .revoke_o_auth_client(as_admin(RevokeOAuthClientRequest {
                client_id: info.client_id.clone(),
            })?)
            .await?;
        for raw in &sessions {
            raw.until_refused("get_space", &space).await?;
        }
        let (status, answer) = oauth
            .client_credentials(&info.client_id, &rotated.client_secret)
            .await?;
        assert_eq!(refused(status, &answer)?, "invalid_client", "{answer}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_authorization_code_integration_client_signs_in_and_refreshes() -> anyhow::Result<()>
{
    with_stack(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (secret, info) = create_integration_client(
            stack,
            new_client(
                seed::CARLA_USER_ID,
                "Carla's web app",
                &["authorization_code"],
                &[&redirect],
            ),
        )
        .await?;
        assert_eq!(info.grant_types, ["authorization_code", "refresh_token"]);

        let request = Authorize::new(&info.client_id, &redirect).podio_key(seed::DEV_CLIENT_ID);
        // The code exchange needs the client secret.
        let code = oauth.sign_in(&request, CARLA).await?;
        let (status, answer) = oauth.exchange(&request, &code, None).await?;
        assert_eq!(refused(status, &answer)?, "invalid_client", "{answer}");
        let (status, answer) = oauth.exchange(&request, &code, Some(&secret)).await?;
        let tokens = issued(status, answer)?;
        assert_eq!(
            introspect(stack, &tokens.access).await?,
            Some((
                format!("podio:{}", seed::CARLA_USER_ID),
                CredentialMode::Default
            ))
        );
        sees(stack, &tokens.access, seed::SUPPORT_SPACE_ID, "Support").await?;

        let rotated = oauth
            .refreshed(&info.client_id, &tokens.refresh, Some(&secret))
            .await?;
        assert_ne!(rotated.refresh, tokens.refresh);
        sees(stack, &rotated.access, seed::SUPPORT_SPACE_ID, "Support").await?;

        // Revoking the client ends its refresh tokens and access tokens.
        auth_grpc(stack)?
            .revoke_o_auth_client(as_admin(RevokeOAuthClientRequest {
                client_id: info.client_id.clone(),
            })?)
            .await?;
        let (status, answer) = oauth
            .refresh(&info.client_id, &rotated.refresh, Some(&secret))
            .await?;
        // The client itself is gone, so client authentication fails first.
        assert_eq!(refused(status, &answer)?, "invalid_client", "{answer}");
        let raw = RawMcp::open(&stack.mcp_url(0), &rotated.access).await;
        match raw {
            Ok(raw) => {
                raw.until_refused("get_space", &json!({"space_id": seed::SUPPORT_SPACE_ID}))
                    .await?;
            }
            Err(e) => assert!(e.to_string().contains("401"), "{e:#}"),
        }
        assert_eq!(introspect(stack, &rotated.access).await?, None);
        Ok(())
    })
    .await
}
