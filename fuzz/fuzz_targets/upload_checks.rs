//! The upload's local PEM checks, on any text and on real private keys broken in every way
//! the input describes: the checks never panic, and no error message ever quotes the input's
//! base64 (a certificates file may hold a private key).
//!
//! Input: 1 byte choosing the mode. Mode even: the rest is the text, checked as
//! `certificates` and as `private_key`. Mode odd: byte 2 picks one of five real keys (RSA
//! PKCS#1 and PKCS#8, EC SEC1 and PKCS#8, Ed25519), byte 3 where it goes (alone, after or
//! before a certificate), and each further pair of bytes is an edit of its lines.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use cloudflare_mtls::{AccountId, PrivateKey, Upload};
use libfuzzer_sys::fuzz_target;

const CERT: &str = include_str!("../../tests/fixtures/ca-p256.pem");
const KEYS: [&str; 5] = [
    include_str!("../../tests/fixtures/ca-rsa2048-key.pem"),
    include_str!("../../tests/fixtures/openapi-example-key.pem"),
    include_str!("../../tests/fixtures/leaf-p256-key.pem"),
    include_str!("../../tests/fixtures/ca-p256-key.pem"),
    include_str!("../../tests/fixtures/ca-ed25519-key.pem"),
];

/// Whether `piece` looks like encoded data: base64 characters only, among them a digit, `+`
/// or `/`, and both cases.
fn looks_encoded(piece: &[u8]) -> bool {
    piece.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        && piece.iter().any(|c| c.is_ascii_digit() || *c == b'+' || *c == b'/')
        && piece.iter().any(u8::is_ascii_uppercase)
        && piece.iter().any(u8::is_ascii_lowercase)
}

/// Every 12-byte window of the keys' base64 lines (ASCII).
fn key_windows() -> &'static HashSet<&'static [u8]> {
    static WINDOWS: OnceLock<HashSet<&'static [u8]>> = OnceLock::new();
    WINDOWS.get_or_init(|| {
        KEYS.iter()
            .flat_map(|key| key.lines().filter(|l| !l.starts_with("-----")))
            .flat_map(|line| line.as_bytes().windows(12))
            .collect()
    })
}

/// Applies the edit `(op, arg)` to the lines of a key.
fn edit(lines: &mut Vec<String>, op: u8, arg: u8) {
    if lines.is_empty() {
        return;
    }
    let i = usize::from(arg) % lines.len();
    match op % 8 {
        0 => lines.insert(i, String::new()),
        1 => lines[i].push('\r'),
        2 => {
            let line = lines.remove(i);
            let at = line.len() / 2;
            lines.insert(i, line[at..].to_string());
            lines.insert(i, line[..at].to_string());
        }
        3 => {
            lines.remove(i);
        }
        4 => {
            let copy = lines[i].clone();
            lines.insert(i, copy);
        }
        5 => lines[i].insert(0, char::from(arg % 96 + 32)),
        6 => lines[i] = lines[i].to_lowercase(),
        _ => lines[i].truncate(usize::from(arg) % 70),
    }
}

/// Checks `text` as certificates and as a private key. No 12 characters of a message may
/// look encoded (our messages are fixed words, numbers and known labels, so anything that
/// does came from the input) or come from a key's base64.
fn check(text: &str) {
    let account = AccountId::new("acc").expect("a valid ID");
    let mut shown = String::new();
    if let Err(e) = Upload::ca(account.clone(), text).validate() {
        shown.push_str(&format!("{e} {e:?}\n"));
    }
    if let Err(e) = Upload::ca(account, CERT).with_private_key(PrivateKey::new(text)).validate() {
        shown.push_str(&format!("{e} {e:?}\n"));
    }
    for piece in shown.as_bytes().windows(12) {
        assert!(!looks_encoded(piece), "input quoted: {:?} in {shown:?}", String::from_utf8_lossy(piece));
        assert!(!key_windows().contains(piece), "key material: {:?} in {shown:?}", String::from_utf8_lossy(piece));
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        check(&text);
        return;
    }
    let [which, place, edits @ ..] = rest else { return };
    let key = KEYS[usize::from(*which) % KEYS.len()];
    let mut lines: Vec<String> = key.lines().map(String::from).collect();
    for pair in edits.chunks_exact(2) {
        edit(&mut lines, pair[0], pair[1]);
    }
    let broken = lines.join("\n") + "\n";
    let text = match place % 3 {
        0 => broken,
        1 => format!("{CERT}{broken}"),
        _ => format!("{broken}{CERT}"),
    };
    check(&text);
});
