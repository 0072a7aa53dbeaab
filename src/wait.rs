//! A wait a client makes before it sends, and why: the rate-limit pacer's (its own budget,
//! the server's `Ratelimit` and `Ratelimit-Policy`, a 429's `Retry-After`) or a retry's
//! backoff. A client hands each one to its [`on_wait`](crate::Client::on_wait) observer
//! before sleeping, so a program can say why it is quiet; a wait longer than
//! [`Pacing::max_wait`](crate::Pacing::max_wait) is not made at all (see
//! [`WaitTooLong`](crate::WaitTooLong)).
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::{Wait, WaitReason};
//!
//! let wait = Wait::new(Duration::from_millis(4200), WaitReason::Limit { name: "default".into(), reset: Duration::from_secs(4) });
//! assert_eq!(wait.to_string(), "waiting 4.2 s for the API's rate limit (Ratelimit \"default\" r=0, resets in 4.0 s)");
//! ```

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::budget::Budget;
use crate::duration::HumanDuration;

/// A wait before a request is sent, and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wait {
    /// How long.
    pub duration: Duration,
    /// Why.
    pub reason: WaitReason,
    /// The strictest rate the pacer keeps to (its own budget or one the server stated),
    /// whatever this wait's reason: enough to tell how long a job of so many calls takes.
    /// `None` for a retry's wait.
    pub rate: Option<Budget>,
}

impl Wait {
    /// A wait of `duration` for `reason`.
    pub fn new(duration: Duration, reason: WaitReason) -> Self {
        Self { duration, reason, rate: None }
    }

    /// The same wait, made within `rate`.
    pub fn within(self, rate: Option<Budget>) -> Self {
        Self { rate, ..self }
    }
}

/// Why a client waits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// The client's own budget ([`Pacing::within`](crate::Pacing::within)) has no room yet.
    Budget(Budget),
    /// A budget the server stated in `Ratelimit-Policy` (`q=…;w=…`) has no room yet.
    Policy(Budget),
    /// The server's `Ratelimit` said no call is left in the limit `name` until it resets.
    Limit {
        /// The limit's name (`"default"`), as the server sent it.
        name: String,
        /// When it resets, from now.
        reset: Duration,
    },
    /// A 429's `Retry-After` holds every call of the client until it passes.
    RetryAfter,
    /// A 429 without `Retry-After` holds every call of the client for a second's pause.
    TooManyRequests,
    /// Every slot of the budget is taken by calls still in flight (or, before the first
    /// answer, one call at a time is sent).
    InFlight,
    /// Before retry number `retry` of a call, after an attempt that ended with `status`
    /// (`None`: no answer, the transport failed).
    Retry {
        /// The retry's number, from 1.
        retry: u32,
        /// The status of the attempt that failed, if it was answered.
        status: Option<StatusCode>,
    },
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiting {} {}", HumanDuration(self.duration), self.reason)
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Budget(b) => {
                let calls = if b.calls() == 1 { "call" } else { "calls" };
                write!(
                    f,
                    "to stay within the client's budget of {} {calls} per {}",
                    b.calls(),
                    HumanDuration(b.window())
                )
            }
            Self::Policy(b) => write!(
                f,
                "for the API's rate limit (Ratelimit-Policy q={}, w={})",
                b.calls(),
                HumanDuration(b.window())
            ),
            Self::Limit { name, reset } => {
                write!(f, "for the API's rate limit (Ratelimit {name:?} r=0, resets in {})", HumanDuration(*reset))
            }
            Self::RetryAfter => f.write_str("for the API's rate limit (HTTP 429 with Retry-After)"),
            Self::TooManyRequests => {
                f.write_str("for the API's rate limit (HTTP 429 without Retry-After: this client pauses 1 s)")
            }
            Self::InFlight => f.write_str("for calls in flight to be answered"),
            Self::Retry { retry, status: Some(status) } => write!(f, "before retry {retry} (HTTP {})", status.as_u16()),
            Self::Retry { retry, status: None } => write!(f, "before retry {retry} (no answer)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_their_source() {
        let budget = Budget::new(1200, Duration::from_secs(300)).unwrap();
        let waits = [
            (WaitReason::Budget(budget), "waiting 4.0 s to stay within the client's budget of 1200 calls per 5 min"),
            (WaitReason::Policy(budget), "waiting 4.0 s for the API's rate limit (Ratelimit-Policy q=1200, w=5 min)"),
            (WaitReason::RetryAfter, "waiting 4.0 s for the API's rate limit (HTTP 429 with Retry-After)"),
            (
                WaitReason::TooManyRequests,
                "waiting 4.0 s for the API's rate limit (HTTP 429 without Retry-After: this client pauses 1 s)",
            ),
            (
                WaitReason::Budget(Budget::new(1, Duration::from_secs(2)).unwrap()),
                "waiting 4.0 s to stay within the client's budget of 1 call per 2.0 s",
            ),
            (
                WaitReason::Retry { retry: 2, status: Some(StatusCode::BAD_GATEWAY) },
                "waiting 4.0 s before retry 2 (HTTP 502)",
            ),
            (WaitReason::Retry { retry: 1, status: None }, "waiting 4.0 s before retry 1 (no answer)"),
            // A name cannot start a line of its own.
            (
                WaitReason::Limit { name: "a\nb".into(), reset: Duration::from_secs(4) },
                "waiting 4.0 s for the API's rate limit (Ratelimit \"a\\nb\" r=0, resets in 4.0 s)",
            ),
        ];
        for (reason, text) in waits {
            assert_eq!(Wait::new(Duration::from_secs(4), reason).to_string(), text);
        }
    }
}
