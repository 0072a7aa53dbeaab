//! What a call leaves in `tracing` (feature `tracing`): one span per call, one event per
//! attempt. Only the call, the method, the IDs (account or zone, certificate), statuses,
//! times and retry decisions are recorded: never a header, a body, a certificate or a
//! hostname list, so never a secret. Without the feature these are no-ops and `tracing` is
//! not compiled in.

use std::future::Future;
use std::time::Duration;

use crate::calls::Endpoint;
use crate::retry::{Attempt, Decision, Failure};

/// A call's span (a no-op without the feature).
#[cfg(feature = "tracing")]
pub(crate) type Span = tracing::Span;

/// A call's span (a no-op without the feature).
#[cfg(not(feature = "tracing"))]
#[derive(Debug, Clone)]
pub(crate) struct Span;

#[cfg(not(feature = "tracing"))]
impl Span {
    /// Enters the span until the guard is dropped (a no-op guard without the feature).
    pub(crate) fn enter(&self) -> Entered {
        Entered
    }
}

/// What [`Span::enter`] returns without the feature.
#[cfg(not(feature = "tracing"))]
pub(crate) struct Entered;

/// The span of one call of `endpoint`.
pub(crate) fn call<E: Endpoint>(endpoint: &E) -> Span {
    #[cfg(feature = "tracing")]
    return tracing::info_span!(
        "cloudflare_mtls",
        call = %E::CALL,
        method = %E::METHOD,
        account = endpoint.scope().account().map(crate::id::AccountId::as_str),
        zone = endpoint.scope().zone().map(crate::id::ZoneId::as_str),
        certificate = endpoint.certificate().map(crate::id::CertificateId::as_str),
    );
    #[cfg(not(feature = "tracing"))]
    {
        let _ = endpoint;
        Span
    }
}

/// `future`, run inside `span`.
pub(crate) fn instrument<F: Future>(span: Span, future: F) -> impl Future<Output = F::Output> {
    #[cfg(feature = "tracing")]
    return tracing::Instrument::instrument(future, span);
    #[cfg(not(feature = "tracing"))]
    {
        let _ = span;
        future
    }
}

/// One attempt: what came of it, how long it took (when the client has a clock), and what
/// the retry policy decided.
pub(crate) fn attempt(number: u32, outcome: &Attempt<'_>, elapsed: Option<Duration>, decision: Decision) {
    #[cfg(feature = "tracing")]
    {
        let (status, failure) = match outcome {
            Attempt::Answered { status, .. } => (Some(status.as_u16()), None),
            Attempt::Failed(Failure::NotSent) => (None, Some("not sent")),
            Attempt::Failed(Failure::MaybeSent) => (None, Some("may have been sent")),
            Attempt::Failed(Failure::Permanent) => (None, Some("not sent, and would fail again")),
        };
        let elapsed_ms = elapsed.map(|d| d.as_secs_f64() * 1000.0);
        match decision {
            Decision::Done => {
                tracing::debug!(attempt = number, status, failure, elapsed_ms, decision = "done", "attempt")
            }
            Decision::RetryAfter(wait) => tracing::info!(
                attempt = number,
                status,
                failure,
                elapsed_ms,
                decision = "retry",
                wait_ms = wait.as_secs_f64() * 1000.0,
                "attempt failed; retrying"
            ),
        }
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = (number, outcome, elapsed, decision, Failure::NotSent);
    }
}

/// A wait of the pacer before an attempt, made or, too long, refused.
pub(crate) fn waited(wait: &crate::wait::Wait, made: bool) {
    #[cfg(feature = "tracing")]
    if made {
        tracing::info!(wait_ms = wait.duration.as_secs_f64() * 1000.0, reason = %wait.reason, "waiting");
    } else {
        tracing::warn!(wait_ms = wait.duration.as_secs_f64() * 1000.0, reason = %wait.reason, "not waiting: longer than the pacing's max_wait");
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (wait, made);
}
