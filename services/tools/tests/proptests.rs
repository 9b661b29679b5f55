//! Properties of the tools service's validation and its Podio encoding and
//! decoding: tool arguments for every tool (through the service, as the
//! front door calls it), field values written as Podio takes them and read
//! back as get_item shows them, and Podio JSON decoded whatever its shape.
//! The fuzz targets `tool_arguments`, `podio_fields` and `podio_json`
//! (fuzz/) check the same functions at depth.

mod common;

use std::collections::HashSet;

use common::{Harness, fixture};
use portico_tools::TOOL_NAMES;
use portico_tools::decode::{decode_item, values};
use portico_tools::encode::schema::AppSchema;
use portico_tools::encode::values::{Link, Mode, Ready, encode};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};
use tonic::Code;
use tonic_types::StatusExt as _;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Any JSON value, a few levels deep (floats with short decimal forms, so
/// they survive printing and parsing exactly).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1_000_000i32..1_000_000).prop_map(|n| json!(f64::from(n) / 8.0)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Each tool's input schema properties and required ones.
async fn schemas(h: &Harness) -> Vec<(String, HashSet<String>, Vec<String>)> {
    h.list(Some(common::TOKEN))
        .await
        .expect("the catalog")
        .into_iter()
        .map(|tool| {
            let schema: Value = serde_json::from_str(&tool.input_schema_json).expect("json");
            let properties = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let required = schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            (tool.name, properties, required)
        })
        // The 22 tools only: a build with the conformance fixtures lists
        // its fixture tools too.
        .filter(|(name, _, _)| TOOL_NAMES.contains(&name.as_str()))
        .collect()
}

/// The (field, description) pairs of an INVALID_ARGUMENT status.
fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn arbitrary_arguments_are_run_or_refused_by_name() {
    let rt = runtime();
    let h = Harness::new();
    let schemas = rt.block_on(schemas(&h));
    assert_eq!(schemas.len(), TOOL_NAMES.len());
    proptest!(|(
        index in 0..TOOL_NAMES.len(),
        arguments in prop_oneof![
            json_value().prop_map(|v| v.to_string()),
            "\\PC{0,40}",
            prop::collection::btree_map("[a-z_]{1,12}", json_value(), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect()).to_string()),
        ],
    )| {
        let (name, properties, _) = &schemas[index];
        let given: HashSet<String> = serde_json::from_str::<Value>(&arguments)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        rt.block_on(async {
            if let Err(status) = h.call(name, &arguments).await {
                prop_assert_eq!(
                    status.code(),
                    Code::InvalidArgument,
                    "{} {}: {:?}",
                    name,
                    arguments,
                    status
                );
                let violations = violations(&status);
                prop_assert!(!violations.is_empty());
                for (field, description) in violations {
                    let root = field.split('.').next().unwrap_or_default();
                    // A schema property (or a key inside one), the arguments
                    // as a whole, or an unknown argument by its own name.
                    prop_assert!(
                        field == "arguments" || properties.contains(root) || given.contains(&field),
                        "{}: {}", name, field
                    );
                    prop_assert!(!description.trim().is_empty());
                }
            }
            Ok(())
        })?;
    });
}

/// get_tasks' `sort_by` values.
const SORTS: [&str; 3] = ["created_on", "completed_on", "rank"];

