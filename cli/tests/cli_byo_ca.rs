//! BYO CA as code, end to end against the fake with a zone: a folder with a CA and its
//! hostnames applies, re-plans empty, rotates to a new PEM (hostnames on the new CA, the old
//! one gone) in the number of calls the plan says, converges after being killed between any
//! two calls, retires a CA with --prune, blocks at the CA limit (exit 8, nothing changed),
//! and round-trips through `export --zone`.

mod cli_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_support::*;
use cloudflare_mtls::ZoneId;
use cloudflare_mtls::fake_server::FakeServer;

const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

fn zone() -> ZoneId {
    ZoneId::new(ZONE).unwrap()
}

fn zoned() -> FakeServer {
    let fake = fake();
    fake.with_api(|api| api.add_zone(zone(), "example.com").unwrap());
    fake
}

/// A folder with `team-ca.pem` (`pem`) and the manifest giving it `hosts` in `ZONE`.
fn folder(name: &str, pem: &str, hosts: &[&str]) -> std::path::PathBuf {
    let dir = empty_dir(name);
    std::fs::write(dir.join("team-ca.pem"), pem).unwrap();
    let manifest = serde_json::json!({"hostnames": {"team-ca": {ZONE: hosts}}});
    std::fs::write(dir.join(".cf-mtls.json"), manifest.to_string()).unwrap();
    dir
}

/// The certificates named `name` on the fake, with the hostnames each holds in `ZONE`.
fn held(fake: &FakeServer, name: &str) -> Vec<(String, String, Vec<String>)> {
    let certs = fake.with_api(|api| api.certificates());
    certs
        .into_iter()
        .filter(|c| c.name.as_deref() == Some(name))
        .map(|c| {
            let id = c.id.clone().unwrap();
            let hosts = fake.with_api(|api| api.hostnames(&zone(), Some(&id))).unwrap_or_default();
            (id.to_string(), c.certificates.unwrap_or_default(), hosts)
        })
        .collect()
}

fn der(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()
}

/// `METHOD kind` of each call the fake answered since `log` started.
fn calls(log: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|line| {
            let method = line.split(' ').next().unwrap_or("");
            let kind = if line.contains("/hostname_associations") {
                "hostnames"
            } else if line.contains("/associations") {
                "associations"
            } else {
                "certificates"
            };
            format!("{method} {kind}")
        })
        .collect()
}

#[test]
fn a_ca_and_its_hostnames_apply_replan_rotate_and_round_trip() {
    let fake = zoned();
    let dir = folder("byo-apply", FIVE_CAS[1], &["api.example.com", "mtls.example.com"]);
    let d = dir.to_str().unwrap();
    let run = cf(&fake, &["plan", d]).expect(7);
    assert!(run.stdout.contains("upload \"team-ca\" (CA)"), "{run:?}");
    assert!(run.stdout.contains("hostnames of \"team-ca\" (new) in zone"), "{run:?}");
    let log = record(&fake);
    let run = cf(&fake, &["apply", d]).expect(0);
    assert!(run.stdout.contains("created \"team-ca\""), "{run:?}");
    // A list, then the upload and its one write: no read of a pair that cannot hold anything.
    assert_eq!(calls(&log), ["GET certificates", "POST certificates", "PUT hostnames"]);
    let [(old, _, hosts)] = held(&fake, "team-ca").try_into().unwrap();
    assert_eq!(hosts, ["api.example.com", "mtls.example.com"]);

    // Planned again: nothing to do, after a list and one read per declared pair.
    log.lock().unwrap().clear();
    let run = cf(&fake, &["plan", d]).expect(0);
    assert!(run.stdout.contains("Plan: 0 to create, 0 to replace, 0 to delete, 1 unchanged."), "{run:?}");
    assert_eq!(calls(&log), ["GET certificates", "GET hostnames"]);

    // A new PEM: a rotation, its calls in order, and what it means for clients.
    std::fs::write(dir.join("team-ca.pem"), FIVE_CAS[2]).unwrap();
    let run = cf(&fake, &["plan", d]).expect(7);
    eprintln!("{}", run.stdout);
    for line in [
        "rotate ",
        "1. upload \"team-ca (rotating)\" (CA)",
        &format!(
            "2. hostnames of \"team-ca (rotating)\" (new) in zone {ZONE}: api.example.com, mtls.example.com (+api.example.com, +mtls.example.com)"
        ),
        &format!("3. hostnames of \"team-ca\" ({old}) in zone {ZONE}: none (-api.example.com, -mtls.example.com)"),
        &format!("4. delete \"team-ca\" ({old})"),
        "5. upload \"team-ca\" (CA)",
        &format!(
            "6. hostnames of \"team-ca\" (new) in zone {ZONE}: api.example.com, mtls.example.com (+api.example.com, +mtls.example.com)"
        ),
        &format!(
            "7. hostnames of \"team-ca (rotating)\" (new) in zone {ZONE}: none (-api.example.com, -mtls.example.com)"
        ),
        "8. delete \"team-ca (rotating)\" (new)",
        "From call 2 on, clients whose certificates chain only to the old CA are refused",
        "CAs: 1 on the account, at most 2 during the plan (limit 5, --ca-limit).",
        "Plan: 0 to create, 0 to replace, 1 to rotate, 0 to delete, 0 unchanged; 4 hostname lists to write.",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in {}", run.stdout);
    }
    // Taking hostnames away is confirmed as a delete is.
    let run = cf(&fake, &["apply", d]).expect(2);
    assert!(run.stderr.contains("--yes"), "{run:?}");
    log.lock().unwrap().clear();
    cf(&fake, &["apply", d, "--yes"]).expect(0);
    assert_eq!(
        calls(&log),
        [
            "GET certificates",
            "GET associations",
            "GET hostnames",
            "POST certificates",
            "PUT hostnames",
            "PUT hostnames",
            "DELETE certificates",
            "POST certificates",
            "PUT hostnames",
            "PUT hostnames",
            "DELETE certificates",
        ]
    );
    let [(new, pem, hosts)] = held(&fake, "team-ca").try_into().unwrap();
    assert_ne!(new, old);
    assert_eq!(der(&pem), der(FIVE_CAS[2]));
    assert_eq!(hosts, ["api.example.com", "mtls.example.com"]);
    cf(&fake, &["plan", d]).expect(0);

    // The way in for an account that enforces already: export with the zone, plan finds nothing.
    let out = empty_dir("byo-export");
    let o = out.to_str().unwrap();
    cf(&fake, &["export", o, "--zone", ZONE]).expect(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(".cf-mtls.json")).unwrap()).unwrap();
    assert_eq!(manifest["hostnames"]["team-ca"][ZONE], serde_json::json!(["api.example.com", "mtls.example.com"]));
    let run = cf(&fake, &["plan", o, "--json"]).expect(0);
    assert_eq!(run.json()["calls"], serde_json::json!([]));

    // Retired: dropped from the folder, emptied, then deleted with --prune.
    std::fs::remove_file(out.join("team-ca.pem")).unwrap();
    std::fs::write(out.join("other.pem"), FIVE_CAS[3]).unwrap();
    std::fs::write(out.join(".cf-mtls.json"), "{}").unwrap();
    let run = cf(&fake, &["apply", o, "--prune", "--zone", ZONE, "--yes"]).expect(0);
    assert!(run.stdout.contains(&format!("deleted \"team-ca\" ({new})")), "{run:?}");
    assert!(held(&fake, "team-ca").is_empty());
}

