//! The async client on [hyper](https://docs.rs/hyper/1) and Tokio: hyper-util's pooled
//! client (connections are reused), rustls through hyper-rustls with the [roots](Roots)
//! chosen (Mozilla's by default), HTTP/2 when the server offers it by ALPN (Cloudflare's API
//! does; HTTP/1.1 otherwise), the [proxy](Proxy) chosen (the environment's by default,
//! through a `CONNECT` tunnel), redirects not followed, timeouts and a response-size limit. Retries, paging and error classification are the core's: this
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
use ::hyper::body::Incoming;
use ::hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use ::hyper_util::client::legacy::connect::HttpConnector;
use ::hyper_util::client::legacy::connect::proxy::Tunnel;
use ::hyper_util::rt::{TokioExecutor, TokioTimer};
use http::{Request, Response};

use crate::retry::Failure;
pub use crate::transport_common::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, NO_TIMEOUT_PAST, TransportError,
};
use crate::transport_common::{Settings, authority, monotonic, random_seed};
pub use crate::transport_proxy::{Proxy, ProxyUrl, ProxyVariables};
pub use crate::transport_tls::Roots;
use crate::{AsyncClient, AsyncHttpClient, AsyncSleep, BuildError, Config};

/// The async client: [`AsyncClient`] over [`HyperTransport`], waiting on Tokio's timer
/// between retries.
pub type Client = AsyncClient<HyperTransport, TokioSleep>;

/// A [`Client`] for one account: [`Client::account`](crate::Client::account).
pub type Account = crate::Account<HyperTransport, TokioSleep, crate::Async>;

/// The error of this client's calls, to name in signatures and `match` on.
pub type Error = crate::Error<TransportError>;

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
    Config::from_env().map(client)
}

crate::transport_common::builder!(hyper);

