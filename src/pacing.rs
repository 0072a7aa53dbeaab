//! Rate-limit pacing: before each request, how long to wait so that the rate limit is never
//! crossed. A state machine fed the time by its driver; it reads no clock.
//!
//! Cloudflare allows 1,200 requests per 5 minutes per token, all tools together, and past
//! that answers 429 to *every* call for the next 5 minutes: a retry after the 429 is too late.
//! So a [`Pacer`] keeps two counts and waits for the stricter:
//!
//! - **Its own budget** ([`Pacing`], 1,200 per 300 s unless set), plus any budget the server
//!   states in `Ratelimit-Policy` (`"default";q=1200;w=300`). It is a sliding window over the
//!   calls made through it (every clone of a client shares one pacer). A call is counted
//!   from the moment its answer came back, not from when it was sent: the server's window
//!   starts somewhere in between, and only the later end never undercounts.
//! - **What the server says** in every answer: `Ratelimit: "default";r=50;t=30` (50 calls
//!   left, counting every tool that uses the token, until the window resets in 30 s), less
//!   the calls of ours still in flight; and `Retry-After` on a 429, which holds every call
//!   until it passes.
//!
//! Before the first answer, one call at a time is sent: a burst of concurrent calls could
//! cross a limit the pacer has not yet been told. A server's wait is believed up to an hour
//! ([`MAX_SERVER_WAIT`]). Both fields are read as structured-field lists (RFC 9651, with the
//! `sfv` crate); an item or a field that does not parse is ignored.
//!
//! Every wait comes with its [reason](crate::WaitReason). A wait longer than
//! [`Pacing::max_wait`] (5 minutes unless set: Cloudflare's own lock-out) is not made: the
//! pacer answers [`Pace::TooLong`], and a client fails the call at once with
//! [`Error::RateLimited`](crate::Error::RateLimited), which carries the wait.
//!
//! Every time and duration is added with saturation: a clock near [`Duration::MAX`], a
//! budget window of `Duration::MAX` or a server's absurd reset never overflows.
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::pacing::{Budget, Pace, Pacer, Pacing};
//!
//! let mut pacer = Pacer::new(&Pacing::within(Budget::new(2, Duration::from_secs(10))?));
//! let second = Duration::from_secs(1);
//! let Pace::Send(first) = pacer.before_send(Duration::ZERO) else { unreachable!() };
//! // The server's answer at t = 1 s: 5 calls left in a window that resets in 30 s.
//! let mut headers = http::HeaderMap::new();
//! headers.insert("ratelimit", http::HeaderValue::from_static("\"default\";r=5;t=30"));
//! pacer.on_answer(first, second, Some((http::StatusCode::OK, &headers)));
//! let Pace::Send(next) = pacer.before_send(second) else { unreachable!() };
//! pacer.on_answer(next, second, None);
//! // Two calls answered at t = 1 s use the budget of 2 per 10 s until t = 11 s.
//! let Pace::Wait(wait) = pacer.before_send(second * 2) else { unreachable!() };
//! assert_eq!(wait.duration, second * 9);
//! # Ok::<(), cloudflare_mtls::BudgetError>(())
//! ```

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use sfv::visitor::{EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ListVisitor, ParameterVisitor};
use sfv::{BareItemFromInput, KeyRef};

pub use crate::budget::Budget;
use crate::headers::{RATELIMIT, RATELIMIT_POLICY};
use crate::wait::{Wait, WaitReason};

/// The longest wait a server's `Ratelimit` or `Retry-After` is believed for.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// The longest wait a client makes unless told otherwise ([`Pacing::with_max_wait`]):
/// Cloudflare's own lock-out after its limit is crossed.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// How often to look again while every slot of the budget is taken by calls still in flight.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

/// A call whose answer never came (its driver dropped the [`Ticket`]) stops counting after
/// this many windows.
const LOST_CALL_WINDOWS: u32 = 2;

/// At most this many limits and policies are kept from a server's fields.
const MAX_SERVER_ITEMS: usize = 4;

