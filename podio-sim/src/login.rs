//! Driving the authorize pages without a browser, for end-to-end tests.
//!
//! The login and allow pages are plain HTML forms with stable ids and input
//! names (the constants below). [`parse_form`] reads one form's action and
//! the inputs a browser would submit, so a test can fill in the rest and post
//! it:
//!
//! ```
//! use podio_sim::login::{parse_form, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD};
//!
//! let html = r#"<form id="login-form" method="post" action="/oauth/authorize">
//!   <input type="hidden" name="state" value="a&amp;b">
//!   <input type="email" name="username" value="">
//!   <input type="password" name="password">
//!   <button type="submit">Log in</button></form>"#;
//! let mut form = parse_form(html, LOGIN_FORM_ID).expect("login form");
//! assert_eq!(form.action, "/oauth/authorize");
//! assert_eq!(form.get("state"), Some("a&b"));
//! form.set(USERNAME_FIELD, "demo@example.com")
//!     .set(PASSWORD_FIELD, "demo-password");
//! assert_eq!(
//!     form.encoded(),
//!     "state=a%26b&username=demo%40example.com&password=demo-password"
//! );
//! ```
//!
//! The parser only knows what these pages use: `<form>` and `<input>` tags
//! with quoted or bare attributes, and HTML's character references.

/// `id` of the login page's form.
pub const LOGIN_FORM_ID: &str = "login-form";
/// `id` of the allow page's form.
pub const ALLOW_FORM_ID: &str = "allow-form";
/// Login form input for the user's e-mail.
pub const USERNAME_FIELD: &str = "username";
/// Login form input for the password.
pub const PASSWORD_FIELD: &str = "password";
/// Name of the allow page's two submit buttons. [`parse_form`] leaves
/// buttons out, as a browser only sends the one clicked: set it to
/// [`ALLOW`] or [`DENY`].
pub const DECISION_FIELD: &str = "decision";
/// [`DECISION_FIELD`] value that lets the application in.
pub const ALLOW: &str = "allow";
/// [`DECISION_FIELD`] value that refuses.
pub const DENY: &str = "deny";

/// A form read from a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The `action` attribute, as written (the pages use absolute paths).
    pub action: String,
    /// The `method` attribute, lowercase (`get` when absent).
    pub method: String,
    /// The inputs a browser would submit, in page order, values decoded.
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets field `name` to `value`, adding the field if the form lacks it.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => value.clone_into(v),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// The fields form-urlencoded, the body a browser posts.
    pub fn encoded(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.fields)
            .finish()
    }
}

/// The form with `id="{form_id}"` in `html`, or `None` if there is none.
pub fn parse_form(html: &str, form_id: &str) -> Option<Form> {
    // ASCII lowercasing keeps every byte offset, so positions found in
    // `lower` index `html` too.
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some((end, attrs)) = next_tag(html, &lower, "form", from) {
        from = end;
        if attr(&attrs, "id") != Some(form_id) {
            continue;
        }
        let close = lower[end..].find("</form").map_or(html.len(), |i| end + i);
        return Some(Form {
            action: attr(&attrs, "action").unwrap_or_default().to_owned(),
            method: attr(&attrs, "method").unwrap_or("get").to_ascii_lowercase(),
            fields: inputs(html, &lower, end, close),
        });
    }
    None
}

/// The submitted inputs between byte offsets `from` and `to`.
fn inputs(html: &str, lower: &str, mut from: usize, to: usize) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    while let Some((end, attrs)) = next_tag(html, lower, "input", from) {
        if end > to {
            break;
        }
        from = end;
        let Some(name) = attr(&attrs, "name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let kind = attr(&attrs, "type").unwrap_or("text").to_ascii_lowercase();
        let submitted = match kind.as_str() {
            "submit" | "button" | "reset" | "image" | "file" => false,
            "checkbox" | "radio" => attrs.iter().any(|(n, _)| n == "checked"),
            _ => true,
        };
        if submitted {
            let value = attr(&attrs, "value").unwrap_or_default();
            fields.push((name.to_owned(), value.to_owned()));
        }
    }
    fields
}

