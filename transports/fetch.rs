//! The async client for WASM hosts, on the host's *global* `fetch` (so the same module runs
//! in Node 18 and later, in browsers and in Cloudflare Workers, which have no `window`), for
//! `wasm32-unknown-unknown`. Redirects are not followed (`redirect: "manual"`), a whole
//! attempt is bounded by a timeout (an `AbortController`), the response body by a size
//! limit, retries wait on `setTimeout`, and the client is paced with `Date.now()` as its
//! clock. Its futures are not `Send`: JavaScript values live on one thread.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use cloudflare_mtls::{AccountId, Config, Credentials, List};
//!
//! // In a Worker, the token comes from a secret: `env.secret("CLOUDFLARE_API_TOKEN")`.
//! let config = Config::new(Credentials::api_token("my-token")?);
//! let client = cloudflare_mtls::fetch::client(config);
//! let page = client.list(&List::new(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?)).await?;
//! # let _ = page;
//! # Ok(())
//! # }
//! ```
//!
//! On other targets this module compiles, but its calls fail: there is no JavaScript host.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};
use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, RequestRedirect, ResponseType};

use crate::retry::Failure;
pub use crate::transport_common::{DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, TransportError};
use crate::transport_common::{authority, declared_within};
use crate::{AsyncClient, AsyncHttpClient, AsyncSleep, BuildError, Config, Pacing, RetryPolicy};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, not `window.fetch`: Node and Workers have no `window`.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &web_sys::Request) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(handler: &Function, millis: f64) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// The async client: [`AsyncClient`] over [`FetchTransport`], waiting on `setTimeout`.
pub type Client = AsyncClient<FetchTransport, FetchSleep>;

/// A [`Client`] for one account: [`Client::account`](crate::Client::account).
pub type Account = crate::Account<FetchTransport, FetchSleep, crate::Async>;

/// The error of this client's calls, to name in signatures and `match` on.
pub type Error = crate::Error<TransportError>;

/// A client for `config` with the default settings (see [`Builder`]).
pub fn client(config: Config) -> Client {
    Builder::new(config).build()
}

/// A client configured from `lookup` (the variables of [`Config::from_lookup`]): a WASM
/// host has no process environment, so the caller says where they come from (a Worker's
/// secrets and vars, `process.env` in Node...).
pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Client, BuildError> {
    Config::from_lookup(lookup).map(client)
}

/// Configures a [`Client`]: timeout, response-size limit, retry policy and pacing. (The
/// host's `fetch` chooses its own connections, TLS roots and proxy.)
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    config: Config,
    timeout: Duration,
    max_body_size: u64,
    retry: RetryPolicy,
    pacing: Pacing,
}

impl Builder {
    /// A builder for a client with `config` and the default settings.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
        }
    }

    /// A builder for a client configured from `lookup` ([`Config::from_lookup`]), to tune
    /// before [`build`](Self::build).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, BuildError> {
        Config::from_lookup(lookup).map(Self::new)
    }

    /// How long one attempt may take, from sending to the last byte of the response. The
    /// host's timers go no further than 2³¹ − 1 ms (24.8 days; a longer delay fires at once),
    /// so a longer timeout is none.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest response body to accept, in bytes; a larger one fails with
    /// [`TransportError::BodyTooLarge`].
    pub fn with_max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Retries by `policy`.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Paces calls by `pacing`.
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        let transport = FetchTransport { timeout: self.timeout, max_body_size: self.max_body_size };
        AsyncClient::new(self.config, transport)
            .with_sleep(FetchSleep)
            .with_retry(self.retry)
            .with_pacing(self.pacing)
            .with_seed((js_sys::Math::random() * 2f64.powi(53)) as u64)
            .with_clock(now)
    }
}

/// `Date.now()`: the clock pacing and traces read.
fn now() -> Duration {
    Duration::from_secs_f64(js_sys::Date::now().max(0.0) / 1000.0)
}

/// Sends requests with the host's global `fetch`. Its responses carry the headers the
/// client reads (`Retry-After`, `Retry-After-Ms`, `Date`, `X-Should-Retry`, `Ratelimit`,
/// `Ratelimit-Policy`, `Content-Type`, `Content-Length`), not every header the server sent.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    timeout: Duration,
    max_body_size: u64,
}

impl Default for FetchTransport {
    fn default() -> Self {
        Self { timeout: DEFAULT_TIMEOUT, max_body_size: DEFAULT_MAX_BODY_SIZE }
    }
}

/// What JavaScript threw, as text (an `Error`'s message, or the value as a string).
fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| {
            let cause = js_sys::Reflect::get(e, &JsValue::from_str("cause")).ok().filter(|c| !c.is_undefined());
            let cause = cause.map(|c| format!(" ({})", describe(&c))).unwrap_or_default();
            format!("{}{cause}", String::from(e.message()))
        })
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "an unknown JavaScript error".to_owned())
}

/// A JavaScript failure as the shared error type.
#[derive(Debug)]
struct JsError(String);

impl std::fmt::Display for JsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsError {}

fn other(what: &str, value: &JsValue) -> TransportError {
    TransportError::Other(Box::new(JsError(format!("{what}: {}", describe(value)))))
}

