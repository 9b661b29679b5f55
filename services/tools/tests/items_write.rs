//! create_item and update_item: values checked against the app's fields and
//! sent in Podio's compact forms; every invalid value reported together with
//! what is accepted, and nothing written when any value is wrong.

mod common;

use common::{Harness, Reply, failure, fixture, invalid, pairs, query_of};
use serde_json::{Value, json};
use tonic::Status;

const APP: &str = "GET /app/5551300";
const CREATE: &str = "POST /item/app/5551300/";
const ITEM: &str = "GET /item/700001";

/// A harness knowing the every-field-type app, its create answer, one item
/// and the embed endpoint.
fn harness() -> Harness {
    let h = Harness::new();
    let c = &h.connector;
    c.reply(APP, Reply::Json(fixture("app_all.json")));
    c.reply(
        CREATE,
        Reply::Json(
            json!({"item_id": 700001, "app_item_id": 9, "title": "Initech pilot",
                "link": "https://podio.com/acme/sales/apps/projects/items/9", "revision": 0})
            .to_string(),
        ),
    );
    c.reply(ITEM, Reply::Json(fixture("item_all.json")));
    c.reply(
        "POST /embed/",
        Reply::Json(
            json!({"embed_id": 88001, "url": "https://initech.example/", "original_url": "https://initech.example/", "title": "initech.example"})
                .to_string(),
        ),
    );
    h
}

fn body(h: &Harness, route: &str) -> Value {
    let requests = h.connector.requests();
    let r = requests
        .iter()
        .find(|r| format!("{} {}", r.method, r.path) == route)
        .unwrap_or_else(|| panic!("no {route} request"));
    serde_json::from_str(&r.body_json).expect("json body")
}

/// No write reached Podio: only the reads that check values.
fn assert_nothing_written(h: &Harness) {
    let writes: Vec<String> = h
        .routes()
        .into_iter()
        .filter(|r| !r.starts_with("GET "))
        .collect();
    assert!(writes.is_empty(), "writes were sent: {writes:?}");
}

#[tokio::test]
async fn create_item_sends_every_field_type_in_podio_form() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "fields": {
            "title": "Initech pilot",
            "seats": "10",
            "budget": 4000,
            "stage": " lead ",
            "labels": ["Red", 12],
            "close-date": "2026-06-30",
            "meeting": {"start": "2026-06-30T14:00", "end": "2026-06-30 15:30:00"},
            "company": [{"app_item_id": 123450001}],
            "related": [5, "6"],
            "owner": {"profile_id": 67160609},
            "email": "peter@initech.example",
            "phone": [{"type": "work", "value": "+45 1234"}, "+45 999"],
            "location": {"value": "Vesterbrogade 34", "lat": 55.67, "lng": 12.55},
            "time-spent": "01:30",
            "progress": "60%",
            "website": "https://initech.example/",
            "logo": 1012345674,
            "1019": "Long notes"
        },
        "tags": ["pilot"],
        "external_id": "crm-4711"
    });
    let (text, out) = h.ok("create_item", &args.to_string()).await;

    assert_eq!(
        h.routes(),
        [APP, "POST /embed/", CREATE, ITEM],
        "schema, embed, create, read-back"
    );
    assert_eq!(
        body(&h, "POST /embed/"),
        json!({"url": "https://initech.example/"})
    );
    assert_eq!(
        body(&h, CREATE),
        json!({
            "fields": {
                "title": "Initech pilot",
                "seats": 10,
                "budget": {"value": "4000", "currency": "EUR"},
                "stage": [1],
                "labels": [11, 12],
                "close-date": {"start_date": "2026-06-30"},
                "meeting": {"start": "2026-06-30 14:00:00", "end": "2026-06-30 15:30:00"},
                "company": [123450001],
                "related": [5, 6],
                "owner": [67160609],
                "email": [{"type": "work", "value": "peter@initech.example"}],
                "phone": [{"type": "work", "value": "+45 1234"}, {"type": "mobile", "value": "+45 999"}],
                "location": {"value": "Vesterbrogade 34", "lat": 55.67, "lng": 12.55},
                "time-spent": 5400,
                "progress": 60,
                "website": [88001],
                "logo": [1012345674],
                "notes": "Long notes"
            },
            "tags": ["pilot"],
            "external_id": "crm-4711"
        })
    );
    let read_back = h.connector.requests().pop().expect("read-back");
    assert_eq!(query_of(&read_back), pairs(&[("mark_as_viewed", "false")]));

    assert_eq!(out["item_id"], 700001);
    assert_eq!(out["app_item_id"], 9);
    assert_eq!(out["title"], "Initech pilot");
    assert_eq!(out["revision"], 0);
    assert_eq!(
        out["link"],
        "https://podio.com/acme/sales/apps/projects/items/9"
    );
    assert_eq!(
        out["item"]["fields"]["stage"]["value"],
        json!([{"id": 1, "text": "Lead"}])
    );
    assert!(
        text.starts_with(
            "Created Project 9 \"Initech pilot\" (item 700001) in app Projects (app 5551300)."
        ),
        "{text}"
    );
    assert!(text.contains("- Stage (stage, category): Lead"), "{text}");
}

