//! The [fake API](crate::fake) served on a loopback address, on its own thread with its own
//! tokio runtime: plain HTTP/1.1 (keep-alive) by default, or HTTPS with HTTP/2 and HTTP/1.1
//! by ALPN and a certificate made at start ([`FakeTls`], [`Builder::with_tls`]). Stops when
//! dropped.
//!
//! ```
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::fake_server::FakeServer;
//! use cloudflare_mtls::AccountId;
//!
//! let server = FakeServer::start(FakeApi::new("my-token", AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?))?;
//! let base = server.base_url(); // http://127.0.0.1:PORT/client/v4
//! assert!(base.as_str().starts_with("http://127.0.0.1:"));
//! server.with_api(|api| api.fail_next(cloudflare_mtls::fake::Fault::Html(502)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every request is answered by [`FakeApi::handle`] with the wall clock's `now`, after the
//! [latency](FakeServer::set_latency) set. A [`Fault::Disconnect`](crate::fake::Fault)
//! closes the connection without an answer.
//!
//! Like a real server, it does not wait forever on a client: a request's head must arrive
//! within the [read timeout](Builder::with_read_timeout) (10 s; an idle keep-alive connection is
//! closed after it too), its body within the same time again (else `408`), and at most
//! [`with_max_connections`](Builder::with_max_connections) (256) are served at once; more wait to be
//! accepted. A body over 8 MiB gets a `413`, a malformed one (a bogus chunk size) a `400`.
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::fake_server::FakeServer;
//! use cloudflare_mtls::AccountId;
//!
//! let api = FakeApi::new("my-token", AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?);
//! let server = FakeServer::builder(api).with_read_timeout(Duration::from_secs(2)).with_max_connections(16).start()?;
//! # drop(server);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Over HTTPS, with a client that trusts the fake's authority:
//!
//! ```
//! # #[cfg(feature = "ureq")] {
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
//! use cloudflare_mtls::ureq::Roots;
//! use cloudflare_mtls::{AccountId, Config, Credentials, List};
//!
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let tls = FakeTls::new()?;
//! let server = FakeServer::builder(FakeApi::new("my-token", account.clone())).with_tls(tls.clone()).start()?;
//! assert!(server.base_url().as_str().starts_with("https://127.0.0.1:"));
//! let config = Config::new(Credentials::api_token("my-token")?).with_base_url(server.base_url());
//! let client = cloudflare_mtls::ureq::Builder::new(config).with_roots(Roots::from_pem(tls.ca_pem())?).build();
//! assert!(client.list(&List::new(account))?.items.is_empty());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use ::bytes::Bytes;
use ::http_body_util::{BodyExt, Full, Limited};
use ::hyper::body::Incoming;
use ::hyper::server::conn::{http1, http2};
use ::hyper::service::service_fn;
use ::hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use ::tokio::sync::{Semaphore, oneshot};
use ::tokio_rustls::TlsAcceptor;

use crate::config::BaseUrl;
use crate::fake::{Disconnect, FakeApi};
pub use crate::fake_tls::FakeTls;

const MAX_BODY: usize = 8 * 1024 * 1024;

/// How long a request's head (and then its body) may take to arrive, by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections are served at once, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// Starts a [`FakeServer`] with settings other than the defaults.
#[derive(Debug)]
#[must_use]
pub struct Builder {
    api: FakeApi,
    addrs: io::Result<Vec<SocketAddr>>,
    read_timeout: Duration,
    max_connections: usize,
    tls: Option<FakeTls>,
}

