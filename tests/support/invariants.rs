//! The envelope decoder's classification rules, asserted on any input. One copy, used by the
//! fuzz target (`fuzz_targets/decode_envelope.rs`) and by `tests/properties.rs`.
//!
//! The oracle reads the body with plain JSON tools, independently of the decoder: whether it
//! is JSON at all, whether it is an object, and what its `success` key says.

use cloudflare_mtls::http::{HeaderMap, StatusCode};
use cloudflare_mtls::{Association, Certificate, ResponseError, decode, retry};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

/// What a plain JSON reading of the body says.
struct Oracle {
    /// A single JSON object (any depth, any keys).
    object: bool,
    /// The object's `success` is `false`.
    said_false: bool,
}

impl Oracle {
    fn read(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Probe {
            success: Option<serde_json::Value>,
        }
        // `IgnoredAny` has no depth limit, unlike `serde_json::Value`, so a deep but valid
        // body still counts as JSON here.
        let json = serde_json::from_slice::<IgnoredAny>(body).is_ok();
        let first = body.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        let object = json && first == Some(b'{');
        let said_false = object
            && serde_json::from_slice::<Probe>(body).is_ok_and(|p| p.success == Some(serde_json::Value::Bool(false)));
        Self { object, said_false }
    }
}

/// Decodes `body` as `T` and asserts every rule that holds whatever `T` is. Panics with the
/// broken rule; returns the outcome without the decoded value.
pub fn check<T: DeserializeOwned>(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), ResponseError> {
    let outcome = decode::<T>(status, headers, body).map(|_| ());
    let oracle = Oracle::read(body);
    let success = status.is_success();
    let wait = retry::retry_after(headers);
    match &outcome {
        Ok(()) => {
            assert!(success, "HTTP {status} decoded as a success");
            assert!(oracle.object, "a success from a body that is not one JSON object");
            assert!(!oracle.said_false, "`success: false` decoded as a success");
        }
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.status, status);
            assert_eq!(e.retry_after, wait, "Retry-After not surfaced");
            assert!(oracle.object, "an API error from a body that is not one JSON object");
            assert!(!success || oracle.said_false, "a 2xx API error without `success: false`");
        }
        Err(ResponseError::Http(e)) => {
            assert!(!success, "an HTTP error for a {status}");
            assert_eq!(e.status, status);
            assert_eq!(e.body, body, "an HTTP error must keep the exact bytes");
            assert_eq!(e.retry_after, wait, "Retry-After not surfaced");
        }
        Err(ResponseError::Decode(e)) => {
            assert!(success, "a decode error for a {status}");
            assert_eq!(e.status, status);
            assert_eq!(e.body, body, "a decode error must keep the exact bytes");
            // The path may be empty: an unknown key `""` is a legitimate place to fail.
            assert!(!e.reason.is_empty(), "a decode error must say what did not fit");
        }
        Err(other) => panic!("an outcome this oracle does not know: {other:?}"),
    }
    outcome
}

/// [`check`] for every result type the calls decode, plus the rule that only the `result`
/// depends on the type: an API or HTTP error is the same whatever the call expected.
pub fn check_all(status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    let outcomes = [
        check::<Vec<Certificate>>(status, headers, body),
        check::<Certificate>(status, headers, body),
        check::<Vec<Association>>(status, headers, body),
    ];
    let type_free = |o: &Result<(), ResponseError>| matches!(o, Err(ResponseError::Api(_) | ResponseError::Http(_)));
    if outcomes.iter().any(type_free) {
        assert!(
            outcomes.iter().all(|o| o == &outcomes[0]),
            "the same API/HTTP error must come out whatever the result type: {outcomes:?}"
        );
    }
}
