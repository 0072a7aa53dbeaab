//! What the benches share: realistic list envelopes, generated deterministically from the
//! four real certificates in `tests/fixtures/bench/` (so the repository holds ~7 KiB of PEM,
//! not megabytes of JSON), and the test account and credentials.

#![allow(dead_code)] // Each bench uses its own part of this module.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Real X.509 certificates made with `openssl` (see `tests/fixtures/bench/README.md`), with
/// the issuer DN and signature algorithm the API reports for each.
const PEMS: [(&str, &str, &str); 4] = [
    (
        include_str!("../../tests/fixtures/bench/ca-rsa2048.pem"),
        "CN=Example Inc. Client Root CA,OU=Platform Security,O=Example Inc.,L=San Francisco,ST=California,C=US",
        "SHA256WithRSA",
    ),
    (
        include_str!("../../tests/fixtures/bench/ca-rsa3072.pem"),
        "CN=Beispiel Device Issuing CA 2,OU=Zero Trust,O=Beispiel GmbH,L=Berlin,ST=Berlin,C=DE",
        "SHA384WithRSA",
    ),
    (
        include_str!("../../tests/fixtures/bench/ca-rsa4096.pem"),
        "CN=Acme Widgets IoT Root CA G3,OU=IoT Fleet,O=Acme Widgets Ltd,L=London,ST=England,C=GB",
        "SHA256WithRSA",
    ),
    (
        include_str!("../../tests/fixtures/bench/leaf-rsa2048.pem"),
        "CN=Example Inc. Client Root CA,OU=Platform Security,O=Example Inc.,L=San Francisco,ST=California,C=US",
        "SHA256WithRSA",
    ),
];

/// The PEM text of the certificates the fixtures use (for uploads).
pub fn pems() -> impl Iterator<Item = &'static str> {
    PEMS.iter().map(|(pem, _, _)| *pem)
}

/// The account every bench uses.
pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// The API token every bench uses.
pub const TOKEN: &str = "bench-token-0123456789abcdef0123456789abcdef";

/// SplitMix64: a fixed, dependency-free sequence, so every run decodes the same bytes.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A list envelope as the API sends it, and where its bare `result` array lies in it.
pub struct Fixture {
    /// The whole response body.
    pub body: Vec<u8>,
    /// The byte range of the `result` array inside `body`.
    pub result: std::ops::Range<usize>,
}

impl Fixture {
    /// The bare `result` array: the same bytes the envelope carries.
    pub fn result_bytes(&self) -> &[u8] {
        &self.body[self.result.clone()]
    }
}

/// One certificate object as JSON: a 32-hex ID, a unique name, one of the real PEMs, a
/// 48-digit decimal serial, RFC 3339 dates (uploads with microseconds, as the API sends them).
/// The ID of certificate `i` of the generated bodies.
#[allow(dead_code)] // Not every bench uses it.
pub fn certificate_id(i: u64) -> cloudflare_mtls::CertificateId {
    let r = mix(i);
    cloudflare_mtls::CertificateId::new(format!("{:016x}{:016x}", mix(r), mix(r ^ 1))).unwrap()
}

