//! What both protocol generations share: the versions this server speaks,
//! the header and `_meta` names, and the server's own identity. Neither
//! generation's module owns these, so neither imports the other for them.

use serde_json::{Value, json};

/// The stateless revision (per-request `_meta`, no `initialize`).
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];
/// The handshake revisions (`initialize` and `Mcp-Session-Id`), newest first.
pub const LEGACY_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];
/// Every version this server speaks, newest first: what `server/discover`
/// and every unsupported-version error list.
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"];

/// The session header (HTTP header names are case-insensitive).
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The protocol version header: on every request after `initialize`
/// (legacy), on every POST (2026-07-28).
pub const VERSION_HEADER: &str = "mcp-protocol-version";
/// 2026-07-28: the JSON-RPC method, mirrored into a header.
pub const METHOD_HEADER: &str = "mcp-method";
/// 2026-07-28: `params.name` or `params.uri`, mirrored into a header.
pub const NAME_HEADER: &str = "mcp-name";

/// `_meta` keys of a 2026-07-28 request and result.
pub mod meta {
    /// The request's protocol version (a string).
    pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// What the client can answer (an object).
    pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// The client's `Implementation` (an object with name and version).
    pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
    /// The minimum level of log messages the client wants.
    pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    /// The server's `Implementation`, in every result.
    pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
    /// Not namespaced: the progress token predates the `_meta` prefixes.
    pub(crate) const PROGRESS_TOKEN: &str = "progressToken";
}

/// Longest client-supplied string kept, logged or echoed (names, versions,
/// methods): a client must not be able to pin memory or flood logs.
pub const MAX_CLIENT_STRING: usize = 256;

/// Whether `version` is served statelessly.
pub(crate) fn is_modern(version: &str) -> bool {
    MODERN_VERSIONS.contains(&version)
}

/// Whether `version` is served through `initialize` and sessions.
pub(crate) fn is_legacy(version: &str) -> bool {
    LEGACY_VERSIONS.contains(&version)
}

/// `text` cut to at most `max` bytes on a character boundary.
pub fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// Names only tools the catalog has today; extend it as tools are added, so a
// model is never sent looking for a tool that does not exist.
pub(crate) const INSTRUCTIONS: &str = "Portico gives you a user's Podio data. Podio is organised as \
organizations, which contain workspaces (spaces), which contain apps, which contain items \
(records with fields). Navigate top-down: get_organizations, get_spaces_in_organization, \
get_apps_in_space, then get_app_summary or get_app to learn an app's fields (their \
external_ids, types and category options) before reading items with get_items (filters, \
sorting, paging) or get_item, or writing them with create_item and update_item. \
search_globally finds items, apps, workspaces and tasks by text. Tasks: get_tasks, get_task, \
create_task, update_task, complete_task. Comments: get_item_comments, add_comment. \
Activity: get_notifications. People: get_space_members, get_org_members. Every list result \
says how to get its next page.";

/// The server's `Implementation` object.
pub(crate) fn server_info() -> Value {
    json!({"name": "portico", "title": "Portico", "version": env!("CARGO_PKG_VERSION")})
}

/// The server's capabilities, the same in both generations: tools (the
/// catalog does not change while running) and logging (log messages during
/// a call, at the level the client chose).
pub(crate) fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}, "logging": {}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_whole_characters() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdef", 3), "abc");
        assert_eq!(clip("aé", 2), "a");
    }

    #[test]
    fn every_version_is_in_exactly_one_generation() {
        for version in SUPPORTED_VERSIONS {
            assert!(is_modern(version) ^ is_legacy(version), "{version}");
        }
        assert_eq!(
            SUPPORTED_VERSIONS.len(),
            MODERN_VERSIONS.len() + LEGACY_VERSIONS.len()
        );
    }
}
