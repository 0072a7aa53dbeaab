//! The blocking client for WASI 0.2 components (`wasm32-wasip2`: Spin, wasmtime, wasmCloud,
//! jco), on [`wasi:http/outgoing-handler`](wasip2::http::outgoing_handler). The host makes
//! the connections, TLS (with its own roots) and any proxy; this module sends the request,
//! bounds the attempt (connect timeout and between-bytes timeouts as request options, and
//! the whole attempt by a deadline it polls beside the response), limits the response body,
//! follows no redirect, and sleeps between retries on `wasi:clocks` (a pollable from
//! `subscribe-duration`). The monotonic clock paces the client.
//!
//! Blocking, not async: a WASI 0.2 command blocks on pollables anyway, and an async client
//! would need an executor to poll them (the crates that bring one need a newer Rust than
//! this crate's).
//!
//! ```no_run
//! use cloudflare_mtls::{AccountId, List};
//!
//! // The component's environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL...
//! // (`wasmtime run -S http --env CLOUDFLARE_API_TOKEN app.wasm`, `jco run app.wasm`).
//! let client = cloudflare_mtls::wasi::from_env()?;
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! for cert in client.list_all(List::new(account)) {
//!     println!("{:?}", cert?.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With explicit settings:
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::{Config, Credentials, Pacing, RetryPolicy};
//!
//! let client = cloudflare_mtls::wasi::Builder::new(Config::new(Credentials::api_token("my-token")?))
//!     .with_connect_timeout(Duration::from_secs(2))
//!     .with_timeout(Duration::from_secs(20))
//!     .with_max_body_size(1024 * 1024)
//!     .with_retry(RetryPolicy::default().with_max_retries(4))
//!     .with_pacing(Pacing::off())
//!     .build();
//! assert_eq!(client.retry_policy().max_retries, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Outside a `wasm32` component this module compiles, but every call fails with
//! [`TransportError::Setup`]: there is no `wasi:http` host.

use std::time::Duration;

use http::{Request, Response};

use crate::retry::Failure;
pub use crate::transport_common::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, NO_TIMEOUT_PAST, TransportError,
};
use crate::transport_common::{armed, authority, declared_within};
use crate::{BlockingClient, BuildError, Config, HttpClient, Pacing, RetryPolicy};

/// The blocking client: [`BlockingClient`] over [`WasiTransport`], sleeping on a
/// `wasi:clocks` pollable between retries.
pub type Client = BlockingClient<WasiTransport, fn(Duration)>;

/// A [`Client`] for one account: [`Client::account`](crate::Client::account).
pub type Account = crate::Account<WasiTransport, fn(Duration), crate::Blocking>;

/// The error of this client's calls, to name in signatures and `match` on.
pub type Error = crate::Error<TransportError>;

/// A client for `config` with the default settings (see [`Builder`]).
pub fn client(config: Config) -> Client {
    Builder::new(config).build()
}

/// A client configured from the component's environment (`wasi:cli/environment`), as
/// Cloudflare's own tools are: see [`Config::from_lookup`] for the variables.
pub fn from_env() -> Result<Client, BuildError> {
    Config::from_env().map(client)
}

/// Configures a [`Client`]: timeouts, response-size limit, retry policy and pacing. (The
/// host chooses connections, TLS roots and any proxy.)
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    config: Config,
    transport: WasiTransport,
    retry: RetryPolicy,
    pacing: Pacing,
}

impl Builder {
    /// A builder for a client with `config` and the default settings: connect timeout
    /// [`DEFAULT_CONNECT_TIMEOUT`], whole-attempt timeout [`DEFAULT_TIMEOUT`], bodies up to
    /// [`DEFAULT_MAX_BODY_SIZE`], [`RetryPolicy::default`] and [`Pacing::default`].
    pub fn new(config: Config) -> Self {
        Self { config, transport: WasiTransport::default(), retry: RetryPolicy::default(), pacing: Pacing::default() }
    }

    /// A builder for a client configured from the component's environment
    /// ([`Config::from_env`]), to tune before [`build`](Self::build).
    pub fn from_env() -> Result<Self, BuildError> {
        Config::from_env().map(Self::new)
    }

