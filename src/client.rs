//! The client: the calls and `list_all`, written once over any transport. The blocking
//! and async drivers are the same four-line loop around [`Exchange`]; only `.await` differs.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::calls::{
    AssociatedHostnames, Associations, Delete, Deleted, Endpoint, Get, Hostnames, List, ReplaceHostnames, Upload,
};
use crate::config::Config;
use crate::error::{Call, Error, WaitTooLong};
use crate::exchange::{Exchange, Next};
use crate::id::{AccountId, CertificateId, ZoneId};
use crate::model::{Association, Certificate, Page, StoredCertificate};
use crate::pacing::{Pace, Pacer, Pacing, Ticket};
use crate::pager::Pager;
use crate::retry::RetryPolicy;
use crate::trace;
use crate::transport::{AsyncHttpClient, AsyncSleep, HttpClient, NoSleep, Sleep};
use crate::wait::Wait;

/// A doc example for a client method: `$body` in a program whose `client` answers every call
/// from canned API responses (certificate `2458ce5a`, named `my-ca`; in zone `zone`,
/// hostname `api.example.com`), blocking or async.
macro_rules! example {
    (blocking, $body:literal) => {
        concat!(
            "```\n",
            "# use cloudflare_mtls::*;\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "# let account = AccountId::new(\"023e105f4ecef8ad9ca31a8372d0c353\")?;\n",
            "# let id = CertificateId::new(\"2458ce5a\")?;\n",
            "# let zone = ZoneId::new(\"9a7806061c88ada191ed06f989cc3dac\")?;\n",
            "# let answer = |r: http::Request<Vec<u8>>| Ok::<_, std::io::Error>(http::Response::new(match (r.method().as_str(), r.uri().path().rsplit('/').next()) {\n",
            "#     (_, Some(\"hostname_associations\")) => r#\"{\"success\":true,\"result\":{\"hostnames\":[\"api.example.com\"]}}\"#,\n",
            "#     (_, Some(\"associations\")) => r#\"{\"success\":true,\"result\":[{\"service\":\"gateway\",\"status\":\"active\"}]}\"#,\n",
            "#     (\"GET\", Some(\"mtls_certificates\")) => r#\"{\"success\":true,\"result\":[{\"id\":\"2458ce5a\",\"name\":\"my-ca\"}],\"result_info\":{\"page\":1,\"per_page\":50,\"count\":1,\"total_count\":1}}\"#,\n",
            "#     _ => r#\"{\"success\":true,\"result\":{\"id\":\"2458ce5a\",\"name\":\"my-ca\"}}\"#,\n",
            "# }.as_bytes().to_vec()));\n",
            "# let client = BlockingClient::new(Config::new(Credentials::api_token(\"t\")?), answer);\n",
            "# let pem = include_str!(\"../tests/fixtures/ca-p256.pem\");\n",
            $body,
            "\n# Ok(())\n# }\n```"
        )
    };
    (awaiting, $body:literal) => {
        concat!(
            "```\n",
            "# use cloudflare_mtls::*;\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> { futures_executor::block_on(async {\n",
            "# let account = AccountId::new(\"023e105f4ecef8ad9ca31a8372d0c353\")?;\n",
            "# let id = CertificateId::new(\"2458ce5a\")?;\n",
            "# let zone = ZoneId::new(\"9a7806061c88ada191ed06f989cc3dac\")?;\n",
            "# let answer = |r: http::Request<Vec<u8>>| std::future::ready(Ok::<_, std::io::Error>(http::Response::new(match (r.method().as_str(), r.uri().path().rsplit('/').next()) {\n",
            "#     (_, Some(\"hostname_associations\")) => r#\"{\"success\":true,\"result\":{\"hostnames\":[\"api.example.com\"]}}\"#,\n",
            "#     (_, Some(\"associations\")) => r#\"{\"success\":true,\"result\":[{\"service\":\"gateway\",\"status\":\"active\"}]}\"#,\n",
            "#     (\"GET\", Some(\"mtls_certificates\")) => r#\"{\"success\":true,\"result\":[{\"id\":\"2458ce5a\",\"name\":\"my-ca\"}],\"result_info\":{\"page\":1,\"per_page\":50,\"count\":1,\"total_count\":1}}\"#,\n",
            "#     _ => r#\"{\"success\":true,\"result\":{\"id\":\"2458ce5a\",\"name\":\"my-ca\"}}\"#,\n",
            "# }.as_bytes().to_vec())));\n",
            "# let client = AsyncClient::new(Config::new(Credentials::api_token(\"t\")?), answer);\n",
            "# let pem = include_str!(\"../tests/fixtures/ca-p256.pem\");\n",
            $body,
            "\n# Ok::<(), Box<dyn std::error::Error>>(())\n# }) }\n```"
        )
    };
}