/// Whether and within what budget a client paces its calls: by default within
/// [`Budget::CLOUDFLARE`] and whatever the server says, waiting at most
/// [`DEFAULT_MAX_WAIT`] before a call.
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::pacing::{Budget, Pacing};
///
/// assert_eq!(Pacing::default().budget(), Some(Budget::CLOUDFLARE));
/// let tight = Pacing::within(Budget::new(600, Duration::from_secs(300))?); // leave room for other tools
/// assert!(Pacing::off().is_off() && !tight.is_off());
/// // A script that would rather fail than wait more than a minute for the rate limit:
/// let impatient = Pacing::default().with_max_wait(Duration::from_secs(60));
/// assert_eq!(impatient.max_wait(), Duration::from_secs(60));
/// # Ok::<(), cloudflare_mtls::BudgetError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    budget: Option<Budget>,
    max_wait: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self { budget: Some(Budget::CLOUDFLARE), max_wait: DEFAULT_MAX_WAIT }
    }
}

impl Pacing {
    /// Paces within `budget` and whatever the server says.
    pub fn within(budget: Budget) -> Self {
        Self { budget: Some(budget), ..Self::default() }
    }

    /// No pacing: calls are sent at once, and a 429 is left to the retry policy.
    pub fn off() -> Self {
        Self { budget: None, ..Self::default() }
    }

    /// Waits at most `max_wait` before a call: a longer wait (the server's `Ratelimit` says
    /// none are left for an hour, say) is not made, and the call fails at once with
    /// [`Error::RateLimited`](crate::Error::RateLimited), whose `retry_after()` is the wait.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The client's own budget (`None` when off).
    pub fn budget(&self) -> Option<Budget> {
        self.budget
    }

    /// The longest wait before a call ([`DEFAULT_MAX_WAIT`] unless set).
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// Whether pacing is off.
    pub fn is_off(&self) -> bool {
        self.budget.is_none()
    }
}

/// A call counted by the pacer: hand it back to [`Pacer::on_answer`] when the call is over.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a call's ticket goes back to the pacer when its answer comes"]
pub struct Ticket(u64);

/// The pacer's answer before a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Pace {
    /// Send now; the call is counted.
    Send(Ticket),
    /// Wait this long, then ask again (nothing was counted).
    Wait(Wait),
    /// The wait is longer than [`Pacing::max_wait`]: do not send (nothing was counted).
    TooLong(Wait),
}

/// One call made through the pacer.
#[derive(Debug, Clone, Copy)]
struct Sent {
    ticket: u64,
    /// When it was sent, and then when its answer came.
    at: Duration,
    answered: bool,
}

/// A limit the server stated in `Ratelimit`.
#[derive(Debug, Clone)]
struct ServerLimit {
    name: String,
    left: u64,
    until: Duration,
}

/// The pacing state of a client and its clones. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Pacer {
    own: Option<Budget>,
    /// Budgets from the server's `Ratelimit-Policy`.
    stated: Vec<Budget>,
    sent: Vec<Sent>,
    next_ticket: u64,
    limits: Vec<ServerLimit>,
    /// No call is sent before this (a 429's `Retry-After`, or a pause after a 429 without one).
    held_until: Duration,
    /// Why: [`WaitReason::RetryAfter`] or [`WaitReason::TooManyRequests`].
    held_by: WaitReason,
    answered_once: bool,
    max_wait: Duration,
}

impl Pacer {
    /// A pacer for `pacing`.
    pub fn new(pacing: &Pacing) -> Self {
        Self {
            own: pacing.budget(),
            stated: Vec::new(),
            sent: Vec::new(),
            next_ticket: 0,
            limits: Vec::new(),
            held_until: Duration::ZERO,
            held_by: WaitReason::RetryAfter,
            answered_once: false,
            max_wait: pacing.max_wait(),
        }
    }

    /// Whether this pacer lets every call through at once.
    pub fn is_off(&self) -> bool {
        self.own.is_none()
    }

