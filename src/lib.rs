//! A client for Cloudflare's mTLS Certificate Management API: upload, list, get, delete,
//! and list associations; and for the zone-level hostname associations that make an
//! uploaded CA verify client certificates (Bring Your Own CA for mTLS).
//!
//! The core is Sans-IO: it builds `http::Request` values and turns `http::Response` bodies
//! into typed results, and leaves sockets, clocks and sleeping to a transport. It compiles
//! for `wasm32-unknown-unknown` and embeds in any runtime.
//!
//! # Ready-made clients
//!
//! A blocking client on ureq (the default feature) or an async one on hyper (feature
//! `hyper`), configured from the environment as Cloudflare's own tools are
//! (`CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL`; `CLOUDFLARE_BASE_URL`):
//!
//! ```no_run
//! # #[cfg(feature = "ureq")] {
//! use cloudflare_mtls::{AccountId, List};
//!
//! let client = cloudflare_mtls::ureq::from_env()?;
//! let account: AccountId = std::env::var("CLOUDFLARE_ACCOUNT_ID")?.parse()?;
//! for cert in client.list_all(List::new(account)) {
//!     println!("{:?}", cert?.name);
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `cloudflare_mtls::hyper::from_env()` gives the async client: the same methods, awaited,
//! and `list_all` as a `Stream`. See the `ureq` and `hyper` modules (each behind its
//! feature) for their builders; `fetch` is the async client for JavaScript hosts (Node,
//! browsers, Workers) and `wasi` the blocking one for WASI 0.2 components.
//!
//! # Or bring your own
//!
//! **Sans-IO, any runtime or WASM host.** Build a call, send its request however you like,
//! decode the answer:
//!
//! ```
//! use cloudflare_mtls::{AccountId, Config, Credentials, Endpoint, List};
//!
//! let config = Config::new(Credentials::api_token("my-token")?);
//! let list = List::new(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?).with_ca(true);
//! let request = list.to_request(&config)?;
//! assert_eq!(request.uri().query(), Some("ca=true"));
//!
//! // ... send `request` with your HTTP stack, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(&br#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"page":1,"per_page":50,"count":0,"total_count":0}}"#[..])?;
//! let page = list.parse_response(&response)?;
//! assert!(page.items.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Your own transport, with retries and paging.** Any closure from request to response
//! is a transport; [`BlockingClient`] adds the methods, the retry policy and `list_all`:
//!
//! ```
//! use cloudflare_mtls::{AccountId, BlockingClient, CertificateId, Config, Credentials};
//!
//! let fetch = |request: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, std::io::Error> {
//!     // Hand `request` to your HTTP stack here.
//!     # let _ = request;
//!     # Ok(http::Response::new(br#"{"success":true,"result":{"id":"abc","name":"ca"}}"#.to_vec()))
//! };
//! let client = BlockingClient::new(Config::new(Credentials::api_token("my-token")?), fetch)
//!     .with_sleep(std::thread::sleep);
//! let cert = client.get(&AccountId::new("acc")?, &CertificateId::new("abc")?)?;
//! assert_eq!(cert.name.as_deref(), Some("ca"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An async transport works the same way with [`AsyncClient`]: the same methods, awaited.
//!
//! # Beyond the five calls
//!
//! - [`pacing`]: a client waits rather than cross the API's rate limit (1,200 calls per 5
//!   minutes, then 5 minutes of 429s), reading its `Ratelimit` fields; on by default in
//!   clients with a clock and a sleep.
//! - [`plan`]: certificates as code: the steps from an account's certificates to a desired
//!   set, compared by DER bytes (what `cf-mtls apply` runs).
//! - [`folder`]: certificates as a folder and back (`NAME.pem`, a manifest for `ca` flags a
//!   certificate does not say): what `cf-mtls export` writes and `apply` reads.
//!
//! # Errors
//!
//! Every call fails in one of three ways, kept apart in [`Error`]: the request could not be
//! built ([`BuildError`]), the transport failed, or the response is an error
//! ([`ResponseError`]: the API's envelope, a non-JSON HTTP error such as an HTML 502, or a
//! success body that does not fit the model). Secrets never appear in `Debug` or `Display`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod account;
mod budget;
pub mod by_name;
mod calls;
mod client;
mod config;
mod credentials;
mod duration;
mod envelope;
mod error;
mod exchange;
pub mod folder;
mod headers;
mod hostname;
mod id;
mod message;
mod model;
pub mod pacing;
mod pager;
mod pem_check;
pub mod plan;
pub mod retry;
mod timestamp;
mod trace;
mod transport;
mod wait;
#[cfg(feature = "x509-checks")]
mod x509_check;

