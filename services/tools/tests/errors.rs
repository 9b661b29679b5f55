//! Everything that is not a happy path: authentication, scopes, bad
//! arguments, unknown tools, Podio's errors, and the introspection cache.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use common::{Harness, REVOKED, Reply, TOKEN, WRITE_ONLY, invalid, text};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[tokio::test]
async fn no_token_or_an_inactive_one_is_unauthenticated() {
    let h = Harness::new();
    for token in [None, Some(REVOKED)] {
        let status = h.list(token).await.expect_err("list needs a token");
        assert_eq!(status.code(), Code::Unauthenticated, "{token:?}");
        let status = h
            .call_as(token, "get_organizations", "{}")
            .await
            .expect_err("call needs a token");
        assert_eq!(status.code(), Code::Unauthenticated, "{token:?}");
    }
    let status = h.list(None).await.expect_err("no token");
    assert!(
        status.message().contains("missing bearer token"),
        "{}",
        status.message()
    );
    let status = h.list(Some(REVOKED)).await.expect_err("revoked");
    assert!(
        status.message().contains("not active"),
        "{}",
        status.message()
    );
    assert!(h.connector.requests().is_empty(), "podio is never called");
}

#[tokio::test]
async fn a_token_without_the_scope_is_denied_naming_it() {
    let h = Harness::new();
    let status = h
        .call_as(Some(WRITE_ONLY), "get_item", r#"{"item_id": 1}"#)
        .await
        .expect_err("denied");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("podio:read"),
        "{}",
        status.message()
    );
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(
        info.metadata.get("required_scope").map(String::as_str),
        Some("podio:read")
    );
    assert!(h.connector.requests().is_empty());
    // Listing does not need the scope: the catalog itself is not Podio data.
    assert_eq!(
        h.list(Some(WRITE_ONLY)).await.expect("list").len(),
        h.list(Some(TOKEN)).await.expect("list").len()
    );
}

