//! A behavioural fake of the mTLS API, Sans-IO: give it an `http::Request` and the current
//! time, get back the `http::Response` Cloudflare would give. State lives in memory.
//!
//! ```
//! use cloudflare_mtls::fake::FakeApi;
//! use cloudflare_mtls::{AccountId, BaseUrl, Config, Credentials, Endpoint, List, Upload};
//!
//! let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let mut api = FakeApi::new("my-token", account.clone());
//! let config = Config::new(Credentials::api_token("my-token")?);
//! let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
//!
//! let pem = include_str!("../../tests/fixtures/openapi-example-ca.pem");
//! let upload = Upload::ca(account.clone(), pem).with_name("example_ca_cert");
//! let response = api.handle(&upload.to_request(&config)?, now);
//! let cert = upload.parse_response(&response)?;
//! assert_eq!(cert.issuer.as_deref(), Some("O=Example Inc.,L=California,ST=San Francisco,C=US"));
//! assert_eq!(cert.serial_number.as_deref(), Some("235217144297995885180570755458463043449861756659"));
//!
//! let list = List::new(account);
//! let page = list.parse_response(&api.handle(&list.to_request(&config)?, now))?;
//! assert_eq!(page.items.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! Routes live under `/client/v4/accounts/{account_id}/mtls_certificates`, and the
//! hostname associations under `/client/v4/zones/{zone_id}/certificate_authorities/hostname_associations`
//! (see [Zones and hostnames](#zones-and-hostnames)). Checks run in this order: a scripted
//! [`Fault`], the [rate limit](FakeApi::rate_limit), the route, the credentials, the
//! account (or zone), then the call. Codes marked *fake* are this fake's choice where
//! Cloudflare documents none (see `API-NOTES.md`); all others are the API's own.
//!
//! | situation | status | code | message |
//! |---|---|---|---|
//! | a path outside the routes (and `/memberships`) | 400 | 7000 | `No route for that URI` |
//! | a known path with another method | 405 | 7001 | `Method not allowed for this route` (with an `Allow` header) |
//! | an account, zone or certificate ID that is no identifier (e.g. `%2F`) | 400 | 7003 | `Could not route to …, perhaps your object identifier is invalid?` |
//! | no credential headers | 400 | 9106 | `Missing X-Auth-Key, X-Auth-Email or Authorization headers` |
//! | `Authorization` not `Bearer <token>` | 400 | 6003 ⊃ 6111 | `Invalid request headers` ⊃ `Invalid format for Authorization header` |
//! | `X-Auth-Email` / `X-Auth-Key` malformed or one missing | 400 | 6003 ⊃ 6102 / 6103 | `Invalid format for X-Auth-Email header` / `… X-Auth-Key header` |
//! | a well-formed but wrong token; a user service key | 403 | 10000 | `Authentication error` |
//! | a well-formed but wrong key or email | 403 | 9103 | `Unknown X-Auth-Key or X-Auth-Email` |
//! | an account the credentials do not own | 403 | 9109 | `Unauthorized to access requested resource` |
//! | upload body not JSON (any content type is read as JSON) | 400 | 6007 | `Malformed JSON in request body` |
//! | upload field missing or of the wrong type; bad list parameter | 400 | 1001 *fake* | `…: field 'ca' is required` (with `source.pointer`) |
//! | `certificates` not X.509: garbage, a key, a truncated block, a CSR | 400 | 1002 *fake* | `unable to parse certificate: …` |
//! | `private_key` not one PEM private key | 400 | 1003 *fake* | `unable to parse private key: …` |
//! | a name already in use | 400 | 1004 *fake* | `a certificate named "…" already exists` |
//! | an upload of a CA (`ca: true`) when the account holds [five](FakeApi::with_ca_limit) | 400 | 1489 | `Hit maximum CA cert allocation.` |
//! | get, delete or associations of an unknown ID | 404 | 1404 *fake* | `mTLS certificate not found` |
//! | delete while the certificate has associations | 400 | 1005 *fake* | `certificate is in use by …; remove the associations first` |
//! | delete while the CA has hostnames in a zone | 400 | 1006 *fake* | `certificate has hostname associations in zone …; remove them first …` |
//! | hostnames of a zone the account does not have | 400 | 7003 *fake* | `Could not route to …, perhaps your object identifier is invalid?` |
//! | hostnames with an `mtls_certificate_id` that is no certificate of the account | 404 | 1404 *fake* | `mTLS certificate not found` |
//! | … with the ID of a leaf certificate | 400 | 1007 *fake* | `mTLS certificate … is not a CA certificate; …` (`source.pointer` `/mtls_certificate_id`) |
//! | a PUT body not JSON | 400 | 6007 | `Malformed JSON in request body` |
//! | a PUT field of the wrong type | 400 | 1001 *fake* | `invalid request body: …` (with `source.pointer`) |
//! | a hostname that is no hostname (the crate's [`Hostname`](crate::Hostname) rules) | 400 | 1008 *fake* | `invalid hostname "…": …` (`source.pointer` `/hostnames/N`) |
//! | a hostname outside the zone | 400 | 1009 *fake* | `hostname "…" is not in zone example.com` |
//! | the same hostname twice (case-insensitively) | 400 | 1010 *fake* | `hostname "…" is given twice …` |
//! | more than N calls in the rate-limit window | 429 | 971 | `Please wait and consider throttling your request speed` (+ `Retry-After`) |
//! | [`Fault::Html`] | any | — | Cloudflare's HTML error page, `text/html` |
//!
//! Beyond the five routes, `GET /client/v4/memberships` (authenticated) lists the one
//! account, as `wrangler` asks it first when `CLOUDFLARE_ACCOUNT_ID` is not set.
//!
//! A failed call changes nothing. An upload stores the chain re-encoded (LF, 64 columns)
//! and describes it by its first certificate: `issuer` as Go prints a `pkix.Name`, the
//! decimal `serial_number`, the `signature` algorithm as Go names it (`SHA256WithRSA`,
//! `ECDSAWithSHA256`, `Ed25519`...), `expires_on` from `notAfter`, `type` `custom`, and
//! `uploaded_on` (plus `updated_at` in the upload's own response) from the `now` passed in
//! (in UTC, cut to whole microseconds as the API's timestamps are).
//! An expired certificate is accepted, as a CA that still signs old leaves may be. IDs
//! are lowercase version-4 UUIDs (`b2134436-2555-4acf-be5b-26c48136575e`), as the live API's
//! are, derived from a counter and the content: deterministic, and never reused, even after a
//! delete. Any identifier is taken in a path, UUID or not.
//!
//! Lists come in upload order. Filters: `type` (comma-separated or repeated), `ca`
//! (`true`/`false`), `name` (exact); pages: `page` (from 1) and `per_page` (default 50, at
//! most 1000), with `result_info` `page`, `per_page`, `count`, `total_count`, `total_pages`.
//!
//! # Zones and hostnames
//!
//! The account has the zones given with [`FakeApi::with_zone`] (`cf-mtls serve-fake --zone
//! ID=NAME`), none by default. Each zone keeps a list of hostnames per CA of the account,
//! and one for its Cloudflare-managed CA (a call without `mtls_certificate_id`; the managed
//! CA needs no upload). What the API documents: a PUT replaces the whole list of its (zone,
//! CA) pair (`[]` empties it) and answers `{"hostnames": [...]}` as a GET does; a hostname
//! may be associated with several CAs; a CA with hostnames in any zone cannot be deleted.
//! What this fake decides where the API says nothing:
//!
//! - a hostname must be the zone's name or a name under it (`*.` wildcards included),
//!   compared case-insensitively; it is stored and listed as written, in the order given;
//! - the names are checked with the crate's own [`Hostname`](crate::Hostname) rules (no
//!   trailing dot, no Unicode, no IP address) and the same name twice is refused, not merged;
//! - a PUT without `hostnames` (or with `null`) empties the list; `mtls_certificate_id`
//!   may be in the body or, as Cloudflare's SDKs send a GET's, in the query (a PUT reads the
//!   body's only);
//! - the CA limit counts every certificate with `ca: true`, whatever its type; a
//!   [`FakeApi::insert`] bypasses it;
//! - the error codes marked *fake* in the table above.

