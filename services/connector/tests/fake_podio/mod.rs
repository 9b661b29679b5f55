//! A tiny fake of the Podio API for the connector's tests: a handful of API
//! paths with scripted failures. It accepts any `OAuth2` token (the fake auth
//! service's) except those marked expired. Podio is the one thing Portico
//! does not own, so faking it here is the right seam.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the fake saw and how it should misbehave.
#[derive(Default)]
pub struct FakeState {
    /// Access tokens the API answers 401 expired_token to.
    pub expired: Mutex<HashSet<String>>,
    /// Every API request: (method, path, Authorization header).
    pub api_requests: Mutex<Vec<(String, String, String)>>,
    /// What `GET /budget` reports as `X-Rate-Limit-Remaining` next; each
    /// call uses one.
    pub budget: Mutex<i64>,
}

impl FakeState {
    /// Makes Podio answer 401 expired_token for `token` from now on.
    pub fn expire(&self, token: &str) {
        self.expired.lock().expect("lock").insert(token.to_owned());
    }

    pub fn api_hits(&self, path: &str) -> usize {
        self.api_requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, p, _)| p == path)
            .count()
    }

    pub fn auth_headers(&self) -> Vec<String> {
        self.api_requests
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, _, auth)| auth.clone())
            .collect()
    }
}

/// A running fake; the server stops when the test's runtime ends.
pub struct FakePodio {
    pub url: String,
    pub state: Arc<FakeState>,
}

impl FakePodio {
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake podio serves");
        });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }
}

fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).expect("status");
    (status, axum::Json(body)).into_response()
}

fn podio_error(status: u16, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description, "error_detail": null,
               "error_parameters": {}, "error_propagate": false}),
    )
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    state
        .api_requests
        .lock()
        .expect("lock")
        .push((method.to_string(), path.clone(), auth.clone()));
    let Some(token) = auth.strip_prefix("OAuth2 ") else {
        return podio_error(401, "unauthorized", "missing OAuth2 authorization");
    };
    if state.expired.lock().expect("lock").contains(token) {
        return podio_error(401, "invalid_token", "expired_token");
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/item/1") => {
            let mut response = json_response(200, json!({"item_id": 1, "title": "Acme"}));
            let h = response.headers_mut();
            h.insert("x-rate-limit-limit", "1000".parse().expect("hv"));
            h.insert("x-rate-limit-remaining", "998".parse().expect("hv"));
            response
        }
        ("GET", "/budget") => {
            let left = {
                let mut budget = state.budget.lock().expect("lock");
                *budget -= 1;
                *budget
            };
            let mut response = json_response(200, json!({"left": left}));
            let h = response.headers_mut();
            h.insert("x-rate-limit-limit", "1000".parse().expect("hv"));
            h.insert(
                "x-rate-limit-remaining",
                left.to_string().parse().expect("hv"),
            );
            response
        }
        ("GET", "/item/404") => podio_error(404, "not_found", "Object not found"),
        ("GET", "/limited") => podio_error(
            420,
            "rate_limit",
            "You have hit the rate limit. Please wait 42 seconds before trying again",
        ),
        ("DELETE", "/item/1") => StatusCode::NO_CONTENT.into_response(),
        (_, "/flaky") => (StatusCode::SERVICE_UNAVAILABLE, "<html>down</html>").into_response(),
        (_, "/echo") => {
            let query: Vec<(String, String)> =
                url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect();
            json_response(
                200,
                json!({
                    "method": method.as_str(),
                    "query": query,
                    "content_type": content_type,
                    "body": String::from_utf8_lossy(&body),
                }),
            )
        }
        _ => podio_error(404, "not_found", "No such path"),
    }
}
