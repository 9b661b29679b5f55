//! search_globally: Podio's search across the account or within one
//! organization, workspace or app, with item hits enriched with their
//! decoded field values at one upstream call per app.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::page::{self, Next, Page, Paging, Words};
use super::{
    READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, expect_object, schema,
};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::{get, number, str_at};
use crate::decode::{DecodedItem, decode_item, search};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Hits per page: 10 unless the caller says, up to Podio's largest search
/// page of 20.
const PAGING: Paging = Paging {
    default: 10,
    max: 20,
};
/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 500;
/// The kinds of object a search may be narrowed to.
const REF_TYPES: &[&str] = &["item", "app", "space", "task", "file", "conversation"];

/// The search_globally tool.
pub struct SearchGlobally;

/// Where the search runs.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Account,
    Org(u64),
    Space(u64),
    App(u64),
}

impl Scope {
    fn path(self) -> String {
        match self {
            Scope::Account => "/search/".to_owned(),
            Scope::Org(id) => format!("/search/org/{id}/"),
            Scope::Space(id) => format!("/search/space/{id}/"),
            Scope::App(id) => format!("/search/app/{id}/"),
        }
    }

    fn target(self) -> Target {
        match self {
            Scope::Account => Target::new("the search", "check the search arguments"),
            Scope::Org(id) => Target::new(
                format!("organization {id}"),
                "use get_organizations to find org ids",
            ),
            Scope::Space(id) => Target::new(
                format!("space {id}"),
                "use get_organizations or get_spaces_in_organization to find space ids",
            ),
            Scope::App(id) => {
                Target::new(format!("app {id}"), "use get_apps_in_space to find app ids")
            }
        }
    }

    fn json(self) -> Value {
        match self {
            Scope::Account => json!({"type": "account", "id": null}),
            Scope::Org(id) => json!({"type": "org", "id": id}),
            Scope::Space(id) => json!({"type": "space", "id": id}),
            Scope::App(id) => json!({"type": "app", "id": id}),
        }
    }

    fn words(self) -> String {
        match self {
            Scope::Account => "across the account".to_owned(),
            Scope::Org(id) => format!("in organization {id}"),
            Scope::Space(id) => format!("in space {id}"),
            Scope::App(id) => format!("in app {id}"),
        }
    }
}

