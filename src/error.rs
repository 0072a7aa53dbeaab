//! The three ways a call fails, kept apart: the request could not be built, the transport
//! could not move it, or the response says no. [`ResponseError`] is itself split the same
//! way the envelope decoder classifies a response.

use std::time::Duration;

use http::StatusCode;

use crate::duration::HumanDuration;
use crate::hostname::HostnameError;
use crate::message::ApiMessage;
use crate::wait::Wait;

/// Why a value could not become a request. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An account, zone or certificate ID that is not one clean path segment.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidId {
        /// "account ID", "zone ID" or "certificate ID".
        what: &'static str,
        /// The rejected input, returned unchanged.
        value: String,
        /// What is wrong with it.
        reason: IdError,
    },
    /// A base URL that is not absolute `https://` (or `http://` on a loopback host).
    #[error("invalid base URL {value:?}: {reason}")]
    InvalidBaseUrl {
        /// The rejected input, returned unchanged.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A credential or header value that HTTP cannot carry as text: a credential is visible
    /// ASCII (letters, digits, punctuation), a user agent that and spaces. Caught when the
    /// value is given, so no transport ever sends it (or fails on it in its own words). The
    /// value itself is never shown, only what was wrong and where.
    #[error(
        "the {what} holds {found} (character {position}); {} (was something copied with it?)",
        if *what == "user agent" {
            "a user agent is visible ASCII and spaces"
        } else {
            "a credential is visible ASCII only: letters, digits and punctuation, no spaces or control characters"
        }
    )]
    InvalidHeader {
        /// Which value: "API token", "API key", "email", "user agent"...
        what: &'static str,
        /// What is wrong: "a non-ASCII character", "a space", "a control character".
        found: &'static str,
        /// Where, counted in characters from 1.
        position: usize,
    },
    /// An empty credential.
    #[error("the {what} is empty")]
    EmptyCredential {
        /// Which credential.
        what: &'static str,
    },
    /// A required environment variable is not set.
    #[error("{name} is not set ({hint})")]
    MissingVariable {
        /// The variable to set.
        name: &'static str,
        /// What else would do.
        hint: &'static str,
    },
    /// The `certificates` of an upload are not what the API takes.
    #[error("invalid certificates: {0}")]
    InvalidCertificates(String),
    /// The `certificates` of an upload hold a private key: it was not sent.
    #[error(
        "invalid certificates: PEM block {block} ({label}, line {line}) is a private key; pass the key separately as `private_key`, never inside `certificates`"
    )]
    PrivateKeyInCertificates {
        /// The block's number, from 1.
        block: usize,
        /// The block's label (`EC PRIVATE KEY`...), or "a private key" when it is malformed.
        label: &'static str,
        /// The line of its BEGIN line, from 1.
        line: usize,
    },
    /// The upload's `ca` flag disagrees with the first certificate's basicConstraints (a
    /// self-signed certificate uploaded as a leaf with its private key is not a mismatch: it
    /// is a self-signed client certificate).
    #[error(
        "{}", if *declared_ca {
            "the upload is for a CA certificate (ca: true), but the certificate's basicConstraints say it is not a CA; upload it as a leaf, or skip this check (Upload::without_ca_check)"
        } else {
            "the upload is for a leaf certificate (ca: false), but the certificate's basicConstraints say it is a CA; upload it as a CA (Upload::ca), or, if it is a self-signed client certificate, add its private key (Upload::with_private_key); or skip this check (Upload::without_ca_check)"
        }
    )]
    CaMismatch {
        /// What the upload said: `ca: true` or `ca: false`.
        declared_ca: bool,
    },
    /// The `private_key` does not belong to the (first) certificate: their public keys differ.
    #[error("the private key does not belong to the certificate (their public keys differ)")]
    KeyMismatch,
    /// The `private_key` of an upload is not a PEM private key.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    /// Root certificates given to a client are not usable (not PEM certificates, or none).
    #[error("invalid root certificates: {0}")]
    InvalidRoots(String),
    /// A proxy URL is not usable.
    #[error("invalid proxy {0}")]
    InvalidProxy(String),
    /// A list parameter out of range (e.g. `per_page` of zero).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The query parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A call built for one account was given to the handle of another.
    #[error(
        "this call is for account {call} but went to the handle of account {handle}: build it from the handle (`account.ca(pem)`, `account.leaf(pem)`, `account.list()`)"
    )]
    OtherAccount {
        /// The handle's account.
        handle: String,
        /// The account the call was built for.
        call: String,
    },
    /// A name given as a hostname that is not one (see [`Hostname`](crate::Hostname)).
    #[error(transparent)]
    InvalidHostname(#[from] HostnameError),
    /// The same hostname twice in one list (hostnames compare case-insensitively): the API's
    /// list holds each once, so which was meant is for the caller to say.
    #[error(
        "hostname {second:?} (number {position} in the list) is {first:?} again (hostnames compare case-insensitively); give each hostname once"
    )]
    DuplicateHostname {
        /// The hostname as it came first.
        first: String,
        /// The hostname as it came again.
        second: String,
        /// Where it came again, counted from 1.
        position: usize,
    },
}

