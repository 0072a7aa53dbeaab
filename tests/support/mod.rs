//! The end-to-end suite, written once: each scenario is a function over [`Adapter`], and
//! [`e2e_suite!`] turns the list into `#[test]`s for one adapter (`e2e_ureq.rs`,
//! `e2e_hyper.rs`).

pub mod raw;
pub mod scenarios;

use std::time::Duration;

use cloudflare_mtls::{
    AccountId, Association, Certificate, CertificateId, Config, Deleted, Error, List, Pacing, Page, RetryPolicy, Upload,
};

#[cfg(not(feature = "ureq"))]
pub use cloudflare_mtls::hyper::{Proxy, Roots, TransportError};
#[cfg(feature = "ureq")]
pub use cloudflare_mtls::ureq::{Proxy, Roots, TransportError};

/// A call's error; both adapters share the transport error type.
pub type CallError = Error<TransportError>;

/// The builder settings a scenario changes.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// The whole-attempt timeout (the default if `None`).
    pub timeout: Option<Duration>,
    /// The connect timeout (the default if `None`).
    pub connect_timeout: Option<Duration>,
    /// The response-size limit (the default if `None`).
    pub max_body_size: Option<u64>,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// Rate-limit pacing.
    pub pacing: Pacing,
    /// The roots to trust (the default if `None`).
    pub roots: Option<Roots>,
    /// The proxy setting (the default, the environment's, if `None`).
    pub proxy: Option<Proxy>,
}

impl Default for Knobs {
    /// Default timeouts and limit; the default retry count with short backoffs, so that
    /// scenarios that retry stay fast (a server's `Retry-After` still rules).
    fn default() -> Self {
        let retry = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(10))
            .with_max_backoff(Duration::from_millis(50));
        Self {
            timeout: None,
            connect_timeout: None,
            max_body_size: None,
            retry,
            pacing: Pacing::default(),
            roots: None,
            proxy: None,
        }
    }
}

/// A client under test, with blocking methods (the async one runs each call on its own
/// runtime).
pub trait Adapter: Sized {
    /// A client for `config` with `knobs`.
    fn build(config: Config, knobs: &Knobs) -> Self;
    /// `upload`.
    fn upload(&self, upload: &Upload) -> Result<cloudflare_mtls::StoredCertificate, CallError>;
    /// `list`.
    fn list(&self, list: &List) -> Result<Page<Certificate>, CallError>;
    /// `list_all`, collected.
    fn list_all(&self, list: List) -> Vec<Result<Certificate, CallError>>;
    /// `get`.
    fn get(&self, account: &AccountId, id: &CertificateId) -> Result<cloudflare_mtls::StoredCertificate, CallError>;
    /// `delete`.
    fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<Deleted, CallError>;
    /// `associations`.
    fn associations(&self, account: &AccountId, id: &CertificateId) -> Result<Page<Association>, CallError>;
    /// `hostnames`.
    fn hostnames(
        &self,
        zone: &cloudflare_mtls::ZoneId,
        ca: Option<&CertificateId>,
    ) -> Result<cloudflare_mtls::AssociatedHostnames, CallError>;
    /// `replace_hostnames`.
    fn replace_hostnames(
        &self,
        replace: &cloudflare_mtls::ReplaceHostnames,
    ) -> Result<cloudflare_mtls::AssociatedHostnames, CallError>;
}

/// Applies [`Knobs`] to either adapter's `Builder` (they have the same setters).
macro_rules! configure {
    ($builder:expr, $knobs:expr) => {{
        let knobs: &$crate::support::Knobs = $knobs;
        let mut builder = $builder.with_retry(knobs.retry.clone()).with_pacing(knobs.pacing);
        if let Some(timeout) = knobs.timeout {
            builder = builder.with_timeout(timeout);
        }
        if let Some(timeout) = knobs.connect_timeout {
            builder = builder.with_connect_timeout(timeout);
        }
        if let Some(bytes) = knobs.max_body_size {
            builder = builder.with_max_body_size(bytes);
        }
        if let Some(roots) = &knobs.roots {
            builder = builder.with_roots(roots.clone());
        }
        if let Some(proxy) = &knobs.proxy {
            builder = builder.with_proxy(proxy.clone());
        }
        builder
    }};
}
pub(crate) use configure;

/// The calls of [`Adapter`] for a type with a `client` field and a
/// `run(&self, output)` method that finishes a call (identity, or `block_on`).
macro_rules! delegate_calls {
    () => {
        fn upload(&self, upload: &Upload) -> Result<cloudflare_mtls::StoredCertificate, CallError> {
            self.run(self.client.upload(upload))
        }
        fn list(&self, list: &List) -> Result<Page<Certificate>, CallError> {
            self.run(self.client.list(list))
        }
        fn get(
            &self,
            account: &AccountId,
            id: &CertificateId,
        ) -> Result<cloudflare_mtls::StoredCertificate, CallError> {
            self.run(self.client.get(account, id))
        }
        fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<cloudflare_mtls::Deleted, CallError> {
            self.run(self.client.delete(account, id))
        }
        fn associations(&self, account: &AccountId, id: &CertificateId) -> Result<Page<Association>, CallError> {
            self.run(self.client.associations(account, id))
        }
        fn hostnames(
            &self,
            zone: &cloudflare_mtls::ZoneId,
            ca: Option<&CertificateId>,
        ) -> Result<cloudflare_mtls::AssociatedHostnames, CallError> {
            self.run(self.client.hostnames(zone, ca))
        }
        fn replace_hostnames(
            &self,
            replace: &cloudflare_mtls::ReplaceHostnames,
        ) -> Result<cloudflare_mtls::AssociatedHostnames, CallError> {
            self.run(self.client.replace_hostnames(replace))
        }
    };
}
pub(crate) use delegate_calls;

/// One `#[test]` per scenario, for adapter `$adapter`: those against the fake twice, over
/// plain HTTP and over HTTPS; those against a scripted socket over plain HTTP.
macro_rules! e2e_suite {
    ($adapter:ty) => {
        $crate::support::e2e_suite!(@fake $adapter;
            all_calls_and_list_all,
            connection_reuse,
            retry_after_429_is_honoured,
            pacing_keeps_under_the_rate_limit,
            timeouts_of_duration_max_are_none,
            html_502_then_success_on_get,
            upload_502_is_not_retried,
            upload_stored_then_502_should_retry_is_sent_once,
            delete_whose_answer_was_lost_is_deleted,
            hostname_associations_from_upload_to_delete,
            replace_whose_answer_was_lost_is_sent_again,
        );
        $crate::support::e2e_suite!(@raw $adapter;
            an_answer_for_another_certificate_is_refused,
            connection_refused,
            stall_past_the_timeout,
            closed_mid_body,
            body_over_the_size_limit,
            redirect_not_followed,
            request_headers_on_the_wire,
        );
    };
    (@fake $adapter:ty; $($name:ident,)*) => {
        mod http {
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::support::scenarios::$name::<$adapter, $crate::support::scenarios::Http>();
                }
            )*
        }
        mod https {
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::support::scenarios::$name::<$adapter, $crate::support::scenarios::Https>();
                }
            )*
        }
    };
    (@raw $adapter:ty; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $crate::support::scenarios::$name::<$adapter>();
            }
        )*
    };
}
pub(crate) use e2e_suite;
