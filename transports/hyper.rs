//! The async client on [hyper](https://docs.rs/hyper/1) and Tokio: hyper-util's pooled
//! client (connections are reused), rustls through hyper-rustls with the webpki roots (the
//! system's store with the `hyper-native-roots` feature), redirects not followed, timeouts
//! and a response-size limit. Retries, paging and error classification are the core's: this
//! module only moves bytes, and waits on Tokio's timer between retries.
//!
//! The methods are those of the blocking client, awaited; the futures are `Send`, so calls
//! can be spawned. They need a Tokio runtime with the timer enabled (`#[tokio::main]` has it).
//!
//! ```no_run
//! use cloudflare_mtls::{AccountId, List};
//! use futures_util::StreamExt; // or tokio_stream::StreamExt
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL), CLOUDFLARE_BASE_URL.
//! let client = cloudflare_mtls::hyper::from_env()?;
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let mut pages = client.list_all(List::new(account).with_ca(true));
//! while let Some(cert) = pages.next().await {
//!     let cert = cert?;
//!     println!("{:?} {:?}", cert.id, cert.name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! End to end against the loopback [fake](crate::fake_server) (feature `fake-server`):
//!
//! ```
//! # #[cfg(feature = "fake-server")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::fake_server::FakeServer;
//! use cloudflare_mtls::{AccountId, Config, Credentials, List, Upload};
//!
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let server = FakeServer::start(FakeApi::new("my-token", account.clone()))?;
//! let config = Config::new(Credentials::api_token("my-token")?).with_base_url(server.base_url());
//! let client = cloudflare_mtls::hyper::client(config);
//!
//! let pem = include_str!("../tests/fixtures/openapi-example-ca.pem");
//! let cert = client.upload(&Upload::ca(account.clone(), pem).with_name("my-ca")).await?;
//! let page = client.list(&List::new(account)).await?;
//! assert_eq!(page.items.len(), 1);
//! assert_eq!(page.items[0].id, cert.id);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "fake-server"))]
//! # fn main() {}
//! ```
//!
//! With explicit settings:
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::{Config, Credentials, RetryPolicy};
//!
//! let client = cloudflare_mtls::hyper::Builder::new(Config::new(Credentials::api_token("my-token")?))
//!     .with_connect_timeout(Duration::from_secs(2))
//!     .with_timeout(Duration::from_secs(20))
//!     .with_max_body_size(1024 * 1024)
//!     .with_retry(RetryPolicy::never())
//!     .build();
//! assert_eq!(client.retry_policy().max_retries, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Redirects come back as responses, which the core reports as HTTP errors: the API never
//! redirects, and following one could carry the credentials to another host.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::bytes::Bytes;
use ::http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use ::hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use ::hyper_util::client::legacy::connect::HttpConnector;
use ::hyper_util::rt::{TokioExecutor, TokioTimer};
use http::{Request, Response};

use crate::retry::Failure;
pub use crate::transport_common::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, TransportError};
use crate::transport_common::{Settings, authority, monotonic, random_seed};
use crate::{AsyncClient, AsyncHttpClient, AsyncSleep, BuildError, Config};

/// The async client: [`AsyncClient`] over [`HyperTransport`], waiting on Tokio's timer
/// between retries.
pub type Client = AsyncClient<HyperTransport, TokioSleep>;

/// A client for `config` with the default settings (see [`Builder`]). It needs no runtime to
/// be built, only to be used.
///
/// ```
/// use cloudflare_mtls::{Config, Credentials};
/// let client = cloudflare_mtls::hyper::client(Config::new(Credentials::api_token("my-token")?));
/// # let _ = client;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client(config: Config) -> Client {
    Builder::new(config).build()
}

/// A client configured from the environment, as Cloudflare's own tools are: see
/// [`Config::from_lookup`] for the variables.
///
/// ```no_run
/// // CLOUDFLARE_API_TOKEN=... (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL)
/// let client = cloudflare_mtls::hyper::from_env()?;
/// # let _ = client;
/// # Ok::<(), cloudflare_mtls::BuildError>(())
/// ```
pub fn from_env() -> Result<Client, BuildError> {
    Config::from_lookup(|name| std::env::var(name).ok()).map(client)
}

crate::transport_common::builder!(hyper);

impl Builder {
    /// The client. It needs no runtime to be built, only to be used.
    pub fn build(self) -> Client {
        AsyncClient::new(self.config, HyperTransport::new(&self.settings))
            .with_sleep(TokioSleep)
            .with_retry(self.settings.retry)
            .with_pacing(self.settings.pacing)
            .with_seed(random_seed())
            .with_clock(monotonic)
    }
}

/// Waits with [`tokio::time::sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        ::tokio::time::sleep(duration)
    }
}

type Pool = ::hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Sends requests with hyper-util's pooled client; clones share its connection pool.
#[derive(Debug, Clone)]
pub struct HyperTransport {
    /// The pool, or why TLS could not be set up (reported by every call).
    pool: Result<Pool, TlsSetupError>,
    timeout: Duration,
    max_body_size: u64,
}

impl Default for HyperTransport {
    /// A transport with the default timeouts and size limit.
    fn default() -> Self {
        Self::new(&Settings::default())
    }
}