/// What is wrong with an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is empty.
    #[error("it is empty")]
    Empty,
    /// A character that is not an unreserved URL character (`A-Z a-z 0-9 - _ . ~`).
    #[error("{0:?} is not allowed (only A-Z, a-z, 0-9, '-', '_', '.', '~')")]
    Character(char),
    /// `.` alone or `..` anywhere.
    #[error("'.' alone and '..' are not allowed")]
    Dots,
}

/// Why a response is not a success. Exactly one of three.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The API answered with its envelope and said no (`success: false`, or a non-2xx status).
    #[error(transparent)]
    Api(ApiError),
    /// A non-2xx response whose body is not the API's envelope (e.g. an HTML 502 page).
    #[error(transparent)]
    Http(HttpError),
    /// A 2xx envelope whose `result` does not fit the model.
    #[error(transparent)]
    Decode(DecodeError),
}

/// The API's own error: every `errors` and `messages` item, the status, and `Retry-After`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status (a `200` is possible: the API sometimes says `success: false` with it).
    pub status: StatusCode,
    /// The `errors` array (`null` decodes as empty).
    pub errors: Vec<ApiMessage>,
    /// The `messages` array (`null` decodes as empty).
    pub messages: Vec<ApiMessage>,
    /// How long the server asked to wait, from `Retry-After` or `retry-after-ms`.
    pub retry_after: Option<Duration>,
}

/// A non-2xx response that is not an API envelope; its bytes are kept as they came.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// How long the server asked to wait, from `Retry-After` or `retry-after-ms`.
    pub retry_after: Option<Duration>,
}

/// A 2xx envelope whose `result` does not fit the model; says where, and keeps the bytes.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: the response does not fit the model at `{path}`: {reason}")]
#[non_exhaustive]
pub struct DecodeError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON path of the failure, e.g. `result[3].expires_on` (`.` for the whole body).
    pub path: String,
    /// What did not fit.
    pub reason: String,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// A body in `Debug` output: as text (lossy), so a test failure or a log reads as the server
/// wrote it rather than as a list of numbers.
struct Body<'b>(&'b [u8]);

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&String::from_utf8_lossy(self.0), f)
    }
}

impl std::fmt::Debug for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.status)
            .field("body", &Body(&self.body))
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl std::fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeError")
            .field("status", &self.status)
            .field("path", &self.path)
            .field("reason", &self.reason)
            .field("body", &Body(&self.body))
            .finish()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the API refused the request (HTTP {})", self.status)?;
        let mut sep = ": ";
        for e in &self.errors {
            write!(f, "{sep}{e}")?;
            sep = "; ";
        }
        if self.errors.is_empty() {
            f.write_str(": no error detail given")?;
        }
        if let Some(d) = self.retry_after {
            write!(f, " (retry after {})", HumanDuration(d))?;
        }
        Ok(())
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} with a body that is not an API response ({} bytes", self.status, self.body.len())?;
        let text = String::from_utf8_lossy(&self.body);
        let snippet: String = text.chars().take(120).map(|c| if c.is_control() { ' ' } else { c }).collect();
        if !snippet.trim().is_empty() {
            write!(f, ": {:?}", snippet.trim())?;
        }
        f.write_str(")")
    }
}

