//! The workspace, member, view, app-summary and search tools: get_space,
//! get_space_members, get_org_members, list-views, get_app_summary and
//! search_globally — requests sent to Podio, decoded results, paging, bad
//! input and Podio's errors.

mod common;

use common::{Harness, Reply, failure, fixture, invalid, pairs, podio_refusal, query_of};
use portico_proto::connector::v1::PodioRequest;
use serde_json::{Value, json};
use tonic::Status;

fn harness() -> Harness {
    let h = Harness::new();
    for (route, file) in [
        ("GET /space/2501464", "space.json"),
        ("GET /space/2501464/member/", "space_members.json"),
        ("GET /org/720690/member/", "org_members.json"),
        ("GET /view/app/5551234/", "views.json"),
        ("POST /search/", "search.json"),
        ("POST /search/space/2501464/", "search.json"),
        ("POST /item/app/5551200/filter/", "filter_companies.json"),
    ] {
        h.connector.reply(route, Reply::Json(fixture(file)));
    }
    h.connector.reply(
        "GET /item/app/5551234/count",
        Reply::Json(r#"{"count": 312}"#.to_owned()),
    );
    h
}

/// "METHOD path" of each request, sorted (concurrent calls arrive in any
/// order).
fn routes(requests: &[PodioRequest]) -> Vec<String> {
    let mut routes: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    routes.sort();
    routes
}

/// The request to `method path`, which must have been sent exactly once.
fn request_to(requests: &[PodioRequest], method: &str, path: &str) -> PodioRequest {
    let matching: Vec<&PodioRequest> = requests
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "{method} {path} in {:?}",
        routes(requests)
    );
    matching[0].clone()
}

fn body(request: &PodioRequest) -> Value {
    serde_json::from_str(&request.body_json).expect("json body")
}

// ---------------------------------------------------------------- get_space

