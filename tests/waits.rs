//! Waits are never silent and never an hour: every wait a client makes (the pacer's, a
//! retry's) reaches its `on_wait` observer first, with its reason; a wait longer than
//! `Pacing::max_wait` is not made, and the call fails at once with `Error::RateLimited`,
//! whose `retry_after()` is the wait. Both clients, on a scripted transport and a test
//! clock that the sleep advances (nothing waits for real).

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudflare_mtls::http::{Request, Response};
use cloudflare_mtls::{
    AccountId, AsyncClient, BlockingClient, CertificateId, Config, Credentials, Error, Pacing, RetryPolicy, Wait,
    WaitReason,
};

const GET_BODY: &str = include_str!("fixtures/get-certificate.json");
const S: Duration = Duration::from_secs(1);

thread_local! {
    /// The test clock of this thread: every test runs its calls on its own thread.
    static NOW: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

fn now() -> Duration {
    NOW.with(Cell::get)
}

fn advance(d: Duration) {
    NOW.with(|now| now.set(now.get().saturating_add(d)));
}

type Outcome = Result<Response<Vec<u8>>, std::io::Error>;

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Ok(builder.body(body.as_bytes().to_vec()).unwrap())
}

/// What one scenario saw: the requests sent, the sleeps made, the waits announced.
#[derive(Default)]
struct Seen {
    answers: Mutex<VecDeque<Outcome>>,
    sent: Mutex<usize>,
    slept: Mutex<Vec<Duration>>,
    announced: Mutex<Vec<Wait>>,
}

impl Seen {
    fn new(answers: Vec<Outcome>) -> Arc<Self> {
        Arc::new(Self { answers: Mutex::new(answers.into()), ..Self::default() })
    }

    fn answer(&self) -> Outcome {
        *self.sent.lock().unwrap() += 1;
        self.answers.lock().unwrap().pop_front().unwrap_or_else(|| Err(std::io::Error::other("no more answers")))
    }
}

/// The second call's result.
type Second = Result<(), Error<std::io::Error>>;

/// Two `get` calls through a blocking client and through an async one, each on a fresh
/// script and clock; what each saw, and the second call's result.
fn two_gets(answers: fn() -> Vec<Outcome>, pacing: Pacing) -> Vec<(Arc<Seen>, Second)> {
    let account = AccountId::new("acc").unwrap();
    let id = CertificateId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let config = Config::new(Credentials::api_token("t").unwrap());
    let retry = RetryPolicy::default().with_jitter(0.0);
    let mut out = Vec::new();

    NOW.with(|now| now.set(Duration::ZERO));
    let seen = Seen::new(answers());
    let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
    let client = BlockingClient::new(config.clone(), move |_: Request<Vec<u8>>| a.answer())
        .with_sleep(move |d: Duration| {
            b.slept.lock().unwrap().push(d);
            advance(d);
        })
        .with_clock(now)
        .with_retry(retry.clone())
        .with_pacing(pacing)
        .on_wait(move |w: &Wait| c.announced.lock().unwrap().push(w.clone()));
    client.get(&account, &id).unwrap();
    out.push((seen, client.get(&account, &id).map(drop)));

    NOW.with(|now| now.set(Duration::ZERO));
    let seen = Seen::new(answers());
    let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
    let client = AsyncClient::new(config, move |_: Request<Vec<u8>>| std::future::ready(a.answer()))
        .with_sleep(move |d: Duration| {
            b.slept.lock().unwrap().push(d);
            advance(d);
            std::future::ready(())
        })
        .with_clock(now)
        .with_retry(retry)
        .with_pacing(pacing)
        .on_wait(move |w: &Wait| c.announced.lock().unwrap().push(w.clone()));
    futures_executor::block_on(client.get(&account, &id)).unwrap();
    out.push((seen, futures_executor::block_on(client.get(&account, &id)).map(drop)));
    out
}

fn hour_by_ratelimit() -> Vec<Outcome> {
    vec![answer(200, &[("ratelimit", "\"default\";r=0;t=3600")], GET_BODY), answer(200, &[], GET_BODY)]
}

fn hour_by_policy() -> Vec<Outcome> {
    vec![answer(200, &[("ratelimit-policy", "\"default\";q=1;w=3600")], GET_BODY), answer(200, &[], GET_BODY)]
}

#[test]
fn a_servers_hour_is_not_waited_the_call_fails_at_once_with_the_wait() {
    for answers in [hour_by_ratelimit as fn() -> Vec<Outcome>, hour_by_policy] {
        for (seen, second) in two_gets(answers, Pacing::default()) {
            let err = second.unwrap_err();
            assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
            assert!(err.is_rate_limited(), "{err}");
            assert_eq!(err.retry_after(), Some(3600 * S), "{err}");
            let text = err.to_string();
            assert!(text.contains("1 h") && text.contains("5 min") && text.contains("nothing was sent"), "{text}");
            // One request only; nothing slept, nothing announced.
            assert_eq!(*seen.sent.lock().unwrap(), 1);
            assert!(seen.slept.lock().unwrap().is_empty());
            assert!(seen.announced.lock().unwrap().is_empty());
        }
    }
}

#[test]
fn a_wait_within_max_wait_is_announced_with_its_reason_then_made() {
    for (seen, second) in two_gets(hour_by_ratelimit, Pacing::default().with_max_wait(2 * 3600 * S)) {
        second.unwrap();
        assert_eq!(*seen.slept.lock().unwrap(), [3600 * S]);
        let announced = seen.announced.lock().unwrap();
        assert_eq!(announced.len(), 1);
        assert_eq!(announced[0].reason, WaitReason::Limit { name: "default".into(), reset: 3600 * S });
        assert_eq!(
            announced[0].to_string(),
            "waiting 1 h for the API's rate limit (Ratelimit \"default\" r=0, resets in 1 h)"
        );
    }
}

#[test]
fn a_retrys_backoff_is_announced() {
    fn answers() -> Vec<Outcome> {
        vec![answer(200, &[], GET_BODY), answer(502, &[], "<html>bad gateway</html>"), answer(200, &[], GET_BODY)]
    }
    for (seen, second) in two_gets(answers, Pacing::off()) {
        second.unwrap();
        let announced = seen.announced.lock().unwrap();
        assert_eq!(
            *announced,
            [Wait::new(
                Duration::from_millis(500),
                WaitReason::Retry { retry: 1, status: Some(502.try_into().unwrap()) }
            )]
        );
        assert_eq!(*seen.slept.lock().unwrap(), [Duration::from_millis(500)]);
    }
}
