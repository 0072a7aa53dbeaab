//! The transport seam, driven by closure transports: every client method, retries, paging and
//! error reporting, for both the blocking and the async client. No threads, no sockets, no
//! clock: the async client runs on a tiny executor below, and sleeps are recorded, not slept.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use cloudflare_mtls::http::{Method, Request, Response};
use cloudflare_mtls::retry::Failure;
use cloudflare_mtls::{
    AccountId, AssociatedHostnames, AsyncClient, AsyncHttpClient, AsyncSleep, BlockingClient, BuildError, Call,
    Certificate, CertificateId, CertificateType, Config, Credentials, Deleted, Error, Hostname, HttpClient, List, Page,
    PagerError, PrivateKey, ReplaceHostnames, ResponseError, ResultInfo, RetryPolicy, Sleep, StoredCertificate, Upload,
    ZoneId,
};

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// The certificate of the get, upload and delete fixtures.
const CERT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const BASE: &str = "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/mtls_certificates";
const CA_PEM: &str = include_str!("fixtures/openapi-example-ca.pem");
const GET_BODY: &str = include_str!("fixtures/get-certificate.json");
const UPLOAD_BODY: &str = include_str!("fixtures/upload-certificate.json");
const LIST_BODY: &str = include_str!("fixtures/list-certificates.json");
const ASSOCIATIONS_BODY: &str = include_str!("fixtures/associations.json");
const NOT_FOUND_BODY: &str =
    r#"{"success":false,"errors":[{"code":7003,"message":"Could not route"}],"messages":[],"result":null}"#;
const RATE_LIMITED_BODY: &str =
    r#"{"success":false,"errors":[{"code":971,"message":"Please wait"}],"messages":[],"result":null}"#;
const HTML_502: &str = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";

// ---------------------------------------------------------------------------------------------
// A tiny executor: polls until ready; every future here wakes itself before returning Pending.

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        assert!(flag.0.swap(false, Ordering::SeqCst), "pending without a wake-up: this would hang");
    }
}

/// Pending once (after waking itself), then ready: makes the client really suspend.
#[derive(Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

// ---------------------------------------------------------------------------------------------
// A scripted server and a sleep recorder, shared by both kinds of client.

type Outcome = Result<Response<Vec<u8>>, io::Error>;

/// Answers requests from a script, in order, and records them.
#[derive(Default)]
struct Server {
    requests: Mutex<Vec<Request<Vec<u8>>>>,
    answers: Mutex<VecDeque<Outcome>>,
}

impl Server {
    fn new(answers: impl IntoIterator<Item = Outcome>) -> Self {
        Self { requests: Mutex::default(), answers: Mutex::new(answers.into_iter().collect()) }
    }

    fn answer(&self, request: Request<Vec<u8>>) -> Outcome {
        self.requests.lock().unwrap().push(request);
        let next = self.answers.lock().unwrap().pop_front();
        next.unwrap_or_else(|| Err(io::Error::other("the script has no answer for this request")))
    }

    fn requests(&self) -> Vec<Request<Vec<u8>>> {
        self.requests.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Ok(builder.body(body.as_bytes().to_vec()).unwrap())
}

fn ok(body: &str) -> Outcome {
    answer(200, &[], body)
}

#[derive(Default)]
struct Sleeps(Mutex<Vec<Duration>>);

impl Sleeps {
    fn record(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }

