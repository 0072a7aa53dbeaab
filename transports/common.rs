//! What the ureq and hyper adapters share: the transport error (one type, so code that
//! matches on it works with either client), the settings and their defaults, the builder
//! methods, and the retry seed.

use std::time::Duration;

use crate::retry::Failure;
#[cfg(any(feature = "ureq", feature = "hyper"))]
use crate::retry::RetryPolicy;

/// How long connecting (DNS, TCP and TLS) may take by default, as in Cloudflare's SDKs.
#[cfg(any(feature = "ureq", feature = "hyper", feature = "wasi"))]
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one attempt may take by default, from connecting to the last body byte, as in
/// Cloudflare's SDKs.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A timeout this long or longer is no timeout: the libraries add a timeout to the clock,
/// and `Instant + Duration::MAX` overflows (a JavaScript timer past 2³¹ ms even fires at
/// once). A hundred years: nothing waits that long.
#[cfg(any(feature = "ureq", feature = "hyper", feature = "wasi"))]
pub const NO_TIMEOUT_PAST: Duration = Duration::from_secs(36_525 * 86_400);

/// `timeout` as the libraries take it: `None` (no timeout) from [`NO_TIMEOUT_PAST`] on.
#[cfg(any(feature = "ureq", feature = "hyper", feature = "wasi"))]
pub(crate) fn armed(timeout: Duration) -> Option<Duration> {
    (timeout < NO_TIMEOUT_PAST).then_some(timeout)
}

/// The largest response body read by default: 4 MiB (a full page of certificates is far
/// smaller).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 4 * 1024 * 1024;

/// Refuses an answer whose `Content-Length` is over `limit` before its body is read (the
/// transports that read the body themselves: fetch and wasi).
#[cfg(any(feature = "fetch", feature = "wasi"))]
pub(crate) fn declared_within(headers: &http::HeaderMap, limit: u64) -> Result<(), TransportError> {
    let length = headers.get(http::header::CONTENT_LENGTH).and_then(|l| l.to_str().ok()?.parse::<u64>().ok());
    match length {
        Some(length) if length > limit => Err(TransportError::BodyTooLarge { limit }),
        _ => Ok(()),
    }
}

/// The error type of an underlying HTTP library.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the transport could not deliver a request or read its response.
///
/// The ureq and hyper adapters share this type. It never holds a header, so never a
/// credential. Its message includes the underlying library's (every level of it, each
/// once), so [`source`](std::error::Error::source) is `None`; [`get_ref`](Self::get_ref)
/// reaches the library's error for a downcast.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (refused, DNS failure, unreachable, connect timeout):
    /// the request was certainly not sent, so even an upload may be retried.
    #[error("could not connect to {to}: {}", Chain(error))]
    Connect {
        /// Where: `host:port` (never a credential).
        to: String,
        /// The library's error.
        error: Source,
    },
    /// The attempt took longer than the configured timeout; the server may have acted on it.
    #[error(
        "no complete response within {}{}",
        crate::HumanDuration(*after),
        proxy.as_deref().map(|p| format!(" through the proxy {p}")).unwrap_or_default()
    )]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// The proxy the attempt went through (`host:port`), if any: it may be the one that
        /// did not answer.
        proxy: Option<String>,
    },
    /// TLS with the server failed: its certificate does not verify (not retried), or the
    /// handshake failed.
    #[error("TLS with {host} failed: {reason}")]
    Tls {
        /// The server: `host:port`.
        host: String,
        /// Why, in a user's words (unknown issuer, name mismatch, expired...).
        reason: String,
        /// The library's error.
        error: Source,
    },
    /// The proxy would not carry the request (a 407, a refused `CONNECT`, an answer that is
    /// not HTTP, a tunnel that does not carry TLS): nothing reached the API. Not retried.
    #[error("the proxy {proxy} did not connect to {to}: {reason}")]
    Proxy {
        /// The proxy: `host:port` (never a credential).
        proxy: String,
        /// Where the tunnel was to go: `host:port`.
        to: String,
        /// The proxy's answer, and what to do about it.
        reason: String,
    },
    /// The client could not be set up (roots that rustls refuses, an unusable proxy in the
    /// environment): every call fails so, until the client is built again. Not retried.
    #[error("the client could not be set up: {0}")]
    Setup(String),
    /// The connection failed while the request or response was under way (reset, closed
    /// mid-body).
    #[error("connection failed during the exchange: {}", Chain(.0))]
    Io(Source),
    /// The response body is larger than the configured limit; reading stopped there.
    #[error("the response body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Anything else (e.g. a response that is not valid HTTP).
    #[error("{}", Chain(.0))]
    Other(Source),
}

