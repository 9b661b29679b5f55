//! OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-
//! document; MCP 2025-11-25 authorization, mcp-notes.md §9.2): a client_id
//! that is an https URL names a JSON document describing the client, so a
//! client needs no registration. [`ClientMetadataFetcher::fetch`] fetches and
//! validates that document and caches the outcome.
//!
//! The fetch is a server-side request to a URL an anonymous party chose, so
//! it is guarded against SSRF: https only; the host is resolved once and
//! refused if any address is not publicly routable; the connection goes to
//! the vetted addresses only (so DNS rebinding cannot swap them); no proxy,
//! no redirects, short timeouts and a 10 KiB body cap. Outcomes are cached,
//! failures too, so a hostile client_id cannot make us fetch in a loop.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use rustls_platform_verifier::ConfigVerifierExt as _;
use serde_json::Value;
use tokio::time::Instant;
use url::{Host, Url};

/// Longest client_id, redirect URI or other URL accepted, in bytes.
const MAX_URL_LEN: usize = 2048;
/// Largest document read; the draft suggests 5 KiB, real ones are far smaller.
const MAX_BODY_BYTES: usize = 10 * 1024;
/// How long connecting to the document's host may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the whole fetch (resolution, connection, body) may take.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Most redirect URIs one document may list.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest `client_name`, in characters.
const MAX_CLIENT_NAME_CHARS: usize = 200;
/// Shortest time a document is cached, whatever its `Cache-Control` says
/// (`no-store` included), to bound the fetch load one client can cause.
const MIN_TTL: Duration = Duration::from_secs(60);
/// Longest time a document is cached.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a document without `Cache-Control: max-age` is cached.
const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a failed fetch is remembered.
const NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// Most cached outcomes.
const CACHE_CAPACITY: usize = 1_000;

/// What a fetcher may reach beyond the public https internet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Accept `http://127.0.0.1:<port>/…`, `http://localhost:<port>/…` and
    /// `http://[::1]:<port>/…` client ids and allow loopback addresses, so a
    /// document served by a local test server can be fetched. Every other
    /// rule still applies. False in production; true only for tests and
    /// `portico dev`.
    pub allow_loopback_http: bool,
}

/// A validated client metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata {
    /// The client_id: the document's URL, exactly as the client sent it.
    pub client_id: String,
    /// The client's self-chosen name: unverified, show it as such.
    pub client_name: String,
    /// The redirect URIs the client may use, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The client's home page, if the document gives a valid https one.
    pub client_uri: Option<String>,
    /// The client's logo, if the document gives a valid https one.
    pub logo_uri: Option<String>,
    /// The client_id URL's host (punycode for international names): the one
    /// verified fact about the client, to show on the consent page.
    pub host: String,
    /// Every redirect URI is a loopback one, so whoever runs the client on
    /// the user's machine receives the code: the consent page warns.
    pub localhost_only: bool,
}

impl ClientMetadata {
    /// Validates `body`, a document fetched for `client_id`: what
    /// [`ClientMetadataFetcher::fetch`] does with the answer once the HTTP
    /// exchange is done (it is public for the fuzz targets and property
    /// tests). `client_id` must be one `policy` fetches from
    /// ([`MetadataError::NotAMetadataUrl`] otherwise); every refusal names
    /// the field that is wrong.
    pub fn from_document(
        body: &[u8],
        client_id: &str,
        policy: FetchPolicy,
    ) -> Result<ClientMetadata, MetadataError> {
        let url = parse_client_id(client_id, policy)?;
        parse_document(body, client_id, &host_of(&url))
    }
}

/// Why a client metadata document was not accepted. Each message is a
/// sentence for an OAuth `invalid_client` error page: it names what is wrong
/// and what is accepted, and never quotes the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The client_id is not a URL a metadata document can be fetched from.
    #[error(
        "the client_id is not a client metadata document url: it must be an https url with a \
         host and a path, without a fragment, user info or dot segments, at most 2048 characters"
    )]
    NotAMetadataUrl,
    /// The host resolves to an address that is not publicly routable.
    #[error(
        "the client_id host {host} resolves to a private, loopback or otherwise non-public \
         address; metadata documents are fetched only from public addresses"
    )]
    ForbiddenAddress {
        /// The client_id URL's host.
        host: String,
    },
    /// The host could not be resolved or reached, or did not answer in time.
    #[error("the client metadata document could not be fetched: {reason}")]
    Fetch {
        /// What went wrong.
        reason: String,
    },
    /// The body is over the size limit.
    #[error("the client metadata document is larger than the 10 KiB accepted")]
    TooLarge,
    /// The URL answered a status other than 200 (and not a redirect).
    #[error("the client metadata document url answered http {0}; only 200 is accepted")]
    BadStatus(u16),
    /// The URL answered a redirect, which is not followed.
    #[error(
        "the client metadata document url answered a redirect (http {0}); redirects are not \
         followed, the document must be served at the client_id url itself"
    )]
    Redirected(u16),
    /// The body is not a JSON object.
    #[error("the client metadata document is not a json object")]
    NotJson,
    /// A field is missing or invalid.
    #[error("the client metadata document's {field} is invalid: {reason}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// The document's `client_id` is not the URL it was fetched from.
    #[error(
        "the client metadata document's client_id does not equal the url it was fetched from; \
         it must be exactly the same string"
    )]
    ClientIdMismatch,
}

