//! Tasks: the secure-query rule, every `GET /task/` filter, visibility,
//! and creating, changing and completing tasks.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions, ids};

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

async fn task_ids(sim: &TestSim, token: &str, query: &str) -> Vec<u64> {
    let resp = sim.get(&format!("/task/?{query}"), Some(token)).await;
    assert_eq!(resp.status, StatusCode::OK, "{query}: {}", resp.body);
    ids(&resp.body, "/task_id")
}

#[tokio::test]
async fn listing_needs_a_bounding_filter() {
    let (sim, token) = TestSim::logged_in().await;
    for query in ["", "?completed=false", "?label=Sales&limit=5"] {
        let resp = sim.get(&format!("/task/{query}"), Some(&token)).await;
        assert_error_body(&resp, 400, "forbidden", "GET", "/task/");
        assert_eq!(
            resp.body["error_description"],
            "Query not secure enough, please add more filters"
        );
    }
    let ok = sim
        .get(&format!("/task/?responsible={DEMO_USER_ID}"), Some(&token))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn filters_select_the_right_tasks() {
    let (sim, t) = TestSim::logged_in().await;
    // Everything the demo user can see in Acme: not the personal task, not
    // Northwind, not Bob's private task, not the Leadership one.
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("org={ORG_ID}")).await),
        [
            15_126, 15_127, 15_128, 15_129, 15_130, 15_131, 15_132, 15_133
        ]
    );
    // The private personal task shows for its owner.
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("responsible={DEMO_USER_ID}")).await),
        [15_126, 15_129, 15_130, 15_132, 15_134, 15_137]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("reference=item:{DEMO_ITEM_ID}")).await),
        [15_126, 15_127, 15_128]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("app={TICKETS_APP_ID}")).await),
        [15_130, 15_131, 15_132]
    );
    assert_eq!(
        task_ids(&sim, &t, &format!("space={MARKETING_SPACE_ID}")).await,
        [15_133]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("created_by=user:{BOB_USER_ID}")).await),
        [15_128, 15_129, 15_133],
        "Bob's private task stays hidden"
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("org={ORG_ID}&completed=true")).await),
        [15_128, 15_130]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("org={ORG_ID}&label=Support")).await),
        [15_130, 15_131]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("org={ORG_ID}&label=12")).await),
        [15_131]
    );
    assert_eq!(
        sorted(
            task_ids(
                &sim,
                &t,
                &format!("org={ORG_ID}&due_date=2024-04-01-2024-04-12")
            )
            .await
        ),
        [15_126, 15_127, 15_129]
    );
    assert_eq!(
        sorted(task_ids(&sim, &t, &format!("org={ORG_ID}&due_date=-2024-03-08")).await),
        [15_128, 15_130]
    );
    // Every creator: all the tasks the demo user can see, no more.
    let everyone = format!(
        "created_by=user:{DEMO_USER_ID},user:{BOB_USER_ID},{CARLA_USER_ID};{DEV_PATEL_USER_ID}"
    );
    assert_eq!(
        task_ids(&sim, &t, &everyone).await.len(),
        VISIBLE_TASK_COUNT
    );
    // Alternatives within one filter.
    assert_eq!(
        sorted(
            task_ids(
                &sim,
                &t,
                &format!("space={MARKETING_SPACE_ID},{SECOND_ORG_SPACE_ID}")
            )
            .await
        ),
        [15_133, 15_137]
    );
}

#[tokio::test]
async fn sorting_and_paging() {
    let (sim, t) = TestSim::logged_in().await;
    let q = format!("org={ORG_ID}");
    // Default rank: earliest due first, undated last.
    let rank = task_ids(&sim, &t, &q).await;
    assert_eq!(rank.first(), Some(&15_130));
    assert_eq!(rank.last(), Some(&15_132));
    let newest = task_ids(&sim, &t, &format!("{q}&sort_by=created_on&sort_desc=true")).await;
    assert_eq!(newest[..3], [15_133, 15_132, 15_129]);
    let completed = task_ids(&sim, &t, &format!("{q}&sort_by=completed_on")).await;
    assert_eq!(completed[..2], [15_130, 15_128]);
    let page = task_ids(
        &sim,
        &t,
        &format!("{q}&sort_by=created_on&limit=2&offset=1"),
    )
    .await;
    let all = task_ids(&sim, &t, &format!("{q}&sort_by=created_on")).await;
    assert_eq!(page, all[1..3]);

    for (query, fragment) in [
        ("limit=101", "limit must be between 1 and 100"),
        ("limit=0", "limit must be between 1 and 100"),
        ("offset=-1", "offset must be 0 or more"),
        ("sort_by=title", "sort_by must be rank, created_on"),
        ("due_date=April", "due_date must be a range FROM-TO"),
        ("completed=maybe", "completed must be true or false"),
        ("reference=item", "reference takes type:id pairs"),
        ("reference=task:1", "ref_type must be item, app or space"),
        ("space=sales", "parameter space takes ids"),
    ] {
        let resp = sim.get(&format!("/task/?{q}&{query}"), Some(&t)).await;
        assert_error_mentions(&resp, 400, "invalid_value", "GET", "/task/", fragment);
    }
}

