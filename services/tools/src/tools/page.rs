//! Paging for every list tool: the `limit` and `offset` arguments, the page
//! keys of the results (offset, limit, count, next_offset) and the header
//! line saying where the page sits and how to get the next one, whether
//! Podio cut the page (upstream paging) or returned the whole list and the
//! page is cut here (local paging).

use serde_json::{Map, Value, json};

use super::{plural, schema};
use crate::args::Args;

/// A list tool's page sizes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Paging {
    /// The page size when the caller gives no `limit`.
    pub default: i64,
    /// The largest `limit` accepted.
    pub max: i64,
}

impl Paging {
    /// An input schema: the tool's own `properties`, then `limit` and
    /// `offset`; `noun` names the listed objects, e.g. "members".
    pub fn input(self, noun: &str, mut properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
        properties.push(("limit", schema::limit(self.default, self.max, noun)));
        properties.push(("offset", schema::offset(noun)));
        schema::input(&properties, required)
    }

    /// The checked `limit` and `offset` arguments (problems are collected
    /// in `args`).
    pub fn parse(self, args: &mut Args) -> Window {
        Window {
            limit: args.int_in("limit", self.default, 1..=self.max),
            offset: args.int_in("offset", 0, 0..=i64::MAX),
        }
    }
}

/// How a result's `next_offset` is known.
#[derive(Debug, Clone, Copy)]
pub(super) enum Next {
    /// The whole list's length is known: null means this page is the last.
    Exact,
    /// Podio does not say how many there are: a full page may have a
    /// successor.
    WhenFull,
}

/// The page keys of a list tool's output schema: offset, limit, count and
/// next_offset; `noun` names the listed objects in the singular, e.g.
/// "member".
pub(super) fn output_properties(noun: &str, next: Next) -> Vec<(&'static str, Value)> {
    let next_offset = match next {
        Next::Exact => "The offset of the next page, or null when this page is the last.",
        Next::WhenFull => {
            "The offset of the next page when this page was full (there may be more), else null."
        }
    };
    vec![
        (
            "offset",
            schema::typed(
                "integer",
                &format!("The offset of the first {noun} returned."),
            ),
        ),
        (
            "limit",
            schema::typed("integer", "The page size asked for."),
        ),
        (
            "count",
            schema::typed("integer", &format!("How many {noun}s are in this page.")),
        ),
        ("next_offset", schema::nullable("integer", next_offset)),
    ]
}

/// An output schema: the tool's own `properties`, then the page keys (see
/// [`output_properties`]).
pub(super) fn output(noun: &str, next: Next, mut properties: Vec<(&str, Value)>) -> Value {
    properties.extend(output_properties(noun, next));
    schema::output(&properties)
}

/// The page asked for: checked `limit` and `offset`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    /// The page size.
    pub limit: i64,
    /// How many entries to skip.
    pub offset: i64,
}

impl Window {
    /// `limit` and `offset` as query parameters for Podio.
    pub fn query(self) -> [(&'static str, String); 2] {
        [
            ("limit", self.limit.to_string()),
            ("offset", self.offset.to_string()),
        ]
    }

    /// The page of `all`, a list Podio returned whole, and where it sits.
    pub fn local<T>(self, all: &[T]) -> (&[T], Page) {
        let total = all.len();
        let start = to_usize(self.offset).min(total);
        let end = start.saturating_add(to_usize(self.limit)).min(total);
        let page = self.page(end - start, Some(total), end < total);
        (&all[start..end], page)
    }

    /// A page Podio cut that holds `count` entries, out of `total` matching
    /// ones when Podio says how many.
    pub fn upstream(self, count: usize, total: Option<usize>) -> Page {
        let more = match total {
            Some(total) => to_usize(self.offset).saturating_add(count) < total,
            None => count >= to_usize(self.limit),
        };
        self.page(count, total, more)
    }

    /// A page of `count` entries after which more follow when `more` (for
    /// lists whose fullness is judged by the caller).
    pub fn upstream_with_more(self, count: usize, more: bool) -> Page {
        self.page(count, None, more)
    }

    /// A page Podio cut that held `scanned` entries, of which only `shown`
    /// are kept (the rest lie outside the token's workspaces): the next page
    /// starts after every scanned entry, and there may be one when `more`.
    pub fn filtered(self, shown: usize, scanned: usize, more: bool) -> Page {
        let offset = to_usize(self.offset);
        Page {
            offset,
            limit: to_usize(self.limit),
            count: shown,
            total: None,
            next_offset: (more && scanned > 0).then(|| offset.saturating_add(scanned)),
        }
    }

    fn page(self, count: usize, total: Option<usize>, more: bool) -> Page {
        let offset = to_usize(self.offset);
        Page {
            offset,
            limit: to_usize(self.limit),
            count,
            total,
            next_offset: (more && count > 0).then(|| offset.saturating_add(count)),
        }
    }
}

/// Where one page sits in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    /// The offset of the first entry.
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// How many entries the page holds.
    pub count: usize,
    /// How many entries the whole list has, when known.
    pub total: Option<usize>,
    /// Where the next page starts, when there is (or may be) one.
    pub next_offset: Option<usize>,
}