#[tokio::test]
async fn create_item_accepts_the_other_natural_forms() {
    let cases = [
        (
            json!({"budget": {"currency": "usd", "value": "12.50"}}),
            json!({"budget": {"value": "12.5", "currency": "USD"}}),
        ),
        (
            json!({"meeting": "2026-06-30T14:00:00Z"}),
            json!({"meeting": {"start_utc": "2026-06-30 14:00:00"}}),
        ),
        (
            json!({"meeting": {"start_date": "2026-06-01", "end_date": "2026-06-03"}}),
            json!({"meeting": {"start_date": "2026-06-01", "end_date": "2026-06-03"}}),
        ),
        // The guide's example: midnight on a date field without time is the date.
        (
            json!({"close-date": {"start": "2026-06-30 00:00:00"}}),
            json!({"close-date": {"start_date": "2026-06-30"}}),
        ),
        (json!({"stage": [3]}), json!({"stage": [3]})),
        (json!({"time-spent": 90}), json!({"time-spent": 90})),
        (
            json!({"location": "Main St 1"}),
            json!({"location": "Main St 1"}),
        ),
        (json!({"website": {"embed": 77}}), json!({"website": [77]})),
        // A link as get_item shows it writes back (a regression the property
        // tests found: decoded links were refused).
        (
            json!({"website": [{"url": "https://initech.example/", "title": "initech.example"}]}),
            json!({"website": [88001]}),
        ),
    ];
    for (given, sent) in cases {
        let h = harness();
        let mut fields = given.as_object().expect("object").clone();
        fields.insert("title".into(), json!("T"));
        fields.entry("stage").or_insert(json!(1));
        let args = json!({"app_id": 5551300, "fields": fields});
        h.ok("create_item", &args.to_string()).await;
        let fields = &body(&h, CREATE)["fields"];
        for (key, want) in sent.as_object().expect("object") {
            assert_eq!(&fields[key], want, "{given}");
        }
    }
}

#[tokio::test]
async fn create_item_reports_every_bad_value_and_writes_nothing() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "fields": {
            "colour": "red",
            "stage": "Closed",
            "labels": [4],
            "close-date": "30/06/2026",
            "meeting": {"start": "2026-06-30 15:00", "end": "2026-06-30 14:00"},
            "total": 5,
            "pesos": 100,
            "owner": {"user_id": 1},
            "progress": 101,
            "email": {"type": "private", "value": "a@b.example"},
            "website": "initech.example"
        }
    });
    let (_, violations) = invalid(&h, "create_item", &args.to_string()).await;
    let about = |field: &str| -> String {
        violations
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no violation for {field}: {violations:#?}"))
    };
    let unknown = about("fields.colour");
    assert!(
        unknown.starts_with("app 5551300 has no field \"colour\"; its fields (label (external_id, type)): Title (title, text), Seats (seats, number), Budget (budget, money), Stage (stage, category)"),
        "{unknown}"
    );
    assert_eq!(
        about("fields.stage"),
        "Stage (stage, category): \"Closed\" is not an option; options (id \"text\"): 1 \"Lead\", 2 \"Negotiation\", 3 \"Won\""
    );
    assert_eq!(
        about("fields.labels"),
        "Labels (labels, category): 4 is not an option; options (id \"text\"): 11 \"Red\", 12 \"Blue\""
    );
    assert!(
        about("fields.close-date").contains("start \"30/06/2026\" is not a date; expected"),
        "{}",
        about("fields.close-date")
    );
    assert_eq!(
        about("fields.meeting"),
        "Meeting (meeting, date): the end \"2026-06-30 14:00:00\" is before the start \"2026-06-30 15:00:00\""
    );
    assert_eq!(
        about("fields.total"),
        "Total (total, calculation): calculation fields are read-only (Podio computes them); leave it out"
    );
    assert!(about("fields.pesos").contains("the field names no default currency"));
    assert!(about("fields.owner").contains("contact fields take profile ids, not user ids"));
    assert!(
        about("fields.progress").contains("expected a whole percentage from 0 to 100, got 101")
    );
    assert_eq!(
        about("fields.email"),
        "Email (email, email): type \"private\" is not accepted; types: work, home, other"
    );
    assert!(about("fields.website").contains("is not an absolute http(s) URL"));
    // Title is required and missing; Stage was given (badly), so it is not "missing".
    assert_eq!(
        about("fields"),
        "missing required field(s) of app 5551300: Title (title, text); give a value for each"
    );
    assert_nothing_written(&h);
    assert_eq!(h.routes(), [APP]);
}

