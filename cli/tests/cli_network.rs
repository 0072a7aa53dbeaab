//! `cf-mtls` over HTTPS and through a real proxy: `serve-fake --tls --tls-ca F`, then
//! `--cacert F` (or `SSL_CERT_FILE`) trusts it and nothing else does; `--proxy` and the
//! environment's `HTTPS_PROXY` go through Debian's tinyproxy, `--proxy ''` and `NO_PROXY`
//! do not, and a proxy's password is never printed.

mod cli_support;

#[allow(dead_code)]
#[path = "../../tests/support/tinyproxy.rs"]
mod tinyproxy;

use std::net::ToSocketAddrs;
use std::process::{Command, Stdio};

use cli_support::*;
use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use tinyproxy::Tinyproxy;

/// `cf-mtls ARGS` with `env` only.
fn run(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().stdin(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.args(args).output().unwrap().into()
}

#[test]
fn serve_fake_over_tls_and_cacert() {
    let ca = file("fake-ca.pem", "").with_file_name("written-by-serve-fake.pem");
    let (_child, info) = serve_fake(&["--tls", "--tls-ca", ca.to_str().unwrap(), "--quiet"]);
    let url = info["base_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{info}");
    assert_eq!(info["ca_file"], ca.to_str().unwrap());
    assert!(std::fs::read_to_string(&ca).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    let env = [
        ("CLOUDFLARE_BASE_URL", url.as_str()),
        ("CLOUDFLARE_API_TOKEN", "fake-token"),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
    ];

    let run_ok = run(&env, &["--cacert", ca.to_str().unwrap(), "list"]).expect(0);
    assert_eq!(run_ok.stdout, "No certificates.\n");
    let with_env: Vec<(&str, &str)> = env.iter().copied().chain([("SSL_CERT_FILE", ca.to_str().unwrap())]).collect();
    run(&with_env, &["list"]).expect(0);

    let refused = run(&env, &["list"]).expect(4);
    let port = url.trim_start_matches("https://").split('/').next().unwrap();
    assert!(refused.stderr.contains(&format!("TLS with {port} failed")), "{refused:?}");
    assert!(refused.stderr.contains("unknown issuer") && refused.stderr.contains("--cacert"), "{refused:?}");

    let not_pem = file("not-a-ca.pem", "hello");
    let bad = run(&env, &["--cacert", not_pem.to_str().unwrap(), "list"]).expect(5);
    assert!(bad.stderr.contains("--cacert") && bad.stderr.contains("no -----BEGIN CERTIFICATE----- block"), "{bad:?}");
}

#[test]
fn through_a_proxy_explicit_or_from_the_environment() {
    let Some(proxy) = Tinyproxy::start(None) else { return };
    // The machine's host name resolves to loopback (/etc/hosts) but is not recognisably
    // loopback, so the environment's proxy applies to it.
    let name = std::fs::read_to_string("/etc/hostname").unwrap().trim().to_owned();
    assert!(
        (name.as_str(), 0).to_socket_addrs().unwrap().any(|a| a.ip().is_loopback()),
        "{name} must resolve to loopback"
    );
    let tls = FakeTls::new().unwrap().with_names(["127.0.0.1", name.as_str()]);
    let ca = file("proxied-ca.pem", tls.ca_pem());
    let server = FakeServer::builder(FakeApi::new(TOKEN, account())).with_tls(tls).start().unwrap();
    let port = server.local_addr().port();
    let by_name = format!("https://{name}:{port}/client/v4");
    let by_ip = server.base_url().to_string();
    let env = |url: &str| -> Vec<(String, String)> {
        vec![
            ("CLOUDFLARE_BASE_URL".into(), url.into()),
            ("CLOUDFLARE_API_TOKEN".into(), TOKEN.into()),
            ("CLOUDFLARE_ACCOUNT_ID".into(), ACCOUNT.into()),
            ("SSL_CERT_FILE".into(), ca.to_str().unwrap().into()),
        ]
    };
    let go = |env: &[(String, String)], args: &[&str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&env, args)
    };

    // --proxy: every host, loopback included.
    go(&env(&by_ip), &["--proxy", &proxy.url(None), "list"]).expect(0);
    assert_eq!(proxy.tunnels_to(&format!("127.0.0.1:{port}")), 1, "{}", proxy.log());

    // HTTPS_PROXY, for a host that is not recognisably loopback; NO_PROXY and --proxy ''
    // turn it off.
    let mut proxied = env(&by_name);
    proxied.push(("HTTPS_PROXY".into(), proxy.url(None)));
    go(&proxied, &["list"]).expect(0);
    assert_eq!(proxy.tunnels_to(&format!("{name}:{port}")), 1, "{}", proxy.log());
    go(&proxied, &["--proxy", "", "list"]).expect(0);
    let mut bypassed = proxied.clone();
    bypassed.push(("NO_PROXY".into(), name.clone()));
    go(&bypassed, &["list"]).expect(0);
    assert_eq!(proxy.tunnels_to(&format!("{name}:{port}")), 1, "{}", proxy.log());
    // ...and loopback by address is never proxied through the environment.
    let mut loopback = env(&by_ip);
    loopback.push(("HTTPS_PROXY".into(), "http://127.0.0.1:9".into()));
    go(&loopback, &["list"]).expect(0);
    assert_eq!(server.requests_served(), 5);
}

#[test]
fn a_proxy_that_wants_credentials() {
    const PASSWORD: &str = "proxy-SECRET-pass";
    let Some(proxy) = Tinyproxy::start(Some(("bob", PASSWORD))) else { return };
    let fake = fake();
    let env = [
        ("CLOUDFLARE_BASE_URL", fake.base_url().to_string()),
        ("CLOUDFLARE_API_TOKEN", TOKEN.to_owned()),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = run(&env, &["--proxy", &proxy.url(None), "list"]).expect(4);
    let at = format!("the proxy 127.0.0.1:{} did not connect", proxy.port);
    assert!(refused.stderr.contains(&at) && refused.stderr.contains("407"), "{refused:?}");
    let wrong = run(&env, &["--proxy", &proxy.url(Some(("bob", "wrong-SECRET"))), "list"]).expect(4);
    assert!(!wrong.stderr.contains("wrong-SECRET") && wrong.stderr.contains("credentials"), "{wrong:?}");
    run(&env, &["--proxy", &proxy.url(Some(("bob", PASSWORD))), "list"]).expect(0);
    let bad = run(&env, &["--proxy", &format!("socks5://bob:{PASSWORD}@127.0.0.1:1"), "list"]).expect(2);
    assert!(bad.stderr.contains("only http:// proxies") && !bad.stderr.contains(PASSWORD), "{bad:?}");
}