mod auth;
mod reply;
mod routes;
mod x509;
mod zones;

use std::collections::VecDeque;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use time::OffsetDateTime;

use crate::hostname::HostnameError;
use crate::id::{AccountId, CertificateId, ZoneId};
use crate::model::{Association, Certificate, CertificateType};

/// The fake API: one account, the credentials that may use it, and its certificates.
///
/// Every knob, Sans-IO (the [server](crate::fake_server) has the same through `with_api`):
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::fake::{FakeApi, Fault};
/// use cloudflare_mtls::{AccountId, Association, Certificate, Config, Credentials, Endpoint, List};
///
/// let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let mut api = FakeApi::new("my-token", account.clone()).with_global_key("me@example.com", "global-key");
/// let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
///
/// // Seed a certificate (any fields, any type), and a service that uses it.
/// let id = api.insert(Certificate::default()).expect("an ID");
/// assert!(api.attach(&id, Association::new("gateway", "active")));
/// assert_eq!(api.associations(&id).map(<[_]>::len), Some(1));
/// assert!(api.detach(&id, "gateway"));
///
/// // Scripted faults, answered in order to the next calls.
/// api.fail_next(Fault::Html(502));
/// api.fail_next(Fault::Api(400, 1000, "scripted".into()));
/// api.fail_next(Fault::AfterCall(Box::new(Fault::Disconnect))); // carried out, answer lost
/// assert_eq!(api.pending_faults(), 3);
///
/// // A rate limit: 429 with Retry-After past 100 calls a minute.
/// api.rate_limit(100, Duration::from_secs(60));
/// api.clear_rate_limit();
///
/// let list = List::new(account);
/// let request = list.to_request(&Config::new(Credentials::api_token("my-token")?))?;
/// assert_eq!(api.handle(&request, now).status(), 502);
/// assert_eq!(api.requests_handled(), 1);
/// assert_eq!(api.certificates().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FakeApi {
    account: AccountId,
    accepted: auth::Accepted,
    store: Vec<Stored>,
    /// Certificates ever stored: feeds the IDs, so none is reused.
    issued: u64,
    faults: VecDeque<Fault>,
    rate: Option<RateLimit>,
    handled: u64,
    zones: Vec<zones::Zone>,
    /// The most CA certificates the account holds (five, as Cloudflare documents).
    ca_limit: usize,
}

