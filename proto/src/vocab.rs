//! The one Rust home of the shared vocabularies that the `.proto` files type
//! as enums: [`Scope`] and [`CredentialMode`]. Their wire names (what OAuth
//! scope strings, tool definitions, logs and metrics carry) are defined here
//! and nowhere else, and every parse names what is accepted.

pub use crate::auth::v1::{CredentialMode, Scope};

/// Every scope a credential can hold, in the order they are advertised.
pub const ALL_SCOPES: [Scope; 2] = [Scope::PodioRead, Scope::PodioWrite];

impl Scope {
    /// The scope's name in OAuth scope strings and tool definitions.
    pub fn name(self) -> &'static str {
        match self {
            Scope::PodioRead => "podio:read",
            Scope::PodioWrite => "podio:write",
            Scope::Unspecified => "unspecified",
        }
    }

    /// The scope named `name` (exactly as [`Scope::name`] spells it).
    pub fn parse(name: &str) -> Result<Scope, UnknownName> {
        ALL_SCOPES
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownName {
                what: "scope",
                given: truncated(name),
                accepted: ALL_SCOPES.map(Scope::name).join(", "),
            })
    }

    /// Every scope's name, e.g. for `scopes_supported`.
    pub fn all_names() -> Vec<&'static str> {
        ALL_SCOPES.map(Scope::name).to_vec()
    }
}

/// Parses an OAuth scope string (names separated by spaces); duplicates are
/// dropped and the order of first appearance kept.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>, UnknownName> {
    let mut scopes = Vec::new();
    for name in text.split_ascii_whitespace() {
        let scope = Scope::parse(name)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

/// The OAuth scope string of `scopes` (names separated by single spaces).
pub fn scope_string(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scopes of a proto `repeated Scope` field (values prost keeps as
/// `i32`); values this build does not know are skipped, never widened.
pub fn scopes_of(raw: &[i32]) -> Vec<Scope> {
    raw.iter()
        .filter_map(|v| Scope::try_from(*v).ok())
        .filter(|s| *s != Scope::Unspecified)
        .collect()
}

/// The proto form of `scopes`.
pub fn scope_values(scopes: &[Scope]) -> Vec<i32> {
    scopes.iter().map(|s| *s as i32).collect()
}

impl CredentialMode {
    /// The mode's name in logs, metrics, introspection and the guides.
    pub fn name(self) -> &'static str {
        match self {
            CredentialMode::Service => "service",
            CredentialMode::Default => "default",
            CredentialMode::Direct => "direct",
            CredentialMode::Registered => "registered",
            CredentialMode::Unspecified => "unspecified",
        }
    }

    /// The mode named `name`.
    pub fn parse(name: &str) -> Result<CredentialMode, UnknownName> {
        const ALL: [CredentialMode; 4] = [
            CredentialMode::Service,
            CredentialMode::Default,
            CredentialMode::Direct,
            CredentialMode::Registered,
        ];
        ALL.into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| UnknownName {
                what: "credential mode",
                given: truncated(name),
                accepted: ALL.map(CredentialMode::name).join(", "),
            })
    }
}

/// A name that is not in a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}: accepted are {accepted}")]
pub struct UnknownName {
    /// Which vocabulary, e.g. "scope".
    pub what: &'static str,
    /// What was given (cut to 64 characters: it may be hostile input).
    pub given: String,
    /// Every accepted name.
    pub accepted: String,
}

fn truncated(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip_and_unknown_ones_name_the_accepted() {
        for scope in ALL_SCOPES {
            assert_eq!(Scope::parse(scope.name()), Ok(scope));
        }
        let err = Scope::parse("admin").expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown scope \"admin\": accepted are podio:read, podio:write"
        );
        assert!(Scope::parse("unspecified").is_err());
    }

    #[test]
    fn scope_strings_parse_dedupe_and_render() {
        let scopes = parse_scopes(" podio:write  podio:read podio:write").expect("valid");
        assert_eq!(scopes, [Scope::PodioWrite, Scope::PodioRead]);
        assert_eq!(scope_string(&scopes), "podio:write podio:read");
        assert_eq!(parse_scopes(""), Ok(vec![]));
        assert!(parse_scopes("podio:read x").is_err());
    }

    #[test]
    fn unknown_wire_values_are_dropped_not_widened() {
        assert_eq!(
            scopes_of(&[1, 0, 99, 2]),
            [Scope::PodioRead, Scope::PodioWrite]
        );
        assert_eq!(scope_values(&[Scope::PodioWrite]), [2]);
    }

    #[test]
    fn credential_modes_round_trip() {
        for mode in [
            CredentialMode::Service,
            CredentialMode::Default,
            CredentialMode::Direct,
            CredentialMode::Registered,
        ] {
            assert_eq!(CredentialMode::parse(mode.name()), Ok(mode));
        }
        assert!(CredentialMode::parse("per_user").is_err());
    }

    #[test]
    fn hostile_names_are_cut_in_errors() {
        let err = Scope::parse(&"x".repeat(10_000)).expect_err("unknown");
        assert!(err.to_string().len() < 200);
    }
}
