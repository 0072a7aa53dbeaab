//! A WASI 0.2 command component that manages mTLS certificates through cloudflare-mtls's
//! `wasi` client (`wasi:http/outgoing-handler`), configured from its environment:
//! `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID` and, for the fake, `CLOUDFLARE_BASE_URL`.
//!
//! ```sh
//! cargo build --release --target wasm32-wasip2
//! npx jco run target/wasm32-wasip2/release/mtls-wasi-component.wasm [calls|report DAYS|faults|edges]
//! wasmtime run -S http --env CLOUDFLARE_API_TOKEN ... target/wasm32-wasip2/release/mtls-wasi-component.wasm
//! ```
//!
//! - `calls` (the default): upload a CA, list, get, associations, delete, then the 404 of a
//!   get after the delete.
//! - `report DAYS`: the certificates expiring within DAYS days, as `cf-mtls check` reports them.
//! - `faults`: against `examples/scripted-fake.rs` (its control URL in `CF_MTLS_FAKE_CONTROL`):
//!   an HTML 502, an API 500 and a dropped connection retried, a 429 waited out, a redirect
//!   not followed.
//! - `edges`: the failures of the README's transport table: a refused connection
//!   (`CF_MTLS_REFUSED_URL`) and an unknown host (`CF_MTLS_UNKNOWN_URL`), each a connect error
//!   retried twice; a TLS handshake cut short (`CF_MTLS_CUT_URL`), a TLS or I/O error as the
//!   host tells it; a server that never answers (`CF_MTLS_SILENT_URL`), a timeout on time; an
//!   answer over the body limit.
//! - `untrusted`: an HTTPS API whose certificate the host does not trust: a TLS error, not
//!   retried.
//!
//! Each step prints `ok NAME: ...` or `FAIL NAME: ...`; the exit code is 1 when one failed.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudflare_mtls::wasi::{Builder, Client, TransportError, WasiTransport};
use cloudflare_mtls::{
    AccountId, BaseUrl, Config, Credentials, HttpClient, List, Pacing, RetryPolicy, Timestamp, Upload, Wait, WaitReason,
};
use time::OffsetDateTime;

/// A small ECDSA P-256 CA certificate shipped with the crate's tests (valid until 2126).
const CA_PEM: &str = include_str!("../../../tests/fixtures/ca-p256.pem");

type Result<T> = std::result::Result<T, String>;

/// The steps' outcomes, printed as they come.
#[derive(Default)]
struct Steps {
    failed: u32,
}

