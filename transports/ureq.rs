//! The blocking client on [ureq](https://docs.rs/ureq/3): one shared agent (connections are
//! reused), rustls with the [roots](Roots) chosen (Mozilla's by default), the [proxy](Proxy)
//! chosen (the environment's by default), no compression, redirects not followed, timeouts
//! and a response-size limit. Retries, paging and error classification are the core's: this
//! module only moves bytes, and sleeps the thread between retries.
//!
//! ```no_run
//! use cloudflare_mtls::{AccountId, List};
//!
//! // CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL), CLOUDFLARE_BASE_URL.
//! let client = cloudflare_mtls::ureq::from_env()?;
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! for cert in client.list_all(List::new(account).with_ca(true)) {
//!     let cert = cert?;
//!     println!("{:?} {:?}", cert.id, cert.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! End to end against the loopback [fake](crate::fake_server) (feature `fake-server`):
//!
//! ```
//! # #[cfg(feature = "fake-server")] {
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::fake_server::FakeServer;
//! use cloudflare_mtls::{AccountId, Config, Credentials, List, Upload};
//!
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let server = FakeServer::start(FakeApi::new("my-token", account.clone()))?;
//! let config = Config::new(Credentials::api_token("my-token")?).with_base_url(server.base_url());
//! let client = cloudflare_mtls::ureq::client(config);
//!
//! let pem = include_str!("../tests/fixtures/openapi-example-ca.pem");
//! let cert = client.upload(&Upload::ca(account.clone(), pem).with_name("my-ca"))?;
//! let listed: Vec<_> = client.list_all(List::new(account)).collect::<Result<_, _>>()?;
//! assert_eq!(listed.len(), 1);
//! assert_eq!(listed[0].id, cert.id);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With explicit settings:
//!
//! ```
//! use std::time::Duration;
//! use cloudflare_mtls::{Config, Credentials, RetryPolicy};
//!
//! let client = cloudflare_mtls::ureq::Builder::new(Config::new(Credentials::api_token("my-token")?))
//!     .with_connect_timeout(Duration::from_secs(2))
//!     .with_timeout(Duration::from_secs(20))
//!     .with_max_body_size(1024 * 1024)
//!     .with_retry(RetryPolicy::default().with_max_retries(4))
//!     .build();
//! assert_eq!(client.retry_policy().max_retries, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Redirects come back as responses, which the core reports as HTTP errors: the API never
//! redirects, and following one could carry the credentials to another host.

use std::io::ErrorKind;
use std::time::Duration;

use http::{Request, Response};

use crate::retry::Failure;
pub use crate::transport_common::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, NO_TIMEOUT_PAST, TransportError,
};
use crate::transport_common::{Settings, armed, authority, monotonic, random_seed};
pub use crate::transport_proxy::{Proxy, ProxyUrl, ProxyVariables};
pub use crate::transport_tls::Roots;
use crate::{BlockingClient, BuildError, Config, HttpClient};

/// The blocking client: [`BlockingClient`] over [`UreqTransport`], sleeping the thread
/// between retries.
pub type Client = BlockingClient<UreqTransport, fn(Duration)>;

/// A [`Client`] for one account: [`Client::account`](crate::Client::account).
pub type Account = crate::Account<UreqTransport, fn(Duration), crate::Blocking>;

/// The error of this client's calls, to name in signatures and `match` on.
pub type Error = crate::Error<TransportError>;

/// A client for `config` with the default settings (see [`Builder`]).
///
/// ```
/// use cloudflare_mtls::{BaseUrl, Config, Credentials};
/// let config = Config::new(Credentials::api_token("my-token")?).with_base_url(BaseUrl::new("http://127.0.0.1:8787/client/v4")?);
/// let client = cloudflare_mtls::ureq::client(config);
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
/// let client = cloudflare_mtls::ureq::from_env()?;
/// # let _ = client;
/// # Ok::<(), cloudflare_mtls::BuildError>(())
/// ```
pub fn from_env() -> Result<Client, BuildError> {
    Config::from_env().map(client)
}

crate::transport_common::builder!(ureq);

impl Builder {
    /// The client.
    pub fn build(self) -> Client {
        let transport = UreqTransport::new(&self.settings, self.config.base_url().as_str());
        BlockingClient::new(self.config, transport)
            .with_sleep(std::thread::sleep as fn(Duration))
            .with_retry(self.settings.retry)
            .with_pacing(self.settings.pacing)
            .with_seed(random_seed())
            .with_clock(monotonic)
    }
}