#[tokio::test]
async fn create_item_refuses_deleted_options_several_single_options_and_times_on_dates() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "fields": {"title": "T", "stage": [4], "labels": "Red", "close-date": "2026-06-30 14:00", "company": [1, 2]}
    });
    let (_, v) = invalid(&h, "create_item", &args.to_string()).await;
    let v: std::collections::HashMap<String, String> = v.into_iter().collect();
    assert!(v["fields.stage"].contains("option 4 \"Old stage\" has been deleted from the app"));
    assert!(v["fields.close-date"].contains("this date field takes no time of day"));
    assert!(v["fields.company"].contains("only one item may be referenced, got 2"));
    assert!(!v.contains_key("fields.labels"));
    assert_nothing_written(&h);

    let h = harness();
    let args = json!({"app_id": 5551300, "fields": {"title": "T", "stage": ["Lead", "Won"]}});
    let (_, v) = invalid(&h, "create_item", &args.to_string()).await;
    assert!(
        v[0].1.contains("only one option may be chosen, got 2"),
        "{v:?}"
    );
    assert_nothing_written(&h);
}

#[tokio::test]
async fn create_item_argument_problems_cost_no_upstream_call() {
    let h = harness();
    let (_, v) = invalid(&h, "create_item", r#"{"app_id": "x", "fields": {}}"#).await;
    assert_eq!(
        v[0],
        (
            "app_id".to_owned(),
            "expected a positive integer app id, got \"x\"".to_owned()
        )
    );
    assert_eq!(v[1].0, "fields");
    assert!(v[1].1.contains("got an empty object"), "{v:?}");
    let (_, v) = invalid(
        &h,
        "create_item",
        r#"{"app_id": 5551300, "fields": "title=x"}"#,
    )
    .await;
    assert_eq!(
        v[0].1,
        "expected an object of field values keyed by field external_id, e.g. {\"title\": \"Acme Corp\"}, got \"title=x\""
    );
    let (_, v) = invalid(
        &h,
        "create_item",
        r#"{"app_id": 5551300, "fields": {"title": null, "stage": 1}}"#,
    )
    .await;
    assert!(
        v[0].1
            .contains("clear a field, which only update_item does"),
        "{v:?}"
    );
    assert_eq!(
        h.routes(),
        [APP],
        "only the last call had arguments worth checking"
    );
}

#[tokio::test]
async fn create_item_maps_a_missing_app() {
    let h = harness();
    h.connector.reply(
        "GET /app/999",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let message = failure(
        &h,
        "create_item",
        r#"{"app_id": 999, "fields": {"title": "x"}}"#,
    )
    .await;
    assert_eq!(
        message,
        "app 999 was not found in Podio: it may have been deleted or the id is wrong; use get_apps_in_space to find app ids"
    );
    assert_nothing_written(&h);
}

#[tokio::test]
async fn create_item_reports_success_even_when_the_read_back_fails() {
    let h = harness();
    h.connector
        .reply(ITEM, Reply::Fail(Status::unavailable("down")));
    let (text, out) = h
        .ok(
            "create_item",
            r#"{"app_id": 5551300, "fields": {"title": "T", "stage": 1}}"#,
        )
        .await;
    assert_eq!(out["item_id"], 700001);
    assert_eq!(out["item"], Value::Null);
    assert!(text.contains("reading it back failed"), "{text}");
    assert!(text.contains("Do not create it again."), "{text}");
}

#[tokio::test]
async fn update_item_sends_only_the_given_fields_and_shows_before_and_after() {
    let h = harness();
    h.connector
        .reply_once(ITEM, Reply::Json(fixture("item_all.json")));
    h.connector
        .reply_once(ITEM, Reply::Json(fixture("item_all_after.json")));
    h.connector.reply(
        "PUT /item/700001",
        Reply::Json(json!({"revision": 4, "title": "Initech pilot"}).to_string()),
    );
    let args = json!({
        "item_id": 700001,
        "fields": {"stage": "Won", "budget": {"value": 4000, "currency": "eur"}, "notes": null},
        "tags": ["pilot", "won"],
        "revision": 3
    });
    let (text, out) = h.ok("update_item", &args.to_string()).await;

    assert_eq!(h.routes(), [ITEM, APP, "PUT /item/700001", ITEM]);
    assert_eq!(
        body(&h, "PUT /item/700001"),
        json!({
            "fields": {"stage": [3], "budget": {"value": "4000", "currency": "EUR"}, "notes": []},
            "tags": ["pilot", "won"],
            "revision": 3
        })
    );
    assert_eq!(out["revision"], 4);
    assert_eq!(out["title"], "Initech pilot");
    assert_eq!(
        out["changed"],
        json!([
            {"field": "budget", "label": "Budget", "type": "money",
             "before": null, "after": {"value": 4000, "currency": "EUR"}},
            {"field": "stage", "label": "Stage", "type": "category",
             "before": [{"id": 1, "text": "Lead"}], "after": [{"id": 3, "text": "Won"}]},
            {"field": "notes", "label": "Notes", "type": "text", "before": null, "after": null}
        ])
    );
    assert!(
        text.starts_with("Updated Project 9: Initech pilot (item 700001), now at revision 4."),
        "{text}"
    );
    assert!(text.contains("- Stage (stage): Lead → Won"), "{text}");
    assert!(
        text.contains("- Notes (notes): (empty) → (empty)"),
        "{text}"
    );
    assert!(text.contains("Tags: pilot, won"), "{text}");
}

#[tokio::test]
async fn update_item_clears_tags_without_fields() {
    let h = harness();
    h.connector.reply(
        "PUT /item/700001",
        Reply::Json(json!({"revision": 2, "title": "Initech pilot"}).to_string()),
    );
    let (_, out) = h
        .ok("update_item", r#"{"item_id": 700001, "tags": []}"#)
        .await;
    assert_eq!(body(&h, "PUT /item/700001"), json!({"tags": []}));
    assert_eq!(out["changed"], json!([]));
    assert_eq!(
        h.routes(),
        [ITEM, "PUT /item/700001", ITEM],
        "no app definition needed"
    );
}

#[tokio::test]
async fn update_item_refuses_bad_values_before_writing() {
    let h = harness();
    let args = json!({"item_id": 700001, "fields": {"total": 1, "seats": "many", "nope": 1}});
    let (_, v) = invalid(&h, "update_item", &args.to_string()).await;
    let fields: Vec<&str> = v.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["fields.nope", "fields.seats", "fields.total"],
        "{v:?}"
    );
    assert!(v[1].1.contains("expected a number such as 12.5"), "{v:?}");
    assert_eq!(h.routes(), [ITEM, APP]);

    let h = harness();
    let (_, v) = invalid(&h, "update_item", r#"{"item_id": 700001}"#).await;
    assert_eq!(v[0].0, "fields");
    assert!(
        v[0].1.contains("give fields, tags or both to change"),
        "{v:?}"
    );
    let (_, v) = invalid(
        &h,
        "update_item",
        r#"{"item_id": 700001, "fields": {"stage": 1}, "revision": -1}"#,
    )
    .await;
    assert_eq!(v[0].0, "revision");
    assert!(h.routes().is_empty(), "no call for unusable arguments");
}

#[tokio::test]
async fn update_item_stale_revision_says_to_read_again() {
    let h = harness();
    h.connector.reply(
        "PUT /item/700001",
        Reply::Fail(Status::aborted(
            "The item has been updated since revision 3",
        )),
    );
    let message = failure(
        &h,
        "update_item",
        r#"{"item_id": 700001, "fields": {"seats": 12}, "revision": 3}"#,
    )
    .await;
    assert_eq!(
        message,
        "Podio reported a conflict for item 700001 at revision 3: The item has been updated since revision 3; fetch it again and retry"
    );
}
