//! `GET`/`POST /oauth/authorize` and `POST /oauth/authorize/decision`: the
//! pages of Podio's server-side flow (§2.1 of podio-api.md).
//!
//! `GET` checks the request and shows the login page; posting the login form
//! shows the allow page, whose form carries a single-use login ticket; the
//! decision redirects to the client's `redirect_uri` with a `code` (allow)
//! or `error=access_denied` (deny), plus the client's `state`. A request
//! whose client or redirect URI is bad gets an error page and is never
//! redirected, so the authorize page cannot send users to foreign sites.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use url::Url;

use super::input::QueryParams;
use crate::clients::{self, ApiKey, RedirectError};
use crate::login::{ALLOW, DECISION_FIELD, DENY, PASSWORD_FIELD, USERNAME_FIELD};
use crate::pages::{allow_page, error_page, login_page};
use crate::pending::Authorization;
use crate::sim::Sim;

/// Path of the authorize page (and of its login form's action).
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
/// Path the allow page's form posts to.
pub const DECISION_PATH: &str = "/oauth/authorize/decision";
/// Query parameter and hidden input: the API key's client id.
pub const CLIENT_ID_FIELD: &str = "client_id";
/// Query parameter and hidden input: where to send the user back.
pub const REDIRECT_URI_FIELD: &str = "redirect_uri";
/// Query parameter and hidden input: the client's opaque state.
pub const STATE_FIELD: &str = "state";
/// Query parameter and hidden input: the requested scope.
pub const SCOPE_FIELD: &str = "scope";
/// Hidden input of the allow page: the login ticket.
pub const TICKET_FIELD: &str = "ticket";

/// What Podio tells the client when the user clicks "deny".
const DENIED_DESCRIPTION: &str = "The user denied access to your application";

/// The authorize routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route(AUTHORIZE_PATH, get(show_login).post(log_in))
        .route(DECISION_PATH, post(decide))
}

/// Why an authorize request is refused with the error page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum RequestError {
    #[error("the client_id parameter is required")]
    NoClient,
    #[error("client_id {0:?} is not a known api key")]
    UnknownClient(String),
    #[error(transparent)]
    Redirect(#[from] RedirectError),
    #[error(
        "response_type \"token\" (the client-side flow) is not supported: use response_type=code"
    )]
    TokenFlow,
    #[error("response_type {0:?} is not supported: use response_type=code")]
    ResponseType(String),
}

/// A checked authorize request: the key asking and where to send the user.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The API key asking.
    pub key: &'static ApiKey,
    /// The redirect URI as given (checked to be on the key's domain).
    pub redirect_uri: String,
    /// The parsed redirect URI.
    pub redirect: Url,
    /// The client's state, echoed unchanged.
    pub state: Option<String>,
    /// The requested scope.
    pub scope: Option<String>,
}

fn check(params: &QueryParams) -> Result<Checked, RequestError> {
    let client_id = params.get(CLIENT_ID_FIELD).ok_or(RequestError::NoClient)?;
    let key = clients::find(client_id)
        .ok_or_else(|| RequestError::UnknownClient(client_id.to_owned()))?;
    let redirect_uri = params.get(REDIRECT_URI_FIELD);
    let redirect = key.check_redirect(redirect_uri)?;
    Ok(Checked {
        key,
        redirect_uri: redirect_uri.unwrap_or_default().to_owned(),
        redirect,
        state: params.raw(STATE_FIELD).map(str::to_owned),
        scope: params.get(SCOPE_FIELD).map(str::to_owned),
    })
}

/// The decoded fields of a form-encoded body.
fn form(body: &Bytes) -> QueryParams {
    QueryParams::parse(Some(&String::from_utf8_lossy(body)))
}

/// `GET /oauth/authorize`: the login page.
async fn show_login(params: QueryParams) -> Response {
    // The PHP SDK may leave response_type out; it then means "code".
    let response_type = match params.get("response_type") {
        None | Some("code") => Ok(()),
        Some("token") => Err(RequestError::TokenFlow),
        Some(other) => Err(RequestError::ResponseType(other.to_owned())),
    };
    match response_type.and_then(|()| check(&params)) {
        Ok(request) => login_page(StatusCode::OK, &request, "", None),
        Err(e) => error_page(&e.to_string()),
    }
}

/// `POST /oauth/authorize`: the login form. Wrong credentials show it again
/// with status 401; right ones show the allow page.
async fn log_in(State(sim): State<Sim>, body: Bytes) -> Response {
    let fields = form(&body);
    // The hidden fields may have been tampered with: check them again.
    let request = match check(&fields) {
        Ok(request) => request,
        Err(e) => return error_page(&e.to_string()),
    };
    let username = fields.get(USERNAME_FIELD).unwrap_or_default();
    let Some(password) = fields.raw(PASSWORD_FIELD) else {
        let message = "enter your e-mail and password";
        return login_page(StatusCode::UNAUTHORIZED, &request, username, Some(message));
    };
    let user = sim.world().user_by_login(username, password).cloned();
    let Some(user) = user else {
        let message = "the e-mail or password is wrong";
        return login_page(StatusCode::UNAUTHORIZED, &request, username, Some(message));
    };
    let ticket = sim.login_ticket(Authorization {
        user_id: user.user_id,
        client_id: request.key.client_id,
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        scope: request.scope.clone(),
    });
    allow_page(
        request.key,
        &user,
        request.scope.as_deref(),
        &request.redirect,
        &ticket,
    )
}

/// `POST /oauth/authorize/decision`: allow or deny, then back to the client.
async fn decide(State(sim): State<Sim>, body: Bytes) -> Response {
    let fields = form(&body);
    let allowed = match fields.get(DECISION_FIELD) {
        Some(ALLOW) => true,
        Some(DENY) => false,
        _ => return error_page("the decision must be allow or deny"),
    };
    let Some(authorization) = fields.get(TICKET_FIELD).and_then(|t| sim.take_ticket(t)) else {
        return error_page(
            "this login has expired or was already used: start again from the application",
        );
    };
    // Checked on the way in; parsed again because only the string is kept.
    let Ok(mut url) = Url::parse(&authorization.redirect_uri) else {
        return error_page("the redirect_uri is not a valid url");
    };
    {
        let mut query = url.query_pairs_mut();
        if allowed {
            let code = sim.authorization_code(authorization.clone());
            query.append_pair("code", &code);
        } else {
            query
                .append_pair("error", "access_denied")
                .append_pair("error_reason", "user_denied")
                .append_pair("error_description", DENIED_DESCRIPTION);
        }
        if let Some(state) = &authorization.state {
            query.append_pair(STATE_FIELD, state);
        }
    }
    Redirect::to(url.as_str()).into_response()
}
