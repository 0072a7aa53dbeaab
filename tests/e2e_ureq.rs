//! The end-to-end suite against the blocking ureq client (scenarios in `support/`).
#![cfg(all(feature = "ureq", feature = "fake-server"))]

mod support;

use cloudflare_mtls::{AccountId, Association, Certificate, CertificateId, Config, List, Page, Upload};
use support::{Adapter, CallError, Knobs};

struct Ureq {
    client: cloudflare_mtls::ureq::Client,
}

impl Ureq {
    fn run<T>(&self, output: T) -> T {
        output
    }
}

impl Adapter for Ureq {
    fn build(config: Config, knobs: &Knobs) -> Self {
        Self { client: support::configure!(cloudflare_mtls::ureq::Builder::new(config), knobs).build() }
    }

    fn list_all(&self, list: List) -> Vec<Result<Certificate, CallError>> {
        self.client.list_all(list).collect()
    }

    support::delegate_calls!();
}

support::e2e_suite!(Ureq);

/// A timeout of `Duration::MAX` is no timeout, not an overflow inside ureq.
#[test]
fn a_timeout_of_duration_max_is_none() {
    use cloudflare_mtls::fake::FakeApi;
    use cloudflare_mtls::fake_server::FakeServer;
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let server = FakeServer::start(FakeApi::new("t", account.clone())).unwrap();
    let config = Config::new(cloudflare_mtls::Credentials::api_token("t").unwrap()).with_base_url(server.base_url());
    let max = std::time::Duration::MAX;
    let client = cloudflare_mtls::ureq::Builder::new(config).with_timeout(max).with_connect_timeout(max).build();
    assert!(client.list(&List::new(account)).unwrap().items.is_empty());
}