/// The CAs an account holds, as Cloudflare documents for mTLS (a quota API Shield, Workers
/// mTLS and Gateway share).
pub const DEFAULT_CA_LIMIT: usize = 5;

#[derive(Debug, Clone)]
struct Stored {
    certificate: Certificate,
    associations: Vec<Association>,
}

#[derive(Debug, Clone)]
struct RateLimit {
    max_calls: u32,
    window: Duration,
    /// Start of the current window and calls counted in it.
    current: Option<(OffsetDateTime, u32)>,
}

impl RateLimit {
    /// When a window started at `start` ends; `None`: past any date (a window of
    /// `Duration::MAX`, say), so it never does.
    fn end(&self, start: OffsetDateTime) -> Option<OffsetDateTime> {
        start.checked_add(time::Duration::try_from(self.window).ok()?)
    }

    /// Whether the window started at `start` is still open at `now`.
    fn open(&self, start: OffsetDateTime, now: OffsetDateTime) -> bool {
        self.end(start).is_none_or(|end| now < end)
    }

    /// Whole seconds (rounded up) from `now` until the window started at `start` ends.
    fn seconds_left(&self, start: OffsetDateTime, now: OffsetDateTime) -> u64 {
        match self.end(start) {
            Some(end) => {
                let left = end - now;
                let whole = u64::try_from(left.whole_seconds()).unwrap_or(0);
                whole.saturating_add(u64::from(left.subsec_nanoseconds() > 0))
            }
            None => u64::MAX,
        }
    }
}

