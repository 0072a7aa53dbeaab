//! A `wasi:http/proxy` component (the shape Spin, wasmCloud and `wasmtime serve` run) that
//! reports the account's mTLS certificates expiring soon, as `examples/worker` does:
//! `GET /expiring?days=30` answers JSON `{"checked", "within_days", "expiring": [{"id",
//! "name", "expires_on", "days_left"}]}`, 200 when none expires within the window, 409 when
//! some do; 400 for a `days` that is not a whole number from 0 to 36500, 502 when the API
//! call failed, 500 when the component's settings are missing.
//!
//! It calls the API through cloudflare-mtls's blocking `wasi` client (blocking inside the
//! handler is what a WASI 0.2 handler does: it waits on pollables), configured from
//! `wasi:cli/environment`: `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID`, and
//! `CLOUDFLARE_BASE_URL` for another API (the fake, in tests).
//!
//! ```sh
//! cargo build --release --target wasm32-wasip2
//! wasmtime serve -S cli --env CLOUDFLARE_API_TOKEN --env CLOUDFLARE_ACCOUNT_ID \
//!   target/wasm32-wasip2/release/mtls_wasi_proxy.wasm
//! curl 'http://127.0.0.1:8080/expiring?days=30'
//! ```

use cloudflare_mtls::{AccountId, Certificate, List};
use serde::Serialize;
use time::OffsetDateTime;
use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

wasip2::http::proxy::export!(Service);

/// The window when the request names none.
const DEFAULT_DAYS: i64 = 30;
/// The widest window taken (a century): wider ones would overflow the date arithmetic.
const MAX_DAYS: i64 = 36_500;

/// One certificate that expires within the window.
#[derive(Serialize)]
struct Expiring {
    id: String,
    name: Option<String>,
    expires_on: String,
    days_left: i64,
}

/// What the component reports.
#[derive(Serialize)]
struct Report {
    checked: usize,
    within_days: i64,
    expiring: Vec<Expiring>,
}

/// An answer: its status, content type and body.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Answer {
    fn text(status: u16, text: impl Into<String>) -> Self {
        let mut body = text.into().into_bytes();
        body.push(b'\n');
        Self { status, content_type: "text/plain; charset=utf-8", body }
    }
}

struct Service;

impl Guest for Service {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let target = request.path_with_query().unwrap_or_default();
        respond(out, answer(&target));
    }
}

/// The answer to a request for `target` (path and query).
fn answer(target: &str) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/expiring" {
        return Answer::text(404, "GET /expiring?days=N");
    }
    let days = match query.split('&').find_map(|pair| pair.strip_prefix("days=")) {
        None => DEFAULT_DAYS,
        Some(days) => match days.parse::<i64>() {
            Ok(days) if (0..=MAX_DAYS).contains(&days) => days,
            _ => return Answer::text(400, format!("days must be a whole number from 0 to {MAX_DAYS}, not {days:?}")),
        },
    };
    let settings = std::env::var("CLOUDFLARE_ACCOUNT_ID")
        .map_err(|_| "CLOUDFLARE_ACCOUNT_ID is not set".to_owned())
        .and_then(|id| AccountId::new(id).map_err(|e| format!("CLOUDFLARE_ACCOUNT_ID: {e}")))
        .and_then(|account| Ok((account, cloudflare_mtls::wasi::from_env().map_err(|e| e.to_string())?)));
    let (account, client) = match settings {
        Ok(settings) => settings,
        Err(why) => return Answer::text(500, why),
    };
    let all = client.list_all(List::new(account)).collect::<Result<Vec<Certificate>, _>>();
    match all {
        Ok(all) => {
            let report = report(&all, days, OffsetDateTime::now_utc());
            let status = if report.expiring.is_empty() { 200 } else { 409 };
            match serde_json::to_vec(&report) {
                Ok(body) => Answer { status, content_type: "application/json", body },
                Err(e) => Answer::text(500, e.to_string()),
            }
        }
        Err(e) => Answer::text(502, e.to_string()),
    }
}

/// The certificates of `all` expiring within `days` days of `now`.
fn report(all: &[Certificate], days: i64, now: OffsetDateTime) -> Report {
    let deadline = now + time::Duration::days(days);
    let expiring = all
        .iter()
        .filter_map(|cert| {
            let expires = cert.expires_on.filter(|at| *at <= deadline)?;
            Some(Expiring {
                id: cert.id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
                name: cert.name.clone(),
                expires_on: expires.to_string(),
                days_left: (expires.get() - now).whole_days(),
            })
        })
        .collect();
    Report { checked: all.len(), within_days: days, expiring }
}

/// Sends `answer` through `out`. Once the head is sent nothing can change the status: a
/// failure to write the body leaves the host to end the response.
fn respond(out: ResponseOutparam, answer: Answer) {
    let headers = Fields::from_list(&[
        ("content-type".to_owned(), answer.content_type.as_bytes().to_vec()),
        ("content-length".to_owned(), answer.body.len().to_string().into_bytes()),
    ]);
    let Ok(headers) = headers else { return };
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(answer.status);
    let Ok(body) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    let Ok(stream) = body.write() else { return };
    // At most 4096 bytes a call, as `blocking-write-and-flush` takes.
    for chunk in answer.body.chunks(4096) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            return;
        }
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}
