//! Part 2 of issue 5: decoding a list envelope of 1, 100 and 1,000 realistic certificates,
//! against the floor (serde_json on the bare `result` array, into the same structs) and the
//! hand-written `serde_json::Value` path, on the same bytes in the same run.
//!
//! `cargo bench --bench decode`. Throughput is counted on the whole envelope for every
//! variant, so the MB/s columns compare directly; allocations per decode come from divan's
//! `AllocProfiler`.

use cloudflare_mtls::time::OffsetDateTime;
use cloudflare_mtls::time::format_description::well_known::Rfc3339;
use cloudflare_mtls::{
    AccountId, BlockingClient, Certificate, CertificateId, CertificateType, Config, Credentials, Endpoint, Get, List,
    Page,
};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use serde_json::Value;

#[path = "support/mod.rs"]
mod support;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

const SIZES: [u64; 3] = [1, 100, 1_000];

fn main() {
    // The three decoders must agree on every fixture, or the comparison means nothing.
    for n in SIZES {
        let f = support::list_envelope(n);
        let ours = envelope_decode(&f.body);
        assert_eq!(ours.items.len() as u64, n);
        assert_eq!(ours.items, floor_decode(f.result_bytes()), "floor differs at n={n}");
        assert_eq!(ours.items, floor_decode_str(f.result_bytes()), "floor differs at n={n}");
        assert_eq!(ours.items, value_decode_cloning(&f.body), "Value path differs at n={n}");
        assert_eq!(ours.items, value_decode_moving(&f.body), "Value path differs at n={n}");
        eprintln!("fixture n={n}: {} bytes of envelope, {} bytes of result array", f.body.len(), f.result.len());
    }
    let f = support::list_envelope_without_pem(1_000);
    let ours = envelope_decode(&f.body).items;
    assert_eq!(ours.len(), 1_000);
    assert_eq!(ours, value_decode_cloning(&f.body));
    divan::main();
    // Only when benchmarking for real (`cargo bench`), not in divan's test mode.
    if std::env::args().any(|a| a == "--bench") {
        ratios();
    }
}

/// The crate: `List::parse_response`, as the client calls it.
fn envelope_decode(body: &[u8]) -> Page<Certificate> {
    let response = http::Response::new(body);
    // A fixture that does not decode is the bench's bug: it fails loudly, never measures an
    // empty list.
    List::new(AccountId::new(support::ACCOUNT).unwrap()).parse_response(&response).expect("the fixture decodes")
}

/// The floor: the bare array, straight into the same structs.
fn floor_decode(array: &[u8]) -> Vec<Certificate> {
    serde_json::from_slice(array).expect("the fixture's array decodes")
}

/// The floor with the crate's own trick: UTF-8 checked once, then `from_str` (which skips
/// the per-string check `from_slice` makes).
fn floor_decode_str(array: &[u8]) -> Vec<Certificate> {
    serde_json::from_str(std::str::from_utf8(array).expect("the fixture is UTF-8"))
        .expect("the fixture's array decodes")
}

/// The usual hand-written path: a `Value` tree, then fields picked (and cloned) out of it.
fn value_decode_cloning(body: &[u8]) -> Vec<Certificate> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    if v["success"].as_bool() != Some(true) {
        return Vec::new();
    }
    let string = |o: &Value, k: &str| o[k].as_str().map(str::to_owned);
    let date = |o: &Value, k: &str| o[k].as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    let certs = v["result"].as_array().map(|a| a.as_slice()).unwrap_or_default();
    certs
        .iter()
        .map(|o| {
            let mut c = Certificate::default();
            c.id = o["id"].as_str().and_then(|s| CertificateId::new(s).ok());
            c.name = string(o, "name");
            c.ca = o["ca"].as_bool();
            c.certificates = string(o, "certificates");
            c.expires_on = date(o, "expires_on").map(Into::into);
            c.issuer = string(o, "issuer");
            c.serial_number = string(o, "serial_number");
            c.signature = string(o, "signature");
            c.uploaded_on = date(o, "uploaded_on").map(Into::into);
            c.updated_at = date(o, "updated_at").map(Into::into);
            c.kind = o["type"].as_str().map(CertificateType::from);
            c
        })
        .collect()
}

/// A careful hand-written path: the `Value` tree taken apart, strings moved rather than cloned.
fn value_decode_moving(body: &[u8]) -> Vec<Certificate> {
    let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    if v.get("success").and_then(Value::as_bool) != Some(true) {
        return Vec::new();
    }
    let Some(Value::Array(certs)) = v.remove("result") else { return Vec::new() };
    let take = |o: &mut serde_json::Map<String, Value>, k: &str| match o.remove(k) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let date = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
    };
    certs
        .into_iter()
        .filter_map(|o| match o {
            Value::Object(o) => Some(o),
            _ => None,
        })
        .map(|mut o| {
            let mut c = Certificate::default();
            c.id = take(&mut o, "id").and_then(|s| CertificateId::new(s).ok());
            c.name = take(&mut o, "name");
            c.ca = o.get("ca").and_then(Value::as_bool);
            c.certificates = take(&mut o, "certificates");
            c.expires_on = date(&o, "expires_on").map(Into::into);
            c.issuer = take(&mut o, "issuer");
            c.serial_number = take(&mut o, "serial_number");
            c.signature = take(&mut o, "signature");
            c.uploaded_on = date(&o, "uploaded_on").map(Into::into);
            c.updated_at = date(&o, "updated_at").map(Into::into);
            c.kind = take(&mut o, "type").map(|s| CertificateType::from(s.as_str()));
            c
        })
        .collect()
}