#[tokio::test]
async fn get_space_describes_the_workspace() {
    let h = harness();
    let (text, out) = h.ok("get_space", r#"{"space_id": 2501464}"#).await;
    let requests = h.connector.requests();
    assert_eq!(routes(&requests), ["GET /space/2501464"]);
    assert!(requests[0].query.is_empty() && requests[0].body_json.is_empty());
    assert_eq!(
        out,
        json!({
            "space_id": 2501464, "name": "Sales",
            "description": "Everything about deals & customers",
            "url": "https://podio.com/acme/sales", "org_id": 720690, "org_name": "Acme",
            "privacy": "closed", "role": "regular", "type": "regular",
            "created_on": "2019-03-01 10:00:00", "created_by": "Jane Doe", "member_count": 3,
        })
    );
    assert_eq!(
        text,
        "Workspace Sales (space 2501464)\nOrganization: Acme (org 720690)\nPrivacy: closed\n\
         Your role: regular\nType: regular\nMembers: 3\nCreated: 2019-03-01 10:00:00\n\
         Created by: Jane Doe\nLink: https://podio.com/acme/sales\n\
         Description: Everything about deals & customers"
    );
}

#[tokio::test]
async fn get_space_tolerates_a_sparse_answer() {
    let h = harness();
    h.connector.reply(
        "GET /space/9",
        Reply::Json(
            r#"{"space_id": 9, "name": "Bare", "org": {"org_id": 3}, "members": 4}"#.into(),
        ),
    );
    let (text, out) = h.ok("get_space", r#"{"space_id": "9"}"#).await;
    assert_eq!(out["org_id"], 3, "org_id falls back to the org object");
    assert_eq!(out["member_count"], 4, "the older `members` count");
    assert_eq!(out["description"], Value::Null);
    assert_eq!(
        text,
        "Workspace Bare (space 9)\nOrganization: org 3\nMembers: 4"
    );
}

#[tokio::test]
async fn get_space_rejects_bad_ids_and_names_missing_spaces() {
    let h = harness();
    let (message, violations) = invalid(&h, "get_space", r#"{"space_id": "sales"}"#).await;
    assert_eq!(
        message,
        r#"space_id: expected a positive integer space id, got "sales""#
    );
    assert_eq!(violations.len(), 1);
    assert!(h.connector.requests().is_empty());

    h.connector.reply(
        "GET /space/404",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let text = failure(&h, "get_space", r#"{"space_id": 404}"#).await;
    assert_eq!(
        text,
        "space 404 was not found in Podio: it may have been deleted or the id is wrong; \
         use get_organizations or get_spaces_in_organization to find space ids"
    );
}

// -------------------------------------------------------- get_space_members

#[tokio::test]
async fn get_space_members_pages_podios_full_list() {
    let h = harness();
    let (text, out) = h
        .ok("get_space_members", r#"{"space_id": 2501464, "limit": 2}"#)
        .await;
    let requests = h.connector.requests();
    assert_eq!(routes(&requests), ["GET /space/2501464/member/"]);
    assert!(requests[0].query.is_empty());
    assert_eq!(
        (
            out["total"].clone(),
            out["count"].clone(),
            out["next_offset"].clone()
        ),
        (json!(3), json!(2), json!(2))
    );
    assert_eq!(
        out["members"][1],
        json!({
            "user_id": 1337751, "profile_id": 67160611, "name": "Carla Guest",
            "mail": "carla@partner.example", "role": "light",
            "invited_on": "2023-05-01 12:00:00", "started_on": "2023-05-02 07:15:00",
            "employee": false,
        })
    );
    assert_eq!(
        text,
        "Members 1–2 of 3 in space 2501464; pass offset=2 for more:\n\
         - Bob Roe (user 1337750, profile 67160610, bob@acme.example): regular, joined 2020-01-03 09:30:00\n\
         - Carla Guest (user 1337751, profile 67160611, carla@partner.example): light, joined 2023-05-02 07:15:00, not an employee"
    );

    let (text, out) = h
        .ok(
            "get_space_members",
            r#"{"space_id": 2501464, "limit": 2, "offset": 2}"#,
        )
        .await;
    assert_eq!(out["members"][0]["name"], "Jane Doe");
    assert_eq!(
        (out["count"].clone(), out["next_offset"].clone()),
        (json!(1), Value::Null)
    );
    assert!(
        text.starts_with("Members 3–3 of 3 in space 2501464:\n"),
        "{text}"
    );

    let (text, out) = h
        .ok("get_space_members", r#"{"space_id": 2501464, "offset": 7}"#)
        .await;
    assert_eq!(
        (out["count"].clone(), out["total"].clone()),
        (json!(0), json!(3))
    );
    assert_eq!(
        text,
        "No members in space 2501464 at offset 7: there are only 3 members; use an offset below 3."
    );
}

#[tokio::test]
async fn get_space_members_checks_the_page_arguments() {
    let h = harness();
    let (message, _) = invalid(
        &h,
        "get_space_members",
        r#"{"space_id": 2501464, "limit": 501, "offset": -1}"#,
    )
    .await;
    assert_eq!(
        message,
        "limit: expected an integer from 1 to 500, got 501; \
         offset: expected an integer from 0 to 9223372036854775807, got -1"
    );
}

// ---------------------------------------------------------- get_org_members

#[tokio::test]
async fn get_org_members_passes_paging_and_search_to_podio() {
    let h = harness();
    let (text, out) = h
        .ok(
            "get_org_members",
            r#"{"org_id": 720690, "limit": 2, "query": " jane "}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(routes(&requests), ["GET /org/720690/member/"]);
    assert_eq!(
        query_of(&requests[0]),
        pairs(&[("limit", "2"), ("offset", "0"), ("query", "jane")])
    );
    assert_eq!(out["query"], "jane");
    assert_eq!(out["next_offset"], 2, "a full page may have more");
    assert_eq!(
        out["members"][0],
        json!({
            "user_id": 1337749, "profile_id": 67160609, "name": "Jane Doe",
            "mail": "jane@acme.example", "role": "admin", "employee": true,
            "space_memberships": 2,
        })
    );
    assert_eq!(
        text,
        "Members 1–2 of organization 720690 matching \"jane\"; the page is full, there may be more: pass offset=2:\n\
         - Jane Doe (user 1337749, profile 67160609, jane@acme.example): admin, in 2 workspaces\n\
         - Bob Roe (user 1337750, profile 67160610, bob@acme.example): regular, in 1 workspace"
    );

    let (_, out) = h.ok("get_org_members", r#"{"org_id": 720690}"#).await;
    let last = h.connector.requests().pop().expect("request");
    assert_eq!(query_of(&last), pairs(&[("limit", "20"), ("offset", "0")]));
    assert_eq!(out["next_offset"], Value::Null, "a short page is the last");
    assert_eq!(out["query"], Value::Null);
}

#[tokio::test]
async fn get_org_members_explains_that_only_admins_may_list_members() {
    let h = harness();
    h.connector.reply(
        "GET /org/720690/member/",
        Reply::Fail(podio_refusal(
            tonic::Code::PermissionDenied,
            403,
            "forbidden",
            "Only admins can see members",
        )),
    );
    let text = failure(&h, "get_org_members", r#"{"org_id": 720690}"#).await;
    assert_eq!(
        text,
        "Podio denied access to the members of organization 720690: the connected Podio \
         account is not allowed to see it (Podio said: Only admins can see members). Only \
         organization admins can list an organization's members; use get_space_members to \
         list the members of a workspace instead."
    );

    let (message, violations) = invalid(
        &h,
        "get_org_members",
        r#"{"org_id": 720690, "query": "  ", "limit": 101}"#,
    )
    .await;
    assert_eq!(violations.len(), 2, "{message}");
    assert_eq!(
        message,
        "query: expected a non-empty text, got an empty string; \
         limit: expected an integer from 1 to 100, got 101"
    );
}

// --------------------------------------------------------------- list-views

#[tokio::test]
async fn list_views_writes_filters_in_words_using_the_app() {
    let h = harness();
    let (text, out) = h.ok("list-views", r#"{"app_id": 5551234}"#).await;
    let requests = h.connector.requests();
    assert_eq!(
        routes(&requests),
        ["GET /app/5551234", "GET /view/app/5551234/"]
    );
    let views = request_to(&requests, "GET", "/view/app/5551234/");
    assert_eq!(
        query_of(&views),
        pairs(&[("include_standard_views", "false")])
    );
    assert_eq!(
        (
            out["total"].clone(),
            out["next_offset"].clone(),
            out["fields_resolved"].clone()
        ),
        (json!(3), Value::Null, json!(true))
    );
    let open = &out["views"][0];
    assert_eq!(
        (
            open["view_id"].clone(),
            open["type"].clone(),
            open["items"].clone()
        ),
        (json!(4001), json!("team"), json!(2))
    );
    assert_eq!(open["sort_by"], "69524906");
    assert_eq!(open["sort_by_name"], "Close date (close-date)");
    assert_eq!(
        open["filters"][0],
        json!({
            "key": "69524905", "field_id": 69524905, "external_id": "stage", "label": "Stage",
            "type": "category", "values": [1, 2], "text": "Stage (stage) is Lead or Negotiation",
        })
    );
    assert_eq!(
        out["views"][1]["filters"][0],
        json!({
            "key": "created_by", "field_id": null, "external_id": null, "label": null,
            "type": null, "values": [{"type": "user", "id": 1337749}],
            "text": "created_by is user 1337749",
        })
    );
    assert_eq!(
        text,
        "Views 1–3 of 3 in app 5551234:\n\
         - Open deals (view 4001, team, 2 items, by Bob Roe)\n  sorted by Close date (close-date), ascending\n  \
         where Stage (stage) is Lead or Negotiation\n  where Deal value (deal-value) at least 1000\n\
         - My recent (view 4002, private, 1 item, by Jane Doe)\n  sorted by created_on, descending\n  \
         where created_by is user 1337749\n  where Company (company) is item 123450001\n\
         - Everything (view 4003, team, 312 items, by Jane Doe)\n  no filters"
    );
}

#[tokio::test]
async fn list_views_still_lists_when_the_app_cannot_be_read() {
    let h = harness();
    h.connector.reply(
        "GET /app/5551234",
        Reply::Fail(Status::permission_denied("no")),
    );
    let (text, out) = h
        .ok(
            "list-views",
            r#"{"app_id": 5551234, "include_standard_views": true, "limit": 1, "offset": 1}"#,
        )
        .await;
    let views = request_to(&h.connector.requests(), "GET", "/view/app/5551234/");
    assert_eq!(
        query_of(&views),
        pairs(&[("include_standard_views", "true")])
    );
    assert_eq!(out["fields_resolved"], false);
    assert_eq!(
        (out["count"].clone(), out["next_offset"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        out["views"][0]["filters"][1]["text"],
        "field 69524912 is 123450001"
    );
    assert!(
        text.ends_with("(The app's fields could not be read, so filters show field ids and option ids; get_app names them.)"),
        "{text}"
    );
}

#[tokio::test]
async fn list_views_rejects_bad_input_and_names_missing_apps() {
    let h = harness();
    let (message, _) = invalid(
        &h,
        "list-views",
        r#"{"app_id": 5551234, "include_standard_views": "maybe", "limit": 201}"#,
    )
    .await;
    assert_eq!(
        message,
        "include_standard_views: expected true or false, got \"maybe\"; \
         limit: expected an integer from 1 to 200, got 201"
    );

    h.connector.reply(
        "GET /view/app/77/",
        Reply::Fail(Status::not_found("Object not found")),
    );
    h.connector.reply(
        "GET /app/77",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let text = failure(&h, "list-views", r#"{"app_id": 77}"#).await;
    assert_eq!(
        text,
        "app 77 was not found in Podio: it may have been deleted or the id is wrong; \
         use get_apps_in_space to find app ids"
    );
}

// ---------------------------------------------------------- get_app_summary

#[tokio::test]
async fn get_app_summary_combines_definition_count_and_newest_items() {
    let h = harness();
    let (text, out) = h.ok("get_app_summary", r#"{"app_id": 5551234}"#).await;
    let requests = h.connector.requests();
    assert_eq!(
        routes(&requests),
        [
            "GET /app/5551234",
            "GET /item/app/5551234/count",
            "POST /item/app/5551234/filter/"
        ]
    );
    let filter = request_to(&requests, "POST", "/item/app/5551234/filter/");
    assert_eq!(
        body(&filter),
        json!({"limit": 5, "sort_by": "created_on", "sort_desc": true})
    );
    assert_eq!(out["name"], "Deals");
    assert_eq!(out["item_name"], "Deal");
    assert_eq!(out["description"], "Sales pipeline");
    assert_eq!(out["usage"], Value::Null);
    assert_eq!(out["item_count"], 312);
    // The definition part is get_app's, field for field (get_app's own test
    // checks the fields).
    let (_, app) = h.ok("get_app", r#"{"app_id": 5551234}"#).await;
    for key in [
        "app_id",
        "name",
        "item_name",
        "description",
        "space_id",
        "link",
        "fields",
    ] {
        assert_eq!(out[key], app[key], "{key}");
    }
    assert_eq!(out["recent_items"][0]["item_id"], 987654321);
    assert_eq!(
        out["recent_items"][0]["fields"]["stage"]["value"],
        json!([{"id": 2, "text": "Negotiation"}])
    );
    assert_eq!(
        text,
        "App Deals (app 5551234), items are called \"Deal\", in space 2501464\n\
         Purpose: Sales pipeline\nItems: 312\nLink: https://podio.com/acme/sales/apps/deals\n\
         Fields (label (external_id, type)); item values are keyed by external_id:\n\
         - Title (title, text, required)\n\
         - Deal value (deal-value, money): currencies EUR, USD; “Annual contract value”\n\
         - Stage (stage, category): one of 1 Lead, 2 Negotiation\n\
         - Close date (close-date, date): end date disabled, time disabled\n\
         - Company (company, app): references items of app 5551200\n\
         - Value per seat (value-per-seat, calculation): returns number\n\
         Newest 2 items, newest first:\n\
         - Deal 42: Acme Corp renewal (item 987654321)\n  Stage: Negotiation\n\
         - Deal 43: Globex expansion (item 987654400)"
    );
}

#[tokio::test]
async fn get_app_summary_can_leave_items_out() {
    let h = harness();
    let (text, out) = h
        .ok(
            "get_app_summary",
            r#"{"app_id": 5551234, "recent_items": 0}"#,
        )
        .await;
    assert_eq!(
        routes(&h.connector.requests()),
        ["GET /app/5551234", "GET /item/app/5551234/count"]
    );
    assert_eq!(out["recent_items"], json!([]));
    assert!(!text.contains("Newest"), "{text}");

    let (message, _) = invalid(
        &h,
        "get_app_summary",
        r#"{"app_id": 5551234, "recent_items": 21}"#,
    )
    .await;
    assert_eq!(
        message,
        "recent_items: expected an integer from 0 to 20, got 21"
    );
}

#[tokio::test]
async fn get_app_summary_names_a_missing_app() {
    let h = harness();
    for route in [
        "GET /app/404",
        "GET /item/app/404/count",
        "POST /item/app/404/filter/",
    ] {
        h.connector
            .reply(route, Reply::Fail(Status::not_found("Object not found")));
    }
    let text = failure(&h, "get_app_summary", r#"{"app_id": 404}"#).await;
    assert_eq!(
        text,
        "app 404 was not found in Podio: it may have been deleted or the id is wrong; \
         use get_apps_in_space to find app ids"
    );
}

// ---------------------------------------------------------- search_globally

#[tokio::test]
async fn search_enriches_item_hits_with_one_filter_call_per_app() {
    let h = harness();
    let (text, out) = h
        .ok("search_globally", r#"{"query": " acme ", "limit": 4}"#)
        .await;
    let requests = h.connector.requests();
    assert_eq!(
        routes(&requests),
        [
            "POST /item/app/5551200/filter/",
            "POST /item/app/5551234/filter/",
            "POST /search/"
        ],
        "one search, then exactly one filter per app and no per-item call"
    );
    assert_eq!(
        body(&request_to(&requests, "POST", "/search/")),
        json!({"query": "acme", "limit": 4, "offset": 0})
    );
    assert_eq!(
        body(&request_to(&requests, "POST", "/item/app/5551234/filter/")),
        json!({"filters": {"item_id": [987654321, 987654400]}, "limit": 2})
    );
    assert_eq!(
        body(&request_to(&requests, "POST", "/item/app/5551200/filter/")),
        json!({"filters": {"item_id": [123450001]}, "limit": 1})
    );

    assert_eq!(out["scope"], json!({"type": "account", "id": null}));
    assert_eq!(
        (out["count"].clone(), out["next_offset"].clone()),
        (json!(4), json!(4))
    );
    assert_eq!(out["notes"], json!([]));
    let hits = out["results"].as_array().expect("results");
    assert_eq!(
        hits[1],
        json!({
            "type": "item", "id": 123450001, "rank": 2, "title": "Acme Corp",
            "link": "https://podio.com/acme/sales/apps/companies/items/7",
            "created_on": "2023-11-20 10:00:00", "created_by": "Bob Roe",
            "space": {"space_id": 2501464, "name": "Sales"},
            "org": {"org_id": 720690, "name": "Acme"},
            "app": {"app_id": 5551200, "name": "Companies", "item_name": "Company"},
            "fields": {
                "name": {"field_id": 70000001, "label": "Name", "type": "text", "value": "Acme Corp"},
                "city": {"field_id": 70000002, "label": "City", "type": "text", "value": "Copenhagen"},
            },
        })
    );
    assert_eq!(
        hits[0]["fields"]["stage"]["value"],
        json!([{"id": 2, "text": "Negotiation"}])
    );
    assert_eq!(hits[2]["type"], "task");
    assert_eq!(
        (hits[2]["app"].clone(), hits[2]["fields"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(hits[3]["fields"], json!({}), "enriched, with no values set");
    assert_eq!(
        text,
        "Results 1–4 for \"acme\" across the account; the page is full, there may be more: pass offset=4:\n\
         - Acme Corp renewal — item 987654321 in Deals (app 5551234), Sales (space 2501464), Acme (org 720690); created 2024-03-01 09:15:00 by Jane Doe\n  \
         https://podio.com/acme/sales/apps/deals/items/42\n  Stage: Negotiation\n\
         - Acme Corp — item 123450001 in Companies (app 5551200), Sales (space 2501464), Acme (org 720690); created 2023-11-20 10:00:00 by Bob Roe\n  \
         https://podio.com/acme/sales/apps/companies/items/7\n  Name: Acme Corp; City: Copenhagen\n\
         - Send contract to Acme — task 15126 in Sales (space 2501464), Acme (org 720690); created 2024-03-05 11:02:00 by Jane Doe\n  \
         https://podio.com/tasks/15126\n\
         - Globex expansion — item 987654400 in Deals (app 5551234), Sales (space 2501464), Acme (org 720690); created 2024-03-02 10:00:00 by Jane Doe\n  \
         https://podio.com/acme/sales/apps/deals/items/43"
    );
}

#[tokio::test]
async fn search_falls_back_to_one_get_per_item_when_podio_refuses_the_filter() {
    let h = harness();
    h.connector.reply(
        "POST /item/app/5551234/filter/",
        Reply::Fail(Status::invalid_argument("unknown filter key item_id")),
    );
    let (text, out) = h.ok("search_globally", r#"{"query": "acme"}"#).await;
    let requests = h.connector.requests();
    assert_eq!(
        routes(&requests),
        [
            "GET /item/987654321",
            "GET /item/987654400",
            "POST /item/app/5551200/filter/",
            "POST /item/app/5551234/filter/",
            "POST /search/"
        ]
    );
    let single = request_to(&requests, "GET", "/item/987654321");
    assert_eq!(query_of(&single), pairs(&[("mark_as_viewed", "false")]));
    assert_eq!(
        out["next_offset"],
        Value::Null,
        "4 hits of 10 is the last page"
    );
    let hits = &out["results"];
    assert_eq!(hits[0]["fields"]["seats"]["value"], 25, "from GET /item");
    assert_eq!(hits[1]["fields"]["city"]["value"], "Copenhagen");
    assert_eq!(
        hits[3]["fields"],
        Value::Null,
        "item 987654400 has no fixture"
    );
    assert_eq!(
        out["notes"],
        json!([
            "Podio did not accept a filter by item ids for app 5551234, so those items were fetched one by one.",
            "The field values of item 987654400 could not be loaded; get_item may say why."
        ])
    );
    assert!(
        text.ends_with(
            "Podio did not accept a filter by item ids for app 5551234, so those items were fetched one by one.\n\
             The field values of item 987654400 could not be loaded; get_item may say why."
        ),
        "{text}"
    );
}

#[tokio::test]
async fn search_can_be_scoped_and_narrowed_to_a_kind() {
    let h = harness();
    let (text, out) = h
        .ok(
            "search_globally",
            r#"{"query": "acme", "space_id": 2501464, "ref_type": "TASK", "offset": 20, "limit": 20}"#,
        )
        .await;
    let search = request_to(&h.connector.requests(), "POST", "/search/space/2501464/");
    assert_eq!(
        body(&search),
        json!({"query": "acme", "limit": 20, "offset": 20, "ref_type": "task"})
    );
    assert_eq!(out["scope"], json!({"type": "space", "id": 2501464}));
    assert_eq!(out["ref_type"], "task");
    assert!(
        text.starts_with("Results 21–24 for \"acme\" in space 2501464:\n"),
        "{text}"
    );

    h.connector
        .reply("POST /search/app/5551234/", Reply::Json("[]".to_owned()));
    let (text, out) = h
        .ok("search_globally", r#"{"query": "zzz", "app_id": 5551234}"#)
        .await;
    assert_eq!(out["count"], 0);
    assert_eq!(text, "Nothing found for \"zzz\" in app 5551234.");
}

#[tokio::test]
async fn search_rejects_bad_input_naming_what_is_accepted() {
    let h = harness();
    let (message, violations) = invalid(
        &h,
        "search_globally",
        r#"{"query": "", "org_id": 1, "space_id": 2, "ref_type": "status", "limit": 21}"#,
    )
    .await;
    let fields: Vec<&str> = violations.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["query", "ref_type", "limit", "space_id"],
        "{message}"
    );
    assert_eq!(
        violations[1].1,
        "expected one of item, app, space, task, file, conversation, got \"status\""
    );
    assert_eq!(violations[2].1, "expected an integer from 1 to 20, got 21");
    assert_eq!(
        violations[3].1,
        "give at most one of org_id, space_id and app_id to scope the search (got org_id and space_id); \
         omit all three to search the whole account"
    );
    let (_, violations) = invalid(&h, "search_globally", r#"{"limit": 3}"#).await;
    assert_eq!(violations[0].0, "query");
    assert!(violations[0].1.starts_with("missing required argument"));
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn search_names_a_missing_scope() {
    let h = harness();
    h.connector.reply(
        "POST /search/org/9/",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let text = failure(&h, "search_globally", r#"{"query": "a", "org_id": 9}"#).await;
    assert_eq!(
        text,
        "organization 9 was not found in Podio: it may have been deleted or the id is wrong; \
         use get_organizations to find org ids"
    );
}
