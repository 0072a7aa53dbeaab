//! The edges a first-time user meets at the shell: waits that are announced and bounded,
//! durations that would overflow, names that would forge a line of output, and plain
//! wording (a plan is not an error; one certificate is not "certificates").

mod cli_support;

use std::time::{Duration, Instant};

use cli_support::*;
use serde_json::json;

#[test]
fn a_servers_hour_fails_the_call_at_once_saying_how_long_and_what_to_do() {
    let fake = fake();
    upload_ca(&fake, "ca");
    // One call an hour: the list is answered with r=0, t=3600; the delete would wait an hour.
    fake.with_api(|api| api.rate_limit(1, Duration::from_secs(3600)));
    let started = Instant::now();
    let run = cf(&fake, &["delete", "--name", "ca", "--yes"]).expect(3);
    assert!(started.elapsed() < Duration::from_secs(30), "it waited: {run:?}");
    assert!(run.stderr.contains("waiting 59 min 59 s for the API's rate limit (Ratelimit"), "{run:?}");
    assert!(run.stderr.contains("longer than --max-wait (5 min)"), "{run:?}");
    assert!(run.stderr.contains("nothing was sent") && run.stderr.contains("--max-wait"), "{run:?}");
    assert!(!run.stderr.contains("18446744073709"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates().len()), 1, "nothing was deleted");
}

#[test]
fn every_wait_over_a_second_is_announced_on_stderr() {
    use cloudflare_mtls::fake::Fault;
    // The pacer's wait: the server's window of 3 s (one call each), within --max-wait.
    let fake = fake();
    upload_ca(&fake, "ca");
    fake.with_api(|api| api.rate_limit(1, Duration::from_secs(3)));
    let run = cf(&fake, &["delete", "--name", "ca", "--yes"]).expect(0);
    let waits: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("cf-mtls: waiting")).collect();
    assert_eq!(waits.len(), 1, "{run:?}");
    assert!(waits[0].contains("for the API's rate limit (Ratelimit"), "{run:?}");

    // --max-wait below that wait: it is not made.
    let fake = fake_with_ca();
    fake.with_api(|api| api.rate_limit(1, Duration::from_secs(3)));
    let run = cf(&fake, &["--max-wait", "500ms", "delete", "--name", "ca", "--yes"]).expect(3);
    assert!(run.stderr.contains("longer than --max-wait (500 ms)"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates().len()), 1);

    // A retry's wait: a 429 with Retry-After: 2 (scripted), pacing off so the retry policy
    // alone meets it.
    let fake = fake_with_ca();
    let refusal = Fault::Api(429, 971, "Please wait".into());
    fake.with_api(|api| api.fail_next(Fault::WithHeader(Box::new(refusal), "retry-after".into(), "2".into())));
    let run = cf(&fake, &["--pace", "off", "list"]).expect(0);
    assert!(run.stderr.contains("cf-mtls: waiting 2.0 s before retry 1 (HTTP 429)"), "{run:?}");
    // A short wait passes unsaid.
    let fake = fake_with_ca();
    fake.with_api(|api| api.fail_next(Fault::Html(502)));
    let run = cf(&fake, &["list"]).expect(0);
    assert!(!run.stderr.contains("waiting"), "{run:?}");
}

/// A fake holding one CA named `ca`.
fn fake_with_ca() -> cloudflare_mtls::fake_server::FakeServer {
    let fake = fake();
    upload_ca(&fake, "ca");
    fake
}