#[divan::bench(args = SIZES)]
fn envelope(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| envelope_decode(black_box(&f.body)));
}

#[divan::bench(args = SIZES)]
fn floor_bare_array(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    let array = f.result_bytes().to_vec();
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| floor_decode(black_box(&array)));
}

#[divan::bench(args = SIZES)]
fn floor_bare_array_from_str(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    let array = f.result_bytes().to_vec();
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| floor_decode_str(black_box(&array)));
}

#[divan::bench(args = SIZES)]
fn value_then_pick_cloning(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| value_decode_cloning(black_box(&f.body)));
}

#[divan::bench(args = SIZES)]
fn value_then_pick_moving(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| value_decode_moving(black_box(&f.body)));
}

/// The envelope's own share: `decode` with `result` ignored (what classifying a response costs
/// beyond the items).
#[divan::bench(args = SIZES)]
fn envelope_result_ignored(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    let headers = http::HeaderMap::new();
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| {
        cloudflare_mtls::decode::<serde::de::IgnoredAny>(http::StatusCode::OK, &headers, black_box(&f.body))
            .map(|s| s.result_info.unwrap_or_default())
            .unwrap_or_default()
    });
}

/// The two ends again on metadata only (no `certificates` PEM): where the `Value` path pays.
#[divan::bench(args = [1_000])]
fn envelope_without_pem(bencher: Bencher, n: u64) {
    let f = support::list_envelope_without_pem(n);
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| envelope_decode(black_box(&f.body)));
}

#[divan::bench(args = [1_000])]
fn floor_bare_array_without_pem(bencher: Bencher, n: u64) {
    let f = support::list_envelope_without_pem(n);
    let array = f.result_bytes().to_vec();
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| floor_decode(black_box(&array)));
}

#[divan::bench(args = [1_000])]
fn value_then_pick_cloning_without_pem(bencher: Bencher, n: u64) {
    let f = support::list_envelope_without_pem(n);
    bencher.counter(BytesCount::of_slice(&f.body)).bench(|| value_decode_cloning(black_box(&f.body)));
}

/// The least any envelope reader must do: a struct with only `result`, every other key
/// skipped. The gap between this and `floor_bare_array` is the cost of reading the envelope's
/// bytes at all; the gap between `envelope` and this is the cost of what the crate reads in
/// them (`success`, `errors`, `messages`, `result_info`).
#[derive(serde::Deserialize)]
struct OnlyResult {
    result: Vec<Certificate>,
}

#[divan::bench(args = SIZES)]
fn envelope_minimal_struct(bencher: Bencher, n: u64) {
    let f = support::list_envelope(n);
    bencher
        .counter(BytesCount::of_slice(&f.body))
        .bench(|| serde_json::from_slice::<OnlyResult>(black_box(&f.body)).map(|e| e.result).unwrap_or_default());
}

/// A whole `client.get` without I/O: request built, sent to a closure that answers a
/// one-certificate envelope (2 KiB), decoded. The crate's full share of an end-to-end call.
#[divan::bench]
fn client_get_in_memory(bencher: Bencher) {
    let body = support::get_envelope();
    let transport = |_: http::Request<Vec<u8>>| Ok::<_, ()>(http::Response::new(body.as_slice()));
    let config = Config::new(Credentials::api_token(support::TOKEN).unwrap());
    let client = BlockingClient::new(config, transport);
    // The certificate the envelope holds: a get for another ID is (rightly) a decode error.
    let (account, id) = (AccountId::new(support::ACCOUNT).unwrap(), support::certificate_id(0));
    bencher
        .counter(BytesCount::of_slice(&body))
        .bench_local(|| client.get(black_box(&account), black_box(&id)).unwrap());
}

/// Decoding that same `get` response alone.
#[divan::bench]
fn get_decode(bencher: Bencher) {
    let body = support::get_envelope();
    let get = Get::new(AccountId::new(support::ACCOUNT).unwrap(), support::certificate_id(0));
    assert!(get.parse_response(&http::Response::new(body.as_slice())).is_ok(), "the fixture decodes");
    bencher
        .counter(BytesCount::of_slice(&body))
        .bench(|| get.parse_response(&http::Response::new(black_box(body.as_slice()))));
}

/// The ratios, from interleaved runs on the same bytes.
fn ratios() {
    for (n, reps) in [(1, 2_000), (100, 20), (1_000, 2)] {
        let f = support::list_envelope(n);
        let array = f.result_bytes().to_vec();
        let body = f.body.as_slice();
        let times = support::interleave(
            41,
            reps,
            &mut [
                &mut || drop(black_box(floor_decode(black_box(&array)))),
                &mut || drop(black_box(envelope_decode(black_box(body)))),
                &mut || drop(black_box(serde_json::from_slice::<OnlyResult>(black_box(body)))),
                &mut || drop(black_box(floor_decode_str(black_box(&array)))),
                &mut || drop(black_box(value_decode_cloning(black_box(body)))),
                &mut || drop(black_box(value_decode_moving(black_box(body)))),
            ],
        );
        let names = [
            "floor: bare array",
            "envelope (List::parse_response)",
            "minimal envelope struct",
            "floor, UTF-8 checked once (from_str)",
            "Value, fields cloned",
            "Value, fields moved",
        ];
        let mb = body.len() as f64 / 1e6;
        support::summarise(&format!("decode n={n} ({mb:.3} MB envelope)"), reps, &names, &times);
    }
}