#[tokio::test]
async fn unknown_tools_are_not_found() {
    let h = Harness::new();
    let status = h.call("get_everything", "{}").await.expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        status.message().contains("\"get_everything\""),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn bad_arguments_are_rejected_naming_the_field() {
    let h = Harness::new();

    let (message, _) = invalid(&h, "get_item", "[1, 2]").await;
    assert_eq!(
        message,
        "arguments: expected a JSON object of named arguments, got an array"
    );

    let (message, violations) = invalid(&h, "get_item", r#"{"item_id": "abc"}"#).await;
    assert_eq!(
        message,
        r#"item_id: expected a positive integer item id, got "abc""#
    );
    assert_eq!(violations[0].0, "item_id");

    let (message, _) = invalid(&h, "get_item", "{}").await;
    assert!(
        message.starts_with("item_id: missing required argument"),
        "{message}"
    );

    let (message, violations) = invalid(
        &h,
        "get_items",
        r#"{"app_id": 5551234, "view": 1, "limit": 501}"#,
    )
    .await;
    assert_eq!(
        violations,
        [
            (
                "view".to_owned(),
                "unknown argument; accepted arguments: app_id, filters, limit, offset, sort_by, sort_desc".to_owned()
            ),
            (
                "limit".to_owned(),
                "expected an integer from 1 to 500, got 501".to_owned()
            ),
        ]
    );
    assert_eq!(
        message,
        "view: unknown argument; accepted arguments: app_id, filters, limit, offset, sort_by, sort_desc; limit: expected an integer from 1 to 500, got 501"
    );

    let (message, _) = invalid(&h, "get_items", r#"{"app_id": 1, "offset": -1}"#).await;
    assert!(
        message.starts_with("offset: expected an integer from 0"),
        "{message}"
    );

    let (message, _) = invalid(&h, "get_organizations", r#"{"org_id": 1}"#).await;
    assert_eq!(
        message,
        "org_id: unknown argument; accepted arguments: limit, offset"
    );

    assert!(h.connector.requests().is_empty(), "nothing reaches podio");
}

fn failure(h: &Harness, route: &str, status: Status) {
    h.connector.reply(route, Reply::Fail(status));
}

#[tokio::test]
async fn podio_not_found_is_an_actionable_tool_error() {
    let h = Harness::new();
    failure(&h, "GET /item/999", Status::not_found("Object not found"));
    let response = h
        .call("get_item", r#"{"item_id": 999}"#)
        .await
        .expect("a result");
    assert!(response.is_error);
    assert!(response.structured_content_json.is_empty());
    assert_eq!(
        text(&response),
        "item 999 was not found in Podio: it may have been deleted or the id is wrong; use get_items on its app to find item ids"
    );

    failure(&h, "GET /app/77", Status::not_found("gone"));
    let response = h
        .call("get_app", r#"{"app_id": 77}"#)
        .await
        .expect("a result");
    assert!(response.is_error);
    assert!(
        text(&response).contains("use get_apps_in_space"),
        "{}",
        text(&response)
    );
}

#[tokio::test]
async fn rate_limits_tell_when_to_retry() {
    let h = Harness::new();
    let status = Status::with_error_details(
        Code::ResourceExhausted,
        "You have hit the rate limit",
        ErrorDetails::with_error_info(
            "rate_limit",
            "podio.com",
            HashMap::from([
                ("http_status".to_owned(), "420".to_owned()),
                ("retry_after_seconds".to_owned(), "37".to_owned()),
            ]),
        ),
    );
    failure(&h, "GET /org/", status);
    let response = h.call("get_organizations", "{}").await.expect("a result");
    assert!(response.is_error);
    assert_eq!(
        text(&response),
        "Podio's rate limit was reached; retry after 37 seconds"
    );
}

#[tokio::test]
async fn other_connector_errors_map_to_results_or_statuses() {
    let h = Harness::new();
    failure(
        &h,
        "GET /org/1/space/",
        Status::permission_denied("forbidden"),
    );
    let response = h
        .call("get_spaces_in_organization", r#"{"org_id": 1}"#)
        .await
        .expect("a result");
    assert!(response.is_error);
    assert!(
        text(&response).starts_with("Podio denied access to organization 1"),
        "{}",
        text(&response)
    );

    failure(
        &h,
        "GET /org/2/space/",
        Status::failed_precondition("no Podio credentials are configured"),
    );
    let response = h
        .call("get_spaces_in_organization", r#"{"org_id": 2}"#)
        .await
        .expect("a result");
    assert!(response.is_error);
    assert!(text(&response).contains("no Podio credentials are configured"));

    failure(&h, "GET /org/3/space/", Status::unavailable("podio down"));
    let status = h
        .call("get_spaces_in_organization", r#"{"org_id": 3}"#)
        .await
        .expect_err("status");
    assert_eq!(status.code(), Code::Unavailable);

    failure(
        &h,
        "GET /org/4/space/",
        Status::internal("stack trace with secrets"),
    );
    let status = h
        .call("get_spaces_in_organization", r#"{"org_id": 4}"#)
        .await
        .expect_err("status");
    assert_eq!(status.code(), Code::Internal);
    assert!(!status.message().contains("secrets"));

    // A body that is not JSON is Podio's failure: the model is told.
    h.connector
        .reply("GET /org/5/space/", Reply::Json("not json".to_owned()));
    let response = h
        .call("get_spaces_in_organization", r#"{"org_id": 5}"#)
        .await
        .expect("a result");
    assert!(response.is_error);
    assert_eq!(
        text(&response),
        "Podio is unavailable for organization 5: it answered with a body that is not JSON; retry shortly"
    );
}

#[tokio::test(start_paused = true)]
async fn introspection_is_cached_for_thirty_seconds() {
    let h = Harness::new();
    let calls = || h.auth.introspections.load(Ordering::SeqCst);
    for _ in 0..5 {
        h.call("get_organizations", "{}").await.expect("ok");
    }
    h.list(Some(TOKEN)).await.expect("list");
    assert_eq!(
        calls(),
        1,
        "one introspection serves every call with the token"
    );

    for _ in 0..3 {
        h.list(Some(REVOKED)).await.expect_err("inactive");
    }
    assert_eq!(calls(), 2, "inactive results are cached too");

    tokio::time::advance(std::time::Duration::from_secs(31)).await;
    h.list(Some(TOKEN)).await.expect("list");
    assert_eq!(calls(), 3, "expired results are asked again");
}
