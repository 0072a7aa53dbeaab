//! The scenarios, each once, generic over the adapter.

use std::time::{Duration, Instant};

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use cloudflare_mtls::{
    AccountId, Association, BaseUrl, CertificateId, Config, Credentials, Error, List, Pacing, ResponseError,
    RetryPolicy, Upload,
};

use super::raw::{Recorded, Reply, Scripted, ok_json, refused_base_url, response};
use super::{Adapter, CallError, Knobs, Roots, TransportError};

const TOKEN: &str = "e2e-secret-token";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const CERT: &str = "2458ce5a-0c35-4c7f-82c7-8e9487d3ff60";
const CA_PEM: &str = include_str!("../fixtures/openapi-example-ca.pem");
const CERT_JSON: &str = r#"{"id":"2458ce5a-0c35-4c7f-82c7-8e9487d3ff60","name":"example_ca_cert","ca":true}"#;

fn config(base_url: BaseUrl) -> Config {
    Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(base_url)
}

fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn cert_id() -> CertificateId {
    CertificateId::new(CERT).unwrap()
}

fn upload() -> Upload {
    Upload::ca(account(), CA_PEM).with_name("e2e")
}

fn single_try() -> Knobs {
    Knobs { retry: RetryPolicy::never(), ..Knobs::default() }
}

/// The transport error inside `result`, or a panic saying what came instead.
fn transport_error<T: std::fmt::Debug>(result: Result<T, CallError>) -> TransportError {
    match result {
        Err(Error::Transport { source, .. }) => source,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// No error message may carry the token.
fn assert_no_secret(error: &CallError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
}

/// How a scenario reaches the fake: plain HTTP, or HTTPS with the fake's authority trusted.
pub trait Net {
    /// A fresh fake accepting `TOKEN` for the account.
    fn fake() -> FakeServer;
    /// The default knobs, with what this network needs (the roots to trust).
    fn knobs() -> Knobs;
}

/// Plain HTTP to the loopback fake.
pub struct Http;

impl Net for Http {
    fn fake() -> FakeServer {
        FakeServer::start(FakeApi::new(TOKEN, account())).unwrap()
    }

    fn knobs() -> Knobs {
        Knobs::default()
    }
}

/// HTTPS to the loopback fake (HTTP/2 where the client offers it), its authority trusted.
pub struct Https;

/// One authority for every HTTPS fake of the test process.
fn authority() -> &'static FakeTls {
    static TLS: std::sync::OnceLock<FakeTls> = std::sync::OnceLock::new();
    TLS.get_or_init(|| FakeTls::new().unwrap())
}

impl Net for Https {
    fn fake() -> FakeServer {
        FakeServer::builder(FakeApi::new(TOKEN, account())).with_tls(authority().clone()).start().unwrap()
    }

    fn knobs() -> Knobs {
        Knobs { roots: Some(Roots::from_pem(authority().ca_pem()).unwrap()), ..Knobs::default() }
    }
}

/// The five calls and `list_all`, through a real socket to the fake.
pub fn all_calls_and_list_all<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &N::knobs());
    let ids: Vec<CertificateId> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|name| client.upload(&Upload::ca(account(), CA_PEM).with_name(*name)).unwrap().id().clone())
        .collect();

    let page = client.list(&List::new(account()).with_per_page(2)).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.result_info.and_then(|i| i.total_count), Some(3));

    let served = server.requests_served();
    let all: Vec<_> =
        client.list_all(List::new(account()).with_per_page(2)).into_iter().collect::<Result<_, _>>().unwrap();
    let names: Vec<_> = all.iter().map(|c| c.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
    assert_eq!(server.requests_served() - served, 2, "one request per page");

    let beta = client.get(&account(), &ids[1]).unwrap();
    assert_eq!(beta.name.as_deref(), Some("beta"));
    assert_eq!(beta.ca, Some(true));
    assert!(beta.issuer.is_some());

    assert!(server.with_api(|api| api.attach(&ids[0], Association::new("gateway", "active"))));
    let associations = client.associations(&account(), &ids[0]).unwrap();
    assert_eq!(associations.items, [Association::new("gateway", "active")]);
    assert!(client.associations(&account(), &ids[2]).unwrap().items.is_empty());

    // In use: the API refuses, and the client says so with the API's error.
    let refused = client.delete(&account(), &ids[0]).unwrap_err();
    assert!(matches!(refused.response(), Some(ResponseError::Api(_))), "{refused:?}");
    assert!(server.with_api(|api| api.detach(&ids[0], "gateway")));
    let deleted = client.delete(&account(), &ids[0]).unwrap();
    assert_eq!(deleted.certificate().and_then(|c| c.name.as_deref()), Some("alpha"));
    assert!(client.get(&account(), &ids[0]).unwrap_err().is_not_found());
    assert_eq!(client.list(&List::new(account())).unwrap().items.len(), 2);
}