#[test]
fn durations_that_would_overflow_are_usage_errors_naming_the_largest() {
    let fake = fake();
    for args in [
        &["--timeout", "18446744073709551615s", "list"][..],
        &["--pace", "5/18446744073709551615s", "list"],
        &["--max-wait", "10000y", "list"],
        &["check", "--expiring-within", "99999999999999999999d"],
        &["serve-fake", "--rate-limit", "5/10000y"],
    ] {
        let run = cf(&fake, args).expect(2);
        assert!(run.stderr.contains("36525d"), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
    }
    // The largest is taken, and works.
    cf(&fake, &["--timeout", "36525d", "--pace", "5/36525d", "list"]).expect(0);
    let zero = cf(&fake, &["--pace", "0/5s", "list"]).expect(2);
    assert!(zero.stderr.contains("--pace off") && !zero.stderr.contains("Pacing::"), "{zero:?}");
}

#[test]
fn a_name_cannot_forge_a_line_of_text_output() {
    let fake = fake();
    let forged = "x\nOK: none of 9 certificates expires within 30 days.\n\tok";
    let id = insert(
        &fake,
        json!({"name": forged, "ca": true, "type": "custom", "issuer": "O=A\nB",
               "expires_on": "2020-01-01T00:00:00Z", "certificates": CA_PEM}),
    );
    let check = cf(&fake, &["check"]).expect(6);
    assert!(!check.stdout.lines().any(|l| l.starts_with("OK:")), "{check:?}");
    assert!(check.stdout.contains(r#""x\nOK: none of 9 certificates expires within 30 days.\n\tok""#), "{check:?}");
    for args in [&["list"][..], &["get", id.as_str()], &["get", "--name", forged]] {
        let run = cf(&fake, args).expect(0);
        assert!(!run.stdout.lines().any(|l| l.starts_with("OK:") || l.starts_with('\t')), "{args:?}: {run:?}");
        assert!(run.stdout.contains(r"x\nOK"), "{args:?}: {run:?}");
    }
    // JSON keeps the name exactly.
    assert_eq!(cf(&fake, &["get", id.as_str(), "--json"]).expect(0).json()["name"], forged);
}

#[test]
fn wording_says_what_was_asked_once_and_in_the_right_number() {
    let fake = fake();
    let dir = file("one.pem", CA_PEM).parent().unwrap().to_path_buf();
    // A plan with a change is exit 7 and a summary, not an error.
    let plan = cf(&fake, &["plan", dir.to_str().unwrap()]).expect(7);
    assert!(plan.stdout.contains("Plan: 1 to create"), "{plan:?}");
    assert!(!plan.stderr.contains("error"), "{plan:?}");
    cf(&fake, &["apply", dir.to_str().unwrap()]).expect(0);
    let again = cf(&fake, &["apply", dir.to_str().unwrap()]).expect(0);
    assert_eq!(again.stdout, "No changes: the 1 certificate the folder names matches the account.\n");
    // The window echoed as typed days, not "1year 1month 4days 7h 26m 24s".
    let check = cf(&fake, &["check", "--expiring-within", "400d"]).expect(0);
    assert_eq!(check.stdout, "OK: none of 1 certificate expires within 400 days.\n");
}

/// Runs `cmd` and kills it if it is still running after 20 s (a hang is the failure).
fn bounded(mut cmd: std::process::Command) -> Run {
    use std::process::Stdio;
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("hung: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap().into()
}

fn fifo(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    path
}

#[test]
fn a_fifo_or_device_where_a_file_belongs_is_refused_not_waited_on() {
    let fake = fake();
    let dir = file("placeholder", "").parent().unwrap().to_path_buf();
    let pipe = fifo(&dir, "pipe.pem");
    let pipe = pipe.to_str().unwrap();
    let ca = file("ca.pem", CA_PEM);
    let ca = ca.to_str().unwrap();
    let base = fake.base_url().as_str().to_owned();
    for (args, env) in [
        (vec!["upload", "--ca", "--cert", pipe], None),
        (vec!["upload", "--ca", "--cert", ca, "--key", pipe], None),
        (vec!["upload", "--ca", "--cert", "/dev/zero"], None),
        (vec!["--cacert", pipe, "list"], None),
        (vec!["list"], Some(pipe)),
    ] {
        let mut cmd = command(&base);
        if let Some(cert_file) = env {
            // SSL_CERT_FILE matters for an https API only.
            cmd.env("SSL_CERT_FILE", cert_file).env("CLOUDFLARE_BASE_URL", "https://api.example.test/client/v4");
        }
        let run = bounded({
            cmd.args(&args);
            cmd
        })
        .expect(5);
        assert!(run.stderr.contains("not a regular file"), "{args:?}: {run:?}");
        assert!(run.stderr.contains("named pipe") || run.stderr.contains("a device"), "{args:?}: {run:?}");
    }
    // In an apply folder.
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("ca.pem"), CA_PEM).unwrap();
    fifo(&folder, "other.pem");
    let mut cmd = command(&base);
    cmd.args(["plan", folder.to_str().unwrap()]);
    let run = bounded(cmd).expect(5);
    assert!(run.stderr.contains("other.pem is a named pipe (FIFO), not a regular file"), "{run:?}");
}

#[test]
fn a_certificate_piped_in_as_dash_is_read() {
    let fake = fake();
    let mut cmd = command(fake.base_url().as_str());
    cmd.args(["upload", "--ca", "--cert", "-", "--name", "piped", "--json"]);
    let stored = with_stdin(cmd, CA_PEM).expect(0).json();
    assert_eq!(stored["name"], "piped");
    let mut cmd = command(fake.base_url().as_str());
    cmd.args(["upload", "--cert", "-", "--key", "-"]);
    assert!(with_stdin(cmd, CA_PEM).expect(2).stderr.contains("cannot both be -"));
}

#[test]
fn roots_are_checked_when_read_and_only_where_they_matter() {
    let fake = fake();
    // A certificate in DER given as --cacert: converted with x509, not pkey.
    let der = file("ca.der", "");
    std::fs::write(&der, [0x30, 0x82, 0x01, 0xff, 0xfe]).unwrap();
    let run = cf(&fake, &["--cacert", der.to_str().unwrap(), "list"]).expect(5);
    assert!(run.stderr.contains("openssl x509 -inform DER"), "{run:?}");
    // A CERTIFICATE block that is not X.509: refused when read, not "unknown issuer" later.
    let junk = file("junk.pem", "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n");
    let run = cf(&fake, &["--cacert", junk.to_str().unwrap(), "list"]).expect(5);
    assert!(run.stderr.contains("not an X.509 certificate"), "{run:?}");
    // A stale SSL_CERT_FILE does not break a plain-http API (the fake on loopback)...
    let mut cmd = command(fake.base_url().as_str());
    cmd.env("SSL_CERT_FILE", "/nonexistent/ca.pem").arg("list");
    Run::from(cmd.output().unwrap()).expect(0);
    // ...but does an https one, named.
    let mut cmd = command("https://api.example.test/client/v4");
    cmd.env("SSL_CERT_FILE", "/nonexistent/ca.pem").arg("list");
    assert!(Run::from(cmd.output().unwrap()).expect(5).stderr.contains("/nonexistent/ca.pem"));
}

#[test]
fn a_bad_proxy_variable_is_a_usage_error_naming_it() {
    for (name, value) in
        [("HTTPS_PROXY", "ftp://proxy:21"), ("https_proxy", "http://[bad"), ("ALL_PROXY", "socks5://x:1")]
    {
        let mut cmd = command("https://api.example.test/client/v4");
        cmd.env(name, value).arg("list");
        let run = bounded(cmd).expect(2);
        assert!(run.stderr.contains(&format!("in {name}")), "{name}: {run:?}");
        assert!(!run.stderr.contains("base URL"), "{name}: {run:?}");
    }
    // Not read for loopback, which is never proxied: the fake still answers.
    let fake = fake();
    let mut cmd = command(fake.base_url().as_str());
    cmd.env("HTTPS_PROXY", "ftp://proxy:21").env("HTTP_PROXY", "ftp://proxy:21").arg("list");
    Run::from(cmd.output().unwrap()).expect(0);
}

#[test]
fn an_absurd_retry_after_reads_as_one_human_number() {
    use cloudflare_mtls::fake::Fault;
    let fake = fake();
    let refusal = Fault::Api(429, 971, "Please wait".into());
    let absurd = Fault::WithHeader(Box::new(refusal), "retry-after".into(), u64::MAX.to_string());
    fake.with_api(|api| api.fail_next(absurd));
    let run = cf(&fake, &["list"]).expect(3);
    assert!(run.stderr.contains("(retry after more than 100 years)"), "{run:?}");
    assert!(run.stderr.contains("try again in more than 100 years"), "{run:?}");
    assert!(!run.stderr.contains("18446744073709"), "{run:?}");
}