#[tokio::test]
async fn one_task_in_podio_shape_with_visibility() {
    let (sim, t) = TestSim::logged_in().await;
    let resp = sim.get(&format!("/task/{DEMO_TASK_ID}"), Some(&t)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let task = &resp.body;
    assert_eq!(task["task_id"], DEMO_TASK_ID);
    assert_eq!(task["status"], "active");
    assert_eq!(task["text"], "Send contract to Acme");
    assert_eq!(task["description"], "Use the 2024 template");
    assert_eq!(task["private"], false);
    assert_eq!(task["due_date"], "2024-04-10");
    assert_eq!(task["due_time"], "17:00:00");
    assert_eq!(task["due_on"], "2024-04-10 17:00:00");
    assert_eq!(task["responsible"]["user_id"], DEMO_USER_ID);
    assert_eq!(task["responsible"]["profile_id"], DEMO_PROFILE_ID);
    assert_eq!(task["responsible"]["name"], "Jane Doe");
    assert_eq!(task["created_by"]["type"], "user");
    assert_eq!(task["created_by"]["id"], DEMO_USER_ID);
    assert_eq!(task["created_on"], "2024-03-05 11:02:00");
    assert_eq!(task["completed_on"], Value::Null);
    assert_eq!(task["space_id"], SALES_SPACE_ID);
    assert_eq!(
        task["link"],
        format!("https://podio.com/tasks/{DEMO_TASK_ID}")
    );
    assert_eq!(
        task["labels"],
        json!([{"label_id": 9, "text": "Sales", "color": "E9F3F7"}])
    );
    assert_eq!(
        task["ref"],
        json!({
            "type": "item", "id": DEMO_ITEM_ID, "title": "Acme Corp renewal",
            "link": "https://podio.com/acme/sales/apps/deals/items/21",
        })
    );

    let done = sim.get("/task/15128", Some(&t)).await;
    assert_eq!(done.body["status"], "completed");
    assert_eq!(done.body["completed_by"]["id"], CARLA_USER_ID);

    let unknown = sim.get("/task/1", Some(&t)).await;
    assert_error_body(&unknown, 404, "not_found", "GET", "/task/1");
    for hidden in [PRIVATE_TASK_ID, HIDDEN_TASK_ID] {
        let path = format!("/task/{hidden}");
        let resp = sim.get(&path, Some(&t)).await;
        assert_error_body(&resp, 403, "forbidden", "GET", &path);
    }
}

#[tokio::test]
async fn created_tasks_are_stored_and_listed() {
    let (sim, t) = TestSim::logged_in().await;
    let resp = sim
        .post_json(
            "/task/",
            Some(&t),
            &json!({
                "text": "Call Initech", "description": "About the pilot",
                "due_date": "2024-07-01", "due_time": "09:30",
                "responsible": CARLA_USER_ID, "labels": ["sales", "Pilot"],
                "ref_type": "item", "ref_id": DEMO_ITEM_ID, "external_id": "crm-1",
            }),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let task = resp.body;
    let id = task["task_id"].as_u64().expect("task_id");
    assert_eq!(task["text"], "Call Initech");
    assert_eq!(task["due_on"], "2024-07-01 09:30:00");
    assert_eq!(task["responsible"]["user_id"], CARLA_USER_ID);
    assert_eq!(task["created_by"]["id"], DEMO_USER_ID);
    assert_eq!(task["external_id"], "crm-1");
    assert_eq!(task["ref"]["id"], DEMO_ITEM_ID);
    // "sales" reuses the Sales label; "Pilot" is new.
    assert_eq!(task["labels"][0]["label_id"], 9);
    assert_eq!(task["labels"][1]["text"], "Pilot");
    let pilot = task["labels"][1]["label_id"].clone();

    let again = sim.get(&format!("/task/{id}"), Some(&t)).await;
    assert_eq!(again.body, task);
    let listed = task_ids(&sim, &t, &format!("reference=item:{DEMO_ITEM_ID}")).await;
    assert!(listed.contains(&id), "{listed:?}");
    let by_label = task_ids(&sim, &t, &format!("org={ORG_ID}&label=pilot")).await;
    assert_eq!(by_label, [id]);

    // Several responsibles: one task each, in a list; the path form of the
    // reference; the existing Pilot label is reused.
    let resp = sim
        .post_json(
            &format!("/task/space/{SALES_SPACE_ID}/"),
            Some(&t),
            &json!({"text": "Team lunch", "responsible": [BOB_USER_ID, {"type": "profile", "id": CARLA_PROFILE_ID}], "labels": ["pilot"]}),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let list = resp
        .body
        .as_array()
        .expect("a list for several responsibles");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["responsible"]["user_id"], BOB_USER_ID);
    assert_eq!(list[1]["responsible"]["user_id"], CARLA_USER_ID);
    assert_eq!(list[1]["ref"]["type"], "space");
    assert_eq!(list[1]["labels"][0]["label_id"], pilot);

    // No responsible: the creator; no reference: a personal task.
    let own = sim
        .post_json("/task/", Some(&t), &json!({"text": "Water the plants"}))
        .await;
    assert_eq!(own.body["responsible"]["user_id"], DEMO_USER_ID);
    assert_eq!(own.body["ref"], Value::Null);
    assert_eq!(own.body["space_id"], Value::Null);
}

#[tokio::test]
async fn bad_task_bodies_are_rejected_and_store_nothing() {
    let (sim, t) = TestSim::logged_in().await;
    let before = task_ids(&sim, &t, &format!("responsible={DEMO_USER_ID}")).await;
    for (body, fragment) in [
        (json!({}), "text is required"),
        (json!({"text": "  "}), "text must be a non-empty string"),
        (
            json!({"text": "x", "due_date": "2024-02-30"}),
            "due_date must be a date YYYY-MM-DD",
        ),
        (
            json!({"text": "x", "due_time": "10:00"}),
            "due_time needs a due_date",
        ),
        (
            json!({"text": "x", "due_date": "2024-05-01", "due_time": "25:00"}),
            "due_time must be HH:MM",
        ),
        (
            json!({"text": "x", "responsible": 42}),
            "there is no user with user id 42",
        ),
        (
            json!({"text": "x", "responsible": DEV_PATEL_USER_ID, "ref_type": "item", "ref_id": DEMO_ITEM_ID}),
            "Dev Patel (user 1337752) is not a member of workspace \"Sales\"",
        ),
        (
            json!({"text": "x", "ref_type": "status", "ref_id": 1}),
            "ref_type must be item, app or space",
        ),
        (
            json!({"text": "x", "ref_type": "item"}),
            "must be given together",
        ),
        (
            json!({"text": "x", "label_ids": [999]}),
            "there is no label 999",
        ),
        (
            json!({"text": "x", "private": "yes"}),
            "private must be true or false",
        ),
        (json!(["x"]), "the body must be a json object"),
    ] {
        let resp = sim.post_json("/task/", Some(&t), &body).await;
        assert_error_mentions(&resp, 400, "invalid_value", "POST", "/task/", fragment);
    }
    let hidden = sim
        .post_json(
            "/task/",
            Some(&t),
            &json!({"text": "x", "ref_type": "item", "ref_id": PRIVATE_ITEM_ID}),
        )
        .await;
    assert_error_body(&hidden, 403, "forbidden", "POST", "/task/");
    let unknown = sim
        .post_json("/task/app/1/", Some(&t), &json!({"text": "x"}))
        .await;
    assert_error_body(&unknown, 404, "not_found", "POST", "/task/app/1/");
    let bad_path = sim
        .post_json("/task/file/1/", Some(&t), &json!({"text": "x"}))
        .await;
    assert_error_body(&bad_path, 400, "invalid_value", "POST", "/task/file/1/");
    let after = task_ids(&sim, &t, &format!("responsible={DEMO_USER_ID}")).await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn updates_change_only_the_given_keys() {
    let (sim, t) = TestSim::logged_in().await;
    let path = format!("/task/{DEMO_TASK_ID}");
    let before = sim.get(&path, Some(&t)).await.body;
    let resp = sim
        .put_json(
            &path,
            Some(&t),
            &json!({"text": "Send signed contract to Acme", "labels": ["Urgent"], "responsible": BOB_USER_ID}),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let after = sim.get(&path, Some(&t)).await.body;
    assert_eq!(resp.body, after, "PUT answers the updated task");
    assert_eq!(after["text"], "Send signed contract to Acme");
    assert_eq!(
        after["labels"],
        json!([{"label_id": 12, "text": "Urgent", "color": "F7D1D0"}])
    );
    assert_eq!(after["responsible"]["user_id"], BOB_USER_ID);
    for unchanged in [
        "description",
        "due_on",
        "due_date",
        "due_time",
        "ref",
        "created_on",
        "private",
    ] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
    }
    // Clearing the due date clears the time too.
    let cleared = sim
        .put_json(&path, Some(&t), &json!({"due_date": null}))
        .await;
    assert_eq!(cleared.body["due_date"], Value::Null);
    assert_eq!(cleared.body["due_time"], Value::Null);
    assert_eq!(cleared.body["due_on"], Value::Null);

    let bad = sim
        .put_json(&path, Some(&t), &json!({"responsible": DEV_PATEL_USER_ID}))
        .await;
    assert_error_body(&bad, 400, "invalid_value", "PUT", &path);
    let two = sim
        .put_json(
            &path,
            Some(&t),
            &json!({"responsible": [BOB_USER_ID, CARLA_USER_ID]}),
        )
        .await;
    assert_error_body(&two, 400, "invalid_value", "PUT", &path);
    assert_eq!(
        sim.get(&path, Some(&t)).await.body["responsible"]["user_id"],
        BOB_USER_ID
    );

    let hidden = format!("/task/{HIDDEN_TASK_ID}");
    let resp = sim.put_json(&hidden, Some(&t), &json!({"text": "x"})).await;
    assert_error_body(&resp, 403, "forbidden", "PUT", &hidden);
    let resp = sim
        .put_json("/task/1", Some(&t), &json!({"text": "x"}))
        .await;
    assert_error_body(&resp, 404, "not_found", "PUT", "/task/1");
}

#[tokio::test]
async fn completing_and_reopening() {
    let (sim, t) = TestSim::logged_in().await;
    let path = format!("/task/{DEMO_TASK_ID}");
    let done = sim.post_empty(&format!("{path}/complete"), &t).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body, json!({"recurring_task_id": null}));
    let task = sim.get(&path, Some(&t)).await.body;
    assert_eq!(task["status"], "completed");
    assert_eq!(task["completed_by"]["id"], DEMO_USER_ID);
    let completed_on = task["completed_on"].clone();
    assert!(completed_on.is_string());
    let listed = task_ids(&sim, &t, &format!("org={ORG_ID}&completed=true")).await;
    assert!(listed.contains(&DEMO_TASK_ID));

    // Completing again changes nothing.
    let again = sim.post_empty(&format!("{path}/complete"), &t).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        sim.get(&path, Some(&t)).await.body["completed_on"],
        completed_on
    );

    let reopen = sim.post_empty(&format!("{path}/incomplete"), &t).await;
    assert_eq!(reopen.status, StatusCode::NO_CONTENT);
    let task = sim.get(&path, Some(&t)).await.body;
    assert_eq!(task["status"], "active");
    assert_eq!(task["completed_on"], Value::Null);
    assert_eq!(task["completed_by"], Value::Null);

    let hidden = format!("/task/{HIDDEN_TASK_ID}/complete");
    let resp = sim.post_empty(&hidden, &t).await;
    assert_error_body(&resp, 403, "forbidden", "POST", &hidden);
}

#[tokio::test]
async fn an_app_token_sees_the_tasks_of_its_app() {
    let sim = TestSim::default_config();
    let app = sim.app_token(TICKETS_APP_ID).await;
    assert_eq!(
        sorted(task_ids(&sim, &app, &format!("app={TICKETS_APP_ID}")).await),
        [15_130, 15_131, 15_132]
    );
    assert!(
        task_ids(&sim, &app, &format!("org={ORG_ID}"))
            .await
            .iter()
            .all(|id| [15_130, 15_131, 15_132].contains(id))
    );
    let created = sim
        .post_json(
            &format!("/task/app/{TICKETS_APP_ID}/"),
            Some(&app),
            &json!({"text": "Triage new tickets", "responsible": CARLA_USER_ID}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["created_by"]["type"], "app");
    assert_eq!(created.body["created_by"]["id"], TICKETS_APP_ID);
}
