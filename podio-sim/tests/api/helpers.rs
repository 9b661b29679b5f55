//! Drives a `Sim` router in-process and decodes responses.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use podio_sim::seed::{DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_PASSWORD, DEV_USERNAME};
use podio_sim::{Config, Sim};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A decoded response.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body (`Null` when empty or HTML).
    pub body: Value,
    /// The body as text (the page, for HTML responses).
    pub text: String,
}

impl Resp {
    /// Decodes a response; bodies must be JSON unless they are HTML pages.
    pub fn decode(status: StatusCode, headers: HeaderMap, bytes: &[u8]) -> Resp {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        let body = if bytes.is_empty() || is_html {
            Value::Null
        } else {
            serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("non-json body ({e}): {text}"))
        };
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error_description` of an error response.
    pub fn description(&self) -> &str {
        self.body["error_description"]
            .as_str()
            .unwrap_or_else(|| panic!("no error_description in {}", self.body))
    }
}

/// The number at `pointer` (a JSON pointer such as `/user/user_id`) in each
/// element of the array `list`, in order.
pub fn ids(list: &Value, pointer: &str) -> Vec<u64> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected an array: {list}"))
        .iter()
        .map(|v| {
            v.pointer(pointer)
                .and_then(Value::as_u64)
                .unwrap_or_else(|| panic!("no {pointer} in {v}"))
        })
        .collect()
}

/// The `values` of field `ext` (external id) on an item as the API renders it.
pub fn field_values<'a>(item: &'a Value, ext: &str) -> Option<&'a Value> {
    item["fields"]
        .as_array()?
        .iter()
        .find(|f| f["external_id"] == ext)
        .map(|f| &f["values"])
}

pub struct TestSim {
    router: Router,
}

impl TestSim {
    pub fn new(config: Config) -> Self {
        TestSim {
            router: Sim::new(config).router(),
        }
    }

    pub fn default_config() -> Self {
        Self::new(Config::default())
    }

    /// A simulator with the default config and an access token of the demo
    /// user.
    pub async fn logged_in() -> (Self, String) {
        let sim = Self::default_config();
        let token = sim.token().await;
        (sim, token)
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Resp::decode(status, headers, &bytes)
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        Client::post_form(self, path, form).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send_json(Method::POST, path, token, body).await
    }

    /// A POST without a body, as clients send actions such as completing a
    /// task.
    pub async fn post_empty(&self, path: &str, token: &str) -> Resp {
        self.send_json(Method::POST, path, Some(token), &Value::Null)
            .await
    }

    /// `POST /embed/` for `url`.
    pub async fn embed(&self, token: &str, url: &str) -> Resp {
        self.post_json("/embed/", Some(token), &json!({ "url": url }))
            .await
    }

    pub async fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send_json(Method::PUT, path, token, body).await
    }

    /// A request with a JSON body (`Value::Null` sends no body at all).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("OAuth2 {token}"));
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        };
        self.send(req.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = Request::builder().method(Method::GET).uri(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("OAuth2 {token}"));
        }
        self.send(req.body(Body::empty()).expect("request")).await
    }

    /// Password grant for the demo user; returns the whole token response.
    pub async fn login(&self) -> Value {
        let resp = self
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "password"),
                    ("client_id", DEV_CLIENT_ID),
                    ("client_secret", DEV_CLIENT_SECRET),
                    ("username", DEV_USERNAME),
                    ("password", DEV_PASSWORD),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        resp.body
    }

    /// An access token of the demo user.
    pub async fn token(&self) -> String {
        self.login().await["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// An access token of app `app_id` (app grant with the app's token).
    pub async fn app_token(&self, app_id: u64) -> String {
        let user = self.token().await;
        let app = self.get(&format!("/app/{app_id}"), Some(&user)).await;
        let app_token = app.body["token"].as_str().expect("app token").to_owned();
        let app_id = app_id.to_string();
        let resp = self
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "app"),
                    ("client_id", DEV_CLIENT_ID),
                    ("client_secret", DEV_CLIENT_SECRET),
                    ("app_id", &app_id),
                    ("app_token", &app_token),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        resp.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Resp {
        refresh_with(self, DEV_CLIENT_ID, DEV_CLIENT_SECRET, refresh_token).await
    }
}

/// Sends requests to a simulator, in-process ([`TestSim`]) or over a socket
/// (`http::HttpSim`), so the authorize-flow helpers serve both.
pub trait Client {
    /// Sends `method path` with an optional body of `content_type`.
    async fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Resp;

    async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, None, token, Vec::new())
            .await
    }

    /// A form-encoded POST, as browsers send forms.
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.request(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            None,
            body.into_bytes(),
        )
        .await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.request(
            Method::POST,
            path,
            Some("application/json"),
            None,
            body.to_string().into_bytes(),
        )
        .await
    }
}

impl Client for TestSim {
    async fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(content_type) = content_type {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("OAuth2 {token}"));
        }
        self.send(req.body(Body::from(body)).expect("request"))
            .await
    }
}

/// Refresh grant on the JSON endpoint with the given key.
pub async fn refresh_with(
    client: &impl Client,
    client_id: &str,
    client_secret: &str,
    refresh_token: &str,
) -> Resp {
    client
        .post_json(
            "/oauth/token/v2",
            &json!({
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
            }),
        )
        .await
}

/// Password grant on the form endpoint with the given key and user.
pub async fn password_grant(
    client: &impl Client,
    client_id: &str,
    client_secret: &str,
    username: &str,
    password: &str,
) -> Resp {
    client
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

/// [`assert_error_body`], and that `error_description` mentions `needle`.
pub fn assert_error_mentions(
    resp: &Resp,
    status: u16,
    error: &str,
    method: &str,
    path: &str,
    needle: &str,
) {
    assert_error_body(resp, status, error, method, path);
    assert!(
        resp.description().contains(needle),
        "error_description should mention {needle:?}: {}",
        resp.body
    );
}

/// Asserts the full Podio error body shape (§4).
pub fn assert_error_body(resp: &Resp, status: u16, error: &str, method: &str, path: &str) {
    assert_eq!(resp.status.as_u16(), status, "{}", resp.body);
    let body = &resp.body;
    let keys: Vec<&str> = body
        .as_object()
        .expect("error body is an object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "error",
        "error_description",
        "error_detail",
        "error_parameters",
        "error_propagate",
        "request",
    ] {
        assert!(keys.contains(&key), "missing {key} in {body}");
    }
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body["error_detail"], Value::Null);
    assert_eq!(body["error_parameters"], json!({}));
    assert_eq!(body["error_propagate"], false);
    assert_eq!(body["request"]["method"], method);
    let url = body["request"]["url"].as_str().expect("request.url");
    assert!(url.ends_with(path), "{url} should end with {path}");
    assert!(body["request"]["query_string"].is_string());
    assert!(
        resp.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "error bodies are json"
    );
}
