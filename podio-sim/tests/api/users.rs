//! The authenticated user: status, user object, profile.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::json;

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions};

#[tokio::test]
async fn status_names_the_user_and_the_unread_count() {
    let (sim, t) = TestSim::logged_in().await;
    let resp = sim.get("/user/status", Some(&t)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let s = &resp.body;
    assert_eq!(s["user"]["user_id"], DEMO_USER_ID);
    assert_eq!(s["user"]["mail"], DEV_USERNAME);
    assert_eq!(s["user"]["status"], "active");
    assert_eq!(s["user"]["timezone"], "UTC");
    assert!(s["user"]["locale"].is_string());
    assert_eq!(s["profile"]["profile_id"], DEMO_PROFILE_ID);
    assert_eq!(s["profile"]["user_id"], DEMO_USER_ID);
    assert_eq!(s["profile"]["name"], "Jane Doe");
    assert_eq!(
        s["profile"]["link"],
        format!("https://podio.com/users/{DEMO_USER_ID}")
    );
    assert!(s["profile"]["avatar"].is_u64());
    assert_eq!(s["properties"], json!({}));
    assert_eq!(s["inbox_new"], DEMO_UNREAD_NOTIFICATIONS);
    assert!(s["calendar_code"].is_string());

    let user = sim.get("/user/", Some(&t)).await;
    assert_eq!(user.status, StatusCode::OK);
    assert_eq!(user.body, s["user"]);
    let profile = sim.get("/user/profile/", Some(&t)).await;
    assert_eq!(profile.body, s["profile"]);
}

#[tokio::test]
async fn app_tokens_and_anonymous_calls_are_refused() {
    let sim = TestSim::default_config();
    let app = sim.app_token(DEALS_APP_ID).await;
    for path in ["/user/status", "/user/", "/user/profile/"] {
        let resp = sim.get(path, Some(&app)).await;
        assert_error_mentions(&resp, 403, "forbidden", "GET", path, "app token");
    }
    let anonymous = sim.get("/user/status", None).await;
    assert_error_body(&anonymous, 401, "unauthorized", "GET", "/user/status");
}
