//! Token endpoints, authentication failures and token refresh.

use std::time::Duration;

use axum::http::StatusCode;
use podio_sim::Config;
use podio_sim::seed::*;
use serde_json::json;

use crate::helpers::{
    TestSim, assert_error_body, assert_error_mentions, password_grant, refresh_with,
};

fn assert_token_response(body: &serde_json::Value, ttl: u64) {
    let access = body["access_token"].as_str().expect("access_token");
    assert_eq!(access.len(), 128);
    assert!(access.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], ttl);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(body["scope"], "global:all");
    assert_eq!(body["ref"], json!({"type": "user", "id": DEMO_USER_ID}));
}

#[tokio::test]
async fn form_and_json_token_endpoints_both_issue_tokens() {
    let sim = TestSim::default_config();
    let form = sim.login().await;
    assert_token_response(&form, 28_800);

    let resp = sim
        .post_json(
            "/oauth/token/v2",
            None,
            &json!({
                "grant_type": "password",
                "client_id": DEV_CLIENT_ID,
                "client_secret": DEV_CLIENT_SECRET,
                "username": DEV_USERNAME,
                "password": DEV_PASSWORD,
            }),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_token_response(&resp.body, 28_800);
    assert_ne!(resp.body["access_token"], form["access_token"]);

    let token = resp.body["access_token"].as_str().expect("token");
    assert_eq!(sim.get("/org/", Some(token)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_credentials_and_clients_are_refused_per_podio() {
    let sim = TestSim::default_config();
    let resp = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", DEV_CLIENT_ID),
                ("client_secret", DEV_CLIENT_SECRET),
                ("username", DEV_USERNAME),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_error_body(&resp, 400, "invalid_grant", "POST", "/oauth/token");

    let resp = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", "someone-else"),
                ("client_secret", DEV_CLIENT_SECRET),
                ("username", DEV_USERNAME),
                ("password", DEV_PASSWORD),
            ],
        )
        .await;
    assert_error_body(&resp, 401, "invalid_client", "POST", "/oauth/token");

    let resp = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "magic"),
                ("client_id", DEV_CLIENT_ID),
                ("client_secret", DEV_CLIENT_SECRET),
            ],
        )
        .await;
    assert_error_body(&resp, 400, "unsupported_grant_type", "POST", "/oauth/token");

    let resp = sim
        .post_form("/oauth/token", &[("grant_type", "password")])
        .await;
    assert_error_body(&resp, 400, "invalid_request", "POST", "/oauth/token");
}

#[tokio::test]
async fn missing_and_unknown_tokens_get_401_unauthorized() {
    let sim = TestSim::default_config();
    let resp = sim.get("/org/", None).await;
    assert_error_body(&resp, 401, "unauthorized", "GET", "/org/");
    let resp = sim.get("/item/1?x=1", Some("not-a-token")).await;
    assert_error_body(&resp, 401, "unauthorized", "GET", "/item/1");
    assert_eq!(resp.body["request"]["query_string"], "x=1");
}

#[tokio::test]
async fn query_token_is_accepted_and_not_echoed() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim.get(&format!("/org/?oauth_token={token}"), None).await;
    assert_eq!(resp.status, StatusCode::OK);
    let resp = sim.get(&format!("/item/1?oauth_token={token}"), None).await;
    assert_error_body(&resp, 404, "not_found", "GET", "/item/1");
    assert!(!resp.body.to_string().contains(&token));
}

#[tokio::test]
async fn expired_token_says_expired_token_and_refresh_works() {
    let sim = TestSim::new(Config {
        token_ttl: Duration::ZERO,
        ..Config::default()
    });
    let login = sim.login().await;
    assert_eq!(login["expires_in"], 0);
    let token = login["access_token"].as_str().expect("token");
    let resp = sim.get("/org/", Some(token)).await;
    assert_error_mentions(&resp, 401, "invalid_token", "GET", "/org/", "expired_token");

    let refresh = login["refresh_token"].as_str().expect("refresh");
    let resp = sim.refresh(refresh).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_token_response(&resp.body, 0);
    assert_ne!(resp.body["refresh_token"], refresh);
    // The old refresh token is spent.
    let again = sim.refresh(refresh).await;
    assert_error_body(&again, 400, "invalid_grant", "POST", "/oauth/token/v2");
}