/// Whether `client_id` is a URL a client metadata document may be fetched
/// from: https, with a host and a path other than `/`, no fragment, no user
/// info, no `.`/`..` segments, at most 2048 bytes. Other client ids are
/// registered ones.
pub fn is_metadata_client_id(client_id: &str) -> bool {
    parse_client_id(client_id, FetchPolicy::default()).is_ok()
}

/// Fetches, validates and caches client metadata documents.
///
/// Concurrent fetches of one uncached client_id may each fetch it: the cache
/// bounds the load per client_id to about one fetch a minute, and a fetch
/// lock per id is not worth its complexity.
#[derive(Debug)]
pub struct ClientMetadataFetcher {
    policy: FetchPolicy,
    /// Shared by every fetch's client, so the platform roots load once.
    tls: rustls::ClientConfig,
    cache: Mutex<Cache>,
}

impl ClientMetadataFetcher {
    /// A fetcher following `policy`.
    pub fn new(policy: FetchPolicy) -> Result<ClientMetadataFetcher, MetadataError> {
        // reqwest is built without a default crypto provider; installing one
        // that is already installed is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut tls =
            rustls::ClientConfig::with_platform_verifier().map_err(|e| MetadataError::Fetch {
                reason: format!("setting up tls failed: {e}"),
            })?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        if policy.allow_loopback_http {
            tracing::warn!(
                "client metadata documents may be fetched over plain http from loopback \
                 addresses: for tests and portico dev only"
            );
        }
        let fetcher = ClientMetadataFetcher {
            policy,
            tls,
            cache: Mutex::new(Cache::new(CACHE_CAPACITY)),
        };
        // Fail now, not on the first fetch, if the client cannot be built.
        fetcher.client(None)?;
        Ok(fetcher)
    }

    /// Whether this fetcher would fetch `client_id` (as
    /// [`is_metadata_client_id`], plus loopback http if the policy allows).
    pub fn accepts(&self, client_id: &str) -> bool {
        parse_client_id(client_id, self.policy).is_ok()
    }

    /// The validated document `client_id` names, from the cache or fetched.
    pub async fn fetch(&self, client_id: &str) -> Result<ClientMetadata, MetadataError> {
        // Checked before the cache, and never cached: it costs nothing, and
        // junk ids must not push real documents out.
        let url = parse_client_id(client_id, self.policy)?;
        if let Some(outcome) = self.cache().get(client_id, Instant::now()) {
            return outcome;
        }
        let outcome =
            match tokio::time::timeout(TOTAL_TIMEOUT, self.fetch_uncached(&url, client_id)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(MetadataError::Fetch {
                    reason: format!("{} did not answer within 5 seconds", host_of(&url)),
                }),
            };
        let (outcome, ttl) = match outcome {
            Ok((metadata, ttl)) => {
                tracing::info!(
                    client_id,
                    ttl_secs = ttl.as_secs(),
                    "client metadata document fetched"
                );
                (Ok(metadata), ttl)
            }
            Err(error) => {
                tracing::info!(client_id, error = %error, "client metadata document refused");
                (Err(error), NEGATIVE_TTL)
            }
        };
        self.cache()
            .insert(client_id.to_owned(), outcome.clone(), ttl, Instant::now());
        outcome
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn fetch_uncached(
        &self,
        url: &Url,
        client_id: &str,
    ) -> Result<(ClientMetadata, Duration), MetadataError> {
        let host = host_of(url);
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Domain(domain)) => {
                let unresolved = || MetadataError::Fetch {
                    reason: format!("the host {host} could not be resolved"),
                };
                let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, port))
                    .await
                    .map_err(|_| unresolved())?
                    .collect();
                addrs.sort_unstable();
                addrs.dedup();
                if addrs.is_empty() {
                    return Err(unresolved());
                }
                addrs
            }
            None => return Err(MetadataError::NotAMetadataUrl),
        };
        if !addrs
            .iter()
            .all(|addr| address_allowed(addr.ip(), self.policy))
        {
            return Err(MetadataError::ForbiddenAddress { host });
        }
        let pinned = match url.host() {
            Some(Host::Domain(domain)) => Some((domain, addrs.as_slice())),
            _ => None,
        };
        let client = self.client(pinned)?;
        let mut response = client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| transport(&e, &host))?;

        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(MetadataError::Redirected(status));
        }
        if status != 200 {
            return Err(MetadataError::BadStatus(status));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_BODY_BYTES as u64)
        {
            return Err(MetadataError::TooLarge);
        }
        let json_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_media_type);
        let ttl = cache_ttl(
            response
                .headers()
                .get_all(CACHE_CONTROL)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e, &host))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(MetadataError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let metadata = parse_document(&body, client_id, &host)?;
        if !json_type {
            tracing::debug!(
                client_id,
                "client metadata document served without a json content type; accepted as it parses"
            );
        }
        Ok((metadata, ttl))
    }

    /// An http client for one fetch, connecting `pinned`'s domain to its
    /// vetted addresses only.
    fn client(
        &self,
        pinned: Option<(&str, &[SocketAddr])>,
    ) -> Result<reqwest::Client, MetadataError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("portico-auth/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .tcp_nodelay(true)
            // A redirect would lead anywhere, unvetted.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the host itself, unvetted.
            .no_proxy()
            .tls_backend_preconfigured(self.tls.clone());
        if let Some((domain, addrs)) = pinned {
            builder = builder.resolve_to_addrs(domain, addrs);
        }
        builder.build().map_err(|e| MetadataError::Fetch {
            reason: format!("building the http client failed: {e}"),
        })
    }
}