impl ApiError {
    /// Every error code, nested `error_chain` codes included.
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        fn walk(items: &[ApiMessage], out: &mut Vec<i64>) {
            for m in items {
                out.push(m.code);
                walk(&m.error_chain, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.errors, &mut out);
        out.into_iter()
    }
}

/// Error codes that mean the credentials were missing, malformed, wrong or not allowed.
const AUTH_CODES: &[i64] = &[6111, 9103, 9106, 9109, 10000, 10001];
/// Cloudflare's "please wait and consider throttling your request speed".
const RATE_LIMIT_CODE: i64 = 971;

impl ResponseError {
    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status,
            Self::Http(e) => e.status,
            Self::Decode(e) => e.status,
        }
    }

    /// The body bytes, where the error kept them (HTTP and decode errors).
    pub fn body(&self) -> Option<&[u8]> {
        match self {
            Self::Api(_) => None,
            Self::Http(e) => Some(&e.body),
            Self::Decode(e) => Some(&e.body),
        }
    }

    /// The API error, if the server answered with its envelope.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The resource does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.status() == StatusCode::NOT_FOUND
    }

    /// The server is rate limiting these credentials (HTTP 429, or code 971).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == StatusCode::TOO_MANY_REQUESTS
            || self.api().is_some_and(|e| e.codes().any(|c| c == RATE_LIMIT_CODE))
    }

    /// The credentials are missing, malformed, wrong, or lack the permission (401, 403, or
    /// one of the API's authentication codes anywhere in the error chain).
    pub fn is_auth_error(&self) -> bool {
        matches!(self.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || self.api().is_some_and(|e| e.codes().any(|c| AUTH_CODES.contains(&c)))
    }

    /// How long the server asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.retry_after,
            Self::Http(e) => e.retry_after,
            Self::Decode(_) => None,
        }
    }
}

/// A wait for the rate limit longer than the client may make
/// ([`Pacing::max_wait`](crate::Pacing::max_wait)): the call was not sent (again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{wait}, longer than this client waits ({}; Pacing::with_max_wait); {}, try again in {}",
    HumanDuration(*max_wait),
    self.what_was_sent(),
    HumanDuration(wait.duration)
)]
#[non_exhaustive]
pub struct WaitTooLong {
    /// The wait the rate limit calls for, and why.
    pub wait: Wait,
    /// The longest wait the client makes.
    pub max_wait: Duration,
    /// How many times the call was sent before this wait (0: never; more: its retry was
    /// the wait too long).
    pub sent: u32,
}

impl WaitTooLong {
    /// A wait of `wait`, longer than `max_wait`, before the call was first sent.
    pub fn new(wait: Wait, max_wait: Duration) -> Self {
        Self { wait, max_wait, sent: 0 }
    }

    /// The same wait, before a retry of a call sent `sent` times already.
    pub fn after(self, sent: u32) -> Self {
        Self { sent, ..self }
    }

    /// What of the call was sent: `nothing was sent`, or `sent once, not retried`.
    pub fn what_was_sent(&self) -> String {
        match self.sent {
            0 => "nothing was sent".to_owned(),
            1 => "the call was sent once and is not retried".to_owned(),
            n => format!("the call was sent {n} times and is not retried"),
        }
    }
}

