//! `cf-mtls apply` and `plan`: a folder of certificates made by openssl, applied to the fake
//! under a rate limit smaller than the job (no 429), then planned again (no changes); replaces,
//! prunes, what blocks a plan, and one bad file that stops everything before a call is sent.

mod cli_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cli_support::*;
use cloudflare_mtls::Association;
use cloudflare_mtls::fake_server::FakeServer;

/// A folder of its own holding `files` (name, text).
fn folder(files: &[(&str, &str)]) -> PathBuf {
    let dir = file("placeholder", "").parent().unwrap().join("certs");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn run_in(fake: &FakeServer, args: &[&str], dir: &Path) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.push(dir.to_str().unwrap());
    cf(fake, &all)
}

#[test]
fn more_certificates_than_the_rate_limit_then_no_changes() {
    if !have_openssl() {
        return;
    }
    let fake = fake();
    fake.with_api(|api| api.rate_limit(5, Duration::from_secs(2)));
    // Eleven CAs, to pass the rate limit: past the five an account holds, so the limit is
    // raised on the fake and told to the plan.
    fake.with_api(|api| api.set_ca_limit(11));
    let log = record(&fake);
    let dir = folder(&[]);
    for n in 0..11 {
        openssl_cert(&dir, &format!("ca-{n:02}"), true, false, 90);
    }
    openssl_cert(&dir, "client", false, true, 90);
    std::fs::write(dir.join("README.md"), "not read").unwrap();

    let blocked = run_in(&fake, &["plan", "--json"], &dir).expect(8);
    assert_eq!(blocked.json()["cas"], serde_json::json!({"now": 0, "peak": 11, "limit": 5}));
    let plan = run_in(&fake, &["plan", "--json", "--ca-limit", "11"], &dir).expect(7);
    let json = plan.json();
    assert_eq!((json["changes"].as_u64(), json["ready"].as_bool()), (Some(12), Some(true)), "{plan:?}");
    assert!(json["steps"].as_array().unwrap().iter().all(|s| s["action"] == "create"));
    let leaf = json["steps"].as_array().unwrap().iter().find(|s| s["name"] == "client").unwrap();
    assert_eq!(leaf["ca"], false, "CA or leaf by basicConstraints");

    // 13 calls (a list, 12 uploads) through a budget of 5 per 2 s: paced, not refused.
    let run = run_in(&fake, &["apply", "--ca-limit", "11"], &dir).expect(0);
    assert!(
        run.stdout.contains("created \"ca-00\"") && run.stdout.ends_with("Applied 12 changes; 0 unchanged.\n"),
        "{run:?}"
    );
    let stored = fake.with_api(|api| api.certificates());
    assert_eq!(stored.len(), 12);
    assert_eq!(stored.iter().filter(|c| c.ca == Some(true)).count(), 11);
    let answered = log.lock().unwrap().clone();
    assert!(!answered.iter().any(|l| l.ends_with(" 429")), "{answered:#?}");
    assert_eq!(answered.iter().filter(|l| l.starts_with("POST ")).count(), 12);

    // Again: nothing to do (the fake, like the API, stored its own PEM encoding). Each run
    // is a new process whose first call knows nothing of the window the last one spent: it
    // may draw a 429, and waits its Retry-After.
    let run = run_in(&fake, &["apply"], &dir).expect(0);
    assert_eq!(run.stdout, "No changes: the 12 certificates the folder names match the account.\n", "{run:?}");
    let run = run_in(&fake, &["plan"], &dir).expect(0);
    assert!(run.stdout.ends_with("Plan: 0 to create, 0 to replace, 0 to delete, 12 unchanged.\n"), "{run:?}");
    run_in(&fake, &["apply", "--dry-run"], &dir).expect(0);
    assert_eq!(log.lock().unwrap().iter().filter(|l| !l.starts_with("GET ")).count(), 12, "only reads after the apply");
}

