//! Both clients through a real forward proxy (Debian's tinyproxy) to the HTTPS fake: an
//! explicit proxy, the environment's (for a host that is not recognisably loopback), the
//! `NO_PROXY` bypass, the loopback rule, a proxy that demands credentials, and one that is
//! down. The proxy's own log proves the tunnel was used.
#![cfg(all(feature = "ureq", feature = "hyper", feature = "fake-server"))]

#[allow(dead_code)]
#[path = "support/raw.rs"]
mod raw;
#[allow(dead_code)]
#[path = "support/tinyproxy.rs"]
mod tinyproxy;
#[path = "support/tools.rs"]
mod tools;

use std::net::ToSocketAddrs;

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use cloudflare_mtls::ureq::{Proxy, ProxyUrl, Roots, TransportError};
use cloudflare_mtls::{AccountId, BaseUrl, Config, Credentials, Error, List, RetryPolicy};
use tinyproxy::Tinyproxy;

const TOKEN: &str = "proxy-token-SECRET";
const PASSWORD: &str = "proxy-pass-SECRET";

fn account() -> AccountId {
    AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap()
}

/// The HTTPS fake, with a certificate also valid for `name`, and the roots to trust it.
fn https_fake(name: &str) -> (FakeServer, Roots) {
    let tls = FakeTls::new().unwrap().with_names(["127.0.0.1", name]);
    let roots = Roots::from_pem(tls.ca_pem()).unwrap();
    (FakeServer::builder(FakeApi::new(TOKEN, account())).with_tls(tls).start().unwrap(), roots)
}

/// This machine's host name, which must resolve to a loopback address (as Debian's and
/// most containers' /etc/hosts make it): a host the fake serves that the loopback rule
/// does not recognise, so the environment's proxy applies to it.
fn loopback_name() -> String {
    let name = std::fs::read_to_string("/etc/hostname").map(|n| n.trim().to_owned()).unwrap_or_default();
    let loopback = (name.as_str(), 0).to_socket_addrs().is_ok_and(|mut a| a.any(|a| a.ip().is_loopback()));
    assert!(
        loopback && !name.is_empty(),
        "the host name {name:?} must resolve to 127.0.0.1 (/etc/hosts) for this test"
    );
    name
}

/// `list` on both clients for `base`, trusting `roots`, through `proxy`; retries on (a
/// refusing proxy must not use them).
fn list_both(base: BaseUrl, roots: &Roots, proxy: Proxy) -> Vec<Result<(), Error<TransportError>>> {
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(base);
    let retry = RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(1));
    let ureq = cloudflare_mtls::ureq::Builder::new(config.clone())
        .with_roots(roots.clone())
        .with_proxy(proxy.clone())
        .with_retry(retry.clone())
        .build();
    let hyper = cloudflare_mtls::hyper::Builder::new(config)
        .with_roots(roots.clone())
        .with_proxy(proxy)
        .with_retry(retry)
        .build();
    assert!(!format!("{ureq:?}{hyper:?}").contains(PASSWORD), "a client's Debug shows the proxy password");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let async_ = runtime.block_on(async { hyper.list(&List::new(account())).await.map(|_| ()) });
    vec![ureq.list(&List::new(account())).map(|_| ()), async_]
}

fn explicit(url: &str) -> Proxy {
    Proxy::Url(ProxyUrl::parse(url).unwrap())
}

fn base(host: &str, server: &FakeServer) -> BaseUrl {
    BaseUrl::new(format!("https://{host}:{}/client/v4", server.local_addr().port())).unwrap()
}

