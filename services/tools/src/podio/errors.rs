//! Translation of the connector's error statuses into tool outcomes: failures
//! the caller can act on become `is_error` results with a message saying what
//! to do (a Podio outage included: the model should know Podio is down);
//! outages of Portico's own hops become UNAVAILABLE; anything else is an
//! opaque INTERNAL.

use portico_proto::error::{ErrorCode, PODIO_ERROR_DOMAIN};
use tonic::Status;
use tonic_types::StatusExt;

use crate::error::{Refusal, ToolError};

/// What a Podio request was about, for error messages.
#[derive(Debug, Clone)]
pub struct Target {
    /// The object, e.g. "item 42".
    pub what: String,
    /// What to do when it does not exist, e.g. "use get_items on its app to
    /// find item ids".
    pub when_missing: &'static str,
}

impl Target {
    /// A target named `what`, with advice for when it is missing.
    pub fn new(what: impl Into<String>, when_missing: &'static str) -> Self {
        Target {
            what: what.into(),
            when_missing,
        }
    }
}

/// The tool outcome for a connector error status. Refusals keep Podio's
/// HTTP status and `error` code from the status's ErrorInfo detail.
pub fn from_connector(status: &Status, target: &Target) -> ToolError {
    let what = &target.what;
    let podio_says = status.message().trim();
    let code = ErrorCode::from_grpc(status.code());
    let message = match code {
        ErrorCode::NotFound => format!(
            "{what} was not found in Podio: it may have been deleted or the id is wrong; {}",
            target.when_missing
        ),
        ErrorCode::PermissionDenied => format!(
            "Podio denied access to {what}: the connected Podio account is not allowed to see it{}",
            suffix(podio_says)
        ),
        ErrorCode::RateLimited => match metadata::<u64>(status, "retry_after_seconds") {
            Some(seconds) => {
                format!("Podio's rate limit was reached; retry after {seconds} seconds")
            }
            None => "Podio's rate limit was reached; retry later".to_owned(),
        },
        ErrorCode::InvalidArgument => format!(
            "Podio rejected the request for {what}: {}",
            or_unknown(podio_says)
        ),
        ErrorCode::Conflict => format!(
            "Podio reported a conflict for {what}: {}; fetch it again and retry",
            or_unknown(podio_says)
        ),
        ErrorCode::FailedPrecondition => {
            format!("Podio cannot be called yet: {}", or_unknown(podio_says))
        }
        ErrorCode::Unauthenticated => format!(
            "Podio rejected the server's credentials for this account{}; the Podio connection must be re-authorized",
            suffix(podio_says)
        ),
        // The connector says so (with its ErrorInfo) when Podio itself is
        // down or slow: the model is told, as a tool error. Without it, it
        // is the connector or the auth service that cannot be reached: an
        // outage of Portico's own, which stays UNAVAILABLE.
        ErrorCode::Unavailable => match podio_outage(status) {
            Some(how) => format!("Podio is unavailable for {what}: {how}; retry shortly"),
            None => {
                return ToolError::Unavailable(format!(
                    "Podio could not be reached for {what}; retry shortly"
                ));
            }
        },
        ErrorCode::Internal => {
            return ToolError::Internal(format!(
                "connector failed for {what}: {:?}: {podio_says}",
                status.code()
            ));
        }
    };
    let podio_error = status
        .get_details_error_info()
        .map(|info| info.reason)
        .filter(|reason| !reason.is_empty());
    ToolError::Refused(Refusal {
        message,
        code,
        http_status: metadata(status, "http_status"),
        podio_error,
    })
}

/// How Podio failed, when the connector reported Podio itself (not a hop
/// of Portico's) unavailable: its HTTP status, a timeout or no connection.
fn podio_outage(status: &Status) -> Option<String> {
    let info = status.get_details_error_info()?;
    if info.domain != PODIO_ERROR_DOMAIN {
        return None;
    }
    Some(match metadata::<u16>(status, "http_status") {
        Some(http) => format!("it answered HTTP {http}"),
        None if info.reason == "timeout" => "it did not answer in time".to_owned(),
        None => "it could not be connected to".to_owned(),
    })
}

/// A number in the status's ErrorInfo metadata, e.g. `http_status`.
fn metadata<T: std::str::FromStr>(status: &Status, key: &str) -> Option<T> {
    status
        .get_details_error_info()?
        .metadata
        .get(key)?
        .trim()
        .parse()
        .ok()
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (Podio said: {message})")
    }
}

