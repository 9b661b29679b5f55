//! `GET /space/{id}/member/`, `GET /space/{id}/member/v2/` and
//! `GET /org/{id}/member/`.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::Value;

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions, ids};

fn user_ids(list: &Value) -> Vec<u64> {
    ids(list, "/user/user_id")
}

#[tokio::test]
async fn space_members_have_roles_profiles_and_dates() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim
        .get(&format!("/space/{SALES_SPACE_ID}/member/"), Some(&token))
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    // Ordered by name: Bob Roe, Carla Diaz, Jane Doe.
    assert_eq!(
        user_ids(&resp.body),
        [BOB_USER_ID, CARLA_USER_ID, DEMO_USER_ID]
    );
    let bob = &resp.body[0];
    assert_eq!(bob["role"], "admin");
    assert_eq!(bob["profile"]["profile_id"], BOB_PROFILE_ID);
    assert_eq!(bob["profile"]["name"], "Bob Roe");
    assert_eq!(bob["user"]["mail"], "bob.roe@example.com");
    assert_eq!(bob["employee"], true);
    let jane = &resp.body[2];
    assert_eq!(jane["role"], "regular");
    let invited = jane["invited_on"].as_str().expect("invited_on");
    let started = jane["started_on"].as_str().expect("started_on");
    assert!(invited < started, "{invited} < {started}");
    assert!(
        started > "2019-02-01 10:30:00",
        "joined after the space was made"
    );

    let page = sim
        .get(
            &format!("/space/{SALES_SPACE_ID}/member/?limit=1&offset=1"),
            Some(&token),
        )
        .await;
    assert_eq!(user_ids(&page.body), [CARLA_USER_ID]);

    let private = format!("/space/{PRIVATE_SPACE_ID}/member/");
    let resp = sim.get(&private, Some(&token)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", &private);
}

#[tokio::test]
async fn space_members_v2_pages_and_filters() {
    let (sim, token) = TestSim::logged_in().await;
    let base = format!("/space/{SALES_SPACE_ID}/member/v2/");
    let resp = sim.get(&format!("{base}?query=DIAZ"), Some(&token)).await;
    assert_eq!(user_ids(&resp.body), [CARLA_USER_ID]);
    let resp = sim
        .get(&format!("{base}?member_type=regular"), Some(&token))
        .await;
    assert_eq!(user_ids(&resp.body), [CARLA_USER_ID, DEMO_USER_ID]);
    let resp = sim
        .get(&format!("{base}?limit=2&offset=2"), Some(&token))
        .await;
    assert_eq!(user_ids(&resp.body), [DEMO_USER_ID]);
    let resp = sim
        .get(&format!("{base}?member_type=owner"), Some(&token))
        .await;
    assert_error_mentions(&resp, 400, "invalid_value", "GET", &base, "member_type");
    let resp = sim.get(&format!("{base}?limit=0"), Some(&token)).await;
    assert_error_body(&resp, 400, "invalid_value", "GET", &base);
}

#[tokio::test]
async fn org_members_are_for_admins_with_search_and_paging() {
    let (sim, token) = TestSim::logged_in().await;
    let base = format!("/org/{ORG_ID}/member/");
    let resp = sim.get(&base, Some(&token)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_eq!(
        user_ids(&resp.body),
        [BOB_USER_ID, CARLA_USER_ID, DEV_PATEL_USER_ID, DEMO_USER_ID]
    );
    let jane = &resp.body[3];
    assert_eq!(jane["role"], "admin");
    assert_eq!(jane["employee"], true);
    // Sales, Support and Marketing.
    assert_eq!(jane["space_memberships"], 3);
    assert_eq!(jane["profile"]["profile_id"], DEMO_PROFILE_ID);

    let resp = sim.get(&format!("{base}?query=patel"), Some(&token)).await;
    assert_eq!(user_ids(&resp.body), [DEV_PATEL_USER_ID]);
    let resp = sim
        .get(
            &format!("{base}?query=example.com&limit=2&offset=1"),
            Some(&token),
        )
        .await;
    assert_eq!(user_ids(&resp.body), [CARLA_USER_ID, DEV_PATEL_USER_ID]);
    let resp = sim
        .get(
            &format!("{base}?member_type=admin&sort_desc=true"),
            Some(&token),
        )
        .await;
    assert_eq!(user_ids(&resp.body), [DEMO_USER_ID, DEV_PATEL_USER_ID]);
    let resp = sim.get(&format!("{base}?sort_by=age"), Some(&token)).await;
    assert_error_body(&resp, 400, "invalid_value", "GET", &base);

    // An app token is not an org admin.
    let app = sim.app_token(DEALS_APP_ID).await;
    let resp = sim.get(&base, Some(&app)).await;
    assert_error_mentions(&resp, 403, "forbidden", "GET", &base, "administrators");
    let resp = sim.get("/org/1/member/", Some(&token)).await;
    assert_error_body(&resp, 404, "not_found", "GET", "/org/1/member/");
}