#[async_trait]
impl Tool for SearchGlobally {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "search_globally",
            title: "Search globally",
            description: "Search Podio by text across the whole account, or within one \
                organization (org_id), workspace (space_id) or app (app_id); give at most one of \
                those. Matches titles and field text. Optionally narrow to one kind of object \
                with ref_type (item, app, space, task, file, conversation). Each hit has its \
                type, id, title, link, rank, creator and the app, workspace and organization it \
                belongs to; item hits also carry their decoded field values keyed by \
                external_id, as in get_item. Up to 20 hits per call (default 10); when a page is \
                full, next_offset gives the next page. Use the ids with get_item, get_app, \
                get_space or get_task.",
            input_schema: PAGING.input(
                "hits",
                vec![
                    (
                        "query",
                        schema::string(
                            MAX_QUERY_CHARS,
                            "The text to search for (not empty).",
                        ),
                    ),
                    (
                        "org_id",
                        schema::id(
                            "Search only this organization (give at most one of org_id, space_id, app_id).",
                        ),
                    ),
                    (
                        "space_id",
                        schema::id(
                            "Search only this workspace (give at most one of org_id, space_id, app_id).",
                        ),
                    ),
                    (
                        "app_id",
                        schema::id(
                            "Search only this app (give at most one of org_id, space_id, app_id).",
                        ),
                    ),
                    (
                        "ref_type",
                        schema::one_of(
                            REF_TYPES,
                            "Only hits of this kind: item, app, space, task, file or conversation. Default: all kinds.",
                        ),
                    ),
                ],
                &["query"],
            ),
            output_schema: page::output("hit", Next::WhenFull, vec![
                ("query", schema::typed("string", "The text searched for.")),
                (
                    "scope",
                    json!({
                        "type": "object",
                        "description": "Where the search ran.",
                        "required": ["type", "id"],
                        "properties": {
                            "type": schema::typed("string", "account, org, space or app."),
                            "id": schema::nullable("integer", "The org, space or app id (null for account)."),
                        },
                    }),
                ),
                (
                    "ref_type",
                    schema::nullable(
                        "string",
                        "The kind of object searched for, or null for all.",
                    ),
                ),
                (
                    "notes",
                    schema::array_of(
                        json!({"type": "string"}),
                        "How item values were loaded when it was not the usual way, and items whose values could not be loaded.",
                    ),
                ),
                (
                    "results",
                    schema::array_of(hit_schema(), "The hits, best first."),
                ),
            ],
            ),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(
        &self,
        cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let query = args.opt_text("query", MAX_QUERY_CHARS);
        let org_id = args.opt_id("org_id", "organization id");
        let space_id = args.opt_id("space_id", "space id");
        let app_id = args.opt_id("app_id", "app id");
        let ref_type = args.opt_enum("ref_type", REF_TYPES);
        let window = PAGING.parse(&mut args);
        let given: Vec<&str> = ["org_id", "space_id", "app_id"]
            .into_iter()
            .filter(|name| args.has(name))
            .collect();
        if given.len() > 1 {
            args.reject(
                given[1],
                format!(
                    "give at most one of org_id, space_id and app_id to scope the search (got {}); omit all three to search the whole account",
                    given.join(" and ")
                ),
            );
        }
        args.finish()?;
        let query = query.unwrap_or_default();
        let scope = match (org_id, space_id, app_id) {
            (Some(id), _, _) => Scope::Org(id),
            (_, Some(id), _) => Scope::Space(id),
            (_, _, Some(id)) => Scope::App(id),
            _ => Scope::Account,
        };

        let mut body = json!({"query": query, "limit": window.limit, "offset": window.offset});
        if let Some(kind) = ref_type {
            body["ref_type"] = json!(kind);
        }
        let limits = podio.scope();
        match scope {
            Scope::Account => {}
            Scope::Org(id) if limits.allows_org(id) || limits.lists_spaces() => {}
            Scope::Org(id) => return Err(limits.org_refusal(id)),
            Scope::Space(id) => {
                limits
                    .check_space(podio, id, &format!("space {id}"))
                    .await?
            }
            Scope::App(id) => limits.check_app(podio, id).await?,
        }
        cx.progress(0.0, None, "searching Podio").await;
        let raw = podio.post(scope.path(), &body, &scope.target()).await?;
        let mut results: Vec<Value> = expect_array(&raw, "POST /search/")?
            .iter()
            .map(search::hit)
            .collect();
        let scanned = results.len();
        if !limits.is_unlimited() {
            // Before enrichment, so nothing more is read about hidden hits.
            let mut kept = Vec::with_capacity(results.len());
            for hit in results {
                let (space, org) = place_of(&hit);
                if limits.shows(podio, space, org).await {
                    kept.push(hit);
                }
            }
            results = kept;
        }
        let (items, notes) = enrich(cx, podio, &mut results).await;

        let page = if limits.is_unlimited() {
            window.upstream(results.len(), None)
        } else {
            let full = i64::try_from(scanned).unwrap_or(i64::MAX) >= window.limit;
            window.filtered(results.len(), scanned, full)
        };
        let mut text = render(&query, scope, &page, &results, &items, &notes);
        let mut structured = json!({
            "query": query,
            "scope": scope.json(),
            "ref_type": ref_type,
            "notes": notes,
            "results": results,
        });
        limits.annotate(
            scanned - results.len(),
            ("result", "results"),
            &mut text,
            &mut structured,
        );
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

/// The workspace and organization a decoded hit lies in (a workspace hit
/// is its own workspace).
fn place_of(hit: &Value) -> (Option<u64>, Option<u64>) {
    let space = get(hit, "space")
        .and_then(|s| get(s, "space_id"))
        .and_then(Value::as_u64)
        .or_else(|| {
            (str_at(hit, "type") == Some("space"))
                .then(|| get(hit, "id").and_then(Value::as_u64))
                .flatten()
        });
    let org = get(hit, "org")
        .and_then(|o| get(o, "org_id"))
        .and_then(Value::as_u64);
    (space, org)
}

/// Adds decoded field values to the item hits: one filter call per app
/// (`{"filters": {"item_id": [...]}}`, a filter key Podio is not documented
/// to accept), then one GET per item the filters did not return, whether
/// because Podio refused the filter or because the hit named no app. Returns
/// the decoded items by id and notes on anything unusual; values that cannot
/// be loaded leave the hit without fields rather than failing the search.
/// Progress counts the item hits resolved (loaded or not) out of all of them.
async fn enrich(
    cx: &CallContext,
    podio: &Podio,
    hits: &mut [Value],
) -> (HashMap<u64, DecodedItem>, Vec<String>) {
    let mut by_app: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut wanted = Vec::new();
    for hit in hits.iter().filter(|h| str_at(h, "type") == Some("item")) {
        let Some(item_id) = get(hit, "id").and_then(Value::as_u64) else {
            continue;
        };
        wanted.push(item_id);
        if let Some(app_id) = get(hit, "app")
            .and_then(|a| get(a, "app_id"))
            .and_then(Value::as_u64)
        {
            by_app.entry(app_id).or_default().push(item_id);
        }
    }
    let mut found: HashMap<u64, DecodedItem> = HashMap::new();
    let mut notes = Vec::new();
    let total = Some(wanted.len() as f64);
    if !wanted.is_empty() {
        cx.debug(&format!(
            "loading the field values of {} item hits in {} apps",
            wanted.len(),
            by_app.len()
        ))
        .await;
        cx.progress(0.0, total, "loading the field values of item hits")
            .await;
    }

    let mut batches = JoinSet::new();
    for (app_id, ids) in by_app {
        let podio = podio.clone();
        batches.spawn(
            async move {
                let result = filter_by_ids(&podio, app_id, &ids).await;
                (app_id, result)
            }
            .in_current_span(),
        );
    }
    let mut refused = Vec::new();
    while let Some(joined) = batches.join_next().await {
        match joined {
            Ok((_, Ok(items))) => {
                for item in items {
                    if let Some(id) = get(&item.json, "item_id").and_then(Value::as_u64) {
                        found.insert(id, item);
                    }
                }
            }
            Ok((app_id, Err(_))) => refused.push(app_id),
            Err(e) => tracing::warn!(error = %e, "search enrichment batch did not finish"),
        }
        cx.progress(found.len() as f64, total, "").await;
    }
    if !refused.is_empty() {
        refused.sort_unstable();
        let apps: Vec<String> = refused.iter().map(ToString::to_string).collect();
        notes.push(format!(
            "Podio did not accept a filter by item ids for app {}, so those items were fetched one by one.",
            apps.join(", ")
        ));
    }

    let mut singles = JoinSet::new();
    for item_id in wanted.iter().copied().filter(|id| !found.contains_key(id)) {
        let podio = podio.clone();
        singles.spawn(
            async move {
                let target = Target::new(format!("item {item_id}"), "it may have been deleted");
                let query = [("mark_as_viewed", "false".to_owned())];
                (
                    item_id,
                    podio.get(format!("/item/{item_id}"), &query, &target).await,
                )
            }
            .in_current_span(),
        );
    }
    let mut missing = Vec::new();
    while let Some(joined) = singles.join_next().await {
        match joined {
            Ok((_, Ok(raw))) if raw.is_object() => {
                let item = decode_item(&raw);
                if let Some(id) = get(&item.json, "item_id").and_then(Value::as_u64) {
                    found.insert(id, item);
                }
            }
            Ok((item_id, _)) => missing.push(item_id),
            Err(e) => tracing::warn!(error = %e, "search enrichment fetch did not finish"),
        }
        cx.progress((found.len() + missing.len()) as f64, total, "")
            .await;
    }
    if !missing.is_empty() {
        missing.sort_unstable();
        let ids: Vec<String> = missing.iter().map(ToString::to_string).collect();
        notes.push(format!(
            "The field values of item {} could not be loaded; get_item may say why.",
            ids.join(", ")
        ));
    }

    for hit in hits
        .iter_mut()
        .filter(|h| str_at(h, "type") == Some("item"))
    {
        let item = get(hit, "id")
            .and_then(Value::as_u64)
            .and_then(|id| found.get(&id));
        if let Some(item) = item {
            hit["fields"] = item.json["fields"].clone();
        }
    }
    (found, notes)
}

/// The items `ids` of app `app_id`, in one filter call.
async fn filter_by_ids(
    podio: &Podio,
    app_id: u64,
    ids: &[u64],
) -> Result<Vec<DecodedItem>, ToolError> {
    let target = Target::new(
        format!("app {app_id}"),
        "use get_apps_in_space to find app ids",
    );
    let body = json!({"filters": {"item_id": ids}, "limit": ids.len()});
    let raw = podio
        .post(format!("/item/app/{app_id}/filter/"), &body, &target)
        .await?;
    let request = "POST /item/app/{app_id}/filter/";
    let raw = expect_object(&raw, request)?;
    Ok(
        expect_array(get(raw, "items").unwrap_or(&json!([])), request)?
            .iter()
            .map(decode_item)
            .collect(),
    )
}

fn hit_schema() -> Value {
    let mut fields = schema::item_properties()
        .into_iter()
        .find_map(|(name, s)| (name == "fields").then_some(s))
        .unwrap_or_else(|| json!({}));
    fields["type"] = json!(["object", "null"]);
    fields["description"] = json!(
        "Item hits: the item's field values keyed by external_id, as in get_item (null for other hits, or when they could not be loaded)."
    );
    let place = |id: &str, what: &str| {
        json!({
            "type": ["object", "null"],
            "description": format!("The {what} the hit belongs to, when any."),
            "properties": {
                id: schema::nullable("integer", &format!("The {what}'s id.")),
                "name": schema::nullable("string", &format!("The {what}'s name.")),
            },
        })
    };
    let mut app = place("app_id", "app");
    app["properties"]["item_name"] =
        schema::nullable("string", "What one item of the app is called.");
    schema::output(&[
        (
            "type",
            schema::nullable(
                "string",
                "What was found: item, app, space, task, file, conversation, status or profile.",
            ),
        ),
        (
            "id",
            schema::nullable(
                "integer",
                "Its id (an item_id for items, a task_id for tasks, …).",
            ),
        ),
        (
            "rank",
            schema::nullable("integer", "Its position in the results."),
        ),
        ("title", schema::nullable("string", "Its title or name.")),
        ("link", schema::nullable("string", "URL in Podio's web UI.")),
        ("created_on", schema::created_on()),
        ("created_by", schema::created_by()),
        ("space", place("space_id", "workspace")),
        ("org", place("org_id", "organization")),
        ("app", app),
        ("fields", fields),
    ])
}

fn render(
    query: &str,
    scope: Scope,
    page: &Page,
    results: &[Value],
    items: &HashMap<u64, DecodedItem>,
    notes: &[String],
) -> String {
    let scope_words = scope.words();
    let header = page.header(&Words {
        noun: ("result", "results"),
        place: &format!(" for \"{query}\" {scope_words}"),
        order: "",
        empty: &format!("Nothing found for \"{query}\" {scope_words}."),
    });
    let mut lines = vec![header];
    for hit in results {
        let title = str_at(hit, "title").unwrap_or("(untitled)");
        let mut line = format!("- {title} — {}", search::place_line(hit));
        let mut by = Vec::new();
        if let Some(on) = str_at(hit, "created_on") {
            by.push(format!("created {on}"));
        }
        if let Some(who) = str_at(hit, "created_by") {
            by.push(format!("by {who}"));
        }
        if !by.is_empty() {
            line.push_str(&format!("; {}", by.join(" ")));
        }
        lines.push(line);
        if let Some(link) = str_at(hit, "link") {
            lines.push(format!("  {link}"));
        }
        let item = get(hit, "id")
            .and_then(number)
            .and_then(|n| n.as_u64())
            .filter(|_| str_at(hit, "type") == Some("item"))
            .and_then(|id| items.get(&id));
        if let Some(item) = item.filter(|i| !i.fields.is_empty()) {
            let values: Vec<String> = item.fields.iter().map(|f| f.short()).collect();
            lines.push(format!("  {}", values.join("; ")));
        }
    }
    lines.extend(notes.iter().cloned());
    lines.join("\n")
}
