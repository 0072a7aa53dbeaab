//! Certificates as code, safe (issue 27, items 1-7, 10-12 and parts of 22): no key on disk,
//! exports that race or re-run, a manifest exactly the export's, temporary files that never
//! touch a user's, one writer for every file, deletions confirmed, and `apply` that says what
//! it did when it fails midway.

mod cli_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_support::*;
use serde_json::json;

const CA_P256: &str = include_str!("../../tests/fixtures/ca-p256.pem");
const CA_P256_KEY: &str = include_str!("../../tests/fixtures/ca-p256-key.pem");

fn export(fake: &cloudflare_mtls::fake_server::FakeServer, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["export", "--json"];
    args.extend_from_slice(extra);
    args.push(dir.to_str().unwrap());
    cf(fake, &args)
}

/// Item 1: a stored PEM that holds a key is left out and listed; no file holds a key.
#[test]
fn export_never_writes_a_private_key() {
    let fake = fake();
    insert(
        &fake,
        json!({"name": "withkey", "ca": true, "type": "custom", "certificates": format!("{CA_PEM}{KEY_PEM}")}),
    );
    insert(&fake, json!({"name": "keyonly", "ca": true, "type": "custom", "certificates": KEY_PEM}));
    insert(
        &fake,
        json!({"name": "rsa", "ca": true, "type": "custom",
        "certificates": format!("{CA_PEM}-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")}),
    );
    insert(
        &fake,
        json!({"name": "encrypted", "ca": true, "type": "custom",
        "certificates": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"}),
    );
    insert(&fake, json!({"name": "fine", "ca": true, "type": "custom", "certificates": CA_PEM}));
    let out = empty_dir("keys");
    let run = export(&fake, &out, &[]).expect(9);
    let json = run.json();
    assert_eq!(json["written"], json!(["fine.pem", ".cf-mtls.json"]), "{json}");
    assert_eq!(json["keys_written"], 0);
    let skipped: Vec<&str> = json["skipped"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(skipped.len(), 4, "{json}");
    for s in json["skipped"].as_array().unwrap() {
        assert!(s["why"].as_str().unwrap().contains("never writes a key"), "{s}");
    }
    for name in listing(&out) {
        let text = std::fs::read_to_string(out.join(&name)).unwrap();
        assert!(!text.contains("PRIVATE KEY") && !text.contains(KEY_PEM.lines().nth(1).unwrap()), "{name}: {text}");
    }
}

/// Item 2: two exports into one folder at once, from two accounts whose certificates share
/// names but differ: each file is one export's, whole, and exactly one of them says it wrote
/// it; the other says it kept it.
#[test]
fn racing_exports_never_overwrite_each_other() {
    const NAMES: usize = 400;
    let (first, second) = (fake(), fake());
    for n in 0..NAMES {
        insert(&first, json!({"name": format!("c{n:04}"), "ca": true, "type": "custom", "certificates": CA_PEM}));
        insert(&second, json!({"name": format!("c{n:04}"), "ca": true, "type": "custom", "certificates": CA_P256}));
    }
    let out = empty_dir("race");
    let spawn = |fake: &cloudflare_mtls::fake_server::FakeServer| {
        command(fake.base_url().as_str())
            .args(["export", "--json", out.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&first), spawn(&second));
    let runs: Vec<serde_json::Value> =
        [a, b].into_iter().map(|c| Run::from(c.wait_with_output().unwrap()).json()).collect();
    let wrote = |run: &serde_json::Value, file: &str| run["written"].as_array().unwrap().iter().any(|f| f == file);
    for n in 0..NAMES {
        let file = format!("c{n:04}.pem");
        let writers = runs.iter().filter(|r| wrote(r, &file)).count();
        assert_eq!(writers, 1, "{file}: both or neither said they wrote it");
        let text = std::fs::read_to_string(out.join(&file)).unwrap();
        let expected = if wrote(&runs[0], &file) { CA_PEM } else { CA_P256 };
        assert_eq!(text, expected, "{file} is the writer's, whole");
    }
    assert_eq!(listing(&out).len(), NAMES, "no temporary file is left behind");
}

/// Item 3: after `export --force`, the manifest is exactly this export's: a stale one is
/// removed (kept, and the export partial, without --force), and plan finds nothing to do.
#[test]
fn the_manifest_is_exactly_the_exports() {
    let fake = fake();
    let (own, own_key) = (file("own.pem", CA_P256), file("own.key", CA_P256_KEY));
    let up = cf(
        &fake,
        &["upload", "--json", "--name", "client", "--cert", own.to_str().unwrap(), "--key", own_key.to_str().unwrap()],
    );
    let client_id = up.expect(0).json()["id"].as_str().unwrap().to_owned();
    upload_ca(&fake, "root");
    let out = empty_dir("manifest");
    export(&fake, &out, &[]).expect(0);
    assert!(out.join(".cf-mtls.json").exists());
    // The self-signed client certificate goes; the same name comes back as a CA.
    cf(&fake, &["delete", "--yes", &client_id]).expect(0);
    let ca = file("client.pem", CA_P256);
    cf(&fake, &["upload", "--ca", "--name", "client", "--cert", ca.to_str().unwrap()]).expect(0);

    // Same PEM, so client.pem is unchanged; the manifest's flag for it is now stale.
    let kept = export(&fake, &out, &[]).expect(9).json();
    assert_eq!(kept["exists"], json!([".cf-mtls.json"]), "{kept}");
    assert!(cf(&fake, &["plan", out.to_str().unwrap()]).expect(7).stdout.contains("the CA flag differs"));
    let forced = export(&fake, &out, &["--force"]).expect(0).json();
    assert_eq!(forced["removed"], json!([".cf-mtls.json"]), "{forced}");
    assert_eq!(listing(&out), ["client.pem", "root.pem"]);
    let plan = cf(&fake, &["plan", "--json", out.to_str().unwrap()]).expect(0).json();
    assert_eq!(plan["changes"], 0, "{plan}");
}

/// Item 4: a name of 245 bytes (its old temporary name passed 255) is written like any other.
#[test]
fn a_long_name_is_written() {
    let fake = fake();
    let long = "n".repeat(245);
    insert(&fake, json!({"name": long, "ca": true, "type": "custom", "certificates": CA_PEM}));
    insert(&fake, json!({"name": "short", "ca": true, "type": "custom", "certificates": CA_PEM}));
    let out = empty_dir("long");
    let json = export(&fake, &out, &[]).expect(0).json();
    assert_eq!(json["written"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(listing(&out), [format!("{long}.pem"), "short.pem".to_owned()]);
}

/// Item 4: a certificate whose file cannot be written (a folder is in the way) is listed as
/// not written, and the rest is written (exit 9).
#[test]
fn a_file_that_cannot_be_written_does_not_stop_the_rest() {
    let fake = fake();
    for name in ["a", "blocked", "c"] {
        insert(&fake, json!({"name": name, "ca": true, "type": "custom", "certificates": CA_PEM}));
    }
    let out = empty_dir("blocked");
    std::fs::create_dir(out.join("blocked.pem")).unwrap();
    let json = export(&fake, &out, &["--force"]).expect(9).json();
    assert_eq!(json["written"], json!(["a.pem", "c.pem"]), "{json}");
    assert_eq!(json["failed"][0]["file"], "blocked.pem", "{json}");
}

/// Item 5: files named as the old temporary files were (`.NAME.pem.PID.tmp`) are the user's:
/// never removed, whatever the export's process ID.
#[test]
fn a_users_files_are_never_removed() {
    let fake = fake();
    insert(&fake, json!({"name": "x", "ca": true, "type": "custom", "certificates": CA_PEM}));
    let out = empty_dir("users");
    // The next process IDs, as the old writer would have named its temporary file.
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1000);
    for pid in last..last + 2000 {
        std::fs::write(out.join(format!(".x.pem.{pid}.tmp")), "mine").unwrap();
    }
    let json = export(&fake, &out, &[]).expect(0).json();
    assert_eq!(json["written"], json!(["x.pem"]), "{json}");
    assert_eq!(listing(&out).len(), 2001, "every file of the user's is still there");
}

/// Item 6: `serve-fake --tls-ca FILE` never writes through a symlink, nor over a file
/// without --force; with it, the link itself is replaced and its target untouched.
#[test]
fn serve_fake_never_overwrites_the_ca_file() {
    let out = empty_dir("tls-ca");
    let target = out.join("precious.txt");
    std::fs::write(&target, "precious").unwrap();
    let link = out.join("ca.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let refused = Command::new(BIN)
        .env_clear()
        .args(["serve-fake", "--listen", "127.0.0.1:0", "--tls", "--tls-ca", link.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let refused = Run::from(refused).expect(5);
    assert!(refused.stderr.contains("it exists") && refused.stderr.contains("--force"), "{refused:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");

    let (_server, info) = serve_fake(&["--tls", "--tls-ca", link.to_str().unwrap(), "--force"]);
    assert_eq!(info["ca_file"], link.to_str().unwrap());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious", "the link's target is untouched");
    assert!(std::fs::read_to_string(&link).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
}

/// Item 7: every delete apply makes is confirmed: off a terminal, --yes or a refusal before
/// anything changes.
#[test]
fn apply_asks_before_it_deletes() {
    let fake = fake();
    upload_ca(&fake, "gone");
    let folder = empty_dir("prune");
    std::fs::write(folder.join("kept.pem"), CA_PEM).unwrap();
    let refused = cf(&fake, &["apply", "--prune", folder.to_str().unwrap()]).expect(2);
    assert!(refused.stderr.contains("refusing to delete 1 certificate without confirmation"), "{refused:?}");
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    let names = |fake: &cloudflare_mtls::fake_server::FakeServer| {
        let mut names: Vec<String> =
            fake.with_api(|api| api.certificates()).into_iter().filter_map(|c| c.name).collect();
        names.sort();
        names
    };
    assert_eq!(names(&fake), ["gone"], "nothing was changed");
    cf(&fake, &["apply", "--prune", "--yes", folder.to_str().unwrap()]).expect(0);
    assert_eq!(names(&fake), ["kept"]);
    // Creates alone delete nothing: no question.
    std::fs::write(folder.join("more.pem"), CA_PEM).unwrap();
    cf(&fake, &["apply", folder.to_str().unwrap()]).expect(0);
}

/// Item 7, on a terminal (util-linux `script`): the plan, then a question; "n" changes nothing.
#[test]
fn apply_on_a_terminal_shows_the_plan_and_asks() {
    if !tools::require("script", "bsdutils") {
        return;
    }
    let fake = fake();
    upload_ca(&fake, "gone");
    let folder = empty_dir("prune-tty");
    std::fs::write(folder.join("kept.pem"), CA_PEM).unwrap();
    let run = |answer: &str| {
        let mut cmd = Command::new("script");
        cmd.env_clear()
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
            .env("CLOUDFLARE_BASE_URL", fake.base_url().as_str())
            .args(["--quiet", "--return", "--command"])
            .arg(format!("'{BIN}' apply --prune '{}'", folder.display()))
            .arg("/dev/null");
        with_stdin(cmd, answer)
    };
    let declined = run("n\n").expect(1);
    assert!(declined.stdout.contains("Apply this plan, deleting 1 certificate? [y/N]"), "{declined:?}");
    assert!(declined.stdout.contains("delete") && declined.stdout.contains("gone"), "the plan is shown: {declined:?}");
    assert!(declined.stdout.contains("Not applied: nothing was changed."), "{declined:?}");
    assert!(!declined.stdout.contains("error:"), "a cancel is not an error: {declined:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);
    run("y\n").expect(0);
    let names: Vec<String> = fake.with_api(|api| api.certificates()).into_iter().filter_map(|c| c.name).collect();
    assert_eq!(names, ["kept"]);
}

/// Item 7: `export` then `apply --prune` does not delete what the export left out (a name
/// that cannot be a file name): the plan is blocked, naming it.
#[test]
fn prune_keeps_what_the_export_left_out() {
    let fake = fake();
    upload_ca(&fake, "ok");
    let hostile = insert(&fake, json!({"name": "line\nbreak", "ca": true, "type": "custom", "certificates": CA_PEM}));
    let out = empty_dir("left-out");
    export(&fake, &out, &[]).expect(9);
    let run = cf(&fake, &["apply", "--prune", "--yes", out.to_str().unwrap()]).expect(8);
    assert!(run.stdout.contains(hostile.as_str()) && run.stdout.contains("left it out"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 2, "nothing was deleted");
    // Without --prune the folder applies: nothing to do.
    cf(&fake, &["apply", out.to_str().unwrap()]).expect(0);
}

/// Item 7: apply and export share one naming rule: files whose names export could not write
/// back (equal but for case; a control character) are refused before anything is sent.
#[test]
fn apply_refuses_names_export_could_not_write() {
    let fake = fake();
    let folder = empty_dir("names");
    std::fs::write(folder.join("Twin.pem"), CA_PEM).unwrap();
    std::fs::write(folder.join("twin.pem"), CA_PEM).unwrap();
    std::fs::write(folder.join("tab\there.pem"), CA_PEM).unwrap();
    let served = fake.requests_served();
    let run = cf(&fake, &["apply", folder.to_str().unwrap()]).expect(5);
    assert!(run.stderr.contains("3 problems"), "{run:?}");
    assert!(run.stderr.contains("only in case") && run.stderr.contains("control character"), "{run:?}");
    assert_eq!(fake.requests_served(), served, "nothing was sent");
}

/// Item 10: an apply that fails midway says, in its JSON document, what was done (with the
/// new IDs), the step that failed and why, and what was not done.
#[test]
fn apply_json_that_fails_midway_says_what_was_done() {
    let fake = fake();
    // The list and two uploads, then 429s for an hour.
    fake.with_api(|api| api.rate_limit(3, Duration::from_secs(3600)));
    let folder = empty_dir("midway");
    for name in ["a", "b", "c", "d"] {
        std::fs::write(folder.join(format!("{name}.pem")), CA_PEM).unwrap();
    }
    let run = cf(
        &fake,
        &["--pace", "off", "--max-wait", "0s", "--retries", "0", "apply", "--json", folder.to_str().unwrap()],
    )
    .expect(3);
    let json = run.json();
    let done = json["done"].as_array().unwrap();
    assert_eq!(done.len(), 2, "{json}");
    assert!(done.iter().all(|d| d["action"] == "created" && d["id"].is_string()), "{json}");
    assert_eq!(json["failed"]["name"], "c", "{json}");
    assert!(json["failed"]["error"].as_str().unwrap().contains("429"), "{json}");
    assert_eq!(json["not_done"], json!([{"action": "create", "name": "d", "id": null}]), "{json}");
    assert!(run.stderr.contains("2 of 4 changes were made"), "{run:?}");
}

/// Item 11: after an apply, the summary says what was compared and counts what was left alone.
#[test]
fn no_changes_says_what_was_compared() {
    let fake = fake();
    let folder = empty_dir("compared");
    std::fs::write(folder.join("a.pem"), CA_PEM).unwrap();
    std::fs::write(folder.join("b.pem"), CA_PEM).unwrap();
    cf(&fake, &["apply", folder.to_str().unwrap()]).expect(0);
    upload_ca(&fake, "other");
    insert(&fake, json!({"name": "gw", "ca": true, "type": "gateway_managed", "certificates": CA_PEM}));
    let run = cf(&fake, &["apply", folder.to_str().unwrap()]).expect(0);
    assert!(
        run.stdout.contains("No changes: the 2 certificates the folder names match the account. 2 other certificates on the account were left alone"),
        "{run:?}"
    );
}

/// Item 12: an export re-run over an unchanged account finds its files byte-identical:
/// `unchanged`, exit 0.
#[test]
fn an_export_rerun_is_unchanged() {
    let fake = fake();
    upload_ca(&fake, "a");
    upload_ca(&fake, "b");
    let out = empty_dir("rerun");
    export(&fake, &out, &[]).expect(0);
    let again = export(&fake, &out, &[]).expect(0).json();
    assert_eq!(again["unchanged"], json!(["a.pem", "b.pem"]), "{again}");
    assert_eq!(again["written"], json!([]), "{again}");
    let text = cf(&fake, &["export", out.to_str().unwrap()]).expect(0);
    assert!(text.stdout.contains("unchanged") && text.stdout.contains("(2 unchanged)"), "{text:?}");
}

/// Item 22: a listing that fails leaves no folder behind.
#[test]
fn a_failed_listing_makes_no_folder() {
    let out = empty_dir("never").join("made");
    let run = command("http://127.0.0.1:9/client/v4").args(["export", out.to_str().unwrap()]).output().unwrap();
    Run::from(run).expect(4);
    assert!(!out.exists());
}

/// Item 22: a manifest that names a certificate twice is refused, not read as the last.
#[test]
fn a_manifest_naming_a_certificate_twice_is_refused() {
    let fake = fake();
    let folder = empty_dir("twice");
    std::fs::write(folder.join("a.pem"), CA_PEM).unwrap();
    std::fs::write(folder.join(".cf-mtls.json"), r#"{"ca": {"a": true, "a": false}}"#).unwrap();
    let run = cf(&fake, &["plan", folder.to_str().unwrap()]).expect(5);
    assert!(run.stderr.contains("\"a\" twice"), "{run:?}");
}