    /// Before sending a request at `now` (monotonic, any origin): send (the call is counted),
    /// wait and ask again, or give up on a wait longer than the pacing's `max_wait`. The
    /// wait named is the longest of those that apply, with its reason.
    pub fn before_send(&mut self, now: Duration) -> Pace {
        if self.is_off() {
            return Pace::Send(Ticket(u64::MAX));
        }
        self.forget_old(now);
        let in_flight = self.sent.iter().any(|s| !s.answered);
        let mut wait = Wait::new(self.held_until.saturating_sub(now), self.held_by.clone());
        let mut longer = |duration: Duration, reason: &dyn Fn() -> WaitReason| {
            if duration > wait.duration {
                wait = Wait::new(duration, reason());
            }
        };
        if !self.answered_once && in_flight {
            longer(IN_FLIGHT_POLL, &|| WaitReason::InFlight);
        }
        for limit in self.limits.iter().filter(|l| l.left == 0) {
            let reset = limit.until.saturating_sub(now);
            longer(reset, &|| WaitReason::Limit { name: limit.name.clone(), reset });
        }
        for (n, budget) in self.own.iter().chain(&self.stated).enumerate() {
            let (duration, in_flight) = self.wait_for_budget(budget, now);
            let reason = match (in_flight, n) {
                (true, _) => WaitReason::InFlight,
                (false, 0) if self.own.is_some() => WaitReason::Budget(*budget),
                (false, _) => WaitReason::Policy(*budget),
            };
            longer(duration, &|| reason.clone());
        }
        let wait = wait.within(self.strictest());
        if wait.duration > self.max_wait {
            return Pace::TooLong(wait);
        }
        if !wait.duration.is_zero() {
            return Pace::Wait(wait);
        }
        for limit in &mut self.limits {
            limit.left = limit.left.saturating_sub(1);
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.sent.push(Sent { ticket, at: now, answered: false });
        Pace::Send(Ticket(ticket))
    }

    /// The call of `ticket` is over at `now`: with the answer's status and headers, or
    /// `None` when no answer came (a transport error, a cancelled call).
    pub fn on_answer(&mut self, ticket: Ticket, now: Duration, answer: Option<(StatusCode, &HeaderMap)>) {
        if self.is_off() {
            return;
        }
        let index = self.sent.binary_search_by_key(&ticket.0, |s| s.ticket);
        if let Some(sent) = index.ok().and_then(|i| self.sent.get_mut(i)) {
            *sent = Sent { at: now, answered: true, ..*sent };
        }
        let Some((status, headers)) = answer else { return };
        self.answered_once = true;
        let others_in_flight = self.sent.iter().filter(|s| !s.answered).count() as u64;
        let field = |name: http::HeaderName| {
            headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",")
        };
        for item in items(&field(RATELIMIT)) {
            let (Some(left), Some(reset)) = (item.param(b'r'), item.param(b't')) else { continue };
            let until = now.saturating_add(Duration::from_secs(reset).min(MAX_SERVER_WAIT));
            // Our calls in flight may not be in the server's count yet.
            self.learn_limit(item.name, left.saturating_sub(others_in_flight), until, now);
        }
        let stated: Vec<Budget> = items(&field(RATELIMIT_POLICY))
            .iter()
            .filter_map(|item| {
                let calls = u32::try_from(item.param(b'q')?).ok()?;
                let window = Duration::from_secs(item.param(b'w')?);
                Budget::new(calls, window).ok().filter(|b| b.window() <= MAX_SERVER_WAIT)
            })
            .take(MAX_SERVER_ITEMS)
            .collect();
        if !stated.is_empty() {
            self.stated = stated;
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let (wait, by) = match crate::retry::retry_after(headers) {
                Some(wait) => (wait, WaitReason::RetryAfter),
                None => (Duration::from_secs(1), WaitReason::TooManyRequests),
            };
            let until = now.saturating_add(wait.min(MAX_SERVER_WAIT));
            if until >= self.held_until {
                (self.held_until, self.held_by) = (until, by);
            }
        }
    }

    /// The slowest of the budgets kept to: the client's own and those the server stated.
    fn strictest(&self) -> Option<Budget> {
        let pace = |b: &&Budget| b.window().as_nanos() / u128::from(b.calls());
        self.own.iter().chain(&self.stated).max_by_key(pace).copied()
    }