/// The URL `client_id` names, if a document may be fetched from it under
/// `policy`. The checks run on the raw string too: the URL parser silently
/// drops dot segments, tabs and newlines.
fn parse_client_id(client_id: &str, policy: FetchPolicy) -> Result<Url, MetadataError> {
    let bad = || MetadataError::NotAMetadataUrl;
    if client_id.len() > MAX_URL_LEN
        || client_id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\' || c == '#')
    {
        return Err(bad());
    }
    let url = Url::parse(client_id).map_err(|_| bad())?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => policy.allow_loopback_http && is_loopback_http_host(&url),
        _ => false,
    };
    if !scheme_ok
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
    {
        return Err(bad());
    }
    // The raw path: after "<scheme>://" and the authority, before any query.
    let prefix_len = url.scheme().len() + 3;
    let prefix = client_id.get(..prefix_len).ok_or_else(bad)?;
    if !prefix.eq_ignore_ascii_case(&format!("{}://", url.scheme())) {
        return Err(bad());
    }
    let rest = &client_id[prefix_len..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if authority_end == 0 || rest[..authority_end].contains('@') {
        return Err(bad());
    }
    let after_authority = &rest[authority_end..];
    let path = &after_authority[..after_authority.find('?').unwrap_or(after_authority.len())];
    if path.is_empty() || path == "/" || path.split('/').any(is_dot_segment) {
        return Err(bad());
    }
    Ok(url)
}

/// A `.` or `..` path segment, percent-encoded or not.
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// `localhost`, `127.0.0.1` or `[::1]`: the hosts plain http may name.
fn is_loopback_http_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// A URL's host as shown: a domain (punycode) or an IP address.
fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_owned()
}

/// How an address may be used as a fetch target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressClass {
    /// Publicly routable.
    Public,
    /// Loopback: allowed only by [`FetchPolicy::allow_loopback_http`].
    Loopback,
    /// Private, link-local, reserved or otherwise not a public host.
    Forbidden,
}

fn address_allowed(ip: IpAddr, policy: FetchPolicy) -> bool {
    match classify(ip) {
        AddressClass::Public => true,
        AddressClass::Loopback => policy.allow_loopback_http,
        AddressClass::Forbidden => false,
    }
}

fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if a == 127 {
        return AddressClass::Loopback;
    }
    let forbidden = a == 0 // "this network", with the unspecified address
        || a == 10 // private
        || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (b & 0xf0) == 16) // private 172.16/12
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // deprecated 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || (a == 198 && b == 51 && c == 100) // documentation TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // documentation TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    if forbidden {
        AddressClass::Forbidden
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip == Ipv6Addr::LOCALHOST {
        return AddressClass::Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // NAT64 64:ff9b::/96 reaches the IPv4 address it embeds.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(s[6], s[7]));
    }
    // 6to4 2002::/16 likewise.
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    // Only global unicast (2000::/3) can be public: this refuses ::,
    // IPv4-compatible ::/96, unique-local fc00::/7, link-local fe80::/10,
    // site-local, multicast ff00::/8, discard 100::/64, local NAT64.
    let forbidden = (s[0] & 0xe000) != 0x2000
        || (s[0] == 0x2001 && s[1] < 0x0200) // IETF assignments, Teredo, benchmarking
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x3fff && s[1] < 0x1000); // documentation 3fff::/20
    if forbidden {
        AddressClass::Forbidden
    } else {
        AddressClass::Public
    }
}

