//! Progress on long jobs: on a terminal (a real pseudo-terminal, through util-linux's
//! `script`), `apply` of more than a few steps shows done / total, the current step and a
//! paced wait counting down; not on a terminal, plain lines as before; `--quiet`, nothing
//! but errors.

mod cli_support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use cli_support::*;

/// A folder of five certificates.
fn folder() -> PathBuf {
    let dir = file("placeholder", "").parent().unwrap().join("five");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, pem) in FIVE_CAS.iter().enumerate() {
        std::fs::write(dir.join(format!("cert-{n}.pem")), pem).unwrap();
    }
    dir
}

/// `cf-mtls ARGS` against `fake` on a pseudo-terminal (util-linux's `script`): what the
/// terminal showed. It must succeed.
fn on_a_terminal(fake: &cloudflare_mtls::fake_server::FakeServer, args: &str) -> String {
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &format!("{BIN} {args}"), "/dev/null"])
        .env_clear()
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .env("CLOUDFLARE_BASE_URL", fake.base_url().as_str())
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{shown}");
    shown
}

#[test]
fn on_a_terminal_apply_shows_progress_and_counts_a_wait_down() {
    if !tools::require("script", "bsdutils") {
        return;
    }
    let fake = fake();
    let dir = folder();
    // Two calls per 2 s: the apply's list and first upload fill it, so a wait comes.
    let shown = on_a_terminal(&fake, &format!("--pace 2/2s apply {}", dir.display()));
    for expected in ["[0/5]", "[5/5]", "create \"cert-0\"", "created \"cert-4\"", "Applied 5 changes"] {
        assert!(shown.contains(expected), "{expected:?} not shown:\n{shown}");
    }
    // The wait, counted down on the bar: two readings of it, the later one smaller.
    let readings: Vec<f64> = shown
        .match_indices("waiting ")
        .filter_map(|(at, _)| shown[at + 8..].split(" s ").next()?.parse().ok())
        .collect();
    assert!(readings.len() >= 2 && readings.last() < readings.first(), "{readings:?}\n{shown}");
    assert_eq!(fake.with_api(|api| api.certificates().len()), 5);

    // export of as many: the same bar.
    let out_dir = dir.parent().unwrap().join("exported");
    let shown = on_a_terminal(&fake, &format!("export {}", out_dir.display()));
    assert!(shown.contains("[5/5]") && shown.contains("Exported 5 certificates"), "{shown}");
}

#[test]
fn off_a_terminal_plain_lines_and_with_quiet_none() {
    let first = fake();
    let dir = folder();
    let plain = cf(&first, &["apply", dir.to_str().unwrap()]).expect(0);
    assert_eq!(plain.stdout.lines().filter(|l| l.starts_with("created \"cert-")).count(), 5, "{plain:?}");
    assert!(!plain.stdout.contains('\u{1b}') && !plain.stderr.contains('\u{1b}') && !plain.stdout.contains("[1/5]"));

    let second = fake();
    let quiet = cf(&second, &["--quiet", "--pace", "2/2s", "apply", dir.to_str().unwrap()]).expect(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""), "{quiet:?}");
    assert_eq!(second.with_api(|api| api.certificates().len()), 5);
    // Errors still show.
    let failed = cf(&second, &["--quiet", "apply", "/nonexistent"]).expect(5);
    assert!(failed.stderr.contains("cannot read the folder"), "{failed:?}");
}
