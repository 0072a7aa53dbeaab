//! The fake's behaviour end to end over loopback: `FakeServer` on 127.0.0.1, the crate's
//! blocking ureq client (and a bare ureq agent for requests the core would never build).
#![cfg(all(feature = "fake-server", feature = "ureq"))]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{
    AccountId, Association, CertificateId, CertificateType, Config, Credentials, List, RetryPolicy, Upload,
};

const TOKEN: &str = "loopback-token";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const CA_P256: &str = include_str!("fixtures/ca-p256.pem");
const CA_RSA: &str = include_str!("fixtures/ca-rsa2048.pem");
const LEAF: &str = include_str!("fixtures/leaf-p256.pem");
const OPENAPI_CA: &str = include_str!("fixtures/openapi-example-ca.pem");

fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn server() -> FakeServer {
    FakeServer::start(FakeApi::new(TOKEN, account())).unwrap()
}

fn config(server: &FakeServer, token: &str) -> Config {
    Config::new(Credentials::api_token(token).unwrap()).with_base_url(server.base_url())
}

fn client(server: &FakeServer) -> cloudflare_mtls::ureq::Client {
    cloudflare_mtls::ureq::client(config(server, TOKEN))
}

/// A client that never retries nor paces itself, to see each answer as it came.
fn once(server: &FakeServer) -> cloudflare_mtls::ureq::Client {
    cloudflare_mtls::ureq::Builder::new(config(server, TOKEN))
        .with_retry(RetryPolicy::never())
        .with_pacing(cloudflare_mtls::Pacing::off())
        .build()
}

/// A bare agent: status codes come back as responses.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().new_agent()
}

fn json(response: http::Response<ureq::Body>) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.into_body().read_to_vec().unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[test]
fn the_whole_lifecycle() {
    let server = server();
    let client = client(&server);
    let cert = client.upload(&Upload::ca(account(), OPENAPI_CA).with_name("example_ca_cert")).unwrap();
    assert_eq!(cert.issuer.as_deref(), Some("O=Example Inc.,L=California,ST=San Francisco,C=US"));
    assert_eq!(cert.serial_number.as_deref(), Some("235217144297995885180570755458463043449861756659"));
    assert_eq!(cert.signature.as_deref(), Some("SHA256WithRSA"));
    assert!(cert.uploaded_on.is_some() && cert.updated_at == cert.uploaded_on);
    let id = cert.id.clone().unwrap();

    let page = client.list(&List::new(account())).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id.as_ref(), Some(&id));
    let got = client.get(&account(), &id).unwrap();
    assert_eq!(got.name.as_deref(), Some("example_ca_cert"));
    assert_eq!(got.updated_at, None);

    assert!(server.with_api(|api| api.attach(&id, Association::new("gateway", "pending_deployment"))));
    let associations = client.associations(&account(), &id).unwrap();
    assert_eq!(associations.items, [Association::new("gateway", "pending_deployment")]);

    let refused = client.delete(&account(), &id).unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    assert!(refused.to_string().contains("in use by gateway"), "{refused}");
    assert_eq!(server.with_api(|api| api.certificates().len()), 1);

    assert!(server.with_api(|api| api.detach(&id, "gateway")));
    assert_eq!(client.delete(&account(), &id).unwrap().id(), &id);
    assert!(client.get(&account(), &id).unwrap_err().is_not_found());
    assert!(client.associations(&account(), &id).unwrap_err().is_not_found());
    assert!(client.delete(&account(), &id).unwrap_err().is_not_found());
    assert!(client.list(&List::new(account())).unwrap().items.is_empty());
}

#[test]
fn filters_and_pages_over_the_wire() {
    let server = server();
    // Seven CAs, to page through: past the five an account holds.
    server.with_api(|api| api.set_ca_limit(7));
    let client = client(&server);
    for n in 0..7 {
        client.upload(&Upload::ca(account(), CA_P256).with_name(format!("ca-{n}"))).unwrap();
    }
    client.upload(&Upload::leaf(account(), LEAF).with_name("my leaf")).unwrap();
    let mut managed = cloudflare_mtls::Certificate::default();
    managed.kind = Some(CertificateType::GatewayManaged);
    server.with_api(|api| api.insert(managed)).unwrap();

    let all: Vec<_> = client.list_all(List::new(account()).with_per_page(3)).map(Result::unwrap).collect();
    assert_eq!(all.len(), 9);
    let page = client.list(&List::new(account()).with_page(3).with_per_page(3)).unwrap();
    let info = page.result_info.unwrap();
    assert_eq!((info.page, info.count, info.total_count, info.total_pages), (Some(3), Some(3), Some(9), Some(3)));
    let leaves = client.list(&List::new(account()).with_ca(false).with_name("my leaf")).unwrap();
    assert_eq!(leaves.items.len(), 1);
    let gateway = client.list(&List::new(account()).with_type(CertificateType::GatewayManaged)).unwrap();
    assert_eq!(gateway.items.len(), 1);
    // Comma-separated, written by hand.
    let url =
        format!("{}/accounts/{ACCOUNT}/mtls_certificates?type=custom,gateway_managed&per_page=50", server.base_url());
    let (status, body) = json(agent().get(&url).header("authorization", format!("Bearer {TOKEN}")).call().unwrap());
    assert_eq!(status, 200);
    assert_eq!(body["result_info"]["total_count"], 9);
}