    /// How long connecting may take (the request option `connect-timeout`;
    /// [`NO_TIMEOUT_PAST`] and longer: the host's own limit).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending to the last byte of the response. Each
    /// retry gets the full time again. [`NO_TIMEOUT_PAST`] and longer: no limit.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// The largest response body to read, in bytes; a larger one fails with
    /// [`TransportError::BodyTooLarge`].
    pub fn with_max_body_size(mut self, bytes: u64) -> Self {
        self.transport.max_body_size = bytes;
        self
    }

    /// Retries by `policy` ([`RetryPolicy::never`] for a single attempt per call).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Paces calls by `pacing` ([`Pacing::off`] for none); see [`pacing`](crate::pacing).
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        BlockingClient::new(self.config, self.transport)
            .with_sleep(host::sleep as fn(Duration))
            .with_retry(self.retry)
            .with_pacing(self.pacing)
            .with_seed(host::seed())
            .with_clock(host::monotonic)
    }
}

/// Sends requests through `wasi:http/outgoing-handler`.
#[derive(Debug, Clone)]
pub struct WasiTransport {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_size: u64,
}

impl Default for WasiTransport {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }
}

impl HttpClient for WasiTransport {
    type Error = TransportError;
    type Body = Vec<u8>;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        host::send(self, request)
    }

    /// A certificate the host refused would be refused again; otherwise as the others.
    fn failure(error: &TransportError) -> Failure {
        match error.get_ref().and_then(|e| e.downcast_ref::<Refusal>()) {
            Some(Refusal { permanent: true, .. }) => Failure::Permanent,
            _ => error.failure(),
        }
    }
}

/// What the host said went wrong: its `error-code`, in words. It never holds a header.
#[derive(Debug)]
struct Refusal {
    text: String,
    /// Sending again would fail the same way: the server's certificate did not verify, or
    /// may not have (a handshake failure the host does not explain).
    permanent: bool,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Refusal {}

/// Nanoseconds for `wasi:clocks`, saturating (u64 nanoseconds reach 584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The calls to the host. Only a wasm32 component has one behind the imports: elsewhere
/// they would abort, so there a call fails, the clock stands still and a sleep returns.
mod host {
    use std::time::Duration;

    use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
    use wasip2::clocks::monotonic_clock;
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{
        ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
    };
    use wasip2::io::poll::{Pollable, poll};
    use wasip2::io::streams::StreamError;

    use super::{Refusal, TransportError, WasiTransport, armed, authority, declared_within, nanos};

    /// Whether a `wasi:http` host is behind the imports.
    const IN_A_COMPONENT: bool = cfg!(target_arch = "wasm32");

    pub(super) fn monotonic() -> Duration {
        if !IN_A_COMPONENT {
            return Duration::ZERO;
        }
        Duration::from_nanos(monotonic_clock::now())
    }

    pub(super) fn sleep(duration: Duration) {
        if IN_A_COMPONENT {
            monotonic_clock::subscribe_duration(nanos(duration)).block();
        }
    }

    /// From `wasi:random/random`: the `wasi:http/proxy` world imports it, not `insecure`.
    pub(super) fn seed() -> u64 {
        if !IN_A_COMPONENT {
            return 0;
        }
        wasip2::random::random::get_random_u64()
    }

