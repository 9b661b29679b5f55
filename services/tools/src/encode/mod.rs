//! The other direction of `decode`: values a language model writes (field
//! values for create_item and update_item, filters and sorting for
//! get_items), checked against the app's field definitions and turned into
//! the forms Podio takes. Problems are collected as argument violations so
//! one answer lists everything that is wrong, and nothing is sent upstream
//! until every value is valid.

pub mod filters;
pub mod moment;
pub mod schema;
pub mod values;

pub use schema::AppSchema;

use serde_json::{Map, Value};

use crate::args::{Args, ObjectBounds};
use crate::error::ToolError;
use crate::podio::Podio;
use values::{FieldWrites, Mode};

/// The bounds of create_item's and update_item's `fields`: at most 200
/// fields a call; a field name (external_id, field_id or label) of at most
/// 200 characters; a text value, or any string inside a value, of at most
/// 100 000 characters (Portico's cap; Podio documents none for text fields,
/// and the whole call is capped at `args::MAX_ARGUMENTS_BYTES` anyway); a list
/// of at most 500 values (category options, item or profile references).
pub const FIELD_VALUES: ObjectBounds = ObjectBounds {
    max_properties: 200,
    max_key_chars: 200,
    max_string_chars: 100_000,
    max_list_items: 500,
};

/// The bounds of get_items' `filters`: at most 50 filters; a field name of
/// at most 200 characters; a text to find, label or date of at most 1 000
/// characters; a list of at most 500 option or item ids.
pub const FILTERS: ObjectBounds = ObjectBounds {
    max_properties: 50,
    max_key_chars: 200,
    max_string_chars: 1_000,
    max_list_items: 500,
};

/// Fetches the schema of app `app_id` and checks `given` against it,
/// recording every problem in `args` (so `args.finish()` reports them with
/// the other arguments' problems).
pub(crate) async fn field_writes(
    podio: &Podio,
    args: &mut Args,
    app_id: u64,
    given: &Map<String, Value>,
    mode: Mode,
) -> Result<(AppSchema, FieldWrites), ToolError> {
    let schema = AppSchema::fetch(podio, app_id).await?;
    let (writes, problems) = values::encode(&schema, given, mode);
    for problem in problems {
        args.reject(&problem.field, problem.description);
    }
    Ok((schema, writes))
}
