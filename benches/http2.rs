//! Issue 21, part 3: HTTP/2 against HTTP/1.1, measured, with h2load (Debian's
//! `nghttp2-client`) as the server-side reference against the same fakes in the same run.
//!
//! `cargo bench --bench http2 --features hyper,fake-server`
//!
//! Two TLS fakes, one offering `h2` and `http/1.1` by ALPN, one `http/1.1` only, each
//! holding one certificate. Two bodies: a `get` of the certificate (2 KiB of JSON) and its
//! associations (an empty list, 101 bytes). For each:
//! - h2load: 64 streams on one h2 connection, and 64 HTTP/1.1 connections;
//! - the bundled hyper client, 64 tasks sharing it, interleaved round by round, with the CPU
//!   time of the fake's thread and of the rest of the process (the client) per call;
//! - hyper-util alone with the same TLS, to tell the crate's share from hyper's.
//!
//! Then the connections 64 concurrent first calls open, with pacing on (the pacer sends one
//! call alone until the first answer) and off.
//!
//! In divan's test mode (`cargo test --benches`) it only checks that both fakes answer over
//! the protocol they offer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use cloudflare_mtls::{AccountId, CertificateId, Config, Credentials, Endpoint, List, Pacing};

#[path = "support/mod.rs"]
mod support;

/// Calls in flight, calls per task, and rounds of the interleaved runs.
const IN_FLIGHT: usize = 64;
const PER_TASK: usize = 16;
const ROUNDS: usize = 15;
/// Requests per h2load run.
const H2LOAD_REQUESTS: usize = 20_000;

fn main() {
    divan::main();
    let bench = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tls = FakeTls::new().unwrap();
    let h2 = Fake::start(tls.clone());
    let h1 = Fake::start(tls.clone().http1_only());
    if !bench {
        // Test mode: each fake answers, over the protocol it offers.
        for fake in [&h1, &h2] {
            let client = rt.block_on(async { fake.client(&tls, Pacing::off()) });
            rt.block_on(client.get(&fake.account, &fake.id)).unwrap();
        }
        assert_eq!((h1.server.requests_over_http2(), h2.server.requests_over_http2()), (0, 1));
        return;
    }

    eprintln!("\nHTTP/2 vs HTTP/1.1 over TLS, 64 in flight (2 cores; client and fake in one process)");
    for body in [Body::Certificate, Body::Empty] {
        eprintln!("\n== {} ==", body.describe());
        h2load(&h2, &h1, body);
        bundled(&rt, &tls, &h2, &h1, body);
        bare(&rt, &tls, &h2, &h1, body);
    }
    first_calls(&rt, &tls, &h2);
}

/// What the calls ask for.
#[derive(Clone, Copy)]
enum Body {
    /// `get` of the certificate: 2 KiB of JSON.
    Certificate,
    /// Its associations: `{"result":[],…}`, about 100 bytes.
    Empty,
}

impl Body {
    fn describe(self) -> &'static str {
        match self {
            Self::Certificate => "get: a 2 KiB certificate",
            Self::Empty => "associations: an empty list (101 B)",
        }
    }
}

/// A TLS fake holding one certificate.
struct Fake {
    server: FakeServer,
    account: AccountId,
    id: CertificateId,
}

impl Fake {
    fn start(tls: FakeTls) -> Self {
        let account = AccountId::new(support::ACCOUNT).unwrap();
        let mut api = FakeApi::new(support::TOKEN, account.clone());
        let fixture = support::list_envelope(1);
        let page = List::new(account.clone()).parse_response(&http::Response::new(&fixture.body[..])).unwrap();
        let id = page.items.into_iter().filter_map(|c| api.insert(c)).next().unwrap();
        let server = FakeServer::builder(api).with_tls(tls).start().unwrap();
        Self { server, account, id }
    }

    fn config(&self) -> Config {
        Config::new(Credentials::api_token(support::TOKEN).unwrap()).with_base_url(self.server.base_url())
    }

    /// The bundled client (in a runtime's context), trusting the fake's CA.
    fn client(&self, tls: &FakeTls, pacing: Pacing) -> cloudflare_mtls::hyper::Client {
        cloudflare_mtls::hyper::Builder::new(self.config())
            .with_roots(cloudflare_mtls::hyper::Roots::from_pem(tls.ca_pem()).unwrap())
            .with_pacing(pacing)
            .build()
    }

    fn url(&self, body: Body) -> String {
        let base = self.server.base_url();
        let base = base.as_str().trim_end_matches('/');
        let (account, id) = (&self.account, &self.id);
        match body {
            Body::Certificate => format!("{base}/accounts/{account}/mtls_certificates/{id}"),
            Body::Empty => format!("{base}/accounts/{account}/mtls_certificates/{id}/associations"),
        }
    }
}

