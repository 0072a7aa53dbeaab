//! `cf-mtls hostnames`, `hostnames set` and `delete --detach` end to end against the fake
//! with two zones: the BYO CA path from upload to delete, each bad input refused before the
//! hostname call is sent (with what to fix), the race note of `--add`/`--remove`, the
//! refusal off a terminal without `--yes`, `--dry-run`'s PUT, and `serve-fake --zone`. The
//! prompt on a terminal is in `cli_prompt.rs`.

mod cli_support;

use cli_support::*;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{CertificateId, ZoneId};

const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";
const OTHER: &str = "5b1c6f3d4b7e4c08a1f3e8b2d9a60c77";

fn zone() -> ZoneId {
    ZoneId::new(ZONE).unwrap()
}

/// The fake with `ZONE` (example.com) and `OTHER` (example.org), and the example CA as
/// `my-ca`; its ID.
fn zoned() -> (FakeServer, String) {
    let fake = fake();
    fake.with_api(|api| {
        api.add_zone(zone(), "example.com").unwrap();
        api.add_zone(ZoneId::new(OTHER).unwrap(), "example.org").unwrap();
    });
    let id = upload_ca(&fake, "my-ca");
    (fake, id)
}

fn stored(fake: &FakeServer, zone: &str, ca: Option<&str>) -> Vec<String> {
    let ca = ca.map(|id| CertificateId::new(id).unwrap());
    fake.with_api(|api| api.hostnames(&ZoneId::new(zone).unwrap(), ca.as_ref())).unwrap()
}

/// The hostname calls that reached the fake since `log` started.
fn zone_calls(log: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    log.lock().unwrap().iter().filter(|l| l.contains("/zones/")).cloned().collect()
}

#[test]
fn byo_ca_from_upload_to_delete() {
    let (fake, id) = zoned();
    let run = cf(&fake, &["hostnames", "set", ZONE, "--cert", "my-ca", "api.example.com", "*.example.com"]).expect(0);
    assert_eq!(
        run.stdout,
        format!(
            "Hostnames of CA \"my-ca\" ({id}) in zone {ZONE}: added api.example.com, *.example.com; now 2 hostnames:\napi.example.com\n*.example.com\n"
        )
    );
    assert_eq!(stored(&fake, ZONE, Some(&id)), ["api.example.com", "*.example.com"]);

    // Read back, by name or by ID, as text (one a line) or as the API's object.
    for cert in ["my-ca", id.as_str()] {
        let run = cf(&fake, &["hostnames", ZONE, "--cert", cert]).expect(0);
        assert_eq!(run.stdout, "api.example.com\n*.example.com\n");
    }
    let json = cf(&fake, &["hostnames", ZONE, "--cert", "my-ca", "--json"]).expect(0).json();
    assert_eq!(json, serde_json::json!({"hostnames": ["api.example.com", "*.example.com"]}));
    // Without --cert: the zone's managed CA, a list of its own.
    let run = cf(&fake, &["hostnames", ZONE]).expect(0);
    assert_eq!(
        run.stdout,
        format!("No hostname of zone {ZONE} is associated with the zone's Cloudflare-managed CA.\n")
    );

    // The API refuses the delete, and the hint names the flag.
    let run = cf(&fake, &["delete", "--name", "my-ca", "--yes"]).expect(3);
    assert!(run.stderr.contains("pass --detach ZONE_ID"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);

    cf(&fake, &["hostnames", "set", OTHER, "--cert", "my-ca", "api.example.org"]).expect(0);
    let run = cf(&fake, &["delete", "--name", "my-ca", "--detach", ZONE, "--detach", OTHER, "--yes"]).expect(0);
    assert_eq!(
        run.stdout,
        format!(
            "Removed 2 hostnames (api.example.com, *.example.com) of certificate \"my-ca\" ({id}) in zone {ZONE}.\n\
             Removed 1 hostname (api.example.org) of certificate \"my-ca\" ({id}) in zone {OTHER}.\n\
             Deleted certificate \"my-ca\" ({id}).\n"
        )
    );
    assert!(fake.with_api(|api| api.certificates()).is_empty());
}

#[test]
fn add_remove_and_clear_read_change_and_write() {
    let (fake, id) = zoned();
    cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "a.example.com"]).expect(0);
    let run =
        cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "--add", "b.example.com", "A.EXAMPLE.COM"]).expect(0);
    assert!(run.stderr.contains("the API has no add or remove call"), "the race is said: {run:?}");
    assert!(run.stderr.contains("A.EXAMPLE.COM is associated already (as a.example.com)"), "{run:?}");
    assert_eq!(stored(&fake, ZONE, Some(&id)), ["a.example.com", "b.example.com"]);

    // A removal is destructive: off a terminal, --yes or nothing is changed.
    let log = record(&fake);
    let run = cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "--remove", "A.example.com"]).expect(2);
    assert!(run.stderr.starts_with(&format!(
        "error: refusing to remove 1 hostname (a.example.com) of CA \"my-ca\" ({id}) in zone {ZONE} without confirmation: stdin is not a terminal\nhint: pass --yes to remove from a script\n"
    )), "{run:?}");
    assert!(!log.lock().unwrap().iter().any(|l| l.starts_with("PUT ")), "no PUT: {log:?}");
    assert_eq!(stored(&fake, ZONE, Some(&id)), ["a.example.com", "b.example.com"]);
    let run =
        cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "--remove", "A.example.com", "z.example.com", "--yes"])
            .expect(0);
    assert!(run.stderr.contains("warning: z.example.com is not associated; nothing to remove"), "{run:?}");
    assert!(run.stdout.contains("removed a.example.com; now 1 hostname:\nb.example.com\n"), "{run:?}");

    // A replace that removes asks too; one that only adds does not.
    cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "c.example.com"]).expect(2);
    cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "b.example.com", "c.example.com"]).expect(0);
    let json = cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "--clear", "--yes", "--json"]).expect(0).json();
    assert_eq!(json, serde_json::json!({"hostnames": []}));
    assert!(stored(&fake, ZONE, Some(&id)).is_empty());
    // Nothing left to remove: no question.
    let run = cf(&fake, &["-q", "hostnames", "set", ZONE, "--cert", &id, "--clear"]).expect(0);
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
}