/// Many sequential calls share a few connections, not one each. Not exactly one: hyper's
/// pool takes a connection back from a spawned task once the body has ended, so on a busy
/// machine the next call can find the pool empty and open another.
pub fn connection_reuse<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &N::knobs());
    for _ in 0..50 {
        assert!(client.list(&List::new(account())).unwrap().items.is_empty());
    }
    assert_eq!(server.requests_served(), 50);
    let connections = server.connections_accepted();
    assert!((1..=10).contains(&connections), "{connections} connections for 50 calls");
}

/// Unpaced, a 429 with `Retry-After: 1` (scripted, so a slow machine cannot miss it) and
/// the client waits that second before it tries again. Time is only a lower bound here (a
/// loaded machine is slower, never faster); the upper one only catches a hang.
pub fn retry_after_429_is_honoured<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &Knobs { pacing: Pacing::off(), ..N::knobs() });
    client.list(&List::new(account())).unwrap();
    let refusal = Fault::Api(429, 971, "Please wait and consider throttling your request speed".into());
    server.with_api(|api| api.fail_next(Fault::WithHeader(Box::new(refusal), "retry-after".into(), "1".into())));
    let started = Instant::now();
    client.list(&List::new(account())).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(server.requests_served(), 3, "the first call, the 429, its retry");
    assert!(elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(60), "waited {elapsed:?}");
}

/// Paced (the default), more calls than the fake's budget (4 per second) get no 429: the
/// client reads the fake's `Ratelimit` fields and waits for the window to reset instead.
pub fn pacing_keeps_under_the_rate_limit<A: Adapter, N: Net>() {
    let server = N::fake();
    server.with_api(|api| api.rate_limit(4, Duration::from_secs(1)));
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = std::sync::Arc::clone(&refused);
    server.log_requests(move |_, _, status, _| {
        if status == http::StatusCode::TOO_MANY_REQUESTS {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let client = A::build(config(server.base_url()), &N::knobs());
    let started = Instant::now();
    for _ in 0..10 {
        client.list(&List::new(account())).unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(refused.load(std::sync::atomic::Ordering::Relaxed), 0, "429s from the fake");
    assert_eq!(server.requests_served(), 10);
    // 10 calls at 4 per second take two windows' waits at least.
    // A lower bound only (the upper one catches a hang): the counts above are the property.
    assert!(elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

/// Timeouts of `Duration::MAX` are no timeouts, not an overflow adding them to the clock
/// (ureq panicked so).
pub fn timeouts_of_duration_max_are_none<A: Adapter, N: Net>() {
    let server = N::fake();
    let knobs = Knobs { timeout: Some(Duration::MAX), connect_timeout: Some(Duration::MAX), ..N::knobs() };
    let client = A::build(config(server.base_url()), &knobs);
    assert!(client.list(&List::new(account())).unwrap().items.is_empty());
}

/// An HTML 502 from the edge, then the answer: a GET is retried.
pub fn html_502_then_success_on_get<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &N::knobs());
    let id = client.upload(&upload()).unwrap().id().clone();
    server.with_api(|api| api.fail_next(Fault::Html(502)));
    let served = server.requests_served();
    assert_eq!(client.get(&account(), &id).unwrap().name.as_deref(), Some("e2e"));
    assert_eq!(server.requests_served() - served, 2);
}

/// A 502 on upload: the server may have stored the certificate, so no second try.
pub fn upload_502_is_not_retried<A: Adapter, N: Net>() {
    let server = N::fake();
    server.with_api(|api| api.fail_next(Fault::Html(502)));
    let client = A::build(config(server.base_url()), &N::knobs());
    let error = client.upload(&upload()).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error:?}");
    assert!(matches!(error.response(), Some(ResponseError::Http(_))), "{error:?}");
    assert!(error.to_string().starts_with("upload certificate: HTTP 502"), "{error}");
    assert_no_secret(&error);
    assert_eq!(server.requests_served(), 1);
    assert!(server.with_api(|api| api.certificates()).is_empty());
}

/// The upload is stored, then its answer is lost as a 502 saying `x-should-retry: true`:
/// the server's word does not make a repeated POST safe, so the certificate is stored once,
/// named or not.
pub fn upload_stored_then_502_should_retry_is_sent_once<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &N::knobs());
    let lost = || {
        Fault::WithHeader(
            Box::new(Fault::AfterCall(Box::new(Fault::Html(502)))),
            "x-should-retry".into(),
            "true".into(),
        )
    };
    for upload in [upload(), Upload::ca(account(), CA_PEM)] {
        server.with_api(|api| api.fail_next(lost()));
        let served = server.requests_served();
        let error = client.upload(&upload).unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error:?}");
        assert_eq!(server.requests_served() - served, 1, "sent once");
    }
    assert_eq!(server.with_api(|api| api.certificates()).len(), 2, "each stored once");
}

