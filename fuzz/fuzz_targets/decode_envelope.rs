//! Feeds arbitrary (status, headers, body) to the envelope decoder for every result type the
//! calls use, and asserts the classification rules of `tests/support/invariants.rs`, not just "no panic".
//!
//! Input layout: 2 bytes of status (100 + n % 900), 1 byte choosing the headers, the body.
#![no_main]

use cloudflare_mtls::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
mod invariants;

/// Header sets that steer `Retry-After` handling: each bit of the selector adds one.
const HEADERS: &[(&str, &str)] = &[
    ("retry-after", "5"),
    ("retry-after-ms", "1500"),
    ("retry-after", "Wed, 21 Oct 2015 07:28:10 GMT"),
    ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ("retry-after", "soon"),
    ("x-should-retry", "true"),
    ("retry-after", "1e400"),
    ("retry-after-ms", "-1"),
];

fuzz_target!(|data: &[u8]| {
    let [s0, s1, selector, body @ ..] = data else { return };
    let status = StatusCode::from_u16(100 + u16::from_le_bytes([*s0, *s1]) % 900).expect("100..=999 is a status");
    let mut headers = HeaderMap::new();
    for (bit, (name, value)) in HEADERS.iter().enumerate() {
        if selector & (1 << bit) != 0 {
            headers.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
    }
    invariants::check_all(status, &headers, body);
});
