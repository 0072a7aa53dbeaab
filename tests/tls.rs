//! TLS on both clients against the HTTPS fake: a server certificate that does not verify
//! (unknown issuer, another name, expired) is a typed TLS error that names the host and the
//! reason, after one attempt, with no request reaching the fake; roots added in code are
//! trusted; HTTP/2 is used when the server offers it.
#![cfg(all(feature = "ureq", feature = "hyper", feature = "fake-server"))]

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use cloudflare_mtls::ureq::{Roots, TransportError};
use cloudflare_mtls::{AccountId, Config, Credentials, Error, List, RetryPolicy};

const TOKEN: &str = "tls-token-SECRET";

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

fn serve(tls: FakeTls) -> FakeServer {
    FakeServer::builder(FakeApi::new(TOKEN, account())).with_tls(tls).start().unwrap()
}

fn config(server: &FakeServer) -> Config {
    Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(server.base_url())
}

/// `list` on both clients, trusting `roots` (Mozilla's if `None`), with retries on (a TLS
/// failure must not use them).
fn list_both(server: &FakeServer, roots: Option<Roots>) -> [Result<(), Error<TransportError>>; 2] {
    let retry = RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(1));
    let mut ureq = cloudflare_mtls::ureq::Builder::new(config(server)).with_retry(retry.clone());
    let mut hyper = cloudflare_mtls::hyper::Builder::new(config(server)).with_retry(retry);
    if let Some(roots) = roots {
        ureq = ureq.with_roots(roots.clone());
        hyper = hyper.with_roots(roots);
    }
    let blocking = ureq.build().list(&List::new(account())).map(|_| ());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let hyper = hyper.build();
    let async_ = runtime.block_on(async { hyper.list(&List::new(account())).await.map(|_| ()) });
    [blocking, async_]
}

/// Both clients fail with a TLS error whose message says `reason`; nothing reached the fake,
/// and each client tried once.
fn refused(tls: FakeTls, roots: Option<Roots>, reason: &str) {
    let server = serve(tls);
    for (client, result) in ["ureq", "hyper"].into_iter().zip(list_both(&server, roots)) {
        let error = result.expect_err(client);
        let Error::Transport { source, .. } = &error else { panic!("{client}: {error:?}") };
        assert!(source.is_tls(), "{client}: {source:?}");
        let shown = error.to_string();
        let host = format!("TLS with {} failed", server.local_addr());
        assert!(shown.contains(&host) && shown.contains(reason), "{client}: {shown}");
        assert!(!shown.contains(TOKEN) && !format!("{error:?}").contains(TOKEN), "{client}");
    }
    assert_eq!(server.requests_served(), 0, "a request got through");
    assert_eq!(server.connections_accepted(), 2, "one attempt per client");
}

#[test]
fn an_unknown_issuer_is_refused() {
    refused(FakeTls::new().unwrap(), None, "not signed by a trusted root (unknown issuer)");
}

#[test]
fn another_name_is_refused() {
    let tls = FakeTls::new().unwrap();
    let roots = Roots::from_pem(tls.ca_pem()).unwrap();
    refused(tls.with_names(["api.example.com"]), Some(roots), "not valid for the name 127.0.0.1");
}

#[test]
fn an_expired_certificate_is_refused() {
    let tls = FakeTls::new().unwrap();
    let roots = Roots::from_pem(tls.ca_pem()).unwrap();
    refused(tls.expired(), Some(roots), "has expired");
}

#[test]
fn another_authority_is_refused_even_when_roots_are_added() {
    let trusted = FakeTls::new().unwrap();
    let roots = Roots::webpki().with_pem(trusted.ca_pem()).unwrap();
    refused(FakeTls::new().unwrap(), Some(roots), "unknown issuer");
}

#[test]
fn added_roots_are_trusted_and_http2_is_used_when_offered() {
    let tls = FakeTls::new().unwrap();
    let server = serve(tls.clone());
    let roots = Roots::webpki().with_pem(tls.ca_pem()).unwrap();
    for result in list_both(&server, Some(roots.clone())) {
        result.unwrap();
    }
    // ureq speaks HTTP/1.1; hyper takes the h2 the fake offers.
    assert_eq!((server.requests_served(), server.requests_over_http2()), (2, 1));

    let old = serve(tls.http1_only());
    for result in list_both(&old, Some(roots)) {
        result.unwrap();
    }
    assert_eq!((old.requests_served(), old.requests_over_http2()), (2, 0));
}

/// The variable that tells this test binary, run again by the test below, to be the child.
#[cfg(feature = "native-roots")]
const CHILD_BASE_URL: &str = "CF_MTLS_TEST_SYSTEM_ROOTS_BASE_URL";

/// `Roots::system()` reads `SSL_CERT_FILE` (through rustls-native-certs): the test runs
/// itself again with the variable set (a test may not change its own process's
/// environment while others run), and the child trusts the fake's CA that way.
#[cfg(feature = "native-roots")]
#[test]
fn system_roots_read_ssl_cert_file() {
    if let Ok(base) = std::env::var(CHILD_BASE_URL) {
        // A FIFO in SSL_CERT_FILE is refused, named, not opened (it would block forever).
        if base == "fifo" {
            let error = Roots::system().unwrap_err().to_string();
            assert!(error.contains("SSL_CERT_FILE") && error.contains("not a regular file"), "{error}");
            return;
        }
        let roots = Roots::system().unwrap();
        assert_eq!(roots.added(), 0);
        let config = Config::new(Credentials::api_token(TOKEN).unwrap())
            .with_base_url(cloudflare_mtls::BaseUrl::new(base).unwrap());
        let client = cloudflare_mtls::ureq::Builder::new(config).with_roots(roots).build();
        client.list(&List::new(account())).unwrap();
        return;
    }
    let tls = FakeTls::new().unwrap();
    let server = serve(tls.clone());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("system-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, tls.ca_pem()).unwrap();
    let child = |ssl_cert_file: &std::path::Path| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "system_roots_read_ssl_cert_file", "--test-threads", "1"])
            .env(CHILD_BASE_URL, server.base_url().as_str())
            .env("SSL_CERT_FILE", ssl_cert_file)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap()
    };
    let trusted = child(&ca);
    assert!(trusted.status.success(), "{}", String::from_utf8_lossy(&trusted.stdout));
    // Another authority in SSL_CERT_FILE: the same child fails.
    let other = dir.join("other.pem");
    std::fs::write(&other, FakeTls::new().unwrap().ca_pem()).unwrap();
    assert!(!child(&other).status.success());
    assert_eq!(server.requests_served(), 1);
    let fifo = dir.join("fifo.pem");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let refused = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "system_roots_read_ssl_cert_file", "--test-threads", "1"])
        .env(CHILD_BASE_URL, "fifo")
        .env("SSL_CERT_FILE", &fifo)
        .output()
        .unwrap();
    assert!(refused.status.success(), "{}", String::from_utf8_lossy(&refused.stdout));
}