fn certificate(out: &mut String, i: u64, with_pem: bool) {
    let r = mix(i);
    let (pem, issuer, signature) = PEMS[(i % 4) as usize];
    let id = format!("{:016x}{:016x}", mix(r), mix(r ^ 1));
    const E20: u64 = 10_000_000_000_000_000_000;
    let serial = format!("{}{:020}{:020}", 1 + r % 99_999_999, mix(r ^ 2) % E20, mix(r ^ 4) % E20);
    let year = 2026 + (r >> 8) % 20;
    let (month, day) = (1 + (r >> 16) % 12, 1 + (r >> 24) % 28);
    let (h, m, s, micros) = ((r >> 32) % 24, (r >> 40) % 60, (r >> 48) % 60, mix(r ^ 3) % 1_000_000);
    let kind = match r % 10 {
        0 => "gateway_managed",
        1 => "access_managed",
        _ => "custom",
    };
    // The only string that needs JSON escaping (its newlines), as in the real API.
    let pem = if with_pem {
        format!(r#""certificates":{},"#, serde_json::to_string(pem).unwrap_or_default())
    } else {
        String::new()
    };
    let _ = write!(
        out,
        r#"{{"id":"{id}","name":"mtls-cert-{i:05}-{}","ca":{},{pem}"expires_on":"{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z","issuer":"{issuer}","serial_number":"{serial}","signature":"{signature}","uploaded_on":"2024-{month:02}-{day:02}T{h:02}:{s:02}:{m:02}.{micros:06}Z","type":"{kind}"}}"#,
        ["prod", "staging", "dev", "edge"][(i % 4) as usize],
        i % 4 != 3,
    );
}

/// The envelope of a one-page list of `n` certificates, ordered as the API orders it.
pub fn list_envelope(n: u64) -> Fixture {
    list_page(0, n, 1, n.max(1), n)
}

/// The same list without the `certificates` PEM field: metadata only, to show how much of
/// the decoding time the PEM text takes.
pub fn list_envelope_without_pem(n: u64) -> Fixture {
    page(0, n, 1, n.max(1), n, false)
}

/// Page `page` (from 1) of `per_page` certificates out of `total`, starting at item `first`.
pub fn list_page(first: u64, count: u64, page_number: u64, per_page: u64, total: u64) -> Fixture {
    page(first, count, page_number, per_page, total, true)
}

fn page(first: u64, count: u64, page: u64, per_page: u64, total: u64, with_pem: bool) -> Fixture {
    let mut out = String::with_capacity(2_200 * count as usize + 256);
    out.push_str(r#"{"result":"#);
    let start = out.len();
    out.push('[');
    for i in first..first + count {
        if i > first {
            out.push(',');
        }
        certificate(&mut out, i, with_pem);
    }
    out.push(']');
    let end = out.len();
    let _ = write!(
        out,
        r#","result_info":{{"page":{page},"per_page":{per_page},"count":{count},"total_count":{total},"total_pages":{}}},"success":true,"errors":[],"messages":[]}}"#,
        total.div_ceil(per_page)
    );
    Fixture { body: out.into_bytes(), result: start..end }
}

/// The body of a `get` response: one certificate as `result`, in the envelope.
pub fn get_envelope() -> Vec<u8> {
    let mut out = String::from(r#"{"result":"#);
    certificate(&mut out, 0, true);
    out.push_str(r#","success":true,"errors":[],"messages":[]}"#);
    out.into_bytes()
}

/// Runs the rungs in turn, `rounds` times, each turn `reps` calls, rotating which goes first;
/// returns every turn's time per rung. Interleaving keeps a shared machine's drifting load
/// out of the ratios, which is why the benches print these after divan's table.
pub fn interleave(rounds: usize, reps: usize, rungs: &mut [&mut dyn FnMut()]) -> Vec<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(rounds); rungs.len()];
    for round in 0..rounds {
        for k in 0..rungs.len() {
            let i = (k + round) % rungs.len();
            let start = Instant::now();
            for _ in 0..reps {
                rungs[i]();
            }
            times[i].push(start.elapsed());
        }
    }
    times
}

/// Prints, per rung, the median time per call and the median of its per-round ratio to the
/// first rung.
pub fn summarise(title: &str, reps: usize, names: &[&str], times: &[Vec<Duration>]) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let rounds = times.first().map_or(0, Vec::len);
    eprintln!("\n{title} (interleaved: {rounds} rounds x {reps} calls per rung)");
    for (name, rung) in names.iter().zip(times) {
        let per_call = median(rung.iter().map(|d| d.as_secs_f64() * 1e6 / reps as f64).collect());
        let ratio = median(rung.iter().zip(&times[0]).map(|(t, base)| t.as_secs_f64() / base.as_secs_f64()).collect());
        eprintln!("  {name:<38} {per_call:10.2} µs/call {:10.0} calls/s {ratio:6.3}x {}", 1e6 / per_call, names[0]);
    }
}

/// The bundled blocking client without rate-limit pacing: a throughput bench makes more
/// calls than the API's budget allows in five minutes, against a fake with no limit.
#[cfg(feature = "ureq")]
pub fn unpaced_ureq(config: cloudflare_mtls::Config) -> cloudflare_mtls::ureq::Client {
    cloudflare_mtls::ureq::Builder::new(config).with_pacing(cloudflare_mtls::Pacing::off()).build()
}

/// The bundled async client without rate-limit pacing (see [`unpaced_ureq`]).
#[cfg(feature = "hyper")]
pub fn unpaced_hyper(config: cloudflare_mtls::Config) -> cloudflare_mtls::hyper::Client {
    cloudflare_mtls::hyper::Builder::new(config).with_pacing(cloudflare_mtls::Pacing::off()).build()
}