/// Why the pager stopped before the server said it was done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagerError {
    /// The server answered a different page than the one asked for.
    #[error("asked for page {asked} but the server answered page {got}")]
    WrongPage {
        /// The page requested.
        asked: u64,
        /// The page in the response's `result_info`.
        got: u64,
    },
    /// A certificate ID came twice in one listing: the server's pages repeat or overlap.
    #[error(
        "certificate {id} came on page {first} and again on page {page}: the server's pages repeat or overlap, so the listing cannot be trusted; stopping rather than returning it twice"
    )]
    Repeated {
        /// The ID of the certificate seen twice (a plain string: the ID type's own errors live
        /// here).
        id: String,
        /// The page it came on first.
        first: u64,
        /// The page it came on again.
        page: u64,
    },
    /// More pages than the limit.
    #[error("stopped after {0} pages (the pager's limit)")]
    TooManyPages(u64),
    /// The listing passed the most certificates one listing may hold
    /// ([`Pager::with_max_certificates`](crate::Pager::with_max_certificates)).
    #[error(
        "stopped: the listing passed {0} certificates, the pager's limit for one listing (a real account, with at most 5 CAs and some thousands of leaves, is far inside it); the server's pages do not end"
    )]
    TooManyCertificates(u64),
    /// The listing passed the most bytes of certificate text one listing may hold
    /// ([`Pager::with_max_bytes`](crate::Pager::with_max_bytes)).
    #[error(
        "stopped: the listing passed {0} bytes of certificate text (PEM, names, issuers), the pager's limit for one listing (a real account, with at most 5 CAs and some thousands of leaves, is far inside it); the server's pages are too large or do not end"
    )]
    TooManyBytes(u64),
}

/// Why a name did not pick out one certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ByNameError {
    /// No certificate of the account has this name.
    #[error("no certificate is named {name:?} (names are compared exactly, case included)")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// Several certificates have this name (names are unique at upload, but other tools may
    /// not have asked): use the ID of the one you mean.
    #[error("{} certificates are named {name:?}: {}; use the ID of the one you mean", ids.len(), id_list(ids))]
    Several {
        /// The name asked for.
        name: String,
        /// Their IDs, in the order the API listed them.
        ids: Vec<String>,
    },
    /// The one certificate with this name came without an ID, so it cannot be acted on.
    #[error("the API listed the certificate named {name:?} without an ID")]
    NoId {
        /// The name asked for.
        name: String,
    },
}

fn id_list(ids: &[String]) -> String {
    ids.join(", ")
}

/// Which API call an [`Error`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Call {
    /// Upload a certificate.
    Upload,
    /// List certificates.
    List,
    /// Get one certificate.
    Get,
    /// Delete a certificate.
    Delete,
    /// List a certificate's associations.
    Associations,
    /// List the hostnames associated with a CA in a zone.
    Hostnames,
    /// Replace the hostnames associated with a CA in a zone.
    ReplaceHostnames,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Upload => "upload certificate",
            Self::List => "list certificates",
            Self::Get => "get certificate",
            Self::Delete => "delete certificate",
            Self::Associations => "list certificate associations",
            Self::Hostnames => "list hostname associations",
            Self::ReplaceHostnames => "replace hostname associations",
        })
    }
}

/// The error of a [`Client`](crate::Client) or [`AsyncClient`](crate::AsyncClient) call:
/// build, transport and response errors kept apart, each naming the call.
///
/// `E` is the transport's own error type. Its message is part of this one, so
/// [`source`](std::error::Error::source) skips it and returns what it does not show: each
/// message is printed once by anyhow, eyre or tracing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The request could not be built; nothing was sent.
    Build {
        /// The call.
        call: Call,
        /// Why.
        source: BuildError,
    },
    /// The transport failed to send the request or to read the response.
    Transport {
        /// The call.
        call: Call,
        /// The transport's error.
        source: E,
    },
    /// The server answered, and the answer is an error.
    Response {
        /// The call.
        call: Call,
        /// The classified response.
        source: ResponseError,
    },
    /// Paging stopped because the server's pages could not be trusted (e.g. it repeated a page).
    Paging {
        /// The call.
        call: Call,
        /// Why paging stopped.
        source: PagerError,
    },
    /// The rate limit calls for a wait longer than the client makes: the call was not sent.
    /// [`is_rate_limited`](Self::is_rate_limited) is true and
    /// [`retry_after`](Self::retry_after) is the wait, as for a 429 whose `Retry-After` is
    /// longer than the retry policy accepts.
    RateLimited {
        /// The call.
        call: Call,
        /// The wait, and the limit it passed.
        source: WaitTooLong,
    },
    /// A call by name found no certificate with that name, or several
    /// ([`is_not_found`](Self::is_not_found) is true for none).
    ByName {
        /// The call that was to be made.
        call: Call,
        /// What the listing found.
        source: ByNameError,
    },
}