#[test]
fn an_explicit_proxy_carries_every_call_through_a_tunnel() {
    let Some(proxy) = Tinyproxy::start(None) else { return };
    let (server, roots) = https_fake("localhost");
    for result in list_both(server.base_url(), &roots, explicit(&proxy.url(None))) {
        result.unwrap();
    }
    assert_eq!(proxy.tunnels_to(&server.local_addr().to_string()), 2, "{}", proxy.log());
    assert_eq!(server.requests_served(), 2);

    // Plain http too (a loopback fake: the only http the core allows), through CONNECT.
    let plain = FakeServer::start(FakeApi::new(TOKEN, account())).unwrap();
    for result in list_both(plain.base_url(), &Roots::webpki(), explicit(&proxy.url(None))) {
        result.unwrap();
    }
    assert_eq!(proxy.tunnels_to(&plain.local_addr().to_string()), 2, "{}", proxy.log());
}

#[test]
fn the_environments_proxy_and_no_proxy() {
    let Some(proxy) = Tinyproxy::start(None) else { return };
    let name = loopback_name();
    let (server, roots) = https_fake(&name);
    let target = format!("{name}:{}", server.local_addr().port());
    let url = proxy.url(None);
    let env = |no_proxy: &'static str| {
        let url = url.clone();
        Proxy::from_lookup(move |var| match var {
            "HTTPS_PROXY" => Some(url.clone()),
            "NO_PROXY" if !no_proxy.is_empty() => Some(no_proxy.to_owned()),
            _ => None,
        })
    };
    for result in list_both(base(&name, &server), &roots, env("")) {
        result.unwrap();
    }
    assert_eq!(proxy.tunnels_to(&target), 2, "{}", proxy.log());
    // NO_PROXY: by name, by name and port, by a domain list that includes it.
    for no_proxy in ["example.com, NAME", "NAME:PORT", "*"] {
        let no_proxy = no_proxy.replace("NAME", &name).replace("PORT", &server.local_addr().port().to_string());
        let no_proxy: &'static str = Box::leak(no_proxy.into_boxed_str());
        for result in list_both(base(&name, &server), &roots, env(no_proxy)) {
            result.unwrap();
        }
    }
    assert_eq!(proxy.tunnels_to(&target), 2, "NO_PROXY was not obeyed: {}", proxy.log());
    assert_eq!(server.requests_served(), 8);
}

#[test]
fn loopback_is_never_proxied_through_the_environment() {
    // The environment names a proxy that is down: calls to loopback hosts go direct anyway.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = format!("http://{closed}");
    let env =
        Proxy::from_lookup(move |var| matches!(var, "HTTPS_PROXY" | "HTTP_PROXY" | "ALL_PROXY").then(|| down.clone()));
    let (server, roots) = https_fake("localhost");
    for host in ["127.0.0.1", "localhost"] {
        for result in list_both(base(host, &server), &roots, env.clone()) {
            result.unwrap();
        }
    }
    assert_eq!(server.requests_served(), 4);
}

#[test]
fn a_proxy_that_demands_credentials() {
    let Some(proxy) = Tinyproxy::start(Some(("alice", PASSWORD))) else { return };
    let (server, roots) = https_fake("localhost");
    let target = server.local_addr().to_string();
    for (client, result) in
        ["ureq", "hyper"].into_iter().zip(list_both(server.base_url(), &roots, explicit(&proxy.url(None))))
    {
        let error = result.expect_err(client);
        let Error::Transport { source: TransportError::Proxy { proxy: at, reason, .. }, .. } = &error else {
            panic!("{client}: {error:?}")
        };
        assert_eq!(at, &format!("127.0.0.1:{}", proxy.port), "{client}");
        assert!(reason.contains("407") && reason.contains("wants credentials"), "{client}: {reason}");
    }
    assert_eq!(proxy.tunnels_to(&target), 2, "a refused tunnel was retried: {}", proxy.log());
    assert_eq!(server.requests_served(), 0);

    let wrong = explicit(&proxy.url(Some(("alice", "not-the-password"))));
    for result in list_both(server.base_url(), &roots, wrong) {
        let error = result.unwrap_err();
        assert!(error.to_string().contains("credentials in the proxy URL"), "{error}");
        assert!(!format!("{error} {error:?}").contains("not-the-password"), "{error:?}");
    }

    for result in list_both(server.base_url(), &roots, explicit(&proxy.url(Some(("alice", PASSWORD))))) {
        result.unwrap();
    }
    assert_eq!(server.requests_served(), 2);
}

