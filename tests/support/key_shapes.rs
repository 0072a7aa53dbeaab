//! Real private keys of each kind, broken in every shape the fuzzer found, and the check
//! that a text holds no piece of them. Shared by `tests/pem_secrets.rs` (the library and the
//! fake) and `cli/tests/cli_hostile.rs` (`cf-mtls upload`).

pub const CERT: &str = include_str!("../fixtures/ca-p256.pem");
pub const KEYS: [(&str, &str); 5] = [
    ("RSA PKCS#1", include_str!("../fixtures/ca-rsa2048-key.pem")),
    ("RSA PKCS#8", include_str!("../fixtures/openapi-example-key.pem")),
    ("EC SEC1", include_str!("../fixtures/leaf-p256-key.pem")),
    ("EC PKCS#8", include_str!("../fixtures/ca-p256-key.pem")),
    ("Ed25519", include_str!("../fixtures/ca-ed25519-key.pem")),
];

/// The key's base64 lines.
fn body_lines(key: &str) -> Vec<&str> {
    key.lines().filter(|l| !l.starts_with("-----") && !l.trim().is_empty()).collect()
}

/// Every malformed shape of `key` (name, text): each breaks the framing somewhere else.
pub fn shapes(key: &str) -> Vec<(&'static str, String)> {
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
pub fn assert_no_key_material(shown: &str, key: &str, context: &str) {
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
