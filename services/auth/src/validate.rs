//! Checks on what callers send: token names, scopes, and tokens chosen by an
//! operator (`portico dev --dev-token`). Each check returns the cleaned value
//! or a [`FieldViolation`] naming the field, what was wrong and what is
//! accepted, which the gRPC layer turns into a `BadRequest` detail.

use portico_proto::vocab::{ALL_SCOPES, Scope};

use crate::error::FieldViolation;

/// The longest accepted token name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The shortest accepted operator-chosen token, in characters.
pub const MIN_CHOSEN_TOKEN_CHARS: usize = 16;

/// The name trimmed, if it is 1 to [`MAX_NAME_CHARS`] characters long.
pub fn name(raw: &str) -> Result<String, FieldViolation> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(FieldViolation::new(
            "name",
            format!("name must not be empty: give 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if chars > MAX_NAME_CHARS {
        return Err(FieldViolation::new(
            "name",
            format!("name is {chars} characters long: at most {MAX_NAME_CHARS} are accepted"),
        ));
    }
    Ok(name.to_owned())
}

/// The requested scopes (proto `Scope` values) without duplicates, or every
/// scope when none are requested. Values this build does not know, and
/// `SCOPE_UNSPECIFIED`, are refused rather than dropped, so a request can
/// never end up with other scopes than it asked for.
pub fn scopes(raw: &[i32]) -> Result<Vec<Scope>, FieldViolation> {
    if raw.is_empty() {
        return Ok(ALL_SCOPES.to_vec());
    }
    let mut scopes: Vec<Scope> = Vec::with_capacity(raw.len());
    for value in raw {
        match Scope::try_from(*value) {
            Ok(scope) if scope != Scope::Unspecified => {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            _ => {
                return Err(FieldViolation::new(
                    "scopes",
                    format!(
                        "unknown scope value {value}: accepted are {}",
                        ALL_SCOPES
                            .map(|s| format!("{} ({})", s.name(), s as i32))
                            .join(", ")
                    ),
                ));
            }
        }
    }
    Ok(scopes)
}

/// The most workspace or organization ids one token may be limited to.
pub const MAX_LIMIT_IDS: usize = 100;

/// Checks a token's workspace or organization limit: at most
/// [`MAX_LIMIT_IDS`] positive ids.
pub fn ids(field: &'static str, ids: &[i64]) -> Result<(), FieldViolation> {
    if ids.len() > MAX_LIMIT_IDS {
        return Err(FieldViolation::new(
            field,
            format!(
                "{field} has {} entries: at most {MAX_LIMIT_IDS} are accepted",
                ids.len()
            ),
        ));
    }
    if let Some(bad) = ids.iter().find(|id| **id <= 0) {
        return Err(FieldViolation::new(
            field,
            format!("{field} contains {bad}: podio ids are positive whole numbers"),
        ));
    }
    Ok(())
}

/// Accepts an operator-chosen token if it is at least
/// [`MIN_CHOSEN_TOKEN_CHARS`] visible ASCII characters (no spaces), so it can
/// travel in an `Authorization` header and is not trivially guessable.
pub fn chosen_token(token: &str) -> Result<(), FieldViolation> {
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(FieldViolation::new(
            "token",
            "token must be visible ascii characters only: no spaces, control or non-ascii characters",
        ));
    }
    let chars = token.chars().count();
    if chars < MIN_CHOSEN_TOKEN_CHARS {
        return Err(FieldViolation::new(
            "token",
            format!(
                "token is {chars} characters long: at least {MIN_CHOSEN_TOKEN_CHARS} are required"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(name("  laptop  "), Ok("laptop".to_owned()));
        assert_eq!(name(&"é".repeat(200)), Ok("é".repeat(200)));
        assert_eq!(name("   ").map_err(|v| v.field), Err("name"));
        let err = name(&"x".repeat(201)).expect_err("too long");
        assert!(err.description.contains("at most 200"), "{err:?}");
    }

    #[test]
    fn scopes_default_to_all_and_reject_unknown_ones() {
        assert_eq!(scopes(&[]), Ok(ALL_SCOPES.to_vec()));
        assert_eq!(scopes(&[1, 1]), Ok(vec![Scope::PodioRead]));
        let err = scopes(&[1, 99]).expect_err("unknown");
        assert_eq!(err.field, "scopes");
        assert!(err.description.contains("99"), "{err:?}");
        assert!(
            err.description.contains("podio:read (1), podio:write (2)"),
            "{err:?}"
        );
        assert!(scopes(&[0]).is_err());
    }

    #[test]
    fn limit_ids_are_positive_and_bounded() {
        assert!(ids("space_ids", &[1, 2]).is_ok());
        assert!(ids("space_ids", &[]).is_ok());
        let err = ids("org_ids", &[3, 0]).expect_err("zero");
        assert_eq!(err.field, "org_ids");
        assert!(err.description.contains("contains 0"), "{err:?}");
        assert!(ids("space_ids", &vec![1; 101]).is_err());
    }

    #[test]
    fn chosen_tokens_need_16_visible_ascii_characters() {
        assert!(chosen_token("dev-token-0123456").is_ok());
        assert!(chosen_token("short").is_err());
        assert!(chosen_token("has a space in it, long enough").is_err());
        assert!(chosen_token("ünïcödé-token-long-enough").is_err());
    }
}
