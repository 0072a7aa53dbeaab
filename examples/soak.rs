//! A soak: both bundled clients, many threads and tasks, against the loopback fake with
//! random faults (an HTML 502, an API 500, a 429 with `Retry-After`, dropped connections,
//! answers lost after the call was carried out, latency), for as long as asked. Each worker
//! uploads, lists, gets, reads associations and deletes the certificates it tracks, and
//! checks what it believes against what it reads; at the end the fake's store is checked
//! against every worker's beliefs.
//!
//! ```sh
//! cargo run --release --example soak --features ureq,hyper,fake-server -- --seconds 30
//! ```
//!
//! Its last line: `N calls, E errors, L lost, D duplicated, rss A->B MiB, fds C->D`.
//! - lost: a certificate a worker believes stored that is missing, or believes deleted that
//!   is present, or stored without any worker knowing, or a call that never ended;
//! - duplicated: an upload stored twice (two certificates of one name, or the fake refusing
//!   an upload's name as taken when its worker had sent it once);
//! - rss: the process's resident memory after warm-up and a second before the end, both
//!   with no call in flight; fds: its open descriptors before the first call and after the
//!   clients are dropped, both with no connection open (Linux; `?` elsewhere).
//!
//! Exits 1 when anything was lost or duplicated, memory grew by more than 20% or
//! descriptors by more than 2.

use std::collections::{HashMap, HashSet, VecDeque};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudflare_mtls::fake::{FakeApi, Fault};
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::pacing::Budget;
use cloudflare_mtls::{
    AccountId, Certificate, CertificateId, Config, Credentials, Error, List, Pacing, RetryPolicy, Upload,
};

const TOKEN: &str = "soak-token";
const CA_PEM: &str = include_str!("../tests/fixtures/ca-p256.pem");
/// Threads on the blocking client, tasks on the async one.
const UREQ_THREADS: usize = 4;
const HYPER_TASKS: usize = 8;
/// The certificates a worker keeps at most (the store stays bounded, as a service's would).
const MAX_TRACKED: usize = 12;
/// The deletions a worker remembers, to check that they stay deleted.
const REMEMBERED_DELETIONS: usize = 32;
/// One request in this many gets a fault.
const FAULT_EVERY: u64 = 20;

/// A small xorshift generator: the example needs no crate for its dice.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// What every worker counts, and the pause the samples are taken in.
#[derive(Default)]
struct Counts {
    /// Set: workers park between calls; `parked` counts them, `finished` the ones done.
    pause: AtomicBool,
    parked: AtomicU64,
    finished: AtomicU64,
    calls: AtomicU64,
    errors: AtomicU64,
    lost: AtomicU64,
    duplicated: AtomicU64,
    in_flight: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn paused(&self) -> bool {
        self.pause.load(Ordering::Relaxed)
    }

