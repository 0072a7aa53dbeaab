//! The response headers the core reads, as constants: looking a header up by a `&str`
//! parses the name on every call (and links http's whole name parser into a WASM module).
//! A transport that copies a response header by header may copy just these ([`READ`]).

use http::HeaderName;

/// `Retry-After` in milliseconds (Cloudflare's SDKs read it before `Retry-After`).
pub(crate) const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
/// Whether the server says a retry is worthwhile.
pub(crate) const X_SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");
/// The API's limits left (RFC 9651 structured field).
pub(crate) const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// The API's stated budgets.
pub(crate) const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// Every header the client reads from a response, with the body's framing headers: what a
/// transport must pass on.
#[cfg(feature = "fetch")]
pub(crate) const READ: [HeaderName; 8] = [
    http::header::RETRY_AFTER,
    RETRY_AFTER_MS,
    http::header::DATE,
    X_SHOULD_RETRY,
    RATELIMIT,
    RATELIMIT_POLICY,
    http::header::CONTENT_TYPE,
    http::header::CONTENT_LENGTH,
];
