//! The end-to-end suite against the async hyper client (scenarios in `support/`), each call
//! driven to completion on a multi-threaded Tokio runtime.
#![cfg(all(feature = "hyper", feature = "fake-server"))]

mod support;

use cloudflare_mtls::{AccountId, Association, Certificate, CertificateId, Config, List, Page, Upload};
use support::{Adapter, CallError, Knobs};

struct Hyper {
    runtime: tokio::runtime::Runtime,
    client: cloudflare_mtls::hyper::Client,
}

impl Hyper {
    fn run<F: Future>(&self, call: F) -> F::Output {
        self.runtime.block_on(call)
    }
}

impl Adapter for Hyper {
    fn build(config: Config, knobs: &Knobs) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        Self { runtime, client: support::configure!(cloudflare_mtls::hyper::Builder::new(config), knobs).build() }
    }

    fn list_all(&self, list: List) -> Vec<Result<Certificate, CallError>> {
        self.run(futures_util::StreamExt::collect(self.client.list_all(list)))
    }

    support::delegate_calls!();
}

support::e2e_suite!(Hyper);