#[test]
fn the_ca_limit_blocks_before_anything_changes() {
    let fake = zoned();
    let dir = folder("byo-limit", FIVE_CAS[1], &["api.example.com"]);
    let d = dir.to_str().unwrap();
    cf(&fake, &["apply", d]).expect(0);
    // Two more CAs on the account that the folder does not name: three of a limit of three.
    for (i, pem) in FIVE_CAS[3..].iter().enumerate() {
        let cert = file(&format!("limit-{i}.pem"), pem);
        cf(&fake, &["upload", "--ca", "--cert", cert.to_str().unwrap(), "--name", &format!("other-{i}")]).expect(0);
    }
    std::fs::write(dir.join("team-ca.pem"), FIVE_CAS[2]).unwrap();
    let before = fake.with_api(|api| api.certificates()).len();
    let run = cf(&fake, &["apply", d, "--yes", "--ca-limit", "3"]).expect(8);
    assert!(
        run.stdout.contains("problem: the plan needs 4 CAs at once (the account holds 3), over the limit of 3 at the upload of \"team-ca (rotating)\""),
        "{run:?}"
    );
    assert!(run.stderr.contains("the plan is blocked"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), before, "nothing changed");
    // The same in JSON, with the count.
    let json = cf(&fake, &["plan", d, "--json", "--ca-limit", "3"]).expect(8).json();
    assert_eq!(json["cas"], serde_json::json!({"now": 3, "peak": 4, "limit": 3}));
    assert_eq!(json["ready"], false);
    // With a slot: the rotation goes through.
    cf(&fake, &["apply", d, "--yes"]).expect(0);
}

