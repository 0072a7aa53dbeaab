//! Part 1 of issue 5: the cost of turning each of the five calls into an `http::Request`
//! (`Endpoint::to_request`), in ns per request, with allocations per request.
//!
//! `cargo bench --bench build_requests`. Goal: under 1 µs for get, list, delete and
//! associations. Upload also checks its PEM (parses the base64), so it is reported apart.

use cloudflare_mtls::{
    AccountId, Associations, CertificateId, CertificateType, Config, Credentials, Delete, Endpoint, Get, List, Upload,
};
use divan::{Bencher, black_box};

#[path = "support/mod.rs"]
mod support;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

const CERT_ID: &str = "2458ce5a0c1b4d4e8b4a6d0e0f5c3b2a";

fn main() {
    divan::main();
}

fn config() -> Config {
    Config::new(Credentials::api_token(support::TOKEN).unwrap())
}

fn account() -> AccountId {
    AccountId::new(support::ACCOUNT).unwrap()
}

fn cert() -> CertificateId {
    CertificateId::new(CERT_ID).unwrap()
}

/// Times `to_request` alone; the call and the config are built once, outside the loop.
fn bench_call(bencher: Bencher, call: impl Endpoint) {
    let config = config();
    bencher.bench_local(|| black_box(&call).to_request(black_box(&config)).map(|r| r.headers().len()));
}

#[divan::bench]
fn get(bencher: Bencher) {
    bench_call(bencher, Get::new(account(), cert()));
}

#[divan::bench]
fn delete(bencher: Bencher) {
    bench_call(bencher, Delete::new(account(), cert()));
}

#[divan::bench]
fn associations(bencher: Bencher) {
    bench_call(bencher, Associations::new(account(), cert()));
}

#[divan::bench]
fn list(bencher: Bencher) {
    bench_call(bencher, List::new(account()));
}

/// A list with every filter: three escaped query values and two numbers.
#[divan::bench]
fn list_filtered(bencher: Bencher) {
    let list = List::new(account())
        .with_type(CertificateType::Custom)
        .with_ca(true)
        .with_name("example ca/prod")
        .with_page(3)
        .with_per_page(50);
    bench_call(bencher, list);
}

/// An upload of one real 2048-bit RSA certificate (1.4 KiB of PEM), checked then serialised.
#[divan::bench]
fn upload(bencher: Bencher) {
    let pem = support::pems().next().unwrap_or_default();
    bench_call(bencher, Upload::ca(account(), pem).with_name("example-ca"));
}

/// What a `get` costs from the client's side besides `to_request`: the `Get` value (two ID
/// clones) that `client.get(&account, &id)` makes.
#[divan::bench]
fn get_with_id_clones(bencher: Bencher) {
    let (config, account, id) = (config(), account(), cert());
    bencher.bench_local(|| {
        Get::new(black_box(&account).clone(), black_box(&id).clone()).to_request(&config).map(|r| r.headers().len())
    });
}
