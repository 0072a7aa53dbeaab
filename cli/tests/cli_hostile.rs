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
