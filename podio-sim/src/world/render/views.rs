//! Saved views (`GET /view/app/{app_id}/`), in Podio's view shape with
//! filters as `[{key, values}]`.

use serde_json::{Value, json};

use super::byline;
use crate::world::filter::{self, FilterRequest};
use crate::world::model::{App, View};
use crate::world::{Caller, World};

/// A view key as Podio returns it: field ids as numbers, built-ins as text.
fn key(key: &str) -> Value {
    key.parse::<u64>()
        .map_or_else(|_| json!(key), |id| json!(id))
}

/// A saved view with the number of items it shows.
pub fn view(world: &World, caller: Caller, app: &App, view: &View) -> Value {
    let items = filter::run(
        world,
        app,
        &filter::view_request(view, FilterRequest::default()),
    )
    .map_or(Value::Null, |page| json!(page.filtered));
    let own = caller == Caller::User(view.created_by);
    json!({
        "view_id": view.view_id,
        "name": view.name,
        "type": view.kind.as_str(),
        "created_on": view.created_on,
        "created_by": world.users.get(&view.created_by).map_or(Value::Null, byline),
        "sort_by": view.sort_by.as_deref().map_or(Value::Null, key),
        "sort_desc": view.sort_desc,
        "filters": view.filters.iter()
            .map(|(k, values)| json!({ "key": key(k), "values": values }))
            .collect::<Vec<_>>(),
        "fields": {},
        "groupings": {},
        "layout": view.layout,
        "rights": if own { vec!["view", "update", "delete"] } else { vec!["view"] },
        "items": items,
    })
}
