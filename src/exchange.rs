//! One call from first attempt to final outcome, as a state machine: it hands out the
//! request, takes what the transport got, and answers "done" or "wait, then send again".
//! The clients are thin loops around it.

use std::time::Duration;

use http::{Request, Response};

use crate::calls::Endpoint;
use crate::config::Config;
use crate::error::Error;
use crate::retry::{Attempt, Decision, Failure, RetryPolicy};
use crate::trace;
use crate::wait::{Wait, WaitReason};

/// What to do after an attempt.
#[derive(Debug)]
pub enum Next<T> {
    /// Wait this long (the backoff, or the server's `Retry-After`), then send
    /// [`Exchange::request`] again.
    Retry(Wait),
    /// The call is over.
    Done(T),
}

/// The state of one call across its attempts.
pub struct Exchange<'a, E> {
    endpoint: &'a E,
    request: Request<Vec<u8>>,
    policy: &'a RetryPolicy,
    seed: u64,
    attempts: u32,
    /// An attempt so far may have been carried out by the server, its answer lost.
    maybe_acted: bool,
}

/// Shows the method and URI only: the body may hold a private key.
impl<E> std::fmt::Debug for Exchange<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<'a, E: Endpoint> Exchange<'a, E> {
    /// Builds the request once; every attempt sends a copy of it.
    pub fn new<TE>(endpoint: &'a E, config: &Config, policy: &'a RetryPolicy, seed: u64) -> Result<Self, Error<TE>> {
        let request = endpoint.to_request(config).map_err(|source| Error::Build { call: E::CALL, source })?;
        Ok(Self { endpoint, request, policy, seed, attempts: 0, maybe_acted: false })
    }

    /// The request to send for the next attempt.
    pub fn request(&self) -> Request<Vec<u8>> {
        self.request.clone()
    }

    /// The number of attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Takes the outcome of an attempt. `failure` tells how far a transport error got;
    /// `elapsed`, how long the attempt took, if the caller has a clock (it is traced).
    pub fn on_outcome<B: AsRef<[u8]>, TE>(
        &mut self,
        outcome: Result<Response<B>, TE>,
        failure: impl FnOnce(&TE) -> Failure,
        elapsed: Option<Duration>,
    ) -> Next<Result<E::Output, Error<TE>>> {
        self.attempts += 1;
        let attempt = match &outcome {
            Ok(response) => Attempt::Answered { status: response.status(), headers: response.headers() },
            Err(error) => Attempt::Failed(failure(error)),
        };
        let decision = self.policy.decide(&E::METHOD, self.attempts, attempt, self.seed);
        trace::attempt(self.attempts, &attempt, elapsed, decision);
        if let Decision::RetryAfter(wait) = decision {
            // Only a refused connection or a 429 proves the server did nothing.
            self.maybe_acted |= match attempt {
                Attempt::Failed(failure) => failure == Failure::MaybeSent,
                Attempt::Answered { status, .. } => status != http::StatusCode::TOO_MANY_REQUESTS,
            };
            let status = match attempt {
                Attempt::Answered { status, .. } => Some(status),
                Attempt::Failed(_) => None,
            };
            return Next::Retry(Wait::new(wait, WaitReason::Retry { retry: self.attempts, status }));
        }
        Next::Done(match outcome {
            Ok(response) => {
                let decoded = if self.maybe_acted {
                    self.endpoint.parse_response_after_retry(&response)
                } else {
                    self.endpoint.parse_response(&response)
                };
                decoded.map_err(|source| Error::Response { call: E::CALL, source })
            }
            Err(source) => Err(Error::Transport { call: E::CALL, source }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::test_support::{account, config};
    use crate::test_fixtures::{CA_PEM, KEY_PEM};
    use crate::{PrivateKey, Upload};

    #[test]
    fn debug_does_not_show_the_body() {
        let upload = Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new(KEY_PEM));
        let policy = RetryPolicy::default();
        let exchange = Exchange::new::<()>(&upload, &config(), &policy, 0).unwrap();
        let shown = format!("{exchange:?}");
        assert!(shown.contains("POST") && shown.contains("mtls_certificates"), "{shown}");
        assert!(!shown.contains("PRIVATE") && !shown.contains("45, 45, 45"), "{shown}");
    }
}