    /// One attempt, bounded by a deadline polled beside every wait.
    pub(super) fn send(
        transport: &WasiTransport,
        request: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        if !IN_A_COMPONENT {
            return Err(setup("the wasi client runs only in a WASI 0.2 component (target wasm32-wasip2)"));
        }
        let to = authority(request.uri());
        let deadline = armed(transport.timeout).map(|t| monotonic_clock::subscribe_duration(nanos(t)));
        let timed_out = || TransportError::Timeout { after: transport.timeout, proxy: None };
        // Waits for `ready`; false when the deadline came first.
        let wait = |ready: &Pollable| match &deadline {
            Some(deadline) => poll(&[ready, deadline]).contains(&0),
            None => {
                ready.block();
                true
            }
        };

        let outgoing = outgoing(&request)?;
        let body = outgoing.body().map_err(|()| setup("the request's body was already taken"))?;
        let options = options(transport);
        let future = outgoing_handler::handle(outgoing, options).map_err(|code| refused(code, &to, transport))?;
        if !request.body().is_empty() {
            let stream = body.write().map_err(|()| setup("the request's body stream was already taken"))?;
            // At most 4096 bytes a call, as `blocking-write-and-flush` takes.
            for chunk in request.body().chunks(4096) {
                stream.blocking_write_and_flush(chunk).map_err(|e| stream_failed(e, &to, transport))?;
            }
        }
        OutgoingBody::finish(body, None).map_err(|code| refused(code, &to, transport))?;

        let arrived = future.subscribe();
        let answer = loop {
            match future.get() {
                Some(Ok(Ok(answer))) => break answer,
                Some(Ok(Err(code))) => return Err(refused(code, &to, transport)),
                Some(Err(())) => return Err(setup("the response was already taken")),
                None if wait(&arrived) => continue,
                None => return Err(timed_out()),
            }
        };
        let mut response = Response::new(Vec::new());
        *response.status_mut() =
            StatusCode::from_u16(answer.status()).map_err(|e| TransportError::Other(Box::new(e)))?;
        for (name, value) in answer.headers().entries() {
            // A header http cannot hold is left out; the core reads only standard ones.
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&value)) {
                response.headers_mut().append(name, value);
            }
        }
        declared_within(response.headers(), transport.max_body_size)?;

