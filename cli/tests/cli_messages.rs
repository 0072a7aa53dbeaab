//! Messages that say exactly what happened (issue 27, items 15-17, 19, 20, 22): a token the
//! API cannot take, what a wait was for and whether anything was sent, a paced job said once,
//! invisible characters shown, no Rust Debug text, hints that fit the command, plurals.

mod cli_support;

use std::time::Duration;

use cli_support::*;
use cloudflare_mtls::fake::Fault;
use serde_json::json;

/// `DIR` with `NAME.pem` holding `pem` for each `(name, pem)`.
fn folder(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = file("placeholder", "").parent().unwrap().join("folder");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, pem) in files {
        std::fs::write(dir.join(format!("{name}.pem")), pem).unwrap();
    }
    dir
}

#[test]
fn a_token_that_is_not_visible_ascii_is_a_usage_error_before_anything_is_sent() {
    let fake = fake();
    for (token, what) in [("tök-SECRET", "non-ASCII"), ("tok SECRET", "space"), ("tok\u{7f}SECRET", "control")] {
        // From the environment and from the command line.
        let from_env = command(fake.base_url().as_str()).env("CLOUDFLARE_API_TOKEN", token).arg("list").output();
        let from_flag = command(fake.base_url().as_str()).args(["--api-token", token, "list"]).output();
        for run in [from_env, from_flag] {
            let run = Run::from(run.unwrap()).expect(2);
            assert!(run.stderr.contains("visible ASCII"), "{token:?}: {run:?}");
            assert!(run.stderr.contains(what), "{token:?}: {run:?}");
            assert!(!run.stderr.contains("SECRET") && !run.stderr.contains("network"), "{run:?}");
        }
    }
    assert_eq!(fake.with_api(|api| api.requests_handled()), 0, "nothing was sent");
}

#[test]
fn a_429_without_retry_after_says_so_and_that_the_call_was_sent() {
    let fake = fake();
    fake.with_api(|api| api.fail_next(Fault::Api(429, 971, "Please wait".into())));
    let run = cf(&fake, &["--max-wait", "0", "list"]).expect(3);
    assert!(!run.stderr.contains("with Retry-After"), "{run:?}");
    assert!(run.stderr.contains("without Retry-After"), "{run:?}");
    assert!(!run.stderr.contains("nothing was sent"), "{run:?}");
    assert!(run.stderr.contains("sent once"), "{run:?}");
    assert!(run.stderr.contains("longer than --max-wait (0 ms)"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.requests_handled()), 1);
}

#[test]
fn a_503_with_retry_after_is_not_called_rate_limited() {
    let fake = fake();
    let unavailable = Fault::Api(503, 1000, "Service unavailable".into());
    fake.with_api(|api| api.fail_next(Fault::WithHeader(Box::new(unavailable), "retry-after".into(), "7".into())));
    let run = cf(&fake, &["--retries", "0", "list"]).expect(3);
    assert!(!run.stderr.contains("rate limited"), "{run:?}");
    assert!(run.stderr.contains("HTTP 503") && run.stderr.contains("Retry-After"), "{run:?}");
    assert!(run.stderr.contains("try again in 7.0 s"), "{run:?}");
}

#[test]
fn short_waits_that_add_up_are_announced_once_with_the_rate_and_the_time() {
    let fake = fake();
    // One call a second, as `serve-fake --rate-limit 1/1s`: every wait is a second or less.
    fake.with_api(|api| api.rate_limit(1, Duration::from_secs(1)));
    let files: Vec<(String, &str)> = FIVE_CAS.iter().enumerate().map(|(n, pem)| (format!("c{n}"), *pem)).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let dir = folder(&files);
    let run = cf(&fake, &["apply", dir.to_str().unwrap()]).expect(0);
    let said: Vec<&str> = run.stderr.lines().filter(|l| l.contains("paced")).collect();
    assert_eq!(said.len(), 1, "{run:?}");
    assert!(said[0].contains("1 call per 1.0 s"), "{run:?}");
    assert!(said[0].contains("5 steps left"), "{run:?}");
    assert!(said[0].contains("about 4.") || said[0].contains("about 5."), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates().len()), 5);
}

#[test]
fn invisible_and_line_separating_characters_are_escaped_in_a_listing() {
    let fake = fake();
    let name = "a\u{200b}b\u{2028}c\u{2029}d\u{feff}e\u{2066}f\u{2060}g";
    insert(
        &fake,
        json!({"id": "0d7a4d6d-2cf8-4b7f-9a71-3c1d1e9b6d5a", "name": name, "ca": true, "certificates": CA_PEM}),
    );
    let run = cf(&fake, &["list"]).expect(0);
    for raw in ['\u{200b}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{2066}', '\u{2060}'] {
        assert!(!run.stdout.contains(raw), "{raw:?} raw in {run:?}");
    }
    assert!(run.stdout.contains("a\\u{200b}b\\u{2028}c\\u{2029}d\\u{feff}e\\u{2066}f\\u{2060}g"), "{run:?}");
}