pub(crate) use example;

/// Marks a [`Client`] whose calls block.
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

/// Marks a [`Client`] whose calls are `async`; see [`AsyncClient`].
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// A client for the mTLS certificate API over transport `T`, waiting between retries with
/// `S`. `M` is [`Blocking`] or [`Async`]: name it as [`BlockingClient`] or [`AsyncClient`],
/// and switch between them by changing that type (and awaiting).
///
/// The transports in this crate hand out ready clients (`cloudflare_mtls::ureq::client`,
/// `cloudflare_mtls::hyper::client`); build one yourself over any [`HttpClient`] or
/// [`AsyncHttpClient`], closures included. Without [`with_sleep`](Self::with_sleep) a client
/// cannot wait, so it does not retry.
///
/// Cloning is cheap: clones share the transport (its connection pool), the configuration,
/// the retry policy, the jitter counter and the [rate-limit pacer](crate::pacing), each
/// behind an [`Arc`]. A client is `Send` and `Sync` when its transport and sleep are, so one
/// can serve every task of a service, and all of them stay within one rate limit.
///
/// A client with a sleep and a clock paces its calls ([`with_pacing`](Self::with_pacing)):
/// it waits rather than cross the API's rate limit (1,200 calls per 5 minutes, then 5
/// minutes of 429s).
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::{BlockingClient, Config, Credentials, Pacing, RetryPolicy};
///
/// let transport = |_: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, std::io::Error> {
///     Err(std::io::Error::other("no network in this example"))
/// };
/// let client = BlockingClient::new(Config::new(Credentials::api_token("my-token")?), transport)
///     .with_sleep(std::thread::sleep) // without a sleep, a client cannot wait, so it never retries
///     .with_retry(RetryPolicy::default().with_max_retries(4))
///     .with_seed(7) // jitter; the bundled transports draw a random seed
///     .with_clock(|| Duration::ZERO) // the time, for pacing and traces; the bundled transports read a monotonic clock
///     .with_pacing(Pacing::off()); // no rate-limit pacing (on by default: 1,200 calls per 300 s)
/// let shared = client.clone(); // cheap: the same transport, settings and counters
/// assert_eq!(shared.retry_policy().max_retries, 4);
/// assert_eq!(shared.config().base_url().as_str(), "https://api.cloudflare.com/client/v4");
/// let _transport = shared.transport();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Client<T, S = NoSleep, M = Blocking> {
    transport: Arc<T>,
    sleep: Arc<S>,
    settings: Arc<Settings>,
    pacer: Arc<Mutex<Pacer>>,
    mode: PhantomData<fn() -> M>,
}

/// What a client is told of each wait before it is made.
type OnWait = Arc<dyn Fn(&Wait) + Send + Sync>;