/// A scripted failure for the next call, whatever it is. The call is not processed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Cloudflare's HTML error page with this status (e.g. 502), as the edge serves it.
    Html(u16),
    /// The API's error envelope with this status, code and message.
    Api(u16, i64, String),
    /// Any body, with this status and `Content-Type`.
    Raw(u16, String, Vec<u8>),
    /// No response at all: the [server](crate::fake_server) closes the connection. Through
    /// [`FakeApi::handle`] this is a bodiless `502` carrying the [`Disconnect`] extension.
    Disconnect,
    /// The call is carried out (its effect on the state included), and then answered with
    /// this fault instead: an answer lost on the way back, e.g.
    /// `Fault::AfterCall(Box::new(Fault::Disconnect))`.
    AfterCall(Box<Fault>),
    /// This fault's answer with one more header (e.g. `x-should-retry: true`).
    WithHeader(Box<Fault>, String, String),
}

/// Marks a response that a server should not send: it should close the connection instead.
/// Found in `response.extensions()` after a [`Fault::Disconnect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect;

impl FakeApi {
    /// A fake of `account` that accepts `Authorization: Bearer <token>`.
    pub fn new(token: &str, account: AccountId) -> Self {
        Self {
            account,
            accepted: auth::Accepted { token: token.to_string(), global_key: None },
            store: Vec::new(),
            issued: 0,
            faults: VecDeque::new(),
            rate: None,
            handled: 0,
            zones: Vec::new(),
            ca_limit: DEFAULT_CA_LIMIT,
        }
    }

    /// Also accepts the global API key `key` with `X-Auth-Email: <email>`.
    pub fn with_global_key(mut self, email: &str, key: &str) -> Self {
        self.accepted.global_key = Some((email.to_string(), key.to_string()));
        self
    }

    /// The account this fake serves.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// Credentials this fake accepts (its API token), for a test's client.
    pub fn credentials(&self) -> Result<crate::Credentials, crate::BuildError> {
        crate::Credentials::api_token(&self.accepted.token)
    }