#[test]
fn a_plan_problem_prints_no_debug_text() {
    let fake = fake();
    // The listing names "noid" without an ID.
    let page = json!({"success": true, "errors": [], "messages": [],
        "result": [{"name": "noid", "ca": true, "certificates": CA_PEM}],
        "result_info": {"page": 1, "per_page": 50, "count": 1, "total_count": 1, "total_pages": 1}});
    fake.with_api(|api| api.fail_next(Fault::Raw(200, "application/json".into(), page.to_string().into_bytes())));
    let dir = folder(&[("noid", include_str!("../../tests/fixtures/ca-p256.pem"))]);
    let run = cf(&fake, &["plan", dir.to_str().unwrap()]);
    assert_eq!(run.code, 8, "{run:?}");
    assert!(!run.stdout.contains("Some(") && !run.stderr.contains("Some("), "{run:?}");
    assert!(format!("{}{}", run.stdout, run.stderr).contains("\"noid\""), "{run:?}");
}

#[test]
fn a_fifo_in_an_apply_folder_gets_a_hint_apply_can_follow() {
    let dir = folder(&[]);
    let fifo = dir.join("pipe.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo did not make a FIFO");
        return;
    }
    let fake = fake();
    let run = cf(&fake, &["plan", dir.to_str().unwrap()]).expect(5);
    assert!(run.stderr.contains("named pipe"), "{run:?}");
    assert!(!run.stderr.contains("pass -"), "{run:?}");
    assert!(run.stderr.contains("regular file"), "{run:?}");
    // upload takes -, and says so.
    let run = cf(&fake, &["upload", "--cert", fifo.to_str().unwrap(), "--ca"]).expect(5);
    assert!(run.stderr.contains("pass -"), "{run:?}");
}

#[test]
fn a_large_manifest_is_not_called_a_pem_chain() {
    let dir = folder(&[("ca", CA_PEM)]);
    std::fs::write(dir.join(".cf-mtls.json"), " ".repeat(3 * 1024 * 1024)).unwrap();
    let fake = fake();
    let run = cf(&fake, &["plan", dir.to_str().unwrap()]);
    assert!(run.stderr.contains("manifest") && run.stderr.contains("larger than 1 MiB"), "{run:?}");
    assert!(!run.stderr.contains("PEM"), "{run:?}");
}

#[test]
fn a_body_over_the_limit_is_named_as_the_body_limit_not_the_network() {
    let fake = fake();
    let body = format!("{{\"result\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    fake.with_api(|api| api.fail_next(Fault::Raw(200, "application/json".into(), body.into_bytes())));
    let run = cf(&fake, &["--retries", "0", "list"]);
    assert_ne!(run.code, 4, "{run:?}");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("4 MiB") && run.stderr.contains("too large"), "{run:?}");
    assert!(run.stderr.contains("not a network problem"), "{run:?}");
    assert!(!run.stderr.contains("and the network"), "{run:?}");
}

#[test]
fn one_is_singular() {
    let fake = fake();
    insert(
        &fake,
        json!({"id": "0d7a4d6d-2cf8-4b7f-9a71-3c1d1e9b6d5b", "name": "ca", "ca": true, "certificates": CA_PEM}),
    );
    // list, then the delete: the second call waits for the budget of one call per 2 s.
    let run = cf(&fake, &["--pace", "1/2s", "delete", "--name", "ca", "--yes"]).expect(0);
    assert!(run.stderr.contains("budget of 1 call per 2.0 s"), "{run:?}");
    assert!(!run.stderr.contains("1 calls"), "{run:?}");
}

#[test]
fn a_name_given_where_an_id_goes_gets_the_name_hint() {
    let fake = fake();
    insert(
        &fake,
        json!({"id": "0d7a4d6d-2cf8-4b7f-9a71-3c1d1e9b6d5c", "name": "my-ca", "ca": true, "certificates": CA_PEM}),
    );
    for args in [&["get", "my-ca"][..], &["associations", "my-ca"], &["delete", "my-ca", "--yes"]] {
        let run = cf(&fake, args).expect(3);
        assert!(run.stderr.contains("hint: to find a certificate by name, pass --name my-ca"), "{args:?}: {run:?}");
    }
    assert_eq!(fake.with_api(|api| api.certificates().len()), 1);
}