/// What a client's calls read: set while the client is built, shared by its clones.
struct Settings {
    config: Config,
    retry: RetryPolicy,
    seed: u64,
    /// Mixed into the seed, so each call draws its own jitter.
    calls: AtomicU64,
    /// Monotonic time from any origin, if the client was given a clock.
    clock: Option<fn() -> Duration>,
    pacing: Pacing,
    on_wait: Option<OnWait>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("pacing", &self.pacing)
            .field("on_wait", &self.on_wait.is_some())
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// A copy to change (a setter called after the client was cloned changes this client only).
    fn edit(&self, change: impl FnOnce(&mut Self)) -> Arc<Self> {
        let mut copy = Self {
            config: self.config.clone(),
            retry: self.retry.clone(),
            seed: self.seed,
            calls: AtomicU64::new(self.calls.load(Ordering::Relaxed)),
            clock: self.clock,
            pacing: self.pacing,
            on_wait: self.on_wait.clone(),
        };
        change(&mut copy);
        Arc::new(copy)
    }
}

impl<T, S, M> Clone for Client<T, S, M> {
    fn clone(&self) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            sleep: Arc::clone(&self.sleep),
            settings: Arc::clone(&self.settings),
            pacer: Arc::clone(&self.pacer),
            mode: PhantomData,
        }
    }
}

impl<T: std::fmt::Debug, S, M> std::fmt::Debug for Client<T, S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("config", &self.settings.config)
            .field("retry", &self.settings.retry)
            .field("pacing", &self.settings.pacing)
            .finish_non_exhaustive()
    }
}

/// A [`Client`] whose methods block.
pub type BlockingClient<T, S = NoSleep> = Client<T, S, Blocking>;

/// A [`Client`] whose methods are `async`: the same methods, the same errors.
pub type AsyncClient<T, S = NoSleep> = Client<T, S, Async>;

impl<T> Client<T, NoSleep, Blocking> {
    /// A blocking client over `transport`.
    ///
    /// ```
    /// use cloudflare_mtls::{BlockingClient, Config, Credentials};
    /// let transport = |_: http::Request<Vec<u8>>| Ok::<_, std::io::Error>(http::Response::new(Vec::<u8>::new()));
    /// let client = BlockingClient::new(Config::new(Credentials::api_token("my-token")?), transport);
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config, transport: T) -> Self {
        Self::with_mode(config, transport)
    }
}

impl<T> Client<T, NoSleep, Async> {
    /// An async client over `transport`.
    ///
    /// ```
    /// use cloudflare_mtls::{AsyncClient, Config, Credentials};
    /// let transport = |_: http::Request<Vec<u8>>| async { Ok::<_, std::io::Error>(http::Response::new(Vec::<u8>::new())) };
    /// let client = AsyncClient::new(Config::new(Credentials::api_token("my-token")?), transport);
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config, transport: T) -> Self {
        Self::with_mode(config, transport)
    }
}

impl<T, M> Client<T, NoSleep, M> {
    fn with_mode(config: Config, transport: T) -> Self {
        let pacing = Pacing::default();
        let settings = Settings {
            config,
            retry: RetryPolicy::default(),
            seed: 0,
            calls: AtomicU64::new(0),
            clock: None,
            pacing,
            on_wait: None,
        };
        Self {
            transport: Arc::new(transport),
            sleep: Arc::new(NoSleep),
            settings: Arc::new(settings),
            pacer: Arc::new(Mutex::new(Pacer::new(&pacing))),
            mode: PhantomData,
        }
    }
}

impl<T, S, M> Client<T, S, M> {
    /// Waits between retries with `sleep` (`std::thread::sleep`, `tokio::time::sleep`, a
    /// test's recorder...).
    ///
    #[doc = example!(blocking, "let client = client.with_sleep(std::thread::sleep);")]
    pub fn with_sleep<S2>(self, sleep: S2) -> Client<T, S2, M> {
        Client {
            transport: self.transport,
            sleep: Arc::new(sleep),
            settings: self.settings,
            pacer: self.pacer,
            mode: PhantomData,
        }
    }

