//! Each message once: walking `source()` from any error kind, no level's message is already
//! part of another's, so anyhow, eyre and tracing print every piece of text once.
#![cfg(all(feature = "ureq", feature = "hyper", feature = "fake-server"))]

use std::time::Duration;

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{
    AccountId, BaseUrl, BuildError, Call, CertificateId, Config, Credentials, Error, PagerError, RetryPolicy, Upload,
};

const TOKEN: &str = "chain-token";

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

fn id() -> CertificateId {
    CertificateId::new("ffffffffffffffffffffffffffffffff").unwrap()
}

/// Every message of the chain, top first.
fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![error.to_string()];
    let mut next = error.source();
    while let Some(e) = next {
        out.push(e.to_string());
        next = e.source();
    }
    out
}

#[track_caller]
fn assert_printed_once(error: &(dyn std::error::Error + 'static)) {
    let messages = chain(error);
    for (i, a) in messages.iter().enumerate() {
        assert!(!a.is_empty(), "an empty message in {messages:?}");
        for (j, b) in messages.iter().enumerate() {
            assert!(i == j || !a.contains(b.as_str()), "level {j} repeats inside level {i}: {messages:#?}");
        }
    }
}

fn refused() -> BaseUrl {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    BaseUrl::new(format!("http://{addr}/client/v4")).unwrap()
}

fn config(base: BaseUrl) -> Config {
    Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(base)
}

#[test]
fn every_kind_prints_each_message_once() {
    let server = FakeServer::start(FakeApi::new(TOKEN, account())).unwrap();
    let ureq = cloudflare_mtls::ureq::Builder::new(config(server.base_url())).with_retry(RetryPolicy::never()).build();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let hyper =
        cloudflare_mtls::hyper::Builder::new(config(server.base_url())).with_retry(RetryPolicy::never()).build();

    let mut errors: Vec<Box<dyn std::error::Error>> = Vec::new();
    // Build.
    errors.push(Box::new(ureq.upload(&Upload::ca(account(), "not PEM")).unwrap_err()));
    // Response: API envelope, HTML, decode.
    errors.push(Box::new(ureq.get(&account(), &id()).unwrap_err()));
    server.with_api(|api| api.fail_next(Fault::Html(502)));
    errors.push(Box::new(ureq.get(&account(), &id()).unwrap_err()));
    server.with_api(|api| {
        api.fail_next(Fault::Raw(200, "application/json".into(), br#"{"success":true,"result":{"id":7}}"#.to_vec()))
    });
    errors.push(Box::new(ureq.get(&account(), &id()).unwrap_err()));
    // Paging.
    errors.push(Box::new(Error::<std::io::Error>::Paging {
        call: Call::List,
        source: PagerError::Repeated { id: "c0".into(), first: 1, page: 2 },
    }));
    // Transport, on both clients: refused, timed out.
    let gone = config(refused());
    errors.push(Box::new(
        cloudflare_mtls::ureq::Builder::new(gone.clone())
            .with_retry(RetryPolicy::never())
            .build()
            .get(&account(), &id())
            .unwrap_err(),
    ));
    let hyper_gone = cloudflare_mtls::hyper::Builder::new(gone).with_retry(RetryPolicy::never()).build();
    errors.push(Box::new(runtime.block_on(hyper_gone.get(&account(), &id())).unwrap_err()));
    server.set_latency(Duration::from_millis(500));
    let slow = config(server.base_url());
    errors.push(Box::new(
        cloudflare_mtls::ureq::Builder::new(slow.clone())
            .with_timeout(Duration::from_millis(100))
            .with_retry(RetryPolicy::never())
            .build()
            .get(&account(), &id())
            .unwrap_err(),
    ));
    let hyper_slow = cloudflare_mtls::hyper::Builder::new(slow)
        .with_timeout(Duration::from_millis(100))
        .with_retry(RetryPolicy::never())
        .build();
    errors.push(Box::new(runtime.block_on(hyper_slow.get(&account(), &id())).unwrap_err()));
    drop(hyper);
    // The core's own errors alone.
    errors.push(Box::new(BuildError::EmptyCredential { what: "API token" }));
    for error in &errors {
        assert_printed_once(error.as_ref());
        assert!(!format!("{error} {error:?}").contains(TOKEN), "{error:?}");
    }
    // The transport's detail is in the message itself.
    let refused_text = errors[5].to_string();
    assert!(
        refused_text.contains("could not connect") && refused_text.to_lowercase().contains("refused"),
        "{refused_text}"
    );
}
