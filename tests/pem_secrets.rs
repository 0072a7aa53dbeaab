//! No error says what a key holds: real private keys of each kind (RSA PKCS#1 and PKCS#8,
//! SEC1 and PKCS#8 EC, Ed25519; made with openssl, see `interop/make_fixtures.sh`) are put
//! inside a certificates file in every malformed shape the fuzzer found, and the library's
//! errors and the fake's 400 bodies are searched for any piece of the key's base64 (the
//! same for `cf-mtls upload`: `cli/tests/cli_hostile.rs`).
#![cfg(feature = "fake")]

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::{AccountId, Config, Credentials, PrivateKey, Upload};

#[allow(dead_code)] // Shared with the CLI's tests.
#[path = "support/key_shapes.rs"]
mod key_shapes;
use key_shapes::{CERT, KEYS, assert_no_key_material, shapes};

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

#[test]
fn the_library_never_quotes_a_key() {
    let mut refused = 0;
    for (kind, key) in KEYS {
        for (shape, text) in shapes(key) {
            let context = format!("{kind}, {shape}");
            let upload = Upload::ca(account(), text.clone());
            let error = upload.validate().expect_err(&context);
            assert_no_key_material(&format!("{error} {error:?}"), key, &context);
            let config = Config::new(Credentials::api_token("t").unwrap());
            let error = cloudflare_mtls::Endpoint::to_request(&upload, &config).expect_err(&context);
            assert_no_key_material(&format!("{error} {error:?}"), key, &context);
            // As a private key too: a malformed key must not be quoted either.
            let upload = Upload::ca(account(), CERT).with_private_key(PrivateKey::new(text));
            if let Err(error) = upload.validate() {
                assert_no_key_material(&format!("{error} {error:?}"), key, &context);
                refused += 1;
            }
        }
    }
    // The whole, the indented and the one-line key are well-formed; with the X.509 checks,
    // only the certificate's own key (EC PKCS#8) passes in those shapes.
    let accepted = if cfg!(feature = "x509-checks") { 3 } else { 5 * 3 };
    assert_eq!(refused, 250 - accepted, "shapes refused as a private key");
}

#[test]
fn a_key_inside_the_certificates_is_named_as_such() {
    for (kind, key) in KEYS {
        let error = Upload::ca(account(), format!("{CERT}{key}")).validate().unwrap_err().to_string();
        assert!(error.contains("PEM block 2") && error.contains("is a private key"), "{kind}: {error}");
        assert!(error.contains("`private_key`"), "{kind}: {error}");
    }
}

#[test]
fn the_fake_never_quotes_a_key() {
    let mut api = FakeApi::new("t", account());
    let now = time::macros::datetime!(2026-01-01 0:00 UTC);
    for (kind, key) in KEYS {
        for (shape, text) in shapes(key) {
            let context = format!("{kind}, {shape}");
            for body in [
                serde_json::json!({"ca": true, "certificates": text}),
                serde_json::json!({"ca": true, "certificates": CERT, "private_key": text}),
            ] {
                let request = cloudflare_mtls::http::Request::post(format!(
                    "https://api.cloudflare.com/client/v4/accounts/{}/mtls_certificates",
                    account()
                ))
                .header("authorization", "Bearer t")
                .body(serde_json::to_vec(&body).unwrap())
                .unwrap();
                let response = api.handle(&request, now);
                if response.status() == 200 {
                    // A well-formed key in `private_key` is accepted: nothing to show.
                    assert!(body.get("private_key").is_some(), "{context}: stored");
                    continue;
                }
                assert_eq!(response.status(), 400, "{context}");
                assert_no_key_material(&String::from_utf8_lossy(response.body()), key, &context);
            }
        }
    }
}