    /// Retries by `policy` instead of the default.
    ///
    #[doc = example!(blocking, "let client = client.with_retry(RetryPolicy::default().with_max_retries(5));\nassert_eq!(client.retry_policy().max_retries, 5);")]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.settings = self.settings.edit(|s| s.retry = policy);
        self
    }

    /// Draws retry jitter from `seed`. Give each process its own (the bundled transports
    /// do), so that clients that fail together do not retry together.
    ///
    #[doc = example!(blocking, "let client = client.with_seed(std::process::id().into());")]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.settings = self.settings.edit(|s| s.seed = seed);
        self
    }

    /// Reads the time with `now` (monotonic, from any origin), for pacing and to time
    /// attempts in traces. The core has no clock of its own; the bundled transports set one.
    /// Without a clock (or a sleep), a client does not pace its calls.
    ///
    #[doc = example!(blocking, "fn uptime() -> std::time::Duration {\n    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();\n    START.get_or_init(std::time::Instant::now).elapsed()\n}\nlet client = client.with_clock(uptime);")]
    pub fn with_clock(mut self, now: fn() -> Duration) -> Self {
        self.settings = self.settings.edit(|s| s.clock = Some(now));
        self
    }

    /// Paces calls by `pacing` instead of the default (within 1,200 calls per 300 s and what
    /// the server's `Ratelimit` fields say; see [`pacing`](crate::pacing)). This client gets
    /// a new pacer, which its later clones share.
    ///
    #[doc = example!(blocking, "use cloudflare_mtls::pacing::Budget;\nlet budget = Budget::new(600, std::time::Duration::from_secs(300))?; // half: leave room for other tools\nlet client = client.with_pacing(Pacing::within(budget));\nassert_eq!(client.pacing().budget(), Some(budget));\nlet unpaced = client.with_pacing(Pacing::off());\n# let _ = unpaced;")]
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.settings = self.settings.edit(|s| s.pacing = pacing);
        self.pacer = Arc::new(Mutex::new(Pacer::new(&pacing)));
        self
    }

    /// Calls `notice` with every wait before it is made: the pacer's (with the rate limit's
    /// reason) and the retries' backoff. A program that may go quiet for seconds can say why
    /// (`cf-mtls` prints each wait over a second on stderr). It runs on the calling thread
    /// or task, and should return quickly.
    ///
    #[doc = example!(blocking, "let client = client.on_wait(|wait: &Wait| eprintln!(\"{wait}\"));")]
    pub fn on_wait(mut self, notice: impl Fn(&Wait) + Send + Sync + 'static) -> Self {
        self.settings = self.settings.edit(|s| s.on_wait = Some(Arc::new(notice)));
        self
    }

    /// How calls are paced.
    ///
    #[doc = example!(blocking, "assert_eq!(client.pacing(), Pacing::default());")]
    pub fn pacing(&self) -> Pacing {
        self.settings.pacing
    }

    /// The configuration.
    ///
    #[doc = example!(blocking, "assert_eq!(client.config().base_url().as_str(), \"https://api.cloudflare.com/client/v4\");")]
    pub fn config(&self) -> &Config {
        &self.settings.config
    }

    /// The retry policy.
    ///
    #[doc = example!(blocking, "assert_eq!(client.retry_policy().max_retries, 2);")]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// The transport.
    ///
    #[doc = example!(blocking, "let transport = client.transport();\n# let _ = transport;")]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    fn now(&self) -> Option<Duration> {
        self.settings.clock.map(|now| now())
    }

    fn since(&self, started: Option<Duration>) -> Option<Duration> {
        Some(self.now()?.saturating_sub(started?))
    }

    /// A slot to send a request in; or the wait for one (announced), or the error of a wait
    /// too long to make. Without a clock or a way to wait, calls are not paced.
    /// `sent`: how many times the call was sent already (the error says so).
    fn pace<TE>(&self, call: Call, can_sleep: bool, sent: u32) -> Result<Result<Slot<'_>, Wait>, Error<TE>> {
        let (Some(clock), true) = (self.settings.clock, can_sleep) else {
            return Ok(Ok(Slot { pacer: &self.pacer, ticket: None, clock: || Duration::ZERO }));
        };
        match self.pacer.lock().unwrap_or_else(PoisonError::into_inner).before_send(clock()) {
            Pace::Send(ticket) => Ok(Ok(Slot { pacer: &self.pacer, ticket: Some(ticket), clock })),
            Pace::Wait(wait) => {
                trace::waited(&wait, true);
                self.announce(&wait);
                Ok(Err(wait))
            }
            Pace::TooLong(wait) => {
                trace::waited(&wait, false);
                let source = WaitTooLong::new(wait, self.settings.pacing.max_wait()).after(sent);
                Err(Error::RateLimited { call, source })
            }
        }
    }

    /// Tells the `on_wait` observer of a wait about to be made (a retry's wait is traced
    /// with its attempt; the pacer's, in `pace`).
    fn announce(&self, wait: &Wait) {
        if let Some(notice) = &self.settings.on_wait {
            notice(wait);
        }
    }

    fn exchange<'a, E: Endpoint, TE>(&'a self, endpoint: &'a E, can_sleep: bool) -> Result<Exchange<'a, E>, Error<TE>> {
        static NEVER: std::sync::OnceLock<RetryPolicy> = std::sync::OnceLock::new();
        let settings = &*self.settings;
        let policy = if can_sleep { &settings.retry } else { NEVER.get_or_init(RetryPolicy::never) };
        let seed = settings.seed ^ settings.calls.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Exchange::new(endpoint, &settings.config, policy, seed)
    }
}