/// Kills `apply` between two calls: the fake's rate limit holds call `after + 1` back (the
/// client waits, as it does for the real limit), and the process is killed while it waits.
fn apply_killed_after(fake: &FakeServer, dir: &str, after: u64) {
    let start = fake.with_api(|api| api.requests_handled());
    fake.with_api(|api| api.rate_limit(after as u32, Duration::from_secs(60)));
    let mut child = command(fake.base_url().as_str())
        .args(["apply", dir, "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.with_api(|api| api.requests_handled()) < start + after && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    // Still running (waiting for the limit's window): killed, not ended by itself.
    assert!(child.try_wait().unwrap().is_none(), "apply ended by itself before call {}", after + 1);
    assert_eq!(fake.with_api(|api| api.requests_handled()), start + after, "no call past the cut was answered");
    let _ = child.kill();
    let _ = child.wait();
    fake.with_api(|api| api.clear_rate_limit());
}

#[test]
fn a_rotation_killed_between_any_two_calls_converges_when_run_again() {
    // The rotation makes 11 calls (list, associations, read, then the stand-in's upload and write,
    // the old CA's emptying and delete, the new CA's upload and write, the stand-in's
    // emptying and delete): killed after each of the first 10.
    for after in 1..=10 {
        let fake = zoned();
        let dir = folder(&format!("byo-kill-{after}"), FIVE_CAS[1], &["api.example.com"]);
        let d = dir.to_str().unwrap();
        cf(&fake, &["apply", d]).expect(0);
        std::fs::write(dir.join("team-ca.pem"), FIVE_CAS[2]).unwrap();
        apply_killed_after(&fake, d, after);
        let run = cf(&fake, &["apply", d, "--yes"]);
        assert_eq!(run.code, 0, "killed after {after} calls, then: {run:?}");
        let [(_, pem, hosts)] = held(&fake, "team-ca").try_into().unwrap_or_else(|all: Vec<_>| {
            panic!("killed after {after} calls: {} certificates named team-ca", all.len())
        });
        assert_eq!(der(&pem), der(FIVE_CAS[2]), "killed after {after}");
        assert_eq!(hosts, ["api.example.com"], "killed after {after}");
        cf(&fake, &["plan", d]).expect(0);
        // Nothing but the one CA is left on the account.
        assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);
    }
}

#[test]
fn calls_for_n_cas_in_z_zones_are_a_list_a_read_per_pair_and_a_write_per_change() {
    const OTHER: &str = "5b1c6f3d4b7e4c08a1f3e8b2d9a60c77";
    let fake = zoned();
    fake.with_api(|api| api.add_zone(ZoneId::new(OTHER).unwrap(), "example.org").unwrap());
    let dir = empty_dir("byo-calls");
    let mut hostnames = serde_json::Map::new();
    for (i, pem) in FIVE_CAS[..3].iter().enumerate() {
        std::fs::write(dir.join(format!("ca-{i}.pem")), pem).unwrap();
        hostnames.insert(
            format!("ca-{i}"),
            serde_json::json!({ZONE: [format!("h{i}.example.com")], OTHER: [format!("h{i}.example.org")]}),
        );
    }
    std::fs::write(dir.join(".cf-mtls.json"), serde_json::json!({"hostnames": hostnames}).to_string()).unwrap();
    let d = dir.to_str().unwrap();
    let count = |log: &std::sync::Mutex<Vec<String>>, call: &str| calls(log).iter().filter(|c| *c == call).count();
    // N = 3 CAs in Z = 2 zones, new: a list, N uploads, N x Z writes; nothing read.
    let log = record(&fake);
    cf(&fake, &["apply", d]).expect(0);
    assert_eq!(calls(&log).len(), 1 + 3 + 6, "{:?}", calls(&log));
    assert_eq!((count(&log, "POST certificates"), count(&log, "PUT hostnames")), (3, 6));
    // Planned again: a list and N x Z reads.
    log.lock().unwrap().clear();
    cf(&fake, &["plan", d]).expect(0);
    assert_eq!(calls(&log).len(), 1 + 6, "{:?}", calls(&log));
    // One list changes: one more write, nothing else.
    hostnames.insert(
        "ca-0".into(),
        serde_json::json!({ZONE: ["h0.example.com", "more.example.com"], OTHER: ["h0.example.org"]}),
    );
    std::fs::write(dir.join(".cf-mtls.json"), serde_json::json!({"hostnames": hostnames}).to_string()).unwrap();
    log.lock().unwrap().clear();
    cf(&fake, &["apply", d]).expect(0);
    assert_eq!(calls(&log).len(), 1 + 6 + 1, "{:?}", calls(&log));
}

#[test]
fn a_ca_with_hostnames_in_a_zone_the_folder_does_not_name_is_refused_with_the_hint() {
    const OTHER: &str = "5b1c6f3d4b7e4c08a1f3e8b2d9a60c77";
    let fake = zoned();
    fake.with_api(|api| api.add_zone(ZoneId::new(OTHER).unwrap(), "example.org").unwrap());
    let id = upload_ca(&fake, "old-ca");
    cf(&fake, &["hostnames", "set", OTHER, "--cert", &id, "api.example.org"]).expect(0);
    let dir = folder("byo-undeclared", FIVE_CAS[1], &["api.example.com"]);
    let run = cf(&fake, &["apply", dir.to_str().unwrap(), "--prune", "--yes"]).expect(3);
    assert!(run.stderr.contains("name that zone with --zone ZONE_ID"), "{run:?}");
    assert!(!held(&fake, "old-ca").is_empty(), "refused by the API: still there");
    // Named: emptied there first, then deleted.
    cf(&fake, &["apply", dir.to_str().unwrap(), "--prune", "--zone", OTHER, "--yes"]).expect(0);
    assert!(held(&fake, "old-ca").is_empty());
    assert_eq!(fake.with_api(|api| api.hostnames(&ZoneId::new(OTHER).unwrap(), None)), Some(Vec::new()));
}