impl<E: std::fmt::Display> std::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Build { call, source } => write!(f, "{call}: {source}"),
            Self::Transport { call, source } => write!(f, "{call}: transport error: {source}"),
            Self::Response { call, source } => write!(f, "{call}: {source}"),
            Self::Paging { call, source } => write!(f, "{call}: {source}"),
            Self::RateLimited { call, source } => write!(f, "{call}: {source}"),
            Self::ByName { call, source } => write!(f, "{call}: {source}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    /// What the message does not already show: the source's own source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Build { source, .. } => source.source(),
            Self::Transport { source, .. } => source.source(),
            Self::Response { source, .. } => source.source(),
            Self::Paging { source, .. } => source.source(),
            Self::RateLimited { source, .. } => source.source(),
            Self::ByName { source, .. } => source.source(),
        }
    }
}

impl<E> Error<E> {
    /// The call that failed.
    pub fn call(&self) -> Call {
        match self {
            Self::Build { call, .. }
            | Self::Transport { call, .. }
            | Self::Response { call, .. }
            | Self::Paging { call, .. }
            | Self::RateLimited { call, .. }
            | Self::ByName { call, .. } => *call,
        }
    }

    /// The classified response, when the server answered.
    pub fn response(&self) -> Option<&ResponseError> {
        match self {
            Self::Response { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(ResponseError::status)
    }

    /// The certificate is not there: see [`ResponseError::is_not_found`], or a call by name
    /// that found none ([`ByNameError::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::ByName { source: ByNameError::NotFound { .. }, .. })
            || self.response().is_some_and(ResponseError::is_not_found)
    }

    /// The server is rate limiting these credentials ([`ResponseError::is_rate_limited`]), or
    /// the client would have had to wait longer than it may ([`Error::RateLimited`]).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. }) || self.response().is_some_and(ResponseError::is_rate_limited)
    }

    /// See [`ResponseError::is_auth_error`].
    pub fn is_auth_error(&self) -> bool {
        self.response().is_some_and(ResponseError::is_auth_error)
    }

    /// How long to wait before trying again: the server's `Retry-After`
    /// ([`ResponseError::retry_after`]), or the wait the client would not make
    /// ([`Error::RateLimited`]).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { source, .. } => Some(source.wait.duration),
            _ => self.response().and_then(ResponseError::retry_after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_absurd_wait_reads_as_one_human_number() {
        let e = ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            errors: Vec::new(),
            messages: Vec::new(),
            retry_after: Some(Duration::MAX),
        };
        let text = e.to_string();
        assert!(text.ends_with("(retry after more than 100 years)"), "{text}");
        assert!(!text.contains("18446744073709"), "{text}");
        let e = ApiError { retry_after: Some(Duration::from_secs(17)), ..e };
        assert!(e.to_string().ends_with("(retry after 17 s)"));
    }

    #[test]
    fn bodies_read_as_text_in_debug() {
        let e =
            DecodeError { status: StatusCode::OK, path: ".".into(), reason: "r".into(), body: b"{\"a\":1}".to_vec() };
        assert_eq!(format!("{e:?}"), r#"DecodeError { status: 200, path: ".", reason: "r", body: "{\"a\":1}" }"#);
        let e = HttpError { status: StatusCode::BAD_GATEWAY, body: b"<h1>\xff</h1>".to_vec(), retry_after: None };
        assert_eq!(format!("{e:?}"), "HttpError { status: 502, body: \"<h1>\u{fffd}</h1>\", retry_after: None }");
    }
}
