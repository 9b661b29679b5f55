//! The authorize flow's pages: the login page, the allow page and the error
//! page. Every value from the request or the world is escaped.
//!
//! Form ids and input names come from [`crate::login`], the public helper
//! tests drive these pages with, so the two cannot drift apart.

use axum::http::StatusCode;
use axum::response::Response;
use url::Url;

use crate::clients::ApiKey;
use crate::html::{escape, hidden, page};
use crate::login::{
    ALLOW, ALLOW_FORM_ID, DECISION_FIELD, DENY, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD,
};
use crate::routes::authorize::{
    AUTHORIZE_PATH, CLIENT_ID_FIELD, Checked, DECISION_PATH, REDIRECT_URI_FIELD, SCOPE_FIELD,
    STATE_FIELD, TICKET_FIELD,
};
use crate::world::model::User;

/// The page for a request that cannot even be sent back to the client (bad
/// client id or redirect URI, stale ticket): status 400, never a redirect.
pub fn error_page(message: &str) -> Response {
    let body = format!(
        "<p id=\"error\">{}.</p>\n<p>The application that sent you here made an invalid \
         request, so you were not sent back to it.</p>\n",
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, "Authorization failed", &body)
}

/// The login form for `request`, with `username` filled in and `message`
/// (why the last attempt failed) above it.
pub fn login_page(
    status: StatusCode,
    request: &Checked,
    username: &str,
    message: Option<&str>,
) -> Response {
    let message = message
        .map(|m| format!("<p id=\"login-error\" role=\"alert\">{}.</p>\n", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<p>Log in to let <strong>{name}</strong> use your Podio account.</p>\n{message}\
         <form id=\"{LOGIN_FORM_ID}\" method=\"post\" action=\"{AUTHORIZE_PATH}\">\n\
         {client_id}{redirect_uri}{state}{scope}\
         <p><label for=\"{USERNAME_FIELD}\">E-mail</label>\n\
         <input type=\"email\" id=\"{USERNAME_FIELD}\" name=\"{USERNAME_FIELD}\" value=\"{username}\" \
         autocomplete=\"username\" required></p>\n\
         <p><label for=\"{PASSWORD_FIELD}\">Password</label>\n\
         <input type=\"password\" id=\"{PASSWORD_FIELD}\" name=\"{PASSWORD_FIELD}\" \
         autocomplete=\"current-password\" required></p>\n\
         <p><button type=\"submit\">Log in</button></p>\n</form>\n",
        name = escape(request.key.name),
        client_id = hidden(CLIENT_ID_FIELD, request.key.client_id),
        redirect_uri = hidden(REDIRECT_URI_FIELD, &request.redirect_uri),
        state = hidden(STATE_FIELD, request.state.as_deref().unwrap_or_default()),
        scope = hidden(SCOPE_FIELD, request.scope.as_deref().unwrap_or_default()),
        username = escape(username),
    );
    page(status, "Log in to Podio", &body)
}

/// The page asking `user` whether `key` may act for them, returning to
/// `redirect`. The form carries only the login `ticket`.
pub fn allow_page(
    key: &ApiKey,
    user: &User,
    scope: Option<&str>,
    redirect: &Url,
    ticket: &str,
) -> Response {
    let body = format!(
        "<p>You are logged in as <strong id=\"user\">{user}</strong> ({mail}).</p>\n\
         <p><strong id=\"app\">{app}</strong> would like to access your Podio account \
         (scope <code>{scope}</code>). You will be sent back to <code>{host}</code>.</p>\n\
         <form id=\"{ALLOW_FORM_ID}\" method=\"post\" action=\"{DECISION_PATH}\">\n{ticket}\
         <button type=\"submit\" name=\"{DECISION_FIELD}\" value=\"{ALLOW}\">Allow</button>\n\
         <button type=\"submit\" name=\"{DECISION_FIELD}\" value=\"{DENY}\">Deny</button>\n\
         </form>\n",
        user = escape(&user.name),
        mail = escape(&user.mail),
        app = escape(key.name),
        scope = escape(scope.unwrap_or("global:all")),
        host = escape(redirect.host_str().unwrap_or_default()),
        ticket = hidden(TICKET_FIELD, ticket),
    );
    page(
        StatusCode::OK,
        &format!("Allow {} to access Podio?", key.name),
        &body,
    )
}
