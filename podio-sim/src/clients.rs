//! API keys (Podio's OAuth clients): which client id and secret pairs may ask
//! for tokens, and where the authorize page may send a user back.
//!
//! Podio only redirects to a `redirect_uri` on the domain registered for the
//! key (§2.1); the domain's subdomains count too. The seeded keys were also
//! registered for local development, so loopback hosts (`localhost`,
//! `127.0.0.1`, `[::1]`) pass for every key, on any port: tests and
//! `portico dev` run there.

use url::{Host, Url};

use crate::seed::API_KEYS;

/// One API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKey {
    /// The OAuth `client_id`.
    pub client_id: &'static str,
    /// The OAuth `client_secret`.
    pub client_secret: &'static str,
    /// The application name the allow page shows.
    pub name: &'static str,
    /// The domain registered for the key.
    pub domain: &'static str,
}

/// Why a `redirect_uri` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// No `redirect_uri` was given.
    #[error("the redirect_uri parameter is required")]
    Missing,
    /// Not an absolute http(s) URL.
    #[error("redirect_uri {0:?} is not an absolute http or https url")]
    Invalid(String),
    /// OAuth forbids fragments in redirect URIs: the code would be lost.
    #[error("redirect_uri {0:?} must not contain a fragment (#...)")]
    Fragment(String),
    /// On another domain than the key's.
    #[error("redirect_uri {uri:?} is not on {domain}, the domain registered for this api key")]
    ForeignDomain {
        /// The refused URI.
        uri: String,
        /// The key's registered domain.
        domain: &'static str,
    },
}

/// The key with `client_id`, if there is one.
pub fn find(client_id: &str) -> Option<&'static ApiKey> {
    API_KEYS.iter().find(|k| k.client_id == client_id)
}

/// The key with `client_id` if `client_secret` is its secret.
pub fn authenticate(client_id: &str, client_secret: &str) -> Option<&'static ApiKey> {
    find(client_id).filter(|k| k.client_secret == client_secret)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

impl ApiKey {
    /// `redirect_uri` parsed, if the authorize page may send users there.
    pub fn check_redirect(&self, redirect_uri: Option<&str>) -> Result<Url, RedirectError> {
        let raw = redirect_uri
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or(RedirectError::Missing)?;
        let url = Url::parse(raw).map_err(|_| RedirectError::Invalid(raw.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RedirectError::Invalid(raw.to_owned()));
        }
        if url.fragment().is_some() {
            return Err(RedirectError::Fragment(raw.to_owned()));
        }
        let host = url
            .host()
            .ok_or_else(|| RedirectError::Invalid(raw.to_owned()))?;
        let on_domain = match &host {
            Host::Domain(d) => {
                let d = d.to_ascii_lowercase();
                d == self.domain || d.ends_with(&format!(".{}", self.domain))
            }
            Host::Ipv4(_) | Host::Ipv6(_) => false,
        };
        if on_domain || is_loopback(&host) {
            Ok(url)
        } else {
            Err(RedirectError::ForeignDomain {
                uri: raw.to_owned(),
                domain: self.domain,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEV_CLIENT_ID, DEV_CLIENT_SECRET, JANE_CLIENT_ID, JANE_KEY_DOMAIN};

    #[test]
    fn keys_are_found_by_id_and_secret() {
        assert!(authenticate(DEV_CLIENT_ID, DEV_CLIENT_SECRET).is_some());
        assert!(authenticate(DEV_CLIENT_ID, "wrong").is_none());
        assert!(authenticate(JANE_CLIENT_ID, DEV_CLIENT_SECRET).is_none());
        assert!(find("nobody").is_none());
    }

    #[test]
    fn redirects_must_be_on_the_domain_or_loopback() {
        let key = find(JANE_CLIENT_ID).expect("jane's key");
        for ok in [
            format!("https://{JANE_KEY_DOMAIN}/cb"),
            format!("https://app.{JANE_KEY_DOMAIN}:8443/cb?x=1"),
            "http://127.0.0.1:5555/cb".to_owned(),
            "http://localhost/cb".to_owned(),
            "http://[::1]:80/cb".to_owned(),
        ] {
            assert!(key.check_redirect(Some(&ok)).is_ok(), "{ok}");
        }
        let foreign = |uri: &str| {
            matches!(
                key.check_redirect(Some(uri)),
                Err(RedirectError::ForeignDomain { .. })
            )
        };
        assert!(foreign("https://evil.example/cb"));
        assert!(foreign(&format!("https://evil{JANE_KEY_DOMAIN}/cb")));
        assert!(foreign("http://10.0.0.1/cb"));
        assert_eq!(key.check_redirect(None), Err(RedirectError::Missing));
        assert_eq!(key.check_redirect(Some(" ")), Err(RedirectError::Missing));
        assert!(matches!(
            key.check_redirect(Some("javascript:alert(1)")),
            Err(RedirectError::Invalid(_))
        ));
        assert!(matches!(
            key.check_redirect(Some("/relative")),
            Err(RedirectError::Invalid(_))
        ));
        assert!(matches!(
            key.check_redirect(Some("http://localhost/cb#frag")),
            Err(RedirectError::Fragment(_))
        ));
    }
}
