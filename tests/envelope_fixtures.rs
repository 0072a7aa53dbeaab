//! Recorded-shape fixtures through the public decoding API: the OpenAPI document's examples
//! assembled into full envelopes, and the error shapes seen in the wild (API-NOTES.md).

use std::time::Duration;

use cloudflare_mtls::http::{HeaderMap, Response, StatusCode};
use cloudflare_mtls::time::macros::datetime;
use cloudflare_mtls::{
    AccountId, Association, Associations, Certificate, CertificateId, CertificateType, Delete, Deleted, Endpoint, Get,
    List, ResponseError, ResultInfo, Upload, decode, decode_response,
};

const GET: &str = include_str!("fixtures/get-certificate.json");
const UPLOAD: &str = include_str!("fixtures/upload-certificate.json");
const LIST: &str = include_str!("fixtures/list-certificates.json");
const ASSOCIATIONS: &str = include_str!("fixtures/associations.json");
const ERROR_CHAIN: &str = include_str!("fixtures/error-chain.json");
const SUCCESS_FALSE: &str = include_str!("fixtures/success-false-200.json");
const ERRORS_NULL: &str = include_str!("fixtures/errors-null.json");
const LARGE_CODES: &str = include_str!("fixtures/large-codes.json");
const FORWARD: &str = include_str!("fixtures/forward-compatible.json");
const UNKNOWN_ERROR_FIELDS: &str = include_str!("fixtures/unknown-error-fields.json");
const RESULT_MISMATCH: &str = include_str!("fixtures/result-mismatch.json");
/// The PEM of the OpenAPI example, as the API returns it (one line of base64).
const EXAMPLE_PEM_PREFIX: &str = "-----BEGIN CERTIFICATE-----\nMIIDmDCCAoCgAwIBAgIUKTOAZNjcXVZRj4oQt0SHsl1c1vMw";

/// An HTML error page from the edge, as a 502 carries it.
const HTML_502: &[u8] = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

/// The calls whose responses the fixtures are: the fixtures' certificate is this ID.
const FIXTURE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

fn ids() -> (AccountId, CertificateId) {
    (AccountId::new(FIXTURE_ID).unwrap(), CertificateId::new(FIXTURE_ID).unwrap())
}

fn get() -> Get {
    let (account, id) = ids();
    Get::new(account, id)
}

fn delete() -> Delete {
    let (account, id) = ids();
    Delete::new(account, id)
}

fn list() -> List {
    List::new(ids().0)
}

fn upload() -> Upload {
    Upload::ca(ids().0, "")
}

fn associations() -> Associations {
    let (account, id) = ids();
    Associations::new(account, id)
}

fn response(status: u16, body: &str) -> Response<&[u8]> {
    with_headers(status, &[], body.as_bytes())
}

fn with_headers<'b>(status: u16, headers: &[(&str, &str)], body: &'b [u8]) -> Response<&'b [u8]> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).unwrap()
}

