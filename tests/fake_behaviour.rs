//! The fake's behaviour table (see `cloudflare_mtls::fake`), one test per row, through the
//! Sans-IO `FakeApi::handle`: requests built by the core's calls, answers decoded by the
//! core. No socket.
#![cfg(all(feature = "fake", not(all(target_arch = "wasm32", target_os = "unknown"))))]

#[path = "support/uuid.rs"]
mod uuid;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use cloudflare_mtls::fake::{Disconnect, FakeApi, Fault};
use cloudflare_mtls::time::OffsetDateTime;
use cloudflare_mtls::time::macros::datetime;
use cloudflare_mtls::{
    AccountId, ApiError, Association, Associations, BlockingClient, Certificate, CertificateId, CertificateType,
    Config, Credentials, Delete, Deleted, Endpoint, Get, Hostname, Hostnames, List, ReplaceHostnames, ResponseError,
    Upload, ZoneId,
};
use http::{HeaderValue, Request, Response, StatusCode};
use proptest::prelude::*;

const TOKEN: &str = "fake-token_0123";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const NOW: OffsetDateTime = datetime!(2026-03-04 05:06:07.123456 UTC);

const OPENAPI_CA: &str = include_str!("fixtures/openapi-example-ca.pem");
const OPENAPI_KEY: &str = include_str!("fixtures/openapi-example-key.pem");
const CA_P256: &str = include_str!("fixtures/ca-p256.pem");
const CA_P256_KEY: &str = include_str!("fixtures/ca-p256-key.pem");
const INTERMEDIATE: &str = include_str!("fixtures/intermediate-p256.pem");
const LEAF: &str = include_str!("fixtures/leaf-p256.pem");
const LEAF_KEY: &str = include_str!("fixtures/leaf-p256-key.pem");
const CHAIN: &str = include_str!("fixtures/chain-p256.pem");
const CA_RSA: &str = include_str!("fixtures/ca-rsa2048.pem");
const CA_RSA_KEY: &str = include_str!("fixtures/ca-rsa2048-key.pem");
const EXPIRED: &str = include_str!("fixtures/expired-p256.pem");

fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn config() -> Config {
    Config::new(Credentials::api_token(TOKEN).unwrap())
}

fn api() -> FakeApi {
    FakeApi::new(TOKEN, account())
}

/// Builds `call`'s request with the core, has the fake answer it, decodes with the core.
fn call<E: Endpoint>(api: &mut FakeApi, call: &E) -> Result<E::Output, ResponseError> {
    call.parse_response(&api.handle(&call.to_request(&config()).unwrap(), NOW))
}

fn upload(api: &mut FakeApi, pem: &str, name: &str) -> Certificate {
    // The fake takes any certificate as a CA, as the API does; the library's check would not.
    call(api, &Upload::ca(account(), pem).with_name(name).without_ca_check()).unwrap().into_inner()
}

/// An upload request whose JSON body is `body`, bypassing the core's local PEM checks.
fn upload_with_body(body: serde_json::Value) -> Request<Vec<u8>> {
    let mut request = Upload::ca(account(), OPENAPI_CA).to_request(&config()).unwrap();
    *request.body_mut() = serde_json::to_vec(&body).unwrap();
    request
}

/// The API error of a response, asserting its status and its first code.
fn api_error(response: &Response<Vec<u8>>, status: u16, code: i64) -> ApiError {
    match Get::new(account(), CertificateId::new("any").unwrap()).parse_response(response) {
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.status.as_u16(), status, "{e}");
            assert_eq!(e.errors.first().map(|m| m.code), Some(code), "{e}");
            e
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn expect_api<T: std::fmt::Debug>(result: Result<T, ResponseError>, status: u16, code: i64) -> ApiError {
    match result {
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.status.as_u16(), status, "{e}");
            assert_eq!(e.errors.first().map(|m| m.code), Some(code), "{e}");
            e
        }
        other => panic!("expected API error {code}, got {other:?}"),
    }
}

fn raw(method: &str, uri: &str) -> Request<Vec<u8>> {
    let mut request = Request::builder().method(method).uri(uri).body(Vec::new()).unwrap();
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap());
    request
}

fn cert_id(c: &Certificate) -> CertificateId {
    c.id.clone().unwrap()
}

// ---- routes ----------------------------------------------------------------------------

#[test]
fn a_path_outside_the_routes_gets_no_route_7000() {
    let mut api = api();
    for uri in [
        "https://api.cloudflare.com/client/v4/zones",
        "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353",
        "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificate",
        "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificates/a/b",
        "https://api.cloudflare.com/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificates",
        "https://api.cloudflare.com/",
    ] {
        let e = api_error(&api.handle(&raw("GET", uri), NOW), 400, 7000);
        assert_eq!(e.errors[0].message, "No route for that URI");
    }
    // No credentials at all: the route is checked first, as the API does.
    let mut request = raw("GET", "https://api.cloudflare.com/client/v4/nothing");
    request.headers_mut().clear();
    api_error(&api.handle(&request, NOW), 400, 7000);
}

#[test]
fn a_known_path_with_another_method_gets_7001_and_allow() {
    let mut api = api();
    let base = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates");
    for (method, uri, allow) in [
        ("PUT", base.clone(), "GET, POST"),
        ("DELETE", base.clone(), "GET, POST"),
        ("POST", format!("{base}/abc"), "GET, DELETE"),
        ("PATCH", format!("{base}/abc"), "GET, DELETE"),
        ("DELETE", format!("{base}/abc/associations"), "GET"),
        ("POST", "https://api.cloudflare.com/client/v4/memberships".to_string(), "GET"),
    ] {
        let response = api.handle(&raw(method, &uri), NOW);
        assert_eq!(response.headers().get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {uri}");
        api_error(&response, 405, 7001);
    }
}

#[test]
fn an_identifier_that_is_no_identifier_gets_7003() {
    let mut api = api();
    let base = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates");
    for uri in [
        format!("{base}/a%2Fb"),
        format!("{base}/..%2Fx/associations"),
        "https://api.cloudflare.com/client/v4/accounts/%20/mtls_certificates".to_string(),
    ] {
        let e = api_error(&api.handle(&raw("GET", &uri), NOW), 400, 7003);
        assert!(e.errors[0].message.contains("perhaps your object identifier is invalid"), "{e}");
    }
}

#[test]
fn one_trailing_slash_is_forgiven() {
    let mut api = api();
    let uri = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates/");
    let page = List::new(account()).parse_response(&api.handle(&raw("GET", &uri), NOW)).unwrap();
    assert!(page.items.is_empty());
}

// ---- authentication --------------------------------------------------------------------

fn list_request() -> Request<Vec<u8>> {
    List::new(account()).to_request(&config()).unwrap()
}

#[test]
fn no_credentials_get_9106() {
    let mut request = list_request();
    request.headers_mut().remove("authorization");
    let e = api_error(&api().handle(&request, NOW), 400, 9106);
    assert_eq!(e.errors[0].message, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
    assert!(ResponseError::Api(e).is_auth_error());
}

#[test]
fn a_malformed_authorization_header_gets_6003_with_6111() {
    for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer two words", "Bearer tök", TOKEN] {
        let mut request = list_request();
        request.headers_mut().insert("authorization", HeaderValue::from_bytes(value.as_bytes()).unwrap());
        let e = api_error(&api().handle(&request, NOW), 400, 6003);
        assert_eq!(e.errors[0].message, "Invalid request headers");
        assert_eq!(e.errors[0].error_chain.iter().map(|m| m.code).collect::<Vec<_>>(), [6111], "{value:?}");
        assert!(ResponseError::Api(e).is_auth_error());
    }
}

#[test]
fn a_wrong_token_gets_10000() {
    let wrong = Config::new(Credentials::api_token("another-token").unwrap());
    let response = api().handle(&List::new(account()).to_request(&wrong).unwrap(), NOW);
    let e = api_error(&response, 403, 10000);
    assert_eq!(e.errors[0].message, "Authentication error");
    // The scheme is case-insensitive, the token is not.
    let mut request = list_request();
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("bearer {TOKEN}")).unwrap());
    assert!(List::new(account()).parse_response(&api().handle(&request, NOW)).is_ok());
    request.headers_mut().insert("authorization", HeaderValue::from_str("Bearer FAKE-TOKEN_0123").unwrap());
    api_error(&api().handle(&request, NOW), 403, 10000);
}

