//! The retry decision: a pure function of (method, attempt, outcome, seed). Transports call
//! it and sleep; nothing here waits or reads a clock.
//!
//! The defaults follow Cloudflare's official Python and TypeScript SDKs (retry connection
//! failures, 408, 409, 429 and 5xx, twice, 0.5 s × 2ⁿ capped at 8 s with up to 25% jitter,
//! honouring `Retry-After`, `retry-after-ms` and `x-should-retry`), and are safer than them
//! in one way: a request that is not idempotent (the upload, a `POST`) is retried only when
//! the server certainly did not act on it.
//!
//! # The rule
//!
//! | what happened to the attempt | GET, PUT, DELETE (idempotent: every call but the upload) | POST (upload) |
//! |---|---|---|
//! | no connection was made ([`Failure::NotSent`]) | retry | retry |
//! | the server's certificate does not verify, the proxy refuses ([`Failure::Permanent`]) | not retried | not retried |
//! | 429 | retry | retry: the server refused before acting |
//! | the request may have been sent, no answer ([`Failure::MaybeSent`]: timeout, reset) | retry | **not retried** |
//! | 408, 409, 5xx | retry | **not retried**: the server may have stored it |
//! | any status with `x-should-retry: true` | retry | retried only if it is a 429 |
//! | any status with `x-should-retry: false` | not retried | not retried |
//! | 1xx, 2xx, 3xx, other 4xx | not retried | not retried |
//!
//! Whatever the row: no retry past `max_retries`, and a server's wait (`Retry-After`,
//! `retry-after-ms`) longer than `max_retry_after`, or too large to represent, ends the
//! retries and is left to the caller (`Error::retry_after`). A non-idempotent request is
//! never repeated on the server's word alone, so an upload is stored at most once.

use std::time::{Duration, SystemTime};

use http::header::{DATE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, Method, StatusCode};

use crate::headers::{RETRY_AFTER_MS, X_SHOULD_RETRY};

/// What happened to one attempt.
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    /// The transport failed.
    Failed(Failure),
    /// The server answered.
    Answered {
        /// The status.
        status: StatusCode,
        /// The headers (`Retry-After`, `retry-after-ms`, `x-should-retry`, `Date`).
        headers: &'a HeaderMap,
    },
}

/// How far a failed attempt got, as far as the transport can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The request certainly did not reach the server (no connection was made).
    NotSent,
    /// The request may have reached the server (a timeout, a connection lost mid-way).
    MaybeSent,
    /// The request did not reach the server, and would fail the same way again: a server
    /// certificate that does not verify, a proxy that refuses. Never retried.
    Permanent,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Do not try again: the outcome is final.
    Done,
    /// Try again after this long.
    RetryAfter(Duration),
}

/// When and how long to retry. See the [module docs](self) for the rule and the defaults.
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::RetryPolicy;
///
/// let patient = RetryPolicy::default().with_max_retries(5).with_max_retry_after(Duration::from_secs(300));
/// assert_eq!(patient.max_retries, 5);
/// assert_eq!(RetryPolicy::never().max_retries, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The first backoff; doubled for each further retry.
    pub initial_backoff: Duration,
    /// The longest computed backoff.
    pub max_backoff: Duration,
    /// The fraction of each backoff that jitter may take off (0.0 to 1.0).
    pub jitter: f64,
    /// The longest server-requested wait the policy accepts; a longer `Retry-After` ends
    /// the retries and leaves the wait to the caller (see `retry_after()` on the error).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            jitter: 0.25,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// Retries after the first attempt (0: never retry).
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff; doubled for each further retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest computed backoff.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The fraction of each backoff that jitter may take off (0.0 to 1.0).
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest server-requested wait the policy accepts.
    pub fn with_max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Decides what to do after attempt number `attempt` (1 for the first) of a `method`
    /// request ended in `outcome`. The jitter is drawn from `seed`, so the same inputs
    /// always give the same answer.
    pub fn decide(&self, method: &Method, attempt: u32, outcome: Attempt<'_>, seed: u64) -> Decision {
        if attempt > self.max_retries {
            return Decision::Done;
        }
        let idempotent = is_idempotent(method);
        let server_wait = match outcome {
            Attempt::Failed(Failure::NotSent) => None,
            Attempt::Failed(Failure::Permanent) => return Decision::Done,
            Attempt::Failed(Failure::MaybeSent) if idempotent => None,
            Attempt::Failed(Failure::MaybeSent) => return Decision::Done,
            Attempt::Answered { status, .. }
                if status.is_success() || status.is_informational() || status.is_redirection() =>
            {
                return Decision::Done;
            }
            Attempt::Answered { status, headers } => {
                let too_many = status == StatusCode::TOO_MANY_REQUESTS;
                let retry = match should_retry_header(headers) {
                    // No header makes repeating a POST safe: only a 429 was refused unacted.
                    _ if !idempotent && !too_many => false,
                    Some(explicit) => explicit,
                    None => {
                        too_many
                            || matches!(status, StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT)
                            || status.is_server_error()
                    }
                };
                if !retry {
                    return Decision::Done;
                }
                retry_after(headers)
            }
        };
        match server_wait {
            Some(wait) if wait > self.max_retry_after => Decision::Done,
            Some(wait) => Decision::RetryAfter(wait),
            None => Decision::RetryAfter(self.backoff(attempt, seed)),
        }
    }

    /// The computed wait before retry number `attempt` (from 1): exponential, capped, with
    /// up to `jitter` of it taken off at random (from `seed`).
    pub fn backoff(&self, attempt: u32, seed: u64) -> Duration {
        let exp = 2u32.saturating_pow(attempt.saturating_sub(1));
        let base = self.initial_backoff.saturating_mul(exp).min(self.max_backoff);
        let unit = (splitmix64(seed ^ u64::from(attempt)) >> 11) as f64 / (1u64 << 53) as f64;
        // A NaN jitter would make `mul_f64` panic: it counts as none.
        let jitter = if self.jitter.is_nan() { 0.0 } else { self.jitter.clamp(0.0, 1.0) };
        base.mul_f64(1.0 - jitter * unit)
    }
}