/// A certificate that does not verify fails the same way again; any other TLS failure may
/// have come mid-exchange, after the request went out.
#[cfg(any(feature = "ureq", feature = "hyper"))]
fn tls_failure(error: &Source) -> Failure {
    match crate::transport_tls::find_rustls(error.as_ref()) {
        Some(rustls::Error::InvalidCertificate(_)) => Failure::Permanent,
        _ => Failure::MaybeSent,
    }
}

/// Without rustls (the fetch client), a TLS error is the host's, and its cause unknown.
#[cfg(not(any(feature = "ureq", feature = "hyper")))]
fn tls_failure(_: &Source) -> Failure {
    Failure::MaybeSent
}

/// An error and its sources as one message: each level's text once, a level whose text the
/// one above already shows left out (libraries often repeat their source in their message).
struct Chain<'e>(&'e Source);

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            let text = e.to_string();
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown.push_str(&text);
            }
            next = e.source();
        }
        Ok(())
    }
}

impl TransportError {
    /// The underlying library's error, when there is one (for a downcast).
    pub fn get_ref(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Connect { error: e, .. } | Self::Tls { error: e, .. } | Self::Io(e) | Self::Other(e) => {
                Some(e.as_ref())
            }
            Self::Timeout { .. } | Self::BodyTooLarge { .. } | Self::Proxy { .. } | Self::Setup(_) => None,
        }
    }

    /// A TLS failure with `host`, its reason told in a user's words when it is about the
    /// server's certificate.
    #[cfg(any(feature = "ureq", feature = "hyper"))]
    pub(crate) fn tls(host: String, error: Source) -> Self {
        let reason = crate::transport_tls::find_rustls(error.as_ref())
            .and_then(|e| crate::transport_tls::certificate_problem(e, &host))
            .unwrap_or_else(|| Chain(&error).to_string());
        Self::Tls { host, reason, error }
    }

    /// How far the failed request got. Nothing was sent before a connection was made; a
    /// server certificate that does not verify, a refusing proxy or a failed setup would
    /// fail the same way again.
    pub(crate) fn failure(&self) -> Failure {
        match self {
            Self::Connect { .. } => Failure::NotSent,
            Self::Tls { error, .. } => tls_failure(error),
            Self::Proxy { .. } | Self::Setup(_) => Failure::Permanent,
            _ => Failure::MaybeSent,
        }
    }

    /// `proxy` answered the `CONNECT` to `to` with `answer` (a status, or what went wrong).
    #[cfg(any(feature = "ureq", feature = "hyper"))]
    pub(crate) fn proxy_refused(proxy: &crate::transport_proxy::ProxyUrl, to: String, answer: &str) -> Self {
        let asks_credentials = answer.starts_with("407") || answer.starts_with("401");
        let hint = match (asks_credentials, proxy.has_credentials()) {
            (true, true) => "; it did not accept the credentials in the proxy URL",
            (true, false) => "; it wants credentials: http://user:password@host:port",
            // Without a status (hyper-util tells only 407 apart), both causes are possible.
            (false, true) if !answer.starts_with(|c: char| c.is_ascii_digit()) => {
                "; check the credentials in the proxy URL, and that it allows tunnels to this port"
            }
            _ => "",
        };
        Self::Proxy { proxy: proxy.authority(), to, reason: format!("{answer}{hint}") }
    }

    /// `proxy` did not carry the request to `to`, and what it did instead (`what`).
    #[cfg(any(feature = "ureq", feature = "hyper"))]
    pub(crate) fn proxy_failed(proxy: &crate::transport_proxy::ProxyUrl, to: String, what: &str) -> Self {
        Self::Proxy { proxy: proxy.authority(), to, reason: what.to_owned() }
    }

    /// A TLS failure through `proxy` that is not about the server's certificate: the tunnel
    /// did not carry TLS (the proxy answered `200` and then something else), so it is the
    /// proxy's doing, not a root to trust. A certificate that does not verify stays a TLS
    /// error: a TLS-inspecting gateway's, whose root `--cacert` trusts.
    #[cfg(any(feature = "ureq", feature = "hyper"))]
    pub(crate) fn tls_through(proxy: Option<&crate::transport_proxy::ProxyUrl>, to: String, error: Source) -> Self {
        let rustls = crate::transport_tls::find_rustls(error.as_ref());
        match proxy {
            Some(proxy) if !matches!(rustls, Some(rustls::Error::InvalidCertificate(_))) => Self::proxy_failed(
                proxy,
                to,
                &format!("it accepted the CONNECT, but what came through the tunnel is not TLS ({})", Chain(&error)),
            ),
            _ => Self::tls(to, error),
        }
    }

    /// Whether TLS with the server failed.
    pub fn is_tls(&self) -> bool {
        matches!(self, Self::Tls { .. })
    }

    /// Whether a timeout expired (the whole-attempt timeout; a connect timeout is a
    /// [`Connect`](Self::Connect) error).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connect { .. })
    }
}

