//! What the fuzz targets share: test doubles for the services the tools
//! service calls (an auth service that knows one token, a connector that
//! answers from a closure), the OAuth server over in-memory stores, and a
//! JSON comparison that tolerates float re-parsing. No parsing or
//! validation lives here: every target calls the crates' own functions and
//! checks what they promise.

pub mod json;
pub mod oauth;
pub mod tools;

/// A single-threaded runtime: each fuzz input runs to completion on it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// `data` split into its first byte (which a target uses to choose what to
/// exercise) and the rest, as text (invalid UTF-8 replaced).
pub fn selector_and_text(data: &[u8]) -> Option<(u8, std::borrow::Cow<'_, str>)> {
    let (&selector, rest) = data.split_first()?;
    Some((selector, String::from_utf8_lossy(rest)))
}
