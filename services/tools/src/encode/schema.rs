//! An app's field definitions in the form writes and filters check values
//! against: built from the same decoded definition get_app shows, plus the
//! deleted category options (so a stale option id gets a precise refusal).

use serde_json::Value;

use crate::decode::app;
use crate::decode::json::{array, bool_at, get, number, str_at};
use crate::error::ToolError;
use crate::podio::{Podio, Target};
use crate::tools::expect_object;

/// One category option.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryOption {
    /// The option's id, what Podio stores.
    pub id: u64,
    /// The option's label.
    pub text: String,
    /// False for options deleted from the app (kept by Podio on old items).
    pub active: bool,
}

/// One active field of an app.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The field's id.
    pub field_id: u64,
    /// The field's external_id (slug), when Podio sent one.
    pub external_id: Option<String>,
    /// The field's label.
    pub label: String,
    /// Podio's field type, e.g. "category".
    pub kind: String,
    /// Whether an item must have a value for it.
    pub required: bool,
    /// Category options, active and deleted.
    pub options: Vec<CategoryOption>,
    /// Category and app fields: whether several values are allowed.
    pub multiple: bool,
    /// Money fields: the currencies allowed, the app's default first.
    pub currencies: Vec<String>,
    /// Date fields: "disabled", "enabled" or "required" for the end date.
    pub date_end: Option<String>,
    /// Date fields: "disabled", "enabled" or "required" for the time of day.
    pub date_time: Option<String>,
    /// Calculation fields: "number", "date" or "text".
    pub return_type: Option<String>,
}

impl FieldDef {
    /// The key values are sent under: the external_id, else the field_id.
    pub fn key(&self) -> String {
        self.external_id
            .clone()
            .unwrap_or_else(|| self.field_id.to_string())
    }

    /// "Stage (stage, category)".
    pub fn describe(&self) -> String {
        format!("{} ({}, {})", self.label, self.key(), self.kind)
    }

    /// The active options as "1 Lead, 2 Negotiation".
    pub fn option_list(&self) -> String {
        let active: Vec<String> = self
            .options
            .iter()
            .filter(|o| o.active)
            .map(|o| format!("{} {:?}", o.id, o.text))
            .collect();
        if active.is_empty() {
            "(none)".to_owned()
        } else {
            active.join(", ")
        }
    }
}

/// An app's active fields, in the app's order.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSchema {
    /// The app's id.
    pub app_id: u64,
    /// The app's name.
    pub name: Option<String>,
    /// What one item is called, e.g. "Deal".
    pub item_name: Option<String>,
    /// The active fields.
    pub fields: Vec<FieldDef>,
}

impl AppSchema {
    /// Fetches and decodes `GET /app/{app_id}`.
    pub(crate) async fn fetch(podio: &Podio, app_id: u64) -> Result<AppSchema, ToolError> {
        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let raw = podio.get(format!("/app/{app_id}"), &[], &target).await?;
        let raw = expect_object(&raw, "GET /app/{app_id}")?;
        Ok(AppSchema::from_app(app_id, raw))
    }

    /// The schema of a raw Podio app object.
    pub fn from_app(app_id: u64, raw: &Value) -> AppSchema {
        let definition = app::definition(raw);
        let fields = array(&definition, "fields")
            .iter()
            .filter_map(|f| field(f, raw))
            .collect();
        AppSchema {
            app_id,
            name: str_at(&definition, "name").map(str::to_owned),
            item_name: str_at(&definition, "item_name").map(str::to_owned),
            fields,
        }
    }