pub use account::Account;
pub use budget::BudgetError;
pub use calls::{
    AssociatedHostnames, Associations, Delete, Deleted, Endpoint, Get, Hostnames, List, PrivateKey, ReplaceHostnames,
    Scope, Upload,
};
pub use client::{Async, AsyncClient, Blocking, BlockingClient, Client, Pages};
pub use config::{BaseUrl, Config, DEFAULT_BASE_URL};
pub use credentials::Credentials;
pub use duration::HumanDuration;
pub use envelope::{Success, decode, decode_response};
pub use error::{
    ApiError, BuildError, ByNameError, Call, DecodeError, Error, HttpError, IdError, PagerError, ResponseError,
    WaitTooLong,
};
pub use exchange::{Exchange, Next};
pub use hostname::{Hostname, HostnameError, HostnameProblem};
pub use id::{AccountId, CertificateId, ZoneId};
pub use message::{ApiMessage, ErrorSource};
pub use model::{Association, Certificate, CertificateType, Expiry, Page, ResultInfo, StoredCertificate};
pub use pacing::Pacing;
pub use pager::{DEFAULT_MAX_BYTES, DEFAULT_MAX_CERTIFICATES, DEFAULT_PER_PAGE, Pager};
pub use retry::RetryPolicy;
pub use timestamp::Timestamp;
pub use wait::{Wait, WaitReason};

#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;

#[cfg(feature = "fake-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake-server")))]
#[path = "../transports/fake_server.rs"]
pub mod fake_server;

#[cfg(feature = "fake-server")]
#[path = "../transports/fake_tls.rs"]
mod fake_tls;

#[cfg(any(feature = "ureq", feature = "hyper", feature = "fetch", feature = "wasi"))]
#[path = "../transports/common.rs"]
mod transport_common;

#[cfg(any(feature = "ureq", feature = "hyper"))]
#[path = "../transports/tls.rs"]
mod transport_tls;

#[cfg(any(feature = "ureq", feature = "hyper"))]
#[path = "../transports/proxy.rs"]
mod transport_proxy;

#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
#[path = "../transports/ureq.rs"]
pub mod ureq;

#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
#[path = "../transports/hyper.rs"]
pub mod hyper;

#[cfg(feature = "fetch")]
#[cfg_attr(docsrs, doc(cfg(feature = "fetch")))]
#[path = "../transports/fetch.rs"]
pub mod fetch;

#[cfg(feature = "wasi")]
#[cfg_attr(docsrs, doc(cfg(feature = "wasi")))]
#[path = "../transports/wasi.rs"]
pub mod wasi;
pub use transport::{AsyncHttpClient, AsyncSleep, HttpClient, NoSleep, Sleep};

/// Re-exported so users name the same `http` version as the core.
pub use http;
/// Re-exported so users name the same `time` version as the models.
pub use time;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "ureq", feature = "hyper", feature = "fake-server", feature = "fetch", feature = "wasi"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod test_fixtures {
    /// The example CA certificate of Cloudflare's OpenAPI document (a real X.509 certificate).
    pub const CA_PEM: &str = include_str!("../tests/fixtures/openapi-example-ca.pem");
    /// The example private key of Cloudflare's OpenAPI document.
    pub const KEY_PEM: &str = include_str!("../tests/fixtures/openapi-example-key.pem");
    /// A leaf certificate made with openssl (another certificate than [`CA_PEM`]).
    pub const LEAF_PEM: &str = include_str!("../tests/fixtures/leaf-p256.pem");
}
