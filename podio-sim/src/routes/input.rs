//! Request input: query-string parameters of list endpoints (`GET /task/`,
//! `GET /notification/`, …) and JSON bodies, read with Podio-style error
//! messages instead of axum's generic extractor rejections.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON body; an empty body reads as `{}` (Podio accepts bodiless writes
/// such as completing a task). `what` names the expected keys for the error.
pub fn json_body(body: &Bytes, what: &str) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| bad_body(what, &e))
}

/// A JSON body read into `T`, an empty body as `{}` (see [`json_body`]).
pub fn typed_body<T: DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(json_body(body, what)?).map_err(|e| bad_body(what, &e))
}

fn bad_body(what: &str, e: &serde_json::Error) -> ApiError {
    ApiError::InvalidValue(format!("the body must be a json object with {what}: {e}"))
}

/// The decoded `name=value` pairs of a query string. Handlers take it as an
/// extractor, which never fails: values are checked when they are read.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(QueryParams::parse(parts.uri.query()))
    }
}

impl QueryParams {
    /// Decodes a raw query string (`None` = no query).
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The trimmed value of `name`; an empty value counts as absent, as
    /// clients often send `param=` for "not set".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` exactly as sent, for values that must be echoed
    /// unchanged (OAuth's `state`, passwords); an empty value counts as
    /// absent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A boolean parameter: `true`/`false` (also `1`/`0`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ApiError::InvalidValue(format!(
                    "parameter {name} must be true or false, got {v:?}"
                ))),
            })
            .transpose()
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::InvalidValue(format!(
                        "parameter {name} must be an integer, got {v:?}"
                    ))
                })
            })
            .transpose()
    }

    /// A list of ids separated by commas or semicolons (`space=1,2`).
    pub fn ids(&self, name: &str) -> Result<Vec<u64>, ApiError> {
        self.list(name)
            .into_iter()
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::InvalidValue(format!(
                        "parameter {name} takes ids (integers, several separated by commas), got {v:?}"
                    ))
                })
            })
            .collect()
    }

    /// The non-empty parts of `name` split at commas and semicolons.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .map(|v| {
                v.split([',', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `limit` and `offset` checked by [`page`].
    pub fn page(&self, default_limit: i64, max_limit: i64) -> Result<Page, ApiError> {
        page(
            self.int("limit")?,
            self.int("offset")?,
            default_limit,
            max_limit,
        )
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Results per page.
    pub limit: usize,
    /// Results skipped.
    pub offset: usize,
}

impl Page {
    /// The page's part of `all`.
    pub fn apply<I: IntoIterator>(self, all: I) -> impl Iterator<Item = I::Item> {
        all.into_iter().skip(self.offset).take(self.limit)
    }
}

/// Checks `limit` (1..=`max_limit`, default `default_limit`) and `offset`
/// (0 or more), from a query string or a JSON body alike.
pub fn page(
    limit: Option<i64>,
    offset: Option<i64>,
    default_limit: i64,
    max_limit: i64,
) -> Result<Page, ApiError> {
    let limit = limit.unwrap_or(default_limit);
    if !(1..=max_limit).contains(&limit) {
        return Err(ApiError::InvalidValue(format!(
            "limit must be between 1 and {max_limit}, got {limit}"
        )));
    }
    let offset = offset.unwrap_or(0);
    let offset = usize::try_from(offset)
        .map_err(|_| ApiError::InvalidValue(format!("offset must be 0 or more, got {offset}")))?;
    Ok(Page {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_and_blank_means_absent() {
        let q = QueryParams::parse(Some("a=1&b=&c=x%20y&space=1,2;3"));
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), None);
        assert_eq!(q.get("c"), Some("x y"));
        let raw = QueryParams::parse(Some("s=%20a%20&e="));
        assert_eq!(raw.raw("s"), Some(" a "));
        assert_eq!(raw.raw("e"), None);
        assert_eq!(q.ids("space"), Ok(vec![1, 2, 3]));
        assert!(q.ids("c").is_err());
        assert_eq!(QueryParams::parse(Some("v=TRUE")).bool("v"), Ok(Some(true)));
        assert!(QueryParams::parse(Some("v=yes")).bool("v").is_err());
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(
            page(None, None, 20, 100),
            Ok(Page {
                limit: 20,
                offset: 0
            })
        );
        assert!(page(Some(101), None, 20, 100).is_err());
        assert!(page(Some(0), None, 20, 100).is_err());
        assert!(page(None, Some(-1), 20, 100).is_err());
        assert_eq!(
            Page {
                limit: 2,
                offset: 1
            }
            .apply([1, 2, 3, 4])
            .collect::<Vec<_>>(),
            vec![2, 3]
        );
    }
}
