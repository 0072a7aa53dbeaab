//! A rate budget: at most so many calls in any window. The pacer keeps the client's own and
//! the server's stated ones; a wait names the one it waits for.

use std::time::Duration;

use crate::duration::HumanDuration;

/// At most `calls` calls in any `window`.
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::pacing::Budget;
///
/// let budget = Budget::new(20, Duration::from_secs(10))?;
/// assert_eq!(budget.least_time(100), Duration::from_secs(40)); // 5 windows' worth
/// assert!(Budget::new(0, Duration::from_secs(10)).is_err());
/// # Ok::<(), cloudflare_mtls::BudgetError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    calls: u32,
    window: Duration,
}

impl Budget {
    /// Cloudflare's limit for one token: 1,200 calls per 300 s.
    pub const CLOUDFLARE: Self = Self { calls: 1200, window: Duration::from_secs(300) };

    /// At most `calls` calls in any `window`: at least one call, in a window longer than
    /// zero.
    pub fn new(calls: u32, window: Duration) -> Result<Self, BudgetError> {
        match calls > 0 && !window.is_zero() {
            true => Ok(Self { calls, window }),
            false => Err(BudgetError { calls, window }),
        }
    }

    /// The calls allowed in a window.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The least time `calls` calls can take within this budget: a full budget at once,
    /// then a window's wait before each further one.
    pub fn least_time(&self, calls: u64) -> Duration {
        let windows = calls.div_ceil(u64::from(self.calls)).saturating_sub(1);
        self.window.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX))
    }
}

/// A [`Budget`] that allows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a rate budget needs at least one call in a window longer than zero (given {calls} per {}); use Pacing::off() for no pacing",
    HumanDuration(*window)
)]
pub struct BudgetError {
    /// The calls given.
    pub calls: u32,
    /// The window given.
    pub window: Duration,
}