/// `application/json` or any `+json` type, parameters ignored.
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// How long to cache a document served with these `Cache-Control` values:
/// `max-age` clamped to [60 s, 24 h], 5 minutes without one, 60 s for
/// `no-store`/`no-cache` (never less, to bound the fetch load).
fn cache_ttl<'a>(values: impl IntoIterator<Item = &'a str>) -> Duration {
    let mut max_age = None;
    let mut no_store = false;
    for directive in values.into_iter().flat_map(|v| v.split(',')) {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            no_store = true;
        } else if name.eq_ignore_ascii_case("max-age") && max_age.is_none() {
            // RFC 9111 §1.2.2: a delta too large to represent means "very long".
            max_age = value
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    if no_store {
        return MIN_TTL;
    }
    max_age.map_or(DEFAULT_TTL, |secs| {
        Duration::from_secs(secs).clamp(MIN_TTL, MAX_TTL)
    })
}

/// Validates a fetched document for `client_id`, served from `host`.
fn parse_document(
    body: &[u8],
    client_id: &str,
    host: &str,
) -> Result<ClientMetadata, MetadataError> {
    let invalid = |field: &'static str, reason: &str| MetadataError::Invalid {
        field,
        reason: reason.to_owned(),
    };
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(body) else {
        return Err(MetadataError::NotJson);
    };
    match doc.get("client_id") {
        Some(Value::String(id)) if id == client_id => {}
        Some(Value::String(_)) => return Err(MetadataError::ClientIdMismatch),
        None | Some(Value::Null) => {
            return Err(invalid(
                "client_id",
                "it is required and must equal the document's url",
            ));
        }
        Some(_) => {
            return Err(invalid(
                "client_id",
                "it must be a string equal to the document's url",
            ));
        }
    }
    let client_name = match doc.get("client_name") {
        Some(Value::String(name)) => validate_client_name(name)
            .map_err(|reason| invalid("client_name", reason))?
            .to_owned(),
        None | Some(Value::Null) => return Err(invalid("client_name", "it is required")),
        Some(_) => return Err(invalid("client_name", "it must be a string")),
    };
    let redirect_uris = match doc.get("redirect_uris") {
        Some(Value::Array(uris)) => uris,
        None | Some(Value::Null) => return Err(invalid("redirect_uris", "it is required")),
        Some(_) => return Err(invalid("redirect_uris", "it must be an array of strings")),
    };
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(
            "redirect_uris",
            "it must list between 1 and 10 uris",
        ));
    }
    let mut uris = Vec::with_capacity(redirect_uris.len());
    let mut localhost_only = true;
    for (i, uri) in redirect_uris.iter().enumerate() {
        let Value::String(uri) = uri else {
            return Err(MetadataError::Invalid {
                field: "redirect_uris",
                reason: format!("entry {} is not a string", i + 1),
            });
        };
        let loopback = validate_redirect_uri(uri).map_err(|reason| MetadataError::Invalid {
            field: "redirect_uris",
            reason: format!("entry {} {reason}", i + 1),
        })?;
        localhost_only &= loopback;
        uris.push(uri.clone());
    }
    match doc.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => {}
        Some(Value::String(method)) if method == "none" => {}
        Some(Value::String(method)) if method == "private_key_jwt" => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "private_key_jwt is not supported; a metadata document client is a public client \
                 and must use none",
            ));
        }
        Some(_) => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "it must be none: a metadata document client has no secret",
            ));
        }
    }
    if doc.contains_key("client_secret") {
        return Err(invalid(
            "client_secret",
            "a metadata document must not carry a secret: it is public",
        ));
    }
    Ok(ClientMetadata {
        client_id: client_id.to_owned(),
        client_name,
        redirect_uris: uris,
        client_uri: display_uri(doc.get("client_uri")),
        logo_uri: display_uri(doc.get("logo_uri")),
        host: host.to_owned(),
        localhost_only,
    })
}

/// `name` if it is a usable `client_name`, or why not.
fn validate_client_name(name: &str) -> Result<&str, &'static str> {
    if name.trim().is_empty() {
        Err("it must not be empty")
    } else if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        Err("it must be at most 200 characters")
    } else if name.chars().any(char::is_control) {
        Err("it must not contain control characters")
    } else {
        Ok(name)
    }
}

/// Checks one redirect URI: an absolute https URL, or an http URL on
/// `localhost`, `127.0.0.1` or `[::1]` (any port); no fragment, no user
/// info, at most 2048 bytes. Returns whether it is a loopback one, or what is
/// wrong (a phrase following "entry N").
fn validate_redirect_uri(uri: &str) -> Result<bool, &'static str> {
    const NOT_ALLOWED: &str = "is not an absolute https url or a loopback http url \
                               (http://localhost, http://127.0.0.1 or http://[::1], any port)";
    if uri.len() > MAX_URL_LEN {
        return Err("is longer than 2048 characters");
    }
    if uri.contains('#') {
        return Err("has a fragment, which redirect uris must not have");
    }
    // The parser would silently drop these; redirect uris compare exactly.
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("contains whitespace or control characters");
    }
    let url = Url::parse(uri).map_err(|_| NOT_ALLOWED)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("has user info, which redirect uris must not have");
    }
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(NOT_ALLOWED),
    };
    match url.scheme() {
        "https" => Ok(loopback),
        "http" if is_loopback_http_host(&url) => Ok(true),
        _ => Err(NOT_ALLOWED),
    }
}

