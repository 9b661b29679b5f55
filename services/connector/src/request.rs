//! Validation of a caller's Podio request before anything goes on the wire:
//! the method must be one Podio uses, and the path must stay on the Podio API
//! host (so a caller can never point the connector, and its token, elsewhere).

use portico_proto::connector::v1::PodioRequest;
use reqwest::Method;

use crate::errors::ConnectorError;

/// A request that passed validation.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// Starts with "/", Podio's trailing slashes kept exactly.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// JSON text, already checked to parse.
    pub body: Option<String>,
}

impl ApiRequest {
    /// Validates `request`; the error names what was wrong and what is accepted.
    pub fn from_proto(request: PodioRequest) -> Result<Self, ConnectorError> {
        let method = parse_method(&request.method)?;
        check_path(&request.path)?;
        let body = if request.body_json.trim().is_empty() {
            None
        } else {
            if method == Method::GET {
                return Err(invalid(
                    "body_json must be empty for GET: pass GET parameters as query".to_owned(),
                ));
            }
            serde_json::from_str::<serde::de::IgnoredAny>(&request.body_json)
                .map_err(|e| invalid(format!("body_json is not valid json: {e}")))?;
            Some(request.body_json)
        };
        let query = request
            .query
            .into_iter()
            .map(|param| {
                if param.name.is_empty() {
                    Err(invalid(
                        "query parameter names must not be empty".to_owned(),
                    ))
                } else {
                    Ok((param.name, param.value))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            method,
            path: request.path,
            query,
            body,
        })
    }
}

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidRequest(message)
}

fn parse_method(method: &str) -> Result<Method, ConnectorError> {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(invalid(format!(
            "method {method:?} is not accepted: expected GET, POST, PUT or DELETE"
        ))),
    }
}

fn check_path(path: &str) -> Result<(), ConnectorError> {
    let problem = if !path.starts_with('/') {
        Some("must start with \"/\"")
    } else if path.contains("://") {
        Some("must not contain a scheme")
    } else if path.contains("//") {
        Some("must not contain \"//\"")
    } else if path.contains("..") {
        Some("must not contain \"..\"")
    } else if path.contains('?') {
        Some("must not contain \"?\" (pass query parameters in query)")
    } else if path.contains('#') {
        Some("must not contain \"#\"")
    } else if path.contains('\\') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain backslashes, whitespace or control characters")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(invalid(format!(
            "path {path:?} {problem}: expected a Podio API path such as \"/item/app/123/filter/\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, body: &str) -> PodioRequest {
        PodioRequest {
            caller: None,
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            body_json: body.to_owned(),
        }
    }

    #[test]
    fn accepts_podio_paths_and_methods() {
        for (method, path, body) in [
            ("GET", "/item/123", ""),
            ("get", "/org/", ""),
            ("POST", "/item/app/1/filter/", "{\"limit\":1}"),
            ("PUT", "/item/1", "{}"),
            ("DELETE", "/item/1", ""),
        ] {
            let parsed = ApiRequest::from_proto(request(method, path, body)).expect(path);
            assert_eq!(parsed.path, path);
        }
    }

    #[test]
    fn rejects_paths_that_could_leave_the_api() {
        for path in [
            "item/1",
            "//evil.example/x",
            "/a/../b",
            "/http://evil.example",
            "/item/1?x=1",
            "/item/1#x",
            "/item/ 1",
            "",
        ] {
            let err = ApiRequest::from_proto(request("GET", path, "")).expect_err(path);
            assert!(matches!(err, ConnectorError::InvalidRequest(_)), "{path}");
            assert!(err.to_string().contains("path"), "{err}");
        }
    }

    #[test]
    fn rejects_other_methods_and_bad_bodies() {
        let err = ApiRequest::from_proto(request("PATCH", "/item/1", "")).expect_err("patch");
        assert!(
            err.to_string().contains("GET, POST, PUT or DELETE"),
            "{err}"
        );
        let err = ApiRequest::from_proto(request("POST", "/item/1", "{nope")).expect_err("json");
        assert!(err.to_string().contains("not valid json"), "{err}");
        let err = ApiRequest::from_proto(request("GET", "/item/1", "{}")).expect_err("get body");
        assert!(err.to_string().contains("must be empty for GET"), "{err}");
    }
}