#[test]
fn pem_rewritten_by_the_api_is_unchanged_and_other_der_is_replaced() {
    let fake = fake();
    let dir = folder(&[("same.pem", CA_PEM), ("other.pem", CA_PEM), ("flag.pem", LEAF_PEM)]);
    // As the API may store them: CRLF line ends, no final newline; another certificate;
    // the same certificate uploaded with the other CA flag.
    let crlf = CA_PEM.trim_end().replace('\n', "\r\n");
    let same = insert(&fake, serde_json::json!({"name": "same", "ca": true, "certificates": crlf}));
    let other = insert(&fake, serde_json::json!({"name": "other", "ca": true, "certificates": LEAF_PEM}));
    insert(&fake, serde_json::json!({"name": "flag", "ca": true, "certificates": LEAF_PEM}));
    insert(&fake, serde_json::json!({"name": "stale", "ca": true, "certificates": CA_PEM}));
    insert(&fake, serde_json::json!({"name": "gateway", "type": "gateway_managed", "certificates": CA_PEM}));

    let json = run_in(&fake, &["plan", "--json"], &dir).expect(7).json();
    let actions: Vec<(String, String)> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["action"].as_str().unwrap().to_owned(), s["name"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [("unchanged", "same"), ("replace", "flag"), ("replace", "other")];
    assert_eq!(actions, expected.map(|(a, n)| (a.to_owned(), n.to_owned())), "{json:#}");
    assert_eq!(json["steps"][1]["change"], "the CA flag differs");
    assert_eq!(json["steps"][2]["change"], "the certificates differ");
    assert_eq!(json["steps"][0]["id"], same.as_str());

    // --prune deletes the custom certificate the folder lacks, never the managed one.
    let run = run_in(&fake, &["apply", "--prune", "--yes"], &dir).expect(0);
    assert!(run.stdout.contains(&format!("replaced \"other\" ({other} -> ")), "{run:?}");
    assert!(run.stdout.contains("deleted \"stale\""), "{run:?}");
    let names = |fake: &FakeServer| {
        let mut names: Vec<String> =
            fake.with_api(|api| api.certificates()).into_iter().filter_map(|c| c.name).collect();
        names.sort();
        names
    };
    assert_eq!(names(&fake), ["flag", "gateway", "other", "same"]);
    let run = run_in(&fake, &["plan", "--prune"], &dir).expect(0);
    assert!(run.stdout.contains("3 unchanged"), "{run:?}");
}

#[test]
fn a_replace_of_a_certificate_in_use_blocks_the_plan() {
    let fake = fake();
    let dir = folder(&[("used.pem", CA_PEM), ("new.pem", LEAF_PEM)]);
    let used = insert(&fake, serde_json::json!({"name": "used", "ca": true, "certificates": LEAF_PEM}));
    let gateway: Association =
        serde_json::from_value(serde_json::json!({"service": "gateway", "status": "active"})).unwrap();
    assert!(fake.with_api(|api| api.attach(&used, gateway)));
    let log = record(&fake);

    let run = run_in(&fake, &["plan"], &dir).expect(8);
    assert!(run.stdout.contains("blocked") && run.stdout.contains("in use by gateway (active)"), "{run:?}");
    let json = run_in(&fake, &["plan", "--json"], &dir).expect(8).json();
    assert_eq!(json["ready"], false);
    assert_eq!(json["steps"][1]["in_use"][0], "gateway (active)");
    let run = run_in(&fake, &["apply"], &dir).expect(8);
    assert!(run.stderr.contains("nothing was changed"), "{run:?}");
    // Reads only: no upload (not even of `new`, which was not blocked), no delete.
    assert!(log.lock().unwrap().iter().all(|l| l.starts_with("GET ")), "{:#?}", log.lock().unwrap());
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);
}

#[test]
fn duplicate_and_managed_names_are_reported_not_guessed() {
    let fake = fake();
    let dir = folder(&[("twice.pem", CA_PEM), ("gw.pem", CA_PEM)]);
    let a = insert(&fake, serde_json::json!({"name": "twice", "certificates": CA_PEM}));
    let b = insert(&fake, serde_json::json!({"name": "twice", "certificates": CA_PEM}));
    insert(&fake, serde_json::json!({"name": "gw", "type": "gateway_managed", "certificates": CA_PEM}));
    let run = run_in(&fake, &["apply"], &dir).expect(8);
    assert!(run.stdout.contains("2 certificates on the account are named \"twice\""), "{run:?}");
    assert!(run.stdout.contains(a.as_str()) && run.stdout.contains(b.as_str()), "{run:?}");
    assert!(run.stdout.contains("gateway_managed"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 3);
}

#[test]
fn one_bad_file_sends_nothing_and_every_problem_is_listed() {
    let fake = fake();
    let requests = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&requests);
    fake.log_requests(move |_, _, _, _| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    let dir = folder(&[
        ("good.pem", CA_PEM),
        ("mismatch.pem", LEAF_PEM),
        ("mismatch.key", KEY_PEM),
        ("keyed.pem", &format!("{CA_PEM}{LEAF_KEY}")),
        ("expired.pem", EXPIRED_PEM),
        ("orphan.key", LEAF_KEY),
    ]);
    for command in ["apply", "plan"] {
        let run = run_in(&fake, &[command], &dir).expect(5);
        assert!(run.stderr.contains("4 problems in") && run.stderr.contains("nothing was sent"), "{run:?}");
        for name in ["mismatch.key", "keyed.pem", "expired.pem", "orphan.key"] {
            assert!(run.stderr.contains(name), "{name}: {run:?}");
        }
        assert!(!run.stderr.contains("good.pem"), "{run:?}");
        // The key in `keyed.pem` is never shown.
        let key_body: Vec<&str> = LEAF_KEY.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(key_body.iter().all(|line| !run.stderr.contains(line)), "{run:?}");
    }
    assert_eq!(requests.load(Ordering::Relaxed), 0);
    assert!(fake.with_api(|api| api.certificates()).is_empty());
}

#[test]
fn an_empty_folder_is_refused() {
    let fake = fake();
    let dir = folder(&[]);
    let run = run_in(&fake, &["apply", "--prune"], &dir).expect(2);
    assert!(run.stderr.contains("has no NAME.pem files"), "{run:?}");
    let run = cf(&fake, &["plan", "/nonexistent/folder"]).expect(5);
    assert!(run.stderr.contains("cannot read the folder /nonexistent/folder"), "{run:?}");
}