/// What both builders set.
#[cfg(any(feature = "ureq", feature = "hyper"))]
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_body_size: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) pacing: crate::Pacing,
    pub(crate) roots: crate::transport_tls::Roots,
    pub(crate) proxy: crate::transport_proxy::Proxy,
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
impl Default for Settings {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            retry: RetryPolicy::default(),
            pacing: crate::Pacing::default(),
            roots: crate::transport_tls::Roots::default(),
            proxy: crate::transport_proxy::Proxy::default(),
        }
    }
}

/// The proxy a client for the API at `base_url` goes through, and what `connect` builds
/// with it (the agent, the pool), or why neither could be set up.
#[cfg(any(feature = "ureq", feature = "hyper"))]
pub(crate) fn connect_through<T>(
    settings: &Settings,
    base_url: &str,
    connect: impl FnOnce(&Settings, Option<&crate::transport_proxy::ProxyUrl>) -> Result<T, String>,
) -> (Option<crate::transport_proxy::ProxyUrl>, Result<T, String>) {
    let target = base_url.parse::<http::Uri>().unwrap_or_default();
    match crate::transport_proxy::choose(&settings.proxy, &target, |name| std::env::var(name).ok()) {
        Ok(proxy) => {
            let built = connect(settings, proxy.as_ref());
            (proxy, built)
        }
        Err(e) => (None, Err(e.to_string())),
    }
}

