//! Every exit code `cf-mtls` documents, each provoked for real, and `--dry-run`: the request
//! shown exactly, secrets redacted, nothing sent.

mod cli_support;

use cli_support::*;
use cloudflare_mtls::{Config, Credentials, Endpoint, PrivateKey, Upload};

#[test]
fn usage_errors_exit_2() {
    let fake = fake();
    for (args, says) in [
        (&["lst"][..], "unrecognized subcommand"),
        (&["get"], "required"),
        (&["get", "abc", "--name", "x"], "cannot be used with"),
        (&["get", "a/b"], "invalid certificate ID"),
        (&["list", "--expiring-within", "soon"], "30d"),
        (&["list", "--ca", "--leaf"], "cannot be used with"),
        (&["upload"], "--cert"),
        (&["serve-fake", "--dry-run"], "does not apply"),
    ] {
        let run = cf(&fake, args).expect(2);
        assert!(run.stderr.contains(says), "{args:?}: {run:?}");
        assert!(run.stdout.is_empty());
    }
    assert_eq!(fake.requests_served(), 0);
}

#[test]
fn missing_credentials_or_account_name_the_variable() {
    let fake = fake();
    let mut cmd = command(fake.base_url().as_str());
    cmd.env_remove("CLOUDFLARE_API_TOKEN").arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(2);
    assert!(run.stderr.starts_with("error: CLOUDFLARE_API_TOKEN is not set"), "{run:?}");
    assert!(run.stderr.contains("hint: export CLOUDFLARE_API_TOKEN="), "{run:?}");

    let mut cmd = command(fake.base_url().as_str());
    cmd.env_remove("CLOUDFLARE_API_TOKEN").env("CLOUDFLARE_API_KEY", "k").arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(2);
    assert!(run.stderr.starts_with("error: CLOUDFLARE_EMAIL is not set"), "{run:?}");

    let mut cmd = command(fake.base_url().as_str());
    cmd.env_remove("CLOUDFLARE_ACCOUNT_ID").arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(2);
    assert!(run.stderr.starts_with("error: CLOUDFLARE_ACCOUNT_ID is not set"), "{run:?}");
    assert!(run.stderr.contains("--account-id"), "{run:?}");

    let mut cmd = command("http://example.com/client/v4");
    cmd.arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(2);
    assert!(run.stderr.contains("invalid base URL"), "{run:?}");
    assert_eq!(fake.requests_served(), 0);
}

#[test]
fn api_errors_exit_3() {
    let fake = fake();
    for command in ["get", "associations"] {
        let run = cf(&fake, &[command, "0123456789abcdef0123456789abcdef"]).expect(3);
        assert!(run.stderr.contains("HTTP 404") && run.stderr.contains("not found"), "{run:?}");
    }
    let mut cmd = command(fake.base_url().as_str());
    cmd.env("CLOUDFLARE_API_TOKEN", "wrong-token").arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(3);
    assert!(run.stderr.contains("Authentication error"), "{run:?}");
    assert!(run.stderr.contains("#ssl:read"), "auth errors get a hint: {run:?}");
    assert!(!run.stderr.contains("wrong-token"), "{run:?}");
}

#[test]
fn network_errors_exit_4() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = command(&format!("http://127.0.0.1:{port}/client/v4"));
    cmd.arg("list");
    let run = Run::from(cmd.output().unwrap()).expect(4);
    let expected = format!("error: list certificates: transport error: could not connect to 127.0.0.1:{port}: ");
    assert!(run.stderr.starts_with(&expected), "{run:?}");
    assert!(run.stderr.contains("hint: check the base URL"), "{run:?}");
}