/// The method set, once for both modes: `$($a)*` is `async` or nothing, `$($w)*` is
/// `.await` or nothing; the examples are the mode's own.
macro_rules! methods {
    ($mode:ident [$($a:tt)*] [$($w:tt)*] $err:ty, $upload:literal, $list:literal, $get:literal, $delete:literal, $associations:literal, $hostnames:literal, $replace:literal) => {
        /// Uploads a certificate (or chain); returns it as stored. The upload is checked
        /// locally first ([`Upload::validate`]): nothing is sent if it fails.
        ///
        #[doc = example!($mode, $upload)]
        pub $($a)* fn upload(&self, upload: &Upload) -> Result<StoredCertificate, $err> {
            self.execute(upload)$($w)*
        }

        /// Lists one page of certificates; see `list_all` for every page.
        ///
        #[doc = example!($mode, $list)]
        pub $($a)* fn list(&self, list: &List) -> Result<Page<Certificate>, $err> {
            self.execute(list)$($w)*
        }

        /// Gets a certificate. An answer for another certificate is a
        /// [`ResponseError::Decode`](crate::ResponseError::Decode).
        ///
        #[doc = example!($mode, $get)]
        pub $($a)* fn get(&self, account: &AccountId, id: &CertificateId) -> Result<StoredCertificate, $err> {
            self.execute(&Get::new(account.clone(), id.clone()))$($w)*
        }

        /// Deletes a certificate; returns it as it was (or, when a retry found it already
        /// gone, its ID: see [`Deleted`]). Refused while a service uses it.
        ///
        #[doc = example!($mode, $delete)]
        pub $($a)* fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<Deleted, $err> {
            self.execute(&Delete::new(account.clone(), id.clone()))$($w)*
        }

        /// Lists the Cloudflare services that use a certificate.
        ///
        #[doc = example!($mode, $associations)]
        pub $($a)* fn associations(&self, account: &AccountId, id: &CertificateId) -> Result<Page<Association>, $err> {
            self.execute(&Associations::new(account.clone(), id.clone()))$($w)*
        }

        /// Lists the hostnames of `zone` associated with the uploaded CA `ca`, or with
        /// `None` with the zone's Cloudflare-managed CA (see [`Hostnames`]).
        ///
        #[doc = example!($mode, $hostnames)]
        pub $($a)* fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Result<AssociatedHostnames, $err> {
            let call = Hostnames { zone: zone.clone(), certificate: ca.cloned() };
            self.execute(&call)$($w)*
        }

        /// Replaces the hostnames of a zone associated with a CA (an empty list removes
        /// them all); returns the list as stored. Checked first ([`ReplaceHostnames::validate`]):
        /// nothing is sent if it fails. Safe to retry: the same list written twice is the
        /// same list.
        ///
        #[doc = example!($mode, $replace)]
        pub $($a)* fn replace_hostnames(&self, replace: &ReplaceHostnames) -> Result<AssociatedHostnames, $err> {
            self.execute(replace)$($w)*
        }
    };
}