/// The words a page header is made of.
pub(super) struct Words<'a> {
    /// The listed objects, singular and plural, e.g. ("member", "members").
    pub noun: (&'a str, &'a str),
    /// Where they are, with a leading space, e.g. " in space 7".
    pub place: &'a str,
    /// Their order, said after the range, e.g. ", oldest first" (or "").
    pub order: &'a str,
    /// The sentence for a list with nothing in it at all, e.g.
    /// "Space 7 has no members."
    pub empty: &'a str,
}

impl Page {
    /// The page keys of the structured result (see [`output_properties`]).
    pub fn keys(&self) -> Map<String, Value> {
        let mut keys = Map::new();
        keys.insert("offset".to_owned(), json!(self.offset));
        keys.insert("limit".to_owned(), json!(self.limit));
        keys.insert("count".to_owned(), json!(self.count));
        keys.insert("next_offset".to_owned(), json!(self.next_offset));
        keys
    }

    /// `structured` (an object) with the page keys added.
    pub fn add_keys(&self, mut structured: Value) -> Value {
        if let Value::Object(map) = &mut structured {
            map.extend(self.keys());
        }
        structured
    }

    /// The header line: "Members 1–50 of 120 in space 7; pass offset=50 for
    /// more:", or why the page is empty.
    pub fn header(&self, words: &Words<'_>) -> String {
        let (one, many) = words.noun;
        let place = words.place;
        if self.count == 0 {
            return match self.total {
                _ if self.offset == 0 => words.empty.to_owned(),
                Some(0) => words.empty.to_owned(),
                Some(total) => format!(
                    "No {many}{place} at offset {}: there are only {}; use an offset below {total}.",
                    self.offset,
                    plural(total, one, many)
                ),
                None => format!("No more {many}{place} at offset {}.", self.offset),
            };
        }
        let of_total = self.total.map_or(String::new(), |t| format!(" of {t}"));
        let mut header = format!(
            "{} {}–{}{of_total}{place}{}",
            capitalized(many),
            self.offset + 1,
            self.offset + self.count,
            words.order,
        );
        match (self.next_offset, self.total) {
            (Some(next), Some(_)) => header.push_str(&format!("; pass offset={next} for more")),
            (Some(next), None) => header.push_str(&format!(
                "; the page is full, there may be more: pass offset={next}"
            )),
            (None, _) => {}
        }
        header.push(':');
        header
    }
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(if n < 0 { 0 } else { usize::MAX })
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: Words<'static> = Words {
        noun: ("member", "members"),
        place: " in space 7",
        order: "",
        empty: "Space 7 has no members.",
    };

    fn window(limit: i64, offset: i64) -> Window {
        Window { limit, offset }
    }

    #[test]
    fn local_pages_cut_the_list_and_know_the_last_page() {
        let all = [1, 2, 3, 4, 5];
        let (items, page) = window(2, 2).local(&all);
        assert_eq!(items, [3, 4]);
        assert_eq!(page.next_offset, Some(4));
        assert_eq!(page.total, Some(5));
        assert_eq!(
            page.header(&WORDS),
            "Members 3–4 of 5 in space 7; pass offset=4 for more:"
        );

        let (items, page) = window(2, 4).local(&all);
        assert_eq!(items, [5]);
        assert_eq!(page.next_offset, None);
        assert_eq!(page.header(&WORDS), "Members 5–5 of 5 in space 7:");

        let (items, page) = window(2, 9).local(&all);
        assert!(items.is_empty());
        assert_eq!(page.next_offset, None);
        assert_eq!(
            page.header(&WORDS),
            "No members in space 7 at offset 9: there are only 5 members; use an offset below 5."
        );

        let (_, page) = window(2, 0).local::<i32>(&[]);
        assert_eq!(page.header(&WORDS), "Space 7 has no members.");
    }

    #[test]
    fn upstream_pages_have_a_successor_when_full_or_when_the_total_says_so() {
        let page = window(3, 6).upstream(3, None);
        assert_eq!(page.next_offset, Some(9));
        assert_eq!(
            page.header(&WORDS),
            "Members 7–9 in space 7; the page is full, there may be more: pass offset=9:"
        );
        assert_eq!(window(3, 6).upstream(2, None).next_offset, None);
        assert_eq!(
            window(3, 6).upstream(0, None).header(&WORDS),
            "No more members in space 7 at offset 6."
        );
        assert_eq!(window(3, 6).upstream(3, Some(9)).next_offset, None);
        assert_eq!(window(3, 0).upstream(2, Some(9)).next_offset, Some(2));
        assert_eq!(window(3, 0).upstream_with_more(0, true).next_offset, None);
    }

    #[test]
    fn keys_are_the_output_schema_properties() {
        let page = window(2, 0).upstream(2, None);
        let keys = page.keys();
        let names: Vec<&str> = output_properties("member", Next::WhenFull)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(keys.keys().map(String::as_str).collect::<Vec<_>>().len(), 4);
        for name in names {
            assert!(keys.contains_key(name), "{name}");
        }
        assert_eq!(keys["next_offset"], json!(2));
    }
}
