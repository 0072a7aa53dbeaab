//! `cf-mtls export DIR`: the account's custom certificates as a folder that `plan` reads back
//! with nothing to do (the `ca` flag included), names that cannot be file names listed and
//! left out, nothing overwritten without `--force`.

mod cli_support;

use cli_support::*;
use serde_json::json;

const CA_P256: &str = include_str!("../../tests/fixtures/ca-p256.pem");
const CA_P256_KEY: &str = include_str!("../../tests/fixtures/ca-p256-key.pem");
const CHAIN: &str = include_str!("../../tests/fixtures/chain-p256.pem");

/// A CA, a leaf uploaded with its key, a chain, a self-signed CA:TRUE certificate uploaded as
/// a client certificate (ca = false), one stored with CRLF line ends, and a managed one.
fn mixed_account() -> cloudflare_mtls::fake_server::FakeServer {
    let fake = fake();
    let up = |args: &[&str]| cf(&fake, args).expect(0);
    up(&["upload", "--ca", "--name", "root", "--cert", file("root.pem", CA_PEM).to_str().unwrap()]);
    let (leaf, key) = (file("leaf.pem", LEAF_PEM), file("leaf.key", LEAF_KEY));
    up(&["upload", "--name", "client", "--cert", leaf.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    up(&["upload", "--name", "chain", "--cert", file("chain.pem", CHAIN).to_str().unwrap()]);
    let (own, own_key) = (file("own.pem", CA_P256), file("own.key", CA_P256_KEY));
    up(&["upload", "--name", "self-signed", "--cert", own.to_str().unwrap(), "--key", own_key.to_str().unwrap()]);
    insert(&fake, json!({"name": "crlf", "ca": true, "type": "custom", "certificates": CA_PEM.replace('\n', "\r\n")}));
    insert(&fake, json!({"name": "gateway", "ca": true, "type": "gateway_managed", "certificates": CA_P256}));
    fake
}

#[test]
fn an_exported_account_plans_with_nothing_to_do() {
    let fake = mixed_account();
    let dir = empty_dir("export");
    let run = cf(&fake, &["export", dir.to_str().unwrap()]).expect(0);
    assert_eq!(
        listing(&dir),
        [".cf-mtls.json", "chain.pem", "client.pem", "crlf.pem", "root.pem", "self-signed.pem"],
        "{run:?}"
    );
    assert!(run.stdout.contains("left out \"gateway\"") && run.stdout.contains("Cloudflare product"), "{run:?}");
    assert!(run.stdout.contains("never returns private keys"), "{run:?}");
    // The flag the certificate does not say is in the manifest; the stored PEM is as stored.
    let manifest = std::fs::read_to_string(dir.join(".cf-mtls.json")).unwrap();
    assert_eq!(manifest, "{\n  \"ca\": {\n    \"self-signed\": false\n  }\n}\n");
    assert!(std::fs::read_to_string(dir.join("crlf.pem")).unwrap().contains("\r\n"));

    let plan = cf(&fake, &["plan", "--json", dir.to_str().unwrap()]).expect(0).json();
    assert!(plan["steps"].as_array().unwrap().iter().all(|s| s["action"] == "unchanged"), "{plan}");
    assert_eq!(plan["steps"].as_array().unwrap().len(), 5);
    cf(&fake, &["plan", "--prune", dir.to_str().unwrap()]).expect(0);
    cf(&fake, &["apply", "--prune", "--yes", dir.to_str().unwrap()]).expect(0);

    // Again, without --force: nothing is overwritten, and the export says it is partial.
    std::fs::write(dir.join("root.pem"), "edited by hand").unwrap();
    let again = cf(&fake, &["export", dir.to_str().unwrap()]).expect(9);
    assert!(again.stdout.contains("kept") && again.stdout.contains("--force"), "{again:?}");
    assert!(!again.stdout.contains("wrote"), "{again:?}");
    assert_eq!(std::fs::read_to_string(dir.join("root.pem")).unwrap(), "edited by hand");
    let forced = cf(&fake, &["export", "--force", "--json", dir.to_str().unwrap()]).expect(0).json();
    // Only the edited file is written again: the rest is byte-identical, so unchanged.
    assert_eq!(forced["written"], json!(["root.pem"]), "{forced}");
    assert_eq!(forced["unchanged"].as_array().unwrap().len(), 5, "{forced}");
    assert_eq!(std::fs::read_to_string(dir.join("root.pem")).unwrap(), CA_PEM);
    // No temporary file is left behind.
    assert_eq!(listing(&dir).len(), 6);
}

#[test]
fn names_that_cannot_be_file_names_are_listed_not_guessed() {
    let fake = fake();
    for name in ["ok", "", "a/b", "..", "line\nbreak", "Twin", "twin", "same", "same", &"n".repeat(300)] {
        insert(&fake, json!({"name": name, "ca": true, "type": "custom", "certificates": CA_PEM}));
    }
    insert(&fake, json!({"ca": true, "type": "custom", "certificates": CA_PEM}));
    let dir = empty_dir("hostile");
    let run = cf(&fake, &["export", "--json", dir.to_str().unwrap()]).expect(9);
    let json = run.json();
    // The manifest records what was left out, so apply --prune keeps it.
    assert_eq!(json["written"], json!(["ok.pem", ".cf-mtls.json"]), "{json}");
    assert_eq!(json["skipped"].as_array().unwrap().len(), 10, "{json}");
    assert_eq!(listing(&dir), [".cf-mtls.json", "ok.pem"]);
    assert!(run.stderr.contains("the export is partial"), "{run:?}");
}

#[test]
fn a_folder_that_cannot_be_written_is_an_error_naming_it() {
    let fake = fake();
    upload_ca(&fake, "ca");
    let not_a_folder = file("file", "x");
    cf(&fake, &["export", not_a_folder.to_str().unwrap()]).expect(2);
    // Read-only even for root.
    // Each file that cannot be written is said, and the export is partial.
    let run = cf(&fake, &["export", "/proc/self"]).expect(9);
    assert!(run.stdout.contains("could not write /proc/self/ca.pem"), "{run:?}");
}
