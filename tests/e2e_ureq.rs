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