        // Children before parents: each pollable before its stream or future, the stream
        // before the body, the body before the response (declared in the other order).
        let incoming: IncomingBody = answer.consume().map_err(|()| setup("the response's body was already taken"))?;
        let stream = incoming.stream().map_err(|()| setup("the response's body stream was already taken"))?;
        let readable = stream.subscribe();
        let mut bytes = Vec::new();
        loop {
            match stream.read(64 * 1024) {
                Ok(chunk) if chunk.is_empty() => {
                    if !wait(&readable) {
                        return Err(timed_out());
                    }
                }
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > transport.max_body_size {
                        return Err(TransportError::BodyTooLarge { limit: transport.max_body_size });
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_failed(e, &to, transport)),
            }
        }
        *response.body_mut() = bytes;
        Ok(response)
    }

    /// The request as `wasi:http` takes it.
    fn outgoing(request: &Request<Vec<u8>>) -> Result<OutgoingRequest, TransportError> {
        let mut fields = Vec::with_capacity(request.headers().len());
        for (name, value) in request.headers() {
            fields.push((name.as_str().to_owned(), value.as_bytes().to_vec()));
        }
        // The length, so the host need not send the body chunked (a POST without one is
        // chunked by Node's shim, which some servers do not read).
        let length = request.body().len();
        if (length > 0 || matches!(request.method().as_str(), "POST" | "PUT" | "PATCH"))
            && !request.headers().contains_key(http::header::CONTENT_LENGTH)
        {
            fields.push(("content-length".to_owned(), length.to_string().into_bytes()));
        }
        // Never a value in a message: it may be the token.
        let headers = Fields::from_list(&fields)
            .map_err(|e| setup(&format!("the host refused the request's headers ({e:?})")))?;
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "HEAD" => Method::Head,
            other => Method::Other(other.to_owned()),
        };
        let uri = request.uri();
        let scheme = match uri.scheme_str() {
            Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            other => Scheme::Other(other.unwrap_or_default().to_owned()),
        };
        let path = uri.path_and_query().map(|p| p.as_str());
        let authority = uri.authority().map(|a| a.as_str());
        let refused_by_host =
            |what: &str| setup(&format!("the host refused the request's {what} ({})", authority.unwrap_or("?")));
        outgoing.set_method(&method).map_err(|()| refused_by_host("method"))?;
        outgoing.set_scheme(Some(&scheme)).map_err(|()| refused_by_host("scheme"))?;
        outgoing.set_authority(authority).map_err(|()| refused_by_host("host"))?;
        outgoing.set_path_with_query(path).map_err(|()| refused_by_host("path"))?;
        Ok(outgoing)
    }

    /// The connect timeout, and the attempt's timeout between bytes; a host that does not
    /// take an option keeps its own (the deadline still bounds the attempt).
    fn options(transport: &WasiTransport) -> Option<RequestOptions> {
        let options = RequestOptions::new();
        let _ = options.set_connect_timeout(armed(transport.connect_timeout).map(nanos));
        let _ = options.set_first_byte_timeout(armed(transport.timeout).map(nanos));
        let _ = options.set_between_bytes_timeout(armed(transport.timeout).map(nanos));
        Some(options)
    }

    fn setup(what: &str) -> TransportError {
        TransportError::Setup(what.to_owned())
    }

    /// A failed stream: the host's error code when it has one.
    fn stream_failed(error: StreamError, to: &str, transport: &WasiTransport) -> TransportError {
        match error {
            StreamError::LastOperationFailed(e) => match wasip2::http::types::http_error_code(&e) {
                Some(code) => refused(code, to, transport),
                None => io(e.to_debug_string()),
            },
            StreamError::Closed => io("the connection closed mid-exchange".to_owned()),
        }
    }

    fn io(text: String) -> TransportError {
        TransportError::Io(Box::new(Refusal { text, permanent: false }))
    }

    /// The host's `error-code` as the shared kinds: no connection (retryable even for an
    /// upload), TLS, timeout, or a failed exchange.
    pub(super) fn refused(code: ErrorCode, to: &str, transport: &WasiTransport) -> TransportError {
        use ErrorCode as C;
        let text = describe(&code);
        let refusal = |permanent| Box::new(Refusal { text: text.clone(), permanent });
        match code {
            C::DnsTimeout
            | C::DnsError(_)
            | C::DestinationNotFound
            | C::DestinationUnavailable
            | C::DestinationIpProhibited
            | C::DestinationIpUnroutable
            | C::ConnectionRefused
            | C::ConnectionTimeout => TransportError::Connect { to: to.to_owned(), error: refusal(false) },
            // wasmtime (and the hosts on its wasi-http: Spin, wasmCloud) reports every failed
            // handshake so, an untrusted certificate as a connection cut short: not retried,
            // as a refused certificate is (no request went out either way).
            C::TlsProtocolError => TransportError::Tls {
                host: to.to_owned(),
                reason: "the TLS handshake failed (the host does not say why: an untrusted certificate, \
                         or a connection cut short)"
                    .to_owned(),
                error: refusal(true),
            },
            C::TlsAlertReceived(_) => {
                TransportError::Tls { host: to.to_owned(), reason: text.clone(), error: refusal(false) }
            }
            C::TlsCertificateError => TransportError::Tls {
                host: to.to_owned(),
                reason: "its certificate does not verify against the host's roots".to_owned(),
                error: refusal(true),
            },
            // jco's shim reports Node's certificate verdicts ("self-signed certificate in
            // certificate chain", "certificate has expired"...) as an internal error.
            C::InternalError(Some(ref message)) if message.contains("certificate") => TransportError::Tls {
                host: to.to_owned(),
                reason: message.trim_start_matches("Error: ").to_owned(),
                error: refusal(true),
            },
            C::ConnectionReadTimeout | C::ConnectionWriteTimeout | C::HttpResponseTimeout => {
                TransportError::Timeout { after: transport.timeout, proxy: None }
            }
            C::HttpResponseBodySize(_) => TransportError::BodyTooLarge { limit: transport.max_body_size },
            C::ConnectionTerminated | C::HttpResponseIncomplete | C::HttpProtocolError => {
                TransportError::Io(refusal(false))
            }
            _ => TransportError::Other(refusal(false)),
        }
    }

    /// An error code in words.
    fn describe(code: &ErrorCode) -> String {
        use ErrorCode as C;
        match code {
            C::DnsTimeout => "the name lookup timed out".to_owned(),
            C::DnsError(e) => {
                format!("the name did not resolve{}", e.rcode.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())
            }
            C::DestinationNotFound => "the host was not found".to_owned(),
            C::DestinationUnavailable => "the host is unavailable".to_owned(),
            C::DestinationIpProhibited => "the host may not connect to that address".to_owned(),
            C::DestinationIpUnroutable => "the address is unroutable".to_owned(),
            C::ConnectionRefused => "connection refused".to_owned(),
            C::ConnectionTimeout => "connecting timed out".to_owned(),
            C::ConnectionTerminated => "the connection was closed mid-exchange".to_owned(),
            C::TlsProtocolError => "the TLS handshake failed".to_owned(),
            C::TlsAlertReceived(a) => format!(
                "the server sent a TLS alert{}",
                a.alert_message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default()
            ),
            C::HttpResponseIncomplete => "the response ended early".to_owned(),
            C::HttpProtocolError => "the response is not valid HTTP".to_owned(),
            C::InternalError(Some(text)) => format!("the host failed: {text}"),
            other => format!("the host refused the exchange: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountId, Credentials, List};

    #[test]
    fn outside_a_component_a_call_fails_as_setup_and_is_not_retried() {
        let config = Config::new(Credentials::api_token("secret-token").unwrap());
        let client = client(config);
        let error = client.list(&List::new(AccountId::new("acc").unwrap())).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("wasm32-wasip2"), "{text}");
        assert!(!text.contains("secret-token"));
        let setup = TransportError::Setup(String::new());
        assert_eq!(WasiTransport::failure(&setup), Failure::Permanent);
    }

    #[test]
    fn durations_saturate_as_nanoseconds() {
        assert_eq!(nanos(Duration::from_millis(1)), 1_000_000);
        assert_eq!(nanos(Duration::MAX), u64::MAX);
    }

    #[test]
    fn the_hosts_error_codes_are_the_shared_kinds() {
        use wasip2::http::types::{DnsErrorPayload, ErrorCode as C, TlsAlertReceivedPayload};
        let t = WasiTransport::default();
        let kind = |code| {
            let e = host::refused(code, "api.example:443", &t);
            (WasiTransport::failure(&e), e)
        };
        // An unknown host as jco (Node's getaddrinfo) and wasmtime report it.
        let jco_dns = C::DnsError(DnsErrorPayload { rcode: Some("ENOTFOUND".into()), info_code: Some(3008) });
        let wasmtime_dns =
            C::DnsError(DnsErrorPayload { rcode: Some("address not available".into()), info_code: None });
        for code in [C::ConnectionRefused, jco_dns, wasmtime_dns, C::DestinationNotFound, C::ConnectionTimeout] {
            let (failure, e) = kind(code);
            assert!(e.is_connect() && failure == Failure::NotSent, "{e}");
        }
        let (failure, e) = kind(C::TlsCertificateError);
        assert!(e.is_tls() && failure == Failure::Permanent, "{e}");
        let node = C::InternalError(Some("Error: self-signed certificate in certificate chain".into()));
        let (failure, e) = kind(node);
        assert!(e.is_tls() && failure == Failure::Permanent, "{e}");
        assert!(e.to_string().ends_with("failed: self-signed certificate in certificate chain"), "{e}");
        // wasmtime's untrusted certificate (and any failed handshake): not retried either.
        let (failure, e) = kind(C::TlsProtocolError);
        assert!(e.is_tls() && failure == Failure::Permanent, "{e}");
        assert!(e.to_string().contains("untrusted certificate"), "{e}");
        let (failure, e) =
            kind(C::TlsAlertReceived(TlsAlertReceivedPayload { alert_id: Some(40), alert_message: None }));
        assert!(e.is_tls() && failure == Failure::MaybeSent, "{e}");
        for code in [C::ConnectionReadTimeout, C::HttpResponseTimeout] {
            assert!(kind(code).1.is_timeout());
        }
        // jco's shim reports a dropped connection, and a handshake cut short, as HTTP-protocol-error.
        for code in [C::ConnectionTerminated, C::HttpProtocolError, C::HttpResponseIncomplete] {
            let (failure, e) = kind(code);
            assert!(matches!(e, TransportError::Io(_)) && failure == Failure::MaybeSent, "{e}");
        }
        assert!(matches!(kind(C::HttpResponseBodySize(None)).1, TransportError::BodyTooLarge { .. }));
        let (failure, e) = kind(C::InternalError(Some("socket hang up".into())));
        assert!(matches!(e, TransportError::Other(_)) && failure == Failure::MaybeSent, "{e}");
    }

    #[test]
    fn a_refused_certificate_is_permanent_other_tls_failures_maybe_sent() {
        let tls = |certificate| TransportError::Tls {
            host: "h:443".into(),
            reason: String::new(),
            error: Box::new(Refusal { text: String::new(), permanent: certificate }),
        };
        assert_eq!(WasiTransport::failure(&tls(true)), Failure::Permanent);
        assert_eq!(WasiTransport::failure(&tls(false)), Failure::MaybeSent);
    }
}