#[test]
fn the_zone_defaults_from_cloudflare_zone_id() {
    let (fake, id) = zoned();
    let with_zone = |args: &[&str], zone: &str| -> Run {
        command(fake.base_url().as_str()).env("CLOUDFLARE_ZONE_ID", zone).args(args).output().unwrap().into()
    };
    with_zone(&["hostnames", "set", "--cert", &id, "api.example.com"], ZONE).expect(0);
    assert_eq!(with_zone(&["hostnames", "--cert", &id], ZONE).expect(0).stdout, "api.example.com\n");
    // A ZONE_ID given wins over the variable.
    with_zone(&["hostnames", "set", OTHER, "--cert", &id, "api.example.org"], ZONE).expect(0);
    assert_eq!(stored(&fake, OTHER, Some(&id)), ["api.example.org"]);
    assert_eq!(with_zone(&["hostnames", OTHER, "--cert", &id], ZONE).expect(0).stdout, "api.example.org\n");
    // Neither: said, with where to find the ID.
    let run = cf(&fake, &["hostnames", "--cert", &id]).expect(2);
    assert!(run.stderr.contains("give the zone's ID (ZONE_ID), or set CLOUDFLARE_ZONE_ID"), "{run:?}");
    let run = cf(&fake, &["hostnames", "set", "--cert", &id, "api.example.com"]).expect(2);
    assert!(run.stderr.contains("or set CLOUDFLARE_ZONE_ID"), "{run:?}");
    let run = with_zone(&["hostnames"], "example.com").expect(2);
    assert!(run.stderr.contains("example.com is not a zone ID: it has a dot"), "{run:?}");
}