/// Sends requests with a shared ureq [`Agent`](::ureq::Agent); clones share its
/// connection pool.
#[derive(Clone)]
pub struct UreqTransport {
    /// The agent, or why it could not be set up (reported by every call).
    agent: Result<::ureq::Agent, String>,
    proxy: Option<ProxyUrl>,
    timeout: Duration,
    max_body_size: u64,
}

/// The settings; not the agent (its configuration holds the proxy's credentials).
impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("proxy", &self.proxy)
            .field("timeout", &self.timeout)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl Default for UreqTransport {
    /// A transport for Cloudflare's API with the default settings.
    fn default() -> Self {
        Self::new(&Settings::default(), crate::DEFAULT_BASE_URL)
    }
}

impl UreqTransport {
    /// A transport for the API at `base_url`, for which the proxy is chosen.
    fn new(settings: &Settings, base_url: &str) -> Self {
        let (proxy, agent) = crate::transport_common::connect_through(settings, base_url, Self::agent);
        Self { agent, proxy, timeout: settings.timeout, max_body_size: settings.max_body_size }
    }

    fn agent(settings: &Settings, proxy: Option<&ProxyUrl>) -> Result<::ureq::Agent, String> {
        use ::ureq::tls::{Certificate, RootCerts, TlsConfig};
        let roots = match settings.roots.certificates() {
            None => RootCerts::WebPki,
            Some(certs) => {
                let certs: Vec<Certificate<'static>> =
                    certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
                RootCerts::new_with_certs(&certs)
            }
        };
        // ureq reads the proxy variables itself unless given one (or none) here.
        let proxy = proxy
            .map(|p| ::ureq::Proxy::new(&p.with_credentials()))
            .transpose()
            .map_err(|_| format!("the proxy {} is not usable", proxy.map(ProxyUrl::authority).unwrap_or_default()))?;
        Ok(::ureq::Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .proxy(proxy)
            // 4xx and 5xx are answers for the core to classify.
            .http_status_as_error(false)
            // A redirect comes back as a response, so credentials never follow it elsewhere.
            .max_redirects(0)
            // No compression unless a request asks for it (even if another crate turns on
            // ureq's `gzip` feature).
            .accept_encoding("")
            // With a resolve or global timeout, ureq 3.5 resolves the host on a new thread for
            // every call (25–560 µs measured). Kept: a call must never hang; see
            // BENCHMARKS.md, part 3.
            .timeout_connect(armed(settings.connect_timeout))
            .timeout_resolve(armed(settings.connect_timeout))
            .timeout_global(armed(settings.timeout))
            .build()
            .new_agent())
    }

    /// The shared error for ureq's `error` on a request to `uri`.
    fn error(&self, error: ::ureq::Error, uri: &http::Uri) -> TransportError {
        use ::ureq::{Error as E, Timeout as T};
        // Through a proxy, the connection that fails to open is the proxy's.
        let to = match &self.proxy {
            Some(proxy) => format!("the proxy {}", proxy.authority()),
            None => authority(uri),
        };
        let connect = |error| TransportError::Connect { to, error: Box::new(error) };
        let proxy = self.proxy.as_ref();
        let timeout = TransportError::Timeout { after: self.timeout, proxy: proxy.map(ProxyUrl::authority) };
        // Through a proxy to an https API, the only HTTP read in the clear is the proxy's
        // answer to CONNECT (the API's is inside TLS): an answer that does not parse is its.
        if let (E::Protocol(_), Some(proxy), Some("https")) = (&error, proxy, uri.scheme_str()) {
            return TransportError::proxy_failed(
                proxy,
                authority(uri),
                "it answered the CONNECT with something that is not HTTP",
            );
        }
        // rustls's refusals come up as I/O errors that carry it.
        if crate::transport_tls::find_rustls(&error).is_some() {
            return TransportError::tls_through(proxy, authority(uri), Box::new(error));
        }
        match error {
            E::BodyExceedsLimit(limit) => TransportError::BodyTooLarge { limit },
            E::ConnectProxyFailed(ref answer) => {
                // "proxy server responded 407/407": the status, with its reason phrase.
                let code = answer.trim_start_matches("proxy server responded ").split('/').next().unwrap_or_default();
                let status = match http::StatusCode::from_bytes(code.as_bytes()) {
                    Ok(status) => format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or_default()),
                    Err(_) => answer.clone(),
                };
                match proxy {
                    Some(proxy) if answer.contains("did not respond") => TransportError::proxy_failed(
                        proxy,
                        authority(uri),
                        "it closed the connection without answering the CONNECT",
                    ),
                    Some(proxy) => TransportError::proxy_refused(proxy, authority(uri), status.trim_end()),
                    None => TransportError::Other(Box::new(error)),
                }
            }
            E::Timeout(T::Connect | T::Resolve) | E::HostNotFound | E::ConnectionFailed => connect(error),
            E::Timeout(_) => timeout,
            E::Io(ref io) if is_connect_failure(io) => connect(error),
            E::Io(ref io) if io.kind() == ErrorKind::TimedOut => timeout,
            E::Io(_) => TransportError::Io(Box::new(error)),
            E::Tls(_) | E::Pem(_) | E::Rustls(_) | E::TlsRequired => {
                TransportError::tls_through(proxy, authority(uri), Box::new(error))
            }
            _ => TransportError::Other(Box::new(error)),
        }
    }
}

