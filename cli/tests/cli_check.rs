//! `cf-mtls check`: exit 0 when nothing expires within the window, 6 when something does
//! (or has expired), in text and JSON; Prometheus's format exits 0 once written (the alert
//! decides there).

mod cli_support;

use cli_support::*;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn at(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days)).format(&Rfc3339).unwrap()
}

#[test]
fn exit_codes_follow_the_window_in_every_format() {
    let fake = fake();
    let soon = insert(&fake, serde_json::json!({"name": "soon", "ca": true, "expires_on": at(10)}));
    let later = insert(&fake, serde_json::json!({"name": "later \"quoted\"", "ca": false, "expires_on": at(100)}));
    let gone = insert(&fake, serde_json::json!({"name": "gone", "type": "gateway_managed", "expires_on": at(-5)}));
    insert(&fake, serde_json::json!({"name": "no date"}));

    let run = cf(&fake, &["check", "--expiring-within", "30d"]).expect(6);
    assert!(run.stdout.starts_with("2 of 4 certificates expire within 30 days:"), "{run:?}");
    assert!(run.stdout.contains(soon.as_str()) && run.stdout.contains(gone.as_str()), "{run:?}");
    assert!(run.stdout.contains("(expired)") && run.stdout.contains("days left"), "{run:?}");
    assert!(!run.stdout.contains(later.as_str()), "{run:?}");
    assert_eq!(run.stderr, "", "said once, on stdout: {run:?}");

    // Only the expired one is within a day; a window of a year takes all three dated ones.
    let json = cf(&fake, &["check", "--expiring-within", "1d", "--json"]).expect(6).json();
    assert_eq!(json["checked"], 4);
    assert_eq!(json["expiring"].as_array().unwrap().len(), 1);
    assert_eq!(json["expiring"][0]["id"], gone.as_str());
    assert!(json["expiring"][0]["days_left"].as_f64().unwrap() < 0.0);
    let json = cf(&fake, &["check", "--expiring-within", "365d", "--format", "json"]).expect(6).json();
    assert_eq!(json["expiring"].as_array().unwrap().len(), 3);

    // A type filter: the managed one alone.
    cf(&fake, &["check", "--type", "custom", "--expiring-within", "1d"]).expect(0);

    // Prometheus: every dated certificate, one gauge each, labels escaped; exit 0 once written
    // (see prometheus_output_fits_the_textfile_collector).
    let run = cf(&fake, &["check", "--format", "prometheus"]).expect(0);
    let samples: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(samples.len(), 3, "{}", run.stdout);
    assert!(run.stdout.contains("# TYPE cloudflare_mtls_certificate_expiry_timestamp_seconds gauge"));
    promtool_accepts(&run.stdout);
    assert!(run.stdout.contains(r#"name="later \"quoted\"""#), "{}", run.stdout);
    for line in samples {
        let (metric, value) = line.rsplit_once(' ').unwrap();
        assert!(metric.starts_with("cloudflare_mtls_certificate_") && metric.ends_with('}'), "{line}");
        value.parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
    }
}

#[test]
fn nothing_in_the_window_is_exit_0() {
    let fake = fake();
    insert(&fake, serde_json::json!({"name": "later", "expires_on": at(100)}));
    let run = cf(&fake, &["check", "--expiring-within", "30d"]).expect(0);
    assert_eq!(run.stdout, "OK: none of 1 certificate expires within 30 days.\n");
    let json = cf(&fake, &["check", "--json"]).expect(0).json();
    assert_eq!(json["expiring"], serde_json::json!([]));
    cf(&fake, &["check", "--format", "prometheus"]).expect(0);
    // Help names the code.
    let help = cf(&fake, &["check", "--help"]).expect(0).stdout;
    assert!(help.contains("exit 6 if any does"), "{help}");
}

#[test]
fn certificates_made_to_expire_inside_and_outside_the_window() {
    if !have_openssl() {
        return;
    }
    let fake = fake();
    let dir = file("placeholder", "").parent().unwrap().to_path_buf();
    for (name, days) in [("ten-days", 10), ("hundred-days", 100)] {
        let cert = openssl_cert(&dir, name, true, false, days);
        cf(&fake, &["upload", "--ca", "--name", name, "--cert", cert.to_str().unwrap()]).expect(0);
    }
    // The fake reads each expiry from the X.509 certificate, as the API does.
    let json = cf(&fake, &["check", "--expiring-within", "30d", "--json"]).expect(6).json();
    let expiring: Vec<&str> =
        json["expiring"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(expiring, ["ten-days"]);
    cf(&fake, &["check", "--expiring-within", "5d"]).expect(0);
    let json = cf(&fake, &["check", "--expiring-within", "101d", "--json"]).expect(6).json();
    assert_eq!(json["expiring"].as_array().unwrap().len(), 2);
}

/// `promtool check metrics` (Debian's `prometheus`) finds nothing to say about `metrics`;
/// skipped, saying so, without promtool (required in CI).
fn promtool_accepts(metrics: &str) {
    use std::io::Write;
    if !tools::require("promtool", "prometheus") {
        return;
    }
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool: {said}\n{metrics}");
}

#[test]
fn prometheus_output_with_odd_names_passes_promtool() {
    let fake = fake();
    for name in ["line\nbreak", "quote \" and back\\slash", "tab\there", "ünïcödé ✓", "{braces}=x,y", ""] {
        insert(
            &fake,
            serde_json::json!({"name": name, "ca": true, "type": "custom", "expires_on": "2030-01-01T00:00:00Z"}),
        );
    }
    let run = cf(&fake, &["check", "--format", "prometheus"]).expect(0);
    assert_eq!(run.stdout.lines().filter(|l| !l.starts_with('#')).count(), 6, "{}", run.stdout);
    promtool_accepts(&run.stdout);
}

/// Issue 27, item 18: the finding is said once, on stdout; stderr has nothing to add.
#[test]
fn the_finding_is_said_once() {
    let fake = fake();
    insert(&fake, serde_json::json!({"name": "soon", "expires_on": at(10)}));
    insert(&fake, serde_json::json!({"name": "later", "expires_on": at(100)}));
    let run = cf(&fake, &["check", "--expiring-within", "30d"]).expect(6);
    assert!(run.stdout.starts_with("1 of 2 certificates expires within 30 days:\n"), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    // The same in JSON: the document says it, the code tells a script.
    let run = cf(&fake, &["check", "--json"]).expect(6);
    assert_eq!(run.json()["expiring"].as_array().unwrap().len(), 1);
    assert_eq!(run.stderr, "", "{run:?}");
}

/// Issue 27, item 18: `--format prometheus` exits 0 whenever the metrics were written, so the
/// textfile collector's `> x.prom.tmp && mv x.prom.tmp x.prom` updates the file exactly when a
/// certificate expires; a failed listing still fails (and the old file stays). A window means
/// nothing to a gauge: `--expiring-within` with it is refused.
#[test]
fn prometheus_output_fits_the_textfile_collector() {
    let fake = fake();
    insert(&fake, serde_json::json!({"name": "soon", "expires_on": at(10)}));
    let dir = file("placeholder", "").parent().unwrap().to_path_buf();
    let pattern = format!("'{BIN}' check --format prometheus > x.prom.tmp && mv x.prom.tmp x.prom");
    sh(fake.base_url().as_str(), &pattern, &dir).expect(0);
    let metrics = std::fs::read_to_string(dir.join("x.prom")).unwrap();
    assert_eq!(metrics.lines().filter(|l| !l.starts_with('#')).count(), 1, "{metrics}");
    promtool_accepts(&metrics);

    // A listing that fails leaves x.prom as it was.
    let run = sh("http://127.0.0.1:9/client/v4", &pattern, &dir);
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read_to_string(dir.join("x.prom")).unwrap(), metrics);

    let run = cf(&fake, &["check", "--format", "prometheus", "--expiring-within", "7d"]).expect(2);
    assert!(run.stdout.is_empty() && run.stderr.contains("--expiring-within"), "{run:?}");
    let help = cf(&fake, &["check", "--help"]).expect(0).stdout;
    assert!(help.contains("mv cf-mtls.prom.tmp"), "{help}");
}

/// Issue 27, item 22: `--json` is `--format json`; with another format they conflict.
#[test]
fn json_and_another_format_conflict() {
    let fake = fake();
    insert(&fake, serde_json::json!({"name": "later", "expires_on": at(100)}));
    for args in [
        &["--json", "check", "--format", "prometheus"][..],
        &["check", "--format", "text", "--json"],
        &["--dry-run", "--json", "check", "--format", "prometheus"],
    ] {
        let run = cf(&fake, args).expect(2);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(run.stderr.contains("--json") && run.stderr.contains("--format"), "{args:?}: {run:?}");
    }
    cf(&fake, &["--json", "check", "--format", "json"]).expect(0).json();
}

/// Runs `line` with `sh -c` in `dir`, with the environment `cf` gives `cf-mtls` (pointed at
/// `base_url`).
fn sh(base_url: &str, line: &str, dir: &std::path::Path) -> Run {
    std::process::Command::new("sh")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .env("CLOUDFLARE_BASE_URL", base_url)
        .args(["-c", line])
        .current_dir(dir)
        .output()
        .unwrap()
        .into()
}
