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

use crate::args::Args;
use crate::error::ToolError;
use crate::podio::Podio;
use values::{FieldWrites, Mode};

/// Fetches the schema of app `app_id` and checks `given` against it,
/// recording every problem in `args` (so `args.finish()` reports them with
/// the other arguments' problems).
pub async fn field_writes(
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