/// Valid arguments of a few tools, generated.
fn well_formed() -> impl Strategy<Value = (&'static str, Value)> {
    let id = prop_oneof![
        (1u64..1 << 53).prop_map(|n| json!(n)),
        (1u64..1 << 53).prop_map(|n| json!(format!(" {n} "))),
    ];
    let date =
        (2000u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"));
    prop_oneof![
        (id.clone(), prop::option::of(any::<bool>())).prop_map(|(item_id, viewed)| {
            let mut args = json!({"item_id": item_id});
            if let Some(viewed) = viewed {
                args["mark_as_viewed"] = json!(viewed);
            }
            ("get_item", args)
        }),
        (id.clone(), 1i64..=500, 0i64..10_000, any::<bool>()).prop_map(
            |(app_id, limit, offset, desc)| {
                let mut args = json!({"app_id": app_id, "limit": limit, "offset": offset});
                args["sort_desc"] = json!(desc);
                ("get_items", args)
            }
        ),
        (
            date.clone(),
            1i64..=100,
            prop::sample::select(SORTS.to_vec()),
            any::<bool>()
        )
            .prop_map(|(due_from, limit, sort_by, completed)| {
                let mut args = json!({"due_from": due_from, "limit": limit, "sort_by": sort_by});
                args["completed"] = json!(completed);
                ("get_tasks", args)
            }),
        (
            "[A-Za-z][A-Za-z ]{0,40}",
            date,
            prop::option::of((0u32..24, 0u32..60))
        )
            .prop_map(|(text, day, time)| {
                let due = match time {
                    Some((h, m)) => format!("{day} {h:02}:{m:02}"),
                    None => day,
                };
                ("create_task", json!({"text": text, "due_date": due}))
            }),
        "[a-z]{1,30}".prop_map(|query| ("search_globally", json!({"query": query, "limit": 5}))),
    ]
}

#[test]
fn well_formed_arguments_are_accepted() {
    let rt = runtime();
    let h = Harness::new();
    proptest!(|((name, arguments) in well_formed())| {
        rt.block_on(async {
            let answer = h.call(name, &arguments.to_string()).await;
            prop_assert!(answer.is_ok(), "{} {}: {:?}", name, arguments, answer);
            Ok(())
        })?;
    });
}

#[test]
fn mutated_arguments_are_refused_naming_the_argument() {
    let rt = runtime();
    let h = Harness::new();
    proptest!(|(
        mutation in 0..6usize,
        key in "zz_[a-z]{1,8}",
        bad_id in prop::sample::select(vec![
            json!(0),
            json!(-5),
            json!("abc"),
            json!(1.5),
            json!(true),
            json!([1]),
        ]),
        bad_limit in prop_oneof![
            (-100i64..=0).prop_map(|n| json!(n)),
            (501i64..10_000).prop_map(|n| json!(n)),
            Just(json!("many")),
        ],
    )| {
        let mut args = json!({"app_id": 5551234, "limit": 10});
        let (field, needle) = match mutation {
            0 => {
                args[&key] = json!(1);
                (key.as_str(), "unknown argument; accepted arguments: app_id, filters")
            }
            1 => {
                args["app_id"] = bad_id.clone();
                ("app_id", "expected a positive integer app id, got")
            }
            2 => {
                args["limit"] = bad_limit.clone();
                ("limit", "expected an integer from 1 to 500, got")
            }
            3 => {
                args.as_object_mut().map(|a| a.remove("app_id"));
                ("app_id", "missing required argument")
            }
            4 => {
                args["sort_desc"] = json!("maybe");
                ("sort_desc", "expected true or false, got \"maybe\"")
            }
            _ => {
                args = json!([args]);
                ("arguments", "expected a JSON object of named arguments, got an array")
            }
        };
        rt.block_on(async {
            let status = h.call("get_items", &args.to_string()).await.expect_err("refused");
            prop_assert_eq!(status.code(), Code::InvalidArgument);
            let violations = violations(&status);
            prop_assert!(
                violations.iter().any(|(f, d)| f == field && d.starts_with(needle)),
                "{} lacks {} {:?}: {:?}", args, field, needle, violations
            );
            Ok(())
        })?;
    });
}

/// The app with a field of every type (app 5551300).
fn app() -> AppSchema {
    let raw: Value = serde_json::from_str(&fixture("app_all.json")).expect("json");
    AppSchema::from_app(5551300, &raw)
}

/// A field key and a valid tool-level value for it.
fn field_value() -> impl Strategy<Value = (&'static str, Value)> {
    let date =
        (2000u32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"));
    let time = (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}"));
    prop_oneof![
        "[A-Za-z0-9][A-Za-z0-9 ,.!?-]{0,40}".prop_map(|s| ("title", json!(s))),
        (-1_000_000i64..1_000_000).prop_map(|n| ("seats", json!(n))),
        (
            (-100_000i64..100_000),
            prop::sample::select(vec!["EUR", "usd"])
        )
            .prop_map(|(cents, currency)| {
                (
                    "budget",
                    json!({"value": cents as f64 / 100.0, "currency": currency}),
                )
            }),
        any::<u64>().prop_map(|amount| ("budget", json!(amount))),
        prop::sample::select(vec![
            json!("Lead"),
            json!(" negotiation "),
            json!(1),
            json!("2")
        ])
        .prop_map(|v| ("stage", v)),
        prop::collection::vec(prop::sample::select(vec![json!("Red"), json!(12)]), 1..3)
            .prop_map(|v| ("labels", json!(v))),
        date.clone().prop_map(|d| ("close-date", json!(d))),
        (date.clone(), time.clone(), 0u32..3).prop_map(|(d, t, hours)| {
            let end_hour: u32 = t[..2]
                .parse::<u32>()
                .unwrap_or(0)
                .saturating_add(hours)
                .min(23);
            let end = format!("{d} {end_hour:02}{}", &t[2..]);
            ("meeting", json!({"start": format!("{d} {t}"), "end": end}))
        }),
        (1u64..1 << 40).prop_map(|id| ("company", json!(id))),
        prop::collection::vec(1u64..1 << 40, 1..4).prop_map(|ids| ("related", json!(ids))),
        (1u64..1 << 40).prop_map(|id| ("owner", json!({"profile_id": id}))),
        "[a-z]{1,10}@[a-z]{1,10}\\.com"
            .prop_map(|m| ("email", json!([{"type": "work", "value": m}]))),
        "\\+[0-9]{4,12}".prop_map(|p| ("phone", json!(p))),
        ("[A-Za-z][A-Za-z0-9 ]{0,30}", -90i32..=90, -180i32..=180).prop_map(|(a, lat, lng)| {
            let (lat, lng) = (f64::from(lat) / 2.0, f64::from(lng) / 2.0);
            ("location", json!({"value": a, "lat": lat, "lng": lng}))
        }),
        prop_oneof![
            (0u64..1_000_000).prop_map(|s| json!(s)),
            (0u32..100, 0u32..60).prop_map(|(h, m)| json!(format!("{h:02}:{m:02}"))),
        ]
        .prop_map(|v| ("time-spent", v)),
        (0u64..=100).prop_map(|p| ("progress", json!(format!("{p}%")))),
        (1u64..1 << 40).prop_map(|id| ("logo", json!(id))),
        (1u64..1 << 40).prop_map(|id| ("website", json!({"embed": {"embed_id": id}}))),
    ]
}

/// Podio's stored form of a write (podio-api.md §7.2), for the types the
/// generator writes.
fn stored(kind: &str, ready: &Ready) -> Vec<Value> {
    let v = match ready {
        Ready::Value(v) => v.clone(),
        Ready::Links(links) => {
            return links
                .iter()
                .map(|link| match link {
                    Link::Embed(id) => {
                        let url = format!("https://example.com/{id}");
                        json!({"embed": {"embed_id": id, "url": url}})
                    }
                    Link::Url(url) => json!({"embed": {"url": url}}),
                })
                .collect();
        }
    };
    let each = |f: &dyn Fn(&Value) -> Value| -> Vec<Value> {
        v.as_array()
            .map(|l| l.iter().map(f).collect())
            .unwrap_or_default()
    };
    match kind {
        "text" | "number" | "progress" | "duration" => vec![json!({"value": v})],
        "money" => vec![v],
        "category" => {
            each(&|id| json!({"value": {"id": id, "text": "option", "status": "active"}}))
        }
        "date" => {
            let text = |key: &str| {
                v.get(key)
                    .or_else(|| v.get(format!("{key}_date")))
                    .and_then(Value::as_str)
            };
            let side = |key: &str| match text(key).map(|t| t.split_once(' ')) {
                Some(Some((d, t))) => (json!(format!("{d} {t}")), json!(d), json!(t)),
                Some(None) => (
                    json!(format!("{} 00:00:00", text(key).unwrap_or_default())),
                    json!(text(key)),
                    Value::Null,
                ),
                None => (Value::Null, Value::Null, Value::Null),
            };
            let (start, start_date, start_time) = side("start");
            let (end, end_date, end_time) = side("end");
            vec![
                json!({"start": start, "start_date": start_date, "start_time": start_time,
                        "end": end, "end_date": end_date, "end_time": end_time}),
            ]
        }
        "app" => each(&|id| json!({"value": {"item_id": id, "title": "An item"}})),
        "contact" => {
            each(&|id| json!({"value": {"profile_id": id, "user_id": 1, "name": "Someone"}}))
        }
        "email" | "phone" => each(&Value::clone),
        "location" => {
            let mut out = v
                .as_object()
                .cloned()
                .unwrap_or_else(|| Map::from_iter([("value".to_owned(), v.clone())]));
            out.insert("formatted".to_owned(), out["value"].clone());
            vec![Value::Object(out)]
        }
        "image" => each(&|id| json!({"value": {"file_id": id, "name": "logo.png"}})),
        other => panic!("no stored form for {other}"),
    }
}

#[test]
fn written_field_values_read_back_and_write_back_the_same() {
    let app = app();
    proptest!(|((key, value) in field_value(), update in any::<bool>())| {
        let mode = if update { Mode::Update } else { Mode::Create };
        let given = Map::from_iter([(key.to_owned(), value.clone())]);
        let (writes, problems) = encode(&app, &given, mode);
        let problems: Vec<_> = problems.into_iter().filter(|p| p.field != "fields").collect();
        prop_assert!(problems.is_empty(), "{} = {}: {:?}", key, value, problems);
        let (field, ready) = writes
            .entries()
            .first()
            .cloned()
            .ok_or_else(|| TestCaseError::fail("no write"))?;
        let decoded = values::decode(&field.kind, &stored(&field.kind, &ready));
        let shown = if decoded.extra.is_empty() {
            decoded.value
        } else {
            let mut object = decoded.extra;
            object.insert("value".to_owned(), decoded.value);
            Value::Object(object)
        };
        let given = Map::from_iter([(field.key(), shown.clone())]);
        let (again, problems) = encode(&app, &given, Mode::Update);
        prop_assert!(problems.is_empty(), "{} shown as {} is refused: {:?}", key, shown, problems);
        let expected = match &ready {
            Ready::Links(links) => Ready::Links(links.iter().map(|l| match l {
                Link::Embed(id) => Link::Url(format!("https://example.com/{id}")),
                url => url.clone(),
            }).collect()),
            other => other.clone(),
        };
        prop_assert_eq!(&again.entries()[0].1, &expected, "{} shown as {}", key, shown);
    });
}

/// A regression the `podio_fields` fuzz target found: an amount beyond
/// `i64` came back from Podio's string form as a rounded float, so writing
/// the shown value back changed it.
#[test]
fn amounts_beyond_i64_read_back_exactly() {
    let app = app();
    for amount in [9_999_949_999_999_499_999u64, u64::MAX] {
        let given = Map::from_iter([("budget".to_owned(), json!(amount))]);
        let (writes, problems) = encode(&app, &given, Mode::Update);
        assert!(problems.is_empty(), "{problems:?}");
        let (field, ready) = &writes.entries()[0];
        assert_eq!(
            *ready,
            Ready::Value(json!({"value": amount.to_string(), "currency": "EUR"}))
        );
        let decoded = values::decode(&field.kind, &stored(&field.kind, ready));
        assert_eq!(decoded.value, json!({"value": amount, "currency": "EUR"}));
    }
}

#[test]
fn arbitrary_field_values_are_each_written_or_refused_by_key() {
    let app = app();
    let keys: Vec<String> = app
        .fields
        .iter()
        .flat_map(|f| [f.key(), f.label.clone(), f.field_id.to_string()])
        .chain(["no-such-field".to_owned()])
        .collect();
    proptest!(|(
        given in prop::collection::btree_map(
            prop::sample::select(keys.clone()),
            json_value(),
            0..6,
        ),
        update in any::<bool>(),
    )| {
        let given: Map<String, Value> = given.into_iter().collect();
        let mode = if update { Mode::Update } else { Mode::Create };
        let (writes, problems) = encode(&app, &given, mode);
        let per_key: Vec<&str> = problems
            .iter()
            .filter_map(|p| p.field.strip_prefix("fields."))
            .collect();
        for key in &per_key {
            prop_assert!(given.contains_key(*key));
        }
        prop_assert!(problems
            .iter()
            .all(|p| p.field.starts_with("fields.") || (p.field == "fields" && !update)));
        prop_assert_eq!(writes.entries().len() + per_key.len(), given.len());
    });
}

#[test]
fn wrong_field_values_are_refused_naming_the_field() {
    let app = app();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("stage", json!("No such option"), "is not an option"),
        ("labels", json!([11, 99]), "is not an option"),
        ("close-date", json!("2026-02-30"), "is not a date"),
        (
            "close-date",
            json!("2026-06-30 14:00"),
            "takes no time of day",
        ),
        (
            "meeting",
            json!({"start": "2026-06-30 15:00", "end": "2026-06-30 14:00"}),
            "is before the start",
        ),
        ("budget", json!({"value": "lots"}), "expected {\"value\""),
        (
            "budget",
            json!({"value": 5, "currency": "GBP"}),
            "is not allowed",
        ),
        ("progress", json!(101), "from 0 to 100"),
        ("email", json!("not-an-email"), "is not an e-mail address"),
        ("company", json!([1, 2]), "only one item"),
        ("owner", json!({"user_id": 5}), "profile ids, not user ids"),
        ("total", json!(5), "read-only"),
        (
            "location",
            json!({"value": "x", "lat": 91}),
            "lat must be a number",
        ),
        (
            "website",
            json!("ftp://example.com"),
            "is not an absolute http(s) URL",
        ),
        // A regression: hours whose seconds overflow u64 panicked (debug
        // builds) or wrapped to a wrong duration (release builds).
        (
            "time-spent",
            json!("99999999999999999:00"),
            "\"HH:MM[:SS]\"",
        ),
    ];
    proptest!(|(case in prop::sample::select(cases.clone()), update in any::<bool>())| {
        let (key, value, needle) = case;
        let mode = if update { Mode::Update } else { Mode::Create };
        let given = Map::from_iter([(key.to_owned(), value.clone())]);
        let (writes, problems) = encode(&app, &given, mode);
        prop_assert!(writes.entries().is_empty());
        let field = app.find(key).map_err(TestCaseError::fail)?;
        let problem = problems
            .iter()
            .find(|p| p.field == format!("fields.{key}"))
            .ok_or_else(|| TestCaseError::fail(format!("{key} = {value}: {problems:?}")))?;
        prop_assert!(problem.description.starts_with(&field.describe()), "{:?}", problem);
        prop_assert!(problem.description.contains(needle), "{:?} lacks {:?}", problem, needle);
    });
}

/// The keys of a decoded item, sorted.
const ITEM_KEYS: [&str; 11] = [
    "app",
    "app_item_id",
    "comment_count",
    "created_by",
    "created_on",
    "fields",
    "item_id",
    "last_event_on",
    "link",
    "tags",
    "title",
];

#[test]
fn arbitrary_podio_items_decode_to_the_documented_keys() {
    proptest!(|(item in json_value(), fields in prop::collection::vec(json_value(), 0..4))| {
        let mut item = item;
        if let Value::Object(map) = &mut item {
            map.insert("fields".to_owned(), Value::Array(fields.clone()));
        }
        let decoded = decode_item(&item);
        let mut keys: Vec<&str> = decoded
            .json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        prop_assert_eq!(keys, ITEM_KEYS.to_vec());
        let count = if item.is_object() { fields.len() } else { 0 };
        prop_assert_eq!(decoded.fields.len(), count);
        for field in &decoded.fields {
            prop_assert_eq!(&field.json["type"], &json!(field.kind));
            field.line();
        }
        decoded.heading();
    });
}
