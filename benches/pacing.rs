//! Issue 15, part 1: rate-limit pacing.
//!
//! `cargo bench --bench pacing --features ureq,hyper,fake-server`
//!
//! A job of [`JOB`] `list` calls against the fake server with a budget of [`BUDGET`] calls per
//! [`WINDOW`] (the API's 1,200 per 300 s, scaled down 150 times so a run takes seconds): past
//! it the fake answers 429 with `Retry-After` for the rest of the window, as the API does. Each
//! run reports its time as a ratio to the least time the budget allows (goal ≤ 1.15) and the
//! 429s the fake sent (goal 0): the blocking client calling one after another, and the async
//! client with 64 calls in flight; then the same jobs with pacing off.
//!
//! The divan table times the paced jobs; the report after it is the measurement that
//! BENCHMARKS.md quotes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::pacing::Budget;
use cloudflare_mtls::{AccountId, Config, Credentials, List, Pacing, RetryPolicy};
use divan::Bencher;

#[path = "support/mod.rs"]
mod support;

/// Calls in the job.
const JOB: u64 = 50;
/// The fake's budget: calls per window.
const BUDGET: u32 = 8;
/// The fake's window.
const WINDOW: Duration = Duration::from_secs(2);
/// Calls in flight for the async job.
const IN_FLIGHT: usize = 64;

fn main() {
    divan::main();
    // Only when benchmarking for real (`cargo bench`), not in divan's test mode.
    if std::env::args().any(|a| a == "--bench") {
        report();
    }
}

/// A fake with the budget, and what it saw.
struct Limited {
    /// Kept to keep the server running.
    _server: FakeServer,
    config: Config,
    /// Each answer's time from the start of the run, and whether it was a 429.
    answers: Arc<Mutex<Vec<(Duration, bool)>>>,
    served: Arc<AtomicU64>,
}

impl Limited {
    fn new() -> Self {
        let account = AccountId::new(support::ACCOUNT).unwrap();
        let mut api = FakeApi::new(support::TOKEN, account);
        api.rate_limit(BUDGET, WINDOW);
        let server = FakeServer::start(api).unwrap();
        let answers = Arc::new(Mutex::new(Vec::new()));
        let served = Arc::new(AtomicU64::new(0));
        let (log, count, started) = (Arc::clone(&answers), Arc::clone(&served), Instant::now());
        server.log_requests(move |_, _, status, _| {
            count.fetch_add(1, Ordering::Relaxed);
            log.lock().unwrap().push((started.elapsed(), status == http::StatusCode::TOO_MANY_REQUESTS));
        });
        let config = Config::new(Credentials::api_token(support::TOKEN).unwrap()).with_base_url(server.base_url());
        Self { _server: server, config, answers, served }
    }
}

/// What one run of the job came to.
struct Run {
    took: Duration,
    refused: usize,
    /// From each first 429 to the next answer that was not one, summed: how long the
    /// fake refused the job's calls.
    locked_out: Duration,
    failed: u64,
    served: u64,
}

/// Sends the job's calls one after another with the blocking client.
fn blocking(pacing: Pacing) -> Run {
    let limited = Limited::new();
    let client =
        cloudflare_mtls::ureq::Builder::new(limited.config.clone()).with_pacing(pacing).with_retry(patient()).build();
    let account = AccountId::new(support::ACCOUNT).unwrap();
    let started = Instant::now();
    let failed = (0..JOB).filter(|_| client.list(&List::new(account.clone())).is_err()).count() as u64;
    finish(&limited, started.elapsed(), failed)
}