/// CPU time (ns) of the fake's thread, and of every other thread of the process, from
/// `/proc/self/task/*/schedstat` (Linux).
fn cpu() -> (u64, u64) {
    let (mut fake, mut rest) = (0, 0);
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let read = |file| std::fs::read_to_string(task.path().join(file)).unwrap_or_default();
        let ns: u64 = read("schedstat").split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
        if read("comm").starts_with("fake-server") { fake += ns } else { rest += ns }
    }
    (fake, rest)
}

/// h2load's requests per second against `fake`, or why there is none.
fn h2load_rate(fake: &Fake, body: Body, h1: bool) -> Result<f64, String> {
    let mut command = std::process::Command::new("h2load");
    command.args(["-n", &H2LOAD_REQUESTS.to_string(), "-t", "1"]);
    if h1 {
        command.args(["--h1", "-c", "64", "-m", "1"]);
    } else {
        command.args(["-c", "1", "-m", "64"]);
    }
    command.args(["-H", &format!("authorization: Bearer {}", support::TOKEN), &fake.url(body)]);
    let out = command.output().map_err(|e| format!("h2load did not run ({e}); apt-get install nghttp2-client"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("finished in ")?.split(", ").nth(1)?.strip_suffix(" req/s")?.parse().ok());
    let ok = text.lines().any(|l| l.contains(&format!("{H2LOAD_REQUESTS} succeeded")));
    match (rate, ok) {
        (Some(rate), true) => Ok(rate),
        _ => Err(format!("h2load failed: {}", text.lines().rev().take(6).collect::<Vec<_>>().join(" | "))),
    }
}

fn h2load(h2: &Fake, h1: &Fake, body: Body) {
    // Median of three runs each, alternating.
    let mut rates = [Vec::new(), Vec::new()];
    for _ in 0..3 {
        for (i, (fake, http1)) in [(h1, true), (h2, false)].into_iter().enumerate() {
            match h2load_rate(fake, body, http1) {
                Ok(rate) => rates[i].push(rate),
                Err(why) => return eprintln!("  h2load: skipped: {why}"),
            }
        }
    }
    let [r1, r2] = rates.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    });
    eprintln!("  h2load (the server's reference, 1 client thread), median of 3 x {H2LOAD_REQUESTS} requests:");
    eprintln!("    HTTP/1.1, 64 connections        {r1:10.0} req/s");
    eprintln!("    HTTP/2, 64 streams, 1 connection {r2:9.0} req/s   {:.2}x HTTP/1.1", r2 / r1);
}

/// Calls per second and CPU per call of `burst` over `rounds`, interleaved with the other.
fn compare(name: &str, bursts: &mut [(&str, &mut dyn FnMut())]) {
    let calls = (IN_FLIGHT * PER_TASK) as f64;
    let mut samples: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); bursts.len()];
    for round in 0..ROUNDS {
        for k in 0..bursts.len() {
            let i = (k + round) % bursts.len();
            let (fake_before, rest_before) = cpu();
            let started = Instant::now();
            (bursts[i].1)();
            let took = started.elapsed().as_secs_f64();
            let (fake_after, rest_after) = cpu();
            samples[i].push((
                calls / took,
                (fake_after - fake_before) as f64 / calls / 1e3,
                (rest_after - rest_before) as f64 / calls / 1e3,
            ));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!("  {name}, {ROUNDS} rounds x {} calls, medians:", IN_FLIGHT * PER_TASK);
    let base = median(samples[0].iter().map(|s| s.0).collect());
    for ((label, _), s) in bursts.iter().zip(&samples) {
        let rate = median(s.iter().map(|s| s.0).collect());
        let fake = median(s.iter().map(|s| s.1).collect());
        let client = median(s.iter().map(|s| s.2).collect());
        eprintln!(
            "    {label:<32} {rate:9.0} calls/s {:5.2}x   CPU per call: fake {fake:5.1} µs, client {client:5.1} µs",
            rate / base
        );
    }
}

fn bundled(rt: &tokio::runtime::Runtime, tls: &FakeTls, h2: &Fake, h1: &Fake, body: Body) {
    let burst = |fake: &Fake, client: &Arc<cloudflare_mtls::hyper::Client>| {
        rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let (client, account, id) = (Arc::clone(client), fake.account.clone(), fake.id.clone());
                tasks.spawn(async move {
                    for _ in 0..PER_TASK {
                        match body {
                            Body::Certificate => drop(divan::black_box(client.get(&account, &id).await.unwrap())),
                            Body::Empty => drop(divan::black_box(client.associations(&account, &id).await.unwrap())),
                        }
                    }
                });
            }
            tasks.join_all().await;
        })
    };
    let (c1, c2) =
        rt.block_on(async { (Arc::new(h1.client(tls, Pacing::off())), Arc::new(h2.client(tls, Pacing::off()))) });
    // One call first, as a service's would be: the h2 connection exists before the burst.
    burst_one(rt, h1, &c1);
    burst_one(rt, h2, &c2);
    let served = (h1.server.requests_served(), h2.server.connections_accepted());
    compare(
        "the bundled hyper client, 64 tasks",
        &mut [("HTTP/1.1", &mut || burst(h1, &c1)), ("HTTP/2", &mut || burst(h2, &c2))],
    );
    eprintln!(
        "    connections: HTTP/1.1 {} for {} requests; HTTP/2 {} new",
        h1.server.connections_accepted(),
        h1.server.requests_served() - served.0,
        h2.server.connections_accepted() - served.1
    );
}

