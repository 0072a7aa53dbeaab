//! One call from first attempt to final outcome, as a state machine: it hands out the
//! request, takes what the transport got, and answers "done" or "wait, then send again".
//! The clients are thin loops around it.

use std::marker::PhantomData;
use std::time::Duration;

use http::{Request, Response};

use crate::calls::Endpoint;
use crate::config::Config;
use crate::error::Error;
use crate::retry::{Attempt, Decision, Failure, RetryPolicy};

/// What to do after an attempt.
#[derive(Debug)]
pub enum Next<T> {
    /// Wait this long, then send [`Exchange::request`] again.
    Retry(Duration),
    /// The call is over.
    Done(T),
}

/// The state of one call across its attempts.
#[derive(Debug)]
pub struct Exchange<'p, E> {
    request: Request<Vec<u8>>,
    policy: &'p RetryPolicy,
    seed: u64,
    attempts: u32,
    endpoint: PhantomData<fn() -> E>,
}

impl<'p, E: Endpoint> Exchange<'p, E> {
    /// Builds the request once; every attempt sends a copy of it.
    pub fn new<TE>(endpoint: &E, config: &Config, policy: &'p RetryPolicy, seed: u64) -> Result<Self, Error<TE>> {
        let request = endpoint.to_request(config).map_err(|source| Error::Build { call: E::CALL, source })?;
        Ok(Self { request, policy, seed, attempts: 0, endpoint: PhantomData })
    }

    /// The request to send for the next attempt.
    pub fn request(&self) -> Request<Vec<u8>> {
        self.request.clone()
    }

    /// The number of attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Takes the outcome of an attempt. `failure` tells how far a transport error got.
    pub fn on_outcome<B: AsRef<[u8]>, TE>(
        &mut self,
        outcome: Result<Response<B>, TE>,
        failure: impl FnOnce(&TE) -> Failure,
    ) -> Next<Result<E::Output, Error<TE>>> {
        self.attempts += 1;
        let attempt = match &outcome {
            Ok(response) => Attempt::Answered { status: response.status(), headers: response.headers() },
            Err(error) => Attempt::Failed(failure(error)),
        };
        if let Decision::RetryAfter(wait) = self.policy.decide(&E::METHOD, self.attempts, attempt, self.seed) {
            return Next::Retry(wait);
        }
        Next::Done(match outcome {
            Ok(response) => E::from_response(&response).map_err(|source| Error::Response { call: E::CALL, source }),
            Err(source) => Err(Error::Transport { call: E::CALL, source }),
        })
    }
}