    /// A thread parks here between two calls while the samples are taken.
    fn park_thread(&self) {
        if self.paused() {
            self.parked.fetch_add(1, Ordering::Relaxed);
            while self.paused() {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.parked.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A task parks here between two calls while the samples are taken.
    async fn park_task(&self) {
        if self.paused() {
            self.parked.fetch_add(1, Ordering::Relaxed);
            while self.paused() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            self.parked.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Parks every worker, runs `f` with no call in flight, and lets them go on.
    fn quiet<R>(&self, workers: u64, f: impl FnOnce() -> R) -> R {
        self.pause.store(true, Ordering::Relaxed);
        let until = Instant::now() + Duration::from_secs(60);
        let settled = || self.parked.load(Ordering::Relaxed) + self.finished.load(Ordering::Relaxed);
        while settled() < workers && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Answers still on their way to closed or pooled connections settle.
        std::thread::sleep(Duration::from_millis(200));
        let result = f();
        self.pause.store(false, Ordering::Relaxed);
        result
    }
}

/// One worker's beliefs: what it stored (name → ID) and what it deleted lately.
#[derive(Default)]
struct Beliefs {
    stored: HashMap<String, CertificateId>,
    deleted: VecDeque<CertificateId>,
}

impl Beliefs {
    fn deleted(&mut self, id: CertificateId) {
        if self.deleted.len() == REMEMBERED_DELETIONS {
            self.deleted.pop_front();
        }
        self.deleted.push_back(id);
    }
}

/// What a call's error means to the worker.
fn already_exists<E>(e: &Error<E>) -> bool {
    e.response().and_then(|r| r.api()).is_some_and(|a| a.codes().any(|c| c == 1004))
}

/// One step of a worker, written once over both clients: `$list_all` lists every page of
/// `$l` into a `Result<Vec<Certificate>, _>`, and `[$($aw)*]` is what a call is followed by
/// (nothing for the blocking client, `.await` for the async one).
macro_rules! worker_step {
    ($client:expr, $account:expr, $beliefs:expr, $dice:expr, $counts:expr, $name:expr, |$l:ident| $list_all:expr, [$($aw:tt)*]) => {{
        let (client, account, beliefs, dice, counts): (_, &AccountId, &mut Beliefs, &mut Dice, &Counts) =
            ($client, $account, $beliefs, $dice, $counts);
        let roll = dice.below(100);
        counts.in_flight.fetch_add(1, Ordering::Relaxed);
        if beliefs.stored.len() < MAX_TRACKED && (roll < 30 || beliefs.stored.is_empty()) {
            let name: String = $name;
            let upload = Upload::ca(account.clone(), CA_PEM).with_name(name.clone());
            Counts::add(&counts.calls, 1);
            match client.upload(&upload) $($aw)* {
                Ok(cert) => {
                    beliefs.stored.insert(name, cert.id().clone());
                }
                Err(e) => {
                    Counts::add(&counts.errors, 1);
                    if already_exists(&e) {
                        // This worker sent this name once: the fake refused a second copy.
                        Counts::add(&counts.duplicated, 1);
                    }
                    // Maybe stored (the answer was lost): ask by name until an answer says.
                    loop {
                        Counts::add(&counts.calls, 1);
                        let $l = List::new(account.clone()).with_name(name.clone());
                        let found: Result<Vec<Certificate>, _> = $list_all;
                        match found {
                            Ok(found) => {
                                if let Some(id) = found.into_iter().find_map(|c| c.id) {
                                    beliefs.stored.insert(name, id);
                                }
                                break;
                            }
                            Err(_) => Counts::add(&counts.errors, 1),
                        }
                    }
                }
            }
        } else if roll < 38 {
            // Paged by ten: pages shift under the other workers' uploads and deletes, so
            // only the errors count.
            Counts::add(&counts.calls, 1);
            let $l = List::new(account.clone()).with_per_page(10);
            let all: Result<Vec<Certificate>, _> = $list_all;
            if all.is_err() {
                Counts::add(&counts.errors, 1);
            }
        } else if roll < 45 {
            // One page holds the whole store: a snapshot to check beliefs against.
            Counts::add(&counts.calls, 1);
            let $l = List::new(account.clone()).with_per_page(1000);
            let all: Result<Vec<Certificate>, _> = $list_all;
            match all {
                Ok(all) => {
                    let listed: HashSet<_> = all.iter().filter_map(|c| c.id.as_ref()).collect();
                    let missing = beliefs.stored.values().filter(|id| !listed.contains(id)).count();
                    let back = beliefs.deleted.iter().filter(|id| listed.contains(id)).count();
                    Counts::add(&counts.lost, (missing + back) as u64);
                }
                Err(_) => Counts::add(&counts.errors, 1),
            }
        } else if let Some((name, id)) =
            beliefs.stored.iter().nth(dice.below(beliefs.stored.len())).map(|(n, id)| (n.clone(), id.clone()))
        {
            Counts::add(&counts.calls, 1);
            if roll < 70 {
                match client.get(account, &id) $($aw)* {
                    Ok(cert) if cert.name.as_deref() == Some(name.as_str()) => {}
                    Ok(_) => Counts::add(&counts.lost, 1),
                    Err(e) => {
                        Counts::add(&counts.errors, 1);
                        if e.is_not_found() {
                            Counts::add(&counts.lost, 1);
                        }
                    }
                }
            } else if roll < 82 {
                if client.associations(account, &id) $($aw)* .is_err() {
                    Counts::add(&counts.errors, 1);
                }
            } else {
                match client.delete(account, &id) $($aw)* {
                    Ok(_) => {
                        beliefs.stored.remove(&name);
                        beliefs.deleted(id);
                    }
                    // Deleted by an attempt whose answer was lost, then retried.
                    Err(e) if e.is_not_found() => {
                        Counts::add(&counts.errors, 1);
                        beliefs.stored.remove(&name);
                        beliefs.deleted(id);
                    }
                    // Maybe deleted: a list by name tells; if it fails too, the certificate
                    // stays believed stored, and a later delete settles it.
                    Err(_) => {
                        Counts::add(&counts.errors, 1);
                        Counts::add(&counts.calls, 1);
                        let $l = List::new(account.clone()).with_name(name.clone());
                        let found: Result<Vec<Certificate>, _> = $list_all;
                        match found {
                            Ok(found) if found.is_empty() => {
                                beliefs.stored.remove(&name);
                                beliefs.deleted(id);
                            }
                            Ok(_) => {}
                            Err(_) => Counts::add(&counts.errors, 1),
                        }
                    }
                }
            }
        }
        counts.in_flight.fetch_sub(1, Ordering::Relaxed);
    }};
}

fn config(server: &FakeServer) -> Config {
    let credentials = Credentials::api_token(TOKEN).unwrap_or_else(|e| panic!("the soak's token: {e}"));
    Config::new(credentials).with_base_url(server.base_url())
}

/// Generous pacing (the fake has no limit of its own), so the pacer's bookkeeping runs too.
fn pacing() -> Pacing {
    Budget::new(100_000, Duration::from_secs(10)).map(Pacing::within).unwrap_or_else(|_| Pacing::off())
}

/// Retries as by default, each wait at most a second (a soak tests survival, not patience).
fn retry() -> RetryPolicy {
    RetryPolicy::default().with_max_retries(3)
}

/// Resident memory in MiB, from /proc (Linux).
fn rss() -> Option<f64> {
    let pages = std::fs::read_to_string("/proc/self/statm").ok()?.split_whitespace().nth(1)?.parse::<f64>().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}

/// Open file descriptors, from /proc (Linux); the directory's own is not counted.
fn fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count().saturating_sub(1))
}

/// Queues a random fault every `FAULT_EVERY` requests, and varies the latency.
fn inject_faults(server: Arc<FakeServer>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
        let mut next = FAULT_EVERY;
        let mut last_429 = Instant::now();
        let mut latency_changed = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
            if latency_changed.elapsed() > Duration::from_millis(500) {
                server.set_latency(Duration::from_millis([0, 0, 1, 5, 20][dice.below(5)]));
                latency_changed = Instant::now();
            }
            if server.requests_served() < next {
                continue;
            }
            next = server.requests_served() + FAULT_EVERY;
            let api = |status, code, message: &str| Fault::Api(status, code, message.to_owned());
            let fault = match dice.below(6) {
                0 => Fault::Html(502),
                1 => api(500, 10000, "Internal error"),
                2 => Fault::Disconnect,
                3 => Fault::AfterCall(Box::new(Fault::Disconnect)),
                4 => Fault::AfterCall(Box::new(Fault::Html(502))),
                // A 429 holds every call of a client: one every 3 s at the most.
                _ if last_429.elapsed() > Duration::from_secs(3) => {
                    last_429 = Instant::now();
                    Fault::WithHeader(Box::new(api(429, 971, "Please wait")), "retry-after".into(), "1".into())
                }
                _ => Fault::Html(503),
            };
            server.with_api(|api| {
                if api.pending_faults() == 0 {
                    api.fail_next(fault);
                }
            });
        }
        server.set_latency(Duration::ZERO);
    })
}

