//! Rate-limit pacing under concurrency: clones of one client, in spawned tasks and in
//! threads, all making calls at once against a fake whose budget is smaller than the job,
//! get no 429, and take about the least time the budget allows.
#![cfg(all(feature = "ureq", feature = "hyper", feature = "fake-server"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::pacing::Budget;
use cloudflare_mtls::{AccountId, Config, Credentials, List, Pacing};

const TOKEN: &str = "pacing-token";

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

/// A fake allowing `calls` per second, and its count of 429s.
fn limited(calls: u32) -> (FakeServer, Config, Arc<AtomicU64>) {
    let mut api = FakeApi::new(TOKEN, account());
    api.rate_limit(calls, Duration::from_secs(1));
    let server = FakeServer::start(api).unwrap();
    let refused = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&refused);
    server.log_requests(move |_, _, status, _| {
        if status == http::StatusCode::TOO_MANY_REQUESTS {
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url());
    (server, config, refused)
}

#[test]
fn spawned_tasks_sharing_one_client_get_no_429() {
    let (server, config, refused) = limited(8);
    let client = cloudflare_mtls::hyper::client(config);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.list(&List::new(account())).await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    let elapsed = started.elapsed();
    assert_eq!((refused.load(Ordering::Relaxed), server.requests_served()), (0, 30));
    let least = Budget::new(8, Duration::from_secs(1)).unwrap().least_time(30);
    // The counts are the property (no 429 above); time is a lower bound, and the upper one
    // (generous for a loaded machine) only catches a pacer that waits far too long.
    assert!(elapsed >= least - Duration::from_millis(100) && elapsed < least * 10, "took {elapsed:?}");
}

#[test]
fn threads_sharing_one_client_get_no_429() {
    let (server, config, refused) = limited(6);
    let client = cloudflare_mtls::ureq::client(config);
    let started = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || (0..5).try_for_each(|_| client.list(&List::new(account())).map(|_| ())))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!((refused.load(Ordering::Relaxed), server.requests_served()), (0, 20));
    assert!(elapsed >= Duration::from_millis(2900), "took {elapsed:?}");
}

#[test]
fn clones_share_a_pacer_and_separately_built_clients_do_not() {
    let (_server, config, _) = limited(100);
    let tight = Pacing::within(Budget::new(1, Duration::from_secs(60)).unwrap());
    let a = cloudflare_mtls::hyper::Builder::new(config.clone()).with_pacing(tight).build();
    let b = cloudflare_mtls::hyper::Builder::new(config).with_pacing(tight).build();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let list = List::new(account());
        let soon = |call| tokio::time::timeout(Duration::from_secs(5), call);
        soon(a.list(&list)).await.unwrap().unwrap();
        // `b` keeps its own count: `a`'s call does not hold it.
        soon(b.list(&list)).await.unwrap().unwrap();
        // A clone of `a` shares its count, so its call waits for the minute to pass...
        let clone = a.clone();
        let waited = tokio::time::timeout(Duration::from_millis(500), clone.list(&list)).await;
        assert!(waited.is_err(), "a clone's call went through a spent budget");
        // ...unless the clone is given a pacer of its own.
        soon(clone.with_pacing(Pacing::off()).list(&list)).await.unwrap().unwrap();
    });
    assert_eq!(a.pacing(), tight);
}
