//! What a service does on its first day: one client, cloned into tasks and threads, each
//! walking every page; clones share one connection pool (counted at the server).
#![cfg(all(feature = "ureq", feature = "hyper", feature = "fake-server"))]

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{AccountId, Certificate, Config, Credentials, List};
use futures_util::TryStreamExt;

const TOKEN: &str = "share-token";

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}

#[test]
fn clones_in_spawned_tasks_and_threads_walk_every_page() {
    let mut api = FakeApi::new(TOKEN, account());
    for i in 0..120 {
        let cert: Certificate = serde_json::from_value(serde_json::json!({"name": format!("c{i}")})).unwrap();
        api.insert(cert).unwrap();
    }
    let server = FakeServer::start(api).unwrap();
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url());

    // Async: two spawned tasks, each with a clone, each collecting every page.
    let hyper = cloudflare_mtls::hyper::client(config.clone());
    assert_send_sync(&hyper);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let names = runtime.block_on(async {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let client = hyper.clone();
                tokio::spawn(async move {
                    let all: Vec<Certificate> = client.list_all(List::new(account())).try_collect().await?;
                    Ok::<_, cloudflare_mtls::Error<cloudflare_mtls::hyper::TransportError>>(all)
                })
            })
            .collect();
        let mut names = Vec::new();
        for task in tasks {
            let all = task.await.unwrap().unwrap();
            names.push(all.into_iter().map(|c| c.name.unwrap()).collect::<Vec<_>>());
        }
        names
    });
    let expected: Vec<String> = (0..120).map(|i| format!("c{i}")).collect();
    assert_eq!(names, [expected.clone(), expected.clone()]);

    // Blocking: a clone on another thread, collecting with Iterator::collect.
    let ureq = cloudflare_mtls::ureq::client(config);
    assert_send_sync(&ureq);
    let clone = ureq.clone();
    let pages = clone.list_all(List::new(account()).with_per_page(50));
    drop(clone); // the iterator owns what it needs
    let all: Vec<Certificate> = std::thread::spawn(move || pages.collect::<Result<_, _>>()).join().unwrap().unwrap();
    assert_eq!(all.into_iter().map(|c| c.name.unwrap()).collect::<Vec<_>>(), expected);
    // 3 pages twice over hyper, 3 pages over ureq.
    assert_eq!(server.requests_served(), 9);
}

/// Clones share the connection pool: a clone's call, after the first client's, reuses its
/// kept-alive connection (the fake counts connections accepted); a client built apart opens
/// its own.
#[test]
fn a_clone_reuses_the_pooled_connection_a_separate_client_does_not() {
    let server = FakeServer::start(FakeApi::new(TOKEN, account())).unwrap();
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url());

    let ureq = cloudflare_mtls::ureq::client(config.clone());
    ureq.list(&List::new(account())).unwrap();
    let clone = ureq.clone();
    std::thread::spawn(move || clone.list(&List::new(account())).map(drop)).join().unwrap().unwrap();
    assert_eq!(server.connections_accepted(), 1, "the ureq clone opened a connection of its own");
    cloudflare_mtls::ureq::client(config.clone()).list(&List::new(account())).unwrap();
    assert_eq!(server.connections_accepted(), 2, "a separate ureq client shared a pool");

    let hyper = cloudflare_mtls::hyper::client(config.clone());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        hyper.list(&List::new(account())).await.unwrap();
        let clone = hyper.clone();
        tokio::spawn(async move { clone.list(&List::new(account())).await.map(drop) }).await.unwrap().unwrap();
    });
    assert_eq!(server.connections_accepted(), 3, "the hyper clone opened a connection of its own");
    runtime.block_on(cloudflare_mtls::hyper::client(config).list(&List::new(account()))).unwrap();
    assert_eq!(server.connections_accepted(), 4, "a separate hyper client shared a pool");
}