/// A delete is carried out and its answer lost (dropped connection, then an HTML 502): the
/// retry gets 404, and the call reports the deletion, by ID. A plain 404 stays not found.
pub fn delete_whose_answer_was_lost_is_deleted<A: Adapter, N: Net>() {
    let server = N::fake();
    let client = A::build(config(server.base_url()), &N::knobs());
    for lost in [Fault::Disconnect, Fault::Html(502)] {
        let id = client.upload(&Upload::ca(account(), CA_PEM)).unwrap().id().clone();
        server.with_api(|api| api.fail_next(Fault::AfterCall(Box::new(lost.clone()))));
        let served = server.requests_served();
        let deleted = client.delete(&account(), &id).unwrap();
        assert_eq!(deleted, cloudflare_mtls::Deleted::GoneOnRetry(id.clone()), "{lost:?}");
        assert_eq!(server.requests_served() - served, 2, "{lost:?}: the lost attempt and the retry");
        assert!(server.with_api(|api| api.certificates()).is_empty());
        let error = client.delete(&account(), &id).unwrap_err();
        assert!(error.is_not_found(), "{error:?}");
    }
}

const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

fn zone() -> cloudflare_mtls::ZoneId {
    cloudflare_mtls::ZoneId::new(ZONE).unwrap()
}

fn hosts(names: &[&str]) -> Vec<cloudflare_mtls::Hostname> {
    names.iter().map(|n| cloudflare_mtls::Hostname::new(*n).unwrap()).collect()
}

/// BYO CA for mTLS through a real socket: a CA uploaded, hostnames of a zone associated with
/// it and read back, its delete refused until they are removed; the managed CA's list
/// apart; a list with a name twice refused before anything is sent.
pub fn hostname_associations_from_upload_to_delete<A: Adapter, N: Net>() {
    use cloudflare_mtls::ReplaceHostnames;
    let server = N::fake();
    server.with_api(|api| api.add_zone(zone(), "example.com")).unwrap();
    let client = A::build(config(server.base_url()), &N::knobs());
    let ca = client.upload(&upload()).unwrap().id().clone();

    let replace =
        ReplaceHostnames::new(zone(), hosts(&["api.example.com", "*.Example.com"])).with_certificate(ca.clone());
    assert_eq!(client.replace_hostnames(&replace).unwrap().hostnames, ["api.example.com", "*.Example.com"]);
    assert_eq!(client.hostnames(&zone(), Some(&ca)).unwrap().hostnames, ["api.example.com", "*.Example.com"]);
    assert!(client.hostnames(&zone(), None).unwrap().hostnames.is_empty(), "the managed CA's list is apart");
    let managed = ReplaceHostnames::new(zone(), hosts(&["example.com"]));
    assert_eq!(client.replace_hostnames(&managed).unwrap().hostnames, ["example.com"]);
    assert_eq!(server.with_api(|api| api.hostnames(&zone(), None)), Some(vec!["example.com".to_owned()]));

    // Outside the zone: the API's refusal, typed.
    let outside = ReplaceHostnames::new(zone(), hosts(&["api.example.org"])).with_certificate(ca.clone());
    let refused = client.replace_hostnames(&outside).unwrap_err();
    assert!(matches!(refused.response(), Some(ResponseError::Api(_))), "{refused:?}");
    assert_eq!(refused.call(), cloudflare_mtls::Call::ReplaceHostnames);

    // The same name twice: refused before anything is sent.
    let served = server.requests_served();
    let twice = ReplaceHostnames::new(zone(), hosts(&["a.example.com", "A.example.com"])).with_certificate(ca.clone());
    let error = client.replace_hostnames(&twice).unwrap_err();
    assert!(matches!(error, Error::Build { .. }), "{error:?}");
    assert!(error.to_string().contains("give each hostname once"), "{error}");
    assert_eq!(server.requests_served(), served, "nothing was sent");

    // The CA cannot go while it has hostnames; emptied, it can.
    let refused = client.delete(&account(), &ca).unwrap_err();
    assert!(refused.to_string().contains("hostname associations"), "{refused}");
    assert!(
        client
            .replace_hostnames(&ReplaceHostnames::empty(zone()).with_certificate(ca.clone()))
            .unwrap()
            .hostnames
            .is_empty()
    );
    client.delete(&account(), &ca).unwrap();
    assert!(client.hostnames(&zone(), Some(&ca)).unwrap_err().is_not_found());
}