fn api_error(result: Result<impl std::fmt::Debug, ResponseError>) -> cloudflare_mtls::ApiError {
    match result {
        Err(ResponseError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Every field of the OpenAPI example certificate, typed.
fn assert_is_the_example(cert: &Certificate) {
    assert_eq!(cert.id.as_ref().unwrap().as_str(), "023e105f4ecef8ad9ca31a8372d0c353");
    assert_eq!(cert.ca, Some(true));
    assert!(cert.certificates.as_deref().unwrap().starts_with(EXAMPLE_PEM_PREFIX));
    assert!(cert.certificates.as_deref().unwrap().ends_with("-----END CERTIFICATE-----"));
    // Without fractional seconds.
    assert_eq!(cert.expires_on.map(|t| t.get()), Some(datetime!(2122-10-29 16:59:47 UTC)));
    assert_eq!(cert.issuer.as_deref(), Some("O=Example Inc.,L=California,ST=San Francisco,C=US"));
    assert_eq!(cert.name.as_deref(), Some("example_ca_cert"));
    // Far wider than 64 bits: kept as text, digit for digit.
    assert_eq!(cert.serial_number.as_deref(), Some("235217144297995885180570755458463043449861756659"));
    assert_eq!(cert.signature.as_deref(), Some("SHA256WithRSA"));
    // With fractional seconds, to the microsecond.
    assert_eq!(cert.uploaded_on.map(|t| t.get()), Some(datetime!(2022-11-22 17:32:30.467938 UTC)));
    assert_eq!(cert.kind, Some(CertificateType::Custom));
}

#[test]
fn get_and_delete_decode_every_field_of_the_example() {
    let cert = get().parse_response(&response(200, GET)).unwrap();
    assert_is_the_example(&cert);
    assert_eq!(cert.updated_at, None, "updated_at comes with uploads only");
    assert_eq!(delete().parse_response(&response(200, GET)).unwrap(), Deleted::Returned(cert.clone()));
    assert!(
        cert.expires_within(cloudflare_mtls::time::Duration::ZERO, datetime!(2122-10-29 16:59:47 UTC)),
        "expiring at that instant"
    );
    assert!(!cert.expires_within(cloudflare_mtls::time::Duration::ZERO, datetime!(2122-10-29 16:59:46 UTC)));
    assert!(cert.expires_within(cloudflare_mtls::time::Duration::seconds(1), datetime!(2122-10-29 16:59:46 UTC)));
    assert_eq!(cert.days_left(datetime!(2122-10-28 16:59:47 UTC)), Some(1));
    assert_eq!(cert.expiry().to_string(), "2122-10-29T16:59:47Z");
    assert_eq!(cert.to_string(), "example_ca_cert (023e105f4ecef8ad9ca31a8372d0c353)");
}

#[test]
fn upload_decodes_updated_at() {
    let cert = upload().parse_response(&response(200, UPLOAD)).unwrap();
    assert_is_the_example(&cert);
    assert_eq!(cert.updated_at.map(|t| t.get()), Some(datetime!(2022-11-22 17:32:30.467938 UTC)));
}

#[test]
fn list_decodes_certificates_and_result_info() {
    let page = list().parse_response(&response(200, LIST)).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_is_the_example(&page.items[0]);
    assert_eq!(page.result_info, Some(ResultInfo::for_page(1, 50, 1, 1)));
    // The same bytes through `decode` directly: informational messages come along.
    let success = decode::<Vec<Certificate>>(StatusCode::OK, &HeaderMap::new(), LIST.as_bytes()).unwrap();
    assert_eq!(success.result, page.items);
    assert!(success.messages.is_empty());
}

#[test]
fn associations_decode_with_result_info_without_total_pages() {
    let page = associations().parse_response(&response(200, ASSOCIATIONS)).unwrap();
    assert_eq!(page.items, vec![Association::new("gateway", "pending_deployment")]);
    let info = page.result_info.unwrap();
    assert_eq!((info.page, info.per_page, info.count, info.total_count), (Some(1), Some(20), Some(1), Some(2000)));
    assert_eq!(info.total_pages, None);
}

#[test]
fn error_chain_with_source_and_documentation_url() {
    let body = ERROR_CHAIN.as_bytes();
    let err = decode::<Certificate>(StatusCode::BAD_REQUEST, &HeaderMap::new(), body).unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(err.body(), None, "an API error is decoded, not kept as bytes");
    let api = err.api().unwrap();
    assert_eq!(api.errors.len(), 1);
    let top = &api.errors[0];
    assert_eq!(top.code, 6003);
    assert_eq!(top.message, "Invalid request headers");
    assert_eq!(
        top.documentation_url.as_deref(),
        Some("https://developers.cloudflare.com/fundamentals/api/get-started/create-token/")
    );
    assert_eq!(top.source.as_ref().and_then(|s| s.pointer.as_deref()), Some("/headers/authorization"));
    assert_eq!(top.error_chain.len(), 1);
    assert_eq!(top.error_chain[0].code, 6111);
    assert_eq!(top.error_chain[0].message, "Invalid format for Authorization header");
    assert!(top.error_chain[0].error_chain.is_empty());
    assert_eq!(api.codes().collect::<Vec<_>>(), vec![6003, 6111]);
    // 6111 is an authentication code even though the status is 400.
    assert!(err.is_auth_error());
    assert!(!err.is_not_found() && !err.is_rate_limited());
    let shown = err.to_string();
    for part in ["400", "6003 Invalid request headers", "(at /headers/authorization)", "caused by 6111"] {
        assert!(shown.contains(part), "{part:?} missing from {shown:?}");
    }
}

#[test]
fn null_errors_and_messages_are_empty() {
    let success = decode::<Certificate>(StatusCode::OK, &HeaderMap::new(), ERRORS_NULL.as_bytes()).unwrap();
    assert!(success.messages.is_empty());
    assert_eq!(success.result.name.as_deref(), Some("example_ca_cert"));
    // The same nulls in a failure: an API error with no detail, not a decode failure.
    let failure = br#"{"success":false,"errors":null,"messages":null,"result":null}"#;
    for status in [200, 403, 500] {
        let api = api_error(get().parse_response(&with_headers(status, &[], failure)));
        assert_eq!(api.status.as_u16(), status);
        assert!(api.errors.is_empty() && api.messages.is_empty());
        assert!(api.to_string().contains("no error detail"), "{api}");
    }
    // `errors: null` alone marks a non-2xx body as an envelope.
    let api = api_error(get().parse_response(&with_headers(404, &[], br#"{"errors":null}"#)));
    assert!(api.errors.is_empty());
}

#[test]
fn a_200_with_success_false_is_an_api_error() {
    let err = get().parse_response(&response(200, SUCCESS_FALSE)).unwrap_err();
    assert_eq!(err.status(), StatusCode::OK);
    let api = err.api().unwrap();
    assert_eq!(api.errors.len(), 1);
    assert_eq!((api.errors[0].code, api.errors[0].message.as_str()), (7003, "No route for the URI"));
    // Even when `result` would not fit the model: the flag decides.
    let odd = br#"{"success":false,"errors":[{"code":7003,"message":"x"}],"result":"not a certificate"}"#;
    assert_eq!(api_error(get().parse_response(&with_headers(200, &[], odd))).errors[0].code, 7003);
}

#[test]
fn an_html_502_is_an_http_error_keeping_exact_bytes() {
    let headers = [("content-type", "text/html"), ("retry-after", "30")];
    for status in [502, 503, 504] {
        match list().parse_response(&with_headers(status, &headers, HTML_502)) {
            Err(ResponseError::Http(e)) => {
                assert_eq!(e.status.as_u16(), status);
                assert_eq!(e.body, HTML_502);
                assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
                let shown = e.to_string();
                assert!(shown.contains(&format!("HTTP {status}")) && shown.contains("502 Bad Gateway"), "{shown}");
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let err = get().parse_response(&with_headers(502, &[], HTML_502)).unwrap_err();
    assert_eq!(err.body(), Some(HTML_502));
    assert_eq!(err.retry_after(), None);
}

#[test]
fn codes_wider_than_16_bits_and_near_i64_max() {
    let api = api_error(get().parse_response(&response(400, LARGE_CODES)));
    let codes: Vec<i64> = api.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![1_000_001, i64::MAX - 1]);
    assert_eq!(api.messages[0].code, 65536);
    let at_max = format!(r#"{{"success":false,"errors":[{{"code":{},"message":"max"}}]}}"#, i64::MAX);
    assert_eq!(api_error(get().parse_response(&response(429, &at_max))).errors[0].code, i64::MAX);
}

#[test]
fn a_new_type_and_unknown_fields_at_every_level_are_tolerated() {
    let success = decode::<Certificate>(StatusCode::OK, &HeaderMap::new(), FORWARD.as_bytes()).unwrap();
    let cert = success.result;
    assert_eq!(cert.kind, Some(CertificateType::Other("mesh_managed".into())));
    assert_eq!(cert.kind.as_ref().unwrap().as_str(), "mesh_managed");
    assert_eq!(cert.name.as_deref(), Some("mesh-root"));
    assert_eq!(cert.expires_on.map(|t| t.get()), Some(datetime!(2030-01-01 0:00 UTC)));
    assert_eq!(success.result_info, None, "`result_info: null` is no result_info");
    assert_eq!(success.messages.len(), 1);
    assert_eq!(success.messages[0].code, 10500);
    // Unknown fields inside an error, and `error_chain: null`.
    let api = api_error(delete().parse_response(&response(400, UNKNOWN_ERROR_FIELDS)));
    assert_eq!(api.errors.len(), 1);
    assert_eq!((api.errors[0].code, api.errors[0].message.as_str()), (1001, "certificate is in use"));
    assert!(api.errors[0].error_chain.is_empty());
}

#[test]
fn an_empty_body() {
    // 2xx: the body does not fit (no envelope); the (empty) bytes are kept.
    match get().parse_response(&with_headers(200, &[], b"")) {
        Err(ResponseError::Decode(e)) => {
            assert_eq!(e.status, StatusCode::OK);
            assert!(e.body.is_empty());
            assert_eq!(e.path, ".", "the whole body");
        }
        other => panic!("{other:?}"),
    }
    // Non-2xx: an HTTP error with the status.
    match delete().parse_response(&with_headers(404, &[], b"")) {
        Err(ResponseError::Http(e)) => {
            assert_eq!(e.status, StatusCode::NOT_FOUND);
            assert!(e.body.is_empty());
            assert_eq!(e.to_string(), "HTTP 404 Not Found with a body that is not an API response (0 bytes)");
        }
        other => panic!("{other:?}"),
    }
    // An envelope without `result` on a 2xx is a decode error naming `result`.
    match get().parse_response(&with_headers(200, &[], br#"{"success":true,"errors":[],"messages":[]}"#)) {
        Err(ResponseError::Decode(e)) => assert_eq!(e.path, "result"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_json_array_is_not_an_envelope() {
    // Serde would read `[false]` as a struct `{success: false}`; the decoder must not.
    for body in [&b"[false]"[..], b" [true, null, null, {\"id\": \"abc\"}]", b"[]", b"\"text\"", b"null"] {
        match get().parse_response(&with_headers(200, &[], body)) {
            Err(ResponseError::Decode(e)) => assert_eq!((e.path.as_str(), e.body.as_slice()), (".", body)),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
        match get().parse_response(&with_headers(502, &[], body)) {
            Err(ResponseError::Http(e)) => assert_eq!(e.body, body),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    // Leading whitespace before the object is fine.
    let spaced = format!(" \r\n\t{GET}");
    assert!(get().parse_response(&response(200, &spaced)).is_ok());
}

#[test]
fn a_json_object_that_is_not_an_envelope_on_an_error_status_is_an_http_error() {
    // A proxy's or a load balancer's own JSON (no `success`, no `errors`) is not the API
    // speaking: it must not read as an API error with no errors, which would hide the body.
    for body in [&br#"{"foo": 1}"#[..], br#"{"error": "upstream timed out", "messages": []}"#, b"{}"] {
        match get().parse_response(&with_headers(502, &[], body)) {
            Err(ResponseError::Http(e)) => assert_eq!((e.status, e.body.as_slice()), (StatusCode::BAD_GATEWAY, body)),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    // Either key alone makes it the API's envelope, even when the other is missing.
    for body in [&br#"{"success": false}"#[..], br#"{"errors": null}"#] {
        let e = api_error(get().parse_response(&with_headers(502, &[], body)));
        assert!(e.errors.is_empty(), "{:?}", String::from_utf8_lossy(body));
    }
}

#[test]
fn a_result_that_does_not_fit_names_its_json_path_and_keeps_the_bytes() {
    match list().parse_response(&response(200, RESULT_MISMATCH)) {
        Err(ResponseError::Decode(e)) => {
            assert_eq!(e.status, StatusCode::OK);
            assert_eq!(e.path, "result[1].expires_on");
            assert_eq!(e.body, RESULT_MISMATCH.as_bytes());
            let shown = e.to_string();
            assert!(shown.contains("result[1].expires_on"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    // A certificate where a list belongs, and an invalid ID inside a result.
    let single_for_list = GET.as_bytes();
    match decode::<Vec<Certificate>>(StatusCode::OK, &HeaderMap::new(), single_for_list) {
        Err(ResponseError::Decode(e)) => assert_eq!((e.path.as_str(), e.body.as_slice()), ("result", single_for_list)),
        other => panic!("{other:?}"),
    }
    let bad_id = br#"{"success":true,"result":{"id":"../../etc"}}"#;
    match get().parse_response(&with_headers(201, &[], bad_id)) {
        Err(ResponseError::Decode(e)) => {
            assert_eq!(e.status, StatusCode::CREATED);
            assert_eq!(e.path, "result.id");
            assert!(e.reason.contains("certificate ID"), "{}", e.reason);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_after_is_surfaced_on_api_and_http_errors() {
    let limited = br#"{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}"#;
    let err = list().parse_response(&with_headers(429, &[("retry-after", "17")], limited)).unwrap_err();
    assert!(matches!(err, ResponseError::Api(_)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(17)));
    assert!(err.is_rate_limited());
    assert!(err.to_string().contains("retry after 17 s"), "{err}");
    // `retry-after-ms` and the HTTP-date form (measured from the response's own Date).
    let ms = list().parse_response(&with_headers(429, &[("retry-after-ms", "250")], limited)).unwrap_err();
    assert_eq!(ms.retry_after(), Some(Duration::from_millis(250)));
    let dated = [("retry-after", "Wed, 21 Oct 2015 07:28:45 GMT"), ("date", "Wed, 21 Oct 2015 07:28:00 GMT")];
    let err = list().parse_response(&with_headers(503, &dated, HTML_502)).unwrap_err();
    assert!(matches!(err, ResponseError::Http(_)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(45)));
    // No header, no wait.
    assert_eq!(list().parse_response(&with_headers(429, &[], limited)).unwrap_err().retry_after(), None);
}

#[test]
fn predicates() {
    let not_found = br#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /accounts/x/mtls_certificates/y, perhaps your object identifier is invalid?"}],"messages":[],"result":null}"#;
    let auth =
        br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#;
    let unauthorized = br#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}],"messages":[],"result":null}"#;
    let rate = br#"{"success":false,"errors":[{"code":971,"message":"Please wait"}]}"#;

    let e = get().parse_response(&with_headers(404, &[], not_found)).unwrap_err();
    assert!(e.is_not_found() && !e.is_auth_error() && !e.is_rate_limited());
    // A 404 HTML page from the edge is still "not found".
    assert!(get().parse_response(&with_headers(404, &[], b"<h1>Not Found</h1>")).unwrap_err().is_not_found());
    // 7003 under 400 is a bad identifier, not a missing resource.
    assert!(!get().parse_response(&with_headers(400, &[], not_found)).unwrap_err().is_not_found());

    let e = get().parse_response(&with_headers(403, &[], auth)).unwrap_err();
    assert!(e.is_auth_error() && !e.is_not_found() && !e.is_rate_limited());
    assert!(get().parse_response(&with_headers(401, &[], b"")).unwrap_err().is_auth_error());
    // The code counts even when the status does not say so.
    assert!(get().parse_response(&with_headers(200, &[], unauthorized)).unwrap_err().is_auth_error());

    // Code 971 is rate limiting under any status; 429 is whatever the body.
    let e = get().parse_response(&with_headers(400, &[], rate)).unwrap_err();
    assert!(e.is_rate_limited() && !e.is_auth_error());
    assert!(get().parse_response(&with_headers(429, &[], b"slow down")).unwrap_err().is_rate_limited());

    // A plain server error is none of them.
    let e = get().parse_response(&with_headers(500, &[], HTML_502)).unwrap_err();
    assert!(!e.is_not_found() && !e.is_auth_error() && !e.is_rate_limited());
    assert_eq!(e.retry_after(), None);
}

#[test]
fn decode_response_matches_decode() {
    let r = with_headers(200, &[], GET.as_bytes());
    let via_response = decode_response::<Certificate, _>(&r).unwrap();
    let direct = decode::<Certificate>(StatusCode::OK, &HeaderMap::new(), GET.as_bytes()).unwrap();
    assert_eq!(via_response, direct);
}
