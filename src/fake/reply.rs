//! The fake's answers: the v4 envelope, its errors, and the edge's HTML pages.

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;

use crate::message::{ApiMessage, ErrorSource};
use crate::model::ResultInfo;

/// The envelope as the API writes it: `errors` and `messages` always arrays, `result`
/// always present (`null` on failure).
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    success: bool,
    errors: &'a [ApiMessage],
    messages: &'a [ApiMessage],
    result: Option<&'a T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_info: Option<ResultInfo>,
}

/// A `200` success with `result` (and `result_info` for collections).
pub(crate) fn success<T: Serialize>(result: &T, result_info: Option<ResultInfo>) -> Response<Vec<u8>> {
    let env = Envelope { success: true, errors: &[], messages: &[], result: Some(result), result_info };
    json(StatusCode::OK, &env)
}

/// An error envelope.
pub(crate) fn failure(status: StatusCode, errors: Vec<ApiMessage>) -> Response<Vec<u8>> {
    let env: Envelope<'_, ()> =
        Envelope { success: false, errors: &errors, messages: &[], result: None, result_info: None };
    json(status, &env)
}

/// An error envelope with one error.
pub(crate) fn error(status: StatusCode, code: i64, message: impl Into<String>) -> Response<Vec<u8>> {
    failure(status, vec![ApiMessage::new(code, message)])
}

/// An error envelope with one error that points into the request body.
pub(crate) fn error_at(status: StatusCode, code: i64, message: impl Into<String>, pointer: &str) -> Response<Vec<u8>> {
    let mut m = ApiMessage::new(code, message);
    m.source = Some(ErrorSource { pointer: Some(pointer.to_string()) });
    failure(status, vec![m])
}

/// An error with its causes nested under `error_chain` (as `6003` carries `6111`).
pub(crate) fn chained(status: StatusCode, code: i64, message: &str, chain: Vec<ApiMessage>) -> Response<Vec<u8>> {
    let mut m = ApiMessage::new(code, message);
    m.error_chain = chain;
    failure(status, vec![m])
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Vec<u8>> {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_type(status, "application/json", bytes),
        // Only a date outside RFC 3339's years could get here; answer as the API would.
        Err(_) => with_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            br#"{"success":false,"errors":[{"code":10001,"message":"Internal server error"}],"messages":[],"result":null}"#
                .to_vec(),
        ),
    }
}

/// A response with a body of the given content type.
pub(crate) fn with_type(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The page Cloudflare's edge serves when the origin fails: HTML, not an envelope.
pub(crate) fn html(status: StatusCode) -> Response<Vec<u8>> {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    );
    with_type(status, "text/html", body.into_bytes())
}

/// `Retry-After` in whole seconds, at least one.
pub(crate) fn set_retry_after(response: &mut Response<Vec<u8>>, seconds: u64) {
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
}