/// I/O errors that only happen before a connection exists.
/// Whether no connection was made: refused, unreachable, or the name did not resolve (std
/// reports a failed `getaddrinfo` as an uncategorised I/O error whose text says so; ureq
/// resolves before it connects, so the request was certainly not sent).
fn is_connect_failure(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkDown
    ) || io.to_string().starts_with("failed to lookup address information")
}

impl HttpClient for UreqTransport {
    type Error = TransportError;
    type Body = Vec<u8>;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let uri = parts.uri.clone();
        let agent = self.agent.as_ref().map_err(|e| TransportError::Setup(e.clone()))?;
        // An empty `Vec` would be sent with `content-length: 0`; `()` sends no body headers.
        let response = if body.is_empty() {
            agent.run(Request::from_parts(parts, ()))
        } else {
            agent.run(Request::from_parts(parts, body))
        };
        let (parts, body) = response.map_err(|e| self.error(e, &uri))?.into_parts();
        let bytes = body.into_with_config().limit(self.max_body_size).read_to_vec().map_err(|e| self.error(e, &uri))?;
        Ok(Response::from_parts(parts, bytes))
    }

    fn failure(error: &TransportError) -> Failure {
        error.failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, RetryPolicy};

    #[test]
    fn builder_settings_reach_the_client() {
        let config = Config::new(Credentials::api_token("t").unwrap());
        let client = Builder::new(config).with_retry(RetryPolicy::never()).with_max_body_size(10).build();
        assert_eq!(client.retry_policy().max_retries, 0);
        assert_eq!(client.transport().max_body_size, 10);
        assert_eq!(client.transport().timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn only_connect_failures_are_not_sent() {
        let t = UreqTransport::default();
        let uri = http::Uri::from_static("https://api.cloudflare.com/client/v4");
        let refused = t.error(::ureq::Error::Io(std::io::Error::from(ErrorKind::ConnectionRefused)), &uri);
        assert!(refused.is_connect());
        assert_eq!(UreqTransport::failure(&refused), Failure::NotSent);
        let dns = t.error(::ureq::Error::HostNotFound, &uri);
        assert_eq!(UreqTransport::failure(&dns), Failure::NotSent);
        let connect_timeout = t.error(::ureq::Error::Timeout(::ureq::Timeout::Connect), &uri);
        assert_eq!(UreqTransport::failure(&connect_timeout), Failure::NotSent);
        for maybe in [
            ::ureq::Error::Io(std::io::Error::from(ErrorKind::ConnectionReset)),
            ::ureq::Error::Io(std::io::Error::from(ErrorKind::UnexpectedEof)),
            ::ureq::Error::Timeout(::ureq::Timeout::Global),
            ::ureq::Error::Tls("bad"),
            ::ureq::Error::BodyExceedsLimit(3),
        ] {
            let e = t.error(maybe, &uri);
            assert_eq!(UreqTransport::failure(&e), Failure::MaybeSent, "{e}");
        }
        let too_large = t.error(::ureq::Error::BodyExceedsLimit(3), &uri);
        assert!(matches!(too_large, TransportError::BodyTooLarge { limit: 3 }));
        assert_eq!(too_large.to_string(), "the response body is larger than the limit of 3 bytes");
        let timeout = t.error(::ureq::Error::Timeout(::ureq::Timeout::Global), &uri);
        assert!(timeout.is_timeout());
        assert_eq!(timeout.to_string(), "no complete response within 1 min");
    }
}