impl FetchTransport {
    /// The JavaScript `Request` for `request`, aborted by `signal`.
    fn js_request(
        request: &Request<Vec<u8>>,
        signal: &web_sys::AbortSignal,
    ) -> Result<web_sys::Request, TransportError> {
        let headers = web_sys::Headers::new().map_err(|e| other("building the request's headers", &e))?;
        for (name, value) in request.headers() {
            let value = value.to_str().map_err(|_| {
                TransportError::Other(Box::new(JsError(format!(
                    "the {name} header is not text, which fetch cannot send"
                ))))
            })?;
            // Never the value in a message: it may be the token.
            headers
                .append(name.as_str(), value)
                .map_err(|_| TransportError::Other(Box::new(JsError(format!("fetch refused the {name} header")))))?;
        }
        let init = RequestInit::new();
        init.set_method(request.method().as_str());
        init.set_headers(&headers);
        init.set_redirect(RequestRedirect::Manual);
        init.set_signal(Some(signal));
        if !request.body().is_empty() {
            init.set_body(&Uint8Array::from(request.body().as_slice()));
        }
        web_sys::Request::new_with_str_and_init(&request.uri().to_string(), &init)
            .map_err(|e| other("building the request", &e))
    }

    async fn exchange(
        &self,
        request: Request<Vec<u8>>,
        controller: &AbortController,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let js_request = Self::js_request(&request, &controller.signal())?;
        let fetching = global_fetch(&js_request).map_err(|e| other("fetch is not available", &e))?;
        let answer = JsFuture::from(fetching).await.map_err(|e| self.failed(&e, request.uri(), controller))?;
        let answer: web_sys::Response = answer.dyn_into().map_err(|e| other("fetch did not answer a Response", &e))?;
        if answer.type_() == ResponseType::Opaqueredirect {
            // A browser hides a redirect's status and target; it is still not followed.
            return Err(TransportError::Other(Box::new(JsError(format!(
                "{} answered with a redirect, which is not followed",
                authority(request.uri())
            )))));
        }
        let mut response = Response::new(Vec::new());
        *response.status_mut() =
            http::StatusCode::from_u16(answer.status()).map_err(|e| TransportError::Other(Box::new(e)))?;
        // The headers the client reads, by name: parsing every name the host sends would
        // link http's whole header-name parser into the module (BENCHMARKS.md, part 5).
        let headers = answer.headers();
        for name in crate::headers::READ {
            let value = headers.get(name.as_str()).ok().flatten();
            if let Some(value) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(name, value);
            }
        }
        declared_within(response.headers(), self.max_body_size)?;
        let reading = answer.array_buffer().map_err(|e| other("reading the response", &e))?;
        let buffer = JsFuture::from(reading).await.map_err(|e| self.failed(&e, request.uri(), controller))?;
        let bytes = Uint8Array::new(&buffer);
        if u64::from(bytes.length()) > self.max_body_size {
            return Err(TransportError::BodyTooLarge { limit: self.max_body_size });
        }
        *response.body_mut() = bytes.to_vec();
        Ok(response)
    }

    /// What a rejected promise means: the timeout's abort, or a failed exchange.
    fn failed(&self, error: &JsValue, uri: &http::Uri, controller: &AbortController) -> TransportError {
        if controller.signal().aborted() {
            return TransportError::Timeout { after: self.timeout, proxy: None };
        }
        // fetch says "fetch failed" (Node), "Failed to fetch" (browsers) or "Network
        // connection lost" (Workers): none says whether the request went out.
        TransportError::Io(Box::new(JsError(format!("fetch to {} failed: {}", authority(uri), describe(error)))))
    }
}

impl AsyncHttpClient for FetchTransport {
    type Error = TransportError;
    type Body = Vec<u8>;

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let controller = AbortController::new().map_err(|e| other("AbortController is not available", &e))?;
        let abort = Closure::once_into_js({
            let controller = controller.clone();
            move || controller.abort()
        });
        let millis = self.timeout.as_secs_f64() * 1000.0;
        let timer = match millis <= MAX_TIMER_MS {
            true => {
                Some(set_timeout(abort.unchecked_ref(), millis).map_err(|e| other("setTimeout is not available", &e))?)
            }
            false => None,
        };
        let result = self.exchange(request, &controller).await;
        if let Some(timer) = timer {
            clear_timeout(&timer);
        }
        result
    }

    /// Only a failed connection proves nothing was sent, and fetch never says which
    /// failed: its errors count as maybe sent.
    fn failure(error: &TransportError) -> Failure {
        error.failure()
    }
}

/// The longest delay the host's `setTimeout` takes (2³¹ − 1 ms, 24.8 days): a longer one
/// fires at once.
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// Waits on the host's `setTimeout` (a wait longer than its limit, in steps within it).
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchSleep;

impl AsyncSleep for FetchSleep {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        let mut left = duration.as_secs_f64() * 1000.0;
        async move {
            loop {
                let step = left.min(MAX_TIMER_MS);
                let promise = Promise::new(&mut |resolve, _reject| {
                    let _ = set_timeout(&resolve, step);
                });
                let _ = JsFuture::from(promise).await;
                left -= step;
                if left <= 0.0 {
                    return;
                }
            }
        }
    }
}