    /// How long until one more call fits in `budget`, and whether it is calls in flight
    /// (not answered ones) that fill it.
    fn wait_for_budget(&self, budget: &Budget, now: Duration) -> (Duration, bool) {
        let counts = |s: &&Sent| !s.answered || still(s.at, budget.window(), now);
        let counted = self.sent.iter().filter(counts).count();
        // Over budget by `excess`: the `excess` earliest to leave the window must leave
        // first; calls in flight leave only once answered.
        let excess = (counted + 1).saturating_sub(budget.calls() as usize);
        if excess == 0 {
            return (Duration::ZERO, false);
        }
        let mut leave: Vec<Duration> = self
            .sent
            .iter()
            .filter(counts)
            .filter(|s| s.answered)
            .map(|s| s.at.saturating_add(budget.window()))
            .collect();
        leave.sort_unstable();
        match leave.get(excess - 1) {
            // An end past the end of time never comes.
            Some(&Duration::MAX) => (Duration::MAX, false),
            Some(at) => (at.saturating_sub(now), false),
            None => (IN_FLIGHT_POLL, true),
        }
    }

    /// Takes a server's `Ratelimit` item: within the window it knows of, the lower count and
    /// the later reset; after it, the new one.
    fn learn_limit(&mut self, name: String, left: u64, until: Duration, now: Duration) {
        let room = self.limits.len() < MAX_SERVER_ITEMS;
        match self.limits.iter_mut().find(|l| l.name == name) {
            Some(known) if known.until > now => {
                known.left = known.left.min(left);
                known.until = known.until.max(until);
            }
            Some(known) => *known = ServerLimit { name, left, until },
            None if room => self.limits.push(ServerLimit { name, left, until }),
            None => {}
        }
    }

    /// Drops the calls no budget counts any more, and the server limits that have reset.
    fn forget_old(&mut self, now: Duration) {
        let longest = self.own.iter().chain(&self.stated).map(Budget::window).max().unwrap_or_default();
        let lost = longest.saturating_mul(LOST_CALL_WINDOWS);
        self.sent.retain(|s| match s.answered {
            true => still(s.at, longest, now),
            false => still(s.at, lost, now),
        });
        self.limits.retain(|l| l.until > now);
    }
}

/// Whether what began at `at` and lasts `span` is still on at `now`. An end past
/// [`Duration::MAX`] never comes (a saturated end would pass as soon as the clock reached it).
fn still(at: Duration, span: Duration, now: Duration) -> bool {
    at.checked_add(span).is_none_or(|end| end > now)
}

/// One item of a structured-field list: its name (a string or a token) and its integer
/// parameters of one letter.
#[derive(Debug, Default)]
struct Item {
    name: String,
    params: Vec<(u8, u64)>,
}

impl Item {
    fn param(&self, key: u8) -> Option<u64> {
        self.params.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// The items of a structured-field list; nothing if it does not parse.
fn items(field: &str) -> Vec<Item> {
    if field.is_empty() {
        return Vec::new();
    }
    sfv::Parser::new(field).parse_list_with_visitor(Items::default()).unwrap_or_default()
}

/// Collects a list's items (inner lists are skipped).
#[derive(Default)]
struct Items(Vec<Item>);

impl<'de> ListVisitor<'de> for Items {
    type Out = Vec<Item>;
    type Error = std::convert::Infallible;

    fn entry(&mut self) -> Result<impl EntryVisitor<'de>, Self::Error> {
        Ok(Entry(&mut self.0))
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self.0)
    }
}

struct Entry<'a>(&'a mut Vec<Item>);

impl<'de> EntryVisitor<'de> for Entry<'_> {
    type Error = std::convert::Infallible;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(self)
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        Ok(Ignored)
    }
}

impl<'de> ItemVisitor<'de> for Entry<'_> {
    type Out = ();
    type Error = std::convert::Infallible;

    fn bare_item(self, bare_item: BareItemFromInput<'de>) -> Result<impl ParameterVisitor<'de, Out = ()>, Self::Error> {
        let name = match (bare_item.as_string(), bare_item.as_token()) {
            (Some(s), _) => s.as_str().to_owned(),
            (_, Some(t)) => t.as_str().to_owned(),
            _ => String::new(),
        };
        self.0.push(Item { name, params: Vec::new() });
        Ok(Params(self.0.last_mut()))
    }
}

struct Params<'a>(Option<&'a mut Item>);