impl<T: HttpClient, S: Sleep> Client<T, S, Blocking> {
    /// Runs any call, with retries: what the methods below do for their call.
    ///
    #[doc = example!(blocking, "let cert = client.execute(&Get::new(account, id))?;\nassert_eq!(cert.name.as_deref(), Some(\"my-ca\"));")]
    pub fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error<T::Error>> {
        let span = trace::call(endpoint);
        let _entered = span.enter();
        let mut exchange = self.exchange(endpoint, S::CAN_SLEEP)?;
        loop {
            let slot = match self.pace(E::CALL, S::CAN_SLEEP, exchange.attempts())? {
                Ok(slot) => slot,
                Err(wait) => {
                    self.sleep.sleep(wait.duration);
                    continue;
                }
            };
            let started = self.now();
            let outcome = self.transport.send(exchange.request());
            slot.answered(&outcome);
            match exchange.on_outcome(outcome, T::failure, self.since(started)) {
                Next::Done(result) => return result,
                Next::Retry(wait) => {
                    self.announce(&wait);
                    self.sleep.sleep(wait.duration);
                }
            }
        }
    }

    methods!(
        blocking [] [] Error<T::Error>,
        "let stored = client.upload(&Upload::ca(account, pem).with_name(\"my-ca\"))?;\nprintln!(\"stored as {}\", stored.id());",
        "let page = client.list(&List::new(account).with_ca(true).with_per_page(100))?;\nfor cert in &page.items {\n    println!(\"{:?} {:?}\", cert.id, cert.name);\n}",
        "let cert = client.get(&account, &id)?;\nassert_eq!(cert.name.as_deref(), Some(\"my-ca\"));",
        "match client.delete(&account, &id)? {\n    Deleted::Returned(cert) => println!(\"deleted {cert}\"),\n    other => println!(\"deleted {}\", other.id()),\n}",
        "for association in client.associations(&account, &id)?.items {\n    println!(\"used by {:?} ({:?})\", association.service, association.status);\n}",
        "let listed = client.hostnames(&zone, Some(&id))?;\nassert_eq!(listed.hostnames, [\"api.example.com\"]);",
        "let hosts = [Hostname::new(\"api.example.com\")?];\nlet stored = client.replace_hostnames(&ReplaceHostnames::new(zone, hosts).with_certificate(id))?;\nprintln!(\"{:?}\", stored.hostnames);"
    );

    /// Every certificate `list` matches, fetched a page at a time as the iterator advances.
    /// The iterator owns a clone of the client, so it can outlive this borrow (be returned,
    /// or moved to another thread).
    ///
    /// ```
    /// # use cloudflare_mtls::{AccountId, BlockingClient, Config, Credentials, List};
    /// # let page = |_: http::Request<Vec<u8>>| -> Result<http::Response<&'static [u8]>, std::io::Error> {
    /// #     Ok(http::Response::new(br#"{"success":true,"result":[{"id":"a"}],"result_info":{"page":1,"per_page":50,"count":1,"total_count":1}}"#))
    /// # };
    /// # let client = BlockingClient::new(Config::new(Credentials::api_token("t")?), page);
    /// let all: Vec<_> = client.list_all(List::new(AccountId::new("acc")?)).collect::<Result<_, _>>()?;
    /// assert_eq!(all.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_all(&self, list: List) -> Pages<T, S> {
        Pages { client: self.clone(), walk: Walk::new(list) }
    }
}