#[test]
fn a_global_key_works_when_configured_and_is_checked_like_the_api() {
    let mut api = api().with_global_key("me@example.com", "0123456789abcdef0123456789abcdef01234");
    let with = |email: &str, key: &str| Config::new(Credentials::global_key(email, key).unwrap());
    let list = List::new(account());
    let good = with("me@example.com", "0123456789abcdef0123456789abcdef01234");
    assert!(List::new(account()).parse_response(&api.handle(&list.to_request(&good).unwrap(), NOW)).is_ok());

    let wrong_key = with("me@example.com", "fffff");
    let e = api_error(&api.handle(&list.to_request(&wrong_key).unwrap(), NOW), 403, 9103);
    assert_eq!(e.errors[0].message, "Unknown X-Auth-Key or X-Auth-Email");
    let wrong_email = with("you@example.com", "0123456789abcdef0123456789abcdef01234");
    api_error(&api.handle(&list.to_request(&wrong_email).unwrap(), NOW), 403, 9103);

    // A key with spaces is refused by the client before anything is sent (issue 27, item 15);
    // a raw request that carries one anyway gets the API's answer from the fake.
    assert!(Credentials::global_key("not-an-email", "key with spaces").is_err());
    let mut malformed = list.to_request(&good).unwrap();
    malformed.headers_mut().insert("x-auth-email", http::HeaderValue::from_static("not-an-email"));
    malformed.headers_mut().insert("x-auth-key", http::HeaderValue::from_static("key with spaces"));
    let e = api_error(&api.handle(&malformed, NOW), 400, 6003);
    assert_eq!(e.errors[0].error_chain.iter().map(|m| m.code).collect::<Vec<_>>(), [6102, 6103]);
    // A key without its email.
    let mut request = list.to_request(&good).unwrap();
    request.headers_mut().remove("x-auth-email");
    let e = api_error(&api.handle(&request, NOW), 400, 6003);
    assert_eq!(e.errors[0].error_chain.iter().map(|m| m.code).collect::<Vec<_>>(), [6102]);
    // Without `with_global_key`, a well-formed key is simply unknown.
    api_error(&self::api().handle(&list.to_request(&good).unwrap(), NOW), 403, 9103);
}

#[test]
fn a_user_service_key_does_not_open_the_mtls_endpoints() {
    let config = Config::new(Credentials::user_service_key("v1.0-abc").unwrap());
    api_error(&api().handle(&List::new(account()).to_request(&config).unwrap(), NOW), 403, 10000);
}

#[test]
fn an_account_the_credentials_do_not_own_gets_9109() {
    let other = AccountId::new("ffffffffffffffffffffffffffffffff").unwrap();
    let e = expect_api(call(&mut api(), &List::new(other.clone())), 403, 9109);
    assert_eq!(e.errors[0].message, "Unauthorized to access requested resource");
    let mut api = api();
    let request = Upload::ca(other, OPENAPI_CA).to_request(&config()).unwrap();
    api_error(&api.handle(&request, NOW), 403, 9109);
    assert!(api.certificates().is_empty());
}

// ---- upload --------------------------------------------------------------------------------

#[test]
fn upload_describes_the_openapi_example_as_the_api_does() {
    let mut api = api();
    let cert = upload(&mut api, OPENAPI_CA, "example_ca_cert");
    assert_eq!(cert.issuer.as_deref(), Some("O=Example Inc.,L=California,ST=San Francisco,C=US"));
    assert_eq!(cert.serial_number.as_deref(), Some("235217144297995885180570755458463043449861756659"));
    assert_eq!(cert.signature.as_deref(), Some("SHA256WithRSA"));
    assert_eq!(cert.expires_on.map(|t| t.get()), Some(datetime!(2122-10-29 16:59:47 UTC)));
    assert_eq!(cert.name.as_deref(), Some("example_ca_cert"));
    assert_eq!(cert.ca, Some(true));
    assert_eq!(cert.kind, Some(CertificateType::Custom));
    assert_eq!(cert.uploaded_on.map(|t| t.get()), Some(NOW));
    assert_eq!(cert.updated_at.map(|t| t.get()), Some(NOW));
    assert_eq!(cert.certificates.as_deref(), Some(OPENAPI_CA));
    // Stored as a list shows it: no `updated_at` outside the upload's answer.
    let got = call(&mut api, &Get::new(account(), cert_id(&cert))).unwrap();
    let mut stored = cert;
    stored.updated_at = None;
    assert_eq!(got, stored);
}

#[test]
fn upload_reads_every_fixture_as_x509() {
    struct Case {
        pem: &'static str,
        issuer: &'static str,
        serial: &'static str,
        signature: &'static str,
        expires_in: i32,
    }
    let cases = [
        Case {
            // Written CN first in the certificate; Go prints its fixed order.
            pem: CA_P256,
            issuer: "CN=cloudflare-mtls Test Root CA,O=cloudflare-mtls tests,C=US",
            serial: "1001",
            signature: "ECDSAWithSHA256",
            expires_in: 2126,
        },
        Case {
            pem: INTERMEDIATE,
            issuer: "CN=cloudflare-mtls Test Root CA,O=cloudflare-mtls tests,C=US",
            serial: "4304037698233805689424051285878199998826414081",
            signature: "ECDSAWithSHA384",
            expires_in: 2126,
        },
        Case {
            pem: LEAF,
            issuer: "CN=cloudflare-mtls Test Intermediate CA,OU=Fixtures,O=cloudflare-mtls tests,L=San Francisco,ST=California,C=US",
            serial: "3003",
            signature: "ECDSAWithSHA256",
            expires_in: 2126,
        },
        Case {
            // A comma in a value is escaped (RFC 2253).
            pem: CA_RSA,
            issuer: r"CN=cloudflare-mtls Test RSA Root,O=cloudflare-mtls tests\, RSA,L=London,C=GB",
            serial: "4004",
            signature: "SHA256WithRSA",
            expires_in: 2126,
        },
        Case {
            // Expired certificates are accepted (a CA may still vouch for old leaves).
            pem: EXPIRED,
            issuer: "CN=cloudflare-mtls Expired CA,O=cloudflare-mtls tests",
            serial: "20485",
            signature: "ECDSAWithSHA256",
            expires_in: 2021,
        },
        Case {
            // A chain is described by its first certificate.
            pem: CHAIN,
            issuer: "CN=cloudflare-mtls Test Intermediate CA,OU=Fixtures,O=cloudflare-mtls tests,L=San Francisco,ST=California,C=US",
            serial: "3003",
            signature: "ECDSAWithSHA256",
            expires_in: 2126,
        },
    ];
    // Seven certificates uploaded as CAs (the helper's way), past the account's five.
    let mut api = api().with_ca_limit(cases.len());
    for (n, case) in cases.iter().enumerate() {
        let cert = upload(&mut api, case.pem, &format!("fixture-{n}"));
        assert_eq!(cert.issuer.as_deref(), Some(case.issuer), "case {n}");
        assert_eq!(cert.serial_number.as_deref(), Some(case.serial), "case {n}");
        assert_eq!(cert.signature.as_deref(), Some(case.signature), "case {n}");
        assert_eq!(cert.expires_on.map(|e| e.get().year()), Some(case.expires_in), "case {n}");
        assert_eq!(cert.certificates.as_deref(), Some(case.pem), "case {n}: already normalised PEM comes back as is");
    }
    assert_eq!(api.certificates().len(), cases.len());
}

