//! Properties of the connector's reading of Podio's error bodies
//! (`PodioError::from_response`) and the gRPC status it becomes. The fuzz
//! target `podio_json` (fuzz/) checks the same functions with arbitrary
//! bodies at depth.

use portico_connector::errors::{
    DEFAULT_RETRY_AFTER_SECS, ERROR_DOMAIN, MAX_DESCRIPTION_CHARS, MAX_ERROR_CHARS,
    code_for_http_status,
};
use portico_connector::{ConnectorError, PodioError};
use proptest::prelude::*;
use serde_json::json;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// Podio's statuses, and some it should never send.
fn http_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            400u16, 401, 402, 403, 404, 409, 410, 420, 429, 500, 502, 503
        ]),
        100u16..600,
    ]
}

proptest! {
    #[test]
    fn arbitrary_bodies_give_a_code_a_description_and_a_status(
        status in http_status(),
        header in prop::option::of("\\PC{0,12}"),
        body in "\\PC{0,300}",
    ) {
        let e = PodioError::from_response(status, header.as_deref(), &body);
        prop_assert_eq!(e.http_status, status);
        prop_assert!(!e.error.is_empty());
        prop_assert!(!e.description.trim().is_empty());
        prop_assert!(e.description.chars().count() <= MAX_DESCRIPTION_CHARS);
        prop_assert!(e.error.chars().count() <= MAX_ERROR_CHARS);
        prop_assert_eq!(e.retry_after_seconds.is_some(), matches!(status, 420 | 429));
        let grpc = Status::from(ConnectorError::Podio(e.clone()));
        prop_assert_eq!(grpc.code(), code_for_http_status(status));
        prop_assert!(!matches!(grpc.code(), Code::Ok | Code::Unknown | Code::Internal));
        let info = grpc.get_details_error_info().expect("an ErrorInfo detail");
        prop_assert_eq!(info.domain, ERROR_DOMAIN);
        prop_assert_eq!(info.reason, e.error);
        prop_assert_eq!(info.metadata.get("http_status"), Some(&status.to_string()));
    }

    #[test]
    fn podios_error_json_is_kept(
        status in http_status(),
        error in "[a-z_]{1,20}",
        description in "\\PC*[^\\s]\\PC{0,1200}",
    ) {
        let body = json!({"error": error, "error_description": description, "error_detail": null});
        let e = PodioError::from_response(status, None, &body.to_string());
        prop_assert_eq!(&e.error, &error);
        let kept: String = description.chars().take(MAX_DESCRIPTION_CHARS).collect();
        prop_assert_eq!(&e.description, &kept);
        let grpc = Status::from(ConnectorError::Podio(e));
        prop_assert_eq!(grpc.message(), kept);
    }

    #[test]
    fn bodies_that_are_not_podios_json_name_the_status(
        status in http_status(),
        body in prop_oneof![
            "<html>\\PC{0,40}</html>",
            Just(String::new()),
            Just("{}".to_owned()),
            Just(r#"{"error": 5}"#.to_owned()),
            Just(r#"{"error": "", "error_description": "  "}"#.to_owned()),
        ],
    ) {
        let e = PodioError::from_response(status, None, &body);
        prop_assert_eq!(e.description, format!("podio answered http {status} ({})", e.error));
    }

    #[test]
    fn rate_limits_say_how_long_to_wait(
        status in prop::sample::select(vec![420u16, 429]),
        header in 0u64..100_000,
        said in 0u64..100_000,
        source in 0..3usize,
    ) {
        let body = json!({
            "error": "rate_limit",
            "error_description": format!("Please wait {said} seconds before trying again"),
        })
        .to_string();
        let (header_text, expected) = match source {
            0 => (Some(format!(" {header} ")), header),
            1 => (None, said),
            _ => (Some("soon".to_owned()), said),
        };
        let e = PodioError::from_response(status, header_text.as_deref(), &body);
        prop_assert_eq!(e.retry_after_seconds, Some(expected));
        let e = PodioError::from_response(status, None, "{}");
        prop_assert_eq!(e.retry_after_seconds, Some(DEFAULT_RETRY_AFTER_SECS));
        let grpc = Status::from(ConnectorError::Podio(e));
        prop_assert_eq!(grpc.code(), Code::ResourceExhausted);
        let info = grpc.get_details_error_info().expect("an ErrorInfo detail");
        prop_assert_eq!(
            info.metadata.get("retry_after_seconds"),
            Some(&DEFAULT_RETRY_AFTER_SECS.to_string())
        );
    }
}

/// A regression the `podio_json` fuzz target found: an `error` code without
/// a description was passed on whole, and the description built from it
/// grew past its cap.
#[test]
fn long_error_codes_are_cut_and_keep_the_description_small() {
    let long = "e".repeat(5_000);
    let e = PodioError::from_response(400, None, &json!({"error": long}).to_string());
    assert_eq!(e.error, "e".repeat(MAX_ERROR_CHARS));
    assert_eq!(
        e.description,
        format!("podio answered http 400 ({})", "e".repeat(MAX_ERROR_CHARS))
    );
    assert!(e.description.chars().count() <= MAX_DESCRIPTION_CHARS);
}