impl Builder {
    /// The client. It needs no runtime to be built, only to be used.
    pub fn build(self) -> Client {
        let transport = HyperTransport::new(&self.settings, self.config.base_url().as_str());
        AsyncClient::new(self.config, transport)
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

type Direct = ::hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;
type Tunnelled = ::hyper_util::client::legacy::Client<HttpsConnector<Tunnel<HttpConnector>>, Full<Bytes>>;

/// The connection pool: direct, or through a proxy's `CONNECT` tunnels.
#[derive(Clone)]
enum Pool {
    Direct(Direct),
    Tunnelled(Tunnelled),
}

impl Pool {
    async fn request(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, ::hyper_util::client::legacy::Error> {
        match self {
            Self::Direct(pool) => pool.request(request).await,
            Self::Tunnelled(pool) => pool.request(request).await,
        }
    }
}

/// Sends requests with hyper-util's pooled client; clones share its connection pool.
#[derive(Clone)]
pub struct HyperTransport {
    /// The pool, or why it could not be set up (reported by every call).
    pool: Result<Pool, String>,
    proxy: Option<ProxyUrl>,
    timeout: Duration,
    max_body_size: u64,
}

/// The settings; not the pool (its tunnel holds the proxy's credentials).
impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("proxy", &self.proxy)
            .field("timeout", &self.timeout)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl Default for HyperTransport {
    /// A transport for Cloudflare's API with the default settings.
    fn default() -> Self {
        Self::new(&Settings::default(), crate::DEFAULT_BASE_URL)
    }
}

impl HyperTransport {
    /// A transport for the API at `base_url`, for which the proxy is chosen.
    fn new(settings: &Settings, base_url: &str) -> Self {
        let (proxy, pool) = crate::transport_common::connect_through(settings, base_url, Self::pool);
        Self { pool, proxy, timeout: settings.timeout, max_body_size: settings.max_body_size }
    }

    fn pool(settings: &Settings, proxy: Option<&ProxyUrl>) -> Result<Pool, String> {
        // Ring named explicitly, so no process-wide default provider is needed (or can clash).
        let provider = Arc::new(::rustls::crypto::ring::default_provider());
        let roots = settings.roots.store().map_err(|e| format!("a root certificate is not usable: {e}"))?;
        let tls = ::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // ALPN offers h2 and http/1.1; the core only allows http:// to loopback.
        let https = HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_all_versions();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(crate::transport_common::armed(settings.connect_timeout));
        http.enforce_http(false);
        // As ureq and reqwest do: an h2 request's HEADERS and DATA go out in separate
        // writes, and Nagle would hold the second until the first is acknowledged.
        http.set_nodelay(true);
        let builder = {
            let mut b = ::hyper_util::client::legacy::Client::builder(TokioExecutor::new());
            b.pool_timer(TokioTimer::new());
            b
        };
        Ok(match proxy {
            None => Pool::Direct(builder.build(https.wrap_connector(http))),
            Some(proxy) => {
                let at = format!("http://{}", proxy.authority())
                    .parse()
                    .map_err(|_| "the proxy's address is not a URI".to_owned())?;
                let mut tunnel = Tunnel::new(at, http);
                if let Some(auth) = proxy.basic_auth() {
                    let mut value = http::HeaderValue::try_from(auth)
                        .map_err(|_| "the proxy's credentials cannot be sent".to_owned())?;
                    value.set_sensitive(true);
                    tunnel = tunnel.with_auth(value);
                }
                Pool::Tunnelled(builder.build(https.wrap_connector(tunnel)))
            }
        })
    }

    async fn exchange(&self, pool: &Pool, request: Request<Vec<u8>>) -> Result<Response<Bytes>, TransportError> {
        let uri = request.uri().clone();
        let response = pool
            .request(request.map(|body| Full::new(Bytes::from(body))))
            .await
            .map_err(|e| self.request_error(e, &uri))?;
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

    fn request_error(&self, error: ::hyper_util::client::legacy::Error, uri: &http::Uri) -> TransportError {
        if error.is_connect() {
            if crate::transport_tls::find_rustls(&error).is_some() {
                return TransportError::tls_through(self.proxy.as_ref(), authority(uri), Box::new(error));
            }
            if let Some(proxy) = &self.proxy {
                // hyper-util's tunnel error is not public: its message says which it is.
                let says = |text: &str| chain_says(&error, text);
                if says("tunnel error: proxy authorization required") {
                    return TransportError::proxy_refused(proxy, authority(uri), "407 Proxy Authentication Required");
                }
                if says("tunnel error: unsuccessful") {
                    // hyper-util tells apart only 200 and 407: a refusal or an answer that is
                    // not HTTP at all look the same to it.
                    return TransportError::proxy_refused(
                        proxy,
                        authority(uri),
                        "it answered the CONNECT with something other than 200 (a refusal, or not HTTP)",
                    );
                }
                if says("tunnel error: unexpected end of file") {
                    // hyper-util reads the answer until a blank line and knows only 200 and 407.
                    return TransportError::proxy_failed(
                        proxy,
                        authority(uri),
                        "it answered the CONNECT with something that is not HTTP, or closed the connection",
                    );
                }
                if says("tls handshake eof") {
                    return TransportError::proxy_failed(
                        proxy,
                        authority(uri),
                        "it accepted the CONNECT, but what came through the tunnel is not TLS (tls handshake eof)",
                    );
                }
                return TransportError::Connect {
                    to: format!("the proxy {}", proxy.authority()),
                    error: Box::new(error),
                };
            }
            return TransportError::Connect { to: authority(uri), error: Box::new(error) };
        }
        let hyper = error.source().and_then(|e| e.downcast_ref::<::hyper::Error>());
        match hyper {
            Some(h) if h.is_parse() || h.is_parse_status() || h.is_user() => TransportError::Other(Box::new(error)),
            Some(_) => TransportError::Io(Box::new(error)),
            None => TransportError::Other(Box::new(error)),
        }
    }
}

/// Whether an error in `error`'s chain says `text`.
fn chain_says(error: &(dyn StdError + 'static), text: &str) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.to_string().contains(text) {
            return true;
        }
        next = e.source();
    }
    false
}

fn hyper_error(error: Box<::hyper::Error>) -> TransportError {
    if error.is_parse() || error.is_user() { TransportError::Other(error) } else { TransportError::Io(error) }
}

impl AsyncHttpClient for HyperTransport {
    type Error = TransportError;
    type Body = Bytes;

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Bytes>, TransportError> {
        let pool = self.pool.as_ref().map_err(|e| TransportError::Setup(e.clone()))?;
        let exchange = self.exchange(pool, request);
        let Some(timeout) = crate::transport_common::armed(self.timeout) else { return exchange.await };
        match ::tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout {
                after: self.timeout,
                proxy: self.proxy.as_ref().map(ProxyUrl::authority),
            }),
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
    fn a_tls_setup_failure_is_reported_by_every_call() {
        let transport =
            HyperTransport { pool: Err("no CA certificates found".to_owned()), ..HyperTransport::default() };
        let runtime = ::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let request = Request::new(Vec::new());
        let error = runtime.block_on(transport.send(request)).unwrap_err();
        assert!(matches!(error, TransportError::Setup(_)), "{error:?}");
        assert_eq!(error.to_string(), "the client could not be set up: no CA certificates found");
        assert_eq!(error.failure(), Failure::Permanent);
    }
}
