//! Part 4 of issue 5: `list_all` over 1,000 and 10,000 certificates, 50 per page.
//!
//! `cargo bench --bench scale --features ureq,fake-server`
//!
//! - `list_all_fake_server`: the bundled ureq client against the fake server on loopback;
//! - `list_all_in_memory`: the core alone (request building, decoding, the pager) over a
//!   closure serving pre-rendered pages, so the fake's own cost does not blur the slope;
//! - `fake_api_pages`: the fake alone answering the same page requests (Sans-IO), to show
//!   what part of the first line is the server's.
//!
//! Then (only under `cargo bench`) peak memory: for each size the bench re-runs itself as a
//! child process that walks every page with the bundled client, keeping only a count, and
//! reports its `VmHWM` (peak RSS) from `/proc/self/status`. The fake runs in the parent, so
//! its store is not counted. A control child that keeps every certificate shows the
//! measurement does see memory that grows with the list.

use std::process::Command;
use std::time::Duration;

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{AccountId, BaseUrl, BlockingClient, Config, Credentials, Endpoint, List};
use divan::Bencher;
use divan::counter::ItemsCount;

#[path = "support/mod.rs"]
mod support;

const PER_PAGE: u32 = 50;
const SIZES: [u64; 2] = [1_000, 10_000];

/// Child mode: these variables carry the fake's URL, the expected count, and what to keep.
const CHILD_URL: &str = "SCALE_BENCH_CHILD_URL";
const CHILD_KEEP: &str = "SCALE_BENCH_CHILD_KEEP";

fn main() {
    if let Ok(url) = std::env::var(CHILD_URL) {
        child(&url, std::env::var(CHILD_KEEP).is_ok());
        return;
    }
    divan::main();
    // Benchmarking for real (`cargo bench`): every size. In divan's test mode (`cargo test
    // --benches`, as CI runs it), the smallest, so the child's count is still checked.
    if std::env::args().any(|a| a == "--bench") {
        peak_memory(&SIZES);
    } else {
        peak_memory(&SIZES[..1]);
    }
}

fn account() -> AccountId {
    AccountId::new(support::ACCOUNT).unwrap()
}

fn config(base_url: BaseUrl) -> Config {
    Config::new(Credentials::api_token(support::TOKEN).unwrap()).with_base_url(base_url)
}

/// `n` realistic certificates, each with one of the real PEMs (about 2 KiB of JSON each).
fn certificates(n: u64) -> Vec<cloudflare_mtls::Certificate> {
    let fixture = support::list_envelope(n);
    List::new(AccountId::new(support::ACCOUNT).unwrap())
        .parse_response(&http::Response::new(&fixture.body[..]))
        .unwrap()
        .items
}

fn fake_api(n: u64) -> FakeApi {
    let mut api = FakeApi::new(support::TOKEN, account());
    for cert in certificates(n) {
        api.insert(cert).unwrap();
    }
    api
}

fn fake_server(n: u64) -> FakeServer {
    let server = FakeServer::start(fake_api(n)).unwrap();
    server.set_latency(Duration::ZERO);
    server
}

fn list() -> List {
    List::new(account()).with_per_page(PER_PAGE)
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn list_all_fake_server(bencher: Bencher, n: u64) {
    let server = fake_server(n);
    let client = support::unpaced_ureq(config(server.base_url()));
    bencher.counter(ItemsCount::new(n)).bench_local(|| {
        let count = client.list_all(list()).map(|cert| cert.map(drop).unwrap()).count();
        assert_eq!(count as u64, n);
    });
    eprintln!(
        "  [n={n}] connections accepted: {}, requests served: {}",
        server.connections_accepted(),
        server.requests_served()
    );
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn list_all_in_memory(bencher: Bencher, n: u64) {
    let pages: Vec<Vec<u8>> = (0..n.div_ceil(u64::from(PER_PAGE)))
        .map(|p| {
            let first = p * u64::from(PER_PAGE);
            let count = u64::from(PER_PAGE).min(n - first);
            support::list_page(first, count, p + 1, u64::from(PER_PAGE), n).body
        })
        .collect();
    let transport = |request: http::Request<Vec<u8>>| -> Result<http::Response<&[u8]>, String> {
        let page = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("page=")))
            .and_then(|p| p.parse::<usize>().ok())
            .ok_or("no page")?;
        Ok(http::Response::new(pages.get(page - 1).ok_or("past the end")?.as_slice()))
    };
    let client = BlockingClient::new(config(BaseUrl::default()), transport);
    bencher.counter(ItemsCount::new(n)).bench_local(|| {
        let count = client.list_all(list()).map(|cert| cert.map(drop).unwrap()).count();
        assert_eq!(count as u64, n);
    });
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn fake_api_pages(bencher: Bencher, n: u64) {
    let mut api = fake_api(n);
    let config = config(BaseUrl::default());
    let requests: Vec<_> = (1..=n.div_ceil(u64::from(PER_PAGE)))
        .map(|p| list().with_page(p as u32).to_request(&config).unwrap())
        .collect();
    let now = cloudflare_mtls::time::OffsetDateTime::UNIX_EPOCH;
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| requests.iter().map(|r| api.handle(r, now).body().len()).sum::<usize>());
}

/// Peak RSS in KiB, from `/proc/self/status` (Linux).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: walk every page, keeping a count (or, for the control, every certificate).
fn child(url: &str, keep: bool) {
    let client = support::unpaced_ureq(config(BaseUrl::new(url).unwrap()));
    // The first page warms up the agent, TLS provider and allocator before the baseline.
    let first = client.list(&list().with_page(1)).unwrap();
    drop(first);
    let before = vm_hwm_kib().unwrap_or(0);
    let mut kept = Vec::new();
    let mut count = 0_u64;
    for cert in client.list_all(list()) {
        let cert = cert.unwrap();
        count += 1;
        if keep {
            kept.push(cert);
        }
    }
    let after = vm_hwm_kib().unwrap_or(0);
    println!("count={count} kept={} hwm_before_kib={before} hwm_after_kib={after}", kept.len());
}

fn peak_memory(sizes: &[u64]) {
    eprintln!("\npeak RSS of a child process walking every page ({PER_PAGE} per page), VmHWM in KiB:");
    let exe = std::env::current_exe().unwrap();
    for &n in sizes {
        let server = fake_server(n);
        for keep in [false, true] {
            let mut command = Command::new(&exe);
            command.env(CHILD_URL, server.base_url().as_str());
            if keep {
                command.env(CHILD_KEEP, "1");
            }
            let output = command.output().unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            let what = if keep { "control: caller keeps every certificate" } else { "caller keeps a count" };
            eprintln!("  n={n:>6} {what:<40} {}", text.trim());
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            // The child walked every page: its count is the server's, or the peak means nothing.
            let count =
                text.split_whitespace().find_map(|w| w.strip_prefix("count=")).and_then(|c| c.parse::<u64>().ok());
            assert_eq!(count, Some(n), "the child counted {count:?} of {n}: {text}");
        }
    }
}