    /// Adds zone `zone`, named `name` (e.g. `example.com`), to the account: its hostnames
    /// can then be associated with the account's CAs. Refused if `name` is not a hostname
    /// (or is a wildcard).
    ///
    /// ```
    /// use cloudflare_mtls::fake::FakeApi;
    /// use cloudflare_mtls::{AccountId, ZoneId};
    ///
    /// let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac")?;
    /// let api = FakeApi::new("my-token", AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?)
    ///     .with_zone(zone.clone(), "example.com")?;
    /// assert_eq!(api.hostnames(&zone, None), Some(Vec::new()));
    /// assert!(FakeApi::new("t", AccountId::new("a")?).with_zone(zone, "*.example.com").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_zone(mut self, zone: ZoneId, name: &str) -> Result<Self, HostnameError> {
        self.add_zone(zone, name)?;
        Ok(self)
    }

    /// Adds zone `zone`, named `name`, as [`with_zone`](Self::with_zone) does (for a fake
    /// already serving: `FakeServer::with_api`). A zone added again takes the new name and
    /// keeps its hostnames.
    pub fn add_zone(&mut self, zone: ZoneId, name: &str) -> Result<(), HostnameError> {
        let added = zones::Zone::new(zone, name)?;
        match self.zones.iter_mut().find(|z| z.id == added.id) {
            Some(known) => known.rename(added),
            None => self.zones.push(added),
        }
        Ok(())
    }

    /// The hostnames of `zone` associated with CA `ca` (`None`: the zone's
    /// Cloudflare-managed CA), as a GET would list them; `None` if there is no such zone.
    pub fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Option<Vec<String>> {
        let zone = self.zones.iter().find(|z| z.id == *zone)?;
        Some(zone.hostnames(ca).iter().map(ToString::to_string).collect())
    }

    /// Changes how many CA certificates the account may hold (default
    /// [`DEFAULT_CA_LIMIT`], five; `access_managed` CAs do not count, Access has a quota of
    /// its own): an upload of one more fails with code 1489. CAs held already stay.
    pub fn with_ca_limit(mut self, limit: usize) -> Self {
        self.ca_limit = limit;
        self
    }

    /// Changes the CA limit, as [`with_ca_limit`](Self::with_ca_limit) does.
    pub fn set_ca_limit(&mut self, limit: usize) {
        self.ca_limit = limit;
    }

    /// Answers `request` as the API would at `now`, updating the state.
    pub fn handle<B: AsRef<[u8]>>(&mut self, request: &Request<B>, now: OffsetDateTime) -> Response<Vec<u8>> {
        self.handled += 1;
        // UTC and whole microseconds, as the API's timestamps are.
        let now = now.to_offset(time::UtcOffset::UTC);
        let now = now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now);
        let fault = self.faults.pop_front();
        if let Some(fault) = fault.as_ref().filter(|f| !f.carries_out_the_call()) {
            return fault.response();
        }
        if let Some(mut refusal) = self.count_call(now) {
            self.rate_headers(now, &mut refusal);
            return refusal;
        }
        let answer = routes::route(self, request, now);
        let mut answer = fault.map_or(answer, |fault| fault.response());
        self.rate_headers(now, &mut answer);
        answer
    }

    /// How many requests [`handle`](Self::handle) has answered, faults and refusals included.
    pub fn requests_handled(&self) -> u64 {
        self.handled
    }

    /// Answers `429` with `Retry-After` to every call past `max_calls` in a window of
    /// `window`, measured with the `now` given to [`handle`](Self::handle): past the budget,
    /// the credentials are locked out for the rest of the window, as Cloudflare's are. A
    /// window starts at the first call after the previous one ended. Every answer then
    /// carries the API's `Ratelimit` (`"default";r=LEFT;t=RESET_SECONDS`) and
    /// `Ratelimit-Policy` (`"default";q=BUDGET;w=WINDOW_SECONDS`) fields. Replaces any
    /// earlier limit.
    pub fn rate_limit(&mut self, max_calls: u32, window: Duration) {
        self.rate = Some(RateLimit { max_calls, window, current: None });
    }

    /// Removes the rate limit.
    pub fn clear_rate_limit(&mut self) {
        self.rate = None;
    }

    /// Queues `fault` as the answer to the next call not already given a fault.
    pub fn fail_next(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Faults queued and not yet used.
    pub fn pending_faults(&self) -> usize {
        self.faults.len()
    }

    /// The stored certificates, in upload order, as a list would show them.
    pub fn certificates(&self) -> Vec<Certificate> {
        self.store.iter().map(|s| s.certificate.clone()).collect()
    }

    /// The associations of certificate `id`, or `None` if there is no such certificate.
    pub fn associations(&self, id: &CertificateId) -> Option<&[Association]> {
        self.find(id).map(|s| s.associations.as_slice())
    }

    /// Test hook: a Cloudflare service starts using certificate `id`. `false` if there is
    /// no such certificate. An association for the same service is replaced.
    pub fn attach(&mut self, id: &CertificateId, association: Association) -> bool {
        let Some(stored) = self.store.iter_mut().find(|s| s.certificate.id.as_ref() == Some(id)) else {
            return false;
        };
        stored.associations.retain(|a| a.service != association.service);
        stored.associations.push(association);
        true
    }

    /// Test hook: `service` stops using certificate `id`. `false` if nothing was attached.
    pub fn detach(&mut self, id: &CertificateId, service: &str) -> bool {
        let Some(stored) = self.store.iter_mut().find(|s| s.certificate.id.as_ref() == Some(id)) else {
            return false;
        };
        let before = stored.associations.len();
        stored.associations.retain(|a| a.service.as_deref() != Some(service));
        stored.associations.len() != before
    }

    /// Test hook: stores `certificate` as it is (e.g. a `gateway_managed` one, which no
    /// upload can make) under a fresh ID, which is returned. `type` defaults to `custom`.
    /// The CA limit does not apply (the certificate counts towards it afterwards).
    /// `None` only if no ID could be made, which does not happen.
    pub fn insert(&mut self, certificate: Certificate) -> Option<CertificateId> {
        let mut certificate = certificate;
        let seed = format!("{:?}", certificate.name);
        let id = self.fresh_id(seed.as_bytes())?;
        certificate.id = Some(id.clone());
        certificate.kind.get_or_insert(CertificateType::Custom);
        self.store.push(Stored { certificate, associations: Vec::new() });
        Some(id)
    }

    fn find(&self, id: &CertificateId) -> Option<&Stored> {
        self.store.iter().find(|s| s.certificate.id.as_ref() == Some(id))
    }

    /// A version-4 UUID, as the live API's IDs are: 58 bits of a hash of `content` mixed
    /// with the counter, then a bijection of the counter in the other 64 of the UUID's 122
    /// free bits, so no two IDs are ever the same. Deterministic: no randomness in the core.
    fn fresh_id(&mut self, content: &[u8]) -> Option<CertificateId> {
        self.issued += 1;
        let n = self.issued;
        let hash =
            content.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
        let high = u128::from(crate::retry::splitmix64(hash ^ n.rotate_left(32)) >> 6);
        let free = (high << 64) | u128::from(crate::retry::splitmix64(n));
        // 48 bits, the version (4), 12 bits, the variant (binary 10), 62 bits.
        let bits = ((free >> 74) << 80)
            | (0x4 << 76)
            | (((free >> 62) & 0xfff) << 64)
            | (0b10 << 62)
            | (free & ((1 << 62) - 1));
        let hex = format!("{bits:032x}");
        let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
        // Hex digits and hyphens always make a valid identifier.
        CertificateId::new(format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32)))
            .ok()
    }

    /// The API's `Ratelimit` and `Ratelimit-Policy` fields (IETF RateLimit headers draft) for
    /// the rate limit set: the calls left in the window and the seconds until it resets;
    /// the budget and the window.
    fn rate_headers(&self, now: OffsetDateTime, response: &mut Response<Vec<u8>>) {
        let Some(rate) = &self.rate else { return };
        let (left, reset) = match rate.current {
            Some((start, calls)) if rate.open(start, now) => {
                (rate.max_calls.saturating_sub(calls), rate.seconds_left(start, now))
            }
            _ => (rate.max_calls, rate.window.as_secs()),
        };
        let fields = [
            ("ratelimit", format!("\"default\";r={left};t={reset}")),
            ("ratelimit-policy", format!("\"default\";q={};w={}", rate.max_calls, rate.window.as_secs())),
        ];
        for (name, value) in fields {
            if let Ok(value) = http::HeaderValue::try_from(value) {
                response.headers_mut().insert(name, value);
            }
        }
    }

    /// Counts a call against the rate limit; the refusal if it is over.
    fn count_call(&mut self, now: OffsetDateTime) -> Option<Response<Vec<u8>>> {
        let rate = self.rate.as_mut()?;
        let (start, calls) = match rate.current {
            Some((start, calls)) if rate.open(start, now) => (start, calls.saturating_add(1)),
            _ => (now, 1),
        };
        rate.current = Some((start, calls));
        if calls <= rate.max_calls {
            return None;
        }
        let left = rate.seconds_left(start, now);
        let mut response =
            reply::error(StatusCode::TOO_MANY_REQUESTS, 971, "Please wait and consider throttling your request speed");
        reply::set_retry_after(&mut response, left.max(1));
        Some(response)
    }
}