    /// The field a caller named: by external_id, by field_id (number or
    /// numeric string), or by label when exactly one field has it (all
    /// case-insensitive). The error lists the fields there are.
    pub fn find(&self, key: &str) -> Result<&FieldDef, String> {
        let wanted = key.trim();
        let by_external_id = self.fields.iter().find(|f| {
            f.external_id
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
        });
        let by_id = || {
            wanted
                .parse::<u64>()
                .ok()
                .and_then(|id| self.fields.iter().find(|f| f.field_id == id))
        };
        let by_label = || {
            let mut matches = self
                .fields
                .iter()
                .filter(|f| f.label.trim().eq_ignore_ascii_case(wanted));
            match (matches.next(), matches.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        by_external_id
            .or_else(by_id)
            .or_else(by_label)
            .ok_or_else(|| {
                format!(
                    "app {} has no field {wanted:?}; its fields (label (external_id, type)): {}",
                    self.app_id,
                    self.field_list()
                )
            })
    }

    /// Every field as "Label (external_id, type)", comma-separated.
    pub fn field_list(&self) -> String {
        let all: Vec<String> = self.fields.iter().map(FieldDef::describe).collect();
        all.join(", ")
    }
}

/// A field of the decoded definition, with deleted options from `raw`.
fn field(f: &Value, raw: &Value) -> Option<FieldDef> {
    let field_id = get(f, "field_id")
        .and_then(number)
        .and_then(|n| n.as_u64())?;
    let mut options: Vec<CategoryOption> = array(f, "options")
        .iter()
        .filter_map(|o| option(o, true))
        .collect();
    options.extend(deleted_options(raw, field_id));
    let strings = |key: &str| -> Vec<String> {
        array(f, key)
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_uppercase())
            .collect()
    };
    let kind = str_at(f, "type").unwrap_or("unknown").to_owned();
    Some(FieldDef {
        field_id,
        external_id: str_at(f, "external_id").map(str::to_owned),
        label: str_at(f, "label").map_or_else(|| field_id.to_string(), str::to_owned),
        kind,
        required: bool_at(f, "required"),
        options,
        multiple: bool_at(f, "multiple"),
        currencies: strings("allowed_currencies"),
        date_end: str_at(f, "end").map(str::to_owned),
        date_time: str_at(f, "time").map(str::to_owned),
        return_type: str_at(f, "return_type").map(str::to_owned),
    })
}

fn option(o: &Value, active: bool) -> Option<CategoryOption> {
    Some(CategoryOption {
        id: get(o, "id").and_then(number).and_then(|n| n.as_u64())?,
        text: str_at(o, "text").unwrap_or_default().to_owned(),
        active,
    })
}

/// The deleted options of field `field_id` in the raw app, which the
/// decoded definition leaves out.
fn deleted_options(raw: &Value, field_id: u64) -> Vec<CategoryOption> {
    let Some(f) = array(raw, "fields")
        .iter()
        .find(|f| get(f, "field_id").and_then(number).and_then(|n| n.as_u64()) == Some(field_id))
    else {
        return Vec::new();
    };
    let settings = get(f, "config")
        .and_then(|c| get(c, "settings"))
        .unwrap_or(&Value::Null);
    array(settings, "options")
        .iter()
        .filter(|o| str_at(o, "status") == Some("deleted"))
        .filter_map(|o| option(o, false))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> AppSchema {
        AppSchema::from_app(
            7,
            &json!({"app_id": 7, "config": {"name": "Deals", "item_name": "Deal"}, "fields": [
                {"field_id": 11, "external_id": "title", "type": "text", "label": "Title", "status": "active", "config": {"required": true, "delta": 0}},
                {"field_id": 12, "external_id": "stage", "type": "category", "label": "Stage", "status": "active", "config": {"delta": 1, "settings": {"multiple": false, "options": [
                    {"id": 1, "text": "Lead", "status": "active"}, {"id": 4, "text": "Old", "status": "deleted"}]}}},
                {"field_id": 13, "external_id": "gone", "type": "text", "label": "Gone", "status": "deleted", "config": {"delta": 2}},
                {"field_id": 14, "external_id": "price", "type": "money", "label": "Stage", "status": "active", "config": {"delta": 3, "settings": {"allowed_currencies": ["eur"]}}}
            ]}),
        )
    }

    #[test]
    fn fields_are_found_by_external_id_id_or_unique_label() {
        let s = schema();
        assert_eq!(s.find("STAGE").map(|f| f.field_id), Ok(12));
        assert_eq!(s.find(" 11 ").map(|f| f.field_id), Ok(11));
        assert_eq!(s.find("title").map(|f| f.required), Ok(true));
        // Two fields are labelled "Stage": the external_id wins, a label alone is ambiguous.
        assert_eq!(s.find("Stage").map(|f| f.field_id), Ok(12));
        let err = s.find("gone").expect_err("deleted fields are not writable");
        assert_eq!(
            err,
            "app 7 has no field \"gone\"; its fields (label (external_id, type)): Title (title, text), Stage (stage, category), Stage (price, money)"
        );
    }

    #[test]
    fn deleted_options_are_kept_and_currencies_normalised() {
        let s = schema();
        let stage = s.find("stage").expect("stage");
        assert_eq!(stage.options.len(), 2);
        assert!(!stage.options[1].active);
        assert_eq!(stage.option_list(), "1 \"Lead\"");
        assert_eq!(
            s.find("price").map(|f| f.currencies.clone()),
            Ok(vec!["EUR".to_owned()])
        );
    }
}