#[test]
fn upload_takes_json_whatever_the_content_type() {
    for content_type in [Some("text/plain;charset=UTF-8"), Some("application/octet-stream"), None] {
        let mut api = api();
        let mut request = Upload::ca(account(), CA_P256).with_name("ct").to_request(&config()).unwrap();
        match content_type {
            Some(ct) => request.headers_mut().insert("content-type", HeaderValue::from_static(ct)),
            None => request.headers_mut().remove("content-type"),
        };
        let cert = Upload::ca(account(), "").parse_response(&api.handle(&request, NOW)).unwrap();
        assert_eq!(cert.name.as_deref(), Some("ct"), "{content_type:?}");
    }
}

#[test]
fn upload_normalises_the_pem() {
    let mut api = api();
    let crlf = format!("\r\n\r\n{}", LEAF.replace('\n', "\r\n"));
    let cert = upload(&mut api, &crlf, "crlf");
    assert_eq!(cert.certificates.as_deref(), Some(LEAF));
}

#[test]
fn upload_body_that_is_not_json_gets_6007() {
    let mut api = api();
    let mut request = upload_with_body(serde_json::json!({}));
    *request.body_mut() = b"ca=true&certificates=x".to_vec();
    let e = api_error(&api.handle(&request, NOW), 400, 6007);
    assert_eq!(e.errors[0].message, "Malformed JSON in request body");
    assert!(api.certificates().is_empty());
}

#[test]
fn upload_fields_missing_or_mistyped_get_1001_and_store_nothing() {
    let cases = [
        (serde_json::json!({"certificates": CA_P256}), "/ca", "'ca' is required"),
        (serde_json::json!({"ca": null, "certificates": CA_P256}), "/ca", "'ca' is required"),
        (serde_json::json!({"ca": "true", "certificates": CA_P256}), "/ca", "'ca' must be a boolean"),
        (serde_json::json!({"ca": 1, "certificates": CA_P256}), "/ca", "'ca' must be a boolean"),
        (serde_json::json!({"ca": true}), "/certificates", "'certificates' is required"),
        (serde_json::json!({"ca": true, "certificates": 5}), "/certificates", "'certificates' must be"),
        (serde_json::json!({"ca": true, "certificates": [CA_P256]}), "/certificates", "'certificates' must be"),
        (serde_json::json!({"ca": true, "certificates": CA_P256, "name": 7}), "/name", "'name' must be a string"),
        (
            serde_json::json!({"ca": true, "certificates": CA_P256, "private_key": {}}),
            "/private_key",
            "'private_key' must be",
        ),
        (serde_json::json!([true, CA_P256]), "", "expected a JSON object"),
    ];
    for (body, pointer, says) in cases {
        let mut api = api();
        let e = api_error(&api.handle(&upload_with_body(body.clone()), NOW), 400, 1001);
        let m = &e.errors[0];
        assert!(m.message.contains(says), "{body}: {m}");
        assert_eq!(m.source.as_ref().and_then(|s| s.pointer.as_deref()), Some(pointer), "{body}");
        assert!(api.certificates().is_empty(), "{body}");
    }
}

#[test]
fn upload_of_what_is_not_a_certificate_gets_1002_and_stores_nothing() {
    let truncated = &CA_P256[..CA_P256.len() - 40];
    // Valid PEM and base64, but the DER inside is not a certificate.
    let not_der = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
    let csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQF\n-----END CERTIFICATE REQUEST-----\n";
    let key_after_cert = format!("{CA_P256}{LEAF_KEY}");
    let cases: [(&str, &str); 8] = [
        (OPENAPI_KEY, "private key"),
        (CA_RSA_KEY, "private key"),
        ("garbage, not PEM at all", "no -----BEGIN CERTIFICATE-----"),
        ("", "it is empty"),
        (truncated, "PEM block 1 (CERTIFICATE, line 1)"),
        (not_der, "not an X.509 certificate"),
        (csr, "CERTIFICATE REQUEST"),
        (&key_after_cert, "private key"),
    ];
    for (pem, says) in cases {
        let mut api = api();
        let body = serde_json::json!({"ca": true, "certificates": pem, "name": "bad"});
        let e = api_error(&api.handle(&upload_with_body(body), NOW), 400, 1002);
        let m = &e.errors[0].message;
        assert!(m.starts_with("unable to parse certificate"), "{m}");
        assert!(m.contains(says), "{pem:?}: {m}");
        assert!(!m.contains("MII"), "no key material echoed: {m}");
        assert!(api.certificates().is_empty());
    }
}

#[test]
fn private_key_is_optional_checked_and_never_returned() {
    let mut api = api();
    for (n, key) in [OPENAPI_KEY, CA_P256_KEY, LEAF_KEY, CA_RSA_KEY].into_iter().enumerate() {
        // Any well-formed key is taken, matching or not (the library checks that, not the API).
        let body =
            serde_json::json!({"ca": false, "certificates": CA_P256, "name": format!("k{n}"), "private_key": key});
        let response = api.handle(&upload_with_body(body), NOW);
        assert!(!String::from_utf8_lossy(response.body()).contains("PRIVATE KEY"));
        Upload::ca(account(), "").parse_response(&response).unwrap();
    }
    for (key, says) in [(CA_P256, "certificate, not a private key"), ("nonsense", "no -----BEGIN PRIVATE KEY-----")] {
        let before = api.certificates().len();
        let body = serde_json::json!({"ca": false, "certificates": CA_P256, "private_key": key});
        let e = api_error(&api.handle(&upload_with_body(body), NOW), 400, 1003);
        assert!(e.errors[0].message.starts_with("unable to parse private key"), "{e}");
        assert!(e.errors[0].message.contains(says), "{e}");
        assert_eq!(api.certificates().len(), before);
    }
}

#[test]
fn names_are_unique_and_free_again_after_delete() {
    let mut api = api();
    let first = upload(&mut api, CA_P256, "same");
    let e = expect_api(call(&mut api, &Upload::ca(account(), CA_RSA).with_name("same")), 400, 1004);
    assert!(e.errors[0].message.contains("\"same\""), "{e}");
    assert_eq!(api.certificates().len(), 1);
    // Unnamed certificates do not clash.
    call(&mut api, &Upload::ca(account(), CA_RSA)).unwrap();
    call(&mut api, &Upload::ca(account(), CA_RSA)).unwrap();
    call(&mut api, &Delete::new(account(), cert_id(&first))).unwrap();
    upload(&mut api, CA_RSA, "same");
}