impl<T: AsyncHttpClient, S: AsyncSleep> Client<T, S, Async> {
    /// Runs any call, with retries: what the methods below do for their call.
    ///
    #[doc = example!(awaiting, "let cert = client.execute(&Get::new(account, id)).await?;\nassert_eq!(cert.name.as_deref(), Some(\"my-ca\"));")]
    pub async fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error<T::Error>> {
        trace::instrument(trace::call(endpoint), async {
            let mut exchange = self.exchange(endpoint, S::CAN_SLEEP)?;
            loop {
                let slot = match self.pace(E::CALL, S::CAN_SLEEP, exchange.attempts())? {
                    Ok(slot) => slot,
                    Err(wait) => {
                        self.sleep.sleep(wait.duration).await;
                        continue;
                    }
                };
                let started = self.now();
                let outcome = self.transport.send(exchange.request()).await;
                slot.answered(&outcome);
                match exchange.on_outcome(outcome, T::failure, self.since(started)) {
                    Next::Done(result) => return result,
                    Next::Retry(wait) => {
                        self.announce(&wait);
                        self.sleep.sleep(wait.duration).await;
                    }
                }
            }
        })
        .await
    }

    methods!(
        awaiting [async] [.await] Error<T::Error>,
        "let stored = client.upload(&Upload::ca(account, pem).with_name(\"my-ca\")).await?;\nprintln!(\"stored as {}\", stored.id());",
        "let page = client.list(&List::new(account).with_ca(true).with_per_page(100)).await?;\nfor cert in &page.items {\n    println!(\"{:?} {:?}\", cert.id, cert.name);\n}",
        "let cert = client.get(&account, &id).await?;\nassert_eq!(cert.name.as_deref(), Some(\"my-ca\"));",
        "match client.delete(&account, &id).await? {\n    Deleted::Returned(cert) => println!(\"deleted {cert}\"),\n    other => println!(\"deleted {}\", other.id()),\n}",
        "for association in client.associations(&account, &id).await?.items {\n    println!(\"used by {:?} ({:?})\", association.service, association.status);\n}",
        "let listed = client.hostnames(&zone, Some(&id)).await?;\nassert_eq!(listed.hostnames, [\"api.example.com\"]);",
        "let hosts = [Hostname::new(\"api.example.com\")?];\nlet stored = client.replace_hostnames(&ReplaceHostnames::new(zone, hosts).with_certificate(id)).await?;\nprintln!(\"{:?}\", stored.hostnames);"
    );

    /// Every certificate `list` matches, as a [`Stream`](futures_core::Stream) that fetches
    /// a page at a time. It owns a clone of the client (it borrows nothing, so it can be moved
    /// into `tokio::spawn`), and it is `Send` when the client's futures are. Use it with
    /// `futures::StreamExt` / `TryStreamExt` (or `tokio_stream::StreamExt`):
    ///
    /// ```
    /// use futures_util::TryStreamExt;
    /// # use cloudflare_mtls::{AccountId, AsyncClient, Config, Credentials, List};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// # let page = |_: http::Request<Vec<u8>>| async {
    /// #     Ok::<_, std::io::Error>(http::Response::new(&br#"{"success":true,"result":[{"id":"a"}],"result_info":{"page":1,"per_page":50,"count":1,"total_count":1}}"#[..]))
    /// # };
    /// # let client = AsyncClient::new(Config::new(Credentials::api_token("t")?), page);
    /// let all: Vec<_> = client.list_all(List::new(AccountId::new("acc")?)).try_collect().await?;
    /// # assert_eq!(all.len(), 1);
    /// # Ok(())
    /// # }
    /// # futures_executor::block_on(run()).unwrap();
    /// ```
    pub fn list_all(&self, list: List) -> impl Stream<Item = Result<Certificate, Error<T::Error>>> + Unpin + use<T, S> {
        AsyncPages {
            client: self.clone(),
            walk: Walk::new(list),
            pending: None,
            fetch: |client: Self, call: List| async move { client.list(&call).await },
        }
    }
}

