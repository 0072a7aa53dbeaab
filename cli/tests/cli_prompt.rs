//! The delete confirmation, driven as a user would: through a pipe (no terminal: refused
//! without `--yes`) and through a pseudo-terminal made by util-linux `script`, answering
//! "y" and "n". Also the table fitted to a terminal's width.

mod cli_support;

use std::process::Command;

use cli_support::*;

#[test]
fn without_a_terminal_delete_needs_yes() {
    let fake = fake();
    let id = upload_ca(&fake, "keep-me");
    let served = fake.requests_served();
    // Even a "y" on a pipe is not a confirmation: a script must say --yes.
    let mut cmd = command(fake.base_url().as_str());
    cmd.args(["delete", &id]);
    let run = with_stdin(cmd, "y\n").expect(2);
    assert!(
        run.stderr
            .starts_with("error: refusing to delete a certificate without confirmation: stdin is not a terminal\n")
    );
    assert!(run.stderr.contains("pass --yes"), "{run:?}");
    assert_eq!(fake.requests_served(), served, "refused before sending anything");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);

    let mut cmd = command(fake.base_url().as_str());
    cmd.args(["delete", &id, "--yes"]);
    with_stdin(cmd, "").expect(0);
    assert!(fake.with_api(|api| api.certificates()).is_empty());
}

/// Runs `shell_command` on a pseudo-terminal (`script`), typing `input`, with the
/// environment pointing at `fake`. Returns the exit code and everything the terminal showed.
fn on_terminal(fake: &cloudflare_mtls::fake_server::FakeServer, shell_command: &str, input: &str) -> Run {
    let mut cmd = Command::new("script");
    cmd.env_clear()
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .env("CLOUDFLARE_BASE_URL", fake.base_url().as_str())
        .args(["--quiet", "--return", "--command", shell_command, "/dev/null"]);
    with_stdin(cmd, input)
}

#[test]
fn on_a_terminal_delete_asks_first() {
    let fake = fake();
    let id = upload_ca(&fake, "asked");

    let run = on_terminal(&fake, &format!("'{BIN}' delete {id}"), "n\n").expect(1);
    assert!(run.stdout.contains(&format!("Delete certificate \"asked\" ({id})? [y/N] ")), "{run:?}");
    // A cancel is said plainly, not as an error.
    assert!(run.stdout.contains("Not deleted."), "{run:?}");
    assert!(!run.stdout.contains("error:"), "{run:?}");
    assert_eq!(fake.with_api(|api| api.certificates()).len(), 1);

    let run = on_terminal(&fake, &format!("'{BIN}' delete --name asked"), "y\n").expect(0);
    assert!(run.stdout.contains(&format!("Delete certificate \"asked\" ({id})? [y/N] ")), "{run:?}");
    assert!(run.stdout.contains(&format!("Deleted certificate \"asked\" ({id}).")), "{run:?}");
    assert!(fake.with_api(|api| api.certificates()).is_empty());

    // An unknown ID fails before the question is asked.
    let run = on_terminal(&fake, &format!("'{BIN}' delete {id}"), "y\n").expect(3);
    assert!(!run.stdout.contains("[y/N]"), "{run:?}");
}

#[test]
fn on_a_terminal_the_table_fits_its_width() {
    let fake = fake();
    let long_name = "a-certificate-name-long-enough-to-need-cutting-on-a-narrow-terminal";
    upload_ca(&fake, long_name);
    let run = on_terminal(&fake, &format!("stty rows 40 cols 100; '{BIN}' list"), "").expect(0);
    let lines: Vec<&str> = run.stdout.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    for line in &lines {
        assert!(line.chars().count() <= 100, "{} > 100: {line:?}", line.chars().count());
    }
    assert!(lines[1].contains('…'), "{run:?}");
    assert!(!lines[1].contains(long_name), "{run:?}");
    let mut tail = lines[1].split_whitespace().rev();
    let days: u32 = tail.next().unwrap().parse().unwrap();
    assert!(days > 35_000, "{run:?}");
    assert_eq!(tail.next(), Some("2122-10-29"), "the last columns are whole: {run:?}");

    // Piped, nothing is cut.
    assert!(cf(&fake, &["list"]).expect(0).stdout.contains(long_name));
}

#[test]
fn on_a_terminal_removing_hostnames_asks_first() {
    let fake = fake();
    let zone = "9a7806061c88ada191ed06f989cc3dac";
    fake.with_api(|api| api.add_zone(cloudflare_mtls::ZoneId::new(zone).unwrap(), "example.com")).unwrap();
    let id = upload_ca(&fake, "asked");
    cf(&fake, &["hostnames", "set", zone, "--cert", "asked", "a.example.com", "b.example.com"]).expect(0);
    let listed = || cf(&fake, &["hostnames", zone, "--cert", "asked"]).expect(0).stdout;

    let set = format!("'{BIN}' hostnames set {zone} --cert asked --remove a.example.com");
    let question = format!("Remove 1 hostname (a.example.com) of CA \"asked\" ({id}) in zone {zone}? [y/N] ");
    let run = on_terminal(&fake, &set, "n\n").expect(1);
    assert!(run.stdout.contains(&question), "{run:?}");
    assert!(run.stdout.contains("Nothing changed.") && !run.stdout.contains("error:"), "{run:?}");
    assert_eq!(listed(), "a.example.com\nb.example.com\n");
    let run = on_terminal(&fake, &set, "y\n").expect(0);
    assert!(run.stdout.contains(&question) && run.stdout.contains("removed a.example.com"), "{run:?}");
    assert_eq!(listed(), "b.example.com\n");
    // Adding removes nothing: no question.
    let run =
        on_terminal(&fake, &format!("'{BIN}' hostnames set {zone} --cert asked --add c.example.com"), "").expect(0);
    assert!(!run.stdout.contains("[y/N]"), "{run:?}");

    // delete --detach asks once, naming the zones.
    let run = on_terminal(&fake, &format!("'{BIN}' delete --name asked --detach {zone}"), "n\n").expect(1);
    assert!(
        run.stdout.contains(&format!(
            "Delete certificate \"asked\" ({id}), after removing its hostnames in zone {zone}? [y/N] "
        )),
        "{run:?}"
    );
    assert_eq!(listed(), "b.example.com\nc.example.com\n", "declined: nothing removed");
    on_terminal(&fake, &format!("'{BIN}' delete --name asked --detach {zone}"), "y\n").expect(0);
    assert!(fake.with_api(|api| api.certificates()).is_empty());
}
