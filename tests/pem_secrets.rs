//! No error says what a key holds: real private keys of each kind (RSA PKCS#1 and PKCS#8,
//! SEC1 and PKCS#8 EC, Ed25519; made with openssl, see `interop/make_fixtures.sh`) are put
//! inside a certificates file in every malformed shape the fuzzer found, and the library's
//! errors, the fake's 400 bodies and `cf-mtls upload` (with and without `--dry-run`) are
//! searched for any piece of the key's base64.
#![cfg(feature = "fake")]

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::{AccountId, Config, Credentials, PrivateKey, Upload};

const CERT: &str = include_str!("fixtures/ca-p256.pem");
const KEYS: [(&str, &str); 5] = [
    ("RSA PKCS#1", include_str!("fixtures/ca-rsa2048-key.pem")),
    ("RSA PKCS#8", include_str!("fixtures/openapi-example-key.pem")),
    ("EC SEC1", include_str!("fixtures/leaf-p256-key.pem")),
    ("EC PKCS#8", include_str!("fixtures/ca-p256-key.pem")),
    ("Ed25519", include_str!("fixtures/ca-ed25519-key.pem")),
];

/// The key's base64 lines.
fn body_lines(key: &str) -> Vec<&str> {
    key.lines().filter(|l| !l.starts_with("-----") && !l.trim().is_empty()).collect()
}

/// Every malformed shape of `key` (name, text): each breaks the framing somewhere else.
fn shapes(key: &str) -> Vec<(&'static str, String)> {
    let lines: Vec<&str> = key.lines().collect();
    let (begin, end) = (lines[0], lines[lines.len() - 1]);
    let body = body_lines(key);
    let label = end.trim_start_matches("-----END ").trim_end_matches("-----");
    let (l1, l2) = label.split_at(label.len() / 2);
    let joined = |parts: &[&str]| parts.join("\n") + "\n";
    let mut with_blank = vec![begin, body[0], ""];
    with_blank.extend(&body[1..]);
    with_blank.push(end);
    let mut shapes = vec![
        ("a blank line after the first base64 line", joined(&with_blank)),
        ("CRLF with a blank line", joined(&with_blank).replace('\n', "\r\n")),
        ("an END label spanning two lines", {
            let mut v = vec![begin];
            v.extend(&body);
            joined(&v) + &format!("-----END {l1}\n{l2}-----\n")
        }),
        ("a BEGIN label spanning two lines", {
            let mut v = vec![format!("-----BEGIN {l1}"), format!("{l2}-----")];
            v.extend(body.iter().map(|s| s.to_string()));
            v.push(end.to_string());
            v.join("\n") + "\n"
        }),
        ("cut in the middle of the base64", key[..key.len() / 2].to_string()),
        ("cut in the END line", key[..key.len() - 8].to_string()),
        ("no END line", joined(&lines[..lines.len() - 1])),
        ("no BEGIN line", joined(&lines[1..])),
        ("no markers at all", joined(&body)),
        ("a bad character in the base64", key.replacen(&body[0][..4], "!!!!", 1)),
        ("base64 that does not decode", key.replacen(&body[0][..4], "abc", 1)),
        ("one long base64 line", joined(&[begin, &body.concat(), end])),
        ("an END label of another kind", key.replace(end, "-----END CERTIFICATE-----")),
        ("a lowercase label", key.replace(label, &label.to_lowercase())),
        ("indented", key.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")),
        ("the key twice, the second cut", format!("{key}{}", &key[..key.len() / 3])),
    ];
    // Each shape also after and before a good certificate.
    let alone = shapes.clone();
    for (name, text) in alone {
        shapes.push((name, format!("{CERT}{text}")));
        shapes.push((name, format!("{text}\n{CERT}")));
    }
    shapes.push(("the key whole", key.to_string()));
    shapes.push(("the key whole after a certificate", format!("{CERT}{key}")));
    shapes
}

/// Fails if `shown` holds any 10-character piece of the key's base64, or anything else that
/// looks like base64.
#[track_caller]
fn assert_no_key_material(shown: &str, key: &str, context: &str) {
    for line in body_lines(key) {
        let chars: Vec<char> = line.chars().collect();
        for window in chars.windows(10) {
            let piece: String = window.iter().collect();
            assert!(!shown.contains(&piece), "{context}: key material {piece:?} in {shown:?}");
        }
    }
    // A run of base64 letters with digits and both cases: no word, path or type name is one.
    for run in shown.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+')) {
        let looks_encoded = run.len() >= 16
            && run.contains(|c: char| c.is_ascii_digit())
            && run.contains(|c: char| c.is_ascii_uppercase())
            && run.contains(|c: char| c.is_ascii_lowercase());
        assert!(!looks_encoded, "{context}: a run of base64 {run:?} in {shown:?}");
    }
}

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

#[cfg(feature = "cli")]
mod cli_support;

#[cfg(feature = "cli")]
mod cli {
    use super::cli_support::{cf, fake, file};

    #[test]
    fn cf_mtls_upload_never_shows_a_key() {
        let fake = fake();
        for (kind, key) in super::KEYS {
            // Three shapes per key keep the run short; the library test covers all of them.
            for (shape, text) in super::shapes(key).into_iter().step_by(17) {
                let context = format!("{kind}, {shape}");
                let path = file("cert.pem", &text);
                for dry_run in [false, true] {
                    let mut args = vec!["upload", "--ca", "--cert", path.to_str().unwrap()];
                    if dry_run {
                        args.push("--dry-run");
                    }
                    let run = cf(&fake, &args);
                    assert_eq!(run.code, 5, "{context}: {run:?}");
                    super::assert_no_key_material(&format!("{}{}", run.stdout, run.stderr), key, &context);
                }
            }
        }
        assert_eq!(fake.requests_served(), 0, "nothing was sent");
    }
}