/// A request's place in the pacer's count, handed back when the answer comes, or, if the
/// call is dropped mid-way (a cancelled future), when the slot is dropped.
struct Slot<'a> {
    pacer: &'a Mutex<Pacer>,
    ticket: Option<Ticket>,
    clock: fn() -> Duration,
}

impl Slot<'_> {
    fn answered<B, TE>(mut self, outcome: &Result<http::Response<B>, TE>) {
        if let Some(ticket) = self.ticket.take() {
            let answer = outcome.as_ref().ok().map(|r| (r.status(), r.headers()));
            self.pacer.lock().unwrap_or_else(PoisonError::into_inner).on_answer(ticket, (self.clock)(), answer);
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.pacer.lock().unwrap_or_else(PoisonError::into_inner).on_answer(ticket, (self.clock)(), None);
        }
    }
}

/// The state both page iterators share: the pager and the page being handed out.
#[derive(Debug)]
struct Walk {
    pager: Pager,
    buffer: std::vec::IntoIter<Certificate>,
    failed: bool,
}

impl Walk {
    fn new(list: List) -> Self {
        Self { pager: Pager::new(list), buffer: Vec::new().into_iter(), failed: false }
    }

    /// The next item in hand, or the call that fetches more (`None`: the walk is over).
    fn next_step(&mut self) -> Result<Certificate, Option<List>> {
        match self.buffer.next() {
            Some(cert) => Ok(cert),
            None if self.failed => Err(None),
            None => Err(self.pager.next_call()),
        }
    }

    /// Takes a fetched page and hands out its first item.
    fn take<TE>(&mut self, page: Result<Page<Certificate>, Error<TE>>) -> Option<Result<Certificate, Error<TE>>> {
        let result = page.and_then(|page| {
            self.pager.on_page(&page).map_err(|source| Error::Paging { call: Call::List, source })?;
            Ok(page)
        });
        match result {
            Ok(page) => {
                self.buffer = page.items.into_iter();
                self.buffer.next().map(Ok)
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The blocking `list_all` iterator: one request per page, as it advances. After an error
/// it ends.
#[derive(Debug)]
pub struct Pages<T, S> {
    client: Client<T, S, Blocking>,
    walk: Walk,
}

impl<T: HttpClient, S: Sleep> Iterator for Pages<T, S> {
    type Item = Result<Certificate, Error<T::Error>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let call = match self.walk.next_step() {
                Ok(cert) => return Some(Ok(cert)),
                Err(call) => call?,
            };
            // An empty last page yields nothing; the loop asks the pager again.
            if let Some(item) = self.walk.take(self.client.list(&call)) {
                return Some(item);
            }
        }
    }
}

/// The async `list_all` stream: items from the page in hand, and a page fetch (`fetch`
/// applied to a clone of the client) in flight when it runs out. The fetch is boxed once per
/// page, with its own type, so the stream is `Send` exactly when the fetch is.
struct AsyncPages<C, F, Fut> {
    client: C,
    walk: Walk,
    pending: Option<Pin<Box<Fut>>>,
    fetch: F,
}

impl<C, F, Fut, TE> Stream for AsyncPages<C, F, Fut>
where
    C: Clone + Unpin,
    F: Fn(C, List) -> Fut + Unpin,
    Fut: Future<Output = Result<Page<Certificate>, Error<TE>>>,
{
    type Item = Result<Certificate, Error<TE>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(fetch) = this.pending.as_mut() {
                let page = std::task::ready!(fetch.as_mut().poll(cx));
                this.pending = None;
                if let Some(item) = this.walk.take(page) {
                    return Poll::Ready(Some(item));
                }
            }
            match this.walk.next_step() {
                Ok(cert) => return Poll::Ready(Some(Ok(cert))),
                Err(None) => return Poll::Ready(None),
                Err(Some(call)) => this.pending = Some(Box::pin((this.fetch)(this.client.clone(), call))),
            }
        }
    }
}