#[test]
fn a_proxy_that_is_down_is_named() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (server, roots) = https_fake("localhost");
    for result in list_both(server.base_url(), &roots, explicit(&format!("http://alice:{PASSWORD}@{closed}"))) {
        let error = result.unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains(&format!("could not connect to the proxy {closed}")), "{shown}");
        assert!(!format!("{shown} {error:?}").contains(PASSWORD), "{error:?}");
    }
}

/// Both clients, for an API host that does not resolve, directly and through a proxy whose
/// own name does not resolve: a connect failure (retried, even for an upload), naming the
/// host that did not resolve.
#[test]
fn a_name_that_does_not_resolve_is_a_connect_failure_naming_it() {
    let roots = Roots::webpki();
    let base = BaseUrl::new("https://no-such-host.invalid/client/v4").unwrap();
    for result in list_both(base, &roots, Proxy::Off) {
        let error = result.unwrap_err();
        let Error::Transport { source, .. } = &error else { panic!("{error:?}") };
        assert!(source.is_connect(), "{error}");
        assert!(error.to_string().contains("could not connect to no-such-host.invalid:443"), "{error}");
    }
    let base = BaseUrl::new("https://api.example.test/client/v4").unwrap();
    for result in list_both(base, &roots, explicit("http://no-such-proxy.invalid:3128")) {
        let error = result.unwrap_err();
        let Error::Transport { source, .. } = &error else { panic!("{error:?}") };
        assert!(source.is_connect(), "{error}");
        assert!(error.to_string().contains("the proxy no-such-proxy.invalid:3128"), "{error}");
    }
}

/// Proxies that misbehave (a scripted one: tinyproxy does not do these on demand): each
/// client names the proxy and says what it did.
#[test]
fn a_proxy_that_misbehaves_is_named_with_what_it_did() {
    use raw::{Reply, Scripted};
    let base = BaseUrl::new("https://api.example.test/client/v4").unwrap();
    let cases = [
        (Reply::BytesThenClose(b"SSH-2.0-OpenSSH_9.2\r\n\r\n".to_vec()), "it answered the CONNECT with something"),
        (Reply::Stall, "no complete response within 2.0 s through the proxy"),
        (
            Reply::BytesThenClose(b"HTTP/1.1 200 Connection established\r\n\r\nnot TLS at all".to_vec()),
            "what came through the tunnel is not TLS",
        ),
    ];
    for (reply, said) in cases {
        let proxy = Scripted::start(vec![reply]);
        let at = proxy.base_url().as_str().trim_start_matches("http://").trim_end_matches("/client/v4").to_owned();
        let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(base.clone());
        let timeout = std::time::Duration::from_secs(2);
        let ureq = cloudflare_mtls::ureq::Builder::new(config.clone())
            .with_proxy(explicit(&format!("http://{at}")))
            .with_timeout(timeout)
            .with_retry(RetryPolicy::never())
            .build();
        let hyper = cloudflare_mtls::hyper::Builder::new(config)
            .with_proxy(explicit(&format!("http://{at}")))
            .with_timeout(timeout)
            .with_retry(RetryPolicy::never())
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let from_hyper = runtime.block_on(async { hyper.list(&List::new(account())).await.map(|_| ()) });
        for (client, result) in [("ureq", ureq.list(&List::new(account())).map(|_| ())), ("hyper", from_hyper)] {
            let error = result.unwrap_err();
            let Error::Transport { source, .. } = &error else { panic!("{error:?}") };
            let shown = error.to_string();
            assert!(shown.contains(&format!("proxy {at}")), "{client}, {said}: {shown}");
            assert!(shown.contains(said), "{client}, {said}: {shown}");
            // Not a TLS error, whose advice is to trust another root.
            assert!(!source.is_tls(), "{client}: {shown}");
        }
    }
}