/// A PUT whose answer was lost (the connection dropped, an HTML 502) is sent again: a
/// replace written twice is the same list, so it is retried as a GET is.
pub fn replace_whose_answer_was_lost_is_sent_again<A: Adapter, N: Net>() {
    use cloudflare_mtls::ReplaceHostnames;
    let server = N::fake();
    server.with_api(|api| api.add_zone(zone(), "example.com")).unwrap();
    let client = A::build(config(server.base_url()), &N::knobs());
    let ca = client.upload(&upload()).unwrap().id().clone();
    for (lost, names) in [(Fault::Disconnect, ["a.example.com"]), (Fault::Html(502), ["b.example.com"])] {
        server.with_api(|api| api.fail_next(Fault::AfterCall(Box::new(lost.clone()))));
        let served = server.requests_served();
        let replace = ReplaceHostnames::new(zone(), hosts(&names)).with_certificate(ca.clone());
        assert_eq!(client.replace_hostnames(&replace).unwrap().hostnames, names, "{lost:?}");
        assert_eq!(server.requests_served() - served, 2, "{lost:?}: the lost attempt and the retry");
    }
    assert_eq!(server.with_api(|api| api.hostnames(&zone(), Some(&ca))), Some(vec!["b.example.com".to_owned()]));
}

/// A 200 for another certificate than the one asked for is no success.
pub fn an_answer_for_another_certificate_is_refused<A: Adapter>() {
    let other = r#"{"id":"ffffffffffffffffffffffffffffffff","name":"other","ca":true}"#;
    let server = Scripted::start(vec![ok_json(other)]);
    let client = A::build(config(server.base_url()), &single_try());
    for error in [client.get(&account(), &cert_id()).unwrap_err(), client.delete(&account(), &cert_id()).unwrap_err()] {
        match error.response() {
            Some(ResponseError::Decode(e)) => {
                assert_eq!(e.path, "result.id");
                assert!(e.reason.contains("ffffffffffffffffffffffffffffffff"), "{e}");
            }
            _ => panic!("a decode error: {error:?}"),
        }
    }
}

/// Nothing listens: a connect error, quickly (the retries back off for milliseconds).
pub fn connection_refused<A: Adapter>() {
    let base = refused_base_url();
    let to = base.as_str().trim_start_matches("http://").trim_end_matches("/client/v4").to_owned();
    let client = A::build(config(base), &Knobs::default());
    let started = Instant::now();
    let error = client.get(&account(), &cert_id()).unwrap_err();
    // Quick is the point, but a loaded machine is slow: only a hang (retries of seconds) fails.
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert_no_secret(&error);
    // Where, and why: "could not connect to 127.0.0.1:PORT: ... refused ...".
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("get certificate: transport error: could not connect to {to}: ")), "{shown}");
    assert!(shown.to_lowercase().contains("refused"), "{shown}");
    assert!(transport_error(Err::<(), _>(error)).is_connect());
    // A refused upload was certainly not sent, and fails the same way.
    assert!(transport_error(client.upload(&upload())).is_connect());
}

