//! `cf-mtls` against hostile input: names and messages that try to drive the terminal,
//! files that never end, servers whose pages never end or that answer a byte a second.

mod cli_support;
#[path = "../../tests/support/key_shapes.rs"]
mod key_shapes;
#[allow(dead_code)] // Shared with the e2e suites; this file uses a part.
#[path = "../../tests/support/raw.rs"]
mod raw;

use std::time::{Duration, Instant};

use cli_support::*;
use cloudflare_mtls::fake::Fault;
use raw::{Reply, Scripted};

/// What a terminal would act on: ESC, BEL, the one-byte CSI, DEL, a bidi override.
const ACTIVE: [char; 5] = ['\u{1b}', '\u{07}', '\u{9b}', '\u{7f}', '\u{202e}'];

#[track_caller]
fn assert_inert(text: &str) {
    for c in ACTIVE {
        assert!(!text.contains(c), "{c:?} reached the terminal: {text:?}");
    }
}

/// `cf-mtls ARGS` against any base URL.
fn run_against(base_url: &str, args: &[&str]) -> Run {
    command(base_url).args(args).output().unwrap().into()
}

#[test]
fn names_issuers_and_messages_never_drive_the_terminal() {
    let fake = fake();
    let name = "evil\u{1b}]0;pwned\u{07}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}gpj.exe";
    let id = insert(&fake, serde_json::json!({"name": name, "issuer": "CN=\u{1b}[5mblink", "ca": true}));
    for args in [vec!["list"], vec!["get", id.as_str()], vec!["get", "--name", name], vec!["associations", id.as_str()]]
    {
        let run = cf(&fake, &args).expect(0);
        assert_inert(&run.stdout);
        assert_inert(&run.stderr);
    }
    let shown = cf(&fake, &["get", id.as_str()]).expect(0).stdout;
    assert!(shown.contains(r"evil\u{1b}]0;pwned\u{7}"), "shown, made visible and inert: {shown}");

    // JSON keeps the exact value, escaped.
    let run = cf(&fake, &["get", id.as_str(), "--json"]).expect(0);
    assert_inert(&run.stdout);
    assert_eq!(run.json()["name"], name);
    let run = cf(&fake, &["list", "--json"]).expect(0);
    assert_inert(&run.stdout);
    assert_eq!(run.json()[0]["name"], name);

    // A server's error message and an HTML error page.
    fake.with_api(|api| api.fail_next(Fault::Api(400, 1000, "bad \u{1b}[2J request".into())));
    let run = cf(&fake, &["get", id.as_str()]).expect(3);
    assert_inert(&run.stderr);
    assert!(run.stderr.contains("bad \u{fffd}[2J request"), "{run:?}");
    let page = b"<html>\x1b]0;owned\x07<h1>\x9b2J</h1></html>".to_vec();
    fake.with_api(|api| api.fail_next(Fault::Raw(404, "text/html".into(), page)));
    let run = cf(&fake, &["get", id.as_str()]).expect(3);
    assert_inert(&run.stderr);
    // A user's own input, echoed in an error.
    let run = cf(&fake, &["get", "--name", "no\u{1b}[2Jsuch"]).expect(3);
    assert_inert(&run.stderr);
}

