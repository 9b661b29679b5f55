//! Full-text search (`POST /search/…`, §6 search_globally): items by title
//! and field text, apps and workspaces by name, tasks by text and
//! description, over what the caller can see in the live world.
//!
//! Every word of the query must occur (case-insensitive substring). Hits
//! whose title holds the whole query come first, then those whose title
//! holds every word, then those matched through other text.

use super::model::{App, FieldKind, FieldValue, Item};
use super::{Caller, World, render};

/// Where a search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    /// Everything the caller can see.
    All,
    /// One organization.
    Org(u64),
    /// One workspace (its items, apps and tasks).
    Space(u64),
    /// One app (its items).
    App(u64),
}

/// What kind of object a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitKind {
    /// An item.
    Item,
    /// An app.
    App,
    /// A workspace.
    Space,
    /// A task.
    Task,
}

impl HitKind {
    /// Podio's `type` of a hit (also its `ref_type` filter value).
    pub fn type_name(self) -> &'static str {
        match self {
            HitKind::Item => "item",
            HitKind::App => "app",
            HitKind::Space => "space",
            HitKind::Task => "task",
        }
    }
}

/// The `ref_type` values Podio accepts; only the first four are simulated,
/// the others find nothing.
pub const REF_TYPES: [&str; 8] = [
    "item",
    "app",
    "space",
    "task",
    "file",
    "conversation",
    "status",
    "profile",
];

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Kind of object.
    pub kind: HitKind,
    /// Its id.
    pub id: u64,
}

/// A candidate with the text it is matched on.
struct Candidate {
    hit: Hit,
    title: String,
    body: String,
    created_on: String,
    space_id: Option<u64>,
}

/// Text of an HTML fragment without its tags.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every string value of an item's active fields and its tags,
/// space-separated.
fn item_text(world: &World, app: &App, item: &Item) -> String {
    let mut parts = Vec::new();
    for field in app.fields.iter().filter(|f| f.active) {
        for value in item.values.get(&field.field_id).into_iter().flatten() {
            match value {
                FieldValue::Text(t) => parts.push(strip_tags(t)),
                FieldValue::Category(id) => {
                    if let FieldKind::Category { options, .. } = &field.kind
                        && let Some(o) = options.iter().find(|o| o.id == *id)
                    {
                        parts.push(o.text.clone());
                    }
                }
                FieldValue::Email { address, .. } => parts.push(address.clone()),
                FieldValue::Phone { number, .. } => parts.push(number.clone()),
                FieldValue::Location(l) => parts.push(l.formatted()),
                FieldValue::Embed(e) => {
                    parts.push(e.url.clone());
                    parts.push(e.title.clone());
                }
                FieldValue::Contact(profile_id) => {
                    if let Some(u) = world.user_by_profile(*profile_id) {
                        parts.push(u.name.clone());
                    }
                }
                _ => {}
            }
        }
    }
    parts.extend(item.tags.iter().cloned());
    parts.join(" ")
}

impl World {
    fn in_scope(&self, scope: SearchScope, space_id: Option<u64>, app_id: Option<u64>) -> bool {
        match scope {
            SearchScope::All => true,
            SearchScope::App(id) => app_id == Some(id),
            SearchScope::Space(id) => space_id == Some(id),
            SearchScope::Org(id) => space_id
                .and_then(|s| self.spaces.get(&s))
                .is_some_and(|s| s.org_id == id),
        }
    }

    fn candidates(&self, caller: Caller, scope: SearchScope, kinds: &[HitKind]) -> Vec<Candidate> {
        let mut out = Vec::new();
        let want = |k| kinds.contains(&k);
        for app in self.apps.values().filter(|a| self.can_see_app(caller, a)) {
            let space_id = Some(app.space_id);
            if !self.in_scope(scope, space_id, Some(app.app_id)) {
                continue;
            }
            if want(HitKind::Item) {
                for item in self.items_of(app.app_id) {
                    out.push(Candidate {
                        hit: Hit {
                            kind: HitKind::Item,
                            id: item.item_id,
                        },
                        title: render::title(app, item),
                        body: item_text(self, app, item),
                        created_on: item.created_on.clone(),
                        space_id,
                    });
                }
            }
            if want(HitKind::App) && !matches!(scope, SearchScope::App(_)) {
                out.push(Candidate {
                    hit: Hit {
                        kind: HitKind::App,
                        id: app.app_id,
                    },
                    title: app.name.clone(),
                    body: format!("{} {}", app.item_name, app.description),
                    created_on: String::new(),
                    space_id,
                });
            }
        }
        if want(HitKind::Space) && matches!(scope, SearchScope::All | SearchScope::Org(_)) {
            for space in self.spaces.values() {
                if self.space_role(caller, space).is_some()
                    && self.in_scope(scope, Some(space.space_id), None)
                {
                    out.push(Candidate {
                        hit: Hit {
                            kind: HitKind::Space,
                            id: space.space_id,
                        },
                        title: space.name.clone(),
                        body: space.description.clone(),
                        created_on: space.created_on.clone(),
                        space_id: Some(space.space_id),
                    });
                }
            }
        }
        if want(HitKind::Task) && !matches!(scope, SearchScope::App(_)) {
            for task in self.tasks.values().filter(|t| self.can_see_task(caller, t)) {
                let space_id = self.task_space(task).map(|s| s.space_id);
                if self.in_scope(scope, space_id, self.task_app_id(task)) {
                    out.push(Candidate {
                        hit: Hit {
                            kind: HitKind::Task,
                            id: task.task_id,
                        },
                        title: task.text.clone(),
                        body: task.description.clone(),
                        created_on: task.created_on.clone(),
                        space_id,
                    });
                }
            }
        }
        out
    }

    /// The hits for `query` in `scope` among `kinds`, best first.
    pub fn search(
        &self,
        caller: Caller,
        scope: SearchScope,
        query: &str,
        kinds: &[HitKind],
    ) -> Vec<Hit> {
        let phrase = query.trim().to_lowercase();
        let words: Vec<&str> = phrase.split_whitespace().collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(u8, Candidate)> = self
            .candidates(caller, scope, kinds)
            .into_iter()
            .filter_map(|c| {
                let title = c.title.to_lowercase();
                let tier = if title.contains(&phrase) {
                    0
                } else if words.iter().all(|w| title.contains(w)) {
                    1
                } else {
                    let all = format!("{title} {}", c.body.to_lowercase());
                    if words.iter().all(|w| all.contains(w)) {
                        2
                    } else {
                        return None;
                    }
                };
                Some((tier, c))
            })
            .collect();
        scored.sort_by(|(ta, a), (tb, b)| {
            ta.cmp(tb)
                .then_with(|| b.created_on.cmp(&a.created_on))
                .then_with(|| a.hit.kind.cmp(&b.hit.kind))
                .then_with(|| a.space_id.cmp(&b.space_id))
                .then_with(|| a.hit.id.cmp(&b.hit.id))
        });
        scored.into_iter().map(|(_, c)| c.hit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stripped() {
        assert_eq!(
            strip_tags("<p>Dark <b>mode</b></p>")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["Dark", "mode"]
        );
    }
}
