//! Part 3 of issue 5: end to end over loopback, against the fake server (latency 0).
//!
//! `cargo bench --bench e2e --features ureq,hyper,fake-server`
//!
//! Each client is measured against the bare HTTP library it is built on, sending the same
//! request bytes (the crate's own `Get` request, built once) with the body read and
//! discarded. Three rungs per library:
//! - `bare`: the library alone (ureq `Agent` / hyper-util `Client`);
//! - `core_over_bare`: the crate's client (request building, retry state machine, decoding)
//!   over that same agent or pool, passed in as a closure;
//! - `bundled`: `cloudflare_mtls::ureq::client` / `cloudflare_mtls::hyper::client`, with
//!   their own settings (timeouts, size limit).
//!
//! Every divan iteration is a batch of sequential calls (the counter gives calls/s). Each
//! bench prints how many TCP connections the fake accepted for how many requests. After the
//! divan table, an interleaved A/B run (the rungs alternate, batch by batch) prints the
//! ratios, which are far steadier than comparing medians taken minutes apart on a shared
//! machine.

use std::sync::Arc;
use std::time::Duration;

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{
    AccountId, AsyncClient, AsyncHttpClient, BlockingClient, CertificateId, Config, Credentials, Endpoint, Get,
    HttpClient, List,
};
use divan::Bencher;
use divan::counter::ItemsCount;

#[path = "support/mod.rs"]
mod support;

/// Sequential calls per iteration: enough to hide the per-iteration overhead.
const BATCH: usize = 50;
/// Calls in flight for the concurrent runs, and calls per task.
const IN_FLIGHT: usize = 64;
const PER_TASK: usize = 8;
/// Rounds of the interleaved A/B run.
const ROUNDS: usize = 40;

fn main() {
    divan::main();
    // Only when benchmarking for real (`cargo bench`), not in divan's test mode.
    if std::env::args().any(|a| a == "--bench") {
        ureq_client::ab();
        hyper_client::ab();
    }
}

/// The fake server holding one realistic certificate (a 2 KiB `get` response), and what a
/// client needs to ask for it.
struct Setup {
    server: FakeServer,
    config: Config,
    account: AccountId,
    id: CertificateId,
}

impl Setup {
    fn new() -> Self {
        let account = AccountId::new(support::ACCOUNT).unwrap();
        let mut api = FakeApi::new(support::TOKEN, account.clone());
        let fixture = support::list_envelope(1);
        let page = List::new(account.clone()).parse_response(&http::Response::new(&fixture.body[..])).unwrap();
        let id = page.items.into_iter().filter_map(|c| api.insert(c)).next().unwrap();
        let server = FakeServer::start(api).unwrap();
        server.set_latency(Duration::ZERO);
        let config = Config::new(Credentials::api_token(support::TOKEN).unwrap()).with_base_url(server.base_url());
        Self { server, config, account, id }
    }

    /// The request the crate sends for `get`, to replay through the bare libraries.
    fn request(&self) -> http::Request<Vec<u8>> {
        Get::new(self.account.clone(), self.id.clone()).to_request(&self.config).unwrap()
    }

    fn report(&self, what: &str) {
        eprintln!(
            "  [{what}] connections accepted: {}, requests served: {}",
            self.server.connections_accepted(),
            self.server.requests_served()
        );
    }
}

mod ureq_client {
    use super::*;