fn burst_one(rt: &tokio::runtime::Runtime, fake: &Fake, client: &cloudflare_mtls::hyper::Client) {
    rt.block_on(client.get(&fake.account, &fake.id)).unwrap();
}

/// hyper-util alone, as the bundled transport builds it (TCP_NODELAY), trusting the fake's
/// CA; and two variants: larger h2 windows, and Nagle's algorithm left on.
fn bare(rt: &tokio::runtime::Runtime, tls: &FakeTls, h2: &Fake, h1: &Fake, body: Body) {
    use ::bytes::Bytes;
    use ::http_body_util::{BodyExt, Empty};
    use ::hyper_util::client::legacy::Client;
    use ::hyper_util::rt::{TokioExecutor, TokioTimer};
    type Pool =
        Client<::hyper_rustls::HttpsConnector<::hyper_util::client::legacy::connect::HttpConnector>, Empty<Bytes>>;
    let pool = |nodelay: bool, tune: &dyn Fn(&mut ::hyper_util::client::legacy::Builder)| -> Pool {
        let mut roots = ::rustls::RootCertStore::empty();
        for cert in ::rustls_pki_types::pem::PemObject::pem_slice_iter(tls.ca_pem().as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config =
            ::rustls::ClientConfig::builder_with_provider(Arc::new(::rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let mut http = ::hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(nodelay);
        let connector = ::hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_only()
            .enable_all_versions()
            .wrap_connector(http);
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_timer(TokioTimer::new());
        tune(&mut builder);
        builder.build(connector)
    };
    let request = |fake: &Fake| {
        http::Request::get(fake.url(body))
            .header("authorization", format!("Bearer {}", support::TOKEN))
            .body(Empty::<Bytes>::new())
            .unwrap()
    };
    let burst = |fake: &Fake, pool: &Pool| {
        let request = request(fake);
        rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let (pool, request) = (pool.clone(), request.clone());
                tasks.spawn(async move {
                    for _ in 0..PER_TASK {
                        let response = pool.request(request.clone()).await.unwrap();
                        assert_eq!(response.status(), 200);
                        divan::black_box(response.into_body().collect().await.unwrap().to_bytes());
                    }
                });
            }
            tasks.join_all().await;
        })
    };
    let (p1, p2, p2_window, p2_nagle) = rt.block_on(async {
        (
            pool(true, &|_| {}),
            pool(true, &|_| {}),
            // Windows as large as a burst's bodies, from the start (hyper's client defaults:
            // 2 MiB a stream, 5 MiB the connection).
            pool(true, &|b| {
                b.http2_initial_stream_window_size(Some(8 << 20)).http2_initial_connection_window_size(Some(32 << 20));
            }),
            pool(false, &|_| {}),
        )
    });
    for (fake, pool) in [(h1, &p1), (h2, &p2), (h2, &p2_window), (h2, &p2_nagle)] {
        rt.block_on(async { pool.request(request(fake)).await.unwrap().into_body().collect().await.unwrap() });
    }
    compare(
        "hyper-util alone, 64 tasks",
        &mut [
            ("HTTP/1.1", &mut || burst(h1, &p1)),
            ("HTTP/2", &mut || burst(h2, &p2)),
            ("HTTP/2, larger windows", &mut || burst(h2, &p2_window)),
            ("HTTP/2, client with Nagle", &mut || burst(h2, &p2_nagle)),
        ],
    );
}

/// Connections opened by 64 concurrent first calls of a new client, pacing on and off.
fn first_calls(rt: &tokio::runtime::Runtime, tls: &FakeTls, h2: &Fake) {
    eprintln!("\n== 64 concurrent first calls of a new client, against the h2 fake (5 clients each) ==");
    for (label, pacing) in [("pacing on (default)", Pacing::default()), ("pacing off", Pacing::off())] {
        let mut opened = Vec::new();
        let mut took = Vec::new();
        for _ in 0..5 {
            let before = h2.server.connections_accepted();
            let client = rt.block_on(async { Arc::new(h2.client(tls, pacing)) });
            let started = Instant::now();
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (client, account, id) = (Arc::clone(&client), h2.account.clone(), h2.id.clone());
                    tasks.spawn(async move { client.get(&account, &id).await.unwrap() });
                }
                tasks.join_all().await;
            });
            took.push(started.elapsed());
            opened.push(h2.server.connections_accepted() - before);
        }
        let slowest = took.iter().max().copied().unwrap_or(Duration::ZERO);
        eprintln!(
            "  {label:<20} connections opened: {opened:?}; all 64 answered within {:.1} ms",
            slowest.as_secs_f64() * 1e3
        );
    }
}