#[test]
fn ids_are_uuids_deterministic_and_never_reused() {
    let run = || {
        let mut api = api();
        let mut ids = Vec::new();
        for n in 0..5 {
            let c = upload(&mut api, CA_P256, &format!("n{n}"));
            ids.push(cert_id(&c));
            call(&mut api, &Delete::new(account(), cert_id(&c))).unwrap();
        }
        ids.push(api.insert(Certificate::default()).unwrap());
        ids
    };
    let ids = run();
    for id in &ids {
        assert!(uuid::is_uuid(id.as_str()), "{id} is not a UUID, as the live API's IDs are");
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "same content, delete between: still fresh IDs");
    assert_eq!(run(), ids, "no randomness: the same calls give the same IDs");
}

#[test]
fn an_uploaded_uuid_is_taken_by_get_associations_and_delete() {
    let mut api = api();
    let id = cert_id(&upload(&mut api, CA_P256, "uuid"));
    assert!(uuid::is_uuid(id.as_str()), "{id}");
    let again: CertificateId = id.as_str().parse().unwrap();
    assert_eq!(call(&mut api, &Get::new(account(), again.clone())).unwrap().id, Some(id.clone()));
    assert!(api.attach(&again, Association::new("gateway", "active")));
    let page = call(&mut api, &Associations::new(account(), again.clone())).unwrap();
    assert_eq!(page.items, [Association::new("gateway", "active")]);
    assert!(api.detach(&again, "gateway"));
    assert!(
        matches!(call(&mut api, &Delete::new(account(), again)).unwrap(), Deleted::Returned(c) if c.id == Some(id))
    );
    assert!(api.certificates().is_empty());
}