    /// An agent configured as `cloudflare_mtls::ureq` configures its own; `timeouts` adds
    /// its connect, resolve and global timeouts.
    fn agent(timeouts: bool) -> ::ureq::Agent {
        let config = ::ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).accept_encoding("");
        let config = if timeouts {
            config
                .timeout_connect(Some(cloudflare_mtls::ureq::DEFAULT_CONNECT_TIMEOUT))
                .timeout_resolve(Some(cloudflare_mtls::ureq::DEFAULT_CONNECT_TIMEOUT))
                .timeout_global(Some(cloudflare_mtls::ureq::DEFAULT_TIMEOUT))
        } else {
            config
        };
        config.build().new_agent()
    }

    /// One call through ureq alone; the body is read, then dropped.
    fn bare_call(agent: &::ureq::Agent, parts: &http::request::Parts) {
        let response = agent.run(http::Request::from_parts(parts.clone(), ())).unwrap();
        assert_eq!(response.status(), 200);
        divan::black_box(response.into_body().read_to_vec().unwrap());
    }

    /// The crate's blocking client over `agent`, sending as the bundled transport does.
    fn core_over(
        agent: ::ureq::Agent,
        config: Config,
    ) -> BlockingClient<impl HttpClient<Body = Vec<u8>, Error = ::ureq::Error>> {
        BlockingClient::new(config, move |request: http::Request<Vec<u8>>| {
            let (parts, _) = request.into_parts();
            let (parts, body) = agent.run(http::Request::from_parts(parts, ()))?.into_parts();
            Ok(http::Response::from_parts(parts, body.into_with_config().read_to_vec()?))
        })
    }

    fn bench_bare(bencher: Bencher, timeouts: bool, label: &str) {
        let setup = Setup::new();
        let (parts, _) = setup.request().into_parts();
        let agent = agent(timeouts);
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| (0..BATCH).for_each(|_| bare_call(&agent, &parts)));
        setup.report(label);
    }

    #[divan::bench]
    fn bare(bencher: Bencher) {
        bench_bare(bencher, false, "ureq bare");
    }

    #[divan::bench]
    fn bare_with_timeouts(bencher: Bencher) {
        bench_bare(bencher, true, "ureq bare with the bundled client's timeouts");
    }

    #[divan::bench]
    fn core_over_bare(bencher: Bencher) {
        let setup = Setup::new();
        let client = core_over(agent(false), setup.config.clone());
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            (0..BATCH).for_each(|_| drop(divan::black_box(client.get(&setup.account, &setup.id).unwrap())))
        });
        setup.report("ureq core over bare agent");
    }

    #[divan::bench]
    fn bundled(bencher: Bencher) {
        let setup = Setup::new();
        let client = support::unpaced_ureq(setup.config.clone());
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            (0..BATCH).for_each(|_| drop(divan::black_box(client.get(&setup.account, &setup.id).unwrap())))
        });
        setup.report("ureq bundled client");
    }

    /// The four rungs, interleaved batch by batch.
    pub fn ab() {
        let setup = Setup::new();
        let (parts, _) = setup.request().into_parts();
        let (plain, timed) = (agent(false), agent(true));
        let core = core_over(agent(false), setup.config.clone());
        let bundled = support::unpaced_ureq(setup.config.clone());
        let times = support::interleave(
            ROUNDS,
            BATCH,
            &mut [
                &mut || bare_call(&plain, &parts),
                &mut || drop(core.get(&setup.account, &setup.id).unwrap()),
                &mut || bare_call(&timed, &parts),
                &mut || drop(bundled.get(&setup.account, &setup.id).unwrap()),
            ],
        );
        let names = ["bare ureq", "core over bare ureq", "bare ureq + bundled timeouts", "bundled ureq client"];
        support::summarise("e2e sequential get, ureq", BATCH, &names, &times);
        setup.report("ureq A/B, all rungs");
    }
}

mod hyper_client {
    use super::*;
    use ::bytes::Bytes;
    use ::http_body_util::{BodyExt, Full};
    use ::hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
    use ::hyper_util::client::legacy::connect::HttpConnector;
    use ::hyper_util::rt::{TokioExecutor, TokioTimer};