#[tokio::test(start_paused = true)]
async fn token_expires_after_its_ttl_and_the_refreshed_one_works() {
    let sim = TestSim::new(Config {
        token_ttl: Duration::from_secs(60),
        ..Config::default()
    });
    let login = sim.login().await;
    let token = login["access_token"].as_str().expect("token");
    assert_eq!(sim.get("/org/", Some(token)).await.status, StatusCode::OK);
    tokio::time::advance(Duration::from_secs(61)).await;
    let resp = sim.get("/org/", Some(token)).await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    assert_eq!(resp.body["error"], "invalid_token");

    let refreshed = sim
        .refresh(login["refresh_token"].as_str().expect("refresh"))
        .await;
    let new_token = refreshed.body["access_token"].as_str().expect("token");
    let resp = sim.get("/org/", Some(new_token)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
}

#[tokio::test]
async fn app_grant_reaches_only_its_app() {
    let sim = TestSim::default_config();
    let user = sim.token().await;
    let app = sim.get(&format!("/app/{DEALS_APP_ID}"), Some(&user)).await;
    let app_token = app.body["token"].as_str().expect("app token").to_owned();

    let resp = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "app"),
                ("client_id", DEV_CLIENT_ID),
                ("client_secret", DEV_CLIENT_SECRET),
                ("app_id", &DEALS_APP_ID.to_string()),
                ("app_token", &app_token),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_eq!(resp.body["ref"], json!({"type": "app", "id": DEALS_APP_ID}));
    let token = resp.body["access_token"].as_str().expect("token");
    let item = sim.get(&format!("/item/{DEMO_ITEM_ID}"), Some(token)).await;
    assert_eq!(item.status, StatusCode::OK);
    let other = sim
        .get(&format!("/app/{COMPANIES_APP_ID}"), Some(token))
        .await;
    assert_error_body(
        &other,
        403,
        "forbidden",
        "GET",
        &format!("/app/{COMPANIES_APP_ID}"),
    );

    let bad = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "app"),
                ("client_id", DEV_CLIENT_ID),
                ("client_secret", DEV_CLIENT_SECRET),
                ("app_id", &DEALS_APP_ID.to_string()),
                ("app_token", "0000"),
            ],
        )
        .await;
    assert_error_body(&bad, 400, "invalid_grant", "POST", "/oauth/token");
}

#[tokio::test]
async fn every_key_and_every_user_works_with_the_password_grant() {
    let sim = TestSim::default_config();
    let keys = [
        (DEV_CLIENT_ID, DEV_CLIENT_SECRET),
        (JANE_CLIENT_ID, JANE_CLIENT_SECRET),
        (BOB_CLIENT_ID, BOB_CLIENT_SECRET),
    ];
    let users = [
        (DEV_USERNAME, DEV_PASSWORD, DEMO_USER_ID),
        (BOB_USERNAME, BOB_PASSWORD, BOB_USER_ID),
        (CARLA_USERNAME, CARLA_PASSWORD, CARLA_USER_ID),
    ];
    for (client_id, secret) in keys {
        for (username, password, user_id) in users {
            let resp = password_grant(&sim, client_id, secret, username, password).await;
            assert_eq!(resp.status, StatusCode::OK, "{client_id}: {}", resp.body);
            assert_eq!(resp.body["ref"], json!({"type": "user", "id": user_id}));
        }
        // Each key's refresh tokens work with that key.
        let resp = password_grant(&sim, client_id, secret, DEV_USERNAME, DEV_PASSWORD).await;
        let refresh = resp.body["refresh_token"].as_str().expect("refresh_token");
        let refreshed = refresh_with(&sim, client_id, secret, refresh).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    }
    // Secrets are per key.
    let resp = password_grant(
        &sim,
        JANE_CLIENT_ID,
        BOB_CLIENT_SECRET,
        DEV_USERNAME,
        DEV_PASSWORD,
    )
    .await;
    assert_error_body(&resp, 401, "invalid_client", "POST", "/oauth/token");
}

#[tokio::test]
async fn seeded_users_see_different_workspaces() {
    let sim = TestSim::default_config();
    let cases: [(&str, &str, &[u64], &[u64]); 3] = [
        (
            DEV_USERNAME,
            DEV_PASSWORD,
            &[
                SALES_SPACE_ID,
                SUPPORT_SPACE_ID,
                MARKETING_SPACE_ID,
                SECOND_ORG_SPACE_ID,
            ],
            &[PRIVATE_SPACE_ID],
        ),
        (
            BOB_USERNAME,
            BOB_PASSWORD,
            &[SALES_SPACE_ID, MARKETING_SPACE_ID, PRIVATE_SPACE_ID],
            &[SUPPORT_SPACE_ID, SECOND_ORG_SPACE_ID],
        ),
        (
            CARLA_USERNAME,
            CARLA_PASSWORD,
            &[SALES_SPACE_ID, SUPPORT_SPACE_ID],
            &[MARKETING_SPACE_ID, PRIVATE_SPACE_ID, SECOND_ORG_SPACE_ID],
        ),
    ];
    for (username, password, seen, hidden) in cases {
        let resp = password_grant(&sim, DEV_CLIENT_ID, DEV_CLIENT_SECRET, username, password).await;
        let token = resp.body["access_token"].as_str().expect("access_token");
        for space in seen {
            let resp = sim.get(&format!("/space/{space}"), Some(token)).await;
            assert_eq!(
                resp.status,
                StatusCode::OK,
                "{username} {space}: {}",
                resp.body
            );
        }
        for space in hidden {
            let resp = sim.get(&format!("/space/{space}"), Some(token)).await;
            assert_eq!(
                resp.status,
                StatusCode::FORBIDDEN,
                "{username} {space}: {}",
                resp.body
            );
        }
    }
}