/// GET, HEAD, PUT, DELETE, OPTIONS and TRACE may be repeated (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE)
}

fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get(X_SHOULD_RETRY)?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// How long the server asked to wait: `retry-after-ms`, or `Retry-After` as seconds or as an
/// HTTP date. A date is measured from the response's own `Date` header (the core has no
/// clock, and the server's clock is the one that counts); without one it is ignored. A
/// number too large for a `Duration` (2⁶⁴ s and more) is [`Duration::MAX`]: a wait nobody
/// should make, not a missing one. Negative or malformed values are ignored.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text(RETRY_AFTER_MS).and_then(|v| seconds(v, true)) {
        return Some(ms);
    }
    let value = text(RETRY_AFTER)?;
    if let Some(secs) = seconds(value, false) {
        return Some(secs);
    }
    let at: SystemTime = httpdate::parse_http_date(value).ok()?;
    let now: SystemTime = httpdate::parse_http_date(text(DATE)?).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative decimal number of seconds (or of milliseconds: `ms`), such as `7`, `1.5`
/// or `2e3`, saturating at [`Duration::MAX`]; `None` for anything else (a sign, `nan`, `inf`,
/// text).
fn seconds(value: &str, ms: bool) -> Option<Duration> {
    if !is_decimal(value) {
        return None;
    }
    if let Ok(whole) = value.parse::<u64>() {
        return Some(if ms { Duration::from_millis(whole) } else { Duration::from_secs(whole) });
    }
    // Numbers are read by serde_json's parser, already in every binary that decodes (core's
    // float parser would add ~10 KB to a WASM module). JSON refuses leading zeros, and
    // refuses what overflows an f64: that is the only failure left once they are gone.
    let trimmed = value.trim_start_matches('0');
    let digits = match trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        true => trimmed,
        // One zero is kept before a `.` or an exponent.
        false => value.get(value.len().saturating_sub(trimmed.len() + 1)..).unwrap_or(value),
    };
    let number = serde_json::from_str::<f64>(digits).unwrap_or(f64::INFINITY);
    let secs = if ms { number / 1000.0 } else { number };
    Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// `digits[.digits][(e|E)[+|-]digits]`: JSON's number grammar without the sign (a number
/// JSON cannot read, e.g. `01`, is still a number of seconds to a server).
fn is_decimal(value: &str) -> bool {
    let (mantissa, exponent) = match value.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (value, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits) && exponent.is_none_or(digits)
}