#[test]
fn timestamps_come_from_now_in_utc_to_the_microsecond() {
    let mut api = api();
    let now = datetime!(2030-01-01 12:00:00.123456789 +02:00);
    let request = Upload::ca(account(), CA_P256).to_request(&config()).unwrap();
    let response = api.handle(&request, now);
    let text = String::from_utf8(response.body().clone()).unwrap();
    assert!(text.contains(r#""uploaded_on":"2030-01-01T10:00:00.123456Z""#), "{text}");
    assert!(text.contains(r#""updated_at":"2030-01-01T10:00:00.123456Z""#), "{text}");
}

// ---- list ----------------------------------------------------------------------------------

/// Three custom certificates (two CAs, one leaf) and one Gateway-managed one.
fn populated() -> (FakeApi, Vec<CertificateId>) {
    let mut api = api();
    let mut ids = vec![
        cert_id(&upload(&mut api, CA_P256, "root")),
        cert_id(&call(&mut api, &Upload::leaf(account(), LEAF).with_name("leaf")).unwrap()),
        cert_id(&upload(&mut api, CA_RSA, "rsa")),
    ];
    // Outside the crate `Certificate` is non-exhaustive: fill a default one.
    let mut managed = Certificate::default();
    managed.name = Some("gw".into());
    managed.ca = Some(true);
    managed.kind = Some(CertificateType::GatewayManaged);
    ids.push(api.insert(managed).unwrap());
    (api, ids)
}

fn names(api: &mut FakeApi, list: List) -> Vec<String> {
    call(api, &list).unwrap().items.into_iter().map(|c| c.name.unwrap()).collect()
}

#[test]
fn list_filters_by_type_repeated_or_comma_separated() {
    let (mut api, _) = populated();
    assert_eq!(names(&mut api, List::new(account())), ["root", "leaf", "rsa", "gw"]);
    assert_eq!(names(&mut api, List::new(account()).with_type(CertificateType::GatewayManaged)), ["gw"]);
    let both = List::new(account()).with_type(CertificateType::Custom).with_type(CertificateType::GatewayManaged);
    assert_eq!(names(&mut api, both), ["root", "leaf", "rsa", "gw"]);
    assert!(names(&mut api, List::new(account()).with_type(CertificateType::AccessManaged)).is_empty());
    // The crate sends one comma-separated value; the SDKs repeat the key: both are taken.
    for query in ["type=access_managed,gateway_managed", "type=access_managed&type=gateway_managed"] {
        let uri = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates?{query}");
        let page = List::new(account()).parse_response(&api.handle(&raw("GET", &uri), NOW)).unwrap();
        assert_eq!(page.items.len(), 1, "{query}");
        assert_eq!(page.items[0].kind, Some(CertificateType::GatewayManaged), "{query}");
    }
}

#[test]
fn list_filters_by_ca_and_name() {
    let (mut api, _) = populated();
    assert_eq!(names(&mut api, List::new(account()).with_ca(false)), ["leaf"]);
    assert_eq!(names(&mut api, List::new(account()).with_ca(true)), ["root", "rsa", "gw"]);
    assert_eq!(names(&mut api, List::new(account()).with_ca(false).with_name("leaf")), ["leaf"]);
    assert!(names(&mut api, List::new(account()).with_ca(true).with_name("leaf")).is_empty());
    assert!(names(&mut api, List::new(account()).with_name("nope")).is_empty());
    // A name with a space, written the way wrangler's URLSearchParams writes it.
    upload(&mut api, EXPIRED, "my cert");
    let uri = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates?ca=true&name=my+cert");
    assert_eq!(List::new(account()).parse_response(&api.handle(&raw("GET", &uri), NOW)).unwrap().items.len(), 1);
    assert_eq!(names(&mut api, List::new(account()).with_name("my cert")), ["my cert"]);
}

#[test]
fn list_pages_with_a_correct_result_info() {
    let mut api = api();
    for n in 0..5 {
        upload(&mut api, CA_P256, &format!("c{n}"));
    }
    let page = |api: &mut FakeApi, page: u32, per_page: u32| {
        call(api, &List::new(account()).with_page(page).with_per_page(per_page)).unwrap()
    };
    for (p, expect) in [(1, vec!["c0", "c1"]), (2, vec!["c2", "c3"]), (3, vec!["c4"]), (4, vec![])] {
        let got = page(&mut api, p, 2);
        let info = got.result_info.unwrap();
        assert_eq!(got.items.iter().map(|c| c.name.as_deref().unwrap()).collect::<Vec<_>>(), expect);
        assert_eq!(
            (info.page, info.per_page, info.count, info.total_count, info.total_pages),
            (Some(u64::from(p)), Some(2), Some(expect.len() as u64), Some(5), Some(3))
        );
    }
    // Defaults and the ceiling.
    let info = call(&mut api, &List::new(account())).unwrap().result_info.unwrap();
    assert_eq!((info.page, info.per_page, info.count, info.total_pages), (Some(1), Some(50), Some(5), Some(1)));
    let info = page(&mut api, 1, 5000).result_info.unwrap();
    assert_eq!(info.per_page, Some(1000));
    // The core's pager walks every page of the fake.
    let cell = std::cell::RefCell::new(api);
    let transport = |r: Request<Vec<u8>>| Ok::<_, std::convert::Infallible>(cell.borrow_mut().handle(&r, NOW));
    let client = BlockingClient::new(config(), transport);
    let all: Vec<_> = client.list_all(List::new(account()).with_per_page(2)).map(Result::unwrap).collect();
    assert_eq!(all, cell.borrow().certificates());
    assert_eq!(all.len(), 5);
}

#[test]
fn list_refuses_bad_parameters_with_1001() {
    let mut api = api();
    let base = format!("https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/mtls_certificates");
    for (query, pointer) in
        [("ca=yes", "/ca"), ("page=0", "/page"), ("per_page=-1", "/per_page"), ("page=two", "/page")]
    {
        let e = api_error(&api.handle(&raw("GET", &format!("{base}?{query}")), NOW), 400, 1001);
        assert_eq!(e.errors[0].source.as_ref().and_then(|s| s.pointer.as_deref()), Some(pointer), "{query}");
    }
}

#[test]
fn success_envelopes_have_the_api_shape() {
    let (mut api, ids) = populated();
    let body: serde_json::Value = serde_json::from_slice(api.handle(&list_request(), NOW).body()).unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], serde_json::json!([]));
    assert_eq!(body["messages"], serde_json::json!([]));
    assert_eq!(body["result_info"]["total_count"], 4);
    assert_eq!(body["result"][0]["type"], "custom");
    let request = Get::new(account(), ids[0].clone()).to_request(&config()).unwrap();
    let body: serde_json::Value = serde_json::from_slice(api.handle(&request, NOW).body()).unwrap();
    assert!(body.get("result_info").is_none());
    let failure: serde_json::Value =
        serde_json::from_slice(api.handle(&raw("GET", "https://x/y"), NOW).body()).unwrap();
    assert_eq!(
        failure,
        serde_json::json!({"success": false, "errors": [{"code": 7000, "message": "No route for that URI"}], "messages": [], "result": null})
    );
}

// ---- get, delete, associations -------------------------------------------------------------

#[test]
fn unknown_ids_get_404_not_found() {
    let (mut api, _) = populated();
    let unknown = CertificateId::new("0123456789abcdef0123456789abcdef").unwrap();
    let errors = [
        call(&mut api, &Get::new(account(), unknown.clone())).unwrap_err(),
        call(&mut api, &Delete::new(account(), unknown.clone())).unwrap_err(),
        call(&mut api, &Associations::new(account(), unknown.clone())).unwrap_err(),
    ];
    for e in errors {
        assert!(e.is_not_found(), "{e}");
        assert_eq!(e.api().unwrap().errors[0].code, 1404);
    }
    assert_eq!(api.certificates().len(), 4);
}

#[test]
fn get_returns_what_list_shows() {
    let (mut api, ids) = populated();
    let listed = call(&mut api, &List::new(account())).unwrap().items;
    assert_eq!(listed.len(), ids.len(), "the list shows every stored certificate");
    assert!(!listed.is_empty());
    for (id, from_list) in ids.iter().zip(&listed) {
        assert_eq!(from_list.id.as_ref(), Some(id), "listed in the order stored");
        assert_eq!(&call(&mut api, &Get::new(account(), id.clone())).unwrap(), from_list);
    }
}

#[test]
fn delete_is_refused_while_associated_and_allowed_after_detach() {
    let (mut api, ids) = populated();
    let id = ids[0].clone();
    assert!(api.attach(&id, Association::new("gateway", "pending_deployment")));
    assert!(api.attach(&id, Association::new("access", "active")));
    assert!(!api.attach(&CertificateId::new("nope").unwrap(), Association::new("gateway", "active")));

    let page = call(&mut api, &Associations::new(account(), id.clone())).unwrap();
    assert_eq!(page.items, [Association::new("gateway", "pending_deployment"), Association::new("access", "active")]);
    let info = page.result_info.unwrap();
    assert_eq!((info.count, info.total_count), (Some(2), Some(2)));

    let e = expect_api(call(&mut api, &Delete::new(account(), id.clone())), 400, 1005);
    assert!(e.errors[0].message.contains("in use by gateway, access"), "{e}");
    assert_eq!(api.certificates().len(), 4, "a refused delete removes nothing");

    assert!(api.detach(&id, "gateway"));
    assert!(!api.detach(&id, "gateway"), "already detached");
    expect_api(call(&mut api, &Delete::new(account(), id.clone())), 400, 1005);
    assert!(api.detach(&id, "access"));
    assert!(call(&mut api, &Associations::new(account(), id.clone())).unwrap().items.is_empty());

    let deleted = call(&mut api, &Delete::new(account(), id.clone())).unwrap();
    assert_eq!(deleted.id(), &id);
    assert_eq!(deleted.certificate().and_then(|c| c.name.as_deref()), Some("root"));
    assert!(call(&mut api, &Get::new(account(), id)).unwrap_err().is_not_found());
    assert_eq!(api.certificates().len(), 3);
}

#[test]
fn attaching_the_same_service_replaces_its_status() {
    let (mut api, ids) = populated();
    api.attach(&ids[1], Association::new("gateway", "pending_deployment"));
    api.attach(&ids[1], Association::new("gateway", "active"));
    assert_eq!(api.associations(&ids[1]).unwrap(), [Association::new("gateway", "active")]);
}

// ---- faults and the rate limit ---------------------------------------------------------------

#[test]
fn scripted_faults_answer_the_next_calls_in_order_and_change_nothing() {
    let mut api = api();
    api.fail_next(Fault::Html(502));
    api.fail_next(Fault::Api(503, 1234, "try later".into()));
    api.fail_next(Fault::Raw(
        200,
        "application/json".into(),
        b"{\"success\":true,\"result\":{\"id\":\"a/b\"}}".to_vec(),
    ));
    api.fail_next(Fault::Disconnect);
    assert_eq!(api.pending_faults(), 4);
    let up = Upload::ca(account(), CA_P256).with_name("faulty");

    let response = api.handle(&up.to_request(&config()).unwrap(), NOW);
    assert_eq!(response.headers()["content-type"], "text/html");
    match Upload::ca(account(), "").parse_response(&response) {
        Err(ResponseError::Http(e)) => {
            assert_eq!(e.status, StatusCode::BAD_GATEWAY);
            assert!(String::from_utf8_lossy(&e.body).contains("502 Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
    expect_api(call(&mut api, &up), 503, 1234);
    assert!(matches!(call(&mut api, &up), Err(ResponseError::Decode(_))));
    let response = api.handle(&up.to_request(&config()).unwrap(), NOW);
    assert!(response.extensions().get::<Disconnect>().is_some());
    assert_eq!(api.pending_faults(), 0);
    assert!(api.certificates().is_empty(), "no faulted call was processed");
    call(&mut api, &up).unwrap();
    assert_eq!(api.requests_handled(), 5);
}

#[test]
fn the_rate_limit_answers_429_with_retry_after_past_n_calls_per_window() {
    let mut api = api();
    api.rate_limit(3, Duration::from_secs(60));
    let t0 = NOW;
    for s in 0..3 {
        assert!(List::new(account()).parse_response(&api.handle(&list_request(), t0 + Duration::from_secs(s))).is_ok());
    }
    let response = api.handle(&list_request(), t0 + Duration::from_secs(20));
    assert_eq!(response.headers()["retry-after"], "40");
    let e = List::new(account()).parse_response(&response).unwrap_err();
    assert!(e.is_rate_limited());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(40)));
    assert_eq!(e.api().unwrap().errors[0].code, 971);
    // A refused upload stores nothing.
    let up = Upload::ca(account(), CA_P256).to_request(&config()).unwrap();
    assert_eq!(api.handle(&up, t0 + Duration::from_millis(59_500)).headers()["retry-after"], "1");
    assert!(api.certificates().is_empty());
    // The next window starts fresh.
    assert!(List::new(account()).parse_response(&api.handle(&list_request(), t0 + Duration::from_secs(60))).is_ok());
    api.clear_rate_limit();
    for _ in 0..10 {
        assert!(
            List::new(account()).parse_response(&api.handle(&list_request(), t0 + Duration::from_secs(61))).is_ok()
        );
    }
}

#[test]
fn a_window_past_any_date_never_ends_and_never_panics() {
    let mut api = api();
    api.rate_limit(1, Duration::MAX);
    assert!(List::new(account()).parse_response(&api.handle(&list_request(), NOW)).is_ok());
    let refused = api.handle(&list_request(), NOW + Duration::from_secs(3600));
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], u64::MAX.to_string());
    assert_eq!(refused.headers()["ratelimit-policy"], format!("\"default\";q=1;w={}", u64::MAX));
}

#[test]
fn every_answer_carries_ratelimit_fields_when_a_limit_is_set() {
    let mut api = api();
    let fields = |r: &Response<Vec<u8>>| {
        let text = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        (text("ratelimit"), text("ratelimit-policy"))
    };
    assert_eq!(fields(&api.handle(&list_request(), NOW)), (None, None), "no limit, no fields");
    api.rate_limit(3, Duration::from_secs(10));
    let policy = Some("\"default\";q=3;w=10".to_owned());
    let at = |s: u64| NOW + Duration::from_millis(s);
    assert_eq!(fields(&api.handle(&list_request(), at(0))), (Some("\"default\";r=2;t=10".into()), policy.clone()));
    assert_eq!(fields(&api.handle(&list_request(), at(2_500))), (Some("\"default\";r=1;t=8".into()), policy.clone()));
    // Errors carry them too: a 404 counts, and so does the refusal past the budget.
    let missing = Get::new(account(), CertificateId::new("ffff").unwrap()).to_request(&config()).unwrap();
    let r = api.handle(&missing, at(3_000));
    assert_eq!((r.status().as_u16(), fields(&r)), (404, (Some("\"default\";r=0;t=7".into()), policy.clone())));
    let r = api.handle(&list_request(), at(4_000));
    assert_eq!((r.status().as_u16(), fields(&r)), (429, (Some("\"default\";r=0;t=6".into()), policy.clone())));
    // The next window starts fresh.
    assert_eq!(fields(&api.handle(&list_request(), at(10_000))).0, Some("\"default\";r=2;t=10".into()));
}

// ---- zones and hostnames --------------------------------------------------------------

const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";
const OTHER_ZONE: &str = "5b1c6f3d4b7e4c08a1f3e8b2d9a60c77";

fn zone() -> ZoneId {
    ZoneId::new(ZONE).unwrap()
}

fn other_zone() -> ZoneId {
    ZoneId::new(OTHER_ZONE).unwrap()
}

/// A fake with zone `ZONE` (example.com) and `OTHER_ZONE` (example.org), a CA and a leaf.
fn zoned() -> (FakeApi, CertificateId, CertificateId) {
    let mut api = api().with_zone(zone(), "example.com").unwrap().with_zone(other_zone(), "example.org").unwrap();
    let ca = cert_id(&call(&mut api, &Upload::ca(account(), CA_P256).with_name("ca")).unwrap());
    let leaf = cert_id(&call(&mut api, &Upload::leaf(account(), LEAF).with_name("leaf")).unwrap());
    (api, ca, leaf)
}

fn hosts(names: &[&str]) -> Vec<Hostname> {
    names.iter().map(|n| Hostname::new(*n).unwrap()).collect()
}

fn listed(api: &mut FakeApi, zone: ZoneId, ca: Option<&CertificateId>) -> Vec<String> {
    let mut get = Hostnames::new(zone);
    if let Some(ca) = ca {
        get = get.with_certificate(ca.clone());
    }
    call(api, &get).unwrap().hostnames
}

fn replace(
    api: &mut FakeApi,
    zone: ZoneId,
    ca: Option<&CertificateId>,
    names: &[&str],
) -> Result<Vec<String>, ResponseError> {
    let mut put = ReplaceHostnames::new(zone, hosts(names));
    if let Some(ca) = ca {
        put = put.with_certificate(ca.clone());
    }
    call(api, &put).map(|stored| stored.hostnames)
}

/// A PUT whose JSON body is `body`, bypassing the core's local checks.
fn put_with_body(zone: &str, body: serde_json::Value) -> Request<Vec<u8>> {
    let mut request = raw(
        "PUT",
        &format!("https://api.cloudflare.com/client/v4/zones/{zone}/certificate_authorities/hostname_associations"),
    );
    *request.body_mut() = serde_json::to_vec(&body).unwrap();
    request
}

#[test]
fn a_put_replaces_the_list_of_its_zone_and_ca_in_order_as_written() {
    let (mut api, ca, _) = zoned();
    assert!(listed(&mut api, zone(), Some(&ca)).is_empty(), "nothing until a PUT");
    let stored =
        replace(&mut api, zone(), Some(&ca), &["b.example.com", "API.Example.com", "*.example.com", "example.com"])
            .unwrap();
    assert_eq!(stored, ["b.example.com", "API.Example.com", "*.example.com", "example.com"]);
    assert_eq!(listed(&mut api, zone(), Some(&ca)), stored, "a GET reads back what the PUT stored");
    assert_eq!(api.hostnames(&zone(), Some(&ca)), Some(stored));
    // A replace, not an append.
    assert_eq!(replace(&mut api, zone(), Some(&ca), &["c.example.com"]).unwrap(), ["c.example.com"]);
    assert_eq!(listed(&mut api, zone(), Some(&ca)), ["c.example.com"]);
    // Each (zone, CA) pair has its own list.
    assert!(listed(&mut api, other_zone(), Some(&ca)).is_empty());
    assert!(listed(&mut api, zone(), None).is_empty(), "the managed CA's list is another");
    // `[]` empties it.
    assert!(replace(&mut api, zone(), Some(&ca), &[]).unwrap().is_empty());
    assert!(listed(&mut api, zone(), Some(&ca)).is_empty());
}

#[test]
fn the_managed_ca_has_its_own_list_and_a_hostname_may_have_several_cas() {
    let (mut api, ca, _) = zoned();
    assert_eq!(replace(&mut api, zone(), None, &["api.example.com"]).unwrap(), ["api.example.com"]);
    assert_eq!(replace(&mut api, zone(), Some(&ca), &["api.example.com"]).unwrap(), ["api.example.com"]);
    assert_eq!(listed(&mut api, zone(), None), ["api.example.com"]);
    assert_eq!(api.hostnames(&zone(), None), Some(vec!["api.example.com".to_owned()]));
    replace(&mut api, zone(), None, &[]).unwrap();
    assert_eq!(listed(&mut api, zone(), Some(&ca)), ["api.example.com"], "emptying one list leaves the other");
}

#[test]
fn a_hostname_outside_the_zone_gets_1009_and_changes_nothing() {
    let (mut api, ca, _) = zoned();
    replace(&mut api, zone(), Some(&ca), &["keep.example.com"]).unwrap();
    for outside in ["example.org", "badexample.com", "api.example.com.evil.net", "com"] {
        let e = expect_api(replace(&mut api, zone(), Some(&ca), &["a.example.com", outside]), 400, 1009);
        assert!(e.errors[0].message.contains("is not in zone example.com"), "{e}");
        assert_eq!(e.errors[0].source.as_ref().and_then(|s| s.pointer.as_deref()), Some("/hostnames/1"));
    }
    assert_eq!(listed(&mut api, zone(), Some(&ca)), ["keep.example.com"], "a refused PUT changes nothing");
    assert_eq!(replace(&mut api, other_zone(), Some(&ca), &["API.EXAMPLE.ORG"]).unwrap(), ["API.EXAMPLE.ORG"]);
}

#[test]
fn what_is_no_hostname_gets_1008_and_a_name_twice_1010() {
    let (mut api, ca, _) = zoned();
    for (bad, says) in [
        ("api.example.com.", "trailing dot"),
        ("bücher.example.com", "punycode"),
        ("a..example.com", "empty label"),
        ("api.*.example.com", "first label"),
        ("https://api.example.com", "without the scheme"),
        ("", "empty"),
    ] {
        let body = serde_json::json!({"hostnames": ["ok.example.com", bad], "mtls_certificate_id": ca.as_str()});
        let e = api_error(&api.handle(&put_with_body(ZONE, body), NOW), 400, 1008);
        assert!(e.errors[0].message.contains(says), "{bad:?}: {e}");
        assert_eq!(e.errors[0].source.as_ref().and_then(|s| s.pointer.as_deref()), Some("/hostnames/1"));
    }
    let body = serde_json::json!({"hostnames": ["a.example.com", "b.example.com", "A.EXAMPLE.COM"], "mtls_certificate_id": ca.as_str()});
    let e = api_error(&api.handle(&put_with_body(ZONE, body), NOW), 400, 1010);
    assert!(e.errors[0].message.contains("given twice"), "{e}");
    assert!(listed(&mut api, zone(), Some(&ca)).is_empty());
}

#[test]
fn the_id_must_be_a_ca_of_the_account() {
    let (mut api, _, leaf) = zoned();
    let e = expect_api(replace(&mut api, zone(), Some(&leaf), &["a.example.com"]), 400, 1007);
    assert!(e.errors[0].message.contains("is not a CA certificate"), "{e}");
    let e = expect_api(call(&mut api, &Hostnames::new(zone()).with_certificate(leaf)), 400, 1007);
    assert_eq!(e.errors[0].source.as_ref().and_then(|s| s.pointer.as_deref()), Some("/mtls_certificate_id"));
    let unknown = CertificateId::new("b2134436-2555-4acf-be5b-26c48136575e").unwrap();
    expect_api(replace(&mut api, zone(), Some(&unknown), &["a.example.com"]), 404, 1404);
    expect_api(call(&mut api, &Hostnames::new(zone()).with_certificate(unknown)), 404, 1404);
    let body = serde_json::json!({"hostnames": [], "mtls_certificate_id": "a/b"});
    api_error(&api.handle(&put_with_body(ZONE, body), NOW), 400, 1001);
}

#[test]
fn a_zone_the_account_lacks_gets_7003_and_a_bad_route_its_usual_answer() {
    let (mut api, ca, _) = zoned();
    let nowhere = ZoneId::new("ffffffffffffffffffffffffffffffff").unwrap();
    let e = expect_api(call(&mut api, &Hostnames::new(nowhere.clone())), 400, 7003);
    assert!(e.errors[0].message.contains("perhaps your object identifier is invalid"), "{e}");
    expect_api(replace(&mut api, nowhere, Some(&ca), &["a.example.com"]), 400, 7003);
    let base = "https://api.cloudflare.com/client/v4/zones";
    api_error(
        &api.handle(&raw("GET", &format!("{base}/a%2Fb/certificate_authorities/hostname_associations")), NOW),
        400,
        7003,
    );
    api_error(&api.handle(&raw("GET", &format!("{base}/{ZONE}/certificate_authorities")), NOW), 400, 7000);
    api_error(&api.handle(&raw("GET", &format!("{base}/{ZONE}/hostname_associations")), NOW), 400, 7000);
    for method in ["POST", "DELETE", "PATCH"] {
        let response =
            api.handle(&raw(method, &format!("{base}/{ZONE}/certificate_authorities/hostname_associations")), NOW);
        assert_eq!(response.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET, PUT"), "{method}");
        api_error(&response, 405, 7001);
    }
    // One trailing slash is forgiven here too; credentials are required.
    let slash = api.handle(&raw("GET", &format!("{base}/{ZONE}/certificate_authorities/hostname_associations/")), NOW);
    assert_eq!(Hostnames::new(zone()).parse_response(&slash).unwrap().hostnames, Vec::<String>::new());
    let mut anonymous = raw("GET", &format!("{base}/{ZONE}/certificate_authorities/hostname_associations"));
    anonymous.headers_mut().clear();
    api_error(&api.handle(&anonymous, NOW), 400, 9106);
    let mut wrong = Hostnames::new(zone()).to_request(&config()).unwrap();
    wrong.headers_mut().insert("authorization", HeaderValue::from_static("Bearer not-the-token"));
    api_error(&api.handle(&wrong, NOW), 403, 10000);
}

#[test]
fn put_bodies_are_read_as_the_sdks_send_them() {
    let (mut api, ca, _) = zoned();
    // The query's ID counts for a GET, as Cloudflare's SDKs send it; the body's for a PUT.
    let body = serde_json::json!({"hostnames": ["a.example.com"], "mtls_certificate_id": ca.as_str()});
    let stored = api.handle(&put_with_body(ZONE, body), NOW);
    assert_eq!(Hostnames::new(zone()).parse_response(&stored).unwrap().hostnames, ["a.example.com"]);
    let uri = format!(
        "https://api.cloudflare.com/client/v4/zones/{ZONE}/certificate_authorities/hostname_associations?mtls_certificate_id={ca}"
    );
    let got = api.handle(&raw("GET", &uri), NOW);
    assert_eq!(Hostnames::new(zone()).parse_response(&got).unwrap().hostnames, ["a.example.com"]);
    // Without `hostnames` (or with null), the list is emptied.
    for body in [
        serde_json::json!({"mtls_certificate_id": ca.as_str()}),
        serde_json::json!({"hostnames": null, "mtls_certificate_id": ca.as_str()}),
    ] {
        replace(&mut api, zone(), Some(&ca), &["a.example.com"]).unwrap();
        let response = api.handle(&put_with_body(ZONE, body), NOW);
        assert!(Hostnames::new(zone()).parse_response(&response).unwrap().hostnames.is_empty());
    }
    for (body, pointer) in [
        (serde_json::json!({"hostnames": "a.example.com"}), "/hostnames"),
        (serde_json::json!({"hostnames": ["a.example.com", 7]}), "/hostnames/1"),
        (serde_json::json!({"hostnames": [], "mtls_certificate_id": 12}), "/mtls_certificate_id"),
        (serde_json::json!(["a.example.com"]), ""),
    ] {
        let e = api_error(&api.handle(&put_with_body(ZONE, body.clone()), NOW), 400, 1001);
        assert_eq!(e.errors[0].source.as_ref().and_then(|s| s.pointer.as_deref()), Some(pointer), "{body}");
    }
    let mut request = put_with_body(ZONE, serde_json::json!({}));
    *request.body_mut() = b"hostnames=a.example.com".to_vec();
    api_error(&api.handle(&request, NOW), 400, 6007);
}

#[test]
fn a_ca_with_hostnames_in_any_zone_cannot_be_deleted() {
    let (mut api, ca, leaf) = zoned();
    replace(&mut api, zone(), Some(&ca), &["a.example.com"]).unwrap();
    replace(&mut api, other_zone(), Some(&ca), &["a.example.org"]).unwrap();
    let e = expect_api(call(&mut api, &Delete::new(account(), ca.clone())), 400, 1006);
    assert!(e.errors[0].message.contains("in zone example.com, example.org"), "{e}");
    replace(&mut api, zone(), Some(&ca), &[]).unwrap();
    let e = expect_api(call(&mut api, &Delete::new(account(), ca.clone())), 400, 1006);
    assert!(e.errors[0].message.contains("in zone example.org;"), "{e}");
    assert_eq!(api.certificates().len(), 2, "a refused delete removes nothing");
    // The managed CA's hostnames are no hold on an uploaded CA.
    replace(&mut api, other_zone(), None, &["a.example.org"]).unwrap();
    replace(&mut api, other_zone(), Some(&ca), &[]).unwrap();
    assert!(matches!(call(&mut api, &Delete::new(account(), ca)).unwrap(), Deleted::Returned(_)));
    call(&mut api, &Delete::new(account(), leaf)).unwrap();
}

#[test]
fn zones_are_named_by_hostnames() {
    assert!(api().with_zone(zone(), "*.example.com").is_err(), "a wildcard is no zone");
    assert!(api().with_zone(zone(), "example..com").is_err());
    let (mut api, ca, _) = zoned();
    replace(&mut api, zone(), Some(&ca), &["a.example.com"]).unwrap();
    // Added again: the new name, the same hostnames.
    api.add_zone(zone(), "example.net").unwrap();
    assert_eq!(api.hostnames(&zone(), Some(&ca)), Some(vec!["a.example.com".to_owned()]));
    expect_api(replace(&mut api, zone(), Some(&ca), &["a.example.com"]), 400, 1009);
    replace(&mut api, zone(), Some(&ca), &["a.example.net"]).unwrap();
    assert_eq!(api.hostnames(&ZoneId::new("unknown").unwrap(), None), None);
}

#[test]
fn an_account_holds_five_cas_until_told_otherwise() {
    let mut api = api();
    let pems = [OPENAPI_CA, CA_P256, CA_RSA, INTERMEDIATE, EXPIRED];
    let mut ids = Vec::new();
    for (n, pem) in pems.iter().enumerate() {
        ids.push(cert_id(&upload(&mut api, pem, &format!("ca-{n}"))));
    }
    let e = expect_api(call(&mut api, &Upload::ca(account(), CHAIN).with_name("sixth").without_ca_check()), 400, 1489);
    assert_eq!(e.errors[0].message, "Hit maximum CA cert allocation.");
    assert_eq!(api.certificates().len(), 5, "the refused upload stored nothing");
    // Leaves are not CAs: no limit.
    call(&mut api, &Upload::leaf(account(), LEAF).with_name("leaf")).unwrap();
    // A CA deleted frees its place.
    call(&mut api, &Delete::new(account(), ids[0].clone())).unwrap();
    upload(&mut api, CHAIN, "sixth");
    expect_api(call(&mut api, &Upload::ca(account(), OPENAPI_CA).with_name("seventh")), 400, 1489);
    api.set_ca_limit(6);
    upload(&mut api, OPENAPI_CA, "seventh");
    let mut one = FakeApi::new(TOKEN, account()).with_ca_limit(1);
    upload(&mut one, OPENAPI_CA, "only");
    expect_api(call(&mut one, &Upload::ca(account(), CA_P256).with_name("two")), 400, 1489);
}

// ---- the model property --------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// Upload fixture `pem` with name `name` (`None`: unnamed), as a CA or not.
    Upload { pem: usize, name: Option<u8>, ca: bool },
    /// Delete the `nth` live certificate (modulo), or an ID that never existed.
    Delete { nth: usize, known: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize, proptest::option::of(0..6u8), any::<bool>()).prop_map(|(pem, name, ca)| Op::Upload { pem, name, ca }),
        2 => (any::<usize>(), proptest::bool::weighted(0.9)).prop_map(|(nth, known)| Op::Delete { nth, known }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any sequence of uploads and deletes leaves `list` equal to a map of what should be
    /// there, in upload order, and no ID is ever handed out twice; past five CAs, an upload
    /// of another is refused with 1489.
    #[test]
    fn list_matches_a_simple_model_and_ids_are_never_reused(ops in proptest::collection::vec(op(), 1..40)) {
        let pems = [CA_P256, LEAF, CA_RSA, CHAIN];
        let mut api = api();
        // Upload order → (id, name, ca).
        let mut model: BTreeMap<u64, (CertificateId, Option<String>, bool)> = BTreeMap::new();
        let mut seq = 0u64;
        let mut issued = HashSet::new();
        for op in ops {
            match op {
                Op::Upload { pem, name, ca } => {
                    let name = name.map(|n| format!("name-{n}"));
                    let up = if ca { Upload::ca(account(), pems[pem]) } else { Upload::leaf(account(), pems[pem]) };
                    let mut up = up.without_ca_check();
                    if let Some(n) = &name { up = up.with_name(n.clone()); }
                    let taken = name.is_some() && model.values().any(|(_, m, _)| m == &name);
                    let full = ca && model.values().filter(|(_, _, is_ca)| *is_ca).count() >= 5;
                    match call(&mut api, &up) {
                        Ok(cert) => {
                            prop_assert!(!taken, "a duplicate name was accepted");
                            prop_assert!(!full, "a sixth CA was accepted");
                            let id = cert.id().clone();
                            prop_assert!(issued.insert(id.clone()), "ID {} reused", id);
                            seq += 1;
                            model.insert(seq, (id, name, ca));
                        }
                        Err(e) => {
                            prop_assert!(taken || full, "unexpected refusal: {}", e);
                            // The name is checked first.
                            prop_assert_eq!(e.api().unwrap().errors[0].code, if taken { 1004 } else { 1489 });
                        }
                    }
                }
                Op::Delete { nth, known } => {
                    let target = if known && !model.is_empty() {
                        model.iter().nth(nth % model.len()).map(|(k, (id, _, _))| (Some(*k), id.clone()))
                    } else {
                        Some((None, CertificateId::new(format!("{:032x}", nth)).unwrap()))
                    };
                    let (key, id) = target.unwrap();
                    let result = call(&mut api, &Delete::new(account(), id.clone()));
                    match key {
                        Some(k) => {
                            prop_assert_eq!(result.unwrap().id().clone(), id);
                            model.remove(&k);
                        }
                        None => prop_assert!(result.unwrap_err().is_not_found()),
                    }
                }
            }
            let listed = call(&mut api, &List::new(account()).with_per_page(1000)).unwrap();
            let got: Vec<_> = listed.items.iter().map(|c| (c.id.clone().unwrap(), c.name.clone(), c.ca.unwrap())).collect();
            let want: Vec<_> = model.values().cloned().collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(listed.result_info.unwrap().total_count, Some(model.len() as u64));
        }
    }
}

// ---- beyond the five routes -------------------------------------------------------------------

#[test]
fn memberships_lists_the_one_account_for_wrangler() {
    let mut api = api();
    let uri = "https://api.cloudflare.com/client/v4/memberships?page=1";
    let response = api.handle(&raw("GET", uri), NOW);
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["result"][0]["account"]["id"], ACCOUNT);
    assert_eq!(body["result_info"]["total_count"], 1);
    let mut anonymous = raw("GET", uri);
    anonymous.headers_mut().clear();
    api_error(&api.handle(&anonymous, NOW), 400, 9106);
    api_error(&api.handle(&raw("POST", uri), NOW), 405, 7001);
}