impl Builder {
    /// Serves HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a certificate `tls` signs at start;
    /// the base URL is then `https://`.
    pub fn with_tls(mut self, tls: FakeTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Listens on `addr`, which must be a loopback address (the fake accepts a known token:
    /// it is not for a network). The default is `127.0.0.1` at a free port. An address that
    /// does not resolve is reported by [`start`](Self::start).
    pub fn with_addr(mut self, addr: impl ToSocketAddrs) -> Self {
        self.addrs = addr.to_socket_addrs().map(Iterator::collect);
        self
    }

    /// How long a request's head may take to arrive, and then its body (an idle
    /// keep-alive connection is closed after it).
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How many connections are served at once (at least one); more wait to be accepted.
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Starts serving.
    pub fn start(self) -> io::Result<FakeServer> {
        FakeServer::launch(self)
    }
}

/// A callback told of every answered request: method, URI (path and query), status, and how
/// long the answer took (latency included).
type RequestLog = dyn Fn(&::http::Method, &::http::Uri, ::http::StatusCode, Duration) + Send + Sync;

/// What the server thread and its connections share with the handle.
struct Shared {
    api: Mutex<FakeApi>,
    log: Mutex<Option<Arc<RequestLog>>>,
    latency_nanos: AtomicU64,
    connections: AtomicU64,
    requests: AtomicU64,
    http2_requests: AtomicU64,
    read_timeout: Duration,
    /// One permit per connection served at once.
    slots: Arc<Semaphore>,
    /// The TLS handshake, for HTTPS.
    tls: Option<TlsAcceptor>,
}

/// A running fake server. Dropping it stops the server and closes its connections.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use cloudflare_mtls::fake::{FakeApi, Fault};
/// use cloudflare_mtls::fake_server::FakeServer;
/// use cloudflare_mtls::{AccountId, Config, Credentials, List};
///
/// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let server = FakeServer::start(FakeApi::new("my-token", account.clone()))?;
/// assert!(server.local_addr().ip().is_loopback());
/// // Watch what a client does: method, path and status of every answer (never a header).
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// server.log_requests(move |method, uri, status, _took| log.lock().unwrap().push(format!("{method} {} {status}", uri.path())));
/// server.set_latency(Duration::from_millis(5));
/// server.with_api(|api| api.fail_next(Fault::Html(503))); // any knob of FakeApi
///
/// let config = Config::new(Credentials::api_token("my-token")?).with_base_url(server.base_url());
/// # #[cfg(feature = "ureq")] {
/// let client = cloudflare_mtls::ureq::client(config);
/// client.list(&List::new(account))?; // a 503, retried, then the answer
/// assert_eq!(server.requests_served(), 2);
/// assert_eq!(server.connections_accepted(), 1);
/// assert!(seen.lock().unwrap()[0].ends_with("mtls_certificates 503 Service Unavailable"));
/// # }
/// # let _ = config;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FakeServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: BaseUrl,
    ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Serves `api` on `127.0.0.1` at a free port.
    pub fn start(api: FakeApi) -> io::Result<Self> {
        Self::builder(api).start()
    }

    /// Serves `api` on `addr`, which must be a loopback address (the fake accepts a known
    /// token: it is not for a network).
    pub fn bind(addr: impl ToSocketAddrs, api: FakeApi) -> io::Result<Self> {
        Self::builder(api).with_addr(addr).start()
    }

    /// A server for `api` with settings to choose; see [`Builder`].
    pub fn builder(api: FakeApi) -> Builder {
        Builder {
            api,
            addrs: Ok(vec![SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0))]),
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: None,
        }
    }

    fn launch(builder: Builder) -> io::Result<Self> {
        let Builder { api, addrs, read_timeout, max_connections, tls } = builder;
        let addrs: Vec<SocketAddr> = addrs?.into_iter().filter(|a| a.ip().is_loopback()).collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the fake server listens on loopback addresses only (127.0.0.1, ::1, localhost)",
            ));
        }
        let listener = StdListener::bind(addrs.as_slice())?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let acceptor =
            tls.as_ref().map(|tls| tls.server_config().map(|c| TlsAcceptor::from(Arc::new(c)))).transpose()?;
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let base_url = BaseUrl::new(format!("{scheme}://{addr}/client/v4"))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let runtime = ::tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = {
            let _context = runtime.enter();
            ::tokio::net::TcpListener::from_std(listener)?
        };
        let shared = Arc::new(Shared {
            api: Mutex::new(api),
            log: Mutex::new(None),
            latency_nanos: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            http2_requests: AtomicU64::new(0),
            read_timeout,
            slots: Arc::new(Semaphore::new(max_connections)),
            tls: acceptor,
        });
        let (stop, stopped) = oneshot::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("fake-server-{addr}"))
            .spawn(move || runtime.block_on(accept_loop(listener, thread_shared, stopped)))?;
        let ca_pem = tls.map(|tls| tls.ca_pem().to_owned());
        Ok(Self { shared, addr, base_url, ca_pem, stop: Some(stop), thread: Some(thread) })
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/client/v4`, or `https://` when
    /// serving TLS.
    pub fn base_url(&self) -> BaseUrl {
        self.base_url.clone()
    }

    /// The PEM certificate of the authority that signed the server's certificate, when
    /// serving TLS: what a client must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A configuration for a client of this server: its base URL and the token it accepts.
    pub fn config(&self) -> Result<crate::Config, crate::BuildError> {
        Ok(crate::Config::new(self.with_api(|api| api.credentials())?).with_base_url(self.base_url()))
    }

    /// A blocking client for a test of your own code: this server's URL, token and (over TLS)
    /// authority, with no retries and no pacing, so a test against a rate-limited or faulty
    /// fake fails at once with the error it is about, rather than waiting.
    ///
    /// ```
    /// use cloudflare_mtls::{AccountId, fake::FakeApi, fake_server::FakeServer};
    ///
    /// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
    /// let server = FakeServer::start(FakeApi::new("my-token", account.clone()))?;
    /// server.with_api(|api| api.rate_limit(1, std::time::Duration::from_secs(30)));
    /// let account = server.test_client()?.account(&account);
    /// assert!(account.list_all().next().is_none(), "the first call passes");
    /// let limited = account.list_all().next().and_then(Result::err).ok_or("not limited")?;
    /// assert!(limited.is_rate_limited(), "the second is refused now, not in 30 s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "ureq")]
    pub fn test_client(&self) -> Result<crate::ureq::Client, crate::BuildError> {
        let mut builder = crate::ureq::Builder::new(self.config()?)
            .with_retry(crate::RetryPolicy::never())
            .with_pacing(crate::Pacing::off());
        if let Some(ca) = self.ca_pem() {
            builder = builder.with_roots(crate::ureq::Roots::from_pem(ca)?);
        }
        Ok(builder.build())
    }

    /// The async [`test_client`](Self::test_client), on hyper: no retries, no pacing. Call
    /// it inside a Tokio runtime.
    #[cfg(feature = "hyper")]
    pub fn test_async_client(&self) -> Result<crate::hyper::Client, crate::BuildError> {
        let mut builder = crate::hyper::Builder::new(self.config()?)
            .with_retry(crate::RetryPolicy::never())
            .with_pacing(crate::Pacing::off());
        if let Some(ca) = self.ca_pem() {
            builder = builder.with_roots(crate::hyper::Roots::from_pem(ca)?);
        }
        Ok(builder.build())
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs `f` on the fake's state (between requests), e.g. to attach an association or
    /// queue a fault.
    pub fn with_api<R>(&self, f: impl FnOnce(&mut FakeApi) -> R) -> R {
        f(&mut self.shared.api.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Delays every answer by `latency` from now on.
    pub fn set_latency(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.shared.latency_nanos.store(nanos, Ordering::Relaxed);
    }

    /// Calls `log` after each answer with the request's method and URI, the status (a
    /// dropped connection shows as `502`) and how long the answer took, latency included.
    /// Never given headers or bodies, so no secret.
    pub fn log_requests(
        &self,
        log: impl Fn(&::http::Method, &::http::Uri, ::http::StatusCode, Duration) + Send + Sync + 'static,
    ) {
        *self.shared.log.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(log));
    }

    /// TCP connections accepted so far (to see keep-alive at work).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// HTTP requests answered so far (a disconnect counts: the request was received).
    pub fn requests_served(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// How many of those came over HTTP/2.
    pub fn requests_over_http2(&self) -> u64 {
        self.shared.http2_requests.load(Ordering::Relaxed)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts until told to stop; returning drops the runtime, which ends every connection.
async fn accept_loop(listener: ::tokio::net::TcpListener, shared: Arc<Shared>, mut stopped: oneshot::Receiver<()>) {
    loop {
        // A free slot first: past the cap, connections wait in the listen queue.
        let slot = ::tokio::select! {
            _ = &mut stopped => return,
            slot = Arc::clone(&shared.slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
        };
        ::tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // An h2 answer is several writes (HEADERS, DATA); with Nagle, each after the
                    // first waits for the client's delayed ACK (BENCHMARKS.md, part 3).
                    let _ = stream.set_nodelay(true);
                    shared.connections.fetch_add(1, Ordering::Relaxed);
                    let shared = Arc::clone(&shared);
                    ::tokio::spawn(async move {
                        serve(stream, shared).await;
                        drop(slot);
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => ::tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// Serves one connection: HTTP/1.1 in the clear; over TLS, after the handshake, HTTP/2
/// when the client chose it by ALPN, HTTP/1.1 otherwise. (Not hyper-util's auto builder:
/// its wait for the HTTP/2 preface has no timeout, and a silent client would keep a slot.)
async fn serve(stream: ::tokio::net::TcpStream, shared: Arc<Shared>) {
    let read_timeout = shared.read_timeout;
    let acceptor = shared.tls.clone();
    let service = service_fn(move |request| answer(Arc::clone(&shared), request));
    let http1 = || {
        let mut builder = http1::Builder::new();
        builder.keep_alive(true).timer(TokioTimer::new()).header_read_timeout(read_timeout);
        builder
    };
    let Some(acceptor) = acceptor else {
        let _ = http1().serve_connection(TokioIo::new(stream), service).await;
        return;
    };
    // A client that never finishes the handshake is dropped like one that never sends its
    // request.
    let Ok(Ok(stream)) = ::tokio::time::timeout(read_timeout, acceptor.accept(stream)).await else { return };
    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        let _ = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service)
            .await;
    } else {
        let _ = http1().serve_connection(TokioIo::new(stream), service).await;
    }
}

/// An error that makes hyper drop the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a scripted fault")
    }
}

impl std::error::Error for Dropped {}

async fn answer(
    shared: Arc<Shared>,
    request: ::hyper::Request<Incoming>,
) -> Result<::hyper::Response<Full<Bytes>>, Dropped> {
    let started = std::time::Instant::now();
    if request.version() == ::http::Version::HTTP_2 {
        shared.http2_requests.fetch_add(1, Ordering::Relaxed);
    }
    let (parts, body) = request.into_parts();
    let refuse = |status: ::hyper::StatusCode, body: &'static [u8]| {
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = ::hyper::Response::new(Full::new(Bytes::from_static(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(::http::header::CONNECTION, ::http::HeaderValue::from_static("close"));
        Ok(response)
    };
    let body = match ::tokio::time::timeout(shared.read_timeout, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<::http_body_util::LengthLimitError>() => {
            return refuse(
                ::hyper::StatusCode::PAYLOAD_TOO_LARGE,
                br#"{"success":false,"errors":[{"code":413,"message":"Request body too large"}],"messages":[],"result":null}"#,
            );
        }
        Ok(Err(_)) => {
            return refuse(
                ::hyper::StatusCode::BAD_REQUEST,
                br#"{"success":false,"errors":[{"code":400,"message":"Malformed request body"}],"messages":[],"result":null}"#,
            );
        }
        Err(_) => {
            return refuse(
                ::hyper::StatusCode::REQUEST_TIMEOUT,
                br#"{"success":false,"errors":[{"code":408,"message":"Request body not received in time"}],"messages":[],"result":null}"#,
            );
        }
    };
    let request = ::hyper::Request::from_parts(parts, body);
    let response = {
        let mut api = shared.api.lock().unwrap_or_else(PoisonError::into_inner);
        api.handle(&request, time::OffsetDateTime::now_utc())
    };
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let latency = Duration::from_nanos(shared.latency_nanos.load(Ordering::Relaxed));
    if !latency.is_zero() {
        ::tokio::time::sleep(latency).await;
    }
    let log = shared.log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(log) = log {
        log(request.method(), request.uri(), response.status(), started.elapsed());
    }
    if response.extensions().get::<Disconnect>().is_some() {
        return Err(Dropped);
    }
    Ok(response.map(|body| Full::new(Bytes::from(body))))
}
