//! The rate-limit pacer fed any times (near `Duration::MAX` included, forwards or back) and
//! any `Ratelimit`, `Ratelimit-Policy` and `Retry-After` bytes: never a panic; a wait it asks
//! for is longer than zero and at most the pacing's `max_wait`, a refused one longer; off,
//! every call goes. With time moving forward and every call answered as it is sent, the
//! calls sent in any window of the client's own budget never exceed it (a server's fields may
//! only make it stricter).
#![no_main]

use std::time::Duration;

use cloudflare_mtls::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use cloudflare_mtls::pacing::{Budget, Pace, Pacer, Pacing};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    off: bool,
    calls: u32,
    window_secs: u64,
    window_nanos: u32,
    max_wait_secs: u64,
    /// Whether `now` only moves forward (then the budget is checked).
    forward: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Arbitrary)]
struct Step {
    /// Seconds to add to the clock (or, not `forward`, the time itself), and nanoseconds.
    secs: u64,
    nanos: u32,
    /// Answer the call, if sent, with this status and these fields; or drop its ticket.
    status: Option<u16>,
    fields: Vec<(u8, Vec<u8>)>,
}

const NAMES: [&str; 4] = ["ratelimit", "ratelimit-policy", "retry-after", "retry-after-ms"];

fuzz_target!(|input: Input| {
    let window = Duration::new(input.window_secs, input.window_nanos % 1_000_000_000);
    let budget = Budget::new(input.calls % 50, window).ok();
    let max_wait = Duration::from_secs(input.max_wait_secs);
    let pacing = match (input.off, budget) {
        (false, Some(budget)) => Pacing::within(budget),
        _ => Pacing::off(),
    }
    .with_max_wait(max_wait);
    let mut pacer = Pacer::new(&pacing);
    let mut now = Duration::ZERO;
    let mut sent_at: Vec<Duration> = Vec::new();
    for step in input.steps.iter().take(64) {
        let delta = Duration::new(step.secs, step.nanos % 1_000_000_000);
        now = if input.forward { now.saturating_add(delta) } else { delta };
        match pacer.before_send(now) {
            Pace::Send(ticket) => {
                sent_at.push(now);
                if input.forward
                    && let Some(budget) = pacing.budget()
                {
                    let in_window = sent_at.iter().filter(|at| now.saturating_sub(**at) < budget.window()).count();
                    assert!(in_window <= budget.calls() as usize, "{in_window} calls in {budget:?}");
                }
                let Some(status) = step.status.and_then(|s| StatusCode::from_u16(s).ok()) else {
                    drop(ticket);
                    continue;
                };
                let mut headers = HeaderMap::new();
                for (name, value) in &step.fields {
                    if let Ok(value) = HeaderValue::from_bytes(value) {
                        headers.append(HeaderName::from_static(NAMES[usize::from(*name) % NAMES.len()]), value);
                    }
                }
                pacer.on_answer(ticket, now, Some((status, &headers)));
            }
            Pace::Wait(wait) => {
                assert!(!pacing.is_off(), "an unpaced client waited");
                assert!(!wait.duration.is_zero() && wait.duration <= max_wait, "{wait:?} with max {max_wait:?}");
                let _ = wait.to_string();
            }
            Pace::TooLong(wait) => {
                assert!(!pacing.is_off(), "an unpaced client waited");
                assert!(wait.duration > max_wait, "{wait:?} refused with max {max_wait:?}");
                let _ = wait.to_string();
            }
        }
    }
});