/// `host:port` of `uri`, the port from the scheme when not written: where a connection
/// goes, for messages. Never the user-info part, so never a credential.
pub(crate) fn authority(uri: &http::Uri) -> String {
    let host = uri.host().unwrap_or("?");
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
/// Monotonic time since the first call of this function: the clock the bundled clients time
/// their attempts with.
pub(crate) fn monotonic() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
/// A seed for the retry jitter that differs per process (and per call of this function),
/// from the standard library's randomly keyed hasher: no extra dependency.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
/// The `Builder` type and its setters, the same for both adapters. The expanding module
/// provides `build` and has `Client`, `TransportError` and the `DEFAULT_*`
/// constants in scope (the doc links name them).
macro_rules! builder {
    ($module:ident) => {
        /// Configures a [`Client`]: timeouts, response-size limit, retry policy and pacing.
        ///
        /// The defaults: connect timeout [`DEFAULT_CONNECT_TIMEOUT`], whole-attempt timeout
        /// [`DEFAULT_TIMEOUT`], response bodies up to [`DEFAULT_MAX_BODY_SIZE`] bytes,
        /// [`RetryPolicy::default`](crate::RetryPolicy::default) and
        /// [`Pacing::default`](crate::Pacing::default).
        ///
        #[doc = $crate::transport_common::builder_example!($module, ".with_connect_timeout(Duration::from_secs(2))\n    .with_timeout(Duration::from_secs(20))\n    .with_max_body_size(1024 * 1024)\n    .with_retry(RetryPolicy::default().with_max_retries(4))")]
        #[derive(Debug, Clone)]
        #[must_use]
        pub struct Builder {
            config: $crate::Config,
            settings: $crate::transport_common::Settings,
        }

        impl Builder {
            /// A builder for a client with `config` and the default settings.
            ///
            #[doc = $crate::transport_common::builder_example!($module, "")]
            pub fn new(config: $crate::Config) -> Self {
                Self { config, settings: $crate::transport_common::Settings::default() }
            }

            /// A builder for a client configured from the environment
            /// ([`Config::from_env`](crate::Config::from_env)), to tune before `build`.
            ///
            /// ```no_run
            #[doc = concat!("let client = cloudflare_mtls::", stringify!($module), "::Builder::from_env()?")]
            ///     .with_timeout(std::time::Duration::from_secs(10))
            ///     .build();
            /// # let _ = client;
            /// # Ok::<(), cloudflare_mtls::BuildError>(())
            /// ```
            pub fn from_env() -> Result<Self, $crate::BuildError> {
                $crate::Config::from_env().map(Self::new)
            }

            /// How long connecting (DNS, TCP, TLS) may take ([`NO_TIMEOUT_PAST`] and longer:
            /// no limit).
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_connect_timeout(Duration::from_secs(2))")]
            pub fn with_connect_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.connect_timeout = timeout;
                self
            }

            /// How long one attempt may take, from connecting to the last byte of the
            /// response. Each retry gets the full time again. [`NO_TIMEOUT_PAST`] and longer
            /// (`Duration::MAX` included): no limit.
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_timeout(Duration::from_secs(20))")]
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.settings.timeout = timeout;
                self
            }

            /// The largest response body to read, in bytes; a larger one fails with
            /// [`TransportError::BodyTooLarge`].
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_max_body_size(1024 * 1024)")]
            pub fn with_max_body_size(mut self, bytes: u64) -> Self {
                self.settings.max_body_size = bytes;
                self
            }

            /// Retries by `policy` ([`RetryPolicy::never`](crate::RetryPolicy::never) for a single attempt per call).
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_retry(RetryPolicy::never())")]
            pub fn with_retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.settings.retry = policy;
                self
            }

            /// Trusts `roots` instead of Mozilla's roots alone (see [`Roots`]).
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_roots(Roots::webpki().with_pem(include_str!(\"../tests/fixtures/ca-p256.pem\"))?)")]
            pub fn with_roots(mut self, roots: Roots) -> Self {
                self.settings.roots = roots;
                self
            }

            /// Goes through `proxy`: [`Proxy::FromEnv`] (the default: `HTTPS_PROXY`,
            /// `NO_PROXY`... as curl reads them, loopback never proxied),
            /// [`Proxy::Off`], or [`Proxy::Url`] for every host. The API host is known, so
            /// the choice is made once, when the client is built.
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_proxy(Proxy::Url(ProxyUrl::parse(\"http://proxy.internal:3128\")?))")]
            pub fn with_proxy(mut self, proxy: Proxy) -> Self {
                self.settings.proxy = proxy;
                self
            }

            /// Paces calls by `pacing` ([`Pacing::off`](crate::Pacing::off) for none); see
            /// [`pacing`](crate::pacing).
            ///
            #[doc = $crate::transport_common::builder_example!($module, ".with_pacing(Pacing::off())")]
            pub fn with_pacing(mut self, pacing: $crate::Pacing) -> Self {
                self.settings.pacing = pacing;
                self
            }
        }
    };
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
/// A doc example that builds a client of transport `$module` with the setters `$calls`.
macro_rules! builder_example {
    ($module:ident, $calls:literal) => {
        concat!(
            "```\n",
            "use std::time::Duration;\n",
            "use cloudflare_mtls::{Config, Credentials, Pacing, RetryPolicy};\n",
            "use cloudflare_mtls::",
            stringify!($module),
            "::{Proxy, ProxyUrl, Roots};\n\n",
            "let config = Config::new(Credentials::api_token(\"my-token\")?);\n",
            "let client = cloudflare_mtls::",
            stringify!($module),
            "::Builder::new(config)\n    ",
            $calls,
            "\n    .build();\n",
            "# let _ = (client, Duration::ZERO, RetryPolicy::never(), Pacing::off(), Proxy::Off, Roots::webpki());\n",
            "# let _ = ProxyUrl::parse(\"p:1\")?;\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n",
            "```"
        )
    };
}

#[cfg(any(feature = "ureq", feature = "hyper"))]
pub(crate) use builder;
#[cfg(any(feature = "ureq", feature = "hyper"))]
pub(crate) use builder_example;

/// Reading the process's environment is the transports' business, not the Sans-IO core's: the
/// core only ever takes a lookup ([`Config::from_lookup`](crate::Config::from_lookup)).
impl crate::Config {
    /// The configuration from the process's environment (with a bundled transport's feature): [`from_lookup`](Self::from_lookup)
    /// over `std::env::var` (a variable that is not valid UTF-8 counts as unset). A WASM host
    /// without a process environment passes its own lookup to `from_lookup` instead.
    ///
    /// ```no_run
    /// // CLOUDFLARE_API_TOKEN=... (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL); CLOUDFLARE_BASE_URL
    /// let config = cloudflare_mtls::Config::from_env()?;
    /// # let _ = config;
    /// # Ok::<(), cloudflare_mtls::BuildError>(())
    /// ```
    pub fn from_env() -> Result<Self, crate::BuildError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn authority_names_host_and_port_and_never_a_credential() {
        let at = |uri: &'static str| super::authority(&http::Uri::from_static(uri));
        assert_eq!(at("https://api.cloudflare.com/client/v4"), "api.cloudflare.com:443");
        assert_eq!(at("http://127.0.0.1:8799/client/v4"), "127.0.0.1:8799");
        assert_eq!(at("http://localhost/x"), "localhost:80");
        assert_eq!(at("http://[::1]:8787/x"), "[::1]:8787");
        assert_eq!(at("https://user:secret@example.com/x"), "example.com:443");
    }
}
