//! The authorize pages and the authorization_code grant (§2.1, §2.2).

use std::time::Duration;

use axum::http::StatusCode;
use podio_sim::Config;
use podio_sim::login::{ALLOW, ALLOW_FORM_ID, DENY, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD};
use podio_sim::seed::*;
use serde_json::json;

use crate::flow::{
    REDIRECT, allow_form, authorize_path, code_for, decide, exchange, login_form, page_form, query,
    submit,
};
use crate::helpers::{
    Client, Resp, TestSim, assert_error_body, assert_error_mentions, refresh_with,
};
use crate::http::HttpSim;

const BOB_KEY: (&str, &str) = (BOB_CLIENT_ID, BOB_CLIENT_SECRET);
const JANE_KEY: (&str, &str) = (JANE_CLIENT_ID, JANE_CLIENT_SECRET);
const DEV_KEY: (&str, &str) = (DEV_CLIENT_ID, DEV_CLIENT_SECRET);

fn access_token(resp: &Resp) -> String {
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    resp.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Asserts the 400 error page mentioning `needle`, and no redirect.
fn assert_error_page(resp: &Resp, needle: &str) {
    assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{}", resp.text);
    assert!(resp.header("location").is_none(), "never a redirect");
    assert!(
        resp.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "an html page"
    );
    assert!(resp.text.contains(needle), "{needle:?} in {}", resp.text);
}

#[tokio::test]
async fn bob_logs_in_over_http_and_his_token_sees_his_workspaces() {
    let sim = HttpSim::start(Config::default()).await;
    let path = authorize_path(BOB_CLIENT_ID, REDIRECT, &[("state", "xyz")]);

    let mut login = login_form(&sim, &path).await;
    assert_eq!(login.action, "/oauth/authorize");
    assert_eq!(login.get("client_id"), Some(BOB_CLIENT_ID));
    assert_eq!(login.get("redirect_uri"), Some(REDIRECT));
    assert_eq!(login.get("state"), Some("xyz"));
    assert_eq!(login.get("scope"), Some(""));

    // A wrong password shows the form again, with the e-mail kept.
    login
        .set(USERNAME_FIELD, BOB_USERNAME)
        .set(PASSWORD_FIELD, "wrong");
    let again = submit(&sim, &login).await;
    let mut retry = page_form(&again, StatusCode::UNAUTHORIZED, LOGIN_FORM_ID);
    assert!(again.text.contains("wrong"), "{}", again.text);
    assert_eq!(retry.get(USERNAME_FIELD), Some(BOB_USERNAME));
    assert_eq!(retry.get(PASSWORD_FIELD), Some(""));
    assert_eq!(retry.get("state"), Some("xyz"));

    retry.set(PASSWORD_FIELD, BOB_PASSWORD);
    let page = submit(&sim, &retry).await;
    let allow = page_form(&page, StatusCode::OK, ALLOW_FORM_ID);
    assert!(page.text.contains("Bob Roe"), "{}", page.text);
    assert!(page.text.contains("Bob&#39;s Portico"), "{}", page.text);
    assert_eq!(allow.action, "/oauth/authorize/decision");
    let names: Vec<&str> = allow.fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ticket"], "only the ticket, never a user id");

    let back = decide(&sim, &allow, ALLOW).await;
    assert_eq!(back.origin().ascii_serialization(), "http://127.0.0.1:9");
    assert_eq!(back.path(), "/callback");
    assert_eq!(query(&back, "keep").as_deref(), Some("1"));
    assert_eq!(query(&back, "state").as_deref(), Some("xyz"));
    let code = query(&back, "code").expect("code");

    let resp = exchange(&sim, false, BOB_KEY, &code, REDIRECT).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_eq!(resp.body["ref"], json!({"type": "user", "id": BOB_USER_ID}));
    assert_eq!(resp.body["token_type"], "bearer");
    assert_eq!(resp.body["expires_in"], 28_800);
    assert_eq!(resp.body["scope"], "global:all");
    let token = access_token(&resp);
    let leadership = format!("/space/{PRIVATE_SPACE_ID}");
    assert_eq!(
        sim.get(&leadership, Some(&token)).await.status,
        StatusCode::OK
    );
    let support = format!("/space/{SUPPORT_SPACE_ID}");
    assert_eq!(
        sim.get(&support, Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    let orgs = sim.get("/org/", Some(&token)).await;
    assert_eq!(orgs.body.as_array().map(Vec::len), Some(1), "{}", orgs.body);

    // The code is single-use.
    let reused = exchange(&sim, false, BOB_KEY, &code, REDIRECT).await;
    assert_error_mentions(
        &reused,
        400,
        "invalid_grant",
        "POST",
        "/oauth/token",
        "used",
    );

    // The refresh token is bound to Bob's key: another key is refused and
    // does not spend it.
    let refresh = resp.body["refresh_token"].as_str().expect("refresh_token");
    let other = refresh_with(&sim, DEV_CLIENT_ID, DEV_CLIENT_SECRET, refresh).await;
    assert_error_body(&other, 400, "invalid_grant", "POST", "/oauth/token/v2");
    let refreshed = refresh_with(&sim, BOB_CLIENT_ID, BOB_CLIENT_SECRET, refresh).await;
    assert_eq!(
        refreshed.body["ref"],
        json!({"type": "user", "id": BOB_USER_ID})
    );
    let token = access_token(&refreshed);
    assert_eq!(
        sim.get(&leadership, Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn jane_exchanges_on_the_json_endpoint_and_gets_no_leadership() {
    let sim = HttpSim::start(Config::default()).await;
    let path = authorize_path(
        JANE_CLIENT_ID,
        REDIRECT,
        &[("scope", "global:read"), ("state", "s1")],
    );
    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    let back = decide(&sim, &allow, ALLOW).await;
    let code = query(&back, "code").expect("code");

    let resp = exchange(&sim, true, JANE_KEY, &code, REDIRECT).await;
    assert_eq!(
        resp.body["ref"],
        json!({"type": "user", "id": DEMO_USER_ID})
    );
    assert_eq!(resp.body["scope"], "global:read");
    let token = access_token(&resp);
    let leadership = format!("/space/{PRIVATE_SPACE_ID}");
    let denied = sim.get(&leadership, Some(&token)).await;
    assert_error_body(&denied, 403, "forbidden", "GET", &leadership);
    let orgs = sim.get("/org/", Some(&token)).await;
    assert_eq!(orgs.body.as_array().map(Vec::len), Some(2), "{}", orgs.body);

    let refresh = resp.body["refresh_token"].as_str().expect("refresh_token");
    let refreshed = refresh_with(&sim, JANE_CLIENT_ID, JANE_CLIENT_SECRET, refresh).await;
    assert_eq!(refreshed.body["scope"], "global:read", "the scope is kept");
    access_token(&refreshed);
}

#[tokio::test]
async fn codes_are_bound_to_their_key_and_redirect_uri() {
    let sim = TestSim::default_config();
    let code = code_for(&sim, JANE_CLIENT_ID, CARLA_USERNAME, CARLA_PASSWORD).await;
    let resp = exchange(&sim, false, BOB_KEY, &code, REDIRECT).await;
    assert_error_mentions(
        &resp,
        400,
        "invalid_grant",
        "POST",
        "/oauth/token",
        "client_id",
    );
    // A code shown to the wrong party is spent.
    let resp = exchange(&sim, false, JANE_KEY, &code, REDIRECT).await;
    assert_error_body(&resp, 400, "invalid_grant", "POST", "/oauth/token");

    let code = code_for(&sim, JANE_CLIENT_ID, CARLA_USERNAME, CARLA_PASSWORD).await;
    let elsewhere = "http://127.0.0.1:9/callback";
    let resp = exchange(&sim, true, JANE_KEY, &code, elsewhere).await;
    assert_error_mentions(
        &resp,
        400,
        "invalid_grant",
        "POST",
        "/oauth/token/v2",
        "redirect_uri",
    );

    let resp = exchange(&sim, true, JANE_KEY, "not-a-code", REDIRECT).await;
    assert_error_body(&resp, 400, "invalid_grant", "POST", "/oauth/token/v2");
    let resp = exchange(&sim, true, (JANE_CLIENT_ID, "wrong"), "x", REDIRECT).await;
    assert_error_body(&resp, 401, "invalid_client", "POST", "/oauth/token/v2");
    let resp = sim
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", JANE_CLIENT_ID),
                ("client_secret", JANE_CLIENT_SECRET),
                ("code", "x"),
            ],
        )
        .await;
    assert_error_mentions(
        &resp,
        400,
        "invalid_request",
        "POST",
        "/oauth/token",
        "redirect_uri",
    );

    // Carla's token, once a code is exchanged properly, is Carla's.
    let code = code_for(&sim, JANE_CLIENT_ID, CARLA_USERNAME, CARLA_PASSWORD).await;
    let resp = exchange(&sim, true, JANE_KEY, &code, REDIRECT).await;
    assert_eq!(
        resp.body["ref"],
        json!({"type": "user", "id": CARLA_USER_ID})
    );
}

#[tokio::test(start_paused = true)]
async fn codes_expire_after_ten_minutes_and_tokens_obey_the_ttl() {
    let sim = TestSim::new(Config {
        token_ttl: Duration::from_secs(60),
        ..Config::default()
    });
    let code = code_for(&sim, DEV_CLIENT_ID, DEV_USERNAME, DEV_PASSWORD).await;
    tokio::time::advance(Duration::from_secs(601)).await;
    let resp = exchange(&sim, false, DEV_KEY, &code, REDIRECT).await;
    assert_error_mentions(
        &resp,
        400,
        "invalid_grant",
        "POST",
        "/oauth/token",
        "expired",
    );

    let code = code_for(&sim, DEV_CLIENT_ID, DEV_USERNAME, DEV_PASSWORD).await;
    tokio::time::advance(Duration::from_secs(590)).await;
    let resp = exchange(&sim, false, DEV_KEY, &code, REDIRECT).await;
    assert_eq!(resp.body["expires_in"], 60);
    let token = access_token(&resp);
    assert_eq!(sim.get("/org/", Some(&token)).await.status, StatusCode::OK);
    tokio::time::advance(Duration::from_secs(61)).await;
    let expired = sim.get("/org/", Some(&token)).await;
    assert_error_mentions(
        &expired,
        401,
        "invalid_token",
        "GET",
        "/org/",
        "expired_token",
    );
    let refresh = resp.body["refresh_token"].as_str().expect("refresh_token");
    let token = access_token(&sim.refresh(refresh).await);
    assert_eq!(sim.get("/org/", Some(&token)).await.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn the_allow_page_expires_and_its_ticket_is_single_use() {
    let sim = TestSim::default_config();
    let path = authorize_path(DEV_CLIENT_ID, REDIRECT, &[]);
    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    decide(&sim, &allow, DENY).await;
    let mut again = allow.clone();
    again.set("decision", ALLOW);
    assert_error_page(&submit(&sim, &again).await, "expired or was already used");

    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    tokio::time::advance(Duration::from_secs(601)).await;
    let mut late = allow.clone();
    late.set("decision", ALLOW);
    assert_error_page(&submit(&sim, &late).await, "expired or was already used");

    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    let mut odd = allow.clone();
    odd.set("decision", "maybe");
    assert_error_page(&submit(&sim, &odd).await, "allow or deny");
    // The odd decision did not spend the ticket.
    decide(&sim, &allow, ALLOW).await;
}

#[tokio::test]
async fn deny_sends_access_denied_back_with_the_state() {
    let sim = TestSim::default_config();
    let path = authorize_path(BOB_CLIENT_ID, REDIRECT, &[("state", "st")]);
    let allow = allow_form(&sim, &path, BOB_USERNAME, BOB_PASSWORD).await;
    let back = decide(&sim, &allow, DENY).await;
    assert_eq!(back.path(), "/callback");
    assert_eq!(query(&back, "keep").as_deref(), Some("1"));
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "error_reason").as_deref(), Some("user_denied"));
    assert!(query(&back, "error_description").is_some_and(|d| !d.is_empty()));
    assert_eq!(query(&back, "state").as_deref(), Some("st"));
    assert_eq!(query(&back, "code"), None);

    // Without a state, none comes back; response_type may be left out.
    let path = format!(
        "/oauth/authorize?client_id={DEV_CLIENT_ID}&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcb"
    );
    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    let back = decide(&sim, &allow, ALLOW).await;
    assert_eq!(
        back.as_str().split('?').next(),
        Some("http://localhost:4000/cb")
    );
    assert!(query(&back, "code").is_some());
    assert_eq!(query(&back, "state"), None);
}

#[tokio::test]
async fn bad_requests_get_an_error_page_and_no_redirect() {
    let sim = HttpSim::start(Config::default()).await;
    let cases = [
        (
            authorize_path("nobody", REDIRECT, &[]),
            "not a known api key",
        ),
        (
            "/oauth/authorize?redirect_uri=http%3A%2F%2Flocalhost%2F".to_owned(),
            "client_id parameter is required",
        ),
        (
            format!("/oauth/authorize?client_id={DEV_CLIENT_ID}"),
            "redirect_uri parameter is required",
        ),
        (
            authorize_path(DEV_CLIENT_ID, "not a url", &[]),
            "not an absolute http or https url",
        ),
        (
            authorize_path(JANE_CLIENT_ID, "https://evil.example/cb", &[]),
            JANE_KEY_DOMAIN,
        ),
        (
            authorize_path(JANE_CLIENT_ID, &format!("https://{BOB_KEY_DOMAIN}/cb"), &[]),
            "not on jane.example",
        ),
        (
            authorize_path(DEV_CLIENT_ID, REDIRECT, &[("response_type", "token")]),
            "client-side flow",
        ),
    ];
    for (path, needle) in &cases {
        assert_error_page(&sim.get(path, None).await, needle);
    }
    // Registered domains and their subdomains pass.
    let ok = authorize_path(
        JANE_CLIENT_ID,
        &format!("https://app.{JANE_KEY_DOMAIN}/cb"),
        &[],
    );
    login_form(&sim, &ok).await;

    // Tampering with the login form's hidden redirect_uri is caught too.
    let mut login = login_form(&sim, &authorize_path(BOB_CLIENT_ID, REDIRECT, &[])).await;
    login
        .set("redirect_uri", "https://evil.example/steal")
        .set(USERNAME_FIELD, BOB_USERNAME)
        .set(PASSWORD_FIELD, BOB_PASSWORD);
    assert_error_page(&submit(&sim, &login).await, "evil.example");

    // Dev Patel has no password: he cannot log in.
    let mut login = login_form(&sim, &authorize_path(BOB_CLIENT_ID, REDIRECT, &[])).await;
    login
        .set(USERNAME_FIELD, "dev.patel@example.com")
        .set(PASSWORD_FIELD, "");
    let resp = submit(&sim, &login).await;
    page_form(&resp, StatusCode::UNAUTHORIZED, LOGIN_FORM_ID);
}

#[tokio::test]
async fn a_hostile_state_is_escaped_on_the_pages_and_echoed_exactly() {
    let sim = TestSim::default_config();
    let state = r#""><script>alert('x')</script>&amp;"#;
    let path = authorize_path(DEV_CLIENT_ID, REDIRECT, &[("state", state)]);
    let page = sim.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("<script>"), "{}", page.text);
    assert!(page.text.contains("&lt;script&gt;"), "{}", page.text);
    let mut login = page_form(&page, StatusCode::OK, LOGIN_FORM_ID);
    assert_eq!(login.get("state"), Some(state));

    // A hostile username on a failed login is escaped as well.
    login
        .set(USERNAME_FIELD, "<b>x</b>@example.com")
        .set(PASSWORD_FIELD, "nope");
    let failed = submit(&sim, &login).await;
    assert!(!failed.text.contains("<b>"), "{}", failed.text);
    assert!(!failed.text.contains("<script>"), "{}", failed.text);

    let allow = allow_form(&sim, &path, DEV_USERNAME, DEV_PASSWORD).await;
    let back = decide(&sim, &allow, ALLOW).await;
    assert_eq!(query(&back, "state").as_deref(), Some(state));
}