    fn taken(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------------------
// The two clients behind one interface, so every scenario runs against both.

type Failed = Error<io::Error>;

trait Calls {
    fn upload(&self, upload: &Upload) -> Result<StoredCertificate, Failed>;
    fn list(&self, list: &List) -> Result<Page<Certificate>, Failed>;
    fn list_all(&self, list: List) -> Vec<Result<Certificate, Failed>>;
    fn get(&self, account: &AccountId, id: &CertificateId) -> Result<StoredCertificate, Failed>;
    fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<Deleted, Failed>;
    fn associations(
        &self,
        account: &AccountId,
        id: &CertificateId,
    ) -> Result<Page<cloudflare_mtls::Association>, Failed>;
    fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Result<AssociatedHostnames, Failed>;
    fn replace_hostnames(&self, replace: &ReplaceHostnames) -> Result<AssociatedHostnames, Failed>;
}

impl<T: HttpClient<Error = io::Error>, S: Sleep> Calls for BlockingClient<T, S> {
    fn upload(&self, upload: &Upload) -> Result<StoredCertificate, Failed> {
        self.upload(upload)
    }
    fn list(&self, list: &List) -> Result<Page<Certificate>, Failed> {
        self.list(list)
    }
    fn list_all(&self, list: List) -> Vec<Result<Certificate, Failed>> {
        self.list_all(list).collect()
    }
    fn get(&self, account: &AccountId, id: &CertificateId) -> Result<StoredCertificate, Failed> {
        self.get(account, id)
    }
    fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<Deleted, Failed> {
        self.delete(account, id)
    }
    fn associations(
        &self,
        account: &AccountId,
        id: &CertificateId,
    ) -> Result<Page<cloudflare_mtls::Association>, Failed> {
        self.associations(account, id)
    }
    fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Result<AssociatedHostnames, Failed> {
        self.hostnames(zone, ca)
    }
    fn replace_hostnames(&self, replace: &ReplaceHostnames) -> Result<AssociatedHostnames, Failed> {
        self.replace_hostnames(replace)
    }
}

impl<T: AsyncHttpClient<Error = io::Error>, S: AsyncSleep> Calls for AsyncClient<T, S> {
    fn upload(&self, upload: &Upload) -> Result<StoredCertificate, Failed> {
        block_on(self.upload(upload))
    }
    fn list(&self, list: &List) -> Result<Page<Certificate>, Failed> {
        block_on(self.list(list))
    }
    fn list_all(&self, list: List) -> Vec<Result<Certificate, Failed>> {
        block_on(futures_util::StreamExt::collect(self.list_all(list)))
    }
    fn get(&self, account: &AccountId, id: &CertificateId) -> Result<StoredCertificate, Failed> {
        block_on(self.get(account, id))
    }
    fn delete(&self, account: &AccountId, id: &CertificateId) -> Result<Deleted, Failed> {
        block_on(self.delete(account, id))
    }
    fn associations(
        &self,
        account: &AccountId,
        id: &CertificateId,
    ) -> Result<Page<cloudflare_mtls::Association>, Failed> {
        block_on(self.associations(account, id))
    }
    fn hostnames(&self, zone: &ZoneId, ca: Option<&CertificateId>) -> Result<AssociatedHostnames, Failed> {
        block_on(self.hostnames(zone, ca))
    }
    fn replace_hostnames(&self, replace: &ReplaceHostnames) -> Result<AssociatedHostnames, Failed> {
        block_on(self.replace_hostnames(replace))
    }
}

fn config() -> Config {
    Config::new(Credentials::api_token("tok").unwrap())
}

fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

fn cert_id() -> CertificateId {
    CertificateId::new(CERT).unwrap()
}

/// A policy without jitter, so sleeps can be asserted exactly.
fn exact() -> RetryPolicy {
    RetryPolicy::default().with_jitter(0.0)
}

type Make = for<'a> fn(&'a Server, Option<&'a Sleeps>, RetryPolicy) -> Box<dyn Calls + 'a>;

fn blocking<'a>(server: &'a Server, sleeps: Option<&'a Sleeps>, policy: RetryPolicy) -> Box<dyn Calls + 'a> {
    let client = BlockingClient::new(config(), move |req: Request<Vec<u8>>| server.answer(req)).with_retry(policy);
    match sleeps {
        Some(sleeps) => Box::new(client.with_sleep(move |d: Duration| sleeps.record(d))),
        None => Box::new(client),
    }
}

fn asynchronous<'a>(server: &'a Server, sleeps: Option<&'a Sleeps>, policy: RetryPolicy) -> Box<dyn Calls + 'a> {
    let transport = move |req: Request<Vec<u8>>| {
        let outcome = server.answer(req);
        async move {
            YieldOnce::default().await;
            outcome
        }
    };
    let client = AsyncClient::new(config(), transport).with_retry(policy);
    match sleeps {
        Some(sleeps) => Box::new(client.with_sleep(move |d: Duration| {
            sleeps.record(d);
            YieldOnce::default()
        })),
        None => Box::new(client),
    }
}

const MODES: [(&str, Make); 2] = [("blocking", blocking), ("async", asynchronous)];

fn assert_headers(req: &Request<Vec<u8>>, with_body: bool) {
    let h = req.headers();
    assert_eq!(h["authorization"], "Bearer tok");
    assert_eq!(h["accept"], "application/json");
    assert!(h["user-agent"].to_str().unwrap().starts_with("cloudflare-mtls/"));
    assert_eq!(h.get("content-type").is_some(), with_body, "content-type only with a body");
    assert_eq!(h.len(), if with_body { 4 } else { 3 });
}

// ---------------------------------------------------------------------------------------------

#[test]
fn all_methods_send_the_right_requests_and_decode() {
    for (mode, make) in MODES {
        let server = Server::new([ok(UPLOAD_BODY), ok(LIST_BODY), ok(GET_BODY), ok(GET_BODY), ok(ASSOCIATIONS_BODY)]);
        let client = make(&server, None, RetryPolicy::default());

        let uploaded = client.upload(&Upload::ca(account(), CA_PEM).with_name("example_ca_cert")).unwrap();
        assert!(uploaded.updated_at.is_some(), "{mode}");
        let list = List::new(account())
            .with_type(CertificateType::Custom)
            .with_ca(true)
            .with_name("example_ca_cert")
            .with_page(1);
        let page = client.list(&list.with_per_page(50)).unwrap();
        assert_eq!(page.items.len(), 1, "{mode}");
        assert_eq!(page.result_info, Some(ResultInfo::for_page(1, 50, 1, 1)), "{mode}");
        let got = client.get(&account(), &cert_id()).unwrap();
        assert_eq!(got.name.as_deref(), Some("example_ca_cert"), "{mode}");
        let deleted = client.delete(&account(), &cert_id()).unwrap();
        assert_eq!(deleted, Deleted::Returned(got), "{mode}");
        let associations = client.associations(&account(), &cert_id()).unwrap();
        assert_eq!(associations.items[0].service.as_deref(), Some("gateway"), "{mode}");

        let requests = server.requests();
        let seen: Vec<(Method, String)> = requests.iter().map(|r| (r.method().clone(), r.uri().to_string())).collect();
        assert_eq!(
            seen,
            vec![
                (Method::POST, BASE.to_string()),
                (Method::GET, format!("{BASE}?type=custom&ca=true&name=example_ca_cert&page=1&per_page=50")),
                (Method::GET, format!("{BASE}/{CERT}")),
                (Method::DELETE, format!("{BASE}/{CERT}")),
                (Method::GET, format!("{BASE}/{CERT}/associations")),
            ],
            "{mode}"
        );
        assert_headers(&requests[0], true);
        let body: serde_json::Value = serde_json::from_slice(requests[0].body()).unwrap();
        assert_eq!(body, serde_json::json!({"ca": true, "certificates": CA_PEM, "name": "example_ca_cert"}));
        for req in &requests[1..] {
            assert_headers(req, false);
            assert!(req.body().is_empty(), "{mode}: {} {} has a body", req.method(), req.uri());
        }
    }
}

#[test]
fn hostname_calls_send_the_right_requests_and_decode() {
    let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac").unwrap();
    let at = "https://api.cloudflare.com/client/v4/zones/9a7806061c88ada191ed06f989cc3dac/certificate_authorities/hostname_associations";
    let listed = r#"{"success":true,"errors":[],"messages":[],"result":{"hostnames":["api.example.com"]}}"#;
    for (mode, make) in MODES {
        let server = Server::new([ok(listed), ok(listed), ok(listed), ok(listed)]);
        let client = make(&server, None, RetryPolicy::default());
        assert_eq!(client.hostnames(&zone, Some(&cert_id())).unwrap().hostnames, ["api.example.com"], "{mode}");
        assert_eq!(client.hostnames(&zone, None).unwrap().hostnames, ["api.example.com"], "{mode}");
        let names = vec![Hostname::new("api.example.com").unwrap()];
        let replace = ReplaceHostnames::new(zone.clone(), names.clone()).with_certificate(cert_id());
        assert_eq!(client.replace_hostnames(&replace).unwrap().hostnames, ["api.example.com"], "{mode}");
        client.replace_hostnames(&ReplaceHostnames::new(zone.clone(), names)).unwrap();

        let requests = server.requests();
        let seen: Vec<(Method, String)> = requests.iter().map(|r| (r.method().clone(), r.uri().to_string())).collect();
        assert_eq!(
            seen,
            vec![
                (Method::GET, format!("{at}?mtls_certificate_id={CERT}")),
                (Method::GET, at.to_owned()),
                (Method::PUT, at.to_owned()),
                (Method::PUT, at.to_owned()),
            ],
            "{mode}"
        );
        assert_headers(&requests[0], false);
        assert_headers(&requests[2], true);
        let body: serde_json::Value = serde_json::from_slice(requests[2].body()).unwrap();
        assert_eq!(body, serde_json::json!({"hostnames": ["api.example.com"], "mtls_certificate_id": CERT}));
        let body: serde_json::Value = serde_json::from_slice(requests[3].body()).unwrap();
        assert_eq!(body, serde_json::json!({"hostnames": ["api.example.com"]}), "the managed CA's: no ID");
    }
}

#[test]
fn a_replace_is_retried_after_a_502_as_a_get_is() {
    let zone = ZoneId::new("9a7806061c88ada191ed06f989cc3dac").unwrap();
    let listed = r#"{"success":true,"result":{"hostnames":["api.example.com"]}}"#;
    for (mode, make) in MODES {
        let server = Server::new([answer(502, &[], HTML_502), ok(listed)]);
        let sleeps = Sleeps::default();
        let client = make(&server, Some(&sleeps), exact());
        let replace = ReplaceHostnames::new(zone.clone(), [Hostname::new("api.example.com").unwrap()]);
        assert_eq!(client.replace_hostnames(&replace).unwrap().hostnames, ["api.example.com"], "{mode}");
        assert_eq!(server.requests().len(), 2, "{mode}: an idempotent PUT is sent again");
        assert_eq!(sleeps.taken(), [Duration::from_millis(500)], "{mode}");
    }
}

#[test]
fn a_429_is_retried_after_the_servers_wait() {
    for (mode, make) in MODES {
        let server = Server::new([
            answer(429, &[("retry-after", "3")], RATE_LIMITED_BODY),
            answer(429, &[("retry-after-ms", "1500")], RATE_LIMITED_BODY),
            ok(GET_BODY),
        ]);
        let sleeps = Sleeps::default();
        let client = make(&server, Some(&sleeps), RetryPolicy::default());
        let cert = client.get(&account(), &cert_id()).unwrap();
        assert_eq!(cert.name.as_deref(), Some("example_ca_cert"), "{mode}");
        // The server's waits, exactly, with no jitter applied to them.
        assert_eq!(sleeps.taken(), vec![Duration::from_secs(3), Duration::from_millis(1500)], "{mode}");
        // Every attempt sends the same request.
        let requests = server.requests();
        assert_eq!(requests.len(), 3, "{mode}");
        for r in &requests[1..] {
            assert_eq!(
                (r.method(), r.uri(), r.headers(), r.body()),
                (requests[0].method(), requests[0].uri(), requests[0].headers(), requests[0].body())
            );
        }
    }
}

#[test]
fn a_5xx_then_success_on_get_backs_off_exponentially() {
    for (mode, make) in MODES {
        let server = Server::new([
            answer(503, &[], HTML_502),
            answer(500, &[], r#"{"success":false,"errors":[{"code":10001,"message":"internal"}]}"#),
            ok(GET_BODY),
        ]);
        let sleeps = Sleeps::default();
        let client = make(&server, Some(&sleeps), exact());
        client.get(&account(), &cert_id()).unwrap();
        assert_eq!(sleeps.taken(), vec![Duration::from_millis(500), Duration::from_millis(1000)], "{mode}");
        assert_eq!(server.count(), 3, "{mode}");
    }
}

#[test]
fn jitter_stays_within_a_quarter_of_the_backoff() {
    for (mode, make) in MODES {
        let server = Server::new([answer(502, &[], HTML_502), answer(502, &[], HTML_502), ok(GET_BODY)]);
        let sleeps = Sleeps::default();
        make(&server, Some(&sleeps), RetryPolicy::default()).get(&account(), &cert_id()).unwrap();
        let taken = sleeps.taken();
        assert_eq!(taken.len(), 2, "{mode}");
        for (d, base) in taken.iter().zip([500u64, 1000]) {
            let base = Duration::from_millis(base);
            assert!(*d <= base && *d >= base.mul_f64(0.75), "{mode}: {d:?} for a backoff of {base:?}");
        }
    }
}

#[test]
fn attempts_are_capped() {
    for (mode, make) in MODES {
        let server = Server::new((0..10).map(|_| answer(503, &[], HTML_502)));
        let sleeps = Sleeps::default();
        let err = make(&server, Some(&sleeps), exact()).get(&account(), &cert_id()).unwrap_err();
        assert_eq!(server.count(), 3, "{mode}: the default is two retries");
        assert_eq!(sleeps.taken(), vec![Duration::from_millis(500), Duration::from_millis(1000)], "{mode}");
        assert!(matches!(err.response(), Some(ResponseError::Http(e)) if e.body == HTML_502.as_bytes()), "{mode}");

        let server = Server::new((0..10).map(|_| answer(503, &[], HTML_502)));
        let sleeps = Sleeps::default();
        let policy = exact().with_max_retries(4);
        make(&server, Some(&sleeps), policy).get(&account(), &cert_id()).unwrap_err();
        assert_eq!(server.count(), 5, "{mode}");
        let ms: Vec<u128> = sleeps.taken().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![500, 1000, 2000, 4000], "{mode}");
    }
}

#[test]
fn without_a_sleep_function_there_is_exactly_one_attempt() {
    for (mode, make) in MODES {
        let server = Server::new([answer(429, &[("retry-after", "7")], RATE_LIMITED_BODY), ok(GET_BODY)]);
        let err = make(&server, None, RetryPolicy::default()).get(&account(), &cert_id()).unwrap_err();
        assert_eq!(server.count(), 1, "{mode}");
        // The wait is handed to the caller instead.
        assert!(err.is_rate_limited(), "{mode}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)), "{mode}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{mode}");

        let server = Server::new([Err(io::Error::new(io::ErrorKind::ConnectionRefused, "refused")), ok(GET_BODY)]);
        make(&server, None, RetryPolicy::default()).get(&account(), &cert_id()).unwrap_err();
        assert_eq!(server.count(), 1, "{mode}");
    }
}

#[test]
fn retry_policy_never_makes_one_attempt_even_with_a_sleep_function() {
    for (mode, make) in MODES {
        let server = Server::new([answer(503, &[], HTML_502), ok(GET_BODY)]);
        let sleeps = Sleeps::default();
        let err = make(&server, Some(&sleeps), RetryPolicy::never()).get(&account(), &cert_id()).unwrap_err();
        assert_eq!((server.count(), sleeps.taken().len()), (1, 0), "{mode}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{mode}");
    }
}

#[test]
fn a_wait_longer_than_the_policy_accepts_is_left_to_the_caller() {
    for (mode, make) in MODES {
        let server = Server::new([answer(429, &[("retry-after", "300")], RATE_LIMITED_BODY), ok(GET_BODY)]);
        let sleeps = Sleeps::default();
        let err = make(&server, Some(&sleeps), RetryPolicy::default()).get(&account(), &cert_id()).unwrap_err();
        assert_eq!((server.count(), sleeps.taken().len()), (1, 0), "{mode}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(300)), "{mode}");
    }
}

#[test]
fn an_upload_is_not_retried_after_a_502_but_is_after_a_429() {
    let upload = Upload::ca(account(), CA_PEM);
    for (mode, make) in MODES {
        let server = Server::new([answer(502, &[], HTML_502), ok(UPLOAD_BODY)]);
        let sleeps = Sleeps::default();
        let err = make(&server, Some(&sleeps), exact()).upload(&upload).unwrap_err();
        assert_eq!((server.count(), sleeps.taken().len()), (1, 0), "{mode}");
        assert_eq!(err.call(), Call::Upload);
        assert_eq!(err.response().and_then(ResponseError::body), Some(HTML_502.as_bytes()), "{mode}");

        // The same transport error that a GET retries: the upload may have reached the server.
        let server = Server::new([Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")), ok(UPLOAD_BODY)]);
        let err = make(&server, Some(&sleeps), exact()).upload(&upload).unwrap_err();
        assert_eq!(server.count(), 1, "{mode}");
        assert!(matches!(err, Error::Transport { call: Call::Upload, .. }), "{mode}");

        // A 429 was refused before anything happened: safe to send again.
        let server = Server::new([answer(429, &[("retry-after", "2")], RATE_LIMITED_BODY), ok(UPLOAD_BODY)]);
        let sleeps = Sleeps::default();
        make(&server, Some(&sleeps), exact()).upload(&upload).unwrap();
        assert_eq!((server.count(), sleeps.taken()), (2, vec![Duration::from_secs(2)]), "{mode}");
    }
}

#[test]
fn list_all_walks_every_page_in_order_with_one_request_per_page() {
    let ids: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    let page = |n: u64, range: std::ops::Range<usize>| {
        let result: Vec<_> = ids[range].iter().map(|id| serde_json::json!({"id": id})).collect();
        let info = ResultInfo::for_page(n, 2, result.len() as u64, 5);
        ok(&serde_json::json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": info})
            .to_string())
    };
    for (mode, make) in MODES {
        let server = Server::new([page(1, 0..2), page(2, 2..4), page(3, 4..5)]);
        let items =
            make(&server, None, RetryPolicy::default()).list_all(List::new(account()).with_ca(false).with_per_page(2));
        let got: Vec<String> = items.into_iter().map(|c| c.unwrap().id.unwrap().into_string()).collect();
        assert_eq!(got, ids, "{mode}");
        let uris: Vec<String> = server.requests().iter().map(|r| r.uri().to_string()).collect();
        let want: Vec<String> = (1..=3).map(|p| format!("{BASE}?ca=false&page={p}&per_page=2")).collect();
        assert_eq!(uris, want, "{mode}");
    }
}

#[test]
fn list_all_stops_with_a_paging_error_on_a_repeating_server() {
    let first = serde_json::json!({
        "success": true,
        "result": [{"id": "c0"}, {"id": "c1"}],
        "result_info": {"per_page": 2}
    })
    .to_string();
    let stuck_on_page_one = serde_json::json!({
        "success": true,
        "result": [{"id": "c0"}, {"id": "c1"}],
        "result_info": {"page": 1, "per_page": 2, "total_count": 10}
    })
    .to_string();
    for (mode, make) in MODES {
        // The same items again, with no page number to tell.
        let server = Server::new((0..10).map(|_| ok(&first)));
        let items = make(&server, None, RetryPolicy::default()).list_all(List::new(account()).with_per_page(2));
        assert_eq!(items.len(), 3, "{mode}: two items, then the error, then the end");
        assert!(items[0].is_ok() && items[1].is_ok());
        match &items[2] {
            Err(e @ Error::Paging { call: Call::List, source: PagerError::Repeated { id, first: 1, page: 2 } })
                if id == "c0" =>
            {
                assert!(e.to_string().starts_with("list certificates: "), "{e}");
            }
            other => panic!("{mode}: {other:?}"),
        }
        assert_eq!(server.count(), 2, "{mode}");

        // A server that answers page 1 whatever is asked.
        let server = Server::new((0..10).map(|_| ok(&stuck_on_page_one)));
        let items = make(&server, None, RetryPolicy::default()).list_all(List::new(account()).with_per_page(2));
        assert!(
            matches!(items.last(), Some(Err(Error::Paging { source: PagerError::WrongPage { asked: 2, got: 1 }, .. }))),
            "{mode}: {items:?}"
        );
        assert_eq!((items.len(), server.count()), (3, 2), "{mode}");
    }
}

#[test]
fn list_all_ends_after_an_error() {
    for (mode, make) in MODES {
        let server = Server::new([answer(403, &[], NOT_FOUND_BODY), ok(LIST_BODY)]);
        let items = make(&server, None, RetryPolicy::default()).list_all(List::new(account()));
        assert_eq!(items.len(), 1, "{mode}");
        assert!(matches!(&items[0], Err(Error::Response { call: Call::List, .. })), "{mode}");
        assert_eq!(server.count(), 1, "{mode}");
    }
}

#[test]
fn errors_name_the_call() {
    for (mode, make) in MODES {
        let server = Server::new((0..5).map(|_| answer(404, &[], NOT_FOUND_BODY)));
        let client = make(&server, None, RetryPolicy::default());
        let (a, c) = (account(), cert_id());
        let errors = [
            client.upload(&Upload::ca(a.clone(), CA_PEM)).unwrap_err(),
            client.list(&List::new(a.clone())).unwrap_err(),
            client.get(&a, &c).unwrap_err(),
            client.delete(&a, &c).unwrap_err(),
            client.associations(&a, &c).unwrap_err(),
        ];
        let calls = [Call::Upload, Call::List, Call::Get, Call::Delete, Call::Associations];
        let names = [
            "upload certificate",
            "list certificates",
            "get certificate",
            "delete certificate",
            "list certificate associations",
        ];
        for ((err, call), name) in errors.iter().zip(calls).zip(names) {
            assert_eq!(err.call(), call, "{mode}");
            assert!(err.is_not_found(), "{mode}");
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("{name}: ")), "{mode}: {shown}");
            assert!(shown.contains("7003 Could not route"), "{mode}: {shown}");
        }
    }
}

#[test]
fn a_transport_error_is_kept_as_is() {
    for (mode, make) in MODES {
        let server = Server::new((0..3).map(|_| Err(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"))));
        let sleeps = Sleeps::default();
        let err = make(&server, Some(&sleeps), exact()).get(&account(), &cert_id()).unwrap_err();
        // A GET is retried after a transport error; the last error comes back untouched.
        assert_eq!(server.count(), 3, "{mode}");
        match &err {
            Error::Transport { call: Call::Get, source } => assert_eq!(source.kind(), io::ErrorKind::ConnectionRefused),
            other => panic!("{mode}: {other:?}"),
        }
        assert_eq!(err.to_string(), "get certificate: transport error: refused");
        assert!(err.response().is_none() && err.status().is_none() && err.retry_after().is_none());
        // Its message is already in this one: the source is what it does not show (nothing).
        assert!(std::error::Error::source(&err).is_none(), "{mode}: the transport error is shown, not repeated");
    }
}

#[test]
fn build_errors_send_nothing() {
    for (mode, make) in MODES {
        let server = Server::new([ok(UPLOAD_BODY), ok(LIST_BODY)]);
        let sleeps = Sleeps::default();
        let client = make(&server, Some(&sleeps), RetryPolicy::default());
        let err = client.upload(&Upload::ca(account(), "not a PEM file")).unwrap_err();
        assert!(
            matches!(err, Error::Build { call: Call::Upload, source: BuildError::InvalidCertificates(_) }),
            "{mode}: {err:?}"
        );
        assert!(err.to_string().starts_with("upload certificate: invalid certificates: "), "{err}");
        let with_bad_key = Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new("SECRET"));
        let err = client.upload(&with_bad_key).unwrap_err();
        assert!(matches!(err, Error::Build { source: BuildError::InvalidPrivateKey(_), .. }), "{mode}");
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{mode}");
        let err = client.list(&List::new(account()).with_per_page(0)).unwrap_err();
        assert!(matches!(err, Error::Build { call: Call::List, source: BuildError::InvalidParameter { .. } }));
        assert_eq!((server.count(), sleeps.taken().len()), (0, 0), "{mode}");
    }
}

#[test]
fn the_same_seed_draws_the_same_jitter() {
    let run = |seed: u64| {
        let server = Server::new([answer(503, &[], HTML_502), answer(503, &[], HTML_502), ok(GET_BODY)]);
        let sleeps = Sleeps::default();
        let client = BlockingClient::new(config(), |req: Request<Vec<u8>>| server.answer(req))
            .with_sleep(|d: Duration| sleeps.record(d))
            .with_seed(seed);
        client.get(&account(), &cert_id()).unwrap();
        sleeps.taken()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

// ---------------------------------------------------------------------------------------------
// A transport that can tell how far a failed request got.

/// A connection failure that says whether the request left.
#[derive(Debug)]
struct Dropped(Failure);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection failed ({:?})", self.0)
    }
}

impl std::error::Error for Dropped {}

/// Fails with the scripted failures, then answers with the upload fixture.
#[derive(Default)]
struct Flaky {
    failures: Mutex<VecDeque<Failure>>,
    sent: Mutex<usize>,
}

impl Flaky {
    fn new(failures: &[Failure]) -> Self {
        Self { failures: Mutex::new(failures.iter().copied().collect()), sent: Mutex::new(0) }
    }

    fn sent(&self) -> usize {
        *self.sent.lock().unwrap()
    }
}

impl HttpClient for Flaky {
    type Error = Dropped;
    type Body = &'static [u8];

    fn send(&self, _: Request<Vec<u8>>) -> Result<Response<&'static [u8]>, Dropped> {
        *self.sent.lock().unwrap() += 1;
        match self.failures.lock().unwrap().pop_front() {
            Some(failure) => Err(Dropped(failure)),
            None => Ok(Response::new(UPLOAD_BODY.as_bytes())),
        }
    }

    fn failure(error: &Dropped) -> Failure {
        error.0
    }
}

impl AsyncHttpClient for Flaky {
    type Error = Dropped;
    type Body = &'static [u8];

    fn send(&self, request: Request<Vec<u8>>) -> impl Future<Output = Result<Response<&'static [u8]>, Dropped>> {
        std::future::ready(HttpClient::send(self, request))
    }

    fn failure(error: &Dropped) -> Failure {
        error.0
    }
}

#[test]
fn an_upload_is_retried_only_when_the_transport_says_it_was_not_sent() {
    let upload = Upload::ca(account(), CA_PEM);
    let cases: [(&[Failure], usize, bool); 4] = [
        (&[Failure::NotSent], 2, true),
        (&[Failure::NotSent, Failure::NotSent], 3, true),
        (&[Failure::MaybeSent], 1, false),
        (&[Failure::NotSent, Failure::MaybeSent], 2, false),
    ];
    for (failures, attempts, succeeds) in cases {
        let sleeps = Sleeps::default();
        let flaky = Flaky::new(failures);
        let client =
            BlockingClient::new(config(), flaky).with_sleep(|d: Duration| sleeps.record(d)).with_retry(exact());
        let result = client.upload(&upload);
        assert_eq!((client.transport().sent(), result.is_ok()), (attempts, succeeds), "blocking {failures:?}");
        assert_eq!(sleeps.taken().len(), attempts - 1);
        if let Err(e) = result {
            assert!(matches!(e, Error::Transport { call: Call::Upload, source: Dropped(Failure::MaybeSent) }));
        }

        let sleeps = Sleeps::default();
        let client = AsyncClient::new(config(), Flaky::new(failures))
            .with_sleep(|d: Duration| {
                sleeps.record(d);
                std::future::ready(())
            })
            .with_retry(exact());
        let result = block_on(client.upload(&upload));
        assert_eq!((client.transport().sent(), result.is_ok()), (attempts, succeeds), "async {failures:?}");
        assert_eq!(sleeps.taken().len(), attempts - 1);
    }
    // A GET is retried after either kind of failure.
    let client = BlockingClient::new(config(), Flaky::new(&[Failure::MaybeSent, Failure::NotSent]))
        .with_sleep(|_: Duration| ())
        .with_retry(exact());
    client.get(&account(), &cert_id()).unwrap();
    assert_eq!(client.transport().sent(), 3);
}

#[test]
fn async_futures_are_send_when_the_transport_is() {
    fn assert_send<T: Send>(_: &T) {}
    let server = Server::new([ok(GET_BODY)]);
    let client = AsyncClient::new(config(), |req: Request<Vec<u8>>| std::future::ready(server.answer(req)))
        .with_sleep(|_: Duration| std::future::ready(()));
    let (a, c) = (account(), cert_id());
    let upload = Upload::ca(a.clone(), CA_PEM);
    let list = List::new(a.clone());
    assert_send(&client.upload(&upload));
    assert_send(&client.list(&list));
    assert_send(&client.delete(&a, &c));
    assert_send(&client.associations(&a, &c));
    assert_send(&client.execute(&list));
    let pages = client.list_all(list.clone());
    assert_send(&pages);
    let get = client.get(&a, &c);
    assert_send(&get);
    // The futures above were only built, never polled: nothing was sent until this one runs.
    assert_eq!(server.count(), 0);
    assert!(block_on(get).is_ok());
    assert_eq!(server.count(), 1);
}