#[test]
fn bad_input_is_refused_before_the_hostname_call_with_what_to_fix() {
    let (fake, _) = zoned();
    insert(&fake, serde_json::json!({"name": "twin", "ca": true}));
    insert(&fake, serde_json::json!({"name": "twin", "ca": true}));
    let leaf = file("leaf.pem", LEAF_PEM);
    let key = file("leaf.key", LEAF_KEY);
    cf(&fake, &["upload", "--name", "client", "--cert", leaf.to_str().unwrap(), "--key", key.to_str().unwrap()])
        .expect(0);
    let log = record(&fake);
    for (args, says) in [
        (
            &["hostnames", "set", ZONE, "--cert", "my-ca", "api.example.com."][..],
            "give the name without the trailing dot",
        ),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "bücher.example.com"], "punycode (xn--...)"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "https://api.example.com"], "without the scheme or path"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "api.example.com:8443"], "without a port"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "a.*.example.com"], "whole first label"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "a.example.com", "A.example.com"], "give each hostname once"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca"], "no hostname given"),
        (&["hostnames", "set", ZONE, "--cert", "my-ca", "--clear", "a.example.com"], "give no HOST with it"),
        (&["hostnames", "set", "zone/x", "--cert", "my-ca", "a.example.com"], "invalid zone ID \"zone/x\""),
        (&["hostnames", "example.com", "--cert", "my-ca"], "it has a dot (the zone's name?)"),
        (&["hostnames", ZONE, "--cert", "client"], "is a leaf (CA: no)"),
        (&["hostnames", "set", ZONE, "--cert", "client", "a.example.com"], "upload the CA with `cf-mtls upload --ca"),
        (&["hostnames", ZONE, "--cert", "nobody"], "no certificate is named \"nobody\""),
        (&["hostnames", "set", ZONE, "--cert", "twin", "a.example.com"], "2 certificates are named \"twin\""),
    ] {
        let run = cf(&fake, args);
        assert_ne!(run.code, 0, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?}: {run:?}");
        assert_eq!(zone_calls(&log), Vec::<String>::new(), "{args:?}: a hostname call was sent");
    }
    // The local checks send nothing at all.
    let before = fake.requests_served();
    cf(&fake, &["hostnames", "set", ZONE, "--cert", "my-ca", "api.example.com."]).expect(2);
    cf(&fake, &["hostnames", "example.com"]).expect(2);
    assert_eq!(fake.requests_served(), before);
}

#[test]
fn the_apis_refusals_come_with_hints() {
    let (fake, id) = zoned();
    let run = cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "api.example.org"]).expect(3);
    assert!(run.stderr.contains("1009 hostname \"api.example.org\" is not in zone example.com"), "{run:?}");
    let run = cf(&fake, &["hostnames", "ffffffffffffffffffffffffffffffff", "--cert", &id]).expect(3);
    assert!(run.stderr.contains("is ffffffffffffffffffffffffffffffff the ID of a zone of this account?"), "{run:?}");
    // Past five CAs: the API's 1489, and what to do.
    for n in 0..4 {
        upload_ca(&fake, &format!("more-{n}"));
    }
    let ca = file("ca.pem", CA_PEM);
    let run = cf(&fake, &["upload", "--ca", "--cert", ca.to_str().unwrap(), "--name", "sixth"]).expect(3);
    assert!(run.stderr.contains("1489 Hit maximum CA cert allocation."), "{run:?}");
    assert!(run.stderr.contains("at most five CAs"), "{run:?}");
}