/// Sends the job's calls from spawned tasks, [`IN_FLIGHT`] at a time, with the async client.
fn concurrent(pacing: Pacing) -> Run {
    let limited = Limited::new();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = runtime.block_on(async {
        cloudflare_mtls::hyper::Builder::new(limited.config.clone()).with_pacing(pacing).with_retry(patient()).build()
    });
    let account = AccountId::new(support::ACCOUNT).unwrap();
    let started = Instant::now();
    let failed = runtime.block_on(async {
        let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let tasks: Vec<_> = (0..JOB)
            .map(|_| {
                let (client, slots, account) = (client.clone(), Arc::clone(&slots), account.clone());
                tokio::spawn(async move {
                    let _slot = slots.acquire().await.unwrap();
                    client.list(&List::new(account)).await.is_err()
                })
            })
            .collect();
        let mut failed = 0;
        for task in tasks {
            failed += u64::from(task.await.unwrap());
        }
        failed
    });
    finish(&limited, started.elapsed(), failed)
}

/// The retry policy of both runs: the default, but waiting out a whole window's
/// `Retry-After`, so that an unpaced job ends too (and its lock-outs show in its time).
fn patient() -> RetryPolicy {
    RetryPolicy::default().with_max_retries(5)
}

fn finish(limited: &Limited, took: Duration, failed: u64) -> Run {
    let mut answers = limited.answers.lock().unwrap().clone();
    answers.sort();
    let mut locked_out = Duration::ZERO;
    let mut since: Option<Duration> = None;
    for (at, refused) in answers.iter().copied() {
        match (refused, since) {
            (true, None) => since = Some(at),
            (false, Some(first)) => {
                locked_out += at - first;
                since = None;
            }
            _ => {}
        }
    }
    let refused = answers.iter().filter(|(_, refused)| *refused).count();
    Run { took, refused, locked_out, failed, served: limited.served.load(Ordering::Relaxed) }
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn paced_blocking(bencher: Bencher) {
    bencher.bench(|| assert_eq!(blocking(Pacing::default()).refused, 0));
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn paced_async_64_in_flight(bencher: Bencher) {
    bencher.bench(|| assert_eq!(concurrent(Pacing::default()).refused, 0));
}

/// The pacer's own cost per call (Sans-IO, no I/O): one `before_send` and one `on_answer`
/// with the API's headers, with the default budget's window holding `n` answered calls.
#[divan::bench(args = [0, 100, 1199])]
fn pacer_step(bencher: Bencher, n: u32) {
    use cloudflare_mtls::pacing::{Pace, Pacer};
    let mut headers = http::HeaderMap::new();
    headers.insert("ratelimit", http::HeaderValue::from_static("\"default\";r=100000;t=200"));
    headers.insert("ratelimit-policy", http::HeaderValue::from_static("\"default\";q=1200;w=300"));
    let mut pacer = Pacer::new(&Pacing::default());
    let now = Duration::from_secs(1);
    for _ in 0..n {
        let Pace::Send(ticket) = pacer.before_send(now) else { unreachable!() };
        pacer.on_answer(ticket, now, Some((http::StatusCode::OK, &headers)));
    }
    bencher.with_inputs(|| pacer.clone()).bench_local_refs(|pacer| {
        let Pace::Send(ticket) = pacer.before_send(now) else { unreachable!() };
        pacer.on_answer(ticket, now, Some((http::StatusCode::OK, &headers)));
    });
}

fn report() {
    let least = Budget::new(BUDGET, WINDOW).unwrap().least_time(JOB);
    eprintln!("\npacing: {JOB} calls, fake budget {BUDGET} per {WINDOW:?}: least time {:.2} s", least.as_secs_f64());
    eprintln!("| job | pacing | time | vs least | 429s | locked out | failed calls | requests |");
    eprintln!("|---|---|---:|---:|---:|---:|---:|---:|");
    type Job = fn(Pacing) -> Run;
    let jobs: [(&str, Job); 2] = [("blocking, one at a time", blocking), ("async, 64 in flight", concurrent)];
    for (job, run) in jobs {
        for (name, pacing) in [("on (default)", Pacing::default()), ("off", Pacing::off())] {
            let r = run(pacing);
            eprintln!(
                "| {job} | {name} | {:.2} s | {:.3} | {} | {:.1} s | {} | {} |",
                r.took.as_secs_f64(),
                r.took.as_secs_f64() / least.as_secs_f64(),
                r.refused,
                r.locked_out.as_secs_f64(),
                r.failed,
                r.served
            );
        }
    }
}
