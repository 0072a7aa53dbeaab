//! The retry decision and `Retry-After` reading, on any method, attempt, outcome, headers
//! and policy: never a panic, and the rule of the `retry` module's docs holds. A POST is
//! repeated only after a refused connection or a 429; nothing is retried past the attempts,
//! after a success, on `x-should-retry: false`, or for a server wait over the maximum; every
//! wait is at most the larger of the policy's two caps.
#![no_main]

use std::time::Duration;

use cloudflare_mtls::RetryPolicy;
use cloudflare_mtls::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use cloudflare_mtls::retry::{Attempt, Decision, Failure, retry_after};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    method: u8,
    attempt: u32,
    outcome: Option<u16>,
    not_sent: bool,
    permanent: bool,
    headers: Vec<(u8, String)>,
    max_retries: u8,
    initial_ms: u32,
    max_backoff_ms: u32,
    jitter: f64,
    max_retry_after_ms: u32,
    seed: u64,
}

const NAMES: [&str; 5] = ["retry-after", "retry-after-ms", "date", "x-should-retry", "x-other"];

fuzz_target!(|input: Input| {
    let method = match input.method % 5 {
        0 => Method::GET,
        1 => Method::POST,
        2 => Method::DELETE,
        3 => Method::PATCH,
        _ => Method::PUT,
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &input.headers {
        if let Ok(v) = HeaderValue::try_from(value.as_str()) {
            headers.append(HeaderName::from_static(NAMES[usize::from(*name) % NAMES.len()]), v);
        }
    }
    let policy = RetryPolicy::default()
        .with_max_retries(u32::from(input.max_retries % 8))
        .with_initial_backoff(Duration::from_millis(u64::from(input.initial_ms)))
        .with_max_backoff(Duration::from_millis(u64::from(input.max_backoff_ms)))
        .with_jitter(input.jitter)
        .with_max_retry_after(Duration::from_millis(u64::from(input.max_retry_after_ms)));
    let status = input.outcome.and_then(|s| StatusCode::from_u16(s).ok());
    let outcome = match status {
        Some(status) => Attempt::Answered { status, headers: &headers },
        None if input.permanent => Attempt::Failed(Failure::Permanent),
        None if input.not_sent => Attempt::Failed(Failure::NotSent),
        None => Attempt::Failed(Failure::MaybeSent),
    };
    let wait = retry_after(&headers);
    let decision = policy.decide(&method, input.attempt, outcome, input.seed);
    let Decision::RetryAfter(after) = decision else { return };

    assert!(input.attempt <= policy.max_retries, "retried past the attempts");
    let idempotent = matches!(method, Method::GET | Method::DELETE | Method::PUT);
    if let Some(status) = status {
        assert!(!(status.is_success() || status.is_informational() || status.is_redirection()), "{status} retried");
        let said_no = headers.get("x-should-retry").and_then(|v| v.to_str().ok()).map(str::trim) == Some("false");
        assert!(!said_no, "x-should-retry: false ignored");
        assert!(idempotent || status == StatusCode::TOO_MANY_REQUESTS, "{method} retried after {status}");
        if let Some(w) = wait {
            assert!(w <= policy.max_retry_after, "a wait of {w:?} over the maximum was taken");
            assert_eq!(after, w, "the server's wait was not used");
        }
    } else {
        assert!(!input.permanent, "a permanent failure was retried");
        assert!(idempotent || input.not_sent, "{method} retried when it may have been sent");
    }
    assert!(after <= policy.max_backoff.max(policy.max_retry_after), "waits {after:?}");
});