#[test]
fn authentication_errors_over_the_wire() {
    let server = FakeServer::start(FakeApi::new(TOKEN, account()).with_global_key("me@example.com", "k3y")).unwrap();
    let url = format!("{}/accounts/{ACCOUNT}/mtls_certificates", server.base_url());
    type Headers = &'static [(&'static str, &'static str)];
    let cases: [(Headers, u16, i64); 5] = [
        (&[], 400, 9106),
        (&[("authorization", "Token abc")], 400, 6003),
        (&[("authorization", "Bearer wrong")], 403, 10000),
        (&[("x-auth-email", "me@example.com"), ("x-auth-key", "nope")], 403, 9103),
        (&[("x-auth-email", "me@example.com"), ("x-auth-key", "k3y")], 200, 0),
    ];
    for (headers, status, code) in cases {
        let mut request = agent().get(&url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let (got, body) = json(request.call().unwrap());
        assert_eq!(got, status, "{headers:?}: {body}");
        if code != 0 {
            assert_eq!(body["errors"][0]["code"], code, "{headers:?}");
            assert_eq!(body["success"], false);
        }
    }
    // The crate's client sees an auth error it can name.
    let wrong = cloudflare_mtls::ureq::client(config(&server, "wrong"));
    assert!(wrong.list(&List::new(account())).unwrap_err().is_auth_error());
    let other = AccountId::new("ffffffffffffffffffffffffffffffff").unwrap();
    let e = client(&server).list(&List::new(other)).unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(403));
}

#[test]
fn no_route_and_wrong_method_over_the_wire() {
    let server = server();
    let base = server.base_url();
    let auth = format!("Bearer {TOKEN}");
    let (status, body) =
        json(agent().get(&format!("{base}/user/tokens/verify")).header("authorization", &auth).call().unwrap());
    assert_eq!((status, body["errors"][0]["code"].as_i64()), (400, Some(7000)));
    let url = format!("{base}/accounts/{ACCOUNT}/mtls_certificates");
    let (status, body) = json(agent().put(&url).header("authorization", &auth).send("{}").unwrap());
    assert_eq!((status, body["errors"][0]["code"].as_i64()), (405, Some(7001)));
}

#[test]
fn upload_as_text_plain_and_bad_uploads_over_the_wire() {
    let server = server();
    let url = format!("{}/accounts/{ACCOUNT}/mtls_certificates", server.base_url());
    let post = |content_type: &str, body: String| {
        json(
            agent()
                .post(&url)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", content_type)
                .send(body)
                .unwrap(),
        )
    };
    // What wrangler sends.
    let body = serde_json::json!({"name": "w", "certificates": CA_RSA, "ca": true}).to_string();
    let (status, reply) = post("text/plain;charset=UTF-8", body);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["result"]["signature"], "SHA256WithRSA");
    assert_eq!(reply["result"]["type"], "custom");

    let key = include_str!("fixtures/ca-p256-key.pem");
    for (body, code) in [
        (serde_json::json!({"ca": true, "certificates": key}).to_string(), 1002),
        (serde_json::json!({"certificates": CA_P256}).to_string(), 1001),
        ("{not json".to_string(), 6007),
    ] {
        let (status, reply) = post("application/json", body);
        assert_eq!((status, reply["errors"][0]["code"].as_i64()), (400, Some(code)), "{reply}");
    }
    assert_eq!(server.with_api(|api| api.certificates().len()), 1);
}

#[test]
fn an_html_502_is_retried_by_the_client_and_served_as_html() {
    let server = server();
    server.with_api(|api| api.fail_next(Fault::Html(502)));
    assert!(client(&server).list(&List::new(account())).is_ok(), "GET is retried past one 502");
    assert_eq!(server.requests_served(), 2);

    server.with_api(|api| api.fail_next(Fault::Html(502)));
    let url = format!("{}/accounts/{ACCOUNT}/mtls_certificates", server.base_url());
    let response = agent().get(&url).call().unwrap();
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(response.into_body().read_to_string().unwrap().contains("<center>cloudflare</center>"));

    server.with_api(|api| api.fail_next(Fault::Api(503, 1234, "maintenance".into())));
    let e = once(&server).list(&List::new(account())).unwrap_err();
    assert_eq!(e.response().unwrap().api().unwrap().errors[0].code, 1234);
}

#[test]
fn a_disconnect_closes_the_connection_without_an_answer() {
    let server = server();
    server.with_api(|api| api.fail_next(Fault::Disconnect));
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET /client/v4/accounts/{ACCOUNT}/mtls_certificates HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // The crate's client sees a transport error (and may not retry an upload).
    server.with_api(|api| api.fail_next(Fault::Disconnect));
    let e = once(&server).upload(&Upload::ca(account(), CA_P256)).unwrap_err();
    assert!(matches!(e, cloudflare_mtls::Error::Transport { .. }), "{e:?}");
    assert!(server.with_api(|api| api.certificates()).is_empty());
}

