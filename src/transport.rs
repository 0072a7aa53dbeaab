//! The seam between the Sans-IO core and whatever moves bytes: one-method traits over
//! `http::Request<Vec<u8>>`, implemented for closures, so any HTTP client plugs in.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::retry::Failure;

/// A blocking HTTP client: sends one request, returns the response whatever its status.
///
/// Any `Fn(Request<Vec<u8>>) -> Result<Response<B>, E>` is one:
///
/// ```
/// use cloudflare_mtls::{AccountId, BlockingClient, Config, Credentials, CertificateId};
/// let transport = |req: http::Request<Vec<u8>>| -> Result<http::Response<&'static [u8]>, std::io::Error> {
///     assert_eq!(req.method(), "GET");
///     Ok(http::Response::new(br#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc"}}"#))
/// };
/// let client = BlockingClient::new(Config::new(Credentials::api_token("t")?), transport);
/// let cert = client.get(&AccountId::new("acc")?, &CertificateId::new("abc")?)?;
/// assert_eq!(cert.id().as_str(), "abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait HttpClient {
    /// The transport's own error (connection refused, timeout, TLS, body too large...).
    type Error;
    /// The response body.
    type Body: AsRef<[u8]>;

    /// Sends `request`. A 4xx or 5xx is a response, not an error: the core classifies it.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Self::Body>, Self::Error>;

    /// How far a failed request got. The default, [`Failure::MaybeSent`], is always safe;
    /// a transport that can tell a refused connection says [`Failure::NotSent`], which lets
    /// even an upload be retried.
    fn failure(error: &Self::Error) -> Failure {
        let _ = error;
        Failure::MaybeSent
    }
}

impl<F, B, E> HttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<B>, E>,
    B: AsRef<[u8]>,
{
    type Error = E;
    type Body = B;
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<B>, E> {
        self(request)
    }
}

/// An async HTTP client: the same contract as [`HttpClient`], returning a future.
///
/// Any `Fn(Request<Vec<u8>>) -> impl Future<Output = Result<Response<B>, E>>` is one, which
/// is how a WASM host's `fetch` plugs in. The client's futures are `Send` when this one is.
pub trait AsyncHttpClient {
    /// The transport's own error.
    type Error;
    /// The response body.
    type Body: AsRef<[u8]>;

    /// Sends `request`. A 4xx or 5xx is a response, not an error.
    fn send(&self, request: Request<Vec<u8>>) -> impl Future<Output = Result<Response<Self::Body>, Self::Error>>;

    /// How far a failed request got; see [`HttpClient::failure`].
    fn failure(error: &Self::Error) -> Failure {
        let _ = error;
        Failure::MaybeSent
    }
}

impl<F, Fut, B, E> AsyncHttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Result<Response<B>, E>>,
    B: AsRef<[u8]>,
{
    type Error = E;
    type Body = B;
    fn send(&self, request: Request<Vec<u8>>) -> impl Future<Output = Result<Response<B>, E>> {
        self(request)
    }
}

/// Waits before a retry, blocking. Any `Fn(Duration)` is one (e.g. `std::thread::sleep`).
pub trait Sleep {
    /// Whether this can wait at all; a client that cannot wait does not retry.
    const CAN_SLEEP: bool = true;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration);
}

impl<F: Fn(Duration)> Sleep for F {
    fn sleep(&self, duration: Duration) {
        self(duration)
    }
}

/// Waits before a retry, asynchronously. Any `Fn(Duration) -> impl Future<Output = ()>` is
/// one (e.g. `tokio::time::sleep`).
pub trait AsyncSleep {
    /// Whether this can wait at all; a client that cannot wait does not retry.
    const CAN_SLEEP: bool = true;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
}

impl<F, Fut> AsyncSleep for F
where
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        self(duration)
    }
}

/// No way to wait: the core has no clock, so a client built without a sleep function makes
/// one attempt per call, and a retryable error comes back with its
/// [`retry_after`](crate::Error::retry_after) for the caller to act on.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSleep;

impl Sleep for NoSleep {
    const CAN_SLEEP: bool = false;
    fn sleep(&self, _: Duration) {}
}

impl AsyncSleep for NoSleep {
    const CAN_SLEEP: bool = false;
    fn sleep(&self, _: Duration) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}