fn main() -> ExitCode {
    // glibc gives each thread that allocates an arena of its own (up to 8 per core), and
    // their fragmentation grows the RSS of a many-threaded process for minutes (measured
    // here: 14.4 -> 17.3 MiB over 10 minutes; flat with one arena). A soak looks for leaks,
    // not for that: it runs itself again with two arenas, and says so.
    if cfg!(target_os = "linux") && std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        println!("(running with MALLOC_ARENA_MAX=2: see the comment in main)");
        let status = std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("MALLOC_ARENA_MAX", "2").status()
        });
        return match status {
            Ok(status) if status.success() => ExitCode::SUCCESS,
            Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
            Err(e) => {
                eprintln!("soak: could not run itself again: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut seconds = 30u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--seconds", Some(n)) if n > 0 => seconds = n,
            _ => {
                eprintln!("usage: soak [--seconds N]  (N a whole number of seconds, at least 1)");
                return ExitCode::from(2);
            }
        }
    }
    match run(Duration::from_secs(seconds)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(length: Duration) -> Result<bool, Box<dyn std::error::Error>> {
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
    // The store under load, not the account's quota of five CAs: every worker uploads CAs.
    let server = Arc::new(FakeServer::start(FakeApi::new(TOKEN, account.clone()).with_ca_limit(usize::MAX))?);
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let beliefs: Arc<Mutex<Vec<Beliefs>>> = Arc::default();
    let started = Instant::now();
    let deadline = started + length;

    // Everything but the connections first: the descriptors are counted before the first
    // call and again once the clients are gone, both with no connection open, so a
    // descriptor that outlives its connection shows.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let hyper = {
        let _entered = runtime.enter();
        cloudflare_mtls::hyper::Builder::new(config(&server)).with_retry(retry()).with_pacing(pacing()).build()
    };
    let ureq = cloudflare_mtls::ureq::Builder::new(config(&server)).with_retry(retry()).with_pacing(pacing()).build();
    let injector = inject_faults(server.clone(), stop.clone());
    let fds_start = fds();

    let mut threads = Vec::new();
    for worker in 0..UREQ_THREADS {
        let (client, account, counts, beliefs) = (ureq.clone(), account.clone(), counts.clone(), beliefs.clone());
        threads.push(std::thread::spawn(move || {
            let mut mine = Beliefs::default();
            let (mut dice, mut serial) = (Dice(0x5EED + worker as u64), 0u64);
            while Instant::now() < deadline {
                counts.park_thread();
                serial += 1;
                worker_step!(
                    &client,
                    &account,
                    &mut mine,
                    &mut dice,
                    &counts,
                    format!("soak-u{worker}-{serial}"),
                    |list| client.list_all(list).collect(),
                    []
                );
            }
            counts.finished.fetch_add(1, Ordering::Relaxed);
            beliefs.lock().unwrap_or_else(|e| e.into_inner()).push(mine);
        }));
    }

    let mut tasks = Vec::new();
    for worker in 0..HYPER_TASKS {
        let (client, account, counts, beliefs) = (hyper.clone(), account.clone(), counts.clone(), beliefs.clone());
        tasks.push(runtime.spawn(async move {
            use futures_util::TryStreamExt;
            let mut mine = Beliefs::default();
            let (mut dice, mut serial) = (Dice(0xA5A5 + worker as u64), 0u64);
            while Instant::now() < deadline {
                counts.park_task().await;
                serial += 1;
                worker_step!(&client, &account, &mut mine, &mut dice, &counts, format!("soak-h{worker}-{serial}"),
                    |list| client.list_all(list).try_collect().await, [.await]);
            }
            counts.finished.fetch_add(1, Ordering::Relaxed);
            beliefs.lock().unwrap_or_else(|e| e.into_inner()).push(mine);
        }));
    }

    // Warm-up: pools, buffers, the store and the pacer's window fill. Memory is sampled
    // then and a second before the end, both times with no call in flight.
    let workers = (UREQ_THREADS + HYPER_TASKS) as u64;
    let warm = started + (length / 3).min(Duration::from_secs(10));
    std::thread::sleep(warm.saturating_duration_since(Instant::now()));
    let rss_start = counts.quiet(workers, rss);
    let warm_calls = counts.calls.load(Ordering::Relaxed);
    let last = deadline.checked_sub(Duration::from_secs(1)).filter(|&t| t > warm).unwrap_or(warm);
    // A line now and then: how memory moves over a long run.
    let every = (length / 10).max(Duration::from_secs(10));
    let mut next = warm + every;
    while next < last {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let mib = rss().map_or("?".to_owned(), |v| format!("{v:.1}"));
        println!(
            "at {:.0} s: {} calls, rss {mib} MiB",
            started.elapsed().as_secs_f64(),
            counts.calls.load(Ordering::Relaxed),
        );
        next += every;
    }
    std::thread::sleep(last.saturating_duration_since(Instant::now()));
    let rss_end = counts.quiet(workers, rss);

    // Every worker ends its last call; one that does not within a minute of the end has hung.
    let grace = deadline + Duration::from_secs(60);
    for thread in threads {
        while !thread.is_finished() && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(20));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
    runtime.block_on(async {
        for task in tasks {
            let _ = tokio::time::timeout(grace.saturating_duration_since(Instant::now()), task).await;
        }
    });
    stop.store(true, Ordering::Relaxed);
    let _ = injector.join();
    // The clients go, and with them every pooled connection; both ends close within moments.
    drop((ureq, hyper));
    let closing = Instant::now();
    let mut fds_end = fds();
    while fds_end > fds_start && closing.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
        fds_end = fds();
    }
    let hung = counts.in_flight.load(Ordering::Relaxed);

    // The fake's store against every worker's beliefs.
    let store = server.with_api(|api| api.certificates());
    let beliefs = beliefs.lock().unwrap_or_else(|e| e.into_inner());
    let mut by_name: HashMap<&str, Vec<&CertificateId>> = HashMap::new();
    for cert in &store {
        if let (Some(name), Some(id)) = (cert.name.as_deref(), cert.id.as_ref()) {
            by_name.entry(name).or_default().push(id);
        }
    }
    let stored_ids: HashSet<&CertificateId> = store.iter().filter_map(|c| c.id.as_ref()).collect();
    let believed: HashSet<&CertificateId> = beliefs.iter().flat_map(|b| b.stored.values()).collect();
    let missing = believed.iter().filter(|id| !stored_ids.contains(*id)).count();
    let back = beliefs.iter().flat_map(|b| &b.deleted).filter(|id| stored_ids.contains(id)).count();
    let unknown_to_all = stored_ids.iter().filter(|id| !believed.contains(*id)).count();
    let twice = by_name.values().filter(|ids| ids.len() > 1).count();
    let lost = counts.lost.load(Ordering::Relaxed) + (missing + back + unknown_to_all) as u64 + hung;
    let duplicated = counts.duplicated.load(Ordering::Relaxed) + twice as u64;

    let calls = counts.calls.load(Ordering::Relaxed);
    let errors = counts.errors.load(Ordering::Relaxed);
    let mib = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.1}"));
    let count = |v: Option<usize>| v.map_or("?".to_owned(), |v| v.to_string());
    println!(
        "{:.0} s, {} workers ({UREQ_THREADS} ureq threads, {HYPER_TASKS} hyper tasks), {} requests at the fake over {} connections, {} certificates stored at the end, {} calls after warm-up",
        started.elapsed().as_secs_f64(),
        UREQ_THREADS + HYPER_TASKS,
        server.requests_served(),
        server.connections_accepted(),
        store.len(),
        calls - warm_calls,
    );
    println!(
        "checks: {missing} believed stored but missing, {back} believed deleted but present, {unknown_to_all} stored unknown to every worker, {hung} calls never ended, {twice} names stored twice"
    );
    println!(
        "{calls} calls, {errors} errors, {lost} lost, {duplicated} duplicated, rss {}->{} MiB, fds {}->{}",
        mib(rss_start),
        mib(rss_end),
        count(fds_start),
        count(fds_end)
    );
    let rss_ok = match (rss_start, rss_end) {
        (Some(a), Some(b)) => b <= a * 1.2,
        _ => true,
    };
    let fds_ok = match (fds_start, fds_end) {
        (Some(a), Some(b)) => b <= a + 2,
        _ => true,
    };
    Ok(lost == 0 && duplicated == 0 && rss_ok && fds_ok && calls > 0)
}