impl HyperTransport {
    fn new(settings: &Settings) -> Self {
        let pool = tls_builder().map(|tls| {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(settings.connect_timeout));
            // The TLS layer decides the scheme; the core only allows http:// to loopback.
            http.enforce_http(false);
            let connector = tls.https_or_http().enable_http1().wrap_connector(http);
            ::hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .build(connector)
        });
        Self { pool, timeout: settings.timeout, max_body_size: settings.max_body_size }
    }

    async fn exchange(&self, pool: &Pool, request: Request<Vec<u8>>) -> Result<Response<Bytes>, TransportError> {
        let uri = request.uri().clone();
        let response =
            pool.request(request.map(|body| Full::new(Bytes::from(body)))).await.map_err(|e| request_error(e, &uri))?;
        let (parts, body) = response.into_parts();
        let limit = usize::try_from(self.max_body_size).unwrap_or(usize::MAX);
        let body = Limited::new(body, limit).collect().await.map_err(|e| self.body_error(e))?;
        Ok(Response::from_parts(parts, body.to_bytes()))
    }

    fn body_error(&self, error: Box<dyn StdError + Send + Sync>) -> TransportError {
        if error.is::<LengthLimitError>() {
            return TransportError::BodyTooLarge { limit: self.max_body_size };
        }
        match error.downcast::<::hyper::Error>() {
            Ok(error) => hyper_error(error),
            Err(error) => TransportError::Other(error),
        }
    }
}

/// Rustls with ring named explicitly, so no process-wide default provider is needed (and
/// none can clash), and the roots the features choose.
fn tls_builder() -> Result<HttpsConnectorBuilder<::hyper_rustls::builderstates::WantsSchemes>, TlsSetupError> {
    let provider = Arc::new(::rustls::crypto::ring::default_provider());
    let builder = HttpsConnectorBuilder::new();
    #[cfg(feature = "hyper-native-roots")]
    let builder = builder.with_provider_and_native_roots(provider);
    #[cfg(not(feature = "hyper-native-roots"))]
    let builder = builder.with_provider_and_webpki_roots(provider);
    builder.map_err(|e| TlsSetupError(Arc::new(e)))
}

fn request_error(error: ::hyper_util::client::legacy::Error, uri: &http::Uri) -> TransportError {
    if error.is_connect() {
        return if has_tls_error(&error) {
            TransportError::Tls(Box::new(error))
        } else {
            TransportError::Connect { to: authority(uri), error: Box::new(error) }
        };
    }
    let hyper = error.source().and_then(|e| e.downcast_ref::<::hyper::Error>());
    match hyper {
        Some(h) if h.is_parse() || h.is_parse_status() || h.is_user() => TransportError::Other(Box::new(error)),
        Some(_) => TransportError::Io(Box::new(error)),
        None => TransportError::Other(Box::new(error)),
    }
}

fn hyper_error(error: Box<::hyper::Error>) -> TransportError {
    if error.is_parse() || error.is_user() { TransportError::Other(error) } else { TransportError::Io(error) }
}

/// Whether a rustls error is in the chain (tokio-rustls wraps it in an `io::Error`, whose
/// `source` skips it, hence the `get_ref`).
fn has_tls_error(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        let inner = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        if e.is::<::rustls::Error>() || inner.is_some_and(|i| i.is::<::rustls::Error>()) {
            return true;
        }
        next = e.source();
    }
    false
}

/// Why the TLS configuration could not be built (e.g. no root certificate in the system
/// store under `hyper-native-roots`).
#[derive(Debug, Clone)]
struct TlsSetupError(Arc<dyn StdError + Send + Sync>);

impl std::fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the TLS configuration could not be built: {}", self.0)
    }
}

impl StdError for TlsSetupError {}

impl AsyncHttpClient for HyperTransport {
    type Error = TransportError;
    type Body = Bytes;

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Bytes>, TransportError> {
        let pool = self.pool.as_ref().map_err(|e| TransportError::Tls(Box::new(e.clone())))?;
        match ::tokio::time::timeout(self.timeout, self.exchange(pool, request)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout { after: self.timeout }),
        }
    }

    fn failure(error: &TransportError) -> Failure {
        error.failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountId, CertificateId, Credentials, List, RetryPolicy, Upload};

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn the_futures_are_send() {
        let client = client(Config::new(Credentials::api_token("t").unwrap()));
        let (account, id) = (AccountId::new("a").unwrap(), CertificateId::new("c").unwrap());
        assert_send(&client.get(&account, &id));
        assert_send(&client.delete(&account, &id));
        assert_send(&client.associations(&account, &id));
        let list = List::new(account.clone());
        assert_send(&client.list(&list));
        let upload = Upload::ca(account.clone(), "pem");
        assert_send(&client.upload(&upload));
        let pages = client.list_all(List::new(account));
        fn assert_static<T: 'static>(_: &T) {}
        assert_send(&pages);
        assert_static(&pages);
        assert_send(&client);
    }

    #[test]
    fn builder_settings_reach_the_client() {
        let config = Config::new(Credentials::api_token("t").unwrap());
        let client = Builder::new(config).with_retry(RetryPolicy::never()).with_max_body_size(10).build();
        assert_eq!(client.retry_policy().max_retries, 0);
        assert_eq!(client.transport().max_body_size, 10);
        assert_eq!(client.transport().timeout, DEFAULT_TIMEOUT);
        assert!(client.transport().pool.is_ok());
    }

    #[test]
    fn a_wrapped_rustls_error_is_found() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, ::rustls::Error::DecryptError);
        assert!(has_tls_error(&io));
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!has_tls_error(&plain));
    }

    #[test]
    fn a_tls_setup_failure_is_reported_by_every_call() {
        let transport = HyperTransport {
            pool: Err(TlsSetupError(Arc::new(std::io::Error::other("no CA certificates found")))),
            ..HyperTransport::default()
        };
        let runtime = ::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let request = Request::new(Vec::new());
        let error = runtime.block_on(transport.send(request)).unwrap_err();
        assert!(matches!(error, TransportError::Tls(_)), "{error:?}");
        assert_eq!(error.to_string(), "TLS error: the TLS configuration could not be built: no CA certificates found");
    }
}