    type Pool = ::hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
    }

    /// The pool `cloudflare_mtls::hyper` builds: hyper-util's legacy client over
    /// hyper-rustls (ring, webpki roots, h2 and http/1.1 by ALPN) allowing plain http, with a
    /// pool timer.
    fn pool() -> Pool {
        let provider = Arc::new(::rustls::crypto::ring::default_provider());
        let mut roots = ::rustls::RootCertStore::empty();
        roots.extend(::webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = ::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        ::hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(connector)
    }

    /// One call through hyper-util alone; the body is collected, then dropped.
    async fn bare_call(pool: &Pool, request: &http::Request<Vec<u8>>) {
        let response = pool.request(request.clone().map(|b| Full::new(Bytes::from(b)))).await.unwrap();
        assert_eq!(response.status(), 200);
        divan::black_box(response.into_body().collect().await.unwrap().to_bytes());
    }

    /// The crate's async client over `pool`, sending as the bundled transport does.
    fn core_over(
        pool: Pool,
        config: Config,
    ) -> AsyncClient<impl AsyncHttpClient<Body = Bytes, Error = Box<dyn std::error::Error + Send + Sync>>> {
        AsyncClient::new(config, move |request: http::Request<Vec<u8>>| {
            let pool = pool.clone();
            async move {
                let response = pool.request(request.map(|b| Full::new(Bytes::from(b)))).await?;
                let (parts, body) = response.into_parts();
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(http::Response::from_parts(
                    parts,
                    body.collect().await?.to_bytes(),
                ))
            }
        })
    }

    #[divan::bench]
    fn bare(bencher: Bencher) {
        let setup = Setup::new();
        let request = setup.request();
        let rt = runtime();
        let pool = rt.block_on(async { pool() });
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    bare_call(&pool, &request).await;
                }
            })
        });
        setup.report("hyper bare");
    }

    #[divan::bench]
    fn core_over_bare(bencher: Bencher) {
        let setup = Setup::new();
        let rt = runtime();
        let client = rt.block_on(async { core_over(pool(), setup.config.clone()) });
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    divan::black_box(client.get(&setup.account, &setup.id).await.unwrap());
                }
            })
        });
        setup.report("hyper core over bare pool");
    }

    #[divan::bench]
    fn bundled(bencher: Bencher) {
        let setup = Setup::new();
        let rt = runtime();
        let client = rt.block_on(async { support::unpaced_hyper(setup.config.clone()) });
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            rt.block_on(async {
                for _ in 0..BATCH {
                    divan::black_box(client.get(&setup.account, &setup.id).await.unwrap());
                }
            })
        });
        setup.report("hyper bundled client");
    }

    /// hyper-util alone, 64 requests in flight.
    #[divan::bench]
    fn bare_64_in_flight(bencher: Bencher) {
        let setup = Setup::new();
        let request = Arc::new(setup.request());
        let rt = runtime();
        let pool = rt.block_on(async { pool() });
        bencher.counter(ItemsCount::new(IN_FLIGHT * PER_TASK)).bench_local(|| {
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (pool, request) = (pool.clone(), Arc::clone(&request));
                    tasks.spawn(async move {
                        for _ in 0..PER_TASK {
                            bare_call(&pool, &request).await;
                        }
                    });
                }
                tasks.join_all().await;
            })
        });
        setup.report("hyper bare, 64 in flight");
    }

    /// The bundled async client, 64 calls in flight (64 tasks sharing one client).
    #[divan::bench]
    fn bundled_64_in_flight(bencher: Bencher) {
        let setup = Arc::new(Setup::new());
        let rt = runtime();
        let client = Arc::new(rt.block_on(async { support::unpaced_hyper(setup.config.clone()) }));
        bencher.counter(ItemsCount::new(IN_FLIGHT * PER_TASK)).bench_local(|| {
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (client, setup) = (Arc::clone(&client), Arc::clone(&setup));
                    tasks.spawn(async move {
                        for _ in 0..PER_TASK {
                            divan::black_box(client.get(&setup.account, &setup.id).await.unwrap());
                        }
                    });
                }
                tasks.join_all().await;
            })
        });
        setup.report("hyper bundled client, 64 in flight");
    }

    /// The three sequential rungs, interleaved batch by batch.
    pub fn ab() {
        let setup = Setup::new();
        let request = setup.request();
        let rt = runtime();
        let (plain, core, bundled) = rt.block_on(async {
            (pool(), core_over(pool(), setup.config.clone()), support::unpaced_hyper(setup.config.clone()))
        });
        // One `block_on` per batch, as in the divan benches.
        let times = support::interleave(
            ROUNDS,
            1,
            &mut [
                &mut || {
                    rt.block_on(async {
                        for _ in 0..BATCH {
                            bare_call(&plain, &request).await;
                        }
                    })
                },
                &mut || {
                    rt.block_on(async {
                        for _ in 0..BATCH {
                            drop(core.get(&setup.account, &setup.id).await.unwrap());
                        }
                    })
                },
                &mut || {
                    rt.block_on(async {
                        for _ in 0..BATCH {
                            drop(bundled.get(&setup.account, &setup.id).await.unwrap());
                        }
                    })
                },
            ],
        );
        let names = ["bare hyper-util", "core over bare hyper-util", "bundled hyper client"];
        support::summarise("e2e sequential get, hyper", BATCH, &names, &times);
        setup.report("hyper A/B, all rungs");
    }
}