#[test]
fn a_file_that_never_ends_is_refused_at_one_mebibyte() {
    let fake = fake();
    let started = Instant::now();
    // A device is refused before it is read; a regular file past 1 MiB when read.
    let run = cf(&fake, &["upload", "--cert", "/dev/zero"]).expect(5);
    assert!(run.stderr.contains("/dev/zero is a device, not a regular file"), "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let big = file("big.pem", &"A".repeat(1024 * 1024 + 1));
    let run = cf(&fake, &["upload", "--cert", big.to_str().unwrap()]).expect(5);
    assert!(run.stderr.contains("larger than 1 MiB"), "{run:?}");
    let key = cf(&fake, &["upload", "--cert", file("ca.pem", CA_PEM).to_str().unwrap(), "--key", "/dev/zero"]);
    assert!(key.expect(5).stderr.contains("/dev/zero is a device"));
    assert_eq!(fake.requests_served(), 0);
}

/// A page that claims more pages forever, with fresh IDs each time.
fn endless_page(n: usize) -> Reply {
    let items: Vec<String> =
        (0..50).map(|i| format!(r#"{{"id":"{:032x}","name":"n{n}-{i}","ca":true}}"#, n * 50 + i)).collect();
    let body = format!(
        r#"{{"success":true,"errors":[],"messages":[],"result":[{}],"result_info":{{"page":{},"per_page":50,"count":50,"total_count":1000000000,"total_pages":20000000}}}}"#,
        items.join(","),
        n + 1
    );
    raw::ok_body(&body)
}

#[test]
fn a_listing_is_printed_as_its_pages_arrive() {
    // Three pages, then the server stalls: what came is already printed.
    for json in [false, true] {
        let mut script: Vec<Reply> = (0..3).map(endless_page).collect();
        script.push(Reply::Stall);
        let server = Scripted::start(script);
        let mut args = vec!["list", "--timeout", "1s", "--retries", "0"];
        if json {
            args.push("--json");
        }
        let run = run_against(server.base_url().as_str(), &args).expect(4);
        let printed = if json { run.stdout.matches("\"id\"").count() } else { run.stdout.lines().count() - 1 };
        assert_eq!(printed, 150, "every row before the stall: {run:?}");
        if json {
            assert!(
                serde_json::from_str::<serde_json::Value>(&run.stdout).is_err(),
                "an unfinished array is not valid"
            );
        }
    }
}

/// Page `n + 1` of a listing that claims 10^9 pages: 50 fresh certificates of 60 KB each,
/// some 3 MB a page.
fn endless_large_page(n: usize) -> Vec<u8> {
    let pem = "A".repeat(60_000);
    let items: Vec<String> = (0..50)
        .map(|i| {
            format!(r#"{{"id":"{n:08x}-0000-4000-8000-{i:012x}","name":"n{n}-{i}","ca":false,"certificates":"{pem}"}}"#)
        })
        .collect();
    let body = format!(
        r#"{{"success":true,"errors":[],"messages":[],"result":[{}],"result_info":{{"page":{},"per_page":50,"count":50,"total_count":50000000000,"total_pages":1000000000}}}}"#,
        items.join(","),
        n + 1
    );
    raw::response(200, &[("content-type", "application/json")], body.as_bytes())
}

/// Runs `cf-mtls ARGS` against `server`, stopped (and failed) if it asks for more than
/// `max_requests` pages or runs a minute: without a bound, it would hold every page. Also the
/// most memory it was seen to hold (its peak resident set, in MiB; 0 where `/proc` is not).
fn run_bounded(server: &Scripted, args: &[&str], max_requests: usize) -> (Run, u64) {
    let mut child = command(server.base_url().as_str())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        let high_water = std::fs::read_to_string(&status).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(high_water.unwrap_or(0) / 1024);
        if server.requests().len() > max_requests || started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still reading after {} pages and {:?}", server.requests().len(), started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().unwrap().into(), peak)
}

#[test]
fn plan_apply_and_export_stop_an_endless_listing_at_its_limit() {
    // 64 MiB of certificate text is the limit: 22 pages of 3 MB fit, the 23rd passes it.
    let dir = file("ca.pem", CA_PEM).parent().unwrap().to_owned();
    let (folder, out) = (dir.to_str().unwrap(), dir.join("out"));
    for args in [vec!["plan", folder], vec!["apply", folder], vec!["export", out.to_str().unwrap()]] {
        let server = Scripted::start(vec![Reply::Generated(endless_large_page)]);
        let started = Instant::now();
        let (run, peak) = run_bounded(&server, &args, 30);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("bytes of certificate text"), "{}", run.stderr);
        assert!(
            run.stderr.contains("a real account, with at most 5 CAs and some thousands of leaves"),
            "{}",
            run.stderr
        );
        assert_eq!(server.requests().len(), 23, "{args:?}");
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?}: {:?}", started.elapsed());
        // About 150 MiB: the 64 MiB, once as models and once as the API's JSON (for --json).
        assert!(peak < 256, "{args:?} held {peak} MiB");
    }
}

/// Page `n + 1` of six that alternate between two sets of 50 certificates, A, B, A, B...
fn alternating_page(n: usize) -> Vec<u8> {
    let items: Vec<String> =
        (0..50).map(|i| format!(r#"{{"id":"{:032x}","name":"n{i}"}}"#, (n % 2) * 50 + i)).collect();
    let body = format!(
        r#"{{"success":true,"errors":[],"messages":[],"result":[{}],"result_info":{{"page":{},"per_page":50,"count":50,"total_count":300,"total_pages":6}}}}"#,
        items.join(","),
        n + 1
    );
    raw::response(200, &[("content-type", "application/json")], body.as_bytes())
}

#[test]
fn a_listing_whose_pages_alternate_fails_at_the_first_id_seen_again() {
    let out = file("keep", "").parent().unwrap().join("out");
    for args in [vec!["list", "--json"], vec!["list"], vec!["export", out.to_str().unwrap()]] {
        let server = Scripted::start(vec![Reply::Generated(alternating_page)]);
        let (run, _) = run_bounded(&server, &args, 10);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        let id = format!("{:032x}", 0);
        assert!(
            run.stderr.contains(&format!("certificate {id} came on page 1 and again on page 3")),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(server.requests().len(), 3, "{args:?}");
    }
}

#[test]
fn timeout_and_retries_bound_a_dripping_server() {
    let server = Scripted::start(vec![Reply::Drip(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n".to_vec())]);
    let started = Instant::now();
    let run = run_against(server.base_url().as_str(), &["get", "abc", "--timeout", "1s", "--retries", "1"]).expect(4);
    let elapsed = started.elapsed();
    assert!(run.stderr.contains("no complete response within 1.0 s"), "{run:?}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    assert_eq!(server.requests().len(), 2, "one try and one retry");
    let run = run_against(server.base_url().as_str(), &["get", "abc", "--timeout", "soon"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn upload_never_shows_a_key_in_any_broken_shape() {
    let fake = fake();
    for (kind, key) in key_shapes::KEYS {
        // Three shapes per key keep the run short; the library's test covers every one.
        for (shape, text) in key_shapes::shapes(key).into_iter().step_by(17) {
            let context = format!("{kind}, {shape}");
            let path = file("cert.pem", &text);
            for dry_run in [false, true] {
                let mut args = vec!["upload", "--ca", "--cert", path.to_str().unwrap()];
                if dry_run {
                    args.push("--dry-run");
                }
                let run = cf(&fake, &args);
                assert_eq!(run.code, 5, "{context}: {run:?}");
                key_shapes::assert_no_key_material(&format!("{}{}", run.stdout, run.stderr), key, &context);
            }
        }
    }
    assert_eq!(fake.requests_served(), 0, "nothing was sent");
}