/// A `client_uri`/`logo_uri` worth showing: an https URL within limits.
/// Anything else is dropped rather than refusing the client over decoration.
fn display_uri(value: Option<&Value>) -> Option<String> {
    let Some(Value::String(uri)) = value else {
        return None;
    };
    let valid = uri.len() <= MAX_URL_LEN
        && !uri.chars().any(|c| c.is_control() || c.is_whitespace())
        && Url::parse(uri).is_ok_and(|url| {
            url.scheme() == "https"
                && url.host().is_some()
                && url.username().is_empty()
                && url.password().is_none()
        });
    valid.then(|| uri.clone())
}

/// reqwest's innermost cause says what failed (refused, certificate, reset);
/// it never carries the body.
fn transport(error: &reqwest::Error, host: &str) -> MetadataError {
    let reason = if error.is_timeout() {
        format!("{host} did not answer within 5 seconds")
    } else {
        let mut cause: &dyn std::error::Error = error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        if error.is_connect() {
            format!("could not connect to {host}: {cause}")
        } else {
            format!("the request to {host} failed: {cause}")
        }
    };
    MetadataError::Fetch { reason }
}

/// Fetch outcomes by client_id, each until its expiry.
#[derive(Debug)]
struct Cache {
    entries: HashMap<String, CacheEntry>,
    capacity: usize,
}

#[derive(Debug)]
struct CacheEntry {
    expires_at: Instant,
    outcome: Result<ClientMetadata, MetadataError>,
}

impl Cache {
    fn new(capacity: usize) -> Cache {
        Cache {
            entries: HashMap::new(),
            capacity,
        }
    }

    fn get(&self, client_id: &str, now: Instant) -> Option<Result<ClientMetadata, MetadataError>> {
        self.entries
            .get(client_id)
            .filter(|entry| entry.expires_at > now)
            .map(|entry| entry.outcome.clone())
    }