impl Steps {
    fn check(&mut self, name: &str, outcome: Result<String>) {
        match outcome {
            Ok(detail) => println!("ok {name}: {detail}"),
            Err(why) => {
                self.failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
}

fn env(name: &str) -> Result<String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn account() -> Result<AccountId> {
    AccountId::new(env("CLOUDFLARE_ACCOUNT_ID")?).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut steps = Steps::default();
    let mode = args.next().unwrap_or_else(|| "calls".to_owned());
    let ran = match mode.as_str() {
        "calls" => calls(&mut steps),
        "report" => report(&mut steps, args.next().as_deref().unwrap_or("30")),
        "faults" => faults(&mut steps),
        "edges" => edges(&mut steps),
        "untrusted" => untrusted(&mut steps),
        other => Err(format!("unknown mode {other:?}: calls, report DAYS, faults, edges or untrusted")),
    };
    if let Err(why) = ran {
        steps.check(&mode, Err(why));
    }
    if steps.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The five calls and the 404 after, on the client from the environment.
fn calls(steps: &mut Steps) -> Result<()> {
    let client = cloudflare_mtls::wasi::from_env().map_err(|e| e.to_string())?;
    let account = account()?;
    let uploaded = client.upload(&Upload::ca(account.clone(), CA_PEM).with_name("wasi-ca")).map_err(|e| e.to_string());
    let id = match uploaded {
        Ok(cert) => {
            steps.check("upload", Ok(format!("{} ca={:?}", cert.id(), cert.ca)));
            cert.id().clone()
        }
        Err(e) => return Err(format!("upload: {e}")),
    };
    let listed = client.list_all(List::new(account.clone())).collect::<std::result::Result<Vec<_>, _>>();
    steps.check(
        "list",
        match listed {
            Ok(certs) if certs.iter().any(|c| c.id.as_ref() == Some(&id)) => {
                Ok(format!("{} certificates", certs.len()))
            }
            Ok(_) => Err("the uploaded certificate is not listed".into()),
            Err(e) => Err(e.to_string()),
        },
    );
    steps.check(
        "get",
        match client.get(&account, &id) {
            Ok(cert) if cert.name.as_deref() == Some("wasi-ca") => {
                Ok(format!("{} expires {}", cert.name(), expiry(cert.expires_on)))
            }
            Ok(cert) => Err(format!("wrong certificate: {:?}", cert.name)),
            Err(e) => Err(e.to_string()),
        },
    );
    steps.check(
        "associations",
        client
            .associations(&account, &id)
            .map(|page| format!("{} associations", page.items.len()))
            .map_err(|e| e.to_string()),
    );
    steps.check("delete", client.delete(&account, &id).map(|_| format!("{id} deleted")).map_err(|e| e.to_string()));
    steps.check(
        "get-after-delete",
        match client.get(&account, &id) {
            Err(e) if e.is_not_found() => Ok(format!("404 as expected ({e})")),
            Err(e) => Err(format!("not a 404: {e}")),
            Ok(_) => Err("the deleted certificate is still there".into()),
        },
    );
    Ok(())
}

fn expiry(at: Option<Timestamp>) -> String {
    at.map_or("?".into(), |at| at.get().date().to_string())
}

/// The certificates expiring within `days` days, soonest first (wall clock: `wasi:clocks`).
fn report(steps: &mut Steps, days: &str) -> Result<()> {
    let days: i64 = days.parse().map_err(|_| format!("DAYS must be a whole number, not {days:?}"))?;
    let client = cloudflare_mtls::wasi::from_env().map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    let certs = client.list_all(List::new(account()?)).collect::<std::result::Result<Vec<_>, _>>();
    let certs = certs.map_err(|e| e.to_string())?;
    let mut expiring: Vec<(i64, String)> = certs
        .iter()
        .filter_map(|c| Some((c.days_left(now)?, c.name().to_owned())))
        .filter(|(left, _)| *left <= days)
        .collect();
    expiring.sort();
    let names: Vec<String> = expiring.iter().map(|(left, name)| format!("{name} in {left} days")).collect();
    steps.check("report", Ok(format!("{} checked, expiring within {days} days: [{}]", certs.len(), names.join(", "))));
    Ok(())
}

/// A client that records every wait it announces, and pacing off (the fake sends no limits).
fn recording(config: Config) -> (Client, Arc<Mutex<Vec<Wait>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&waits);
    let client = Builder::new(config).with_pacing(Pacing::off()).build().on_wait(move |wait| {
        if let Ok(mut seen) = seen.lock() {
            seen.push(wait.clone());
        }
    });
    (client, waits)
}

/// Each fault of the scripted fake, queued before a call through the transport itself.
fn faults(steps: &mut Steps) -> Result<()> {
    let control = env("CF_MTLS_FAKE_CONTROL")?;
    let config = Config::from_lookup(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let (client, waits) = recording(config);
    let account = account()?;
    let fail_next = |fault: &str| -> Result<()> {
        let request =
            http::Request::post(format!("{control}/fail-next/{fault}")).body(Vec::new()).map_err(|e| e.to_string())?;
        let answer = WasiTransport::default().send(request).map_err(|e| format!("the control port: {e}"))?;
        match answer.status().as_u16() {
            204 => Ok(()),
            other => Err(format!("the control port answered {other} for {fault}")),
        }
    };
    let list = || client.list(&List::new(account.clone()));
    let retries = || {
        let seen = waits.lock().map(|w| w.clone()).unwrap_or_default();
        waits.lock().map(|mut w| w.clear()).ok();
        seen
    };
    let retried_once = |fault: &str, waits: Vec<Wait>, outcome: std::result::Result<_, _>| -> Result<String> {
        let retries: Vec<_> = waits.iter().filter(|w| matches!(w.reason, WaitReason::Retry { .. })).collect();
        match outcome {
            Ok(_) if retries.len() == 1 => Ok(format!("{fault}, then the answer ({})", retries[0])),
            Ok(_) => Err(format!("{} retries announced, not 1: {waits:?}", retries.len())),
            Err(e) => Err(e),
        }
    };
    for fault in ["html-502", "api-500", "disconnect"] {
        fail_next(fault)?;
        let outcome = list().map_err(|e| e.to_string());
        steps.check(&format!("retried-{fault}"), retried_once(fault, retries(), outcome));
    }

    // What the host reports for a dropped connection, straight from the transport.
    fail_next("disconnect")?;
    let request = http::Request::get(format!("{}/accounts/{account}/mtls_certificates", env("CLOUDFLARE_BASE_URL")?))
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    steps.check(
        "disconnect-is-io",
        match WasiTransport::default().send(request) {
            Err(e @ TransportError::Io(_)) => Ok(e.to_string()),
            Err(e) => Err(format!("not an I/O error: {e:?}")),
            Ok(answer) => Err(format!("an answer ({}) from a dropped connection", answer.status())),
        },
    );

    fail_next("api-429")?;
    let started = Instant::now();
    let outcome = list();
    let waited = started.elapsed();
    let seen = retries();
    steps.check(
        "waited-out-429",
        match outcome {
            Ok(_) if waited >= Duration::from_millis(950) && !seen.is_empty() => Ok(format!(
                "{} ms; announced: {}",
                waited.as_millis(),
                seen.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            )),
            Ok(_) => Err(format!("answered after {} ms, waits announced: {seen:?}", waited.as_millis())),
            Err(e) => Err(e.to_string()),
        },
    );

    fail_next("redirect")?;
    steps.check(
        "redirect-not-followed",
        match list() {
            Err(e) if e.status().map(|s| s.as_u16()) == Some(302) => Ok(e.to_string()),
            Err(e) => Err(format!("not the 302: {e}")),
            Ok(_) => Err("the redirect was followed".into()),
        },
    );
    Ok(())
}

/// What a failed call did: its error (a transport error expected) and the retries announced.
fn failed_call(client: &Client, waits: &Arc<Mutex<Vec<Wait>>>) -> Result<(TransportError, usize)> {
    let outcome = client.list(&List::new(account()?));
    let retries = waits.lock().map(|w| w.iter().filter(|w| matches!(w.reason, WaitReason::Retry { .. })).count());
    match outcome {
        Err(cloudflare_mtls::Error::Transport { source, .. }) => Ok((source, retries.unwrap_or_default())),
        Err(e) => Err(format!("not a transport error: {e}")),
        Ok(_) => Err("an answer".into()),
    }
}

/// Each failure of the README's transport table, with the default retry policy unless said:
/// its error kind, and whether the client retried (`N retries` in the line, for the script).
fn edges(steps: &mut Steps) -> Result<()> {
    let token = Credentials::api_token(&env("CLOUDFLARE_API_TOKEN")?).map_err(|e| e.to_string())?;
    let at = |var: &str| -> Result<Config> {
        let url = BaseUrl::new(env(var)?).map_err(|e| e.to_string())?;
        Ok(Config::new(token.clone()).with_base_url(url))
    };
    // Not sent: retried, whatever the host called it.
    for (step, var) in [("connection-refused", "CF_MTLS_REFUSED_URL"), ("unknown-host", "CF_MTLS_UNKNOWN_URL")] {
        let (client, waits) = recording(at(var)?);
        let started = Instant::now();
        steps.check(
            step,
            match failed_call(&client, &waits) {
                Ok((e, 2)) if e.is_connect() => Ok(format!("{e}, 2 retries ({} ms)", started.elapsed().as_millis())),
                Ok((e, retries)) => Err(format!("{e:?}, {retries} retries: not a connect error retried twice")),
                Err(e) => Err(e),
            },
        );
    }
    // A server that closes the connection during the TLS handshake: what the host makes of it
    // (a TLS or an I/O error) and whether the client retried are the host's to decide.
    let (client, waits) = recording(at("CF_MTLS_CUT_URL")?);
    steps.check(
        "handshake-cut",
        match failed_call(&client, &waits) {
            Ok((e, retries)) if e.is_tls() => Ok(format!("Tls: {e}, {retries} retries")),
            Ok((e @ TransportError::Io(_), retries)) => Ok(format!("Io: {e}, {retries} retries")),
            Ok((e, retries)) => Err(format!("{e:?}, {retries} retries: neither a TLS nor an I/O error")),
            Err(e) => Err(e),
        },
    );

    let silent = Builder::new(at("CF_MTLS_SILENT_URL")?)
        .with_timeout(Duration::from_secs(1))
        .with_retry(RetryPolicy::never())
        .build();
    let started = Instant::now();
    let outcome = silent.list(&List::new(account()?));
    let took = started.elapsed();
    steps.check(
        "timeout",
        match outcome {
            Err(cloudflare_mtls::Error::Transport { source, .. })
                if source.is_timeout() && took < Duration::from_secs(5) =>
            {
                Ok(format!("{source} ({} ms)", took.as_millis()))
            }
            Err(e) => Err(format!("{e} after {} ms", took.as_millis())),
            Ok(_) => Err("an answer from a server that never answers".into()),
        },
    );
    let config = Config::from_lookup(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let small = Builder::new(config).with_max_body_size(16).build();
    steps.check(
        "body-limit",
        match small.list(&List::new(account()?)) {
            Err(cloudflare_mtls::Error::Transport {
                source: e @ TransportError::BodyTooLarge { limit: 16 }, ..
            }) => Ok(e.to_string()),
            Err(e) => Err(format!("not the body limit: {e}")),
            Ok(_) => Err("a body over 16 bytes was read".into()),
        },
    );
    let token_shown = format!("{silent:?}").contains(&env("CLOUDFLARE_API_TOKEN")?);
    steps.check(
        "no-token-in-debug",
        if token_shown { Err("the client's Debug shows the token".into()) } else { Ok("hidden".into()) },
    );
    Ok(())
}

/// An HTTPS API whose certificate the host's roots do not hold: a TLS error, not retried.
fn untrusted(steps: &mut Steps) -> Result<()> {
    let config = Config::from_lookup(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let (client, waits) = recording(config);
    steps.check(
        "tls-untrusted",
        match failed_call(&client, &waits) {
            Ok((e, 0)) if e.is_tls() => Ok(format!("{e}, 0 retries")),
            Ok((e, retries)) => Err(format!("{e}, {retries} retries: not a TLS error, not retried")),
            Err(e) => Err(e),
        },
    );
    Ok(())
}
