//! The MCP conformance suite's fixture resources (feature
//! `conformance-fixtures`): the reference server's `test://static-text`,
//! `test://static-binary` and `test://watched-resource`, and the template
//! `test://template/{id}/data`, served through the tools service's
//! resource RPCs so the suite tests the whole path. Their contents never
//! change, so a subscription to one is accepted and never notified.

use portico_proto::tools::v1::embedded_resource::Contents;
use portico_proto::tools::v1::{EmbeddedResource, Resource, ResourceTemplate};

use super::fixtures::PNG;

const STATIC_TEXT: &str = "test://static-text";
const STATIC_BINARY: &str = "test://static-binary";
const WATCHED: &str = "test://watched-resource";
const TEMPLATE: &str = "test://template/{id}/data";

/// The direct resources, in a stable order.
pub(crate) fn list() -> Vec<Resource> {
    let resource = |uri: &str, name: &str, description: &str, mime_type: &str| Resource {
        uri: uri.to_owned(),
        name: name.to_owned(),
        title: String::new(),
        description: description.to_owned(),
        mime_type: mime_type.to_owned(),
    };
    vec![
        resource(
            STATIC_TEXT,
            "static-text",
            "Conformance fixture: a static text resource.",
            "text/plain",
        ),
        resource(
            STATIC_BINARY,
            "static-binary",
            "Conformance fixture: a static binary resource (a 1×1 PNG).",
            "image/png",
        ),
        resource(
            WATCHED,
            "watched-resource",
            "Conformance fixture: a resource to subscribe to (it never changes).",
            "text/plain",
        ),
    ]
}

/// The resource templates.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    vec![ResourceTemplate {
        uri_template: TEMPLATE.to_owned(),
        name: "template-data".to_owned(),
        title: String::new(),
        description: "Conformance fixture: JSON data for any {id}.".to_owned(),
        mime_type: "application/json".to_owned(),
    }]
}

/// The contents of the resource at `uri`, if there is one.
pub(crate) fn read(uri: &str) -> Option<Vec<EmbeddedResource>> {
    let contents = match uri {
        STATIC_TEXT => text(
            uri,
            "text/plain",
            "This is the content of the static text resource.",
        ),
        STATIC_BINARY => EmbeddedResource {
            uri: uri.to_owned(),
            mime_type: "image/png".to_owned(),
            contents: Some(Contents::Blob(PNG.to_vec())),
        },
        WATCHED => text(
            uri,
            "text/plain",
            "This is a watched resource; it does not change.",
        ),
        _ => {
            let id = template_id(uri)?;
            let data = serde_json::json!({
                "id": id,
                "templateTest": true,
                "data": format!("Data for ID: {id}"),
            });
            text(uri, "application/json", &data.to_string())
        }
    };
    Some(vec![contents])
}

/// `{id}` of `test://template/{id}/data`: one non-empty path segment.
fn template_id(uri: &str) -> Option<&str> {
    let id = uri
        .strip_prefix("test://template/")?
        .strip_suffix("/data")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

fn text(uri: &str, mime_type: &str, text: &str) -> EmbeddedResource {
    EmbeddedResource {
        uri: uri.to_owned(),
        mime_type: mime_type.to_owned(),
        contents: Some(Contents::Text(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_resource_reads_and_templates_expand() {
        for resource in list() {
            let contents = read(&resource.uri).expect("a listed resource reads");
            assert_eq!(contents[0].uri, resource.uri);
            assert_eq!(contents[0].mime_type, resource.mime_type);
        }
        let contents = read("test://template/123/data").expect("template");
        assert!(matches!(&contents[0].contents, Some(Contents::Text(t)) if t.contains("123")));
        assert!(read("test://template//data").is_none());
        assert!(read("test://template/1/2/data").is_none());
        assert!(read("test://nonexistent").is_none());
    }
}
