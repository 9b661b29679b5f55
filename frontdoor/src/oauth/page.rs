//! Answers to browser navigations (`/oauth/authorize`, `/oauth/callback`):
//! a redirect where the auth service says the browser goes next, or a small
//! HTML error page when redirecting would be unsafe (the client or its
//! redirect URI could not be verified) or impossible.
//!
//! The page is built by hand, every interpolated string escaped, and it may
//! not be framed (clickjacking), cached, or leak the URL it was served at
//! (the callback's query holds Podio's code) in a `Referer`.

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_proto::auth::v1::NavigationResponse;
use portico_proto::auth::v1::navigation_response::Next;
use portico_proto::error::ServiceError;

use crate::oauth::refusal::Refusal;
use crate::oauth::reply::error_status;

/// No scripts, no framing, no form posts or base rewriting; only the inline
/// style of the page itself.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;\
                     padding:0 1rem;line-height:1.5;color:#1a1a1a;background:#fff}\
                     code{background:#eee;padding:0 .25rem;border-radius:.2rem}";

/// The browser's next step as the auth service decided it, or the error
/// page for a request it could not handle (`rpc` names it in the log).
pub(crate) fn navigation(
    answer: Result<NavigationResponse, ServiceError>,
    rpc: &'static str,
) -> Response {
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => return refusal(&Refusal::from_service(&err, rpc)),
    };
    match answer.next {
        Some(Next::RedirectTo(location)) => redirect(&location, rpc),
        Some(Next::ErrorPage(error)) => error_page(
            error_status(answer.http_status),
            &error.error,
            &error.error_description,
        ),
        None => refusal(&Refusal::broken_response(rpc, "no next step")),
    }
}

/// The error page for a refusal decided in the front door.
pub(crate) fn refusal(refusal: &Refusal) -> Response {
    let mut response = error_page(refusal.status(), refusal.error_code(), &refusal.to_string());
    if let Some(secs) = refusal.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// 302 to `location`, which must be an absolute URL.
fn redirect(location: &str, rpc: &'static str) -> Response {
    // Sent exactly as given (the client compares it), once known to parse.
    let value = url::Url::parse(location)
        .ok()
        .and_then(|_| HeaderValue::from_str(location).ok());
    let Some(value) = value else {
        return refusal(&Refusal::broken_response(rpc, "redirect to a non-URL"));
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, value);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The HTML error page: what happened, the OAuth error code to quote, and
/// what to do next.
pub(crate) fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let html = format!(
        "<!doctype html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>Sign-in could not continue - Portico</title>\n\
         <style>{STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <main>\n\
         <h1>Sign-in could not continue</h1>\n\
         <p>{description}</p>\n\
         <p>Error code: <code>{error}</code> (HTTP {status})</p>\n\
         <p>Close this page, go back to the application you were connecting, and start \
         the connection again. If this keeps happening, tell the operator of this server \
         the error code above.</p>\n\
         </main>\n\
         </body>\n\
         </html>\n",
        description = escape(&sentence(description)),
        error = escape(error),
        status = status.as_u16(),
    );
    let mut response = (status, Body::from(html)).into_response();
    page_headers(response.headers_mut());
    response
}

fn page_headers(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// `text` as a sentence: capitalised, ending in a full stop. A first word
/// that is an identifier (`redirect_uri`, `client_id`) keeps its case.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "The request could not be completed.".to_owned();
    }
    let first_word = text.split_whitespace().next().unwrap_or_default();
    let mut out = if first_word.chars().all(char::is_alphabetic) {
        let mut chars = text.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        text.to_owned()
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn makes_sentences() {
        assert_eq!(sentence("the client is unknown"), "The client is unknown.");
        assert_eq!(
            sentence("redirect_uri is not registered"),
            "redirect_uri is not registered."
        );
        assert_eq!(sentence(" Done! "), "Done!");
        assert_eq!(sentence(""), "The request could not be completed.");
    }
}