#[test]
fn local_file_errors_exit_5_before_anything_is_sent() {
    let fake = fake();
    let good = file("ca.pem", CA_PEM);
    let key = file("ca.key", KEY_PEM);
    let cases = [
        (
            vec!["--cert".to_owned(), "/nonexistent/ca.pem".to_owned()],
            "cannot read the certificate file /nonexistent/ca.pem",
        ),
        (
            vec!["--cert".into(), good.display().to_string(), "--key".into(), "/nonexistent/k.pem".into()],
            "cannot read the private key file /nonexistent/k.pem",
        ),
        (vec!["--cert".into(), file("both.pem", &format!("{CA_PEM}{KEY_PEM}")).display().to_string()], "--key FILE"),
        (vec!["--cert".into(), key.display().to_string()], "is a private key"),
        (
            vec!["--ca".into(), "--cert".into(), file("old.pem", EXPIRED_PEM).display().to_string()],
            "expired on 2021-01-01T00:00:00Z",
        ),
        (vec!["--cert".into(), file("empty.pem", "").display().to_string()], "is empty"),
        (
            vec!["--cert".into(), good.display().to_string(), "--key".into(), good.display().to_string()],
            "certificate, not a private key",
        ),
        (
            vec![
                "--cert".into(),
                file("junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                    .display()
                    .to_string(),
            ],
            "is not an X.509 certificate",
        ),
    ];
    for (args, says) in cases {
        for dry_run in [false, true] {
            let mut all = vec!["upload".to_owned()];
            all.extend(args.iter().cloned());
            if dry_run {
                all.push("--dry-run".into());
            }
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            let run = cf(&fake, &all).expect(5);
            assert!(run.stderr.starts_with("error: "), "{run:?}");
            assert!(run.stderr.contains(says), "{all:?}: {run:?}");
            assert!(!run.stderr.contains("MII"), "no key or certificate material in messages: {run:?}");
        }
    }
    assert_eq!(fake.requests_served(), 0);
}

#[test]
fn dry_run_shows_the_exact_request_redacted_and_sends_nothing() {
    let fake = fake();
    let url = fake.base_url().to_string();
    let cert = file("ca.pem", CA_PEM);
    let key = file("ca.key", KEY_PEM);
    let config = Config::new(Credentials::api_token(TOKEN).unwrap()).with_base_url(fake.base_url());
    let upload = Upload::ca(account(), CA_PEM).with_name("n");
    let sent = upload.to_request(&config).unwrap();

    // Without a key the body is byte for byte what the core sends.
    let run = cf(&fake, &["upload", "--ca", "--cert", cert.to_str().unwrap(), "--name", "n", "--dry-run"]).expect(0);
    let (head, body) = run.stdout.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some(format!("POST {url}/accounts/{ACCOUNT}/mtls_certificates").as_str()));
    let headers: Vec<&str> = lines.collect();
    assert_eq!(headers.len(), sent.headers().len());
    for (name, value) in sent.headers() {
        let shown = if name == "authorization" { "<redacted>" } else { value.to_str().unwrap() };
        assert!(headers.contains(&format!("{name}: {shown}").as_str()), "{name}: {run:?}");
    }
    assert_eq!(body.as_bytes(), [&sent.body()[..], b"\n"].concat());
    assert!(!run.stdout.contains(TOKEN));

    // With a key, the key is redacted and everything else is as sent.
    let run =
        cf(&fake, &["upload", "--ca", "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap(), "--dry-run"]);
    let run = run.expect(0);
    assert!(!run.stdout.contains("PRIVATE KEY") && !run.stdout.contains(TOKEN), "{run:?}");
    let body: serde_json::Value = serde_json::from_str(run.stdout.split_once("\n\n").unwrap().1).unwrap();
    let keyed = Upload::ca(account(), CA_PEM).with_private_key(PrivateKey::new(KEY_PEM));
    let mut expected: serde_json::Value = serde_json::from_slice(keyed.to_request(&config).unwrap().body()).unwrap();
    expected["private_key"] = "<redacted>".into();
    assert_eq!(body, expected);

    // Global key credentials: the key is redacted, the email is not a secret.
    let mut cmd = command(&url);
    cmd.env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_API_KEY", "global-SECRET")
        .env("CLOUDFLARE_EMAIL", "me@example.com")
        .args(["get", "abc", "--dry-run"]);
    let run = Run::from(cmd.output().unwrap()).expect(0);
    assert!(run.stdout.starts_with(&format!("GET {url}/accounts/{ACCOUNT}/mtls_certificates/abc\n")), "{run:?}");
    assert!(run.stdout.contains("x-auth-key: <redacted>\n") && run.stdout.contains("x-auth-email: me@example.com\n"));
    assert!(!run.stdout.contains("global-SECRET"));

    assert_eq!(fake.requests_served(), 0);
}

#[test]
fn dry_run_of_every_command() {
    let fake = fake();
    let id = upload_ca(&fake, "kept");
    let served = fake.requests_served();
    let url = format!("{}/accounts/{ACCOUNT}/mtls_certificates", fake.base_url());
    for (args, first_line) in [
        (vec!["list", "--ca", "--type", "custom"], format!("GET {url}?type=custom&ca=true&page=1&per_page=50")),
        (vec!["get", &id], format!("GET {url}/{id}")),
        (vec!["associations", &id], format!("GET {url}/{id}/associations")),
        // No --yes and stdin not a terminal: nothing would be deleted, so nothing is refused.
        (vec!["delete", &id], format!("DELETE {url}/{id}")),
        (vec!["delete", "--name", "kept"], format!("GET {url}?name=kept&page=1&per_page=50")),
        (vec!["check", "--type", "custom"], format!("GET {url}?type=custom&page=1&per_page=50")),
    ] {
        let mut all = args.clone();
        all.push("--dry-run");
        let run = cf(&fake, &all).expect(0);
        assert_eq!(run.stdout.lines().next(), Some(first_line.as_str()), "{args:?}");
        if args.contains(&"--name") {
            assert!(
                run.stdout.ends_with("\n# then DELETE the one certificate named \"kept\" that this lookup finds\n")
            );
        }
        all.push("--json");
        let json = cf(&fake, &all).expect(0).json();
        assert_eq!(format!("{} {}", json["method"].as_str().unwrap(), json["url"].as_str().unwrap()), first_line);
        assert_eq!(json["headers"]["authorization"], "<redacted>");
    }
    // plan and apply --dry-run read the account (no change); plan --dry-run is refused as
    // having nothing to print, and both change nothing.
    let dir = file("kept.pem", CA_PEM).parent().unwrap().to_path_buf();
    let refused = cf(&fake, &["plan", "--dry-run", dir.to_str().unwrap()]).expect(2);
    assert!(refused.stderr.contains("they run, not print a request"), "{refused:?}");
    assert_eq!(fake.requests_served(), served, "a dry run sends nothing");
    let planned = cf(&fake, &["apply", "--dry-run", "--json", dir.to_str().unwrap()]).expect(0).json();
    assert_eq!(planned["steps"][0]["action"], "unchanged", "{planned}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1, "apply --dry-run changed nothing");
}

#[test]
fn upload_checks_pairs_ca_flags_der_and_empty_files_locally() {
    let fake = fake();
    let leaf = file("leaf.pem", LEAF_PEM);
    let leaf_key = file("leaf.key", LEAF_KEY);
    let ca = file("ca.pem", CA_PEM);
    let ca_key = file("ca.key", KEY_PEM);
    let der = {
        let path = file("leaf.der", "");
        // A certificate in DER, as `openssl x509 -outform DER` writes it.
        let pem_body: String = LEAF_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        std::fs::write(&path, base64_decode(&pem_body)).unwrap();
        path
    };
    let empty = file("empty.pem", "");
    let p = |path: &std::path::PathBuf| path.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, &str, Option<&str>)> = vec![
        (
            vec!["--cert".into(), p(&leaf), "--key".into(), p(&ca_key)],
            "the private key does not belong to the certificate",
            None,
        ),
        (vec!["--ca".into(), "--cert".into(), p(&ca), "--key".into(), p(&leaf_key)], "does not belong", None),
        (vec!["--ca".into(), "--cert".into(), p(&leaf)], "the certificate is not a CA", Some("--force")),
        (vec!["--cert".into(), p(&ca)], "the certificate is a CA", Some("--force")),
        (vec!["--cert".into(), p(&der)], "is not PEM text", Some("openssl x509 -inform DER")),
        (vec!["--cert".into(), p(&empty)], "is empty", None),
        (vec!["--cert".into(), p(&leaf), "--key".into(), p(&empty)], "is empty", None),
    ];
    for (args, says, hint) in cases {
        let mut all = vec!["upload".to_owned()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let run = cf(&fake, &all).expect(5);
        assert!(run.stderr.contains(says), "{all:?}: {run:?}");
        if let Some(hint) = hint {
            assert!(run.stderr.contains(hint), "{all:?}: {run:?}");
        }
    }
    assert_eq!(fake.requests_served(), 0, "nothing was sent");
    // Matching pairs go through; --force overrides the CA check, not the key check.
    cf(&fake, &["upload", "--cert", &p(&leaf), "--key", &p(&leaf_key)]).expect(0);
    cf(&fake, &["upload", "--ca", "--cert", &p(&ca), "--key", &p(&ca_key)]).expect(0);
    cf(&fake, &["upload", "--ca", "--cert", &p(&leaf), "--force"]).expect(0);
    cf(&fake, &["upload", "--cert", &p(&leaf), "--key", &p(&ca_key), "--force"]).expect(5);
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 3);
}

/// Standard base64, for the DER fixture (no dependency for one test).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for &b in chunk {
            acc = acc << 6 | u32::from(value(b));
        }
        acc <<= 6 * (4 - chunk.len() as u32);
        out.extend(&acc.to_be_bytes()[1..chunk.len()]);
    }
    out
}
