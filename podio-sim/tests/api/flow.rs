//! Drives the authorize pages like a browser without JavaScript would, over
//! any [`Client`], using the library's own `podio_sim::login` helper.

use axum::http::{Method, StatusCode};
use podio_sim::login::{
    ALLOW_FORM_ID, DECISION_FIELD, Form, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD, parse_form,
};
use serde_json::json;
use url::Url;

use crate::helpers::{Client, Resp};

/// A loopback redirect URI with a query of its own. Nothing listens there:
/// the tests read the redirect, they never follow it.
pub const REDIRECT: &str = "http://127.0.0.1:9/callback?keep=1";

/// `/oauth/authorize?…` for `client_id` and `redirect_uri`, plus `extra`.
pub fn authorize_path(client_id: &str, redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .extend_pairs(extra)
        .finish();
    format!("/oauth/authorize?{query}")
}

/// Asserts `resp` is an HTML page with status `status`; returns the form
/// `form_id` on it.
pub fn page_form(resp: &Resp, status: StatusCode, form_id: &str) -> Form {
    assert_eq!(resp.status, status, "{}", resp.text);
    assert!(
        resp.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "pages are html"
    );
    let form = parse_form(&resp.text, form_id)
        .unwrap_or_else(|| panic!("no form {form_id} in {}", resp.text));
    assert_eq!(form.method, "post");
    form
}

/// Posts `form` to its action, form-encoded.
pub async fn submit(client: &impl Client, form: &Form) -> Resp {
    client
        .request(
            Method::POST,
            &form.action,
            Some("application/x-www-form-urlencoded"),
            None,
            form.encoded().into_bytes(),
        )
        .await
}

/// Opens the authorize page at `path` and returns its login form.
pub async fn login_form(client: &impl Client, path: &str) -> Form {
    page_form(&client.get(path, None).await, StatusCode::OK, LOGIN_FORM_ID)
}

/// Logs in on the login form and returns the allow page's form.
pub async fn allow_form(client: &impl Client, path: &str, username: &str, password: &str) -> Form {
    let mut login = login_form(client, path).await;
    login
        .set(USERNAME_FIELD, username)
        .set(PASSWORD_FIELD, password);
    let resp = submit(client, &login).await;
    page_form(&resp, StatusCode::OK, ALLOW_FORM_ID)
}

/// Submits the allow form with `decision`; returns where the user is sent.
pub async fn decide(client: &impl Client, allow: &Form, decision: &str) -> Url {
    let mut form = allow.clone();
    form.set(DECISION_FIELD, decision);
    let resp = submit(client, &form).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.text);
    let location = resp.header("location").expect("location header");
    Url::parse(location).expect("absolute location")
}

/// The value of query parameter `name` of `url`.
pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs the pages through "allow" and returns the authorization code.
pub async fn code_for(
    client: &impl Client,
    client_id: &str,
    username: &str,
    password: &str,
) -> String {
    let path = authorize_path(client_id, REDIRECT, &[]);
    let allow = allow_form(client, &path, username, password).await;
    let back = decide(client, &allow, podio_sim::login::ALLOW).await;
    query(&back, "code").expect("code in redirect")
}

/// The authorization_code grant, on `/oauth/token/v2` with JSON or on
/// `/oauth/token` form-encoded.
pub async fn exchange(
    client: &impl Client,
    json_endpoint: bool,
    (client_id, client_secret): (&str, &str),
    code: &str,
    redirect_uri: &str,
) -> Resp {
    if json_endpoint {
        let body = json!({
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        });
        client.post_json("/oauth/token/v2", &body).await
    } else {
        client
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", client_id),
                    ("client_secret", client_secret),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                ],
            )
            .await
    }
}