fn or_unknown(message: &str) -> &str {
    if message.is_empty() {
        "no reason given"
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic::Code;
    use tonic_types::ErrorDetails;

    use super::*;

    fn target() -> Target {
        Target::new("item 999", "use get_items on its app to find item ids")
    }

    fn failed(err: ToolError) -> String {
        match err {
            ToolError::Refused(refusal) => refusal.message,
            other => panic!("expected an is_error outcome, got {other:?}"),
        }
    }

    #[test]
    fn not_found_names_the_object_and_what_to_do() {
        let message = failed(from_connector(
            &Status::not_found("Object not found"),
            &target(),
        ));
        assert_eq!(
            message,
            "item 999 was not found in Podio: it may have been deleted or the id is wrong; use get_items on its app to find item ids"
        );
    }

    #[test]
    fn rate_limits_carry_the_retry_delay() {
        let status = Status::with_error_details(
            Code::ResourceExhausted,
            "rate limit",
            ErrorDetails::with_error_info(
                "rate_limit",
                "podio.com",
                HashMap::from([("retry_after_seconds".to_owned(), "120".to_owned())]),
            ),
        );
        let message = failed(from_connector(&status, &target()));
        assert_eq!(
            message,
            "Podio's rate limit was reached; retry after 120 seconds"
        );
        let message = failed(from_connector(&Status::resource_exhausted("x"), &target()));
        assert_eq!(message, "Podio's rate limit was reached; retry later");
    }

    #[test]
    fn a_podio_outage_is_a_tool_error_and_a_portico_one_is_unavailable() {
        let podio = |reason: &str, metadata: &[(&str, &str)]| {
            Status::with_error_details(
                Code::Unavailable,
                "podio is unreachable",
                ErrorDetails::with_error_info(
                    reason,
                    PODIO_ERROR_DOMAIN,
                    metadata
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect::<HashMap<_, _>>(),
                ),
            )
        };
        let cases = [
            (
                podio("unavailable", &[("http_status", "503")]),
                "it answered HTTP 503",
            ),
            (podio("timeout", &[]), "it did not answer in time"),
            (
                podio("connection_error", &[]),
                "it could not be connected to",
            ),
        ];
        for (status, how) in cases {
            let message = failed(from_connector(&status, &target()));
            assert_eq!(
                message,
                format!("Podio is unavailable for item 999: {how}; retry shortly")
            );
        }
        // No ErrorInfo from the connector: the connector itself (or auth)
        // could not be reached.
        let err = from_connector(&Status::unavailable("transport error"), &target());
        assert!(matches!(err, ToolError::Unavailable(_)));
    }

    #[test]
    fn refusals_keep_podios_status_and_error_code() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "Query not secure enough, please add more filters",
            ErrorDetails::with_error_info(
                "forbidden",
                "podio.com",
                HashMap::from([("http_status".to_owned(), "400".to_owned())]),
            ),
        );
        let ToolError::Refused(refusal) = from_connector(&status, &target()) else {
            panic!("expected a refusal");
        };
        assert_eq!(refusal.code, ErrorCode::InvalidArgument);
        assert_eq!(refusal.http_status, Some(400));
        assert_eq!(refusal.podio_error.as_deref(), Some("forbidden"));
        assert!(refusal.is(400, "forbidden"));
        assert!(!refusal.is(403, "forbidden"));
        assert_eq!(
            refusal.message,
            "Podio rejected the request for item 999: Query not secure enough, please add more filters"
        );

        let ToolError::Refused(bare) = from_connector(&Status::not_found("x"), &target()) else {
            panic!("expected a refusal");
        };
        assert_eq!((bare.http_status, bare.podio_error), (None, None));
    }

    #[test]
    fn every_code_lands_somewhere_sensible() {
        let cases = [
            (Code::PermissionDenied, "Podio denied access to item 999"),
            (
                Code::InvalidArgument,
                "Podio rejected the request for item 999: boom",
            ),
            (Code::Aborted, "Podio reported a conflict"),
            (Code::FailedPrecondition, "Podio cannot be called yet: boom"),
            (
                Code::Unauthenticated,
                "Podio rejected the server's credentials",
            ),
        ];
        for (code, prefix) in cases {
            let message = failed(from_connector(&Status::new(code, "boom"), &target()));
            assert!(message.starts_with(prefix), "{code:?}: {message}");
        }
        for code in [Code::Unavailable, Code::DeadlineExceeded] {
            let err = from_connector(&Status::new(code, "down"), &target());
            assert!(matches!(err, ToolError::Unavailable(_)), "{code:?}");
        }
        let err = from_connector(&Status::internal("secret detail"), &target());
        let status = err.into_status();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