/// A tiny, well-mixed PRNG step: enough to spread retries, no dependency.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use Failure::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    /// A policy without jitter, so the table can state exact waits.
    fn exact() -> RetryPolicy {
        RetryPolicy { jitter: 0.0, ..RetryPolicy::default() }
    }

    const S: u64 = 42;

    #[test]
    fn decision_table() {
        let none = HeaderMap::new();
        let ra5 = headers(&[("retry-after", "5")]);
        let ra_ms = headers(&[("retry-after-ms", "1500")]);
        let ra_long = headers(&[("retry-after", "300")]);
        let ra_date =
            headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:10 GMT"), ("date", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        let ra_date_no_now = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:10 GMT")]);
        let ra_past =
            headers(&[("retry-after", "Wed, 21 Oct 2015 07:27:00 GMT"), ("date", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        let ra_junk = headers(&[("retry-after", "soon")]);
        let ra_huge = headers(&[("retry-after", "18446744073709551616")]);
        let ra_huge_exp = headers(&[("retry-after", "1e400")]);
        let ra_huge_ms = headers(&[("retry-after-ms", "99999999999999999999999999")]);
        let ra_60 = headers(&[("retry-after", "60")]);
        let ra_61 = headers(&[("retry-after", "60.5")]);
        let yes = headers(&[("x-should-retry", "true")]);
        let no = headers(&[("x-should-retry", "false")]);
        let ans = |code: u16, h| Attempt::Answered { status: StatusCode::from_u16(code).unwrap(), headers: h };
        let (get, post, delete) = (Method::GET, Method::POST, Method::DELETE);
        let ms = Duration::from_millis;
        #[rustfmt::skip]
        let table: Vec<(&Method, u32, Attempt<'_>, Decision)> = vec![
            // Success and client errors are final.
            (&get, 1, ans(200, &none), Done),
            (&get, 1, ans(304, &none), Done),
            (&get, 1, ans(400, &none), Done),
            (&get, 1, ans(403, &none), Done),
            (&get, 1, ans(404, &none), Done),
            // The SDKs' retryable statuses, with exponential backoff.
            (&get, 1, ans(408, &none), RetryAfter(ms(500))),
            (&get, 1, ans(409, &none), RetryAfter(ms(500))),
            (&get, 1, ans(429, &none), RetryAfter(ms(500))),
            (&get, 1, ans(500, &none), RetryAfter(ms(500))),
            (&get, 2, ans(502, &none), RetryAfter(ms(1000))),
            (&delete, 1, ans(503, &none), RetryAfter(ms(500))),
            (&get, 1, Attempt::Failed(NotSent), RetryAfter(ms(500))),
            (&get, 1, Attempt::Failed(MaybeSent), RetryAfter(ms(500))),
            (&get, 1, Attempt::Failed(Permanent), Done),
            (&post, 1, Attempt::Failed(Permanent), Done),
            // Attempts run out.
            (&get, 3, ans(503, &none), Done),
            (&get, 3, Attempt::Failed(NotSent), Done),
            // The server's wait wins over backoff; too long a wait is left to the caller.
            (&get, 1, ans(429, &ra5), RetryAfter(ms(5000))),
            (&get, 1, ans(503, &ra_ms), RetryAfter(ms(1500))),
            (&get, 1, ans(429, &ra_long), Done),
            (&get, 1, ans(429, &ra_date), RetryAfter(ms(10_000))),
            (&get, 1, ans(429, &ra_past), RetryAfter(ms(0))),
            (&get, 1, ans(429, &ra_date_no_now), RetryAfter(ms(500))),
            (&get, 1, ans(429, &ra_junk), RetryAfter(ms(500))),
            // x-should-retry overrides the status, both ways, for any method.
            (&get, 1, ans(400, &yes), RetryAfter(ms(500))),
            (&get, 1, ans(503, &no), Done),
            (&get, 1, ans(200, &yes), Done),
            (&get, 1, ans(101, &yes), Done),
            (&get, 1, ans(304, &yes), Done),
            // An upload is retried only when the server certainly did not act on it.
            (&post, 1, ans(502, &none), Done),
            (&post, 1, ans(500, &none), Done),
            (&post, 1, ans(408, &none), Done),
            (&post, 1, ans(409, &none), Done),
            (&post, 1, Attempt::Failed(MaybeSent), Done),
            (&post, 1, Attempt::Failed(NotSent), RetryAfter(ms(500))),
            (&post, 1, ans(429, &ra5), RetryAfter(ms(5000))),
            (&post, 1, ans(429, &none), RetryAfter(ms(500))),
            // The server's word cannot make a repeated POST safe; only a 429 can.
            (&post, 1, ans(502, &yes), Done),
            (&post, 1, ans(500, &yes), Done),
            (&post, 1, ans(400, &yes), Done),
            (&post, 1, ans(429, &yes), RetryAfter(ms(500))),
            (&post, 1, ans(429, &no), Done),
            // A wait too large to represent, or past the maximum, ends the retries.
            (&get, 1, ans(429, &ra_huge), Done),
            (&get, 1, ans(503, &ra_huge_exp), Done),
            (&get, 1, ans(503, &ra_huge_ms), Done),
            (&post, 1, ans(429, &ra_huge), Done),
            (&get, 1, ans(429, &ra_61), Done),
            (&get, 1, ans(429, &ra_60), RetryAfter(ms(60_000))),
        ];
        for (i, (method, attempt, outcome, want)) in table.into_iter().enumerate() {
            assert_eq!(
                exact().decide(method, attempt, outcome, S),
                want,
                "row {i}: {method} attempt {attempt} {outcome:?}"
            );
        }
    }

    #[test]
    fn odd_jitter_is_clamped_not_a_panic() {
        for jitter in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -3.0, 7.0] {
            let p = RetryPolicy { jitter, ..RetryPolicy::default() };
            assert!(p.backoff(1, 3) <= Duration::from_millis(500), "{jitter}");
        }
    }

    #[test]
    fn each_setter_sets_its_own_field_and_no_other() {
        let d = RetryPolicy::default();
        let ms = Duration::from_millis;
        let set = [
            (d.clone().with_max_retries(7), RetryPolicy { max_retries: 7, ..d.clone() }),
            (d.clone().with_initial_backoff(ms(3)), RetryPolicy { initial_backoff: ms(3), ..d.clone() }),
            (d.clone().with_max_backoff(ms(4)), RetryPolicy { max_backoff: ms(4), ..d.clone() }),
            (d.clone().with_jitter(0.5), RetryPolicy { jitter: 0.5, ..d.clone() }),
            (d.clone().with_max_retry_after(ms(5)), RetryPolicy { max_retry_after: ms(5), ..d.clone() }),
        ];
        for (i, (got, want)) in set.into_iter().enumerate() {
            assert_ne!(got, d, "setter {i} changed nothing");
            assert_eq!(got, want, "setter {i}");
        }
    }

    #[test]
    fn zero_retries_never_retries() {
        let p = RetryPolicy::never();
        assert_eq!(p.decide(&Method::GET, 1, Attempt::Failed(NotSent), S), Done);
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_within_bounds() {
        let p = RetryPolicy::default();
        for seed in 0..200u64 {
            for (attempt, base_ms) in
                [(1u32, 500u64), (2, 1000), (3, 2000), (4, 4000), (5, 8000), (6, 8000), (40, 8000)]
            {
                let d = p.backoff(attempt, seed);
                let base = Duration::from_millis(base_ms);
                assert!(d <= base && d >= base.mul_f64(0.75), "attempt {attempt} seed {seed}: {d:?}");
            }
        }
        // Deterministic for a seed, different across seeds.
        assert_eq!(p.backoff(1, 7), p.backoff(1, 7));
        let distinct: std::collections::HashSet<_> = (0..50).map(|s| p.backoff(1, s)).collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn splitmix64_is_the_reference_generator() {
        // The first outputs of SplitMix64 seeded with 0 (Steele, Lea and Flood, 2014; the
        // seeding step of xoshiro): a mixing step changed by a slip would still look random
        // to the jitter's bounds, but would spread retries less well.
        const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
        let outputs = [0, GOLDEN, GOLDEN.wrapping_mul(2)].map(splitmix64);
        assert_eq!(outputs, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after(&headers(&[("retry-after", " 7 ")])), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&headers(&[("retry-after", "1.5")])), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "nan"), ("retry-after", "9")])),
            Some(Duration::from_secs(9))
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
        for huge in ["18446744073709551616", "99999999999999999999999", "1e20", "1e400", "1.9e19"] {
            assert_eq!(retry_after(&headers(&[("retry-after", huge)])), Some(Duration::MAX), "{huge}");
        }
        assert_eq!(retry_after(&headers(&[("retry-after", "2e3")])), Some(Duration::from_secs(2000)));
        assert_eq!(retry_after(&headers(&[("retry-after", "01.5")])), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("retry-after", "00.25")])), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "1e30")])), Some(Duration::MAX));
        // `retry-after-ms` counts milliseconds in its fractional and exponent forms too (read as
        // seconds, "1.5e3" would be a 25-minute wait, and past `max_retry_after`).
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "1.5e3")])), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "250.5")])), Some(Duration::from_micros(250_500)));
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "00.5")])), Some(Duration::from_micros(500)));
        for junk in ["+5", "5s", "1.", ".5", "e5", "1e", "inf", "NaN", "0x10", ""] {
            assert_eq!(retry_after(&headers(&[("retry-after", junk)])), None, "{junk:?}");
        }
    }
}