impl Fault {
    /// Whether the call runs before this fault answers ([`Fault::AfterCall`], possibly
    /// inside [`Fault::WithHeader`]).
    fn carries_out_the_call(&self) -> bool {
        match self {
            Self::AfterCall(_) => true,
            Self::WithHeader(inner, ..) => inner.carries_out_the_call(),
            _ => false,
        }
    }

    fn response(&self) -> Response<Vec<u8>> {
        let status = |s: u16| StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self {
            Self::Html(s) => reply::html(status(*s)),
            Self::Api(s, code, message) => reply::error(status(*s), *code, message.clone()),
            Self::Raw(s, content_type, body) => {
                let mut response = Response::new(body.clone());
                *response.status_mut() = status(*s);
                if let Ok(v) = http::HeaderValue::try_from(content_type) {
                    response.headers_mut().insert(http::header::CONTENT_TYPE, v);
                }
                response
            }
            Self::AfterCall(inner) => inner.response(),
            Self::WithHeader(inner, name, value) => {
                let mut response = inner.response();
                if let (Ok(name), Ok(value)) =
                    (http::HeaderName::try_from(name.as_str()), http::HeaderValue::try_from(value.as_str()))
                {
                    response.headers_mut().append(name, value);
                }
                response
            }
            Self::Disconnect => {
                let mut response = Response::new(Vec::new());
                *response.status_mut() = StatusCode::BAD_GATEWAY;
                response.extensions_mut().insert(Disconnect);
                response
            }
        }
    }
}