/// The server accepts and never answers: the whole-attempt timeout ends the call.
pub fn stall_past_the_timeout<A: Adapter>() {
    let server = Scripted::start(vec![Reply::Stall]);
    let timeout = Duration::from_millis(300);
    let client = A::build(config(server.base_url()), &Knobs { timeout: Some(timeout), ..single_try() });
    let started = Instant::now();
    let error = transport_error(client.get(&account(), &cert_id()));
    let elapsed = started.elapsed();
    assert!(matches!(error, TransportError::Timeout { after, .. } if after == timeout), "{error:?}");
    assert!(elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert_eq!(server.requests().len(), 1);
}

/// The server promises 1000 bytes, sends 10 and closes.
pub fn closed_mid_body<A: Adapter>() {
    let mut head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n".to_vec();
    head.extend_from_slice(br#"{"success""#);
    let server = Scripted::start(vec![Reply::BytesThenClose(head)]);
    let client = A::build(config(server.base_url()), &single_try());
    let error = transport_error(client.get(&account(), &cert_id()));
    assert!(matches!(error, TransportError::Io(_)), "{error:?}");
}

/// A body over the limit fails with `BodyTooLarge`; one exactly at the limit is read.
pub fn body_over_the_size_limit<A: Adapter>() {
    let limit = 1024;
    let padded = |len: usize| {
        let mut body = format!(r#"{{"success":true,"errors":[],"messages":[],"result":{CERT_JSON}}}"#);
        body.push_str(&" ".repeat(len - body.len()));
        Reply::Bytes(response(200, &[("content-type", "application/json")], body.as_bytes()))
    };
    let knobs = Knobs { max_body_size: Some(limit), ..single_try() };
    let over = Scripted::start(vec![padded(limit as usize + 1)]);
    let error = transport_error(A::build(config(over.base_url()), &knobs).get(&account(), &cert_id()));
    assert!(matches!(error, TransportError::BodyTooLarge { limit: 1024 }), "{error:?}");
    let at = Scripted::start(vec![padded(limit as usize)]);
    let cert = A::build(config(at.base_url()), &knobs).get(&account(), &cert_id()).unwrap();
    assert_eq!(cert.id, Some(cert_id()));
}

/// A 302 to another server is not followed: the call fails with the 302, and the other
/// server (which would answer with success) never sees a request, let alone the token.
pub fn redirect_not_followed<A: Adapter>() {
    let elsewhere = Scripted::start(vec![ok_json(CERT_JSON)]);
    let location = format!("{}/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}", elsewhere.origin());
    let server = Scripted::start(vec![Reply::Bytes(response(302, &[("location", &location)], b""))]);
    let client = A::build(config(server.base_url()), &Knobs::default());
    let error = client.get(&account(), &cert_id()).unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302), "{error:?}");
    // One request, carrying the token: the token was there to be forwarded, and was not.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    // Had the client followed, it would have done so before returning: no connection at all
    // reached the other server.
    assert_eq!(elsewhere.connections(), 0);
}

/// What goes on the wire: credentials and user agent; no compression asked for; no empty
/// body on a GET; the upload's JSON with its length.
pub fn request_headers_on_the_wire<A: Adapter>() {
    let server = Scripted::start(vec![ok_json(CERT_JSON)]);
    let client = A::build(config(server.base_url()), &Knobs::default());
    client.get(&account(), &cert_id()).unwrap();
    client.upload(&upload()).unwrap();
    let requests = server.requests();
    let [get, post]: &[Recorded; 2] = requests.as_slice().try_into().unwrap();
    assert_eq!(get.method, "GET");
    assert_eq!(get.target, format!("/client/v4/accounts/{ACCOUNT}/mtls_certificates/{CERT}"));
    for r in [get, post] {
        assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert!(r.header("user-agent").is_some_and(|ua| ua.starts_with("cloudflare-mtls/")), "{r:?}");
        assert_eq!(r.header("accept-encoding"), None);
    }
    assert_eq!(get.header("content-length"), None);
    assert_eq!(get.header("transfer-encoding"), None);
    assert!(get.body.is_empty());
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.header("content-length"), Some(post.body.len().to_string().as_str()));
    let sent: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(sent["certificates"], CA_PEM);
    assert_eq!(sent["ca"], true);
}
