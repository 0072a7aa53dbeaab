//! Global options: where the API token comes from (`--api-token-file FILE`, `-` for standard
//! input; a warning for `--api-token`, which shows in `ps`), and what `--quiet` keeps.

mod cli_support;

use std::process::Command;

use cli_support::*;

/// `cf-mtls ARGS` against `fake`, with no token in the environment.
fn without_env_token(fake: &cloudflare_mtls::fake_server::FakeServer, args: &[&str]) -> Command {
    let mut cmd = command(fake.base_url().as_str());
    cmd.env_remove("CLOUDFLARE_API_TOKEN").args(args);
    cmd
}

fn run(mut cmd: Command) -> Run {
    cmd.output().unwrap().into()
}

/// Issue 27, item 23.
#[test]
fn a_token_from_a_file_or_standard_input() {
    let fake = fake();
    for text in [format!("{TOKEN}\n"), format!("{TOKEN}\r\n"), TOKEN.to_owned()] {
        let path = file("token", &text);
        let got = run(without_env_token(&fake, &["--api-token-file", path.to_str().unwrap(), "list"])).expect(0);
        assert_eq!(got.stdout, "No certificates.\n", "{text:?}: {got:?}");
        assert_eq!(got.stderr, "", "{text:?}: {got:?}");
    }
    // After the command too, as every global option.
    let path = file("token", TOKEN);
    run(without_env_token(&fake, &["list", "--api-token-file", path.to_str().unwrap()])).expect(0);
    let got = with_stdin(without_env_token(&fake, &["--api-token-file", "-", "list"]), &format!("{TOKEN}\n"));
    assert_eq!((got.code, got.stderr.as_str()), (0, ""), "{got:?}");
    // The file wins over the environment, as a flag does.
    let wrong = file("token", "not-the-token\n");
    let got = cf(&fake, &["--api-token-file", wrong.to_str().unwrap(), "list"]).expect(3);
    assert!(!got.stderr.contains("not-the-token"), "{got:?}");
}

/// Issue 27, item 23.
#[test]
fn a_token_on_the_command_line_is_warned_about() {
    let fake = fake();
    let got = run(without_env_token(&fake, &["--api-token", TOKEN, "list"])).expect(0);
    assert_eq!(got.stdout, "No certificates.\n");
    assert!(got.stderr.starts_with("warning: --api-token"), "{got:?}");
    assert!(got.stderr.contains("--api-token-file") && got.stderr.contains("ps"), "{got:?}");
    assert!(!got.stderr.contains(TOKEN), "{got:?}");
    // Nothing to warn about from a file or the environment.
    assert_eq!(cf(&fake, &["list"]).expect(0).stderr, "");
}

/// Issue 27, item 23: each wrong token file is refused before anything is sent, saying what
/// is wrong, and never quoting it.
#[test]
fn a_token_file_that_is_not_one_token_is_refused() {
    let fake = fake();
    let before = fake.requests_served();
    let secret = "s3cr3t-line";
    for (text, code, says) in [
        ("", 2, "empty"),
        ("\n", 2, "empty"),
        (&*format!("{secret}\nsecond-line\n"), 2, "one line"),
        (&*format!("{secret}\n\n"), 2, "one line"),
    ] {
        let path = file("token", text);
        let got = run(without_env_token(&fake, &["--api-token-file", path.to_str().unwrap(), "list"])).expect(code);
        assert!(got.stderr.contains(says) && got.stderr.contains("--api-token-file"), "{text:?}: {got:?}");
        assert!(!got.stderr.contains(secret) && got.stdout.is_empty(), "{text:?}: {got:?}");
        let piped = with_stdin(without_env_token(&fake, &["--api-token-file", "-", "list"]), text);
        assert_eq!(piped.code, code, "stdin {text:?}: {piped:?}");
        assert!(!piped.stderr.contains(secret), "{piped:?}");
    }
    let binary = file("token", "");
    std::fs::write(&binary, [0xff, 0xfe, b'\n']).unwrap();
    let got = run(without_env_token(&fake, &["--api-token-file", binary.to_str().unwrap(), "list"])).expect(2);
    assert!(got.stderr.contains("not text"), "{got:?}");
    // Not a regular file: a device, a folder, a FIFO (refused before it is opened: opening a
    // FIFO would block), a missing file.
    let dir = binary.parent().unwrap();
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, says) in [
        ("/dev/null", "a device"),
        (dir.to_str().unwrap(), "a folder"),
        (fifo.to_str().unwrap(), "named pipe"),
        ("/nonexistent/token", "cannot read"),
    ] {
        let got = run(without_env_token(&fake, &["--api-token-file", path, "list"])).expect(5);
        assert!(got.stderr.contains(says) && got.stderr.contains(path), "{path}: {got:?}");
    }
    // Standard input is one file.
    let cert = file("ca.pem", CA_PEM);
    let got = run(without_env_token(&fake, &["--api-token-file", "-", "upload", "--ca", "--cert", "-"])).expect(2);
    assert!(got.stderr.contains("standard input"), "{got:?}");
    let key = ["--api-token-file", "-", "upload", "--cert", cert.to_str().unwrap(), "--key", "-"];
    run(without_env_token(&fake, &key)).expect(2);
    // One token, one way.
    let path = file("token", TOKEN);
    let got =
        run(without_env_token(&fake, &["--api-token", TOKEN, "--api-token-file", path.to_str().unwrap(), "list"]));
    assert_eq!(got.code, 2, "{got:?}");
    assert_eq!(fake.requests_served(), before, "nothing was sent");
}

/// Issue 27, item 22: `--quiet` keeps what a script needs: `upload` prints the new ID alone,
/// `delete` nothing, `check` only what expires; `--json` documents are never shortened.
#[test]
fn quiet_keeps_what_a_script_needs() {
    let fake = fake();
    let cert = file("ca.pem", CA_PEM);
    let up = cf(&fake, &["-q", "upload", "--ca", "--name", "quiet-ca", "--cert", cert.to_str().unwrap()]).expect(0);
    let id = up.stdout.strip_suffix('\n').unwrap_or_else(|| panic!("{up:?}"));
    assert!(!id.is_empty() && !id.contains(char::is_whitespace), "{up:?}");
    let got = cf(&fake, &["get", id, "--json"]).expect(0).json();
    assert_eq!(got["name"], "quiet-ca");
    let json = cf(&fake, &["-q", "--json", "get", id]).expect(0).json();
    assert_eq!(json, got);

    // check: nothing when nothing expires (cron mails only what it prints).
    assert_eq!(cf(&fake, &["-q", "check"]).expect(0).stdout, "");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    insert(&fake, serde_json::json!({"name": "soon", "expires_on": soon}));
    assert!(cf(&fake, &["-q", "check"]).expect(6).stdout.contains("\"soon\""));

    let gone = cf(&fake, &["-q", "delete", id, "--yes"]).expect(0);
    assert_eq!((gone.stdout.as_str(), gone.stderr.as_str()), ("", ""), "{gone:?}");
    let help = cf(&fake, &["--help"]).expect(0).stdout;
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("upload prints only the new certificate's ID"), "{help}");
}