type Attrs = Vec<(String, String)>;

fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The next `<{name} ...>` tag at or after `from`: the offset just past it
/// and its attributes (names lowercase, values decoded).
fn next_tag(html: &str, lower: &str, name: &str, mut from: usize) -> Option<(usize, Attrs)> {
    let open = format!("<{name}");
    loop {
        let start = from + lower.get(from..)?.find(&open)?;
        let after = start + open.len();
        from = after;
        // `<format>` is not a `<form>`.
        let boundary = html[after..]
            .chars()
            .next()
            .is_none_or(|c| c.is_ascii_whitespace() || c == '>' || c == '/');
        if boundary {
            let (attrs, end) = attributes(html, after);
            return Some((end, attrs));
        }
    }
}

/// Reads attributes from `pos` to the tag's `>`; returns them and the offset
/// just past the tag.
fn attributes(html: &str, mut pos: usize) -> (Attrs, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let skip_space = |mut p: usize| {
        while p < bytes.len() && bytes[p].is_ascii_whitespace() {
            p += 1;
        }
        p
    };
    loop {
        pos = skip_space(pos);
        match bytes.get(pos) {
            None => return (attrs, html.len()),
            Some(b'>') => return (attrs, pos + 1),
            Some(b'/') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let name_start = pos;
        while pos < bytes.len()
            && !matches!(bytes[pos], b'=' | b'>' | b'/')
            && !bytes[pos].is_ascii_whitespace()
        {
            pos += 1;
        }
        let name = html[name_start..pos].to_ascii_lowercase();
        pos = skip_space(pos);
        let mut value = String::new();
        if bytes.get(pos) == Some(&b'=') {
            pos = skip_space(pos + 1);
            let (raw, next) = match bytes.get(pos) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = html[pos + 1..]
                        .find(q as char)
                        .map_or(html.len(), |i| pos + 1 + i);
                    (&html[pos + 1..close], (close + 1).min(html.len()))
                }
                _ => {
                    let mut end = pos;
                    while end < bytes.len()
                        && bytes[end] != b'>'
                        && !bytes[end].is_ascii_whitespace()
                    {
                        end += 1;
                    }
                    (&html[pos..end], end)
                }
            };
            value = unescape(raw);
            pos = next;
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

/// `text` with HTML character references (`&amp;`, `&#39;`, `&#x27;`, …)
/// decoded; unknown ones are kept as written.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity.strip_prefix('#').and_then(|n| {
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_form_by_id_with_hidden_values_decoded() {
        let html = r#"<p>x</p><FORM id="other" action="/a"><input name="a" value="1"></FORM>
            <form method=POST id='allow-form' action="/oauth/authorize/decision">
            <input type=hidden name=ticket value="t&#39;1&quot;&lt;&#x3e;&amp;amp">
            <input type="checkbox" name="remember">
            <input type="checkbox" name="agree" checked>
            <input type="submit" name="go" value="Go"/>
            <input name="plain">
            <button name="decision" value="allow">Allow</button>
            </form><input name="outside" value="no">"#;
        let form = parse_form(html, ALLOW_FORM_ID).expect("allow form");
        assert_eq!(form.action, "/oauth/authorize/decision");
        assert_eq!(form.method, "post");
        assert_eq!(
            form.fields,
            vec![
                ("ticket".to_owned(), "t'1\"<>&amp".to_owned()),
                ("agree".to_owned(), String::new()),
                ("plain".to_owned(), String::new()),
            ]
        );
        let other = parse_form(html, "other").expect("other form");
        assert_eq!(other.method, "get");
        assert_eq!(other.get("a"), Some("1"));
        assert!(parse_form(html, "missing").is_none());
        assert!(parse_form("<form id=\"x\"", "x").is_some_and(|f| f.fields.is_empty()));
    }

    #[test]
    fn unknown_references_are_kept() {
        assert_eq!(
            unescape("a & b &nope; &#xZZ; &amp"),
            "a & b &nope; &#xZZ; &amp"
        );
        assert_eq!(unescape("&#233;&eacute;"), "é&eacute;");
    }
}