#[test]
fn dry_run_shows_the_put_with_its_body_and_changes_nothing() {
    let (fake, id) = zoned();
    cf(&fake, &["hostnames", "set", ZONE, "--cert", "my-ca", "old.example.com"]).expect(0);
    let log = record(&fake);
    let run = cf(&fake, &["--dry-run", "hostnames", "set", ZONE, "--cert", "my-ca", "new.example.com"]).expect(0);
    let url = format!("{}/zones/{ZONE}/certificate_authorities/hostname_associations", fake.base_url());
    assert!(run.stdout.starts_with(&format!("PUT {url}\n")), "{run:?}");
    assert!(
        run.stdout.contains(&format!("\n{{\"hostnames\":[\"new.example.com\"],\"mtls_certificate_id\":\"{id}\"}}\n")),
        "{run:?}"
    );
    assert!(run.stdout.contains("# this would remove 1 hostname (old.example.com)"), "{run:?}");
    assert!(!run.stdout.contains(TOKEN), "{run:?}");
    let json =
        cf(&fake, &["--dry-run", "--json", "hostnames", "set", ZONE, "--cert", "my-ca", "--add", "new.example.com"])
            .expect(0)
            .json();
    assert_eq!(json["method"], "PUT");
    assert_eq!(
        json["body"],
        serde_json::json!({"hostnames": ["old.example.com", "new.example.com"], "mtls_certificate_id": id})
    );
    assert!(!log.lock().unwrap().iter().any(|l| l.starts_with("PUT ")), "reads only: {log:?}");
    assert_eq!(stored(&fake, ZONE, Some(&id)), ["old.example.com"]);

    // The list and delete --detach print their first request, and send nothing.
    let before = fake.requests_served();
    let json = cf(&fake, &["--dry-run", "--json", "hostnames", ZONE]).expect(0).json();
    assert_eq!((json["method"].as_str(), json["url"].as_str()), (Some("GET"), Some(url.as_str())));
    let run = cf(&fake, &["--dry-run", "delete", &id, "--detach", ZONE, "--detach", OTHER]).expect(0);
    assert!(run.stdout.starts_with(&format!("GET {url}?mtls_certificate_id={id}\n")), "{run:?}");
    assert!(run.stdout.contains(&format!("in zone {ZONE}, {OTHER} and remove them")), "{run:?}");
    assert_eq!(fake.requests_served(), before);
}

#[test]
fn a_detach_that_fails_deletes_nothing_and_says_what_was_done() {
    let (fake, id) = zoned();
    cf(&fake, &["hostnames", "set", ZONE, "--cert", &id, "a.example.com"]).expect(0);
    let run = cf(&fake, &["delete", &id, "--detach", ZONE, "--detach", "ffffffffffffffffffffffffffffffff", "--yes"])
        .expect(3);
    assert!(
        run.stderr.contains(&format!("the certificate was not deleted; its hostnames in zone {ZONE} were removed")),
        "{run:?}"
    );
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);
    assert!(stored(&fake, ZONE, Some(&id)).is_empty());
    // Off a terminal, --yes first: refused before anything is sent.
    let before = fake.requests_served();
    let run = cf(&fake, &["delete", &id, "--detach", ZONE]).expect(2);
    assert!(run.stderr.contains("pass --yes"), "{run:?}");
    assert_eq!(fake.requests_served(), before);
}

#[test]
fn serve_fake_takes_zones() {
    let (_server, info) =
        serve_fake(&["--quiet", "--zone", &format!("{ZONE}=example.com"), "--zone", &format!("{OTHER}=example.org")]);
    assert_eq!(info["env"]["CLOUDFLARE_ZONE_ID"], ZONE);
    assert_eq!(
        info["zones"],
        serde_json::json!([{"id": ZONE, "name": "example.com"}, {"id": OTHER, "name": "example.org"}])
    );
    let base = info["base_url"].as_str().unwrap();
    let run = |args: &[&str]| -> Run {
        command(base)
            .env("CLOUDFLARE_API_TOKEN", "fake-token")
            .env("CLOUDFLARE_ZONE_ID", ZONE)
            .args(args)
            .output()
            .unwrap()
            .into()
    };
    run(&["hostnames", "set", "api.example.com"]).expect(0);
    assert_eq!(run(&["hostnames"]).expect(0).stdout, "api.example.com\n");
    for bad in ["example.com", &format!("{ZONE}=*.example.com"), &format!("{ZONE}=exa mple.com"), "a/b=example.com"] {
        let out = std::process::Command::new(BIN).env_clear().args(["serve-fake", "--zone", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
    }
}