    /// Stores `outcome` for `ttl`; when full, drops the expired entries, and
    /// everything if none had expired (simple, and refetching is cheap).
    fn insert(
        &mut self,
        client_id: String,
        outcome: Result<ClientMetadata, MetadataError>,
        ttl: Duration,
        now: Instant,
    ) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&client_id) {
            self.entries.retain(|_, entry| entry.expires_at > now);
            if self.entries.len() >= self.capacity {
                tracing::warn!(
                    capacity = self.capacity,
                    "client metadata cache full of live entries; clearing it"
                );
                self.entries.clear();
            }
        }
        self.entries.insert(
            client_id,
            CacheEntry {
                expires_at: now + ttl,
                outcome,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> AddressClass {
        classify(s.parse::<Ipv4Addr>().expect("ipv4").into())
    }

    fn v6(s: &str) -> AddressClass {
        classify(s.parse::<Ipv6Addr>().expect("ipv6").into())
    }

    #[test]
    fn metadata_client_ids_are_https_urls_with_a_path() {
        for good in [
            "https://example.com/client.json",
            "https://example.com/a/b/",
            "https://example.com:8443/client",
            "https://example.com/client?v=1",
            "https://93.184.215.14/client",
            "https://[2606:2800::1]/client",
            "https://app.example.com/.well-known/oauth-client",
        ] {
            assert!(is_metadata_client_id(good), "{good}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        for bad in [
            "",
            "my-client",
            "urn:example:client",
            "http://example.com/client",
            "https://example.com",
            "https://example.com/",
            "https://example.com/?x=1",
            "https://example.com/client#frag",
            "https://example.com/client#",
            "https://user@example.com/client",
            "https://user:pw@example.com/client",
            "https://example.com/a/./b",
            "https://example.com/a/../b",
            "https://example.com/..",
            "https://example.com/a/%2e%2E/b",
            "https://example.com/a/.%2e",
            "https:example.com/client",
            "https:/example.com/client",
            "https://example.com\\client",
            " https://example.com/client",
            "https://example.com/cli\tent",
            "https://example.com/client\n",
            "ftp://example.com/client",
            long.as_str(),
        ] {
            assert!(!is_metadata_client_id(bad), "{bad:?}");
        }
        let max = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN - 20));
        assert_eq!(max.len(), MAX_URL_LEN);
        assert!(is_metadata_client_id(&max));
    }

    #[test]
    fn loopback_http_client_ids_need_the_policy() {
        let dev = FetchPolicy {
            allow_loopback_http: true,
        };
        for id in [
            "http://127.0.0.1:8080/client",
            "http://localhost:8080/client",
            "http://[::1]:8080/client",
        ] {
            assert!(parse_client_id(id, dev).is_ok(), "{id}");
            assert!(!is_metadata_client_id(id), "{id}");
        }
        for id in [
            "http://example.com/client",
            "http://127.0.0.2/client",
            "http://10.0.0.1/client",
            "http://127.0.0.1:8080/",
        ] {
            assert!(parse_client_id(id, dev).is_err(), "{id}");
        }
    }

    #[test]
    fn ipv4_addresses_are_classified() {
        use AddressClass::{Forbidden, Loopback, Public};
        for (ip, class) in [
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("0.0.0.0", Forbidden),
            ("0.1.2.3", Forbidden),
            ("10.0.0.1", Forbidden),
            ("10.255.255.255", Forbidden),
            ("172.16.0.1", Forbidden),
            ("172.31.255.255", Forbidden),
            ("172.15.255.255", Public),
            ("172.32.0.1", Public),
            ("192.168.1.1", Forbidden),
            ("169.254.169.254", Forbidden),
            ("100.64.0.1", Forbidden),
            ("100.127.255.255", Forbidden),
            ("100.63.255.255", Public),
            ("100.128.0.1", Public),
            ("192.0.0.8", Forbidden),
            ("192.0.2.1", Forbidden),
            ("198.51.100.7", Forbidden),
            ("203.0.113.9", Forbidden),
            ("198.18.0.1", Forbidden),
            ("198.19.255.255", Forbidden),
            ("192.88.99.1", Forbidden),
            ("224.0.0.1", Forbidden),
            ("239.255.255.250", Forbidden),
            ("240.0.0.1", Forbidden),
            ("255.255.255.255", Forbidden),
            ("8.8.8.8", Public),
            ("93.184.215.14", Public),
            ("1.1.1.1", Public),
        ] {
            assert_eq!(v4(ip), class, "{ip}");
        }
    }

    #[test]
    fn ipv6_addresses_are_classified() {
        use AddressClass::{Forbidden, Loopback, Public};
        for (ip, class) in [
            ("::1", Loopback),
            ("::", Forbidden),
            ("::127.0.0.1", Forbidden),
            ("fe80::1", Forbidden),
            ("febf::1", Forbidden),
            ("fec0::1", Forbidden),
            ("fc00::1", Forbidden),
            ("fd12:3456::1", Forbidden),
            ("ff02::1", Forbidden),
            ("ff0e::1", Forbidden),
            ("100::1", Forbidden),
            ("2001:db8::1", Forbidden),
            ("3fff::1", Forbidden),
            ("2001::1", Forbidden),
            ("2001:2::1", Forbidden),
            ("64:ff9b:1::1", Forbidden),
            ("2606:4700:4700::1111", Public),
            ("2a00:1450:4001::200e", Public),
            ("3fff:1000::1", Public),
            // IPv4-mapped: classified as the address they carry.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Forbidden),
            ("::ffff:172.16.0.1", Forbidden),
            ("::ffff:192.168.0.1", Forbidden),
            ("::ffff:169.254.169.254", Forbidden),
            ("::ffff:100.64.0.1", Forbidden),
            ("::ffff:0.0.0.0", Forbidden),
            ("::ffff:224.0.0.1", Forbidden),
            ("::ffff:255.255.255.255", Forbidden),
            ("::ffff:192.0.2.1", Forbidden),
            ("::ffff:8.8.8.8", Public),
            // NAT64 and 6to4 embed IPv4 addresses too.
            ("64:ff9b::a00:1", Forbidden),
            ("64:ff9b::808:808", Public),
            ("2002:a00:1::1", Forbidden),
            ("2002:c0a8:101::1", Forbidden),
            ("2002:808:808::1", Public),
        ] {
            assert_eq!(v6(ip), class, "{ip}");
        }
    }

    #[test]
    fn loopback_addresses_need_the_policy() {
        let dev = FetchPolicy {
            allow_loopback_http: true,
        };
        let prod = FetchPolicy::default();
        for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(address_allowed(ip, dev));
            assert!(!address_allowed(ip, prod));
        }
        let private: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(!address_allowed(private, dev));
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http() {
        for (uri, loopback) in [
            ("https://app.example.com/callback", false),
            ("https://app.example.com:8443/cb?x=1", false),
            ("https://localhost/cb", true),
            ("http://localhost/cb", true),
            ("http://localhost:33418/callback", true),
            ("http://127.0.0.1:5000/cb", true),
            ("http://[::1]:5000/cb", true),
            ("http://LOCALHOST:5000/cb", true),
        ] {
            assert_eq!(validate_redirect_uri(uri), Ok(loopback), "{uri}");
        }
        for uri in [
            "http://app.example.com/callback",
            "http://127.0.0.2/cb",
            "http://10.0.0.1/cb",
            "com.example.app:/callback",
            "javascript:alert(1)",
            "/callback",
            "callback",
            "https://app.example.com/cb#frag",
            "https://app.example.com/cb#",
            "https://user@app.example.com/cb",
            " https://app.example.com/cb",
            "https://app.example.com/c\tb",
            "file:///etc/passwd",
        ] {
            assert!(validate_redirect_uri(uri).is_err(), "{uri:?}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(validate_redirect_uri(&long).is_err());
    }

    #[test]
    fn cache_control_sets_the_lifetime_within_bounds() {
        let ttl = |v: &[&str]| cache_ttl(v.iter().copied());
        assert_eq!(ttl(&[]), DEFAULT_TTL);
        assert_eq!(ttl(&["public"]), DEFAULT_TTL);
        assert_eq!(ttl(&["max-age=600"]), Duration::from_secs(600));
        assert_eq!(ttl(&["public, max-age=3600"]), Duration::from_secs(3600));
        assert_eq!(ttl(&["Max-Age=\"120\""]), Duration::from_secs(120));
        assert_eq!(ttl(&["public", "max-age=900"]), Duration::from_secs(900));
        assert_eq!(ttl(&["max-age=0"]), MIN_TTL);
        assert_eq!(ttl(&["max-age=5"]), MIN_TTL);
        assert_eq!(ttl(&["max-age=31536000"]), MAX_TTL);
        assert_eq!(ttl(&["max-age=99999999999999999999999"]), MAX_TTL);
        assert_eq!(ttl(&["max-age=-1"]), DEFAULT_TTL);
        assert_eq!(ttl(&["max-age=soon"]), DEFAULT_TTL);
        assert_eq!(ttl(&["max-age="]), DEFAULT_TTL);
        assert_eq!(ttl(&["no-store"]), MIN_TTL);
        assert_eq!(ttl(&["max-age=3600, no-store"]), MIN_TTL);
        assert_eq!(ttl(&["no-cache"]), MIN_TTL);
        assert_eq!(
            ttl(&["max-age=600, max-age=60000"]),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn json_media_types_are_recognised() {
        for good in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/oauth-client+json",
        ] {
            assert!(is_json_media_type(good), "{good}");
        }
        for bad in [
            "text/html",
            "text/plain",
            "application/jsonp",
            "text/x+json",
            "",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    const ID: &str = "https://app.example.com/client.json";

    fn doc(extra: serde_json::Value) -> Vec<u8> {
        let mut doc = serde_json::json!({
            "client_id": ID,
            "client_name": "Example App",
            "redirect_uris": ["https://app.example.com/cb"],
        });
        if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
            doc.extend(extra);
        }
        serde_json::to_vec(&doc).expect("json")
    }

    fn field_of(result: Result<ClientMetadata, MetadataError>) -> &'static str {
        match result {
            Err(MetadataError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn documents_are_validated() {
        let parse = |body: &[u8]| parse_document(body, ID, "app.example.com");
        let good = parse(&doc(serde_json::json!({
            "client_uri": "https://app.example.com",
            "logo_uri": "http://app.example.com/logo.png",
            "token_endpoint_auth_method": "none",
        })))
        .expect("valid");
        assert_eq!(good.client_name, "Example App");
        assert_eq!(good.redirect_uris, ["https://app.example.com/cb"]);
        assert_eq!(good.client_uri.as_deref(), Some("https://app.example.com"));
        assert_eq!(good.logo_uri, None, "non-https logos are dropped");
        assert_eq!(good.host, "app.example.com");
        assert!(!good.localhost_only);

        let local = parse(&doc(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1:3000/cb", "http://localhost/cb"],
        })))
        .expect("valid");
        assert!(local.localhost_only);

        assert_eq!(parse(b"<html>"), Err(MetadataError::NotJson));
        assert_eq!(parse(b"[1]"), Err(MetadataError::NotJson));
        assert_eq!(
            parse(&doc(
                serde_json::json!({"client_id": "https://other.example/c"})
            )),
            Err(MetadataError::ClientIdMismatch)
        );
        assert_eq!(
            parse(&doc(serde_json::json!({"client_id": format!("{ID}/")}))),
            Err(MetadataError::ClientIdMismatch)
        );
        for (extra, field) in [
            (serde_json::json!({"client_id": null}), "client_id"),
            (serde_json::json!({"client_id": 7}), "client_id"),
            (serde_json::json!({"client_name": null}), "client_name"),
            (serde_json::json!({"client_name": ""}), "client_name"),
            (serde_json::json!({"client_name": "  "}), "client_name"),
            (serde_json::json!({"client_name": "a\u{7}b"}), "client_name"),
            (
                serde_json::json!({"client_name": "x".repeat(201)}),
                "client_name",
            ),
            (serde_json::json!({"client_name": ["x"]}), "client_name"),
            (serde_json::json!({"redirect_uris": null}), "redirect_uris"),
            (serde_json::json!({"redirect_uris": []}), "redirect_uris"),
            (
                serde_json::json!({"redirect_uris": "https://a.example/cb"}),
                "redirect_uris",
            ),
            (serde_json::json!({"redirect_uris": [1]}), "redirect_uris"),
            (
                serde_json::json!({"redirect_uris": ["http://app.example.com/cb"]}),
                "redirect_uris",
            ),
            (
                serde_json::json!({"redirect_uris": vec!["https://a.example/cb"; 11]}),
                "redirect_uris",
            ),
            (
                serde_json::json!({"token_endpoint_auth_method": "private_key_jwt"}),
                "token_endpoint_auth_method",
            ),
            (
                serde_json::json!({"token_endpoint_auth_method": "client_secret_basic"}),
                "token_endpoint_auth_method",
            ),
            (serde_json::json!({"client_secret": "s"}), "client_secret"),
        ] {
            assert_eq!(field_of(parse(&doc(extra.clone()))), field, "{extra}");
        }
        assert!(parse(&doc(serde_json::json!({"client_name": "x".repeat(200)}))).is_ok());
        assert!(
            parse(&doc(
                serde_json::json!({"redirect_uris": vec!["https://a.example/cb"; 10]})
            ))
            .is_ok()
        );
    }

    #[test]
    fn errors_name_what_is_accepted() {
        let jwt = field_of(parse_document(
            &doc(serde_json::json!({"token_endpoint_auth_method": "private_key_jwt"})),
            ID,
            "app.example.com",
        ));
        assert_eq!(jwt, "token_endpoint_auth_method");
        let message = MetadataError::Invalid {
            field: "token_endpoint_auth_method",
            reason: "private_key_jwt is not supported".to_owned(),
        }
        .to_string();
        assert!(message.contains("private_key_jwt is not supported"));
        assert!(
            MetadataError::BadStatus(404)
                .to_string()
                .contains("only 200")
        );
        assert!(MetadataError::Redirected(302).to_string().contains("302"));
    }

    fn metadata(name: &str) -> ClientMetadata {
        ClientMetadata {
            client_id: ID.to_owned(),
            client_name: name.to_owned(),
            redirect_uris: vec!["https://app.example.com/cb".to_owned()],
            client_uri: None,
            logo_uri: None,
            host: "app.example.com".to_owned(),
            localhost_only: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cached_outcomes_expire() {
        let mut cache = Cache::new(10);
        cache.insert(
            ID.to_owned(),
            Ok(metadata("a")),
            Duration::from_secs(120),
            Instant::now(),
        );
        cache.insert(
            "https://bad.example/c".to_owned(),
            Err(MetadataError::BadStatus(404)),
            NEGATIVE_TTL,
            Instant::now(),
        );
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(cache.get(ID, Instant::now()), Some(Ok(metadata("a"))));
        assert_eq!(
            cache.get("https://bad.example/c", Instant::now()),
            Some(Err(MetadataError::BadStatus(404)))
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get("https://bad.example/c", Instant::now()), None);
        assert!(cache.get(ID, Instant::now()).is_some());
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(cache.get(ID, Instant::now()), None);
        assert_eq!(cache.get("https://never.example/c", Instant::now()), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_expired_entries_then_everything() {
        let mut cache = Cache::new(3);
        let now = Instant::now();
        cache.insert(
            "a".to_owned(),
            Ok(metadata("a")),
            Duration::from_secs(10),
            now,
        );
        cache.insert(
            "b".to_owned(),
            Ok(metadata("b")),
            Duration::from_secs(100),
            now,
        );
        cache.insert(
            "c".to_owned(),
            Ok(metadata("c")),
            Duration::from_secs(100),
            now,
        );
        tokio::time::advance(Duration::from_secs(20)).await;
        let now = Instant::now();
        cache.insert(
            "d".to_owned(),
            Ok(metadata("d")),
            Duration::from_secs(100),
            now,
        );
        assert_eq!(cache.entries.len(), 3, "only the expired entry went");
        assert!(cache.get("b", now).is_some());
        // Replacing a present entry never evicts.
        cache.insert(
            "d".to_owned(),
            Ok(metadata("d2")),
            Duration::from_secs(100),
            now,
        );
        assert_eq!(cache.entries.len(), 3);
        cache.insert(
            "e".to_owned(),
            Ok(metadata("e")),
            Duration::from_secs(100),
            now,
        );
        assert_eq!(cache.entries.len(), 1, "no entry had expired: cleared");
        assert!(cache.get("e", now).is_some());
    }
}