impl<'de> ParameterVisitor<'de> for Params<'_> {
    type Out = ();
    type Error = std::convert::Infallible;

    fn parameter(&mut self, key: &'de KeyRef, value: BareItemFromInput<'de>) -> Result<(), Self::Error> {
        let integer = value.as_integer().and_then(|i| u64::try_from(i64::from(i)).ok());
        if let (Some(item), [letter], Some(n)) = (self.0.as_deref_mut(), key.as_str().as_bytes(), integer) {
            item.params.push((*letter, n));
        }
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn budget(calls: u32, secs: u64) -> Pacer {
        Pacer::new(&Pacing::within(Budget::new(calls, Duration::from_secs(secs)).unwrap()))
    }

    /// The duration of a `Pace::Wait`.
    #[track_caller]
    fn waited(pace: Pace) -> Duration {
        match pace {
            Pace::Wait(wait) => wait.duration,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    fn headers(fields: &[(&'static str, &'static str)]) -> HeaderMap {
        fields.iter().map(|(k, v)| (http::HeaderName::from_static(k), http::HeaderValue::from_static(v))).collect()
    }

    /// Sends at `now` and answers at once with `fields`; panics if the pacer says wait.
    fn call(pacer: &mut Pacer, now: Duration, fields: &[(&'static str, &'static str)]) {
        let Pace::Send(ticket) = pacer.before_send(now) else { panic!("asked to wait at {now:?}") };
        pacer.on_answer(ticket, now, Some((StatusCode::OK, &headers(fields))));
    }

    #[test]
    fn own_budget_is_a_sliding_window_from_the_answers() {
        let mut pacer = budget(3, 10);
        call(&mut pacer, Duration::ZERO, &[]);
        call(&mut pacer, 2 * S, &[]);
        call(&mut pacer, 4 * S, &[]);
        assert_eq!(waited(pacer.before_send(5 * S)), 5 * S);
        call(&mut pacer, 10 * S, &[]);
        assert_eq!(waited(pacer.before_send(10 * S)), 2 * S);
    }

    #[test]
    fn a_call_counts_from_its_answer() {
        let mut pacer = budget(1, 10);
        let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
        assert_eq!(waited(pacer.before_send(S)), IN_FLIGHT_POLL);
        pacer.on_answer(t, 3 * S, None);
        assert_eq!(waited(pacer.before_send(4 * S)), 9 * S);
    }

    #[test]
    fn server_limit_holds_calls_until_its_reset() {
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=1;t=30")]);
        call(&mut pacer, S, &[]);
        assert_eq!(waited(pacer.before_send(2 * S)), 28 * S);
        call(&mut pacer, 30 * S, &[]);
    }

    #[test]
    fn server_limit_counts_our_calls_in_flight() {
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[]);
        let Pace::Send(a) = pacer.before_send(S) else { panic!() };
        let Pace::Send(b) = pacer.before_send(S) else { panic!() };
        // `b` may not be in the server's count of 1 left.
        pacer.on_answer(a, S, Some((StatusCode::OK, &headers(&[("ratelimit", "\"default\";r=1;t=10")]))));
        assert_eq!(waited(pacer.before_send(S)), 10 * S);
        pacer.on_answer(b, S, None);
    }

    #[test]
    fn one_call_at_a_time_until_the_first_answer() {
        let mut pacer = budget(1200, 300);
        let Pace::Send(first) = pacer.before_send(Duration::ZERO) else { panic!() };
        assert_eq!(waited(pacer.before_send(Duration::ZERO)), IN_FLIGHT_POLL);
        pacer.on_answer(first, S, Some((StatusCode::OK, &HeaderMap::new())));
        assert!(matches!(pacer.before_send(S), Pace::Send(_)));
        assert!(matches!(pacer.before_send(S), Pace::Send(_)));
    }

    #[test]
    fn a_stated_policy_joins_the_budget() {
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[("ratelimit-policy", "\"default\";q=2;w=10, \"burst\";q=100;w=1")]);
        call(&mut pacer, S, &[]);
        assert_eq!(waited(pacer.before_send(S)), 9 * S);
        // Every wait carries the strictest rate, for a job to say how long it takes.
        let Pace::Wait(wait) = pacer.before_send(S) else { panic!() };
        assert_eq!(wait.rate, Some(Budget::new(2, 10 * S).unwrap()));
    }

    #[test]
    fn a_429_holds_every_call_for_its_retry_after() {
        let mut pacer = budget(1200, 300);
        let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
        pacer.on_answer(t, Duration::ZERO, Some((StatusCode::TOO_MANY_REQUESTS, &headers(&[("retry-after", "120")]))));
        assert_eq!(waited(pacer.before_send(S)), 119 * S);
    }

    #[test]
    fn server_waits_are_capped() {
        let patient = Pacing::default().with_max_wait(2 * MAX_SERVER_WAIT);
        let mut pacer = Pacer::new(&patient);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=0;t=99999999999")]);
        assert_eq!(waited(pacer.before_send(Duration::ZERO)), MAX_SERVER_WAIT);
    }

    #[test]
    fn a_wait_longer_than_max_wait_is_not_made() {
        // The server's hour, by `Ratelimit` or by `Ratelimit-Policy`, against the default 5 minutes.
        for field in [("ratelimit", "\"default\";r=0;t=3600"), ("ratelimit-policy", "\"default\";q=1;w=3600")] {
            let mut pacer = Pacer::new(&Pacing::default());
            call(&mut pacer, Duration::ZERO, &[field]);
            let Pace::TooLong(wait) = pacer.before_send(S) else { panic!("{field:?}") };
            assert!(wait.duration > 3000 * S && wait.duration <= 3600 * S, "{wait:?}");
            assert!(!matches!(wait.reason, WaitReason::InFlight | WaitReason::Budget(_)), "{wait:?}");
            // Nothing was counted: once the server's window is over, calls go again.
            call(&mut pacer, 3601 * S, &[]);
        }
        // Within the limit, the same wait is made.
        let mut pacer = Pacer::new(&Pacing::default().with_max_wait(3600 * S));
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=0;t=3600")]);
        assert_eq!(waited(pacer.before_send(S)), 3599 * S);
    }

    #[test]
    fn each_wait_says_why() {
        let reason = |pacer: &mut Pacer, now| match pacer.before_send(now) {
            Pace::Wait(wait) | Pace::TooLong(wait) => wait.reason,
            Pace::Send(_) => panic!("sent"),
        };
        let mut pacer = budget(1, 10);
        call(&mut pacer, Duration::ZERO, &[]);
        assert_eq!(reason(&mut pacer, S), WaitReason::Budget(Budget::new(1, 10 * S).unwrap()));

        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=0;t=30")]);
        assert_eq!(reason(&mut pacer, S), WaitReason::Limit { name: "default".into(), reset: 29 * S });

        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[("ratelimit-policy", "\"burst\";q=1;w=60")]);
        assert_eq!(reason(&mut pacer, S), WaitReason::Policy(Budget::new(1, 60 * S).unwrap()));

        let mut pacer = budget(1200, 300);
        let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
        pacer.on_answer(t, Duration::ZERO, Some((StatusCode::TOO_MANY_REQUESTS, &headers(&[("retry-after", "20")]))));
        assert_eq!(reason(&mut pacer, S), WaitReason::RetryAfter);

        // Without Retry-After, the pause is the pacer's own, and its reason says so.
        let mut pacer = budget(1200, 300);
        let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
        pacer.on_answer(t, Duration::ZERO, Some((StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new())));
        assert_eq!(reason(&mut pacer, Duration::ZERO), WaitReason::TooManyRequests);

        let mut pacer = budget(1200, 300);
        let Pace::Send(_in_flight) = pacer.before_send(Duration::ZERO) else { panic!() };
        assert_eq!(reason(&mut pacer, Duration::ZERO), WaitReason::InFlight);
    }

    #[test]
    fn times_and_windows_near_the_end_of_time_do_not_overflow() {
        let end = Duration::MAX;
        let mut pacer = Pacer::new(&Pacing::within(Budget::new(5, end).unwrap()));
        for now in [Duration::ZERO, end - S, end] {
            if let Pace::Send(t) = pacer.before_send(now) {
                pacer.on_answer(
                    t,
                    now,
                    Some((
                        StatusCode::TOO_MANY_REQUESTS,
                        &headers(&[("retry-after", "99999999999"), ("ratelimit", "\"d\";r=0;t=99999999999")]),
                    )),
                );
            }
        }
        let mut pacer = budget(2, 10);
        for now in [end - S, end, end] {
            if let Pace::Send(t) = pacer.before_send(now) {
                pacer.on_answer(t, now, Some((StatusCode::OK, &headers(&[("ratelimit-policy", "\"d\";q=1;w=3600")]))));
            }
        }
        assert_eq!(Budget::new(5, end).unwrap().least_time(u64::MAX), end);
        // Found by fuzzing: once the clock saturates, a window that would end past the end of
        // time has not ended (for a call in flight, and for one answered).
        for answer in [false, true] {
            let mut pacer = Pacer::new(&Pacing::within(Budget::new(1, end / 2).unwrap()));
            let Pace::Send(t) = pacer.before_send(end - 3600 * S) else { panic!() };
            if answer {
                pacer.on_answer(t, end - 3600 * S, Some((StatusCode::OK, &HeaderMap::new())));
            }
            assert!(!matches!(pacer.before_send(end), Pace::Send(_)), "answered: {answer}");
        }
    }

    #[test]
    fn fields_that_do_not_parse_are_ignored() {
        for junk in
            ["r=0;t=30", "\"default\";r=-1;t=30", "\"default\";r=0", "(\"a\");r=0;t=9", "\"x\";r=0.5;t=9", "\u{1}"]
        {
            let mut pacer = budget(1200, 300);
            let value = http::HeaderValue::from_str(junk).unwrap_or(http::HeaderValue::from_static("?"));
            let mut map = HeaderMap::new();
            map.insert("ratelimit", value.clone());
            map.insert("ratelimit-policy", value);
            let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
            pacer.on_answer(t, Duration::ZERO, Some((StatusCode::OK, &map)));
            assert!(matches!(pacer.before_send(Duration::ZERO), Pace::Send(_)), "{junk}");
        }
    }

    #[test]
    fn a_lost_ticket_stops_counting() {
        let mut pacer = budget(1, 10);
        let Pace::Send(_lost) = pacer.before_send(Duration::ZERO) else { panic!() };
        assert_eq!(waited(pacer.before_send(19 * S)), IN_FLIGHT_POLL);
        assert!(matches!(pacer.before_send(20 * S), Pace::Send(_)));
    }

    #[test]
    fn off_lets_everything_through() {
        let mut pacer = Pacer::new(&Pacing::off());
        for _ in 0..10_000 {
            let Pace::Send(t) = pacer.before_send(Duration::ZERO) else { panic!() };
            pacer.on_answer(t, Duration::ZERO, Some((StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new())));
        }
        assert!(pacer.sent.is_empty());
    }

    /// Sends at `now` (the pacer must say send) and answers later, or never.
    fn send(pacer: &mut Pacer, now: Duration) -> Ticket {
        let Pace::Send(ticket) = pacer.before_send(now) else { panic!("asked to wait at {now:?}") };
        ticket
    }

    fn answer(pacer: &mut Pacer, ticket: Ticket, now: Duration, fields: &[(&'static str, &'static str)]) {
        pacer.on_answer(ticket, now, Some((StatusCode::OK, &headers(fields))));
    }

    #[test]
    fn pacing_off_is_off_and_only_off() {
        assert!(Pacing::off().is_off());
        assert!(!Pacing::default().is_off() && !Pacing::within(Budget::CLOUDFLARE).is_off());
    }

    #[test]
    fn a_wait_of_exactly_max_wait_is_made() {
        let pacing = Pacing::within(Budget::new(1, 10 * S).unwrap()).with_max_wait(10 * S);
        let mut pacer = Pacer::new(&pacing);
        call(&mut pacer, Duration::ZERO, &[]);
        assert_eq!(waited(pacer.before_send(Duration::ZERO)), 10 * S);
        assert!(matches!(pacer.before_send(Duration::ZERO), Pace::Wait(_)));
        let mut pacer = Pacer::new(&pacing.with_max_wait(10 * S - Duration::from_nanos(1)));
        call(&mut pacer, Duration::ZERO, &[]);
        assert!(matches!(pacer.before_send(Duration::ZERO), Pace::TooLong(_)));
    }

    #[test]
    fn on_a_tie_the_first_reason_stays() {
        // A 429 whose Retry-After and Ratelimit end together: the explicit Retry-After is
        // named (the order: a 429's hold, calls in flight, the server's limits, the budgets).
        let mut pacer = budget(1200, 300);
        let t = send(&mut pacer, Duration::ZERO);
        let fields = headers(&[("retry-after", "30"), ("ratelimit", "\"default\";r=0;t=30")]);
        pacer.on_answer(t, Duration::ZERO, Some((StatusCode::TOO_MANY_REQUESTS, &fields)));
        let Pace::Wait(wait) = pacer.before_send(S) else { panic!() };
        assert_eq!((wait.duration, wait.reason), (29 * S, WaitReason::RetryAfter));
    }

    #[test]
    fn each_ticket_answers_its_own_call() {
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[]);
        let (a, b) = (send(&mut pacer, S), send(&mut pacer, S));
        assert_ne!(a, b);
        // The earlier call's answer leaves the later one in flight.
        answer(&mut pacer, a, 2 * S, &[]);
        let answered: Vec<bool> = pacer.sent.iter().map(|s| s.answered).collect();
        assert_eq!(answered, [true, true, false]);
        answer(&mut pacer, b, 3 * S, &[]);
        assert!(pacer.sent.iter().all(|s| s.answered));
    }

    #[test]
    fn a_call_in_flight_counts_however_long_it_takes() {
        // A budget of 1 per 10 s, once answers have come: a call in flight for 15 s (more
        // than a window, less than the two after which it is taken for lost) still fills it.
        let mut pacer = budget(1, 10);
        call(&mut pacer, Duration::ZERO, &[]);
        let _slow = send(&mut pacer, 10 * S);
        let Pace::Wait(wait) = pacer.before_send(25 * S) else { panic!("sent") };
        assert_eq!((wait.duration, wait.reason), (IN_FLIGHT_POLL, WaitReason::InFlight));
    }

    #[test]
    fn limits_are_told_apart_by_name_in_either_form() {
        // A token names a limit as well as a string does (RFC 9651), and a second limit is
        // its own, not a change to the first.
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=5;t=60")]);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "burst;r=0;t=30")]);
        let Pace::Wait(wait) = pacer.before_send(Duration::ZERO) else { panic!("sent") };
        assert_eq!(wait.reason, WaitReason::Limit { name: "burst".into(), reset: 30 * S });
    }

    #[test]
    fn within_its_window_a_limit_takes_the_lower_count_after_it_the_new_one() {
        // Two calls in flight; the first's answer says none left for 30 s, the second's (sent
        // before it, counted before the first) says 5 for 10 s: the lower count holds.
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[]);
        let (a, b) = (send(&mut pacer, Duration::ZERO), send(&mut pacer, Duration::ZERO));
        answer(&mut pacer, a, Duration::ZERO, &[("ratelimit", "\"default\";r=0;t=30")]);
        answer(&mut pacer, b, S, &[("ratelimit", "\"default\";r=5;t=10")]);
        assert_eq!(waited(pacer.before_send(S)), 29 * S);
        // An answer at the very end of the window starts a new one: its count is the count.
        let mut pacer = budget(1200, 300);
        call(&mut pacer, Duration::ZERO, &[]);
        let late = send(&mut pacer, Duration::ZERO);
        call(&mut pacer, Duration::ZERO, &[("ratelimit", "\"default\";r=0;t=10")]);
        answer(&mut pacer, late, 10 * S, &[("ratelimit", "\"default\";r=5;t=30")]);
        assert!(matches!(pacer.before_send(10 * S), Pace::Send(_)));
    }

    #[test]
    fn at_most_four_server_limits_are_kept_and_a_reset_one_frees_its_place() {
        let mut pacer = budget(1200, 300);
        let five = "a;r=9;t=10, b;r=9;t=10, c;r=9;t=10, d;r=9;t=10, e;r=0;t=10";
        call(&mut pacer, Duration::ZERO, &[("ratelimit", five)]);
        assert!(matches!(pacer.before_send(Duration::ZERO), Pace::Send(_)), "the fifth is not kept");
        // At 10 s the four have reset: a new one is kept.
        call(&mut pacer, 10 * S, &[("ratelimit", "e;r=0;t=30")]);
        assert_eq!(waited(pacer.before_send(10 * S)), 30 * S);
    }

    #[test]
    fn least_time() {
        let b = Budget::new(20, 10 * S).unwrap();
        assert_eq!(
            (b.least_time(0), b.least_time(20), b.least_time(21), b.least_time(100)),
            (Duration::ZERO, Duration::ZERO, 10 * S, 40 * S)
        );
    }
}