#[test]
fn the_rate_limit_over_the_wire() {
    let server = server();
    server.with_api(|api| api.rate_limit(2, Duration::from_secs(120)));
    let client = once(&server);
    client.list(&List::new(account())).unwrap();
    client.list(&List::new(account())).unwrap();
    let e = client.list(&List::new(account())).unwrap_err();
    assert!(e.is_rate_limited());
    let wait = e.retry_after().unwrap();
    assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120), "{wait:?}");
}

#[test]
fn latency_is_added_and_connections_are_kept_alive() {
    let server = server();
    let client = client(&server);
    for _ in 0..5 {
        client.list(&List::new(account())).unwrap();
    }
    assert_eq!(server.requests_served(), 5);
    assert_eq!(server.connections_accepted(), 1, "keep-alive: one connection for five calls");

    server.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    client.list(&List::new(account())).unwrap();
    // Generous: at least the latency, well under what a hang would be.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(290) && took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn dropping_the_server_stops_it() {
    let server = server();
    let addr = server.local_addr();
    client(&server).list(&List::new(account())).unwrap();
    drop(server);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err());
}

#[test]
fn bind_takes_loopback_addresses_only() {
    let server = FakeServer::bind("localhost:0", FakeApi::new(TOKEN, account())).unwrap();
    assert!(server.local_addr().ip().is_loopback());
    assert!(server.base_url().as_str().ends_with("/client/v4"));
    for refused in ["0.0.0.0:0", "192.0.2.1:8787"] {
        let e = FakeServer::bind(refused, FakeApi::new(TOKEN, account())).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{refused}");
        assert!(e.to_string().contains("loopback"));
    }
}

#[test]
fn unknown_ids_over_the_wire() {
    let server = server();
    let unknown = CertificateId::new("0123456789abcdef0123456789abcdef").unwrap();
    let e = client(&server).get(&account(), &unknown).unwrap_err();
    assert!(e.is_not_found());
}

/// Reads until the server closes the connection (or `limit` passes); the bytes read.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(bytes),
        Err(_) => None,
    }
}

fn limited(read_timeout: Duration, max_connections: usize) -> FakeServer {
    FakeServer::builder(FakeApi::new(TOKEN, account()))
        .with_read_timeout(read_timeout)
        .with_max_connections(max_connections)
        .start()
        .unwrap()
}

#[test]
fn idle_and_half_sent_connections_are_closed_and_capped() {
    let server = limited(Duration::from_secs(2), 4);
    let addr = server.local_addr();
    // Eight connections that send nothing or half a request head, twice the cap.
    let mut idle: Vec<TcpStream> = (0..8)
        .map(|i| {
            let mut s = TcpStream::connect(addr).unwrap();
            if i % 2 == 1 {
                s.write_all(b"GET /client/v4/accounts/x/mtls_cert").unwrap();
            }
            s
        })
        .collect();
    // The cap: four are taken in, the other four wait in the backlog while the first hold
    // their slots (they are idle for less than the 2 s read timeout).
    let started = Instant::now();
    while server.connections_accepted() < 4 && started.elapsed() < Duration::from_millis(1500) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.connections_accepted(), 4, "the cap of 4 connections was not kept");
    // A real client still gets through: the idle ones time out and free their slots. The
    // bounds are generous: a loaded machine is slow, never fast.
    let client = cloudflare_mtls::ureq::Builder::new(config(&server, TOKEN))
        .with_timeout(Duration::from_secs(20))
        .with_retry(RetryPolicy::never())
        .build();
    assert!(client.list(&List::new(account())).unwrap().items.is_empty());
    for (i, stream) in idle.iter_mut().enumerate() {
        let got = read_until_closed(stream, Duration::from_secs(15));
        assert!(got.is_some(), "connection {i} was left open");
    }
    assert_eq!(server.connections_accepted(), 9);
}

#[test]
fn a_body_that_never_completes_gets_408_and_a_bogus_chunk_400() {
    let server = limited(Duration::from_millis(300), 4);
    let path = format!("/client/v4/accounts/{ACCOUNT}/mtls_certificates");
    let mut slow = TcpStream::connect(server.local_addr()).unwrap();
    write!(
        slow,
        "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\ncontent-length: 100\r\n\r\n{{\"ca\":"
    )
    .unwrap();
    let answer = String::from_utf8(read_until_closed(&mut slow, Duration::from_secs(3)).unwrap()).unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    let mut bogus = TcpStream::connect(server.local_addr()).unwrap();
    write!(bogus, "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n").unwrap();
    let answer = String::from_utf8(read_until_closed(&mut bogus, Duration::from_secs(3)).unwrap()).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("Malformed request body"), "{answer}");
    assert!(server.with_api(|api| api.certificates()).is_empty());
}
