//! The v4 envelope decoder: one function classifies any (status, headers, body) into exactly
//! one outcome, for every call.
//!
//! ```text
//! 2xx, success true/absent, result fits   -> Ok(Success)
//! success false (any status)              -> ResponseError::Api
//! non-2xx with an envelope                -> ResponseError::Api
//! non-2xx, body not an envelope           -> ResponseError::Http   (bytes kept)
//! 2xx, result missing or does not fit     -> ResponseError::Decode (JSON path + bytes kept)
//! ```

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use crate::error::{ApiError, DecodeError, HttpError, ResponseError};
use crate::message::{ApiMessage, lenient_messages};
use crate::model::ResultInfo;
use crate::retry::retry_after;

/// A successful response: the typed `result`, plus what came beside it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Success<T> {
    /// The decoded `result`.
    pub result: T,
    /// The `result_info`, for collections.
    pub result_info: Option<ResultInfo>,
    /// Informational `messages` the API sent with the success.
    pub messages: Vec<ApiMessage>,
}

/// The full envelope, typed: the fast path for a success, one pass over the bytes.
#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, deserialize_with = "lenient_messages")]
    errors: Vec<ApiMessage>,
    #[serde(default, deserialize_with = "lenient_messages")]
    messages: Vec<ApiMessage>,
    #[serde(default = "none")]
    result: Option<T>,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

/// The envelope with `result` ignored: tells an API error from a body that is no envelope.
#[derive(Deserialize)]
struct Shell {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    errors: Option<Lenient>,
    #[serde(default, deserialize_with = "lenient_messages")]
    messages: Vec<ApiMessage>,
}

fn none<T>() -> Option<T> {
    None
}

/// `errors` when present, even as `null`.
#[derive(Deserialize)]
#[serde(transparent)]
struct Lenient(#[serde(deserialize_with = "lenient_messages")] Vec<ApiMessage>);

/// Tells a key that is present (even as `null`) from one that is absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Classifies a response and decodes its `result` as `T`.
///
/// Never panics, whatever the bytes; every input gives exactly one outcome (see the module
/// docs). `headers` supply `Retry-After` for errors.
pub fn decode<T: DeserializeOwned>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Success<T>, ResponseError> {
    let api_error =
        |errors, messages| ResponseError::Api(ApiError { status, errors, messages, retry_after: retry_after(headers) });

    // JSON is UTF-8 (RFC 8259): checking it once lets serde_json trust every string it
    // reads, and keeps one parser, not two, in the binary.
    let text = std::str::from_utf8(body).ok().filter(|text| is_object(text));

    if !status.is_success() {
        return Err(match text.map(serde_json::from_str::<Shell>) {
            Some(Ok(shell)) if shell.success.is_some() || shell.errors.is_some() => {
                api_error(shell.errors.map(|e| e.0).unwrap_or_default(), shell.messages)
            }
            _ => ResponseError::Http(HttpError { status, body: body.to_vec(), retry_after: retry_after(headers) }),
        });
    }

    let Some(text) = text else {
        return Err(decode_error(status, body, ".".into(), "the body is not a UTF-8 JSON object".into()));
    };
    let envelope = match serde_json::from_str::<Envelope<T>>(text) {
        Ok(envelope) => envelope,
        Err(_) => match serde_json::from_str::<Shell>(text) {
            // `result` did not fit, but the envelope says the call failed: that is what counts.
            Ok(shell) if shell.success == Some(false) => {
                return Err(api_error(shell.errors.map(|e| e.0).unwrap_or_default(), shell.messages));
            }
            // Decode again, tracking the path, only to say where it went wrong.
            _ => {
                let (path, reason) = match serde_path_to_error::deserialize::<_, Envelope<T>>(
                    &mut serde_json::Deserializer::from_str(text),
                ) {
                    Err(e) => (e.path().to_string(), e.into_inner().to_string()),
                    // Unreachable: the same bytes failed the same decoder just above.
                    Ok(_) => (".".into(), "the body is not a JSON envelope".into()),
                };
                return Err(decode_error(status, body, path, reason));
            }
        },
    };
    match envelope {
        env if env.success == Some(false) => Err(api_error(env.errors, env.messages)),
        Envelope { result: Some(result), result_info, messages, .. } => Ok(Success { result, result_info, messages }),
        _ => Err(decode_error(status, body, "result".into(), "`result` is missing or null".into())),
    }
}

/// Serde's derived structs also read a JSON array (`[false]` as `success: false`), but an
/// envelope is always an object.
fn is_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{')
}

fn decode_error(status: StatusCode, body: &[u8], path: String, reason: String) -> ResponseError {
    ResponseError::Decode(DecodeError { status, path, reason, body: body.to_vec() })
}

/// [`decode`] for an `http::Response` whose body is any bytes.
pub fn decode_response<T: DeserializeOwned, B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<Success<T>, ResponseError> {
    decode(response.status(), response.headers(), response.body().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_message_items_are_kept_not_fatal() {
        let body = br#"{"success":false,"errors":[{"code":"971","message":"slow down"},{"code":18446744073709551615,"message":"big"},{"code":1000,"message":"ok","error_chain":[{"code":1.5}]}],"messages":null,"result":null}"#;
        let Err(ResponseError::Api(e)) =
            decode::<serde_json::Value>(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body)
        else {
            panic!("an API error");
        };
        assert_eq!(e.errors.len(), 3);
        assert_eq!(e.errors[0].code, 0);
        assert!(e.errors[0].message.contains("\"971\"") && e.errors[0].message.contains("slow down"));
        assert!(e.errors[1].message.contains("18446744073709551615"));
        assert_eq!(e.errors[2].code, 1000);
        assert_eq!(e.errors[2].error_chain[0].message, r#"{"code":1.5}"#);

        let ok = br#"{"success":true,"errors":[],"messages":[{"code":"x"}],"result":1}"#;
        let s = decode::<u8>(StatusCode::OK, &HeaderMap::new(), ok).unwrap();
        assert_eq!((s.result, s.messages.len()), (1, 1));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_not_json() {
        // RFC 8259: JSON is UTF-8. A stray byte anywhere, even in a value nobody reads, makes
        // a success body a decode error and an error body an HTTP error, bytes kept.
        let mut body = br#"{"success":true,"unknown":"x","result":"ok"}"#.to_vec();
        body[27] = 0xff;
        let Err(ResponseError::Decode(e)) = decode::<String>(StatusCode::OK, &HeaderMap::new(), &body) else {
            panic!("a decode error");
        };
        assert_eq!((e.path.as_str(), &e.body), (".", &body));
        let mut body = br#"{"success":false,"x":"?","errors":[{"code":1000,"message":"no"}],"result":null}"#.to_vec();
        body[22] = 0xff;
        let Err(ResponseError::Http(e)) = decode::<String>(StatusCode::BAD_REQUEST, &HeaderMap::new(), &body) else {
            panic!("an HTTP error");
        };
        assert_eq!(e.body, body);
        // Trailing bytes after the envelope are refused, UTF-8 or not.
        for tail in [&b" x"[..], &b" \xff"[..]] {
            let body = [&br#"{"success":true,"result":"ok"}"#[..], tail].concat();
            assert!(matches!(
                decode::<String>(StatusCode::OK, &HeaderMap::new(), &body),
                Err(ResponseError::Decode(_))
            ));
        }
        // Valid UTF-8 beyond ASCII decodes the same either way.
        let s = decode::<String>(StatusCode::OK, &HeaderMap::new(), r#"{"result":"é \u00e9 😀"}"#.as_bytes()).unwrap();
        assert_eq!(s.result, "é é 😀");
    }
}
